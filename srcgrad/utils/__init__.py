"""``srcgrad.utils``: PyTorch's ``torch.utils`` path, so ``torch.utils.data.DataLoader`` resolves.

The data pipeline itself lives in ``srcgrad.data``; ``srcgrad.utils.data``
and its submodules re-export it under PyTorch's module names.
``srcgrad.utils.tensorboard.SummaryWriter`` logs scalars for TensorBoard.
"""

from . import checkpoint, data, tensorboard

__all__ = ["checkpoint", "data", "tensorboard"]
