"""The helpers generated code calls, with rules, so that generated code is itself differentiable.

A gradient the compiler writes calls a few functions besides numpy:
``unbroadcast``, ``unreduce``, ``broadcast_like``, ``match_shape``,
``stacked_piece`` (all linear in their first argument), ``default_dout`` (the
output cotangent when none is given), shape arithmetic (``shape_of``,
``count``, ``dot_axes``, ...), and the VJPs of rules written as a ``def``
(``matmul_vjp``, ``tensordot_vjp_x``, ...). Differentiating that code again
(``grad(grad(f))``, a function calling a ``GradFunction``) needs each to be
either a primitive with a rule here, or non-differentiable, or plain numpy
over primitives with rules (the ``def`` VJPs: the compiler reads their source).

* The linear helpers: the VJP of a linear map is its transpose
  (``unbroadcast``'s is a broadcast, ``unreduce``'s a reshape back,
  ``stacked_piece``'s ``stacked_place``: the block put back into zeros), the JVP
  the map itself. ``tests/test_rules.py`` checks each against finite
  differences, like every rule.
* ``default_dout`` and the shape helpers (everything ``@reads_shape_of``
  declares, which looks at nothing but shapes) are ``defnondiff``.
"""

import numpy as np

from .broadcast import shape_of, unbroadcast
from .helpers import SHAPE_ARGS, broadcast_like, unreduce
from .conv import conv_output_size
from .decomp import no_hermitian
from .fourier import dual_norm, pad_after
from .helpers import inverse_permutation, kept_shape, reduced_axes
from .einsum import einsum_labels, einsum_plan
from .linalg import check_phase_invariant, extreme_of, no_matrix_norm_rule, thin_only, undetermined
from .nnfuncs import mse_scale, rows_of
from .reductions import scan_axis
from .registry import defjvp, defnondiff, defvjp, get_rule, primitive
from .shape import constant_pad_mode, linear_pad_mode, negate

__all__ = ["default_dout", "match_shape", "real_like", "stacked_piece", "stacked_place", "HELPERS"]


def default_dout(result):
    """The output cotangent when the caller gave none: 1.0 for a scalar output.

    A one-element array (shape ``(1,)``, ``(1, 1)``, ...) counts as a scalar, as in PyTorch and HIPS autograd.

    Args:
        result: the value the differentiated function returned.

    Returns:
        ``1.0``, or ones of ``result``'s shape for a one-element array.

    Raises:
        ValueError: ``result`` has more than one element, or is a list of values (pass ``dout=``).
        TypeError: ``result`` is not a number or a numeric array (``None``, a string, a truth value): no
            gradient; or it is complex: a gradient needs a real output (as PyTorch's ``backward()``), or an
            explicit ``dout``.
    """
    dtype = getattr(result, "dtype", None)
    if (result is None or isinstance(result, (str, bytes, bool)) or
            (dtype is not None and dtype.kind not in "iufc")):
        what = ("None" if result is None else f"an array of {dtype}" if dtype is not None and np.ndim(result)
                else "a truth value" if isinstance(result, (bool, np.bool_)) else type(result).__name__)
        raise TypeError(f"the function returned {what}, which has no gradient: srcgrad.grad "
                        "differentiates a function that returns a number or a numeric array")
    if isinstance(result, complex) or (dtype is not None and dtype.kind == "c"):
        raise TypeError("the function returned a complex value: a gradient needs a real output (as in PyTorch). "
                        "Return np.real(...), np.abs(...) ** 2, ... of it, or pass dout= (the cotangent of the "
                        "complex output)")
    if isinstance(result, (list, tuple)):
        raise ValueError(f"the function returned a list of {len(result)} values; a gradient needs one number: "
                         "call the gradient with dout=[one cotangent per value]")
    if np.ndim(result) == 0:
        return 1.0
    if np.size(result) == 1:
        return np.ones(np.shape(result))
    raise ValueError(
        f"the function returned an array of shape {np.shape(result)}; a gradient of a non-scalar output "
        "needs its cotangent: call the gradient with dout=<array of that shape>")


def match_shape(tangent, value):
    """``tangent`` broadcast to ``value``'s shape (a JVP of a broadcast input may be smaller).

    Args:
        tangent: the output tangent.
        value: the output.

    Returns:
        ``tangent`` when the shapes agree, else a broadcast copy.
    """
    shape = np.shape(value)
    if np.shape(tangent) == shape:
        return tangent
    return np.broadcast_to(tangent, shape).copy()


def real_like(g, x):
    """A gradient ``g`` given the kind of its input ``x``: its real part for a real ``x`` (PyTorch's rule, what
    ``GradFunction`` does to its results), ``g`` itself for a complex one.

    Generated code that may be differentiated again with complex values flowing ends with it, since a
    derivative of it does not pass through ``GradFunction.__call__``.

    Args:
        g: the gradient (an array or a number).
        x: the input it is the gradient of (only its dtype is read).

    Returns:
        ``np.real(g)`` when ``x`` holds no complex value and ``g`` is complex, else ``g``.

    Raises:
        TypeError: ``g`` is a dict (a gradient with respect to a dict, not supported here).
    """
    if isinstance(g, dict):
        raise TypeError("a gradient with respect to a dict, differentiated again with complex values, is not "
                        "supported by the compiler; use dynamic mode")
    if np.iscomplexobj(g) and not np.iscomplexobj(x):
        return np.real(g)
    return g


def stacked_block(items, k, kind):
    """Where ``items[k]`` sits in ``np.hstack(items)`` (or ``vstack``, ``column_stack``, ``dstack``: ``kind``).

    Args:
        items: the list that was stacked (read for its shapes only).
        k: which item.
        kind: ``"hstack"``, ``"vstack"``, ``"column_stack"`` or ``"dstack"``.

    Returns:
        ``(block, shape)``: the index of the item's block in the stacked array, and that block's shape.
    """
    if kind == "vstack":
        shapes, axis = [np.shape(np.atleast_2d(a)) for a in items], 0
    elif kind == "column_stack":
        shapes, axis = [np.shape(a) if np.ndim(a) >= 2 else (np.size(a), 1) for a in items], 1
    elif kind == "dstack":
        shapes, axis = [np.shape(np.atleast_3d(a)) for a in items], 2
    else:
        shapes = [np.shape(np.atleast_1d(a)) for a in items]
        axis = 0 if len(shapes[0]) == 1 else 1
    start = sum(s[axis] for s in shapes[:k])
    return (slice(None),) * axis + (slice(start, start + shapes[k][axis]),), shapes[k]


@primitive
def stacked_piece(g, items, k, kind):
    """The cotangent of ``items[k]`` in ``np.hstack(items)``, ``np.vstack(items)``, ``np.column_stack(items)`` or
    ``np.dstack(items)`` (``kind``), given the cotangent ``g`` of the result; for items whose number of axes the
    compiler could not tell. Linear in ``g``; its transpose is ``stacked_place``.

    Args:
        g: the cotangent of the stacked array.
        items: the list that was stacked.
        k: which item.
        kind: ``"hstack"``, ``"vstack"``, ``"column_stack"`` or ``"dstack"``.

    Returns:
        The block of ``g`` that came from ``items[k]``, in that item's shape.
    """
    block, _ = stacked_block(items, k, kind)
    return np.reshape(g[block], np.shape(items[k]))


@primitive
def stacked_place(piece, shape, items, k, kind):
    """``stacked_piece``'s transpose: zeros of the stacked array's ``shape`` with ``piece`` in ``items[k]``'s block.

    Args:
        piece: a value of ``items[k]``'s shape.
        shape: the stacked array's shape.
        items: the list that was stacked.
        k: which item.
        kind: as for ``stacked_piece``.

    Returns:
        The stacked-shape array, of ``piece``'s dtype.
    """
    block, block_shape = stacked_block(items, k, kind)
    out = np.zeros(shape, dtype=np.result_type(piece))
    out[block] = np.reshape(piece, block_shape)
    return out


# ------------------------------------------------------------------ the linear helpers
defvjp(unbroadcast,
       lambda g, ans, x, shape: np.broadcast_to(g, shape_of(x)),
       None,
       backward_name="UnbroadcastBackward0", complex=True)
defjvp(unbroadcast,
       lambda t, ans, x, shape: unbroadcast(t, shape),
       None)

defvjp(unreduce,
       lambda g, ans, x, like, axis=None: np.reshape(g, shape_of(x)),
       None,
       backward_name="UnreduceBackward0", complex=True)
defjvp(unreduce,
       lambda t, ans, x, like, axis=None: unreduce(t, like, axis),
       None)

defvjp(broadcast_like,
       lambda g, ans, t, like: unbroadcast(g, shape_of(t)),
       None,
       backward_name="BroadcastLikeBackward0", complex=True)
defjvp(broadcast_like,
       lambda tt, ans, t, like: broadcast_like(tt, like),
       None)

# real_like reads x's dtype, not only its shape: it is not @reads_shape_of (the compiler would give it another
# argument of x's shape, whatever its dtype); x gets no gradient.
defvjp(real_like,  # np.real for a real x (its cotangent, real, passes as it is), else the identity
       lambda gg, ans, grad, given: real_like(gg, given),
       None,
       backward_name="RealLikeBackward0", complex=True)
defjvp(real_like,
       lambda t, ans, grad, given: real_like(t, given),
       None)

defvjp(match_shape,
       lambda g, ans, tangent, value: unbroadcast(g, shape_of(tangent)),
       None,
       backward_name="MatchShapeBackward0", complex=True)
defjvp(match_shape,
       lambda t, ans, tangent, value: match_shape(t, value),
       None)

defvjp(stacked_piece,  # items, k and kind only place the block
       lambda c, ans, g, items, k, kind: stacked_place(c, shape_of(g), items, k, kind),
       None, None, None,
       backward_name="StackedPieceBackward0", complex=True)
defjvp(stacked_piece,
       lambda t, ans, g, items, k, kind: stacked_piece(t, items, k, kind),
       None, None, None)

defvjp(stacked_place,
       lambda c, ans, piece, shape, items, k, kind: stacked_piece(c, items, k, kind),
       None, None, None, None,
       backward_name="StackedPlaceBackward0", complex=True)
defjvp(stacked_place,
       lambda t, ans, piece, shape, items, k, kind: stacked_place(t, shape, items, k, kind),
       None, None, None, None)

# ------------------------------------------------------------------ no derivative
# Shape arithmetic that takes no arrays (so ``@reads_shape_of`` does not list it), and checks of arguments.
defnondiff(default_dout, inverse_permutation, reduced_axes, kept_shape, conv_output_size, einsum_labels, einsum_plan,
           mse_scale, rows_of, dual_norm, pad_after, extreme_of, no_matrix_norm_rule, constant_pad_mode, negate, scan_axis,
           stacked_block, linear_pad_mode, check_phase_invariant, thin_only, undetermined, no_hermitian)
_SHAPE_HELPERS = [fn for fn in SHAPE_ARGS if getattr(fn, "__module__", "").startswith("srcgrad.rules")
                  and fn not in (unreduce, broadcast_like) and get_rule(fn) is None]
defnondiff(*_SHAPE_HELPERS)

HELPERS = frozenset([default_dout, inverse_permutation,
                     reduced_axes, kept_shape, conv_output_size, einsum_labels, einsum_plan, mse_scale, rows_of,
                     dual_norm, pad_after, extreme_of, no_matrix_norm_rule, constant_pad_mode, negate, scan_axis, stacked_block,
                     linear_pad_mode, check_phase_invariant, thin_only, undetermined, no_hermitian,
                     *_SHAPE_HELPERS])
"""The functions this module made non-differentiable: internal to generated code and to rule bodies, not
primitives a user calls (``docs/supported.md`` leaves them out)."""
