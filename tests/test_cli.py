"""The srcgrad command: every user mistake is one line and exit code 2 (usage) or 1, never a traceback."""

import subprocess
import sys

import numpy as np
import pytest

import srcgrad
from srcgrad.cli import UsageError, main, parse_kinds

MODEL = """
import numpy as np

def loss(x, w):
    h = np.tanh(x * w)
    return np.sum(h ** 2)

@__import__("srcgrad").grad(wrt=1)
def decorated(x, w):
    return x * w * w

class Model:
    def energy(self, x):
        return x * x

value = 3
"""


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(MODEL)
    return path


def run(argv, capsys):
    """``main(argv)`` -> (exit code, stdout, stderr); argparse's exits become codes too."""
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def _user_mistakes(tmp_path, model):
    bad = tmp_path / "bad.py"
    bad.write_text("def f(x:\n    return x\n")
    raising = tmp_path / "raising.py"
    raising.write_text("import numpy as np\n\nx = 1 / 0\n")
    exiting = tmp_path / "exiting.py"
    exiting.write_text("import sys\nsys.exit(3)\n")
    refused = tmp_path / "refused.py"
    refused.write_text("def f(x):\n    try:\n        return x\n    except Exception:\n        return x\n")
    return [
        # (argv, exit code, words the one message must hold)
        (["show", f"{tmp_path}:f"], 1, ["is a directory"]),
        (["show", f"{model}:loss", "--wrt", ","], 2, ["--wrt", "','"]),
        (["show", f"{model}:loss", "--wrt", ""], 2, ["--wrt"]),
        (["show", f"{model}:loss", "--wrt", "5"], 2, ["--wrt 5", "2 parameters", "x, w"]),
        (["show", f"{model}:loss", "--wrt", "q"], 2, ["--wrt q", "no parameter 'q'"]),
        (["show", f"{model}:loss", "--wrt", "1+"], 2, ["'1+'"]),
        (["show", f"{bad}:f"], 1, ["SyntaxError", "line 1", str(bad)]),
        (["show", f"{raising}:f"], 1, ["ZeroDivisionError", "line 3"]),
        (["show", f"{exiting}:f"], 1, ["sys.exit(3)"]),
        (["show", f"{tmp_path / 'missing.py'}:f"], 1, ["no such file", "missing.py"]),
        (["show", f"{model}:nope"], 1, ["no function 'nope'"]),
        (["show", f"{model}:value"], 1, ["not a Python function", "int"]),
        (["show", f"{model}:np.sin"], 1, ["not a Python function"]),
        (["show", str(model)], 2, ["FILE.py:FUNC"]),
        (["show", f"{model}:1x"], 2, ["not a function name"]),
        (["show", f"{refused}:f"], 1, ["line 2", "try/except"]),
        (["show", f"{model}:loss", "--args", "floaty"], 2, ["--args", "'floaty'"]),
        (["show", f"{model}:loss", "--args", "array(3,4"], 2, ["--args"]),
        (["show", f"{model}:loss", "--args", "float,float,float"], 2, ["3 kinds", "2 parameters"]),
        (["show", f"{model}:loss", "--args", ""], 2, ["--args"]),
        (["show"], 2, ["FILE.py:FUNC"]),
        ([], 2, ["COMMAND"]),
        (["frobnicate"], 2, ["frobnicate"]),
    ]


def test_every_user_mistake_is_one_message_and_an_exit_code(tmp_path, model, capsys):
    for argv, expected_code, words in _user_mistakes(tmp_path, model):
        code, out, err = run(argv, capsys)
        assert code == expected_code, (argv, code, err)
        assert out == "", argv
        assert "Traceback" not in err and err.startswith("srcgrad"), (argv, err)
        for word in words:
            assert word in err, (argv, word, err)
        if expected_code == 2:
            assert err.count("\n") == 1, (argv, err)  # exactly one line


def test_no_traceback_from_the_installed_command(tmp_path, model):
    bad = tmp_path / "bad.py"
    bad.write_text("def f(x:\n")
    for argv in ([f"{tmp_path}:f"], [f"{model}:loss", "--wrt", ","], [f"{bad}:f"]):
        proc = subprocess.run([sys.executable, "-m", "srcgrad", "show", *argv], capture_output=True, text=True)
        assert proc.returncode in (1, 2) and proc.stdout == ""
        assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr


def test_version(capsys):
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out.strip() == f"srcgrad {srcgrad.__version__}"
    assert srcgrad.__version__.count(".") == 2


def test_help_says_show_imports_the_file(capsys):
    code, out, _ = run(["show", "--help"], capsys)
    assert code == 0
    assert "Import FILE.py" in out and "top-level code" in out and "--args" in out


def _exec_generated(src, name, *args):
    import srcgrad.compiler.runtime as rt
    from srcgrad.rules import shape_of, unbroadcast
    from srcgrad.rules.reductions import unreduce

    env = {
        "np": np,
        "default_dout": rt.default_dout,
        "unbroadcast": unbroadcast,
        "shape_of": shape_of,
        "unreduce": unreduce,
    }
    exec(src, env)
    return env[name](*args)


def test_show_args_prints_the_specialised_version(model, capsys):
    code, general, _ = run(["show", f"{model}:loss", "--wrt", "1"], capsys)
    assert code == 0 and "unbroadcast" in general
    code, special, _ = run(["show", f"{model}:loss", "--wrt", "1", "--args", "array(3), float"], capsys)
    assert code == 0 and special.startswith("def dloss(x, w")
    assert "unbroadcast" not in special and "np.sum(" in special  # w is a float: its gradient is a sum
    x, w = np.array([0.3, -0.2, 0.9]), 0.7
    h = np.tanh(x * w)
    expected = np.sum(2 * h * (1 - h * h) * x)
    assert np.isclose(_exec_generated(special, "dloss", x, w), expected)
    code, same_shape, _ = run(["show", f"{model}:loss", "--args", "array(3x4),array(3, 4)"], capsys)
    assert code == 0 and "unbroadcast" not in same_shape  # equal shapes: nothing was broadcast


def test_show_of_a_decorated_function_and_a_method(model, capsys):
    code, out, _ = run(["show", f"{model}:decorated"], capsys)
    assert code == 0 and "with respect to x" in out  # --wrt decides, not the decorator
    code, out, _ = run(["show", f"{model}:Model.energy", "--wrt", "x", "--args", "any, float"], capsys)
    assert code == 0 and "def denergy(self, x" in out


def test_parse_kinds():
    values = parse_kinds("float, int, array(2x3), array(), list(4), any, dict(W=array(2, 3), b=float)")
    assert values[0] == 0.5 and type(values[0]) is float and values[1] == 2
    assert values[2].shape == (2, 3) and values[3].shape == ()
    assert values[4] == [0.5] * 4 and values[5] is None
    assert values[6]["W"].shape == (2, 3) and values[6]["b"] == 0.5
    for bad in ("", "array(", "list", "dict(3)", "float float", "array(a)", "tensor(3)"):
        with pytest.raises(UsageError, match="--args"):
            parse_kinds(bad)
