"""LBFGS: convergence on Rosenbrock and quadratics, the direction against dense BFGS, the line search."""

import numpy as np
import pytest

import srcgrad
from srcgrad import optim
from srcgrad.optim.lbfgs import cubic_interpolate, strong_wolfe


def rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def _minimise(loss_fn, x0, steps=5, **kwargs):
    x = srcgrad.tensor(x0, requires_grad=True)
    opt = optim.LBFGS([x], **kwargs)

    def closure():
        opt.zero_grad()
        loss = loss_fn(x)
        loss.backward()
        return loss

    for _ in range(steps):
        opt.step(closure)
    return x.detach().numpy(), opt


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_rosenbrock_to_1e_6(line_search_fn):
    x, opt = _minimise(
        rosenbrock,
        [-1.5, 2.0],
        steps=5,
        max_iter=200,
        line_search_fn=line_search_fn,
        tolerance_grad=1e-12,
        tolerance_change=1e-14,
    )
    np.testing.assert_allclose(x, [1.0, 1.0], atol=1e-6)
    assert opt.state[opt._params[0]]["n_iter"] < 200


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_quadratic_in_a_few_iterations(line_search_fn):
    rng = np.random.default_rng(3)
    m = rng.normal(size=(5, 5))
    a = m @ m.T + 5 * np.eye(5)
    b = rng.normal(size=5)
    solution = np.linalg.solve(a, b)
    at, bt = srcgrad.tensor(a), srcgrad.tensor(b)
    x, opt = _minimise(
        lambda x: 0.5 * (x @ (at @ x)) - bt @ x,
        np.zeros(5),
        steps=1,
        max_iter=15,
        line_search_fn=line_search_fn,
        tolerance_grad=1e-10,
        tolerance_change=1e-14,
    )
    np.testing.assert_allclose(x, solution, atol=1e-8)
    assert opt.state[opt._params[0]]["n_iter"] <= 15


def test_direction_matches_dense_bfgs_inverse_hessian():
    """Without line search, each iterate is x + lr * (-H g), with H the BFGS update of (s'y / y'y) I."""

    def f_and_grad(x):
        return rosenbrock(x), np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)])

    lr, iters = 0.2, 6
    x_ref = np.array([-1.2, 1.0])
    _, g = f_and_grad(x_ref)
    pairs = []
    d = t = g_prev = None
    for k in range(1, iters + 1):
        if k == 1:
            d = -g
            t = min(1.0, 1.0 / np.abs(g).sum()) * lr
        else:
            y, s = g - g_prev, t * d
            if y @ s > 1e-10:
                pairs.append((s, y))
            s_last, y_last = pairs[-1]
            h = (s_last @ y_last) / (y_last @ y_last) * np.eye(2)
            for s_i, y_i in pairs:
                rho = 1.0 / (y_i @ s_i)
                v = np.eye(2) - rho * np.outer(y_i, s_i)
                h = v.T @ h @ v + rho * np.outer(s_i, s_i)
            d = -h @ g
            t = lr
        g_prev = g
        x_ref = x_ref + t * d
        _, g = f_and_grad(x_ref)

    x, _ = _minimise(rosenbrock, [-1.2, 1.0], steps=1, lr=lr, max_iter=iters, tolerance_grad=0.0, tolerance_change=0.0)
    np.testing.assert_allclose(x, x_ref, rtol=1e-10)


def test_history_size_limits_memory():
    x, opt = _minimise(rosenbrock, [-1.5, 2.0], steps=1, max_iter=30, history_size=3, line_search_fn="strong_wolfe")
    state = opt.state[opt._params[0]]
    assert len(state["old_dirs"]) <= 3 and len(state["old_stps"]) == len(state["ro"]) <= 3


def test_returns_first_loss_and_counts_evaluations():
    calls = []
    x = srcgrad.tensor([-1.5, 2.0], requires_grad=True)
    opt = optim.LBFGS([x], max_iter=4)

    def closure():
        opt.zero_grad()
        loss = rosenbrock(x)
        loss.backward()
        calls.append(float(loss))
        return loss

    loss = opt.step(closure)
    assert float(loss) == calls[0] == pytest.approx(rosenbrock(np.array([-1.5, 2.0])))
    assert opt.state[x]["func_evals"] == len(calls) and opt.state[x]["n_iter"] == 4


def test_stops_at_once_when_gradient_is_zero():
    x, opt = _minimise(rosenbrock, [1.0, 1.0], steps=1)
    assert x.tolist() == [1.0, 1.0] and opt.state[opt._params[0]]["n_iter"] == 0


def test_state_dict_resumes_exactly(tmp_path):
    def run(split):
        x = srcgrad.tensor([-1.5, 2.0], requires_grad=True)
        opt = optim.LBFGS([x], max_iter=5, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = rosenbrock(x)
            loss.backward()
            return loss

        for i in range(4):
            if split and i == 2:
                srcgrad.save({"x": x.detach(), "opt": opt.state_dict()}, tmp_path / "lbfgs.npz")
                saved = srcgrad.load(tmp_path / "lbfgs.npz")
                x = srcgrad.tensor(saved["x"], requires_grad=True)
                opt = optim.LBFGS([x])
                opt.load_state_dict(saved["opt"])
            opt.step(closure)
        return x.detach().numpy()

    assert np.array_equal(run(False), run(True))


def test_one_group_only_and_known_line_search():
    a = srcgrad.tensor([1.0], requires_grad=True)
    b = srcgrad.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [a]}, {"params": [b]}])
    with pytest.raises(ValueError, match="strong_wolfe"):
        optim.LBFGS([a], line_search_fn="backtracking")


def test_cubic_interpolate_is_exact_on_a_cubic():
    # p(x) = x^3 - 3x has its local minimum at x = 1
    p, dp = (lambda x: x**3 - 3 * x), (lambda x: 3 * x**2 - 3)
    assert cubic_interpolate(0.0, p(0.0), dp(0.0), 2.0, p(2.0), dp(2.0)) == pytest.approx(1.0)
    assert cubic_interpolate(2.0, p(2.0), dp(2.0), 0.0, p(0.0), dp(0.0)) == pytest.approx(1.0)
    # clamped into the bounds
    assert cubic_interpolate(0.0, p(0.0), dp(0.0), 2.0, p(2.0), dp(2.0), bounds=(1.5, 3.0)) == 1.5
    # p(x) = x^3 + x is monotone, with no minimiser: the middle of the bounds
    assert cubic_interpolate(0.0, 0.0, 1.0, 1.0, 2.0, 4.0, bounds=(0.0, 4.0)) == 2.0


def test_strong_wolfe_step_satisfies_the_conditions():
    def grad(x):
        return np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)])

    def obj_func(x, t, d):
        z = x + t * d
        return float(rosenbrock(z)), grad(z)

    x = np.array([-1.2, 1.0])
    g = grad(x)
    d = -g
    f, gtd = float(rosenbrock(x)), float(g @ d)
    c1, c2 = 1e-4, 0.9
    for t0 in (1.0, 1e-3, 10.0):
        f_new, g_new, t, evals = strong_wolfe(obj_func, x, t0, d, f, g, gtd, c1=c1, c2=c2)
        assert f_new <= f + c1 * t * gtd
        assert abs(g_new @ d) <= -c2 * gtd
        assert f_new == pytest.approx(rosenbrock(x + t * d)) and evals >= 1
