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
