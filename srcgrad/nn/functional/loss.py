"""Losses with PyTorch's formulas, reductions and deprecated ``size_average``/``reduce`` arguments."""

import math
import operator

import numpy as np

from ... import rules as _rules
from ...recording import record
from ...tensor import Tensor
from .common import check_same_size, raw, reduce_loss, reduction_mode
from .distance import pairwise_distance

__all__ = [
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "kl_div",
    "cosine_embedding_loss",
    "margin_ranking_loss",
    "hinge_embedding_loss",
    "soft_margin_loss",
    "multilabel_soft_margin_loss",
    "multi_margin_loss",
    "triplet_margin_loss",
    "poisson_nll_loss",
    "gaussian_nll_loss",
]


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """``(x - y) ** 2``, reduced.

    Args:
        input: any shape.
        target: the same shape.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
    """
    reduction = reduction_mode(size_average, reduce, reduction)
    return record(_rules.mse_loss, (input, target), {"reduction": reduction})  # one node, MseLossBackward0


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """``|x - y|``, reduced (the gradient at 0 is 0)."""
    reduction = reduction_mode(size_average, reduce, reduction)
    return reduce_loss(record(np.absolute, (record(np.subtract, (input, target), {}),), {}), reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """``0.5 * d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 * beta`` (``d = x - y``); L1 when ``beta == 0``.

    Raises:
        RuntimeError: a negative ``beta``.
    """
    reduction = reduction_mode(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    diff = record(np.subtract, (input, target), {})
    absdiff = record(np.absolute, (diff,), {})
    if beta == 0:
        return reduce_loss(absdiff, reduction)
    loss = record(np.where, (raw(absdiff) < beta, 0.5 * diff * diff / beta, absdiff - 0.5 * beta), {})
    return reduce_loss(loss, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """``0.5 * d**2`` where ``|d| <= delta``, else ``delta * (|d| - 0.5 * delta)`` (``d = x - y``).

    Raises:
        RuntimeError: ``delta <= 0``.
    """
    reduction = reduction_mode(None, None, reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    diff = record(np.subtract, (input, target), {})
    absdiff = record(np.absolute, (diff,), {})
    loss = record(np.where, (raw(absdiff) <= delta, 0.5 * diff * diff, delta * (absdiff - 0.5 * delta)), {})
    return reduce_loss(loss, reduction)


def _class_last(input):
    """(N, C, d1, ...) -> (N*d1*..., C) and the shape of the targets; (C,) -> (1, C)."""
    if input.ndim == 1:
        return record(np.expand_dims, (input, 0), {}), ()
    if input.ndim == 2:
        return input, (input.shape[0],)
    moved = record(np.moveaxis, (input, 1, -1), {})
    c = input.shape[1]
    return record(np.reshape, (moved, (-1, c)), {}), (input.shape[0],) + tuple(input.shape[2:])


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """``-w[y] * x[y]`` per sample (``x`` log-probabilities), reduced.

    ``'mean'`` divides by the total weight of the targets that are not
    ``ignore_index`` (NaN when all are ignored, as in PyTorch).

    Args:
        input: (N, C), (C,) or (N, C, d1, ...): log-probabilities.
        target: (N,), () or (N, d1, ...): class indices in [0, C).
        weight: (C,): a weight per class.
        ignore_index: targets equal to it contribute nothing.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Raises:
        IndexError: a target outside [0, C) that is not ``ignore_index``.
        ValueError: shapes that do not fit.
    """
    reduction = reduction_mode(size_average, reduce, reduction)
    flat, target_shape = _class_last(input)
    labels = np.asarray(raw(target))
    if labels.dtype.kind not in "iu":
        raise TypeError(f"expected an integer target for nll_loss, got {labels.dtype}")
    if labels.shape != target_shape:
        raise ValueError(f"Expected target size {list(target_shape)}, got {list(labels.shape)}")
    labels = labels.reshape(-1)
    c = flat.shape[1]
    ignored = labels == ignore_index
    any_ignored = bool(ignored.any())
    safe = np.where(ignored, 0, labels) if any_ignored else labels
    if safe.size and (safe.min() < 0 or safe.max() >= c):
        bad = safe[(safe < 0) | (safe >= c)][0]
        raise IndexError(f"Target {bad} is out of bounds.")
    if weight is None and not any_ignored:  # one node, NllLossBackward0
        losses = _rules.nll_loss(flat, safe, reduction=reduction)
        if reduction == "none" and target_shape != (safe.size,):
            return record(np.reshape, (losses, target_shape), {})
        return losses
    picked = record(operator.getitem, (flat, (np.arange(safe.size), safe)), {})
    if weight is None:
        w = (~ignored).astype(input.dtype)
    else:
        w = record(operator.getitem, (weight, safe), {}) * (~ignored).astype(input.dtype)
    losses = -picked * w
    if reduction == "mean":
        return record(np.sum, (losses,), {}) / record(np.sum, (w,), {})
    if reduction == "sum":
        return record(np.sum, (losses,), {})
    return record(np.reshape, (losses, target_shape), {})


def cross_entropy(
    input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean", label_smoothing=0.0
):
    """``nll_loss(log_softmax(x, dim=1), y)``, with PyTorch's label smoothing; class indices or probabilities.

    With class indices and ``label_smoothing = e``, the loss is
    ``(1 - e) * nll + e / C * smooth``, where ``smooth = -sum_c w[c] * logp[c]``
    reduced like ``nll`` (its mean divides by the weight of the non-ignored
    targets). With probability targets (a float Tensor of ``input``'s shape)
    the targets become ``y * (1 - e) + e / C`` and the loss is
    ``-sum_c w[c] * y[c] * logp[c]``; ``'mean'`` divides by the number of
    samples (``ignore_index`` does not apply).

    Args:
        input: logits (N, C), (C,) or (N, C, d1, ...).
        target: class indices (N,), (), (N, d1, ...) or probabilities of ``input``'s shape.
        weight: (C,): a weight per class.
        ignore_index: class-index targets equal to it contribute nothing.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        label_smoothing: ``e`` in [0, 1].

    Raises:
        RuntimeError: ``label_smoothing`` outside [0, 1].
        ValueError: shapes that do not fit.
        IndexError: a class index out of range.
    """
    reduction = reduction_mode(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 0 if input.ndim == 1 else 1
    logp = _rules.log_softmax(input, axis=class_dim)
    c = input.shape[class_dim]
    w_shape = [1] * input.ndim
    w_shape[class_dim] = c
    labels = raw(target)
    if labels.dtype.kind == "f":
        if tuple(labels.shape) != tuple(input.shape):
            raise ValueError(f"Expected probability targets of shape {list(input.shape)}, got {list(labels.shape)}")
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / c
        prod = record(np.multiply, (logp, target), {})
        if weight is not None:
            prod = record(np.multiply, (prod, record(np.reshape, (weight, tuple(w_shape)), {})), {})
        if reduction == "mean":
            return -record(np.sum, (prod,), {}) / (input.numel() // c)
        if reduction == "sum":
            return -record(np.sum, (prod,), {})
        return -record(np.sum, (prod,), {"axis": class_dim})
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0:
        return nll
    weighted = (
        logp if weight is None else record(np.multiply, (logp, record(np.reshape, (weight, tuple(w_shape)), {})), {})
    )
    smooth = -record(np.sum, (weighted,), {"axis": class_dim})
    ignored = labels == ignore_index
    kept = (~ignored).astype(input.dtype)
    smooth = record(np.multiply, (smooth, kept), {})
    if reduction == "mean":
        if weight is None:
            denom = kept.sum()
        else:
            denom = record(np.sum, (record(operator.getitem, (weight, labels[~ignored]), {}),), {})
        ret = record(np.sum, (smooth,), {}) / denom
    elif reduction == "sum":
        ret = record(np.sum, (smooth,), {})
    else:
        ret = smooth
    return (1 - label_smoothing) * nll + ret * (label_smoothing / c)


def _weighted(loss, weight, reduction):
    if weight is not None:
        loss = record(np.multiply, (loss, weight), {})
    return reduce_loss(loss, reduction)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """``-(y * log(x) + (1 - y) * log(1 - x))``; each log is clamped at -100, as in PyTorch.

    The gradient with respect to ``x`` is PyTorch's,
    ``(x - y) / max(x * (1 - x), 1e-12)``: finite at ``x`` = 0 or 1.

    Args:
        input: probabilities in [0, 1], any shape.
        target: the same shape.
        weight: broadcastable to ``input``: a weight per element.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Raises:
        ValueError: shapes differ.
        RuntimeError: an input outside [0, 1].
    """
    reduction = reduction_mode(size_average, reduce, reduction)
    check_same_size(input, target, "binary_cross_entropy")
    value = raw(input)
    if np.any((value < 0) | (value > 1)):
        raise RuntimeError("all elements of input should be between 0 and 1")
    loss = _rules.binary_cross_entropy(input, target)  # one node, BinaryCrossEntropyBackward0
    return _weighted(loss, weight, reduction)


def binary_cross_entropy_with_logits(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None
):
    """``sigmoid`` and ``binary_cross_entropy`` in one stable formula.

    ``loss = (1 - y) * x + (1 + (p - 1) * y) * softplus(-x)``, ``p`` the
    ``pos_weight`` (1 when omitted), which equals
    ``-(p * y * log(sigmoid(x)) + (1 - y) * log(1 - sigmoid(x)))`` without overflow.

    Args:
        input: logits, any shape.
        target: the same shape, in [0, 1].
        weight: broadcastable to ``input``: a weight per element.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        pos_weight: broadcastable to ``input`` (one per class, the last dimension): weight of positives.

    Raises:
        ValueError: shapes differ.
    """
    reduction = reduction_mode(size_average, reduce, reduction)
    check_same_size(input, target, "binary_cross_entropy_with_logits")
    softplus_neg = _rules.softplus(-input)
    if pos_weight is None:
        loss = (1.0 - target) * input + softplus_neg
    else:
        loss = (1.0 - target) * input + (1.0 + (pos_weight - 1.0) * target) * softplus_neg
    return _weighted(loss, weight, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """``y * (log(y) - x)`` with ``x`` log-probabilities (``0`` where ``y == 0``); ``'batchmean'`` divides by N."""
    if reduction == "batchmean":
        loss = kl_div(input, target, reduction="sum", log_target=log_target)
        return loss / (input.shape[0] if input.ndim else 1)
    reduction = reduction_mode(size_average, reduce, reduction)
    if log_target:
        loss = record(np.exp, (target,), {}) * (target - input)
    else:
        # y * log(y) is 0 where y == 0 (and so is its gradient).
        positive = raw(target) > 0
        ylogy = target * record(np.log, (record(np.where, (positive, target, 1.0), {}),), {})
        loss = ylogy - target * input
    return reduce_loss(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """``1 - cos(x1, x2)`` where ``y == 1``, ``max(0, cos(x1, x2) - margin)`` where ``y == -1``.

    The cosine is ``x1 . x2 / sqrt((|x1|^2 + 1e-12) (|x2|^2 + 1e-12))`` along the last dimension, as in PyTorch.
    """
    reduction = reduction_mode(size_average, reduce, reduction)
    dim = input1.ndim - 1
    dot = record(np.sum, (input1 * input2,), {"axis": dim})
    m1 = record(np.sum, (input1 * input1,), {"axis": dim}) + 1e-12
    m2 = record(np.sum, (input2 * input2,), {"axis": dim}) + 1e-12
    cos = dot / record(np.sqrt, (m1 * m2,), {})
    y = raw(target)
    positive = record(np.where, (y == 1, 1.0 - cos, 0.0), {})
    negative = record(np.where, (y == -1, record(np.maximum, (cos - margin, 0.0), {}), 0.0), {})
    return reduce_loss(positive + negative, reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """``max(0, -y * (x1 - x2) + margin)``."""
    reduction = reduction_mode(size_average, reduce, reduction)
    return reduce_loss(record(np.maximum, (-target * (input1 - input2) + margin, 0.0), {}), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """``x`` where ``y == 1``, ``max(0, margin - x)`` where ``y == -1``."""
    reduction = reduction_mode(size_average, reduce, reduction)
    y = raw(target)
    clamped = record(np.where, (y != 1, record(np.maximum, (margin - input, 0.0), {}), 0.0), {})
    return reduce_loss(clamped + record(np.where, (y != -1, input, 0.0), {}), reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """``log(1 + exp(-y * x))``, computed stably."""
    reduction = reduction_mode(size_average, reduce, reduction)
    return reduce_loss(_rules.softplus(-target * input), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """``-mean_c(y log sigmoid(x) + (1 - y) log sigmoid(-x))`` per sample (times ``weight``), reduced over samples."""
    reduction = reduction_mode(size_average, reduce, reduction)
    loss = target * _rules.softplus(-input) + (1.0 - target) * _rules.softplus(input)
    if weight is not None:
        loss = loss * weight
    loss = record(np.mean, (loss,), {"axis": input.ndim - 1})
    return reduce_loss(loss, reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
    """``sum_{j != y} max(0, margin - x[y] + x[j]) ** p / C`` per sample (times ``weight[y]``).

    Raises:
        ValueError: ``p`` other than 1 or 2.
    """
    reduction = reduction_mode(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x = input if input.ndim == 2 else record(np.expand_dims, (input, 0), {})
    labels = np.asarray(raw(target)).reshape(-1)
    rows = np.arange(labels.size)
    picked = record(operator.getitem, (x, (rows, labels)), {})
    margins = record(np.maximum, (margin - record(np.expand_dims, (picked, 1), {}) + x, 0.0), {})
    if p == 2:
        margins = margins * margins
    if weight is not None:
        margins = margins * record(np.expand_dims, (record(operator.getitem, (weight, labels), {}), 1), {})
    others = np.ones(x.shape, dtype=bool)
    others[rows, labels] = False
    loss = record(np.sum, (record(np.where, (others, margins, 0.0), {}),), {"axis": 1}) / x.shape[1]
    if input.ndim == 1:
        loss = loss[0]
    return reduce_loss(loss, reduction)


def triplet_margin_loss(
    anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None, reduce=None, reduction="mean"
):
    """``max(d(a, p) - d(a, n) + margin, 0)``, ``d`` the ``pairwise_distance`` (``swap``: ``min(d(a, n), d(p, n))``)."""
    reduction = reduction_mode(size_average, reduce, reduction)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = record(np.minimum, (d_neg, pairwise_distance(positive, negative, p, eps)), {})
    return reduce_loss(record(np.maximum, (margin + d_pos - d_neg, 0.0), {}), reduction)


def poisson_nll_loss(
    input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None, reduction="mean"
):
    """``exp(x) - y * x`` (``log_input``) or ``x - y * log(x + eps)``; ``full`` adds Stirling's term for ``y > 1``."""
    reduction = reduction_mode(size_average, reduce, reduction)
    if log_input:
        loss = record(np.exp, (input,), {}) - target * input
    else:
        loss = input - target * record(np.log, (input + eps,), {})
    if full:
        y = raw(target)
        safe = np.where(y > 1, y, 1.0)
        stirling = np.where(y > 1, safe * np.log(safe) - safe + 0.5 * np.log(2 * np.pi * safe), 0.0)
        loss = loss + stirling.astype(loss.dtype)
    return reduce_loss(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """``0.5 * (log(var) + (x - y) ** 2 / var)`` (+ ``0.5 * log(2 pi)`` with ``full``).

    ``var`` is clamped below at ``eps`` in value only (its gradient passes as if unclamped), as in PyTorch.

    Raises:
        ValueError: a negative variance, or a ``var`` shape that does not fit.
    """
    reduction = reduction_mode(None, None, reduction)
    if not isinstance(var, Tensor):
        var = Tensor._wrap(np.asarray(var, dtype=input.dtype))
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = record(np.expand_dims, (var, -1), {})
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1):
            raise ValueError("var is of incorrect size")
    if np.any(raw(var) < 0):
        raise ValueError("var has negative entry/entries")
    var = var + (np.maximum(raw(var), eps) - raw(var))  # clamp the value, keep the gradient
    diff = input - target
    loss = 0.5 * (record(np.log, (var,), {}) + diff * diff / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return reduce_loss(loss, reduction)
