"""Rules of the patch primitives behind convolution and pooling: ``im2col`` and ``col2im``.

A 2-D convolution is one matrix product once every receptive field of the
input is laid out as a row: ``im2col`` does that layout, and the layers in
``srcgrad.nn`` do the rest with primitives that already have rules
(``np.matmul``, ``np.reshape``, ``np.max``, ``np.where``, ...). These two are
primitives for speed only: composed from ``getitem`` and ``pad`` the same
layout would record one node per kernel position.

Both are linear and each is the other's adjoint:

* ``im2col(x, kernel_size, stride, padding, dilation, pad_value)`` -- the
  patches of ``x`` (N, C, H, W) as the columns of one matrix per sample:
  (N, C*KH*KW, OH*OW), PyTorch's ``unfold`` layout. Column ``oh*OW + ow``
  holds the patch whose top-left corner is at ``(oh*stride - padding,
  ow*stride - padding)``, in the order (c, kh, kw). A convolution is then
  ``W.reshape(O, -1) @ cols``, already in (N, O, OH*OW) order, so no copy is
  needed to get back to NCHW. Positions outside ``x`` read ``pad_value`` (0
  for convolution, ``-inf`` for max pooling); the padding is a constant, so it
  gets no gradient. With ``batch_last=True`` the patches of the whole batch
  are the columns of one matrix, (C*KH*KW, N*OH*OW), column ``n*OH*OW + oh*OW
  + ow``: a convolution is then one product ``W.reshape(O, -1) @ cols`` for
  the whole batch (and its backward two), where the default layout makes it N
  small products.
* ``col2im(cols, input_shape, kernel_size, stride, padding, dilation)`` -- the
  adjoint: every entry of ``cols`` is added back into the position of ``x``
  it was read from (overlapping patches accumulate); padding is dropped.
  ``batch_last`` reads the columns laid out as ``im2col`` with it lays them out.

So the VJP of ``im2col`` is ``col2im`` and the VJP of ``col2im`` is ``im2col``,
and both rules run on Tensors: second derivatives of convolutions work.
Geometry arguments are pairs of ints; they get no gradient.

* ``conv_matmul(w, cols)`` -- ``w @ cols``, a convolution's product of its
  weight (O, C*KH*KW) and the batch's patches (C*KH*KW, N*OH*OW). A primitive
  for speed only: the weight's cotangent ``g @ cols.T`` sums over the N*OH*OW
  patches, tens of thousands for a batch of images, and OpenBLAS multiplies
  such thin, long operands at a fraction of its speed; ``conv_weight_grad``
  sums the same products over blocks of at most ``BLOCK_COLUMNS`` patches
  (issue 11's CNN: 0.2 ms instead of 0.57 ms for its first layer's weight).
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .broadcast import shape_of
from .registry import defjvp, defvjp, primitive

__all__ = ["im2col", "col2im", "conv_output_size", "conv_matmul", "conv_weight_grad", "BLOCK_COLUMNS"]


def conv_output_size(size, kernel, stride, padding, dilation):
    """The output length of a convolution or pooling along one axis (floor mode)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _geometry(shape, kernel_size, stride, padding, dilation):
    n, c, h, w = shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    oh = conv_output_size(h, kh, sh, ph, dh)
    ow = conv_output_size(w, kw, sw, pw, dw)
    if oh < 1 or ow < 1:
        raise ValueError(f"the kernel {tuple(kernel_size)} (dilation {tuple(dilation)}) does not fit the input of "
                         f"spatial size {(h, w)} padded by {tuple(padding)}: the output would be {(oh, ow)}")
    return n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow


@primitive
def im2col(x, kernel_size, stride=(1, 1), padding=(0, 0), dilation=(1, 1), pad_value=0.0, batch_last=False):
    """The patches of ``x`` as columns: (N, C*KH*KW, OH*OW), or (C*KH*KW, N*OH*OW) with ``batch_last``.

    Args:
        x: an array of shape (N, C, H, W).
        kernel_size: ``(KH, KW)``.
        stride: ``(SH, SW)``.
        padding: ``(PH, PW)``, added on both sides.
        dilation: ``(DH, DW)``: the spacing of the kernel's taps.
        pad_value: what positions in the padding read.
        batch_last: lay the patches of every sample side by side as the columns of one matrix.

    Returns:
        An array of shape (N, C*KH*KW, OH*OW), or (C*KH*KW, N*OH*OW) with ``batch_last``.

    Raises:
        ValueError: the kernel does not fit the padded input.
    """
    x = np.asarray(x)
    n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow = _geometry(x.shape, kernel_size, stride, padding, dilation)
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value)
    windows = sliding_window_view(x, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
    windows = windows[:, :, : sh * (oh - 1) + 1 : sh, : sw * (ow - 1) + 1 : sw, ::dh, ::dw]
    if batch_last:
        return windows.transpose(1, 4, 5, 0, 2, 3).reshape(c * kh * kw, n * oh * ow)
    return windows.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, oh * ow)


@primitive
def col2im(cols, input_shape, kernel_size, stride=(1, 1), padding=(0, 0), dilation=(1, 1), batch_last=False):
    """The adjoint of ``im2col``: add every patch entry back where it was read from.

    Args:
        cols: an array of shape (N, C*KH*KW, OH*OW), or (C*KH*KW, N*OH*OW) with ``batch_last``.
        input_shape: ``(N, C, H, W)`` of the array the patches came from.
        kernel_size, stride, padding, dilation, batch_last: as for ``im2col``.

    Returns:
        An array of shape ``input_shape``.
    """
    cols = np.asarray(cols)
    n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow = _geometry(
        tuple(input_shape), kernel_size, stride, padding, dilation)
    out = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    if batch_last:  # (C, KH, KW, N, OH, OW), added into out seen as (C, N, H, W)
        patches, target = cols.reshape(c, kh, kw, n, oh, ow).transpose(1, 2, 0, 3, 4, 5), out.transpose(1, 0, 2, 3)
    else:
        patches, target = cols.reshape(n, c, kh, kw, oh, ow).transpose(2, 3, 0, 1, 4, 5), out
    for i in range(kh):
        for j in range(kw):
            target[:, :, i * dh : i * dh + sh * (oh - 1) + 1 : sh, j * dw : j * dw + sw * (ow - 1) + 1 : sw] += \
                patches[i, j]
    if ph or pw:
        out = np.ascontiguousarray(out[:, :, ph : ph + h, pw : pw + w])
    return out


defvjp(im2col,
       lambda g, ans, x, kernel_size, stride=(1, 1), padding=(0, 0), dilation=(1, 1), pad_value=0.0, batch_last=False: col2im(g, shape_of(x), kernel_size, stride, padding, dilation, batch_last),
       None, None, None, None, None, None,
       backward_name="Im2ColBackward0")
defjvp(im2col,
       lambda t, ans, x, kernel_size, stride=(1, 1), padding=(0, 0), dilation=(1, 1), pad_value=0.0, batch_last=False: im2col(t, kernel_size, stride, padding, dilation, 0.0, batch_last))

defvjp(col2im,
       lambda g, ans, cols, input_shape, kernel_size, stride=(1, 1), padding=(0, 0), dilation=(1, 1), batch_last=False: im2col(g, kernel_size, stride, padding, dilation, 0.0, batch_last),
       None, None, None, None, None, None,
       backward_name="Col2ImBackward0")
defjvp(col2im,
       lambda t, ans, cols, input_shape, kernel_size, stride=(1, 1), padding=(0, 0), dilation=(1, 1), batch_last=False: col2im(t, input_shape, kernel_size, stride, padding, dilation, batch_last))


BLOCK_COLUMNS = 8192
"""The most patches ``conv_weight_grad`` multiplies in one product."""


@primitive
def conv_matmul(w, cols):
    """``w @ cols``: a convolution's weight (O, K) times the patches of the batch (K, M), ``im2col``'s
    ``batch_last`` layout. The same product as ``np.matmul``; its weight's cotangent is ``conv_weight_grad``.

    Args:
        w: the weight as a matrix, (O, K) with K = C*KH*KW.
        cols: the patches, (K, M) with M = N*OH*OW.

    Returns:
        (O, M).
    """
    return np.matmul(w, cols)


def conv_weight_grad(g, cols, block=None):
    """``g @ cols.T`` ((O, M) @ (M, K) -> (O, K)), summed over blocks of at most ``block`` (default
    ``BLOCK_COLUMNS``) of the M columns, each block's product taken as ``cols @ g.T`` and the sum transposed.

    M, the patches of a whole batch, runs to tens of thousands while O and K are a few to a few hundred:
    OpenBLAS multiplies such long, thin operands slowly (for issue 11's CNN, (8, 43264) @ (43264, 9) takes
    0.57 ms in one product and 0.21 ms in blocks of about 8000 columns; (16, 7744) @ (7744, 72) 0.68 ms as it
    is, 0.34 ms as the transpose of ``cols @ g.T``). The sum is the same; it is rounded in blocks.
    """
    block = BLOCK_COLUMNS if block is None else block
    columns = shape_of(cols)[-1]
    if columns <= block:
        return np.transpose(np.matmul(cols, np.transpose(g)))
    total = None
    for start in range(0, columns, block):
        part = np.matmul(cols[:, start : start + block], np.transpose(g[:, start : start + block]))
        total = part if total is None else total + part
    return np.transpose(total)


defvjp(conv_matmul,
       lambda g, ans, w, cols: conv_weight_grad(g, cols),
       lambda g, ans, w, cols: np.matmul(np.transpose(w), g),
       backward_name="MmBackward0")
defjvp(conv_matmul,
       lambda t, ans, w, cols: conv_matmul(t, cols),
       lambda t, ans, w, cols: conv_matmul(w, t))
