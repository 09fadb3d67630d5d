"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and their one-step cells.

PyTorch's conventions throughout: gate order ``i, f, g, o`` (LSTM) and
``r, z, n`` (GRU) in the rows of ``weight_ih``/``weight_hh``; parameter names
``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}``
(``_reverse`` for the backward direction); every parameter starts as
U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).

The input projection of a whole sequence is one matrix product; the loop over
time then does only the hidden-state product and the gates.
"""

import math

import numpy as np

from ..device import check_device
from ..dtypes import float_dtype
from ..recording import record
from ..rules import addmm, concatenate_args, lstm_cell, split_tuple
from ..rules import relu as _relu_primitive
from ..rules import sigmoid as _sigmoid_primitive
from ..rules.recurrent import lstm_layer
from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter
from .utils.rnn import PackedSequence, pad_packed_sequence, repack_like

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


def _t(w):
    return record(np.transpose, (w,), {})


# The cells call _record directly (not np.split / the primitive's dispatching wrapper): the same
# nodes, without numpy's dispatch on every time step.


def _split(x, n, axis=-1):
    return record(split_tuple, (x, n), {"axis": axis})


def _concat(xs, axis):
    return xs[0] if len(xs) == 1 else record(concatenate_args, tuple(xs), {"axis": axis})


def _sigmoid(x):
    return record(_sigmoid_primitive, (x,), {})


def _relu(x):
    return record(_relu_primitive, (x,), {})


def _reshape(x, shape):
    return record(np.reshape, (x, shape), {})


def _projection(input, w_ih, b_ih, b_hh, mode):
    """The input's share of every step's gates at once, as rows: (T * N, G) from (T, N, I).

    One matrix product of rows (with the biases folded in, one ``addmm`` node, as ``Linear``);
    a product of the (T, N, I) stack would make T small ones, several times slower.
    """
    rows = _reshape(input, (-1, input.shape[-1]))
    if b_ih is None:
        return record(np.matmul, (rows, _t(w_ih)), {})
    bias = b_ih if mode == "GRU" else record(np.add, (b_ih, b_hh), {})
    return record(addmm, (bias, rows, _t(w_ih)), {})


# -- one step of each cell; x_proj already holds x @ W_ih.T (+ biases) --------------------------------


def _rnn_step(x_proj, h, w_hh_t, nonlinearity):
    pre = record(np.add, (x_proj, record(np.matmul, (h, w_hh_t), {})), {})
    return record(np.tanh, (pre,), {}) if nonlinearity == "tanh" else _relu(pre)


def _lstm_step(x_proj, h, c, w_hh_t, w_hr_t=None):
    # two nodes: the hidden state's product and the fused cell (PyTorch's fused LSTM cell)
    h, c = record(lstm_cell, (x_proj, record(np.matmul, (h, w_hh_t), {}), c), {})
    if w_hr_t is not None:  # proj_size: h is projected down
        h = record(np.matmul, (h, w_hr_t), {})
    return h, c


def _gru_step(x_proj, h, w_hh_t, b_hh):
    h_proj = record(np.matmul, (h, w_hh_t), {})
    if b_hh is not None:
        h_proj = record(np.add, (h_proj, b_hh), {})
    xr, xz, xn = _split(x_proj, 3)
    hr, hz, hn = _split(h_proj, 3)
    r = _sigmoid(record(np.add, (xr, hr), {}))
    z = _sigmoid(record(np.add, (xz, hz), {}))
    n = record(np.tanh, (record(np.add, (xn, record(np.multiply, (r, hn), {})), {}),), {})
    # (1 - z) * n + z * h, written as PyTorch's kernel computes it
    return record(np.add, (n, record(np.multiply, (z, record(np.subtract, (h, n), {})), {})), {})


class RNNBase(Module):
    """The multi-layer, optionally bidirectional recurrence shared by ``RNN``, ``LSTM`` and ``GRU``."""

    _gates = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}

    def __init__(
        self,
        mode,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        proj_size=0,
        device=None,
        dtype=None,
    ):
        super().__init__()
        check_device(f"nn.{type(self).__name__}", device)
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of an element being zeroed"
            )
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError("hidden_size must be a positive integer")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than or equal to 1")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        directions = 2 if bidirectional else 1
        gate_size = self._gates[mode] * hidden_size
        real_hidden = proj_size or hidden_size
        dtype = float_dtype(dtype)
        for layer in range(num_layers):
            for direction in range(directions):
                layer_input = input_size if layer == 0 else real_hidden * directions
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                self.register_parameter("weight_ih" + suffix, Parameter(np.zeros((gate_size, layer_input), dtype)))
                self.register_parameter("weight_hh" + suffix, Parameter(np.zeros((gate_size, real_hidden), dtype)))
                if bias:
                    self.register_parameter("bias_ih" + suffix, Parameter(np.zeros(gate_size, dtype)))
                    self.register_parameter("bias_hh" + suffix, Parameter(np.zeros(gate_size, dtype)))
                if proj_size:
                    self.register_parameter("weight_hr" + suffix, Parameter(np.zeros((proj_size, hidden_size), dtype)))
        self.reset_parameters()

    def flatten_parameters(self):
        """Does nothing: PyTorch packs the weights into one buffer for cuDNN; srcgrad uses them as they are."""

    def reset_parameters(self):
        """Draw every parameter again from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _params(self, layer, direction):
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        p = self._parameters
        return (
            p["weight_ih" + suffix],
            p["weight_hh" + suffix],
            p.get("bias_ih" + suffix),
            p.get("bias_hh" + suffix),
            p.get("weight_hr" + suffix),
        )

    def _check_input(self, input):
        if input.ndim not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {input.shape[-1]}"
            )

    def _check_hidden(self, hx, expected):
        if tuple(hx.shape) != expected:
            raise RuntimeError(f"Expected hidden size {expected}, got {list(hx.shape)}")

    def forward(self, input, hx=None):
        packed = input if isinstance(input, PackedSequence) else None
        lengths = None
        if packed is not None:  # run on the padded batch, each sequence stopping at its length
            input, lengths = pad_packed_sequence(packed)
            lengths = lengths._value
        self._check_input(input)
        unbatched = input.ndim == 2
        if unbatched:
            input = input.unsqueeze(1)
        elif self.batch_first and packed is None:
            input = input.transpose(0, 1)
        steps, batch = input.shape[0], input.shape[1]
        directions = 2 if self.bidirectional else 1
        state_shape = (self.num_layers * directions, batch, self.hidden_size)
        h_shape = (self.num_layers * directions, batch, self.proj_size or self.hidden_size)
        lstm = self.mode == "LSTM"
        if hx is None:
            h0 = Tensor._wrap(np.zeros(h_shape, dtype=input.dtype))
            c0 = Tensor._wrap(np.zeros(state_shape, dtype=input.dtype))
        else:
            h0, c0 = hx if lstm else (hx, None)
            if unbatched:
                h0 = h0.unsqueeze(1)
                c0 = c0.unsqueeze(1) if c0 is not None else None
            self._check_hidden(h0, h_shape)
            if c0 is not None:
                self._check_hidden(c0, state_shape)
        layer_input = input
        last_h, last_c = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                w_ih, w_hh, b_ih, b_hh, w_hr = self._params(layer, direction)
                w_hr_t = None if w_hr is None else _t(w_hr)
                k = layer * directions + direction
                h = h0[k]  # the loop runs on (N, H) states: matrix products, not stacks of one
                c = c0[k] if lstm else None
                if lstm and w_hr is None and lengths is None and not direction:
                    # the whole sequence as one node: its backward finds the weight's gradient with one
                    # product over all steps, and records nothing per step
                    gates = _reshape(_projection(layer_input, w_ih, b_ih, b_hh, self.mode), (steps, batch, -1))
                    hs, cs = record(lstm_layer, (gates, h, c, w_hh), {})
                    outputs.append(hs)
                    last_h.append(hs[steps - 1])
                    last_c.append(cs[steps - 1])
                    continue
                per_step = (
                    _split(_projection(layer_input, w_ih, b_ih, b_hh, self.mode), steps, axis=0)
                    if steps > 1
                    else [_projection(layer_input, w_ih, b_ih, b_hh, self.mode)]
                )
                w_hh_t = _t(w_hh)
                order = range(steps - 1, -1, -1) if direction else range(steps)
                hs = [None] * steps
                for t in order:
                    h_prev, c_prev = h, c
                    if lstm:
                        h, c = _lstm_step(per_step[t], h, c, w_hh_t, w_hr_t)
                    elif self.mode == "GRU":
                        h = _gru_step(per_step[t], h, w_hh_t, b_hh)
                    else:
                        h = _rnn_step(per_step[t], h, w_hh_t, "tanh" if self.mode == "RNN_TANH" else "relu")
                    if lengths is not None and t >= lengths.min():  # finished sequences keep their state
                        running = (lengths > t)[:, None]
                        h = record(np.where, (running, h, h_prev), {})
                        if lstm:
                            c = record(np.where, (running, c, c_prev), {})
                    hs[t] = h
                outputs.append(_reshape(_concat(hs, 0), (steps, batch, -1)))
                last_h.append(h)
                if lstm:
                    last_c.append(c)
            layer_input = _concat(outputs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        output = layer_input
        if packed is not None:
            output = repack_like(output, lengths, packed)
        h_n = _reshape(_concat(last_h, 0), h_shape)
        c_n = _reshape(_concat(last_c, 0), state_shape) if lstm else None
        if unbatched:
            output = output.squeeze(1)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1) if lstm else None
        elif self.batch_first and packed is None:
            output = output.transpose(0, 1)
        return (output, (h_n, c_n)) if lstm else (output, h_n)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


class RNN(RNNBase):
    """Elman recurrence: ``h_t = tanh(x_t @ W_ih.T + b_ih + h_{t-1} @ W_hh.T + b_hh)`` (or relu).

    Args:
        input_size: features of ``x_t``.
        hidden_size: features of ``h_t``.
        num_layers: stacked layers (each reads the previous one's outputs).
        nonlinearity: ``'tanh'`` or ``'relu'``.
        bias: learn ``b_ih`` and ``b_hh``.
        batch_first: input and output are (N, T, *) instead of (T, N, *).
        dropout: dropout on the outputs of every layer but the last, in training.
        bidirectional: also run the sequence backwards and concatenate.
        dtype: the parameters' dtype.

    Shape:
        Input (T, N, H_in) (or (N, T, H_in), or unbatched (T, H_in)); ``h_0``
        (D * num_layers, N, H) (zeros when omitted). Returns ``(output, h_n)``:
        output (T, N, D * H), ``h_n`` (D * num_layers, N, H).

    Example:
        >>> import srcgrad
        >>> rnn = srcgrad.nn.RNN(3, 5, num_layers=2)
        >>> out, h = rnn(srcgrad.zeros(7, 4, 3))
        >>> out.shape, h.shape
        (srcgrad.Size([7, 4, 5]), srcgrad.Size([2, 4, 5]))
    """

    def __init__(self, *args, nonlinearity="tanh", **kwargs):
        if len(args) > 3:  # PyTorch's positional order: input_size, hidden_size, num_layers, nonlinearity, ...
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__(mode, *args, **kwargs)


class LSTM(RNNBase):
    """Long short-term memory, PyTorch's gates (order ``i, f, g, o``)::

        i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)    f = sigmoid(W_if x + b_if + W_hf h + b_hf)
        g = tanh(W_ig x + b_ig + W_hg h + b_hg)       o = sigmoid(W_io x + b_io + W_ho h + b_ho)
        c' = f * c + i * g                            h' = o * tanh(c')

    With ``proj_size = P > 0`` the hidden state is projected, ``h' = (o * tanh(c')) @ W_hr.T``
    (parameters ``weight_hr_l{k}`` of shape (P, H)), so ``h`` and the output have P features.

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype: as for ``RNN``.
        proj_size: P (0: no projection).

    Shape:
        Input (T, N, H_in); optional ``(h_0, c_0)``: (D * num_layers, N, P or H) and
        (D * num_layers, N, H). Returns ``(output, (h_n, c_n))``.

    Example:
        >>> import srcgrad
        >>> lstm = srcgrad.nn.LSTM(3, 5, batch_first=True)
        >>> out, (h, c) = lstm(srcgrad.zeros(4, 7, 3))
        >>> out.shape, h.shape, c.shape
        (srcgrad.Size([4, 7, 5]), srcgrad.Size([1, 4, 5]), srcgrad.Size([1, 4, 5]))
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit, PyTorch's gates (order ``r, z, n``)::

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)    z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))  h' = (1 - z) * n + z * h

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype: as for ``RNN``.

    Shape:
        As for ``RNN``; returns ``(output, h_n)``.

    Example:
        >>> import srcgrad
        >>> out, h = srcgrad.nn.GRU(3, 5)(srcgrad.zeros(7, 4, 3))
        >>> out.shape, h.shape
        (srcgrad.Size([7, 4, 5]), srcgrad.Size([1, 4, 5]))
    """

    def __init__(self, *args, **kwargs):
        super().__init__("GRU", *args, **kwargs)


class RNNCellBase(Module):
    """The parameters shared by the cells: ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        check_device(f"nn.{type(self).__name__}", device)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        dtype = float_dtype(dtype)
        gate_size = num_chunks * hidden_size
        self.weight_ih = Parameter(np.zeros((gate_size, input_size), dtype))
        self.weight_hh = Parameter(np.zeros((gate_size, hidden_size), dtype))
        if bias:
            self.bias_ih = Parameter(np.zeros(gate_size, dtype))
            self.bias_hh = Parameter(np.zeros(gate_size, dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw every parameter again from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _prepare(self, input, hx):
        if input.ndim not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[-1]} expected {self.input_size}")
        unbatched = input.ndim == 1
        if unbatched:
            input = input.unsqueeze(0)
        if hx is None:
            hx = Tensor._wrap(np.zeros((input.shape[0], self.hidden_size), dtype=input.dtype))
        elif unbatched:
            hx = hx.unsqueeze(0)
        return input, hx, unbatched

    def _input_projection(self, input, fold_bias):
        proj = record(np.matmul, (input, _t(self.weight_ih)), {})
        if self.bias_ih is not None:
            proj = record(np.add, (proj, self.bias_ih), {})
            if fold_bias:
                proj = record(np.add, (proj, self.bias_hh), {})
        return proj

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s


class RNNCell(RNNCellBase):
    """One step of ``RNN``: ``h' = tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)`` (or relu).

    Args:
        input_size: features of ``x``.
        hidden_size: features of ``h``.
        bias: learn the biases.
        nonlinearity: ``'tanh'`` or ``'relu'``.

    Shape:
        Input (N, H_in) or (H_in,); ``hx`` (N, H) (zeros when omitted); output (N, H).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.RNNCell(3, 5)(srcgrad.zeros(4, 3)).shape
        srcgrad.Size([4, 5])
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, 1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        input, hx, unbatched = self._prepare(input, hx)
        h = _rnn_step(self._input_projection(input, True), hx, _t(self.weight_hh), self.nonlinearity)
        return h.squeeze(0) if unbatched else h


class LSTMCell(RNNCellBase):
    """One step of ``LSTM``; returns ``(h', c')``.

    Args:
        input_size: features of ``x``.
        hidden_size: features of ``h`` and ``c``.
        bias: learn the biases.

    Shape:
        Input (N, H_in) or (H_in,); ``hx = (h, c)``, each (N, H) (zeros when omitted).

    Example:
        >>> import srcgrad
        >>> h, c = srcgrad.nn.LSTMCell(3, 5)(srcgrad.zeros(4, 3))
        >>> h.shape, c.shape
        (srcgrad.Size([4, 5]), srcgrad.Size([4, 5]))
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        h, c = (None, None) if hx is None else hx
        input, h, unbatched = self._prepare(input, h)
        if c is None:
            c = Tensor._wrap(np.zeros(h.shape, dtype=h.dtype))
        elif unbatched:
            c = c.unsqueeze(0)
        h, c = _lstm_step(self._input_projection(input, True), h, c, _t(self.weight_hh))
        return (h.squeeze(0), c.squeeze(0)) if unbatched else (h, c)


class GRUCell(RNNCellBase):
    """One step of ``GRU``.

    Args:
        input_size: features of ``x``.
        hidden_size: features of ``h``.
        bias: learn the biases.

    Shape:
        Input (N, H_in) or (H_in,); ``hx`` (N, H) (zeros when omitted); output (N, H).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.GRUCell(3, 5)(srcgrad.zeros(4, 3)).shape
        srcgrad.Size([4, 5])
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        input, hx, unbatched = self._prepare(input, hx)
        h = _gru_step(self._input_projection(input, False), hx, _t(self.weight_hh), self.bias_hh)
        return h.squeeze(0) if unbatched else h
