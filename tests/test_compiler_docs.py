"""docs/compiler.md opens with a real generated gradient: this keeps it real."""

import pathlib
import re
import subprocess
import sys

DOC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "compiler.md"


def _blocks():
    return re.findall(r"```(?:python|text)\n(.*?)```", DOC.read_text(), flags=re.S)


def test_the_opening_example_is_what_srcgrad_prints(tmp_path):
    user_code, printed = _blocks()[:2]
    setup = "\n".join(line for line in user_code.splitlines() if not line.startswith(("dloss", "g =", "print(")))
    model = tmp_path / "model.py"
    model.write_text(setup + "\n")
    run = (
        "import numpy as np, srcgrad, model\n"
        "w = x = y = np.linspace(0.1, 0.5, 4)\n"
        "dloss = srcgrad.grad(model.loss)\n"
        "dloss(w, x, y)\n"
        "print(dloss.source.replace(str(model.__file__), 'model.py'))\n"
    )
    out = subprocess.run([sys.executable, "-c", run], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == printed.strip(), (
        "docs/compiler.md shows another generated gradient than srcgrad prints"
    )
