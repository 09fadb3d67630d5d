"""Pass 2, fence: reject syntax outside the supported subset, at the user's line.

Output guarantee: when ``check`` returns, the function body contains none of
the constructs listed in ``UNSUPPORTED`` (try/except, with, yield, async,
classes, global/nonlocal, del, star-arguments in a signature, ...), and a
star-expression only as a call's positional argument (``f(*seq)``, which
normalize spreads or refuses), and ``**`` in a call only of a name or a dict written there (``f(**kwargs)``,
which normalize writes out or refuses). Every rejection is a
``TransformError`` naming the construct and the user's file and line, so no
later pass meets them and no user ever sees a traceback from inside the
compiler for them.
"""

import ast

from .astwalk import walk

__all__ = ["check", "UNSUPPORTED"]

UNSUPPORTED = {
    ast.Try: "try/except",
    ast.With: "a with statement",
    ast.AsyncWith: "async with",
    ast.AsyncFor: "async for",
    ast.AsyncFunctionDef: "an async function",
    ast.Await: "await",
    ast.Yield: "yield (generators)",
    ast.YieldFrom: "yield from (generators)",
    ast.ClassDef: "a class definition",
    ast.Global: "a global statement",
    ast.Nonlocal: "a nonlocal statement",
    ast.Delete: "del",
    ast.Raise: "raise",
    ast.Import: "an import inside the function",
    ast.ImportFrom: "an import inside the function",
    ast.NamedExpr: "an assignment expression (:=)",
    ast.Match: "a match statement",
    ast.SetComp: "a set comprehension",
    ast.Set: "a set literal",
}
if hasattr(ast, "TryStar"):
    UNSUPPORTED[ast.TryStar] = "try/except*"


def check(parsed, star_params=False, generator=False):
    """Raise ``TransformError`` at the first unsupported construct of ``parsed``.

    Args:
        parsed: a ``ParsedFunction``.
        star_params: let the function's own signature have ``*args`` / ``**kwargs`` (a rule-table function
            inlined into a derivative of a derivative: the inliner binds them to a tuple and a dict).
        generator: let it ``yield`` values as statements (a generator a ``for`` loop reads, inlined with the
            loop's body at each ``yield``); a ``yield`` used as a value, and ``yield from``, stay refused.

    Raises:
        TransformError: naming the construct, the file and the line.
    """
    if (star_params, generator) in parsed.fenced:
        return  # this code's syntax passed already (parse_function shares the record between its parses)
    node = parsed.node
    if isinstance(node, ast.AsyncFunctionDef):
        raise parsed.error(node, "an async function cannot be differentiated")
    args = node.args
    if not star_params and (args.vararg is not None or args.kwarg is not None):
        raise parsed.error(node, "star-arguments (*args / **kwargs) in the differentiated function's signature")
    # f(*seq): normalize spreads a tuple or list whose items it knows, and refuses the others at the line
    spread = {id(a) for sub in walk(node) if isinstance(sub, ast.Call) for a in sub.args}
    statements = {id(sub.value) for sub in walk(node) if isinstance(sub, ast.Expr)} if generator else set()
    for sub in ast.walk(node):
        if sub is node:
            continue
        if isinstance(sub, ast.Yield) and id(sub) in statements:
            continue  # (a generator read by a for loop: normalize writes the loop's body there)
        if isinstance(sub, ast.Yield) and generator:
            raise parsed.error(sub, "a yield used as a value (x = yield v) is not supported by srcgrad.grad")
        kind = UNSUPPORTED.get(type(sub))
        if kind is not None:
            raise parsed.error(sub, f"{kind} is not supported by srcgrad.grad")
        if isinstance(sub, ast.Starred) and isinstance(sub.ctx, ast.Store):
            raise parsed.error(
                sub,
                "starred assignment targets (first, *rest = seq) are not supported; "
                "index instead: first = seq[0]; rest = seq[1:]",
            )
        if isinstance(sub, ast.Starred) and id(sub) not in spread:
            raise parsed.error(sub, "star-expressions (*seq) outside a call's arguments are not supported")
        if isinstance(sub, ast.keyword) and sub.arg is None and not isinstance(sub.value, (ast.Name, ast.Dict)):
            raise parsed.error(sub.value, "keyword star-arguments (**kwargs) in a call are not supported")
        if isinstance(sub, (ast.FunctionDef, ast.Lambda)):
            a = sub.args
            if a.vararg is not None or a.kwarg is not None:
                raise parsed.error(sub, "star-arguments (*args / **kwargs) in a nested function")
    parsed.fenced.add((star_params, generator))
