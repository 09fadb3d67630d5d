"""nn.init: gains, fans, bounds and spreads (statistically, with a seeded generator), no_grad writes."""

import math

import numpy as np
import pytest

import srcgrad
from srcgrad import nn
from srcgrad.nn import init


def test_calculate_gain():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")


def test_fans():
    assert init._calculate_fan_in_and_fan_out(srcgrad.zeros(5, 3)) == (3, 5)
    assert init._calculate_fan_in_and_fan_out(srcgrad.zeros(8, 4, 3, 2)) == (24, 48)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(srcgrad.zeros(3))


def test_functions_write_in_place_under_no_grad_and_return_the_tensor():
    p = nn.Parameter(srcgrad.zeros(40, 50))
    version = p._version
    assert init.normal_(p) is p
    assert p.requires_grad and p.is_leaf and p._version > version
    assert init.zeros_(p) is p and np.all(p.detach().numpy() == 0)
    init.ones_(p)
    assert np.all(p.detach().numpy() == 1)
    init.constant_(p, 0.25)
    assert np.all(p.detach().numpy() == 0.25)
    e = init.eye_(srcgrad.zeros(3, 4))
    np.testing.assert_array_equal(e.numpy(), np.eye(3, 4))


def test_seeded_generator_makes_init_repeatable():
    srcgrad.manual_seed(11)
    a = nn.Linear(5, 4).weight.detach().numpy().copy()
    srcgrad.manual_seed(11)
    b = nn.Linear(5, 4).weight.detach().numpy().copy()
    np.testing.assert_array_equal(a, b)


def spread(fill, shape=(200, 300), **kwargs):
    srcgrad.manual_seed(0)
    t = srcgrad.zeros(*shape)
    fill(t, **kwargs)
    return t.numpy()


def test_uniform_and_normal_statistics():
    u = spread(init.uniform_, a=-2.0, b=3.0)
    assert u.min() >= -2 and u.max() < 3 and abs(u.mean() - 0.5) < 0.03 and abs(u.std() - 5 / math.sqrt(12)) < 0.02
    n = spread(init.normal_, mean=1.0, std=0.5)
    assert abs(n.mean() - 1.0) < 0.01 and abs(n.std() - 0.5) < 0.01
    t = spread(init.trunc_normal_, std=1.0, a=-1.0, b=1.5)
    assert t.min() >= -1 and t.max() <= 1.5


def test_xavier_statistics():
    fan_in, fan_out = 300, 200
    bound = math.sqrt(6 / (fan_in + fan_out)) * 2.0
    u = spread(init.xavier_uniform_, gain=2.0)
    assert np.abs(u).max() <= bound and np.abs(u).max() > 0.99 * bound
    assert abs(u.std() - bound / math.sqrt(3)) < 0.01 * bound
    n = spread(init.xavier_normal_)
    assert abs(n.std() - math.sqrt(2 / (fan_in + fan_out))) < 0.01 * math.sqrt(2 / 500)


def test_kaiming_statistics():
    fan_in, fan_out = 300, 200
    u = spread(init.kaiming_uniform_, nonlinearity="relu")
    bound = math.sqrt(2) * math.sqrt(3 / fan_in)
    assert np.abs(u).max() <= bound and np.abs(u).max() > 0.99 * bound
    u = spread(init.kaiming_uniform_, a=math.sqrt(5))  # Linear's default: bound 1/sqrt(fan_in)
    assert np.abs(u).max() <= 1 / math.sqrt(fan_in) and np.abs(u).max() > 0.99 / math.sqrt(fan_in)
    n = spread(init.kaiming_normal_, mode="fan_out", nonlinearity="relu")
    assert abs(n.std() - math.sqrt(2 / fan_out)) < 0.01 * math.sqrt(2 / fan_out)
    with pytest.raises(ValueError):
        spread(init.kaiming_normal_, mode="fan_avg")


def test_orthogonal():
    q = spread(init.orthogonal_, shape=(4, 6))
    np.testing.assert_allclose(q @ q.T, np.eye(4), atol=1e-12)
    q = spread(init.orthogonal_, shape=(6, 4), gain=2.0)
    np.testing.assert_allclose(q.T @ q, 4 * np.eye(4), atol=1e-12)


def test_generator_argument():
    g = srcgrad.Generator().manual_seed(3)
    a = init.normal_(srcgrad.zeros(3), generator=g).numpy().copy()
    b = init.normal_(srcgrad.zeros(3), generator=srcgrad.Generator().manual_seed(3)).numpy()
    np.testing.assert_array_equal(a, b)
