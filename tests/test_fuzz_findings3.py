"""Regression tests for what the fuzzer's module-data, third-order and view families found (``tools/fuzz.py``
with the ``respec``, ``grad3``, ``hvp-grad``, ``jac-grad2`` and ``dyn3`` modes; see docs/testing.md).

Each test is the shrunk program of a finding, checked against what it must give (finite differences, or a
refusal that names the user's file, line and construct). A known bug not fixed yet is a strict xfail whose
reason says what is wrong.
"""

import textwrap

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import TransformError


def module(tmp_path, name, text, **values):
    """Write ``text`` to ``tmp_path/name.py``, import it, and set ``values`` as its globals."""
    import importlib.util

    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(text))
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for k, v in values.items():
        setattr(mod, k, v)
    return mod


def test_a_refusal_inside_a_function_whose_gradient_is_called_names_its_own_line(tmp_path):
    # fuzz 920_4 (hvp-grad, jac-grad2, grad3): f is refused at its line 4; h calls grad(f) and grad(h) said the
    # refusal at h's line only, naming np.multiply, which h's line does not hold
    inner = module(
        tmp_path,
        "inner",
        """\
        import numpy as np
        def f(x):
            y = x * 1.0
            np.multiply(y, 2.0, out=y)
            return np.sum(y ** 3)
        """,
    )
    outer = module(
        tmp_path,
        "outer",
        """\
        import numpy as np
        def h(x):
            return np.sum(DF(x) * 2.0)
        """,
        DF=srcgrad.grad(inner.f),
    )
    with pytest.raises(TransformError) as info:
        srcgrad.grad(outer.h)(np.array([0.3, 0.5]))
    err = info.value
    assert (err.filename, err.lineno) == (str(tmp_path / "outer.py"), 3)
    assert "multiply" in err.message
    assert f"in f, at {tmp_path / 'inner.py'}, line 4: np.multiply(y, 2.0, out=y)" in err.message
