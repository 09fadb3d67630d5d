"""Datasets and batching: ``Dataset``, ``TensorDataset``, ``Subset``, ``random_split``, ``DataLoader``.

PyTorch's ``torch.utils.data`` names and behaviour, in the main process. A
``generator`` argument is a ``numpy.random.Generator``, an int seed, or
srcgrad's generator object; without one, shuffling draws from srcgrad's global
generator, so ``srcgrad.manual_seed`` makes it reproducible.
"""

import bisect
import collections.abc
import itertools
import math
import numbers
import warnings

import numpy as np

from .creation import default_generator
from .tensor import Tensor

__all__ = [
    "Dataset",
    "IterableDataset",
    "TensorDataset",
    "ConcatDataset",
    "ChainDataset",
    "Subset",
    "random_split",
    "DataLoader",
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
    "DistributedSampler",
    "default_collate",
]


# -- datasets ------------------------------------------------------------------------------------


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__(index)`` and ``__len__``.

    ``a + b`` concatenates two datasets.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is a stream: subclasses define ``__iter__``; ``DataLoader`` batches what it yields."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class TensorDataset(Dataset):
    """Samples are the ``i``-th rows of each of several Tensors (or ndarrays).

    Args:
        *tensors: Tensors with the same first dimension.

    Raises:
        ValueError: the first dimensions differ.

    Example:
        >>> import srcgrad
        >>> ds = TensorDataset(srcgrad.arange(3), srcgrad.tensor([1.0, 2.0, 3.0]))
        >>> len(ds), ds[1]
        (3, (tensor(1), tensor(2.)))
    """

    def __init__(self, *tensors):
        if tensors and any(len(t) != len(tensors[0]) for t in tensors):
            raise ValueError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return len(self.tensors[0]) if self.tensors else 0


class ConcatDataset(Dataset):
    """Several datasets one after another.

    Args:
        datasets: the datasets (not iterable ones).

    Raises:
        ValueError: no datasets.
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if index < 0:
            if -index > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            index = len(self) + index
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][index - start]


class ChainDataset(IterableDataset):
    """Several iterable datasets one after another.

    Args:
        datasets: the iterable datasets.
    """

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for dataset in self.datasets:
            yield from dataset

    def __len__(self):
        return sum(len(d) for d in self.datasets)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    Args:
        dataset: the whole dataset.
        indices: the indices to keep.
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping random subsets.

    Args:
        dataset: the dataset.
        lengths: the sizes of the parts, or fractions that sum to 1 (then
            ``floor(n * fraction)`` each, and the remainder is dealt one by one to the
            parts in order, as in PyTorch).
        generator: a ``numpy.random.Generator``, a seed, or None for srcgrad's global generator.

    Returns:
        A list of ``Subset``.

    Raises:
        ValueError: a fraction outside [0, 1], or lengths that do not add up to the dataset's length.
    """
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        sizes = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            sizes.append(int(math.floor(n * frac)))
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        lengths = sizes
        for i, length in enumerate(lengths):
            if length == 0:
                warnings.warn(
                    f"Length of split at index {i} is 0. This might result in an empty dataset.", stacklevel=2
                )
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    indices = _rng(generator).permutation(sum(lengths)).tolist()
    return [Subset(dataset, indices[end - length : end]) for end, length in zip(itertools.accumulate(lengths), lengths)]


# -- samplers ----------------------------------------------------------------------------------------


class Sampler:
    """Yields dataset indices; subclasses define ``__iter__`` (and ``__len__`` when known)."""

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """Indices ``0, 1, ..., len(data_source) - 1``."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """Indices in random order (a new permutation each pass), or drawn with replacement.

    Args:
        data_source: the dataset.
        replacement: draw with replacement (default False).
        num_samples: how many indices per pass (default: the dataset's length).
        generator: a ``numpy.random.Generator``, a seed, or None for srcgrad's global generator.
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = _as_generator(generator)
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        """Yield the indices, drawn as they are consumed (``num_samples=10**10`` allocates nothing up front)."""
        rng = _rng(self.generator)
        n = len(self.data_source)
        if self.replacement:
            yield from _in_chunks(lambda k: rng.integers(0, n, size=k), self.num_samples)
            return
        full, rest = divmod(self.num_samples, n)
        for _ in range(full):
            yield from rng.permutation(n).tolist()
        if rest:
            yield from rng.permutation(n)[:rest].tolist()

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in random order.

    Args:
        indices: the indices.
        generator: a ``numpy.random.Generator``, a seed, or None for srcgrad's global generator.
    """

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = _as_generator(generator)

    def __iter__(self):
        return (self.indices[i] for i in _rng(self.generator).permutation(len(self.indices)).tolist())

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """Indices ``0..len(weights)-1`` drawn with probabilities proportional to ``weights``.

    Args:
        weights: non-negative weights, one per sample (need not sum to 1).
        num_samples: how many indices per pass.
        replacement: draw with replacement (default True); without it, each index at most once.
        generator: a ``numpy.random.Generator``, a seed, or None for srcgrad's global generator.

    Raises:
        ValueError: a bad ``num_samples``, ``replacement``, or weights (negative, not 1-D, all zero).
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        weights = np.asarray(weights._value if isinstance(weights, Tensor) else weights, dtype=np.float64)
        if weights.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {weights.shape}")
        if (weights < 0).any() or not weights.sum() > 0:
            raise ValueError("weights should be non-negative and not all zero")
        if not replacement and num_samples > np.count_nonzero(weights):
            raise ValueError("cannot draw more samples than there are non-zero weights without replacement")
        self.weights = weights
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = _as_generator(generator)

    def __iter__(self):
        """Yield the indices; with replacement they are drawn in chunks as they are consumed."""
        p = self.weights / self.weights.sum()
        rng = _rng(self.generator)
        if self.replacement:
            yield from _in_chunks(lambda k: rng.choice(len(p), size=k, p=p), self.num_samples)
            return
        yield from rng.choice(len(p), size=self.num_samples, replace=False, p=p).tolist()  # at most len(p)

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``.

    Args:
        sampler: an iterable of indices.
        batch_size: the batch size.
        drop_last: drop the last batch when it is smaller.

    Raises:
        ValueError: ``batch_size`` is not a positive int or ``drop_last`` not a bool.
    """

    def __init__(self, sampler, batch_size, drop_last):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size


class DistributedSampler(Sampler):
    """This process's share of a dataset's indices when training on several processes.

    PyTorch's layout: the (shuffled) indices ``0..n-1`` are padded by repeating
    them from the start up to a multiple of ``num_replicas`` (or cut down to one
    with ``drop_last``), and rank ``r`` takes every ``num_replicas``-th index
    starting at ``r``. All ranks shuffle alike, by
    ``numpy.random.default_rng(seed + epoch).permutation(n)``; call
    ``set_epoch(epoch)`` at each epoch's start for a new order.

    Args:
        dataset: the dataset (anything with ``__len__``).
        num_replicas: how many processes share it (default: the process group's world size).
        rank: this process's rank (default: the process group's rank).
        shuffle: shuffle the indices (default True).
        seed: the shuffle's seed, the same on every rank (default 0).
        drop_last: drop the tail instead of padding, so that every rank gets
            ``len(dataset) // num_replicas`` indices.

    Raises:
        ValueError: ``rank`` outside ``[0, num_replicas - 1]``, or no process group
            when ``num_replicas`` or ``rank`` is left out.

    Example:
        >>> list(DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False))
        [1, 3, 0]
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            from . import distributed  # the layer above; only needed to ask the process group

            num_replicas = distributed.get_world_size() if num_replicas is None else num_replicas
            rank = distributed.get_rank() if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            indices = np.random.default_rng(self.seed + self.epoch).permutation(n).tolist()
        else:
            indices = list(range(n))
        if self.drop_last:
            indices = indices[: self.total_size]
        elif indices:
            padding = self.total_size - len(indices)
            indices += (indices * math.ceil(padding / len(indices)))[:padding]
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Use the order of epoch ``epoch`` (with ``shuffle``); call it before each epoch."""
        self.epoch = epoch


# -- collation -------------------------------------------------------------------------------------


def default_collate(batch):
    """Merge a list of samples into a batch, PyTorch's rules.

    Tensors and ndarrays are stacked into a Tensor with a new first dimension
    (recorded on the tape when a sample requires grad);
    Python floats become a float64 Tensor, ints an int64 Tensor, bools a bool
    Tensor, numpy scalars a Tensor of their dtype; strings stay a list; dicts,
    named tuples, tuples and lists are collated field by field and keep their
    type (a tuple stays a tuple).

    Args:
        batch: a list of samples of the same structure.

    Returns:
        The batch.

    Raises:
        RuntimeError: sequences of different lengths in one batch.
        TypeError: a sample type it does not know.
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        if any(b.requires_grad for b in batch if isinstance(b, Tensor)):
            return np.stack(batch)  # recorded, so gradients flow back to the samples (as torch.stack)
        return Tensor._wrap(np.stack([np.asarray(b._value) for b in batch]))
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "SUO":
            raise TypeError(
                f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
                f"lists; found array of dtype {elem.dtype}"
            )
        return Tensor._wrap(np.stack(batch))
    if isinstance(elem, np.generic):
        return Tensor._wrap(np.array(batch))
    if isinstance(elem, bool):
        return Tensor._wrap(np.array(batch, dtype=np.bool_))
    if isinstance(elem, numbers.Integral):
        return Tensor._wrap(np.array(batch, dtype=np.int64))
    if isinstance(elem, numbers.Real):
        return Tensor._wrap(np.array(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(collated)
        except TypeError:
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(list(samples)) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(b) != size for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(list(samples)) for samples in zip(*batch)]
        if isinstance(elem, tuple):
            return tuple(fields)
        try:
            return type(elem)(fields)
        except TypeError:
            return fields
    raise TypeError(
        f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {type(elem)}"
    )


def _convert(sample):
    """Turn ndarrays in an unbatched sample into Tensors (PyTorch's ``default_convert``)."""
    if isinstance(sample, np.ndarray) and sample.dtype.kind not in "SUO":
        return Tensor._wrap(sample)
    if isinstance(sample, collections.abc.Mapping):
        return type(sample)({k: _convert(v) for k, v in sample.items()})
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*(_convert(v) for v in sample))
    if isinstance(sample, tuple):
        return tuple(_convert(v) for v in sample)
    if isinstance(sample, list):
        return [_convert(v) for v in sample]
    return sample


# -- the loader ---------------------------------------------------------------------------------------


class DataLoader:
    """Iterate over a dataset in batches.

    Args:
        dataset: a ``Dataset`` (anything with ``__getitem__`` and ``__len__``) or an
            ``IterableDataset``.
        batch_size: samples per batch (default 1); None yields single samples, unbatched.
        shuffle: reshuffle the order at every pass (default False).
        sampler: an iterable of indices to use instead of ``shuffle``.
        batch_sampler: an iterable of lists of indices (excludes ``batch_size``,
            ``shuffle``, ``sampler`` and ``drop_last``).
        num_workers: accepted for PyTorch compatibility; loading always happens in
            the calling process (the numbers are the same).
        collate_fn: merges a list of samples into a batch (default ``default_collate``).
        pin_memory: accepted for PyTorch compatibility; no effect.
        drop_last: drop the last batch when it is smaller than ``batch_size`` (default False).
        generator: a ``numpy.random.Generator``, an int seed (one generator made
            here, advancing every pass), or None for srcgrad's global generator.
        **kwargs: other PyTorch options (``timeout``, ``worker_init_fn``, ``persistent_workers``,
            ``prefetch_factor``) are accepted and have no effect.

    Raises:
        ValueError: conflicting options, as in PyTorch.

    Example:
        >>> import srcgrad
        >>> ds = TensorDataset(srcgrad.arange(5))
        >>> [b[0].tolist() for b in DataLoader(ds, batch_size=2)]
        [[0, 1], [2, 3], [4]]
    """

    def __init__(
        self,
        dataset,
        batch_size=1,
        shuffle=False,
        sampler=None,
        batch_sampler=None,
        num_workers=0,
        collate_fn=None,
        pin_memory=False,
        drop_last=False,
        generator=None,
        **kwargs,
    ):
        unknown = set(kwargs) - {
            "timeout",
            "worker_init_fn",
            "multiprocessing_context",
            "prefetch_factor",
            "persistent_workers",
            "pin_memory_device",
            "in_order",
        }
        if unknown:
            raise TypeError(f"DataLoader got unexpected keyword arguments {sorted(unknown)}")
        self.dataset = dataset
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.generator = _as_generator(generator)
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle={shuffle}"
                )
            if sampler is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified sampler option, but got sampler={sampler}"
                )
            if batch_sampler is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                    f"but got batch_sampler={batch_sampler}"
                )
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")
        if sampler is None and not self._iterable:
            sampler = RandomSampler(dataset, generator=self.generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        if collate_fn is None:
            collate_fn = default_collate if (batch_size is not None or batch_sampler is not None) else _convert
        self.collate_fn = collate_fn

    def __iter__(self):
        if self._iterable:
            return self._iter_stream()
        if self.batch_sampler is not None:
            return (self.collate_fn([self.dataset[i] for i in batch]) for batch in self.batch_sampler)
        return (self.collate_fn(self.dataset[i]) for i in self.sampler)

    def _iter_stream(self):
        if self.batch_size is None:
            for sample in self.dataset:
                yield self.collate_fn(sample)
            return
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def __len__(self):
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)


# -- randomness -------------------------------------------------------------------------------------


_CHUNK = 4096


def _in_chunks(draw, total):
    """Yield ``total`` Python ints from ``draw(k)``, at most ``_CHUNK`` at a time (PyTorch's samplers draw
    lazily too), so a sampler's memory does not grow with its ``num_samples``."""
    done = 0
    while done < total:
        k = min(_CHUNK, total - done)
        yield from draw(k).tolist()
        done += k


def _as_generator(generator):
    """Keep a Generator or srcgrad generator as is; turn a seed into a Generator once."""
    if generator is None or isinstance(generator, np.random.Generator) or hasattr(generator, "rng"):
        return generator
    if isinstance(generator, (numbers.Integral, np.random.SeedSequence)):
        return np.random.default_rng(generator)
    raise TypeError(f"generator must be a numpy.random.Generator, a seed or None, not {type(generator).__name__}")


def _rng(generator):
    """The ``numpy.random.Generator`` to draw from now (the global one is looked up at each draw)."""
    if generator is None:
        return default_generator.rng
    if isinstance(generator, np.random.Generator):
        return generator
    if hasattr(generator, "rng"):
        return generator.rng
    return _as_generator(generator)
