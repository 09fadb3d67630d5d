"""A second name for a list given inside a branch (``if c: b = a``), differentiated once, twice and three times in
static mode.

The list moves to ``b`` where ``a`` is never read again on the paths that follow; a later ``if`` on the same
condition (a name given its value once, outside loops, read only as a test) goes the same way, so the gradient's
adjoint ``if cond:`` reads ``a``'s zeros only where ``b = a`` did not run. In a branch of the gradient made to be
differentiated again, the move's adjoint is a new list of the same items. Every order is judged by central
finite differences of the order below and by dynamic mode, never by the compiler itself.
"""

import inspect
import re

import numpy as np
import pytest

import srcgrad
from test_compiler_higher import _fd, _module_function, dynamic_derivative


def moved_in_a_branch(x):
    a = [x, x * 2.0]
    if np.sum(x) > 0:
        b = a
    else:
        b = [x * 3.0]
    b.append(np.sin(x))
    return np.sum(np.stack(b) ** 2)


def moved_in_a_branch_over_a_list(x):
    a = [np.sin(x), x * x]
    b = [x]
    if np.sum(x) > 0:
        b = a
    return np.sum(np.stack(b) ** 2)


def moved_in_the_else(x):
    a = [x * x, np.cos(x)]
    if np.sum(x) < 0:
        b = [x]
    else:
        b = a
        b.append(x * 3.0)
    return np.sum(np.stack(b) ** 3)


def read_again_on_the_other_path(x):
    c = np.sum(x) > 0
    a = [x, x * 2.0]
    if c:
        b = a
    else:
        b = [x * 3.0]
    b.append(np.sin(x))
    if c:
        out = np.stack(b)
    else:
        out = np.stack(a) * x  # a is read only where b = a did not run
    return np.sum(out**2)


CASES = [moved_in_a_branch, moved_in_a_branch_over_a_list, moved_in_the_else]
POINTS = [np.array([0.4, -0.5, 0.3]), np.array([-0.4, 0.2, -0.6])]  # each branch taken


@pytest.mark.parametrize("x", POINTS, ids=["positive_sum", "negative_sum"])
@pytest.mark.parametrize("f", CASES, ids=[f.__name__ for f in CASES])
def test_orders_one_to_three(f, x, tmp_path):
    rng = np.random.default_rng(11)
    v, w, u = (rng.normal(size=x.shape) for _ in range(3))
    fun = f
    for order, direction in enumerate((v, w, None), 1):
        df = srcgrad.grad(fun)
        got = df(x)
        numeric = _fd(fun, x, u)
        assert np.isclose(np.sum(got * u), numeric, rtol=1e-5, atol=1e-7 * (1 + abs(numeric))), order
        expected = dynamic_derivative(f, [x], 0, [v, w][: order - 1])
        np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-10, err_msg=f"order {order}")
        if direction is not None:
            fun = _module_function(tmp_path, "def h(a):\n    return np.sum(DF(a) * V)\n", DF=df, V=direction).h


@pytest.mark.parametrize("x", POINTS, ids=["positive_sum", "negative_sum"])
@pytest.mark.parametrize("f", CASES, ids=[f.__name__ for f in CASES])
def test_hessian_vector_products(f, x):
    w = np.array([0.3, -1.2, 0.8])
    hv = srcgrad.hvp(f)(x, w)
    np.testing.assert_allclose(hv, _fd(srcgrad.grad(f), x, w), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(hv, dynamic_derivative(f, [x], 0, [w]), rtol=1e-8, atol=1e-10)


def test_the_moves_adjoint_in_a_branch_is_a_new_list():
    fn, _ = srcgrad.grad(moved_in_a_branch).inline_target()
    text = inspect.getsource(fn)
    assert re.search(r"da = \[(e\w*) for \1 in db\]", text), text
    assert "da = db" in srcgrad.grad(moved_in_a_branch).source_for(POINTS[0])  # the first-order code hands it on


def test_a_list_read_on_the_other_path_first_order_only(tmp_path):
    """First order: ``a`` is read after the second ``if c`` only where ``b = a`` did not run. The gradient's
    adjoint reads ``a``'s items for the zeros of its adjoint where the branches join, on both paths, so reading
    the gradient again is refused, naming the user's line (dynamic mode differentiates it twice)."""
    f = read_again_on_the_other_path
    for x in POINTS:
        u = np.array([0.7, -0.2, 0.5])
        got = srcgrad.grad(f)(x)
        assert np.isclose(np.sum(got * u), _fd(f, x, u), rtol=1e-6)
        np.testing.assert_allclose(got, dynamic_derivative(f, [x], 0, []), rtol=1e-10)
    line = f.__code__.co_firstlineno + 4
    with pytest.raises(srcgrad.TransformError, match=rf"line {line}: a second name for the same list"):
        srcgrad.hvp(f)(POINTS[0], np.ones(3))


def condition_read_otherwise(x):
    c = np.sum(x) > 0
    a = [x, x * 2.0]
    if c:
        b = a
    else:
        b = [x * 3.0]
    b.append(np.sin(x))
    if c:
        out = np.stack(b)
    else:
        out = np.stack(a)
    return np.sum(out**2) * np.where(c, 1.0, 2.0)  # c read otherwise: its value is not trusted to stay


def condition_set_in_a_loop(x):
    a = [x, x * 2.0]
    b = [x]
    c = False
    for i in range(2):
        c = np.sum(x) > i
        if c:
            b = a
    return np.sum(np.stack(a)) + np.sum(np.stack(b))


@pytest.mark.parametrize(
    "f, line", [(condition_read_otherwise, 4), (condition_set_in_a_loop, 7)], ids=["read_otherwise", "in_a_loop"]
)
def test_a_second_name_read_again_is_still_refused_at_its_line(f, line):
    at = f.__code__.co_firstlineno + line
    with pytest.raises(srcgrad.TransformError, match=rf"line {at}: .*(second name for the same list|holds a list)"):
        srcgrad.grad(f)(POINTS[0])
