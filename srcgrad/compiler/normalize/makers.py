"""Normalize, makers: ``srcgrad.grad(f)(x)`` written inside the function being differentiated.

Guarantees (``Makers``, a mixin of ``Normalizer``):

* a call ``M(f, ...)(args)`` whose ``M`` is ``srcgrad.grad``, ``srcgrad.jvp`` or ``srcgrad.value_and_grad`` (or a
  function carrying ``__srcgrad_transformation__``, a wrapper's builder) with arguments known when compiling is
  made once, while compiling: the call then reads as a call of that derivative, which the compiler differentiates
  through the code it generated (as when the derivative is made at module level);
* ``f`` written inside the function (a nested ``def`` or a ``lambda``) is lifted to a function of its own; the
  enclosing function's locals it reads become keyword-only parameters, passed by the call, so a derivative of
  the outer function reaches them too (``lambda y: x * y`` differentiated in ``y``, then in ``x``);
* a call of an object standing for a derivative made outside by such a builder (``__srcgrad_stand_in__``) reads
  as a call of what it stands for;
* anything else (an argument computed at run time, a builder whose result is not a derivative the compiler
  reads) is refused at the user's line, naming the builder;
* a gradient (made here or outside) called with a dict whose keys the compiler knows, or with a list or tuple of
  arrays of several shapes whose items it knows, is read item by item (``items_callee``): its general code would
  take the container's gradient as one array; a list or tuple argument of several shapes whose items it does
  not know is refused at the line.
"""

import ast
import types

from ..ir import ListNew, Var
from .core import NOT_STATIC, LocalFunction, StaticDict, StaticTuple
from .inlining import inlinable, is_derivative

__all__ = ["Makers", "TRANSFORMATION_ATTRIBUTE", "STAND_IN_ATTRIBUTE"]

TRANSFORMATION_ATTRIBUTE = "__srcgrad_transformation__"
"""A builder of derivatives under another name (a library mapping its API onto srcgrad) carries, under this
attribute, a function taking the builder's arguments and returning what the compiler reads in its place: a
``GradFunction``, a ``JVPFunction`` or a plain function with source."""

STAND_IN_ATTRIBUTE = "__srcgrad_stand_in__"
"""A derivative already made by such a builder (an object, called later in the differentiated function) carries,
under this attribute, a method taking no arguments and returning what the compiler reads in its place (as the
builder's ``__srcgrad_transformation__`` does)."""

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

    def stood_in(self, callee, e, ctx):
        """``callee`` itself, or what it stands for when its type carries ``__srcgrad_stand_in__``.

        Raises:
            TransformError: at the call's line, when it stands for nothing the compiler can differentiate.
        """
        if isinstance(callee, type) or getattr(type(callee), STAND_IN_ATTRIBUTE, None) is None:
            return callee
        name = getattr(callee, "__name__", None) or repr(callee)
        try:
            made = getattr(callee, STAND_IN_ATTRIBUTE)()
        except (TypeError, ValueError, NotImplementedError) as err:
            raise ctx.error(e, f"{name}(...) inside the differentiated function: {err}") from None
        if not (is_derivative(made) or inlinable(made)):
            raise ctx.error(
                e, f"{name} stands for {made!r}, which the compiler cannot differentiate: call a srcgrad derivative"
            )
        return made

    def maker_argument(self, node, name, func, ctx):
        """The value of a builder's argument other than the function (``wrt``): known while compiling."""
        value = self.static_value(node, ctx)
        if value is NOT_STATIC and isinstance(node, (ast.Tuple, ast.List)):
            try:
                value = ast.literal_eval(node)  # wrt=(0, 1)
            except ValueError:
                pass
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

    def items_callee(self, derivative, e, ctx):
        """The function a call of the gradient ``derivative`` reads as when it is given containers whose items
        are known here (``itemwise``), or ``None`` (the gradient's general code is read).

        A dict is read item by item when its keys are known (a dict argument of this specialisation, a dict
        built in the function); a list or tuple when its items are known (written in the call, built in the
        function and not changed since) and are arrays of several shapes (known from this specialisation's
        arguments); of one shape, or of shapes not known here, the general code takes it as one array.

        Raises:
            TransformError: at the call, a list or tuple argument of this specialisation holding arrays of
                several shapes (its items are not known while compiling).
        """
        read = getattr(derivative, "items_target", None)
        if read is None:
            return None
        positional = [self.container_given(a, e, ctx) for a in e.args]
        keywords = {k.arg: self.container_given(k.value, e, ctx) for k in e.keywords if k.arg != "dout"}
        if not any(s is not None for s in positional + list(keywords.values())):
            return None
        call_site = (ctx.parsed.filename, ctx.parsed.lines, self.line(e, ctx), any(k.arg == "dout" for k in e.keywords))
        return read(positional, keywords, call_site)

    def container_given(self, node, e, ctx):
        """``("dict", keys)``, ``("list", n)`` or ``("tuple", n)`` for an argument ``node`` whose items are known
        while compiling and must be read one by one (see ``items_callee``), else ``None``."""
        if isinstance(node, ast.Dict):
            if all(isinstance(k, ast.Constant) and type(k.value) in (str, int) for k in node.keys):
                return ("dict", tuple(k.value for k in node.keys))
            return None
        if isinstance(node, (ast.List, ast.Tuple)):
            if any(isinstance(x, ast.Starred) for x in node.elts) or not self.several_shapes(node.elts, ctx):
                return None
            return ("list" if isinstance(node, ast.List) else "tuple", len(node.elts))
        if not isinstance(node, ast.Name) or node.id not in ctx.rename:
            return None
        name = ctx.rename[node.id]
        container = self.static.get(name)
        if isinstance(container, StaticDict):
            return ("dict", tuple(container)) if container.present == set(container) else None
        if name in self.dict_keys and name not in self.rebound and name not in self.values_of:
            return ("dict", tuple(self.dict_keys[name]))
        if isinstance(container, StaticTuple):
            items = container.items
            if all(isinstance(x, Var) for x in items) and self.several_shapes(items, ctx):
                return ("tuple", len(items))
            return None
        if name in self.ragged_params and name not in self.values_of:
            raise ctx.error(
                e,
                f"{node.id}, a list or tuple of arrays of several shapes, is given to a compiled gradient inside "
                "the differentiated function: the compiler reads that gradient item by item where it knows the "
                f"items; write them in the call ([{node.id}[0], {node.id}[1], ...]) or pass them as separate "
                "arguments",
            )
        values = self.values_of.get(name, ())
        if name in self.lists and len(values) == 1 and isinstance(values[0][0], ListNew):
            items = values[0][0].items
            if name not in self.changed_lists and self.several_shapes(items, ctx):
                self.items_read.setdefault(name, (e, ctx))
                return ("list", len(items))
        return None

    def several_shapes(self, items, ctx):
        """True when ``items`` (syntax nodes or atoms) are arrays whose shapes this specialisation knows (its
        arguments, never assigned) and are not all one."""
        shapes = []
        for item in items:
            name = item.name if isinstance(item, Var) else None
            if isinstance(item, ast.Name):
                name = ctx.rename.get(item.id)
            if name is None or name not in self.param_shapes or name in self.values_of:
                return False
            shapes.append(self.param_shapes[name])
        return len(set(shapes)) > 1

    def check_items_read(self):
        """Refuse a list read item by item by a gradient (``container_given``) and changed later (in a loop)."""
        for name, (e, ctx) in self.items_read.items():
            if name in self.changed_lists:
                raise ctx.error(
                    e,
                    "a list of arrays of several shapes given to a compiled gradient is changed after the "
                    "call (in a loop): build it anew before each call",
                )
