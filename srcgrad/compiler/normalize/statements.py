"""Normalize, statements: assignments, augmented assignments, expression statements.

Guarantees (``Statements``, a mixin of ``Normalizer``):

* an assignment is ``Assign(target, value)`` of one right-hand side; a tuple or list target is unpacked item by
  item, every right-hand side read before any target changes (``a, b = b, a``);
* ``x op= v`` is ``x = x op v``, marked as the user's in-place write (``Assign.inplace``);
* a write into an array's items (``y[i] = v``, ``y[i] += v``) is out of place, ``y = index_update(y, i, v)``
  (``index_add``), and only into an array the function made that no other name may refer to (refused at the
  line otherwise); a parameter written into is copied once, at the start of the body;
* a primitive whose rule reads its result and that overwrites one of its operands assigns a temporary first,
  so the adjoint sweep can read both;
* an expression statement or ``assert`` has no derivative and is kept as written; ``lst.append(v)`` is an
  ``Append``, ``lst.pop()`` a ``ListPop``; a call whose result is discarded is refused at the line (it may
  change its arguments in place) unless it is ``print`` or the user's own function, inlined for its effects.
"""

import ast
import copy
import operator

import numpy as np

from ..ir import (
    Append,
    Assign,
    Cast,
    Const,
    Copy,
    ExprStmt,
    ListGet,
    ListNew,
    ListPop,
    ListReduce,
    NonDiff,
    Opaque,
    Prim,
    Var,
)
from ..draws import makes_generator
from ..memory import makes_new_array
from ...rules import get_rule
from ..nodes import nested_sequence, rule_reads
from .core import BINOPS, NOT_STATIC, SECOND_NAME, DictLiteral, ListView, LocalFunction, StaticDict, StaticTuple
from .inlining import inlinable
from .moves import dead_after

_EFFECT_ONLY = {print}


class Statements:
    """Assignments to names and array items, augmented assignments, expression statements."""

    def block(self, stmts, ctx):
        for s in stmts:
            exits = self.stmt(s, ctx)
            if exits is True:  # a return in a branch taken while compiling: what follows never runs
                break

    def stmt(self, s, ctx):
        """Lower one statement; ``True`` when it is an ``if`` decided while compiling whose branch returns."""
        method = getattr(self, "stmt_" + type(s).__name__, None)
        if method is None:
            raise ctx.error(s, f"the statement '{type(s).__name__}' is not supported by srcgrad.grad")
        exits = method(s, ctx)
        return exits is True and isinstance(s, ast.If)

    def stmt_Pass(self, s, ctx):
        pass

    def yielded(self, s, ctx):
        """``yield v`` in a generator a ``for`` loop reads: the loop's target bound to ``v``, then the loop's body,
        read in the loop's own scope (the generator's code around it runs as it would between two ``next``)."""
        target, body, outer, loop, count, counter = self.yield_sinks[-1]
        value = Const(ast.Constant(value=None)) if s.value.value is None else self.expr(s.value.value, ctx)
        sink = self.yield_sinks.pop()  # (a generator the body reads has its own loop)
        try:
            if count is not None:  # enumerate(gen(...)): the count so far, then one more
                self.bind_target(count, Var(counter), loop, outer)
            self.bind_target(target, value, loop, outer)
            self.block(body, outer)
            if count is not None:
                step = ast.BinOp(left=ast.Name(id=counter, ctx=ast.Load()), op=ast.Add(), right=ast.Constant(value=1))
                self.assign(counter, NonDiff(step, frozenset({counter})), loop, outer)
        finally:
            self.yield_sinks.append(sink)

    def stmt_Expr(self, s, ctx):
        if isinstance(s.value, ast.Constant):  # docstring
            return
        if isinstance(s.value, ast.Yield):
            return self.yielded(s, ctx)
        call = s.value
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name)
            and call.func.value.id in ctx.rename
            and call.func.attr == "append"
        ):
            name = ctx.rename[call.func.value.id]
            if name not in self.lists or len(call.args) != 1 or call.keywords:
                raise ctx.error(
                    s, "append is supported on lists the function creates ([] or [a, b]), with one argument"
                )
            item = self.item(call.args[0], ctx)
            if isinstance(item, (tuple, StaticDict, DictLiteral)):
                raise ctx.error(s, "appending a tuple or dict is not supported")
            if isinstance(item, Var) and item.name == name:
                raise ctx.error(s, "appending a list to itself is not supported")
            self.emit(Append(name, item, lineno=self.line(s, ctx)))
            return
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "pop"
            and not call.args
            and not call.keywords
            and isinstance(call.func.value, ast.Name)
            and ctx.rename.get(call.func.value.id) in self.lists
        ):
            # lst.pop() for its effect (a generated gradient's adjoint of an append, read again)
            lst = ctx.rename[call.func.value.id]
            self.assign(self.temp("popped"), ListPop(Var(lst), Const(ast.Constant(value=-1))), s, ctx)
            return
        if isinstance(call, ast.Call) and self.is_draw(call, ctx):
            # a draw whose numbers are not kept (rs.randn(3) alone; generated code keeps a draw nothing reads this
            # way): it still moves the generator on, so it runs where the function runs it (draws.py)
            self.assign(self.temp("drawn"), self.value(call, ctx), s, ctx)
            return
        if isinstance(call, ast.Call):
            if isinstance(call.func, ast.Attribute) and self.static_value(call.func, ctx) is NOT_STATIC:
                raise ctx.error(
                    s,
                    f"a call of the method .{call.func.attr}() whose result is discarded may change "
                    "a value in place, which srcgrad.grad cannot follow",
                )
            callee = self.static_callee(call.func, ctx)
            rule = get_rule(callee) if not isinstance(callee, LocalFunction) else None
            if rule is not None and not rule.differentiable:
                # a primitive with no derivative called for its effect (a rule body's
                # ``not_implemented(...)``, which raises): it runs as written
                node, reads = self.rewrite(s, ctx)
                self.emit(ExprStmt(node, lineno=self.line(s, ctx)))
                return
            if isinstance(callee, LocalFunction) or inlinable(callee):
                self.inline(callee, call, ctx)  # for its effects (appends to a list it was given)
                return
            if callee not in _EFFECT_ONLY:
                name = getattr(callee, "__name__", repr(callee))
                raise ctx.error(
                    s,
                    f"the call of {name} discards its result: if it changes its arguments in place, "
                    "srcgrad.grad cannot follow that; use its return value instead",
                )
        node, reads = self.rewrite(s, ctx)
        self.emit(ExprStmt(node, lineno=self.line(s, ctx)))

    def stmt_Assert(self, s, ctx):
        node, reads = self.rewrite(s, ctx)
        self.emit(ExprStmt(node, lineno=self.line(s, ctx)))

    def stmt_FunctionDef(self, s, ctx):
        if s.decorator_list:
            raise ctx.error(s, "decorated nested functions are not supported")
        ctx.local_funcs[s.name] = LocalFunction(s, ctx)

    def stmt_Assign(self, s, ctx):
        if isinstance(s.value, ast.Lambda) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name):
            ctx.local_funcs[s.targets[0].id] = LocalFunction(s.value, ctx)
            return
        if len(s.targets) == 1 and isinstance(s.targets[0], ast.Name):
            t = s.targets[0]
            if (
                ctx.rename.get(t.id) in ctx.grown
                and isinstance(s.value, ast.BinOp)
                and isinstance(s.value.op, ast.Add)
                and isinstance(s.value.left, ast.Name)
                and s.value.left.id == t.id
                and isinstance(s.value.right, ast.Tuple)
            ):
                self.grow(ctx.rename[t.id], s.value.right.elts, s, ctx)
                return
            if self.comprehension_into(t, s.value, ctx):
                return
            value = self.value(s.value, ctx)
            self.bind_target(t, value, s, ctx)
            if isinstance(s.value, ast.Call) and makes_generator(self.static_value(s.value.func, ctx)):
                self.generators.add(ctx.rename[t.id])  # its methods draw (rng.randn(3): Expressions.random_draw)
            else:
                self.generators.discard(ctx.rename.get(t.id))
            return
        value = self.value(s.value, ctx)
        if len(s.targets) > 1:
            value = self.atom(value, s, ctx)
        for target in s.targets:
            self.bind_target(target, value, s, ctx)

    def stmt_AnnAssign(self, s, ctx):
        if s.value is None:
            return
        self.bind_target(s.target, self.value(s.value, ctx), s, ctx)

    def stmt_AugAssign(self, s, ctx):
        fn = BINOPS.get(type(s.op))
        if fn is None:
            raise ctx.error(s, f"the operator {type(s.op).__name__} is not supported")
        target = s.target
        if (
            isinstance(target, ast.Name)
            and ctx.rename.get(target.id) in ctx.grown
            and isinstance(s.op, ast.Add)
            and isinstance(s.value, ast.Tuple)
        ):
            self.grow(ctx.rename[target.id], s.value.elts, s, ctx)
        elif isinstance(target, ast.Name):
            name = self.local(target, ctx)
            rhs = self.atom(self.value(s.value, ctx), s, ctx)
            value = self.call_prim(fn, [Var(name), rhs], {}, s, ctx, style="binop", op=s.op)
            self.store(name, value, s, ctx)
            self.mark_write(name, _write_text(s))
        elif (
            isinstance(target, ast.Subscript)
            and isinstance(target.value, ast.Name)
            and ctx.rename.get(target.value.id) in self.static
        ):
            base = ctx.rename[target.value.id]
            old = None
            if isinstance(self.static[base], StaticDict) and isinstance(target.slice, ast.Constant):
                old = self.entry(self.static[base], target.slice.value, target, ctx)  # it must be there
            elif isinstance(self.static[base], StaticTuple) and self.static[base].mutable:
                k = self.static_int(target.slice, ctx)  # (a list made from a tuple: its item, or refused below)
                items = self.static[base].items
                old = items[k] if k is not None and -len(items) <= k < len(items) else None
            rhs = self.atom(self.value(s.value, ctx), s, ctx)  # before the item gets a variable (it may read it)
            name = self.entry_target(target, s, ctx)
            # a constant item has no variable yet: d = {'b': -0.45}; d['b'] += v is d_b = -0.45 + v
            left = old if isinstance(old, Const) else Var(name)
            value = self.call_prim(fn, [left, rhs], {}, s, ctx, style="binop", op=s.op)
            self.store(name, value, s, ctx)
            self.mark_write(name, _write_text(s))
        elif (
            isinstance(target, ast.Subscript)
            and isinstance(target.value, ast.Name)
            and ctx.rename.get(target.value.id) in self.lists
        ):
            self.list_set(target, s.value, s, ctx, op=s.op)
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            name = self.array_target(target.value, ctx)
            idx = self.index(target.slice, s, ctx)
            if isinstance(s.op, ast.Add) and _basic_index(idx.node, self.range_targets):
                # index_add adds every value, also those of a repeated index; numpy's y[idx] += v adds once (the
                # last): only an index with no repeats is the same thing
                rhs = self.atom(self.value(s.value, ctx), s, ctx)
                from ...rules.indexing import index_add

                value = self.call_prim(index_add, [Var(name), idx, rhs], {}, s, ctx, func_name="index_add")
            else:
                old = self.atom(self.call_prim(operator.getitem, [Var(name), idx], {}, s, ctx, style="getitem"), s, ctx)
                rhs = self.atom(self.value(s.value, ctx), s, ctx)
                new = self.atom(self.call_prim(fn, [old, rhs], {}, s, ctx, style="binop", op=s.op), s, ctx)
                from ...rules.indexing import index_update

                value = self.call_prim(index_update, [Var(name), idx, new], {}, s, ctx, func_name="index_update")
            self.store(name, value, s, ctx)
            self.mark_write(name, _write_text(s))
        else:
            raise ctx.error(s, "augmented assignment to this kind of target is not supported")

    def array_target(self, name_node, ctx):
        """The variable an index assignment writes into: an array this function created, with no other name.

        The write is compiled out of place, which is only the same thing when
        nothing else refers to that array (another variable, a list, a view).
        """
        name = self.local(name_node, ctx)
        if name in self.params and name not in self.plainly_rebound:
            # may still be the caller's array (also written through a helper's parameter, which is renamed to
            # the argument it is given): copy it first
            self.copied_params.setdefault(name, name_node)
        for value, _ in self.values_of.get(name, ()):
            if not self.fresh_array(value, name):
                raise ctx.error(
                    name_node,
                    f"assignment into '{self.shown(name)}', which may share its memory "
                    "with another value (a second name, a slice, a reshape): srcgrad.grad "
                    f"writes out of place, so copy it first ({self.shown(name)} = np.copy(...))",
                )
        self.written_into.add(name)
        return name

    def fresh_array(self, value, name, seen=frozenset()):
        """True when ``value`` is certainly a new array no other variable refers to.

        Also true for another name of such an array (``q = t``; the tuple a helper returns) and for a piece of
        a call with several outputs (``w, V = np.linalg.eigh(S)``, ``a, b = np.split(y * 2, 2)``): which
        other names share its memory (the split array, the same array returned twice) the aliasing pass
        knows, and it refuses a write they would see.
        """
        from ...rules.indexing import index_add, index_update

        if isinstance(value, ListGet):
            return value.lst.name in self.multi_outputs
        if isinstance(value, Copy) and isinstance(value.src, Var):
            src = value.src.name
            defs = self.values_of.get(src, ())
            if not defs or src in self.params or src in seen or src in self.lists:
                return False
            return all(self.fresh_array(v, src, seen | {src}) for v, _ in defs)
        if isinstance(value, NonDiff) and isinstance(value.node, (ast.BinOp, ast.UnaryOp, ast.Compare)):
            return True  # arithmetic with no derivative (x // y) makes a new array

        if isinstance(value, Prim):
            if value.fn in (index_add, index_update) or value.style in ("binop", "unary"):
                return True
            if getattr(value.fn, "__name__", "") == "astype":
                return makes_new_array(np.array, [], value.kwargs)  # copy=False gives the array itself back
            return makes_new_array(value.fn, value.args, value.kwargs)
        if isinstance(value, ListReduce):
            return value.kind in ("stack", "concatenate")
        if isinstance(value, Opaque):
            return makes_new_array(value.fn, value.args, value.kwargs)
        call = value.node if isinstance(value, (NonDiff, Cast)) else None  # np.array(x) is a Cast of x
        if (
            not isinstance(call, ast.Call)
            or any(isinstance(a, ast.Starred) for a in call.args)
            or any(k.arg is None for k in call.keywords)
        ):
            return False
        f = call.func
        base = f
        chain = []
        while isinstance(base, ast.Attribute):
            chain.append(base.attr)
            base = base.value
        if not (isinstance(base, ast.Name) and base.id in self.ns.values):
            return False
        func = self.ns.values[base.id]
        for attr in reversed(chain):
            func = getattr(func, attr, None)
        return makes_new_array(func, call.args, {k.arg: k.value for k in call.keywords})

    def local(self, name_node, ctx):
        name = name_node.id
        if name not in ctx.rename:
            raise ctx.error(name_node, f"assignment to '{name}', which is not a local variable")
        return ctx.rename[name]

    def bind_target(self, target, value, node, ctx):
        if isinstance(target, ast.Name):
            var = self.local(target, ctx)
            if self.list_renamed(var, value, node, ctx):
                var = ctx.rename[target.id] = self.renamed(target.id, self.namer.fresh(target.id))
            self.store(var, value, node, ctx)
        elif isinstance(target, (ast.Tuple, ast.List)):
            n = len(target.elts)
            if isinstance(value, tuple):
                if len(value) != n:
                    raise ctx.error(node, f"cannot unpack {len(value)} values into {n} targets")
                # Evaluate all right-hand sides before any target changes (swaps).
                staged = []
                for v in value:
                    if isinstance(v, Var) and any(
                        isinstance(t, ast.Name) and ctx.rename.get(t.id) == v.name for t in target.elts
                    ):
                        tmp = self.temp("t")
                        self.assign(tmp, Copy(v), node, ctx)
                        v = Var(tmp)
                    staged.append(v)
                for t, v in zip(target.elts, staged):
                    self.bind_target(t, v, node, ctx)
            else:
                whole = self.atom(value, node, ctx)
                if isinstance(whole, Const):
                    for k, t in enumerate(target.elts):
                        self.bind_target(
                            t,
                            Const(
                                ast.Subscript(
                                    value=copy.deepcopy(whole.node), slice=ast.Constant(value=k), ctx=ast.Load()
                                )
                            ),
                            node,
                            ctx,
                        )
                    return
                for k, t in enumerate(target.elts):
                    if isinstance(whole, Var) and whole.name in self.lists:
                        item = ListGet(whole, Const(ast.Constant(value=k)))
                    else:
                        item = self.call_prim(
                            operator.getitem, [whole, Const(ast.Constant(value=k))], {}, node, ctx, style="getitem"
                        )
                    self.bind_target(t, item, node, ctx)
        elif (
            isinstance(target, ast.Subscript)
            and isinstance(target.value, ast.Name)
            and ctx.rename.get(target.value.id) in self.static
        ):
            var = self.entry_target(target, node, ctx)
            if isinstance(value, (tuple, StaticDict, DictLiteral, LocalFunction)):
                raise ctx.error(node, "nested tuples or dicts inside a dict are not supported")
            self.store(var, value, node, ctx)
        elif (
            isinstance(target, ast.Subscript)
            and isinstance(target.value, ast.Name)
            and ctx.rename.get(target.value.id) in self.lists
        ):
            self.list_set(target, value, node, ctx)
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            name = self.array_target(target.value, ctx)
            idx = self.index(target.slice, node, ctx)
            rhs = self.atom(value, node, ctx)
            from ...rules.indexing import index_update

            self.store(
                name,
                self.call_prim(index_update, [Var(name), idx, rhs], {}, node, ctx, func_name="index_update"),
                node,
                ctx,
            )
            self.mark_write(name, f"{ast.unparse(target)} = ...")
        else:
            raise ctx.error(node, f"assignment to a {type(target).__name__} target is not supported")

    def store(self, name, value, node, ctx):
        if isinstance(value, ListView):
            raise ctx.error(node, SECOND_NAME)
        if name in ctx.grown:
            value = self.grown_value(name, value, node, ctx)
        if isinstance(value, (tuple, StaticDict, DictLiteral)):
            self.bind_static(name, value, node, ctx)
            return
        if name in self.static:
            if self.control_depth:
                raise ctx.error(
                    node,
                    f"'{self.shown(name)}' holds a tuple or dict built in the function; inside a "
                    "branch or loop it can only be given another tuple or dict of the same layout",
                )
            self.forget(name)
        if (
            name in self.params
            and ctx.scope is self.parsed.scope
            and not (
                isinstance(value, Prim)
                and value.style == "call"
                and getattr(value.fn, "__name__", "") in ("index_update", "index_add")
                and value.args
                and getattr(value.args[0], "name", None) == name
            )
        ):
            self.rebound.add(name)
            if not self.control_depth and len(self.inline_stack) == 1:
                self.plainly_rebound.add(name)
        if isinstance(value, tuple):
            raise ctx.error(node, "a tuple value must be unpacked (a, b = ...) here")
        if isinstance(value, LocalFunction):
            ctx.local_funcs[name] = value
            return
        moved = isinstance(value, Var) and (value.name in self.temp_lists or self.list_moved(value.name, node, ctx))
        results = isinstance(value, Var) and value.name in self.results_lists
        if results:  # a call's several results: a second name reads the same values while neither name is
            self.results_lists.add(name)  # written into, appended to or popped (checked at the end)
            if not moved:
                self.results_named_twice.append((value.name, name, node, ctx))
        if isinstance(value, ListNew) or moved or results:
            self.lists.add(name)
        elif name in self.lists:
            raise ctx.error(node, f"'{self.shown(name)}' holds a list; assigning it anything else is not supported")
        if isinstance(value, Var):
            if value.name in self.lists and not (moved or results):
                raise ctx.error(node, "a second name for the same list (aliasing) is not supported; use one name")
            value = Copy(value, move=moved and value.name in self.lists)
        elif isinstance(value, Const):
            value = NonDiff(value.node, frozenset())
        if isinstance(value, Prim) and any(isinstance(a, Var) and a.name == name for a in value.args):
            positions, ans = rule_reads(value.rule, len(value.args))
            if ans and any(isinstance(a, Var) and a.name == name for j, a in enumerate(value.args) if j in positions):
                tmp = self.temp("t")
                self.assign(tmp, value, node, ctx)
                value = Copy(Var(tmp))
        self.assign(name, value, node, ctx)

    def check_results_named_twice(self):
        """Refuse a second name for a call's several results where either name writes into, appends to or pops
        the list (the other would see it).

        Raises:
            TransformError: at the line giving the second name.
        """
        for results, name, node, ctx in self.results_named_twice:
            if results in self.changed_lists or name in self.changed_lists:
                raise ctx.error(node, "a second name for the same list (aliasing) is not supported; use one name")

    def comprehension_into(self, target, value, ctx):
        """``ys = [... for j in range(n)]`` appends to ``ys`` itself (made ``[]`` first), where the comprehension
        does not read ``ys``: the list has one name (a new list given a second name, ``ys = items``, is one whose
        first name the adjoint reads again, so the gradient read again refuses it inside a loop). Outside branches
        and loops, a name that holds a list already gets a variable of its own from here on (as ``list_renamed``
        does). True when it did so."""
        if not isinstance(value, ast.ListComp):
            return False
        if target.id in ctx.local_funcs or _mentions(value, target.id):
            return False
        if any(  # a def or lambda reading it (called in the comprehension, it must see the old list)
            isinstance(n, (ast.Lambda, ast.FunctionDef)) and n is not ctx.fdef and _mentions(n, target.id)
            for n in ast.walk(ctx.fdef)
        ):
            return False
        var = self.local(target, ctx)
        if var in self.params:
            return False
        if var in self.lists and not self.control_depth:
            ctx.rename[target.id] = self.renamed(target.id, self.namer.fresh(target.id))
        self.expr_ListComp(value, ctx, into=target.id)
        return True

    def list_renamed(self, var, value, node, ctx):
        """True when ``var``, which holds a list, is given another list outside any branch or loop, handed on
        whole (``b = a`` of a list never read again; in generated code, a comprehension's list): the new list
        gets a variable of its own from here on, so the old one needs no saving (a list saved on the stack and
        popped back is one the compiler cannot follow when the gradient is read again)."""
        if var not in self.lists or var in self.params or self.control_depth or not isinstance(value, Var):
            return False
        if value.name in self.temp_lists and ctx.parsed.filename.startswith("<srcgrad:"):
            return True
        return self.list_moved(value.name, node, ctx)

    def list_moved(self, var, node, ctx):
        """True when ``node`` is ``b = a`` of the list ``var`` (the user's ``a``) and ``a`` is never read again
        (``moves.dead_after``): ``b`` is then the list's only name, and ``a`` no second one."""
        if var not in self.lists or var in self.multi_outputs or var in self.entry_vars:
            return False
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.value, ast.Name)):
            return False
        user = node.value.id
        return ctx.rename.get(user) == var and dead_after(ctx.fdef, node, user)

    def mark_write(self, name, text):
        """Mark the assignment that just computed the user's in-place write to ``name`` (see ``Assign.inplace``)."""
        for st in reversed(self.out):
            if isinstance(st, Assign) and st.target == name:
                st.inplace = text
                return


def _mentions(node, name):
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


_OP_SYMBOLS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
    ast.MatMult: "@",
    ast.FloorDiv: "//",
    ast.Mod: "%",
}


def _write_text(s):
    """An augmented assignment as the user spelled its target: ``row *= ...``."""
    return f"{ast.unparse(s.target)} {_OP_SYMBOLS.get(type(s.op), '')}= ..."


# an index made of these addresses no element twice (with integers, and names that hold integers)
_BASIC_INDEX_NODES = (
    ast.Slice,
    ast.Tuple,
    ast.UnaryOp,
    ast.USub,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Mod,
    ast.FloorDiv,
    ast.Load,
)


def _basic_index(node, numbers):
    """An index that addresses no element twice: integers, slices, ``None``, ``...``, tuples of them, and the
    names in ``numbers`` (range loop variables); not a name that may hold a list or array of indices, nor a
    tuple inside the index tuple (``x[..., (0, 1, 0)]``: numpy reads it as a fancy index, which may repeat)."""
    if nested_sequence(node):
        return False
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            if n.id not in numbers:
                return False
        elif isinstance(n, ast.Constant):
            if not (n.value is None or n.value is Ellipsis or type(n.value) is int):
                return False
        elif not isinstance(n, _BASIC_INDEX_NODES):
            return False
    return True
