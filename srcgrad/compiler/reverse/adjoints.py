"""Reverse, the adjoint emission: each statement's adjoint, summed into its inputs' adjoints.

Guarantees (``Adjoints``, a mixin of ``Reverse``):

* the adjoint of an assignment is the rule's VJP body with the call's operands substituted
  (``dx = dy * np.cos(x)``), or a call of the VJP where its body cannot be inlined, summed into each active
  input's adjoint (``accumulate``: assigned the first time, added to after);
* ``unbroadcast`` is applied only where an operand may have been broadcast (``needs_unbroadcast``; never
  between two Python numbers), to the shape the operand had at the statement;
* a function with no rule and no source, or a value marked unknown, on a differentiable path raises at the
  user's line, never a silent zero;
* a dict argument's entry adds into that entry of the dict's adjoint (lists: ``lists``);
* the adjoint of a sum, a broadcast view of a number, stays that number where a product reads it
  (``sum_view``, ``fold_views``); a recursive call's adjoint calls the callee's own generated gradient;
* a recursive call of a generated gradient (higher order) is differentiated by the JVPs of the function and of
  its gradient along the call's cotangent (``gradient_call_contribs``: symmetry of second derivatives); one of a
  generated JVP (a third derivative) is refused at the user's line.
"""

import ast
import operator

import numpy as np

from ...errors import NoRuleError
from ...rules import unbroadcast
from ...rules.helpers import callee
from ...rules.indexing import index_add, index_update
from ...rules.einsum import einsum_args as _EINSUM
from ...rules.shape import concatenate_args, stack_args
from .. import activity, inline
from ..ir import (
    Cast,
    Const,
    Copy,
    ListGet,
    ListNew,
    ListPop,
    ListReduce,
    NonDiff,
    Opaque,
    Prim,
    UserCall,
    Var,
    clone,
)
from ..nodes import (
    assign as _assign,
    atom_node as _atom_node,
    call as _call,
    name as _name,
    rule_reads,
)
from ..parse import error_at
from ..shapes import unstretched
from .folding import ViewFolder
from .inplace import basic_index
from .markers import Restore, RestoreItems, marker_stmt


def _has_slice(node):
    return any(isinstance(n, ast.Slice) for n in ast.walk(node))


_BROADCASTING = {np.where, np.clip}
# Primitives whose VJPs return each argument's own shape: they never broadcast between their arrays.
_OWN_SHAPE_VJPS = frozenset(
    {
        operator.getitem,
        np.tensordot,
        np.outer,
        np.convolve,
        np.interp,
        concatenate_args,
        stack_args,
        np.reshape,
        np.ravel,
        np.transpose,
        np.swapaxes,
    }
)


def _literal_parameter(node):
    """A literal that can only be a shape, an axis or a flag: an int, a string, None, or a tuple of ints."""
    if isinstance(node, ast.Constant):
        return node.value is None or isinstance(node.value, (int, str))
    return isinstance(node, ast.Tuple) and all(
        isinstance(e, ast.Constant)
        and type(e.value) is int
        or isinstance(e, ast.UnaryOp)
        and isinstance(e.operand, ast.Constant)
        and type(e.operand.value) is int
        for e in node.elts
    )


def _equal_core_ranks(fn):
    """False for a generalized ufunc whose inputs have core axes of different ranks (``np.matvec``:
    ``(m,n),(n)->(m)``), where operands of one shape still broadcast: ``matvec`` of two (3, 3) arrays treats
    the second as 3 vectors, so the matrix's cotangent is (3, 3, 3)."""
    signature = getattr(fn, "signature", None) if isinstance(fn, np.ufunc) else None
    if signature is None:
        return True
    inputs = signature.split("->")[0]
    ranks = {len([d for d in core.split(",") if d.strip()]) for core in inputs.strip("()").split("),(")}
    return len(ranks) == 1


def _broadcasting(fn):
    return (isinstance(fn, np.ufunc) and fn.nin >= 2) or fn in _BROADCASTING


class Adjoints:
    """Each statement's adjoint: VJPs instantiated, unbroadcast where needed, accumulated."""

    def sum_view(self, var, expr):
        """``np.broadcast_to(g, shape_of(x))`` for the table's sum VJP ``np.broadcast_to(unreduce(g, x, None),
        shape_of(x))`` when ``g`` is a number (shape ``()``) and ``x`` has a static shape with axes, or ``None``.

        ``unreduce`` over all axes only reshapes a one-element ``g``; ``np.broadcast_to`` spreads it the same way.
        The mean's VJP, that view divided by ``count(x, None)``, is the view of ``g / count(x, None)``: the
        number is divided, not every element of the view.
        """
        from ...rules.helpers import count, shape_of, unreduce

        values = self.ns.values
        divisor = None
        if (
            isinstance(expr, ast.BinOp)
            and isinstance(expr.op, ast.Div)
            and isinstance(expr.right, ast.Call)
            and isinstance(expr.right.func, ast.Name)
            and values.get(expr.right.func.id) is count
            and len(expr.right.args) == 2
            and not expr.right.keywords
            and isinstance(expr.right.args[0], ast.Name)
            and expr.right.args[0].id == var
            and isinstance(expr.right.args[1], ast.Constant)
            and expr.right.args[1].value is None
        ):
            expr, divisor = expr.left, expr.right
        if not (
            isinstance(expr, ast.Call)
            and isinstance(expr.func, ast.Attribute)
            and expr.func.attr == "broadcast_to"
            and isinstance(expr.func.value, ast.Name)
            and values.get(expr.func.value.id) is np
            and len(expr.args) == 2
            and not expr.keywords
        ):
            return None
        inner, shape = expr.args
        if not (
            isinstance(inner, ast.Call)
            and isinstance(inner.func, ast.Name)
            and values.get(inner.func.id) is unreduce
            and len(inner.args) == 3
            and not inner.keywords
            and isinstance(shape, ast.Call)
            and isinstance(shape.func, ast.Name)
            and values.get(shape.func.id) is shape_of
            and len(shape.args) == 1
            and not shape.keywords
        ):
            return None
        g, x, axis = inner.args
        if not (
            isinstance(g, ast.Name)
            and isinstance(x, ast.Name)
            and x.id == var
            and isinstance(axis, ast.Constant)
            and axis.value is None
            and isinstance(shape.args[0], ast.Name)
            and shape.args[0].id == var
        ):
            return None
        # (only the adjoints named so far: naming every active variable's here, in the set's order, made the
        # names the function gets depend on the string hash seed, a different text from one process to the next)
        primal = next((v for v, a in self.namer.adjoints().items() if a == g.id and v in self.act.active), None)
        if primal is None or self.shape_of(Var(primal)) != ():
            return None
        static = self.shape_of(Var(var))
        if not static:
            return None
        number = g if divisor is None else ast.BinOp(left=g, op=ast.Div(), right=divisor)
        return ast.Call(func=expr.func, args=[number, shape], keywords=[]), static

    def fold_views(self, expr):
        """In products and quotients, a broadcast view of a number next to a factor of the view's static shape
        is the number (``folding.ViewFolder``)."""
        if not self.views:
            return expr
        return ViewFolder(self.views, self.shape_of, self.ns.values).visit(expr)

    def user_call_contribs(self, value, d, state, out):
        """``grads = d<fn>(*args, dout=d<v>)``: the callee's own generated gradient (recursion)."""
        import inspect as _inspect

        params = [p.name for p in _inspect.signature(value.fn).parameters.values()]
        wrt, targets = [], []
        for i, a in enumerate(value.args):
            if isinstance(a, Var) and a.name in self.act.active:
                wrt.append(params[i])
                targets.append(a.name)
        for k, a in value.kwargs.items():
            if isinstance(a, Var) and a.name in self.act.active:
                wrt.append(k)
                targets.append(a.name)
        if not wrt:
            return
        if getattr(value.fn, "tangent_of", None) is not None:  # a third derivative, or grad of a call of jvp(f)
            of = getattr(value.fn.tangent_of, "gradient_of", None)  # the JVP of f's generated gradient: name f
            name = (of.fn if of is not None else value.fn.tangent_of).__name__
            raise error_at(
                self.fn.filename,
                self.fn.lines,
                self.current_lineno,
                f"the gradient of the JVP of a recursive function ({name} calls itself) is not supported by the "
                "compiler (reverse over forward: met in a third derivative of a recursive function in reverse "
                "mode, the gradient of its second derivative); srcgrad.hvp and srcgrad.hessian of a function "
                "calling its gradient differentiate it three times (forward over reverse over reverse)",
                hint="Or use dynamic mode for it: Tensors and srcgrad.autograd.grad(..., create_graph=True).",
            )
        if getattr(value.fn, "gradient_of", None) is not None:
            self.gradient_call_contribs(value, d, state, out)
            return
        if hasattr(value.fn, "cotangent_keyword"):  # a generated gradient that is not marked (it returns its value)
            raise error_at(
                self.fn.filename,
                self.fn.lines,
                self.current_lineno,
                f"the gradient of the gradient of a recursive function ({value.fn.__name__} calls itself) is "
                "not supported by the compiler (reverse over reverse); srcgrad.hvp and srcgrad.hessian of the "
                "function (forward over reverse) are",
                hint="Or use dynamic mode for it: Tensors and srcgrad.autograd.grad(..., create_graph=True).",
            )
        gf = self.callee_derivative(value.fn, tuple(wrt))
        gname = self.ns.bind(gf, "d" + value.fn.__name__)
        grads = self.namer.fresh("grads")
        call = ast.Call(
            func=_name(gname),
            args=[self.value_node(a) for a in value.args],
            keywords=[ast.keyword(arg=k, value=self.value_node(a)) for k, a in value.kwargs.items()]
            + [ast.keyword(arg="dout", value=_name(d))],
        )
        out.append(_assign(grads, call))
        for k, var in enumerate(targets):
            self.accumulate(
                var, ast.Subscript(value=_name(grads), slice=ast.Constant(value=k), ctx=ast.Load()), state, out
            )

    def gradient_call_contribs(self, value, d, state, out):
        """The adjoint of ``grads = d<f>(*args, dout=g)``, a recursive call of a generated gradient (higher order).

        With ``grads = grad_W <g, f(a)>`` and its cotangent ``ḡ`` (one part per ``W`` parameter), symmetry of
        second derivatives gives each active argument ``a_j`` the JVP of ``grad_j <g, f(a)>`` along ``ḡ`` on the
        ``W`` arguments (forward over reverse, which follows recursion by the callee's own JVP), and ``g`` the
        JVP of ``f`` along ``ḡ``::

            dg += unbroadcast(jvp_f(*args, ḡ)[1], np.shape(g))
            hv = jvp_df(*args, ḡ, dout=g)[1]        # grad_J <g, f(a)> differentiated along ḡ
            da_j += hv[k]
        """
        import inspect as _inspect

        of = value.fn.gradient_of
        keyword = getattr(value.fn, "cotangent_keyword", "dout")
        params = [p.name for p in _inspect.signature(value.fn).parameters.values()]
        g = value.kwargs.get(keyword)
        wrt, targets = [], []
        for k, a in list(enumerate(value.args)) + [(k, a) for k, a in value.kwargs.items() if k != keyword]:
            if isinstance(a, Var) and a.name in self.act.active:
                wrt.append(params[k] if isinstance(k, int) else k)
                targets.append(a.name)
        if value.several:
            parts = [
                ast.Subscript(value=_name(d), slice=ast.Constant(value=k), ctx=ast.Load()) for k in range(len(of.wrt))
            ]
        else:
            parts = [_name(d)]
        tangent = parts[0] if len(parts) == 1 else ast.Tuple(elts=parts, ctx=ast.Load())
        args = [self.value_node(a) for a in value.args]
        kwargs = [ast.keyword(arg=k, value=self.value_node(a)) for k, a in value.kwargs.items() if k != keyword]
        directions = of.wrt if len(of.wrt) > 1 else of.wrt[0]
        if isinstance(g, Var) and g.name in self.act.active:
            jf = self.ns.bind(self.callee_derivative(of.fn, directions, jvp=True), "jvp_" + of.fn.__name__)
            along = ast.Subscript(
                value=ast.Call(func=_name(jf), args=args + [tangent], keywords=kwargs),
                slice=ast.Constant(value=1),
                ctx=ast.Load(),
            )
            shape = _call(ast.Attribute(value=_name(self.np), attr="shape", ctx=ast.Load()), _name(g.name))
            self.accumulate(g.name, _call(self.ns.bind(unbroadcast, "unbroadcast"), along, shape), state, out)
        if not wrt:
            return
        inner, _ = self.callee_derivative(of.fn, tuple(wrt)).inline_target()
        jg = self.ns.bind(self.callee_derivative(inner, directions, jvp=True), "jvp_d" + of.fn.__name__)
        hv = self.namer.fresh("hv")
        call = ast.Call(
            func=_name(jg),
            args=[self.value_node(a) for a in value.args] + [clone(tangent)],
            keywords=[ast.keyword(arg=k, value=self.value_node(a)) for k, a in value.kwargs.items()],
        )
        out.append(_assign(hv, ast.Subscript(value=call, slice=ast.Constant(value=1), ctx=ast.Load())))
        for k, var in enumerate(targets):
            self.accumulate(
                var, ast.Subscript(value=_name(hv), slice=ast.Constant(value=k), ctx=ast.Load()), state, out
            )

    def accumulate(self, var, expr, state, out):
        d = self.adj(var)
        if var in state:
            # d = d + ..., never d += ...: a number's adjoint may hold a 0-d array (the caller's dout, a
            # broadcast view of it), which += would change in place
            out.append(_assign(d, ast.BinOp(left=_name(d), op=ast.Add(), right=expr)))
        else:
            out.append(_assign(d, expr))
            state.add(var)

    def adjoint_assign(self, s, state):
        self.current_lineno = s.lineno
        v, value = s.target, s.value
        out = []
        restore = (
            []
            if (s.bookkeeping or id(s) not in self.overwritten or id(s) in self.grouped or id(s) in self.recomputed)
            else [marker_stmt(Restore(v, id(s)))]
        )
        if id(s) in self.inplace_writes:
            restore = [marker_stmt(RestoreItems(v, clone(value.args[1].node), key=id(s), sharers=s.sharers))]
        if isinstance(value, ListPop):
            return self.adjoint_list_pop(s, state) + restore
        if v not in self.act.active or v not in state:
            return restore
        if isinstance(value, (NonDiff, Opaque)) and not set(activity.diff_inputs(value)) & self.act.active:
            # an opaque value made of inactive inputs (np.zeros((len(x), 3)) that the function then writes
            # into): a constant, whatever else the variable holds elsewhere
            state.discard(v)
            return restore
        if isinstance(value, NonDiff) and value.unknown:
            raise error_at(
                self.fn.filename,
                self.fn.lines,
                s.lineno,
                f"{value.unknown} is given a value that depends on what is differentiated, and srcgrad "
                "cannot see into it to differentiate it",
                hint="Compute that value with numpy functions srcgrad has rules for, or give your own "
                "function a rule with @srcgrad.custom_vjp.",
            )
        if isinstance(value, Opaque):
            refuse_higher_order(value, self.fn, s.lineno)
            name = getattr(value.fn, "__qualname__", None) or repr(value.fn)
            module = getattr(value.fn, "__module__", None)
            full = f"{module}.{name}" if module and module != "builtins" else name
            raise NoRuleError(
                str(
                    error_at(
                        self.fn.filename,
                        self.fn.lines,
                        s.lineno,
                        f"{full} has no derivative rule and no Python source srcgrad can read",
                        hint=(
                            "Register one: srcgrad.rules.defvjp(" + full + ", lambda g, ans, x: ...) "
                            "(one VJP per positional argument), or decorate your own function with @srcgrad.custom_vjp."
                        ),
                    )
                )
            )
        marker = self.line_marker(s.lineno, True)
        d = self.adj(v)
        contribs = []  # (input var, expression)
        pre = []
        restore_first = False
        late_unbroadcast = False  # the self operand's cotangent is unbroadcast to its shape after the restore
        if (
            isinstance(value, Prim)
            and value.style == "getitem"
            and isinstance(value.args[0], Var)
            and value.args[0].name in self.act.dicts
        ):
            # An entry of a dict argument: its adjoint is a dict with one entry per key.
            base = value.args[0].name
            dbase = self.adj(base)
            if base not in state:
                out.append(_assign(dbase, self.zero(base)))
                state.add(base)
            slot = lambda c: ast.Subscript(value=_name(dbase), slice=_atom_node(value.args[1]), ctx=c)  # noqa: E731
            total = ast.BinOp(left=slot(ast.Load()), op=ast.Add(), right=_name(d))
            if v in self.act.dicts:  # the entry is a dict itself (p['i'] of a dict holding dicts)
                from ..runtime import add_tree

                total = _call(self.ns.bind(add_tree, "add_tree"), slot(ast.Load()), _name(d))
            out.append(ast.Assign(targets=[slot(ast.Store())], value=total, lineno=0))
            state.discard(v)
            return marker + out + restore
        if (
            isinstance(value, Prim)
            and value.style == "getitem"
            and isinstance(value.args[0], Var)
            and value.args[0].name in self.inplace_owned
            and self.getitem_adds_at(value)
            and self.ns.real_values
            and not self.plain_stack
        ):
            # The rule is index_add(np.zeros_like(x), idx, g); summed into an adjoint this loop owns,
            # that is an in-place add (np.add.at also handles repeated fancy indices). Not where complex
            # values flow: a real x's adjoint cannot take a complex cotangent in place; nor in the form made to
            # be differentiated again (np.add.at changes its argument: the pure index_add is read again).
            base = value.args[0].name
            target = ast.Subscript(value=_name(self.adj(base)), slice=clone(value.args[1].node), ctx=ast.Store())
            if basic_index(value.args[1].node, self.act.scalar):
                out.append(ast.AugAssign(target=target, op=ast.Add(), value=_name(d)))
            else:
                add_at = ast.Attribute(
                    value=ast.Attribute(value=_name(self.np), attr="add", ctx=ast.Load()), attr="at", ctx=ast.Load()
                )
                out.append(
                    ast.Expr(value=_call(add_at, _name(self.adj(base)), self.value_node(value.args[1]), _name(d)))
                )
            state.discard(v)
            return marker + out + restore
        if isinstance(value, Prim):
            positions, reads_ans = rule_reads(value.rule, len(value.args))
            self_positions = [j for j, a in enumerate(value.args) if isinstance(a, Var) and a.name == v]
            restore_first = bool(self_positions) and any(j in positions for j in self_positions)
            for i, a in enumerate(value.args):
                if not (isinstance(a, Var) and a.name in self.act.active):
                    continue
                g_node = (
                    _call(self.ns.bind(tuple, "tuple"), _name(d))
                    if getattr(value.rule, "multiple_outputs", False)
                    else _name(d)
                )
                got = self.vjp(value, i, g_node, v)
                if got is None:
                    continue
                stmts, expr = got
                pre += stmts
                expr = self.fold_views(expr)
                if self.needs_unbroadcast(value, i):
                    if a.name == v and not restore_first and not self.scalar(a):
                        # v = v + w: the target is the operand's shape before the statement (the restored v)
                        late_unbroadcast = True
                    else:
                        shape = (
                            ast.Tuple(elts=[], ctx=ast.Load())
                            if self.scalar(a)
                            else _call(ast.Attribute(value=_name(self.np), attr="shape", ctx=ast.Load()), _name(a.name))
                        )
                        expr = _call(self.ns.bind(unbroadcast, "unbroadcast"), expr, shape)
                contribs.append((a.name, expr))
        elif isinstance(value, (Copy, Cast)):
            if isinstance(value, Copy) and isinstance(value.src, Var) and value.src.name in self.act.lists:
                self.accumulate_list(value.src.name, _name(d), state, out, value.move)
                state.discard(v)
                return marker + out + restore
            if isinstance(value.src, Var) and value.src.name in self.act.active:
                contribs.append((value.src.name, _name(d)))
        elif isinstance(value, UserCall):
            self.user_call_contribs(value, d, state, out)
            state.discard(v)
            return marker + out + restore
        elif isinstance(value, (ListNew, ListGet, ListReduce)):
            self.list_contribs(value, v, d, state, out)
            state.discard(v)
            return marker + out + restore
        if id(s) in self.inplace_writes:
            restore_first = True
            restore = [marker_stmt(RestoreItems(v, clone(value.args[1].node), key=id(s), sharers=s.sharers))]
        if restore_first:
            out += restore
            restore = []
        out += pre
        merged = {}
        for var, expr in contribs:
            merged[var] = expr if var not in merged else ast.BinOp(left=merged[var], op=ast.Add(), right=expr)
        self_expr = merged.pop(v, None)
        for var, expr in merged.items():
            view = None if var in state else self.sum_view(var, expr)
            if view is not None:
                expr, shape = view
            copied = var not in state and isinstance(expr, ast.Name) and self.views.get(expr.id)
            self.accumulate(var, expr, state, out)
            if view is not None:
                self.new_views[self.adj(var)] = (expr.args[0], shape)
                self.view_stmts[id(out[-1])] = out[-1]
            elif copied:  # the adjoint of an operand of +: the same view
                self.new_views[self.adj(var)] = copied
        if self_expr is not None and id(s) in self.inplace_writes and v in self.inplace_owned:
            cleared = self.write_clears_in_place(value)
            if cleared is not None and cleared != "keep":
                slot = ast.Subscript(value=_name(d), slice=clone(value.args[1].node), ctx=ast.Store())
                out.append(ast.Assign(targets=[slot], value=ast.Constant(value=cleared), lineno=0))
            if cleared is not None:
                return marker + out + restore
        if self_expr is not None:
            if not (isinstance(self_expr, ast.Name) and self_expr.id == d):
                out.append(_assign(d, self_expr))
            if late_unbroadcast:
                shape = _call(ast.Attribute(value=_name(self.np), attr="shape", ctx=ast.Load()), _name(v))
                out += restore
                restore = []
                out.append(_assign(d, _call(self.ns.bind(unbroadcast, "unbroadcast"), _name(d), shape)))
        else:
            state.discard(v)
        return marker + out + restore

    def needs_unbroadcast(self, value, i):
        """Whether the cotangent of ``value.args[i]`` may have a larger (broadcast) shape than that argument.

        The rule contract: every VJP returns the broadcast shape and the caller
        unbroadcasts. So this answers True unless the compiler can prove the
        shapes equal: elementwise calls whose result has the argument's static
        shape, an array argument whose other operands are all Python numbers,
        operands of one static shape, and primitives that never broadcast
        between their arrays (indexing, concatenation, ``np.tensordot``, ...).
        """
        fn = value.fn
        args = value.args
        mine = self.shape_of(args[i])
        others = [a for j, a in enumerate(args) if j != i and not self._static_arg(value, j)]
        if all(self.scalar(a) for a in others):
            return False  # numbers broadcast to the array, never the other way
        if fn in (index_add, index_update):
            return i == 2  # v is broadcast to x[idx]; x's cotangent has x's shape
        if self.scalar(args[i]):
            return True
        if fn in (np.matmul, np.dot) and len(args) == 2:
            shapes = [self.shape_of(a) for a in args]
            if all(s is not None and 1 <= len(s) <= 2 for s in shapes):
                return False  # no batch axes: nothing was broadcast
        if _broadcasting(fn) and getattr(fn, "signature", None) is None:
            return not unstretched(mine, activity.value_shape(value, self.shape_of))
        if fn is _EINSUM:  # with "...", operands of one shape may still broadcast ("...ij,...j": a's ... is ())
            subscripts = args[0]
            return not (
                isinstance(subscripts, Const)
                and isinstance(subscripts.node, ast.Constant)
                and isinstance(subscripts.node.value, str)
                and "..." not in subscripts.node.value
            )
        if fn in _OWN_SHAPE_VJPS:
            return False
        arrays = [self.shape_of(a) for j, a in enumerate(args) if not self.scalar(a) and not self._static_arg(value, j)]
        if mine is not None and all(s == mine for s in arrays) and _equal_core_ranks(fn):
            return False  # operands of one shape and rank of core axes: nothing was broadcast
        return True

    def _static_arg(self, value, j):
        """True for an argument that is no array operand: einsum's subscripts, a constant index, or a literal
        shape, axis or flag in a position the rule gives no gradient (``np.reshape(x, (3, 4))``)."""
        a = value.args[j]
        if not isinstance(a, Const) or self.scalar(a):
            return False
        if value.fn is operator.getitem or (j == 0 and value.fn is _EINSUM):
            return True
        rule = value.rule
        vjp = rule.vjp_at(j) if hasattr(rule, "vjp_at") else (rule.vjps[j] if j < len(rule.vjps) else None)
        return vjp is None and _literal_parameter(a.node)

    def shape_of(self, a):
        if isinstance(a, Var):
            return () if a.name in self.act.scalar else self.act.shapes.get(a.name)
        if self.scalar(a):
            return ()
        shape = self.act.shape_of_const(a.node)  # a global the specialisation knows (X, X ** 2)
        return shape if isinstance(shape, tuple) else None

    def vjp(self, value, i, g, ans):
        rule = value.rule
        vjp = rule.vjp_at(i) if hasattr(rule, "vjp_at") else (rule.vjps[i] if i < len(rule.vjps) else None)
        if vjp is None:
            return None
        variadic = getattr(rule, "variadic", False) and i >= len(rule.vjps) - 1
        args = [self.value_node(a) for a in value.args]
        kwargs = {k: self.value_node(a) for k, a in value.kwargs.items()}
        t = None if variadic else inline.template(vjp)
        if t is not None and not t.vararg and len(args) <= t.npositional - 2:
            operands = {}
            ps = t.params
            if len(ps) >= 2 + len(args):
                operands[ps[0]] = g if isinstance(g, ast.expr) else _name(g)
                operands[ps[1]] = _name(ans)
                for p, a in zip(ps[2:], args):
                    operands[p] = a
                ok = all(k in ps[2 + len(args) :] for k in kwargs)
                if ok:
                    operands.update(kwargs)
                    ndims = {
                        p: len(self.shape_of(a)) for p, a in zip(ps[2:], value.args) if self.shape_of(a) is not None
                    }
                    got = inline.instantiate(t, operands, self.ns, self.namer, self.literal, ndims)
                    if got is not None:
                        return got
        fname = self.ns.bind(vjp, f"{rule.name}_vjp" if variadic or i == 0 else f"{rule.name}_vjp{i}")
        kw = dict(kwargs)
        if variadic:
            kw["argnum"] = ast.Constant(value=i)
        return [], _call(fname, g if isinstance(g, ast.expr) else _name(g), _name(ans), *args, **kw)

    def literal(self, value, preferred):
        return _name(self.ns.bind(value, preferred))

    def value_node(self, a):
        node = _atom_node(a)
        if isinstance(a, Const) and _has_slice(node):
            s_ = ast.Attribute(value=_name(self.np), attr="s_", ctx=ast.Load())
            return ast.Subscript(value=s_, slice=node, ctx=ast.Load())
        return node


_HIGHER_TOOLS = {"HVPFunction": "hvp", "HessianFunction": "hessian", "JacobianFunction": "jacobian"}


def refuse_higher_order(value, fn, lineno):
    """A call of ``srcgrad.hvp``/``hessian``/``jacobian`` on a differentiable value: refused, naming what works.

    (A call of a ``GradFunction`` or ``JVPFunction`` never gets here: normalize differentiates through the code
    it generated.)

    Raises:
        TransformError: at the user's line, when ``value`` calls one of them.
    """
    kind = type(value.fn)
    tool = _HIGHER_TOOLS.get(kind.__name__) if kind.__module__ == "srcgrad.compiler.higher" else None
    if tool is not None:
        raise error_at(
            fn.filename,
            fn.lines,
            lineno,
            f"{value.fn!r} (srcgrad.{tool}) is called on a value that depends on what is differentiated: the "
            "compiler does not differentiate the results of srcgrad.hvp, srcgrad.hessian or srcgrad.jacobian",
            hint="Differentiate through srcgrad.grad instead (a function calling srcgrad.grad(f) is "
            "differentiable, and so is srcgrad.grad(srcgrad.grad(f))), or use dynamic mode: Tensors and "
            "srcgrad.autograd.grad(..., create_graph=True).",
        )
