"""``numpy.linalg`` for ``srcgrad.numpy``: its functions also take lists holding Tensors.

Every name is numpy's, except the functions of matrices, which make such a list an array first
(``np.linalg.norm([x, y])``); ``multi_dot`` takes a sequence of matrices and is numpy's own.
"""

import numpy as _np

from ..numpy_lists import accepting_lists as _accepting_lists

__srcgrad_numpy__ = _np.linalg

_SEQUENCE_FUNCTIONS = frozenset({"multi_dot"})


def __getattr__(name):
    """``numpy.linalg``'s ``name`` (a function made to accept lists of Tensors), kept once made."""
    value = getattr(_np.linalg, name)
    if callable(value) and not isinstance(value, type) and name not in _SEQUENCE_FUNCTIONS:
        value = _accepting_lists(value, 2 if name in ("solve", "lstsq", "tensorsolve") else 1)
    globals()[name] = value
    return value


def __dir__():
    return dir(_np.linalg)
