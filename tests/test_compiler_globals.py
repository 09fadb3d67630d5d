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


# ---------------------------------------------------------------- forward mode: srcgrad.jvp specialises the same way
def _directional(f, args, tangents, eps=1e-6):
    """The central difference of ``f`` at ``args`` along ``tangents`` (one per argument)."""
    up = [np.asarray(a, dtype=float) + eps * np.asarray(t, dtype=float) for a, t in zip(args, tangents)]
    down = [np.asarray(a, dtype=float) - eps * np.asarray(t, dtype=float) for a, t in zip(args, tangents)]
    up = [float(u) if np.ndim(a) == 0 else u for a, u in zip(args, up)]
    down = [float(d) if np.ndim(a) == 0 else d for a, d in zip(args, down)]
    return (f(*up) - f(*down)) / (2 * eps)


def _tape_jvp(f, args, tangents):
    ins = tuple(srcgrad.tensor(np.asarray(a, dtype=float)) for a in args)
    vs = tuple(srcgrad.tensor(np.asarray(t, dtype=float)) for t in tangents)
    return srcgrad.autograd.functional.jvp(f, ins, vs)[1].numpy()


def _check_jvp(f, args, tangents):
    """The JVP of ``f`` (every argument a wrt) against central differences and dynamic mode; returns it."""
    j = srcgrad.jvp(f, wrt=tuple(range(len(args))))
    value, tangent = j(*args, tuple(tangents))
    np.testing.assert_allclose(value, f(*args), rtol=1e-12)
    np.testing.assert_allclose(tangent, _directional(f, args, tangents), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(tangent, _tape_jvp(f, args, tangents), rtol=1e-10, atol=1e-12)
    return j


def _jvp_code(j):
    return "\n".join(line for line in j.source.splitlines() if not line.strip().startswith(("#", '"""')))


def test_the_jvp_of_a_scalar_loop_over_global_lists_is_plain_float_arithmetic():
    j = _check_jvp(horner_loss, (0.1, 0.2, 0.3, 0.4), (1.0, -0.5, 0.25, 2.0))
    code = _jvp_code(j)
    for slow in ("broadcast_like", "np.", "match_shape"):
        assert slow not in code


def test_the_jvp_over_global_arrays_is_the_code_arguments_get():
    def poly_loss_of(a, b, c, d, X, Y):  # the same function with the data as arguments
        p = a + b * X + c * X**2 + d * X**3
        return np.sum((p - Y) ** 2)

    j = _check_jvp(poly_loss, (0.1, 0.2, 0.3, 0.4), (1.0, -0.5, 0.25, 2.0))
    by_args = srcgrad.jvp(poly_loss_of, wrt=(0, 1, 2, 3))
    by_args(0.1, 0.2, 0.3, 0.4, X, Y, (1.0, -0.5, 0.25, 2.0))
    code = _jvp_code(j)
    assert code.replace("jvp_poly_loss(", "jvp_poly_loss_of(").replace("d, da", "d, X, Y, da") == _jvp_code(by_args)
    assert code.count("broadcast_like") == 1  # a's tangent, a number, spread over X's shape once


def test_the_jvp_over_a_global_matrix_and_closure_data():
    data = _rng.normal(size=40)

    def helper(w):
        return w * X  # X: a global of the helper's module

    def loss(w):
        return np.sum((helper(w) - data) ** 2)  # data: a closure cell

    w, v = _rng.normal(size=40), _rng.normal(size=40)
    j = _check_jvp(loss, (w,), (v,))
    assert "broadcast_like" not in _jvp_code(j)
    W1, W2 = _rng.normal(size=(8, 5)), _rng.normal(size=(5, 3))
    V1, V2 = _rng.normal(size=(8, 5)), _rng.normal(size=(5, 3))
    j = _check_jvp(mlp_loss, (W1, W2), (V1, V2))
    assert "broadcast_like" not in _jvp_code(j)


def test_the_jvp_source_before_a_call_and_source_for_stay_general():
    j = srcgrad.jvp(poly_loss, wrt=(0, 1, 2, 3))
    assert _jvp_code(j).count("broadcast_like") > 1
    assert j.source_for(0.1, 0.2, 0.3, 0.4).count("broadcast_like") > 1
    j(0.1, 0.2, 0.3, 0.4, (1.0, 0.0, 0.0, 0.0))
    assert _jvp_code(j).count("broadcast_like") == 1


def weighted_and_shifted(w):
    return np.sum((w * X - Y) ** 2) + np.sum(w + X)  # w + X: w's tangent spread over X's shape when it is larger


def test_the_jvp_follows_a_global_array_changed_in_place_or_of_another_shape():
    global X, Y
    saved = X.copy(), Y
    f = weighted_and_shifted
    try:
        w, v = _rng.normal(size=40), _rng.normal(size=40)
        j = srcgrad.jvp(f)
        first = j(w, v)[1]
        fn = j.function
        assert "broadcast_like" not in _jvp_code(j)
        X[:] = _rng.normal(size=40)  # same object, same shape, new values
        second = j(w, v)[1]
        assert j.function is fn  # no new transformation
        assert not np.allclose(first, second)
        np.testing.assert_allclose(second, _directional(f, (w,), (v,)), rtol=1e-5, atol=1e-7)
        X = _rng.normal(size=(3, 40))  # rebound, broadcasting against w now
        np.testing.assert_allclose(j(w, v)[1], _directional(f, (w,), (v,)), rtol=1e-5, atol=1e-7)
        assert j.function is not fn
        X, Y = saved[0].copy(), saved[1].copy()
        j(w, v)
        fn = j.function
        X.shape = (40, 1)  # the same object reshaped in place: (40, 1) * (40,) is (40, 40)
        np.testing.assert_allclose(j(w, v)[1], _directional(f, (w,), (v,)), rtol=1e-5, atol=1e-7)
        assert j.function is not fn and "broadcast_like" in _jvp_code(j)
        X.shape = (40,)
        np.testing.assert_allclose(j(w, v)[1], _directional(f, (w,), (v,)), rtol=1e-5, atol=1e-7)
        assert j.function is fn  # the first specialisation again
    finally:
        X, Y = saved


def test_the_jvp_follows_a_global_list_that_comes_to_hold_other_items():
    saved = list(XS)
    try:
        j = srcgrad.jvp(horner_loss, wrt=(0, 1, 2, 3))
        args, tangents = (0.1, 0.2, 0.3, 0.4), (1.0, -0.5, 0.25, 2.0)
        j(*args, tangents)
        fn = j.function
        XS[0] = np.array(0.5)  # an array first: no longer a list of Python numbers
        got = j(*args, tangents)[1]
        assert j.function is not fn
        np.testing.assert_allclose(got, _directional(horner_loss, args, tangents), rtol=1e-5)
        XS[3] = 2j  # a complex item: |.|-free, so the value is complex; the tangent follows the complex code
        value, got = j(*args, tangents)
        np.testing.assert_allclose(value, horner_loss(*args), rtol=1e-12)
        np.testing.assert_allclose(got, _directional(horner_loss, args, tangents), rtol=1e-5)
    finally:
        XS[:] = saved
