"""``np.cross`` at second order in static mode: its VJP pads 2-vectors to 3 with widths from a shape helper
(``axis_pad_widths``; a list of tuples built in the rule body was refused when the body was read again).
Judged by central finite differences; dynamic mode (double backward) must agree."""

import warnings

import numpy as np
import pytest

import srcgrad

RNG = np.random.default_rng(9)


def fd(f, args, i, eps=1e-6):
    x = np.array(args[i], dtype=float)
    out = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[k] += eps
        minus[k] -= eps
        out[k] = (f(*args[:i], plus, *args[i + 1 :]) - f(*args[:i], minus, *args[i + 1 :])) / (2 * eps)
    return out


def three(x, y):
    return np.cross(x, y)


def two(x, y):
    return np.cross(x, y)


def mixed_axes(x, y):
    return np.cross(x, y, axisa=0, axisb=0)


CASES = [
    (three, (4, 3), (4, 3)),
    (two, (4, 2), (4, 2)),
    (two, (5, 2), (5, 3)),
    (mixed_axes, (2, 4), (3, 4)),
]


@pytest.fixture(autouse=True)
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # numpy 2 deprecates 2-vectors in np.cross
        yield


@pytest.mark.parametrize("f, xs, ys", CASES, ids=["3-vectors", "2-vectors", "2 and 3", "axisa/axisb"])
def test_static_and_dynamic_second_order(f, xs, ys):
    x0, y0 = RNG.normal(size=xs), RNG.normal(size=ys)
    try:
        value = f(x0, y0)
    except ValueError as err:  # numpy 2.5 removed 2-vectors (deprecated since 2.0): nothing to differentiate
        pytest.skip(f"numpy {np.__version__} refuses 2-vectors in np.cross: {err}")
    u = RNG.normal(size=np.shape(value))
    v = RNG.normal(size=xs)
    df = srcgrad.grad(f, wrt=(0, 1))

    def paired(x, y):
        dx, dy = df(x, y, dout=u)
        return np.sum(dx * v) + np.sum(np.sin(dy))

    gx, gy = srcgrad.grad(paired, wrt=(0, 1))(x0, y0)
    want_x, want_y = fd(paired, (x0, y0), 0), fd(paired, (x0, y0), 1)
    np.testing.assert_allclose(gx, want_x, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(gy, want_y, rtol=1e-5, atol=1e-7)
    x, y = srcgrad.tensor(x0, requires_grad=True), srcgrad.tensor(y0, requires_grad=True)
    dx, dy = srcgrad.autograd.grad(f(x, y), (x, y), grad_outputs=srcgrad.tensor(u), create_graph=True)
    ((dx * srcgrad.tensor(v)).sum() + np.sin(dy).sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), want_x, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(y.grad.numpy(), want_y, rtol=1e-5, atol=1e-7)
