"""Static shapes through reshape, transpose, swapaxes and reductions with constant axes.

The compiler writes ``unbroadcast`` only where an operand may have been
broadcast. These tests check both halves of that promise: after shape
functions whose result shape the compiler can follow, the needless
``unbroadcast`` is gone; where broadcasting really happens (a length-one axis
from a reshape, a kept reduced axis), it stays. Every case is also checked
against central finite differences, with and without the optimize pass.
"""

import numpy as np
import pytest

import srcgrad
from corpus.harness import fd_grad as numeric_grad
from srcgrad.compiler.activity import analyze
from srcgrad.compiler.shapes import Length, Product, broadcast, unstretched


def check(f, *args):
    """grad(f) along every argument against finite differences; returns the specialised source."""
    wrt = tuple(range(len(args)))
    for optimize in (True, False):
        got = srcgrad.grad(f, wrt=wrt, optimize=optimize)(*args)
        for i, g in enumerate(got):
            assert np.shape(g) == np.shape(args[i])
            np.testing.assert_allclose(g, numeric_grad(f, args, i), rtol=1e-5, atol=1e-7)
    src = srcgrad.grad(f, wrt=wrt).source_for(*args)
    return "\n".join(line.split("#")[0] for line in src.splitlines())  # code without the quoted user lines


def unbroadcasts(code):
    return [line.strip() for line in code.splitlines() if "unbroadcast(" in line]


# ---------------------------------------------------------------- the needless unbroadcasts are gone


def literal_reshape(x, w):
    y = x.reshape(3, 4)
    z = y * w
    return np.sum(z**2)


def symbolic_reshape(x, w):
    n = x.shape[0]
    y = x.reshape(n, -1)
    z = y.T * w
    return np.sum(z.sum(axis=1) * np.tanh(y.sum(0)))


def round_trip(x, v):
    flat = x.reshape(-1)
    back = flat.reshape(x.shape)
    return np.sum(np.sin(back) * v + flat.reshape(len(x), -1) * x)


def transposes(a, b):
    t = np.transpose(a, (1, 0)) * b
    s = np.swapaxes(a, 0, 1) - b
    return np.sum(t * s + a.T * b)


def reductions(m, r):
    rows = np.sum(m, 1)
    cols = m.mean(axis=0)
    kept = m.max(axis=-1, keepdims=True)
    return np.sum(rows * r) + np.sum(cols * cols) + np.sum((m - kept).T.sum(axis=0) * r)


def ravel_then_product(x, v):
    return np.sum(np.ravel(x) * v)


def tuple_arguments(x, w):
    n = len(x)
    y = x.reshape((n, -1)).transpose((1, 0))
    return np.sum(y * w + x.reshape((3, 4)).T)


@pytest.mark.parametrize(
    "f, make",
    [
        (tuple_arguments, lambda r: (r.normal(size=(3, 4)), r.normal(size=(4, 3)))),
        (literal_reshape, lambda r: (r.normal(size=12), r.normal(size=(3, 4)))),
        (symbolic_reshape, lambda r: (r.normal(size=(5, 4)), r.normal(size=(4, 5)))),
        (round_trip, lambda r: (r.normal(size=(3, 4)), r.normal(size=(3, 4)))),
        (transposes, lambda r: (r.normal(size=(3, 2)), r.normal(size=(2, 3)))),
        (ravel_then_product, lambda r: (r.normal(size=(2, 3)), r.normal(size=6))),
    ],
)
def test_shape_functions_need_no_unbroadcast(f, make, rng):
    code = check(f, *make(rng))
    assert unbroadcasts(code) == []


def test_the_issue_example_reads_like_numpy(rng):
    code = check(literal_reshape, rng.normal(size=12), rng.normal(size=(3, 4)))
    assert "dy = dz * w" in code and "dw = dz * y" in code


def test_reductions_keep_only_the_real_broadcast(rng):
    code = check(reductions, rng.normal(size=(3, 4)), rng.normal(size=3))
    # m - kept: kept is (3, 1), stretched along the last axis; m is not
    (line,) = unbroadcasts(code)
    assert line.startswith("dkept = unbroadcast(") and line.endswith("np.shape(kept))")


# ---------------------------------------------------------------- where broadcasting happens, unbroadcast stays


def length_one_from_reshape(x, w):
    y = x.reshape(3, 1)  # stretched along w's second axis
    return np.sum(y * w)


def minus_one_is_one(x, w):
    n = len(x)
    y = x.reshape(n, -1)  # the -1 axis has length 1 here
    return np.sum(np.exp(y * w))


def row_from_reshape(x, w):
    y = x.reshape(1, -1)
    return np.sum(np.cos(w - y))


def lower_rank(x, w):
    y = x.T.sum(axis=1)  # (s,) against w's (s, s): added a leading axis
    return np.sum((w * y) ** 2)


def reassigned_length(x, w):
    n = x.shape[0]
    if np.sum(x) > 100.0:
        n = 1
    y = x.reshape(n, -1)
    return np.sum(y * w)


@pytest.mark.parametrize(
    "f, make, stretched",
    [
        (length_one_from_reshape, lambda r: (r.normal(size=3), r.normal(size=(3, 4))), "y"),
        (minus_one_is_one, lambda r: (r.normal(size=3), r.normal(size=(3, 4))), "y"),
        (row_from_reshape, lambda r: (r.normal(size=4), r.normal(size=(3, 4))), "y"),
        (lower_rank, lambda r: (r.normal(size=(3, 3)), r.normal(size=(3, 3))), "y"),
        (reassigned_length, lambda r: (r.normal(size=(3, 4)), r.normal(size=(3, 4))), "y"),
    ],
)
def test_real_broadcasting_keeps_unbroadcast(f, make, stretched, rng):
    code = check(f, *make(rng))
    assert any(f"np.shape({stretched})" in u for u in unbroadcasts(code)), code


# ---------------------------------------------------------------- what the activity pass infers


def _shapes(f, *args):
    from srcgrad.compiler import api, normalize, parse, speckey
    from srcgrad.compiler.naming import Namer, Namespace

    api._load_rules()
    parsed = parse.parse_function(f)
    namer = Namer()
    normal, _ = normalize.normalize(parsed, namer, Namespace(namer))
    params = normal.params
    key = speckey.key(args)
    _, _, shapes, _ = speckey.split_key(params, key)
    return analyze(normal, params[:1], (), (), shapes).shapes


def inferred(x, w, k):
    n = x.shape[0]
    a = x.reshape(3, -1)
    b = x.reshape(n, -1)
    c = np.reshape(x, -1)
    d = c.reshape(x.shape)
    e = w.transpose(1, 0)
    f = np.sum(w, 0)
    g = w.sum(axis=(0, 1))
    h = w.mean(axis=-1, keepdims=True)
    i = x.reshape(k, -1)
    j = np.swapaxes(w, 0, 1)
    m = x.reshape(len(x), x.shape[1] // 2, -1)
    return np.sum(a) + np.sum(b) + np.sum(c * d) + np.sum(e) + f + g + np.sum(h) + np.sum(i) + np.sum(j) + np.sum(m)


def test_inferred_shapes():
    x, w = np.ones((6, 4)), np.ones((4, 5))
    s = _shapes(inferred, x, w, 2)
    # symbols: 6 -> 2, 4 -> 3, 5 -> 4
    assert s["x"] == (2, 3) and s["w"] == (3, 4)
    assert "a" not in s  # the -1 axis is (6 * 4) / 3: a symbolic length over a literal one is not followed
    assert s["b"] == (2, 3)
    assert s["c"] == (Product((2, 3)),)
    assert s["d"] == (2, 3)
    assert s["e"] == (4, 3)
    assert s["f"] == (4,)
    assert s["g"] == ()
    assert s["h"] == (3, 1)
    assert "i" not in s  # k is a number the specialisation does not know
    assert s["j"] == (4, 3)
    assert "m" not in s  # x.shape[1] // 2 is not followed


def test_broadcast_algebra():
    assert broadcast([(2, 3), (1, 3)]) == (2, 3)
    assert broadcast([(Length(3), 1), (2, 4)]) == (2, 4)  # runs only when the lengths agree
    assert broadcast([(3,), (2, 1)]) == (2, 3)
    assert unstretched((2, 3), (2, 3)) and unstretched((Length(3), 4), (2, 4))
    assert not unstretched((2, 1), (2, 3)) and not unstretched((3,), (2, 3)) and not unstretched(None, (2,))


# ---------------------------------------------------------------- forward mode: broadcast_like only where it spreads


def biased(x, b):
    return np.sum(np.tanh(x + b)) + np.sum(x + b)


def test_jvp_spreads_only_broadcast_tangents(rng):
    x, b = rng.normal(size=(4, 3)), rng.normal(size=3)
    tx, tb = rng.normal(size=(4, 3)), rng.normal(size=3)
    gx, gb = srcgrad.grad(biased, wrt=(0, 1))(x, b)
    for wrt, tangent, expected in [
        ((0, 1), (tx, tb), np.sum(gx * tx) + np.sum(gb * tb)),
        (1, tb, np.sum(gb * tb)),
    ]:  # only b moves: its tangent must be spread to (4, 3)
        j = srcgrad.jvp(biased, wrt=wrt)
        value, t_out = j(x, b, tangent)
        np.testing.assert_allclose(t_out, expected, rtol=1e-10)
        code = "\n".join(line.split("#")[0] for line in j.source.splitlines())
        assert "broadcast_like(dx" not in code  # x has the sum's shape: its tangent is used as it is
        assert "broadcast_like(db, " in code


def test_jvp_after_reshape_has_no_broadcast_like(rng):
    j = srcgrad.jvp(literal_reshape, wrt=(0, 1))
    x, w = rng.normal(size=12), rng.normal(size=(3, 4))
    tx, tw = rng.normal(size=12), rng.normal(size=(3, 4))
    _, t_out = j(x, w, (tx, tw))
    gx, gw = srcgrad.grad(literal_reshape, wrt=(0, 1))(x, w)
    np.testing.assert_allclose(t_out, np.sum(gx * tx) + np.sum(gw * tw), rtol=1e-10)
    assert "dz = dy * w + y * dw" in j.source and "broadcast_like" not in j.source


def test_jvp_source_for_and_function(rng):
    import inspect

    j = srcgrad.jvp(biased, wrt=1)
    assert "broadcast_like(dx" not in j.source  # only b moves
    x, b = rng.normal(size=(4, 3)), rng.normal(size=3)
    text = j.source_for(x, b)
    assert "broadcast_like(db, " in text
    assert "broadcast_like(" not in j.source_for(x[0], b)  # b has x[0]'s shape: nothing to spread
    j(x, b, np.ones(3))
    assert inspect.getsource(j.function) == j.source == text
