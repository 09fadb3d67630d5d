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
  take the container's gradient as one array; a JVP or gradient given such a container (or the items of a list
  argument of several shapes) where it is not read item by item is specialised on it (``container_given``,
  ``item_shapes``); a nested list argument of several lengths given on is refused at the line;
* a function carrying ``__srcgrad_specialise__`` called with lists or tuples the compiler keeps reads as the
  function that hook writes for their layouts (``specialised_callee``).
"""

import ast
import operator
import types

from ..ir import ListGet, ListNew, Prim, Var
from .core import NOT_STATIC, LocalFunction, StaticDict, StaticTuple
from .inlining import inlinable, is_derivative

__all__ = ["Makers", "TRANSFORMATION_ATTRIBUTE", "STAND_IN_ATTRIBUTE", "SPECIALISE_ATTRIBUTE"]

TRANSFORMATION_ATTRIBUTE = "__srcgrad_transformation__"
"""A builder of derivatives under another name (a library mapping its API onto srcgrad) carries, under this
attribute, a function taking the builder's arguments and returning what the compiler reads in its place: a
``GradFunction``, a ``JVPFunction`` or a plain function with source."""

STAND_IN_ATTRIBUTE = "__srcgrad_stand_in__"
"""A derivative already made by such a builder (an object, called later in the differentiated function) carries,
under this attribute, a method taking no arguments and returning what the compiler reads in its place (as the
builder's ``__srcgrad_transformation__`` does)."""

SPECIALISE_ATTRIBUTE = "__srcgrad_specialise__"
"""A function whose Python code the compiler cannot follow on a container (it walks a list of ``(W, b)`` tuples
by ``isinstance``, as ``autograd.misc.flatten`` does) carries, under this attribute, a function taking one layout
per positional argument (``None``, or ``("list", (("tuple", (None, None)), ...))`` for a list or tuple whose items
the compiler keeps) and returning a plain function with source written for those layouts, which the compiler
reads in its place, or ``None`` (the function itself is read)."""

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

        A global, closure value or argument of this specialisation is itself, as is a derivative made by a
        builder call written there (``grad(grad(f))``); a nested ``def`` or ``lambda`` is lifted to a function
        of its own whose keyword-only parameters are the enclosing locals it reads.
        """
        if isinstance(node, ast.Lambda):
            local = LocalFunction(node, ctx)
        elif isinstance(node, ast.Name) and node.id in ctx.local_funcs:
            local = ctx.local_funcs[node.id]
        else:
            value = self.static_value(node, ctx)
            made = self.made_callee(node, ctx) if value is NOT_STATIC and isinstance(node, ast.Call) else None
            if made is not None and not made[1]:  # grad(grad(f)) written inside: the inner one made first
                return made[0], {}
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
        arguments; or a list argument of several shapes: its length is in the specialisation); of one shape, or
        of shapes not known here, the general code takes it as one array.

        Raises:
            TransformError: at the call, a nested list argument of this specialisation of several lengths.
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
            if isinstance(self.known_params.get(name), tuple):
                return None  # a dict holding dicts: passed whole, its key part known (Expressions.argument_kinds)
            return ("dict", tuple(self.dict_keys[name]))
        if isinstance(container, StaticTuple):
            items = container.items
            if all(isinstance(x, Var) for x in items) and self.several_shapes(items, ctx):
                return ("tuple", len(items))
            return None
        if name in self.ragged_params and name not in self.values_of:
            if self.ragged_params[name] is not None:  # a list argument of several shapes: its length is known
                return self.ragged_params[name][:2]
            raise ctx.error(
                e,
                f"{node.id}, a nested list of several lengths (or a list or tuple of tuples or lists of arrays), is "
                "given to a compiled derivative inside the differentiated function, whose code takes it as one "
                "array: pass its items as separate arguments",
            )
        values = self.values_of.get(name, ())
        if name in self.lists and len(values) == 1 and isinstance(values[0][0], ListNew):
            items = values[0][0].items
            if name not in self.changed_lists and self.several_shapes(items, ctx):
                self.items_read.setdefault(name, (e, ctx))
                return ("list", len(items))
        return None

    def nested_ragged(self, node, ctx):
        """True for a parameter of this specialisation, never assigned, given a nested list of several lengths."""
        if not isinstance(node, ast.Name) or node.id not in ctx.rename:
            return False
        name = ctx.rename[node.id]
        return name in self.ragged_params and self.ragged_params[name] is None and name not in self.values_of

    def sequence_items(self, name):
        """The items (atoms) of the tuple, or of the list never changed since it was made, variable ``name``
        holds, or ``None``."""
        container = self.static.get(name)
        if isinstance(container, StaticTuple):
            return container.items
        values = self.values_of.get(name, ())
        if name in self.lists and len(values) == 1 and isinstance(values[0][0], ListNew):
            if name not in self.changed_lists:
                return values[0][0].items
        return None

    def several_shapes(self, items, ctx):
        """True when ``items`` (syntax nodes or atoms) are arrays whose shapes this specialisation knows (its
        arguments, never assigned) and are not all one."""
        shapes = []
        for item in items:
            name = item.name if isinstance(item, Var) else None
            if isinstance(item, ast.Name):
                name = ctx.rename.get(item.id)
            shape = self.argument_shape(name)
            if shape is None:
                return False
            shapes.append(shape)
        return len(set(shapes)) > 1

    def item_shapes(self, e, ctx):
        """``{position: symbolic shape}`` of a call's arguments when one of them is an item of a list argument of
        several shapes (``xs[0]``) and each has a shape known here: the derivative called is specialised on them
        (its general code would make one array of a list of them); else ``{}``."""
        shapes, items = {}, False
        for i, a in enumerate(e.args):
            name = ctx.rename.get(a.id) if isinstance(a, ast.Name) else None
            if isinstance(a, ast.Subscript) and isinstance(a.value, ast.Name) and a.value.id in ctx.rename:
                known = self.ragged_params.get(ctx.rename[a.value.id])
                index = a.slice.value if isinstance(a.slice, ast.Constant) else None
                if known and known[2] is not None and type(index) is int and -known[1] <= index < known[1]:
                    shapes[i], items = known[2][index], True
                    continue
                seq = self.sequence_items(ctx.rename[a.value.id])
                if seq is not None and type(index) is int and -len(seq) <= index < len(seq):
                    if isinstance(seq[index], Var) and self.several_shapes(seq, ctx):
                        name, items = seq[index].name, True  # (a list or tuple of several shapes built here)
            shape = None if name is None else self.argument_shape(name)
            if shape is None:
                return {}
            items = items or self.argument_shape(name, items_only=True) is not None
            shapes[i] = shape
        return {i: s for i, s in shapes.items() if s != ()} if items else {}

    def argument_shape(self, name, items_only=False):
        """The symbolic shape of variable ``name`` when it holds an argument of this specialisation (an array, a
        number, an item of a list argument of several shapes; only the last with ``items_only``), through the
        copies made of it; else ``None``."""
        for _ in range(8):
            values = self.values_of.get(name, ())
            if len(values) != 1:
                break
            value = values[0][0]
            if isinstance(value, (Prim, ListGet)):  # lst[i] of a list argument of several shapes
                lst, idx = (value.args + [None, None])[:2] if isinstance(value, Prim) else (value.lst, value.idx)
                lst = getattr(lst, "name", None)
                known = self.ragged_params.get(lst) if lst not in self.values_of else None
                index = getattr(getattr(idx, "node", None), "value", None)
                if not known or known[2] is None or type(index) is not int or not -known[1] <= index < known[1]:
                    return None
                if isinstance(value, Prim) and value.fn is not operator.getitem:
                    return None
                return known[2][index]
            name = value.name if isinstance(value, Var) else getattr(getattr(value, "src", None), "name", None)
        if items_only or name is None or name not in self.param_shapes or name in self.values_of:
            return None
        return self.param_shapes[name]

    def check_items_read(self):
        """Refuse a list read item by item by a gradient (``container_given``) and changed later (in a loop)."""
        for name, (e, ctx) in self.items_read.items():
            if name in self.changed_lists:
                raise ctx.error(
                    e,
                    "a list of arrays of several shapes given to a compiled gradient is changed after the "
                    "call (in a loop): build it anew before each call",
                )

    def specialised_callee(self, callee, e, ctx):
        """``callee``, or for a function carrying ``__srcgrad_specialise__`` called with lists and tuples whose
        items are known here (a list of ``(W, b)`` tuples), the function with source that hook makes for their
        layouts (``None`` for an argument that is no such container; ``("list", (None, None))`` for a list of two
        arrays; nested alike), read in its place (see ``SPECIALISE_ATTRIBUTE``)."""
        hook = getattr(callee, SPECIALISE_ATTRIBUTE, None)
        if hook is None or e.keywords or any(isinstance(a, ast.Starred) for a in e.args):
            return callee
        layouts = [self.layout_of(a, ctx) for a in e.args]
        if all(layout is None for layout in layouts):
            return callee
        made = hook(*layouts)
        return callee if made is None else made

    def layout_of(self, node, ctx):
        """The layout of a list or tuple the compiler keeps (a literal, or a name holding one), else ``None``."""

        def of_items(kind, items):
            return (kind, tuple(of_item(x) for x in items))

        def of_item(item):
            if isinstance(item, StaticTuple):
                return of_items("list" if item.mutable else "tuple", item.items)
            return None

        if isinstance(node, (ast.Tuple, ast.List)) and not any(isinstance(x, ast.Starred) for x in node.elts):
            return ("list" if isinstance(node, ast.List) else "tuple", tuple(self.layout_of(x, ctx) for x in node.elts))
        if isinstance(node, ast.Name) and node.id in ctx.rename:
            return of_item(self.static.get(ctx.rename[node.id]))
        return None
