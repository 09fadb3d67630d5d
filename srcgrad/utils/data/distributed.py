"""``torch.utils.data.distributed``: ``DistributedSampler`` (``srcgrad.data``'s)."""

from ...data import DistributedSampler

__all__ = ["DistributedSampler"]
