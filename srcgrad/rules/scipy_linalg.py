"""Rules for ``scipy.linalg``: ``sqrtm``, ``solve_sylvester``, ``solve_triangular``.

Importing this module imports ``scipy.linalg`` and replaces those functions by
``@primitive`` wrappers (see ``scipy_patch.py``). ``sqrtm``'s derivative is a
Sylvester equation: ``dA = S dS + dS S``. Rules assume real matrices whose
square root is real.
"""

import numpy as np
import scipy.linalg as linalg

from .registry import defjvp, defvjp
from .scipy_patch import patch

__all__ = []

sqrtm = patch(linalg, "sqrtm")
solve_sylvester = patch(linalg, "solve_sylvester")
solve_triangular = patch(linalg, "solve_triangular")

defvjp(sqrtm, lambda g, ans, A, *args, **kwargs: solve_sylvester(np.transpose(ans), np.transpose(ans), g),
       name="sqrtm")
defjvp(sqrtm, lambda t, ans, A, *args, **kwargs: solve_sylvester(ans, ans, t))

defvjp(solve_sylvester,
       lambda g, ans, a, b, q: -solve_sylvester(np.transpose(a), np.transpose(b), g) @ np.transpose(ans),
       lambda g, ans, a, b, q: -np.transpose(ans) @ solve_sylvester(np.transpose(a), np.transpose(b), g),
       lambda g, ans, a, b, q: solve_sylvester(np.transpose(a), np.transpose(b), g),
       name="solve_sylvester")
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
