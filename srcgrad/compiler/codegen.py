"""Pass 7, codegen: print the generated function, compile it, make it debuggable.

Output guarantees:

* ``to_source`` prints the ``FunctionDef`` with astor, one statement per line,
  with a comment naming the user's file line before the statements that came
  from it (``# line 12: y = np.sin(x) * w``, ``# adjoint of line 12: ...``).
* ``compile_function`` compiles that text under a unique file name registered
  in ``linecache``, so tracebacks, ``inspect.getsource`` and pdb show the
  generated lines.
"""

import ast
import itertools
import linecache
import threading
import types
import warnings

from .cache import COMPILED, LOCK
from .reverse.markers import SourceLine, is_marker

try:  # astor prints the code; on Python 3.12+ it touches ast.Num at import (a DeprecationWarning, and 3.14 drops it)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"astor(\.|$)")
        import astor

    class _Printer(astor.code_gen.SourceGenerator):
        """astor's printer, remembering its instance (per thread) for ``_print`` to empty after use: its
        ``write`` closure refers to it, a reference cycle per statement printed that the cyclic collector
        would otherwise have to find (a tenth of a long function's transform time)."""

        made = threading.local()

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            _Printer.made.last = self

    _astor_source = astor.to_source
except Exception:  # astor missing, or broken on a newer Python: the standard library's printer
    _astor_source = None


def _print(node):
    """The text of one ``ast`` node (astor's printer, else ``ast.unparse``), without a trailing newline."""
    if _astor_source is not None:
        text = _astor_source(node, source_generator_class=_Printer).rstrip("\n")
        _Printer.made.last.__dict__.clear()  # breaks the printer's cycle: freed now, not by the collector
        _Printer.made.last = None
        return text
    return ast.unparse(ast.fix_missing_locations(node))  # unparse reads lineno (for type comments)


__all__ = ["to_source", "compile_function"]

_COUNTER = itertools.count(1)
_INDENT = "    "


def _expr(node):
    text = _print(node).strip()
    # astor wraps a long condition inside its parentheses: they must stay, or the line break ends the header
    if "\n" not in text and text.startswith("(") and text.endswith(")") and _matching(text):
        text = text[1:-1]
    return text


def _matching(text):
    """True when the first parenthesis of ``text`` closes at its last character."""
    depth = 0
    for k, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return k == len(text) - 1
    return False


def _stmt_lines(s, depth, out):
    pad = _INDENT * depth
    if is_marker(s):
        m = s.value.value
        if isinstance(m, SourceLine):
            what = "adjoint of line" if m.adjoint else "line"
            out.append(f"{pad}# {what} {m.lineno}: {m.text}" if m.text else f"{pad}# {what} {m.lineno}")
            if m.note:
                out.append(f"{pad}# {m.note}")
        return
    if isinstance(s, ast.If):
        out.append(f"{pad}if {_expr(s.test)}:")
        _block(s.body, depth + 1, out)
        orelse = s.orelse
        while len(orelse) == 1 and isinstance(orelse[0], ast.If):
            out.append(f"{pad}elif {_expr(orelse[0].test)}:")
            _block(orelse[0].body, depth + 1, out)
            orelse = orelse[0].orelse
        if orelse:
            out.append(f"{pad}else:")
            _block(orelse, depth + 1, out)
        return
    if isinstance(s, ast.For):
        out.append(f"{pad}for {_expr(s.target)} in {_expr(s.iter)}:")
        _block(s.body, depth + 1, out)
        return
    if isinstance(s, ast.While):
        out.append(f"{pad}while {_expr(s.test)}:")
        _block(s.body, depth + 1, out)
        return
    if isinstance(s, ast.FunctionDef):
        stub = ast.FunctionDef(
            name=s.name,
            args=s.args,
            body=[ast.Pass()],
            decorator_list=[],
            returns=None,
            type_comment=None,
            **({"type_params": []} if "type_params" in ast.FunctionDef._fields else {}),
        )
        header = _print(stub).strip().splitlines()[:-1]  # (the last line is the stub's pass; a long signature
        out.extend(pad + line for line in header)  # is printed over several lines)
        if (
            s.body
            and isinstance(s.body[0], ast.Expr)
            and isinstance(s.body[0].value, ast.Constant)
            and isinstance(s.body[0].value.value, str)
        ):
            out.append(f'{pad}{_INDENT}"""{s.body[0].value.value}"""')
            body = s.body[1:]
        else:
            body = s.body
        _block(body, depth + 1, out)
        return
    text = _print(s)
    for line in text.splitlines():
        out.append(pad + line)


def _block(stmts, depth, out):
    n = len(out)
    for k, s in enumerate(stmts):
        if is_marker(s) and (k + 1 == len(stmts) or is_marker(stmts[k + 1])):
            continue  # a comment whose statements the optimizer removed
        _stmt_lines(s, depth, out)
    if not any(not line.strip().startswith("#") for line in out[n:]):
        out.append(_INDENT * depth + "pass")


def to_source(fdef):
    """The text of ``fdef`` with source-line comments.

    Args:
        fdef: an ``ast.FunctionDef`` possibly containing ``SourceLine`` markers.

    Returns:
        Python source text ending in a newline.
    """
    out = []
    _stmt_lines(fdef, 0, out)
    return "\n".join(out) + "\n"


# Code objects by generated text (cache.COMPILED): specialisations of a function often print alike (shapes the
# code does not mention), and compiling is a tenth of a short transformation. The least recently used go first.
_COMPILED_LIMIT = 512


def _renamed(code, filename):
    """``code`` (and the code objects nested in it) with the file name ``filename``."""
    consts = tuple(_renamed(c, filename) if isinstance(c, types.CodeType) else c for c in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


def compile_function(source, name, namespace, label):
    """Compile generated ``source`` defining ``name`` and register it in ``linecache``.

    Args:
        source: the text from ``to_source``.
        name: the function it defines.
        namespace: the globals the code runs with (copied, then the function is added).
        label: a readable tag for the file name (the user's function name).

    Returns:
        The function object.
    """
    filename = f"<srcgrad:{label}:{next(_COUNTER)}>"
    lines = source.splitlines(keepends=True)
    linecache.cache[filename] = (len(source), None, lines, filename)
    with LOCK:
        compiled = COMPILED.pop(source, None)
    if compiled is None:
        code = compile(source, filename, "exec")
    else:
        code = _renamed(compiled, filename)  # the same text compiled before (another specialisation)
    with LOCK:
        COMPILED[source] = code
        while len(COMPILED) > _COMPILED_LIMIT:
            del COMPILED[next(iter(COMPILED))]
    env = dict(namespace)
    exec(code, env)
    return env[name]
