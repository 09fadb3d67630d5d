"""Reverse, lists: the adjoints (and tangents) of the statements and values that work on lists.

Guarantees (``ListAdjoints``, a mixin of ``Reverse``):

* a list's adjoint is the list of its items' adjoints, zeros made when it is first needed;
* the adjoint of ``lst.append(v)`` pops the item back off, ``v`` taking the popped adjoint; that of
  ``v = lst.pop()`` puts the item and its adjoint back;
* the adjoint of ``lst[i] = v`` puts the old item back, gives ``v`` the slot's adjoint and zeroes the slot
  (forward mode: the tangent is written into the slot);
* ``ListNew`` gives each item its slot, ``ListGet`` adds into one slot, and a stack, concatenation or sum of
  a list gives each item its part by the rule's VJP (``np.hstack``/``np.vstack`` by the items' static rank,
  or when the code runs).
"""

import ast

import numpy as np

from ...rules import unbroadcast
from .. import inline
from ..ir import (
    Append,
    Assign,
    Const,
    Copy,
    ListGet,
    ListNew,
    ListReduce,
    ListSet,
    NonDiff,
    Var,
    clone,
    walk_stmts,
)
from ..nodes import (
    assign as _assign,
    atom_node as _atom_node,
    call as _call,
    name as _name,
)
from .markers import RestoreItems, marker_stmt


class ListAdjoints:
    """The adjoints of list statements and list values."""

    def adjoint_list_set(self, s, state):
        """``lst[i] = v``: ``dv += dlst[i]``; the old item is put back and its adjoint starts at zero."""
        out = self.line_marker(s.lineno, True)
        restore = [marker_stmt(RestoreItems(s.lst, clone(s.idx.node), key=id(s)))]
        if s.lst not in self.act.active or s.lst not in state:
            return out + restore
        slot = ast.Subscript(value=_name(self.adj(s.lst)), slice=clone(s.idx.node), ctx=ast.Load())
        if isinstance(s.item, Var) and s.item.name in self.act.active:
            self.accumulate(s.item.name, slot, state, out)
        old = ast.Subscript(value=_name(s.lst), slice=clone(s.idx.node), ctx=ast.Load())
        zero = _call(ast.Attribute(value=_name(self.np), attr="zeros_like", ctx=ast.Load()), old)
        return out + restore + [list_slot_assign(self.adj(s.lst), s.idx, zero)]

    def list_set_tangent(self, s, state):
        """Forward mode of ``lst[i] = v``: ``dlst[i] = dv`` (used by ``forward.Forward``, kept beside the adjoint)."""
        out = [list_slot_assign(s.lst, s.idx, _atom_node(s.item))]
        item_active = isinstance(s.item, Var) and s.item.name in state and s.item.name in self.act.active
        if s.lst not in self.act.active:
            return out
        if s.lst not in state:
            if not item_active:
                return out
            out.append(_assign(self.adj(s.lst), self.zero(s.lst)))  # the list had a zero tangent so far
            state.add(s.lst)
        if item_active:
            tangent = _name(self.adj(s.item.name))
        elif isinstance(s.item, Var):
            tangent = self.zero(s.item.name)
        else:
            tangent = _call(ast.Attribute(value=_name(self.np), attr="zeros_like", ctx=ast.Load()), _atom_node(s.item))
        out.append(list_slot_assign(self.adj(s.lst), s.idx, tangent))
        return out

    def adjoint_list_pop(self, s, state):
        """``v = lst.pop()``: the item goes back on the list (the adjoints before it see the list as it was), and
        ``v``'s adjoint (zero when it has none) on the list's adjoint, where ``lst.append``'s adjoint takes it."""
        v, lst = s.target, s.value.lst.name
        out = self.line_marker(s.lineno, True)
        if lst in self.act.active and lst not in state:  # zeros for the list as the pop left it
            out.append(_assign(self.adj(lst), self.zero(lst)))
            state.add(lst)
        out.append(ast.Expr(value=_call(ast.Attribute(value=_name(lst), attr="append", ctx=ast.Load()), _name(v))))
        if lst in self.act.active:
            dl = self.adj(lst)
            dv = _name(self.adj(v)) if v in state and v in self.act.active else self.zero(v)
            out.append(ast.Expr(value=_call(ast.Attribute(value=_name(dl), attr="append", ctx=ast.Load()), dv)))
        state.discard(v)
        return out

    def adjoint_append(self, s, state):
        out = self.line_marker(s.lineno, True)
        pop = _call(ast.Attribute(value=_name(s.lst), attr="pop", ctx=ast.Load()))
        out.append(ast.Expr(value=pop))
        if s.lst in state:
            dpop = _call(ast.Attribute(value=_name(self.adj(s.lst)), attr="pop", ctx=ast.Load()))
            if isinstance(s.item, Var) and s.item.name in self.act.active:
                self.accumulate(s.item.name, dpop, state, out)
            else:
                out.append(ast.Expr(value=dpop))
        return out

    def accumulate_list(self, lst, expr, state, out, move):
        """The adjoint of ``b = lst`` for a list: ``dlst = db`` where ``lst`` is never read again (``move``: its
        adjoint is ``b``'s whole) or has no adjoint yet; otherwise (a call's several results read by two names)
        item by item, ``dlst = [(a + b) for a, b in zip(dlst, db, strict=True)]``, never ``+`` of two lists
        (which joins them). In a branch of the form differentiated again, a move's adjoint is a new list of the
        same items, ``dlst = [e for e in db]``: ``db`` is read again when that form is differentiated (its pops
        put back), which a second name for the same list would not allow."""
        if lst not in self.act.active:
            return
        dl = self.adj(lst)
        if move and lst not in state and self.plain_stack and self.branch_depth:
            e = self.namer.fresh("e")
            expr = ast.ListComp(
                elt=_name(e), generators=[ast.comprehension(target=_name(e, True), iter=expr, ifs=[], is_async=0)]
            )
        if lst in state and not move:
            a, b = self.namer.fresh("a"), self.namer.fresh("b")
            expr = ast.ListComp(
                elt=ast.BinOp(left=_name(a), op=ast.Add(), right=_name(b)),
                generators=[
                    ast.comprehension(
                        target=ast.Tuple(elts=[_name(a, True), _name(b, True)], ctx=ast.Store()),
                        iter=ast.Call(
                            func=_name(self.ns.bind(zip, "zip")),
                            args=[_name(dl), expr],
                            keywords=[ast.keyword(arg="strict", value=ast.Constant(value=True))],
                        ),
                        ifs=[],
                        is_async=0,
                    )
                ],
            )
        out.append(_assign(dl, expr))
        state.add(lst)

    def resolve_hvstack(self, value):
        """``np.hstack``/``np.vstack`` as the stack or concatenate they are for the elements' (static) rank, or
        ``None`` when the ranks are not known (or differ)."""
        from ...rules.shape import concatenate_args, stack_args

        lst = value.lst.name
        items = []
        for st in walk_stmts(self.fn.body):
            if isinstance(st, Assign) and st.target == lst and isinstance(st.value, ListNew):
                items += st.value.items
            elif isinstance(st, (Append, ListSet)) and st.lst == lst:
                items.append(st.item)
        ranks = {self.rank_of(a) for a in items}
        if len(ranks) != 1 or None in ranks or 0 in ranks:
            return None  # decided when the code runs (see runtime.stacked_piece)
        rank = ranks.pop()
        if value.kind == "hstack":
            kind, prim, axis = "concatenate", concatenate_args, (0 if rank == 1 else 1)
        else:
            kind, prim, axis = ("stack", stack_args, 0) if rank == 1 else ("concatenate", concatenate_args, 0)
        return ListReduce(kind, prim, value.node, value.lst, {"axis": Const(ast.Constant(value=axis))})

    def rank_of(self, a):
        """The static number of axes of a list item, or ``None``: from the shapes activity found, or for a
        constant naming module-level data (``G[1:3]``, no calls), from its value."""
        shape = self.shape_of(a)
        if shape is not None:
            return len(shape)
        if isinstance(a, Const) and all(
            isinstance(
                n,
                (
                    ast.Name,
                    ast.Attribute,
                    ast.Subscript,
                    ast.Constant,
                    ast.Slice,
                    ast.Tuple,
                    ast.UnaryOp,
                    ast.USub,
                    ast.Load,
                ),
            )
            for n in ast.walk(a.node)
        ):
            names = {n.id for n in ast.walk(a.node) if isinstance(n, ast.Name)}
            if names <= set(self.ns.values):
                try:
                    code = compile(ast.fix_missing_locations(ast.Expression(body=clone(a.node))), "<rank>", "eval")
                    return np.ndim(eval(code, {n: self.ns.values[n] for n in names}))
                except Exception:
                    return None
        return None

    def saved_as_items(self, var):
        """True when the form differentiated again saves the list ``var`` item by item (``save_stmts``): a list
        object pushed on the stack and popped back is one the compiler cannot follow when it reads the code
        again, a list rebuilt by appends of popped items is). Not a name also given a value that is no list
        (``acc = None`` first): that is saved whole, as in the first-order code."""
        if not (self.plain_stack and var in self.act.lists):
            return False
        return not any(
            isinstance(st, Assign) and st.target == var and isinstance(st.value, (NonDiff, Const))
            for st in walk_stmts(self.fn.body)
        )

    def save_stmts(self, var):
        """Save ``var`` before it is overwritten: ``push(var)``; a list in the form differentiated again, its
        items from the last (so the restore pops them in order) and then its length, on the stack of counts::

            for k in reversed(range(len(parts))):
                stack.append(parts[k])
            counts.append(len(parts))
        """
        if not self.saved_as_items(var):
            return [self.push_stmt(_name(var), inactive=self.plain_stack and var not in self.act.varied)]
        self.stack_names()
        k = self.namer.fresh("k")
        length = _call(self.ns.bind(len, "len"), _name(var))
        every = _call(self.ns.bind(reversed, "reversed"), _call(self.ns.bind(range, "range"), length))
        item = ast.Subscript(value=_name(var), slice=_name(k), ctx=ast.Load())
        loop = ast.For(target=_name(k, True), iter=every, body=[self.push_stmt(item)], orelse=[])
        return [loop, self.push_stmt(clone(length), counter=True)]

    def restore_stmts(self, var):
        """Restore what ``save_stmts`` saved: ``var = pop()``; a list saved item by item, a new list of the popped
        items::

            n_parts = counts.pop()
            parts = []
            for _ in range(n_parts):
                parts.append(stack.pop())

        (the length is named: read again, the loop's trip count is one value, not a second pop).
        """
        if not self.saved_as_items(var):
            return [_assign(var, self.pop_expr(inactive=self.plain_stack and var not in self.act.varied))]
        n = self.namer.fresh(f"n_{var}")
        append = ast.Attribute(value=_name(var), attr="append", ctx=ast.Load())
        loop = ast.For(
            target=_name("_", True),
            iter=_call(self.ns.bind(range, "range"), _name(n)),
            body=[ast.Expr(value=_call(append, self.pop_expr()))],
            orelse=[],
        )
        return [_assign(n, self.pop_expr(counter=True)), _assign(var, ast.List(elts=[], ctx=ast.Load())), loop]

    def slice_positions(self, lst, index):
        """The positions ``lst[index]`` reads, for a slice of whole-number bounds of a list of a length known here,
        in the form differentiated again (there the adjoint adds into each slot, since a slice of a list written
        is what the code read again cannot follow); else ``None``."""
        if not self.plain_stack or not isinstance(index, ast.Slice):
            return None
        bounds = [index.lower, index.upper, index.step]
        if not all(b is None or (isinstance(b, ast.Constant) and type(b.value) is int) for b in bounds):
            return None
        length = None if lst in self.fn.params else self.literal_length(lst)
        if length is None:
            return None
        return list(range(length))[slice(*(None if b is None else b.value for b in bounds))]

    def list_length(self, lst):
        """``len(lst)``, or in the form differentiated again the number itself when every value the list variable
        is given is a list literal of that length and nothing appends to it or pops from it: the adjoint then does
        not read the list, so the gradient saves no list on its stack (a list popped from the stack is one the
        compiler cannot follow when it reads the code again)."""
        length = self.plain_stack and lst not in self.fn.params and self.literal_length(lst)
        if length is None or length is False:
            return _call(self.ns.bind(len, "len"), _name(lst))
        return ast.Constant(value=length)

    def literal_length(self, lst):
        """The one length of the list literals ``lst`` is assigned, or ``None`` (another value, an append, a pop,
        another name for it)."""
        from ..ir import ListPop

        lengths = set()
        for st in walk_stmts(self.fn.body):
            if isinstance(st, Assign) and st.target == lst:
                if not isinstance(st.value, ListNew):
                    return None
                lengths.add(len(st.value.items))
            elif isinstance(st, Append) and st.lst == lst:
                return None
            elif isinstance(st, Assign) and isinstance(st.value, ListPop) and st.value.lst.name == lst:
                return None
            elif isinstance(st, Assign) and isinstance(st.value, Copy) and getattr(st.value.src, "name", None) == lst:
                return None
        return lengths.pop() if len(lengths) == 1 else None

    def list_contribs(self, value, v, d, state, out):
        """Adjoints of the list-valued forms (``ListNew``, ``ListGet``, ``ListReduce``)."""
        if isinstance(value, ListNew):
            for k, a in enumerate(value.items):
                if isinstance(a, Var) and a.name in self.act.active:
                    item = ast.Subscript(value=_name(d), slice=ast.Constant(value=k), ctx=ast.Load())
                    self.accumulate(a.name, item, state, out)
            return
        lst = value.lst.name
        if lst not in self.act.active:
            return
        dl = self.adj(lst)
        if isinstance(value, ListGet):
            if lst not in state:
                out.append(_assign(dl, self.zero(lst)))
                state.add(lst)
            positions = self.slice_positions(lst, value.idx.node)
            if positions is not None:  # dl[1] = dl[1] + d[0]; ...: no slice of a list written (read again)
                for j, k in enumerate(positions):
                    slot = ast.Subscript(value=_name(dl), slice=ast.Constant(value=k), ctx=ast.Load())
                    part = ast.Subscript(value=_name(d), slice=ast.Constant(value=j), ctx=ast.Load())
                    out.append(list_slot_assign(dl, Const(ast.Constant(value=k)), ast.BinOp(slot, ast.Add(), part)))
                return
            slot = lambda ctx: ast.Subscript(value=_name(dl), slice=clone(value.idx.node), ctx=ctx)  # noqa: E731
            out.append(
                ast.Assign(
                    targets=[slot(ast.Store())],
                    value=ast.BinOp(left=slot(ast.Load()), op=ast.Add(), right=_name(d)),
                    lineno=0,
                )
            )
            return
        e = self.namer.fresh("e")
        if value.kind in ("hstack", "vstack"):
            value = self.resolve_hvstack(value) or value
        if value.kind in ("hstack", "vstack", "column_stack", "dstack"):  # ranks known at run time: blocks, reshaped
            from ..runtime import stacked_piece

            k = self.namer.fresh("k")
            elt = _call(
                self.ns.bind(stacked_piece, "stacked_piece"),
                _name(d),
                _name(lst),
                _name(k),
                ast.Constant(value=value.kind),
            )
            rng = _call(self.ns.bind(range, "range"), self.list_length(lst))
            new = ast.ListComp(
                elt=elt, generators=[ast.comprehension(target=_name(k, True), iter=rng, ifs=[], is_async=0)]
            )
        elif value.kind == "sum":
            shape = _call(ast.Attribute(value=_name(self.np), attr="shape", ctx=ast.Load()), _name(e))
            elt = _call(self.ns.bind(unbroadcast, "unbroadcast"), _name(d), shape)
            new = ast.ListComp(
                elt=elt, generators=[ast.comprehension(target=_name(e, True), iter=_name(lst), ifs=[], is_async=0)]
            )
        else:
            k = self.namer.fresh("k")
            rule = value.prim.__dict__.get("_rule") or __import__("srcgrad.rules", fromlist=["get_rule"]).get_rule(
                value.prim
            )
            vjp = rule.vjps[-1]
            t = inline.template(vjp)
            kwargs = {name: clone(a.node) for name, a in value.kwargs.items()}
            got = None
            if t is not None and t.vararg:
                operands = {t.params[0]: _name(d), t.params[1]: _name(v), t.vararg: _name(lst), "argnum": _name(k)}
                operands.update(kwargs)
                got = inline.instantiate(t, operands, self.ns, self.namer, self.literal)
            if got is not None and not got[0]:
                elt = got[1]
            else:
                fname = self.ns.bind(vjp, f"{rule.name}_vjp")
                elt = ast.Call(
                    func=_name(fname),
                    args=[_name(d), _name(v), ast.Starred(value=_name(lst), ctx=ast.Load())],
                    keywords=[ast.keyword(arg=n, value=x) for n, x in kwargs.items()]
                    + [ast.keyword(arg="argnum", value=_name(k))],
                )
            rng = _call(self.ns.bind(range, "range"), self.list_length(lst))
            new = ast.ListComp(
                elt=elt, generators=[ast.comprehension(target=_name(k, True), iter=rng, ifs=[], is_async=0)]
            )
        if lst in state:
            a, b = self.namer.fresh("a"), self.namer.fresh("b")
            new = ast.ListComp(
                elt=ast.BinOp(left=_name(a), op=ast.Add(), right=_name(b)),
                generators=[
                    ast.comprehension(
                        target=ast.Tuple(elts=[_name(a, True), _name(b, True)], ctx=ast.Store()),
                        iter=_call(self.ns.bind(zip, "zip"), _name(dl), new),
                        ifs=[],
                        is_async=0,
                    )
                ],
            )
        out.append(_assign(dl, new))
        state.add(lst)


def list_slot_assign(lst, idx, value):
    """``lst[idx] = value``."""
    return ast.Assign(
        targets=[ast.Subscript(value=_name(lst), slice=clone(idx.node), ctx=ast.Store())], value=value, lineno=0
    )
