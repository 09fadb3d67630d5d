"""``np.stack`` / ``np.concatenate`` / ``hstack`` / ``vstack`` / ``column_stack`` / ``dstack`` of a list or
tuple passed in as an argument (arrays of one shape, which the compiler keeps as one array): its rows joined
(``joined_rows``). It was refused ("not a list built in the function"). Checked against finite differences in
both directions, with a tuple and a list, and against dynamic mode on a tuple of Tensors."""

import numpy as np
import pytest

import srcgrad

W = np.random.default_rng(1).normal(size=60)


def weigh(y):
    return np.sum(np.sin(y) * np.reshape(W[: y.size], y.shape))


def stack_first(xs):
    return weigh(np.stack(xs))


def stack_second(xs):
    return weigh(np.stack(xs, axis=1))


def stack_last_by_position(xs):
    return weigh(np.stack(xs, -1))


def concatenate_first(xs):
    return weigh(np.concatenate(xs))


def concatenate_second(xs):
    return weigh(np.concatenate(xs, axis=1))


def concatenate_flat(xs):
    return weigh(np.concatenate(xs, axis=None))


def hstack(xs):
    return weigh(np.hstack(xs))


def vstack(xs):
    return weigh(np.vstack(xs))


def column_stack(xs):
    return weigh(np.column_stack(xs))


def dstack(xs):
    return weigh(np.dstack(xs))


CASES = [
    (f, shape)
    for f in (
        stack_first,
        stack_second,
        stack_last_by_position,
        concatenate_first,
        concatenate_second,
        concatenate_flat,
        hstack,
        vstack,
        column_stack,
        dstack,
    )
    for shape in ((2,), (2, 3))
    if not (f is concatenate_second and shape == (2,))
]


def fd_grad(f, xs, eps=1e-6):
    """Central differences of ``f`` at the tuple ``xs``, as one array of the rows' gradients."""
    x = np.array(xs)
    out = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = eps
        out.flat[i] = (f(tuple(x + e)) - f(tuple(x - e))) / (2 * eps)
    return out


@pytest.mark.parametrize("f, shape", CASES, ids=[f"{f.__name__}-{len(s)}d" for f, s in CASES])
def test_joining_the_rows_of_an_argument(f, shape):
    rng = np.random.default_rng(0)
    xs = tuple(rng.normal(size=shape) for _ in range(3))
    expected = fd_grad(f, xs)
    np.testing.assert_allclose(srcgrad.grad(f)(xs), expected, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(srcgrad.grad(f)(list(xs)), expected, rtol=1e-6, atol=1e-9)
    tangents = tuple(rng.normal(size=shape) for _ in range(3))
    value, tangent = srcgrad.jvp(f)(xs, tangents)
    assert value == pytest.approx(f(xs), rel=1e-12)
    assert tangent == pytest.approx(np.sum(expected * np.array(tangents)), rel=1e-6)
    leaves = tuple(srcgrad.tensor(x, requires_grad=True) for x in xs)
    f(leaves).backward()
    np.testing.assert_allclose(srcgrad.grad(f)(xs), np.array([t.grad.numpy() for t in leaves]), rtol=1e-12)


def test_joining_rows_differentiated_twice():
    xs = (np.array([0.3, -0.7]), np.array([1.1, 0.4]))
    d = srcgrad.grad(concatenate_first)

    def along_weights(x0):
        return np.sum(d((x0, xs[1])) * np.array([[1.0, 2.0], [-1.0, 0.5]]))

    eps = 1e-6
    expected = np.array([(along_weights(xs[0] + e) - along_weights(xs[0] - e)) / (2 * eps) for e in np.eye(2) * eps])
    np.testing.assert_allclose(srcgrad.grad(along_weights)(xs[0]), expected, rtol=1e-6, atol=1e-9)


def test_rows_of_several_shapes_forward_and_in_reverse():
    """srcgrad.jvp takes a tuple of arrays of several shapes as it is (the rows are joined as numpy joins them);
    srcgrad.grad with respect to it is a tuple of the rows' gradients."""
    xs = (np.array([0.3, -0.7]), np.array([1.1, 0.4, 2.0]))
    ts = (np.array([1.0, 2.0]), np.array([-1.0, 0.5, 0.25]))
    value, tangent = srcgrad.jvp(concatenate_first)(xs, ts)
    y = np.concatenate(xs)
    expected = np.sum(np.cos(y) * W[:5] * np.concatenate(ts))
    assert value == pytest.approx(concatenate_first(xs), rel=1e-12)
    assert tangent == pytest.approx(expected, rel=1e-12)
    got = srcgrad.grad(concatenate_first)(xs)
    assert type(got) is tuple
    weights = np.cos(y) * W[:5]
    np.testing.assert_allclose(got[0], weights[:2], rtol=1e-12)
    np.testing.assert_allclose(got[1], weights[2:], rtol=1e-12)


_jvp_concatenate = srcgrad.jvp(concatenate_first)


def tangent_of_two_rows(a, b):
    value, tangent = _jvp_concatenate((a, b), (b * b, a))  # rows of several shapes, built here
    return tangent


def test_joined_rows_read_again_with_a_tuple_built_in_the_function():
    """The JVP's code says joined_rows(xs, 'concatenate', 0); read again with xs a tuple of arrays of several
    shapes it is np.concatenate of it (it made np.array of the tuple: a crash)."""
    a, b = np.array([0.3, -0.7, 0.2]), np.array([1.1, 0.4, 2.0])
    a2 = np.array([0.5, 0.1])
    for first, second in ((a, b), (a2, b)):
        got = srcgrad.grad(tangent_of_two_rows)(first, second)
        eps = 1e-6
        expected = np.array(
            [
                (tangent_of_two_rows(first + e, second) - tangent_of_two_rows(first - e, second)) / (2 * eps)
                for e in np.eye(first.size) * eps
            ]
        )
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)
