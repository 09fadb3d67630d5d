"""The registry behind the rule table: ``Rule``, ``defvjp``, ``defjvp``, ``primitive``.

This module knows nothing about Tensors or the compiler. It maps a primitive
(a numpy ufunc or function, a ``math`` function, or a function srcgrad defines
with ``@primitive``) to a ``Rule`` that holds its derivative, written as plain
numpy code. See ``srcgrad/rules/__init__.py`` for the contract every rule keeps.
"""

import dis
import functools
import inspect

import numpy as np

__all__ = [
    "Rule",
    "RULES",
    "defvjp",
    "defjvp",
    "defnondiff",
    "defalias",
    "ALIASES",
    "DYNAMIC_ONLY_ALIASES",
    "get_rule",
    "primitive",
]


class Rule:
    """Everything srcgrad knows about differentiating one primitive.

    Attributes:
        fn: the primitive itself (``np.sin``, ``np.multiply``, ...).
        name: a short name for messages and tables (``"sin"``).
        backward_name: the graph node's name in dynamic mode, PyTorch-style
            (``"SinBackward0"``).
        vjps: one entry per positional argument: a function
            ``vjp(g, ans, *args, **kwargs)`` returning the cotangent of that
            argument, or ``None`` when the argument gets no gradient.
        jvps: one entry per positional argument: ``jvp(t, ans, *args, **kwargs)``
            returning the output tangent contributed by that argument's tangent
            ``t``, or ``None``.
        differentiable: False for primitives whose gradient is zero everywhere
            it exists (comparisons, ``floor``, ``argmax``, ...).
        needs: for each vjp, the names among ``ans`` and the parameters that its
            body reads; the tape keeps only those alive.
        variadic: True when the primitive takes any number of arrays as its
            trailing positional arguments (``concatenate_args(*arrays, axis=0)``,
            ``einsum_args(subscripts, *operands)``): the last vjp/jvp then serves
            every positional argument from its index on and must be called with
            the keyword argument ``argnum=i`` (the argument's index in ``args``).
            Use ``vjp_at``/``call_vjp`` rather than indexing ``vjps``.
        vjp_all: optionally ``vjp_all(g, ans, *args, argnums, **kwargs)``
            giving the cotangents of all the arguments at ``argnums`` in one
            call (a list): for a variadic rule, of its trailing arguments (``n``
            calls of the last vjp each pass all ``n`` arguments, which costs
            ``O(n^2)`` for ``np.stack`` of a long list); for another rule, of
            any of its arguments, when their vjps share most of their work
            (``lstm_cell``'s gates). It reads nothing the vjps do not. The
            tape uses it; the vjps stay the reference (the compiler calls them).
        multiple_outputs: True when the primitive returns a tuple of arrays
            (``split_tuple``, ``np.linalg.slogdet``): ``ans`` is that tuple, the
            vjps receive ``g`` as a tuple with one cotangent per output (the
            caller passes ``np.zeros_like(ans[k])`` for an output that received
            none) and the jvps return a tuple with one tangent per output.
        complex: True when the rules are verified for complex values, in
            PyTorch's convention (see ``srcgrad/rules/__init__.py``); the tape
            and the compiler refuse a complex argument or result otherwise.
    """

    __slots__ = ("fn", "name", "backward_name", "vjps", "jvps", "differentiable", "needs", "_reads",
                 "variadic", "multiple_outputs", "vjp_all", "complex")

    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)
        _TABLE_VERSION[0] += 1  # compiled gradients inlined the old entry (see table_version)

    def __init__(self, fn, name, backward_name, differentiable=True):
        self.fn = fn
        self.name = name
        self.backward_name = backward_name
        self.vjps = ()
        self.jvps = ()
        self.differentiable = differentiable
        self.needs = ()
        self._reads = {}
        self.variadic = False
        self.multiple_outputs = False
        self.vjp_all = None
        self.complex = False

    def reads(self, nargs, active):
        """What the VJPs of the active arguments read, for a call with ``nargs`` positional args.

        Args:
            nargs: the number of positional arguments of the call.
            active: indices of the arguments that need a gradient.

        Returns:
            ``(positions, ans, shape_positions)``: the argument positions whose
            values are read, whether ``ans`` is read, and the positions read
            only for their shape and dtype (a caller may keep a stand-in
            without data for those, as PyTorch's ``SumBackward0`` keeps sizes).
        """
        key = (nargs, active)
        hit = self._reads.get(key)
        if hit is None:
            from .helpers import shape_only_params  # helpers imports this module

            positions, shape_positions, ans = set(), set(), False
            seen = set()
            for i in active:
                k = self._index(i, self.vjps)  # a variadic rule's trailing arguments share one vjp:
                if k is None or k in seen:     # scan its parameters once, not once per argument
                    continue
                seen.add(k)
                vjp = self.vjps[k]
                if vjp is None:
                    continue
                names = self.needs[k]
                ans = ans or "ans" in names
                shape_names = shape_only_params(vjp)
                params = _positional_params(vjp)
                for j, p in enumerate(params[:nargs]):
                    name = p.lstrip("*")
                    if name in names:
                        (shape_positions if name in shape_names else positions).update(
                            range(j, nargs) if p.startswith("*") else (j,))
            hit = (frozenset(positions), ans, frozenset(shape_positions - positions))
            if nargs <= _CACHED_NARGS:  # a call with thousands of arguments (np.stack of a list) is not kept
                self._reads[key] = hit
        return hit

    def unsupported_keywords(self, names):
        """The keyword arguments among ``names`` that one of this rule's derivatives does not take.

        A rule lists the keywords its derivatives understand; one it does not list (``where=`` or
        ``initial=`` of ``np.max``) may change the derivative, so a call passing it is refused
        (with its name) rather than differentiated as if it were absent.

        Args:
            names: keyword argument names of a call.

        Returns:
            A sorted list (empty when every derivative takes every keyword).
        """
        missing = set()
        for derivative in (*self.vjps, *self.jvps):
            if derivative is None or not names:
                continue
            params = _signature(derivative).parameters.values()
            if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
                continue
            taken = {p.name for p in params if p.kind is not inspect.Parameter.POSITIONAL_ONLY}
            missing.update(n for n in names if n not in taken)
        return sorted(missing)

    def __repr__(self):
        return f"Rule({self.name}, vjps={len(self.vjps)}, jvps={len(self.jvps)})"

    def _index(self, i, table):
        if self.variadic and table and i >= len(table) - 1:
            return len(table) - 1
        return i if i < len(table) else None

    def vjp_at(self, i):
        """The vjp of positional argument ``i``, or ``None`` (no gradient).

        Arguments past the end of ``vjps`` get no gradient (an ``axis`` given
        positionally). A variadic rule's last vjp serves every argument from its
        index on and must be called with ``argnum=i``; ``call_vjp`` does that.
        """
        k = self._index(i, self.vjps)
        return None if k is None else self.vjps[k]

    def jvp_at(self, i):
        """The jvp of positional argument ``i``, or ``None`` (see ``vjp_at``)."""
        k = self._index(i, self.jvps)
        return None if k is None else self.jvps[k]

    def needs_at(self, i):
        """The names the vjp of argument ``i`` reads (see ``needs``)."""
        k = self._index(i, self.needs)
        return frozenset() if k is None else self.needs[k]

    def call_vjp(self, i, g, ans, args, kwargs):
        """The cotangent of ``args[i]`` (broadcast shape), or ``None`` when it gets none."""
        vjp = self.vjp_at(i)
        if vjp is None:
            return None
        if self.variadic and i >= len(self.vjps) - 1:
            return vjp(g, ans, *args, argnum=i, **kwargs)
        return vjp(g, ans, *args, **kwargs)

    def call_jvp(self, i, t, ans, args, kwargs):
        """The tangent of ``ans`` contributed by ``args[i]``'s tangent ``t``, or ``None``."""
        jvp = self.jvp_at(i)
        if jvp is None:
            return None
        if self.variadic and i >= len(self.jvps) - 1:
            return jvp(t, ans, *args, argnum=i, **kwargs)
        return jvp(t, ans, *args, **kwargs)


RULES = {}
"""The table: primitive -> Rule."""

_CACHED_NARGS = 64

_TABLE_VERSION = [0]


def table_version():
    """A number that changes whenever the table does (a rule registered, replaced or edited).

    The compiler inlines rule bodies into the code it generates, so its cache
    compares this number to the one a gradient was generated under.

    Returns:
        An int.
    """
    return _TABLE_VERSION[0]

ALIASES = {}
"""Public entry points rewritten to a primitive: fn -> adaptor(*args, **kwargs)."""


def _default_name(fn):
    name = getattr(fn, "__name__", None) or repr(fn)
    return name.strip("_")


def _backward_name(name):
    return "".join(part.capitalize() for part in name.split("_")) + "Backward0"


def _rule_for(fn, name=None, backward_name=None):
    rule = RULES.get(fn)
    if rule is None:
        name = name or _default_name(fn)
        rule = Rule(fn, name, backward_name or _backward_name(name))
        RULES[fn] = rule
    else:
        if name:
            rule.name = name
        if backward_name:
            rule.backward_name = backward_name
    return rule


def _reads(func):
    """The parameter names a rule function actually loads (``ans``, ``x``, ...)."""
    code = func.__code__
    nparams = code.co_argcount + code.co_kwonlyargcount
    nparams += bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08)  # *args, **kwargs
    params = set(code.co_varnames[:nparams])
    loaded = set()
    for instr in dis.get_instructions(code):
        if instr.opname.startswith("LOAD_FAST") or instr.opname in ("LOAD_DEREF", "LOAD_CLOSURE"):
            names = instr.argval if isinstance(instr.argval, tuple) else (instr.argval,)
            loaded.update(n for n in names if n in params)
    # Nested lambdas/comprehensions read parameters through closures.
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            loaded.update(n for n in const.co_freevars if n in params)
    return frozenset(loaded)


@functools.lru_cache(maxsize=None)
def _signature(func):
    return inspect.signature(func)


def _positional_params(func):
    """The parameters of a rule after ``(g, ans)``; a ``*args`` one is given as ``"*args"``."""
    code = func.__code__
    names = list(code.co_varnames[2 : code.co_argcount])
    if code.co_flags & 0x04:  # CO_VARARGS
        names.append("*" + code.co_varnames[code.co_argcount + code.co_kwonlyargcount])
    return names


def defvjp(fn, *vjps, name=None, backward_name=None, variadic=False, multiple_outputs=False, vjp_all=None, complex=False):
    """Register the vector-Jacobian products of ``fn``, one per positional argument.

    Args:
        fn: the primitive.
        *vjps: ``vjp(g, ans, *args, **kwargs) -> cotangent`` for argument 0, 1, ...
            ``None`` for an argument that gets no gradient. Write each as a
            ``lambda`` (at most one per source line, so the compiler can find its
            text) or a ``def``; the body must be numpy code over primitives that
            themselves have rules, so that it runs on Tensors too.
        name: short name for tables and messages (default: ``fn.__name__``).
        backward_name: node name in dynamic mode (default: ``NameBackward0``).
        variadic: the last vjp serves all trailing positional arguments and is
            called with ``argnum=i`` (see ``Rule.variadic``).
        multiple_outputs: ``fn`` returns a tuple (see ``Rule.multiple_outputs``).
        vjp_all: the cotangents of several arguments in one call (see
            ``Rule.vjp_all``).
        complex: the VJPs and JVPs are right for complex values too (see
            ``Rule.complex``); leave it False unless a test checks them.

    Returns:
        The ``Rule``.
    """
    rule = _rule_for(fn, name, backward_name)
    rule.vjps = tuple(vjps)
    rule.needs = tuple(_reads(v) if v is not None else frozenset() for v in vjps)
    rule.differentiable = True
    rule.variadic = variadic
    rule.multiple_outputs = multiple_outputs
    rule.vjp_all = vjp_all
    rule.complex = complex
    return rule


def defjvp(fn, *jvps):
    """Register the Jacobian-vector products of ``fn``, one per positional argument.

    Args:
        fn: the primitive (its VJP is usually registered already).
        *jvps: ``jvp(t, ans, *args, **kwargs) -> output tangent`` contributed by
            argument ``i``'s tangent ``t``; contributions are summed.

    Returns:
        The ``Rule``.
    """
    rule = _rule_for(fn)
    rule.jvps = tuple(jvps)
    return rule


def defnondiff(*fns):
    """Mark primitives whose derivative is zero wherever it exists.

    Args:
        *fns: the primitives (comparisons, ``np.floor``, ``np.argmax``, ...).
    """
    for fn in fns:
        rule = _rule_for(fn)
        rule.differentiable = False
        rule.vjps = ()
        rule.jvps = ()
        rule.complex = True  # no derivative: nothing to get wrong for complex values


def defalias(fn, adaptor, *, static=True):
    """Rewrite calls of a public function ``fn`` to calls of a primitive.

    Used where numpy's signature does not fit the rule contract, for example
    ``np.concatenate(arrays, axis)`` becomes ``concatenate_args(axis, *arrays)``
    so each array is its own positional argument.

    Args:
        fn: the public function users call.
        adaptor: ``adaptor(*args, **kwargs)`` with ``fn``'s signature; returns the
            result of calling a primitive.
        static: the compiler may read the adaptor as it reads a user's function
            (inline it); False for one it cannot (it calls helpers that have no
            rule), which then has no derivative in static mode.
    """
    ALIASES[fn] = adaptor
    if static:
        DYNAMIC_ONLY_ALIASES.discard(fn)
    else:
        DYNAMIC_ONLY_ALIASES.add(fn)
    _TABLE_VERSION[0] += 1


DYNAMIC_ONLY_ALIASES = set()
"""Aliases whose adaptor the compiler does not read (``defalias(..., static=False)``)."""


def get_rule(fn):
    """The ``Rule`` of ``fn``, or ``None`` when it has none."""
    try:
        return RULES.get(fn)
    except TypeError:  # unhashable callables
        return None


def primitive(fn=None, *, keywords=None):
    """Make a numpy-level function srcgrad defines dispatchable on Tensors.

    The wrapped function behaves as before on ndarrays and scalars. When any
    positional argument (or any element of a list/tuple argument) overrides
    ``__array_function__`` (a Tensor does), the call is handed to that type's
    ``__array_function__`` exactly as numpy does for its own functions (NEP 18),
    so the tape records it like ``np.sin``.

    Args:
        fn: a function over numpy values.
        keywords: other names its keyword arguments may be passed by, mapped to
            its own (``{"dim": "axis"}`` lets ``softmax(x, dim=1)`` be written
            PyTorch's way); the call is renamed before anything else sees it, so
            the rules only ever get the function's own names. Used as
            ``@primitive(keywords=...)``.

    Returns:
        The dispatching wrapper; ``wrapper.__wrapped__`` is ``fn``.
    """
    if fn is None:
        return lambda f: primitive(f, keywords=keywords)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if kwargs and keywords is not None:
            kwargs = {keywords.get(k, k): v for k, v in kwargs.items()}
        for a in args:  # the common call, on arrays and numbers only: no search for overrides
            if type(a) not in _LEAF_TYPES:
                break
        else:
            return fn(*args, **kwargs)
        overrides = _overriding_args(args)
        if overrides:
            types = tuple(type(a) for a in overrides)
            for arg in overrides:
                result = arg.__array_function__(wrapper, types, args, kwargs)
                if result is not NotImplemented:
                    return result
            raise TypeError(f"no implementation of {fn.__name__} for types {types}")
        return fn(*args, **kwargs)

    return wrapper


_ndarray_af = np.ndarray.__array_function__


def _overriding_args(args):
    """One argument of each type that overrides ``__array_function__``, in order."""
    found, kinds = [], []
    for a in args:
        items = a if isinstance(a, (list, tuple)) else (a,)
        for item in items:
            kind = type(item)
            if kind in _PLAIN_TYPES or kind in kinds:
                continue
            af = getattr(kind, "__array_function__", None)
            if af is not None and af is not _ndarray_af:
                kinds.append(kind)
                found.append(item)
    return found


_PLAIN_TYPES = frozenset({float, int, bool, complex, np.ndarray, np.float64, np.float32, tuple, type(None), str})
_LEAF_TYPES = _PLAIN_TYPES - {tuple}  # a tuple may hold a Tensor: its items are searched
