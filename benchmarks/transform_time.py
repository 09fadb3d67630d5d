"""Transform time of long straight-line functions: is it linear in the function's length?

Run: ``python benchmarks/transform_time.py [LINES ...]`` (default 200 and 1000). Writes a function of so many
lines of numpy arithmetic (one or two operations a line, each reading one or two earlier values),
then times ``srcgrad.grad`` making its gradient for arrays from an empty cache: the least process CPU time
of a few runs (the machine is shared: CPU time does not count the time other processes hold the cores, and
the least is the figure load disturbs least), and the time per line.
"""

import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import srcgrad  # noqa: E402
from srcgrad.compiler import clear_cache  # noqa: E402

_TEMPLATES = (
    "v{i} = v{a} * w + x",
    "v{i} = np.sin(v{a})",
    "v{i} = v{a} * v{b}",
    "v{i} = np.tanh(v{a}) + 0.5",
    "v{i} = v{a} - v{c}",
    "v{i} = np.exp(-v{a})",
    "v{i} = v{a} / (1.0 + v{b})",
)


def straight_line_source(n_lines, name="long_function"):
    """The text of a function of ``x`` and ``w`` with ``n_lines`` lines in its body (the last one its return)."""
    lines = [f"def {name}(x, w):", "    v0 = x * w"]
    for i in range(1, n_lines - 1):
        a, b, c = i - 1, max(0, i - 2), max(0, i - 5)
        lines.append("    " + _TEMPLATES[i % len(_TEMPLATES)].format(i=i, a=a, b=b, c=c))
    lines.append(f"    return np.sum(v{n_lines - 2})")
    return "\n".join(lines) + "\n"


def straight_line_function(n_lines):
    """``straight_line_source(n_lines)`` compiled, with its source attached for ``srcgrad.grad``."""
    text = straight_line_source(n_lines)
    namespace = {"np": np}
    exec(compile(text, f"<straight_line_{n_lines}>", "exec"), namespace)
    return namespace["long_function"], text


def transform_seconds(n_lines, runs=3):
    """The least CPU time of ``runs`` uncached transformations of the ``n_lines`` function, in seconds."""
    fn, text = straight_line_function(n_lines)
    args = (np.linspace(0.1, 0.9, 5), np.linspace(-0.5, 0.5, 5))
    srcgrad.grad(fn, wrt=(0, 1), source=text).source_for(*args)  # warm: rule templates, imports
    best = float("inf")
    for _ in range(runs):
        clear_cache()
        t0 = time.process_time()
        srcgrad.grad(fn, wrt=(0, 1), source=text).source_for(*args)
        best = min(best, time.process_time() - t0)
    return best


def measure(sizes=(200, 1000), runs=3):
    """``{lines: best seconds}`` for each size."""
    return {n: transform_seconds(n, runs) for n in sizes}


def main():
    sizes = tuple(int(a) for a in sys.argv[1:]) or (200, 1000)
    times = measure(sizes)
    for n, t in times.items():
        print(f"{n:5d} lines: {t:7.3f} s  ({t / n * 1e3:.2f} ms per line)")


if __name__ == "__main__":
    main()
