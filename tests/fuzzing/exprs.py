"""Random expressions of a known shape over the variables in scope.

``Exprs(r, scope, ctx).real(shape, depth)`` returns the text of an expression
that evaluates to a float64 array of exactly ``shape`` (``()``: a number). It
reads the variables of ``scope`` (and items of its dicts and lists), adapts a
variable of another shape by indexing, reducing, reshaping or repeating it, and
combines them with the primitives a numpy user writes: ufuncs (kinks only where
random values will not sit on them), broadcasting, reductions with axes and
``keepdims``, matrix products, ``einsum`` with random subscripts, concatenation
and ``np.r_``/``np.c_``, fancy and boolean indexing, ``np.ix_``/``np.s_``, array
methods whose numpy meaning differs from PyTorch's, helpers, module constants
and complex values reduced to real ones.

Each expression also says which variables it may share memory with (a basic
slice, ``.T`` or ``reshape`` of ``v`` is ``v``'s memory), so the statement
generator knows which in-place updates reach which names.
"""

import string
from dataclasses import dataclass, field, replace

import numpy as np


@dataclass(frozen=True)
class Ty:
    """The type of a value in scope.

    ``kind``: ``float`` (a number), ``array`` (float64 ndarray), ``complex`` (complex128 ndarray), ``int``,
    ``list`` (``items``: the item types), ``dict`` (``items``: ``((key, Ty), ...)``); ``shape`` for arrays.
    """

    kind: str
    shape: tuple = ()
    items: tuple = ()


FLOAT = Ty("float")


def ty_of(value):
    """The ``Ty`` of a concrete value, or ``None`` for a value expressions do not use."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (float, np.floating)):
        return FLOAT
    if isinstance(value, (int, np.integer)):
        return Ty("int")
    if isinstance(value, np.ndarray):
        if value.dtype in (np.float64, np.float32):  # (float32: the dtypes theme mixes it in)
            return Ty("array", value.shape)
        if value.dtype == np.complex128:
            return Ty("complex", value.shape)
        return None
    if isinstance(value, list):
        items = tuple(ty_of(v) for v in value)
        return Ty("list", items=items) if items and None not in items else None
    if isinstance(value, dict):
        items = tuple((k, ty_of(v)) for k, v in value.items())
        ok = items and all(isinstance(k, str) and t is not None and t.kind in ("float", "array") for k, t in items)
        return Ty("dict", items=items) if ok else None
    return None


@dataclass
class Scope:
    """The names a statement may read, with their types and the names each may share memory with.

    Attributes:
        vars: name -> ``Ty``, in order of definition.
        alias: name -> the names (itself included) whose memory it may share.
        params: the parameter names (in-place updates of their memory change the caller's arrays).
        readonly: names that are read-only views (``np.broadcast_to``).
        ints: loop variables usable as integer indices: name -> exclusive upper bound.
        flat: names whose values hold repeated entries along some axis (see ``E.rep``).
    """

    vars: dict = field(default_factory=dict)
    alias: dict = field(default_factory=dict)
    params: frozenset = frozenset()
    readonly: set = field(default_factory=set)
    ints: dict = field(default_factory=dict)
    flat: set = field(default_factory=set)

    def copy(self):
        return Scope(
            dict(self.vars), dict(self.alias), self.params, set(self.readonly), dict(self.ints), set(self.flat)
        )

    def bind(self, name, ty, alias=frozenset(), readonly=False):
        self.vars.pop(name, None)
        self.vars[name] = ty
        self.alias[name] = frozenset(alias) | {name}
        (self.readonly.add if readonly else self.readonly.discard)(name)

    def slots(self, kind, shape=None):
        """Texts that read a value of ``kind`` (and ``shape``): names, dict items and list items."""
        out = []
        for name, t in self.vars.items():
            if t.kind == kind and (shape is None or t.shape == shape):
                out.append((name, t))
            elif t.kind == "dict":
                out += [
                    (f"{name}[{k!r}]", it)
                    for k, it in t.items
                    if it.kind == kind and (shape is None or it.shape == shape)
                ]
            elif t.kind == "list":
                n = len(t.items)
                for i, it in enumerate(t.items):
                    if it.kind == kind and (shape is None or it.shape == shape):
                        out.append((f"{name}[{i - n if i == n - 1 and n > 1 else i}]", it))
        return out

    def mutable(self, name, allow_params=False):
        """May ``name`` be updated in place (it is an ndarray, not read-only, not a parameter's memory)?"""
        t = self.vars.get(name)
        if t is None or t.kind not in ("array", "complex") or name in self.readonly:
            return False
        return allow_params or not (self.alias.get(name, {name}) & self.params)


@dataclass(frozen=True)
class E:
    """An expression: its text, the names whose memory its value may share, whether it needs no parentheses,
    and whether its value may hold repeated entries (a repeat, a tile, an index list with a repeat, a variable
    whose value has them): there ``std``, ``norm`` and ``median`` would sit on their kink (the square root of
    a zero variance), which no mode can differentiate, so reductions avoid them."""

    text: str
    alias: frozenset = frozenset()
    atomic: bool = True
    rep: bool = False

    def wrap(self):
        """The text, parenthesised unless atomic (to put ``.T`` or ``[i]`` after it)."""
        return self.text if self.atomic else f"({self.text})"


def fresh(text):
    return E(text, frozenset(), True)


def op(text):
    return E(text, frozenset(), False)


UNARY = [
    "np.sin({})",
    "np.cos({})",
    "np.tanh({})",
    "np.arctan({})",
    "np.exp(np.sin({}))",
    "np.log1p({0} * {0})",
    "np.sqrt({0} * {0} + 1.0)",
    "({0} * {0})",
    "({} ** 2)",
    "(1.0 / (1.0 + {0} * {0}))",
    "np.square({})",
    "np.exp(-({0} * {0}))",
    "np.log(np.cosh({}))",
    "np.expm1(np.tanh({}))",
    "(-{})",
    "np.sinh({})",
    "np.logaddexp({}, 0.3)",
    "np.hypot({}, 0.5)",
    "np.arctan2({0}, 1.5 + {0} * {0})",
    "({} ** 3)",
    "np.reciprocal(2.0 + np.sin({}))",
    "np.sqrt(np.exp({}))",
]
KINKS = [
    "np.abs({})",
    "abs({})",
    "np.maximum({}, {c})",
    "np.minimum({}, {c})",
    "np.clip({}, {lo}, {hi})",
    "np.where({0} > {c}, {0}, {c2} * {0})",
    "np.fmax({}, {c})",
    "np.sign({0}) * {0}",
    "{a}.clip({lo}, {hi})",
    "np.floor({0} * 0.1) + {0}",
]
BINARY = [
    "({0} + {1})",
    "({0} - {1})",
    "({0} * {1})",
    "({0} / (1.0 + {1} * {1}))",
    "np.maximum({0}, {1})",
    "np.minimum({0}, {1})",
    "np.hypot({0}, {1})",
    "np.logaddexp({0}, {1})",
    "np.where({0} > {1}, {0}, {1})",
    "np.add({0}, {1})",
    "np.multiply({0}, {1})",
    "np.subtract({0}, {1})",
    "(0.5 * {0} + {1})",
]
# forms whose operands may swap (the broadcast operand first)
SYMMETRIC = frozenset(range(len(BINARY))) - {3}
REDUCE = [
    "np.sum({x}, axis={k})",
    "np.mean({x}, axis={k})",
    "np.max({x}, axis={k})",
    "np.min({x}, axis={k})",
    "np.prod(1.0 + 0.2 * {x}, axis={k})",
    "np.linalg.norm({x}, axis={k})",
    "np.amax({x}, axis={k})",
    "np.std({x}, axis={k})",
    "np.var({x}, axis={k})",
]
# the method forms: numpy's meaning (max(axis) is the values; std divides by n) must hold on Tensors too
REDUCE_METHODS = [
    "{a}.sum(axis={k})",
    "{a}.mean(axis={k})",
    "{a}.max(axis={k})",
    "{a}.min({k})",
    "{a}.sum({k})",
    "{a}.std(axis={k})",
    "{a}.var(axis={k})",
    "{a}.max({k})",
]
# reductions that need more than one element along the axis (the square root of a variance near zero)
NEEDS_SPREAD = ("std", "norm")
TO_SCALAR = [
    "np.sum({x})",
    "np.mean({x})",
    "np.std({x})",
    "np.var({x})",
    "np.linalg.norm({x})",
    "np.max({x})",
    "np.prod(1.0 + 0.1 * {x})",
    "np.sum({x} * {x})",
    "np.median({x})",
    "np.average({x})",
]
TO_SCALAR_METHODS = ["{a}.sum()", "{a}.mean()", "{a}.std()", "{a}.var()", "{a}.max()", "{a}.min()", "{a}.prod()"]


class Exprs:
    """Random expressions over ``scope``.

    Args:
        r: the ``random.Random`` that makes every choice.
        scope: the ``Scope`` the expression is evaluated in.
        ctx: the program being built (``ctx.const(shape)`` a constant array text, ``ctx.helpers``,
            ``ctx.weight(theme)``).
    """

    def __init__(self, r, scope, ctx):
        self.r, self.scope, self.ctx = r, scope, ctx
        self.reps = []  # one flag per real() call being built: has a sub-expression repeated entries?

    # ------------------------------------------------------------------ small choices

    def num(self, lo=-0.9, hi=0.9):
        """A short float literal."""
        v = round(self.r.uniform(lo, hi), 2)
        return repr(v if v != 0 else 0.25)

    def pick(self, options, weights=None):
        return self.r.choices(options, weights=weights)[0]

    def dim(self):
        return self.pick([2, 3, 4], [4, 4, 2])

    # ------------------------------------------------------------------ leaves

    def leaf(self, shape):
        """A variable of this shape, else another variable adapted to it, else a constant."""
        kind = "float" if shape == () else "array"
        exact = self.scope.slots(kind, shape if kind == "array" else None)
        if shape == ():
            exact += self.scope.slots("array", ())
        if exact and self.r.random() < 0.75:
            name, _ = self.pick(exact, [1 + i for i in range(len(exact))])  # recent names a little more often
            return E(name, self.memory(name), True, self.repeats(name))
        sources = self.scope.slots("array") + self.scope.slots("float")
        if sources and self.r.random() < 0.9:
            name, t = self.pick(sources, [1 + i for i in range(len(sources))])
            base = E(name, self.memory(name), True, self.repeats(name))
            return self.adapt(base, t.shape if t.kind == "array" else (), shape)
        return fresh(self.ctx.const(shape)) if shape else fresh(self.num())

    def repeats(self, slot):
        return slot.split("[")[0] in self.scope.flat

    def memory(self, slot):
        """The names whose memory the value read by ``slot`` (``v``, ``d['a']``, ``L[0]``) may share."""
        base = slot.split("[")[0]
        return self.scope.alias.get(base, frozenset()) | {base}

    def adapt(self, e, have, want):
        """``e`` of shape ``have`` made into shape ``want`` by indexing, reducing, inserting axes, repeating."""
        if have == want:
            return e
        if have == ():
            if self.r.random() < 0.03:
                return E(f"np.full({want!r}, {e.text})", rep=True)
            return op(f"{e.wrap()} * {self.ctx.const(want)}")
        if want == () and self.r.random() < 0.6:
            return self.to_scalar(e, have)
        have = tuple(have)
        while len(have) > len(want):
            k = self.r.randrange(len(have))
            if self.r.random() < 0.5:
                i = self.r.randrange(-have[k], have[k])
                e = E(f"{e.wrap()}[{axis_index(k, len(have), str(i))}]", e.alias, True, e.rep)
            else:
                e = self.reduce(e, have, k)
            have = have[:k] + have[k + 1 :]
        while len(have) < len(want):
            k = self.r.randrange(len(have) + 1)
            new = have[:k] + (1,) + have[k:]
            form = self.r.randrange(3)
            if form == 0:
                e = E(f"{e.wrap()}[{axis_index(k, len(have) + 1, 'None', insert=True)}]", e.alias, True, e.rep)
            elif form == 1:
                e = E(f"np.expand_dims({e.text}, {k})", e.alias, True, e.rep)
            else:
                e = E(f"{e.wrap()}.reshape({shape_text(new)})", e.alias, True, e.rep)
            have = new
        for k in range(len(want)):
            if have[k] != want[k]:
                e = self.resize_axis(e, have, k, want[k])
                have = have[:k] + (want[k],) + have[k + 1 :]
        return e

    def resize_axis(self, e, have, k, n):
        """``e`` with axis ``k`` (of length ``have[k]``) made ``n`` long."""
        m, nd = have[k], len(have)
        r = self.r
        if m == 1:
            form = r.randrange(4)
            if form == 0:
                return E(f"np.repeat({e.text}, {n}, axis={k})", rep=True)
            if form == 1:
                reps = tuple(n if j == k else 1 for j in range(nd))
                return E(f"np.tile({e.text}, {reps!r})", rep=True)
            if form == 2:
                return E(f"{e.wrap()}[{axis_index(k, nd, repr([0] * n))}]", rep=True)
            return E(f"np.concatenate([{', '.join([e.text] * n)}], axis={k})", rep=True)
        if m > n:
            form = r.randrange(4)
            if form == 0:
                a = r.randrange(m - n + 1)
                return E(f"{e.wrap()}[{axis_index(k, nd, slice_text(a, a + n))}]", e.alias, True, e.rep)
            if form == 1 and 2 * n - 1 <= m:
                a = r.randrange(m - (2 * n - 1) + 1)
                return E(f"{e.wrap()}[{axis_index(k, nd, slice_text(a, a + 2 * n - 1, 2))}]", e.alias, True, e.rep)
            if form == 2:
                mask = [True] * n + [False] * (m - n)
                r.shuffle(mask)
                return E(f"{e.wrap()}[{axis_index(k, nd, f'np.array({mask!r})')}]", rep=e.rep)
            idx = sorted(r.sample(range(m), n)) if r.random() < 0.5 else [r.randrange(m) for _ in range(n)]
            return E(f"{e.wrap()}[{axis_index(k, nd, repr(idx))}]", rep=e.rep or len(set(idx)) < n)
        # m < n: repeat some rows
        if r.random() < 0.05:
            return E(f"np.pad({e.text}, {pad_text(nd, k, n - m)})", rep=True)
        idx = list(range(m)) + [r.randrange(m) for _ in range(n - m)]
        r.shuffle(idx)
        return E(f"{e.wrap()}[{axis_index(k, nd, repr(idx))}]", rep=True)

    def reduce(self, e, have, k):
        """A reduction of axis ``k`` of ``e`` (shape ``have``)."""
        forms = REDUCE_METHODS if self.r.random() < self.ctx.method_share() else REDUCE
        forms = [f for f in forms if (have[k] > 1 and not e.rep) or not any(s in f for s in NEEDS_SPREAD)]
        form = self.pick(forms)
        if self.r.random() < 0.3:
            k = k - len(have)  # a negative axis
        return fresh(form.format(x=e.text, a=e.wrap(), k=k))

    def to_scalar(self, e, have):
        spread = int(np.prod(have)) > 1 and not e.rep
        forms = TO_SCALAR_METHODS if self.r.random() < self.ctx.method_share() else TO_SCALAR
        forms = [f for f in forms if spread or not any(s in f for s in ("std", "norm", "median"))]
        return fresh(self.pick(forms).format(x=e.text, a=e.wrap()))

    # ------------------------------------------------------------------ the recursive generator

    def real(self, shape, depth):
        """An expression of float64 values and exactly ``shape``.

        Its ``rep`` is true when any sub-expression's is (a repeated value stays repeated through most
        operations; erring on that side only makes ``std`` a little rarer)."""
        self.reps.append(False)
        try:
            e = self._real(tuple(shape), depth)
        finally:
            inner = self.reps.pop()
        if inner and not e.rep:
            e = replace(e, rep=True)
        if self.reps:
            self.reps[-1] = self.reps[-1] or e.rep
        return e

    def _real(self, shape, depth):
        if depth <= 0 or self.r.random() < 0.15:
            return self.leaf(shape)
        kinds = [
            ("unary", 5),
            ("binary", 7),
            ("kink", 1.5),
            ("reduce", 1.5),
            ("contract", 1.5 * self.ctx.weight("linalg")),
            ("einsum", 1 * self.ctx.weight("einsum")),
            ("join", 1 * self.ctx.weight("indexing")),
            ("index", 1.5 * self.ctx.weight("indexing")),
            ("shape", 1.5 * self.ctx.weight("methods")),
            ("helper", 2 * self.ctx.weight("helpers") if self.ctx.helpers else 0),
            ("complex", 2 * self.ctx.weight("complex") if self.scope.slots("complex") else 0),
            ("method", 1.5 * self.ctx.weight("methods")),
        ]
        names, weights = zip(*kinds)
        kind = self.pick(names, weights)
        return getattr(self, "node_" + kind)(shape, depth - 1)

    def bcast(self, shape, depth):
        """An expression whose shape broadcasts to ``shape``: a number, a trailing part, some axes of length one."""
        r = self.r.random()
        if r < 0.25 or not shape:
            floats = self.scope.slots("float")
            if floats and self.r.random() < 0.6:
                return E(self.pick(floats)[0], frozenset(), True)
            return fresh(self.num())
        if r < 0.6:
            return self.real(shape, depth)
        if r < 0.8:
            k = self.r.randrange(len(shape))
            return self.real(shape[k:], depth)
        ones = tuple(1 if self.r.random() < 0.5 else d for d in shape)
        return self.real(ones, depth)

    def node_unary(self, shape, depth):
        form = self.pick(UNARY)
        return op(form.format(self.real(shape, depth).text))

    def node_binary(self, shape, depth):
        k = self.r.randrange(len(BINARY))
        a, b = self.real(shape, depth), self.bcast(shape, depth)
        if a.text == b.text:  # x - x, maximum(x, x): an identically zero value or a tie on a kink
            b = fresh(self.num())
        if k in SYMMETRIC and self.r.random() < 0.5:
            a, b = b, a  # the broadcast operand first
        return op(BINARY[k].format(a.text, b.text))

    def node_kink(self, shape, depth):
        a = self.real(shape, depth)
        lo = round(self.r.uniform(-0.9, -0.1), 2)
        return op(
            self.pick(KINKS).format(
                a.text,
                a=a.wrap(),
                c=self.num(),
                c2=self.num(0.1, 0.9),
                lo=lo,
                hi=round(lo + self.r.uniform(0.3, 1.5), 2),
            )
        )

    def node_reduce(self, shape, depth):
        """A reduction of an expression with one more axis (or ``keepdims=True`` of one with a longer axis)."""
        if len(shape) >= 3:
            return self.node_binary(shape, depth)
        k = self.r.randrange(len(shape) + 1)
        n = self.dim()
        bigger = shape[:k] + (n,) + shape[k:]
        inner = self.real(bigger, depth)
        if shape == () and self.r.random() < 0.5:
            return self.to_scalar(inner, bigger)
        if shape and shape[k - 1 if k else 0] == 1 and self.r.random() < 0.5:
            j = k - 1 if k else 0
            longer = shape[:j] + (n,) + shape[j + 1 :]
            inner = self.real(longer, depth)
            form = self.pick(
                spread_only(
                    inner,
                    [
                        "np.sum({x}, axis={j}, keepdims=True)",
                        "np.mean({x}, axis={j}, keepdims=True)",
                        "np.max({x}, axis={j}, keepdims=True)",
                        "{a}.sum(axis={j}, keepdims=True)",
                        "np.linalg.norm({x}, axis={j}, keepdims=True)",
                        "{a}.std(axis={j}, keepdims=True)",
                    ],
                )
            )
            return fresh(form.format(x=inner.text, a=inner.wrap(), j=j))
        return self.reduce(inner, bigger, k)

    def node_contract(self, shape, depth):
        r, d = self.r, self.dim()
        if len(shape) == 2:
            m, n = shape
            form = r.randrange(6)
            if form == 0:
                return op(f"{self.real((m, d), depth).text} @ {self.real((d, n), depth).text}")
            if form == 1:
                return fresh(f"np.dot({self.real((m, d), depth).text}, {self.real((d, n), depth).text})")
            if form == 2:
                return fresh(f"np.outer({self.real((m,), depth).text}, {self.real((n,), depth).text})")
            if form == 3:
                return fresh(f"{self.real((m, d), depth).wrap()}.dot({self.real((d, n), depth).text})")
            if form == 4 and m == n:
                a = self.real((m, m), depth)
                return fresh(
                    self.pick(
                        [
                            f"np.linalg.inv(np.eye({m}) * 3.0 + {a.wrap()})",
                            f"np.linalg.solve(np.eye({m}) * 3.0 + {a.wrap()}, {self.real(shape, depth).text})",
                            f"np.linalg.cholesky(np.eye({m}) * 2.0 + {a.wrap()} @ {a.wrap()}.T)",
                            f"np.triu({a.text})",
                            f"np.tril({a.text}, -1)",
                        ]
                    )
                )
            return fresh(f"np.tensordot({self.real((m, d), depth).text}, {self.real((d, n), depth).text}, axes=1)")
        if len(shape) == 1:
            (m,) = shape
            form = r.randrange(4)
            if form == 0:
                return op(f"{self.real((m, d), depth).text} @ {self.real((d,), depth).text}")
            if form == 1:
                return op(f"{self.real((d,), depth).text} @ {self.real((d, m), depth).text}")
            if form == 2:
                return fresh(f"np.diag({self.real((m, m), depth).text})")
            return fresh(f"np.matmul({self.real((m, d), depth).text}, {self.real((d,), depth).text})")
        if len(shape) == 0:
            form = r.randrange(6)
            if form == 0:
                return op(f"{self.real((d,), depth).text} @ {self.real((d,), depth).text}")
            if form == 1:
                return fresh(f"np.dot({self.real((d,), depth).text}, {self.real((d,), depth).text})")
            if form == 2:
                return fresh(f"np.vdot({self.real((d, 2), depth).text}, {self.real((d, 2), depth).text})")
            if form == 3:
                return fresh(f"np.trace({self.real((d, d), depth).text})")
            if form == 4:
                a = self.real((d, d), depth)
                return fresh(f"np.linalg.det(np.eye({d}) * 2.0 + {a.wrap()})")
            return fresh(f"np.inner({self.real((d,), depth).text}, {self.real((d,), depth).text})")
        if len(shape) != 3:
            return self.node_unary(shape, depth)
        b, m, n = shape
        return op(f"{self.real((b, m, d), depth).text} @ {self.real(self.pick([(d, n), (b, d, n)]), depth).text}")

    def node_einsum(self, shape, depth):
        """``np.einsum`` with random subscripts whose result has ``shape`` (sometimes with an ellipsis)."""
        r = self.r
        letters = list(string.ascii_lowercase[:8])
        r.shuffle(letters)
        out = letters[: len(shape)]
        dims = dict(zip(out, shape))
        summed = letters[len(shape) : len(shape) + r.choice([0, 1, 1, 2])]
        for s in summed:
            dims[s] = self.dim()
        ellipsis = ()
        if r.random() < 0.2 and len(shape) < 3:
            ellipsis = (self.dim(),)
        pool = out + summed
        ops = []
        for _ in range(r.choice([1, 2, 2, 2, 3])):
            size = r.randint(1, min(3, len(pool))) if pool else 0
            ops.append(r.sample(pool, size))
        for s in pool:  # every letter in some operand
            if not any(s in o for o in ops):
                r.choice(ops).append(s)
        for o in ops:
            r.shuffle(o)
        if not any(len(o) for o in ops) and not ellipsis:
            return self.leaf(shape)
        parts, operands = [], []
        for o in ops:
            sub = "".join(o)
            shp = [dims[c] for c in o]
            if ellipsis and (r.random() < 0.7 or o is ops[0]):
                at = r.randrange(len(o) + 1)
                sub = sub[:at] + "..." + sub[at:]
                shp = shp[:at] + list(ellipsis) + shp[at:]
            parts.append(sub)
            operands.append(self.real(tuple(shp), depth).text)
        result = "".join(out)
        if ellipsis and r.random() < 0.6:
            # the ellipsis axes kept in the result (at a random place), then summed by np.sum
            at = r.randrange(len(out) + 1)
            result = "".join(out[:at]) + "..." + "".join(out[at:])
            text = f"np.einsum({(','.join(parts) + '->' + result)!r}, {', '.join(operands)})"
            return fresh(f"np.sum({text}, axis={at})")
        return fresh(f"np.einsum({(','.join(parts) + '->' + result)!r}, {', '.join(operands)})")

    def node_join(self, shape, depth):
        """Concatenation, stacking, ``np.r_``/``np.c_``/``hstack``/``vstack`` of pieces that make up ``shape``."""
        r = self.r
        if not shape:
            return self.node_binary(shape, depth)
        k = r.randrange(len(shape))
        n = shape[k]
        if n >= 2 and r.random() < 0.75:
            cut = r.randrange(1, n)
            a = self.real(shape[:k] + (cut,) + shape[k + 1 :], depth)
            b = self.piece(shape[:k] + (n - cut,) + shape[k + 1 :], depth)
            if len(shape) == 1:
                form = r.randrange(4)
                if form == 0:
                    return fresh(f"np.r_[{a.text}, {b.text}]")
                if form == 1 and n - cut == 1:
                    return fresh(f"np.r_[{a.text}, {self.num()}]")
                if form == 2:
                    return fresh(f"np.hstack([{a.text}, {b.text}])")
            if len(shape) == 2 and k == 0 and r.random() < 0.4:
                return fresh(
                    self.pick(
                        [
                            f"np.vstack([{a.text}, {b.text}])",
                            f"np.r_[{a.text}, {b.text}]",
                            f"np.r_['0', {a.text}, {b.text}]",
                        ]
                    )
                )
            if len(shape) == 2 and k == 1 and r.random() < 0.4:
                return fresh(self.pick([f"np.hstack([{a.text}, {b.text}])", f"np.c_[{a.text}, {b.text}]"]))
            return fresh(f"np.concatenate([{a.text}, {b.text}], axis={k if r.random() < 0.7 else k - len(shape)})")
        if len(shape) == 2 and shape[1] == 2 and r.random() < 0.5:
            return fresh(f"np.c_[{self.real(shape[:1], depth).text}, {self.piece(shape[:1], depth).text}]")
        pieces = ", ".join(self.piece(shape[:k] + shape[k + 1 :], depth).text for _ in range(n))
        if k == 0 and r.random() < 0.3:
            return fresh(f"np.array([{pieces}])")
        return fresh(f"np.stack([{pieces}], axis={k})")

    def piece(self, shape, depth):
        """A piece to join: usually computed, sometimes a constant (a module array) that depends on no input."""
        if self.r.random() < 0.2:
            return fresh(self.ctx.const(shape))
        return self.real(shape, depth)

    def node_index(self, shape, depth):
        """Indexing that yields ``shape``: ``np.ix_``, ``np.s_``, fancy rows, a mask, a basic slice of more."""
        r = self.r
        form = r.randrange(5)
        if form == 0 and len(shape) == 2:
            m, n = shape
            big = (m + r.randrange(2), n + r.randrange(2))
            rows = [r.randrange(big[0]) for _ in range(m)]
            cols = [r.randrange(big[1]) for _ in range(n)]
            inner = self.real(big, depth)
            return fresh(f"{inner.wrap()}[np.ix_({rows!r}, {cols!r})]")
        if form == 1 and shape:
            n = shape[0]
            big = (n + r.randrange(3),) + shape[1:]
            a = r.randrange(big[0] - n + 1)
            inner = self.real(big, depth)
            return E(f"{inner.wrap()}[np.s_[{a}:{a + n}]]", inner.alias, True)
        if form == 2 and shape:
            n = shape[0]
            m = self.dim()
            idx = [r.randrange(m) for _ in range(n)]
            inner = self.real((m,) + shape[1:], depth)
            if r.random() < 0.3:
                index = repr(idx) if r.random() < 0.3 else f"np.array({idx!r})"
                return fresh(f"np.take({inner.text}, {index}, axis=0)")
            return fresh(f"{inner.wrap()}[np.array({idx!r})]")
        if form == 3:
            m = self.dim()
            inner = self.real(shape + (m,), depth)
            return E(f"{inner.wrap()}[..., {r.randrange(-m, m)}]", inner.alias, True)
        big = tuple(d + r.randrange(2) for d in shape)
        return self.adapt(self.real(big, depth), big, shape)

    def node_shape(self, shape, depth):
        """A reshaping, transposing, flipping or rolling of an expression into ``shape``."""
        r = self.r
        nd = len(shape)
        form = r.randrange(7)
        if form == 0 and nd == 2:
            inner = self.real(shape[::-1], depth)
            return E(
                self.pick(
                    [
                        f"{inner.wrap()}.T",
                        f"np.transpose({inner.text})",
                        f"{inner.wrap()}.transpose()",
                        f"np.swapaxes({inner.text}, 0, 1)",
                    ]
                ),
                inner.alias,
                True,
            )
        if form == 1 and nd >= 1:
            size = int(np.prod(shape))
            other = self.pick(factorizations(size))
            inner = self.real(other, depth)
            text = self.pick(
                [
                    f"{inner.wrap()}.reshape({shape_text(shape)})",
                    f"np.reshape({inner.text}, {shape!r})",
                    f"{inner.wrap()}.reshape({shape_text(shape[:-1] + (-1,))})",
                ]
            )
            if nd == 1:
                text = self.pick(
                    [text, f"{inner.wrap()}.ravel()", f"{inner.wrap()}.flatten()", f"np.ravel({inner.text})"]
                )
            return E(text, inner.alias, True)
        if form == 2 and nd >= 1:
            inner = self.real(shape, depth)
            k = r.randrange(nd)
            return E(
                self.pick([f"np.flip({inner.text}, axis={k})", f"{inner.wrap()}[::-1]", f"np.flip({inner.text})"]),
                inner.alias,
                True,
            )
        if form == 3 and nd >= 1:
            inner = self.real(shape, depth)
            return fresh(f"np.roll({inner.text}, {r.choice([1, -1, 2])}, axis={r.randrange(nd)})")
        if form == 4 and nd >= 1:
            inner = self.real(shape, depth)
            return fresh(
                self.pick(
                    [
                        f"np.cumsum({inner.text}, axis={r.randrange(nd)})",
                        f"{inner.wrap()}.cumsum(axis={r.randrange(nd)})",
                        f"np.sort({inner.text}, axis={r.randrange(nd)})",
                        f"np.cumprod(1.0 + 0.1 * {inner.wrap()}, axis={r.randrange(nd)})",
                    ]
                )
            )
        if form == 5 and nd == 3:
            perm = list(range(3))
            r.shuffle(perm)
            inv = list(np.argsort(perm))
            inner = self.real(tuple(shape[p] for p in inv), depth)
            return E(f"np.transpose({inner.text}, {tuple(perm)!r})", inner.alias, True)
        if form == 6 and nd >= 1 and shape[-1] % 2 == 0:
            inner = self.real(shape[:-1] + (shape[-1] // 2,), depth)
            if nd == 1:
                return fresh(
                    self.pick([f"{inner.wrap()}.repeat(2)", f"np.repeat({inner.text}, 2)", f"np.tile({inner.text}, 2)"])
                )
            return fresh(f"np.repeat({inner.text}, 2, axis={nd - 1})")
        return self.node_unary(shape, depth)

    def node_method(self, shape, depth):
        """Array methods whose numpy meaning a Tensor must keep (``std``, ``var``, ``max(axis)``, ``repeat`` ...)."""
        r = self.r
        if len(shape) >= 3:
            return self.node_unary(shape, depth)
        if shape == ():
            inner_shape = tuple(self.dim() for _ in range(r.randrange(1, 3)))
            inner = self.real(inner_shape, depth)
            return fresh(
                self.pick(
                    spread_only(
                        inner,
                        [
                            f"{inner.wrap()}.std()",
                            f"{inner.wrap()}.var()",
                            f"{inner.wrap()}.sum()",
                            f"{inner.wrap()}.max()",
                            f"{inner.wrap()}.mean()",
                            f"{inner.wrap()}.min()",
                            f"{inner.wrap()}.std(ddof=1)",
                            f"{inner.wrap()}.var(ddof=1)",
                            f"{inner.wrap()}.prod()",
                        ],
                    )
                )
            )
        k = r.randrange(len(shape) + 1)
        bigger = shape[:k] + (self.dim(),) + shape[k:]
        inner = self.real(bigger, depth)
        form = self.pick(
            spread_only(
                inner,
                [
                    f"{inner.wrap()}.std({k})",
                    f"{inner.wrap()}.var(axis={k})",
                    f"{inner.wrap()}.sum({k})",
                    f"{inner.wrap()}.max(axis={k})",
                    f"{inner.wrap()}.max({k})",
                    f"{inner.wrap()}.mean({k})",
                    f"{inner.wrap()}.min(axis={k})",
                    f"{inner.wrap()}.std(axis={k}, ddof=1)",
                    f"{inner.wrap()}.prod(axis={k})",
                    f"{inner.wrap()}.argmax(axis={k}) * 0.0 + {inner.wrap()}.sum({k})",
                ],
            )
        )
        return fresh(form)

    def node_helper(self, shape, depth):
        h = self.pick(self.ctx.helpers)
        return fresh(h.call(self, shape, depth))

    def node_complex(self, shape, depth):
        z = self.cplx(shape, depth)
        return fresh(
            self.pick(
                [
                    f"np.abs({z.text})",
                    f"np.real({z.text})",
                    f"{z.wrap()}.imag",
                    f"np.imag({z.text})",
                    f"{z.wrap()}.real",
                    f"np.abs({z.text}) ** 2",
                    f"({z.wrap()} * np.conj({z.text})).real",
                ]
            )
        )

    # ------------------------------------------------------------------ complex

    def cplx(self, shape, depth):
        """A complex128 expression of exactly ``shape``."""
        slots = self.scope.slots("complex", tuple(shape))
        if depth <= 0 or self.r.random() < 0.2:
            if slots:
                name = self.pick(slots)[0]
                return E(name, self.memory(name), True)
            return op(f"({self.real(shape, 0).text} + 0.5j * {self.real(shape, 0).text})")
        a = self.cplx(shape, depth - 1)
        form = self.r.randrange(9)
        if form == 0:
            return op(f"{a.wrap()} * {self.cplx(shape, depth - 1).wrap()}")
        if form == 1:
            return op(f"{a.wrap()} + {self.real(shape, depth - 1).wrap()}")
        if form == 2:
            return op(f"{a.wrap()} * ({self.num()} + {self.num()}j)")
        if form == 3:
            return fresh(
                self.pick(
                    [
                        f"np.sin({a.text})",
                        f"np.exp(0.5j * {a.wrap()})",
                        f"np.cos({a.text})",
                        f"np.tanh({a.text})",
                        f"np.exp({a.text})",
                        f"np.sqrt({a.text} + 2.0)",
                    ]
                )
            )
        if form == 4:
            return fresh(self.pick([f"np.conj({a.text})", f"{a.wrap()}.conj()"]))
        if form == 5:
            return op(f"{a.wrap()} ** 2")
        if form == 6:
            return op(f"{a.wrap()} / (2.0 + np.abs({a.text}))")
        if form == 7:
            return op(f"{a.wrap()} * {self.real(shape, depth - 1).wrap()}")
        return op(f"{a.wrap()} - {self.cplx(shape, depth - 1).wrap()}")


# ---------------------------------------------------------------------- text helpers


def spread_only(e, forms):
    """``forms`` without std, norm and median when ``e`` may hold repeated entries (their kink)."""
    return [f for f in forms if not e.rep or not any(s in f for s in NEEDS_SPREAD + ("median",))]


def shape_text(shape):
    """``3, 4`` for reshape's argument list (``(3,)`` as ``3``)."""
    return ", ".join(str(d) for d in shape) if shape else "()"


def axis_index(k, nd, idx, insert=False):
    """The subscript that puts ``idx`` on axis ``k`` of an ``nd``-axis array (``:, idx``, or ``..., idx``)."""
    if k == 0:
        return idx
    if k == nd - 1 and not insert and nd > 2:
        return f"..., {idx}"
    return ", ".join([":"] * k + [idx])


def slice_text(start, stop, step=1):
    """``a:b`` or ``a:b:s``, leaving out a zero start and a unit step."""
    return f"{start or ''}:{stop}" + (f":{step}" if step != 1 else "")


def pad_text(nd, k, extra):
    widths = [(0, 0)] * nd
    widths[k] = (0, extra)
    return repr(tuple(widths)) if nd > 1 else repr(widths[0])


def factorizations(size):
    """Shapes of up to three axes holding ``size`` elements (the 1-axis one included)."""
    out = [(size,)]
    for a in range(2, size):
        if size % a == 0:
            out.append((a, size // a))
            for b in range(2, size // a):
                if (size // a) % b == 0:
                    out.append((a, b, size // a // b))
    return out
