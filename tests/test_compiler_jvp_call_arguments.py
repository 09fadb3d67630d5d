"""A function calling ``srcgrad.jvp(f)`` the way ``JVPFunction.__call__`` is called: ``f``'s arguments (some by
keyword, some left to their defaults), then the tangent. The compiler reads the call as the generated JVP
takes it, every parameter of ``f`` in order and then the tangent (these were refused: "unexpected or
repeated keyword argument", "missing argument"). Judged by the closed form and by central differences."""

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import TransformError


def scaled(x, scale=1.0, shift=0.0):
    return np.sin(x) * scale + shift


jvp_scaled = srcgrad.jvp(scaled)
T = np.array([1.0, 0.5, -1.0])
X = np.array([0.3, -0.5, 0.8])


def by_keyword(x):
    return np.sum(jvp_scaled(x, T, scale=2.0)[1] * x)


def by_default(x):
    return np.sum(jvp_scaled(x, T)[1] * x)


def by_position(x):
    return np.sum(jvp_scaled(x, 3.0, T)[1] * x)


def by_keyword_after_the_default(x):
    return np.sum(jvp_scaled(x, T, shift=0.25)[1] * x) + jvp_scaled(x, T, shift=0.25)[0][0]


CASES = [
    (by_keyword, lambda x: 2.0 * (np.cos(x) * T - np.sin(x) * T * x)),
    (by_default, lambda x: np.cos(x) * T - np.sin(x) * T * x),
    (by_position, lambda x: 3.0 * (np.cos(x) * T - np.sin(x) * T * x)),
    (by_keyword_after_the_default, lambda x: np.cos(x) * T - np.sin(x) * T * x + np.eye(3)[0] * np.cos(x)),
]


@pytest.mark.parametrize("f, closed", CASES, ids=[f.__name__ for f, _ in CASES])
def test_a_jvp_called_with_keywords_and_defaults(f, closed):
    got = srcgrad.grad(f)(X)
    np.testing.assert_allclose(got, closed(X), rtol=1e-12)
    eps = 1e-6
    numeric = [(f(X + eps * e) - f(X - eps * e)) / (2 * eps) for e in np.eye(3)]
    np.testing.assert_allclose(got, numeric, rtol=1e-7, atol=1e-9)


def wrong_keyword(x):
    return np.sum(jvp_scaled(x, T, scael=2.0)[1])


def test_a_keyword_the_function_does_not_take_is_refused_at_the_call():
    with pytest.raises(TransformError, match="scael") as info:
        srcgrad.grad(wrong_keyword)(X)
    assert info.value.filename == __file__
    assert info.value.lineno == wrong_keyword.__code__.co_firstlineno + 1
