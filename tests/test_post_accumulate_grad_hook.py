"""``Tensor.register_post_accumulate_grad_hook``: runs on a leaf once its ``.grad`` holds the backward's sum.

DistributedDataParallel starts averaging a bucket of gradients from these hooks while
backward is still running, so the tests pin down when they run and what they see.
"""

import numpy as np
import pytest

import srcgrad
from srcgrad import nn
from srcgrad.errors import AutogradError


def test_runs_once_after_every_contribution_is_summed():
    w = srcgrad.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.numpy().copy()))
    y = (w * 3.0).sum() + (w * w).sum()  # two paths into w
    y.backward()
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], [3.0 + 2.0, 3.0 + 4.0])


def test_gets_the_tensor_and_sees_accumulation_across_backwards():
    w = srcgrad.tensor([1.0, -1.0], requires_grad=True)
    seen = []
    w.register_post_accumulate_grad_hook(lambda t: seen.append((t is w, t.grad.numpy().copy())))
    (w * 2.0).sum().backward()
    (w * 5.0).sum().backward()
    assert [s[0] for s in seen] == [True, True]
    np.testing.assert_allclose(seen[1][1], [7.0, 7.0])


def test_changing_grad_in_place_is_what_backward_leaves():
    w = srcgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w.register_post_accumulate_grad_hook(lambda t: t.grad.mul_(0.5))
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [1.0, 2.0, 3.0])


def test_runs_during_backward_before_earlier_layers_are_done():
    srcgrad.manual_seed(0)
    first, second = nn.Linear(3, 4), nn.Linear(4, 2)
    order = []

    def record(name):
        def hook(t):
            order.append((name, first.weight.grad is None))

        return hook

    first.weight.register_post_accumulate_grad_hook(record("first"))
    second.weight.register_post_accumulate_grad_hook(record("second"))
    second(first(srcgrad.randn(5, 3)).tanh()).sum().backward()
    assert order == [("second", True), ("first", False)]


def test_not_run_by_autograd_grad_and_run_by_backward_with_inputs():
    w = srcgrad.tensor([1.0, 2.0], requires_grad=True)
    v = srcgrad.tensor([3.0], requires_grad=True)
    calls = []
    w.register_post_accumulate_grad_hook(lambda t: calls.append(t.grad.numpy().copy()))
    y = (w * v).sum()
    srcgrad.autograd.grad(y, w, retain_graph=True)
    assert calls == [] and w.grad is None
    y.backward(inputs=[w])
    assert len(calls) == 1
    np.testing.assert_allclose(calls[0], [3.0, 3.0])


def test_with_create_graph_the_hook_sees_a_tensor_grad():
    w = srcgrad.tensor([2.0], requires_grad=True)
    seen = []
    w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.requires_grad))
    (w**3).sum().backward(create_graph=True)
    assert seen == [True]
    np.testing.assert_allclose(w.grad.detach().numpy(), [12.0])


def test_remove_and_errors():
    w = srcgrad.tensor([1.0], requires_grad=True)
    calls = []
    handle = w.register_post_accumulate_grad_hook(lambda t: calls.append(1))
    handle.remove()
    handle.remove()
    (w * 2).sum().backward()
    assert calls == []
    with pytest.raises(AutogradError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(AutogradError, match="doesn't require gradient"):
        srcgrad.tensor([1.0]).register_post_accumulate_grad_hook(lambda t: None)


def test_same_calls_and_values_as_torch():
    torch = pytest.importorskip("torch")
    data = np.array([0.5, -1.5, 2.0])

    def run(lib, make):
        w = make(data)
        seen = []
        w.register_post_accumulate_grad_hook(lambda t: seen.append(np.array(t.grad.detach().numpy())))
        y = (w.sin() * w).sum() + (w * 2.0).sum()
        y.backward(retain_graph=True)
        y.backward()
        return seen

    ours = run(srcgrad, lambda d: srcgrad.tensor(d, requires_grad=True))
    theirs = run(torch, lambda d: torch.tensor(d, requires_grad=True))
    assert len(ours) == len(theirs) == 2
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_a_leaf_is_accumulated_as_soon_as_its_gradient_is_complete():
    # PyTorch runs AccumulateGrad nodes first among the ready ones: the outer layer's
    # weight is final (and its hook has run) before backward walks into the inner layer,
    # which is what lets data-parallel training start averaging while backward goes on
    x = srcgrad.tensor([0.3, -0.2, 0.5])
    w1 = srcgrad.tensor([1.0, 2.0, -1.0], requires_grad=True)
    w2 = srcgrad.tensor([0.5, -0.5, 2.0], requires_grad=True)
    order = []
    w1.register_post_accumulate_grad_hook(lambda t: order.append("w1"))
    w2.register_post_accumulate_grad_hook(lambda t: order.append("w2"))
    (w2 * np.tanh(w1 * x)).sum().backward()
    assert order == ["w2", "w1"]
    lin1, lin2 = srcgrad.nn.Linear(3, 4), srcgrad.nn.Linear(4, 1)
    order.clear()
    for name, p in [
        ("lin1.weight", lin1.weight),
        ("lin1.bias", lin1.bias),
        ("lin2.weight", lin2.weight),
        ("lin2.bias", lin2.bias),
    ]:
        p.register_post_accumulate_grad_hook(lambda t, name=name: order.append(name))
    lin2(np.tanh(lin1(srcgrad.randn(5, 3)))).sum().backward()
    assert set(order[:2]) == {"lin2.weight", "lin2.bias"}


def test_a_queued_callback_runs_once_backward_is_done():
    # DistributedDataParallel finishes its averaging here, so that a hook firing late in the same backward is seen
    from srcgrad.autograd.engine import queue_callback

    w = srcgrad.tensor([1.0, 2.0], requires_grad=True)
    v = srcgrad.tensor([3.0], requires_grad=True)
    events = []

    def hook(t):
        events.append(("hook", t.shape[0]))
        if len(events) == 1:
            queue_callback(lambda: events.append(("done", w.grad is not None and v.grad is not None)))

    w.register_post_accumulate_grad_hook(hook)
    v.register_post_accumulate_grad_hook(hook)
    ((w * 2.0).sum() * v).sum().backward()
    assert sorted(events[:2]) == [("hook", 1), ("hook", 2)] and events[2:] == [("done", True)]
    with pytest.raises(AutogradError, match="Final callbacks can only be installed during backward pass"):
        queue_callback(lambda: None)


def test_a_queued_callback_does_not_run_when_backward_raises():
    from srcgrad.autograd.engine import queue_callback

    w = srcgrad.tensor([1.0, 2.0], requires_grad=True)
    ran = []
    a = w * 1.0
    y = (a * a).sum() + (w * 2.0).sum()
    y.register_hook(lambda g: queue_callback(lambda: ran.append(1)))  # the first thing backward runs
    with srcgrad.no_grad():
        a.mul_(2.0)
    with pytest.raises(AutogradError, match="modified by an inplace operation"):
        y.backward()
    assert not ran
    y = (w * 2.0).sum()
    y.register_hook(lambda g: queue_callback(lambda: ran.append(1)))
    y.backward()
    assert ran == [1]
