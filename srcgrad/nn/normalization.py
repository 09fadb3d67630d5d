"""Normalisation layers: ``LayerNorm``, ``BatchNorm1d``, ``BatchNorm2d``."""

import numbers

import numpy as np

from ..device import check_device
from ..dtypes import float_dtype
from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter

__all__ = ["LayerNorm", "GroupNorm", "BatchNorm1d", "BatchNorm2d", "InstanceNorm1d", "InstanceNorm2d"]


class LayerNorm(Module):
    """``(x - mean) / sqrt(var + eps) * weight + bias`` over the last dimensions (biased variance).

    Args:
        normalized_shape: the trailing shape normalised over (an int or a tuple).
        eps: added to the variance.
        elementwise_affine: learn ``weight`` (ones) and ``bias`` (zeros) of ``normalized_shape``.
        bias: learn the bias (with ``elementwise_affine``).
        dtype: the parameters' dtype.

    Shape:
        Input (*, *normalized_shape), output the same.

    Example:
        >>> import srcgrad
        >>> ln = srcgrad.nn.LayerNorm(2)
        >>> ln(srcgrad.tensor([[1.0, 3.0]]))
        tensor([[-1.0000,  1.0000]], grad_fn=<AddBackward0>)
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        check_device(f"nn.{type(self).__name__}", device)
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        dtype = float_dtype(dtype)
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype))
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self):
        """Set the weight to ones and the bias to zeros."""
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
            f"bias={self.bias is not None}"
        )


class GroupNorm(Module):
    """Normalise each sample over groups of channels: (N, C, *) with C split into ``num_groups``.

    Args:
        num_groups: the number of groups (divides ``num_channels``).
        num_channels: C.
        eps: added to the variance.
        affine: learn a per-channel ``weight`` (ones) and ``bias`` (zeros).
        dtype: the parameters' dtype.

    Raises:
        ValueError: ``num_channels`` is not divisible by ``num_groups``.

    Shape:
        Input (N, C, *), output the same.

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.GroupNorm(2, 4)(srcgrad.randn(3, 4, 5)).shape
        srcgrad.Size([3, 4, 5])
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        check_device(f"nn.{type(self).__name__}", device)
        if num_channels % num_groups:
            raise ValueError("num_channels must be divisible by num_groups")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        dtype = float_dtype(dtype)
        if affine:
            self.weight = Parameter(np.ones(num_channels, dtype=dtype))
            if bias:
                self.bias = Parameter(np.zeros(num_channels, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


class _BatchNorm(Module):
    _input_dims = ()

    def __init__(
        self,
        num_features,
        eps=1e-5,
        momentum=0.1,
        affine=True,
        track_running_stats=True,
        device=None,
        dtype=None,
        *,
        bias=True,
    ):
        super().__init__()
        check_device(f"nn.{type(self).__name__}", device)
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        dtype = float_dtype(dtype)
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype))
            if bias:
                self.bias = Parameter(np.zeros(num_features, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor._wrap(np.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor._wrap(np.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor._wrap(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self):
        """Running mean 0, running variance 1, no batches counted."""
        if self.track_running_stats:
            self.running_mean._value[...] = 0
            self.running_var._value[...] = 1
            self.num_batches_tracked._value = np.array(0, dtype=np.int64)

    def reset_parameters(self):
        """Reset the running statistics; weight ones, bias zeros."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        if input.ndim not in self._input_dims:
            raise ValueError(
                f"expected {' or '.join(f'{d}D' for d in self._input_dims)} input (got {input.ndim}D input)"
            )
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked._value = self.num_batches_tracked._value + 1
            if self.momentum is None:  # a cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked._value)
        use_batch = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if track else None,
            self.running_var if track else None,
            self.weight,
            self.bias,
            use_batch,
            momentum,
            self.eps,
        )

    def extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Normalise each feature over the batch (and the length): ``(x - mean) / sqrt(var + eps) * w + b``.

    In training, batch statistics are used (biased variance) and the buffers
    ``running_mean``/``running_var`` move towards them:
    ``running = (1 - momentum) * running + momentum * batch`` (the unbiased
    variance; ``momentum=None`` is a cumulative average). In evaluation the
    running statistics are used.

    Args:
        num_features: C.
        eps: added to the variance.
        momentum: the weight of the new batch in the running statistics.
        affine: learn ``weight`` (ones) and ``bias`` (zeros).
        track_running_stats: keep running statistics (else batch statistics are always used).
        dtype: the parameters' dtype.
        bias: learn the bias (with ``affine``; keyword only).

    Shape:
        Input (N, C) or (N, C, L), output the same.

    Example:
        >>> import srcgrad
        >>> bn = srcgrad.nn.BatchNorm1d(1)
        >>> bn(srcgrad.tensor([[1.0], [3.0]]))
        tensor([[-1.0000],
                [ 1.0000]], grad_fn=<AddBackward0>)
        >>> bn.running_mean
        tensor([0.2000])
    """

    _input_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """``BatchNorm1d`` for images: normalise each channel over (N, H, W).

    Shape:
        Input (N, C, H, W), output the same.

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.BatchNorm2d(3)(srcgrad.randn(2, 3, 4, 4)).shape
        srcgrad.Size([2, 3, 4, 4])
    """

    _input_dims = (4,)


class _InstanceNorm(_BatchNorm):
    def __init__(
        self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False, device=None, dtype=None
    ):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)

    def forward(self, input):
        if input.ndim not in self._input_dims:
            raise ValueError(
                f"expected {' or '.join(f'{d}D' for d in self._input_dims)} input (got {input.ndim}D input)"
            )
        unbatched = input.ndim == self._input_dims[0]
        if unbatched:
            input = input.unsqueeze(0)
        use_input_stats = self.training or not self.track_running_stats
        out = F.instance_norm(
            input,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            use_input_stats,
            0.0 if self.momentum is None else self.momentum,
            self.eps,
        )
        return out.squeeze(0) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Normalise each channel of each sample over its length (no learned parameters by default).

    Shape:
        Input (N, C, L) or (C, L), output the same.

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.InstanceNorm1d(2)(srcgrad.randn(3, 2, 5)).shape
        srcgrad.Size([3, 2, 5])
    """

    _input_dims = (2, 3)


class InstanceNorm2d(_InstanceNorm):
    """Normalise each channel of each sample over H and W (no learned parameters by default).

    Shape:
        Input (N, C, H, W) or (C, H, W), output the same.

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.InstanceNorm2d(2)(srcgrad.randn(3, 2, 4, 4)).shape
        srcgrad.Size([3, 2, 4, 4])
    """

    _input_dims = (3, 4)
