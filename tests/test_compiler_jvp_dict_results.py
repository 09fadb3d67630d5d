"""``srcgrad.jvp`` of a function returning a dict: the values and their tangents as dicts with the same keys.

Forward mode pushes one tangent to each returned value, so a dict with keys known while compiling (a literal, or
a dict filled at constant keys) is the tuple case with names. The gradient of a function of a dict is such a
dict, so this is also the JVP of a gradient with respect to a dict (forward over reverse: HIPS autograd's
``test_dict.py::test_grads`` at second order). Each tangent is checked against central finite differences along
the tangent, or against the derivative written by hand, and against dynamic mode on Tensors.
"""

import numpy as np
import pytest

import srcgrad
from srcgrad.autograd.functional import jvp as dynamic_jvp
from srcgrad.errors import TransformError

RNG = np.random.default_rng(7)
X = RNG.normal(size=3)
Y = RNG.normal(size=(2, 2))
TX = RNG.normal(size=3)
TY = RNG.normal(size=(2, 2))


def literal(x, y):
    return {"sin": np.sin(x) * np.sum(y), "prod": y * y[0], "scale": 3.0 * x}


def filled(x, y):
    out = {}
    out["a"] = np.tanh(x)
    out["b"] = np.exp(y) * x[0]
    if np.sum(x) > 100.0:
        out["a"] = x * 2.0
    return out


def central(f, args, tangents, eps=1e-6):
    plus = f(*(a + eps * t for a, t in zip(args, tangents)))
    minus = f(*(a - eps * t for a, t in zip(args, tangents)))
    return {k: (np.asarray(plus[k]) - np.asarray(minus[k])) / (2 * eps) for k in plus}


@pytest.mark.parametrize("f", [literal, filled])
def test_jvp_of_a_returned_dict(f):
    value, tangent = srcgrad.jvp(f, wrt=(0, 1))(X, Y, (TX, TY))
    expected = f(X, Y)
    assert isinstance(value, dict) and isinstance(tangent, dict)
    assert list(value) == list(expected) and list(tangent) == list(expected)
    for k in expected:
        np.testing.assert_allclose(value[k], expected[k], rtol=1e-12)
    numeric = central(f, (X, Y), (TX, TY))
    for k in expected:
        assert np.shape(tangent[k]) == np.shape(expected[k])
        np.testing.assert_allclose(tangent[k], numeric[k], rtol=1e-6, atol=1e-8)
    # dynamic mode: the same function on Tensors, its values read in the dict's order
    keys = list(expected)
    _, dynamic = dynamic_jvp(
        lambda x, y: tuple(f(x, y)[k] for k in keys),
        (srcgrad.tensor(X), srcgrad.tensor(Y)),
        (srcgrad.tensor(TX), srcgrad.tensor(TY)),
    )
    for k, d in zip(keys, dynamic):
        np.testing.assert_allclose(tangent[k], d.numpy(), rtol=1e-12, atol=1e-14)


def loss_of_a_dict(d):
    return np.sum(np.sin(d["u"])) + np.sum(np.cos(d["v"]) * d["v"])


GRAD_OF_DICT = srcgrad.grad(loss_of_a_dict)


def gradient_along(d, dout):
    return GRAD_OF_DICT(d, dout=dout)


def test_jvp_of_a_gradient_with_respect_to_a_dict():
    d = {"u": X, "v": Y, "unused": np.ones(2)}
    t = {"u": TX, "v": TY, "unused": np.full(2, 5.0)}
    value, tangent = srcgrad.jvp(gradient_along, wrt=(0, 1))(d, 1.5, (t, 0.5))
    assert set(value) == set(tangent) == {"u", "v", "unused"}
    # by hand: the gradient is dout * (cos u, cos v - v sin v, 0)
    np.testing.assert_allclose(value["u"], 1.5 * np.cos(X), rtol=1e-12)
    np.testing.assert_allclose(value["v"], 1.5 * (np.cos(Y) - Y * np.sin(Y)), rtol=1e-12)
    np.testing.assert_allclose(value["unused"], np.zeros(2))
    np.testing.assert_allclose(tangent["u"], 0.5 * np.cos(X) - 1.5 * np.sin(X) * TX, rtol=1e-10)
    dv = 0.5 * (np.cos(Y) - Y * np.sin(Y)) + 1.5 * (-2.0 * np.sin(Y) - Y * np.cos(Y)) * TY
    np.testing.assert_allclose(tangent["v"], dv, rtol=1e-10)
    np.testing.assert_allclose(tangent["unused"], np.zeros(2))

    # dynamic mode: the gradient on the tape (create_graph), then its JVP
    def dynamic_gradient(u, v, dout):
        return srcgrad.autograd.grad(loss_of_a_dict({"u": u, "v": v}) * dout, (u, v), create_graph=True)

    _, (du, dv_dynamic) = dynamic_jvp(
        dynamic_gradient,
        (srcgrad.tensor(X), srcgrad.tensor(Y), srcgrad.tensor(1.5)),
        (srcgrad.tensor(TX), srcgrad.tensor(TY), srcgrad.tensor(0.5)),
    )
    np.testing.assert_allclose(tangent["u"], du.numpy(), rtol=1e-12)
    np.testing.assert_allclose(tangent["v"], dv_dynamic.numpy(), rtol=1e-12)


def test_a_key_set_on_some_paths_only_is_refused():
    def f(x):
        out = {"a": x}
        if np.sum(x) > 0:
            out["b"] = x * x
        return out

    with pytest.raises(TransformError, match=r"test_compiler_jvp_dict_results\.py.*may lack the key 'b'"):
        srcgrad.jvp(f)(X, TX)


def test_a_nested_dict_is_refused():
    def f(x):
        return {"a": {"b": x * 2.0}}

    with pytest.raises(TransformError, match=r"test_compiler_jvp_dict_results\.py, line \d+: nested tuples or dicts"):
        srcgrad.jvp(f)(X, TX)


def test_grad_of_a_returned_dict_is_still_refused():
    with pytest.raises(TransformError, match="returning one value; it returns a dict"):
        srcgrad.grad(literal)(X, Y)


def loss_of_a_dict_and_a_number(d, s):
    return np.sum(np.sin(d["u"]) * s) + s**3


GRAD_BOTH = srcgrad.grad(loss_of_a_dict_and_a_number, wrt=(0, 1))


def both_gradients(d, s):
    return GRAD_BOTH(d, s)


def test_jvp_of_a_tuple_holding_a_dict():
    """The gradient with respect to a dict and a number is a tuple holding a dict: its JVP has the same layout
    (HIPS autograd's test_dict.py::test_get at second order)."""
    d, t = {"u": X}, {"u": TX}
    value, tangent = srcgrad.jvp(both_gradients, wrt=(0, 1))(d, 0.8, (t, 0.3))
    assert isinstance(tangent, tuple) and isinstance(tangent[0], dict) and set(tangent[0]) == {"u"}
    # by hand: the gradient is (cos u * s, sum(sin u) + 3 s^2)
    np.testing.assert_allclose(value[0]["u"], np.cos(X) * 0.8, rtol=1e-12)
    np.testing.assert_allclose(tangent[0]["u"], -np.sin(X) * TX * 0.8 + np.cos(X) * 0.3, rtol=1e-10)
    assert np.isclose(tangent[1], np.sum(np.cos(X) * TX) + 6 * 0.8 * 0.3, rtol=1e-10)


def test_jvp_of_nested_tuples_and_an_empty_dict():
    def f(x):
        return (x * 2.0, (np.sin(x), {})), {}

    value, tangent = srcgrad.jvp(f)(X, TX)
    assert value[1] == {} and value[0][1][1] == {} and tangent[1] == {} and tangent[0][1][1] == {}
    np.testing.assert_allclose(tangent[0][0], 2.0 * TX, rtol=1e-12)
    np.testing.assert_allclose(tangent[0][1][0], np.cos(X) * TX, rtol=1e-12)
