"""One operation with many Tensor arguments: ``srcgrad.stack`` and ``np.concatenate`` of n leaves.

Times forward plus backward of ``(stack(xs) ** 2).sum()`` for n = 2,500,
20,000 and 100,000 scalar leaves (and ``np.concatenate`` of n short vectors),
side by side with PyTorch when it is installed. The cost must grow linearly
in n: the rule registry scans a variadic rule's parameters once per call, and
the tape asks ``stack``/``concatenate`` for all n cotangents in one call
(``Rule.vjp_all``) instead of n calls that each pass all n arguments.

Run: ``python benchmarks/many_arguments.py [n ...]``. Prints a table; asserts nothing.
"""

import sys
import time

import numpy as np

import srcgrad as sg


def stack_srcgrad(n):
    xs = [sg.tensor(np.float64(i), requires_grad=True) for i in range(n)]
    t0 = time.perf_counter()
    (sg.stack(xs) ** 2).sum().backward()
    return time.perf_counter() - t0


def concat_srcgrad(n):
    xs = [sg.tensor(np.ones(3), requires_grad=True) for _ in range(n)]
    t0 = time.perf_counter()
    (np.concatenate(xs) ** 2).sum().backward()
    return time.perf_counter() - t0


def stack_torch(torch, n):
    xs = [torch.tensor(float(i), dtype=torch.float64, requires_grad=True) for i in range(n)]
    t0 = time.perf_counter()
    (torch.stack(xs) ** 2).sum().backward()
    return time.perf_counter() - t0


def concat_torch(torch, n):
    xs = [torch.ones(3, dtype=torch.float64, requires_grad=True) for _ in range(n)]
    t0 = time.perf_counter()
    (torch.cat(xs) ** 2).sum().backward()
    return time.perf_counter() - t0


def main(sizes):
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None
    print(f"{'n':>8} {'op':>12} {'srcgrad s':>10} {'torch s':>9}")
    for n in sizes:
        for name, ours, theirs in (
            ("stack", stack_srcgrad, stack_torch),
            ("concatenate", concat_srcgrad, concat_torch),
        ):
            mine = ours(n)
            other = f"{theirs(torch, n):9.3f}" if torch is not None else f"{'-':>9}"
            print(f"{n:>8} {name:>12} {mine:10.3f} {other}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [2_500, 20_000, 100_000])
