"""Dynamic mode: Tensor, the engine, grad modes, in-place ops and PyTorch's errors.

Expected gradients are derived by hand in each test (or by central finite
differences through ``gradcheck``), never taken from srcgrad itself.
"""

import threading

import numpy as np
import pytest

import srcgrad as sg
from srcgrad import AutogradError
from srcgrad.autograd import gradcheck


def leaf(values, dtype=np.float64):
    return sg.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


# -- gradients -------------------------------------------------------------------------------


def test_chain_rule_matches_hand_derivative():
    x0 = np.array([0.3, -1.2, 2.0])
    x = leaf(x0)
    y = (np.sin(x) * x + 2.0) ** 2
    y.sum().backward()
    inner = np.sin(x0) * x0 + 2.0
    expected = 2 * inner * (np.cos(x0) * x0 + np.sin(x0))
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)


def test_broadcasting_gradient_is_summed_back():
    a = leaf(np.ones((3, 1)))
    b = leaf(np.arange(4.0))
    (a * b).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.full((3, 1), 6.0))
    np.testing.assert_allclose(b.grad.numpy(), np.full(4, 3.0))


def test_gradients_accumulate_across_backward_calls():
    x = leaf([1.0, 2.0])
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3 + 2, 3 + 4])


def test_reused_value_gets_summed_gradient():
    x = leaf([2.0])
    y = x * x
    z = y + y * x  # x^2 + x^3
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2 * 2 + 3 * 4])


def test_gradcheck_on_a_composite(rng):
    a = leaf(rng.standard_normal((3, 4)))
    b = leaf(rng.standard_normal((4, 2)))
    assert gradcheck(lambda a, b: np.tanh(a @ b).sum(axis=0) * 2.0, (a, b))


def test_float32_gradients_stay_float32():
    x = leaf([1.0, 2.0], dtype=np.float32)
    (np.exp(x) * 2.0).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([1.0, 2.0]), rtol=1e-6)


def test_deep_chain_does_not_recurse():
    x = leaf([0.5])
    y = x
    for _ in range(100_000):
        y = y + 1.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0])


# -- the graph ------------------------------------------------------------------------------


def test_grad_fn_names_and_next_functions():
    x = leaf([1.0, 2.0])
    w = sg.tensor([3.0, 4.0])
    y = x * w
    assert y.grad_fn.name() == "MulBackward0"
    (acc, nr), (none, _) = y.grad_fn.next_functions
    assert acc.name() == "AccumulateGrad" and acc.variable is x and nr == 0
    assert none is None
    assert (y + 1).grad_fn.name() == "AddBackward0"
    assert y.sum().grad_fn.name() == "SumBackward0"
    assert (y**2).grad_fn.name() == "PowBackward0"


def test_leaves_and_requires_grad_contagion():
    x = leaf([1.0])
    c = sg.tensor([2.0])
    assert x.is_leaf and c.is_leaf and not c.requires_grad
    y = x * c
    assert y.requires_grad and not y.is_leaf
    z = c * 2
    assert not z.requires_grad and z.grad_fn is None


def test_non_leaf_grad_is_none_unless_retained():
    x = leaf([1.0, 2.0])
    h = x * 2
    h.retain_grad()
    k = x * 3
    (h * k).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), [3.0, 6.0])  # d(h*k)/dh = k
    assert k.grad is None


def test_detach_and_requires_grad_():
    x = leaf([1.0, 2.0])
    d = (x * 2).detach()
    assert not d.requires_grad and d.grad_fn is None
    d.requires_grad_()
    (d * d).sum().backward()
    np.testing.assert_allclose(d.grad.numpy(), [4.0, 8.0])
    assert x.grad is None


def test_hooks_see_and_replace_gradients():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()))
    h = x * 2
    h.register_hook(lambda g: g * 10)
    h.sum().backward()
    np.testing.assert_allclose(seen[0], [20.0, 20.0])
    np.testing.assert_allclose(x.grad.numpy(), [20.0, 20.0])


def test_hook_handle_removes_hook():
    x = leaf([1.0])
    handle = x.register_hook(lambda g: g * 0)
    handle.remove()
    (x * 5).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0])


def test_saved_values_are_freed_after_backward():
    x = leaf([1.0, 2.0])
    y = np.sin(x)
    node = y.grad_fn
    y.sum().backward()
    assert node.args is None


# -- grad modes ---------------------------------------------------------------------------


def test_no_grad_context_and_decorator():
    x = leaf([1.0])
    with sg.no_grad():
        assert not (x * 2).requires_grad
        with sg.enable_grad():
            assert (x * 2).requires_grad

    @sg.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad
    assert (x * 2).requires_grad


def test_set_grad_enabled_as_call_and_context():
    x = leaf([1.0])
    with sg.set_grad_enabled(False):
        assert not sg.is_grad_enabled()
        assert not (x * 2).requires_grad
    assert sg.is_grad_enabled()
    sg.set_grad_enabled(False)
    try:
        assert not (x + 1).requires_grad
    finally:
        sg.set_grad_enabled(True)


def test_grad_mode_is_thread_local():
    seen = {}

    def worker():
        seen["other"] = sg.is_grad_enabled()

    with sg.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        seen["here"] = sg.is_grad_enabled()
    assert seen == {"other": True, "here": False}


# -- in place -----------------------------------------------------------------------------


def test_inplace_ops_give_correct_gradients():
    x = leaf([1.0, 2.0, 3.0])
    y = x * 1.0
    y.mul_(x)  # y = x^2
    y.add_(x, alpha=2)  # y = x^2 + 2x
    y.pow_(2)  # (x^2 + 2x)^2
    y.sum().backward()
    x0 = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(x.grad.numpy(), 2 * (x0**2 + 2 * x0) * (2 * x0 + 2))
    assert y._version == 3


def test_setitem_gradients_flow_to_value_and_rest():
    x = leaf([1.0, 2.0, 3.0])
    v = leaf([10.0])
    y = x * 2
    y[1:2] = v * v
    (y * sg.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 0.0, 6.0])
    np.testing.assert_allclose(v.grad.numpy(), [2 * 10.0 * 2.0])


def test_inplace_under_no_grad_updates_leaf():
    w = leaf([1.0, 2.0])
    with sg.no_grad():
        w.sub_(sg.tensor([0.5, 0.5]))
    np.testing.assert_allclose(w.detach().numpy(), [0.5, 1.5])
    assert w.is_leaf and w.requires_grad


def test_zero_fill_and_clamp_inplace():
    t = sg.tensor([-1.0, 0.5, 3.0])
    t.clamp_(0.0, 1.0)
    np.testing.assert_allclose(t.numpy(), [0.0, 0.5, 1.0])
    t.fill_(7.0)
    np.testing.assert_allclose(t.numpy(), [7.0] * 3)
    t.zero_()
    np.testing.assert_allclose(t.numpy(), [0.0] * 3)


# -- errors with PyTorch's meaning ------------------------------------------------------------


def test_error_implicit_backward_on_non_scalar():
    x = leaf([1.0, 2.0])
    with pytest.raises(AutogradError, match="implicitly created only for scalar outputs"):
        (x * 2).backward()


def test_error_second_backward_through_freed_graph():
    x = leaf([1.0, 2.0])
    y = np.exp(x).sum()
    y.backward()
    with pytest.raises(AutogradError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = leaf([1.0, 2.0])
    y = np.exp(x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([1.0, 2.0]))


def test_error_inplace_on_leaf_requiring_grad():
    x = leaf([1.0])
    with pytest.raises(AutogradError, match="leaf Variable that requires grad"):
        x.add_(1.0)


def test_error_saved_tensor_modified_inplace_names_op_and_versions():
    x = leaf([1.0, 2.0])
    y = x * 1.0
    z = np.sin(y)  # saves y
    y.add_(1.0)
    with pytest.raises(AutogradError, match=r"SinBackward0, is at version 1; expected version 0"):
        z.sum().backward()


def test_error_modified_output_saved_as_ans():
    x = leaf([1.0, 2.0])
    y = np.exp(x)  # its backward reads its own output
    y.mul_(2.0)
    with pytest.raises(AutogradError, match="ExpBackward0"):
        y.sum().backward()


def test_error_gradient_of_wrong_shape():
    x = leaf([1.0, 2.0, 3.0])
    with pytest.raises(AutogradError, match=r"Mismatch in shape: grad_output\[0\] has a shape of \(2,\)"):
        (x * 2).backward(np.ones(2))


def test_error_backward_on_tensor_without_grad():
    with pytest.raises(AutogradError, match="does not require grad and does not have a grad_fn"):
        sg.tensor([1.0]).sum().backward()


def test_error_unused_input_without_allow_unused():
    x = leaf([1.0])
    u = leaf([2.0])
    y = (x * 2).sum()
    with pytest.raises(AutogradError, match="allow_unused=True"):
        sg.autograd.grad(y, [x, u], retain_graph=True)
    gx, gu = sg.autograd.grad(y, [x, u], allow_unused=True)
    np.testing.assert_allclose(gx.numpy(), [2.0])
    assert gu is None


def test_error_requires_grad_on_integer_tensor():
    with pytest.raises(AutogradError, match="floating point"):
        sg.tensor([1, 2], requires_grad=True)


def test_error_implicit_conversion_to_ndarray():
    x = leaf([1.0, 2.0])
    with pytest.raises(AutogradError, match="detach"):
        np.asarray(x)
    with pytest.raises(AutogradError, match="detach"):
        x.numpy()
    np.testing.assert_allclose(np.asarray(x.detach()), [1.0, 2.0])


# -- autograd.grad and higher order ----------------------------------------------------------


def test_autograd_grad_does_not_touch_dot_grad():
    x = leaf([1.0, 2.0])
    (g,) = sg.autograd.grad((x**3).sum(), x)
    np.testing.assert_allclose(g.numpy(), 3 * np.array([1.0, 4.0]))
    assert x.grad is None


def test_second_and_third_derivatives_with_create_graph():
    x = leaf([0.7, -1.3])
    y = (x**3 + np.sin(x)).sum()
    (g,) = sg.autograd.grad(y, x, create_graph=True)
    (h,) = sg.autograd.grad(g.sum(), x, create_graph=True)
    (t,) = sg.autograd.grad(h.sum(), x)
    x0 = np.array([0.7, -1.3])
    np.testing.assert_allclose(g.detach().numpy(), 3 * x0**2 + np.cos(x0))
    np.testing.assert_allclose(h.detach().numpy(), 6 * x0 - np.sin(x0))
    np.testing.assert_allclose(t.numpy(), 6 - np.cos(x0))


def test_backward_create_graph_makes_grad_differentiable():
    x = leaf([2.0])
    (x * x * x).sum().backward(create_graph=True)
    gx = x.grad
    assert gx.requires_grad
    x.grad = None
    gx.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [12.0])


# -- numpy interop ----------------------------------------------------------------------------


def test_numpy_functions_record_on_tensors(rng):
    a0 = rng.standard_normal((2, 3))
    t = leaf(a0)
    m = rng.standard_normal((4, 2))
    out = np.dot(m, np.sin(t))  # (4, 3)
    assert isinstance(out, sg.Tensor) and out.requires_grad
    s = np.sum(out, axis=0)
    assert s.shape == (3,)
    s.sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), m.sum(axis=0)[:, None] * np.cos(a0))


def test_ndarray_matmul_tensor_dispatches():
    m = np.array([[1.0, 2.0], [3.0, 4.0]])
    t = leaf([1.0, 1.0])
    out = m @ t
    assert isinstance(out, sg.Tensor)
    out.sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), m.sum(axis=0))


def test_concatenate_of_tensors():
    a = leaf([1.0, 2.0])
    b = leaf([3.0])
    c = np.concatenate([a, b])
    assert c.shape == (3,)
    (c * sg.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [1.0, 2.0])
    np.testing.assert_allclose(b.grad.numpy(), [3.0])


def test_plain_numpy_function_runs_in_dynamic_mode():
    def f(x, w):
        h = np.tanh(x @ w)
        return np.mean(h**2)

    x0 = np.array([[0.1, 0.2], [0.3, -0.4]])
    w0 = np.array([[1.0, -1.0], [0.5, 2.0]])
    w = leaf(w0)
    out = f(sg.tensor(x0), w)
    out.backward()
    h = np.tanh(x0 @ w0)
    expected = x0.T @ (2 * h * (1 - h**2) / h.size)
    np.testing.assert_allclose(w.grad.numpy(), expected, rtol=1e-12)


# -- methods ---------------------------------------------------------------------------------


def test_pytorch_named_methods(rng):
    x0 = rng.standard_normal((2, 3))
    x = leaf(x0)
    assert x.sum(dim=1, keepdim=True).shape == (2, 1)
    assert x.mean(0).shape == (3,)
    assert x.reshape(3, 2).shape == (3, 2) and x.view(-1).shape == (6,)
    assert x.transpose(1, 0).shape == (3, 2) and x.T.shape == (3, 2)
    with sg.set_method_meanings("pytorch"):  # numpy reads (0, 1) of a matrix as the identity permutation
        assert x.transpose(0, 1).shape == (3, 2)
    assert x.permute(1, 0).shape == (3, 2)
    assert x.unsqueeze(0).shape == (1, 2, 3) and x.unsqueeze(0).squeeze(0).shape == (2, 3)
    assert x.flatten().shape == (6,)
    assert x[:, :1].expand(2, 4).shape == (2, 4)
    values, indices = x.max(dim=1)
    np.testing.assert_allclose(values.detach().numpy(), x0.max(axis=1))
    np.testing.assert_array_equal(indices.numpy(), x0.argmax(axis=1))
    assert x.size() == (2, 3) and x.size(1) == 3 and x.ndim == 2 and x.dim() == 2
    assert x.clamp(min=0).detach().numpy().min() >= 0
    assert sg.tensor(2.5).item() == 2.5
    assert sg.tensor([[1, 2]]).tolist() == [[1, 2]]


def test_method_gradients(rng):
    x = leaf(rng.standard_normal((2, 3)))
    assert gradcheck(lambda t: t.mm(t.T).relu().sum(dim=0), (x,))
    assert gradcheck(lambda t: t.sigmoid().mean(1, keepdim=True) * t.exp(), (x,))
    assert gradcheck(lambda t: t.unsqueeze(1).expand(2, 4, 3).sum(dim=(0, 1)), (x,))
    assert gradcheck(lambda t: t.clamp(-0.5, 0.5).abs() + t.max(dim=1)[0].sum(), (x,))


def test_creation_functions_and_dtypes():
    sg.manual_seed(3)
    a = sg.randn(2, 3)
    sg.manual_seed(3)
    b = sg.randn(2, 3)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert sg.zeros(2, 3).dtype == sg.float64
    assert sg.ones((2,), dtype=sg.float32).dtype == np.float32
    assert sg.arange(5).dtype == sg.int64
    np.testing.assert_allclose(sg.linspace(0, 1, 5).numpy(), np.linspace(0, 1, 5))
    np.testing.assert_allclose(sg.eye(3).numpy(), np.eye(3))
    np.testing.assert_allclose(sg.full((2,), 1.5).numpy(), [1.5, 1.5])
    assert sg.zeros_like(a).shape == (2, 3)
    assert 0 <= sg.rand(100).numpy().min() and sg.rand(100).numpy().max() < 1
    assert sg.tensor([1.0]).dtype == np.float64
    sg.set_default_dtype(sg.float32)
    try:
        assert sg.tensor([1.0]).dtype == np.float32
        assert sg.zeros(1).dtype == np.float32
    finally:
        sg.set_default_dtype(sg.float64)


def test_cast_is_differentiable():
    x = leaf([1.0, 2.0])
    y = x.float()
    assert y.dtype == np.float32
    (y * 3).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_split_gives_pieces_with_gradients():
    x = leaf(np.arange(6.0))
    a, b, c = np.split(x, 3)
    (a * 1.0 + c * 3.0).sum().backward()  # b unused: its gradient is zero
    np.testing.assert_allclose(x.grad.numpy(), [1, 1, 0, 0, 3, 3])


def test_multiple_output_primitive_slogdet():
    m0 = np.array([[2.0, 0.5], [0.3, 1.5]])
    m = leaf(m0)
    sign, logdet = np.linalg.slogdet(m)
    assert sign.item() == 1.0
    logdet.backward()
    np.testing.assert_allclose(m.grad.numpy(), np.linalg.inv(m0).T, rtol=1e-12)


def test_multiple_output_second_order():
    x = leaf([1.0, 2.0, 3.0, 4.0])
    a, b = np.split(x, 2)
    y = (a**3).sum() + (b**2).sum()
    (g,) = sg.autograd.grad(y, x, create_graph=True)
    (h,) = sg.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), [6.0, 12.0, 2.0, 2.0])


def test_second_backward_through_nodes_that_saved_only_constants():
    x = leaf([1.0, 2.0])
    y = x * 3.0 + 1.0  # no node keeps a Tensor: PyTorch allows this twice
    y.backward(np.ones(2))
    y.backward(np.ones(2))
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])


def test_copy_into_buffer_carries_gradient():
    x = leaf([1.0, 2.0])
    buf = sg.zeros(2)
    buf.copy_(x * x)
    assert buf.requires_grad and buf.grad_fn is not None
    (buf * 2.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])


def test_iteration_and_len_record_rows():
    x = leaf(np.arange(6.0).reshape(3, 2))
    rows = list(x)
    assert len(x) == 3 and len(rows) == 3
    (rows[0] * 1.0 + rows[2] * 2.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[1, 1], [0, 0], [2, 2]])


def test_logical_operators_both_ways():
    t = sg.tensor([True, False, True])
    np.testing.assert_array_equal((True & t).numpy(), [True, False, True])
    np.testing.assert_array_equal((False | t).numpy(), [True, False, True])
    np.testing.assert_array_equal((t ^ True).numpy(), [False, True, False])
    np.testing.assert_array_equal((np.array([True, True, False]) | t).numpy(), [True, True, True])


def test_node_keeps_a_stand_in_for_inputs_read_only_for_shape():
    x = leaf(np.ones((200, 300)))
    y = x * 2.0
    s = y.sum()  # sum's VJP reads only x's shape: no data is kept
    kept = s.grad_fn.args[0]
    assert kept.shape == (200, 300) and kept.strides == (0, 0)
    y.mul_(5.0)  # so changing y in place does not invalidate the sum
    s.backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((200, 300), 2.0))


# -- float(): a Tensor that requires grad is not silently turned into a number -----------------


def test_float_of_a_tensor_that_requires_grad_raises_and_names_the_way_out():
    import math

    x = sg.tensor(0.5, requires_grad=True)
    with pytest.raises(AutogradError, match=r"float\(\) of a Tensor that requires grad.*t\.item\(\)"):
        math.exp(x)
    with pytest.raises(AutogradError, match="would drop it from the graph"):
        float(x * 2.0)
    assert x.item() == 0.5  # the explicit reading always works


def test_writing_a_tensor_that_requires_grad_into_an_ndarray_element_raises():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    buf = np.zeros(2)
    with pytest.raises(ValueError) as info:
        buf[0] = x[0] * 3.0
    assert isinstance(info.value.__cause__, AutogradError)  # numpy wraps the refusal of float()
    assert np.all(buf == 0.0)


def test_float_is_a_reading_without_grad_under_no_grad_and_after_backward():
    x = sg.tensor([1.0, -2.0], requires_grad=True)
    assert float(sg.tensor(1.5)) == 1.5
    with sg.no_grad():
        assert float(x.sum()) == -1.0
    loss = (x * x).sum()
    loss.backward()
    assert float(loss) == 5.0
    assert int(sg.tensor(3)) == 3


def test_format_of_a_one_element_tensor_formats_its_value():
    loss = sg.tensor(0.123456, requires_grad=True)
    assert f"{loss:.3f}" == "0.123"
    assert f"{sg.tensor([2.5]):.1f}" == "2.5"
    assert f"{sg.tensor([1.0, 2.0])}" == str(sg.tensor([1.0, 2.0]))


def test_transpose_without_dims_reverses_them_and_take_reads_the_flattened_tensor():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(2, 3, 4))
    x = sg.tensor(a, requires_grad=True)
    w = rng.normal(size=(4, 3, 2))
    (x.transpose() * sg.tensor(w)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), w.transpose())
    np.testing.assert_array_equal(x.transpose(0, 2).detach().numpy(), np.swapaxes(a, 0, 2))
    with pytest.raises(ValueError, match="axes don't match"):  # numpy's permutation of one axis for three
        x.transpose(0)
    x.grad = None
    idx = np.array([[0, 5], [5, 23]])
    taken = x.take(sg.tensor(idx))
    np.testing.assert_array_equal(taken.detach().numpy(), np.take(a, idx))
    taken.sum().backward()
    expected = np.zeros(a.size)
    np.add.at(expected, idx.ravel(), 1.0)
    np.testing.assert_array_equal(x.grad.numpy(), expected.reshape(a.shape))
