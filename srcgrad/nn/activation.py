"""Activation layers: thin ``Module`` wrappers around ``nn.functional``.

Every layer here maps a Tensor of any shape to one of the same shape
(``Softmax``/``LogSoftmax`` normalise along ``dim``).
"""

import numpy as np

from ..device import check_device
from ..dtypes import float_dtype
from . import functional as F
from .module import Module
from .parameter import Parameter

__all__ = [
    "ReLU",
    "ReLU6",
    "LeakyReLU",
    "ELU",
    "SELU",
    "CELU",
    "GELU",
    "SiLU",
    "Mish",
    "Sigmoid",
    "Tanh",
    "Softplus",
    "Softsign",
    "Hardtanh",
    "Hardsigmoid",
    "Hardswish",
    "LogSigmoid",
    "Tanhshrink",
    "Softmax",
    "LogSoftmax",
    "Softmin",
    "PReLU",
    "GLU",
    "Threshold",
    "Hardshrink",
    "Softshrink",
    "Softmax2d",
]


class ReLU(Module):
    """``max(x, 0)``; the gradient at 0 is 0.

    Args:
        inplace: accepted for PyTorch compatibility; srcgrad always returns a new Tensor.

    Shape:
        Input (*), output (*).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.ReLU()(srcgrad.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu(input)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class ReLU6(ReLU):
    """``min(max(x, 0), 6)``.

    Shape:
        Input (*), output (*).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.ReLU6()(srcgrad.tensor([-1.0, 7.0]))
        tensor([0., 6.])
    """

    def forward(self, input):
        return F.relu6(input)


class LeakyReLU(Module):
    """``x`` where ``x > 0``, else ``negative_slope * x``.

    Args:
        negative_slope: the slope for negative inputs.
        inplace: accepted and ignored.

    Shape:
        Input (*), output (*).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.LeakyReLU(0.1)(srcgrad.tensor([-1.0, 2.0]))
        tensor([-0.1000,  2.0000])
    """

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    """``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)``.

    Args:
        alpha: the scale of the negative part.
        inplace: accepted and ignored.

    Shape:
        Input (*), output (*).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.ELU()(srcgrad.tensor([0.0, 1.0]))
        tensor([0., 1.])
    """

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return F.elu(input, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(ELU):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    Shape:
        Input (*), output (*).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.CELU()(srcgrad.tensor([0.0, 1.0]))
        tensor([0., 1.])
    """

    def forward(self, input):
        return F.celu(input, self.alpha)


class SELU(Module):
    """``scale * elu(x, alpha)`` with the self-normalising constants.

    Shape:
        Input (*), output (*).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.SELU()(srcgrad.tensor([0.0]))
        tensor([0.])
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.selu(input)


class GELU(Module):
    """``x * Phi(x)`` (Phi the standard normal CDF); ``approximate='tanh'`` uses the tanh formula.

    Args:
        approximate: ``'none'`` or ``'tanh'``.

    Shape:
        Input (*), output (*).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.GELU()(srcgrad.tensor([0.0]))
        tensor([0.])
    """

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(ReLU):
    """``x * sigmoid(x)`` (swish).

    Shape:
        Input (*), output (*).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.SiLU()(srcgrad.tensor([0.0]))
        tensor([0.])
    """

    def forward(self, input):
        return F.silu(input)


class Mish(ReLU):
    """``x * tanh(softplus(x))``.

    Shape:
        Input (*), output (*).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.Mish()(srcgrad.tensor([0.0]))
        tensor([0.])
    """

    def forward(self, input):
        return F.mish(input)


class Sigmoid(Module):
    """``1 / (1 + exp(-x))``.

    Shape:
        Input (*), output (*).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.Sigmoid()(srcgrad.tensor([0.0]))
        tensor([0.5000])
    """

    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    """Hyperbolic tangent.

    Shape:
        Input (*), output (*).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.Tanh()(srcgrad.tensor([0.0]))
        tensor([0.])
    """

    def forward(self, input):
        return F.tanh(input)


class Softplus(Module):
    """``log(1 + exp(beta * x)) / beta``; ``x`` where ``beta * x > threshold``.

    Args:
        beta: the sharpness.
        threshold: above it the layer is linear.

    Shape:
        Input (*), output (*).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.Softplus(threshold=1.0)(srcgrad.tensor([30.0]))
        tensor([30.])
    """

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Softsign(Module):
    """``x / (1 + |x|)``.

    Shape:
        Input (*), output (*).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.Softsign()(srcgrad.tensor([1.0]))
        tensor([0.5000])
    """

    def forward(self, input):
        return F.softsign(input)


class Hardtanh(Module):
    """``x`` clamped to ``[min_val, max_val]``.

    Args:
        min_val: the lower bound.
        max_val: the upper bound.
        inplace: accepted and ignored.

    Shape:
        Input (*), output (*).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.Hardtanh()(srcgrad.tensor([-3.0, 0.5]))
        tensor([-1.0000,  0.5000])
    """

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}" + (", inplace=True" if self.inplace else "")


class Hardsigmoid(ReLU):
    """``relu6(x + 3) / 6``.

    Shape:
        Input (*), output (*).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.Hardsigmoid()(srcgrad.tensor([0.0]))
        tensor([0.5000])
    """

    def forward(self, input):
        return F.hardsigmoid(input)


class Hardswish(ReLU):
    """``x * relu6(x + 3) / 6``.

    Shape:
        Input (*), output (*).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.Hardswish()(srcgrad.tensor([0.0]))
        tensor([0.])
    """

    def forward(self, input):
        return F.hardswish(input)


class LogSigmoid(Module):
    """``log(sigmoid(x))``, without overflow.

    Shape:
        Input (*), output (*).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.LogSigmoid()(srcgrad.tensor([-1000.0]))
        tensor([-1000.])
    """

    def forward(self, input):
        return F.logsigmoid(input)


class Tanhshrink(Module):
    """``x - tanh(x)``.

    Shape:
        Input (*), output (*).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.Tanhshrink()(srcgrad.tensor([0.0]))
        tensor([0.])
    """

    def forward(self, input):
        return F.tanhshrink(input)


class Softmax(Module):
    """``exp(x) / sum(exp(x))`` along ``dim``.

    Args:
        dim: the dimension that sums to 1.

    Shape:
        Input (*), output (*).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.Softmax(dim=0)(srcgrad.tensor([0.0, 0.0]))
        tensor([0.5000, 0.5000])
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """``x - logsumexp(x)`` along ``dim``.

    Args:
        dim: the dimension normalised over.

    Shape:
        Input (*), output (*).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.LogSoftmax(dim=0)(srcgrad.tensor([0.0, 0.0]))
        tensor([-0.6931, -0.6931])
    """

    def forward(self, input):
        return F.log_softmax(input, self.dim)


class Softmin(Softmax):
    """``softmax(-x)`` along ``dim``.

    Shape:
        Input (*), output (*).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.Softmin(dim=0)(srcgrad.tensor([0.0, 0.0]))
        tensor([0.5000, 0.5000])
    """

    def forward(self, input):
        return F.softmin(input, self.dim)


class PReLU(Module):
    """``x`` where ``x > 0``, else ``weight * x``, with a learned slope (one, or one per channel).

    Args:
        num_parameters: 1, or the number of channels (dimension 1 of the input).
        init: the initial slope.
        dtype: the weight's dtype.

    Shape:
        Input (*), output (*).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.PReLU()(srcgrad.tensor([-2.0, 3.0]))
        tensor([-0.5000,  3.0000], grad_fn=<WhereBackward0>)
    """

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        check_device(f"nn.{type(self).__name__}", device)

        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(np.full(num_parameters, init, dtype=float_dtype(dtype)))

    def reset_parameters(self):
        """Set the slope back to ``init``."""
        from . import init as _init

        _init.constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class GLU(Module):
    """The gated linear unit: ``a * sigmoid(b)``, ``a`` and ``b`` the halves of the input along ``dim``.

    Args:
        dim: the dimension halved.

    Shape:
        Input (*, 2M, *), output (*, M, *).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.GLU()(srcgrad.zeros(3, 4)).shape
        srcgrad.Size([3, 2])
    """

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Threshold(Module):
    """``x`` where ``x > threshold``, else ``value``.

    Args:
        threshold: the cut.
        value: what replaces the values at or below it.
        inplace: accepted and ignored.

    Shape:
        Input (*), output (*).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.Threshold(0.5, -1.0)(srcgrad.tensor([0.2, 0.7])).tolist()
        [-1.0, 0.7]
    """

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}" + (", inplace=True" if self.inplace else "")


class Hardshrink(Module):
    """``x`` where ``|x| > lambd``, else 0.

    Shape:
        Input (*), output (*).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.Hardshrink()(srcgrad.tensor([0.2, -0.7])).tolist()
        [0.0, -0.7]
    """

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return F.hardshrink(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class Softshrink(Hardshrink):
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0.

    Shape:
        Input (*), output (*).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.Softshrink()(srcgrad.tensor([0.2, -0.75])).tolist()
        [0.0, -0.25]
    """

    def forward(self, input):
        return F.softshrink(input, self.lambd)


class Softmax2d(Module):
    """Softmax over the channels of each position: dimension -3 of (N, C, H, W) or (C, H, W).

    Shape:
        Input (N, C, H, W) or (C, H, W), output the same.

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.Softmax2d()(srcgrad.zeros(1, 2, 1, 1)).tolist()
        [[[[0.5]], [[0.5]]]]
    """

    def forward(self, input):
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.ndim}D instead")
        return F.softmax(input, -3)
