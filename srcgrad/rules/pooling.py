"""Max pooling over windows that tile the input: ``max_tiles`` and the linear maps behind its derivative.

``max_pool2d`` with the stride equal to the kernel, no padding and no
dilation (``MaxPool2d(2)``, the common case) takes the maximum of each
``(KH, KW)`` tile of the last two axes; rows and columns past the last whole
tile are left out (floor mode). These are primitives for speed only: the
general path finds each window's maximum with a loop over the taps and then
gathers it by index (a scatter-add in the backward); here each tap is a
strided view of the input, so the forward is ``KH*KW - 1`` calls of
``np.maximum`` and the backward writes each tap's share straight into its
strided view of the gradient.

* ``max_tiles(x, kernel)`` -- the maximum of every tile: (..., H // KH, W // KW).
* ``max_tiles_choice(x, ans, kernel)`` -- which tap (numbered in row-major
  order) holds each tile's maximum: the first when several do, the last NaN
  when the tile holds NaNs (PyTorch's choices). No derivative.
* ``max_tiles_grad(g, choice, kernel, shape)`` -- the VJP: ``g`` goes to each
  tile's chosen tap, zeros elsewhere; an array of ``shape``, the input's.
* ``max_tiles_pick(y, choice, kernel)`` -- its adjoint: the entry of ``y`` at
  each tile's chosen tap.

The two linear maps are each other's VJP, and the choice is piecewise constant
(no derivative), so second derivatives work as for any composition of primitives.
"""

import numpy as np

from .broadcast import shape_of
from .registry import defjvp, defnondiff, defvjp, primitive

__all__ = ["max_tiles", "max_tiles_choice", "max_tiles_grad", "max_tiles_pick"]


def _taps(a, kernel, tiles):
    """The ``KH*KW`` strided views of ``a``, in row-major order, each holding one entry of every tile."""
    (kh, kw), (oh, ow) = kernel, tiles
    return [a[..., i : oh * kh : kh, j : ow * kw : kw] for i in range(kh) for j in range(kw)]


def _laid_out_as(like, shape, dtype, make):
    """A new array of ``shape`` (``like``'s number of axes) whose axes lie in memory in the order of ``like``'s
    (largest stride outermost), made by ``make`` (``np.empty`` or ``np.zeros``): a gradient laid out as the
    input it belongs to, so the passes over both run over memory in the same order (a convolution's output
    lies as (C, H, W, N))."""
    if np.ndim(like) != len(shape):
        return make(shape, dtype=dtype)
    order = _memory_order(like)
    return np.transpose(make([shape[axis] for axis in order], dtype=dtype), np.argsort(order))


def _memory_order(a):
    """The axes of ``a`` from the one with the largest stride to the smallest (ties in axis order)."""
    return tuple(np.argsort([-abs(stride) for stride in a.strides], kind="stable"))


@primitive
def max_tiles(x, kernel):
    """The maximum of every ``kernel``-sized tile of the last two axes of ``x``.

    Args:
        x: an array of at least two axes, (..., H, W).
        kernel: ``(KH, KW)``, at most ``(H, W)``.

    Returns:
        (..., H // KH, W // KW): NaN where a tile holds a NaN.
    """
    x = np.asarray(x)
    taps = _taps(x, kernel, (x.shape[-2] // kernel[0], x.shape[-1] // kernel[1]))
    out = np.array(taps[0], copy=True)
    for tap in taps[1:]:
        np.maximum(out, tap, out=out)
    return out


@primitive
def max_tiles_choice(x, ans, kernel):
    """The tap (0 to KH*KW - 1, row-major) that holds each tile's maximum: ``ans``'s shape, int8.

    Args:
        x: the input of ``max_tiles``.
        ans: ``max_tiles(x, kernel)``.
        kernel: ``(KH, KW)``.
    """
    x, ans = np.asarray(x), np.asarray(ans)
    taps = _taps(x, kernel, ans.shape[-2:])
    choice = np.zeros_like(ans, dtype=np.int8 if len(taps) <= 127 else np.intp)  # laid out as ans
    if not np.isnan(ans).any():  # the first tap equal to the maximum
        taken = np.equal(taps[0], ans)
        hit = np.empty_like(ans, dtype=bool)
        for k, tap in enumerate(taps[1:], 1):
            np.equal(tap, ans, out=hit)
            np.greater(hit, taken, out=hit)  # equal, and no earlier tap was
            taken |= hit
            choice += hit * choice.dtype.type(k)  # arithmetic: much faster than a masked copy
        return choice
    # as PyTorch's kernel scans: a larger value or any NaN takes the tile over
    best = np.array(taps[0], copy=True)
    for k, tap in enumerate(taps[1:], 1):
        choice[(tap > best) | np.isnan(tap)] = k
        np.maximum(best, tap, out=best)
    return choice


@primitive
def max_tiles_grad(g, choice, kernel, shape):
    """``g`` at each tile's chosen tap, zeros elsewhere: the VJP of ``max_tiles``.

    Args:
        g: the cotangent of ``max_tiles(x, kernel)``.
        choice: ``max_tiles_choice(x, ans, kernel)``.
        kernel: ``(KH, KW)``.
        shape: the shape of ``x``.
    """
    g, choice = np.asarray(g), np.asarray(choice)
    if np.ndim(g) == choice.ndim and _memory_order(g) != _memory_order(choice):
        # g laid out as the input (a Flatten's reshape hands it back in C order): one pass over g, where
        # reading it across the taps' layout costs each tap's pass five times as much
        laid_out = _laid_out_as(choice, g.shape, g.dtype, np.empty)
        np.copyto(laid_out, g)
        g = laid_out
    (kh, kw), (oh, ow) = kernel, choice.shape[-2:]
    covered = tuple(shape[-2:]) == (oh * kh, ow * kw)  # every entry is some tile's tap: each written once below
    out = _laid_out_as(choice, shape, g.dtype, np.empty if covered else np.zeros)
    for k, view in enumerate(_taps(out, kernel, choice.shape[-2:])):
        np.multiply(g, choice == k, out=view)
    return out


@primitive
def max_tiles_pick(y, choice, kernel):
    """The entry of ``y`` at each tile's chosen tap: the adjoint of ``max_tiles_grad``.

    Args:
        y: an array of the input's shape.
        choice: ``max_tiles_choice(x, ans, kernel)``.
        kernel: ``(KH, KW)``.
    """
    y, choice = np.asarray(y), np.asarray(choice)
    out = np.zeros_like(choice, dtype=y.dtype)
    for k, tap in enumerate(_taps(y, kernel, choice.shape[-2:])):
        np.copyto(out, tap, where=choice == k)
    return out


defnondiff(max_tiles_choice)

defvjp(max_tiles,
       lambda g, ans, x, kernel: max_tiles_grad(g, max_tiles_choice(x, ans, kernel), kernel, shape_of(x)),
       None,
       backward_name="MaxPool2DWithIndicesBackward0")
defjvp(max_tiles,
       lambda t, ans, x, kernel: max_tiles_pick(t, max_tiles_choice(x, ans, kernel), kernel))

defvjp(max_tiles_grad,
       lambda g, ans, g_in, choice, kernel, shape: max_tiles_pick(g, choice, kernel),
       None, None, None,
       backward_name="MaxPool2DWithIndicesBackwardBackward0")
defjvp(max_tiles_grad,
       lambda t, ans, g_in, choice, kernel, shape: max_tiles_grad(t, choice, kernel, shape))

defvjp(max_tiles_pick,
       lambda g, ans, y, choice, kernel: max_tiles_grad(g, choice, kernel, shape_of(y)),
       None, None,
       backward_name="MaxTilesPickBackward0")
defjvp(max_tiles_pick,
       lambda t, ans, y, choice, kernel: max_tiles_pick(t, choice, kernel))
