"""Third-order modes: the gradient of ``<w, H v>``, every way srcgrad offers one.

For the first real differentiated argument ``x`` and two fixed random directions ``v`` and ``w`` of its shape,
each mode computes ``T(v, w, .)``: the third derivative of ``f`` with respect to ``x`` (the other arguments
held), contracted with ``v`` and ``w``; that is, the gradient of ``h3(x) = <w, grad <v, grad f>>``:

* ``grad3``: ``srcgrad.grad`` of ``k(x) = sum(grad(h)(x) * w)`` where ``h(x) = sum(grad(f)(x) * v)``: three
  reverse transformations, each of a function that calls the gradient before it (static);
* ``hvp-grad``: ``srcgrad.hvp(h)(x, w)``: forward over reverse of ``h``, which calls ``grad(f)`` (static);
* ``jac-grad2``: ``srcgrad.jacobian(srcgrad.grad(h))(x)`` contracted with ``w`` (static);
* ``dyn3``: the tape with ``create_graph=True`` twice (``srcgrad.autograd.grad``).

``h`` and ``k`` are written to a module file of their own (the compiler reads source), holding the gradient
they call and the direction in module globals.

The oracle shares no code with srcgrad: third central differences of ``f`` itself,
``T(v, w, e_k) = sum_{a,b,c = +-1} a b c f(x + h (a e_k + b v + c w)) / 8 h^3``, trusted where two other step
sizes agree with it, ``h`` and ``h / 2`` extrapolated to cancel the error in ``h^2``.
"""

import importlib.util
import os

import numpy as np

import srcgrad

from .order2 import direction, order2_argument
from .program import unique_stem

ORDER3_MODES = ("grad3", "hvp-grad", "jac-grad2", "dyn3")
H3 = 4e-3
CHECK_H3 = (8e-3, 2e-3)
RTOL3 = 5e-3


def second_direction(program, i):
    """The direction ``w`` (fixed per program, independent of ``v``)."""
    value = program.params[i].value
    rng = np.random.default_rng(13)
    if isinstance(value, float):
        return float(rng.normal())
    return rng.normal(size=value.shape).astype(value.dtype)


def fd_third(loaded, i, v, w, h=H3):
    """``T(v, w, .)`` by third central differences of the plain function (float64), at steps ``h`` and ``h / 2``
    extrapolated (Richardson: ``(4 T(h/2) - T(h)) / 3`` cancels the error in ``h^2``, large where the function
    curves on a scale near the step, as ``hypot`` near 0 does)."""
    return (4 * third_at(loaded, i, v, w, h / 2) - third_at(loaded, i, v, w, h)) / 3


def third_at(loaded, i, v, w, h):
    """``T(v, w, .)`` by third central differences at one step ``h``."""
    from .oracle import _at

    base = loaded.program.params[i].value
    signs = [(a, b, c) for a in (1, -1) for b in (1, -1) for c in (1, -1)]
    if isinstance(base, float):
        return sum(a * b * c * _at(loaded, i, base + h * (a + b * v + c * w)) for a, b, c in signs) / (8 * h**3)
    base = base.astype(np.float64)
    v, w = np.asarray(v, dtype=np.float64), np.asarray(w, dtype=np.float64)
    out = np.zeros(base.shape)
    for k in np.ndindex(base.shape):
        total = 0.0
        for a, b, c in signs:
            x = np.array(base + h * (b * v + c * w))
            x[k] += a * h
            total += a * b * c * _at(loaded, i, x)
        out[k] = total / (8 * h**3)
    return out


def expected(loaded):
    """``(i, v, w, fd T(v, w, .))`` of a prepared program, computed once; ``None`` when no argument is real."""
    if getattr(loaded, "order3", None) is None:
        i = order2_argument(loaded.program)
        if i is None:
            loaded.order3 = ()
        else:
            v, w = direction(loaded.program, i), second_direction(loaded.program, i)
            loaded.order3 = (i, v, w, fd_third(loaded, i, v, w))
    return loaded.order3 or None


def fd3_stable(loaded, i, v, w, want, atol, rtol=RTOL3):
    """Do third differences at the other steps agree with ``want`` (no kink or branch nearby)?"""
    for h in CHECK_H3:
        other = fd_third(loaded, i, v, w, h)
        if not np.all(np.abs(np.asarray(other) - want) <= 10 * (atol + rtol * np.abs(want))):
            return False
    return True


def wrapper_module(loaded, i, df, v):
    """A module of its own holding ``h(args) = sum(df(args) * V)``; its function ``h``."""
    from .oracle import identifiers_of

    n = len(loaded.program.params)
    params = ", ".join(f"a{k}" for k in range(n))
    text = f"import numpy as np\n\n\ndef h({params}):\n    return np.sum(DF({params}) * V)\n"
    directory = os.path.dirname(loaded.path)
    stem = unique_stem(loaded.program.name + "_h")
    path = os.path.join(directory, stem + ".py")
    with open(path, "w") as fh:
        fh.write(text)
    loaded.wrappers = tuple(loaded.wrappers) + (path,)
    loaded.identifiers = loaded.identifiers | identifiers_of(text)
    spec = importlib.util.spec_from_file_location(stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.DF, module.V = df, v
    return module.h


def tape_grad(out, x, create_graph):
    """The gradient of ``out`` with respect to ``x`` on the tape; zeros where ``out`` does not depend on ``x``
    (a number, or a Tensor outside the graph: a derivative that is constant), so finite differences judge it (a
    graph dropped where the function does depend on ``x`` is then a wrong answer, not a refusal)."""
    if isinstance(out, srcgrad.Tensor) and out.requires_grad:
        (g,) = srcgrad.autograd.grad(out, x, create_graph=create_graph, allow_unused=True)
        if g is not None:
            return g
    return srcgrad.zeros(x.shape, dtype=x.dtype)


def run_order3(loaded, mode, i, v, w):
    """``T(v, w, .)`` as ``mode`` computes it (an ndarray, or a float for a float argument)."""
    from .order2 import contract

    program = loaded.program
    fn, args = loaded.fn, program.args()
    if mode == "dyn3":
        x = srcgrad.tensor(np.asarray(args[i]), requires_grad=True)
        call = list(args)
        call[i] = x
        first = tape_grad(fn(*call), x, True)
        second = tape_grad((first * srcgrad.tensor(np.asarray(v))).sum(), x, True)
        out = tape_grad((second * srcgrad.tensor(np.asarray(w))).sum(), x, False).detach().numpy()
        return float(out) if isinstance(args[i], float) else out
    h = wrapper_module(loaded, i, srcgrad.grad(fn, wrt=i), v)
    if mode == "hvp-grad":
        out = srcgrad.hvp(h, wrt=i)(*args, w)
    elif mode == "jac-grad2":
        out = contract(srcgrad.jacobian(srcgrad.grad(h, wrt=i), wrt=i)(*args), w)
    else:
        k = wrapper_module(loaded, i, srcgrad.grad(h, wrt=i), w)
        out = srcgrad.grad(k, wrt=i)(*args)
    if isinstance(out, srcgrad.Tensor):
        out = out.detach().numpy()
    return out


def judge_order3(loaded, mode, time_limit=30.0):
    """A third-order mode's verdict and the product ``{"t3": T(v, w, .)}`` it gave, if it passed."""
    import warnings

    from .oracle import ATOL, LOOSE, NotJudged, Timeout, Verdict, classify, disagreement, scale_of, timeout

    try:
        with timeout(time_limit):
            expect = expected(loaded)
    except (Timeout, NotJudged):
        return Verdict(mode, "skipped", "third differences did not finish"), None
    if expect is None:
        return Verdict(mode, "skipped", "no real argument"), None
    i, v, w, want = expect
    try:
        with timeout(time_limit), np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = run_order3(loaded, mode, i, v, w)
    except Exception as exc:  # noqa: BLE001 - every exception is judged
        return classify(mode, exc, loaded), None
    scale = max(scale_of(loaded), float(np.max(np.abs(want), initial=0.0)))
    loose = LOOSE if loaded.twin is not None else 1.0
    atol = 30 * ATOL * scale * loose
    if np.shape(got) != np.shape(want) or np.iscomplexobj(got):
        detail = f"T(v, w) of argument {i} has shape {np.shape(got)} and dtype {np.asarray(got).dtype}"
        return Verdict(mode, "wrong", detail, "result"), None
    problem = disagreement({i: got}, {i: want}, RTOL3 * loose, atol)
    if problem is None:
        return Verdict(mode, "pass"), {"t3": np.asarray(got, dtype=np.float64)}
    if not np.all(np.isfinite(got)):
        return Verdict(mode, "skipped", "non-finite gradient"), None
    try:
        with timeout(time_limit):
            stable = fd3_stable(loaded, i, v, w, want, atol, RTOL3 * loose)
    except (Timeout, NotJudged):
        stable = False
    if not stable:
        return Verdict(mode, "skipped", "third differences depend on the step (a kink or branch nearby)"), None
    return Verdict(mode, "wrong", "T(v, w): " + problem, "gradient"), None
