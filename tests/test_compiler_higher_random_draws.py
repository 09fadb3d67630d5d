"""A Hessian or Jacobian made of several passes (one hvp per column, one gradient or JVP per row or column)
gives the derivative of one call of a function that draws random numbers: every pass sees the draws of that
call, as PyTorch's autograd.functional.hessian (one forward pass) does, and the generators end where one call
leaves them. Each pass once drew anew, so each column belonged to another function (no error)."""

import random

import numpy as np
import pytest

import srcgrad
from srcgrad.autograd import functional

rs = np.random.RandomState(0)
gen = np.random.default_rng(0)


def from_global_randomstate(x):
    z = rs.normal(size=3)
    return np.sum(x**2 * z)


def from_numpy_global(x):
    z = np.random.normal(size=3)
    return np.sum(x**2 * z)


def from_global_generator(x):
    z = gen.normal(size=3)
    return np.sum(x**2 * z)


def from_python_random(x):
    z = np.array([random.gauss(0.0, 1.0) for _ in range(3)])
    return np.sum(x**2 * z)


def vector_from_global_randomstate(x):
    z = rs.normal(size=(2, 3))
    return z @ (x**2)


X = np.array([1.0, 2.0, -0.5])


def _seed_all():
    rs.seed(3)
    np.random.seed(3)
    random.seed(3)
    global gen
    gen = np.random.default_rng(3)


def _one_call_draws(fn):
    """The Hessian of sum(x**2 * z) is diag(2 z); z[k] is the value at the k-th unit vector, each call made
    from the same seeds."""
    z = []
    for e in np.eye(3):
        _seed_all()
        z.append(fn(e))
    return 2 * np.array(z)


@pytest.mark.parametrize("fn", [from_global_randomstate, from_numpy_global, from_global_generator, from_python_random])
def test_hessian_sees_one_calls_draws(fn):
    want = np.diag(_one_call_draws(fn))
    _seed_all()
    got = srcgrad.hessian(fn)(X)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_generators_end_where_one_call_leaves_them():
    _seed_all()
    srcgrad.hessian(from_global_randomstate)(X)
    after_hessian = rs.normal(size=4)
    _seed_all()
    from_global_randomstate(X)
    after_one_call = rs.normal(size=4)
    np.testing.assert_array_equal(after_hessian, after_one_call)


def test_jacobian_of_the_gradient_and_of_a_vector_function():
    want = np.diag(_one_call_draws(from_global_randomstate))
    _seed_all()
    np.testing.assert_allclose(srcgrad.jacobian(srcgrad.grad(from_global_randomstate))(X), want, rtol=1e-12)
    _seed_all()
    z = rs.normal(size=(2, 3))
    _seed_all()
    got = srcgrad.jacobian(vector_from_global_randomstate)(X)  # rows: output smaller than input
    np.testing.assert_allclose(got, z * 2 * X, rtol=1e-12)


def test_dynamic_mode_agrees():
    _seed_all()
    got = srcgrad.hessian(from_global_randomstate)(X)
    _seed_all()
    dyn = functional.hessian(from_global_randomstate, srcgrad.tensor(X))
    np.testing.assert_allclose(got, np.asarray(dyn.detach().numpy() if hasattr(dyn, "detach") else dyn), rtol=1e-12)
