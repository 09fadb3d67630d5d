"""Rprop: per-coordinate step sizes adapted from the signs of successive gradients."""

import numpy as np

from ..tensor import Tensor
from ._update import bump_versions, check_option, scalar, storage
from .optimizer import Optimizer

__all__ = ["Rprop", "rprop"]


def _init_step_size(state, p, group):
    state["prev"] = Tensor._wrap(np.zeros_like(storage(p)))
    lr = scalar(group["lr"])
    if p.dtype.kind == "c":
        lr = complex(lr, lr)  # both parts of a complex entry get the step size, as in PyTorch
    state["step_size"] = Tensor._wrap(np.full_like(storage(p), lr))


class Rprop(Optimizer):
    r"""Resilient backpropagation (Riedmiller & Braun, 1993), PyTorch's algorithm.

    Per coordinate, with step size :math:`\eta` (starting at ``lr``):

    .. math::
        \eta_t &= \min(\eta_{t-1}\eta_+, \Gamma_{max}) \quad\text{if } g_{t-1} g_t > 0 \\
        \eta_t &= \max(\eta_{t-1}\eta_-, \Gamma_{min}),\ g_t \leftarrow 0 \quad\text{if } g_{t-1} g_t < 0 \\
        \eta_t &= \eta_{t-1} \quad\text{otherwise} \\
        \theta_t &= \theta_{t-1} - \eta_t \operatorname{sign}(g_t)

    (:math:`g_t` is negated first when maximizing; the zeroed gradient is the one remembered.)

    Args:
        params: the parameters (Tensors or parameter groups).
        lr: the initial step size (default 1e-2).
        etas: :math:`(\eta_-, \eta_+)`, with :math:`0 < \eta_- < 1 < \eta_+` (default (0.5, 1.2)).
        step_sizes: :math:`(\Gamma_{min}, \Gamma_{max})` (default (1e-6, 50)).
        foreach: accepted for PyTorch compatibility; has no effect.
        maximize: maximize the objective (default False).

    Raises:
        ValueError: a negative ``lr`` or bad ``etas``.
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, foreach=None, maximize=False):
        check_option("learning rate", lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes), foreach=foreach, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update the parameters once (see the class docstring for the rule).

        Args:
            closure: re-evaluates the model and returns the loss (optional).

        Returns:
            The closure's loss, or None.
        """
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params, values, grads, found, steps = self._gather(
                group, ("prev", "step_size"), lambda state, p, group=group: _init_step_size(state, p, group)
            )
            prevs, step_sizes = found["prev"], found["step_size"]
            if not params:
                continue
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            rprop(
                values,
                grads,
                prevs,
                step_sizes,
                steps,
                step_size_min=step_size_min,
                step_size_max=step_size_max,
                etaminus=etaminus,
                etaplus=etaplus,
                maximize=group["maximize"],
            )
            bump_versions(params)
        return loss


def rprop(params, grads, prevs, step_sizes, steps, *, step_size_min, step_size_max, etaminus, etaplus, maximize):
    """The Rprop update on ndarrays, in place.

    Args:
        params: the parameter arrays, updated in place.
        grads: their gradients (not modified).
        prevs: the previous (possibly zeroed) gradients, updated in place.
        step_sizes: the per-coordinate step sizes, updated in place.
        steps: 0-d arrays counting the steps taken, incremented in place.
        step_size_min, step_size_max, etaminus, etaplus, maximize: the options of ``Rprop``.
    """
    for i, param in enumerate(params):
        grad = -grads[i] if maximize else np.array(grads[i], copy=True)
        prev, step_size = prevs[i], step_sizes[i]
        steps[i] += 1
        sign = np.sign(grad * prev)
        factor = np.where(sign > 0, etaplus, np.where(sign < 0, etaminus, 1.0)).astype(step_size.dtype)
        step_size *= factor
        np.clip(step_size, step_size_min, step_size_max, out=step_size)
        grad[sign < 0] = 0
        param -= np.sign(grad) * step_size
        np.copyto(prev, grad)
