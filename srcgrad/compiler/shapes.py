"""Static shapes: the algebra the activity pass uses to follow array shapes through a function.

A shape is a tuple of axis lengths, each one of:

* ``1``, a length-one axis (it broadcasts);
* an ``int`` >= 2, a *symbol* of the specialisation key: the length of some
  argument axis, whatever it is (equal lengths share a symbol, so one
  transformation serves every batch size);
* ``Length(n)``, a length the code spells out (``x.reshape(3, 4)``);
* ``Product(symbols, literal)``, the product of several symbols and a literal
  factor (``x.ravel()`` of a ``(2, 3)``-symbol array).

Every length other than ``1`` is known not to be one (symbols stand for lengths
other than one, and a product of such lengths is not one either), which is
all the broadcasting rules need: numpy stretches only length-one axes, so an
axis whose length is not one is never stretched, and two such lengths on one
axis of a broadcasting operation are equal whenever the operation runs.
Two shapes that compare equal have equal lengths; unequal ones may or may not.
"""

import ast
from collections import Counter
from dataclasses import dataclass

import numpy as np

__all__ = ["Length", "Product", "broadcast", "unstretched", "prim_shape", "index_shape", "dims_resolver"]


@dataclass(frozen=True)
class Length:
    """An axis length written in the code (never 1: that is plain ``1``)."""

    n: int

    def __repr__(self):
        return f"={self.n}"


@dataclass(frozen=True)
class Product:
    """The product of ``symbols`` (sorted, with repeats) and the literal factor ``literal``."""

    symbols: tuple
    literal: int = 1

    def __repr__(self):
        return "*".join([str(s) for s in self.symbols] + ([str(self.literal)] if self.literal != 1 else []))


def _factors(dim):
    """``(Counter of symbols, literal factor)`` of one axis length."""
    if isinstance(dim, Length):
        return Counter(), dim.n
    if isinstance(dim, Product):
        return Counter(dim.symbols), dim.literal
    if dim == 1:
        return Counter(), 1
    return Counter([dim]), 1


def _dim(symbols, literal):
    """The canonical axis length with these factors."""
    if literal == 0:
        return Length(0)
    n = sum(symbols.values())
    if n == 0:
        return 1 if literal == 1 else Length(literal)
    if n == 1 and literal == 1:
        return next(iter(symbols))
    return Product(tuple(sorted(symbols.elements())), literal)


def _size(shape):
    symbols, literal = Counter(), 1
    for d in shape:
        s, lit = _factors(d)
        symbols += s
        literal *= lit
    return symbols, literal


def _rank(dim):
    """Which of several equal lengths names an axis: a key symbol first (arguments have those)."""
    return (0, dim) if isinstance(dim, int) else (1, repr(dim))


def broadcast(shapes):
    """The shape numpy broadcasting gives ``shapes`` (assuming the operation runs), or ``None``."""
    ndim = max(len(s) for s in shapes)
    out = []
    for k in range(ndim):
        dims = {s[len(s) - ndim + k] for s in shapes if len(s) - ndim + k >= 0}
        dims.discard(1)
        # several lengths other than one: numpy raises unless they are equal, so any of them names the axis
        out.append(min(dims, key=_rank) if dims else 1)
    return tuple(out)


def unstretched(operand, result):
    """Whether broadcasting ``operand`` to ``result`` provably leaves it as it is (no axis added or stretched)."""
    if operand is None or result is None or len(operand) != len(result):
        return False
    return all(d != 1 or r == 1 for d, r in zip(operand, result))


# ------------------------------------------------------------------ shapes of shape functions

_REDUCTIONS = {
    np.sum,
    np.mean,
    np.prod,
    np.max,
    np.min,
    np.std,
    np.var,
    np.amax,
    np.amin,
    np.nansum,
    np.nanmean,
    np.any,
    np.all,
}


def _int(node):
    """The int a literal node spells (``3``, ``-1``), or ``None``."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) is int
    ):
        return -node.operand.value
    return None


def _ints(node):
    """A literal int or tuple of ints as a tuple, or ``None``."""
    one = _int(node)
    if one is not None:
        return (one,)
    if isinstance(node, ast.Tuple):
        got = [_int(e) for e in node.elts]
        return None if None in got else tuple(got)
    return None


def _axes(node, ndim):
    """The axes a literal ``axis=`` names, normalised and distinct; ``None`` when not static."""
    if isinstance(node, ast.Constant) and node.value is None:
        return tuple(range(ndim))
    got = _ints(node)
    if got is None or not all(-ndim <= a < ndim for a in got):
        return None
    axes = tuple(a % ndim for a in got)
    return axes if len(set(axes)) == len(axes) else None


def _node(a):
    """The syntax of a ``Const`` atom, a tuple of atoms as a tuple node, ``None`` for anything else."""
    from .ir import Const, Var

    if isinstance(a, Const):
        return a.node
    if isinstance(a, Var):
        return ast.Name(id=a.name, ctx=ast.Load())
    if isinstance(a, tuple) and all(isinstance(x, (Const, Var)) for x in a):
        return ast.Tuple(elts=[_node(x) for x in a], ctx=ast.Load())
    return None


def _new_shape(node, old, dims):
    """The shape ``reshape(x, node)`` gives an ``x`` of shape ``old``, or ``None``."""
    if dims is None:
        dims = _no_dims
    if isinstance(node, ast.Name):
        whole = dims(node, whole=True)
        if whole is not None:
            return whole
    elts = node.elts if isinstance(node, ast.Tuple) else [node]
    out, free = [], None
    for k, e in enumerate(elts):
        n = _int(e)
        if n == -1 and free is None:
            free = k
            out.append(None)
        elif n is not None and n >= 0:
            out.append(1 if n == 1 else Length(n))
        elif n is None:
            d = dims(e)
            if d is None:
                return None
            out.append(d)
        else:
            return None
    if free is None:
        return tuple(out)
    # the -1 axis takes what is left of the size: cancel the other axes' factors out of it
    total, total_lit = _size(old)
    known, known_lit = _size([d for d in out if d is not None])
    if known - total or known_lit == 0 or total_lit % known_lit:
        return None
    out[free] = _dim(total - known, total_lit // known_lit)
    return tuple(out)


def prim_shape(value, shape_of_atom, dims=None):
    """The shape of a call of a shape function or reduction, ``NotImplemented`` for other primitives.

    Args:
        value: a ``Prim``.
        shape_of_atom: ``atom -> shape or None``.
        dims: ``(node, whole=False) -> axis length or None`` for a name in a
            shape argument (``n`` in ``x.reshape(n, -1)``; with ``whole``, a
            name holding a whole shape); ``None`` when not known.

    Returns:
        A shape, ``None`` (not known) or ``NotImplemented``.
    """
    fn = value.fn
    if fn not in _SHAPE_FNS:
        return NotImplemented
    x = shape_of_atom(value.args[0]) if value.args else None
    if x is None or not isinstance(x, tuple):
        return None if x is None else x  # unknown, or still being computed (the fixpoint's top)
    rest = [_node(a) for a in value.args[1:]]
    kwargs = {k: _node(a) for k, a in value.kwargs.items()}
    if None in rest or None in kwargs.values():
        return None
    return _SHAPE_FNS[fn](x, rest, kwargs, dims)


def _no_dims(node, whole=False):
    return None


def _reshape(x, rest, kwargs, dims):
    shape = rest[0] if rest else kwargs.get("shape", kwargs.get("newshape"))
    order = kwargs.get("order")
    if (
        shape is None
        or len(rest) > 1
        or (order is not None and not (isinstance(order, ast.Constant) and order.value in ("C", "F", "A")))
    ):
        return None
    return _new_shape(shape, x, dims)


def _ravel(x, rest, kwargs, dims):
    return (_dim(*_size(x)),)


def _transpose(x, rest, kwargs, dims):
    axes = rest[0] if rest else kwargs.get("axes")
    if axes is None or isinstance(axes, ast.Constant) and axes.value is None:
        return tuple(reversed(x))
    perm = _axes(axes, len(x))
    if perm is None or len(perm) != len(x):
        return None
    return tuple(x[a] for a in perm)


def _swapaxes(x, rest, kwargs, dims):
    if len(rest) != 2 or kwargs:
        return None
    pair = [_axes(a, len(x)) for a in rest]
    if None in pair or len(x) == 0:
        return None
    (a,), (b,) = pair
    out = list(x)
    out[a], out[b] = out[b], out[a]
    return tuple(out)


def _reduction(x, rest, kwargs, dims):
    axis = rest[0] if rest else kwargs.get("axis")
    keepdims = kwargs.get("keepdims")
    if len(rest) > 1 or set(kwargs) - {"axis", "keepdims", "ddof"}:
        return None
    keep = False
    if keepdims is not None:
        if not (isinstance(keepdims, ast.Constant) and isinstance(keepdims.value, bool)):
            return None
        keep = keepdims.value
    axes = tuple(range(len(x))) if axis is None else _axes(axis, len(x))
    if axes is None:
        return None
    return tuple((1 if keep else None) if k in axes else d for k, d in enumerate(x) if keep or k not in axes)


_SHAPE_FNS = {np.reshape: _reshape, np.ravel: _ravel, np.transpose: _transpose, np.swapaxes: _swapaxes}
_SHAPE_FNS.update({fn: _reduction for fn in _REDUCTIONS})


# ------------------------------------------------------------------ basic indexing

_INT_OPS = (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod)


def _int_expr(node, ints):
    """Whether ``node`` is certainly a Python int: an int literal, a name in ``ints``, or ``+ - * // %`` of them."""
    if isinstance(node, ast.Constant):
        return type(node.value) is int
    if isinstance(node, ast.Name):
        return node.id in ints
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _int_expr(node.operand, ints)
    if isinstance(node, ast.BinOp) and isinstance(node.op, _INT_OPS):
        return _int_expr(node.left, ints) and _int_expr(node.right, ints)
    return False


def index_shape(x, index, ints):
    """The shape ``x[index]`` has for an ``x`` of shape ``x``, or ``None``.

    Only integers (each takes an axis away) and whole slices ``:`` (each keeps
    one) are followed: any other slice changes a length the shape algebra
    cannot name, and a bool, an array or ``None`` adds or reshapes axes.

    Args:
        x: the shape of the indexed array.
        index: the index's syntax.
        ints: names certainly holding Python ints (``range`` loop variables).
    """
    if not isinstance(x, tuple):
        return None
    elts = index.elts if isinstance(index, ast.Tuple) else [index]
    if len(elts) > len(x):
        return None
    out = []
    for d, e in zip(x, elts):
        if isinstance(e, ast.Slice):
            if e.lower is not None or e.upper is not None or e.step is not None:
                return None
            out.append(d)
        elif not _int_expr(e, ints):
            return None
    return tuple(out) + x[len(elts) :]


# ------------------------------------------------------------------ lengths held in variables


def dims_resolver(values_of, shape_of_var):
    """A ``dims`` function for ``prim_shape``: the axis length a name in a shape argument holds.

    Args:
        values_of: ``name -> list of the right-hand sides assigned to it``.
        shape_of_var: ``name -> shape or None`` (the current estimate).

    Only a variable assigned once counts, from ``x.shape[k]``, ``len(x)``,
    ``x.size``, ``x.shape`` (a whole shape), an int literal, or a copy of one.
    """
    from .ir import Const, Copy, NonDiff, Prim, Var
    import operator

    def shape_read(node):
        """The shape ``x.shape`` / ``np.shape(x)`` reads, or ``None``."""
        if isinstance(node, ast.Attribute) and node.attr == "shape" and isinstance(node.value, ast.Name):
            return _known(shape_of_var(node.value.id))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "shape"
            and len(node.args) == 1
            and isinstance(node.args[0], ast.Name)
            and not node.keywords
        ):
            return _known(shape_of_var(node.args[0].id))
        if isinstance(node, ast.Name):
            return resolve(node.id, whole=True)
        return None

    def of_node(node, whole):
        if whole:
            return shape_read(node)
        n = _int(node)
        if n is not None:
            return None if n < 0 else (1 if n == 1 else Length(n))
        if isinstance(node, ast.Name):
            return resolve(node.id, whole=False)
        if isinstance(node, ast.Subscript):
            shape, k = shape_read(node.value), _int(node.slice)
            if shape is not None and k is not None and -len(shape) <= k < len(shape):
                return shape[k]
            return None
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "len"
            and len(node.args) == 1
            and isinstance(node.args[0], ast.Name)
            and not node.keywords
        ):
            shape = _known(shape_of_var(node.args[0].id))
            return shape[0] if shape else None
        if isinstance(node, ast.Attribute) and node.attr == "size" and isinstance(node.value, ast.Name):
            shape = _known(shape_of_var(node.value.id))
            return None if shape is None else _dim(*_size(shape))
        return None

    def resolve(name, whole):
        values = values_of(name)
        if len(values) != 1:
            return None
        value = values[0]
        if isinstance(value, NonDiff):
            return of_node(value.node, whole)
        if isinstance(value, Copy):
            src = value.src
            return resolve(src.name, whole) if isinstance(src, Var) else of_node(src.node, whole)
        if isinstance(value, Prim) and value.fn is operator.getitem and not whole:
            base, idx = value.args
            k = _int(idx.node) if isinstance(idx, Const) else None
            shape = resolve(base.name, whole=True) if isinstance(base, Var) else None
            if shape is not None and k is not None and -len(shape) <= k < len(shape):
                return shape[k]
        return None

    def dims(node, whole=False):
        return of_node(node, whole)

    return dims


def _known(shape):
    return shape if isinstance(shape, tuple) else None
