"""scipy.integrate.odeint's derivative (srcgrad/odeint.py), in both modes, against central finite differences.

The solver runs with tight tolerances (1e-11) so that finite differences of its result are meaningful; each
gradient (static: ``srcgrad.grad``; dynamic: Tensors and ``srcgrad.autograd.grad``) is compared with them and
with the other mode. Skipped when scipy is not installed.
"""

import numpy as np
import pytest

import srcgrad

pytest.importorskip("scipy")
import scipy.integrate as integrate  # noqa: E402

import srcgrad.rules.scipy_rules  # noqa: E402

srcgrad.rules.scipy_rules.load(["scipy.integrate"])

EPS = 1e-6
TOL = 1e-11
TIMES = np.linspace(0.1, 0.9, 5)
W = np.random.RandomState(0).randn(5, 3)  # the output's weights: every row and component counts


def decay(y, t, a, b):
    """Couples the components (y[::-1]), reads t, an array and a number."""
    return -np.sqrt(t) - y * a + np.sin(b * y[::-1]) - np.mean((y + b) ** 2)


def loss(y0, t, a, b):
    ys = integrate.odeint(decay, y0, t, args=(a, b), rtol=1e-11, atol=1e-11)
    return np.sum(W * ys**2)


def oscillator(t, y, k):
    """tfirst=True, returns a list of components."""
    return [y[1], -k * y[0] - 0.1 * y[1]]


def loss_tfirst(y0, k):
    ys = integrate.odeint(oscillator, y0, np.linspace(0.0, 2.0, 4), args=(k,), tfirst=True, rtol=1e-11, atol=1e-11)
    return np.sum(ys[:, 0] * ys[:, 1])


def growth(y, t):
    return 0.5 * y * (1.0 - y)


def loss_no_args(y0):
    return np.sum(integrate.odeint(growth, y0, np.linspace(0.0, 1.0, 3), rtol=1e-11, atol=1e-11) ** 3)


def numeric_grad(f, args, i):
    x = np.asarray(args[i], dtype=float)
    out = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        plus, minus = list(args), list(args)
        hi, lo = x.copy(), x.copy()
        hi[k] += EPS
        lo[k] -= EPS
        plus[i], minus[i] = (hi, lo) if x.ndim else (float(hi), float(lo))
        out[k] = (f(*plus) - f(*minus)) / (2 * EPS)
    return out


def dynamic_grads(f, args):
    tensors = [srcgrad.tensor(np.asarray(a, dtype=float), requires_grad=True) for a in args]
    return [g.numpy() for g in srcgrad.autograd.grad(f(*tensors), tensors)]


ARGS = [np.array([0.3, -0.2, 0.5]), TIMES, np.array([0.7, 1.1, 0.4]), 0.6]


@pytest.mark.parametrize("i, name", [(0, "y0"), (1, "t"), (2, "array argument"), (3, "number argument")])
def test_gradient_matches_finite_differences_in_both_modes(i, name):
    numeric = numeric_grad(loss, ARGS, i)
    static = srcgrad.grad(loss, wrt=i)(*ARGS)
    dynamic = dynamic_grads(loss, ARGS)[i]
    scale = np.max(np.abs(numeric))
    assert scale > 1e-2  # the check means something: the gradient is not zero
    np.testing.assert_allclose(static, numeric, rtol=1e-6, atol=1e-6 * scale)
    np.testing.assert_allclose(dynamic, numeric, rtol=1e-6, atol=1e-6 * scale)
    assert np.shape(static) == np.shape(ARGS[i]) and np.shape(dynamic) == np.shape(ARGS[i])


def test_static_and_dynamic_agree_on_all_arguments_at_once():
    static = srcgrad.grad(loss, wrt=(0, 1, 2, 3))(*ARGS)
    dynamic = dynamic_grads(loss, ARGS)
    for s, d in zip(static, dynamic):
        np.testing.assert_allclose(s, d, rtol=1e-12, atol=1e-12)


def test_time_gradient_of_the_first_time_moves_the_start():
    # t[0] is where y0 is given: moving it shifts the whole solution (HIPS's closed form, -a(t0) . f(y0, t0))
    numeric = numeric_grad(loss, ARGS, 1)
    assert abs(numeric[0]) > 1e-2
    np.testing.assert_allclose(srcgrad.grad(loss, wrt=1)(*ARGS)[0], numeric[0], rtol=1e-6)


@pytest.mark.parametrize("i", [0, 1])
def test_tfirst_and_a_list_valued_function(i):
    args = [np.array([1.0, 0.5]), 2.0]
    numeric = numeric_grad(loss_tfirst, args, i)
    static = srcgrad.grad(loss_tfirst, wrt=i)(*args)
    dynamic = dynamic_grads(loss_tfirst, args)[i]
    assert np.max(np.abs(numeric)) > 1e-2
    np.testing.assert_allclose(static, numeric, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dynamic, numeric, rtol=1e-6, atol=1e-8)


def test_no_args():
    y0 = np.array([0.2, 0.7])
    numeric = numeric_grad(loss_no_args, [y0], 0)
    np.testing.assert_allclose(srcgrad.grad(loss_no_args)(y0), numeric, rtol=1e-6)
    np.testing.assert_allclose(dynamic_grads(loss_no_args, [y0])[0], numeric, rtol=1e-6)


def odeint_of(y0, t, a, b):
    return integrate.odeint(decay, y0, t, args=(a, b), rtol=1e-11, atol=1e-11)


def test_each_cotangent_gets_its_own_backward_solve():
    # the VJPs of one call share one backward solve (kept with copies of its inputs): another cotangent, or the
    # same arrays changed in place, must give another, right, gradient
    d_odeint = srcgrad.grad(odeint_of, wrt=(0, 2))
    y0 = ARGS[0].copy()
    for seed in (1, 2):
        u = np.random.RandomState(seed).randn(5, 3)

        def weighted(y0_, a_):
            return np.sum(u * odeint_of(y0_, TIMES, a_, 0.6))

        got = d_odeint(y0, TIMES, ARGS[2], 0.6, dout=u)
        np.testing.assert_allclose(got[0], numeric_grad(weighted, [y0, ARGS[2]], 0), rtol=1e-6)
        np.testing.assert_allclose(got[1], numeric_grad(weighted, [y0, ARGS[2]], 1), rtol=1e-6)
        y0 += 0.25  # in place: the same array object, other values


def test_array_tolerances():
    def tolerant(y0):
        ys = integrate.odeint(growth, y0, np.linspace(0.0, 1.0, 3), rtol=np.array([1e-11, 1e-11]), atol=1e-11)
        return np.sum(ys**2)

    y0 = np.array([0.2, 0.7])
    numeric = numeric_grad(tolerant, [y0], 0)
    np.testing.assert_allclose(srcgrad.grad(tolerant)(y0), numeric, rtol=1e-6)
    np.testing.assert_allclose(dynamic_grads(tolerant, [y0])[0], numeric, rtol=1e-6)


def with_full_output(y0):
    return np.sum(integrate.odeint(growth, y0, np.linspace(0.0, 1.0, 3), full_output=1)[0])


def growth_jacobian(y, t):
    return np.diag(0.5 - y)


def with_dfun(y0):
    return np.sum(integrate.odeint(growth, y0, np.linspace(0.0, 1.0, 3), Dfun=growth_jacobian))


@pytest.mark.parametrize("f, option", [(with_full_output, "full_output"), (with_dfun, "Dfun")])
def test_an_unsupported_option_is_an_error_naming_it_in_both_modes(f, option):
    y0 = np.array([0.2, 0.7])
    with pytest.raises(NotImplementedError, match=f"scipy.integrate.odeint with {option}"):
        srcgrad.grad(f)(y0)
    with pytest.raises(NotImplementedError, match=f"scipy.integrate.odeint with {option}"):
        f(srcgrad.tensor(y0, requires_grad=True))


def closure_lambda(y0, k):
    return np.sum(integrate.odeint(lambda y, t: -k * y, y0, np.linspace(0.0, 1.0, 3)))


def closure_def(y0, k):
    def rhs(y, t):
        return -k * y

    return np.sum(integrate.odeint(rhs, y0, np.linspace(0.0, 1.0, 3)))


@pytest.mark.parametrize("f, what", [(closure_lambda, "a lambda"), (closure_def, "the function 'rhs'")])
def test_a_function_made_inside_is_refused_at_the_users_line(f, what):
    # its gradient with respect to k would be lost without an error
    with pytest.raises(srcgrad.TransformError, match=what) as err:
        srcgrad.grad(f, wrt=1)(np.array([1.0]), 2.0)
    assert "test_odeint.py" in str(err.value) and "args=(k,)" in str(err.value)


def test_a_closure_over_a_tensor_is_an_error_in_dynamic_mode():
    k = srcgrad.tensor(2.0, requires_grad=True)
    with pytest.raises(srcgrad.AutogradError, match=r"pass it in args=\(...\)"):
        closure_lambda(np.array([1.0]), k)


def test_second_derivatives_are_refused_in_both_modes():
    y0 = np.array([0.2, 0.7])
    with pytest.raises(NotImplementedError, match="second derivative of scipy.integrate.odeint"):
        srcgrad.grad(lambda_free_grad_of_loss_no_args)(y0)
    x = srcgrad.tensor(y0, requires_grad=True)
    (g,) = srcgrad.autograd.grad(loss_no_args(x), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), numeric_grad(loss_no_args, [y0], 0), rtol=1e-6)
    with pytest.raises(NotImplementedError, match="second derivative of scipy.integrate.odeint"):
        srcgrad.autograd.grad(g.sum(), x)


D_LOSS_NO_ARGS = srcgrad.grad(loss_no_args)


def lambda_free_grad_of_loss_no_args(y0):
    return np.sum(D_LOSS_NO_ARGS(y0))


def odeint_of_all(y0, t, a, b):
    return integrate.odeint(decay, y0, t, args=(a, b), rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("i, name", [(0, "y0"), (1, "t"), (2, "array argument"), (3, "number argument")])
def test_forward_mode_matches_finite_differences_in_static_mode(i, name):
    v = np.random.RandomState(7 + i).randn(*np.shape(ARGS[i])) if np.ndim(ARGS[i]) else 0.7
    plus, minus = list(ARGS), list(ARGS)
    plus[i], minus[i] = ARGS[i] + EPS * v, ARGS[i] - EPS * v
    numeric = (odeint_of_all(*plus) - odeint_of_all(*minus)) / (2 * EPS)
    value, tangent = srcgrad.jvp(odeint_of_all, wrt=i)(*ARGS, v)
    np.testing.assert_array_equal(value, odeint_of_all(*ARGS))
    assert np.max(np.abs(numeric)) > 1e-2
    np.testing.assert_allclose(tangent, numeric, rtol=1e-6, atol=1e-7 * np.max(np.abs(numeric)))


def test_forward_mode_of_a_list_valued_tfirst_function():
    def solution(y0, k):
        return integrate.odeint(
            oscillator, y0, np.linspace(0.0, 2.0, 4), args=(k,), tfirst=True, rtol=1e-11, atol=1e-11
        )

    y0, v = np.array([1.0, 0.5]), np.array([0.3, -0.8])
    numeric = (solution(y0 + EPS * v, 2.0) - solution(y0 - EPS * v, 2.0)) / (2 * EPS)
    np.testing.assert_allclose(srcgrad.jvp(solution)(y0, 2.0, v)[1], numeric, rtol=1e-6, atol=1e-8)
    numeric_k = (solution(y0, 2.0 + EPS) - solution(y0, 2.0 - EPS)) / (2 * EPS)
    np.testing.assert_allclose(srcgrad.jvp(solution, wrt=1)(y0, 2.0, 1.0)[1], numeric_k, rtol=1e-6, atol=1e-8)


def test_dynamic_forward_mode_differentiates_a_vjp_again_refused():
    # srcgrad.autograd.functional.jvp is a VJP differentiated with respect to its cotangent: a second derivative
    x = srcgrad.tensor(np.array([0.2, 0.7]))
    with pytest.raises(NotImplementedError, match="second derivative of scipy.integrate.odeint"):
        srcgrad.autograd.functional.jvp(loss_no_args, x, srcgrad.tensor(np.ones(2)))


def test_forward_values_are_scipys():
    import srcgrad.odeint

    y0 = np.array([0.2, 0.7])
    assert integrate.odeint is srcgrad.odeint.odeint  # registered where scipy keeps it
    assert srcgrad.odeint.scipy_odeint is integrate._odepack_py.odeint
    np.testing.assert_array_equal(integrate.odeint(growth, y0, TIMES), srcgrad.odeint.scipy_odeint(growth, y0, TIMES))


def layers(y, t, params):
    for W, b in params:
        y = np.tanh(y @ W + b)
    return y


def loss_of_layers(params, y0):
    return np.sum(integrate.odeint(layers, y0, np.linspace(0.0, 1.0, 3), args=(params,)) ** 2)


def test_a_list_of_tuples_in_args_is_refused_at_the_users_line():
    """odeint's trailing arguments are arrays one by one: a network's [(W, b), ...] among them is refused (the
    compiler would make one array of it), naming the line that calls odeint."""
    rs = np.random.RandomState(0)
    params = [(rs.randn(2, 3), rs.randn(3)), (rs.randn(3, 2), rs.randn(2))]
    with pytest.raises(srcgrad.TransformError, match="takes arrays one by one as its trailing arguments") as info:
        srcgrad.grad(loss_of_layers)(params, np.array([0.5, -0.2]))
    assert f"{__file__}, line {loss_of_layers.__code__.co_firstlineno + 1}" in str(info.value)


def tight_loss_of_layers(params, y0):
    ys = integrate.odeint(layers, y0, np.linspace(0.0, 1.0, 3), args=(params,), rtol=1e-11, atol=1e-11)
    return np.sum(W[:3, :2] * ys**2)


def test_a_list_of_tuples_in_args_in_dynamic_mode_against_fd():
    """Dynamic mode opens the list: each array its own argument of the primitive, its gradient in its place."""
    rs = np.random.RandomState(1)
    params = [(rs.randn(2, 3) * 0.5, rs.randn(3) * 0.5), (rs.randn(3, 2) * 0.5, rs.randn(2) * 0.5)]
    y0 = np.array([0.5, -0.2])
    tensors = [tuple(srcgrad.tensor(a, requires_grad=True) for a in layer) for layer in params]
    tight_loss_of_layers(tensors, srcgrad.tensor(y0)).backward()
    leaves = [a for layer in params for a in layer]
    grads = [t.grad.numpy() for layer in tensors for t in layer]
    v = [rs.randn(*a.shape) for a in leaves]

    def at(step):
        moved = iter([a + step * d for a, d in zip(leaves, v)])
        return tight_loss_of_layers([(next(moved), next(moved)) for _ in params], y0)

    expected = (at(EPS) - at(-EPS)) / (2 * EPS)
    assert sum(np.sum(g * d) for g, d in zip(grads, v)) == pytest.approx(expected, rel=1e-6, abs=1e-9)
