"""Reverse, the marker statements: source lines, and the saves and restores the liveness decides on.

A marker is an ``ast.Expr`` whose constant is one of these dataclasses, recognised by ``is_marker`` alone.
The sweep builder leaves them; ``liveness`` turns each save and restore it keeps into stack code and drops
the rest; ``codegen`` prints a ``SourceLine`` as a comment (``optimize`` leaves them where they are). Each save
carries the key of the restores it pairs with (the ``id`` of the statement that overwrites the value).
"""

import ast
from dataclasses import dataclass


@dataclass(frozen=True)
class SourceLine:
    """Marker: the following statements come from the user's line ``lineno`` (``note``: a second comment line,
    what the compiler did with it, e.g. why a loop is not checkpointed)."""

    lineno: int
    text: str
    adjoint: bool = False
    note: str = ""


@dataclass(frozen=True)
class Save:
    """Push ``var`` before the statement ``key`` (an ``id``) overwrites it; paired with the ``Restore`` of ``key``."""

    var: str
    key: int = 0


@dataclass(frozen=True)
class Restore:
    var: str
    key: int = 0


@dataclass(frozen=True, eq=False)
class SaveItems:
    """Save ``var[index]`` (a copy of an array's items; a list's item itself) before an in-place write."""

    var: str
    index: object
    copy: bool = True
    key: int = 0


@dataclass(frozen=True, eq=False)
class RestoreItems:
    var: str
    index: object
    key: int = 0
    sharers: frozenset = frozenset()  # other names for ``var``'s memory: read later, they need the restore too


@dataclass(frozen=True, eq=False)
class Recompute:
    """Compute ``target = value`` again (only if the adjoint sweep reads ``target``)."""

    target: str
    value: object
    key: int = 0


@dataclass(frozen=True)
class SaveGroup:
    """Save several variables with one push (at the start of a loop body)."""

    vars: tuple
    key: int = 0


@dataclass(frozen=True)
class RestoreGroup:
    vars: tuple
    key: int = 0


def marker_stmt(obj):
    return ast.Expr(value=ast.Constant(value=obj))


def is_marker(stmt, kind=None):
    """True when ``stmt`` is a marker statement (of class ``kind``, if given)."""
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
        v = stmt.value.value
        if isinstance(v, (SourceLine, Save, Restore, SaveGroup, RestoreGroup, Recompute, SaveItems, RestoreItems)):
            return kind is None or isinstance(v, kind)
    return False
