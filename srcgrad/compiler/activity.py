"""Pass 4, activity: which variables need an adjoint, and which are plain Python numbers.

Output guarantees (an ``Activity``):

* ``active`` holds exactly the variables that may depend differentiably on a
  ``wrt`` input (*varied*) and may reach the returned value (*useful*); it is an
  over-approximation (flow-insensitive), never an under-approximation, so a
  gradient is never silently dropped. Shapes, lengths, integer indices and
  anything computed by a no-derivative expression are never active.
* ``scalar`` holds the variables statically known to be Python numbers (from
  the argument types the function was specialised on, number literals, ``math``
  functions and arithmetic between numbers). For them the reverse pass emits
  plain float arithmetic: no ``unbroadcast``, no ``np.zeros_like``.
"""

import math
import operator
from dataclasses import dataclass, field

from .ir import (Append, Assign, Cast, Const, Copy, For, ListGet, ListNew, ListReduce, NonDiff, Opaque, Prim, Return, Var,
                 walk_stmts)

__all__ = ["Activity", "analyze", "diff_inputs"]


@dataclass
class Activity:
    """What the activity pass found.

    Attributes:
        varied: variables that may depend differentiably on a ``wrt`` input.
        useful: variables that may reach the returned value.
        active: ``varied & useful``: the variables that get adjoints.
        scalar: variables known to hold Python numbers.
    """

    varied: set = field(default_factory=set)
    useful: set = field(default_factory=set)
    active: set = field(default_factory=set)
    scalar: set = field(default_factory=set)
    lists: set = field(default_factory=set)


def diff_inputs(value):
    """The variables a right-hand side's derivative flows to (by argument position for ``Prim``)."""
    if isinstance(value, Prim):
        rule = value.rule
        out = []
        for i, a in enumerate(value.args):
            vjp = rule.vjp_at(i) if hasattr(rule, "vjp_at") else (rule.vjps[i] if i < len(rule.vjps) else None)
            if isinstance(a, Var) and vjp is not None:
                out.append(a.name)
        return out
    if isinstance(value, (Copy, Cast)):
        return [value.src.name] if isinstance(value.src, Var) else []
    if isinstance(value, Opaque):
        return [a.name for a in list(value.args) + list(value.kwargs.values()) if isinstance(a, Var)]
    if isinstance(value, ListNew):
        return [a.name for a in value.items if isinstance(a, Var)]
    if isinstance(value, (ListGet, ListReduce)):
        return [value.lst.name]
    if isinstance(value, Append):
        return [value.item.name] if isinstance(value.item, Var) else []
    return []


_SCALAR_FUNCS = {getattr(math, n) for n in dir(math) if callable(getattr(math, n))} | {abs, max, min, float}


def analyze(fn, wrt_names, scalar_params=(), scalar_seq_params=()):
    """Run the activity and scalar analyses on a ``NormalFunction``.

    Args:
        fn: the ``NormalFunction``.
        wrt_names: the parameters gradients are taken with respect to.
        scalar_params: the parameters known (from the call) to be Python numbers.
        scalar_seq_params: parameters known to be lists or tuples of Python numbers
            (indexing them with an integer gives a number).

    Returns:
        An ``Activity``.
    """
    assigns = [s for s in walk_stmts(fn.body) if isinstance(s, Assign)]
    assigns += [Assign(s.lst, s, s.lineno) for s in walk_stmts(fn.body) if isinstance(s, Append)]
    result = fn.body[-1].value
    act = Activity()
    act.varied = set(wrt_names)
    changed = True
    while changed:
        changed = False
        for s in assigns:
            if s.target not in act.varied and any(v in act.varied for v in diff_inputs(s.value)):
                act.varied.add(s.target)
                changed = True
    if isinstance(result, Var):
        act.useful.add(result.name)
    changed = True
    while changed:
        changed = False
        for s in assigns:
            if s.target in act.useful:
                for v in diff_inputs(s.value):
                    if v not in act.useful:
                        act.useful.add(v)
                        changed = True
    act.active = act.varied & act.useful
    reassigned = {s.target for s in assigns}
    seqs = {p for p in scalar_seq_params if p not in reassigned}
    act.lists = {s.target for s in assigns if isinstance(s.value, ListNew)}
    act.scalar = _scalars(fn, assigns, set(scalar_params), seqs) - act.lists
    return act


def _scalars(fn, assigns, params, seqs=frozenset()):
    """Variables every assignment of which produces a Python number (a greatest fixpoint)."""
    loop_vars = {s.target for s in walk_stmts(fn.body) if isinstance(s, For)}
    candidates = {s.target for s in assigns} | params | loop_vars
    candidates -= {p for p in fn.params if p not in params}
    by_target = {}
    for s in assigns:
        by_target.setdefault(s.target, []).append(s.value)
    scalar = set(candidates)
    changed = True
    while changed:
        changed = False
        for name in list(scalar):
            if name in params or name in loop_vars and name not in by_target:
                continue
            if name in loop_vars:  # assigned both by a loop and by statements: give up
                scalar.discard(name)
                changed = True
                continue
            if not all(_is_scalar(v, scalar, seqs) for v in by_target.get(name, [])):
                scalar.discard(name)
                changed = True
    return scalar


def _atom_scalar(a, scalar):
    if isinstance(a, Var):
        return a.name in scalar
    node = a.node
    return _const_number(node)


def _const_number(node):
    import ast
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _const_number(node.operand)
    return False


def _is_scalar(value, scalar, seqs=frozenset()):
    import ast
    if isinstance(value, Prim) and value.style == "getitem":
        base, idx = value.args
        if isinstance(base, Var) and base.name in seqs and isinstance(idx, Const):
            node = idx.node
            return (isinstance(node, ast.Name) and node.id in scalar) or (
                isinstance(node, ast.Constant) and type(node.value) is int)
        return False
    if isinstance(value, Prim):
        if value.style in ("binop", "unary"):
            return all(_atom_scalar(a, scalar) for a in value.args)
        if value.fn in _SCALAR_FUNCS:
            return all(_atom_scalar(a, scalar) for a in value.args) and not value.kwargs
        return False
    if isinstance(value, Copy):
        return _atom_scalar(value.src, scalar)
    if isinstance(value, Cast):
        return isinstance(value.node, __import__("ast").Call) and getattr(value.node.func, "id", "") == "float"
    if isinstance(value, NonDiff):
        return _const_number(value.node)
    return False
