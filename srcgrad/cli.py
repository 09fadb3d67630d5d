"""The ``srcgrad`` command.

``srcgrad show FILE.py:FUNC [--wrt 0,1] [--no-optimize]`` prints the gradient
source the compiler writes for a function; ``srcgrad demo`` runs the tour
(``srcgrad.demo.run``), which starts with a gradient's generated source.
"""

import argparse
import importlib.util
import os
import sys

__all__ = ["main"]


def _load_function(spec):
    path, sep, name = spec.rpartition(":")
    if not sep or not path or not name:
        raise SystemExit(f"srcgrad show: expected FILE.py:FUNC, got {spec!r}")
    if not os.path.exists(path):
        raise SystemExit(f"srcgrad show: no such file: {path}")
    module_name = "_srcgrad_show_" + os.path.splitext(os.path.basename(path))[0]
    loader_spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[module_name] = module
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    loader_spec.loader.exec_module(module)
    obj = module
    for part in name.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise SystemExit(f"srcgrad show: {path} has no function {name!r}") from None
    return getattr(obj, "__wrapped__", obj)


def _parse_wrt(text):
    items = []
    for part in text.split(","):
        part = part.strip()
        if part:
            items.append(int(part) if part.lstrip("-").isdigit() else part)
    return tuple(items) if len(items) > 1 else items[0]


def show(args, out=None):
    """Print the generated gradient of ``args.target``; returns the exit code."""
    from .compiler import grad
    from .errors import SrcgradError
    out = out or sys.stdout
    fn = _load_function(args.target)
    try:
        df = grad(fn, wrt=_parse_wrt(args.wrt), optimize=not args.no_optimize)
        print(df.source, end="", file=out)
    except SrcgradError as err:
        print(f"srcgrad: {err}", file=sys.stderr)
        return 1
    return 0


def demo(args, out=None):
    """Run ``srcgrad.demo.run()`` when the demo module exists."""
    try:
        from . import demo as demo_module
    except ImportError:
        print("srcgrad demo: the demo is not available in this build", file=sys.stderr)
        return 1
    return demo_module.run() or 0


def main(argv=None):
    """Entry point of the ``srcgrad`` command.

    Args:
        argv: the arguments (default ``sys.argv[1:]``).

    Returns:
        The process exit code.
    """
    parser = argparse.ArgumentParser(prog="srcgrad", description="Differentiate numeric Python.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("show", help="print the gradient source the compiler writes for FILE.py:FUNC")
    p.add_argument("target", metavar="FILE.py:FUNC")
    p.add_argument("--wrt", default="0", help="parameters to differentiate: indices or names, comma-separated")
    p.add_argument("--no-optimize", action="store_true", help="show the code before the optimize pass")
    p.set_defaults(func=show)
    d = sub.add_parser("demo", help="a one-minute tour: generated source, dynamic mode, training")
    d.set_defaults(func=demo)
    args = parser.parse_args(argv)
    return args.func(args)
