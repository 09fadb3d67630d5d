"""Refusals of the transformation that look at the whole function: a truth value returned (no gradient) and a
``wrt`` argument holding arrays of several shapes. Each raises a ``TransformError`` at the user's line."""

import ast

import numpy as np

from .ir import Assign, walk_stmts

__all__ = ["TRUTH_FUNCTIONS", "refuse_truth_values", "refuse_ragged"]

TRUTH_FUNCTIONS = {
    np.allclose,
    np.array_equal,
    np.array_equiv,
    np.isclose,
    np.any,
    np.all,
    np.isfinite,
    np.isnan,
    np.isinf,
    np.logical_and,
    np.logical_or,
    np.logical_not,
    np.logical_xor,
    isinstance,
    bool,
    callable,
    hasattr,
}


def refuse_truth_values(normal, values):
    """Refuse, at the return, a function whose value is a truth value on every path (``return x > 0``,
    ``return np.allclose(x, y)``): it has no gradient, and a zero would be wrong to give."""
    import ast as _ast
    from .ir import NonDiff, Var
    from .parse import error_at

    result = normal.body[-1].value
    if not isinstance(result, Var):
        return
    found = [s.value for s in walk_stmts(normal.body) if isinstance(s, Assign) and s.target == result.name]

    def truth(node):
        if isinstance(node, (_ast.Compare, _ast.BoolOp)) or (
            isinstance(node, _ast.UnaryOp) and isinstance(node.op, _ast.Not)
        ):
            return True
        if isinstance(node, _ast.Constant):
            return isinstance(node.value, bool)
        if isinstance(node, _ast.Call):
            func, parts = node.func, []
            while isinstance(func, _ast.Attribute):
                parts.append(func.attr)
                func = func.value
            obj = values.get(func.id) if isinstance(func, _ast.Name) else None
            for attr in reversed(parts):
                obj = getattr(obj, attr, None)
            try:
                return obj in TRUTH_FUNCTIONS
            except TypeError:
                return False
        return False

    if found and all(isinstance(v, NonDiff) and truth(v.node) for v in found):
        raise error_at(
            normal.filename,
            normal.lines,
            normal.body[-1].lineno,
            "the function returns a truth value (a comparison, np.allclose, ...), which has no gradient",
        )


def refuse_ragged(parsed, params):
    """Refuse, at the first line reading it, a wrt argument that is a list or tuple of arrays of several shapes (or
    of lists and tuples of arrays) where it is not taken item by item (``itemwise``: a checkpointed gradient, a
    gradient of a gradient, an HVP): the adjoint sweep keeps a list argument's gradient in one array."""
    if not params:
        return
    p = params[0]
    reads = [n for n in ast.walk(parsed.node) if isinstance(n, ast.Name) and n.id == p and isinstance(n.ctx, ast.Load)]
    raise parsed.error(
        min(reads, key=lambda n: n.lineno) if reads else parsed.node,
        f"srcgrad.grad with respect to '{p}', a list or tuple of arrays of several shapes (or of tuples or lists "
        "of arrays, or a nested list of several lengths), is not supported here: a plain srcgrad.grad or "
        "value_and_grad takes it item by item, but not with checkpoint=True, nor in an HVP, a Hessian or a "
        "gradient of a gradient (there the gradient of a list argument is one array)",
        f"Pass the arrays as separate arguments, or as a dict ({p}={{'a': ..., 'b': ...}}, looped over with "
        f"for v in {p}.values()): the gradient is then a dict with the same keys. Arrays of one shape can be "
        "passed as a list (or np.stack them); srcgrad.jvp takes this list as it is.",
    )
