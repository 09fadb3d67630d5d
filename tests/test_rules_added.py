"""Functions users call whose rules came later, in every mode, against finite differences.

Each row is a plain numpy function of a few arrays, returning a real scalar.
Static mode (``srcgrad.grad``), dynamic mode (the same function on Tensors,
``backward()``) and forward mode (``srcgrad.jvp``) must all match central
finite differences, for real arguments and, where the rule claims complex
support, complex ones. The rules themselves are checked one by one in
``tests/test_rules.py`` and ``tests/test_rules_complex.py``; this file checks
what a user writes.
"""

import operator

import numpy as np
import pytest

import srcgrad
from test_complex import numeric_grad

_rng = np.random.default_rng(77)


def R(*shape):
    return _rng.uniform(-1, 1, shape)


def C(*shape):
    return _rng.uniform(-1, 1, shape) + 1j * _rng.uniform(-1, 1, shape)


W34 = R(3, 4)
STEPS = np.array([[-1.0, 0.0, 0.5], [0.0, 2.0, 0.0]])


# ---------------------------------------------------------------- the functions
def fill_scalar(x, v):
    return np.sum(np.full_like(x, v) * x**2)


def fill_row(x, v):
    return np.sum(np.sin(np.full_like(x, v)) * x)


def fill_complex(z, v):
    return np.sum(np.abs(np.full_like(z, v) * z) ** 2)


def step_values(h):
    return np.sum(np.heaviside(STEPS, h) * W34[:2, :3])


def step_of_both(x, h):
    return np.sum(np.heaviside(x, h) * x**2)


def kron_both(a, b):
    return np.sum(np.kron(a, b) ** 2 * np.kron(W34[:2, :2], np.ones((2, 3))))


def kron_complex(a, b):
    return np.sum(np.abs(np.kron(a, b) + 0.5) ** 2)


def rotations(m):
    return np.sum(np.rot90(m) * W34.T) + np.sum(np.rot90(m, 2) ** 3) + np.sum(np.rot90(m, -1, axes=(1, 0)) ** 2)


def rotations_complex(m):
    return np.sum(np.abs(np.rot90(m) * W34.T[:, :2]) ** 2)


def sincs(x):
    return np.sum(np.sinc(x) * W34) + np.sum(np.sinc(x * 2.0) ** 2)


def sinc_complex(z):
    return np.sum(np.abs(np.sinc(z)) ** 2)


def selections(x):
    return np.sum(np.select([x > 0.3, x < -0.3], [x**2, np.sin(x) * 3.0], default=x * 0.5) * W34)


def selection_default(x, d):
    return np.sum(np.select([x > 0.0], [x**3], d) ** 2)


def convolutions(a, v):
    return (
        np.sum(np.convolve(a, v) ** 2)
        + np.sum(np.convolve(a, v, "same") * W34[:2, :].ravel()[:5])
        + np.sum(np.correlate(a, v, "full") ** 3)
        + np.sum(np.correlate(v, a) ** 2)
    )


def convolutions_complex(a, v):
    return np.sum(np.abs(np.convolve(a, v)) ** 2) + np.sum(np.abs(np.correlate(a, v, "same")) ** 2)


def einsum_sublists(a, b):
    return (
        np.sum(np.einsum(a, [0, 1], b, [1, 2]) ** 2)
        + np.sum(np.einsum(a, [0, 1], a, [0, 1], [1]) ** 3)
        + np.sum(np.einsum(b, [Ellipsis, 1]) * W34)
    )


def einsum_sublists_complex(a, b):
    return np.sum(np.abs(np.einsum(a, [0, 1], b, [1, 2], [2, 0])) ** 2)


def operators(x, y):
    z = operator.add(operator.mul(x, y), operator.truediv(x, 2.0))
    w = operator.sub(operator.neg(z), operator.pow(y, 2))
    m = operator.matmul(w, W34.T)
    return np.sum(operator.abs(m)) + np.sum(operator.pos(x) * operator.mod(y, 3.0))


def operators_complex(x, y):
    return np.sum(np.abs(operator.mul(x, y) - operator.matmul(x, np.eye(4))) ** 2)


def cholesky_complex(b):
    a = b @ np.conj(b.T) + 3.0 * np.eye(3)
    return np.sum(np.abs(np.linalg.cholesky(a) * W34[:, :3]) ** 2)


def linalg_complex(a, y):
    return (
        np.sum(np.abs(np.linalg.solve(a, y)) ** 2)
        + np.sum(np.abs(np.linalg.inv(a)) ** 2)
        + np.abs(np.linalg.det(a)) ** 2
    )


def real_cast_complex(z):
    """A real value cast from a complex one meets a complex constant: only its real part flows back."""
    y = z.astype(np.float64)
    return np.sum(np.real(y * (0.5 + 2.0j)))


def partitions(x):
    return np.sum(np.partition(x, 2, axis=1) * W34) + np.sum(np.partition(x, [1, 5], axis=None) ** 2)


def fabs_values(x):
    return np.sum(np.fabs(x) * W34) + np.sum(np.fabs(x) ** 3)


def rolled(x):
    return np.sum(np.rollaxis(x, 1) * W34.T) + np.sum(np.rollaxis(x.reshape(3, 2, 2), 2, 1) ** 2)


def spaced(a, b):
    return np.sum(np.linspace(a, b, 4) ** 2 * W34.T) + np.sum(np.linspace(b, a, 3, endpoint=False, axis=1) * W34[:, :3])


def real_if_close_values(x):
    return np.sum(np.real_if_close(x) * W34)


def real_if_close_complex(z):
    return np.sum(np.abs(np.real_if_close(z) * W34[:2, :3]) ** 2)


# (function, argument makers, the arguments to differentiate)
CASES = [
    (fill_scalar, lambda: (R(3, 4), 0.7), (0, 1)),
    (fill_row, lambda: (R(3, 4), R(4)), (0, 1)),
    (fill_complex, lambda: (C(2, 3), 0.5 - 0.3j), (0, 1)),
    (step_values, lambda: (R(2, 3),), (0,)),
    (step_of_both, lambda: (STEPS.copy(), R(3)), (1,)),
    (kron_both, lambda: (R(2, 2), R(2, 3)), (0, 1)),
    (kron_complex, lambda: (C(2, 2), C(3)), (0, 1)),
    (rotations, lambda: (R(3, 4),), (0,)),
    (rotations_complex, lambda: (C(2, 4),), (0,)),
    (sincs, lambda: (R(3, 4) * 2,), (0,)),
    (sinc_complex, lambda: (C(3),), (0,)),
    (selections, lambda: (R(3, 4),), (0,)),
    (selection_default, lambda: (R(3, 4), R(4)), (0, 1)),
    (convolutions, lambda: (R(5), R(3)), (0, 1)),
    (convolutions_complex, lambda: (C(5), C(3)), (0, 1)),
    (einsum_sublists, lambda: (R(2, 3), R(3, 4)), (0, 1)),
    (einsum_sublists_complex, lambda: (C(2, 3), C(3, 4)), (0, 1)),
    (operators, lambda: (R(3, 4), R(3, 4) + 2.0), (0, 1)),
    (operators_complex, lambda: (C(3, 4), C(3, 4)), (0, 1)),
    (cholesky_complex, lambda: (C(3, 3),), (0,)),
    (real_cast_complex, lambda: (C(2, 3),), (0,)),
    (linalg_complex, lambda: (C(3, 3) + 3 * np.eye(3), C(3, 2)), (0, 1)),
    (partitions, lambda: (R(3, 4),), (0,)),
    (fabs_values, lambda: (R(3, 4),), (0,)),
    (rolled, lambda: (R(3, 4),), (0,)),
    (spaced, lambda: (0.3, R(3)), (0, 1)),
    (real_if_close_values, lambda: (R(3, 4),), (0,)),
    (real_if_close_complex, lambda: (C(2, 3),), (0,)),
]
IDS = [c[0].__name__ for c in CASES]


def _expected(fn, args, wrt):
    return [numeric_grad(fn, args, i) for i in wrt]


def _check(got, want, what):
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), w, rtol=1e-5, atol=1e-6, err_msg=what)


@pytest.mark.parametrize("fn, make, wrt", CASES, ids=IDS)
def test_static_mode(fn, make, wrt):
    args = make()
    got = srcgrad.grad(fn, wrt=wrt)(*args)
    _check(got if isinstance(got, tuple) else (got,), _expected(fn, args, wrt), "static")


@pytest.mark.parametrize("fn, make, wrt", CASES, ids=IDS)
def test_dynamic_mode(fn, make, wrt):
    args = make()
    tensors = [srcgrad.tensor(a, requires_grad=i in wrt) for i, a in enumerate(args)]
    fn(*tensors).backward()
    _check([tensors[i].grad.numpy() for i in wrt], _expected(fn, args, wrt), "dynamic")


@pytest.mark.parametrize("fn, make, wrt", CASES, ids=IDS)
def test_forward_mode(fn, make, wrt):
    args = make()
    for i, want in zip(wrt, _expected(fn, args, wrt)):
        direction = np.asarray(_rng.standard_normal(np.shape(args[i])), dtype=np.asarray(args[i]).dtype)
        if np.iscomplexobj(direction):
            direction = direction + 1j * _rng.standard_normal(np.shape(args[i]))
        _, tangent = srcgrad.jvp(fn, wrt=i)(*args, direction)
        # the derivative along t of a real loss is Re <grad, t> (grad = dL/dRe + i dL/dIm)
        assert np.isclose(
            float(np.real(tangent)), float(np.real(np.sum(np.conj(want) * direction))), rtol=1e-5, atol=1e-6
        ), f"forward, argument {i}"


SUBSCRIPTS = "ij,jk->ik"


def test_einsum_subscripts_from_a_global_still_read_as_subscripts():
    """The interleaved form is recognised by its constant sublists, not by a first argument that is no literal."""

    def f(a):
        return np.sum(np.einsum(SUBSCRIPTS, a, W34) ** 2)

    a = R(2, 3)
    np.testing.assert_allclose(srcgrad.grad(f)(a), numeric_grad(f, (a,), 0), rtol=1e-5, atol=1e-6)
