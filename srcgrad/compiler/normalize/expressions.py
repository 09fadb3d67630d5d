"""Normalize, expressions and calls: operators, attributes, methods and calls, one primitive each.

Guarantees (``Expressions``, a mixin of ``Normalizer``):

* an operator (``a + b``, ``-a``) is a ``Prim`` of the numpy function it means (``np.add``), printed as the
  operator; comparisons, ``not`` and ``~`` have no derivative (``NonDiff``);
* array methods and attributes are numpy functions (``x.sum(axis=0)`` -> ``np.sum(x, axis=0)``, ``x.T`` ->
  ``np.transpose(x)``, ``x.real`` -> ``np.real(x)``); ``x.astype`` to a float dtype is a primitive, to an
  integer, boolean or text dtype it has no derivative, to an unknown one it is marked unknown;
* a call is, by what it calls: a primitive with a rule (``Prim``; several outputs read with ``ListGet``), a
  call with no derivative (``NonDiff``), the user's own function or the rule table's adaptor inlined, a list
  combined into one value (``ListReduce``: ``np.stack``, ``np.concatenate``, ``np.array`` of a list), a
  ``Cast`` (``np.asarray(x)``, ``float(x)``), or a function with no rule and no source (``Opaque``: refused by
  the reverse pass only on a differentiable path);
* numpy's ``out`` (by keyword or position) and functions that write into an argument (``np.copyto``,
  ``np.add.at``) are refused at the line;
* a list or tuple passed where the rule differentiates is the ``np.stack`` of its items; elsewhere it is
  passed as it is, marked unknown where a derivative could flow through it unseen.
"""

import ast
import copy
import types

import numpy as np

from ...errors import TransformError
from ...rules import ALIASES, get_rule
from ...rules.registry import DYNAMIC_ONLY_ALIASES
from ..ir import (
    Cast,
    Const,
    ListNew,
    ListPop,
    ListReduce,
    NonDiff,
    Opaque,
    Prim,
    Var,
)
from ..draws import draws_random
from ..memory import out_given_positionally
from ..nodes import atom_node
from .core import (
    BINOPS,
    NOT_STATIC,
    DictLiteral,
    KnownList,
    ListView,
    LocalFunction,
    StaticDict,
    StaticTuple,
    refuse_local_function_argument,
    refuse_maker,
)
from .inlining import Dependencies, inlinable, inline_target, is_derivative, jvp_call_in_order
from .spread import rule_body

UNARY = {ast.USub: np.negative, ast.UAdd: np.positive}


_ROW_STACK = getattr(np, "row_stack", object())


def _einsum_vjp():
    from ...rules.einsum import einsum_vjp

    return einsum_vjp


# Array methods and the numpy function each one means.
METHODS = {
    "sum": np.sum,
    "mean": np.mean,
    "prod": np.prod,
    "max": np.max,
    "min": np.min,
    "std": np.std,
    "var": np.var,
    "dot": np.dot,
    "ravel": np.ravel,
    "flatten": np.ravel,
    "squeeze": np.squeeze,
    "clip": np.clip,
    "cumsum": np.cumsum,
    "cumprod": np.cumprod,
    "argmax": np.argmax,
    "argmin": np.argmin,
    "copy": np.copy,
    "swapaxes": np.swapaxes,
    "trace": np.trace,
    "any": np.any,
    "all": np.all,
    "round": np.round,
    "nonzero": np.nonzero,
    "conj": np.conjugate,
    "conjugate": np.conjugate,
}
SHAPE_METHODS = {"reshape": np.reshape, "transpose": np.transpose}
NONDIFF_ATTRS = {"shape", "ndim", "size", "dtype"}
NONDIFF_BUILTINS = {len, range, isinstance, int, bool, type, print, str, enumerate, zip, id, hasattr, callable}
FLOAT_DTYPES = {float, np.float64, np.float32, np.float16, "float", "float64", "float32"}
# numpy functions that make an array of their argument (np.asarray: the argument itself when it is one)
_AS_ARRAY = {np.array, np.asarray, np.asanyarray, np.ascontiguousarray}
# numpy functions that write into an argument in place
_MUTATORS = {np.copyto, np.put, np.place, np.putmask, np.fill_diagonal, np.put_along_axis}


class Expressions:
    """Operators, attributes, methods and calls."""

    def value(self, e, ctx):
        """Flatten ``e``: sub-expressions become atoms; returns the top right-hand side."""
        method = getattr(self, "expr_" + type(e).__name__, None)
        if method is None:
            raise ctx.error(e, f"the expression '{type(e).__name__}' is not supported by srcgrad.grad")
        return method(e, ctx)

    def expr(self, e, ctx, base="t"):
        return self.atom(self.value(e, ctx), e, ctx, base)

    def expr_Constant(self, e, ctx):
        return Const(ast.Constant(value=e.value))

    def expr_Name(self, e, ctx):
        if e.id in ctx.rename and ctx.rename[e.id] in self.static:
            return self.view(self.static[ctx.rename[e.id]])
        if e.id in ctx.rename and ctx.rename[e.id] in self.text_params:  # a string argument: its value
            return Const(ast.Constant(value=self.text_params[ctx.rename[e.id]]))
        if e.id in ctx.rename:
            return Var(ctx.rename[e.id])
        if e.id in ctx.local_funcs:
            return ctx.local_funcs[e.id]
        value = self.resolve_global(e.id, e, ctx)
        return Const(self.global_ref(e.id, value, ctx))

    def expr_Compare(self, e, ctx):
        return self.nondiff(e, ctx)

    def expr_UnaryOp(self, e, ctx):
        if isinstance(e.op, ast.Not):
            return self.nondiff(e, ctx)
        if isinstance(e.op, ast.Invert):
            return self.nondiff(e, ctx)
        operand = self.expr(e.operand, ctx)
        if isinstance(operand, Const):
            return Const(ast.UnaryOp(op=e.op, operand=operand.node))
        return self.call_prim(UNARY[type(e.op)], [operand], {}, e, ctx, style="unary", op=e.op)

    def expr_BinOp(self, e, ctx):
        fn = BINOPS.get(type(e.op))
        if fn is None:
            return self.nondiff(e, ctx)
        if self.known_ints and any(
            isinstance(n, ast.Name) and ctx.rename.get(n.id) in self.known_ints for n in ast.walk(e)
        ):
            k = self.static_int(e, ctx)
            if k is not None:  # index arithmetic of a rule-table helper (argnum - 1): done while compiling
                return Const(ast.Constant(value=k))
        if (
            isinstance(e.op, ast.Add)
            and (isinstance(e.left, ast.Tuple) or isinstance(e.right, ast.Tuple))
            and self.shape_expression(e, ctx)
        ):
            return self.nondiff(e, ctx)  # (-1,) + np.shape(x)[1:]: shape arithmetic
        left = self.expr(e.left, ctx)
        right = self.expr(e.right, ctx)
        if isinstance(left, tuple) and isinstance(right, tuple) and isinstance(e.op, ast.Add):
            return left + right  # tuple concatenation, at compile time
        grown = [a.name for a in (left, right) if isinstance(a, Var) and a.name in ctx.grown]
        if grown:
            raise ctx.error(
                e,
                f"'{grown[0]}' grows inside a branch or loop, so srcgrad.grad keeps it as a list: "
                f"it supports {grown[0]} = {grown[0]} + (v, ...) and {grown[0]} += (v, ...) only",
            )
        if isinstance(left, tuple) or isinstance(right, tuple):
            raise ctx.error(e, "arithmetic on a tuple or list written in place is not supported")
        if any(isinstance(a, Var) and a.name in self.lists for a in (left, right)):
            raise ctx.error(
                e,
                "arithmetic on a list ('+' joins lists, '*' repeats them) is not supported: append "
                "to it, or combine its items with np.stack / np.concatenate",
            )
        if any(isinstance(a, (StaticDict, DictLiteral, LocalFunction)) for a in (left, right)):
            raise ctx.error(e, "arithmetic on a dict or function is not supported")
        return self.call_prim(fn, [left, right], {}, e, ctx, style="binop", op=e.op)

    def expr_Attribute(self, e, ctx):
        chain = self.static_value(e, ctx)
        if chain is not NOT_STATIC:
            return Const(self.const_node(chain, e.attr))
        if e.attr in NONDIFF_ATTRS:
            return self.nondiff(e, ctx)
        if e.attr == "T":
            base = self.expr(e.value, ctx)
            return self.call_prim(np.transpose, [base], {}, e, ctx)
        if e.attr in ("real", "imag"):  # z.real is np.real(z)
            base = self.expr(e.value, ctx)
            return self.call_prim(np.real if e.attr == "real" else np.imag, [base], {}, e, ctx)
        raise ctx.error(e, f"the attribute .{e.attr} of a local value is not supported by srcgrad.grad")

    def expr_Lambda(self, e, ctx):
        return LocalFunction(e, ctx)

    def expr_Call(self, e, ctx):
        spread_callee = None
        if any(k.arg is None for k in e.keywords):  # f(**d): its entries written out as keywords (spread.py)
            e = self.spread_keywords(e, ctx)
        if any(isinstance(a, ast.Starred) for a in e.args) and self.of_shapes_only(e, ctx):
            return self.nondiff(e, ctx)  # rs.randn(*x.shape): integers in, so no derivative out
        if any(isinstance(a, ast.Starred) for a in e.args):  # f(*seq): its items written out (spread.py)
            e, spread_callee = self.spread(e, ctx)
        func = e.func
        # Methods of local values: x.sum(axis=0) -> np.sum(x, axis=0)
        if isinstance(func, ast.Attribute) and self.static_value(func, ctx) is NOT_STATIC:
            return self.method_call(e, ctx)
        made = self.made_callee(func, ctx) if isinstance(func, ast.Call) and spread_callee is None else None
        if made is not None:  # srcgrad.grad(f)(x): the derivative, made while compiling
            callee, made_kwargs = made
        else:
            callee, made_kwargs = spread_callee or self.stood_in(self.static_callee(func, ctx), e, ctx), {}
        if callee is _ROW_STACK:  # numpy's second name for np.vstack (deprecated since numpy 2.0): read as np.vstack
            callee = np.vstack
        if isinstance(callee, LocalFunction):
            return self.inline(callee, e, ctx)
        callee = self.specialised_callee(callee, e, ctx)
        refuse_maker(callee, e, ctx)
        refuse_local_function_argument(callee, e, ctx)
        if draws_random(callee):  # rs.randn(3), np.random.normal(size=n), np.random.RandomState(0)
            return self.random_draw(self.callee_node(func, callee, ctx), frozenset(), e, ctx)
        derivative = None
        if is_derivative(callee):
            items = self.items_callee(callee, e, ctx)
            if items is not None:  # containers read item by item (makers.py)
                args = [self.expr(a, ctx) for a in e.args]
                kwargs = {k.arg: self.expr(k.value, ctx) for k in e.keywords}
                return self.inline(items, e, ctx, args=args, kwargs={**kwargs, **made_kwargs})
            derivative = callee
            # a compiled gradient or JVP (higher order): differentiated through the code it generated
            if getattr(callee, "tangent_tuple", False) and e.args and isinstance(e.args[-1], ast.Tuple):
                # jvp(f, wrt=(0, 1))(x, y, (tx, ty)): the generated function takes the tangents one by one
                e = ast.copy_location(
                    ast.Call(func=e.func, args=e.args[:-1] + list(e.args[-1].elts), keywords=e.keywords), e
                )
            e = jvp_call_in_order(callee, e, ctx, self.const_node)  # jvp(f)(x, t, scale=s): f's parameters in order
            known = {**self.argument_kinds(e, ctx), **self.item_shapes(e, ctx), **self.text_arguments(e, ctx)}
            for i, a in enumerate(e.args):  # a dict's keys, a list of several shapes: the code is specialised
                if i not in known and getattr(callee, "items_target", None) is None and self.nested_ragged(a, ctx):
                    known[i] = 4  # a JVP reads a nested list of several lengths as a list, as when called with one
                    continue
                given = None if i in known else self.container_given(a, e, ctx)
                if given is not None:
                    known[i] = given
            callee, deps = inline_target(callee, known, e, ctx)
            self.deps.append(Dependencies(deps))
            keyword = getattr(callee, "cotangent_keyword", "dout")
            if keyword != "dout":  # the user's function has a `dout` of its own: the code's keyword is dout_2
                e = ast.copy_location(
                    ast.Call(
                        func=e.func,
                        args=e.args,
                        keywords=[
                            ast.keyword(arg=keyword if k.arg == "dout" else k.arg, value=k.value) for k in e.keywords
                        ],
                    ),
                    e,
                )
        if (
            callee is len
            and len(e.args) == 1
            and not e.keywords
            and isinstance(e.args[0], ast.Name)
            and ctx.rename.get(e.args[0].id) in self.static
        ):
            container = self.static[ctx.rename[e.args[0].id]]
            if isinstance(container, StaticDict) and container.present != set(container):
                raise ctx.error(
                    e,
                    f"len({e.args[0].id}): some keys of the dict may be missing here (set only "
                    "inside a branch or loop above)",
                )
            return Const(ast.Constant(value=len(container.items if isinstance(container, StaticTuple) else container)))
        pairs = _dict_pairs(e) if callee is dict else None
        if pairs is not None:
            # dict(a=x, b=y) is the dict {'a': x, 'b': y}; so is dict([('a', x)], b=y), and dict({'a': x})
            return self.expr_Dict(
                ast.copy_location(ast.Dict(keys=[k for k, _ in pairs], values=[v for _, v in pairs]), e),
                ctx,
            )
        if callee in NONDIFF_BUILTINS:
            return self.nondiff(e, ctx)
        if any(k.arg == "out" for k in e.keywords) or out_given_positionally(callee, len(e.args)):
            raise ctx.error(
                e,
                "out= (numpy's out, here or given positionally) writes into an existing array in "
                "place, which srcgrad.grad cannot follow; use the returned value",
            )
        if callee in _MUTATORS or (
            getattr(callee, "__name__", None) == "at" and isinstance(getattr(callee, "__self__", None), np.ufunc)
        ):
            name = getattr(callee, "__qualname__", None) or getattr(callee, "__name__", "it")
            raise ctx.error(
                e,
                f"{name} writes into its argument in place, which srcgrad.grad cannot follow: "
                "compute the new value instead (y = np.where(mask, v, y), index assignment into "
                "an array the function creates)",
            )
        joined = self.joined_rows_of_a_sequence(callee, e, ctx)
        if joined is not None:
            return joined
        reducer = _list_reducer(callee)
        if reducer is not None and e.args:  # np.hstack(tuple(lst)) is np.hstack(lst): the items read at once
            e = ast.copy_location(
                ast.Call(func=e.func, args=[self.untupled(e.args[0], ctx), *e.args[1:]], keywords=e.keywords), e
            )
        plain = reducer is None and not (inlinable(callee) and get_rule(callee) is None)

        def argument(a):
            """An argument's atom; a list of constants given to a numpy function is a constant too (indices,
            pad widths: np.take(x, [0, 2]), np.ix_([0, 1], [2, 0]))."""
            if plain and isinstance(a, ast.List):
                node, reads = self.rewrite(a, ctx)
                if not reads:
                    return Const(node)
            if isinstance(a, ast.Name) and ctx.rename.get(a.id) in self.known_ints:  # an index passed on
                return Const(ast.Constant(value=self.known_ints[ctx.rename[a.id]]))
            return self.expr(a, ctx)

        if rule_body(callee):  # tuple(douts) given to a rule's VJP in generated code: the list, read at once
            e = ast.copy_location(
                ast.Call(func=e.func, args=[self.untupled(a, ctx) for a in e.args], keywords=e.keywords), e
            )
        args = self.spread_values(
            [argument(a.value) if isinstance(a, ast.Starred) else argument(a) for a in e.args], e, ctx
        )
        kwargs = {k.arg: argument(k.value) for k in e.keywords}
        if callee is list and len(args) == 1 and not kwargs and isinstance(args[0], tuple):
            return KnownList(args[0])  # list(t) of a tuple the compiler knows: kept the same way, items settable
        if callee is tuple and len(args) == 1 and not kwargs and isinstance(args[0], ListView):
            return tuple(args[0])  # a copy of a list kept at compile time: its items now
        if callee is tuple and len(args) == 1 and not kwargs:
            kept = self.tuple_kept(e.args[0], args[0])
            if kept is not None:
                return kept
        for k, v in made_kwargs.items():
            if k in kwargs:
                raise ctx.error(e, f"the keyword argument '{k}' names a variable the differentiated function reads")
            kwargs[k] = v
        if reducer is not None and args and isinstance(args[0], tuple):
            args[0] = self.listed(args[0], e, ctx)  # (a tuple of tuples: a list of lists, as written with [])
        if reducer is not None and args and isinstance(args[0], Var) and args[0].name in self.lists:
            kind, prim = reducer
            if (callee is np.stack or callee is np.concatenate) and len(args) == 2 and isinstance(args[1], Const):
                kwargs = {"axis": args[1], **kwargs}  # np.concatenate((a, b), 1): the axis given by position
                args = args[:1]
            if any(not isinstance(v, Const) for v in kwargs.values()):
                raise ctx.error(e, "np.stack / np.concatenate of a list needs its axis written as a number here")
            if len(args) > 1 or (kind == "sum" and kwargs):
                raise ctx.error(e, "pass the axis of np.stack / np.concatenate by keyword (axis=...)")
            node = ast.Call(
                func=self.callee_node(func, callee, ctx) if spread_callee is None else self.const_node(callee),
                args=[ast.Name(id=args[0].name, ctx=ast.Load())],
                keywords=[ast.keyword(arg=k, value=copy.deepcopy(v.node)) for k, v in kwargs.items()],
            )
            return ListReduce(kind, prim, node, args[0], kwargs)
        if reducer is not None and any(isinstance(a, Var) and a.name in self.lists for a in args[1:]):
            raise ctx.error(e, f"{ast.unparse(func)} takes its list first; a list passed after it is not supported")
        if reducer is None and callee not in _READ_HERE and get_rule(callee) is None and _alias_of(callee) is not None:
            # the rule table's adaptor (np.select, np.correlate, operator.mul, ...), read as the tape reads it
            try:
                return self.inline(_alias_of(callee), e, ctx, args=args, kwargs=kwargs)
            except TransformError as err:  # said at the user's line, not the adaptor's
                name = getattr(callee, "__qualname__", None) or getattr(callee, "__name__", "this function")
                raise ctx.error(
                    e,
                    f"srcgrad.grad cannot differentiate {name} here (its rule-table adaptor "
                    f"says: {err.message}); dynamic mode (Tensors) can",
                ) from None
        if not (inlinable(callee) and get_rule(callee) is None):  # your own functions take tuples and lists
            if (
                (any(isinstance(a, tuple) for a in args) or any(isinstance(a, tuple) for a in kwargs.values()))
                and all(_const_tuple(a) for a in args)
                and all(_const_tuple(a) for a in kwargs.values())
            ):
                return self.nondiff(e, ctx)
            args = [self.sequence(a, callee, i, e, ctx) for i, a in enumerate(args)]
            kwargs = {k: self.sequence(a, callee, None, e, ctx) for k, a in kwargs.items()}
        if (
            callee in _AS_ARRAY
            and len(args) == 1
            and isinstance(args[0], Var)
            and args[0].name not in self.lists
            and set(kwargs) <= {"dtype"}
            and all(_dtype_kind(self.static_value(k.value, ctx)) == "f" for k in e.keywords)
        ):
            # np.array(x) / np.asarray(x) of a value (an array, a list argument): the identity on its numbers
            node = ast.Call(
                func=self.callee_node(func, callee, ctx),
                args=[atom_node(args[0])],
                keywords=[ast.keyword(arg=k, value=atom_node(v)) for k, v in kwargs.items()],
            )
            return Cast(args[0], node)
        if callee is sum and len(args) == 1 and not kwargs and isinstance(args[0], Var):
            # Python's sum over an array (or a list argument) adds its rows: np.sum(x, axis=0)
            return self.call_prim(np.sum, args, {"axis": Const(ast.Constant(value=0))}, e, ctx)
        if reducer is not None and args and isinstance(args[0], Var) and args[0].name not in self.lists:
            joined = self.joined_rows_call(callee, args, kwargs, e, ctx)
            if joined is not None:
                return joined
            # np.array(xs, dtype=int) of an argument or an array: no rule takes it whole (refused where it matters)
            spelled, name = (ast.unparse(e.args[0]) if e.args else "..."), ast.unparse(func)
            node, reads = self.rewrite(e, ctx)
            return NonDiff(
                node,
                reads,
                unknown=f"{name}({spelled}) of a value that is not a list built in the "
                f"function (write {name}([{spelled}[0], {spelled}[1], ...]))",
            )
        if callee is float and len(args) == 1 and not kwargs and isinstance(args[0], Var):
            return Cast(
                args[0],
                ast.Call(
                    func=ast.Name(id=self.ns.bind(float, "float"), ctx=ast.Load()),
                    args=[ast.Name(id=args[0].name, ctx=ast.Load())],
                    keywords=[],
                ),
            )
        func_node = self.callee_node(func, callee, ctx)
        if callee is _einsum_vjp():
            return self.einsum_cotangent_call(args, kwargs, e, ctx)
        if callee is np.einsum:
            from ...rules.einsum import einsum_args

            callee_rule = get_rule(einsum_args)
            args = self.einsum_sublists_at_run_time(_einsum_interleaved(args, e, ctx), e, ctx)
            if args and isinstance(args[0], (Const, Var)) and not set(kwargs) - {"optimize"}:
                return self.multi(Prim(einsum_args, callee_rule, args, kwargs, style="call", func=func_node), e, ctx)
        if callee in (np.split, np.array_split):
            from ...rules.shape import split_tuple

            return self.multi(
                Prim(split_tuple, get_rule(split_tuple), args, kwargs, style="call", func=func_node), e, ctx
            )
        if callee is np.linalg.svd or callee is np.linalg.svdvals:
            return self.svd_call(callee, args, kwargs, e, ctx)
        if callee is np.gradient:
            return self.gradient_call(args, kwargs, e, ctx)
        if callee in (np.atleast_1d, np.atleast_2d, np.atleast_3d):
            from ...rules.shape import atleast_p

            if len(args) != 1 or kwargs:
                raise ctx.error(e, f"srcgrad.grad takes np.{callee.__name__} of one array: call it once per array")
            return Prim(
                atleast_p,
                get_rule(atleast_p),
                [args[0], Const(ast.Constant(value=int(callee.__name__[-2])))],
                {},
                style="call",
                func=self.const_node(atleast_p, "atleast_p"),
            )
        rule = get_rule(callee)
        if (
            all(isinstance(a, Const) for a in args)
            and all(isinstance(a, Const) for a in kwargs.values())
            and (rule is not None or not inlinable(callee))
        ):
            return self.nondiff(e, ctx)
        if rule is not None:
            if not rule.differentiable:
                return self.nondiff(e, ctx)
            return self.multi(Prim(callee, rule, args, kwargs, style="call", func=func_node), e, ctx)
        if inlinable(callee):
            if derivative is not None:
                return self.inline_derivative(derivative, callee, e, ctx, args, kwargs, known)
            return self.inline(callee, e, ctx, args=args, kwargs=kwargs)
        return Opaque(callee, func_node, args, kwargs)

    def text_arguments(self, e, ctx):
        """``{position: value}`` of a call's positional arguments that are strings known while compiling (a
        literal, or a string argument of this specialisation)."""
        texts = {}
        for i, a in enumerate(e.args):
            if isinstance(a, ast.Constant) and type(a.value) is str:
                texts[i] = a.value
            elif isinstance(a, ast.Name) and ctx.rename.get(a.id) in self.text_params:
                texts[i] = self.text_params[ctx.rename[a.id]]
        return texts

    def argument_kinds(self, e, ctx):
        """``{position: key part}`` of a call's positional arguments that are parameters of this specialisation
        known to be numbers or arrays of a shape and never assigned (``known_params``). An array is left out when
        the call passes it twice, since the code read for the call would take its two parameters for two arrays."""
        kinds = {}
        names = [ctx.rename.get(a.id) if isinstance(a, ast.Name) else None for a in e.args]
        for i, name in enumerate(names):
            if name not in self.params or name in self.stored_params:
                continue
            k = self.known_params.get(name)
            if k is not None and (k == 1 or names.count(name) == 1):
                kinds[i] = k
        return kinds

    def spread_values(self, args, e, ctx):
        """A call's argument atoms with each ``*value`` left by ``spread`` (a call whose result the compiler knows
        only once it is normalized: ``*replace_arg(operands, i, c)`` in a rule-table helper) spread: the value
        must be a tuple known while compiling."""
        if not any(isinstance(a, ast.Starred) for a in e.args):
            return args
        out = []
        for a, given in zip(args, e.args):
            if not isinstance(given, ast.Starred):
                out.append(a)
            elif isinstance(a, tuple):
                out.extend(a)
            else:
                raise ctx.error(
                    given,
                    f"*{ast.unparse(given.value)} in a call: srcgrad.grad spreads a tuple or list only where it "
                    "knows the items (written in the call, or a tuple built in the function)",
                    hint="Pass the items one by one: f(s[0], s[1]).",
                )
        return out

    def inline_derivative(self, derivative, fn, e, ctx, args, kwargs, known=None):
        """Inline ``fn``, the generated code of the ``GradFunction``/``JVPFunction`` ``derivative``; a refusal met
        inside it (in that code, or in a rule it reads) is said at the user's line, naming where it arose
        (``known``: the positions of the arguments its code is specialised on)."""
        for i, a in enumerate(list(args) + list(kwargs.values())):
            if known and i < len(args) and i in known:
                continue
            if isinstance(a, (StaticDict, DictLiteral)) or (isinstance(a, Var) and a.name in self.dict_keys):
                # (the code read here is the general specialisation, made for arrays and numbers: it would index
                # the dict's gradient as an array)
                raise ctx.error(
                    e,
                    f"{derivative!r} is given a dict here: a function calling a compiled gradient or JVP is "
                    "differentiated for array and number arguments only; pass the dict's arrays as arguments, "
                    "or use dynamic mode (Tensors, create_graph=True)",
                )
        try:
            return self.inline(fn, e, ctx, args=args, kwargs=kwargs)
        except TransformError as err:
            if err.filename == ctx.parsed.filename and not getattr(err, "from_generated", False):
                raise
            where = f"{err.filename}, line {err.lineno}" if err.lineno else err.filename
            code = f": {err.source_line.strip()}" if err.source_line else ""
            # named as the user made it (the JVP of f, the gradient of h), not by its generated function's name;
            # the advice to use dynamic mode said once (a third derivative's refusal is wrapped twice)
            what = "the JVP" if type(derivative).__name__ == "JVPFunction" else "the gradient"
            advice = "" if "dynamic mode" in err.message else "; dynamic mode (Tensors, create_graph=True) can do it"
            raise ctx.error(
                e,
                f"{what} of {derivative.__qualname__} called here, differentiated: {err.message} (at {where}{code})"
                f"{advice}",
            ) from None

    def einsum_sublists_at_run_time(self, args, e, ctx):
        """``np.einsum(op0, sublist0, op1, sublist1, ...[, output])`` whose sublists are values (arguments holding
        tuples of labels) as ``[subscripts, op0, op1, ...]``, the subscripts spelled when the code runs
        (``einsum_sublist_subscripts``, no derivative); other argument lists as they are. (The first argument is
        no string here: a string argument is written in as its value.)"""
        from ...rules.einsum import einsum_sublist_subscripts

        if len(args) < 2 or (isinstance(args[0], Const) and isinstance(args[0].node, ast.Constant)):
            return args
        if any(not isinstance(a, (Var, Const)) or (isinstance(a, Var) and a.name in self.lists) for a in args):
            return args
        odd = len(args) % 2
        labels = args[1 : len(args) - odd : 2] + args[len(args) - odd :]
        if not all(isinstance(a, Var) and a.name in self.params and a.name not in self.rebound for a in labels) or any(
            isinstance(v, NonDiff) for v, _ in self.values_of.get(getattr(args[0], "name", None), ())
        ):
            return args  # (sublists given as arguments, an operand first: not a string computed in the function)
        sublists = [atom_node(a) for a in args[1 : len(args) - odd : 2]]
        call = ast.Call(
            func=self.const_node(einsum_sublist_subscripts, "einsum_sublist_subscripts"),
            args=[ast.Tuple(elts=sublists, ctx=ast.Load()), atom_node(args[-1]) if odd else ast.Constant(value=None)],
            keywords=[],
        )
        reads = frozenset(a.name for a in args[1::2] if isinstance(a, Var)) | (
            frozenset([args[-1].name]) if odd and isinstance(args[-1], Var) else frozenset()
        )
        subscripts = self.atom(NonDiff(call, reads), e, ctx, base="subscripts")
        return [subscripts, *args[0 : len(args) - odd : 2]]

    def einsum_cotangent_call(self, args, kwargs, e, ctx):
        """``einsum_vjp(g, subscripts, operands, i, optimize)`` (einsum's VJP, differentiated again) as the primitive
        ``einsum_cotangent(g, subscripts, i, *operands, optimize=...)``, whose rules are einsums again."""
        from ...rules.einsum import einsum_cotangent

        bound = dict(zip(["g", "subscripts", "operands", "i", "optimize"], args))
        bound.update(kwargs)
        operands = bound.get("operands")
        if (
            len(args) > 5
            or set(bound) - {"g", "subscripts", "operands", "i", "optimize"}
            or not isinstance(operands, tuple)
        ):
            raise ctx.error(e, "einsum_vjp takes (g, subscripts, operands, i, optimize) with operands a tuple")
        extra = {"optimize": bound["optimize"]} if "optimize" in bound else {}
        return Prim(
            einsum_cotangent,
            get_rule(einsum_cotangent),
            [bound["g"], bound["subscripts"], bound["i"], *operands],
            extra,
            style="call",
            func=self.const_node(einsum_cotangent, "einsum_cotangent"),
        )

    def multi(self, prim, e, ctx):
        """A primitive returning several values: its result is a list-like variable read with ``ListGet``."""
        if not getattr(prim.rule, "multiple_outputs", False):
            return prim
        name = self.temp("outs")
        self.assign(name, prim, e, ctx)
        self.lists.add(name)
        self.temp_lists.add(name)  # no other name yet: the name it is given (parts = np.split(x, 3)) is its own
        self.multi_outputs.add(name)
        self.results_lists.add(name)
        return Var(name)

    def sequence(self, a, callee, position, e, ctx):
        """A list or tuple passed to a library function, as numpy reads it.

        Where the function's rule differentiates that argument, numpy makes an array of it, and so does the
        generated code: ``np.sum([1, a * a])`` is ``np.sum(np.array([1, a * a]))`` (the ``np.stack`` rule gives
        each item its cotangent). Elsewhere (a shape, an axis, an index: no derivative by the rule) it is passed
        as it is. A function with no rule gets it as it is too, marked unknown, so that a derivative that would
        flow through it is refused rather than dropped; so does a keyword argument (``_check_keywords``).
        """
        is_list = isinstance(a, Var) and a.name in self.lists
        if not is_list and (not isinstance(a, tuple) or _const_tuple(a)):
            return self.pack(a, e, ctx)
        rule = get_rule(callee)
        self.refuse_nested_trailing(a, callee, rule, position, e, ctx)  # (odeint's args=(params,))
        if rule is not None and rule.differentiable and position is not None and rule.vjp_at(position) is not None:
            return self.as_array(a, e, ctx)
        if is_list and rule is not None and position is not None:
            return a  # the list itself, read by the rule (no second name: a derivative of it reads it again)
        node = _sequence_node(a)
        reads = frozenset(n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in self.names_seen(a))
        name = getattr(callee, "__name__", "the function")
        unknown = (
            None
            if rule is not None and position is not None
            else (
                f"the list or tuple passed to {name}"
                + (" by keyword" if rule is not None else " (a function with no derivative rule)")
            )
        )
        return self.atom(NonDiff(node, reads, unknown=unknown), e, ctx, base="seq")

    def names_seen(self, a):
        """The variables a (nested) tuple of atoms names."""
        if isinstance(a, Var):
            return {a.name}
        if isinstance(a, tuple):
            return set().union(*(self.names_seen(x) for x in a)) if a else set()
        return set()

    def as_array(self, a, e, ctx):
        """``np.array(...)`` of a list variable or a (nested) tuple of atoms: the ``np.stack`` of its items."""
        from ...rules.shape import stack_args

        if isinstance(a, tuple):
            items = [self.as_array(x, e, ctx) if isinstance(x, tuple) else x for x in a]
            a = self.atom(ListNew(items), e, ctx)
        node = ast.Call(func=self.const_node(np.array), args=[atom_node(a)], keywords=[])
        return self.atom(ListReduce("stack", stack_args, node, a), e, ctx, base="array")

    def pack(self, a, e, ctx):
        """A tuple of atoms passed to a function: build it with a no-derivative expression when constant (also a
        tuple of such tuples: ``np.pad(x, ((0, 1), (0, 0)))``)."""
        if not isinstance(a, tuple):
            return a
        if _const_tuple(a):
            return Const(_tuple_node(a))
        raise ctx.error(
            e,
            "passing a list or tuple of differentiable values to a function is not supported yet "
            "(np.stack / np.concatenate / np.array of a list)",
        )

    def callee_node(self, func, callee, ctx):
        """How the generated code names ``callee``: the user's own spelling (``np.sin``) when it is static."""
        base = func
        while isinstance(base, ast.Attribute):
            base = base.value
        if isinstance(base, ast.Name) and base.id not in ctx.rename and base.id not in ctx.local_funcs:
            node, _ = self.rewrite(func, ctx)
            return node
        return self.const_node(callee, getattr(callee, "__name__", "f"))

    def dict_get(self, e, ctx):
        """``d.get(k[, default])`` of a dict whose keys are known here (built in the function, or an argument) and
        a constant key: ``d[k]`` where ``d`` has the key, else the default (``None`` without one)."""
        recv, args = e.func.value, e.args
        if not (
            isinstance(recv, ast.Name)
            and recv.id in ctx.rename
            and 1 <= len(args) <= 2
            and not e.keywords
            and isinstance(args[0], ast.Constant)
        ):
            return None
        name = ctx.rename[recv.id]
        container = self.static.get(name)
        if isinstance(container, StaticDict):
            if args[0].value in container and args[0].value not in container.present:
                raise ctx.error(e, f"{recv.id}.get({args[0].value!r}): the key may be missing here (set on some paths)")
            keys = set(container)
        elif container is None and name in self.dict_keys and name not in self.rebound:
            keys = set(self.dict_keys[name])
        else:
            return None
        if args[0].value in keys:
            return self.expr(ast.copy_location(ast.Subscript(value=recv, slice=args[0], ctx=ast.Load()), e), ctx)
        return self.expr(args[1], ctx) if len(args) == 2 else Const(ast.Constant(value=None))

    def random_draw(self, func_node, receiver_reads, e, ctx):
        """A call that draws random numbers (``draws.py``): no derivative, computed once where the function computes
        it (``NonDiff.draws``). A draw given a value that may carry a derivative (``rs.normal(mu)``) is marked
        unknown, so refused where a derivative would flow through it."""
        args = [self.expr(a, ctx) for a in e.args]
        kwargs = {k.arg: self.expr(k.value, ctx) for k in e.keywords}
        node = ast.Call(
            func=func_node,
            args=[_sequence_node(a) for a in args],
            keywords=[ast.keyword(arg=k, value=_sequence_node(v)) for k, v in kwargs.items()],
        )
        given = set().union(set(), *(self.names_seen(a) for a in list(args) + list(kwargs.values())))
        unknown = f"the random draw {ast.unparse(e)}" if given else None
        return NonDiff(node, frozenset(given) | receiver_reads, unknown=unknown, draws=True)

    def method_call(self, e, ctx):
        attr = e.func.attr
        if isinstance(e.func.value, ast.Name) and ctx.rename.get(e.func.value.id) in self.generators:
            func_node, reads = self.rewrite(e.func, ctx)  # rng.randn(3) of rng = np.random.RandomState(0)
            return self.random_draw(func_node, reads, e, ctx)
        if attr == "get":
            got = self.dict_get(e, ctx)
            if got is not None:
                return got
        recv = self.expr(e.func.value, ctx)
        if isinstance(recv, tuple):
            raise ctx.error(e, f"the method .{attr}() of a tuple is not supported")
        args = [self.expr(a, ctx) for a in e.args]
        kwargs = {k.arg: self.expr(k.value, ctx) for k in e.keywords}
        if any(k.arg == "out" for k in e.keywords) or out_given_positionally(METHODS.get(attr), len(e.args) + 1):
            raise ctx.error(
                e,
                f"out= (numpy's out, here or given positionally) writes into an existing array in "
                f"place, which srcgrad.grad cannot follow; use the value .{attr}() returns",
            )
        if attr == "astype":
            dtype_node = e.args[0] if e.args else next((k.value for k in e.keywords if k.arg == "dtype"), None)
            dtype = self.static_value(dtype_node, ctx) if dtype_node is not None else NOT_STATIC
            kind = _dtype_kind(dtype)
            if kind == "c":
                raise ctx.error(e, "astype to a complex dtype is not supported by srcgrad.grad")
            if kind in ("b", "i", "u", "U", "S", "M", "m"):
                return self.nondiff(e, ctx)  # integers, booleans, text: no derivative
            if kind != "f":
                node, reads = self.rewrite(e, ctx)
                return NonDiff(
                    node,
                    reads,
                    unknown=f"{ast.unparse(e.func)}(...) with a dtype the compiler cannot "
                    "tell (a float dtype has a derivative, an integer one none)",
                )
            from ...rules.shape import astype

            return self.call_prim(astype, [recv] + args, kwargs, e, ctx, func_name="astype")
        if attr == "pop" and not args and not kwargs and isinstance(recv, Var) and recv.name in self.lists:
            return ListPop(recv, Const(ast.Constant(value=-1)))  # (a generated gradient's stack, read again)
        if attr == "item" and not args:
            return (
                Cast(
                    recv,
                    ast.Call(
                        func=ast.Attribute(value=atom_node(recv), attr="item", ctx=ast.Load()), args=[], keywords=[]
                    ),
                )
                if isinstance(recv, Var)
                else self.nondiff(e, ctx)
            )
        if attr in SHAPE_METHODS:
            fn = SHAPE_METHODS[attr]
            if len(args) == 1 and isinstance(args[0], tuple) and all(isinstance(a, (Var, Const)) for a in args[0]):
                args = [Const(ast.Tuple(elts=[atom_node(a) for a in args[0]], ctx=ast.Load()))]  # x.reshape((3, 4))
            elif len(args) > 1 or (
                len(args) == 1
                and attr == "reshape"
                and isinstance(args[0], Const)
                and isinstance(args[0].node, ast.Constant)
                and isinstance(args[0].node.value, int)
            ):
                shape = Const(ast.Tuple(elts=[atom_node(a) for a in args], ctx=ast.Load()))
                args = [shape]
            return self.call_prim(fn, [recv] + args, kwargs, e, ctx)
        fn = METHODS.get(attr)
        if fn is None:
            raise ctx.error(e, f"the method .{attr}() of a local value is not supported by srcgrad.grad")
        args = [self.pack(a, e, ctx) for a in args]  # x.max(axis=(0, 1)), as np.max(x, axis=(0, 1))
        kwargs = {k: self.pack(a, e, ctx) for k, a in kwargs.items()}
        return self.call_prim(fn, [recv] + args, kwargs, e, ctx)

    def joined_rows_of_a_sequence(self, callee, e, ctx):
        """``joined_rows(seq, how, axis)`` of a tuple or list (generated code read again, its argument now built
        in the function): the numpy function ``how`` of it, as a list is joined (``None`` for any other call)."""
        from ...rules.shape import joined_rows

        if callee is not joined_rows or len(e.args) != 3 or e.keywords:
            return None
        how, axis = self.static_value(e.args[1], ctx), self.static_value(e.args[2], ctx)
        seq = e.args[0]
        if not (
            isinstance(seq, (ast.Tuple, ast.List))
            or (
                isinstance(seq, ast.Name)
                and (ctx.rename.get(seq.id) in self.static or ctx.rename.get(seq.id) in self.lists)
            )
        ):
            return None
        keywords = [ast.keyword(arg="axis", value=ast.Constant(value=axis))] if how in ("stack", "concatenate") else []
        call = ast.Call(func=self.const_node(getattr(np, how), how), args=[seq], keywords=keywords)
        return self.value(ast.copy_location(call, e), ctx)

    def joined_rows_call(self, callee, args, kwargs, e, ctx):
        """``np.concatenate(xs, axis=k)`` (or np.stack, hstack, vstack, column_stack, dstack) of a value, not a list
        built in the function (a list or tuple argument of arrays of one shape, or an array): ``joined_rows``, its
        rows joined; ``None`` for a call it does not fit (refused where a derivative would flow)."""
        from ...rules.shape import joined_rows

        how = getattr(callee, "__name__", None)
        if callee not in (np.stack, np.concatenate, np.hstack, np.vstack, np.column_stack, np.dstack):
            return None
        if how in ("stack", "concatenate"):
            if len(args) == 2 and "axis" not in kwargs:
                kwargs = {"axis": args[1]}
            elif len(args) != 1 or set(kwargs) - {"axis"}:
                return None
            axis = kwargs.get("axis", Const(ast.Constant(value=0)))
            if not isinstance(axis, Const):
                return None
        elif len(args) != 1 or kwargs:
            return None
        else:
            axis = Const(ast.Constant(value=None))
        return self.call_prim(joined_rows, [args[0], Const(ast.Constant(value=how)), axis], {}, e, ctx)

    def call_prim(self, fn, args, kwargs, node, ctx, style="call", op=None, func_name=None):
        """The right-hand side for calling primitive ``fn`` (or no-derivative / opaque when it has no rule)."""
        rule = get_rule(fn)
        if style in ("binop", "unary", "getitem"):
            func = None
        else:
            func = self.const_node(fn, func_name or getattr(fn, "__name__", "f"))
        if rule is not None and not rule.differentiable:
            return NonDiff(_print_call(fn, style, op, func, args, kwargs), _reads_of(args, kwargs))
        if all(isinstance(a, Const) for a in args) and all(isinstance(a, Const) for a in kwargs.values()):
            return NonDiff(_print_call(fn, style, op, func, args, kwargs), frozenset())
        if rule is None:
            return Opaque(
                fn, func if func is not None else self.const_node(fn, getattr(fn, "__name__", "f")), args, kwargs
            )
        return Prim(fn, rule, args, kwargs, style=style, op=op, func=func)


def _dict_pairs(e):
    """The ``(key, value)`` nodes of ``dict(...)`` called with keywords and at most one literal of pairs (a list or
    tuple of 2-tuples written in place, or a dict display), else ``None``."""
    if len(e.args) > 1 or any(k.arg is None for k in e.keywords):
        return None
    pairs = []
    if e.args:
        given = e.args[0]
        if isinstance(given, ast.Dict) and None not in given.keys:
            pairs = list(zip(given.keys, given.values))
        elif isinstance(given, (ast.List, ast.Tuple)) and all(
            isinstance(p, (ast.Tuple, ast.List)) and len(p.elts) == 2 for p in given.elts
        ):
            pairs = [tuple(p.elts) for p in given.elts]
        else:
            return None
    return pairs + [(ast.Constant(value=k.arg), k.value) for k in e.keywords]


def _list_reducer(callee):
    """``(kind, variadic primitive)`` for functions that combine a list into one value, else ``None``."""
    from ...rules.shape import concatenate_args, stack_args

    if callee is np.stack or callee in _AS_ARRAY:
        return "stack", stack_args
    if callee is np.concatenate:
        return "concatenate", concatenate_args
    if callee is sum:
        return "sum", None
    if callee is np.hstack or callee is np.vstack or callee is np.column_stack or callee is np.dstack:
        return callee.__name__, None  # resolved to stack/concatenate once the elements' rank is known
    return None


def _dtype_kind(dtype):
    """numpy's kind letter of a dtype written in the code (``"f"`` for ``float``), or ``None`` when unknown."""
    if dtype is NOT_STATIC or dtype is None:
        return None
    if dtype in FLOAT_DTYPES:
        return "f"
    try:
        return np.dtype(dtype).kind
    except TypeError:
        return None


def _const_tuple(a):
    """A constant, or a tuple (of tuples) of constants."""
    return isinstance(a, Const) or (isinstance(a, tuple) and all(_const_tuple(x) for x in a))


def _tuple_node(a):
    """The expression of a constant or a tuple (of tuples) of constants."""
    if isinstance(a, Const):
        return a.node
    return ast.Tuple(elts=[_tuple_node(x) for x in a], ctx=ast.Load())


def _sequence_node(a):
    """The expression of an atom or a (nested) tuple of atoms."""
    if isinstance(a, tuple):
        return ast.Tuple(elts=[_sequence_node(x) for x in a], ctx=ast.Load())
    return atom_node(a)


def _reads_of(args, kwargs):
    return frozenset(a.name for a in list(args) + list(kwargs.values()) if isinstance(a, Var))


def _print_call(fn, style, op, func, args, kwargs):
    nodes = [atom_node(a) for a in args]
    if style == "binop":
        return ast.BinOp(left=nodes[0], op=op, right=nodes[1])
    if style == "unary":
        return ast.UnaryOp(op=op, operand=nodes[0])
    if style == "getitem":
        return ast.Subscript(value=nodes[0], slice=nodes[1], ctx=ast.Load())
    return ast.Call(
        func=copy.deepcopy(func),
        args=nodes,
        keywords=[ast.keyword(arg=k, value=atom_node(v)) for k, v in kwargs.items()],
    )


def _einsum_interleaved(args, e, ctx):
    """``np.einsum(op0, sublist0, op1, sublist1, ...[, output])`` as ``[subscripts, op0, op1, ...]``; other
    argument lists as they are."""
    from ...rules.einsum import einsum_sublist_subscripts

    if len(args) < 2 or not (isinstance(args[1], Const) and isinstance(args[1].node, (ast.List, ast.Tuple))):
        return args  # subscripts first (a string, or a name holding one)
    odd = len(args) % 2
    sublists = [*args[1 : len(args) - odd : 2], *args[len(args) - odd :]]
    try:
        labels = [_sublist(a.node) for a in sublists]
        text = einsum_sublist_subscripts(labels[: len(labels) - odd], labels[-1] if odd else None)
    except (AttributeError, ValueError, TypeError) as err:
        raise ctx.error(e, f"np.einsum's interleaved form needs constant sublists of integer labels ({err})") from None
    return [Const(ast.Constant(value=text)), *args[0 : len(args) - odd : 2]]


def _sublist(node):
    """The labels of a constant einsum sublist (integers, ``...`` or ``Ellipsis``)."""
    if not isinstance(node, (ast.List, ast.Tuple)):
        raise ValueError(f"{ast.unparse(node)} is not a list written in place")
    return [Ellipsis if isinstance(n, ast.Name) and n.id == "Ellipsis" else ast.literal_eval(n) for n in node.elts]


_READ_HERE = (
    np.einsum,
    np.split,
    np.array_split,
    np.linalg.svd,
    np.linalg.svdvals,
    np.gradient,
    np.atleast_1d,
    np.atleast_2d,
    np.atleast_3d,
)
"""Functions with aliases that ``expr_Call`` reads itself (their adaptors take what the compiler cannot)."""


def _alias_of(fn):
    """The rule table's adaptor for ``fn`` (``ALIASES``: ``np.correlate``, ``np.fliplr``, ...), or None."""
    try:
        adaptor = None if fn in DYNAMIC_ONLY_ALIASES else ALIASES.get(fn)
    except TypeError:  # unhashable callables
        return None
    return adaptor if isinstance(adaptor, types.FunctionType) else None
