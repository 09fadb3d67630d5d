"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""

import numpy as np

from ..tensor import Tensor
from ._update import buffer, bump_versions, check_option, grad_array, new_step, scalar, storage
from .optimizer import Optimizer

__all__ = ["Adagrad", "adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), PyTorch's algorithm.

    With gradient :math:`g_t`, learning rate :math:`\gamma`, learning-rate decay :math:`\eta`,
    weight decay :math:`\lambda`, step :math:`t = 1, 2, \dots`, and the sum starting at
    ``initial_accumulator_value``:

    .. math::
        g_t &\leftarrow -g_t \quad\text{if maximize} \\
        g_t &\leftarrow g_t + \lambda\theta_{t-1} \\
        \tilde\gamma &= \gamma / (1 + (t - 1)\eta) \\
        s_t &= s_{t-1} + g_t^2 \\
        \theta_t &= \theta_{t-1} - \tilde\gamma\, g_t / (\sqrt{s_t} + \epsilon)

    Args:
        params: the parameters (Tensors or parameter groups).
        lr: the learning rate :math:`\gamma` (default 1e-2).
        lr_decay: :math:`\eta` (default 0).
        weight_decay: :math:`\lambda` (default 0).
        initial_accumulator_value: the starting value of the sum :math:`s_0` (default 0).
        eps: :math:`\epsilon`, added to the denominator (default 1e-10).
        foreach: accepted for PyTorch compatibility; has no effect.
        maximize: maximize the objective (default False).
        fused: accepted for PyTorch compatibility; has no effect.

    Raises:
        ValueError: a negative ``lr``, ``lr_decay``, ``weight_decay``,
            ``initial_accumulator_value`` or ``eps``.
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0,
        weight_decay=0,
        initial_accumulator_value=0,
        eps=1e-10,
        foreach=None,
        *,
        maximize=False,
        fused=None,
    ):
        check_option("learning rate", lr)
        check_option("lr_decay value", lr_decay)
        check_option("weight_decay value", weight_decay)
        check_option("initial_accumulator_value value", initial_accumulator_value)
        check_option("epsilon value", eps)
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            foreach=foreach,
            maximize=maximize,
            fused=fused,
        )
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                _init_state(self.state[p], p, group)

    def step(self, closure=None):
        """Update the parameters once (see the class docstring for the rule).

        Args:
            closure: re-evaluates the model and returns the loss (optional).

        Returns:
            The closure's loss, or None.
        """
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params, values, grads, sums, steps = [], [], [], [], []
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:  # a group added after construction
                    _init_state(state, p, group)
                params.append(p)
                values.append(buffer(p))
                grads.append(grad_array(p))
                sums.append(buffer(state["sum"]))
                steps.append(storage(state["step"]))
            if not params:
                continue
            adagrad(
                values,
                grads,
                sums,
                steps,
                lr=scalar(group["lr"]),
                weight_decay=scalar(group["weight_decay"]),
                lr_decay=scalar(group["lr_decay"]),
                eps=scalar(group["eps"]),
                maximize=group["maximize"],
            )
            bump_versions(params)
        return loss


def _init_state(state, p, group):
    init = scalar(group["initial_accumulator_value"])
    if p.dtype.kind == "c":
        init = complex(init, init)  # both parts of a complex entry start there, as in PyTorch
    state["step"] = new_step()
    state["sum"] = Tensor._wrap(np.full_like(storage(p), init))


def adagrad(params, grads, state_sums, steps, *, lr, weight_decay, lr_decay, eps, maximize):
    """The Adagrad update on ndarrays, in place.

    Args:
        params: the parameter arrays, updated in place.
        grads: their gradients (not modified).
        state_sums: the sums of squared gradients, updated in place.
        steps: 0-d arrays counting the steps taken, incremented in place.
        lr, weight_decay, lr_decay, eps, maximize: the options of ``Adagrad``.
    """
    for i, param in enumerate(params):
        grad = -grads[i] if maximize else grads[i]
        steps[i] += 1
        step = float(steps[i])
        if weight_decay != 0:
            grad = grad + weight_decay * param
        clr = lr / (1 + (step - 1) * lr_decay)
        state_sums[i] += grad * grad
        std = np.sqrt(state_sums[i]) + eps
        param -= clr * (grad / std)
