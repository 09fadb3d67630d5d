"""What ``import srcgrad.numpy as np`` costs on the tape beside ``import numpy as np``, side by side.

The same dynamic-mode function runs with ``np`` bound to numpy and to ``srcgrad.numpy`` (its ufuncs and
reductions are stand-ins that look for lists holding Tensors before calling numpy's): a chain of 2000
ufuncs and reductions on a 0-d Tensor, forward and backward, where the cost is all bookkeeping. A third
row builds ``np.array([x, 2 * x, x * x])`` with ``srcgrad.numpy`` beside the ``np.stack`` plain numpy needs.

Run: ``python benchmarks/srcgrad_numpy_overhead.py``. Prints a table; asserts nothing.
"""

import time

import numpy

import srcgrad as sg
import srcgrad.numpy


def best_of_pair(first, second, repeat=9):
    """The fastest timings of ``first()`` and ``second()`` in seconds, run alternately (the machine's
    load then weighs on both alike)."""
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for k, fn in enumerate((first, second)):
            t0 = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - t0)
    return best


def chain(np, n=2000):
    x = sg.tensor(0.5, requires_grad=True)

    def run():
        y = x
        for i in range(n):
            y = np.sin(y) if i % 2 else np.sum(np.multiply(y, 1.0001))
        y.backward()

    return run


def lists(np, build, n=500):
    x = sg.tensor(0.5, requires_grad=True)

    def run():
        y = x
        for _ in range(n):
            y = np.mean(build(np, y)) * 0.5
        y.backward()

    return run


def main():
    rows = [
        ("chain of 2000 ops", chain(numpy), chain(srcgrad.numpy)),
        (
            "500 x mean of a 3-list",
            lists(numpy, lambda np, y: np.stack([y, 2 * y, y * y])),
            lists(srcgrad.numpy, lambda np, y: np.array([y, 2 * y, y * y])),
        ),
    ]
    print(f"{'workload':28s} {'numpy (ms)':>11s} {'srcgrad.numpy (ms)':>19s} {'ratio':>6s}")
    for name, plain, ours in rows:
        a, b = best_of_pair(plain, ours)
        print(f"{name:28s} {a * 1e3:11.2f} {b * 1e3:19.2f} {b / a:6.2f}")


if __name__ == "__main__":
    main()
