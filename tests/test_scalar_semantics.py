"""A 0-d Tensor under ``+=``: numpy's scalar meaning, except where PyTorch code needs its own.

A numpy function holds a float or numpy scalar where dynamic mode holds a
0-d Tensor. Scalars are immutable: ``s = x * 2.0; parts = [s]; parts[0] +=
1.0`` leaves ``s`` alone. So ``+=``, ``-=``, ``*=`` and ``/=`` on a 0-d Tensor
rebind the name to a new Tensor, unless the Tensor is a leaf that requires
grad (``p -= lr * p.grad`` under ``no_grad`` is PyTorch's manual SGD and must
change ``p``) or PyTorch's meanings were chosen (``srcgrad run``), where every
0-d Tensor changes in place as in PyTorch.
"""

import numpy as np
import pytest

import srcgrad as sg
from corpus.harness import fd_grad


def alias_of_a_float_argument(s, x):
    parts = [s, 2.0]
    parts[0] += 1.0
    return s * np.sum(x) + parts[0]


def alias_of_a_computed_scalar(x):
    s = np.sum(x**2)
    parts = [s, 1.0]
    parts[0] += 1.0
    v = x[0]
    v += 1.0  # numpy: x[0] is a scalar copy, so x is unchanged
    t = s
    t /= 4.0
    return s * parts[0] + v * x[1] + t


def test_a_float_argument_held_as_a_constant_tensor_is_not_changed_through_an_alias():
    x0 = np.array([0.5, 1.0])
    s = sg.tensor(2.0)
    out = alias_of_a_float_argument(s, sg.tensor(x0, requires_grad=True))
    assert out.item() == alias_of_a_float_argument(2.0, x0) == 6.0
    assert s.item() == 2.0


def test_a_computed_scalar_is_not_changed_through_an_alias_and_the_gradient_is_right():
    x0 = np.array([0.3, -1.2, 0.5])
    x = sg.tensor(x0, requires_grad=True)
    out = alias_of_a_computed_scalar(x)
    assert np.isclose(out.item(), alias_of_a_computed_scalar(x0.copy()))
    out.backward()
    np.testing.assert_allclose(x.grad.numpy(), fd_grad(alias_of_a_computed_scalar, (x0,), 0), rtol=1e-6, atol=1e-8)
    with sg.no_grad():
        c = sg.tensor(x0)
        alias_of_a_computed_scalar(c)
        np.testing.assert_array_equal(c.numpy(), x0)


def test_manual_sgd_on_scalar_parameters_updates_them_in_place():
    a = sg.tensor(1.0, requires_grad=True)
    b = sg.tensor(-2.0, requires_grad=True)
    params = [a, b]
    (a * 3.0 + b * b).backward()
    with sg.no_grad():
        for p in params:
            p -= 0.1 * p.grad
    assert a.item() == pytest.approx(0.7) and b.item() == pytest.approx(-1.6)
    with pytest.raises(sg.AutogradError, match="a leaf Variable that requires grad"):
        a += 1.0


def test_with_pytorchs_meanings_a_scalar_changes_in_place_as_in_pytorch():
    with sg.set_method_meanings("pytorch"):
        step = sg.tensor(0.0)
        steps = [step]
        for s in steps:
            s += 1.0
        assert step.item() == 1.0
        loss = sg.tensor(np.array([1.0, 2.0]), requires_grad=True).sum()
        alias = loss
        loss += 5.0
        assert alias.item() == 8.0
    step = sg.tensor(0.0)
    for s in [step]:
        s += 1.0
    assert step.item() == 0.0  # numpy's meaning: s was rebound
