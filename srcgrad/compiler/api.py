"""The compiler's public API: ``grad``, ``value_and_grad``, ``jvp``, ``source``, ``custom_vjp``.

A ``GradFunction`` transforms lazily, on first call (or first ``.source``),
and specialises on which arguments are Python numbers, so scalar code stays
plain float arithmetic. Transformations are cached by the function's code
object, the values its free names resolved to (globals, closure cells, and
those of every function it inlined), the options, and that specialisation:
redefining a function, or rebinding a global it reads, gives a fresh gradient.
"""

import ast
import contextlib
import contextvars
import gc
import inspect
import numbers
from collections.abc import Callable
from typing import Any, overload

import numpy as np

from .. import rules
from ..errors import SrcgradError, TransformError
from . import (
    activity,
    aliasing,
    codegen,
    complexity,
    debug,
    fence,
    globalspec,
    itemwise,
    optimize as optimize_pass,
    passcache,
    reverse as reverse_pass,
    speckey,
    forward as forward_pass,
)
from .debug import set_debug
from .cache import Compiled, Current, Defaults, cached, clear_cache, code_of, collect_deps, remember, remember_spec
from .naming import Namer, Namespace
from .methods import BoundGradFunction
from .tracebacks import annotate
from .wrapping import WrappedOriginal, Wrt, resolve_wrt
from .ir import Assign, GradientOf, walk_stmts
from .parse import parse_function
from .complexhigher import (
    COMPLEX_INLINE,
    real_gradients,
    refuse_complex_higher_order,
    with_complex_retry,
)
from .refusals import refuse_ragged, refuse_truth_values

__all__ = [
    "grad",
    "value_and_grad",
    "jvp",
    "source",
    "custom_vjp",
    "GradFunction",
    "JVPFunction",
    "set_debug",
    "clear_cache",
]

_RULES_LOADED = False


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


@contextlib.contextmanager
def _collector_paused():
    """Run a transformation without the cyclic garbage collector (when it was on).

    A transformation allocates many syntax nodes that live until it ends, and they make no cycles; the
    collector's full passes over the growing heap cost a tenth of a long function's transform time.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _mutable_defaults(fn):
    """The parameters whose default value is an array, list or dict: one object every call that leaves the
    argument out shares, as a module-level array is."""
    return {
        name for name, p in inspect.signature(fn).parameters.items() if isinstance(p.default, (np.ndarray, list, dict))
    }


def transform(
    fn,
    wrt_names,
    wrt_tuple,
    scalar_params,
    preserve_result,
    optimize,
    source_text=None,
    scalar_seq_params=(),
    param_shapes=None,
    dict_params=(),
    ragged_params=(),
    complex_params=(),
    list_params=None,
    shared_params=(),
    nested_dict_params=(),
    tree_dicts=None,
    global_parts=None,
    plain_stack=False,
    checkpoint=False,
    static_args=None,
    text_params=None,
    real_grads=False,
):
    """Run the whole pipeline on ``fn``; returns a ``Compiled``.

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
            of the arguments (see ``speckey.split_key``, ``speckey.list_params``).
        global_parts: what the specialisation knows of the data read from globals and closures,
            ``{id(object): key part}`` (see ``globalspec.by_object``).
        plain_stack: write the saves so that the compiler can differentiate the result again (``reverse``).
        checkpoint: loops keep snapshots and run again in the adjoint sweep (``reverse``).
        static_args: ``{parameter: function}`` passed as arguments in this specialisation.
        text_params: ``{parameter: value}`` of string arguments (``speckey.text_params``).
        real_grads: the generated code gives each real input the real part of its gradient itself (what
            ``GradFunction.__call__`` does otherwise): the form a derivative with complex values reads again.

    Raises:
        TransformError, NoRuleError: see ``grad``.
    """
    _load_rules()
    parsed = parse_function(fn, source=source_text)
    debug.show("parse", lambda: ast.unparse(parsed.node))
    fence.check(parsed)
    refuse_ragged(parsed, [p for p in wrt_names if p in ragged_params])
    namer = Namer()
    namer.reserve("dout")  # the cotangent's keyword: code inlined from a gradient keeps its own `dout` apart
    ns = Namespace(namer)
    dict_keys = {p: keys for p, keys in dict(dict_params).items() if keys is not None}
    shapes = {**dict.fromkeys(scalar_params, ()), **(param_shapes or {})}  # (what normalize knows of them)
    known = dict(dict_keys=dict_keys, static_args=static_args, param_shapes=shapes, ragged_params=ragged_params)
    known["known_params"] = speckey.known_kinds(scalar_params, param_shapes, shared_params, tree_dicts)
    normal, scopes = passcache.normalized(parsed, namer, ns, source=source_text, text_params=text_params, **known)
    debug.show("normalize", lambda: debug.dump_ir(normal, namer, ns))
    refuse_truth_values(normal, ns.values)
    global_shapes = globalspec.names_in(ns.values, global_parts)
    act = activity.analyze(
        normal, wrt_names, scalar_params, scalar_seq_params, param_shapes, list_params, global_shapes
    )
    aliasing.check(normal, act, ns.values, shared_params, _mutable_defaults(fn))
    may_be_complex, ns.complex_result = complexity.check(normal, act, scopes, complex_params)
    refuse_complex_higher_order(parsed, fn, scopes, may_be_complex)
    ns.real_values = not may_be_complex
    act.dicts = {
        p for p in dict_params if not any(isinstance(s, Assign) and s.target == p for s in walk_stmts(normal.body))
    }
    inner = activity.inner_dicts(normal, act.dicts)  # p['i'] of a dict holding dicts: a dict adjoint too
    act.dicts |= inner
    act.tree_dicts = inner | (act.dicts & set(nested_dict_params))
    activity.check_tree_reads(normal, act, [p for p in wrt_names if p in nested_dict_params])
    debug.show("activity", lambda: f"active: {sorted(act.active)}\nscalar: {sorted(act.scalar)}")
    dout_name = namer.fresh("dout") if namer.is_user("dout") else "dout"  # `dout_2` when the user has a `dout`
    fdef = reverse_pass.reverse(
        normal,
        act,
        wrt_names,
        namer,
        ns,
        preserve_result=preserve_result,
        wrt_tuple=wrt_tuple,
        dout_name=dout_name,
        callee_derivative=lambda f, w, jvp=False: (JVPFunction if jvp else GradFunction)(f, wrt=w),
        plain_stack=plain_stack,
        checkpoint=checkpoint,
    )
    if real_grads:
        real_gradients(parsed, fdef, wrt_names, preserve_result, wrt_tuple, namer, ns)
    wrt_text = ", ".join(wrt_names)
    doc = f"Gradient of {fn.__qualname__} with respect to {wrt_text}; generated by srcgrad from {parsed.filename}."
    fdef.body.insert(0, ast.Expr(value=ast.Constant(value=doc)))
    debug.show("reverse", lambda: codegen.to_source(fdef))
    scalar_out = _scalar_output(fdef)
    if optimize:
        optimize_pass.optimize(
            fdef, ns.values, _static_shapes(act, namer, scalar_out, dout_name), floats=namer.adjoints().values()
        )
        debug.show("optimize", lambda: codegen.to_source(fdef))
    text = codegen.to_source(fdef)
    compiled_fn = codegen.compile_function(text, fdef.name, ns.values, fn.__qualname__)
    spec = Compiled(compiled_fn, text, collect_deps(scopes))
    spec.scalar_out = scalar_out
    spec.dout_name = dout_name
    compiled_fn.cotangent_keyword = dout_name  # what a call's dout= is, read by a function calling this code
    compiled_fn.gradient_of = None if preserve_result or real_grads else GradientOf(fn, wrt_names, bool(wrt_tuple))
    spec.inplace = aliasing.writes_in_place(normal)
    return spec


def _scalar_output(fdef):
    """True when the generated function's ``dout`` defaults to 1.0: the output is known to be a number."""
    default = fdef.args.kw_defaults[0]
    return isinstance(default, ast.Constant) and default.value == 1.0


def _static_shapes(act, namer, scalar_out, dout_name="dout"):
    """``{name: static shape}`` for the generated code: primal variables, their adjoints, and ``dout``."""
    shapes = {name: part for name, part in act.globals.items() if type(part) is tuple}  # global arrays
    shapes.update({v: () for v in act.scalar})
    shapes.update({v: s for v, s in act.shapes.items() if isinstance(s, tuple)})
    for var, adj in namer.adjoints().items():
        if var in shapes and adj not in shapes:
            shapes[adj] = shapes[var]
    if scalar_out:
        shapes[dout_name] = ()  # GradFunction.__call__ refuses a dout with axes for a scalar output
    return shapes


def transform_jvp(fn, wrt_names, key, optimize, source_text, params, scalar_extra=(), global_parts=None):
    """Run the pipeline with the forward pass; returns a ``Compiled`` JVP function (``scalar_extra``: parameters past
    ``params`` known to be numbers, a gradient's ``dout``; ``global_parts`` and the derivatives called: see ``transform``)."""
    _load_rules()
    parsed = parse_function(fn, source=source_text)
    fence.check(parsed)
    namer = Namer()
    ns = Namespace(namer)
    scalar_params, seq_params, shapes, dicts = speckey.split_key(params, key)
    scalar_params = scalar_params + list(scalar_extra)
    normal, scopes = passcache.normalized(
        parsed,
        namer,
        ns,
        {p: k for p, k in dicts.items() if k is not None},
        speckey.static_args(params, key),
        tuple_result=True,
        text_params=speckey.text_params(params, key),
        param_shapes={**{p: () for p in scalar_params}, **shapes},
        ragged_params=speckey.ragged_params(params, key),
        known_params=speckey.known_kinds(
            scalar_params, shapes, speckey.shared_params(params, key), speckey.tree_dicts(params, key)
        ),
        source=source_text,
    )
    debug.show("normalize", lambda: debug.dump_ir(normal, namer, ns))
    global_shapes = globalspec.names_in(ns.values, global_parts)
    act = activity.analyze(
        normal, wrt_names, scalar_params, seq_params, shapes, speckey.list_params(params, key), global_shapes
    )
    aliasing.check(normal, act, ns.values, speckey.shared_params(params, key), _mutable_defaults(fn))
    may_be_complex = complexity.check(normal, act, scopes, speckey.complex_params(params, key))[0]
    refuse_complex_higher_order(parsed, fn, scopes, may_be_complex)
    ns.real_values = not may_be_complex
    builder = forward_pass.Forward(
        normal,
        act,
        wrt_names,
        namer,
        ns,
        name=namer.fresh("jvp_" + normal.name),
        callee_derivative=lambda f, w: JVPFunction(f, wrt=w),
    )
    tangents = [namer.adjoint(p) for p in wrt_names]
    fdef = builder.build_jvp(tangents)
    doc = f"Forward-mode derivative (JVP) of {fn.__qualname__} along {', '.join(wrt_names)}; generated by srcgrad."
    fdef.body.insert(0, ast.Expr(value=ast.Constant(value=doc)))
    if optimize:
        optimize_pass.optimize(fdef, ns.values)
    text = codegen.to_source(fdef)
    debug.show("forward", lambda: text)
    compiled_fn = codegen.compile_function(text, fdef.name, ns.values, fn.__qualname__)
    compiled_fn.tangent_of = fn  # a recursive call of this code is not differentiated in reverse mode
    spec = Compiled(compiled_fn, text, collect_deps(scopes))
    spec.inplace = aliasing.writes_in_place(normal)
    spec.deps = spec.deps + (("global", Defaults(fn), "defaults", fn.__defaults__),)
    return spec


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

    def __init__(self, fn, wrt=0, preserve_result=False, optimize=True, verbose=False, source=None, checkpoint=False):
        inner = fn if isinstance(fn, GradFunction) else None
        if inner is not None and (inner.preserve_result or inner._wrt_tuple):
            raise TransformError(
                f"grad of {inner!r}, which returns a tuple (value_and_grad, or a tuple of "
                "gradients): a gradient needs a function returning one value"
            )
        if inner is None and not inspect.isfunction(fn):
            raise TransformError(f"srcgrad.grad needs a Python function, got {fn!r}")
        self._original = fn
        self._inner = inner  # grad(grad(f)): the generated code of ``inner`` is what this differentiates
        self.__module__, self.__name__, self.__qualname__ = fn.__module__, fn.__name__, fn.__qualname__
        self.__doc__ = f"Gradient of {fn.__qualname__} (generated by srcgrad; see .source)."
        root = inner._root if inner is not None else fn
        self._root = root  # the user's function at the bottom: its signature and defaults bind the arguments
        sig = inner._signature if inner is not None else inspect.signature(fn)
        self._signature = sig
        self._signature_of = (root.__defaults__, root.__kwdefaults__)
        self._params = [
            p.name
            for p in sig.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        ]
        self.wrt, self._wrt_tuple = resolve_wrt(root, self._params, wrt)
        self._wrt_index = [self._params.index(w) for w in self.wrt]
        self.preserve_result = preserve_result
        self.optimize = optimize
        self.verbose = verbose
        self.checkpoint = _checked_checkpoint(checkpoint)
        self._source_text = source
        self._items = None  # a wrt list of several shapes, a dict given inside a differentiated function
        if inner is None and source is None and not self.checkpoint:
            self._items = itemwise.ItemForms(
                fn, sig, self.wrt, self._wrt_tuple, preserve_result, optimize, GradFunction
            )
        self._specs = {}
        self._keys = {}  # argument shapes and kinds -> (specialisation key, nested lists in it)
        self._inplace = None  # whether f writes into arrays in place (known after the first transformation)
        self._last = None
        self._watch, self._watch_code = (), None  # where f reads data from outside its arguments (globalspec)

    def _watched(self):
        """The current values of the globals and closure cells ``globalspec.watch`` found for the function."""
        if self._inner is not None:
            return ()  # grad(grad(f)): the inner gradient's generated code is what is read (its own namespace)
        fn = self._original
        if self._watch_code is not fn.__code__:
            self._watch, self._watch_code = globalspec.watch(fn), fn.__code__
        return globalspec.current(self._watch) if self._watch else ()

    def _target(self, key):
        """``(function to differentiate, its extra parameters known to be numbers)`` for the specialisation
        ``key``: the user's function, or for ``grad(grad(f))`` the inner gradient's generated function."""
        if self._inner is None:
            return self._original, ()
        inner = self._inner._spec(key, plain_stack=True)
        return inner.fn, ((inner.dout_name,) if inner.scalar_out else ())

    def _spec(self, key, watched=(), plain_stack=False, real_grads=False):
        """The transformation for the specialisation ``key`` (made, found in the cache, or remembered here);
        ``watched``: the values of the globals it reads; ``plain_stack``: the form written to be differentiated
        again (see ``reverse``); ``real_grads``: the generated code takes the real part of real inputs'
        gradients itself (see ``transform``). The form differentiated again does not checkpoint its loops (its
        snapshots are not differentiable code; the gradient is the same)."""
        checkpoint = False if plain_stack else self.checkpoint
        fn, scalar_extra = (self._original, ()) if self._inner is None else self._target(key)
        own_key = (key, "plain") if plain_stack else key
        own_key = (own_key, "real_grads") if real_grads else own_key
        spec = self._specs.get(own_key)
        if spec is not None and (self._inner is None or spec.origin is fn) and spec.fresh(fn):
            return spec
        cache_key = (
            (code_of(fn), tuple(self.wrt), self._wrt_tuple, self.preserve_result, self.optimize, key, self._source_text)
            + (("plain",) if plain_stack else ())
            + ((("checkpoint", "sqrt" if checkpoint is True else checkpoint),) if checkpoint else ())
            + (("real_grads",) if real_grads else ())
        )
        spec = cached(cache_key, fn)
        if spec is None:
            scalar_params, seq_params, shapes, dicts = speckey.split_key(self._params, key)
            with _collector_paused():
                spec = with_complex_retry(
                    lambda: transform(
                        fn,
                        self.wrt,
                        self._wrt_tuple,
                        scalar_params + list(scalar_extra),
                        self.preserve_result,
                        self.optimize,
                        self._source_text,
                        seq_params,
                        shapes,
                        dicts,
                        speckey.ragged_params(self._params, key),
                        complex_params=speckey.complex_params(self._params, key),
                        list_params=speckey.list_params(self._params, key),
                        shared_params=speckey.shared_params(self._params, key),
                        text_params=speckey.text_params(self._params, key),
                        nested_dict_params=list(speckey.tree_dicts(self._params, key)),
                        tree_dicts=speckey.tree_dicts(self._params, key),
                        global_parts=globalspec.by_object(
                            watched, key[len(self._params) : len(self._params) + len(watched)]
                        ),
                        plain_stack=plain_stack,
                        checkpoint=checkpoint,
                        static_args=speckey.static_args(self._params, key),
                        real_grads=real_grads,
                    )
                )
            spec.deps = spec.deps + (("global", Defaults(fn), "defaults", fn.__defaults__),)
            spec.origin = fn
            remember(cache_key, spec)
            self._watch_code = None  # look for data in globals again: a new transformation may read new names
        if self.verbose and self._specs.get(own_key) is not spec:
            print(spec.source)  # this specialisation's code, the first time this GradFunction uses it
        remember_spec(self._specs, own_key, spec)
        return spec

    def inline_target(self, texts=None):
        """What a differentiated function calling this gradient differentiates through (higher order).

        Args:
            texts: ``{position: what the call knows}`` (``speckey.part_of``: a string, a number, a shape, a
                container's layout): the code is specialised on them, as a call with those arguments would be.

        Returns:
            ``(function, deps)``: the generated function (every other argument of unknown kind), and the cache
            dependencies that notice it is made again. Where complex values flow (``COMPLEX_INLINE``), every
            argument may be complex and the code gives real inputs the real part of their gradients itself.

        Raises:
            TransformError: complex values flow into a gradient of a gradient.
        """
        key = tuple(speckey.part_of(texts[i]) if texts and i in texts else 0 for i in range(len(self._params)))
        complex_form = COMPLEX_INLINE.get()
        if complex_form:
            if self._inner is not None:
                raise TransformError(
                    f"a function calling {self._original!r} (a gradient of a gradient) where "
                    "complex values may flow is not differentiable by the compiler; use dynamic "
                    "mode (Tensors and srcgrad.autograd.grad(..., create_graph=True))"
                )
            key = key + (frozenset(range(len(self._params))),)
        fn = self._spec(key, plain_stack=True, real_grads=complex_form).fn
        return fn, (
            ("global", Current(lambda: self._spec(key, plain_stack=True, real_grads=complex_form).fn), "generated", fn),
        )

    def items_target(self, positional, keywords, call_site):
        """What a function calling this gradient with containers whose items it knows reads in its place
        (``itemwise.ItemForms.target``); ``None`` for a gradient of a gradient, of source text, or checkpointed."""
        return None if self._items is None else self._items.target(positional, keywords, call_site)

    def __call__(self, *args, **kwargs):
        dout = kwargs.pop("dout", None)
        if kwargs or len(args) < len(self._params):
            fn = self._root
            if self._signature_of != (fn.__defaults__, fn.__kwdefaults__):  # defaults changed since
                self._signature = inspect.signature(fn)
                self._signature_of = (fn.__defaults__, fn.__kwdefaults__)
            bound = self._signature.bind(*args, **kwargs)
            bound.apply_defaults()
            args = tuple(bound.arguments[p] for p in self._params)
        watched = self._watched()  # globals and closure values, specialised on as arguments are
        key, lists = self._key_of(args, watched)
        if self._items is not None and any(type(k) is speckey.Ragged for k in key):  # arrays of several shapes:
            by_items = self._items.call(args, key, dout)  # the gradient is a list or tuple of their gradients
            if by_items is not None:
                return by_items
        if lists:
            args = speckey.as_arrays(args, key)
        for i in self._wrt_index:
            a = args[i]
            if type(a) is np.ndarray and a.dtype.kind in "biu":
                raise TypeError(
                    f"srcgrad.grad of {self._original.__qualname__} with respect to {self._params[i]}, an array of "
                    f"{a.dtype} (integers do not have gradients, and an adjoint kept in their dtype would be "
                    f"truncated): pass floats, e.g. {self._params[i]}.astype(float)"
                )
        spec = self._spec(key, watched)
        self._last = spec
        self._inplace = spec.inplace
        if dout is not None and spec.scalar_out and np.ndim(dout) != 0:
            raise ValueError(
                f"dout has shape {np.shape(dout)}, but {self._original.__qualname__} returns a "
                "number: pass a number (or an array of shape ())"
            )
        try:
            out = spec.fn(*args) if dout is None else spec.fn(*args, **{spec.dout_name: dout})
        except Exception as err:
            annotate(err, spec.fn, spec.origin or self._original)  # name the user's line and the generated statement
            raise
        return self._match_dtypes(args, out)

    def _key_of(self, args, watched):
        """``(specialisation key, whether nested lists go to the generated code as arrays)`` for ``args`` and the
        ``watched`` globals: one dict lookup from their kinds and shapes (``speckey.key`` runs the first time a
        combination is seen). Shared by ``JVPFunction``, which keeps its own table in ``_keys``."""
        shared = self._inplace is not False  # arguments sharing memory matter only to in-place writes
        numbers = speckey.NUMBER_TYPES
        raw = tuple(
            [a.shape if type(a) is np.ndarray else 1 if type(a) in numbers else speckey.kind(a) for a in args]
            + [a.shape if type(a) is np.ndarray else speckey.extra_kind(a) for a in watched]
            + [
                speckey.shared_args(args) if shared else None,
                complexity.complex_mask(args + speckey.specialised(watched) if watched else args),
            ]
        )
        entry = self._keys.get(raw)
        if entry is None:
            key = speckey.key(args, shared, watched)
            entry = (key, any(isinstance(k, speckey.ListShape) for k in key))
            if 3 not in raw and 4 not in raw and 5 not in raw and len(self._keys) < 64:  # the key holds shapes
                self._keys[raw] = entry
        return entry

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
            if type(a) in speckey.NUMBER_TYPES and type(g) in speckey.NUMBER_TYPES:
                continue
            if type(a) is complex and np.ndim(g) == 0 and not np.iscomplexobj(g):  # a complex number: a complex one
                if fixed is None:
                    fixed = list(grads)
                fixed[k] = complex(g)
                continue
            if np.iscomplexobj(g) and not np.iscomplexobj(a):  # a real input gets the real part (PyTorch's rule)
                g = np.real(g)
                g = float(g) if type(a) in speckey.NUMBER_TYPES and np.ndim(g) == 0 else g
                if fixed is None:
                    fixed = list(grads)
                fixed[k] = g
            if type(a) is list or type(a) is tuple:  # of numbers (or nested): the gradient is an array of its shape
                wrong = speckey.kind(a) in (2, 5) and np.shape(g) != np.shape(a)
            else:
                wrong = (
                    (np.shape(g) != np.shape(a))
                    if type(a) is np.ndarray
                    else (type(a) in speckey.NUMBER_TYPES and np.ndim(g))
                )
            if wrong:
                raise SrcgradError(
                    f"the gradient with respect to {self._params[i]} came out with shape {np.shape(g)} for an "
                    f"argument of shape {np.shape(a)}: an argument is not what the specialisation assumed (a list "
                    "of numbers with an array in it?)"
                )
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
        """The generated source specialised for these arguments (Python numbers vs arrays).

        Like ``.source`` before any call and ``srcgrad show``, it is not specialised on the data the function
        reads from globals and closures (a call is: see ``globalspec``), so it reads the same whatever they hold.
        """
        return self._spec(speckey.key(args)).source

    @property
    def function(self):
        """The generated Python function of the last specialisation (``inspect.getsource`` works on it)."""
        if self._last is None:
            self.source
        return self._last.fn

    def __repr__(self):
        return f"<GradFunction of {self._original.__qualname__} wrt {', '.join(self.wrt)}>"


class JVPFunction:
    """Forward mode of a function: call with its arguments then the tangent(s); returns ``(value, tangent_out)``.

    ``.source`` is the generated code, ``__wrapped__`` the original function
    (to ``inspect`` the generated one, so ``inspect.getsource`` shows the code that runs).
    """

    _srcgrad_jvp = True
    __wrapped__ = WrappedOriginal()

    def __init__(self, fn, wrt=0, optimize=True, verbose=False, source=None):
        inner = fn if isinstance(fn, GradFunction) else None
        if inner is not None and (inner.preserve_result or inner._wrt_tuple):
            raise TransformError(
                f"jvp of {inner!r}, which returns a tuple (value_and_grad, or a tuple of gradients), is not supported"
            )
        if inner is None and not inspect.isfunction(fn):
            raise TransformError(f"srcgrad.jvp needs a Python function, got {fn!r}")
        self._original = fn
        self._inner = inner  # jvp(grad(f)) (forward over reverse): the inner gradient's generated code
        self.__module__, self.__name__, self.__qualname__ = fn.__module__, fn.__name__, fn.__qualname__
        root = inner._root if inner is not None else fn
        self._root = root
        sig = inner._signature if inner is not None else inspect.signature(fn)
        self._signature = sig
        self._signature_of = (root.__defaults__, root.__kwdefaults__)
        self._params = [
            p.name
            for p in sig.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        ]
        self.wrt, self._tuple = resolve_wrt(root, self._params, wrt)
        self.optimize, self.verbose, self._source_text = optimize, verbose, source
        self._specs = {}
        self._last = None
        self._inplace = None  # whether f writes into arrays in place (known after the first transformation)
        self._watch, self._watch_code = (), None  # where f reads data from outside its arguments (globalspec)
        self._keys = {}  # argument kinds and shapes -> (specialisation key, nested lists in it), see _key_of

    _watched = GradFunction._watched
    _key_of = GradFunction._key_of

    def _target(self, key):
        """``(function, extra parameters known to be numbers, values passed for its extra parameters)``: the
        user's function, or for ``jvp(grad(f))`` the inner gradient's generated function (whose keyword-only
        ``dout`` takes its default)."""
        if self._inner is None:
            return self._original, (), ()
        inner = self._inner._spec(key, plain_stack=True)
        return inner.fn, ((inner.dout_name,) if inner.scalar_out else ()), (inner.fn.__kwdefaults__[inner.dout_name],)

    def _spec(self, key, watched=()):
        """The transformation for the specialisation ``key`` (``watched``: the values of the globals it reads)."""
        fn, scalar_extra, _ = (self._original, (), ()) if self._inner is None else self._target(key)
        spec = self._specs.get(key)
        if spec is not None and (self._inner is None or spec.origin is fn) and spec.fresh(fn):
            return spec
        # Shared with every JVPFunction of fn (a recursive function's JVP makes one per transformation).
        cache_key = ("jvp", code_of(fn), tuple(self.wrt), self.optimize, key, self._source_text)
        spec = cached(cache_key, fn)
        if spec is None:
            n = len(self._params)
            with _collector_paused():
                spec = with_complex_retry(
                    lambda: transform_jvp(
                        fn,
                        self.wrt,
                        key,
                        self.optimize,
                        self._source_text,
                        self._params,
                        scalar_extra,
                        global_parts=globalspec.by_object(watched, key[n : n + len(watched)]),
                    )
                )
            spec.origin = fn
            remember(cache_key, spec)
            self._watch_code = None  # look for data in globals again: a new transformation may read new names
        if self.verbose and self._specs.get(key) is not spec:
            print(spec.source)
        remember_spec(self._specs, key, spec)
        return spec

    def __call__(self, *args, **kwargs):
        """``(value, tangent_out)`` for the function's arguments followed by the tangent.

        Arguments with defaults may be left out or passed by keyword, as in a
        call of the function itself; the last positional argument is the tangent.
        """
        n = len(self._params)
        if not args:
            raise TypeError(f"the JVP of {self._original.__name__} takes its arguments and then the tangent")
        primals, tangent = args[:-1], args[-1]
        if len(primals) != n or kwargs:
            bound = self._current_signature().bind(*primals, **kwargs)
            bound.apply_defaults()
            primals = tuple(bound.arguments[p] for p in self._params)
        tangents = tuple(tangent) if self._tuple else (tangent,)
        if len(tangents) != len(self.wrt):
            raise TypeError(f"expected {len(self.wrt)} tangents, one per wrt parameter")
        watched = self._watched()  # globals and closure values, specialised on as arguments are
        key, lists = self._key_of(primals, watched)
        spec = self._spec(key, watched)
        self._last = spec
        self._inplace = spec.inplace
        extra = self._target(key)[2] if self._inner is not None else ()
        try:
            return spec.fn(*(speckey.as_arrays(primals, key) if lists else primals), *extra, *tangents)
        except Exception as err:
            annotate(err, spec.fn, spec.origin or self._original)  # name the user's line and the generated statement
            raise

    @property
    def tangent_tuple(self):
        """True when the tangents come as one tuple (a tuple ``wrt``); the generated function takes them one by one."""
        return self._tuple

    def inline_target(self, texts=None):
        """What a differentiated function calling this JVP differentiates through (see ``GradFunction``).

        Args:
            texts: ``{position: what the call knows}`` (see ``GradFunction.inline_target``).

        Returns:
            ``(function, deps)``: the generated function and the cache dependencies that notice it is made again.
        """
        key = tuple(speckey.part_of(texts[i]) if texts and i in texts else 0 for i in range(len(self._params)))
        if self._inner is not None:
            raise TransformError(
                f"a function calling {self._original!r}'s JVP is not differentiable by the "
                "compiler yet: call srcgrad.hvp, or differentiate the gradient itself"
            )
        if COMPLEX_INLINE.get():  # complex values flow: every argument may be complex (tangents need no fixing)
            key = key + (frozenset(range(len(self._params))),)
        fn = self._spec(key).fn
        return fn, (("global", Current(lambda: self._spec(key).fn), "generated", fn),)

    def _current_signature(self):
        """f's signature, read again when its defaults were reassigned since (a left-out argument takes the new one)."""
        fn = self._root
        if self._signature_of != (fn.__defaults__, fn.__kwdefaults__):
            self._signature = inspect.signature(fn)
            self._signature_of = (fn.__defaults__, fn.__kwdefaults__)
        return self._signature

    @property
    def source(self):
        """The generated source (of the last specialisation called, else the general one)."""
        if self._last is None:
            self._last = self._spec((0,) * len(self._params))
        return self._last.source

    def source_for(self, *args, **kwargs):
        """The generated source specialised for these arguments of the function (no tangent; nothing runs)."""
        bound = self._current_signature().bind(*args, **kwargs)
        bound.apply_defaults()
        return self._spec(speckey.key(tuple(bound.arguments[p] for p in self._params))).source

    @property
    def function(self):
        """The generated Python function of the last specialisation (``inspect.getsource`` and pdb show it)."""
        self.source
        return self._last.fn


@overload
def jvp(
    fn: Callable[..., Any], wrt: Wrt = 0, *, optimize: bool = True, verbose: bool = False, source: str | None = None
) -> JVPFunction: ...
@overload
def jvp(
    fn: None = None, wrt: Wrt = 0, *, optimize: bool = True, verbose: bool = False, source: str | None = None
) -> Callable[[Callable[..., Any]], JVPFunction]: ...
def jvp(fn=None, wrt=0, *, optimize=True, verbose=False, source=None):  # noqa: E302
    """Forward mode: a function returning ``(value, tangent_out)`` from ``(*args, tangent)``.

    Args:
        fn: a Python function of numpy arrays and numbers.
        wrt: the parameter (index or name) the tangent belongs to, or a tuple
            (then ``tangent`` is a tuple with one tangent each).
        optimize, verbose, source: as for ``grad``.

    Returns:
        A ``JVPFunction``.

    Raises:
        TransformError: ``fn`` uses a construct outside the supported subset.
    """
    if fn is None:
        return lambda f: jvp(f, wrt, optimize=optimize, verbose=verbose, source=source)
    if inspect.ismethod(fn):  # jvp(model.f): the class's function, self passed on every call
        return BoundGradFunction(fn, wrt, lambda f, w: JVPFunction(f, w, optimize, verbose, source))
    return JVPFunction(fn, wrt, optimize, verbose, source)


@overload
def grad(
    fn: Callable[..., Any],
    wrt: Wrt = 0,
    *,
    preserve_result: bool = False,
    optimize: bool = True,
    verbose: bool = False,
    source: str | None = None,
    checkpoint: bool | int = False,
) -> GradFunction: ...
@overload
def grad(
    fn: None = None,
    wrt: Wrt = 0,
    *,
    preserve_result: bool = False,
    optimize: bool = True,
    verbose: bool = False,
    source: str | None = None,
    checkpoint: bool | int = False,
) -> Callable[[Callable[..., Any]], GradFunction]: ...
def grad(
    fn=None,
    wrt=0,
    *,
    preserve_result=False,
    optimize=True,
    verbose=False,
    source=None,  # noqa: E302
    checkpoint=False,
):
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
        checkpoint: loops at the top level of ``fn`` keep a snapshot of what
            they carry every ~sqrt(T) iterations instead of every iteration's
            values, and the adjoint sweep runs each stretch again: memory like
            sqrt(T) for a T-step recurrence, for about one more forward pass.
            A loop that cannot be checkpointed gives a ``CheckpointWarning``.
            A number ``n`` instead of ``True``: range loops keep at most ``n``
            snapshots, placed by the binomial schedule (revolve), for more
            runs of each step (``while`` loops keep the sqrt(T) schedule).

    Returns:
        A ``GradFunction``: call it with ``fn``'s arguments (and keyword-only
        ``dout``, the output cotangent, needed when the output is not scalar).
        Each gradient has its input's type and shape.

    Raises:
        TransformError: ``fn`` uses a construct outside the supported subset
            (raised on first call, naming the user's file and line).
        NoRuleError: a function with no rule and no source is on a path to the output.
        ValueError: ``checkpoint`` is neither a bool nor a whole number of at least 1.
    """
    if fn is None:
        _checked_checkpoint(checkpoint)
        return lambda f: grad(
            f,
            wrt,
            preserve_result=preserve_result,
            optimize=optimize,
            verbose=verbose,
            source=source,
            checkpoint=checkpoint,
        )
    if inspect.ismethod(fn):  # grad(model.loss): the class's function, self passed on every call
        return BoundGradFunction(
            fn, wrt, lambda f, w: GradFunction(f, w, preserve_result, optimize, verbose, source, checkpoint)
        )
    return GradFunction(fn, wrt, preserve_result, optimize, verbose, source, checkpoint)


def _checked_checkpoint(checkpoint):
    """``grad``'s ``checkpoint``: a bool, or a whole number of snapshots of at least 1."""
    if isinstance(checkpoint, bool):
        return checkpoint
    if isinstance(checkpoint, numbers.Integral) and checkpoint >= 1:
        return int(checkpoint)
    raise ValueError(
        f"srcgrad.grad(checkpoint={checkpoint!r}): checkpoint is True, False, or the most snapshots a loop "
        "may keep at once (a whole number of at least 1)"
    )


@overload
def value_and_grad(
    fn: Callable[..., Any], wrt: Wrt = 0, *, optimize: bool = True, verbose: bool = False, source: str | None = None
) -> GradFunction: ...
@overload
def value_and_grad(
    fn: None = None, wrt: Wrt = 0, *, optimize: bool = True, verbose: bool = False, source: str | None = None
) -> Callable[[Callable[..., Any]], GradFunction]: ...
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
