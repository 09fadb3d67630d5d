"""Known and not yet fixed: a compiled gradient called, inside a function being differentiated, with a list or
tuple of arrays of several shapes built there (HIPS autograd's test_list.py/test_tuple.py::test_grads)."""

import numpy as np
import pytest

import srcgrad


def by_position(xs):
    return np.sum(np.sin(xs[0])) + np.sum(np.cos(xs[1]))


def calls_its_gradient(a, b):
    g = srcgrad.grad(by_position)([a, b])
    return np.sum(g[0]) + np.sum(np.sin(g[1]))


@pytest.mark.xfail(
    strict=True,
    raises=ValueError,
    reason="the gradient's code read again is its general form, which makes np.array of the list argument: "
    "numpy refuses rows of several shapes while the code runs (a bare ValueError, not a refusal at the line)",
)
def test_a_gradient_given_rows_of_several_shapes_inside_a_differentiated_function():
    a, b = np.array([0.3, -0.2, 0.5]), np.array([[0.1, 0.4], [0.7, -0.3]])
    srcgrad.grad(calls_its_gradient)(a, b)
