"""A compiled gradient called inside a differentiated function with a dict, or with a list or tuple of arrays of
several shapes, and a derivative made by another library's builder called there (``__srcgrad_stand_in__``).

The gradient with respect to such a container is the container of the items' gradients (a dict, a list, a
tuple); the function calling it is differentiated item by item (``compiler/itemwise.py``). Each value is checked
against central finite differences and against dynamic mode (the inner gradient taken with
``srcgrad.autograd.grad(..., create_graph=True)``).
"""

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import TransformError

A = np.array([0.3, -0.2, 0.5])
B = np.array([[0.1, 0.4], [0.7, -0.3]])


def fd(f, args, i, eps=1e-6):
    """Central finite differences of the number ``f(*args)`` with respect to the array ``args[i]``."""
    args = [np.array(a, dtype=float) for a in args]
    out = np.zeros_like(args[i])
    for k in np.ndindex(out.shape):
        up, down = [a.copy() for a in args], [a.copy() for a in args]
        up[i][k] += eps
        down[i][k] -= eps
        out[k] = (f(*up) - f(*down)) / (2 * eps)
    return out


def check_both(f, dynamic, *args):
    """``srcgrad.grad(f)`` with respect to every argument: against finite differences and dynamic mode."""
    got = srcgrad.grad(f, wrt=tuple(range(len(args))))(*args)
    expected = dynamic(*[srcgrad.tensor(a, requires_grad=True) for a in args])
    for i, (g, e) in enumerate(zip(got, expected)):
        assert g.shape == np.shape(args[i])
        np.testing.assert_allclose(g, fd(f, args, i), rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- lists and tuples of arrays of several shapes


def by_position(xs):
    return np.sum(np.sin(xs[0])) + np.sum(np.cos(xs[1]) * xs[0][0])


def rows_written_in_the_call(a, b):
    g = srcgrad.grad(by_position)([a, b])
    return np.sum(g[0]) + np.sum(np.sin(g[1]))


def tuple_written_in_the_call(a, b):
    g = srcgrad.grad(by_position)((a, b))
    return np.sum(g[0] * g[0]) + np.sum(np.sin(g[1]))


def list_built_under_a_name(a, b):
    rows = [a, b]
    g = srcgrad.grad(by_position)(rows)
    return np.sum(g[0]) + np.sum(np.sin(g[1] * a[1]))


def computed_rows(a, b):
    g = srcgrad.grad(by_position)([a * 2.0, b])
    return np.sum(g[0]) + np.sum(np.sin(g[1]))


def dynamic_rows(square_first, scale):
    def run(ta, tb):
        first = ta * scale
        y = by_position([first, tb])
        g0, g1 = srcgrad.autograd.grad(y, [first, tb], create_graph=True)
        out = (np.sum(g0 * g0) if square_first else np.sum(g0)) + np.sum(np.sin(g1))
        return srcgrad.autograd.grad(out, [ta, tb])

    return run


@pytest.mark.parametrize(
    "f, dynamic",
    [
        (rows_written_in_the_call, dynamic_rows(False, 1.0)),
        (tuple_written_in_the_call, dynamic_rows(True, 1.0)),
    ],
)
def test_a_gradient_given_rows_of_several_shapes_inside_a_differentiated_function(f, dynamic):
    check_both(f, dynamic, A, B)


def test_a_list_of_several_shapes_built_under_a_name():
    got = srcgrad.grad(list_built_under_a_name, wrt=(0, 1))(A, B)
    for i in (0, 1):
        np.testing.assert_allclose(got[i], fd(list_built_under_a_name, (A, B), i), rtol=1e-6, atol=1e-8)


@pytest.mark.xfail(
    strict=True,
    raises=ValueError,
    reason="compiler (normalize/makers.py, container_given): the shapes of computed items (a * 2.0) are not known "
    "while normalizing, so the gradient's general code is read, whose np.zeros_like(list) of rows of several shapes "
    "raises numpy's ValueError when the code runs (said at the user's line) instead of the items' gradients",
)
def test_rows_of_several_shapes_computed_in_the_call():
    srcgrad.grad(computed_rows)(A, B)


def test_the_gradient_called_directly_gives_the_items_gradients():
    got = srcgrad.grad(by_position)([A, B])
    assert isinstance(got, list) and len(got) == 2
    np.testing.assert_allclose(got[0], np.cos(A) + np.array([np.sum(np.cos(B)), 0.0, 0.0]), rtol=1e-12)
    np.testing.assert_allclose(got[1], -np.sin(B) * A[0], rtol=1e-12)
    as_tuple = srcgrad.grad(by_position)((A, B))
    assert type(as_tuple) is tuple
    value, grads = srcgrad.value_and_grad(by_position)([A, B])
    assert value == pytest.approx(by_position([A, B]))
    np.testing.assert_allclose(grads[1], got[1], rtol=1e-12)


def with_a_weight(w, xs):
    return np.sum(np.sin(xs[0]) * w) + np.sum(xs[1] ** 2)


def both_gradients(a, b, w):
    gw, gx = srcgrad.grad(with_a_weight, wrt=(0, 1))(w, [a, b])
    return np.sum(gw * gx[0]) + np.sum(np.cos(gx[1]))


def test_a_tuple_of_gradients_with_a_list_among_them():
    w = np.array([1.5, -0.5, 0.25])
    got = srcgrad.grad(both_gradients, wrt=(0, 1, 2))(A, B, w)
    for i in (0, 1, 2):
        np.testing.assert_allclose(got[i], fd(both_gradients, (A, B, w), i), rtol=1e-6, atol=1e-8)


def passes_its_list_on(xs, w):
    g = srcgrad.grad(by_position)(xs)
    return np.sum(g[0] * w) + np.sum(np.sin(g[1]))


def test_a_list_argument_of_several_shapes_passed_on_to_the_gradient():
    w = np.array([1.5, -0.5, 0.25])
    (ga, gb), gw = srcgrad.grad(passes_its_list_on, wrt=(0, 1))([A, B], w)

    def flat(a, b, w):
        return passes_its_list_on([a, b], w)

    for i, g in enumerate((ga, gb, gw)):
        np.testing.assert_allclose(g, fd(flat, (A, B, w), i), rtol=1e-6, atol=1e-8)
    ta, tb, tw = (srcgrad.tensor(v, requires_grad=True) for v in (A, B, w))
    g0, g1 = srcgrad.autograd.grad(by_position([ta, tb]), [ta, tb], create_graph=True)
    (np.sum(g0 * tw) + np.sum(np.sin(g1))).backward()
    for g, t in zip((ga, gb, gw), (ta, tb, tw)):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-10)
    ts = [np.array([0.3, 1.0, -0.7]), np.array([[1.0, 0.0], [0.5, -2.0]])]
    value, tangent = srcgrad.jvp(passes_its_list_on, wrt=0)([A, B], w, ts)
    assert value == pytest.approx(passes_its_list_on([A, B], w))
    assert tangent == pytest.approx(np.sum(ga * ts[0]) + np.sum(gb * ts[1]), rel=1e-10)


def grows_after_the_call(a, b):
    rows = [a, b]
    total = 0.0
    for _ in range(2):
        g = srcgrad.grad(by_position)(rows)
        total = total + np.sum(g[0])
        rows.append(a)
    return total


def test_a_list_changed_after_the_call_is_refused_at_the_line():
    with pytest.raises(TransformError, match="changed after the call") as info:
        srcgrad.grad(grows_after_the_call)(A, B)
    assert "test_compiler_grad_items.py, line" in str(info.value)


# ---------------------------------------------------------------- dicts


def by_key(d):
    return np.sum(np.sin(d["first"])) + np.sum(np.cos(d["second"]) * d["first"][1])


def dict_argument_given_on(d):
    g = srcgrad.grad(by_key)(d)
    return np.sum(g["first"]) + np.sum(np.sin(g["second"]))


def dict_written_in_the_call(a, b):
    g = srcgrad.grad(by_key)({"first": a, "second": b, "unused": a * 2.0})
    return np.sum(g["first"] ** 2) + np.sum(np.sin(g["second"])) + np.sum(g["unused"])


def test_a_dict_argument_given_to_a_gradient_inside():
    d = {"first": A, "second": B}
    got = srcgrad.grad(dict_argument_given_on)(d)
    assert set(got) == {"first", "second"}
    for i, k in enumerate(("first", "second")):
        expected = fd(lambda a, b: dict_argument_given_on({"first": a, "second": b}), (A, B), i)
        np.testing.assert_allclose(got[k], expected, rtol=1e-6, atol=1e-8)
    ta, tb = srcgrad.tensor(A, requires_grad=True), srcgrad.tensor(B, requires_grad=True)
    y = by_key({"first": ta, "second": tb})
    g0, g1 = srcgrad.autograd.grad(y, [ta, tb], create_graph=True)
    (np.sum(g0) + np.sum(np.sin(g1))).backward()
    np.testing.assert_allclose(got["first"], ta.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(got["second"], tb.grad.numpy(), rtol=1e-10)


def test_a_dict_written_in_the_call():
    got = srcgrad.grad(dict_written_in_the_call, wrt=(0, 1))(A, B)
    for i in (0, 1):
        np.testing.assert_allclose(got[i], fd(dict_written_in_the_call, (A, B), i), rtol=1e-6, atol=1e-8)


def weighted_in_key_order(d):
    total = 0.0
    for i, k in enumerate(sorted(d)):  # unrolled over the keys in order, i and k constants
        total = total + np.sum(np.sin(d[k])) * (i + 1.0)
    return total


def gradient_in_key_order(d):
    g = srcgrad.grad(weighted_in_key_order)(d)
    return np.sum(g["a"]) + np.sum(np.sin(g["b"]))


def test_a_loop_over_the_sorted_keys_of_a_dict():
    d = {"b": B, "a": A}  # inserted out of order: sorted(d) is ['a', 'b']
    got = srcgrad.grad(weighted_in_key_order)(d)
    np.testing.assert_allclose(got["a"], np.cos(A) * 1.0, rtol=1e-12)
    np.testing.assert_allclose(got["b"], np.cos(B) * 2.0, rtol=1e-12)
    tensors = {k: srcgrad.tensor(v, requires_grad=True) for k, v in d.items()}
    weighted_in_key_order(tensors).backward()
    for k in d:
        np.testing.assert_allclose(got[k], tensors[k].grad.numpy(), rtol=1e-12)
    second = srcgrad.grad(gradient_in_key_order)(d)
    for i, k in enumerate(("a", "b")):
        expected = fd(lambda a, b: gradient_in_key_order({"b": b, "a": a}), (A, B), i)
        np.testing.assert_allclose(second[k], expected, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------- a derivative made by another library's builder


class Derivative:
    """What a library mapping its own API onto srcgrad hands out for ``its_grad(fun)``: called outside, it
    computes the gradient; called inside a function srcgrad differentiates, it stands for ``srcgrad.grad(fun)``."""

    def __init__(self, fun):
        self.fun = fun

    def __call__(self, x):
        return srcgrad.grad(self.fun)(x)

    def __srcgrad_stand_in__(self):
        return srcgrad.grad(self.fun)


V = np.array([0.4, -1.2, 0.8])


def along_v(x):
    return np.sin(np.dot(x, V))


D_ALONG_V = Derivative(along_v)


def vector_product(x, v):
    return np.sin(np.dot(v, D_ALONG_V(x)))


def test_a_derivative_made_outside_by_another_builder():
    x, v = np.array([0.2, 0.5, -0.1]), np.array([1.0, -0.3, 0.6])

    def dynamic(tx, tv):
        (g,) = srcgrad.autograd.grad(along_v(tx), [tx], create_graph=True)
        return srcgrad.autograd.grad(np.sin(np.dot(tv, g)), [tx, tv])

    check_both(vector_product, dynamic, x, v)


class StandsForNothing:
    def __call__(self, x):
        return x

    def __srcgrad_stand_in__(self):
        raise TypeError("no static form before an example call")


NOTHING = StandsForNothing()


def calls_nothing(x):
    return np.sum(NOTHING(x))


def test_a_stand_in_that_cannot_be_made_is_refused_at_the_line():
    with pytest.raises(TransformError, match="no static form before an example call") as info:
        srcgrad.grad(calls_nothing)(A)
    assert "test_compiler_grad_items.py, line" in str(info.value)


# ---------------------------------------------------------------- third order: a gradient's code read again


D_ROWS = srcgrad.grad(rows_written_in_the_call, wrt=(0, 1))  # its code reads by_position's gradient item by item


def through_the_items(xs, w):
    ga, gb = D_ROWS(xs[0], xs[1])  # the items of a list argument of several shapes
    return np.sum(ga * w) + np.sum(np.cos(gb))


def test_a_gradient_given_the_items_of_a_list_argument_of_several_shapes():
    w = np.array([1.5, -0.5, 0.25])
    ts = [np.array([0.3, 1.0, -0.7]), np.array([[1.0, 0.0], [0.5, -2.0]])]
    tw = np.array([0.2, 0.1, -0.4])

    def flat(a, b, w):
        return through_the_items([a, b], w)

    value, tangent = srcgrad.jvp(through_the_items, wrt=(0, 1))([A, B], w, (ts, tw))
    assert value == pytest.approx(flat(A, B, w))
    expected = sum(np.sum(fd(flat, (A, B, w), i) * t) for i, t in enumerate((ts[0], ts[1], tw)))
    assert tangent == pytest.approx(expected, rel=1e-6)
    np.testing.assert_allclose(srcgrad.grad(through_the_items, wrt=1)([A, B], w), fd(flat, (A, B, w), 2), rtol=1e-6)


# ---------------------------------------------------------------- a JVP given dicts inside a differentiated function

JVP_BY_KEY = srcgrad.jvp(by_key)


def tangent_times_value(d, td):
    value, tangent = JVP_BY_KEY(d, td)
    return tangent * value


def test_a_jvp_given_dicts_inside_a_differentiated_function():
    d = {"first": A, "second": B}
    td = {"first": np.array([0.5, -1.0, 2.0]), "second": np.array([[0.3, 0.2], [-0.1, 1.0]])}
    got_d, got_td = srcgrad.grad(tangent_times_value, wrt=(0, 1))(d, td)

    def flat(a, b, ta, tb):
        return tangent_times_value({"first": a, "second": b}, {"first": ta, "second": tb})

    args = (A, B, td["first"], td["second"])
    for i, g in enumerate((got_d["first"], got_d["second"], got_td["first"], got_td["second"])):
        np.testing.assert_allclose(g, fd(flat, args, i), rtol=1e-6, atol=1e-8)
    ta, tb = srcgrad.tensor(A, requires_grad=True), srcgrad.tensor(B, requires_grad=True)
    y = by_key({"first": ta, "second": tb})
    g0, g1 = srcgrad.autograd.grad(y, [ta, tb], create_graph=True)
    (y * (np.sum(g0 * td["first"]) + np.sum(g1 * td["second"]))).backward()
    np.testing.assert_allclose(got_d["first"], ta.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(got_d["second"], tb.grad.numpy(), rtol=1e-10)


def first_row_sum(xs, w):
    return np.sum(np.array(xs[0]) * w)


D_FIRST_ROW = srcgrad.grad(first_row_sum, wrt=1)


def passes_nested_rows_on(xs, w):
    return np.sin(D_FIRST_ROW(xs, w)) * w


def test_nested_rows_of_several_lengths_given_on_are_refused_at_the_line():
    with pytest.raises(TransformError, match="nested list of several lengths") as info:
        srcgrad.grad(passes_nested_rows_on, wrt=1)([[0.1, 0.2], [0.3]], 2.0)
    assert "test_compiler_grad_items.py, line" in str(info.value) and "D_FIRST_ROW(xs, w)" in str(info.value)


# ---------------------------------------------------------------- a loop over functions, builders written nested

SCALAR_FUNS = [
    lambda x: np.sum(x**3),
    lambda x: np.prod(np.sin(x) + np.cos(x)),
    lambda x: srcgrad.grad(lambda y: np.exp(y) * np.tanh(x[0]))(x[1]),  # a gradient made inside, of x
]


def stacked_values(x):
    return np.sum(np.array([f(x) for f in SCALAR_FUNS]) * np.array([1.0, -2.0, 0.5]))


def test_a_loop_over_a_list_of_functions_is_unrolled():
    x = np.array([0.3, -0.4, 0.8])
    got = srcgrad.grad(stacked_values)(x)
    np.testing.assert_allclose(got, fd(stacked_values, (x,), 0), rtol=1e-6, atol=1e-8)
    t = srcgrad.tensor(x, requires_grad=True)
    weights = (1.0, -2.0)
    total = sum(w * f(t) for w, f in zip(weights, SCALAR_FUNS[:2]))  # the third written out for the tape:
    y = t[1] * 1.0  # the inner gradient's variable, at x[1]
    (dy,) = srcgrad.autograd.grad(np.exp(y) * np.tanh(t[0]), [y], create_graph=True)
    (total + 0.5 * dy).backward()
    np.testing.assert_allclose(got, t.grad.numpy(), rtol=1e-10)


def fourth_power_third_derivative(x):
    return srcgrad.grad(srcgrad.grad(lambda y: y**4))(x) * x  # 12 x**3


def test_a_builder_of_a_builder_written_inside():
    assert srcgrad.grad(fourth_power_third_derivative)(1.5) == pytest.approx(36 * 1.5**2)


FUNCTIONS = [np.sin, np.cos]


def sum_over_functions(x):
    total = 0.0
    for f in FUNCTIONS:
        total = total + np.sum(f(x))
    return total


def test_a_list_of_functions_changed_after_a_call_is_read_again():
    x = np.array([0.1, 0.7])
    df = srcgrad.grad(sum_over_functions)
    np.testing.assert_allclose(df(x), np.cos(x) - np.sin(x), rtol=1e-12)
    try:
        FUNCTIONS.append(np.tanh)  # the unrolled code held sin and cos only
        np.testing.assert_allclose(df(x), np.cos(x) - np.sin(x) + 1 / np.cosh(x) ** 2, rtol=1e-12)
        FUNCTIONS[0] = np.exp  # an item replaced
        np.testing.assert_allclose(df(x), np.exp(x) - np.sin(x) + 1 / np.cosh(x) ** 2, rtol=1e-12)
    finally:
        FUNCTIONS[:] = [np.sin, np.cos]
