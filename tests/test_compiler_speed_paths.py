"""The compiler's speed paths give the same results as the general ones.

Each cheaper path in the compiler (how a call finds its specialisation, the analyses made linear in the
function's length) is checked here against what the general path gives or against finite differences.
Nothing is timed: ``benchmarks/`` measures speed.
"""

import numpy as np
import pytest

import srcgrad
from srcgrad.compiler.complexity import complex_mask


# ---------------------------------------------------------------- complex values inside a list of numbers
@pytest.mark.parametrize(
    "items, holds",
    [
        ([1.0, 2.0, 3.0], False),
        ([1, 2, 3], False),
        ([1.0, 2j, 3.0], True),
        ((1.0, 3j), True),
        ([1.0, np.complex64(1 + 1j), 2.0], True),
        ([1.0, np.complex128(1j), 2.0], True),
        ([1.0, np.array([1j]), 2.0], True),
        ([1.0, np.array([1.0]), 2.0], False),
        ([1.0, [1j], 2.0], True),
        ([1.0, "x", 2.0, 1j], True),
        ([1.0, np.float32(2.0), 1j], True),
        ([1.0, float("nan"), float("inf")], False),
    ],
)
def test_a_complex_item_anywhere_in_a_list_is_seen(items, holds):
    assert complex_mask((0.5, items)) == (frozenset({1}) if holds else frozenset())


def squares_of_scaled(a, zs):
    total = 0.0
    for i in range(len(zs)):
        total = total + np.abs(a * zs[i]) ** 2
    return total


def test_a_list_of_floats_with_a_complex_number_inside_gets_complex_code():
    """d/da sum |a z_i|^2 = 2 a sum |z_i|^2; the real code would read Re(z_i^2) (-4 for 2j) instead of |z_i|^2."""
    zs = [1.0, 2j, 3.0]
    g = srcgrad.grad(squares_of_scaled)(0.7, zs)
    assert abs(g - 2 * 0.7 * (1 + 4 + 9)) < 1e-12
    g_real = srcgrad.grad(squares_of_scaled)(0.7, [1.0, 2.0, 3.0])  # the real specialisation, made second
    assert abs(g_real - 2 * 0.7 * (1 + 4 + 9)) < 1e-12
    assert abs(srcgrad.grad(squares_of_scaled)(0.7, zs) - 2 * 0.7 * 14) < 1e-12  # not the real one from the cache


# ---------------------------------------------------------------- the analyses on loops and long functions
def _numeric_grad(f, x, *rest, eps=1e-6):
    x = np.array(x, dtype=float)
    out = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[k] += eps
        down[k] -= eps
        out[k] = (f(up, *rest) - f(down, *rest)) / (2 * eps)
    return out


def later_statement_feeds_an_earlier_one(x, n):
    a = 1.0
    b = 1.0
    for i in range(n):
        b = b * a  # depends on x from the second iteration on, through the statement below
        a = x * 1.5 + 0.5
    return np.sum(b * b)


def becomes_an_array_later(x, n):
    s = 0.0
    t = 1.0
    for i in range(n):
        s = s + t  # a number on the first iteration only: t is an array afterwards
        t = x * 2.0 + s
    return np.sum(s * s)


@pytest.mark.parametrize("fn", [later_statement_feeds_an_earlier_one, becomes_an_array_later])
def test_what_flows_backwards_through_a_loop_is_followed(fn):
    x = np.array([0.3, -0.4, 0.8])
    np.testing.assert_allclose(srcgrad.grad(fn)(x, 3), _numeric_grad(fn, x, 3), rtol=1e-6, atol=1e-8)


def _chain_function(n):
    """A function of ``n`` lines: numbers first, then an array enters at the end and flows back through ``s``."""
    lines = ["def chain(x, w):", "    c0 = 0.5"]
    lines += [f"    c{i} = c{i - 1} * 1.01 + 0.1" for i in range(1, n)]
    lines += ["    s = c0", "    for i in range(2):", f"        s = s * c{n - 1} + x * w", "    return np.sum(s * s)"]
    text = "\n".join(lines) + "\n"
    namespace = {"np": np}
    exec(compile(text, "<chain>", "exec"), namespace)
    return namespace["chain"], text


def test_a_long_chain_of_numbers_stays_plain_arithmetic_and_its_gradient_right():
    fn, text = _chain_function(300)
    x, w = np.array([0.3, -0.2]), np.array([1.1, 0.7])
    g = srcgrad.grad(fn, wrt=(0, 1), source=text)
    gx, gw = g(x, w)
    np.testing.assert_allclose(gx, _numeric_grad(lambda x: fn(x, w), x), rtol=1e-6)
    np.testing.assert_allclose(gw, _numeric_grad(lambda w: fn(x, w), w), rtol=1e-6)
    assert "c299 = c298 * 1.01 + 0.1" in g.source  # the numbers stay Python numbers


# ---------------------------------------------------------------- strength reduction in the generated code
_rng = np.random.default_rng(5)
V, U, W = _rng.normal(size=7), _rng.normal(size=7), _rng.normal(size=7)
M = _rng.normal(size=(5, 7))


def _check(fn, args, wrt=0):
    """The gradient against central differences; returns the generated source for these arguments."""
    g = srcgrad.grad(fn, wrt=wrt)
    got = g(*args)
    rest = list(args)

    def at(value):
        rest[wrt] = value
        return fn(*rest)

    want = _numeric_grad(at, args[wrt]) if np.ndim(args[wrt]) else (at(args[wrt] + 1e-6) - at(args[wrt] - 1e-6)) / 2e-6
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    lines = g.source_for(*args).splitlines()
    return "\n".join(line for line in lines if not line.strip().startswith(("#", '"""')))  # the code only


def scaled_residual(a, x, y):
    r = a * x - y
    return np.sum(r * r)


def cubic_fit(d, x, y):
    return np.sum((d * x**3 - y) ** 2)


def test_a_sum_of_a_product_of_two_vectors_is_a_dot():
    src = _check(scaled_residual, (0.3, V, U))
    assert "dr @ x" in src and "np.sum(" not in src
    src = _check(cubic_fit, (0.7, V, U))
    assert "@" in src and "np.sum(" not in src


def sum_over_matrix(a, X, Y):
    return np.sum((a * X - Y) ** 2)


def test_no_dot_for_matrices_or_for_two_forward_values():
    src = _check(sum_over_matrix, (0.3, M, M[::-1]))
    assert "@" not in src  # np.sum(g * X) over a matrix stays a sum
    m = np.array([True, False, True, True])

    def count_both(x, m, k):
        return x * np.sum(m * k)

    value, grad = srcgrad.value_and_grad(count_both)(2.0, m, m)
    assert value == 6.0 and grad == 3.0  # booleans: @ would give True, not the count


def sum_of_sines(x):
    return np.sum(np.sin(x))


def mean_square(x, w):
    return np.mean((x * w) ** 2)


def test_the_cotangent_of_a_sum_or_mean_is_a_number_where_a_product_takes_it():
    src = _check(sum_of_sines, (V,))
    assert "broadcast_to" not in src and "dx = dout * np.cos(x)" in src
    src = _check(mean_square, (V, U))
    assert "broadcast_to" not in src and "count(" not in src and "/ x.size" in src
    src = _check(mean_square, (V, U), wrt=1)
    assert "broadcast_to" not in src
    g32 = srcgrad.grad(mean_square)(V.astype(np.float32), U.astype(np.float32))
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, srcgrad.grad(mean_square)(V, U), rtol=1e-5)


def mean_left_unfolded(x):
    m = np.mean(x * x)
    return m * np.sum(x)


def test_a_mean_cotangent_not_folded_is_a_view_of_the_divided_number():
    src = _check(mean_left_unfolded, (V,))
    assert "count(" not in src


def matrix_vector_loss(w, A, y):
    return np.sum((A @ w - y) ** 2)


def vector_matrix_loss(v, A):
    return np.sum(np.tanh(v @ A.T))


def test_matrix_vector_products_need_no_reshapes():
    src = _check(matrix_vector_loss, (V, M, U[:5]))
    assert "squeeze" not in src and "expand_dims" not in src and "A.T @ " in src
    src = _check(vector_matrix_loss, (V, M))
    assert "squeeze" not in src and "expand_dims" not in src


def batched_matrix_vector(w, A):
    return np.sum(np.sin(A @ w))


def test_a_stack_of_matrices_keeps_the_general_form():
    src = _check(batched_matrix_vector, (V, _rng.normal(size=(3, 5, 7))))
    assert "squeeze" in src  # (3, 5, 7).T is not the transposed stack


def fourth_power(x, w):
    return np.sum(x**4 * w) + np.sum(x**5)


def test_powers_up_to_four_are_products():
    src = _check(fourth_power, (V, U))
    assert "**" not in src


# ---------------------------------------------------------------- forward mode: the call's table of keys
def _scaled_sum(x, y):
    return np.sum(np.sin(x) * np.asarray(y))


def _tangent_by_differences(f, args, wrt, tangent, h=1e-6):
    """The directional derivative of ``f`` along ``tangent`` in argument ``wrt``, by central differences."""
    up, down = list(args), list(args)
    up[wrt] = np.asarray(args[wrt], dtype=float) + h * np.asarray(tangent)
    down[wrt] = np.asarray(args[wrt], dtype=float) - h * np.asarray(tangent)
    return (f(*up) - f(*down)) / (2 * h)


def test_jvp_finds_a_seen_specialisation_without_making_its_key_again(monkeypatch):
    from srcgrad.compiler import speckey

    j = srcgrad.jvp(_scaled_sum)
    x, y, t = np.linspace(0.1, 0.9, 4), np.linspace(1.0, 2.0, 4), np.full(4, 0.5)
    j(x, y, t)
    made = []
    real_key = speckey.key
    monkeypatch.setattr(speckey, "key", lambda *a, **k: made.append(1) or real_key(*a, **k))
    for scale in (1.0, 2.0, 3.0):
        value, tangent = j(x * scale, y, t)
        assert tangent == pytest.approx(_tangent_by_differences(_scaled_sum, (x * scale, y), 0, t), rel=1e-6)
    assert made == []  # same kinds and shapes: the table answered
    j(np.ones((2, 3)), np.ones((2, 3)), np.ones((2, 3)))
    assert made == [1]  # new shapes: a new key


@pytest.mark.parametrize(
    "calls",
    [
        # (x, y, tangent) in turn: kinds and shapes change between calls, so does the specialisation
        [(0.3, 2.0, 1.0), (np.array([0.1, 0.2, 0.3]), 2.0, np.ones(3)), (0.4, np.array([1.0, 3.0]), 0.5)],
        [
            (np.array([0.2, 0.5, 0.7]), np.array([1.5]), np.ones(3)),  # y broadcasts (an axis of 1)
            (np.array([0.2, 0.5, 0.7]), np.array([1.5, 2.0, 2.5]), np.ones(3)),
            (np.array([0.2, 0.5, 0.7]), np.array([1.5]), np.full(3, 0.25)),
        ],
        [
            (np.array([0.2, 0.5]), [[1.0, 2.0], [3.0, 4.0]], np.array([1.0, 0.5])),  # a nested list: an array
            (np.array([0.2, 0.5]), [[1.0, 2.0], [3.0, 5.0]], np.array([0.5, 1.0])),
            (np.array([0.2, 0.5]), np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, 1.0])),
        ],
    ],
)
def test_jvp_gives_each_call_the_tangent_of_its_own_arguments(calls):
    j = srcgrad.jvp(_scaled_sum)
    for x, y, t in calls:
        value, tangent = j(x, y, t)
        assert value == pytest.approx(_scaled_sum(np.asarray(x), np.asarray(y)))
        expected = _tangent_by_differences(_scaled_sum, (np.asarray(x, float), np.asarray(y, float)), 0, t)
        assert np.asarray(tangent) == pytest.approx(expected, rel=1e-6, abs=1e-9)
