"""Rules of ``np.linalg.eig``, ``np.linalg.eigvals`` and ``np.linalg.pinv``.

* ``eig(a)`` returns ``(w, v)`` with ``a v = v diag(w)`` and unit-norm columns
  of ``v`` (a multiple-output primitive). With ``m = v^-1 da v`` the tangents
  are ``dw = diag(m)`` and ``dv = v (c - diag(Re diag(v^H v c)))``, where
  ``c = f * m``, ``f[i, j] = 1 / (w[j] - w[i])`` off the diagonal and 0 on it
  (the second term keeps the columns' norm 1). The VJP is the adjoint:
  ``v^-H (diag(g_w) + conj(f) * (v^H g_v - v^H v diag(Re diag(v^H g_v)))) v^H``,
  PyTorch's ``linalg_eig_backward``. Eigenvectors are defined up to a phase
  (a sign for real ones); a loss that depends on it has no gradient, and the
  VJP raises when ``Im diag(v^H g_v)`` is not zero, as PyTorch does. Repeated
  eigenvalues make ``f`` infinite. A real ``a`` gets the real part.
* ``eigvals(a)``: ``dw = diag(v^-1 da v)``; the VJP is ``v^-H diag(g) v^H``.
* ``pinv(a)``: ``dP = -P da P + P P^H da^H (I - a P) + (I - P a) da^H P^H P``
  (Golub and Pereyra), exact where the rank of ``a`` does not change (every
  full-rank matrix); the VJP is its adjoint. ``hermitian=True`` (numpy then
  reads one triangle through ``eigh``) has no rule.
"""

import numpy as np

from .broadcast import shape_of
from .helpers import conj, dtype_of, reads_shape_of
from .linalg import check_phase_invariant, mH
from .registry import defjvp, defvjp

__all__ = ["eig_gaps", "eig_vjp", "eig_jvp", "eigvals_vjp", "eigvals_jvp", "pinv_vjp", "pinv_jvp", "square_eye"]


@reads_shape_of(0)
def square_eye(a):
    """The identity of ``a``'s last two axes' size, in ``a``'s dtype (no gradient)."""
    return np.eye(shape_of(a)[-1], dtype=dtype_of(a))


def eig_gaps(w, eye):
    """``f[i, j] = 1 / (w[j] - w[i])`` off the diagonal, 0 on it."""
    return (1 - eye) / (np.expand_dims(w, -2) - np.expand_dims(w, -1) + eye)


def eig_vjp(g, ans, a):
    """Cotangent of ``a`` in ``w, v = np.linalg.eig(a)``; ``g = (g_w, g_v)`` (see the module docstring)."""
    w, v = ans[0], ans[1]
    eye = square_eye(v)
    vh = mH(v)
    vhgv = vh @ g[1]
    check_phase_invariant(vhgv)
    re_diag = np.real(np.diagonal(vhgv, 0, -2, -1))
    inner = np.expand_dims(g[0], -2) * eye + conj(eig_gaps(w, eye)) * (vhgv - (vh @ v) * np.expand_dims(re_diag, -2))
    return np.linalg.solve(vh, inner @ vh)


def eig_jvp(t, ans, a):
    """Tangents ``(dw, dv)`` of ``np.linalg.eig(a)`` along ``a``'s tangent ``t``."""
    w, v = ans[0], ans[1]
    eye = square_eye(v)
    m = np.linalg.solve(v, t @ v)
    c = eig_gaps(w, eye) * m
    vc = v @ c
    return np.sum(m * eye, axis=-1), vc - v * np.expand_dims(np.real(np.sum(conj(v) * vc, axis=-2)), -2)


defvjp(np.linalg.eig, eig_vjp, multiple_outputs=True, backward_name="LinalgEigBackward0", complex=True)
defjvp(np.linalg.eig, eig_jvp)


def eigvals_vjp(g, ans, a):
    """Cotangent of ``a`` in ``w = np.linalg.eigvals(a)``: ``v^-H diag(g) v^H``."""
    v = np.linalg.eig(a)[1]
    vh = mH(v)
    return np.linalg.solve(vh, (np.expand_dims(g, -2) * square_eye(v)) @ vh)


def eigvals_jvp(t, ans, a):
    """Tangent of ``np.linalg.eigvals(a)``: ``diag(V^-1 t V)``."""
    v = np.linalg.eig(a)[1]
    return np.sum(np.linalg.solve(v, t @ v) * square_eye(a), axis=-1)


defvjp(np.linalg.eigvals, eigvals_vjp, backward_name="LinalgEigBackward0", complex=True)
defjvp(np.linalg.eigvals, eigvals_jvp)


def no_hermitian(hermitian):
    """Refuse ``hermitian=True`` (a check in the rule bodies of ``np.linalg.pinv``; no derivative)."""
    if hermitian:
        raise NotImplementedError("np.linalg.pinv(hermitian=True) has no derivative rule (numpy reads one "
                                  "triangle of the matrix then); use hermitian=False")


def pinv_vjp(g, ans, a, rcond=None, hermitian=False, **kw):
    """Cotangent of ``a`` in ``P = np.linalg.pinv(a)`` (the adjoint of the module docstring's ``dP``)."""
    no_hermitian(hermitian)
    p, ph, gh = ans, mH(ans), mH(g)
    left = np.eye(shape_of(a)[-2], dtype=dtype_of(p)) - a @ p  # I - a P
    right = np.eye(shape_of(a)[-1], dtype=dtype_of(p)) - p @ a  # I - P a
    return -ph @ g @ ph + left @ gh @ p @ ph + ph @ p @ gh @ right


def pinv_jvp(t, ans, a, rcond=None, hermitian=False, **kw):
    """Tangent of ``P = np.linalg.pinv(a)``: ``-P t P + P P^H t^H (I - a P) + (I - P a) t^H P^H P``."""
    no_hermitian(hermitian)
    p, ph, th = ans, mH(ans), mH(t)
    left = np.eye(shape_of(a)[-2], dtype=dtype_of(p)) - a @ p
    right = np.eye(shape_of(a)[-1], dtype=dtype_of(p)) - p @ a
    return -p @ t @ p + p @ ph @ th @ left + right @ th @ ph @ p


defvjp(np.linalg.pinv, pinv_vjp, backward_name="LinalgPinvBackward0", complex=True)
defjvp(np.linalg.pinv, pinv_jvp)
