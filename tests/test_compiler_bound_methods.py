"""``grad(model.loss)`` of a bound method works (self held fixed), or says what to do when it reads self's attributes."""

import numpy as np
import pytest

import srcgrad
from corpus.harness import fd_grad
from srcgrad.errors import TransformError


class Model:
    def __init__(self):
        self.w = np.array([0.5, -1.0])

    def loss(self, w, x, scale=2.0):
        return scale * np.sum(np.tanh(w * x) ** 2)

    def reads_self(self, x):
        return np.sum(np.tanh(self.w * x))


W, X = np.array([0.5, -1.0, 0.3]), np.array([1.0, 2.0, -0.7])


def test_grad_of_a_bound_method_holds_self_and_counts_wrt_after_it():
    m = Model()
    f = lambda w, x: m.loss(w, x)  # noqa: E731
    np.testing.assert_allclose(srcgrad.grad(m.loss)(W, X), fd_grad(f, (W, X), 0), rtol=1e-6)
    np.testing.assert_allclose(srcgrad.grad(m.loss, wrt="x")(W, X), fd_grad(f, (W, X), 1), rtol=1e-6)
    dw, dx = srcgrad.grad(m.loss, wrt=(0, 1))(W, X)
    np.testing.assert_allclose(dx, fd_grad(f, (W, X), 1), rtol=1e-6)
    value, dw = srcgrad.value_and_grad(m.loss)(W, X, scale=3.0)
    assert np.isclose(value, m.loss(W, X, 3.0))
    np.testing.assert_allclose(dw, 1.5 * fd_grad(f, (W, X), 0), rtol=1e-6)
    _, tangent = srcgrad.jvp(m.loss)(W, X, np.ones(3))
    assert np.isclose(tangent, fd_grad(f, (W, X), 0).sum(), rtol=1e-6)
    assert srcgrad.grad(m.loss).source_for(W, X).startswith("def dloss(self, w, x")
    assert srcgrad.grad(m.loss).__wrapped__ == m.loss


def test_a_method_reading_self_attributes_is_refused_with_what_to_do():
    m = Model()
    with pytest.raises(TransformError) as info:
        srcgrad.grad(m.reads_self)(X[:2])
    text = str(info.value)
    assert f"{__file__}, line 19" in text and "self.w" in text
    assert "Pass what it reads as arguments" in text and "dynamic mode" in text
    with pytest.raises(TransformError, match="with respect to self"):
        srcgrad.grad(m.loss, wrt="self")
