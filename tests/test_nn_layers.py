"""Layers and activations: values against numpy formulas written out here, gradients by finite differences."""

import math

import numpy as np
import pytest

import srcgrad
import srcgrad.nn.functional as F
from srcgrad import nn
from srcgrad.autograd import gradcheck, gradgradcheck

_erf = np.vectorize(math.erf)


def sig(x):
    return 1 / (1 + np.exp(-x))


def value(t):
    return t.detach().numpy()


# x avoids the kinks (0 for relu-likes, +-1 for hardtanh, +-3 for hardswish) so finite differences hold
X = np.array([[-2.5, -1.3, -0.4, 0.3], [0.7, 1.6, 2.2, -0.8], [4.1, -3.6, 0.05, -0.15]])

ACTIVATIONS = [
    (nn.ReLU(), lambda x: np.maximum(x, 0)),
    (nn.ReLU6(), lambda x: np.minimum(np.maximum(x, 0), 6)),
    (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    (nn.ELU(0.7), lambda x: np.where(x > 0, x, 0.7 * (np.exp(x) - 1))),
    (nn.CELU(0.5), lambda x: np.maximum(0, x) + np.minimum(0, 0.5 * (np.exp(x / 0.5) - 1))),
    (nn.SELU(), lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * (np.exp(x) - 1))),
    (nn.GELU(), lambda x: x * 0.5 * (1 + _erf(x / np.sqrt(2)))),
    (nn.GELU("tanh"), lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))),
    (nn.SiLU(), lambda x: x * sig(x)),
    (nn.Mish(), lambda x: x * np.tanh(np.log1p(np.exp(x)))),
    (nn.Sigmoid(), sig),
    (nn.Tanh(), np.tanh),
    (nn.Softplus(), lambda x: np.log1p(np.exp(x))),
    (nn.Softplus(beta=2.0, threshold=3.0), lambda x: np.where(2 * x > 3, x, np.log1p(np.exp(2 * x)) / 2)),
    (nn.Softsign(), lambda x: x / (1 + np.abs(x))),
    (nn.Hardtanh(-1.0, 2.0), lambda x: np.clip(x, -1, 2)),
    (nn.Hardsigmoid(), lambda x: np.clip(x / 6 + 0.5, 0, 1)),
    (nn.Hardswish(), lambda x: x * np.clip(x + 3, 0, 6) / 6),
    (nn.LogSigmoid(), lambda x: np.log(sig(x))),
    (nn.Tanhshrink(), lambda x: x - np.tanh(x)),
    (nn.Softmax(dim=1), lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True)),
    (nn.Softmax(dim=0), lambda x: np.exp(x) / np.exp(x).sum(0, keepdims=True)),
    (nn.LogSoftmax(dim=1), lambda x: x - np.log(np.exp(x).sum(1, keepdims=True))),
    (nn.Softmin(dim=1), lambda x: np.exp(-x) / np.exp(-x).sum(1, keepdims=True)),
]


@pytest.mark.parametrize("layer, formula", ACTIVATIONS, ids=lambda v: repr(v) if isinstance(v, nn.Module) else "")
def test_activation_values_and_gradients(layer, formula):
    x = srcgrad.tensor(X, requires_grad=True)
    out = layer(x)
    assert out.shape == X.shape
    np.testing.assert_allclose(value(out), formula(X), rtol=1e-12, atol=1e-14)
    gradcheck(layer, (x,))


def test_gelu_second_derivative_and_exact_tail():
    x = srcgrad.tensor([-1.2, 0.3, 2.0], requires_grad=True)
    gradgradcheck(nn.GELU(), (x,))
    np.testing.assert_allclose(
        value(F.gelu(srcgrad.tensor([-8.0, 8.0]))), [-8.0 * 0.5 * math.erfc(8 / math.sqrt(2)), 8.0], rtol=1e-10
    )
    with pytest.raises(RuntimeError):
        F.gelu(x, approximate="fast")


def test_activations_are_stable_at_extremes():
    big = srcgrad.tensor([-1000.0, 1000.0], requires_grad=True)
    for layer in (nn.Sigmoid(), nn.Softplus(), nn.LogSigmoid(), nn.ELU(), nn.SiLU(), nn.Mish()):
        out = layer(big)
        out.sum().backward()
        assert np.all(np.isfinite(value(out))) and np.all(np.isfinite(big.grad.numpy())), layer
        big.grad = None


def test_kink_gradients_match_pytorch_conventions():
    x = srcgrad.tensor([0.0], requires_grad=True)
    for layer, expected in ((nn.ReLU(), 0.0), (nn.LeakyReLU(0.1), 0.1), (nn.ELU(0.5), 0.5)):
        x.grad = None
        layer(x).sum().backward()
        assert x.grad.item() == pytest.approx(expected), layer


def test_linear_values_gradients_and_default_init():
    srcgrad.manual_seed(1)
    lin = nn.Linear(4, 3)
    w, b = value(lin.weight), value(lin.bias)
    assert w.shape == (3, 4) and b.shape == (3,)
    assert np.all(np.abs(w) <= 0.5) and np.all(np.abs(b) <= 0.5)  # 1/sqrt(4)
    x = srcgrad.tensor(np.arange(8.0).reshape(2, 4), requires_grad=True)
    np.testing.assert_allclose(value(lin(x)), np.arange(8.0).reshape(2, 4) @ w.T + b, rtol=1e-13)
    gradcheck(lambda a, W, B: F.linear(a, W, B), (x, lin.weight, lin.bias))
    x3 = srcgrad.randn(2, 5, 4)
    assert lin(x3).shape == (2, 5, 3)
    assert nn.Linear(4, 3, bias=False).bias is None
    assert nn.Linear(4, 3, dtype=np.float32).weight.dtype == np.float32


def test_bilinear_identity_flatten_unflatten(rng):
    bil = nn.Bilinear(2, 3, 4)
    x1, x2 = (
        srcgrad.tensor(rng.standard_normal((5, 2)), requires_grad=True),
        srcgrad.tensor(rng.standard_normal((5, 3)), requires_grad=True),
    )
    W, b = value(bil.weight), value(bil.bias)
    expected = np.stack([np.sum((x1.detach().numpy() @ W[k]) * x2.detach().numpy(), axis=1) for k in range(4)], 1) + b
    np.testing.assert_allclose(value(bil(x1, x2)), expected, rtol=1e-12)
    gradcheck(lambda a, c: bil(a, c), (x1, x2))
    t = srcgrad.randn(2, 3, 4, 5)
    assert nn.Identity(3, k=1)(t) is t
    assert nn.Flatten()(t).shape == (2, 60)
    assert nn.Flatten(0, 1)(t).shape == (6, 4, 5)
    assert nn.Flatten(1, 2)(t).shape == (2, 12, 5)
    assert nn.Unflatten(1, (2, 30))(nn.Flatten()(t)).shape == (2, 2, 30)
    np.testing.assert_array_equal(value(nn.Flatten()(t)), t.numpy().reshape(2, 60))


def test_dropout_training_eval_and_seed():
    x = srcgrad.ones(200, 50)
    drop = nn.Dropout(0.3)
    srcgrad.manual_seed(5)
    a = value(drop(x))
    srcgrad.manual_seed(5)
    b = value(drop(x))
    np.testing.assert_array_equal(a, b)
    assert set(np.unique(a)) <= {0.0, 1 / 0.7}
    assert abs((a == 0).mean() - 0.3) < 0.02
    assert drop.eval()(x) is x
    assert np.all(value(nn.Dropout(1.0)(x)) == 0)
    xg = srcgrad.ones(4, 4, requires_grad=True)
    srcgrad.manual_seed(2)
    out = nn.Dropout(0.5)(xg)
    out.sum().backward()
    np.testing.assert_array_equal(xg.grad.numpy(), value(out))  # d/dx (x * mask / (1-p)) with x = 1
    with pytest.raises(ValueError):
        nn.Dropout(1.5)


def test_embedding_lookup_padding_and_gradient():
    srcgrad.manual_seed(0)
    emb = nn.Embedding(6, 3, padding_idx=2)
    w = value(emb.weight).copy()
    assert np.all(w[2] == 0)
    idx = srcgrad.tensor([[1, 2, 1], [5, 0, 2]])
    out = emb(idx)
    np.testing.assert_array_equal(value(out), w[idx.numpy()])
    (out * srcgrad.tensor(np.arange(18.0).reshape(2, 3, 3))).sum().backward()
    expected = np.zeros((6, 3))
    np.add.at(expected, idx.numpy(), np.arange(18.0).reshape(2, 3, 3))
    expected[2] = 0  # the padding row gets no gradient
    np.testing.assert_array_equal(emb.weight.grad.numpy(), expected)
    pre = nn.Embedding.from_pretrained(srcgrad.tensor(np.eye(3)))
    assert not pre.weight.requires_grad and value(pre(srcgrad.tensor([1])))[0, 1] == 1
    with pytest.raises(IndexError):
        emb(srcgrad.tensor([6]))


def test_one_hot():
    out = F.one_hot(srcgrad.tensor([0, 2, 1]))
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.numpy(), np.eye(3, dtype=np.int64)[[0, 2, 1]])
    assert F.one_hot(srcgrad.tensor([[1]]), num_classes=4).shape == (1, 1, 4)


def test_layer_norm_values_and_gradients(rng):
    x = srcgrad.tensor(rng.standard_normal((3, 2, 4)), requires_grad=True)
    ln = nn.LayerNorm((2, 4), eps=1e-3)
    with srcgrad.no_grad():
        ln.weight.copy_(srcgrad.tensor(rng.standard_normal((2, 4))))
        ln.bias.copy_(srcgrad.tensor(rng.standard_normal((2, 4))))
    xv = x.detach().numpy()
    mean = xv.mean(axis=(1, 2), keepdims=True)
    var = ((xv - mean) ** 2).mean(axis=(1, 2), keepdims=True)
    expected = (xv - mean) / np.sqrt(var + 1e-3) * value(ln.weight) + value(ln.bias)
    np.testing.assert_allclose(value(ln(x)), expected, rtol=1e-12)
    gradcheck(lambda a, w, b: F.layer_norm(a, (2, 4), w, b, 1e-3), (x, ln.weight, ln.bias))
    assert nn.LayerNorm(4, elementwise_affine=False).weight is None
    with pytest.raises(RuntimeError):
        ln(srcgrad.randn(3, 4, 2))


def test_batch_norm_training_running_stats_and_eval(rng):
    bn = nn.BatchNorm1d(3, momentum=0.2)
    data = rng.standard_normal((6, 3)) * 2 + 1
    x = srcgrad.tensor(data, requires_grad=True)
    out = bn(x)
    mean, var = data.mean(0), data.var(0)
    np.testing.assert_allclose(value(out), (data - mean) / np.sqrt(var + 1e-5), rtol=1e-12)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.2 * mean, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.8 + 0.2 * data.var(0, ddof=1), rtol=1e-12)
    assert bn.num_batches_tracked.item() == 1
    gradcheck(lambda a, w, b: F.batch_norm(a, None, None, w, b, training=True), (x, bn.weight, bn.bias))
    bn.eval()
    rm, rv = bn.running_mean.numpy().copy(), bn.running_var.numpy().copy()
    np.testing.assert_allclose(value(bn(x)), (data - rm) / np.sqrt(rv + 1e-5), rtol=1e-12)
    np.testing.assert_array_equal(bn.running_mean.numpy(), rm)
    gradcheck(lambda a: bn(a), (x,))
    # (N, C, L): statistics over N and L
    bn3 = nn.BatchNorm1d(2)
    d3 = rng.standard_normal((4, 2, 5))
    np.testing.assert_allclose(
        value(bn3(srcgrad.tensor(d3))),
        (d3 - d3.mean((0, 2), keepdims=True)) / np.sqrt(d3.var((0, 2), keepdims=True) + 1e-5),
        rtol=1e-12,
    )
    bn2 = nn.BatchNorm2d(2)
    d4 = rng.standard_normal((2, 2, 3, 3))
    np.testing.assert_allclose(
        value(bn2(srcgrad.tensor(d4))),
        (d4 - d4.mean((0, 2, 3), keepdims=True)) / np.sqrt(d4.var((0, 2, 3), keepdims=True) + 1e-5),
        rtol=1e-12,
    )
    with pytest.raises(ValueError):
        nn.BatchNorm1d(3)(srcgrad.randn(1, 3))
    cumulative = nn.BatchNorm1d(3, momentum=None)
    cumulative(srcgrad.tensor(data))
    cumulative(srcgrad.tensor(data * 3))
    np.testing.assert_allclose(cumulative.running_mean.numpy(), (mean + 3 * mean) / 2, rtol=1e-12)
    no_stats = nn.BatchNorm1d(3, track_running_stats=False).eval()
    assert no_stats.running_mean is None
    np.testing.assert_allclose(value(no_stats(srcgrad.tensor(data))), (data - mean) / np.sqrt(var + 1e-5), rtol=1e-12)


def test_functional_pad_modes(rng):
    a = rng.standard_normal((2, 3, 4))
    x = srcgrad.tensor(a, requires_grad=True)
    np.testing.assert_array_equal(value(F.pad(x, (1, 2))), np.pad(a, ((0, 0), (0, 0), (1, 2))))
    np.testing.assert_array_equal(
        value(F.pad(x, (1, 2, 0, 1), value=3.0)), np.pad(a, ((0, 0), (0, 1), (1, 2)), constant_values=3.0)
    )
    np.testing.assert_array_equal(value(F.pad(x, (-1, 1))), np.pad(a[..., 1:], ((0, 0), (0, 0), (0, 1))))
    for mode, np_mode in (("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap")):
        np.testing.assert_array_equal(
            value(F.pad(x, (2, 1, 1, 2), mode=mode)), np.pad(a, ((0, 0), (1, 2), (2, 1)), mode=np_mode)
        )
        gradcheck(lambda t: F.pad(t, (2, 1, 1, 2), mode=mode), (x,))
    gradcheck(lambda t: F.pad(t, (1, 1)), (x,))
    with pytest.raises(RuntimeError):
        F.pad(x, (1,))
    with pytest.raises(NotImplementedError):
        F.pad(x, (1, 1), mode="mirror")


def test_normalize_and_cosine_similarity(rng):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    x, y = srcgrad.tensor(a, requires_grad=True), srcgrad.tensor(b, requires_grad=True)
    np.testing.assert_allclose(value(F.normalize(x)), a / np.linalg.norm(a, axis=1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(
        value(F.cosine_similarity(x, y)),
        (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)),
        rtol=1e-12,
    )
    gradcheck(lambda s, t: F.cosine_similarity(s, t), (x, y))
    gradcheck(lambda s: F.normalize(s, dim=0), (x,))


def test_float32_models_stay_float32():
    srcgrad.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.GELU(),
        nn.MaxPool2d(2),
        nn.AvgPool2d(2, 1, 1, count_include_pad=False),
        nn.Flatten(),
        nn.Dropout(0.1),
        nn.Linear(64, 8),
        nn.LayerNorm(8),
        nn.SiLU(),
        nn.Linear(8, 3),
    ).to(srcgrad.float32)
    out = model(srcgrad.randn(5, 1, 6, 6, dtype=np.float32))
    loss = F.cross_entropy(out, srcgrad.tensor([0, 1, 2, 0, 1]), label_smoothing=0.1)
    assert out.dtype == np.float32 and loss.dtype == np.float32
    loss.backward()
    assert {p.grad.dtype for p in model.parameters()} == {np.dtype(np.float32)}
    lstm = nn.LSTM(3, 4, dtype=np.float32)
    output, (h, c) = lstm(srcgrad.randn(2, 1, 3, dtype=np.float32))
    assert output.dtype == h.dtype == c.dtype == np.float32
    x32, y32 = srcgrad.rand(3, dtype=np.float32), srcgrad.rand(3, dtype=np.float32)
    for loss_fn in (
        F.mse_loss,
        F.l1_loss,
        F.smooth_l1_loss,
        F.huber_loss,
        F.binary_cross_entropy,
        F.binary_cross_entropy_with_logits,
    ):
        assert loss_fn(x32, y32).dtype == np.float32, loss_fn


def test_embedding_max_norm_rescales_looked_up_rows(rng):
    emb = nn.Embedding(5, 3, max_norm=1.0)
    with srcgrad.no_grad():
        emb.weight.copy_(
            srcgrad.tensor(
                np.array([[3.0, 4.0, 0.0], [0.1, 0.0, 0.0], [0.0, 0.0, 2.0], [1.0, 1.0, 1.0], [0.0, 5.0, 0.0]])
            )
        )
    out = emb(srcgrad.tensor([0, 1, 0, 3]))
    np.testing.assert_allclose(value(out)[0], [0.6, 0.8, 0.0], rtol=1e-6)
    np.testing.assert_allclose(value(out)[1], [0.1, 0.0, 0.0])
    np.testing.assert_allclose(np.linalg.norm(value(emb.weight)[3]), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(value(emb.weight)[4], [0.0, 5.0, 0.0])  # not looked up: untouched
    assert repr(emb) == "Embedding(5, 3, max_norm=1.0)"


def test_embedding_scale_grad_by_freq():
    emb = nn.Embedding(4, 2, scale_grad_by_freq=True, padding_idx=3)
    idx = np.array([1, 2, 1, 1, 3])
    out = emb(srcgrad.tensor(idx))
    np.testing.assert_array_equal(value(out), value(emb.weight)[idx])
    (out * srcgrad.tensor(np.arange(10.0).reshape(5, 2))).sum().backward()
    expected = np.zeros((4, 2))
    expected[1] = (np.array([0.0, 1.0]) + [4.0, 5.0] + [6.0, 7.0]) / 3  # row 1 occurs 3 times
    expected[2] = [2.0, 3.0]
    np.testing.assert_allclose(emb.weight.grad.numpy(), expected)
    # with every index occurring once the scaled gradient is the true one
    x = nn.Embedding(3, 2, scale_grad_by_freq=True).weight
    gradcheck(lambda w: F.embedding(srcgrad.tensor([0, 2]), w, scale_grad_by_freq=True) ** 2, (x,))
