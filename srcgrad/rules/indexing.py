"""Rules of indexing: ``x[idx]`` and its out-of-place updates.

Three primitives cover reading and writing through an index:

* ``operator.getitem(x, idx)`` -- ``x[idx]`` for any numpy index: ints, slices,
  ``Ellipsis``, ``None``, integer arrays (fancy indexing) and boolean masks.
* ``index_add(x, idx, v)`` -- a copy of ``x`` with ``v`` added at ``x[idx]``.
  Repeated integer indices *accumulate* (``np.add.at``), so it is exactly the
  adjoint of ``getitem``; ``x[idx] += v`` in user code means
  ``x = index_add(x, idx, v)``.
* ``index_update(x, idx, v)`` -- a copy of ``x`` with ``x[idx] = v``. With
  repeated indices numpy keeps the last write, and so do the gradients: only
  the element of ``v`` that was written last at a position receives that
  position's gradient.

The adjoints close over each other (getitem <-> index_add, index_update ->
getitem and index_update), so second derivatives work on the tape. The index
never gets a gradient.
"""

import operator

import numpy as np

from .broadcast import shape_of
from .helpers import reads_shape_of
from .registry import defjvp, defnondiff, defvjp, primitive

__all__ = [
    "index_add",
    "index_update",
    "last_write_mask",
    "take_index",
    "along_axis_index",
    "interp_segment",
    "interp_weight",
    "interp_kept",
    "not_differentiable",
]


def _is_basic(idx):
    """True when ``idx`` cannot address one element twice: only ints, slices,
    ``None``, ``Ellipsis`` and boolean masks. Anything else (integer arrays, lists,
    array-likes) takes the accumulating path, which is right for every index."""
    items = idx if isinstance(idx, tuple) else (idx,)
    for item in items:
        if item is None or item is Ellipsis or isinstance(item, (int, np.integer, slice, bool, np.bool_)):
            continue
        if isinstance(item, np.ndarray) and item.dtype == np.bool_:
            continue
        return False
    return True


@primitive
def index_add(x, idx, v):
    """A copy of ``x`` with ``v`` added at ``x[idx]``; repeated indices accumulate.

    Args:
        x: the array to start from (not modified).
        idx: any numpy index.
        v: values broadcastable to ``x[idx]``'s shape.

    Returns:
        A new array of ``x``'s shape and the result dtype of ``x`` and ``v``.
    """
    out = np.array(x, dtype=np.result_type(x, v), copy=True)
    if _is_basic(idx):
        out[idx] += v
    else:
        np.add.at(out, idx, v)
    return out


@primitive
def index_update(x, idx, v):
    """A copy of ``x`` with ``x[idx] = v`` (numpy's assignment, last write wins).

    Args:
        x: the array to start from (not modified).
        idx: any numpy index.
        v: values broadcastable to ``x[idx]``'s shape.

    Returns:
        A new array of ``x``'s shape and the result dtype of ``x`` and ``v``.
    """
    out = np.array(x, dtype=np.result_type(x, v), copy=True)
    out[idx] = v
    return out


@primitive
def last_write_mask(x, idx):
    """Which elements of ``x[idx]`` survive ``x[idx] = v``: True unless a later one
    writes the same position. All True for indices without repeats.

    Returns:
        A boolean array of ``x[idx]``'s shape.
    """
    x = np.asarray(x)
    if _is_basic(idx):
        return np.ones(x[idx].shape, dtype=bool)
    writers = np.full(x.shape, -1, dtype=np.intp)
    order = np.arange(x[idx].size).reshape(x[idx].shape)
    writers[idx] = order
    return writers[idx] == order


defnondiff(last_write_mask)

defvjp(operator.getitem,
       lambda g, ans, x, idx: index_add(np.zeros_like(x), idx, g),
       None,
       name="getitem", backward_name="IndexBackward0", complex=True)
defjvp(operator.getitem,
       lambda t, ans, x, idx: t[idx],
       None)

defvjp(index_add,
       lambda g, ans, x, idx, v: g,
       None,
       lambda g, ans, x, idx, v: g[idx],
       backward_name="IndexPutBackward0", complex=True)
defjvp(index_add,
       lambda t, ans, x, idx, v: t,
       None,
       lambda t, ans, x, idx, v: index_add(np.zeros_like(ans), idx, t))

defvjp(index_update,
       lambda g, ans, x, idx, v: index_update(g, idx, 0.0),
       None,
       lambda g, ans, x, idx, v: g[idx] * last_write_mask(x, idx),
       backward_name="IndexPutBackward0", complex=True)
defjvp(index_update,
       lambda t, ans, x, idx, v: index_update(t, idx, 0.0),
       None,
       lambda t, ans, x, idx, v: index_update(np.zeros_like(ans), idx, t))


# ------------------------------------------------- gathers, as indexes into x
@reads_shape_of(0)
def take_index(x, indices, axis=None):
    """The index ``idx`` with ``x[idx] == np.take(x, indices, axis)``."""
    if axis is None:
        return np.unravel_index(indices, shape_of(x))
    return (slice(None),) * (axis % len(shape_of(x))) + (indices,)


@reads_shape_of(0)
def along_axis_index(x, indices, axis):
    """The index ``idx`` with ``x[idx] == np.take_along_axis(x, indices, axis)``."""
    indices = np.asarray(indices)
    if axis is None:
        return np.unravel_index(indices, shape_of(x))
    ndim = len(shape_of(x))
    axis = axis % ndim
    index = []
    for d in range(ndim):
        if d == axis:
            index.append(indices)
        else:
            shape = [1] * ndim
            shape[d] = indices.shape[d]
            index.append(np.arange(indices.shape[d]).reshape(shape))
    return tuple(index)


defvjp(np.take,  # repeated indices accumulate
       lambda g, ans, x, indices, axis=None: index_add(np.zeros_like(x), take_index(x, indices, axis), g),
       None,
       backward_name="TakeBackward0", complex=True)
defjvp(np.take,
       lambda t, ans, x, indices, axis=None: np.take(t, indices, axis),
       None)

defvjp(np.take_along_axis,
       lambda g, ans, x, indices, axis=None: index_add(np.zeros_like(x), along_axis_index(x, indices, axis), g),
       None,
       backward_name="GatherBackward0", complex=True)
defjvp(np.take_along_axis,
       lambda t, ans, x, indices, axis=None: np.take_along_axis(t, indices, axis),
       None)

# sort: each sorted element's gradient goes back to where it came from (ties: any
# sorting permutation is a valid one, the values are equal).
defvjp(np.sort,
       lambda g, ans, x, axis=-1, kind=None, order=None, stable=None: index_add(np.zeros_like(x), along_axis_index(x, np.argsort(x, axis=axis, kind="stable"), axis), g),
       backward_name="SortBackward0")
defjvp(np.sort,
       lambda t, ans, x, axis=-1, kind=None, order=None, stable=None: np.take_along_axis(t if axis is not None else np.ravel(t), np.argsort(x, axis=axis, kind="stable"), -1 if axis is None else axis))

# partition: as sort, with the arrangement np.argpartition gives (numpy's partition and argpartition run the
# same selection, so they place the elements alike).
defvjp(np.partition,
       lambda g, ans, x, kth, axis=-1, kind="introselect", order=None: index_add(np.zeros_like(x), along_axis_index(x, np.argpartition(x, kth, axis=axis), axis), g),
       None,
       backward_name="PartitionBackward0")
defjvp(np.partition,
       lambda t, ans, x, kth, axis=-1, kind="introselect", order=None: np.take_along_axis(t if axis is not None else np.ravel(t), np.argpartition(x, kth, axis=axis), -1 if axis is None else axis),
       None)


# ------------------------------------------------------------- np.interp
@primitive
def interp_segment(x, xp):
    """For each ``x``, the index ``i`` of the segment ``[xp[i], xp[i+1]]`` np.interp uses
    (clamped to the first and last segments outside ``xp``); no gradient."""
    xp = np.asarray(xp)
    return np.clip(np.searchsorted(xp, x, side="right") - 1, 0, max(xp.shape[0] - 2, 0))


defnondiff(interp_segment)


def not_differentiable(what):
    """Raise: the rule table has no gradient for ``what`` (better than a silent zero)."""
    raise NotImplementedError(f"{what} has no derivative rule")


def interp_weight(x, xp, seg):
    """Where ``x`` sits in its segment: 0 at ``xp[seg]``, 1 at ``xp[seg + 1]`` (clipped)."""
    return np.clip((x - np.take(xp, seg)) / (np.take(xp, seg + 1) - np.take(xp, seg)), 0.0, 1.0)


def interp_kept(x, xp, left=None, right=None):
    """False where ``left``/``right`` replaced np.interp's value (then ``fp`` gets nothing)."""
    return np.logical_and(np.logical_or(left is None, x >= xp[0]), np.logical_or(right is None, x <= xp[-1]))


def interp_vjp_x(g, ans, x, xp, fp, left=None, right=None, period=None):
    """Cotangent of ``x`` in ``np.interp(x, xp, fp)``: ``g`` times the segment's slope
    inside ``[xp[0], xp[-1]]``, 0 outside (the extrapolation is constant)."""
    if period is not None:
        not_differentiable("np.interp(period=...)")
    seg = interp_segment(x, xp)
    slope = (np.take(fp, seg + 1) - np.take(fp, seg)) / (np.take(xp, seg + 1) - np.take(xp, seg))  # xp, fp may be lists
    return g * slope * np.logical_and(x >= xp[0], x <= xp[-1])


def interp_vjp_fp(g, ans, x, xp, fp, left=None, right=None, period=None):
    """Cotangent of ``fp``: each ``g`` split between its segment's two ends by position
    (the end value alone outside ``xp``, nothing where ``left``/``right`` replaced it)."""
    if period is not None:
        not_differentiable("np.interp(period=...)")
    seg = interp_segment(x, xp)
    w = interp_weight(x, xp, seg)
    kept = g * interp_kept(x, xp, left, right)
    return index_add(index_add(np.zeros_like(fp), seg, kept * (1 - w)), seg + 1, kept * w)


def interp_jvp_x(t, ans, x, xp, fp, left=None, right=None, period=None):
    """Tangent of ``np.interp(x, xp, fp)`` along ``x``."""
    if period is not None:
        not_differentiable("np.interp(period=...)")
    seg = interp_segment(x, xp)
    slope = (np.take(fp, seg + 1) - np.take(fp, seg)) / (np.take(xp, seg + 1) - np.take(xp, seg))  # xp, fp may be lists
    return t * slope * np.logical_and(x >= xp[0], x <= xp[-1])


def interp_jvp_fp(t, ans, x, xp, fp, left=None, right=None, period=None):
    """Tangent of ``np.interp(x, xp, fp)`` along ``fp``."""
    if period is not None:
        not_differentiable("np.interp(period=...)")
    seg = interp_segment(x, xp)
    w = interp_weight(x, xp, seg)
    return (t[seg] * (1 - w) + t[seg + 1] * w) * interp_kept(x, xp, left, right)


# np.interp(x, xp, fp): piecewise linear. The knots xp get no rule (their gradient
# raises instead of passing silently as zero); period= is not supported.
defvjp(np.interp,
       interp_vjp_x,
       lambda g, ans, x, xp, fp, left=None, right=None, period=None: not_differentiable("np.interp's xp"),
       interp_vjp_fp,
       backward_name="InterpBackward0")
defjvp(np.interp,
       interp_jvp_x,
       lambda t, ans, x, xp, fp, left=None, right=None, period=None: not_differentiable("np.interp's xp"),
       interp_jvp_fp)
