"""``srcgrad.jvp`` of a function returning ``list(t)`` of a tuple: the value and the tangent are lists, nested too.

HIPS autograd and ``torch.func.jvp`` give a list output's tangent as a list. A list the compiler keeps while
compiling (``list((a, b))``, ``args = list(args)`` with items set at constant indices) was returned as a tuple;
it now keeps its type, at any depth and when the function returns it from several places. Each tangent is
checked against the derivative written by hand and against central finite differences along the tangent.
"""

import numpy as np
import pytest

import srcgrad

RNG = np.random.default_rng(11)
X = RNG.normal(size=3)
Y = RNG.normal(size=3)
TX = RNG.normal(size=3)


def flat_pair(x, y):
    return list((np.sin(x) * y, x * 3.0))


def items_set(x, y):
    args = list((x, y))
    args[1] = args[1] * x
    return args


def nested(x, y):
    return list((x * y, (np.exp(x), list((x * x, 2.0 * y)))))


def in_a_tuple(x, y):
    return (list((np.cos(x), y)), x)


def two_returns(x, y):
    if np.sum(x) > 100.0:
        return list((x, y))
    return list((x * x, y * x))


# (function, its value, its tangent along (TX, 0)), written by hand
CASES = {
    "flat_pair": (flat_pair, [np.sin(X) * Y, 3.0 * X], [np.cos(X) * Y * TX, 3.0 * TX]),
    "items_set": (items_set, [X, Y * X], [TX, Y * TX]),
    "nested": (
        nested,
        [X * Y, (np.exp(X), [X * X, 2.0 * Y])],
        [Y * TX, (np.exp(X) * TX, [2.0 * X * TX, np.zeros(3)])],
    ),
    "in_a_tuple": (in_a_tuple, ([np.cos(X), Y], X), ([-np.sin(X) * TX, np.zeros(3)], TX)),
    "two_returns": (two_returns, [X * X, Y * X], [2.0 * X * TX, Y * TX]),
}


def same(got, want):
    """``got`` has ``want``'s containers (list is list, tuple is tuple) and its values."""
    assert type(got) is type(want) or not isinstance(want, (list, tuple)), (type(got), type(want))
    if isinstance(want, (list, tuple)):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            same(g, w)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-12)


def leaves(tree):
    if isinstance(tree, (list, tuple)):
        return [leaf for item in tree for leaf in leaves(item)]
    return [np.asarray(tree, dtype=float)]


@pytest.mark.parametrize("name", sorted(CASES))
def test_value_and_tangent_are_lists(name):
    f, value, tangent = CASES[name]
    got_value, got_tangent = srcgrad.jvp(f)(X, Y, TX)
    same(got_value, value)
    same(got_tangent, tangent)
    same(got_value, f(X, Y))  # the same containers as the function itself returns


@pytest.mark.parametrize("name", sorted(CASES))
def test_tangent_agrees_with_finite_differences(name):
    f = CASES[name][0]
    eps = 1e-6
    fd = [(p - m) / (2 * eps) for p, m in zip(leaves(f(X + eps * TX, Y)), leaves(f(X - eps * TX, Y)))]
    got = leaves(srcgrad.jvp(f)(X, Y, TX)[1])
    assert len(got) == len(fd)
    for g, d in zip(got, fd):
        np.testing.assert_allclose(g, d, rtol=1e-6, atol=1e-8)


def test_grad_of_such_a_list_names_a_list():
    def f(x):
        return list((np.sum(x), x[0]))

    with pytest.raises(srcgrad.TransformError, match="it returns a list"):
        srcgrad.grad(f)(X)


@pytest.mark.xfail(strict=True, reason="a list returned on one path and a tuple on another come back as tuples")
def test_a_list_on_one_path_and_a_tuple_on_another():
    def f(x, y):
        if np.sum(x) > 100.0:
            return (x, y)
        return list((x * x, y))

    value, tangent = srcgrad.jvp(f)(X, Y, TX)
    same(value, [X * X, Y])
    same(tangent, [2.0 * X * TX, np.zeros(3)])
