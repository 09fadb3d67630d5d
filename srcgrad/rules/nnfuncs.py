"""Machine-learning helpers as primitives: sigmoid, relu, softplus, softmax,
log_softmax, logsumexp, linear, nll_loss, binary_cross_entropy.

Each could be composed from numpy ufuncs; they are primitives so that the
forward pass is numerically stable (no overflow for large ``|x|``), the
backward pass is one cheap formula that reuses ``ans``, and the tape shows
PyTorch's node names. The forward implementations run on ndarrays only (a
Tensor argument dispatches to the tape first) and keep float32 as float32.
"""

import numpy as np

from .broadcast import shape_of
from .helpers import broadcast_like, unreduce
from .indexing import index_update
from .registry import defjvp, defvjp, primitive

__all__ = ["sigmoid", "relu", "softplus", "softmax", "log_softmax", "logsumexp", "linear", "nll_loss", "sum_rows",
           "binary_cross_entropy", "addmm", "transpose2d", "mse_loss"]


@primitive
def sigmoid(x):
    """The logistic function ``1 / (1 + exp(-x))``, computed without overflow."""
    return 0.5 * (np.tanh(np.multiply(0.5, x)) + 1)


@primitive
def relu(x):
    """``max(x, 0)`` elementwise (the gradient at 0 is 0, as in PyTorch)."""
    return np.maximum(x, 0)


@primitive
def softplus(x):
    """``log(1 + exp(x))``, computed without overflow."""
    return np.logaddexp(0, x)


# numpy reduces a contiguous last axis with one inner-loop call per row (~40 ns for a
# max, ~20 ns for a sum), so 300 rows of 3 logits take ~13 us for np.max; one ufunc
# call per column over all rows takes ~1 us. With fewer than _ROWS_PER_COLUMN rows
# per column, or more than _SHORT_AXIS columns, numpy's own reduction is the faster.
_ROWS_PER_COLUMN = 32
_SHORT_AXIS = 8


def _reduce_keepdims(ufunc, x, axis):
    """``ufunc.reduce(x, axis=axis, keepdims=True)`` for ``np.maximum`` or ``np.add``.

    Over a short last axis (at most 8 entries) of many rows it combines the
    columns with one ufunc call each instead: ``np.maximum`` gives exactly
    ``np.max`` (NaN included); ``np.add`` adds left to right, as ``np.sum``
    does below 8 terms (the same result up to rounding in any case).
    """
    shape = x.shape
    if type(axis) is int and shape and axis % len(shape) == len(shape) - 1:
        n = shape[-1]
        if 1 < n <= _SHORT_AXIS and x.size >= _ROWS_PER_COLUMN * n * n:
            out = ufunc(x[..., 0:1], x[..., 1:2])
            for j in range(2, n):
                ufunc(out, x[..., j:j + 1], out=out)
            return out
    return ufunc.reduce(x, axis=axis, keepdims=True)


@primitive(keywords={"dim": "axis", "keepdim": "keepdims"})  # PyTorch spells them so
def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x), axis))``, shifted by the maximum so it cannot overflow.

    An all ``-inf`` slice gives ``-inf``; a ``+inf`` entry gives ``+inf``.
    """
    x = np.asarray(x)
    m = _reduce_keepdims(np.maximum, x, axis)
    if np.isfinite(m).all():  # the sum is >= 1 (the maximum contributes exp(0)): log is safe
        out = np.log(_reduce_keepdims(np.add, np.exp(x - m), axis))
        out += m
    else:
        m = np.where(np.isfinite(m), m, 0)
        with np.errstate(divide="ignore"):  # an all -inf slice: log(0) = -inf is the answer
            out = np.log(_reduce_keepdims(np.add, np.exp(x - m), axis)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


@primitive(keywords={"dim": "axis"})  # PyTorch spells them so
def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x), axis)``, shifted by the maximum so it cannot overflow."""
    x = np.asarray(x)
    e = np.exp(x - _reduce_keepdims(np.maximum, x, axis))
    e /= _reduce_keepdims(np.add, e, axis)
    return e


@primitive(keywords={"dim": "axis"})  # PyTorch spells them so
def log_softmax(x, axis=-1):
    """``x - logsumexp(x, axis)``: the log of ``softmax`` without its rounding to 0."""
    return x - logsumexp(x, axis=axis, keepdims=True)


@primitive
def linear(x, w, b=None):
    """``x @ w.T + b`` (``w`` of shape (out, in)): a primitive for speed only, one graph
    node per layer instead of three (transpose, matmul, add), as PyTorch's ``addmm``."""
    out = np.matmul(x, np.swapaxes(w, -1, -2))
    if b is None:
        return out
    if type(out) is np.ndarray and np.shape(b) == out.shape[-1:] and np.result_type(out, b) == out.dtype:
        out += b  # the product is a new array: add in place, without another allocation
        return out
    return out + b


@primitive
def transpose2d(a):
    """``a.T`` of a matrix: PyTorch's ``t()``, whose node is ``TBackward0``; ``Linear`` reaches its
    weight through one, as PyTorch's does."""
    return np.transpose(a)


@primitive
def addmm(b, x, wt):
    """``b + x @ wt``: PyTorch's ``addmm``, the one node (``AddmmBackward0``) of ``Linear`` on rows.

    The arguments come in PyTorch's order, bias, input, transposed weight, so a
    script walking ``grad_fn.next_functions`` from a Linear layer meets the bias's
    ``AccumulateGrad`` first and the weight behind a ``TBackward0``, as in PyTorch.
    """
    out = np.matmul(x, wt)
    if type(out) is np.ndarray and np.shape(b) == out.shape[-1:] and np.result_type(out, b) == out.dtype:
        out += b  # the product is a new array: add in place, without another allocation
        return out
    return out + b


def addmm_wt_grad(g, x):
    """``x.T @ g``, the gradient of ``addmm``'s transposed weight, as the transpose of ``g.T @ x``:
    ``transpose2d``'s VJP turns it back into a C-ordered array of the weight's shape."""
    return np.swapaxes(np.matmul(np.swapaxes(batch_rows(g), -1, -2), input_rows(x, g)), -1, -2)


@primitive
def mse_loss(x, y, reduction="mean"):
    """``(x - y) ** 2``, averaged, summed or kept: one node (``MseLossBackward0``), as PyTorch records.

    Args:
        x: the input.
        y: the target (broadcast against ``x``).
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
    """
    d = np.subtract(x, y)
    squares = d * d
    if reduction == "mean":
        return np.mean(squares)
    if reduction == "sum":
        return np.sum(squares)
    return squares


def mse_scale(d, reduction):
    """PyTorch's factor in the gradient of ``mse_loss``: ``2 / d.size`` for ``'mean'``, else 2."""
    return 2.0 / np.size(d) if reduction == "mean" else 2.0


def mse_tangent(t, d, reduction):
    """The tangent of ``mse_loss`` along ``t`` (the tangent of ``x - y``), reduced as the loss is."""
    v = 2.0 * d * t
    if reduction == "mean":
        return np.mean(v)
    if reduction == "sum":
        return np.sum(v)
    return v


@primitive
def nll_loss(logp, target, reduction="mean"):
    """``-logp[i, target[i]]`` for each row ``i``, averaged, summed or kept per row.

    A primitive for speed only: one graph node (``NllLossBackward0``, as PyTorch
    records) instead of an index, a negation and a mean.

    Args:
        logp: (N, C) log-probabilities.
        target: (N,) integer class indices in [0, C) (not checked here).
        reduction: ``'mean'``, ``'sum'`` or ``'none'`` (the (N,) losses).
    """
    picked = np.asarray(logp)[rows_of(target), target]
    if reduction == "none":
        return -picked
    total = -np.add.reduce(picked)
    return total / picked.shape[0] if reduction == "mean" else total


def rows_of(target):
    """The row index ``(0, 1, ..., N-1)`` paired with ``target`` in ``nll_loss``."""
    return np.arange(shape_of(target)[0])


def clamped_log(x):
    """``max(log(x), -100)``, PyTorch's clamp in binary cross-entropy (``log(0)`` gives -100, quietly)."""
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(x), -100.0)


def clamped_log1m(x):
    """``max(log(1 - x), -100)``, computed as ``log1p(-x)`` (as PyTorch does)."""
    with np.errstate(divide="ignore"):
        return np.maximum(np.log1p(-x), -100.0)


@primitive
def binary_cross_entropy(x, y):
    """``-(y * log(x) + (1 - y) * log(1 - x))`` elementwise, each log clamped at -100.

    A primitive for PyTorch's gradient at the ends of [0, 1]: ``x``'s VJP is
    ``g * (x - y) / max(x * (1 - x), 1e-12)``, as PyTorch's
    ``BinaryCrossEntropyBackward0``. That is the derivative wherever
    ``x * (1 - x) >= 1e-12``, and finite where the composite of clamped logs would
    give ``inf * 0 = nan`` (``x`` exactly 0 or 1). ``y``'s VJP is the derivative
    of the clamped loss, ``g * (log(1 - x) - log(x))`` with the clamps: finite
    (PyTorch's is the unclamped ``-logit(x)``, infinite at 0 and 1).

    Args:
        x: probabilities in [0, 1] (not checked here).
        y: targets, broadcastable against ``x``.
    """
    return -(y * clamped_log(x) + (1 - y) * clamped_log1m(x))


@primitive
def sum_rows(a):
    """``np.sum(a, axis=0)`` of a matrix, computed as ``ones @ a``: a primitive for speed
    only (the gradient of ``linear``'s bias). numpy reduces the leading axis of a
    (300, 64) array in ~9 us; BLAS's product with a row of ones takes ~3 us. The
    terms are the same, summed in BLAS's order."""
    a = np.asarray(a)
    return np.matmul(np.ones(a.shape[0], dtype=a.dtype), a)


def batch_rows(a):
    """``a`` as a matrix: every axis but the last merged into rows."""
    return np.reshape(a, (-1, shape_of(a)[-1]))


def input_rows(x, g):
    """``linear``'s input as the rows of ``g`` (its gradient's): stretched first where a bias of more than one
    axis broadcast the product to more rows than the input has."""
    rows = shape_of(g)[:-1]
    if shape_of(x)[:-1] != rows:
        x = np.broadcast_to(x, rows + shape_of(x)[-1:])
    return batch_rows(x)


defvjp(sigmoid,
       lambda g, ans, x: g * ans * (1 - ans),
       backward_name="SigmoidBackward0")
defjvp(sigmoid,
       lambda t, ans, x: t * ans * (1 - ans))

defvjp(relu,
       lambda g, ans, x: g * (ans > 0),
       backward_name="ReluBackward0")
defjvp(relu,
       lambda t, ans, x: t * (ans > 0))

defvjp(softplus,
       lambda g, ans, x: g * sigmoid(x),
       backward_name="SoftplusBackward0")
defjvp(softplus,
       lambda t, ans, x: t * sigmoid(x))

defvjp(logsumexp,
       lambda g, ans, x, axis=None, keepdims=False: unreduce(g, x, axis) * np.exp(x - unreduce(ans, x, axis)),
       backward_name="LogsumexpBackward0")
defjvp(logsumexp,
       lambda t, ans, x, axis=None, keepdims=False: np.sum(t * np.exp(x - unreduce(ans, x, axis)), axis=axis, keepdims=keepdims))

defvjp(softmax,
       lambda g, ans, x, axis=-1: ans * (g - np.sum(g * ans, axis=axis, keepdims=True)),
       backward_name="SoftmaxBackward0")
defjvp(softmax,
       lambda t, ans, x, axis=-1: ans * (t - np.sum(t * ans, axis=axis, keepdims=True)))

defvjp(log_softmax,
       lambda g, ans, x, axis=-1: g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True),
       backward_name="LogSoftmaxBackward0")
defjvp(log_softmax,
       lambda t, ans, x, axis=-1: t - np.sum(np.exp(ans) * t, axis=axis, keepdims=True))

defvjp(nll_loss,
       lambda g, ans, logp, target, reduction="mean": index_update(np.zeros_like(logp), (rows_of(target), target), -g / shape_of(target)[0] if reduction == "mean" else -g),
       None,
       backward_name="NllLossBackward0")
defjvp(nll_loss,
       lambda t, ans, logp, target, reduction="mean": nll_loss(t, target, reduction),
       None)

defvjp(binary_cross_entropy,
       lambda g, ans, x, y: g * (x - y) / np.maximum(x * (1 - x), 1e-12),
       lambda g, ans, x, y: g * (clamped_log1m(x) - clamped_log(x)),
       backward_name="BinaryCrossEntropyBackward0")
defjvp(binary_cross_entropy,
       lambda t, ans, x, y: t * (x - y) / np.maximum(x * (1 - x), 1e-12),
       lambda t, ans, x, y: t * (clamped_log1m(x) - clamped_log(x)))

defvjp(sum_rows,
       lambda g, ans, a: np.broadcast_to(g, shape_of(a)),
       backward_name="SumBackward1")
defjvp(sum_rows,
       lambda t, ans, a: sum_rows(t))

defvjp(linear,
       lambda g, ans, x, w, b=None: np.matmul(g, w),
       lambda g, ans, x, w, b=None: np.matmul(np.swapaxes(batch_rows(g), -1, -2), input_rows(x, g)),
       # a bias of one axis (or none) is added to every row; one of more axes gets g, which the caller unbroadcasts
       lambda g, ans, x, w, b=None: sum_rows(batch_rows(g)) if len(shape_of(b)) <= 1 else g,
       backward_name="AddmmBackward0")
defjvp(linear,
       lambda t, ans, x, w, b=None: np.matmul(t, np.swapaxes(w, -1, -2)),
       lambda t, ans, x, w, b=None: np.matmul(x, np.swapaxes(t, -1, -2)),
       lambda t, ans, x, w, b=None: broadcast_like(t, ans))

defvjp(transpose2d,
       lambda g, ans, a: transpose2d(g),
       backward_name="TBackward0")
defjvp(transpose2d,
       lambda t, ans, a: transpose2d(t))

defvjp(addmm,
       # a bias of one axis (or none) is added to every row; one of more axes gets g, which the caller unbroadcasts
       lambda g, ans, b, x, wt: sum_rows(batch_rows(g)) if len(shape_of(b)) <= 1 else g,
       lambda g, ans, b, x, wt: np.matmul(g, np.swapaxes(wt, -1, -2)),
       lambda g, ans, b, x, wt: addmm_wt_grad(g, x),
       backward_name="AddmmBackward0")
defjvp(addmm,
       lambda t, ans, b, x, wt: broadcast_like(t, ans),
       lambda t, ans, b, x, wt: np.matmul(t, wt),
       lambda t, ans, b, x, wt: np.matmul(x, t))

# PyTorch's mse_loss_backward: norm * (x - y) * g, and norm * (y - x) * g for the target
defvjp(mse_loss,
       lambda g, ans, x, y, reduction="mean": mse_scale(x - y, reduction) * (x - y) * g,
       lambda g, ans, x, y, reduction="mean": mse_scale(x - y, reduction) * (y - x) * g,
       backward_name="MseLossBackward0")
defjvp(mse_loss,
       lambda t, ans, x, y, reduction="mean": mse_tangent(t, x - y, reduction),
       lambda t, ans, x, y, reduction="mean": mse_tangent(-t, x - y, reduction))
