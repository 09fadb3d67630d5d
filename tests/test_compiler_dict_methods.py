"""``d.get(k, default)`` and loops over ``sorted(d.items())`` of a dict whose keys the compiler knows.

A dict argument's keys are part of the specialisation, and a dict built in the function with constant keys
exists only while compiling, so ``d.get('k', x)`` is ``d['k']`` where the key is there and ``x`` where it is
not, and ``sorted(d.items(), key=operator.itemgetter(0))`` (or ``sorted(d.items())``, which compares the keys
only, as they differ) runs over the pairs in the keys' order (HIPS autograd's ``test_dict.py::test_get`` and
``test_items_values_keys``). Each gradient is checked against central finite differences, entry by entry, and
against dynamic mode on Tensors.
"""

import operator

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import TransformError

RNG = np.random.default_rng(11)


def get_or_default(d, x):
    return np.sum(d.get("item_1", x) ** 2) + np.sum(d.get("missing", 2.0) * x)


def weighted_by_sorted_items(d):
    total = 0.0
    for i, (k, v) in enumerate(sorted(d.items(), key=operator.itemgetter(0))):
        total = total + np.sum(np.sin(v)) * (i + 1.0)
    for k, v in sorted(d.items()):
        total = total + np.sum(v * v) * len(k)
    return total


def built_then_got(x):
    d = {"a": x * 2.0}
    return np.sum(d.get("a") * d.get("b", 3.0)) + np.sum(d.get("a", 1.0) ** 2)


def central_dict(f, d, other=()):
    """``{key: gradient of f w.r.t. d[key]}`` by central differences."""
    out = {}
    for k, v in d.items():
        g = np.zeros_like(v, dtype=float)
        for idx in np.ndindex(np.shape(v)):
            plus, minus = dict(d), dict(d)
            plus[k], minus[k] = np.array(v, dtype=float), np.array(v, dtype=float)
            plus[k][idx] += 1e-6
            minus[k][idx] -= 1e-6
            g[idx] = (f(plus, *other) - f(minus, *other)) / 2e-6
        out[k] = g
    return out


def dynamic_dict(f, d, other=()):
    tensors = {k: srcgrad.tensor(np.asarray(v, dtype=float), requires_grad=True) for k, v in d.items()}
    f(tensors, *(srcgrad.tensor(o, requires_grad=True) for o in other)).backward()
    return {k: (np.zeros(t.shape) if t.grad is None else t.grad.numpy()) for k, t in tensors.items()}


@pytest.mark.parametrize(
    "d",
    [
        {"item_1": RNG.normal(size=3), "item_2": RNG.normal(size=2)},
        {"item_2": RNG.normal(size=2)},
        {},
    ],
    ids=["present", "absent", "empty"],
)
def test_get_with_a_default(d):
    x = 0.7
    dd, dx = srcgrad.grad(get_or_default, wrt=(0, 1))(d, x)
    want = central_dict(get_or_default, d, (x,))
    assert set(dd) == set(d)
    for k in d:
        np.testing.assert_allclose(dd[k], want[k], rtol=1e-6, atol=1e-8)
    assert np.isclose(dx, (get_or_default(d, x + 1e-6) - get_or_default(d, x - 1e-6)) / 2e-6, rtol=1e-6)
    dynamic = dynamic_dict(get_or_default, d, (x,))
    for k in d:
        np.testing.assert_allclose(dd[k], dynamic[k], rtol=1e-12, atol=1e-14)


def test_loops_over_sorted_items():
    d = {"zz": RNG.normal(size=3), "a": RNG.normal(size=(2, 2)), "mm": RNG.normal(size=2)}
    got = srcgrad.grad(weighted_by_sorted_items)(d)
    want = central_dict(weighted_by_sorted_items, d)
    dynamic = dynamic_dict(weighted_by_sorted_items, d)
    for k in d:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(got[k], dynamic[k], rtol=1e-12, atol=1e-14)


def test_get_of_a_dict_built_in_the_function():
    x = RNG.normal(size=3)
    got = srcgrad.grad(built_then_got)(x)
    want = [(built_then_got(x + e) - built_then_got(x - e)) / 2e-6 for e in np.eye(3) * 1e-6]
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    t = srcgrad.tensor(x, requires_grad=True)
    built_then_got(t).backward()
    np.testing.assert_allclose(got, t.grad.numpy(), rtol=1e-12)


def test_a_key_set_on_some_paths_only_is_refused_at_its_get():
    def f(x):
        d = {"a": x}
        if np.sum(x) > 0:
            d["b"] = x * 2.0
        return np.sum(d.get("b", x))

    with pytest.raises(TransformError, match=r"test_compiler_dict_methods\.py, line \d+: d\.get\('b'\)"):
        srcgrad.grad(f)(np.ones(2))


def dict_of_pairs(x, y):
    d = dict([("a", x * 2.0)], b=np.sin(y))
    e = dict({"c": x * y})
    f = dict((("a", y), ("d", x**2)), a=x)  # a keyword replaces the pair's value, as in Python
    return np.sum(d["a"] * d["b"]) + np.sum(e["c"]) + np.sum(f["a"] * f["d"])


def test_dict_made_from_pairs_and_keywords():
    x, y = RNG.normal(size=3), RNG.normal(size=3)
    gx, gy = srcgrad.grad(dict_of_pairs, wrt=(0, 1))(x, y)
    for got, k in ((gx, 0), (gy, 1)):
        want = []
        for e in np.eye(3) * 1e-6:
            plus = dict_of_pairs(x + e, y) if k == 0 else dict_of_pairs(x, y + e)
            minus = dict_of_pairs(x - e, y) if k == 0 else dict_of_pairs(x, y - e)
            want.append((plus - minus) / 2e-6)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    tx, ty = srcgrad.tensor(x, requires_grad=True), srcgrad.tensor(y, requires_grad=True)
    dict_of_pairs(tx, ty).backward()
    np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gy, ty.grad.numpy(), rtol=1e-12)
