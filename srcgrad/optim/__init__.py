"""Optimizers with PyTorch's names, defaults and update rules, and ``lr_scheduler``.

Each optimizer class keeps the per-parameter state; a pure function of the same
name in lower case (``sgd``, ``adam``, ``rmsprop``, ``adagrad``) does the
arithmetic on ndarrays.
"""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .lbfgs import LBFGS
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "LBFGS", "lr_scheduler"]
