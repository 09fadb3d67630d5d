"""Both modes agree: every corpus function, static vs dynamic vs forward vs finite differences.

For each function of ``tests/corpus``:

* static mode (``srcgrad.grad``, optimized and ``optimize=False``) matches central
  finite differences;
* dynamic mode (the same function called on Tensors, then ``.backward()``) matches
  finite differences;
* static matches dynamic to tight tolerance (both are exact up to rounding);
* forward mode (``srcgrad.jvp``) matches the reverse-mode gradient along a random tangent;
* the tape's second derivatives pass ``gradgradcheck``, and ``gradcheck`` accepts
  either mode's result (the compiled gradient wrapped as a ``Function``).

A mode that cannot handle a function is listed in the corpus as a ``Limitation``
(the error the user gets is asserted here) or a ``Bug`` (a strict xfail, so a fix
is noticed). Nothing is skipped silently: the only skips are the two switches
below, for modes the library does not have yet.
"""

import functools
import pathlib
import re

import numpy as np
import pytest

import srcgrad
from corpus import AMBIGUOUS_METHOD, Bug, Limitation, all_cases
from corpus.harness import (
    args_of,
    check_dynamic,
    check_forward,
    check_static,
    check_static_vs_dynamic,
    dynamic_grad,
    forward_directional,
    numeric_grad,
    static_as_tensor_function,
    static_grad,
)

CASES = all_cases()
BY_NAME = {c.name: c for c in CASES}


# ------------------------------------------------------------------ the two switches (one place each)


def require_static():
    """Skip while the compiler is not exported from ``srcgrad``."""
    if not hasattr(srcgrad, "grad"):
        pytest.skip("static mode not built yet")


def _square(x):
    return x * x


@functools.cache
def _forward_mode_built():
    if not hasattr(srcgrad, "jvp"):
        return False
    try:
        srcgrad.jvp(_square)(2.0, 1.0)
    except NotImplementedError:
        return False
    return True


def require_forward():
    """Skip while ``srcgrad.jvp`` is absent or raises ``NotImplementedError``."""
    if not _forward_mode_built():
        pytest.skip("forward mode (srcgrad.jvp) not built yet")


# ------------------------------------------------------------------ shared values


@functools.cache
def reference(name):
    """Central finite differences of a case, computed once."""
    case = BY_NAME[name]
    return numeric_grad(case.fn, args_of(case), case.wrt)


def params(*modes):
    """One ``pytest.param`` per case; a ``Bug`` in any of ``modes`` makes it a strict xfail."""
    out = []
    for case in CASES:
        marks = [
            pytest.mark.xfail(strict=True, raises=spec.raises, reason=spec.reason)
            for spec in (getattr(case, m) for m in modes)
            if isinstance(spec, Bug)
        ]
        out.append(pytest.param(case, id=case.name, marks=marks[:1]))
    return out


def limited(case, *modes):
    """The first ``Limitation`` of ``case`` among ``modes``, or None."""
    for m in modes:
        spec = getattr(case, m)
        if isinstance(spec, Limitation):
            return spec
    return None


# ------------------------------------------------------------------ each mode against finite differences


@pytest.mark.parametrize("optimize", [True, False], ids=["opt", "noopt"])
@pytest.mark.parametrize("case", params("static"))
def test_static_matches_finite_differences(case, optimize):
    require_static()
    spec = limited(case, "static")
    if spec is not None:
        with pytest.raises(spec.error, match=spec.match):
            static_grad(case.fn, args_of(case), case.wrt, optimize=optimize)
        return
    check_static(case, reference(case.name), optimize)


@pytest.mark.parametrize("case", params("dynamic"))
def test_dynamic_matches_finite_differences(case):
    spec = limited(case, "dynamic")
    if spec is not None:
        with pytest.raises(spec.error, match=spec.match):
            dynamic_grad(case.fn, args_of(case), case.wrt)
        return
    check_dynamic(case, reference(case.name))


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES if c.dynamic is AMBIGUOUS_METHOD])
def test_ambiguous_methods_follow_numpy_when_asked(case):
    """A method numpy and PyTorch read differently is refused by default (above); with numpy's meaning
    chosen, the tape computes what the numpy function computes, so a silent difference would fail here."""
    with srcgrad.set_method_meanings("numpy"):
        check_dynamic(case, reference(case.name))
    assert srcgrad.get_method_meanings() == "refuse"


# ------------------------------------------------------------------ the modes against each other


@pytest.mark.parametrize(
    "case", [p for p in params("static", "dynamic") if limited(p.values[0], "static", "dynamic") is None]
)
def test_static_matches_dynamic(case):
    require_static()
    check_static_vs_dynamic(case)


@pytest.mark.parametrize("case", [p for p in params("forward") if limited(p.values[0], "forward") is None])
def test_forward_matches_reverse(case):
    """Against static mode's gradient; against finite differences where static mode has a known problem."""
    require_static()
    require_forward()
    check_forward(case, None if case.static is None else reference(case.name))


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES if limited(c, "forward")])
def test_forward_limitations(case):
    require_forward()
    spec = limited(case, "forward")
    args = args_of(case)
    i = case.wrt[0]
    with pytest.raises(spec.error, match=spec.match):
        forward_directional(case.fn, args, i, 1.0 if isinstance(args[i], float) else np.ones(np.shape(args[i])))


# ------------------------------------------------------------------ the corpus itself


def test_corpus_is_large_and_covers_every_theme():
    themes = {c.theme for c in CASES}
    assert len(CASES) >= 100
    assert themes == {
        "scalar",
        "elementwise",
        "reductions",
        "linalg",
        "shapes",
        "indexing",
        "control",
        "calls",
        "recursion",
        "structures",
        "containers",
        "nondiff",
        "ml",
        "idioms",
        "methods",
    }
    assert all(sum(c.theme == t for c in CASES) >= 8 for t in themes)


def test_every_case_returns_a_scalar_and_reference_is_finite():
    for case in CASES:
        args = args_of(case)
        assert np.ndim(case.fn(*args)) == 0, case.name
        for g in reference(case.name).values():
            assert np.all(np.isfinite(g)), case.name


def test_every_limitation_is_documented():
    """docs/testing.md lists each documented limitation with the message the user gets."""
    doc = (pathlib.Path(__file__).resolve().parent.parent / "docs" / "testing.md").read_text()
    for case in CASES:
        for mode in ("static", "dynamic", "forward"):
            spec = getattr(case, mode)
            if isinstance(spec, Limitation):
                message = re.sub(r"\\(.)", r"\1", spec.match)
                assert message in doc, f"{case.name} ({mode}): docs/testing.md does not mention {message!r}"


def test_limitations_are_few_and_explained():
    specs = [
        (c.name, m, getattr(c, m)) for c in CASES for m in ("static", "dynamic", "forward") if getattr(c, m) is not None
    ]
    for name, mode, spec in specs:
        assert len(spec.reason) > 20, f"{name} ({mode}): say why"
    kinds = {id(spec) for _, _, spec in specs if isinstance(spec, Limitation)}
    limited_cases = {name for name, _, spec in specs if isinstance(spec, Limitation)}
    assert len(kinds) <= 16, "the list of documented limitations should stay short"
    assert len(limited_cases) <= 0.15 * len(CASES), "most of the corpus must work in every mode"


# ------------------------------------------------------------------ gradcheck on both modes' results

GRADCHECKED = ["ml.mlp", "ml.layer_norm", "ml.attention", "ml.rnn", "linalg.solve_residual", "reductions.var_and_std"]


@pytest.mark.parametrize("name", GRADCHECKED)
def test_gradcheck_on_both_modes(name):
    """``srcgrad.autograd.gradcheck`` accepts either mode: the function on Tensors, or its compiled gradient."""
    require_static()
    case = BY_NAME[name]
    args = args_of(case)
    inputs = tuple(
        srcgrad.tensor(a, requires_grad=i in case.wrt) if isinstance(a, np.ndarray) else a for i, a in enumerate(args)
    )
    assert srcgrad.autograd.gradcheck(case.fn, inputs)
    assert srcgrad.autograd.gradcheck(static_as_tensor_function(case.fn), inputs)


def _second_order_cases():
    """Cases the tape follows whose differentiated arguments are all arrays."""
    return [
        pytest.param(c, id=c.name)
        for c in CASES
        if c.dynamic is None and all(isinstance(args_of(c)[i], np.ndarray) for i in c.wrt)
    ]


@pytest.mark.parametrize("case", _second_order_cases())
def test_second_order_on_dynamic_mode(case):
    """``gradgradcheck``: the tape's gradient of every corpus function is itself right (create_graph=True)."""
    args = args_of(case)
    inputs = tuple(srcgrad.tensor(a, requires_grad=i in case.wrt) if i in case.wrt else a for i, a in enumerate(args))
    assert srcgrad.autograd.gradgradcheck(case.fn, inputs, atol=1e-4, rtol=1e-3)
