"""``np.diff`` at second order in static mode: a function calling the JVP (or the gradient) of a function of
``np.diff``, with and without ``prepend``/``append``, differentiated by ``srcgrad.grad``.

np.diff's JVP rule is ``diff_tangent(t, n, axis, prepend, append)`` (the tangent's difference between zeros
standing for the constants), a body the compiler reads again; it spread ``**zeroed(kw, t)`` before, which it
did not read. Judged by central finite differences; dynamic mode (double backward) must agree.
"""

import numpy as np
import pytest

import srcgrad

RNG = np.random.default_rng(8)
X = RNG.normal(size=(3, 5))
T = RNG.normal(size=(3, 5))


def fd(f, args, i, eps=1e-6):
    x = np.array(args[i], dtype=float)
    out = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[k] += eps
        minus[k] -= eps
        out[k] = (f(*args[:i], plus, *args[i + 1 :]) - f(*args[:i], minus, *args[i + 1 :])) / (2 * eps)
    return out


def once(x):
    return np.diff(x) ** 2


def twice_first_axis(x):
    return np.sin(np.diff(x, 2, axis=0))


def prepended(x):
    return np.diff(x, prepend=0.5) * x


def appended_array(x):
    return np.cos(np.diff(x, 2, axis=1, append=np.ones((3, 2))))


def both(x):
    return np.exp(np.diff(x, axis=1, prepend=np.zeros((3, 1)), append=-1.0)) * 0.1


FUNCTIONS = [once, twice_first_axis, prepended, appended_array, both]


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
def test_static_reverse_over_forward(f):
    jf = srcgrad.jvp(f)
    w = np.random.default_rng(1).normal(size=np.shape(f(X)))

    def paired(x, t):
        value, tangent = jf(x, t)
        return np.sum(w * tangent) + np.sum(value)

    gx, gt = srcgrad.grad(paired, wrt=(0, 1))(X, T)
    np.testing.assert_allclose(gx, fd(paired, (X, T), 0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(gt, fd(paired, (X, T), 1), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
def test_static_reverse_over_reverse(f):
    u = np.random.default_rng(2).normal(size=np.shape(f(X)))
    df = srcgrad.grad(f)

    def paired(x):
        return np.sum(df(x, dout=u) * T)

    np.testing.assert_allclose(srcgrad.grad(paired)(X), fd(paired, (X,), 0), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
def test_dynamic_second_order(f):
    u = np.random.default_rng(2).normal(size=np.shape(f(X)))
    df = srcgrad.grad(f)

    def paired(x):
        return np.sum(df(x, dout=u) * T)

    x = srcgrad.tensor(X, requires_grad=True)
    (g,) = srcgrad.autograd.grad(f(x), x, grad_outputs=srcgrad.tensor(u), create_graph=True)
    (gg,) = srcgrad.autograd.grad((g * srcgrad.tensor(T)).sum(), x)
    np.testing.assert_allclose(gg.numpy(), fd(paired, (X,), 0), rtol=1e-5, atol=1e-7)


def test_jvp_rule_keeps_float32():
    """The zeros standing for a constant are in the tangent's dtype (numpy would upcast for prepend=0.5)."""
    from srcgrad.rules import get_rule

    x, t = X.astype(np.float32), T.astype(np.float32)
    kwargs = {"prepend": 0.5, "append": np.ones((3, 1))}
    tangent = get_rule(np.diff).call_jvp(0, t, np.diff(x, **kwargs), (x,), kwargs)
    assert tangent.dtype == np.float32
    np.testing.assert_allclose(
        tangent, np.diff(np.concatenate([np.zeros((3, 1)), T, np.zeros((3, 1))], axis=1)), rtol=1e-6
    )
