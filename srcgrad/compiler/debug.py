"""The debug switch: print the code after chosen passes of each transformation.

``SRCGRAD_DEBUG=normalize,optimize`` in the environment, or ``set_debug("normalize")``, prints the program after
those passes to stderr whenever a function is transformed (``api`` calls ``show`` after each pass).
"""

import ast
import os
import sys

from . import activity, codegen, reverse as reverse_pass
from .forward import layout_node
from .naming import Namer
from .nodes import atom_node
from .reverse.liveness import resolve_markers

__all__ = ["set_debug", "show", "dump_ir"]

_DEBUG = set(filter(None, os.environ.get("SRCGRAD_DEBUG", "").split(",")))


def set_debug(*passes):
    """Print the code after the named passes (``"parse"``, ``"normalize"``, ``"reverse"``,
    ``"optimize"``, or ``"all"``) whenever a function is transformed. ``set_debug()`` turns it off."""
    _DEBUG.clear()
    _DEBUG.update(passes)


def show(name, make_text):
    """Print ``make_text()`` under a heading naming the pass ``name``, when the switch names it."""
    if name in _DEBUG or "all" in _DEBUG:
        print(f"---- srcgrad: after {name} ----\n{make_text()}", file=sys.stderr)


def _returned(normal):
    """The expression the normalized program returns: an atom, or (for ``jvp``) its atoms in the tuples, lists
    and dicts the function returns them in."""
    result = normal.body[-1].value
    if not isinstance(result, tuple):
        return atom_node(result)
    leaves = [atom_node(r) for r in result]
    if normal.result_layout is not None:
        return layout_node(normal.result_layout, leaves)
    return ast.Tuple(elts=leaves, ctx=ast.Load())


def dump_ir(normal, namer, ns):
    """The normalized program as readable text (for the debug switch)."""
    r = reverse_pass.Reverse(normal, activity.Activity(), [], Namer(), ns)
    body = r.forward(normal.body, 0, set(normal.params))
    body.append(ast.Return(value=_returned(normal)))
    fdef = ast.FunctionDef(
        name=normal.name,
        args=ast.arguments(
            posonlyargs=[],
            args=[ast.arg(arg=p) for p in normal.params],
            vararg=None,
            kwonlyargs=[],
            kw_defaults=[],
            kwarg=None,
            defaults=[],
        ),
        body=resolve_markers(body, set(), r),
        decorator_list=[],
        returns=None,
        type_comment=None,
    )
    return codegen.to_source(fdef)
