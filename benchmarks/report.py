"""The performance table of issue 11: each workload's ratio against its reference and target, pass or miss.

Run: ``OPENBLAS_NUM_THREADS=1 python benchmarks/report.py [--repeat N] [--markdown]``. Runs the scripts in
``benchmarks/`` that measure the table's rows (``globals_bench``: the compiler on data in module globals;
``transform_time``: transform time against function length), ``N`` times (default 3), and prints one line
per row with the least of the ``N`` figures (the machine is shared: load only ever makes a figure worse),
the target, and whether the figure meets it. ``--markdown`` prints the table as docs/performance.md shows it.
The dynamic-mode rows (``tape_overhead``: the tape per op; ``training_step``: training steps against PyTorch
eager, CPU time, float32) need PyTorch installed and are left out without it; ``--dynamic`` prints only them.
"""

import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks import globals_bench, tape_overhead, training_step, transform_time  # noqa: E402

LINEAR_SLACK = 1.3
"""Transform time counts as linear when a line of the long function costs at most this much more than a line
of the short one."""


def rows(repeat=3):
    """Measure every row ``repeat`` times.

    Returns:
        A list of ``(workload, figure text, target text, met)``, plus the data-as-arguments figures of the
        compiler rows (for comparison) in the figure text.
    """
    runs = [globals_bench.measure(n_rounds=3) for _ in range(repeat)]
    targets = {
        "Horner cubic + squared loss, 1000 Python floats": 2.0,
        "polynomial regression, 2000 points": 1.5,
        "MLP 64x1000 -> 100 relu -> 10": 1.05,
    }
    out = []
    for k, (name, ref, _, _, _) in enumerate(runs[0]):
        g = min(run[k][2] for run in runs)
        a = min(run[k][3] for run in runs)
        target = targets[name]
        out.append(
            (
                f"{name} (data in globals)",
                f"{g:.2f}x {ref} (as arguments: {a:.2f}x)",
                f"<= {target}x {ref}",
                g <= target,
            )
        )
    times = [transform_time.measure((200, 1000), runs=2) for _ in range(repeat)]
    short, long_ = min(t[200] for t in times), min(t[1000] for t in times)
    growth = (long_ / 1000) / (short / 200)
    out.append(
        (
            "transform time, 1000-line straight-line function",
            f"{long_:.2f} s (200 lines: {short:.2f} s; per line x{growth:.2f})",
            f"<= 1.0 s, linear (per line <= x{LINEAR_SLACK})",
            long_ <= 1.0 and growth <= LINEAR_SLACK,
        )
    )
    return out


def dynamic_rows(repeat=3):
    """Measure the dynamic-mode rows ``repeat`` times (the least figures count).

    Returns:
        Rows as ``rows`` gives them; none without PyTorch.
    """
    out = []
    per_op = [tape_overhead.measure() for _ in range(repeat)]
    if per_op[0] is None:
        return out
    ours, theirs = min(p[0] for p in per_op), min(p[1] for p in per_op)
    ratio = ours / theirs
    out.append(
        (
            "tape, per op on 0-d values, forward + backward",
            f"{ratio:.2f}x PyTorch eager ({ours * 1e6:.1f} us / {theirs * 1e6:.1f} us)",
            "<= 0.5x",
            ratio <= 0.5,
        )
    )
    runs = [training_step.measure() for _ in range(repeat)]
    for k, (label, _, _, target) in enumerate(runs[0]):
        ours, theirs = min(run[k][1] for run in runs), min(run[k][2] for run in runs)
        ratio = ours / theirs
        figure = f"{ratio:.2f}x PyTorch eager ({ours * 1e3:.2f} ms / {theirs * 1e3:.2f} ms)"
        out.append(
            (label, figure, "" if target is None else f"<= {target}x", None if target is None else ratio <= target)
        )
    return out


def main():
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 3
    table = dynamic_rows(repeat) if "--dynamic" in sys.argv else rows(repeat) + dynamic_rows(repeat)
    if "--markdown" in sys.argv:
        print("| workload | srcgrad | target | |\n|---|---|---|---|")
        for name, figure, target, met in table:
            print(f"| {name} | {figure} | {target} | {_verdict(met, 'met', 'missed')} |")
        return
    width = max(len(r[0]) for r in table)
    for name, figure, target, met in table:
        print(f"{name:{width}s}  {figure:45s}  {target:36s}  {_verdict(met, 'PASS', 'MISS')}")


def _verdict(met, yes, no):
    return "" if met is None else yes if met else no


if __name__ == "__main__":
    main()
