"""An exception raised inside generated code names the user's function, file and line and the generated statement."""

import importlib.util
import sys

import numpy as np
import pytest

import srcgrad

MODEL = """import numpy as np


def loss(x, W):
    h = np.tanh(W @ x)
    z = h * x
    return np.sum(z)


def forward_only(x, W):
    y = W @ x
    return np.sum(np.log(y) * x)
"""


@pytest.fixture
def model(tmp_path, monkeypatch):
    path = tmp_path / "shapes_model.py"
    path.write_text(MODEL)
    spec = importlib.util.spec_from_file_location("shapes_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setitem(sys.modules, "shapes_model", module)
    return module, str(path)


def _message(err):
    return "\n".join([str(err), *getattr(err, "__notes__", [])])


def test_a_shape_mismatch_in_the_gradient_names_the_users_line_and_the_generated_statement(model):
    module, path = model
    df = srcgrad.grad(module.loss, wrt=1)
    with pytest.raises(ValueError) as info:
        df(np.ones(3), np.ones((4, 3)))
    text = _message(info.value)
    assert "could not be broadcast" in text  # numpy's own message is kept, and the type
    assert f'File "{path}", line 5, in loss' in text and "h = np.tanh(W @ x)" in text
    assert "the adjoint of line 5 of loss" in text
    generated = df.source.splitlines()
    statement = next(line.strip() for line in text.splitlines()[::-1] if line.startswith("    ") and "=" in line)
    assert statement in [line.strip() for line in generated]  # the very statement of the generated code
    assert "the generated dloss" in text


def test_an_error_in_the_forward_sweep_says_forward(model):
    module, path = model
    df = srcgrad.grad(module.forward_only, wrt=0)
    with pytest.raises(ValueError) as info:
        df(np.ones(3), np.ones((2, 4)))
    text = _message(info.value)
    assert "the forward computation of line 11 of forward_only" in text and "y = W @ x" in text


def test_jvp_errors_are_named_too(model):
    module, path = model
    jf = srcgrad.jvp(module.loss, wrt=1)
    with pytest.raises(ValueError) as info:
        jf(np.ones(3), np.ones((4, 3)), np.ones((4, 3)))
    text = _message(info.value)
    assert f'File "{path}", line' in text and "of loss" in text and "the generated" in text
    assert text.count("srcgrad: raised") == 1
