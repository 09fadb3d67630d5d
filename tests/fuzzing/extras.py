"""More statement forms: in-place writes through views as dynamic mode sees them, mixed dtypes, helpers
called with ``*args`` and recursion.

* ``inplace`` theme (``s_inplace``): a fresh array made from the arguments (``y = x * 1.0``), then a write that
  reaches it through a view or a numpy function writing in place: ``np.add.at``, ``np.put``, ``np.copyto``
  (with ``where=``), a ufunc with ``out=`` (the array, or a view of it), a chain of views (``y.T``,
  ``reshape``, ``ravel``, a basic slice) written into, a fancy write through ``np.ix_``; also reads with
  ``np.take`` and ``np.where`` that broadcasts its condition, and ``np.r_``/``np.c_`` of the written array.
  Both the array and its view are read by the loss.
* ``mixed`` theme (``s_mixed``): boolean masks from comparisons used in arithmetic and ``np.where``, integer
  ranges in arithmetic, 0-d arrays, complex intermediates of real arguments reduced to a real value
  (``np.abs(z) ** 2``, ``np.real(z * np.conj(z))``, ``np.exp(1j * x).imag``), and float32 promotion
  (``x.astype(np.float32) * 2.0`` stays float32; ``+ x`` or ``* np.float64(...)`` makes float64).
* ``extra_helper``: helpers with ``*args``, a small recursion (``h(a, n - 1)`` to depth 1-3), and defaults
  read through keyword calls.
"""

import numpy as np

from .exprs import FLOAT, Ty, op
from .program import Stmt


class ExtraStatements:
    """``Builder``'s statements of the ``inplace`` and ``mixed`` themes (mixed into ``statements.Builder``)."""

    def fresh_target(self, scope, shape):
        """A new array of ``shape`` computed from the variables (a descendant of the leaves): name and line."""
        e = self.ex(scope).real(shape, self.depth() - 1)
        name = self.ctx.name("y")
        form = self.r.choice([f"{e.wrap()} * 1.0", f"{e.text} + 0.0", f"np.sin({e.text})", f"{e.wrap()} * 1"])
        scope.bind(name, Ty("array", shape))
        return name, Stmt([f"{name} = {form}"])

    def s_inplace(self, scope, in_loop, nest):
        r, ex = self.r, self.ex(scope)
        shape = self.shape(scope) or (3,)
        if len(shape) > 2:
            shape = shape[:2]
        y, first = self.fresh_target(scope, shape)
        out = [first]
        n = shape[0]
        rest = shape[1:]
        value = ex.bcast(rest, 1).text if rest else ex.real((), 1).text
        form = r.randrange(12)
        view = None
        if form == 0:
            idx = [r.randrange(n) for _ in range(3)]
            idx[-1] = idx[0]
            out.append(Stmt([f"np.add.at({y}, {idx!r}, 0.5 * np.tanh({value}))"]))
        elif form == 1:
            size = int(np.prod(shape))
            idx = sorted(r.sample(range(size), min(size, 2)))
            vals = ex.real((len(idx),), 1).text
            out.append(Stmt([f"np.put({y}, {idx!r}, {vals})"]))
        elif form == 2:
            mask = f"{ex.real(shape, 1).wrap()} > {ex.num(-0.5, 0.5)}"
            out.append(Stmt([f"np.copyto({y}, {ex.real(shape, 1).text}, where={mask})"]))
        elif form == 3:
            fn = r.choice(["np.sin", "np.tanh", "np.exp", "np.negative"])
            out.append(Stmt([f"{fn}({y}, out={y})"]))
        elif form == 4 and n > 1:
            out.append(Stmt([f"np.multiply({y}[1:], {ex.num(0.5, 1.5)}, out={y}[1:])"]))
        elif form == 5:
            view = self.ctx.name("v")
            chain = r.choice(
                [f"{y}.T", f"{y}.reshape(-1)", f"{y}.ravel()", f"{y}[::-1]", f"{y}[1:]" if n > 1 else f"{y}[:]"]
            )
            vshape = {"T": shape[::-1], "reshape": (int(np.prod(shape)),), "ravel": (int(np.prod(shape)),)}
            key = next((k for k in vshape if f".{k}" in chain), None)
            vs = vshape[key] if key else ((n - 1,) + rest if chain.endswith("[1:]") else shape)
            scope.bind(view, Ty("array", vs), {y})
            out.append(Stmt([f"{view} = {chain}"]))
            op = r.choice(["*=", "+=", "-="])
            rhs = ex.num(0.5, 1.5) if op == "*=" else f"0.5 * np.tanh({ex.bcast(vs, 1).text})"
            target = view if r.random() < 0.6 else f"{view}[{r.randrange(vs[0])}]"
            if target != view and op != "*=":
                rhs = f"0.5 * np.tanh({ex.bcast(vs[1:], 1).text if vs[1:] else ex.real((), 1).text})"
            out.append(Stmt([f"{target} {op} {rhs}"]))
        elif form == 6 and len(shape) == 2:
            rows = sorted(r.sample(range(n), r.randint(1, n)))
            cols = sorted(r.sample(range(shape[1]), r.randint(1, shape[1])))
            sel = (len(rows), len(cols))
            op = r.choice(["+=", "=", "*="])
            rhs = f"(1.0 + 0.3 * np.tanh({ex.bcast(sel, 1).text}))" if op == "*=" else ex.bcast(sel, 1).text
            out.append(Stmt([f"{y}[np.ix_({rows!r}, {cols!r})] {op} {rhs}"]))
        elif form == 7:
            view = self.ctx.name("v")
            idx = [r.randrange(n) for _ in range(3)]
            scope.bind(view, Ty("array", (3,) + rest))
            out.append(Stmt([f"{y} *= {ex.num(0.5, 1.5)}"]))
            out.append(Stmt([f"{view} = np.take({y}, {idx!r}, axis=0)"]))
        elif form == 8 and len(shape) == 2:
            view = self.ctx.name("v")
            scope.bind(view, Ty("array", shape))
            cond = f"{y}[:, :1] > {ex.num(-0.5, 0.5)}"
            out.append(Stmt([f"{view} = np.where({cond}, {y}, {ex.bcast(shape[1:], 1).text})"]))
        elif form == 9:
            view = self.ctx.name("v")
            other = ex.real(shape, 1).text
            join = r.choice(["r", "c"]) if len(shape) == 1 else "r"
            vs = (2 * n,) + rest if join == "r" else (n, 2)
            scope.bind(view, Ty("array", vs))
            out.append(Stmt([f"{y}[{r.randrange(n)}] = {value}"]))
            out.append(Stmt([f"{view} = np.{join}_[{y}, {other}]"]))
        elif form == 10:
            out.append(Stmt([f"np.add({y}, {ex.bcast(shape, 1).text}, out={y})"]))
        else:
            view = self.ctx.name("v")
            scope.bind(view, Ty("array", shape), {y})
            out.append(Stmt([f"{view} = {y}[...]"]))
            out.append(Stmt([f"{y} *= {ex.num(0.5, 1.5)}"]))
            out.append(Stmt([f"{view}[{r.randrange(n)}] += {value}"]))
        self.ctx.must_read += [y] + ([view] if view else [])
        return out

    def s_mixed(self, scope, in_loop, nest):
        r, ex = self.r, self.ex(scope)
        shape = self.shape(scope)
        e = ex.real(shape, self.depth() - 1)
        name = self.ctx.name()
        form = r.randrange(11)
        ty = Ty("array", shape) if shape else FLOAT
        if form == 0:
            text = f"{e.wrap()} * ({ex.real(shape, 1).wrap()} > {ex.num(-0.5, 0.5)})"
        elif form == 1:
            text = f"np.where({e.wrap()} > {ex.num(-0.5, 0.5)}, {e.text}, 0.5 * {ex.bcast(shape, 1).wrap()})"
        elif form == 2 and shape:
            text = f"{e.wrap()} * np.arange({shape[-1]})"
        elif form == 3:
            text = f"np.array({ex.num(0.3, 1.5)}) * {e.wrap()} + np.array({ex.real((), 1).text})"
        elif form == 4:
            z = self.ctx.name("z")
            e2 = ex.real(shape, 1)
            red = r.choice(["np.abs({z}) ** 2", "np.real({z} * np.conj({z}))", "({z} * {z}).imag", "np.abs({z})"])
            if red == "np.abs({z})":  # (never 0, where |z| has a kink)
                e2 = op(f"1.0 + {e2.wrap()} * {e2.wrap()}")
            scope.bind(name, ty)
            return [Stmt([f"{z} = {e.wrap()} + 1j * {e2.wrap()}"]), Stmt([f"{name} = {red.format(z=z)}"])]
        elif form == 5:
            text = r.choice([f"np.exp(1j * {e.wrap()}).imag", f"np.real(np.exp(1j * {e.wrap()}) * (1 - 2j))"])
        elif form == 6:
            text = f"{e.wrap()}.astype(np.float32) * {ex.num(0.5, 1.5)}" if shape else f"np.float32({e.text}) * 0.5"
        elif form == 7:
            text = f"{e.wrap()}.astype(np.float32) + {ex.real(shape, 1).wrap()}"
        elif form == 8:
            text = f"np.float64({ex.num(0.5, 1.5)}) * np.asarray({e.text}, dtype=np.float32)"
        elif form == 9:
            text = f"np.sum({e.wrap()} > 0) * {ex.real(shape, 1).wrap()}"
        else:
            text = f"np.abs(np.fft.fft({e.text})) ** 2" if len(shape) == 1 else f"{e.wrap()} * True"
        scope.bind(name, ty)
        return [Stmt([f"{name} = {text}"])]


def extra_helper(r, name, c, make):
    """A helper with ``*args`` (form 0) or a small recursion (form 1): its lines and ``Helper``."""
    if r.random() < 0.5:
        lines = [
            f"def {name}(a, *rest, scale={c}):",
            "    u = a",
            "    for b in rest:",
            "        u = u * np.tanh(b) + b",
            "    return u * scale",
        ]
        return lines, make(name, lines, "varargs", r.choice(["", f", scale={round(r.uniform(0.2, 1.5), 2)}"]))
    lines = [
        f"def {name}(a, n=2):",
        "    if n == 0:",
        "        return a",
        f"    return np.sin({name}(a, n - 1)) * {c} + a",
    ]
    return lines, make(name, lines, "unary", r.choice(["", ", 1", ", n=3"]))
