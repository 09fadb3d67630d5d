"""Resampling and padding of images: ``pad``, ``interpolate``, ``pixel_shuffle``, ``pixel_unshuffle``."""

import math
import numbers
import operator

import numpy as np

from ...recording import record

__all__ = ["pad", "interpolate", "pixel_shuffle", "pixel_unshuffle"]


def pixel_shuffle(input, upscale_factor):
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r): each group of r*r channels becomes an r x r block."""
    r = int(upscale_factor)
    *lead, c, h, w = input.shape
    x = record(np.reshape, (input, tuple(lead) + (c // (r * r), r, r, h, w)), {})
    k = len(lead)
    x = record(np.transpose, (x, tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2)), {})
    return record(np.reshape, (x, tuple(lead) + (c // (r * r), h * r, w * r)), {})


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W): the inverse of ``pixel_shuffle``."""
    r = int(downscale_factor)
    *lead, c, h, w = input.shape
    x = record(np.reshape, (input, tuple(lead) + (c, h // r, r, w // r, r)), {})
    k = len(lead)
    x = record(np.transpose, (x, tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3)), {})
    return record(np.reshape, (x, tuple(lead) + (c * r * r, h // r, w // r)), {})


_LINEAR_MODES = {"linear": 1, "bilinear": 2, "trilinear": 3}


def interpolate(
    input,
    size=None,
    scale_factor=None,
    mode="nearest",
    align_corners=None,
    recompute_scale_factor=None,
    antialias=False,
):
    """Resize the spatial dimensions (all but the first two): nearest-neighbour or (bi/tri)linear.

    ``'nearest'``: output index ``i`` reads input index ``floor(i * scale)``, with
    ``scale`` the input size over the output size (or ``1 / scale_factor`` when a
    scale factor is given), as PyTorch computes it. ``'linear'``,
    ``'bilinear'``, ``'trilinear'``: separable linear interpolation from the
    source coordinate ``(i + 0.5) * scale - 0.5`` (clamped at 0), or
    ``i * (in - 1) / (out - 1)`` with ``align_corners=True``.

    Args:
        input: (N, C, *spatial).
        size: the output spatial size (an int or a tuple).
        scale_factor: a multiplier (a number or a tuple) instead of ``size``.
        mode: ``'nearest'``, ``'linear'`` (1 spatial dim), ``'bilinear'`` (2) or ``'trilinear'`` (3).
        align_corners: for the linear modes, map the corner pixels' centres onto each other.
        recompute_scale_factor: compute the scale from the sizes even when a scale factor is given.

    Raises:
        NotImplementedError: another mode, or ``antialias``.
        ValueError: neither or both of ``size`` and ``scale_factor``, or ``align_corners`` with ``'nearest'``,
            or a linear mode that does not match the number of spatial dimensions.
    """
    if mode != "nearest" and mode not in _LINEAR_MODES:
        raise NotImplementedError(
            f"srcgrad's interpolate supports 'nearest', 'linear', 'bilinear' and 'trilinear', not {mode!r}"
        )
    if antialias:
        raise NotImplementedError("srcgrad's interpolate does not support antialias")
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined")
    spatial = tuple(input.shape[2:])
    k = len(spatial)
    if mode == "nearest" and align_corners is not None:
        raise ValueError(
            "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear"
        )
    if mode != "nearest" and _LINEAR_MODES[mode] != k:
        raise ValueError(
            f"{mode} interpolation needs {_LINEAR_MODES[mode]} spatial dimensions, got input of {input.ndim} dimensions"
        )
    if size is not None:
        size = (size,) * k if isinstance(size, numbers.Integral) else tuple(size)
        scales = [n_in / n_out for n_in, n_out in zip(spatial, size)]
    else:
        factors = (scale_factor,) * k if isinstance(scale_factor, numbers.Number) else tuple(scale_factor)
        size = tuple(int(math.floor(n * f)) for n, f in zip(spatial, factors))
        scales = [n_in / n_out if recompute_scale_factor else 1.0 / f for n_in, n_out, f in zip(spatial, size, factors)]
    out = input
    for axis, (n_in, n_out, scale) in enumerate(zip(spatial, size, scales)):
        where = (slice(None),) * (axis + 2)
        if mode == "nearest":
            source = np.minimum(
                np.floor(np.arange(n_out, dtype=np.float32) * np.float32(scale)).astype(np.int64), n_in - 1
            )  # float32 arithmetic, as PyTorch's kernel
            if n_in == n_out and np.array_equal(source, np.arange(n_in)):
                continue
            out = record(operator.getitem, (out, where + (source,)), {})
            continue
        if align_corners:
            coord = np.arange(n_out) * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
        else:
            coord = np.maximum((np.arange(n_out) + 0.5) * scale - 0.5, 0.0)
        lo = np.minimum(np.floor(coord).astype(np.int64), n_in - 1)
        hi = np.minimum(lo + 1, n_in - 1)
        frac = (coord - lo).astype(input.dtype).reshape((-1,) + (1,) * (k - axis - 1))
        low = record(operator.getitem, (out, where + (lo,)), {})
        high = record(operator.getitem, (out, where + (hi,)), {})
        out = low * (1.0 - frac) + high * frac
    return out


def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad) // 2`` dimensions; ``pad`` lists (left, right) pairs from the last dimension.

    Args:
        input: any shape.
        pad: ``(left_last, right_last, left_second_last, right_second_last, ...)``; negative values crop.
        mode: ``'constant'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.
        value: the fill of ``'constant'`` (default 0).

    Returns:
        The padded Tensor.

    Raises:
        RuntimeError: an odd-length ``pad`` or too many pairs.
        NotImplementedError: an unknown mode.
    """
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError("Padding length too large")
    pairs = [(int(pad[2 * i]), int(pad[2 * i + 1])) for i in range(len(pad) // 2)]
    widths = [(0, 0)] * (input.ndim - len(pairs)) + pairs[::-1]
    if mode == "constant":
        crop = tuple(slice(-lo if lo < 0 else None, hi if hi < 0 else None) for lo, hi in widths)
        if any(lo < 0 or hi < 0 for lo, hi in widths):
            input = input[crop]
            widths = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
        return record(np.pad, (input, widths), {"constant_values": 0.0 if value is None else value})
    numpy_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}.get(mode)
    if numpy_mode is None:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    # Non-constant modes only move elements: gather with one integer index per dimension.
    out = input
    for axis, (lo, hi) in enumerate(widths):
        if lo == 0 and hi == 0:
            continue
        size = input.shape[axis]
        source = np.pad(np.arange(size), (lo, hi), mode=numpy_mode)
        index = (slice(None),) * axis + (source,)
        out = out[index]
    return out
