"""Shape arithmetic the rules share: plain Python on shapes, plus ``unreduce``.

Nothing here computes on array values except ``unreduce`` (one ``np.reshape``),
so rule bodies that call these helpers stay numpy code over primitives with
rules, and read the same in the compiler's output.
"""

import ast
import functools
import inspect
import math

import numpy as np

from .broadcast import shape_of

__all__ = [
    "ndim_of",
    "dtype_of",
    "reduced_axes",
    "kept_shape",
    "count",
    "unreduce",
    "inverse_permutation",
    "broadcast_like",
    "conj",
    "is_complex",
    "SHAPE_ARGS",
    "reads_shape_of",
    "shape_only_params",
]


def ndim_of(x):
    """The number of dimensions of an array, a Tensor or a Python scalar."""
    return len(shape_of(x))


def dtype_of(x):
    """The numpy dtype of an array or Tensor (``x.dtype``), or of a Python scalar."""
    dtype = getattr(x, "dtype", None)
    if dtype is not None:
        return dtype
    return np.asarray(x).dtype if isinstance(x, (list, tuple)) else np.result_type(x)


def is_complex(x):
    """True when ``x`` (an array, a Tensor, a number or a list of them) holds complex values."""
    dtype = getattr(x, "dtype", None)
    return np.iscomplexobj(x) if dtype is None else dtype.kind == "c"


_REAL_SCALARS = frozenset({float, int, bool, np.float64, np.float32, np.float16, np.int64, np.int32, np.bool_})


def conj(x):
    """The complex conjugate of ``x``: ``x`` itself, with no copy, when it is real.

    The VJP of a holomorphic function multiplies ``g`` by the conjugate of its
    derivative (PyTorch's convention: ``vjp(g) = g * conj(f'(z))``); written
    with this helper, the rule costs nothing more on real values (numpy's
    ``np.conj`` copies a real array; ``ndarray.conjugate()`` returns it).
    """
    if type(x) in _REAL_SCALARS:
        return x
    conjugate = getattr(x, "conjugate", None)
    return np.conjugate(x) if conjugate is None else conjugate()


def inverse_permutation(perm):
    """The axes permutation that undoes ``np.transpose(_, perm)`` (negative axes allowed)."""
    inverse = [0] * len(perm)
    for i, p in enumerate(perm):
        inverse[p % len(perm)] = i
    return tuple(inverse)


def reduced_axes(ndim, axis):
    """The non-negative axes a reduction over ``axis`` removes, as a sorted tuple."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(sorted(a % ndim for a in axis)) if ndim else ()
    return (axis % ndim,) if ndim else ()


def kept_shape(shape, axis):
    """``shape`` with the axes reduced over ``axis`` set to 1 (``keepdims=True``'s shape)."""
    axes = reduced_axes(len(shape), axis)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def count(x, axis=None):
    """How many elements of ``x`` a reduction over ``axis`` combines into one (a Python int)."""
    shape = shape_of(x)
    return math.prod(shape[i] for i in reduced_axes(len(shape), axis))


def unreduce(g, x, axis=None):
    """Reshape a reduction's ``g`` so it broadcasts against ``x`` (reduced axes of length 1)."""
    return np.reshape(g, kept_shape(shape_of(x), axis))




def broadcast_like(t, ans):
    """A JVP's tangent ``t`` spread to ``ans``'s shape (``t`` itself when it has it).

    JVPs return tangents of ``ans``'s full shape; this is for the few whose formula
    does not involve a full-shaped operand (``np.add``: the tangent is ``t``).
    """
    return t if shape_of(t) == shape_of(ans) else np.broadcast_to(t, shape_of(ans))


# ------------------------------------------------ parameters read only for their shape
SHAPE_ARGS = {}
"""callable -> the positions of the arguments it inspects only for shape/dtype."""


def reads_shape_of(*positions):
    """Declare that a helper looks only at the shape/dtype of its arguments at ``positions``."""

    def mark(fn):
        SHAPE_ARGS[fn] = frozenset(positions)
        return fn

    return mark


for _fn in (shape_of, ndim_of, dtype_of, is_complex, np.zeros_like, np.ones_like, np.empty_like, np.full_like,
            np.shape, np.ndim, np.size):
    SHAPE_ARGS[_fn] = frozenset({0})
SHAPE_ARGS[count] = frozenset({0})
SHAPE_ARGS[unreduce] = frozenset({1})
SHAPE_ARGS[broadcast_like] = frozenset({1})


def callee(node, namespace):
    """The object a call's function expression names (``np.zeros_like``, ``shape_of``), or None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in namespace:
        return None
    obj = namespace[node.id]
    for attr in reversed(parts):
        obj = getattr(obj, attr, None)
    return obj


def _rule_node(func):
    """The ``ast.Lambda`` or ``ast.FunctionDef`` of a rule function, or None."""
    try:
        lines, start = inspect.findsource(func)
    except (OSError, TypeError):
        return None
    kind = ast.Lambda if func.__name__ == "<lambda>" else ast.FunctionDef
    found = _definitions_by_line("".join(lines)).get((kind, func.__code__.co_firstlineno), ())
    return found[0] if len(found) == 1 else None


@functools.lru_cache(maxsize=16)
def _definitions_by_line(text):
    """``{(ast.Lambda or ast.FunctionDef, line): nodes}`` of a module's text, parsed once per module (not once
    per rule function in it)."""
    out = {}
    for n in ast.walk(ast.parse(text)):
        if isinstance(n, (ast.Lambda, ast.FunctionDef)):
            out.setdefault((type(n), n.lineno), []).append(n)
    return out


@functools.lru_cache(maxsize=None)
def shape_only_params(func):
    """The parameters of a rule function that its body reads only for their shape/dtype.

    Conservative: a parameter counts only if every read of it is an argument that a
    function in ``SHAPE_ARGS`` inspects for shape alone. The tape may replace such
    an argument by a stand-in of the same shape and dtype that holds no data
    (``np.broadcast_to(np.zeros((), dtype), shape)``), so it need not keep the
    array alive nor version-check it (PyTorch's ``SumBackward0`` saves only sizes).

    Returns:
        A frozenset of parameter names (``"x"``, ``"ans"``, ``"xs"`` for ``*xs``).
    """
    node = _rule_node(func)
    if node is None:
        return frozenset()
    params = {a.arg for a in node.args.args + node.args.kwonlyargs}
    if node.args.vararg is not None:
        params.add(node.args.vararg.arg)
    params -= {"g", "t"}
    shape_uses = set()
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            positions = SHAPE_ARGS.get(callee(call.func, func.__globals__), ())
            for pos in positions:
                if pos < len(call.args) and isinstance(call.args[pos], ast.Name):
                    shape_uses.add(id(call.args[pos]))
    only = set()
    for name in params:
        reads = [n for n in ast.walk(node) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)]
        stores = [n for n in ast.walk(node) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)]
        if reads and not stores and all(id(n) in shape_uses for n in reads):
            only.add(name)
    return frozenset(only)
