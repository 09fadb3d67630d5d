"""NAdam: Adam with Nesterov momentum and a momentum schedule."""

import numpy as np

from ..tensor import Tensor
from ._update import bump_versions, check_option, lerp_, scalar, storage
from .optimizer import Optimizer

__all__ = ["NAdam", "nadam"]


def _init_mu_product(state, p):
    state["mu_product"] = Tensor._wrap(np.ones((), dtype=state["step"].dtype))


class NAdam(Optimizer):
    r"""NAdam (Dozat, 2016), PyTorch's algorithm.

    With :math:`\mu_t = \beta_1 (1 - \tfrac12 \cdot 0.96^{t\psi})` (``momentum_decay`` :math:`\psi`):

    .. math::
        g_t &\leftarrow -g_t \quad\text{if maximize};\quad
            g_t \leftarrow g_t + \lambda\theta_{t-1}
            \ \text{(or } \theta_{t-1} \leftarrow \theta_{t-1}(1 - \gamma\lambda) \text{ if decoupled)} \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t, \quad v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        \hat m_t &= \frac{\mu_{t+1} m_t}{1 - \prod_{i=1}^{t+1}\mu_i} + \frac{(1 - \mu_t) g_t}{1 - \prod_{i=1}^{t}\mu_i},
            \quad \hat v_t = \frac{v_t}{1 - \beta_2^t} \\
        \theta_t &= \theta_{t-1} - \gamma\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)

    Args:
        params: the parameters (Tensors or parameter groups).
        lr: the learning rate :math:`\gamma` (default 2e-3).
        betas: :math:`(\beta_1, \beta_2)` (default (0.9, 0.999)).
        eps: :math:`\epsilon` (default 1e-8).
        weight_decay: :math:`\lambda` (default 0).
        momentum_decay: :math:`\psi` (default 4e-3).
        decoupled_weight_decay: decay the weights directly, as AdamW (default False).
        foreach: accepted for PyTorch compatibility; has no effect.
        maximize: maximize the objective (default False).

    Raises:
        ValueError: a negative ``lr``, ``eps``, ``weight_decay`` or ``momentum_decay``, or a beta outside [0, 1).
    """

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        momentum_decay=4e-3,
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
        check_option("momentum_decay value", momentum_decay)
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            momentum_decay=momentum_decay,
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
            params, values, grads, found, steps = self._gather(group, ("exp_avg", "exp_avg_sq"), _init_mu_product)
            exp_avgs, exp_avg_sqs = found["exp_avg"], found["exp_avg_sq"]
            mu_products = [storage(self.state[p]["mu_product"]) for p in params]
            if not params:
                continue
            beta1, beta2 = group["betas"]
            nadam(
                values,
                grads,
                exp_avgs,
                exp_avg_sqs,
                mu_products,
                steps,
                lr=scalar(group["lr"]),
                beta1=scalar(beta1),
                beta2=scalar(beta2),
                eps=scalar(group["eps"]),
                weight_decay=scalar(group["weight_decay"]),
                momentum_decay=scalar(group["momentum_decay"]),
                decoupled_weight_decay=group["decoupled_weight_decay"],
                maximize=group["maximize"],
            )
            bump_versions(params)
        return loss


def nadam(
    params,
    grads,
    exp_avgs,
    exp_avg_sqs,
    mu_products,
    steps,
    *,
    lr,
    beta1,
    beta2,
    eps,
    weight_decay,
    momentum_decay,
    decoupled_weight_decay,
    maximize,
):
    """The NAdam update on ndarrays, in place.

    Args:
        params: the parameter arrays, updated in place.
        grads: their gradients (not modified).
        exp_avgs, exp_avg_sqs: the moment averages, updated in place.
        mu_products: 0-d arrays holding the product of the momentum schedule, updated in place.
        steps: 0-d arrays counting the steps taken, incremented in place.
        lr, beta1, beta2, eps, weight_decay, momentum_decay, decoupled_weight_decay, maximize:
            the options of ``NAdam``.
    """
    for i, param in enumerate(params):
        grad = -grads[i] if maximize else grads[i]
        exp_avg, exp_avg_sq = exp_avgs[i], exp_avg_sqs[i]
        steps[i] += 1
        step = float(steps[i])
        bias_correction2 = 1 - beta2**step
        if weight_decay != 0:
            if decoupled_weight_decay:
                param *= 1 - lr * weight_decay
            else:
                grad = grad + weight_decay * param
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        mu_products[i] *= mu
        mu_product = float(mu_products[i])
        lerp_(exp_avg, grad, 1 - beta1)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        denom = np.sqrt(exp_avg_sq / bias_correction2) + eps
        param += (-lr * (1.0 - mu) / (1.0 - mu_product)) * (grad / denom)
        param += ((-lr * mu_next) / (1.0 - mu_product * mu_next)) * (exp_avg / denom)
