"""A random generator passed to a helper (``sample(mean, n, rs)`` calling ``rs.randn(n, 2)``) draws with no
derivative, as a global generator's draws already did; static mode refused it ("the method .randn() of a local
value is not supported"), as in HIPS autograd's mixture_variational_inference.py example.

Each check replays the generator's state, so the expected gradient is computed by hand from the same draws.
"""

import numpy as np

import srcgrad

rs = np.random.RandomState(0)


def sample(mean, n, rs):
    return rs.randn(n, 2) * 0.5 + mean


def loss(mean):
    s = sample(mean, 5, rs)
    return np.sum(np.sin(s))


def make_loss(generator):
    def draw(params, rng):
        return params[0] + np.exp(params[1]) * rng.standard_normal(4)

    def objective(params):
        return np.sum(draw(params, generator) ** 2)

    return objective


MEAN = np.array([0.3, -0.7])


def expected_loss_gradient(generator, state):
    generator.set_state(state)
    s = generator.randn(5, 2) * 0.5 + MEAN
    return np.sum(np.cos(s), axis=0)


def test_static_gradient_uses_the_generators_draws():
    state = rs.get_state()
    g = srcgrad.grad(loss)(MEAN)
    np.testing.assert_allclose(g, expected_loss_gradient(rs, state), rtol=1e-12)


def test_dynamic_gradient_uses_the_generators_draws():
    state = rs.get_state()
    m = srcgrad.tensor(MEAN, requires_grad=True)
    loss(m).backward()
    np.testing.assert_allclose(m.grad.numpy(), expected_loss_gradient(rs, state), rtol=1e-12)


def test_a_new_global_generator_is_followed():
    global rs
    df = srcgrad.grad(loss)
    df(MEAN)
    saved = rs
    try:
        rs = np.random.RandomState(7)
        state = rs.get_state()
        np.testing.assert_allclose(df(MEAN), expected_loss_gradient(rs, state), rtol=1e-12)
    finally:
        rs = saved


def test_a_generator_in_a_closure_passed_on_in_both_modes():
    params = np.array([0.4, -0.3])
    generator = np.random.default_rng(3)
    f = make_loss(generator)
    state = generator.bit_generator.state
    g = srcgrad.grad(f)(params)
    generator.bit_generator.state = state
    z = generator.standard_normal(4)
    x = params[0] + np.exp(params[1]) * z
    expected = np.array([np.sum(2 * x), np.sum(2 * x * np.exp(params[1]) * z)])
    np.testing.assert_allclose(g, expected, rtol=1e-12)
    generator.bit_generator.state = state
    t = srcgrad.tensor(params, requires_grad=True)
    f(t).backward()
    np.testing.assert_allclose(t.grad.numpy(), expected, rtol=1e-12)
