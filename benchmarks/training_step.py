"""Time per training step of two small models, srcgrad against PyTorch CPU, side by side.

1. The polynomial regression of ``examples/polynomial_regression.py``:
   ``nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1))``, ``MSELoss(reduction="sum")``,
   RMSprop, 2000 points.
2. The spiral classifier's MLP of ``examples/spiral_classifier.py``: 2 -> 64 -> 64 -> 3
   with ReLU, ``CrossEntropyLoss``, Adam, 300 points.

Both libraries run the same script text (the module is passed in), in float64
with one thread.

``measure()`` times the dynamic-mode rows of issue 11's table instead (``benchmarks/report.py``
prints them), in float32 as PyTorch runs them by default:

3. an MLP 784 -> 256 ReLU -> 10, ``CrossEntropyLoss``, Adam, batch 128;
4. a CNN ``Conv2d(1, 8, 3)``, ReLU, ``MaxPool2d(2)``, ``Conv2d(8, 16, 3)``, ReLU, ``MaxPool2d(2)``,
   ``Linear(400, 10)``, ``CrossEntropyLoss``, SGD, 28x28 images, batch 64;
5. ``LSTM(32, 64)`` over 50 steps, batch 16, the mean square of its output as the loss, Adam
   (and its forward alone). The two are timed interleaved, in rounds of ``n`` steps each, so
load on a shared machine hits both alike; the table gives the median time per
step over the rounds and the median and range of the per-round ratios.
Run: ``python benchmarks/training_step.py [--quick] [--rounds N]``. Prints a
table; asserts nothing. ``--rows`` prints ``measure()``'s rows; ``--onednn`` times them against PyTorch with
and without oneDNN (``against_onednn()``); ``--faults`` counts the minor page faults of a step of each
(``page_faults()``).
"""

import math
import os
import sys
import time
import warnings

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


def _float32_data(lib, *shape, classes=None, seed=0):
    rng = np.random.default_rng(seed)
    x = lib.tensor(rng.standard_normal(shape).astype(np.float32))
    if classes is None:
        return x
    return x, lib.tensor(rng.integers(0, classes, shape[0]), dtype=lib.int64)


def _train(model, loss_fn, opt, x, y):
    def step():
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def mlp784_step(lib):
    """MLP 784 -> 256 ReLU -> 10 with Adam on a batch of 128 (float32): one training step."""
    nn = lib.nn
    x, y = _float32_data(lib, 128, 784, classes=10)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)).to(lib.float32)
    return _train(model, nn.CrossEntropyLoss(), lib.optim.Adam(model.parameters(), lr=1e-3), x, y)


def cnn_step(lib):
    """Conv(1,8,3)-pool-Conv(8,16,3)-pool-Linear with SGD on 64 images of 28x28 (float32): one training step."""
    nn = lib.nn
    x, y = _float32_data(lib, 64, 1, 28, 28, classes=10)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 10),
    ).to(lib.float32)
    return _train(model, nn.CrossEntropyLoss(), lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9), x, y)


def _lstm(lib):
    lstm = lib.nn.LSTM(32, 64).to(lib.float32)
    return lstm, _float32_data(lib, 50, 16, 32)


def lstm_step(lib):
    """LSTM(32 -> 64) over 50 steps, batch 16, with Adam (float32): one training step."""
    lstm, x = _lstm(lib)
    opt = lib.optim.Adam(lstm.parameters(), lr=1e-3)

    def step():
        out, _ = lstm(x)
        loss = (out * out).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def lstm_forward(lib):
    """The forward alone of ``lstm_step``'s model (recording the tape, as in training)."""
    lstm, x = _lstm(lib)

    def step():
        out, _ = lstm(x)
        return (out * out).mean()

    return step


ROWS = [
    ("training step: MLP 784-256-10 + Adam, batch 128", mlp784_step, 1.0),
    ("training step: CNN Conv(1,8,3)-pool-Conv(8,16,3)-pool-Linear + SGD, 28x28 batch 64", cnn_step, 1.0),
    ("training step: LSTM(32->64) over 50 steps, batch 16 + Adam", lstm_step, 1.0),
    ("  LSTM forward alone", lstm_forward, None),
]
"""Issue 11's dynamic-mode training rows: ``(workload, builder, target ratio or None)``."""


def measure(rounds=7, seconds=0.05):
    """Time every row of ``ROWS``, srcgrad against PyTorch, interleaved.

    Each round runs each library's step for about ``seconds`` of CPU time; a
    row's figure is the least CPU time per step over the rounds of each library
    (the machine is shared: load only ever makes a figure worse), then their ratio.

    Returns:
        A list of ``(workload, srcgrad seconds, torch seconds, target)``; empty without torch.
    """
    import srcgrad

    try:
        import torch
    except ImportError:
        return []
    torch.set_num_threads(1)
    out = []
    for label, build, target in ROWS:
        steps = [build(srcgrad), build(torch)]
        best = [math.inf, math.inf]
        for step in steps:
            step()
        n = [max(1, int(seconds / _cpu_time(step, 1))) for step in steps]
        for _ in range(rounds):
            for k, step in enumerate(steps):
                best[k] = min(best[k], _cpu_time(step, n[k]))
        out.append((label, best[0], best[1], target))
    return out


def against_onednn(rounds=10, n=5):
    """Time every row of ``ROWS`` with srcgrad, PyTorch, and PyTorch told not to use oneDNN, interleaved.

    PyTorch's CPU build runs ``nn.LSTM`` (float32) as one oneDNN kernel per layer and ``Conv2d`` on oneDNN's
    convolutions; ``torch.backends.mkldnn.flags(enabled=False)`` makes it run them as its own operations (an
    LSTM step by step), which is what srcgrad does with numpy. Each round runs each of the three ``n`` steps;
    the ratios are medians over the rounds of the per-round ratios.

    Returns:
        A list of ``(workload, srcgrad / PyTorch, srcgrad / PyTorch without oneDNN)``; empty without torch.
    """
    import srcgrad

    try:
        import torch
    except ImportError:
        return []
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", message="TF32 acceleration on top of oneDNN")  # said on every flags()

    def without(step):
        def run():
            with torch.backends.mkldnn.flags(enabled=False):
                step()

        return run

    out = []
    for label, build, _ in ROWS:
        steps = [build(srcgrad), build(torch), without(build(torch))]
        for step in steps:
            step()
        times = [[_cpu_time(step, n) for step in steps] for _ in range(rounds)]
        ours, theirs, plain = (np.array(column) for column in zip(*times))
        out.append((label, float(np.median(ours / theirs)), float(np.median(ours / plain))))
    return out


def page_faults(steps=20):
    """Minor page faults per training step of every row of ``ROWS``, srcgrad beside PyTorch.

    A minor fault is the system handing the process a page of memory it had given back; on the shared
    machine each costs about a microsecond. glibc gives the top of its heap back at the end of a step when
    enough of it is free, and the next step's fresh arrays fault their pages in again; PyTorch's steps take
    none. Unix only (``resource``).

    Returns:
        A list of ``(workload, srcgrad faults per step, PyTorch faults per step or None)``.
    """
    import resource

    import srcgrad

    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None

    def per_step(step):
        for _ in range(3):
            step()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(steps):
            step()
        return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / steps

    return [
        (label, per_step(build(srcgrad)), None if torch is None else per_step(build(torch))) for label, build, _ in ROWS
    ]


def _cpu_time(step, n):
    t0 = time.process_time()
    for _ in range(n):
        step()
    return (time.process_time() - t0) / n


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
    print(
        f"{'model':<28}"
        + "".join(f"{name:>14}" for name, _ in libs)
        + ("  srcgrad/torch     (range)" if len(libs) > 1 else "")
    )
    for label, build in [("polynomial (Linear 3->1)", polynomial_step), ("spiral MLP (2-64-64-3)", mlp_step)]:
        times = side_by_side([build(lib) for _, lib in libs], n, rounds)
        row = f"{label:<28}" + "".join(f"{np.median(t) * 1e6:>11.1f} us" for t in times)
        if len(times) > 1:
            ratios = np.array(times[0]) / np.array(times[1])
            row += f"{np.median(ratios):>15.3f}  {ratios.min():.3f}-{ratios.max():.3f}"
        print(row)


if __name__ == "__main__":
    if "--faults" in sys.argv:
        print(f"{'minor page faults per step':<85}{'srcgrad':>10}{'PyTorch':>10}")
        for label, ours, theirs in page_faults():
            print(f"{label:<85}{ours:10.0f}{'' if theirs is None else f'{theirs:10.0f}'}")
        sys.exit()
    if "--onednn" in sys.argv:
        print(f"{'workload':<85}{'/ PyTorch':>12}{'/ PyTorch without oneDNN':>27}")
        for label, default, plain in against_onednn():
            print(f"{label:<85}{default:11.2f}x{plain:26.2f}x")
        sys.exit()
    if "--rows" in sys.argv:
        for label, ours, theirs, target in measure():
            print(f"{label:<85}{ours * 1e3:9.2f} ms{theirs * 1e3:9.2f} ms{ours / theirs:8.2f}x")
        sys.exit()
    main(
        quick="--quick" in sys.argv,
        rounds=int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 15,
    )
