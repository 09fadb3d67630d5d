"""How a generated gradient presents itself to ``inspect``: ``__wrapped__``.

``df.__wrapped__`` is the original function (the API contract, as
``functools.wraps`` would set it). ``inspect.getsource``, ``getsourcelines``
and ``signature`` reach a wrapper's code through ``inspect.unwrap``, which
follows ``__wrapped__`` with no way to stop it; to ``inspect.unwrap`` alone the
attribute gives the generated function, so ``inspect.getsource(df)`` shows the
code ``df`` runs (the lines tracebacks and pdb show).
"""

import inspect
import sys

from ..errors import SrcgradError

__all__ = ["WrappedOriginal", "Wrt", "resolve_wrt"]

Wrt = int | str | tuple[int | str, ...] | list[int | str]  # ``wrt`` in type hints: an index or name, or several

# The code objects that read ``__wrapped__`` inside inspect.unwrap: its loop and its nested test.
_UNWRAP_CODES = frozenset(c for c in [inspect.unwrap.__code__, *inspect.unwrap.__code__.co_consts] if inspect.iscode(c))


class WrappedOriginal:
    """The ``__wrapped__`` descriptor of ``GradFunction`` and ``JVPFunction``.

    Reads ``obj._original`` (the user's function) and ``obj.function`` (the
    generated one, transformed on first use). If the function cannot be
    transformed, ``inspect`` sees the original (calling it raises the error).
    """

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        if sys._getframe(1).f_code in _UNWRAP_CODES:
            try:
                return obj.function
            except SrcgradError:
                pass
        return obj._original


def resolve_wrt(fn, params, wrt):
    """``(names, as_tuple)``: the parameter names ``wrt`` (an index, a name, or a tuple of them) means for ``fn``
    with ``params``, and whether the gradients come as a tuple.

    Raises:
        TypeError, ValueError: ``wrt`` is not an index or name of a parameter.
    """
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
