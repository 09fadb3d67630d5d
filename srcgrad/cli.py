"""The ``srcgrad`` command.

``srcgrad show FILE.py:FUNC [--wrt 0,1] [--args float,array(3)] [--no-optimize]``
imports a file and prints the gradient source the compiler writes for one of
its functions; ``srcgrad demo`` runs the tour (``srcgrad.demo.run``);
``srcgrad run SCRIPT [ARGS...]`` runs an unmodified PyTorch script with
``torch`` resolved to srcgrad (``srcgrad.porting``; an error in the script
shows the script's own traceback, exit code 1).

A mistake on the command line (a malformed option, a ``--wrt`` or ``--args``
that does not fit the function) is one line on stderr and exit code 2; a file
that cannot be read or imported, a missing function, or a function the
compiler refuses is one message and exit code 1. No user mistake shows a
traceback; ``srcgrad --traceback ...`` shows one for an unexpected error.
"""

from __future__ import annotations

import argparse
import importlib.machinery
import importlib.util
import os
import re
import sys
import traceback

__all__ = ["main", "parse_kinds", "UsageError"]


class UsageError(Exception):
    """A command line that does not fit (exit code 2)."""


class CommandError(Exception):
    """A file, function or transformation problem (exit code 1)."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line (and exit code 2)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


# ---------------------------------------------------------------- show: the target


def _split_target(spec):
    path, sep, name = spec.rpartition(":")
    if not sep or not path or not name:
        raise UsageError(f"expected FILE.py:FUNC (a file, a colon, a function name), got {spec!r}")
    if not all(part.isidentifier() for part in name.split(".")):
        raise UsageError(f"{name!r} is not a function name (expected FILE.py:FUNC or FILE.py:Class.method)")
    return path, name


def _where(exc, path):
    """``path, line N`` of the innermost frame of ``exc`` in the user's file, or ''."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.abspath(frame.filename) == os.path.abspath(path):
            line = frame.lineno
    return f" ({path}, line {line})" if line else ""


def _import_file(path):
    """Import ``path`` as a module, running its top-level code; raise CommandError when it cannot be."""
    if os.path.isdir(path):
        raise CommandError(f"{path} is a directory, not a Python file")
    if not os.path.exists(path):
        raise CommandError(f"no such file: {path}")
    module_name = "_srcgrad_show_" + re.sub(r"\W", "_", os.path.splitext(os.path.basename(path))[0])
    loader = importlib.machinery.SourceFileLoader(module_name, path)
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(module_name, loader))
    sys.modules[module_name] = module
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        loader.exec_module(module)
    except SyntaxError as err:
        raise CommandError(f"cannot import {path}: {type(err).__name__} at line {err.lineno}: {err.msg}") from None
    except SystemExit as err:
        raise CommandError(
            f"cannot import {path}: its top-level code called sys.exit({err.code!r}); "
            'put script code under `if __name__ == "__main__":`'
        ) from None
    except OSError as err:
        raise CommandError(f"cannot read {path}: {err.strerror or err}") from None
    except Exception as err:  # the user's module raised: say what and where, not our traceback
        raise CommandError(f"importing {path} raised {type(err).__name__}: {err}{_where(err, path)}") from None
    return module


def _load_function(spec):
    """The function named by ``FILE.py:FUNC`` (or ``FILE.py:Class.method``), unwrapped from ``@grad``."""
    path, name = _split_target(spec)
    module = _import_file(path)
    obj = module
    for part in name.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise CommandError(f"{path} has no function {name!r}") from None
    from .compiler import GradFunction

    if isinstance(obj, GradFunction):
        obj = obj.__wrapped__
    if not callable(obj) or not hasattr(obj, "__code__"):
        raise CommandError(f"{path}:{name} is not a Python function (it is of type {type(obj).__name__})")
    return obj


# ---------------------------------------------------------------- show: --wrt and --args


def _parse_wrt(text):
    """``--wrt``: comma-separated parameter indices or names; one item gives one gradient, several a tuple."""
    items = [part.strip() for part in text.split(",")]
    if not text.strip() or any(not part for part in items):
        raise argparse.ArgumentTypeError(f"expected parameter indices or names separated by commas, got {text!r}")
    out = []
    for part in items:
        if re.fullmatch(r"-?\d+", part):
            out.append(int(part))
        elif part.isidentifier():
            out.append(part)
        else:
            raise argparse.ArgumentTypeError(f"{part!r} is neither a parameter index nor a parameter name")
    return tuple(out) if len(out) > 1 else out[0]


def _check_wrt(fn, wrt):
    import inspect

    params = [
        p.name
        for p in inspect.signature(fn).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    for w in wrt if isinstance(wrt, tuple) else (wrt,):
        if isinstance(w, int) and not -len(params) <= w < len(params):
            raise UsageError(
                f"--wrt {w}: {fn.__name__} has {len(params)} parameter"
                f"{'s' if len(params) != 1 else ''} ({', '.join(params)})"
            )
        if isinstance(w, str) and w not in params:
            raise UsageError(f"--wrt {w}: {fn.__name__} has no parameter {w!r} (it has {', '.join(params)})")
    return params


_TOKEN = re.compile(r"\s*(?:(\d+)|([A-Za-z_]\w*)|(.))")


def parse_kinds(text):
    """Example arguments for ``show --args``: one value per argument kind.

    ``float`` and ``int`` are Python numbers; ``array(3, 4)`` (or ``array(3x4)``)
    is a float array of that shape, ``array()`` a 0-d array; ``list(5)`` is a
    list of five floats; ``dict(W=array(3, 4), b=array(4))`` a dict of arrays;
    ``any`` leaves an argument unspecialised. Equal lengths share a symbol in
    the generated code, as for real arguments.

    Args:
        text: the kinds, separated by commas (``"float, array(3)"``).

    Returns:
        A list of example values.

    Raises:
        UsageError: the text is not a list of kinds.
    """
    import numpy as np

    spaced = re.sub(r"(?<=\d)\s*x\s*(?=\d)", ",", text)  # array(3x4) is array(3, 4)
    tokens = [m.group(1) or m.group(2) or m.group(3) for m in _TOKEN.finditer(spaced)]
    tokens = [t for t in tokens if t is not None and not t.isspace()]
    pos = 0
    rng = np.random.default_rng(0)
    any_value = object()

    def fail(what):
        got = tokens[pos] if pos < len(tokens) else "the end"
        raise UsageError(
            f"--args {text!r}: expected {what}, got {got!r} (kinds: float, int, array(3, 4), "
            "list(5), dict(W=array(3, 4)), any)"
        )

    def take(expected=None):
        nonlocal pos
        if pos >= len(tokens) or (expected is not None and tokens[pos] != expected):
            fail(repr(expected) if expected else "a kind")
        pos += 1
        return tokens[pos - 1]

    def ints():
        dims = []
        take("(")
        while tokens[pos : pos + 1] != [")"]:
            if not (tokens[pos : pos + 1] and tokens[pos].isdigit()):
                fail("a length")
            dims.append(int(take()))
            if tokens[pos : pos + 1] == [","]:
                take(",")
        take(")")
        return dims

    def kind():
        nonlocal pos
        name = take()
        if name == "float":
            return 0.5
        if name == "int":
            return 2
        if name == "any":
            return any_value
        if name == "array":
            return rng.standard_normal(tuple(ints())) if tokens[pos : pos + 1] == ["("] else any_value
        if name == "list":
            (n,) = ints() if tokens[pos : pos + 1] == ["("] else fail("list(LENGTH)")
            return [0.5] * n
        if name == "dict":
            entries = {}
            take("(")
            while tokens[pos : pos + 1] != [")"]:
                key = take()
                if not key.isidentifier():
                    fail("a key name")
                take("=")
                entries[key] = kind()
                if tokens[pos : pos + 1] == [","]:
                    take(",")
            take(")")
            return entries
        pos -= 1
        return fail("a kind")

    values = []
    while pos < len(tokens):
        values.append(kind())
        if pos < len(tokens):
            take(",")
    if not values:
        fail("a kind")
    return [None if v is any_value else v for v in values]


# ---------------------------------------------------------------- the commands


def show(args, out=None):
    """Print the generated gradient of ``args.target``.

    Args:
        args: the parsed ``show`` arguments (``target``, ``wrt``, ``args``, ``no_optimize``).
        out: a text stream (stdout by default).

    Returns:
        The exit code (0).

    Raises:
        UsageError: ``--wrt`` or ``--args`` does not fit the function.
        CommandError: the file or function cannot be loaded, or the compiler refuses the function.
    """
    from .compiler import grad
    from .errors import SrcgradError

    out = out or sys.stdout
    fn = _load_function(args.target)
    params = _check_wrt(fn, args.wrt)
    examples = parse_kinds(args.args) if args.args is not None else None
    if examples is not None and len(examples) > len(params):
        raise UsageError(
            f"--args gives {len(examples)} kinds, but {fn.__name__} has {len(params)} "
            f"parameter{'s' if len(params) != 1 else ''} ({', '.join(params)})"
        )
    try:
        df = grad(fn, wrt=args.wrt, optimize=not args.no_optimize)
        text = df.source if examples is None else df.source_for(*examples)  # None: not specialised
    except SrcgradError as err:
        raise CommandError(str(err)) from None
    print(text, end="" if text.endswith("\n") else "\n", file=out)
    return 0


def demo(args, out=None):
    """Run ``srcgrad.demo.run()``; returns its exit code."""
    from . import demo as demo_module

    return demo_module.run() or 0


def run(args):
    """Run a PyTorch script with ``torch`` resolved to srcgrad; returns the exit code.

    An exception from the script prints its traceback from the script's own
    frames down (the runner's frames are left out) and gives exit code 1, as
    ``python SCRIPT`` would; ``sys.exit`` in the script gives its code.
    """
    import runpy

    from . import porting

    if os.path.isdir(args.script) and not os.path.isfile(os.path.join(args.script, "__main__.py")):
        raise UsageError(f"{args.script} is a directory with no __main__.py (give the script's file)")
    if not os.path.exists(args.script):
        raise UsageError(f"no such script: {args.script}")
    try:
        porting.run_script(args.script, args.args, default_dtype=args.default_dtype)
    except KeyboardInterrupt:
        raise
    except Exception as err:
        report = traceback.TracebackException.from_exception(err)
        runner = {
            os.path.abspath(__file__),
            os.path.abspath(porting.__file__),
            "<frozen runpy>",
            os.path.abspath(runpy.__file__),
        }
        report.stack = traceback.StackSummary.from_list(
            [
                frame
                for frame in report.stack
                if frame.filename not in runner and os.path.abspath(frame.filename) not in runner
            ]
        )
        print("".join(report.format()), end="", file=sys.stderr)
        return 1
    return 0


def build_parser():
    """The ``srcgrad`` argument parser (a subcommand per job)."""
    from . import __version__

    parser = _Parser(prog="srcgrad", description="Differentiate numeric Python.")
    parser.add_argument("--version", action="version", version=f"srcgrad {__version__}")
    parser.add_argument(
        "--traceback", action="store_true", help="on an unexpected error, show the full traceback (for a bug report)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    p = sub.add_parser(
        "show",
        help="print the gradient source the compiler writes for FILE.py:FUNC",
        description="Import FILE.py (running its top-level code, as `import` does) and print the gradient "
        "source srcgrad.grad writes for its function FUNC (or Class.method).",
        epilog="Examples: srcgrad show model.py:loss --wrt 0,w ; srcgrad show model.py:loss --args 'array(3), float'",
    )
    p.add_argument("target", metavar="FILE.py:FUNC")
    p.add_argument(
        "--wrt",
        default=0,
        type=_parse_wrt,
        metavar="SPEC",
        help="parameters to differentiate: indices or names, comma-separated (default 0); "
        "several give a tuple of gradients",
    )
    p.add_argument(
        "--args",
        default=None,
        metavar="KINDS",
        help="show the version specialised for arguments of these kinds, comma-separated: float, "
        "int, array(3, 4), list(5), dict(W=array(3, 4)), any (what df.source_for(*args) "
        "shows); without it, the general version",
    )
    p.add_argument("--no-optimize", action="store_true", help="show the code before the optimize pass")
    p.set_defaults(func=show)
    d = sub.add_parser("demo", help="a one-minute tour: generated source, dynamic mode, training")
    d.set_defaults(func=demo)
    r = sub.add_parser(
        "run",
        help="run an unmodified PyTorch script with torch resolved to srcgrad",
        description="Run SCRIPT as `python SCRIPT ARGS...` would, with `import torch` (and "
        "torch.nn, torch.utils.data, ...) resolved to srcgrad. See docs/porting.md.",
    )
    r.add_argument(
        "--default-dtype",
        choices=["float32", "float64"],
        default=None,
        help="the dtype Python floats become (srcgrad's default is float64; PyTorch's is float32)",
    )
    r.add_argument("script", metavar="SCRIPT", help="the script's file, or a directory with a __main__.py")
    r.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS", help="the script's own arguments")
    r.set_defaults(func=run)
    return parser


def main(argv=None):
    """Entry point of the ``srcgrad`` command.

    Args:
        argv: the arguments (default ``sys.argv[1:]``).

    Returns:
        The process exit code: 0, 1 (a file, function or compiler error) or 2 (a usage error).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    prog = f"srcgrad {args.command}"
    try:
        return args.func(args)
    except UsageError as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 2
    except CommandError as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `srcgrad show ... | head`
        sys.stderr.close()
        return 1
    except Exception as err:
        if args.traceback:
            raise
        print(
            f"{prog}: unexpected {type(err).__name__}: {err} (a bug in srcgrad: rerun as "
            f"`srcgrad --traceback {args.command} ...` and report the traceback)",
            file=sys.stderr,
        )
        return 1
