"""Binary ufunc rules under random broadcasting (hypothesis): the VJP, unbroadcast
to each argument's shape, matches finite differences; the JVP has ans's shape."""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

from srcgrad.rules import get_rule
from test_rules import Case, check_rule

# (ufunc, low, high): a domain where the function is smooth
BINARY = [
    (np.add, -1, 1),
    (np.subtract, -1, 1),
    (np.multiply, -1, 1),
    (np.true_divide, 0.5, 2),
    (np.power, 0.5, 2),
    (np.arctan2, 0.5, 2),
    (np.hypot, 0.5, 2),
    (np.logaddexp, -1, 1),
    (np.maximum, -1, 1),
    (np.minimum, -1, 1),
    (np.fmax, -1, 1),
    (np.fmin, -1, 1),
    (np.float_power, 0.5, 2),
]


@pytest.mark.parametrize("fn,lo,hi", BINARY, ids=[get_rule(f).name for f, _, _ in BINARY])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3), seed=st.integers(0, 2**16))
def test_binary_rule_under_broadcasting(fn, lo, hi, shapes, seed):
    rng = np.random.default_rng(seed)
    x, y = (rng.uniform(lo, hi, size=s) for s in shapes.input_shapes)
    if fn in (np.maximum, np.minimum, np.fmax, np.fmin):  # a near tie is a kink finite differences step over
        assume(np.all(np.abs(x - y) > 1e-4))
    check_rule(Case(fn, (x, y), {}, f"{get_rule(fn).name}{shapes.input_shapes}"), rng)


@settings(max_examples=25, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3), seed=st.integers(0, 2**16))
def test_where_under_broadcasting(shapes, seed):
    rng = np.random.default_rng(seed)
    c, x, y = (rng.uniform(-1, 1, size=s) for s in shapes.input_shapes)
    check_rule(Case(np.where, (c > 0, x, y), {}, f"where{shapes.input_shapes}"), rng)
