"""np.linalg's array-API spellings (positional-only lambdas in the rule table) in static mode.

The compiler reads each alias's adaptor; its gradient and tangent are judged by central differences.
"""

import numpy as np
import pytest

import srcgrad

rng = np.random.default_rng(0)
A, B = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
v, w = rng.normal(size=4), rng.normal(size=4)
C = rng.normal(size=(2, 3, 3))


def linalg_matmul(A, B):
    return np.sum(np.sin(np.linalg.matmul(A, B)))


def linalg_tensordot(A, B):
    return np.sum(np.sin(np.linalg.tensordot(A, B, axes=1)))


def linalg_outer(v, w):
    return np.sum(np.sin(np.linalg.outer(v, w)))


def linalg_trace(C):
    return np.sum(np.sin(np.linalg.trace(C)))


def linalg_vecdot(v, w):
    return np.sum(np.sin(np.linalg.vecdot(v, w)))


CASES = [
    (linalg_matmul, (A, B)),
    (linalg_tensordot, (A, B)),
    (linalg_outer, (v, w)),
    (linalg_trace, (C,)),
    (linalg_vecdot, (v, w)),
]


def central(f, args, k, eps=1e-6):
    x = args[k]
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        plus, minus = list(args), list(args)
        plus[k], minus[k] = x + e, x - e
        g[i] = (f(*plus) - f(*minus)) / (2 * eps)
    return g


@pytest.mark.parametrize("f, args", CASES, ids=[c[0].__name__ for c in CASES])
def test_gradient(f, args):
    wrt = tuple(range(len(args)))
    grads = srcgrad.grad(f, wrt=wrt)(*args)
    grads = grads if isinstance(grads, tuple) else (grads,)
    for k in wrt:
        np.testing.assert_allclose(grads[k], central(f, args, k), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f, args", CASES, ids=[c[0].__name__ for c in CASES])
def test_tangent(f, args):
    t = rng.normal(size=np.shape(args[0]))
    value, tangent = srcgrad.jvp(f, wrt=0)(*args, t)
    eps = 1e-6
    plus, minus = (args[0] + eps * t,) + args[1:], (args[0] - eps * t,) + args[1:]
    np.testing.assert_allclose(value, f(*args))
    np.testing.assert_allclose(tangent, (f(*plus) - f(*minus)) / (2 * eps), rtol=1e-6)
