"""Every row of the rule table through the real tape (``srcgrad.Tensor``).

First order: ``backward()`` must give exactly what the rule gives (and the rule
matches finite differences in ``test_rules.py``). Second order: the gradient of
``<grad, w>`` taken with ``create_graph=True`` must match finite differences of
the rules' own ``<vjp, w>``. This is what the rule contract promises the tape.
"""

import operator

import numpy as np
import pytest

from srcgrad.rules import get_rule, shape_of, unbroadcast
from test_rules import CASES, _like, _outputs, diff_args

srcgrad = pytest.importorskip("srcgrad")
if not hasattr(srcgrad, "tensor"):  # pragma: no cover - the runtime is not there yet
    pytest.skip("srcgrad.tensor is not available", allow_module_level=True)

# np.full_like dispatches on its template only: a Tensor fill value with an ndarray template never reaches the
# tape (numpy refuses it through np.copyto); tests/test_rules_added.py runs it with a Tensor template.
TAPE = [
    c
    for c in CASES
    if getattr(c.fn, "__module__", "") != "math"
    and c.fn not in (abs, max, min, np.full_like)
    and any(isinstance(c.args[i], np.ndarray) for i in diff_args(c))
]


def _record(c):
    """Run ``c`` on Tensors; return (leaves by position, <g, out> as a Tensor, ans, g)."""
    idx = [i for i in diff_args(c) if isinstance(c.args[i], np.ndarray)]
    args = list(c.args)
    leaves = {}
    for i in idx:
        leaves[i] = args[i] = srcgrad.tensor(c.args[i], requires_grad=True)
    out = c.fn(*args, **c.kwargs)
    ans = _outputs(c.fn(*c.args, **c.kwargs))
    g = _like(np.random.default_rng(0), ans)
    if isinstance(out, (tuple, list)):
        total = sum((o * srcgrad.tensor(np.asarray(gk))).sum() for o, gk in zip(out, g))
    else:
        total = (out * srcgrad.tensor(np.asarray(g))).sum()
    if np.iscomplexobj(ans if not isinstance(ans, tuple) else ans[0]):
        total = np.real(total)  # <g, out> for a real g (an FFT of a real input is complex)
    return leaves, total, ans, g


@pytest.mark.parametrize("c", TAPE, ids=[c.id for c in TAPE])
def test_tape_backward_gives_the_rule(c):
    rule = get_rule(c.fn)
    leaves, total, ans, g = _record(c)
    total.backward()
    for i, t in leaves.items():
        expected = np.real(unbroadcast(rule.call_vjp(i, g, ans, c.args, c.kwargs), shape_of(c.args[i])))
        np.testing.assert_allclose(t.grad.numpy(), expected, rtol=1e-10, atol=1e-12, err_msg=f"{c.id}: argument {i}")


SECOND = [c for c in TAPE if "x0" not in c.id]  # at x == 0 finite differences step out of the domain


@pytest.mark.parametrize("c", SECOND, ids=[c.id for c in SECOND])
def test_tape_second_order_matches_finite_differences(c):
    rule = get_rule(c.fn)
    leaves, total, ans, g = _record(c)
    idx = list(leaves)
    rng = np.random.default_rng(1)
    w = {i: rng.standard_normal(np.shape(c.args[i])) for i in idx}
    t = {i: rng.standard_normal(np.shape(c.args[i])) for i in idx}

    grads = srcgrad.autograd.grad(total, [leaves[i] for i in idx], create_graph=True, allow_unused=True)
    hv = sum((gr * srcgrad.tensor(w[i])).sum() for gr, i in zip(grads, idx) if gr is not None)
    tape = 0.0
    if getattr(hv, "requires_grad", False):
        second = srcgrad.autograd.grad(hv, [leaves[i] for i in idx], allow_unused=True)
        tape = sum(float(np.sum(s.numpy() * t[i])) for s, i in zip(second, idx) if s is not None)

    def h(args):
        a = c.fn(*args, **c.kwargs)
        return sum(
            float(np.real(np.sum(unbroadcast(rule.call_vjp(i, g, a, args, c.kwargs), shape_of(args[i])) * w[i])))
            for i in idx
        )

    eps = 1e-6
    plus, minus = list(c.args), list(c.args)
    for i in idx:
        plus[i] = c.args[i] + eps * t[i]
        minus[i] = c.args[i] - eps * t[i]
    fd = (h(tuple(plus)) - h(tuple(minus))) / (2 * eps)
    assert np.isclose(tape, fd, rtol=1e-4, atol=1e-5), f"{c.id}: tape {tape} vs finite differences {fd}"


# ------------------------------------------------------------ aliases, end to end
from test_rules import numeric_vjp  # noqa: E402
from test_rules_semantics import ALIAS_CALLS  # noqa: E402


def _float_arrays(args):
    """Positions of float array arguments, including arrays inside a list argument."""
    found = []
    for i, a in enumerate(args):
        if isinstance(a, np.ndarray) and np.issubdtype(a.dtype, np.floating):
            found.append((i, None))
        elif isinstance(a, list) and all(isinstance(b, np.ndarray) for b in a):
            found += [(i, k) for k, b in enumerate(a) if b.dtype.kind == "f"]
    return found


def _put(args, where, value):
    i, k = where
    args = list(args)
    if k is None:
        args[i] = value
    else:
        args[i] = list(args[i])
        args[i][k] = value
    return tuple(args)


ALIAS_GRAD = [
    c
    for c in ALIAS_CALLS
    if c[0]
    not in (np.astype, operator.floordiv, operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne)
]  # (no gradient)


@pytest.mark.parametrize("fn,args,kwargs", ALIAS_GRAD, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(ALIAS_GRAD)])
def test_alias_gradient_through_the_tape(fn, args, kwargs):
    """Each alias, called on Tensors, gives the finite-difference gradient of numpy's function."""
    rng = np.random.default_rng(0)

    def jitter(a):  # break ties so finite differences see a smooth function
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            return a + rng.uniform(0.1, 0.2, np.shape(a))
        if isinstance(a, list) and all(isinstance(b, np.ndarray) for b in a):
            return [jitter(b) for b in a]
        return a

    args = tuple(jitter(a) for a in args)
    out = fn(*args, **kwargs)
    outs = out if isinstance(out, (list, tuple)) else [out]
    gs = [rng.standard_normal(np.shape(o)) for o in outs]

    def pairing(*a):
        res = fn(*a, **kwargs)
        res = res if isinstance(res, (list, tuple)) else [res]
        return sum(float(np.nansum(np.asarray(r) * gk)) for r, gk in zip(res, gs))

    for where in _float_arrays(args):
        x = args[where[0]] if where[1] is None else args[where[0]][where[1]]
        leaf = srcgrad.tensor(x, requires_grad=True)
        touts = fn(*_put(args, where, leaf), **kwargs)
        touts = touts if isinstance(touts, (list, tuple)) else [touts]
        total = sum((o * srcgrad.tensor(gk)).sum() for o, gk in zip(touts, gs))
        total.backward()
        expected = numeric_vjp(lambda v: pairing(*_put(args, where, v)), (x,), {}, 0, 1.0)
        grad = leaf.grad.numpy()
        mask = ~np.isnan(x)
        np.testing.assert_allclose(
            grad[mask], expected[mask], rtol=1e-5, atol=1e-6, err_msg=f"{fn.__name__} at {where}"
        )
