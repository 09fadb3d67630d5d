"""Grad modes: whether the tape records operations, per thread.

``no_grad``, ``enable_grad`` and ``set_grad_enabled`` work as context managers
and as decorators, like PyTorch's. The flag lives in ``threading.local`` state,
so one thread's ``no_grad`` never affects another's; a count of the threads
that have it off lets the tape skip reading it while every thread records.
"""

import functools
import threading

__all__ = ["is_grad_enabled", "no_grad", "enable_grad", "set_grad_enabled"]


class _State(threading.local):
    enabled = True  # class attribute: the default every new thread sees


grad_state = _State()
"""Whether recording is on, per thread (``no_grad`` and its kin set it through ``_set_enabled``; the tape reads it)."""

threads_not_recording = [0]
"""How many threads have recording off now. While it is 0 every thread records, and the tape's hot path
reads this instead of the thread-local flag (a tenth of the cost)."""

_count_lock = threading.Lock()


def _set_enabled(mode):
    """Set this thread's flag, keeping ``threads_not_recording`` in step."""
    with _count_lock:
        if grad_state.enabled != mode:
            threads_not_recording[0] += -1 if mode else 1
        grad_state.enabled = mode


def is_grad_enabled():
    """True when operations on Tensors are being recorded in this thread."""
    return grad_state.enabled


class _GradMode:
    """Base of the grad-mode context managers; also usable as a decorator."""

    mode = True

    def __enter__(self):
        self._prev = grad_state.enabled
        _set_enabled(self.mode)
        return self

    def __exit__(self, *exc):
        _set_enabled(self._prev)
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__._fresh(self):
                return func(*args, **kwargs)

        return wrapper

    @staticmethod
    def _fresh(template):
        clone = object.__new__(type(template))
        clone.__dict__.update(template.__dict__)
        return clone


class no_grad(_GradMode):
    """Context manager and decorator that stops recording in this thread.

    Example:
        >>> import srcgrad
        >>> w = srcgrad.ones(2, requires_grad=True)
        >>> with srcgrad.no_grad():
        ...     y = w * 2
        >>> y.requires_grad
        False
    """

    mode = False


class enable_grad(_GradMode):
    """Context manager and decorator that turns recording back on in this thread."""

    mode = True


class set_grad_enabled(_GradMode):
    """Turn recording on or off: ``set_grad_enabled(False)`` acts at once and as a context.

    Args:
        mode: True to record, False not to.
    """

    def __init__(self, mode):
        self._prev = grad_state.enabled
        self.mode = bool(mode)
        _set_enabled(self.mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _set_enabled(self._prev)
        return False

    def __call__(self, func):
        _set_enabled(self._prev)  # used as a decorator: do not change the mode now

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(self.mode):
                return func(*args, **kwargs)

        return wrapper
