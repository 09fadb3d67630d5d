"""Property tests: random shapes, axes, indices, dtypes and compositions, checked in both modes.

Hypothesis chooses the structure (shapes, axes, keepdims, indices, which
primitives to compose); a seeded numpy generator drawn by hypothesis chooses
the values, away from kinks and ties. Every example compares dynamic mode and
static mode with central finite differences (float64), and float32 inputs must
give float32 gradients close to the float64 ones. Example counts stay small so
the whole file runs in seconds.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import srcgrad
from corpus.harness import assert_grads_close, dynamic_grad, numeric_grad
from srcgrad.rules import RULES

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW = settings(SETTINGS, max_examples=10)
seeds = st.integers(0, 2**32 - 1)
RTOL, ATOL = 1e-5, 1e-6


def _forward_mode_built():
    if not hasattr(srcgrad, "jvp"):
        return False
    try:
        srcgrad.jvp(_square)(2.0, 1.0)
    except NotImplementedError:
        return False
    return True


def _square(x):
    return x * x


FORWARD = _forward_mode_built()


def check_both_modes(fn, args, wrt, source=None):
    """Dynamic and static mode against finite differences and each other; forward mode against them."""
    expected = numeric_grad(fn, args, wrt)
    # Finite differences lose digits in proportion to the size of the numbers (a random program may square a
    # value five times), so the absolute tolerance scales with the largest gradient element.
    atol = ATOL * max([1.0] + [float(np.max(np.abs(e), initial=0.0)) for e in expected.values()])
    _, dynamic = dynamic_grad(fn, args, wrt)
    assert_grads_close(dynamic, expected, RTOL, atol, "dynamic mode", args)
    if hasattr(srcgrad, "grad"):
        df = srcgrad.grad(fn, wrt=tuple(wrt), source=source)
        static = dict(zip(wrt, df(*args)))
        assert_grads_close(static, expected, RTOL, atol, "static mode", args)
        assert_grads_close(static, dynamic, 1e-9, 1e-11, "static vs dynamic", args)
    if FORWARD:
        rng = np.random.default_rng(7)
        for i in wrt:
            tangent = rng.normal(size=np.shape(args[i]))
            _, got = srcgrad.jvp(fn, wrt=i, source=source)(*args, tangent)
            want = float(np.sum(dynamic[i] * tangent))
            assert abs(float(got) - want) <= 1e-8 + 1e-8 * abs(want), (
                f"forward mode along argument {i}: {float(got)!r}, reverse-mode gradient . tangent: {want!r}"
            )


# ------------------------------------------------------------------ binary elementwise rules, with broadcasting


def _values(op, rng, shapes):
    """Inputs inside each primitive's smooth domain."""
    a_shape, b_shape = shapes
    if op in (np.power, np.float_power):
        return rng.uniform(0.5, 2.0, a_shape), rng.normal(size=b_shape)
    if op is np.divide:
        return rng.normal(size=a_shape), rng.uniform(0.5, 2.0, b_shape) * rng.choice([-1.0, 1.0], b_shape)
    if op in (np.remainder, np.fmod):  # |a| < b: no jump of a mod b nearby
        return rng.uniform(0.2, 1.3, a_shape) * rng.choice([-1.0, 1.0], a_shape), rng.uniform(1.5, 2.5, b_shape)
    if op is np.arctan2:  # away from the branch cut on the negative x axis
        return rng.normal(size=a_shape), rng.uniform(0.5, 2.0, b_shape)
    return rng.normal(size=a_shape), rng.normal(size=b_shape)


BINARY = [
    f
    for f, r in RULES.items()  # numpy's own (scipy's ufuncs have their rules checked in test_rules_scipy.py)
    if isinstance(f, np.ufunc)
    and f.nin == 2
    and f.nout == 1
    and r.differentiable
    and f.signature is None
    and getattr(np, f.__name__, None) is f
]


def _binary_loss(op):
    def binary_loss(a, b, w):
        return np.sum(op(a, b) * w)

    return binary_loss


def test_every_binary_elementwise_rule_is_covered():
    names = {f.__name__ for f in BINARY}
    assert {
        "add",
        "subtract",
        "multiply",
        "divide",
        "power",
        "maximum",
        "minimum",
        "arctan2",
        "hypot",
        "logaddexp",
        "remainder",
    } <= names


@pytest.mark.parametrize("op", BINARY, ids=lambda f: f.__name__)
@settings(SETTINGS, max_examples=6)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3), seed=seeds)
def test_binary_broadcasting(op, shapes, seed):
    rng = np.random.default_rng(seed)
    a, b = _values(op, rng, shapes.input_shapes)
    w = rng.normal(size=shapes.result_shape)
    check_both_modes(_binary_loss(op), (a, b, w), (0, 1))


# ------------------------------------------------------------------ reductions: random axes and keepdims

REDUCTIONS = [np.sum, np.mean, np.prod, np.max, np.amax, np.min, np.amin, np.var, np.std]
SCANS = [np.cumsum, np.cumprod]


def test_every_reduction_rule_is_covered():
    from srcgrad.rules import reductions

    registered = {
        f
        for f, r in RULES.items()
        if r.vjps
        and r.vjps[0] is not None
        and getattr(r.vjps[0], "__module__", "") == reductions.__name__
        and f.__module__ == "numpy"
    }
    assert registered <= set(REDUCTIONS) | set(SCANS)


@st.composite
def reduction_calls(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    ndim = len(shape)
    axis = draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1), hnp.valid_tuple_axes(ndim, min_size=1)))
    return draw(st.sampled_from(REDUCTIONS)), shape, axis, draw(st.booleans())


def _reduction_loss(red, axis, keepdims):
    def reduction_loss(x, w):
        return np.sum(red(x, axis=axis, keepdims=keepdims) * w)

    return reduction_loss


def _distinct(rng, shape):
    """Values with no ties (max/min) and away from zero (prod)."""
    n = int(np.prod(shape))
    v = (rng.permutation(n) + rng.uniform(0.2, 0.8, n)) / n + 0.5
    return (v * rng.choice([-1.0, 1.0], n)).reshape(shape)


@SETTINGS
@given(call=reduction_calls(), seed=seeds)
def test_reductions_random_axes_and_keepdims(call, seed):
    red, shape, axis, keepdims = call
    rng = np.random.default_rng(seed)
    x = _distinct(rng, shape)
    w = rng.normal(size=np.shape(red(x, axis=axis, keepdims=keepdims)))
    check_both_modes(_reduction_loss(red, axis, keepdims), (x, w), (0,))


def _scan_loss(scan, axis):
    def scan_loss(x, w):
        return np.sum(scan(x, axis=axis) * w)

    return scan_loss


@FEW
@given(
    scan=st.sampled_from(SCANS), shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=3), seed=seeds, data=st.data()
)
def test_scans_random_axis(scan, shape, seed, data):
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    rng = np.random.default_rng(seed)
    x = _distinct(rng, shape)
    w = rng.normal(size=scan(x, axis=axis).shape)
    check_both_modes(_scan_loss(scan, axis), (x, w), (0,))


# ------------------------------------------------------------------ indexing: random slices, index arrays, masks


def _index_loss(idx):
    def index_loss(x, w):
        return np.sum(x[idx] * w)

    return index_loss


def _check_index(x_shape, idx, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=x_shape)
    w = rng.normal(size=np.shape(x[idx]))
    check_both_modes(_index_loss(idx), (x, w), (0,))


shapes_2_3 = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


@SETTINGS
@given(data=st.data(), shape=shapes_2_3, seed=seeds)
def test_random_basic_indices(data, shape, seed):
    idx = data.draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    _check_index(shape, idx, seed)


@SETTINGS
@given(data=st.data(), shape=shapes_2_3, seed=seeds)
def test_random_index_arrays_with_repeats(data, shape, seed):
    idx = data.draw(hnp.integer_array_indices(shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=4)))
    _check_index(shape, idx, seed)


@FEW
@given(shape=shapes_2_3, seed=seeds)
def test_random_boolean_masks(shape, seed):
    mask = np.random.default_rng(seed + 1).random(shape) < 0.5
    _check_index(shape, mask, seed)


# ------------------------------------------------------------------ float32 stays float32 and agrees with float64


@FEW
@given(
    op=st.sampled_from([np.add, np.multiply, np.divide, np.maximum, np.hypot, np.logaddexp]),
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=2, max_side=3),
    seed=seeds,
)
def test_float32_gradients_stay_float32(op, shapes, seed):
    rng = np.random.default_rng(seed)
    a, b = _values(op, rng, shapes.input_shapes)
    w = rng.normal(size=shapes.result_shape)
    fn = _binary_loss(op)
    args64 = (a, b, w)
    args32 = tuple(v.astype(np.float32) for v in args64)
    _, exact = dynamic_grad(fn, args64, (0, 1))
    tensors = [srcgrad.tensor(v, requires_grad=True) for v in args32[:2]]
    fn(*tensors, args32[2]).backward()
    for t, i in zip(tensors, (0, 1)):
        assert t.grad.dtype == np.float32, f"dynamic mode upcast argument {i} to {t.grad.dtype}"
        np.testing.assert_allclose(t.grad.detach().numpy(), exact[i], rtol=1e-4, atol=1e-5)
    if hasattr(srcgrad, "grad"):
        static = srcgrad.grad(fn, wrt=(0, 1))(*args32)
        for g, i in zip(static, (0, 1)):
            assert np.asarray(g).dtype == np.float32, f"static mode upcast argument {i} to {np.asarray(g).dtype}"
            np.testing.assert_allclose(g, exact[i], rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------ random compositions of 2-5 primitives

UNARY = [
    "np.sin({})",
    "np.cos({})",
    "np.tanh({})",
    "np.arctan({})",
    "({} * {})",
    "np.log1p({} ** 2)",
    "np.sqrt({} ** 2 + 1.0)",
    "np.exp(-0.5 * {} ** 2)",
    "(1.0 / (1.0 + np.exp(-{})))",
]
BINARY_TEMPLATES = [
    "({} + {})",
    "({} - {})",
    "({} * {})",
    "({} / (1.0 + {} ** 2))",
    "np.maximum({}, {})",
    "np.hypot({}, {})",
    "np.logaddexp({}, {})",
]
MIXERS = [
    "np.sum({a}, axis=-1, keepdims=True) + {b}",
    "({a} @ {a}.T)[:, :1] * {b}",
    "np.mean({a}, axis=0) * {b}",
    "np.where({a} > 0.0, {a}, 0.5 * {a}) * {b}",
    "np.concatenate([{a}[:, 1:], {a}[:, :1]], axis=1) * {b}",
    "np.max({a}, axis=1, keepdims=True) * {b}",
    "{a}[::-1] * {b}",
]


@st.composite
def programs(draw):
    """Source text of a function ``composed(x, y)`` of 2-5 primitives, each keeping or broadcasting to (3, 3)."""
    n = draw(st.integers(2, 5))
    lines, names = [], ["x", "y"]
    for k in range(n):
        kind = draw(st.sampled_from(["unary", "binary", "mixer"]))
        a = names[-1] if k else "x"  # a chain: each primitive takes the previous result
        b = draw(st.sampled_from([n for n in names if n != a]))  # never a - a: identically zero, kinks of hypot
        if kind == "unary":
            template = draw(st.sampled_from(UNARY))
            expr = template.format(*([a] * template.count("{}")))
        elif kind == "binary":
            expr = draw(st.sampled_from(BINARY_TEMPLATES)).format(a, b)
        else:
            expr = draw(st.sampled_from(MIXERS)).format(a=a, b=b)
        lines.append(f"    t{k} = {expr}")
        names.append(f"t{k}")
    body = "\n".join(lines)
    return f"def composed(x, y):\n{body}\n    return np.sum(t{n - 1} * t{n - 1}) + np.sum(t{n - 1})\n"


@settings(SETTINGS, max_examples=20)
@given(source=programs(), seed=seeds)
def test_random_compositions(source, seed):
    namespace = {"np": np}
    exec(compile(source, "<composed>", "exec"), namespace)
    fn = namespace["composed"]
    rng = np.random.default_rng(seed)
    x = 0.5 * rng.normal(size=(3, 3))  # moderate values: a program may square them five times
    y = 0.5 * rng.normal(size=(3, 3))
    assert np.shape(fn(x, y)) == ()
    check_both_modes(fn, (x, y), (0, 1), source=source)


# ------------------------------------------------------------------ index writes: y[idx] = v into a fresh array


def _write_loss(idx):
    def write_loss(x, v, w):
        y = x * 1.0
        y[idx] = v * 2.0
        return np.sum(y * w)

    return write_loss


def _check_write(shape, idx, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    v = rng.normal(size=np.shape(x[idx]))
    w = rng.normal(size=shape)
    check_both_modes(_write_loss(idx), (x, v, w), (0, 1))


@SETTINGS
@given(data=st.data(), shape=shapes_2_3, seed=seeds)
def test_random_slice_writes(data, shape, seed):
    _check_write(shape, data.draw(hnp.basic_indices(shape, allow_ellipsis=True)), seed)


@FEW
@given(data=st.data(), shape=shapes_2_3, seed=seeds)
def test_random_index_array_writes_last_one_wins(data, shape, seed):
    idx = data.draw(hnp.integer_array_indices(shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=1, max_side=5)))
    _check_write(shape, idx, seed)
