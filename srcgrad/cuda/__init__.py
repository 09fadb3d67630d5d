"""``srcgrad.cuda``: PyTorch's ``torch.cuda`` on a machine without CUDA.

srcgrad computes on the CPU, so ``is_available()`` is False and
``device_count()`` is 0, as in a PyTorch built without CUDA. The functions
that PyTorch runs quietly there (seeding, ``empty_cache``, memory counters)
do nothing here too; the ones PyTorch refuses (``current_device``,
``synchronize``, ``get_device_name``, ...) raise a ``DeviceError``.
``srcgrad.cuda.amp`` has the older spellings of ``srcgrad.amp``'s
``GradScaler`` and ``autocast``.
"""

from ..errors import DeviceError
from . import amp

__all__ = [
    "amp",
    "is_available",
    "device_count",
    "manual_seed",
    "manual_seed_all",
    "seed",
    "seed_all",
    "empty_cache",
    "is_bf16_supported",
    "memory_allocated",
    "max_memory_allocated",
    "memory_reserved",
    "reset_peak_memory_stats",
    "current_device",
    "set_device",
    "synchronize",
    "get_device_name",
    "get_device_properties",
    "get_device_capability",
    "is_initialized",
    "init",
]


def _no_cuda(name):
    raise DeviceError(
        f"torch.cuda.{name}(): srcgrad has no CUDA (it computes on the CPU; torch.cuda.is_available() is False)"
    )


def is_available():
    """False: srcgrad computes on the CPU."""
    return False


def is_initialized():
    """False: there is no CUDA to initialise."""
    return False


def device_count():
    """0: no CUDA devices."""
    return 0


def is_bf16_supported(including_emulation=True):
    """False: no CUDA devices."""
    return False


def manual_seed(seed):
    """Does nothing (there is no CUDA generator), as PyTorch without CUDA does."""


def manual_seed_all(seed):
    """Does nothing (there are no CUDA generators), as PyTorch without CUDA does."""


def seed():
    """Does nothing (no CUDA generator)."""


def seed_all():
    """Does nothing (no CUDA generators)."""


def empty_cache():
    """Does nothing (no CUDA memory)."""


def memory_allocated(device=None):
    """0 bytes: no CUDA memory."""
    return 0


def max_memory_allocated(device=None):
    """0 bytes: no CUDA memory."""
    return 0


def memory_reserved(device=None):
    """0 bytes: no CUDA memory."""
    return 0


def reset_peak_memory_stats(device=None):
    """Does nothing (no CUDA memory)."""


def init():
    """Raises: there is no CUDA to initialise."""
    _no_cuda("init")


def current_device():
    """Raises: there is no CUDA device."""
    _no_cuda("current_device")


def set_device(device):
    """Raises: there is no CUDA device."""
    _no_cuda("set_device")


def synchronize(device=None):
    """Raises: there is no CUDA device."""
    _no_cuda("synchronize")


def get_device_name(device=None):
    """Raises: there is no CUDA device."""
    _no_cuda("get_device_name")


def get_device_properties(device=None):
    """Raises: there is no CUDA device."""
    _no_cuda("get_device_properties")


def get_device_capability(device=None):
    """Raises: there is no CUDA device."""
    _no_cuda("get_device_capability")
