"""Reverse, the sweep builder: the forward sweep, the adjoint sweep's control flow, the whole function.

Guarantees (``Sweeps``, a mixin of ``Reverse``):

* the forward sweep is the user's computation, one primitive per statement, with a save marker before each
  assignment that overwrites a value the adjoint sweep may read (``liveness`` decides) and before each write
  in place (``y[i] = v`` of an array nothing else refers to saves ``y[i]``); ``if`` tests and loop trip counts
  are pushed only when inside a loop;
* the adjoint sweep visits the statements in reverse: a branch tests the same condition variable, a loop runs
  reversed over the same range (a ``while`` loop or one that breaks, over its counted trip count), and a
  loop's adjoint body is written once the set of adjoints it carries is stable; a zero is written only where
  control flow joins a zero adjoint with a non-zero one;
* with ``checkpoint``, a top-level range loop runs again from snapshots in the adjoint sweep (``checkpoint``);
* the function: a prologue (the stack, names that may be unassigned), the forward sweep, the seed ``dout``,
  the adjoint sweep, the gradients of the ``wrt`` parameters (zero where nothing flows); an adjoint that reads
  a value only for its shape reads an argument of the same static shape instead.
"""

import ast

import numpy as np

from ...rules.helpers import callee
from .. import astwalk
from ..ir import (
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
    ListPop,
    ListReduce,
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
    atom_node as _atom_node,
    call as _call,
    name as _name,
)
from .lists import list_slot_assign
from .liveness import Liveness, resolve_markers
from .markers import Recompute, Restore, RestoreGroup, Save, SaveGroup, SaveItems, SourceLine, marker_stmt


class Sweeps:
    """The forward sweep, the adjoint sweep's control flow, checkpointing, assembly."""

    def adj(self, var):
        return self.namer.adjoint(var)

    def push_stmt(self, value, counter=False, inactive=False):
        """``push(value)``: save a value (or a loop's trip count, ``counter``; a value with no derivative,
        ``inactive``) for the adjoint sweep."""
        push, _ = self.stack_names()
        if self.plain_stack:
            lst = self.counter_stack_name() if counter else self.inactive_stack_name() if inactive else self.stack
            return ast.Expr(value=_call(ast.Attribute(value=_name(lst), attr="append", ctx=ast.Load()), value))
        return ast.Expr(value=_call(push, value))

    def pop_expr(self, counter=False, inactive=False):
        """``pop()``: the value saved last (a trip count with ``counter``, a value with no derivative with
        ``inactive``)."""
        _, pop = self.stack_names()
        if self.plain_stack:
            lst = self.counter_stack_name() if counter else self.inactive_stack_name() if inactive else self.stack
            return _call(ast.Attribute(value=_name(lst), attr="pop", ctx=ast.Load()))
        return _call(pop)

    def inactive_stack_name(self):
        """With ``plain_stack``, values that vary with no ``wrt`` input go on a list of their own: read again, a
        value popped from the stack of differentiated values is active, and its adjoint dead work (the adjoint
        of an integer exponent, ``np.log`` of the base)."""
        if self.inactive is None:
            self.inactive = self.namer.fresh("inactive")
        return self.inactive

    def counter_stack_name(self):
        """With ``plain_stack``, trip counts go on a list of their own (it holds only integers)."""
        if self.counters is None:
            self.counters = self.namer.fresh("counts")
        return self.counters

    def stack_names(self):
        if self.push is None:
            self.stack = self.namer.fresh("stack")
            self.push = self.namer.fresh("push")
            self.pop = self.namer.fresh("pop")
        self.uses_stack = True
        return self.push, self.pop

    def scalar(self, a):
        if isinstance(a, Var):
            return a.name in self.act.scalar
        node = a.node
        while isinstance(node, ast.UnaryOp):
            node = node.operand
        return (
            isinstance(node, ast.Constant)
            and isinstance(node.value, (int, float))
            and not isinstance(node.value, bool)
            or self.act.shape_of_const(a.node) == ()
        )

    def zero(self, var, maybe_none=False):
        """Zeros for ``var``'s adjoint, in its form (array, number, list, dict); ``maybe_none``: a list may be
        ``None`` here (first made inside a loop, restored to what it was before its first iteration): no items."""
        if var in self.act.tree_dicts:  # a dict holding dicts
            from ..runtime import zeros_like_tree

            return _call(self.ns.bind(zeros_like_tree, "zeros_like_tree"), _name(var))
        if var in self.act.dicts:
            k, e = self.namer.fresh("key"), self.namer.fresh("e")
            items = _call(ast.Attribute(value=_name(var), attr="items", ctx=ast.Load()))
            zeros = _call(ast.Attribute(value=_name(self.np), attr="zeros_like", ctx=ast.Load()), _name(e))
            return ast.DictComp(
                key=_name(k),
                value=zeros,
                generators=[
                    ast.comprehension(
                        target=ast.Tuple(elts=[_name(k, True), _name(e, True)], ctx=ast.Store()),
                        iter=items,
                        ifs=[],
                        is_async=0,
                    )
                ],
            )
        items = _name(var)
        if maybe_none and var in self.act.lists and not self.saved_as_items(var):  # (those start as [])
            items = ast.BoolOp(op=ast.Or(), values=[items, ast.Tuple(elts=[], ctx=ast.Load())])
        if var in self.act.lists and self.scalar_list(var):  # [0.0 for e in xs]: read again, a loop of appends
            e = self.namer.fresh("e")
            return ast.ListComp(
                elt=ast.Constant(value=0.0),
                generators=[ast.comprehension(target=_name(e, True), iter=items, ifs=[], is_async=0)],
            )
        if var in self.act.lists:
            e = self.namer.fresh("e")
            return ast.ListComp(
                elt=_call(ast.Attribute(value=_name(self.np), attr="zeros_like", ctx=ast.Load()), _name(e)),
                generators=[ast.comprehension(target=_name(e, True), iter=items, ifs=[], is_async=0)],
            )
        if var in self.act.scalar:
            return ast.Constant(value=0.0)
        return _call(ast.Attribute(value=_name(self.np), attr="zeros_like", ctx=ast.Load()), _name(var))

    def scalar_list(self, var):
        """True when every item list ``var`` is ever given is known to be a Python number."""
        items = []
        for st in walk_stmts(self.fn.body):
            if isinstance(st, Assign) and st.target == var:
                if not isinstance(st.value, ListNew):
                    return False
                items += st.value.items
            elif isinstance(st, (Append, ListSet)) and st.lst == var:
                items.append(st.item)
        return bool(items) and all(isinstance(a, (Var, Const)) and self.scalar(a) for a in items)

    def line_marker(self, lineno, adjoint, note=""):
        """The comment naming the user's line ``lineno`` (none when the last one named it, unless a ``note``
        is to go under it)."""
        if not lineno or (lineno == self.last_line[adjoint] and not note):
            return []
        self.last_line[adjoint] = lineno
        lines = self.fn.lines
        text = lines[lineno - 1].strip() if 0 < lineno <= len(lines) else ""
        return [marker_stmt(SourceLine(lineno, text, adjoint, note))]

    def loop_decision(self, loop, depth):
        """With ``checkpoint``, for a loop outside other loops: whether it is checkpointed, and the note its
        comment carries (``checkpoint_note``); otherwise ``(False, "")``."""
        if not (self.checkpoint and depth == 0):
            return False, ""
        self.seen_before[id(loop)] = set(self.seen)
        why = self.not_checkpointable(loop)
        return why is None, self.checkpoint_note(loop, why)

    def forward(self, stmts, depth, defined):
        out = []
        for s in stmts:
            if isinstance(s, Assign) and id(s) in self.inplace_writes:
                # y = index_update(y, i, v) of an array nothing else refers to: write in place, saving y[i]
                out += self.line_marker(s.lineno, False)
                y, idx, item = s.value.args
                out.append(marker_stmt(SaveItems(s.target, clone(idx.node), key=id(s))))
                slot = ast.Subscript(value=_name(s.target), slice=clone(idx.node), ctx=ast.Store())
                op = ast.Add() if s.value.fn.__name__ == "index_add" else None
                out.append(
                    ast.AugAssign(target=slot, op=op, value=_atom_node(item))
                    if op
                    else ast.Assign(targets=[slot], value=_atom_node(item), lineno=s.lineno)
                )
                defined.add(s.target)
                self.seen.add(s.target)
            elif isinstance(s, Assign):
                out += self.line_marker(s.lineno, False)
                if (
                    not s.bookkeeping
                    and id(s) in self.overwritten
                    and id(s) not in self.grouped
                    and id(s) not in self.recomputed
                ):
                    if s.target not in defined:
                        self.maybe_undefined.add(s.target)
                    out.append(marker_stmt(Save(s.target, id(s))))
                out.append(ast.copy_location(_assign(s.target, self.print_value(s.value)), ast.Pass(lineno=s.lineno)))
                defined.add(s.target)
                self.seen.add(s.target)
            elif isinstance(s, If):
                out += self.line_marker(s.lineno, False)
                self.before_if[id(s)] = (
                    set(defined),
                    set().union(*self.loop_stack) if self.loop_stack else set(),
                    set(self.seen),
                )
                d1, d2 = set(defined), set(defined)
                body = self.forward(s.body, depth, d1) or [ast.Pass()]
                orelse = self.forward(s.orelse, depth, d2)
                out.append(ast.If(test=_name(s.cond), body=body, orelse=orelse))
                defined |= d1 & d2
            elif isinstance(s, For):
                checkpointed, note = self.loop_decision(s, depth)
                out += self.line_marker(s.lineno, False, note)
                if s.target in self.loop_target_shadowed.get(id(s), ()):
                    out.append(marker_stmt(Save(s.target, id(s))))
                    if s.target not in defined:
                        self.maybe_undefined.add(s.target)
                body = []
                if s.has_break:
                    counter = self.counter_for(s)
                    out.append(_assign(counter, ast.Constant(value=0)))
                    body.append(ast.AugAssign(target=_name(counter, True), op=ast.Add(), value=ast.Constant(value=1)))
                inner = set(defined) | {s.target}
                self.seen.add(s.target)
                body += self.save_group(s, inner)
                self.loop_stack.append({a.target for a in walk_stmts(s.body) if isinstance(a, Assign)})
                body += self.forward(s.body, depth + 1, inner)
                self.loop_stack.pop()
                if checkpointed and self.binomial():
                    out += self.binomial_forward(s, body, defined)
                    continue
                if checkpointed:
                    out += self.checkpointed_forward(s, body, defined)
                    continue
                out.append(
                    ast.For(
                        target=_name(s.target, True),
                        iter=clone(s.iter),
                        body=body or [ast.Pass()],
                        orelse=[],
                        lineno=s.lineno,
                    )
                )
                if s.has_break and depth:
                    out.append(self.push_stmt(_name(self.counter_for(s)), counter=True))
                if self.range_hoisted(s):
                    pass
            elif isinstance(s, While):
                checkpointed, note = self.loop_decision(s, depth)
                out += self.line_marker(s.lineno, False, note)
                counter = self.counter_for(s)
                out.append(_assign(counter, ast.Constant(value=0)))
                step = ast.AugAssign(target=_name(counter, True), op=ast.Add(), value=ast.Constant(value=1))
                body = self.save_group(s, set(defined))
                self.loop_stack.append({a.target for a in walk_stmts(s.body) if isinstance(a, Assign)})
                body += self.forward(s.body, depth + 1, set(defined))
                self.loop_stack.pop()
                if checkpointed:
                    out += self.checkpointed_while_forward(s, counter, step, body, defined)
                    continue
                out.append(ast.While(test=clone(s.test), body=[step] + body, orelse=[]))
                if depth:
                    out.append(self.push_stmt(_name(counter), counter=True))
            elif isinstance(s, Break):
                out.append(ast.Break())
            elif isinstance(s, Continue):
                out.append(ast.Continue())
            elif isinstance(s, ExprStmt):
                out += self.line_marker(s.lineno, False)
                out.append(clone(s.node))
            elif isinstance(s, Append):
                out += self.line_marker(s.lineno, False)
                out.append(
                    ast.Expr(
                        value=_call(
                            ast.Attribute(value=_name(s.lst), attr="append", ctx=ast.Load()), _atom_node(s.item)
                        )
                    )
                )
            elif isinstance(s, ListSet):
                # lst[i] = v rebinds a slot: the old item is saved (no copy: items are never changed in place)
                out += self.line_marker(s.lineno, False)
                out.append(marker_stmt(SaveItems(s.lst, clone(s.idx.node), copy=False, key=id(s))))
                out.append(list_slot_assign(s.lst, s.idx, _atom_node(s.item)))
            elif isinstance(s, Return):
                pass
            else:
                raise AssertionError(f"unexpected statement {s!r}")
        return out

    def save_group(self, loop, defined):
        assigns = self.groups.get(id(loop))
        if not assigns:
            return []
        names = tuple(a.target for a in assigns)
        self.maybe_undefined.update(n for n in names if n not in defined)
        return [marker_stmt(SaveGroup(names, id(loop)))]

    def range_hoisted(self, s):
        return False

    def counter_for(self, loop):
        name = self._counters.get(id(loop))
        if name is None:
            name = self._counters[id(loop)] = self.namer.fresh("n_iter")
        return name

    def print_value(self, value):
        if isinstance(value, Prim):
            nodes = [_atom_node(a) for a in value.args]
            if value.style == "binop":
                return ast.BinOp(left=nodes[0], op=clone(value.op), right=nodes[1])
            if value.style == "unary":
                return ast.UnaryOp(op=clone(value.op), operand=nodes[0])
            if value.style == "getitem":
                return ast.Subscript(value=nodes[0], slice=nodes[1], ctx=ast.Load())
            return ast.Call(
                func=clone(value.func),
                args=[self.value_node(a) for a in value.args],
                keywords=[ast.keyword(arg=k, value=self.value_node(v)) for k, v in value.kwargs.items()],
            )
        if isinstance(value, (Opaque, UserCall)):
            return ast.Call(
                func=clone(value.func),
                args=[self.value_node(a) for a in value.args],
                keywords=[ast.keyword(arg=k, value=self.value_node(v)) for k, v in value.kwargs.items()],
            )
        if isinstance(value, NonDiff):
            return clone(value.node)
        if isinstance(value, Copy):
            return _atom_node(value.src)
        if isinstance(value, Cast):
            return clone(value.node)
        if isinstance(value, ListNew):
            return ast.List(elts=[_atom_node(a) for a in value.items], ctx=ast.Load())
        if isinstance(value, ListPop):
            return _call(ast.Attribute(value=_name(value.lst.name), attr="pop", ctx=ast.Load()))
        if isinstance(value, ListGet):
            return ast.Subscript(value=_name(value.lst.name), slice=clone(value.idx.node), ctx=ast.Load())
        if isinstance(value, ListReduce):
            return clone(value.node)
        raise AssertionError(f"unexpected value {value!r}")

    def backward(self, stmts, state, depth):
        out = []
        for s in reversed(stmts):
            fresh = {}
            if isinstance(s, Assign):
                code, fresh = self.adjoint_assign(s, state), self.new_views
                self.new_views = {}
            else:
                self.views.clear()  # a view is followed through straight-line code only
                if isinstance(s, If):
                    code = self.adjoint_if(s, state, depth)
                elif isinstance(s, For):
                    code = self.adjoint_for(s, state, depth)
                elif isinstance(s, While):
                    code = self.adjoint_while(s, state, depth)
                elif isinstance(s, Append):
                    code = self.adjoint_append(s, state)
                elif isinstance(s, ListSet):
                    code = self.adjoint_list_set(s, state)
                else:
                    code = []
                self.views.clear()
            if self.views:
                stored = _stored(code)
                self.views = {
                    d: gv
                    for d, gv in self.views.items()
                    if d not in stored and not any(n.id in stored for n in _names_read(gv[0]))
                }
            self.views.update(fresh)
            out += code
        return out

    def materialize(self, vars_, out):
        for var in sorted(vars_):
            out.append(_assign(self.adj(var), self.zero(var, maybe_none=var in self.maybe_undefined)))

    def adjoint_if(self, s, state, depth):
        s1, s2 = set(state), set(state)
        self.branch_depth += 1
        body = self.backward(s.body, s1, depth)
        orelse = self.backward(s.orelse, s2, depth)
        self.branch_depth -= 1
        merged = s1 | s2
        # A zero is written where the branch joins (the value before the `if`); a variable that cannot
        # exist before the `if` (assigned nowhere before it, nor carried around a loop) has no adjoint to
        # join there. One that exists on some paths only gets its zero too (set to None first: on the
        # other paths nothing reads that zero).
        defined, looped, seen = self.before_if.get(id(s), (None, set(), set()))

        def joinable(vs):
            if defined is None:
                return vs
            self.maybe_undefined.update(v for v in vs if v not in defined and (v in looped or v in seen))
            return {v for v in vs if v in defined or v in looped or v in seen or v in self.act.scalar}

        self.materialize(joinable(merged - s1), body)
        self.materialize(joinable(merged - s2), orelse)
        state.clear()
        state.update(merged)
        if not body and not orelse:
            return []
        # Kept even when only markers: a restore in a branch may be needed (``resolve_markers`` drops what is empty).
        return [ast.If(test=_name(s.cond), body=body or [ast.Pass()], orelse=orelse)]

    def loop_body(self, loop, state, depth):
        body = loop.body
        owned_here = self.inplace_candidates(loop) - self.inplace_owned
        own = []
        for v in sorted(owned_here):
            if v not in state:
                own.append(_assign(self.adj(v), self.zero(v)))
                state.add(v)
            else:  # it may share memory with another adjoint: a private copy before adding in place
                own.append(
                    _assign(
                        self.adj(v),
                        _call(ast.Attribute(value=_name(self.np), attr="copy", ctx=ast.Load()), _name(self.adj(v))),
                    )
                )
        self.inplace_owned |= owned_here
        try:
            pre, code = self._loop_body(loop, state, depth)
        finally:
            self.inplace_owned -= owned_here
        return own + pre, code

    def _loop_body(self, loop, state, depth):
        body = loop.body
        entry = set(state)
        for _ in range(50):
            st = set(entry)
            saved = dict(self.last_line)
            code = self.backward(body, st, depth + 1)
            self.last_line = saved
            if st <= entry:
                break
            entry |= st
        self.last_line[True] = None
        st = set(entry)
        code = self.backward(body, st, depth + 1)
        if self.recompute.get(id(loop)):
            # cheap values of this iteration are computed again rather than saved
            code = [
                marker_stmt(Recompute(a.target, self.print_value(a.value), id(a))) for a in self.recompute[id(loop)]
            ] + code
        if self.groups.get(id(loop)):
            code.append(marker_stmt(RestoreGroup(tuple(a.target for a in self.groups[id(loop)]), id(loop))))
        pre = []
        self.materialize(entry - state, pre)
        self.materialize(entry - st, code)
        state.clear()
        state.update(entry)
        return pre, code

    def adjoint_for(self, s, state, depth):
        pre, code = self.loop_body(s, state, depth)
        out = []
        if id(s) in self.checkpointed:
            binomial = self.checkpointed[id(s)].get("binomial")
            out = (self.binomial_adjoint if binomial else self.checkpointed_adjoint)(s, pre, code)
            if s.target in self.loop_target_shadowed.get(id(s), ()):
                out.append(marker_stmt(Restore(s.target, id(s))))
            return out
        if s.has_break and depth:
            out.append(_assign(self.counter_for(s), self.pop_expr(counter=True)))
        it = clone(s.iter)
        if s.has_break:
            it = ast.Subscript(value=it, slice=ast.Slice(upper=_name(self.counter_for(s))), ctx=ast.Load())
        rev = _call(self.ns.bind(reversed, "reversed"), it)
        out += pre
        if code:  # kept even when only markers: a restore in the loop may be needed
            out.append(ast.For(target=_name(s.target, True), iter=rev, body=code, orelse=[]))
        if s.target in self.loop_target_shadowed.get(id(s), ()):
            out.append(marker_stmt(Restore(s.target, id(s))))
        return out

    def adjoint_while(self, s, state, depth):
        pre, code = self.loop_body(s, state, depth)
        if id(s) in self.checkpointed:
            return self.checkpointed_while_adjoint(s, pre, code)
        out = []
        counter = self.counter_for(s)
        if depth:
            out.append(_assign(counter, self.pop_expr(counter=True)))
        out += pre
        if code:  # kept even when only markers: a restore in the loop may be needed
            out.append(
                ast.For(
                    target=_name("_", True),
                    iter=_call(self.ns.bind(range, "range"), _name(counter)),
                    body=code,
                    orelse=[],
                )
            )
        return out

    def build(self):
        fn = self.fn
        self._counters = {}
        self.last_line = {False: None, True: None}
        ret = fn.body[-1]
        result = ret.value
        scalar_out = (
            isinstance(result, Var)
            and (result.name in self.act.scalar or self.act.shapes.get(result.name) == ())
            and not self.ns.complex_result
        )  # (default_dout refuses a complex result when the code runs)
        forward = self.forward(fn.body, 0, set(fn.params))
        state = set()
        seed = []
        value_name = None
        if self.preserve_result:
            value_name = self.namer.fresh("value")
            written = {a.target for a in walk_stmts(fn.body) if id(a) in self.inplace_writes}
            if isinstance(result, Var) and result.name in written:
                # the adjoint sweep restores it in place: keep a copy of the value to return
                forward.append(
                    _assign(
                        value_name,
                        _call(ast.Attribute(value=_name(self.np), attr="copy", ctx=ast.Load()), _atom_node(result)),
                    )
                )
            else:
                forward.append(_assign(value_name, _atom_node(result)))
        dout = self.dout_name
        if not scalar_out:
            from ..runtime import default_dout

            check = _call(self.ns.bind(default_dout, "default_dout"), _atom_node(result))
            seed.append(
                ast.If(
                    test=ast.Compare(left=_name(dout), ops=[ast.Is()], comparators=[ast.Constant(value=None)]),
                    body=[_assign(dout, check)],
                    orelse=[],
                )
            )
        if isinstance(result, Var) and result.name in self.act.active:
            seed.append(_assign(self.adj(result.name), _name(dout)))
            state.add(result.name)
        self.last_line[True] = None
        adjoint = self.backward(fn.body[:-1], state, 0)
        grads = []
        tail = []
        for p in self.wrt:
            if p in state and p in self.act.active:
                grads.append(_name(self.adj(p)))
            else:
                tail.append(_assign(self.adj(p), self.zero(p)))
                grads.append(_name(self.adj(p)))
        self.shape_substitute(adjoint + tail)
        self.drop_unread_views(adjoint, tail, grads)
        # Decide which saves/restores are real: only values the adjoint sweep reads after their restore.
        live = Liveness()
        read_first = live.block(adjoint + tail, {g.id for g in grads})  # read before the adjoint sets them
        forward = resolve_markers(forward, live.needed, self)
        adjoint = resolve_markers(adjoint, live.needed, self, prune=True)
        prologue = []
        for v in sorted(self.maybe_undefined & (read_first | live.saved)):
            # a list saved item by item starts empty (saved before its first value, it has no items)
            empty = ast.List(elts=[], ctx=ast.Load()) if self.saved_as_items(v) else ast.Constant(value=None)
            prologue.append(_assign(v, empty))
        if self.uses_stack and self.plain_stack:
            prologue.append(_assign(self.stack, ast.List(elts=[], ctx=ast.Load())))
            for extra in (self.counters, self.inactive):
                if extra is not None:
                    prologue.append(_assign(extra, ast.List(elts=[], ctx=ast.Load())))
        elif self.uses_stack:
            prologue.append(_assign(self.stack, ast.List(elts=[], ctx=ast.Load())))
            prologue.append(_assign(self.push, ast.Attribute(value=_name(self.stack), attr="append", ctx=ast.Load())))
            prologue.append(_assign(self.pop, ast.Attribute(value=_name(self.stack), attr="pop", ctx=ast.Load())))
        out = grads[0] if len(grads) == 1 and not self.wrt_tuple else ast.Tuple(elts=grads, ctx=ast.Load())
        if self.preserve_result:
            out = ast.Tuple(elts=[_name(value_name), out], ctx=ast.Load())
        body = prologue + forward + seed + adjoint + tail + [ast.Return(value=out)]
        args = ast.arguments(
            posonlyargs=[],
            args=[ast.arg(arg=p) for p in fn.params],
            vararg=None,
            kwonlyargs=[ast.arg(arg=dout)],
            kw_defaults=[ast.Constant(value=1.0 if scalar_out else None)],
            kwarg=None,
            defaults=[clone(d) for d in fn.defaults],
        )
        fdef = ast.FunctionDef(
            name=self.name, args=args, body=body, decorator_list=[], returns=None, type_comment=None, lineno=1
        )
        return fdef

    def drop_unread_views(self, adjoint, tail, grads):
        """Remove the broadcast views (``sum_view``) every use of which was folded; print ``x.shape`` in the rest."""
        if not self.view_stmts:
            return
        read = {
            n.id
            for st in adjoint + tail
            for n in astwalk.walk(st)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
        } | {g.id for g in grads}
        dead = {k for k, st in self.view_stmts.items() if st.targets[0].id not in read}

        def sweep(stmts):
            out = []
            for st in stmts:
                if id(st) in dead:
                    continue
                if id(st) in self.view_stmts:
                    shape = st.value.args[1]
                    x = shape.args[0]
                    if len(self.shape_of(Var(x.id)) or ()) >= 1:  # an ndarray: x.shape is shape_of(x)
                        st.value.args[1] = ast.Attribute(value=_name(x.id), attr="shape", ctx=ast.Load())
                for field in ("body", "orelse"):
                    if isinstance(getattr(st, field, None), list):
                        new = sweep(getattr(st, field))
                        setattr(st, field, new if new or field == "orelse" else [ast.Pass()])
                out.append(st)
            return out

        adjoint[:] = sweep(adjoint)

    def shape_substitute(self, stmts):
        """Where the adjoint reads a value only for its shape, read an argument of the same static shape instead.

        The rule table marks such helpers (``shape_of``, ``unreduce``, ...); with
        the argument in its place the value may need no saving, or no computing.
        """
        try:
            from ...rules.helpers import SHAPE_ARGS
        except ImportError:
            return
        assigned = {a.target for a in walk_stmts(self.fn.body) if isinstance(a, Assign)}
        by_shape = {}
        for p in self.fn.params:
            shape = self.act.shapes.get(p)
            if shape and p not in assigned and p not in self.act.scalar:
                by_shape.setdefault(shape, p)
        if not by_shape:
            return
        skip = {np.zeros_like, np.ones_like, np.empty_like, np.full_like}
        for st in stmts:
            for call in astwalk.walk(st):
                if not isinstance(call, ast.Call):
                    continue
                fn = callee(call.func, self.ns.values)
                try:
                    positions = SHAPE_ARGS.get(fn) if fn not in skip else None
                except TypeError:
                    positions = None
                if not positions:
                    continue
                for k in positions:
                    if k < len(call.args) and isinstance(call.args[k], ast.Name):
                        v = call.args[k].id
                        shape = self.act.shapes.get(v)
                        if shape and v not in self.act.scalar and shape in by_shape:
                            call.args[k] = _name(by_shape[shape])


def _names_read(node):
    """The names an expression loads."""
    return [n for n in astwalk.walk(node) if isinstance(n, ast.Name)]


def _stored(stmts):
    """Names the statements rebind or change in place."""
    out = set()
    for st in stmts:
        for n in astwalk.walk(st):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                out.add(n.id)
            elif isinstance(n, (ast.Subscript, ast.Attribute)) and isinstance(n.ctx, ast.Store):
                base = n.value
                while isinstance(base, (ast.Subscript, ast.Attribute)):
                    base = base.value
                if isinstance(base, ast.Name):
                    out.add(base.id)
    return out
