"""Static-mode crashes HIPS autograd's tests met (tools/peer_autograd.py), each now a result or a refusal at the
user's line: np.append of a list argument (shape_of read a list as a number), a JVP whose rule is a lambda
closing its call on its own line read again (a SyntaxError from the parser), a compiled gradient given a dict
inside a differentiated function (an IndexError from the code made for arrays)."""

import numpy as np
import pytest

import srcgrad

WEIGHTS = np.array([1.0, -2.0, 0.5, 3.0])


def append_to_a_list(A, b):
    return np.sum(np.append(A, b) * WEIGHTS)


def append_rows(A, B):
    return np.sum(np.sin(np.append(A, B, axis=0)))


def test_np_append_of_a_list_argument_in_both_modes():
    """The gradient of list A was summed to a number (shape_of of a list was ()), and b's raised."""
    dA, db = srcgrad.grad(append_to_a_list, wrt=(0, 1))([1.0, 2.0, 3.0], 4.0)
    np.testing.assert_allclose(dA, WEIGHTS[:3], rtol=1e-12)
    assert db == pytest.approx(WEIGHTS[3], rel=1e-12)
    A, B = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[7.0, 8.0, 9.0]]
    dA, dB = srcgrad.grad(append_rows, wrt=(0, 1))(A, B)
    np.testing.assert_allclose(dA, np.cos(A), rtol=1e-12)
    np.testing.assert_allclose(dB, np.cos(B), rtol=1e-12)
    value, tangent = srcgrad.jvp(append_to_a_list, wrt=(0, 1))([1.0, 2.0, 3.0], 4.0, ([1.0, 0.0, 0.5], 2.0))
    assert tangent == pytest.approx(WEIGHTS[0] + 0.5 * WEIGHTS[2] + 2.0 * WEIGHTS[3], rel=1e-12)
    At, Bt = srcgrad.tensor(A, requires_grad=True), srcgrad.tensor(B, requires_grad=True)
    append_rows(At, Bt).backward()
    np.testing.assert_allclose(dA, At.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(dB, Bt.grad.numpy(), rtol=1e-12)


def second_differences(x):
    return np.diff(x, n=2, axis=1)


_jvp_diff = srcgrad.jvp(second_differences)


def squared_tangent(x, t):
    value, tangent = _jvp_diff(x, t)
    return np.sum(tangent**2)


def test_a_rule_lambda_that_does_not_parse_alone_is_read():
    """np.diff's JVP rule was a lambda ending its defjvp call on the same line: reading it raised SyntaxError; then
    it spread ``**zeroed(kw, t)`` and was refused; now it is read (``diff_tangent``) and differentiated: the
    gradient with respect to the tangent of sum(diff(t, 2, axis=1) ** 2) is 2 D^T D t, checked here by central
    differences."""
    rng = np.random.default_rng(4)
    x, t = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    dx, dt = srcgrad.grad(squared_tangent, wrt=(0, 1))(x, t)
    np.testing.assert_allclose(dx, np.zeros_like(x), atol=1e-12)
    expected = np.zeros_like(t)
    for k in np.ndindex(t.shape):
        e = np.zeros_like(t)
        e[k] = 1e-6
        expected[k] = (squared_tangent(x, t + e) - squared_tangent(x, t - e)) / 2e-6
    np.testing.assert_allclose(dt, expected, rtol=1e-6, atol=1e-8)


def by_key(d):
    return np.sum(np.sin(d["a"])) + np.sum(np.cos(d["b"]))


_d_by_key = srcgrad.grad(by_key)


def calls_a_gradient_with_a_dict(d):
    g = _d_by_key(d)
    return np.sum(g["a"]) + np.sum(np.sin(g["b"]))


def test_a_compiled_gradient_given_a_dict_inside_is_differentiated():
    """It was refused at the line (the gradient's general code indexed the dict's gradient as an array: an
    IndexError before that); it is now read key by key (tests/test_compiler_grad_items.py)."""
    d = {"a": np.array([0.3, 0.1]), "b": np.array([[0.5, -0.2]])}
    assert calls_a_gradient_with_a_dict(d) == pytest.approx(np.sum(np.cos(d["a"])) + np.sum(np.sin(-np.sin(d["b"]))))
    got = srcgrad.grad(calls_a_gradient_with_a_dict)(d)
    np.testing.assert_allclose(got["a"], -np.sin(d["a"]), rtol=1e-12)  # d/da sum(cos(a))
    np.testing.assert_allclose(got["b"], np.cos(-np.sin(d["b"])) * -np.cos(d["b"]), rtol=1e-12)
