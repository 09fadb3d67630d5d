"""The ``calls`` theme: numpy calls written the ways users write them, which the other themes do not reach.

Each statement binds a new name to one call of a numpy function on an expression of the variables:

* options given by keyword, in an order numpy's signature does not have (``np.var(a, keepdims=True, ddof=1,
  axis=0)``, ``np.clip(a, a_max=hi, a_min=lo)``, ``np.moveaxis(a, destination=-1, source=0)``), and now and
  then the array itself by keyword (``np.sum(a=x, axis=0)``, which the modes must refuse by name);
* ``axis=None`` where it flattens (``np.concatenate``, ``np.sort``, ``np.cumsum``, ``np.repeat``), negative
  and tuple axes;
* ``np.where`` broadcasting all three operands against each other (a column condition, a row, a number);
* negative strides (``a[::-2]``, ``a[..., ::-1]``, ``np.flip(a, axis=(0, 1))``, ``np.flipud``);
* ``np.take_along_axis`` with ``np.argsort`` and with a constant index array that repeats an entry;
* the kinds of number a user mixes with arrays: ``np.float64(s)``, ``np.array(s)`` (0-d), ``float(...)`` of a
  reduction, ``np.float32`` constants; integer and boolean arrays in arithmetic (``(a > 0) * a``,
  ``np.arange(n) * a``, ``np.count_nonzero``-style sums);
* ufunc methods (``np.add.reduce``, ``np.multiply.accumulate``, ``np.maximum.reduce``: numpy's reductions and
  scans; ``np.maximum.accumulate`` has no rule), ``np.pad`` in its copying modes, and ``np.average``, which
  static mode must refuse cleanly;
* module helpers taking ``*args`` and ``**kwargs`` and handing them on to numpy;
* an array the function makes, a view of it read by the differentiated computation, then the array written in
  place (``written_constant``): the gradient must read the view as it was before the write.

The shape of a call is found by calling it on stand-in arrays of its operands' shapes, so the forms need not
compute it; a form that numpy rejects for those shapes is drawn again.
"""

import numpy as np

from .exprs import FLOAT, Ty
from .program import Stmt


def _stand_in(shape, start=0.13):
    size = int(np.prod(shape)) if shape else 1
    values = np.linspace(start, start + 0.71, size) * np.where(np.arange(size) % 2, -1.0, 1.0)
    return values.reshape(shape) if shape else float(values[0])


def shape_of_call(template, shapes, items=()):
    """The shape ``template`` (with ``{a}``, ``{b}``, ... for operands of ``shapes``) gives, or ``None``.

    ``items``: the module's items (lists of lines: constants, helpers) the template may call."""
    names = {k: f"_op{k}" for k in shapes}
    namespace = {"np": np}
    try:
        exec("\n".join(line for lines in items for line in lines), namespace)  # noqa: S102
    except Exception:
        return None
    for k, shape in shapes.items():
        namespace[names[k]] = _stand_in(shape, 0.13 + 0.1 * len(namespace))
    try:
        with np.errstate(all="ignore"):
            out = eval(template.format(**names), namespace)  # noqa: S307 (text the generator wrote)
    except Exception:  # numpy rejects the form for these shapes: the caller draws another
        return None
    if isinstance(out, (list, tuple)) or np.iscomplexobj(out):
        return None
    return np.shape(out)


def _axis(r, ndim, negative=True):
    if ndim == 0:
        return None
    a = r.randrange(ndim)
    return a - ndim if negative and r.random() < 0.4 else a


def _kw(r, pairs):
    """Keyword arguments in a random order (numpy's signature order is only one of them)."""
    pairs = [p for p in pairs if p is not None]
    r.shuffle(pairs)
    return ", ".join(f"{k}={v}" for k, v in pairs)


class CallStatements:
    """``Builder``'s statements of the ``calls`` theme (mixed into ``statements.Builder``)."""

    def s_calls(self, scope, in_loop, nest):
        r = self.r
        if r.random() < 0.12:
            return self.written_constant(scope)
        for _ in range(6):
            shape = self.shape(scope) or r.choice([(3,), (2, 3)])
            ex = self.ex(scope)
            a = ex.real(shape, max(1, self.depth() - 1))
            n_items = len(self.ctx.items)
            template, shapes = self.call_form(shape, a.rep)
            out = None if template is None else shape_of_call(template, shapes, self.ctx.items)
            if out is None or len(out) > 3 or int(np.prod(out)) > 64:
                del self.ctx.items[n_items:]  # (a helper made for a form that does not fit)
                continue
            operands = {"a": a.wrap()}
            for k, s in shapes.items():
                if k != "a":
                    operands[k] = ex.real(s, 1).wrap() if s else ex.real((), 1).wrap()
            text = template.format(**operands)
            name = self.ctx.name()
            scope.bind(name, Ty("array", out) if out else FLOAT)
            return [Stmt([f"{name} = {text}"])]
        raise ValueError("no call form fits")  # (the caller draws another statement)

    def call_form(self, shape, rep):
        """A template over ``{a}`` (of ``shape``) and maybe ``{b}``, ``{c}``, with their shapes."""
        r = self.r
        nd = len(shape)
        ax = _axis(r, nd)
        kd = r.choice(["True", "False"])
        form = r.randrange(26)
        one = {"a": shape}
        if form == 0:
            fn = r.choice(["np.sum", "np.mean", "np.max", "np.min", "np.prod", "np.amax", "np.ptp"])
            kws = _kw(r, [("axis", ax), ("keepdims", kd) if r.random() < 0.6 else None])
            if r.random() < 0.08:
                return f"{fn}({kws}, a={{a}})" if kws else f"{fn}(a={{a}})", one
            return f"{fn}({{a}}, {kws})" if kws else f"{fn}({{a}})", one
        if form == 1 and not rep:
            fn = r.choice(["np.var", "np.std"])
            return f"{fn}({{a}}, {_kw(r, [('axis', ax), ('keepdims', kd), ('ddof', r.choice([0, 1]))])})", one
        if form == 2 and not rep:
            if nd == 2 and r.random() < 0.5:
                ords = ["None", "'fro'", "1", "-1", "np.inf", "2", "'nuc'"]
                return f"np.linalg.norm({{a}}, {_kw(r, [('ord', r.choice(ords)), ('keepdims', kd)])})", one
            ords = ["None", "1", "2", "np.inf", "3", "0.5"]
            return f"np.linalg.norm({{a}}, {_kw(r, [('ord', r.choice(ords)), ('axis', ax), ('keepdims', kd)])})", one
        if form == 3:
            lo, hi = round(r.uniform(-0.9, -0.1), 2), round(r.uniform(0.1, 0.9), 2)
            choice = r.randrange(4)
            if choice == 0:
                return f"np.clip({{a}}, {_kw(r, [('a_min', lo), ('a_max', hi)])})", one
            if choice == 1:
                return f"np.clip({{a}}, None, {hi})", one
            if choice == 2:
                return f"{{a}}.clip({_kw(r, [('min', lo), ('max', hi)])})", one
            return f"np.clip({{a}}, {lo}, None)", one
        if form == 4 and nd >= 1:
            # np.where broadcasting three operands: a condition of another shape, a row, a number
            cond_shape = shape[:-1] + (1,) if nd >= 2 and r.random() < 0.5 else (shape[-1],)
            other = r.choice([(shape[-1],), shape, ()])
            cond = f"({{c}} > {round(r.uniform(-0.3, 0.3), 2)})"
            shapes = {"a": shape, "c": cond_shape}
            if other == ():
                pick = r.choice(
                    [
                        f"np.where({cond}, {{a}}, {round(r.uniform(-1, 1), 2)})",
                        f"np.where({cond}, {round(r.uniform(-1, 1), 2)}, {{a}})",
                    ]
                )
                return pick, shapes
            shapes["b"] = other
            return r.choice([f"np.where({cond}, {{a}}, {{b}})", f"np.where({cond}, {{b}}, {{a}})"]), shapes
        if form == 5 and nd >= 1:
            views = ["{a}[::-1]", "{a}[::-2]", "{a}[1::-1]" if shape[0] > 1 else "{a}[::-1]", "np.flip({a})"]
            if nd >= 2:
                views += [
                    "{a}[..., ::-1]",
                    "{a}[::-1, 1:]",
                    "np.flip({a}, axis=(0, 1))",
                    "np.fliplr({a})",
                    "np.flipud({a})",
                    "{a}[::-1].T",
                    "{a}[:, ::-2]",
                ]
            return r.choice(views), one
        if form == 6 and nd >= 1:
            axis = _axis(r, nd)
            if r.random() < 0.5:
                return f"np.take_along_axis({{a}}, np.argsort({{a}}, axis={axis}), axis={axis})", one
            n = shape[axis]
            idx_shape = list(shape)
            idx_shape[axis] = r.randint(1, n + 1)
            idx = np.array([r.randrange(n) for _ in range(int(np.prod(idx_shape)))]).reshape(idx_shape)
            if idx.size > 1:
                idx.flat[-1] = idx.flat[0]
            return f"np.take_along_axis({{a}}, np.array({idx.tolist()!r}), axis={axis})", one
        if form == 7:
            s = round(r.uniform(0.3, 1.4), 3)
            kinds = [
                f"np.float64({s}) * {{a}}",
                f"{{a}} * np.array({s})",
                f"np.asarray({s}) * {{a}}",
                f"{{a}} / np.float64({s})",
                "float(np.sum({a})) * {a}",
                "np.float64(np.mean({a})) + {a}",
                "np.array(np.max({a})) * {a}",
                f"{{a}} * np.float32({s})",
                "np.sum({a}) * np.ones(3)",
            ]
            return r.choice(kinds), one
        if form == 8:
            c = round(r.uniform(-0.3, 0.3), 2)
            n = shape[-1] if nd else 1
            kinds = [
                f"({{a}} > {c}) * {{a}}",
                f"({{a}} > {c}).astype(int) * {{a}} ** 2",
                f"np.arange({n}) * {{a}}",
                f"{{a}} * np.arange(1, {n + 1}) / {n}",
                f"np.sum({{a}} > {c}) * {{a}}",
                f"{{a}} + ({{a}} < {c})",
                f"np.where({{a}} > {c}, 1, 0) * {{a}}",
                f"{{a}} * np.array({[r.randint(-2, 2) for _ in range(n)]!r})",
            ]
            return r.choice(kinds), one
        if form == 9:
            kinds = [
                "np.add.reduce({a}, axis=0)",
                "np.multiply.accumulate({a}, axis=-1)",
                "np.maximum.reduce({a})",
                "np.add.accumulate({a})",
                "np.minimum.reduce({a}, axis=-1)",
            ]
            return r.choice(kinds), one
        if form == 10 and nd >= 1:
            if r.random() < 0.5:
                return "np.concatenate(({a}, {b}), axis=None)", {"a": shape, "b": r.choice([(2,), (1, 3), shape])}
            return f"np.stack(({{a}}, {{b}}), axis={r.choice([0, -1, nd])})", {"a": shape, "b": shape}
        if form == 11:
            fn = r.choice(["np.cumsum", "np.cumprod", "np.sort"])
            return f"{fn}({{a}}, axis={r.choice(['None', ax])})", one
        if form == 12 and nd >= 1:
            return f"np.diff({{a}}, {_kw(r, [('axis', ax), ('n', r.choice([1, 2]))])})", one
        if form == 13 and nd >= 1:
            return (
                f"np.roll({{a}}, {_kw(r, [('shift', r.choice([-1, 1, 2, 4])), ('axis', r.choice([ax, None]))])})",
                one,
            )
        if form == 14 and nd >= 2:
            kinds = [
                f"np.moveaxis({{a}}, {_kw(r, [('source', 0), ('destination', -1)])})",
                f"np.swapaxes({{a}}, {_kw(r, [('axis1', 0), ('axis2', -1)])})",
                f"np.transpose({{a}}, axes={tuple(reversed(range(nd)))!r})",
            ]
            return r.choice(kinds), one
        if form == 15:
            axes = r.choice(["0", "-1", f"({0}, {nd})" if nd else "0"])
            return f"np.expand_dims({{a}}, axis={axes})", one
        if form == 16 and nd >= 1:
            reps = r.choice(["2", "(2, 1)", "(1, 2)"])
            if r.random() < 0.5:
                return f"np.tile({{a}}, reps={reps})", one
            return f"np.repeat({{a}}, {_kw(r, [('repeats', r.choice([2, 3])), ('axis', r.choice([ax, None]))])})", one
        if form == 17 and nd == 2:
            kinds = [
                f"np.trace({{a}}, offset={r.choice([-1, 0, 1])})",
                f"np.diagonal({{a}}, {_kw(r, [('axis1', 1), ('axis2', 0), ('offset', r.choice([0, 1]))])})",
                f"np.triu({{a}}, k={r.choice([-1, 0, 1])})",
                f"np.tril({{a}}, k={r.choice([-1, 0, 1])})",
            ]
            return r.choice(kinds), one
        if form == 18 and nd >= 1:
            width = r.choice(["1", "(1, 2)", "((0, 1),) * " + str(nd)])
            mode = r.choice(["edge", "wrap", "reflect", "symmetric"])
            kinds = [
                f"np.pad({{a}}, pad_width={width}, constant_values={round(r.uniform(-1, 1), 2)})",
                f"np.pad({{a}}, {width})",
                f"np.pad({{a}}, {width}, mode={mode!r})",
            ]
            return r.choice(kinds), one
        if form == 19 and nd >= 1:
            m = shape[-1]
            other = (m,) if r.random() < 0.5 else (m, 2)
            kinds = ["np.tensordot({a}, {b}, axes=1)", "np.dot({a}, {b})", "np.matmul({a}, {b})"]
            return r.choice(kinds), {"a": shape, "b": other}
        if form == 20 and nd >= 1:
            w = [round(r.uniform(0.2, 1.5), 2) for _ in range(shape[-1])]
            return f"np.average({{a}}, {_kw(r, [('axis', -1), ('weights', f'np.array({w!r})')])})", one
        if form == 21:
            fn = r.choice(["np.sum", "np.mean"])
            return f"{fn}({{a}}, {_kw(r, [('axis', ax), ('dtype', 'np.float64')])})", one
        if form == 22 and nd >= 1:
            return self.star_helper_call(shape), one
        if form == 23:
            kinds = [
                "np.squeeze(np.expand_dims({a}, 0), axis=0)",
                "np.atleast_2d({a})",
                "np.reshape({a}, (-1,), order='F')",
                "{a}.reshape(-1, order='F')",
                "np.ravel({a}, order='F')",
            ]
            return r.choice(kinds), one
        if form == 24 and nd >= 1:
            return "np.cumsum({a}[::-1], axis=0)[::-1]", one
        if form == 25 and nd >= 1:
            lo, hi = round(r.uniform(-0.9, -0.1), 2), round(r.uniform(0.1, 0.9), 2)
            return r.choice(
                [
                    f"np.maximum({{a}}, {lo}, dtype=np.float64)",
                    f"np.add({{a}}, {hi}, dtype=np.float64)",
                    f"np.multiply({hi}, {{a}}, casting='same_kind')",
                ]
            ), one
        return None, None

    def written_constant(self, scope):
        """An array the function makes, a view of it read by the differentiated computation, then the array
        written in place: ``c = np.linspace(...)``, ``v = c[::-1]``, ``out = np.sin(x) * v``, ``c[0] = 0.5``
        (the gradient must read the view as it was before the write)."""
        r, ctx = self.r, self.ctx
        shape = (self.shape(scope) or (3,))[:2]
        size = int(np.prod(shape))
        a = self.ex(scope).real(shape, 1)
        c, v, out = ctx.name("c"), ctx.name("v"), ctx.name()
        lo, hi = round(r.uniform(-1.0, 0.0), 2), round(r.uniform(0.2, 1.2), 2)
        init = r.choice(
            [
                f"np.linspace({lo}, {hi}, {size}).reshape({shape!r})",
                f"np.ones({shape!r}) * {hi}",
                f"np.arange({size}.0).reshape({shape!r}) * 0.1",
            ]
        )
        views = [f"{c}[::-1]", f"np.flip({c})", f"np.reshape({c}, {shape!r})", f"np.asarray({c})", f"{c}[...]"]
        views += [f"np.broadcast_to({c}, {shape!r})", f"{c}.ravel().reshape({shape!r})"]
        if len(shape) == 2:
            views += [f"{c}.T.T", f"{c}[:, ::-1]", f"{c}[::-1, ::-1]"]
        use = r.choice([f"np.sin({a.text}) * {v}", f"{a.wrap()} * {v} + {v} ** 2", f"np.tanh({a.wrap()} * {v})"])
        writes = [f"{c}[0] = 0.5", f"{c}[-1] += 1.0", f"{c}[...] = 2.0", f"{c} *= 1.5", f"{c}[0] *= -1.0"]
        scope.bind(out, Ty("array", shape))
        ctx.must_read.append(out)
        return [
            Stmt([f"{c} = {init}"]),
            Stmt([f"{v} = {r.choice(views)}"]),
            Stmt([f"{out} = {use}"]),
            Stmt([r.choice(writes)]),
        ]

    def star_helper_call(self, shape):
        """A call of a module helper that takes ``*args`` and ``**kwargs`` and hands them on to numpy."""
        r, ctx = self.r, self.ctx
        name = f"hk{len(ctx.helpers)}_{ctx.counter}"
        ctx.counter += 1
        scale = round(r.uniform(0.3, 1.3), 2)
        form = r.randrange(3)
        if form == 0:
            lines = [
                f"def {name}(*args, **kwargs):",
                f"    return np.tanh(args[0]) * kwargs.get('scale', {scale}) + np.sum(args[1:], axis=0)",
            ]
            extra = r.choice(["", ", {a}", f", {{a}}, scale={scale}"])
            ctx.items.append(lines)
            return f"{name}({{a}}{extra})"
        if form == 1:
            lines = [
                f"def {name}(a, *rest, axis=-1, **options):",
                "    return np.sum(a * a, axis=axis, **options) + len(rest)",
            ]
            ctx.items.append(lines)
            return f"{name}({{a}}, {r.choice(['', '1, 2, ', ''])}{_kw(r, [('keepdims', True), ('axis', -1)])})"
        lines = [
            f"def {name}(a, **kw):",
            "    return inner_" + name + "(a, **kw)",
            f"def inner_{name}(a, scale=1.0, shift=0.0):",
            "    return np.sin(a) * scale + shift",
        ]
        ctx.items.append(lines)
        return f"{name}({{a}}, {_kw(r, [('shift', round(r.uniform(-1, 1), 2)), ('scale', scale)])})"
