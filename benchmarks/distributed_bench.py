"""Data-parallel training over MPI: time per epoch on 1 and 2 processes, and the cost of an all-reduce.

Run: ``python benchmarks/distributed_bench.py [--rounds 3] [--epochs 2]``. It launches
itself with ``python -m srcgrad.distributed.run`` several times, alternating the
configurations round by round (so load on a shared machine hits each alike), and
prints the best time of each:

- one epoch of an MLP big enough that computation dominates (8192 samples of 256
  features, layers 256-1024-1024-10, 1.3 M float64 parameters, a global batch of 256)
  on 1 process with one BLAS thread, on 1 process with one BLAS thread per core, and
  on 2 processes with one thread each (DistributedDataParallel, the batch split in two);
- ``all_reduce`` of float64 arrays of 1 to 64 MB between 2 processes, per megabyte.

Inside a job (what the launcher runs): ``distributed_bench.py epoch EPOCHS`` or
``distributed_bench.py allreduce``; each prints one JSON line from rank 0.
"""

import argparse
import json
import os
import subprocess
import sys
import time

SAMPLES, FEATURES, HIDDEN, CLASSES, BATCH = 8192, 256, 1024, 10, 256
SIZES_MB = (1, 4, 16, 64)


def epoch_job(epochs):
    import numpy as np

    import srcgrad
    import srcgrad.distributed as dist
    from srcgrad import nn
    from srcgrad.data import DataLoader, DistributedSampler, TensorDataset
    from srcgrad.nn.parallel import DistributedDataParallel

    dist.init_process_group("mpi")
    world = dist.get_world_size()
    rng = np.random.default_rng(0)
    data = TensorDataset(
        srcgrad.tensor(rng.normal(size=(SAMPLES, FEATURES))), srcgrad.tensor(rng.integers(0, CLASSES, SAMPLES))
    )
    sampler = DistributedSampler(data, seed=0)
    loader = DataLoader(data, batch_size=BATCH // world, sampler=sampler)
    srcgrad.manual_seed(0)
    model = DistributedDataParallel(
        nn.Sequential(
            nn.Linear(FEATURES, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, CLASSES)
        )
    )
    opt = srcgrad.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    times = []
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        dist.barrier()
        start = time.perf_counter()
        for x, y in loader:
            loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        dist.barrier()
        times.append(time.perf_counter() - start)
    if dist.get_rank() == 0:
        params = sum(p.numel() for p in model.parameters())
        print(json.dumps({"epoch_s": min(times), "steps": len(loader), "params": params, "world": world}))
    dist.destroy_process_group()


def allreduce_job():
    import numpy as np

    import srcgrad.distributed as dist

    dist.init_process_group("mpi")
    result = {}
    for mb in SIZES_MB:
        a = np.ones(mb * 2**20 // 8)
        dist.all_reduce(a)  # warm up
        best = float("inf")
        for _ in range(5):
            dist.barrier()
            start = time.perf_counter()
            dist.all_reduce(a)
            best = min(best, time.perf_counter() - start)
        result[str(mb)] = best
    small = np.ones(1)
    dist.barrier()
    start = time.perf_counter()
    for _ in range(1000):
        dist.all_reduce(small)
    result["latency_8_bytes"] = (time.perf_counter() - start) / 1000
    if dist.get_rank() == 0:
        print(json.dumps(result))
    dist.destroy_process_group()


def launch(n, threads, *args):
    env = dict(
        os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads)
    )
    command = [
        sys.executable,
        "-m",
        "srcgrad.distributed.run",
        "-n",
        str(n),
        "--timeout",
        "1800",
        os.path.abspath(__file__),
        *args,
    ]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    configs = [
        ("1 process, 1 BLAS thread", 1, 1),
        ("1 process, 2 BLAS threads", 1, 2),
        ("2 processes, 1 BLAS thread each", 2, 1),
    ]
    best = {}
    reduce_best = {}
    for _ in range(args.rounds):
        for name, n, threads in configs:
            result = launch(n, threads, "epoch", str(args.epochs))
            best[name] = min(best.get(name, float("inf")), result["epoch_s"])
            params = result["params"]
        result = launch(2, 1, "allreduce")
        for key, value in result.items():
            reduce_best[key] = min(reduce_best.get(key, float("inf")), value)
    base = best[configs[0][0]]
    print(
        f"MLP {FEATURES}-{HIDDEN}-{HIDDEN}-{CLASSES} ({params / 1e6:.2f} M float64 parameters), "
        f"{SAMPLES} samples, global batch {BATCH}; best of {args.rounds} rounds x {args.epochs} epochs"
    )
    print("| configuration | time per epoch | speed-up |")
    print("|---|---|---|")
    for name, _, _ in configs:
        print(f"| {name} | {best[name]:.2f} s | {base / best[name]:.2f} |")
    print()
    print("| all_reduce (2 processes, float64) | time | per MB |")
    print("|---|---|---|")
    for mb in SIZES_MB:
        t = reduce_best[str(mb)]
        print(f"| {mb} MB | {t * 1e3:.2f} ms | {t * 1e3 / mb:.2f} ms |")
    print(f"| 8 bytes | {reduce_best['latency_8_bytes'] * 1e6:.1f} us | |")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "epoch":
        epoch_job(int(sys.argv[2]))
    elif len(sys.argv) > 1 and sys.argv[1] == "allreduce":
        allreduce_job()
    else:
        main()
