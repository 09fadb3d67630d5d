"""PyTorch programs written the way PyTorch's tutorials and examples are (tests/torch_programs/)
run on srcgrad unchanged, through ``srcgrad run``'s import hook; they also run as plain scripts
with only their ``torch`` imports renamed to ``srcgrad``; and, where PyTorch is installed, they
follow PyTorch's loss trajectory from the same weights (tests/torch_programs/harness.py says how
the two runs are made to start alike).
"""

import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import srcgrad
from torch_programs import harness

PROGRAMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_programs")

MAKEMORE = [
    "--max-steps",
    "12",
    "--eval-every",
    "6",
    "--n-layer",
    "2",
    "--n-head",
    "2",
    "--n-embd",
    "16",
    "--n-embd2",
    "16",
    "--batch-size",
    "8",
    "--work-dir",
    "out",
]
WORD_LM = [
    "--emsize",
    "16",
    "--nhid",
    "16",
    "--nlayers",
    "1",
    "--epochs",
    "2",
    "--batch_size",
    "8",
    "--bptt",
    "12",
    "--log-interval",
    "5",
    "--lr",
    "5",
    "--save",
    "model.pt",
]

# id: (program, arguments, relative tolerance of the losses against PyTorch's, text its output must show)
CASES = {
    "autograd-polynomial": ("polynomial_autograd.py", ["--steps", "300"], 1e-5, "fitted: y ="),
    "custom-function": ("custom_function.py", [], 1e-5, "iteration 300"),
    "nn-polynomial": ("polynomial_nn.py", [], 1e-10, "cubic module: a="),
    "lenet": ("lenet.py", [], 1e-10, "<MseLossBackward0 object at"),
    "lstm-tagger": ("lstm_tagger.py", ["--epochs", "20"], 1e-10, "after:"),
    "bilstm-crf": ("bilstm_crf.py", ["--epochs", "3"], 1e-10, "after training:"),
    "mnist": (
        "mnist.py",
        [
            "--epochs",
            "2",
            "--train-size",
            "32",
            "--test-size",
            "16",
            "--batch-size",
            "16",
            "--test-batch-size",
            "16",
            "--log-interval",
            "1",
        ],
        1e-10,
        "test: average loss",
    ),
    "regression": ("regression.py", [], 1e-9, "learned: y ="),
    "time-sequence": (
        "time_sequence.py",
        ["--steps", "1", "--length", "20", "--waves", "6", "--future", "5"],
        1e-9,
        "extrapolated 5 points of 3 waves",
    ),
    "word-lm-lstm": (
        "word_language_model/main.py",
        ["--model", "LSTM", "--dropout", "0.2"] + WORD_LM,
        1e-10,
        "end of training",
    ),
    "word-lm-transformer": (
        "word_language_model/main.py",
        ["--model", "Transformer", "--dropout", "0.0"] + WORD_LM,
        1e-9,
        "end of training",
    ),
    "mingpt": ("mingpt/chargpt.py", ["--max_iters=12", "--dropout=0.1"], 1e-10, "sample: the "),
    "nanogpt": (
        "nanogpt/train.py",
        ["--max_iters=12", "--eval_interval=6", "--compile=False"],
        1e-10,
        "using fused AdamW: False",
    ),
}
for _kind in ("bigram", "mlp", "rnn", "gru", "bow", "transformer"):
    CASES[f"makemore-{_kind}"] = (
        "makemore/makemore.py",
        ["--type", _kind] + MAKEMORE,
        1e-10,
        "reloaded the best model",
    )

# PyTorch's notices, and numpy's floating-point warnings in the copies run without the runner
pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"), pytest.mark.filterwarnings("ignore::RuntimeWarning")]


def program(name):
    return os.path.join(PROGRAMS, CASES[name][0])


def _numbers_rounded(text):
    """stdout with object addresses and timings blanked and numbers rounded to 8 significant digits."""
    text = re.sub(r" at 0x[0-9a-f]+", " at 0x", text)
    text = re.sub(r"(time|ms/batch|iter_dt) *:? *[0-9.]+ ?m?s?", r"\1 _", text)
    return re.sub(r"-?\d+\.\d+(e[-+]?\d+)?", lambda m: f"{float(m.group()):.8g}", text)


IMPORTS = [  # the edit a user would make by hand: torch's modules renamed to srcgrad's
    (re.compile(r"^(\s*)import torch$", re.M), r"\1import srcgrad as torch"),
    (re.compile(r"^(\s*)import torch\.([\w.]+) as (\w+)$", re.M), r"\1import srcgrad.\2 as \3"),
    (re.compile(r"^(\s*)import torch\.([\w.]+)$", re.M), r"\1import srcgrad.\2"),
    (re.compile(r"^(\s*)from torch(\.[\w.]+)? import", re.M), r"\1from srcgrad\2 import"),
]


def with_imports_changed(name, tmp_path):
    """A copy of the program (and the modules beside it) whose only change is the imports."""
    source = os.path.dirname(program(name))
    target = tmp_path / "changed"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "harness.py", "__init__.py"))
    for path in target.rglob("*.py"):
        text = path.read_text()
        for pattern, replacement in IMPORTS:
            text = pattern.sub(replacement, text)
        assert not re.search(r"^\s*(import|from) torch\b", text, re.M), f"{path} still imports torch"
        path.write_text(text)
    return str(target / os.path.basename(program(name)))


@pytest.mark.parametrize("name", list(CASES))
def test_runs_unchanged_and_with_only_the_import_changed(name, tmp_path):
    path, args, _, shows = CASES[name]
    unchanged = harness.run_plain(program(name), args, cwd=tmp_path)
    assert shows in unchanged.stdout, unchanged.stdout[-2000:]
    assert unchanged.losses and all(np.isfinite(unchanged.losses))
    copy = with_imports_changed(name, tmp_path)
    changed = harness.run_plain(copy, args, cwd=tmp_path, through_runner=False)
    assert changed.losses == unchanged.losses  # the same computation, bit for bit
    text = changed.stdout.replace(os.path.dirname(copy), os.path.dirname(program(name))).replace("srcgrad.", "torch.")
    assert _numbers_rounded(text) == _numbers_rounded(unchanged.stdout)


@pytest.mark.parametrize("name", list(CASES))
def test_follows_pytorch(name, tmp_path):
    pytest.importorskip("torch")
    path, args, rtol, _ = CASES[name]
    (tmp_path / "torch").mkdir()
    (tmp_path / "srcgrad").mkdir()
    theirs, weights = harness.run_on_torch(program(name), args, cwd=tmp_path / "torch")
    ours = harness.run_on_srcgrad(program(name), args, weights=weights, cwd=tmp_path / "srcgrad")
    assert ours.transplants == theirs.transplants  # the same weights, used in the same order
    assert len(ours.losses) == len(theirs.losses) > 0
    np.testing.assert_allclose(ours.losses, theirs.losses, rtol=rtol, atol=0)
    assert ours.samples == theirs.samples
    if rtol <= 1e-9:  # float64 programs print what PyTorch prints (to 8 digits, addresses and timings aside)
        assert _numbers_rounded(ours.stdout) == _numbers_rounded(theirs.stdout)


@pytest.mark.parametrize("name", ["lenet", "word-lm-lstm"])
def test_the_srcgrad_run_command(name, tmp_path):
    path, args, _, shows = CASES[name]
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(srcgrad.__file__)), OPENBLAS_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, "-m", "srcgrad", "run", program(name), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert shows in done.stdout
    in_process = harness.run_plain(program(name), args, cwd=tmp_path)

    def without_numbers(text):  # numbers (and the padding a wider timing takes) vary between runs
        return re.sub(r" *[-+]?\d+(\.\d*)?(e[-+]?\d+)?", " N", re.sub(r" at 0x[0-9a-f]+", "", text))

    assert without_numbers(done.stdout) == without_numbers(in_process.stdout)  # the same lines, other random draws
