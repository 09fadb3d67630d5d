"""Classify three spirals data-parallel: every process trains on its share of each batch (MPI).

The same MLP and data as ``spiral_classifier.py``, wrapped in
``DistributedDataParallel``: ``DistributedSampler`` gives each rank its share
of the samples, backward averages the gradients over the ranks, so every rank
takes the same optimizer step and the copies stay identical. Each rank prints
its share; rank 0 prints the accuracy (and draws the plot).

Run: ``python -m srcgrad.distributed.run -n 2 examples/ddp_spiral.py [--steps 300]``
(``python examples/ddp_spiral.py`` runs it on one process).
"""

from _common import parse_args, progress, save_plot  # first: it limits BLAS threads before numpy loads

import numpy as np
from spiral_classifier import spirals

import srcgrad
import srcgrad.distributed as dist
from srcgrad import nn
from srcgrad.data import DataLoader, DistributedSampler, TensorDataset
from srcgrad.nn.parallel import DistributedDataParallel


def options(parser):
    parser.add_argument("--batch-size", type=int, default=60, help="samples per step over all ranks (default 60)")


def _epochs(loader, sampler):
    """The loader's batches, epoch after epoch, each epoch in a new order (the same on every rank)."""
    epoch = 0
    while True:
        sampler.set_epoch(epoch)
        yield from loader
        epoch += 1


def main():
    args = parse_args(__doc__.splitlines()[0], steps=300, extra=options)
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    srcgrad.manual_seed(args.seed + rank)  # each rank draws its own start; DDP copies rank 0's to all
    x0, y0 = spirals(seed=args.seed)
    data = TensorDataset(srcgrad.tensor(x0), srcgrad.tensor(y0))
    sampler = DistributedSampler(data, shuffle=True, seed=args.seed)
    loader = DataLoader(data, batch_size=max(1, args.batch_size // world), sampler=sampler, drop_last=True)
    print(
        f"rank {rank} of {world}: {len(sampler)} of {len(data)} samples per epoch, "
        f"{len(loader)} batches of {loader.batch_size}"
    )
    model = DistributedDataParallel(
        nn.Sequential(
            nn.Linear(2, 64),
            nn.ReLU(),
            nn.Linear(64, 64),
            nn.ReLU(),
            nn.Linear(64, 3),
        )
    )
    loss_fn = nn.CrossEntropyLoss()
    optimizer = srcgrad.optim.Adam(model.parameters(), lr=1e-2)
    steps = progress(args.steps) if rank == 0 else range(args.steps)
    batches = _epochs(loader, sampler)
    for step in steps:
        xb, yb = next(batches)
        loss = loss_fn(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()  # the gradients are averaged over the ranks here
        optimizer.step()
        if rank == 0:
            steps.report(step, loss=loss.item())

    # every rank scores its own share; an all-reduce adds up the counts
    model.eval()
    with srcgrad.no_grad():
        mine = list(DistributedSampler(data, shuffle=False, drop_last=True))
        predicted = model(srcgrad.tensor(x0[mine])).argmax(dim=1).numpy()
    counts = np.array([(predicted == y0[mine]).sum(), len(mine)], dtype=np.int64)
    dist.all_reduce(counts)
    accuracy = counts[0] / counts[1]
    if rank == 0:
        print(
            f"training accuracy {accuracy:.3f} on {counts[1]} samples after {args.steps} steps on {world} "
            f"process{'es' if world > 1 else ''}"
        )

        def draw(plt):
            from matplotlib.colors import ListedColormap

            colors = ["tab:blue", "tab:orange", "tab:green"]
            grid = np.linspace(-1.1, 1.1, 200)
            gx, gy = np.meshgrid(grid, grid)
            with srcgrad.no_grad():
                zz = model.module(srcgrad.tensor(np.stack([gx.ravel(), gy.ravel()], 1))).argmax(dim=1).numpy()
            plt.contourf(
                gx, gy, zz.reshape(gx.shape), alpha=0.25, levels=[-0.5, 0.5, 1.5, 2.5], cmap=ListedColormap(colors)
            )
            for c, color in enumerate(colors):
                plt.scatter(
                    x0[y0 == c, 0], x0[y0 == c, 1], s=12, color=color, edgecolors="k", linewidths=0.3, label=f"arm {c}"
                )
            plt.legend(title="points (class)", fontsize=8, loc="upper right")
            plt.title(f"Trained on {world} process{'es' if world > 1 else ''}; accuracy {accuracy:.1%}")
            plt.gca().set_aspect("equal")

        save_plot(args, "ddp_spiral.png", draw, size=(6, 6))
    dist.destroy_process_group()
    return accuracy


if __name__ == "__main__":
    main()
