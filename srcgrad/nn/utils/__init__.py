"""``nn.utils``: gradient clipping and flattening parameters into one vector; ``nn.utils.rnn``: packed sequences."""

import math

import numpy as np

from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from . import rnn

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters", "rnn"]


def _params(parameters):
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale the gradients in place so that their joint norm is at most ``max_norm``.

    The joint norm is the ``norm_type``-norm of all gradients seen as one vector.
    Gradients are multiplied by ``min(1, max_norm / (total_norm + 1e-6))``.

    Args:
        parameters: Tensors (or one Tensor) whose ``.grad`` is clipped; those without one are skipped.
        max_norm: the largest norm allowed.
        norm_type: the ``p`` of the norm (``float('inf')`` for the largest absolute value).
        error_if_nonfinite: raise instead of scaling by a NaN or infinite norm.
        foreach: accepted for PyTorch compatibility.

    Returns:
        The total norm before clipping, a 0-d Tensor.

    Raises:
        RuntimeError: the norm is NaN or infinite and ``error_if_nonfinite`` is set.

    Example:
        >>> import srcgrad
        >>> p = srcgrad.nn.Parameter(srcgrad.zeros(2))
        >>> p.grad = srcgrad.tensor([3.0, 4.0])
        >>> srcgrad.nn.utils.clip_grad_norm_([p], 1.0)
        tensor(5.)
    """
    grads = [p.grad for p in _params(parameters) if p.grad is not None]
    norm_type = float(norm_type)
    if not grads:
        return Tensor._wrap(np.array(0.0))
    values = [g._value for g in grads]
    if math.isinf(norm_type):
        norms = [np.max(np.abs(v)) if v.size else np.zeros((), v.dtype) for v in values]
        total = np.max(np.stack(norms))
    else:
        norms = [np.linalg.norm(v.reshape(-1), norm_type) for v in values]
        total = np.linalg.norm(np.stack(norms), norm_type)
    total = np.asarray(total, dtype=values[0].dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`"
        )
    coef = max_norm / (total + 1e-6)
    if coef < 1 or np.isnan(coef):  # a non-finite norm spreads into the gradients, as in PyTorch
        with no_grad(), np.errstate(invalid="ignore"):
            for g in grads:
                g.mul_(coef)
    return Tensor._wrap(total)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient in place into ``[-clip_value, clip_value]``.

    Args:
        parameters: Tensors (or one Tensor) whose ``.grad`` is clipped.
        clip_value: the largest absolute value allowed.
        foreach: accepted for PyTorch compatibility.
    """
    clip_value = float(clip_value)
    with no_grad():
        for p in _params(parameters):
            if p.grad is not None:
                p.grad.clamp_(-clip_value, clip_value)


def parameters_to_vector(parameters):
    """All parameters flattened and joined into one 1-D Tensor (differentiable).

    Example:
        >>> import srcgrad
        >>> lin = srcgrad.nn.Linear(2, 3)
        >>> srcgrad.nn.utils.parameters_to_vector(lin.parameters()).shape
        srcgrad.Size([9])
    """
    return np.concatenate([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D ``vec`` into the parameters, in place (outside the graph).

    Raises:
        TypeError: ``vec`` is not a Tensor.
        ValueError: ``vec`` has the wrong length.
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected Tensor, but got: {type(vec).__name__}")
    params = list(parameters)
    total = sum(p.numel() for p in params)
    if vec.numel() != total:
        raise ValueError(f"vec has {vec.numel()} elements, the parameters {total}")
    offset = 0
    with no_grad():
        for p in params:
            n = p.numel()
            p.copy_(Tensor._wrap(vec._value[offset : offset + n].reshape(p.shape)))
            offset += n
