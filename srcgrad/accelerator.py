"""``srcgrad.accelerator``: PyTorch's ``torch.accelerator`` with no accelerator present.

``is_available()`` is False, ``current_accelerator()`` is None and
``device_count()`` is 0, as in a PyTorch without CUDA, MPS or XPU; scripts
that pick ``torch.accelerator.current_accelerator()`` when one is available
fall back to the CPU.
"""

from .errors import DeviceError

__all__ = [
    "is_available",
    "current_accelerator",
    "device_count",
    "synchronize",
    "current_device_index",
    "set_device_index",
]


def is_available(check_fork=False):
    """False: srcgrad computes on the CPU."""
    return False


def current_accelerator(check_available=False):
    """None: there is no accelerator."""
    return None


def device_count():
    """0: there is no accelerator."""
    return 0


def synchronize(device=None):
    """Raises: there is no accelerator to wait for."""
    raise DeviceError("torch.accelerator.synchronize(): srcgrad has no accelerator (it computes on the CPU)")


def current_device_index():
    """Raises: there is no accelerator."""
    raise DeviceError("torch.accelerator.current_device_index(): srcgrad has no accelerator (it computes on the CPU)")


def set_device_index(device):
    """Raises: there is no accelerator."""
    raise DeviceError("torch.accelerator.set_device_index(): srcgrad has no accelerator (it computes on the CPU)")
