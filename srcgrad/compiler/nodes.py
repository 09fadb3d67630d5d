"""What the passes share: AST node builders and what a normalized statement reads.

Every pass that writes Python builds the same few nodes (a name, an
assignment, a call, an operand); every pass that reasons about order asks what
a statement or a right-hand side reads, and which operands a rule's VJPs read.
These live here, below the passes, so that no pass imports another for them.
"""

import ast

from .ir import (
    Append,
    Assign,
    Cast,
    Const,
    Copy,
    ExprStmt,
    For,
    If,
    ListSet,
    NonDiff,
    Opaque,
    Prim,
    Var,
    While,
    clone,
    walk_stmts,
)

__all__ = ["name", "assign", "call", "atom_node", "stmt_reads", "value_reads", "rule_reads", "nested_sequence"]


def name(id_, store=False):
    """``ast.Name`` of ``id_``, loaded (or stored to, when ``store``)."""
    return ast.Name(id=id_, ctx=ast.Store() if store else ast.Load())


def assign(target, value):
    """``target = value`` as an ``ast.Assign``."""
    return ast.Assign(targets=[name(target, True)], value=value, lineno=0)


def call(func, *args, **kwargs):
    """``func(*args, **kwargs)``; ``func`` a name or an expression node."""
    return ast.Call(
        func=func if isinstance(func, ast.expr) else name(func),
        args=list(args),
        keywords=[ast.keyword(arg=k, value=v) for k, v in kwargs.items()],
    )


def atom_node(a):
    """The expression of an IR operand: a copy of a constant's node, or the variable's name."""
    return clone(a.node) if isinstance(a, Const) else name(a.name)


def stmt_reads(stmt):
    """Every name a normalized statement (and what it contains) may read."""
    names = set()
    for s in walk_stmts([stmt]):
        if isinstance(s, Assign):
            names |= value_reads(s.value) or {a.name for a in getattr(s.value, "items", []) if isinstance(a, Var)} | (
                {s.value.lst.name} if hasattr(s.value, "lst") and hasattr(s.value.lst, "name") else set()
            )
        elif isinstance(s, If):
            names.add(s.cond)
        elif isinstance(s, While):
            names |= {n.id for n in ast.walk(s.test) if isinstance(n, ast.Name)}
        elif isinstance(s, For):
            names |= {n.id for n in ast.walk(s.iter) if isinstance(n, ast.Name)}
        elif isinstance(s, (Append, ListSet)):
            names.add(s.lst)
            if isinstance(s.item, Var):
                names.add(s.item.name)
            if isinstance(s, ListSet):
                names |= {n.id for n in ast.walk(s.idx.node) if isinstance(n, ast.Name)}
        elif isinstance(s, ExprStmt):
            names |= {n.id for n in ast.walk(s.node) if isinstance(n, ast.Name)}
    return names


def value_reads(value):
    """Every name a right-hand side reads (operands and names inside constant expressions); ``None`` for the
    list forms."""
    names = set()
    atoms = []
    if isinstance(value, (Prim, Opaque)):
        atoms = list(value.args) + list(value.kwargs.values())
    elif isinstance(value, (Copy, Cast)):
        atoms = [value.src]
        if isinstance(value, Cast):
            names |= {n.id for n in ast.walk(value.node) if isinstance(n, ast.Name)}
    elif isinstance(value, NonDiff):
        names |= {n.id for n in ast.walk(value.node) if isinstance(n, ast.Name)}
    else:
        return None  # list forms: never treated as loop-invariant
    for a in atoms:
        if isinstance(a, Var):
            names.add(a.name)
        else:
            names |= {n.id for n in ast.walk(a.node) if isinstance(n, ast.Name)}
    return names


def rule_reads(rule, nargs):
    """``(positions, ans)``: which positional arguments and whether ``ans`` any VJP of ``rule`` reads.

    A variadic rule's ``*operands`` reads every argument from its position on (``einsum_args``).
    """
    positions, ans, shape_positions = rule.reads(nargs, tuple(range(nargs)))
    return set(positions) | set(shape_positions), ans


def nested_sequence(index):
    """True when a tuple or list stands in an index anywhere but as the index itself.

    numpy reads ``x[..., (0, 1, 0)]`` or ``x[[0, 0], 1]`` as a fancy index, which
    may address an element twice: such an index is never basic.
    """
    return any(isinstance(n, (ast.Tuple, ast.List)) for n in ast.walk(index) if n is not index)
