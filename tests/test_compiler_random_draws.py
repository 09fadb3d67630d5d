"""Random draws in the differentiated function: each drawn once, where the function draws it, and kept.

Before, a draw inside a loop (``h = np.tanh(h * rs.randn(3))``, a global generator's, ``np.random.randn``'s or a
``Generator``'s) was read as the same value in every iteration, because it reads nothing the loop changes: the
adjoint used the last iteration's numbers for all of them, a wrong gradient without an error. ``optimize`` also
removed a draw whose value nothing read (``a = rs.randn(3)``), so the draws after it differed from the
function's. A generator made inside the function (``rng = np.random.RandomState(0)``, HIPS autograd's
``test_cholesky_reparameterization_trick``) was refused. ``grad(checkpoint=True)`` would run a loop that draws
again from a snapshot: it now stores that loop's iterations and says why (``CheckpointWarning``).

Each check replays the generator's state before every evaluation, so central finite differences, dynamic mode
and the compiled gradient see the same draws.
"""

import warnings

import numpy as np
import pytest

import srcgrad

rs = np.random.RandomState(0)


def reset():
    global rs
    rs = np.random.RandomState(0)
    np.random.seed(5)


def global_generator_in_a_loop(x):
    h = x
    for i in range(6):
        h = np.tanh(h * rs.randn(3))
    return np.sum(h)


def numpy_random_in_a_loop(x):
    h = x
    for i in range(4):
        z = np.random.randn(3)
        h = np.sin(h * z + i)
    return np.sum(h)


def mask_drawn_in_a_loop(x):
    h = x
    for i in range(4):
        keep = rs.rand(3) > 0.5
        h = np.where(keep, h * h, np.cos(h))
    return np.sum(h)


def unused_draw(x):
    skipped = rs.randn(3)
    z = rs.randn(3)
    return np.sum(x * z)


def generator_made_inside(x):
    rng = np.random.default_rng(1)
    h = x
    for i in range(5):
        h = np.sin(h * rng.normal(size=3))
    return np.sum(h)


def cholesky_reparameterization(A):
    rng = np.random.RandomState(0)
    z = np.dot(np.linalg.cholesky(A), rng.randn(A.shape[0]))
    return np.linalg.norm(z)


def while_loop_draws(x):
    h = x
    k = 0
    while k < 4:
        h = h * rs.uniform(0.5, 1.5, size=3) + 0.1
        k = k + 1
    return np.sum(h * h)


X = np.array([0.3, -0.2, 0.5])
A = np.array([[2.0, 0.3, 0.1], [0.3, 1.5, 0.2], [0.1, 0.2, 1.8]])
CASES = [
    (global_generator_in_a_loop, X),
    (numpy_random_in_a_loop, X),
    (mask_drawn_in_a_loop, X),
    (unused_draw, X),
    (generator_made_inside, X),
    (cholesky_reparameterization, A),
    (while_loop_draws, X),
]
IDS = [f.__name__ for f, _ in CASES]


def central(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for k in range(x.size):
        e = np.zeros_like(x)
        e.flat[k] = eps
        reset()
        up = f(x + e)
        reset()
        down = f(x - e)
        g.flat[k] = (up - down) / (2 * eps)
    return g


def dynamic(f, x):
    reset()
    t = srcgrad.tensor(x, requires_grad=True)
    f(t).backward()
    return t.grad.numpy()


@pytest.mark.parametrize("f, x", CASES, ids=IDS)
@pytest.mark.parametrize("checkpoint", [False, True, 2])
def test_gradient_against_finite_differences_and_dynamic_mode(f, x, checkpoint):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", srcgrad.CheckpointWarning)
        df = srcgrad.grad(f, checkpoint=checkpoint)
        reset()
        got = df(x)
    np.testing.assert_allclose(got, central(f, x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got, dynamic(f, x), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("f, x", CASES, ids=IDS)
def test_jvp_against_finite_differences(f, x):
    v = np.linspace(0.5, -0.7, x.size).reshape(x.shape)
    reset()
    value, tangent = srcgrad.jvp(f)(x, v)
    reset()
    assert value == f(x)
    assert np.isclose(tangent, np.sum(central(f, x) * v), rtol=1e-6, atol=1e-8)


def test_second_derivative_of_a_loop_that_draws():
    def hessian_row(x):
        return srcgrad.grad(global_generator_in_a_loop)(x)[0]

    reset()
    got = srcgrad.grad(hessian_row)(X)
    reset()
    expected = central(hessian_row, X, eps=1e-5)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)


def test_every_draw_is_saved_and_none_removed():
    reset()
    code = srcgrad.grad(unused_draw).source_for(X)
    assert "skipped = rs.randn(3)" in code
    code = srcgrad.grad(global_generator_in_a_loop).source_for(X)
    assert code.count("push(") == 2  # h and the draw, each iteration


def test_the_generator_moves_on_as_the_function_moves_it():
    reset()
    srcgrad.grad(unused_draw)(X)
    after_gradient = rs.randn()
    reset()
    unused_draw(X)
    assert after_gradient == rs.randn()


def test_checkpoint_stores_a_loop_that_draws_and_says_why():
    df = srcgrad.grad(global_generator_in_a_loop, checkpoint=True)
    with pytest.warns(srcgrad.CheckpointWarning, match="it draws random numbers"):
        df(X)
    assert "not checkpointed (it draws random numbers" in df.source_for(X)


def reparameterized(mu):
    return np.sum(rs.normal(mu, 1.0))


def test_a_draw_given_a_differentiated_value_is_refused_at_its_line():
    with pytest.raises(srcgrad.TransformError, match=r"line \d+: the random draw rs.normal\(mu, 1.0\) is given"):
        srcgrad.grad(reparameterized)(X)


def draws_kept_by_no_name(x):
    rs.randn(2)
    h = x
    for i in range(3):
        rs.randn()
        h = h * rs.randn(3) + np.sin(h)
    return np.sum(h)


def test_draws_as_statements_of_their_own_run_where_the_function_runs_them():
    # a draw whose numbers nothing keeps still moves the generator on (it was refused: 'the call of randn
    # discards its result'; optimize leaves a dead draw this way, so a gradient read again met it too)
    reset()
    got = srcgrad.grad(draws_kept_by_no_name)(X)
    np.testing.assert_allclose(got, central(draws_kept_by_no_name, X), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got, dynamic(draws_kept_by_no_name, X), rtol=1e-10, atol=1e-12)


def unused_draw_read_again(x):
    c = np.random.randn(3, 2)
    return np.sum(np.r_[x] ** 2)


def test_a_jvp_of_a_jvp_through_an_unused_draw():
    # HIPS autograd's test_numpy.py::test_r_basic at second order: the JVP keeps the unused draw as a statement
    jf = srcgrad.jvp(unused_draw_read_again)

    def tangent(x, v):
        return jf(x, v)[1]

    a = np.linspace(-1.0, 1.0, 6).reshape(3, 2)
    v, w = np.ones((3, 2)), np.linspace(0.3, -0.4, 6).reshape(3, 2)
    value, second = srcgrad.jvp(tangent, wrt=(0, 1))(a, v, (w, w))
    assert value == pytest.approx(np.sum(2 * a * v))
    assert second == pytest.approx(np.sum(2 * w * v + 2 * a * w))
