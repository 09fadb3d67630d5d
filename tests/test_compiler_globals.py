"""Data in module globals and closures: specialised on as arguments are, and followed when it changes.

A call of ``srcgrad.grad(f)`` specialises on the kinds and shapes of the arrays and lists ``f`` (and the
helpers it calls) reads from globals and closure cells, so the generated code is the one the same data passed
as arguments gets: plain float arithmetic over a list of numbers, no ``unbroadcast`` where shapes agree, dot
products. Changing the data in place keeps the gradient right; changing its shape, or what a list holds,
makes a new specialisation. ``df.source`` before a call, ``source_for`` and ``srcgrad show`` stay general.
Every gradient is checked against central differences and against dynamic mode (the same function on
Tensors).
"""

import numpy as np
import pytest

import srcgrad

_rng = np.random.default_rng(3)
XS = _rng.normal(size=50).tolist()
YS = _rng.normal(size=50).tolist()
X = _rng.normal(size=40)
Y = _rng.normal(size=40)
XM = _rng.normal(size=(6, 8))
YM = _rng.normal(size=(6, 3))


def horner_loss(a, b, c, d):
    loss = 0.0
    for i in range(len(XS)):
        x = XS[i]
        p = a + x * (b + x * (c + x * d))
        r = p - YS[i]
        loss += r * r
    return loss


def poly_loss(a, b, c, d):
    p = a + b * X + c * X**2 + d * X**3
    return np.sum((p - Y) ** 2)


def mlp_loss(W1, W2):
    h = np.maximum(0, XM @ W1)
    out = h @ W2
    return np.sum((out - YM) ** 2)


def weighted(w):
    return np.sum((w * X - Y) ** 2)


def _code(g):
    """The generated code of the last call, without comments and docstring."""
    return "\n".join(line for line in g.source.splitlines() if not line.strip().startswith(("#", '"""')))


def _numeric(f, args, i, eps=1e-6):
    args = list(args)
    x = np.array(args[i], dtype=float)
    out = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[k] += eps
        down[k] -= eps
        args[i] = up if x.ndim else float(up)
        hi = f(*args)
        args[i] = down if x.ndim else float(down)
        lo = f(*args)
        out[k] = (hi - lo) / (2 * eps)
    return out if x.ndim else float(out)


def _tape(f, args, wrt):
    ts = [srcgrad.tensor(np.asarray(a, dtype=float), requires_grad=True) for a in args]
    f(*ts).backward()
    return [ts[i].grad.numpy() for i in wrt]


def _check(f, args, wrt):
    got = srcgrad.grad(f, wrt=tuple(wrt))(*args)
    for i, g in zip(wrt, got):
        np.testing.assert_allclose(g, _numeric(f, args, i), rtol=1e-5, atol=1e-7)
    for g, t in zip(got, _tape(f, args, wrt)):
        np.testing.assert_allclose(g, t, rtol=1e-10, atol=1e-12)  # the two modes agree


# ---------------------------------------------------------------- the code a call runs
def test_a_scalar_loop_over_global_lists_is_plain_float_arithmetic():
    g = srcgrad.grad(horner_loss, wrt=(0, 1, 2, 3))
    args = (0.1, 0.2, 0.3, 0.4)
    _check(horner_loss, args, range(4))
    g(*args)
    code = _code(g)
    for slow in ("unbroadcast", "np.shape", "np.sum", "default_dout"):
        assert slow not in code
    assert "dr = 2 * dout * r" in code


def scaled_items(a, b):
    loss = 0.0
    for i in range(len(XS)):
        r = a * (XS[i] * 0.5 + 1.0) + b - YS[i] * YS[i]  # arithmetic on items of global lists
        loss += r * r
    return loss


def test_arithmetic_on_items_of_global_lists_is_float_arithmetic():
    _check(scaled_items, (0.3, -0.2), (0, 1))
    g = srcgrad.grad(scaled_items, wrt=(0, 1))
    g(0.3, -0.2)
    code = _code(g)
    assert "unbroadcast" not in code and "np." not in code


def test_global_arrays_get_the_code_arguments_get():
    g = srcgrad.grad(poly_loss, wrt=(0, 1, 2, 3))
    args = (0.1, 0.2, 0.3, 0.4)
    _check(poly_loss, args, range(4))
    g(*args)
    code = _code(g)
    assert "unbroadcast" not in code and "broadcast_to" not in code and "np.shape" not in code
    assert code.count(" @ ") == 3  # b, c, d: dots with X, X * X, X * X * X


def test_a_global_matrix_gets_the_plain_matrix_products():
    W1, W2 = _rng.normal(size=(8, 5)), _rng.normal(size=(5, 3))
    _check(mlp_loss, (W1, W2), (0, 1))
    g = srcgrad.grad(mlp_loss, wrt=(0, 1))
    g(W1, W2)
    code = _code(g)
    assert "unbroadcast" not in code and "matmul_vjp" not in code and "XM.T @ dt" in code


def test_a_global_shares_its_length_symbol_with_an_argument():
    w = _rng.normal(size=40)
    _check(weighted, (w,), (0,))
    g = srcgrad.grad(weighted)
    g(w)
    assert "unbroadcast" not in _code(g)


def test_closure_cells_and_helpers_globals_are_specialised_too():
    data = _rng.normal(size=40)

    def helper(w):
        return w * X  # X: a global of the helper's module

    def loss(w):
        return np.sum((helper(w) - data) ** 2)  # data: a closure cell

    w = _rng.normal(size=40)
    _check(loss, (w,), (0,))
    g = srcgrad.grad(loss)
    g(w)
    assert "unbroadcast" not in _code(g)


# ---------------------------------------------------------------- what stays general
def test_source_before_a_call_and_source_for_stay_general():
    g = srcgrad.grad(poly_loss, wrt=(0, 1, 2, 3))
    assert "unbroadcast" in g.source  # before any call: the general code
    assert "unbroadcast" in g.source_for(0.1, 0.2, 0.3, 0.4)  # what `srcgrad show` prints
    g(0.1, 0.2, 0.3, 0.4)
    assert "unbroadcast" not in g.source  # the code the call ran


# ---------------------------------------------------------------- data that changes
def test_a_global_array_changed_in_place_keeps_the_specialisation_and_the_gradient_right():
    global X
    saved = X.copy()
    try:
        w = _rng.normal(size=40)
        g = srcgrad.grad(weighted)
        first = g(w)
        fn = g.function
        X[:] = _rng.normal(size=40)  # same object, same shape, new values
        second = g(w)
        assert g.function is fn  # no new transformation
        assert not np.allclose(first, second)
        np.testing.assert_allclose(second, _numeric(weighted, (w,), 0), rtol=1e-5, atol=1e-7)
    finally:
        X = saved


def test_a_global_array_of_another_shape_is_specialised_again():
    global X, Y
    saved = X, Y
    try:
        g = srcgrad.grad(weighted)
        w = _rng.normal(size=40)
        g(w)
        fn = g.function
        X = _rng.normal(size=(3, 40))  # rebound, broadcasting against w now: X's adjoint is summed over rows
        np.testing.assert_allclose(g(w), _numeric(weighted, (w,), 0), rtol=1e-5, atol=1e-7)
        assert g.function is not fn
        X, Y = saved[0].copy(), saved[1].copy()
        X.shape = (40, 1)  # the same object reshaped in place: (40, 1) * (40,) is (40, 40)
        np.testing.assert_allclose(g(w), _numeric(weighted, (w,), 0), rtol=1e-5, atol=1e-7)
        X.shape = (40,)
        np.testing.assert_allclose(g(w), _numeric(weighted, (w,), 0), rtol=1e-5, atol=1e-7)
    finally:
        X, Y = saved


def test_a_global_list_that_comes_to_hold_other_items_is_specialised_again():
    saved = list(XS)
    try:
        g = srcgrad.grad(horner_loss, wrt=(0, 1, 2, 3))
        args = (0.1, 0.2, 0.3, 0.4)
        g(*args)
        fn = g.function
        XS[0] = np.array(0.5)  # an array first: no longer a list of Python numbers
        got = g(*args)
        assert g.function is not fn
        for i in range(4):
            np.testing.assert_allclose(got[i], _numeric(horner_loss, args, i), rtol=1e-5)
    finally:
        XS[:] = saved


def squares_of_scaled(a):
    total = 0.0
    for i in range(len(XS)):
        total = total + np.abs(a * XS[i]) ** 2
    return total


def test_a_complex_number_put_into_a_global_list_gets_complex_code():
    saved = list(XS)
    try:
        g = srcgrad.grad(squares_of_scaled)
        real = g(0.7)
        assert abs(real - 2 * 0.7 * sum(v * v for v in XS)) < 1e-9
        XS[3] = 2j  # |a * 2j|^2 = 4 a^2; the real code would read Re((2j)^2) = -4
        want = 2 * 0.7 * sum(abs(v) ** 2 for v in XS)
        assert abs(g(0.7) - want) < 1e-9
    finally:
        XS[:] = saved


@pytest.mark.parametrize("n", [30, 50])
def test_a_global_list_of_another_length_needs_no_new_code(n):
    saved = list(XS), list(YS)
    try:
        g = srcgrad.grad(horner_loss, wrt=(0, 1, 2, 3))
        XS[:] = _rng.normal(size=n).tolist()
        YS[:] = _rng.normal(size=n).tolist()
        args = (0.1, 0.2, 0.3, 0.4)
        got = g(*args)
        for i in range(4):
            np.testing.assert_allclose(got[i], _numeric(horner_loss, args, i), rtol=1e-5)
    finally:
        XS[:], YS[:] = saved
