"""Pass 4, activity: which variables need an adjoint, and which are plain Python numbers.

Output guarantees (an ``Activity``):

* ``active`` holds exactly the variables that may depend differentiably on a
  ``wrt`` input (*varied*) and may reach the returned value (*useful*); it is an
  over-approximation (flow-insensitive), never an under-approximation, so a
  gradient is never silently dropped. Shapes, lengths, integer indices and
  anything computed by a no-derivative expression are never active.
* ``shapes`` maps variables to their static shape where the argument shapes
  the function was specialised on determine it (elementwise operations,
  reductions, matrix products, indexing by loop variables, int literals and
  whole slices, number literals); the reverse pass skips ``unbroadcast`` where an
  operand provably has the result's shape.
* ``scalar`` holds the variables statically known to be Python numbers (from
  the argument types the function was specialised on, number literals, ``math``
  functions and arithmetic between numbers). For them the reverse pass emits
  plain float arithmetic: no ``unbroadcast``, no ``np.zeros_like``.
"""

import math
from dataclasses import dataclass, field

from .ir import (
    Append,
    Assign,
    Cast,
    Const,
    Copy,
    For,
    ListGet,
    ListNew,
    ListReduce,
    ListSet,
    NonDiff,
    Opaque,
    Prim,
    UserCall,
    Var,
    walk_stmts,
)
from .astwalk import walk
from .parse import error_at

__all__ = ["Activity", "analyze", "diff_inputs", "inner_dicts", "check_tree_reads"]


@dataclass
class Activity:
    """What the activity pass found.

    Attributes:
        varied: variables that may depend differentiably on a ``wrt`` input.
        useful: variables that may reach the returned value.
        active: ``varied & useful``: the variables that get adjoints.
        scalar: variables known to hold Python numbers.
    """

    varied: set = field(default_factory=set)
    useful: set = field(default_factory=set)
    active: set = field(default_factory=set)
    scalar: set = field(default_factory=set)
    lists: set = field(default_factory=set)
    shapes: dict = field(default_factory=dict)
    dicts: set = field(default_factory=set)
    globals: dict = field(default_factory=dict)
    tree_dicts: set = field(default_factory=set)
    const_shape: object = None

    def shape_of_const(self, node):
        """The static shape of a no-derivative expression (``X``, ``XS[i]``, ``X ** 2`` of globals the
        specialisation knows), or ``None``."""
        return None if self.const_shape is None else self.const_shape(node)


def diff_inputs(value):
    """The variables a right-hand side's derivative flows to (by argument position for ``Prim``)."""
    if isinstance(value, Prim):
        rule = value.rule
        out = []
        for i, a in enumerate(value.args):
            vjp = rule.vjp_at(i) if hasattr(rule, "vjp_at") else (rule.vjps[i] if i < len(rule.vjps) else None)
            if isinstance(a, Var) and vjp is not None:
                out.append(a.name)
        return out
    if isinstance(value, (Copy, Cast)):
        return [value.src.name] if isinstance(value.src, Var) else []
    if isinstance(value, (Opaque, UserCall)):
        return [a.name for a in list(value.args) + list(value.kwargs.values()) if isinstance(a, Var)]
    if isinstance(value, ListNew):
        return [a.name for a in value.items if isinstance(a, Var)]
    if isinstance(value, (ListGet, ListReduce)):
        return [value.lst.name]
    if isinstance(value, (Append, ListSet)):
        return [value.item.name] if isinstance(value.item, Var) else []
    if isinstance(value, NonDiff) and value.unknown:
        return sorted(value.reads)  # not known to have no derivative: followed, refused where it matters
    return []


def _reach(start, edges):
    """``start`` and every name reachable from it along ``edges`` (pairs ``(from, to)``), in time linear in
    the edges (flow-insensitive, so loops need no fixed point over the statements)."""
    succ = {}
    for a, b in edges:
        succ.setdefault(a, []).append(b)
    found = set(start)
    todo = list(found)
    while todo:
        for b in succ.get(todo.pop(), ()):
            if b not in found:
                found.add(b)
                todo.append(b)
    return found


def inner_dicts(fn, dicts):
    """The variables that hold a dict read out of a dict argument (``inner = p['i']``, read as ``inner['j']``).

    Each is assigned once, by a constant-string item of a dict argument (or of another such variable), and is
    itself read by constant-string items: its adjoint is a dict too, like the argument's.
    """
    assigns = [s for s in walk_stmts(fn.body) if isinstance(s, Assign)]
    counts = {}
    for s in assigns:
        counts[s.target] = counts.get(s.target, 0) + 1
    bases = {s.value.args[0].name for s in assigns if _keyed(s.value)}
    out = set()
    changed = True
    while changed:
        changed = False
        for s in assigns:
            if (
                s.target not in out
                and counts[s.target] == 1
                and s.target in bases
                and _keyed(s.value)
                and s.value.args[0].name in dicts | out
            ):
                out.add(s.target)
                changed = True
    return out


def _keyed(value):
    """True for ``base['key']``: an item read by a constant string."""
    import ast

    return (
        isinstance(value, Prim)
        and value.style == "getitem"
        and isinstance(value.args[0], Var)
        and isinstance(value.args[1], Const)
        and isinstance(value.args[1].node, ast.Constant)
        and isinstance(value.args[1].node.value, str)
    )


def check_tree_reads(fn, act, params):
    """Refuse, at its line, a read of a dict holding dicts (a ``wrt`` argument in ``params``) that its adjoint
    cannot follow: anything but items by constant keys, each inner dict held by one variable
    (``p['a']['b']``, ``inner = p['a']; inner['b']``), not a loop over it or a call given it.

    Raises:
        TransformError: at the first such read.
    """
    import ast
    from .ir import If, While
    from .nodes import stmt_reads

    if not params:
        return
    tracked = act.tree_dicts
    # entries read out of the followed dicts that are not followed as dicts themselves: leaves, unless indexed
    # (then they may be dicts read in a way the adjoint does not follow: refused, as is a loop over one)
    leaves = {
        s.target
        for s in walk_stmts(fn.body)
        if isinstance(s, Assign) and _keyed(s.value) and s.value.args[0].name in act.dicts and s.target not in act.dicts
    }
    tracked = tracked | {
        s.value.args[0].name
        for s in walk_stmts(fn.body)
        if isinstance(s, Assign)
        and isinstance(s.value, Prim)
        and s.value.style == "getitem"
        and isinstance(s.value.args[0], Var)
        and s.value.args[0].name in leaves
    }
    for s in walk_stmts(fn.body):
        if isinstance(s, Assign) and _keyed(s.value):
            if s.value.args[0].name in act.dicts:
                continue
            reads = {s.value.args[0].name}  # an item of a value holding a dict on some path only
        elif isinstance(s, If):
            reads = {s.cond}
        elif isinstance(s, (For, While)):
            reads = {n.id for n in walk(s.iter if isinstance(s, For) else s.test) if isinstance(n, ast.Name)}
        else:
            reads = stmt_reads(s)
        if isinstance(s, Assign) and _keyed(s.value) or reads & tracked:
            p = sorted(params)[0]
            raise error_at(
                fn.filename,
                fn.lines,
                s.lineno,
                f"srcgrad.grad with respect to '{p}', a dict holding dicts, follows it through items "
                f"read by constant keys ({p}['a']['b'], or inner = {p}['a'] read as inner['b']); "
                "it is read here in another way (a loop over it, a name given several dicts, a call)",
                hint="Read its entries by constant keys, or pass the inner dict as an argument of its own.",
            )


_SCALAR_FUNCS = {getattr(math, n) for n in dir(math) if callable(getattr(math, n))} | {abs, max, min, float}


def analyze(
    fn, wrt_names, scalar_params=(), scalar_seq_params=(), param_shapes=None, list_params=None, global_shapes=None
):
    """Run the activity and scalar analyses on a ``NormalFunction``.

    Args:
        fn: the ``NormalFunction``.
        wrt_names: the parameters gradients are taken with respect to.
        scalar_params: the parameters known (from the call) to be Python numbers.
        scalar_seq_params: parameters known to be lists or tuples of Python numbers
            (indexing them with an integer gives a number).
        param_shapes: ``{parameter: symbolic shape}`` of array arguments (see ``infer_shapes``).
        list_params: ``{parameter: nesting depth}`` of arguments that are Python lists or tuples of numbers
            (nested ones reach the generated code as arrays); arithmetic on them is refused.
        global_shapes: ``{name: symbolic shape, or 2 for a list of Python numbers}`` of the generated module's
            names holding the globals and closure values the specialisation covers (see ``globalspec``), and
            ``"numpy"`` for the names of the numpy module.

    Returns:
        An ``Activity``.

    Raises:
        TransformError: a derivative would be lost (a keyword argument carrying one, arithmetic on a list).
    """
    assigns = [s for s in walk_stmts(fn.body) if isinstance(s, Assign)]
    assigns += [Assign(s.lst, s, s.lineno) for s in walk_stmts(fn.body) if isinstance(s, (Append, ListSet))]
    result = fn.body[-1].value
    act = Activity()
    act.globals = dict(global_shapes or {})
    act.varied = _reach(set(wrt_names), ((v, s.target) for s in assigns for v in diff_inputs(s.value)))
    returned = result if isinstance(result, tuple) else (result,)
    act.useful = _reach(
        {r.name for r in returned if isinstance(r, Var)}, ((s.target, v) for s in assigns for v in diff_inputs(s.value))
    )
    act.active = act.varied & act.useful
    reassigned = {s.target for s in assigns}
    seqs = {p for p in scalar_seq_params if p not in reassigned}
    act.lists = {
        s.target
        for s in assigns
        if isinstance(s.value, ListNew)
        or (isinstance(s.value, Prim) and getattr(s.value.rule, "multiple_outputs", False))
        or (isinstance(s.value, UserCall) and s.value.several)
    }
    while True:  # another name for a list (parts = items, as a comprehension is normalized) is a list too
        more = {
            s.target
            for s in assigns
            if isinstance(s.value, Copy) and isinstance(s.value.src, Var) and s.value.src.name in act.lists
        } - act.lists
        if not more:
            break
        act.lists |= more
    number_lists = {n for n, part in act.globals.items() if part == 2 and type(part) is int}
    act.scalar = _scalars(fn, assigns, set(scalar_params), seqs, number_lists) - act.lists
    act.shapes = infer_shapes(fn, act, param_shapes or {})
    if act.globals:
        ints = {s.target for s in walk_stmts(fn.body) if isinstance(s, For)} - {s.target for s in assigns}
        act.const_shape = lambda node: const_shape(
            node, act.globals, lambda n: () if n in act.scalar else act.shapes.get(n), ints
        )
    _check_list_sets(fn, act)
    _check_keywords(fn, act)
    _check_list_arithmetic(fn, act, list_params or {}, reassigned)
    return act


def _check_list_arithmetic(fn, act, list_params, reassigned):
    """Refuse ``+``, ``*`` (any operator) on a list argument or a part of one that is still a list.

    On a Python list ``xs * 2`` repeats and ``xs + ys`` joins, which the rules of ``*`` and ``+`` (and the
    arrays nested lists become in the generated code) know nothing of. A part is a list while it has fewer
    integer indices than the list has levels (``m[0]`` of ``[[1.0, 2.0], [3.0, 4.0]]``, ``xs[1:]``).
    """
    import ast

    depth = {p: d for p, d in list_params.items() if p not in reassigned}
    if not depth:
        return
    changed = True
    while changed:
        changed = False
        for s in walk_stmts(fn.body):
            if not isinstance(s, Assign) or s.target in depth:
                continue
            value, d = s.value, None
            if isinstance(value, Copy) and isinstance(value.src, Var):
                d = depth.get(value.src.name)
            elif (
                isinstance(value, Prim)
                and value.style == "getitem"
                and isinstance(value.args[0], Var)
                and value.args[0].name in depth
                and isinstance(value.args[1], Const)
            ):
                idx = value.args[1].node
                parts = idx.elts if isinstance(idx, ast.Tuple) else [idx]
                d = depth[value.args[0].name] - sum(not isinstance(n, ast.Slice) for n in parts)
            if d is not None and d > 0:
                depth[s.target] = d
                changed = True
    for s in walk_stmts(fn.body):
        if (
            isinstance(s, Assign)
            and isinstance(s.value, Prim)
            and s.value.style in ("binop", "unary")
            and any(isinstance(a, Var) and a.name in depth for a in s.value.args)
        ):
            listy = [a.name for a in s.value.args if isinstance(a, Var) and a.name in depth]
            shown = [fn.display[v] for v in listy if v in fn.display]
            name = f"'{shown[0]}'" if shown else "a part of a list argument"
            raise error_at(
                fn.filename,
                fn.lines,
                s.lineno,
                f"arithmetic on {name}, a Python list (an argument passed as a list, or a part of "
                "one): on lists '+' joins and '*' repeats, which srcgrad.grad does not differentiate; "
                "make it an array first (np.array(...)) or use its numbers (xs[i])",
            )


def _check_keywords(fn, act):
    """Refuse a primitive given a value that carries a derivative by keyword (``np.interp(t, xp, fp=ys)``).

    A rule's derivatives are per positional argument; a keyword argument would get none, silently.
    """
    for s in walk_stmts(fn.body):
        if not (isinstance(s, Assign) and isinstance(s.value, Prim) and s.target in act.useful):
            continue
        for k, a in s.value.kwargs.items():
            if isinstance(a, Var) and a.name in act.varied and a.name not in act.lists:
                name = getattr(s.value.fn, "__name__", "the function")
                raise error_at(
                    fn.filename,
                    fn.lines,
                    s.lineno,
                    f"the keyword argument {k}= of {name} depends on what is differentiated, and "
                    "srcgrad differentiates a function's positional arguments only: pass it "
                    "positionally",
                )
        varied = any(isinstance(a, Var) and a.name in act.varied for a in s.value.args)
        unsupported = s.value.rule.unsupported_keywords(s.value.kwargs) if varied and s.value.rule else []
        if unsupported:
            name = getattr(s.value.fn, "__name__", "the function")
            given = ", ".join(f"{k}=" for k in unsupported)
            raise error_at(
                fn.filename,
                fn.lines,
                s.lineno,
                f"{name} with {given} has no derivative rule (the rule of {name} does not take "
                f"{given}, which changes the derivative); leave {given} out or compute it another way",
            )


def _check_list_sets(fn, act):
    """Refuse what a list item assignment cannot follow, now that the numbers are known.

    ``lst[i] = v`` needs an integer index: a constant, or a name known to hold a number (a loop
    variable, arithmetic on them); a name could hold a slice. ``lst[i] op= v`` changes an array item in
    place in Python, which another name may see: fine only when every value it may change is a number.
    """
    import ast

    ops = {
        a.target: a.value.op
        for a in walk_stmts(fn.body)
        if isinstance(a, Assign) and isinstance(a.value, Prim) and a.value.style == "binop"
    }
    symbols = {
        ast.Add: "+",
        ast.Sub: "-",
        ast.Mult: "*",
        ast.Div: "/",
        ast.Pow: "**",
        ast.MatMult: "@",
        ast.FloorDiv: "//",
        ast.Mod: "%",
    }
    for s in walk_stmts(fn.body):
        if not isinstance(s, ListSet):
            continue
        for n in ast.walk(s.idx.node):
            ok = (
                (isinstance(n, ast.Name) and n.id in act.scalar)
                or (isinstance(n, ast.Constant) and type(n.value) is int)
                or isinstance(n, (ast.UnaryOp, ast.USub, ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Load))
            )
            if not ok:
                raise error_at(
                    fn.filename,
                    fn.lines,
                    s.lineno,
                    f"the index of an assignment into the list '{fn.display.get(s.lst, s.lst)}' must be an "
                    "integer srcgrad.grad "
                    "can follow: a constant, a loop variable, or arithmetic on them",
                )
        arrays = [v for v in s.shared if v not in act.scalar]
        lst = fn.display.get(s.lst, s.lst)
        if arrays:
            op = symbols.get(type(ops.get(getattr(s.item, "name", None))), "op")
            raise error_at(
                fn.filename,
                fn.lines,
                s.lineno,
                f"'{lst}[...] {op}= ...' changes the list's item in place when it is an array (as {op}= "
                "does on an ndarray), and that array may also be seen through another name or a value "
                f"read out of the list; srcgrad.grad computes it out of place: write "
                f"{lst}[i] = {lst}[i] {op} ...",
            )


def _scalars(fn, assigns, params, seqs=frozenset(), number_lists=frozenset()):
    """Variables every assignment of which produces a Python number (a greatest fixpoint).

    ``number_lists``: names of the generated module holding lists of Python numbers (``XS[i]`` is a number).
    """
    loop_vars = {s.target for s in walk_stmts(fn.body) if isinstance(s, For)}
    candidates = {s.target for s in assigns} | params | loop_vars
    candidates -= {p for p in fn.params if p not in params}
    by_target = {}
    for s in assigns:
        by_target.setdefault(s.target, []).append(s.value)
    readers = {}  # name -> the targets whose values read it (checked again when it stops being a number)
    for name, values in by_target.items():
        for v in values:
            for read in _names_in(v):
                readers.setdefault(read, set()).add(name)
    scalar = set(candidates)
    todo = sorted(scalar)
    while todo:
        name = todo.pop()
        if name not in scalar or name not in by_target and (name in params or name in loop_vars):
            continue  # a number argument or loop variable nothing rebinds
        # assigned both by a loop and by statements: give up
        if name in loop_vars or not all(_is_scalar(v, scalar, seqs, number_lists) for v in by_target.get(name, [])):
            scalar.discard(name)
            todo.extend(readers.get(name, ()))
    return scalar


_VALUES = (Prim, Copy, Cast, NonDiff, Opaque, UserCall, ListNew, ListGet, ListReduce, Append, ListSet, Const)


def _names_in(value):
    """Every name a right-hand side mentions: its variables and the names in its ``ast`` parts."""
    import ast

    out, todo = set(), [value]
    while todo:
        x = todo.pop()
        if isinstance(x, Var):
            out.add(x.name)
        elif isinstance(x, ast.AST):
            out.update(n.id for n in walk(x) if isinstance(n, ast.Name))
        elif isinstance(x, (list, tuple, set, frozenset)):
            todo.extend(x)
        elif isinstance(x, dict):
            todo.extend(x.values())
        elif isinstance(x, _VALUES):
            todo.extend(getattr(x, f) for f in x.__dataclass_fields__ if f not in ("fn", "rule", "prim"))
        elif isinstance(x, str):
            out.add(x)
    return out


def _atom_scalar(a, scalar, number_lists=frozenset()):
    if isinstance(a, Var):
        return a.name in scalar
    node = a.node
    return _const_number(node) or (bool(number_lists) and _list_item(node, scalar, number_lists))


def _list_item(node, scalar, number_lists):
    """``XS[i]`` of a list of numbers ``XS`` (a global the specialisation covers) at an integer index."""
    import ast

    return (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id in number_lists
        and not isinstance(node.slice, (ast.Slice, ast.Tuple))
        and _scalar_nondiff(node.slice, scalar)
        and not any(isinstance(n, ast.Constant) and not isinstance(n.value, int) for n in walk(node.slice))
    )


def _const_number(node):
    import ast

    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _const_number(node.operand)
    return False


def _is_scalar(value, scalar, seqs=frozenset(), number_lists=frozenset()):
    import ast

    if isinstance(value, Prim) and value.style == "getitem":
        base, idx = value.args
        if isinstance(base, Var) and base.name in seqs and isinstance(idx, Const):
            node = idx.node
            return (isinstance(node, ast.Name) and node.id in scalar) or (
                isinstance(node, ast.Constant) and type(node.value) is int
            )
        return False
    if isinstance(value, Prim):
        if value.style in ("binop", "unary"):
            return all(_atom_scalar(a, scalar, number_lists) for a in value.args)
        if value.fn in _SCALAR_FUNCS:
            return all(_atom_scalar(a, scalar, number_lists) for a in value.args) and not value.kwargs
        return False
    if isinstance(value, Copy):
        return _atom_scalar(value.src, scalar, number_lists)
    if isinstance(value, Cast):
        return isinstance(value.node, __import__("ast").Call) and getattr(value.node.func, "id", "") == "float"
    if isinstance(value, NonDiff):
        return _const_number(value.node) or _scalar_nondiff(value.node, scalar, number_lists)
    return False


def _scalar_nondiff(node, scalar, number_lists=frozenset()):
    """``len(...)``, or arithmetic and comparisons of numbers (``XS[i]`` of a list of numbers among them): a
    Python number (or bool)."""
    import ast

    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len" and not node.keywords:
        return True
    todo = [node]
    while todo:
        sub = todo.pop()
        if number_lists and _list_item(sub, scalar, number_lists):
            continue
        todo.extend(ast.iter_child_nodes(sub))
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
            if sub.id not in scalar and sub.id not in ("True", "False"):
                return False
        elif isinstance(sub, ast.Call):
            if not (isinstance(sub.func, ast.Name) and sub.func.id == "len"):
                return False
        elif not isinstance(
            sub,
            (
                ast.Compare,
                ast.BoolOp,
                ast.BinOp,
                ast.UnaryOp,
                ast.Constant,
                ast.Load,
                ast.cmpop,
                ast.boolop,
                ast.operator,
                ast.unaryop,
                ast.Name,
            ),
        ):
            return False
    return True


# ---------------------------------------------------------------- static shapes
#
# Shapes are tuples of symbols: 1 for a length-one axis, an integer >= 2 naming
# a length (two axes with the same symbol have the same length, whatever it
# is), so one specialisation serves every batch size. ``None`` means unknown.

_TOP = "top"


def _broadcast(shapes):
    from .shapes import broadcast

    return broadcast(shapes)


def _matmul(a, b):
    # the contracted lengths are equal whenever the product runs (numpy raises otherwise)
    if len(a) == 2 and len(b) == 2:
        return (a[0], b[1])
    if len(a) == 2 and len(b) == 1:
        return (a[0],)
    if len(a) == 1 and len(b) == 2:
        return (b[1],)
    if len(a) == 1 and len(b) == 1:
        return ()
    return None


def value_shape(value, shape_of_atom, dims=None):
    """The static shape of a right-hand side given its operands' shapes, ``_TOP`` or ``None``.

    ``dims`` resolves names in shape arguments (``n`` in ``x.reshape(n, -1)``); see ``shapes.prim_shape``.
    """
    import numpy as np
    from .shapes import prim_shape

    if isinstance(value, (Copy, Cast)):
        return shape_of_atom(value.src)
    if not isinstance(value, Prim):
        return None
    got = prim_shape(value, shape_of_atom, dims)  # reshape, transpose, reductions
    if got is not NotImplemented:
        return got
    shapes = [shape_of_atom(a) for a in value.args]
    if any(s is None for s in shapes):
        return None
    if any(s is _TOP for s in shapes):
        return _TOP
    fn = value.fn
    if isinstance(fn, np.ufunc):
        if fn is np.matmul:
            return _matmul(*shapes) if len(shapes) == 2 and not value.kwargs else None
        if value.kwargs or len(shapes) != fn.nin or fn.signature is not None:
            return None  # a generalized ufunc (np.matvec, np.vecdot) works on core axes, not elementwise
        return _broadcast(shapes)
    if fn is np.dot and len(shapes) == 2 and not value.kwargs and all(len(s) <= 2 for s in shapes):
        if () in shapes:
            return _broadcast(shapes)
        return _matmul(*shapes)
    return None


def const_shape(node, globals_, local_shape, ints):
    """The static shape of a no-derivative expression over globals the specialisation covers, or ``None``.

    Follows names (``globals_``: ``{name: symbolic shape, 2 for a list of numbers, "numpy" for the module}``;
    ``local_shape`` for the function's variables), number literals, arithmetic and comparisons (broadcasting), elementwise
    ufunc calls ``np.f(...)``, ``@``, ``.T``, and indexing by integers and whole slices; ``XS[i]`` of a list
    of numbers is a number. May return ``_TOP`` while ``infer_shapes`` is still settling a variable it reads.
    """
    import ast
    import numpy as np
    from .shapes import index_shape

    def walk(n):
        if isinstance(n, ast.Name):
            if n.id in globals_:
                part = globals_[n.id]
                return part if isinstance(part, tuple) else None
            return local_shape(n.id)
        if isinstance(n, ast.Constant):
            return () if isinstance(n.value, (int, float)) and not isinstance(n.value, bool) else None
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd)):
            return walk(n.operand)
        if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and globals_.get(n.value.id) == 2:
            return () if index_shape((2,), n.slice, ints) == () else None  # an item of a list of numbers
        if isinstance(n, ast.Subscript):
            base = walk(n.value)
            return base if base is _TOP else index_shape(base, n.slice, ints)
        if isinstance(n, ast.Attribute) and n.attr == "T":
            base = walk(n.value)
            return base if base is _TOP or base is None else tuple(reversed(base))
        if isinstance(n, ast.BinOp):
            parts = [walk(n.left), walk(n.right)]
            if None in parts:
                return None
            if _TOP in parts:
                return _TOP
            if isinstance(n.op, ast.MatMult):
                return _matmul(*parts) if all(len(p) >= 1 for p in parts) else None
            if isinstance(n.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.FloorDiv, ast.Mod)):
                return _broadcast(parts)
            return None
        if isinstance(n, ast.Compare):
            return both([n.left] + list(n.comparators))
        if (
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and isinstance(n.func.value, ast.Name)
            and globals_.get(n.func.value.id) == "numpy"
            and not n.keywords
            and n.args
        ):
            func = getattr(np, n.func.attr, None)
            if (
                isinstance(func, np.ufunc)
                and func.nout == 1
                and func.nin == len(n.args)
                and func.signature is None
                and func is not np.matmul
            ):
                return both(n.args)
        return None

    def both(operands):
        parts = [walk(o) for o in operands]
        if None in parts:
            return None
        return _TOP if _TOP in parts else _broadcast(parts)

    return walk(node)


def infer_shapes(fn, act, param_shapes):
    """Static shapes of the function's variables (greatest fixpoint over all assignments).

    Args:
        fn: the ``NormalFunction``.
        act: its ``Activity`` (scalars have shape ``()``).
        param_shapes: ``{parameter: symbolic shape}`` for array arguments.

    Returns:
        ``{variable: shape}`` for the variables whose shape is known.
    """
    assigns = [s for s in walk_stmts(fn.body) if isinstance(s, Assign)]
    loop_vars = {s.target for s in walk_stmts(fn.body) if isinstance(s, For)}
    shape = {}
    for p in fn.params:
        shape[p] = () if p in act.scalar else param_shapes.get(p)
        if isinstance(shape[p], dict):
            shape[p] = None
    by_target = {}
    for s in assigns:
        by_target.setdefault(s.target, []).append(s.value)
    for v in by_target:
        shape[v] = _TOP
    for v in loop_vars:
        shape[v] = ()

    # range loop variables no statement rebinds are Python ints: x[i] drops an axis
    ints = {v for v in loop_vars if v not in by_target and v not in fn.params}

    def local_shape(name):
        return () if name in act.scalar else shape.get(name)

    def atom(a):
        if isinstance(a, Var):
            if a.name in act.scalar:
                return ()
            return shape.get(a.name)
        if _const_number(a.node):
            return ()
        return const_shape(a.node, act.globals, local_shape, ints) if act.globals else None

    import ast as _ast

    dict_shapes = {k[1]: v for k, v in param_shapes.items() if isinstance(k, tuple) and k[:1] == ("dict",)}
    assigned_names = {s.target for s in assigns}

    def entry_shape(value):
        """``params["W"]`` of a dict argument whose entries' shapes the specialisation knows."""
        if (
            isinstance(value, Prim)
            and value.style == "getitem"
            and isinstance(value.args[0], Var)
            and value.args[0].name in dict_shapes
            and value.args[0].name not in assigned_names
            and isinstance(value.args[1], Const)
            and isinstance(value.args[1].node, _ast.Constant)
        ):
            return dict_shapes[value.args[0].name].get(value.args[1].node.value)
        return None

    def index_shape(value):
        if not (
            isinstance(value, Prim)
            and value.style == "getitem"
            and isinstance(value.args[0], Var)
            and isinstance(value.args[1], Const)
            and value.args[0].name not in act.dicts
            and value.args[0].name not in act.lists
        ):
            return None
        base = atom(value.args[0])
        if base is _TOP:
            return _TOP
        return shape_index(base, value.args[1].node, ints)

    from .shapes import dims_resolver, index_shape as shape_index

    dims = dims_resolver(
        lambda name: [] if name in fn.params or name in loop_vars else by_target.get(name, []),
        lambda name: () if name in act.scalar else shape.get(name),
    )
    changed = True
    while changed:
        changed = False
        for v, values in by_target.items():
            if v in act.scalar:
                new = ()
            else:
                new = _TOP
                for value in values:
                    s = entry_shape(value)
                    if (
                        s is None
                        and isinstance(value, NonDiff)
                        and (_const_number(value.node) or _scalar_nondiff(value.node, act.scalar))
                    ):
                        s = ()  # a number (total = 0.0 before total = total + x[i])
                    if s is None and isinstance(value, NonDiff) and act.globals:
                        s = const_shape(value.node, act.globals, local_shape, ints)
                    if s is None:
                        s = index_shape(value)
                    if s is None:
                        s = value_shape(value, atom, dims)
                    if s is _TOP:
                        continue
                    if s is None or (new is not _TOP and new != s):
                        new = None
                        break
                    new = s
                if v in fn.params and new != shape.get(v):
                    new = None if new is not _TOP else shape.get(v)
            if new != shape.get(v):
                shape[v] = new
                changed = True
    return {v: s for v, s in shape.items() if s is not None and s is not _TOP}
