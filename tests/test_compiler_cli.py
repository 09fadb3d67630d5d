"""The srcgrad command: ``show`` prints a gradient's source that computes the right numbers."""

import subprocess
import sys

import numpy as np

from srcgrad.cli import main

EXAMPLE = """
import numpy as np

def loss(x, w):
    h = np.tanh(x * w)
    return np.sum(h ** 2)
"""


def _run_generated(src, x, w):
    env = {"np": np}
    import srcgrad.compiler.runtime as rt
    from srcgrad.rules import shape_of, unbroadcast
    from srcgrad.rules.reductions import unreduce

    env.update(default_dout=rt.default_dout, unbroadcast=unbroadcast, shape_of=shape_of, unreduce=unreduce)
    exec(src, env)
    return env["dloss"](x, w)


def test_show_prints_source_with_wrt_and_no_optimize(tmp_path, capsys):
    path = tmp_path / "model.py"
    path.write_text(EXAMPLE)
    assert main(["show", f"{path}:loss", "--wrt", "0,w"]) == 0
    src = capsys.readouterr().out
    assert src.startswith("def dloss(x, w")
    x, w = np.array([0.2, -0.4]), np.array([1.5, 0.3])
    dx, dw = _run_generated(src, x, w)
    h = np.tanh(x * w)
    np.testing.assert_allclose(dx, 2 * h * (1 - h * h) * w)
    np.testing.assert_allclose(dw, 2 * h * (1 - h * h) * x)
    code = lambda text: "\n".join(line.split("#")[0] for line in text.splitlines())  # noqa: E731
    assert "h ** 2" not in code(src)
    assert main(["show", f"{path}:loss", "--no-optimize"]) == 0
    assert "h ** 2" in code(capsys.readouterr().out)


def test_python_dash_m_show(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(EXAMPLE)
    out = subprocess.run(
        [sys.executable, "-m", "srcgrad", "show", f"{path}:loss"], capture_output=True, text=True, check=True
    ).stdout
    assert "dx = " in out and "np.tanh" in out
