"""A helper's parameter given None (its default, or None written in the call) and never rebound is known while
compiling: ``if ax:`` and ``if scale is not None:`` are left out, ``if scale is None:`` is taken. HIPS autograd's
fluid simulations draw the state in a branch of the simulated step (``if ax: plot_matrix(ax, smoke)``, never
taken when the gradient is asked for); static mode refused the drawing call ("discards its result")."""

import numpy as np
import pytest

import srcgrad
from srcgrad import TransformError


def draw(ax, m):
    ax.plot(m)


def step(x, ax=None, scale=None):
    y = np.sin(x) * 2.0
    if ax:
        draw(ax, y)
    if scale is not None:
        y = y * scale
    if scale is None:
        y = y + x * x
    if not ax:
        y = y - x
    return y


def defaults(x):
    return np.sum(step(x))


def none_written(x):
    return np.sum(step(x, None, None))


def scaled(x):
    return np.sum(step(x, scale=3.0))


def drawing(x, ax):
    return np.sum(step(x, ax))


X = np.array([0.1, -0.4, 0.7])


def expected_defaults(x):
    return 2 * np.cos(x) + 2 * x - 1


def expected_scaled(x):
    return 6 * np.cos(x) - 1


def finite_difference(f, x, h=1e-6):
    return np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(x.size)])


@pytest.mark.parametrize(
    "f, expected", [(defaults, expected_defaults), (none_written, expected_defaults), (scaled, expected_scaled)]
)
def test_static_and_dynamic_against_hand_and_finite_differences(f, expected):
    g = srcgrad.grad(f)(X)
    np.testing.assert_allclose(g, expected(X), rtol=1e-12)
    np.testing.assert_allclose(g, finite_difference(f, X), rtol=1e-6)
    t = srcgrad.tensor(X, requires_grad=True)
    f(t).backward()
    np.testing.assert_allclose(t.grad.numpy(), expected(X), rtol=1e-12)


def test_the_branch_left_out_is_not_in_the_generated_code():
    source = srcgrad.grad(defaults).source
    assert "draw" not in source and "plot" not in source
    assert "scale" not in source


def test_an_argument_that_is_not_none_is_still_read():
    class Axes:
        def plot(self, m):
            pass

    with pytest.raises(TransformError, match="whose result is discarded"):
        srcgrad.grad(drawing)(X, Axes())
