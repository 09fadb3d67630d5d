"""``torch.utils.data.dataloader``: ``DataLoader`` and ``default_collate`` (``srcgrad.data``'s)."""

from ...data import DataLoader, default_collate

__all__ = ["DataLoader", "default_collate"]
