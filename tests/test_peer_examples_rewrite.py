"""tools/peer_examples.py's rewrite of a HIPS autograd program's imports: each form the examples use, the names'
origins recorded for the comparison with HIPS, and no line moved (messages name the program's own lines)."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools"))

import peer_examples  # noqa: E402

PROGRAM = '''"""A program."""
import autograd.numpy as np
import autograd.numpy.random as npr
import autograd.scipy.stats.multivariate_normal as mvn
import autograd.scipy.signal
from autograd import grad, value_and_grad as vgrad
from autograd.misc.optimizers import adam
from autograd.scipy.special import logsumexp
from autograd.numpy.linalg import solve
convolve = autograd.scipy.signal.convolve


def f(x):
    return np.sum(logsumexp(x))
'''


def rewritten(numpy_name="numpy"):
    text = peer_examples.rewrite(PROGRAM, numpy_name)
    namespace = {}
    first = text.splitlines()[0]
    exec(first.split("; ", 1)[0], namespace)
    return text, namespace["__hips_names__"]


def test_imports_point_at_numpy_scipy_and_the_tool():
    text, _ = rewritten()
    lines = text.splitlines()
    assert lines[1] == "import numpy as np"
    assert lines[2] == "import numpy.random as npr"
    assert lines[3] == "from scipy.stats import multivariate_normal as mvn"
    assert lines[4] == "import scipy.signal"
    assert lines[5] == "from peer_examples import grad, value_and_grad as vgrad"
    assert lines[6] == "from peer_examples import adam"
    assert lines[7] == "from scipy.special import logsumexp"
    assert lines[8] == "from numpy.linalg import solve"
    assert lines[9] == "convolve = scipy.signal.convolve"
    assert "autograd" not in "\n".join(lines[1:])


def test_dynamic_mode_reads_srcgrad_numpy():
    text, _ = rewritten("srcgrad.numpy")
    lines = text.splitlines()
    assert lines[1] == "import srcgrad.numpy as np"
    assert lines[2] == "import srcgrad.numpy.random as npr"
    assert lines[8] == "from srcgrad.numpy.linalg import solve"


def test_names_origins_are_recorded_and_no_line_moves():
    text, hips = rewritten()
    assert len(text.splitlines()) == len(PROGRAM.splitlines())
    assert text.splitlines()[-1] == "    return np.sum(logsumexp(x))"
    assert hips == {
        "np": "autograd.numpy",
        "npr": "autograd.numpy.random",
        "mvn": "autograd.scipy.stats.multivariate_normal",
        "grad": "autograd:grad",
        "vgrad": "autograd:value_and_grad",
        "adam": "autograd.misc.optimizers:adam",
        "logsumexp": "autograd.scipy.special:logsumexp",
        "solve": "autograd.numpy.linalg:solve",
        "convolve": "autograd.scipy.signal:convolve",
    }


def test_the_rewritten_program_compiles():
    text, _ = rewritten()
    compile(text, "program.py", "exec")
    compile(peer_examples.rewrite("", "numpy"), "empty.py", "exec")


def test_a_size_cut_that_no_longer_matches_is_said(tmp_path):
    src = tmp_path / "examples"
    src.mkdir()
    (src / "rnn.py").write_text("import autograd.numpy as np\nmax_lines = 5\n")
    with pytest.raises(SystemExit, match="rnn.py no longer holds"):
        peer_examples.prepare(str(src), str(tmp_path / "run"), "static")
