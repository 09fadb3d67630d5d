"""The debug switch: print the code after chosen passes of each transformation.

``SRCGRAD_DEBUG=normalize,optimize`` in the environment, or ``set_debug("normalize")``, prints the program after
those passes to stderr whenever a function is transformed (``api`` calls ``show`` after each pass).
"""

import ast
import os
import sys

from . import activity, codegen, reverse as reverse_pass
from .naming import Namer
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


def dump_ir(normal, namer, ns):
    """The normalized program as readable text (for the debug switch)."""
    r = reverse_pass.Reverse(normal, activity.Activity(), [], Namer(), ns)
    body = r.forward(normal.body, 0, set(normal.params))
    ret = normal.body[-1].value
    body.append(ast.Return(value=ast.Name(id=ret.name, ctx=ast.Load()) if hasattr(ret, "name") else ret.node))
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
