"""``srcgrad.grad(f)(x)`` written inside the function being differentiated (JAX differentiates it too).

The derivative is made while compiling and differentiated through the code it generated, at every order; a
nested ``lambda`` reading the enclosing function's locals is lifted, those locals passed by keyword. Every
derivative is checked against finite differences and, where the tape has the same function, dynamic mode
(``srcgrad.autograd.grad(..., create_graph=True)``).
"""

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import TransformError


def fd_grad(f, x, eps=1e-6):
    """Central differences of scalar ``f`` at array ``x``, one element at a time."""
    out = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = eps
        out.flat[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return out


def energy(x):
    return np.sum(np.sin(x) * x**2)


def first_by_hand(x):
    return np.cos(x) * x**2 + 2 * np.sin(x) * x


def squared_gradient(x):
    return np.sum(srcgrad.grad(energy)(x) ** 2)


def squared_gradient_by_hand(x):
    return np.sum(first_by_hand(x) ** 2)


X = np.array([0.3, -1.2, 2.0, 0.7])


def test_a_gradient_made_inside_is_differentiated_in_both_directions():
    expected = fd_grad(squared_gradient_by_hand, X)
    np.testing.assert_allclose(srcgrad.grad(squared_gradient)(X), expected, rtol=1e-6)
    v = np.array([0.5, -1.0, 2.0, 0.25])
    value, tangent = srcgrad.jvp(squared_gradient)(X, v)
    assert value == pytest.approx(squared_gradient_by_hand(X), rel=1e-12)
    assert tangent == pytest.approx(expected @ v, rel=1e-6)


def test_a_gradient_made_inside_agrees_with_the_tape():
    xt = srcgrad.tensor(X, requires_grad=True)
    (first,) = srcgrad.autograd.grad(energy(xt), xt, create_graph=True)
    (second,) = srcgrad.autograd.grad((first**2).sum(), xt)
    np.testing.assert_allclose(srcgrad.grad(squared_gradient)(X), second.detach().numpy(), rtol=1e-10)


def lambda_of_a_gradient(x):
    d_fun = lambda y: srcgrad.grad(energy)(y)  # noqa: E731  (as HIPS autograd's tests write it)
    return np.sum(np.sin(d_fun(x)))


def test_a_lambda_calling_grad_inside_the_function():
    expected = fd_grad(lambda x: np.sum(np.sin(first_by_hand(x))), X)
    np.testing.assert_allclose(srcgrad.grad(lambda_of_a_gradient)(X), expected, rtol=1e-6)


def enclosing_scope(x):
    inner = lambda y: x * y**3  # noqa: E731  (reads x of the enclosing function)
    return x * srcgrad.grad(inner)(2.0)  # x * 3 x 2**2 = 12 x**2


def enclosing_scope_def(x):
    def inner(y):
        return np.sum(np.sin(x * y))

    return srcgrad.grad(inner)(0.5) * x[0]  # sum(x cos(x / 2)) x[0]


def test_a_nested_function_reading_the_enclosing_locals():
    """The lifted function takes x by keyword: the outer derivative reaches x through the inner gradient too
    (a derivative that treated x as a constant inside gives 12 x, not 24 x)."""
    x = 1.5
    assert srcgrad.grad(enclosing_scope)(x) == pytest.approx(24 * x, rel=1e-12)
    assert srcgrad.jvp(enclosing_scope)(x, 1.0)[1] == pytest.approx(24 * x, rel=1e-12)
    xs = np.array([0.4, -0.9, 1.7])
    by_hand = lambda x: np.sum(x * np.cos(x / 2)) * x[0]  # noqa: E731
    np.testing.assert_allclose(srcgrad.grad(enclosing_scope_def)(xs), fd_grad(by_hand, xs), rtol=1e-6)
    xt = srcgrad.tensor(xs, requires_grad=True)
    (second,) = srcgrad.autograd.grad(by_hand(xt), xt)
    np.testing.assert_allclose(srcgrad.grad(enclosing_scope_def)(xs), second.detach().numpy(), rtol=1e-10)


def third_order(x):
    return srcgrad.grad(lambda y: srcgrad.grad(lambda z: z**4 * x)(y))(x)  # 12 x**2 * x


def test_gradients_made_inside_gradients_made_inside():
    for x in (1.3, -0.6):
        assert third_order(x) == pytest.approx(12 * x**3, rel=1e-12)
        assert srcgrad.grad(third_order)(x) == pytest.approx(36 * x**2, rel=1e-10)
        assert srcgrad.grad(srcgrad.grad(third_order))(x) == pytest.approx(72 * x, rel=1e-10)


def jvp_inside(x):
    value, tangent = srcgrad.jvp(energy)(x, np.ones_like(x))
    return value * tangent


def value_and_grad_inside(x):
    value, g = srcgrad.value_and_grad(energy)(x)
    return value * np.sum(g)


def with_respect_to_the_second(x):
    return np.sum(srcgrad.grad(lambda a, b: np.sum(a * np.exp(b)), wrt=1)(x, 2 * x) ** 2)  # (x exp(2 x))**2


@pytest.mark.parametrize(
    "f, by_hand",
    [
        (jvp_inside, lambda x: energy(x) * np.sum(first_by_hand(x))),
        (value_and_grad_inside, lambda x: energy(x) * np.sum(first_by_hand(x))),
        (with_respect_to_the_second, lambda x: np.sum((x * np.exp(2 * x)) ** 2)),
    ],
)
def test_jvp_value_and_grad_and_wrt_made_inside(f, by_hand):
    expected = fd_grad(by_hand, X)
    np.testing.assert_allclose(srcgrad.grad(f)(X), expected, rtol=1e-6, atol=1e-8 * np.max(np.abs(expected)))


def outer_gradient(x):
    return np.sum(srcgrad.grad(energy)(x) * x)


_d_outer = srcgrad.grad(outer_gradient)


def called_with_dout(x, u):
    return np.sum(_d_outer(x, dout=u) * x)


def test_the_cotangent_keyword_stays_dout_when_a_gradient_is_inlined():
    """Inlining the inner gradient took the name ``dout`` first; the outer gradient's keyword became ``dout_2``,
    so a function passing ``dout=`` to it was refused."""
    assert "*, dout=None" in _d_outer.source
    u = 0.7
    by_hand = lambda x: np.sum(u * fd_grad(outer_gradient, x) * x)  # noqa: E731
    np.testing.assert_allclose(called_with_dout(X, u), by_hand(X), rtol=1e-6)
    np.testing.assert_allclose(
        srcgrad.grad(called_with_dout)(X, u), fd_grad(lambda x: called_with_dout(x, u), X), rtol=1e-5
    )


def wrt_computed_at_run_time(x):
    return srcgrad.grad(energy, wrt=int(x[0] > 0))(x)


def function_computed_at_run_time(x):
    fs = [energy, energy]
    return srcgrad.grad(fs[0])(x)


def hessian_inside(x):
    return np.sum(srcgrad.hessian(energy)(x))


@pytest.mark.parametrize(
    "f, message",
    [
        (wrt_computed_at_run_time, r"its argument int\(x\[0\] > 0\) must be known when compiling"),
        (function_computed_at_run_time, r"the function to differentiate, fs\[0\], must be known when compiling"),
        (hessian_inside, r"srcgrad.hessian is called inside the function being differentiated: the compiler does"),
    ],
)
def test_what_cannot_be_made_while_compiling_is_refused_at_its_line(f, message):
    with pytest.raises(TransformError, match=message) as info:
        srcgrad.grad(f)(X)
    assert info.value.filename == __file__
    assert info.value.lineno == f.__code__.co_firstlineno + 1 + (f is function_computed_at_run_time)


def has_a_dout_of_its_own(x):
    dout = np.sin(x)
    return np.sum(dout * x)


_d_own = srcgrad.grad(has_a_dout_of_its_own)


def passes_dout_to_it(x):
    return np.sum(_d_own(x, dout=2.0) * x)


def test_dout_reaches_a_gradient_whose_code_names_it_dout_2():
    """The user's own ``dout`` makes the generated keyword ``dout_2``; a call's ``dout=`` still means the
    cotangent (it was refused as an unexpected keyword)."""
    assert "*, dout_2=None" in _d_own.source
    by_hand = lambda x: np.sum(2.0 * (np.cos(x) * x + np.sin(x)) * x)  # noqa: E731
    np.testing.assert_allclose(passes_dout_to_it(X), by_hand(X), rtol=1e-12)
    np.testing.assert_allclose(srcgrad.grad(passes_dout_to_it)(X), fd_grad(by_hand, X), rtol=1e-6)
