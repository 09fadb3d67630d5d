"""PReLU, GroupNorm, padding layers, Upsample, ConvTranspose2d and attention against numpy formulas."""

import numpy as np
import pytest

import srcgrad
from srcgrad import nn
from srcgrad.autograd import gradcheck
import srcgrad.nn.functional as F


def value(t):
    return t.detach().numpy()


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def test_prelu(rng):
    a = rng.standard_normal((2, 3, 4)) + 0.05
    x = srcgrad.tensor(a, requires_grad=True)
    one = nn.PReLU()
    np.testing.assert_allclose(value(one(x)), np.where(a > 0, a, 0.25 * a))
    per_channel = nn.PReLU(3, init=0.1)
    with srcgrad.no_grad():
        per_channel.weight.copy_(srcgrad.tensor([0.1, 0.2, 0.3]))
    np.testing.assert_allclose(value(per_channel(x)), np.where(a > 0, a, np.array([0.1, 0.2, 0.3])[:, None] * a))
    gradcheck(lambda t, w: F.prelu(t, w), (x, per_channel.weight))


def test_group_norm(rng):
    a = rng.standard_normal((2, 4, 3))
    x = srcgrad.tensor(a, requires_grad=True)
    gn = nn.GroupNorm(2, 4)
    with srcgrad.no_grad():
        gn.weight.copy_(srcgrad.tensor(rng.standard_normal(4)))
        gn.bias.copy_(srcgrad.tensor(rng.standard_normal(4)))
    g = a.reshape(2, 2, -1)
    expected = ((g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + 1e-5)).reshape(a.shape)
    expected = expected * value(gn.weight)[:, None] + value(gn.bias)[:, None]
    np.testing.assert_allclose(value(gn(x)), expected, rtol=1e-12)
    gradcheck(lambda t, w, b: F.group_norm(t, 2, w, b), (x, gn.weight, gn.bias))
    with pytest.raises(ValueError):
        nn.GroupNorm(3, 4)


def test_padding_layers(rng):
    a = rng.standard_normal((1, 2, 3, 4))
    x = srcgrad.tensor(a)
    np.testing.assert_array_equal(value(nn.ZeroPad2d((1, 2, 0, 1))(x)), np.pad(a, ((0, 0), (0, 0), (0, 1), (1, 2))))
    np.testing.assert_array_equal(value(nn.ConstantPad2d(1, 2.5)(x)),
                                  np.pad(a, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=2.5))
    np.testing.assert_array_equal(value(nn.ReflectionPad2d(2)(x)), np.pad(a, ((0, 0), (0, 0), (2, 2), (2, 2)), "reflect"))
    np.testing.assert_array_equal(value(nn.ReplicationPad1d((0, 3))(x)), np.pad(a, ((0, 0), (0, 0), (0, 0), (0, 3)), "edge"))
    assert repr(nn.ZeroPad2d(1)) == "ZeroPad2d((1, 1, 1, 1))"
    assert repr(nn.ConstantPad1d((1, 2), 3.5)) == "ConstantPad1d(padding=(1, 2), value=3.5)"


def test_upsample_nearest(rng):
    a = rng.standard_normal((1, 2, 3, 2))
    x = srcgrad.tensor(a, requires_grad=True)
    np.testing.assert_array_equal(value(nn.Upsample(scale_factor=2)(x)), a.repeat(2, axis=2).repeat(2, axis=3))
    got = value(F.interpolate(x, size=(5, 3)))
    rows = np.minimum(np.floor(np.arange(5) * 3 / 5).astype(int), 2)
    cols = np.minimum(np.floor(np.arange(3) * 2 / 3).astype(int), 1)
    np.testing.assert_array_equal(got, a[:, :, rows][:, :, :, cols])
    gradcheck(lambda t: F.interpolate(t, scale_factor=(2, 1.5)), (x,))
    with pytest.raises(NotImplementedError):
        nn.Upsample(scale_factor=2, mode="bilinear")


def naive_conv_transpose2d(x, w, b, stride, padding, output_padding, dilation):
    n, cin, h, wd = x.shape
    _, cout, kh, kw = w.shape
    oh = (h - 1) * stride - 2 * padding + dilation * (kh - 1) + output_padding + 1
    ow = (wd - 1) * stride - 2 * padding + dilation * (kw - 1) + output_padding + 1
    full = np.zeros((n, cout, oh + 2 * padding + kh * dilation, ow + 2 * padding + kw * dilation))
    for bi in range(n):
        for ci in range(cin):
            for i in range(h):
                for j in range(wd):
                    for a in range(kh):
                        for e in range(kw):
                            full[bi, :, i * stride + a * dilation, j * stride + e * dilation] += x[bi, ci, i, j] * w[ci, :, a, e]
    return full[:, :, padding:padding + oh, padding:padding + ow] + b[None, :, None, None]


@pytest.mark.parametrize("stride, padding, output_padding, dilation", [(1, 0, 0, 1), (2, 1, 1, 1), (2, 0, 0, 2)])
def test_conv_transpose2d_matches_naive_loop(rng, stride, padding, output_padding, dilation):
    up = nn.ConvTranspose2d(2, 3, 3, stride=stride, padding=padding, output_padding=output_padding, dilation=dilation)
    x = srcgrad.tensor(rng.standard_normal((2, 2, 3, 4)), requires_grad=True)
    expected = naive_conv_transpose2d(x.detach().numpy(), value(up.weight), value(up.bias), stride, padding,
                                      output_padding, dilation)
    np.testing.assert_allclose(value(up(x)), expected, rtol=1e-12, atol=1e-13)
    gradcheck(lambda t, k: F.conv_transpose2d(t, k, None, stride, padding, output_padding, 1, dilation),
              (x, up.weight))


def test_conv_transpose_is_the_adjoint_of_conv(rng):
    x = rng.standard_normal((1, 2, 7, 7))
    w = rng.standard_normal((3, 2, 3, 3))
    y = rng.standard_normal((1, 3, 4, 4))
    conv = value(F.conv2d(srcgrad.tensor(x), srcgrad.tensor(w), stride=2, padding=1))
    back = value(F.conv_transpose2d(srcgrad.tensor(y), srcgrad.tensor(w), stride=2, padding=1))
    np.testing.assert_allclose(np.sum(conv * y), np.sum(x * back), rtol=1e-12)


def np_attention(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores + mask
    return softmax(scores) @ v


def test_scaled_dot_product_attention(rng):
    q, k, v = (rng.standard_normal((2, 3, 4, 5)) for _ in range(3))
    tq, tk, tv = (srcgrad.tensor(a, requires_grad=True) for a in (q, k, v))
    np.testing.assert_allclose(value(F.scaled_dot_product_attention(tq, tk, tv)), np_attention(q, k, v), rtol=1e-12)
    causal = np.where(np.tril(np.ones((4, 4), bool)), 0.0, -np.inf)
    np.testing.assert_allclose(value(F.scaled_dot_product_attention(tq, tk, tv, is_causal=True)),
                               np_attention(q, k, v, causal), rtol=1e-12)
    allowed = rng.random((4, 4)) > 0.3
    allowed[:, 0] = True
    np.testing.assert_allclose(value(F.scaled_dot_product_attention(tq, tk, tv, attn_mask=srcgrad.tensor(allowed))),
                               np_attention(q, k, v, np.where(allowed, 0.0, -np.inf)), rtol=1e-12)
    gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=True), (tq, tk, tv))


def test_multihead_attention_matches_numpy(rng):
    mha = nn.MultiheadAttention(6, 2)
    assert [n for n, _ in mha.named_parameters()] == ["in_proj_weight", "in_proj_bias", "out_proj.weight",
                                                       "out_proj.bias"]
    assert np.all(value(mha.in_proj_bias) == 0) and np.all(value(mha.out_proj.bias) == 0)
    query, key = rng.standard_normal((4, 2, 6)), rng.standard_normal((5, 2, 6))
    pad = np.array([[False] * 4 + [True], [False] * 5])
    out, weights = mha(srcgrad.tensor(query), srcgrad.tensor(key), srcgrad.tensor(key),
                       key_padding_mask=srcgrad.tensor(pad))
    w_in, b_in = value(mha.in_proj_weight), value(mha.in_proj_bias)
    q = query @ w_in[:6].T + b_in[:6]
    k = key @ w_in[6:12].T + b_in[6:12]
    v = key @ w_in[12:].T + b_in[12:]
    heads = lambda t: t.reshape(t.shape[0], 2, 2, 3).transpose(1, 2, 0, 3)  # noqa: E731  (N, H, len, 3)
    mask = np.where(pad, -np.inf, 0.0)[:, None, None, :]
    scores = heads(q) @ np.swapaxes(heads(k), -1, -2) / np.sqrt(3) + mask
    attn = softmax(scores)
    merged = (attn @ heads(v)).transpose(2, 0, 1, 3).reshape(4, 2, 6)
    expected = merged @ value(mha.out_proj.weight).T + value(mha.out_proj.bias)
    np.testing.assert_allclose(value(out), expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(value(weights), attn.mean(1), rtol=1e-12)
    x = srcgrad.tensor(rng.standard_normal((3, 2, 6)), requires_grad=True)
    gradcheck(lambda t: mha(t, t, t, need_weights=False)[0], (x,))


def test_transformer_encoder(rng):
    srcgrad.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    encoder = nn.TransformerEncoder(layer, 2)
    assert list(encoder.state_dict())[:4] == ["layers.0.self_attn.in_proj_weight", "layers.0.self_attn.in_proj_bias",
                                              "layers.0.self_attn.out_proj.weight", "layers.0.self_attn.out_proj.bias"]
    x = srcgrad.tensor(rng.standard_normal((2, 3, 8)), requires_grad=True)
    out = encoder(x)
    assert out.shape == (2, 3, 8)
    # post-norm: every position comes out of a LayerNorm with weight 1 and bias 0
    np.testing.assert_allclose(value(out).mean(-1), 0.0, atol=1e-12)
    gradcheck(lambda t: layer(t), (x,), atol=1e-5)
    pre = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, norm_first=True, activation="gelu")
    assert pre(srcgrad.randn(3, 2, 8)).shape == (3, 2, 8)
