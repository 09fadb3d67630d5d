"""``for a, b in zip(*seq)``: a loop over the items of a tuple the compiler knows, spread into ``zip``.

HIPS autograd's Gaussian-mixture example loops ``for p, m, c in zip(*unpack(params))`` over the arrays a helper
returns; static mode refused the ``*`` with "the expression 'Starred' is not supported". Both modes are checked
against central finite differences; a ``*`` whose items the compiler cannot know stays a refusal at the line.
"""

import numpy as np
import pytest

import srcgrad
from srcgrad import TransformError


def unpack(x, M):
    return np.tanh(x), M * 2.0


def loop_over_unpacked(x, M):
    total = 0.0
    for a, row in zip(*unpack(x, M)):
        total = total + a * np.sum(row**2)
    return total


def loop_over_local_tuple(x, M):
    parts = (np.sin(x), M[:, 0], M[:, 1])
    total = 0.0
    for a, b, c in zip(*parts):
        total = total + a * b - c * c * a
    return total


def loop_over_array_rows(M):
    total = 0.0
    for a, b in zip(*M):
        total = total + a * b
    return total


X = np.array([0.3, -0.5, 0.9])
M = np.arange(6.0).reshape(3, 2) / 7 - 0.2


def finite_difference(f, args, i, h=1e-6):
    grad = np.zeros_like(args[i])
    for k in np.ndindex(args[i].shape):
        plus, minus = [a.copy() for a in args], [a.copy() for a in args]
        plus[i][k] += h
        minus[i][k] -= h
        grad[k] = (f(*plus) - f(*minus)) / (2 * h)
    return grad


@pytest.mark.parametrize("f", [loop_over_unpacked, loop_over_local_tuple])
def test_static_gradient_matches_finite_differences(f):
    dx, dM = srcgrad.grad(f, wrt=(0, 1))(X, M)
    np.testing.assert_allclose(dx, finite_difference(f, [X, M], 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dM, finite_difference(f, [X, M], 1), rtol=1e-6, atol=1e-8)
    assert np.any(dM != 0) and np.any(dx != 0)


@pytest.mark.parametrize("f", [loop_over_unpacked, loop_over_local_tuple])
def test_dynamic_gradient_matches_finite_differences(f):
    x, m = srcgrad.tensor(X, requires_grad=True), srcgrad.tensor(M, requires_grad=True)
    f(x, m).backward()
    np.testing.assert_allclose(x.grad.numpy(), finite_difference(f, [X, M], 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(m.grad.numpy(), finite_difference(f, [X, M], 1), rtol=1e-6, atol=1e-8)


def test_value_matches_the_plain_function():
    value, _ = srcgrad.value_and_grad(loop_over_unpacked)(X, M)
    assert value == pytest.approx(loop_over_unpacked(X, M), rel=1e-12)


def test_spread_of_an_array_is_refused_at_the_line():
    with pytest.raises(TransformError, match=r"\*M in a call") as info:
        srcgrad.grad(loop_over_array_rows)(np.ones((2, 3)))
    assert "test_compiler_zip_spread.py" in str(info.value)
    assert "for a, b in zip(*M):" in str(info.value)
