"""nn.utils: gradient clipping and parameter vectors."""

import math

import numpy as np
import pytest

import srcgrad
from srcgrad import nn
from srcgrad.nn import utils


def with_grads(*grads):
    params = []
    for g in grads:
        p = nn.Parameter(srcgrad.zeros(len(g)))
        p.grad = srcgrad.tensor(g)
        params.append(p)
    return params


def test_clip_grad_norm_scales_and_returns_total_norm():
    params = with_grads([3.0, 0.0], [0.0, 4.0])
    total = utils.clip_grad_norm_(params, 1.0)
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(params[0].grad.numpy(), [3.0 / (5 + 1e-6), 0.0])
    np.testing.assert_allclose(params[1].grad.numpy(), [0.0, 4.0 / (5 + 1e-6)])
    params = with_grads([0.3, 0.4])
    assert utils.clip_grad_norm_(params, 1.0).item() == pytest.approx(0.5)
    np.testing.assert_array_equal(params[0].grad.numpy(), [0.3, 0.4])  # under the limit: untouched


def test_clip_grad_norm_other_norms_and_skips_missing_grads():
    params = with_grads([1.0, -7.0], [2.0])
    params.append(nn.Parameter(srcgrad.zeros(2)))  # no grad: skipped
    assert utils.clip_grad_norm_(params, 100.0, norm_type=math.inf).item() == 7.0
    assert utils.clip_grad_norm_(params, 100.0, norm_type=1).item() == 10.0
    assert utils.clip_grad_norm_(params[0], 100.0).item() == pytest.approx(math.sqrt(50))
    assert utils.clip_grad_norm_([nn.Parameter(srcgrad.zeros(1))], 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite():
    params = with_grads([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    assert math.isinf(utils.clip_grad_norm_(params, 1.0).item())


def test_clip_grad_value():
    params = with_grads([3.0, -0.5, -4.0])
    utils.clip_grad_value_(params, 1.0)
    np.testing.assert_array_equal(params[0].grad.numpy(), [1.0, -0.5, -1.0])


def test_parameters_to_vector_and_back():
    lin = nn.Linear(3, 2)
    vec = utils.parameters_to_vector(lin.parameters())
    np.testing.assert_array_equal(
        vec.detach().numpy(), np.concatenate([lin.weight.detach().numpy().ravel(), lin.bias.detach().numpy()])
    )
    vec.sum().backward()  # differentiable
    assert np.all(lin.weight.grad.numpy() == 1)
    utils.vector_to_parameters(srcgrad.arange(8.0), lin.parameters())
    np.testing.assert_array_equal(lin.weight.detach().numpy(), np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(lin.bias.detach().numpy(), [6.0, 7.0])
    assert lin.weight.requires_grad
    with pytest.raises(ValueError):
        utils.vector_to_parameters(srcgrad.arange(5.0), lin.parameters())
