"""Shrink a finding to a small program that still shows it, and write it as a standalone repro.

Shrinking repeats, until nothing changes or the time budget is spent: drop a
term of the final ``return``, drop a statement (innermost and last first),
replace a compound statement by its first block, drop a module item or closure
constant, stop differentiating an argument, and replace a sub-expression by
one of its operands. A change is kept when the program still runs (finite
real value) and the same mode still gives the same kind of finding (for a crash
or a bad message, the same error type at the same place; for a wrong gradient,
not one that became non-finite or of a function that became constant: those are
points where nothing is differentiable, which cutting pieces out easily makes).
"""

import ast
import copy
import os
import time

import numpy as np

from .oracle import NotJudged, judge_mode, prepare
from .program import Stmt


def same_finding(verdict, want):
    if verdict.status != want.status:
        return False
    return want.status == "wrong" or verdict.key == want.key


def constant(loaded):
    """Do finite differences say the function does not depend on its differentiated arguments at all?"""
    return all(not np.any(g) for g in loaded.fd.values())


def non_finite(verdict):
    return any(word in verdict.detail for word in ("nan", "inf"))


class Shrinker:
    """Shrinks one finding.

    Args:
        program: the program that showed it.
        verdict: the finding (its mode, status and key).
        directory: where candidate programs are written.
        budget: seconds to spend at most.
    """

    def __init__(self, program, verdict, directory, budget=60.0):
        self.best, self.want, self.directory = program, verdict, directory
        self.deadline = time.monotonic() + budget
        self.trials = 0
        self.was_constant = False
        if verdict.status == "wrong":
            try:
                self.was_constant = constant(prepare(program, directory))
            except NotJudged:
                pass

    def holds(self, candidate):
        if candidate is None or time.monotonic() > self.deadline:
            return False
        self.trials += 1
        try:
            # a crash or a message needs no finite differences; a candidate must not outlive the budget
            limit = max(1.0, min(10.0, self.deadline - time.monotonic()))
            loaded = prepare(candidate, self.directory, fd=self.want.status == "wrong", time_limit=limit)
        except NotJudged:
            return False
        verdict, _ = judge_mode(loaded, self.want.mode, limit)
        if not same_finding(verdict, self.want):
            return False
        if verdict.status == "wrong" and (
            (constant(loaded) and not self.was_constant) or (non_finite(verdict) and not non_finite(self.want))
        ):
            # shrinking drifted onto a point no mode can differentiate (std of one element, x - x under a
            # square root): a different finding, and not a bug
            return False
        self.verdict = verdict
        return True

    def accept(self, candidate):
        if self.holds(candidate):
            self.best = candidate
            return True
        return False

    def run(self):
        self.verdict = self.want
        changed = True
        while changed and time.monotonic() < self.deadline:
            changed = False
            changed |= self.returns()
            changed |= self.statements()
            changed |= self.items()
            changed |= self.wrt()
            changed |= self.expressions()
        return self.best, self.verdict

    def returns(self):
        changed = False
        terms = split_terms(self.best.returns)
        i = 0
        while len(terms) > 1 and i < len(terms):
            c = self.best.copy()
            c.returns = terms[:i] + terms[i + 1 :]
            if self.accept(c):
                terms, changed = c.returns, True
            else:
                i += 1
        if len(terms) != len(self.best.returns):
            self.best.returns = terms
        return changed

    def statements(self):
        changed = False
        paths = self.best.statement_paths()
        # whole top-level statements first (cheap big steps), then the nested ones; the last first
        for path in sorted(paths, key=lambda p: (len(p), [-i for i in p])):
            try:
                if self.accept(self.best.without(path)):
                    changed = True
                    continue
                if self.accept(self.best.unwrapped(path)):
                    changed = True
            except (IndexError, AttributeError):
                continue  # the path moved with an earlier change
        return changed

    def items(self):
        changed = False
        for i in reversed(range(len(self.best.items))):
            c = self.best.copy()
            del c.items[i]
            changed |= self.accept(c)
        if self.best.closure:
            for i in reversed(range(len(self.best.closure))):
                c = self.best.copy()
                del c.closure[i]
                c.closure = c.closure or None
                changed |= self.accept(c)
        return changed

    def wrt(self):
        changed = False
        for i in self.best.wrt:
            if len(self.best.wrt) == 1:
                break
            c = self.best.copy()
            c.params[i].diff = False
            changed |= self.accept(c)
        return changed

    def expressions(self):
        """Replace a call or operation by one of its operands, in every simple statement and the return."""
        changed = False
        for path in self.best.statement_paths():
            try:
                stmt = self.best._container(path)[path[-1]]
            except (IndexError, AttributeError):
                continue
            if stmt.blocks or len(stmt.lines) != 1:
                continue
            for text in simpler(stmt.lines[0]):
                c = self.best.copy()
                c._container(path)[path[-1]] = Stmt([text])
                if self.accept(c):
                    changed = True
                    break
        for k, term in enumerate(self.best.returns):
            for text in simpler(term, expression=True):
                c = self.best.copy()
                c.returns[k] = text
                if self.accept(c):
                    changed = True
                    break
        return changed


def split_terms(returns):
    """The final return's terms (the generator joins them with ``+``)."""
    out = []
    for r in returns:
        try:
            node = ast.parse(r, mode="eval").body
        except SyntaxError:
            out.append(r)
            continue
        stack = [node]
        terms = []
        while stack:
            n = stack.pop()
            if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add):
                stack += [n.right, n.left]
            else:
                terms.append(ast.unparse(n))
        out += terms
    return out


def simpler(text, expression=False):
    """Versions of one line with a sub-expression replaced by one of its operands (largest first)."""
    try:
        tree = ast.parse(text, mode="eval" if expression else "exec")
    except SyntaxError:
        return []
    nodes = [n for n in ast.walk(tree) if isinstance(n, (ast.Call, ast.BinOp, ast.UnaryOp, ast.Subscript, ast.IfExp))]
    out = []
    for n in nodes:
        if isinstance(n, ast.Call):
            children = [a for a in n.args if not isinstance(a, (ast.Constant, ast.Starred))]
            if isinstance(n.func, ast.Attribute) and not (
                isinstance(n.func.value, ast.Name) and n.func.value.id in ("np", "math")
            ):
                children.append(n.func.value)
        elif isinstance(n, ast.BinOp):
            children = [n.left, n.right]
        elif isinstance(n, ast.UnaryOp):
            children = [n.operand]
        elif isinstance(n, ast.IfExp):
            children = [n.body, n.orelse]
        else:
            children = [n.value]
        for child in children:
            out.append(_replace(tree, n, child))
    return [t for t in dict.fromkeys(out) if t and t != text]


def _replace(tree, old, new):
    """The text of ``tree`` with node ``old`` replaced by node ``new`` (a copy; ``tree`` is unchanged)."""
    t = copy.deepcopy(tree)
    twin = dict(zip(map(id, ast.walk(tree)), ast.walk(t)))  # the same walk order in the copy
    target, replacement = twin[id(old)], twin[id(new)]

    class Swap(ast.NodeTransformer):
        def visit(self, node):
            return replacement if node is target else super().visit(node)

    try:
        return ast.unparse(Swap().visit(t))
    except Exception:  # noqa: BLE001 - a replacement that does not print is just not a candidate
        return None


# ---------------------------------------------------------------------- the repro file

RUN = {
    "grad": "got = srcgrad.grad(f, wrt={wrt}, optimize=True)(*ARGS)",
    "grad-noopt": "got = srcgrad.grad(f, wrt={wrt}, optimize=False)(*ARGS)",
    "jvp": "value, got = srcgrad.jvp(f, wrt={wrt1})(*ARGS, {tangent})",
    "dynamic": (
        "tensors = [srcgrad.tensor(np.asarray(a), requires_grad=True) if i in WRT else a\n"
        "           for i, a in enumerate(ARGS)]\n"
        "out = f(*tensors)\n"
        "out.backward()\n"
        "got = [tensors[i].grad for i in WRT]"
    ),
    "ckpt": "got = srcgrad.grad(f, wrt={wrt}, checkpoint=True)(*ARGS)",
    "ckpt-2": "got = srcgrad.grad(f, wrt={wrt}, checkpoint=2)(*ARGS)",
}
# the second-order modes: H v of argument I along V (see order2)
RUN2 = {
    "hvp": "got = srcgrad.hvp(f, wrt=I)(*ARGS, V)",
    "hessian": "got = np.tensordot(srcgrad.hessian(f, wrt=I)(*ARGS), V, axes=np.ndim(V))",
    "grad2": "got = srcgrad.grad(srcgrad.grad(f, wrt=I), wrt=I)(*ARGS, dout=V)",
    "jac-grad": "got = np.tensordot(srcgrad.jacobian(srcgrad.grad(f, wrt=I), wrt=I)(*ARGS), V, axes=np.ndim(V))",
    "dyn-hvp": (
        "from srcgrad.autograd import functional  # noqa: E402\n"
        "got = functional.hvp(lambda t: f(*ARGS[:I], t, *ARGS[I + 1:]), srcgrad.tensor(np.asarray(ARGS[I])),\n"
        "                     srcgrad.tensor(np.asarray(V)))[1]"
    ),
    "dyn-hessian": (
        "from srcgrad.autograd import functional  # noqa: E402\n"
        "H = functional.hessian(lambda t: f(*ARGS[:I], t, *ARGS[I + 1:]), srcgrad.tensor(np.asarray(ARGS[I])))\n"
        "got = np.tensordot(H.numpy(), V, axes=np.ndim(V))"
    ),
}


def order2_tail(program, mode):
    """The lines of a second-order repro after ``ARGS``: the direction, second differences, the mode's call."""
    from .order2 import direction, order2_argument

    i = order2_argument(program)
    v = direction(program, i)
    return [
        f"I = {i}",
        f"V = {v!r}" if isinstance(v, float) else f"V = np.array({v.tolist()!r})",
        "",
        "",
        "def second_differences(h=1e-4):",
        "    # (H v)_k = [f(x + h e_k + h v) - f(x + h e_k - h v) - f(x - h e_k + h v) + f(x - h e_k - h v)] / 4h^2",
        "    def at(x):",
        "        return f(*ARGS[:I], x, *ARGS[I + 1:])",
        "",
        "    x0 = ARGS[I]",
        "    if isinstance(x0, float):",
        "        c = [at(x0 + a * h + b * h * V) for a, b in ((1, 1), (1, -1), (-1, 1), (-1, -1))]",
        "        return (c[0] - c[1] - c[2] + c[3]) / (4 * h * h)",
        "    out = np.zeros(np.shape(x0))",
        "    for k in np.ndindex(out.shape):",
        "        c = []",
        "        for a, b in ((1, 1), (1, -1), (-1, 1), (-1, -1)):",
        "            x = np.array(np.asarray(x0, dtype=float) + b * h * V)",
        "            x[k] += a * h",
        "            c.append(at(x))",
        "        out[k] = (c[0] - c[1] - c[2] + c[3]) / (4 * h * h)",
        "    return out",
        "",
        "",
        "expected = second_differences()",
        *RUN2[mode].splitlines(),
        "print('expected:', expected)",
        "print('got:     ', got)",
        "",
    ]


# the third-order modes: T(v, w, .) of argument I (see order3); H and K are written in the repro itself
RUN3 = {
    "grad3": (
        "DF = srcgrad.grad(f, wrt=I)\n\n\ndef h(PARAMS):\n    return np.sum(DF(PARAMS) * V)\n\n\n"
        "DH = srcgrad.grad(h, wrt=I)\n\n\ndef k(PARAMS):\n    return np.sum(DH(PARAMS) * W)\n\n\n"
        "got = srcgrad.grad(k, wrt=I)(*ARGS)"
    ),
    "hvp-grad": (
        "DF = srcgrad.grad(f, wrt=I)\n\n\ndef h(PARAMS):\n    return np.sum(DF(PARAMS) * V)\n\n\n"
        "got = srcgrad.hvp(h, wrt=I)(*ARGS, W)"
    ),
    "jac-grad2": (
        "DF = srcgrad.grad(f, wrt=I)\n\n\ndef h(PARAMS):\n    return np.sum(DF(PARAMS) * V)\n\n\n"
        "got = np.tensordot(srcgrad.jacobian(srcgrad.grad(h, wrt=I), wrt=I)(*ARGS), W, axes=np.ndim(W))"
    ),
    "dyn3": (
        "x = srcgrad.tensor(np.asarray(ARGS[I]), requires_grad=True)\n"
        "(g1,) = srcgrad.autograd.grad(f(*ARGS[:I], x, *ARGS[I + 1:]), x, create_graph=True)\n"
        "(g2,) = srcgrad.autograd.grad((g1 * srcgrad.tensor(np.asarray(V))).sum(), x, create_graph=True)\n"
        "(got,) = srcgrad.autograd.grad((g2 * srcgrad.tensor(np.asarray(W))).sum(), x)"
    ),
}


def order3_tail(program, mode):
    """The lines of a third-order repro after ``ARGS``: the directions, third differences, the mode's call."""
    from .order2 import direction, order2_argument
    from .order3 import second_direction

    i = order2_argument(program)
    v, w = direction(program, i), second_direction(program, i)
    lit = lambda a: repr(a) if isinstance(a, float) else f"np.array({a.tolist()!r})"
    return [
        f"I = {i}",
        f"V = {lit(v)}",
        f"W = {lit(w)}",
        "",
        "",
        "def third_differences(h=4e-3):",
        "    # T(v, w, e_k) = sum over signs a, b, c of a b c f(x + h (a e_k + b v + c w)) / 8 h^3, at h and h / 2,",
        "    # extrapolated: (4 T(h / 2) - T(h)) / 3",
        "    x0 = np.asarray(ARGS[I], dtype=float)",
        "",
        "    def at_step(h):",
        "        out = np.zeros(x0.shape)",
        "        for k in np.ndindex(out.shape):",
        "            for a in (1, -1):",
        "                for b in (1, -1):",
        "                    for c in (1, -1):",
        "                        x = np.array(x0 + h * (b * V + c * W))",
        "                        x[k] += a * h",
        "                        x = float(x) if isinstance(ARGS[I], float) else x",
        "                        out[k] += a * b * c * f(*ARGS[:I], x, *ARGS[I + 1:]) / (8 * h**3)",
        "        return out",
        "",
        "    return (4 * at_step(h / 2) - at_step(h)) / 3",
        "",
        "",
        "expected = third_differences()",
        *RUN3[mode].replace("PARAMS", ", ".join(p.name for p in program.params)).splitlines(),
        "print('expected:', expected)",
        "print('got:     ', got)",
        "",
    ]


def respec_tail(verdict, program):
    """The lines of a ``respec`` repro after the finite differences: the gradient made and called once, the
    changes of the data up to the one after which it is wrong, and the gradient called again."""
    import re

    found = re.match(r"after change (\d+)", verdict.detail)
    changes = program.changes[: int(found.group(1))] if found else program.changes
    lines = ["df = srcgrad.grad(f, wrt=WRT)", "df(*ARGS)  # specialised on the data as it is", ""]
    lines += [line for change in changes for line in change.splitlines()]
    return lines + ["", "expected = [finite_differences(i) for i in WRT]", "got = df(*ARGS)"]


def repro_text(program, verdict, origin):
    """A standalone script: the program, its arguments, and the call that shows the finding."""
    wrt = program.wrt
    lines = [
        f'"""srcgrad fuzz finding: {verdict.mode} mode, {verdict.status}.',
        "",
        f"{verdict.detail}",
        "",
        f"Found by {origin}; shrunk. Run this file: it prints what the mode gives and what central",
        'finite differences give (complex arguments: d/dRe + i d/dIm)."""',
        "",
    ]
    lines.append(program.source().rstrip("\n"))
    lines += [
        "",
        "",
        "import srcgrad  # noqa: E402",
        "",
        "ARGS = (" + ", ".join(p.literal() for p in program.params) + ("," if len(program.params) == 1 else "") + ")",
        f"WRT = {wrt!r}",
    ]
    if verdict.mode in RUN2:
        return "\n".join(lines + order2_tail(program, verdict.mode))
    if verdict.mode in RUN3:
        return "\n".join(lines + order3_tail(program, verdict.mode))
    lines += [
        "",
        "",
        "def finite_differences(i, eps=1e-6):",
        "    base = ARGS[i]",
        "    if isinstance(base, float):",
        "        return (f(*ARGS[:i], base + eps, *ARGS[i + 1:]) - f(*ARGS[:i], base - eps, *ARGS[i + 1:])) / (2 * eps)",
        "    g = np.zeros(base.shape, dtype=base.dtype)",
        "    for k in np.ndindex(base.shape):",
        "        for d in ((1.0, 1j) if np.iscomplexobj(base) else (1.0,)):",
        "            plus, minus = base.copy(), base.copy()",
        "            plus[k] += eps * d",
        "            minus[k] -= eps * d",
        "            args_p, args_m = list(ARGS), list(ARGS)",
        "            args_p[i], args_m[i] = plus, minus",
        "            g[k] += d * (f(*args_p) - f(*args_m)) / (2 * eps)",
        "    return g",
        "",
        "",
    ]
    if verdict.mode == "respec":
        lines += respec_tail(verdict, program)
        return "\n".join(lines + ["print('expected:', expected)", "print('got:     ', got)", ""])
    lines.append("expected = [finite_differences(i) for i in WRT]")
    if verdict.mode == "jvp":
        lines += [
            "rng = np.random.default_rng(7)",
            "TANGENTS = [rng.normal() if isinstance(ARGS[i], float) else rng.normal(size=np.shape(ARGS[i]))",
            "            + (1j * rng.normal(size=np.shape(ARGS[i])) if np.iscomplexobj(ARGS[i]) else 0)",
            "            for i in WRT]",
            "expected = sum(np.sum(np.real(np.conj(e) * t)) for e, t in zip(expected, TANGENTS))",
        ]
    lines += (
        RUN[verdict.mode]
        .format(
            wrt=repr(wrt),
            wrt1=repr(wrt[0] if len(wrt) == 1 else wrt),
            tangent="TANGENTS[0]" if len(wrt) == 1 else "tuple(TANGENTS)",
        )
        .splitlines()
    )
    lines += ["print('expected:', expected)", "print('got:     ', got)", ""]
    return "\n".join(lines)


def write_repro(program, verdict, origin, directory, stem):
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, stem + ".py")
    with open(path, "w") as fh:
        fh.write(repro_text(program, verdict, origin))
    return path


def token_set(program):
    """The calls, attributes and statement kinds of a program: findings with the same set are the same."""
    tree = ast.parse(program.source())
    out = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Attribute):
            out.add("." + n.attr)
        elif isinstance(
            n,
            (
                ast.For,
                ast.While,
                ast.If,
                ast.AugAssign,
                ast.Return,
                ast.ListComp,
                ast.GeneratorExp,
                ast.Dict,
                ast.List,
                ast.Tuple,
                ast.Lambda,
                ast.FunctionDef,
                ast.IfExp,
            ),
        ):
            out.add(type(n).__name__)
        elif isinstance(n, ast.Subscript):
            out.add("Subscript" + ("-store" if isinstance(n.ctx, ast.Store) else ""))
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name):
            out.add(n.func.id + "()")
        elif isinstance(n, ast.Constant) and isinstance(n.value, complex):
            out.add("complex")
    return frozenset(out)
