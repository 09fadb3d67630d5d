"""The compiler on a dict argument holding dicts (``params['layer']['W']``): its gradient is a dict of the same
nesting, each entry checked against central finite differences in grad (optimized and not); jvp takes a
tangent of the same nesting; dynamic mode (the same function given Tensors in the dicts) must agree.
"""

import numpy as np
import pytest

import srcgrad

RNG = np.random.default_rng(5)
PARAMS = {
    "layer": {"W": RNG.normal(size=(3, 2)), "b": RNG.normal(size=2)},
    "scale": 0.7,
    "out": {"deep": {"v": RNG.normal(size=2)}},
}
X = RNG.normal(size=(4, 3))


def two_levels(p):
    return p["i"]["j"] * p["i"]["k"] + p["i"]["j"] ** 2


def network(p, x):
    layer = p["layer"]
    h = np.tanh(x @ layer["W"] + layer["b"])
    return np.sum((h @ p["out"]["deep"]["v"]) ** 2) * p["scale"]


def leaves(tree, path=()):
    if isinstance(tree, dict):
        return [leaf for k, v in tree.items() for leaf in leaves(v, path + (k,))]
    return [(path, tree)]


def replaced(tree, path, value):
    if not path:
        return value
    return {k: (replaced(v, path[1:], value) if k == path[0] else v) for k, v in tree.items()}


def at(tree, path):
    for k in path:
        tree = tree[k]
    return tree


def fd_tree(f, p, *rest, eps=1e-6):
    """Central finite differences of ``f(p, *rest)`` for each leaf of the nested dict ``p``."""
    out = {}
    for path, leaf in leaves(p):
        leaf = np.asarray(leaf, dtype=float)
        g = np.zeros(leaf.shape)
        for k in np.ndindex(leaf.shape):
            up, down = leaf.copy(), leaf.copy()
            up[k] += eps
            down[k] -= eps
            g[k] = (
                f(replaced(p, path, up if up.ndim else float(up)), *rest)
                - f(replaced(p, path, down if down.ndim else float(down)), *rest)
            ) / (2 * eps)
        out[path] = g
    return out


@pytest.mark.parametrize(
    "f, p, rest",
    [(two_levels, {"i": {"j": 1.3, "k": -0.7}}, ()), (network, PARAMS, (X,))],
    ids=["two_levels", "network"],
)
def test_gradient_with_respect_to_a_dict_holding_dicts(f, p, rest):
    expected = fd_tree(f, p, *rest)
    for optimize in (True, False):
        got = srcgrad.grad(f, optimize=optimize)(p, *rest)
        assert [path for path, _ in leaves(got)] == [path for path, _ in leaves(p)]
        for path, g in expected.items():
            np.testing.assert_allclose(at(got, path), g, rtol=1e-6, atol=1e-8)
    # jvp along a tangent of the same nesting
    tangent = p
    for path, leaf in leaves(p):
        tangent = replaced(tangent, path, np.cos(np.asarray(leaf)) if np.ndim(leaf) else float(np.cos(leaf)))
    value, out = srcgrad.jvp(f)(p, *rest, tangent)
    assert value == pytest.approx(f(p, *rest))
    assert out == pytest.approx(sum(np.sum(g * at(tangent, path)) for path, g in expected.items()), abs=1e-6)
    # dynamic mode: the same function on Tensors held in the dicts
    tensors = p
    for path, leaf in leaves(p):
        tensors = replaced(tensors, path, srcgrad.tensor(np.asarray(leaf, dtype=float), requires_grad=True))
    f(tensors, *rest).backward()
    got = srcgrad.grad(f)(p, *rest)
    for path, _ in leaves(p):
        np.testing.assert_allclose(at(tensors, path).grad.numpy(), at(got, path), rtol=1e-10, atol=1e-12)


def loop_over_an_inner_dict(p):
    inner = p["i"]
    total = 0.0
    for k in inner:
        total = total + inner[k] * 2.0
    return total


def inner_dict_chosen_by_a_branch(p, c):
    inner = p["i"]
    if c > 0:
        inner = p["m"]
    return inner["j"] * 3.0


@pytest.mark.parametrize("f, rest", [(loop_over_an_inner_dict, ()), (inner_dict_chosen_by_a_branch, (1.0,))])
def test_reads_the_adjoint_cannot_follow_are_refused_at_the_line(f, rest):
    p = {"i": {"j": 2.0, "k": 1.0}, "m": {"j": 5.0, "k": 1.0}}
    with pytest.raises(srcgrad.errors.TransformError, match="a dict holding dicts") as info:
        srcgrad.grad(f)(p, *rest)
    assert "test_compiler_nested_dicts.py, line" in str(info.value)


def inner_sums(d):
    return np.sum(d["a"]["b"] ** 2 * d["c"]) + np.sum(np.sin(d["a"]["e"]))


INNER_GRAD = srcgrad.grad(inner_sums)


def through_the_gradient(d):
    g = INNER_GRAD(d)
    return np.sum(g["a"]["b"] * g["c"]) + np.sum(g["a"]["e"])


@pytest.mark.parametrize("how", ["jvp", "grad", "jvp of the gradient"])
def test_a_gradient_of_a_dict_holding_dicts_differentiated_again_is_refused_at_the_line(how):
    # the JVP of a function calling such a gradient read the gradient's code made for a dict of arrays, which
    # indexed the inner dict as an array (IndexError when the code ran); now the code made for the dict holding
    # dicts is read, and its adjoint built when the code runs (zeros_like_tree, add_tree) is refused
    d = {"a": {"b": np.array([0.3, -0.2]), "e": np.array([0.5])}, "c": 1.5}
    t = {"a": {"b": np.array([1.0, 0.5]), "e": np.array([-0.3])}, "c": 0.2}
    make = {
        "jvp": lambda: srcgrad.jvp(through_the_gradient)(d, t),
        "grad": lambda: srcgrad.grad(through_the_gradient)(d),
        "jvp of the gradient": lambda: srcgrad.jvp(INNER_GRAD)(d, t),
    }[how]
    with pytest.raises(srcgrad.TransformError, match="a dict holding dicts is differentiated again") as err:
        make()
    line = (inner_sums if how == "jvp of the gradient" else through_the_gradient).__code__.co_firstlineno + 1
    assert f"test_compiler_nested_dicts.py, line {line}:" in str(err.value)
    # the gradient itself is right
    g = INNER_GRAD(d)
    np.testing.assert_allclose(g["a"]["b"], 2 * d["a"]["b"] * d["c"], rtol=1e-12)
    np.testing.assert_allclose(g["a"]["e"], np.cos(d["a"]["e"]), rtol=1e-12)
    assert g["c"] == pytest.approx(np.sum(d["a"]["b"] ** 2))
