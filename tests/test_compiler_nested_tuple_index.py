"""A tuple inside an index tuple (``x[..., (0, 1, 0)]``) is a fancy index to numpy: it may repeat an element.

The compiler took it for a basic index: a getitem's adjoint summed into an
adjoint it owns as ``dx[idx] += g`` (numpy adds a repeated element once), and
``y[idx] += v`` became ``index_add`` (which adds every repeat, where numpy adds
once). Second derivatives met it in generated code, where lists inside an
index are held as tuples: grad(grad(f)) was wrong without an error (fuzz seed
551, program 111). Each case is checked against finite differences of the
function itself and against dynamic mode.
"""

import numpy as np

import srcgrad
from srcgrad import autograd


def fd_grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        g[i] = (f(up) - f(down)) / (2 * eps)
    return g


def dynamic_grad(f, x):
    t = srcgrad.tensor(x, requires_grad=True)
    (g,) = autograd.grad(f(t), t)
    return g.detach().numpy()


X = np.random.default_rng(0).normal(size=(2, 3, 2))
V = np.random.default_rng(1).normal(size=(2, 3, 2))


def batched_products_in_a_list(y):
    v1 = np.tanh(y)
    v2 = [v1[..., [0, 1, 0]] @ y for k in range(2)]
    return np.mean(v2)


def test_grad_of_grad_through_a_repeated_fancy_index_in_a_loop():
    got = srcgrad.grad(srcgrad.grad(batched_products_in_a_list))(X, dout=V)
    want = fd_grad(lambda y: np.sum(srcgrad.grad(batched_products_in_a_list)(y) * V), X)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(got, srcgrad.hvp(batched_products_in_a_list)(X, V), rtol=1e-10, atol=1e-12)


def columns_read_in_a_loop(x):
    total = 0.0
    for k in range(3):
        total = total + np.sum(np.sin(x[:, (0, 1, 0)]) * (k + 1.0))
    return total


def columns_added_into(x):
    y = np.zeros((3, 3))
    y[:, (0, 1, 0)] += x
    return np.sum(y * np.arange(1.0, 10.0).reshape(3, 3))


def test_first_order_reads_and_writes_with_a_tuple_inside_the_index():
    x = np.random.default_rng(2).normal(size=(3, 2))
    got = srcgrad.grad(columns_read_in_a_loop)(x)
    np.testing.assert_allclose(got, fd_grad(columns_read_in_a_loop, x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got, dynamic_grad(columns_read_in_a_loop, x), rtol=1e-12)
    x3 = np.random.default_rng(3).normal(size=(3, 3))
    grad_fn = srcgrad.value_and_grad(columns_added_into)
    value, got = grad_fn(x3)
    assert value == columns_added_into(x3)  # numpy adds a repeated column once, the last value
    np.testing.assert_allclose(got, fd_grad(columns_added_into, x3), rtol=1e-6, atol=1e-8)
    assert got[:, 0].tolist() == [0.0, 0.0, 0.0]  # the first of the repeated column's values is overwritten
