"""Nested lists of several lengths at second order, and a slice of a list differentiated twice.

A compiled JVP called inside a function being differentiated with a parameter that is a nested list of several
lengths (``[[a], b, c]``) was refused ("a nested list of several lengths, is given to a compiled derivative ...
pass its rows as separate arguments"), although ``srcgrad.jvp`` takes such a list when called with one: it is
now read in the form it has for such a list (HIPS autograd's ``test_list.py::test_nested_list`` at second order).
The gradient of ``ys = xs[1:]`` of a list added the slice's adjoint into a slice of the list's adjoint
(``dxs[1:] = dxs[1:] + dys``), which the code read again refused; in the form differentiated again it adds into
each slot. Checked against central differences, derivatives by hand and dynamic mode.
"""

import numpy as np
import pytest

import srcgrad


def pick(x):
    return x[1:][0] * np.sin(x[0][0]) + x[2] ** 2


JF = srcgrad.jvp(pick)


def tangent_of_pick(x, t):
    value, tangent = JF(x, t)
    return tangent


def flat(x):
    return np.array([x[0][0], x[1], x[2]])


def nested(v):
    return [[v[0]], v[1], v[2]]


X = [[0.4], 2.0, 1.5]
T = [[0.3], -0.2, 0.5]


def by_hand(x, t):
    (x0,), x1, x2 = x
    (t0,), t1, t2 = t
    return t1 * np.sin(x0) + x1 * np.cos(x0) * t0 + 2 * x2 * t2


@pytest.mark.parametrize(
    "dx, dt", [([[1.0], 0.0, 0.0], [[0.0], 0.0, 0.0]), ([[0.1], 0.7, -0.6], [[0.2], -0.3, 0.9])], ids=["x0", "mixed"]
)
def test_jvp_of_a_jvp_given_a_nested_list(dx, dt):
    assert tangent_of_pick(X, T) == pytest.approx(by_hand(X, T), rel=1e-12)
    value, tangent = srcgrad.jvp(tangent_of_pick, wrt=(0, 1))(X, T, (dx, dt))
    assert value == pytest.approx(by_hand(X, T), rel=1e-12)
    eps = 1e-6

    def along(s):
        return by_hand(nested(flat(X) + s * flat(dx)), nested(flat(T) + s * flat(dt)))

    assert tangent == pytest.approx((along(eps) - along(-eps)) / (2 * eps), rel=1e-7, abs=1e-10)
    assert tangent == pytest.approx(
        (tangent_of_pick(nested(flat(X) + eps * flat(dx)), nested(flat(T) + eps * flat(dt))) - along(-eps)) / (2 * eps),
        rel=1e-7,
        abs=1e-10,
    )


def sliced(a, b, c):
    xs = [a, b, c]
    ys = xs[1:]
    return ys[0] * ys[1] * a + np.sin(ys[-1])


def every_other(a, b, c):
    xs = [a, b, c]
    ys = xs[::2]
    return ys[0] * ys[1] * b


def second_column(f, k):
    def d(a, b, c):
        return srcgrad.grad(f, wrt=(0, 1, 2))(a, b, c)[k]

    d.__name__ = f"d{k}_{f.__name__}"
    return d


POINT = (0.3, 1.2, -0.7)


@pytest.mark.parametrize("f", [sliced, every_other])
@pytest.mark.parametrize("k", [0, 1, 2])
def test_second_derivatives_through_a_slice_of_a_list(f, k):
    d = second_column(f, k)
    got = np.array(srcgrad.grad(d, wrt=(0, 1, 2))(*POINT))
    eps = 1e-5
    fd = []
    for i in range(3):
        up, down = list(POINT), list(POINT)
        up[i] += eps
        down[i] -= eps
        fd.append((d(*up) - d(*down)) / (2 * eps))
    np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-9)
    ts = [srcgrad.tensor(v, requires_grad=True) for v in POINT]
    first = srcgrad.autograd.grad(f(*ts), ts, create_graph=True)[k]
    dynamic = srcgrad.autograd.grad(first, ts, allow_unused=True)
    dynamic = [0.0 if g is None else g.item() for g in dynamic]
    np.testing.assert_allclose(got, dynamic, rtol=1e-12, atol=1e-14)


def scaled_tangent_of_pick(x, t, u):
    value, tangent = JF(x, t)
    return tangent * u


def test_gradient_of_a_jvp_given_a_nested_list():
    # the JVP's code slices the tangent list as dx[np.s_[1:]]; read again by grad it is the slice dx[1:]
    # (was refused: 'indexing a tuple needs an integer index it has')
    u = 1.3
    dx, dt = srcgrad.grad(scaled_tangent_of_pick, wrt=(0, 1))(X, T, u)
    (x0,), x1, x2 = X
    (t0,), t1, t2 = T
    # d/dx and d/dt of u * (t1 sin x0 + x1 cos x0 t0 + 2 x2 t2)
    want_dx = [u * (t1 * np.cos(x0) - x1 * np.sin(x0) * t0), u * np.cos(x0) * t0, u * 2 * t2]
    want_dt = [u * x1 * np.cos(x0), u * np.sin(x0), u * 2 * x2]
    got_dx = [dx[0][0], dx[1], dx[2]]
    got_dt = [dt[0][0], dt[1], dt[2]]
    np.testing.assert_allclose(got_dx, want_dx, rtol=1e-12)
    np.testing.assert_allclose(got_dt, want_dt, rtol=1e-12)
