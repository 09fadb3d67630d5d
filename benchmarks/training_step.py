"""Time per training step of two small models, srcgrad against PyTorch CPU, side by side.

1. The polynomial regression of ``examples/polynomial_regression.py``:
   ``nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1))``, ``MSELoss(reduction="sum")``,
   RMSprop, 2000 points.
2. The spiral classifier's MLP of ``examples/spiral_classifier.py``: 2 -> 64 -> 64 -> 3
   with ReLU, ``CrossEntropyLoss``, Adam, 300 points.

Both libraries run the same script text (the module is passed in), in float64
with one thread. Run: ``python benchmarks/training_step.py``. Prints a table;
asserts nothing.
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


def per_step(step, n):
    for _ in range(5):
        step()
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        best = min(best, (time.perf_counter() - t0) / n)
    return best


def main(quick=False):
    import srcgrad

    libs = [("srcgrad", srcgrad)]
    try:
        import torch

        torch.set_num_threads(1)
        libs.append(("torch", torch))
    except ImportError:
        pass
    n = 20 if quick else 200
    print(f"{'model':<28}" + "".join(f"{name:>14}" for name, _ in libs) + ("  srcgrad/torch" if len(libs) > 1 else ""))
    for label, build in [("polynomial (Linear 3->1)", polynomial_step), ("spiral MLP (2-64-64-3)", mlp_step)]:
        times = [per_step(build(lib), n) for _, lib in libs]
        row = f"{label:<28}" + "".join(f"{t * 1e6:>11.1f} us" for t in times)
        if len(times) > 1:
            row += f"{times[0] / times[1]:>15.2f}"
        print(row)


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
