"""``Size``: a Tensor's shape, a tuple that prints as PyTorch's ``torch.Size``."""

import math
import operator

from . import printing

__all__ = ["Size"]


class Size(tuple):
    """A shape: a tuple of ints. ``Tensor.shape`` and ``Tensor.size()`` return one.

    It is a tuple in every way (it compares equal to one, unpacks, indexes, and
    numpy takes it as a shape); it prints as ``Size([6, 1, 5, 5])`` with the
    name of the module the script imported (``srcgrad.Size``, or ``torch.Size``
    under ``srcgrad run``), and slicing it or adding a tuple gives a ``Size``,
    as in PyTorch.

    Args:
        sizes: the lengths (any iterable of ints).

    Example:
        >>> import srcgrad
        >>> srcgrad.zeros(6, 1, 5, 5).size()
        srcgrad.Size([6, 1, 5, 5])
        >>> srcgrad.zeros(6, 1, 5, 5).shape[1:] == (1, 5, 5)
        True
    """

    __slots__ = ()

    def __new__(cls, sizes=()):
        return tuple.__new__(cls, [operator.index(n) for n in sizes])

    def __repr__(self):
        return f"{printing.namespace()}.Size([{', '.join(str(n) for n in self)}])"

    __str__ = __repr__

    def __getitem__(self, index):
        item = tuple.__getitem__(self, index)
        return tuple.__new__(Size, item) if isinstance(index, slice) else item

    def __add__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return tuple.__new__(Size, tuple.__add__(self, other))

    def __mul__(self, count):
        return tuple.__new__(Size, tuple.__mul__(self, count))

    __rmul__ = __mul__

    def numel(self):
        """The number of elements of a Tensor of this shape."""
        return math.prod(self)

    def __reduce__(self):
        return (Size, (tuple(self),))
