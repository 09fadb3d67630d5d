"""Reverse, the liveness of saved values: what the forward sweep saves, and which saves stay.

Guarantees:

* before the sweeps are built: ``overwrites`` finds the assignments that may overwrite an earlier value (one
  inside loops that computes the same value every time overwrites nothing worth saving) and the loop
  variables that shadow one; ``save_groups`` the saves of a loop body that can share one push at its start;
  ``recomputable`` the reads ``x = xs[i]`` cheaper to compute again in the adjoint loop than to save;
* after: ``Liveness``, a backward liveness over the adjoint sweep with its markers, needs a restore exactly
  when the restored value is read before anything rebinds it; a save and every restore of its key are kept
  or dropped together, so the stack stays balanced;
* ``resolve_markers`` turns the kept markers into push and pop code and drops the rest; in the adjoint sweep
  it also drops a branch or loop left without code, and turns a branch with code in its ``else`` only into
  ``if not cond``.
"""

import ast

from .. import astwalk
from ..ir import (
    Append,
    Assign,
    Const,
    Copy,
    ExprStmt,
    For,
    If,
    ListGet,
    ListPop,
    ListSet,
    NonDiff,
    Opaque,
    Prim,
    Return,
    UserCall,
    Var,
    While,
    clone,
    walk_stmts,
)
from ..nodes import (
    assign as _assign,
    call as _call,
    name as _name,
    stmt_reads,
    value_reads,
)
from .markers import Recompute, Restore, RestoreGroup, RestoreItems, Save, SaveGroup, SaveItems, SourceLine, is_marker


def _real(stmts):
    return any(not is_marker(s) for s in stmts)


class Liveness:
    """Backward liveness over the adjoint sweep with its markers: which restores are read before overwritten.

    A restore (``v = pop()``) is needed when ``v`` is live right after it: some
    statement reads ``v`` before another restore or assignment rebinds it. Its
    save and every restore of the same statement (``key``) are then kept
    together, so the stack stays balanced; the others disappear in pairs.
    In-place item restores (``y[i] = pop()``) read ``y`` and kill nothing; a
    recomputation (``x = xs[i]``) is kept when ``x`` is live and reads its operands.

    Attributes:
        needed: keys of the needed restores (``(key, var)`` for a group's variables).
        saved: the variables some needed restore rebinds.
    """

    def __init__(self):
        self.needed = set()
        self.saved = set()

    def block(self, stmts, live, loop_out=None):
        """Names live before ``stmts`` when ``live`` are live after them."""
        live = set(live)
        for st in reversed(stmts):
            live = self.stmt(st, live, loop_out)
        return live

    def need(self, key, var):
        self.needed.add(key)
        self.saved.add(var)

    def kept(self, marker):
        """Whether ``resolve_markers`` turns ``marker`` into code (given what is needed so far)."""
        if isinstance(marker, (SaveGroup, RestoreGroup)):
            return any((marker.key, v) in self.needed for v in marker.vars)
        if isinstance(marker, SourceLine):
            return False
        return marker.key in self.needed

    def empty(self, stmts):
        """True when ``stmts`` resolve to no code: markers not kept, ``pass``, and branches and loops of those
        (``resolve_markers`` drops such a branch or loop of the adjoint sweep, so it reads nothing)."""
        for st in stmts:
            if is_marker(st):
                if self.kept(st.value.value):
                    return False
            elif isinstance(st, (ast.If, ast.For, ast.While)):
                if not (self.empty(st.body) and self.empty(st.orelse)):
                    return False
            elif not isinstance(st, ast.Pass):
                return False
        return True

    def stmt(self, st, live, loop_out):
        if is_marker(st):
            m = st.value.value
            if isinstance(m, Restore) and m.var in live:
                self.need(m.key, m.var)
                live.discard(m.var)
            elif isinstance(m, RestoreGroup):
                for v in m.vars:
                    if v in live:
                        self.need((m.key, v), v)
                        live.discard(v)
            elif isinstance(m, RestoreItems) and (m.var in live or m.sharers & live):
                self.need(m.key, m.var)
                live |= _loads(m.index)  # y[k] = pop() reads k: its value at the write, restored too
            elif isinstance(m, Recompute) and m.target in live:
                self.needed.add(m.key)
                live.discard(m.target)
                live |= _loads(m.value)
            return live
        if isinstance(st, ast.Assign):
            kills = set()
            for t in st.targets:
                for e in t.elts if isinstance(t, ast.Tuple) else [t]:
                    if isinstance(e, ast.Name):
                        kills.add(e.id)
            return (live - kills) | _loads(st)
        if isinstance(st, ast.AugAssign):
            return live | _loads(st) | ({st.target.id} if isinstance(st.target, ast.Name) else set())
        if isinstance(st, ast.If):
            inner = self.block(st.body, live, loop_out) | self.block(st.orelse, live, loop_out)
            return inner if self.empty([st]) else inner | _loads(st.test)
        if isinstance(st, (ast.For, ast.While)):
            head = st.iter if isinstance(st, ast.For) else st.test
            targets = (
                {n.id for n in ast.walk(st.target) if isinstance(n, ast.Name)} if isinstance(st, ast.For) else set()
            )
            after = self.block(st.orelse, live, loop_out)
            carried = set(live) | after
            while True:  # what the body reads flows around the loop until nothing new arrives
                inside = self.block(st.body, carried, carried) - targets
                if inside <= carried:
                    break
                carried |= inside
            return carried if self.empty([st]) else carried | _loads(head)
        if isinstance(st, (ast.Break, ast.Continue)):
            return set(loop_out) if loop_out is not None else live
        if isinstance(st, ast.Return):
            return _loads(st.value) if st.value is not None else set()
        return live | _loads(st)


def _loads(node):
    return {n.id for n in astwalk.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def resolve_markers(stmts, needed, rev, prune=False):
    """Markers to code: the saves, restores and recomputations whose keys are in ``needed``; the rest go.

    With ``prune`` (the adjoint sweep), a branch or loop left without code goes too (``Liveness.empty``), and
    a branch with code in its ``else`` only becomes ``if not cond``.
    """
    out = []
    for s in stmts:
        if is_marker(s, Save):
            var = s.value.value.var
            if s.value.value.key in needed:
                out += rev.save_stmts(var)
            continue
        if is_marker(s, Restore):
            var = s.value.value.var
            if s.value.value.key in needed:
                out += rev.restore_stmts(var)
            continue
        if is_marker(s, SaveItems) or is_marker(s, RestoreItems):
            m = s.value.value
            if m.key in needed:
                if is_marker(s, SaveItems):
                    item = ast.Subscript(value=_name(m.var), slice=clone(m.index), ctx=ast.Load())
                    if m.copy:
                        item = _call(ast.Attribute(value=_name(rev.np), attr="copy", ctx=ast.Load()), item)
                    out.append(rev.push_stmt(item))
                else:
                    out.append(
                        ast.Assign(
                            targets=[ast.Subscript(value=_name(m.var), slice=clone(m.index), ctx=ast.Store())],
                            value=rev.pop_expr(),
                            lineno=0,
                        )
                    )
            continue
        if is_marker(s, Recompute):
            m = s.value.value
            if m.key in needed:
                out.append(_assign(m.target, m.value))
            continue
        if is_marker(s, SaveGroup) or is_marker(s, RestoreGroup):
            m = s.value.value
            names = [v for v in m.vars if (m.key, v) in needed]
            if names and rev.plain_stack:  # one value per push: a list of values, differentiable again
                if is_marker(s, SaveGroup):
                    out += [st for v in names for st in rev.save_stmts(v)]
                else:
                    out += [st for v in reversed(names) for st in rev.restore_stmts(v)]
            elif names:
                push, pop = rev.stack_names()
                packed = (
                    _name(names[0]) if len(names) == 1 else ast.Tuple(elts=[_name(v) for v in names], ctx=ast.Load())
                )
                if is_marker(s, SaveGroup):
                    out.append(ast.Expr(value=_call(push, packed)))
                else:
                    target = (
                        _name(names[0], True)
                        if len(names) == 1
                        else ast.Tuple(elts=[_name(v, True) for v in names], ctx=ast.Store())
                    )
                    out.append(ast.Assign(targets=[target], value=_call(pop), lineno=0))
            continue
        for field in ("body", "orelse"):
            if hasattr(s, field) and isinstance(getattr(s, field), list):
                new = resolve_markers(getattr(s, field), needed, rev, prune)
                if field == "body" and not _real(new):
                    new = new + [ast.Pass()]
                setattr(s, field, new)
        if prune and isinstance(s, (ast.If, ast.For, ast.While)):
            if not _code(s.body) and not _code(s.orelse):
                continue
            if isinstance(s, ast.If) and not _code(s.body):
                s.test = ast.UnaryOp(op=ast.Not(), operand=s.test)
                s.body, s.orelse = s.orelse, []
            elif isinstance(s, ast.If) and not _code(s.orelse):
                s.orelse = []
        out.append(s)
    return out


def _code(stmts):
    return any(not is_marker(s) and not isinstance(s, ast.Pass) for s in stmts)


def recomputable(fn, overwritten, arithmetic=False):
    """Per loop (by ``id``), saved assignments cheaper to compute again in the adjoint loop than to save.

    ``x = xs[i]`` at the top level of a loop over ``i``, where ``xs`` does not
    change in the loop and ``x`` is assigned nowhere else (not a parameter) and not read before
    it in the body: the adjoint loop sets ``i`` itself, so it can read ``xs[i]``
    again at the start of each of its iterations. With ``arithmetic`` (the form differentiated again), also
    integer arithmetic on ``i`` and names the loop does not change (``k = (i + 1) % 3``): a value popped
    from the stack is an index the compiler cannot follow when it reads the code again.
    """
    counts = dict.fromkeys(fn.params, 1)  # a parameter has a value before the loop, which reading again loses
    for s in walk_stmts(fn.body):
        if isinstance(s, Assign):
            counts[s.target] = counts.get(s.target, 0) + 1
    changing = _maybe_changed_outside(fn)
    local = _loop_locals(fn) if arithmetic else set()
    out = {}

    def visit(stmts, changing):
        for loop in stmts:
            if isinstance(loop, If):
                visit(loop.body, changing)
                visit(loop.orelse, changing)
            if not isinstance(loop, (For, While)):
                continue
            assigned = {a.target for a in walk_stmts(loop.body) if isinstance(a, Assign)}
            assigned |= {a.lst for a in walk_stmts(loop.body) if isinstance(a, (Append, ListSet))}
            inner_changing = changing | assigned
            if isinstance(loop, For):
                read_so_far = set()
                picked = []
                arithmetic_picked = set()
                for s in loop.body:
                    if (
                        isinstance(s, Assign)
                        and id(s) in overwritten
                        and (counts.get(s.target) == 1 or s.target in local)
                        and s.target not in read_so_far
                        and (
                            _cheap_read(s.value, loop.target, inner_changing)
                            or (
                                arithmetic
                                and _index_arithmetic(s.value, loop.target, inner_changing, derived=arithmetic_picked)
                            )
                        )
                    ):
                        picked.append(s)
                        if arithmetic and _index_arithmetic(s.value, loop.target, inner_changing, arithmetic_picked):
                            arithmetic_picked.add(s.target)  # (i + 1) % 3 is t = i + 1; k = t % 3
                    read_so_far |= stmt_reads(s)
                if picked:
                    out[id(loop)] = picked
            visit(loop.body, inner_changing | ({loop.target} if isinstance(loop, For) else set()))

    visit(fn.body, changing)
    if local:  # a name assigned in several loops is computed again in all of them or saved in all of them
        picked = {id(a) for assigns in out.values() for a in assigns}
        dropped = {
            s.target for s in walk_stmts(fn.body) if isinstance(s, Assign) and s.target in local and id(s) not in picked
        }
        while True:  # and what is computed from a value saved is saved too
            more = {
                a.target for v in out.values() for a in v if a.target not in dropped and _names_in(a.value) & dropped
            }
            if not more:
                break
            dropped |= more
        out = {k: kept for k, v in out.items() if (kept := [a for a in v if a.target not in dropped])}
    return out


def _loop_locals(fn):
    """Names assigned only at the top of ``for`` loops' bodies and read only inside the loops that assign them
    (``idx = i % 2`` in a loop and again in its adjoint loop, in a gradient read again): each iteration gives
    them their value before reading it, so computing it again there is right wherever else they are assigned."""
    homes, out = {}, set()

    def assigns(stmts, loop):
        for s in stmts:
            if isinstance(s, Assign):
                if loop is not None and any(s is t for t in loop.body):
                    homes.setdefault(s.target, set()).add(id(loop))
                else:
                    out.add(s.target)
            elif isinstance(s, If):
                assigns(s.body, None)
                assigns(s.orelse, None)
            elif isinstance(s, (For, While)):
                assigns(s.body, s if isinstance(s, For) else None)

    def reads(stmts, loops):
        for s in stmts:
            if isinstance(s, If):
                names = {s.cond}
            elif isinstance(s, (For, While)):
                names = {n.id for n in ast.walk(s.iter if isinstance(s, For) else s.test) if isinstance(n, ast.Name)}
            elif isinstance(s, Return):
                names = set()
                for a in s.value if isinstance(s.value, tuple) else (s.value,):
                    if isinstance(a, Var):
                        names.add(a.name)
                    elif isinstance(a, Const):
                        names |= {n.id for n in ast.walk(a.node) if isinstance(n, ast.Name)}
                    else:
                        names |= set(homes)  # not an atom: whatever it is, assume it reads them
            else:
                names = stmt_reads(s)
            for name in names & set(homes):
                if not homes[name] & loops:
                    out.add(name)
            if isinstance(s, If):
                reads(s.body, loops)
                reads(s.orelse, loops)
            elif isinstance(s, (For, While)):
                reads(s.body, loops | {id(s)})

    assigns(fn.body, None)
    reads(fn.body, frozenset())
    return set(homes) - out - set(fn.params)


def _maybe_changed_outside(fn):
    """Names a statement of ``fn`` may change other than by assigning them: those it passes to a call that has
    no rule (an expression statement, a C function, a recursive call may change a list it is given)."""
    out = set()
    for s in walk_stmts(fn.body):
        nodes = []
        if isinstance(s, ExprStmt):
            nodes.append(s.node)
        elif isinstance(s, Assign) and isinstance(s.value, (Opaque, UserCall)):
            nodes += [a.node for a in list(s.value.args) + list(s.value.kwargs.values()) if isinstance(a, Const)]
            out.update(a.name for a in list(s.value.args) + list(s.value.kwargs.values()) if isinstance(a, Var))
        for node in nodes:
            out.update(n.id for n in ast.walk(node) if isinstance(n, ast.Name))
    return out


_INDEX_OPS = (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod)


def _index_arithmetic(value, index, changing, derived=frozenset()):
    """``(index + 1) % n``: a value with no derivative made by integer operators from the loop's index (or the
    ``derived`` names computed again from it before) and names the loop does not change; or, in a gradient read
    again, one such operator on them and integers, or another name for one (``t = i + 1; k = t % 3; j = k``)."""
    if isinstance(value, Copy):  # k = j of such a value
        return isinstance(value.src, Var) and value.src.name in {index} | derived
    if isinstance(value, Prim) and value.style == "binop" and isinstance(value.op, _INDEX_OPS) and not value.kwargs:
        indices = {index} | derived
        return any(isinstance(a, Var) and a.name in indices for a in value.args) and all(
            (isinstance(a, Var) and a.name in indices) or (isinstance(a, Const) and _int_constant(a.node))
            for a in value.args
        )
    if not isinstance(value, NonDiff) or value.unknown or not isinstance(value.node, ast.BinOp):
        return False
    for n in ast.walk(value.node):
        if isinstance(n, ast.Constant) and type(n.value) is not int:
            return False
        if not isinstance(n, (ast.BinOp, ast.Name, ast.Constant, ast.Load, *_INDEX_OPS)):
            return False
    names = {n.id for n in ast.walk(value.node) if isinstance(n, ast.Name)}
    return bool(names & ({index} | derived)) and not (names - {index} - derived) & changing


def _names_in(value):
    if isinstance(value, NonDiff):
        return {n.id for n in ast.walk(value.node) if isinstance(n, ast.Name)}
    if isinstance(value, Copy):
        return {value.src.name} if isinstance(value.src, Var) else set()
    return {a.name for a in getattr(value, "args", ()) if isinstance(a, Var)}


def _int_constant(node):
    return isinstance(node, ast.Constant) and type(node.value) is int


def _cheap_read(value, index, changing):
    """``seq[index]`` (or ``seq[index +- k]``) of a sequence that does not change in the loop."""
    if isinstance(value, Prim) and value.style == "getitem":
        base, idx = value.args
    elif isinstance(value, ListGet) and not isinstance(value, ListPop):
        base, idx = value.lst, value.idx
    elif (
        isinstance(value, NonDiff)
        and isinstance(value.node, ast.Subscript)
        and isinstance(value.node.value, ast.Name)
        and not value.reads - {index}
    ):  # XS[i] of a global: the generated code reads the same object again
        base, idx = Var(value.node.value.id), Const(value.node.slice)
    else:
        return False
    if not isinstance(base, Var) or base.name in changing or not isinstance(idx, Const):
        return False
    names = {n.id for n in ast.walk(idx.node) if isinstance(n, ast.Name)}
    simple = all(
        isinstance(n, (ast.Name, ast.Constant, ast.BinOp, ast.Add, ast.Sub, ast.Load)) for n in ast.walk(idx.node)
    )
    return simple and names <= {index} and base.name != index


def save_groups(fn, overwritten):
    """Per loop (by ``id``), the saved assignments whose saves can share one push at the body's start.

    An assignment qualifies when it is a top-level statement of the body (so it
    runs in every iteration that gets that far), is the only assignment to its
    variable in the body, and nothing in the body (or a while test) reads the
    variable before it: then the value saved at the start of the iteration is
    the one the statement overwrites, and restoring it at the end of the
    iteration's adjoint is soon enough.
    """
    groups = {}
    for loop in walk_stmts(fn.body):
        if not isinstance(loop, (For, While)):
            continue
        counts = {}
        for s in walk_stmts(loop.body):
            if isinstance(s, Assign):
                counts[s.target] = counts.get(s.target, 0) + 1
        test_reads = (
            {n.id for n in ast.walk(loop.test) if isinstance(n, ast.Name)} if isinstance(loop, While) else set()
        )
        read_so_far = set(test_reads)
        picked = []
        for s in loop.body:
            if (
                isinstance(s, Assign)
                and id(s) in overwritten
                and not s.bookkeeping
                and counts[s.target] == 1
                and s.target not in read_so_far
                and (value_reads(s.value) or set()).isdisjoint({s.target})
                and value_reads(s.value) is not None
            ):
                picked.append(s)
            read_so_far |= stmt_reads(s)
        if len(picked) > 1:
            groups[id(loop)] = picked
    return groups


def overwrites(fn):
    """Assignments (by ``id``) that may overwrite an earlier value, and loop variables that shadow one.

    An assignment inside loops whose value reads nothing any enclosing loop
    changes and draws no random numbers, to a variable assigned nowhere else,
    computes the same value every time: it overwrites nothing worth saving.
    """
    over = set()
    shadow = {}
    counts = {}
    for s in walk_stmts(fn.body):
        if isinstance(s, Assign):
            counts[s.target] = counts.get(s.target, 0) + 1

    def loop_assigned(loop):
        names = {s.target for s in walk_stmts(loop.body) if isinstance(s, Assign)}
        names |= {s.target for s in walk_stmts(loop.body) if isinstance(s, For)}
        names |= {s.lst for s in walk_stmts(loop.body) if isinstance(s, (Append, ListSet))}
        if isinstance(loop, For):
            names.add(loop.target)
        return names

    def walk(block, assigned, varying):
        for s in block:
            if isinstance(s, Assign):
                if s.target in assigned:
                    reads = value_reads(s.value)
                    invariant = (
                        varying
                        and not getattr(s.value, "draws", False)  # (a random draw differs each time: draws.py)
                        and counts.get(s.target) == 1
                        and s.target not in fn.params
                        and reads is not None
                        and not (reads & varying)
                    )
                    if not invariant:
                        over.add(id(s))
                assigned.add(s.target)
            elif isinstance(s, If):
                a1 = walk(s.body, set(assigned), varying)
                a2 = walk(s.orelse, set(assigned), varying)
                assigned |= a1 | a2
            elif isinstance(s, (For, While)):
                if isinstance(s, For):
                    if s.target in assigned:
                        shadow[id(s)] = {s.target}
                    assigned.add(s.target)
                inner = varying | loop_assigned(s)
                first = walk(s.body, set(assigned), inner)
                walk(s.body, set(first), inner)
                assigned |= first
        return assigned

    walk(fn.body, set(fn.params), set())
    return over, shadow
