"""PyTorch's legacy typed constructors: ``LongTensor``, ``FloatTensor``, ...

``srcgrad.LongTensor([1, 2])`` is ``srcgrad.tensor([1, 2], dtype=int64)``;
``srcgrad.FloatTensor(2, 3)`` is a float32 Tensor of shape (2, 3) (zeros:
PyTorch's are uninitialised, srcgrad never hands out garbage).
``isinstance(t, srcgrad.FloatTensor)`` is true for a float32 Tensor, as in
PyTorch. ``Tensor.type()`` gives these names.
"""

import numpy as np

from .tensor import Tensor

__all__ = [
    "FloatTensor",
    "DoubleTensor",
    "HalfTensor",
    "LongTensor",
    "IntTensor",
    "ShortTensor",
    "CharTensor",
    "ByteTensor",
    "BoolTensor",
]


class _LegacyType(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __call__(cls, *args, device=None):
        from .creation import tensor, zeros

        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            data = args[0]
            if isinstance(data, tuple) and type(data).__name__ == "Size":
                return zeros(*data, dtype=cls.dtype, device=device)
            return tensor(data, dtype=cls.dtype, device=device)
        return zeros(*args, dtype=cls.dtype, device=device)


def _legacy(name, dtype, doc):
    return _LegacyType(name, (), {"dtype": np.dtype(dtype), "__doc__": doc, "__module__": __name__})


FloatTensor = _legacy("FloatTensor", np.float32, "float32 Tensors: ``FloatTensor(data)`` or ``FloatTensor(*sizes)``.")
DoubleTensor = _legacy(
    "DoubleTensor", np.float64, "float64 Tensors: ``DoubleTensor(data)`` or ``DoubleTensor(*sizes)``."
)
HalfTensor = _legacy("HalfTensor", np.float16, "float16 Tensors: ``HalfTensor(data)`` or ``HalfTensor(*sizes)``.")
LongTensor = _legacy("LongTensor", np.int64, "int64 Tensors: ``LongTensor(data)`` or ``LongTensor(*sizes)``.")
IntTensor = _legacy("IntTensor", np.int32, "int32 Tensors: ``IntTensor(data)`` or ``IntTensor(*sizes)``.")
ShortTensor = _legacy("ShortTensor", np.int16, "int16 Tensors: ``ShortTensor(data)`` or ``ShortTensor(*sizes)``.")
CharTensor = _legacy("CharTensor", np.int8, "int8 Tensors: ``CharTensor(data)`` or ``CharTensor(*sizes)``.")
ByteTensor = _legacy("ByteTensor", np.uint8, "uint8 Tensors: ``ByteTensor(data)`` or ``ByteTensor(*sizes)``.")
BoolTensor = _legacy("BoolTensor", np.bool_, "bool Tensors: ``BoolTensor(data)`` or ``BoolTensor(*sizes)``.")
