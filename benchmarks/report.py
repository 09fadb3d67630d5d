"""The performance table of issue 11: each workload's ratio against its reference and target, pass or miss.

Run: ``OPENBLAS_NUM_THREADS=1 python benchmarks/report.py [--repeat N] [--markdown] [--dynamic] [--chart PATH]``.
Runs the scripts in ``benchmarks/`` that measure the table's rows (``globals_bench``: the compiler on data in
module globals; ``transform_time``: transform time against function length), ``N`` times (default 3), and prints
one line per row with the least of the ``N`` figures (the machine is shared: load only ever makes a figure worse),
the target, and whether the figure meets it. ``--markdown`` prints the table as docs/performance.md shows it.
The dynamic-mode rows (``tape_overhead``: the tape per op; ``training_step``: training steps against PyTorch
eager, CPU time, float32) need PyTorch installed and are left out without it; ``--dynamic`` prints only them.
After the table comes the peer table: for every row, the system srcgrad is compared with (PyTorch eager, or
the hand-written or strength-reduced code), both times where the script measures them, and the ratio.
``--chart PATH`` also draws the ratios (log scale, one bar per workload, the targets marked) into a PNG file,
when matplotlib is installed.
"""

import argparse
import os
import sys
from dataclasses import dataclass

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks import globals_bench, tape_overhead, training_step, transform_time  # noqa: E402

LINEAR_SLACK = 1.3
"""Transform time counts as linear when a line of the long function costs at most this much more than a line
of the short one."""

REFERENCES = {"hand": "hand-written gradient", "floor": "strength-reduced hand-written gradient"}


@dataclass
class Row:
    """One workload's measurement.

    Attributes:
        name: the workload.
        figure: the figure as the table prints it.
        target: the target as the table prints it ("" for none).
        met: whether the target is met (``None`` without a target).
        ratio: srcgrad's time over the reference's (``None`` for a row that is not a ratio).
        goal: the target ratio (``None`` for none).
        peer: what srcgrad is compared with.
        ours, theirs: the two times in seconds, where the script gives them.
    """

    name: str
    figure: str
    target: str
    met: object
    ratio: object = None
    goal: object = None
    peer: str = ""
    ours: object = None
    theirs: object = None


def rows(repeat=3):
    """Measure every compiler row ``repeat`` times.

    Returns:
        A list of ``Row``, with the data-as-arguments figures of the compiler rows (for comparison) in the
        figure text.
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
            Row(
                f"{name} (data in globals)",
                f"{g:.2f}x {ref} (as arguments: {a:.2f}x)",
                f"<= {target}x {ref}",
                g <= target,
                g,
                target,
                REFERENCES[ref],
            )
        )
    times = [transform_time.measure((200, 1000), runs=2) for _ in range(repeat)]
    short, long_ = min(t[200] for t in times), min(t[1000] for t in times)
    growth = (long_ / 1000) / (short / 200)
    out.append(
        Row(
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
        A list of ``Row``; empty without PyTorch.
    """
    out = []
    per_op = [tape_overhead.measure() for _ in range(repeat)]
    if per_op[0] is None:
        return out
    ours, theirs = min(p[0] for p in per_op), min(p[1] for p in per_op)
    ratio = ours / theirs
    out.append(
        Row(
            "tape, per op on 0-d values, forward + backward",
            f"{ratio:.2f}x PyTorch eager ({ours * 1e6:.1f} us / {theirs * 1e6:.1f} us)",
            "<= 0.5x",
            ratio <= 0.5,
            ratio,
            0.5,
            "PyTorch eager",
            ours,
            theirs,
        )
    )
    runs = [training_step.measure() for _ in range(repeat)]
    for k, (label, _, _, target) in enumerate(runs[0]):
        ours, theirs = min(run[k][1] for run in runs), min(run[k][2] for run in runs)
        ratio = ours / theirs
        figure = f"{ratio:.2f}x PyTorch eager ({ours * 1e3:.2f} ms / {theirs * 1e3:.2f} ms)"
        out.append(
            Row(
                label,
                figure,
                "" if target is None else f"<= {target}x",
                None if target is None else ratio <= target,
                ratio,
                target,
                "PyTorch eager",
                ours,
                theirs,
            )
        )
    return out


def peer_table(table):
    """The peer table in Markdown: each row's reference system, both times where measured, the ratio.

    Args:
        table: a list of ``Row``.

    Returns:
        The table's lines.
    """
    lines = ["| workload | compared with | srcgrad | peer | srcgrad / peer | target |", "|---|---|---|---|---|---|"]
    for row in table:
        if row.ratio is None:
            continue
        ours = "" if row.ours is None else _time(row.ours)
        theirs = "" if row.theirs is None else _time(row.theirs)
        goal = "" if row.goal is None else f"<= {row.goal}"
        lines.append(f"| {row.name.strip()} | {row.peer} | {ours} | {theirs} | {row.ratio:.2f} | {goal} |")
    return lines


def chart(table, path):
    """Draw every row's ratio as a bar (log scale, 1 marked, each target a tick) into the PNG file ``path``.

    Args:
        table: a list of ``Row``.
        path: where to write the PNG.

    Returns:
        True when written; False without matplotlib.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    shown = [row for row in table if row.ratio is not None]
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(shown) + 1.3), dpi=72)
    ys = list(range(len(shown)))
    colors = ["#999999" if row.met is None else "#4c956c" if row.met else "#d1495b" for row in shown]
    ax.barh(ys, [row.ratio for row in shown], color=colors, height=0.6)
    for y, row in zip(ys, shown):
        if row.goal is not None:
            ax.plot([row.goal, row.goal], [y - 0.42, y + 0.42], color="black", linewidth=2.5)
        ax.text(max(row.ratio, row.goal or 0) * 1.04, y, f"{row.ratio:.2f}x", va="center", fontsize=9)
    ax.axvline(1.0, color="gray", linestyle=":", linewidth=1)
    ax.set_xscale("log")
    values = [row.ratio for row in shown] + [row.goal for row in shown if row.goal is not None]
    ax.set_xlim(min(values) * 0.8, max(values) * 1.4)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%gx"))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xticks([t for t in (0.25, 0.5, 1, 2, 4, 8) if min(values) * 0.8 <= t <= max(values) * 1.4])
    ax.set_yticks(ys, [_label(row) for row in shown], fontsize=9)
    ax.invert_yaxis()
    ax.set_xlabel("srcgrad time / peer time (log scale)", fontsize=9)
    ax.set_title("black tick: target; green: met, red: missed, gray: no target", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def _label(row):
    name = row.name.replace("training step: ", "").replace(" (data in globals)", " (globals)").strip()
    name = name if len(name) <= 44 else name[:41] + "..."
    return f"{name}\nvs {row.peer}"


def _time(seconds):
    return f"{seconds * 1e6:.1f} us" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


def main(argv=None):
    """Measure every row and print the table, the peer table and (with --chart) a PNG.

    Args:
        argv: the command-line arguments (``sys.argv[1:]`` when None).
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds per row (default 3)")
    parser.add_argument("--markdown", action="store_true", help="print the rows as a markdown table")
    parser.add_argument("--dynamic", action="store_true", help="only the dynamic-mode (tape) rows")
    parser.add_argument("--chart", metavar="PATH", help="also draw the ratios into a PNG (needs matplotlib)")
    args = parser.parse_args(argv)
    table = dynamic_rows(args.repeat) if args.dynamic else rows(args.repeat) + dynamic_rows(args.repeat)
    if args.markdown:
        print("| workload | srcgrad | target | |\n|---|---|---|---|")
        for row in table:
            print(f"| {row.name} | {row.figure} | {row.target} | {_verdict(row.met, 'met', 'missed')} |")
    else:
        width = max(len(row.name) for row in table)
        for row in table:
            print(f"{row.name:{width}s}  {row.figure:45s}  {row.target:36s}  {_verdict(row.met, 'PASS', 'MISS')}")
    print()
    print("\n".join(peer_table(table)))
    if args.chart:
        print(f"chart written to {args.chart}" if chart(table, args.chart) else "no chart: matplotlib is not installed")


def _verdict(met, yes, no):
    return "" if met is None else yes if met else no


if __name__ == "__main__":
    main()
