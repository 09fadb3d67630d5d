"""Tape overhead: forward + backward cost per recorded operation, side by side in one process.

Three workloads:

* a chain of 2000 elementwise ops on a 0-d Tensor and on a shape-(3,) Tensor:
  the cost is all bookkeeping; reported in microseconds per op and as a ratio
  to PyTorch eager (float64, one thread) when torch is installed;
* 100 elementwise ops on 1000x1000 arrays: the cost should be numpy's;
  reported as a ratio to plain numpy doing the forward plus a hand-written
  backward.

Run: ``python benchmarks/tape_overhead.py``. Prints a table; asserts nothing.
``measure()`` gives issue 11's row (the 0-d chain against PyTorch) to ``benchmarks/report.py``.
"""

import sys
import time

import numpy as np

import srcgrad as sg


def best_of(fn, repeat=5):
    """The fastest of ``repeat`` timings of ``fn()``, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def chain_srcgrad(shape, n):
    x = sg.tensor(np.full(shape, 0.5), requires_grad=True)

    def run():
        y = x
        for i in range(n):
            y = np.sin(y) if i % 2 else y * 1.0001
        y.sum().backward()
        x.grad = None

    return run


def chain_torch(torch, shape, n):
    x = torch.full(shape, 0.5, dtype=torch.float64, requires_grad=True)

    def run():
        y = x
        for i in range(n):
            y = torch.sin(y) if i % 2 else y * 1.0001
        y.sum().backward()
        x.grad = None

    return run


def chain_numpy_forward(shape, n):
    x = np.full(shape, 0.5)

    def run():
        y = x
        for i in range(n):
            y = np.sin(y) if i % 2 else y * 1.0001

    return run


def big_srcgrad(n, size):
    rng = np.random.default_rng(0)
    x = sg.tensor(rng.standard_normal((size, size)), requires_grad=True)

    def run():
        y = x
        for i in range(n):
            y = np.sin(y) if i % 2 else y * 1.0001
        y.backward(np.ones((size, size)))
        x.grad = None

    return run


def big_numpy(n, size):
    """The forward plus the backward a person would write by hand."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((size, size))

    def run():
        saved = []
        y = x
        for i in range(n):
            if i % 2:
                saved.append(y)
                y = np.sin(y)
            else:
                y = y * 1.0001
        g = np.ones((size, size))
        for i in reversed(range(n)):
            g = g * np.cos(saved.pop()) if i % 2 else g * 1.0001

    return run


def measure(n=2000, rounds=15):
    """Issue 11's tape row: CPU seconds per op of the 0-d chain, srcgrad and PyTorch, timed interleaved.

    Each figure is the least of ``rounds`` runs (the machine is shared: load only ever makes a figure worse).

    Returns:
        ``(srcgrad seconds per op, torch seconds per op)``, or ``None`` without torch.
    """
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    runs = [chain_srcgrad((), n), chain_torch(torch, (), n)]
    best = [float("inf")] * 2
    for _ in range(rounds):
        for k, run in enumerate(runs):
            t0 = time.process_time()
            run()
            best[k] = min(best[k], time.process_time() - t0)
    return best[0] / n, best[1] / n


def main(quick=False):
    n = 400 if quick else 2000
    torch = None
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    print(f"{'workload':<34}{'srcgrad':>12}{'numpy fwd':>12}{'torch':>12}{'srcgrad/torch':>15}")
    for shape in [(), (3,)]:
        ours = best_of(chain_srcgrad(shape, n)) / n * 1e6
        base = best_of(chain_numpy_forward(shape, n)) / n * 1e6
        theirs = best_of(chain_torch(torch, shape, n)) / n * 1e6 if torch else float("nan")
        label = f"chain of {n} ops, shape {shape}"
        print(f"{label:<34}{ours:>9.2f} us{base:>9.2f} us{theirs:>9.2f} us{ours / theirs:>15.2f}")
    size, ops = (300, 20) if quick else (1000, 100)
    ours = best_of(big_srcgrad(ops, size), repeat=3)
    hand = best_of(big_numpy(ops, size), repeat=3)
    label = f"{ops} ops on {size}x{size}"
    print(f"{label:<34}{ours * 1e3:>9.1f} ms{hand * 1e3:>9.1f} ms{'':>12}{'':>15}")
    print(f"ratio to numpy forward + hand-written backward: {ours / hand:.2f}")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
