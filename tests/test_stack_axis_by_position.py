"""np.concatenate / np.stack of a list with the axis given by position (np.concatenate((a, x, a), 1)), in
both modes against finite differences."""

import numpy as np
import pytest

import srcgrad

B = np.linspace(-1.0, 1.0, 24).reshape(2, 3, 4)
W = np.arange(72.0).reshape(2, 9, 4) / 72


def concatenated(x):
    return np.sum(np.sin(np.concatenate((B, x, B), 1)) * W)


def stacked(x):
    return np.sum(np.stack([x, x * x, B], 3) * np.arange(3.0))


def _fd(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


@pytest.mark.parametrize("f", [concatenated, stacked])
def test_axis_by_position(f):
    x0 = np.random.default_rng(5).normal(size=(2, 3, 4))
    want = _fd(f, x0)
    np.testing.assert_allclose(srcgrad.grad(f)(x0), want, rtol=1e-6, atol=1e-7)
    x = srcgrad.tensor(x0, requires_grad=True)
    f(x).backward()
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-6, atol=1e-7)
