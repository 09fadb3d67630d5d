"""The base class of the learning-rate schedulers and the option handling they share.

``LRScheduler`` keeps ``base_lrs``, ``last_epoch`` and the step protocol;
``per_group`` and ``format_param`` spread an option over the optimizer's
parameter groups as PyTorch does.
"""

import types
import warnings

from ..optimizer import Optimizer

__all__ = ["LRScheduler", "per_group", "format_param", "is_plain_function"]


class LRScheduler:
    """Base class of the schedulers.

    Args:
        optimizer: the optimizer whose groups' ``lr`` to set.
        last_epoch: the index of the last epoch, to resume a schedule (default -1: start).

    Raises:
        TypeError: ``optimizer`` is not an Optimizer.
        KeyError: resuming (``last_epoch != -1``) with groups that have no ``initial_lr``.
    """

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when resuming an optimizer"
                    )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self):
        self._step_count = 0
        self.step()

    def get_lr(self):
        """The learning rates of the epoch ``last_epoch`` (one per group)."""
        raise NotImplementedError

    def get_last_lr(self):
        """The learning rates this scheduler set last (one per group)."""
        return self._last_lr

    def step(self, epoch=None):
        """Advance one epoch and set each group's ``lr``.

        Args:
            epoch: deprecated, as in PyTorch: jump to this epoch (the closed form is used
                where a scheduler has one).
        """
        self._step_count += 1
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            warnings.warn(
                "The epoch parameter in `scheduler.step()` is deprecated; call `scheduler.step()` without it.",
                UserWarning,
                stacklevel=2,
            )
            self.last_epoch = epoch
            if hasattr(self, "_get_closed_form_lr"):
                values = self._get_closed_form_lr()
            else:
                values = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self):
        """The scheduler's state (every attribute but the optimizer), for ``load_state_dict``."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore a state from ``state_dict``.

        Args:
            state_dict: a dict from ``state_dict()`` (or ``srcgrad.load`` of one).
        """
        self.__dict__.update(state_dict)

    def _group_lrs(self):
        return [group["lr"] for group in self.optimizer.param_groups]


def per_group(optimizer, value, name):
    """``value`` once per parameter group: a list or tuple as given (its length checked), anything else repeated.

    Raises:
        ValueError: a list whose length is not the number of groups.
    """
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"Expected {n} lr_lambdas, but got {len(value)}")
        return list(value)
    return [value] * n


def format_param(name, optimizer, value):
    """Option ``name`` once per parameter group, as PyTorch's ``_format_param`` spreads it.

    Raises:
        ValueError: a list whose length is not the number of groups.
    """
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"expected {n} values for {name}, got {len(value)}")
        return list(value)
    return [value] * n


def is_plain_function(f):
    """Whether ``f`` is a function or method (whose state a state dict leaves out) rather than a callable object."""
    return isinstance(f, (types.FunctionType, types.BuiltinFunctionType, types.MethodType))
