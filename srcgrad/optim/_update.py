"""The array work every optimizer's ``step`` shares: storage to update in place, gradients, option checks.

An algorithm's pure function (``sgd``, ``adam``, ...) works on ndarrays; these
helpers get those arrays out of parameter and state Tensors (complex values
viewed as real pairs, as PyTorch's ``view_as_real``), bump version counters
after an in-place update, and check hyperparameters as PyTorch checks them.
"""

import numbers

import numpy as np

from ..dtypes import get_default_dtype
from ..tensor import Tensor

__all__ = [
    "storage",
    "real_view",
    "buffer",
    "grad_array",
    "bump_versions",
    "scalar",
    "check_option",
    "new_step",
    "lerp_",
]


def storage(p):
    """``p``'s values as a writeable ndarray that the update can change in place."""
    value = p._value
    if not (isinstance(value, np.ndarray) and value.flags.writeable):
        value = np.array(value)
        p._value = value
    return value


def real_view(value):
    """A complex array viewed as real pairs (PyTorch's ``view_as_real``): each part is updated as its own entry."""
    if value.dtype.kind == "c":
        return value.view(value.real.dtype)
    return value


def buffer(t):
    """The storage of parameter or state Tensor ``t`` for the update (complex viewed as real)."""
    return real_view(storage(t))


def grad_array(p):
    """The gradient of ``p`` as an ndarray (complex viewed as real)."""
    return real_view(np.asarray(p.grad._value))


def bump_versions(params):
    """Count an in-place update of each Tensor in ``params`` (their version counters go up by one)."""
    for p in params:
        p._vc[0] += 1


def scalar(x):
    """A hyperparameter as a Python number (a 0-d Tensor learning rate is allowed, as in PyTorch)."""
    if isinstance(x, Tensor):
        return x.item()
    return x


def check_option(name, value, low=0.0, message=None):
    """Check a hyperparameter as PyTorch's constructors do.

    Args:
        name: the option's name, for the message.
        value: a number or a 0-d Tensor.
        low: the least value allowed.
        message: the message instead of ``Invalid {name}: {value}``.

    Raises:
        ValueError: ``value`` is not a real number of at least ``low``.
    """
    value = scalar(value)
    if not isinstance(value, numbers.Real) or not value >= low:
        raise ValueError(message or f"Invalid {name}: {value}")


def new_step():
    """A fresh step counter: a 0-d Tensor of the default float dtype, as PyTorch keeps it."""
    return Tensor._wrap(np.zeros((), dtype=get_default_dtype()))


def lerp_(start, end, weight, scratch=None):
    """``start += weight * (end - start)`` in place, rounded as PyTorch's ``lerp_`` rounds it.

    ``scratch``, an array of ``start``'s shape and dtype, saves allocating a temporary.
    """
    diff = np.subtract(end, start, out=scratch)
    if abs(weight) < 0.5:
        diff *= weight
        start += diff
    else:
        diff *= 1 - weight
        np.subtract(end, diff, out=start)
