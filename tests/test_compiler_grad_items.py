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
