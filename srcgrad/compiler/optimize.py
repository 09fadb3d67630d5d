"""Pass 6, optimize: small, safe rewrites of the generated function.

Output guarantees (each rewrite preserves the values the function returns):

* constants are folded (``2 - 1 + (2 == 0)`` -> ``1``), ``e ** 1`` -> ``e``,
  ``e + e`` -> ``2 * e`` (the adjoint of ``x * x``);
* integer powers are strength-reduced: ``x ** 2`` -> ``x * x`` up to
  ``x ** 4`` -> ``x * x * x * x`` (numpy's ``power`` is far slower than a product);
* dead stores are removed: an assignment to a name that nothing else reads
  (its own updates, ``loss = loss + t``, do not count), whose
  right-hand side has no side effect (numpy but its random draws, ``math``, rule helpers,
  arithmetic), disappears, repeatedly, so values only the discarded loss
  needed go too; one whose right-hand side has a side effect keeps only that
  (``dv = dv + dstack.pop()`` -> ``dstack.pop()``), and an update that cannot
  be split that way keeps the name's earlier stores alive;
* copies ``a = b`` (``a`` assigned once) are forwarded into the uses of ``a``
  that follow in the same block while ``b`` is unchanged;
* a product or sum computed earlier in the same block is reused, not recomputed
  (``x * x * x`` after ``t = x * x`` becomes ``t * x``);
* ``unbroadcast(g, ())`` is written ``np.sum(g)``;
* in products, numbers are multiplied together before they touch an array, and
  the broadcast view of a scalar adjoint (of ``np.sum(x)``) next to a factor of
  ``x``'s static shape is replaced by the scalar (see ``_fold_scalar_factors``);
* ``mT(a)`` of a name ``a`` whose static shape has two axes is written ``a.T``
  (the same view, without two Python calls), ``count(a, None)`` of an array is ``a.size``, and
  ``np.squeeze(A @ np.expand_dims(v, -1), -1)`` of a matrix and a vector is ``A @ v``;
* ``np.sum(a * b)`` of two vectors of one static shape, one of them an adjoint,
  is the dot product ``a @ b`` (numbers among the factors multiply it);
* ``if`` statements left with no code are removed.
"""

import ast
import builtins
import math
import operator

import numpy as np

from .astwalk import Transformer, walk
from .draws import draws_random
from .ir import clone
from .reverse.markers import is_marker

__all__ = ["optimize"]

_PURE_BUILTINS = {len, range, float, int, abs, min, max, slice, reversed, bool, tuple}


class _Fold(Transformer):
    """Constant folding and power strength reduction.

    Args:
        ns: the generated module's namespace (to tell pure calls in ``e + e``).
    """

    def __init__(self, ns=None):
        self.ns = ns or {}

    _OPS = {
        ast.Add: operator.add,
        ast.Sub: operator.sub,
        ast.Mult: operator.mul,
        ast.Div: operator.truediv,
        ast.Pow: operator.pow,
    }
    _CMP = {
        ast.Eq: operator.eq,
        ast.NotEq: operator.ne,
        ast.Lt: operator.lt,
        ast.Gt: operator.gt,
        ast.LtE: operator.le,
        ast.GtE: operator.ge,
    }

    def visit_BinOp(self, node):
        self.generic_visit(node)
        l, r = node.left, node.right
        if isinstance(node.op, ast.Add) and _same(l, r) and (_arith_only(l) or _pure(l, self.ns)):
            return ast.BinOp(left=ast.Constant(value=2), op=ast.Mult(), right=l)  # e + e -> 2 * e
        if _num(l) and _num(r) and type(node.op) in self._OPS:
            try:
                value = self._OPS[type(node.op)](l.value, r.value)
            except (ArithmeticError, ValueError):
                return node
            if isinstance(value, (int, float)) and abs(value) < 1e15:
                return ast.Constant(value=value)
        if isinstance(node.op, ast.Pow) and _num(r) and type(r.value) is int:
            e = r.value  # integer exponents only: x ** 2.0 of an integer array is float, x * x is not
            if e == 1:
                return l
            if e in (2, 3, 4) and isinstance(l, (ast.Name, ast.Attribute, ast.Subscript)):
                out = l
                for _ in range(int(e) - 1):
                    out = ast.BinOp(left=out, op=ast.Mult(), right=_copy(l))
                return out
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.USub) and _num(node.operand):
            return ast.Constant(value=-node.operand.value)
        return node

    def visit_Compare(self, node):
        self.generic_visit(node)
        if len(node.ops) == 1 and _num(node.left) and _num(node.comparators[0]) and type(node.ops[0]) in self._CMP:
            return ast.Constant(value=self._CMP[type(node.ops[0])](node.left.value, node.comparators[0].value))
        return node


def _num(node):
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float))


def _copy(node):
    return clone(node)


def _same(a, b):
    """``ast.dump(a) == ast.dump(b)`` (the same tree), without writing out the common cases."""
    if type(a) is not type(b):
        return False
    if isinstance(a, ast.Name):
        return a.id == b.id and type(getattr(a, "ctx", None)) is type(getattr(b, "ctx", None))
    return ast.dump(a) == ast.dump(b)


def _pure_callee(node, ns):
    if isinstance(node, ast.Name):
        obj = ns.get(node.id, getattr(builtins, node.id, None) if node.id not in ns else None)
    elif isinstance(node, ast.Attribute):
        base = node
        chain = []
        while isinstance(base, ast.Attribute):
            chain.append(base.attr)
            base = base.value
        if not isinstance(base, ast.Name) or base.id not in ns:
            return False
        obj = ns[base.id]
        for attr in reversed(chain):
            obj = getattr(obj, attr, None)
    else:
        return False
    if obj is None or draws_random(obj):  # (a dead draw still moves the generator on: draws.py)
        return False
    if obj in _PURE_BUILTINS if _hashable(obj) else False:
        return True
    if isinstance(obj, np.ufunc):
        return True
    module = getattr(obj, "__module__", None) or ""
    if module.startswith(("numpy", "math", "srcgrad.rules", "srcgrad.compiler.runtime")):
        return True
    return False


def _hashable(obj):
    try:
        hash(obj)
        return True
    except TypeError:
        return False


def _pure(expr, ns):
    for sub in walk(expr):
        if isinstance(sub, ast.Call) and not _pure_callee(sub.func, ns):
            return False
        if isinstance(sub, (ast.Lambda, ast.Await, ast.Yield, ast.NamedExpr)):
            return False
    return True


def _load_counter(node):
    """``{name: reads}`` under ``node``: loads of the name, and augmented assignments to it."""
    return _reads_and_stores(node)[0]


def _push_children(n, stack):
    for field in n._fields:
        value = getattr(n, field, None)
        if isinstance(value, list):
            stack.extend(v for v in value if isinstance(v, ast.AST))
        elif isinstance(value, ast.AST):
            stack.append(value)


def _store_base(node):
    """The name whose value ``node`` (a subscript being stored into) changes in place, or ``None``."""
    base = node.value
    while isinstance(base, (ast.Subscript, ast.Attribute)):
        base = base.value
    return base.id if isinstance(base, ast.Name) else None


def _reads_and_stores(node):
    """``({name: reads}, names stored into)`` under ``node`` in one walk (reads count ``x op= ...`` too)."""
    loads, stores = {}, set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Name):
            if isinstance(n.ctx, ast.Load):
                loads[n.id] = loads.get(n.id, 0) + 1
            elif isinstance(n.ctx, ast.Store):
                stores.add(n.id)
            continue
        if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store):
            base = _store_base(n)
            if base is not None:
                stores.add(base)
        elif isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
            loads[n.target.id] = loads.get(n.target.id, 0) + 1
        _push_children(n, stack)
    return loads, stores


def _dse(body, ns):
    # Reads of each name, and (self_loads) those inside its own assignments (loss = loss + t), which do not keep
    # it alive; one walk.
    counts = {}
    self_loads = {}
    stack = list(body)
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
            own = _load_counter(n.value)
            for k, v in own.items():
                counts[k] = counts.get(k, 0) + v
            target = n.targets[0].id
            if own.get(target) and _droppable(n.value, target, ns):
                # (an update that must stay for its side effect, ``di = di + dstack.pop()``, reads ``di``)
                self_loads[target] = self_loads.get(target, 0) + own[target]
            stack.append(n.targets[0])
            continue
        if isinstance(n, ast.Name):
            if isinstance(n.ctx, ast.Load):
                counts[n.id] = counts.get(n.id, 0) + 1
            continue
        if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
            counts[n.target.id] = counts.get(n.target.id, 0) + 1
        _push_children(n, stack)
    changed = True
    while changed:
        changed = False

        def sweep(stmts):
            nonlocal changed
            out = []
            for s in stmts:
                if (
                    isinstance(s, ast.Assign)
                    and len(s.targets) == 1
                    and isinstance(s.targets[0], ast.Name)
                    and not (counts.get(s.targets[0].id, 0) - self_loads.get(s.targets[0].id, 0))
                    and _droppable(s.value, s.targets[0].id, ns)
                ):
                    effect = _effect(s.value, ns)
                    reads = _load_counter(s.value)
                    for k, v in _load_counter(effect).items() if effect is not None else ():
                        reads[k] -= v
                    for k, v in reads.items():
                        counts[k] -= v
                    target = s.targets[0].id
                    if target in self_loads:
                        self_loads[target] -= reads.get(target, 0)
                    changed = True
                    if effect is not None:  # the value is not needed, its side effect is (``dstack.pop()``)
                        out.append(ast.Expr(value=effect))
                    continue
                for field in ("body", "orelse"):
                    if isinstance(getattr(s, field, None), list):
                        setattr(s, field, sweep(getattr(s, field)))
                if isinstance(s, ast.If) and not _code(s.body) and not _code(s.orelse) and _pure(s.test, ns):
                    for k, v in _load_counter(s.test).items():
                        counts[k] -= v
                    changed = True
                    continue
                if isinstance(s, ast.If) and not _code(s.body) and _code(s.orelse):
                    s.test = ast.UnaryOp(op=ast.Not(), operand=s.test)
                    s.body, s.orelse = s.orelse, []
                if isinstance(s, (ast.For, ast.While, ast.If)) and not _code(s.body):
                    s.body = [x for x in s.body if not isinstance(x, ast.Pass)] + [ast.Pass()]
                out.append(s)
            return out

        body[:] = sweep(body)
    return body


def _effect(expr, ns):
    """The part of ``expr`` to run when its value is not needed: ``None`` when it is pure, the one impure
    operand of an arithmetic expression (``dstack.pop()`` of ``di + dstack.pop()``), else ``expr`` itself."""
    if _pure(expr, ns):
        return None
    if isinstance(expr, ast.BinOp):
        left, right = _effect(expr.left, ns), _effect(expr.right, ns)
        if left is None or right is None:
            return right if left is None else left
    elif isinstance(expr, ast.UnaryOp):
        return _effect(expr.operand, ns)
    return expr


def _droppable(value, target, ns):
    """True when an assignment of ``value`` to ``target``, whose result nothing reads, can go: its value is pure,
    or what must still run of it does not read ``target`` (which may then be unbound)."""
    effect = _effect(value, ns)
    return effect is None or not _load_counter(effect).get(target)


def _code(stmts):
    return any(not is_marker(s) and not isinstance(s, ast.Pass) for s in stmts)


def _stores(node):
    """Names a statement rebinds or changes in place (``y[i] = v`` changes ``y``)."""
    out = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Name):
            if isinstance(n.ctx, ast.Store):
                out.add(n.id)
            continue
        if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store):
            base = _store_base(n)
            if base is not None:
                out.add(base)
        _push_children(n, stack)
    return out


def _load_count(nodes, name):
    return sum(
        1
        for n in nodes
        for sub in walk(n)
        if isinstance(sub, ast.Name) and sub.id == name and isinstance(sub.ctx, ast.Load)
    )


def _rename_loads(node, old, new):
    """Put a new load of ``new`` in place of each load of the name ``old`` under ``node`` (not ``node`` itself)."""
    stack = [node]
    while stack:
        n = stack.pop()
        for field in n._fields:
            value = getattr(n, field, None)
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, ast.Name):
                        if item.id == old and isinstance(item.ctx, ast.Load):
                            value[i] = ast.Name(id=new, ctx=ast.Load())
                    elif isinstance(item, ast.AST):
                        stack.append(item)
            elif isinstance(value, ast.Name):
                if value.id == old and isinstance(value.ctx, ast.Load):
                    setattr(n, field, ast.Name(id=new, ctx=ast.Load()))
            elif isinstance(value, ast.AST):
                stack.append(value)


def _copy_propagate(fdef):
    """Forward ``a = b`` (both names, ``a`` assigned once) into the uses of ``a`` that follow in its block.

    The reads and stores of each statement are found once (a statement's entry is dropped when a copy is
    forwarded into it), and a copy's forward scan stops once it has met every read of ``a``: the function's
    reads of each name are counted up front and kept up to date.
    """
    assigned = {}
    loads = {}
    for sub in walk(fdef):
        if isinstance(sub, ast.Name):
            if isinstance(sub.ctx, ast.Store):
                assigned[sub.id] = assigned.get(sub.id, 0) + 1
            elif isinstance(sub.ctx, ast.Load):
                loads[sub.id] = loads.get(sub.id, 0) + 1
        elif isinstance(sub, ast.AugAssign) and isinstance(sub.target, ast.Name):
            assigned[sub.target.id] = assigned.get(sub.target.id, 0) + 1
    params = {a.arg for a in fdef.args.args + fdef.args.kwonlyargs}

    facts = {}  # statement -> (its reads, its stores); statements are keys by identity

    def block(stmts):
        k = 0
        while k < len(stmts):
            s = stmts[k]
            for field in ("body", "orelse"):
                if isinstance(getattr(s, field, None), list):
                    block(getattr(s, field))
            if (
                isinstance(s, ast.Assign)
                and len(s.targets) == 1
                and isinstance(s.targets[0], ast.Name)
                and isinstance(s.value, ast.Name)
                and assigned.get(s.targets[0].id) == 1
                and s.targets[0].id not in params
            ):
                a, b = s.targets[0].id, s.value.id
                total = loads.get(a, 0)
                seen = 0
                ok = True
                users = []
                for j in range(k + 1, len(stmts)):
                    if seen == total:
                        break  # no read of a is left, so nothing after can stop the forwarding
                    r = stmts[j]
                    info = facts.get(r)
                    if info is None:
                        info = facts[r] = _reads_and_stores(r)
                    uses = info[0].get(a, 0)
                    if uses:
                        users.append(j)
                    if b in info[1] or (isinstance(r, ast.AugAssign) and getattr(r.target, "id", None) == b):
                        # b changes here: a may only be read on this statement's right-hand side.
                        if uses and not (
                            isinstance(r, (ast.Assign, ast.AugAssign))
                            and _load_count([r.value], a) == uses
                            and not hasattr(r, "body")
                        ):
                            ok = False
                        seen += uses
                        break
                    seen += uses
                if ok and seen == total:
                    for j in users:
                        facts.pop(stmts[j], None)
                        _rename_loads(stmts[j], a, b)
                    del stmts[k]
                    loads[b] = loads.get(b, 0) + total - 1
                    loads[a] = 0
                    continue
            k += 1

    block(fdef.body)


def _arith_only(node):
    """Only names, constants and arithmetic: nothing a mutation could change behind a name's back."""
    return all(
        isinstance(n, (ast.BinOp, ast.UnaryOp, ast.Name, ast.Constant, ast.operator, ast.unaryop, ast.Load))
        for n in walk(node)
    )


def _arith_key(node):
    """For a tree ``_arith_only`` accepts, a key equal to another's exactly when their ``ast.dump`` is; else ``None``."""
    if isinstance(node, ast.BinOp):
        left = _arith_key(node.left)
        right = _arith_key(node.right) if left is not None else None
        if right is None or not isinstance(node.op, ast.operator):
            return None
        return type(node), type(node.op), left, right
    if isinstance(node, ast.UnaryOp):
        operand = _arith_key(node.operand)
        if operand is None or not isinstance(node.op, ast.unaryop):
            return None
        return type(node), type(node.op), operand
    if isinstance(node, ast.Name):
        ctx = getattr(node, "ctx", None)
        if ctx is not None and not isinstance(ctx, ast.Load):
            return None
        return type(node), node.id, type(ctx)
    if isinstance(node, ast.Constant):
        return type(node), repr(node.value), getattr(node, "kind", None)
    return None


class _Reuse(Transformer):
    """Replaces each outermost product or sum found in ``avail`` (``{_arith_key: (name, names read)}``) by its name."""

    def __init__(self, avail):
        self.avail = avail

    def visit_BinOp(self, node):
        hit = self.avail.get(_arith_key(node))
        if hit is not None:
            return ast.Name(id=hit[0], ctx=ast.Load())
        self.generic_visit(node)
        return node


def _cse_stored(s):
    """Names ``s`` may change: those it stores, those it changes in place, and every name a call in it sees."""
    stored = set()
    stack = [(s, False)]
    while stack:
        n, in_call = stack.pop()
        if isinstance(n, ast.Name):
            if in_call or isinstance(n.ctx, ast.Store):
                stored.add(n.id)
            continue
        if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store):
            base = _store_base(n)  # y[i] = v changes y in place
            if base is not None:
                stored.add(base)
        in_call = in_call or isinstance(n, ast.Call)  # a call may mutate
        for field in n._fields:
            value = getattr(n, field, None)
            if isinstance(value, list):
                stack.extend((v, in_call) for v in value if isinstance(v, ast.AST))
            elif isinstance(value, ast.AST):
                stack.append((value, in_call))
    return stored


def _cse(fdef, ns):
    """Reuse a product or sum already computed in the same block (``x * x * x`` -> ``t_3 * x``)."""

    def block(stmts):
        avail = {}  # _arith_key(expr) -> (name, names read)
        uses = {}  # name -> the keys of avail whose name or reads include it (to drop them when it changes)
        for s in stmts:
            for field in ("body", "orelse"):
                if isinstance(getattr(s, field, None), list):
                    block(getattr(s, field))
            if isinstance(s, (ast.If, ast.For, ast.While)):
                avail.clear()
                uses.clear()
                continue
            if isinstance(s, ast.Assign) and avail:
                s.value = _Reuse(avail).visit(s.value)
            for name in _cse_stored(s):
                for key in uses.pop(name, ()):
                    avail.pop(key, None)
            if (
                isinstance(s, ast.Assign)
                and len(s.targets) == 1
                and isinstance(s.targets[0], ast.Name)
                and isinstance(s.value, ast.BinOp)
            ):
                key = _arith_key(s.value)
                if key is not None:
                    reads = {n.id for n in walk(s.value) if isinstance(n, ast.Name)}
                    if s.targets[0].id not in reads:
                        avail[key] = (s.targets[0].id, reads)
                        for name in reads | {s.targets[0].id}:
                            uses.setdefault(name, []).append(key)

    block(fdef.body)


class _ScalarUnbroadcast(Transformer):
    def __init__(self, ns, np_name, unbroadcast):
        self.ns, self.np_name, self.unbroadcast = ns, np_name, unbroadcast

    def visit_Call(self, node):
        self.generic_visit(node)
        if (
            isinstance(node.func, ast.Name)
            and self.ns.get(node.func.id) is self.unbroadcast
            and len(node.args) == 2
            and isinstance(node.args[1], ast.Tuple)
            and not node.args[1].elts
        ):
            return ast.Call(
                func=ast.Attribute(value=ast.Name(id=self.np_name, ctx=ast.Load()), attr="sum", ctx=ast.Load()),
                args=[node.args[0]],
                keywords=[],
            )
        return node


def _sum_for_scalar_unbroadcast(fdef, ns):
    """``unbroadcast(g, ())`` is ``np.sum(g)``: say so, it reads like hand-written code."""
    from ..rules import unbroadcast

    np_name = next((k for k, v in ns.items() if v is np), None)
    if np_name is None or not any(v is unbroadcast for v in ns.values()):
        return
    _ScalarUnbroadcast(ns, np_name, unbroadcast).visit(fdef)


def _factors(node):
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        return _factors(node.left) + _factors(node.right)
    return [node]


class _Products(Transformer):
    """The rewrites of products of ``_fold_scalar_factors``, with the views live at one statement."""

    def __init__(self, views, ns, shapes):
        self.views = views  # {d: (g, static shape of the view)}
        self.ns, self.shapes = ns, shapes

    def scalar(self, node):
        return (
            _num(node)
            or isinstance(node, ast.UnaryOp)
            and _num(node.operand)
            or isinstance(node, ast.Name)
            and self.shapes.get(node.id) == ()
        )

    def visit_BinOp(self, node):
        if not isinstance(node.op, ast.Mult):
            self.generic_visit(node)
            return node
        views, shapes, scalar = self.views, self.shapes, self.scalar
        fs = [self.visit(f) for f in _factors(node)]
        for k, f in enumerate(fs):
            if isinstance(f, ast.Name) and f.id in views:
                g, shape = views[f.id]
                if any(isinstance(o, ast.Name) and o.id not in views and shapes.get(o.id) == shape for o in fs):
                    fs[k] = ast.Name(id=g, ctx=ast.Load())
        numbers = [f for f in fs if scalar(f)]
        if 2 <= len(numbers) < len(fs) and all(_pure(f, self.ns) for f in fs):
            fs = numbers + [f for f in fs if not scalar(f)]
        out = fs[0]
        for f in fs[1:]:
            out = ast.BinOp(left=out, op=ast.Mult(), right=f)
        return out


def _fold_scalar_factors(fdef, ns, shapes):
    """Multiply numbers together before they touch an array.

    Two rewrites of products ``f1 * f2 * ...`` (in the specialised code, where
    ``shapes`` gives the static shape of each name):

    * ``d = np.broadcast_to(unreduce(g, x, None), shape_of(x))`` (the adjoint of
      ``np.sum(x)``, ``g`` of shape ``()``) used as a factor next to a name of
      ``x``'s static shape: the product already has that shape, so ``d`` is
      replaced by ``g`` (no broadcast view, one array pass fewer);
    * when a product has two or more factors of shape ``()`` (numbers, constants),
      they go first, so they multiply as numbers: ``dt * 2 * r`` with ``dt`` a
      number is ``dt * 2 * r``, and ``r * a * b`` is ``a * b * r``.
    """
    from ..rules.helpers import shape_of, unreduce

    np_name = next((k for k, v in ns.items() if v is np), None)

    def is_fn(node, obj):
        return isinstance(node, ast.Name) and ns.get(node.id) is obj

    def sum_adjoint(value):
        """``(g, x)`` when ``value`` is ``np.broadcast_to(unreduce(g, x, None), shape_of(x))``."""
        if not (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr == "broadcast_to"
            and isinstance(value.func.value, ast.Name)
            and value.func.value.id == np_name
            and len(value.args) == 2
            and not value.keywords
        ):
            return None
        inner, shape = value.args
        if not (
            isinstance(inner, ast.Call)
            and is_fn(inner.func, unreduce)
            and len(inner.args) == 3
            and not inner.keywords
            and isinstance(shape, ast.Call)
            and is_fn(shape.func, shape_of)
            and len(shape.args) == 1
        ):
            return None
        g, x, axis = inner.args
        if not (
            isinstance(g, ast.Name)
            and isinstance(x, ast.Name)
            and isinstance(axis, ast.Constant)
            and axis.value is None
            and isinstance(shape.args[0], ast.Name)
            and shape.args[0].id == x.id
        ):
            return None
        if shapes.get(g.id) != () or not shapes.get(x.id):
            return None
        return g.id, shapes[x.id]

    def block(stmts):
        views = {}
        for st in stmts:
            if isinstance(st, (ast.If, ast.For, ast.While)):
                views = {}
                for field in ("body", "orelse"):
                    block(getattr(st, field))
                continue
            if isinstance(st, (ast.Assign, ast.AugAssign, ast.Expr, ast.Return)) and st.value is not None:
                st.value = _Products(views, ns, shapes).visit(st.value)
            stored = _stores(st)
            views = {d: gv for d, gv in views.items() if d not in stored and gv[0] not in stored}
            if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
                got = sum_adjoint(st.value)
                if got is not None and got[0] != st.targets[0].id:
                    views[st.targets[0].id] = got

    if np_name is not None and shapes:
        block(fdef.body)


class _Transpose(Transformer):
    def __init__(self, ns, shapes, mT):
        self.ns, self.shapes, self.mT = ns, shapes, mT

    def visit_Call(self, node):
        self.generic_visit(node)
        if (
            isinstance(node.func, ast.Name)
            and self.ns.get(node.func.id) is self.mT
            and len(node.args) == 1
            and not node.keywords
            and isinstance(node.args[0], ast.Name)
            and len(self.shapes.get(node.args[0].id) or ()) == 2
        ):
            return ast.Attribute(value=node.args[0], attr="T", ctx=ast.Load())
        return node


class _Size(Transformer):
    def __init__(self, ns, shapes, count):
        self.ns, self.shapes, self.count = ns, shapes, count

    def visit_Call(self, node):
        self.generic_visit(node)
        if (
            isinstance(node.func, ast.Name)
            and self.ns.get(node.func.id) is self.count
            and len(node.args) == 2
            and not node.keywords
            and isinstance(node.args[0], ast.Name)
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value is None
            and len(self.shapes.get(node.args[0].id) or ()) >= 1
        ):
            return ast.Attribute(value=node.args[0], attr="size", ctx=ast.Load())
        return node


class _MatVec(Transformer):
    """``np.squeeze(A @ np.expand_dims(v, -1), -1)`` -> ``A @ v`` and ``np.squeeze(np.expand_dims(v, -2) @ A, -2)``
    -> ``v @ A`` (see ``_matrix_vector``)."""

    def __init__(self, np_name, shapes):
        self.np_name, self.shapes = np_name, shapes

    def ndim(self, node):
        if isinstance(node, ast.Name):
            shape = self.shapes.get(node.id)
            return None if shape is None else len(shape)
        if isinstance(node, ast.Attribute) and node.attr == "T" and isinstance(node.value, ast.Name):
            return 2 if self.ndim(node.value) == 2 else None
        return None

    def np_call(self, node, name, nargs):
        return (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == name
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == self.np_name
            and len(node.args) == nargs
            and not node.keywords
        )

    def visit_Call(self, node):
        self.generic_visit(node)
        if not (
            self.np_call(node, "squeeze", 2)
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in (-1, -2)
            and isinstance(node.args[0], ast.BinOp)
            and isinstance(node.args[0].op, ast.MatMult)
        ):
            return node
        axis, product = node.args[1].value, node.args[0]
        matrix, wrapped = (product.left, product.right) if axis == -1 else (product.right, product.left)
        if not (
            self.np_call(wrapped, "expand_dims", 2)
            and isinstance(wrapped.args[1], ast.Constant)
            and wrapped.args[1].value == axis
            and self.ndim(wrapped.args[0]) == 1
            and self.ndim(matrix) == 2
        ):
            return node
        vector = wrapped.args[0]
        return (
            ast.BinOp(left=matrix, op=ast.MatMult(), right=vector)
            if axis == -1
            else ast.BinOp(left=vector, op=ast.MatMult(), right=matrix)
        )


def _matrix_vector(fdef, ns, shapes):
    """The matrix product's VJPs for a vector operand, ``np.squeeze(A @ np.expand_dims(v, -1), -1)``, are
    ``A @ v`` where ``A`` has two axes and ``v`` one (statically): numpy's own product of a matrix and a
    vector, without the reshapes."""
    np_name = next((k for k, v in ns.items() if v is np), None)
    if np_name is not None and shapes:
        _MatVec(np_name, shapes).visit(fdef)


def _sizes(fdef, ns, shapes):
    """``count(a, None)`` -> ``a.size`` where ``a`` is a name of static shape with axes (an array)."""
    from ..rules.helpers import count

    if shapes and any(v is count for v in ns.values()):
        _Size(ns, shapes, count).visit(fdef)


def _transpose_matrices(fdef, ns, shapes):
    """``mT(a)`` -> ``a.T`` where ``a`` is a name of static shape with two axes: the same view."""
    from ..rules.linalg import mT

    if shapes and any(v is mT for v in ns.values()):
        _Transpose(ns, shapes, mT).visit(fdef)


class _Dots(Transformer):
    """``np.sum(a * b)`` -> ``a @ b`` (see ``_dots``)."""

    def __init__(self, np_name, shapes, floats):
        self.np_name, self.shapes, self.floats = np_name, shapes, floats

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if not (
            isinstance(func, ast.Attribute)
            and func.attr == "sum"
            and isinstance(func.value, ast.Name)
            and func.value.id == self.np_name
            and len(node.args) == 1
            and not node.keywords
            and isinstance(node.args[0], ast.BinOp)
            and isinstance(node.args[0].op, ast.Mult)
        ):
            return node
        fs = _factors(node.args[0])
        vectors = [f for f in fs if isinstance(f, ast.Name) and len(self.shapes.get(f.id) or ()) == 1]
        numbers = [f for f in fs if _num(f) or isinstance(f, ast.Name) and self.shapes.get(f.id) == ()]
        if (
            len(vectors) != 2
            or len(numbers) + 2 != len(fs)
            or self.shapes[vectors[0].id] != self.shapes[vectors[1].id]
            or not any(v.id in self.floats for v in vectors)
        ):
            return node
        out = ast.BinOp(left=vectors[0], op=ast.MatMult(), right=vectors[1])
        for f in reversed(numbers):
            out = ast.BinOp(left=f, op=ast.Mult(), right=out)
        return out


def _dots(fdef, ns, shapes, floats):
    """``np.sum(a * b)`` of two vectors ``a``, ``b`` of one static shape is the dot product ``a @ b`` (one pass
    in BLAS, no product array); numbers among the factors multiply the dot (``np.sum(2 * a * b)`` ->
    ``2 * (a @ b)``). Only where one of the two is known to hold floats (an adjoint): ``@`` of two boolean
    arrays is a boolean, not the count ``np.sum`` gives."""
    np_name = next((k for k, v in ns.items() if v is np), None)
    if np_name is not None and shapes and floats:
        _Dots(np_name, shapes, floats).visit(fdef)


def optimize(fdef, ns, shapes=None, floats=()):
    """Optimize the generated ``FunctionDef`` in place (see the module docstring).

    Args:
        fdef: the ``ast.FunctionDef`` from the reverse or forward pass.
        ns: the generated module's namespace values (``{name: object}``).
        shapes: ``{name: static shape}`` of the generated code's variables,
            where known (the specialisation's; ``dout`` is ``()`` for a scalar output).
        floats: names known to hold floating-point (or complex) values: the adjoints.

    Returns:
        ``fdef``.
    """
    _Fold(ns).visit(fdef)
    _copy_propagate(fdef)
    _cse(fdef, ns)
    _sum_for_scalar_unbroadcast(fdef, ns)
    _fold_scalar_factors(fdef, ns, shapes or {})
    _transpose_matrices(fdef, ns, shapes or {})
    _sizes(fdef, ns, shapes or {})
    _matrix_vector(fdef, ns, shapes or {})
    _dots(fdef, ns, shapes or {}, set(floats))
    _dse(fdef.body, ns)
    return fdef
