"""Generate docs/supported.md: what each primitive supports in each mode, and the compiler's syntax.

Usage::

    python tools/gen_supported.py           # rewrite docs/supported.md
    python tools/gen_supported.py --check   # exit 1 if docs/supported.md is stale

Every "yes" in the table is checked, not assumed: for each primitive of the
rule table the script takes its first sample input from the rules' test table
(``tests/test_rules.py``), builds ``np.sum(prim(...) * w)`` and compares, along
one random direction, the derivative each mode gives with central finite
differences (float64):

* VJP, JVP: the rule table has reverse / forward rules for it;
* static: ``srcgrad.grad`` of that function;
* forward: ``srcgrad.jvp`` of it (a column only when the rule has a JVP);
* dynamic: the same function on Tensors, ``.backward()``;
* second order: a Hessian-vector product in dynamic mode (``create_graph=True``)
  against finite differences of the first derivative.

A cell says ``yes``, ``wrong`` (the check ran and disagreed: a bug) or the name
of the error raised. The syntax section lists what the compiler's fence
rejects, with the message a user gets, produced by running the compiler on a
one-line example of each construct.
"""

import argparse
import contextlib
import io
import math
import operator
import pathlib
import sys
import warnings

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "supported.md"
sys.path.insert(0, str(ROOT))

import srcgrad  # noqa: E402
from srcgrad.rules import RULES  # noqa: E402
from srcgrad.rules.generated import HELPERS as GENERATED_HELPERS  # noqa: E402

EPS = 1e-6
RTOL, ATOL = 1e-5, 1e-7
GROUPS = [
    ("elementwise", "Elementwise"),
    ("mathfuncs", "math functions"),
    ("reductions", "Reductions"),
    ("linalg", "Linear algebra"),
    ("einsum", "einsum"),
    ("decomp", "Eigen-decompositions and pseudo-inverses"),
    ("shape", "Shape"),
    ("indexing", "Indexing"),
    ("nnfuncs", "ML helpers"),
    ("conv", "Convolution helpers"),
    ("complexnums", "Complex numbers"),
    ("fourier", "Fourier transforms (np.fft)"),
]


# ------------------------------------------------------------------ names


def qualname(fn):
    """How a user spells the primitive: ``np.sin``, ``math.sin``, ``operator.getitem``, ..."""
    name = getattr(fn, "__name__", repr(fn))
    module = getattr(fn, "__module__", None) or ""
    if getattr(operator, name, None) is fn:
        return f"operator.{name}"
    if isinstance(fn, np.ufunc):
        return f"np.{name}"
    if isinstance(getattr(fn, "__self__", None), np.ufunc):  # a ufunc's method: np.add.reduce
        return f"np.{fn.__self__.__name__}.{name}"
    if fn in (abs, max, min, round, divmod):
        return name
    if getattr(math, name, None) is fn:
        return f"math.{name}"
    if module.startswith("srcgrad"):
        return f"srcgrad.rules.{name}"
    if getattr(np.linalg, name, None) is fn:
        return f"np.linalg.{name}"
    if getattr(np.fft, name, None) is fn:
        return f"np.fft.{name}"
    return f"np.{name}"


def group_of(rule):
    for f in tuple(rule.vjps) + tuple(rule.jvps):
        if f is not None:
            return getattr(f, "__module__", "").rsplit(".", 1)[-1]
    return "nondiff"


# ------------------------------------------------------------------ samples and the probe function


def samples():
    """The first sample of each primitive in the rules' test table: fn -> Case."""
    sys.path.insert(0, str(ROOT / "tests"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import test_rules
    found = {}
    for c in test_rules.CASES:
        found.setdefault(c.fn, c)
    return found


def complex_samples():
    """The first complex sample of each primitive in ``tests/test_rules_complex.py``: fn -> Case."""
    sys.path.insert(0, str(ROOT / "tests"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import test_rules_complex
    found = {}
    for c in test_rules_complex.CASES:
        found.setdefault(c.fn, c)
    return found, test_rules_complex.check_complex_rule


def check_complex(rule, case, checker):
    """``yes`` when the rule is marked verified for complex values and its VJP and JVP match finite
    differences on a complex sample; ``refused`` when it is not marked (both modes then raise)."""
    if not rule.complex:
        return "refused"
    if case is None:
        return "no sample"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            checker(case, np.random.default_rng(0))
    except AssertionError:
        return "wrong"
    except Exception as e:  # the cell reports whatever a user would get
        return type(e).__name__
    return "yes"


def _is_float(a):
    return isinstance(a, float) or (isinstance(a, np.ndarray) and a.dtype.kind == "f")


def _random_like(rng, a):
    return float(rng.normal()) if isinstance(a, float) else rng.normal(size=np.shape(a))


class Probe:
    """``probe(a0, a1, ...) = sum_k np.sum(out_k * w_k)`` for one sample of one primitive, as source text."""

    def __init__(self, rule, case, rng):
        self.rule, self.case = rule, case
        args = tuple(np.array(a) if isinstance(a, np.ndarray) else a for a in case.args)
        n = len(args)
        wrt = case.wrt
        if wrt is None:
            wrt = tuple(i for i in range(n) if _is_float(args[i]) and rule.vjp_at(i) is not None)
        self.wrt = tuple(wrt)
        self.args = args
        self.namespace = {"np": np, "prim": rule.fn}
        kw = []
        for k, (key, value) in enumerate(case.kwargs.items()):
            self.namespace[f"kw{k}"] = value
            kw.append(f"{key}=kw{k}")
        call = f"prim({', '.join([f'a{i}' for i in range(n)] + kw)})"
        out = rule.fn(*args, **case.kwargs)
        outs = out if rule.multiple_outputs else (out,)
        # complex weights only for results with imaginary parts: numpy 2.5's eig of a real matrix gives real
        # eigenvectors in a complex array, and a complex weight would make the loss depend on their phase
        self.weights = tuple(
            rng.normal(size=np.shape(o)) + (1j * rng.normal(size=np.shape(o)) if np.any(np.imag(o)) else 0)
            for o in outs
        )
        real = "np.real" if any(np.iscomplexobj(o) for o in outs) else ""  # a complex result: Re of <w, out>
        params = [f"a{i}" for i in range(n)] + [f"w{k}" for k in range(len(outs))]
        if rule.multiple_outputs:
            names = ", ".join(f"o{k}" for k in range(len(outs)))
            lines = [f"    {names} = {call}"] + [f"    s{k} = np.sum({real}(o{k} * w{k}))" for k in range(len(outs))]
            ret = " + ".join(f"s{k}" for k in range(len(outs)))
        else:
            lines, ret = [], f"np.sum({real}({call} * w0))"
        self.source = f"def probe({', '.join(params)}):\n" + "\n".join(lines + [f"    return {ret}"]) + "\n"
        exec(compile(self.source, "<probe>", "exec"), self.namespace)
        self.fn = self.namespace["probe"]
        self.full_args = args + self.weights
        self.direction = {i: _random_like(rng, args[i]) for i in self.wrt}
        self.direction2 = {i: _random_like(rng, args[i]) for i in self.wrt}

    def moved(self, step, direction=None):
        direction = direction or self.direction
        return tuple(a + step * direction[i] if i in direction else a for i, a in enumerate(self.full_args))

    def numeric_directional(self):
        plus = float(self.fn(*self.moved(EPS)))
        minus = float(self.fn(*self.moved(-EPS)))
        return (plus - minus) / (2 * EPS)

    def dot(self, grads, direction=None):
        direction = direction or self.direction
        return float(sum(np.sum(np.asarray(grads[i], dtype=np.float64) * direction[i]) for i in self.wrt))


def _close(got, expected):
    return abs(got - expected) <= ATOL + RTOL * abs(expected)


def _verdict(check):
    """Run ``check() -> (got, expected)``; 'yes', 'wrong' or the error's name."""
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            got, expected = check()
    except Exception as e:  # the cell reports whatever a user would get
        return type(e).__name__
    if not np.isfinite(got) or not _close(got, expected):
        return "wrong"
    return "yes"


def dynamic_grads(probe, args, create_graph=False):
    tensors = {i: srcgrad.tensor(np.asarray(args[i], dtype=np.float64), requires_grad=True) for i in probe.wrt}
    # the other float arrays are Tensors too, as in a program on Tensors (np.full_like dispatches on its template)
    call = tuple(tensors.get(i, srcgrad.tensor(a) if _is_float(a) and np.ndim(a) else a) for i, a in enumerate(args))
    out = probe.fn(*call)
    inputs = [tensors[i] for i in probe.wrt]
    grads = srcgrad.autograd.grad(out, inputs, create_graph=create_graph, allow_unused=True)
    return tensors, {i: (g if g is not None else srcgrad.zeros(np.shape(args[i]))) for i, g in zip(probe.wrt, grads)}


def check_dynamic(probe):
    _, grads = dynamic_grads(probe, probe.full_args)
    return probe.dot({i: g.detach().numpy() for i, g in grads.items()}), probe.numeric_directional()


def check_static(probe):
    df = srcgrad.grad(probe.fn, wrt=probe.wrt, source=probe.source)
    return probe.dot(dict(zip(probe.wrt, df(*probe.full_args)))), probe.numeric_directional()


def check_forward(probe):
    total = 0.0
    for i in probe.wrt:
        _, t = srcgrad.jvp(probe.fn, wrt=i, source=probe.source)(*probe.full_args, probe.direction[i])
        total += float(np.asarray(t))
    return total, probe.numeric_directional()


def check_second_order(probe):
    tensors, grads = dynamic_grads(probe, probe.full_args, create_graph=True)
    inputs = [tensors[i] for i in probe.wrt]
    s = sum(np.sum(grads[i] * probe.direction[i]) for i in probe.wrt)
    hv = [None] * len(inputs)
    if getattr(s, "requires_grad", False):  # a linear primitive has a zero second derivative
        hv = srcgrad.autograd.grad(s, inputs, allow_unused=True)
    hv = {
        i: (np.zeros(np.shape(probe.full_args[i])) if h is None else h.detach().numpy()) for i, h in zip(probe.wrt, hv)
    }
    got = probe.dot(hv, probe.direction2)

    def first(step):
        _, g = dynamic_grads(probe, probe.moved(step))
        return probe.dot({i: v.detach().numpy() for i, v in g.items()}, probe.direction2)

    return got, (first(EPS) - first(-EPS)) / (2 * EPS)


# ------------------------------------------------------------------ the primitive table


def primitive_rows():
    table = samples()
    complex_table, complex_checker = complex_samples()
    rng = np.random.default_rng(0)
    rows = {}
    seen = set()
    for fn, rule in RULES.items():
        if id(rule) in seen:
            continue
        seen.add(id(rule))
        if fn in GENERATED_HELPERS:
            continue  # shape arithmetic of generated code and rule bodies (srcgrad/rules/generated.py)
        name = qualname(fn)
        if not rule.differentiable:
            rows.setdefault("nondiff", []).append((name, "zero", "zero", "zero", "zero", "zero", "zero"))
            continue
        nvjp = sum(v is not None for v in rule.vjps)
        vjp = "yes" + (" (variadic)" if rule.variadic else "")
        has_jvp = any(j is not None for j in rule.jvps)
        case = table.get(fn)
        if case is None or nvjp == 0:
            missing = ("no sample",) * 4
            rows.setdefault(group_of(rule), []).append((name, vjp, "yes" if has_jvp else "—") + missing)
            continue
        probe = Probe(rule, case, rng)
        static = _verdict(lambda: check_static(probe)) if hasattr(srcgrad, "grad") else "not built"
        if has_jvp:
            jvp = (
                ("yes, " + _verdict(lambda: check_forward(probe)) + " in srcgrad.jvp")
                if hasattr(srcgrad, "jvp")
                else "yes"
            )
            jvp = jvp.replace("yes, yes in", "yes, checked through")
        else:
            jvp = "—"
        dynamic = _verdict(lambda: check_dynamic(probe))
        second = _verdict(lambda: check_second_order(probe))
        cplx = check_complex(rule, complex_table.get(fn), complex_checker)
        rows.setdefault(group_of(rule), []).append((name, vjp, jvp, static, dynamic, second, cplx))
    return rows


def render_primitives():
    rows = primitive_rows()
    out = [
        "| primitive | VJP | JVP | static (`grad`) | dynamic (Tensor) | second order (dynamic) | complex |",
        "|---|---|---|---|---|---|---|",
    ]
    counts = {"static": 0, "dynamic": 0, "second": 0, "total": 0, "complex": 0}
    for key, title in GROUPS + [("nondiff", "Non-differentiable (zero gradient)")]:
        group = sorted(rows.pop(key, []))
        if not group:
            continue
        out.append(f"| **{title}** | | | | | | |")
        for name, vjp, jvp, static, dynamic, second, cplx in group:
            out.append(f"| `{name}` | {vjp} | {jvp} | {static} | {dynamic} | {second} | {cplx} |")
            if vjp != "zero":
                counts["total"] += 1
                counts["static"] += static == "yes"
                counts["dynamic"] += dynamic == "yes"
                counts["second"] += second == "yes"
                counts["complex"] += cplx == "yes"
    for key, group in sorted(rows.items()):  # a rules module added later still shows up
        out.append(f"| **{key}** | | | | | | |")
        for name, vjp, jvp, static, dynamic, second, cplx in sorted(group):
            out.append(f"| `{name}` | {vjp} | {jvp} | {static} | {dynamic} | {second} | {cplx} |")
    summary = (
        f"Of {counts['total']} differentiable primitives, {counts['static']} are verified in static mode, "
        f"{counts['dynamic']} in dynamic mode, {counts['second']} at second order and {counts['complex']} "
        "for complex values."
    )
    return summary, "\n".join(out)


# ------------------------------------------------------------------ the compiler's syntax

REJECTED_EXAMPLES = {  # fence name (or a description) -> a one-line example inside ``def user_fn(x)``
    "Try": "try:\n        y = x\n    except ValueError:\n        y = x",
    "With": "with open('f') as fh:\n        y = x",
    "Yield": "yield x\n    y = x",
    "YieldFrom": "yield from [x]\n    y = x",
    "ClassDef": "class C:\n        pass\n    y = x",
    "Global": "global G\n    y = x",
    "Nonlocal": "z = x\n    def inner():\n        nonlocal z\n        z = z * 2.0\n    inner()\n    y = z",
    "Delete": "z = x\n    del z\n    y = x",
    "Raise": "if False:\n        raise ValueError('no')\n    y = x",
    "Import": "import math\n    y = x",
    "ImportFrom": "from math import pi\n    y = x",
    "NamedExpr": "y = (z := x) * 2.0",
    "Match": "match 1:\n        case 1:\n            y = x",
    "SetComp": "s = {i for i in range(3)}\n    y = x",
    "Set": "s = {1, 2}\n    y = x",
    "AsyncFunctionDef": "async def inner():\n        pass\n    y = x",
    "star-arguments in a lambda": "f = lambda *a: a[0]\n    y = f(x)",
    "star-arguments in a call": "y = np.add(*x)",
    "a dict built inside the function": "d = {'a': x}\n    y = d['a']",
    "assignment to the loop variable": "y = x\n    for i in range(3):\n        i = i + 1\n        y = y * 2.0",
    "a call of a value computed inside the function": "fs = [np.sin]\n    y = fs[0](x)",
    "the else clause of a loop": "for i in range(2):\n        pass\n    else:\n        pass\n    y = x",
    "an in-place write another name for the memory reads afterwards": "v = x[0:1]\n    x *= 2.0\n    y = v * x",
    "a differentiable value passed by keyword": "y = np.dot(x, b=x)",
}


def _shown(snippet):
    """The example's telling line (the construct), not the filler around it."""
    lines = [part.strip() for part in snippet.split("\n")]
    for keyword in ("nonlocal", "del ", "raise", "i = i", "{", "*", ":=", "fs[0]", "else"):
        for line in lines:
            if keyword in line:
                return line
    return lines[0]


def _message_for(snippet):
    source = f"def user_fn(x):\n    {snippet}\n    return np.sum(y * y)\n"
    namespace = {"np": np}
    try:
        exec(compile(source, "user.py", "exec"), namespace)
    except SyntaxError:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            srcgrad.grad(namespace["user_fn"], source=source)(np.ones(2))
    except Exception as e:
        first = str(e).splitlines()[0]
        if ": " in first and first.startswith(("user.py", "<")):
            first = first.split(": ", 1)[1]
        return f"{type(e).__name__}: {first}"
    return "accepted"


def render_syntax():
    lines = []
    try:
        from srcgrad.compiler import fence
    except Exception as e:  # the compiler is not importable: say so, the section stays marked
        return (
            "<!-- The compiler (srcgrad.compiler) is not importable yet; rerun tools/gen_supported.py when it "
            f"is. ({type(e).__name__}) -->"
        )
    doc = ROOT / "docs" / "compiler.md"
    if doc.exists():
        text = doc.read_text()
        start = text.find("## The supported subset")
        end = text.find("Rejected with", start)
        if start >= 0 and end > start:
            body = text[start:end].split("\n", 1)[1].strip()
            lines += ["### Supported (from docs/compiler.md)", "", body, ""]
    lines += [
        "### Rejected, with what the user gets",
        "",
        "Each row is the compiler's own answer to a one-line example, so the message is the real one "
        "(the file and line of the user's code come first in the real message).",
        "",
        "| construct | example | error |",
        "|---|---|---|",
    ]
    kinds = {cls.__name__: kind for cls, kind in fence.UNSUPPORTED.items()}
    kinds.setdefault("TryStar", "try/except*")  # Python 3.11's syntax: listed alike when generated on 3.10
    for key, snippet in REJECTED_EXAMPLES.items():
        message = _message_for(snippet) if hasattr(srcgrad, "grad") else "not built"
        if message is None or message == "accepted":  # no longer rejected: nothing to list
            continue
        example = "`" + _shown(snippet).replace("|", "\\|") + "`"
        lines.append(f"| {kinds.get(key, key)} | {example} | {message.replace('|', '/')} |")
    for name, kind in sorted(kinds.items()):
        if name not in REJECTED_EXAMPLES:  # await, async for/with, try/except*: only inside async code
            lines.append(f"| {kind} | — | TransformError (rejected by the fence) |")
    return "\n".join(lines)


# ------------------------------------------------------------------ aliases


def alias_samples():
    """The first sample of each alias in ``tests/test_rules_semantics.py``'s ``ALIAS_CALLS``: fn -> (args, kwargs)."""
    sys.path.insert(0, str(ROOT / "tests"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import test_rules_semantics
    found = {}
    for fn, args, kwargs in test_rules_semantics.ALIAS_CALLS:
        found.setdefault(fn, (args, kwargs))
    return found


class AliasProbe:
    """``probe(a0, a1, ..., w0, ...) = sum_k np.sum(Re(out_k) * w_k)`` of one alias call, as source text: each float
    array (also inside a list argument) is a parameter, everything else a constant of the probe's namespace."""

    def __init__(self, fn, args, kwargs, rng):
        self.namespace = {"np": np, "fn": fn}
        self.values, self.wrt = [], []
        pieces = [self._arg(a) for a in args]
        for k, (key, value) in enumerate(kwargs.items()):
            self.namespace[f"kw{k}"] = value
            pieces.append(f"{key}=kw{k}")
        out = fn(*args, **kwargs)
        outs = tuple(out) if isinstance(out, (list, tuple)) else (out,)
        self.weights = tuple(rng.normal(size=np.shape(o)) for o in outs)
        params = [f"a{i}" for i in range(len(self.values))] + [f"w{k}" for k in range(len(outs))]
        call = f"fn({', '.join(pieces)})"
        if isinstance(out, (list, tuple)):
            names = ", ".join(f"o{k}" for k in range(len(outs))) + ("," if len(outs) == 1 else "")
            body = [
                f"    {names} = {call}",
                "    return " + " + ".join(f"np.sum(np.real(o{k}) * w{k})" for k in range(len(outs))),
            ]
        else:
            body = [f"    return np.sum(np.real({call}) * w0)"]
        self.source = f"def probe({', '.join(params)}):\n" + "\n".join(body) + "\n"
        exec(compile(self.source, "<probe>", "exec"), self.namespace)
        self.fn = self.namespace["probe"]
        self.full_args = tuple(self.values) + self.weights
        self.direction = {i: rng.normal(size=np.shape(self.values[i])) for i in self.wrt}

    def _arg(self, a):
        if isinstance(a, list):
            return "[" + ", ".join(self._arg(b) for b in a) + "]"
        if isinstance(a, np.ndarray) and a.dtype.kind == "f" and a.ndim:
            self.wrt.append(len(self.values))
            self.values.append(a + 0.125)  # (off the integers: away from ties and kinks)
            return f"a{len(self.values) - 1}"
        name = f"c{len(self.namespace)}"
        self.namespace[name] = a
        return name

    numeric_directional = Probe.numeric_directional
    moved = Probe.moved
    dot = Probe.dot


def alias_rows():
    from srcgrad.rules import ALIASES

    samples = alias_samples()
    rng = np.random.default_rng(0)
    rows = []
    for fn in ALIASES:
        if fn not in samples:
            rows.append((qualname(fn), "no sample", "no sample"))
            continue
        args, kwargs = samples[fn]
        out = fn(*args, **kwargs)
        if any(
            np.asarray(o).dtype not in (np.float64, np.complex128)
            for o in (out if isinstance(out, (list, tuple)) else (out,))
        ):
            continue  # booleans (comparisons) or a narrower float (astype): no float64 finite differences
        probe = AliasProbe(fn, args, kwargs, rng)
        if not probe.wrt:
            continue
        if fn is operator.floordiv:
            rows.append((qualname(fn), "zero", "zero"))
            continue
        static = _verdict(lambda: check_static(probe))
        dynamic = _verdict(lambda: check_dynamic(probe))
        rows.append((qualname(fn), static, dynamic))
    return sorted(set(rows))


def render_aliases():
    out = ["| function | static (`grad`) | dynamic (Tensor) |", "|---|---|---|"]
    out += [f"| `{name}` | {static} | {dynamic} |" for name, static, dynamic in alias_rows()]
    return "\n".join(out)


ALIASES_INTRO = """Functions rewritten into primitives by the rule table's aliases (`defalias`), checked the same way on
the first sample of `tests/test_rules_semantics.py`'s `ALIAS_CALLS` (each float array argument, also inside a
list, differentiated). Dynamic mode calls the adaptor; the compiler reads it as it reads your own functions,
or handles the function itself (`np.concatenate`, `np.einsum`, `np.split`, ...)."""


# ------------------------------------------------------------------ the document

HEADER = """# What srcgrad supports

<!-- Generated by tools/gen_supported.py; do not edit by hand. Regenerate with
     `python tools/gen_supported.py` (tests/test_supported_doc.py fails when this file is stale). -->

Every cell below was checked when this file was generated, not assumed: for
each primitive of the rule table the generator takes its first sample input
from `tests/test_rules.py`, builds `np.sum(prim(...) * w)`, and compares the
derivative each mode gives along a random direction with central finite
differences in float64. (The shape arithmetic of generated code and rule bodies,
which `srcgrad/rules/generated.py` makes non-differentiable so that a gradient
can be differentiated again, is not listed.)

* **VJP / JVP**: the rule table has reverse / forward rules for the primitive
  (`yes, checked through srcgrad.jvp` when forward mode reproduced the finite
  difference; otherwise what `srcgrad.jvp` raised or `wrong`).
* **static**: `srcgrad.grad` of the probe function.
* **dynamic**: the probe function on Tensors, `.backward()`.
* **second order**: a Hessian-vector product in dynamic mode
  (`create_graph=True`) against finite differences of the first derivative.
  Static mode's second and third derivatives (`grad(grad(f))`, `hvp`, `hessian`)
  are checked over the corpus in `tests/test_compiler_higher.py` and
  `tests/test_compiler_third_order_corpus.py` (docs/compiler.md, "Higher order").
* **complex**: `yes` when the rule is verified for complex values (PyTorch's
  convention) and its VJP and JVP matched finite differences on the real and
  imaginary parts of the first complex sample of `tests/test_rules_complex.py`;
  `refused` when it is not verified: both modes raise rather than use it on a
  complex value (docs/autograd.md, "Complex numbers").

`yes` means the check agreed; `wrong` means it ran and disagreed (a bug);
any other word is the exception a user gets. The `math` functions are not
recorded by the tape (a Tensor becomes a Python float), hence their dynamic
column: use the numpy function in code that runs on Tensors.
"""


def render():
    summary, table = render_primitives()
    parts = [
        HEADER,
        "## Primitives",
        "",
        summary,
        "",
        table,
        "",
        "## Aliases",
        "",
        ALIASES_INTRO,
        "",
        render_aliases(),
        "",
        "## Compiler syntax",
        "",
        render_syntax(),
        "",
    ]
    return "\n".join(parts)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/supported.md is stale")
    parser.add_argument("--print", action="store_true", help="write the document to stdout instead")
    opts = parser.parse_args(argv)
    text = render()
    if opts.print:
        sys.stdout.write(text)
        return 0
    if opts.check:
        if not DOC.exists() or DOC.read_text() != text:
            print("docs/supported.md is stale: run python tools/gen_supported.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text)
    print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
