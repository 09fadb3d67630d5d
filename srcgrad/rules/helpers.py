"""Shape arithmetic the rules share: plain Python on shapes, plus ``unreduce``.

Nothing here computes on array values except ``unreduce`` (one ``np.reshape``),
so rule bodies that call these helpers stay numpy code over primitives with
rules, and read the same in the compiler's output.
"""

import math

import numpy as np

from .broadcast import shape_of

__all__ = [
    "ndim_of",
    "dtype_of",
    "reduced_axes",
    "kept_shape",
    "count",
    "unreduce",
    "inverse_permutation",
    "broadcast_like",
]


def ndim_of(x):
    """The number of dimensions of an array, a Tensor or a Python scalar."""
    return len(shape_of(x))


def dtype_of(x):
    """The numpy dtype of an array or Tensor (``x.dtype``), or of a Python scalar."""
    dtype = getattr(x, "dtype", None)
    return np.result_type(x) if dtype is None else dtype


def inverse_permutation(perm):
    """The axes permutation that undoes ``np.transpose(_, perm)`` (negative axes allowed)."""
    inverse = [0] * len(perm)
    for i, p in enumerate(perm):
        inverse[p % len(perm)] = i
    return tuple(inverse)


def reduced_axes(ndim, axis):
    """The non-negative axes a reduction over ``axis`` removes, as a sorted tuple."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(sorted(a % ndim for a in axis)) if ndim else ()
    return (axis % ndim,) if ndim else ()


def kept_shape(shape, axis):
    """``shape`` with the axes reduced over ``axis`` set to 1 (``keepdims=True``'s shape)."""
    axes = reduced_axes(len(shape), axis)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def count(x, axis=None):
    """How many elements of ``x`` a reduction over ``axis`` combines into one (a Python int)."""
    shape = shape_of(x)
    return math.prod(shape[i] for i in reduced_axes(len(shape), axis))


def unreduce(g, x, axis=None):
    """Reshape a reduction's ``g`` so it broadcasts against ``x`` (reduced axes of length 1)."""
    return np.reshape(g, kept_shape(shape_of(x), axis))




def broadcast_like(t, ans):
    """A JVP's tangent ``t`` spread to ``ans``'s shape (``t`` itself when it has it).

    JVPs return tangents of ``ans``'s full shape; this is for the few whose formula
    does not involve a full-shaped operand (``np.add``: the tangent is ``t``).
    """
    return t if shape_of(t) == shape_of(ans) else np.broadcast_to(t, shape_of(ans))
