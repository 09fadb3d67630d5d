"""Pooling: max and average, fixed and adaptive, in one and two dimensions."""

import numbers
import operator

import numpy as np

from ...recording import record
from ...rules.conv import im2col
from ...rules.pooling import max_tiles
from ...tensor import Tensor
from .common import pair, single

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d"]


def _pool_size(size, kernel, stride, padding, dilation, ceil_mode):
    """PyTorch's pooling output length, and the extra right padding ``ceil_mode`` needs."""
    span = dilation * (kernel - 1) + 1
    if not ceil_mode:
        return (size + 2 * padding - span) // stride + 1, 0
    out = -(-(size + 2 * padding - span) // stride) + 1
    if (out - 1) * stride >= size + padding:  # the last window must start inside the input or the left padding
        out -= 1
    return out, max(0, (out - 1) * stride + span - (size + 2 * padding))


def _pool_geometry(input, kernel, stride, padding, dilation, ceil_mode):
    """``(OH, OW, extra_h, extra_w, tiles)``; ``tiles``: the windows tile the input exactly."""
    h, w = input.shape[2:]
    for p, k, d in zip(padding, kernel, dilation):
        if 2 * p > d * (k - 1) + 1:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={p}, "
                f"kernel_size={k} and dilation={d}"
            )
    oh, extra_h = _pool_size(h, kernel[0], stride[0], padding[0], dilation[0], ceil_mode)
    ow, extra_w = _pool_size(w, kernel[1], stride[1], padding[1], dilation[1], ceil_mode)
    if oh < 1 or ow < 1:
        raise RuntimeError(
            f"Given input size: ({input.shape[1]}x{h}x{w}). Calculated output size: "
            f"({input.shape[1]}x{oh}x{ow}). Output size is too small"
        )
    tiles = (
        stride == kernel
        and padding == (0, 0)
        and dilation == (1, 1)
        and not extra_h
        and not extra_w
        and h == oh * kernel[0]
        and w == ow * kernel[1]
    )
    return oh, ow, extra_h, extra_w, tiles


def _pool_patches(input, kernel, stride, padding, dilation, pad_value, extra=(0, 0)):
    """The pooling windows of (N, C, H, W) as (N*C, KH*KW, OH*OW); ``extra`` pads the bottom/right more."""
    n, c, h, w = input.shape
    flat = record(np.reshape, (input, (n * c, 1, h, w)), {})
    if extra != (0, 0):  # ceil_mode: pad explicitly, unevenly
        widths = ((0, 0), (0, 0), (padding[0], padding[0] + extra[0]), (padding[1], padding[1] + extra[1]))
        flat = record(np.pad, (flat, widths), {"constant_values": pad_value})
        padding = (0, 0)
    return record(
        im2col, (flat, kernel), {"stride": stride, "padding": padding, "dilation": dilation, "pad_value": pad_value}
    )


def _pool_args(input, kernel_size, stride, padding):
    kernel = pair(kernel_size)
    stride = kernel if stride is None or stride == [] else pair(stride, "stride")
    unbatched = input.ndim == 3
    if unbatched:
        input = record(np.expand_dims, (input, 0), {})
    return input, kernel, stride, pair(padding, "padding"), unbatched


def _max_positions(value, kernel, stride, padding, dilation, oh, ow):
    """Where each window's maximum is: the (row, col) in the input of the first largest tap, as PyTorch picks it.

    A loop over the kernel's taps, each a strided view of all windows at once,
    keeping the running maximum and the offsets of the tap that holds it
    (updated by arithmetic, which is much faster than masked copies).
    A NaN wins (PyTorch's rule); a tap in the padding never does.
    """
    n, c, h, w = value.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    rows0 = np.arange(oh) * sh - ph
    cols0 = np.arange(ow) * sw - pw
    extra_h = max(0, rows0[-1] + dh * (kh - 1) + 1 - (h + ph))
    extra_w = max(0, cols0[-1] + dw * (kw - 1) + 1 - (w + pw))
    padded = bool(ph or pw or extra_h or extra_w)
    if padded:
        value = np.pad(value, ((0, 0), (0, 0), (ph, ph + extra_h), (pw, pw + extra_w)), constant_values=-np.inf)
    has_nan = bool(np.isnan(np.sum(value)))  # may also be true for +inf and -inf together: then just slower
    shape = (n, c, oh, ow)
    offset_type = np.int32 if max(dh * kh, dw * kw) < 2**31 else np.int64
    row_offset = np.zeros(shape, dtype=offset_type)
    col_offset = np.zeros(shape, dtype=offset_type)
    better = np.empty(shape, dtype=bool)
    if padded:
        best = np.full(shape, -np.inf, dtype=value.dtype)
        found = np.zeros(shape, dtype=bool)  # a tap inside the input has been taken
    for i in range(kh):
        for j in range(kw):
            tap = value[:, :, i * dh : i * dh + sh * (oh - 1) + 1 : sh, j * dw : j * dw + sw * (ow - 1) + 1 : sw]
            if i == 0 and j == 0 and not padded:  # the first tap is inside the input everywhere
                best = np.array(tap, copy=True)
                continue
            np.greater(tap, best, out=better)
            if has_nan:
                better |= np.isnan(tap)
            if padded:  # the first tap inside the input is taken even when it is -inf
                rows, cols = rows0 + i * dh, cols0 + j * dw
                inside = ((rows >= 0) & (rows < h))[:, None] & ((cols >= 0) & (cols < w))[None, :]
                better |= ~found
                better &= inside
                found |= inside
            np.maximum(best, tap, out=best)  # NaN propagates, as the offsets do
            if i * dh:
                row_offset += better * (offset_type(i * dh) - row_offset)
            else:
                row_offset *= ~better
            if j * dw:
                col_offset += better * (offset_type(j * dw) - col_offset)
            else:
                col_offset *= ~better
    return rows0[:, None] + row_offset, cols0[None, :] + col_offset


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The largest value of each window; the gradient goes to the first largest, as in PyTorch.

    Windows that tile the input (the stride is the kernel, no padding, no dilation; rows and
    columns past the last whole window are left out) are one ``max_tiles`` node, whose
    backward writes each tap's share straight into the gradient. Otherwise the positions
    of the maxima are found on the raw values and the output is one differentiable gather
    of those positions (so the backward is a scatter-add).

    Args:
        input: (N, C, H, W) or (C, H, W).
        kernel_size: an int or a pair.
        stride: defaults to ``kernel_size``.
        padding: implicit ``-inf`` padding on both sides (at most half the kernel).
        dilation: the spacing of the window's taps.
        ceil_mode: round the output size up (windows may overhang the bottom/right edge).
        return_indices: also return the flat index (into H*W) of each maximum.

    Returns:
        (N, C, H_out, W_out), and the indices when asked.
    """
    input, kernel, stride, padding, unbatched = _pool_args(input, kernel_size, stride, padding)
    dilation = pair(dilation, "dilation")
    n, c, h, w = input.shape
    oh, ow, extra_h, extra_w, _ = _pool_geometry(input, kernel, stride, padding, dilation, ceil_mode)
    if (
        not return_indices
        and stride == kernel
        and padding == (0, 0)
        and dilation == (1, 1)
        and (oh, ow) == (h // kernel[0], w // kernel[1])
        and not (extra_h or extra_w)
    ):
        out = record(max_tiles, (input, kernel), {})
        return out[0] if unbatched else out
    rows, cols = _max_positions(input._value, kernel, stride, padding, dilation, oh, ow)
    positions = rows * w + cols  # (N, C, OH, OW), into each H*W plane
    flat_index = (positions + (np.arange(n * c) * (h * w)).reshape(n, c, 1, 1)).reshape(-1)
    flat = record(np.reshape, (input, (-1,)), {})
    out = record(np.reshape, (record(operator.getitem, (flat, flat_index), {}), (n, c, oh, ow)), {})
    if unbatched:
        out = out[0]
        positions = positions[0]
    return (out, Tensor._wrap(positions)) if return_indices else out


def avg_pool2d(
    input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None
):
    """The mean of each window.

    Args:
        input: (N, C, H, W) or (C, H, W).
        kernel_size: an int or a pair.
        stride: defaults to ``kernel_size``.
        padding: implicit zero padding on both sides (at most half the kernel).
        ceil_mode: round the output size up (windows may overhang the bottom/right edge; the
            overhang is never counted in the divisor).
        count_include_pad: divide by the window's part inside the padded input (True) or inside the input.
        divisor_override: divide by this instead.

    Returns:
        (N, C, H_out, W_out).
    """
    input, kernel, stride, padding, unbatched = _pool_args(input, kernel_size, stride, padding)
    n, c, h, w = input.shape
    oh, ow, extra_h, extra_w, tiles = _pool_geometry(input, kernel, stride, padding, (1, 1), ceil_mode)
    if tiles:
        blocks = record(np.reshape, (input, (n, c, oh, kernel[0], ow, kernel[1])), {})
        total = record(np.sum, (blocks,), {"axis": (3, 5)})
    else:
        cols = _pool_patches(input, kernel, stride, padding, (1, 1), 0.0, (extra_h, extra_w))
        total = record(np.reshape, (record(np.sum, (cols,), {"axis": 1}), (n, c, oh, ow)), {})
    if divisor_override is not None:
        out = total / float(divisor_override)
    elif (count_include_pad or padding == (0, 0)) and not (extra_h or extra_w):
        out = total / float(kernel[0] * kernel[1])
    else:
        # the divisor counts the window's positions inside the padded input (count_include_pad) or the input
        ph, pw = padding
        inside = np.ones((1, 1, h + 2 * ph, w + 2 * pw) if count_include_pad else (1, 1, h, w), dtype=input.dtype)
        lo_h, lo_w = (0, 0) if count_include_pad else (ph, pw)
        inside = np.pad(inside, ((0, 0), (0, 0), (lo_h, lo_h + extra_h), (lo_w, lo_w + extra_w)))
        counts = im2col(inside, kernel, stride).sum(axis=1).reshape(oh, ow)
        out = total / counts
    return out[0] if unbatched else out


def _one_d(pool, input, kernel_size, stride, padding, **kwargs):
    stride = single(kernel_size) if stride is None else single(stride)
    x4 = record(np.expand_dims, (input, -2), {})
    out = pool(x4, (1, single(kernel_size)), (1, stride), (0, single(padding)), **kwargs)
    if isinstance(out, tuple):
        return record(np.squeeze, (out[0],), {"axis": -2}), Tensor._wrap(np.squeeze(out[1]._value, axis=-2))
    return record(np.squeeze, (out,), {"axis": -2})


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """``max_pool2d`` over the last dimension of (N, C, L) or (C, L)."""
    return _one_d(
        max_pool2d,
        input,
        kernel_size,
        stride,
        padding,
        dilation=(1, single(dilation)),
        ceil_mode=ceil_mode,
        return_indices=return_indices,
    )


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """``avg_pool2d`` over the last dimension of (N, C, L) or (C, L)."""
    return _one_d(
        avg_pool2d, input, kernel_size, stride, padding, ceil_mode=ceil_mode, count_include_pad=count_include_pad
    )


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size; window ``i`` spans ``floor(i*H/OH) .. ceil((i+1)*H/OH)``.

    Args:
        input: (N, C, H, W) or (C, H, W).
        output_size: an int or a pair (``None`` keeps that size).

    Returns:
        (N, C, OH, OW) (or (C, OH, OW)).
    """
    if isinstance(output_size, numbers.Integral):
        output_size = (output_size, output_size)
    h, w = input.shape[-2:]
    oh = h if output_size[0] is None else int(output_size[0])
    ow = w if output_size[1] is None else int(output_size[1])
    if h % oh == 0 and w % ow == 0:
        k = (h // oh, w // ow)
        return avg_pool2d(input, k, k)

    def pool_matrix(size, out):
        m = np.zeros((out, size), dtype=input.dtype)
        for i in range(out):
            start, stop = (i * size) // out, -((-(i + 1) * size) // out)
            m[i, start:stop] = 1.0 / (stop - start)
        return m

    rows, cols = pool_matrix(h, oh), pool_matrix(w, ow)
    return record(np.matmul, (record(np.matmul, (rows, input), {}), cols.T), {})


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size; window ``i`` spans ``floor(i*H/OH) .. ceil((i+1)*H/OH)``.

    Args:
        input: (N, C, H, W) or (C, H, W).
        output_size: an int or a pair (``None`` keeps that size).
        return_indices: also return the flat index (into H*W) of each maximum.

    Returns:
        (N, C, OH, OW), and the indices when asked.
    """
    if isinstance(output_size, numbers.Integral):
        output_size = (output_size, output_size)
    h, w = input.shape[-2:]
    oh = h if output_size[0] is None else int(output_size[0])
    ow = w if output_size[1] is None else int(output_size[1])
    if h % oh == 0 and w % ow == 0:
        return max_pool2d(input, (h // oh, w // ow), return_indices=return_indices)
    unbatched = input.ndim == 3
    if unbatched:
        input = record(np.expand_dims, (input, 0), {})
    value = input._value
    n, c = value.shape[:2]
    positions = np.empty((n, c, oh, ow), dtype=np.int64)
    for i in range(oh):
        r0, r1 = (i * h) // oh, -(-((i + 1) * h) // oh)
        for j in range(ow):
            c0, c1 = (j * w) // ow, -(-((j + 1) * w) // ow)
            window = value[:, :, r0:r1, c0:c1].reshape(n, c, -1)
            nan = np.isnan(window)
            # the first largest, or the last NaN (PyTorch's rule)
            best = np.where(nan.any(-1), window.shape[-1] - 1 - np.argmax(nan[..., ::-1], -1), np.argmax(window, -1))
            rows, cols = np.divmod(best, c1 - c0)
            positions[:, :, i, j] = (r0 + rows) * w + c0 + cols
    flat_index = (positions + (np.arange(n * c) * (h * w)).reshape(n, c, 1, 1)).reshape(-1)
    flat = record(np.reshape, (input, (-1,)), {})
    out = record(np.reshape, (record(operator.getitem, (flat, flat_index), {}), (n, c, oh, ow)), {})
    if unbatched:
        out, positions = out[0], positions[0]
    return (out, Tensor._wrap(positions)) if return_indices else out
