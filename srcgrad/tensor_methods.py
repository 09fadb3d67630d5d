"""Tensor's shape, indexing and selection methods and the rest of PyTorch's everyday methods."""

import numbers
import operator

import numpy as np

from . import meanings as _meanings
from . import rules as _rules
from . import shape_errors as _shapes
from .autograd.grad_mode import grad_state as _state
from .autograd.graph import RuleNode
from .device import CPU as _CPU
from .errors import AutogradError
from .generator import default_generator as _default_generator
from .meanings import resolve as _resolve_meaning
from .recording import record as _record
from .recording import record_fast as _record_fast
from .tensor_math import ValuesIndices

__all__ = ["TensorMethods"]

Tensor = None
"""The Tensor class; ``srcgrad.tensor`` binds it once the class exists (this module is
below ``tensor.py`` and does not import it: imports stay one-way)."""


class TensorMethods:
    """Tensor's shape, indexing, selection and the rest of PyTorch's everyday methods.

    A base of ``Tensor`` (which holds the data); its methods record through ``srcgrad.recording``.
    """

    __slots__ = ()

    def reshape(self, *shape, order="C"):
        """The same values in a new shape (``-1`` infers one length); ``order`` as numpy's (``"F"``: column-major)."""
        return _record(np.reshape, (self, _shape_arg(shape)), {} if order == "C" else {"order": order})

    def view(self, *shape):
        """The same values in a new shape (``-1`` infers one length); with a dtype, the same bytes read
        as that dtype (numpy's ``x.view(np.int64)`` and PyTorch's ``x.view(torch.int64)`` alike).

        Raises:
            AutogradError: a dtype view of a Tensor that requires grad (it has no gradient).
        """
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer, tuple, list)) and shape[0] is not None:
            dtype = np.dtype(shape[0])
            if self.requires_grad and _state.enabled:
                raise AutogradError(
                    f"x.view({dtype}) reads the same bytes as another dtype, which has no gradient: .detach() first"
                )
            t = Tensor._wrap(self._value.view(dtype))
            t._vc = self._vc
            return t
        return self.reshape(*shape)

    def view_as(self, other):
        """Reshape to ``other``'s shape."""
        return self.reshape(other.shape)

    def reshape_as(self, other):
        """Reshape to ``other``'s shape."""
        return self.reshape(other.shape)

    def flatten(self, start_dim=None, end_dim=-1, *, order=None):
        """Merge dimensions ``start_dim..end_dim`` into one (PyTorch's); with no dimensions, a 1-D copy.

        ``x.flatten()`` and numpy's ``x.flatten(order)`` return a copy, as numpy promises; under PyTorch's
        meanings (``meanings.pytorch_here``) ``x.flatten()`` is a reshape, a view where PyTorch's is one.
        """
        if isinstance(start_dim, str) or order is not None:
            order = start_dim if isinstance(start_dim, str) else order
            return _record(np.copy, (_record(np.ravel, (self,), {"order": order}),), {})
        if start_dim is None:
            if end_dim == -1 and not _meanings.pytorch_here():
                return _record(np.copy, (self.reshape(-1),), {})
            start_dim = 0
        shape = self.shape
        if not shape:
            return self.reshape(1)
        start = start_dim % len(shape)
        end = end_dim % len(shape)
        if start == end:
            return self
        merged = int(np.prod(shape[start : end + 1]))
        return self.reshape(shape[:start] + (merged,) + shape[end + 1 :])

    def transpose(self, *dims, axes=None, dim0=None, dim1=None):
        """Swap two dimensions (PyTorch's ``x.transpose(0, 2)``), or permute them all (numpy's
        ``x.transpose()``, ``x.transpose((1, 0, 2))``, ``x.transpose(1, 0, 2)``).

        Two dimensions of a matrix that numpy would read as the identity permutation
        (``x.transpose(0, 1)``, which PyTorch reads as a swap) are ambiguous: ``AmbiguousMethodError``
        unless ``set_method_meanings`` chose a meaning; write ``x.T`` or ``x.swapaxes(0, 1)``.
        """
        if dim0 is not None or dim1 is not None:
            return _record(
                np.swapaxes, (self, dims[0] if dim0 is None else dim0, dim1 if dim1 is not None else dims[-1]), {}
            )
        if axes is not None or len(dims) == 1:
            return _record(np.transpose, (self, tuple(axes if axes is not None else _shape_arg(dims))), {})
        if not dims:
            return _record(np.transpose, (self,), {})
        if len(dims) != 2:
            return _record(np.transpose, (self, dims), {})
        a, b = (operator.index(d) for d in dims)
        if self.ndim == 2 and a % 2 == 0 and b % 2 == 1:  # numpy: (0, 1) is the identity; PyTorch: a swap
            meaning = _resolve_meaning(
                f"x.transpose({a}, {b}) of a matrix",
                "x (it is the identity)",
                "x.T or x.swapaxes(0, 1)",
                "numpy: the identity permutation, PyTorch: swap the two axes",
            )
            if meaning == "numpy":
                return _record(np.transpose, (self, (0, 1)), {})
        return _record(np.swapaxes, (self, a, b), {})

    def take(self, index):
        """The values at ``index`` of the flattened Tensor (a Tensor of ``index``'s shape)."""
        index = index._value if isinstance(index, Tensor) else np.asarray(index)
        return _record(np.take, (self, index), {})

    def t(self):
        """Transpose a Tensor of at most 2 dimensions (recorded as PyTorch's ``TBackward0``).

        Raises:
            RuntimeError: the Tensor has more than 2 dimensions.
        """
        if self._value.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self._value.ndim}D")
        return _record_fast(_rules.transpose2d, self)

    def permute(self, *dims):
        """Reorder the dimensions."""
        return _record(np.transpose, (self, _shape_arg(dims)), {})

    def squeeze(self, dim=None):
        """Drop dimensions of length 1 (only those in ``dim``, an int or a tuple, when given)."""
        if dim is None:
            return _record(np.squeeze, (self,), {})
        dims = tuple(d % self.ndim for d in (dim if isinstance(dim, (tuple, list)) else (dim,)) if self.ndim)
        dims = tuple(d for d in dims if self.shape[d] == 1)
        return _record(np.squeeze, (self,), {"axis": dims}) if dims else self

    def unsqueeze(self, dim):
        """Insert a dimension of length 1 at ``dim``."""
        return _record(np.expand_dims, (self, dim), {})

    def expand(self, *sizes):
        """Broadcast to ``sizes`` (``-1`` keeps a length)."""
        sizes = _shape_arg(sizes)
        lead = len(sizes) - self.ndim
        shape = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
        return _record(np.broadcast_to, (self, shape), {})

    def expand_as(self, other):
        """Broadcast to ``other``'s shape."""
        return self.expand(*other.shape)

    def repeat(self, *sizes, axis=None, repeats=None):
        """Tile the Tensor ``sizes`` times along each dimension (PyTorch's), or repeat each element
        (numpy's ``x.repeat(repeats, axis=None)``).

        A call both libraries accept (``x.repeat(2)`` of a vector, ``x.repeat(2, 1)`` of a matrix) is
        ambiguous: ``AmbiguousMethodError`` unless ``set_method_meanings`` chose a meaning; write
        ``np.repeat(x, ...)``/``x.repeat_interleave`` or ``np.tile(x, ...)``/``x.tile``.
        """
        if repeats is not None or axis is not None:
            if repeats is None:
                repeats, sizes = sizes[0], sizes[1:]
            return _repeat_numpy(self, repeats, axis if axis is not None else (sizes[0] if sizes else None))
        if _tile_ok(sizes, self.ndim) and _numpy_repeat_ok(sizes, self.ndim) and self.ndim:
            meaning = _resolve_meaning(
                f"x.repeat{tuple(sizes)!r}",
                "np.repeat(x, ...) or x.repeat(n, axis=...)",
                "x.tile(...) or np.tile(x, ...)",
                "numpy repeats each element, PyTorch tiles the whole Tensor",
            )
            if meaning == "numpy":
                return _repeat_numpy(self, sizes[0], sizes[1] if len(sizes) > 1 else None)
        elif _numpy_repeat_ok(sizes, self.ndim) and not _tile_ok(sizes, self.ndim):
            return _repeat_numpy(self, sizes[0], sizes[1] if len(sizes) > 1 else None)
        return _record(np.tile, (self, _shape_arg(sizes)), {})

    def tile(self, *dims):
        """Tile the Tensor ``dims`` times along each dimension (``np.tile``)."""
        return _record(np.tile, (self, _shape_arg(dims)), {})

    def flip(self, dims):
        """A copy reversed along ``dims`` (a copy, as PyTorch's; ``np.flip`` gives a view)."""
        flipped = _record(np.flip, (self,), {"axis": tuple(dims) if isinstance(dims, (list, tuple)) else dims})
        if np.may_share_memory(flipped._value, self._value):  # storage of its own, a fresh version counter
            flipped._value = flipped._value.copy()
            flipped._base = None
            flipped._vc = [0]
            if isinstance(flipped.grad_fn, RuleNode) and flipped.grad_fn.out_vc is not None:
                flipped.grad_fn.ans = flipped._value
                flipped.grad_fn.out_vc = flipped._vc
                flipped.grad_fn.out_version = 0
        return flipped

    def softmax(self, dim):
        """Softmax along ``dim``."""
        return _rules.softmax(self, axis=dim)

    def log_softmax(self, dim):
        """Log-softmax along ``dim``."""
        return _rules.log_softmax(self, axis=dim)

    def logsumexp(self, dim, keepdim=False):
        """``log(sum(exp(x)))`` along ``dim``, computed stably."""
        return _rules.logsumexp(self, axis=dim, keepdims=keepdim)

    def square(self):
        """Elementwise square."""
        return _record_fast(np.square, self)

    def log1p(self):
        """Elementwise ``log(1 + x)``."""
        return _record_fast(np.log1p, self)

    def expm1(self):
        """Elementwise ``exp(x) - 1``."""
        return _record_fast(np.expm1, self)

    def log2(self):
        """Elementwise base-2 logarithm."""
        return _record_fast(np.log2, self)

    def log10(self):
        """Elementwise base-10 logarithm."""
        return _record_fast(np.log10, self)

    def tan(self):
        """Elementwise tangent."""
        return _record_fast(np.tan, self)

    def sinh(self):
        """Elementwise hyperbolic sine."""
        return _record_fast(np.sinh, self)

    def cosh(self):
        """Elementwise hyperbolic cosine."""
        return _record_fast(np.cosh, self)

    def reciprocal(self):
        """Elementwise ``1 / x``."""
        return _record_fast(np.reciprocal, self)

    def rsqrt(self):
        """Elementwise ``1 / sqrt(x)``."""
        return _record_fast(np.reciprocal, _record_fast(np.sqrt, self))

    def sign(self):
        """Elementwise sign (zero gradient)."""
        return _record_fast(np.sign, self)

    def floor(self):
        """Elementwise floor (zero gradient)."""
        return _record_fast(np.floor, self)

    def ceil(self):
        """Elementwise ceiling (zero gradient)."""
        return _record_fast(np.ceil, self)

    def round(self, decimals=0):
        """Round to ``decimals`` places (zero gradient)."""
        return _record(np.round, (self, decimals), {})

    def maximum(self, other):
        """Elementwise maximum."""
        return _record_fast(np.maximum, self, other)

    def minimum(self, other):
        """Elementwise minimum."""
        return _record_fast(np.minimum, self, other)

    def cumsum(self, dim=None, *, axis=None):
        """Cumulative sum along ``dim`` (``axis`` as numpy spells it)."""
        return _record(np.cumsum, (self,), {"axis": dim if axis is None else axis})

    def ravel(self, order="C"):
        """The values as a 1-D Tensor (numpy's name for ``flatten``); ``order`` as numpy's."""
        return _record(np.ravel, (self,), {} if order == "C" else {"order": order})

    def swapaxes(self, axis1, axis2):
        """Swap two dimensions (numpy's name for ``transpose(dim0, dim1)``)."""
        return _record(np.swapaxes, (self, axis1, axis2), {})

    def tril(self, diagonal=0):
        """The lower triangle."""
        return _record(np.tril, (self, diagonal), {})

    def triu(self, diagonal=0):
        """The upper triangle."""
        return _record(np.triu, (self, diagonal), {})

    def trace(self):
        """Sum of the diagonal."""
        return _record(np.trace, (self,), {})

    def bmm(self, other):
        """Batched matrix product of ``(b, n, m)`` and ``(b, m, p)``."""
        _shapes.raise_if(_shapes.bmm_message(self.shape, np.shape(other)))
        return self @ other

    def outer(self, other):
        """Outer product of two vectors."""
        return _record(np.outer, (self, other), {})

    def where(self, condition, other):
        """``self`` where ``condition`` holds, else ``other``."""
        cond = condition._value if isinstance(condition, Tensor) else condition
        return _record(np.where, (cond, self, other), {})

    def gather(self, dim, index):
        """Values at ``index`` along ``dim`` (``index`` has the output's shape)."""
        index = index._value if isinstance(index, Tensor) else np.asarray(index)
        return _record(np.take_along_axis, (self, index), {"axis": dim})

    def index_select(self, dim, index):
        """The slices at ``index`` along ``dim``."""
        index = index._value if isinstance(index, Tensor) else np.asarray(index)
        return _record(np.take, (self, index), {"axis": dim})

    def split(self, split_size_or_sections, dim=0):
        """Pieces of ``split_size`` along ``dim`` (the last may be shorter), or of the given sizes."""
        n = self.shape[dim]
        if isinstance(split_size_or_sections, numbers.Integral):
            sizes = [split_size_or_sections] * (n // split_size_or_sections)
            if n % split_size_or_sections:
                sizes.append(n % split_size_or_sections)
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != n:
                raise ValueError(f"split sizes {sizes} do not add up to the length {n} of dimension {dim}")
        bounds = np.cumsum(sizes)[:-1].tolist()
        return tuple(np.split(self, bounds, axis=dim))

    def chunk(self, chunks, dim=0):
        """``chunks`` pieces along ``dim``, each of ``ceil(n / chunks)`` but perhaps the last."""
        n = self.shape[dim]
        size = -(-n // chunks)
        return self.split(size, dim)

    def uniform_(self, a=0.0, b=1.0, generator=None):
        """Fill in place with samples of U(a, b) from srcgrad's generator."""
        rng = (generator or _default_generator).rng
        self._check_inplace()
        return self._fill_with(rng.uniform(a, b, self.shape))

    def normal_(self, mean=0.0, std=1.0, generator=None):
        """Fill in place with samples of N(mean, std^2) from srcgrad's generator."""
        rng = (generator or _default_generator).rng
        self._check_inplace()
        return self._fill_with(rng.normal(mean, std, self.shape))

    def _fill_with(self, values):
        self._write(np.asarray(values, dtype=self._value.dtype))
        if _state.enabled and self.grad_fn is not None:
            self.grad_fn = None
            self.requires_grad = False
        return self

    def new_zeros(self, *size):
        """Zeros of this Tensor's dtype."""
        return Tensor._wrap(np.zeros(_shape_arg(size), dtype=self._value.dtype))

    def new_ones(self, *size):
        """Ones of this Tensor's dtype."""
        return Tensor._wrap(np.ones(_shape_arg(size), dtype=self._value.dtype))

    def new_tensor(self, data):
        """A new Tensor of this Tensor's dtype."""
        return Tensor._wrap(np.array(data, dtype=self._value.dtype))

    def is_floating_point(self):
        """True for float dtypes."""
        return self._value.dtype.kind == "f"

    @property
    def device(self):
        """``srcgrad.device("cpu")``: srcgrad computes on the CPU."""
        return _CPU

    @property
    def is_cuda(self):
        """False: srcgrad computes on the CPU."""
        return False

    def get_device(self):
        """-1, PyTorch's number for the CPU."""
        return -1

    # -- comparisons, selection and the rest of PyTorch's everyday methods ----------------

    def eq(self, other):
        """Elementwise ``==`` (a bool Tensor)."""
        return self == other

    def ne(self, other):
        """Elementwise ``!=``."""
        return self != other

    def lt(self, other):
        """Elementwise ``<``."""
        return self < other

    def le(self, other):
        """Elementwise ``<=``."""
        return self <= other

    def gt(self, other):
        """Elementwise ``>``."""
        return self > other

    def ge(self, other):
        """Elementwise ``>=``."""
        return self >= other

    def logical_and(self, other):
        """Elementwise logical and."""
        return _record_fast(np.logical_and, self, other)

    def logical_or(self, other):
        """Elementwise logical or."""
        return _record_fast(np.logical_or, self, other)

    def logical_not(self):
        """Elementwise logical not."""
        return _record_fast(np.logical_not, self)

    def isnan(self):
        """Where the values are NaN."""
        return _record_fast(np.isnan, self)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """Elementwise closeness (a bool Tensor)."""
        other = other._value if isinstance(other, Tensor) else other
        return Tensor._wrap(np.isclose(self._value, other, rtol=rtol, atol=atol, equal_nan=equal_nan))

    def any(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Whether any value is true (over ``dim``/``axis``)."""
        return Tensor._wrap(
            np.any(self._value, axis=dim if axis is None else axis, keepdims=keepdim if keepdims is None else keepdims)
        )

    def all(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Whether all values are true (over ``dim``/``axis``)."""
        return Tensor._wrap(
            np.all(self._value, axis=dim if axis is None else axis, keepdims=keepdim if keepdims is None else keepdims)
        )

    def nonzero(self, *, as_tuple=None):
        """Indices of the non-zero values: with ``as_tuple=True`` a tuple of index Tensors (numpy's
        ``x.nonzero()``), with ``as_tuple=False`` an ``(n, ndim)`` int64 Tensor (PyTorch's ``x.nonzero()``).

        Without ``as_tuple`` the call is ambiguous: ``AmbiguousMethodError`` unless
        ``set_method_meanings`` chose a meaning.
        """
        if as_tuple is None:
            as_tuple = (
                _resolve_meaning(
                    "x.nonzero()",
                    "x.nonzero(as_tuple=True) or np.nonzero(x)",
                    "x.nonzero(as_tuple=False)",
                    "numpy: a tuple of index arrays, PyTorch: an (n, ndim) matrix",
                )
                == "numpy"
            )
        found = np.nonzero(self._value)
        if as_tuple:
            return tuple(Tensor._wrap(i) for i in found)
        return Tensor._wrap(np.stack(found, axis=1).astype(np.int64))

    def fmod(self, other):
        """Remainder with the sign of the dividend (C's ``fmod``)."""
        return _record_fast(np.fmod, self, other)

    def cumprod(self, dim=None, *, axis=None):
        """Cumulative product along ``dim`` (``axis`` as numpy spells it; neither: the flattened Tensor)."""
        return _record(np.cumprod, (self,), {"axis": dim if axis is None else axis})

    def sort(self, *args, dim=None, descending=None, stable=None, axis=None, kind=None, order=None):
        """``(values, indices)`` sorted along ``dim`` (PyTorch's), or sort in place and return None
        (numpy's ``x.sort(axis, kind=...)``); the gradient follows the values to their places.

        ``x.sort()``, ``x.sort(0)`` and ``x.sort(axis=0)`` (PyTorch takes ``axis=`` as ``dim=``) are
        ambiguous: ``AmbiguousMethodError`` unless ``set_method_meanings`` chose a meaning.
        """
        if len(args) > 1 and isinstance(args[1], str):
            kind = args[1]
        elif len(args) > 1:
            descending = args[1]
        along = args[0] if args else dim if dim is not None else axis if axis is not None else -1
        if kind is not None or order is not None:
            meaning = "numpy"
        elif dim is not None or descending is not None:
            meaning = "pytorch"
        else:
            meaning = _resolve_meaning(
                "x.sort()",
                "x.sort(kind='stable') (in place) or np.sort(x)",
                "x.sort(dim=-1)",
                "numpy sorts in place and returns None, PyTorch returns (values, indices); PyTorch takes axis= as dim=",
            )
        if order is not None:
            raise TypeError("Tensor.sort(order=...) sorts structured arrays, which a Tensor never holds")
        if meaning == "numpy":
            self._inplace(np.take_along_axis, np.argsort(self._value, axis=along, kind="stable"), axis=along)
            return None
        index = np.argsort(-self._value if descending else self._value, axis=along, kind="stable")
        return ValuesIndices((_record(np.take_along_axis, (self, index), {"axis": along}), Tensor._wrap(index)))

    def argsort(self, dim=-1, descending=False, stable=False, *, axis=None, kind=None):
        """The indices that sort along ``dim`` (``axis`` as numpy spells it); ties keep their order."""
        return self.sort(dim=dim if axis is None else axis, descending=bool(descending))[1]

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """``(values, indices)`` of the ``k`` largest (or smallest) values along ``dim``."""
        index = np.argsort(-self._value if largest else self._value, axis=dim, kind="stable")
        index = np.take(index, np.arange(k), axis=dim)
        return ValuesIndices((_record(np.take_along_axis, (self, index), {"axis": dim}), Tensor._wrap(index)))

    def unbind(self, dim=0):
        """The slices along ``dim``, as a tuple."""
        return tuple(self.select(dim, i) for i in range(self.shape[dim]))

    def select(self, dim, index):
        """The slice at ``index`` along ``dim`` (that dimension removed)."""
        return self[(slice(None),) * (dim % self.ndim) + (index,)]

    def narrow(self, dim, start, length):
        """The slice ``start:start + length`` along ``dim``."""
        return self[(slice(None),) * (dim % self.ndim) + (slice(start, start + length),)]

    def movedim(self, source, destination):
        """Move dimensions to new places."""
        return _record(np.moveaxis, (self, source, destination), {})

    def roll(self, shifts, dims=None):
        """Shift values cyclically along ``dims``."""
        return _record(np.roll, (self, shifts), {"axis": dims})

    def diagonal(self, offset=0, dim1=0, dim2=1):
        """The diagonal of the plane ``(dim1, dim2)``."""
        return _record(np.diagonal, (self, offset, dim1, dim2), {})

    def diag(self, diagonal=0):
        """The diagonal of a matrix, or the matrix of a vector."""
        return _record(np.diag, (self, diagonal), {})

    def repeat_interleave(self, repeats, dim=None):
        """Repeat each value ``repeats`` times (the Tensor flattened when ``dim`` is None)."""
        repeats = repeats._value if isinstance(repeats, Tensor) else repeats
        return _record(np.repeat, (self, repeats), {"axis": dim})

    def masked_select(self, mask):
        """The values where ``mask`` is true, as a 1-D Tensor."""
        mask = mask._value if isinstance(mask, Tensor) else np.asarray(mask)
        return self[np.broadcast_to(mask, self.shape)]

    def type_as(self, other):
        """Cast to ``other``'s dtype."""
        return self.type(other.dtype)

    def new_full(self, size, fill_value):
        """``fill_value`` in ``size``, of this Tensor's dtype."""
        return Tensor._wrap(np.full(tuple(size), fill_value, dtype=self._value.dtype))

    def new_empty(self, *size):
        """A Tensor of ``size`` and this Tensor's dtype (zero-filled)."""
        return self.new_zeros(*size)

    def addmm(self, mat1, mat2, beta=1, alpha=1):
        """``beta * self + alpha * (mat1 @ mat2)``."""
        product = mat1 @ mat2 if isinstance(mat1, Tensor) else Tensor._wrap(np.asarray(mat1)) @ mat2
        return (self if beta == 1 else self * beta) + (product if alpha == 1 else product * alpha)

    def exp_(self):
        """In place ``exp``."""
        return self._inplace(np.exp)

    def log_(self):
        """In place ``log``."""
        return self._inplace(np.log)

    def sqrt_(self):
        """In place ``sqrt``."""
        return self._inplace(np.sqrt)

    def abs_(self):
        """In place ``abs``."""
        return self._inplace(np.absolute)

    def tanh_(self):
        """In place ``tanh``."""
        return self._inplace(np.tanh)

    def sigmoid_(self):
        """In place ``sigmoid``."""
        return self._inplace(_rules.sigmoid)

    def relu_(self):
        """In place ``relu``."""
        return self._inplace(_rules.relu)

    def masked_fill_(self, mask, value):
        """In place: ``value`` where ``mask`` is true."""
        mask = mask._value if isinstance(mask, Tensor) else np.asarray(mask)
        self[np.broadcast_to(mask, self.shape)] = value
        return self

    def addcmul_(self, tensor1, tensor2, value=1):
        """In place ``self += value * tensor1 * tensor2``."""
        return self.add_(tensor1 * tensor2 * value)

    def addcdiv_(self, tensor1, tensor2, value=1):
        """In place ``self += value * tensor1 / tensor2``."""
        return self.add_(tensor1 / tensor2 * value)

    def lerp_(self, end, weight):
        """In place ``self += weight * (end - self)``."""
        return self.add_((end - self) * weight)

    def masked_fill(self, mask, value):
        """A copy with ``value`` where ``mask`` is true."""
        mask = mask._value if isinstance(mask, Tensor) else mask
        return _record(np.where, (mask, value, self), {})


def _tile_ok(sizes, ndim):
    """Whether PyTorch's ``x.repeat(*sizes)`` accepts ``sizes`` for a Tensor of ``ndim`` dimensions."""
    sizes = _shape_arg(sizes)
    return len(sizes) >= max(ndim, 1) and all(isinstance(n, (int, np.integer)) and n >= 0 for n in sizes)


def _numpy_repeat_ok(sizes, ndim):
    """Whether numpy's ``x.repeat(repeats[, axis])`` accepts ``sizes`` as its arguments."""
    if not 1 <= len(sizes) <= 2:
        return False
    if len(sizes) == 2:
        axis = sizes[1]
        if not isinstance(axis, (int, np.integer)) or not -max(ndim, 1) <= axis < max(ndim, 1):
            return False
    return True


def _repeat_numpy(t, repeats, axis):
    repeats = repeats._value if isinstance(repeats, Tensor) else repeats
    return _record(np.repeat, (t, repeats), {} if axis is None else {"axis": axis})


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)
