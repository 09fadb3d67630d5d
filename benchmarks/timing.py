"""Timing helpers shared by the benchmarks: functions timed interleaved, so load on a shared machine hits
all alike, and figures that are minima (best of many) or medians over rounds."""

import timeit

import numpy as np


def side_by_side(fns, number=5, repeat=15):
    """The best time per call of each function, timed interleaved ``repeat`` times (``number`` calls each).

    Args:
        fns: callables without arguments; the first is the one measured, the last the reference.
        number: calls per timing.
        repeat: timings per function.

    Returns:
        A list of seconds per call, one per function.
    """
    times = [float("inf")] * len(fns)
    for _ in range(repeat):
        for k, fn in enumerate(fns):
            times[k] = min(times[k], timeit.timeit(fn, number=number) / number)
    return times


def rounds(fns, number=5, n_rounds=5):
    """``side_by_side`` ``n_rounds`` times.

    Returns:
        ``(medians, ratios)``: the median over the rounds of each function's time, and each round's ratio of
        the first function's time to the last's.
    """
    runs = [side_by_side(fns, number) for _ in range(n_rounds)]
    medians = [float(np.median([r[k] for r in runs])) for k in range(len(fns))]
    return medians, [r[0] / r[-1] for r in runs]
