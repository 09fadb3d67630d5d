"""Rules of the functions that take complex numbers apart: ``np.real``, ``np.imag``,
``np.conjugate`` (``np.conj``), ``np.angle``, and the rules' own ``conj`` helper.

The convention (PyTorch's, see ``srcgrad/rules/__init__.py``): the gradient of a
real loss ``L`` with respect to ``z = x + iy`` is ``dL/dx + i dL/dy``. A VJP maps
the cotangent ``g`` of ``s = f(z)`` to ``conj(ds/dz) * g + ds/dconj(z) * conj(g)``
(the conjugate Wirtinger form; ``g * conj(f'(z))`` for holomorphic ``f``), a JVP
maps a tangent ``t`` to ``ds/dz * t + ds/dconj(z) * conj(t)``.

None of these functions is holomorphic. ``real``, ``imag`` and ``angle`` have
real results: their VJPs read only the real part of ``g`` (a real value's
cotangent may carry an imaginary part from a complex neighbour; it means
nothing), and on a real argument ``imag`` and ``angle`` are constants.
"""

import math

import numpy as np

from .helpers import conj, is_complex
from .linalg import svd_p, svdvals_p
from .registry import defjvp, defnondiff, defvjp

__all__ = ["imag_vjp", "angle_vjp", "angle_jvp", "angle_scale", "REAL_VALUED", "REAL_PARTS", "MAKES_COMPLEX"]


defvjp(np.real,  # Re z: dL/dx = Re g, dL/dy = 0
       lambda g, ans, val: np.real(g),
       backward_name="RealBackward0", complex=True)
defjvp(np.real,
       lambda t, ans, val: np.real(t))

defvjp(np.real_if_close,  # z itself, or Re z when every imaginary part is within tol of 0 (then as np.real)
       lambda g, ans, a, tol=100: g if np.iscomplexobj(ans) else np.real(g),
       backward_name="RealIfCloseBackward0", complex=True)
defjvp(np.real_if_close,
       lambda t, ans, a, tol=100: t if np.iscomplexobj(ans) else np.real(t))

def imag_vjp(g, ans, val):
    """Cotangent of ``val`` in ``np.imag(val)``: ``i Re g`` (``dL/dx = 0``, ``dL/dy = Re g``); 0 for a real
    ``val`` (a constant), a real 0 where an adjoint takes it in place."""
    if not is_complex(val):
        return np.zeros_like(np.real(g))
    return np.real(g) * 1j


defvjp(np.imag, imag_vjp, backward_name="ImagBackward0", complex=True)
defjvp(np.imag,
       lambda t, ans, val: np.imag(t))

defvjp(np.conjugate,  # np.conj is the same ufunc
       lambda g, ans, x: np.conjugate(g),
       name="conj", backward_name="ConjBackward0", complex=True)
defjvp(np.conjugate,
       lambda t, ans, x: np.conjugate(t))

defvjp(conj,  # the rules' helper (no copy for real values): what np.conjugate is
       lambda g, ans, x: conj(g),
       backward_name="ConjBackward0", complex=True)
defjvp(conj,
       lambda t, ans, x: conj(t))


def angle_scale(deg):
    """``np.angle``'s unit: 1 for radians, ``180 / pi`` for degrees."""
    return 180.0 / math.pi if deg else 1.0


def angle_vjp(g, ans, z, deg=False):
    """Cotangent of ``z`` in ``np.angle(z)``: ``Re(g) * i / conj(z)``; 0 for a real ``z`` (a constant)."""
    if not is_complex(z):
        return np.zeros_like(g)
    return np.real(g) * angle_scale(deg) * 1j / np.conjugate(z)


def angle_jvp(t, ans, z, deg=False):
    """Tangent of ``np.angle(z)``: ``Im(t / z)``; 0 for a real ``z``."""
    if not is_complex(z):
        return np.zeros_like(ans)
    return np.imag(t / z) * angle_scale(deg)


defvjp(np.angle, angle_vjp, backward_name="AngleBackward0", complex=True)
defjvp(np.angle, angle_jvp)

defnondiff(np.iscomplex, np.isreal, np.iscomplexobj, np.isrealobj)

MAKES_COMPLEX = {np.linalg.eig, np.linalg.eigvals, np.roots, np.fft.fft, np.fft.ifft, np.fft.rfft, np.fft.fft2,
                 np.fft.ifft2, np.fft.fftn, np.fft.ifftn, np.fft.rfft2, np.fft.rfftn, np.emath.sqrt, np.emath.log,
                 np.emath.power, np.emath.arcsin, np.emath.arccos, np.emath.arctanh, np.emath.log2, np.emath.log10,
                 np.emath.logn}
"""Functions whose results are complex even for real arguments (the compiler's complex check reads it;
modules that register rules for such primitives add them)."""

REAL_PARTS = {np.linalg.slogdet: frozenset({1}), np.linalg.eigh: frozenset({0}), svd_p: frozenset({1})}
"""Multiple-output primitives: the outputs that are real even for complex arguments (``logabsdet``, the
eigenvalues of a Hermitian matrix); modules add theirs (``svd_p``'s singular values)."""

REAL_VALUED = frozenset({np.real, np.imag, np.angle, np.absolute, np.var, np.std, np.linalg.norm, np.fft.irfft,
                         np.fft.irfft2, np.fft.irfftn, svdvals_p, np.linalg.eigvalsh})
"""Primitives whose result is real even for complex arguments (the compiler's complex check reads it)."""
