"""``Embedding``: a learnable lookup table indexed by integers."""

import numpy as np

from ..autograd.grad_mode import no_grad
from ..device import check_device
from ..dtypes import float_dtype
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter

__all__ = ["Embedding"]


class Embedding(Module):
    """A table of ``num_embeddings`` vectors; the input's integers pick rows.

    The weight starts as N(0, 1) (PyTorch's default); the row ``padding_idx``
    starts at zero and never receives a gradient.

    Args:
        num_embeddings: the number of rows.
        embedding_dim: the length of each row.
        padding_idx: a row that stays out of training (negative counts from the end).
        max_norm: rescale, in place, each looked-up row whose norm exceeds it.
        norm_type: the p of that norm.
        scale_grad_by_freq: divide each row's gradient by its number of occurrences in the batch.
        _weight: an initial weight to use instead.
        dtype: the weight's dtype.

    Raises:
        ValueError: ``padding_idx`` outside the table.

    Shape:
        Input (*) of integers, output (*, embedding_dim).

    Example:
        >>> import srcgrad
        >>> emb = srcgrad.nn.Embedding(10, 3, padding_idx=0)
        >>> emb(srcgrad.tensor([[0, 2]])).shape
        srcgrad.Size([1, 2, 3])
        >>> emb
        Embedding(10, 3, padding_idx=0)
    """

    def __init__(
        self,
        num_embeddings,
        embedding_dim,
        padding_idx=None,
        max_norm=None,
        norm_type=2.0,
        scale_grad_by_freq=False,
        sparse=False,
        _weight=None,
        _freeze=False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        check_device(f"nn.{type(self).__name__}", device)
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError("Padding_idx must be within num_embeddings")
            padding_idx %= num_embeddings
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            dtype = float_dtype(dtype)
            self.weight = Parameter(np.zeros((num_embeddings, embedding_dim), dtype=dtype), requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError("Shape of weight does not match num_embeddings and embedding_dim")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self):
        """Draw the weight again from N(0, 1); zero the padding row."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0.0

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type, self.scale_grad_by_freq)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        return s

    @classmethod
    def from_pretrained(
        cls,
        embeddings,
        freeze=True,
        padding_idx=None,
        max_norm=None,
        norm_type=2.0,
        scale_grad_by_freq=False,
        sparse=False,
    ):
        """An Embedding whose weight is ``embeddings`` (2-D); frozen unless ``freeze=False``.

        Raises:
            ValueError: ``embeddings`` is not 2-D.
        """
        if embeddings.ndim != 2:
            raise ValueError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        return cls(
            rows,
            cols,
            padding_idx=padding_idx,
            max_norm=max_norm,
            norm_type=norm_type,
            scale_grad_by_freq=scale_grad_by_freq,
            _weight=embeddings,
            _freeze=freeze,
        )
