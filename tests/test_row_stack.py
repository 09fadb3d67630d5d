"""``np.row_stack``, numpy's second name for ``np.vstack`` (deprecated since numpy 2.0, still there in 2.4): the
compiler reads it as ``np.vstack``; on Tensors numpy's own ``row_stack`` calls ``np.vstack``, which records.
Checked against finite differences in both modes, for a tuple built in the function and one passed in."""

import warnings

import numpy as np
import pytest

import srcgrad

pytestmark = pytest.mark.skipif(not hasattr(np, "row_stack"), reason="this numpy has no np.row_stack")

W = np.random.default_rng(3).normal(size=(4, 3))


def row_stack_quietly(xs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return np.row_stack(xs)


def built_inside(x, y):
    return np.sum(np.sin(np.row_stack((x, y))) * W)


def passed_in(xs):
    return np.sum(np.sin(np.row_stack(xs)) * W)


def fd(f, args, i, eps=1e-6):
    """Central differences of ``f`` with respect to ``args[i]``."""
    x = np.array(args[i], dtype=float)
    out = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        for sign in (1, -1):
            moved = x.copy()
            moved[k] += sign * eps
            out[k] += sign * f(*args[:i], moved, *args[i + 1 :]) / (2 * eps)
    return out


def quiet(f):
    def run(*args):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return f(*args)

    return run


def test_static_row_stack_of_a_tuple_built_inside():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(3, 3)), rng.normal(size=3)
    dx, dy = quiet(srcgrad.grad(built_inside, wrt=(0, 1)))(x, y)
    np.testing.assert_allclose(dx, fd(quiet(built_inside), (x, y), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dy, fd(quiet(built_inside), (x, y), 1), rtol=1e-6, atol=1e-8)


def test_static_row_stack_of_a_tuple_argument():
    rng = np.random.default_rng(1)
    xs = (rng.normal(size=(2, 3)), rng.normal(size=(2, 3)))
    d = quiet(srcgrad.grad(passed_in))(xs)
    expected = fd(lambda a: quiet(passed_in)((a[0], a[1])), (np.array(xs),), 0)
    np.testing.assert_allclose(np.array(d), expected, rtol=1e-6, atol=1e-8)


def test_static_generated_code_reads_the_users_call():
    assert "np.row_stack(" in srcgrad.grad(built_inside).source_for(np.ones((3, 3)), np.ones(3))


def test_dynamic_row_stack():
    rng = np.random.default_rng(2)
    x0, y0 = rng.normal(size=(3, 3)), rng.normal(size=3)
    x, y = srcgrad.tensor(x0, requires_grad=True), srcgrad.tensor(y0, requires_grad=True)
    loss = np.sum(np.sin(row_stack_quietly((x, y))) * W)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), fd(quiet(built_inside), (x0, y0), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(y.grad.numpy(), fd(quiet(built_inside), (x0, y0), 1), rtol=1e-6, atol=1e-8)
