"""Tensor's operators (``+ - * / @ ** < == [] ...``) and its arithmetic, math and reduction methods."""

import numbers
import operator
import warnings

import numpy as np

from . import meanings as _meanings
from . import rules as _rules
from . import shape_errors as _shapes
from .meanings import resolve as _resolve_meaning
from .recording import raw_index as _raw_index
from .recording import record as _record
from .recording import record_fast as _record_fast

__all__ = ["TensorMath", "scaled_other", "ValuesIndices"]

Tensor = None
"""The Tensor class; ``srcgrad.tensor`` binds it once the class exists (this module is
below ``tensor.py`` and does not import it: imports stay one-way)."""


class TensorMath:
    """Tensor's operators and arithmetic: ``+ - * / @ ** < == [] ...``, the math and reduction methods.

    A base of ``Tensor`` (which holds the data); its methods record through ``srcgrad.recording``.
    """

    __slots__ = ()

    # -- arithmetic ---------------------------------------------------------------------

    def __add__(self, other):
        return _record_fast(np.add, self, other)

    def __radd__(self, other):
        return _record_fast(np.add, other, self)

    def __sub__(self, other):
        return _record_fast(np.subtract, self, other)

    def __rsub__(self, other):
        return _record_fast(np.subtract, other, self)

    def __mul__(self, other):
        return _record_fast(np.multiply, self, other)

    def __rmul__(self, other):
        return _record_fast(np.multiply, other, self)

    def __truediv__(self, other):
        return _record_fast(np.true_divide, self, other)

    def __rtruediv__(self, other):
        return _record_fast(np.true_divide, other, self)

    def __pow__(self, other):
        return _record_fast(np.power, self, other)

    def __rpow__(self, other):
        return _record_fast(np.power, other, self)

    def __matmul__(self, other):
        try:
            return _record_fast(np.matmul, self, other)
        except ValueError:  # numpy refused the shapes: say it in PyTorch's words
            _shapes.raise_if(_shapes.matmul_message(self.shape, np.shape(other)))
            raise

    def __rmatmul__(self, other):
        try:
            return _record_fast(np.matmul, other, self)
        except ValueError:
            _shapes.raise_if(_shapes.matmul_message(np.shape(other), self.shape))
            raise

    def __neg__(self):
        return _record_fast(np.negative, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _record_fast(np.absolute, self)

    def __floordiv__(self, other):
        return _record_fast(np.floor_divide, self, other)

    def __rfloordiv__(self, other):
        return _record_fast(np.floor_divide, other, self)

    def __mod__(self, other):
        return _record_fast(np.remainder, self, other)

    def __rmod__(self, other):
        return _record_fast(np.remainder, other, self)

    def __divmod__(self, other):
        return self // other, self % other

    def __rdivmod__(self, other):
        return other // self, other % self

    def __lt__(self, other):
        return _record_fast(np.less, self, other)

    def __le__(self, other):
        return _record_fast(np.less_equal, self, other)

    def __gt__(self, other):
        return _record_fast(np.greater, self, other)

    def __ge__(self, other):
        return _record_fast(np.greater_equal, self, other)

    def __eq__(self, other):
        return _record_fast(np.equal, self, other)

    def __ne__(self, other):
        return _record_fast(np.not_equal, self, other)

    def __invert__(self):
        return _record(np.logical_not if self._value.dtype == np.bool_ else np.invert, (self,), {})

    def __and__(self, other):
        return _record_fast(np.logical_and, self, other)

    def __or__(self, other):
        return _record_fast(np.logical_or, self, other)

    def __rand__(self, other):
        return _record_fast(np.logical_and, other, self)

    def __ror__(self, other):
        return _record_fast(np.logical_or, other, self)

    def __xor__(self, other):
        return _record_fast(np.logical_xor, self, other)

    def __rxor__(self, other):
        return _record_fast(np.logical_xor, other, self)

    def __getitem__(self, index):
        index = _raw_index(index)
        result = _record(operator.getitem, (self, index), {})
        if type(result._value) is not np.ndarray and _meanings.pytorch_here():
            # numpy's x[i] is a scalar (a copy), PyTorch's a 0-d view: under PyTorch's meanings, v = x[i];
            # v += 1 (or v.add_(1)) writes into x, so the item is taken as numpy's 0-d view x[i, ...]
            result = _record(operator.getitem, (self, (index if type(index) is tuple else (index,)) + (...,)), {})
        return result

    # -- PyTorch-named methods ------------------------------------------------------------

    def add(self, other, alpha=1):
        """``self + alpha * other`` (PyTorch's deprecated ``add(alpha, other)`` too)."""
        return self + scaled_other(other, alpha, "add")

    def sub(self, other, alpha=1):
        """``self - alpha * other`` (PyTorch's deprecated ``sub(alpha, other)`` too)."""
        return self - scaled_other(other, alpha, "sub")

    def mul(self, other):
        """``self * other``."""
        return self * other

    def div(self, other):
        """``self / other``."""
        return self / other

    def pow(self, exponent):
        """``self ** exponent``."""
        return self**exponent

    def neg(self):
        """``-self``."""
        return -self

    def matmul(self, other):
        """``self @ other``."""
        return self @ other

    def mm(self, other):
        """Matrix product of two 2-D Tensors."""
        _shapes.raise_if(_shapes.mm_message(self.shape, np.shape(other)))
        return self @ other

    def mv(self, vec):
        """Product of a 2-D Tensor and a 1-D one."""
        _shapes.raise_if(_shapes.mv_message(self.shape, np.shape(vec)))
        return self @ vec

    def dot(self, other):
        """Dot product (``np.dot``: of two vectors, PyTorch's ``dot``; numpy's rules for other ranks)."""
        try:
            return _record_fast(np.dot, self, other)
        except ValueError:
            if self.ndim == 1 and np.ndim(other) == 1:
                _shapes.raise_if(_shapes.dot_message(self.shape, np.shape(other)))
            raise

    def abs(self):
        """Elementwise absolute value."""
        return _record_fast(np.absolute, self)

    def conj(self):
        """The complex conjugate; this Tensor itself when it is real (as PyTorch's ``conj()``)."""
        return self if self._value.dtype.kind != "c" else _record_fast(np.conjugate, self)

    conjugate = conj

    @property
    def real(self):
        """The real part (numpy's ``np.real``; a real Tensor's real part is itself)."""
        return self if self._value.dtype.kind != "c" else _record_fast(np.real, self)

    @property
    def imag(self):
        """The imaginary part (``np.imag``)."""
        return _record_fast(np.imag, self)

    def angle(self):
        """The argument of each complex element, in radians (``np.angle``)."""
        return _record_fast(np.angle, self)

    def is_complex(self):
        """True for complex dtypes."""
        return self._value.dtype.kind == "c"

    def exp(self):
        """Elementwise exponential."""
        return _record_fast(np.exp, self)

    def log(self):
        """Elementwise natural logarithm."""
        return _record_fast(np.log, self)

    def sin(self):
        """Elementwise sine."""
        return _record_fast(np.sin, self)

    def cos(self):
        """Elementwise cosine."""
        return _record_fast(np.cos, self)

    def tanh(self):
        """Elementwise hyperbolic tangent."""
        return _record_fast(np.tanh, self)

    def sqrt(self):
        """Elementwise square root."""
        return _record_fast(np.sqrt, self)

    def sigmoid(self):
        """Elementwise logistic sigmoid."""
        return _rules.sigmoid(self)

    def relu(self):
        """Elementwise ``max(x, 0)``."""
        return _rules.relu(self)

    def clamp(self, min=None, max=None):
        """Clamp into ``[min, max]`` (either may be None)."""
        return _record(np.clip, (self, min, max), {})

    clip = clamp

    def sum(self, dim=None, keepdim=False, *args, axis=None, keepdims=None, dtype=None, out=None):
        """Sum over ``dim`` (all dimensions by default), in ``dtype`` when given.

        Both signatures are read: PyTorch's ``sum(dim, keepdim, *, dtype)`` and numpy's
        ``sum(axis, dtype, out, keepdims)``, told apart by the second argument (a bool is
        ``keepdim``, a dtype or None is numpy's ``dtype``).

        Raises:
            TypeError: ``out=`` (a Tensor method returns a new Tensor), or more arguments than numpy's.
        """
        return _reduction(np.sum, self, dim, keepdim, args, axis, keepdims, dtype, out)

    def mean(self, dim=None, keepdim=False, *args, axis=None, keepdims=None, dtype=None, out=None):
        """Mean over ``dim`` (all dimensions by default), in ``dtype`` when given (both signatures, see ``sum``)."""
        return _reduction(np.mean, self, dim, keepdim, args, axis, keepdims, dtype, out)

    def prod(self, dim=None, keepdim=False, *args, axis=None, keepdims=None, dtype=None, out=None):
        """Product over ``dim``, in ``dtype`` when given (both signatures, see ``sum``)."""
        return _reduction(np.prod, self, dim, keepdim, args, axis, keepdims, dtype, out)

    def var(self, dim=None, unbiased=None, keepdim=None, *, correction=None, axis=None, ddof=None, keepdims=None):
        """Variance over ``dim`` (or ``axis``), dividing by ``n - ddof`` (``ddof`` = ``correction``).

        numpy's ``x.var()`` divides by n and PyTorch's by n - 1, so say which: ``ddof=`` (numpy),
        ``correction=`` or ``unbiased=`` (PyTorch); ``axis=`` settles nothing (PyTorch takes it as
        ``dim=``). Without any of them the call is ambiguous and
        raises ``AmbiguousMethodError`` unless ``set_method_meanings`` chose a meaning (see
        ``srcgrad.meanings``).
        """
        return _moment(np.var, self, dim, unbiased, keepdim, correction, axis, ddof, keepdims)

    def std(self, dim=None, unbiased=None, keepdim=None, *, correction=None, axis=None, ddof=None, keepdims=None):
        """Standard deviation over ``dim`` (or ``axis``); say ``ddof=``, ``correction=`` or ``unbiased=`` (see ``var``)."""
        return _moment(np.std, self, dim, unbiased, keepdim, correction, axis, ddof, keepdims)

    def max(self, *args, dim=None, keepdim=None, axis=None, keepdims=None):
        """The largest value; over ``dim=``, ``(values, indices)`` (PyTorch's); over several axes
        (``x.max((0, 1))``), the maxima (numpy's, ties share the gradient); with a Tensor, the
        elementwise maximum.

        ``x.max(0)`` and ``x.max(axis=0)`` are ambiguous (numpy: the maxima, PyTorch, which takes
        ``axis=`` as ``dim=``: ``(values, indices)``): they raise ``AmbiguousMethodError`` unless
        ``set_method_meanings`` chose a meaning. ``np.max(x, 0)`` is numpy's.
        """
        return _extreme("max", np.max, np.argmax, np.maximum, self, args, dim, keepdim, axis, keepdims)

    def min(self, *args, dim=None, keepdim=None, axis=None, keepdims=None):
        """The smallest value; over ``dim=``, ``(values, indices)``; over several axes, the minima (see ``max``)."""
        return _extreme("min", np.min, np.argmin, np.minimum, self, args, dim, keepdim, axis, keepdims)

    def amax(self, dim=None, keepdim=False):
        """The largest values over ``dim`` (ties share the gradient evenly)."""
        return _reduce(np.max, self, dim, keepdim, None, None)

    def amin(self, dim=None, keepdim=False):
        """The smallest values over ``dim`` (ties share the gradient evenly)."""
        return _reduce(np.min, self, dim, keepdim, None, None)

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Index of the largest value (not differentiable); ``axis``/``keepdims`` as numpy spells them."""
        return Tensor._wrap(
            np.argmax(
                self._value, axis=dim if axis is None else axis, keepdims=keepdim if keepdims is None else keepdims
            )
        )

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Index of the smallest value (not differentiable); ``axis``/``keepdims`` as numpy spells them."""
        return Tensor._wrap(
            np.argmin(
                self._value, axis=dim if axis is None else axis, keepdims=keepdim if keepdims is None else keepdims
            )
        )

    def norm(self, p=2, dim=None, keepdim=False):
        """The ``p``-norm over ``dim`` (the whole Tensor flattened by default)."""
        x = self if dim is not None or self.ndim <= 1 else self.reshape(-1)
        return _record(np.linalg.norm, (x,), {"ord": None if p == 2 else p, "axis": dim, "keepdims": keepdim})


def scaled_other(other, alpha, method):
    """``alpha * other`` for ``add``/``sub``; PyTorch's deprecated order ``(alpha, other)`` is read as it
    reads it, with its warning (old scripts write ``p.data.add_(-lr, p.grad)``)."""
    if isinstance(alpha, Tensor) and isinstance(other, numbers.Number):
        warnings.warn(
            f"This overload of {method} is deprecated:\n\t{method}(Number alpha, Tensor other)\n"
            f"Consider using one of the following signatures instead:\n\t{method}(Tensor other, *, "
            "Number alpha)",
            UserWarning,
            stacklevel=3,
        )
        other, alpha = alpha, other
    return other if alpha == 1 else other * alpha


def _axis_kwargs(dim, keepdim, **extra):
    kwargs = dict(extra)
    if dim is not None:
        kwargs["axis"] = tuple(dim) if isinstance(dim, list) else dim
    if keepdim:
        kwargs["keepdims"] = True
    return kwargs


def _reduction(func, t, dim, keepdim, args, axis, keepdims, dtype, out):
    """``t.sum/mean/prod`` read with PyTorch's signature ``(dim, keepdim, *, dtype)`` or numpy's
    ``(axis, dtype, out, keepdims)``: a second positional argument that is not a bool is numpy's dtype."""
    name = func.__name__
    if not isinstance(keepdim, (bool, np.bool_)):
        if isinstance(keepdim, numbers.Number):
            raise TypeError(
                f"Tensor.{name}'s second argument is keepdim (a bool, PyTorch's) or dtype (numpy's), not {keepdim!r}"
            )
        if dtype is not None:
            raise TypeError(f"Tensor.{name} got dtype twice (second argument {keepdim!r} and dtype={dtype!r})")
        dtype, keepdim = keepdim, False
        if len(args) > 2:
            raise TypeError(
                f"Tensor.{name} takes at most 4 positional arguments (axis, dtype, out, keepdims), got {2 + len(args)}"
            )
        if args:
            out = args[0]
        if len(args) > 1:
            keepdims = args[1]
    elif args:
        raise TypeError(
            f"Tensor.{name} takes (dim, keepdim) positionally, or numpy's (axis, dtype, out, keepdims) "
            f"with a dtype second; got {2 + len(args)} positional arguments with keepdim={keepdim!r}"
        )
    if out is not None:
        raise TypeError(
            f"Tensor.{name} does not write into out= (a Tensor method returns a new Tensor); "
            f"call np.{name}(x, ..., out=...) or assign the result"
        )
    return _reduce(func, t if dtype is None else t.type(dtype), dim, keepdim, axis, keepdims)


def _reduce(func, t, dim, keepdim, axis, keepdims):
    if axis is not None:
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return _record(func, (t,), _axis_kwargs(dim, keepdim))


class ValuesIndices(tuple):
    """``(values, indices)`` as PyTorch's ``max(dim)`` returns it."""

    __slots__ = ()

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]


def _moment(func, t, dim, unbiased, keepdim, correction, axis, ddof, keepdims):
    """``np.var``/``np.std`` of ``t`` with the divisor ``n - ddof`` the call asked for (see ``Tensor.var``)."""
    name = func.__name__
    for flag, what in ((unbiased, "unbiased"), (keepdim, "keepdim")):
        if flag is not None and not isinstance(flag, (bool, np.bool_)):
            raise TypeError(
                f"Tensor.{name}(): {what} must be a bool, not {type(flag).__name__} (numpy's "
                "dtype and out are keywords: dtype=..., out=...)"
            )
    if dim is not None and axis is not None:
        raise TypeError(f"Tensor.{name}() takes dim or axis, not both")
    given = [k for k, v in (("unbiased", unbiased), ("correction", correction), ("ddof", ddof)) if v is not None]
    if len(given) > 1:
        raise TypeError(f"Tensor.{name}() takes one of unbiased, correction and ddof, not {' and '.join(given)}")
    if ddof is not None or correction is not None:  # axis= settles nothing: PyTorch takes it as dim=
        ddof = ddof if ddof is not None else correction
    elif unbiased is not None:
        ddof = 1 if unbiased else 0
    else:
        meaning = _resolve_meaning(
            f"x.{name}()",
            f"x.{name}(ddof=0) or np.{name}(x)",
            f"x.{name}(correction=1)",
            "numpy divides by n, PyTorch by n - 1",
        )
        ddof = 0 if meaning == "numpy" else 1
    keep = bool(keepdim) if keepdim is not None else bool(keepdims)
    return _record(func, (t,), _axis_kwargs(dim if axis is None else axis, keep, ddof=ddof))


def _extreme(name, func, argfunc, elementwise, t, args, dim, keepdim, axis, keepdims):
    """``Tensor.max``/``min``: the meaning the call asks for (see ``Tensor.max``).

    PyTorch takes ``axis=`` and ``keepdims=`` as other names of ``dim`` and
    ``keepdim``, so only ``dim=`` (PyTorch's), several axes (numpy's) or a
    chosen meaning settle what ``x.max(0)`` or ``x.max(axis=0)`` returns.
    """
    if len(args) > 2:
        raise TypeError(f"Tensor.{name}() takes at most 2 positional arguments ({len(args)} given)")
    if args and isinstance(args[0], (Tensor, np.ndarray)):
        return _record(elementwise, (t, args[0]), {})
    torch_only = dim is not None or keepdim is not None or len(args) == 2  # numpy has no dim=, keepdim
    if len(args) == 2:
        if not isinstance(args[1], (bool, np.bool_)):
            raise TypeError(f"Tensor.{name}(): keepdim must be a bool (numpy's out is not supported)")
        keepdim = args[1]
    given = [a for a in (args[0] if args else None, dim, axis) if a is not None]
    if len(given) > 1:
        raise TypeError(f"Tensor.{name}() got its dimension more than once")
    keep = bool(keepdim) or bool(keepdims)
    if not given:
        return _record(func, (t,), _axis_kwargs(None, keep))  # over everything: the same in both
    along = given[0]
    if isinstance(along, (tuple, list)):  # several axes: numpy's only
        return _reduce(func, t, tuple(along), keep, None, None)
    if not torch_only:
        meaning = _resolve_meaning(
            f"x.{name}({along!r})",
            f"np.{name}(x, {along!r})",
            f"x.{name}(dim={along!r})",
            f"numpy gives the {name}ima, PyTorch (values, indices); PyTorch takes axis= as another name of dim=",
        )
        if meaning == "numpy":
            return _reduce(func, t, along, keep, None, None)
    return _minmax(func, argfunc, t, along, keep)


def _minmax(func, argfunc, t, dim, keepdim):
    """``max``/``min``: over everything, ties share the gradient (``amax``); over ``dim``, the
    gradient goes to the returned index only, as in PyTorch."""
    if dim is None:
        return _record(func, (t,), {})
    index = argfunc(t._value, axis=dim, keepdims=True)
    values = _record(np.take_along_axis, (t, index), {"axis": dim})
    if not keepdim:
        values = _record(np.squeeze, (values,), {"axis": dim})
        index = np.squeeze(index, axis=dim)
    return ValuesIndices((values, Tensor._wrap(index)))
