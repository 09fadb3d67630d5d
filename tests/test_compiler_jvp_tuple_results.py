"""``srcgrad.jvp`` of a function returning several values: one tangent per value, as a tuple.

Forward mode pushes one tangent through to every output, so ``return a, b`` needs nothing more than the
single-output case; reverse mode needs one cotangent per output, and ``srcgrad.grad`` keeps refusing it. Each
tangent is checked against central finite differences along the tangent, and against dynamic mode's
``srcgrad.autograd.functional.jvp`` of the same function on Tensors.
"""

import numpy as np
import pytest

import srcgrad
from srcgrad.autograd.functional import jvp as dynamic_jvp
from srcgrad.errors import TransformError

X = np.array([0.5, -0.7, 0.9])
T = np.array([0.3, 1.1, -0.4])


def two_values(x):
    return 2.0 * x, x


def three_values_of_several_kinds(x):
    y = np.sin(x)
    return y * x, np.sum(y * y), np.cos(x[0]) * 3.0


def values_chosen_by_a_branch(x):
    if np.sum(x) > 0:
        return x * x, np.tanh(x)
    return np.exp(x), x[::-1] * 2.0


def directional_fd(f, x, t, eps=1e-6):
    plus, minus = f(x + eps * t), f(x - eps * t)
    return tuple((np.asarray(p) - np.asarray(m)) / (2 * eps) for p, m in zip(plus, minus))


@pytest.mark.parametrize("f", [two_values, three_values_of_several_kinds, values_chosen_by_a_branch])
@pytest.mark.parametrize("x", [X, -X])
def test_jvp_of_several_values(f, x):
    value, tangent = srcgrad.jvp(f)(x, T)
    assert isinstance(value, tuple) and isinstance(tangent, tuple)
    expected_value = f(x)
    assert len(value) == len(tangent) == len(expected_value)
    for got, exp in zip(value, expected_value):
        np.testing.assert_allclose(got, exp, rtol=1e-12)
    for got, exp in zip(tangent, directional_fd(f, x, T)):
        assert np.shape(got) == np.shape(exp)
        np.testing.assert_allclose(got, exp, rtol=1e-6, atol=1e-8)
    # dynamic mode: the same function on Tensors
    _, dynamic = dynamic_jvp(f, srcgrad.tensor(x), srcgrad.tensor(T))
    for got, exp in zip(tangent, dynamic):
        np.testing.assert_allclose(got, exp.numpy(), rtol=1e-12, atol=1e-14)


def test_a_returned_constant_gets_a_zero_tangent():
    def f(a):
        return a * a, 3.0

    value, tangent = srcgrad.jvp(f)(1.5, 2.0)
    assert value == (2.25, 3.0)
    assert tangent == (pytest.approx(6.0), 0.0)


def test_grad_of_several_values_is_still_refused():
    with pytest.raises(TransformError, match="returning one value; it returns a tuple"):
        srcgrad.grad(two_values)(X)


def pair_of(x):
    return list((x, x * x))


PAIR_JVP = srcgrad.jvp(pair_of)


def tangent_of_pair(x, t):
    value, tangent = PAIR_JVP(x, t)
    return tangent


def test_a_jvp_of_list_of_a_tuple_called_inside_a_function_differentiated_again():
    # HIPS autograd's test_list.py::test_make_list at second order: the JVP of a function returning
    # list((...)) unpacked inside a function srcgrad.jvp differentiates (once refused as a second name for a list)
    x, t, dx, dt = 1.5, 0.5, 1.0, 2.0
    value, tangent = srcgrad.jvp(tangent_of_pair, wrt=(0, 1))(x, t, (dx, dt))
    np.testing.assert_allclose(value, [t, 2 * x * t])
    # d/dx and d/dt of (t, 2 x t) along (dx, dt)
    np.testing.assert_allclose(tangent, [dt, 2 * t * dx + 2 * x * dt])
