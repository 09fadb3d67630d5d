"""The specialisation key: what a transformation assumes of the arguments, and what it tells the passes.

``key(args)`` gives per argument its kind (a Python number, a list of them, a
dict, ...) or the symbolic shape of an array, plus which arrays share memory
and which hold complex values; the other functions read those facts back out
for the pipeline.
"""

import types

import numpy as np

from . import complexity

__all__ = [
    "key",
    "kind",
    "known_kinds",
    "tree_dicts",
    "extra_kind",
    "specialised",
    "nested",
    "NUMBER_TYPES",
    "FUNCTION_TYPES",
    "Shared",
    "DictKey",
    "ListShape",
    "Static",
    "Text",
    "Ragged",
    "ragged_params",
    "part_of",
    "shared_args",
    "shared_params",
    "complex_params",
    "list_params",
    "static_args",
    "text_params",
    "as_arrays",
    "split_key",
]


FUNCTION_TYPES = (types.FunctionType, types.BuiltinFunctionType, np.ufunc, type(np.sum))
"""What an argument that is a function may be: numpy's functions other than ufuncs (``np.sum``, ``np.prod``) are
``numpy._ArrayFunctionDispatcher`` objects."""


def kind(a):
    """The specialisation key of one argument: 1 a Python number, 2 a list/tuple of them, 3 a dict, 4 a list/tuple
    of items of several shapes (arrays, or nested lists), 5 a nested list/tuple of numbers with a shape (passed
    to the generated code as an array, see ``nested``), a ``Text`` for a string (its value), 0 anything else."""
    t = type(a)
    if t in NUMBER_TYPES:
        return 1
    if t is str:
        return Text(a)
    if (t is list or t is tuple) and a and type(a[0]) in NUMBER_TYPES and type(a[-1]) in NUMBER_TYPES:
        # The generated code treats the elements as numbers; an element that is not one gives a gradient of
        # the wrong shape, which GradFunction.__call__ refuses to return.
        return 2
    if t is dict:
        return 3
    if (t is list or t is tuple) and a and (type(a[0]) is list or type(a[0]) is tuple):
        return 5 if not _holds_arrays(a) and nested(a) is not None else 4
    if (t is list or t is tuple) and a and any(type(e) is np.ndarray for e in a):
        first = np.shape(a[0])
        if any(np.shape(e) != first for e in a):
            return 4  # arrays of several shapes: grad refuses them as a wrt argument (see refusals.refuse_ragged)
    if isinstance(a, FUNCTION_TYPES) or hasattr(type(a), "inline_target"):
        return Static((a,))  # a function (or a compiled gradient) passed in: the code calls that very one
    if isinstance(a, np.matrix):
        raise TypeError(
            "srcgrad does not take np.matrix arguments (its * is a matrix product, so the gradient "
            "would follow neither meaning): pass np.asarray(m) and write @ for matrix products"
        )
    return 0


def _holds_arrays(a):
    """True when a nested list or tuple has an array among its items, at any depth (``[(W, b), (V, c)]``): its
    items are kept apart (``Ragged``), never joined into one array, so its gradient has its layout."""
    return any(type(e) is np.ndarray or ((type(e) is list or type(e) is tuple) and _holds_arrays(e)) for e in a)


def _ragged_tree(a, dims):
    """The ``Ragged`` key of a list or tuple whose items are arrays, numbers or such lists and tuples (nested at
    any depth), or ``None`` when an item is anything else (a dict, a string, an empty list)."""
    if not a:
        return None
    shapes = []
    for e in a:
        if type(e) is np.ndarray or type(e) in NUMBER_TYPES:
            shapes.append(tuple(1 if d == 1 else dims.setdefault(d, len(dims) + 2) for d in np.shape(e)))
        elif type(e) is list or type(e) is tuple:
            inner = _ragged_tree(e, dims)
            if inner is None:
                return None
            shapes.append(inner)
        else:
            return None
    return Ragged("list" if type(a) is list else "tuple", len(a), tuple(shapes))


def extra_kind(a):
    """The key of a value read from a global or closure cell that is not an array: 2 for a list of Python
    numbers (its first and last items; ``complex_mask`` looks at all), else 0 (not specialised on)."""
    if type(a) is list and a and type(a[0]) in NUMBER_TYPES and type(a[-1]) in NUMBER_TYPES:
        return 2
    return 0


def nested(a):
    """A nested list or tuple of numbers (``[[1.0, 2.0], [3.0, 4.0]]``) as an array, or ``None`` when it has no
    shape (ragged) or holds anything else."""
    try:
        arr = np.array(a)
    except (ValueError, TypeError):
        return None
    return arr if arr.dtype.kind in "biuf" and arr.ndim >= 2 else None


NUMBER_TYPES = frozenset({float, int, np.float64, np.float32, np.int64, np.int32})


def key(args, shared=True, extra=()):
    """The specialisation key: per argument ``kind``, or a symbolic shape for an ndarray.

    Axes of length one stay 1 (they broadcast); other lengths become symbols
    2, 3, ... in order of appearance, equal lengths sharing a symbol, so one
    transformation serves every batch size. ``extra`` are the values the
    function reads from globals and closures (``globalspec``): their entries
    follow the arguments', with the same symbols, and count for complex values
    but not for memory shared between arguments.
    """
    out = []
    dims = {}
    for position, a in enumerate(tuple(args) + tuple(extra)):  # (the last entry: which hold complex values)
        if position >= len(args) and type(a) is not np.ndarray:
            out.append(extra_kind(a))
        elif type(a) is np.ndarray:
            out.append(tuple(1 if d == 1 else dims.setdefault(d, len(dims) + 2) for d in a.shape))
        elif kind(a) == 5:  # a nested list of numbers: an array of its shape that is a list in the user's code
            out.append(ListShape(1 if d == 1 else dims.setdefault(d, len(dims) + 2) for d in np.shape(a)))
        elif kind(a) == 4:  # arrays of several shapes (or lists and tuples of them: [(W, b), (V, c)])
            tree = _ragged_tree(a, dims)
            out.append(4 if tree is None else tree)
        elif type(a) is dict:
            # a dict of arrays: the symbolic shape of each entry (same symbols as the other arguments)
            out.append(
                DictKey(
                    (k, tuple(1 if d == 1 else dims.setdefault(d, len(dims) + 2) for d in v.shape))
                    if type(v) is np.ndarray
                    else (k, "dict" if type(v) is dict else None)
                    for k, v in a.items()
                )
            )
        else:
            out.append(kind(a))
    shared = shared_args(args) if shared else None  # (only a function that writes in place needs to know)
    if shared is not None:
        out.append(shared)
    out.append(complexity.complex_mask(tuple(args) + specialised(extra)))
    return tuple(out)


def specialised(extra):
    """``extra`` with the values the key does not specialise on (``extra_kind`` 0) left out (``None``): only
    arrays and lists of numbers are looked at for complex values on every call."""
    return tuple(a if type(a) is np.ndarray or extra_kind(a) else None for a in extra)


class Shared(tuple):
    """The specialisation key's part for array arguments that share memory (``f(W, W)``): groups of their
    indices. Absent when none do, so the usual key is unchanged."""


def shared_args(args):
    """``Shared`` groups of the indices of array arguments that may share memory, or ``None``."""
    arrays = [i for i, a in enumerate(args) if type(a) is np.ndarray]
    if len(arrays) < 2:
        return None
    groups = []
    for k, i in enumerate(arrays):
        for j in arrays[k + 1 :]:
            if args[i] is args[j] or np.may_share_memory(args[i], args[j]):
                for g in groups:
                    if i in g or j in g:
                        g.update((i, j))
                        break
                else:
                    groups.append({i, j})
    return Shared(tuple(sorted(g)) for g in groups) if groups else None


def shared_params(params, key):
    """Groups of parameter names given arrays that share memory in the specialisation ``key``."""
    found = next((k for k in key if isinstance(k, Shared)), ())
    return [[params[i] for i in g if i < len(params)] for g in found]


class DictKey(tuple):
    """The specialisation key of a dict argument: ``((key, symbolic shape or None), ...)``."""


def complex_params(params, key):
    """The parameters the specialisation ``key`` passes complex values for (its entry after the arguments')."""
    found = key[-1] if key and isinstance(key[-1], frozenset) else ()
    return {params[i] for i in found if i < len(params)}


class Ragged:
    """The specialisation key of a list or tuple of arrays (or numbers) of several shapes: which of the two it is,
    its length and its items' symbolic shapes (``None`` where not known) (a gradient with respect to it is taken
    item by item: ``itemwise``)."""

    __slots__ = ("container", "length", "shapes")

    def __init__(self, container, length, shapes=None):
        self.container, self.length, self.shapes = container, length, shapes

    def _parts(self):
        return (self.container, self.length, self.shapes)

    def nested(self):
        """True when an item is itself a list or tuple (``[(W, b), (V, c)]``)."""
        return any(isinstance(s, Ragged) for s in self.shapes or ())

    def layout(self):
        """The container's layout as ``itemwise`` spells it: ``("list", 2)`` of arrays, or with items that are
        containers ``("list", (("tuple", 2), ("tuple", 2)))`` (``None`` for an array item among them)."""
        if not self.nested():
            return (self.container, self.length)
        return (self.container, tuple(s.layout() if isinstance(s, Ragged) else None for s in self.shapes))

    def __eq__(self, other):
        return isinstance(other, Ragged) and self._parts() == other._parts()

    def __hash__(self):
        return hash(("ragged",) + self._parts())

    def __repr__(self):
        return f"Ragged({self.container!r}, {self.length}, {self.shapes!r})"


def ragged_params(params, key):
    """``{parameter: (container, length, item shapes) or None}`` of the arguments of the specialisation ``key``
    that are lists or tuples of several shapes (``None``: nested lists of several lengths, or lists and tuples
    of containers, ``[(W, b), (V, c)]``, which the code gets as they are)."""
    return {
        p: (k._parts() if isinstance(k, Ragged) and not k.nested() else None)
        for p, k in zip(params, key)
        if isinstance(k, Ragged) or k == 4
    }


def known_kinds(scalar_params, param_shapes, shared_params, tree_dicts=None):
    """``{parameter: key part}`` of the arguments a specialisation knows to be Python numbers (``1``), arrays of a
    symbolic shape, or dicts holding dicts (their ``DictKey``, ``tree_dicts``), for the gradients the function
    calls (``normalize``'s ``known_params``); no shapes when arguments share memory (the code read for a call
    would take them for separate arrays)."""
    kinds = {p: 1 for p in scalar_params}  # (a number, not an array of shape ())
    if not shared_params:
        kinds.update((p, s) for p, s in (param_shapes or {}).items() if isinstance(p, str) and type(s) is tuple)
    kinds.update(tree_dicts or {})
    return kinds


def tree_dicts(params, key):
    """``{parameter: DictKey}`` of the dict arguments of the specialisation ``key`` that hold dicts."""
    return {p: k for p, k in zip(params, key) if isinstance(k, DictKey) and any(s == "dict" for _, s in k)}


def part_of(known):
    """The key part of an argument a function calling a derivative knows while compiling: a string's value, a
    list or tuple of several shapes (``("list", n)``), a dict's keys (``("dict", keys)``), an array's symbolic
    shape, ``1`` for a Python number."""
    if isinstance(known, str):
        return Text(known)
    if isinstance(known, DictKey):
        return known  # a dict argument holding dicts, passed on (its entries as the caller's key has them)
    if type(known) is int:
        return known  # 1: a Python number
    if not known or not isinstance(known[0], str):
        return tuple(known)  # an array's symbolic shape (an item of a list of several shapes)
    container, items = known
    if container == "dict":
        return DictKey((k, None) for k in items)
    return Ragged(container, items)


class Text(str):
    """The specialisation key of a string argument: its value, which the generated code then has written in
    (``np.einsum(subscripts, a, b)`` with ``subscripts`` an argument is ``np.einsum('ij,jk', a, b)``)."""


def text_params(params, key):
    """``{parameter: value}`` of the string arguments of the specialisation ``key``."""
    return {p: str(k) for p, k in zip(params, key) if type(k) is Text}


class ListShape(tuple):
    """The specialisation key of a nested list of numbers: its symbolic shape (the generated code gets it as an
    array, see ``as_arrays``)."""


def list_params(params, key):
    """``{parameter: nesting depth}`` of the arguments that are lists in the user's code (of numbers, or nested)."""
    return {
        p: (len(k) if isinstance(k, ListShape) else 1)
        for p, k in zip(params, key)
        if k == 2 or isinstance(k, ListShape)
    }


def as_arrays(args, key):
    """The arguments with each nested list of numbers made an array (the key says which)."""
    if not any(isinstance(k, ListShape) for k in key):
        return args
    return tuple(np.array(a) if isinstance(k, ListShape) else a for a, k in zip(args, key))


class Static(tuple):
    """The specialisation key of a function passed as an argument: ``(function,)``. The transformation treats
    the parameter as that function (it inlines it, or differentiates through a ``GradFunction``'s code)."""


def static_args(params, key):
    """``{parameter: function}`` for the arguments the specialisation ``key`` fixes (``Static``)."""
    return {p: k[0] for p, k in zip(params, key) if isinstance(k, Static)}


def split_key(params, key):
    scalar = [p for p, k in zip(params, key) if k == 1]
    seqs = [p for p, k in zip(params, key) if k == 2]
    shapes = {p: k for p, k in zip(params, key) if isinstance(k, tuple) and not isinstance(k, (DictKey, Static))}
    dicts = {
        p: tuple(e for e, _ in k) if isinstance(k, DictKey) else None  # the keys, in order, where known
        for p, k in zip(params, key)
        if k == 3 or isinstance(k, DictKey)
    }
    dict_shapes = {
        p: {e: shp for e, shp in k if isinstance(shp, tuple)} for p, k in zip(params, key) if isinstance(k, DictKey)
    }
    shapes.update({("dict", p): v for p, v in dict_shapes.items()})
    return scalar, seqs, shapes, dicts
