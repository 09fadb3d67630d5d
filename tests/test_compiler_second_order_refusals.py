"""Refusals met while differentiating a generated gradient (hessian, hvp, jacobian, srcgrad.grad of a function
calling a gradient) are said at the user's file and line, in the user's names."""

import re

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import TransformError


def f(x):
    y = x * 2.0
    for _ in range(2):
        y[0] = y[0] * x[1]
    return np.sum(y**2)


df = srcgrad.grad(f)
WRITE_LINE = f.__code__.co_firstlineno + 3  # y[0] = y[0] * x[1], in a loop
GENERATED = re.compile(r"\bt(_\d+)?\b|<srcgrad:")


def g(z):
    return np.sum(df(z))


CALL_LINE = g.__code__.co_firstlineno + 1


def _refusal(make):
    with pytest.raises(TransformError) as info:
        make()
    return info.value


@pytest.mark.parametrize(
    "make",
    [
        lambda x: srcgrad.hessian(f)(x),
        lambda x: srcgrad.hvp(f)(x, np.ones(3)),
        lambda x: srcgrad.jacobian(srcgrad.grad(f))(x),
    ],
    ids=["hessian", "hvp", "jacobian_of_grad"],
)
def test_second_order_write_refused_at_the_users_line(make):
    err = _refusal(lambda: make(np.array([1.0, 2.0, 3.0])))
    assert err.filename == __file__
    assert err.lineno == WRITE_LINE
    assert err.source_line.strip() == "y[0] = y[0] * x[1]"
    assert "'y'" in err.message and "second order" in err.message
    assert not GENERATED.search(str(err)), str(err)
    assert "np.where" in err.hint


def test_gradient_called_in_the_differentiated_function_names_the_write():
    err = _refusal(lambda: srcgrad.grad(g)(np.array([1.0, 2.0, 3.0])))
    assert err.filename == __file__
    assert err.lineno == CALL_LINE  # the user's call of the gradient
    assert f"{__file__}, line {WRITE_LINE} (y[0] = y[0] * x[1])" in err.message
    assert not GENERATED.search(str(err)), str(err)


def test_the_hint_out_of_place_write_has_second_derivatives():
    def f_where(x):
        y = x * 2.0
        for _ in range(2):
            y = np.where(np.arange(len(y)) == 0, y[0] * x[1], y)
        return np.sum(y**2)

    x = np.array([1.0, 2.0, 3.0])
    h = srcgrad.hessian(f_where)(x)
    eps, d = 1e-5, srcgrad.grad(f)
    numeric = np.stack([(d(x + eps * e) - d(x - eps * e)) / (2 * eps) for e in np.eye(3)], axis=1)
    np.testing.assert_allclose(h, numeric, rtol=1e-6, atol=1e-5)
    # f = 4 x0^2 x1^4 + 4 x1^2 + 4 x2^2, at (1, 2, 3)
    np.testing.assert_allclose(h, [[128.0, 256.0, 0.0], [256.0, 200.0, 0.0], [0.0, 0.0, 8.0]], rtol=1e-9)


def test_a_write_outside_loops_has_second_derivatives():
    """Outside loops, the gradient made to be differentiated again writes out of place (the array saved
    whole), so the same write as ``f``'s, made once, is differentiated twice."""

    def once(x):
        y = x * 2.0
        y[0] = y[0] * x[1]
        return np.sum(y**2)

    x = np.array([1.0, 2.0, 3.0])
    # once = 4 x0^2 x1^2 + 4 x1^2 + 4 x2^2, at (1, 2, 3)
    expected = [[32.0, 32.0, 0.0], [32.0, 16.0, 0.0], [0.0, 0.0, 8.0]]
    np.testing.assert_allclose(srcgrad.hessian(once)(x), expected, rtol=1e-9)
    d_once = srcgrad.grad(once)
    row = srcgrad.grad(lambda z: np.sum(d_once(z) * np.array([1.0, -2.0, 0.5])))(x)
    np.testing.assert_allclose(row, np.array([1.0, -2.0, 0.5]) @ np.array(expected), rtol=1e-9)
