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
@pytest.mark.parametrize("items, holds", [
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
])
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
