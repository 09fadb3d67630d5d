"""PyTorch's free functions (``srcgrad.sin(t)``, ``srcgrad.cat([a, b], dim=0)``, ...).

Each is a thin translation to the numpy function whose rule the tape records,
with PyTorch's argument names (``input``, ``dim``, ``keepdim``). They accept
Tensors, ndarrays and numbers and return Tensors. (``srcgrad.sigmoid``,
``relu``, ``softplus``, ``softmax``, ``log_softmax`` and ``logsumexp`` are the
rule table's primitives themselves, numpy-style with ``axis``, so they work in
plain numpy functions in both modes; Tensors also have ``.softmax(dim)`` etc.)
"""

import numpy as np

from .tensor import Tensor

__all__ = [
    "abs",
    "add",
    "atan2",
    "cdist",
    "sort",
    "topk",
    "unbind",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "bmm",
    "cat",
    "ceil",
    "chunk",
    "clamp",
    "clip",
    "concat",
    "cos",
    "cosh",
    "cumsum",
    "diag",
    "div",
    "dot",
    "einsum",
    "exp",
    "expm1",
    "flatten",
    "flip",
    "floor",
    "gather",
    "index_select",
    "is_tensor",
    "isfinite",
    "isnan",
    "log",
    "log10",
    "log1p",
    "log2",
    "masked_fill",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mm",
    "mul",
    "mv",
    "neg",
    "norm",
    "numel",
    "outer",
    "permute",
    "pow",
    "prod",
    "reciprocal",
    "reshape",
    "round",
    "rsqrt",
    "sign",
    "sin",
    "sinh",
    "split",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "std",
    "sub",
    "sum",
    "t",
    "tan",
    "tanh",
    "trace",
    "transpose",
    "tril",
    "triu",
    "unsqueeze",
    "var",
    "where",
    "allclose",
    "equal",
    "roll",
    "narrow",
    "argsort",
    "cumprod",
    "masked_select",
    "logical_not",
    "logical_and",
    "logical_or",
]

_builtin_abs = abs
_builtin_max = max
_builtin_min = min
_builtin_round = round


def _t(x):
    return x if isinstance(x, Tensor) else Tensor._wrap(np.asarray(x))


def is_tensor(obj):
    """True when ``obj`` is a srcgrad Tensor."""
    return isinstance(obj, Tensor)


def numel(input):
    """The number of elements."""
    return _t(input).numel()


def _unary(name, func):
    def op(input):
        return np.__dict__[func](_t(input)) if isinstance(func, str) else func(_t(input))

    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}`` (recorded as ``np.{func if isinstance(func, str) else func.__name__}``)."
    return op


abs = _unary("abs", "absolute")
sin = _unary("sin", "sin")
cos = _unary("cos", "cos")
tan = _unary("tan", "tan")
sinh = _unary("sinh", "sinh")
cosh = _unary("cosh", "cosh")
tanh = _unary("tanh", "tanh")
exp = _unary("exp", "exp")
expm1 = _unary("expm1", "expm1")
log = _unary("log", "log")
log1p = _unary("log1p", "log1p")
log2 = _unary("log2", "log2")
log10 = _unary("log10", "log10")
sqrt = _unary("sqrt", "sqrt")
square = _unary("square", "square")
reciprocal = _unary("reciprocal", "reciprocal")
neg = _unary("neg", "negative")
sign = _unary("sign", "sign")
floor = _unary("floor", "floor")
ceil = _unary("ceil", "ceil")
isnan = _unary("isnan", "isnan")
isfinite = _unary("isfinite", "isfinite")


def round(input, decimals=0):
    """Round to ``decimals`` places (zero gradient)."""
    return np.round(_t(input), decimals)


def rsqrt(input):
    """``1 / sqrt(input)``."""
    return np.reciprocal(np.sqrt(_t(input)))


def add(input, other, alpha=1):
    """``input + alpha * other``."""
    return _t(input) + (other if alpha == 1 else other * alpha)


def sub(input, other, alpha=1):
    """``input - alpha * other``."""
    return _t(input) - (other if alpha == 1 else other * alpha)


def mul(input, other):
    """``input * other``."""
    return _t(input) * other


def div(input, other):
    """``input / other``."""
    return _t(input) / other


def pow(input, exponent):
    """``input ** exponent``."""
    return _t(input) ** exponent


def maximum(input, other):
    """Elementwise maximum (a tie splits the gradient evenly)."""
    return np.maximum(_t(input), other)


def minimum(input, other):
    """Elementwise minimum (a tie splits the gradient evenly)."""
    return np.minimum(_t(input), other)


def clamp(input, min=None, max=None):
    """Clamp into ``[min, max]``."""
    return _t(input).clamp(min, max)


clip = clamp


def where(condition, input, other):
    """``input`` where ``condition`` holds, else ``other``."""
    cond = condition._value if isinstance(condition, Tensor) else np.asarray(condition)
    return np.where(cond, _t(input), other)


def sum(input, dim=None, keepdim=False):
    """Sum over ``dim`` (all dimensions by default)."""
    return _t(input).sum(dim, keepdim)


def mean(input, dim=None, keepdim=False):
    """Mean over ``dim``."""
    return _t(input).mean(dim, keepdim)


def prod(input, dim=None, keepdim=False):
    """Product over ``dim``."""
    return _t(input).prod(dim, keepdim)


def std(input, dim=None, unbiased=True, keepdim=False, correction=None):
    """Standard deviation (unbiased by default, PyTorch's ``torch.std``; numpy's is ``np.std``)."""
    return _t(input).std(dim, keepdim=keepdim, **_divisor(unbiased, correction))


def var(input, dim=None, unbiased=True, keepdim=False, correction=None):
    """Variance (unbiased by default, PyTorch's ``torch.var``; numpy's is ``np.var``)."""
    return _t(input).var(dim, keepdim=keepdim, **_divisor(unbiased, correction))


def _divisor(unbiased, correction):
    return {"correction": correction} if correction is not None else {"unbiased": bool(unbiased)}


def max(input, dim=None, keepdim=False):
    """The largest value; with ``dim``, ``(values, indices)``; with a Tensor, the elementwise maximum."""
    if isinstance(dim, (Tensor, np.ndarray)):
        return _t(input).max(dim)
    return _t(input).max(dim=dim, keepdim=keepdim)


def min(input, dim=None, keepdim=False):
    """The smallest value; with ``dim``, ``(values, indices)``; with a Tensor, the elementwise minimum."""
    if isinstance(dim, (Tensor, np.ndarray)):
        return _t(input).min(dim)
    return _t(input).min(dim=dim, keepdim=keepdim)


def amax(input, dim=None, keepdim=False):
    """The largest values over ``dim``."""
    return _t(input).amax(dim, keepdim)


def amin(input, dim=None, keepdim=False):
    """The smallest values over ``dim``."""
    return _t(input).amin(dim, keepdim)


def argmax(input, dim=None, keepdim=False):
    """Index of the largest value."""
    return _t(input).argmax(dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    """Index of the smallest value."""
    return _t(input).argmin(dim, keepdim)


def norm(input, p=2, dim=None, keepdim=False):
    """The ``p``-norm."""
    return _t(input).norm(p, dim, keepdim)


def cumsum(input, dim):
    """Cumulative sum along ``dim``."""
    return np.cumsum(_t(input), axis=dim)


def matmul(input, other):
    """Matrix product with numpy's broadcasting rules."""
    return _t(input) @ other


def mm(input, mat2):
    """Product of two matrices."""
    return _t(input).mm(mat2)


def mv(input, vec):
    """Product of a matrix and a vector."""
    return _t(input).mv(vec)


def bmm(input, mat2):
    """Batched matrix product of ``(b, n, m)`` and ``(b, m, p)``."""
    return _t(input).bmm(mat2)


def dot(input, other):
    """Dot product of two vectors."""
    return _t(input).dot(other)


def outer(input, vec2):
    """Outer product of two vectors."""
    return np.outer(_t(input), vec2)


def einsum(equation, *operands):
    """Einstein summation (``einsum("ij,jk->ik", a, b)``)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return np.einsum(equation, *[_t(o) for o in operands])


def trace(input):
    """Sum of the diagonal."""
    return np.trace(_t(input))


def diag(input, diagonal=0):
    """The diagonal of a matrix, or the matrix of a vector."""
    return np.diag(_t(input), diagonal)


def tril(input, diagonal=0):
    """The lower triangle."""
    return np.tril(_t(input), diagonal)


def triu(input, diagonal=0):
    """The upper triangle."""
    return np.triu(_t(input), diagonal)


def cat(tensors, dim=0):
    """Concatenate along ``dim``."""
    return np.concatenate([_t(t) for t in tensors], axis=dim)


concat = cat


def stack(tensors, dim=0):
    """Stack along a new dimension ``dim``."""
    return np.stack([_t(t) for t in tensors], axis=dim)


def split(tensor, split_size_or_sections, dim=0):
    """Split into pieces of ``split_size`` (the last may be shorter) or of the given sizes."""
    return _t(tensor).split(split_size_or_sections, dim)


def chunk(input, chunks, dim=0):
    """Split into ``chunks`` pieces of (almost) equal size."""
    return _t(input).chunk(chunks, dim)


def reshape(input, shape):
    """The same values in ``shape``."""
    return _t(input).reshape(shape)


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dimensions ``start_dim..end_dim``."""
    return _t(input).flatten(start_dim=start_dim, end_dim=end_dim)


def transpose(input, dim0, dim1):
    """Swap two dimensions."""
    return _t(input).swapaxes(dim0, dim1)


def t(input):
    """Transpose a matrix."""
    return _t(input).t()


def permute(input, dims):
    """Reorder dimensions."""
    return _t(input).permute(*dims)


def squeeze(input, dim=None):
    """Drop dimensions of length 1."""
    return _t(input).squeeze(dim)


def unsqueeze(input, dim):
    """Insert a dimension of length 1."""
    return _t(input).unsqueeze(dim)


def flip(input, dims):
    """Reverse along ``dims``."""
    return _t(input).flip(dims)


def gather(input, dim, index):
    """Values of ``input`` at ``index`` along ``dim``."""
    return _t(input).gather(dim, index)


def index_select(input, dim, index):
    """The slices of ``input`` at ``index`` along ``dim``."""
    return _t(input).index_select(dim, index)


def masked_fill(input, mask, value):
    """A copy with ``value`` where ``mask`` is true."""
    return _t(input).masked_fill(mask, value)


def sort(input, dim=-1, descending=False, stable=False):
    """``(values, indices)`` sorted along ``dim``."""
    return _t(input).sort(dim=dim, descending=bool(descending), stable=stable)


def topk(input, k, dim=-1, largest=True, sorted=True):
    """``(values, indices)`` of the ``k`` largest (or smallest) values along ``dim``."""
    return _t(input).topk(k, dim, largest, sorted)


def atan2(input, other):
    """Elementwise ``arctan2(input, other)``."""
    return np.arctan2(_t(input), other)


def unbind(input, dim=0):
    """The slices along ``dim``."""
    return _t(input).unbind(dim)


def cdist(x1, x2, p=2.0):
    """Pairwise ``p``-norm distances between the rows of ``x1`` (..., n, d) and ``x2`` (..., m, d)."""
    diff = _t(x1)[..., :, None, :] - _t(x2)[..., None, :, :]
    if p == 2.0:
        return np.sqrt((diff * diff).sum(-1))
    return (np.absolute(diff) ** p).sum(-1) ** (1.0 / p)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when all elements are close."""
    a = input._value if isinstance(input, Tensor) else input
    b = other._value if isinstance(other, Tensor) else other
    return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input, other):
    """True when shapes and all elements are equal."""
    a = input._value if isinstance(input, Tensor) else np.asarray(input)
    b = other._value if isinstance(other, Tensor) else np.asarray(other)
    return a.shape == b.shape and bool(np.all(a == b))


def roll(input, shifts, dims=None):
    """Shift values cyclically by ``shifts`` along ``dims`` (the flattened Tensor when ``dims`` is None)."""
    return _t(input).roll(shifts, dims)


def narrow(input, dim, start, length):
    """The slice ``start:start + length`` along ``dim``."""
    return _t(input).narrow(dim, start, length)


def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort ``input`` along ``dim``."""
    return _t(input).argsort(dim, descending, stable)


def cumprod(input, dim):
    """Cumulative product along ``dim``."""
    return _t(input).cumprod(dim)


def masked_select(input, mask):
    """The values where ``mask`` is true, as a 1-D Tensor."""
    return _t(input).masked_select(mask)


def logical_not(input):
    """Elementwise logical not."""
    return _t(input).logical_not()


def logical_and(input, other):
    """Elementwise logical and."""
    return _t(input).logical_and(other)


def logical_or(input, other):
    """Elementwise logical or."""
    return _t(input).logical_or(other)
