"""Memory and time of a checkpointed gradient (``grad(f, checkpoint=True)``) against the stored one.

The recurrence of issue 14: ``h = np.tanh(W @ h + U * xs[t])``, hidden size 32, T steps. Peak memory is
``tracemalloc``'s peak during one gradient call (numpy reports its buffers to it); time is the best of a few
calls. Prints a markdown table for docs/performance.md.

    python benchmarks/checkpoint_memory.py            # T = 1,000 ... 100,000
    python benchmarks/checkpoint_memory.py 20000      # one T
    python benchmarks/checkpoint_memory.py --while 20000   # the same recurrence as a while loop
    python benchmarks/checkpoint_memory.py --kind append 20000   # other loop kinds (KINDS below)
    python benchmarks/checkpoint_memory.py --snapshots 10 20000  # checkpoint=10: the binomial schedule
"""

import os
import sys
import time
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import srcgrad  # noqa: E402


def rnn(h, W, U, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U * xs[t])
    return np.sum(h)


def rnn_while(h, W, U, xs):
    t = 0
    while t < xs.shape[0]:
        h = np.tanh(W @ h + U * xs[t])
        t = t + 1
    return np.sum(h)


def rnn_break(h, W, U, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U * xs[t])
        if xs[t] > 100.0:  # never true: the same steps, in a loop that may break
            break
    return np.sum(h)


def rnn_append(h, W, U, xs):
    hs = []
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U * xs[t])
        hs.append(h[0])
    return np.sum(h) + np.sum(np.array(hs) ** 2)


def rnn_fill(h, W, U, xs):
    out = np.zeros(xs.shape[0])
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U * xs[t])
        out[t] = h[0]
    return np.sum(h) + np.sum(out**2)


def rnn_nested(h, W, U, xs):
    for t in range(xs.shape[0] // 4):
        j = 0
        while j < 4:
            h = np.tanh(W @ h + U * xs[4 * t + j])
            j = j + 1
    return np.sum(h)


KINDS = {
    "range": rnn,
    "while": rnn_while,
    "break": rnn_break,
    "append": rnn_append,
    "fill": rnn_fill,
    "nested": rnn_nested,
}


def measure(df, args, repeat=3):
    """``(gradients, peak bytes, best seconds)`` of ``df(*args)``."""
    df(*args)  # transformed and warm
    tracemalloc.start()
    grads = df(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        df(*args)
        best = min(best, time.perf_counter() - t0)
    return grads, peak, best


def main(steps, fn=rnn, checkpoint=True):
    rng = np.random.default_rng(0)
    hidden = 32
    h0, U = rng.normal(size=hidden), rng.normal(size=hidden)
    W = rng.normal(size=(hidden, hidden)) / np.sqrt(hidden)
    stored = srcgrad.grad(fn, wrt=(1, 2))
    checkpointed = srcgrad.grad(fn, wrt=(1, 2), checkpoint=checkpoint)
    print("| T | stored peak | checkpointed peak | ratio | stored time | checkpointed time | ratio | max difference |")
    print("|---|---|---|---|---|---|---|---|")
    for T in steps:
        args = (h0, W, U, rng.normal(size=T))
        repeat = 3 if T < 50000 else 1
        g0, m0, t0 = measure(stored, args, repeat)
        g1, m1, t1 = measure(checkpointed, args, repeat)
        diff = max(float(np.max(np.abs(a - b))) for a, b in zip(g0, g1))
        print(
            f"| {T:,} | {m0 / 2**20:.1f} MiB | {m1 / 2**20:.2f} MiB | {m1 / m0:.1%} | {t0 * 1e3:.0f} ms | "
            f"{t1 * 1e3:.0f} ms | {t1 / t0:.2f}x | {diff:.1e} |"
        )


if __name__ == "__main__":
    argv = sys.argv[1:]
    kind = "while" if "--while" in argv else "range"
    if "--kind" in argv:
        kind = argv.pop(argv.index("--kind") + 1)
    checkpoint = int(argv.pop(argv.index("--snapshots") + 1)) if "--snapshots" in argv else True
    main([int(a) for a in argv if a.isdigit()] or [1000, 10000, 20000, 100000], KINDS[kind], checkpoint)
