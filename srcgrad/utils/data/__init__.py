"""``srcgrad.utils.data``: PyTorch's ``torch.utils.data``, the names of ``srcgrad.data``.

``from torch.utils.data import DataLoader, Dataset`` and
``torch.utils.data.dataloader.DataLoader`` both resolve here; the classes are
``srcgrad.data``'s.
"""

from ...data import *  # noqa: F401,F403 - the same objects under PyTorch's module path
from ...data import __all__ as _names
from . import dataloader, dataset, sampler

__all__ = list(_names) + ["dataloader", "dataset", "sampler"]
