"""The two modes agree: srcgrad.grad (compiled) and Tensors (the tape) on one corpus of plain numpy functions."""

import numpy as np
import pytest

import srcgrad
from srcgrad.compiler import grad


def elementwise(x, w):
    return np.sum(np.tanh(x * w) + np.exp(-x * x) * np.sin(w))


def reductions(x, w):
    m = np.reshape(x, (2, 3))
    return np.sum(np.mean(m, axis=0) * w[:3]) + np.max(m) * np.sum(w)


def matrix(x, w):
    a = np.reshape(x, (2, 3))
    b = np.reshape(w, (3, 2))
    return np.sum(np.maximum(0.0, a @ b) ** 2)


def loop_and_branch(x, w):
    h = x
    for i in range(3):
        h = np.tanh(h * w + 0.1 * i)
        if np.sum(h) > 0:
            h = h * 0.5
    return np.sum(h * h)


def indexing(x, w):
    y = x[1:4] * w[0:3]
    return np.sum(y * y) + x[0] * w[5]


def softplus_like(x, w):
    z = x * w
    return np.sum(np.log1p(np.exp(-np.abs(z))) + np.maximum(z, 0.0))


CORPUS = [elementwise, reductions, matrix, loop_and_branch, indexing, softplus_like]


@pytest.mark.parametrize("fn", CORPUS, ids=lambda f: f.__name__)
def test_compiled_and_tape_gradients_agree(fn, rng):
    x, w = rng.normal(size=6), rng.normal(size=6)
    gx, gw = grad(fn, wrt=(0, 1))(x, w)
    tx = srcgrad.tensor(x, requires_grad=True)
    tw = srcgrad.tensor(w, requires_grad=True)
    out = fn(tx, tw)
    out.backward()
    np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gw, tw.grad.numpy(), rtol=1e-10, atol=1e-12)
    # and both against finite differences, so agreement is not a shared mistake
    eps = 1e-6
    num = np.array([(fn(x + eps * e, w) - fn(x - eps * e, w)) / (2 * eps) for e in np.eye(6)])
    np.testing.assert_allclose(gx, num, rtol=1e-5, atol=1e-7)
