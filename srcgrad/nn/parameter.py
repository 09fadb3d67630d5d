"""``Parameter``: a Tensor that a ``Module`` registers as one of its learnable weights."""

import numpy as np

from ..tensor import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A leaf Tensor that a ``Module`` lists in ``parameters()`` when assigned as an attribute.

    It shares memory with the data it is made from, and requires grad unless told otherwise.
    Operations on a Parameter return plain Tensors.

    Args:
        data: a Tensor, an ndarray or a (nested) list; an empty float Tensor when omitted.
        requires_grad: record operations on it (default True).

    Example:
        >>> import srcgrad
        >>> p = srcgrad.nn.Parameter(srcgrad.zeros(2))
        >>> p.requires_grad
        True
        >>> print(repr(p).splitlines()[0])
        Parameter containing:
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = np.zeros(0)
        if isinstance(data, Tensor):
            data = data._value
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        return (Parameter, (np.array(self._value, copy=True), self.requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        out = Parameter(np.array(self._value, copy=True), self.requires_grad)
        if self.grad is not None:
            out.grad = Tensor._wrap(np.array(self.grad._value, copy=True))
        memo[id(self)] = out
        return out
