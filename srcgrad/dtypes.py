"""PyTorch's dtype names as numpy dtypes: ``float``, ``long``, ``uint8``, ``cfloat``, ...

srcgrad's dtypes are numpy's (``srcgrad.float32 is np.dtype("float32")``
holds as an equality), so every numpy function takes them. PyTorch's short
names map as PyTorch maps them: ``float`` is float32, ``double`` float64,
``half`` float16, ``int`` int32, ``long`` int64, ``short`` int16,
``cfloat`` complex64. numpy has no bfloat16: ``srcgrad.bfloat16`` exists so a
script can name it (``{"bfloat16": torch.bfloat16}[...]``), and making a
Tensor of it raises a ``TypeError`` that says so. ``finfo`` and ``iinfo`` are
numpy's.
"""

import numpy as np

__all__ = [
    "float16",
    "float32",
    "float64",
    "half",
    "float",
    "double",
    "bfloat16",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "short",
    "int",
    "long",
    "bool",
    "complex64",
    "complex128",
    "cfloat",
    "cdouble",
    "finfo",
    "iinfo",
    "is_floating_point",
    "is_complex",
    "set_default_dtype",
    "get_default_dtype",
    "float_dtype",
]

float16 = half = np.dtype(np.float16)
float32 = float = np.dtype(np.float32)  # noqa: A001 - PyTorch's name
float64 = double = np.dtype(np.float64)
int8 = np.dtype(np.int8)
int16 = short = np.dtype(np.int16)
int32 = int = np.dtype(np.int32)  # noqa: A001 - PyTorch's name
int64 = long = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool = np.dtype(np.bool_)  # noqa: A001 - PyTorch's name
complex64 = cfloat = np.dtype(np.complex64)
complex128 = cdouble = np.dtype(np.complex128)
finfo = np.finfo
iinfo = np.iinfo


class _MissingDtype:
    """A dtype PyTorch has and numpy does not: it can be named, not used."""

    def __init__(self, name, advice):
        self._name = name
        self._advice = advice

    @property
    def dtype(self):  # numpy's np.dtype(obj) reads obj.dtype: this is where a use is refused
        raise TypeError(f"srcgrad has no {self._name} dtype (numpy has none); {self._advice}")

    def __repr__(self):  # numpy before 2.4 reports np.dtype(obj) with this repr, not the error above
        return f"srcgrad.{self._name} (srcgrad has no {self._name} dtype: numpy has none; {self._advice})"


bfloat16 = _MissingDtype("bfloat16", "use float32 (srcgrad.float32) or float16")


def is_floating_point(input):
    """True when ``input`` (a Tensor) has a floating-point dtype."""
    return np.dtype(input.dtype).kind == "f"


def is_complex(input):
    """True when ``input`` (a Tensor) has a complex dtype."""
    return np.dtype(input.dtype).kind == "c"


# -- the default floating dtype ----------------------------------------------------------------

_DEFAULT = [np.dtype(np.float64)]
"""The dtype Python floats become; ``set_default_dtype`` changes it."""


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
    _DEFAULT[0] = dtype


def get_default_dtype():
    """The dtype Python floats become."""
    return _DEFAULT[0]


def float_dtype(dtype):
    """``dtype`` as a numpy dtype, or the default floating dtype when it is None."""
    return _DEFAULT[0] if dtype is None else np.dtype(dtype)
