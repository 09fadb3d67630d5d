"""Normalize, spread arguments and tuple copies: ``f(*seq)`` and ``tuple(seq)`` read as the values they pass.

Guarantees (``Spreading``, a mixin of ``Normalizer``):

* ``f(*seq)`` is the call with ``seq``'s items written out, when the compiler knows them: a tuple or list
  written in the call (``np.add(*(x, y))``), a tuple built in the function, or such a value wrapped in
  ``tuple(...)``/``list(...)``; a variadic primitive given a list built in the function
  (``concatenate_args(*tuple(parts), axis=0)``, as a gradient's generated code reads) is that list combined
  whole (``np.concatenate(parts, axis=0)``, a ``ListReduce``), so its length may be known only at run time.
  ``*`` of a call or a subscript is left to ``Expressions.spread_values``, which spreads its value when it is a
  tuple known while compiling (``*replace_arg(operands, i, c)`` in a rule-table helper, ``*args[1:]``). Any other ``*`` in a call is
  refused at the line, except in a call whose arguments are all constants and ``*`` of shapes
  (``rs.randn(*mean.shape)``, ``of_shapes_only``), made as written without a derivative;
* ``tuple(seq)`` of a tuple built in the function is that tuple, and of a list a call just made
  (``tuple(np.hsplit(x, 2))``, which no other name holds) is that list; ``tuple(lst)`` given to a function of
  the rule table (``eigh_vjp(tuple(douts), outs, a)`` in a gradient's generated code) is the list itself: by
  the table's contract the function reads its arguments and changes none, and its body is inlined right there,
  so no change to the list after the call can reach what it reads.
"""

import ast
import types

import numpy as np

from ..ir import Var
from .core import NOT_STATIC, StaticDict, StaticTuple


def rule_body(fn):
    """True for a function of the rule table written as a def (a VJP, JVP or helper), inlined at higher order."""
    return (
        isinstance(fn, types.FunctionType)
        and (fn.__module__ or "").startswith("srcgrad.rules")
        and not fn.__name__.startswith("_")
    )


def _variadic_lists():
    """The variadic primitives whose arguments are a list's items, with the numpy function taking the list."""
    from ...rules.shape import concatenate_args, stack_args

    return {concatenate_args: np.concatenate, stack_args: np.stack}


def _unwrapped(node, callee_of):
    """``node`` without ``tuple(...)``/``list(...)`` around it: spreading ``tuple(s)`` spreads ``s``."""
    while (
        isinstance(node, ast.Call)
        and len(node.args) == 1
        and not node.keywords
        and not isinstance(node.args[0], ast.Starred)
        and callee_of(node.func) in (tuple, list)
    ):
        node = node.args[0]
    return node


class Spreading:
    """``f(*seq)`` and ``tuple(seq)``."""

    def spread(self, e, ctx):
        """``e`` (a call with a ``*`` argument) with each spread argument's items written out.

        Returns:
            ``(call, callee)``: the rewritten ``ast.Call`` and the function it calls, which is the list-taking
            numpy function for a variadic primitive given a list built in the function.

        Raises:
            TransformError: at the line, for a ``*`` whose items the compiler does not know.
        """
        callee_of = self.quiet_callee(ctx)
        callee = callee_of(e.func)
        twin = _variadic_lists().get(callee)
        if twin is not None and len(e.args) == 1 and isinstance(e.args[0], ast.Starred):
            seq = _unwrapped(e.args[0].value, callee_of)
            if isinstance(seq, ast.Name) and ctx.rename.get(seq.id) in self.lists:
                return ast.copy_location(ast.Call(func=e.func, args=[seq], keywords=e.keywords), e), twin
        args = []
        for a in e.args:
            if not isinstance(a, ast.Starred):
                args.append(a)
                continue
            items = self.known_items(_unwrapped(a.value, callee_of), ctx)
            if items is None and isinstance(a.value, (ast.Call, ast.Subscript)):
                # its value, once normalized, may be a tuple known while compiling (spread_values): a call's
                # result, a slice of a tuple (*args[1:])
                args.append(a)
                continue
            if items is None:
                raise ctx.error(
                    a,
                    f"*{ast.unparse(a.value)} in a call: srcgrad.grad spreads a tuple or list only where it knows "
                    "the items (written in the call, or a tuple built in the function)",
                    hint="Pass the items one by one: f(s[0], s[1]).",
                )
            args += items
        return ast.copy_location(ast.Call(func=e.func, args=args, keywords=e.keywords), e), None

    def spread_keywords(self, e, ctx):
        """``e`` (a call with a ``**`` argument) with each spread dict's entries written out as keywords.

        A dict the compiler keeps while compiling (a ``**kwargs`` parameter of an inlined function, a dict with
        constant keys built in the function) or a dict written in the call gives ``key=d['key']`` per entry.

        Raises:
            TransformError: at the line, for a dict whose keys the compiler does not know, a key that may be
                missing there, or a key that is no identifier.
        """
        keywords = []
        for k in e.keywords:
            if k.arg is not None:
                keywords.append(k)
                continue
            spelled = ast.unparse(k.value)
            if isinstance(k.value, ast.Dict) and all(
                key is not None and isinstance(key, ast.Constant) for key in k.value.keys
            ):
                pairs = [(key.value, value) for key, value in zip(k.value.keys, k.value.values)]
            elif isinstance(k.value, ast.Name) and isinstance(self.static.get(ctx.rename.get(k.value.id)), StaticDict):
                d = self.static[ctx.rename[k.value.id]]
                if d.present != set(d):
                    raise ctx.error(
                        k.value,
                        f"**{spelled}: some keys of the dict may be missing here (set only inside a branch or "
                        "loop above)",
                    )
                pairs = [
                    (
                        key,
                        ast.copy_location(
                            ast.Subscript(value=k.value, slice=ast.Constant(value=key), ctx=ast.Load()), k.value
                        ),
                    )
                    for key in d
                ]
            else:
                raise ctx.error(
                    k.value,
                    f"**{spelled} in a call: srcgrad.grad passes a dict's entries as keyword arguments only where it "
                    "knows the keys (a **kwargs parameter, a dict with constant keys built in the function, or a "
                    "dict written in the call)",
                    hint="Pass the keyword arguments one by one: f(a=d['a']).",
                )
            for key, value in pairs:
                if not (isinstance(key, str) and key.isidentifier()):
                    raise ctx.error(k.value, f"**{spelled}: the key {key!r} is no keyword argument's name")
                keywords.append(ast.copy_location(ast.keyword(arg=key, value=value), k))
        names = [k.arg for k in keywords]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ctx.error(e, f"the keyword argument '{repeated[0]}' is given more than once")
        return ast.copy_location(ast.Call(func=e.func, args=e.args, keywords=keywords), e)

    def known_items(self, seq, ctx):
        """The items of ``seq`` as expressions, when the compiler knows how many there are, else ``None``."""
        if isinstance(seq, (ast.Tuple, ast.List)) and not any(isinstance(x, ast.Starred) for x in seq.elts):
            return list(seq.elts)
        if isinstance(seq, ast.Name) and isinstance(self.static.get(ctx.rename.get(seq.id)), (StaticTuple, tuple)):
            value = self.static[ctx.rename[seq.id]]
            n = len(value.items if isinstance(value, StaticTuple) else value)
            return [
                ast.copy_location(ast.Subscript(value=seq, slice=ast.Constant(value=k), ctx=ast.Load()), seq)
                for k in range(n)
            ]
        return None

    def untupled(self, node, ctx):
        """``lst`` for the argument ``tuple(lst)`` of a list built in the function, else ``node``."""
        if (
            isinstance(node, ast.Call)
            and len(node.args) == 1
            and not node.keywords
            and isinstance(node.args[0], ast.Name)
            and ctx.rename.get(node.args[0].id) in self.lists
            and self.quiet_callee(ctx)(node.func) is tuple
        ):
            return node.args[0]
        return node

    def tuple_kept(self, node, atom):
        """``tuple(node)``, ``atom`` being ``node`` normalized: the same tuple of atoms for a tuple, the same list
        for the list a call just made (no other name holds it), else ``None`` (a value given to ``tuple``)."""
        if isinstance(atom, tuple):
            return atom
        if isinstance(node, ast.Call) and isinstance(atom, Var) and atom.name in self.temp_lists:
            return atom
        return None

    def quiet_callee(self, ctx):
        """A function giving the static value a call's ``func`` names, or ``None`` (never raises)."""

        def callee_of(func):
            if isinstance(func, ast.Name) and func.id in ctx.rename:
                return None
            try:
                value = self.static_value(func, ctx)
            except Exception:  # (an attribute that does not exist: said where the call is normalized)
                return None
            return value

        return callee_of

    def of_shapes_only(self, e, ctx):
        """True for a call whose arguments are all constants or spread shapes (``rs.randn(*x.shape)``: ``*`` of
        ``x.shape``, ``np.shape(x)`` or a part of one, ``x.shape[1:]``; other arguments constants written in place):
        its value is a function of integers, which has no derivative, whatever the function (not a local one:
        it may read the differentiated values through its closure)."""

        def shape(node):
            if isinstance(node, ast.Subscript):  # a part of a shape (x.shape[1:]): integers still
                return shape(node.value)
            if isinstance(node, ast.Attribute) and node.attr == "shape":
                return True
            return (
                isinstance(node, ast.Call)
                and len(node.args) == 1
                and not node.keywords
                and self.static_value(node.func, ctx) is np.shape
            )

        if not isinstance(e.func, (ast.Name, ast.Attribute)) or self.static_value(e.func, ctx) is NOT_STATIC:
            return False  # a method of a local value (which may carry a derivative), a local function
        return all(
            isinstance(a, ast.Constant) or (isinstance(a, ast.Starred) and shape(a.value)) for a in e.args
        ) and all(k.arg is not None and isinstance(k.value, ast.Constant) for k in e.keywords)
