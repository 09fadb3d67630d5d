"""The cache of transformations: what one depended on, whether it is still valid, and the bounded store.

A transformation (``Compiled``) remembers the values its free names resolved
to (globals, closure cells, defaults, and those of every function it inlined)
and the rule table's version; ``fresh`` says whether they still hold. The
store maps a cache key (function, options, specialisation) to the last few
transformations made for it, least recently used keys dropped first.
"""

import threading
import types

from ..rules.registry import table_version

__all__ = [
    "CACHE",
    "CACHE_SIZE",
    "NORMALIZED",
    "COMPILED",
    "SPECS_SIZE",
    "Compiled",
    "Defaults",
    "cached",
    "remember",
    "remember_spec",
    "clear_cache",
    "collect_deps",
    "Current",
    "code_of",
]

CACHE = {}  # cache key -> the last few transformations made for it (see cached / remember); least recent first
CACHE_SIZE = 256
"""How many cache keys (function, options, specialisation) ``CACHE`` keeps; the least recently used go first."""
SPECS_SIZE = 64
"""How many specialisations one ``GradFunction`` or ``JVPFunction`` remembers by itself."""
NORMALIZED = {}  # the normalize pass's results, shared by a function's specialisations (see passcache.py)
COMPILED = {}  # generated text -> its code object, compiled once (see codegen.compile_function)
LOCK = threading.Lock()


def code_of(fn):
    """What a cache key holds of ``fn``'s code: the code object and its file (equal code objects of two files
    compare equal, and a transformation names its function's file in its code and messages)."""
    return (fn.__code__, fn.__code__.co_filename)


def cached(cache_key, fn):
    """The cached transformation for ``cache_key`` still valid for ``fn``, or ``None``; marks the key as recent."""
    with LOCK:
        bucket = CACHE.pop(cache_key, None)
        if bucket is None:
            return None
        CACHE[cache_key] = bucket  # re-inserted: now the most recent
    for cand in bucket:
        if cand.fresh(fn):
            return cand
    return None


def remember(cache_key, spec):
    """Keep ``spec`` under ``cache_key`` (with at most 7 older ones), dropping the least recent keys beyond
    ``CACHE_SIZE``."""
    with LOCK:
        bucket = CACHE.pop(cache_key, [])
        CACHE[cache_key] = bucket[-7:] + [spec]
        while len(CACHE) > CACHE_SIZE:
            del CACHE[next(iter(CACHE))]


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
    with LOCK:
        CACHE.clear()
        NORMALIZED.clear()
        COMPILED.clear()


class Compiled:
    """One transformation: the generated function, its text, and what it depended on (``fresh`` checks it)."""

    __slots__ = ("fn", "source", "deps", "scalar_out", "table_version", "dout_name", "inplace", "origin")

    def __init__(self, fn, source, deps):
        self.fn, self.source, self.deps = fn, source, deps
        self.origin = None  # the function it was made from (for grad(grad(f)): the inner generated function)
        self.scalar_out = False
        self.dout_name = "dout"  # the generated function's keyword for the output cotangent
        self.inplace = True  # whether the function writes into an array in place (then shared arguments matter)
        self.table_version = table_version()

    def fresh(self, fn=None):
        if self.table_version != table_version():
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
                if fn.__globals__.get(name, MISSING) is not value:
                    return False
            elif kind == "attribute":  # an attribute of an object the function reads (cfg.scale)
                if not same_attribute(getattr(container, name, MISSING), value):
                    return False
            elif kind == "cell":
                try:
                    if container.cell_contents is not value:
                        return False
                except ValueError:
                    return False
            elif container.get(name, MISSING) is not value:
                return False
        return True


MISSING = object()


def same_attribute(now, then):
    """Is an attribute read again (``now``) the value the transformation read (``then``)? The same object, or a
    method bound again to the same object (each read of ``obj.method`` makes a new bound method)."""
    if now is then:
        return True
    if isinstance(then, types.MethodType):
        return isinstance(now, types.MethodType) and now.__self__ is then.__self__ and now.__func__ is then.__func__
    if isinstance(then, types.BuiltinMethodType):
        return (
            isinstance(now, types.BuiltinMethodType) and now.__self__ is then.__self__ and now.__name__ == then.__name__
        )
    return False


def collect_deps(scopes):
    """The dependencies of a transformation: what the names of every scope it read resolved to (see ``Compiled.fresh``)."""
    seen = {}
    for k, scope in enumerate(scopes):
        for kind, container, name, value in scope.deps:
            if k == 0 and kind in ("cell", "global"):  # the function itself: check against the live one
                kind, container = "root" + kind, None
            seen[(kind, id(container), name)] = (kind, container, name, value)
    return tuple(seen.values())


class Current(dict):
    """A dependency on a value computed when checked (``get`` calls ``make``): the generated function of a
    gradient that another transformation inlined, which is made again when its own dependencies change."""

    def __init__(self, make):
        super().__init__()
        self.make = make

    def get(self, name, default=None):
        try:
            return self.make()
        except Exception:  # it cannot be made any more: certainly not the value depended on
            return default


class Defaults(dict):
    """Lets ``Compiled.fresh`` notice a function whose defaults were reassigned."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def get(self, name, default=None):
        return self.fn.__defaults__
