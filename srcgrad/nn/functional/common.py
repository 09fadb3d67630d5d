"""What the families of ``nn.functional`` share: argument coercion (Tensors, ints and pairs) and loss reduction."""

import numbers

import numpy as np

from ...recording import record
from ...tensor import Tensor

__all__ = ["to_tensor", "raw", "single", "pair", "reduction_mode", "reduce_loss", "check_same_size"]


def to_tensor(x):
    """``x`` as a Tensor (an ndarray or number is wrapped; a Tensor is returned as it is)."""
    return x if isinstance(x, Tensor) else Tensor._wrap(np.asarray(x))


def raw(x):
    """The ndarray behind ``x`` (a Tensor's values, or ``np.asarray(x)``), without recording."""
    return x._value if isinstance(x, Tensor) else np.asarray(x)


def single(v):
    """An int, or the first of a tuple or list (a 1-d layer's ``kernel_size=(3,)``)."""
    return int(v[0]) if isinstance(v, (tuple, list)) else int(v)


def pair(v, name="kernel_size"):
    """An int or a pair of ints as a pair.

    Raises:
        ValueError: ``v`` has other than two entries (the message names ``name``).
    """
    if isinstance(v, numbers.Integral):
        return (int(v), int(v))
    v = tuple(int(n) for n in v)
    if len(v) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {v}")
    return v


def reduction_mode(size_average, reduce, reduction):
    """PyTorch's deprecated ``size_average``/``reduce`` pair mapped to ``reduction``."""
    if size_average is None and reduce is None:
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"{reduction} is not a valid value for reduction")
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def reduce_loss(loss, reduction):
    """The mean or sum of an elementwise ``loss`` (recorded), or ``loss`` itself for ``'none'``."""
    if reduction == "mean":
        return record(np.mean, (loss,), {})
    if reduction == "sum":
        return record(np.sum, (loss,), {})
    return loss


def check_same_size(input, target, name):
    """Refuse a target whose shape differs from the input's (PyTorch would broadcast with a warning).

    Raises:
        ValueError: the shapes differ; the message names the loss ``name``.
    """
    if tuple(input.shape) != tuple(np.shape(raw(target))):
        raise ValueError(
            f"Using a target size ({tuple(np.shape(raw(target)))}) that is different to the input "
            f"size ({tuple(input.shape)}) is not supported by {name}; broadcast it explicitly."
        )
