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


def third_differences(f, x, v, w, h=2e-3):
    """``T(v, w, .)`` of ``f`` at ``x``: ``sum_{a,b,c = +-1} a b c f(x + h (a e_k + b v + c w)) / 8 h^3``."""
    out = np.zeros(x.shape)
    for k in np.ndindex(x.shape):
        for a in (1, -1):
            for b in (1, -1):
                for c in (1, -1):
                    y = x + h * (b * v + c * w)
                    y[k] += a * h
                    out[k] += a * b * c * f(y) / (8 * h**3)
    return out


def fancy_rows_in_a_comprehension(y):
    rows = [y[[1, 0, 1]] for k in range(3)]
    return np.mean(np.cos(rows[1]))


def test_a_third_derivative_through_a_fancy_index_in_a_comprehension(tmp_path):
    y = np.array([[0.75, 0.42, 0.28], [-0.26, 0.64, -0.84]])
    v, w = np.array([[0.3, 1.4, 1.2], [-0.5, -0.3, -0.5]]), np.array([[1.8, -3.1, 1.0], [0.1, 1.3, 0.4]])
    caller = module(
        tmp_path,
        "caller",
        """\
        import numpy as np
        def h(y):
            return np.sum(DF(y) * V)
        """,
        DF=srcgrad.grad(fancy_rows_in_a_comprehension),
        V=v,
    )
    # fuzz seed 930_12: was refused ("'idx' holds a list"), the comprehension's list saved on the gradient's stack
    got = srcgrad.hvp(caller.h)(y, w)
    want = third_differences(fancy_rows_in_a_comprehension, y, v, w)
    np.testing.assert_allclose(got, want, rtol=5e-3, atol=1e-5)


def central(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[k] = eps
        g[k] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


ATTRIBUTE_DATA = """\
import types
import numpy as np
import {config}


class Settings:
    w = np.array([0.9, -0.6, 2.1])
    s = 0.87


cfg = types.SimpleNamespace(scale=0.5, inner=types.SimpleNamespace(b=1.5), n=2)


def f(x):
    y = x * Settings.w + np.sin(Settings.s * x)
    for _ in range(cfg.n):
        y = 0.5 * y + np.tanh(x * cfg.scale) * cfg.inner.b
    return np.sum(y ** 2) + np.sum(x * {config}.K)
"""

ATTRIBUTE_CHANGES = [
    ("Settings.w", lambda m: setattr(m.Settings, "w", m.Settings.w * -1.5 + 0.25)),
    ("Settings.s", lambda m: setattr(m.Settings, "s", -0.35)),
    ("cfg.scale", lambda m: setattr(m.cfg, "scale", 2.0)),
    ("cfg.inner.b", lambda m: setattr(m.cfg.inner, "b", -0.5)),
    ("cfg.n", lambda m: setattr(m.cfg, "n", 3)),
    ("a module's constant", lambda m: setattr(m.config_module, "K", np.array([1.0, 2.0, 3.0]))),
]


@pytest.mark.parametrize("how", ["grad", "jvp", "hvp"])
@pytest.mark.parametrize("what, change", ATTRIBUTE_CHANGES, ids=[c[0] for c in ATTRIBUTE_CHANGES])
def test_a_gradient_follows_an_attribute_changed_between_calls(tmp_path, monkeypatch, how, what, change):
    # fuzz 960_0 (respec): `v5 = v3 * GA6.w` with GA6 a class holding data; after GA6.w = GA6.w * -1.5 + 0.25 the
    # same gradient (and a new srcgrad.grad of f) gave the derivative for the old GA6.w: the compiler read the
    # attribute while compiling and the cache did not check it again, a wrong gradient without an error
    config = f"config_{how}_{abs(hash(what))}"
    module(tmp_path, config, "K = 0.5\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    mod = module(tmp_path, f"attrs_{how}_{abs(hash(what))}", ATTRIBUTE_DATA.format(config=config))
    mod.config_module = __import__(config)
    x, v = np.array([0.3, -0.7, 1.1]), np.array([1.0, 0.5, -2.0])

    def run():
        if how == "grad":
            return srcgrad.grad(mod.f)(x), central(mod.f, x)
        if how == "jvp":
            return srcgrad.jvp(mod.f)(x, v)[1], central(mod.f, x) @ v
        return srcgrad.hvp(mod.f)(x, v), central(lambda t: central(mod.f, t, 1e-4) @ v, x, 1e-4)

    got, want = run()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    change(mod)
    got, want = run()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


def test_reading_an_attribute_does_not_compile_the_gradient_again_at_each_call(tmp_path, monkeypatch):
    import srcgrad.compiler.api as api

    config = "config_count"
    module(tmp_path, config, "K = 0.5\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    mod = module(tmp_path, "attrs_count", ATTRIBUTE_DATA.format(config=config))
    made = []
    real = api.transform
    monkeypatch.setattr(api, "transform", lambda *a, **k: made.append(1) or real(*a, **k))
    df = srcgrad.grad(mod.f)
    x = np.array([0.3, -0.7, 1.1])
    first = df(x)
    for _ in range(3):
        np.testing.assert_array_equal(df(x), first)
    assert len(made) == 1
    mod.cfg.scale = 2.0
    df(x)
    df(x)
    assert len(made) == 2
