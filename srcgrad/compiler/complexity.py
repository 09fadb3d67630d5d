"""Complex values: which ones a function may hold, and refusing primitives whose rule is not verified for them.

Not a pass: a check ``api`` runs after ``activity``. Rules verified for complex
values carry ``Rule.complex`` (PyTorch's convention, see ``docs/rules.md``); the
others (``np.maximum``, ``np.sort``, ``sigmoid``, ...) would give a gradient of
no stated meaning for a complex value, so an active call of one that a complex
value may reach is refused at its line.

Which values may be complex is a flow-insensitive over-approximation over the
normalized program. Its sources are the parameters the call passed complex
values for (the specialisation key says which), complex literals (``1j``),
globals and closure values holding complex numbers, and calls that make
complex values from real ones (``np.fft.fft``, ``np.linalg.eig``, a ``complex``
dtype, the builtin ``complex``: ``MAKES_COMPLEX``). They flow through every
assignment except the primitives with real results for complex arguments
(``np.abs``, ``np.real``, ``np.angle``, ...: ``REAL_VALUED``).

A function no complex value can reach gets the rules' real code: ``inline``
drops the rules' ``conj(...)`` and ``np.real(...)`` (the identity on real
values), so its gradient reads and runs as before complex numbers had rules.
"""

import ast
import warnings

import numpy as np

from ..rules.complexnums import MAKES_COMPLEX, REAL_PARTS, REAL_VALUED
from .ir import (
    Append,
    Assign,
    Cast,
    Const,
    Copy,
    ListGet,
    ListNew,
    ListReduce,
    ListSet,
    NonDiff,
    Opaque,
    Prim,
    UserCall,
    Var,
    walk_stmts,
)
from .astwalk import walk
from .parse import error_at

__all__ = ["check", "holds_complex", "complex_mask"]


def holds_complex(value):
    """True for a complex number or array, or a list, tuple or dict holding one."""
    if isinstance(value, (list, tuple)):
        return any(holds_complex(v) for v in value)
    if isinstance(value, dict):
        return any(holds_complex(v) for v in value.values())
    dtype = getattr(value, "dtype", None)
    if isinstance(dtype, np.dtype):
        return dtype.kind == "c"
    return isinstance(value, complex)


def complex_mask(args):
    """The specialisation key's part for complex values: a frozenset of the indices of the arguments holding
    complex numbers (a frozenset, so no other part of the key can be mistaken for it)."""
    found = None
    for i, a in enumerate(args):
        kind = type(a)
        if kind is np.ndarray:
            if a.dtype.kind != "c":
                continue
        elif kind is float or kind is int or not holds_complex(_summary(a)):
            continue
        found = [i] if found is None else found + [i]
    return _NONE if found is None else frozenset(found)


_NONE = frozenset()


def _summary(a):
    """``a``, or for a list or tuple that starts with a Python number its sum: complex exactly when an item
    is (a complex number, or an array or numpy number of a complex dtype), found by one loop in C where
    ``holds_complex`` makes a Python call per item (most of a scalar loop's time over 1000 numbers)."""
    if (type(a) is list or type(a) is tuple) and a and (type(a[0]) is float or type(a[0]) is int):
        try:
            return sum(a)
        except Exception:  # items that do not add up (strings, ragged lists): looked at one by one
            return a
    return a


def _mentions_complex(node, complex_names):
    """True when an ``ast`` expression can be a complex value or a complex dtype."""
    for sub in walk(node):
        if isinstance(sub, ast.Constant):
            if isinstance(sub.value, complex):
                return True
            if isinstance(sub.value, str) and len(sub.value) < 16:
                try:
                    with warnings.catch_warnings():  # np.dtype("a") is a deprecated alias: a dict key, not a dtype
                        warnings.simplefilter("ignore", DeprecationWarning)
                        if np.dtype(sub.value).kind == "c":
                            return True
                except Exception:  # not a dtype name (an einsum subscript, a mode, ...)
                    pass
        elif isinstance(sub, ast.Name) and (sub.id in complex_names or "complex" in sub.id):
            return True
        elif isinstance(sub, ast.Attribute) and "complex" in sub.attr:
            return True
    return False


def _atoms(value):
    """The atoms a right-hand side reads (variables and constants)."""
    if isinstance(value, Prim):
        return list(value.args) + list(value.kwargs.values())
    if isinstance(value, (Opaque, UserCall)):
        return list(value.args) + list(value.kwargs.values())
    if isinstance(value, Copy):
        return [value.src]
    if isinstance(value, ListNew):
        return list(value.items)
    if isinstance(value, (ListGet, ListReduce)):
        return [value.lst] + list(getattr(value, "kwargs", {}).values())
    if isinstance(value, (Append, ListSet)):
        return [value.item]
    if isinstance(value, NonDiff):
        return [Var(n) for n in value.reads]
    if isinstance(value, Const):
        return [value]
    return []


def _real_part(get, producers):
    """True for ``outs[k]`` where ``outs`` is a tuple a primitive returned and its output ``k`` is always real."""
    fn = producers.get(get.lst.name)
    parts = REAL_PARTS.get(fn) if fn is not None and not isinstance(fn, list) else None
    node = get.idx.node
    return bool(parts) and isinstance(node, ast.Constant) and node.value in parts


def _complex_atom(atom, maybe, complex_names):
    if isinstance(atom, Var):
        return atom.name in maybe
    return isinstance(atom, Const) and _mentions_complex(atom.node, complex_names)


def _made_complex(value, complex_names):
    """True when a call makes complex values whatever its inputs (an FFT, ``astype(complex)``, ...)."""
    fn = getattr(value, "fn", None)
    try:
        if fn in MAKES_COMPLEX or fn is complex:
            return True
    except TypeError:  # an unhashable callable
        pass
    if isinstance(value, (Prim, Opaque)) and getattr(value, "func", None) is not None:
        if _mentions_complex(value.func, complex_names):
            return True
    return False


def check(normal, act, scopes, complex_params=()):
    """Whether complex values may occur, after refusing unverified primitives they may reach.

    Args:
        normal: the ``NormalFunction``.
        act: its ``Activity`` (only calls with an active argument run a rule).
        scopes: the ``Scope`` objects of the function and its inlined helpers
            (their ``deps`` hold the globals and closure values read).
        complex_params: the parameters this specialisation gets complex values for.

    Returns:
        ``(anywhere, result)``: whether some value may be complex, and whether
        the returned value may be.

    Raises:
        TransformError: at the first active call of an unverified primitive that
            a complex value may reach.
    """
    stmts = [s for s in walk_stmts(normal.body) if isinstance(s, Assign)]
    stmts += [Assign(s.lst, s, s.lineno) for s in walk_stmts(normal.body) if isinstance(s, (Append, ListSet))]
    complex_names = {name for scope in scopes for _, _, name, value in scope.deps if holds_complex(value)}
    maybe = {p for p in normal.params if p in complex_params}
    producers = {s.target: s.value.fn for s in stmts if isinstance(s.value, Prim)}
    changed = True
    while changed:
        changed = False
        for s in stmts:
            if s.target in maybe:
                continue
            value = s.value
            if isinstance(value, Cast) or (isinstance(value, Prim) and value.fn in REAL_VALUED):
                continue
            if isinstance(value, ListGet) and _real_part(value, producers):
                continue
            if _made_complex(value, complex_names) or any(
                _complex_atom(a, maybe, complex_names) for a in _atoms(value)
            ):
                maybe.add(s.target)
                changed = True
    for s in stmts:
        value = s.value
        if (
            isinstance(value, Prim)
            and value.rule is not None
            and value.rule.differentiable
            and not getattr(value.rule, "complex", False)
            and any(isinstance(a, Var) and a.name in act.active for a in _atoms(value))
            and any(_complex_atom(a, maybe, complex_names) for a in _atoms(value))
        ):
            raise error_at(
                normal.filename,
                normal.lines,
                s.lineno,
                f"the derivative rule of {_name(value.fn)} is not verified for complex values, and a complex value "
                "may reach this call",
                "srcgrad refuses rather than risk a wrong gradient; docs/compiler.md, 'Complex numbers', lists the "
                "functions that take complex values. Work on real and imaginary parts (np.real, np.imag).",
            )
    consts = any(
        _mentions_complex(a.node, complex_names) for s in stmts for a in _atoms(s.value) if isinstance(a, Const)
    )
    returned = normal.body[-1].value
    result = (
        _complex_atom(returned, maybe, complex_names)
        if isinstance(returned, (Var, Const))
        else any(_complex_atom(r, maybe, complex_names) for r in returned)
        if isinstance(returned, tuple)
        else bool(maybe)
    )
    return bool(maybe) or consts, result


def _name(fn):
    module = getattr(fn, "__module__", None) or ""
    name = getattr(fn, "__name__", repr(fn))
    if isinstance(fn, np.ufunc) or module.startswith("numpy"):
        return f"np.{name}" if not module.startswith("numpy.linalg") else f"np.linalg.{name}"
    return name
