"""``for v in reversed(seq)`` over an array, a list or a tuple written in place: read as ``seq[::-1]`` (the
tuple's items backwards), in static mode and on Tensors. Was refused ("reversed has no derivative rule").
Judged by central differences and by dynamic mode."""

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import TransformError


def over_an_array(x):
    s = 0.0
    for v in reversed(x):
        s = s * 0.5 + np.sin(v)
    return s


def over_a_list(x):
    xs = [x[0] * 2.0, x[1], x[2] ** 2]
    s = 0.0
    for v in reversed(xs):
        s = s * 0.5 + np.sin(v)
    return s


def over_a_tuple_written_in_place(x):
    s = 0.0
    for v in reversed((x[0], x[1] * 3.0)):
        s = s * 0.5 + np.sin(v)
    return s


X = np.array([0.3, 0.5, 0.9])
CASES = [over_an_array, over_a_list, over_a_tuple_written_in_place]


def _central(f, x, eps=1e-6):
    return np.array([(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(x.size)])


@pytest.mark.parametrize("f", CASES, ids=[f.__name__ for f in CASES])
def test_a_loop_over_a_reversed_sequence(f):
    got = srcgrad.grad(f)(X)
    np.testing.assert_allclose(got, _central(f, X), rtol=1e-7, atol=1e-9)
    t = srcgrad.tensor(X, requires_grad=True)
    f(t).backward()
    np.testing.assert_allclose(got, t.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_the_order_matters():
    # the last item is added first and halved twice: d/dx2 = 0.25 cos(x2), d/dx0 = cos(x0)
    got = srcgrad.grad(over_an_array)(X)
    np.testing.assert_allclose(got, [np.cos(0.3), 0.5 * np.cos(0.5), 0.25 * np.cos(0.9)], rtol=1e-12)


@pytest.mark.parametrize("f", [over_an_array, over_a_tuple_written_in_place], ids=["array", "tuple"])
def test_hvp_of_a_loop_over_a_reversed_sequence(f):
    v = np.array([1.0, -2.0, 0.5])
    df = srcgrad.grad(f)
    numeric = (df(X + 1e-5 * v) - df(X - 1e-5 * v)) / 2e-5
    np.testing.assert_allclose(srcgrad.hvp(f)(X, v), numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="compiler: srcgrad.hvp of a loop over a reversed list (as over xs[::-1]) is refused with 'assignment "
    "into a slice of the list 'dxs' is not supported', naming the generated 'dxs' (the list slice's adjoint) "
    "instead of the user's xs",
)
def test_hvp_of_a_loop_over_a_reversed_list():
    v = np.array([1.0, -2.0, 0.5])
    try:
        got = srcgrad.hvp(over_a_list)(X, v)
    except TransformError as err:
        assert "'dxs'" not in str(err), str(err)
        return
    df = srcgrad.grad(over_a_list)
    np.testing.assert_allclose(got, (df(X + 1e-5 * v) - df(X - 1e-5 * v)) / 2e-5, rtol=1e-6, atol=1e-9)
