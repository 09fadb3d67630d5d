"""Pass 5, reverse: emit the forward sweep and the adjoint sweep as one function.

Input: a ``NormalFunction`` and its ``Activity``. Output: an ``ast.FunctionDef``
with these guarantees:

* The forward sweep is the user's computation, one primitive per statement.
  Before a statement overwrites a variable whose earlier value the adjoint
  sweep reads, the old value is pushed on a stack; the adjoint sweep pops it
  back right after the statement's adjoint, so at every point of the adjoint
  sweep every variable holds the value it had at the matching point of the
  forward sweep (this is what makes loops, branches and reassignment exact).
  A value is saved only when the adjoint sweep reads it after its restore,
  before anything rebinds it (a liveness analysis, ``_Liveness``); save and
  restore are kept or dropped together. A loop or branch of the adjoint sweep
  is kept while it holds a needed restore, even with no other adjoint work
  (a value overwritten there and read by an earlier statement's adjoint).
  ``if`` tests and loop trip counts are pushed only when inside a loop.
* The adjoint of each assignment is the rule's VJP body with the call's
  operands substituted (``dx = dy * np.cos(x)``), summed into the input's
  adjoint. ``unbroadcast`` is applied only where an operand may have been
  broadcast (never between two Python numbers), to the shape the operand had
  at the statement (``v = v + w``: the restored ``v``'s, not the new one's).
* Adjoints are tracked symbolically: an adjoint that is known to be zero is not
  materialised and its VJPs are skipped; zeros are written out only where
  control flow merges a zero with a non-zero adjoint (``0.0`` for Python
  numbers, ``np.zeros_like(v)`` otherwise).
* ``_Marker`` statements (source lines for comments) are the only non-code
  nodes; ``codegen`` prints them as comments.
"""

import ast
import copy
import math
import operator
from dataclasses import dataclass

import numpy as np

from ..errors import NoRuleError
from ..rules import unbroadcast
from ..rules.indexing import index_add, index_update
from ..rules.linalg import einsum_args as _EINSUM
from ..rules.shape import concatenate_args, stack_args
from . import activity, inline
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
    Return,
    UserCall,
    Var,
    While,
    walk_stmts,
    clone,
)
from .nodes import (
    assign as _assign,
    atom_node as _atom_node,
    call as _call,
    name as _name,
    rule_reads,
    stmt_reads,
    value_reads,
)
from .parse import error_at
from .shapes import unstretched

__all__ = ["reverse", "SourceLine", "is_marker"]


@dataclass(frozen=True)
class SourceLine:
    """Marker: the following statements come from the user's line ``lineno``."""

    lineno: int
    text: str
    adjoint: bool = False


@dataclass(frozen=True)
class _Save:
    """Push ``var`` before the statement ``key`` (an ``id``) overwrites it; paired with the ``_Restore`` of ``key``."""

    var: str
    key: int = 0


@dataclass(frozen=True)
class _Restore:
    var: str
    key: int = 0


@dataclass(frozen=True, eq=False)
class _SaveItems:
    """Save ``var[index]`` (a copy of an array's items; a list's item itself) before an in-place write."""

    var: str
    index: object
    copy: bool = True
    key: int = 0


@dataclass(frozen=True, eq=False)
class _RestoreItems:
    var: str
    index: object
    key: int = 0


@dataclass(frozen=True, eq=False)
class _Recompute:
    """Compute ``target = value`` again (only if the adjoint sweep reads ``target``)."""

    target: str
    value: object
    key: int = 0


@dataclass(frozen=True)
class _SaveGroup:
    """Save several variables with one push (at the start of a loop body)."""

    vars: tuple
    key: int = 0


@dataclass(frozen=True)
class _RestoreGroup:
    vars: tuple
    key: int = 0


def _marker(obj):
    return ast.Expr(value=ast.Constant(value=obj))


def is_marker(stmt, kind=None):
    """True when ``stmt`` is a marker statement (of class ``kind``, if given)."""
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
        v = stmt.value.value
        if isinstance(
            v, (SourceLine, _Save, _Restore, _SaveGroup, _RestoreGroup, _Recompute, _SaveItems, _RestoreItems)
        ):
            return kind is None or isinstance(v, kind)
    return False


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


class Reverse:
    """Builds the gradient function; see the module docstring.

    Args:
        fn: the ``NormalFunction``.
        act: its ``Activity``.
        wrt: parameter names to differentiate with respect to.
        namer, ns: the transformation's ``Namer`` and ``Namespace``.
        preserve_result: also return the function's value.
        name: the generated function's name.
        callee_derivative: ``callee_derivative(function, wrt)`` makes the derivative a call of a user function
            calls (its gradient here, its JVP in ``forward``), given by ``api``, which knows those classes.
    """

    def __init__(self, fn, act, wrt, namer, ns, preserve_result=False, name=None, callee_derivative=None):
        self.fn, self.act, self.wrt = fn, act, wrt
        self.callee_derivative = callee_derivative
        self.namer, self.ns = namer, ns
        self.preserve_result = preserve_result
        self.name = name or namer.fresh("d" + fn.name)
        self.np = ns.bind(np, "np")
        self.overwritten, self.loop_target_shadowed = _overwritten(fn)
        self.inplace_writes = self.find_inplace_writes(fn)
        self.overwritten -= self.inplace_writes  # saved element-wise, not as whole arrays
        self.recompute = _recomputable(fn, self.overwritten)
        self.recomputed = {id(a) for assigns in self.recompute.values() for a in assigns}
        self.groups = _groups(fn, self.overwritten - self.recomputed)
        self.grouped = {id(a) for assigns in self.groups.values() for a in assigns}
        self.maybe_undefined = set()
        self.seen = set(fn.params)  # names assigned so far in the forward sweep, on some path
        self.views = {}  # adjoint name -> (the number it is a broadcast view of, as ast; static shape); see sum_view
        self.view_stmts = {}  # id -> the statements that make such views
        self.new_views = {}  # views the statement being differentiated makes
        self.inplace_owned = set()
        self.before_if = {}
        self.loop_stack = []
        self.uses_stack = False
        self.push = self.pop = None
        self.counters = None
        self.checkpointed = {}  # id(loop) -> what checkpointed_forward made (names, the forward body with saves)
        self.last_line = None

    # ------------------------------------------------------------ utilities
    def adj(self, var):
        return self.namer.adjoint(var)

    def push_stmt(self, value, counter=False):
        """``push(value)``: save a value (or a loop's trip count, ``counter``) for the adjoint sweep."""
        push, _ = self.stack_names()
        if self.plain_stack:
            lst = self.counter_stack_name() if counter else self.stack
            return ast.Expr(value=_call(ast.Attribute(value=_name(lst), attr="append", ctx=ast.Load()), value))
        return ast.Expr(value=_call(push, value))

    def pop_expr(self, counter=False):
        """``pop()``: the value saved last (a trip count with ``counter``)."""
        _, pop = self.stack_names()
        if self.plain_stack:
            lst = self.counter_stack_name() if counter else self.stack
            return _call(ast.Attribute(value=_name(lst), attr="pop", ctx=ast.Load()))
        return _call(pop)

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

    def zero(self, var):
        if var in self.act.tree_dicts:  # a dict holding dicts
            from .runtime import zeros_like_tree

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
        if var in self.act.lists and self.scalar_list(var):
            return ast.BinOp(
                left=ast.List(elts=[ast.Constant(value=0.0)], ctx=ast.Load()),
                op=ast.Mult(),
                right=_call(self.ns.bind(len, "len"), _name(var)),
            )
        if var in self.act.lists:
            e = self.namer.fresh("e")
            return ast.ListComp(
                elt=_call(ast.Attribute(value=_name(self.np), attr="zeros_like", ctx=ast.Load()), _name(e)),
                generators=[ast.comprehension(target=_name(e, True), iter=_name(var), ifs=[], is_async=0)],
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

    def line_marker(self, lineno, adjoint):
        if not lineno or lineno == self.last_line[adjoint]:
            return []
        self.last_line[adjoint] = lineno
        lines = self.fn.lines
        text = lines[lineno - 1].strip() if 0 < lineno <= len(lines) else ""
        return [_marker(SourceLine(lineno, text, adjoint))]

    # ------------------------------------------------------------ forward sweep
    def forward(self, stmts, depth, defined):
        out = []
        for s in stmts:
            if isinstance(s, Assign) and id(s) in self.inplace_writes:
                # y = index_update(y, i, v) of an array nothing else refers to: write in place, saving y[i]
                out += self.line_marker(s.lineno, False)
                y, idx, item = s.value.args
                out.append(_marker(_SaveItems(s.target, clone(idx.node), key=id(s))))
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
                    out.append(_marker(_Save(s.target, id(s))))
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
                out += self.line_marker(s.lineno, False)
                if s.target in self.loop_target_shadowed.get(id(s), ()):
                    out.append(_marker(_Save(s.target, id(s))))
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
                if self.checkpoint and depth == 0 and self.checkpointable(s):
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
                out += self.line_marker(s.lineno, False)
                counter = self.counter_for(s)
                out.append(_assign(counter, ast.Constant(value=0)))
                body = [ast.AugAssign(target=_name(counter, True), op=ast.Add(), value=ast.Constant(value=1))]
                body += self.save_group(s, set(defined))
                self.loop_stack.append({a.target for a in walk_stmts(s.body) if isinstance(a, Assign)})
                body += self.forward(s.body, depth + 1, set(defined))
                self.loop_stack.pop()
                out.append(ast.While(test=clone(s.test), body=body, orelse=[]))
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
                out.append(_marker(_SaveItems(s.lst, clone(s.idx.node), copy=False, key=id(s))))
                out.append(_list_slot_assign(s.lst, s.idx, _atom_node(s.item)))
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
        return [_marker(_SaveGroup(names, id(loop)))]

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

    # ------------------------------------------------------------ adjoint sweep
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

    def sum_view(self, var, expr):
        """``np.broadcast_to(g, shape_of(x))`` for the table's sum VJP ``np.broadcast_to(unreduce(g, x, None),
        shape_of(x))`` when ``g`` is a number (shape ``()``) and ``x`` has a static shape with axes, or ``None``.

        ``unreduce`` over all axes only reshapes a one-element ``g``; ``np.broadcast_to`` spreads it the same way.
        The mean's VJP, that view divided by ``count(x, None)``, is the view of ``g / count(x, None)``: the
        number is divided, not every element of the view.
        """
        from ..rules.helpers import count, shape_of, unreduce

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
        primal = {self.adj(v): v for v in self.act.active}.get(g.id)
        if primal is None or self.shape_of(Var(primal)) != ():
            return None
        static = self.shape_of(Var(var))
        if not static:
            return None
        number = g if divisor is None else ast.BinOp(left=g, op=ast.Div(), right=divisor)
        return ast.Call(func=expr.func, args=[number, shape], keywords=[]), static

    def fold_views(self, expr):
        """In products, a broadcast view of a number next to a factor of the view's static shape is the number.

        ``dt * 2 * x`` with ``dt = np.broadcast_to(ds, shape_of(t))`` and ``x`` of ``t``'s shape is
        ``ds * 2 * x``: the product has that shape anyway, and reads ``t`` no more. So is a quotient
        (``dt / x``, ``x / dt``), and ``-dt`` as a factor is ``-ds``.
        """
        if not self.views:
            return expr
        views = self.views
        from .shapes import broadcast

        def shape_of_expr(node):
            """The static shape of arithmetic on names and numbers (``t_2 ** (2 - 1)``), or ``None``."""
            if isinstance(node, ast.Name):
                return None if node.id in views else self.shape_of(Var(node.id))
            if all(
                isinstance(n, (ast.Constant, ast.BinOp, ast.UnaryOp, ast.Compare, ast.operator, ast.unaryop, ast.cmpop))
                for n in ast.walk(node)
            ):
                return ()  # arithmetic on literals (2 - 1 + (2 == 0)): a number
            if isinstance(node, ast.Constant):
                return () if isinstance(node.value, (int, float)) and not isinstance(node.value, bool) else None
            if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
                return shape_of_expr(node.operand)
            if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)):
                a, b = shape_of_expr(node.left), shape_of_expr(node.right)
                return None if a is None or b is None else broadcast([a, b])
            if isinstance(node, ast.Call) and not node.keywords and node.args:  # np.cos(x): a ufunc, elementwise
                func = _callee(node.func, self.ns.values)
                if isinstance(func, np.ufunc) and func.nout == 1 and func.nin == len(node.args):
                    shapes = [shape_of_expr(a) for a in node.args]
                    return None if None in shapes else broadcast(shapes)
            return None

        def factors(node):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
                return factors(node.left) + factors(node.right)
            return [node]

        def view_of(node):
            """``(the number, the view's shape)`` for a view's name or its negation, else ``None``."""
            if isinstance(node, ast.Name) and node.id in views:
                return clone(views[node.id][0]), views[node.id][1]
            if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
                inner = view_of(node.operand)
                return inner and (ast.UnaryOp(op=ast.USub(), operand=inner[0]), inner[1])
            return None

        class Fold(ast.NodeTransformer):
            def visit_BinOp(self, node):
                if isinstance(node.op, ast.Div):  # dt / x, x / dt: the quotient has x's shape anyway
                    self.generic_visit(node)
                    for side, other in (("left", node.right), ("right", node.left)):
                        view = view_of(getattr(node, side))
                        if view is not None and shape_of_expr(other) == view[1]:
                            setattr(node, side, view[0])
                            break
                    return node
                if not isinstance(node.op, ast.Mult):
                    self.generic_visit(node)
                    return node
                fs = [self.visit(f) for f in factors(node)]
                for k, f in enumerate(fs):
                    view = view_of(f)
                    if view is not None and any(o is not f and shape_of_expr(o) == view[1] for o in fs):
                        fs[k] = view[0]
                out = fs[0]
                for f in fs[1:]:
                    out = ast.BinOp(left=out, op=ast.Mult(), right=f)
                return out

        return Fold().visit(expr)

    def adjoint_list_set(self, s, state):
        """``lst[i] = v``: ``dv += dlst[i]``; the old item is put back and its adjoint starts at zero."""
        out = self.line_marker(s.lineno, True)
        restore = [_marker(_RestoreItems(s.lst, clone(s.idx.node), key=id(s)))]
        if s.lst not in self.act.active or s.lst not in state:
            return out + restore
        slot = ast.Subscript(value=_name(self.adj(s.lst)), slice=clone(s.idx.node), ctx=ast.Load())
        if isinstance(s.item, Var) and s.item.name in self.act.active:
            self.accumulate(s.item.name, slot, state, out)
        old = ast.Subscript(value=_name(s.lst), slice=clone(s.idx.node), ctx=ast.Load())
        zero = _call(ast.Attribute(value=_name(self.np), attr="zeros_like", ctx=ast.Load()), old)
        return out + restore + [_list_slot_assign(self.adj(s.lst), s.idx, zero)]

    def list_set_tangent(self, s, state):
        """Forward mode of ``lst[i] = v``: ``dlst[i] = dv`` (used by ``forward.Forward``, kept beside the adjoint)."""
        out = [_list_slot_assign(s.lst, s.idx, _atom_node(s.item))]
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
        out.append(_list_slot_assign(self.adj(s.lst), s.idx, tangent))
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
        if "dout" in params:  # the callee is itself a generated gradient (of a recursive function): higher order
            raise error_at(
                self.fn.filename,
                self.fn.lines,
                self.current_lineno,
                f"a derivative of the gradient of a recursive function ({value.fn.__name__} calls itself) is "
                "not supported by the compiler",
                hint="Use dynamic mode for it: Tensors and srcgrad.autograd.grad(..., create_graph=True).",
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

    def resolve_hvstack(self, value):
        """``np.hstack``/``np.vstack`` as the stack or concatenate they are for the elements' (static) rank, or
        ``None`` when the ranks are not known (or differ)."""
        from ..rules.shape import concatenate_args, stack_args

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
            from .runtime import stacked_piece

            k = self.namer.fresh("k")
            elt = _call(
                self.ns.bind(stacked_piece, "stacked_piece"),
                _name(d),
                _name(lst),
                _name(k),
                ast.Constant(value=value.kind),
            )
            rng = _call(self.ns.bind(range, "range"), _call(self.ns.bind(len, "len"), _name(lst)))
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
            rng = _call(self.ns.bind(range, "range"), _call(self.ns.bind(len, "len"), _name(lst)))
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

    def accumulate(self, var, expr, state, out):
        d = self.adj(var)
        if var in state:
            if var in self.act.scalar:
                out.append(ast.AugAssign(target=_name(d, True), op=ast.Add(), value=expr))
            else:
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
            else [_marker(_Restore(v, id(s)))]
        )
        if id(s) in self.inplace_writes:
            restore = [_marker(_RestoreItems(v, clone(value.args[1].node), key=id(s)))]
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
                from .runtime import add_tree

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
        ):
            # The rule is index_add(np.zeros_like(x), idx, g); summed into an adjoint this loop owns,
            # that is an in-place add (np.add.at also handles repeated fancy indices).
            base = value.args[0].name
            target = ast.Subscript(value=_name(self.adj(base)), slice=clone(value.args[1].node), ctx=ast.Store())
            if _basic_index(value.args[1].node, self.act.scalar):
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
            restore = [_marker(_RestoreItems(v, clone(value.args[1].node), key=id(s)))]
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

    def find_inplace_writes(self, fn):
        """``y = index_update(y, idx, v)`` / ``index_add`` statements safe to run as ``y[idx] = v`` in place.

        Safe when ``idx`` is a basic index of numbers and slices, the rule's VJPs
        do not read ``ans`` (they then see the old ``y``, restored element-wise
        first), and no other name for ``y``'s memory is read after the write
        (``aliasing`` refuses the program otherwise). A name for it that is not
        read after the write may remain: the adjoint sweep undoes each write in
        place, in reverse order, so every name for the array sees, at each point
        of the adjoint sweep, what it held at that point of the forward sweep.
        """
        out = set()
        scalar = self.act.scalar
        for st in walk_stmts(fn.body):
            if not (isinstance(st, Assign) and isinstance(st.value, Prim) and st.value.fn in (index_add, index_update)):
                continue
            y, idx, item = st.value.args
            if not (
                isinstance(y, Var)
                and y.name == st.target
                and isinstance(idx, Const)
                and _basic_index(idx.node, scalar)
                and not (isinstance(item, Var) and item.name == st.target)
            ):
                continue
            if (
                st.target in self.act.lists
                or st.target in self.act.dicts
                or (st.target in fn.params and st.target not in fn.owned_params)
            ):
                continue
            if rule_reads(st.value.rule, 3)[1]:
                continue
            out.add(id(st))
        return out

    def write_clears_in_place(self, value):
        """For ``y = index_update(y, idx, v)``: the constant the table's VJP of ``y`` writes at ``idx``
        (its rule is ``index_update(g, idx, 0.0)``), ``"keep"`` for ``index_add`` (its VJP of ``y`` is ``g``),
        or ``None`` when the rule has another form."""
        rule = value.rule
        vjp = rule.vjp_at(0) if hasattr(rule, "vjp_at") else rule.vjps[0]
        t = inline.template(vjp)
        if t is None or t.body or len(t.params) < 4:
            return None
        g, _, x, idx = t.params[:4]
        r = t.result
        if value.fn is index_add:
            return "keep" if isinstance(r, ast.Name) and r.id == g else None
        if (
            value.fn is index_update
            and isinstance(r, ast.Call)
            and isinstance(r.func, ast.Name)
            and vjp.__globals__.get(r.func.id) is index_update
            and len(r.args) == 3
            and not r.keywords
            and isinstance(r.args[0], ast.Name)
            and r.args[0].id == g
            and isinstance(r.args[1], ast.Name)
            and r.args[1].id == idx
            and isinstance(r.args[2], ast.Constant)
        ):
            return r.args[2].value
        return None

    def getitem_adds_at(self, value):
        """True when the table's getitem VJP is ``index_add(np.zeros_like(x), idx, g)`` (so += in place is it)."""
        rule = value.rule
        vjp = rule.vjp_at(0) if hasattr(rule, "vjp_at") else rule.vjps[0]
        t = inline.template(vjp)
        if t is None or t.body or len(t.params) < 4:
            return False
        g, _, x, idx = t.params[:4]
        r = t.result
        ok = (
            isinstance(r, ast.Call)
            and len(r.args) == 3
            and not r.keywords
            and isinstance(r.args[0], ast.Call)
            and len(r.args[0].args) == 1
            and isinstance(r.args[0].args[0], ast.Name)
            and r.args[0].args[0].id == x
            and isinstance(r.args[1], ast.Name)
            and r.args[1].id == idx
            and isinstance(r.args[2], ast.Name)
            and r.args[2].id == g
        )
        if not ok:
            return False
        glb = vjp.__globals__
        func = glb.get(r.func.id) if isinstance(r.func, ast.Name) else None
        zl = r.args[0].func
        zeros = (
            getattr(glb.get(zl.value.id), zl.attr, None)
            if isinstance(zl, ast.Attribute) and isinstance(zl.value, ast.Name)
            else None
        )
        return func is index_add and zeros is np.zeros_like

    def inplace_candidates(self, loop):
        """Arrays whose only adjoint contributions in ``loop`` are reads ``x[idx]``: their adjoint can be summed in place."""
        written = {
            id(a)
            for a in walk_stmts(loop.body)
            if id(a) in self.inplace_writes and self.write_clears_in_place(a.value) is not None
        }
        assigned = {a.target for a in walk_stmts(loop.body) if isinstance(a, Assign) and id(a) not in written}
        assigned |= {a.target for a in walk_stmts(loop.body) if isinstance(a, For)}
        assigned |= {a.lst for a in walk_stmts(loop.body) if isinstance(a, (Append, ListSet))}
        ok, bad = set(), set()
        # an item put into a list gets its adjoint from the list's: not a read x[idx]
        bad |= {
            a.item.name for a in walk_stmts(loop.body) if isinstance(a, (Append, ListSet)) and isinstance(a.item, Var)
        }
        for st in walk_stmts(loop.body):
            if not isinstance(st, Assign):
                continue
            from .activity import diff_inputs

            for name in diff_inputs(st.value):
                value = st.value
                if (
                    id(st) in written
                    and name == st.target
                    and not (isinstance(value.args[2], Var) and value.args[2].name == name)
                ):
                    ok.add(name)  # an in-place index write into the array itself
                elif (
                    isinstance(value, Prim)
                    and value.style == "getitem"
                    and isinstance(value.args[0], Var)
                    and value.args[0].name == name
                    and not any(isinstance(a, Var) and a.name == name for a in value.args[1:])
                    and self.getitem_adds_at(value)
                ):
                    ok.add(name)
                else:
                    bad.add(name)
        return {
            v
            for v in ok - bad - assigned
            if v in self.act.active and v not in self.act.scalar and v not in self.act.lists and v not in self.act.dicts
        }

    def materialize(self, vars_, out):
        for var in sorted(vars_):
            out.append(_assign(self.adj(var), self.zero(var)))

    def adjoint_if(self, s, state, depth):
        s1, s2 = set(state), set(state)
        body = self.backward(s.body, s1, depth)
        orelse = self.backward(s.orelse, s2, depth)
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
        # Kept even when only markers: a restore in a branch may be needed (``_resolve_markers`` drops what is empty).
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
                _marker(_Recompute(a.target, self.print_value(a.value), id(a))) for a in self.recompute[id(loop)]
            ] + code
        if self.groups.get(id(loop)):
            code.append(_marker(_RestoreGroup(tuple(a.target for a in self.groups[id(loop)]), id(loop))))
        pre = []
        self.materialize(entry - state, pre)
        self.materialize(entry - st, code)
        state.clear()
        state.update(entry)
        return pre, code

    # ------------------------------------------------------------ checkpointing
    def checkpointable(self, loop):
        """A loop whose iterations can be run again from a snapshot of the variables it assigns: a range loop
        without ``break``, lists it appends to, writes in place, or inner loops that save their trip counts."""
        if loop.has_break or loop.target in self.loop_target_shadowed.get(id(loop), ()):
            return False
        it = loop.iter
        if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and self.ns.values.get(it.func.id) is range):
            return False
        for st in walk_stmts(loop.body):
            if isinstance(st, (Append, ListSet, While)) or (isinstance(st, For) and st.has_break):
                return False
            if isinstance(st, Assign) and (id(st) in self.inplace_writes or isinstance(st.value, (ListNew, ListPop))):
                return False
        return True

    def checkpointed_forward(self, loop, body, defined):
        """The forward sweep of a checkpointed loop: no saves, a snapshot of what it assigns every ``every``
        iterations (``every`` about the square root of the trip count); ``adjoint_for`` runs each stretch again,
        saving as usual, right before its adjoint."""
        n = self.namer
        info = {
            "seq": n.fresh("steps"),
            "every": n.fresh("every"),
            "snapshots": n.fresh("snapshots"),
            "k": n.fresh("k"),
            "start": n.fresh("start"),
            "body": body,
        }
        carried = sorted({a.target for a in walk_stmts(loop.body) if isinstance(a, Assign)} - {loop.target})
        info["vars"] = carried
        self.checkpointed[id(loop)] = info
        out = [_assign(v, ast.Constant(value=None)) for v in carried if v not in defined]  # (snapshot-able)
        length = _call(self.ns.bind(len, "len"), _name(info["seq"]))
        out.append(_assign(info["seq"], clone(loop.iter)))
        out.append(
            _assign(
                info["every"],
                ast.BinOp(
                    left=_call(
                        ast.Attribute(value=_name(self.ns.bind(math, "math")), attr="isqrt", ctx=ast.Load()), length
                    ),
                    op=ast.Add(),
                    right=ast.Constant(value=1),
                ),
            )
        )
        out.append(_assign(info["snapshots"], ast.List(elts=[], ctx=ast.Load())))
        snap = ast.If(
            test=ast.Compare(
                left=ast.BinOp(left=_name(info["k"]), op=ast.Mod(), right=_name(info["every"])),
                ops=[ast.Eq()],
                comparators=[ast.Constant(value=0)],
            ),
            body=[
                ast.Expr(
                    value=_call(
                        ast.Attribute(value=_name(info["snapshots"]), attr="append", ctx=ast.Load()),
                        ast.Tuple(elts=[_name(v) for v in carried], ctx=ast.Load()),
                    )
                )
            ],
            orelse=[],
        )
        plain = _without_saves(clone_stmts(body))
        enum = _call(self.ns.bind(enumerate, "enumerate"), _name(info["seq"]))
        out.append(
            ast.For(
                target=ast.Tuple(elts=[_name(info["k"], True), _name(loop.target, True)], ctx=ast.Store()),
                iter=enum,
                body=[snap] + plain,
                orelse=[],
                lineno=loop.lineno,
            )
        )
        return out

    def checkpointed_adjoint(self, loop, pre, code):
        """Stretch by stretch from the last: restore its snapshot, run it again saving, then its adjoint."""
        info = self.checkpointed[id(loop)]
        seq, every, start = info["seq"], info["every"], info["start"]
        stretch = ast.Subscript(
            value=_name(seq),
            slice=ast.Slice(lower=_name(start), upper=ast.BinOp(left=_name(start), op=ast.Add(), right=_name(every))),
            ctx=ast.Load(),
        )
        length = _call(self.ns.bind(len, "len"), _name(seq))
        starts = _call(
            self.ns.bind(reversed, "reversed"),
            _call(self.ns.bind(range, "range"), ast.Constant(value=0), length, _name(every)),
        )
        carried = info["vars"]
        restore = ast.Assign(
            targets=[ast.Tuple(elts=[_name(v, True) for v in carried], ctx=ast.Store())],
            value=_call(ast.Attribute(value=_name(info["snapshots"]), attr="pop", ctx=ast.Load())),
            lineno=0,
        )
        again = ast.For(
            target=_name(loop.target, True), iter=stretch, body=clone_stmts(info["body"]) or [ast.Pass()], orelse=[]
        )
        back = ast.For(
            target=_name(loop.target, True),
            iter=_call(self.ns.bind(reversed, "reversed"), clone(stretch)),
            body=code or [ast.Pass()],
            orelse=[],
        )
        return pre + [ast.For(target=_name(start, True), iter=starts, body=[restore, again, back], orelse=[])]

    def adjoint_for(self, s, state, depth):
        pre, code = self.loop_body(s, state, depth)
        if id(s) in self.checkpointed:
            return self.checkpointed_adjoint(s, pre, code)
        out = []
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
            out.append(_marker(_Restore(s.target, id(s))))
        return out

    def adjoint_while(self, s, state, depth):
        pre, code = self.loop_body(s, state, depth)
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

    # ------------------------------------------------------------ assembly
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
            from .runtime import default_dout

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
        live = _Liveness()
        read_first = live.block(adjoint + tail, {g.id for g in grads})  # read before the adjoint sets them
        forward = _resolve_markers(forward, live.needed, self)
        adjoint = _resolve_markers(adjoint, live.needed, self, prune=True)
        prologue = []
        for v in sorted(self.maybe_undefined & (read_first | live.saved)):
            prologue.append(_assign(v, ast.Constant(value=None)))
        if self.uses_stack and self.plain_stack:
            prologue.append(_assign(self.stack, ast.List(elts=[], ctx=ast.Load())))
            if self.counters is not None:
                prologue.append(_assign(self.counters, ast.List(elts=[], ctx=ast.Load())))
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

    wrt_tuple = False
    plain_stack = False  # save with stack.append / stack.pop(), one value each (a gradient to differentiate again)
    checkpoint = False  # top-level loops keep snapshots and run again in the adjoint sweep (grad(checkpoint=True))
    dout_name = "dout"  # the cotangent's keyword (another name when the user's code has a `dout`)

    def drop_unread_views(self, adjoint, tail, grads):
        """Remove the broadcast views (``sum_view``) every use of which was folded; print ``x.shape`` in the rest."""
        if not self.view_stmts:
            return
        read = {
            n.id
            for st in adjoint + tail
            for n in ast.walk(st)
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
            from ..rules.helpers import SHAPE_ARGS
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
            for call in ast.walk(st):
                if not isinstance(call, ast.Call):
                    continue
                fn = _callee(call.func, self.ns.values)
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


def refuse_higher_order(value, fn, lineno):
    """A call of a compiled gradient or JVP on a differentiable value: a derivative of a derivative."""
    if getattr(type(value.fn), "__name__", "") in ("GradFunction", "JVPFunction") and type(
        value.fn
    ).__module__.startswith("srcgrad.compiler"):
        raise error_at(
            fn.filename,
            fn.lines,
            lineno,
            f"a derivative of a derivative ({value.fn!r} called on a differentiable value) is not "
            "supported by the compiler",
            hint="Use dynamic mode for higher order: Tensors and srcgrad.autograd.grad(..., "
            "create_graph=True), or srcgrad.autograd.functional.hessian / hvp.",
        )


def _names_read(node):
    """The names an expression loads."""
    return [n for n in ast.walk(node) if isinstance(n, ast.Name)]


def _callee(node, values):
    """The object a generated callee expression (``np.cos``, ``unbroadcast``) names in the namespace ``values``."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in values:
        return None
    obj = values[node.id]
    for attr in reversed(parts):
        obj = getattr(obj, attr, None)
    return obj


def clone_stmts(stmts):
    """Deep copies of generated statements (markers included)."""
    return [copy.deepcopy(st) for st in stmts]


def _without_saves(stmts):
    """``stmts`` with every save marker dropped (a checkpointed loop's forward sweep saves nothing)."""
    out = []
    for st in stmts:
        if is_marker(st, _Save) or is_marker(st, _SaveGroup) or is_marker(st, _SaveItems):
            continue
        for field in ("body", "orelse"):
            if isinstance(getattr(st, field, None), list):
                setattr(
                    st,
                    field,
                    _without_saves(getattr(st, field)) or [ast.Pass()]
                    if field == "body"
                    else _without_saves(getattr(st, field)),
                )
        out.append(st)
    return out


def _stored(stmts):
    """Names the statements rebind or change in place."""
    out = set()
    for st in stmts:
        for n in ast.walk(st):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                out.add(n.id)
            elif isinstance(n, (ast.Subscript, ast.Attribute)) and isinstance(n.ctx, ast.Store):
                base = n.value
                while isinstance(base, (ast.Subscript, ast.Attribute)):
                    base = base.value
                if isinstance(base, ast.Name):
                    out.add(base.id)
    return out


def _list_slot_assign(lst, idx, value):
    """``lst[idx] = value``."""
    return ast.Assign(
        targets=[ast.Subscript(value=_name(lst), slice=clone(idx.node), ctx=ast.Store())], value=value, lineno=0
    )


def _basic_index(node, numbers):
    """An index numpy treats as basic (no element addressed twice): numbers, slices, tuples of them.

    A name counts only when it is known to hold a number (``numbers``): a name
    may hold a list or an array of indices, with repeats.
    """
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            if n.id not in numbers:
                return False
        elif isinstance(n, ast.Constant):
            if not (n.value is None or type(n.value) is int):
                return False
        elif not isinstance(n, (ast.Slice, ast.Tuple, ast.UnaryOp, ast.USub, ast.BinOp, ast.Add, ast.Sub, ast.Load)):
            return False
    return True


def _real(stmts):
    return any(not is_marker(s) for s in stmts)


class _Liveness:
    """Backward liveness over the adjoint sweep with its markers: which restores are read before overwritten.

    A restore (``v = pop()``) is needed when ``v`` is live right after it: some
    statement reads ``v`` before another restore or assignment rebinds it. Its
    save and every restore of the same statement (``key``) are then kept
    together, so the stack stays balanced; the others disappear in pairs.
    In-place item restores (``y[i] = pop()``) read ``y`` and kill nothing; a
    recomputation (``x = xs[i]``) is kept when ``x`` is live and reads its operands.

    Attributes:
        needed: keys of the needed restores (``(key, var)`` for a group's variables).
        saved: the variables some needed restore rebinds.
    """

    def __init__(self):
        self.needed = set()
        self.saved = set()

    def block(self, stmts, live, loop_out=None):
        """Names live before ``stmts`` when ``live`` are live after them."""
        live = set(live)
        for st in reversed(stmts):
            live = self.stmt(st, live, loop_out)
        return live

    def need(self, key, var):
        self.needed.add(key)
        self.saved.add(var)

    def kept(self, marker):
        """Whether ``_resolve_markers`` turns ``marker`` into code (given what is needed so far)."""
        if isinstance(marker, (_SaveGroup, _RestoreGroup)):
            return any((marker.key, v) in self.needed for v in marker.vars)
        if isinstance(marker, SourceLine):
            return False
        return marker.key in self.needed

    def empty(self, stmts):
        """True when ``stmts`` resolve to no code: markers not kept, ``pass``, and branches and loops of those
        (``_resolve_markers`` drops such a branch or loop of the adjoint sweep, so it reads nothing)."""
        for st in stmts:
            if is_marker(st):
                if self.kept(st.value.value):
                    return False
            elif isinstance(st, (ast.If, ast.For, ast.While)):
                if not (self.empty(st.body) and self.empty(st.orelse)):
                    return False
            elif not isinstance(st, ast.Pass):
                return False
        return True

    def stmt(self, st, live, loop_out):
        if is_marker(st):
            m = st.value.value
            if isinstance(m, _Restore) and m.var in live:
                self.need(m.key, m.var)
                live.discard(m.var)
            elif isinstance(m, _RestoreGroup):
                for v in m.vars:
                    if v in live:
                        self.need((m.key, v), v)
                        live.discard(v)
            elif isinstance(m, _RestoreItems) and m.var in live:
                self.need(m.key, m.var)
            elif isinstance(m, _Recompute) and m.target in live:
                self.needed.add(m.key)
                live.discard(m.target)
                live |= _loads(m.value)
            return live
        if isinstance(st, ast.Assign):
            kills = set()
            for t in st.targets:
                for e in t.elts if isinstance(t, ast.Tuple) else [t]:
                    if isinstance(e, ast.Name):
                        kills.add(e.id)
            return (live - kills) | _loads(st)
        if isinstance(st, ast.AugAssign):
            return live | _loads(st) | ({st.target.id} if isinstance(st.target, ast.Name) else set())
        if isinstance(st, ast.If):
            inner = self.block(st.body, live, loop_out) | self.block(st.orelse, live, loop_out)
            return inner if self.empty([st]) else inner | _loads(st.test)
        if isinstance(st, (ast.For, ast.While)):
            head = st.iter if isinstance(st, ast.For) else st.test
            targets = (
                {n.id for n in ast.walk(st.target) if isinstance(n, ast.Name)} if isinstance(st, ast.For) else set()
            )
            after = self.block(st.orelse, live, loop_out)
            carried = set(live) | after
            while True:  # what the body reads flows around the loop until nothing new arrives
                inside = self.block(st.body, carried, carried) - targets
                if inside <= carried:
                    break
                carried |= inside
            return carried if self.empty([st]) else carried | _loads(head)
        if isinstance(st, (ast.Break, ast.Continue)):
            return set(loop_out) if loop_out is not None else live
        if isinstance(st, ast.Return):
            return _loads(st.value) if st.value is not None else set()
        return live | _loads(st)


def _loads(node):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _resolve_markers(stmts, needed, rev, prune=False):
    """Markers to code: the saves, restores and recomputations whose keys are in ``needed``; the rest go.

    With ``prune`` (the adjoint sweep), a branch or loop left without code goes too (``_Liveness.empty``), and
    a branch with code in its ``else`` only becomes ``if not cond``.
    """
    out = []
    for s in stmts:
        if is_marker(s, _Save):
            var = s.value.value.var
            if s.value.value.key in needed:
                out.append(rev.push_stmt(_name(var)))
            continue
        if is_marker(s, _Restore):
            var = s.value.value.var
            if s.value.value.key in needed:
                out.append(_assign(var, rev.pop_expr()))
            continue
        if is_marker(s, _SaveItems) or is_marker(s, _RestoreItems):
            m = s.value.value
            if m.key in needed:
                if is_marker(s, _SaveItems):
                    item = ast.Subscript(value=_name(m.var), slice=clone(m.index), ctx=ast.Load())
                    if m.copy:
                        item = _call(ast.Attribute(value=_name(rev.np), attr="copy", ctx=ast.Load()), item)
                    out.append(rev.push_stmt(item))
                else:
                    out.append(
                        ast.Assign(
                            targets=[ast.Subscript(value=_name(m.var), slice=clone(m.index), ctx=ast.Store())],
                            value=rev.pop_expr(),
                            lineno=0,
                        )
                    )
            continue
        if is_marker(s, _Recompute):
            m = s.value.value
            if m.key in needed:
                out.append(_assign(m.target, m.value))
            continue
        if is_marker(s, _SaveGroup) or is_marker(s, _RestoreGroup):
            m = s.value.value
            names = [v for v in m.vars if (m.key, v) in needed]
            if names and rev.plain_stack:  # one value per push: a list of values, differentiable again
                if is_marker(s, _SaveGroup):
                    out += [rev.push_stmt(_name(v)) for v in names]
                else:
                    out += [_assign(v, rev.pop_expr()) for v in reversed(names)]
            elif names:
                push, pop = rev.stack_names()
                packed = (
                    _name(names[0]) if len(names) == 1 else ast.Tuple(elts=[_name(v) for v in names], ctx=ast.Load())
                )
                if is_marker(s, _SaveGroup):
                    out.append(ast.Expr(value=_call(push, packed)))
                else:
                    target = (
                        _name(names[0], True)
                        if len(names) == 1
                        else ast.Tuple(elts=[_name(v, True) for v in names], ctx=ast.Store())
                    )
                    out.append(ast.Assign(targets=[target], value=_call(pop), lineno=0))
            continue
        for field in ("body", "orelse"):
            if hasattr(s, field) and isinstance(getattr(s, field), list):
                new = _resolve_markers(getattr(s, field), needed, rev, prune)
                if field == "body" and not _real(new):
                    new = new + [ast.Pass()]
                setattr(s, field, new)
        if prune and isinstance(s, (ast.If, ast.For, ast.While)):
            if not _code(s.body) and not _code(s.orelse):
                continue
            if isinstance(s, ast.If) and not _code(s.body):
                s.test = ast.UnaryOp(op=ast.Not(), operand=s.test)
                s.body, s.orelse = s.orelse, []
            elif isinstance(s, ast.If) and not _code(s.orelse):
                s.orelse = []
        out.append(s)
    return out


def _code(stmts):
    return any(not is_marker(s) and not isinstance(s, ast.Pass) for s in stmts)


def _recomputable(fn, overwritten):
    """Per loop (by ``id``), saved assignments cheaper to compute again in the adjoint loop than to save.

    ``x = xs[i]`` at the top level of a loop over ``i``, where ``xs`` does not
    change in the loop and ``x`` is assigned nowhere else and not read before
    it in the body: the adjoint loop sets ``i`` itself, so it can read ``xs[i]``
    again at the start of each of its iterations.
    """
    counts = {}
    for s in walk_stmts(fn.body):
        if isinstance(s, Assign):
            counts[s.target] = counts.get(s.target, 0) + 1
    changing = _maybe_changed_outside(fn)
    out = {}

    def visit(stmts, changing):
        for loop in stmts:
            if isinstance(loop, If):
                visit(loop.body, changing)
                visit(loop.orelse, changing)
            if not isinstance(loop, (For, While)):
                continue
            assigned = {a.target for a in walk_stmts(loop.body) if isinstance(a, Assign)}
            assigned |= {a.lst for a in walk_stmts(loop.body) if isinstance(a, (Append, ListSet))}
            inner_changing = changing | assigned
            if isinstance(loop, For):
                read_so_far = set()
                picked = []
                for s in loop.body:
                    if (
                        isinstance(s, Assign)
                        and id(s) in overwritten
                        and counts.get(s.target) == 1
                        and s.target not in read_so_far
                        and _cheap_read(s.value, loop.target, inner_changing)
                    ):
                        picked.append(s)
                    read_so_far |= stmt_reads(s)
                if picked:
                    out[id(loop)] = picked
            visit(loop.body, inner_changing | ({loop.target} if isinstance(loop, For) else set()))

    visit(fn.body, changing)
    return out


def _maybe_changed_outside(fn):
    """Names a statement of ``fn`` may change other than by assigning them: those it passes to a call that has
    no rule (an expression statement, a C function, a recursive call may change a list it is given)."""
    out = set()
    for s in walk_stmts(fn.body):
        nodes = []
        if isinstance(s, ExprStmt):
            nodes.append(s.node)
        elif isinstance(s, Assign) and isinstance(s.value, (Opaque, UserCall)):
            nodes += [a.node for a in list(s.value.args) + list(s.value.kwargs.values()) if isinstance(a, Const)]
            out.update(a.name for a in list(s.value.args) + list(s.value.kwargs.values()) if isinstance(a, Var))
        for node in nodes:
            out.update(n.id for n in ast.walk(node) if isinstance(n, ast.Name))
    return out


def _cheap_read(value, index, changing):
    """``seq[index]`` (or ``seq[index +- k]``) of a sequence that does not change in the loop."""
    if isinstance(value, Prim) and value.style == "getitem":
        base, idx = value.args
    elif isinstance(value, ListGet) and not isinstance(value, ListPop):
        base, idx = value.lst, value.idx
    elif (
        isinstance(value, NonDiff)
        and isinstance(value.node, ast.Subscript)
        and isinstance(value.node.value, ast.Name)
        and not value.reads - {index}
    ):  # XS[i] of a global: the generated code reads the same object again
        base, idx = Var(value.node.value.id), Const(value.node.slice)
    else:
        return False
    if not isinstance(base, Var) or base.name in changing or not isinstance(idx, Const):
        return False
    names = {n.id for n in ast.walk(idx.node) if isinstance(n, ast.Name)}
    simple = all(
        isinstance(n, (ast.Name, ast.Constant, ast.BinOp, ast.Add, ast.Sub, ast.Load)) for n in ast.walk(idx.node)
    )
    return simple and names <= {index} and base.name != index


def _groups(fn, overwritten):
    """Per loop (by ``id``), the saved assignments whose saves can share one push at the body's start.

    An assignment qualifies when it is a top-level statement of the body (so it
    runs in every iteration that gets that far), is the only assignment to its
    variable in the body, and nothing in the body (or a while test) reads the
    variable before it: then the value saved at the start of the iteration is
    the one the statement overwrites, and restoring it at the end of the
    iteration's adjoint is soon enough.
    """
    groups = {}
    for loop in walk_stmts(fn.body):
        if not isinstance(loop, (For, While)):
            continue
        counts = {}
        for s in walk_stmts(loop.body):
            if isinstance(s, Assign):
                counts[s.target] = counts.get(s.target, 0) + 1
        test_reads = (
            {n.id for n in ast.walk(loop.test) if isinstance(n, ast.Name)} if isinstance(loop, While) else set()
        )
        read_so_far = set(test_reads)
        picked = []
        for s in loop.body:
            if (
                isinstance(s, Assign)
                and id(s) in overwritten
                and not s.bookkeeping
                and counts[s.target] == 1
                and s.target not in read_so_far
                and (value_reads(s.value) or set()).isdisjoint({s.target})
                and value_reads(s.value) is not None
            ):
                picked.append(s)
            read_so_far |= stmt_reads(s)
        if len(picked) > 1:
            groups[id(loop)] = picked
    return groups


def _overwritten(fn):
    """Assignments (by ``id``) that may overwrite an earlier value, and loop variables that shadow one.

    An assignment inside loops whose value reads nothing any enclosing loop
    changes, to a variable assigned nowhere else, computes the same value every
    time: it overwrites nothing worth saving.
    """
    over = set()
    shadow = {}
    counts = {}
    for s in walk_stmts(fn.body):
        if isinstance(s, Assign):
            counts[s.target] = counts.get(s.target, 0) + 1

    def loop_assigned(loop):
        names = {s.target for s in walk_stmts(loop.body) if isinstance(s, Assign)}
        names |= {s.target for s in walk_stmts(loop.body) if isinstance(s, For)}
        names |= {s.lst for s in walk_stmts(loop.body) if isinstance(s, (Append, ListSet))}
        if isinstance(loop, For):
            names.add(loop.target)
        return names

    def walk(block, assigned, varying):
        for s in block:
            if isinstance(s, Assign):
                if s.target in assigned:
                    reads = value_reads(s.value)
                    invariant = (
                        varying
                        and counts.get(s.target) == 1
                        and s.target not in fn.params
                        and reads is not None
                        and not (reads & varying)
                    )
                    if not invariant:
                        over.add(id(s))
                assigned.add(s.target)
            elif isinstance(s, If):
                a1 = walk(s.body, set(assigned), varying)
                a2 = walk(s.orelse, set(assigned), varying)
                assigned |= a1 | a2
            elif isinstance(s, (For, While)):
                if isinstance(s, For):
                    if s.target in assigned:
                        shadow[id(s)] = {s.target}
                    assigned.add(s.target)
                inner = varying | loop_assigned(s)
                first = walk(s.body, set(assigned), inner)
                walk(s.body, set(first), inner)
                assigned |= first
        return assigned

    walk(fn.body, set(fn.params), set())
    return over, shadow


def reverse(
    fn,
    act,
    wrt,
    namer,
    ns,
    preserve_result=False,
    wrt_tuple=False,
    dout_name="dout",
    callee_derivative=None,
    plain_stack=False,
    checkpoint=False,
):
    """Build the gradient ``ast.FunctionDef`` of ``fn`` (see the module docstring).

    Args:
        fn: the ``NormalFunction``.
        act: its ``Activity``.
        wrt: the parameter names to differentiate with respect to.
        namer, ns: the transformation's ``Namer`` and ``Namespace``.
        preserve_result: return ``(value, gradients)``.
        wrt_tuple: return a tuple of gradients even for one parameter.
        dout_name: the keyword-only parameter of the output cotangent (``dout`` unless the user's code has one).
        callee_derivative: ``callee_derivative(function, wrt)``, the ``GradFunction`` of a user function the
            code calls (see ``Reverse``).
        plain_stack: save values with ``stack.append``/``stack.pop()``, one per call (no bound-method aliases,
            no tuples), so the compiler can differentiate the generated code again (higher order).
        checkpoint: top-level range loops save a snapshot of what they assign every ~sqrt(T) iterations instead
            of every iteration's values, and the adjoint sweep runs each stretch again (``grad(checkpoint=True)``).

    Returns:
        The ``ast.FunctionDef``.

    Raises:
        NoRuleError: a function without rule or source lies on a differentiable path.
    """
    r = Reverse(fn, act, wrt, namer, ns, preserve_result, callee_derivative=callee_derivative)
    r.wrt_tuple = wrt_tuple
    r.dout_name = dout_name
    r.plain_stack = plain_stack
    r.checkpoint = checkpoint
    return r.build()
