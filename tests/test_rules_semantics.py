"""The conventions the rule table chooses where calculus leaves a choice, and its API.

Finite differences cannot check these (ties, kinks, the edge of a domain), so
each is pinned here with exact expected values.
"""

import math
import operator

import numpy as np
import pytest

import srcgrad.rules as R
from srcgrad.rules import ALIASES, RULES, get_rule, unbroadcast
from srcgrad.rules.scipy_rules import is_scipy_function


def vjp(fn, i, g, *args, **kwargs):
    """The cotangent of ``args[i]`` from ``fn``'s rule, unbroadcast to its shape."""
    rule = get_rule(fn)
    ans = fn(*args, **kwargs)
    return unbroadcast(rule.call_vjp(i, g, ans, args, kwargs), np.shape(args[i]))


def via_alias(fn, *args, **kwargs):
    return ALIASES[fn](*args, **kwargs)


# ---------------------------------------------------------------- ties and kinks
@pytest.mark.parametrize("fn", [np.max, np.amax])
def test_max_ties_split_the_gradient_evenly(fn):
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    np.testing.assert_allclose(vjp(fn, 0, np.float64(6.0), x), [[0, 3, 3], [0, 0, 0]])
    np.testing.assert_allclose(vjp(fn, 0, np.array([6.0, 3.0]), x, axis=1), [[0, 3, 3], [1, 1, 1]])


@pytest.mark.parametrize("fn", [np.min, np.amin])
def test_min_ties_split_the_gradient_evenly(fn):
    x = np.array([[1.0, 1.0, 3.0, 1.0]])
    np.testing.assert_allclose(vjp(fn, 0, np.array([[3.0]]), x, axis=1, keepdims=True), [[1, 1, 0, 1]])


@pytest.mark.parametrize("fn", [np.maximum, np.minimum, max, min])
def test_elementwise_extreme_ties_split_in_halves(fn):
    x, y = np.array([1.0, 2.0]), np.array([1.0, 0.5])
    rule = get_rule(fn)
    if fn in (max, min):
        assert vjp(fn, 0, 1.0, 2.0, 2.0) == 0.5 and vjp(fn, 1, 1.0, 2.0, 2.0) == 0.5
        assert rule.call_jvp(0, 1.0, 2.0, (2.0, 2.0), {}) == 0.5 and rule.call_jvp(1, 1.0, 2.0, (2.0, 2.0), {}) == 0.5
        return
    gx, gy = vjp(fn, 0, np.ones(2), x, y), vjp(fn, 1, np.ones(2), x, y)
    assert gx[0] == 0.5 and gy[0] == 0.5
    assert gx[1] + gy[1] == 1.0
    tx, ty = rule.call_jvp(0, np.ones(2), fn(x, y), (x, y), {}), rule.call_jvp(1, np.ones(2), fn(x, y), (x, y), {})
    assert tx[0] == 0.5 and ty[0] == 0.5


@pytest.mark.parametrize("fn", [np.fmax, np.fmin])
def test_fmax_and_fmin_give_a_tie_to_the_first_argument(fn):
    x, y = np.array([1.0, 2.0]), np.array([1.0, 2.0])
    np.testing.assert_array_equal(vjp(fn, 0, np.ones(2), x, y), [1, 1])
    np.testing.assert_array_equal(vjp(fn, 1, np.ones(2), x, y), [0, 0])


def test_fmax_gives_all_of_g_to_the_argument_that_is_not_nan():
    x, y = np.array([1.0, np.nan]), np.array([np.nan, 2.0])
    np.testing.assert_array_equal(vjp(np.fmax, 0, np.ones(2), x, y), [1, 0])
    np.testing.assert_array_equal(vjp(np.fmax, 1, np.ones(2), x, y), [0, 1])


@pytest.mark.parametrize("fn", [np.absolute, R.relu, math.fabs, abs])
def test_kinks_have_gradient_zero_at_zero(fn):
    x = 0.0 if fn in (math.fabs, abs) else np.array([0.0, -0.0])
    assert np.all(vjp(fn, 0, np.ones_like(x) if fn not in (math.fabs, abs) else 1.0, x) == 0)
    rule = get_rule(fn)
    assert np.all(rule.call_jvp(0, np.ones_like(x) if fn not in (math.fabs, abs) else 1.0, fn(x), (x,), {}) == 0)


def test_clip_passes_the_gradient_at_a_bound_to_x():
    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    np.testing.assert_array_equal(vjp(np.clip, 0, np.ones(5), x, -0.5, 0.5), [0, 1, 1, 1, 0])
    np.testing.assert_array_equal(vjp(np.clip, 1, np.ones(5), x, -0.5, 0.5), 1.0)  # one element below
    np.testing.assert_array_equal(vjp(np.clip, 2, np.ones(5), x, -0.5, 0.5), 1.0)


# ---------------------------------------------------------------- power at zero
def test_power_with_zero_base_and_integer_exponents_is_finite():
    x = np.array([0.0, 0.0, 0.0, 2.0])
    for y, expected in ((0, [0, 0, 0, 0]), (1, [1, 1, 1, 1]), (2, [0, 0, 0, 4]), (3, [0, 0, 0, 12])):
        with np.errstate(all="raise"):
            np.testing.assert_array_equal(vjp(np.power, 0, np.ones(4), x, y), expected)


def test_power_exponent_gradient_is_zero_at_zero_base():
    x, y = np.array([0.0, 2.0]), np.array([2.0, 3.0])
    with np.errstate(all="raise"):
        np.testing.assert_allclose(vjp(np.power, 1, np.ones(2), x, y), [0.0, 8 * math.log(2)])


def test_power_zero_exponent_gradient_is_zero_even_where_x_is_zero():
    x, y = np.array([0.0, 3.0]), np.array([0.0, 0.0])
    np.testing.assert_array_equal(vjp(np.power, 0, np.ones(2), x, y), [0, 0])


def test_math_pow_zero_base():
    assert vjp(math.pow, 0, 1.0, 0.0, 2.0) == 0.0
    assert vjp(math.pow, 1, 1.0, 0.0, 2.0) == 0.0
    assert vjp(math.pow, 0, 1.0, 0.0, 0.0) == 0.0


def test_spectral_norm_ties_share_the_gradient():
    """The identity's singular values all tie: ||.||_2's gradient splits evenly among them."""
    np.testing.assert_allclose(vjp(np.linalg.norm, 0, np.float64(1.0), np.eye(2), ord=2), np.eye(2) / 2)


def test_norm_gradient_at_zero_is_zero():
    np.testing.assert_array_equal(vjp(np.linalg.norm, 0, np.float64(1.0), np.zeros(3)), np.zeros(3))
    x = np.array([[0.0, 0.0], [3.0, 4.0]])
    np.testing.assert_allclose(vjp(np.linalg.norm, 0, np.ones(2), x, axis=1), [[0, 0], [0.6, 0.8]])


def test_prod_gradient_with_zeros_is_exact():
    x = np.array([2.0, 0.0, 3.0])
    np.testing.assert_array_equal(vjp(np.prod, 0, np.float64(1.0), x), [0.0, 6.0, 0.0])
    np.testing.assert_array_equal(vjp(np.prod, 0, np.float64(1.0), np.array([0.0, 0.0, 3.0])), [0, 0, 0])


# ---------------------------------------------------------------- indexing
def test_getitem_with_repeated_indices_accumulates():
    x = np.arange(4.0)
    np.testing.assert_array_equal(vjp(operator.getitem, 0, np.ones(4), x, np.array([0, 0, 3, 0])), [3, 0, 0, 1])
    np.testing.assert_array_equal(vjp(operator.getitem, 0, np.ones(3), x, [1, 1, 1]), [0, 3, 0, 0])


def test_getitem_with_a_boolean_mask_and_none_and_ellipsis():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(vjp(operator.getitem, 0, np.ones(3), x, x > 2), [[0, 0, 0], [1, 1, 1]])
    g = np.ones((2, 1, 2))
    np.testing.assert_array_equal(vjp(operator.getitem, 0, g, x, (Ellipsis, None, slice(1, 3))), [[0, 1, 1], [0, 1, 1]])


def test_index_add_accumulates_and_its_value_gradient_gathers():
    x, v = np.zeros(3), np.array([1.0, 2.0, 3.0])
    out = R.index_add(x, np.array([0, 0, 2]), v)
    np.testing.assert_array_equal(out, [3, 0, 3])
    np.testing.assert_array_equal(x, 0)  # out of place
    np.testing.assert_array_equal(
        vjp(R.index_add, 2, np.array([10.0, 20.0, 30.0]), x, np.array([0, 0, 2]), v), [10, 10, 30]
    )


def test_index_update_gradients_follow_the_last_write():
    x, v = np.zeros(3), np.array([1.0, 2.0, 3.0])
    idx = np.array([1, 1, 0])
    out = R.index_update(x, idx, v)
    np.testing.assert_array_equal(out, [3, 2, 0])
    g = np.array([10.0, 20.0, 30.0])
    np.testing.assert_array_equal(vjp(R.index_update, 0, g, x, idx, v), [0, 0, 30])
    np.testing.assert_array_equal(vjp(R.index_update, 2, g, x, idx, v), [0, 20, 10])


def test_index_update_keeps_the_result_dtype():
    assert R.index_update(np.zeros(3, np.float32), 1, 2.0).dtype == np.float32
    assert R.index_add(np.zeros(3, np.int64), 1, 0.5).dtype == np.float64


# ---------------------------------------------------------------- ML helpers are stable
def test_ml_helpers_are_stable_at_extremes_and_keep_float32():
    x = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        for f in (R.sigmoid, R.softplus, R.relu, R.softmax, R.log_softmax):
            out = f(x)
            assert out.dtype == np.float32, f.__name__
            assert np.all(np.isfinite(out)), f.__name__
        assert np.isfinite(R.logsumexp(x)) and R.logsumexp(x).dtype == np.float32
    np.testing.assert_allclose(R.sigmoid(np.array([0.0, 2.0])), 1 / (1 + np.exp(-np.array([0.0, 2.0]))))
    np.testing.assert_allclose(R.softplus(np.array([-1.0, 2.0])), np.log1p(np.exp([-1.0, 2.0])))
    np.testing.assert_allclose(R.logsumexp(np.array([1.0, 2.0])), np.log(np.exp(1) + np.exp(2)))
    np.testing.assert_allclose(np.sum(R.softmax(np.ones((2, 3)), axis=0), axis=0), 1.0)
    assert R.logsumexp(np.array([-np.inf, -np.inf])) == -np.inf


def test_softmax_and_log_softmax_agree():
    x = np.random.default_rng(0).standard_normal((3, 4))
    np.testing.assert_allclose(np.exp(R.log_softmax(x, axis=0)), R.softmax(x, axis=0))


def test_nansum_gives_nan_entries_no_gradient():
    x = np.array([1.0, np.nan, 2.0])
    rule = get_rule(np.where)
    cond = np.isnan(x)
    ans = np.where(cond, 0, x)
    np.testing.assert_array_equal(rule.call_vjp(2, np.ones(3), ans, (cond, 0, x), {}), [1, 0, 1])


# ---------------------------------------------------------------- aliases
ALIAS_CALLS = [
    (np.concatenate, ([np.ones((2, 3)), np.zeros((1, 3))],), {}),
    (np.concatenate, ([np.ones((2, 3)), np.zeros((2, 1))],), {"axis": 1}),
    (np.concatenate, ([np.ones((2, 3)), np.arange(4.0)],), {"axis": None}),
    (np.stack, ([np.ones(3), np.arange(3.0)],), {"axis": 1}),
    (np.hstack, ([np.ones(3), np.arange(2.0)],), {}),
    (np.hstack, ([np.ones((2, 3)), np.zeros((2, 1))],), {}),
    (np.hstack, ([np.float64(1.0), np.arange(2.0)],), {}),
    (np.vstack, ([np.ones(3), np.arange(3.0)],), {}),
    (np.vstack, ([np.ones((2, 3)), np.arange(3.0)],), {}),
    (np.column_stack, ([np.ones(3), np.arange(6.0).reshape(3, 2)],), {}),
    (np.split, (np.arange(6.0), 3), {}),
    (np.split, (np.arange(12.0).reshape(3, 4), [1, 3]), {"axis": 1}),
    (np.array_split, (np.arange(7.0), 3), {}),
    (np.dstack, ([np.ones(3), np.arange(3.0)],), {}),
    (np.dstack, ([np.ones((2, 3)), np.arange(6.0).reshape(2, 3)],), {}),
    (np.einsum, ("ij,jk->ik", np.ones((2, 3)), np.arange(6.0).reshape(3, 2)), {}),
    (np.einsum, ("ij", np.arange(6.0).reshape(3, 2)), {}),
    (np.atleast_1d, (np.float64(2.0),), {}),
    (np.atleast_2d, (np.arange(3.0),), {}),
    (np.atleast_2d, (np.arange(3.0), np.float64(1.5)), {}),
    (np.atleast_3d, (np.arange(6.0).reshape(2, 3),), {}),
    (np.gradient, (np.arange(5.0) ** 2,), {}),
    (np.gradient, (np.arange(12.0).reshape(3, 4) ** 2, 0.5), {"edge_order": 2}),
    (np.gradient, (np.arange(12.0).reshape(3, 4) ** 2,), {"axis": 1}),
    (np.fliplr, (np.arange(6.0).reshape(2, 3),), {}),
    (np.rollaxis, (np.arange(24.0).reshape(2, 3, 4), 2), {}),
    (np.rollaxis, (np.arange(24.0).reshape(2, 3, 4), 0, 3), {}),
    (np.rollaxis, (np.arange(24.0).reshape(2, 3, 4), -1, 1), {}),
    (np.astype, (np.arange(3.0), np.float32), {}),
    (np.unstack, (np.arange(6.0).reshape(2, 3),), {"axis": 1}),
    (np.linalg.multi_dot, ([np.ones(3), np.arange(6.0).reshape(3, 2), np.arange(4.0).reshape(2, 2)],), {}),
    (np.linalg.vecdot, (np.arange(6.0).reshape(2, 3), np.arange(3.0)), {}),
    (np.linalg.matrix_transpose, (np.arange(6.0).reshape(1, 2, 3),), {}),
    (np.matrix_transpose, (np.arange(6.0).reshape(2, 3),), {}),
    (np.linalg.vector_norm, (np.arange(6.0).reshape(2, 3),), {}),
    (np.linalg.vector_norm, (np.arange(6.0).reshape(2, 3),), {"keepdims": True, "ord": 1}),
    (np.linalg.vector_norm, (np.arange(6.0).reshape(2, 3),), {"axis": 0}),
    (np.linalg.matrix_norm, (np.arange(12.0).reshape(2, 2, 3),), {}),
    (np.average, (np.arange(6.0).reshape(2, 3),), {"axis": 1}),
    (np.average, (np.arange(6.0).reshape(2, 3),), {"axis": 1, "weights": np.array([1.0, 2.0, 3.0])}),
    (np.average, (np.arange(6.0).reshape(2, 3),), {"weights": np.arange(6.0).reshape(2, 3) + 1, "keepdims": True}),
    (np.nansum, (np.array([[1.0, np.nan], [3.0, 4.0]]),), {"axis": 0}),
    (np.nanmean, (np.array([[1.0, np.nan], [3.0, 4.0]]),), {}),
    (np.ptp, (np.array([[1.0, 5.0], [3.0, 4.0]]),), {"axis": 1, "keepdims": True}),
    (np.linalg.svd, (np.array([[1.0, 5.0, 2.0], [3.0, 4.0, 0.5]]),), {"full_matrices": False}),
    (np.linalg.svd, (np.array([[1.0, 5.0, 2.0], [3.0, 4.0, 0.5]]),), {"compute_uv": False}),
    (np.linalg.svdvals, (np.array([[1.0, 5.0, 2.0], [3.0, 4.0, 0.5]]),), {}),
    (np.linalg.matrix_power, (np.array([[1.0, 0.5], [0.25, 2.0]]), 3), {}),
    (np.linalg.matrix_power, (np.array([[1.0, 0.5], [0.25, 2.0]]), -2), {}),
    (np.linalg.matrix_power, (np.array([[1.0, 0.5], [0.25, 2.0]]), 0), {}),
    (np.linalg.matmul, (np.ones((2, 3)), np.arange(3.0)), {}),
    (np.linalg.tensordot, (np.ones((2, 3)), np.arange(6.0).reshape(3, 2)), {"axes": 1}),
    (np.linalg.outer, (np.ones(2), np.arange(3.0)), {}),
    (np.linalg.cross, (np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])), {}),
    (np.linalg.trace, (np.arange(18.0).reshape(2, 3, 3),), {"offset": 1}),
    (np.linalg.diagonal, (np.arange(18.0).reshape(2, 3, 3),), {}),
    (np.correlate, (np.array([1.0, 2.0, 4.0, -1.0]), np.array([0.5, 3.0])), {}),
    (np.polyval, (np.array([2.0, -1.0, 0.5]), np.array([0.5, 1.5, -2.0])), {}),
    (np.polyval, ([2.0, -1.0, 0.5, 3.0], np.array([[0.5, 1.5], [-2.0, 0.0]])), {}),
    (np.correlate, (np.array([1.0, 2.0]), np.array([0.5, 3.0, -2.0])), {"mode": "same"}),
    (np.correlate, (np.array([1.0, 2.0, 4.0]), np.array([0.5, 3.0])), {"mode": "full"}),
    (np.correlate, (np.array([1.0, 2.0]), np.array([0.5, 3.0, -2.0, 1.5])), {"mode": "same"}),
    # complex values: numpy conjugates v (the alias once did not: a wrong value in dynamic mode)
    (np.correlate, (np.array([1.0 + 2j, 2.0, 4.0 - 1j]), np.array([0.5j, 3.0 + 1j])), {"mode": "full"}),
    (np.correlate, (np.array([1.0 + 2j, 2.0]), np.array([0.5j, 3.0 + 1j, -1.0])), {"mode": "same"}),
    (
        np.select,
        ([np.array([True, False, False]), np.array([True, True, False])], [np.arange(3.0), np.ones(3) * 5]),
        {"default": -1.0},
    ),
    (np.select, ([np.array([[True], [False]])], [np.arange(3.0)]), {}),
    (np.einsum, (np.arange(6.0).reshape(2, 3), [0, 1], np.arange(12.0).reshape(3, 4), [1, 2]), {}),
    (np.einsum, (np.arange(6.0).reshape(2, 3), [0, 1], np.arange(12.0).reshape(3, 4), [1, 2], [2, 0]), {}),
    (np.einsum, (np.arange(6.0).reshape(2, 3), [Ellipsis, 0]), {}),
    (np.einsum, (np.arange(6.0).reshape(2, 3), [30, 2], np.arange(3.0), [2]), {}),  # labels past 'z'
    (operator.add, (np.arange(3.0), 2.0), {}),
    (operator.sub, (np.arange(3.0), np.ones(3)), {}),
    (operator.mul, (np.arange(3.0), np.arange(3.0)), {}),
    (operator.truediv, (np.arange(3.0), 4.0), {}),
    (operator.matmul, (np.arange(6.0).reshape(2, 3), np.arange(3.0)), {}),
    (operator.pow, (np.arange(3.0), 3.0), {}),
    (operator.mod, (np.arange(5.0), 3.0), {}),
    (operator.floordiv, (np.arange(5.0), 2.0), {}),
    (divmod, (np.arange(5.0) - 2.0, 1.5), {}),
    (np.divmod, (np.arange(6.0).reshape(2, 3), np.array([1.5, -2.0, 0.75])), {}),
    (operator.neg, (np.arange(3.0),), {}),
    (operator.pos, (np.arange(3.0),), {}),
    (operator.abs, (np.arange(3.0) - 1,), {}),
    (operator.lt, (np.arange(3.0), 1.0), {}),
    (operator.le, (np.arange(3.0), 1.0), {}),
    (operator.gt, (np.arange(3.0), 1.0), {}),
    (operator.ge, (np.arange(3.0), 1.0), {}),
    (operator.eq, (np.arange(3.0), 1.0), {}),
    (operator.ne, (np.arange(3.0), 1.0), {}),
    (np.flipud, (np.arange(6.0).reshape(2, 3),), {}),
    (np.add.reduce, (np.arange(6.0).reshape(2, 3),), {}),  # ufunc methods: axis 0 unless told otherwise
    (np.multiply.reduce, (np.arange(1.0, 7.0).reshape(2, 3), 1), {}),
    (np.maximum.reduce, (np.arange(6.0).reshape(2, 3),), {"keepdims": True}),
    (np.minimum.reduce, (np.arange(6.0).reshape(2, 3),), {"axis": None}),
    (np.add.accumulate, (np.arange(6.0).reshape(2, 3),), {"axis": 1}),
    (np.multiply.accumulate, (np.arange(1.0, 7.0).reshape(2, 3),), {}),
]


@pytest.mark.parametrize("fn,args,kwargs", ALIAS_CALLS, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(ALIAS_CALLS)])
def test_alias_computes_what_numpy_computes(fn, args, kwargs):
    expected = fn(*args, **kwargs)
    actual = via_alias(fn, *args, **kwargs)
    if isinstance(expected, (list, tuple)):
        assert type(actual) is type(expected) and len(actual) == len(expected)
        for a, e in zip(actual, expected):
            np.testing.assert_array_equal(a, e)
    else:
        np.testing.assert_array_equal(actual, expected)
        assert np.shape(actual) == np.shape(expected)


def test_every_alias_is_exercised():
    # (scipy's adaptors, registered with scipy's rules when a test loads them, are exercised by their own tests)
    assert {fn for fn in ALIASES if not is_scipy_function(ALIASES[fn])} == {c[0] for c in ALIAS_CALLS}


def test_no_alias_shadows_a_primitive():
    """An alias of a function that has a rule would rewrite it into itself, forever."""
    assert not [fn for fn in ALIASES if fn in RULES]


def test_aliases_reject_what_they_cannot_differentiate():
    with pytest.raises(ValueError, match="equal division"):
        via_alias(np.split, np.arange(7.0), 3)
    with pytest.raises(NotImplementedError):
        via_alias(np.einsum, "ij->i", np.ones((2, 2)), out=np.zeros(2))
    with pytest.raises(NotImplementedError, match="mode='mean'"):  # its padding is computed, not copied
        vjp(np.pad, 0, np.ones(5), np.ones(3), 1, mode="mean")
    with pytest.raises(NotImplementedError, match="reflect_type='odd'"):  # 2 * edge - x: not a copy either
        vjp(np.pad, 0, np.ones(5), np.ones(3), 1, mode="reflect", reflect_type="odd")
    with pytest.raises(ValueError, match="full_matrices=False"):  # g reaches the rows of vh svd does not determine
        x = np.arange(6.0).reshape(2, 3)
        ans = R.linalg.svd_p(x, True)
        get_rule(R.linalg.svd_p).call_vjp(0, tuple(np.ones_like(a) for a in ans), ans, (x, True), {})


def test_interp_refuses_what_it_cannot_differentiate():
    x, xp, fp = np.array([0.5]), np.array([0.0, 1.0]), np.array([1.0, 3.0])
    with pytest.raises(NotImplementedError, match="xp"):
        vjp(np.interp, 1, np.ones(1), x, xp, fp)
    with pytest.raises(NotImplementedError, match="period"):
        vjp(np.interp, 0, np.ones(1), x, xp, fp, period=2.0)


def test_reduction_rules_refuse_keywords_that_change_the_gradient():
    with pytest.raises(TypeError):
        vjp(np.sum, 0, np.float64(1.0), np.ones(3), where=np.array([True, False, True]))


# ---------------------------------------------------------------- the registry contract
def test_arguments_past_the_rule_get_no_gradient():
    rule = get_rule(np.sum)
    assert rule.vjp_at(1) is None and rule.call_vjp(1, 1.0, 3.0, (np.ones(3), 0), {}) is None


def test_variadic_rules_receive_their_argument_index():
    a, b, c = np.ones((2, 3)), np.zeros((1, 3)), np.full((2, 3), 2.0)
    rule = get_rule(R.concatenate_args)
    assert rule.variadic
    ans = R.concatenate_args(a, b, c)
    g = np.arange(15.0).reshape(5, 3)
    np.testing.assert_array_equal(rule.call_vjp(1, g, ans, (a, b, c), {}), g[2:3])
    np.testing.assert_array_equal(rule.call_vjp(2, g, ans, (a, b, c), {}), g[3:])
    assert get_rule(R.stack_args).variadic and get_rule(R.einsum_args).variadic
    assert get_rule(R.einsum_args).vjp_at(0) is None


def test_multiple_output_rules_are_flagged():
    assert get_rule(R.split_tuple).multiple_outputs
    assert get_rule(np.linalg.slogdet).multiple_outputs
    x = np.arange(6.0)
    ans = R.split_tuple(x, 3)
    assert isinstance(ans, tuple) and len(ans) == 3
    g = (np.ones(2), np.zeros(2), np.full(2, 3.0))
    np.testing.assert_array_equal(get_rule(R.split_tuple).call_vjp(0, g, ans, (x, 3), {}), [1, 1, 0, 0, 3, 3])


NONDIFF = [
    np.less,
    np.greater,
    np.equal,
    np.not_equal,
    np.less_equal,
    np.greater_equal,
    np.floor,
    np.ceil,
    np.round,
    np.around,
    np.rint,
    np.sign,
    np.trunc,
    np.argmax,
    np.argmin,
    np.argsort,
    np.nonzero,
    np.isnan,
    np.isfinite,
    np.logical_and,
    np.logical_or,
    np.logical_not,
    np.logical_xor,
    np.zeros_like,
    np.ones_like,
    np.shape,
    R.reductions.equal_share,
    R.indexing.last_write_mask,
]


@pytest.mark.parametrize("fn", NONDIFF, ids=lambda f: getattr(f, "__name__", str(f)))
def test_zero_derivative_primitives_are_registered_nondiff(fn):
    rule = get_rule(fn)
    assert rule is not None and not rule.differentiable and not rule.vjps


BACKWARD_NAMES = {
    np.multiply: "MulBackward0",
    np.add: "AddBackward0",
    np.subtract: "SubBackward0",
    np.true_divide: "DivBackward0",
    np.power: "PowBackward0",
    np.negative: "NegBackward0",
    np.matmul: "MmBackward0",
    np.exp: "ExpBackward0",
    np.log: "LogBackward0",
    np.sin: "SinBackward0",
    np.tanh: "TanhBackward0",
    R.sigmoid: "SigmoidBackward0",
    R.relu: "ReluBackward0",
    np.absolute: "AbsBackward0",
    np.sqrt: "SqrtBackward0",
    np.sum: "SumBackward0",
    np.mean: "MeanBackward0",
    np.max: "MaxBackward1",
    np.reshape: "ViewBackward0",
    np.transpose: "PermuteBackward0",
    operator.getitem: "IndexBackward0",
    R.concatenate_args: "CatBackward0",
    R.stack_args: "StackBackward0",
    np.clip: "ClampBackward1",
    np.maximum: "MaximumBackward0",
    np.where: "WhereBackward0",
    R.softmax: "SoftmaxBackward0",
    R.log_softmax: "LogSoftmaxBackward0",
}


def test_backward_names_follow_pytorch():
    for fn, name in BACKWARD_NAMES.items():
        assert get_rule(fn).backward_name == name, fn


def test_needs_keep_only_what_the_rules_read():
    assert get_rule(np.exp).needs == (frozenset({"g", "ans"}),)
    assert get_rule(R.sigmoid).needs == (frozenset({"g", "ans"}),)
    assert get_rule(np.add).needs == (frozenset({"g"}), frozenset({"g"}))
    assert "x" not in get_rule(np.tanh).needs[0]


def test_public_names():
    for name in (
        "sigmoid",
        "relu",
        "softplus",
        "softmax",
        "log_softmax",
        "logsumexp",
        "index_add",
        "index_update",
        "concatenate_args",
        "stack_args",
        "split_tuple",
        "einsum_args",
    ):
        assert name in R.__all__ and callable(getattr(R, name))
    assert len(RULES) > 150


class _IndexLike:
    """An integer index that is neither a list nor an ndarray (as a Tensor index would be)."""

    def __init__(self, values):
        self.values = np.asarray(values)

    def __array__(self, dtype=None, copy=None):
        return self.values if dtype is None else self.values.astype(dtype)

    def __index__(self):  # pragma: no cover - numpy does not call it for arrays
        raise TypeError


def test_index_add_accumulates_for_any_array_like_index():
    out = R.index_add(np.zeros(3), (np.array([0, 0, 1]),), np.ones(3))
    np.testing.assert_array_equal(out, [2, 1, 0])
    out = R.index_add(np.zeros(3), [True, False, True], np.ones(2))
    np.testing.assert_array_equal(out, [1, 0, 1])
    assert not R.indexing._is_basic(_IndexLike([0, 0]))
    assert R.indexing._is_basic((Ellipsis, None, slice(1), 2, np.array([True])))


def test_std_of_equal_values_has_zero_gradient_in_both_modes():
    # PyTorch masks std's backward where the std is 0; srcgrad does the same
    # (the exact derivative does not exist there; 0 is the subgradient FD sees).
    import srcgrad

    def f(x):
        return np.std(x, axis=1).sum()

    x0 = np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]])
    x = srcgrad.tensor(x0, requires_grad=True)
    f(x).backward()
    g = x.grad.numpy()
    assert np.all(g[0] == 0.0)
    d = x0[1] - x0[1].mean()
    np.testing.assert_allclose(g[1], d / (3 * np.std(x0[1])))
    np.testing.assert_allclose(srcgrad.grad(f)(x0), g)
    single = srcgrad.tensor([1.5], requires_grad=True)
    np.std(single).backward()
    assert single.grad.numpy()[0] == 0.0
