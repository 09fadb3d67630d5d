"""Convolution and pooling layers: ``Conv1d``, ``Conv2d``, ``MaxPool1d/2d``, ``AvgPool1d/2d``,
``AdaptiveAvgPool2d``.

Convolutions lay the input's patches out as rows with the ``im2col`` primitive
(``srcgrad/rules/conv.py``) and multiply them by the flattened kernel: one
matrix product per call. Pooling reduces the same rows.
"""

import math

import numpy as np

from ..device import check_device
from ..dtypes import float_dtype
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter

__all__ = [
    "Conv1d",
    "Conv2d",
    "ConvTranspose2d",
    "MaxPool1d",
    "MaxPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool2d",
    "Upsample",
    "Fold",
    "Unfold",
]


def _ntuple(v, n):
    if isinstance(v, (tuple, list)):
        if len(v) != n:
            raise ValueError(f"expected {n} values, got {tuple(v)}")
        return tuple(int(x) for x in v)
    return (int(v),) * n


class _ConvNd(Module):
    _dims = 2

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        super().__init__()
        check_device(f"nn.{type(self).__name__}", device)
        n = self._dims
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(
                f"padding_mode must be one of 'zeros', 'reflect', 'replicate' or 'circular', "
                f"but got padding_mode='{padding_mode}'"
            )
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"Invalid padding string '{padding}', should be one of {{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in _ntuple(stride, n)):
                raise ValueError("padding='same' is not supported for strided convolutions")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _ntuple(kernel_size, n)
        self.stride = _ntuple(stride, n)
        self.padding = padding if isinstance(padding, str) else _ntuple(padding, n)
        self.dilation = _ntuple(dilation, n)
        self.groups = groups
        self.padding_mode = padding_mode
        dtype = float_dtype(dtype)
        self.weight = Parameter(np.zeros((out_channels, in_channels // groups) + self.kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(np.zeros(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw the parameters again: PyTorch's ``kaiming_uniform_(a=sqrt(5))`` and U(+-1/sqrt(fan_in)) bias."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def _explicit_padding(self, input):
        """Pad with ``padding_mode`` (non-zero modes); returns the input and the padding left for the conv."""
        if self.padding_mode == "zeros" or isinstance(self.padding, str) and self.padding == "valid":
            return input, self.padding
        if isinstance(self.padding, str):  # 'same'
            total = [d * (k - 1) for k, d in zip(self.kernel_size, self.dilation)]
            pads = [(t // 2, t - t // 2) for t in total]
        else:
            pads = [(p, p) for p in self.padding]
        flat = []
        for lo, hi in reversed(pads):
            flat += [lo, hi]
        return F.pad(input, flat, mode=self.padding_mode), 0

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if isinstance(self.padding, str) or self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv2d(_ConvNd):
    """2-D convolution (cross-correlation, as in PyTorch) over (N, C_in, H, W).

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output.
        kernel_size: an int or a pair.
        stride: an int or a pair.
        padding: an int, a pair, ``'valid'`` or ``'same'``.
        dilation: an int or a pair.
        groups: split the channels into this many groups, each with its own filters.
        bias: learn an additive bias per output channel.
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.
        dtype: the parameters' dtype.

    Attributes:
        weight: (out_channels, in_channels / groups, KH, KW).
        bias: (out_channels,).

    Shape:
        Input (N, C_in, H, W) or (C_in, H, W); output (N, C_out, H_out, W_out) with
        ``H_out = (H + 2 * padding - dilation * (KH - 1) - 1) // stride + 1``.

    Raises:
        ValueError: the channel counts are not divisible by ``groups``.

    Example:
        >>> import srcgrad
        >>> conv = srcgrad.nn.Conv2d(1, 4, 3, padding=1)
        >>> conv
        Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
        >>> conv(srcgrad.zeros(2, 1, 8, 8)).shape
        srcgrad.Size([2, 4, 8, 8])
    """

    _dims = 2

    def forward(self, input):
        input, padding = self._explicit_padding(input)
        return F.conv2d(input, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class Conv1d(_ConvNd):
    """1-D convolution (cross-correlation) over (N, C_in, L).

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output.
        kernel_size: an int.
        stride: an int.
        padding: an int, ``'valid'`` or ``'same'``.
        dilation: an int.
        groups: split the channels into this many groups, each with its own filters.
        bias: learn an additive bias per output channel.
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.
        dtype: the parameters' dtype.

    Shape:
        Input (N, C_in, L) or (C_in, L); output (N, C_out, L_out) with
        ``L_out = (L + 2 * padding - dilation * (K - 1) - 1) // stride + 1``.

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.Conv1d(2, 3, 5)(srcgrad.zeros(4, 2, 10)).shape
        srcgrad.Size([4, 3, 6])
    """

    _dims = 1

    def forward(self, input):
        input, padding = self._explicit_padding(input)
        return F.conv1d(input, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class ConvTranspose2d(Module):
    """The transpose (adjoint) of ``Conv2d`` with respect to its input: upsampling by a learned kernel.

    Parameters start as PyTorch's: ``kaiming_uniform_(a=sqrt(5))`` with the fan-in
    computed from the weight's shape (out_channels * KH * KW), and the bias
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output.
        kernel_size: an int or a pair.
        stride: an int or a pair.
        padding: an int or a pair (removed from the output's borders).
        output_padding: an int or a pair added to one side of the output (less than stride or dilation).
        groups: split the channels into this many groups.
        bias: learn an additive bias per output channel.
        dilation: an int or a pair.
        dtype: the parameters' dtype.

    Attributes:
        weight: (in_channels, out_channels / groups, KH, KW).

    Shape:
        Input (N, C_in, H, W); output (N, C_out, H_out, W_out) with
        ``H_out = (H - 1) * stride - 2 * padding + dilation * (KH - 1) + output_padding + 1``.

    Example:
        >>> import srcgrad
        >>> up = srcgrad.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1)
        >>> up(srcgrad.zeros(1, 2, 4, 4)).shape
        srcgrad.Size([1, 3, 8, 8])
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups=1,
        bias=True,
        dilation=1,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        super().__init__()
        check_device(f"nn.{type(self).__name__}", device)
        if in_channels % groups or out_channels % groups:
            raise ValueError("in_channels and out_channels must be divisible by groups")
        if padding_mode != "zeros":
            raise ValueError('Only "zeros" padding mode is supported for ConvTranspose2d')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _ntuple(kernel_size, 2)
        self.stride = _ntuple(stride, 2)
        self.padding = _ntuple(padding, 2)
        self.output_padding = _ntuple(output_padding, 2)
        self.dilation = _ntuple(dilation, 2)
        self.groups = groups
        self.padding_mode = padding_mode
        dtype = float_dtype(dtype)
        self.weight = Parameter(np.zeros((in_channels, out_channels // groups) + self.kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(np.zeros(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    reset_parameters = _ConvNd.reset_parameters

    def forward(self, input, output_size=None):
        if output_size is not None:
            raise NotImplementedError("srcgrad's ConvTranspose2d takes output_padding, not output_size")
        return F.conv_transpose2d(
            input, self.weight, self.bias, self.stride, self.padding, self.output_padding, self.groups, self.dilation
        )

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0, 0):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class _Pool(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.ceil_mode = ceil_mode


class MaxPool2d(_Pool):
    """The largest value of each window; the gradient goes to the first largest, as in PyTorch.

    Args:
        kernel_size: an int or a pair.
        stride: defaults to ``kernel_size``.
        padding: implicit ``-inf`` padding (at most half the kernel).
        dilation: the spacing of the window's taps.
        return_indices: also return the flat index (into H*W) of each maximum.
        ceil_mode: round the output size up.

    Shape:
        Input (N, C, H, W) or (C, H, W); output (N, C, H_out, W_out) with
        ``H_out = (H + 2 * padding - dilation * (KH - 1) - 1) // stride + 1``.

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.MaxPool2d(2)(srcgrad.arange(16.0).reshape(1, 1, 4, 4))
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__(kernel_size, stride, padding, dilation, ceil_mode)
        self.return_indices = return_indices

    def forward(self, input):
        return F.max_pool2d(
            input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode, self.return_indices
        )

    def extra_repr(self):
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool1d(MaxPool2d):
    """The largest value of each window along the last dimension.

    Shape:
        Input (N, C, L) or (C, L); output (N, C, L_out).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.MaxPool1d(2)(srcgrad.tensor([[[1.0, 3.0, 2.0, 0.0]]]))
        tensor([[[3., 2.]]])
    """

    def forward(self, input):
        return F.max_pool1d(
            input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode, self.return_indices
        )


class AvgPool2d(_Pool):
    """The mean of each window.

    Args:
        kernel_size: an int or a pair.
        stride: defaults to ``kernel_size``.
        padding: implicit zero padding (at most half the kernel).
        ceil_mode: round the output size up.
        count_include_pad: count the padding in the divisor.
        divisor_override: divide by this instead.

    Shape:
        Input (N, C, H, W) or (C, H, W); output (N, C, H_out, W_out).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.AvgPool2d(2)(srcgrad.ones(1, 1, 4, 4)).shape
        srcgrad.Size([1, 1, 2, 2])
    """

    def __init__(
        self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None
    ):
        super().__init__(kernel_size, stride, padding, 1, ceil_mode)
        del self.dilation
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return F.avg_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(AvgPool2d):
    """The mean of each window along the last dimension.

    Shape:
        Input (N, C, L) or (C, L); output (N, C, L_out).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.AvgPool1d(2)(srcgrad.tensor([[[1.0, 3.0, 2.0, 0.0]]]))
        tensor([[[2., 1.]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        single = lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v,)  # noqa: E731
        super().__init__(
            single(kernel_size),
            single(stride) if stride is not None else None,
            single(padding),
            ceil_mode,
            count_include_pad,
        )

    def forward(self, input):
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size, whatever the input size.

    Args:
        output_size: an int or a pair (``None`` keeps that size).

    Shape:
        Input (N, C, H, W) or (C, H, W); output (N, C, OH, OW).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.AdaptiveAvgPool2d(1)(srcgrad.ones(2, 3, 5, 7)).shape
        srcgrad.Size([2, 3, 1, 1])
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class Upsample(Module):
    """Resizing of the spatial dimensions (``nn.functional.interpolate``).

    Args:
        size: the output spatial size.
        scale_factor: a multiplier instead of ``size``.
        mode: ``'nearest'``, ``'linear'``, ``'bilinear'`` or ``'trilinear'``.
        align_corners: for the linear modes (see ``interpolate``).

    Shape:
        Input (N, C, *spatial), output (N, C, *new_spatial).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.Upsample(scale_factor=2)(srcgrad.tensor([[[1.0, 2.0]]])).tolist()
        [[[1.0, 1.0, 2.0, 2.0]]]
    """

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None):
        super().__init__()
        self.size = size
        self.scale_factor = float(scale_factor) if isinstance(scale_factor, (int, float)) else scale_factor
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return F.interpolate(
            input, self.size, self.scale_factor, self.mode, self.align_corners, self.recompute_scale_factor
        )

    def extra_repr(self):
        info = f"scale_factor={self.scale_factor}" if self.scale_factor is not None else f"size={self.size}"
        return info + f", mode={self.mode!r}"


class AdaptiveMaxPool2d(Module):
    """Max pooling to a fixed output size; window ``i`` spans ``floor(i*H/OH) .. ceil((i+1)*H/OH)``.

    Args:
        output_size: an int or a pair (``None`` keeps that size).
        return_indices: also return the indices of the maxima.

    Shape:
        Input (N, C, H, W) or (C, H, W); output (N, C, OH, OW).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.AdaptiveMaxPool2d(1)(srcgrad.ones(2, 3, 4, 4)).shape
        srcgrad.Size([2, 3, 1, 1])
    """

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, input):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class Unfold(Module):
    """The sliding blocks of (N, C, H, W) as columns (N, C*KH*KW, L) (the ``im2col`` primitive).

    Shape:
        Input (N, C, H, W), output (N, C*KH*KW, L).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.Unfold(2)(srcgrad.zeros(1, 3, 4, 4)).shape
        srcgrad.Size([1, 12, 9])
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, stride={self.stride}"


class Fold(Module):
    """Sum columns (N, C*KH*KW, L) back into (N, C, H, W) (the ``col2im`` primitive); the adjoint of ``Unfold``.

    Shape:
        Input (N, C*KH*KW, L), output (N, C, *output_size).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.Fold((4, 4), 2)(srcgrad.ones(1, 12, 9)).shape
        srcgrad.Size([1, 3, 4, 4])
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (
            f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation={self.dilation}, "
            f"padding={self.padding}, stride={self.stride}"
        )
