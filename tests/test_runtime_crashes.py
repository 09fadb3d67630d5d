"""Dynamic-mode calls that used to crash: each now gives the right value and gradient.

Gradients are checked against central finite differences; ``np.cross``'s rule
serves the compiler too, so its axes are checked in both modes.
"""

import warnings

import numpy as np
import pytest

import srcgrad as sg
from corpus.harness import check_grad_and_jvp, fd_grad
from srcgrad.rules import RULES, registry
from srcgrad.rules.shape import stack_args


def _grad(fn, *arrays):
    tensors = [sg.tensor(a, requires_grad=True) for a in arrays]
    fn(*tensors).backward()
    return [t.grad.numpy() for t in tensors]


def test_tensor_copy_is_a_copy_in_the_graph():
    x = sg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    c = x.copy()
    assert not np.shares_memory(c.detach().numpy(), x.detach().numpy())
    np.testing.assert_array_equal(c.detach().numpy(), [1.0, -2.0, 3.0])
    (c * c).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, -4.0, 6.0])


def test_python_number_modulo_and_floor_division_by_a_tensor():
    x0 = np.array([0.7, 1.3, 2.6, -1.1])

    def f(x):
        return np.sum((2.0 % x) * x + (5.0 // x))

    x = sg.tensor(x0, requires_grad=True)
    out = f(x)
    assert np.isclose(out.item(), f(x0))
    out.backward()
    np.testing.assert_allclose(x.grad.numpy(), fd_grad(f, (x0,), 0), rtol=1e-6, atol=1e-8)


def _cross_loss(kw, weights):
    def loss(a, b):
        return np.sum(weights * np.cross(a, b, **kw))

    return loss


CROSS_CASES = [
    ((3,), (3,), {}),
    ((4, 3), (3,), {}),
    ((2,), (2,), {}),
    ((2,), (3,), {}),
    ((3, 2), (3, 2), {"axisa": 0, "axisb": 0}),
    ((3, 4), (4, 3), {"axisa": 0, "axisc": 0}),
    ((2, 4), (4, 3), {"axisa": 0, "axisb": 1, "axisc": 0}),
    ((3, 5), (3, 5), {"axis": 0}),
    ((5, 1, 2), (4, 3), {"axisc": 1}),
]


@pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors are deprecated")
@pytest.mark.parametrize("shape_a, shape_b, kw", CROSS_CASES)
def test_cross_with_axes_and_two_vectors(shape_a, shape_b, kw):
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=shape_a), rng.normal(size=shape_b)
    try:
        out = np.cross(a, b, **kw)
    except ValueError as err:  # numpy 2.5 removed 2-vectors (deprecated since 2.0): nothing to differentiate
        assert 2 in (a.shape[kw.get("axisa", kw.get("axis", -1))], b.shape[kw.get("axisb", kw.get("axis", -1))])
        pytest.skip(f"numpy {np.__version__} refuses 2-vectors in np.cross: {err}")
    loss = _cross_loss(kw, rng.normal(size=np.shape(out)))
    got_a, got_b = _grad(loss, a, b)
    np.testing.assert_allclose(got_a, fd_grad(loss, (a, b), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got_b, fd_grad(loss, (a, b), 1), rtol=1e-6, atol=1e-8)
    A, B = sg.tensor(a, requires_grad=True), sg.tensor(b, requires_grad=True)
    assert sg.autograd.gradgradcheck(lambda p, q: np.cross(p, q, **kw), (A, B))


W23 = np.array([[0.3, -1.2, 0.8], [1.5, 0.4, -0.6]])


def cross_axisa(a, b):
    return np.sum(W23 * np.cross(a, b, axisa=0, axisb=0) ** 2)


def cross_axis(a, b):
    return np.sum(np.cross(a, b, axis=0) * W23.T)


@pytest.mark.parametrize("fn", [cross_axisa, cross_axis])
def test_cross_with_axes_in_the_compiler(fn):
    rng = np.random.default_rng(8)
    a, b = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    check_grad_and_jvp(fn, a, b, wrt=0)
    check_grad_and_jvp(fn, a, b, wrt=1)


def test_interp_with_list_knots_and_values():
    x0 = np.array([0.1, 0.5, 0.9, 1.3, -0.2])

    def f(x):
        return np.sum(np.interp(x, [0.0, 1.0], [0.0, 2.0]) ** 2)

    np.testing.assert_allclose(_grad(f, x0)[0], fd_grad(f, (x0,), 0), rtol=1e-6, atol=1e-8)
    fp0 = np.array([0.0, 2.0, 1.0])

    def h(fp):
        return np.sum(np.interp(np.array([0.1, 0.6, 0.95]), [0.0, 0.5, 1.0], fp) ** 2)

    np.testing.assert_allclose(_grad(h, fp0)[0], fd_grad(h, (fp0,), 0), rtol=1e-6, atol=1e-8)


def test_stack_of_many_leaves_scans_the_rule_once():
    """``Rule.reads`` looks at a variadic vjp's parameters once per call, not once per argument
    (that scan made ``stack`` of n leaves cost O(n^2): 100,000 leaves took over 400 s)."""
    calls = []
    real = registry._positional_params

    def counting(func):
        calls.append(func)
        return real(func)

    registry._positional_params = counting
    try:
        xs = [sg.tensor(float(i), requires_grad=True) for i in range(3000)]
        out = sg.stack(xs)
    finally:
        registry._positional_params = real
    assert len(calls) <= 1
    assert (3000, tuple(range(3000))) not in RULES[stack_args]._reads  # large calls are not cached
    (out * out).sum().backward()
    assert [x.grad.item() for x in xs[:3]] == [0.0, 2.0, 4.0] and xs[-1].grad.item() == 2.0 * 2999


def test_many_pieces_take_their_cotangents_in_one_call():
    """The tape asks ``stack``/``concatenate`` for all cotangents at once (``Rule.vjp_all``)."""
    rule = RULES[stack_args]
    calls = []
    per_argument = rule.vjps

    def counted(g, ans, *xs, axis=0, argnum):
        calls.append(argnum)
        return per_argument[-1](g, ans, *xs, axis=axis, argnum=argnum)

    rule.vjps = (counted,)
    try:
        xs = [sg.tensor(np.full(2, float(i)), requires_grad=True) for i in range(50)]
        (sg.stack(xs, dim=1) ** 2).sum().backward()
    finally:
        rule.vjps = per_argument
    assert calls == []
    assert all(np.array_equal(x.grad.numpy(), [2.0 * i] * 2) for i, x in enumerate(xs))


def test_concatenate_of_pieces_of_several_sizes():
    rng = np.random.default_rng(5)
    pieces = [rng.normal(size=(2, k)) for k in (1, 3, 2, 4)]
    weights = rng.normal(size=(2, 10))

    def f(*ps):
        return np.sum(weights * np.concatenate(ps, axis=1) ** 2)

    got = _grad(f, *pieces)
    for k in range(len(pieces)):
        np.testing.assert_allclose(got[k], fd_grad(f, tuple(pieces), k), rtol=1e-6, atol=1e-8)
    ts = [sg.tensor(p, requires_grad=True) for p in pieces]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sg.autograd.gradgradcheck(lambda *q: np.concatenate(q, axis=1) ** 2, tuple(ts))
