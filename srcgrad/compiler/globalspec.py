"""The data a function reads from outside its arguments, which the specialisation covers too.

Users keep data in module globals and closures (``X``, ``ys``), not only in
arguments. ``watch(fn)`` lists the places a function (and every helper of the
user's it calls, with their own globals and cells) may read data from: the
global names and closure cells holding arrays or lists at the time.
``current(watch)`` reads them again; ``GradFunction`` and ``JVPFunction`` put
their kinds and shapes into the specialisation key beside the arguments' (one
symbol table, so a global of an argument's length shares its symbol), so each
call checks them with a few dictionary reads and the generated code is the one
the same data passed as arguments would get. ``by_object`` tells ``transform``
and ``transform_jvp`` what the key says of each watched object, and
``names_in`` which names of the generated module hold them.

Nothing here decides correctness: the cache still checks that every name the
transformation read is bound to the same object (``cache.Compiled.fresh``), so a
rebound global makes a new transformation whatever is watched; the key makes a
global array that changed shape in place, or a list that came to hold other
items, find a specialisation made for what it holds now.
"""

import inspect
import types

import numpy as np

__all__ = ["watch", "current", "by_object", "names_in", "MISSING"]

MISSING = object()
_LIBRARIES = ("numpy", "srcgrad", "scipy", "math", "builtins")
_MAX_FUNCTIONS = 32  # helpers followed from one function (a bound on the work, not on correctness)


def _names(code):
    """The global names ``code`` and the code nested in it (lambdas, comprehensions) may read."""
    out, todo = [], [code]
    while todo:
        c = todo.pop()
        out.extend(c.co_names)
        todo.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    return out


def _is_data(value):
    return type(value) is np.ndarray or type(value) is list


def _is_helper(value):
    """A Python function of the user's (not a library's): the compiler inlines it, so its data counts too."""
    if not inspect.isfunction(value):
        return False
    module = getattr(value, "__module__", None) or ""
    return not module.startswith(_LIBRARIES)


def watch(fn):
    """The places ``fn`` may read data from: a tuple of ``(globals dict, name)`` and ``(cell, None)``.

    Args:
        fn: the user's function.

    Returns:
        The globals and cells of ``fn`` and of the user's functions it names (followed to a bounded depth)
        that hold an ndarray or a list now, each once, in a stable order.
    """
    found, seen_places, seen_fns = [], set(), set()
    todo = [fn]
    while todo and len(seen_fns) < _MAX_FUNCTIONS:
        f = todo.pop(0)
        if id(f) in seen_fns:
            continue
        seen_fns.add(id(f))
        code = f.__code__
        cells = dict(zip(code.co_freevars, f.__closure__ or ()))
        for name, cell in cells.items():
            try:
                value = cell.cell_contents
            except ValueError:  # not assigned yet
                continue
            if _is_data(value) and id(cell) not in seen_places:
                seen_places.add(id(cell))
                found.append((cell, None))
            elif _is_helper(value):
                todo.append(value)
        g = f.__globals__
        for name in dict.fromkeys(_names(code)):
            value = g.get(name, MISSING)
            if _is_data(value) and (id(g), name) not in seen_places:
                seen_places.add((id(g), name))
                found.append((g, name))
            elif _is_helper(value):
                todo.append(value)
    return tuple(found)


def current(places):
    """The values the places of ``watch`` hold now (``MISSING`` for an emptied cell or a deleted global)."""
    out = []
    for container, name in places:
        if name is None:
            try:
                out.append(container.cell_contents)
            except ValueError:
                out.append(MISSING)
        else:
            out.append(container.get(name, MISSING))
    return out


def by_object(values, parts):
    """``{id(value): key part}`` for the watched values whose key part the passes can use.

    Args:
        values: the watched values (``current``).
        parts: their entries of the specialisation key (a symbolic shape for an array, 2 for a list of numbers).

    Returns:
        The array shapes and number lists, by the identity of the object the generated code reads.
    """
    out = {}
    for value, part in zip(values, parts):
        if (type(value) is np.ndarray and type(part) is tuple) or (type(value) is list and part == 2):
            out[id(value)] = part
    return out


def names_in(namespace, known):
    """``{name in the generated module: key part}`` for the module's names bound to a watched object, and
    ``"numpy"`` for those bound to numpy when there are any (``activity.analyze``'s ``global_shapes``).

    Args:
        namespace: the generated module's ``{name: object}``.
        known: ``by_object``'s answer.
    """
    if not known:
        return {}
    out = {name: known[id(obj)] for name, obj in namespace.items() if id(obj) in known}
    if out:
        out.update({name: "numpy" for name, obj in namespace.items() if obj is np})  # for activity's shapes
    return out
