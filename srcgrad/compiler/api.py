"""The compiler's public API: ``grad``, ``value_and_grad``, ``source``, ``custom_vjp``.

A ``GradFunction`` transforms lazily, on first call (or first ``.source``),
and specialises on which arguments are Python numbers, so scalar code stays
plain float arithmetic. Transformations are cached by the function's code
object, the values its free names resolved to (globals, closure cells, and
those of every function it inlined), the options, and that specialisation:
redefining a function, or rebinding a global it reads, gives a fresh gradient.
"""

import ast
import inspect
import os
import sys
import threading
from collections.abc import Callable
from typing import Any, overload

import numpy as np

from .. import rules
from ..errors import SrcgradError, TransformError
from . import activity, aliasing, codegen, complexity, fence, normalize as normalize_pass, optimize as optimize_pass, \
    reverse as reverse_pass
from .naming import Namer, Namespace
from .methods import BoundGradFunction
from .tracebacks import annotate
from .wrapping import WrappedOriginal, Wrt
from ..rules.registry import _TABLE_VERSION
from .ir import Assign, walk_stmts
from .parse import parse_function

__all__ = ["grad", "value_and_grad", "source", "custom_vjp", "GradFunction", "set_debug"]

_DEBUG = set(filter(None, os.environ.get("SRCGRAD_DEBUG", "").split(",")))
_CACHE = {}  # cache key -> the last few transformations made for it (see cached / remember); least recent first
CACHE_SIZE = 256
"""How many cache keys (function, options, specialisation) ``_CACHE`` keeps; the least recently used go first."""
SPECS_SIZE = 64
"""How many specialisations one ``GradFunction`` or ``JVPFunction`` remembers by itself."""
_CACHE_LOCK = threading.Lock()


def cached(cache_key, fn):
    """The cached transformation for ``cache_key`` still valid for ``fn``, or ``None``; marks the key as recent."""
    with _CACHE_LOCK:
        bucket = _CACHE.pop(cache_key, None)
        if bucket is None:
            return None
        _CACHE[cache_key] = bucket  # re-inserted: now the most recent
    for cand in bucket:
        if cand.fresh(fn):
            return cand
    return None


def remember(cache_key, spec):
    """Keep ``spec`` under ``cache_key`` (with at most 7 older ones), dropping the least recent keys beyond
    ``CACHE_SIZE``."""
    with _CACHE_LOCK:
        bucket = _CACHE.pop(cache_key, [])
        _CACHE[cache_key] = bucket[-7:] + [spec]
        while len(_CACHE) > CACHE_SIZE:
            del _CACHE[next(iter(_CACHE))]


def remember_spec(specs, key, spec):
    """``specs[key] = spec`` in a function's own table, keeping its ``SPECS_SIZE`` most recent keys."""
    specs.pop(key, None)
    specs[key] = spec
    while len(specs) > SPECS_SIZE:
        del specs[next(iter(specs))]


def clear_cache():
    """Forget every generated gradient (for instance after changing a rule in the table).

    The cache notices by itself a redefined function, changed globals, closure
    cells and defaults, and a changed rule table (a rule registered, replaced or
    edited); this frees the memory of every cached gradient.
    """
    _CACHE.clear()
_RULES_LOADED = False


def set_debug(*passes):
    """Print the code after the named passes (``"parse"``, ``"normalize"``, ``"reverse"``,
    ``"optimize"``, or ``"all"``) whenever a function is transformed. ``set_debug()`` turns it off."""
    _DEBUG.clear()
    _DEBUG.update(passes)


def _debug(name, make_text):
    if name in _DEBUG or "all" in _DEBUG:
        print(f"---- srcgrad: after {name} ----\n{make_text()}", file=sys.stderr)


def _load_rules():
    """Import every module of the rule table (they register themselves on import)."""
    global _RULES_LOADED
    if _RULES_LOADED:
        return
    import importlib
    import pkgutil
    for info in pkgutil.iter_modules(rules.__path__):
        if info.name.startswith("scipy_") and info.name != "scipy_rules":
            continue  # they import scipy: registered with it (srcgrad/rules/scipy_rules.py)
        importlib.import_module(f"{rules.__name__}.{info.name}")
    _RULES_LOADED = True


class _Compiled:
    """One transformation: the generated function, its text, and what it depended on."""

    __slots__ = ("fn", "source", "deps", "scalar_out", "table_version", "dout_name", "inplace")

    def __init__(self, fn, source, deps):
        self.fn, self.source, self.deps = fn, source, deps
        self.scalar_out = False
        self.dout_name = "dout"  # the generated function's keyword for the output cotangent
        self.inplace = True  # whether the function writes into an array in place (then shared arguments matter)
        self.table_version = _TABLE_VERSION[0]

    def fresh(self, fn=None):
        if self.table_version != _TABLE_VERSION[0]:
            return False  # a rule changed since: its old body is inlined in self.fn
        for kind, container, name, value in self.deps:
            if kind == "rootcell":
                cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
                try:
                    if cells[name].cell_contents is not value:
                        return False
                except (KeyError, ValueError):
                    return False
            elif kind == "rootglobal":
                if fn.__globals__.get(name, _MISSING) is not value:
                    return False
            elif kind == "cell":
                try:
                    if container.cell_contents is not value:
                        return False
                except ValueError:
                    return False
            elif container.get(name, _MISSING) is not value:
                return False
        return True


_MISSING = object()


def _collect_deps(scopes):
    seen = {}
    for k, scope in enumerate(scopes):
        for kind, container, name, value in scope.deps:
            if k == 0 and kind in ("cell", "global"):  # the function itself: check against the live one
                kind, container = "root" + kind, None
            seen[(kind, id(container), name)] = (kind, container, name, value)
    return tuple(seen.values())


def _resolve_wrt(fn, params, wrt):
    items = wrt if isinstance(wrt, (tuple, list)) else (wrt,)
    names = []
    for w in items:
        if isinstance(w, bool):
            raise TypeError("wrt must be a parameter index or name")
        if isinstance(w, int):
            if not -len(params) <= w < len(params):
                raise ValueError(f"wrt={w}: {fn.__name__} has {len(params)} parameters")
            names.append(params[w])
        elif isinstance(w, str):
            if w not in params:
                raise ValueError(f"wrt={w!r}: {fn.__name__} has no parameter of that name (it has {params})")
            names.append(w)
        else:
            raise TypeError(f"wrt must be an index, a name, or a tuple of them, not {type(w).__name__}")
    return names, isinstance(wrt, (tuple, list))


def _kind(a):
    """The specialisation key of one argument: 1 a Python number, 2 a list/tuple of them, 3 a dict, 4 a list/tuple
    of items of several shapes (arrays, or nested lists), 5 a nested list/tuple of numbers with a shape (passed
    to the generated code as an array, see ``_nested``), 0 anything else."""
    t = type(a)
    if t in _NUMBER_TYPES:
        return 1
    if (t is list or t is tuple) and a and type(a[0]) in _NUMBER_TYPES and type(a[-1]) in _NUMBER_TYPES:
        # The generated code treats the elements as numbers; an element that is not one gives a gradient of
        # the wrong shape, which GradFunction.__call__ refuses to return.
        return 2
    if t is dict:
        return 3
    if (t is list or t is tuple) and a and (type(a[0]) is list or type(a[0]) is tuple):
        return 5 if _nested(a) is not None else 4
    if (t is list or t is tuple) and a and any(type(e) is np.ndarray for e in a):
        first = np.shape(a[0])
        if any(np.shape(e) != first for e in a):
            return 4  # arrays of several shapes: grad refuses them as a wrt argument (see _refuse_ragged)
    if isinstance(a, np.matrix):
        raise TypeError("srcgrad does not take np.matrix arguments (its * is a matrix product, so the gradient "
                        "would follow neither meaning): pass np.asarray(m) and write @ for matrix products")
    return 0


def _nested(a):
    """A nested list or tuple of numbers (``[[1.0, 2.0], [3.0, 4.0]]``) as an array, or ``None`` when it has no
    shape (ragged) or holds anything else."""
    try:
        arr = np.array(a)
    except (ValueError, TypeError):
        return None
    return arr if arr.dtype.kind in "biuf" and arr.ndim >= 2 else None


_NUMBER_TYPES = frozenset({float, int, np.float64, np.float32, np.int64, np.int32})


def _key(args, shared=True):
    """The specialisation key: per argument ``_kind``, or a symbolic shape for an ndarray.

    Axes of length one stay 1 (they broadcast); other lengths become symbols
    2, 3, ... in order of appearance, equal lengths sharing a symbol, so one
    transformation serves every batch size.
    """
    out = []
    dims = {}
    for a in args:  # (the last entry, after one per argument, says which arguments hold complex values)
        if type(a) is np.ndarray:
            out.append(tuple(1 if d == 1 else dims.setdefault(d, len(dims) + 2) for d in a.shape))
        elif _kind(a) == 5:  # a nested list of numbers: an array of its shape that is a list in the user's code
            out.append(_ListShape(1 if d == 1 else dims.setdefault(d, len(dims) + 2) for d in np.shape(a)))
        elif type(a) is dict:
            # a dict of arrays: the symbolic shape of each entry (same symbols as the other arguments)
            out.append(_DictKey((k, tuple(1 if d == 1 else dims.setdefault(d, len(dims) + 2) for d in v.shape))
                                if type(v) is np.ndarray else (k, "dict" if type(v) is dict else None)
                                for k, v in a.items()))
        else:
            out.append(_kind(a))
    shared = _shared_args(args) if shared else None  # (only a function that writes in place needs to know)
    if shared is not None:
        out.append(shared)
    out.append(complexity.complex_mask(args))
    return tuple(out)


class _Shared(tuple):
    """The specialisation key's part for array arguments that share memory (``f(W, W)``): groups of their
    indices. Absent when none do, so the usual key is unchanged."""


def _shared_args(args):
    """``_Shared`` groups of the indices of array arguments that may share memory, or ``None``."""
    arrays = [i for i, a in enumerate(args) if type(a) is np.ndarray]
    if len(arrays) < 2:
        return None
    groups = []
    for k, i in enumerate(arrays):
        for j in arrays[k + 1:]:
            if args[i] is args[j] or np.may_share_memory(args[i], args[j]):
                for g in groups:
                    if i in g or j in g:
                        g.update((i, j))
                        break
                else:
                    groups.append({i, j})
    return _Shared(tuple(sorted(g)) for g in groups) if groups else None


def _shared_params(params, key):
    """Groups of parameter names given arrays that share memory in the specialisation ``key``."""
    found = next((k for k in key if isinstance(k, _Shared)), ())
    return [[params[i] for i in g if i < len(params)] for g in found]


class _DictKey(tuple):
    """The specialisation key of a dict argument: ``((key, symbolic shape or None), ...)``."""


def _complex_params(params, key):
    """The parameters the specialisation ``key`` passes complex values for (its entry after the arguments')."""
    found = key[-1] if key and isinstance(key[-1], frozenset) else ()
    return {params[i] for i in found if i < len(params)}


class _ListShape(tuple):
    """The specialisation key of a nested list of numbers: its symbolic shape (the generated code gets it as an
    array, see ``_as_arrays``)."""


def _list_params(params, key):
    """``{parameter: nesting depth}`` of the arguments that are lists in the user's code (of numbers, or nested)."""
    return {p: (len(k) if isinstance(k, _ListShape) else 1) for p, k in zip(params, key)
            if k == 2 or isinstance(k, _ListShape)}


def _as_arrays(args, key):
    """The arguments with each nested list of numbers made an array (the key says which)."""
    if not any(isinstance(k, _ListShape) for k in key):
        return args
    return tuple(np.array(a) if isinstance(k, _ListShape) else a for a, k in zip(args, key))


def _mutable_defaults(fn):
    """The parameters whose default value is an array, list or dict: one object every call that leaves the
    argument out shares, as a module-level array is."""
    return {name for name, p in inspect.signature(fn).parameters.items()
            if isinstance(p.default, (np.ndarray, list, dict))}


def _split_key(params, key):
    scalar = [p for p, k in zip(params, key) if k == 1]
    seqs = [p for p, k in zip(params, key) if k == 2]
    shapes = {p: k for p, k in zip(params, key) if isinstance(k, tuple) and not isinstance(k, _DictKey)}
    dicts = {p: tuple(e for e, _ in k) if isinstance(k, _DictKey) else None  # the keys, in order, where known
             for p, k in zip(params, key) if k == 3 or isinstance(k, _DictKey)}
    dict_shapes = {p: {e: shp for e, shp in k if isinstance(shp, tuple)} for p, k in zip(params, key)
                   if isinstance(k, _DictKey)}
    shapes.update({("dict", p): v for p, v in dict_shapes.items()})
    return scalar, seqs, shapes, dicts


def transform(fn, wrt_names, wrt_tuple, scalar_params, preserve_result, optimize, source_text=None,
              scalar_seq_params=(), param_shapes=None, dict_params=(), ragged_params=(), complex_params=(),
              list_params=None, shared_params=(), nested_dict_params=()):
    """Run the whole pipeline on ``fn``; returns a ``_Compiled``.

    Args:
        fn: the user's function.
        wrt_names: parameter names to differentiate with respect to.
        wrt_tuple: return a tuple of gradients.
        scalar_params: parameters known to be Python numbers for this specialisation.
        preserve_result: also return the value.
        optimize: run the optimize pass.
        source_text: the function's source when it has no file.
        complex_params: parameters given complex values in this specialisation.
        scalar_seq_params, param_shapes, dict_params, ragged_params, list_params: what the specialisation knows
            of the arguments (see ``_split_key``, ``_list_params``).

    Raises:
        TransformError, NoRuleError: see ``grad``.
    """
    _load_rules()
    parsed = parse_function(fn, source=source_text)
    _debug("parse", lambda: ast.unparse(parsed.node))
    fence.check(parsed)
    _refuse_ragged(parsed, [p for p in wrt_names if p in ragged_params])
    _refuse_nested_dicts(parsed, [p for p in wrt_names if p in nested_dict_params])
    namer = Namer()
    ns = Namespace(namer)
    dict_keys = {p: keys for p, keys in dict(dict_params).items() if keys is not None}
    normal, scopes = normalize_pass.normalize(parsed, namer, ns, dict_keys)
    _debug("normalize", lambda: dump_ir(normal, namer, ns))
    _refuse_truth_values(normal, ns.values)
    act = activity.analyze(normal, wrt_names, scalar_params, scalar_seq_params, param_shapes, list_params)
    aliasing.check(normal, act, ns.values, shared_params, _mutable_defaults(fn))
    may_be_complex, ns.complex_result = complexity.check(normal, act, scopes, complex_params)
    ns.real_values = not may_be_complex
    act.dicts = {p for p in dict_params if not any(
        isinstance(s, Assign) and s.target == p for s in walk_stmts(normal.body))}
    _debug("activity", lambda: f"active: {sorted(act.active)}\nscalar: {sorted(act.scalar)}")
    dout_name = namer.fresh("dout")  # `dout_2` when the user's code has a `dout` of its own
    fdef = reverse_pass.reverse(normal, act, wrt_names, namer, ns, preserve_result=preserve_result,
                                wrt_tuple=wrt_tuple, dout_name=dout_name)
    wrt_text = ", ".join(wrt_names)
    doc = f"Gradient of {fn.__qualname__} with respect to {wrt_text}; generated by srcgrad from {parsed.filename}."
    fdef.body.insert(0, ast.Expr(value=ast.Constant(value=doc)))
    _debug("reverse", lambda: codegen.to_source(fdef))
    scalar_out = _scalar_output(fdef)
    if optimize:
        optimize_pass.optimize(fdef, ns.values, _static_shapes(act, namer, scalar_out, dout_name))
        _debug("optimize", lambda: codegen.to_source(fdef))
    text = codegen.to_source(fdef)
    compiled_fn = codegen.compile_function(text, fdef.name, ns.values, fn.__qualname__)
    spec = _Compiled(compiled_fn, text, _collect_deps(scopes))
    spec.scalar_out = scalar_out
    spec.dout_name = dout_name
    spec.inplace = aliasing.writes_in_place(normal)
    return spec


_TRUTH_FUNCTIONS = {np.allclose, np.array_equal, np.array_equiv, np.isclose, np.any, np.all, np.isfinite, np.isnan,
                    np.isinf, np.logical_and, np.logical_or, np.logical_not, np.logical_xor, isinstance, bool,
                    callable, hasattr}


def _refuse_truth_values(normal, values):
    """Refuse, at the return, a function whose value is a truth value on every path (``return x > 0``,
    ``return np.allclose(x, y)``): it has no gradient, and a zero would be wrong to give."""
    import ast as _ast
    from .ir import NonDiff, Var
    from .parse import error_at
    result = normal.body[-1].value
    if not isinstance(result, Var):
        return
    found = [s.value for s in walk_stmts(normal.body) if isinstance(s, Assign) and s.target == result.name]

    def truth(node):
        if isinstance(node, (_ast.Compare, _ast.BoolOp)) or (isinstance(node, _ast.UnaryOp)
                                                              and isinstance(node.op, _ast.Not)):
            return True
        if isinstance(node, _ast.Constant):
            return isinstance(node.value, bool)
        if isinstance(node, _ast.Call):
            func, parts = node.func, []
            while isinstance(func, _ast.Attribute):
                parts.append(func.attr)
                func = func.value
            obj = values.get(func.id) if isinstance(func, _ast.Name) else None
            for attr in reversed(parts):
                obj = getattr(obj, attr, None)
            try:
                return obj in _TRUTH_FUNCTIONS
            except TypeError:
                return False
        return False

    if found and all(isinstance(v, NonDiff) and truth(v.node) for v in found):
        raise error_at(normal.filename, normal.lines, normal.body[-1].lineno,
                       "the function returns a truth value (a comparison, np.allclose, ...), which has no gradient")


def _refuse_nested_dicts(parsed, params):
    """Refuse, at the first line reading it, a wrt argument that is a dict holding a dict (its gradient would
    be one array per entry)."""
    if not params:
        return
    p = params[0]
    reads = [n for n in ast.walk(parsed.node) if isinstance(n, ast.Name) and n.id == p and isinstance(n.ctx, ast.Load)]
    raise parsed.error(
        min(reads, key=lambda n: n.lineno) if reads else parsed.node,
        f"srcgrad.grad with respect to '{p}', a dict holding a dict, is not supported",
        "Pass the inner dict as an argument of its own (its gradient is then a dict with the same keys).")


def _refuse_ragged(parsed, params):
    """Refuse, at the first line reading it, a wrt argument that is a list or tuple of arrays of several shapes:
    the adjoint sweep keeps a list argument's gradient in one array."""
    if not params:
        return
    p = params[0]
    reads = [n for n in ast.walk(parsed.node) if isinstance(n, ast.Name) and n.id == p and isinstance(n.ctx, ast.Load)]
    raise parsed.error(
        min(reads, key=lambda n: n.lineno) if reads else parsed.node,
        f"srcgrad.grad with respect to '{p}', a list or tuple of arrays of several shapes (or a nested list of "
        "several lengths), is not supported "
        "(the gradient of a list argument is one array)",
        f"Pass the arrays as separate arguments, or as a dict ({p}={{'a': ..., 'b': ...}}, looped over with "
        f"for v in {p}.values()): the gradient is then a dict with the same keys. Arrays of one shape can be "
        "passed as a list (or np.stack them); srcgrad.jvp takes this list as it is.")


def _scalar_output(fdef):
    """True when the generated function's ``dout`` defaults to 1.0: the output is known to be a number."""
    default = fdef.args.kw_defaults[0]
    return isinstance(default, ast.Constant) and default.value == 1.0


def _static_shapes(act, namer, scalar_out, dout_name="dout"):
    """``{name: static shape}`` for the generated code: primal variables, their adjoints, and ``dout``."""
    shapes = {v: () for v in act.scalar}
    shapes.update({v: s for v, s in act.shapes.items() if isinstance(s, tuple)})
    for var, adj in namer.adjoints().items():
        if var in shapes and adj not in shapes:
            shapes[adj] = shapes[var]
    if scalar_out:
        shapes[dout_name] = ()  # GradFunction.__call__ refuses a dout with axes for a scalar output
    return shapes


def transform_jvp(fn, wrt_names, key, optimize, source_text, params):
    """Run the pipeline with the forward pass; returns a ``_Compiled`` JVP function."""
    from . import forward as forward_pass
    _load_rules()
    parsed = parse_function(fn, source=source_text)
    fence.check(parsed)
    namer = Namer()
    ns = Namespace(namer)
    scalar_params, seq_params, shapes, dicts = _split_key(params, key)
    normal, scopes = normalize_pass.normalize(parsed, namer, ns, {p: k for p, k in dicts.items() if k is not None})
    _debug("normalize", lambda: dump_ir(normal, namer, ns))
    act = activity.analyze(normal, wrt_names, scalar_params, seq_params, shapes, _list_params(params, key))
    aliasing.check(normal, act, ns.values, _shared_params(params, key), _mutable_defaults(fn))
    ns.real_values = not complexity.check(normal, act, scopes, _complex_params(params, key))[0]
    builder = forward_pass.Forward(normal, act, wrt_names, namer, ns, name=namer.fresh("jvp_" + normal.name))
    tangents = [namer.adjoint(p) for p in wrt_names]
    fdef = builder.build_jvp(tangents)
    doc = f"Forward-mode derivative (JVP) of {fn.__qualname__} along {', '.join(wrt_names)}; generated by srcgrad."
    fdef.body.insert(0, ast.Expr(value=ast.Constant(value=doc)))
    if optimize:
        optimize_pass.optimize(fdef, ns.values)
    text = codegen.to_source(fdef)
    _debug("forward", lambda: text)
    compiled_fn = codegen.compile_function(text, fdef.name, ns.values, fn.__qualname__)
    spec = _Compiled(compiled_fn, text, _collect_deps(scopes))
    spec.inplace = aliasing.writes_in_place(normal)
    spec.deps = spec.deps + (("global", _Defaults(fn), "defaults", fn.__defaults__),)
    return spec


def dump_ir(normal, namer, ns):
    """The normalized program as readable text (for the debug switch)."""
    r = reverse_pass.Reverse(normal, activity.Activity(), [], Namer(), ns)
    r._counters, r.last_line = {}, {False: None, True: None}
    body = r.forward(normal.body, 0, set(normal.params))
    ret = normal.body[-1].value
    body.append(ast.Return(value=ast.Name(id=ret.name, ctx=ast.Load()) if hasattr(ret, "name") else ret.node))
    fdef = ast.FunctionDef(name=normal.name, args=ast.arguments(posonlyargs=[], args=[ast.arg(arg=p) for p in normal.params],
                           vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]),
                           body=reverse_pass._resolve_markers(body, set(), r), decorator_list=[], returns=None,
                           type_comment=None)
    return codegen.to_source(fdef)


class GradFunction:
    """The gradient of a function, as returned by ``grad`` and ``value_and_grad``.

    Call it with the function's arguments (plus keyword-only ``dout``, the
    output cotangent, default 1.0 for a scalar output). ``.source`` is the
    generated code of the last specialisation called (the general one before
    any call), ``source_for(*args)`` the code for such arguments, ``.function``
    the generated function. ``__wrapped__`` is the original function, except
    to ``inspect.unwrap``, so ``inspect.getsource(df)`` shows the generated
    code (see ``wrapping.py``).
    """

    __wrapped__ = WrappedOriginal()

    def __init__(self, fn, wrt=0, preserve_result=False, optimize=True, verbose=False, source=None):
        if isinstance(fn, GradFunction):
            raise TransformError("grad of a GradFunction (higher-order derivatives) is not supported by the "
                                 "compiler; use dynamic mode (Tensors with create_graph=True)")
        if not inspect.isfunction(fn):
            raise TransformError(f"srcgrad.grad needs a Python function, got {fn!r}")
        self._original = fn
        self.__module__, self.__name__, self.__qualname__ = fn.__module__, fn.__name__, fn.__qualname__
        self.__doc__ = f"Gradient of {fn.__qualname__} (generated by srcgrad; see .source)."
        sig = inspect.signature(fn)
        self._signature = sig
        self._signature_of = (fn.__defaults__, fn.__kwdefaults__)
        self._params = [p.name for p in sig.parameters.values()
                        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        self.wrt, self._wrt_tuple = _resolve_wrt(fn, self._params, wrt)
        self._wrt_index = [self._params.index(w) for w in self.wrt]
        self.preserve_result = preserve_result
        self.optimize = optimize
        self.verbose = verbose
        self._source_text = source
        self._specs = {}
        self._keys = {}  # argument shapes and kinds -> specialisation key
        self._inplace = None  # whether f writes into arrays in place (known after the first transformation)
        self._last = None

    def _spec(self, key):
        spec = self._specs.get(key)
        if spec is not None and spec.fresh(self._original):
            return spec
        fn = self._original
        cache_key = (fn.__code__, tuple(self.wrt), self._wrt_tuple, self.preserve_result, self.optimize, key,
                     self._source_text)
        spec = cached(cache_key, fn)
        if spec is None:
            scalar_params, seq_params, shapes, dicts = _split_key(self._params, key)
            spec = transform(fn, self.wrt, self._wrt_tuple, scalar_params, self.preserve_result, self.optimize,
                             self._source_text, seq_params, shapes, dicts,
                             [p for p, k in zip(self._params, key) if k == 4],
                             complex_params=_complex_params(self._params, key),
                             list_params=_list_params(self._params, key),
                             shared_params=_shared_params(self._params, key),
                             nested_dict_params=[p for p, k in zip(self._params, key)
                                                 if isinstance(k, _DictKey) and any(s == "dict" for _, s in k)])
            spec.deps = spec.deps + (("global", _Defaults(fn), "defaults", fn.__defaults__),)
            remember(cache_key, spec)
        if self.verbose and self._specs.get(key) is not spec:
            print(spec.source)  # this specialisation's code, the first time this GradFunction uses it
        remember_spec(self._specs, key, spec)
        return spec

    def __call__(self, *args, **kwargs):
        dout = kwargs.pop("dout", None)
        if kwargs or len(args) < len(self._params):
            fn = self._original
            if self._signature_of != (fn.__defaults__, fn.__kwdefaults__):  # defaults changed since
                self._signature = inspect.signature(fn)
                self._signature_of = (fn.__defaults__, fn.__kwdefaults__)
            bound = self._signature.bind(*args, **kwargs)
            bound.apply_defaults()
            args = tuple(bound.arguments[p] for p in self._params)
        shared = self._inplace is not False  # arguments sharing memory matter only to in-place writes
        raw = tuple([a.shape if type(a) is np.ndarray else _kind(a) for a in args]
                    + [_shared_args(args) if shared else None, complexity.complex_mask(args)])
        key = self._keys.get(raw)
        if key is None:
            key = _key(args, shared)
            if 3 not in raw and 5 not in raw and len(self._keys) < 64:  # dicts, nested lists: the key holds shapes
                self._keys[raw] = key
        args = _as_arrays(args, key)
        for i in self._wrt_index:
            a = args[i]
            if type(a) is np.ndarray and a.dtype.kind in "biu":
                raise TypeError(
                    f"srcgrad.grad of {self._original.__qualname__} with respect to {self._params[i]}, an array of "
                    f"{a.dtype} (integers do not have gradients, and an adjoint kept in their dtype would be "
                    f"truncated): pass floats, e.g. {self._params[i]}.astype(float)")
        spec = self._spec(key)
        self._last = spec
        self._inplace = spec.inplace
        if dout is not None and spec.scalar_out and np.ndim(dout) != 0:
            raise ValueError(f"dout has shape {np.shape(dout)}, but {self._original.__qualname__} returns a "
                             "number: pass a number (or an array of shape ())")
        try:
            out = spec.fn(*args) if dout is None else spec.fn(*args, **{spec.dout_name: dout})
        except Exception as err:
            annotate(err, spec.fn, self._original)  # name the user's line and the generated statement
            raise
        return self._match_dtypes(args, out)

    def _match_dtypes(self, args, out):
        """Give each array's gradient the array's dtype (float32 in, float32 out)."""
        value = None
        if self.preserve_result:
            value, out = out
        grads = out if self._wrt_tuple else (out,)
        fixed = None
        for k, (i, g) in enumerate(zip(self._wrt_index, grads)):
            a = args[i]
            if type(a) is np.ndarray and type(g) is np.ndarray and g.shape == a.shape and g.dtype == a.dtype:
                continue  # the common cases, decided without numpy calls
            if type(a) in _NUMBER_TYPES and type(g) in _NUMBER_TYPES:
                continue
            if type(a) is complex and np.ndim(g) == 0 and not np.iscomplexobj(g):  # a complex number: a complex one
                if fixed is None:
                    fixed = list(grads)
                fixed[k] = complex(g)
                continue
            if np.iscomplexobj(g) and not np.iscomplexobj(a):  # a real input gets the real part (PyTorch's rule)
                g = np.real(g)
                g = float(g) if type(a) in _NUMBER_TYPES and np.ndim(g) == 0 else g
                if fixed is None:
                    fixed = list(grads)
                fixed[k] = g
            if type(a) is list or type(a) is tuple:  # of numbers (or nested): the gradient is an array of its shape
                wrong = _kind(a) in (2, 5) and np.shape(g) != np.shape(a)
            else:
                wrong = (np.shape(g) != np.shape(a)) if type(a) is np.ndarray else (type(a) in _NUMBER_TYPES
                                                                                   and np.ndim(g))
            if wrong:
                raise SrcgradError(
                    f"the gradient with respect to {self._params[i]} came out with shape {np.shape(g)} for an "
                    f"argument of shape {np.shape(a)}: an argument is not what the specialisation assumed (a list "
                    "of numbers with an array in it?)")
            if type(a) is np.ndarray and (type(g) is not np.ndarray or g.dtype != a.dtype):
                if fixed is None:
                    fixed = list(grads)
                fixed[k] = np.asarray(g, dtype=a.dtype) if np.issubdtype(a.dtype, np.inexact) else np.asarray(g)
        if fixed is not None:
            out = tuple(fixed) if self._wrt_tuple else fixed[0]
        return (value, out) if self.preserve_result else out

    @property
    def source(self):
        """The generated source: of the last specialisation called, else of the general one."""
        if self._last is None:
            self._last = self._spec((0,) * len(self._params))
        return self._last.source

    def source_for(self, *args):
        """The generated source specialised for these arguments (Python numbers vs arrays)."""
        return self._spec(_key(args)).source

    @property
    def function(self):
        """The generated Python function of the last specialisation (``inspect.getsource`` works on it)."""
        if self._last is None:
            self.source
        return self._last.fn

    def __repr__(self):
        return f"<GradFunction of {self._original.__qualname__} wrt {', '.join(self.wrt)}>"


class _Defaults(dict):
    """Lets ``_Compiled.fresh`` notice a function whose defaults were reassigned."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def get(self, name, default=None):
        return self.fn.__defaults__


@overload
def grad(fn: Callable[..., Any], wrt: Wrt = 0, *, preserve_result: bool = False, optimize: bool = True,
         verbose: bool = False, source: str | None = None) -> GradFunction: ...
@overload
def grad(fn: None = None, wrt: Wrt = 0, *, preserve_result: bool = False, optimize: bool = True,
         verbose: bool = False, source: str | None = None) -> Callable[[Callable[..., Any]], GradFunction]: ...
def grad(fn=None, wrt=0, *, preserve_result=False, optimize=True, verbose=False, source=None):  # noqa: E302
    """The gradient of ``fn``, compiled to readable Python source.

    Usable as ``grad(f)``, ``@grad`` and ``@grad(wrt=(0, 1))``.

    Args:
        fn: a Python function of numpy arrays and numbers returning one value.
        wrt: the parameter (index or name) or tuple of parameters to
            differentiate with respect to; a tuple gives a tuple of gradients.
        preserve_result: return ``(value, gradient)``.
        optimize: run the optimize pass (``False`` shows the plain transform).
        verbose: print the generated code when it is made.
        source: the function's source text, for functions typed in a REPL or
            made by ``exec``.

    Returns:
        A ``GradFunction``: call it with ``fn``'s arguments (and keyword-only
        ``dout``, the output cotangent, needed when the output is not scalar).
        Each gradient has its input's type and shape.

    Raises:
        TransformError: ``fn`` uses a construct outside the supported subset
            (raised on first call, naming the user's file and line).
        NoRuleError: a function with no rule and no source is on a path to the output.
    """
    if fn is None:
        return lambda f: grad(f, wrt, preserve_result=preserve_result, optimize=optimize, verbose=verbose,
                              source=source)
    if inspect.ismethod(fn):  # grad(model.loss): the class's function, self passed on every call
        return BoundGradFunction(fn, wrt, lambda f, w: GradFunction(f, w, preserve_result, optimize, verbose, source))
    return GradFunction(fn, wrt, preserve_result, optimize, verbose, source)


@overload
def value_and_grad(fn: Callable[..., Any], wrt: Wrt = 0, *, optimize: bool = True, verbose: bool = False,
                   source: str | None = None) -> GradFunction: ...
@overload
def value_and_grad(fn: None = None, wrt: Wrt = 0, *, optimize: bool = True, verbose: bool = False,
                   source: str | None = None) -> Callable[[Callable[..., Any]], GradFunction]: ...
def value_and_grad(fn=None, wrt=0, *, optimize=True, verbose=False, source=None):  # noqa: E302
    """Like ``grad`` but the result returns ``(value, gradient)``.

    Args:
        fn, wrt, optimize, verbose, source: as for ``grad``.

    Returns:
        A ``GradFunction`` returning ``(fn(*args), gradient)``.
    """
    return grad(fn, wrt, preserve_result=True, optimize=optimize, verbose=verbose, source=source)


def source(f: Callable[..., Any], wrt: Wrt = 0, **options: Any) -> str:
    """The generated gradient source of ``f`` (a function or a ``GradFunction``).

    Args:
        f: a ``GradFunction`` (its ``.source``) or a plain function (``grad(f, wrt)``'s).
        wrt, **options: for a plain function, as for ``grad``.

    Returns:
        The source text.
    """
    if isinstance(f, GradFunction):
        return f.source
    if hasattr(f, "_srcgrad_jvp"):
        return f.source
    return grad(f, wrt, **options).source


def custom_vjp(fn: Callable[..., Any] | None = None, *vjps: Callable[..., Any]) -> Any:
    """Give your own function a VJP, for both the compiler and the tape.

    ``f = custom_vjp(f)`` makes ``f`` a primitive (Tensors dispatch it);
    ``f.defvjp(vjp_0, ...)`` or ``custom_vjp(f, vjp_0, ...)`` registers its
    VJPs in the rule table, with the rule contract ``vjp_i(g, ans, *args)``.
    The compiler then inlines the VJP instead of differentiating ``f``'s body.

    Args:
        fn: the function.
        *vjps: optional VJPs, one per positional argument.

    Returns:
        The primitive wrapper, with a ``defvjp`` method (usable as a decorator
        for a one-argument function's VJP).
    """
    if fn is None:
        return lambda f: custom_vjp(f, *vjps)
    wrapper = rules.primitive(fn)

    def defvjp(*vs):
        rules.defvjp(wrapper, *vs, name=fn.__name__)
        return vs[0] if len(vs) == 1 else None

    wrapper.defvjp = defvjp
    if vjps:
        defvjp(*vjps)
    return wrapper
