"""Data a function reads from its module or its closure, and changes of that data between calls.

Static mode specialises a gradient on what the function reads besides its
arguments (module globals, closure cells, a helper's defaults). This family
makes programs read such data in the forms users write, and lists *changes*
of it that a caller may make between two calls of one gradient:

* data read by ``f``: constant arrays (``G0``, ``K0``, from ``Context.const``), a list of arrays (``GL1``), an
  integer used as an index (``GI2``), an index array with repeats (``GX3``), a boolean mask (``GM4``), a float
  (``GS5``), a dict of arrays (``GD6``); each in the module or, in the ``closure`` theme, in a closure cell
  (``K...``); a class holding data as attributes, as a configuration object does (``GA7.w``, ``GA7.s``);
* changes: new values (rebinding, or written in place), another dtype (float32, int64), another shape that
  still broadcasts, another kind (an array that becomes a float, a 0-d array or a list; a mask that becomes
  an integer index), an attribute rebound or written in place, a list appended to, popped or reversed, an index array that comes to repeat an entry in
  place, an array reshaped in place (``G.shape = ...``), a closure cell rebound (``cell.cell_contents = ...``).

``propose_changes`` keeps the changes under which the program still runs and returns a finite real number;
the ``respec`` mode (``respec.py``) calls one gradient before and after each change and judges it against
finite differences of the changed program: a gradient must follow the data, never a stale specialisation.
"""

import math
import re
import warnings

import numpy as np

from .exprs import FLOAT, Ty
from .program import Stmt

# change templates per kind of data: {v} is the data's place (a global name or ``cell.cell_contents``)
ARRAY_CHANGES = [
    "{v} = {v} * -1.5 + 0.25",
    "{v} *= -0.8",
    "{v}[...] = np.flip({v}) + 0.5",
    "{v} = {v}.astype(np.float32)",
    "{v} = np.round({v} * 2.0).astype(np.int64)",
    "{v} = {v}[..., :1] * 2.0",
    "{v} = float({v}.flat[0]) + 0.5",
    "{v} = np.array({v}.flat[-1] - 0.5)",
    "{v} = ({v} * 0.5).tolist()",
    "{v}.shape = {v}.shape[::-1]",
    "{v} = np.float64(np.sum({v}))",
]
LIST_CHANGES = [
    "{v}.append({v}[0] * 0.5)",
    "{v}[-1] = {v}[-1] * -2.0",
    "{v}.pop()",
    "{v}[0] *= 1.5",
    "{v}.reverse()",
    "{v}[0] = float(np.sum({v}[0]))",
    "{v}[1] = {v}[1].astype(np.float32)",
]
INT_CHANGES = [
    "{v} = ({v} + 1) % {n}",
    "{v} = np.int64({v} - 1)",
    "{v} = -1",
    "{v} = [{v}, {v}]",
    "{v} = slice({v}, None)",
]
INDEX_CHANGES = [
    "{v} = {v}[::-1].copy()",
    "{v}[0] = {v}[-1]",
    "{v} = np.append({v}, {v}[:1])",
    "{v} = {v}.tolist()",
    "{v} = ({v} + 1) % {n}",
    "{v} = {v}[:1]",
]
MASK_CHANGES = ["{v}[0] = not {v}[0]", "{v} = ~{v}", "{v} = {v}.astype(np.int64)", "{v} = {v}.tolist()"]
FLOAT_CHANGES = [
    "{v} = -0.35",
    "{v} = np.float32({v} * 2.0)",
    "{v} = np.array({v} + 0.5)",
    "{v} = 2",
    "{v} = np.array([{v}, -{v}])[:1]",
]
DICT_CHANGES = [
    "{v}['w'] = {v}['w'] * 2.0 - 1.0",
    "{v}['w'] *= 0.5",
    "{v}['w'] = {v}['w'].astype(np.float32)",
    "{v}['w'] = float(np.mean({v}['w']))",
    "{v}['w'] = {v}['w'][..., :1]",
]
ATTRIBUTE_CHANGES = [
    "{v}.w = {v}.w * -1.5 + 0.25",
    "{v}.w *= 0.5",
    "{v}.s = -0.35",
    "{v}.s = {v}.s * 2.0",
    "{v}.w = {v}.w[..., :1]",
    "{v}.w = {v}.w.astype(np.float32)",
]
CHANGES = {
    "array": ARRAY_CHANGES,
    "list": LIST_CHANGES,
    "int": INT_CHANGES,
    "index": INDEX_CHANGES,
    "mask": MASK_CHANGES,
    "float": FLOAT_CHANGES,
    "dict": DICT_CHANGES,
    "attribute": ATTRIBUTE_CHANGES,
}


def place(name, where):
    """The lines that reach a datum before a change, and the text of its place."""
    if where == "cell":
        return [f"cell = f.__closure__[f.__code__.co_freevars.index({name!r})]"], "cell.cell_contents"
    return [], name


def change_text(r, name, info):
    """The lines of one random change of the datum ``name`` (``info``: ``(where, kind, n)``)."""
    where, kind, n = info
    before, v = place(name, where)
    return "\n".join(before + [r.choice(CHANGES[kind]).format(v=v, n=n)])


def propose_changes(r, program, data, tries=6, keep=3):
    """Changes of the program's data under which it still runs: a list of code texts, applied in order.

    Args:
        r: the ``random.Random`` of the program.
        program: the ``Program`` (its source and arguments).
        data: name -> ``(where, kind, n)``: the data ``f`` reads (``where``: ``global`` or ``cell``; ``n``: the
            length an integer or an index array indexes).
    """
    body = "\n".join(program.function_lines(0))
    data = {name: info for name, info in data.items() if re.search(rf"\b{name}\b", body)}
    if not data:
        return []
    kept = []
    for _ in range(tries):
        if len(kept) >= keep:
            break
        name = r.choice(sorted(data))
        candidate = change_text(r, name, data[name])
        if runs_after(program, kept + [candidate]):
            kept.append(candidate)
    return kept


def runs_after(program, changes):
    """Does the program return a finite real number after each of ``changes`` (applied in order)?"""
    namespace = {}
    try:
        with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            warnings.simplefilter("error")
            exec(compile(program.source(), "<fuzz-generate>", "exec"), namespace)
            for change in [None] + list(changes):
                if change is not None:
                    exec(compile(change, "<fuzz-change>", "exec"), namespace)
                out = namespace["f"](*program.args())
                if np.ndim(out) != 0 or np.iscomplexobj(out):
                    return False
                v = float(out)
                if not (math.isfinite(v) and abs(v) < 1e6):
                    return False
    except Exception:  # noqa: BLE001 - a change the program cannot take is just not kept
        return False
    return True


class DataStatements:
    """``Builder``'s statements reading module or closure data (mixed into ``statements.Builder``)."""

    def datum(self, prefix, text, kind, n=0):
        """Bind a new datum (a module global, or a closure cell in the closure theme) and return its name."""
        ctx, r = self.ctx, self.r
        ctx.counter += 1
        cell = "closure" in ctx.themes and ("globals" not in ctx.themes or r.random() < 0.5)
        name = f"{'K' if cell else 'G'}{prefix}{ctx.counter}"
        if cell:
            ctx.closure = (ctx.closure or []) + [f"{name} = {text}"]
        else:
            ctx.items.append([f"{name} = {text}"])
        ctx.data[name] = ("cell" if cell else "global", kind, n)
        return name

    def array_literal(self, shape):
        values = np.round(self.nrng.normal(size=shape), 2) + 0.0
        return f"np.array({values.tolist()!r})"

    def s_data(self, scope, in_loop, nest):
        r = self.r
        ex = self.ex(scope)
        name = self.ctx.name()
        arrays = [(n, t) for n, t in scope.vars.items() if t.kind == "array" and t.shape and t.shape[0] >= 2]
        form = r.choice(["list", "list", "int", "index", "index", "mask", "float", "dict", "attribute", "attribute"])
        if form in ("int", "index", "mask") and not arrays:
            form = "list"
        if form == "list":
            shape = self.shape(scope)
            m = r.randint(2, 3)
            items = ", ".join(
                self.array_literal(shape) if shape else repr(round(r.uniform(-1, 1), 2)) for _ in range(m)
            )
            g = self.datum("L", f"[{items}]", "list")
            e = ex.real(shape, self.depth() - 1)
            text = r.choice(
                [
                    f"sum({g}) * {e.wrap()}",
                    f"{e.wrap()} * {g}[0] - {g}[-1]",
                    f"sum(np.tanh({e.wrap()} * p) for p in {g})",
                    f"np.mean(np.stack([p * {e.wrap()} for p in {g}]), axis=0)",
                ]
            )
            if text.startswith("np.mean") and not shape:
                text = f"sum({g}) * {e.wrap()}"
            scope.bind(name, Ty("array", shape) if shape else FLOAT)
            return [Stmt([f"{name} = {text}"])]
        if form == "float":
            g = self.datum("S", repr(round(r.uniform(0.2, 1.2), 2)), "float")
            shape = self.shape(scope)
            e = ex.real(shape, self.depth() - 1)
            scope.bind(name, Ty("array", shape) if shape else FLOAT)
            return [Stmt([f"{name} = {e.wrap()} * {g} + np.sin({g}) * {e.wrap()}"])]
        if form == "attribute":  # a class holding data as attributes (a config object): Cfg.w, Cfg.s
            shape = self.shape(scope) or (3,)
            ctx = self.ctx
            ctx.counter += 1
            g = f"GA{ctx.counter}"
            s = round(r.uniform(0.2, 1.2), 2)
            ctx.items.append([f"class {g}:", f"    w = {self.array_literal(shape)}", f"    s = {s}"])
            ctx.data[g] = ("global", "attribute", 0)
            e = ex.real(shape, self.depth() - 1)
            scope.bind(name, Ty("array", shape))
            return [Stmt([f"{name} = {e.wrap()} * {g}.w + np.sin({g}.s * {e.wrap()})"])]
        if form == "dict":
            shape = self.shape(scope) or (3,)
            g = self.datum("D", f"{{'w': {self.array_literal(shape)}}}", "dict")
            e = ex.real(shape, self.depth() - 1)
            scope.bind(name, Ty("array", shape))
            return [Stmt([f"{name} = {e.wrap()} * {g}['w'] + np.cos({g}['w'])"])]
        var, t = r.choice(arrays)
        n = t.shape[0]
        if form == "int":
            g = self.datum("I", repr(r.randrange(n)), "int", n)
            scope.bind(name, Ty("array", t.shape[1:]) if t.shape[1:] else FLOAT)
            return [Stmt([f"{name} = {var}[{g}] * {ex.num(0.5, 1.5)}"])]
        if form == "mask":
            mask = [r.random() < 0.5 for _ in range(n)]
            mask[r.randrange(n)] = True
            mask[r.randrange(n)] = False
            g = self.datum("M", f"np.array({mask!r})", "mask", n)
            e = ex.bcast(t.shape, 1)
            scope.bind(name, Ty("array", t.shape))
            head = f"{g}[:{', None' * (len(t.shape) - 1)}]" if len(t.shape) > 1 else g
            return [Stmt([f"{name} = np.where({head}, {var}, {e.wrap()} * 0.5)"])]
        m = r.randint(2, 4)
        idx = [r.randrange(n) for _ in range(m)]
        idx[-1] = idx[0]  # a repeat
        g = self.datum("X", f"np.array({idx!r})", "index", n)
        if r.random() < 0.5 or not scope.mutable(var):
            scope.bind(name, Ty("array", (m,) + t.shape[1:]))
            return [Stmt([f"{name} = np.sin({var}[{g}])"])]
        value = ex.real((), 1).text
        scope.bind(name, Ty("array", t.shape))
        self.ctx.must_read.append(name)
        return [
            Stmt([f"{name} = {var} * 1.0"]),
            Stmt([f"{name}[{g}] {r.choice(['+=', '=', '*='])} {value}"]),
        ]
