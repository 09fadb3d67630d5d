"""Several lambdas on one line: the compiler differentiates the one it was given, or says it cannot tell.

A lambda's code object knows only its first line, so the compiler finds its
text among the lambdas on that line. Taking the first one that has the right
parameters differentiated ``z ** 2`` when the user asked for ``z ** 3``: a wrong
gradient without an error. Each gradient here is checked against central
finite differences of the very function object handed to ``srcgrad.grad``.
"""

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import TransformError

X = np.array([0.5, 1.5, -2.0])

POWERS = [lambda z: np.sum(z**2), lambda z: np.sum(z**3), lambda z: np.sum(z**4)]
SAME_NAMES = [lambda z: np.sum(z - 1.0), lambda z: np.sum(z + 1.0) * np.sum(z)]
FUNCTIONS = [lambda z: np.sum(np.sin(z)), lambda z: np.sum(np.cos(z)), lambda z: np.sum(np.exp(z))]


def _finite_differences(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in range(x.size):
        step = np.zeros_like(x)
        step[i] = eps
        grad[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


def _closures(a, b):
    return [lambda z: np.sum(z * a), lambda z: np.sum(z * b)]


def _closure_and_global(a):
    return [lambda z: np.sum(np.tanh(z) * a), lambda z: np.sum(np.tanh(z) * X)]


@pytest.mark.parametrize(
    "f",
    POWERS + SAME_NAMES + FUNCTIONS + _closures(2.0, -3.0) + _closure_and_global(4.0),
    ids=[f"powers{i}" for i in range(3)]
    + [f"same_names{i}" for i in range(2)]
    + ["sin", "cos", "exp"]
    + ["closure_a", "closure_b", "closure", "global"],
)
def test_each_lambda_on_a_shared_line_gets_its_own_gradient(f):
    np.testing.assert_allclose(srcgrad.grad(f)(X), _finite_differences(f, X), rtol=1e-6, atol=1e-8)


def test_a_lambda_inside_a_lambda_is_told_apart_from_it():
    make = lambda: srcgrad.grad(lambda z: np.sum(np.sin(z) * z))  # noqa: E731
    inner = lambda z: np.sum(np.sin(z) * z)  # noqa: E731
    np.testing.assert_allclose(make()(X), _finite_differences(inner, X), rtol=1e-6, atol=1e-8)


def test_lambdas_that_differ_only_in_defaults_are_refused_at_their_line():
    pair = [lambda z, k=2.0: np.sum(z * k), lambda z, k=3.0: np.sum(z * k)]  # same code, different defaults
    with pytest.raises(TransformError) as info:
        srcgrad.grad(pair[1])(X)
    message = str(info.value)
    assert "test_compiler_lambdas_on_one_line.py" in message
    assert "lambdas on line" in message and "cannot tell which one" in message


def test_a_lambda_in_a_line_that_does_not_parse_alone_is_refused_at_its_line():
    for make in [lambda: srcgrad.grad(lambda z: np.sum(z**3))]:  # the `for` line does not parse without its body
        with pytest.raises(TransformError) as info:
            make()(X)
    message = str(info.value)
    assert "test_compiler_lambdas_on_one_line.py" in message and "do not parse" in message
