"""Normalize, the common ground: compile-time values, the function context, atoms, constants, static names.

What the lowering of every construct uses (``Core``, a mixin of ``Normalizer``), with these guarantees:

* besides IR atoms, the lowering passes around only these compile-time values: a local function
  (``LocalFunction``), a dict written in place (``DictLiteral``), a tuple or dict kept in variables
  (``StaticTuple``, ``StaticDict``: one variable or constant per item);
* ``Ctx`` is what one function being lowered (the top one or an inlined one) sees: its renaming, scope, local
  functions, and the names it rebinds or grows inside a branch or loop;
* every statement goes out through ``emit``/``assign`` (which records the values a variable may hold, per
  branch or loop body), every temporary is named by the ``Namer``, and ``atom`` makes any right-hand side an
  operand (a ``Var`` or ``Const``, or a compile-time value);
* ``const_node`` writes a value the generated module needs as a literal or a bound name (numpy's functions as
  ``np.<name>``, never a bare ``sum``); the user's globals keep their names where they can;
* ``rewrite`` copies a no-derivative expression with locals renamed, globals bound and the items of
  compile-time tuples and dicts substituted; such a tuple or dict never escapes whole into generated code;
* ``static_value`` is the object a name or attribute chain without local variables denotes (``NOT_STATIC``
  otherwise).
"""

import ast
import copy
import math
import operator
import types

import numpy as np

from ..ir import (
    Append,
    Assign,
    Const,
    ListNew,
    ListPop,
    ListSet,
    NonDiff,
    Var,
)
from ...errors import TransformError
from ..astwalk import copy_tree, walk
from ..draws import draws_random
from ..parse import Scope
from ...rules import ALIASES, get_rule
from ...rules.registry import DYNAMIC_ONLY_ALIASES

_INT_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul}

BINOPS = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.true_divide,
    ast.Pow: np.power,
    ast.MatMult: np.matmul,
    ast.FloorDiv: np.floor_divide,
    ast.Mod: np.remainder,
}


def local_names(fdef):
    """Parameters and every name the function body assigns (not inside nested functions)."""
    names = [a.arg for a in fdef.args.posonlyargs + fdef.args.args + fdef.args.kwonlyargs]
    stack = list(fdef.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.Lambda)):
            if isinstance(node, ast.FunctionDef):
                names.append(node.name)
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.append(node.id)
        if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.DictComp, ast.SetComp)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return list(dict.fromkeys(names))


ABSENT = object()
"""What ``Consulted.asked`` records for a key looked up and not found."""


class Consulted(dict):
    """A mapping that records what the pass asked of it, so that a result can be reused for another mapping that
    answers alike (``passcache``).

    ``asked`` maps each key looked up (``in``, ``[]``, ``get``) to the value found, or ``ABSENT``; it becomes
    ``None`` once the mapping is read whole (iterated, its keys, values or items listed, its size taken).
    """

    def __init__(self, items=()):
        super().__init__(items)
        self.asked = {}

    def _note(self, key, value):
        if self.asked is not None:
            self.asked[key] = value

    def __contains__(self, key):
        value = dict.get(self, key, ABSENT)
        self._note(key, value)
        return value is not ABSENT

    def __getitem__(self, key):
        value = dict.get(self, key, ABSENT)
        self._note(key, value)
        if value is ABSENT:
            raise KeyError(key)
        return value

    def get(self, key, default=None):
        value = dict.get(self, key, ABSENT)
        self._note(key, value)
        return default if value is ABSENT else value

    def answers_alike(self, asked):
        """True when this mapping gives the answers ``asked`` (another one's record) records."""
        if asked is None:
            return False  # read whole: only an equal mapping would do, and the caller compares those
        return all(dict.get(self, key, ABSENT) == value for key, value in asked.items())

    def _whole(self):
        self.asked = None

    def __iter__(self):
        self._whole()
        return super().__iter__()

    def __len__(self):
        self._whole()
        return super().__len__()

    def keys(self):
        self._whole()
        return super().keys()

    def values(self):
        self._whole()
        return super().values()

    def items(self):
        self._whole()
        return super().items()


class LocalFunction:
    """A ``def`` or ``lambda`` written inside the function being transformed."""

    def __init__(self, node, ctx):
        self.node, self.ctx = node, ctx


class DictLiteral(dict):
    """``{'a': x, ...}`` as written: constant key -> atom, not yet kept in a variable."""


class StaticDict(dict):
    """A dict the function builds with constant keys: kept at compile time, one variable per entry.

    Maps each key to its entry (a ``Var`` the dict owns, or a list made in place). ``present`` holds the
    keys set on every path to the current point: a key first set inside a branch or loop may be missing
    after it. ``names`` are the variables that refer to this dict (``d2 = d``, a helper's parameter).
    """

    def __init__(self):
        super().__init__()
        self.present = set()
        self.names = set()


class StaticTuple:
    """A tuple kept in a variable at compile time: its items (a ``Var`` it owns, a ``Const``, a nested
    container), read back as a Python tuple of atoms. ``mutable``: it is a list made by ``list(t)`` of such a
    tuple (``args = list(args)``), whose items may be set at an index known while compiling."""

    def __init__(self, items, mutable=False):
        self.items = list(items)
        self.mutable = mutable


class KnownList(tuple):
    """``list(t)`` of a tuple the compiler knows, not yet kept in a variable: its items, as atoms."""


SECOND_NAME = (
    "a second name for a list kept while compiling (made from a tuple by list(...), or a list of tuples) is not "
    "supported: use one name, or pass a copy (tuple(lst))"
)


class ListView(tuple):
    """A list kept at compile time (``StaticTuple.mutable``) read whole: its items, as atoms. A second name for
    it is refused (the compiler keeps one copy of the items per name, so a write through one name would not
    show through the other)."""


def _control_flow_names(fdef):
    """``(rebound, grown)``: names ``fdef`` assigns inside a branch or loop (also ``d[k] = ...``), and names it
    grows there with ``t = t + (v,)`` or ``t += (v,)`` (a tuple of changing length: kept as a list)."""
    rebound, grown = set(), set()

    def visit(node, inside):
        if isinstance(node, (ast.FunctionDef, ast.Lambda, ast.ListComp, ast.GeneratorExp, ast.DictComp, ast.SetComp)):
            return
        if inside:
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                for t in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    for sub in walk(t):
                        if isinstance(sub, ast.Name):
                            rebound.add(sub.id)
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.BinOp)
                and isinstance(node.value.op, ast.Add)
                and isinstance(node.value.left, ast.Name)
                and node.value.left.id == node.targets[0].id
                and isinstance(node.value.right, ast.Tuple)
            ):
                grown.add(node.targets[0].id)
            if (
                isinstance(node, ast.AugAssign)
                and isinstance(node.target, ast.Name)
                and isinstance(node.op, ast.Add)
                and isinstance(node.value, ast.Tuple)
            ):
                grown.add(node.target.id)
        for child in ast.iter_child_nodes(node):
            visit(child, inside or isinstance(node, (ast.If, ast.For, ast.While, ast.IfExp)))

    for stmt in fdef.body:
        visit(stmt, False)
    return rebound, grown


class Ctx:
    """What one function being normalized (the top one or an inlined callee) sees."""

    def __init__(self, parsed, rename, scope, local_funcs, call_lineno=None, code=None, fdef=None):
        self.parsed = parsed
        self.rename = rename
        self.scope = scope
        self.local_funcs = local_funcs
        self.call_lineno = call_lineno
        self.code = code
        self.fdef = fdef
        rebound, grown = _control_flow_names(fdef) if fdef is not None else ((), ())
        self.rebound = {rename.get(n, n) for n in rebound}  # rebound in a branch or loop: tuple items get variables
        self.grown = {rename.get(n, n) for n in grown}  # tuples grown in a branch or loop: kept as lists

    def error(self, node, message, hint=None):
        if hint is None:
            return self.parsed.error(node, message)
        return self.parsed.error(node, message, hint)


class Core:
    """Emitting statements and atoms, constants, no-derivative expressions, static resolution."""

    def emit(self, stmt):
        if isinstance(stmt, (Append, ListSet)):
            self.changed_lists.add(stmt.lst)
        elif isinstance(stmt, Assign) and isinstance(stmt.value, ListPop):
            self.changed_lists.add(stmt.value.lst.name)
        self.out.append(stmt)

    def line(self, node, ctx):
        return ctx.call_lineno or getattr(node, "lineno", 0)

    def temp(self, base="t"):
        return self.namer.fresh(self.namer.temp_base(base) if base == "t" else base)

    def assign(self, target, value, node, ctx, bookkeeping=False):
        # it replaces the values given earlier in this body and in the branches and loops nested in it (an
        # inlined helper's body is part of its caller's)
        here = self.block_path
        self.values_of[target] = [
            (v, where) for v, where in self.values_of.get(target, ()) if where[: len(here)] != here
        ] + [(value, here)]
        self.emit(Assign(target, value, lineno=self.line(node, ctx), bookkeeping=bookkeeping))
        if bookkeeping:
            self.bookkeeping.add(target)

    def atom(self, value, node, ctx, base="t"):
        """Turn a right-hand side into an atom, assigning it to a temporary when needed."""
        if isinstance(value, (Var, Const, tuple, LocalFunction, StaticDict, DictLiteral)):
            return value
        if isinstance(value, ListNew):
            base = "items"
        name = self.temp(base)
        if isinstance(value, ListNew):
            self.lists.add(name)
            self.fresh_lists.add(name)
        self.assign(name, value, node, ctx)
        return Var(name)

    def resolve_global(self, name, node, ctx):
        value = ctx.scope.lookup(name)
        if Scope.missing(value):
            raise ctx.error(node, f"name '{name}' is not defined")
        return value

    def const_node(self, value, preferred="c"):
        """An ``ast`` expression that evaluates to ``value`` in the generated module."""
        if value is None or isinstance(value, (bool, int, float, str, complex)):
            if isinstance(value, float) and not math.isfinite(value):
                return ast.Name(id=self.ns.bind(value, preferred), ctx=ast.Load())
            return ast.Constant(value=value)
        if isinstance(value, tuple) and all(v is None or isinstance(v, (bool, int, float, str)) for v in value):
            return ast.Tuple(elts=[ast.Constant(value=v) for v in value], ctx=ast.Load())
        if isinstance(value, types.ModuleType):
            preferred = {"numpy": "np"}.get(value.__name__, value.__name__.split(".")[-1])
        elif getattr(np, getattr(value, "__name__", ""), None) is value and callable(value):
            # np.sum, never a bare `sum` that reads like Python's own (x.sum() is np.sum(x))
            return ast.Attribute(value=self.const_node(np), attr=value.__name__, ctx=ast.Load())
        elif hasattr(value, "__name__") and isinstance(getattr(value, "__name__"), str):
            preferred = value.__name__.replace("<", "").replace(">", "") or preferred
        return ast.Name(id=self.ns.bind(value, preferred), ctx=ast.Load())

    def rewrite(self, node, ctx):
        """A copy of a no-derivative expression with locals renamed and globals bound.

        Items of tuples and dicts kept at compile time (``d['k']``, ``t[0]``, ``len(t)``) become the
        variables or constants that hold them (an index known while compiling too: ``static_int``).
        """
        node = copy_tree(node)
        inner = set()
        for sub in walk(node):
            if isinstance(sub, ast.Lambda):
                inner.update(a.arg for a in sub.args.args)
            elif isinstance(sub, ast.comprehension):
                inner.update(n.id for n in walk(sub.target) if isinstance(n, ast.Name))
        reads = set()
        done = set()  # nodes put in for container items: already in the generated module's names
        normalizer = self

        def static_name(n):
            return isinstance(n, ast.Name) and n.id not in inner and ctx.rename.get(n.id) in normalizer.static

        if any(static_name(n) for n in walk(node)):  # (the helpers below made only when needed)

            def tuple_node(container, where):
                """A tuple kept at compile time, written out: ``(t_0, 3.0)``."""
                elts = []
                for item in container.items:
                    if isinstance(item, StaticTuple):
                        elts.append(tuple_node(item, where))
                    elif isinstance(item, Var) and item.name not in normalizer.lists:
                        reads.add(item.name)
                        elts.append(ast.Name(id=item.name, ctx=ast.Load()))
                    elif isinstance(item, Const):
                        elts.append(copy.deepcopy(item.node))
                    else:
                        raise ctx.error(
                            where,
                            f"'{where.id}' holds a list, dict or function inside a tuple, which "
                            "srcgrad.grad cannot pass here",
                        )
                    done.update(id(n) for n in walk(elts[-1]))
                node = ast.Tuple(elts=elts, ctx=ast.Load())
                done.add(id(node))
                return node

            class Items(ast.NodeTransformer):
                def visit_Subscript(self, sub):
                    known = (  # a rule-table helper's index known while compiling (operands[j])
                        normalizer.known_ints.get(ctx.rename.get(sub.slice.id))
                        if isinstance(sub.slice, ast.Name) and sub.slice.id not in inner
                        else None
                    )
                    if static_name(sub.value) and (isinstance(sub.slice, ast.Constant) or known is not None):
                        container = normalizer.static[ctx.rename[sub.value.id]]
                        key = sub.slice.value if known is None else known
                        if isinstance(container, StaticDict):
                            item = normalizer.entry(container, key, sub, ctx)
                        elif type(key) is int and -len(container.items) <= key < len(container.items):
                            item = container.items[key]
                        else:
                            raise ctx.error(sub, f"the tuple '{sub.value.id}' has no item {key!r}")
                        if isinstance(item, Var) and item.name not in normalizer.lists:
                            reads.add(item.name)
                            new = ast.Name(id=item.name, ctx=ast.Load())
                        elif isinstance(item, Const):
                            new = copy.deepcopy(item.node)
                        else:
                            return self.generic_visit(sub)  # a nested container: refused below
                        done.update(id(n) for n in walk(new))
                        return ast.copy_location(new, sub)
                    return self.generic_visit(sub)

                def visit_Name(self, name):
                    container = normalizer.static.get(ctx.rename.get(name.id)) if static_name(name) else None
                    if isinstance(container, StaticTuple) and isinstance(name.ctx, ast.Load):
                        return ast.copy_location(tuple_node(container, name), name)
                    return name

                def visit_Call(self, call):
                    if (
                        isinstance(call.func, ast.Name)
                        and call.func.id == "len"
                        and "len" not in ctx.rename
                        and len(call.args) == 1
                        and not call.keywords
                        and static_name(call.args[0])
                    ):
                        container = normalizer.static[ctx.rename[call.args[0].id]]
                        if isinstance(container, StaticDict) and container.present != set(container):
                            raise ctx.error(
                                call,
                                f"len({call.args[0].id}): some keys of the dict may be missing "
                                "here (set only inside a branch or loop above)",
                            )
                        size = len(container.items if isinstance(container, StaticTuple) else container)
                        return ast.copy_location(ast.Constant(value=size), call)
                    return self.generic_visit(call)

            node = Items().visit(node)
        for sub in ast.walk(node):
            if id(sub) in done:
                continue
            if isinstance(sub, ast.Name) and sub.id not in inner:
                if sub.id in ctx.rename:
                    if ctx.rename[sub.id] in self.static:
                        raise ctx.error(
                            sub,
                            f"'{sub.id}' holds a tuple or dict built in the function, which "
                            "srcgrad.grad keeps only while compiling: use its items "
                            f"({sub.id}[0], {sub.id}['key']) or len({sub.id})",
                        )
                    sub.id = ctx.rename[sub.id]
                    reads.add(sub.id)
                elif sub.id in ctx.local_funcs:
                    raise ctx.error(sub, f"the local function '{sub.id}' can only be called here")
                else:
                    value = self.resolve_global(sub.id, sub, ctx)
                    sub.id = self.global_name(sub.id, value, ctx)
        return node, frozenset(reads)

    def global_name(self, name, value, ctx):
        """The generated module's name for the user's global ``name`` (its own name when possible)."""
        if ctx.scope is self.parsed.scope:
            return self.ns.bind_global(name, value)
        return self.ns.bind(value, name)

    def global_ref(self, name, value, ctx):
        if value is None or isinstance(value, (bool, int, float, str)):
            return self.const_node(value, name)
        return ast.Name(id=self.global_name(name, value, ctx), ctx=ast.Load())

    def const_expr(self, node, ctx):
        rewritten, reads = self.rewrite(node, ctx)
        if reads:
            raise ctx.error(node, "a default value may not depend on local variables")
        return rewritten

    def nondiff(self, node, ctx):
        draws = self.draws_in(node, ctx)  # (read before rewrite renames the names)
        rewritten, reads = self.rewrite(node, ctx)
        return NonDiff(rewritten, reads, draws=draws)

    def draws_in(self, node, ctx):
        """Whether the user's expression ``node`` calls anything that draws random numbers (``draws.py``): a
        function of ``np.random`` or ``random``, a method of a generator the compiler knows (a global, one
        passed to a helper, one made in the function: ``generators``)."""
        return any(isinstance(sub, ast.Call) and self.is_draw(sub, ctx) for sub in ast.walk(node))

    def is_draw(self, call, ctx):
        """Whether the call ``call`` itself draws random numbers (see ``draws_in``)."""
        func = call.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            if ctx.rename.get(func.value.id) in self.generators:
                return True
        if not isinstance(func, (ast.Name, ast.Attribute)):
            return False
        try:
            callee = self.static_value(func, ctx)
        except TransformError:
            return False
        return callee is not NOT_STATIC and draws_random(callee)

    def static_int(self, node, ctx):
        """The integer an index expression of a rule-table helper has while compiling, or ``None``.

        Literals, parameters the helper was given an integer literal for (``argnum - 1`` in einsum's VJP,
        called by a generated gradient with ``argnum=2``), globals and closure cells holding an int, combined by
        ``+``, ``-``, ``*`` and unary ``-``.
        """
        if isinstance(node, ast.Constant):
            return node.value if type(node.value) is int else None
        if isinstance(node, ast.Name) and node.id not in ctx.rename and node.id not in ctx.local_funcs:
            value = self.static_value(node, ctx)  # a global or closure cell holding an int (args[argnum])
            return value if type(value) is int else None
        if isinstance(node, ast.Name):
            return self.known_ints.get(ctx.rename.get(node.id))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            v = self.static_int(node.operand, ctx)
            return None if v is None else -v
        if isinstance(node, ast.BinOp) and type(node.op) in _INT_OPS:
            a, b = self.static_int(node.left, ctx), self.static_int(node.right, ctx)
            return None if a is None or b is None else _INT_OPS[type(node.op)](a, b)
        return None

    def shown(self, var):
        """How the user's code spells variable ``var`` (``d['b']`` for ``d_b``; a helper's ``a`` for ``a_2``)."""
        return self.display.get(var, var)

    def renamed(self, user, var):
        """Record that the user's ``user`` is the variable ``var`` (renamed apart, or an item)."""
        self.display[var] = user
        return var

    def static_value(self, node, ctx):
        """The value of a name or attribute chain that does not involve local variables."""
        if isinstance(node, ast.Name):
            if node.id in ctx.local_funcs:
                return ctx.local_funcs[node.id]
            if ctx.rename.get(node.id) in self.static_args:  # a function argument of this specialisation
                return self.static_args[ctx.rename[node.id]]
            if node.id in ctx.rename:
                return NOT_STATIC
            value = ctx.scope.lookup(node.id)
            return NOT_STATIC if Scope.missing(value) else value
        if isinstance(node, ast.Attribute):
            base = self.static_value(node.value, ctx)
            if base is NOT_STATIC or isinstance(base, LocalFunction):
                return NOT_STATIC
            try:
                value = getattr(base, node.attr)
            except AttributeError:
                raise ctx.error(node, f"{ast.unparse(node)} does not exist") from None
            if not _library_module(base) and not isinstance(base, (np.ndarray, np.generic)):
                # cfg.scale, Config.w, a user module's constant: the cache checks it is the same object at each call
                # (an array's own attributes follow the array, whose name is checked)
                ctx.scope.deps.append(("attribute", base, node.attr, value))
            return value
        if isinstance(node, ast.Constant):
            return node.value
        return NOT_STATIC

    def shape_expression(self, node, ctx):
        """True for an expression that computes a shape, which has no derivative: a tuple of constants,
        ``np.shape(x)`` or ``x.shape`` (indexed or sliced), ``+`` of those, or a choice between them
        (``(-1,) + np.shape(x)[1:]``, ``(-1, 1) if np.ndim(x) < 2 else np.shape(x)``: np.r_ and np.c_ as
        generated code spells them)."""
        if isinstance(node, ast.Tuple):
            return all(_int_literal(e) for e in node.elts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.shape_expression(node.left, ctx) and self.shape_expression(node.right, ctx)
        if isinstance(node, ast.IfExp):
            return self.shape_expression(node.body, ctx) and self.shape_expression(node.orelse, ctx)
        while isinstance(node, ast.Subscript):
            node = node.value
        if isinstance(node, ast.Attribute) and node.attr == "shape":
            return self.static_value(node, ctx) is NOT_STATIC  # x.shape of a local value
        if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords:
            return self.static_value(node.func, ctx) is np.shape
        return False

    def static_callee(self, func, ctx):
        value = self.static_value(func, ctx)
        if value is NOT_STATIC:
            if isinstance(func, ast.Name) and func.id not in ctx.rename:
                raise ctx.error(func, f"name '{func.id}' is not defined")
            if isinstance(func, ast.Call):  # srcgrad.grad(f)(x)
                refuse_maker(self.static_value(func.func, ctx), func, ctx)
            raise ctx.error(func, "calling a value computed inside the function is not supported")
        return value


_MAKER_NAMES = {"source", "hvp", "hessian", "jacobian"}


def refuse_tree_adjoint(callee, node, ctx):
    """Refuse reading again the adjoint of a dict holding dicts (``zeros_like_tree``, ``add_tree`` in a gradient's
    code: a dict built when the code runs, whose keys the compiler does not know).

    Raises:
        TransformError: at ``node``'s line when ``callee`` is one of them.
    """
    from ..runtime import add_tree, zeros_like_tree

    if callee is zeros_like_tree or callee is add_tree:
        raise ctx.error(
            node,
            "a gradient with respect to a dict holding dicts is differentiated again here: its adjoint is a dict "
            "built when the code runs, which srcgrad.grad cannot read again; pass the inner dicts as arguments of "
            "their own, or use dynamic mode (Tensors, create_graph=True)",
        )


def refuse_maker(callee, node, ctx):
    """Refuse a call of the compiler's tools whose results it does not differentiate (``srcgrad.hessian``, ...)
    made in the function it differentiates. (``srcgrad.grad(f)(x)`` there is made while compiling: ``makers``.)

    Raises:
        TransformError: at ``node``'s line when ``callee`` is one of them (it would otherwise be read as user code).
    """
    refuse_tree_adjoint(callee, node, ctx)  # (the runtime's helpers of a gradient's code, read again)
    if not isinstance(callee, types.FunctionType) or callee.__module__ not in (
        "srcgrad.compiler.api",
        "srcgrad.compiler.higher",
    ):
        return
    if callee.__name__ in _MAKER_NAMES:
        raise ctx.error(
            node,
            f"srcgrad.{callee.__name__} is called inside the function being differentiated: the compiler does not "
            "differentiate its result; srcgrad.grad(f)(x), srcgrad.jvp(f)(x, t) and srcgrad.value_and_grad(f)(x) "
            "are differentiated (there, or made once outside), and so is srcgrad.grad(srcgrad.grad(f))",
        )


def refuse_local_function_argument(callee, node, ctx):
    """Refuse a ``def`` or ``lambda`` of the function being transformed passed to a primitive with a derivative or
    to a rule-table adaptor (``odeint(rhs, y0, t)``): the generated code has no such function, and a gradient
    flowing through the values it reads would be lost.

    Raises:
        TransformError: at ``node``'s line.
    """
    rule = get_rule(callee)
    try:
        adapted = callee in ALIASES and callee not in DYNAMIC_ONLY_ALIASES
    except TypeError:  # an unhashable callable
        adapted = False
    if not ((rule is not None and rule.differentiable) or adapted):
        return
    for a in list(node.args) + [k.value for k in node.keywords]:
        if isinstance(a, ast.Lambda) or (isinstance(a, ast.Name) and a.id in ctx.local_funcs):
            what = "a lambda" if isinstance(a, ast.Lambda) else f"the function '{a.id}'"
            raise ctx.error(
                node,
                f"{what}, defined inside the differentiated function, is passed to "
                f"{getattr(callee, '__name__', 'a primitive')}: srcgrad.grad passes only functions defined at "
                "module level to a primitive",
                hint="Define it at module level and pass the values it reads as arguments (odeint(f, y0, t, "
                "args=(k,))).",
            )


def _int_literal(node):
    """True for ``3`` or ``-1`` written in the source."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) is int


class _NotStatic:
    pass


NOT_STATIC = _NotStatic()


_LIBRARIES = ("numpy", "math", "builtins", "scipy", "srcgrad", "operator", "_operator", "cmath")


def _library_module(value):
    """Is ``value`` a library's module (``np``, ``np.linalg``, ``math``), whose attributes do not change?"""
    return isinstance(value, types.ModuleType) and value.__name__.split(".")[0] in _LIBRARIES
