"""np.max/np.min of complex values in both modes, against finite differences.

numpy orders complex values by real part, then imaginary part; the extreme is one of the elements, so
its cotangent goes to that element. The gradient of a real loss with respect to a complex ``z`` is
``dL/dx + i dL/dy`` (PyTorch's convention), checked on the real and imaginary parts separately.
"""

import numpy as np
import pytest

import srcgrad

W = np.array([0.7 - 0.2j, -0.4 + 1.1j, 0.3 + 0.5j])


def loss_max(z):
    return np.real(np.sum(np.max(z, axis=1) * np.conj(W)) + np.max(z) * np.min(z))


def loss_min(z):
    return np.real(np.sum(np.min(z, axis=1) * W) ** 2)


def _fd(f, z, eps=1e-6):
    g = np.zeros_like(z)
    for i in np.ndindex(z.shape):
        e = np.zeros(z.shape)
        e[i] = eps
        dx = (f(z + e) - f(z - e)) / (2 * eps)
        dy = (f(z + 1j * e) - f(z - 1j * e)) / (2 * eps)
        g[i] = dx + 1j * dy
    return g


def _point():
    rng = np.random.default_rng(11)
    return rng.normal(size=(3, 4)) + 1j * rng.normal(size=(3, 4))


@pytest.mark.parametrize("loss", [loss_max, loss_min])
def test_static(loss):
    z = _point()
    np.testing.assert_allclose(srcgrad.grad(loss)(z), _fd(loss, z), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("loss", [loss_max, loss_min])
def test_dynamic(loss):
    z0 = _point()
    z = srcgrad.tensor(z0, requires_grad=True)
    loss(z).backward()
    np.testing.assert_allclose(z.grad.numpy(), _fd(loss, z0), rtol=1e-6, atol=1e-8)
