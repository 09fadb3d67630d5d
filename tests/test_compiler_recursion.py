"""Recursion in the compiler: forward mode (``jvp``) and recursive helpers defined inside functions.

A recursive call is differentiated by the callee's own generated derivative
at run time: ``grad`` calls its gradient with ``dout``, ``jvp`` its JVP, which
returns the value and the tangent. Each check compares with finite
differences or with the other mode.
"""

import numpy as np
import pytest

import srcgrad
from corpus.harness import fd_grad as numeric_grad
from srcgrad.compiler import api, cache
from srcgrad.errors import TransformError


def check_jvp(f, args, wrt, tangents, rtol=1e-6):
    """``jvp(f, wrt)`` against finite differences of ``f`` along ``tangents`` (one per ``wrt`` index)."""
    value, t_out = srcgrad.jvp(f, wrt=tuple(wrt))(*args, tuple(tangents))
    np.testing.assert_allclose(value, f(*args))
    expected = sum(np.sum(numeric_grad(f, args, i) * t) for i, t in zip(wrt, tangents))
    np.testing.assert_allclose(t_out, expected, rtol=rtol, atol=1e-7)


def check_grad(f, args, wrt):
    got = srcgrad.grad(f, wrt=tuple(wrt))(*args)
    for g, i in zip(got, wrt):
        np.testing.assert_allclose(g, numeric_grad(f, args, i), rtol=1e-5, atol=1e-7)
        assert np.shape(g) == np.shape(args[i])


# ---------------------------------------------------------------- module-level recursion in jvp


def _mix(a, b, n):
    if n == 0:
        return a * b
    return _mix(np.sin(a) + b, a * b, n - 1)


def mix(x, y):
    return np.sum(_mix(x, y, 3))


def test_jvp_of_recursion_along_two_arguments(rng):
    x, y = rng.normal(size=3), rng.normal(size=3)
    check_jvp(mix, (x, y), (0, 1), (rng.normal(size=3), rng.normal(size=3)))
    src = srcgrad.jvp(mix, wrt=(0, 1)).source
    # both operands of the recursive call carry a tangent: the callee's JVP is along both
    assert "= jvp__mix(" in src and ", (d" in src


def test_jvp_of_the_recursive_function_itself(rng):
    x, y, t = rng.normal(size=4), rng.normal(size=4), rng.normal(size=4)
    value, t_out = srcgrad.jvp(_mix, wrt=0)(x, y, 4, t)
    np.testing.assert_allclose(value, _mix(x, y, 4))
    eps = 1e-6
    expected = (_mix(x + eps * t, y, 4) - _mix(x - eps * t, y, 4)) / (2 * eps)
    np.testing.assert_allclose(t_out, expected, rtol=1e-6, atol=1e-8)


def _power(x, n):
    if n == 0:
        return 1.0
    return x * _power(x, n - 1)


def test_jvp_recursion_transforms_each_callee_once(rng, monkeypatch):
    calls = []
    real = api.transform_jvp

    def counting(fn, *args, **kwargs):
        calls.append(fn.__name__)
        return real(fn, *args, **kwargs)

    monkeypatch.setattr(api, "transform_jvp", counting)
    api.clear_cache()

    def deep(x):
        return np.sum(_power(x, 12))

    x = rng.normal(size=3)
    check_jvp(deep, (x,), (0,), (np.ones(3),))
    # deep, then _power once for arrays: every level of the recursion reuses that JVP
    assert calls == ["deep", "_power"]


def test_jvp_recursive_call_without_a_tangent_is_the_plain_call(rng):
    c = rng.normal(size=3)

    def f(x):
        return np.sum(_power(c, 3) * x)

    x = rng.normal(size=3)
    check_jvp(f, (x,), (0,), (rng.normal(size=3),))
    assert "jvp__power" not in srcgrad.jvp(f).source


# ---------------------------------------------------------------- recursive functions defined inside functions


def closes_over(x, w):
    def fact(h, n):
        if n <= 1:
            return h * w
        return h * fact(h, n - 1) + np.sin(w)

    return np.sum(fact(x, 3))


def test_nested_recursion_reaches_the_enclosing_values(rng):
    x, w = rng.normal(size=3), rng.normal(size=3)
    check_grad(closes_over, (x, w), (0, 1))
    check_jvp(closes_over, (x, w), (0, 1), (rng.normal(size=3), rng.normal(size=3)))
    df = srcgrad.grad(closes_over, wrt=(0, 1))
    src = df.source_for(x, w)
    # the enclosing function's w is passed on by keyword, and its gradient comes back with h's
    assert "fact_2(x, t, w=w)" in src and "dfact(x, t, w=w, dout=" in src
    assert "grads[1]" in src


def test_nested_recursion_gradient_is_readable(rng):
    x, w = rng.normal(size=3), rng.normal(size=3)
    df = srcgrad.grad(closes_over, wrt=(0, 1))
    df(x, w)
    inner = df.function.__globals__["dfact"]
    assert inner.__wrapped__.__qualname__ == "closes_over.<locals>.fact"
    text = inner.source
    assert "Gradient of closes_over.<locals>.fact with respect to h, w" in text
    assert "# line" in text and "return h * fact(h, n - 1) + np.sin(w)" in text  # the user's lines
    import inspect

    assert inspect.getsource(inner.__wrapped__).lstrip().startswith("def fact(h, n):")


def test_recursive_lambda(rng):
    def f(x):
        c = 0.5
        g = lambda t, n: t if n == 0 else np.tanh(g(t, n - 1)) * c + t  # noqa: E731
        return np.sum(g(x, 4))

    x = rng.normal(size=3)
    check_grad(f, (x,), (0,))
    check_jvp(f, (x,), (0,), (rng.normal(size=3),))


def test_nested_recursion_on_python_numbers():
    def f(a, b):
        def p(n):
            if n == 0:
                return b
            return a * p(n - 1) + b

        return p(4)

    check_grad(f, (0.6, 1.3), (0, 1))
    check_jvp(f, (0.6, 1.3), (0, 1), (1.0, -0.5))
    assert isinstance(srcgrad.grad(f)(0.6, 1.3), float)


_GAIN = 2.0


def reads_a_global(x):
    def r(h, n):
        if n == 0:
            return h
        return r(np.sin(h) * _GAIN, n - 1)

    return np.sum(r(x, 3))


def test_nested_recursion_sees_a_rebound_global(rng):
    global _GAIN
    x = rng.normal(size=3)
    df = srcgrad.grad(reads_a_global)
    before = df(x)
    try:
        _GAIN = 0.5
        after = df(x)
        np.testing.assert_allclose(after, numeric_grad(reads_a_global, (x,), 0), rtol=1e-5, atol=1e-8)
        assert not np.allclose(before, after)
    finally:
        _GAIN = 2.0


def _line_of(f, text):
    import inspect

    lines, first = inspect.getsourcelines(f)
    return first + next(k for k, line in enumerate(lines) if text in line)


def calls_another_nested(x):
    def twice(t):
        return t * 2.0

    def r(t, n):
        if n == 0:
            return twice(t)
        return r(np.sin(t), n - 1)

    return np.sum(r(x, 2))


def reads_a_tuple(x):
    pair = (x, 2.0 * x)

    def r(n):
        if n == 0:
            return pair[0]
        return r(n - 1) * pair[1]

    return np.sum(r(2))


def writes_into_the_enclosing_array(x):
    buf = np.zeros(3)

    def r(n):
        if n == 0:
            return np.sum(buf * x)
        buf[n] = x[n]
        return r(n - 1)

    return r(2)


@pytest.mark.parametrize(
    "f, line, message",
    [
        (
            calls_another_nested,
            "return r(np.sin(t), n - 1)",
            "the recursive nested function r calls the nested function twice",
        ),
        (reads_a_tuple, "return r(n - 1) * pair[1]", "reads 'pair', a tuple, list or dict of the enclosing function"),
        (writes_into_the_enclosing_array, "buf[n] = x[n]", "writes into 'buf' of the enclosing function"),
    ],
)
@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_nested_recursion_that_cannot_be_lifted_is_reported(f, line, message, mode):
    x = np.array([0.3, -0.2, 0.5])
    with pytest.raises(TransformError, match=message) as err:
        if mode == "grad":
            srcgrad.grad(f)(x)
        else:
            srcgrad.jvp(f)(x, np.ones(3))
    assert err.value.filename == __file__
    assert err.value.lineno == _line_of(f, line)


def test_nested_recursion_with_annotations(rng):
    def f(x):
        Arr = np.ndarray

        def r(h: Arr, n: int) -> Arr:
            if n == 0:
                return h
            return r(np.sin(h), n - 1)

        return np.sum(r(x, 3))

    x = rng.normal(size=3)
    check_grad(f, (x,), (0,))
    check_jvp(f, (x,), (0,), (rng.normal(size=3),))
    assert "Arr=" not in srcgrad.grad(f).source_for(x)  # an annotation is not a value the function reads


def test_nested_recursion_survives_the_cache_dropping_its_lifted_function(monkeypatch):
    # each transformation lifts a nested recursive def again, and the liftings' code objects are
    # equal: when the cache let an older lifting go, the newer one lost its lifted source and its
    # recursive call failed (NameError for an enclosing local, e.g. 'shift'); a cache of one entry
    # and the recursion corpus in three modes make that happen on every run
    from corpus import recursion

    monkeypatch.setattr(cache, "CACHE_SIZE", 1)
    api.clear_cache()
    rng = np.random.default_rng(0)
    for _ in range(3):
        for c in recursion.CASES:
            args = c.make_args(rng)
            wrt = (c.wrt,) if isinstance(c.wrt, int) else tuple(c.wrt)
            for optimize in (True, False):
                got = srcgrad.grad(c.fn, wrt=wrt, optimize=optimize)(*args)
                for g, i in zip(got, wrt):
                    np.testing.assert_allclose(g, numeric_grad(c.fn, args, i), rtol=1e-5, atol=1e-7)
            tangent = np.ones_like(np.asarray(args[wrt[0]]))
            value, _ = srcgrad.jvp(c.fn, wrt=wrt[0])(*args, tangent if np.ndim(tangent) else 1.0)
            np.testing.assert_allclose(value, c.fn(*args))
