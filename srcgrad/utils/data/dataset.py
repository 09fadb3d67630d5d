"""``torch.utils.data.dataset``: the dataset classes and ``random_split`` (``srcgrad.data``'s)."""

from ...data import ChainDataset, ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "ChainDataset", "Subset", "random_split"]
