"""What every example shares: command-line options, a progress bar, an optional plot.

tqdm and matplotlib are optional (``pip install -e ".[examples]"``): without
tqdm progress is printed as plain lines; without matplotlib no PNG is written.

Every example imports this module first, before numpy: it limits the BLAS
libraries to one thread (unless you set the variables yourself). The examples'
matrices are small, and several BLAS threads fighting over a few busy cores
made one of them twenty times slower (63 s instead of 3 s on two cores).
"""

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402 - after the thread limits, like everything that may load numpy
import sys  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def parse_args(description, steps, extra=None):
    """The options every example takes.

    Args:
        description: the example's one-line summary.
        steps: the default number of training steps.
        extra: an optional ``extra(parser)`` that adds the example's own options.

    Returns:
        The parsed arguments (``steps``, ``plot``, ``no_plot``, ``seed`` and the extra ones).
    """
    parser = argparse.ArgumentParser(description=description)
    if extra is not None:
        extra(parser)
    parser.add_argument(
        "--steps", type=count, default=steps, help=f"training steps (default {steps}; 0 runs no training)"
    )
    parser.add_argument("--plot", default=None, help="where to save the PNG plot (default: next to the script)")
    parser.add_argument("--no-plot", action="store_true", help="do not draw a plot")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    return parser.parse_args()


def count(text):
    """An argparse type: an integer, 0 or more."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


class progress:
    """Iterate over ``range(steps)`` with a tqdm bar, or plain lines every tenth of the way.

    Args:
        steps: how many steps.
        desc: a label.
    """

    def __init__(self, steps, desc="train"):
        self.steps = steps
        self.desc = desc
        self.bar = None
        try:
            from tqdm import tqdm

            self.bar = tqdm(total=steps, desc=desc, leave=False)
        except ImportError:
            pass
        self.every = max(1, steps // 10)

    def __iter__(self):
        for step in range(self.steps):
            yield step
            if self.bar is not None:
                self.bar.update(1)
        if self.bar is not None:
            self.bar.close()

    def report(self, step, **values):
        """Show the current values (on the bar, or as a line every tenth of the run)."""
        text = "  ".join(f"{k} {v:.6g}" for k, v in values.items())
        if self.bar is not None:
            self.bar.set_postfix_str(text)
        elif step % self.every == 0 or step == self.steps - 1:
            print(f"{self.desc} step {step:5d}  {text}")


def save_plot(args, default_name, draw, size=(6, 4)):
    """Call ``draw(plt)`` and save the figure as a PNG, when matplotlib is installed.

    Args:
        args: the parsed arguments (``--plot``, ``--no-plot``).
        default_name: file name used when ``--plot`` is not given.
        draw: a function that draws on ``matplotlib.pyplot``.
        size: the figure's size in inches.

    Returns:
        The path written, or None.
    """
    if args.no_plot:
        return None
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib is not installed: no plot)")
        return None
    path = args.plot or os.path.join(os.path.dirname(os.path.abspath(__file__)), default_name)
    plt.figure(figsize=size)
    draw(plt)
    plt.tight_layout()
    plt.savefig(path, dpi=100)
    plt.close()
    print(f"plot saved to {path}")
    return path
