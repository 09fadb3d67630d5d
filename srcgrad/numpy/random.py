"""``numpy.random`` for ``srcgrad.numpy`` (``import srcgrad.numpy.random as npr``): numpy's own names.

Random numbers have no derivative: every name here is numpy.random's object."""

import numpy as _np

__srcgrad_numpy__ = _np.random


def __getattr__(name):
    """``numpy.random``'s ``name``."""
    return getattr(_np.random, name)


def __dir__():
    return dir(_np.random)
