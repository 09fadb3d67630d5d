"""Rules for ``scipy.linalg``: ``sqrtm``, ``solve_sylvester``, ``solve_triangular``, ``solve_banded``.

Importing this module imports ``scipy.linalg`` and replaces those functions by
``@primitive`` wrappers (see ``scipy_patch.py``). ``sqrtm``'s derivative is a
Sylvester equation: ``dA = S dS + dS S``. ``sqrtm`` and ``solve_sylvester``
are verified for complex values (a real matrix with negative eigenvalues has a
complex square root); ``solve_triangular`` takes real values.
"""

import numpy as np
import scipy.linalg as linalg

from .complexnums import MAKES_COMPLEX
from .helpers import conj
from .registry import defjvp, defvjp, primitive
from .scipy_patch import patch

__all__ = ["banded_matrix", "band_of"]

sqrtm = patch(linalg, "sqrtm")
solve_sylvester = patch(linalg, "solve_sylvester")
solve_triangular = patch(linalg, "solve_triangular")
MAKES_COMPLEX.add(sqrtm)  # a real matrix with a negative eigenvalue has a complex square root

# Complex values (a real matrix may have a complex square root): the JVPs are holomorphic; each VJP solves the
# adjoint Sylvester equation, with conjugate transposes (S^H Y + Y S^H = g for sqrtm).
defvjp(sqrtm, lambda g, ans, A, *args, **kwargs: solve_sylvester(conj(np.transpose(ans)), conj(np.transpose(ans)), g),
       name="sqrtm", complex=True)
defjvp(sqrtm, lambda t, ans, A, *args, **kwargs: solve_sylvester(ans, ans, t))

defvjp(solve_sylvester,
       lambda g, ans, a, b, q: -solve_sylvester(conj(np.transpose(a)), conj(np.transpose(b)), g) @ conj(np.transpose(ans)),
       lambda g, ans, a, b, q: -conj(np.transpose(ans)) @ solve_sylvester(conj(np.transpose(a)), conj(np.transpose(b)), g),
       lambda g, ans, a, b, q: solve_sylvester(conj(np.transpose(a)), conj(np.transpose(b)), g),
       name="solve_sylvester", complex=True)
defjvp(solve_sylvester,
       lambda t, ans, a, b, q: solve_sylvester(a, b, -(t @ ans)),
       lambda t, ans, a, b, q: solve_sylvester(a, b, -(ans @ t)),
       lambda t, ans, a, b, q: solve_sylvester(a, b, t))


def triangular_transposed(trans):
    """The ``trans`` argument of the adjoint solve (``0`` <-> ``1``; ``'N'`` <-> ``'T'``)."""
    return {0: 1, 1: 0, "N": "T", "T": "N", "C": "N"}[trans]


def triangular_part(m, lower):
    return np.tril(m) if lower else np.triu(m)


def solve_triangular_vjp_a(g, ans, a, b, trans=0, lower=False, unit_diagonal=False, **kwargs):
    gb = solve_triangular(a, g, trans=triangular_transposed(trans), lower=lower, unit_diagonal=unit_diagonal)
    x2 = ans if np.ndim(ans) == 2 else np.expand_dims(ans, -1)
    g2 = gb if np.ndim(gb) == 2 else np.expand_dims(gb, -1)
    full = -(g2 @ np.transpose(x2)) if trans in (0, "N") else -(x2 @ np.transpose(g2))
    ga = triangular_part(full, lower)
    return ga - ga * np.eye(np.shape(a)[0]) if unit_diagonal else ga


defvjp(solve_triangular,
       solve_triangular_vjp_a,
       lambda g, ans, a, b, trans=0, lower=False, unit_diagonal=False, **kwargs:
       solve_triangular(a, g, trans=triangular_transposed(trans), lower=lower, unit_diagonal=unit_diagonal),
       name="solve_triangular")
def solve_triangular_jvp_a(t, ans, a, b, trans=0, lower=False, unit_diagonal=False, **kwargs):
    dt = triangular_part(t, lower)
    dt = dt - dt * np.eye(np.shape(a)[0]) if unit_diagonal else dt
    x2 = ans if np.ndim(ans) == 2 else np.expand_dims(ans, -1)
    moved = dt @ x2 if trans in (0, "N") else np.transpose(dt) @ x2
    out = -solve_triangular(a, moved, trans=trans, lower=lower, unit_diagonal=unit_diagonal)
    return out if np.ndim(ans) == 2 else np.squeeze(out, -1)


defjvp(solve_triangular,
       solve_triangular_jvp_a,
       lambda t, ans, a, b, trans=0, lower=False, unit_diagonal=False, **kwargs:
       solve_triangular(a, t, trans=trans, lower=lower, unit_diagonal=unit_diagonal))


# ---------------------------------------------------------------- solve_banded
# scipy.linalg.solve_banded((l, u), ab, b) solves A x = b for the banded A stored as ab[u + i - j, j] = A[i, j].
# Its derivatives go through the dense A (banded_matrix) and read the dense cotangent back on the band (band_of):
# two linear maps, each the other's adjoint, so their rules are each other.
solve_banded = patch(linalg, "solve_banded")


@primitive
def banded_matrix(l_and_u, ab):
    """The dense ``(n, n)`` matrix ``A`` whose band ``solve_banded`` stores as ``ab`` (``A[i, j] = ab[u + i - j, j]``).

    Args:
        l_and_u: ``(l, u)``, the numbers of sub- and superdiagonals.
        ab: the band, of shape ``(l + u + 1, n)``.
    """
    lower, upper = l_and_u
    n = np.shape(ab)[-1]
    a = np.zeros((n, n), dtype=np.result_type(ab, 0.0))
    for d in range(-lower, upper + 1):  # diagonal d: A[i, i + d] = ab[upper - d, i + d]
        rows = np.arange(max(0, -d), min(n, n - d))
        a[rows, rows + d] = np.asarray(ab)[upper - d, rows + d]
    return a


@primitive
def band_of(l_and_u, a):
    """The band of the dense matrix ``a`` as ``solve_banded`` stores it (``ab[u + i - j, j] = a[i, j]``; zero
    outside the matrix): the adjoint of ``banded_matrix``."""
    lower, upper = l_and_u
    n = np.shape(a)[-1]
    ab = np.zeros((lower + upper + 1, n), dtype=np.result_type(a, 0.0))
    for d in range(-lower, upper + 1):
        rows = np.arange(max(0, -d), min(n, n - d))
        ab[upper - d, rows + d] = np.asarray(a)[rows, rows + d]
    return ab


defvjp(banded_matrix, None, lambda g, ans, l_and_u, ab: band_of(l_and_u, g), name="banded_matrix")
defjvp(banded_matrix, None, lambda t, ans, l_and_u, ab: banded_matrix(l_and_u, t))
defvjp(band_of, None, lambda g, ans, l_and_u, a: banded_matrix(l_and_u, g), name="band_of")
defjvp(band_of, None, lambda t, ans, l_and_u, a: band_of(l_and_u, t))


def solve_banded_vjp_ab(g, ans, l_and_u, ab, b, **kwargs):
    """Cotangent of the band: ``-A^-T g x^T`` read back on the band."""
    gb = np.linalg.solve(np.transpose(banded_matrix(l_and_u, ab)), g)
    x2 = ans if np.ndim(ans) == 2 else np.expand_dims(ans, -1)
    g2 = gb if np.ndim(gb) == 2 else np.expand_dims(gb, -1)
    return band_of(l_and_u, -(g2 @ np.transpose(x2)))


def solve_banded_jvp_ab(t, ans, l_and_u, ab, b, **kwargs):
    """Tangent from the band's: ``-A^-1 (dA x)``."""
    x2 = ans if np.ndim(ans) == 2 else np.expand_dims(ans, -1)
    moved = banded_matrix(l_and_u, t) @ x2
    out = -solve_banded(l_and_u, ab, moved)
    return out if np.ndim(ans) == 2 else np.squeeze(out, -1)


defvjp(solve_banded,
       None,
       solve_banded_vjp_ab,
       lambda g, ans, l_and_u, ab, b, **kwargs: np.linalg.solve(np.transpose(banded_matrix(l_and_u, ab)), g),
       name="solve_banded")
defjvp(solve_banded,
       None,
       solve_banded_jvp_ab,
       lambda t, ans, l_and_u, ab, b, **kwargs: solve_banded(l_and_u, ab, t))
