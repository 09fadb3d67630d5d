"""The graph a PyTorch script walks (``grad_fn.next_functions``) has PyTorch's shape where
tutorials look: ``MSELoss`` is one ``MseLossBackward0`` node, ``Linear`` one ``AddmmBackward0``
whose edges are the bias, the input and the weight behind a ``TBackward0``.
"""

import numpy as np
import pytest

import srcgrad

try:
    import torch
except ImportError:
    torch = None


def shape_of_graph(node, depth=6):
    """The graph under ``node`` as nested ``(name, children)``, ``None`` for an edge without a node."""
    if node is None:
        return None
    name = node.name().replace("torch::autograd::", "")
    if depth == 0:
        return (name,)
    return (name, tuple(shape_of_graph(child, depth - 1) for child, _ in node.next_functions))


def lenet_tail(lib, x_array):
    """The end of the neural-networks tutorial: fc layers, MSELoss, and the walk it prints."""
    lib.manual_seed(0)
    fc = lib.nn.Sequential(lib.nn.Linear(16, 12), lib.nn.ReLU(), lib.nn.Linear(12, 10))
    x = lib.tensor(x_array)
    loss = lib.nn.MSELoss()(fc(x), lib.tensor(np.ones((len(x_array), 10))))
    return loss


def test_the_tutorial_walk():
    loss = lenet_tail(srcgrad, np.ones((1, 16)))
    assert loss.grad_fn.name() == "MseLossBackward0"
    addmm = loss.grad_fn.next_functions[0][0]
    assert addmm.name() == "AddmmBackward0"
    bias, relu, weight_t = (edge[0] for edge in addmm.next_functions)
    assert bias.name() == "AccumulateGrad" and bias.variable is not None
    assert relu.name() == "ReluBackward0"
    assert weight_t.name() == "TBackward0" and weight_t.next_functions[0][0].name() == "AccumulateGrad"
    assert loss.grad_fn.next_functions[1] == (None, 0)  # the target needs no gradient


def test_linear_and_mse_gradients_are_right():
    x = srcgrad.tensor(np.linspace(-1, 1, 12).reshape(3, 4), requires_grad=True)
    layer = srcgrad.nn.Linear(4, 2)
    y = srcgrad.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    for reduction in ("mean", "sum", "none"):
        for inputs in (x, x.reshape(1, 3, 4)):

            def f(a, w, b, t):
                out = a @ w.T + b
                loss = (out - t) ** 2
                return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss.sum()

            def g(a, w, b, t):
                loss = srcgrad.nn.functional.mse_loss(srcgrad.nn.functional.linear(a, w, b), t, reduction=reduction)
                return loss.sum() if reduction == "none" else loss

            target = y if inputs.ndim == 2 else y.reshape(1, 3, 2)
            grads = []
            for fn in (f, g):
                value = fn(inputs, layer.weight, layer.bias, target)
                grads.append(
                    [value.item()] + [t.numpy() for t in srcgrad.autograd.grad(value, (x, layer.weight, layer.bias, y))]
                )
            for a, b in zip(*grads):
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert srcgrad.autograd.gradcheck(
        lambda a, w, b, t: srcgrad.nn.functional.mse_loss(srcgrad.nn.functional.linear(a, w, b), t),
        (x, layer.weight.detach().requires_grad_(), layer.bias.detach().requires_grad_(), y),
    )


def test_t_is_tbackward():
    w = srcgrad.tensor(np.ones((2, 3)), requires_grad=True)
    assert w.t().grad_fn.name() == "TBackward0" and srcgrad.t(w).shape == (3, 2)
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 dimensions"):
        srcgrad.zeros(2, 2, 2).t()


@pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
@pytest.mark.parametrize("case", ["mlp_mse", "linear_no_bias", "mse_sum", "mse_none", "t"])
def test_graph_matches_pytorch(case):
    x0 = np.random.default_rng(0).standard_normal((4, 16))
    graphs = []
    for lib in (srcgrad, torch):
        if lib is torch:
            torch.set_default_dtype(torch.float64)
        try:
            if case == "mlp_mse":
                out = lenet_tail(lib, x0)
            else:
                x = lib.tensor(x0, requires_grad=True)
                if case == "linear_no_bias":
                    out = lib.nn.Linear(16, 3, bias=False)(x)
                elif case == "mse_sum":
                    out = lib.nn.functional.mse_loss(x, lib.zeros(4, 16), reduction="sum")
                elif case == "mse_none":
                    out = lib.nn.functional.mse_loss(x, x.exp(), reduction="none")
                else:
                    out = x.t()
            graphs.append(shape_of_graph(out.grad_fn))
        finally:
            if lib is torch:
                torch.set_default_dtype(torch.float32)
    assert graphs[0] == graphs[1]
