"""RMSprop: divide the gradient by a running root mean square of recent gradients."""

import numpy as np

from ..tensor import Tensor
from ._update import buffer, bump_versions, check_option, grad_array, lerp_, new_step, scalar, storage
from .optimizer import Optimizer

__all__ = ["RMSprop", "rmsprop"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture notes; centered form by Graves, 2013), PyTorch's algorithm.

    With gradient :math:`g_t`, learning rate :math:`\gamma`, smoothing :math:`\alpha`,
    momentum :math:`\mu`, weight decay :math:`\lambda`:

    .. math::
        g_t &\leftarrow -g_t \quad\text{if maximize} \\
        g_t &\leftarrow g_t + \lambda\theta_{t-1} \\
        v_t &= \alpha v_{t-1} + (1 - \alpha) g_t^2 \\
        \bar g_t &= \alpha \bar g_{t-1} + (1 - \alpha) g_t, \quad
            \tilde v_t = v_t - \bar g_t^2 \ \text{(centered)}, \quad \tilde v_t = v_t \ \text{(otherwise)} \\
        b_t &= \mu b_{t-1} + g_t / (\sqrt{\tilde v_t} + \epsilon), \quad
            \theta_t = \theta_{t-1} - \gamma b_t \quad (\mu > 0) \\
        \theta_t &= \theta_{t-1} - \gamma\, g_t / (\sqrt{\tilde v_t} + \epsilon) \quad (\mu = 0)

    Args:
        params: the parameters (Tensors or parameter groups).
        lr: the learning rate :math:`\gamma` (default 1e-2).
        alpha: the smoothing constant :math:`\alpha` (default 0.99).
        eps: :math:`\epsilon`, added to the denominator (default 1e-8).
        weight_decay: :math:`\lambda` (default 0).
        momentum: :math:`\mu` (default 0).
        centered: normalise by an estimate of the gradient's variance (default False).
        maximize: maximize the objective (default False).
        foreach: accepted for PyTorch compatibility; has no effect.

    Raises:
        ValueError: a negative ``lr``, ``eps``, ``momentum``, ``weight_decay`` or ``alpha``.
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0,
        momentum=0,
        centered=False,
        foreach=None,
        maximize=False,
    ):
        check_option("learning rate", lr)
        check_option("epsilon value", eps)
        check_option("momentum value", momentum)
        check_option("weight_decay value", weight_decay)
        check_option("alpha value", alpha)
        defaults = dict(
            lr=lr,
            momentum=momentum,
            alpha=alpha,
            eps=eps,
            centered=centered,
            weight_decay=weight_decay,
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
            params, values, grads, square_avgs, grad_avgs, buffers, steps = [], [], [], [], [], [], []
            momentum, centered = scalar(group["momentum"]), group["centered"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = new_step()
                    state["square_avg"] = Tensor._wrap(np.zeros_like(storage(p)))
                    if momentum > 0:
                        state["momentum_buffer"] = Tensor._wrap(np.zeros_like(storage(p)))
                    if centered:
                        state["grad_avg"] = Tensor._wrap(np.zeros_like(storage(p)))
                params.append(p)
                values.append(buffer(p))
                grads.append(grad_array(p))
                square_avgs.append(buffer(state["square_avg"]))
                if momentum > 0:
                    buffers.append(buffer(state["momentum_buffer"]))
                if centered:
                    grad_avgs.append(buffer(state["grad_avg"]))
                steps.append(storage(state["step"]))
            if not params:
                continue
            rmsprop(
                values,
                grads,
                square_avgs,
                grad_avgs,
                buffers,
                steps,
                lr=scalar(group["lr"]),
                alpha=scalar(group["alpha"]),
                eps=scalar(group["eps"]),
                weight_decay=scalar(group["weight_decay"]),
                momentum=momentum,
                centered=centered,
                maximize=group["maximize"],
            )
            bump_versions(params)
        return loss


def rmsprop(
    params,
    grads,
    square_avgs,
    grad_avgs,
    momentum_buffers,
    steps,
    *,
    lr,
    alpha,
    eps,
    weight_decay,
    momentum,
    centered,
    maximize,
):
    """The RMSprop update on ndarrays, in place.

    Args:
        params: the parameter arrays, updated in place.
        grads: their gradients (not modified).
        square_avgs: running averages of the squared gradients, updated in place.
        grad_avgs: running averages of the gradients (used when ``centered``).
        momentum_buffers: the momentum buffers (used when ``momentum > 0``).
        steps: 0-d arrays counting the steps taken, incremented in place.
        lr, alpha, eps, weight_decay, momentum, centered, maximize: the options of ``RMSprop``.
    """
    for i, param in enumerate(params):
        grad = -grads[i] if maximize else grads[i]
        square_avg = square_avgs[i]
        steps[i] += 1
        if weight_decay != 0:
            grad = grad + weight_decay * param
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if centered:
            grad_avg = grad_avgs[i]
            lerp_(grad_avg, grad, 1 - alpha)
            avg = np.sqrt(square_avg - grad_avg * grad_avg)
        else:
            avg = np.sqrt(square_avg)
        avg += eps
        if momentum > 0:
            buf = momentum_buffers[i]
            buf *= momentum
            buf += grad / avg
            param -= lr * buf
        else:
            param -= lr * (grad / avg)
