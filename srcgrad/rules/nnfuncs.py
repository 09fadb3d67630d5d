"""Machine-learning helpers as primitives: sigmoid, relu, softplus, softmax,
log_softmax, logsumexp, linear.

Each could be composed from numpy ufuncs; they are primitives so that the
forward pass is numerically stable (no overflow for large ``|x|``), the
backward pass is one cheap formula that reuses ``ans``, and the tape shows
PyTorch's node names. The forward implementations run on ndarrays only (a
Tensor argument dispatches to the tape first) and keep float32 as float32.
"""

import numpy as np

from .broadcast import shape_of
from .helpers import broadcast_like, unreduce
from .registry import defjvp, defvjp, primitive

__all__ = ["sigmoid", "relu", "softplus", "softmax", "log_softmax", "logsumexp", "linear"]


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


@primitive
def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x), axis))``, shifted by the maximum so it cannot overflow.

    An all ``-inf`` slice gives ``-inf``; a ``+inf`` entry gives ``+inf``.
    """
    x = np.asarray(x)
    m = np.max(x, axis=axis, keepdims=True)
    if np.isfinite(m).all():  # the sum is >= 1 (the maximum contributes exp(0)): log is safe
        out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    else:
        m = np.where(np.isfinite(m), m, 0)
        with np.errstate(divide="ignore"):  # an all -inf slice: log(0) = -inf is the answer
            out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


@primitive
def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x), axis)``, shifted by the maximum so it cannot overflow."""
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


@primitive
def log_softmax(x, axis=-1):
    """``x - logsumexp(x, axis)``: the log of ``softmax`` without its rounding to 0."""
    return x - logsumexp(x, axis=axis, keepdims=True)


@primitive
def linear(x, w, b=None):
    """``x @ w.T + b`` (``w`` of shape (out, in)): a primitive for speed only, one graph
    node per layer instead of three (transpose, matmul, add), as PyTorch's ``addmm``."""
    out = np.matmul(x, np.swapaxes(w, -1, -2))
    return out if b is None else out + b


def batch_rows(a):
    """``a`` as a matrix: every axis but the last merged into rows."""
    return np.reshape(a, (-1, shape_of(a)[-1]))


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

defvjp(linear,
       lambda g, ans, x, w, b=None: np.matmul(g, w),
       lambda g, ans, x, w, b=None: np.matmul(np.swapaxes(batch_rows(g), -1, -2), batch_rows(x)),
       lambda g, ans, x, w, b=None: np.sum(batch_rows(g), axis=0),
       backward_name="AddmmBackward0")
defjvp(linear,
       lambda t, ans, x, w, b=None: np.matmul(t, np.swapaxes(w, -1, -2)),
       lambda t, ans, x, w, b=None: np.matmul(x, np.swapaxes(t, -1, -2)),
       lambda t, ans, x, w, b=None: broadcast_like(t, ans))
