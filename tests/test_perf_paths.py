"""The fast paths taken for speed give the results of the plain formulas.

Each speed-up in the rule table or in ``nn.functional`` replaces a general
computation by a cheaper one for common shapes (a short last axis of many
rows, a cross-entropy without weights or ignored targets). These tests check
the cheap path against the general one, at the sizes where it is taken, on
ordinary, large and non-finite inputs. They never time anything: the
benchmarks in ``benchmarks/`` do.
"""

import numpy as np
import pytest

import srcgrad
import srcgrad.nn.functional as F
from srcgrad.autograd import gradcheck
from srcgrad.rules import nnfuncs as R


def _columns_taken(shape):
    n = shape[-1]
    return 1 < n <= R._SHORT_AXIS and int(np.prod(shape)) >= R._ROWS_PER_COLUMN * n * n


SHAPES = [(300, 3), (300, 2), (40, 10, 3), (300, 8), (256, 8), (10, 3), (300, 9)]


@pytest.mark.parametrize("shape", SHAPES)
def test_short_axis_reductions_match_numpy(shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape) * 10.0 ** rng.uniform(-3, 3, shape)
    np.testing.assert_array_equal(R._reduce_keepdims(np.maximum, x, -1), np.max(x, axis=-1, keepdims=True))
    np.testing.assert_allclose(
        R._reduce_keepdims(np.add, x, x.ndim - 1), np.sum(x, axis=-1, keepdims=True), rtol=1e-12, atol=1e-9
    )
    for axis in (0, None):
        np.testing.assert_array_equal(R._reduce_keepdims(np.maximum, x, axis), np.max(x, axis=axis, keepdims=True))


def test_the_column_path_is_taken_for_the_spiral_logits():
    assert _columns_taken((300, 3))
    assert not _columns_taken((10, 3)) and not _columns_taken((300, 9))


def test_short_axis_max_propagates_nan_and_keeps_float32():
    x = np.random.default_rng(1).standard_normal((300, 3)).astype(np.float32)
    x[7, 2] = np.nan
    got = R._reduce_keepdims(np.maximum, x, 1)
    assert got.dtype == np.float32 and np.isnan(got[7, 0])
    np.testing.assert_array_equal(got, np.max(x, axis=1, keepdims=True))


def _log_softmax_reference(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


@pytest.mark.parametrize("scale", [1.0, 1e3, 1e300])
def test_log_softmax_and_softmax_on_many_short_rows(scale):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((300, 3)) * scale
    x[0] = [1000.0, -1000.0, 999.0]  # rows far apart from each other: each is shifted by its own max
    x[1] = [-1000.0, -1001.0, -1002.0]
    want = _log_softmax_reference(x, 1)
    np.testing.assert_allclose(R.log_softmax(x, axis=1), want, rtol=1e-13, atol=1e-13 * scale)
    np.testing.assert_allclose(R.softmax(x, axis=1), np.exp(want), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(R.logsumexp(x, axis=1), (x - want)[:, 0], rtol=1e-13)


def test_logsumexp_on_many_short_rows_with_infinities():
    x = np.zeros((300, 3))
    x[3] = -np.inf
    x[4] = [np.inf, 0.0, 1.0]
    x[5] = [-np.inf, 0.0, 1.0]
    got = R.logsumexp(x, axis=1)
    assert got[3] == -np.inf and got[4] == np.inf
    np.testing.assert_allclose(got[5], np.log(np.exp(0.0) + np.exp(1.0)))
    np.testing.assert_allclose(got[0], np.log(3.0))


# ---------------------------------------------------------------- cross entropy in one NllLoss node
def _composite_cross_entropy(x, target, reduction):
    """The cross-entropy written with the general primitives (an index, a negation, a mean)."""
    logp = F.log_softmax(x, 1)
    picked = logp[np.arange(len(target)), target]
    return {"mean": lambda v: v.mean(), "sum": lambda v: v.sum(), "none": lambda v: v}[reduction](-picked)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("n", [5, 300])
def test_cross_entropy_matches_the_composite(reduction, n):
    rng = np.random.default_rng(3)
    x0 = rng.standard_normal((n, 3)) * 4
    target = rng.integers(0, 3, n)
    got_x = srcgrad.tensor(x0, requires_grad=True)
    want_x = srcgrad.tensor(x0, requires_grad=True)
    got = F.cross_entropy(got_x, srcgrad.tensor(target), reduction=reduction)
    want = _composite_cross_entropy(want_x, target, reduction)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-14)
    g = rng.standard_normal(got.shape)
    got.backward(srcgrad.tensor(g))
    want.backward(srcgrad.tensor(g))
    np.testing.assert_allclose(got_x.grad.numpy(), want_x.grad.numpy(), rtol=1e-13, atol=1e-16)
    assert got.grad_fn.name() == "NllLossBackward0"
    assert got.grad_fn.next_functions[0][0].name() == "LogSoftmaxBackward0"


def test_cross_entropy_second_order_through_nll_loss():
    rng = np.random.default_rng(4)
    x = srcgrad.tensor(rng.standard_normal((6, 4)), requires_grad=True)
    target = srcgrad.tensor(rng.integers(0, 4, 6))
    gradcheck(lambda t: F.cross_entropy(t, target), (x,))
    (g,) = srcgrad.autograd.grad(F.cross_entropy(x, target, reduction="sum"), (x,), create_graph=True)
    (hv,) = srcgrad.autograd.grad((g * g).sum(), (x,))
    p = np.exp(_log_softmax_reference(x.detach().numpy(), 1))
    onehot = np.eye(4)[target.numpy()]
    d = p - onehot  # the gradient of the summed loss
    # d/dx of sum(d**2) row by row: 2 * J^T d with J = diag(p) - p p^T
    want = 2 * (p * d - p * np.sum(p * d, axis=1, keepdims=True))
    np.testing.assert_allclose(hv.numpy(), want, rtol=1e-10, atol=1e-12)


def test_nll_loss_keeps_the_target_shape_and_takes_the_general_path_when_needed():
    rng = np.random.default_rng(5)
    logp = srcgrad.tensor(np.log(rng.dirichlet(np.ones(3), (2, 4)).transpose(0, 2, 1)), requires_grad=True)
    target = rng.integers(0, 3, (2, 4))
    out = F.nll_loss(logp, srcgrad.tensor(target), reduction="none")
    assert out.shape == (2, 4)
    want = -np.take_along_axis(logp.detach().numpy(), target[:, None], 1)[:, 0]
    np.testing.assert_allclose(out.detach().numpy(), want)
    flat = srcgrad.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    ignored = F.nll_loss(flat, srcgrad.tensor([0, -100, 2, 1]))  # an ignored target: the general path
    np.testing.assert_allclose(ignored.item(), -(flat.detach().numpy()[[0, 2, 3], [0, 2, 1]]).mean())
    with pytest.raises(IndexError):
        F.nll_loss(flat, srcgrad.tensor([0, 3, 2, 1]))
    with pytest.raises(IndexError):
        F.nll_loss(flat, srcgrad.tensor([0, -1, 2, 1]))


def test_nll_loss_of_an_empty_batch_is_nan_as_in_pytorch():
    x = srcgrad.tensor(np.zeros((0, 3)), requires_grad=True)
    with np.errstate(invalid="ignore"):
        assert np.isnan(F.nll_loss(x, srcgrad.tensor(np.zeros(0, dtype=np.int64))).item())


# ---------------------------------------------------------------- np.maximum / np.minimum weights
from srcgrad.rules import get_rule  # noqa: E402
from srcgrad.rules.elementwise import max_share  # noqa: E402


def _old_maximum_vjps(g, x, y):
    """The five-pass formula max_share replaces (ties split in halves): the shares of x and of y."""
    return g * (x > y) + g * (x == y) * 0.5, g * (y > x) + g * (x == y) * 0.5


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_maximum_and_minimum_vjps_equal_the_formula(dtype):
    rng = np.random.default_rng(6)
    x = rng.integers(-2, 3, (64, 100)).astype(dtype)  # many ties
    y = rng.integers(-2, 3, (64, 100)).astype(dtype)
    x[0, :4] = [np.nan, 1.0, np.inf, -np.inf]
    y[0, :4] = [1.0, np.nan, np.inf, -np.inf]
    g = rng.standard_normal((64, 100)).astype(dtype)
    # minimum(x, y): x's weight is 1 where y > x, the pattern of y's share in maximum(y, x)
    for fn, want in ((np.maximum, _old_maximum_vjps(g, x, y)), (np.minimum, _old_maximum_vjps(g, y, x))):
        rule = get_rule(fn)
        for i in (0, 1):
            got = rule.call_vjp(i, g, fn(x, y), (x, y), {})
            assert got.dtype == dtype
            np.testing.assert_array_equal(got, want[i])
    # no ties: the weight is the boolean mask, one comparison
    share = max_share(np.array([1.0, 2.0, -1.0]), 0)
    assert share.dtype == np.bool_ and share.tolist() == [True, True, False]


def test_max_share_of_ties_numbers_and_broadcasting():
    assert max_share(1.0, 1.0) == 0.5 and max_share(2, 1) == 1.0 and max_share(float("nan"), 1.0) == 0.0
    assert max_share(np.float64(1.0), np.float64(1.0)) == 0.5
    got = max_share(np.zeros((2, 1)), np.array([0.0, 1.0, -1.0]))
    np.testing.assert_array_equal(got, [[0.5, 0.0, 1.0]] * 2)
    assert max_share(np.array([0.0, 1.0], np.float32), 0.0).dtype == np.float32
    assert max_share(np.array([0, 1]), 0).dtype == np.float64  # integers: a floating share


def test_relu_via_maximum_splits_ties_in_both_modes():
    x = srcgrad.tensor(np.array([-1.0, 0.0, 2.0]), requires_grad=True)
    np.maximum(x, 0.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.5, 1.0])
    g = srcgrad.grad(_relu_sum)
    np.testing.assert_array_equal(g(np.array([-1.0, 0.0, 2.0])), [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(g(np.array([-1.0, 3.0, 2.0])), [0.0, 1.0, 1.0])


def _relu_sum(x):
    return np.sum(np.maximum(0, x))


# ---------------------------------------------------------------- linear: bias added in place, bias gradient by BLAS
def test_linear_adds_the_bias_as_out_of_place_addition_would():
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal((300, 2)), rng.standard_normal((64, 2))
    b = rng.standard_normal(64)
    copies = x.copy(), w.copy(), b.copy()
    np.testing.assert_array_equal(R.linear(x, w, b), x @ w.T + b)
    for a, c in zip((x, w, b), copies):
        np.testing.assert_array_equal(a, c)  # nothing written into an input
    x32, w32 = x.astype(np.float32), w.astype(np.float32)
    assert R.linear(x32, w32, b).dtype == np.float64  # promotion as numpy's +
    assert R.linear(x32, w32, b.astype(np.float32)).dtype == np.float32
    wide = rng.standard_normal((300, 64))  # a bias that broadcasts the product: not in place
    np.testing.assert_array_equal(R.linear(x, w, wide), x @ w.T + wide)
    np.testing.assert_array_equal(R.linear(x[0], w, b), x[0] @ w.T + b)


def test_sum_rows_is_the_column_sum():
    rng = np.random.default_rng(8)
    for shape in ((300, 64), (300, 3), (1, 5), (0, 4)):
        a = rng.standard_normal(shape)
        np.testing.assert_allclose(R.sum_rows(a), np.sum(a, axis=0), rtol=1e-13, atol=1e-13)
    assert R.sum_rows(np.ones((3, 2), np.float32)).dtype == np.float32


SCALAR_VALUES = [0.0, -0.0, 1.5, -2.5, 1e308, 1e-310, np.inf, -np.inf, np.nan]


@pytest.mark.parametrize("ufunc", [np.add, np.subtract, np.multiply, np.true_divide])
@pytest.mark.parametrize(
    "left, right", [(np.float64, float), (np.float32, float), (float, np.float32), (np.float16, np.float64)]
)
def test_operators_on_float_scalars_give_the_ufuncs_values_types_and_warnings(ufunc, left, right):
    """A 0-d Tensor holds a numpy scalar; its operators use numpy's scalar arithmetic (recording.py)."""
    import warnings

    op = {np.add: "__add__", np.subtract: "__sub__", np.multiply: "__mul__", np.true_divide: "__truediv__"}[ufunc]
    for x in SCALAR_VALUES:
        for y in SCALAR_VALUES:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # float32(1e308) overflows
                xs, ys = left(x), right(y)
                a = xs if left is float else srcgrad.tensor(1.0, dtype=left, requires_grad=True) * xs
                b = ys if right is float else srcgrad.tensor(1.0, dtype=right, requires_grad=True) * ys
            with warnings.catch_warnings(record=True) as expected_warnings:
                warnings.simplefilter("always")
                expected = ufunc(xs, ys)
            assert type(a._value if isinstance(a, srcgrad.Tensor) else a) is left  # the scalar path is taken
            with warnings.catch_warnings(record=True) as got_warnings:
                warnings.simplefilter("always")
                got = getattr(a, op)(b) if isinstance(a, srcgrad.Tensor) else getattr(b, "__r" + op[2:])(a)
            assert type(got._value) is type(expected)
            np.testing.assert_array_equal(got._value, expected)
            assert np.signbit(got._value) == np.signbit(expected)
            assert [w.category for w in got_warnings] == [w.category for w in expected_warnings]
            assert got.grad_fn is not None


def test_a_chain_of_scalar_operators_has_the_ufuncs_gradient():
    x = srcgrad.tensor(0.5, requires_grad=True)
    y = x
    for i in range(20):
        y = np.sin(y) if i % 2 else (y * 1.25 + 0.5) / 1.5 - 0.25
    y.backward()
    v, d = 0.5, 1.0
    for i in range(20):
        if i % 2:
            v, d = np.sin(v), d * np.cos(v)
        else:
            v, d = (v * 1.25 + 0.5) / 1.5 - 0.25, d * 1.25 / 1.5
    np.testing.assert_allclose(y.item(), v, rtol=1e-15)
    np.testing.assert_allclose(x.grad.item(), d, rtol=1e-14)
