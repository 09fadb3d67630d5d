"""Normalize, makers: ``srcgrad.grad(f)(x)`` written inside the function being differentiated.

Guarantees (``Makers``, a mixin of ``Normalizer``):

* a call ``M(f, ...)(args)`` whose ``M`` is ``srcgrad.grad``, ``srcgrad.jvp`` or ``srcgrad.value_and_grad`` (or a
  function carrying ``__srcgrad_transformation__``, a wrapper's builder) with arguments known when compiling is
  made once, while compiling: the call then reads as a call of that derivative, which the compiler differentiates
  through the code it generated (as when the derivative is made at module level);
* ``f`` written inside the function (a nested ``def`` or a ``lambda``) is lifted to a function of its own; the
  enclosing function's locals it reads become keyword-only parameters, passed by the call, so a derivative of
  the outer function reaches them too (``lambda y: x * y`` differentiated in ``y``, then in ``x``);
* anything else (an argument computed at run time, a builder whose result is not a derivative the compiler
  reads) is refused at the user's line, naming the builder.
"""

import ast
import types

from .core import NOT_STATIC, LocalFunction
from .inlining import inlinable, is_derivative

__all__ = ["Makers", "TRANSFORMATION_ATTRIBUTE"]

TRANSFORMATION_ATTRIBUTE = "__srcgrad_transformation__"
"""A builder of derivatives under another name (a library mapping its API onto srcgrad) carries, under this
attribute, a function taking the builder's arguments and returning what the compiler reads in its place: a
``GradFunction``, a ``JVPFunction`` or a plain function with source."""

_OWN = ("grad", "jvp", "value_and_grad")


def _own_maker(maker):
    """True for ``srcgrad.grad``, ``srcgrad.jvp``, ``srcgrad.value_and_grad``."""
    return (
        isinstance(maker, types.FunctionType) and maker.__module__ == "srcgrad.compiler.api" and maker.__name__ in _OWN
    )


class Makers:
    """Derivatives made by a call inside the differentiated function, made while compiling."""

    def made_callee(self, func, ctx):
        """The callee of ``func(args)`` when ``func`` is a call of a derivative builder, made now.

        Args:
            func: the called expression, an ``ast.Call`` (``srcgrad.grad(f, wrt=1)``).
            ctx: where the call is.

        Returns:
            ``None`` when ``func`` does not call a builder; otherwise ``(callee, extra)``: the derivative, and
            the keyword arguments (atoms) its call must add (the enclosing locals a lifted ``f`` reads).

        Raises:
            TransformError: at the call's line, when the builder's arguments are not known while compiling, or
                when what it makes is not a derivative the compiler can read.
        """
        maker = self.static_value(func.func, ctx)
        if maker is NOT_STATIC or isinstance(maker, LocalFunction):
            return None
        if _own_maker(maker):
            build, name = maker, f"srcgrad.{maker.__name__}"
        else:
            build = getattr(maker, TRANSFORMATION_ATTRIBUTE, None)
            if not callable(build):
                return None
            name = getattr(maker, "__name__", "the builder")
        if any(isinstance(a, ast.Starred) for a in func.args) or any(k.arg is None for k in func.keywords):
            raise ctx.error(func, f"{name}(...) inside the differentiated function takes no *args or **kwargs")
        if not func.args:
            raise ctx.error(func, f"{name}() inside the differentiated function needs the function to differentiate")
        target, extra = self.maker_target(func.args[0], name, func, ctx)
        values = [self.maker_argument(a, name, func, ctx) for a in func.args[1:]]
        keywords = {k.arg: self.maker_argument(k.value, name, func, ctx) for k in func.keywords}
        try:
            made = build(target, *values, **keywords)
        except (TypeError, ValueError) as err:
            raise ctx.error(func, f"{name}(...): {err}") from None
        if not (is_derivative(made) or inlinable(made)):
            raise ctx.error(
                func,
                f"{name}(...) inside the differentiated function makes {made!r}, which the compiler cannot "
                "differentiate: make it once outside and call it here",
            )
        return made, extra

    def maker_argument(self, node, name, func, ctx):
        """The value of a builder's argument other than the function (``wrt``): known while compiling."""
        value = self.static_value(node, ctx)
        if value is NOT_STATIC or isinstance(value, LocalFunction):
            raise ctx.error(
                func,
                f"{name}(...) inside the differentiated function: its argument {ast.unparse(node)} must be "
                "known when compiling (a constant, a global or a closure value), not computed in the function",
            )
        return value

    def maker_target(self, node, name, func, ctx):
        """The function a builder differentiates, and the keyword arguments (atoms) a call of it must add.

        A global, closure value or argument of this specialisation is itself; a nested ``def`` or ``lambda``
        is lifted to a function of its own whose keyword-only parameters are the enclosing locals it reads.
        """
        if isinstance(node, ast.Lambda):
            local = LocalFunction(node, ctx)
        elif isinstance(node, ast.Name) and node.id in ctx.local_funcs:
            local = ctx.local_funcs[node.id]
        else:
            value = self.static_value(node, ctx)
            if value is NOT_STATIC:
                raise ctx.error(
                    func,
                    f"{name}(...) inside the differentiated function: the function to differentiate, "
                    f"{ast.unparse(node)}, must be known when compiling (a def or lambda, a global, a closure "
                    "value), not computed in the function",
                )
            return value, {}
        label = node.id if isinstance(node, ast.Name) else "lambda_"
        fn, extras = self.lift_local(local, label, func, ctx, f"the nested function {label} given to {name}")
        return fn, extras
