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
  gets no gradient. ``layout`` chooses how the columns are laid out:

  - ``"sample"`` (the default): (N, C*KH*KW, OH*OW), one matrix per sample.
  - ``"batch"``: the patches of the whole batch as the columns of one matrix,
    (C*KH*KW, N*OH*OW), column ``n*OH*OW + oh*OW + ow``: a convolution is
    then one product ``W.reshape(O, -1) @ cols`` for the whole batch (and its
    backward two), where ``"sample"`` makes it N small products.
  - ``"batch_inner"``: one matrix too, with the batch innermost,
    (C*KH*KW, OH*OW*N), column ``(oh*OW + ow)*N + n``. The input is read as
    (C, H, W, N) (one transposing copy, none when ``x`` is laid out that way
    in memory already), so every tap of the kernel copies runs of OW*N
    contiguous values, where the other layouts copy rows of OW; ``col2im``
    adds them back the same way and returns its (N, C, H, W) result laid out
    as (C, H, W, N) in memory.
* ``col2im(cols, input_shape, kernel_size, stride, padding, dilation)`` -- the
  adjoint: every entry of ``cols`` is added back into the position of ``x``
  it was read from (overlapping patches accumulate); padding is dropped.
  ``layout`` reads the columns laid out as ``im2col`` with it lays them out.

So the VJP of ``im2col`` is ``col2im`` and the VJP of ``col2im`` is ``im2col``,
and both rules run on Tensors: second derivatives of convolutions work.
Geometry arguments are pairs of ints; they get no gradient.

* ``conv_matmul(w, cols, bias)`` -- ``w @ cols`` (plus ``bias`` for each
  output channel), a convolution's product of its weight (O, C*KH*KW) and the
  batch's patches (C*KH*KW, N*OH*OW). A primitive
  for speed only: the weight's cotangent ``g @ cols.T`` sums over the N*OH*OW
  patches, tens of thousands for a batch of images, and OpenBLAS multiplies
  such thin, long operands at a fraction of its speed; ``conv_weight_grad``
  sums the same products over blocks of at most ``BLOCK_COLUMNS`` patches
  (issue 11's CNN: 0.2 ms instead of 0.57 ms for its first layer's weight).
  With ``batch_inner=(N, OH, OW)`` the patches are ``im2col``'s
  ``"batch_inner"`` layout and the product, (O, OH*OW*N), is returned as the
  (N, O, OH, OW) convolution output it holds, laid out as (O, OH, OW, N) in
  memory (no copy): elementwise layers and max pooling after it keep that
  layout, and the next convolution's ``im2col`` reads it without copying.
  The bias is added into the product in place and its cotangent summed over
  the rows of the (O, M) matrix: added as a broadcast (N, O, OH, OW) array it
  cost another array of the output's size and a sum over three axes.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .broadcast import shape_of
from .registry import defjvp, defvjp, primitive

__all__ = [
    "im2col",
    "col2im",
    "conv_output_size",
    "conv_matmul",
    "conv_output_matrix",
    "conv_bias_tangent",
    "conv_weight_grad",
    "BLOCK_COLUMNS",
    "LAYOUTS",
]

LAYOUTS = ("sample", "batch", "batch_inner")
"""The layouts of ``im2col``'s columns (see the module's docstring)."""


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


def _check_layout(layout):
    if layout not in LAYOUTS:
        raise ValueError(f"layout={layout!r}: im2col and col2im lay columns out as one of {LAYOUTS}")


def _tap(i, j, geometry):
    """The (rows, columns) slices of the padded input that tap (i, j) of the kernel reads for every patch."""
    sh, sw, dh, dw, oh, ow = geometry
    return slice(i * dh, i * dh + sh * (oh - 1) + 1, sh), slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)


@primitive
def im2col(x, kernel_size, stride=(1, 1), padding=(0, 0), dilation=(1, 1), pad_value=0.0, layout="sample"):
    """The patches of ``x`` as columns: (N, C*KH*KW, OH*OW), or one matrix for the batch (``layout``).

    Args:
        x: an array of shape (N, C, H, W).
        kernel_size: ``(KH, KW)``.
        stride: ``(SH, SW)``.
        padding: ``(PH, PW)``, added on both sides.
        dilation: ``(DH, DW)``: the spacing of the kernel's taps.
        pad_value: what positions in the padding read.
        layout: ``"sample"``, ``"batch"`` or ``"batch_inner"`` (the module's docstring shows each).

    Returns:
        An array of shape (N, C*KH*KW, OH*OW) (``"sample"``), (C*KH*KW, N*OH*OW) (``"batch"``) or
        (C*KH*KW, OH*OW*N) (``"batch_inner"``).

    Raises:
        ValueError: the kernel does not fit the padded input, or ``layout`` is none of ``LAYOUTS``.
    """
    x = np.asarray(x)
    _check_layout(layout)
    n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow = _geometry(x.shape, kernel_size, stride, padding, dilation)
    if layout == "batch_inner":
        image = np.ascontiguousarray(np.transpose(x, (1, 2, 3, 0)))  # (C, H, W, N); a view when laid out so
        if ph or pw:
            image = np.pad(image, ((0, 0), (ph, ph), (pw, pw), (0, 0)), constant_values=pad_value)
        cols = np.empty((c, kh, kw, oh, ow, n), dtype=image.dtype)
        for i in range(kh):
            for j in range(kw):
                cols[:, i, j] = image[(slice(None), *_tap(i, j, (sh, sw, dh, dw, oh, ow)))]
        return cols.reshape(c * kh * kw, oh * ow * n)
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value)
    windows = sliding_window_view(x, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
    windows = windows[:, :, : sh * (oh - 1) + 1 : sh, : sw * (ow - 1) + 1 : sw, ::dh, ::dw]
    if layout == "batch":
        return windows.transpose(1, 4, 5, 0, 2, 3).reshape(c * kh * kw, n * oh * ow)
    return windows.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, oh * ow)


@primitive
def col2im(cols, input_shape, kernel_size, stride=(1, 1), padding=(0, 0), dilation=(1, 1), layout="sample"):
    """The adjoint of ``im2col``: add every patch entry back where it was read from.

    Args:
        cols: an array laid out as ``im2col`` lays out the patches of an array of ``input_shape``.
        input_shape: ``(N, C, H, W)`` of the array the patches came from.
        kernel_size, stride, padding, dilation, layout: as for ``im2col``.

    Returns:
        An array of shape ``input_shape`` (laid out as (C, H, W, N) in memory for ``"batch_inner"``).

    Raises:
        ValueError: ``layout`` is none of ``LAYOUTS``.
    """
    cols = np.asarray(cols)
    _check_layout(layout)
    n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow = _geometry(
        tuple(input_shape), kernel_size, stride, padding, dilation)
    if layout == "batch_inner":
        image = np.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=cols.dtype)
        patches = cols.reshape(c, kh, kw, oh, ow, n)
        for i in range(kh):
            for j in range(kw):
                image[(slice(None), *_tap(i, j, (sh, sw, dh, dw, oh, ow)))] += patches[:, i, j]
        if ph or pw:
            image = np.ascontiguousarray(image[:, ph : ph + h, pw : pw + w])
        return np.transpose(image, (3, 0, 1, 2))
    out = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    if layout == "batch":  # (C, KH, KW, N, OH, OW), added into out seen as (C, N, H, W)
        patches, target = cols.reshape(c, kh, kw, n, oh, ow).transpose(1, 2, 0, 3, 4, 5), out.transpose(1, 0, 2, 3)
    else:
        patches, target = cols.reshape(n, c, kh, kw, oh, ow).transpose(2, 3, 0, 1, 4, 5), out
    for i in range(kh):
        for j in range(kw):
            target[(slice(None), slice(None), *_tap(i, j, (sh, sw, dh, dw, oh, ow)))] += patches[i, j]
    if ph or pw:
        out = np.ascontiguousarray(out[:, :, ph : ph + h, pw : pw + w])
    return out


defvjp(im2col,
       lambda g, ans, x, kernel_size, stride=(1, 1), padding=(0, 0), dilation=(1, 1), pad_value=0.0, layout="sample": col2im(g, shape_of(x), kernel_size, stride, padding, dilation, layout),
       None, None, None, None, None, None,
       backward_name="Im2ColBackward0")
defjvp(im2col,
       lambda t, ans, x, kernel_size, stride=(1, 1), padding=(0, 0), dilation=(1, 1), pad_value=0.0, layout="sample": im2col(t, kernel_size, stride, padding, dilation, 0.0, layout))

defvjp(col2im,
       lambda g, ans, cols, input_shape, kernel_size, stride=(1, 1), padding=(0, 0), dilation=(1, 1), layout="sample": im2col(g, kernel_size, stride, padding, dilation, 0.0, layout),
       None, None, None, None, None, None,
       backward_name="Col2ImBackward0")
defjvp(col2im,
       lambda t, ans, cols, input_shape, kernel_size, stride=(1, 1), padding=(0, 0), dilation=(1, 1), layout="sample": col2im(t, input_shape, kernel_size, stride, padding, dilation, layout))


BLOCK_COLUMNS = 8192
"""The most patches ``conv_weight_grad`` multiplies in one product."""


@primitive
def conv_matmul(w, cols, bias=None, batch_inner=None):
    """``w @ cols + bias[:, None]``: a convolution's weight (O, K) times the patches of the batch (K, M),
    ``im2col``'s ``"batch"`` or ``"batch_inner"`` layout, plus a bias for each of the O output channels. The
    same product as ``np.matmul``; its weight's cotangent is ``conv_weight_grad``.

    Args:
        w: the weight as a matrix, (O, K) with K = C*KH*KW.
        cols: the patches, (K, M) with M = N*OH*OW.
        bias: (O,), or ``None``.
        batch_inner: ``(N, OH, OW)`` when ``cols`` has the ``"batch_inner"`` layout: the product is then
            returned as the convolution's output (N, O, OH, OW), laid out as (O, OH, OW, N) in memory.

    Returns:
        (O, M), or (N, O, OH, OW) with ``batch_inner``.
    """
    out = np.matmul(w, cols)
    if bias is not None:
        column = np.reshape(bias, (-1, 1))
        if np.result_type(out, column) == out.dtype:
            out += column  # the product is a new array: add in place, without another allocation
        else:
            out = out + column
    if batch_inner is None:
        return out
    n, oh, ow = batch_inner
    return np.transpose(np.reshape(out, (-1, oh, ow, n)), (3, 0, 1, 2))


def conv_output_matrix(g, batch_inner):
    """The cotangent of ``conv_matmul(w, cols, batch_inner)`` as the (O, M) matrix its product made: ``g``
    itself, or (N, O, OH, OW) read as (O, OH*OW*N) (no copy when ``g`` is laid out as the output is)."""
    if batch_inner is None:
        return g
    return np.reshape(np.transpose(g, (1, 2, 3, 0)), (shape_of(g)[1], -1))


def conv_bias_tangent(t, ans, batch_inner):
    """The tangent of ``conv_matmul``'s output along its bias's tangent ``t`` (O,): ``t`` spread over the
    output, (O, M) or (N, O, OH, OW)."""
    return np.broadcast_to(np.reshape(t, (-1, 1) if batch_inner is None else (-1, 1, 1)), shape_of(ans))


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
       lambda g, ans, w, cols, bias=None, batch_inner=None: conv_weight_grad(conv_output_matrix(g, batch_inner), cols),
       lambda g, ans, w, cols, bias=None, batch_inner=None: np.matmul(np.transpose(w), conv_output_matrix(g, batch_inner)),
       lambda g, ans, w, cols, bias=None, batch_inner=None: np.sum(conv_output_matrix(g, batch_inner), axis=1),
       None,
       backward_name="MmBackward0")
defjvp(conv_matmul,
       lambda t, ans, w, cols, bias=None, batch_inner=None: conv_matmul(t, cols, None, batch_inner),
       lambda t, ans, w, cols, bias=None, batch_inner=None: conv_matmul(w, t, None, batch_inner),
       lambda t, ans, w, cols, bias=None, batch_inner=None: conv_bias_tangent(t, ans, batch_inner))
