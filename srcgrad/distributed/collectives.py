"""Collectives over the default process group: ``all_reduce``, ``broadcast``, ``all_gather``, ...

Each takes a ``srcgrad.Tensor`` or a ``numpy.ndarray`` and, as in PyTorch,
changes it in place (a Tensor's version counter moves, so a backward that saved
its old values raises). The shapes and dtypes a collective needs to agree are
checked across ranks first (one small message), so a mismatch raises a
``RuntimeError`` naming what each rank had instead of exchanging garbage.
"""

import enum
import hashlib

import numpy as np

from ..tensor import Tensor
from .group import default_group

__all__ = [
    "ReduceOp",
    "Work",
    "barrier",
    "all_reduce",
    "broadcast",
    "all_gather",
    "all_gather_into_tensor",
    "reduce",
    "gather",
    "scatter",
    "send",
    "recv",
    "write_values",
]


class ReduceOp(enum.Enum):
    """How ``all_reduce`` and ``reduce`` combine the ranks' values, element by element.

    ``AVG`` is the sum divided by the world size (floating point only); on bool
    tensors ``SUM``/``MAX``/``BOR`` are a logical or and ``PRODUCT``/``MIN``/``BAND`` a logical and.
    """

    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7


class Work:
    """The handle an ``async_op=True`` collective returns; ``wait()`` finishes it.

    Args:
        requests: the pending mpi4py requests.
        finish: called once, when they are done (writes results back).
        mpi: the ``mpi4py.MPI`` module.
    """

    def __init__(self, requests=(), finish=None, mpi=None):
        self._requests = list(requests)
        self._finish = finish
        self._mpi = mpi

    def _done(self):
        if self._finish is not None:
            finish, self._finish = self._finish, None
            finish()

    def wait(self, timeout=None):
        """Block until the collective is done and its results are written; returns True."""
        if self._requests:
            self._mpi.Request.Waitall(self._requests)
            self._requests = []
        self._done()
        return True

    def is_completed(self):
        """True once the collective is done (and then its results are written)."""
        if self._requests and not self._mpi.Request.Testall(self._requests):
            return False
        self._requests = []
        self._done()
        return True

    def is_success(self):
        """True once the collective is done."""
        return self.is_completed()


def _completed():
    return Work()


# -- arguments ------------------------------------------------------------------------------------


def _values(x, name, arg="tensor"):
    """The ndarray behind a Tensor or an ndarray argument."""
    if isinstance(x, Tensor):
        return np.asarray(x._value)
    if isinstance(x, np.ndarray):
        return x
    raise TypeError(
        f"Invalid function argument. Expected parameter `{arg}` of {name} to be a srcgrad.Tensor "
        f"or a numpy.ndarray, but got {type(x).__name__} instead."
    )


def _writable(x, name, arg="tensor"):
    """Check that ``x`` can be changed in place and return its values."""
    values = _values(x, name, arg)
    if isinstance(x, np.ndarray) and not x.flags.writeable:
        raise ValueError(f"{name}: `{arg}` is a read-only array; pass one it can write into")
    return values


def write_values(target, values):
    """Write ``values`` into a Tensor or ndarray in place (a Tensor's version counter moves).

    Args:
        target: the Tensor or ndarray.
        values: an array of ``target``'s shape.
    """
    if isinstance(target, np.ndarray):
        if not np.shares_memory(target, values):
            np.copyto(target, values, casting="unsafe")
        return
    current = target._value
    if isinstance(current, np.ndarray) and current.ndim and current.flags.writeable:
        if current is not values:
            np.copyto(current, values, casting="unsafe")
    else:
        target._value = np.array(values, dtype=np.asarray(current).dtype).reshape(np.shape(current))
    target._vc[0] += 1


def _contiguous(target, values):
    """A C-contiguous buffer over ``values``: the storage itself when it is, else a copy."""
    if (
        values.flags.c_contiguous
        and values.flags.writeable
        and (isinstance(target, np.ndarray) or values is target._value)
    ):
        return values
    return np.array(values, order="C", copy=True)


def _check_op(op, name):
    if not isinstance(op, ReduceOp):
        raise TypeError(
            f"{name}: op must be a srcgrad.distributed.ReduceOp (ReduceOp.SUM, AVG, PRODUCT, MIN, "
            f"MAX, BAND, BOR, BXOR), not {op!r}"
        )


def _check_root(pg, root, name, what):
    if isinstance(root, bool) or not isinstance(root, (int, np.integer)) or not 0 <= root < pg.size():
        raise RuntimeError(f"{name}: invalid {what} rank: {root} (the group has ranks 0 to {pg.size() - 1})")
    return int(root)


def _mpi_op(pg, op, dtype, name):
    """The MPI operation for ``op`` on ``dtype`` (bool: logical ops), or an error PyTorch would raise too."""
    mpi = pg.MPI
    kind = dtype.kind
    if op is ReduceOp.AVG and kind not in "fc":
        raise RuntimeError(
            f"{name} with ReduceOp.AVG needs a floating point tensor: result type float can't be "
            f"cast to the desired output type {dtype}"
        )
    if kind == "c" and op in (ReduceOp.MIN, ReduceOp.MAX):
        raise RuntimeError(f"{name}: ReduceOp.{op.name} is not defined for complex tensors ({dtype})")
    if kind in "fc" and op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR):
        raise RuntimeError(f"{name}: ReduceOp.{op.name} needs an integer or bool tensor, not {dtype}")
    if kind == "b":
        return {
            ReduceOp.SUM: mpi.LOR,
            ReduceOp.MAX: mpi.LOR,
            ReduceOp.BOR: mpi.LOR,
            ReduceOp.PRODUCT: mpi.LAND,
            ReduceOp.MIN: mpi.LAND,
            ReduceOp.BAND: mpi.LAND,
            ReduceOp.BXOR: mpi.LXOR,
        }[op]
    return {
        ReduceOp.SUM: mpi.SUM,
        ReduceOp.AVG: mpi.SUM,
        ReduceOp.PRODUCT: mpi.PROD,
        ReduceOp.MIN: mpi.MIN,
        ReduceOp.MAX: mpi.MAX,
        ReduceOp.BAND: mpi.BAND,
        ReduceOp.BOR: mpi.BOR,
        ReduceOp.BXOR: mpi.BXOR,
    }[op]


def _describe(values):
    return f"{values.dtype} {tuple(values.shape)}"


def check_same_across_ranks(pg, name, description):
    """Raise on every rank when ``description`` (a short text) differs between ranks.

    One 16-byte digest per rank is gathered; only when they differ are the texts
    themselves exchanged, to say which rank had what.

    Args:
        pg: the process group.
        name: the collective's name, for the message.
        description: this rank's text (e.g. the dtype and shape of its tensor).

    Raises:
        RuntimeError: the ranks disagree.
    """
    if pg.size() == 1:
        return
    digest = np.frombuffer(hashlib.blake2b(description.encode(), digest_size=16).digest(), dtype=np.uint8)
    digests = np.empty((pg.size(), 16), dtype=np.uint8)
    pg.comm.Allgather(digest, digests)
    if (digests == digests[0]).all():
        return
    texts = allgather_text(pg, description)
    listing = ", ".join(f"rank {r} has {t}" for r, t in enumerate(texts))
    raise RuntimeError(f"{name}: the tensors must have the same dtype and shape on every rank, but {listing}")


def allgather_text(pg, text):
    """Every rank's ``text``, in rank order (sent as UTF-8 bytes, never pickled).

    Args:
        pg: the process group.
        text: this rank's string.

    Returns:
        A list with one string per rank.
    """
    data = np.frombuffer(text.encode(), dtype=np.uint8)
    lengths = np.empty(pg.size(), dtype=np.int64)
    pg.comm.Allgather(np.array([data.size], dtype=np.int64), lengths)
    out = np.empty(int(lengths.sum()), dtype=np.uint8)
    pg.comm.Allgatherv(data, [out, lengths.tolist()])
    ends = np.cumsum(lengths)
    return [out[end - n : end].tobytes().decode() for end, n in zip(ends.tolist(), lengths.tolist())]


# -- collectives -----------------------------------------------------------------------------------


def barrier(group=None, async_op=False, device_ids=None):
    """Wait until every rank of the group has reached this call.

    Args:
        group: None or ``group.WORLD``.
        async_op: return a ``Work`` instead of waiting.
        device_ids: accepted for PyTorch compatibility.

    Returns:
        None, or a ``Work`` with ``async_op``.

    Raises:
        ValueError: the default process group is not initialized.
    """
    pg = default_group(group)
    if async_op:
        return Work([pg.comm.Ibarrier()], None, pg.MPI)
    pg.comm.Barrier()
    return None


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Combine ``tensor`` across ranks with ``op``; every rank gets the result, in place.

    Args:
        tensor: a Tensor or ndarray, of the same dtype and shape on every rank.
        op: a ``ReduceOp`` (default ``SUM``).
        group: None or ``group.WORLD``.
        async_op: start it and return a ``Work``; the result is written at ``wait()``.

    Returns:
        None, or a ``Work`` with ``async_op``.

    Raises:
        ValueError: not initialized.
        TypeError: ``tensor`` is not a Tensor or ndarray, or ``op`` not a ``ReduceOp``.
        RuntimeError: dtypes or shapes differ across ranks; ``AVG`` on integers.

    Example (on 2 ranks)::

        t = srcgrad.tensor([1.0, 2.0]) * (dist.get_rank() + 1)
        dist.all_reduce(t)          # both ranks: tensor([3., 6.])
    """
    pg = default_group(group)
    _check_op(op, "all_reduce")
    values = _writable(tensor, "all_reduce")
    mpi_op = _mpi_op(pg, op, values.dtype, "all_reduce")
    check_same_across_ranks(pg, "all_reduce", _describe(values))
    buffer = _contiguous(tensor, values)

    def finish():
        if op is ReduceOp.AVG:
            np.divide(buffer, pg.size(), out=buffer)
        write_values(tensor, buffer)

    if async_op:
        return Work([pg.comm.Iallreduce(pg.MPI.IN_PLACE, buffer, mpi_op)], finish, pg.MPI)
    pg.comm.Allreduce(pg.MPI.IN_PLACE, buffer, mpi_op)
    finish()
    return None


def broadcast(tensor, src, group=None, async_op=False):
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every other rank, in place.

    Args:
        tensor: a Tensor or ndarray, of the same dtype and shape on every rank.
        src: the rank whose values everyone gets.
        group: None or ``group.WORLD``.
        async_op: start it and return a ``Work``.

    Returns:
        None, or a ``Work`` with ``async_op``.

    Raises:
        ValueError: not initialized.
        RuntimeError: ``src`` is not a rank of the group; dtypes or shapes differ across ranks.
    """
    pg = default_group(group)
    src = _check_root(pg, src, "broadcast", "root")
    values = _writable(tensor, "broadcast")
    check_same_across_ranks(pg, "broadcast", _describe(values))
    buffer = _contiguous(tensor, values)

    def finish():
        if pg.rank() != src:
            write_values(tensor, buffer)

    if async_op:
        return Work([pg.comm.Ibcast(buffer, root=src)], finish, pg.MPI)
    pg.comm.Bcast(buffer, root=src)
    finish()
    return None


def reduce(tensor, dst, op=ReduceOp.SUM, group=None, async_op=False):
    """Combine ``tensor`` across ranks with ``op``; only rank ``dst`` gets the result (in place).

    Args:
        tensor: a Tensor or ndarray, of the same dtype and shape on every rank.
        dst: the rank that receives the result; the others' tensors are left as they were.
        op: a ``ReduceOp`` (default ``SUM``).
        group: None or ``group.WORLD``.
        async_op: return a (completed) ``Work``.

    Returns:
        None, or a ``Work`` with ``async_op``.

    Raises:
        ValueError: not initialized.
        RuntimeError: ``dst`` is not a rank; dtypes or shapes differ across ranks; ``AVG`` on integers.
    """
    pg = default_group(group)
    _check_op(op, "reduce")
    dst = _check_root(pg, dst, "reduce", "root")
    values = _writable(tensor, "reduce")
    mpi_op = _mpi_op(pg, op, values.dtype, "reduce")
    check_same_across_ranks(pg, "reduce", _describe(values))
    if pg.rank() == dst:
        buffer = _contiguous(tensor, values)
        pg.comm.Reduce(pg.MPI.IN_PLACE, buffer, mpi_op, root=dst)
        if op is ReduceOp.AVG:
            np.divide(buffer, pg.size(), out=buffer)
        write_values(tensor, buffer)
    else:
        pg.comm.Reduce(np.ascontiguousarray(values), None, mpi_op, root=dst)
    return _completed() if async_op else None


def _check_list(pg, name, items, values, arg):
    """``items`` must hold one Tensor/ndarray per rank, each of ``values``'s dtype and shape."""
    if not isinstance(items, (list, tuple)) or len(items) != pg.size():
        got = len(items) if isinstance(items, (list, tuple)) else type(items).__name__
        raise RuntimeError(f"{name}: `{arg}` must be a list with one tensor per rank ({pg.size()}), got {got}")
    for i, item in enumerate(items):
        item_values = _values(item, name, f"{arg}[{i}]")
        if item_values.dtype != values.dtype:
            raise ValueError(
                f"{name}: invalid usage of tensors with different dtypes: `{arg}[{i}]` is "
                f"{item_values.dtype}, the tensor is {values.dtype}"
            )
        if item_values.shape != values.shape:
            raise RuntimeError(
                f"{name}: invalid tensor size at index {i} of `{arg}` (expected "
                f"{tuple(values.shape)}, got {tuple(item_values.shape)})"
            )


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Every rank's ``tensor``, into ``tensor_list[rank]`` on every rank (in place).

    Args:
        tensor_list: one Tensor or ndarray per rank, each of ``tensor``'s dtype and shape.
        tensor: this rank's Tensor or ndarray (same dtype and shape on every rank).
        group: None or ``group.WORLD``.
        async_op: return a (completed) ``Work``.

    Returns:
        None, or a ``Work`` with ``async_op``.

    Raises:
        ValueError: not initialized; an entry of another dtype.
        RuntimeError: a list of the wrong length or an entry of another shape; dtypes
            or shapes differ across ranks.
    """
    pg = default_group(group)
    values = _values(tensor, "all_gather")
    _check_list(pg, "all_gather", tensor_list, values, "tensor_list")
    for i, item in enumerate(tensor_list):
        _writable(item, "all_gather", f"tensor_list[{i}]")
    check_same_across_ranks(pg, "all_gather", _describe(values))
    gathered = np.empty((pg.size(),) + values.shape, dtype=values.dtype)
    pg.comm.Allgather(np.ascontiguousarray(values), gathered)
    for item, part in zip(tensor_list, gathered):
        write_values(item, part)
    return _completed() if async_op else None


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Every rank's ``input_tensor``, concatenated (or stacked) in rank order into ``output_tensor``.

    Args:
        output_tensor: shape ``(world_size * n, ...)`` (a concatenation along the first
            dimension) or ``(world_size, n, ...)`` (a stack), for an input of shape ``(n, ...)``.
        input_tensor: this rank's Tensor or ndarray.
        group: None or ``group.WORLD``.
        async_op: return a (completed) ``Work``.

    Returns:
        None, or a ``Work`` with ``async_op``.

    Raises:
        ValueError: not initialized; dtypes differ.
        RuntimeError: ``output_tensor`` has neither shape; inputs differ across ranks.
    """
    pg = default_group(group)
    values = _values(input_tensor, "all_gather_into_tensor", "input_tensor")
    out = _writable(output_tensor, "all_gather_into_tensor", "output_tensor")
    n = pg.size()
    stacked = (n,) + values.shape
    concatenated = (n * values.shape[0],) + values.shape[1:] if values.ndim else None
    if out.shape not in (stacked, concatenated):
        raise RuntimeError(
            f"all_gather_into_tensor: output tensor size must be equal to world_size times input "
            f"tensor size: the output has shape {tuple(out.shape)}, the input {tuple(values.shape)}, "
            f"world size {n}"
        )
    if out.dtype != values.dtype:
        raise ValueError(f"all_gather_into_tensor: the output is {out.dtype} and the input {values.dtype}")
    check_same_across_ranks(pg, "all_gather_into_tensor", _describe(values))
    gathered = np.empty(stacked, dtype=values.dtype)
    pg.comm.Allgather(np.ascontiguousarray(values), gathered)
    write_values(output_tensor, gathered.reshape(out.shape))
    return _completed() if async_op else None


def gather(tensor, gather_list=None, dst=0, group=None, async_op=False):
    """Every rank's ``tensor``, into ``gather_list`` on rank ``dst``.

    Args:
        tensor: this rank's Tensor or ndarray (same dtype and shape on every rank).
        gather_list: on ``dst``, one Tensor or ndarray per rank to fill; None elsewhere.
        dst: the rank that receives.
        group: None or ``group.WORLD``.
        async_op: return a (completed) ``Work``.

    Returns:
        None, or a ``Work`` with ``async_op``.

    Raises:
        ValueError: not initialized; ``gather_list`` missing on ``dst`` or given elsewhere.
        RuntimeError: ``dst`` is not a rank; a list of the wrong length or shapes; tensors
            that differ across ranks.
    """
    pg = default_group(group)
    dst = _check_root(pg, dst, "gather", "root")
    values = _values(tensor, "gather")
    if pg.rank() == dst:
        if gather_list is None:
            raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
        _check_list(pg, "gather", gather_list, values, "gather_list")
        for i, item in enumerate(gather_list):
            _writable(item, "gather", f"gather_list[{i}]")
    elif gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination ranks.")
    check_same_across_ranks(pg, "gather", _describe(values))
    if pg.rank() == dst:
        gathered = np.empty((pg.size(),) + values.shape, dtype=values.dtype)
        pg.comm.Gather(np.ascontiguousarray(values), gathered, root=dst)
        for item, part in zip(gather_list, gathered):
            write_values(item, part)
    else:
        pg.comm.Gather(np.ascontiguousarray(values), None, root=dst)
    return _completed() if async_op else None


def scatter(tensor, scatter_list=None, src=0, group=None, async_op=False):
    """Rank ``src``'s ``scatter_list[r]`` into ``tensor`` on each rank ``r`` (in place).

    Args:
        tensor: the Tensor or ndarray to fill (same dtype and shape on every rank).
        scatter_list: on ``src``, one Tensor or ndarray per rank; None elsewhere.
        src: the rank that sends.
        group: None or ``group.WORLD``.
        async_op: return a (completed) ``Work``.

    Returns:
        None, or a ``Work`` with ``async_op``.

    Raises:
        ValueError: not initialized; ``scatter_list`` missing on ``src`` or given elsewhere.
        RuntimeError: ``src`` is not a rank; a list of the wrong length or shapes; tensors
            that differ across ranks.
    """
    pg = default_group(group)
    src = _check_root(pg, src, "scatter", "root")
    values = _writable(tensor, "scatter")
    if pg.rank() == src:
        if scatter_list is None:
            raise ValueError("Argument ``scatter_list`` must be specified on source rank.")
        _check_list(pg, "scatter", scatter_list, values, "scatter_list")
    elif scatter_list:
        raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
    check_same_across_ranks(pg, "scatter", _describe(values))
    received = np.empty(values.shape, dtype=values.dtype)
    if pg.rank() == src:
        parts = np.stack([_values(item, "scatter") for item in scatter_list])
        pg.comm.Scatter(parts, received, root=src)
    else:
        pg.comm.Scatter(None, received, root=src)
    write_values(tensor, received)
    return _completed() if async_op else None


def send(tensor, dst, group=None, tag=0):
    """Send ``tensor`` to rank ``dst`` (which calls ``recv``); returns when it may be reused.

    Args:
        tensor: a Tensor or ndarray.
        dst: the receiving rank (not this one).
        group: None or ``group.WORLD``.
        tag: matches a ``recv`` with the same tag.

    Raises:
        ValueError: not initialized.
        RuntimeError: ``dst`` is not another rank of the group.
    """
    pg = default_group(group)
    dst = _check_root(pg, dst, "send", "destination")
    if dst == pg.rank():
        raise RuntimeError("Invalid destination rank: should not use the current rank")
    pg.comm.Send(np.ascontiguousarray(_values(tensor, "send")), dest=dst, tag=tag)


def recv(tensor, src=None, group=None, tag=0):
    """Receive into ``tensor`` (in place) what rank ``src`` sends (any rank when None).

    Args:
        tensor: a Tensor or ndarray of the sent dtype and shape.
        src: the sending rank, or None for any.
        group: None or ``group.WORLD``.
        tag: matches a ``send`` with the same tag.

    Returns:
        The rank it came from.

    Raises:
        ValueError: not initialized.
        RuntimeError: ``src`` is not another rank of the group; the message's size differs from ``tensor``'s.
    """
    pg = default_group(group)
    if src is not None:
        src = _check_root(pg, src, "recv", "source")
        if src == pg.rank():
            raise RuntimeError("Invalid source rank: should not use the current rank")
    values = _writable(tensor, "recv")
    buffer = _contiguous(tensor, values)
    status = pg.MPI.Status()
    source = pg.MPI.ANY_SOURCE if src is None else src
    try:
        pg.comm.Recv(buffer, source=source, tag=tag, status=status)
    except pg.MPI.Exception as error:
        raise RuntimeError(f"recv: the message does not fit a {_describe(values)} tensor ({error})") from None
    if status.Get_count() != buffer.nbytes:
        raise RuntimeError(
            f"recv: got {status.Get_count()} bytes from rank {status.Get_source()}, but the "
            f"tensor is {_describe(values)} ({buffer.nbytes} bytes)"
        )
    write_values(tensor, buffer)
    return status.Get_source()
