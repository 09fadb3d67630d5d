"""PReLU, GroupNorm, padding layers, Upsample, ConvTranspose2d and attention against numpy formulas."""

import numpy as np
import pytest

import srcgrad
import srcgrad.nn.functional as F
from srcgrad import nn
from srcgrad.autograd import gradcheck


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
    np.testing.assert_array_equal(
        value(nn.ConstantPad2d(1, 2.5)(x)), np.pad(a, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=2.5)
    )
    np.testing.assert_array_equal(
        value(nn.ReflectionPad2d(2)(x)), np.pad(a, ((0, 0), (0, 0), (2, 2), (2, 2)), "reflect")
    )
    np.testing.assert_array_equal(
        value(nn.ReplicationPad1d((0, 3))(x)), np.pad(a, ((0, 0), (0, 0), (0, 0), (0, 3)), "edge")
    )
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
        nn.Upsample(scale_factor=2, mode="bicubic")(x)


@pytest.mark.parametrize("align_corners", [False, True])
def test_bilinear_interpolation_against_formula(rng, align_corners):
    a = rng.standard_normal((1, 2, 3, 4))
    x = srcgrad.tensor(a, requires_grad=True)
    out = value(F.interpolate(x, size=(5, 7), mode="bilinear", align_corners=align_corners))

    def coords(n_in, n_out):
        if align_corners:
            return np.arange(n_out) * (n_in - 1) / (n_out - 1)
        return np.maximum((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0)

    expected = np.zeros((1, 2, 5, 7))
    for i, r in enumerate(coords(3, 5)):
        for j, c in enumerate(coords(4, 7)):
            r0, c0 = min(int(r), 2), min(int(c), 3)
            r1, c1 = min(r0 + 1, 2), min(c0 + 1, 3)
            fr, fc = r - r0, c - c0
            expected[..., i, j] = (1 - fr) * ((1 - fc) * a[..., r0, c0] + fc * a[..., r0, c1]) + fr * (
                (1 - fc) * a[..., r1, c0] + fc * a[..., r1, c1]
            )
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    gradcheck(lambda t: F.interpolate(t, scale_factor=1.5, mode="bilinear", align_corners=align_corners), (x,))


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
                            full[bi, :, i * stride + a * dilation, j * stride + e * dilation] += (
                                x[bi, ci, i, j] * w[ci, :, a, e]
                            )
    return full[:, :, padding : padding + oh, padding : padding + ow] + b[None, :, None, None]


@pytest.mark.parametrize("stride, padding, output_padding, dilation", [(1, 0, 0, 1), (2, 1, 1, 1), (2, 0, 0, 2)])
def test_conv_transpose2d_matches_naive_loop(rng, stride, padding, output_padding, dilation):
    up = nn.ConvTranspose2d(2, 3, 3, stride=stride, padding=padding, output_padding=output_padding, dilation=dilation)
    x = srcgrad.tensor(rng.standard_normal((2, 2, 3, 4)), requires_grad=True)
    expected = naive_conv_transpose2d(
        x.detach().numpy(), value(up.weight), value(up.bias), stride, padding, output_padding, dilation
    )
    np.testing.assert_allclose(value(up(x)), expected, rtol=1e-12, atol=1e-13)
    gradcheck(lambda t, k: F.conv_transpose2d(t, k, None, stride, padding, output_padding, 1, dilation), (x, up.weight))


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
    np.testing.assert_allclose(
        value(F.scaled_dot_product_attention(tq, tk, tv, is_causal=True)), np_attention(q, k, v, causal), rtol=1e-12
    )
    allowed = rng.random((4, 4)) > 0.3
    allowed[:, 0] = True
    np.testing.assert_allclose(
        value(F.scaled_dot_product_attention(tq, tk, tv, attn_mask=srcgrad.tensor(allowed))),
        np_attention(q, k, v, np.where(allowed, 0.0, -np.inf)),
        rtol=1e-12,
    )
    gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=True), (tq, tk, tv))


def test_multihead_attention_matches_numpy(rng):
    mha = nn.MultiheadAttention(6, 2)
    assert [n for n, _ in mha.named_parameters()] == [
        "in_proj_weight",
        "in_proj_bias",
        "out_proj.weight",
        "out_proj.bias",
    ]
    assert np.all(value(mha.in_proj_bias) == 0) and np.all(value(mha.out_proj.bias) == 0)
    query, key = rng.standard_normal((4, 2, 6)), rng.standard_normal((5, 2, 6))
    pad = np.array([[False] * 4 + [True], [False] * 5])
    out, weights = mha(
        srcgrad.tensor(query), srcgrad.tensor(key), srcgrad.tensor(key), key_padding_mask=srcgrad.tensor(pad)
    )
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
    assert list(encoder.state_dict())[:4] == [
        "layers.0.self_attn.in_proj_weight",
        "layers.0.self_attn.in_proj_bias",
        "layers.0.self_attn.out_proj.weight",
        "layers.0.self_attn.out_proj.bias",
    ]
    x = srcgrad.tensor(rng.standard_normal((2, 3, 8)), requires_grad=True)
    out = encoder(x)
    assert out.shape == (2, 3, 8)
    # post-norm: every position comes out of a LayerNorm with weight 1 and bias 0
    np.testing.assert_allclose(value(out).mean(-1), 0.0, atol=1e-12)
    gradcheck(lambda t: layer(t), (x,), atol=1e-5)
    pre = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, norm_first=True, activation="gelu")
    assert pre(srcgrad.randn(3, 2, 8)).shape == (3, 2, 8)


def log_sigmoid(x):
    return -np.logaddexp(0, -x)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_more_losses_against_formulas(rng, reduction):
    red = {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction]
    a, b, c = (rng.standard_normal((4, 3)) for _ in range(3))
    y = np.array([1, -1, 1, -1])
    x1, x2, x3 = (srcgrad.tensor(v, requires_grad=True) for v in (a, b, c))
    ty = srcgrad.tensor(y)
    cos = (a * b).sum(1) / np.sqrt(((a * a).sum(1) + 1e-12) * ((b * b).sum(1) + 1e-12))
    cases = [
        (
            lambda p, q: F.cosine_embedding_loss(p, q, ty, margin=0.1, reduction=reduction),
            np.where(y == 1, 1 - cos, np.maximum(cos - 0.1, 0)),
        ),
        (
            lambda p, q: F.margin_ranking_loss(p[:, 0], q[:, 0], ty * 1.0, margin=0.5, reduction=reduction),
            np.maximum(-y * (a[:, 0] - b[:, 0]) + 0.5, 0),
        ),
        (lambda p, q: F.soft_margin_loss(p, q, reduction=reduction), np.log1p(np.exp(-b * a))),
        (
            lambda p, q: F.triplet_margin_loss(p, q, x3.detach(), margin=0.7, reduction=reduction),
            np.maximum(np.linalg.norm(a - b + 1e-6, axis=1) - np.linalg.norm(a - c + 1e-6, axis=1) + 0.7, 0),
        ),
        (lambda p, q: F.poisson_nll_loss(p, q.detach() ** 2, reduction=reduction), np.exp(a) - b**2 * a),
        (
            lambda p, q: F.gaussian_nll_loss(p, q.detach(), x3.detach() ** 2 + 0.1, reduction=reduction),
            0.5 * (np.log(c**2 + 0.1) + (a - b) ** 2 / (c**2 + 0.1)),
        ),
    ]
    for fn, expected in cases:
        np.testing.assert_allclose(value(fn(x1, x2)), red(expected), rtol=1e-10)
        gradcheck(lambda p: fn(p, x2), (x1,))
    h = np.abs(a[:, 0])
    np.testing.assert_allclose(
        value(F.hinge_embedding_loss(srcgrad.tensor(h), ty * 1.0, reduction=reduction)),
        red(np.where(y == 1, h, np.maximum(1 - h, 0))),
        rtol=1e-12,
    )
    targets = (rng.random((4, 3)) > 0.5).astype(float)
    np.testing.assert_allclose(
        value(F.multilabel_soft_margin_loss(x1, srcgrad.tensor(targets), reduction=reduction)),
        red(-(targets * log_sigmoid(a) + (1 - targets) * log_sigmoid(-a)).mean(1)),
        rtol=1e-12,
    )
    labels = np.array([0, 2, 1, 2])
    margins = np.maximum(1 - a[np.arange(4), labels][:, None] + a, 0) ** 2
    margins[np.arange(4), labels] = 0
    np.testing.assert_allclose(
        value(F.multi_margin_loss(x1, srcgrad.tensor(labels), p=2, reduction=reduction)),
        red(margins.sum(1) / 3),
        rtol=1e-12,
    )
    gradcheck(lambda p: F.multi_margin_loss(p, srcgrad.tensor(labels), reduction=reduction), (x1,))


def test_poisson_full_and_gaussian_clamp():
    x = srcgrad.tensor([0.5, 1.0], requires_grad=True)
    y = np.array([3.0, 0.5])
    got = value(F.poisson_nll_loss(x, srcgrad.tensor(y), log_input=False, full=True, reduction="none"))
    stirling = np.where(y > 1, y * np.log(y) - y + 0.5 * np.log(2 * np.pi * y), 0)
    np.testing.assert_allclose(got, np.array([0.5, 1.0]) - y * np.log(np.array([0.5, 1.0]) + 1e-8) + stirling)
    var = srcgrad.tensor([0.0, 2.0], requires_grad=True)
    loss = F.gaussian_nll_loss(srcgrad.tensor([1.0, 1.0]), srcgrad.tensor([0.0, 0.0]), var, reduction="sum")
    np.testing.assert_allclose(loss.item(), 0.5 * (np.log(1e-6) + 1 / 1e-6) + 0.5 * (np.log(2) + 0.5))
    with pytest.raises(ValueError):
        F.gaussian_nll_loss(srcgrad.tensor([1.0]), srcgrad.tensor([0.0]), srcgrad.tensor([-1.0]))


def test_shape_and_misc_layers(rng):
    a = rng.standard_normal((2, 8, 3, 3))
    x = srcgrad.tensor(a, requires_grad=True)
    shuffled = value(nn.PixelShuffle(2)(x))
    assert shuffled.shape == (2, 2, 6, 6)
    assert shuffled[1, 1, 3, 2] == a[1, 1 * 4 + 1 * 2 + 0, 1, 1]  # out[c, h*r+i, w*r+j] = in[c*r*r + i*r + j, h, w]
    np.testing.assert_array_equal(value(nn.PixelUnshuffle(2)(nn.PixelShuffle(2)(x))), a)
    cols = nn.Unfold(2, padding=1)(x)
    np.testing.assert_allclose(
        value(nn.Fold((3, 3), 2, padding=1)(cols)),
        a * value(F.fold(F.unfold(srcgrad.ones(1, 1, 3, 3), 2, padding=1), 3, 2, padding=1)),
    )
    gradcheck(lambda t: F.fold(t, (3, 3), 2, padding=1), (cols.detach().requires_grad_(),))
    np.testing.assert_array_equal(value(nn.AdaptiveMaxPool2d(1)(x))[..., 0, 0], a.max((2, 3)))
    g = value(nn.GLU(1)(x))
    np.testing.assert_allclose(g, a[:, :4] / (1 + np.exp(-a[:, 4:])), rtol=1e-12)
    np.testing.assert_array_equal(value(nn.Threshold(0.1, 20.0)(x)), np.where(a > 0.1, a, 20.0))
    np.testing.assert_array_equal(value(nn.Hardshrink(0.3)(x)), np.where(np.abs(a) > 0.3, a, 0))
    np.testing.assert_allclose(value(nn.Softshrink(0.3)(x)), np.where(a > 0.3, a - 0.3, np.where(a < -0.3, a + 0.3, 0)))
    e = np.exp(a - a.max(1, keepdims=True))
    np.testing.assert_allclose(value(nn.Softmax2d()(x)), e / e.sum(1, keepdims=True), rtol=1e-12)
    srcgrad.manual_seed(0)
    dropped = value(nn.Dropout2d(0.5)(srcgrad.ones(50, 4, 3, 3)))
    per_channel = dropped.reshape(50, 4, 9)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))
    assert 0.35 < (per_channel[..., 0] == 0).mean() < 0.65


def test_instance_norm(rng):
    a = rng.standard_normal((3, 2, 5)) * 2 + 1
    x = srcgrad.tensor(a, requires_grad=True)
    expected = (a - a.mean(-1, keepdims=True)) / np.sqrt(a.var(-1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(value(nn.InstanceNorm1d(2)(x)), expected, rtol=1e-12)
    gradcheck(lambda t: F.instance_norm(t), (x,))
    tracked = nn.InstanceNorm1d(2, track_running_stats=True, affine=True)
    tracked(x)
    np.testing.assert_allclose(tracked.running_mean.numpy(), 0.1 * a.mean(-1).mean(0), rtol=1e-12)
    np.testing.assert_allclose(tracked.running_var.numpy(), 0.9 + 0.1 * a.var(-1, ddof=1).mean(0), rtol=1e-12)
    img = rng.standard_normal((2, 3, 4, 4))
    got = value(nn.InstanceNorm2d(3)(srcgrad.tensor(img)))
    np.testing.assert_allclose(
        got, (img - img.mean((2, 3), keepdims=True)) / np.sqrt(img.var((2, 3), keepdims=True) + 1e-5), rtol=1e-12
    )


def test_adaptive_max_pool_uneven_windows(rng):
    a = rng.standard_normal((2, 3, 7, 5))
    x = srcgrad.tensor(a, requires_grad=True)
    out, idx = F.adaptive_max_pool2d(x, (3, 4), return_indices=True)
    expected = np.zeros((2, 3, 3, 4))
    for i in range(3):
        for j in range(4):
            r0, r1 = (i * 7) // 3, -(-((i + 1) * 7) // 3)
            c0, c1 = (j * 5) // 4, -(-((j + 1) * 5) // 4)
            expected[:, :, i, j] = a[:, :, r0:r1, c0:c1].max((2, 3))
    np.testing.assert_array_equal(value(out), expected)
    np.testing.assert_array_equal(
        np.take_along_axis(a.reshape(2, 3, -1), idx.numpy().reshape(2, 3, -1), 2), expected.reshape(2, 3, -1)
    )
    gradcheck(lambda t: F.adaptive_max_pool2d(t, (3, 4)), (x,))
