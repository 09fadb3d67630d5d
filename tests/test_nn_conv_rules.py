"""The im2col/col2im primitives: values against a loop, adjointness, and finite differences to second order."""

import numpy as np
import pytest

import srcgrad
from srcgrad.autograd import gradcheck, gradgradcheck
from srcgrad.rules import RULES
from srcgrad.rules.conv import col2im, conv_matmul, conv_output_size, conv_weight_grad, im2col

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
