"""Affine layers and shape layers: ``Linear``, ``Bilinear``, ``Identity``, ``Flatten``, ``Unflatten``."""

import math

import numpy as np

from .. import creation as _creation
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter

__all__ = ["Identity", "Linear", "Bilinear", "Flatten", "Unflatten"]


def _empty(*shape, dtype=None):
    return np.zeros(shape, dtype=_creation._float_dtype(dtype))


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
        (4, 1)
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
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
        (5, 4)
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
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
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


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
        (2, 12)
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
        (2, 3, 4)
    """

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input):
        dim = self.dim % input.ndim
        shape = tuple(input.shape[:dim]) + self.unflattened_size + tuple(input.shape[dim + 1:])
        return input.reshape(shape)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
