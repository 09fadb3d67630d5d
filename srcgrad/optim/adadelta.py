"""Adadelta: learning rates from running averages of squared gradients and squared updates."""

import numpy as np

from ._update import bump_versions, check_option, scalar
from .optimizer import Optimizer

__all__ = ["Adadelta", "adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), PyTorch's algorithm.

    With gradient :math:`g_t`, learning rate :math:`\gamma`, decay :math:`\rho`, weight decay :math:`\lambda`:

    .. math::
        g_t &\leftarrow -g_t \quad\text{if maximize} \\
        g_t &\leftarrow g_t + \lambda\theta_{t-1} \\
        v_t &= \rho v_{t-1} + (1 - \rho) g_t^2 \\
        \Delta_t &= \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t \\
        u_t &= \rho u_{t-1} + (1 - \rho) \Delta_t^2 \\
        \theta_t &= \theta_{t-1} - \gamma \Delta_t

    Args:
        params: the parameters (Tensors or parameter groups).
        lr: the factor :math:`\gamma` on the update (default 1.0).
        rho: the decay :math:`\rho` of the running averages (default 0.9).
        eps: :math:`\epsilon` (default 1e-6).
        weight_decay: :math:`\lambda` (default 0).
        foreach: accepted for PyTorch compatibility; has no effect.
        maximize: maximize the objective (default False).

    Raises:
        ValueError: a negative ``lr``, ``eps`` or ``weight_decay``, or ``rho`` outside [0, 1].
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, maximize=False):
        check_option("learning rate", lr)
        if not 0.0 <= scalar(rho) <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_option("epsilon value", eps)
        check_option("weight_decay value", weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, foreach=foreach, maximize=maximize)
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
            params, values, grads, found, steps = self._gather(group, ("square_avg", "acc_delta"))
            square_avgs, acc_deltas = found["square_avg"], found["acc_delta"]
            if not params:
                continue
            adadelta(
                values,
                grads,
                square_avgs,
                acc_deltas,
                steps,
                lr=scalar(group["lr"]),
                rho=scalar(group["rho"]),
                eps=scalar(group["eps"]),
                weight_decay=scalar(group["weight_decay"]),
                maximize=group["maximize"],
            )
            bump_versions(params)
        return loss


def adadelta(params, grads, square_avgs, acc_deltas, steps, *, lr, rho, eps, weight_decay, maximize):
    """The Adadelta update on ndarrays, in place.

    Args:
        params: the parameter arrays, updated in place.
        grads: their gradients (not modified).
        square_avgs: running averages of squared gradients, updated in place.
        acc_deltas: running averages of squared updates, updated in place.
        steps: 0-d arrays counting the steps taken, incremented in place.
        lr, rho, eps, weight_decay, maximize: the options of ``Adadelta``.
    """
    for i, param in enumerate(params):
        grad = -grads[i] if maximize else grads[i]
        square_avg, acc_delta = square_avgs[i], acc_deltas[i]
        steps[i] += 1
        if weight_decay != 0:
            grad = grad + weight_decay * param
        square_avg *= rho
        square_avg += (1 - rho) * grad * grad
        std = np.sqrt(square_avg + eps)
        delta = np.sqrt(acc_delta + eps) / std * grad
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        param -= lr * delta
