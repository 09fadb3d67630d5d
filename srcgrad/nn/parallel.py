"""``DistributedDataParallel``: train one model on several processes, each on its share of the batch.

Every rank holds a full copy of the module. At construction, rank 0's
parameters and buffers are copied to every rank. Each backward then averages
the gradients across ranks, so that after ``backward()`` every rank holds the
gradient of the loss averaged over all ranks' samples, and identical optimizer
steps keep the copies identical.

The averaging is bucketed, as in PyTorch: the parameters (in reverse order, as
backward tends to reach them) are packed into flat buffers of about
``bucket_cap_mb`` (the first one 1 MB, to start early). A post-accumulate-grad
hook on each parameter copies its gradient, divided by the world size, into its
bucket; a full bucket's sum is started at once with a non-blocking
``MPI_Iallreduce`` (buckets in order, so every rank issues the same sequence),
while backward goes on with the earlier layers. When backward ends (a callback
queued on the engine, as PyTorch's reducer queues its finalization) and every
bucket has been started, all are waited for and the averages copied back into
``.grad``, before ``backward()`` returns.

This module imports ``srcgrad.distributed`` (and so mpi4py) only when a
``DistributedDataParallel`` is built.
"""

import contextlib

import numpy as np

from ..autograd.engine import queue_callback
from ..autograd.grad_mode import is_grad_enabled
from ..autograd.graph import AccumulateGrad
from ..tensor import Tensor
from .module import Module

__all__ = ["DistributedDataParallel"]

_DEFAULT_BUCKET_CAP_MB = 25
_FIRST_BUCKET_BYTES = 1024 * 1024

_UNFINISHED = (
    "Expected to have finished reduction in the prior iteration before starting a new one. This error indicates "
    "that your module has parameters that were not used in producing loss. You can enable unused parameter "
    "detection by passing the keyword argument `find_unused_parameters=True` to "
    "`srcgrad.nn.parallel.DistributedDataParallel`, and by making sure all `forward` function outputs "
    "participate in calculating loss. Parameters that received no gradient on rank {rank}: {names}"
)

_OUTSIDE_FORWARD = (  # PyTorch's words (reducer.cpp), with the parameter named
    "Expected to mark a variable ready only once. This error is caused by use of a module parameter outside the "
    "`forward` function. The return value of the `forward` function is inspected by the distributed data parallel "
    "wrapper to figure out if any of the module's parameters went unused. If this is the case, it knows they won't "
    "receive gradients in a backward pass. If any of those parameters are then used outside `forward`, this error "
    "condition is triggered. You can disable unused parameter detection by passing the keyword argument "
    "`find_unused_parameters=False` to `srcgrad.nn.parallel.DistributedDataParallel`. Parameter {name} was not "
    "reached from forward's output but got a gradient in this backward (averaging it now would leave the ranks "
    "with different gradients)."
)


class DistributedDataParallel(Module):
    """Wrap ``module`` so that backward averages its gradients over every rank of the process group.

    Args:
        module: the model (the same architecture on every rank).
        device_ids, output_device, dim: accepted for PyTorch compatibility (CPU only).
        broadcast_buffers: copy rank 0's buffers (BatchNorm's running statistics) to every
            rank at the start of each forward that follows a training step (default True).
        process_group: None or ``srcgrad.distributed.group.WORLD``.
        bucket_cap_mb: the size of a gradient bucket in MB (default 25; the first is 1 MB).
        find_unused_parameters: after each forward, walk the graph from its outputs and
            count the parameters it does not reach as done, so that a model that
            leaves some parameters out of some steps still finishes its averaging;
            a parameter no rank used keeps its ``.grad``. A parameter the forward did
            not reach that gets a gradient anyway (used in the loss outside ``forward``)
            raises PyTorch's RuntimeError ``Expected to mark a variable ready only once``.
        check_reduction, gradient_as_bucket_view, static_graph, **kwargs: accepted for
            PyTorch compatibility; no effect.

    Attributes:
        module: the wrapped module (save ``ddp.module.state_dict()`` for keys without
            the ``module.`` prefix).

    Raises:
        ValueError: the process group is not initialized.
        RuntimeError: the module has no parameter that requires grad, or the ranks'
            modules differ (number, shapes or dtypes of parameters).

    Example (run with ``python -m srcgrad.distributed.run -n 2 train.py``)::

        dist.init_process_group("mpi")
        model = DistributedDataParallel(nn.Linear(10, 1))
        loss = F.mse_loss(model(x_local), y_local)
        loss.backward()          # every rank: the gradient of the mean over all ranks' samples
        opt.step()
    """

    def __init__(
        self,
        module,
        device_ids=None,
        output_device=None,
        dim=0,
        broadcast_buffers=True,
        process_group=None,
        bucket_cap_mb=None,
        find_unused_parameters=False,
        check_reduction=False,
        gradient_as_bucket_view=False,
        static_graph=False,
        **kwargs,
    ):
        from .. import distributed
        from ..distributed.collectives import check_same_across_ranks

        super().__init__()
        pg = distributed.group.WORLD if process_group is None else process_group
        distributed.get_world_size(pg)  # raises PyTorch's ValueError when not initialized
        self.module = module
        self.process_group = pg
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        named = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError(
                "DistributedDataParallel is not needed when a module doesn't have any parameter "
                "that requires a gradient."
            )
        layout = "; ".join(f"{name} {p.dtype} {tuple(p.shape)}" for name, p in named)
        check_same_across_ranks(
            pg, "DistributedDataParallel (the wrapped modules' parameters)", f"{len(named)} parameters: {layout}"
        )
        _broadcast_coalesced(pg, list(module.parameters()) + list(module.buffers()))
        cap = _DEFAULT_BUCKET_CAP_MB if bucket_cap_mb is None else bucket_cap_mb
        self._reducer = _Reducer(pg, named, int(cap * 1024 * 1024), find_unused_parameters)

    def forward(self, *inputs, **kwargs):
        reducer = self._reducer
        if reducer.expecting and reducer.started:
            raise RuntimeError(_UNFINISHED.format(rank=self.process_group.rank(), names=reducer.unfinished()))
        if self.require_forward_param_sync and self.broadcast_buffers:
            _broadcast_coalesced(self.process_group, list(self.module.buffers()))
        output = self.module(*inputs, **kwargs)
        if is_grad_enabled() and self.require_backward_grad_sync:
            self.require_forward_param_sync = True
            reducer.prepare_for_backward(output if self.find_unused_parameters else None)
        else:
            self.require_forward_param_sync = False
        return output

    @contextlib.contextmanager
    def no_sync(self):
        """Inside, forwards and backwards only accumulate local gradients (no communication).

        The first backward after the block averages everything accumulated, so
        ``k`` steps of accumulation cost one round of communication. The forward must be
        inside the block, as in PyTorch: whether a backward averages is decided by its forward.
        """
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def extra_repr(self):
        return f"world_size={self.process_group.size()}, buckets={len(self._reducer.buckets)}"


def _broadcast_coalesced(pg, tensors):
    """Copy rank 0's values of ``tensors`` to every rank, one message per dtype."""
    if pg.size() == 1 or not tensors:
        return
    by_dtype = {}
    for t in tensors:
        by_dtype.setdefault(np.dtype(t.dtype), []).append(t)
    for dtype, group in by_dtype.items():
        flat = np.concatenate([np.asarray(t._value, dtype=dtype).ravel() for t in group])
        pg.comm.Bcast(flat, root=0)
        if pg.rank() != 0:
            offset = 0
            for t in group:
                size = int(np.prod(t.shape, dtype=np.int64))
                _write(t, flat[offset : offset + size].reshape(t.shape))
                offset += size


def _write(t, values):
    """Write values into a Tensor's storage in place (parameters, buffers, gradients)."""
    current = t._value
    if isinstance(current, np.ndarray) and current.ndim and current.flags.writeable:
        np.copyto(current, values)
    else:
        t._value = np.array(values, dtype=t.dtype).reshape(t.shape)
    t._vc[0] += 1


class _Bucket:
    """A flat buffer over some parameters' gradients (all of one dtype)."""

    __slots__ = ("params", "names", "offsets", "buffer", "pending", "used", "ready")

    def __init__(self, dtype, entries):
        self.params = [p for _, p in entries]
        self.names = [name for name, _ in entries]
        sizes = [int(np.prod(p.shape, dtype=np.int64)) for p in self.params]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        self.buffer = np.zeros(self.offsets[-1], dtype=dtype)
        self.pending = len(self.params)
        self.used = np.zeros(len(self.params), dtype=np.uint8)  # got a gradient in this iteration
        self.ready = np.zeros(len(self.params), dtype=bool)  # got one, or was counted done as unused

    def view(self, k):
        return self.buffer[self.offsets[k] : self.offsets[k + 1]].reshape(self.params[k].shape)


class _Reducer:
    """Averages the gradients of one DistributedDataParallel's parameters in buckets during backward."""

    def __init__(self, pg, named, cap_bytes, find_unused):
        self.pg = pg
        self.find_unused = find_unused
        self.buckets = _assign_buckets(named, cap_bytes)
        self.expecting = False
        self.started = False
        self.unused = []
        self.next_bucket = 0
        self.requests = []
        self._slot = {}
        for b, bucket in enumerate(self.buckets):
            for k, p in enumerate(bucket.params):
                self._slot[id(p)] = (b, k)
                p.register_post_accumulate_grad_hook(self._grad_ready)

    def prepare_for_backward(self, output):
        """Expect one gradient per parameter in the next backward (called by each synced forward)."""
        self.expecting = True
        self.started = False
        self.next_bucket = 0
        self.requests = []
        for bucket in self.buckets:
            bucket.pending = len(bucket.params)
            bucket.used[:] = 0
            bucket.ready[:] = False
        self.unused = []
        if output is not None:
            reached = _parameters_reached(output)
            self.unused = [
                (bucket, k) for bucket in self.buckets for k, p in enumerate(bucket.params) if id(p) not in reached
            ]

    def unfinished(self):
        """The names of the parameters whose gradient has not arrived in this backward."""
        names = [name for bucket in self.buckets for name, used in zip(bucket.names, bucket.used) if not used]
        return ", ".join(names)

    def _grad_ready(self, param):
        if not self.expecting:
            return
        if not self.started:
            # As PyTorch: parameters the forward did not reach count as done once backward starts
            # (not at forward time, so a forward without a backward starts no communication).
            self.started = True
            queue_callback(self._finalize)
            for bucket, k in self.unused:
                bucket.view(k)[...] = 0
                bucket.ready[k] = True
                self._mark(bucket)
        b, k = self._slot[id(param)]
        bucket = self.buckets[b]
        if bucket.ready[k] and not bucket.used[k]:
            self._abandon()
            raise RuntimeError(_OUTSIDE_FORWARD.format(name=bucket.names[k]))
        if bucket.ready[k]:
            self._abandon()
            raise RuntimeError(
                f"Expected to mark a variable ready only once; parameter {bucket.names[k]} got a gradient twice "
                f"in one iteration (a second backward through the same forward, or a parameter reached by "
                f"two backwards). Run the extra backwards inside no_sync(), or call forward again."
            )
        bucket.used[k] = 1
        bucket.ready[k] = True
        grad = param.grad._value
        np.divide(grad, self.pg.size(), out=bucket.view(k), casting="unsafe")
        self._mark(bucket)
        if self.requests:
            self.pg.MPI.Request.Testall(self.requests)  # lets MPI progress the buckets already started

    def _mark(self, bucket):
        bucket.pending -= 1
        if bucket.pending:
            return
        buckets = self.buckets
        comm = self.pg.comm
        mpi = self.pg.MPI
        while self.next_bucket < len(buckets) and buckets[self.next_bucket].pending == 0:
            self.requests.append(comm.Iallreduce(mpi.IN_PLACE, buckets[self.next_bucket].buffer, mpi.SUM))
            self.next_bucket += 1

    def _abandon(self):
        """Wait for the sums already started (every rank started the same), before raising."""
        if self.requests:
            self.pg.MPI.Request.Waitall(self.requests)
            self.requests = []

    def _finalize(self):
        """At the end of the backward: finish the averaging if every bucket was started; if not, the next
        forward raises (some parameter got no gradient)."""
        if self.expecting and self.next_bucket == len(self.buckets):
            self._finish()

    def _finish(self):
        mpi = self.pg.MPI
        mpi.Request.Waitall(self.requests)
        self.requests = []
        self.expecting = False
        if self.find_unused:
            used = np.concatenate([bucket.used for bucket in self.buckets])
            self.pg.comm.Allreduce(mpi.IN_PLACE, used, mpi.MAX)
        offset = 0
        for bucket in self.buckets:
            for k, p in enumerate(bucket.params):
                if self.find_unused and not used[offset + k]:
                    continue  # no rank used it: its .grad stays as it was
                averaged = bucket.view(k)
                if p.grad is None:
                    p.grad = Tensor._wrap(averaged.copy())
                else:
                    _write(p.grad, averaged)
            offset += len(bucket.params)


def _assign_buckets(named, cap_bytes):
    """Group parameters, in reverse order, into per-dtype buckets of about ``cap_bytes`` (the first 1 MB)."""
    buckets = []
    open_buckets = {}
    limits = {}
    for name, p in reversed(named):
        dtype = np.dtype(p.dtype)
        entries, size = open_buckets.get(dtype, ([], 0))
        entries.append((name, p))
        size += int(np.prod(p.shape, dtype=np.int64)) * dtype.itemsize
        limit = limits.setdefault(dtype, min(_FIRST_BUCKET_BYTES, cap_bytes))
        if size >= limit:
            buckets.append(_Bucket(dtype, entries))
            limits[dtype] = cap_bytes
            entries, size = [], 0
        open_buckets[dtype] = (entries, size)
    for dtype, (entries, _) in open_buckets.items():
        if entries:
            buckets.append(_Bucket(dtype, entries))
    return buckets


def _parameters_reached(output):
    """The ids of the leaf Tensors that the graph of ``output`` (Tensors in any nesting) reaches."""
    stack = []

    def collect(obj):
        if isinstance(obj, Tensor):
            if obj.grad_fn is not None:
                stack.append(obj.grad_fn)
            elif obj.requires_grad:
                reached.add(id(obj))
        elif isinstance(obj, dict):
            for value in obj.values():
                collect(value)
        elif isinstance(obj, (list, tuple)):
            for value in obj:
                collect(value)

    reached = set()
    collect(output)
    seen = set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if type(node) is AccumulateGrad:
            reached.add(id(node.variable))
        stack.extend(child for child, _ in node.next_functions)
    return reached
