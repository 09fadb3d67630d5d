"""Pass 5', forward: emit the tangent (JVP) program, for ``srcgrad.jvp``.

Input: a ``NormalFunction`` and its ``Activity``. Output: an ``ast.FunctionDef``
taking the function's arguments plus one tangent per ``wrt`` parameter and
returning ``(value, tangent of the value)``. Guarantees:

* every primal statement is followed by its tangent statement, the rule's JVP
  body with the operands substituted (``dy = dx * np.cos(x)``), the
  contributions of several inputs summed;
* tangents are tracked symbolically like adjoints in ``reverse``: a known-zero
  tangent is never materialised, and zeros are written only where control flow
  merges a zero with a non-zero tangent;
* no stack: forward mode needs no stored intermediates.
"""

import ast
import inspect

from ..errors import NoRuleError
from . import inline
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
    ListPop,
    ListReduce,
    ListSet,
    NonDiff,
    Opaque,
    Prim,
    UserCall,
    Var,
    While,
    clone,
    walk_stmts,
)
from .parse import error_at
from .nodes import assign as _assign, atom_node as _atom_node, call as _call, name as _name, stmt_reads
from .reverse import Reverse
from .reverse.adjoints import refuse_higher_order
from .shapes import unstretched
from ..rules.helpers import broadcast_like

__all__ = ["Forward"]


class Forward(Reverse):
    """Builds the JVP function of a ``NormalFunction`` (see the module docstring)."""

    def tangent_expr(self, value, i, t, ans):
        rule = value.rule
        jvp = rule.jvp_at(i) if hasattr(rule, "jvp_at") else (rule.jvps[i] if i < len(rule.jvps) else None)
        if jvp is None:
            return None
        args = [self.value_node(a) for a in value.args]
        kwargs = {k: self.value_node(a) for k, a in value.kwargs.items()}
        variadic = getattr(rule, "variadic", False) and i >= len(rule.jvps) - 1
        tpl = None if variadic else inline.template(jvp)
        if (
            tpl is not None
            and not tpl.vararg
            and len(args) <= tpl.npositional - 2
            and all(k in tpl.params[2 + len(args) :] for k in kwargs)
        ):
            operands = {tpl.params[0]: _name(t), tpl.params[1]: ans}
            operands.update(zip(tpl.params[2:], args))
            operands.update(kwargs)
            got = inline.instantiate(tpl, operands, self.ns, self.namer, self.literal)
            if got is not None:
                return got
        fname = self.ns.bind(jvp, f"{rule.name}_jvp" if i == 0 or variadic else f"{rule.name}_jvp{i}")
        kw = dict(kwargs)
        if variadic:
            kw["argnum"] = ast.Constant(value=i)
        return [], _call(fname, _name(t), ans, *args, **kw)

    def unspread(self, expr, a, v):
        """``broadcast_like(da, v)`` is ``da`` itself when ``a`` provably has ``v``'s shape (nothing to spread)."""
        if (
            isinstance(expr, ast.Call)
            and isinstance(expr.func, ast.Name)
            and len(expr.args) == 2
            and self.ns.values.get(expr.func.id) is broadcast_like
            and not expr.keywords
        ):
            result = () if v in self.act.scalar else self.act.shapes.get(v)
            if unstretched(self.shape_of(a), result):
                return expr.args[0]
        return expr

    def block(self, stmts, state, defined):
        out = []
        for s in stmts:
            if isinstance(s, Assign):
                out += self.assign_stmt(s, state)
                defined.add(s.target)
                self.seen.add(s.target)
            elif isinstance(s, If):
                out += self.line_marker(s.lineno, False)
                seen = set(self.seen).union(*self.loop_stack)
                s1, s2 = set(state), set(state)
                d1, d2 = set(defined), set(defined)
                body = self.block(s.body, s1, d1)
                orelse = self.block(s.orelse, s2, d2)
                merged = s1 | s2
                # only where the variable may exist on that path (a tangent of nothing is never read); one
                # assigned on some paths only is set to None first
                self.materialize(self.joinable(merged - s1, d1, seen), body)
                self.materialize(self.joinable(merged - s2, d2, seen), orelse)
                state.clear()
                state.update(merged)
                defined |= d1 & d2
                out.append(ast.If(test=_name(s.cond), body=body or [ast.Pass()], orelse=orelse))
            elif isinstance(s, (For, While)):
                out += self.line_marker(s.lineno, False)
                if isinstance(s, For):
                    self.seen.add(s.target)
                # variables the loop carries from one iteration to the next: assigned in it, read before
                assigned = {a.target for a in walk_stmts(s.body) if isinstance(a, Assign)} & _exposed(s.body)[0]
                self.loop_stack.append(assigned)
                entry = set(state)
                jumps = self.__dict__.setdefault("_jumps", [])
                for _ in range(50):
                    st = set(entry)
                    saved = dict(self.last_line)
                    jumps.append([])
                    self.block(s.body, st, set(defined) | ({s.target} if isinstance(s, For) else set()))
                    self.last_line = saved
                    # a continue goes back to the loop's head: its tangents join there too
                    st |= set().union(*(j[1] for j in jumps.pop() if isinstance(j[0], ast.Continue)))
                    if st <= entry:
                        break
                    entry |= st
                # a tangent the loop carries from one iteration to the next (assigned in it) stays, also
                # when the variable does not exist before the loop
                entry = {v for v in entry if v in state or v in defined or v in assigned}
                st = set(entry)
                jumps.append([])
                inside = set(defined) | ({s.target} if isinstance(s, For) else set())
                body = self.block(s.body, st, inside)
                exits = jumps.pop()
                # A break leaves with the tangents it has: after the loop, those join the ones of the loop's
                # head; each exit writes out the zeros it has where the other has a tangent.
                after = entry | st
                for stmt, at, where, known in exits:
                    if isinstance(stmt, ast.Break):
                        after |= at
                pre = []
                # (not before the loop for a variable that does not exist yet: its first read in the loop
                # comes after an assignment, or it fails as the function does)
                self.materialize({v for v in (entry - state) | (after - entry) if v in defined}, pre)
                self.materialize(
                    self.joinable(entry - st, inside, assigned) | {v for v in after - entry - st if v in inside}, body
                )
                self.loop_stack.pop()
                out += pre
                for stmt, at, where, known in exits:
                    zeros = []
                    self.materialize(
                        {v for v in (after if isinstance(stmt, ast.Break) else entry) - at if v in known}, zeros
                    )
                    k = next(k for k, x in enumerate(where) if x is stmt)
                    where[k:k] = zeros
                if isinstance(s, For):
                    out.append(
                        ast.For(target=_name(s.target, True), iter=clone(s.iter), body=body or [ast.Pass()], orelse=[])
                    )
                else:
                    out.append(ast.While(test=clone(s.test), body=body or [ast.Pass()], orelse=[]))
                state.clear()
                state.update(after)
            elif isinstance(s, (Break, Continue)):
                stmt = ast.Break() if isinstance(s, Break) else ast.Continue()
                out.append(stmt)
                jumps = self.__dict__.get("_jumps")
                if jumps:
                    jumps[-1].append((stmt, set(state), out, set(defined)))
            elif isinstance(s, ExprStmt):
                out += self.line_marker(s.lineno, False)
                out.append(clone(s.node))
            elif isinstance(s, Append):
                out += self.line_marker(s.lineno, False)
                out += self.append_stmt(s, state)
            elif isinstance(s, ListSet):
                out += self.line_marker(s.lineno, False)
                out += self.list_set_tangent(s, state)
        return out

    def grown_lists(self):
        """The list variables the function changes (append, pop, an item set), and the lists they are copies of."""
        if getattr(self, "_grown", None) is None:
            stmts = list(walk_stmts(self.fn.body))
            grown = {s.lst for s in stmts if isinstance(s, (Append, ListSet))} | {
                s.value.lst.name for s in stmts if isinstance(s, Assign) and isinstance(s.value, ListPop)
            }
            copies = [
                (s.target, s.value.src.name)
                for s in stmts
                if isinstance(s, Assign) and isinstance(s.value, Copy) and isinstance(s.value.src, Var)
            ]
            while True:
                more = {src for target, src in copies if target in grown} - grown
                if not more:
                    break
                grown |= more
            self._grown = grown
        return self._grown

    def joinable(self, vs, defined, seen):
        """Of the tangents ``vs`` to write out as zeros, the ones whose variable exists on this path
        (``defined``) or may (``seen``: assigned earlier, or in an enclosing loop). The latter are set to
        ``None`` at the start (their zero is then never read); lists and dicts are left out."""
        maybe = {
            v for v in vs if v not in defined and v in seen and v not in self.act.lists and v not in self.act.dicts
        }
        self.maybe_undefined |= maybe - self.act.scalar  # a number's zero is 0.0: it reads nothing
        return {v for v in vs if v in defined} | maybe

    def append_stmt(self, s, state):
        """``lst.append(item)`` and, when the list has a tangent, ``dlst.append(ditem)``."""

        def append(lst, item):
            return ast.Expr(value=_call(ast.Attribute(value=_name(lst), attr="append", ctx=ast.Load()), item))

        out = [append(s.lst, _atom_node(s.item))]
        item_active = isinstance(s.item, Var) and s.item.name in state and s.item.name in self.act.active
        if s.lst not in self.act.active:
            return out
        if s.lst not in state:
            if not item_active:
                return out
            # the list had a zero tangent so far: write it out before the new element
            out.insert(0, _assign(self.adj(s.lst), self.zero(s.lst)))
            state.add(s.lst)
        if item_active:
            out.append(append(self.adj(s.lst), _name(self.adj(s.item.name))))
        elif isinstance(s.item, Var):
            out.append(append(self.adj(s.lst), self.zero(s.item.name)))
        else:
            out.append(append(self.adj(s.lst), self.const_zero(s.item)))
        return out

    def const_zero(self, a):
        """The zero tangent of a constant list item: ``0.0`` for a number, else zeros of its shape (a slice of a
        module-level array joined by ``np.concatenate`` must keep its shape)."""
        if self.scalar(a):
            return ast.Constant(value=0.0)
        return _call(ast.Attribute(value=_name(self.np), attr="zeros_like", ctx=ast.Load()), _atom_node(a))

    def user_call_stmt(self, s, state):
        """``v, dv = jvp_f(*args, dargs)``: the callee's own generated JVP (recursion).

        The callee is differentiated along the arguments that carry a tangent
        here; the others are constants to it. Without such an argument the call
        is printed as the user wrote it and ``v`` has a zero tangent.
        """
        value, v = s.value, s.target
        params = [p.name for p in inspect.signature(value.fn).parameters.values()]
        wrt, tangents = [], []
        for key, a in list(enumerate(value.args)) + list(value.kwargs.items()):
            if isinstance(a, Var) and a.name in state and a.name in self.act.active:
                wrt.append(params[key] if isinstance(key, int) else key)
                tangents.append(_name(self.adj(a.name)))
        if v not in self.act.active or not wrt:
            state.discard(v)
            return [_assign(v, self.print_value(value))]
        made = self.__dict__.setdefault("_user_jvps", {})  # one JVPFunction per callee and wrt
        jf = made.get((value.fn, tuple(wrt)))
        if jf is None:
            jf = made[value.fn, tuple(wrt)] = self.callee_derivative(value.fn, tuple(wrt) if len(wrt) > 1 else wrt[0])
        fname = self.ns.bind(jf, "jvp_" + value.fn.__name__)
        tangent = tangents[0] if len(tangents) == 1 else ast.Tuple(elts=tangents, ctx=ast.Load())
        call = ast.Call(
            func=_name(fname),
            args=[self.value_node(a) for a in value.args] + [tangent],
            keywords=[ast.keyword(arg=k, value=self.value_node(a)) for k, a in value.kwargs.items()],
        )
        target = ast.Tuple(elts=[_name(v, True), _name(self.adj(v), True)], ctx=ast.Store())
        state.add(v)
        return [ast.Assign(targets=[target], value=call, lineno=0)]

    def list_tangent(self, value, state):
        """The tangent expression of a list-valued form, or ``None`` when it is zero."""
        if isinstance(value, ListNew):
            if not any(isinstance(a, Var) and a.name in state and a.name in self.act.active for a in value.items):
                return None
            elts = []
            for a in value.items:
                if isinstance(a, Var) and a.name in state and a.name in self.act.active:
                    elts.append(_name(self.adj(a.name)))
                elif isinstance(a, Var):
                    elts.append(self.zero(a.name))
                else:
                    elts.append(self.const_zero(a))
            return ast.List(elts=elts, ctx=ast.Load())
        lst = value.lst.name
        if lst not in state or lst not in self.act.active:
            return None
        if isinstance(value, ListPop):
            return _call(ast.Attribute(value=_name(self.adj(lst)), attr="pop", ctx=ast.Load()))
        if isinstance(value, ListGet):
            return ast.Subscript(value=_name(self.adj(lst)), slice=clone(value.idx.node), ctx=ast.Load())
        # stack / concatenate / sum are linear: the tangent is the same operation on the tangents
        node = clone(value.node)
        node.args[0] = _name(self.adj(lst))
        return node

    def assign_stmt(self, s, state):
        out = self.line_marker(s.lineno, False)
        v, value = s.target, s.value
        inputs = []
        if isinstance(value, Prim):
            inputs = [
                (i, a)
                for i, a in enumerate(value.args)
                if isinstance(a, Var) and a.name in self.act.active and a.name in state
            ]
        elif isinstance(value, (Copy, Cast)):
            if isinstance(value.src, Var) and value.src.name in state and value.src.name in self.act.active:
                inputs = [(0, value.src)]
        elif (
            isinstance(value, Opaque)
            and v in self.act.active
            and any(isinstance(a, Var) and a.name in state for a in list(value.args) + list(value.kwargs.values()))
        ):
            refuse_higher_order(value, self.fn, s.lineno)
            name = getattr(value.fn, "__qualname__", repr(value.fn))
            raise NoRuleError(
                str(
                    error_at(
                        self.fn.filename,
                        self.fn.lines,
                        s.lineno,
                        f"{name} has no derivative rule and no Python source srcgrad can read",
                        hint="Register one with srcgrad.rules.defvjp / defjvp.",
                    )
                )
            )
        elif isinstance(value, NonDiff) and value.unknown and v in self.act.active and value.reads & state:
            raise error_at(
                self.fn.filename,
                self.fn.lines,
                s.lineno,
                f"{value.unknown} is given a value that depends on what is differentiated, and srcgrad "
                "cannot see into it to differentiate it",
                hint="Compute that value with numpy functions srcgrad has rules for, or give your own "
                "function a rule with @srcgrad.custom_vjp.",
            )
        if isinstance(value, UserCall):
            return out + self.user_call_stmt(s, state)
        primal = self.print_value(value)
        if isinstance(value, (ListNew, ListGet, ListReduce)):
            out.append(_assign(v, primal))
            tangent = self.list_tangent(value, state) if v in self.act.active else None
            lst = getattr(getattr(value, "lst", None), "name", None)
            if tangent is None and isinstance(value, ListPop) and lst in state and lst in self.act.active:
                # the item has no tangent of its own here, but the tangent list must stay as long as the list
                out.append(ast.Expr(value=_call(ast.Attribute(value=_name(self.adj(lst)), attr="pop", ctx=ast.Load()))))
            if tangent is None:
                state.discard(v)
            else:
                out.append(_assign(self.adj(v), tangent))
                state.add(v)
            return out
        if v not in self.act.active or not inputs:
            out.append(_assign(v, primal))
            state.discard(v)
            return out
        self_update = isinstance(value, Prim) and any(isinstance(a, Var) and a.name == v for a in value.args)
        target = self.namer.fresh(v + "_new") if self_update else v
        out.append(_assign(target, primal))
        terms = []
        if isinstance(value, Prim):
            for i, a in inputs:
                got = self.tangent_expr(value, i, self.adj(a.name), _name(target))
                if got is None:
                    rule = value.rule
                    vjp = rule.vjp_at(i) if hasattr(rule, "vjp_at") else (rule.vjps[i] if i < len(rule.vjps) else None)
                    if vjp is not None:  # a derivative the reverse mode has: never a silent zero tangent
                        raise error_at(
                            self.fn.filename,
                            self.fn.lines,
                            s.lineno,
                            f"{rule.name} has no forward-mode (JVP) rule for its argument {i}",
                            hint="Register one with srcgrad.rules.defjvp, or use srcgrad.grad.",
                        )
                    continue
                stmts, expr = got
                out += stmts
                terms.append(self.unspread(expr, a, v))
        else:
            terms.append(_name(self.adj(value.src.name)))
        d = self.adj(v)
        if len(terms) > 1 and getattr(getattr(value, "rule", None), "multiple_outputs", False):
            raise error_at(
                self.fn.filename,
                self.fn.lines,
                s.lineno,
                "srcgrad.jvp of a several-output primitive along several inputs is not supported",
            )
        d = self.adj(v)
        if not terms:
            state.discard(v)
        else:
            expr = terms[0]
            for t in terms[1:]:
                expr = ast.BinOp(left=expr, op=ast.Add(), right=t)
            if (
                len(terms) == 1
                and getattr(getattr(value, "rule", None), "multiple_outputs", False)
                and v in self.grown_lists()
            ):
                # the pieces of np.split are a list the function changes; the JVP rule gives a tuple
                expr = _call(self.ns.bind(list, "list"), expr)
            out.append(_assign(d, expr))
            state.add(v)
        if self_update:
            out.append(_assign(v, _name(target)))
        return out

    def build_jvp(self, tangent_names):
        fn = self.fn
        self._counters = {}
        self.last_line = {False: None, True: None}
        state = set(p for p in self.wrt if p in self.act.active)
        self.seen = set(fn.params)  # names assigned so far, on some path
        body = self.block(fn.body[:-1], state, set(fn.params))
        body = [_assign(v, ast.Constant(value=None)) for v in sorted(self.maybe_undefined)] + body
        result = fn.body[-1].value
        if isinstance(result, tuple):  # several values: a tuple of tangents (a dict of them for a dict's values)
            outs = [self.result_tangent(r, state) for r in result]
            values = [_atom_node(r) for r in result]
            if fn.result_layout is not None:
                values, outs = layout_node(fn.result_layout, values), layout_node(fn.result_layout, outs)
            else:
                values, outs = ast.Tuple(elts=values, ctx=ast.Load()), ast.Tuple(elts=outs, ctx=ast.Load())
            body.append(ast.Return(value=ast.Tuple(elts=[values, outs], ctx=ast.Load())))
        else:
            body.append(
                ast.Return(
                    value=ast.Tuple(elts=[_atom_node(result), self.result_tangent(result, state)], ctx=ast.Load())
                )
            )
        args = ast.arguments(
            posonlyargs=[],
            args=[ast.arg(arg=p) for p in fn.params + tangent_names],
            vararg=None,
            kwonlyargs=[],
            kw_defaults=[],
            kwarg=None,
            defaults=[],
        )
        return ast.FunctionDef(
            name=self.name, args=args, body=body, decorator_list=[], returns=None, type_comment=None, lineno=1
        )

    def result_tangent(self, result, state):
        """The tangent of a returned atom (zeros of its kind where it has none)."""
        out_t = None
        if isinstance(result, Var) and result.name in self.act.lists:  # a list of values: a list of tangents
            e = self.namer.fresh("e")
            zeros = ast.ListComp(
                elt=_call(ast.Attribute(value=_name(self.np), attr="zeros_like", ctx=ast.Load()), _name(e)),
                generators=[ast.comprehension(target=_name(e, True), iter=_name(result.name), ifs=[], is_async=0)],
            )
            out_t = _name(self.adj(result.name)) if result.name in state else zeros
        elif isinstance(result, Var) and result.name in state:
            out_t = _name(self.adj(result.name))
            if result.name not in self.act.scalar:
                from .runtime import match_shape

                out_t = _call(self.ns.bind(match_shape, "match_shape"), out_t, _atom_node(result))
        elif isinstance(result, Var) and result.name in self.act.scalar:
            out_t = ast.Constant(value=0.0)
        elif isinstance(result, Const):
            out_t = self.const_zero(result)
        else:
            out_t = _call(ast.Attribute(value=_name(self.np), attr="zeros_like", ctx=ast.Load()), _atom_node(result))
        return out_t


def layout_node(layout, leaves):
    """The expression building ``NormalFunction.result_layout`` around ``leaves`` (one node per index)."""
    if isinstance(layout, int):
        return leaves[layout]
    kind, items = layout
    if kind == "tuple":
        return ast.Tuple(elts=[layout_node(item, leaves) for item in items], ctx=ast.Load())
    return ast.Dict(keys=[ast.Constant(value=k) for k, _ in items], values=[layout_node(v, leaves) for _, v in items])


def _exposed(stmts, assigned=frozenset()):
    """``(names read before any assignment on some path, names assigned on every path)`` of ``stmts``."""
    exposed, assigned = set(), set(assigned)
    for s in stmts:
        if isinstance(s, If):
            if s.cond not in assigned:
                exposed.add(s.cond)
            e1, a1 = _exposed(s.body, assigned)
            e2, a2 = _exposed(s.orelse, assigned)
            exposed |= e1 | e2
            assigned |= a1 & a2
        elif isinstance(s, (For, While)):
            head = {n.id for n in ast.walk(s.iter if isinstance(s, For) else s.test) if isinstance(n, ast.Name)}
            exposed |= head - assigned
            exposed |= _exposed(s.body, assigned | ({s.target} if isinstance(s, For) else set()))[0]
        else:
            exposed |= stmt_reads(s) - assigned
            if isinstance(s, Assign):
                assigned.add(s.target)
    return exposed, assigned
