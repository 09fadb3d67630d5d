"""Learning-rate schedules: change each group's ``lr`` as training goes, PyTorch's classes and formulas.

A scheduler is built on an optimizer and stepped once per epoch (or per batch
for ``OneCycleLR``) after ``optimizer.step()``. Construction already performs
step 0, so ``get_last_lr()`` is the first epoch's learning rate. Schedulers
whose PyTorch version updates the rate recursively (from the current ``lr``)
do so here too, so they compose with other schedulers the same way.

The classes live by kind: ``base`` (``LRScheduler``), ``decay`` (a rule of the
epoch), ``cyclic`` (cosine annealing, cyclical and one-cycle), ``compose``
(``SequentialLR``, ``ChainedScheduler``) and ``plateau`` (``ReduceLROnPlateau``).
"""

from .base import LRScheduler
from .compose import ChainedScheduler, SequentialLR
from .cyclic import CosineAnnealingLR, CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR
from .decay import ConstantLR, ExponentialLR, LambdaLR, LinearLR, MultiplicativeLR, MultiStepLR, PolynomialLR, StepLR
from .plateau import ReduceLROnPlateau

__all__ = [
    "LRScheduler",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LambdaLR",
    "MultiplicativeLR",
    "LinearLR",
    "ConstantLR",
    "PolynomialLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "OneCycleLR",
    "SequentialLR",
    "ChainedScheduler",
    "ReduceLROnPlateau",
]

_LRScheduler = LRScheduler  # PyTorch's old name
