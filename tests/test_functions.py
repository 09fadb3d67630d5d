"""PyTorch's free functions and the extra Tensor methods, on values and gradients."""

import numpy as np
import pytest

import srcgrad as sg
from srcgrad.autograd import gradcheck


def leaf(values):
    return sg.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def test_cat_stack_split_chunk_shapes_and_values():
    a = sg.tensor(np.arange(6.0).reshape(2, 3))
    b = sg.tensor(np.arange(6.0, 12.0).reshape(2, 3))
    np.testing.assert_array_equal(sg.cat([a, b], dim=1).numpy(), np.concatenate([a.numpy(), b.numpy()], 1))
    assert sg.stack([a, b], dim=0).shape == (2, 2, 3)
    pieces = sg.split(sg.tensor(np.arange(7.0)), 3)  # PyTorch: sizes 3, 3, 1
    assert [p.shape[0] for p in pieces] == [3, 3, 1]
    assert [p.shape[0] for p in sg.tensor(np.arange(7.0)).chunk(3)] == [3, 3, 1]
    assert [p.shape[0] for p in sg.split(sg.tensor(np.arange(7.0)), [2, 5])] == [2, 5]
    with pytest.raises(ValueError, match="do not add up"):
        sg.split(sg.tensor(np.arange(7.0)), [2, 2])


def test_gather_and_index_select_gradients(rng):
    x = leaf(rng.standard_normal((4, 3)))
    idx = sg.tensor([[0, 2], [1, 1], [2, 0], [0, 0]])
    out = x.gather(1, idx)
    np.testing.assert_allclose(out.detach().numpy(), np.take_along_axis(x.detach().numpy(), idx.numpy(), 1))
    out.sum().backward()
    expected = np.zeros((4, 3))
    np.add.at(expected, (np.arange(4)[:, None], idx.numpy()), 1.0)  # repeated indices accumulate
    np.testing.assert_allclose(x.grad.numpy(), expected)
    assert gradcheck(lambda t: sg.index_select(t, 0, sg.tensor([3, 0, 3])) * 2.0, (x,))


def test_free_functions_match_numpy_and_differentiate(rng):
    x0 = rng.uniform(0.5, 2.0, (3, 2))
    x = leaf(x0)
    np.testing.assert_allclose(sg.exp(x).detach().numpy(), np.exp(x0))
    np.testing.assert_allclose(sg.sum(x, dim=0).detach().numpy(), x0.sum(0))
    np.testing.assert_allclose(sg.mean(x, 1, keepdim=True).detach().numpy(), x0.mean(1, keepdims=True))
    values, indices = sg.max(x, dim=1)
    np.testing.assert_array_equal(indices.numpy(), x0.argmax(1))
    assert gradcheck(lambda t: sg.log(t) * sg.sqrt(t) + sg.tanh(t).pow(2), (x,))
    assert gradcheck(lambda t: sg.matmul(t.T, t).trace() + sg.norm(t) + sg.rsqrt(t).sum(), (x,))
    assert gradcheck(lambda t: sg.where(t > 1.0, t * 3.0, sg.cos(t)), (x,))
    assert gradcheck(lambda t: sg.einsum("ij,ij->i", t, t) + sg.cumsum(t, 1)[:, -1], (x,))


def test_top_level_ml_helpers_are_rule_primitives():
    x = leaf([[1.0, 2.5, 3.0]])
    p = sg.softmax(x, axis=1)
    np.testing.assert_allclose(p.detach().numpy().sum(), 1.0)
    assert gradcheck(lambda t: sg.log_softmax(t, axis=1) * sg.tensor([[1.0, 2.0, 3.0]]), (x,))
    assert gradcheck(lambda t: sg.sigmoid(t) + sg.softplus(t) + sg.relu(t - 2.0), (x,))


def test_init_style_inplace_fills():
    sg.manual_seed(0)
    w = sg.zeros(1000)
    w.uniform_(-0.5, 0.5)
    assert -0.5 <= w.numpy().min() and w.numpy().max() <= 0.5 and w.numpy().std() > 0.2
    w.normal_(0.0, 2.0)
    assert 1.8 < w.numpy().std() < 2.2
    p = sg.zeros(3, requires_grad=True)
    with pytest.raises(sg.AutogradError, match="leaf Variable"):
        p.normal_()
    with sg.no_grad():
        p.normal_()
    assert p.requires_grad and p.is_leaf


def test_allclose_equal_is_tensor_numel():
    a = sg.tensor([1.0, 2.0])
    assert sg.allclose(a, [1.0, 2.0 + 1e-10]) and sg.equal(a, sg.tensor([1.0, 2.0]))
    assert not sg.equal(a, sg.tensor([1.0]))
    assert sg.is_tensor(a) and not sg.is_tensor(np.ones(2)) and sg.numel(a) == 2


def test_sort_topk_and_max_dim_send_gradient_to_the_chosen_elements():
    x = leaf([[3.0, 1.0, 3.0, 2.0]])
    values, index = x.max(dim=1)  # a tie: PyTorch gives the whole gradient to the returned index
    values.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[1.0, 0.0, 0.0, 0.0]])
    y = leaf([[0.5, -1.0, 2.0]])
    v, i = sg.sort(y, descending=True)
    np.testing.assert_allclose(v.detach().numpy(), [[2.0, 0.5, -1.0]])
    (v * sg.tensor([[1.0, 10.0, 100.0]])).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [[10.0, 100.0, 1.0]])
    z = leaf([4.0, 9.0, 1.0, 7.0])
    top, idx = sg.topk(z, 2)
    np.testing.assert_array_equal(idx.numpy(), [1, 3])
    top.sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), [0.0, 1.0, 0.0, 1.0])


def test_more_methods(rng):
    x0 = rng.standard_normal((3, 4))
    x = leaf(x0)
    assert [u.shape for u in x.unbind(1)] == [(3,)] * 4
    np.testing.assert_allclose(x.narrow(1, 1, 2).detach().numpy(), x0[:, 1:3])
    np.testing.assert_allclose(x.movedim(0, 1).detach().numpy(), x0.T)
    np.testing.assert_allclose(x.masked_select(x > 0).detach().numpy(), x0[x0 > 0])
    np.testing.assert_array_equal(x.gt(0).numpy(), x0 > 0)
    assert bool(x.gt(-10).all()) and x.nonzero(as_tuple=False).shape == (12, 2)
    assert x.type_as(sg.zeros(1, dtype=sg.float32)).dtype == np.float32
    assert x.to("cpu", sg.float32).dtype == np.float32
    assert float(sg.tensor([2.5])) == 2.5 and int(sg.tensor([[2.7]])) == 2
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        x.item()
    assert sg.zeros(1, 3, 1).squeeze((0, 2)).shape == (3,)
    assert gradcheck(lambda t: t.roll(1, 1) * t.cumprod(1) + t.repeat_interleave(2, 1)[:, ::2], (x,))
    assert gradcheck(lambda t: sg.cdist(t, t[:2] + 0.5), (x,))
    b = leaf(np.zeros((3, 2)))
    assert gradcheck(lambda m, t: m.addmm(t, t.T[:, :2]), (b, x))


def test_inplace_activations_record(rng):
    x = leaf(rng.standard_normal(5))
    y = x * 1.0
    y.sigmoid_()
    y.exp_()
    y.sum().backward()
    s = 1 / (1 + np.exp(-x.detach().numpy()))
    np.testing.assert_allclose(x.grad.numpy(), np.exp(s) * s * (1 - s))
    z = x * 1.0
    z.masked_fill_(z > 0, 0.0)
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(s) * s * (1 - s) + (x.detach().numpy() <= 0))


def test_numpy_style_method_arguments(rng):
    """numpy's spellings work where they mean what numpy means; where PyTorch reads the same call another way
    (it takes axis= as dim=), the call is refused unless a meaning was chosen (srcgrad.meanings)."""
    x0 = rng.standard_normal((3, 4))
    x = leaf(x0)
    with pytest.raises(sg.AmbiguousMethodError):
        x.max(axis=1, keepdims=True)
    with pytest.raises(sg.AmbiguousMethodError):
        x.var(axis=0)
    with sg.set_method_meanings("numpy"):
        np.testing.assert_allclose(x.max(axis=1, keepdims=True).detach().numpy(), x0.max(axis=1, keepdims=True))
        np.testing.assert_allclose(x.var(axis=0).detach().numpy(), x0.var(axis=0))  # numpy's ddof=0
        assert gradcheck(lambda t: t.min(axis=0) + t.std(axis=0), (x,))
    with sg.set_method_meanings("pytorch"):
        np.testing.assert_allclose(x.var(0).detach().numpy(), x0.var(axis=0, ddof=1))  # PyTorch's unbiased
        np.testing.assert_allclose(x.var(axis=0).detach().numpy(), x0.var(axis=0, ddof=1))
    np.testing.assert_allclose(x.var(axis=0, ddof=0).detach().numpy(), x0.var(axis=0))
    np.testing.assert_allclose(x.std(axis=1, ddof=1).detach().numpy(), x0.std(axis=1, ddof=1))
    np.testing.assert_array_equal(x.argmax(axis=0).numpy(), x0.argmax(axis=0))
    np.testing.assert_allclose(x.cumsum(axis=1).detach().numpy(), x0.cumsum(axis=1))
    np.testing.assert_allclose(x.swapaxes(0, 1).ravel().detach().numpy(), x0.T.ravel())
    assert gradcheck(lambda t: t.max((0, 1)) + t.std(axis=0, ddof=0), (x,))
