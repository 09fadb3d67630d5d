"""Dropout: elementwise (``dropout``) and of whole channels (``dropout1d``, ``dropout2d``)."""

import numpy as np

from ... import creation as _creation
from ...recording import record

__all__ = ["dropout", "dropout1d", "dropout2d"]


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``; identity unless training.

    The mask is drawn from srcgrad's global generator (``srcgrad.manual_seed``).

    Raises:
        ValueError: ``p`` outside [0, 1].
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = _creation.default_generator.rng.random(input.shape) >= p
    scale = (keep / (1.0 - p)).astype(input.dtype)
    return record(np.multiply, (input, scale), {})


def _channel_dropout(input, p, training, spatial):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    batched = input.ndim == spatial + 2
    shape = tuple(input.shape[:2] if batched else input.shape[:1]) + (1,) * spatial
    keep = _creation.default_generator.rng.random(shape) >= p
    scale = (keep / (1.0 - p)).astype(input.dtype) if p < 1.0 else np.zeros(shape, input.dtype)
    return record(np.multiply, (input, scale), {})


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) with probability ``p``; scale the rest by ``1 / (1 - p)``."""
    return _channel_dropout(input, p, training, 1)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) or (C, H, W) with probability ``p``; scale the rest by ``1 / (1 - p)``."""
    return _channel_dropout(input, p, training, 2)
