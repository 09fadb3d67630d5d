"""Normalisation layers' computations: ``batch_norm``, ``layer_norm``, ``group_norm``, ``instance_norm``."""

import numbers

import numpy as np

from ...autograd.grad_mode import no_grad
from ...recording import record
from ...tensor import Tensor
from .common import raw

__all__ = ["layer_norm", "batch_norm", "group_norm", "instance_norm"]


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last ``len(normalized_shape)`` dimensions: ``(x - mean) / sqrt(var + eps) * w + b``.

    The variance is the biased one (divided by the count), as in PyTorch.

    Raises:
        RuntimeError: the trailing shape of ``input`` is not ``normalized_shape``.
    """
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (int(normalized_shape),)
    k = len(normalized_shape)
    if tuple(input.shape[input.ndim - k :]) != tuple(normalized_shape):
        raise RuntimeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*, {', '.join(map(str, normalized_shape))}], but got input of size{list(input.shape)}"
        )
    axes = tuple(range(input.ndim - k, input.ndim))
    mean = record(np.mean, (input,), {"axis": axes, "keepdims": True})
    centered = record(np.subtract, (input, mean), {})
    var = record(np.mean, (centered * centered,), {"axis": axes, "keepdims": True})
    out = centered / record(np.sqrt, (var + eps,), {})
    if weight is not None:
        out = record(np.multiply, (out, weight), {})
    if bias is not None:
        out = record(np.add, (out, bias), {})
    return out


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise each group of channels of each sample: (N, C, *) split into ``num_groups`` groups along C.

    Raises:
        RuntimeError: C is not divisible by ``num_groups``.
    """
    n, c = input.shape[:2]
    if c % num_groups:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got input of "
            f"shape {list(input.shape)} and num_groups={num_groups}"
        )
    grouped = record(np.reshape, (input, (n, num_groups, -1)), {})
    mean = record(np.mean, (grouped,), {"axis": -1, "keepdims": True})
    centered = record(np.subtract, (grouped, mean), {})
    var = record(np.mean, (centered * centered,), {"axis": -1, "keepdims": True})
    out = record(np.reshape, (centered / record(np.sqrt, (var + eps,), {}), tuple(input.shape)), {})
    shape = (c,) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = record(np.multiply, (out, record(np.reshape, (weight, shape), {})), {})
    if bias is not None:
        out = record(np.add, (out, record(np.reshape, (bias, shape), {})), {})
    return out


def instance_norm(
    input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True, momentum=0.1, eps=1e-5
):
    """Normalise each channel of each sample over its spatial dimensions (``batch_norm`` per sample).

    Running statistics, when given, are averaged over the batch and updated as in ``batch_norm``.
    """
    n, c = input.shape[:2]
    folded = record(np.reshape, (input, (1, n * c) + tuple(input.shape[2:])), {})
    rm = None if running_mean is None else Tensor._wrap(np.tile(running_mean._value, n))
    rv = None if running_var is None else Tensor._wrap(np.tile(running_var._value, n))
    out = batch_norm(folded, rm, rv, None, None, use_input_stats, momentum, eps)
    if use_input_stats and running_mean is not None:
        with no_grad():
            running_mean.copy_(Tensor._wrap(rm._value.reshape(n, c).mean(0)))
            running_var.copy_(Tensor._wrap(rv._value.reshape(n, c).mean(0)))
    out = record(np.reshape, (out, tuple(input.shape)), {})
    shape = (c,) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = record(np.multiply, (out, record(np.reshape, (weight, shape), {})), {})
    if bias is not None:
        out = record(np.add, (out, record(np.reshape, (bias, shape), {})), {})
    return out


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalise each channel (dimension 1) over the batch and any trailing dimensions.

    In training the batch statistics are used (biased variance) and the running
    buffers, when given, are updated in place with the unbiased variance:
    ``running = (1 - momentum) * running + momentum * batch``. Otherwise the
    running statistics are used.

    Raises:
        ValueError: training with a single value per channel.
    """
    axes = (0,) + tuple(range(2, input.ndim))
    shape = (1, -1) + (1,) * (input.ndim - 2)
    if training:
        count = input.numel() // input.shape[1]
        if count <= 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size {list(input.shape)}"
            )
        mean = record(np.mean, (input,), {"axis": axes, "keepdims": True})
        centered = record(np.subtract, (input, mean), {})
        var = record(np.mean, (centered * centered,), {"axis": axes, "keepdims": True})
        if running_mean is not None or running_var is not None:
            with no_grad():
                m = 0.0 if momentum is None else momentum
                if running_mean is not None:
                    running_mean.copy_(Tensor._wrap((1 - m) * running_mean._value + m * mean._value.reshape(-1)))
                if running_var is not None:
                    unbiased = var._value.reshape(-1) * (count / (count - 1))
                    running_var.copy_(Tensor._wrap((1 - m) * running_var._value + m * unbiased))
        out = centered / record(np.sqrt, (var + eps,), {})
    else:
        mean = raw(running_mean).reshape(shape)
        scale = 1.0 / np.sqrt(raw(running_var).reshape(shape) + eps)
        out = (input - mean) * scale.astype(input.dtype)
    if weight is not None:
        out = record(np.multiply, (out, record(np.reshape, (weight, shape), {})), {})
    if bias is not None:
        out = record(np.add, (out, record(np.reshape, (bias, shape), {})), {})
    return out
