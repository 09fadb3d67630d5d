"""Process-wide settings PyTorch scripts set: threads, determinism, and PyTorch's number constants.

srcgrad's own code runs in the calling thread; numpy's BLAS decides its own
threads from ``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS`` at start-up. So
``set_num_threads(n)`` records ``n`` (``get_num_threads()`` returns it) and
changes nothing, and ``use_deterministic_algorithms(True)`` holds already:
srcgrad gives the same result for the same inputs every time.
"""

import math
import os

__all__ = [
    "set_num_threads",
    "get_num_threads",
    "set_num_interop_threads",
    "get_num_interop_threads",
    "use_deterministic_algorithms",
    "are_deterministic_algorithms_enabled",
    "pi",
    "e",
    "inf",
    "nan",
]

pi = math.pi
e = math.e
inf = math.inf
nan = math.nan

_THREADS = {"intra": os.cpu_count() or 1, "interop": os.cpu_count() or 1}
_DETERMINISTIC = [False]


def set_num_threads(n):
    """Record ``n`` as the number of threads (srcgrad's own work runs in the calling thread).

    Raises:
        RuntimeError: ``n`` is not a positive int.
    """
    if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n!r}")
    _THREADS["intra"] = n


def get_num_threads():
    """The number last given to ``set_num_threads`` (the CPU count before any)."""
    return _THREADS["intra"]


def set_num_interop_threads(n):
    """Record ``n`` (srcgrad runs no inter-op thread pool).

    Raises:
        RuntimeError: ``n`` is not a positive int.
    """
    if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
        raise RuntimeError(f"set_num_interop_threads expects a positive integer, got {n!r}")
    _THREADS["interop"] = n


def get_num_interop_threads():
    """The number last given to ``set_num_interop_threads``."""
    return _THREADS["interop"]


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Record ``mode``: srcgrad's results are deterministic either way."""
    _DETERMINISTIC[0] = bool(mode)


def are_deterministic_algorithms_enabled():
    """What ``use_deterministic_algorithms`` was last given."""
    return _DETERMINISTIC[0]
