"""``Variable``: PyTorch's pre-0.4 wrapper, now a Tensor, as in PyTorch.

Older tutorials write ``Variable(x, requires_grad=True)``; that gives a new
leaf Tensor sharing ``x``'s values. ``isinstance(t, Variable)`` is true for
every Tensor. ``volatile`` is accepted and ignored (PyTorch removed it; use
``no_grad()``).
"""

from .graph import TENSOR

__all__ = ["Variable"]


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, TENSOR[0])

    def __call__(cls, data, requires_grad=False, volatile=False):
        if not isinstance(data, TENSOR[0]):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        t = TENSOR[0]._wrap(data._value)
        if requires_grad:
            t.requires_grad_(True)
        return t


class Variable(metaclass=_VariableMeta):
    """``Variable(tensor, requires_grad=False)``: a leaf Tensor sharing ``tensor``'s values."""
