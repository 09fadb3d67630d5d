"""Norms and distances: ``normalize``, ``cosine_similarity``, ``pairwise_distance``."""

import numpy as np

from ...recording import record
from .common import raw

__all__ = ["normalize", "cosine_similarity", "pairwise_distance"]


def _norm(input, p, dim):
    if p == 2:
        return record(np.sqrt, (record(np.sum, (input * input,), {"axis": dim, "keepdims": True}),), {})
    return record(np.linalg.norm, (input,), {"ord": p, "axis": dim, "keepdims": True})


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``x / max(||x||_p, eps)`` along ``dim``.

    A slice whose norm is below ``eps`` (a zero row) is divided by the constant
    ``eps``: its gradient is ``g / eps``, as in PyTorch, where the norm's own
    derivative at zero would give ``0 * inf = nan``.
    """
    norm = _norm(input, p, dim)
    small = raw(norm) < eps
    if not small.any():
        return input / norm
    # The norm of the small slices is not used: take it of ones, so nothing differentiates it at zero.
    safe = record(np.where, (small, 1.0, input), {})
    return input / record(np.where, (small, eps, _norm(safe, p, dim)), {})


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """``x1 . x2 / max(||x1|| * ||x2||, eps)`` along ``dim``."""
    dot = record(np.sum, (x1 * x2,), {"axis": dim})
    n1 = record(np.sum, (x1 * x1,), {"axis": dim})
    n2 = record(np.sum, (x2 * x2,), {"axis": dim})
    return dot / record(np.sqrt, (record(np.maximum, (n1 * n2, eps * eps), {}),), {})


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """``||x1 - x2 + eps||_p`` along the last dimension."""
    return record(np.linalg.norm, (x1 - x2 + eps,), {"ord": p, "axis": -1, "keepdims": keepdim})
