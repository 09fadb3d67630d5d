"""RAdam: Adam with a rectified (variance-corrected) adaptive learning rate."""

import math

import numpy as np

from ._update import bump_versions, check_option, lerp_, scalar
from .optimizer import Optimizer

__all__ = ["RAdam", "radam"]


class RAdam(Optimizer):
    r"""RAdam (Liu et al., 2019), PyTorch's algorithm.

    .. math::
        m_t, v_t &\ \text{as in Adam}, \quad \hat m_t = m_t / (1 - \beta_1^t) \\
        \rho_\infty &= 2 / (1 - \beta_2) - 1, \quad
            \rho_t = \rho_\infty - 2 t \beta_2^t / (1 - \beta_2^t) \\
        \theta_t &= \theta_{t-1} - \gamma\, \hat m_t\, r_t\, l_t \quad (\rho_t > 5), \qquad
            \theta_t = \theta_{t-1} - \gamma\, \hat m_t \quad (\text{otherwise}) \\
        l_t &= \sqrt{1 - \beta_2^t} / (\sqrt{v_t} + \epsilon), \quad
            r_t = \sqrt{\frac{(\rho_t - 4)(\rho_t - 2)\rho_\infty}{(\rho_\infty - 4)(\rho_\infty - 2)\rho_t}}

    Weight decay is added to the gradient, or (``decoupled_weight_decay``) applied as
    :math:`\theta_{t-1} \leftarrow \theta_{t-1}(1 - \gamma\lambda)`.

    Args:
        params: the parameters (Tensors or parameter groups).
        lr: the learning rate :math:`\gamma` (default 1e-3).
        betas: :math:`(\beta_1, \beta_2)` (default (0.9, 0.999)).
        eps: :math:`\epsilon` (default 1e-8).
        weight_decay: :math:`\lambda` (default 0).
        decoupled_weight_decay: decay the weights directly (default False).
        foreach: accepted for PyTorch compatibility; has no effect.
        maximize: maximize the objective (default False).

    Raises:
        ValueError: a negative ``lr``, ``eps`` or ``weight_decay``, or a beta outside [0, 1).
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        decoupled_weight_decay=False,
        *,
        foreach=None,
        maximize=False,
    ):
        check_option("learning rate", lr)
        check_option("epsilon value", eps)
        for i, beta in enumerate(betas):
            if not 0.0 <= scalar(beta) < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
        check_option("weight_decay value", weight_decay)
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            foreach=foreach,
            maximize=maximize,
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
            params, values, grads, found, steps = self._gather(group, ("exp_avg", "exp_avg_sq"))
            exp_avgs, exp_avg_sqs = found["exp_avg"], found["exp_avg_sq"]
            if not params:
                continue
            beta1, beta2 = group["betas"]
            radam(
                values,
                grads,
                exp_avgs,
                exp_avg_sqs,
                steps,
                lr=scalar(group["lr"]),
                beta1=scalar(beta1),
                beta2=scalar(beta2),
                eps=scalar(group["eps"]),
                weight_decay=scalar(group["weight_decay"]),
                decoupled_weight_decay=group["decoupled_weight_decay"],
                maximize=group["maximize"],
            )
            bump_versions(params)
        return loss


def radam(
    params,
    grads,
    exp_avgs,
    exp_avg_sqs,
    steps,
    *,
    lr,
    beta1,
    beta2,
    eps,
    weight_decay,
    decoupled_weight_decay,
    maximize,
):
    """The RAdam update on ndarrays, in place.

    Args:
        params: the parameter arrays, updated in place.
        grads: their gradients (not modified).
        exp_avgs, exp_avg_sqs: the moment averages, updated in place.
        steps: 0-d arrays counting the steps taken, incremented in place.
        lr, beta1, beta2, eps, weight_decay, decoupled_weight_decay, maximize: the options of ``RAdam``.
    """
    for i, param in enumerate(params):
        grad = -grads[i] if maximize else grads[i]
        exp_avg, exp_avg_sq = exp_avgs[i], exp_avg_sqs[i]
        steps[i] += 1
        step = float(steps[i])
        if weight_decay != 0:
            if decoupled_weight_decay:
                param *= 1 - lr * weight_decay
            else:
                grad = grad + weight_decay * param
        lerp_(exp_avg, grad, 1 - beta1)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        corrected = exp_avg / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        if rho_t > 5.0:
            rect = math.sqrt(((rho_t - 4) * (rho_t - 2) * rho_inf) / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            adaptive = (bias_correction2**0.5) / (np.sqrt(exp_avg_sq) + eps)
            param -= corrected * lr * adaptive * rect
        else:
            param -= corrected * lr
