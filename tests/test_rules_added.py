"""Functions users call whose rules came later, in every mode, against finite differences.

Each row is a plain numpy function of a few arrays, returning a real scalar.
Static mode (``srcgrad.grad``), dynamic mode (the same function on Tensors,
``backward()``) and forward mode (``srcgrad.jvp``) must all match central
finite differences, for real arguments and, where the rule claims complex
support, complex ones. The rules themselves are checked one by one in
``tests/test_rules.py`` and ``tests/test_rules_complex.py``; this file checks
what a user writes.
"""

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
    return np.sum(np.full_like(x, v) * x ** 2)


def fill_row(x, v):
    return np.sum(np.sin(np.full_like(x, v)) * x)


def fill_complex(z, v):
    return np.sum(np.abs(np.full_like(z, v) * z) ** 2)


def step_values(h):
    return np.sum(np.heaviside(STEPS, h) * W34[:2, :3])


def step_of_both(x, h):
    return np.sum(np.heaviside(x, h) * x ** 2)


# (function, argument makers, the arguments to differentiate)
CASES = [
    (fill_scalar, lambda: (R(3, 4), 0.7), (0, 1)),
    (fill_row, lambda: (R(3, 4), R(4)), (0, 1)),
    (fill_complex, lambda: (C(2, 3), 0.5 - 0.3j), (0, 1)),
    (step_values, lambda: (R(2, 3),), (0,)),
    (step_of_both, lambda: (STEPS.copy(), R(3)), (1,)),
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
        assert np.isclose(float(np.real(tangent)), float(np.real(np.sum(np.conj(want) * direction))),
                          rtol=1e-5, atol=1e-6), f"forward, argument {i}"
