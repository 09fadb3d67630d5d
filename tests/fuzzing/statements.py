"""Random statements and whole programs, weighted by theme.

``Builder.statement`` makes one statement (or a few that belong together) over
the variables in scope. A program draws one to three *themes* (the shapes issue 9
lists), which weigh its statements:

* ``views``: a fresh array, a view of it (basic slice, integer row, ``.T``,
  ``reshape``, ``ravel``, ``flip``, ``[::-1]``, ``np.asarray``) or a copy, then an
  in-place update of one of them (``v *= c``, ``v[i] = ...``, ``base += ...``),
  then both read;
* ``containers``: dicts and lists built, items updated with ``+=``, appended,
  comprehensions;
* ``globals`` / ``closure``: module constants, or constants in closure cells;
* ``indexing``: ``np.r_``, ``np.c_``, ``np.ix_``, ``np.s_``, fancy and boolean
  indices, index writes;
* ``multi``: ``np.split``/``array_split``/``hsplit``/``vsplit``, ``eigh``, ``svd``,
  ``slogdet``, ``divmod``, unpacking an array by rows;
* ``complex``: a complex argument, complex arithmetic reduced by ``abs``/``real``;
* ``methods``: ``x.std()``, ``x.var()``, ``x.sum(axis)``, ``x.max(axis)``,
  ``flatten``, ``.T``, ``repeat``, ...;
* ``control``: ``for``, ``if``/``else``, ``while`` with ``break``/``continue``,
  early ``return``, conditional expressions;
* ``helpers``: module functions with defaults, keyword-only parameters, early
  returns, loops, tuple results, an in-place update of their argument;
* ``einsum``, ``linalg``: random subscripts, matrix products and solves;
* ``names``: local names that generated code likes to use (``t``, ``dt``, ``dx``, ``tmp``, ``dout``, ``cond``);
* ``loops``: long loops at the top level (what ``checkpoint=`` snapshots): recurrences, index writes by the loop
  variable, lists appended to and popped, branches on values, ``while`` loops;
* ``dtypes``: float32 and 0-d arguments, arguments with axes of length one, integer data arrays (arithmetic,
  ``np.where`` masks, fancy indices with repeats, ``base[idx] += ...``), ``astype`` and ``np.float32`` casts.

Every program also gets plain statements: elementwise arithmetic with
broadcasting, reductions with axes and ``keepdims``, rebinding, augmented
assignment, tuple unpacking, float arguments.

``programs.generate`` puts statements together into programs and checks each as it is made.
"""

import numpy as np

from .calls import CallStatements
from .exprs import FLOAT, Exprs, Ty, op, shape_text
from .extras import ExtraStatements, extra_helper
from .moddata import DataStatements
from .program import Stmt

THEMES = (
    "views",
    "containers",
    "globals",
    "closure",
    "indexing",
    "multi",
    "complex",
    "methods",
    "control",
    "helpers",
    "einsum",
    "linalg",
    "names",
    "loops",
    "dtypes",
    "inplace",
    "mixed",
    "calls",
)
DRAWN_THEMES = THEMES[:-1]  # a program draws its themes from these; "calls" only when asked for (--themes)
ARRAY_SHAPES = [(3,), (4,), (2, 3), (3, 3), (3, 2), (2, 2), (4, 3), (2, 3, 2), (2,)]
PLAIN_NAMES = ["x", "y", "w", "b", "A", "u"]
TRICKY_NAMES = ["t", "dt", "dx", "tmp", "dout", "cond", "d_x", "t_2", "g", "ans", "i", "dy", "x_2", "grad"]
LIMIT = 1e3  # values larger than this are dropped while generating: finite differences lose digits


class Context:
    """What a program being built shares across its statements: themes, constants, helpers, names."""

    def __init__(self, r, themes, exclude=()):
        self.r = r
        self.themes = themes
        self.exclude = frozenset(exclude)  # statement kinds never made (see STATEMENT_KINDS)
        self.items = []  # module items: lists of lines
        self.closure = None  # lines of make_f() before def f, for the closure theme
        self.helpers = []
        self.consts = {}  # shape -> name of a module or closure constant
        self.must_read = []  # slots the loss must read (both sides of a view and in-place update)
        self.counter = 0
        self.used_names = set()
        self.int_arrays = {}  # name of an integer data argument -> its shape (the dtypes theme)
        self.index_arrays = {}  # name of a 1-d integer index argument (with repeats) -> the length it indexes
        self.index_lengths = {}  # name of such an index argument -> its own length
        self.data = {}  # name of a module global or closure cell f reads -> (where, kind, n): see moddata

    def weight(self, theme):
        """How much more often than plain arithmetic a theme's constructs appear in this program."""
        return 3.0 if theme in self.themes else (0.0 if theme in ("complex", "closure", "globals") else 0.25)

    def method_share(self):
        """The share of reductions written as array methods (``x.max(axis=0)`` rather than ``np.max``)."""
        return 0.5 if "methods" in self.themes else 0.1

    def name(self, prefix="v"):
        """A new local name (collision-prone ones for the ``names`` theme)."""
        if "names" in self.themes and self.r.random() < 0.4:
            free = [n for n in TRICKY_NAMES if n not in self.used_names]
            if free:
                n = self.r.choice(free)
                self.used_names.add(n)
                return n
        self.counter += 1
        n = f"{prefix}{self.counter}"
        self.used_names.add(n)
        return n

    def const(self, shape):
        """The text of a constant array of ``shape`` (a module global or closure cell in those themes)."""
        r = self.r
        size = int(np.prod(shape)) if shape else 1
        lo, hi = round(r.uniform(-1.0, 0.0), 2), round(r.uniform(0.2, 1.2), 2)
        text = f"np.linspace({lo}, {hi}, {size})" + (f".reshape({shape_text(shape)})" if len(shape) != 1 else "")
        if not shape:
            return repr(round(r.uniform(-1.0, 1.0), 2) or 0.5)
        where = [t for t in ("globals", "closure") if t in self.themes]
        if not where or r.random() < 0.3:
            return text
        if shape in self.consts and r.random() < 0.5:
            return self.consts[shape]
        if "closure" in where and r.random() < 0.6:
            name = f"K{len(self.consts)}"
            self.closure = (self.closure or []) + [f"{name} = {text}"]
            self.data[name] = ("cell", "array", 0)
        else:
            name = f"G{len(self.consts)}"
            values = np.round(np.random.default_rng(r.randrange(2**32)).normal(size=shape), 2)
            self.items.append([f"{name} = np.array({values.tolist()!r})" if r.random() < 0.5 else f"{name} = {text}"])
            self.data[name] = ("global", "array", 0)
        self.consts[shape] = name
        return name


# ---------------------------------------------------------------------- helpers (module-level functions)


class Helper:
    """A module-level function the expressions may call; ``call`` returns the text of one call of ``shape``."""

    def __init__(self, name, lines, kind, extra=""):
        self.name, self.lines, self.kind, self.extra = name, lines, kind, extra

    def call(self, ex, shape, depth):
        a = ex.real(shape, depth).text
        if self.kind == "binary":
            b = ex.bcast(shape, depth).text
            if ex.r.random() < 0.3 and not self.extra.startswith(", 0") and not self.extra[2:3].isdigit():
                return ex.r.choice([f"{self.name}(b={b}, a={a}{self.extra})", f"{self.name}({a}, b={b}{self.extra})"])
            return f"{self.name}({a}, {b}{self.extra})"
        if self.kind == "unary" and ex.r.random() < 0.2 and not self.extra[2:3].isdigit():
            return f"{self.name}(a={a}{self.extra})"
        if self.kind == "varargs":
            rest = [ex.bcast(shape, depth).text for _ in range(ex.r.randint(0, 2))]
            return f"{self.name}({', '.join([a] + rest)}{self.extra})"
        if self.kind == "pair":
            return f"{self.name}({a})[{ex.r.randrange(2)}]" if shape else f"{self.name}({a})[0]"
        return f"{self.name}({a}{self.extra})"


HELPER_OPS = [
    "np.sin({a})",
    "np.tanh({a}) * {b}",
    "{a} * {b} + {c}",
    "np.cos({a}) * {c}",
    "{a} / (1.0 + {b} * {b})",
    "np.exp(-{a} * {a}) + {b}",
    "np.arctan({a}) * {b}",
    "np.maximum({a}, {c}) * {b}",
]


def make_helper(r, ctx):
    k = len(ctx.helpers)
    name = f"h{k}"
    c = round(r.uniform(0.2, 1.5), 2)
    form = r.randrange(10)
    template = r.choice(HELPER_OPS)
    op1 = template.format(a="a", b="b", c="c")
    op2 = r.choice(HELPER_OPS).format(a="u", b="b", c="c")
    if form >= 8:  # *args, or a small recursion
        lines, h = extra_helper(r, name, c, Helper)
    elif form == 0:
        lines = [f"def {name}(a, b, c={c}):", f"    u = {op1}", f"    return {op2}"]
        h = Helper(name, lines, "binary", r.choice(["", f", c={round(r.uniform(0.2, 1.5), 2)}", f", {c}"]))
    elif form == 1:
        t = round(r.uniform(-3.0, 3.0), 2)
        lines = [
            f"def {name}(a, b, c={c}):",
            f"    u = {op1}",
            f"    if np.sum(u) > {t}:",
            f"        return u * {c}",
            f"    return {op2}",
        ]
        h = Helper(name, lines, "binary")
    elif form == 2:
        lines = [
            f"def {name}(a, n=2):",
            "    u = a",
            "    for _ in range(n):",
            f"        u = 0.5 * u + {r.choice(['np.sin(a)', 'np.tanh(u)', 'a * u'])}",
            "    return u",
        ]
        h = Helper(name, lines, "unary", r.choice(["", ", 3", ", n=1"]))
    elif form == 3:
        lines = [f"def {name}(a, *, scale={c}):", "    return np.tanh(a) * scale"]
        h = Helper(name, lines, "unary", r.choice(["", f", scale={round(r.uniform(0.2, 1.5), 2)}"]))
    elif form == 4:
        lines = [f"def {name}(a):", f"    return np.sin(a) * {c}, np.sum(a * a)"]
        h = Helper(name, lines, "pair")
    elif form == 5 and ctx.helpers:
        inner = ctx.helpers[-1]
        call = {"binary": f"{inner.name}(a, b)", "pair": f"{inner.name}(a)[0]"}.get(inner.kind, f"{inner.name}(a)")
        lines = [f"def {name}(a, b):", f"    return {call} * b + np.cos(a)"]
        h = Helper(name, lines, "binary")
    elif form == 6:
        lines = [
            f"def {name}(a):",
            "    a = a * 1.0",
            f"    a *= {c}",
            "    a[0] = a[0] + 1.0" if r.random() < 0.5 else "    a += np.sin(a)",
            "    return a",
        ]
        h = Helper(name, lines, "unary")
    else:
        lines = [f"{name} = lambda a, b: {template.format(a='a', b='b', c=c)}"]
        h = Helper(name, lines, "binary")
    ctx.items.append(lines)
    ctx.helpers.append(h)


# ---------------------------------------------------------------------- statements


class Builder(DataStatements, ExtraStatements, CallStatements):
    """Makes the statements of one function body."""

    def __init__(self, r, nrng, ctx, scope):
        self.r, self.nrng, self.ctx, self.scope = r, nrng, ctx, scope

    def ex(self, scope=None):
        return Exprs(self.r, scope or self.scope, self.ctx)

    def depth(self):
        return self.r.choice([1, 2, 2, 2, 3])

    def shape(self, scope):
        shapes = [t.shape for _, t in scope.slots("array")]
        if shapes and self.r.random() < 0.75:
            return self.r.choice(shapes)
        return self.r.choice(ARRAY_SHAPES + [()])

    def locals_of(self, scope, kinds=("array", "float")):
        return [n for n, t in scope.vars.items() if t.kind in kinds and n not in scope.readonly]

    # ------------------------------------------------------------------ top level and block bodies

    def statement(self, scope, in_loop=None, nest=0):
        """One statement (a list of ``Stmt``, usually one) that reads ``scope``; ``scope`` is updated for what
        it binds. ``in_loop``: the loop variable's name and trip count inside a loop body."""
        w = self.ctx.weight
        kinds = {
            "assign": 5,
            "rebind": 2,
            "aug": 2,
            "tuple": 0.8,
            "ifexp": 0.4 * w("control"),
            "index_write": 1.2 * w("indexing"),
            "view": 3 * w("views"),
            "dict": 2.5 * w("containers"),
            "list": 2 * w("containers"),
            "comprehension": 0.8 * w("containers"),
            "multi": 2 * w("multi"),
            "for": (1.2 * w("control") + 0.3) if nest < 2 else 0,
            "if": (1.2 * w("control") + 0.3) if nest < 2 else 0,
            "while": 0.8 * w("control") if nest < 1 else 0,
            "early_return": 0.4 * w("control") if not in_loop else 0,
            "complex": 2 * w("complex") if scope.slots("complex") else 0,
            "float": 0.8 if scope.slots("float") else 0,
            "pair_helper": 0.7 * w("helpers") if any(h.kind == "pair" for h in self.ctx.helpers) else 0,
            "loop_exit": 1.2 if in_loop else 0,
            "rows": 0.3 * w("multi"),
            "long_loop": 2.5 * w("loops") if nest == 0 and "loops" in self.ctx.themes else 0,
            "dtype": 2.5 * w("dtypes") if "dtypes" in self.ctx.themes else 0,
            "data": 1.5 * (w("globals") + w("closure")) if {"globals", "closure"} & set(self.ctx.themes) else 0,
            "inplace": 2.5 * w("inplace") if "inplace" in self.ctx.themes else 0,
            "mixed": 2.5 * w("mixed") if "mixed" in self.ctx.themes else 0,
            "calls": 6 * w("calls") if "calls" in self.ctx.themes else 0,
        }
        for k in self.ctx.exclude:
            kinds[k] = 0
        names, weights = zip(*kinds.items())
        kind = self.r.choices(names, weights)[0]
        return getattr(self, "s_" + kind)(scope, in_loop, nest)

    def s_assign(self, scope, in_loop, nest):
        shape = self.shape(scope)
        e = self.ex(scope).real(shape, self.depth())
        name = self.ctx.name()
        scope.bind(name, Ty("array", shape) if shape else FLOAT, e.alias)
        return [Stmt([f"{name} = {e.text}"])]

    def s_rebind(self, scope, in_loop, nest):
        names = self.locals_of(scope)
        if not names:
            return self.s_assign(scope, in_loop, nest)
        name = self.r.choice(names)
        t = scope.vars[name]
        ex = self.ex(scope)
        e = ex.real(t.shape, self.depth())
        if in_loop and self.r.random() < 0.7:  # a contraction, so loops do not blow values up
            text = (
                f"{self.r.choice(['0.5', '0.7', '0.3'])} * {name} + {self.r.choice(['0.5', '0.3'])} * np.tanh({e.text})"
            )
            scope.bind(name, t)
        else:
            text = e.text
            scope.bind(name, t, e.alias)
        return [Stmt([f"{name} = {text}"])]

    def s_aug(self, scope, in_loop, nest):
        # a float parameter is a 0-d Tensor in dynamic mode, where += on it is an in-place update of a leaf
        names = [
            n
            for n in self.locals_of(scope)
            if (scope.vars[n].kind == "float" and n not in scope.params) or scope.mutable(n)
        ]
        if self.r.random() < 0.05:  # rarely, an in-place update of a parameter's memory
            names = self.locals_of(scope)
        if not names:
            return self.s_assign(scope, in_loop, nest)
        name = self.r.choice(names)
        t = scope.vars[name]
        opsym = self.r.choice(["+=", "+=", "-=", "*=", "/="])
        ex = self.ex(scope)
        if opsym in ("+=", "-="):
            value = ex.bcast(t.shape, self.depth()).text if t.shape else ex.real((), self.depth()).text
            if in_loop:
                value = f"0.3 * np.tanh({value})"
        elif opsym == "*=":
            value = self.r.choice([ex.num(0.3, 1.2), f"(1.0 + 0.2 * np.tanh({ex.bcast(t.shape, 1).text}))"])
        else:
            value = self.r.choice([ex.num(1.1, 2.5), f"(1.5 + np.sin({ex.bcast(t.shape, 1).text}))"])
        return [Stmt([f"{name} {opsym} {value}"])]

    def s_tuple(self, scope, in_loop, nest):
        names = self.locals_of(scope)
        if len(names) >= 2 and self.r.random() < 0.4:
            a, b = self.r.sample(names, 2)
            ta, tb = scope.vars[a], scope.vars[b]
            if ta == tb or not in_loop:
                aa, ab = scope.alias[a], scope.alias[b]
                scope.bind(a, tb, ab)
                scope.bind(b, ta, aa)
                return [Stmt([f"{a}, {b} = {b}, {a}"])]
        s1, s2 = self.shape(scope), self.shape(scope)
        ex = self.ex(scope)
        e1, e2 = ex.real(s1, self.depth() - 1), ex.real(s2, self.depth() - 1)
        n1, n2 = self.ctx.name(), self.ctx.name()
        scope.bind(n1, Ty("array", s1) if s1 else FLOAT, e1.alias)
        scope.bind(n2, Ty("array", s2) if s2 else FLOAT, e2.alias)
        return [Stmt([f"{n1}, {n2} = {e1.text}, {e2.text}"])]

    def s_ifexp(self, scope, in_loop, nest):
        shape = self.shape(scope)
        ex = self.ex(scope)
        a, b, c = ex.real(shape, 1), ex.real(shape, 1), ex.real((), 1)
        name = self.ctx.name()
        scope.bind(name, Ty("array", shape) if shape else FLOAT, a.alias | b.alias)
        return [Stmt([f"{name} = {a.text} if {c.text} > {ex.num()} else {b.text}"])]

    def s_float(self, scope, in_loop, nest):
        floats = [n for n, _ in scope.slots("float")]
        s = self.r.choice(floats)
        name = self.ctx.name()
        form = self.r.choice(
            [
                f"math.sin({s}) * {s} + math.exp(-{s} * {s})",
                f"{s} ** 2 - math.cos({s})",
                f"math.tanh({s}) / (1.0 + {s} * {s})",
                f"max({s}, {self.ex(scope).num()}) * 2.0",
                f"abs({s} - 3.0) + {s}",
                f"math.hypot({s}, 0.5)",
                f"float(np.sin({s}))",
                f"{s} * 0.5 if {s} > 0.0 else {s} * 1.5",
            ]
        )
        scope.bind(name, FLOAT)
        return [Stmt([f"{name} = {form}"])]

    # ------------------------------------------------------------------ index writes and views

    def index_for(self, shape):
        """A random subscript into an array of ``shape`` and the shape it selects (``None``: unsupported here)."""
        r = self.r
        if not shape:
            return None, None
        n = shape[0]
        form = r.randrange(9)
        if form == 0:
            i = r.randrange(-n, n)
            return str(i), shape[1:]
        if form == 1:
            a = r.randrange(n)
            b = r.randrange(a + 1, n + 1)
            return f"{a or ''}:{b}", (b - a,) + shape[1:]
        if form == 2:
            m = r.randint(1, n + 1)
            idx = [r.randrange(n) for _ in range(m)]
            return repr(idx), (m,) + shape[1:]
        if form == 3 and len(shape) >= 2:
            i, j = r.randrange(n), r.randrange(shape[1])
            return f"{i}, {j}", shape[2:]
        if form == 4 and len(shape) >= 2:
            rows = sorted(r.sample(range(n), r.randint(1, n)))
            cols = sorted(r.sample(range(shape[1]), r.randint(1, shape[1])))
            return f"np.ix_({rows!r}, {cols!r})", (len(rows), len(cols)) + shape[2:]
        if form == 5:
            mask = [r.random() < 0.5 for _ in range(n)]
            mask[r.randrange(n)] = True
            return f"np.array({mask!r})", (sum(mask),) + shape[1:]
        if form == 6:
            return "::2", ((n + 1) // 2,) + shape[1:]
        if form == 7 and len(shape) >= 2:
            j = r.randrange(shape[-1])
            return f"..., {j}", shape[:-1]
        a = r.randrange(n)
        return f"np.s_[{a}:]", (n - a,) + shape[1:]

    def s_index_write(self, scope, in_loop, nest):
        targets = [n for n in self.locals_of(scope, ("array",)) if scope.mutable(n) and scope.vars[n].shape]
        if not targets:
            return self.s_view_base(scope, in_loop, nest)
        return self.write_into(self.r.choice(targets), scope, in_loop)

    def write_into(self, name, scope, in_loop):
        """``name[idx] op= value``: an index write into the array ``name``."""
        shape = scope.vars[name].shape
        if in_loop and self.r.random() < 0.6:
            var, trips = in_loop
            idx, sel = f"{var} % {shape[0]}" if trips > shape[0] else var, shape[1:]
        else:
            idx, sel = self.index_for(shape)
        ex = self.ex(scope)
        value = ex.bcast(sel, self.depth() - 1).text if sel else ex.real((), self.depth() - 1).text
        opsym = self.r.choice(["=", "=", "=", "+=", "-=", "*="])
        if opsym == "*=":
            value = f"(1.0 + 0.3 * np.tanh({value}))"
        if in_loop and opsym != "*=":
            value = f"0.5 * np.tanh({value})"
        return [Stmt([f"{name}[{idx}] {opsym} {value}"])]

    def s_view_base(self, scope, in_loop, nest):
        shape = self.r.choice([s for s in ARRAY_SHAPES if s] + [t.shape for _, t in scope.slots("array") if t.shape])
        ex = self.ex(scope)
        e = ex.real(shape, self.depth())
        name = self.ctx.name("base")
        form = self.r.choice(
            [
                f"{e.text} * 1.0",
                f"np.copy({e.text})",
                f"np.array({e.text})",
                f"{e.wrap()}.copy()",
                f"{e.text} + 0.0",
                f"np.zeros_like({e.text}) + {e.wrap()}",
                f"np.sin({e.text})",
            ]
        )
        if self.r.random() < 0.15:
            form = f"np.zeros({shape!r})"
        scope.bind(name, Ty("array", shape))
        return [Stmt([f"{name} = {form}"])]

    def s_view(self, scope, in_loop, nest):
        """A fresh base array, a view (or copy) of it, an in-place update of one of the two; both read later."""
        out = []
        bases = [n for n in self.locals_of(scope, ("array",)) if scope.mutable(n) and scope.vars[n].shape]
        if not bases or self.r.random() < 0.6:
            out += self.s_view_base(scope, in_loop, nest)
            bases = [next(reversed(scope.vars))]
        base = self.r.choice(bases)
        shape = scope.vars[base].shape
        view, vshape, is_view = self.view_of(base, shape)
        name = self.ctx.name("w")
        scope.bind(name, Ty("array", vshape), scope.alias[base] if is_view else frozenset())
        if is_view:
            scope.alias[base] = scope.alias[base] | {name}
        out.append(Stmt([f"{name} = {view}"]))
        target = self.r.choice([name, name, base])
        tshape = scope.vars[target].shape
        ex = self.ex(scope)
        form = self.r.randrange(9)
        if form == 0:
            line = f"{target} *= {ex.num(0.3, 1.5)}"
        elif form == 1:
            line = f"{target} += {ex.bcast(tshape, 1).text}"
        elif form == 2 and tshape:
            idx, sel = self.index_for(tshape)
            line = f"{target}[{idx}] = {ex.bcast(sel, 1).text if sel else ex.real((), 1).text}"
        elif form == 3:
            line = f"{target} -= {ex.bcast(tshape, 1).text}"
        elif form == 4:
            line = f"{target} /= {ex.num(1.1, 2.5)}"
        elif form == 5 and tshape:
            line = f"{target}[{self.r.randrange(tshape[0])}] += {ex.bcast(tshape[1:], 1).text if tshape[1:] else ex.real((), 1).text}"
        elif form == 6:
            line = self.r.choice(
                [
                    f"np.multiply({target}, {ex.num(0.3, 1.5)}, out={target})",
                    f"np.copyto({target}, {ex.real(tshape, 1).text})",
                    f"{target}[...] = {ex.real(tshape, 1).text}",
                    f"{target}[:] = {ex.real(tshape, 1).text}" if tshape else f"{target} += 1.0",
                ]
            )
        elif form == 7:
            line = f"{target} **= 2"
        else:
            line = f"{target} *= {ex.bcast(tshape, 1).text}" if self.r.random() < 0.5 else f"{target} += 1.0"
        out.append(Stmt([line]))
        self.ctx.must_read += [base, name]
        return out

    def view_of(self, base, shape):
        """A view (or, sometimes, a copy) of ``base``: its text, shape, and whether it shares memory."""
        r = self.r
        nd = len(shape)
        forms = [
            ("{b}[1:]", (shape[0] - 1,) + shape[1:], True),
            ("{b}[::-1]", shape, True),
            ("np.flip({b})", shape, True),
            ("np.asarray({b})", shape, True),
            ("{b}[:]", shape, True),
            ("{b}.reshape(-1)", (int(np.prod(shape)),), True),
            ("{b}.ravel()", (int(np.prod(shape)),), True),
            ("{b}[...]", shape, True),
            ("{b}[[0]]", (1,) + shape[1:], False),
            ("{b}.flatten()", (int(np.prod(shape)),), False),
            ("np.array({b})", shape, False),
            ("{b}[::2]", ((shape[0] + 1) // 2,) + shape[1:], True),
            ("{b}[-1:]", (1,) + shape[1:], True),
        ]
        if nd >= 2:
            forms += [
                ("{b}[{i}]", shape[1:], True),
                ("{b}.T", shape[::-1], True),
                ("{b}[:, {j}]", shape[:1] + shape[2:], True),
                ("np.transpose({b})", shape[::-1], True),
                ("{b}[{i}, :]", shape[1:], True),
                ("{b}.swapaxes(0, 1)", (shape[1], shape[0]) + shape[2:], True),
                ("{b}.reshape({rs})", None, True),
                ("{b}.T.ravel()", (int(np.prod(shape)),), False),
                ("{b}[1:, 1:]", (shape[0] - 1, shape[1] - 1) + shape[2:], True),
            ]
        else:
            forms += [("{b}.reshape({rs})", None, True), ("{b}[{i}:]", None, True)]
        text, vshape, is_view = r.choice(forms)
        i = r.randrange(shape[0])
        if "{rs}" in text:
            size = int(np.prod(shape))
            options = [s for s in _factor_shapes(size) if s != shape] or [(size,)]
            vshape = r.choice(options)
            text = text.replace("{rs}", shape_text(vshape))
        if text == "{b}[{i}:]":
            vshape = (shape[0] - i,)
        if vshape is None or 0 in vshape:
            text, vshape, is_view = "{b}[::-1]", shape, True
        return text.format(b=base, i=i, j=r.randrange(shape[1]) if nd >= 2 else 0), tuple(vshape), is_view

    # ------------------------------------------------------------------ containers

    def s_dict(self, scope, in_loop, nest):
        dicts = [n for n, t in scope.vars.items() if t.kind == "dict"]
        ex = self.ex(scope)
        if dicts and self.r.random() < 0.7:
            d = self.r.choice(dicts)
            items = dict(scope.vars[d].items)
            key = self.r.choice(list(items) + ["new"])
            if key == "new":
                key = f"k{len(items)}"
                shape = self.shape(scope)
                e = ex.real(shape, self.depth())
                items[key] = Ty("array", shape) if shape else FLOAT
                scope.bind(d, Ty("dict", items=tuple(items.items())), scope.alias[d] | e.alias)
                return [Stmt([f"{d}[{key!r}] = {e.text}"])]
            t = items[key]
            in_place = t.kind == "array" and scope.alias[d] & scope.params  # += would change a parameter
            if in_place or self.r.random() < 0.35:
                e = ex.real(t.shape, self.depth())
                return [Stmt([self.r.choice([f"{d}[{key!r}] = {e.text}", f"{d}[{key!r}] = {d}[{key!r}] + {e.text}"])])]
            value = ex.bcast(t.shape, self.depth()).text if t.shape else ex.real((), self.depth()).text
            if in_loop:
                value = f"0.3 * np.tanh({value})"
            return [Stmt([f"{d}[{key!r}] {self.r.choice(['+=', '-=', '+='])} {value}"])]
        name = self.ctx.name("d")
        n = self.r.randint(1, 3)
        items, texts, alias = [], [], frozenset()
        for k in range(n):
            key = "ab"[k] if k < 2 else "c"
            if self.r.random() < 0.4:
                t, text = FLOAT, ex.num()
            else:
                shape = self.shape(scope)
                e = ex.real(shape, self.depth() - 1)
                t, text, alias = (Ty("array", shape) if shape else FLOAT), e.text, alias | e.alias
            items.append((key, t))
            texts.append(f"{key!r}: {text}")
        scope.bind(name, Ty("dict", items=tuple(items)), alias)
        return [Stmt([f"{name} = {{{', '.join(texts)}}}"])]

    def s_list(self, scope, in_loop, nest):
        lists = [n for n, t in scope.vars.items() if t.kind == "list" and t.items]
        ex = self.ex(scope)
        if lists and self.r.random() < 0.7:
            name = self.r.choice(lists)
            t = scope.vars[name]
            n = len(t.items)
            i = self.r.randrange(n)
            it = t.items[i]
            form = self.r.randrange(4)
            if form == 0 and not in_loop:
                e = ex.real(it.shape, self.depth())
                scope.bind(name, Ty("list", items=t.items + (it,)), scope.alias[name] | e.alias)
                return [Stmt([f"{name}.append({e.text})"])]
            if form == 1 or (it.kind == "array" and scope.alias[name] & scope.params):
                e = ex.real(it.shape, self.depth())
                return [Stmt([f"{name}[{i}] = {e.text}"])]
            value = ex.bcast(it.shape, self.depth()).text if it.shape else ex.real((), self.depth()).text
            if in_loop:
                value = f"0.3 * np.tanh({value})"
            return [
                Stmt(
                    [
                        f"{name}[{i - n if form == 3 else i}] {self.r.choice(['+=', '-=', '*='] if form == 2 else ['+='])} "
                        f"{value if form != 2 else '0.5'}"
                    ]
                )
            ]
        shape = self.shape(scope)
        name = self.ctx.name("L")
        n = self.r.randint(2, 3)
        es = [ex.real(shape, self.depth() - 1) for _ in range(n)]
        it = Ty("array", shape) if shape else FLOAT
        if self.r.random() < 0.3 and not in_loop:
            scope.bind(name, Ty("list", items=(it,) * n), frozenset().union(*(e.alias for e in es)))
            body = [Stmt([f"{name}.append({e.text})"]) for e in es]
            return [Stmt([f"{name} = []"])] + body
        scope.bind(name, Ty("list", items=(it,) * n), frozenset().union(*(e.alias for e in es)))
        return [Stmt([f"{name} = [{', '.join(e.text for e in es)}]"])]

    def s_comprehension(self, scope, in_loop, nest):
        lists = [
            (n, t)
            for n, t in scope.vars.items()
            if t.kind == "list" and t.items and len({it for it in t.items}) == 1 and t.items[0].kind == "array"
        ]
        ex = self.ex(scope)
        name = self.ctx.name()
        if lists and self.r.random() < 0.5:
            lst, t = self.r.choice(lists)
            w = self.ctx.const(t.items[0].shape)
            form = self.r.choice(
                [
                    f"sum(np.sum(p * {w}) for p in {lst})",
                    f"sum([np.sum(np.sin(p)) for p in {lst}])",
                    f"np.sum(np.stack([p * (k + 1.0) for k, p in enumerate({lst})]) ** 2)",
                    f"sum(np.sum(p * q) for p, q in zip({lst}, {lst}[1:]))",
                ]
            )
            scope.bind(name, FLOAT)
            return [Stmt([f"{name} = {form}"])]
        shape = self.shape(scope)
        e = ex.real(shape, self.depth() - 1)
        m = self.r.randint(2, 3)
        scope.bind(name, Ty("list", items=(Ty("array", shape) if shape else FLOAT,) * m))
        factor = self.r.choice(["(k + 1.0)", "0.5 * k", "np.sin(k + 0.5)"])
        return [Stmt([f"{name} = [{e.wrap()} * {factor} for k in range({m})]"])]

    # ------------------------------------------------------------------ primitives with several outputs

    def s_multi(self, scope, in_loop, nest):
        """A call with several outputs; sometimes one of its pieces is then written into (``q[0] = ...``,
        ``a *= ...``)."""
        before = set(scope.vars)
        out = self.multi_call(scope, in_loop, nest)
        pieces = [n for n in scope.vars if n not in before and scope.mutable(n) and scope.vars[n].shape]
        if pieces and self.r.random() < 0.4:
            piece = self.r.choice(pieces)
            if self.r.random() < 0.7:
                out += self.write_into(piece, scope, in_loop)
            else:
                factor = self.ex(scope).bcast(scope.vars[piece].shape, 1).text
                out.append(Stmt([f"{piece} *= (1.0 + 0.3 * np.tanh({factor}))"]))
        return out

    def multi_call(self, scope, in_loop, nest):
        r = self.r
        ex = self.ex(scope)
        d = self.depth() - 1
        form = r.randrange(10)
        n1, n2 = self.ctx.name(), self.ctx.name()
        if form == 0:
            shape = list(self.shape(scope) or (4,))
            k = r.randrange(len(shape))
            shape[k] = 2 * max(1, shape[k] // 2)
            half = tuple(shape[:k]) + (shape[k] // 2,) + tuple(shape[k + 1 :])
            e = ex.real(tuple(shape), d)
            scope.bind(n1, Ty("array", half), e.alias)
            scope.bind(n2, Ty("array", half), e.alias)
            call = r.choice(
                [f"np.split({e.text}, 2, axis={k})", f"np.array_split({e.text}, 2, axis={k})"]
                + ([f"np.hsplit({e.text}, 2)"] if len(shape) >= 2 and k == 1 else [])
                + ([f"np.vsplit({e.text}, 2)"] if len(shape) >= 2 and k == 0 else [])
            )
            return [Stmt([f"{n1}, {n2} = {call}"])]
        if form == 1:
            n = r.choice([4, 5, 7])
            e = ex.real((n,), d)
            sizes = [n // 3 + (1 if i < n % 3 else 0) for i in range(3)]
            scope.bind(n1, Ty("list", items=tuple(Ty("array", (s,)) for s in sizes)), e.alias)
            return [Stmt([f"{n1} = np.array_split({e.text}, 3)"])]
        if form == 2:
            n = ex.dim()
            sym = self.ctx.name("S")
            e = self.generic(ex.real((n, n), d), (n, n))
            scope.bind(sym, Ty("array", (n, n)))
            scope.bind(n1, Ty("array", (n,)))
            scope.bind(n2, Ty("array", (n, n)))
            return [
                Stmt([f"{sym} = {e.text}"]),
                Stmt([f"{n1}, {n2} = np.linalg.eigh({sym} + {sym}.T{r.choice(['', f' + {n}.0 * np.eye({n})'])})"]),
            ]
        if form == 3:
            m, n = ex.dim(), ex.dim()
            k = min(m, n)
            e = self.generic(ex.real((m, n), d), (m, n), always=(m != n))  # e.rep misses some repeats
            n3 = self.ctx.name()
            if r.random() < 0.3:
                scope.bind(n1, Ty("array", (k,)))
                return [Stmt([f"{n1} = np.linalg.svd({e.text}, compute_uv=False)"])]
            scope.bind(n1, Ty("array", (m, k)))
            scope.bind(n2, Ty("array", (k,)))
            scope.bind(n3, Ty("array", (k, n)))
            return [Stmt([f"{n1}, {n2}, {n3} = np.linalg.svd({e.text}, full_matrices=False)"])]
        if form == 4:
            n = ex.dim()
            e = ex.real((n, n), d)
            scope.bind(n1, FLOAT)
            scope.bind(n2, FLOAT)
            return [Stmt([f"{n1}, {n2} = np.linalg.slogdet(np.eye({n}) * 2.0 + 0.3 * {e.wrap()})"])]
        if form == 5:
            shape = self.shape(scope)
            e = ex.real(shape, d)
            t = Ty("array", shape) if shape else FLOAT
            scope.bind(n1, t)
            scope.bind(n2, t)
            call = r.choice(["divmod", "np.divmod"])
            return [Stmt([f"{n1}, {n2} = {call}({e.text}, {ex.num(0.7, 1.9)})"])]
        if form == 6:
            n = ex.dim()
            e = ex.real((2, n), d)
            scope.bind(n1, Ty("array", (n,)), e.alias)
            scope.bind(n2, Ty("array", (n,)), e.alias)
            return [Stmt([f"{n1}, {n2} = {e.text}"])]
        if form == 7:
            shape = list(self.shape(scope) or (3,))
            cut = r.randint(1, max(1, shape[0] - 1)) if shape[0] > 1 else 1
            shape[0] = max(shape[0], cut + 1)
            e = ex.real(tuple(shape), d)
            scope.bind(n1, Ty("array", (cut,) + tuple(shape[1:])), e.alias)
            scope.bind(n2, Ty("array", (shape[0] - cut,) + tuple(shape[1:])), e.alias)
            return [Stmt([f"{n1}, {n2} = np.split({e.text}, [{cut}])"])]
        if form == 8:
            m, n = ex.dim(), ex.dim()
            m = max(m, n)
            e = ex.real((m, n), d)
            scope.bind(n1, Ty("array", (m, n)))
            scope.bind(n2, Ty("array", (n, n)))
            return [Stmt([f"{n1}, {n2} = np.linalg.qr({e.text})"])]
        n = ex.dim()
        e = ex.real((n,), d)
        scope.bind(n1, Ty("array", (n,)))
        return [Stmt([f"{n1} = np.sort({e.text})[::-1]"])]

    def generic(self, e, shape, always=False):
        """``e``, plus a constant matrix when it may hold repeated entries (``always``: in any case): a matrix
        whose eigen- or singular values coincide, or a matrix that is not square and has not full rank (its
        singular vectors for 0 are any basis), has no derivative of its vectors (the gradient blows up), which
        is not srcgrad's fault. The constant is random (a linspace matrix has rank 2, which a rank-1 ``e``
        would not lift to full rank)."""
        if not (e.rep or always):
            return e
        values = np.round(np.random.default_rng(self.r.randrange(2**32)).normal(size=shape), 2)
        return op(f"{e.text} + np.array({values.tolist()!r})")

    def s_rows(self, scope, in_loop, nest):
        """A loop over the rows of an array (``for row in A``)."""
        n = self.r.randint(2, 3)
        m = self.ex(scope).dim()
        e = self.ex(scope).real((n, m), 1)
        acc = self.ctx.name("acc")
        inner = scope.copy()
        inner.bind("row", Ty("array", (m,)))
        body = self.ex(inner).real((m,), 1)
        scope.bind(acc, Ty("array", (m,)))
        return [
            Stmt(
                [f"{acc} = np.zeros({m})"] if self.r.random() < 0.5 else [f"{acc} = {self.ctx.const((m,))} * 0.0"],
                [(f"for row in {e.text}:", [Stmt([f"{acc} = {acc} + np.tanh(row * {body.wrap()})"])])],
                unwrap=[f"row = {e.wrap()}[0]"],
            )
        ]

    def s_pair_helper(self, scope, in_loop, nest):
        h = self.r.choice([h for h in self.ctx.helpers if h.kind == "pair"])
        shape = self.shape(scope)
        e = self.ex(scope).real(shape, self.depth() - 1)
        n1, n2 = self.ctx.name(), self.ctx.name()
        scope.bind(n1, Ty("array", shape) if shape else FLOAT)
        scope.bind(n2, FLOAT)
        return [Stmt([f"{n1}, {n2} = {h.name}({e.text})"])]

    def s_complex(self, scope, in_loop, nest):
        shapes = [t.shape for _, t in scope.slots("complex")]
        shape = self.r.choice(shapes)
        ex = self.ex(scope)
        z = ex.cplx(shape, self.depth())
        name = self.ctx.name("z")
        if self.r.random() < 0.3:
            names = [n for n, t in scope.vars.items() if t.kind == "complex" and scope.mutable(n)]
            if names:
                target = self.r.choice(names)
                return [Stmt([f"{target} {self.r.choice(['+=', '*='])} {ex.num(0.3, 0.9)}"])]
        scope.bind(name, Ty("complex", shape), z.alias)
        return [Stmt([f"{name} = {z.text}"])]

    # ------------------------------------------------------------------ control flow

    def condition(self, scope):
        ex = self.ex(scope)
        form = self.r.randrange(4)
        if form == 0:
            return f"np.sum({ex.real(self.shape(scope), 1).text}) > {ex.num(-2.0, 2.0)}"
        if form == 1:
            return f"{ex.real((), 1).text} < {ex.num(-1.0, 1.0)}"
        if form == 2:
            return f"np.max({ex.real(self.shape(scope) or (3,), 0).text}) > {ex.num(0.0, 1.5)}"
        return f"{ex.real((), 0).text} > {ex.num(-1.0, 1.0)} and {ex.real((), 0).text} < {ex.num(1.0, 3.0)}"

    def block(self, scope, in_loop, nest, n=None):
        out = []
        for _ in range(n or self.r.randint(1, 3)):
            out += self.statement(scope, in_loop, nest + 1)
        return out

    def s_for(self, scope, in_loop, nest):
        var = self.r.choice(["i", "j", "k2", "step"]) if "names" not in self.ctx.themes else self.ctx.name("i")
        if var in scope.vars or (in_loop and var == in_loop[0]):
            var = self.ctx.name("i")
        trips = self.r.randint(1, 4)
        ints = [n for n, t in scope.vars.items() if t.kind == "int"]
        rng = f"range({trips})"
        if ints and self.r.random() < 0.3:
            rng, trips = f"range({ints[0]})", 3
        elif self.r.random() < 0.2:
            rng = f"range(1, {trips + 1})"
        inner = scope.copy()
        inner.bind(var, Ty("int"))
        inner.ints[var] = trips
        body = self.block(inner, (var, trips), nest)
        self.join(scope, inner)
        stmt = Stmt([], [(f"for {var} in {rng}:", body)], unwrap=[f"{var} = 1"])
        if self.r.random() < 0.15:
            els = self.block(scope.copy(), in_loop, nest, 1)
            stmt.blocks.append(("else:", els))
        return [stmt]

    def s_while(self, scope, in_loop, nest, limit=None):
        k = self.ctx.name("k")
        limit = limit or self.r.randint(2, 5)
        inner = scope.copy()
        inner.bind(k, Ty("int"))
        inner.ints[k] = limit + 1
        body = [Stmt([f"{k} += 1"], keep=True)]
        if self.r.random() < 0.4:
            body.append(Stmt([], [(f"if {k} == {self.r.randint(1, limit)}:", [Stmt(["continue"])])]))
        body += self.block(inner, (k, limit + 1), nest)
        if self.r.random() < 0.5:
            body.append(Stmt([], [(f"if {self.condition(inner)}:", [Stmt(["break"])])]))
        self.join(scope, inner)
        scope.bind(k, Ty("int"))
        test = f"{k} < {limit}" if self.r.random() < 0.7 else f"{k} < {limit} and {self.condition(scope)}"
        return [Stmt([f"{k} = 0"], [(f"while {test}:", body)], unwrap=[f"{k} = 0"])]

    def s_long_loop(self, scope, in_loop, nest):
        """A long loop at the top level (what ``checkpoint=`` snapshots): a recurrence on an accumulator, and
        some of: an index write by the loop variable, a list appended to and popped, a branch on values, other
        statements; or a ``while`` loop of as many trips."""
        r = self.r
        if r.random() < 0.25:
            out = self.s_while(scope, in_loop, nest, limit=r.randint(5, 9))
            return out
        trips = r.randint(5, 10)
        var = self.ctx.name("i")
        shape = self.shape(scope) or (3,)
        acc = self.ctx.name("acc")
        ex = self.ex(scope)
        init = ex.real(shape, 1)
        before = [f"{acc} = {init.text} * 1.0"]
        inner = scope.copy()
        inner.bind(acc, Ty("array", shape))
        inner.bind(var, Ty("int"))
        inner.ints[var] = trips
        step = self.ex(inner).real(shape, self.depth())
        body = [Stmt([f"{acc} = {r.choice(['0.5', '0.7', '0.4'])} * {acc} + 0.5 * np.tanh({step.text} + {var} * 0.1)"])]
        if r.random() < 0.4:
            value = self.ex(inner).bcast(shape[1:], 1).text if shape[1:] else self.ex(inner).real((), 1).text
            body.append(Stmt([f"{acc}[{var} % {shape[0]}] {r.choice(['+=', '=', '-='])} 0.3 * np.tanh({value})"]))
        lst = None
        if r.random() < 0.4:
            lst = self.ctx.name("L")
            before.append(f"{lst} = []")
            body.append(Stmt([f"{lst}.append({acc} * {ex.num(0.3, 0.9)})"]))
            if r.random() < 0.6:
                pop = r.choice([f"{lst}.pop()", f"{lst}.pop(0)", f"{lst}.pop(-1)"])
                body.append(
                    Stmt([], [(f"if {var} % {r.randint(2, 3)} == 1:", [Stmt([f"{acc} = {acc} - 0.5 * {pop}"])])])
                )
        if r.random() < 0.3:
            body.append(
                Stmt(
                    [], [(f"if np.sum({acc}) > {ex.num(-1.0, 1.0)}:", [Stmt([f"{acc} = {acc} * {ex.num(0.5, 0.95)}"])])]
                )
            )
        if r.random() < 0.4:
            body += self.block(inner, (var, trips), nest, 1)
        self.join(scope, inner)
        scope.bind(acc, Ty("array", shape))
        out = [Stmt(before, [(f"for {var} in range({trips}):", body)], unwrap=[f"{var} = 1"])]
        if lst is not None:
            total = self.ctx.name()
            scope.bind(total, Ty("array", shape))
            out.append(Stmt([f"{total} = {acc} + sum({lst}) if {lst} else {acc}"]))
        return out

    def s_dtype(self, scope, in_loop, nest):
        """Integer data and float32 mixed into the computation: arithmetic and ``np.where`` masks with an
        integer array, fancy indices with repeats (read, and ``base[idx] += ...``, which adds once at a repeated
        index), ``astype(np.float32)`` and ``np.float32`` scalars."""
        r, ctx = self.r, self.ctx
        ex = self.ex(scope)
        name = ctx.name()
        forms = ["astype", "f32"]
        if ctx.int_arrays:
            forms += ["int_mul", "int_where", "int_div"]
        if ctx.index_arrays:
            forms += ["gather", "gather", "scatter"]
        form = r.choice(forms)
        if form in ("int_mul", "int_where", "int_div"):
            ia, shape = r.choice(sorted(ctx.int_arrays.items()))
            e = ex.real(shape, self.depth() - 1)
            text = {
                "int_mul": f"{e.wrap()} * {ia}",
                "int_where": f"np.where({ia} > 0, {e.text}, {ex.bcast(shape, 1).text})",
                "int_div": f"{e.wrap()} / (1 + np.abs({ia}))",
            }[form]
            scope.bind(name, Ty("array", shape) if shape else FLOAT)
            return [Stmt([f"{name} = {text}"])]
        if form in ("gather", "scatter"):
            ix, n = r.choice(sorted(ctx.index_arrays.items()))
            m = ctx.index_lengths[ix]
            rest = r.choice([(), (2,), (3,)])
            if form == "scatter":
                targets = [
                    t for t in self.locals_of(scope, ("array",)) if scope.mutable(t) and scope.vars[t].shape[:1] == (n,)
                ]
                out = []
                if not targets or r.random() < 0.5:  # a fresh array to write into
                    e = ex.real((n,) + rest, self.depth() - 1)
                    scope.bind(name, Ty("array", (n,) + rest))
                    out.append(Stmt([f"{name} = {r.choice(['np.copy(', 'np.zeros_like(', 'np.ones_like('])}{e.text})"]))
                    targets = [name]
                target = r.choice(targets)
                tshape = scope.vars[target].shape
                value = ex.bcast((m,) + tshape[1:], 1).text
                out.append(Stmt([f"{target}[{ix}] {r.choice(['+=', '=', '-=', '*='])} 0.5 * np.tanh({value})"]))
                self.ctx.must_read.append(target)
                return out
            e = ex.real((n,) + rest, self.depth() - 1)
            scope.bind(name, Ty("array", (m,) + rest))
            return [Stmt([f"{name} = {e.wrap()}[{ix}]"])]
        shape = self.shape(scope)
        e = ex.real(shape, self.depth() - 1)
        if form == "astype":
            text = f"{e.wrap()}.astype(np.float32)" if shape else f"np.float32({e.text})"
        else:
            text = f"np.float32({ex.num(0.3, 1.5)}) * {e.wrap()}"
        scope.bind(name, Ty("array", shape) if shape else FLOAT)
        return [Stmt([f"{name} = {text}"])]

    def s_loop_exit(self, scope, in_loop, nest):
        var, trips = in_loop
        kind = self.r.choice(["break", "continue"])
        cond = self.r.choice([f"{var} == {self.r.randrange(trips)}", self.condition(scope)])
        return [Stmt([], [(f"if {cond}:", [Stmt([kind])])])]

    def s_if(self, scope, in_loop, nest):
        cond = self.condition(scope)
        if in_loop and self.r.random() < 0.4:
            cond = f"{in_loop[0]} % 2 == 0"
        a, b = scope.copy(), scope.copy()
        # both branches bind one new name of the same shape, so it can be read after the if
        shape = self.shape(scope)
        new = self.ctx.name()
        ta = self.block(a, in_loop, nest)
        tb = self.block(b, in_loop, nest) if self.r.random() < 0.8 else []
        ea, eb = self.ex(a).real(shape, 1), self.ex(b).real(shape, 1)
        ta.append(Stmt([f"{new} = {ea.text}"]))
        tb.append(Stmt([f"{new} = {eb.text}"]))
        blocks = [(f"if {cond}:", ta)]
        if self.r.random() < 0.2 and not in_loop:
            c = scope.copy()
            blocks.append(
                (
                    f"elif {self.condition(scope)}:",
                    self.block(c, in_loop, nest, 1) + [Stmt([f"{new} = {self.ex(c).real(shape, 1).text}"])],
                )
            )
        blocks.append(("else:", tb))
        for n, t in list(scope.vars.items()):  # names rebound in a branch keep their type; aliases join
            scope.alias[n] = scope.alias[n] | a.alias.get(n, frozenset()) | b.alias.get(n, frozenset())
        scope.bind(new, Ty("array", shape) if shape else FLOAT, ea.alias | eb.alias)
        return [Stmt([], blocks, unwrap=[])]

    def s_early_return(self, scope, in_loop, nest):
        return [
            Stmt(
                [],
                [(f"if {self.condition(scope)}:", [Stmt([f"return {loss(self.r, scope, self.ctx, 2)}"])])],
                unwrap=None,
            )
        ]

    def join(self, scope, inner):
        """After a loop body: outer names keep their types; what the body made them share is remembered."""
        for n in scope.vars:
            scope.alias[n] = scope.alias[n] | inner.alias.get(n, frozenset())


def _factor_shapes(size):
    from .exprs import factorizations

    return factorizations(size)


# ---------------------------------------------------------------------- the loss


def loss(r, scope, ctx, n_terms, must=()):
    """The text of a real scalar that reads ``n_terms`` values of ``scope`` (and every slot in ``must``)."""
    slots = [(s, t) for kind in ("array", "float", "complex") for s, t in scope.slots(kind)]
    if not slots:
        return "0.0"
    chosen = {s: t for s, t in slots if s in must}
    recent = slots[-3:]
    for s, t in r.sample(recent, min(len(recent), 2)) + r.sample(slots, min(len(slots), n_terms)):
        chosen.setdefault(s, t)
    return " + ".join(term(r, s, t, ctx) for s, t in chosen.items())


def term(r, s, t, ctx):
    if t.kind == "float" or (t.kind == "array" and t.shape == ()):
        return r.choice([f"{s} * {round(r.uniform(0.3, 1.5), 2)}", f"np.sin({s})", f"{s} ** 2", f"np.tanh({s})"])
    if t.kind == "complex":
        return r.choice(
            [
                f"np.sum(np.abs({s}) ** 2)",
                f"np.sum(np.real({s}) * {ctx.const(t.shape)})",
                f"np.sum({s}.imag)",
                f"np.sum(np.abs({s}))",
                f"np.real(np.vdot({s}, {s}))",
            ]
        )
    return r.choice(
        [
            f"np.sum({s} * {ctx.const(t.shape)})",
            f"np.sum(np.sin({s}))",
            f"np.sum({s} ** 2)",
            f"np.mean(np.cos({s}))",
            f"np.sum({s} * {ctx.const(t.shape)})",
        ]
    )


STATEMENT_KINDS = (
    "assign",
    "rebind",
    "aug",
    "tuple",
    "ifexp",
    "index_write",
    "view",
    "dict",
    "list",
    "comprehension",
    "multi",
    "for",
    "if",
    "while",
    "early_return",
    "complex",
    "float",
    "pair_helper",
    "loop_exit",
    "rows",
    "long_loop",
    "dtype",
    "data",
    "inplace",
    "mixed",
    "calls",
)
