"""Rule bodies the compiler differentiates again: second derivatives in static mode through the rules of
``np.prod`` and ``np.linalg.norm``, whose VJPs are written as numpy code the compiler reads (higher order).

A function calling a generated gradient is differentiated by ``srcgrad.grad``; the result is judged by
central finite differences of that function, and dynamic mode (Tensors, ``create_graph=True``) must agree.
"""

import importlib.util
import itertools

import numpy as np
import pytest

import srcgrad

_COUNT = itertools.count()
_rng = np.random.default_rng(5)
W = _rng.normal(size=(3, 4))


def prod_all(x):
    return np.prod(x) * 2.0


def prod_rows(x):
    return np.sum(np.prod(x, axis=1) * W[:, 0])


def prod_columns_kept(x):
    return np.sum(np.prod(x, axis=0, keepdims=True) ** 2)


def norm_fro(x):
    return np.linalg.norm(x)


def norm_columns(x):
    return np.sum(np.linalg.norm(x, axis=0) * W[0])


def norm_ord3(x):
    return np.sum(np.linalg.norm(x, ord=3, axis=1) * W[:, 1])


def norm_spectral(x):
    return np.linalg.norm(x, ord=2)


def norm_smallest_singular(x):
    return np.linalg.norm(x, ord=-2)


def norm_nuclear(x):
    return np.linalg.norm(x, ord="nuc")


def norm_max_column_sum(x):
    return np.linalg.norm(x, ord=1)


def norm_max_row_sum(x):
    return np.linalg.norm(x, ord=np.inf)


FUNCTIONS = [
    prod_all,
    prod_rows,
    prod_columns_kept,
    norm_fro,
    norm_columns,
    norm_ord3,
    norm_spectral,
    norm_smallest_singular,
    norm_nuclear,
    norm_max_column_sum,
    norm_max_row_sum,
]


def _calling(tmp_path, df, v):
    """``h(x) = sum(df(x) * v)`` written to a real file (the compiler reads source)."""
    n = next(_COUNT)
    path = tmp_path / f"rule_bodies_gen_{n}.py"
    path.write_text("import numpy as np\n\n\ndef h(x):\n    return np.sum(DF(x) * V)\n")
    spec = importlib.util.spec_from_file_location(f"rule_bodies_gen_{n}", path)
    module = importlib.util.module_from_spec(spec)
    module.__dict__.update(DF=df, V=v)
    spec.loader.exec_module(module)
    return module.h


def _point():
    # entries away from 0 and from ties (prod's zero paths and the norms' max/min are tested elsewhere)
    return np.sign(_rng.normal(size=(3, 4))) * _rng.uniform(0.5, 1.5, size=(3, 4))


@pytest.mark.parametrize("f", FUNCTIONS, ids=[f.__name__ for f in FUNCTIONS])
def test_second_derivative_through_the_rule_body(f, tmp_path):
    x = _point()
    v = _rng.normal(size=x.shape)
    h = _calling(tmp_path, srcgrad.grad(f), v)
    got = srcgrad.grad(h)(x)
    w = _rng.normal(size=x.shape)
    eps = 1e-5
    numeric = (h(x + eps * w) - h(x - eps * w)) / (2 * eps)
    assert np.isclose(np.sum(got * w), numeric, rtol=1e-5, atol=1e-6)

    t = srcgrad.tensor(x, requires_grad=True)
    (g,) = srcgrad.autograd.grad(f(t), t, create_graph=True)
    if not g.requires_grad:  # piecewise linear (ord 1, inf): the tape records no second derivative, it is 0
        np.testing.assert_array_equal(got, 0.0)
        return
    (g2,) = srcgrad.autograd.grad((g * srcgrad.tensor(v)).sum(), t)
    np.testing.assert_allclose(g2.numpy(), got, rtol=1e-6, atol=1e-8)
