"""Pass 4b, aliasing: no in-place write is compiled out of place where another name would see it.

Python's ``y *= 2``, ``y[i] = v`` and ``d['k'] += v`` change the array they name, and every other name
for that memory sees the change: ``z = y``, a view (``row = y[2]``, ``y.T``, ``y.reshape(...)``,
``np.flip(y)``, ``y[::-1]``, ``y[...]``, views of views), a list, tuple or dict holding the array, the
argument it came from. The compiler computes such writes out of place (``y = y * 2``), which is the same
thing only when no other name for that memory is read after the write.

Input: a ``NormalFunction`` whose in-place writes are marked (``Assign.inplace``), its ``Activity``, and
the generated module's values (to recognise module-level arrays). ``check`` raises ``TransformError`` at
the write's line when

* another name that may share memory with the written array is read after the write;
* the written memory may belong to a module-level array or a closure cell (later calls would see it);
* an index write (``y[i] = v``) may write into an argument's memory, or any write may in a function that
  calls itself (the calling activation reads its arguments after the call).

How: a flow-sensitive may-alias analysis. Every argument, module-level array and assignment that makes
a new array is an abstract array (the newest array an assignment in a loop made is kept apart from the
older ones, so ``v = x * 2; v += 1; out.append(v)`` in a loop is fine); each variable maps to the
abstract arrays it may share memory with. A value shares its operands' memory unless it is known to be
new: arithmetic, ufuncs, reductions, copies, stacking, and indexing that yields a number (``x[i]`` of a
vector). Anything the compiler does not know (a view function, a call with no rule) shares. Then a
liveness analysis tells which names are read after each write. Numbers (Python's and numpy's) are never
changed in place, so writes to them are not checked.
"""

import ast
import linecache
import re

import numpy as np

from ..rules.indexing import index_add, index_update
from .ir import (
    Append,
    Assign,
    Break,
    Cast,
    Const,
    Continue,
    Copy,
    ExprStmt,
    For,
    If,
    ListGet,
    ListNew,
    ListReduce,
    ListSet,
    NonDiff,
    Opaque,
    Prim,
    Return,
    UserCall,
    Var,
    While,
)
from .memory import makes_new_array
from .parse import error_at
from .tracebacks import user_origin

__all__ = ["check", "writes_in_place"]

# Functions that return their argument itself when it is an array
_SAME_ARRAY = (np.asarray, np.asanyarray, np.ascontiguousarray, np.asfortranarray)
# Shape-only attributes: reading them does not read the array's values.
_SHAPE_ATTRS = {"shape", "ndim", "size", "dtype"}


def writes_in_place(fn):
    """True when the ``NormalFunction`` has an in-place write (``y op= v``, ``y[i] = v``) of the user's."""
    return any(isinstance(s, Assign) and s.inplace for s in _walk(fn.body))


def _functional_write(s):
    """``y = index_update(y, i, v)`` (``index_add``): a new array with one part changed, as a gradient's code writes it."""
    return (
        isinstance(s, Assign)
        and isinstance(s.value, Prim)
        and s.value.fn in (index_add, index_update)
        and isinstance(s.value.args[0], Var)
        and s.value.args[0].name == s.target
    )


def check(fn, act, values, shared_params=(), mutable_defaults=()):
    """Refuse the in-place writes another name for the same memory would see (see the module docstring).

    Args:
        fn: the ``NormalFunction`` (its in-place writes marked by ``normalize``).
        act: its ``Activity`` (numbers and static shapes).
        values: the generated module's names -> objects (globals the function reads).
        shared_params: groups of parameters given arrays that share memory (``f(W, W)``).
        mutable_defaults: parameters whose default is an array (shared by every call that leaves it out).

    Raises:
        TransformError: at the write's line, naming the write and the other name.
    """
    user_writes = writes_in_place(fn)
    if not user_writes and not any(_functional_write(s) for s in _walk(fn.body)):
        return
    flow = _Flow(fn, act, values, shared_params)
    flow.run()
    if not flow.events:
        return
    if not user_writes:  # index writes a gradient's code makes (y = index_update(y, i, v)), out of place as written:
        for s, written, sharers in flow.events.values():  # nothing to refuse; the names that may share them
            if s.target not in act.scalar and written and not written <= flow.numbers:
                s.sharers = frozenset(sharers)
        return
    live = _Liveness(values)
    live.block(fn.body, set(), None)
    # a recursive call runs this function again: its caller (this activation) sees what it changes in place
    recursive = any(isinstance(s, Assign) and isinstance(s.value, UserCall) for s in _walk(fn.body))
    for sid, (s, written, sharers) in flow.events.items():
        if s.target in act.scalar or not written or written <= flow.numbers:
            continue  # a number: op= rebinds it
        s.sharers = frozenset(sharers)  # (a write the gradient runs in place is undone before they are read)
        where = _Where(fn, s)
        globals_ = sorted(r[1] for r in written if r[0] == "global")
        defaults = sorted(r[1] for r in written if r[0] == "arg" and r[1] in mutable_defaults)
        if defaults:
            where.refuse(
                f"{s.inplace} changes in place the default value of '{defaults[0]}' (an array "
                f"{_q(where.shown(s.target))} may share), which every later call that leaves it out "
                "would see; srcgrad.grad computes the write out of place",
                f"Copy it first: {where.shown(s.target)} = np.copy(...)",
            )
        if globals_:
            where.refuse(
                f"{s.inplace} changes in place the module-level (or enclosing) array '{globals_[0]}' that "
                f"{_q(where.shown(s.target))} shares; every later call would see the change, which "
                "srcgrad.grad computes out of place",
                f"Copy it first: {where.shown(s.target)} = np.copy(...)",
            )
        args = sorted(r[1] for r in written if r[0] == "arg")
        if args and recursive:
            where.refuse(
                f"{s.inplace} changes in place the argument '{args[0]}' ({_q(where.shown(s.target))} may share "
                "its memory) of a function that calls itself: the caller reads its arguments after the "
                "call, and srcgrad.grad computes the write out of place, so it would not see it",
                f"Copy it first: {where.shown(s.target)} = np.copy(...)",
            )
        if (
            args
            and isinstance(s.value, Prim)
            and s.value.fn in (index_add, index_update)
            and s.target not in fn.owned_params
        ):  # (an argument copied first: the names that see it, below)
            where.refuse(
                f"{s.inplace} writes into the argument '{args[0]}' ({_q(where.shown(s.target))} may share its "
                "memory); srcgrad.grad supports index assignment into arrays the function creates",
                f"Copy it first: {where.shown(s.target)} = np.copy(...)",
            )
        after = live.after.get(sid, set())
        for other in sorted(sharers, key=lambda u: (u not in fn.display, u)):  # the user's names first
            if other not in after:
                continue
            target = _q(where.shown(s.target))
            what = where.describe(other, sharers[other])
            write = f" ({s.inplace})" if s.inplace else ""  # (none for a write generated code makes)
            where.refuse(
                f"{what} may share memory with {target} (a view of it, or another name for the same "
                f"array) and is used after {target} is written into in place here{write}; "
                f"srcgrad.grad computes the write out of place, so it would not see the write",
                f"Copy one of them (np.copy(...)) where it is made, or write the new value out of place "
                f"yourself ({_out_of_place(s.inplace or '')})",
            )


def _q(name):
    """``'x'``, but ``d['a']`` as it is (no quotes around quotes)."""
    return name if "'" in name or '"' in name else f"'{name}'"


def _out_of_place(text):
    """``y *= ...`` -> ``y = y * ...``; an index write stays as it is (copy instead)."""
    parts = text.split(" ")
    if len(parts) == 3 and parts[1].endswith("=") and parts[1] != "=":
        op = parts[1][:-1]
        return f"{parts[0]} = {parts[0]} {op} ..."
    return "copy the array before the write"


class _Where:
    """Messages at one statement, in the user's names."""

    def __init__(self, fn, stmt):
        self.fn, self.stmt = fn, stmt

    def shown(self, var):
        return self.fn.display.get(var, var)

    def describe(self, var, lineno):
        """``'name'`` for the user's variables; a compiler temporary is named by its line."""
        if var in self.fn.display:
            return _q(self.shown(var))
        return f"the value computed at line {lineno}" if lineno else "a value computed earlier"

    def refuse(self, message, hint):
        second = self._second_order()
        if second is not None:
            message, hint = second
        raise error_at(self.fn.filename, self.fn.lines, self.stmt.lineno, message, hint=hint)

    def _second_order(self):
        """The refusal in the user's terms when the write is one of a generated gradient's (a gradient
        differentiated again): ``(message, hint)``, or None for a write of the user's own code."""
        target = self.stmt.target
        if self.fn.filename.startswith("<srcgrad:"):  # hessian, hvp, jacobian: this function is the gradient
            origin, called = user_origin(self.fn.filename, self.stmt.lineno), False
        elif target in self.fn.generated:  # a gradient called by the user's function, inlined here
            origin, called = _write_in(self.fn.generated[target], self.shown(target)), True
        else:
            return None
        name, shown = _q(self.shown(target)), self.shown(target)
        base = _derivative_of(target, self.fn.filename, self.fn.generated.get(target))
        if base is not None:  # dacc8, the gradient's name for the derivative of the user's acc8
            name, shown = f"the derivative with respect to {_q(base)}", base
        if origin is None:
            where = ""
        else:
            filename, line, _, text = origin
            code = f" ({text})" if text else ""
            where = f" at line {line}{code}" if not called else f" at {filename}, line {line}{code}"
        write = f"the in-place write into {name}{where}"
        head = f"the gradient called here makes {write}, which" if called else f"{write}"
        return (
            f"{head} is not supported at second order (hessian, hvp, jacobian, or srcgrad.grad of a function "
            "calling a gradient): the gradient srcgrad generates reads values of that array around the write, "
            "and differentiating it again computes the write out of place",
            f"Write the new value out of place in the function being differentiated (for {shown}[i] = v: "
            f"{shown} = np.where(np.arange(len({shown})) == i, v, {shown}), or np.concatenate the pieces), or use "
            "dynamic mode (Tensors, create_graph=True)",
        )


_ADJOINT_NAME = re.compile(r"^d(?P<base>[A-Za-z_]\w*?)(?:_\d+)?$")
_QUOTED_LINE = re.compile(r"^\s*# (?:adjoint of )?line \d+: (?P<text>.*)$")


def _derivative_of(name, *filenames):
    """The user's variable whose derivative generated code calls ``name`` (``dacc8``, ``dacc8_2``: ``acc8``), if the
    user's lines that one of the generated ``filenames`` quotes in its comments name it (else, the lines quoted by
    the generated files that assign ``name``: the gradient inlined into the code being read); else None."""
    m = _ADJOINT_NAME.match(name)
    if m is None or not any(isinstance(f, str) and f.startswith("<srcgrad:") for f in filenames):
        return None
    found = _named_in(name, m.group("base"), filenames)
    if found is None:
        assigns = re.compile(rf"^\s*{re.escape(name)}(\[.*\])? =")
        others = tuple(
            key
            for key in list(linecache.cache)
            if isinstance(key, str)
            and key.startswith("<srcgrad:")
            and key not in filenames
            and any(map(assigns.match, linecache.getlines(key)))
        )
        found = _named_in(name, m.group("base"), others)
    return found or None


def _named_in(name, base, filenames):
    """``base`` when the user's lines the generated ``filenames`` quote name it and not ``name`` itself (then
    ``name`` is the user's own, a ``dx`` beside an ``x``: ``""``); None when they name neither."""
    quoted = set()
    for filename in filenames:
        if isinstance(filename, str) and filename.startswith("<srcgrad:"):
            for line in linecache.getlines(filename):
                q = _QUOTED_LINE.match(line)
                if q:
                    quoted.update(re.findall(r"[A-Za-z_]\w*", q.group("text")))
    if name in quoted:
        return ""
    return base if base in quoted else None


def _write_in(filename, name):
    """The user's origin (see ``user_origin``) of the first in-place write into ``name`` in generated code."""
    pattern = re.compile(rf"^\s*{re.escape(name)}(\[.*\] | (?:[-+*/@%&|^]|//|\*\*))= ")
    for k, line in enumerate(linecache.getlines(filename), start=1):
        if pattern.match(line):
            return user_origin(filename, k)
    return None


def _walk(stmts):
    for s in stmts:
        yield s
        if isinstance(s, If):
            yield from _walk(s.body)
            yield from _walk(s.orelse)
        elif isinstance(s, (For, While)):
            yield from _walk(s.body)


# ------------------------------------------------------------------ which names may share memory
class _Flow:
    """The may-alias analysis: ``state`` maps each variable to the abstract arrays it may share memory with.

    Abstract arrays: ``("arg", p)``, ``("global", name)``, ``("new", id(stmt))`` (the array the statement made
    last) and ``("old", id(stmt))`` (any array it made before). ``events`` collects, per in-place write,
    ``(stmt, arrays written, {other variable that may share them: line it was last assigned})``.
    """

    def __init__(self, fn, act, values, shared_params=()):
        self.fn, self.act, self.values = fn, act, values
        self.shared_params = shared_params
        self.recursive = any(isinstance(s, Assign) and isinstance(s.value, UserCall) for s in _walk(fn.body))
        self.events = {}
        self.pieces = {}  # list variable -> id of the call with several outputs that made it (its pieces apart)
        self.piece_bases = {}  # id of that call -> every abstract array a piece of it may share besides its own
        self.numbers = set()  # abstract arrays that are numpy numbers (never changed in place)
        self.jumps = []

    def run(self):
        state = {p: frozenset({("arg", p)}) for p in self.fn.params}
        for group in self.shared_params:  # arguments given arrays that share memory: one abstract array
            for p in group:
                state[p] = frozenset({("arg", q) for q in group})
        self.block(self.fn.body, (state, {}))

    # states are (roots, lines): variable -> abstract arrays, variable -> line of its last assignment
    def block(self, stmts, state):
        for s in stmts:
            state = self.stmt(s, state)
        return state

    def stmt(self, s, state):
        roots, lines = state
        if isinstance(s, Assign):
            roots, lines = dict(roots), dict(lines)
            if s.inplace or (
                isinstance(s.value, Prim)
                and s.value.fn in (index_add, index_update)
                and isinstance(s.value.args[0], Var)
                and s.value.args[0].name == s.target
            ):
                self.write(s, roots, lines)
                roots[s.target] = roots.get(s.target, frozenset())  # the same array, changed
            else:
                roots[s.target] = self.value_roots(s, roots)
            lines[s.target] = s.lineno
            return roots, lines
        if isinstance(s, (Append, ListSet)):
            roots = dict(roots)
            if isinstance(s.item, Var):
                roots[s.lst] = roots.get(s.lst, frozenset()) | roots.get(s.item.name, frozenset())
            return roots, lines
        if isinstance(s, If):
            a = self.block(s.body, state)
            b = self.block(s.orelse, state)
            return _join(a, b)
        if isinstance(s, (For, While)):
            head = state
            if isinstance(s, For):
                head = ({**head[0], s.target: frozenset()}, head[1])
            for _ in range(100):
                self.jumps.append([])
                out = self.block(s.body, head)
                jumps = self.jumps.pop()
                new = _join(head, out, *jumps)
                if new == head:
                    break
                head = new
            return head
        if isinstance(s, (Break, Continue)):
            if self.jumps:
                self.jumps[-1].append(state)
            return state
        return state

    def write(self, s, roots, lines):
        written = roots.get(s.target, frozenset())
        sharers = {u: lines.get(u) for u, r in roots.items() if u != s.target and self.overlap(r, written)}
        old = self.events.get(id(s))
        if old is not None:
            written = written | old[1]
            sharers = {**old[2], **sharers}
        self.events[id(s)] = (s, written, sharers)

    def overlap(self, a, b):
        """True when variables sharing abstract arrays ``a`` and ``b`` may share memory: two different pieces of
        one call with several outputs (``p, q = np.split(y, 2)``, ``w, V = eigh(S)``) share none, although both
        share what the call read (``y``)."""
        common = a & b
        if not common:
            return False
        for sid, base in self.piece_bases.items():
            ka = {r[2] for r in a if r[:2] == ("piece", sid)}
            kb = {r[2] for r in b if r[:2] == ("piece", sid)}
            if ka and kb and not ka & kb and common <= base:
                return False
        return True

    def fresh(self, s, roots, number=False):
        """A new abstract array for statement ``s`` (the one it made before, in a loop, becomes old)."""
        new, old = ("new", id(s)), ("old", id(s))
        for u, r in roots.items():
            if new in r:
                roots[u] = (r - {new}) | {old}
        if number:
            self.numbers |= {new, old}
        return frozenset({new})

    def atom_roots(self, a, roots):
        if isinstance(a, Var):
            return roots.get(a.name, frozenset())
        return self.global_roots(a.node)

    def global_roots(self, node):
        """Module-level arrays (or lists, dicts of them) an expression names."""
        out = set()
        for n in ast.walk(node):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                value = self.values.get(n.id)
                if isinstance(value, (np.ndarray, list, dict)):
                    out.add(("global", n.id))
        return frozenset(out)

    def shares_all(self, atoms, roots):
        out = frozenset()
        for a in atoms:
            out |= self.atom_roots(a, roots)
        return out

    def value_roots(self, s, roots):
        value = s.value
        if isinstance(value, Copy):
            return self.atom_roots(value.src, roots)
        if isinstance(value, Cast):  # float(x), x.item(), np.array(x) make new values; np.asarray(x) is x
            call = value.node if isinstance(value.node, ast.Call) else None
            fn = self.callee(call.func) if call is not None else None
            if fn in _SAME_ARRAY or (fn is np.array and _copy_false({k.arg: k.value for k in call.keywords})):
                return self.atom_roots(value.src, roots)
            return self.fresh(s, roots)
        if isinstance(value, ListReduce):
            return self.fresh(s, roots)
        if isinstance(value, ListNew):
            return self.shares_all(value.items, roots) | self.fresh(s, roots)
        if isinstance(value, ListGet):
            out = roots.get(value.lst.name, frozenset())
            sid = self.pieces.get(value.lst.name)
            k = _constant_int(value.idx)
            if sid is not None and k is not None and k >= 0:  # (parts[-1] is some parts[k] too)
                out |= {("piece", sid, k)}
            return out
        if isinstance(value, Prim) and getattr(value.rule, "multiple_outputs", False):
            return self.multiple_outputs(s, roots)
        if isinstance(value, Prim):
            atoms = list(value.args) + list(value.kwargs.values())
            if (
                value.fn is np.copy
                and s.target in self.fn.owned_params
                and atoms == [Var(s.target)]
                and (len(roots.get(s.target, ())) > 1 or self.recursive)
            ):
                # the copy of an argument written into, made first. Given memory another argument shares
                # (f(W, W)), the user's write would show through that one; in a function that calls itself,
                # through the calling activation's argument: the copy stands for the argument's memory
                return roots[s.target]
            if value.style in ("binop", "unary") or makes_new_array(value.fn, value.args, value.kwargs):
                return self.fresh(s, roots, number=self.number(s))
            if value.style == "getitem" and self.number_index(s):
                return self.fresh(s, roots, number=True)
            if (
                getattr(value.fn, "__name__", "") == "astype"
                and value.fn.__module__.startswith("srcgrad.rules")
                and not _copy_false(value.kwargs)
            ):
                return self.fresh(s, roots)
            return self.shares_all(atoms, roots)
        if isinstance(value, (Opaque, UserCall)):
            atoms = list(value.args) + list(value.kwargs.values())
            return self.shares_all(atoms, roots) | self.fresh(s, roots)
        if isinstance(value, NonDiff):
            if self.new_value(value.node):
                return self.fresh(s, roots, number=self.number(s))
            out = self.global_roots(value.node)
            for name in _value_names(value.node):
                out |= roots.get(name, frozenset())
            return out | self.fresh(s, roots)
        return self.fresh(s, roots)

    def multiple_outputs(self, s, roots):
        """The abstract arrays of a call with several outputs (a list read with ``ListGet``).

        Each output of ``np.linalg``'s decompositions is a new array; the pieces ``np.split`` and its kin
        return are views of what they split, apart from each other when the sections are constants
        (``indices_or_sections`` an integer, or increasing indices). Pieces kept apart are told apart by
        ``overlap``; otherwise they are one value, as for any other call.
        """
        value = s.value
        # the pieces an earlier run of this statement (in a loop) made are pieces of another split: their memory
        # may overlap this run's pieces, so they lose the mark that tells them apart
        for u, r in roots.items():
            if any(t[0] == "piece" and t[1] == id(s) for t in r):
                roots[u] = frozenset(("old piece",) + t[1:] if t[0] == "piece" and t[1] == id(s) else t for t in r)
        if makes_new_array(value.fn, value.args, value.kwargs):
            out = self.fresh(s, roots)
            base = {("new", id(s)), ("old", id(s))}
        else:
            out = self.shares_all(list(value.args) + list(value.kwargs.values()), roots)
            if not _disjoint_pieces(value):
                self.pieces.pop(s.target, None)
                return out
            # an array a loop made anew is "old" by the time a later turn splits its successor
            base = set(out) | {("old", r[1]) for r in out if r[0] == "new"}
        self.pieces[s.target] = id(s)
        self.piece_bases[id(s)] = self.piece_bases.get(id(s), frozenset()) | frozenset(base)
        return out

    def number(self, s):
        """True when the statement's value is a number (a Python or numpy scalar), never an array."""
        return s.target in self.act.scalar or self.act.shapes.get(s.target) == ()

    def number_index(self, s):
        """``x[i]`` (integers only) with a result of shape ``()``: a numpy number, a copy of the item."""
        if self.act.shapes.get(s.target) != () and s.target not in self.act.scalar:
            return False
        idx = s.value.args[1]
        if not isinstance(idx, Const):
            return False
        for n in ast.walk(idx.node):
            if isinstance(n, ast.Constant):
                if type(n.value) is not int:
                    return False
            elif isinstance(n, ast.Name):
                if n.id not in self.act.scalar:
                    return False
            elif not isinstance(n, (ast.Tuple, ast.UnaryOp, ast.USub, ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Load)):
                return False
        return True

    def new_value(self, node):
        """True when a no-derivative expression certainly makes a new value (never a view)."""
        if isinstance(node, (ast.Constant, ast.Compare, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.JoinedStr)):
            return True
        if isinstance(node, ast.Attribute):
            return node.attr in _SHAPE_ATTRS
        if isinstance(node, ast.Call):
            fn = self.callee(node.func)
            if fn is np.array or fn is np.asarray or fn is np.asanyarray:
                return fn is np.array and not _copy_false({k.arg: k.value for k in node.keywords})
            if (
                fn is None
                or any(isinstance(a, ast.Starred) for a in node.args)
                or any(k.arg is None for k in node.keywords)
            ):
                return False
            return makes_new_array(fn, node.args, {k.arg: k.value for k in node.keywords})
        return False

    def callee(self, func):
        parts = []
        while isinstance(func, ast.Attribute):
            parts.append(func.attr)
            func = func.value
        if not isinstance(func, ast.Name) or func.id not in self.values:
            return None
        obj = self.values[func.id]
        for attr in reversed(parts):
            obj = getattr(obj, attr, None)
        return obj


def _constant_int(a):
    """The value of an atom that is an integer written in place, else None."""
    node = a.node if isinstance(a, Const) else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _constant_int(Const(node.operand))
        return None if inner is None else -inner
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    return None


def _disjoint_pieces(value):
    """True when a split's pieces never overlap: a constant number of sections, or constant indices that
    increase (``np.split(y, [3, 1])`` gives ``y[:3]`` and ``y[1:]``, which do)."""
    name = getattr(value.fn, "__name__", "")
    if name not in ("split_tuple", "hsplit", "vsplit", "dsplit") or len(value.args) < 2:
        return False
    sections = value.args[1]
    if _constant_int(sections) is not None:
        return True
    node = sections.node if isinstance(sections, Const) else None
    if not isinstance(node, (ast.List, ast.Tuple)):
        return False
    ks = [_constant_int(Const(e)) for e in node.elts]
    return all(k is not None and k >= 0 for k in ks) and ks == sorted(ks)


def _copy_false(kwargs):
    node = kwargs.get("copy")
    node = getattr(node, "node", node)
    return node is not None and not (isinstance(node, ast.Constant) and node.value is True)


def _join(*states):
    roots, lines = {}, {}
    for r, l in states:
        for k, v in r.items():
            roots[k] = roots.get(k, frozenset()) | v
        for k, v in l.items():
            lines.setdefault(k, v)
    return roots, lines


# ------------------------------------------------------------------ which names are read after each statement
def _shape_function(func, values):
    """True for a call of a function that reads only its argument's shape (``np.shape``, ``np.ndim``,
    ``shape_of``), resolved through ``values`` (the generated module's names)."""
    from ..rules.helpers import shape_of

    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return values.get(func.value.id) is np and func.attr in ("shape", "ndim", "size")
    return isinstance(func, ast.Name) and values.get(func.id) is shape_of


def _value_names(node, values=None):
    """Names whose values an expression reads: not those only asked for their shape (``x.shape``, ``len(x)``,
    and with ``values``, ``np.shape(x)``): an in-place write never changes an array's shape."""
    skip = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Attribute) and n.attr in _SHAPE_ATTRS and isinstance(n.value, ast.Name):
            skip.add(id(n.value))
        elif (
            isinstance(n, ast.Call)
            and len(n.args) == 1
            and not n.keywords
            and isinstance(n.args[0], ast.Name)
            and (
                (isinstance(n.func, ast.Name) and n.func.id == "len")
                or (values is not None and _shape_function(n.func, values))
            )
        ):
            skip.add(id(n.args[0]))
    return {
        n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and id(n) not in skip
    }


def _atom_names(a, values=None):
    if isinstance(a, Var):
        return {a.name}
    if isinstance(a, Const):
        return _value_names(a.node, values)
    return set()


def _reads(s, values=None):
    """The names a simple statement reads (its value, not its nested blocks)."""
    if isinstance(s, Assign):
        v = s.value
        if isinstance(v, (Prim, Opaque, UserCall)):
            out = set()
            for a in list(v.args) + list(v.kwargs.values()):
                out |= _atom_names(a, values)
            return out
        if isinstance(v, (Copy, Cast)):
            return _atom_names(v.src, values)
        if isinstance(v, NonDiff):
            return _value_names(v.node, values)
        if isinstance(v, ListNew):
            return set().union(*(_atom_names(a, values) for a in v.items)) if v.items else set()
        if isinstance(v, ListGet):
            return {v.lst.name} | _value_names(v.idx.node, values)
        if isinstance(v, ListReduce):
            return {v.lst.name} | set().union(*(_atom_names(a, values) for a in v.kwargs.values()))
        return set()
    if isinstance(s, (Append, ListSet)):
        out = {s.lst} | _atom_names(s.item, values)
        if isinstance(s, ListSet):
            out |= _value_names(s.idx.node, values)
        return out
    if isinstance(s, ExprStmt):
        return _value_names(s.node, values)
    if isinstance(s, Return):
        vals = s.value if isinstance(s.value, tuple) else (s.value,)
        return set().union(*(_atom_names(a, values) for a in vals))
    return set()


class _Liveness:
    """``after[id(stmt)]``: the names some path reads after the statement before rebinding them."""

    def __init__(self, values=None):
        self.after = {}
        self.values = values

    def block(self, stmts, live, loop):
        live = set(live)
        for s in reversed(stmts):
            self.after[id(s)] = self.after.get(id(s), set()) | live
            live = self.stmt(s, live, loop)
        return live

    def stmt(self, s, live, loop):
        if isinstance(s, Assign):
            return (live - {s.target}) | _reads(s, self.values)
        if isinstance(s, If):
            return self.block(s.body, live, loop) | self.block(s.orelse, live, loop) | {s.cond}
        if isinstance(s, For):
            head = set(live)
            while True:
                inner = self.block(s.body, head, (live, head)) - {s.target}
                if inner <= head:
                    break
                head |= inner
            return head | _value_names(s.iter, self.values)
        if isinstance(s, While):
            head = set(live) | _value_names(s.test, self.values)
            while True:
                inner = self.block(s.body, head, (live, head))
                if inner <= head:
                    break
                head |= inner
            return head
        if isinstance(s, Break):
            return set(loop[0]) if loop else live
        if isinstance(s, Continue):
            return set(loop[1]) if loop else live
        return live | _reads(s, self.values)
