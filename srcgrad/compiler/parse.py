"""Pass 1, parse: from a live function to its syntax tree and the values its names mean.

This is the only module that touches ``gast``: the source is parsed with gast
(which papers over differences between Python versions) and handed on as a
standard-library ``ast`` tree, so every later pass reads one stable node set.
(``tests/test_compiler_parse.py`` checks that the round trip gives the tree
``ast.parse`` gives on the versions srcgrad supports, line numbers included.)

Output guarantees (a ``ParsedFunction``):

* ``node`` is an ``ast.FunctionDef`` with no decorators, whose line numbers are
  the user's real line numbers in ``filename``; a lambda becomes a one-line
  ``def`` returning its body.
* ``scope`` resolves every free name of the function (closure cells first, then
  globals, then builtins) and records what it resolved, so the cache can tell
  when a global or a closure cell was rebound.
"""

import ast
import builtins
import copy
import dis
import inspect
import linecache
import symtable
import textwrap
from dataclasses import dataclass, field

import gast

from ..errors import TransformError
from .astwalk import copy_tree

__all__ = [
    "ParsedFunction",
    "Scope",
    "parse_function",
    "parse_expression",
    "DOCS_HINT",
    "error_at",
    "free_names",
    "lift_function",
    "numpy_original",
]

DOCS_HINT = "See docs/compiler.md, section 'The supported subset', for what srcgrad.grad can differentiate."

_MISSING = object()


class Scope:
    """The names a function can see from outside: its closure cells, its globals, builtins.

    Args:
        fn: the function (or ``None`` for an empty scope).
        globals_: its globals dict (default ``fn.__globals__``).

    Every successful ``lookup`` is recorded in ``deps`` as ``(kind, container,
    name, value)`` so ``fingerprint_ok`` can check later that nothing was rebound.
    """

    def __init__(self, fn=None, globals_=None):
        self.fn = fn
        self.globals = globals_ if globals_ is not None else getattr(fn, "__globals__", {})
        code = getattr(fn, "__code__", None)
        cells = getattr(fn, "__closure__", None) or ()
        self.cells = dict(zip(code.co_freevars, cells)) if code is not None else {}
        self.deps = []

    def lookup(self, name):
        """The value ``name`` has for the function, or ``_MISSING``.

        A stand-in of ``srcgrad.numpy`` (the module, a submodule, a function or ufunc taking lists
        holding Tensors) means numpy's own object here (``numpy_original``); ``deps`` keeps what the
        name holds."""
        if name in self.cells:
            try:
                value = self.cells[name].cell_contents
            except ValueError:  # an empty cell: not yet assigned
                return _MISSING
            self.deps.append(("cell", self.cells[name], name, value))
            return numpy_original(value)
        if name in self.globals:
            value = self.globals[name]
            self.deps.append(("global", self.globals, name, value))
            return numpy_original(value)
        value = getattr(builtins, name, _MISSING)
        if value is not _MISSING:
            self.deps.append(("builtin", builtins.__dict__, name, value))
        return value

    @staticmethod
    def missing(value):
        """True when ``lookup`` found nothing."""
        return value is _MISSING


NUMPY_ORIGINAL = "__srcgrad_numpy__"
"""The attribute by which ``srcgrad.numpy``'s stand-ins name the numpy object they replace."""


def numpy_original(value):
    """numpy's own object for a stand-in of ``srcgrad.numpy`` (``srcgrad.numpy`` itself is numpy); else ``value``.

    The compiler reads ``import srcgrad.numpy as np`` as ``import numpy as np``: the same rules, the
    same generated code (the stand-ins only differ from numpy's functions on Tensors)."""
    try:
        return vars(value).get(NUMPY_ORIGINAL, value)
    except TypeError:  # no __dict__ (numbers, arrays, ufuncs, builtins)
        return value


@dataclass
class ParsedFunction:
    """A user function ready for the compiler.

    Attributes:
        fn: the live function.
        node: its ``ast.FunctionDef`` (decorators stripped, real line numbers).
        filename: the file it came from.
        lines: that file's lines (for error messages).
        scope: how its free names resolve.
        fenced: the ``(star_params, generator)`` pairs ``fence.check`` has passed this function's syntax with (shared by
            every parse of the same code, which has the same syntax).
    """

    fn: object
    node: ast.FunctionDef
    filename: str
    lines: list = field(default_factory=list)
    scope: Scope = None
    fenced: set = field(default_factory=set)

    def error(self, node, message, hint=DOCS_HINT):
        """A ``TransformError`` located at ``node`` in the user's file."""
        return error_at(self.filename, self.lines, getattr(node, "lineno", None), message, hint)


def error_at(filename, lines, lineno, message, hint=DOCS_HINT):
    """A ``TransformError`` for ``filename`` line ``lineno`` showing that line.

    A line of code srcgrad generated (a gradient differentiated again: ``hessian``, ``hvp``, ``jacobian``) is said
    at the user's line it was generated from (its ``# line N:`` comment), in the user's file."""
    from .tracebacks import user_origin

    origin = user_origin(filename, lineno)
    if origin is not None:
        filename, lineno = origin[0], origin[1]
        lines = linecache.getlines(filename)
    source_line = None
    if lineno and lines and 0 < lineno <= len(lines):
        source_line = lines[lineno - 1]
    err = TransformError(message, filename=filename, lineno=lineno, source_line=source_line, hint=hint)
    err.from_generated = origin is not None  # (a caller inlining the gradient says it at its own line too)
    return err


def _parse(text, mode="exec"):
    """``text`` parsed with gast into a standard-library ``ast`` tree."""
    return gast.gast_to_ast(gast.parse(text, mode=mode))


# Parsed functions by code object: a helper or a rule body inlined into many transformations is read once.
# An entry is (code, source, tree, filename, lines, fenced); a hit needs the very same code object (code objects
# that compare equal may come from two files) and source text. Each caller gets its own copy of the tree.
_PARSED = {}
_PARSED_LIMIT = 4096

# Generated functions (a gradient differentiated again) by their text: every compilation of generated code gets a
# file of its own (codegen.compile_function), so the same text compiled for two specialisations is two code
# objects that ``_PARSED`` tells apart; the text, the function's name and its first line give the same tree.
# An entry is (tree, fenced); the file name and lines are each function's own.
_GENERATED = {}


def parse_function(fn, source=None):
    """Parse a live function into a ``ParsedFunction``.

    Args:
        fn: a Python function (a ``def`` or a ``lambda``).
        source: its source text, for functions whose file cannot be read
            (typed in a REPL, made by ``exec``); line numbers then count from 1.

    Returns:
        The ``ParsedFunction`` (its tree a fresh copy: the caller may change it).

    Raises:
        TransformError: the source cannot be found or is not a function.
    """
    code = getattr(fn, "__code__", None)
    if code is None:
        raise TransformError(f"srcgrad.grad needs a Python function, got {type(fn).__name__} {fn!r}")
    lifted = getattr(fn, LIFTED_ATTRIBUTE, None)
    if lifted is not None:
        node, filename, lines = lifted
        return ParsedFunction(fn=fn, node=copy_tree(node), filename=filename, lines=lines, scope=Scope(fn))
    entry = _PARSED.get(code)
    if entry is None or entry[0] is not code or entry[1] != source:
        if source is None and code.co_filename.startswith("<srcgrad:"):
            return _parse_generated(fn, code)
        parsed = _parse_function(fn, code, source)
        if len(_PARSED) >= _PARSED_LIMIT:
            del _PARSED[next(iter(_PARSED))]  # the oldest entry
        entry = _PARSED[code] = (code, source, copy_tree(parsed.node), parsed.filename, parsed.lines, parsed.fenced)
        return parsed
    _, _, node, filename, lines, fenced = entry
    return ParsedFunction(fn=fn, node=copy_tree(node), filename=filename, lines=lines, scope=Scope(fn), fenced=fenced)


def _parse_generated(fn, code):
    """``parse_function`` of a function compiled from generated text (registered in ``linecache``), its tree kept
    by the text: a text compiled again (another file) is not parsed again."""
    filename = code.co_filename
    text = "".join(linecache.getlines(filename))
    key = (text, code.co_name, code.co_firstlineno)
    entry = _GENERATED.get(key)
    if entry is None:
        parsed = _parse_function(fn, code, None)
        if len(_GENERATED) >= _PARSED_LIMIT:
            del _GENERATED[next(iter(_GENERATED))]  # the oldest entry
        _GENERATED[key] = (copy_tree(parsed.node), parsed.fenced)
        return parsed
    node, fenced = entry
    lines = [line.rstrip("\n") for line in linecache.getlines(filename)]
    return ParsedFunction(fn=fn, node=copy_tree(node), filename=filename, lines=lines, scope=Scope(fn), fenced=fenced)


def _parse_function(fn, code, source):
    """``parse_function`` without the cache."""
    filename = code.co_filename
    tree = None
    if source is None:
        quick = _quick_block(fn)
        if quick is not None:
            src_lines, first = quick
            try:
                tree = _parse("\n" * (first - 1) + textwrap.dedent("".join(src_lines)))
            except SyntaxError:
                tree = None  # cut inside a string or brackets: inspect finds the block
        try:
            if tree is None:
                src_lines, first = inspect.getsourcelines(fn)
        except (OSError, TypeError):
            raise TransformError(
                f"cannot read the source of {fn.__qualname__} (defined in {filename}): functions typed at "
                "the interactive prompt or made by exec() have no file srcgrad can read",
                filename=filename,
                lineno=code.co_firstlineno,
                hint="Pass the text yourself: srcgrad.grad(f, source='def f(x): ...'), or define f in a file.",
            ) from None
        src = "".join(src_lines)
        lines = [line.rstrip("\n") for line in linecache.getlines(filename)]
        if not lines:
            lines = [""] * (first - 1) + src.splitlines()
    else:
        src, first = source, 1
        lines = src.splitlines()
    if tree is None:
        src = textwrap.dedent(src)
        pad = "\n" * (first - 1)  # parsed at its own line number (ast.increment_lineno would walk the tree again)
        try:
            tree = _parse(pad + src)
        except SyntaxError:
            # getsource of a lambda inside a call returns the whole line, which may not parse alone.
            if code.co_name != "<lambda>":
                raise
            try:
                tree = _parse_lambda_line(src, pad)
            except SyntaxError:
                raise TransformError(
                    f"cannot read the text of {fn.__qualname__}: the lines around this lambda do not parse "
                    "without the statement they belong to",
                    filename=filename,
                    lineno=code.co_firstlineno,
                    hint="Give the function a line of its own (a def, or `name = lambda ...`).",
                ) from None
    node = _find_def(tree, fn, code)
    if node is None:
        raise TransformError(
            f"cannot find the definition of {fn.__qualname__} in its source",
            filename=filename,
            lineno=code.co_firstlineno,
        )
    node.decorator_list = []
    return ParsedFunction(fn=fn, node=node, filename=filename, lines=lines, scope=Scope(fn))


def _parse_lambda_line(src, pad):
    """The lines ``inspect`` gives for a lambda inside a call, parsed: wrapped in brackets, with the brackets
    of the enclosing call that close on its last line taken off one by one (``lambda t: f(t))``, the last
    argument of ``defjvp(...)``) until it parses."""
    text = src.strip().rstrip(",")
    while True:
        try:
            return _parse(pad + "(" + text + ")")
        except SyntaxError:
            if not text.endswith(")"):
                raise
            text = text[:-1].rstrip().rstrip(",")


def _quick_block(fn):
    """``inspect.getsourcelines(fn)`` for a ``def``, found by indentation instead of tokenizing, or ``None``.

    The block runs from the def's decorators and ``def`` line up to the first line
    (blank and comment lines aside) indented no deeper than the ``def``. That is the
    def's text unless the line sits inside a string or brackets, and then the text
    cut there does not parse, so the caller falls back to ``inspect``. Lambdas,
    wrapped functions and tab-indented code go to ``inspect`` directly.
    """
    if fn.__code__.co_name == "<lambda>" or getattr(fn, "__wrapped__", None) is not None:
        return None
    try:
        lines, lnum = inspect.findsource(fn)
    except (OSError, TypeError):
        return None

    def indent(line):
        body = line.lstrip(" ")
        return None if body[:1] in ("\t", "\f") else len(line) - len(body)

    base = indent(lines[lnum])
    k = lnum
    while k < len(lines) and lines[k].lstrip(" ").startswith("@") and indent(lines[k]) == base:
        k += 1
    if (
        base is None
        or k >= len(lines)
        or indent(lines[k]) != base
        or not lines[k].lstrip(" ").startswith(("def ", "async def "))
    ):
        return None
    end = k + 1
    for j in range(k + 1, len(lines)):
        text = lines[j].strip()
        if not text or text.startswith("#"):
            continue
        depth = indent(lines[j])
        if depth is None:
            return None
        if depth <= base:
            break
        end = j + 1
    return lines[lnum:end], lnum + 1


# A function the compiler made from a nested ``def`` (see ``lift_function``) carries (node, filename, lines)
# under this attribute. (Not a WeakKeyDictionary keyed by code objects: equal code objects of two liftings
# share one entry, and the first one's death dropped it while the second was still in use.)
LIFTED_ATTRIBUTE = "__srcgrad_lifted__"


def free_names(node):
    """The names a ``def`` (or ``lambda``) reads from outside itself, nested functions and defaults included.

    Args:
        node: an ``ast.FunctionDef`` or ``ast.Lambda``.

    Returns:
        The names, sorted: what the function would look up in its enclosing
        scopes, globals or builtins if it were defined at module level.
    """
    node = _without_annotations(copy.deepcopy(node))
    table = symtable.symtable(
        ast.unparse(ast.Module(body=[ast.Expr(value=node) if isinstance(node, ast.Lambda) else node], type_ignores=[])),
        "<srcgrad>",
        "exec",
    )
    names, stack = set(), [table]
    while stack:
        t = stack.pop()
        names.update(
            sym.get_name()
            for sym in t.get_symbols()
            if sym.is_referenced() and (sym.is_global() if t.get_type() != "module" else True)
        )
        stack.extend(t.get_children())
    bound = {node.name} if isinstance(node, ast.FunctionDef) else set()
    return sorted(names - bound)


def lift_function(node, name, extra_params, values, filename, lines, module=None, qualname=None):
    """A live module-level function made from the nested ``def`` or ``lambda`` ``node`` (lambda lifting).

    The enclosing function's locals it reads (``extra_params``) become
    keyword-only parameters, passed on by its calls of ``name`` (its recursive
    calls), so the function no longer needs its enclosing function and can be
    differentiated on its own. ``parse_function`` returns its syntax tree with
    the user's file and line numbers.

    Args:
        node: the ``ast.FunctionDef`` or ``ast.Lambda``.
        name: the name the function calls itself by.
        extra_params: the enclosing function's locals it reads.
        values: ``{name: value}`` for every other name it reads (globals,
            closure cells); ``name`` itself is bound to the new function.
        filename, lines: the user's file and its lines.
        module, qualname: for the new function's ``__module__`` and ``__qualname__``.

    Returns:
        The function.
    """
    if isinstance(node, ast.Lambda):
        fdef = ast.FunctionDef(
            name=name,
            args=copy.deepcopy(node.args),
            body=[ast.copy_location(ast.Return(value=copy.deepcopy(node.body)), node.body)],
            decorator_list=[],
            returns=None,
            type_comment=None,
        )
        ast.copy_location(fdef, node)
    else:
        fdef = copy.deepcopy(node)
        fdef.name = name
        fdef.decorator_list = []
    fdef = _without_annotations(fdef)  # they may name the enclosing function's locals; they mean nothing here
    args = fdef.args
    args.kwonlyargs = args.kwonlyargs + [ast.arg(arg=p) for p in extra_params]
    args.kw_defaults = args.kw_defaults + [None] * len(extra_params)
    for call in ast.walk(fdef):
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == name:
            call.keywords = call.keywords + [
                ast.keyword(arg=p, value=ast.Name(id=p, ctx=ast.Load())) for p in extra_params
            ]
    module_node = ast.fix_missing_locations(ast.Module(body=[fdef], type_ignores=[]))
    namespace = dict(values, __builtins__=builtins, __name__=module)
    exec(compile(module_node, filename, "exec"), namespace)
    fn = namespace[name]
    if qualname:
        fn.__qualname__ = qualname
    setattr(fn, LIFTED_ATTRIBUTE, (fdef, filename, lines))
    return fn


def _without_annotations(node):
    """``node`` (a ``def`` or ``lambda``) with its parameter and return annotations removed, in place."""
    if isinstance(node, ast.FunctionDef):
        node.returns = None
    a = node.args
    for arg in a.posonlyargs + a.args + a.kwonlyargs + [x for x in (a.vararg, a.kwarg) if x is not None]:
        arg.annotation = None
    return node


def _find_def(tree, fn, code):
    if code.co_name == "<lambda>":
        lambdas = [
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.Lambda)
            and [a.arg for a in n.args.posonlyargs + n.args.args] == list(code.co_varnames[: code.co_argcount])
        ]
        if not lambdas:
            return None
        lam = _which_lambda([n for n in lambdas if n.lineno == code.co_firstlineno] or lambdas, fn, code)
        node = ast.FunctionDef(
            name="lambda_",
            args=lam.args,
            body=[ast.Return(value=lam.body)],
            decorator_list=[],
            returns=None,
            type_comment=None,
        )
        ast.copy_location(node, lam)
        ast.copy_location(node.body[0], lam.body)
        return ast.fix_missing_locations(node)
    for n in tree.body:  # the usual case, found without walking the tree (ast.walk meets these first)
        if (
            isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            and n.name == code.co_name
            and min([n.lineno] + [d.lineno for d in n.decorator_list]) == code.co_firstlineno
        ):
            return n
    found = [
        n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == code.co_name
    ]
    for n in found:
        if min([n.lineno] + [d.lineno for d in n.decorator_list]) == code.co_firstlineno:
            return n
    return found[0] if found else None


def _which_lambda(candidates, fn, code):
    """The lambda among ``candidates`` (the lambdas on ``code``'s line taking its parameters) that ``code`` was
    compiled from: each is compiled again and compared by its instructions (``_instructions``).

    Raises:
        TransformError: several different lambdas on the line match (or none does), so srcgrad cannot tell
            which one ``fn`` is. Guessing would differentiate the wrong function.
    """
    if len(candidates) == 1:
        return candidates[0]
    wanted = _instructions(code)
    matching = [lam for lam in candidates if _compiled_instructions(lam, code.co_filename) == wanted]
    if matching and len({ast.dump(lam) for lam in matching}) == 1:
        return matching[0]
    raise TransformError(
        f"{len(candidates)} lambdas on line {code.co_firstlineno} take the same parameters, and srcgrad cannot "
        f"tell which one {fn.__qualname__} is",
        filename=code.co_filename,
        lineno=code.co_firstlineno,
        hint="Give the function its own line (a def, or one lambda per line).",
    )


def _compiled_instructions(lam, filename):
    """``_instructions`` of ``lam`` compiled on its own, or ``None`` when it does not compile alone."""
    try:
        module = compile(ast.fix_missing_locations(ast.Expression(body=copy.deepcopy(lam))), filename, "eval")
    except (SyntaxError, ValueError):
        return None
    inner = [c for c in module.co_consts if hasattr(c, "co_code")]
    return _instructions(inner[0]) if len(inner) == 1 else None


_PROLOGUE = {"RESUME", "COPY_FREE_VARS", "MAKE_CELL", "NOP", "CACHE", "PRECALL", "PUSH_NULL", "EXTENDED_ARG"}


def _instructions(code):
    """What ``code`` does, independent of where it was compiled: its instructions with a name read or
    written as the name alone (a closure's variable and a global compile to different loads), jumps without
    their targets, nested code objects compared the same way."""
    out = []
    for ins in dis.get_instructions(code):
        op = ins.opname
        if op in _PROLOGUE:
            continue
        if hasattr(ins.argval, "co_code"):
            out.append((op, tuple(_instructions(ins.argval))))
        elif op.startswith(("LOAD_", "STORE_", "DELETE_")) and isinstance(ins.argval, (str, tuple)):
            out.append((op.split("_")[0], ins.argval))
        elif ins.opcode in dis.hasjrel or ins.opcode in dis.hasjabs:
            out.append((op,))
        else:
            out.append((op, repr(ins.argval)))
    return out


def parse_expression(text):
    """Parse one expression (a rule's lambda body, a snippet) into a standard ``ast`` node."""
    return _parse(text, mode="eval").body


def parse_module(text):
    """Parse module text into a standard ``ast.Module``."""
    return _parse(text)
