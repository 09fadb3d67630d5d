"""Optimizers with PyTorch's names, defaults and update rules, and ``lr_scheduler``.

Each optimizer class keeps the per-parameter state; a pure function of the same
name in lower case (``sgd``, ``adam``, ``rmsprop``, ``adagrad``, ...) does the
arithmetic on ndarrays.
"""

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "Adagrad",
    "Adadelta",
    "Adamax",
    "NAdam",
    "RAdam",
    "Rprop",
    "LBFGS",
    "lr_scheduler",
]
