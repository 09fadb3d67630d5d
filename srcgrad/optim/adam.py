"""Adam and AdamW: adaptive moment estimation, with L2 or decoupled weight decay."""

import math

import numpy as np

from ..tensor import Tensor
from ._update import buffer, bump_versions, check_option, grad_array, lerp_, new_step, scalar, storage
from .optimizer import Optimizer

__all__ = ["Adam", "AdamW", "adam"]


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2014), PyTorch's algorithm.

    With gradient :math:`g_t`, learning rate :math:`\gamma`, betas :math:`\beta_1, \beta_2`,
    weight decay :math:`\lambda`, step :math:`t = 1, 2, \dots`:

    .. math::
        g_t &\leftarrow -g_t \quad\text{if maximize} \\
        \theta_{t-1} &\leftarrow \theta_{t-1}(1 - \gamma\lambda) \quad\text{(decoupled weight decay)} \\
        g_t &\leftarrow g_t + \lambda\theta_{t-1} \quad\text{(otherwise)} \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        \hat v_t &= \max(\hat v_{t-1}, v_t) \ \text{(amsgrad)}, \quad \hat v_t = v_t \ \text{(otherwise)} \\
        \theta_t &= \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t}\,
            \frac{m_t}{\sqrt{\hat v_t} / \sqrt{1 - \beta_2^t} + \epsilon}

    Args:
        params: the parameters (Tensors or parameter groups).
        lr: the learning rate :math:`\gamma` (default 1e-3).
        betas: :math:`(\beta_1, \beta_2)`, the decay rates of the moment averages (default (0.9, 0.999)).
        eps: :math:`\epsilon`, added to the denominator (default 1e-8).
        weight_decay: :math:`\lambda` (default 0).
        amsgrad: use the maximum of past second moments (AMSGrad; default False).
        maximize: maximize the objective (default False).
        decoupled_weight_decay: decay the weights directly, as AdamW does (default False).
        foreach: accepted for PyTorch compatibility; has no effect.
        fused: accepted for PyTorch compatibility; has no effect.

    Raises:
        ValueError: a negative ``lr``, ``eps`` or ``weight_decay``, or a beta outside [0, 1).

    Example:
        >>> import srcgrad
        >>> w = srcgrad.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = srcgrad.optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([ 0.9, -1.9], requires_grad=True)
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        amsgrad=False,
        *,
        maximize=False,
        decoupled_weight_decay=False,
        foreach=None,
        fused=None,
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
            amsgrad=amsgrad,
            maximize=maximize,
            foreach=foreach,
            fused=fused,
            decoupled_weight_decay=decoupled_weight_decay,
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
            params, values, grads, exp_avgs, exp_avg_sqs, max_sqs, steps = [], [], [], [], [], [], []
            amsgrad = group["amsgrad"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = new_step()
                    state["exp_avg"] = Tensor._wrap(np.zeros_like(storage(p)))
                    state["exp_avg_sq"] = Tensor._wrap(np.zeros_like(storage(p)))
                    if amsgrad:
                        state["max_exp_avg_sq"] = Tensor._wrap(np.zeros_like(storage(p)))
                params.append(p)
                values.append(buffer(p))
                grads.append(grad_array(p))
                exp_avgs.append(buffer(state["exp_avg"]))
                exp_avg_sqs.append(buffer(state["exp_avg_sq"]))
                if amsgrad:
                    max_sqs.append(buffer(state["max_exp_avg_sq"]))
                steps.append(storage(state["step"]))
            if not params:
                continue
            beta1, beta2 = group["betas"]
            adam(
                values,
                grads,
                exp_avgs,
                exp_avg_sqs,
                max_sqs,
                steps,
                amsgrad=amsgrad,
                beta1=scalar(beta1),
                beta2=scalar(beta2),
                lr=scalar(group["lr"]),
                weight_decay=scalar(group["weight_decay"]),
                eps=scalar(group["eps"]),
                maximize=group["maximize"],
                decoupled_weight_decay=group.get("decoupled_weight_decay", False),
            )
            bump_versions(params)
        return loss


class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter, 2017): Adam with decoupled weight decay.

    The rule is Adam's (see ``Adam``) with the weight decay applied to the weights,
    :math:`\theta_{t-1} \leftarrow \theta_{t-1}(1 - \gamma\lambda)`, instead of
    being added to the gradient.

    Args:
        params: the parameters (Tensors or parameter groups).
        lr: the learning rate (default 1e-3).
        betas: the decay rates of the moment averages (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: the decoupled weight decay :math:`\lambda` (default 1e-2).
        amsgrad: use the AMSGrad variant (default False).
        maximize: maximize the objective (default False).
        foreach: accepted for PyTorch compatibility; has no effect.
        fused: accepted for PyTorch compatibility; has no effect.

    Raises:
        ValueError: as ``Adam``.
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        *,
        maximize=False,
        foreach=None,
        fused=None,
    ):
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
            foreach=foreach,
            fused=fused,
        )


def adam(
    params,
    grads,
    exp_avgs,
    exp_avg_sqs,
    max_exp_avg_sqs,
    steps,
    *,
    amsgrad,
    beta1,
    beta2,
    lr,
    weight_decay,
    eps,
    maximize,
    decoupled_weight_decay=False,
):
    """The Adam/AdamW update on ndarrays, in place.

    Args:
        params: the parameter arrays, updated in place.
        grads: their gradients (not modified).
        exp_avgs, exp_avg_sqs: the first and second moment averages, updated in place.
        max_exp_avg_sqs: the running maxima of the second moments (used with ``amsgrad``).
        steps: 0-d arrays counting the steps taken, incremented in place.
        amsgrad, beta1, beta2, lr, weight_decay, eps, maximize, decoupled_weight_decay:
            the options of ``Adam``.
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
        # one scratch array per parameter; each line rounds as PyTorch's kernels do
        scratch = np.empty_like(exp_avg)
        lerp_(exp_avg, grad, 1 - beta1, scratch)
        exp_avg_sq *= beta2
        np.multiply(grad, 1 - beta2, out=scratch)
        scratch *= grad
        exp_avg_sq += scratch
        bias_correction1 = 1 - beta1**step
        bias_correction2_sqrt = math.sqrt(1 - beta2**step)
        if amsgrad:
            np.maximum(max_exp_avg_sqs[i], exp_avg_sq, out=max_exp_avg_sqs[i])
            np.sqrt(max_exp_avg_sqs[i], out=scratch)
        else:
            np.sqrt(exp_avg_sq, out=scratch)
        scratch /= bias_correction2_sqrt
        scratch += eps
        np.divide(exp_avg, scratch, out=scratch)
        scratch *= lr / bias_correction1
        param -= scratch
