"""Run a program in every mode and judge each answer.

The judge is central finite differences in float64, which share no code with
srcgrad. For an argument ``x`` the expected gradient is ``dL/dx`` element by
element; for a complex argument it is ``dL/dRe z + i dL/dIm z`` (PyTorch's
convention). Each mode gets one verdict:

* ``pass``: the answer agrees with finite differences (and forward mode's value with the plain call);
* ``refused``: a srcgrad error (``SrcgradError``), or an error srcgrad raises on purpose (a ``raise`` line in
  srcgrad), whose message is clean; also numpy's own error raised *from* a srcgrad error (``w[0] = t`` calls
  ``float(t)``, and numpy reports its refusal as the direct cause of "setting an array element with a
  sequence"), judged by that cause, which the traceback shows first;
* ``wrong``: a gradient, tangent or value that disagrees, while finite differences at three step sizes agree
  with each other (so the function is smooth there);
* ``crash``: any other exception: one raised inside generated code, deep inside srcgrad, or by the user's code
  running on Tensors in dynamic mode (a numpy function that stops working); a run over the time limit;
* ``badmsg``: a srcgrad error that does not name the user's file and line (``TransformError``), or names a
  variable that is not in the user's source (a generated name);
* ``skipped``: finite differences disagree with themselves (a kink or a branch nearby) or every mode's
  gradient is non-finite (forward mode's tangent too, where a reverse mode's gradient is: ``settle``).

Programs whose plain call fails or is not a finite real number are not judged at all.
"""

import builtins
import importlib.util
import io
import keyword
import math
import os
import re
import signal
import tokenize
import traceback
import warnings
from dataclasses import dataclass

import numpy as np

import srcgrad
from srcgrad.errors import SrcgradError, TransformError

from . import order2
from .order2 import ORDER2_MODES
from .order3 import ORDER3_MODES
from .program import unique_stem
from .respec import RESPEC_MODES

MODES = ("grad", "grad-noopt", "jvp", "dynamic")  # the default run
CHECKPOINT_MODES = ("ckpt", "ckpt-2")  # srcgrad.grad(checkpoint=True), (checkpoint=2): equal to grad's gradient
ALL_MODES = MODES + CHECKPOINT_MODES + ORDER2_MODES + ORDER3_MODES + RESPEC_MODES
CHECKPOINT = {"grad": False, "grad-noopt": False, "ckpt": True, "ckpt-2": 2}
STATUSES = ("pass", "refused", "wrong", "crash", "badmsg", "skipped")
EPS = 1e-6
CHECK_EPS = (1e-5, 1e-7)  # extra step sizes that decide whether finite differences are trustworthy
RTOL, ATOL = 1e-4, 1e-5
TIGHT = 1e-7  # the modes against each other: both exact up to rounding
SRCGRAD_DIR = os.path.dirname(os.path.abspath(srcgrad.__file__)) + os.sep


class Timeout(Exception):
    """A mode ran longer than the time limit."""


class NotJudged(Exception):
    """The program cannot be judged (its plain call fails or is not a finite real number)."""


@dataclass
class Verdict:
    """One mode's verdict on one program.

    Attributes:
        mode, status: see the module docstring.
        detail: one line saying what happened (the error, or expected vs got).
        key: what makes two findings the same (an error's type and place); empty for ``pass``.
        exercised: the mode used what it exists to test (a checkpointed loop in the generated code).
    """

    mode: str
    status: str
    detail: str = ""
    key: str = ""
    exercised: bool = False


@dataclass
class Loaded:
    """A program written to a file and imported: its function, file, arguments and plain value."""

    program: object
    fn: object
    path: str
    value: float = 0.0
    fd: dict = None  # {parameter index: gradient} by finite differences; None: not computed
    order2: tuple = None  # (argument index, direction, H v by finite differences): see order2.expected
    order3: tuple = None  # (argument index, directions v and w, T(v, w) by finite differences): see order3
    twin: object = None  # for a program using float32: the same function in float64, which finite differences read
    checkpointed: bool = False  # the last static gradient's code checkpointed a loop
    identifiers: frozenset = frozenset()
    wrappers: tuple = ()  # files of the functions a higher-order mode wrote to call the gradient (order3)


def load(program, directory):
    """Write ``program`` to a new file in ``directory`` and import it (the compiler reads the file)."""
    source = program.source()
    fn, path = _import(source, program.name, directory)
    loaded = Loaded(program, fn, path, identifiers=identifiers_of(source))
    if uses_float32(program):
        loaded.twin, _ = _import(source.replace("np.float32", "np.float64"), program.name + "_64", directory)
    return loaded


def _import(source, name, directory):
    stem = unique_stem(name)
    path = os.path.join(directory, stem + ".py")
    with open(path, "w") as fh:
        fh.write(source)
    spec = importlib.util.spec_from_file_location(stem, path)
    module = importlib.util.module_from_spec(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a shrunk candidate may be odd enough for a SyntaxWarning
        spec.loader.exec_module(module)
    return module.f, path


def uses_float32(program):
    """Does the program compute in float32 anywhere (an argument, a cast)? Then finite differences read its
    float64 twin (float32 rounding is larger than their steps), and tolerances are float32's."""
    return "float32" in program.source() or any(
        isinstance(p.value, np.ndarray) and p.value.dtype == np.float32 for p in program.params
    )


def as_float64(value):
    return value.astype(np.float64) if isinstance(value, np.ndarray) and value.dtype == np.float32 else value


LOOSE = 20.0  # tolerances times this for a program computing in float32


def identifiers_of(source):
    """The names of a source text, and the words inside its string literals (dict keys, einsum subscripts)."""
    out = set()
    for t in tokenize.generate_tokens(io.StringIO(source).readline):
        if t.type == tokenize.NAME:
            out.add(t.string)
        elif t.type == tokenize.STRING:
            out.update(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", t.string))
    return frozenset(out)


# ---------------------------------------------------------------------- finite differences


def plain_value(fn, args):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(*args)
    if isinstance(out, srcgrad.Tensor):
        out = out.detach().numpy()
    if np.ndim(out) != 0 or np.iscomplexobj(out):
        raise NotJudged(f"the function returns {type(out).__name__} of shape {np.shape(out)}")
    v = float(out)
    if not math.isfinite(v):
        raise NotJudged("the function's value is not finite")
    return v


def finite_differences(loaded, eps=EPS):
    """``{parameter index: gradient}`` by central differences (complex: ``d/dRe + i d/dIm``)."""
    program = loaded.program
    out = {}
    for i in program.wrt:
        base = as_float64(program.params[i].value)
        if isinstance(base, float):
            out[i] = (_at(loaded, i, base + eps) - _at(loaded, i, base - eps)) / (2 * eps)
            continue
        g = np.zeros(base.shape, dtype=base.dtype)
        directions = (1.0, 1j) if np.iscomplexobj(base) else (1.0,)
        for k in np.ndindex(base.shape):
            for d in directions:
                plus, minus = base.copy(), base.copy()
                plus[k] += eps * d
                minus[k] -= eps * d
                g[k] += d * (_at(loaded, i, plus) - _at(loaded, i, minus)) / (2 * eps)
        out[i] = g
    return out


def _at(loaded, i, value):
    args = list(loaded.program.args())
    if loaded.twin is not None:
        args = [as_float64(a) for a in args]
    args[i] = value
    return plain_value(loaded.twin or loaded.fn, args)


# ---------------------------------------------------------------------- comparing


def scale_of(loaded):
    return max([1.0, abs(loaded.value)] + [float(np.max(np.abs(g), initial=0.0)) for g in (loaded.fd or {}).values()])


def disagreement(got, expected, rtol, atol):
    """``None`` when ``got`` matches ``expected`` (dicts of gradients), else what differs, in one line."""
    for i, e in expected.items():
        g = got.get(i)
        if g is None:
            return f"no gradient for argument {i}"
        if np.shape(g) != np.shape(e):
            return f"gradient of argument {i} has shape {np.shape(g)}, the argument {np.shape(e)}"
        g, e = np.asarray(g), np.asarray(e)
        err = np.abs(g - e)
        bad = ~(err <= atol + rtol * np.abs(e))
        if np.any(bad):
            k = np.unravel_index(int(np.argmax(np.where(np.isnan(err), np.inf, err))), np.shape(e))
            return (
                f"argument {i} element {tuple(int(j) for j in k)}: expected {complex_or_float(e[k])!r}, "
                f"got {complex_or_float(g[k])!r}"
            )
    return None


def wrong_dtype(program, grads):
    """``None`` when each gradient of an array argument has the argument's dtype (float32 stays float32), else
    what differs."""
    for i, g in grads.items():
        value = program.params[i].value
        if isinstance(value, np.ndarray) and np.asarray(g).dtype != value.dtype:
            return f"gradient of argument {i} has dtype {np.asarray(g).dtype}, the argument {value.dtype}"
    return None


def complex_or_float(v):
    v = complex(v)
    return v.real if v.imag == 0 else v


def fd_stable(loaded):
    """Do central differences at other step sizes agree with the first (no kink or branch nearby)?"""
    scale = scale_of(loaded)
    for eps in CHECK_EPS:
        try:
            other = finite_differences(loaded, eps)
        except NotJudged:
            return False
        loose = LOOSE if loaded.twin is not None else 1.0
        if disagreement(other, loaded.fd, 10 * RTOL * loose, 10 * ATOL * scale * loose) is not None:
            return False
    return True


# ---------------------------------------------------------------------- running the modes


def run_grad(loaded, optimize, checkpoint=False):
    """The gradients ``{index: gradient}`` static mode gives, and a problem with its result (or ``None``)."""
    program = loaded.program
    wrt = program.wrt
    df = srcgrad.grad(loaded.fn, wrt=wrt, optimize=optimize, checkpoint=checkpoint)
    got = df(*program.args())
    loaded.checkpointed = bool(checkpoint) and "# checkpointed" in df.source
    if not isinstance(got, tuple) or len(got) != len(wrt):
        return {}, f"grad with wrt={wrt} returned {type(got).__name__}"
    out = {}
    for i, g in zip(wrt, got):
        if isinstance(program.params[i].value, float) and np.ndim(g) == 0:
            g = complex_or_float(g) if np.iscomplexobj(g) else float(g)
        out[i] = np.asarray(g) if not isinstance(g, float) else g
    return out, None


def tangents(program):
    rng = np.random.default_rng(7)
    out = {}
    for i in program.wrt:
        v = program.params[i].value
        if isinstance(v, float):
            out[i] = float(rng.normal())
        elif np.iscomplexobj(v):
            out[i] = rng.normal(size=v.shape) + 1j * rng.normal(size=v.shape)
        else:
            out[i] = rng.normal(size=v.shape)
    return out


def directional(grads, tans):
    """The change of a real loss along ``tans`` given its gradients: ``sum Re(conj(g) t)``."""
    return float(sum(np.sum(np.real(np.conj(np.asarray(grads[i])) * tans[i])) for i in tans))


def run_jvp(loaded):
    program = loaded.program
    wrt = program.wrt
    tans = tangents(program)
    if len(wrt) == 1:
        value, out = srcgrad.jvp(loaded.fn, wrt=wrt[0])(*program.args(), tans[wrt[0]])
    else:
        value, out = srcgrad.jvp(loaded.fn, wrt=wrt)(*program.args(), tuple(tans[i] for i in wrt))
    return value, out, tans


def run_dynamic(loaded):
    program = loaded.program
    args = list(program.args())
    tensors = {}
    for i in program.wrt:
        a = np.asarray(args[i])
        dtype = np.complex128 if np.iscomplexobj(a) else (np.float32 if a.dtype == np.float32 else np.float64)
        tensors[i] = srcgrad.tensor(a.astype(dtype), requires_grad=True)
        args[i] = tensors[i]
    out = loaded.fn(*args)
    grads = {}
    if isinstance(out, srcgrad.Tensor) and out.requires_grad:
        value = out.detach().numpy()
        out.backward()
    else:
        value = out.detach().numpy() if isinstance(out, srcgrad.Tensor) else out
    for i, t in tensors.items():
        g = (
            np.zeros(t.shape, dtype=np.asarray(program.params[i].value).dtype)
            if t.grad is None
            else np.asarray(t.grad.detach().numpy())
        )
        grads[i] = complex_or_float(g) if isinstance(program.params[i].value, float) else g
    return value, grads


class timeout:
    """A context manager raising ``Timeout`` after ``seconds`` (SIGALRM; the main thread only)."""

    def __init__(self, seconds):
        self.seconds = seconds

    def _fire(self, *_):
        raise Timeout(f"over {self.seconds} s")

    def __enter__(self):
        self.old = signal.signal(signal.SIGALRM, self._fire)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc):
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.old)
        return False


# ---------------------------------------------------------------------- errors

ALLOWED_NAMES = (
    set(dir(builtins))
    | set(keyword.kwlist)
    | set(dir(np))
    | set(dir(np.ndarray))
    | set(dir(srcgrad))
    | set(dir(srcgrad.Tensor))
    | set(dir(np.linalg))
    | {"numpy", "ndarray", "Tensor", "srcgrad", "math", "pytorch"}
)  # set_method_meanings('numpy' or 'pytorch'), named in refusals
QUOTED = re.compile(r"['`]([A-Za-z_][A-Za-z_0-9]*)['`]")


def internal_names(message, identifiers):
    """Quoted identifiers in ``message`` that are neither the user's names nor numpy's, Python's or srcgrad's."""
    return sorted({n for n in QUOTED.findall(message) if n not in identifiers and n not in ALLOWED_NAMES})


def normalise(message):
    """A message with numbers and quoted names blanked, so errors of one kind share a key."""
    first = message.strip().splitlines()[0] if message.strip() else ""
    first = re.sub(r"^.*?, line \d+: ", "", first)
    first = QUOTED.sub("'_'", first)
    return re.sub(r"\d+", "N", first)[:120]


def classify(mode, exc, loaded):
    """The verdict for an exception a mode raised."""
    if not isinstance(exc, SrcgradError) and isinstance(exc.__cause__, SrcgradError):
        return classify(mode, exc.__cause__, loaded)
    frames = traceback.extract_tb(exc.__traceback__)
    first_line = (str(exc).strip().splitlines() or [""])[0]
    name = type(exc).__name__
    generated = [fr for fr in frames if fr.filename.startswith("<srcgrad")]
    own = [fr for fr in frames if fr.filename.startswith(SRCGRAD_DIR)]
    if isinstance(exc, Timeout):
        return Verdict(mode, "crash", f"timeout: {first_line}", "timeout")
    deliberate = bool(own) and (own[-1].line or "").lstrip().startswith("raise") and own[-1] is frames[-1]
    if isinstance(exc, SrcgradError) or (deliberate and not generated):
        problems = []
        if isinstance(exc, TransformError) and (
            exc.filename not in (loaded.path,) + tuple(loaded.wrappers) or not exc.lineno
        ):
            problems.append(f"does not point at the user's file and line (says {exc.filename}, {exc.lineno})")
        hidden = internal_names(getattr(exc, "message", None) or str(exc), loaded.identifiers)
        if hidden:
            problems.append(f"names {', '.join(hidden)}, not in the user's source")
        if problems:
            return Verdict(
                mode, "badmsg", f"{name}: {first_line} -- {'; '.join(problems)}", f"{name}: {normalise(str(exc))}"
            )
        return Verdict(mode, "refused", f"{name}: {first_line}", f"{name}: {normalise(str(exc))}")
    if generated:
        where = f"generated code line {generated[-1].lineno}: {generated[-1].line}"
        place = "generated code"
    elif own:
        fr = own[-1]
        where = place = f"{os.path.relpath(fr.filename, os.path.dirname(SRCGRAD_DIR))}:{fr.name}"
    else:
        fr = frames[-1] if frames else None
        where = f"{os.path.basename(fr.filename)}:{fr.lineno} {fr.line}" if fr else "?"
        place = "user code"
    return Verdict(mode, "crash", f"{name} in {where}: {first_line}", f"{name} in {place}: {normalise(str(exc))}")


# ---------------------------------------------------------------------- the judge


def prepare(program, directory, fd=True, time_limit=30.0):
    """Load ``program``, compute its value and (``fd``) finite differences.

    Raises:
        NotJudged: the program cannot be judged (its plain call fails, is not a finite real number, runs
            longer than ``time_limit`` seconds, finite differences included, or changes its module's arrays so that
            a second call gives another value).
    """
    try:
        with timeout(time_limit):
            loaded = load(program, directory)
            loaded.value = plain_value(loaded.fn, program.args())
            if fd:
                loaded.fd = finite_differences(loaded)
            again = plain_value(loaded.fn, program.args())
    except NotJudged:
        raise
    except Exception as e:  # noqa: BLE001 - the plain program failing is the generator's (or shrinker's) slip
        raise NotJudged(f"{type(e).__name__} in the plain call") from e
    if not np.isclose(again, loaded.value, rtol=1e-12, atol=0.0):
        # it changed an array of its module in place (a view of a global): every call computes another function
        raise NotJudged("a second plain call gives another value")
    for g in (loaded.fd or {}).values():
        if not np.all(np.isfinite(g)):
            raise NotJudged("finite differences are not finite")
    return loaded


def judge_mode(loaded, mode, time_limit=30.0):
    """Run ``mode`` on a prepared program and return its ``Verdict`` (and the gradients it gave, if any)."""
    if mode in ORDER2_MODES:
        return judge_order2(loaded, mode, time_limit)
    if mode in ORDER3_MODES:
        from .order3 import judge_order3

        return judge_order3(loaded, mode, time_limit)
    if mode in RESPEC_MODES:
        from .respec import judge_respec

        return judge_respec(loaded, mode, time_limit)
    scale = scale_of(loaded)
    loose = LOOSE if loaded.twin is not None else 1.0
    atol, rtol = ATOL * scale * loose, RTOL * loose
    try:
        with timeout(time_limit), np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if mode in CHECKPOINT:
                grads, problem = run_grad(loaded, optimize=(mode != "grad-noopt"), checkpoint=CHECKPOINT[mode])
                value = None
            elif mode == "jvp":
                value, out, tans = run_jvp(loaded)
                grads, problem = None, None
            else:
                value, grads = run_dynamic(loaded)
                problem = None
    except Exception as exc:  # noqa: BLE001 - every exception is judged
        return classify(mode, exc, loaded), None
    if problem:
        return Verdict(mode, "wrong", problem, "result"), None
    if loaded.fd is None:
        return Verdict(mode, "ran", "not compared: no finite differences"), None
    if value is not None:
        try:
            v = complex(np.asarray(value))
        except (TypeError, ValueError):
            return Verdict(mode, "wrong", f"value is {type(value).__name__}", "value"), None
        if not abs(v - loaded.value) <= (1e-9 if loose == 1.0 else 1e-5) * max(1.0, abs(loaded.value)):
            return Verdict(
                mode, "wrong", f"value {complex_or_float(v)!r}, the plain call gives {loaded.value!r}", "value"
            ), None
    key = "gradient"
    if mode == "jvp":
        want = directional(loaded.fd, tans)
        try:
            got = complex(np.asarray(out))
        except (TypeError, ValueError):
            return Verdict(mode, "wrong", f"tangent is {type(out).__name__} of shape {np.shape(out)}", "result"), None
        if abs(got - want) <= atol * len(tans) + rtol * abs(want):
            return Verdict(mode, "pass"), {"tangent": got, "tans": tans}
        detail = f"tangent along a random direction: expected {want!r}, got {complex_or_float(got)!r}"
        if not np.isfinite(got):  # wrong where finite differences are stable (else no derivative to compare)
            key = NONFINITE_TANGENT
    else:
        grads = {i: g for i, g in grads.items()}
        problem = wrong_dtype(loaded.program, grads) or disagreement(grads, loaded.fd, rtol, atol)
        if problem is None:
            return Verdict(mode, "pass", exercised=loaded.checkpointed), grads
        if all(not np.all(np.isfinite(np.asarray(g))) for g in grads.values()) and grads:
            return Verdict(mode, "skipped", "non-finite gradient"), None
        detail = problem
    try:
        with timeout(time_limit):
            stable = fd_stable(loaded)
    except Timeout:
        stable = False
    if not stable:
        return Verdict(mode, "skipped", "finite differences depend on the step (a kink or branch nearby)"), None
    return Verdict(mode, "wrong", detail, key), None


NONFINITE_TANGENT = "non-finite tangent"


def judge_order2(loaded, mode, time_limit=30.0):
    """A second-order mode's verdict (see ``order2``) and the product ``{"hv": H v}`` it gave, if it passed."""
    try:
        with timeout(time_limit):
            expect = order2.expected(loaded)
    except (Timeout, NotJudged):
        return Verdict(mode, "skipped", "second differences did not finish"), None
    if expect is None:
        return Verdict(mode, "skipped", "no real argument"), None
    i, v, want = expect
    try:
        with timeout(time_limit), np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = order2.run_order2(loaded, mode, i, v)
    except Exception as exc:  # noqa: BLE001 - every exception is judged
        return classify(mode, exc, loaded), None
    scale = max(scale_of(loaded), float(np.max(np.abs(want), initial=0.0)))
    loose = LOOSE if loaded.twin is not None else 1.0
    atol = 10 * ATOL * scale * loose
    if np.shape(got) != np.shape(want) or np.iscomplexobj(got):
        detail = f"H v of argument {i} has shape {np.shape(got)} and dtype {np.asarray(got).dtype}, the argument {np.shape(want)}"
        return Verdict(mode, "wrong", detail, "result"), None
    problem = disagreement({i: got}, {i: want}, order2.RTOL2 * loose, atol)
    if problem is None:
        return Verdict(mode, "pass"), {"hv": np.asarray(got, dtype=np.float64)}
    if not np.all(np.isfinite(got)):
        return Verdict(mode, "skipped", "non-finite gradient"), None
    try:
        with timeout(time_limit):
            stable = order2.fd2_stable(loaded, i, v, want, atol, order2.RTOL2 * loose)
    except (Timeout, NotJudged):
        stable = False
    if not stable:
        return Verdict(mode, "skipped", "second differences depend on the step (a kink or branch nearby)"), None
    return Verdict(mode, "wrong", "H v: " + problem, "gradient"), None


def settle(verdicts):
    """The verdicts of one program's modes (mode -> ``Verdict``), read together: a non-finite tangent where a
    reverse mode's gradient is non-finite too (``sqrt`` of an argument that is 0 around the point: its slope is
    infinite, the chain rule gives 0 * inf) is skipped as the gradient is, not wrong."""
    nonfinite = any(v.detail == "non-finite gradient" for v in verdicts.values())
    return {
        mode: Verdict(mode, "skipped", "non-finite tangent, as the gradient")
        if nonfinite and v.key == NONFINITE_TANGENT
        else v
        for mode, v in verdicts.items()
    }


def cross_check(results, float32=False):
    """Modes that passed must agree with each other to rounding (float32's for a program computing in float32): a
    list of one-line disagreements."""
    tight = 1e-4 if float32 else TIGHT
    out = []
    static, dynamic, forward = results.get("grad"), results.get("dynamic"), results.get("jvp")
    if static is not None and dynamic is not None:
        scale = max([1.0] + [float(np.max(np.abs(g), initial=0.0)) for g in static.values()])
        problem = disagreement(dynamic, static, tight, tight * scale)
        if problem:
            out.append(f"grad vs dynamic: {problem}")
    for mode in CHECKPOINT_MODES:
        if static is not None and results.get(mode) is not None:
            scale = max([1.0] + [float(np.max(np.abs(g), initial=0.0)) for g in static.values()])
            problem = disagreement(results[mode], static, tight, tight * scale)
            if problem:
                out.append(f"grad vs {mode}: {problem}")
    second = [(m, results[m]["hv"]) for m in ORDER2_MODES if results.get(m) is not None]
    for mode, hv in second[1:]:
        first_mode, first = second[0]
        scale = max(1.0, float(np.max(np.abs(first), initial=0.0)))
        problem = disagreement({0: hv}, {0: first}, 100 * tight, 100 * tight * scale)
        if problem:
            out.append(f"{first_mode} vs {mode}: H v {problem}")
    third = [(m, results[m]["t3"]) for m in ORDER3_MODES if results.get(m) is not None]
    for mode, t3 in third[1:]:
        first_mode, first = third[0]
        scale = max(1.0, float(np.max(np.abs(first), initial=0.0)))
        problem = disagreement({0: t3}, {0: first}, 1000 * tight, 1000 * tight * scale)
        if problem:
            out.append(f"{first_mode} vs {mode}: T(v, w) {problem}")
    if static is not None and forward is not None:
        want = directional(static, forward["tans"])
        if abs(forward["tangent"] - want) > tight * (1.0 + abs(want)) * 10:
            out.append(f"jvp vs grad: tangent {complex_or_float(forward['tangent'])!r}, grad . tangent {want!r}")
    return out
