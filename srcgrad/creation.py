"""Making Tensors: ``tensor``, ``zeros``, ``randn``, ... and the default dtype and seed.

PyTorch's names and signatures. The default floating dtype is float64 (numpy's),
not PyTorch's float32; ``set_default_dtype`` changes it.
"""

import operator

import numpy as np

from .device import check_device as _check_device
from .dtypes import float_dtype, get_default_dtype, set_default_dtype
from .generator import Generator, default_generator, initial_seed, manual_seed, seed
from .tensor import Tensor, check_data

__all__ = [
    "tensor",
    "as_tensor",
    "from_numpy",
    "zeros",
    "ones",
    "full",
    "empty",
    "eye",
    "arange",
    "linspace",
    "randn",
    "rand",
    "randint",
    "randperm",
    "normal",
    "zeros_like",
    "ones_like",
    "full_like",
    "empty_like",
    "randn_like",
    "rand_like",
    "manual_seed",
    "set_default_dtype",
    "get_default_dtype",
    "default_generator",
    "float16",
    "float32",
    "float64",
    "int32",
    "int64",
    "bool",
    "half",
    "double",
    "long",
    "Generator",
    "multinomial",
    "seed",
    "initial_seed",
]

float16 = half = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
bool = np.dtype(np.bool_)  # noqa: A001 - PyTorch's name


def _size(size, fn):
    """The shape ``size`` names (``zeros(2, 3)`` or ``zeros((2, 3))``), its lengths checked as PyTorch does.

    Raises:
        TypeError: a length is not an integer (``zeros(2.5)``: numpy and PyTorch refuse, never truncate).
        RuntimeError: a length is negative.
    """
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    dims = []
    for pos, n in enumerate(size):
        dims.append(
            _int_arg(n, fn, "size", f"must be tuple of ints, but found element of type {type(n).__name__} at pos {pos}")
        )
    if any(n < 0 for n in dims):
        bad = next(n for n in dims if n < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: {dims}")
    return tuple(dims)


def _int_arg(n, fn, name, complaint):
    """``n`` as a Python int, or PyTorch's TypeError for ``fn``'s argument ``name`` (a bool or float is refused)."""
    if not isinstance(n, (type(True), np.bool_)):  # "bool" is the dtype here
        try:
            return operator.index(n)
        except TypeError:
            pass
    raise TypeError(f"{fn}(): argument '{name}' {complaint}")


def _new(value, requires_grad):
    t = Tensor._wrap(value)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, dtype=None, requires_grad=False, *, device=None) -> Tensor:
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
    _check_device("tensor", device)
    if isinstance(data, Tensor):
        data = data._value
    if data is None or isinstance(data, (str, bytes)):
        check_data(np.array(data, dtype=object), data)
    value = check_data(np.array(data, dtype=dtype, copy=True), data)
    if dtype is None and value.dtype.kind == "f" and not isinstance(data, np.ndarray):
        value = value.astype(get_default_dtype())
    return _new(value, requires_grad)


def as_tensor(data, dtype=None, *, device=None) -> Tensor:
    """A Tensor sharing memory with ``data`` when it is an ndarray of the right dtype."""
    _check_device("as_tensor", device)
    if isinstance(data, Tensor):
        return data if dtype is None else data.type(dtype)
    if isinstance(data, np.ndarray):
        return Tensor._wrap(check_data(data if dtype is None else data.astype(dtype, copy=False), data))
    return tensor(data, dtype=dtype)


def from_numpy(array) -> Tensor:
    """A Tensor sharing memory with ``array``."""
    return Tensor._wrap(check_data(np.asarray(array), array))


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A Tensor of zeros of shape ``size``."""
    _check_device("zeros", device)
    return _new(np.zeros(_size(size, "zeros"), dtype=float_dtype(dtype)), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A Tensor of ones of shape ``size``."""
    _check_device("ones", device)
    return _new(np.ones(_size(size, "ones"), dtype=float_dtype(dtype)), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A Tensor of shape ``size`` (filled with zeros: srcgrad never hands out garbage)."""
    _check_device("empty", device)
    return _new(np.zeros(_size(size, "empty"), dtype=float_dtype(dtype)), requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False, *, device=None) -> Tensor:
    """A Tensor of shape ``size`` filled with ``fill_value``."""
    _check_device("full", device)
    if dtype is None and isinstance(fill_value, (int, np.integer)) and not isinstance(fill_value, (np.bool_,)):
        dtype = np.int64 if not isinstance(fill_value, type(True)) else np.bool_
    return _new(
        np.full(_size((size,), "full"), fill_value, dtype=float_dtype(dtype) if dtype is None else dtype), requires_grad
    )


def eye(n, m=None, dtype=None, requires_grad=False, *, device=None) -> Tensor:
    """The ``n`` x ``m`` identity matrix."""
    _check_device("eye", device)
    n = _int_arg(n, "eye", "n", f"(position 1) must be int, not {type(n).__name__}")
    m = None if m is None else _int_arg(m, "eye", "m", f"(position 2) must be int, not {type(m).__name__}")
    return _new(np.eye(n, m, dtype=float_dtype(dtype)), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False, *, device=None) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; integers stay int64."""
    _check_device("arange", device)
    if end is None:
        start, end = 0, start
    floats = any(isinstance(v, float) for v in (start, end, step))
    if dtype is None:
        dtype = get_default_dtype() if floats else np.int64
    return _new(np.arange(start, end, step, dtype=dtype), requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False, *, device=None) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    _check_device("linspace", device)
    steps = _int_arg(steps, "linspace", "steps", f"(position 3) must be int, not {type(steps).__name__}")
    return _new(np.linspace(start, end, steps, dtype=float_dtype(dtype)), requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    """Samples of the standard normal distribution, shape ``size``."""
    _check_device("randn", device)
    rng = (generator or default_generator).rng
    return _new(rng.standard_normal(_size(size, "randn")).astype(float_dtype(dtype)), requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    """Samples of the uniform distribution on [0, 1), shape ``size``."""
    _check_device("rand", device)
    rng = (generator or default_generator).rng
    return _new(rng.random(_size(size, "rand")).astype(float_dtype(dtype)), requires_grad)


def normal(mean, std, size, generator=None, *, device=None) -> Tensor:
    """Samples of a normal distribution with ``mean`` and ``std``."""
    _check_device("normal", device)
    rng = (generator or default_generator).rng
    return _new(rng.normal(mean, std, _size((size,), "normal")).astype(get_default_dtype()), False)


def randint(low, high=None, size=(), dtype=None, generator=None, *, device=None, requires_grad=False) -> Tensor:
    """Random integers in ``[low, high)`` (``[0, low)`` when ``high`` is omitted, as in
    ``randint(10, (3,))``)."""
    _check_device("randint", device)
    if isinstance(high, (tuple, list)) and size == ():  # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    rng = (generator or default_generator).rng
    return Tensor._wrap(rng.integers(low, high, size=_size((size,), "randint"), dtype=dtype or np.int64))


def randperm(n, generator=None, *, device=None) -> Tensor:
    """A random permutation of ``0..n-1``."""
    _check_device("randperm", device)
    n = _int_arg(n, "randperm", "n", f"(position 1) must be int, not {type(n).__name__}")
    rng = (generator or default_generator).rng
    return Tensor._wrap(rng.permutation(n).astype(np.int64))


def _like(t, dtype):
    value = t._value if isinstance(t, Tensor) else np.asarray(t)
    return value.shape, (value.dtype if dtype is None else np.dtype(dtype))


def zeros_like(t, dtype=None, requires_grad=False, *, device=None) -> Tensor:
    """Zeros of ``t``'s shape and dtype."""
    _check_device("zeros_like", device)
    shape, dtype = _like(t, dtype)
    return _new(np.zeros(shape, dtype=dtype), requires_grad)


def ones_like(t, dtype=None, requires_grad=False, *, device=None) -> Tensor:
    """Ones of ``t``'s shape and dtype."""
    _check_device("ones_like", device)
    shape, dtype = _like(t, dtype)
    return _new(np.ones(shape, dtype=dtype), requires_grad)


def empty_like(t, dtype=None, requires_grad=False, *, device=None) -> Tensor:
    """A Tensor of ``t``'s shape and dtype (zero-filled)."""
    _check_device("empty_like", device)
    return zeros_like(t, dtype=dtype, requires_grad=requires_grad)


def full_like(t, fill_value, dtype=None, requires_grad=False, *, device=None) -> Tensor:
    """``fill_value`` in ``t``'s shape and dtype."""
    _check_device("full_like", device)
    shape, dtype = _like(t, dtype)
    return _new(np.full(shape, fill_value, dtype=dtype), requires_grad)


def randn_like(t, dtype=None, requires_grad=False, *, device=None) -> Tensor:
    """Standard normal samples of ``t``'s shape and dtype."""
    _check_device("randn_like", device)
    shape, dtype = _like(t, dtype)
    return _new(default_generator.rng.standard_normal(shape).astype(dtype), requires_grad)


def rand_like(t, dtype=None, requires_grad=False, *, device=None) -> Tensor:
    """Uniform [0, 1) samples of ``t``'s shape and dtype."""
    _check_device("rand_like", device)
    shape, dtype = _like(t, dtype)
    return _new(default_generator.rng.random(shape).astype(dtype), requires_grad)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Draw category indices with the probabilities (or weights) in each row of ``input``.

    Without replacement each row's draws are distinct (a category of weight 0
    comes only after all the others); with replacement each draw is independent.

    Args:
        input: (C,) or (N, C) non-negative weights (they need not sum to 1).
        num_samples: draws per row.
        replacement: draw with replacement.
        generator: the generator to draw from (default ``srcgrad.default_generator``).

    Returns:
        An int64 Tensor of shape (num_samples,) or (N, num_samples).

    Raises:
        RuntimeError: weights that are negative, infinite or NaN; a row summing to 0; ``num_samples``
            not positive, or more than C without replacement; ``input`` not 1-D or 2-D.

    Example:
        >>> import srcgrad
        >>> srcgrad.multinomial(srcgrad.tensor([0.0, 1.0, 0.0]), 2, replacement=True)
        tensor([1, 1])
    """
    if out is not None:
        raise TypeError("multinomial: srcgrad does not write into out=; use the returned Tensor")
    weights = np.asarray(input._value if isinstance(input, Tensor) else input, dtype=np.float64)
    if weights.ndim not in (1, 2):
        raise RuntimeError(f"prob_dist must be 1 or 2 dim, got a Tensor of {weights.ndim} dimensions")
    if weights.shape[-1] == 0:
        raise RuntimeError("multinomial: the probability Tensor has no categories")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    rows = weights.reshape(-1, weights.shape[-1])
    totals = rows.sum(axis=1)
    if np.any(totals <= 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    num_samples = int(num_samples)
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    rng = (generator or default_generator).rng
    if replacement:  # inverse CDF: the first category whose cumulative weight exceeds a uniform draw
        draws = rng.random((rows.shape[0], num_samples))
        picks = np.empty(draws.shape, dtype=np.int64)
        for r in range(rows.shape[0]):
            cdf = np.cumsum(rows[r])
            picks[r] = np.searchsorted(cdf / cdf[-1], draws[r], side="right")
    else:  # an exponential race: the smallest Exp(1) / weight wins, then the next, ...
        with np.errstate(divide="ignore"):
            keys = rng.standard_exponential(rows.shape) / rows
        picks = np.argsort(keys, axis=1, kind="stable")[:, :num_samples].astype(np.int64)
    return Tensor._wrap(picks if weights.ndim == 2 else picks[0])
