"""The few helpers generated code calls besides numpy and the rules.

Kept tiny on purpose: everything else the generated code does is written out
in it, so it can be read.
"""

import numpy as np

__all__ = ["default_dout", "match_shape", "stacked_piece"]


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


def stacked_piece(g, items, k, kind):
    """The cotangent of ``items[k]`` in ``np.hstack(items)``, ``np.vstack(items)``, ``np.column_stack(items)`` or
    ``np.dstack(items)`` (``kind``), given the cotangent ``g`` of the result; for items whose number of axes the
    compiler could not tell.

    Args:
        g: the cotangent of the stacked array.
        items: the list that was stacked.
        k: which item.
        kind: ``"hstack"``, ``"vstack"``, ``"column_stack"`` or ``"dstack"``.

    Returns:
        The block of ``g`` that came from ``items[k]``, in that item's shape.
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
    block = (slice(None),) * axis + (slice(start, start + shapes[k][axis]),)
    return np.reshape(g[block], np.shape(items[k]))
