"""Run on 2 ranks by tests/test_distributed.py: collectives, their errors, and DistributedDataParallel training.

``python -m srcgrad.distributed.run -n 2 tests/distributed_worker.py OUTDIR`` makes each rank
write what it computed to ``OUTDIR/rank{r}.npz`` (arrays) and ``OUTDIR/rank{r}.json`` (the
errors it caught, as ``[type, message]``). The tests compute what those must be in one
process, without MPI. The data, the models and the global batches are defined here so that
both sides build the same ones.
"""

import json
import os
import sys

import numpy as np

import srcgrad
from srcgrad import nn
from srcgrad.data import DataLoader, DistributedSampler, TensorDataset

WORLD = 2
EPOCHS = 3
BATCH = 4
SEED = 1


def dataset():
    """45 samples (not a multiple of 2, so the sampler pads) of a smooth regression."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(45, 3))
    y = np.sin(x @ np.array([[1.0], [-0.5], [0.25]])) + 0.1 * x[:, :1] ** 2
    return TensorDataset(srcgrad.tensor(x), srcgrad.tensor(y))


def mlp(seed):
    srcgrad.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 1))


class Heads(nn.Module):
    """A trunk and three heads; ``forward(x, head)`` uses one head, so the others get no gradient."""

    def __init__(self, seed):
        super().__init__()
        srcgrad.manual_seed(seed)
        self.trunk = nn.Linear(3, 8)
        self.a = nn.Linear(8, 1)
        self.b = nn.Linear(8, 1)
        self.c = nn.Linear(8, 1)

    def forward(self, x, head):
        return getattr(self, head)(self.trunk(x).tanh())


def head_for(rank, step):
    """Rank 0 always uses head a; rank 1 alternates a and b; head c is never used."""
    return "a" if rank == 0 or step % 2 == 0 else "b"


def rank_batches(rank, epoch):
    """Rank ``rank``'s batches in epoch ``epoch`` (the sampler given its rank explicitly)."""
    ds = dataset()
    sampler = DistributedSampler(ds, num_replicas=WORLD, rank=rank, shuffle=True, seed=SEED)
    sampler.set_epoch(epoch)
    return list(DataLoader(ds, batch_size=BATCH, sampler=sampler))


def optimizer(name, params):
    if name == "sgd":
        return srcgrad.optim.SGD(params, lr=0.1, momentum=0.9)
    return srcgrad.optim.Adam(params, lr=0.01)


# -- what the ranks run ------------------------------------------------------------------------------


def _train(dist, ddp_class, out, key, opt_name, bucket_cap_mb=None, accumulate=1):
    """Train an MLP data-parallel with each rank's sampler; record the final parameters."""
    inner = mlp(10 + dist.get_rank())
    started = []  # how many buckets were started when the first layer's weight got its gradient
    inner[0].weight.register_post_accumulate_grad_hook(lambda p: started.append(model._reducer.next_bucket))
    model = ddp_class(inner, bucket_cap_mb=bucket_cap_mb)
    opt = optimizer(opt_name, model.parameters())
    ds = dataset()
    sampler = DistributedSampler(ds, shuffle=True, seed=SEED)  # rank and world from the process group
    loader = DataLoader(ds, batch_size=BATCH, sampler=sampler)
    loss_fn = nn.MSELoss()
    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)
        for step, (x, y) in enumerate(loader):
            last = (step + 1) % accumulate == 0 or step + 1 == len(loader)
            if last:
                loss_fn(model(x), y).backward()
                opt.step()
                opt.zero_grad()
            else:
                with model.no_sync():
                    loss_fn(model(x), y).backward()
    for name, value in model.state_dict().items():
        out[f"{key}/{name}"] = value.numpy()
    out[f"{key}/buckets"] = np.array(len(model._reducer.buckets))
    out[f"{key}/started_before_first_layer"] = np.array(started)


def _train_unused(dist, ddp_class, out):
    model = ddp_class(Heads(20), find_unused_parameters=True)
    opt = optimizer("adam", model.parameters())
    rank = dist.get_rank()
    loss_fn = nn.MSELoss()
    for epoch in range(EPOCHS):
        for step, (x, y) in enumerate(rank_batches(rank, epoch)):
            loss_fn(model(x, head_for(rank, step)), y).backward()
            opt.step()
            opt.zero_grad()
    for name, value in model.module.state_dict().items():
        out[f"unused/{name}"] = value.numpy()
    out["unused/c_grad_is_none"] = np.array(model.module.c.weight.grad is None)


def _collectives(dist, out, errors, rank):
    base = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]])
    value = base * (rank + 1) + rank
    for op in ("SUM", "AVG", "PRODUCT", "MIN", "MAX"):
        t = srcgrad.tensor(value)
        dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
        out[f"all_reduce/tensor/{op}"] = t.numpy()
        a = value.copy()
        dist.all_reduce(a, op=getattr(dist.ReduceOp, op))
        out[f"all_reduce/ndarray/{op}"] = a
    strided = np.zeros((2, 6))
    strided[:, ::2] = value
    view = strided[:, ::2]
    dist.all_reduce(view)
    out["all_reduce/strided"] = strided
    ints = np.array([rank + 1, 6, 12 - rank], dtype=np.int64)
    for op in ("SUM", "MAX", "BAND", "BOR", "BXOR"):
        a = ints.copy()
        dist.all_reduce(a, op=getattr(dist.ReduceOp, op))
        out[f"all_reduce/int/{op}"] = a
    flags = np.array([rank == 0, True, False])
    for op in ("SUM", "MIN"):
        a = flags.copy()
        dist.all_reduce(a, op=getattr(dist.ReduceOp, op))
        out[f"all_reduce/bool/{op}"] = a
    f32 = srcgrad.tensor(value.astype(np.float32))
    dist.all_reduce(f32)
    out["all_reduce/float32"] = f32.numpy()
    c = np.array([1 + 2j, -1j]) * (rank + 1)
    dist.all_reduce(c)
    out["all_reduce/complex"] = c
    scalar = srcgrad.tensor(2.0 + rank)
    dist.all_reduce(scalar, op=dist.ReduceOp.PRODUCT)
    out["all_reduce/scalar"] = scalar.numpy()
    t = srcgrad.tensor(value)
    work = dist.all_reduce(t, async_op=True)
    work.wait()
    out["all_reduce/async"] = t.numpy()
    w = srcgrad.tensor(value, requires_grad=True)
    before = w._vc[0]
    saved = (w * w).sum()
    dist.all_reduce(w)
    out["all_reduce/version_moved"] = np.array(w._vc[0] > before)
    out["all_reduce/requires_grad_kept"] = np.array(w.requires_grad and w.grad_fn is None)
    _catch(errors, "all_reduce/backward_after", saved.backward)

    for src in (0, 1):
        t = srcgrad.tensor(value)
        dist.broadcast(t, src=src)
        out[f"broadcast/tensor/{src}"] = t.numpy()
        a = value.copy()
        dist.broadcast(a, src)
        out[f"broadcast/ndarray/{src}"] = a

    tensors = [srcgrad.zeros(2, 3) for _ in range(WORLD)]
    dist.all_gather(tensors, srcgrad.tensor(value))
    out["all_gather/tensor"] = np.stack([t.numpy() for t in tensors])
    arrays = [np.zeros((2, 3)) for _ in range(WORLD)]
    dist.all_gather(arrays, value)
    out["all_gather/ndarray"] = np.stack(arrays)
    concatenated = np.zeros((4, 3))
    dist.all_gather_into_tensor(concatenated, value)
    out["all_gather_into_tensor/concatenated"] = concatenated
    stacked = srcgrad.zeros(2, 2, 3)
    dist.all_gather_into_tensor(stacked, srcgrad.tensor(value))
    out["all_gather_into_tensor/stacked"] = stacked.numpy()

    a = value.copy()
    dist.reduce(a, dst=1, op=dist.ReduceOp.MAX)
    out["reduce/MAX"] = a
    gathered = [np.zeros((2, 3)) for _ in range(WORLD)] if rank == 0 else None
    dist.gather(value, gathered, dst=0)
    out["gather"] = np.stack(gathered) if rank == 0 else np.zeros(0)
    received = srcgrad.zeros(2, 3)
    dist.scatter(received, [srcgrad.tensor(base * 10 + k) for k in range(WORLD)] if rank == 1 else None, src=1)
    out["scatter"] = received.numpy()
    if rank == 0:
        dist.send(srcgrad.tensor(base), dst=1, tag=7)
        out["recv"] = np.zeros(0)
    else:
        into = np.zeros((2, 3))
        out["recv_source"] = np.array(dist.recv(into, tag=7))
        out["recv"] = into
    dist.barrier()


def _catch(errors, key, fn):
    try:
        fn()
    except Exception as error:  # noqa: BLE001 - the tests check the type and the message
        errors[key] = [type(error).__name__, str(error)]
    else:
        errors[key] = None


def _errors(dist, ddp_class, errors, rank):
    value = np.ones((2, 3))
    _catch(errors, "init_twice", lambda: dist.init_process_group("mpi"))
    _catch(errors, "shape_mismatch", lambda: dist.all_reduce(np.ones(3 + rank)))
    _catch(errors, "dtype_mismatch", lambda: dist.all_reduce(np.ones(3, dtype=np.float32 if rank else np.float64)))
    _catch(errors, "broadcast_bad_src", lambda: dist.broadcast(value, src=2))
    _catch(errors, "reduce_bad_dst", lambda: dist.reduce(value, dst=-1))
    _catch(errors, "avg_of_ints", lambda: dist.all_reduce(np.ones(3, dtype=np.int64), op=dist.ReduceOp.AVG))
    _catch(errors, "op_not_reduceop", lambda: dist.all_reduce(value, op="sum"))
    _catch(errors, "not_a_tensor", lambda: dist.all_reduce([1.0, 2.0]))
    read_only = np.ones(3)
    read_only.flags.writeable = False
    _catch(errors, "read_only", lambda: dist.all_reduce(read_only))
    _catch(errors, "all_gather_length", lambda: dist.all_gather([np.zeros((2, 3))], value))
    _catch(errors, "all_gather_shape", lambda: dist.all_gather([np.zeros((2, 3)), np.zeros(3)], value))
    _catch(errors, "all_gather_dtype", lambda: dist.all_gather([np.zeros((2, 3), np.float32)] * 2, value))
    _catch(
        errors, "gather_list_misuse", lambda: dist.gather(value, None if rank == 0 else [np.zeros((2, 3))] * 2, dst=0)
    )
    _catch(
        errors, "scatter_list_misuse", lambda: dist.scatter(value, None if rank == 1 else [np.zeros((2, 3))] * 2, src=1)
    )
    _catch(errors, "send_to_self", lambda: dist.send(value, dst=rank))
    _catch(errors, "ddp_models_differ", lambda: ddp_class(nn.Linear(3, 2 + rank)))
    _catch(errors, "ddp_no_parameters", lambda: ddp_class(nn.Tanh()))

    model = ddp_class(Heads(0))
    x = srcgrad.ones(4, 3)
    model(x, "a").sum().backward()  # b and c get no gradient: the averaging cannot finish
    _catch(errors, "ddp_unused_without_find", lambda: model(x, "a"))
    model = ddp_class(Heads(0))
    loss = model(x, "a").sum()
    loss.backward(retain_graph=True)  # unfinished, as above; a second backward reaches a again
    _catch(errors, "ddp_second_backward", loss.backward)
    model = ddp_class(Heads(0), find_unused_parameters=True)
    loss = model(x, "a").sum() + (model.module.b.weight**2).sum() * (rank + 1)  # b: outside forward
    _catch(errors, "ddp_param_outside_forward", loss.backward)  # was: every rank's trunk gradient differed
    dist.barrier()


def _inside_and_outside_forward(dist, ddp_class, out, rank):
    """A parameter forward uses that the loss also uses directly (weight decay) is averaged whole."""
    model = ddp_class(Heads(5), find_unused_parameters=True)
    x = no_sync_input(rank)
    loss = model(x, "a").sum() + (model.module.trunk.weight**2).sum() * (rank + 1)
    loss.backward()
    out["outside/trunk.weight"] = model.module.trunk.weight.grad.numpy().copy()
    out["outside/b_grad_is_none"] = np.array(model.module.b.weight.grad is None)


def _ddp_state(dist, ddp_class, out, rank):
    """Construction copies rank 0's parameters and buffers; a forward after training syncs buffers."""
    srcgrad.manual_seed(100 + rank)
    bn = nn.BatchNorm1d(3)
    bn.running_mean.copy_(srcgrad.tensor([1.0, 2.0, 3.0]) * (rank + 1))
    model = ddp_class(nn.Sequential(nn.Linear(3, 3), bn))
    out["state/keys"] = np.array(list(model.state_dict()))
    out["state/weight"] = model.module[0].weight.detach().numpy().copy()
    out["state/running_mean_after_init"] = bn.running_mean.numpy().copy()
    x = srcgrad.tensor(np.arange(12.0).reshape(4, 3) * (rank + 1))
    model(x).sum().backward()
    out["state/running_mean_after_train"] = bn.running_mean.numpy().copy()
    model.eval()
    with srcgrad.no_grad():
        model(x)
    out["state/running_mean_after_eval"] = bn.running_mean.numpy().copy()


def _no_sync(dist, ddp_class, out, rank):
    """Inside no_sync a backward keeps the local gradient; the next synced one averages all of it."""
    model = ddp_class(mlp(0))
    x = no_sync_input(rank)
    with model.no_sync():
        model(x).sum().backward()
    out["no_sync/inside"] = model.module[4].weight.grad.numpy().copy()
    model(x).sum().backward()
    out["no_sync/after"] = model.module[4].weight.grad.numpy().copy()


def no_sync_input(rank):
    return srcgrad.tensor(np.linspace(-1.0, 1.0, 12).reshape(4, 3) * (rank + 1))


def main(outdir):
    import srcgrad.distributed as dist
    from srcgrad.nn.parallel import DistributedDataParallel

    dist.init_process_group("mpi")
    rank = dist.get_rank()
    assert dist.get_world_size() == WORLD and os.environ["RANK"] == str(rank)
    out = {}
    errors = {}
    _collectives(dist, out, errors, rank)
    _errors(dist, DistributedDataParallel, errors, rank)
    _ddp_state(dist, DistributedDataParallel, out, rank)
    _inside_and_outside_forward(dist, DistributedDataParallel, out, rank)
    _no_sync(dist, DistributedDataParallel, out, rank)
    _train(dist, DistributedDataParallel, out, "sgd", "sgd")
    _train(dist, DistributedDataParallel, out, "buckets", "adam", bucket_cap_mb=50 / 2**20)
    _train(dist, DistributedDataParallel, out, "accumulate", "sgd", accumulate=2)
    _train_unused(dist, DistributedDataParallel, out)
    np.savez(os.path.join(outdir, f"rank{rank}.npz"), **out)
    with open(os.path.join(outdir, f"rank{rank}.json"), "w") as f:
        json.dump(errors, f)
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
