"""Recursion in the compiler: forward mode (``jvp``) and recursive helpers defined inside functions.

A recursive call is differentiated by the callee's own generated derivative
at run time: ``grad`` calls its gradient with ``dout``, ``jvp`` its JVP, which
returns the value and the tangent. Each check compares with finite
differences or with the other mode.
"""

import numpy as np
import pytest

import srcgrad
from srcgrad.compiler import api
from srcgrad.errors import TransformError


def numeric_grad(f, args, i, eps=1e-6):
    x = args[i]
    if isinstance(x, float):
        hi = f(*args[:i], x + eps, *args[i + 1:])
        lo = f(*args[:i], x - eps, *args[i + 1:])
        return (hi - lo) / (2 * eps)
    g = np.zeros(np.shape(x))
    for k in np.ndindex(g.shape):
        xp, xm = x.copy(), x.copy()
        xp[k] += eps
        xm[k] -= eps
        g[k] = (f(*args[:i], xp, *args[i + 1:]) - f(*args[:i], xm, *args[i + 1:])) / (2 * eps)
    return g


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
