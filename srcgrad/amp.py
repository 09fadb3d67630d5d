"""``srcgrad.amp``: PyTorch's ``torch.amp`` (``autocast``, ``GradScaler``) on srcgrad.

srcgrad has no mixed precision: every operation computes in its Tensors' own
dtypes. ``autocast`` therefore changes nothing; asked to be on, it warns once
that the computation stays in full precision (PyTorch itself disables it, with
a warning, for a device it does not have). ``GradScaler`` works as PyTorch's
does on the CPU (scale the loss, unscale the gradients, skip a step whose
gradients are not finite, grow or back off the scale); for ``"cuda"`` it is
disabled with a warning, as in a PyTorch without CUDA, and then passes
everything through.
"""

import math
import os
import sys
import warnings

import numpy as np

from .autograd.grad_mode import no_grad

__all__ = ["autocast", "GradScaler"]


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _user_stacklevel():
    """The ``stacklevel`` that points a warning at the first caller outside srcgrad.

    ``torch.cuda.amp.GradScaler()`` reaches the warning through a subclass, so a
    fixed level would name srcgrad's own file instead of the user's line.
    """
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    return level


class autocast:  # noqa: N801 - PyTorch's name
    """A context manager (and decorator) that, in PyTorch, runs some operations in a lower precision.

    Args:
        device_type: ``"cpu"``, ``"cuda"``, ...
        dtype: the lower precision (``srcgrad.float16``, ``srcgrad.bfloat16``).
        enabled: whether autocasting is asked for.
        cache_enabled: accepted and ignored.
    """

    _warned = False

    def __init__(self, device_type="cpu", dtype=None, enabled=True, cache_enabled=None):
        self.device_type = str(device_type)
        self.fast_dtype = dtype
        self.enabled = bool(enabled)
        if self.enabled and not autocast._warned:
            autocast._warned = True
            warnings.warn(
                f"autocast(device_type={self.device_type!r}): srcgrad has no mixed precision; operations "
                "compute in their Tensors' own dtypes (full precision)",
                UserWarning,
                stacklevel=_user_stacklevel(),
            )

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)

        wrapper.__wrapped__ = fn
        return wrapper


class GradScaler:
    """Loss scaling for low-precision training: PyTorch's ``GradScaler``.

    ``scale(loss)`` multiplies by the scale; ``unscale_(optimizer)`` divides the
    gradients by it and notes whether any is infinite or NaN; ``step(optimizer)``
    unscales if that was not done and skips ``optimizer.step()`` when a gradient
    was not finite; ``update()`` halves the scale after a skipped step
    (``backoff_factor``) and doubles it after ``growth_interval`` good ones
    (``growth_factor``).

    Args:
        device: ``"cpu"``, or ``"cuda"`` (no CUDA here: the scaler is disabled, with a warning).
        init_scale: the first scale.
        growth_factor: the scale's factor after ``growth_interval`` steps without inf/NaN.
        backoff_factor: the scale's factor after a step with inf/NaN.
        growth_interval: steps without inf/NaN before the scale grows.
        enabled: False makes every method pass through.
    """

    def __init__(
        self,
        device="cuda",
        init_scale=2.0**16,
        growth_factor=2.0,
        backoff_factor=0.5,
        growth_interval=2000,
        enabled=True,
    ):
        device = str(device)
        if enabled and device != "cpu":
            warnings.warn(
                f"GradScaler is enabled for device {device!r}, which srcgrad does not have (it computes on "
                "the CPU). Disabling.",
                UserWarning,
                stacklevel=_user_stacklevel(),
            )
            enabled = False
        self._enabled = bool(enabled)
        self._scale = float(init_scale)
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._growth_tracker = 0
        self._per_optimizer = {}

    def is_enabled(self):
        """Whether the scaler does anything."""
        return self._enabled

    def get_scale(self):
        """The current scale (1.0 when disabled)."""
        return self._scale if self._enabled else 1.0

    def scale(self, outputs):
        """``outputs`` (a Tensor or nested lists/tuples of them) times the scale."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        return outputs * self._scale

    def _state(self, optimizer):
        return self._per_optimizer.setdefault(id(optimizer), {"unscaled": False, "found_inf": False})

    def unscale_(self, optimizer):
        """Divide the gradients of ``optimizer``'s parameters by the scale, in place.

        Raises:
            RuntimeError: called twice for one optimizer before ``update()``.
        """
        if not self._enabled:
            return
        state = self._state(optimizer)
        if state["unscaled"]:
            raise RuntimeError("unscale_() has already been called on this optimizer since the last update().")
        inverse = 1.0 / self._scale
        found = False
        with no_grad():
            for group in optimizer.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    p.grad.mul_(inverse)
                    if not np.all(np.isfinite(p.grad._value)):
                        found = True
        state["unscaled"] = True
        state["found_inf"] = found

    def step(self, optimizer, *args, **kwargs):
        """``optimizer.step(*args, **kwargs)`` on unscaled gradients, skipped when one is not finite.

        Returns:
            What ``optimizer.step`` returned, or None when the step was skipped.
        """
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        state = self._state(optimizer)
        if not state["unscaled"]:
            self.unscale_(optimizer)
        if state["found_inf"]:
            return None
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None):
        """Adjust the scale for the next iteration (or set it to ``new_scale``)."""
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = float(new_scale.item() if hasattr(new_scale, "item") else new_scale)
        elif any(state["found_inf"] for state in self._per_optimizer.values()):
            self._scale *= self._backoff_factor
            self._growth_tracker = 0
        else:
            self._growth_tracker += 1
            if self._growth_tracker == self._growth_interval:
                if math.isfinite(self._scale * self._growth_factor):
                    self._scale *= self._growth_factor
                self._growth_tracker = 0
        self._per_optimizer = {}

    def state_dict(self):
        """The scale and counters (an empty dict when disabled, as PyTorch)."""
        if not self._enabled:
            return {}
        return {
            "scale": self._scale,
            "growth_factor": self._growth_factor,
            "backoff_factor": self._backoff_factor,
            "growth_interval": self._growth_interval,
            "_growth_tracker": self._growth_tracker,
        }

    def load_state_dict(self, state_dict):
        """Restore from ``state_dict()``."""
        if not self._enabled:
            return
        self._scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])
