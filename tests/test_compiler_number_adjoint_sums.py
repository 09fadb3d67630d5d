"""A number used twice: its adjoint is a sum, which must not be made in place.

The generated gradient summed a number's adjoint with ``d += ...``. A number's adjoint may hold a 0-d array:
the caller's ``dout`` (``da = dout``), or the read-only view the sum's VJP makes (``np.broadcast_to``). The
first changed the caller's array, so a second call with the same ``dout`` gave another (wrong) gradient
without an error; the second raised "output array is read-only". Checked against central finite differences,
dynamic mode on Tensors, and the caller's ``dout`` after the call.
"""

import numpy as np
import pytest

import srcgrad


def used_twice(x):
    a = x + 0.0
    return a + a * 3.0


def summed_and_scaled(x):
    a = x * 2.0
    return a * 3.0 + np.sum(a)


def mean_and_product(x):
    a = np.sin(x)
    return np.mean(a) * a + a * a


CASES = [used_twice, summed_and_scaled, mean_and_product]


def central(f, x, eps=1e-6):
    return (f(x + eps) - f(x - eps)) / (2 * eps)


@pytest.mark.parametrize("f", CASES, ids=[f.__name__ for f in CASES])
def test_a_0d_dout_is_left_as_it_was(f):
    dout = np.array(0.5)
    df = srcgrad.grad(f)
    first = df(1.5, dout=dout)
    second = df(1.5, dout=dout)
    assert np.isclose(first, 0.5 * central(f, 1.5), rtol=1e-6)
    assert second == first
    assert dout == 0.5


@pytest.mark.parametrize("f", CASES, ids=[f.__name__ for f in CASES])
@pytest.mark.parametrize("x", [1.5, -0.3])
def test_both_modes(f, x):
    got = srcgrad.grad(f)(x)
    assert np.isclose(got, central(f, x), rtol=1e-6, atol=1e-9)
    t = srcgrad.tensor(x, requires_grad=True)
    f(t).backward()
    assert np.isclose(got, t.grad.item(), rtol=1e-12)
