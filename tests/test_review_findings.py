"""Findings of a review of the day's changes: each a minimal case against central finite differences.

A bug someone else is to fix is a strict xfail whose reason says what goes wrong, so the suite stays
green and the fix is noticed; a bug fixed with the finding is an ordinary test.
"""

import numpy as np
import pytest

import srcgrad
import srcgrad.nn.functional as F
from corpus.harness import check_grad_and_jvp as check
from corpus.harness import fd_grad as numeric_grad
from srcgrad.autograd import gradcheck, gradgradcheck
from srcgrad.errors import TransformError
from srcgrad.rules import linear


def supported_or_refused_here(f, *args):
    """The gradient is right, or grad and jvp refuse with a TransformError naming this file."""
    try:
        check(f, *args)
    except TransformError as e:
        assert "test_review_findings.py, line" in str(e)


X = np.array([0.5, -0.7, 0.9])


# ---------------------------------------------------------------- linear with a bias of more than one axis (fixed)


@pytest.mark.parametrize(
    "x_shape, b_shape",
    [
        ((5, 4), (1, 3)),
        ((5, 4), (5, 3)),
        ((5, 4), (5, 1)),
        ((1, 4), (5, 3)),
        ((4,), (5, 3)),
        ((2, 1, 4), (5, 3)),
        ((5, 4), (3,)),
        ((5, 4), ()),
    ],
)
def test_linear_bias_that_broadcasts_the_product(x_shape, b_shape):
    # linear's bias VJP was sum_rows(g) for every bias: shape (out,), which unbroadcast refused for a bias of
    # shape (1, out) or (N, out) ("gradient of shape (3,) does not broadcast") and crashed on (N, 1); the weight
    # VJP multiplied g's rows by the input's rows, which differ in number when the bias adds rows.
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=x_shape), rng.normal(size=(3, 4)), rng.normal(size=b_shape)
    inputs = tuple(srcgrad.tensor(a, requires_grad=True) for a in (x, w, b))
    assert gradcheck(lambda a, m, c: F.linear(a, m, c), inputs)
    assert gradgradcheck(lambda a, m, c: F.linear(a, m, c) ** 2, inputs)

    def f(x, w, b):
        return np.sum(np.sin(linear(x, w, b)))

    for i in range(3):
        check(f, x, w, b, wrt=i)


# ---------------------------------------------------------------- compiler: containers


def comprehension_item_rebound(x):
    parts = [x * i for i in range(3)]
    parts[1] = parts[2] ** 2
    return np.sum(parts[1] * parts[0] + parts[2])


def test_comprehension_list_item_rebound():
    check(comprehension_item_rebound, X)


def dict_looped_over_keys(x):
    d = {"a": x * 1.0, "b": x}
    for k in d:
        d[k] = d[k] * 2.0
    return np.sum(d["a"] * d["b"])


def test_loop_over_the_keys_of_a_dict():
    supported_or_refused_here(dict_looped_over_keys, X)


def _scaled(x, *, c=1.5):
    return np.sin(x) * c


def keyword_only_default(x):
    return np.sum(_scaled(x))


def keyword_only_passed(x):
    return np.sum(_scaled(x, c=2.0))


@pytest.mark.parametrize("f", [keyword_only_default, keyword_only_passed])
def test_helper_with_a_keyword_only_parameter(f):
    check(f, X)


# ---------------------------------------------------------------- compiler: a dead overwrite inside a loop or branch


def overwritten_in_a_loop(w):
    v = w * 1.0
    y = np.sin(v)  # its adjoint reads v as it is here
    for i in range(2):
        v = y * 0.3  # never read again, but it does overwrite v
    return np.sum(y)


def overwritten_in_a_branch(w):
    v = w * 1.0
    y = np.sin(v)
    if np.sum(w) > 0:
        v = y * 0.3
    v = w * 1.5
    return np.sum(y) + np.sum(v)


def overwritten_in_a_while_loop(w):
    v = w * 1.0
    y = np.sin(v)
    k = 0
    while k < 2:
        v = y * 0.3
        k += 1
    return np.sum(y)


def overwritten_by_a_constant_in_a_loop(w):
    v = w * 1.0
    y = np.sin(v)
    for i in range(2):
        v = np.ones(3) * 0.3  # no derivative at all
    return np.sum(y)


def iterate_whose_last_value_is_unused(w):
    y = w * 1.0
    z = np.sin(y)
    for i in range(2):
        y = np.cos(y) * 0.5 + z
    return np.sum(z * z)


@pytest.mark.parametrize(
    "f",
    [
        overwritten_in_a_loop,
        overwritten_in_a_branch,
        overwritten_in_a_while_loop,
        overwritten_by_a_constant_in_a_loop,
        iterate_whose_last_value_is_unused,
    ],
)
def test_dead_overwrite_in_a_loop_or_branch(f):
    check(f, np.array([0.3, -0.5, 0.8]))


# ---------------------------------------------------------------- compiler: a loop over a dict argument


def loop_over_dict_argument(p, x):
    for k in p:
        x = x * p[k]
    return np.sum(x)


def test_loop_over_the_keys_of_a_dict_argument():
    p = {"W": np.full((2, 3), 0.5), "b": np.linspace(0.5, 1.5, 6).reshape(2, 3)}
    x = np.linspace(-1.0, 1.0, 6).reshape(2, 3)
    try:
        got = srcgrad.grad(loop_over_dict_argument)(p, x)
    except TransformError as e:
        assert "test_review_findings.py, line" in str(e)
        return
    for key in p:

        def f(v):
            return loop_over_dict_argument({**p, key: v}, x)

        np.testing.assert_allclose(got[key], numeric_grad(f, (p[key],), 0), rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------- compiler: integer array arguments


def weighted_sum_of_items(x):
    s = 0.0
    for i in range(3):
        s = s + x[i] * 0.33
    return s


def test_gradient_with_respect_to_an_integer_array():
    # Found silently wrong (the adjoint was accumulated in an int buffer: [0, 0, 0]); now refused, as the tape
    # refuses requires_grad on an integer Tensor and JAX's grad an integer input.
    with pytest.raises(TypeError, match=r"with respect to x, an array of int64.*x\.astype\(float\)"):
        srcgrad.grad(weighted_sum_of_items)(np.array([1, 2, 3]))
    with pytest.raises(TypeError, match="an array of bool"):
        srcgrad.grad(weighted_sum_of_items)(np.array([True, False, True]))
    np.testing.assert_allclose(srcgrad.grad(weighted_sum_of_items)(np.array([1.0, 2.0, 3.0])), [0.33, 0.33, 0.33])
    np.testing.assert_allclose(srcgrad.grad(weighted_sum_of_items)(np.array([1, 2, 3]).astype(float)), [0.33] * 3)


# ---------------------------------------------------------------- compiler: a list argument of arrays of several shapes


def sum_over_a_list_argument(xs):
    return sum(np.sum(np.sin(x) ** 2) for x in xs)


def test_list_argument_of_arrays_of_several_shapes():
    xs = [np.linspace(0.1, 0.3, 3), np.linspace(-0.5, 0.5, 2)]
    got = srcgrad.grad(sum_over_a_list_argument)(xs)
    assert isinstance(got, list) and len(got) == 2
    for g, x in zip(got, xs):
        np.testing.assert_allclose(g, 2 * np.sin(x) * np.cos(x), rtol=1e-7)


# ---------------------------------------------------------------- compiler: a name rebound to a broadcast of itself


def rebound_to_a_broadcast_of_itself(x, y, w):
    v = x @ y  # a number
    v = v + w  # now of w's shape
    return np.sum(np.sin(v))


def rebound_to_a_broadcast_silently(x, w):
    v = np.sin(x)  # shape (1,)
    v = np.tanh(v + v)
    u = v * 0.5
    v = v + w  # shape (3,)
    return np.sum(v) + np.sum(u * u)


@pytest.mark.parametrize("case", ["silent", "loud"])
def test_name_rebound_to_a_broadcast_of_itself(case):
    if case == "silent":
        check(rebound_to_a_broadcast_silently, np.array([0.4]), np.array([0.3, -0.5, 0.8]))
    else:
        x, y, w = np.array([0.4, 0.1, 0.3]), np.array([0.2, -0.6, 0.5]), np.array([0.3, -0.5, 0.8])
        check(rebound_to_a_broadcast_of_itself, x, y, w)
