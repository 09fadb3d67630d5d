"""Adamax: Adam with the infinity norm in place of the second moment."""

import numpy as np

from ._update import bump_versions, check_option, lerp_, scalar
from .optimizer import Optimizer

__all__ = ["Adamax", "adamax"]


class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba, 2014, section 7), PyTorch's algorithm.

    .. math::
        g_t &\leftarrow -g_t \quad\text{if maximize} \\
        g_t &\leftarrow g_t + \lambda\theta_{t-1} \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        u_t &= \max(\beta_2 u_{t-1}, |g_t| + \epsilon) \\
        \theta_t &= \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t} \frac{m_t}{u_t}

    Args:
        params: the parameters (Tensors or parameter groups).
        lr: the learning rate :math:`\gamma` (default 2e-3).
        betas: :math:`(\beta_1, \beta_2)` (default (0.9, 0.999)).
        eps: :math:`\epsilon` (default 1e-8).
        weight_decay: :math:`\lambda` (default 0).
        foreach: accepted for PyTorch compatibility; has no effect.
        maximize: maximize the objective (default False).

    Raises:
        ValueError: a negative ``lr``, ``eps`` or ``weight_decay``, or a beta outside [0, 1).
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *, maximize=False):
        check_option("learning rate", lr)
        check_option("epsilon value", eps)
        for i, beta in enumerate(betas):
            if not 0.0 <= scalar(beta) < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
        check_option("weight_decay value", weight_decay)
        defaults = dict(
            lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, foreach=foreach, maximize=maximize
        )
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
            params, values, grads, found, steps = self._gather(group, ("exp_avg", "exp_inf"))
            exp_avgs, exp_infs = found["exp_avg"], found["exp_inf"]
            if not params:
                continue
            beta1, beta2 = group["betas"]
            adamax(
                values,
                grads,
                exp_avgs,
                exp_infs,
                steps,
                lr=scalar(group["lr"]),
                beta1=scalar(beta1),
                beta2=scalar(beta2),
                eps=scalar(group["eps"]),
                weight_decay=scalar(group["weight_decay"]),
                maximize=group["maximize"],
            )
            bump_versions(params)
        return loss


def adamax(params, grads, exp_avgs, exp_infs, steps, *, lr, beta1, beta2, eps, weight_decay, maximize):
    """The Adamax update on ndarrays, in place.

    Args:
        params: the parameter arrays, updated in place.
        grads: their gradients (not modified).
        exp_avgs: the first moment averages, updated in place.
        exp_infs: the exponentially weighted infinity norms, updated in place.
        steps: 0-d arrays counting the steps taken, incremented in place.
        lr, beta1, beta2, eps, weight_decay, maximize: the options of ``Adamax``.
    """
    for i, param in enumerate(params):
        grad = -grads[i] if maximize else grads[i]
        exp_avg, exp_inf = exp_avgs[i], exp_infs[i]
        steps[i] += 1
        step = float(steps[i])
        if weight_decay != 0:
            grad = grad + weight_decay * param
        lerp_(exp_avg, grad, 1 - beta1)
        exp_inf *= beta2
        np.maximum(exp_inf, np.abs(grad) + eps, out=exp_inf)
        clr = lr / (1 - beta1**step)
        param -= clr * (exp_avg / exp_inf)
