import numpy as np
import pytest

from srcgrad.rules import unbroadcast
from srcgrad.rules.registry import _reads, primitive


def test_unbroadcast_sums_leading_and_unit_axes():
    g = np.arange(24.0).reshape(2, 3, 4)
    out = unbroadcast(g, (3, 1))
    assert out.shape == (3, 1)
    np.testing.assert_allclose(out[:, 0], g.sum(axis=(0, 2)))


def test_unbroadcast_returns_same_object_when_shapes_match():
    g = np.ones(3)
    assert unbroadcast(g, (3,)) is g
    assert unbroadcast(2.5, ()) == 2.5


def test_unbroadcast_rejects_incompatible_shape():
    with pytest.raises(ValueError, match="does not broadcast"):
        unbroadcast(np.ones((2, 3)), (4,))


def test_reads_finds_only_loaded_parameters():
    assert _reads(lambda g, ans, x, y: g * y) == {"g", "y"}
    assert _reads(lambda g, ans, x: g * ans) == {"g", "ans"}


def test_primitive_dispatches_to_array_function_types():
    class Box:
        def __init__(self, v):
            self.v = v

        @classmethod
        def __array_function__(cls, func, types, args, kwargs):
            return ("dispatched", func.__wrapped__(*[a.v if isinstance(a, Box) else a for a in args]))

    @primitive
    def double(x):
        return 2 * x

    assert double(3.0) == 6.0
    assert double(Box(4.0)) == ("dispatched", 8.0)
    assert double.__wrapped__(5.0) == 10.0
