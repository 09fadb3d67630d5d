"""Time per training step of two small models, srcgrad against PyTorch CPU, side by side.

1. The polynomial regression of ``examples/polynomial_regression.py``:
   ``nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1))``, ``MSELoss(reduction="sum")``,
   RMSprop, 2000 points.
2. The spiral classifier's MLP of ``examples/spiral_classifier.py``: 2 -> 64 -> 64 -> 3
   with ReLU, ``CrossEntropyLoss``, Adam, 300 points.

Both libraries run the same script text (the module is passed in), in float64
with one thread. The two are timed interleaved, in rounds of ``n`` steps each, so
load on a shared machine hits both alike; the table gives the median time per
step over the rounds and the median and range of the per-round ratios.
Run: ``python benchmarks/training_step.py [--quick] [--rounds N]``. Prints a
table; asserts nothing.
"""

import math
import os
import sys
import time

# One BLAS thread, as PyTorch is given one: a fair comparison, and steady
# figures on a busy machine (a multithreaded BLAS slows down badly there).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402


def polynomial_step(lib):
    """Build the polynomial model; return a function doing one training step."""
    x = lib.linspace(-math.pi, math.pi, 2000, dtype=lib.float64)
    y = lib.sin(x) if hasattr(lib, "sin") else np.sin(x)
    p = lib.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    model = lib.nn.Sequential(lib.nn.Linear(3, 1), lib.nn.Flatten(0, 1)).to(lib.float64)
    loss_fn = lib.nn.MSELoss(reduction="sum")
    opt = lib.optim.RMSprop(model.parameters(), lr=1e-3)

    def step():
        loss = loss_fn(model(xx), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def spiral_data(n_per_class=100, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for c in range(classes):
        r = np.linspace(0.0, 1.0, n_per_class)
        t = np.linspace(c * 4, (c + 1) * 4, n_per_class) + rng.standard_normal(n_per_class) * 0.2
        xs.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        ys.append(np.full(n_per_class, c))
    return np.concatenate(xs), np.concatenate(ys)


def mlp_step(lib):
    """Build the spiral MLP; return a function doing one training step."""
    x0, y0 = spiral_data()
    x = lib.tensor(x0, dtype=lib.float64)
    y = lib.tensor(y0, dtype=lib.int64)
    nn = lib.nn
    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3)).to(lib.float64)
    loss_fn = nn.CrossEntropyLoss()
    opt = lib.optim.Adam(model.parameters(), lr=1e-2)

    def step():
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def side_by_side(steps, n, rounds):
    """Seconds per step of each function, per round: the functions take turns, ``n`` steps each."""
    for step in steps:
        for _ in range(5):
            step()
    times = [[] for _ in steps]
    for _ in range(rounds):
        for k, step in enumerate(steps):
            t0 = time.perf_counter()
            for _ in range(n):
                step()
            times[k].append((time.perf_counter() - t0) / n)
    return times


def main(quick=False, rounds=15):
    import srcgrad

    libs = [("srcgrad", srcgrad)]
    try:
        import torch

        torch.set_num_threads(1)
        libs.append(("torch", torch))
    except ImportError:
        pass
    n = 10 if quick else 50
    rounds = 3 if quick else rounds
    print(f"median over {rounds} rounds of {n} steps")
    print(f"{'model':<28}" + "".join(f"{name:>14}" for name, _ in libs)
          + ("  srcgrad/torch     (range)" if len(libs) > 1 else ""))
    for label, build in [("polynomial (Linear 3->1)", polynomial_step), ("spiral MLP (2-64-64-3)", mlp_step)]:
        times = side_by_side([build(lib) for _, lib in libs], n, rounds)
        row = f"{label:<28}" + "".join(f"{np.median(t) * 1e6:>11.1f} us" for t in times)
        if len(times) > 1:
            ratios = np.array(times[0]) / np.array(times[1])
            row += f"{np.median(ratios):>15.3f}  {ratios.min():.3f}-{ratios.max():.3f}"
        print(row)


if __name__ == "__main__":
    main(quick="--quick" in sys.argv,
         rounds=int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 15)
