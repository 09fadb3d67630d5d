"""Activation functions, ``relu`` to ``gelu``, and the softmax family."""

import math

import numpy as np

from ... import rules as _rules
from ...autograd.function import Function
from ...recording import record
from ...tensor import Tensor
from .common import raw

__all__ = [
    "relu",
    "relu_",
    "relu6",
    "leaky_relu",
    "elu",
    "selu",
    "celu",
    "gelu",
    "silu",
    "mish",
    "sigmoid",
    "tanh",
    "softplus",
    "softsign",
    "hardtanh",
    "hardsigmoid",
    "hardswish",
    "logsigmoid",
    "tanhshrink",
    "softmax",
    "log_softmax",
    "softmin",
    "prelu",
    "glu",
    "threshold",
    "hardshrink",
    "softshrink",
]


def relu(input, inplace=False):
    """``max(x, 0)``; the gradient at 0 is 0 (``inplace`` is accepted and ignored)."""
    return _rules.relu(input)


def relu_(input):
    """``relu`` (srcgrad returns a new Tensor; nothing is modified in place)."""
    return _rules.relu(input)


def relu6(input, inplace=False):
    """``min(max(x, 0), 6)``."""
    return hardtanh(input, 0.0, 6.0)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """``x`` where ``x > 0``, else ``negative_slope * x``."""
    return record(np.where, (raw(input) > 0, input, record(np.multiply, (input, negative_slope), {})), {})


def elu(input, alpha=1.0, inplace=False):
    """``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)``."""
    positive = raw(input) > 0
    negative_part = record(np.where, (positive, 0.0, input), {})  # keeps exp from overflowing
    return record(np.where, (positive, input, alpha * record(np.expm1, (negative_part,), {})), {})


_SELU_ALPHA = 1.6732632423543772848170429916717


_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    """``scale * elu(x, alpha)`` with the self-normalising constants."""
    return _SELU_SCALE * elu(input, _SELU_ALPHA)


def celu(input, alpha=1.0, inplace=False):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    positive = raw(input) > 0
    negative_part = record(np.where, (positive, 0.0, input), {})
    return record(np.where, (positive, input, alpha * record(np.expm1, (negative_part / alpha,), {})), {})


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


_erfc = np.vectorize(math.erfc, otypes=[np.float64])


def _ndtr(x):
    """The standard normal CDF, ``erfc(-x / sqrt(2)) / 2``: full precision in both tails."""
    return 0.5 * _erfc(np.asarray(x, dtype=np.float64) / -math.sqrt(2.0))


class _NormalCDF(Function):
    """``Phi(x) = (1 + erf(x / sqrt(2))) / 2`` with backward ``g * exp(-x**2 / 2) / sqrt(2 pi)``.

    A ``Function`` because numpy has no ``erf``; its backward is Tensor code, so
    higher derivatives work. (Replace it with a rule-table primitive once one exists.)
    """

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return Tensor._wrap(_ndtr(x._value).astype(x.dtype, copy=False))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (np.exp(-0.5 * x * x) * _INV_SQRT_2PI)


def gelu(input, approximate="none"):
    """``x * Phi(x)``, Phi the standard normal CDF; ``approximate='tanh'`` uses the tanh formula.

    Args:
        input: any shape.
        approximate: ``'none'`` (exact, with erf) or ``'tanh'``.

    Raises:
        RuntimeError: another ``approximate``.
    """
    if approximate == "none":
        return record(np.multiply, (input, _NormalCDF.apply(input)), {})
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (input + 0.044715 * input * input * input)
        return 0.5 * input * (1.0 + record(np.tanh, (inner,), {}))
    raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")


def silu(input, inplace=False):
    """``x * sigmoid(x)``."""
    return record(np.multiply, (input, _rules.sigmoid(input)), {})


def mish(input, inplace=False):
    """``x * tanh(softplus(x))``."""
    return input * record(np.tanh, (_rules.softplus(input),), {})


def sigmoid(input):
    """``1 / (1 + exp(-x))``, without overflow."""
    return _rules.sigmoid(input)


def tanh(input):
    """Hyperbolic tangent."""
    return record(np.tanh, (input,), {})


def softplus(input, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta * x)) / beta``; ``x`` itself where ``beta * x > threshold``."""
    scaled = input if beta == 1 else input * beta
    smooth = _rules.softplus(scaled)
    if beta != 1:
        smooth = smooth / beta
    return record(np.where, (raw(scaled) > threshold, input, smooth), {})


def softsign(input):
    """``x / (1 + |x|)``."""
    return input / (1.0 + record(np.absolute, (input,), {}))


def prelu(input, weight):
    """``x`` where ``x > 0``, else ``weight * x``; a weight of several values runs along dimension 1."""
    if weight.numel() > 1 and input.ndim >= 2:
        weight = record(np.reshape, (weight, (-1,) + (1,) * (input.ndim - 2)), {})
    return record(np.where, (raw(input) > 0, input, record(np.multiply, (input, weight), {})), {})


def glu(input, dim=-1):
    """The gated linear unit: ``a * sigmoid(b)`` with ``a, b`` the halves of ``input`` along ``dim``.

    Raises:
        RuntimeError: an odd length along ``dim``.
    """
    if input.shape[dim] % 2:
        raise RuntimeError(
            f"Halving dimension must be even, but dimension {dim % input.ndim} is size {input.shape[dim]}"
        )
    a, b = np.split(input, 2, axis=dim)
    return a * _rules.sigmoid(b)


def threshold(input, threshold, value, inplace=False):
    """``x`` where ``x > threshold``, else ``value``."""
    return record(np.where, (raw(input) > threshold, input, value), {})


def hardshrink(input, lambd=0.5):
    """``x`` where ``|x| > lambd``, else 0."""
    return record(np.where, (np.abs(raw(input)) > lambd, input, 0.0), {})


def softshrink(input, lambd=0.5):
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0."""
    value = raw(input)
    below = record(np.where, (value < -lambd, input + lambd, 0.0), {})
    return record(np.where, (value > lambd, input - lambd, below), {})


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """``x`` clamped to ``[min_val, max_val]``; the gradient is 0 outside the open interval."""
    value = raw(input)
    inside = (value > min_val) & (value < max_val)
    return record(np.where, (inside, input, np.clip(value, min_val, max_val)), {})


def hardsigmoid(input, inplace=False):
    """``relu6(x + 3) / 6``."""
    return hardtanh(input / 6.0 + 0.5, 0.0, 1.0)


def hardswish(input, inplace=False):
    """``x * relu6(x + 3) / 6``."""
    value = raw(input)
    mid = input * (input + 3.0) / 6.0
    return record(np.where, (value <= -3, 0.0, record(np.where, (value >= 3, input, mid), {})), {})


def logsigmoid(input):
    """``log(sigmoid(x)) = -softplus(-x)``, without overflow."""
    return -_rules.softplus(-input)


def tanhshrink(input):
    """``x - tanh(x)``."""
    return input - record(np.tanh, (input,), {})


def _softmax_dim(ndim):
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``exp(x) / sum(exp(x))`` along ``dim``, without overflow.

    Args:
        input: any shape.
        dim: the dimension that sums to 1 (PyTorch's legacy default when omitted).
        dtype: cast the input to this dtype first.
    """
    if dtype is not None:
        input = input.type(dtype)
    if dim is None:
        dim = _softmax_dim(input.ndim)
    return _rules.softmax(input, axis=dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``x - logsumexp(x)`` along ``dim`` (one fused primitive).

    Args:
        input: any shape.
        dim: the dimension normalised over (PyTorch's legacy default when omitted).
        dtype: cast the input to this dtype first.
    """
    if dtype is not None:
        input = input.type(dtype)
    if dim is None:
        dim = _softmax_dim(input.ndim)
    return _rules.log_softmax(input, axis=dim)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """``softmax(-x)`` along ``dim``."""
    return softmax(-input, dim, dtype=dtype)
