"""Checks that can fail: a deliberately wrong rule must be caught by every check that relies on it.

The rule of ``np.sin`` is swapped for a wrong one (``g * sin(x)`` instead of
``g * cos(x)``) for the duration of a test. Then ``gradcheck`` (on either mode's
gradient), the corpus check of a function that calls ``np.sin``, the
static-vs-dynamic agreement check and the forward-vs-reverse check must all
fail, with messages that point at the worst element. The compiler caches
generated code by function, not by rule, so each test gives it a fresh cache.
"""

import inspect

import numpy as np
import pytest

import srcgrad
import srcgrad.compiler.cache as compiler_cache
from corpus import all_cases
from corpus.harness import (
    assert_grads_close,
    check_dynamic,
    check_forward,
    check_static,
    check_static_vs_dynamic,
    numeric_grad,
    args_of,
    static_as_tensor_function,
)
from srcgrad.autograd import gradcheck, gradgradcheck
from srcgrad.autograd.gradcheck import GradcheckError
from srcgrad.rules import RULES, registry

CASE = next(c for c in all_cases() if c.name == "elementwise.affine_sin")  # np.sum(np.sin(x * w + b))


def wrong_sin_vjp(g, ans, x):
    return g * np.sin(x)


def wrong_sin_jvp(t, ans, x):
    return t * np.sin(x)


def fresh_compiler_cache(monkeypatch):
    """Give the compiler an empty cache for this test (the old one comes back afterwards)."""
    monkeypatch.setattr(compiler_cache, "CACHE", {})


@pytest.fixture
def wrong_sin(monkeypatch):
    """``np.sin`` with a wrong VJP and a wrong JVP, in both modes, for one test."""
    rule = RULES[np.sin]
    monkeypatch.setattr(rule, "vjps", (wrong_sin_vjp,))
    monkeypatch.setattr(rule, "jvps", (wrong_sin_jvp,))
    fresh_compiler_cache(monkeypatch)
    yield rule
    compiler_cache.clear_cache()  # nothing compiled with the wrong rule may outlive the test


def sin_sum(x):
    return np.sum(np.sin(x) * x)


X = np.array([0.3, -1.1, 2.0])


def reference(case):
    return numeric_grad(case.fn, args_of(case), case.wrt)


# ------------------------------------------------------------------ the checks pass with the right rule


def test_checks_pass_with_the_right_rule():
    x = srcgrad.tensor(X, requires_grad=True)
    assert gradcheck(sin_sum, (x,))
    assert gradgradcheck(sin_sum, (x,))
    assert gradcheck(static_as_tensor_function(sin_sum), (x,))
    check_dynamic(CASE, reference(CASE))
    check_static(CASE, reference(CASE))
    check_static_vs_dynamic(CASE)
    check_forward(CASE)


# ------------------------------------------------------------------ and fail with a wrong one


def test_gradcheck_fails_on_dynamic_mode(wrong_sin):
    x = srcgrad.tensor(X, requires_grad=True)
    with pytest.raises(GradcheckError, match=r"worst element \[input element \d+, output element 0\] analytical"):
        gradcheck(sin_sum, (x,))
    assert gradcheck(sin_sum, (x,), raise_exception=False) is False


def test_gradgradcheck_fails_on_dynamic_mode(wrong_sin):
    x = srcgrad.tensor(X, requires_grad=True)
    with pytest.raises(GradcheckError, match="worst element"):
        gradgradcheck(sin_sum, (x,))


def test_gradcheck_fails_on_static_mode(wrong_sin):
    x = srcgrad.tensor(X, requires_grad=True)
    with pytest.raises(GradcheckError, match="worst element"):
        gradcheck(static_as_tensor_function(sin_sum), (x,))


def test_corpus_checks_fail(wrong_sin):
    with pytest.raises(AssertionError, match=r"dynamic mode: gradient of argument \d disagrees at element"):
        check_dynamic(CASE, reference(CASE))
    for optimize in (True, False):
        with pytest.raises(AssertionError, match=r"static mode \(optimize=\w+\): gradient of argument \d disagrees"):
            check_static(CASE, reference(CASE), optimize)


def test_forward_check_fails_on_a_wrong_jvp_alone(monkeypatch):
    monkeypatch.setattr(RULES[np.sin], "jvps", (wrong_sin_jvp,))
    fresh_compiler_cache(monkeypatch)
    check_static(CASE, reference(CASE))  # reverse mode is still right
    with pytest.raises(AssertionError, match="forward mode along argument 0"):
        check_forward(CASE)


def test_agreement_check_fails_when_a_rule_reaches_one_mode_only(monkeypatch):
    # The compiled gradient keeps the right rule (compiled first, then cached, and the cache is not told of the
    # change); the tape sees the wrong one.
    fresh_compiler_cache(monkeypatch)
    check_static_vs_dynamic(CASE)
    version = registry._TABLE_VERSION[0]
    monkeypatch.setattr(RULES[np.sin], "vjps", (wrong_sin_vjp,))
    registry._TABLE_VERSION[0] = version
    with pytest.raises(AssertionError, match="static vs dynamic: gradient of argument"):
        check_static_vs_dynamic(CASE)
    registry._TABLE_VERSION[0] += 1  # and nothing compiled meanwhile is used after the test
    compiler_cache.clear_cache()


def _records_sin(case):
    """Whether the tape's graph of ``case`` holds a ``SinBackward0`` node (np.sin ran on a differentiable path)."""
    args = args_of(case)
    call = tuple(srcgrad.tensor(a, requires_grad=True) if i in case.wrt else a for i, a in enumerate(args))
    todo, seen = [case.fn(*call).grad_fn], set()
    while todo:
        node = todo.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if node.name() == "SinBackward0":
            return True
        todo.extend(n for n, _ in node.next_functions)
    return False


def test_every_corpus_function_calling_sin_is_caught(wrong_sin):
    """A wrong rule cannot hide: every corpus function whose graph runs through np.sin fails in dynamic mode."""
    users = [c for c in all_cases() if c.dynamic is None and "np.sin(" in inspect.getsource(c.fn) and _records_sin(c)]
    assert len(users) >= 8
    for case in users:
        with pytest.raises(AssertionError, match="disagrees"):
            check_dynamic(case, reference(case))


# ------------------------------------------------------------------ the harness itself can fail


def test_finite_differences_are_accurate():
    got = numeric_grad(sin_sum, (X,), (0,))[0]
    np.testing.assert_allclose(got, np.cos(X) * X + np.sin(X), rtol=1e-8, atol=1e-9)


def test_comparison_names_the_worst_element():
    expected = {0: np.array([[1.0, 2.0], [3.0, 4.0]])}
    got = {0: expected[0] + np.array([[0.0, 1e-3], [0.5, 0.0]])}
    with pytest.raises(AssertionError, match=r"argument 0 disagrees at element \(1, 0\): got 3.5, expected 3.0"):
        assert_grads_close(got, expected, 1e-5, 1e-6, "check", (expected[0],))
    with pytest.raises(AssertionError, match="has shape"):
        assert_grads_close({0: np.zeros(3)}, {0: np.zeros((3, 1))}, 1e-5, 1e-6, "check", (np.zeros((3, 1)),))
    with pytest.raises(AssertionError, match="disagrees"):
        assert_grads_close({0: np.array([np.nan])}, {0: np.array([1.0])}, 1e-5, 1e-6, "check", (np.zeros(1),))


def test_property_checks_fail(wrong_sin):
    from test_properties import _binary_loss, check_both_modes

    def composed(x, y):
        return np.sum(np.sin(x) * y)

    rng = np.random.default_rng(0)
    with pytest.raises(AssertionError, match="dynamic mode: gradient of argument 0 disagrees"):
        check_both_modes(composed, (rng.normal(size=(2, 3)), rng.normal(size=3)), (0, 1))
    check_both_modes(_binary_loss(np.add), (rng.normal(size=3), rng.normal(size=3), rng.normal(size=3)), (0, 1))
