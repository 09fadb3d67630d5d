"""The LSTM cell and the LSTM layer as primitives: ``lstm_cell``, PyTorch's fused cell, and ``lstm_layer``.

An LSTM step composed from ufuncs records eleven nodes (an add, a split, three
sigmoids, two tanhs, three products and a sum); PyTorch's fused kernel is one.
``lstm_cell`` is a primitive for speed only (the same numbers come out of the
composition): one node for the four gates' nonlinearities and the cell
update, whose VJP finds the gates' cotangent once for all its inputs
(``vjp_all``) and recomputes the activations from the saved inputs rather than
keeping them.

* ``lstm_cell(x_gates, h_gates, c) -> (h, c_new)``: ``x_gates`` and
  ``h_gates`` are the two halves of the gates' pre-activations (the input's
  projection, with the biases, and the hidden state's), added together;
  their last axis holds the gates ``i, f, g, o`` in PyTorch's order, each as
  wide as ``c``'s last axis. Then ``c_new = f * c + i * g`` and
  ``h = o * tanh(c_new)``, with ``i, f, o`` sigmoids and ``g`` a tanh.
* ``lstm_layer(x_gates, h0, c0, w_hh) -> (hs, cs)``: ``lstm_cell`` at every
  step of a sequence, the hidden state's share of the gates being
  ``h @ w_hh.T``; the states after every step come out. One node for the
  whole sequence (``nn.LSTM`` uses it where no step is special: no packed
  lengths, no projection, the forward direction): its VJP walks back over time
  carrying only the state's cotangents, with the activations the forward kept
  beside the states (found again for all steps at once when the states are
  not the forward's own arrays) and the weight's cotangent one product over
  all steps after, where per-step nodes make two small products a step.
"""

import numpy as np

from .broadcast import shape_of
from .helpers import broadcast_like
from .nnfuncs import sigmoid
from .registry import defjvp, defvjp, primitive

__all__ = ["lstm_cell", "lstm_layer", "gate"]


def gate(a, k):
    """Block ``k`` (0 ``i``, 1 ``f``, 2 ``g``, 3 ``o``) of the last axis of ``a``, four blocks wide."""
    width = shape_of(a)[-1] // 4
    return a[..., k * width:(k + 1) * width]


@primitive
def lstm_cell(x_gates, h_gates, c):
    """One LSTM cell update from its gates' pre-activations.

    Args:
        x_gates: the input's share of the pre-activations, (..., 4H) in the order ``i, f, g, o``.
        h_gates: the hidden state's share, broadcastable with ``x_gates``.
        c: the cell state, (..., H).

    Returns:
        ``(h, c_new)``: the new hidden state and cell state.
    """
    gates = np.add(x_gates, h_gates)
    width = gates.shape[-1] // 4
    act = np.multiply(gates, 0.5)  # sigmoid(x) = (tanh(x / 2) + 1) / 2, no overflow, in place
    np.tanh(act, out=act)
    act += 1
    act *= 0.5
    c_new = act[..., width:2 * width] * c
    c_new += act[..., :width] * np.tanh(gates[..., 2 * width:3 * width])
    h = np.tanh(c_new)
    h *= act[..., 3 * width:]
    return h, c_new


def _activations(x_gates, h_gates):
    """``(i, f, g, o)``: the gates after their nonlinearities."""
    gates = x_gates + h_gates
    act = sigmoid(gates)
    return gate(act, 0), gate(act, 1), np.tanh(gate(gates, 2)), gate(act, 3)


def lstm_cell_grads(g, ans, x_gates, h_gates, c):
    """The cotangents ``(d_gates, d_c)`` of the gates' pre-activations and of ``c``; ``g = (g_h, g_c)``."""
    i, f, cand, o = _activations(x_gates, h_gates)
    tanh_c = np.tanh(ans[1])
    d_c = g[1] + g[0] * o * (1 - tanh_c * tanh_c)
    d_gates = np.concatenate([d_c * cand * i * (1 - i), d_c * c * f * (1 - f), d_c * i * (1 - cand * cand),
                              broadcast_like(g[0] * tanh_c * o * (1 - o), ans[1])], axis=-1)
    return d_gates, d_c * f


def lstm_cell_vjp_all(g, ans, x_gates, h_gates, c, argnums):
    """The cotangents of the arguments at ``argnums``, the gates' found once (the tape's path)."""
    d_gates, d_c = lstm_cell_grads(g, ans, x_gates, h_gates, c)
    return [d_c if i == 2 else d_gates for i in argnums]


def lstm_cell_jvp_gates(t, ans, x_gates, h_gates, c):
    """The tangents ``(h, c_new)`` contributed by a tangent ``t`` of either share of the gates."""
    i, f, cand, o = _activations(x_gates, h_gates)
    tanh_c = np.tanh(ans[1])
    t_c = broadcast_like(gate(t, 0) * i * (1 - i) * cand + gate(t, 1) * f * (1 - f) * c
                         + gate(t, 2) * (1 - cand * cand) * i, ans[1])
    return gate(t, 3) * o * (1 - o) * tanh_c + o * (1 - tanh_c * tanh_c) * t_c, t_c


def lstm_cell_jvp_c(t, ans, x_gates, h_gates, c):
    """The tangents ``(h, c_new)`` contributed by a tangent ``t`` of ``c``."""
    _, f, _, o = _activations(x_gates, h_gates)
    tanh_c = np.tanh(ans[1])
    t_c = broadcast_like(f * t, ans[1])
    return o * (1 - tanh_c * tanh_c) * t_c, t_c


defvjp(lstm_cell,
       lambda g, ans, x_gates, h_gates, c: lstm_cell_grads(g, ans, x_gates, h_gates, c)[0],
       lambda g, ans, x_gates, h_gates, c: lstm_cell_grads(g, ans, x_gates, h_gates, c)[0],
       lambda g, ans, x_gates, h_gates, c: lstm_cell_grads(g, ans, x_gates, h_gates, c)[1],
       multiple_outputs=True, vjp_all=lstm_cell_vjp_all, backward_name="LstmCellBackward0")
defjvp(lstm_cell, lstm_cell_jvp_gates, lstm_cell_jvp_gates, lstm_cell_jvp_c)


# -- the whole sequence ---------------------------------------------------------------------------------------

@primitive
def lstm_layer(x_gates, h0, c0, w_hh):
    """An LSTM layer over a whole sequence: ``lstm_cell`` at every step, one primitive.

    The steps run on buffers made once (the gates, the states of every step) with the cell's
    operations in ``lstm_cell``'s order, so the numbers are the cell's; the hidden-to-gates weight is
    transposed into C order once, which makes each step's product BLAS's fast case. The gates'
    activations of every step are kept beside the states, in the one block of memory ``hs`` and ``cs``
    are views of (as PyTorch's fused kernels keep theirs for the backward): the VJP reads them there
    instead of finding them again (``_kept_activations``). They live as long as ``hs`` or ``cs`` does.

    Args:
        x_gates: the input's share of every step's gates, (T, N, 4H) (the input's projection and the biases).
        h0, c0: the initial hidden and cell states, (N, H).
        w_hh: the hidden-to-gates weight, (4H, H).

    Returns:
        ``(hs, cs)``: the hidden and cell states after every step, each (T, N, H).
    """
    x_gates, h, c, w_hh = np.asarray(x_gates), np.asarray(h0), np.asarray(c0), np.asarray(w_hh)
    steps, width = x_gates.shape[0], c.shape[-1]
    dtype = np.result_type(x_gates, h, c, w_hh)
    w_t = np.ascontiguousarray(np.transpose(w_hh), dtype=dtype)
    batch = np.broadcast_shapes(x_gates.shape[1:-1], h.shape[:-1], c.shape[:-1])
    size = steps * int(np.prod(batch, dtype=np.int64)) * width
    block = np.empty(6 * size, dtype)  # hs, cs, then every step's activations (see _kept_activations)
    hs = block[:size].reshape((steps, *batch, width))
    cs = block[size:2 * size].reshape((steps, *batch, width))
    acts = block[2 * size:].reshape((steps, *batch, 4 * width))
    gates = np.empty((*batch, 4 * width), dtype)
    kept = np.empty((*batch, width), dtype)
    h = np.broadcast_to(h, (*batch, width))  # the product writes every row
    g_gate = gates[..., 2 * width:3 * width]
    i, f, cand, o = (acts[..., k * width:(k + 1) * width] for k in range(4))  # every step's blocks: views made once
    for t in range(steps):  # lstm_cell's operations, in its order, into the buffers
        np.matmul(h, w_t, out=gates)
        np.add(x_gates[t], gates, out=gates)
        act = acts[t]
        np.multiply(gates, 0.5, out=act)  # sigmoid(x) = (tanh(x / 2) + 1) / 2
        np.tanh(act, out=act)
        act += 1
        act *= 0.5
        h, c_new, cand_t = hs[t], cs[t], cand[t]
        np.multiply(f[t], c, out=c_new)
        np.tanh(g_gate, out=cand_t)  # the candidate's tanh replaces its block's sigmoid
        np.multiply(cand_t, i[t], out=kept)
        c_new += kept
        np.tanh(c_new, out=h)
        h *= o[t]
        c = c_new
    return hs, cs


def _kept_activations(hs, cs):
    """The gates' activations ``(T, N, 4H)`` (``i, f, tanh(g), o``) that ``lstm_layer`` kept beside ``hs`` and
    ``cs``, or None when these are not its outputs as it made them (a copy, a Tensor, other arrays).

    They are found where ``lstm_layer`` put them: ``hs`` and ``cs`` are the first two sixths of one block of
    memory, the activations the rest.
    """
    if type(hs) is not np.ndarray or type(cs) is not np.ndarray:
        return None
    block = hs.base
    size = hs.size
    if (
        block is None or cs.base is not block or type(block) is not np.ndarray or block.ndim != 1
        or block.dtype != hs.dtype or cs.dtype != hs.dtype or block.size != 6 * size or cs.shape != hs.shape
        or not (hs.flags.c_contiguous and cs.flags.c_contiguous and block.flags.c_contiguous)
    ):
        return None
    start = block.__array_interface__["data"][0]
    if (hs.__array_interface__["data"][0] != start
            or cs.__array_interface__["data"][0] != start + size * block.itemsize):
        return None
    return block[2 * size:].reshape((*hs.shape[:-1], 4 * hs.shape[-1]))


def _previous(states, first):
    """The states before each step: ``first`` (spread over the batch when it is shared), then every state but the
    last; (T, N, H)."""
    return np.concatenate([np.expand_dims(broadcast_like(first, states[0]), 0), states[:-1]], axis=0)


def lstm_layer_grads(g, ans, x_gates, h0, c0, w_hh):
    """The cotangents ``(d_x_gates, d_h0, d_c0, d_w_hh)`` of ``lstm_layer``; ``g = (g_hs, g_cs)``.

    The gates' activations of every step, and the factors the gates' cotangents
    take from them, are found for all steps at once from the saved states (one
    product for all steps); the loop back over time carries only the
    cotangents of the state (two products and a few passes over (N, H) values
    a step); the weight's cotangent is one product over all steps.
    On plain arrays (the tape without ``create_graph``, the compiler) the same
    formulas run with the loop writing into buffers made once (``_grads_in_place``).
    """
    arrays = (*g, *ans, x_gates, h0, c0, w_hh)
    if all(type(a) is np.ndarray for a in arrays) and np.shape(h0) == np.shape(c0) == np.shape(ans[0])[1:]:
        return _grads_in_place(g, ans, x_gates, h0, c0, w_hh)
    hs, cs = ans
    h_prev = _previous(hs, h0)
    i, f, cand, o = _activations(x_gates, np.matmul(h_prev, np.transpose(w_hh)))
    tanh_c = np.tanh(cs)
    to_c = o * (1 - tanh_c * tanh_c)  # d c_t / d h_t along the output gate's path
    # d gates_t = [d_c, d_c, d_c, d_h] * factors_t, block by block (i, f, g, o)
    factors = np.concatenate([cand * i * (1 - i), _previous(cs, c0) * f * (1 - f), i * (1 - cand * cand),
                              tanh_c * o * (1 - o)], axis=-1)
    d_h = np.zeros_like(h0)
    d_c = np.zeros_like(c0)
    d_gates = []
    for t in range(shape_of(x_gates)[0] - 1, -1, -1):
        d_h = g[0][t] + d_h
        d_c = g[1][t] + d_c + d_h * to_c[t]
        d_t = np.concatenate([d_c, d_c, d_c, d_h], axis=-1) * factors[t]
        d_gates.append(d_t)
        d_h = np.matmul(d_t, w_hh)
        d_c = d_c * f[t]
    d_gates = np.stack(d_gates[::-1])
    d_w = np.matmul(np.transpose(np.reshape(d_gates, (-1, shape_of(d_gates)[-1]))),
                    np.reshape(h_prev, (-1, shape_of(h_prev)[-1])))
    return d_gates, d_h, d_c, d_w


def _nonzero(a):
    """Whether any entry of ``a`` has a bit set (-0.0 too): for a C-contiguous array, the largest of its bytes
    (a SIMD reduction, ten times faster than ``np.any`` over floats)."""
    if a.size == 0:
        return False
    if a.flags.c_contiguous:
        return bool(a.reshape(-1).view(np.uint8).max())
    return bool(np.any(a))


def _grads_in_place(g, ans, x_gates, h0, c0, w_hh):
    """``lstm_layer_grads`` on plain arrays whose first states have every step's shape (no broadcasting): the
    same formulas, with the activations read where the forward kept them (or found from one product of rows)
    and copied gate by gate into one block each, so the passes that make the factors run over contiguous
    memory, and the loop back over time writing into buffers made once (its ufunc calls are most of the
    time)."""
    hs, cs = ans
    g_h, g_c = g
    steps, width = hs.shape[0], hs.shape[-1]
    rows = int(np.prod(h0.shape[:-1], dtype=np.int64))
    h_prev = _previous(hs, h0)
    act = _kept_activations(hs, cs)
    if act is None:
        gates = np.matmul(np.reshape(h_prev, (-1, width)), np.ascontiguousarray(np.transpose(w_hh)))  # one product
        gates = np.reshape(gates, (steps, *h0.shape[:-1], 4 * width))
        gates += x_gates
        act = sigmoid(gates)
        np.tanh(gate(gates, 2), out=gate(act, 2))
    # gate by gate: (4, T, rows, H), i, f, tanh(g), o
    i, f, cand, o = np.moveaxis(np.reshape(act, (steps, rows, 4, width)), 2, 0).copy()
    c_all = np.reshape(cs, (steps, rows, width))
    tanh_c = np.tanh(c_all)
    dtype = np.result_type(g_h, g_c, act)
    # d gates_t = [d_c, d_c, d_c, d_h] * factors_t, gate by gate (i, f, g, o)
    factors = np.empty((4, steps, rows, width), dtype)
    f_i, f_f, f_g, f_o = factors
    np.subtract(1, i, out=f_i)
    f_i *= i
    f_i *= cand  # cand * i * (1 - i)
    np.subtract(1, f, out=f_f)
    f_f *= f
    f_f[1:] *= c_all[:-1]
    f_f[0] *= np.reshape(c0, (rows, width))  # c_prev * f * (1 - f)
    np.multiply(cand, cand, out=f_g)
    np.subtract(1, f_g, out=f_g)
    f_g *= i  # i * (1 - cand * cand)
    np.subtract(1, o, out=f_o)
    f_o *= o
    f_o *= tanh_c  # tanh_c * o * (1 - o)
    to_c = np.multiply(tanh_c, tanh_c, out=tanh_c)
    np.subtract(1, to_c, out=to_c)
    to_c *= o  # o * (1 - tanh_c * tanh_c): d c_t / d h_t along the output gate's path
    d_gates = np.empty((steps, rows, 4, width), dtype)
    d_h = np.zeros((rows, width), dtype)
    d_c = np.zeros((rows, width), dtype)
    along = np.empty_like(d_c)
    g_h, g_c = np.reshape(g_h, (steps, rows, width)), np.reshape(g_c, (steps, rows, width))
    w_hh = np.asarray(w_hh)
    cell_cotangents = _nonzero(g_c)  # the tape hands zeros for an unused output: skip adding them
    d_three, d_out = np.moveaxis(d_gates[:, :, :3], 2, 0), d_gates[:, :, 3]  # views made once: (3, T, rows, H)
    d_rows = np.reshape(d_gates, (steps, rows, 4 * width))
    f_three = factors[:3]
    for t in range(steps - 1, -1, -1):
        d_h += g_h[t]
        if cell_cotangents:
            d_c += g_c[t]
        np.multiply(d_h, to_c[t], out=along)
        d_c += along
        np.multiply(d_c, f_three[:, t], out=d_three[:, t])
        np.multiply(d_h, f_o[t], out=d_out[t])
        np.matmul(d_rows[t], w_hh, out=d_h)
        d_c *= f[t]
    d_gates = np.reshape(d_gates, (steps, *h0.shape[:-1], 4 * width))
    d_w = np.matmul(np.transpose(np.reshape(d_gates, (-1, 4 * width))), np.reshape(h_prev, (-1, width)))
    return d_gates, np.reshape(d_h, h0.shape), np.reshape(d_c, c0.shape), d_w


def lstm_layer_vjp_all(g, ans, x_gates, h0, c0, w_hh, argnums):
    """The cotangents of the arguments at ``argnums``, from one walk back over time (the tape's path)."""
    grads = lstm_layer_grads(g, ans, x_gates, h0, c0, w_hh)
    return [grads[i] for i in argnums]


def lstm_layer_jvp(t_x, t_h0, t_c0, t_w, ans, x_gates, h0, c0, w_hh):
    """The tangents ``(hs, cs)`` from tangents of the four arguments (``None`` for none)."""
    hs, cs = ans
    h_prev = _previous(hs, h0)
    c_prev = _previous(cs, c0)
    i, f, cand, o = _activations(x_gates, np.matmul(h_prev, np.transpose(w_hh)))
    tanh_c = np.tanh(cs)
    t_h = np.zeros_like(h0) if t_h0 is None else t_h0
    t_c = np.zeros_like(c0) if t_c0 is None else t_c0
    t_hs, t_cs = [], []
    for t in range(shape_of(x_gates)[0]):
        t_g = np.matmul(t_h, np.transpose(w_hh))
        if t_x is not None:
            t_g = t_g + t_x[t]
        if t_w is not None:
            t_g = t_g + np.matmul(h_prev[t], np.transpose(t_w))
        t_c = gate(t_g, 0) * i[t] * (1 - i[t]) * cand[t] + gate(t_g, 1) * f[t] * (1 - f[t]) * c_prev[t] \
            + gate(t_g, 2) * (1 - cand[t] * cand[t]) * i[t] + f[t] * t_c
        t_h = gate(t_g, 3) * o[t] * (1 - o[t]) * tanh_c[t] + o[t] * (1 - tanh_c[t] * tanh_c[t]) * t_c
        t_hs.append(t_h)
        t_cs.append(t_c)
    return np.stack(t_hs), np.stack(t_cs)


defvjp(lstm_layer,
       lambda g, ans, x_gates, h0, c0, w_hh: lstm_layer_grads(g, ans, x_gates, h0, c0, w_hh)[0],
       lambda g, ans, x_gates, h0, c0, w_hh: lstm_layer_grads(g, ans, x_gates, h0, c0, w_hh)[1],
       lambda g, ans, x_gates, h0, c0, w_hh: lstm_layer_grads(g, ans, x_gates, h0, c0, w_hh)[2],
       lambda g, ans, x_gates, h0, c0, w_hh: lstm_layer_grads(g, ans, x_gates, h0, c0, w_hh)[3],
       multiple_outputs=True, vjp_all=lstm_layer_vjp_all, backward_name="LstmLayerBackward0")
defjvp(lstm_layer,
       lambda t, ans, x_gates, h0, c0, w_hh: lstm_layer_jvp(t, None, None, None, ans, x_gates, h0, c0, w_hh),
       lambda t, ans, x_gates, h0, c0, w_hh: lstm_layer_jvp(None, t, None, None, ans, x_gates, h0, c0, w_hh),
       lambda t, ans, x_gates, h0, c0, w_hh: lstm_layer_jvp(None, None, t, None, ans, x_gates, h0, c0, w_hh),
       lambda t, ans, x_gates, h0, c0, w_hh: lstm_layer_jvp(None, None, None, t, ans, x_gates, h0, c0, w_hh))
