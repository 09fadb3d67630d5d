"""The im2col/col2im primitives: values against a loop, adjointness, and finite differences to second order."""

import numpy as np
import pytest

import srcgrad
from srcgrad.autograd import gradcheck, gradgradcheck
from srcgrad.rules import RULES
from srcgrad.rules.conv import col2im, conv_matmul, conv_output_matrix, conv_output_size, conv_weight_grad, im2col

GEOMETRIES = [
    # kernel, stride, padding, dilation
    ((2, 2), (1, 1), (0, 0), (1, 1)),
    ((3, 2), (2, 1), (1, 0), (1, 1)),
    ((2, 3), (1, 2), (1, 1), (2, 1)),
    ((3, 3), (2, 2), (1, 1), (1, 2)),
]


def loop_im2col(x, kernel, stride, padding, dilation, pad_value=0.0):
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, c * kh * kw, oh * ow))
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for ch in range(c):
                    for a in range(kh):
                        for e in range(kw):
                            r, s = i * sh - ph + a * dh, j * sw - pw + e * dw
                            inside = 0 <= r < h and 0 <= s < w
                            out[b, (ch * kh + a) * kw + e, i * ow + j] = x[b, ch, r, s] if inside else pad_value
    return out


@pytest.mark.parametrize("kernel, stride, padding, dilation", GEOMETRIES)
def test_im2col_matches_a_loop(rng, kernel, stride, padding, dilation):
    x = rng.standard_normal((2, 2, 5, 6))
    got = im2col(x, kernel, stride, padding, dilation)
    np.testing.assert_array_equal(got, loop_im2col(x, kernel, stride, padding, dilation))
    got = im2col(x, kernel, stride, padding, dilation, pad_value=-np.inf)
    np.testing.assert_array_equal(got, loop_im2col(x, kernel, stride, padding, dilation, -np.inf))


@pytest.mark.parametrize("kernel, stride, padding, dilation", GEOMETRIES)
def test_col2im_is_the_adjoint(rng, kernel, stride, padding, dilation):
    x = rng.standard_normal((2, 3, 5, 6))
    cols = im2col(x, kernel, stride, padding, dilation)
    y = rng.standard_normal(cols.shape)
    back = col2im(y, x.shape, kernel, stride, padding, dilation)
    assert back.shape == x.shape
    # <im2col(x), y> == <x, col2im(y)>
    np.testing.assert_allclose(np.sum(cols * y), np.sum(x * back), rtol=1e-12)


def test_output_size_formula():
    assert conv_output_size(5, 3, 1, 0, 1) == 3
    assert conv_output_size(5, 3, 2, 1, 1) == 3
    assert conv_output_size(7, 3, 1, 0, 2) == 3


def test_kernel_larger_than_input_raises():
    with pytest.raises(ValueError, match="does not fit"):
        im2col(np.zeros((1, 1, 2, 2)), (3, 3))


def test_rules_are_registered():
    assert RULES[im2col].backward_name == "Im2ColBackward0"
    assert RULES[col2im].backward_name == "Col2ImBackward0"


@pytest.mark.parametrize("kernel, stride, padding, dilation", GEOMETRIES[1:3])
def test_gradients_to_second_order(rng, kernel, stride, padding, dilation):
    x = srcgrad.tensor(rng.standard_normal((1, 2, 4, 5)), requires_grad=True)
    geometry = dict(stride=stride, padding=padding, dilation=dilation)

    def f(a):
        cols = im2col(a, kernel, **geometry)
        return cols * cols  # nonlinear, so the second derivative is not zero

    gradcheck(f, (x,))
    gradgradcheck(f, (x,))
    n_rows = im2col(np.zeros((1, 2, 4, 5)), kernel, **geometry).shape
    c = srcgrad.tensor(rng.standard_normal(n_rows), requires_grad=True)

    def g(cols):
        back = col2im(cols, (1, 2, 4, 5), kernel, **geometry)
        return back * back

    gradcheck(g, (c,))
    gradgradcheck(g, (c,))


# ---------------------------------------------------------------- conv_matmul: the weight's cotangent in blocks
@pytest.mark.parametrize("block", [1, 4, 7, 11, 12, 100])
def test_weight_gradient_in_blocks_is_the_product(rng, block):
    """Blocks of every size, ones that divide the columns and ones that leave a shorter last block, give
    ``g @ cols.T``; so does the tape's gradient of a convolution whose patches outnumber one block."""
    g, cols = rng.standard_normal((3, 11)), rng.standard_normal((5, 11))
    np.testing.assert_allclose(conv_weight_grad(g, cols, block), g @ cols.T, rtol=1e-12, atol=1e-12)


def test_conv2d_weight_gradient_across_blocks(rng, monkeypatch):
    from srcgrad.rules import conv

    monkeypatch.setattr(conv, "BLOCK_COLUMNS", 7)  # the 2*3*4 = 24 patches of this batch take four blocks
    x = rng.standard_normal((2, 3, 5, 6))
    w = srcgrad.tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
    out = srcgrad.nn.functional.conv2d(srcgrad.tensor(x), w)
    weights = rng.standard_normal(out.shape)
    (out * srcgrad.tensor(weights)).sum().backward()
    # d/dw of sum(weights * conv(x, w)): each weight entry sums weights times the input it meets
    want = np.zeros((4, 3, 3, 3))
    for o, c, i, j in np.ndindex(4, 3, 3, 3):
        want[o, c, i, j] = np.sum(weights[:, o] * x[:, c, i : i + 3, j : j + 4])
    np.testing.assert_allclose(w.grad.numpy(), want, rtol=1e-12, atol=1e-12)


def test_conv_matmul_to_second_order(rng):
    w = srcgrad.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    cols = srcgrad.tensor(rng.standard_normal((4, 9)), requires_grad=True)

    def f(a, b):
        out = conv_matmul(a, b)
        return out * out

    gradcheck(f, (w, cols))
    gradgradcheck(f, (w, cols))
    assert RULES[conv_matmul].backward_name == "MmBackward0"


# ---------------------------------------------------------------- the batch's layouts: "batch" and "batch_inner"
def as_layout(sample_cols, layout):
    """Columns laid out per sample, (N, K, L), rearranged into one of the batch's layouts."""
    n, k, length = sample_cols.shape
    if layout == "batch":  # column n*L + l
        return sample_cols.transpose(1, 0, 2).reshape(k, n * length)
    return sample_cols.transpose(1, 2, 0).reshape(k, length * n)  # "batch_inner": column l*N + n


def batch_innermost(x):
    """``x`` (N, C, H, W) laid out in memory as (C, H, W, N), as a convolution's output is."""
    return np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)


@pytest.mark.parametrize("layout", ["batch", "batch_inner"])
@pytest.mark.parametrize("kernel, stride, padding, dilation", GEOMETRIES)
def test_batch_layouts_hold_the_loops_patches(rng, kernel, stride, padding, dilation, layout):
    x = rng.standard_normal((3, 2, 5, 6))
    for pad_value in (0.0, -np.inf):
        want = as_layout(loop_im2col(x, kernel, stride, padding, dilation, pad_value), layout)
        np.testing.assert_array_equal(im2col(x, kernel, stride, padding, dilation, pad_value, layout), want)
        # an input laid out with the batch innermost (a convolution's output) reads the same
        got = im2col(batch_innermost(x), kernel, stride, padding, dilation, pad_value, layout)
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("layout", ["sample", "batch", "batch_inner"])
@pytest.mark.parametrize("kernel, stride, padding, dilation", GEOMETRIES)
def test_col2im_is_the_adjoint_in_every_layout(rng, kernel, stride, padding, dilation, layout):
    x = rng.standard_normal((3, 2, 5, 6))
    cols = im2col(x, kernel, stride, padding, dilation, layout=layout)
    y = rng.standard_normal(cols.shape)
    back = col2im(y, x.shape, kernel, stride, padding, dilation, layout)
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(cols * y), np.sum(x * back), rtol=1e-12)


@pytest.mark.parametrize("kernel, stride, padding, dilation", GEOMETRIES)
def test_col2im_layouts_add_up_alike(rng, kernel, stride, padding, dilation):
    """The same patch values laid out three ways are added back into the same image (overlaps included)."""
    shape = (3, 2, 5, 6)
    y = rng.standard_normal(im2col(np.zeros(shape), kernel, stride, padding, dilation).shape)
    want = col2im(y, shape, kernel, stride, padding, dilation)
    for layout in ("batch", "batch_inner"):
        got = col2im(as_layout(y, layout), shape, kernel, stride, padding, dilation, layout)
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)


def test_an_unknown_layout_is_refused():
    with pytest.raises(ValueError, match="layout='rows'.*sample"):
        im2col(np.zeros((1, 1, 3, 3)), (2, 2), layout="rows")
    with pytest.raises(ValueError, match="layout='rows'"):
        col2im(np.zeros((4, 4)), (1, 1, 3, 3), (2, 2), layout="rows")


@pytest.mark.parametrize("kernel, stride, padding, dilation", GEOMETRIES[1:3])
def test_batch_inner_gradients_to_second_order(rng, kernel, stride, padding, dilation):
    geometry = dict(stride=stride, padding=padding, dilation=dilation, layout="batch_inner")
    x = srcgrad.tensor(rng.standard_normal((2, 2, 4, 5)), requires_grad=True)
    gradcheck(lambda a: im2col(a, kernel, **geometry) ** 2, (x,))
    gradgradcheck(lambda a: im2col(a, kernel, **geometry) ** 2, (x,))
    c = srcgrad.tensor(
        rng.standard_normal(im2col(np.zeros((2, 2, 4, 5)), kernel, **geometry).shape), requires_grad=True
    )
    gradcheck(lambda cols: col2im(cols, (2, 2, 4, 5), kernel, **geometry) ** 2, (c,))
    gradgradcheck(lambda cols: col2im(cols, (2, 2, 4, 5), kernel, **geometry) ** 2, (c,))


def test_conv_matmul_batch_inner_is_the_convolution_output(rng):
    """With ``batch_inner=(N, OH, OW)`` the product (O, OH*OW*N) comes back as (N, O, OH, OW)."""
    w, cols = rng.standard_normal((3, 4)), rng.standard_normal((4, 2 * 3 * 5))
    got = conv_matmul(w, cols, None, (2, 3, 5))
    product = w @ cols  # column (oh*OW + ow)*N + n
    for n, o, i, j in np.ndindex(2, 3, 3, 5):
        assert got[n, o, i, j] == product[o, (i * 5 + j) * 2 + n]
    assert got.strides[0] == got.itemsize  # the batch innermost in memory: no copy was made
    np.testing.assert_array_equal(conv_output_matrix(got, (2, 3, 5)), product)
    wt = srcgrad.tensor(w, requires_grad=True)
    ct = srcgrad.tensor(cols, requires_grad=True)
    gradcheck(lambda a, b: conv_matmul(a, b, None, (2, 3, 5)) ** 2, (wt, ct))
    gradgradcheck(lambda a, b: conv_matmul(a, b, None, (2, 3, 5)) ** 2, (wt, ct))
    # the bias: added to every column of its output channel, in both layouts
    bias = rng.standard_normal(3)
    with_bias = conv_matmul(w, cols, bias, (2, 3, 5))
    np.testing.assert_allclose(with_bias, got + bias[:, None, None], rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(conv_matmul(w, cols, bias), product + bias[:, None], rtol=1e-15, atol=1e-15)
    bt = srcgrad.tensor(bias, requires_grad=True)
    for batch_inner in ((2, 3, 5), None):
        gradcheck(lambda a, b, c: conv_matmul(a, b, c, batch_inner) ** 2, (wt, ct, bt))
        gradgradcheck(lambda a, b, c: conv_matmul(a, b, c, batch_inner) ** 2, (wt, ct, bt))


def conv2d_by_layout(x, w, b, layout):
    """A convolution (stride 1, padding 1) through im2col's ``layout`` and conv_matmul, on Tensors."""
    n, _, h, wd = x.shape
    o = w.shape[0]
    cols = im2col(x, (3, 3), (1, 1), (1, 1), layout=layout)
    w2 = np.reshape(w, (o, -1))
    if layout == "batch_inner":
        return conv_matmul(w2, cols, b, (n, h, wd))
    return np.transpose(np.reshape(conv_matmul(w2, cols, b), (o, n, h, wd)), (1, 0, 2, 3))


def test_conv2d_layouts_agree_with_each_other_and_finite_differences(rng):
    x = srcgrad.tensor(rng.standard_normal((3, 2, 4, 5)), requires_grad=True)
    w = srcgrad.tensor(rng.standard_normal((4, 2, 3, 3)), requires_grad=True)
    b = srcgrad.tensor(rng.standard_normal(4), requires_grad=True)
    weights = rng.standard_normal((3, 4, 4, 5))
    grads = {}
    for layout in ("batch", "batch_inner"):
        out = conv2d_by_layout(x, w, b, layout)
        np.testing.assert_allclose(
            out.detach().numpy(),
            srcgrad.nn.functional.conv2d(x, w, b, padding=1).detach().numpy(),
            rtol=1e-12,
            atol=1e-12,
        )
        grads[layout] = srcgrad.autograd.grad((out * srcgrad.tensor(weights)).sum(), (x, w, b))
        gradcheck(lambda a, k, c: conv2d_by_layout(a, k, c, layout) ** 2, (x, w, b))
    for got, want in zip(grads["batch_inner"], grads["batch"]):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-12)


def test_conv2d_keeps_the_batch_innermost_through_relu_and_pooling(rng):
    """The layout is the point of ``"batch_inner"``: conv2d's output, a ReLU's and a 2x2 max pooling's after it
    lie with the batch innermost, and so do the gradients coming back (no pass reads across layouts)."""
    x = srcgrad.tensor(rng.standard_normal((4, 2, 8, 8)))
    w = srcgrad.tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    out = srcgrad.nn.functional.conv2d(x, w)
    pooled = srcgrad.nn.functional.max_pool2d(srcgrad.nn.functional.relu(out), 2)
    for t in (out, pooled):
        assert t.shape[0] == 4 and t.detach().numpy().strides[0] == t.detach().numpy().itemsize
    seen = []
    out.register_hook(lambda g: seen.append(g.numpy().strides[0] == g.numpy().itemsize))
    pooled.flatten(1).sum().backward()  # the Flatten hands its gradient back in C order
    assert seen == [True]
