"""``srcgrad.utils.checkpoint`` (PyTorch's ``torch.utils.checkpoint``): the tape recomputes instead of storing.

Every gradient is compared with the same computation without checkpointing
(and one with finite differences through ``gradcheck``); the memory test shows
the intermediates are really dropped between forward and backward.
"""

import tracemalloc

import numpy as np
import pytest

import srcgrad as sg
from srcgrad.autograd.gradcheck import gradcheck
from srcgrad.errors import AutogradError
from srcgrad.utils.checkpoint import checkpoint, checkpoint_sequential


def make_block(seed=0):
    sg.manual_seed(seed)
    lin1, lin2 = sg.nn.Linear(4, 8), sg.nn.Linear(8, 3)

    def block(x):
        return sg.tanh(lin2(sg.relu(lin1(x))))

    return block, [lin1.weight, lin1.bias, lin2.weight, lin2.bias]


def grads_of(loss_fn, tensors):
    for t in tensors:
        t.grad = None
    loss_fn().backward()
    return [t.grad.numpy().copy() for t in tensors]


@pytest.mark.parametrize("use_reentrant", [None, True, False])
def test_backward_gives_the_unchecked_gradients_of_input_and_parameters(use_reentrant):
    block, params = make_block()
    x = sg.tensor(np.random.default_rng(1).normal(size=(5, 4)), requires_grad=True)
    plain = grads_of(lambda: (block(x) ** 2).sum(), [x, *params])
    checked = grads_of(lambda: (checkpoint(block, x, use_reentrant=use_reentrant) ** 2).sum(), [x, *params])
    for a, b in zip(plain, checked):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-14)
        assert np.any(a != 0)


def test_parameters_get_gradients_when_no_argument_requires_grad():
    block, params = make_block()
    x = sg.tensor(np.random.default_rng(2).normal(size=(5, 4)))
    plain = grads_of(lambda: block(x).sum(), params)
    checked = grads_of(lambda: checkpoint(block, x, use_reentrant=False).sum(), params)
    for a, b in zip(plain, checked):
        np.testing.assert_allclose(b, a, rtol=1e-12)


def test_autograd_grad_reaches_arguments_and_the_leaves_read_inside():
    block, params = make_block()
    x = sg.tensor(np.random.default_rng(3).normal(size=(2, 4)), requires_grad=True)
    h = x * 2.0  # a non-leaf argument: gradients flow on through x * 2
    want = sg.autograd.grad(block(h).sum(), [x, params[0]])
    got = sg.autograd.grad(checkpoint(block, h, use_reentrant=False).sum(), [x, params[0]])
    for a, b in zip(want, got):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-12)


def test_gradcheck_through_a_checkpoint():
    w = sg.tensor(np.random.default_rng(4).normal(size=(3, 3)), requires_grad=True)

    def f(x, y):
        return checkpoint(lambda a, b: sg.sin(a @ w) * b.exp(), x, y, use_reentrant=False)

    x = sg.tensor(np.random.default_rng(5).normal(size=(2, 3)), requires_grad=True)
    y = sg.tensor(np.random.default_rng(6).normal(size=(2, 3)), requires_grad=True)
    assert gradcheck(f, (x, y))
    assert gradcheck(lambda v: checkpoint(lambda a: sg.sin(a @ v).sum(), x, use_reentrant=False), (w,))


def test_tuple_outputs_with_a_non_tensor_and_an_integer_tensor():
    x = sg.tensor([1.0, -2.0, 3.0], requires_grad=True)

    def f(a):
        return a.exp(), 7, a.argmax(), a * a

    e, seven, idx, sq = checkpoint(f, x, use_reentrant=False)
    assert seven == 7 and idx.item() == 2 and not idx.requires_grad
    (e.sum() + 3 * sq.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(x.detach().numpy()) + 6 * x.detach().numpy(), rtol=1e-12)


def test_an_unused_output_gets_no_gradient_and_raises_nothing():
    x = sg.tensor([0.5, 1.5], requires_grad=True)
    a, b = checkpoint(lambda t: (t.sin(), t.cos()), x, use_reentrant=False)
    a.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.cos(x.detach().numpy()), rtol=1e-12)


def test_second_derivative_through_a_checkpoint():
    x = sg.tensor([0.3, -1.2, 2.0], requires_grad=True)
    for wrap in (lambda f, t: f(t), lambda f, t: checkpoint(f, t, use_reentrant=False)):
        (g,) = sg.autograd.grad(wrap(lambda t: (t**3).sum() + (t[0] * t[1]), x), x, create_graph=True)
        (h,) = sg.autograd.grad(g.sum(), x)
        np.testing.assert_allclose(h.numpy(), 6 * x.detach().numpy() + np.array([1.0, 1.0, 0.0]), rtol=1e-12)


def test_dropout_draws_the_same_mask_again_unless_told_not_to():
    x = sg.tensor(np.ones((50, 40)), requires_grad=True)

    def f(t):
        return sg.nn.functional.dropout(t * 3.0, p=0.5, training=True)

    sg.manual_seed(7)
    y = f(x)
    y.sum().backward()
    want = x.grad.numpy().copy()
    x.grad = None
    sg.manual_seed(7)
    y2 = checkpoint(f, x, use_reentrant=False)
    np.testing.assert_array_equal(y2.detach().numpy(), y.detach().numpy())
    sg.randn(3)  # draws between forward and backward do not change the replay
    y2.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), want)
    x.grad = None
    sg.manual_seed(7)
    checkpoint(f, x, use_reentrant=False, preserve_rng_state=False).sum().backward()
    assert np.any(x.grad.numpy() != want)  # a fresh mask: what preserve_rng_state=True prevents


def test_a_closure_over_a_computed_tensor_differentiates_through_it():
    w = sg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = sg.tensor([0.5, -0.5, 2.0], requires_grad=True)
    h = w.exp()  # not a leaf, read from outside, not an argument
    both = (lambda t: (t * h).sin().sum(), lambda t: checkpoint(lambda u: (u * h).sin().sum(), t))
    results = []
    for f in both:
        w.grad = x.grad = None
        (f(x) + h.sum()).backward(retain_graph=True)
        results.append((w.grad.numpy().copy(), x.grad.numpy().copy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=1e-12)


def test_checkpoint_sequential_matches_the_plain_model():
    sg.manual_seed(0)
    model = sg.nn.Sequential(*[m for _ in range(3) for m in (sg.nn.Linear(6, 6), sg.nn.Tanh())], sg.nn.Linear(6, 2))
    x = sg.tensor(np.random.default_rng(8).normal(size=(4, 6)), requires_grad=True)
    params = [x, *model.parameters()]
    plain = grads_of(lambda: (model(x) ** 2).sum(), params)
    for segments in (1, 2, 3, 7):
        checked = grads_of(lambda: (checkpoint_sequential(model, segments, x, use_reentrant=False) ** 2).sum(), params)
        for a, b in zip(plain, checked):
            np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-15)


def test_the_intermediates_are_not_kept_between_forward_and_backward():
    x = sg.tensor(np.random.default_rng(9).normal(size=(200, 200)), requires_grad=True)

    def deep(t):
        for _ in range(10):
            t = sg.tanh(t * 1.01)
        return t

    held = {}
    for name, run in (("plain", deep), ("checkpoint", lambda t: checkpoint(deep, t, use_reentrant=False))):
        tracemalloc.start()
        out = run(x).sum()
        held[name] = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        out.backward()
    one_array = 200 * 200 * 8
    assert held["plain"] > 8 * one_array  # each tanh keeps its output for the VJP
    assert held["checkpoint"] < 2 * one_array


def test_a_recomputation_of_another_shape_is_an_error_not_a_wrong_gradient():
    calls = []

    def f(t):
        calls.append(1)
        return t[: len(calls)] * 2.0

    x = sg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = checkpoint(f, x, use_reentrant=False)
    with pytest.raises(
        AutogradError,
        match=r"recomputing the checkpointed function .* float64 \[2\], where the forward gave float64 \[1\]",
    ):
        y.sum().backward()


def test_an_argument_changed_in_place_before_backward_is_an_error():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1.0
    y = checkpoint(lambda t: (t**2).sum(), h, use_reentrant=False)
    with sg.no_grad():
        h.add_(1.0)
    with pytest.raises(AutogradError, match="modified by an inplace operation"):
        y.backward()


def test_under_no_grad_it_just_calls_the_function():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    with sg.no_grad():
        y = checkpoint(lambda t: t * 2.0, x, use_reentrant=False)
    assert y.grad_fn is None and not y.requires_grad
    np.testing.assert_array_equal(y.numpy(), [2.0, 4.0])


@pytest.mark.parametrize(
    "options, match",
    [
        ({"context_fn": lambda: None}, "context_fn"),
        ({"debug": True}, "debug"),
        ({"determinism_check": "x"}, "determinism_check"),
    ],
)
def test_unsupported_options_are_refused(options, match):
    x = sg.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match=match):
        checkpoint(lambda t: t, x, **options)


def test_a_pytorch_script_finds_it_under_torch_utils_checkpoint():
    from srcgrad.porting import torch_alias

    with torch_alias():
        import torch.utils.checkpoint as ported

        assert ported.checkpoint is checkpoint
        assert ported.checkpoint_sequential is checkpoint_sequential


def test_a_function_that_changes_its_argument_in_place_is_refused():
    w = sg.tensor([1.0, 2.0], requires_grad=True)
    x = sg.tensor([3.0, 4.0])  # needs no gradient, so the tape itself would let the write through

    def f(t):
        t.mul_(2.0)
        return (t * w).sum()

    with pytest.raises(AutogradError, match="changed its argument 0 in place"):
        checkpoint(f, x, use_reentrant=False)
