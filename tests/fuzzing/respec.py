"""The ``respec`` mode: one gradient called again after the data its function reads has changed.

For a program with ``changes`` (see ``moddata``), the mode loads its own copy of
the program, makes ``srcgrad.grad(f)`` and ``srcgrad.jvp(f)`` and calls them
once (the specialisation for the data as it is), then applies each change in
turn (a global rebound or written in place, a closure cell rebound, a list
appended to, ...) and after each one judges, against finite differences of the
changed program:

* the same ``GradFunction`` called again;
* a new ``srcgrad.grad(f)`` (it finds its code in the shared cache);
* the same ``JVPFunction`` called again, along a random tangent;
* the same ``srcgrad.hvp`` called again, against second differences (see ``order2``).

A stale specialisation (code made for the old data) is a wrong answer or a crash
here; a refusal must be clean as in every mode. A change after which finite
differences are unstable or not finite is not judged (the next one still is).
"""

import os
import warnings

import numpy as np

import srcgrad

from .order2 import RTOL2, direction, fd2_stable, fd_hvp, order2_argument

RESPEC_MODES = ("respec",)


def apply_change(loaded, change):
    """Run one change in the program's module (and in its float64 twin, where it has one)."""
    exec(compile(change, "<fuzz-change>", "exec"), loaded.fn.__globals__)
    if loaded.twin is not None:
        twin = change.replace("np.float32", "np.float64")
        exec(compile(twin, "<fuzz-change>", "exec"), loaded.twin.__globals__)


def one_line(change):
    return change.splitlines()[-1]


def as_dict(program, got):
    """The gradients of ``srcgrad.grad(f, wrt)(*args)`` as ``{index: gradient}`` (see ``oracle.run_grad``)."""
    from .oracle import complex_or_float

    out = {}
    for i, g in zip(program.wrt, got):
        if isinstance(program.params[i].value, float) and np.ndim(g) == 0:
            g = complex_or_float(g) if np.iscomplexobj(g) else float(g)
        out[i] = np.asarray(g) if not isinstance(g, float) else g
    return out


def judge_respec(loaded, mode, time_limit=30.0):
    """The ``respec`` verdict of a prepared program (see the module docstring)."""
    from .oracle import (
        ATOL,
        LOOSE,
        RTOL,
        NotJudged,
        Timeout,
        Verdict,
        classify,
        directional,
        disagreement,
        fd_stable,
        finite_differences,
        load,
        plain_value,
        run_grad,
        scale_of,
        tangents,
        timeout,
        wrong_dtype,
    )

    program = loaded.program
    if not program.changes:
        return Verdict(mode, "skipped", "no module or closure data to change"), None
    own = load(program, os.path.dirname(loaded.path))
    wrt = program.wrt
    tans = tangents(program)
    tangent = tans[wrt[0]] if len(wrt) == 1 else tuple(tans[i] for i in wrt)

    def calls():
        got = df(*program.args())
        if not isinstance(got, tuple) or len(got) != len(wrt):
            raise TypeError(f"grad with wrt={wrt} returned {type(got).__name__}")
        hv = None if hf is None else hf(*program.args(), direction(program, second))
        return as_dict(program, got), run_grad(own, optimize=True), jf(*program.args(), tangent), hv

    try:
        with timeout(time_limit), np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            df = srcgrad.grad(own.fn, wrt=wrt)
            jf = srcgrad.jvp(own.fn, wrt=wrt[0] if len(wrt) == 1 else wrt)
            second = order2_argument(program)
            hf = None
            if second is not None:  # (an hvp refused from the start is the second-order modes' to judge)
                try:
                    hf = srcgrad.hvp(own.fn, wrt=second)
                    hf(*program.args(), direction(program, second))
                except Exception:  # noqa: BLE001
                    hf = None
            calls()
    except Exception as exc:  # noqa: BLE001 - every exception is judged
        return classify(mode, exc, own), None
    judged = 0
    for k, change in enumerate(program.changes, 1):
        after = f"after change {k} ({one_line(change)}): "
        try:
            apply_change(own, change)
        except Exception:  # noqa: BLE001 - shrinking dropped what the change needs
            return Verdict(mode, "skipped", after + "the change does not run"), None
        try:
            with timeout(time_limit):
                own.value = plain_value(own.fn, program.args())
                own.fd = finite_differences(own)
        except (NotJudged, Timeout):
            continue
        if not all(np.all(np.isfinite(g)) for g in own.fd.values()):
            continue
        try:
            with timeout(time_limit), np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                again, (fresh, problem), (value, out), hv = calls()
        except Exception as exc:  # noqa: BLE001 - every exception is judged
            verdict = classify(mode, exc, own)
            verdict.detail = after + verdict.detail
            return verdict, None
        loose = LOOSE if own.twin is not None else 1.0
        atol, rtol = ATOL * scale_of(own) * loose, RTOL * loose
        problems = []
        for label, grads in (("the same gradient called again", again), ("a new srcgrad.grad", fresh)):
            p = wrong_dtype(program, grads) or disagreement(grads, own.fd, rtol, atol)
            if p:
                problems.append(f"{label}: {p}")
        if problem:
            problems.append(problem)
        want = directional(own.fd, tans)
        try:
            got = complex(np.asarray(out))
        except (TypeError, ValueError):
            got = complex("nan")
        if not abs(got - want) <= atol * len(tans) + rtol * abs(want):
            problems.append(f"the same jvp called again: tangent expected {want!r}, got {got!r}")
        if not abs(complex(np.asarray(value)) - own.value) <= (1e-9 if loose == 1.0 else 1e-5) * max(
            1.0, abs(own.value)
        ):
            problems.append(f"the same jvp called again: value {value!r}, the plain call gives {own.value!r}")
        if hv is not None:
            v = direction(program, second)
            want2 = fd_hvp(own, second, v)
            atol2 = 10 * ATOL * max(scale_of(own), float(np.max(np.abs(want2), initial=0.0))) * loose
            p = disagreement({second: np.asarray(hv)}, {second: want2}, RTOL2 * loose, atol2)
            if p and fd2_stable(own, second, v, want2, atol2, RTOL2 * loose):
                problems.append(f"the same hvp called again: H v {p}")
        if problems:
            try:
                with timeout(time_limit):
                    stable = fd_stable(own)
            except Timeout:
                stable = False
            if not stable:
                continue
            return Verdict(mode, "wrong", after + "; ".join(problems), "gradient"), None
        judged += 1
    if not judged:
        return Verdict(mode, "skipped", "no change left finite differences stable"), None
    return Verdict(mode, "pass"), None
