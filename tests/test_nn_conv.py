"""Convolution and pooling layers against naive loops; gradients by finite differences."""

import numpy as np
import pytest

import srcgrad
import srcgrad.nn.functional as F
from srcgrad import nn
from srcgrad.autograd import gradcheck, gradgradcheck


def value(t):
    return t.detach().numpy()


def naive_conv2d(x, w, b, stride, padding, dilation):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    oh = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    for bi in range(n):
        for oc in range(o):
            for i in range(oh):
                for j in range(ow):
                    total = 0.0 if b is None else b[oc]
                    for ic in range(c):
                        for a in range(kh):
                            for e in range(kw):
                                total += (
                                    w[oc, ic, a, e]
                                    * xp[bi, ic, i * stride[0] + a * dilation[0], j * stride[1] + e * dilation[1]]
                                )
                    out[bi, oc, i, j] = total
    return out


def naive_pool(x, kernel, stride, padding, reduce, pad_value):
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2), constant_values=pad_value)
    oh = (h + 2 * padding[0] - kernel[0]) // stride[0] + 1
    ow = (w + 2 * padding[1] - kernel[1]) // stride[1] + 1
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            window = xp[:, :, i * stride[0] : i * stride[0] + kernel[0], j * stride[1] : j * stride[1] + kernel[1]]
            out[:, :, i, j] = reduce(window.reshape(n, c, -1), axis=-1)
    return out


CONV_CASES = [
    dict(kernel_size=3),
    dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 0)),
    dict(kernel_size=2, stride=2, padding=1, dilation=2),
    dict(kernel_size=3, padding=1, bias=False),
]


@pytest.mark.parametrize("options", CONV_CASES)
def test_conv2d_matches_naive_loop_and_gradchecks(rng, options):
    srcgrad.manual_seed(0)
    conv = nn.Conv2d(2, 3, **options)
    x = srcgrad.tensor(rng.standard_normal((2, 2, 5, 6)), requires_grad=True)
    expected = naive_conv2d(
        x.detach().numpy(),
        value(conv.weight),
        None if conv.bias is None else value(conv.bias),
        conv.stride,
        conv.padding,
        conv.dilation,
    )
    np.testing.assert_allclose(value(conv(x)), expected, rtol=1e-12, atol=1e-13)
    params = (x, conv.weight) + (() if conv.bias is None else (conv.bias,))
    gradcheck(lambda a, w, *b: F.conv2d(a, w, b[0] if b else None, conv.stride, conv.padding, conv.dilation), params)


def test_conv2d_second_order_and_unbatched(rng):
    x = srcgrad.tensor(rng.standard_normal((1, 1, 4, 4)), requires_grad=True)
    w = srcgrad.tensor(rng.standard_normal((2, 1, 2, 2)), requires_grad=True)
    gradgradcheck(lambda a, k: F.conv2d(a, k) ** 2, (x, w))
    out = F.conv2d(x[0], w)
    assert out.shape == (2, 3, 3)
    np.testing.assert_allclose(value(out), value(F.conv2d(x, w))[0])


def test_conv2d_padding_same_valid_and_modes(rng):
    x = srcgrad.tensor(rng.standard_normal((1, 2, 5, 5)), requires_grad=True)
    same = nn.Conv2d(2, 2, 3, padding="same")
    assert same(x).shape == (1, 2, 5, 5)
    assert nn.Conv2d(2, 2, 3, padding="valid")(x).shape == (1, 2, 3, 3)
    reflect = nn.Conv2d(2, 2, 3, padding=1, padding_mode="reflect")
    xp = np.pad(x.detach().numpy(), ((0, 0), (0, 0), (1, 1), (1, 1)), mode="reflect")
    expected = naive_conv2d(xp, value(reflect.weight), value(reflect.bias), (1, 1), (0, 0), (1, 1))
    np.testing.assert_allclose(value(reflect(x)), expected, rtol=1e-12)
    gradcheck(lambda a: reflect(a), (x,))
    with pytest.raises(ValueError):
        nn.Conv2d(2, 3, 3, groups=2)
    with pytest.raises(RuntimeError, match="channels"):
        nn.Conv2d(3, 2, 3)(x)


@pytest.mark.parametrize("groups, out_channels", [(2, 6), (4, 4)])
def test_grouped_conv2d_is_one_conv_per_group(rng, groups, out_channels):
    conv = nn.Conv2d(4, out_channels, 3, padding=1, stride=(1, 2), groups=groups)
    assert conv.weight.shape == (out_channels, 4 // groups, 3, 3)
    x = srcgrad.tensor(rng.standard_normal((2, 4, 5, 6)), requires_grad=True)
    w, b, a = value(conv.weight), value(conv.bias), x.detach().numpy()
    per_in, per_out = 4 // groups, out_channels // groups
    expected = np.concatenate(
        [
            naive_conv2d(
                a[:, g * per_in : (g + 1) * per_in],
                w[g * per_out : (g + 1) * per_out],
                b[g * per_out : (g + 1) * per_out],
                (1, 2),
                (1, 1),
                (1, 1),
            )
            for g in range(groups)
        ],
        axis=1,
    )
    np.testing.assert_allclose(value(conv(x)), expected, rtol=1e-12, atol=1e-13)
    gradcheck(lambda t, k: F.conv2d(t, k, None, (1, 2), 1, 1, groups), (x, conv.weight))
    assert repr(conv).endswith(f"groups={groups})")


def test_conv1d_matches_naive_loop(rng):
    conv = nn.Conv1d(2, 3, 3, stride=2, padding=1, dilation=1)
    x = srcgrad.tensor(rng.standard_normal((2, 2, 7)), requires_grad=True)
    expected = naive_conv2d(
        x.detach().numpy()[:, :, None, :], value(conv.weight)[:, :, None, :], value(conv.bias), (1, 2), (0, 1), (1, 1)
    )[:, :, 0, :]
    np.testing.assert_allclose(value(conv(x)), expected, rtol=1e-12)
    gradcheck(lambda a: conv(a), (x,))
    assert nn.Conv1d(2, 3, 3, padding="same", dilation=2)(x).shape == (2, 3, 7)
    assert conv(x[0]).shape == (3, 4)
    assert repr(conv) == "Conv1d(2, 3, kernel_size=(3,), stride=(2,), padding=(1,))"


def test_conv_default_init_bounds():
    srcgrad.manual_seed(3)
    conv = nn.Conv2d(4, 8, 3)
    bound = 1 / np.sqrt(4 * 9)
    w, b = value(conv.weight), value(conv.bias)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(b).max() <= bound


@pytest.mark.parametrize("kernel, stride, padding", [(2, None, 0), (3, 2, 1), ((2, 3), (1, 2), (1, 1))])
def test_max_pool2d_matches_naive_loop(rng, kernel, stride, padding):
    x = srcgrad.tensor(rng.standard_normal((2, 3, 6, 7)), requires_grad=True)
    pool = nn.MaxPool2d(kernel, stride, padding)
    k = (kernel, kernel) if isinstance(kernel, int) else kernel
    s = k if stride is None else ((stride, stride) if isinstance(stride, int) else stride)
    p = (padding, padding) if isinstance(padding, int) else padding
    np.testing.assert_array_equal(value(pool(x)), naive_pool(x.detach().numpy(), k, s, p, np.max, -np.inf))
    gradcheck(lambda a: pool(a), (x,))


def test_max_pool2d_gradient_goes_to_first_maximum_and_indices():
    x = srcgrad.tensor([[[[1.0, 1.0], [1.0, 0.0]]]], requires_grad=True)
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[[1.0, 0.0], [0.0, 0.0]]]])
    assert idx.tolist() == [[[[0]]]]
    y = srcgrad.tensor(np.arange(16.0)[::-1].reshape(1, 1, 4, 4).copy())
    _, idx = F.max_pool2d(y, 2, return_indices=True)
    assert idx.tolist() == [[[[0, 2], [8, 10]]]]
    # NaN wins, as in PyTorch; -inf inputs are still picked over the padding
    nan = srcgrad.tensor([[[[1.0, np.nan], [3.0, 0.0]]]])
    assert np.isnan(F.max_pool2d(nan, 2).item())
    low = srcgrad.tensor([[[[-np.inf, -np.inf], [-np.inf, -np.inf]]]], requires_grad=True)
    out, idx = F.max_pool2d(low, 2, stride=1, padding=1, return_indices=True)
    assert np.all(out.detach().numpy() == -np.inf) and idx.numpy().min() >= 0 and idx.numpy().max() < 4
    # overlapping windows accumulate into a shared maximum
    z = srcgrad.tensor([[[[0.0, 5.0, 0.0]]]], requires_grad=True)
    F.max_pool2d(z, (1, 2), stride=1).sum().backward()
    np.testing.assert_array_equal(z.grad.numpy(), [[[[0.0, 2.0, 0.0]]]])


@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_matches_naive_loop(rng, count_include_pad):
    a = rng.standard_normal((2, 2, 5, 6))
    x = srcgrad.tensor(a, requires_grad=True)
    pool = nn.AvgPool2d(3, 2, 1, count_include_pad=count_include_pad)
    if count_include_pad:
        expected = naive_pool(a, (3, 3), (2, 2), (1, 1), np.mean, 0.0)
    else:
        sums = naive_pool(a, (3, 3), (2, 2), (1, 1), np.sum, 0.0)
        counts = naive_pool(np.ones((1, 1, 5, 6)), (3, 3), (2, 2), (1, 1), np.sum, 0.0)
        expected = sums / counts
    np.testing.assert_allclose(value(pool(x)), expected, rtol=1e-12)
    gradcheck(lambda t: pool(t), (x,))
    np.testing.assert_allclose(
        value(F.avg_pool2d(x, 2, divisor_override=3)),
        naive_pool(a, (2, 2), (2, 2), (0, 0), np.sum, 0.0) / 3,
        rtol=1e-12,
    )


def test_pool1d_and_adaptive_avg_pool(rng):
    a = rng.standard_normal((2, 3, 8))
    x = srcgrad.tensor(a, requires_grad=True)
    np.testing.assert_array_equal(value(nn.MaxPool1d(2)(x)), a.reshape(2, 3, 4, 2).max(-1))
    np.testing.assert_allclose(
        value(nn.AvgPool1d(4, 2)(x)), np.stack([a[..., i : i + 4].mean(-1) for i in (0, 2, 4)], -1), rtol=1e-12
    )
    img = rng.standard_normal((2, 3, 6, 5))
    xi = srcgrad.tensor(img, requires_grad=True)
    np.testing.assert_allclose(value(nn.AdaptiveAvgPool2d(1)(xi)), img.mean((2, 3), keepdims=True), rtol=1e-12)
    got = value(nn.AdaptiveAvgPool2d((4, 3))(xi))
    expected = np.zeros((2, 3, 4, 3))
    for i in range(4):
        for j in range(3):
            r0, r1 = (i * 6) // 4, -(-((i + 1) * 6) // 4)
            c0, c1 = (j * 5) // 3, -(-((j + 1) * 5) // 3)
            expected[:, :, i, j] = img[:, :, r0:r1, c0:c1].mean((2, 3))
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    gradcheck(lambda t: nn.AdaptiveAvgPool2d((4, 3))(t), (xi,))


def test_ceil_mode_keeps_the_overhanging_window():
    x = srcgrad.tensor([[[1.0, 2.0, 3.0, 4.0, 5.0]]], requires_grad=True)
    np.testing.assert_array_equal(value(nn.MaxPool1d(2, ceil_mode=True)(x)), [[[2.0, 4.0, 5.0]]])
    # the last window holds one element of the input: its divisor is 1
    np.testing.assert_array_equal(value(nn.AvgPool1d(2, ceil_mode=True)(x)), [[[1.5, 3.5, 5.0]]])
    gradcheck(lambda t: F.max_pool1d(t, 2, ceil_mode=True), (x,))
    gradcheck(lambda t: F.avg_pool1d(t, 2, ceil_mode=True), (x,))
    # a window may not start in the right padding: 5 + 1 padding, kernel 2, stride 2 -> 3 windows, not 4
    assert nn.MaxPool1d(2, 2, padding=1, ceil_mode=True)(x).shape == (1, 1, 3)
    img = srcgrad.tensor(np.arange(25.0).reshape(1, 1, 5, 5))
    np.testing.assert_array_equal(
        value(nn.MaxPool2d(2, ceil_mode=True)(img))[0, 0], [[6, 8, 9], [16, 18, 19], [21, 23, 24]]
    )


def test_unfold_layout(rng):
    a = rng.standard_normal((1, 2, 3, 3))
    cols = value(F.unfold(srcgrad.tensor(a), 2))
    assert cols.shape == (1, 8, 4)
    np.testing.assert_array_equal(cols[0, :, 0], a[0, :, :2, :2].reshape(-1))


def test_small_cnn_trains(rng):
    srcgrad.manual_seed(0)
    x = srcgrad.tensor(rng.standard_normal((16, 1, 8, 8)))
    y = srcgrad.tensor((x.numpy()[:, 0, :4].sum((1, 2)) > 0).astype(np.int64))
    net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 2))
    first = None
    for _ in range(30):
        net.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        with srcgrad.no_grad():
            for p in net.parameters():
                p -= 0.2 * p.grad
        first = loss.item() if first is None else first
    assert loss.item() < 0.5 * first
