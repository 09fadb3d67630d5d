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


CHECKS = {
    "two_layer_net": (60, check_two_layer_net),
    "custom_function": (200, check_custom_function),
}


def example_names():
    return sorted(f[:-3] for f in os.listdir(EXAMPLES) if f.endswith(".py") and not f.startswith("_"))


def run_example(name, steps, monkeypatch):
    monkeypatch.syspath_prepend(EXAMPLES)
    monkeypatch.setattr(sys, "argv", [name, "--steps", str(steps), "--no-plot"])
    spec = importlib.util.spec_from_file_location(f"example_{name}", os.path.join(EXAMPLES, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main()


@pytest.mark.parametrize("name", example_names())
def test_example_runs_and_learns(name, monkeypatch):
    assert name in CHECKS, f"examples/{name}.py has no check in tests/test_examples.py"
    steps, check = CHECKS[name]
    check(run_example(name, steps, monkeypatch))
