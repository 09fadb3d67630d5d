"""Convolutions as matrix products over patches (``im2col``).

``conv1d``, ``conv2d``, ``conv_transpose2d``, and ``unfold``/``fold``, the patches themselves.
"""

import numpy as np

from ...recording import record
from ...rules.conv import col2im, conv_matmul, conv_output_size, im2col
from .common import pair, single

__all__ = ["conv1d", "conv2d", "unfold", "fold", "conv_transpose2d"]


def _conv2d_raw(input, weight, bias, stride, padding, dilation, groups=1):
    n, channels, h, w = input.shape
    out_channels, in_per_group, kh, kw = weight.shape
    if channels != in_per_group * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
            f"{list(input.shape)} to have {in_per_group * groups} channels, but got {channels} "
            "channels instead"
        )
    if out_channels % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size {list(weight.shape)} instead"
        )
    oh = conv_output_size(h, kh, stride[0], padding[0], dilation[0])
    ow = conv_output_size(w, kw, stride[1], padding[1], dilation[1])
    if oh < 1 or ow < 1:
        raise RuntimeError(
            f"Calculated padded input size per channel: ({h + 2 * padding[0]} x {w + 2 * padding[1]}). "
            f"Kernel size: ({dilation[0] * (kh - 1) + 1} x {dilation[1] * (kw - 1) + 1}). "
            "Kernel size can't be greater than actual input size"
        )
    geometry = {"stride": stride, "padding": padding, "dilation": dilation}
    k = in_per_group * kh * kw
    if groups == 1:  # one product for the whole batch: (O, K) @ (K, OH*OW*N) -> (O, OH*OW*N)
        # The batch innermost: im2col's taps copy runs of OW*N values, and the output (N, O, OH, OW) stays laid
        # out as (O, OH, OW, N): no copy back to NCHW; ReLU and pooling keep that layout and the next
        # convolution reads it as it is.
        cols = record(im2col, (input, (kh, kw)), {**geometry, "layout": "batch_inner"})
        w2 = record(np.reshape, (weight, (out_channels, k)), {})
        return record(conv_matmul, (w2, cols) if bias is None else (w2, cols, bias), {"batch_inner": (n, oh, ow)})
    # groups: one product per group, (G, O/G, K) @ (N, G, K, L) -> (N, G, O/G, L)
    cols = record(im2col, (input, (kh, kw)), geometry)
    w3 = record(np.reshape, (weight, (groups, out_channels // groups, k)), {})
    cols = record(np.reshape, (cols, (n, groups, k, oh * ow)), {})
    out = record(np.reshape, (record(np.matmul, (w3, cols), {}), (n, out_channels, oh * ow)), {})
    if bias is not None:
        out = record(np.add, (out, record(np.reshape, (bias, (out_channels, 1)), {})), {})
    return record(np.reshape, (out, (n, out_channels, oh, ow)), {})


def _conv_padding(padding, kernel, dilation):
    """``(symmetric padding, extra padding at the bottom/right)``; 'same' with an even span pads the right more."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "same":
            total = [d * (k - 1) for k, d in zip(kernel, dilation)]
            return tuple(t // 2 for t in total), tuple(t % 2 for t in total)
        raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
    return pair(padding, "padding"), (0, 0)


def _pad_extra(input, extra):
    if extra == (0, 0):
        return input
    widths = ((0, 0),) * (input.ndim - 2) + ((0, extra[0]), (0, extra[1]))
    return record(np.pad, (input, widths), {"constant_values": 0.0})


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation (PyTorch's ``conv2d``), as ``im2col`` and one matrix product.

    Args:
        input: (N, C_in, H, W) or unbatched (C_in, H, W).
        weight: (C_out, C_in, KH, KW).
        bias: (C_out,) or ``None``.
        stride: an int or a pair.
        padding: an int, a pair, ``'valid'`` or ``'same'`` (zeros on both sides; for an even
            kernel span ``'same'`` pads the bottom/right one more, as PyTorch does).
        dilation: an int or a pair.
        groups: split the channels into this many groups, each convolved with its own filters.

    Returns:
        (N, C_out, H_out, W_out) with ``H_out = (H + 2*padding - dilation*(KH-1) - 1) // stride + 1``.

    Raises:
        RuntimeError: the channel counts do not match, or the kernel does not fit the padded input.
    """
    unbatched = input.ndim == 3
    if unbatched:
        input = record(np.expand_dims, (input, 0), {})
    kernel = tuple(weight.shape[2:])
    dilation = pair(dilation, "dilation")
    pad, extra = _conv_padding(padding, kernel, dilation)
    out = _conv2d_raw(_pad_extra(input, extra), weight, bias, pair(stride, "stride"), pad, dilation, groups)
    return out[0] if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation (PyTorch's ``conv1d``), through ``conv2d`` with a height of 1.

    Args:
        input: (N, C_in, L) or unbatched (C_in, L).
        weight: (C_out, C_in, K).
        bias: (C_out,) or ``None``.
        stride, padding, dilation: ints (``padding`` also ``'valid'``/``'same'``).
        groups: split the channels into this many groups.

    Returns:
        (N, C_out, L_out).
    """
    unbatched = input.ndim == 2
    if unbatched:
        input = record(np.expand_dims, (input, 0), {})
    dilation, stride = single(dilation), single(stride)
    pad, extra = _conv_padding(
        padding if isinstance(padding, str) else (0, single(padding)), (1, weight.shape[2]), (1, dilation)
    )
    x4 = _pad_extra(record(np.expand_dims, (input, 2), {}), extra)
    w4 = record(np.expand_dims, (weight, 2), {})
    out = _conv2d_raw(x4, w4, bias, (1, stride), pad, (1, dilation), groups)
    out = record(np.squeeze, (out,), {"axis": 2})
    return out[0] if unbatched else out


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """The sliding blocks of (N, C, H, W) as columns: (N, C*KH*KW, L) (PyTorch's ``unfold``)."""
    return record(
        im2col,
        (input, pair(kernel_size)),
        {"stride": pair(stride, "stride"), "padding": pair(padding, "padding"), "dilation": pair(dilation, "dilation")},
    )


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The adjoint of ``unfold``: sum the columns (N, C*KH*KW, L) back into (N, C, H, W) (``col2im``).

    Raises:
        RuntimeError: the sizes do not fit together.
    """
    kernel = pair(kernel_size)
    size = pair(output_size, "output_size")
    n, rows, blocks = input.shape
    if rows % (kernel[0] * kernel[1]):
        raise RuntimeError(
            f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
            f"but got input.size(1)={rows} and kernel_size={kernel}"
        )
    geometry = {
        "stride": pair(stride, "stride"),
        "padding": pair(padding, "padding"),
        "dilation": pair(dilation, "dilation"),
    }
    oh = conv_output_size(size[0], kernel[0], geometry["stride"][0], geometry["padding"][0], geometry["dilation"][0])
    ow = conv_output_size(size[1], kernel[1], geometry["stride"][1], geometry["padding"][1], geometry["dilation"][1])
    if oh * ow != blocks:
        raise RuntimeError(
            f"Given output_size={size}, kernel_size={kernel}, expected size of input's dimension 2 "
            f"to match the calculated number of sliding blocks {oh} * {ow} = {oh * ow}, but got "
            f"input.size(2)={blocks}."
        )
    return record(col2im, (input, (n, rows // (kernel[0] * kernel[1])) + size, kernel), geometry)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The adjoint of ``conv2d`` with respect to its input (a "deconvolution"), as ``col2im`` of one product.

    Args:
        input: (N, C_in, H, W) or (C_in, H, W).
        weight: (C_in, C_out / groups, KH, KW).
        bias: (C_out,) or ``None``.
        stride, padding, output_padding, dilation: ints or pairs (``output_padding`` < stride or dilation).
        groups: split the channels into this many groups.

    Returns:
        (N, C_out, H_out, W_out) with
        ``H_out = (H - 1) * stride - 2 * padding + dilation * (KH - 1) + output_padding + 1``.

    Raises:
        RuntimeError: the channel counts do not match.
    """
    unbatched = input.ndim == 3
    if unbatched:
        input = record(np.expand_dims, (input, 0), {})
    stride, padding = pair(stride, "stride"), pair(padding, "padding")
    output_padding, dilation = pair(output_padding, "output_padding"), pair(dilation, "dilation")
    n, channels, h, w = input.shape
    in_channels, out_per_group, kh, kw = weight.shape
    out_channels = out_per_group * groups
    if in_channels % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
            f"got weight of size {list(weight.shape)} instead"
        )
    if channels != in_channels:
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(weight.shape)}, expected input"
            f"{list(input.shape)} to have {in_channels} channels, but got {channels} channels instead"
        )
    for op, s_, d in zip(output_padding, stride, dilation):
        if op >= max(s_, d):
            raise RuntimeError("output padding must be smaller than either stride or dilation")
    oh = (h - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kh - 1) + output_padding[0] + 1
    ow = (w - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kw - 1) + output_padding[1] + 1
    if groups == 1:
        w2 = record(np.reshape, (weight, (in_channels, out_channels * kh * kw)), {})
        x3 = record(np.reshape, (input, (n, in_channels, h * w)), {})
        cols = record(np.matmul, (record(np.transpose, (w2,), {}), x3), {})  # (N, C_out*KH*KW, H*W)
    else:  # one product per group: (G, C_out/G*KH*KW, C_in/G) @ (N, G, C_in/G, H*W)
        k = out_per_group * kh * kw
        w3 = record(np.reshape, (weight, (groups, in_channels // groups, k)), {})
        x4 = record(np.reshape, (input, (n, groups, in_channels // groups, h * w)), {})
        cols = record(np.matmul, (record(np.swapaxes, (w3, 1, 2), {}), x4), {})
        cols = record(np.reshape, (cols, (n, out_channels * kh * kw, h * w)), {})
    out = record(
        col2im,
        (cols, (n, out_channels, oh, ow), (kh, kw)),
        {"stride": stride, "padding": padding, "dilation": dilation},
    )
    if bias is not None:
        out = record(np.add, (out, record(np.reshape, (bias, (out_channels, 1, 1)), {})), {})
    return out[0] if unbatched else out
