"""What a Tensor may hold: user data (lists, scalars, arrays) turned into the ndarray inside a new Tensor.

``Tensor(data)``, ``tensor(data)``, ``from_numpy`` and ``load`` all pass through ``check_data``, so a Tensor
never holds objects, strings, dates or integers numpy could only store as objects, and each refusal carries
PyTorch's message.
"""

import numpy as np

from .dtypes import get_default_dtype


def type_name(x):
    """The name of ``x``'s type as PyTorch prints it in messages (``int``, ``numpy.ndarray``)."""
    kind = type(x)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"


DATA_KINDS = frozenset("biufc")
"""The dtype kinds a Tensor may hold (bool, integers, floats, complex): as PyTorch, no objects, strings or dates."""


def check_data(value, data):
    """Refuse an array no Tensor may hold: objects, strings, bytes, dates, structured records.

    Args:
        value: the ndarray about to become a Tensor's values.
        data: what the user passed (that array, or the list, scalar, ... it was made from).

    Returns:
        ``value`` (a subclass such as ``np.matrix`` as a plain ndarray).

    Raises:
        RuntimeError: ``data`` is ``None`` (as PyTorch: ``Could not infer dtype of NoneType``).
        TypeError: a string, or an array of a kind a Tensor cannot hold.
        ValueError: Python integers beyond int64 (numpy made them uint64 or objects).
    """
    kind = value.dtype.kind
    from_python = not isinstance(data, (np.ndarray, np.generic))
    if kind in DATA_KINDS:
        if not (from_python and kind == "u" and value.size and value.max() > _INT64_MAX):
            return (
                value if type(value) is np.ndarray or not isinstance(value, np.ndarray) else np.asarray(value)
            )  # np.matrix's * is a matrix product: a Tensor holds a plain ndarray
    elif data is None:
        raise RuntimeError("Could not infer dtype of NoneType")
    elif isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    if kind == "u" or (kind == "O" and any(type(v) is int and abs(v) > _INT64_MAX for v in value.ravel().tolist())):
        raise ValueError(
            "Overflow when unpacking long long: a Python integer beyond int64 cannot be a Tensor "
            "value (pass an ndarray of dtype uint64 or float64 yourself)"
        )
    raise TypeError(
        f"can't convert np.ndarray of type numpy.{value.dtype.type.__name__}. The only supported types are: "
        "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint64, uint32, uint16, "
        "uint8, and bool."
    )


_INT64_MAX = 2**63 - 1


def is_size(n):
    """Whether ``n`` is a size in ``Tensor(2, 3)`` (a Python or numpy integer, not a bool)."""
    return isinstance(n, (int, np.integer)) and not isinstance(n, (bool, np.bool_))


def as_value(data, dtype):
    """``data`` (a list, scalar, array, ...) as the ndarray a new Tensor holds, in ``dtype`` or the default float dtype.

    Raises:
        TypeError, ValueError, RuntimeError: as ``check_data``.
    """
    if dtype is not None:
        return check_data(np.array(data, dtype=dtype), data)
    if isinstance(data, np.ndarray):
        return check_data(data, data)
    if isinstance(data, np.generic):
        return check_data(np.asarray(data), data)
    arr = check_data(np.array(data), data)
    default = get_default_dtype()
    if arr.dtype.kind == "f" and arr.dtype != default:
        arr = arr.astype(default)
    return arr


TYPE_NAMES = {
    np.dtype(k): v
    for k, v in (
        (np.float32, "FloatTensor"),
        (np.float64, "DoubleTensor"),
        (np.float16, "HalfTensor"),
        (np.int64, "LongTensor"),
        (np.int32, "IntTensor"),
        (np.int16, "ShortTensor"),
        (np.int8, "CharTensor"),
        (np.uint8, "ByteTensor"),
        (np.bool_, "BoolTensor"),
        (np.complex64, "ComplexFloatTensor"),
        (np.complex128, "ComplexDoubleTensor"),
    )
}
"""PyTorch's legacy type names, which ``Tensor.type()`` returns."""
