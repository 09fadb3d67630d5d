"""``nn.init``: fill Tensors in place with PyTorch's initialisation schemes.

Every function writes under ``no_grad`` (so it works on Parameters that require
grad), draws from srcgrad's global generator (``srcgrad.manual_seed`` seeds it)
unless given a ``generator``, and returns the Tensor it filled. The gain and
fan formulas are PyTorch's.
"""

import math

import numpy as np

from .. import creation as _creation
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "trunc_normal_",
    "constant_",
    "ones_",
    "zeros_",
    "eye_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "orthogonal_",
]

_LINEAR = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity: the factor that keeps activations' variance stable.

    ========================  ===================================
    nonlinearity              gain
    ========================  ===================================
    linear, conv*, sigmoid    1
    tanh                      5/3
    relu                      sqrt(2)
    leaky_relu                sqrt(2 / (1 + negative_slope ** 2))
    selu                      3/4
    ========================  ===================================

    Args:
        nonlinearity: the name of the nonlinear function.
        param: the negative slope of ``leaky_relu`` (default 0.01).

    Returns:
        The gain, a float.

    Raises:
        ValueError: an unknown nonlinearity or a bad slope.

    Example:
        >>> from srcgrad import nn
        >>> nn.init.calculate_gain("tanh")
        1.6666666666666667
    """
    if nonlinearity in _LINEAR:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    """``(fan_in, fan_out)``: size(1) and size(0) times the receptive field (the product of shape[2:]).

    Raises:
        ValueError: the Tensor has fewer than 2 dimensions.
    """
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _rng(generator):
    return (generator or _creation.default_generator).rng


def _fill(tensor, values):
    with no_grad():
        tensor.copy_(Tensor._wrap(np.asarray(values, dtype=tensor.dtype)))
    return tensor


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with samples of U(a, b).

    Args:
        tensor: the Tensor to fill.
        a: the lower bound.
        b: the upper bound.
        generator: a ``srcgrad`` generator (default: the global one).

    Returns:
        ``tensor``.
    """
    return _fill(tensor, _rng(generator).uniform(a, b, tensor.shape))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with samples of N(mean, std**2).

    Args:
        tensor: the Tensor to fill.
        mean: the mean.
        std: the standard deviation.
        generator: a ``srcgrad`` generator (default: the global one).

    Returns:
        ``tensor``.
    """
    return _fill(tensor, _rng(generator).normal(mean, std, tensor.shape))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with samples of N(mean, std**2) truncated to [a, b] (redrawing those outside).

    Returns:
        ``tensor``.
    """
    rng = _rng(generator)
    values = rng.normal(mean, std, tensor.shape)
    bad = (values < a) | (values > b)
    while np.any(bad):
        values[bad] = rng.normal(mean, std, int(bad.sum()))
        bad = (values < a) | (values > b)
    return _fill(tensor, values)


def constant_(tensor, val):
    """Fill with the constant ``val``.

    Returns:
        ``tensor``.
    """
    return _fill(tensor, np.full(tensor.shape, val))


def ones_(tensor):
    """Fill with ones.

    Returns:
        ``tensor``.
    """
    return constant_(tensor, 1.0)


def zeros_(tensor):
    """Fill with zeros.

    Returns:
        ``tensor``.
    """
    return constant_(tensor, 0.0)


def eye_(tensor):
    """Fill a 2-D Tensor with the identity matrix.

    Returns:
        ``tensor``.

    Raises:
        ValueError: the Tensor is not 2-D.
    """
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill(tensor, np.eye(*tensor.shape))


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot initialisation: U(-a, a) with ``a = gain * sqrt(6 / (fan_in + fan_out))``.

    Returns:
        ``tensor``.

    Raises:
        ValueError: the Tensor has fewer than 2 dimensions.
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot initialisation: N(0, std**2) with ``std = gain * sqrt(2 / (fan_in + fan_out))``.

    Returns:
        ``tensor``.

    Raises:
        ValueError: the Tensor has fewer than 2 dimensions.
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He initialisation: U(-bound, bound) with ``bound = gain * sqrt(3 / fan)``.

    Args:
        tensor: the Tensor to fill (at least 2-D).
        a: the negative slope of the rectifier after this layer (``leaky_relu`` only).
        mode: ``'fan_in'`` (keeps the forward variance) or ``'fan_out'`` (the backward one).
        nonlinearity: the name given to ``calculate_gain``.
        generator: a ``srcgrad`` generator (default: the global one).

    Returns:
        ``tensor``.

    Raises:
        ValueError: a bad mode or nonlinearity, or a Tensor with fewer than 2 dimensions.
    """
    if 0 in tensor.shape:
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He initialisation: N(0, std**2) with ``std = gain / sqrt(fan)``.

    Args:
        tensor: the Tensor to fill (at least 2-D).
        a: the negative slope of the rectifier after this layer (``leaky_relu`` only).
        mode: ``'fan_in'`` or ``'fan_out'``.
        nonlinearity: the name given to ``calculate_gain``.
        generator: a ``srcgrad`` generator (default: the global one).

    Returns:
        ``tensor``.

    Raises:
        ValueError: a bad mode or nonlinearity, or a Tensor with fewer than 2 dimensions.
    """
    if 0 in tensor.shape:
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor, gain=1.0, generator=None):
    """Fill with a (semi-)orthogonal matrix (the Q of a QR of a Gaussian matrix), times ``gain``.

    Returns:
        ``tensor``.

    Raises:
        ValueError: the Tensor has fewer than 2 dimensions.
    """
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    rows = tensor.shape[0]
    cols = tensor.numel() // rows if rows else 0
    flat = _rng(generator).normal(0.0, 1.0, (rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))
