"""Normalize once per function: the pass's results kept for every specialisation of it.

``normalize`` reads the function, the functions it inlines and the values its names resolve to, and little of
what a specialisation knows of the arguments (it asks for the shapes of a few, to read a compiled gradient
called inside item by item; ``Consulted`` records what it asked) and none of the options (``wrt``,
``preserve_result``, ...), so most specialisations of a function normalize alike; a function whose gradient is
asked for at many combinations of argument kinds (and the derivatives inlined into a function of higher order,
normalized again for each) was normalized once per combination. ``normalized`` keeps each result and gives
every later transformation its own copy.

Guarantees:

* a result is reused only for the same code object and file (equal code objects of two files compare equal),
  source text, dict keys, function and string arguments,
  ``tuple_result``, complex form of inlined derivatives (``COMPLEX_INLINE``) and namer state before the pass, for a
  specialisation giving the same answers to what the pass asked of its argument shapes, ragged arguments and
  argument kinds (``known_params``), and
  only while what it depended on still holds (``Compiled.fresh``: the globals, closure cells and defaults of the
  function and of everything it inlined, the generated code of inlined derivatives, the rule table);
* the caller gets what ``normalize`` would have given: a copy of the program (the later passes change it),
  the namer and namespace in the state the pass left them, the same scopes (only read afterwards);
* a refusal is not kept: the function is normalized again, and refused again at its line;
* a function normalized once pays only the lookup: its result is kept the second time it is asked for.
"""

import ast

from . import normalize as normalize_pass
from .cache import LOCK, NORMALIZED, Compiled, Defaults, code_of, collect_deps
from .complexhigher import COMPLEX_INLINE
from .naming import Namer, Namespace

__all__ = ["normalized", "copy_program", "LIMIT"]

LIMIT = 256
"""How many normalized functions are kept; the least recently used go first."""

_OWN_MODULES = ("srcgrad.compiler.ir", "srcgrad.compiler.normalize")


def normalized(
    parsed,
    namer,
    ns,
    dict_keys=None,
    static_args=None,
    *,
    source=None,
    param_shapes=None,
    ragged_params=None,
    known_params=None,
    **options,
):
    """``normalize_pass.normalize(parsed, namer, ns, ...)``, made once per function and options.

    Args:
        parsed, namer, ns, dict_keys, static_args, param_shapes, ragged_params, known_params, **options: as for
            ``normalize``.
        source: the source text the function was given with (``grad(f, source=...)``), or ``None``.

    Returns:
        ``(NormalFunction, scopes)`` as ``normalize`` returns them; ``namer`` and ``ns`` are left as it leaves them.

    Raises:
        TransformError: as ``normalize``.
    """
    fn = parsed.fn
    options.update(dict_keys=dict_keys, static_args=static_args)
    try:
        key = (code_of(fn), source, _frozen(options), COMPLEX_INLINE.get(), namer.state())
        hash(key)
    except TypeError:  # an option that is no value to compare (none today): made afresh
        key = None
    if ns.values or key is None:  # (the transformations start with an empty namespace: anything else afresh)
        return normalize_pass.normalize(
            parsed,
            namer,
            ns,
            param_shapes=param_shapes,
            ragged_params=ragged_params,
            known_params=known_params,
            **options,
        )
    shapes, ragged, kinds = normalize_pass.specialisation_view(param_shapes, ragged_params, known_params)
    with LOCK:
        variants = NORMALIZED.pop(key, None)
        if variants is not None:
            NORMALIZED[key] = variants  # now the most recent
    for program, scopes, namer_after, ns_after, deps, seen in variants or ():
        asked_shapes, asked_ragged, asked_kinds = program.consulted
        if (
            _alike(shapes, asked_shapes, seen[0])
            and _alike(ragged, asked_ragged, seen[1])
            and _alike(kinds, asked_kinds, seen[2])
            and deps.fresh(fn)
        ):
            namer.copy_from(namer_after)
            ns.copy_from(ns_after)
            return copy_program(program), scopes
    program, scopes = normalize_pass.normalize(
        parsed, namer, ns, param_shapes=param_shapes, ragged_params=ragged_params, known_params=known_params, **options
    )
    if variants is None:  # the first time: kept when asked for again (a single transformation pays no copy)
        _keep(key, [])
        return program, scopes
    deps = Compiled(None, None, collect_deps(scopes) + (("global", Defaults(fn), "defaults", fn.__defaults__),))
    namer_after = Namer()
    namer_after.copy_from(namer)
    ns_after = Namespace(namer_after)
    ns_after.copy_from(ns)
    seen = (
        dict(shapes.items()),
        dict(ragged.items()),
        dict(kinds.items()),
    )  # (compared whole when the pass read a mapping whole)
    fresh = [v for v in variants if v[4].fresh(fn)][-(VARIANTS - 1) :]
    _keep(key, fresh + [(copy_program(program), scopes, namer_after, ns_after, deps, seen)])
    return program, scopes


VARIANTS = 8
"""How many results one function and its options keep (for specialisations normalize tells apart)."""


def _alike(mapping, asked, seen):
    """True when ``mapping`` (this specialisation's) answers what a kept result asked as that one's did."""
    if asked is None:
        return dict(mapping.items()) == seen
    return mapping.answers_alike(asked)


def _frozen(value):
    """``value`` (an option of ``normalize``: dicts, lists and tuples of names, keys, functions, strings) as a
    hashable value that compares equal exactly when the option does."""
    if isinstance(value, dict):
        return ("dict",) + tuple((k, _frozen(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return (type(value).__name__,) + tuple(_frozen(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return ("set", frozenset(value))
    return value


def _keep(key, variants):
    with LOCK:
        NORMALIZED[key] = variants
        while len(NORMALIZED) > LIMIT:
            del NORMALIZED[next(iter(NORMALIZED))]


def copy_program(program):
    """A deep copy of a normalized program: its statements, syntax nodes and containers are new (shared ones stay
    shared with each other), the values it refers to (functions, rules, modules, arrays, scopes) are the same."""
    return _copy(program, {})


_SHARED = (str, int, float, complex, bool, type(None), bytes)


def _copy(value, memo):
    cls = type(value)
    if cls in _SHARED:
        return value
    done = memo.get(id(value))
    if done is not None:
        return done
    if cls is list:
        new = memo[id(value)] = []
        new.extend(_copy(v, memo) for v in value)
    elif cls is dict:
        new = memo[id(value)] = {}
        for k, v in value.items():
            new[_copy(k, memo)] = _copy(v, memo)
    elif cls is set:
        new = memo[id(value)] = set()
        new.update(_copy(v, memo) for v in value)
    elif cls is tuple or cls is frozenset:
        new = memo[id(value)] = cls(_copy(v, memo) for v in value)
    elif isinstance(value, tuple) and cls.__module__.startswith(_OWN_MODULES):
        # KnownList, ListView: tuples of atoms (cls.__new__(cls) below would make an empty one)
        new = memo[id(value)] = cls(_copy(v, memo) for v in value)
    elif isinstance(value, ast.AST) or cls.__module__.startswith(_OWN_MODULES):
        if not value.__dict__ and isinstance(value, ast.AST):
            return value  # Load, Add, ...: nothing to change in them (ast.parse shares them too)
        if getattr(cls, "__dataclass_params__", None) is not None and cls.__dataclass_params__.frozen:
            return value  # Var: immutable
        new = memo[id(value)] = cls.__new__(cls)
        if isinstance(value, dict):  # StaticDict, DictLiteral: the entries, then the attributes
            for k, v in value.items():
                new[_copy(k, memo)] = _copy(v, memo)
        new.__dict__.update({k: _copy(v, memo) for k, v in value.__dict__.items()})
    else:
        return value
    return new
