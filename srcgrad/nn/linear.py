"""Affine layers and shape layers: ``Linear``, ``Bilinear``, ``Identity``, ``Flatten``, ``Unflatten``."""

import math

import numpy as np

from ..device import check_device
from ..dtypes import float_dtype
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter

__all__ = [
    "Identity",
    "Linear",
    "Bilinear",
    "Flatten",
    "Unflatten",
    "PixelShuffle",
    "PixelUnshuffle",
    "CosineSimilarity",
    "PairwiseDistance",
]


def _empty(*shape, dtype=None):
    return np.zeros(shape, dtype=float_dtype(dtype))


class Identity(Module):
    """Returns its input; arguments are accepted and ignored.

    Shape:
        Input (*), output (*).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.Identity(54, unused="x")(srcgrad.tensor([1.0]))
        tensor([1.])
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """``y = x @ weight.T + bias``.

    Both parameters start as U(-1/sqrt(in_features), 1/sqrt(in_features)) (PyTorch's
    ``kaiming_uniform_(a=sqrt(5))`` for the weight), drawn from srcgrad's global generator.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: learn an additive bias.
        dtype: the parameters' dtype (srcgrad's default float64 when omitted).

    Attributes:
        weight: (out_features, in_features).
        bias: (out_features,), or ``None``.

    Shape:
        Input (*, in_features), output (*, out_features).

    Example:
        >>> import srcgrad
        >>> m = srcgrad.nn.Linear(3, 1)
        >>> m
        Linear(in_features=3, out_features=1, bias=True)
        >>> m(srcgrad.zeros(4, 3)).shape
        srcgrad.Size([4, 1])
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        check_device(f"nn.{type(self).__name__}", device)
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(_empty(out_features, in_features, dtype=dtype))
        if bias:
            self.bias = Parameter(_empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw the weight and bias again (PyTorch's default initialisation)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    """``y[k] = x1 @ weight[k] @ x2 + bias[k]``.

    Parameters start as U(-1/sqrt(in1_features), 1/sqrt(in1_features)).

    Args:
        in1_features: size of each first input sample.
        in2_features: size of each second input sample.
        out_features: size of each output sample.
        bias: learn an additive bias.
        dtype: the parameters' dtype.

    Shape:
        Inputs (*, in1_features) and (*, in2_features), output (*, out_features).

    Example:
        >>> import srcgrad
        >>> m = srcgrad.nn.Bilinear(2, 3, 4)
        >>> m(srcgrad.zeros(5, 2), srcgrad.zeros(5, 3)).shape
        srcgrad.Size([5, 4])
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        check_device(f"nn.{type(self).__name__}", device)
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(_empty(out_features, in1_features, in2_features, dtype=dtype))
        if bias:
            self.bias = Parameter(_empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw the parameters again from U(-1/sqrt(in1_features), 1/sqrt(in1_features))."""
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )


class Flatten(Module):
    """Merge the dimensions ``start_dim..end_dim`` into one.

    Args:
        start_dim: the first dimension merged (default 1: keep the batch).
        end_dim: the last dimension merged.

    Shape:
        Input (N, *dims), output (N, prod(dims)) with the defaults.

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.Flatten()(srcgrad.zeros(2, 3, 4)).shape
        srcgrad.Size([2, 12])
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size``.

    Args:
        dim: the dimension split.
        unflattened_size: the new dimensions (their product is the old length; one may be -1).

    Shape:
        Input (*, S, *), output (*, *unflattened_size, *).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.Unflatten(1, (3, 4))(srcgrad.zeros(2, 12)).shape
        srcgrad.Size([2, 3, 4])
    """

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input):
        dim = self.dim % input.ndim
        shape = tuple(input.shape[:dim]) + self.unflattened_size + tuple(input.shape[dim + 1 :])
        return input.reshape(shape)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class PixelShuffle(Module):
    """Rearrange (*, C*r*r, H, W) into (*, C, H*r, W*r): sub-pixel upsampling.

    Args:
        upscale_factor: r.

    Shape:
        Input (*, C*r*r, H, W), output (*, C, H*r, W*r).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.PixelShuffle(2)(srcgrad.zeros(1, 8, 3, 3)).shape
        srcgrad.Size([1, 2, 6, 6])
    """

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """Rearrange (*, C, H*r, W*r) into (*, C*r*r, H, W): the inverse of ``PixelShuffle``.

    Args:
        downscale_factor: r.

    Shape:
        Input (*, C, H*r, W*r), output (*, C*r*r, H, W).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.PixelUnshuffle(2)(srcgrad.zeros(1, 2, 6, 6)).shape
        srcgrad.Size([1, 8, 3, 3])
    """

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"


class CosineSimilarity(Module):
    """``x1 . x2 / max(|x1| |x2|, eps)`` along ``dim``.

    Shape:
        Inputs (*, D, *), output (*, *).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.CosineSimilarity()(srcgrad.tensor([[1.0, 0.0]]), srcgrad.tensor([[2.0, 0.0]])).tolist()
        [1.0]
    """

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """``||x1 - x2 + eps||_p`` along the last dimension.

    Shape:
        Inputs (N, D) or (D,), output (N,) or ().

    Example:
        >>> import srcgrad
        >>> d = srcgrad.nn.PairwiseDistance(eps=0.0)(srcgrad.tensor([[3.0, 0.0]]), srcgrad.tensor([[0.0, 4.0]]))
        >>> d.tolist()
        [5.0]
    """

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
