"""Making Tensors: ``tensor``, ``zeros``, ``randn``, ... and the default dtype and seed.

PyTorch's names and signatures. The default floating dtype is float64 (numpy's),
not PyTorch's float32; ``set_default_dtype`` changes it.
"""

import numpy as np

from . import tensor as _tensor
from .tensor import Tensor

__all__ = [
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "eye", "arange", "linspace",
    "randn", "rand", "randint", "randperm", "normal", "zeros_like", "ones_like", "full_like", "empty_like",
    "randn_like", "rand_like", "manual_seed", "set_default_dtype", "get_default_dtype", "default_generator",
    "float16", "float32", "float64", "int32", "int64", "bool", "half", "double", "long",
]

float16 = half = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
bool = np.dtype(np.bool_)  # noqa: A001 - PyTorch's name


class _Generator:
    """The global random generator behind ``randn``/``rand``; ``manual_seed`` reseeds it."""

    def __init__(self, seed=None):
        self.rng = np.random.default_rng(seed)

    def manual_seed(self, seed):
        self.rng = np.random.default_rng(seed)
        return self


default_generator = _Generator()


def manual_seed(seed):
    """Seed the generator behind ``randn``, ``rand``, dropout and initialisation.

    Args:
        seed: an int.

    Returns:
        The generator.
    """
    return default_generator.manual_seed(int(seed))


def set_default_dtype(dtype):
    """Set the dtype that Python floats become (float64 unless changed).

    Args:
        dtype: a floating dtype (``srcgrad.float32``, ``np.float64``, ...).

    Raises:
        TypeError: ``dtype`` is not floating point.
    """
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"only floating-point types are supported as the default type, not {dtype}")
    _tensor._DEFAULT[0] = dtype


def get_default_dtype():
    """The dtype Python floats become."""
    return _tensor._DEFAULT[0]


def _float_dtype(dtype):
    return _tensor._DEFAULT[0] if dtype is None else np.dtype(dtype)


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(int(n) for n in size)


def _new(value, requires_grad):
    t = Tensor._wrap(value)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, dtype=None, requires_grad=False):
    """A new leaf Tensor holding a copy of ``data``.

    Args:
        data: a scalar, a (nested) list, an ndarray or a Tensor.
        dtype: the dtype (default: inferred; Python floats get the default dtype).
        requires_grad: record operations for ``backward``.

    Returns:
        The Tensor.

    Example:
        >>> import srcgrad
        >>> srcgrad.tensor([1.0, 2.0]).dtype
        dtype('float64')
    """
    if isinstance(data, Tensor):
        data = data._value
    value = np.array(data, dtype=dtype, copy=True)
    if dtype is None and value.dtype.kind == "f" and not isinstance(data, np.ndarray):
        value = value.astype(_tensor._DEFAULT[0])
    return _new(value, requires_grad)


def as_tensor(data, dtype=None):
    """A Tensor sharing memory with ``data`` when it is an ndarray of the right dtype."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.type(dtype)
    if isinstance(data, np.ndarray):
        return Tensor._wrap(data if dtype is None else data.astype(dtype, copy=False))
    return tensor(data, dtype=dtype)


def from_numpy(array):
    """A Tensor sharing memory with ``array``."""
    return Tensor._wrap(np.asarray(array))


def zeros(*size, dtype=None, requires_grad=False):
    """A Tensor of zeros of shape ``size``."""
    return _new(np.zeros(_size(size), dtype=_float_dtype(dtype)), requires_grad)


def ones(*size, dtype=None, requires_grad=False):
    """A Tensor of ones of shape ``size``."""
    return _new(np.ones(_size(size), dtype=_float_dtype(dtype)), requires_grad)


def empty(*size, dtype=None, requires_grad=False):
    """A Tensor of shape ``size`` (filled with zeros: srcgrad never hands out garbage)."""
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False):
    """A Tensor of shape ``size`` filled with ``fill_value``."""
    if dtype is None and isinstance(fill_value, (int, np.integer)) and not isinstance(fill_value, (np.bool_,)):
        dtype = np.int64 if not isinstance(fill_value, type(True)) else np.bool_
    return _new(np.full(_size((size,)), fill_value, dtype=_float_dtype(dtype) if dtype is None else dtype),
                requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False):
    """The ``n`` x ``m`` identity matrix."""
    return _new(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    """Values from ``start`` to ``end`` (exclusive) by ``step``; integers stay int64."""
    if end is None:
        start, end = 0, start
    floats = any(isinstance(v, float) for v in (start, end, step))
    if dtype is None:
        dtype = _tensor._DEFAULT[0] if floats else np.int64
    return _new(np.arange(start, end, step, dtype=dtype), requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    return _new(np.linspace(start, end, steps, dtype=_float_dtype(dtype)), requires_grad)


def randn(*size, dtype=None, requires_grad=False, generator=None):
    """Samples of the standard normal distribution, shape ``size``."""
    rng = (generator or default_generator).rng
    return _new(rng.standard_normal(_size(size)).astype(_float_dtype(dtype)), requires_grad)


def rand(*size, dtype=None, requires_grad=False, generator=None):
    """Samples of the uniform distribution on [0, 1), shape ``size``."""
    rng = (generator or default_generator).rng
    return _new(rng.random(_size(size)).astype(_float_dtype(dtype)), requires_grad)


def normal(mean, std, size, generator=None):
    """Samples of a normal distribution with ``mean`` and ``std``."""
    rng = (generator or default_generator).rng
    return _new(rng.normal(mean, std, _size((size,))).astype(_tensor._DEFAULT[0]), False)


def randint(low, high=None, size=(), dtype=None, generator=None):
    """Random integers in ``[low, high)`` (``[0, low)`` when ``high`` is omitted)."""
    if high is None:
        low, high = 0, low
    rng = (generator or default_generator).rng
    return Tensor._wrap(rng.integers(low, high, size=_size((size,)), dtype=dtype or np.int64))


def randperm(n, generator=None):
    """A random permutation of ``0..n-1``."""
    rng = (generator or default_generator).rng
    return Tensor._wrap(rng.permutation(n).astype(np.int64))


def _like(t, dtype):
    value = t._value if isinstance(t, Tensor) else np.asarray(t)
    return value.shape, (value.dtype if dtype is None else np.dtype(dtype))


def zeros_like(t, dtype=None, requires_grad=False):
    """Zeros of ``t``'s shape and dtype."""
    shape, dtype = _like(t, dtype)
    return _new(np.zeros(shape, dtype=dtype), requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    """Ones of ``t``'s shape and dtype."""
    shape, dtype = _like(t, dtype)
    return _new(np.ones(shape, dtype=dtype), requires_grad)


def empty_like(t, dtype=None, requires_grad=False):
    """A Tensor of ``t``'s shape and dtype (zero-filled)."""
    return zeros_like(t, dtype=dtype, requires_grad=requires_grad)


def full_like(t, fill_value, dtype=None, requires_grad=False):
    """``fill_value`` in ``t``'s shape and dtype."""
    shape, dtype = _like(t, dtype)
    return _new(np.full(shape, fill_value, dtype=dtype), requires_grad)


def randn_like(t, dtype=None, requires_grad=False):
    """Standard normal samples of ``t``'s shape and dtype."""
    shape, dtype = _like(t, dtype)
    return _new(default_generator.rng.standard_normal(shape).astype(dtype), requires_grad)


def rand_like(t, dtype=None, requires_grad=False):
    """Uniform [0, 1) samples of ``t``'s shape and dtype."""
    shape, dtype = _like(t, dtype)
    return _new(default_generator.rng.random(shape).astype(dtype), requires_grad)
