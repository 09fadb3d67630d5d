"""Lists of arrays a function returns, in both modes, against finite differences.

Static mode: a helper that returns the list ``np.split`` made, and a JVP of a function returning a list,
called inside a differentiated function (the caller's name is the list's only one once the helper
returns). Dynamic mode: ``np.split``/``np.array_split`` into a single piece (a multiple-output node with
one output), to first and second order.
"""

import numpy as np
import pytest

import srcgrad
from srcgrad import autograd


def _fd_grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def pieces(x):
    parts = np.split(x, 3)
    return parts


def uses_pieces(x):
    p = pieces(x * 2.0)
    return np.sum(p[0] * p[2]) + np.sum(np.sin(p[1]))


def test_a_helper_returning_the_list_split_made():
    x = np.linspace(-1.0, 2.0, 6)
    got = srcgrad.grad(uses_pieces)(x)
    np.testing.assert_allclose(got, _fd_grad(uses_pieces, x), rtol=1e-6, atol=1e-8)


def split_columns(a, k):
    return np.array_split(a, k, axis=1)


SPLIT_JVP = srcgrad.jvp(split_columns, wrt=0)


def tangent_pieces(a, t):
    value, tangent = SPLIT_JVP(a, 3, t)
    return tangent


def paired(a, t, u0, u1, u2):
    tt = tangent_pieces(a * a, t)
    return np.sum(tt[0] * u0) + np.sum(tt[1] * u1) + np.sum(np.cos(tt[2]) * u2)


def test_gradient_of_a_function_calling_the_jvp_of_a_list_valued_function():
    rng = np.random.default_rng(3)
    a, t = rng.normal(size=(2, 7)), rng.normal(size=(2, 7))
    us = [rng.normal(size=(2, 3)), rng.normal(size=(2, 2)), rng.normal(size=(2, 2))]
    got = srcgrad.grad(paired, wrt=1)(a, t, *us)
    want = _fd_grad(lambda v: paired(a, v, *us), t)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    assert np.abs(got[:, :5] - np.concatenate(us[:2], axis=1)).max() < 1e-12


@pytest.mark.parametrize("split", [np.split, np.array_split])
def test_dynamic_split_into_one_piece(split):
    x0 = np.array([0.3, -1.2, 0.7, 2.0])

    def loss(v):
        return np.sum(np.sin(v) * v)

    x = srcgrad.tensor(x0, requires_grad=True)
    (piece,) = split(x, 1)
    loss(piece).backward()
    np.testing.assert_allclose(x.grad.numpy(), _fd_grad(loss, x0), rtol=1e-6, atol=1e-8)

    x = srcgrad.tensor(x0, requires_grad=True)
    (piece,) = split(x, 1)
    (g,) = autograd.grad(loss(piece), x, create_graph=True)
    (h,) = autograd.grad(g.sum(), x)
    want = _fd_grad(lambda v: np.sum(_fd_grad(loss, v)), x0, eps=1e-4)
    np.testing.assert_allclose(h.numpy(), want, rtol=1e-5, atol=1e-6)


def both_names(x):
    parts = np.split(x, 2)
    return parts, parts


def writes_through_one_name(x):
    a, b = both_names(x)
    a[0] = a[0] * 3.0
    return np.sum(b[0]) + np.sum(a[1])


def test_a_list_returned_twice_stays_refused():
    # Python gives a and b the same list (b[0] sees the write): two names for one list are refused.
    with pytest.raises(srcgrad.TransformError, match="second name for the same list"):
        srcgrad.grad(writes_through_one_name)(np.arange(4.0))


def a_list_made_in_the_return(x):
    return [np.sin(x), x * 2.0]


def uses_the_returned_list(x):
    y = a_list_made_in_the_return(x)  # the list has no other name: the caller's is its only one
    return np.sum(y[0] * y[1])


def test_a_helper_returning_a_list_made_in_its_return():
    x = np.array([0.3, -0.5, 1.1])
    got = srcgrad.grad(uses_the_returned_list)(x)
    np.testing.assert_allclose(got, _fd_grad(uses_the_returned_list, x), rtol=1e-6, atol=1e-9)
    t = srcgrad.tensor(x, requires_grad=True)
    uses_the_returned_list(t).backward()
    np.testing.assert_allclose(got, t.grad.numpy(), rtol=1e-12)
