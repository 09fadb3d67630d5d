"""A parameter whose default is a function (``def f(a, _r=np.prod)``), called in the function, in both modes.

Left to its default, the parameter calls that very function: numpy's functions other than ufuncs
(``np.sum``, ``np.prod``: ``numpy._ArrayFunctionDispatcher`` objects), ufuncs and the user's own functions,
in the function differentiated and in a helper it inlines, which may also be passed a function (HIPS autograd's
``test_numpy.py::test_plain_numpy_reductions_on_box``). Gradients are checked against central finite
differences and against dynamic mode on Tensors.
"""

import numpy as np
import pytest

import srcgrad

BASE = np.array([1.5, 0.5, 2.0, 0.75])


def cube(v):
    return v * v * v


def square(v):
    return v * v


def reduce_with(a, _r=np.prod):
    return _r(np.exp(a) * BASE)


def reduce_max(a, _r=np.max):
    return _r(np.sin(a * BASE))


def apply_ufunc(a, _f=np.tanh):
    return np.sum(_f(a * BASE))


def apply_own(a, _f=cube):
    return np.sum(_f(a - BASE))


def calls_helper_with_default(a):
    return reduce_with(a * 2.0) + apply_own(a)


def calls_helper_overriding_default(a):
    return reduce_with(a, np.sum) + apply_ufunc(a, np.sin) + apply_own(a, square)


CASES = [reduce_with, reduce_max, apply_ufunc, apply_own, calls_helper_with_default, calls_helper_overriding_default]


def central(f, x, eps=1e-6):
    return (f(x + eps) - f(x - eps)) / (2 * eps)


@pytest.mark.parametrize("f", CASES, ids=[f.__name__ for f in CASES])
@pytest.mark.parametrize("x", [0.3, -0.45])
def test_a_function_default_is_called(f, x):
    got = srcgrad.grad(f)(x)
    assert np.isclose(got, central(f, x), rtol=1e-6, atol=1e-9)
    t = srcgrad.tensor(x, requires_grad=True)
    f(t).backward()
    assert np.isclose(got, t.grad.item(), rtol=1e-12, atol=1e-14)


def test_a_function_default_given_another_function_is_specialised_on_it():
    df = srcgrad.grad(reduce_with)
    for r in (np.prod, np.sum, np.min):
        want = central(lambda x, r=r: reduce_with(x, r), 0.2)
        assert np.isclose(df(0.2, r), want, rtol=1e-6, atol=1e-9)
