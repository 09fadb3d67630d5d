"""``f(*seq)`` and ``tuple(seq)`` in differentiated code, at first and second order.

A gradient's generated code for ``np.split``/``np.array_split`` reads
``concatenate_args(*tuple(dparts), axis=0)`` (``np.hsplit``'s ``np.hstack(tuple(dparts))``), and a JVP's
``tuple(np.hsplit(dx, 2))``: differentiating that code again needs them. Each derivative is judged by central finite differences, and where the function is
plain numpy also by dynamic mode (Tensors).
"""

import inspect

import numpy as np
import pytest

import srcgrad
from srcgrad import TransformError
from srcgrad.autograd import functional

RNG = np.random.default_rng(3)
X6 = RNG.normal(size=6)
X7 = RNG.normal(size=7)
M = RNG.normal(size=(3, 4))


def _fd_grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def spread_literal(x):
    return np.sum(np.divide(*(np.sin(x), x * x + 1.0)) ** 2)


def spread_named_tuple(x):
    pair = (x, np.cos(x))
    return np.sum(np.subtract(*pair) ** 3 * x)


def spread_tuple_of_list_literal(x):
    return np.sum(np.divide(*tuple([x * x, np.exp(x)])))


def tuple_of_tuple(x):
    a, b = tuple((np.sin(x), x * x))
    return np.sum(a * b)


@pytest.mark.parametrize(
    "f", [spread_literal, spread_named_tuple, spread_tuple_of_list_literal, tuple_of_tuple], ids=lambda f: f.__name__
)
def test_first_order_in_both_modes(f):
    want = _fd_grad(f, X6)
    np.testing.assert_allclose(srcgrad.grad(f)(X6), want, rtol=1e-6, atol=1e-8)
    x = srcgrad.tensor(X6, requires_grad=True)
    f(x).backward()
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-6, atol=1e-8)
    if f is not tuple_of_tuple:
        code = [line for line in srcgrad.grad(f).source.splitlines()[2:] if not line.strip().startswith("#")]
        assert not any("(*" in line for line in code)  # the items written out


def two_values(x):
    return tuple((np.sin(x), x * x))


def test_jvp_of_a_function_returning_tuple_of_a_tuple():
    v = RNG.normal(size=6)
    value, tangent = srcgrad.jvp(two_values)(X6, v)
    eps = 1e-6
    for k in range(2):
        np.testing.assert_allclose(value[k], two_values(X6)[k])
        numeric = (two_values(X6 + eps * v)[k] - two_values(X6 - eps * v)[k]) / (2 * eps)
        np.testing.assert_allclose(tangent[k], numeric, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------- the split family differentiated twice
U3 = [RNG.normal(size=2) for _ in range(3)]
U7 = [RNG.normal(size=3), RNG.normal(size=2), RNG.normal(size=2)]  # np.array_split(7 items, 3)


def split_dot(x, u0, u1, u2):
    parts = np.split(x, 3)
    return np.sum(parts[0] * u0) + np.sum(np.sin(parts[1]) * u1) + np.sum(parts[2] ** 2 * u2)


def array_split_dot(x, u0, u1, u2):
    parts = np.array_split(x, 3)
    return np.sum(np.exp(parts[0]) * u0) + np.sum(parts[1] * u1) + np.sum(parts[2] ** 3 * u2)


def hsplit_dot(x, u0, u1):
    parts = np.hsplit(x, 2)
    return np.sum(np.sin(parts[0]) * u0) + np.sum(parts[1] ** 2 * u1 * parts[0])


CASES = [(split_dot, X6, U3), (array_split_dot, X7, U7)]
IDS = ["split", "array_split"]


@pytest.mark.parametrize("f, x0, us", CASES, ids=IDS)
def test_the_gradient_spreads_the_pieces_cotangents(f, x0, us):
    assert "concatenate_args(*tuple(" in srcgrad.grad(f).source  # what the second derivative reads


@pytest.mark.parametrize("f, x0, us", CASES, ids=IDS)
def test_second_derivative_of_the_split_family(f, x0, us):
    df = srcgrad.grad(f, wrt=0)
    v = RNG.normal(size=x0.shape)

    def directional(x, u0, u1, u2):
        return np.sum(df(x, u0, u1, u2) * v)

    got = srcgrad.grad(directional, wrt=tuple(range(len(us) + 1)))(x0, *us)
    # finite differences of the compiled gradient, for x and for each cotangent piece
    args = [x0, *us]
    for k in range(len(args)):

        def along(a, k=k):
            return directional(*args[:k], a, *args[k + 1 :])

        np.testing.assert_allclose(got[k], _fd_grad(along, args[k]), rtol=1e-6, atol=1e-8)
    # dynamic mode: the Hessian of f in x, applied to v
    H = functional.hessian(lambda x: f(x, *us), srcgrad.tensor(x0)).detach().numpy()
    np.testing.assert_allclose(got[0], np.tensordot(H, v, v.ndim), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("x0", [M, RNG.normal(size=6), RNG.normal(size=(2, 4, 3))], ids=["2d", "1d", "3d"])
def test_second_derivative_of_hsplit(x0):
    """``np.hsplit``'s gradient joins the pieces' cotangents with ``np.hstack(tuple(dparts))`` (the axis by
    rank, as ``np.hstack`` picks it): differentiated again against finite differences and dynamic mode."""
    dh = srcgrad.grad(hsplit_dot)
    assert "np.hstack(tuple(" in dh.source
    us = [RNG.normal(size=p.shape) for p in np.hsplit(x0, 2)]
    w = RNG.normal(size=x0.shape)

    def directional(x, u0, u1):
        return np.sum(dh(x, u0, u1) * w)

    got = srcgrad.grad(directional, wrt=(0, 1, 2))(x0, *us)
    args = [x0, *us]
    for k in range(3):

        def along(a, k=k):
            return directional(*args[:k], a, *args[k + 1 :])

        np.testing.assert_allclose(got[k], _fd_grad(along, args[k]), rtol=1e-6, atol=1e-8)
    H = functional.hessian(lambda x: hsplit_dot(x, *us), srcgrad.tensor(x0)).detach().numpy()
    np.testing.assert_allclose(got[0], np.tensordot(H, w, w.ndim), rtol=1e-10, atol=1e-12)


def hsplit_pieces(x):
    return np.hsplit(x, 2)


JH = srcgrad.jvp(hsplit_pieces)


def second_piece_tangent(x, t):
    value, tangent = JH(x, t)
    return np.sum(tangent[1] * value[1])


def test_jvp_of_the_jvp_of_hsplit():
    """``JH``'s code reads ``tuple(np.hsplit(dx, 2))``; its derivative along (x, t) against finite differences."""
    assert "tuple(np.hsplit(" in JH.source
    t0, vx, vt = RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4))
    value, tangent = srcgrad.jvp(second_piece_tangent, wrt=(0, 1))(M, t0, (vx, vt))
    eps = 1e-6
    numeric = (
        second_piece_tangent(M + eps * vx, t0 + eps * vt) - second_piece_tangent(M - eps * vx, t0 - eps * vt)
    ) / (2 * eps)
    assert value == pytest.approx(second_piece_tangent(M, t0))
    assert tangent == pytest.approx(numeric, rel=1e-6, abs=1e-8)


# ---------------------------------------------------------------- refusals
def spread_of_an_array(x):
    return np.sum(np.add(*x))


def test_a_spread_of_unknown_items_is_refused_at_the_line():
    with pytest.raises(TransformError) as err:
        srcgrad.grad(spread_of_an_array)(np.ones((2, 3)))
    message = str(err.value)
    line = inspect.getsourcelines(spread_of_an_array)[1] + 1
    assert f"{__file__}, line {line}" in message
    assert "*x in a call" in message


def concatenate_along_computed_axis(x):
    return np.sum(np.concatenate([x, x * x], axis=np.ndim(x) - 1) ** 2)


def test_a_list_joined_along_a_computed_axis_is_refused_at_the_line():
    with pytest.raises(TransformError) as err:
        srcgrad.grad(concatenate_along_computed_axis)(M)
    line = inspect.getsourcelines(concatenate_along_computed_axis)[1] + 1
    assert f"{__file__}, line {line}" in str(err.value)
    assert "needs its axis written as a number" in str(err.value)


def starred_unpacking(x):
    first, *rest = x
    return first * np.sum(rest)


def starred_loop_target(xs):
    total = 0.0
    for first, *rest in xs:
        total = total + first * rest[0]
    return total


@pytest.mark.parametrize("fn, offset", [(starred_unpacking, 1), (starred_loop_target, 2)])
def test_a_starred_assignment_target_is_refused_at_its_line_with_advice(fn, offset):
    with pytest.raises(TransformError) as err:
        srcgrad.grad(fn)(np.ones((3, 2)))
    message = str(err.value)
    line = inspect.getsourcelines(fn)[1] + offset
    assert f"{__file__}, line {line}" in message
    assert "starred assignment targets (first, *rest = seq)" in message
    assert "first = seq[0]; rest = seq[1:]" in message
