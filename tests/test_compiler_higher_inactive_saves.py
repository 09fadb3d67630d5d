"""Values with no derivative saved by a gradient made to be differentiated again go on a stack of their own.

A gradient read again saves the values its adjoint sweep needs on a list (``stack.append`` / ``stack.pop()``).
Read again, everything popped from that list is active (it holds differentiated values), so an integer
exponent ``x ** (i + 1)`` saved there got an adjoint at the next order: ``np.log`` of the base, dead work that
warned ("invalid value encountered in log") for a negative base. Saved values that vary with no ``wrt`` input
now go on ``inactive``; read again, they are active only where the next derivative's ``wrt`` makes them so (a
derivative with respect to another argument), and the activity pass still sees that.

Each derivative is checked against central finite differences of the derivative one order below.
"""

import numpy as np
import pytest

import srcgrad
from test_compiler_higher import _fd, _module_function

BODIES = {
    "cube": "def f(x):\n    return np.sum(x ** 3)\n",
    "list_comprehension": "def f(x):\n    terms = [x[i] ** (i + 1) for i in range(len(x))]\n    return sum(terms)\n",
    "looped_power": (
        "def f(x):\n    acc = 0.0\n    for i in range(3):\n        y = x * 1.5\n"
        "        acc = acc + np.sum(y ** (i + 1))\n    return acc\n"
    ),
}
X = np.array([0.7, -1.3, 0.4, -0.9])  # negative bases: np.log of one is nan and warns
V = np.array([0.3, -0.8, 1.1, 0.5])
W = np.array([-0.6, 0.2, 0.9, -1.4])
U = np.array([0.25, 0.5, -0.75, 1.0])


def orders(tmp_path, body):
    """``f``, ``df``, ``dh`` (the gradient of ``<V, df>``) and ``dk`` (the gradient of ``<W, dh>``)."""
    f = _module_function(tmp_path, body).f
    df = srcgrad.grad(f)
    h = _module_function(tmp_path, "def h(x):\n    return np.sum(DF(x) * V)\n", DF=df, V=V).h
    dh = srcgrad.grad(h)
    k = _module_function(tmp_path, "def k(x):\n    return np.sum(DH(x) * W)\n", DH=dh, W=W).k
    return f, df, h, dh, k, srcgrad.grad(k)


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("name", sorted(BODIES))
def test_no_exponent_adjoint_at_second_and_third_order(name, tmp_path):
    f, df, h, dh, k, dk = orders(tmp_path, BODIES[name])
    second, third = dh(X), dk(X)
    assert "np.log" not in dh.source and "np.log" not in dk.source, dk.source
    np.testing.assert_allclose(np.dot(second, U), _fd(h, X, U), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(np.dot(third, U), _fd(k, X, U), rtol=1e-6, atol=1e-8)


def test_the_list_comprehension_saves_its_exponent_on_the_inactive_stack(tmp_path):
    *_, dk = orders(tmp_path, BODIES["list_comprehension"])
    dk(X)
    assert "inactive.append(" in dk.source and "= inactive.pop()" in dk.source


def test_a_value_saved_as_inactive_is_differentiated_with_respect_to_another_argument(tmp_path):
    """``s`` depends on ``y`` only: with no derivative in the gradient with respect to ``x``, it is saved on
    ``inactive``; the derivative of that gradient with respect to ``y`` goes through it."""
    body = (
        "def f(x, y):\n    acc = 0.0\n    for i in range(3):\n        s = np.sin(y * (i + 1))\n"
        "        acc = acc + np.sum(x ** 2 * s)\n        y = y * 0.9\n    return acc\n"
    )
    f = _module_function(tmp_path, body).f
    df = srcgrad.grad(f, wrt=0)
    h = _module_function(tmp_path, "def h(x, y):\n    return np.sum(DF(x, y) * V)\n", DF=df, V=V).h
    dh_dy = srcgrad.grad(h, wrt=1)
    got = dh_dy(X, W)
    np.testing.assert_allclose(np.dot(got, U), _fd(lambda y: h(X, y), W, U), rtol=1e-6, atol=1e-8)
    assert not np.allclose(got, 0.0)
