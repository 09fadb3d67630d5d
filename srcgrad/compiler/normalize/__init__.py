"""Pass 3, normalize: one primitive per assignment, one return, structured jumps.

Input: a fenced ``ParsedFunction``. Output: a ``NormalFunction`` (see ``ir.py``)
with these guarantees:

* every statement that computes is ``Assign(target, value)`` whose value is one
  primitive call (``Prim``), an identity (``Copy``/``Cast``), a call with no rule
  (``Opaque``) or an expression with no derivative (``NonDiff``); operands are
  variables or constants;
* calls of the user's own Python functions (same module, imported, nested,
  lambdas) are inlined, their locals renamed apart, keyword and default
  arguments bound;
* array methods and attributes are mapped to numpy functions
  (``x.sum(axis=0)`` -> ``np.sum(x, axis=0)``, ``x.T`` -> ``np.transpose(x)``);
* every ``for`` loop is a ``range`` loop: loops over arrays, lists, tuples,
  ``enumerate`` and ``zip`` read their element with ``getitem``;
* an ``if`` tests a variable assigned just before it;
* tuples and dicts built in the function exist only at compile time: each item
  is a variable of its own, which a rebinding inside a branch or loop assigns
  (same layout on every path); a tuple grown there (``t = t + (v,)``) is a
  list; ``lst[i] = v`` on a list is a ``ListSet`` statement;
* ``return`` appears once, last; ``break``/``continue`` are the last statement
  of their branch (what followed them moved into the branch that falls
  through), so the reverse pass can treat every branch as straight-line code.
"""

import ast
import builtins
import copy
import inspect
import math
import operator
import types

import numpy as np

from ..errors import TransformError
from ..rules import ALIASES, get_rule
from ..rules.registry import DYNAMIC_ONLY_ALIASES
from . import fence
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
    NormalFunction,
    Opaque,
    Prim,
    Return,
    UserCall,
    Var,
    While,
    walk_stmts,
    clone,
)
from .memory import makes_new_array, out_given_positionally
from .nodes import rule_reads, stmt_reads
from .parse import Scope, error_at, free_names, lift_function, parse_function

__all__ = ["normalize"]

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
UNARY = {ast.USub: np.negative, ast.UAdd: np.positive}

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
_EFFECT_ONLY = {print}
# numpy functions that may return a view of their first argument
_VIEW_FUNCTIONS = {
    np.transpose,
    np.reshape,
    np.ravel,
    np.squeeze,
    np.expand_dims,
    np.swapaxes,
    np.moveaxis,
    np.broadcast_to,
    np.diagonal,
    np.atleast_1d,
    np.atleast_2d,
    np.atleast_3d,
    np.real,
    np.imag,
}
# Module-level values indexed like data: whatever the index, the item has no derivative
_DATA = (np.ndarray, np.generic, list, tuple, dict, str, bytes, range, int, float, complex)
# numpy functions that make an array of their argument (np.asarray: the argument itself when it is one)
_AS_ARRAY = {np.array, np.asarray, np.asanyarray, np.ascontiguousarray}
# numpy functions that write into an argument in place
_MUTATORS = {np.copyto, np.put, np.place, np.putmask, np.fill_diagonal, np.put_along_axis}
_LIBRARY_PREFIXES = ("numpy", "math", "builtins", "operator", "scipy", "_operator")


def _local_names(fdef):
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


class _LocalFunction:
    """A ``def`` or ``lambda`` written inside the function being transformed."""

    def __init__(self, node, ctx):
        self.node, self.ctx = node, ctx


class _DictLiteral(dict):
    """``{'a': x, ...}`` as written: constant key -> atom, not yet kept in a variable."""


class _StaticDict(dict):
    """A dict the function builds with constant keys: kept at compile time, one variable per entry.

    Maps each key to its entry (a ``Var`` the dict owns, or a list made in place). ``present`` holds the
    keys set on every path to the current point: a key first set inside a branch or loop may be missing
    after it. ``names`` are the variables that refer to this dict (``d2 = d``, a helper's parameter).
    """

    def __init__(self):
        super().__init__()
        self.present = set()
        self.names = set()


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


class _StaticTuple:
    """A tuple kept in a variable at compile time: its items (a ``Var`` it owns, a ``Const``, a nested
    container), read back as a Python tuple of atoms."""

    def __init__(self, items):
        self.items = list(items)


def _layout(value):
    """What must agree between two bindings of one name in a branch or loop: tuple lengths, dict keys."""
    if isinstance(value, (tuple, _StaticTuple)):
        return ("tuple", tuple(_layout(v) for v in (value.items if isinstance(value, _StaticTuple) else value)))
    if isinstance(value, (_StaticDict, _DictLiteral)):
        return ("dict", frozenset(value))
    return None


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
                    for sub in ast.walk(t):
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


class _Exit:
    """Marker: jump to the end of the function (removed after jumps are lowered)."""


class _Ctx:
    """What one function being normalized (the top one or an inlined callee) sees."""

    def __init__(self, parsed, rename, scope, local_funcs, call_lineno=None, code=None, fdef=None):
        self.parsed = parsed
        self.rename = rename
        self.scope = scope
        self.local_funcs = local_funcs
        self.call_lineno = call_lineno
        self.code = code
        rebound, grown = _control_flow_names(fdef) if fdef is not None else ((), ())
        self.rebound = {rename.get(n, n) for n in rebound}  # rebound in a branch or loop: tuple items get variables
        self.grown = {rename.get(n, n) for n in grown}  # tuples grown in a branch or loop: kept as lists

    def error(self, node, message, hint=None):
        if hint is None:
            return self.parsed.error(node, message)
        return self.parsed.error(node, message, hint)


class Normalizer:
    """Flattens one function (and what it inlines) into ``ir`` statements.

    Args:
        parsed: the fenced ``ParsedFunction``.
        namer: the transformation's ``Namer``.
        ns: the generated module's ``Namespace``.
    """

    def __init__(self, parsed, namer, ns):
        self.parsed = parsed
        self.namer = namer
        self.ns = ns
        self.out = []
        self.bookkeeping = set()
        self.inline_stack = [parsed.fn.__code__]
        self.lists = set()
        self.temp_lists = set()
        self.return_temps = set()
        self.params = set()
        self.rebound = set()
        self.static = {}
        self.multi_outputs = set()
        self.values_of = {}  # variable -> [(value, block_path of its assignment)] for the values it may hold
        self.written_into = set()
        self.plainly_rebound = set()  # top-level parameters given a new value outside any branch or loop
        self.copied_params = {}  # top-level parameter written into -> the line of its first write
        self.display = {}  # variable -> the user's spelling (helper locals renamed apart, dict and tuple items)
        self.control_depth = 0
        self.block_path = (0,)  # the branch or loop body being written: one number per level, new per body
        self._blocks = 0
        self.deps = [parsed.scope]
        self.dicts_made = []  # every _StaticDict, for the keys-present bookkeeping at branches and loops
        self.entry_vars = set()  # variables that hold a tuple's or dict's item
        self.private_items = set()  # fresh values made only to be a list's item (no other name sees them)
        self.fresh_lists = set()  # lists made in place ([a, b]) with no name of their own
        self.list_inplace = []  # the ListSet statements of lst[i] op= v
        self.dict_keys = {}  # dict arguments: their keys in order, from the specialisation
        self.tuple_result = False  # a tuple of values may be returned (see ``normalize``)
        self.static_args = {}  # function arguments: parameter -> the function (from the specialisation)
        self.text_params = {}  # string arguments: parameter -> value (see ``normalize``)

    # ------------------------------------------------------------ entry
    def run(self):
        fdef = self.parsed.node
        names = _local_names(fdef)
        self.namer.reserve_user(*names)
        self.namer.reserve_user(*(n.id for n in ast.walk(fdef) if isinstance(n, ast.Name)))
        self.display.update({n: n for n in names})
        ctx = _Ctx(self.parsed, {n: n for n in names}, self.parsed.scope, {}, code=self.parsed.fn.__code__, fdef=fdef)
        if self.static_args:  # a function argument the body rebinds is a value like any other
            stored = {n.id for n in ast.walk(fdef) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
            self.static_args = {p: f for p, f in self.static_args.items() if p not in stored}
        # The user's globals keep their names in the generated module.
        for n in ast.walk(fdef):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in ctx.rename:
                value = ctx.scope.lookup(n.id)
                if not Scope.missing(value):
                    self.ns.bind_global(n.id, value)
        params = [a.arg for a in fdef.args.posonlyargs + fdef.args.args + fdef.args.kwonlyargs]
        self.params = set(params)
        stored = {n.id for n in ast.walk(fdef) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        self.text_params = {p: v for p, v in self.text_params.items() if p in self.params and p not in stored}
        self.block(fdef.body, ctx)
        self.copy_written_params(ctx)
        self.check_aliases(ctx)
        body = self.out
        body, result = self.lower_returns(body, ctx, top=True)
        if (
            self.tuple_result
            and isinstance(result, tuple)
            and result
            and all(isinstance(x, (Var, Const)) for x in result)
        ):
            pass  # several values returned (jvp gives one tangent per value)
        elif isinstance(result, (tuple, _StaticDict, _DictLiteral)):
            kind = "tuple" if isinstance(result, tuple) else "dict"
            raise ctx.error(fdef, f"srcgrad.grad needs a function returning one value; it returns a {kind}")
        body.append(Return(result, lineno=fdef.body[-1].lineno if fdef.body else fdef.lineno))
        _mark_breaks(body)
        defaults = [self.const_expr(d, ctx) for d in fdef.args.defaults]
        if fdef.args.kwonlyargs:
            # keyword-only parameters follow the positional ones in the generated signature
            kw = [self.const_expr(d, ctx) if d is not None else None for d in fdef.args.kw_defaults]
            first = next((k for k, d in enumerate(kw) if d is not None), None)
            if first is not None and any(d is None for d in kw[first:]):
                raise ctx.error(fdef, "a keyword-only parameter without a default after one with a default")
            if defaults and any(d is None for d in kw):
                raise ctx.error(fdef, "a keyword-only parameter without a default after parameters with defaults")
            defaults = defaults + [d for d in kw if d is not None]
        return NormalFunction(
            name=fdef.name,
            params=params,
            defaults=defaults,
            body=body,
            filename=self.parsed.filename,
            lines=self.parsed.lines,
            bookkeeping=self.bookkeeping,
            display=self.display,
            owned_params=set(self.copied_params),
        )

    def copy_written_params(self, ctx):
        """Start the body with ``x = np.copy(x)`` for each parameter the function writes into (``x[0] = v``).

        The user's function changes the caller's array; its derivative must not (the caller may call it
        again), and the copy makes every later write one into the function's own array.
        """
        if not self.copied_params:
            return
        body, self.out = self.out, []
        for name, node in self.copied_params.items():
            self.emit(Assign(name, self.call_prim(np.copy, [Var(name)], {}, node, ctx), lineno=self.line(node, ctx)))
        self.out += body

    def check_aliases(self, ctx):
        """Mark the ``lst[i] op= v`` statements whose item another name may see (``check_list_inplace``).

        In-place writes to arrays that another name for the memory reads afterwards are ``aliasing``'s to refuse.
        """
        flat = []

        def visit(stmts, loops):
            for st in stmts:
                flat.append((st, loops))
                if isinstance(st, If):
                    visit(st.body, loops)
                    visit(st.orelse, loops)
                elif isinstance(st, (For, While)):
                    visit(st.body, loops + (id(st),))

        visit(self.out, ())
        self.check_list_inplace(flat, stmt_reads)

    def shown(self, var):
        """How the user's code spells variable ``var`` (``d['b']`` for ``d_b``; a helper's ``a`` for ``a_2``)."""
        return self.display.get(var, var)

    def renamed(self, user, var):
        """Record that the user's ``user`` is the variable ``var`` (renamed apart, or an item)."""
        self.display[var] = user
        return var

    def mark_write(self, name, text):
        """Mark the assignment that just computed the user's in-place write to ``name`` (see ``Assign.inplace``)."""
        for st in reversed(self.out):
            if isinstance(st, Assign) and st.target == name:
                st.inplace = text
                return

    def check_list_inplace(self, flat, stmt_reads):
        """For each ``lst[i] op= v``: the values it may change in place that another name may see (``shared``).

        An item is private when it is a fresh array made only to be that item; it is not when it is any other
        variable, or when a value read out of the list is used after the write (it is the same object).
        """
        if not self.list_inplace:
            return
        positions = {id(st): (pos, loops) for pos, (st, loops) in enumerate(flat)}
        for st in self.list_inplace:
            family = {st.lst}
            grown = True
            while grown:  # lists that are the same object (a comprehension's list and its name)
                grown = False
                for other, _ in flat:
                    if isinstance(other, Assign) and isinstance(other.value, Copy) and isinstance(other.value.src, Var):
                        pair = {other.target, other.value.src.name}
                        if pair & family and not pair <= family and pair <= self.lists:
                            family |= pair
                            grown = True
            items = []
            for other, _ in flat:
                if isinstance(other, Assign) and other.target in family and isinstance(other.value, ListNew):
                    items += [a.name for a in other.value.items if isinstance(a, Var)]
                elif isinstance(other, (Append, ListSet)) and other.lst in family and isinstance(other.item, Var):
                    items.append(other.item.name)
            shared = [v for v in items if v not in self.private_items]
            wpos, wloops = positions[id(st)]
            for spos, (get, gloops) in enumerate(flat):
                if not (isinstance(get, Assign) and isinstance(get.value, ListGet) and get.value.lst.name in family):
                    continue
                names = {get.target}
                for other, _ in flat:
                    if (
                        isinstance(other, Assign)
                        and isinstance(other.value, Copy)
                        and isinstance(other.value.src, Var)
                        and other.value.src.name in names
                    ):
                        names.add(other.target)
                for rpos, (r, rloops) in enumerate(flat):
                    if r is get or isinstance(r, (If, For, While)) or not (stmt_reads(r) & names):
                        continue
                    if spos < wpos < rpos or (rpos <= spos and set(gloops) & set(wloops) & set(rloops)):
                        shared = items
                        break
            st.shared = tuple(dict.fromkeys(shared))

    # ------------------------------------------------------------ helpers
    def emit(self, stmt):
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
        if isinstance(value, (Var, Const, tuple, _LocalFunction, _StaticDict, _DictLiteral)):
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
        variables or constants that hold them.
        """
        node = copy.deepcopy(node)
        inner = set()
        for sub in ast.walk(node):
            if isinstance(sub, ast.Lambda):
                inner.update(a.arg for a in sub.args.args)
            elif isinstance(sub, ast.comprehension):
                inner.update(n.id for n in ast.walk(sub.target) if isinstance(n, ast.Name))
        reads = set()
        done = set()  # nodes put in for container items: already in the generated module's names
        normalizer = self

        def static_name(n):
            return isinstance(n, ast.Name) and n.id not in inner and ctx.rename.get(n.id) in normalizer.static

        def tuple_node(container, where):
            """A tuple kept at compile time, written out: ``(t_0, 3.0)``."""
            elts = []
            for item in container.items:
                if isinstance(item, _StaticTuple):
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
                done.update(id(n) for n in ast.walk(elts[-1]))
            node = ast.Tuple(elts=elts, ctx=ast.Load())
            done.add(id(node))
            return node

        class Items(ast.NodeTransformer):
            def visit_Subscript(self, sub):
                if static_name(sub.value) and isinstance(sub.slice, ast.Constant):
                    container = normalizer.static[ctx.rename[sub.value.id]]
                    key = sub.slice.value
                    if isinstance(container, _StaticDict):
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
                    done.update(id(n) for n in ast.walk(new))
                    return ast.copy_location(new, sub)
                return self.generic_visit(sub)

            def visit_Name(self, name):
                container = normalizer.static.get(ctx.rename.get(name.id)) if static_name(name) else None
                if isinstance(container, _StaticTuple) and isinstance(name.ctx, ast.Load):
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
                    if isinstance(container, _StaticDict) and container.present != set(container):
                        raise ctx.error(
                            call,
                            f"len({call.args[0].id}): some keys of the dict may be missing "
                            "here (set only inside a branch or loop above)",
                        )
                    size = len(container.items if isinstance(container, _StaticTuple) else container)
                    return ast.copy_location(ast.Constant(value=size), call)
                return self.generic_visit(call)

        if any(static_name(n) for n in ast.walk(node)):
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
        rewritten, reads = self.rewrite(node, ctx)
        return NonDiff(rewritten, reads)

    # ------------------------------------------------------------ statements
    def block(self, stmts, ctx):
        for s in stmts:
            self.stmt(s, ctx)

    def stmt(self, s, ctx):
        method = getattr(self, "stmt_" + type(s).__name__, None)
        if method is None:
            raise ctx.error(s, f"the statement '{type(s).__name__}' is not supported by srcgrad.grad")
        method(s, ctx)

    def stmt_Pass(self, s, ctx):
        pass

    def stmt_Expr(self, s, ctx):
        if isinstance(s.value, ast.Constant):  # docstring
            return
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
            if isinstance(item, (tuple, _StaticDict, _DictLiteral)):
                raise ctx.error(s, "appending a tuple or dict is not supported")
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
        if isinstance(call, ast.Call):
            if isinstance(call.func, ast.Attribute) and self.static_value(call.func, ctx) is _NOT_STATIC:
                raise ctx.error(
                    s,
                    f"a call of the method .{call.func.attr}() whose result is discarded may change "
                    "a value in place, which srcgrad.grad cannot follow",
                )
            callee = self.static_callee(call.func, ctx)
            if isinstance(callee, _LocalFunction) or _inlinable(callee):
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
        ctx.local_funcs[s.name] = _LocalFunction(s, ctx)

    def stmt_Assign(self, s, ctx):
        if isinstance(s.value, ast.Lambda) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name):
            ctx.local_funcs[s.targets[0].id] = _LocalFunction(s.value, ctx)
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
            value = self.value(s.value, ctx)
            self.bind_target(t, value, s, ctx)
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
            if isinstance(self.static[base], _StaticDict) and isinstance(target.slice, ast.Constant):
                old = self.entry(self.static[base], target.slice.value, target, ctx)  # it must be there
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
            if isinstance(s.op, ast.Add):
                rhs = self.atom(self.value(s.value, ctx), s, ctx)
                from ..rules.indexing import index_add

                value = self.call_prim(index_add, [Var(name), idx, rhs], {}, s, ctx, func_name="index_add")
            else:
                old = self.atom(self.call_prim(operator.getitem, [Var(name), idx], {}, s, ctx, style="getitem"), s, ctx)
                rhs = self.atom(self.value(s.value, ctx), s, ctx)
                new = self.atom(self.call_prim(fn, [old, rhs], {}, s, ctx, style="binop", op=s.op), s, ctx)
                from ..rules.indexing import index_update

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

    def fresh_array(self, value, name):
        """True when ``value`` is certainly a new array no other variable refers to."""
        from ..rules.indexing import index_add, index_update

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
            self.store(self.local(target, ctx), value, node, ctx)
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
            if isinstance(value, (tuple, _StaticDict, _DictLiteral, _LocalFunction)):
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
            from ..rules.indexing import index_update

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
        if name in ctx.grown:
            value = self.grown_value(name, value, node, ctx)
        if isinstance(value, (tuple, _StaticDict, _DictLiteral)):
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
        if isinstance(value, _LocalFunction):
            ctx.local_funcs[name] = value
            return
        if isinstance(value, ListNew) or (isinstance(value, Var) and value.name in self.temp_lists):
            self.lists.add(name)
        elif name in self.lists:
            raise ctx.error(node, f"'{self.shown(name)}' holds a list; assigning it anything else is not supported")
        if isinstance(value, Var):
            if value.name in self.lists and value.name not in self.temp_lists:
                raise ctx.error(node, "a second name for the same list (aliasing) is not supported; use one name")
            value = Copy(value)
        elif isinstance(value, Const):
            value = NonDiff(value.node, frozenset())
        if isinstance(value, Prim) and any(isinstance(a, Var) and a.name == name for a in value.args):
            positions, ans = rule_reads(value.rule, len(value.args))
            if ans and any(isinstance(a, Var) and a.name == name for j, a in enumerate(value.args) if j in positions):
                tmp = self.temp("t")
                self.assign(tmp, value, node, ctx)
                value = Copy(Var(tmp))
        self.assign(name, value, node, ctx)

    # ------------------------------------------------------------ tuples and dicts kept in variables
    def bind_static(self, name, value, node, ctx):
        """``name = (a, b)`` / ``name = {'k': v}`` / ``name = other_dict``: one variable per item.

        The items are copied into variables of their own (so rebinding ``a`` later does not change
        ``name[0]``, as in Python). Inside a branch or loop a name keeps its variables: a new tuple or
        dict of the same layout is assigned into them, so the value carried around a loop or joined
        after a branch is in the same variables on every path.
        """
        if name in self.params:
            raise ctx.error(
                node, f"the argument '{self.shown(name)}' cannot be rebound to a tuple or dict built in the function"
            )
        old = self.static.get(name)
        if isinstance(value, _StaticDict):  # another name for the same dict object
            if old is value:
                return
            if old is not None and self.control_depth:
                raise ctx.error(
                    node,
                    f"'{self.shown(name)}' is made to refer to another dict inside a branch or loop; "
                    "srcgrad.grad needs one dict per name there",
                )
            self.forget(name)
            value.names.add(name)
            self.static[name] = value
            return
        if old is None and self.control_depth and name in self.values_of:
            raise ctx.error(
                node,
                f"'{self.shown(name)}' holds a value before this branch or loop and a tuple or "
                "dict here; use another name for the tuple or dict",
            )
        if old is not None and self.control_depth and (isinstance(old, _StaticTuple) or len(old.names) == 1):
            if _layout(old) != _layout(value):
                kind = "tuple" if isinstance(old, _StaticTuple) else "dict"
                raise ctx.error(
                    node,
                    f"'{self.shown(name)}' holds a {kind} of another layout before this line; inside "
                    "a branch or loop srcgrad.grad needs the same number of items (the same "
                    "keys for a dict) on every path",
                )
            if not self.assign_items(old, value, node, ctx):
                raise ctx.error(
                    node,
                    f"'{self.shown(name)}' holds a tuple or dict with a constant, a list or a "
                    "function in it, which cannot change inside a branch or loop; build it from "
                    "variables",
                )
            if isinstance(old, _StaticDict):
                old.present = set(old)
            return
        elif old is not None and self.control_depth:
            raise ctx.error(
                node,
                f"the dict in '{self.shown(name)}' has another name too; rebinding "
                f"'{self.shown(name)}' inside a branch or loop is not supported",
            )
        new = self.new_static(name, value, node, ctx)
        self.forget(name)
        self.static[name] = new

    def new_static(self, name, value, node, ctx, shown=None):
        """A new container for ``value`` whose items are kept in fresh variables named after ``name``
        (``shown``: how the user spells the container, for messages)."""
        shown = shown or self.shown(name)
        keep_consts = name not in ctx.rebound and not self.control_depth
        if isinstance(value, tuple):
            new = _StaticTuple([None] * len(value))
            keys = range(len(value))
        else:
            new = _StaticDict()
            keys = list(value)
        pairs = []
        for k in keys:
            item = value[k]
            if isinstance(item, tuple):
                if isinstance(new, _StaticDict):
                    raise ctx.error(node, "nested tuples or dicts inside a dict are not supported")
                entry = self.new_static(f"{name}_{k}", item, node, ctx, f"{shown}[{k!r}]")
            elif isinstance(item, _DictLiteral):
                raise ctx.error(node, "nested tuples or dicts inside a tuple or dict are not supported")
            elif isinstance(item, (_StaticDict, _LocalFunction)):
                if isinstance(new, _StaticDict):
                    raise ctx.error(node, "nested tuples or dicts inside a dict are not supported")
                entry = item
            elif isinstance(item, Var) and item.name in self.lists:
                if item.name not in self.fresh_lists or item.name in self.multi_outputs:
                    raise ctx.error(
                        node,
                        f"a list kept in a tuple or dict must be written in place ([a, b]); "
                        f"use '{self.shown(item.name)}' by its own name",
                    )
                entry = item
            elif isinstance(item, Const) and keep_consts:
                entry = item
            else:
                var = self.renamed(f"{shown}[{k!r}]", self.namer.fresh(f"{name}_{k}"))
                self.entry_vars.add(var)
                entry = Var(var)
                pairs.append((var, item))
            if isinstance(new, _StaticDict):
                new[k] = entry
            else:
                new.items[k] = entry
        self.assign_pairs(pairs, node, ctx)
        if isinstance(new, _StaticDict):
            new.present = set(new)
            new.names.add(name)
            self.dicts_made.append(new)
        return new

    def assign_items(self, old, value, node, ctx):
        """Assign the items of ``value`` into the variables of ``old`` (same layout); False when an item of
        ``old`` is a constant or a list (no variable to assign into) that ``value`` changes."""
        pairs = []

        def collect(old, value):
            keys = range(len(value)) if isinstance(value, tuple) else list(value)
            for k in keys:
                entry = old.items[k] if isinstance(old, _StaticTuple) else old[k]
                item = value[k]
                if isinstance(entry, _StaticTuple):
                    if not collect(entry, item):
                        return False
                elif isinstance(entry, Var) and entry.name in self.entry_vars:
                    if isinstance(item, (_StaticDict, _LocalFunction, _DictLiteral)) or (
                        isinstance(item, Var) and item.name in self.lists
                    ):
                        return False
                    pairs.append((entry.name, item))
                elif not (
                    entry is item
                    or (
                        isinstance(entry, Const)
                        and isinstance(item, Const)
                        and ast.dump(entry.node) == ast.dump(item.node)
                    )
                ):
                    return False
            return True

        if not collect(old, value):
            return False
        self.assign_pairs(pairs, node, ctx)
        return True

    def assign_pairs(self, pairs, node, ctx):
        """``var = item`` for each pair, as one simultaneous assignment (``t = (t[1], t[0])`` swaps)."""
        targets = {var for var, _ in pairs}
        staged = []
        for var, item in pairs:
            if isinstance(item, Var) and item.name in targets and item.name != var:
                tmp = self.temp("t")
                self.assign(tmp, Copy(item), node, ctx)
                item = Var(tmp)
            staged.append((var, item))
        for var, item in staged:
            if not (isinstance(item, Var) and item.name == var):
                self.store(var, item, node, ctx)

    def forget(self, name):
        old = self.static.pop(name, None)
        if isinstance(old, _StaticDict):
            old.names.discard(name)

    def view(self, container):
        """A container's items as the normalizer passes values around: a tuple of atoms, or the dict itself."""
        if isinstance(container, _StaticTuple):
            return tuple(self.view(i) if isinstance(i, _StaticTuple) else i for i in container.items)
        return container

    def entry_target(self, target, node, ctx):
        """The variable ``d['k'] = ...`` assigns (a new one for a new key)."""
        name = ctx.rename[target.value.id]
        d = self.static[name]
        if not isinstance(d, _StaticDict):
            raise ctx.error(
                node,
                f"'{target.value.id}' holds a tuple, which cannot be changed: build a new one "
                f"({target.value.id} = (...))",
            )
        if not isinstance(target.slice, ast.Constant):
            raise ctx.error(node, "assignment into a dict with a key that is not a constant")
        key = target.slice.value
        entry = d.get(key)
        if entry is None or not (isinstance(entry, Var) and entry.name in self.entry_vars):
            if entry is not None and self.control_depth:
                raise ctx.error(
                    node,
                    f"the item {key!r} of '{target.value.id}' holds a list; it cannot be replaced "
                    "inside a branch or loop",
                )
            var = self.renamed(f"{self.shown(name)}[{key!r}]", self.namer.fresh(f"{name}_{key}"))
            self.entry_vars.add(var)
            d[key] = Var(var)
        d.present.add(key)
        return d[key].name

    def entry(self, container, key, e, ctx):
        """Read ``d['k']`` of a dict kept in variables: its entry, if the key is set on every path here."""
        if key not in container:
            raise ctx.error(e, f"the dict has no key {key!r} here (keys: {', '.join(map(repr, container)) or 'none'})")
        if key not in container.present:
            raise ctx.error(
                e,
                f"the key {key!r} may be missing here: it is set only inside a branch or loop "
                "above; set it before that branch or loop too",
            )
        return container[key]

    def presence(self):
        return {id(d): set(d.present) for d in self.dicts_made}

    def restore_presence(self, snapshot):
        for d in self.dicts_made:
            if id(d) in snapshot:
                d.present = set(snapshot[id(d)])

    def join_presence(self, *snapshots):
        """After a branch: a key is present when every branch that falls through set it."""
        for d in self.dicts_made:
            found = [snap[id(d)] for snap in snapshots if snap is not None and id(d) in snap]
            if found:
                d.present = set.intersection(*found)

    def grown_value(self, name, value, node, ctx):
        """A tuple grown inside a branch or loop (``acc = acc + (v,)``) is kept as a list."""
        if isinstance(value, tuple):
            if any(
                isinstance(v, (tuple, _StaticDict, _DictLiteral, _LocalFunction))
                or (isinstance(v, Var) and v.name in self.lists)
                for v in value
            ):
                raise ctx.error(
                    node,
                    f"'{self.shown(name)}' grows inside a branch or loop, so srcgrad.grad keeps it "
                    "as a list of single values: tuples, dicts or lists inside it are not supported",
                )
            return ListNew(list(value))
        shown = self.shown(name)
        raise ctx.error(
            node,
            f"'{shown}' grows with {shown} = {shown} + (...) inside a branch or loop, so "
            "srcgrad.grad keeps it as a list: it can only be given tuples",
        )

    def grow(self, name, elts, node, ctx):
        """``acc = acc + (a, b)`` / ``acc += (a, b)`` on a grown tuple: appends."""
        if name not in self.lists:
            shown = self.shown(name)
            raise ctx.error(node, f"'{shown}' must hold a tuple before it grows ({shown} = () first)")
        for elt in elts:
            item = self.expr(elt, ctx)
            if isinstance(item, (tuple, _StaticDict, _DictLiteral, _LocalFunction)) or (
                isinstance(item, Var) and item.name in self.lists
            ):
                raise ctx.error(
                    node,
                    f"'{self.shown(name)}' grows inside a branch or loop, so srcgrad.grad keeps it "
                    "as a list of single values: tuples, dicts or lists inside it are not supported",
                )
            self.emit(Append(name, item, lineno=self.line(node, ctx)))

    # ------------------------------------------------------------ list items
    def list_set(self, target, value, node, ctx, op=None):
        """``lst[i] = v`` (``op`` None) or ``lst[i] op= v`` on a list the function builds: rebinds one slot."""
        name = ctx.rename[target.value.id]
        user = target.value.id
        if name in self.multi_outputs:
            raise ctx.error(
                node,
                f"'{user}' holds the results of a call with several outputs; assigning into it is "
                f"not supported (build a list: [{user}[0], {user}[1]])",
            )
        if any(isinstance(n, ast.Slice) for n in ast.walk(target.slice)):
            raise ctx.error(
                node, f"assignment into a slice of the list '{user}' is not supported; assign its items one by one"
            )
        idx = self.index(target.slice, node, ctx)
        if op is not None:
            fn = BINOPS[type(op)]
            old = self.atom(ListGet(Var(name), idx), node, ctx)
            rhs = self.atom(self.value(value, ctx), node, ctx)
            value = self.call_prim(fn, [old, rhs], {}, node, ctx, style="binop", op=op)
        fresh = not isinstance(value, (Var, Const, tuple, _LocalFunction, _StaticDict, _DictLiteral))
        item = self.atom(value, node, ctx)
        if isinstance(item, (tuple, _StaticDict, _DictLiteral, _LocalFunction)) or (
            isinstance(item, Var) and item.name in self.lists
        ):
            raise ctx.error(node, "a list item must be a single value (not a tuple, dict or list)")
        if fresh and isinstance(item, Var) and self.fresh_array(value, item.name):
            self.private_items.add(item.name)
        self.emit(ListSet(name, idx, item, lineno=self.line(node, ctx)))
        if op is not None:
            self.list_inplace.append(self.out[-1])

    def stmt_If(self, s, ctx):
        cond = self.temp("cond")
        self.assign(cond, self.nondiff(s.test, ctx), s, ctx)
        before = self.presence()
        body = self.sub_block(s.body, ctx)
        after_body = self.presence() if _falls(body) else None
        self.restore_presence(before)
        orelse = self.sub_block(s.orelse, ctx)
        after_else = self.presence() if _falls(orelse) else None
        self.join_presence(after_body, after_else)
        self.emit(If(cond, body, orelse, lineno=self.line(s, ctx)))

    def enter_body(self):
        """Start writing a branch or loop body (see ``block_path``)."""
        self.control_depth += 1
        self._blocks += 1
        self.block_path += (self._blocks,)

    def next_body(self):
        """Start writing the other branch at the same level."""
        self._blocks += 1
        self.block_path = self.block_path[:-1] + (self._blocks,)

    def leave_body(self):
        """Finish the body ``enter_body`` started."""
        self.control_depth -= 1
        self.block_path = self.block_path[:-1]

    def sub_block(self, stmts, ctx):
        saved, self.out = self.out, []
        self.enter_body()
        try:
            self.block(stmts, ctx)
            return self.out
        finally:
            self.out = saved
            self.leave_body()

    def loop_else(self, s, ctx):
        """``for/while ... else``: a flag set before each ``break`` of this loop; the else runs when it is not set."""
        flag = self.temp("broke")
        ctx.rename[flag] = flag

        class MarkBreaks(ast.NodeTransformer):
            def visit_Break(self, node):
                set_flag = ast.Assign(targets=[ast.Name(id=flag, ctx=ast.Store())], value=ast.Constant(value=True))
                return [ast.copy_location(set_flag, node), node]

            def visit_For(self, node):  # breaks of inner loops are theirs
                return node

            visit_While = visit_For

            def visit_FunctionDef(self, node):
                return node

        loop = copy.copy(s)
        loop.body = [MarkBreaks().visit(clone(b)) for b in s.body]
        flat = []
        for b in loop.body:
            flat.extend(b if isinstance(b, list) else [b])
        loop.body = flat
        loop.orelse = []
        init = ast.copy_location(
            ast.Assign(targets=[ast.Name(id=flag, ctx=ast.Store())], value=ast.Constant(value=False)), s
        )
        after = ast.copy_location(
            ast.If(test=ast.UnaryOp(op=ast.Not(), operand=ast.Name(id=flag, ctx=ast.Load())), body=s.orelse, orelse=[]),
            s,
        )
        for node in (init, after):
            for sub in ast.walk(node):
                if isinstance(sub, (ast.stmt, ast.expr)) and not hasattr(sub, "lineno"):
                    ast.copy_location(sub, s)
        self.stmt(init, ctx)
        self.stmt(loop, ctx)
        self.stmt(after, ctx)

    def stmt_While(self, s, ctx):
        if s.orelse:
            return self.loop_else(s, ctx)
        test = self.nondiff(s.test, ctx)
        before = self.presence()
        body = self.sub_block(s.body, ctx)
        self.restore_presence(before)  # the loop may run no iteration
        self.emit(While(test.node, body, lineno=self.line(s, ctx)))

    def range_expr(self, node, ctx):
        """True for ``range(...)`` or a slice of it (``range(n)[:k]``): a range object."""
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            node = node.value
        return isinstance(node, ast.Call) and self.static_value(node.func, ctx) is range

    def stmt_For(self, s, ctx):
        if s.orelse:
            return self.loop_else(s, ctx)
        if self.dict_loop(s, ctx):
            return
        it = s.iter
        lineno = self.line(s, ctx)
        func = self.static_callee(it.func, ctx) if isinstance(it, ast.Call) else None
        if func is reversed and len(it.args) == 1 and not it.keywords and self.range_expr(it.args[0], ctx):
            # reversed(range(...)) (a generated adjoint loop, read again): the range backwards, itself a range
            it = ast.copy_location(
                ast.Subscript(
                    value=it.args[0],
                    slice=ast.Slice(step=ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=1))),
                    ctx=ast.Load(),
                ),
                it,
            )
            func = range
        if func is range:
            if not isinstance(s.target, ast.Name):
                raise ctx.error(s, "a range loop needs a single loop variable")
            target = self.local(s.target, ctx)
            rng = self.nondiff(it, ctx)
            before = self.presence()
            body = self.sub_block(s.body, ctx)
            self.restore_presence(before)  # the loop may run no iteration
            if any(isinstance(st, Assign) and st.target == target for st in walk_stmts(body)):
                raise ctx.error(s, f"the loop variable '{s.target.id}' is assigned inside the loop")
            self.emit(For(target, rng.node, body, lineno=lineno))
            return
        if func is enumerate:
            if not (isinstance(s.target, ast.Tuple) and len(s.target.elts) == 2):
                raise ctx.error(s, "for i, x in enumerate(...) needs two loop variables")
            inner = it.args[0]
            if isinstance(inner, ast.Call) and self.static_callee(inner.func, ctx) is zip:
                # for i, (a, b) in enumerate(zip(A, B))
                seqs = [self.atom(self.value(a, ctx), s, ctx, "seq") for a in inner.args]
                items = s.target.elts[1]
                if not (isinstance(items, ast.Tuple) and len(items.elts) == len(seqs)):
                    raise ctx.error(s, "for i, (a, b) in enumerate(zip(A, B)) needs one name per sequence")
                index_target, item_targets = s.target.elts[0], items.elts
            else:
                seqs = [self.atom(self.value(inner, ctx), s, ctx, "seq")]
                index_target, item_targets = s.target.elts[0], [s.target.elts[1]]
        elif func is zip:
            seqs = [self.atom(self.value(a, ctx), s, ctx, "seq") for a in it.args]
            if not (isinstance(s.target, ast.Tuple) and len(s.target.elts) == len(seqs)):
                raise ctx.error(s, "for a, b in zip(...) needs one loop variable per sequence")
            index_target, item_targets = None, s.target.elts
        else:
            seqs = [self.atom(self.value(it, ctx), s, ctx, "seq")]
            index_target, item_targets = None, [s.target]
        if any(isinstance(q, (_StaticDict, _DictLiteral)) for q in seqs):
            raise ctx.error(
                s,
                "a loop over a dict inside enumerate or zip is not supported; loop over the dict "
                "itself (for k in d, for k, v in d.items(), for v in d.values())",
            )
        if isinstance(seqs[0], tuple):
            # A tuple written in place: unroll the loop, one copy of the body per element.
            if func is not None or any(isinstance(n, (ast.Break, ast.Continue)) for n in ast.walk(s)):
                raise ctx.error(
                    s,
                    "a loop over a tuple written in place cannot use break/continue, "
                    "enumerate or zip; loop over a name",
                )
            # Python reads the tuple once: items the body may change are copied first.
            stored = {
                ctx.rename.get(n.id)
                for b in s.body
                for n in ast.walk(b)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
            }

            def stage(item):
                if isinstance(item, tuple):
                    return tuple(stage(i) for i in item)
                if (
                    isinstance(item, Var)
                    and (item.name in stored or item.name in self.entry_vars)
                    and item.name not in self.lists
                ):
                    tmp = self.temp("t")
                    self.assign(tmp, Copy(item), s, ctx)
                    return Var(tmp)
                return item

            for item in [stage(i) for i in seqs[0]]:
                self.bind_target(s.target, item, s, ctx)
                self.block(s.body, ctx)
            return
        if index_target is not None:
            if not isinstance(index_target, ast.Name):
                raise ctx.error(s, "the index of enumerate must be a single name")
            index = self.local(index_target, ctx)
        else:
            index = self.temp("i")
        lens = [
            ast.Call(
                func=ast.Name(id=self.ns.bind(len, "len"), ctx=ast.Load()),
                args=[copy.deepcopy(q.node) if isinstance(q, Const) else ast.Name(id=q.name, ctx=ast.Load())],
                keywords=[],
            )
            for q in seqs
        ]
        n = (
            lens[0]
            if len(lens) == 1
            else ast.Call(func=ast.Name(id=self.ns.bind(min, "min"), ctx=ast.Load()), args=lens, keywords=[])
        )
        rng = ast.Call(func=ast.Name(id=self.ns.bind(range, "range"), ctx=ast.Load()), args=[n], keywords=[])
        saved, self.out = self.out, []
        for q, t in zip(seqs, item_targets):
            if isinstance(q, Var) and q.name in self.lists:
                item = ListGet(q, Const(ast.Name(id=index, ctx=ast.Load())))
            else:
                item = self.call_prim(
                    operator.getitem, [q, Const(ast.Name(id=index, ctx=ast.Load()))], {}, s, ctx, style="getitem"
                )
            self.bind_target(t, item, s, ctx)
        before = self.presence()
        self.enter_body()
        self.block(s.body, ctx)
        self.leave_body()
        self.restore_presence(before)  # the loop may run no iteration
        body, self.out = self.out, saved
        for q in seqs:
            if isinstance(q, Var) and any(isinstance(st, Assign) and st.target == q.name for st in walk_stmts(body)):
                raise ctx.error(s, "the sequence a for loop runs over is reassigned inside the loop")
        self.emit(For(index, rng, body, lineno=lineno))

    def dict_loop(self, s, ctx):
        """``for k in d`` (``d.keys()``, ``d.values()``, ``d.items()``) over a dict whose keys are known here:
        a dict built in the function or a dict argument. Unrolled, one copy of the body per key in insertion
        order, ``k`` read as the key constant and ``v`` bound to ``d[k]`` at the start of its iteration (as
        Python's view reads it). Returns False for any other loop."""
        it, view = s.iter, "keys"
        if (
            isinstance(it, ast.Call)
            and isinstance(it.func, ast.Attribute)
            and it.func.attr in _DICT_VIEWS
            and not it.args
            and not it.keywords
        ):
            it, view = it.func.value, it.func.attr
        if not (isinstance(it, ast.Name) and it.id in ctx.rename and it.id not in ctx.local_funcs):
            return False
        name = ctx.rename[it.id]
        container = self.static.get(name)
        if isinstance(container, _StaticDict):
            if container.present != set(container):
                raise ctx.error(
                    s,
                    f"a loop over '{it.id}', some of whose keys may be missing here (set only "
                    "inside a branch or loop above): set them before that branch or loop too",
                )
        elif container is None and name in self.dict_keys and name not in self.rebound:
            container = self.dict_keys[name]
        else:
            return False
        keys = list(container)
        if _own_jumps(s.body):
            raise ctx.error(s, "a loop over a dict is unrolled over its keys, so it cannot use break or continue")
        if view == "items":
            if not (isinstance(s.target, (ast.Tuple, ast.List)) and len(s.target.elts) == 2):
                raise ctx.error(s, f"for k, v in {it.id}.items() needs two loop variables")
            key_target, value_target = s.target.elts
        elif view == "values":
            key_target, value_target = None, s.target
        else:
            key_target, value_target = s.target, None
        if key_target is not None and not isinstance(key_target, ast.Name):
            raise ctx.error(s, "the key of a loop over a dict must be a single name")
        body = s.body
        if key_target is not None:
            if _stores_name(body, key_target.id):
                raise ctx.error(s, f"the loop variable '{key_target.id}' is assigned inside the loop")
        for key in keys:
            if key_target is not None:
                self.bind_target(key_target, Const(ast.Constant(value=key)), s, ctx)
                body = [_put_constant(b, key_target.id, key) for b in s.body]
            if value_target is not None:
                read = ast.copy_location(
                    ast.Subscript(
                        value=ast.Name(id=it.id, ctx=ast.Load()), slice=ast.Constant(value=key), ctx=ast.Load()
                    ),
                    it,
                )
                for sub in ast.walk(read):
                    ast.copy_location(sub, it)
                self.bind_target(value_target, self.value(read, ctx), s, ctx)
            self.block(body, ctx)
        if isinstance(container, _StaticDict) and list(container) != keys:
            raise ctx.error(
                s,
                f"the loop over '{it.id}' adds keys to it (Python raises RuntimeError: "
                "dictionary changed size during iteration)",
            )
        return True

    def stmt_Break(self, s, ctx):
        self.emit(Break(lineno=self.line(s, ctx)))

    def stmt_Continue(self, s, ctx):
        self.emit(Continue(lineno=self.line(s, ctx)))

    def stmt_Return(self, s, ctx):
        if s.value is None:
            raise ctx.error(s, "a bare return: the differentiated function must return a value")
        if isinstance(s.value, ast.Constant) and (s.value.value is None or isinstance(s.value.value, (str, bytes))):
            raise ctx.error(
                s, f"return {s.value.value!r}: the differentiated function must return a number or a numeric array"
            )
        value = self.value(s.value, ctx)
        if not isinstance(value, tuple):
            fresh = not isinstance(value, (Var, Const))
            value = self.atom(value, s, ctx, "result")
            if fresh and isinstance(value, Var):
                self.return_temps.add(value.name)
        self.emit(Return(value, lineno=self.line(s, ctx)))

    # ------------------------------------------------------------ expressions
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

    def expr_Tuple(self, e, ctx):
        return tuple(self.expr(x, ctx) for x in e.elts)

    def expr_List(self, e, ctx):
        items = [self.item(x, ctx) for x in e.elts]
        if any(isinstance(x, (tuple, _StaticDict, _DictLiteral)) for x in items):
            raise ctx.error(e, "lists of tuples or dicts are not supported")
        return ListNew(items)

    def item(self, e, ctx):
        """An atom for a list item; a fresh array made only for it is remembered as private to the list."""
        value = self.value(e, ctx)
        item = self.atom(value, e, ctx)
        if item is not value and isinstance(item, Var) and self.fresh_array(value, item.name):
            self.private_items.add(item.name)
        return item

    def expr_Dict(self, e, ctx):
        out = _DictLiteral()
        for k, v in zip(e.keys, e.values):
            if k is None or not isinstance(k, ast.Constant):
                raise ctx.error(e, "dict keys must be constants written in place ({'w': W})")
            item = self.expr(v, ctx)
            if isinstance(item, (tuple, _StaticDict, _DictLiteral)):
                raise ctx.error(e, "nested tuples or dicts inside a dict are not supported")
            out[k.value] = item
        return out

    def expr_ListComp(self, e, ctx):
        if len(e.generators) != 1 or e.generators[0].is_async:
            raise ctx.error(e, "comprehensions with more than one 'for' are not supported")
        gen = e.generators[0]
        result = self.temp("items")
        self.assign(result, ListNew([]), e, ctx)
        self.lists.add(result)
        self.temp_lists.add(result)
        saved = dict(ctx.rename)
        for n in ast.walk(gen.target):
            if isinstance(n, ast.Name):
                ctx.rename[n.id] = self.renamed(n.id, self.namer.fresh(n.id))
        ctx.rename[result] = result
        append = ast.Expr(
            value=ast.Call(
                func=ast.Attribute(value=ast.Name(id=result, ctx=ast.Load()), attr="append", ctx=ast.Load()),
                args=[e.elt],
                keywords=[],
            )
        )
        body = [append]
        for cond in reversed(gen.ifs):
            body = [ast.If(test=cond, body=body, orelse=[])]
        loop = ast.For(target=gen.target, iter=gen.iter, body=body, orelse=[])
        ast.copy_location(loop, e)
        for sub in ast.walk(loop):
            if not hasattr(sub, "lineno") and isinstance(sub, (ast.stmt, ast.expr)):
                ast.copy_location(sub, e)
        try:
            self.stmt_For(loop, ctx)
        finally:
            ctx.rename.clear()
            ctx.rename.update(saved)
        return Var(result)

    expr_GeneratorExp = expr_ListComp

    def expr_Compare(self, e, ctx):
        return self.nondiff(e, ctx)

    def expr_BoolOp(self, e, ctx):
        # a and b -> t = a; if t: t = b   (the value of the last operand evaluated)
        result = self.temp("t")
        self.store(result, self.value(e.values[0], ctx), e, ctx)
        self.boolop_rest(result, e.op, e.values[1:], e, ctx)
        return Var(result)

    def boolop_rest(self, result, op, rest, e, ctx):
        if not rest:
            return
        cond = self.temp("cond")
        test = ast.Name(id=result, ctx=ast.Load())
        if isinstance(op, ast.Or):
            test = ast.UnaryOp(op=ast.Not(), operand=test)
        self.assign(cond, NonDiff(test, frozenset({result})), e, ctx)
        saved, self.out = self.out, []
        before = self.presence()
        self.enter_body()
        try:
            self.store(result, self.value(rest[0], ctx), e, ctx)
            self.boolop_rest(result, op, rest[1:], e, ctx)
        finally:
            self.leave_body()
        body, self.out = self.out, saved
        self.join_presence(self.presence(), before)
        self.emit(If(cond, body, [], lineno=self.line(e, ctx)))

    def expr_IfExp(self, e, ctx):
        for branch in (e.body, e.orelse):
            if isinstance(branch, ast.Dict) or (
                isinstance(branch, ast.Name) and isinstance(self.static.get(ctx.rename.get(branch.id)), _StaticDict)
            ):
                raise ctx.error(e, "a conditional expression that chooses a dict is not supported; use an if statement")
        result = self.temp("t")
        cond = self.temp("cond")
        self.assign(cond, self.nondiff(e.test, ctx), e, ctx)
        saved, self.out = self.out, []
        before = self.presence()
        self.enter_body()
        try:
            self.store(result, self.value(e.body, ctx), e, ctx)
            body, self.out = self.out, []
            after_body = self.presence()
            self.restore_presence(before)
            self.next_body()
            self.store(result, self.value(e.orelse, ctx), e, ctx)
            orelse, self.out = self.out, saved
        finally:
            self.leave_body()
            self.out = saved
        self.join_presence(after_body, self.presence())
        self.emit(If(cond, body, orelse, lineno=self.line(e, ctx)))
        if result in self.static:  # a tuple chosen by the condition: its items' variables
            return self.view(self.static[result])
        return Var(result)

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
        if any(isinstance(a, (_StaticDict, _DictLiteral, _LocalFunction)) for a in (left, right)):
            raise ctx.error(e, "arithmetic on a dict or function is not supported")
        return self.call_prim(fn, [left, right], {}, e, ctx, style="binop", op=e.op)

    def expr_Subscript(self, e, ctx):
        if isinstance(e.value, (ast.Name, ast.Attribute)):
            obj = self.static_value(e.value, ctx)
            if obj is not _NOT_STATIC and not isinstance(obj, _LocalFunction):
                got = self.static_subscript(obj, e, ctx)
                if got is not None:
                    return got
        base = self.value(e.value, ctx)
        if isinstance(base, _StaticDict):
            if isinstance(e.slice, ast.Constant):
                return self.entry(base, e.slice.value, e, ctx)
            raise ctx.error(e, "a dict built in the function is read with a constant key it has")
        if isinstance(base, _DictLiteral):
            if isinstance(e.slice, ast.Constant) and e.slice.value in base:
                return base[e.slice.value]
            raise ctx.error(e, "a dict built in the function is read with a constant key it has")
        if isinstance(base, tuple):
            k = _const_int(self.rewrite(e.slice, ctx)[0])
            if k is not None and -len(base) <= k < len(base):
                return base[k]
            if (
                k is None
                and not isinstance(e.slice, ast.Slice)
                and base
                and all(isinstance(x, (Var, Const)) for x in base)
            ):
                # an index known only when the code runs (t[i], i an argument): the item is chosen then
                lst = self.atom(ListNew(list(base)), e, ctx)
                return ListGet(lst, self.index(e.slice, e, ctx))
            raise ctx.error(
                e,
                "indexing a tuple needs an integer index it has (a tuple of tuples or dicts, a slice: a constant one)",
            )
        base = self.atom(base, e, ctx)
        idx = self.index(e.slice, e, ctx)
        if isinstance(base, Var) and base.name in self.lists:
            return ListGet(base, idx)
        if isinstance(base, Const):
            return Const(ast.Subscript(value=base.node, slice=idx.node, ctx=ast.Load()))
        return self.call_prim(operator.getitem, [base, idx], {}, e, ctx, style="getitem")

    def static_subscript(self, obj, e, ctx):
        """``obj[...]`` of an object that is no local value (a global, a module attribute), or ``None`` to index
        it as usual (data indexed by anything: an array, list, dict, ... of the module; an index with no local
        values in it).

        ``np.r_[...]`` and ``np.c_[...]`` become a concatenation (``concat_index``); ``np.s_[...]`` and
        ``np.index_exp[...]`` are indices. Any other object's ``__getitem__`` given local values is a function
        the compiler cannot see into: its value is marked unknown (``NonDiff.unknown``), so a derivative that
        would flow through it is refused at the line, never dropped.
        """
        if obj is np.r_ or obj is np.c_:
            return self.concat_index(obj, e, ctx)
        if obj is np.s_ or obj is np.index_exp or isinstance(obj, _DATA):
            return None
        rewritten, reads = self.rewrite(e.slice, ctx)
        if not reads:
            return None
        base, _ = self.rewrite(e.value, ctx)
        node = ast.Subscript(value=base, slice=rewritten, ctx=ast.Load())
        spelled = ast.unparse(e.value)
        return NonDiff(node, reads, unknown=f"{spelled}[...] (the [] of a {type(obj).__name__} object)")

    def concat_index(self, obj, e, ctx):
        """``np.r_[a, b, ...]``: ``np.concatenate`` of the pieces made at least 1-d (``np.c_``: of the pieces made
        at least 2-d, a vector as a column, along the last axis); a slice piece is the range ``np.r_[0:3]``
        itself, a list piece an array. Both are linear in the pieces, so they have the rules of ``reshape``
        and ``concatenate``."""
        spelled = ast.unparse(e.value)
        elts = e.slice.elts if isinstance(e.slice, ast.Tuple) else [e.slice]
        if elts and isinstance(elts[0], ast.Constant) and isinstance(elts[0].value, str):
            raise ctx.error(
                e,
                f"{spelled}[...] with a directive string ({elts[0].value!r}) is not supported: use "
                "np.concatenate or np.stack with an axis",
            )
        column = obj is np.c_
        pieces = []
        for elt in elts:
            if isinstance(elt, ast.Slice):  # a range (np.c_: a column of it)
                node, reads = self.rewrite(ast.Subscript(value=e.value, slice=elt, ctx=ast.Load()), ctx)
                pieces.append(self.atom(NonDiff(node, reads), e, ctx))
                continue
            item = self.value(elt, ctx)
            if isinstance(item, ListNew) or (isinstance(item, Var) and item.name in self.lists):
                lst = self.atom(item, e, ctx)
                array = ast.Call(func=self.const_node(np.array), args=[_atom_node(lst)], keywords=[])
                from ..rules.shape import stack_args

                item = ListReduce("stack", stack_args, array, lst, {})
            elif isinstance(item, (tuple, _StaticDict, _DictLiteral, _LocalFunction)):
                raise ctx.error(e, f"{spelled}[...] of a tuple, dict or function is not supported")
            a = self.atom(item, e, ctx)
            np_shape = ast.Call(func=self.const_node(np.shape), args=[_atom_node(a)], keywords=[])
            if column:  # (-1, 1) if np.ndim(a) < 2 else np.shape(a)
                ndim = ast.Call(func=self.const_node(np.ndim), args=[_atom_node(a)], keywords=[])
                shape = ast.IfExp(
                    test=ast.Compare(left=ndim, ops=[ast.Lt()], comparators=[ast.Constant(value=2)]),
                    body=ast.Tuple(elts=[ast.Constant(value=-1), ast.Constant(value=1)], ctx=ast.Load()),
                    orelse=np_shape,
                )
            else:  # (-1,) + np.shape(a)[1:]
                shape = ast.BinOp(
                    left=ast.Tuple(elts=[ast.Constant(value=-1)], ctx=ast.Load()),
                    op=ast.Add(),
                    right=ast.Subscript(value=np_shape, slice=ast.Slice(lower=ast.Constant(value=1)), ctx=ast.Load()),
                )
            if isinstance(a, Const):
                piece = self.call_prim(np.reshape, [a, Const(shape)], {}, e, ctx)
            else:
                shape_var = self.temp("shape")
                self.assign(shape_var, NonDiff(shape, frozenset({a.name})), e, ctx)
                piece = self.call_prim(np.reshape, [a, Const(ast.Name(id=shape_var, ctx=ast.Load()))], {}, e, ctx)
            pieces.append(self.atom(piece, e, ctx))
        lst = self.atom(ListNew(pieces), e, ctx)
        axis = Const(ast.Constant(value=-1 if column else 0))
        node = ast.Call(
            func=self.const_node(np.concatenate),
            args=[_atom_node(lst)],
            keywords=[ast.keyword(arg="axis", value=copy.deepcopy(axis.node))],
        )
        from ..rules.shape import concatenate_args

        return ListReduce("concatenate", concatenate_args, node, lst, {"axis": axis})

    def index(self, node, where, ctx):
        """An index as a ``Const``: kept in place when simple, else computed into a variable first."""
        rewritten, reads = self.rewrite(node, ctx)
        if _simple_index(rewritten):
            return Const(rewritten)
        name = self.temp("idx")
        self.assign(name, NonDiff(_slices_to_values(rewritten, self), reads), where, ctx)
        return Const(ast.Name(id=name, ctx=ast.Load()))

    def expr_Attribute(self, e, ctx):
        chain = self.static_value(e, ctx)
        if chain is not _NOT_STATIC:
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
        return _LocalFunction(e, ctx)

    def expr_Call(self, e, ctx):
        func = e.func
        # Methods of local values: x.sum(axis=0) -> np.sum(x, axis=0)
        if isinstance(func, ast.Attribute) and self.static_value(func, ctx) is _NOT_STATIC:
            return self.method_call(e, ctx)
        callee = self.static_callee(func, ctx)
        if isinstance(callee, _LocalFunction):
            return self.inline(callee, e, ctx)
        if _is_derivative(callee):
            # a compiled gradient or JVP (higher order): differentiated through the code it generated
            if getattr(callee, "tangent_tuple", False) and e.args and isinstance(e.args[-1], ast.Tuple):
                # jvp(f, wrt=(0, 1))(x, y, (tx, ty)): the generated function takes the tangents one by one
                e = ast.copy_location(
                    ast.Call(func=e.func, args=e.args[:-1] + list(e.args[-1].elts), keywords=e.keywords), e
                )
            callee, deps = callee.inline_target()
            self.deps.append(_Dependencies(deps))
        if (
            callee is len
            and len(e.args) == 1
            and not e.keywords
            and isinstance(e.args[0], ast.Name)
            and ctx.rename.get(e.args[0].id) in self.static
        ):
            container = self.static[ctx.rename[e.args[0].id]]
            if isinstance(container, _StaticDict) and container.present != set(container):
                raise ctx.error(
                    e,
                    f"len({e.args[0].id}): some keys of the dict may be missing here (set only "
                    "inside a branch or loop above)",
                )
            return Const(ast.Constant(value=len(container.items if isinstance(container, _StaticTuple) else container)))
        if callee is dict and not e.args and all(k.arg is not None for k in e.keywords):
            # dict(a=x, b=y) is the dict {'a': x, 'b': y}
            return self.expr_Dict(
                ast.copy_location(
                    ast.Dict(
                        keys=[ast.Constant(value=k.arg) for k in e.keywords], values=[k.value for k in e.keywords]
                    ),
                    e,
                ),
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
        reducer = _list_reducer(callee)
        plain = reducer is None and not (_inlinable(callee) and get_rule(callee) is None)

        def argument(a):
            """An argument's atom; a list of constants given to a numpy function is a constant too (indices,
            pad widths: np.take(x, [0, 2]), np.ix_([0, 1], [2, 0]))."""
            if plain and isinstance(a, ast.List):
                node, reads = self.rewrite(a, ctx)
                if not reads:
                    return Const(node)
            return self.expr(a, ctx)

        args = [argument(a) for a in e.args]
        kwargs = {k.arg: argument(k.value) for k in e.keywords}
        if reducer is not None and args and isinstance(args[0], tuple):
            args[0] = self.atom(ListNew(list(args[0])), e, ctx)
        if reducer is not None and args and isinstance(args[0], Var) and args[0].name in self.lists:
            kind, prim = reducer
            if len(args) > 1 or any(not isinstance(v, Const) for v in kwargs.values()) or (kind == "sum" and kwargs):
                raise ctx.error(e, "pass the axis of np.stack / np.concatenate by keyword (axis=...)")
            node = ast.Call(
                func=self.callee_node(func, callee, ctx),
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
        if not (_inlinable(callee) and get_rule(callee) is None):  # your own functions take tuples and lists
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
                args=[_atom_node(args[0])],
                keywords=[ast.keyword(arg=k, value=_atom_node(v)) for k, v in kwargs.items()],
            )
            return Cast(args[0], node)
        if callee is sum and len(args) == 1 and not kwargs and isinstance(args[0], Var):
            # Python's sum over an array (or a list argument) adds its rows: np.sum(x, axis=0)
            return self.call_prim(np.sum, args, {"axis": Const(ast.Constant(value=0))}, e, ctx)
        if reducer is not None and args and isinstance(args[0], Var) and args[0].name not in self.lists:
            # np.concatenate(xs) of an argument or an array: no rule takes it whole (refused where it matters)
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
        if callee is np.einsum:
            from ..rules.linalg import einsum_args

            callee_rule = get_rule(einsum_args)
            args = _einsum_interleaved(args, e, ctx)
            if args and isinstance(args[0], Const) and not set(kwargs) - {"optimize"}:
                return self.multi(Prim(einsum_args, callee_rule, args, kwargs, style="call", func=func_node), e, ctx)
        if callee in (np.split, np.array_split):
            from ..rules.shape import split_tuple

            return self.multi(
                Prim(split_tuple, get_rule(split_tuple), args, kwargs, style="call", func=func_node), e, ctx
            )
        if callee is np.linalg.svd or callee is np.linalg.svdvals:
            return self.svd_call(callee, args, kwargs, e, ctx)
        if callee is np.gradient:
            return self.gradient_call(args, kwargs, e, ctx)
        if callee in (np.atleast_1d, np.atleast_2d, np.atleast_3d):
            from ..rules.shape import atleast_p

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
            and (rule is not None or not _inlinable(callee))
        ):
            return self.nondiff(e, ctx)
        if rule is not None:
            if not rule.differentiable:
                return self.nondiff(e, ctx)
            return self.multi(Prim(callee, rule, args, kwargs, style="call", func=func_node), e, ctx)
        if _inlinable(callee):
            return self.inline(callee, e, ctx, args=args, kwargs=kwargs)
        return Opaque(callee, func_node, args, kwargs)

    def svd_call(self, callee, args, kwargs, e, ctx):
        """``np.linalg.svd`` as the tape's alias reads it: ``svd_p(a, full_matrices)`` (a tuple) or, without
        ``compute_uv``, ``svdvals_p(a)``; ``np.linalg.svdvals(x)`` is ``svdvals_p(x)``."""
        from ..rules.linalg import svd_p, svdvals_p

        names = ["a", "full_matrices", "compute_uv", "hermitian"] if callee is np.linalg.svd else ["x"]
        bound = dict(zip(names, args))
        bound.update(kwargs)
        flags = {}
        for name, default in (("full_matrices", True), ("compute_uv", True), ("hermitian", False)):
            node = bound.get(name)
            try:
                flags[name] = default if node is None else ast.literal_eval(node.node)
            except (AttributeError, ValueError):
                raise ctx.error(e, f"np.linalg.svd's {name} must be a constant True or False") from None
        if len(args) > len(names) or set(bound) - set(names):
            raise ctx.error(e, f"unexpected arguments to {callee.__name__}")
        if flags["hermitian"]:
            raise ctx.error(e, "np.linalg.svd(hermitian=True) has no derivative rule; use hermitian=False")
        a = bound[names[0]]
        if callee is np.linalg.svdvals or not flags["compute_uv"]:
            return Prim(
                svdvals_p, get_rule(svdvals_p), [a], {}, style="call", func=self.const_node(svdvals_p, "svdvals")
            )
        return self.multi(
            Prim(
                svd_p,
                get_rule(svd_p),
                [a],
                {"full_matrices": Const(ast.Constant(value=bool(flags["full_matrices"])))},
                style="call",
                func=self.const_node(svd_p, "svd"),
            ),
            e,
            ctx,
        )

    def gradient_call(self, args, kwargs, e, ctx):
        """``np.gradient(f[, spacing], axis=k, edge_order=...)`` as ``gradient_along``: one array, one axis (or a
        1-D ``f``), as numpy returns one array then."""
        from ..rules.shape import gradient_along

        if (
            not args
            or len(args) > 2
            or set(kwargs) - {"axis", "edge_order"}
            or any(not isinstance(v, Const) for v in kwargs.values())
        ):
            raise ctx.error(
                e,
                "srcgrad.grad takes np.gradient(f[, spacing], axis=k, edge_order=n) with a constant "
                "axis: one axis per call (numpy returns one array per axis otherwise)",
            )
        axis = kwargs.get("axis", Const(ast.Constant(value=None)))
        try:
            value = ast.literal_eval(axis.node)
        except ValueError:
            value = 0  # a constant expression numpy reads at run time
        if isinstance(value, (tuple, list)):
            raise ctx.error(
                e, "np.gradient over several axes returns one array per axis: call it once per axis (axis=k)"
            )
        return Prim(
            gradient_along,
            get_rule(gradient_along),
            list(args),
            {"axis": axis, "edge_order": kwargs.get("edge_order", Const(ast.Constant(value=1)))},
            style="call",
            func=self.const_node(gradient_along, "gradient_along"),
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
        if rule is not None and rule.differentiable and position is not None and rule.vjp_at(position) is not None:
            return self.as_array(a, e, ctx)
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
        from ..rules.shape import stack_args

        if isinstance(a, tuple):
            items = [self.as_array(x, e, ctx) if isinstance(x, tuple) else x for x in a]
            a = self.atom(ListNew(items), e, ctx)
        node = ast.Call(func=self.const_node(np.array), args=[_atom_node(a)], keywords=[])
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

    def method_call(self, e, ctx):
        attr = e.func.attr
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
            dtype = self.static_value(dtype_node, ctx) if dtype_node is not None else _NOT_STATIC
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
            from ..rules.shape import astype

            return self.call_prim(astype, [recv] + args, kwargs, e, ctx, func_name="astype")
        if attr == "pop" and not args and not kwargs and isinstance(recv, Var) and recv.name in self.lists:
            return ListPop(recv, Const(ast.Constant(value=-1)))  # (a generated gradient's stack, read again)
        if attr == "item" and not args:
            return (
                Cast(
                    recv,
                    ast.Call(
                        func=ast.Attribute(value=_atom_node(recv), attr="item", ctx=ast.Load()), args=[], keywords=[]
                    ),
                )
                if isinstance(recv, Var)
                else self.nondiff(e, ctx)
            )
        if attr in SHAPE_METHODS:
            fn = SHAPE_METHODS[attr]
            if len(args) == 1 and isinstance(args[0], tuple) and all(isinstance(a, (Var, Const)) for a in args[0]):
                args = [Const(ast.Tuple(elts=[_atom_node(a) for a in args[0]], ctx=ast.Load()))]  # x.reshape((3, 4))
            elif len(args) > 1 or (
                len(args) == 1
                and attr == "reshape"
                and isinstance(args[0], Const)
                and isinstance(args[0].node, ast.Constant)
                and isinstance(args[0].node.value, int)
            ):
                shape = Const(ast.Tuple(elts=[_atom_node(a) for a in args], ctx=ast.Load()))
                args = [shape]
            return self.call_prim(fn, [recv] + args, kwargs, e, ctx)
        fn = METHODS.get(attr)
        if fn is None:
            raise ctx.error(e, f"the method .{attr}() of a local value is not supported by srcgrad.grad")
        args = [self.pack(a, e, ctx) for a in args]  # x.max(axis=(0, 1)), as np.max(x, axis=(0, 1))
        kwargs = {k: self.pack(a, e, ctx) for k, a in kwargs.items()}
        return self.call_prim(fn, [recv] + args, kwargs, e, ctx)

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

    # ------------------------------------------------------------ static resolution
    def static_value(self, node, ctx):
        """The value of a name or attribute chain that does not involve local variables."""
        if isinstance(node, ast.Name):
            if node.id in ctx.local_funcs:
                return ctx.local_funcs[node.id]
            if ctx.rename.get(node.id) in self.static_args:  # a function argument of this specialisation
                return self.static_args[ctx.rename[node.id]]
            if node.id in ctx.rename:
                return _NOT_STATIC
            value = ctx.scope.lookup(node.id)
            return _NOT_STATIC if Scope.missing(value) else value
        if isinstance(node, ast.Attribute):
            base = self.static_value(node.value, ctx)
            if base is _NOT_STATIC or isinstance(base, _LocalFunction):
                return _NOT_STATIC
            try:
                return getattr(base, node.attr)
            except AttributeError:
                raise ctx.error(node, f"{ast.unparse(node)} does not exist") from None
        if isinstance(node, ast.Constant):
            return node.value
        return _NOT_STATIC

    def static_callee(self, func, ctx):
        value = self.static_value(func, ctx)
        if value is _NOT_STATIC:
            if isinstance(func, ast.Name) and func.id not in ctx.rename:
                raise ctx.error(func, f"name '{func.id}' is not defined")
            raise ctx.error(func, "calling a value computed inside the function is not supported")
        return value

    # ------------------------------------------------------------ inlining
    def inline(self, callee, e, ctx, args=None, kwargs=None):
        """Inline a call of the user's own function; returns its result (an atom or a tuple of atoms)."""
        if args is None:
            args = [self.expr(a, ctx) for a in e.args]
            kwargs = {k.arg: self.expr(k.value, ctx) for k in e.keywords}
        if isinstance(callee, _LocalFunction):
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
                return UserCall(callee, self.callee_node(e.func, callee, ctx), args, kwargs)
            if callee.__code__.co_flags & (inspect.CO_GENERATOR | inspect.CO_COROUTINE):
                raise ctx.error(e, f"{callee.__qualname__} is a generator or coroutine")
            parsed = parse_function(callee)
            fence.check(parsed)
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
        if a.vararg or a.kwarg:
            raise ctx.error(e, "calling a function with *args/**kwargs parameters is not supported")
        params = [p.arg for p in a.posonlyargs + a.args]
        kwonly = [p.arg for p in a.kwonlyargs]
        names = _local_names(node)
        rename = dict(base_rename)
        for n in names:
            rename[n] = self.renamed(n, self.namer.fresh(n))
        same_file = parsed.filename == self.parsed.filename
        call_lineno = None if same_file else self.line(e, ctx)
        inner = _Ctx(parsed, rename, scope, local_funcs, call_lineno=call_lineno, fdef=node)
        # Bind the arguments.
        if len(args) > len(params):
            raise ctx.error(e, f"too many arguments for {node.name}")
        bound = dict(zip(params, args))
        positional_only = {p.arg for p in a.posonlyargs}
        for k, v in kwargs.items():
            if k not in params + kwonly or k in bound or k in positional_only:
                raise ctx.error(e, f"unexpected or repeated keyword argument '{k}' for {node.name}")
            bound[k] = v
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
            bound[p] = Const(self.const_expr(d, dctx)) if kind == "ast" else Const(self.const_node(d, p))
        assigned = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        for p in params + kwonly:
            v = bound[p]
            if isinstance(v, Var) and p not in assigned:
                rename[p] = v.name
            elif isinstance(v, _LocalFunction):
                local_funcs[p] = v
            else:
                self.store(rename[p], v, e, inner)
        self.inline_stack.append(code_key)
        saved, self.out = self.out, []
        try:
            self.block(node.body, inner)
            body, result = self.lower_returns(self.out, inner, top=False)
        finally:
            self.out = saved
            self.inline_stack.pop()
        self.out.extend(body)
        return result

    def lift_recursive(self, callee, e, ctx, args, kwargs):
        """The recursive call of a nested function: a ``UserCall`` of it lifted to a function of its own.

        The enclosing function's locals it reads become keyword arguments
        (``fact(x, n - 1, w=w)``), so gradients reach them too.
        """
        node, dctx = callee.node, callee.ctx
        name = node.name if isinstance(node, ast.FunctionDef) else getattr(e.func, "id", "lambda_")
        selves = {n for n, f in dctx.local_funcs.items() if f.node is node} | {name}
        extras, values = {}, {}
        for n in free_names(node):
            if n in selves:
                continue
            if n in dctx.local_funcs:
                raise ctx.error(
                    e,
                    f"the recursive nested function {name} calls the nested function {n}: define them at module level",
                )
            if n in dctx.rename:
                v = self.expr_Name(ast.Name(id=n, ctx=ast.Load()), dctx)
                if not isinstance(v, (Var, Const)) or (isinstance(v, Var) and v.name in self.lists):
                    raise ctx.error(
                        e,
                        f"the recursive nested function {name} reads '{n}', a tuple, list or "
                        "dict of the enclosing function, which its recursive calls cannot pass on: "
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
                    f"the recursive nested function {name} writes into '{base.id}' of the "
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
        return UserCall(fn, self.const_node(fn, name), args, {**kwargs, **extras})

    def no_containers(self, args, kwargs, e, ctx):
        """A recursive call is made at run time: it cannot take a tuple, dict or list the compiler keeps."""
        for a in list(args) + list(kwargs.values()):
            if isinstance(a, (tuple, _StaticDict, _DictLiteral)) or (isinstance(a, Var) and a.name in self.lists):
                raise ctx.error(
                    e, "passing a tuple, dict or list to a recursive call is not supported; pass its items as arguments"
                )

    # ------------------------------------------------------------ jumps
    def lower_returns(self, body, ctx, top):
        """Rewrite returns so the function has one exit; returns ``(body, result atom or tuple)``."""
        returns = [s for s in walk_stmts(body) if isinstance(s, Return)]
        if not returns:
            if top:
                raise ctx.error(ctx.parsed.node, "the function never returns a value")
            return body, Const(ast.Constant(value=None))
        if len(returns) == 1 and body and body[-1] is returns[0]:
            # One return, last: only break/continue need restructuring.
            state = {"flag": None, "rets": []}
            return _strip_exits(self._lower(body[:-1], state, in_loop=False)), returns[0].value

        def plain(v):
            return isinstance(v, (Var, Const)) or (isinstance(v, tuple) and all(isinstance(i, (Var, Const)) for i in v))

        if not all(plain(r.value) for r in returns):
            raise ctx.error(
                ctx.parsed.node,
                "a function that returns a dict, a nested tuple or a function from more "
                "than one place (or from inside a loop) is not supported",
            )
        arity = {len(r.value) if isinstance(r.value, tuple) else None for r in returns}
        if len(arity) != 1:
            raise ctx.error(ctx.parsed.node, "all returns of a function must return the same number of values")
        arity = arity.pop()
        base = "result" if top else "ret"
        temps = [r.value.name for r in returns if isinstance(r.value, Var) and r.value.name in self.return_temps]
        if arity is None and temps:
            rets = [temps[0]]  # a return's own temporary becomes the result variable
        else:
            rets = [self.namer.fresh(base)] if arity is None else [self.namer.fresh(base) for _ in range(arity)]
        state = {"flag": None, "rets": rets}
        lowered = self._lower(body, state, in_loop=False)
        lowered = _strip_exits(lowered)
        if state["flag"] is not None:
            lowered.insert(0, Assign(state["flag"], NonDiff(ast.Constant(value=False)), lineno=0))
        result = Var(rets[0]) if arity is None else tuple(Var(r) for r in rets)
        return lowered, result

    def _lower(self, block, state, in_loop):
        out = []
        for k, s in enumerate(block):
            rest = block[k + 1 :]
            if isinstance(s, Return):
                values = s.value if isinstance(s.value, tuple) else (s.value,)
                for r, v in zip(state["rets"], values):
                    if (
                        isinstance(v, Var)
                        and v.name in self.return_temps
                        and out
                        and isinstance(out[-1], Assign)
                        and out[-1].target == v.name
                    ):
                        last = out.pop()
                        out.append(Assign(r, last.value, lineno=last.lineno, bookkeeping=last.bookkeeping))
                    elif not (isinstance(v, Var) and v.name == r):
                        out.append(Assign(r, Copy(v) if isinstance(v, Var) else NonDiff(v.node), lineno=s.lineno))
                if in_loop:
                    if state["flag"] is None:
                        state["flag"] = self.namer.fresh("returned")
                    out.append(Assign(state["flag"], NonDiff(ast.Constant(value=True)), lineno=s.lineno))
                    out.append(Break(lineno=s.lineno))
                else:
                    out.append(_Exit())
                return out
            if isinstance(s, (Break, Continue, _Exit)):
                out.append(s)
                return out
            if isinstance(s, If):
                body = self._lower(s.body, state, in_loop)
                orelse = self._lower(s.orelse, state, in_loop)
                if rest and (_has_jump(body) or _has_jump(orelse)):
                    if _falls(body):
                        body = self._lower(copy.deepcopy(s.body) + copy.deepcopy(rest), state, in_loop)
                    if _falls(orelse):
                        orelse = self._lower(copy.deepcopy(s.orelse) + copy.deepcopy(rest), state, in_loop)
                    out.append(If(s.cond, body, orelse, lineno=s.lineno))
                    return out
                out.append(If(s.cond, body, orelse, lineno=s.lineno))
                continue
            if isinstance(s, (For, While)):
                had_return = any(isinstance(x, Return) for x in walk_stmts(s.body))
                loop = copy.copy(s)
                loop.body = self._lower_loop_body(s.body, state)
                out.append(loop)
                if had_return:
                    after = [Break(lineno=s.lineno)] if in_loop else [_Exit()]
                    out.append(If(state["flag"], after, self._lower(rest, state, in_loop), lineno=s.lineno))
                    return out
                continue
            out.append(s)
        return out

    def _lower_loop_body(self, body, state):
        return self._lower(body, state, in_loop=True)


class _NotStatic:
    pass


_NOT_STATIC = _NotStatic()


_DICT_VIEWS = ("keys", "values", "items")
_SCOPES = (ast.FunctionDef, ast.Lambda, ast.ListComp, ast.GeneratorExp, ast.DictComp, ast.SetComp)


def _own_jumps(body):
    """True when ``body`` has a ``break`` or ``continue`` of the loop it is the body of."""
    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Break, ast.Continue)):
            return True
        if isinstance(node, (ast.For, ast.While)):
            stack.extend(node.orelse)  # an inner loop's else belongs to the outer loop's body
            continue
        if isinstance(node, _SCOPES):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return False


def _binds(scope, name):
    """True when the nested function or comprehension ``scope`` has its own variable ``name``."""
    if isinstance(scope, (ast.FunctionDef, ast.Lambda)):
        if isinstance(scope, ast.Lambda):
            a = scope.args
            return name in [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs] + [
                p.arg for p in (a.vararg, a.kwarg) if p is not None
            ]
        return name in _local_names(scope)
    return any(isinstance(n, ast.Name) and n.id == name for g in scope.generators for n in ast.walk(g.target))


def _stores_name(body, name):
    """True when ``body`` (not its nested functions or comprehensions) assigns ``name``."""
    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store):
            return True
        if isinstance(node, _SCOPES):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return False


def _put_constant(stmt, name, value):
    """A copy of ``stmt`` in which each read of ``name`` is the constant ``value`` (not inside a nested
    function or comprehension with a variable of that name)."""

    class Put(ast.NodeTransformer):
        def visit_Name(self, node):
            if node.id == name and isinstance(node.ctx, ast.Load):
                return ast.copy_location(ast.Constant(value=value), node)
            return node

        def generic_visit(self, node):
            if isinstance(node, _SCOPES) and _binds(node, name):
                if isinstance(node, (ast.FunctionDef, ast.Lambda)):  # defaults are read outside
                    node.args.defaults = [self.visit(d) for d in node.args.defaults]
                    node.args.kw_defaults = [d if d is None else self.visit(d) for d in node.args.kw_defaults]
                return node
            return super().generic_visit(node)

    return Put().visit(copy.deepcopy(stmt))


def _list_reducer(callee):
    """``(kind, variadic primitive)`` for functions that combine a list into one value, else ``None``."""
    from ..rules.shape import concatenate_args, stack_args

    if callee is np.stack or callee in _AS_ARRAY:
        return "stack", stack_args
    if callee is np.concatenate:
        return "concatenate", concatenate_args
    if callee is sum:
        return "sum", None
    if callee is np.hstack or callee is np.vstack or callee is np.column_stack or callee is np.dstack:
        return callee.__name__, None  # resolved to stack/concatenate once the elements' rank is known
    return None


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


def _dtype_kind(dtype):
    """numpy's kind letter of a dtype written in the code (``"f"`` for ``float``), or ``None`` when unknown."""
    if dtype is _NOT_STATIC or dtype is None:
        return None
    if dtype in FLOAT_DTYPES:
        return "f"
    try:
        return np.dtype(dtype).kind
    except TypeError:
        return None


def _const_int(node):
    """The value of an integer expression of literals (``len(t) - 1`` once ``len(t)`` is known), else None."""
    ops = {
        ast.Add: operator.add,
        ast.Sub: operator.sub,
        ast.Mult: operator.mul,
        ast.FloorDiv: operator.floordiv,
        ast.Mod: operator.mod,
    }
    if isinstance(node, ast.Constant):
        return node.value if type(node.value) is int else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = _const_int(node.operand)
        return None if v is None else -v
    if isinstance(node, ast.BinOp) and type(node.op) in ops:
        a, b = _const_int(node.left), _const_int(node.right)
        if a is None or b is None or (b == 0 and type(node.op) in (ast.FloorDiv, ast.Mod)):
            return None
        return ops[type(node.op)](a, b)
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
    return _atom_node(a)


def _atom_node(a):
    return copy.deepcopy(a.node) if isinstance(a, Const) else ast.Name(id=a.name, ctx=ast.Load())


def _reads_of(args, kwargs):
    return frozenset(a.name for a in list(args) + list(kwargs.values()) if isinstance(a, Var))


def _print_call(fn, style, op, func, args, kwargs):
    nodes = [_atom_node(a) for a in args]
    if style == "binop":
        return ast.BinOp(left=nodes[0], op=op, right=nodes[1])
    if style == "unary":
        return ast.UnaryOp(op=op, operand=nodes[0])
    if style == "getitem":
        return ast.Subscript(value=nodes[0], slice=nodes[1], ctx=ast.Load())
    return ast.Call(
        func=copy.deepcopy(func),
        args=nodes,
        keywords=[ast.keyword(arg=k, value=_atom_node(v)) for k, v in kwargs.items()],
    )


def _simple_index(node):
    for sub in ast.walk(node):
        if not isinstance(
            sub,
            (
                ast.Name,
                ast.Constant,
                ast.Slice,
                ast.Tuple,
                ast.UnaryOp,
                ast.USub,
                ast.BinOp,
                ast.Add,
                ast.Sub,
                ast.Load,
                ast.Mult,
            ),
        ):
            return False
    return True


def _slices_to_values(node, normalizer):
    """Slice syntax is only valid inside brackets; as a value it is ``slice(a, b, c)``."""

    class T(ast.NodeTransformer):
        def visit_Slice(self, s):
            self.generic_visit(s)
            none = ast.Constant(value=None)
            name = normalizer.ns.bind(slice, "slice")
            return ast.Call(
                func=ast.Name(id=name, ctx=ast.Load()),
                args=[s.lower or none, s.upper or ast.Constant(value=None), s.step or ast.Constant(value=None)],
                keywords=[],
            )

    return T().visit(node)


class _Dependencies:
    """What a transformation depends on besides the scopes it read (``Scope.deps``'s form)."""

    def __init__(self, deps):
        self.deps = list(deps)


def _is_derivative(obj):
    """True for a ``GradFunction`` or ``JVPFunction`` (without importing them: ``api`` knows them)."""
    return type(obj).__module__ == "srcgrad.compiler.api" and callable(getattr(obj, "inline_target", None))


def _einsum_interleaved(args, e, ctx):
    """``np.einsum(op0, sublist0, op1, sublist1, ...[, output])`` as ``[subscripts, op0, op1, ...]``; other
    argument lists as they are."""
    from ..rules.linalg import einsum_sublist_subscripts

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


def _inlinable(fn):
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


def _has_jump(block):
    for s in block:
        if isinstance(s, (Return, Break, Continue, _Exit)):
            return True
        if isinstance(s, If) and (_has_jump(s.body) or _has_jump(s.orelse)):
            return True
    return False


def _falls(block):
    if not block:
        return True
    last = block[-1]
    if isinstance(last, (Return, Break, Continue, _Exit)):
        return False
    if isinstance(last, If):
        return _falls(last.body) or _falls(last.orelse)
    return True


def _strip_exits(block):
    out = []
    for s in block:
        if isinstance(s, _Exit):
            continue
        if isinstance(s, If):
            s = If(s.cond, _strip_exits(s.body), _strip_exits(s.orelse), lineno=s.lineno)
        elif isinstance(s, (For, While)):
            s = copy.copy(s)
            s.body = _strip_exits(s.body)
        out.append(s)
    return out


def _mark_breaks(block):
    for s in block:
        if isinstance(s, (For, While)):
            s.has_break = _loop_breaks(s.body)
            _mark_breaks(s.body)
        elif isinstance(s, If):
            _mark_breaks(s.body)
            _mark_breaks(s.orelse)


def _loop_breaks(block):
    for s in block:
        if isinstance(s, Break):
            return True
        if isinstance(s, If) and (_loop_breaks(s.body) or _loop_breaks(s.orelse)):
            return True
    return False


def normalize(parsed, namer, ns, dict_keys=None, static_args=None, tuple_result=False, text_params=None):
    """Normalize ``parsed`` (see the module docstring for the guarantees).

    Args:
        parsed: a fenced ``ParsedFunction``.
        namer: the ``Namer`` of this transformation.
        ns: the ``Namespace`` of the generated module.
        dict_keys: ``{parameter: keys in order}`` for the dict arguments of this specialisation
            (a loop over one is unrolled over its keys).
        tuple_result: the function may return a tuple of values (``return a, b``): the ``Return`` then holds a
            tuple of atoms (``jvp`` gives one tangent per value); otherwise that is refused.
        static_args: ``{parameter: function}`` for the functions this specialisation was given as arguments
            (the code calls that very function: it is inlined like a global one).
        text_params: ``{parameter: value}`` of string arguments of this specialisation: a parameter the function
            never assigns reads as its value written in (``np.einsum(subscripts, ...)``).

    Returns:
        ``(NormalFunction, scopes)``: the program and the scopes of every inlined
        function (their lookups form the cache fingerprint).

    Raises:
        TransformError: a construct outside the subset, at the user's line.
    """
    n = Normalizer(parsed, namer, ns)
    n.dict_keys = dict(dict_keys or {})
    n.tuple_result = tuple_result
    n.static_args = dict(static_args or {})
    n.text_params = dict(text_params or {})
    return n.run(), n.deps
