"""``scaled_dot_product_attention``: softmax(QK^T / sqrt(d)) V with masks, causality and dropout."""

import math

import numpy as np

from ... import rules as _rules
from ...recording import record
from .common import raw
from .dropout import dropout

__all__ = ["scaled_dot_product_attention"]


def scaled_dot_product_attention(
    query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False
):
    """``softmax(q @ k.T * scale + mask) @ v`` over the last two dimensions.

    Args:
        query: (..., L, E).
        key: (..., S, E).
        value: (..., S, Ev).
        attn_mask: a boolean mask (True: may attend) or a float mask added to the scores,
            broadcastable to (..., L, S).
        dropout_p: dropout on the attention weights.
        is_causal: mask out the keys after each query (top-left aligned).
        scale: defaults to ``1 / sqrt(E)``.

    Returns:
        (..., L, Ev).
    """
    e = query.shape[-1]
    scale = 1.0 / math.sqrt(e) if scale is None else scale
    scores = record(np.matmul, (query, record(np.swapaxes, (key, -1, -2), {})), {}) * scale
    length, source = query.shape[-2], key.shape[-2]
    if is_causal:
        causal = np.tril(np.ones((length, source), dtype=bool))
        attn_mask = causal if attn_mask is None else raw(attn_mask) & causal
    if attn_mask is not None:
        mask = raw(attn_mask)
        if mask.dtype == np.bool_:
            scores = record(np.where, (mask, scores, -np.inf), {})
        else:
            scores = scores + attn_mask
    weights = _rules.softmax(scores, axis=-1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return record(np.matmul, (weights, value), {})
