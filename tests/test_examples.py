"""Every script in examples/ runs, with few enough steps for CI, and does what it says.

Each example's ``main()`` returns its results; the checks below are per example,
and an example without a check fails the suite (add one when you add an example).
"""

import importlib.util
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "..", "examples")


def check_two_layer_net(losses):
    assert losses[-1] < 0.5 * losses[0]


def check_custom_function(result):
    ok, loss = result
    assert ok is True
    assert loss < 1000.0


def check_polynomial_regression(result):
    agree, same_path, start_loss, final_losses = result
    assert agree is True  # hand-written, @grad, Tensors and nn give one gradient
    assert same_path is True  # and the first three follow one training path
    assert all(v < 0.5 * start_loss for v in final_losses.values())


def check_spiral_classifier(result):
    accuracy, loss = result
    assert accuracy >= 0.95


def check_sequence_rnn(result):
    first, test_loss = result
    assert test_loss < 0.1 * first


def check_small_cnn(accuracy):
    assert accuracy >= 0.9


def check_ddp_spiral(accuracy):  # one process here; tests/test_distributed.py runs it on two
    assert accuracy >= 0.95


CHECKS = {
    "two_layer_net": (60, check_two_layer_net),
    "custom_function": (200, check_custom_function),
    "polynomial_regression": (300, check_polynomial_regression),
    "spiral_classifier": (300, check_spiral_classifier),
    "sequence_rnn": (150, check_sequence_rnn),
    "small_cnn": (100, check_small_cnn),
    "ddp_spiral": (300, check_ddp_spiral),
}


def example_names():
    return sorted(f[:-3] for f in os.listdir(EXAMPLES) if f.endswith(".py") and not f.startswith("_"))


def run_example(name, steps, monkeypatch, plot=None):
    monkeypatch.syspath_prepend(EXAMPLES)
    monkeypatch.setattr(sys, "argv", [name, "--steps", str(steps)] + (["--plot", plot] if plot else ["--no-plot"]))
    spec = importlib.util.spec_from_file_location(f"example_{name}", os.path.join(EXAMPLES, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main()


@pytest.mark.parametrize("name", example_names())
def test_example_runs_and_learns(name, monkeypatch):
    assert name in CHECKS, f"examples/{name}.py has no check in tests/test_examples.py"
    steps, check = CHECKS[name]
    check(run_example(name, steps, monkeypatch))


@pytest.mark.parametrize("name", example_names())
def test_example_runs_with_no_steps_and_plots(name, monkeypatch, tmp_path, capsys):
    """``--steps 0`` trains nothing and still reports and plots (when matplotlib is installed)."""
    try:
        import matplotlib  # noqa: F401

        plot = str(tmp_path / f"{name}.png")
    except ImportError:
        plot = None
    run_example(name, 0, monkeypatch, plot=plot)
    out = capsys.readouterr().out
    if plot is not None:
        assert os.path.getsize(plot) > 10_000 and f"plot saved to {plot}" in out


def test_examples_limit_blas_threads_before_numpy_loads():
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    code = "import _common, os, sys; print(os.environ['OPENBLAS_NUM_THREADS'], 'numpy' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=EXAMPLES, env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["1", "False"]
    for name in example_names():  # each example imports _common before numpy (or anything that loads it)
        lines = [line for line in open(os.path.join(EXAMPLES, f"{name}.py")) if line.startswith(("import", "from"))]
        assert lines[0].startswith("from _common import") or lines[1].startswith("from _common import"), name
        if not lines[0].startswith("from _common"):
            assert lines[0].split()[1] in {"math", "os", "sys", "argparse"}, name
