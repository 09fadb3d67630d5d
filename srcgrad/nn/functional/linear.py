"""Linear maps and lookups: ``linear``, ``bilinear``, ``identity``, ``embedding``, ``one_hot``."""

import operator

import numpy as np

from ... import rules as _rules
from ... import shape_errors as _shapes
from ...autograd.function import Function
from ...autograd.grad_mode import no_grad
from ...recording import record, record_fast
from ...tensor import Tensor
from .common import raw

__all__ = ["linear", "bilinear", "identity", "embedding", "one_hot"]


def linear(input, weight, bias=None):
    """``input @ weight.T + bias``.

    Args:
        input: (*, in_features).
        weight: (out_features, in_features).
        bias: (out_features,) or ``None``.

    Returns:
        (*, out_features).
    """
    if weight.ndim != 2:
        raise ValueError(f"linear expects a weight of shape (out_features, in_features), got {list(weight.shape)}")
    _shapes.raise_if(_shapes.linear_message(np.shape(input), weight.shape))  # PyTorch's words, before numpy's
    # PyTorch's graph: the weight behind a TBackward0, then addmm (AddmmBackward0, edges bias, input,
    # weight), or a matrix product (MmBackward0) without a bias. (On more than 2 dimensions PyTorch
    # reshapes to rows and back around the addmm, two ViewBackward0 nodes srcgrad does not record.)
    weight_t = record_fast(_rules.transpose2d, weight)
    if bias is None:
        return record(np.matmul, (input, weight_t), {})
    if input.ndim >= 2 and np.ndim(bias) == 1:
        return record(_rules.addmm, (bias, input, weight_t), {})
    return record(_rules.linear, (input, weight, bias), {})  # one input row, or a bias of several axes


def bilinear(input1, input2, weight, bias=None):
    """``y[..., k] = x1 @ weight[k] @ x2 + bias[k]``.

    Args:
        input1: (*, in1_features).
        input2: (*, in2_features).
        weight: (out_features, in1_features, in2_features).
        bias: (out_features,) or ``None``.

    Returns:
        (*, out_features).
    """
    lead = tuple(input1.shape[:-1])
    x1 = record(np.reshape, (input1, (-1, input1.shape[-1])), {})
    x2 = record(np.reshape, (input2, (-1, input2.shape[-1])), {})
    out = np.einsum("bi,kij,bj->bk", x1, weight, x2)
    out = record(np.reshape, (out, lead + (weight.shape[0],)), {})
    if bias is not None:
        out = out + bias
    return out


def identity(input):
    """``input`` itself."""
    return input


class _ScaledLookup(Function):
    """``weight[index]`` whose backward scales each position's gradient (``scale_grad_by_freq``)."""

    @staticmethod
    def forward(ctx, weight, index, scale):
        ctx.shape, ctx.index, ctx.scale = weight.shape, index, scale
        return Tensor._wrap(weight._value[index])

    @staticmethod
    def backward(ctx, grad):
        scaled = grad * ctx.scale[..., None]
        zeros = np.zeros(ctx.shape, dtype=ctx.scale.dtype)
        return _rules.index_add(zeros, ctx.index, scaled), None, None


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` picked by the integer indices in ``input``.

    Args:
        input: integer indices of any shape.
        weight: (num_embeddings, embedding_dim).
        padding_idx: this row's gradient stays zero.
        max_norm: rows that are looked up and whose ``norm_type``-norm exceeds it are first
            rescaled in place to norm ``max_norm`` (PyTorch's ``embedding_renorm_``).
        norm_type: the p of that norm.
        scale_grad_by_freq: divide each row's gradient by how often the row occurs in ``input``.

    Returns:
        ``input.shape + (embedding_dim,)``.

    Raises:
        IndexError: an index outside the table.
    """
    index = raw(input)
    if index.dtype.kind not in "iu":
        raise TypeError(f"Expected tensor for argument #1 'indices' to have an integer dtype; but got {index.dtype}")
    n = weight.shape[0]
    if index.size and (index.min() < 0 or index.max() >= n):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        rows = np.unique(index)
        norms = np.linalg.norm(weight._value[rows], ord=norm_type, axis=1)
        too_long = norms > max_norm
        if too_long.any():
            with no_grad():
                weight[rows[too_long]] = Tensor._wrap(
                    weight._value[rows[too_long]] * (max_norm / (norms[too_long] + 1e-7))[:, None]
                )
    if scale_grad_by_freq and weight.requires_grad:
        rows, inverse, counts = np.unique(index, return_inverse=True, return_counts=True)
        scale = (1.0 / counts[inverse.reshape(index.shape)]).astype(weight.dtype)
        if padding_idx is not None:
            scale[index == padding_idx % n] = 0.0
        return _ScaledLookup.apply(weight, index, scale)
    out = record(operator.getitem, (weight, index), {})
    if padding_idx is not None and weight.requires_grad:
        padding_idx = padding_idx % n
        pad_rows = (index % n == padding_idx)[..., None]
        if pad_rows.any():
            # Same values; the rows read from padding_idx come from a detached copy (no gradient).
            out = record(np.where, (pad_rows, weight._value[index], out), {})
    return out


def one_hot(tensor, num_classes=-1):
    """``int64`` one-hot encoding: ``out[..., k] = (tensor == k)``.

    Args:
        tensor: integer class indices.
        num_classes: the number of classes (``max + 1`` when -1).

    Raises:
        RuntimeError: a negative or too large class index.
    """
    index = raw(tensor)
    if index.dtype.kind not in "iu":
        raise TypeError("one_hot is only applicable to index tensor.")
    if num_classes == -1:
        num_classes = int(index.max()) + 1 if index.size else 0
    if index.size and (index.min() < 0 or index.max() >= num_classes):
        raise RuntimeError(
            "Class values must be non-negative."
            if index.min() < 0
            else "Class values must be smaller than num_classes."
        )
    return Tensor._wrap((index[..., None] == np.arange(num_classes)).astype(np.int64))
