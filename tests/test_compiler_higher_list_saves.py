"""Lists given a new value inside a loop (made afresh each iteration, appended to; moved: tests/test_compiler_higher_lists.py), differentiated once,
twice and three times in static mode.

The gradient made to be differentiated again saves such a list item by item (its items from the last, then its
length on the stack of counts) and rebuilds it with appends of the popped items, where the first-order code
pushes the list object (a list popped from the stack is one the compiler cannot follow); a comprehension
assigned to a name in generated code appends to that name (no second name for its list). Every order is
judged by central finite differences of the order below and by dynamic mode (Tensors with
``create_graph=True``), never by the compiler itself.
"""

import inspect

import numpy as np
import pytest

import srcgrad
from corpus import all_cases
from test_compiler_higher import _fd, _module_function, dynamic_derivative


def list_appended_in_loop(x):
    s = 0.0
    for k in range(3):
        parts = [x * 1.0]
        for j in range(k):
            parts.append(x * j)
        s = s + np.sum(np.stack(parts) ** 3)
    return s


def items_read_after_rebinding(x):
    total = 0.0
    for k in range(3):
        ys = [np.sin(x)]
        for j in range(k + 1):
            ys.append(ys[j] * x)  # the adjoint reads the items' values
        total = total + np.sum(sum(ys) ** 2)
    return total


def pieces_of_growing_length(x):
    total = 0.0
    for k in range(1, 4):
        pieces = []
        for j in range(k):
            pieces.append(np.cos(x[: j + 1]) * x[j])
        total = total + np.sum(np.concatenate(pieces) ** 2)
    return total


def appended_in_a_while(x):
    s = 0.0
    n = 0
    while n < 3:
        acc = []
        for j in range(n + 1):
            acc.append(np.cos(x * (j + 1)))
        s = s + np.sum(np.stack(acc) * x)
        n += 1
    return s


def comprehension_in_a_loop(x):
    total = 0.0
    for k in range(3):
        ys = [np.sin(x * j) * x for j in range(k + 1)]
        total = total + np.sum(np.stack(ys) ** 2)
    return total


def comprehension_read_by_a_closure(x):
    ys = [x * 2.0]
    first = lambda: ys[0]  # noqa: E731
    ys = [first() * x * k for k in range(1, 4)]  # first() reads the old list: ys is given the new one after
    return np.sum(np.stack(ys) ** 2)


_X = np.array([0.4, -0.7, 0.3])
CASES = [
    list_appended_in_loop,
    items_read_after_rebinding,
    pieces_of_growing_length,
    appended_in_a_while,
    comprehension_in_a_loop,
]


@pytest.mark.parametrize("f", CASES, ids=[f.__name__ for f in CASES])
def test_orders_one_to_three(f, tmp_path):
    rng = np.random.default_rng(7)
    v, w, u = (rng.normal(size=_X.shape) for _ in range(3))
    fun = f
    for order, direction in enumerate((v, w, None), 1):
        df = srcgrad.grad(fun)
        got = df(_X)
        numeric = _fd(fun, _X, u)
        assert np.isclose(np.sum(got * u), numeric, rtol=1e-5, atol=1e-7 * (1 + abs(numeric))), order
        expected = dynamic_derivative(f, [_X], 0, [v, w][: order - 1])
        np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-10, err_msg=f"order {order}")
        if direction is not None:
            fun = _module_function(tmp_path, "def h(a):\n    return np.sum(DF(a) * V)\n", DF=df, V=direction).h


@pytest.mark.parametrize("f", CASES, ids=[f.__name__ for f in CASES])
def test_hessian_vector_products(f):
    """Forward over reverse: the JVP of the gradient read again."""
    w = np.array([0.3, -1.2, 0.8])
    hv = srcgrad.hvp(f)(_X, w)
    np.testing.assert_allclose(hv, _fd(srcgrad.grad(f), _X, w), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(hv, dynamic_derivative(f, [_X], 0, [w]), rtol=1e-8, atol=1e-10)


def test_the_form_differentiated_again_saves_the_items_not_the_list():
    fn, _ = srcgrad.grad(list_appended_in_loop).inline_target()
    text = inspect.getsource(fn)
    assert "stack.append(parts)" not in text  # the list object is never pushed
    assert "stack.append(parts[k" in text
    assert "counts.append(len(parts))" in text
    assert "n_parts = counts.pop()" in text
    assert "parts.append(stack.pop())" in text
    assert "parts = []" in text.splitlines()[2]  # saved before its first value: it starts empty
    # the first-order code still saves the list whole (one push)
    assert "push(parts)" in srcgrad.grad(list_appended_in_loop).source_for(_X)


def test_a_comprehension_in_generated_code_has_one_name(tmp_path):
    """The second derivative of a function whose gradient builds a list by a comprehension in a loop
    (``dparts = [... for k in range(len(parts))]``) appends to ``dparts`` itself."""
    df = srcgrad.grad(list_appended_in_loop)
    h = _module_function(tmp_path, "def h(a):\n    return np.sum(DF(a) * V)\n", DF=df, V=np.ones(3)).h
    fn, _ = srcgrad.grad(h).inline_target()
    text = inspect.getsource(fn)
    assert "dparts = []" in text and "dparts.append(" in text
    assert "dparts = items" not in text


@pytest.mark.parametrize("wrt", [0, 1])
def test_rk4_third_derivative(wrt, tmp_path):
    """The corpus's rk4 (``deriv`` called four times a step, its list literal stacked) three times, with respect to
    the state (quadratic: zero) and to omega (not zero)."""
    (case,) = [c for c in all_cases() if c.name == "ml.rk4_oscillator"]
    state, omega = np.array([1.0, 0.3]), 1.7
    args = [state, omega]
    rng = np.random.default_rng(2)
    shape = np.shape(args[wrt])
    v, w, u = (rng.normal(size=shape) for _ in range(3))
    if wrt == 1:
        v, w, u = float(v), float(w), float(u)
    df = srcgrad.grad(case.fn, wrt=wrt)
    h = _module_function(tmp_path, "def h(s, o):\n    return np.sum(DF(s, o) * V)\n", DF=df, V=v).h
    dh = srcgrad.grad(h, wrt=wrt)
    k = _module_function(tmp_path, "def k(s, o):\n    return np.sum(DH(s, o) * W)\n", DH=dh, W=w).k
    got = srcgrad.grad(k, wrt=wrt)(*args)

    def along(x):
        a = list(args)
        a[wrt] = x
        return k(*a)

    numeric = _fd(along, args[wrt], u)
    assert np.isclose(np.sum(got * u), numeric, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(got, dynamic_derivative(case.fn, args, wrt, [v, w]), rtol=1e-7, atol=1e-10)
    if wrt == 1:
        assert abs(got) > 1e-3  # a third derivative that is not zero


def test_a_comprehension_whose_closure_reads_the_old_list(tmp_path):
    """A def or lambda reading the name a comprehension is assigned to sees the old list while the comprehension
    runs, so the comprehension is built in a list of its own, handed on after (first order; read again, that
    second name is refused at the user's line)."""
    f = comprehension_read_by_a_closure
    u = np.array([0.7, 0.2, -0.4])
    got = srcgrad.grad(f)(_X)
    assert np.isclose(np.sum(got * u), _fd(f, _X, u), rtol=1e-6)
    np.testing.assert_allclose(got, dynamic_derivative(f, [_X], 0, []), rtol=1e-10)
    line = f.__code__.co_firstlineno + 3
    with pytest.raises(srcgrad.TransformError, match=rf"line {line}: 'ys' holds a list"):
        srcgrad.hvp(f)(_X, u)


def list_after_none(x):
    acc = None
    s = 0.0
    for i in range(3):
        acc = [x * i, np.sin(x)]
        acc.append(x * x)
        s = s + np.sum(np.stack(acc) ** 2)
    return s


def test_a_name_given_none_before_its_list_is_refused_at_second_order():
    """Its first value is no list, so the gradient saves it whole, and reading that again is refused at the
    user's line (not a TypeError from len(None) in the generated code)."""
    u = np.array([0.7, 0.2, -0.4])
    got = srcgrad.grad(list_after_none)(_X)
    assert np.isclose(np.sum(got * u), _fd(list_after_none, _X, u), rtol=1e-6)
    line = list_after_none.__code__.co_firstlineno + 4
    with pytest.raises(srcgrad.TransformError, match=rf"line {line}: 'acc' holds a list"):
        srcgrad.hvp(list_after_none)(_X, u)
