"""Padding layers: ``ZeroPad1d/2d``, ``ConstantPad1d/2d``, ``ReflectionPad1d/2d``, ``ReplicationPad1d/2d``.

Each is ``nn.functional.pad`` with a fixed padding; ``padding`` lists
(left, right[, top, bottom]) as PyTorch does.
"""

from . import functional as F
from .module import Module

__all__ = [
    "ZeroPad1d",
    "ZeroPad2d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReplicationPad1d",
    "ReplicationPad2d",
]


def _expand(padding, n):
    if isinstance(padding, int):
        return (padding,) * (2 * n)
    padding = tuple(int(p) for p in padding)
    if len(padding) != 2 * n:
        raise ValueError(f"expected {2 * n} padding values, got {padding}")
    return padding


class _PadNd(Module):
    _dims = 1
    _mode = "constant"

    def __init__(self, padding, value=0.0):
        super().__init__()
        self.padding = _expand(padding, self._dims)
        self.value = value

    def forward(self, input):
        if self._mode == "constant":
            return F.pad(input, self.padding, "constant", self.value)
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class ConstantPad1d(_PadNd):
    """Pad the last dimension with ``value``.

    Args:
        padding: an int or ``(left, right)``.
        value: the fill.

    Shape:
        Input (N, C, W) or (C, W); output (..., W + left + right).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.ConstantPad1d((1, 2), 3.5)(srcgrad.ones(1, 2)).tolist()
        [[3.5, 1.0, 1.0, 3.5, 3.5]]
    """

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad2d(ConstantPad1d):
    """Pad the last two dimensions with ``value``.

    Args:
        padding: an int or ``(left, right, top, bottom)``.
        value: the fill.

    Shape:
        Input (N, C, H, W) or (C, H, W); output (..., H + top + bottom, W + left + right).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.ConstantPad2d(1, 0.5)(srcgrad.ones(1, 1, 2, 2)).shape
        srcgrad.Size([1, 1, 4, 4])
    """

    _dims = 2


class ZeroPad1d(_PadNd):
    """Pad the last dimension with zeros.

    Args:
        padding: an int or ``(left, right)``.

    Shape:
        Input (N, C, W) or (C, W); output (..., W + left + right).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.ZeroPad1d(1)(srcgrad.ones(1, 2)).tolist()
        [[0.0, 1.0, 1.0, 0.0]]
    """

    def __init__(self, padding):
        super().__init__(padding, 0.0)


class ZeroPad2d(ZeroPad1d):
    """Pad the last two dimensions with zeros.

    Args:
        padding: an int or ``(left, right, top, bottom)``.

    Shape:
        Input (N, C, H, W) or (C, H, W); output (..., H + top + bottom, W + left + right).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.ZeroPad2d((1, 0, 0, 2))(srcgrad.ones(1, 1, 2, 2)).shape
        srcgrad.Size([1, 1, 4, 3])
    """

    _dims = 2


class ReflectionPad1d(_PadNd):
    """Pad the last dimension with its reflection (the edge itself not repeated).

    Args:
        padding: an int or ``(left, right)``.

    Shape:
        Input (N, C, W) or (C, W); output (..., W + left + right).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.ReflectionPad1d(2)(srcgrad.tensor([[1.0, 2.0, 3.0]])).tolist()
        [[3.0, 2.0, 1.0, 2.0, 3.0, 2.0, 1.0]]
    """

    _mode = "reflect"

    def __init__(self, padding):
        super().__init__(padding)


class ReflectionPad2d(ReflectionPad1d):
    """Pad the last two dimensions with their reflection.

    Args:
        padding: an int or ``(left, right, top, bottom)``.

    Shape:
        Input (N, C, H, W) or (C, H, W); output (..., H + top + bottom, W + left + right).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.ReflectionPad2d(1)(srcgrad.ones(1, 1, 3, 3)).shape
        srcgrad.Size([1, 1, 5, 5])
    """

    _dims = 2


class ReplicationPad1d(_PadNd):
    """Pad the last dimension by repeating its edge values.

    Args:
        padding: an int or ``(left, right)``.

    Shape:
        Input (N, C, W) or (C, W); output (..., W + left + right).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.ReplicationPad1d((1, 0))(srcgrad.tensor([[1.0, 2.0]])).tolist()
        [[1.0, 1.0, 2.0]]
    """

    _mode = "replicate"

    def __init__(self, padding):
        super().__init__(padding)


class ReplicationPad2d(ReplicationPad1d):
    """Pad the last two dimensions by repeating their edge values.

    Args:
        padding: an int or ``(left, right, top, bottom)``.

    Shape:
        Input (N, C, H, W) or (C, H, W); output (..., H + top + bottom, W + left + right).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.ReplicationPad2d(1)(srcgrad.ones(1, 1, 2, 2)).shape
        srcgrad.Size([1, 1, 4, 4])
    """

    _dims = 2
