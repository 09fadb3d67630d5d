"""Second derivatives through ``np.linalg.eigh``, ``svd``, ``eig`` and ``pinv`` in static mode.

Their gradients' generated code calls the rule table's VJPs with the outputs' cotangents as
``tuple(douts)`` (``eigh_vjp(tuple(douts), outs, a)``), and those VJPs call checks that raise on input with no
derivative (``check_phase_invariant``, ``undetermined``, ``pinv``'s ``no_hermitian``). Differentiated again, with respect to the matrix and
to each output's cotangent, they are judged by central finite differences of the compiled gradient and, with
respect to the matrix, by dynamic mode (Tensors, ``create_graph=True``).
"""

import numpy as np
import pytest

import srcgrad
from srcgrad.autograd import functional

RNG = np.random.default_rng(11)
SYM = RNG.normal(size=(4, 4))
SYM = SYM + SYM.T


def eigh_dot(a, u0, u1):
    w, v = np.linalg.eigh(a)
    return np.sum(w * u0) + np.sum(v * u1)


def eigh_upper_dot(a, u0, u1):
    w, v = np.linalg.eigh(a, "U")
    return np.sum(np.sin(w) * u0) + np.sum(v * v * u1)


def svd_dot(a, u0, u1, u2):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.sum(u * u0) + np.sum(s**2 * u1) + np.sum(vh * u2)


def eig_dot(a, u0, u1):
    w, v = np.linalg.eig(a)
    return np.sum(np.abs(w) * u0) + np.sum(np.abs(v) * u1)


def pinv_dot(a, u0):
    return np.sum(np.linalg.pinv(a) * u0) + np.sum(np.linalg.pinv(a) ** 2)


def _cotangents(shapes):
    return [RNG.normal(size=s) for s in shapes]


CASES = [
    (eigh_dot, SYM, _cotangents([(4,), (4, 4)])),
    (eigh_upper_dot, SYM, _cotangents([(4,), (4, 4)])),
    (svd_dot, RNG.normal(size=(3, 5)), _cotangents([(3, 3), (3,), (3, 5)])),  # wide
    (svd_dot, RNG.normal(size=(5, 3)), _cotangents([(5, 3), (3,), (3, 3)])),  # tall
    (svd_dot, RNG.normal(size=(2, 4, 4)), _cotangents([(2, 4, 4), (2, 4), (2, 4, 4)])),  # a stack, square
    (eig_dot, RNG.normal(size=(4, 4)), _cotangents([(4,), (4, 4)])),
    (pinv_dot, RNG.normal(size=(5, 3)), _cotangents([(3, 5)])),  # tall
    (pinv_dot, RNG.normal(size=(2, 3, 4)), _cotangents([(2, 4, 3)])),  # a stack, wide
]
IDS = ["eigh", "eigh_upper", "svd_wide", "svd_tall", "svd_stack", "eig", "pinv_tall", "pinv_stack"]


def _directional(f, a0, n):
    """``<W, grad_a f(a, u...)>`` as a function of ``(a, u0, ..)``, and ``W``."""
    df = srcgrad.grad(f, wrt=0)
    W = RNG.normal(size=a0.shape)
    if n == 1:

        def d2(a, u0):
            return np.sum(df(a, u0) * W)

    elif n == 2:

        def d2(a, u0, u1):
            return np.sum(df(a, u0, u1) * W)

    else:

        def d2(a, u0, u1, u2):
            return np.sum(df(a, u0, u1, u2) * W)

    return d2, W


@pytest.mark.parametrize("case", range(len(CASES)), ids=IDS)
def test_second_derivative_against_finite_differences_and_dynamic_mode(case):
    f, a0, us = CASES[case]
    d2, W = _directional(f, a0, len(us))
    args = [a0, *us]
    wrt = tuple(range(len(args)))
    got = srcgrad.grad(d2, wrt=wrt)(*args)
    for k in wrt:
        v = RNG.normal(size=np.shape(args[k]))
        eps = 1e-6

        def along(h, k=k, v=v):
            shifted = list(args)
            shifted[k] = args[k] + h * v
            return d2(*shifted)

        numeric = (along(eps) - along(-eps)) / (2 * eps)
        assert np.sum(got[k] * v) == pytest.approx(numeric, rel=1e-5, abs=1e-7), f"argument {k}"
        # forward over reverse: the JVP of the same code along v
        _, tangent = srcgrad.jvp(d2, wrt=k)(*args, v)
        assert tangent == pytest.approx(numeric, rel=1e-5, abs=1e-7), f"argument {k} (jvp)"
    # dynamic mode: the Hessian of f in a, applied to W
    H = functional.hessian(lambda a: f(a, *us), srcgrad.tensor(a0)).detach().numpy()
    np.testing.assert_allclose(got[0], np.tensordot(H, W, W.ndim), rtol=1e-7, atol=1e-9)


def svd_full_dot(a, u0):
    u, s, vh = np.linalg.svd(a, full_matrices=True)
    return np.sum(vh * u0)  # reads the rows of vh past min(m, n): no gradient


DF_FULL = srcgrad.grad(svd_full_dot)


def svd_full_directional(a, u0):
    return np.sum(DF_FULL(a, u0) * a)


def test_the_checks_of_a_rule_body_still_raise_at_second_order():
    a, u0 = RNG.normal(size=(2, 4)), RNG.normal(size=(4, 4))
    with pytest.raises(ValueError, match="full_matrices=True"):
        DF_FULL(a, u0)
    with pytest.raises(ValueError, match="full_matrices=True"):
        srcgrad.grad(svd_full_directional)(a, u0)


def logdet(a):
    sign, logabsdet = np.linalg.slogdet(a)
    return logabsdet


DF_LOGDET = srcgrad.grad(logdet)  # its code reads tuple(douts)[1] (slogdet's VJP lambda, inlined)
W4 = RNG.normal(size=(4, 4))


def logdet_vjp(a, u):
    return np.sum(DF_LOGDET(a, dout=u) * W4)


def test_second_derivative_of_slogdet_through_its_cotangent():
    assert "tuple(douts)[1]" in DF_LOGDET.source
    a0, u0 = RNG.normal(size=(4, 4)) + 4 * np.eye(4), 0.7
    got = srcgrad.grad(logdet_vjp, wrt=(0, 1))(a0, u0)
    v, eps = RNG.normal(size=(4, 4)), 1e-6
    numeric = (logdet_vjp(a0 + eps * v, u0) - logdet_vjp(a0 - eps * v, u0)) / (2 * eps)
    assert np.sum(got[0] * v) == pytest.approx(numeric, rel=1e-6, abs=1e-8)
    assert got[1] == pytest.approx((logdet_vjp(a0, u0 + eps) - logdet_vjp(a0, u0 - eps)) / (2 * eps), rel=1e-6)
    H = functional.hessian(logdet, srcgrad.tensor(a0)).detach().numpy()
    np.testing.assert_allclose(got[0], u0 * np.tensordot(H, W4, 2), rtol=1e-8, atol=1e-10)
