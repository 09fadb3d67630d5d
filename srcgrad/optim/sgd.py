"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""

import numpy as np

from ..tensor import Tensor
from ._update import buffer, bump_versions, check_option, grad_array, scalar
from .optimizer import Optimizer

__all__ = ["SGD", "sgd"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), PyTorch's algorithm.

    With gradient :math:`g_t`, parameters :math:`\theta`, learning rate :math:`\gamma`,
    momentum :math:`\mu`, dampening :math:`\tau`, weight decay :math:`\lambda`:

    .. math::
        g_t &\leftarrow -g_t \quad\text{if maximize} \\
        g_t &\leftarrow g_t + \lambda \theta_{t-1} \\
        b_t &= g_t \ \text{(first step)}, \quad b_t = \mu b_{t-1} + (1 - \tau) g_t \ \text{(later)} \\
        g_t &\leftarrow g_t + \mu b_t \ \text{(nesterov)}, \quad g_t \leftarrow b_t \ \text{(otherwise)} \\
        \theta_t &= \theta_{t-1} - \gamma g_t

    (the momentum lines apply only when :math:`\mu \ne 0`.)

    Args:
        params: the parameters (Tensors or parameter groups).
        lr: the learning rate :math:`\gamma` (default 1e-3).
        momentum: the momentum factor :math:`\mu` (default 0).
        dampening: the dampening :math:`\tau` of momentum (default 0).
        weight_decay: the L2 penalty :math:`\lambda` (default 0).
        nesterov: use Nesterov momentum (default False).
        maximize: maximize the objective instead of minimizing it (default False).
        foreach: accepted for PyTorch compatibility; has no effect.
        fused: accepted for PyTorch compatibility; has no effect.

    Raises:
        ValueError: a negative ``lr``, ``momentum`` or ``weight_decay``, or
            ``nesterov`` without momentum or with dampening.

    Example:
        >>> import srcgrad
        >>> w = srcgrad.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = srcgrad.optim.SGD([w], lr=0.1, momentum=0.9)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([ 0.8, -1.6], requires_grad=True)
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0,
        dampening=0,
        weight_decay=0,
        nesterov=False,
        *,
        maximize=False,
        foreach=None,
        fused=None,
    ):
        check_option("learning rate", lr)
        check_option("momentum value", momentum)
        check_option("weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
            foreach=foreach,
            fused=fused,
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
            params, values, grads, buffers = [], [], [], []
            momentum = scalar(group["momentum"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                params.append(p)
                values.append(buffer(p))
                grads.append(grad_array(p))
                if momentum != 0:
                    buf = self.state[p].get("momentum_buffer")
                    buffers.append(None if buf is None else buffer(buf))
                else:
                    buffers.append(None)
            if not params:
                continue
            sgd(
                values,
                grads,
                buffers,
                lr=scalar(group["lr"]),
                momentum=momentum,
                dampening=scalar(group["dampening"]),
                weight_decay=scalar(group["weight_decay"]),
                nesterov=group["nesterov"],
                maximize=group["maximize"],
            )
            bump_versions(params)
            if momentum != 0:
                for p, buf in zip(params, buffers):
                    state = self.state[p]
                    if state.get("momentum_buffer") is None:  # made by this step; later ones update in place
                        state["momentum_buffer"] = Tensor._wrap(buf.view(p.dtype) if p.dtype.kind == "c" else buf)
        return loss


def sgd(params, grads, momentum_buffers, *, lr, momentum, dampening, weight_decay, nesterov, maximize):
    """The SGD update on ndarrays, in place.

    Args:
        params: the parameter arrays, updated in place.
        grads: their gradients (not modified).
        momentum_buffers: one array or None per parameter; a None entry is replaced
            by a new buffer on the first step with momentum.
        lr, momentum, dampening, weight_decay, nesterov, maximize: the options of ``SGD``.
    """
    for i, param in enumerate(params):
        grad = -grads[i] if maximize else grads[i]
        if weight_decay != 0:
            grad = grad + weight_decay * param
        if momentum != 0:
            buf = momentum_buffers[i]
            if buf is None:
                buf = np.array(grad, dtype=param.dtype, copy=True)
                momentum_buffers[i] = buf
            else:
                buf *= momentum
                buf += grad if dampening == 0 else (1 - dampening) * grad
            grad = grad + momentum * buf if nesterov else buf
        param -= lr * grad
