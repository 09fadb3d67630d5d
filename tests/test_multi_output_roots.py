"""Multi-output primitives reached from several roots of one backward.

``a, b = np.split(x, 2)`` makes one node with two outputs; a backward (or
``autograd.grad``) from both pieces must add both cotangents. Each case below
is checked against central finite differences of the scalar
``sum_k <grad_output_k, output_k>``, through ``autograd.grad``,
``autograd.backward``, with ``create_graph=True``, and with one root taken
directly and another reached through further operations.
"""

import numpy as np
import pytest

import srcgrad as sg
from corpus.harness import fd_grad


def _aligned(outs, base, pairs=()):
    """Flip the signs of eigen/singular vectors to match ``base`` (finite differences need a smooth choice)."""
    outs = [np.asarray(o, dtype=np.float64) for o in outs]
    for k, partner in pairs:
        sign = np.sign(np.sum(outs[k] * base[k], axis=-2))
        outs[k] = outs[k] * sign
        if partner is not None:
            outs[partner] = outs[partner] * sign[..., :, None]
    return outs


A = np.array([[2.0, 0.3, -0.5], [0.3, 1.0, 0.2], [-0.5, 0.2, -1.5]])
M = np.array([[1.0, 2.0, -0.5], [0.3, -1.2, 0.7], [0.4, 0.1, 2.2], [-1.0, 0.6, 0.9]])

# name, function of one array giving a tuple of arrays, input, sign pairs to align (eigh/svd vectors)
CASES = [
    ("split", lambda x: np.split(x, 2), np.arange(1.0, 7.0), ()),
    ("split_axis1", lambda x: np.split(x, [1], axis=1), M, ()),
    ("array_split", lambda x: np.array_split(x, 3), np.arange(1.0, 8.0), ()),
    ("hsplit", lambda x: np.hsplit(x, 3), M, ()),
    ("vsplit", lambda x: np.vsplit(x, 2), M, ()),
    ("Tensor.split", lambda x: x.split(2, 0) if isinstance(x, sg.Tensor) else np.split(x, 2), M, ()),
    ("Tensor.chunk", lambda x: x.chunk(3, 1) if isinstance(x, sg.Tensor) else np.split(x, 3, axis=1), M, ()),
    ("slogdet", lambda x: np.linalg.slogdet(x), A + 3 * np.eye(3), ()),
    ("eigh", lambda x: np.linalg.eigh(x), A, ((1, None),)),
    ("svd", lambda x: np.linalg.svd(x, full_matrices=False), M, ((0, 2),)),
]


def _cotangents(x0, fn):
    rng = np.random.default_rng(3)
    return [rng.normal(size=np.shape(o)) for o in fn(x0)]


def _expected(fn, x0, gs, pairs):
    base = [np.asarray(o) for o in fn(x0)]

    def scalar(x):
        outs = _aligned(fn(x), base, pairs)
        return sum(np.sum(g * o) for g, o in zip(gs, outs))

    return fd_grad(scalar, (x0,), 0)


@pytest.mark.parametrize("name, fn, x0, pairs", CASES, ids=[c[0] for c in CASES])
def test_grad_from_every_output(name, fn, x0, pairs):
    gs = _cotangents(x0, fn)
    expected = _expected(fn, x0, gs, pairs)
    x = sg.tensor(x0, requires_grad=True)
    outs = fn(x)
    (got,) = sg.autograd.grad(list(outs), [x], grad_outputs=gs)
    np.testing.assert_allclose(got.detach().numpy(), expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name, fn, x0, pairs", CASES, ids=[c[0] for c in CASES])
def test_backward_from_every_output(name, fn, x0, pairs):
    gs = _cotangents(x0, fn)
    expected = _expected(fn, x0, gs, pairs)
    x = sg.tensor(x0, requires_grad=True)
    sg.autograd.backward(list(fn(x)), gs)
    assert x.grad is not None
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name, fn, x0, pairs", CASES, ids=[c[0] for c in CASES])
def test_create_graph_from_every_output(name, fn, x0, pairs):
    gs = _cotangents(x0, fn)
    expected = _expected(fn, x0, gs, pairs)
    x = sg.tensor(x0, requires_grad=True)
    (got,) = sg.autograd.grad(list(fn(x)), [x], grad_outputs=[sg.tensor(g) for g in gs], create_graph=True)
    np.testing.assert_allclose(got.detach().numpy(), expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name, fn, x0, pairs", CASES, ids=[c[0] for c in CASES])
def test_one_root_direct_others_downstream(name, fn, x0, pairs):
    """Output 0 is a root itself; the others reach the node again through a product and a sum."""
    gs = _cotangents(x0, fn)
    base = [np.asarray(o) for o in fn(x0)]

    def scalar(x):
        outs = _aligned(fn(x), base, pairs)
        return np.sum(gs[0] * outs[0]) + sum(np.sum(g * o * 2.0) for g, o in zip(gs[1:], outs[1:]))

    expected = fd_grad(scalar, (x0,), 0)
    x = sg.tensor(x0, requires_grad=True)
    outs = fn(x)
    rest = sum(np.sum(sg.tensor(g) * o * 2.0) for g, o in zip(gs[1:], outs[1:]))
    sg.autograd.backward([outs[0], rest], [gs[0], None])
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-5, atol=1e-7)


def test_the_same_output_twice_adds_both_cotangents():
    x = sg.tensor(np.arange(4.0), requires_grad=True)
    a, b = np.split(x, 2)
    (got,) = sg.autograd.grad([a, a, b], [x], grad_outputs=[np.ones(2), 2 * np.ones(2), 5 * np.ones(2)])
    np.testing.assert_allclose(got.numpy(), [3.0, 3.0, 5.0, 5.0])


def test_function_with_two_outputs_from_both_roots():
    class Two(sg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2.0, x * x

        @staticmethod
        def backward(ctx, ga, gb):
            (x,) = ctx.saved_tensors
            return ga * 2.0 + gb * 2.0 * x

    x = sg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    a, b = Two.apply(x)
    sg.autograd.backward([a, b], [np.array([1.0, 1.0, 1.0]), np.array([0.5, 1.0, 2.0])])
    np.testing.assert_allclose(x.grad.numpy(), [2.0 + 1.0, 2.0 - 4.0, 2.0 + 12.0])
