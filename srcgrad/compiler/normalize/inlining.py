"""Normalize, inlining: a call of the user's own function becomes its body.

Guarantees (``Inlining``, a mixin of ``Normalizer``):

* a call of a Python function (same module, imported, nested, a lambda, a function argument of this
  specialisation, a rule-table adaptor, a compiled gradient for higher order) is replaced by its body: its
  locals renamed apart, positional, keyword and default arguments bound, its returns lowered to one result;
* a function inlined from another file takes the call's line, for messages and comments;
* each inlined function's scope and defaults join the dependencies the cache checks;
* a recursive call is a ``UserCall``, differentiated by the callee's own generated gradient at run time; a
  recursive nested function is lifted to a function of its own, the enclosing locals it reads passed by
  keyword;
* a rule-table helper (higher order) may take ``*args``/``**kwargs`` (a tuple and a dict) and spread a tuple
  into a call; a parameter it is given an integer literal for is known while compiling (``known_ints``), so
  index arithmetic, tuple indexing and slicing and ``if j == i`` on it are decided then;
* a parameter given a string literal reads as that literal (``np.einsum(spec, a, b)`` in a helper);
* generators, coroutines, ``*args``/``**kwargs`` parameters, and containers passed to a recursive call are
  refused at the line.
"""

import ast
import inspect
import types

import numpy as np

from .. import fence
from ...errors import TransformError
from ..ir import (
    Const,
    UserCall,
    Var,
)
from ..astwalk import walk
from ..parse import Scope, free_names, lift_function, parse_function
from ..speckey import FUNCTION_TYPES
from .core import Ctx, DictLiteral, ListView, LocalFunction, StaticDict, local_names

_LIBRARY_PREFIXES = ("numpy", "math", "builtins", "operator", "scipy", "_operator")


class _FunctionDefaults:
    """Lets the cache notice an inlined helper whose defaults changed: a ``deps`` container whose
    ``get(attribute)`` is the helper's ``__defaults__`` or ``__kwdefaults__`` now, or a fresh object when
    ``__kwdefaults__`` is the dict seen at transformation but one of its entries was set since."""

    def __init__(self, fn):
        self.fn = fn
        self.kw = dict(fn.__kwdefaults__ or {})

    def get(self, name, default=None):
        value = getattr(self.fn, name, default)
        if (
            name == "__kwdefaults__"
            and value is not None
            and (value.keys() != self.kw.keys() or any(value[k] is not v for k, v in self.kw.items()))
        ):
            return object()
        return value


class Inlining:
    """Calls of the user's own functions, inlined; recursive calls kept as calls."""

    def random_generators(self, e, params, ctx):
        """``{parameter: generator}`` for the arguments of the call ``e`` that are a ``np.random.RandomState`` or
        ``Generator`` the compiler knows (a global, a closure cell, a generator passed on): a helper's
        ``rs.randn(...)`` then draws as a global's does, with no derivative."""
        if not isinstance(e, ast.Call) or any(isinstance(x, ast.Starred) for x in e.args):
            return {}
        given = list(zip(params, e.args)) + [(k.arg, k.value) for k in e.keywords if k.arg is not None]
        found = {}
        for p, value in given:
            if isinstance(value, (ast.Name, ast.Attribute)):
                obj = self.static_value(value, ctx)
                if isinstance(obj, (np.random.RandomState, np.random.Generator)):
                    found[p] = obj
        return found

    def function_value(self, atom):
        """The function a constant names (``np.sum``, a ufunc, a function of the user's global or bound while
        compiling), else ``None``."""
        if not isinstance(atom, Const):
            return None
        node, attrs = atom.node, []
        while isinstance(node, ast.Attribute):
            attrs.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in self.ns.values:
            return None
        value = self.ns.values[node.id]
        for attr in reversed(attrs):
            value = getattr(value, attr, None)
        return value if isinstance(value, FUNCTION_TYPES) else None

    def inline(self, callee, e, ctx, args=None, kwargs=None, sink=None):
        """Inline a call of the user's own function; returns its result (an atom or a tuple of atoms).

        ``sink``: for a generator a ``for`` loop reads (``for W, b in unpack_layers(w)``), ``(target, body, ctx,
        loop)`` of that loop: each ``yield v`` of the generator binds the loop's target to ``v`` and is followed by
        the loop's body, read in the loop's own ``ctx`` (see ``Statements.yielded``)."""
        if args is None:
            args = self.spread_values(
                [self.expr(a.value if isinstance(a, ast.Starred) else a, ctx) for a in e.args], e, ctx
            )
            kwargs = {k.arg: self.expr(k.value, ctx) for k in e.keywords}
        rule_table = False
        if isinstance(callee, LocalFunction):
            node, outer = callee.node, callee.ctx
            parsed, scope = outer.parsed, outer.scope
            defaults_src = ("ast", node.args.defaults, outer, node.args.kw_defaults)
            code_key = node
            if isinstance(node, ast.Lambda):
                node = ast.FunctionDef(
                    name="lambda_",
                    args=node.args,
                    body=[ast.copy_location(ast.Return(value=node.body), node.body)],
                    decorator_list=[],
                    returns=None,
                    type_comment=None,
                )
                ast.copy_location(node, callee.node)
            base_rename = dict(outer.rename)
            local_funcs = dict(outer.local_funcs)
        else:
            code_key = callee.__code__
            if code_key in self.inline_stack:
                # Recursion: differentiate the callee with its own generated gradient at run time.
                self.no_containers(args, kwargs, e, ctx)
                call = UserCall(callee, self.callee_node(e.func, callee, ctx), args, kwargs)
                of = getattr(callee, "gradient_of", None)
                if of is None or not of.several:
                    return call
                # a generated gradient's tuple of gradients: a list-like result read with ListGet
                call.several = True
                name = self.temp("grads")
                self.assign(name, call, e, ctx)
                self.lists.add(name)
                self.temp_lists.add(name)
                self.multi_outputs.add(name)
                return Var(name)
            generator = bool(callee.__code__.co_flags & inspect.CO_GENERATOR)
            if callee.__code__.co_flags & inspect.CO_COROUTINE or (generator and sink is None):
                raise ctx.error(
                    e,
                    f"{callee.__qualname__} is a generator or coroutine (a generator is read only by a for loop "
                    "over its call: for x in gen(...))",
                )
            parsed = parse_function(callee)
            rule_table = (getattr(callee, "__module__", "") or "").startswith("srcgrad.rules")
            # (*args and **kwargs are bound below: a tuple and a dict)
            fence.check(parsed, star_params=True, generator=generator)
            node, scope = parsed.node, parsed.scope
            self.deps.append(scope)
            defaults_src = ("values", callee.__defaults__ or (), None, callee.__kwdefaults__ or {})
            scope.deps.append(("global", _FunctionDefaults(callee), "__defaults__", callee.__defaults__))
            scope.deps.append(("global", _FunctionDefaults(callee), "__kwdefaults__", callee.__kwdefaults__))
            base_rename = {}
            local_funcs = {}
        if code_key in self.inline_stack:
            self.no_containers(args, kwargs, e, ctx)
            return self.lift_recursive(callee, e, ctx, args, kwargs)
        a = node.args
        params = [p.arg for p in a.posonlyargs + a.args]
        kwonly = [p.arg for p in a.kwonlyargs]
        names = local_names(node) + [p.arg for p in (a.vararg, a.kwarg) if p is not None]
        rename = dict(base_rename)
        for n in names:
            rename[n] = self.renamed(n, self.namer.fresh(n))
            if parsed.filename.startswith("<srcgrad:"):
                self.generated[rename[n]] = parsed.filename
        same_file = parsed.filename == self.parsed.filename
        call_lineno = None if same_file else self.line(e, ctx)
        inner = Ctx(parsed, rename, scope, local_funcs, call_lineno=call_lineno, fdef=node)
        # Bind the arguments (a rule-table function's *args to a tuple, **kwargs to a dict).
        if len(args) > len(params) and not a.vararg:
            raise ctx.error(e, f"too many arguments for {node.name}")
        args = [tuple(a) if isinstance(a, ListView) else a for a in args]  # a list kept at compile time: its items
        kwargs = {k: tuple(v) if isinstance(v, ListView) else v for k, v in kwargs.items()}  # now, read-only there
        bound = dict(zip(params, args))
        if a.vararg:
            bound[a.vararg.arg] = tuple(args[len(params) :])
        extra = DictLiteral()
        positional_only = {p.arg for p in a.posonlyargs}
        for k, v in kwargs.items():
            if k not in params + kwonly and a.kwarg and k not in bound:
                extra[k] = v
                continue
            if k not in params + kwonly or k in bound or k in positional_only:
                raise ctx.error(e, f"unexpected or repeated keyword argument '{k}' for {node.name}")
            bound[k] = v
        if a.kwarg:
            bound[a.kwarg.arg] = extra
        kind, defaults, dctx, kw_defaults = defaults_src
        if kind == "ast":  # a nested def or lambda: kw_defaults lines up with kwonly, None where there is none
            kw_defaults = {p: d for p, d in zip(kwonly, kw_defaults) if d is not None}
        first_default = len(params) - len(defaults)
        for j, p in enumerate(params + kwonly):
            if p in bound:
                continue
            if j < len(params):
                if j < first_default:
                    raise ctx.error(e, f"missing argument '{p}' for {node.name}")
                d = defaults[j - first_default]
            elif p in kw_defaults:
                d = kw_defaults[p]
            else:
                raise ctx.error(e, f"missing keyword-only argument '{p}' for {node.name}")
            if kind == "values" and type(d) is tuple and not d:
                bound[p] = ()  # an empty tuple kept while compiling, as one built in the function (f(x, *args))
            else:
                bound[p] = Const(self.const_expr(d, dctx)) if kind == "ast" else Const(self.const_node(d, p))
        assigned = {n.id for n in walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        generators = self.random_generators(e, params, ctx)
        for p in params + kwonly + [p.arg for p in (a.vararg, a.kwarg) if p is not None]:
            v = bound[p]
            if p in generators and p not in assigned:
                self.static_args[rename[p]] = generators[p]  # its draws read as the global's are: rs.randn(n, d)
                self.store(rename[p], v, e, inner)
            elif isinstance(v, Var) and p not in assigned and sink is None:
                rename[p] = v.name  # (not for a generator: the loop's body, read inside it, may rebind v.name)
            elif isinstance(v, LocalFunction):
                local_funcs[p] = v
            elif (
                isinstance(v, Const) and isinstance(v.node, ast.Constant) and v.node.value is None and p not in assigned
            ):
                self.known_none.add(rename[p])  # (a plotting branch, if ax:, is then left out while compiling)
                self.store(rename[p], v, e, inner)
            elif p not in assigned and self.function_value(v) is not None:
                # a function passed, or a default (def f(a, _r=np.sum)): _r(...) calls that very function, as
                # a function argument of the specialisation is
                self.static_args[rename[p]] = self.function_value(v)
                self.store(rename[p], v, e, inner)
            elif rule_table and isinstance(v, Const) and _literal(v, int) and p not in assigned:
                self.known_ints[rename[p]] = v.node.value  # read as the literal it is (an index into a tuple)
                self.store(rename[p], v, e, inner)
            elif isinstance(v, Const) and _literal(v, str) and p not in assigned:
                self.text_params[rename[p]] = v.node.value  # read as the literal (einsum's subscripts), as the top
                # function's string arguments are
                self.store(rename[p], v, e, inner)
            else:
                self.store(rename[p], v, e, inner)
        self.inline_stack.append(code_key)
        saved, self.out = self.out, []
        if sink is not None:
            self.yield_sinks.append(sink)
        try:
            self.block(node.body, inner)
            body, result = self.lower_returns(self.out, inner, top=False)
        finally:
            self.out = saved
            self.inline_stack.pop()
            if sink is not None:
                self.yield_sinks.pop()
        self.out.extend(body)
        if isinstance(result, ListView):  # a list kept at compile time, returned: its items (the callee's name is
            result = tuple(result)  # gone, so no second name sees a later write)
        # A list the inlined function made and returns (under a name, or made in the return: return [a, b]) has
        # no other name once it returns: the caller's name for it is its only one (value, tangent = jvp_f(x, t) of a function returning lists).
        # (Returned twice, return parts, parts, it would get two names: left as it is, refused.)
        own = {rename[n] for n in names} - {v.name for v in bound.values() if isinstance(v, Var)}
        items = [item.name for item in (result if isinstance(result, tuple) else (result,)) if isinstance(item, Var)]
        for name in items:
            if (name in own or name in self.return_temps) and name in self.lists and items.count(name) == 1:
                self.temp_lists.add(name)
        return result

    def lift_recursive(self, callee, e, ctx, args, kwargs):
        """The recursive call of a nested function: a ``UserCall`` of it lifted to a function of its own.

        The enclosing function's locals it reads become keyword arguments
        (``fact(x, n - 1, w=w)``), so gradients reach them too.
        """
        node = callee.node
        name = node.name if isinstance(node, ast.FunctionDef) else getattr(e.func, "id", "lambda_")
        fn, extras = self.lift_local(callee, name, e, ctx, f"the recursive nested function {name}")
        return UserCall(fn, self.const_node(fn, name), args, {**kwargs, **extras})

    def lift_local(self, callee, name, e, ctx, what):
        """The nested function ``callee`` lifted to a function of its own (``parse.lift_function``).

        Args:
            callee: the ``LocalFunction``.
            name: the name it calls itself by.
            e: the call (for messages).
            ctx: where the call is.
            what: how messages name it.

        Returns:
            ``(function, extras)``: the lifted function and ``{name: atom}`` for the enclosing function's locals it
            reads, which its calls pass by keyword.

        Raises:
            TransformError: it calls another nested function, reads a tuple, list or dict of the enclosing
                function, or writes into one of its locals.
        """
        node, dctx = callee.node, callee.ctx
        selves = {n for n, f in dctx.local_funcs.items() if f.node is node} | {name}
        extras, values = {}, {}
        for n in free_names(node):
            if n in selves:
                continue
            if n in dctx.local_funcs:
                raise ctx.error(
                    e,
                    f"{what} calls the nested function {n}: define them at module level",
                )
            if n in dctx.rename:
                v = self.expr_Name(ast.Name(id=n, ctx=ast.Load()), dctx)
                if not isinstance(v, (Var, Const)) or (isinstance(v, Var) and v.name in self.lists):
                    raise ctx.error(
                        e,
                        f"{what} reads '{n}', a tuple, list or dict of the enclosing "
                        "function, which its calls cannot pass on: "
                        "pass the items it needs as arguments",
                    )
                extras[n] = v
            else:
                value = dctx.scope.lookup(n)
                if not Scope.missing(value):
                    values[n] = value
        for sub in ast.walk(node):
            base = sub.target if isinstance(sub, ast.AugAssign) else sub
            while isinstance(base, (ast.Subscript, ast.Attribute)) and isinstance(base.ctx, ast.Store):
                base = base.value
            if isinstance(base, ast.Name) and base.id in extras and base is not sub:
                raise ctx.error(
                    sub,
                    f"{what} writes into '{base.id}' of the "
                    "enclosing function: pass it as an argument and return the new value",
                )
        lifted = self.__dict__.setdefault("_lifted", {})
        fn = lifted.get(node)
        if fn is None:
            outer = dctx.parsed.fn
            fn = lifted[node] = lift_function(
                node,
                name,
                list(extras),
                values,
                dctx.parsed.filename,
                dctx.parsed.lines,
                module=getattr(outer, "__module__", None),
                qualname=f"{getattr(outer, '__qualname__', '')}.<locals>.{name}",
            )
        return fn, extras

    def no_containers(self, args, kwargs, e, ctx):
        """A recursive call is made at run time: it cannot take a tuple, dict or list the compiler keeps."""
        for a in list(args) + list(kwargs.values()):
            if isinstance(a, (tuple, StaticDict, DictLiteral)) or (isinstance(a, Var) and a.name in self.lists):
                raise ctx.error(
                    e, "passing a tuple, dict or list to a recursive call is not supported; pass its items as arguments"
                )


def _literal(atom, kind):
    return isinstance(atom.node, ast.Constant) and type(atom.node.value) is kind


class Dependencies:
    """What a transformation depends on besides the scopes it read (``Scope.deps``'s form)."""

    def __init__(self, deps):
        self.deps = list(deps)


class ItemsSeen(dict):
    """Lets the cache notice a list whose items the transformation read changed since (a loop over a list of
    functions was unrolled over them): a ``deps`` container whose ``get`` is the list while it holds the very
    items seen, and a fresh object once one was added, removed or replaced."""

    def __init__(self, seq):
        super().__init__()
        self.seq, self.items = seq, list(seq)

    def get(self, name, default=None):
        seq, items = self.seq, self.items
        if len(seq) != len(items) or any(a is not b for a, b in zip(seq, items)):
            return object()
        return seq


def jvp_call_in_order(callee, e, ctx, const_node):
    """``jvp(f)(x, t, scale=s)`` written as the generated JVP takes it: each of ``f``'s parameters in order,
    then the tangents. ``JVPFunction.__call__`` binds a call so: the last positional arguments are the tangents
    (one per ``wrt`` parameter, already spread from a tuple written in the call), the others and the keywords
    are ``f``'s arguments, and one left out takes its default (``const_node`` writes it)."""
    if type(callee).__name__ != "JVPFunction":
        return e
    sig = inspect.signature(callee.__wrapped__)
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    params = [p for p in sig.parameters.values() if p.kind in kinds]
    if len(params) != len(sig.parameters):  # f(*args, **kwargs): left to the generated function's own binding
        return e
    n_tangents = len(callee.wrt) if callee.tangent_tuple else 1
    primals, tangents = e.args[: len(e.args) - n_tangents], e.args[len(e.args) - n_tangents :]
    if not e.keywords and len(primals) == len(params):
        return e
    try:
        bound = sig.bind(*primals, **{k.arg: k.value for k in e.keywords})
    except TypeError as err:
        raise ctx.error(e, f"{err} (a JVP takes the function's arguments, then the tangent)") from None
    args = [bound.arguments[p.name] if p.name in bound.arguments else const_node(p.default, p.name) for p in params]
    return ast.copy_location(ast.Call(func=e.func, args=args + list(tangents), keywords=[]), e)


def inline_target(callee, known, e, ctx):
    """The generated function a call ``e`` of a compiled gradient or JVP runs, and its dependencies
    (``callee.inline_target(known)``); a refusal met compiling the callee is said at the call, naming where in
    the callee too. (A JVP of a generated gradient, what the second derivative of a recursive function calls, is
    read like any: forward mode differentiates its recursive call by that code's own JVP, reverse mode refuses
    it, ``reverse.adjoints``.)"""
    try:
        return callee.inline_target(known)
    except TransformError as err:
        raise ctx.error(e, refused_in_callee(err, callee)) from None


def refused_in_callee(err, callee):
    """The message for a refusal met while compiling the function a called gradient or JVP differentiates.

    The error is raised again at the line of the call; the construct it names is in the callee's own source, so
    the message says where (the call's line alone would point at a call holding no such construct).

    Args:
        err: the ``TransformError`` the callee's compilation raised.
        callee: the ``GradFunction`` or ``JVPFunction`` called.

    Returns:
        The message for the refusal at the call.
    """
    if not err.filename or getattr(err, "from_generated", False) or str(err.filename).startswith("<"):
        return err.message
    where = f"{err.filename}, line {err.lineno}" if err.lineno else err.filename
    code = f": {err.source_line.strip()}" if err.source_line else ""
    name = getattr(getattr(callee, "__wrapped__", None), "__name__", None) or "the function differentiated"
    return f"{err.message} (in {name}, at {where}{code})"


def is_derivative(obj):
    """True for a ``GradFunction`` or ``JVPFunction`` (without importing them: ``api`` knows them)."""
    return type(obj).__module__ == "srcgrad.compiler.api" and callable(getattr(obj, "inline_target", None))


def inlinable(fn):
    if not isinstance(fn, types.FunctionType):
        return False
    module = getattr(fn, "__module__", "") or ""
    if module.startswith(_LIBRARY_PREFIXES):
        return False
    if module.startswith("srcgrad.rules"):
        # a VJP or helper of the rule table written as a def (numpy over primitives with rules, by the table's
        # contract): differentiated through when generated code calls it (higher order)
        return not fn.__name__.startswith("_")
    return True
