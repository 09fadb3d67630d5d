"""``Dropout``: zero random elements in training, pass through in evaluation."""

from . import functional as F
from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d"]


class Dropout(Module):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``; identity after ``eval()``.

    The mask comes from srcgrad's global generator, so ``srcgrad.manual_seed``
    makes it repeatable (the numbers differ from PyTorch's generator).

    Args:
        p: the probability of zeroing an element.
        inplace: accepted and ignored.

    Raises:
        ValueError: ``p`` outside [0, 1].

    Shape:
        Input (*), output (*).

    Example:
        >>> import srcgrad
        >>> drop = srcgrad.nn.Dropout(0.5).eval()
        >>> drop(srcgrad.ones(3))
        tensor([1., 1., 1.])
    """

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return F.dropout(input, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(Dropout):
    """Zero whole channels of (N, C, L) with probability ``p`` (scaling the rest by ``1 / (1 - p)``).

    Shape:
        Input (N, C, L) or (C, L), output the same.

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.Dropout1d(0.5).eval()(srcgrad.ones(1, 2, 3)).shape
        srcgrad.Size([1, 2, 3])
    """

    def forward(self, input):
        return F.dropout1d(input, self.p, self.training)


class Dropout2d(Dropout):
    """Zero whole channels of (N, C, H, W) with probability ``p`` (scaling the rest by ``1 / (1 - p)``).

    Shape:
        Input (N, C, H, W) or (C, H, W), output the same.

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.Dropout2d(0.5).eval()(srcgrad.ones(1, 2, 3, 3)).shape
        srcgrad.Size([1, 2, 3, 3])
    """

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training)
