"""Rules of the functions that move elements without changing them.

Every VJP here returns the input's own shape. Functions whose numpy signature
takes a *list* of arrays are aliases (``defalias``) of primitives that take one
array per positional argument, and ``np.split`` of a primitive that returns a
tuple:

* ``concatenate_args(*arrays, axis=0)`` -- ``np.concatenate``/``np.concat``,
  ``np.hstack``, ``np.vstack``, ``np.column_stack``.
* ``stack_args(*arrays, axis=0)`` -- ``np.stack``.
* ``joined_rows(x, how, axis)`` -- any of those of one value holding arrays of
  one shape (a list or tuple argument, which the compiler keeps as one array):
  its rows are joined; linear, its VJP puts each element of the cotangent back
  where it came from (``joined_order``).
* ``split_tuple(x, indices_or_sections, axis=0)`` -- ``np.split``,
  ``np.array_split``; returns a tuple (a multiple-output primitive, see the
  contract in ``srcgrad.rules``).

The first two are variadic: their one VJP serves every array and receives its
position as ``argnum``. ``np.hsplit``, ``np.vsplit`` and ``np.dsplit`` have
rules of their own (several outputs); ``np.atleast_1d/2d/3d`` are aliases of
``atleast_p(x, ndim)``, one array at a time.

``np.append`` and ``np.gradient`` (through ``gradient_along``, one axis at a
time: the adjoint of numpy's central differences, any spacing, either
``edge_order``) have rules of their own.
"""

import numpy as np

from .broadcast import shape_of, unbroadcast
from .helpers import broadcast_like, dtype_of, inverse_permutation, is_complex, ndim_of, reads_shape_of
from .indexing import index_add, not_differentiable
from .registry import defalias, defjvp, defnondiff, defvjp, primitive

__all__ = [
    "concatenate_args",
    "stack_args",
    "joined_rows",
    "joined_order",
    "split_tuple",
    "astype",
    "astype_vjp",
    "concat_index",
    "concat_vjp_all",
    "stack_vjp_all",
    "concat_pad",
    "stack_index",
    "stack_pad",
    "tile_blocks",
    "tile_axes",
    "repeat_index",
    "repeat_base_shape",
    "pad_index",
    "pad_sources",
    "constant_pad_mode",
    "linear_pad_mode",
    "negate",
    "diagonal_basis",
    "plane_axes",
    "diff_adjoint",
    "diff_tangent",
    "constant_length",
    "axis_pad_widths",
    "diff_window",
    "append_index",
    "atleast_p",
    "gradient_along",
    "gradient_stencil",
    "gradient_adjoint",
]


# ------------------------------------------------------------- the primitives
@primitive
def concatenate_args(*arrays, axis=0):
    """``np.concatenate(arrays, axis)`` with one array per positional argument."""
    return np.concatenate(arrays, axis=axis)


@primitive
def stack_args(*arrays, axis=0):
    """``np.stack(arrays, axis)`` with one array per positional argument."""
    return np.stack(arrays, axis=axis)


_JOINS = {"stack", "concatenate", "hstack", "vstack", "column_stack", "dstack"}


@primitive
def joined_rows(x, how, axis):
    """``np.<how>(list(x), axis)``: the rows of ``x`` joined by ``np.stack``, ``np.concatenate`` (``axis``),
    ``np.hstack``, ``np.vstack``, ``np.column_stack`` or ``np.dstack`` (``axis`` ``None``).

    Args:
        x: an array, or a list or tuple of arrays (its rows).
        how: the numpy function's name.
        axis: the axis of ``np.stack``/``np.concatenate`` (``None`` there flattens, as in numpy); ``None`` else.

    Returns:
        What numpy returns for the list of ``x``'s rows.
    """
    if how not in _JOINS:
        raise ValueError(f"joined_rows joins with one of {sorted(_JOINS)}, not {how!r}")
    rows = list(x) if isinstance(x, (list, tuple)) else list(np.asarray(x))  # (a tangent may be ragged)
    if how in ("stack", "concatenate"):
        return getattr(np, how)(rows, axis=axis)
    return getattr(np, how)(rows)


@reads_shape_of(0)
def joined_order(x, how, axis):
    """Where each element of ``x`` went in ``joined_rows(x, how, axis)``: the flat positions, in ``x``'s order
    (joining moves elements without changing or repeating them)."""
    if isinstance(x, (list, tuple)) and any(shape_of(row) != shape_of(x[0]) for row in x):
        raise ValueError("joined_rows' VJP takes rows of one shape (a gradient of rows of several is refused)")
    places = joined_rows(np.arange(int(np.prod(shape_of(x)))).reshape(shape_of(x)), how, axis)
    return np.argsort(np.reshape(places, -1), kind="stable")


@primitive
def split_tuple(x, indices_or_sections, axis=0):
    """``np.array_split(x, indices_or_sections, axis)`` as a tuple of arrays."""
    return tuple(np.array_split(x, indices_or_sections, axis=axis))


@primitive
def astype(x, dtype):
    """``x.astype(dtype)`` as a function (a copy in the new dtype).

    A complex ``x`` cast to a real dtype keeps its real part, as numpy does, but
    without numpy's ``ComplexWarning``: the gradient of a real input that met
    complex values on its way comes back this way, as PyTorch's does.
    """
    x = np.asarray(x)
    if x.dtype.kind == "c" and np.dtype(dtype).kind != "c":
        x = x.real
    return x.astype(dtype)


# ------------------------------------------------- shape arithmetic (no values)
def _axis_offsets(arrays, argnum, axis):
    start = sum(shape_of(a)[axis] for a in arrays[:argnum])
    return start, start + shape_of(arrays[argnum])[axis], sum(shape_of(a)[axis] for a in arrays)


@reads_shape_of(0)
def concat_index(arrays, argnum, axis):
    """The index of ``arrays[argnum]``'s block in their concatenation along ``axis``.

    With ``axis=None`` (every array flattened, then joined) it is an integer array of ``arrays[argnum]``'s shape,
    so the block read with it comes back in that shape.
    """
    if axis is None:
        start = sum(int(np.prod(shape_of(a))) for a in arrays[:argnum])
        return np.arange(start, start + int(np.prod(shape_of(arrays[argnum])))).reshape(shape_of(arrays[argnum]))
    axis = axis % ndim_of(arrays[argnum])
    start, stop, _ = _axis_offsets(arrays, argnum, axis)
    return (slice(None),) * axis + (slice(start, stop),)


@reads_shape_of(0)
def concat_pad(arrays, argnum, axis):
    """``np.pad`` widths that place ``arrays[argnum]`` at its block of the concatenation."""
    axis = axis % ndim_of(arrays[argnum])
    start, stop, total = _axis_offsets(arrays, argnum, axis)
    return tuple((start, total - stop) if i == axis else (0, 0) for i in range(ndim_of(arrays[argnum])))


@reads_shape_of(0)
def stack_index(ans, argnum, axis):
    """The index of the ``argnum``-th stacked array in ``ans``."""
    return (slice(None),) * (axis % ndim_of(ans)) + (argnum,)


@reads_shape_of(0)
def stack_pad(arrays, argnum, axis):
    """``np.pad`` widths placing ``expand_dims(arrays[argnum], axis)`` at its slot."""
    ndim = ndim_of(arrays[argnum]) + 1
    axis = axis % ndim
    return tuple((argnum, len(arrays) - 1 - argnum) if i == axis else (0, 0) for i in range(ndim))


def _tile_shapes(x, reps):
    reps = tuple(reps) if np.iterable(reps) else (reps,)
    shape = shape_of(x)
    d = max(len(shape), len(reps))
    return (1,) * (d - len(shape)) + shape, (1,) * (d - len(reps)) + reps


@reads_shape_of(0)
def tile_blocks(x, reps):
    """The shape ``(r0, n0, r1, n1, ...)`` that splits ``np.tile(x, reps)`` into its copies."""
    shape, reps = _tile_shapes(x, reps)
    return tuple(d for r, n in zip(reps, shape) for d in (r, n))


@reads_shape_of(0)
def tile_axes(x, reps):
    """The axes of ``tile_blocks`` that count copies (summed by the VJP)."""
    shape, _ = _tile_shapes(x, reps)
    return tuple(range(0, 2 * len(shape), 2))


@reads_shape_of(0)
def repeat_base_shape(x, axis):
    """``x``'s shape, flattened when ``np.repeat`` runs with ``axis=None``."""
    return (int(np.prod(shape_of(x))),) if axis is None else shape_of(x)


@reads_shape_of(0)
def repeat_index(x, repeats, axis):
    """The index that maps each element of ``np.repeat(x, repeats, axis)`` to its source."""
    shape = repeat_base_shape(x, axis)
    axis = 0 if axis is None else axis % len(shape)
    sources = np.repeat(np.arange(shape[axis]), repeats)
    return (slice(None),) * axis + (sources,)


@reads_shape_of(0)
def pad_index(x, pad_width, mode="constant"):
    """The index of the original ``x`` inside ``np.pad(x, pad_width)`` (constant mode only)."""
    constant_pad_mode(mode)
    shape = shape_of(x)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.intp), (len(shape), 2))
    return tuple(slice(int(before), int(before) + n) for (before, _), n in zip(widths, shape))


def constant_pad_mode(mode):
    """``"constant"``; any other ``np.pad`` mode raises (``linear_pad_mode`` takes the others that copy)."""
    if mode != "constant":
        raise NotImplementedError(f"np.pad(mode={mode!r}) has no derivative rule here; only mode='constant'")
    return mode


COPYING_PAD_MODES = ("edge", "wrap", "reflect", "symmetric")
"""``np.pad`` modes whose padding copies elements of ``x`` (each padded element is one element of ``x``)."""


def linear_pad_mode(mode, reflect_type="even", **ignored):
    """``mode`` when ``np.pad(x, ..., mode)`` is ``x``'s elements moved and copied (``"constant"`` or one of
    ``COPYING_PAD_MODES``, ``reflect_type="even"``), so its tangent is the tangent padded the same way (constant
    mode: with zeros); any other mode raises."""
    if mode != "constant" and (mode not in COPYING_PAD_MODES or reflect_type != "even"):
        shown = f"mode={mode!r}" + (f", reflect_type={reflect_type!r}" if reflect_type != "even" else "")
        raise NotImplementedError(
            f"np.pad({shown}) has no derivative rule; the modes that have one are constant, edge, wrap, reflect and "
            "symmetric (with reflect_type even)"
        )
    return mode


@reads_shape_of(0)
def pad_sources(x, pad_width, mode, reflect_type="even", **ignored):
    """For each element of ``np.pad(x, pad_width, mode)`` (a mode of ``COPYING_PAD_MODES``), the flat position
    in ``x`` it is a copy of: ``x``'s flat positions padded the same way."""
    linear_pad_mode(mode, reflect_type)
    shape = shape_of(x)
    return np.pad(np.arange(int(np.prod(shape))).reshape(shape), pad_width, mode=mode)


@reads_shape_of(0)
def diagonal_basis(x, offset, axis1, axis2):
    """``E[k, i, j] = 1`` where ``(i, j)`` is the ``k``-th element of ``np.diagonal(x, offset,
    axis1, axis2)`` within the plane of ``axis1``, ``axis2``; in ``x``'s dtype (no gradient)."""
    shape = shape_of(x)
    n1, n2 = shape[axis1], shape[axis2]
    d = max(0, min(n1 + min(offset, 0), n2 - max(offset, 0)))
    k = np.arange(d)
    basis = np.zeros((d, n1, n2), dtype=dtype_of(x))
    basis[k, k - min(offset, 0), k + max(offset, 0)] = 1
    return basis


@reads_shape_of(0)
def plane_axes(x, axis1, axis2):
    """``(axis1, axis2)`` as non-negative axes of ``x``."""
    return axis1 % ndim_of(x), axis2 % ndim_of(x)


def diff_adjoint(g, x, n, axis, prepend=None):
    """The VJP of ``np.diff(x, n, axis, prepend=..., append=...)``: ``n`` times the adjoint
    of one first difference, then the part that belongs to ``x`` (not prepend/append)."""
    for _ in range(n):
        g = np.pad(g, axis_pad_widths(g, axis, 1, 0)) - np.pad(g, axis_pad_widths(g, axis, 0, 1))
    return g[diff_window(x, axis, prepend)]


def diff_tangent(t, n, axis, prepend=None, append=None):
    """The JVP of ``np.diff(x, n, axis, prepend=..., append=...)`` from ``x``'s tangent ``t``: the difference of
    ``t`` padded with zeros where the constants are (in ``t``'s dtype: numpy itself would upcast a float32 ``x``
    for ``prepend=0.5``)."""
    before, after = constant_length(prepend, t, axis), constant_length(append, t, axis)
    return np.diff(np.pad(t, axis_pad_widths(t, axis, before, after)), n, axis)


def constant_length(constant, like, axis):
    """How long ``np.diff``'s ``prepend``/``append`` ``constant`` is along ``axis`` beside ``like``: a number is one
    slice; ``None`` (not given) is none."""
    if constant is None:
        return 0
    return np.shape(constant)[axis % np.ndim(like)] if np.ndim(constant) else 1


def axis_pad_widths(like, axis, before, after):
    """``np.pad``'s widths padding ``like`` by ``before`` and ``after`` along ``axis`` only."""
    widths = [(0, 0)] * np.ndim(like)
    widths[axis % np.ndim(like)] = (before, after)
    return widths


def diff_window(x, axis, prepend):
    """The index of ``x``'s part of a cotangent of ``x`` with ``np.diff``'s ``prepend`` before it along ``axis``."""
    axis = axis % np.ndim(x)
    start = constant_length(prepend, x, axis)
    return (slice(None),) * axis + (slice(start, start + np.shape(x)[axis]),)


# shape arithmetic with no derivative (the bodies above are read again at second order)
for _helper in (constant_length, axis_pad_widths, diff_window):
    defnondiff(_helper)


def negate(shift):
    """``-shift`` for an int or a tuple of ints (``np.roll``'s shift)."""
    return tuple(-s for s in shift) if isinstance(shift, (tuple, list)) else -shift


# ------------------------------------------------------------------- views
defvjp(np.reshape,
       lambda g, ans, x, shape=None, order="C", copy=None: np.reshape(g, shape_of(x), order=order),
       backward_name="ViewBackward0", complex=True)
defjvp(np.reshape,
       lambda t, ans, x, shape=None, order="C", copy=None: np.reshape(t, shape_of(ans), order=order))

defvjp(np.ravel,
       lambda g, ans, x, order="C": np.reshape(g, shape_of(x), order=order),
       backward_name="ViewBackward0", complex=True)
defjvp(np.ravel,
       lambda t, ans, x, order="C": np.ravel(t, order=order))

defvjp(np.transpose,
       lambda g, ans, x, axes=None: np.transpose(g, None if axes is None else inverse_permutation(axes)),
       backward_name="PermuteBackward0", complex=True)
defjvp(np.transpose,
       lambda t, ans, x, axes=None: np.transpose(t, axes))

defvjp(np.swapaxes,
       lambda g, ans, x, axis1, axis2: np.swapaxes(g, axis1, axis2),
       backward_name="TransposeBackward0", complex=True)
defjvp(np.swapaxes,
       lambda t, ans, x, axis1, axis2: np.swapaxes(t, axis1, axis2))

defvjp(np.moveaxis,
       lambda g, ans, x, source, destination: np.moveaxis(g, destination, source),
       backward_name="PermuteBackward0", complex=True)
defjvp(np.moveaxis,
       lambda t, ans, x, source, destination: np.moveaxis(t, source, destination))


@reads_shape_of(0)
def rollaxis_order(x, axis, start=0):
    """The order of ``x``'s axes in ``np.rollaxis(x, axis, start)`` (numpy's own reading of ``axis`` and
    ``start``, its errors included, on a view of no memory)."""
    ndim = ndim_of(x)
    probe = np.broadcast_to(np.empty(()), tuple(range(2, ndim + 2)))  # lengths 2, 3, ...: axis k has length k + 2
    return tuple(n - 2 for n in np.shape(np.rollaxis(probe, axis, start)))


defalias(np.rollaxis, lambda a, axis, start=0: np.transpose(a, rollaxis_order(a, axis, start)))


@reads_shape_of(0)
def linspace_fractions(ans, num, endpoint=True, axis=0):
    """Where each of ``np.linspace``'s ``num`` points lies from ``start`` (0) to ``stop`` (1), shaped to broadcast
    along ``axis`` of its result ``ans``, in its float dtype (no gradient)."""
    ndim = ndim_of(ans)
    return np.reshape(np.linspace(0.0, 1.0, num, endpoint=endpoint, dtype=np.result_type(dtype_of(ans), np.float32)),
                      tuple(-1 if k == axis % ndim else 1 for k in range(ndim)))


@reads_shape_of(0)
def linspace_ends_shape(ans, axis=0):
    """The shape ``start`` and ``stop`` broadcast to in ``np.linspace``'s result ``ans``: ``ans``'s without
    ``axis``."""
    shape = shape_of(ans)
    axis = axis % len(shape)
    return shape[:axis] + shape[axis + 1:]


def linspace_tangent(t, ans, weights, axis):
    """The tangent of ``np.linspace``'s result ``ans`` from the tangent ``t`` of one end and its ``weights``."""
    return np.expand_dims(np.broadcast_to(t, linspace_ends_shape(ans, axis)), axis) * weights


# linspace: start + (stop - start) * f with the fractions f above, f = k / (num - 1) (k / num without the end)
defvjp(np.linspace,
       lambda g, ans, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0: unbroadcast(np.sum(g * (1.0 - linspace_fractions(ans, num, endpoint, axis)), axis=axis), shape_of(start)),
       lambda g, ans, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0: unbroadcast(np.sum(g * linspace_fractions(ans, num, endpoint, axis), axis=axis), shape_of(stop)),
       backward_name="LinspaceBackward0")
defjvp(np.linspace,
       lambda t, ans, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0: linspace_tangent(t, ans, 1.0 - linspace_fractions(ans, num, endpoint, axis), axis),
       lambda t, ans, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0: linspace_tangent(t, ans, linspace_fractions(ans, num, endpoint, axis), axis))

defvjp(np.expand_dims,
       lambda g, ans, x, axis: np.reshape(g, shape_of(x)),
       backward_name="UnsqueezeBackward0", complex=True)
defjvp(np.expand_dims,
       lambda t, ans, x, axis: np.expand_dims(t, axis))

defvjp(np.squeeze,
       lambda g, ans, x, axis=None: np.reshape(g, shape_of(x)),
       backward_name="SqueezeBackward0", complex=True)
defjvp(np.squeeze,
       lambda t, ans, x, axis=None: np.reshape(t, shape_of(ans)))

defvjp(np.broadcast_to,  # its adjoint is exactly a sum over the broadcast axes
       lambda g, ans, x, shape, subok=False: unbroadcast(g, shape_of(x)),
       backward_name="ExpandBackward0", complex=True)
defjvp(np.broadcast_to,
       lambda t, ans, x, shape, subok=False: np.broadcast_to(t, shape))

# The fill value spreads over every element: its cotangent is g, summed back to its shape by the caller.
# The template array (and the shape) fix only the result's shape and dtype: no gradient.
defvjp(np.full_like,
       None,
       lambda g, ans, a, fill_value, dtype=None, order="K", subok=True, shape=None, **kw: g,
       backward_name="FullLikeBackward0", complex=True)
defjvp(np.full_like,
       None,
       lambda t, ans, a, fill_value, dtype=None, order="K", subok=True, shape=None, **kw: broadcast_like(t, ans))

defvjp(np.copy,
       lambda g, ans, x, order="K", subok=False: g,
       backward_name="CloneBackward0", complex=True)
defjvp(np.copy,
       lambda t, ans, x, order="K", subok=False: t)

def astype_vjp(g, ans, x, dtype):
    """Cotangent of ``x`` in ``astype(x, dtype)``: ``g`` back in ``x``'s dtype; a real result of a complex ``x``
    passes only ``Re g`` (its cotangent may carry an imaginary part from a complex neighbour)."""
    if is_complex(x) and not is_complex(ans):
        return astype(np.real(g), dtype_of(x))
    return astype(g, dtype_of(x))


defvjp(astype,  # the gradient goes back in the input's dtype
       astype_vjp,
       None,
       backward_name="ToCopyBackward0", complex=True)
defjvp(astype,
       lambda t, ans, x, dtype: astype(t, dtype),
       None)

# ---------------------------------------------------------- rearrangements
defvjp(np.flip,
       lambda g, ans, x, axis=None: np.flip(g, axis),
       backward_name="FlipBackward0", complex=True)
defjvp(np.flip,
       lambda t, ans, x, axis=None: np.flip(t, axis))

defvjp(np.rot90,  # a rotation by k quarter turns is undone by -k
       lambda g, ans, m, k=1, axes=(0, 1): np.rot90(g, -k, axes),
       backward_name="Rot90Backward0", complex=True)
defjvp(np.rot90,
       lambda t, ans, m, k=1, axes=(0, 1): np.rot90(t, k, axes))

defvjp(np.roll,
       lambda g, ans, x, shift, axis=None: np.roll(g, negate(shift), axis),
       backward_name="RollBackward0", complex=True)
defjvp(np.roll,
       lambda t, ans, x, shift, axis=None: np.roll(t, shift, axis))

defvjp(np.tile,
       lambda g, ans, x, reps: np.reshape(np.sum(np.reshape(g, tile_blocks(x, reps)), axis=tile_axes(x, reps)), shape_of(x)),
       None,
       backward_name="RepeatBackward0", complex=True)
defjvp(np.tile,
       lambda t, ans, x, reps: np.tile(t, reps),
       None)

defvjp(np.repeat,  # each copy's gradient flows back to its source (index_add accumulates)
       lambda g, ans, x, repeats, axis=None: np.reshape(index_add(np.zeros(repeat_base_shape(x, axis), dtype=dtype_of(g)), repeat_index(x, repeats, axis), g), shape_of(x)),
       None,
       backward_name="RepeatInterleaveBackward0", complex=True)
defjvp(np.repeat,
       lambda t, ans, x, repeats, axis=None: np.repeat(t, repeats, axis),
       None)

# constant mode: x's block of g (the padding value gets no gradient); the modes that copy elements of x
# (edge, wrap, reflect, symmetric): each element of g goes back to the element it is a copy of, and the copies
# of one element add up (pad_sources)
defvjp(np.pad,
       lambda g, ans, x, pad_width, mode="constant", **kw: g[pad_index(x, pad_width, mode)] if mode == "constant" else np.reshape(index_add(np.zeros(int(np.prod(shape_of(x))), dtype=dtype_of(g)), np.reshape(pad_sources(x, pad_width, mode, **kw), -1), np.reshape(g, -1)), shape_of(x)),
       None,
       backward_name="ConstantPadNdBackward0", complex=True)
defjvp(np.pad,
       lambda t, ans, x, pad_width, mode="constant", **kw: np.pad(t, pad_width, mode=linear_pad_mode(mode, **kw)),
       None)

defvjp(np.tril,
       lambda g, ans, x, k=0: np.tril(g, k),
       backward_name="TrilBackward0", complex=True)
defjvp(np.tril,
       lambda t, ans, x, k=0: np.tril(t, k))

defvjp(np.triu,
       lambda g, ans, x, k=0: np.triu(g, k),
       backward_name="TriuBackward0", complex=True)
defjvp(np.triu,
       lambda t, ans, x, k=0: np.triu(t, k))

# the diagonal is the last axis of np.diagonal's result; the VJP spreads it back on the plane
defvjp(np.diagonal,
       lambda g, ans, x, offset=0, axis1=0, axis2=1: np.moveaxis(np.tensordot(g, diagonal_basis(x, offset, axis1, axis2), axes=1), (-2, -1), plane_axes(x, axis1, axis2)),
       backward_name="DiagonalBackward0", complex=True)
defjvp(np.diagonal,
       lambda t, ans, x, offset=0, axis1=0, axis2=1: np.diagonal(t, offset, axis1, axis2))

defvjp(np.diag,  # a 1-D x builds a matrix, a 2-D x extracts a diagonal
       lambda g, ans, x, k=0: np.diagonal(g, k) if ndim_of(x) == 1 else np.tensordot(g, diagonal_basis(x, k, 0, 1), axes=1),
       backward_name="DiagBackward0", complex=True)
defjvp(np.diag,
       lambda t, ans, x, k=0: np.diag(t, k))

# diff(a, n) applies the first difference n times; its adjoint applies
# "pad before minus pad after" n times (diff_adjoint). prepend/append are constants.
defvjp(np.diff,  # (prepend and append named: the bodies are read again at second order, with no dict of them)
       lambda g, ans, x, n=1, axis=-1, prepend=None, append=None: diff_adjoint(g, x, n, axis, prepend),
       backward_name="DiffBackward0", complex=True)
defjvp(np.diff,
       lambda t, ans, x, n=1, axis=-1, prepend=None, append=None: diff_tangent(t, n, axis, prepend, append))

defvjp(np.nan_to_num,  # finite entries pass through; replaced ones are constants
       lambda g, ans, x, copy=True, nan=0.0, posinf=None, neginf=None: g * np.isfinite(x),
       backward_name="NanToNumBackward0", complex=True)
defjvp(np.nan_to_num,
       lambda t, ans, x, copy=True, nan=0.0, posinf=None, neginf=None: t * np.isfinite(x))

# -------------------------------------------------- joining and splitting
def concat_vjp_all(g, ans, *xs, axis=0, argnums):
    """The cotangents of ``xs[k]`` for each ``k`` in ``argnums``: their blocks of ``g`` (one pass over the sizes)."""
    if axis is None:
        return [g[concat_index(xs, k, None)] for k in argnums]
    axis = axis % ndim_of(xs[0])
    ends = np.cumsum([shape_of(x)[axis] for x in xs]).tolist()
    lead = (slice(None),) * axis
    return [g[lead + (slice(ends[k] - shape_of(xs[k])[axis], ends[k]),)] for k in argnums]


def stack_vjp_all(g, ans, *xs, axis=0, argnums):
    """The cotangents of ``xs[k]`` for each ``k`` in ``argnums``: their slices of ``g``."""
    lead = (slice(None),) * (axis % ndim_of(ans))
    return [g[lead + (k,)] for k in argnums]


defvjp(concatenate_args,
       lambda g, ans, *xs, axis=0, argnum: g[concat_index(xs, argnum, axis)],
       variadic=True, backward_name="CatBackward0", vjp_all=concat_vjp_all, complex=True)
defjvp(concatenate_args,
       lambda t, ans, *xs, axis=0, argnum: np.pad(t, concat_pad(xs, argnum, axis)))

defvjp(stack_args,
       lambda g, ans, *xs, axis=0, argnum: g[stack_index(ans, argnum, axis)],
       variadic=True, backward_name="StackBackward0", vjp_all=stack_vjp_all, complex=True)
defjvp(stack_args,
       lambda t, ans, *xs, axis=0, argnum: np.pad(np.expand_dims(t, axis), stack_pad(xs, argnum, axis)))

defvjp(joined_rows,  # each element of g goes back to its place in x
       lambda g, ans, x, how, axis: np.reshape(np.reshape(g, -1)[joined_order(x, how, axis)], shape_of(x)),
       None, None,
       backward_name="JoinedRowsBackward0", complex=True)
defjvp(joined_rows,
       lambda t, ans, x, how, axis: joined_rows(t, how, axis),
       None, None)

defvjp(split_tuple,  # g is a tuple: one cotangent per piece
       lambda g, ans, x, indices_or_sections, axis=0: concatenate_args(*g, axis=axis),
       None,
       multiple_outputs=True, backward_name="SplitBackward0", complex=True)
defjvp(split_tuple,
       lambda t, ans, x, indices_or_sections, axis=0: split_tuple(t, indices_or_sections, axis),
       None)


# ------------------------------------------------------------------ append
@reads_shape_of(0, 1)
def append_index(arr, values, axis, which):
    """The part of ``np.append(arr, values, axis)`` that came from ``arr`` (``which`` 0) or ``values`` (1)."""
    if axis is None:
        n = int(np.prod(shape_of(arr)))
        return slice(0, n) if which == 0 else slice(n, None)
    axis = axis % max(ndim_of(arr), 1)
    n = shape_of(arr)[axis]
    return (slice(None),) * axis + ((slice(0, n),) if which == 0 else (slice(n, None),))


defvjp(np.append,  # axis=None flattens both; otherwise a concatenation along axis
       lambda g, ans, arr, values, axis=None: np.reshape(g[append_index(arr, values, axis, 0)], shape_of(arr)),
       lambda g, ans, arr, values, axis=None: np.reshape(g[append_index(arr, values, axis, 1)], shape_of(values)),
       backward_name="CatBackward0", complex=True)
defjvp(np.append,
       lambda t, ans, arr, values, axis=None: np.append(t, np.zeros(np.shape(values), dtype_of(t)), axis),
       lambda t, ans, arr, values, axis=None: np.append(np.zeros(np.shape(arr), dtype_of(t)), t, axis))


# ------------------------------------------- atleast_1d/2d/3d, the split family
@primitive
def atleast_p(x, ndim):
    """``np.atleast_1d(x)``, ``np.atleast_2d(x)`` or ``np.atleast_3d(x)`` (``ndim`` 1, 2, 3) of one array.

    ``np.atleast_*d`` are aliases of this for each array they are given (the
    compiler reads a call with one array the same way)."""
    return (np.atleast_1d, np.atleast_2d, np.atleast_3d)[ndim - 1](x)


defvjp(atleast_p,
       lambda g, ans, x, ndim: np.reshape(g, shape_of(x)),
       None,
       backward_name="ViewBackward0", complex=True)
defjvp(atleast_p,
       lambda t, ans, x, ndim: atleast_p(t, ndim),
       None)


defvjp(np.hsplit,  # g is a list: one cotangent per piece, joined back as np.hstack joins (an axis by rank)
       lambda g, ans, x, indices_or_sections: np.hstack(g),
       None,
       multiple_outputs=True, backward_name="SplitBackward0", complex=True)
defjvp(np.hsplit,
       lambda t, ans, x, indices_or_sections: tuple(np.hsplit(t, indices_or_sections)),
       None)
defvjp(np.vsplit,
       lambda g, ans, x, indices_or_sections: concatenate_args(*g, axis=0),
       None,
       multiple_outputs=True, backward_name="SplitBackward0", complex=True)
defjvp(np.vsplit,
       lambda t, ans, x, indices_or_sections: tuple(np.vsplit(t, indices_or_sections)),
       None)
defvjp(np.dsplit,
       lambda g, ans, x, indices_or_sections: concatenate_args(*g, axis=2),
       None,
       multiple_outputs=True, backward_name="SplitBackward0", complex=True)
defjvp(np.dsplit,
       lambda t, ans, x, indices_or_sections: tuple(np.dsplit(t, indices_or_sections)),
       None)


# ------------------------------------------------------------------ np.gradient
def _spacing(spacing, n, axis):
    """``(dx, uniform)``: the step (a number) or the steps between coordinates (an array of ``n - 1``)."""
    if np.ndim(spacing) == 0:
        return float(spacing), True
    x = np.asarray(spacing, dtype=float)
    if x.ndim != 1 or x.shape[0] != n:
        raise ValueError(f"np.gradient: the coordinates along axis {axis} must have the axis' length {n}")
    return np.diff(x), False


def gradient_stencil(n, spacing, edge_order, axis):
    """The coefficients of ``np.gradient`` along an axis of length ``n``: ``{offset: c}`` with
    ``out[i] = sum over offsets d of c[d][i] * f[i + d]`` (float64 arrays of length ``n``)."""
    if n < edge_order + 1:
        raise ValueError("Shape of array too small to calculate a numerical gradient, at least (edge_order + 1) "
                         "elements are required.")
    dx, uniform = _spacing(spacing, n, axis)
    c = {d: np.zeros(n) for d in (-2, -1, 0, 1, 2)}
    if uniform:
        c[-1][1:-1], c[1][1:-1] = -0.5 / dx, 0.5 / dx
        h0 = h1 = hn2 = hn1 = dx
    else:
        hs, hd = dx[:-1], dx[1:]
        c[-1][1:-1] = -hd / (hs * (hd + hs))
        c[0][1:-1] = (hd - hs) / (hd * hs)
        c[1][1:-1] = hs / (hd * (hd + hs))
        h0, h1, hn2, hn1 = dx[0], dx[min(1, n - 2)], dx[max(n - 3, 0)], dx[-1]
    if edge_order == 1:
        c[0][0], c[1][0] = -1.0 / h0, 1.0 / h0
        c[-1][-1], c[0][-1] = -1.0 / hn1, 1.0 / hn1
    else:
        c[0][0] = -(2.0 * h0 + h1) / (h0 * (h0 + h1))
        c[1][0] = (h0 + h1) / (h0 * h1)
        c[2][0] = -h0 / (h1 * (h0 + h1))
        c[-2][-1] = hn1 / (hn2 * (hn2 + hn1))
        c[-1][-1] = -(hn1 + hn2) / (hn2 * hn1)
        c[0][-1] = (2.0 * hn1 + hn2) / (hn1 * (hn2 + hn1))
    return c


@primitive
def gradient_along(f, spacing=1.0, axis=None, edge_order=1):
    """``np.gradient(f, spacing, axis=axis, edge_order=edge_order)`` along one axis (``axis=None``: ``f`` is 1-D).

    ``spacing`` is a step or the coordinates along the axis. ``np.gradient`` is
    an alias that calls this once per axis.
    """
    f = np.asarray(f)
    if axis is None:
        if f.ndim != 1:
            raise NotImplementedError("np.gradient of an array of several axes without axis= returns one array per "
                                      "axis: srcgrad.grad needs axis=k (one call per axis)")
        axis = 0
    return np.gradient(f, spacing, axis=axis, edge_order=edge_order)


def gradient_adjoint(g, f, spacing=1.0, axis=None, edge_order=1):
    """The VJP of ``gradient_along``: the stencil's transpose, ``sum over d of shift(c[d] * g, d)``.

    Written to be read again at second order: the coefficients, the axis and the windows come from helpers
    with no derivative (``gradient_weights``, ``gradient_axis``, ``shift_window``)."""
    axis = gradient_axis(f, axis)
    out = g * gradient_weights(g, f, spacing, edge_order, axis, 0)
    for d in (-2, -1, 1, 2):
        if gradient_uses(f, spacing, edge_order, axis, d):
            # row i used f[i + d]: its weight goes to position i + d
            weighted = g * gradient_weights(g, f, spacing, edge_order, axis, d)
            out = out + np.pad(weighted[shift_window(g, axis, d)], axis_pad_widths(g, axis, max(d, 0), max(-d, 0)))
    return out


def gradient_axis(f, axis):
    """``gradient_along``'s axis of ``f`` as a non-negative axis (``None``: ``f`` is 1-D, axis 0)."""
    return 0 if axis is None else axis % np.ndim(f)


def gradient_uses(f, spacing, edge_order, axis, d):
    """Whether the stencil of ``np.gradient`` along ``axis`` of ``f`` reads ``f[i + d]`` for some ``i``."""
    return bool(np.any(gradient_stencil(np.shape(f)[axis], spacing, edge_order, axis)[d]))


def gradient_weights(g, f, spacing, edge_order, axis, d):
    """The stencil's coefficients ``c[d]`` along ``axis`` of ``f``, shaped to multiply ``g`` (of ``f``'s shape)
    along that axis, in ``g``'s real dtype."""
    n = np.shape(f)[axis]
    c = gradient_stencil(n, spacing, edge_order, axis)[d]
    return np.reshape(c.astype(np.empty(0, dtype_of(g)).real.dtype), (n,) + (1,) * (np.ndim(f) - axis - 1))


def shift_window(g, axis, d):
    """The index of the rows of ``g`` along ``axis`` that move ``d`` places (``d > 0``: forward) in a shift."""
    n = np.shape(g)[axis]
    return (slice(None),) * axis + ((slice(0, n - d),) if d > 0 else (slice(-d, n),))


defvjp(gradient_along,
       lambda g, ans, f, spacing=1.0, axis=None, edge_order=1: gradient_adjoint(g, f, spacing, axis, edge_order),
       lambda g, ans, f, spacing=1.0, axis=None, edge_order=1: not_differentiable("np.gradient's spacing"),
       backward_name="GradientBackward0", complex=True)
defjvp(gradient_along,
       lambda t, ans, f, spacing=1.0, axis=None, edge_order=1: gradient_along(t, spacing, axis, edge_order),
       None)
# the stencil's coefficients, axes and windows: no derivative (gradient_adjoint is read again at second order)
for _helper in (gradient_axis, gradient_uses, gradient_weights, shift_window):
    defnondiff(_helper)


def _gradient(f, *varargs, axis=None, edge_order=1):
    ndim = ndim_of(f)
    axes = tuple(range(ndim)) if axis is None else (axis,) if isinstance(axis, int) else tuple(axis)
    if len(varargs) == 0:
        spacings = [1.0] * len(axes)
    elif len(varargs) == 1:
        spacings = list(varargs) * len(axes)
    elif len(varargs) == len(axes):
        spacings = list(varargs)
    else:
        raise TypeError("invalid number of arguments")
    parts = [gradient_along(f, h, a % ndim, edge_order) for h, a in zip(spacings, axes)]
    return parts[0] if len(parts) == 1 else tuple(parts)


# ------------------------------------------------------------------ aliases
def _concatenate(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    if out is not None or dtype is not None:
        raise NotImplementedError("np.concatenate(out=, dtype=) is not differentiable")
    if axis is None:
        return concatenate_args(*[np.ravel(a) for a in arrays], axis=0)
    return concatenate_args(*arrays, axis=axis)


def _stack(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    if out is not None or dtype is not None:
        raise NotImplementedError("np.stack(out=, dtype=) is not differentiable")
    return stack_args(*arrays, axis=axis)


def _at_least_1d(a):
    return np.reshape(a, (1,)) if ndim_of(a) == 0 else a


def _at_least_2d(a):
    return np.reshape(a, (1, -1)) if ndim_of(a) < 2 else a


def _at_least_3d(a):
    if ndim_of(a) == 0:
        return np.reshape(a, (1, 1, 1))
    if ndim_of(a) == 1:
        return np.reshape(a, (1, -1, 1))
    return np.expand_dims(a, -1) if ndim_of(a) == 2 else a


def _several(ndim):
    """numpy's atleast_*d: of several arrays a tuple of them (of one array, the array itself)."""
    def adaptor(*arys):
        out = tuple(atleast_p(a, ndim) for a in arys)
        return out[0] if len(out) == 1 else out
    return adaptor


def _dstack(tup):
    return concatenate_args(*[_at_least_3d(a) for a in tup], axis=2)


def _hstack(tup, *, dtype=None, casting="same_kind"):
    arrays = [_at_least_1d(a) for a in tup]
    return concatenate_args(*arrays, axis=0 if ndim_of(arrays[0]) == 1 else 1)


def _vstack(tup, *, dtype=None, casting="same_kind"):
    return concatenate_args(*[_at_least_2d(a) for a in tup], axis=0)


def _column_stack(tup):
    return concatenate_args(*[np.reshape(a, (-1, 1)) if ndim_of(a) < 2 else a for a in tup], axis=1)


def _split(ary, indices_or_sections, axis=0):
    if not np.iterable(indices_or_sections) and shape_of(ary)[axis] % indices_or_sections:
        raise ValueError("array split does not result in an equal division")
    return list(split_tuple(ary, indices_or_sections, axis=axis))


def _array_split(ary, indices_or_sections, axis=0):
    return list(split_tuple(ary, indices_or_sections, axis=axis))


defalias(np.concatenate, _concatenate)  # np.concat is the same function
defalias(np.stack, _stack)
defalias(np.hstack, _hstack)
defalias(np.vstack, _vstack)
defalias(np.column_stack, _column_stack)
defalias(np.split, _split)
defalias(np.array_split, _array_split)
defalias(np.dstack, _dstack)
defalias(np.atleast_1d, _several(1))
defalias(np.atleast_2d, _several(2))
defalias(np.atleast_3d, _several(3))
defalias(np.gradient, _gradient)
defalias(np.astype, lambda x, dtype, /, *, copy=True, device=None: astype(x, dtype), static=False)
defalias(np.unstack, lambda x, /, *, axis=0: tuple(x[(slice(None),) * (axis % ndim_of(x)) + (i,)] for i in range(shape_of(x)[axis])), static=False)
defalias(np.fliplr, lambda m: np.flip(m, 1))
defalias(np.flipud, lambda m: np.flip(m, 0))
