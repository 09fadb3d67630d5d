"""The compiler on arguments that are lists or tuples of tuples (or lists) of arrays: a neural net's parameters
as ``[(W1, b1), (W2, b2)]`` (HIPS autograd's examples, JAX's pytrees).

``srcgrad.grad`` with respect to such an argument gives the gradient in the same nested layout (a list of
tuples of arrays, each the shape of its array). The function is differentiated with each array an argument of
its own (``itemwise``), the list of tuples kept at compile time: ``for W, b in params``, ``params[0]``,
``params[1:-1]``, ``zip``, ``enumerate`` and unpacking read its items. Each form is checked against central
finite differences along a random direction, and against dynamic mode (the same function on Tensors). Where the
compiler does not take such an argument (a Hessian, an HVP, ``checkpoint=True``, a gradient of a gradient) it
refuses, naming the user's line or the function.
"""

import os

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import TransformError

HERE = os.path.abspath(__file__).removesuffix("c")


def net(sizes, seed=0, layer=tuple):
    rs = np.random.RandomState(seed)
    return [layer((rs.randn(m, n) * 0.5, rs.randn(n) * 0.5)) for m, n in zip(sizes[:-1], sizes[1:])]


X = np.random.RandomState(7).randn(5, 3)


# ---------------------------------------------------------------- the forms


def loop_unpacking(params, inputs):
    for W, b in params:
        outputs = np.dot(inputs, W) + b
        inputs = np.tanh(outputs)
    return np.sum(outputs**2)


def first_middle_last(params, inputs):
    inpW, inpb = params[0]
    h = np.tanh(np.dot(inputs, inpW) + inpb)
    for W, b in params[1:-1]:
        h = np.tanh(np.dot(h, W) + b)
    outW, outb = params[-1]
    return np.sum(np.sin(np.dot(h, outW) + outb))


def indexed_in_a_range_loop(params, inputs):
    h = inputs
    for i in range(len(params)):
        h = np.tanh(h @ params[i][0] + params[i][1])
    return np.sum(h * h)


def zipped_with_scales(params, inputs):
    scales = [2.0, 0.5]
    h = inputs
    for (W, b), s in zip(params, scales):
        h = np.tanh(s * (h @ W) + b)
    return np.sum(h)


def enumerated(params, inputs):
    h = inputs
    total = 0.0
    for k, layer in enumerate(params):
        W, b = layer
        h = np.tanh(h @ W + b)
        total = total + (k + 1.0) * np.sum(b * b)
    return np.sum(h) + total


def l2_of_all_arrays(params, inputs):
    return np.sum(inputs) * sum(np.sum(W * W) + np.sum(b * b) for W, b in params)


def predict(params, inputs):
    for W, b in params:
        inputs = np.tanh(inputs @ W + b)
    return inputs


def through_a_helper(params, inputs):
    return np.sum(predict(params, inputs) ** 2)


def two_nets_in_a_tuple(combined, inputs):
    gen, rec = combined
    return np.sum(predict(gen, inputs) * np.cos(predict(rec, inputs)))


FORMS = [
    (loop_unpacking, net([3, 4, 2])),
    (first_middle_last, net([3, 4, 4, 2])),
    (zipped_with_scales, net([3, 4, 2])),
    (enumerated, net([3, 4, 2])),
    (l2_of_all_arrays, net([3, 4, 2])),
    (through_a_helper, net([3, 2, 4, 2])),
    (loop_unpacking, tuple(net([3, 4, 2]))),  # a tuple of tuples
    (loop_unpacking, net([3, 4, 2], layer=list)),  # a list of lists
    (two_nets_in_a_tuple, (net([3, 4, 3], 1), net([3, 2, 3], 2))),  # a tuple of lists of tuples
]


def leaves(tree):
    if isinstance(tree, (list, tuple)):
        return [leaf for item in tree for leaf in leaves(item)]
    return [tree]


def rebuild(tree, items):
    if isinstance(tree, (list, tuple)):
        return type(tree)(rebuild(item, items) for item in tree)
    return next(items)


def layout(tree):
    """The nested containers' types and lengths, and each array's shape and dtype."""
    if isinstance(tree, (list, tuple)):
        return (type(tree).__name__, tuple(layout(item) for item in tree))
    return (type(tree).__name__, np.shape(tree), np.asarray(tree).dtype.str)


def directional_fd(f, params, inputs, direction, h=1e-6):
    def at(step):
        return f(rebuild(params, iter([p + step * v for p, v in zip(leaves(params), direction)])), inputs)

    return (at(h) - at(-h)) / (2 * h)


def dynamic_gradient(f, params, inputs):
    """The gradient by dynamic mode (Tensors), in the same layout."""
    tensors = rebuild(params, iter([srcgrad.tensor(p, requires_grad=True) for p in leaves(params)]))
    out = f(tensors, srcgrad.tensor(inputs))
    grads = srcgrad.autograd.grad(out, leaves(tensors))
    return rebuild(params, iter([np.asarray(g.detach().numpy()) for g in grads]))


@pytest.mark.parametrize("optimize", [True, False])
@pytest.mark.parametrize("f, params", FORMS, ids=[f"{f.__name__}-{k}" for k, (f, _) in enumerate(FORMS)])
def test_gradient_in_the_argument_layout_against_fd_and_dynamic_mode(f, params, optimize):
    got = srcgrad.grad(f, optimize=optimize)(params, X)
    assert layout(got) == layout(params)
    rs = np.random.RandomState(3)
    for _ in range(2):
        direction = [rs.randn(*np.shape(p)) for p in leaves(params)]
        claimed = sum(np.sum(g * v) for g, v in zip(leaves(got), direction))
        assert claimed == pytest.approx(directional_fd(f, params, X, direction), rel=1e-6, abs=1e-7)
    for g, d in zip(leaves(got), leaves(dynamic_gradient(f, params, X))):
        np.testing.assert_allclose(g, d, rtol=1e-10, atol=1e-12)


def test_each_array_gets_its_own_gradient():
    """Per array, against a finite difference in that array alone (a layout mix-up of W and b fails here)."""
    full = net([3, 4, 4, 2])  # (the middle layer's arrays have the shapes of no other)
    got = srcgrad.grad(first_middle_last)(full, X)
    for k, p in enumerate(leaves(full)):
        direction = [np.zeros_like(q) for q in leaves(full)]
        direction[k] = np.random.RandomState(k).randn(*p.shape)
        expected = directional_fd(first_middle_last, full, X, direction)
        assert np.sum(leaves(got)[k] * direction[k]) == pytest.approx(expected, rel=1e-6, abs=1e-7)


def test_the_layout_is_the_arguments():
    params = [(np.ones((3, 4)), np.ones(4)), (np.ones((4, 2)), np.ones(2))]
    got = srcgrad.grad(loop_unpacking)(params, X)
    assert type(got) is list and len(got) == 2
    assert all(type(layer) is tuple and len(layer) == 2 for layer in got)
    assert [[g.shape for g in layer] for layer in got] == [[(3, 4), (4,)], [(4, 2), (2,)]]
    nested = ([(np.ones((3, 2)), np.ones(2))], [[np.ones((3, 1)), np.ones(1)]])
    got = srcgrad.grad(two_nets_in_a_tuple)(nested, X)
    assert layout(got) == layout(nested)
    assert type(got[1][0]) is list


def test_arrays_of_one_shape_keep_the_layout():
    """A list of tuples whose arrays share one shape is not made one array: the gradient keeps the layout."""
    rs = np.random.RandomState(2)
    params = [(rs.randn(3, 3), rs.randn(3, 3)), (rs.randn(3, 3), rs.randn(3, 3))]

    def f(params, x):
        for A, B in params:
            x = np.tanh(x @ A) @ B
        return np.sum(x)

    got = srcgrad.grad(f)(params, X)
    assert layout(got) == layout(params)
    for g, d in zip(leaves(got), leaves(dynamic_gradient(f, params, X))):
        np.testing.assert_allclose(g, d, rtol=1e-10, atol=1e-12)


def test_with_respect_to_another_argument_and_both():
    params = net([3, 4, 2])
    dx = srcgrad.grad(loop_unpacking, wrt=1)(params, X)
    rs = np.random.RandomState(5)
    v = rs.randn(*X.shape)
    h = 1e-6
    expected = (loop_unpacking(params, X + h * v) - loop_unpacking(params, X - h * v)) / (2 * h)
    assert np.sum(dx * v) == pytest.approx(expected, rel=1e-6)
    dparams, dx2 = srcgrad.grad(loop_unpacking, wrt=(0, 1))(params, X)
    np.testing.assert_allclose(dx2, dx, rtol=1e-12)
    assert layout(dparams) == layout(params)
    value, dparams3 = srcgrad.value_and_grad(loop_unpacking)(params, X)
    assert value == pytest.approx(loop_unpacking(params, X))
    for a, b in zip(leaves(dparams3), leaves(dparams)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_the_list_given_second():
    def objective(x, params):
        return loop_unpacking(params, x)

    params = net([3, 4, 2])
    got = srcgrad.grad(objective, wrt=1)(X, params)
    for g, d in zip(leaves(got), leaves(dynamic_gradient(loop_unpacking, params, X))):
        np.testing.assert_allclose(g, d, rtol=1e-10, atol=1e-12)


def test_jvp_with_a_nested_tangent():
    params = net([3, 4, 2])
    rs = np.random.RandomState(4)
    direction = [rs.randn(*np.shape(p)) for p in leaves(params)]
    value, tangent = srcgrad.jvp(loop_unpacking)(params, X, rebuild(params, iter(direction)))
    assert value == pytest.approx(loop_unpacking(params, X))
    assert tangent == pytest.approx(directional_fd(loop_unpacking, params, X, direction), rel=1e-6)


# ---------------------------------------------------------------- where it is refused


def line_of(f, text):
    import inspect

    lines, start = inspect.getsourcelines(f)
    return start + next(k for k, line in enumerate(lines) if text in line)


@pytest.mark.parametrize(
    "make",
    [
        lambda: srcgrad.grad(loop_unpacking, checkpoint=True),
        lambda: srcgrad.grad(srcgrad.grad(loop_unpacking, wrt=1), wrt=0),
    ],
    ids=["checkpoint", "grad-of-grad"],
)
def test_refused_where_not_taken_item_by_item_at_the_users_line(make):
    with pytest.raises(TransformError) as info:
        make()(net([3, 4, 2]), X)
    message = str(info.value)
    assert "a list or tuple of arrays of several shapes (or of tuples or lists of arrays" in message
    assert f"{HERE}, line {line_of(loop_unpacking, 'for W, b in params')}" in message


def test_indexed_by_a_loop_variable_refused_at_the_users_line():
    """``params[i]`` with ``i`` known only when the code runs: the list of tuples is kept at compile time."""
    with pytest.raises(TransformError, match="indexing a tuple needs an integer index it has") as info:
        srcgrad.grad(indexed_in_a_range_loop)(net([3, 4, 2]), X)
    assert f"{HERE}, line {line_of(indexed_in_a_range_loop, 'h = np.tanh(h @ params[i][0]')}" in str(info.value)


def test_hvp_refused_at_the_users_line():
    params = net([3, 4, 2])
    with pytest.raises(TransformError) as info:
        srcgrad.hvp(loop_unpacking)(params, X, params)
    assert f"{HERE}, line {line_of(loop_unpacking, 'for W, b in params')}" in str(info.value)


@pytest.mark.parametrize("what", ["hessian", "jacobian"])
def test_hessian_and_jacobian_refused_naming_the_function(what):
    with pytest.raises(TransformError, match=f"srcgrad.{what} of loop_unpacking with respect to 'params'"):
        getattr(srcgrad, what)(loop_unpacking)(net([3, 4, 2]), X)


def test_given_to_a_gradient_inside_refused_at_the_call():
    def outer(x, params):
        return np.sum(srcgrad.grad(loop_unpacking, wrt=1)(params, x) ** 2)

    with pytest.raises(TransformError, match="a list or tuple of tuples or lists of arrays") as info:
        srcgrad.grad(outer)(X, net([3, 4, 2]))
    assert f"{HERE}, line {line_of(outer, 'return np.sum(srcgrad.grad')}" in str(info.value)
