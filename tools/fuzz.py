"""Fuzz srcgrad with random numpy programs, in every mode, against finite differences.

Usage::

    python tools/fuzz.py --seed 0 --count 1000 --out fuzz-findings
    python tools/fuzz.py --seed 0 --start 123 --count 1 --show      # print program 123 and its verdicts
    python tools/fuzz.py --themes views,containers --count 200      # only programs of these themes
    python tools/fuzz.py --exclude view,aug,index_write --count 500  # no in-place updates (a known bug)

Each program is written to a file, run plainly, differentiated by finite
differences, and judged in static mode (``grad``, ``grad-noopt``), forward mode
(``jvp``) and dynamic mode (``dynamic``); see ``tests/fuzzing/``. The run prints
one line per new finding as it appears and a summary line at the end:

    fuzz seed=0 programs=1000 judged=990 | grad: pass ... refused ... wrong ... crash ... badmsg ... skipped ... | ...

With ``--out DIR`` each distinct finding is shrunk and written to ``DIR`` as a
standalone repro (run it with Python), and listed in ``DIR/findings.jsonl``.
Long runs: ``nice -n 10`` and ``OPENBLAS_NUM_THREADS=1``. Exit status 1 when a
wrong gradient was found.
"""

import argparse
import os
import pathlib
import sys

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from fuzzing.oracle import ALL_MODES, MODES, NotJudged, judge_mode, prepare  # noqa: E402
from fuzzing.programs import generate  # noqa: E402
from fuzzing.run import Run  # noqa: E402
from fuzzing.statements import STATEMENT_KINDS, THEMES  # noqa: E402


def show(seed, index, modes, themes, exclude):
    import tempfile

    program = generate(seed, index, themes, exclude=exclude)
    print(f"# program {seed}_{index}, themes {', '.join(program.themes)}, wrt {program.wrt}")
    print(program.source())
    with tempfile.TemporaryDirectory() as work:
        try:
            loaded = prepare(program, work)
        except NotJudged as e:
            print(f"not judged: {e}")
            return
        print(f"# value {loaded.value!r}")
        for mode in modes:
            verdict, _ = judge_mode(loaded, mode)
            print(f"# {mode}: {verdict.status} {verdict.detail}")


def limit_memory(megabytes):
    """Cap this process's address space, so a program that allocates without end fails instead of the machine."""
    try:
        import resource
    except ImportError:  # not on this platform: run without a cap
        return
    cap = megabytes * 2**20
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--count", type=int, default=100, help="programs to run")
    parser.add_argument("--start", type=int, default=0, help="index of the first program")
    parser.add_argument(
        "--modes",
        default=",".join(MODES),
        help=f"comma-separated, from {', '.join(ALL_MODES)} (default {','.join(MODES)}); 'all' for every one",
    )
    parser.add_argument("--themes", default=None, help=f"force these themes (from {', '.join(THEMES)})")
    parser.add_argument(
        "--exclude",
        default="",
        help=f"statement kinds never to generate (from {', '.join(STATEMENT_KINDS)}), e.g. "
        "view,aug,index_write to look past a known bug of in-place updates",
    )
    parser.add_argument("--out", default=None, help="directory for shrunk repros and findings.jsonl")
    parser.add_argument("--no-shrink", action="store_true", help="write findings as generated")
    parser.add_argument("--shrink-budget", type=float, default=60.0, help="seconds per finding")
    parser.add_argument("--time-limit", type=float, default=30.0, help="seconds per mode per program")
    parser.add_argument("--show", action="store_true", help="print each program and its verdicts instead")
    parser.add_argument("--refusals", action="store_true", help="also print the commonest refusals per mode")
    parser.add_argument(
        "--max-memory-mb",
        type=int,
        default=3072,
        help="address-space limit of this process (a runaway program then fails with MemoryError)",
    )
    args = parser.parse_args(argv)
    limit_memory(args.max_memory_mb)
    modes = ALL_MODES if args.modes == "all" else tuple(m for m in args.modes.split(",") if m)
    unknown = set(modes) - set(ALL_MODES)
    if unknown:
        parser.error(f"unknown modes {sorted(unknown)}")
    themes = tuple(args.themes.split(",")) if args.themes else None
    if themes and set(themes) - set(THEMES):
        parser.error(f"unknown themes {sorted(set(themes) - set(THEMES))}")
    exclude = tuple(k for k in args.exclude.split(",") if k)
    if set(exclude) - set(STATEMENT_KINDS):
        parser.error(f"unknown statement kinds {sorted(set(exclude) - set(STATEMENT_KINDS))}")
    if args.show:
        for index in range(args.start, args.start + args.count):
            show(args.seed, index, modes, themes, exclude)
        return 0
    run = Run(
        args.seed,
        args.count,
        args.start,
        modes,
        args.out,
        not args.no_shrink,
        args.shrink_budget,
        time_limit=args.time_limit,
        themes=themes,
        exclude=exclude,
        log=lambda line: print(line, flush=True),
    )
    summary = run.run()
    if args.refusals:
        for mode in modes:
            print(f"-- {mode}: commonest refusals")
            for key, n in summary.refusals[mode].most_common(8):
                print(f"   {n:5d}  {key}")
    if summary.not_judged:
        print("-- not judged: " + "; ".join(f"{n} {why}" for why, n in summary.not_judged.most_common()))
    for f in summary.findings:
        print(f"-- {f.mode} {f.status} x{f.count} (first {f.first}): {f.detail}" + (f" [{f.repro}]" if f.repro else ""))
    print(summary.line(modes))
    return 1 if any(summary.counts[m]["wrong"] for m in modes) else 0


if __name__ == "__main__":
    sys.exit(main())
