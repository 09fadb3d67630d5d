"""numpy's functions given lists holding Tensors, recorded: what ``srcgrad.numpy`` adds to numpy.

numpy turns a list or tuple into an ndarray element by element before any Tensor in it can record
the operation (``np.array`` is not dispatched at all, and the dispatch of ``np.mean([x, y])`` does not
look inside the list). The functions here read such a list themselves: ``array([x, 1.0, y])`` is one
``np.stack`` of its items on the tape, so the gradient reaches every Tensor in it, and the result is
numpy's (its value, shape and dtype are those numpy gives for the list's numbers, worked out by numpy
itself). Anything that holds no Tensor goes to numpy's own function unchanged.

* ``array``, ``asarray``, ``asanyarray``, ``ascontiguousarray``, ``asfortranarray``,
  ``asarray_chkfinite`` -- numpy's conversions, differentiable;
* ``accepting_lists(func)`` -- ``func`` with each list or tuple argument that holds a Tensor made an
  array first (reductions and other functions of arrays: ``np.mean([x, y])``);
* ``UfuncAcceptingLists`` -- a ufunc the same way (``np.maximum([x, 0.5], y)``);
* ``Concatenator`` -- ``np.r_`` and ``np.c_``;
* ``holds_tensor(obj)`` -- whether a value, list or tuple holds a Tensor at any depth.

Each stand-in names numpy's original in ``__srcgrad_numpy__``, which is how the compiler
(``srcgrad.grad``) reads it as numpy's own function.
"""

import functools

import numpy as np

from .errors import AutogradError
from .tensor import Tensor

__all__ = [
    "NUMPY_ORIGINAL",
    "Concatenator",
    "UfuncAcceptingLists",
    "accepting_lists",
    "array",
    "asanyarray",
    "asarray",
    "asarray_chkfinite",
    "ascontiguousarray",
    "asfortranarray",
    "holds_tensor",
]

NUMPY_ORIGINAL = "__srcgrad_numpy__"
"""The attribute naming the numpy object a stand-in replaces (the compiler reads it: compiler/parse.py)."""

_SEQUENCES = (list, tuple)


def holds_tensor(obj):
    """True when ``obj`` is a Tensor or a list or tuple holding one at any depth."""
    if isinstance(obj, Tensor):
        return True
    if isinstance(obj, _SEQUENCES):
        return any(holds_tensor(item) for item in obj)
    return False


def _values(obj):
    """``obj`` with each Tensor replaced by its ndarray (lists stay lists, tuples tuples)."""
    if isinstance(obj, Tensor):
        return obj._value
    if isinstance(obj, _SEQUENCES):
        return type(obj)(_values(item) for item in obj) if type(obj) in _SEQUENCES else [_values(i) for i in obj]
    return obj


def _tensor_depth(obj, depth=0):
    """The deepest level of nested lists at which ``obj`` holds a Tensor (``-1``: none)."""
    if isinstance(obj, Tensor):
        return depth
    if isinstance(obj, _SEQUENCES):
        return max((_tensor_depth(item, depth + 1) for item in obj), default=-1)
    return -1


def _leaves(obj, depth, deepest, out):
    """Append to ``out`` the items of ``obj`` found ``deepest - depth`` levels down, in numpy's order.

    A Tensor or array met higher up is split into its rows (numpy has checked that the shapes agree)."""
    if depth == deepest:
        out.append(obj)
    else:
        for item in obj if isinstance(obj, _SEQUENCES) else (obj[i] for i in range(len(obj))):
            _leaves(item, depth + 1, deepest, out)
    return out


def _as_numpy_makes_it(result, value, name):
    """``result`` (a Tensor) given ``value``'s dtype; checks it has ``value``'s shape."""
    if result._value.dtype != value.dtype:
        result = result.astype(value.dtype)
    if result._value.shape != value.shape:  # numpy made something else of the list: never another shape
        raise AutogradError(
            f"srcgrad.numpy.{name}: made an array of shape {result._value.shape} where numpy makes "
            f"{value.shape}; please report this with the call"
        )
    return result


def _tensor_array(obj, dtype, copy, order, ndmin, like, name, deepest=None):
    """numpy's ``array`` of ``obj``, a Tensor or a list or tuple holding Tensors, recorded on the tape.

    The value is numpy's (numpy converts the Tensors' numbers, with its dtype rules and errors); the graph
    is one ``np.stack`` of the list's items (a reshape after it for nested lists) or, for a Tensor, the
    Tensor itself (a copy when numpy would copy)."""
    if like is not None:
        raise TypeError(f"srcgrad.numpy.{name}(..., like=...) of Tensors is not supported")
    value = np.array(_values(obj), dtype=dtype, copy=copy, order=order, ndmin=ndmin)
    if value.dtype == object:
        raise TypeError(
            f"srcgrad.numpy.{name}: an array of Python objects cannot hold Tensors' derivatives "
            f"(dtype=object, or lists whose items have different shapes)"
        )
    if isinstance(obj, Tensor):
        result = obj
        if copy and value.dtype == obj.dtype:
            result = np.copy(obj)  # recorded (CloneBackward0): a later change of either leaves the other alone
    else:
        deepest = _tensor_depth(obj) if deepest is None else deepest
        result = np.stack(_leaves(obj, 0, deepest, []))
    if result._value.shape != value.shape and result._value.size == value.size:
        result = np.reshape(result, value.shape)  # nested lists, ndmin's leading ones
    return _as_numpy_makes_it(result, value, name)


def _array_options(dtype=None, *, copy=True, order="K", subok=False, ndmin=0, like=None):
    return dtype, copy, order, ndmin, like


def array(object, *args, **kwargs):  # noqa: A002 (numpy's own parameter name)
    """numpy's ``np.array``; a Tensor or a list or tuple holding Tensors gives a Tensor on the tape.

    Args:
        object: what numpy takes; nested lists and tuples may mix Tensors, arrays and numbers.
        *args, **kwargs: numpy's (``dtype``, ``copy``, ``order``, ``ndmin``; ``subok`` is ignored for
            Tensors, ``like`` refused).

    Returns:
        numpy's array when ``object`` holds no Tensor; else a Tensor with numpy's value, shape and dtype,
        whose gradient flows to every Tensor in ``object``. ``np.array(t)`` copies ``t`` (a recorded copy,
        as ``jnp.array`` and HIPS autograd's ``np.array`` keep the derivative); ``copy=False`` or ``None``
        gives ``t`` itself when no conversion is needed.

    Raises:
        ValueError: numpy's, for lists whose items have different shapes (``setting an array element
            with a sequence``) or ``copy=False`` of a list.
    """
    deepest = _tensor_depth(object)
    if deepest < 0:
        return np.array(object, *args, **kwargs)
    dtype, copy, order, ndmin, like = _array_options(*args, **kwargs)
    return _tensor_array(object, dtype, copy, order, ndmin, like, "array", deepest)


def _asarray_options(dtype=None, order=None, *, device=None, copy=None, like=None):
    return dtype, copy, order, like


def asarray(a, *args, **kwargs):
    """numpy's ``np.asarray``; a Tensor gives itself (converted to ``dtype`` if given), a list or tuple
    holding Tensors a Tensor on the tape (see ``array``)."""
    if not holds_tensor(a):
        return np.asarray(a, *args, **kwargs)
    dtype, copy, order, like = _asarray_options(*args, **kwargs)
    return _tensor_array(a, dtype, copy, order, 0, like, "asarray")


def asanyarray(a, *args, **kwargs):
    """numpy's ``np.asanyarray``, as ``asarray`` for Tensors and lists holding them."""
    if not holds_tensor(a):
        return np.asanyarray(a, *args, **kwargs)
    dtype, copy, order, like = _asarray_options(*args, **kwargs)
    return _tensor_array(a, dtype, copy, order, 0, like, "asanyarray")


def _contiguous_options(dtype=None, *, like=None):
    return dtype, like


def ascontiguousarray(a, *args, **kwargs):
    """numpy's ``np.ascontiguousarray`` (at least one dimension), as ``asarray`` for Tensors."""
    if not holds_tensor(a):
        return np.ascontiguousarray(a, *args, **kwargs)
    dtype, like = _contiguous_options(*args, **kwargs)
    return _tensor_array(a, dtype, None, "C", 1, like, "ascontiguousarray")


def asfortranarray(a, *args, **kwargs):
    """numpy's ``np.asfortranarray`` (at least one dimension), as ``asarray`` for Tensors (a Tensor's
    layout is its value's: the numbers are the same)."""
    if not holds_tensor(a):
        return np.asfortranarray(a, *args, **kwargs)
    dtype, like = _contiguous_options(*args, **kwargs)
    return _tensor_array(a, dtype, None, "K", 1, like, "asfortranarray")


def asarray_chkfinite(a, *args, **kwargs):
    """numpy's ``np.asarray_chkfinite``: ``asarray`` that raises ``ValueError`` on ``inf`` or ``nan``."""
    if not holds_tensor(a):
        return np.asarray_chkfinite(a, *args, **kwargs)
    np.asarray_chkfinite(_values(a), *args, **kwargs)  # numpy's check and error
    return asarray(a, *args, **kwargs)


for _stand_in in (array, asarray, asanyarray, ascontiguousarray, asfortranarray, asarray_chkfinite):
    setattr(_stand_in, NUMPY_ORIGINAL, getattr(np, _stand_in.__name__))


def _arrays(args):
    return [array(a) if isinstance(a, _SEQUENCES) and holds_tensor(a) else a for a in args]


_ARRAY_KEYWORDS = frozenset({"a", "b", "x", "y", "v", "m", "arr", "condition", "weights", "a_min", "a_max"})
"""Keyword arguments of numpy's functions that are arrays (never a shape, an axis or an index)."""


def accepting_lists(func, arrays=1):
    """``func`` with each list or tuple array argument that holds a Tensor made an ``array`` first.

    For numpy functions whose list arguments are arrays (``np.sum``, ``np.mean``, ``np.dot``,
    ``np.linalg.norm``), not sequences of arrays (``np.stack``, ``np.concatenate``: numpy's dispatch
    reaches the Tensors in those already).

    Args:
        func: numpy's function.
        arrays: how many of its leading positional parameters are arrays (``np.dot``: 2); keyword
            arguments in ``_ARRAY_KEYWORDS`` are too. Others (``axis=``, a shape) are passed as given.
    """

    @functools.wraps(func)
    def accepts_lists(*args, **kwargs):
        for a in args[:arrays]:
            if isinstance(a, _SEQUENCES):
                args = _arrays(args[:arrays]) + list(args[arrays:])
                break
        for k, v in kwargs.items():
            if k in _ARRAY_KEYWORDS and isinstance(v, _SEQUENCES):
                kwargs = {k: _arrays([v])[0] if k in _ARRAY_KEYWORDS else v for k, v in kwargs.items()}
                break
        return func(*args, **kwargs)

    setattr(accepts_lists, NUMPY_ORIGINAL, func)
    return accepts_lists


class UfuncAcceptingLists:
    """A numpy ufunc whose list or tuple arguments holding Tensors are made arrays first.

    Everything else (``reduce``, ``accumulate``, ``outer``, ``at``, ``nin``, ``__name__``, ...) is the
    ufunc's own.

    Args:
        ufunc: numpy's ufunc (``np.maximum``).
    """

    def __init__(self, ufunc):
        self.__dict__[NUMPY_ORIGINAL] = ufunc
        self.__doc__ = ufunc.__doc__

    def __call__(self, *args, **kwargs):
        ufunc = self.__dict__[NUMPY_ORIGINAL]
        for a in args:
            if isinstance(a, _SEQUENCES):  # its inputs; an output tuple (positional out) is passed as given
                return ufunc(*_arrays(args[: ufunc.nin]), *args[ufunc.nin :], **kwargs)
        return ufunc(*args, **kwargs)

    def __getattr__(self, name):
        try:
            ufunc = self.__dict__[NUMPY_ORIGINAL]
        except KeyError:  # not made yet (copy, pickle): the ufunc's attributes are not there either
            raise AttributeError(name) from None
        return getattr(ufunc, name)

    def __repr__(self):
        return f"<ufunc '{self.__dict__[NUMPY_ORIGINAL].__name__}' (srcgrad.numpy: accepts lists holding Tensors)>"


class Concatenator:
    """``np.r_`` (``axis=0``) or ``np.c_`` (``axis=-1``) taking Tensors: ``np.r_[x, c, 1:10]``.

    Without a Tensor it is numpy's own object. With one, each item is made an array as numpy's does
    (a slice is numpy's range, a number or a 1-d item gets numpy's dimensions) and the items are
    joined with ``np.concatenate``, which is recorded; the result has numpy's value and dtype.

    Args:
        original: ``np.r_`` or ``np.c_``.
        axis, ndmin, trans1d: numpy's settings for it.
    """

    def __init__(self, original, axis, ndmin, trans1d):
        self.__dict__[NUMPY_ORIGINAL] = original
        self.axis, self.ndmin, self.trans1d = axis, ndmin, trans1d

    def __getitem__(self, key):
        original = self.__dict__[NUMPY_ORIGINAL]
        items = key if isinstance(key, tuple) else (key,)
        if not any(holds_tensor(item) for item in items):
            return original[key]
        name = "r_" if self.axis == 0 else "c_"
        if any(isinstance(item, str) for item in items):
            raise NotImplementedError(
                f"srcgrad.numpy.{name}[...] with a string directive and Tensors: write np.concatenate"
            )
        value = original[tuple(_values(item) for item in items)]
        pieces = [self._piece(item, original) for item in items]
        return _as_numpy_makes_it(np.concatenate(pieces, axis=self.axis), value, name)

    def _piece(self, item, original):
        if isinstance(item, slice):
            return original[item]  # numpy's range, with numpy's dimensions
        ndim = np.ndim(_values(item))
        piece = array(item, copy=None, ndmin=self.ndmin)
        if self.trans1d != -1 and ndim < self.ndmin:  # c_: a 1-d item becomes a column
            k2 = self.ndmin - ndim
            k1 = self.trans1d if self.trans1d >= 0 else self.trans1d + k2 + 1
            axes = list(range(self.ndmin))
            piece = np.transpose(piece, axes[:k1] + axes[k2:] + axes[k1:k2])
        return piece

    def __len__(self):
        return 0

    def __repr__(self):
        return f"{self.__dict__[NUMPY_ORIGINAL]!r} (srcgrad.numpy: takes Tensors)"
