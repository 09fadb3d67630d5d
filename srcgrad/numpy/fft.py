"""``numpy.fft`` for ``srcgrad.numpy``: its transforms also take lists holding Tensors."""

import numpy as _np

from ..numpy_lists import accepting_lists as _accepting_lists

__srcgrad_numpy__ = _np.fft


def __getattr__(name):
    """``numpy.fft``'s ``name`` (a function made to accept lists of Tensors), kept once made."""
    value = getattr(_np.fft, name)
    if callable(value) and not isinstance(value, type):
        value = _accepting_lists(value)
    globals()[name] = value
    return value


def __dir__():
    return dir(_np.fft)
