"""PyTorch as an outside oracle: node names, and the conventions finite differences
cannot decide (ties, kinks, edges of a domain). Skipped when torch is not installed."""

import operator

import numpy as np
import pytest

import srcgrad.rules as R
from srcgrad.rules import get_rule, unbroadcast

torch = pytest.importorskip("torch")


def leaf(a):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def _t(*shape):
    return leaf(np.random.default_rng(0).uniform(0.5, 1.5, size=shape))


def _m(n):
    return leaf(np.random.default_rng(0).uniform(size=(n, n)) + 3 * np.eye(n))


# each primitive next to the PyTorch call whose node it mirrors
TORCH_NODES = {
    np.add: lambda: _t(3) + _t(3),
    np.subtract: lambda: _t(3) - _t(3),
    np.multiply: lambda: _t(3) * _t(3),
    np.true_divide: lambda: _t(3) / _t(3),
    np.power: lambda: _t(3) ** 2,
    np.negative: lambda: -_t(3),
    np.absolute: lambda: _t(3).abs(),
    np.matmul: lambda: _t(2, 3) @ _t(3, 2),
    np.square: lambda: torch.square(_t(3)),
    np.cbrt: lambda: _t(3) ** (1 / 3),
    np.reciprocal: lambda: _t(3).reciprocal(),
    np.sqrt: lambda: _t(3).sqrt(),
    np.exp: lambda: _t(3).exp(),
    np.exp2: lambda: torch.exp2(_t(3)),
    np.expm1: lambda: _t(3).expm1(),
    np.log: lambda: _t(3).log(),
    np.log1p: lambda: _t(3).log1p(),
    np.log2: lambda: _t(3).log2(),
    np.log10: lambda: _t(3).log10(),
    np.logaddexp: lambda: torch.logaddexp(_t(3), _t(3)),
    np.sin: lambda: _t(3).sin(),
    np.cos: lambda: _t(3).cos(),
    np.tan: lambda: _t(3).tan(),
    np.arcsin: lambda: (_t(3) - 0.6).asin(),
    np.arccos: lambda: (_t(3) - 0.6).acos(),
    np.arctan: lambda: _t(3).atan(),
    np.arctan2: lambda: torch.atan2(_t(3), _t(3)),
    np.hypot: lambda: torch.hypot(_t(3), _t(3)),
    np.sinh: lambda: _t(3).sinh(),
    np.cosh: lambda: _t(3).cosh(),
    np.tanh: lambda: _t(3).tanh(),
    np.arcsinh: lambda: _t(3).asinh(),
    np.arccosh: lambda: (_t(3) + 1).acosh(),
    np.arctanh: lambda: (_t(3) - 0.6).atanh(),
    np.maximum: lambda: torch.maximum(_t(3), _t(3)),
    np.minimum: lambda: torch.minimum(_t(3), _t(3)),
    np.fmax: lambda: torch.fmax(_t(3), _t(3)),
    np.fmin: lambda: torch.fmin(_t(3), _t(3)),
    np.where: lambda: torch.where(torch.tensor([True, False, True]), _t(3), _t(3)),
    np.clip: lambda: _t(3).clamp(0.6, 1.2),
    np.remainder: lambda: torch.remainder(_t(3), 0.7),
    np.fmod: lambda: torch.fmod(_t(3), 0.7),
    np.deg2rad: lambda: torch.deg2rad(_t(3)),
    np.rad2deg: lambda: torch.rad2deg(_t(3)),
    np.float_power: lambda: torch.float_power(_t(3), 2.0),
    np.sum: lambda: _t(3).sum(),
    np.mean: lambda: _t(3).mean(),
    np.prod: lambda: _t(3).prod(),
    np.max: lambda: _t(3).max(),
    np.amax: lambda: _t(3).max(),
    np.min: lambda: _t(3).min(),
    np.amin: lambda: _t(3).min(),
    np.var: lambda: _t(3).var(),
    np.std: lambda: _t(3).std(),
    np.cumsum: lambda: _t(3).cumsum(0),
    np.cumprod: lambda: _t(3).cumprod(0),
    np.dot: lambda: torch.dot(_t(3), _t(3)),
    np.trace: lambda: torch.trace(_t(3, 3)),
    np.linalg.inv: lambda: torch.linalg.inv(_m(3)),
    np.linalg.det: lambda: torch.linalg.det(_m(3)),
    np.linalg.slogdet: lambda: torch.linalg.slogdet(_m(3))[1],
    np.linalg.solve: lambda: torch.linalg.solve(_m(3), _t(3)),
    np.linalg.norm: lambda: torch.linalg.norm(_t(3)),
    np.linalg.cholesky: lambda: torch.linalg.cholesky(_m(3) @ _m(3).T),
    R.linalg.svd_p: lambda: torch.linalg.svd(_m(3), full_matrices=False)[1],
    R.linalg.svdvals_p: lambda: torch.linalg.svd(_m(3), full_matrices=False)[1],
    np.linalg.eigh: lambda: torch.linalg.eigh(_m(3))[0],
    np.reshape: lambda: _t(6).reshape(2, 3),
    np.ravel: lambda: _t(2, 3).ravel(),
    np.transpose: lambda: _t(2, 3).permute(1, 0),
    np.swapaxes: lambda: _t(2, 3).transpose(0, 1),
    np.moveaxis: lambda: torch.moveaxis(_t(2, 3, 4), 0, 2),
    np.expand_dims: lambda: _t(3).unsqueeze(0),
    np.squeeze: lambda: _t(3, 1).squeeze(),
    np.broadcast_to: lambda: _t(3).expand(2, 3),
    np.copy: lambda: _t(3).clone(),
    R.astype: lambda: _t(3).to(torch.float32),
    np.flip: lambda: _t(3).flip(0),
    np.roll: lambda: _t(3).roll(1),
    np.tile: lambda: _t(3).tile(2),
    np.pad: lambda: torch.nn.functional.pad(_t(3), (1, 1)),
    np.tril: lambda: _t(3, 3).tril(),
    np.triu: lambda: _t(3, 3).triu(),
    np.diagonal: lambda: _t(3, 3).diagonal(),
    np.nan_to_num: lambda: torch.nan_to_num(_t(3)),
    R.concatenate_args: lambda: torch.cat([_t(3), _t(3)]),
    R.stack_args: lambda: torch.stack([_t(3), _t(3)]),
    R.split_tuple: lambda: torch.split(_t(4), 2)[0],
    operator.getitem: lambda: _t(3)[torch.tensor([0, 0])],
    R.index_add: lambda: _t(3).index_put((torch.tensor([0]),), _t(1), accumulate=True),
    R.index_update: lambda: _t(3).index_put((torch.tensor([0]),), _t(1)),
    np.take: lambda: torch.take(_t(3), torch.tensor([0])),
    np.take_along_axis: lambda: torch.gather(_t(2, 3), 1, torch.tensor([[0], [1]])),
    np.sort: lambda: torch.sort(_t(3))[0],
    np.cross: lambda: torch.linalg.cross(_t(3), _t(3)),
    np.matvec: lambda: torch.mv(_t(2, 3), _t(3)),
    R.sigmoid: lambda: torch.sigmoid(_t(3)),
    R.relu: lambda: torch.relu(_t(3)),
    R.softplus: lambda: torch.nn.functional.softplus(_t(3)),
    R.softmax: lambda: torch.softmax(_t(3), -1),
    R.log_softmax: lambda: torch.log_softmax(_t(3), -1),
    R.logsumexp: lambda: torch.logsumexp(_t(3), 0),
}


@pytest.mark.parametrize("fn", list(TORCH_NODES), ids=lambda f: get_rule(f).name)
def test_node_name_matches_pytorch(fn):
    assert get_rule(fn).backward_name == TORCH_NODES[fn]().grad_fn.name()


def grads(fn, torch_fn, args, consts=(), kwargs=None):
    """(srcgrad's VJPs, PyTorch's gradients) of every array argument, for ``g = 1``.

    ``consts`` are extra positional arguments of ``fn`` (``torch_fn`` has them built in).
    """
    kwargs = kwargs or {}
    rule = get_rule(fn)
    args = tuple(np.asarray(a, dtype=np.float64) for a in args)
    ans = fn(*args, *consts, **kwargs)
    g = np.ones_like(ans)
    mine = [
        unbroadcast(rule.call_vjp(i, g, ans, args + tuple(consts), kwargs), np.shape(a)) for i, a in enumerate(args)
    ]
    leaves = [leaf(a) for a in args]
    torch_fn(*leaves).backward(torch.tensor(g))
    return mine, [t.grad.numpy() for t in leaves]


CONVENTIONS = [
    ("max-ties", np.max, lambda x: x.max(), ([1.0, 3.0, 3.0, 3.0],), (), {}),
    ("amax-axis-ties", np.amax, lambda x: x.amax(1), ([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]],), (), {"axis": 1}),
    ("min-ties", np.min, lambda x: x.min(), ([[1.0, 1.0], [4.0, 1.0]],), (), {}),
    ("maximum-ties", np.maximum, torch.maximum, ([1.0, 2.0, 3.0], [1.0, 0.0, 3.0]), (), {}),
    ("minimum-ties", np.minimum, torch.minimum, ([1.0, 2.0, 3.0], [1.0, 5.0, 3.0]), (), {}),
    ("fmax-ties-and-nan", np.fmax, torch.fmax, ([1.0, np.nan, 2.0, np.nan], [np.nan, 2.0, 2.0, np.nan]), (), {}),
    ("fmin-ties-and-nan", np.fmin, torch.fmin, ([1.0, np.nan, 2.0, 0.5], [np.nan, 2.0, 2.0, 1.0]), (), {}),
    ("abs-at-zero", np.absolute, torch.abs, ([0.0, -1.0, 2.0],), (), {}),
    ("relu-at-zero", R.relu, torch.relu, ([0.0, -1.0, 2.0],), (), {}),
    ("clip-at-bounds", np.clip, lambda x: x.clamp(-0.5, 0.5), ([-1.0, -0.5, 0.0, 0.5, 1.0],), (-0.5, 0.5), {}),
    ("power-x0-int", np.power, lambda x, y: x**y, ([0.0, 0.0, 2.0], [2.0, 1.0, 3.0]), (), {}),
    ("power-x0-y0", np.power, lambda x, y: x**y, ([0.0, 3.0], [0.0, 0.0]), (), {}),
    ("norm-at-zero", np.linalg.norm, torch.linalg.norm, ([0.0, 0.0, 0.0],), (), {}),
    ("prod-zeros", np.prod, lambda x: x.prod(), ([2.0, 0.0, 3.0, 0.5],), (), {}),
    ("prod-two-zeros", np.prod, lambda x: x.prod(), ([2.0, 0.0, 3.0, 0.0],), (), {}),
    ("cumprod-zeros", np.cumprod, lambda x: x.cumprod(0), ([2.0, 0.0, 3.0, 0.0, 1.5],), (), {}),
    ("std-ddof1", np.std, lambda x: x.std(), ([1.0, 2.0, 4.0, 7.0],), (), {"ddof": 1}),
    ("sqrt-at-zero", np.sqrt, torch.sqrt, ([0.0, 4.0],), (), {}),
    ("logsumexp-inf", R.logsumexp, lambda x: torch.logsumexp(x, 0), ([-np.inf, 0.0, 1.0],), (), {}),
    ("softplus-extreme", R.softplus, torch.nn.functional.softplus, ([-800.0, 0.0, 800.0],), (), {}),
    ("sigmoid-extreme", R.sigmoid, torch.sigmoid, ([-800.0, 0.0, 800.0],), (), {}),
    (
        "getitem-repeats",
        operator.getitem,
        lambda x: x[torch.tensor([0, 0, 2, 0])],
        ([1.0, 2.0, 3.0],),
        (np.array([0, 0, 2, 0]),),
        {},
    ),
    ("sort-ties", np.sort, lambda x: torch.sort(x)[0], ([3.0, 1.0, 3.0, 2.0],), (), {}),
]


@pytest.mark.parametrize("name,fn,torch_fn,args,consts,kwargs", CONVENTIONS, ids=[c[0] for c in CONVENTIONS])
def test_convention_matches_pytorch(name, fn, torch_fn, args, consts, kwargs):
    with np.errstate(divide="ignore", invalid="ignore"):
        mine, theirs = grads(fn, torch_fn, args, consts, kwargs)
    for m, t in zip(mine, theirs):
        np.testing.assert_allclose(m, t, rtol=1e-12, atol=1e-12, err_msg=name)


@pytest.mark.parametrize(
    "fn,torch_fn",
    [
        (np.linalg.cholesky, torch.linalg.cholesky),
        (np.linalg.eigh, lambda a: torch.linalg.eigh(a)[0].sum() + torch.linalg.eigh(a)[1].abs().sum()),
    ],
    ids=["cholesky", "eigh"],
)
def test_one_triangle_gradients_fold_pytorchs_symmetric_gradient(fn, torch_fn):
    """numpy reads one triangle; PyTorch treats the input as symmetric. For a symmetric
    input, srcgrad's gradient is PyTorch's folded onto the lower triangle."""
    rng = np.random.default_rng(3)
    b = rng.uniform(size=(3, 3))
    a = b @ b.T + np.diag([1.0, 3.0, 6.0])
    rule = get_rule(fn)
    ans = fn(a)
    t = leaf(a)
    out = torch_fn(t)
    if fn is np.linalg.cholesky:
        g = rng.standard_normal((3, 3))
        out.backward(torch.tensor(g))
        mine = rule.call_vjp(0, g, ans, (a,), {})
    else:
        out.backward()
        w, v = ans
        mine = rule.call_vjp(0, (np.ones(3), np.sign(v)), ans, (a,), {})
    theirs = t.grad.numpy()
    theirs = 0.5 * (theirs + theirs.T)
    folded = np.tril(theirs + theirs.T) - np.diag(np.diag(theirs))
    np.testing.assert_allclose(mine, folded, rtol=1e-9, atol=1e-9)
