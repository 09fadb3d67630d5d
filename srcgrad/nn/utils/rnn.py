"""``nn.utils.rnn``: batches of sequences of different lengths, PyTorch's way.

``pack_padded_sequence`` turns a padded batch into a ``PackedSequence`` with
PyTorch's layout: ``data`` holds the elements time step by time step, each
step listing the sequences still running (longest first), and
``batch_sizes[t]`` says how many there are. ``RNN``, ``LSTM`` and ``GRU``
accept one: every sequence stops at its own length (its ``h_n`` is its state
after its last element; the reverse direction starts at that element) and
the output comes back packed the same way. ``pad_packed_sequence`` undoes
the packing. Everything is differentiable: packing and unpacking are one
gather and one scatter.
"""

import operator
from collections import namedtuple

import numpy as np

from ...recording import record
from ...rules import index_add
from ...tensor import Tensor

__all__ = [
    "PackedSequence",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "pack_sequence",
    "unpad_sequence",
]


class PackedSequence(namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """A batch of sequences packed time step by time step (see the module docstring).

    Attributes:
        data: (sum of lengths, *) the elements.
        batch_sizes: (T,) int64: how many sequences run at each time step.
        sorted_indices: the batch order used in ``data`` (longest first), or None when the
            batch was already sorted.
        unsorted_indices: the inverse permutation, or None.
    """

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = Tensor._wrap(np.argsort(_array(sorted_indices)))
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    @property
    def is_cuda(self):
        return False

    def to(self, *args, **kwargs):
        """A PackedSequence whose ``data`` is ``data.to(...)``."""
        return self._replace(data=self.data.to(*args, **kwargs))


def _array(x):
    return x._value if isinstance(x, Tensor) else np.asarray(x)


def _positions(lengths_sorted):
    """(time, batch) of every element of ``data``, in packed order, and the batch sizes."""
    steps = int(lengths_sorted[0]) if len(lengths_sorted) else 0
    batch_sizes = np.array([(lengths_sorted > t).sum() for t in range(steps)], dtype=np.int64)
    time = np.repeat(np.arange(steps), batch_sizes)
    batch = np.concatenate([np.arange(b) for b in batch_sizes]) if steps else np.zeros(0, dtype=np.int64)
    return time, batch, batch_sizes


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch of sequences.

    Args:
        input: (T, N, *) (or (N, T, *) with ``batch_first``), padded past each length.
        lengths: the N lengths (a list, an ndarray or a Tensor), each at least 1.
        batch_first: the batch is dimension 0.
        enforce_sorted: the lengths must already decrease; otherwise the batch is sorted
            here and ``sorted_indices`` remembers how.

    Returns:
        A ``PackedSequence``.

    Raises:
        RuntimeError: unsorted lengths with ``enforce_sorted``, or a length of 0.
    """
    lengths = np.asarray(_array(lengths), dtype=np.int64).reshape(-1)
    if lengths.size and lengths.min() <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0"
        )
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
                "sidestep this requirement if you do not need ONNX exportability."
            )
        order = None
    else:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
    time, batch, batch_sizes = _positions(lengths)
    source_batch = batch if order is None else order[batch]
    index = (source_batch, time) if batch_first else (time, source_batch)
    data = record(operator.getitem, (input, index), {})
    sorted_indices = None if order is None else Tensor._wrap(order.astype(np.int64))
    return PackedSequence(data, Tensor._wrap(batch_sizes), sorted_indices, None)


def repack_like(padded, lengths, like):
    """Pack a time-major padded batch in the original order the way ``like`` was packed."""
    sorted_indices = like.sorted_indices
    order = None if sorted_indices is None else _array(sorted_indices)
    lengths = np.asarray(lengths)
    time, batch, batch_sizes = _positions(lengths if order is None else lengths[order])
    source_batch = batch if order is None else order[batch]
    data = record(operator.getitem, (padded, (time, source_batch)), {})
    return PackedSequence(data, Tensor._wrap(batch_sizes), sorted_indices, like.unsorted_indices)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Unpack a ``PackedSequence`` into a padded batch, in the original batch order.

    Args:
        sequence: the PackedSequence.
        batch_first: return (N, T, *) instead of (T, N, *).
        padding_value: the value past each length.
        total_length: pad to this many steps (at least the longest length).

    Returns:
        ``(padded, lengths)``; ``lengths`` an int64 Tensor in the original order.

    Raises:
        ValueError: ``total_length`` shorter than the longest sequence.
    """
    data = sequence.data
    batch_sizes = _array(sequence.batch_sizes)
    steps, batch = len(batch_sizes), int(batch_sizes[0])
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                f"Expected total_length to be at least the length of the longest sequence in input, "
                f"but got total_length={total_length} and max sequence length being {steps}"
            )
        steps = total_length
    time = np.repeat(np.arange(len(batch_sizes)), batch_sizes)
    slot = np.concatenate([np.arange(b) for b in batch_sizes])
    base = np.full((steps, batch) + tuple(data.shape[1:]), padding_value, dtype=data.dtype)
    base[time, slot] = 0
    padded = record(index_add, (base, (time, slot), data), {})
    lengths_sorted = np.array([(batch_sizes > i).sum() for i in range(batch)], dtype=np.int64)
    unsorted = sequence.unsorted_indices
    if unsorted is not None:
        unsorted = _array(unsorted)
        padded = padded[:, unsorted]
        lengths = lengths_sorted[unsorted]
    else:
        lengths = lengths_sorted
    if batch_first:
        padded = padded.swapaxes(0, 1)
    return padded, Tensor._wrap(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack sequences of different lengths into one padded batch.

    Args:
        sequences: Tensors (L_i, *) with the same trailing shape.
        batch_first: return (N, T, *) instead of (T, N, *).
        padding_value: the fill.
        padding_side: ``'right'`` or ``'left'``.

    Returns:
        (T, N, *) or (N, T, *) with T the longest length.
    """
    if padding_side not in ("right", "left"):
        raise ValueError(f"padding_side must be 'left' or 'right', got {padding_side!r}")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        missing = longest - s.shape[0]
        widths = [(0, missing) if padding_side == "right" else (missing, 0)] + [(0, 0)] * (s.ndim - 1)
        padded.append(record(np.pad, (s, widths), {"constant_values": padding_value}) if missing else s)
    return np.stack(padded, axis=0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The inverse of ``pad_sequence``: a list of Tensors cut to their lengths."""
    if not batch_first:
        padded_sequences = padded_sequences.swapaxes(0, 1)
    return [padded_sequences[i, : int(n)] for i, n in enumerate(_array(lengths))]


def pack_sequence(sequences, enforce_sorted=True):
    """``pack_padded_sequence(pad_sequence(sequences), lengths)``."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)
