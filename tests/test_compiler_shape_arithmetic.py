"""Shape arithmetic read as having no derivative: ``(-1,) + np.shape(x)[1:]`` and ``(-1, 1) if np.ndim(x) < 2
else np.shape(x)``. The generated code of ``np.r_`` / ``np.c_`` spells its reshapes that way, so a derivative of
it (second order) was refused as tuple arithmetic; written by the user, it was refused at first order."""

import numpy as np
import pytest

import srcgrad

WEIGHTS = np.array([1.0, 2.0, -3.0])


def fd_grad(f, x, eps=1e-6):
    out = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = eps
        out.flat[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return out


def rows_joined(x):
    return np.sum(np.r_[x, 2 * x] ** 2 * np.r_[WEIGHTS, WEIGHTS])


def columns_joined(x):
    return np.sum(np.sin(np.c_[x, x**2]))


@pytest.mark.parametrize("f", [rows_joined, columns_joined])
def test_np_r_and_np_c_differentiated_twice(f):
    x = np.array([0.3, -1.2, 2.0])
    d = srcgrad.grad(f)
    j = srcgrad.jvp(f)

    def gradient_along_weights(x):
        return np.sum(d(x) * WEIGHTS)

    def tangent_along_ones(x):
        return j(x, np.ones_like(x))[1]

    for second in (gradient_along_weights, tangent_along_ones):
        np.testing.assert_allclose(srcgrad.grad(second)(x), fd_grad(second, x), rtol=1e-6, atol=1e-8)
        value, tangent = srcgrad.jvp(second)(x, WEIGHTS)
        assert tangent == pytest.approx(fd_grad(second, x) @ WEIGHTS, rel=1e-6)


def merge_leading_axes(x):
    return np.sum(np.reshape(x, (-1,) + x.shape[2:]) ** 2 * WEIGHTS)


def flat_unless_matrix(x):
    return np.sum(np.sin(np.reshape(x, (-1, 1) if np.ndim(x) < 2 else np.shape(x))))


def test_shape_arithmetic_written_by_the_user_in_both_modes():
    x = np.random.default_rng(0).normal(size=(2, 2, 3))
    got = srcgrad.grad(merge_leading_axes)(x)
    np.testing.assert_allclose(got, 2 * x * WEIGHTS, rtol=1e-12)
    xt = srcgrad.tensor(x, requires_grad=True)
    merge_leading_axes(xt).backward()
    np.testing.assert_allclose(got, xt.grad.numpy(), rtol=1e-12)
    for v in (np.array([0.2, -0.4, 1.1]), np.array([[0.2, -0.4], [1.1, 0.5]])):
        np.testing.assert_allclose(srcgrad.grad(flat_unless_matrix)(v), np.cos(v), rtol=1e-12)
