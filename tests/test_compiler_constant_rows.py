"""Second derivatives of ``np.array`` of nested lists with a row of constants, in static mode.

The JVP's code gives a list of constants the zero tangent ``[0.0 for e in row]`` (it wrote ``[0.0] * len(row)``,
list arithmetic the compiler refuses where it reads that code again: HIPS autograd's
``test_numpy.py::test_min_3_way_equality`` at second order). Judged by a central second difference of the
function itself and by the derivative written by hand (dynamic mode refuses ``np.array`` of a list holding
Tensors: tests/test_lists_of_tensors.py).
"""

import numpy as np
import pytest

import srcgrad

W = np.array([[0.3, -1.2], [0.7, 2.0], [1.1, -0.4]])


def rows(x):
    return np.sum(np.array([[x, 2.0], [0.5, 1.5], [x * x, x]]) ** 3 * W)


def rows_min(x):
    return np.sum(np.min(np.array([[x, 3.0 * x], [0.5, 1.5], [x * x, -x]]), axis=0) * W[0])


JVP_ROWS, JVP_ROWS_MIN = srcgrad.jvp(rows), srcgrad.jvp(rows_min)
GRAD_ROWS, GRAD_ROWS_MIN = srcgrad.grad(rows), srcgrad.grad(rows_min)


def tangent_rows(x):
    value, tangent = JVP_ROWS(x, 1.0)
    return tangent


def tangent_rows_min(x):
    value, tangent = JVP_ROWS_MIN(x, 1.0)
    return tangent


def gradient_rows(x):
    return GRAD_ROWS(x)


def gradient_rows_min(x):
    return GRAD_ROWS_MIN(x)


CASES = [(rows, tangent_rows), (rows, gradient_rows), (rows_min, tangent_rows_min), (rows_min, gradient_rows_min)]


@pytest.mark.parametrize("f, first", CASES, ids=[c[1].__name__ for c in CASES])
@pytest.mark.parametrize("x", [0.7, -1.3])
def test_second_derivative(f, first, x):
    got = srcgrad.grad(first)(x)
    h = 1e-4
    assert np.isclose(got, (f(x + h) - 2 * f(x) + f(x - h)) / h**2, rtol=1e-5, atol=1e-6)
    # by hand: the entries x, x * x and x of W's first column, third row's two columns
    if f is rows:
        assert np.isclose(got, 6 * x * W[0, 0] + 30 * x**4 * W[2, 0] + 6 * x * W[2, 1], rtol=1e-12)
