"""HIPS autograd's checking API, mapped onto srcgrad, for running a peer's tests.

``tools/peer_autograd.py`` rewrites a peer's test files so that
``from autograd import grad`` reads ``from peer_shim import grad`` and
``import autograd.numpy as np`` reads ``import numpy as np``; the functions
under test are then plain numpy. This module gives those names a meaning in
one of two modes, chosen by the environment variable ``SRCGRAD_PEER_MODE``:

* ``static``: every derivative comes from the compiler (``srcgrad.grad``,
  ``srcgrad.jvp``). The compiler reads source, so each request is a small
  function written to a real file under ``SRCGRAD_PEER_GEN`` that calls the
  function under test with its keyword arguments spelled out; a derivative of
  a derivative calls the compiled ``GradFunction``/``JVPFunction``.
* ``dynamic``: the inputs become ``srcgrad.Tensor``s, the function runs on the
  tape, and ``srcgrad.autograd.grad`` gives the derivative (``create_graph=True``
  when the call is itself being differentiated; forward mode is the
  double-backward trick).

Nothing srcgrad computes is trusted: every derivative a test asks for (a
gradient, a VJP, a JVP, a Jacobian) is judged, when the call is not itself
being differentiated, against central finite differences of the function
under test along a random direction. A disagreement is recorded in
``WRONG`` and raised as ``WrongGradient``; the pytest plugin in
``peer_autograd.py`` reports the test as wrong even if the test swallowed it.
"""

import importlib.util
import itertools
import numbers
import os
import sys
import tempfile
import types
import warnings

import numpy as np

import srcgrad
from srcgrad import Tensor

try:  # scipy's rules (srcgrad[scipy]); the scipy tests need them
    import srcgrad.rules.scipy_rules

    srcgrad.rules.scipy_rules.load()
except ImportError:
    pass

MODE = os.environ.get("SRCGRAD_PEER_MODE", "static")
GEN_DIR = os.environ.get("SRCGRAD_PEER_GEN") or tempfile.mkdtemp(prefix="srcgrad-peer-gen-")
os.makedirs(GEN_DIR, exist_ok=True)

WRONG = []
"""Messages of the gradients judged wrong during the current test."""

_RNG = np.random.RandomState(20240610)  # the tests' own seeds stay untouched


COUNT = [0]

DEFERRED = []
"""Refusals met while checking a derivative of a derivative (check_grads, order > 1):
the test goes on with its first-order checks, and is reported refused at the end."""
"""How many derivatives the current test asked srcgrad for."""


class WrongGradient(Exception):
    """A derivative srcgrad gave disagrees with finite differences."""


class NotApplicable(Exception):
    """The test uses a piece of HIPS autograd's internals that srcgrad has no counterpart for."""


def _not_applicable(name):
    def stand_in(*args, **kwargs):
        raise NotApplicable(f"uses HIPS's {name}")

    stand_in.__name__ = name
    return stand_in


primitive = _not_applicable("primitive")
defvjp = _not_applicable("defvjp")
vspace = _not_applicable("vspace")
const_graph = _not_applicable("const_graph")
flatten = _not_applicable("flatten")
make_ggnvp = _not_applicable("make_ggnvp")
quick_grad_check = _not_applicable("quick_grad_check")


class _NotApplicableTable(dict):
    def pop(self, *args):
        raise NotApplicable("uses HIPS's primitive_vjps")


primitive_vjps = _NotApplicableTable()

# autograd.builtins / autograd's container constructors and isinstance: with
# srcgrad, containers of Tensors are plain Python containers.
import builtins as _builtins  # noqa: E402

tuple = _builtins.tuple
list = _builtins.list
dict = _builtins.dict
isinstance = _builtins.isinstance


# ---------------------------------------------------------------------------
# Values: arrays, numbers, and tuples/lists/dicts of them (HIPS's vspaces).


def _is_container(x):
    return isinstance(x, (tuple, list, dict))


def leaves(x):
    """The arrays and numbers of ``x`` in a fixed order."""
    if isinstance(x, dict):
        return [leaf for k in x for leaf in leaves(x[k])]
    if isinstance(x, (tuple, list)):
        return [leaf for item in x for leaf in leaves(item)]
    return [x]


def rebuild(x, new):
    """``x``'s structure with its leaves taken from the iterator ``new``."""
    if isinstance(x, dict):
        return type(x)((k, rebuild(x[k], new)) for k in x)
    if isinstance(x, (tuple, list)):
        return type(x)(rebuild(item, new) for item in x)
    return next(new)


def _plain(leaf):
    """A leaf as a numpy value (a Tensor's data)."""
    if isinstance(leaf, Tensor):
        return leaf.detach().numpy()
    return leaf


def _as_float(leaf):
    if isinstance(leaf, (bool, np.bool_)):
        return leaf
    if isinstance(leaf, numbers.Integral):
        return float(leaf)
    if isinstance(leaf, np.ndarray) and leaf.dtype.kind in "iu":
        return leaf.astype(float)
    return leaf


def _is_complex(leaf):
    return np.iscomplexobj(leaf)


def randn_like(x):
    """A random value of ``x``'s structure and shapes (complex where ``x`` is)."""

    def one(leaf):
        shape = np.shape(leaf)
        r = _RNG.randn(*shape)
        if _is_complex(leaf):
            r = r + 1j * _RNG.randn(*shape)
        return r if shape else r[()] if isinstance(r, np.ndarray) else r

    return rebuild(x, iter([one(_plain(leaf)) for leaf in leaves(x)]))


def ones_like(x):
    return rebuild(x, iter([np.ones_like(_plain(leaf), dtype=float) if np.ndim(leaf) else 1.0 for leaf in leaves(x)]))


def _vector(x):
    parts = [np.ravel(np.asarray(_plain(leaf))) for leaf in leaves(x)]
    if not parts:
        return np.zeros(0)
    return np.concatenate([p.astype(complex if _is_complex(p) else float) for p in parts])


def inner(a, b):
    """The real inner product of two values of the same size (complex as pairs of reals)."""
    va, vb = _vector(a), _vector(b)
    if va.size != vb.size:
        raise WrongGradient(f"a derivative has {va.size} numbers where {vb.size} were expected")
    return float(np.real(np.vdot(va, vb)))


def axpy(x, v, h):
    """``x + h * v`` leaf by leaf."""
    return rebuild(x, iter([_as_float(_plain(a)) + h * b for a, b in zip(leaves(x), leaves(v))]))


# ---------------------------------------------------------------------------
# The judge: central finite differences, never srcgrad.

_STEPS = (1e-6, 1e-4, 1e-5, 1e-7)


IN_FD = [0]
"""Nonzero while finite differences evaluate a function: a derivative computed there (the function is
itself a derivative, at a shifted point) is not judged again; it was judged at the point itself."""


def _fd(F, x, v, h):
    IN_FD[0] += 1
    try:
        plus, minus = F(axpy(x, v, h)), F(axpy(x, v, -h))
    finally:
        IN_FD[0] -= 1
    return rebuild(plus, iter([(_numeric(p) - _numeric(m)) / (2 * h) for p, m in zip(leaves(plus), leaves(minus))]))


def _numeric(leaf):
    leaf = np.asarray(_plain(leaf))
    return leaf if leaf.dtype.kind in "fc" else leaf.astype(float)


def _close(a, b, scale):
    if np.isnan(a) and np.isnan(b):
        return True
    return abs(a - b) <= 1e-5 * (abs(a) + abs(b)) + 1e-6 * (1.0 + scale)


def _as_given(claimed, expected):
    """``expected`` as srcgrad gives its derivative: a list argument's gradient is one array of np.array(lst)'s
    shape, for a list of one item too (whose leaves would otherwise be matched one to one)."""
    one = isinstance(expected, (tuple, list)) and len(expected) == 1 and not _is_container(expected[0])
    if one and not _is_container(claimed):
        return np.expand_dims(np.asarray(_plain(expected[0])), 0)
    return expected


def _check_shapes(what, claimed, expected):
    if isinstance(claimed, tuple) and isinstance(expected, tuple) and len(claimed) == len(expected):
        expected = tuple(_as_given(c, e) for c, e in zip(claimed, expected))  # one per differentiated argument
    cl, ex = leaves(claimed), leaves(expected)
    if len(cl) == len(ex):
        for c, e in zip(cl, ex):
            if _is_complex(_plain(c)) and not _is_complex(_plain(e)):
                _wrong(f"{what}: a complex derivative for a real value")
            if np.shape(_plain(c)) != np.shape(_plain(e)):
                _wrong(
                    f"{what}: a derivative of shape {np.shape(_plain(c))} for a value of shape {np.shape(_plain(e))}"
                )
    elif _vector(claimed).size != _vector(expected).size:
        _wrong(f"{what}: a derivative with {_vector(claimed).size} numbers for a value with {_vector(expected).size}")


def _wrong(message):
    WRONG.append(message)
    raise WrongGradient(message)


def describe(x):
    """``float64 (3, 2)``-style summary of a value's leaves, for messages."""
    parts = []
    for leaf in leaves(x):
        leaf = _plain(leaf)
        kind = (
            type(leaf).__name__
            if np.ndim(leaf) == 0 and not isinstance(leaf, np.ndarray)
            else f"{np.asarray(leaf).dtype} {np.shape(leaf)}"
        )
        parts.append(kind)
    return ", ".join(parts) if len(parts) < 6 else ", ".join(parts[:5]) + ", ..."


def _jumps(estimates):
    """True when finite differences grow like 1/h: ``F`` jumps at ``x`` (a comparison, a floor)."""
    e4, e6 = abs(estimates[1]), abs(estimates[0])  # steps 1e-4 and 1e-6
    return e6 > 1e3 and e6 > 30 * e4


UNJUDGED = []
"""Derivatives of functions that jump at the point (finite differences cannot judge them)."""


def judge_vjp(what, F, x, u, g):
    """Check ``<g, v> == <u, dF(x)[v]>`` for a random ``v`` (``g`` is the claimed VJP of ``u``)."""
    _check_shapes(what, g, x)
    v = randn_like(x)
    claimed = inner(g, v)
    scale = float(np.linalg.norm(_vector(g)) * np.linalg.norm(_vector(v)))
    seen = []
    for h in _STEPS:
        numeric = inner(u, _fd(F, x, v, h))
        if _close(claimed, numeric, scale):
            return
        seen.append(numeric)
    if _jumps(seen):
        UNJUDGED.append(what)
        return
    _wrong(f"{what} at {describe(x)}: <vjp, v> = {claimed!r} but finite differences give {seen[0]!r}")


def judge_jvp(what, F, x, v, t):
    """Check that ``t`` is the directional derivative of ``F`` at ``x`` along ``v``."""
    w = None
    seen = []
    for h in _STEPS:
        numeric = _fd(F, x, v, h)
        if w is None:
            _check_shapes(what, t, numeric)
            w = randn_like(numeric)
        a, b = inner(w, t), inner(w, numeric)
        scale = float(np.linalg.norm(_vector(t)) * np.linalg.norm(_vector(w)))
        if _close(a, b, scale):
            return
        seen.append((a, b))
    if _jumps([b for _, b in seen]):
        UNJUDGED.append(what)
        return
    _wrong(f"{what} at {describe(x)}: <w, jvp> = {seen[0][0]!r} but finite differences give {seen[0][1]!r}")


# ---------------------------------------------------------------------------
# Static mode: small functions written to real files, compiled by srcgrad.

_GEN_COUNT = itertools.count()
_GEN_CACHE = {}
_LITERALS = (bool, int, float, str, type(None))


def _literal(value):
    """Source text for a constant keyword value, or None when it needs a global."""
    if type(value) in _LITERALS and not (isinstance(value, float) and not np.isfinite(value)):
        return repr(value)
    if type(value) is tuple and all(type(v) in _LITERALS for v in value):
        return repr(value)
    return None


def _ident(name):
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in (name or "fun"))
    return name if name and not name[0].isdigit() and name != "lambda" else "fun_" + name.strip("_")


def make_function(name, params, body, bindings):
    """Write ``def name(params): body`` to a file, load it with ``bindings`` as globals.

    Returns:
        The function; its source is readable by ``inspect`` (the compiler's parse).
    """
    n = next(_GEN_COUNT)
    name = _ident(name)
    path = os.path.join(GEN_DIR, f"peer_gen_{n}_{name}.py")
    text = "import numpy as np\n\n\ndef {}({}):\n{}\n".format(
        name, ", ".join(params), "\n".join("    " + line for line in body)
    )
    with open(path, "w") as f:
        f.write(text)
    module_name = f"peer_gen_{n}_{name}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    module.__dict__.update(bindings)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return getattr(module, name)


def _call_text(nargs, kwargs, bindings, fun_name="FUN"):
    """``FUN(a0, a1, k=...)`` with each keyword a literal or a bound global."""
    parts = [f"a{i}" for i in range(nargs)]
    for k, (key, value) in enumerate(sorted(kwargs.items())):
        text = _literal(value)
        if text is None:
            text = f"KW{k}"
            bindings[text] = value
        parts.append(f"{key}={text}")
    return f"{fun_name}({', '.join(parts)})"


def _fun_name(fun):
    return getattr(fun, "__name__", None) or type(fun).__name__


def _static_fun(fun, nargs, kwargs):
    """What a generated function may call for ``fun``: itself, or a derivative's compiled form."""
    if isinstance(fun, Derived):
        return fun.static_callable(nargs, kwargs), {}
    if isinstance(fun, Composed):
        return fun.function(nargs, static=True), kwargs
    return fun, kwargs


class Composed:
    """A function the peer's API builds around others (``hessian_tensor_product``'s
    ``vector_dot_grad``), written as source so that the compiler can read it.

    ``body`` is a ``return`` expression over ``{args}`` (the first ``nargs -
    n_extra`` parameters, comma-separated), ``{extra0}``, ... and the names in
    ``deps``, which are called with ``{args}``. In static mode those names are
    bound to the compiled forms of the deps, otherwise to the deps themselves.
    """

    def __init__(self, name, body, deps, n_extra=0):
        self.__name__, self.body, self.deps, self.n_extra = name, body, deps, n_extra
        self._made = {}

    def function(self, nargs, static):
        key = (nargs, static)
        if key not in self._made:
            n = nargs - self.n_extra
            params = [f"a{i}" for i in range(n)] + [f"e{k}" for k in range(self.n_extra)]
            bindings = {name: (_static_fun(dep, n, {})[0] if static else dep) for name, dep in self.deps.items()}
            text = self.body.format(args=", ".join(params[:n]), **{f"extra{k}": f"e{k}" for k in range(self.n_extra)})
            self._made[key] = make_function(self.__name__, params, [f"return {text}"], bindings)
        return self._made[key]

    def __call__(self, *args, **kwargs):
        if kwargs:
            raise TypeError(f"{self.__name__} takes no keyword arguments here")
        return self.function(len(args), static=False)(*args)


def static_target(fun, nargs, kwargs):
    """``def fun(a0, ..): return FUN(a0, .., kw=...)`` (cached)."""
    key = ("target", _key(fun), nargs, _kwkey(kwargs))
    hit = _GEN_CACHE.get(key)
    if hit is None:
        callee, kw = _static_fun(fun, nargs, kwargs)
        bindings = {"FUN": callee}
        body = [f"return {_call_text(nargs, kw, bindings)}"]
        hit = _GEN_CACHE[key] = make_function(_fun_name(fun), [f"a{i}" for i in range(nargs)], body, bindings)
        hit._peer_fun = fun  # keep fun alive: the key holds its id (a freed one's id is reused by a later test's)
    return hit


def static_dot_target(fun, nargs, kwargs, out):
    """``def fun_dot(a0, .., u0, ..): return <u, FUN(a0, ..)>`` for an output that is a container."""
    key = ("dot", _key(fun), nargs, _kwkey(kwargs), _structure(out))
    hit = _GEN_CACHE.get(key)
    if hit is None:
        callee, kw = _static_fun(fun, nargs, kwargs)
        bindings = {"FUN": callee}
        paths = _paths(out)
        terms = []
        for k, (path, leaf) in enumerate(paths):
            item = "y" + "".join(f"[{p!r}]" for p in path)
            if _is_complex(_plain(leaf)):
                terms.append(f"np.sum(np.real(np.conj(u{k}) * {item}))")
            else:
                terms.append(f"np.sum({item} * u{k})")
        body = [f"y = {_call_text(nargs, kw, bindings)}", "return " + " + ".join(terms or ["0.0"])]
        params = [f"a{i}" for i in range(nargs)] + [f"u{k}" for k in range(len(paths))]
        hit = _GEN_CACHE[key] = make_function(_fun_name(fun) + "_dot", params, body, bindings)
        hit._peer_fun = fun  # keep fun alive: the key holds its id
    return hit


def _paths(x, prefix=()):
    if isinstance(x, dict):
        return [p for k in x for p in _paths(x[k], prefix + (k,))]
    if isinstance(x, (tuple, list)):
        return [p for i, item in enumerate(x) for p in _paths(item, prefix + (i,))]
    return [(prefix, x)]


def _structure(x):
    if isinstance(x, dict):
        return ("dict", tuple((k, _structure(x[k])) for k in x))
    if isinstance(x, (tuple, list)):
        return (type(x).__name__, tuple(_structure(i) for i in x))
    return "complex" if _is_complex(_plain(x)) else "leaf"  # (the dot's terms differ: static_dot_target)


def _key(fun):
    return ("id", id(fun)) if not isinstance(fun, Derived) else fun.key


def _kwkey(kwargs):
    return tuple(sorted((k, _literal(v) or ("id", id(v))) for k, v in kwargs.items()))


def _wrt(argnums):
    return argnums[0] if len(argnums) == 1 else tuple(argnums)


def static_vjp(fun, argnums, args, kwargs, u, out):
    """The VJP of ``u`` through ``fun`` w.r.t. ``args[argnums]``, by ``srcgrad.grad``."""
    if _is_container(out):
        target = static_dot_target(fun, len(args), kwargs, out)
        extra, call_args = list(leaves(u)), list(args)
    else:
        target = static_target(fun, len(args), kwargs)
        extra, call_args = [], list(args)
    ragged = [i for i in argnums if _ragged(args[i])]
    if not ragged:
        df = _static_grad(target, argnums)
        grads = df(*call_args, *extra) if extra else df(*call_args, dout=u)
        return grads if len(argnums) > 1 else (grads,)
    # srcgrad.grad takes arrays of several shapes as separate arguments (its message says so): one per leaf
    flat, positions = flat_target(target, call_args + extra, ragged)
    flat_nums = tuple(k for i in argnums for k in positions[i])
    df = _static_grad(flat, flat_nums)
    flat_args = [leaf for i, a in enumerate(call_args + extra) for leaf in (leaves(a) if i in ragged else [a])]
    got = df(*flat_args) if extra else df(*flat_args, dout=u)
    got = iter(got if len(flat_nums) > 1 else (got,))
    return tuple(rebuild(args[i], got) if i in ragged else next(got) for i in argnums)


def _ragged(x):
    """A tuple or list holding a dict (at any depth): ``srcgrad.grad`` refuses it as a differentiated argument and
    asks for separate arguments. (Lists and tuples of arrays of several shapes, nested at any depth, it takes as
    they are, and gives their gradients in the same layout.)"""
    if not isinstance(x, (tuple, list)) or not x:
        return False
    return any(isinstance(item, dict) or (isinstance(item, (tuple, list)) and _ragged(item)) for item in x)


def _literal_of(x, names):
    """Source text rebuilding ``x``'s structure from the parameter names in the iterator ``names``."""
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k!r}: {_literal_of(x[k], names)}" for k in x) + "}"
    if isinstance(x, (tuple, list)):
        items = [_literal_of(item, names) for item in x]
        if isinstance(x, list):
            return "[" + ", ".join(items) + "]"
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    return next(names)


def flat_target(target, args, ragged):
    """``def flat(a0, a1_0, a1_1, ..): return T(a0, (a1_0, a1_1), ..)``: the arguments at ``ragged`` taken leaf
    by leaf. Returns the function and, per argument, the positions of its parameters."""
    key = ("flat", id(target), tuple(_structure(a) if i in ragged else None for i, a in enumerate(args)))
    params, positions, call = [], {}, []
    for i, a in enumerate(args):
        if i in ragged:
            names = [f"a{i}_{k}" for k in range(len(leaves(a)))]
            positions[i] = tuple(range(len(params), len(params) + len(names)))
            params += names
            call.append(_literal_of(a, iter(names)))
        else:
            positions[i] = (len(params),)
            params.append(f"a{i}")
            call.append(f"a{i}")
    hit = _GEN_CACHE.get(key)
    if hit is None:
        hit = make_function(target.__name__ + "_flat", params, [f"return T({', '.join(call)})"], {"T": target})
        hit._peer_target = target  # keep the target alive: the key holds its id
        _GEN_CACHE[key] = hit
    return hit, positions


def static_jvp(fun, argnums, args, kwargs, tangents):
    """The JVP of ``tangents`` through ``fun``, by ``srcgrad.jvp``."""
    target = static_target(fun, len(args), kwargs)
    jf = _static_jvp(target, argnums)
    value, tangent = jf(*args, tangents[0] if len(argnums) == 1 else tuple(tangents))
    return value, tangent


def _static_grad(target, argnums):
    key = ("grad", id(target), argnums)
    hit = _GEN_CACHE.get(key)
    if hit is None:
        hit = _GEN_CACHE[key] = srcgrad.grad(target, wrt=_wrt(argnums))
        hit._peer_target = target  # keep the target alive: the key holds its id
    return hit


def _static_tool(kind, target, argnum):
    """``srcgrad.hessian`` / ``srcgrad.hvp`` of a generated target (cached)."""
    key = (kind, id(target), argnum)
    hit = _GEN_CACHE.get(key)
    if hit is None:
        hit = _GEN_CACHE[key] = getattr(srcgrad, kind)(target, wrt=argnum)
        hit._peer_target = target  # keep the target alive: the key holds its id
    return hit


def judge_second(what, F, x, v, w, claimed):
    """Check ``claimed == <w, H v>`` (``H`` the Hessian of scalar ``F`` at ``x``) by a central second difference."""
    seen = []
    scale = float(np.linalg.norm(_vector(v)) * np.linalg.norm(_vector(w)))
    for h in (1e-3, 1e-4, 3e-3, 3e-5):
        IN_FD[0] += 1
        try:
            pp, pm = F(axpy(axpy(x, v, h), w, h)), F(axpy(axpy(x, v, h), w, -h))
            mp, mm = F(axpy(axpy(x, v, -h), w, h)), F(axpy(axpy(x, v, -h), w, -h))
        finally:
            IN_FD[0] -= 1
        numeric = float(np.real(_numeric(pp) - _numeric(pm) - _numeric(mp) + _numeric(mm))) / (4 * h * h)
        if _close(claimed, numeric, scale) or abs(claimed - numeric) <= 1e-4 * (abs(claimed) + abs(numeric)) + 1e-6:
            return
        seen.append(numeric)
    _wrong(f"{what} at {describe(x)}: <w, H v> = {claimed!r} but second differences give {seen[0]!r}")


def static_hessian(fun, argnum, args, kwargs):
    """``srcgrad.hessian`` of ``fun`` at ``args``, judged along a random pair of directions."""
    COUNT[0] += 1
    target = static_target(fun, len(args), kwargs)
    H = _static_tool("hessian", target, argnum)(*args)
    if not IN_FD[0]:
        x = args[argnum]
        v, w = randn_like(x), randn_like(x)
        hv = np.tensordot(H, np.asarray(v), np.ndim(v)) if np.ndim(v) else H * v
        judge_second(
            f"Hessian of {_fun_name(fun)} w.r.t. argument {argnum}",
            lambda xw: _value(fun, _sub(args, (argnum,), (xw,)), kwargs),
            x,
            v,
            w,
            inner(w, hv),
        )
    return H


def static_hvp(fun, argnum, args, kwargs, v):
    """``srcgrad.hvp`` (forward over reverse) of ``fun`` at ``args`` along ``v``, judged along a random ``w``."""
    COUNT[0] += 1
    target = static_target(fun, len(args), kwargs)
    hv = _static_tool("hvp", target, argnum)(*args, v)
    if not IN_FD[0]:
        x = args[argnum]
        w = randn_like(x)
        judge_second(
            f"HVP of {_fun_name(fun)} w.r.t. argument {argnum}",
            lambda xw: _value(fun, _sub(args, (argnum,), (xw,)), kwargs),
            x,
            v,
            w,
            inner(w, hv),
        )
    return hv


def _static_jvp(target, argnums):
    key = ("jvp", id(target), argnums)
    hit = _GEN_CACHE.get(key)
    if hit is None:
        hit = _GEN_CACHE[key] = srcgrad.jvp(target, wrt=_wrt(argnums))
    return hit


# ---------------------------------------------------------------------------
# Dynamic mode: Tensors and srcgrad.autograd.grad.

DEPTH = [0]
"""How many dynamic-mode calls of functions under test are running: inside one, a derivative the
function asks for may depend on the outer call's Tensors (through a closure, too)."""


def _nested(args):
    if MODE == "dynamic" and DEPTH[0] > 0:
        return True
    return any(isinstance(leaf, Tensor) and leaf.requires_grad for leaf in leaves(list(args)))


def _tensorize(x):
    """``x`` with each leaf a Tensor that requires grad; returns (value, the Tensors)."""
    made = []
    found = leaves(x)
    twice = {id(a) for i, a in enumerate(found) if any(b is a for b in found[:i])}

    def one(leaf):
        if isinstance(leaf, Tensor) and leaf.requires_grad:
            # one Tensor twice ((x, x)) is two inputs, as in HIPS: each a recorded copy of it
            t = np.copy(leaf) if id(leaf) in twice else leaf
        else:
            t = srcgrad.tensor(np.asarray(_as_float(_plain(leaf))), requires_grad=True)
        made.append(t)
        return t

    value = rebuild(x, iter([one(leaf) for leaf in found]))
    return value, made


def _unwrap(value, like, keep):
    """Tensors back to numpy (unless ``keep``), Python floats where ``like`` had them."""

    def one(v, ref):
        if keep:
            return v
        v = _plain(v)
        if isinstance(_plain(ref), (numbers.Number, np.number)) and np.ndim(v) == 0 and not _is_complex(v):
            return float(v)
        return v

    return rebuild(like, iter([one(v, r) for v, r in zip(value, leaves(like))]))


def _dyn_call(fun, argnums, args, kwargs):
    targs = list(args)
    inputs = []
    for i in argnums:
        targs[i], made = _tensorize(args[i])
        inputs.extend(made)
    DEPTH[0] += 1
    try:
        out = fun(*targs, **kwargs)
    finally:
        DEPTH[0] -= 1
    return out, inputs


def _grad_list(outs, inputs, couts, create_graph):
    pairs = [(o, c) for o, c in zip(outs, couts) if isinstance(o, Tensor) and o.requires_grad]
    if not pairs:
        return [None] * len(inputs)
    gouts = [c if isinstance(c, Tensor) else srcgrad.tensor(np.asarray(_plain(c), dtype=o.dtype)) for o, c in pairs]
    return list(
        srcgrad.autograd.grad(
            [o for o, _ in pairs], inputs, grad_outputs=gouts, create_graph=create_graph, allow_unused=True
        )
    )


def dynamic_vjp(fun, argnums, args, kwargs, u):
    nested = _nested(args) or _nested([u])
    out, inputs = _dyn_call(fun, argnums, args, kwargs)
    found = _grad_list(leaves(out), inputs, leaves(u), nested)
    found = [srcgrad.zeros_like(t) if g is None else g for g, t in zip(found, inputs)]
    it = iter(found)
    return tuple(_unwrap([next(it) for _ in leaves(args[i])], args[i], nested) for i in argnums)


def dynamic_jvp(fun, argnums, args, kwargs, tangents):
    nested = _nested(args) or _nested(tangents)
    out, inputs = _dyn_call(fun, argnums, args, kwargs)
    outs = leaves(out)
    dummies = [
        srcgrad.tensor(np.zeros_like(_plain(o), dtype=np.result_type(_plain(o), float)), requires_grad=True)
        for o in outs
    ]
    firsts = _grad_list(outs, inputs, dummies, True)
    tl = [t for i, t in zip(argnums, tangents) for t in leaves(t)]
    active = [(g, t) for g, t in zip(firsts, tl) if g is not None and g.requires_grad]
    for g, t in active:
        if _is_complex(_plain(t)) and not _is_complex(_plain(g)):
            raise TypeError(
                f"peer_shim: the gradient of {_fun_name(fun)} for a complex input is a real array, so "
                "its JVP cannot be formed by double backward"
            )
    if active:
        seconds = list(
            srcgrad.autograd.grad(
                [g for g, _ in active],
                dummies,
                grad_outputs=[
                    t if isinstance(t, Tensor) else srcgrad.tensor(np.asarray(_plain(t), dtype=g.dtype))
                    for g, t in active
                ],
                create_graph=nested,
                allow_unused=True,
            )
        )
    else:
        seconds = [None] * len(dummies)
    seconds = [srcgrad.zeros_like(d) if s is None else s for s, d in zip(seconds, dummies)]
    value = out if nested else _unwrap([_plain(o) for o in outs], out, False)
    return value, _unwrap(seconds, out, nested)


# ---------------------------------------------------------------------------
# Derived functions: what grad, jacobian, make_vjp, ... return.


def _argnums(argnum):
    return tuple(argnum) if isinstance(argnum, (tuple, list)) else (argnum,)


def _sub(args, argnums, xw):
    """``args`` with the differentiated ones replaced by ``xw`` (a tuple, one per argnum)."""
    args = list(args)
    for i, x in zip(argnums, xw):
        args[i] = x
    return tuple(args)


def _value(fun, args, kwargs):
    """``fun`` at plain copies of ``args`` (a function that writes into an argument changes a copy)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fun(*[_copy(_plain_tree(a)) for a in args], **kwargs)


def _copy(x):
    if _is_container(x):
        return rebuild(x, iter([_copy(leaf) for leaf in leaves(x)]))
    return x.copy() if isinstance(x, np.ndarray) else x


def _plain_tree(x):
    return rebuild(x, iter([_plain(leaf) for leaf in leaves(x)])) if _is_container(x) else _plain(x)


def vjp_of(fun, argnums, args, kwargs, u, judge=True):
    """The VJP of ``u`` through ``fun`` at ``args``: a tuple with one cotangent per argnum."""
    nested = _nested(args) or _nested([u])
    COUNT[0] += 1
    if MODE == "static":
        out = _value(fun, args, kwargs)
        grads = static_vjp(fun, argnums, args, kwargs, u, out)
    else:
        grads = dynamic_vjp(fun, argnums, args, kwargs, u)
    if judge and not nested and not IN_FD[0]:

        def F(xw):
            return _value(fun, _sub(args, argnums, xw), kwargs)

        judge_vjp(
            f"VJP of {_fun_name(fun)} w.r.t. argument {_wrt(argnums)}",
            F,
            tuple(args[i] for i in argnums),
            u,
            tuple(grads),
        )
    return grads


def jvp_of(fun, argnums, args, kwargs, tangents, judge=True):
    """``(value, J @ tangents)`` of ``fun`` at ``args``."""
    nested = _nested(args) or _nested(tangents)
    COUNT[0] += 1
    if MODE == "static":
        value, tangent = static_jvp(fun, argnums, args, kwargs, tangents)
    else:
        value, tangent = dynamic_jvp(fun, argnums, args, kwargs, tangents)
    if judge and not nested and not IN_FD[0]:

        def F(xw):
            return _value(fun, _sub(args, argnums, xw), kwargs)

        judge_jvp(
            f"JVP of {_fun_name(fun)} w.r.t. argument {_wrt(argnums)}",
            F,
            tuple(args[i] for i in argnums),
            tuple(tangents),
            tangent,
        )
    return value, tangent


class Derived:
    """A function of the peer's API built from ``fun`` (``grad(fun)``, a VJP, a JVP, ...).

    ``kind`` is one of ``grad``, ``elementwise_grad``, ``value_and_grad``,
    ``vjp`` (called with the cotangent as an extra last argument), ``jvp``
    (called with one tangent per argnum as extra last arguments; returns the
    output tangent), ``jacobian``, ``deriv``.
    """

    def __init__(self, kind, fun, argnum=0):
        self.kind, self.fun, self.argnums = kind, fun, _argnums(argnum)
        self.key = (kind, _key(fun), self.argnums)
        self.__name__ = f"{kind}_{_fun_name(fun)}"

    def __repr__(self):
        return f"<{self.__name__}>"

    def __srcgrad_stand_in__(self):
        """What srcgrad's compiler reads in place of this derivative when a function it differentiates calls it
        (``df = grad(fun)`` made outside, ``df(x)`` inside): what the builder gives for ``grad(fun)`` written
        there."""
        return _static_builder(self.kind)(self.fun, self.argnums[0] if len(self.argnums) == 1 else self.argnums)

    def __call__(self, *args, **kwargs):
        kind, fun, argnums = self.kind, self.fun, self.argnums
        if kind == "vjp":
            args, u = args[:-1], args[-1]
            ragged = tuple(_structure(args[i]) if _ragged(args[i]) else None for i in argnums)
            if (_is_container(u) or any(ragged)) and not hasattr(self, "_example"):
                self._example = (tuple(_plain_tree(a) for a in args), kwargs)  # static_callable reads the output
                # its static form differs by the output's structure (pieces of np.split(x, 4) or (x, [1, 2]),
                # complex leaves) and the ragged arguments': so do the functions made from it, cached by this key
                self.key = self.key + (_structure(u) if _is_container(u) else None, ragged)
            grads = vjp_of(fun, argnums, args, kwargs, u)
            return grads[0] if len(argnums) == 1 else grads
        if kind == "jvp":
            n = len(args) - len(argnums)
            args, tangents = args[:n], args[n:]
            return jvp_of(fun, argnums, args, kwargs, tangents)[1]
        if kind == "deriv":
            x = args[argnums[0]]
            return jvp_of(fun, argnums, args, kwargs, (ones_like(x),))[1]
        if kind == "jacobian":
            return self._jacobian(args, kwargs)
        out = _value(fun, args, kwargs)
        if kind in ("grad", "value_and_grad"):
            if np.size(out) != 1 or _is_container(out) or _is_complex(out):
                raise TypeError(
                    "Grad only applies to real scalar-output functions. "
                    "Try jacobian, elementwise_grad or holomorphic_grad."
                )
            u = ones_like(out)
        else:
            if _is_complex(out):
                raise TypeError("Elementwise_grad only applies to real-output functions.")
            u = ones_like(out)
        grads = vjp_of(fun, argnums, args, kwargs, u)
        g = grads[0] if len(argnums) == 1 else grads
        if kind == "value_and_grad":
            return (out if not _nested(args) else fun(*args, **kwargs)), g
        return g

    def _jacobian(self, args, kwargs):
        fun, argnums = self.fun, self.argnums
        self._example = (tuple(_plain_tree(a) for a in args), kwargs)
        (i,) = argnums
        nested = _nested(args)
        out = _value(fun, args, kwargs)
        out_shape, in_shape = np.shape(out), np.shape(_plain(args[i]))
        rows = []
        for k in range(int(np.prod(out_shape, dtype=int))):
            e = np.zeros(out_shape)
            e[np.unravel_index(k, out_shape)] = 1.0
            rows.append(vjp_of(fun, argnums, args, kwargs, e if out_shape else 1.0, judge=False)[0])
        if nested:
            return np.reshape(np.stack(rows), out_shape + in_shape)
        jac = np.reshape(np.stack([np.asarray(r) for r in rows]), out_shape + in_shape)
        if IN_FD[0]:
            return jac
        v = randn_like(args[i])

        def F(xw):
            return _value(fun, _sub(args, argnums, xw), kwargs)

        t = np.tensordot(jac, np.asarray(v), np.ndim(v)) if np.ndim(v) else jac * v
        judge_jvp(f"Jacobian of {_fun_name(fun)} w.r.t. argument {i}", F, (args[i],), (v,), t)
        return jac

    def _static_vjp_body(self, params, n_inner, kwargs, target, out, bindings):
        """The body of a VJP's static form, made as ``static_vjp`` makes the VJP: the gradient of ``<u, FUN(..)>``
        with the cotangent's leaves as arguments for an output that is a container, and arguments of several
        shapes passed leaf by leaf (the gradients put back in their structure)."""
        args, argnums, u = self._example[0], self.argnums, params[-1]

        def spelled(name, value):
            return [name + "".join(f"[{p!r}]" for p in path) for path, _ in _paths(value)]

        if _is_container(out):
            target = static_dot_target(self.fun, n_inner, kwargs, out)
            extra, extra_text = list(leaves(out)), spelled(u, out)
        else:
            extra, extra_text = [], []
        ragged = [i for i in argnums if _ragged(args[i])]
        texts = [spelled(params[i], args[i]) if i in ragged else [params[i]] for i in range(n_inner)]
        call = ", ".join([t for group in texts for t in group] + extra_text + ([] if extra else [f"dout={u}"]))
        if not ragged:
            bindings["DF"] = _static_grad(target, argnums)
            return [f"return DF({call})"]
        flat, positions = flat_target(target, list(args) + extra, ragged)
        flat_nums = tuple(k for i in argnums for k in positions[i])
        bindings["DF"] = _static_grad(flat, flat_nums)
        names = iter(f"g[{k}]" for k in range(len(flat_nums))) if len(flat_nums) > 1 else iter(["g"])
        parts = [_literal_of(args[i], names) if i in ragged else next(names) for i in argnums]
        result = parts[0] if len(argnums) == 1 else "(" + ", ".join(parts) + ")"
        return [f"g = DF({call})", f"return {result}"]

    # -- static mode: a function with source that computes self, for an outer derivative
    def static_callable(self, nargs, kwargs):
        out = _value(self.fun, list(self._example[0]), self._example[1]) if hasattr(self, "_example") else None
        # (the static form of a VJP or a Jacobian depends on the output's structure and shape: np.split(x, 4) and
        # np.split(x, [1, 2]) are one function with two forms)
        shape = None if out is None else _structure(out) if _is_container(out) else np.shape(out)
        key = ("callable", self.key, nargs, _kwkey(kwargs), shape)
        hit = _GEN_CACHE.get(key)
        if hit is not None:
            return hit
        kind, argnums = self.kind, self.argnums
        params = [f"a{i}" for i in range(nargs)]
        inner_args = ", ".join(params[: nargs - (1 if kind == "vjp" else len(argnums) if kind == "jvp" else 0)])
        n_inner = nargs - (1 if kind == "vjp" else len(argnums) if kind == "jvp" else 0)
        target = static_target(self.fun, n_inner, kwargs)
        bindings = {}
        if kind == "vjp" and hasattr(self, "_example"):
            body = self._static_vjp_body(params, n_inner, kwargs, target, out, bindings)
        elif kind in ("grad", "value_and_grad", "vjp", "elementwise_grad"):
            bindings["DF"] = _static_grad(target, argnums)
            if kind == "vjp":
                body = [f"return DF({inner_args}, dout={params[-1]})"]
            elif kind == "elementwise_grad":
                bindings["T"] = target
                body = [f"return DF({inner_args}, dout=np.ones_like(T({inner_args})))"]
            elif kind == "grad":
                body = [f"return DF({inner_args})"]
            else:
                bindings["T"] = target
                body = [f"return T({inner_args}), DF({inner_args})"]
        elif kind in ("jvp", "deriv"):
            bindings["JF"] = _static_jvp(target, argnums)
            if kind == "jvp":
                tang = params[n_inner:]
                tang_text = tang[0] if len(tang) == 1 else "(" + ", ".join(tang) + ")"
            else:
                tang_text = f"np.ones_like({params[argnums[0]]})"
            body = [f"value, tangent = JF({inner_args}, {tang_text})", "return tangent"]
        else:  # jacobian: one VJP per output element, stacked (the basis is fixed by this call's shapes)
            bindings["DF"] = _static_grad(target, argnums)
            if out is None:  # no example call: the basis made from the output when the code runs
                bindings["T"] = target
                x = params[argnums[0]]
                body = [
                    f"out = T({inner_args})",
                    "rows = []",
                    "for k in range(np.size(out)):",
                    "    e = np.reshape(np.eye(np.size(out))[k], np.shape(out))",
                    f"    rows.append(DF({inner_args}, dout=e))",
                    f"return np.reshape(np.stack(rows), np.shape(out) + np.shape({x}))",
                ]
                hit = _GEN_CACHE[key] = make_function(self.__name__, params, body, bindings)
                hit._peer_fun = self  # keep self alive: the key holds its function's id
                return hit
            out_shape = np.shape(out)
            basis = []
            for k in range(int(np.prod(out_shape, dtype=int))):
                e = np.zeros(out_shape)
                e[np.unravel_index(k, out_shape)] = 1.0
                basis.append(e if out_shape else 1.0)
            bindings["BASIS"] = basis
            in_shape = np.shape(_plain(self._example[0][argnums[0]]))
            body = [
                f"rows = [DF({inner_args}, dout=e) for e in BASIS]",
                f"return np.reshape(np.stack(rows), {tuple(out_shape) + tuple(in_shape)!r})",
            ]
        hit = _GEN_CACHE[key] = make_function(self.__name__, params, body, bindings)
        hit._peer_fun = self  # keep self alive: the key holds its function's id
        return hit


# ---------------------------------------------------------------------------
# The peer's API.


def grad(fun, argnum=0):
    return Derived("grad", fun, argnum)


def elementwise_grad(fun, argnum=0):
    return Derived("elementwise_grad", fun, argnum)


def value_and_grad(fun, argnum=0):
    return Derived("value_and_grad", fun, argnum)


def jacobian(fun, argnum=0):
    return Derived("jacobian", fun, argnum)


def deriv(fun, argnum=0):
    return Derived("deriv", fun, argnum)


def _positional_count(fun):
    """How many positional parameters ``fun`` (a function, or a derivative built from one) takes."""
    import inspect

    if isinstance(fun, Derived):
        return _positional_count(fun.fun)
    params = inspect.signature(fun).parameters.values()
    return sum(1 for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


def _static_builder(kind):
    """What the compiler reads for ``grad(fun)`` written inside a function it differentiates (static mode): the
    builder's ``__srcgrad_transformation__`` (see srcgrad/compiler/normalize/makers.py)."""

    def build(fun, argnum=0):
        if kind == "grad" and isinstance(fun, types.FunctionType):
            return srcgrad.grad(fun, wrt=_wrt(_argnums(argnum)))  # (keyword-only closure values pass through)
        return Derived(kind, fun, argnum).static_callable(_positional_count(fun), {})

    return build


for _builder in (grad, elementwise_grad, value_and_grad, jacobian, deriv):
    _builder.__srcgrad_transformation__ = _static_builder(_builder.__name__)


def hessian(fun, argnum=0):
    if MODE == "static" and not isinstance(argnum, (tuple, list)):

        def at(*args, **kwargs):  # srcgrad.hessian: forward over reverse, one column per element
            if _nested(args) or DEPTH[0]:
                return jacobian(jacobian(fun, argnum), argnum)(*args, **kwargs)
            return static_hessian(fun, argnum, args, kwargs)

        return at
    return jacobian(jacobian(fun, argnum), argnum)


def holomorphic_grad(fun, argnum=0):
    """HIPS's ``holomorphic_grad``: f'(z), the conjugate of the gradient of ``real(f)``."""
    real_part = grad(Composed("real_" + _fun_name(fun), "np.real(F({args}))", {"F": fun}), argnum)

    def at(*args, **kwargs):
        return np.conj(real_part(*args, **kwargs))

    return at


def grad_named(fun, argname):
    import inspect

    return grad(fun, list(inspect.signature(fun).parameters).index(argname))


def make_vjp(fun, argnum=0):
    def at(*args, **kwargs):
        ans = _value(fun, args, kwargs)

        def vjp(u):
            grads = Derived("vjp", fun, argnum)(*args, u, **kwargs)
            return grads

        return vjp, ans

    return at


def make_jvp(fun, argnum=0):
    def at(*args, **kwargs):
        def jvp(v):
            argnums = _argnums(argnum)
            tangents = (v,) if len(argnums) == 1 else tuple(v)
            return jvp_of(fun, argnums, args, kwargs, tangents)

        return jvp

    return at


def make_hvp(fun, argnum=0):
    def at(*args, **kwargs):
        g = grad(fun, argnum)
        if MODE == "static" and not isinstance(argnum, (tuple, list)) and not _nested(args):

            def hvp(v):  # srcgrad.hvp: the JVP of the generated gradient
                return static_hvp(fun, argnum, args, kwargs, v)

            return hvp, g(*args, **kwargs)
        return make_vjp(g, argnum)(*args, **kwargs)

    return at


def tensor_jacobian_product(fun, argnum=0):
    """``(*args, tensor) -> tensor . J``: the Jacobian of ``tensordot(tensor, fun(*args))`` (as HIPS)."""
    vector_dot_fun = Composed(
        "vector_dot_fun", "np.tensordot({extra0}, F({args}), axes=np.ndim({extra0}))", {"F": fun}, n_extra=1
    )
    return jacobian(vector_dot_fun, argnum)


vector_jacobian_product = tensor_jacobian_product


def hessian_tensor_product(fun, argnum=0):
    """``(*args, tensor) -> H @ tensor``: the gradient of ``<grad(fun), tensor>``."""
    vector_dot_grad = Composed(
        "vector_dot_grad", "np.tensordot(G({args}), {extra0}, np.ndim({extra0}))", {"G": grad(fun, argnum)}, n_extra=1
    )
    return grad(vector_dot_grad, argnum)


hessian_vector_product = hessian_tensor_product


def grad_and_aux(fun, argnum=0):
    def at(*args, **kwargs):
        value, aux = _value(fun, args, kwargs)
        g = grad(Composed("first_" + _fun_name(fun), "F({args})[0]", {"F": fun}), argnum)(*args, **kwargs)
        return g, aux

    return at


def checkpoint(fun):
    return fun


def isbox(x):
    """True for a value that carries a graph (a Tensor)."""
    return isinstance(x, Tensor)


def unary_to_nary(unary_operator):
    """HIPS's helper that turns an operator of one argument into one of ``argnum``.

    The function of one argument it makes is written as source (the other
    arguments bound as constants), so that the compiler can read it.
    """

    def nary_operator(fun, argnum=0, *nary_op_args, **nary_op_kwargs):
        def nary_f(*args, **kwargs):
            argnums = _argnums(argnum)
            bindings = {"FUN": _static_fun(fun, len(args), kwargs)[0] if MODE == "static" else fun}
            parts = []
            for i, a in enumerate(args):
                if i in argnums:
                    parts.append("x" if isinstance(argnum, int) else f"x[{argnums.index(i)}]")
                else:
                    bindings[f"C{i}"] = a
                    parts.append(f"C{i}")
            call = _call_text(0, kwargs, bindings).replace(
                "FUN(", "FUN(" + ", ".join(parts) + (", " if kwargs else ""), 1
            )
            unary_f = make_function("unary_" + _fun_name(fun), ["x"], [f"return {call}"], bindings)
            x = args[argnum] if isinstance(argnum, int) else tuple(args[i] for i in argnum)
            return unary_operator(unary_f, x, *nary_op_args, **nary_op_kwargs)

        return nary_f

    return nary_operator


def core_make_vjp(fun, x):
    """``autograd.core.make_vjp(fun, x)``: ``(vjp, ans)`` of a function of one argument."""
    return make_vjp(fun, 0)(x)


def core_make_jvp(fun, x):
    return make_jvp(fun, 0)(x)


# ---------------------------------------------------------------------------
# The checking API (autograd.test_util).

TOL = 1e-6
RTOL = 1e-6


def scalar_close(a, b):
    return abs(a - b) < TOL or abs(a - b) / abs(a + b) < RTOL


def check_equivalent(x, y):
    lx, ly = leaves(x), leaves(y)
    if len(lx) != len(ly) and _vector(x).size == _vector(y).size:
        lx, ly = [_vector(x)], [_vector(y)]  # srcgrad's gradient of a tuple/list of numbers is an array
    assert len(lx) == len(ly), f"structure mismatch: {x!r} vs {y!r}"
    for a, b in zip(lx, ly):
        a, b = np.asarray(_plain(a)), np.asarray(_plain(b))
        assert np.shape(a) == np.shape(b), f"shape mismatch: {np.shape(a)} vs {np.shape(b)}"
        assert np.allclose(a, b, rtol=1e-6, atol=1e-6), f"Value mismatch:\nx: {a}\ny: {b}"


def _check(fun, argnums, args, kwargs, modes, order):
    args = tuple(args)
    if "fwd" in modes:
        tangents = tuple(randn_like(_plain_tree(args[i])) for i in argnums)
        d = Derived("jvp", fun, argnums if len(argnums) > 1 else argnums[0])
        d(*args, *tangents, **kwargs)
        if order > 1:
            n = len(args)
            _deferred(
                _check, d, argnums + tuple(range(n, n + len(tangents))), args + tangents, kwargs, modes, order - 1
            )
    if "rev" in modes:
        out = _value(fun, args, kwargs)
        u = randn_like(out)
        d = Derived("vjp", fun, argnums if len(argnums) > 1 else argnums[0])
        d(*args, u, **kwargs)
        if order > 1:
            _deferred(_check, d, argnums + (len(args),), args + (u,), kwargs, modes, order - 1)


def _deferred(check, *args):
    try:
        check(*args)
    except srcgrad.SrcgradError as e:
        DEFERRED.append(f"{type(e).__name__} (order > 1): {str(e).splitlines()[0][:300]}")


def check_grads(f, argnum=0, modes=("fwd", "rev"), order=2, **extra):
    """``check_grads(f, argnum, modes, order)(*args, **kwargs)``, judged by finite differences.

    Each order checks the JVP and the VJP of the previous order's derivative,
    as HIPS's ``check_grads`` does, every one against central differences.
    """
    if extra:
        modes = extra.pop("modes", modes)
        order = extra.pop("order", order)

    def checker(*args, **kwargs):
        argnums = _argnums(argnum)
        _check(f, argnums, args, kwargs, tuple(modes), order)

    return checker


def combo_check(fun, *args, **kwargs):
    """All combinations of the given arguments and keyword values (``autograd.test_util.combo_check``)."""

    def _check_grads(f):
        return check_grads(f, *args, **kwargs)

    def _combo_check(*args, **kwargs):
        kwarg_key_vals = [[(k, x) for x in xs] for k, xs in kwargs.items()]
        for _args in itertools.product(*args):
            for _kwargs in itertools.product(*kwarg_key_vals):
                _check_grads(fun)(*_args, **dict(_kwargs))

    return _combo_check
