"""Third derivatives through ``np.tensordot``, ``np.dot`` and ``np.outer`` in static mode.

The VJP of ``tensordot`` works out which axes to contract (``contract``, shape arithmetic) and contracts by
them. Read again at higher order inside a loop, ``contract`` is saved on the same stack as values that carry
derivatives; given to ``np.tensordot`` by keyword it was refused ("the keyword argument axes= of tensordot
depends on what is differentiated"). Each third derivative is judged by central differences of the second
derivative and by dynamic mode (``create_graph=True`` twice).
"""

import numpy as np
import pytest

import srcgrad
from test_compiler_higher import _fd, _module_function


def rows_in_a_loop(W, x):
    h = x
    for w_row in W:
        h = h + np.tanh(np.dot(w_row, h))
    return np.sum(h**2)


def pairs_of_axes(A, x):
    y = np.tensordot(A, np.outer(x, x), axes=((1, 2), (0, 1)))
    return np.sum(np.sin(y)) + np.cos(np.dot(x, x))


def contraction_in_a_loop(A, x):
    total = 0.0
    for k in range(2):
        total = total + np.sum(np.tanh(np.tensordot(A[k], x * (k + 1.0), axes=1)))
    return total


CASES = [
    (rows_in_a_loop, lambda rng: (rng.normal(size=(3, 3)) * 0.5, rng.normal(size=3))),
    (pairs_of_axes, lambda rng: (rng.normal(size=(2, 3, 3)), rng.normal(size=3) * 0.5)),
    (contraction_in_a_loop, lambda rng: (rng.normal(size=(2, 3, 3)), rng.normal(size=3))),
]


@pytest.mark.parametrize("f, make", CASES, ids=[c[0].__name__ for c in CASES])
def test_third_derivative(f, make, tmp_path):
    rng = np.random.default_rng(3)
    A, x = make(rng)
    v, w, u = rng.normal(size=3), rng.normal(size=3), rng.normal(size=3)
    df = srcgrad.grad(f, wrt=1)
    h = _module_function(tmp_path, "def h(A, x):\n    return np.sum(DF(A, x) * V)\n", DF=df, V=v).h
    dh = srcgrad.grad(h, wrt=1)
    k = _module_function(tmp_path, "def k(A, x):\n    return np.sum(DH(A, x) * W)\n", DH=dh, W=w).k
    got = srcgrad.grad(k, wrt=1)(A, x)
    assert np.isclose(np.sum(got * u), _fd(lambda z: k(A, z), x, u), rtol=1e-5, atol=1e-7)
    # dynamic mode
    t = srcgrad.tensor(x, requires_grad=True)
    (first,) = srcgrad.autograd.grad(f(srcgrad.tensor(A), t), t, create_graph=True)
    (second,) = srcgrad.autograd.grad((first * srcgrad.tensor(v)).sum(), t, create_graph=True)
    (third,) = srcgrad.autograd.grad((second * srcgrad.tensor(w)).sum(), t)
    np.testing.assert_allclose(got, third.numpy(), rtol=1e-9, atol=1e-12)
