"""``nn.functional``: the layers' computations as functions, with PyTorch's names and signatures.

Everything here is written with primitives of the rule table (``np.matmul``,
``np.where``, ``log_softmax``, ``im2col``, ...), so every function is
differentiable to any order and records as few nodes as it can. Inputs are
Tensors; targets may be Tensors or ndarrays. The default floating dtype is
srcgrad's (float64), not PyTorch's float32.
"""

import math
import numbers
import operator

import numpy as np

from .. import creation as _creation
from .. import rules as _rules
from .. import shape_errors as _shapes
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..rules.conv import col2im, conv_output_size, im2col
from ..tensor import Tensor, _record, _record_fast

__all__ = [
    # linear
    "linear", "bilinear", "identity",
    # activations
    "relu", "relu_", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish", "sigmoid", "tanh",
    "softplus", "softsign", "hardtanh", "hardsigmoid", "hardswish", "logsigmoid", "tanhshrink", "softmax",
    "log_softmax", "softmin", "normalize", "prelu", "glu", "threshold", "hardshrink", "softshrink",
    # convolution and pooling
    "conv1d", "conv2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool2d",
    "unfold", "fold", "pad", "conv_transpose2d", "interpolate", "pixel_shuffle", "pixel_unshuffle",
    "adaptive_max_pool2d",
    # regularisation and normalisation
    "dropout", "dropout1d", "dropout2d", "layer_norm", "batch_norm", "group_norm", "instance_norm",
    # embeddings and encodings
    "embedding", "one_hot",
    # losses
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "kl_div", "cosine_embedding_loss", "margin_ranking_loss",
    "hinge_embedding_loss", "soft_margin_loss", "multilabel_soft_margin_loss", "multi_margin_loss",
    "triplet_margin_loss", "poisson_nll_loss", "gaussian_nll_loss",
    # distances and attention
    "cosine_similarity", "pairwise_distance", "scaled_dot_product_attention",
]


# -- helpers ---------------------------------------------------------------------------------------

def _tensor(x):
    return x if isinstance(x, Tensor) else Tensor._wrap(np.asarray(x))


def _raw(x):
    return x._value if isinstance(x, Tensor) else np.asarray(x)


def _single(v):
    return int(v[0]) if isinstance(v, (tuple, list)) else int(v)


def _pair(v, name="kernel_size"):
    if isinstance(v, numbers.Integral):
        return (int(v), int(v))
    v = tuple(int(n) for n in v)
    if len(v) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {v}")
    return v


def _reduction(size_average, reduce, reduction):
    """PyTorch's deprecated ``size_average``/``reduce`` pair mapped to ``reduction``."""
    if size_average is None and reduce is None:
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"{reduction} is not a valid value for reduction")
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _reduce(loss, reduction):
    if reduction == "mean":
        return _record(np.mean, (loss,), {})
    if reduction == "sum":
        return _record(np.sum, (loss,), {})
    return loss


def _check_same_size(input, target, name):
    if tuple(input.shape) != tuple(np.shape(_raw(target))):
        raise ValueError(f"Using a target size ({tuple(np.shape(_raw(target)))}) that is different to the input "
                         f"size ({tuple(input.shape)}) is not supported by {name}; broadcast it explicitly.")


# -- linear --------------------------------------------------------------------------------------

def linear(input, weight, bias=None):
    """``input @ weight.T + bias``.

    Args:
        input: (*, in_features).
        weight: (out_features, in_features).
        bias: (out_features,) or ``None``.

    Returns:
        (*, out_features).
    """
    if weight.ndim != 2:
        raise ValueError(f"linear expects a weight of shape (out_features, in_features), got {list(weight.shape)}")
    _shapes.raise_if(_shapes.linear_message(np.shape(input), weight.shape))  # PyTorch's words, before numpy's
    # PyTorch's graph: the weight behind a TBackward0, then addmm (AddmmBackward0, edges bias, input,
    # weight), or a matrix product (MmBackward0) without a bias. (On more than 2 dimensions PyTorch
    # reshapes to rows and back around the addmm, two ViewBackward0 nodes srcgrad does not record.)
    weight_t = _record_fast(_rules.transpose2d, weight)
    if bias is None:
        return _record(np.matmul, (input, weight_t), {})
    if input.ndim >= 2 and np.ndim(bias) == 1:
        return _record(_rules.addmm, (bias, input, weight_t), {})
    return _record(_rules.linear, (input, weight, bias), {})  # one input row, or a bias of several axes


def bilinear(input1, input2, weight, bias=None):
    """``y[..., k] = x1 @ weight[k] @ x2 + bias[k]``.

    Args:
        input1: (*, in1_features).
        input2: (*, in2_features).
        weight: (out_features, in1_features, in2_features).
        bias: (out_features,) or ``None``.

    Returns:
        (*, out_features).
    """
    lead = tuple(input1.shape[:-1])
    x1 = _record(np.reshape, (input1, (-1, input1.shape[-1])), {})
    x2 = _record(np.reshape, (input2, (-1, input2.shape[-1])), {})
    out = np.einsum("bi,kij,bj->bk", x1, weight, x2)
    out = _record(np.reshape, (out, lead + (weight.shape[0],)), {})
    if bias is not None:
        out = out + bias
    return out


def identity(input):
    """``input`` itself."""
    return input


# -- activations ------------------------------------------------------------------------------------

def relu(input, inplace=False):
    """``max(x, 0)``; the gradient at 0 is 0 (``inplace`` is accepted and ignored)."""
    return _rules.relu(input)


def relu_(input):
    """``relu`` (srcgrad returns a new Tensor; nothing is modified in place)."""
    return _rules.relu(input)


def relu6(input, inplace=False):
    """``min(max(x, 0), 6)``."""
    return hardtanh(input, 0.0, 6.0)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """``x`` where ``x > 0``, else ``negative_slope * x``."""
    return _record(np.where, (_raw(input) > 0, input, _record(np.multiply, (input, negative_slope), {})), {})


def elu(input, alpha=1.0, inplace=False):
    """``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)``."""
    positive = _raw(input) > 0
    negative_part = _record(np.where, (positive, 0.0, input), {})  # keeps exp from overflowing
    return _record(np.where, (positive, input, alpha * _record(np.expm1, (negative_part,), {})), {})


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    """``scale * elu(x, alpha)`` with the self-normalising constants."""
    return _SELU_SCALE * elu(input, _SELU_ALPHA)


def celu(input, alpha=1.0, inplace=False):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    positive = _raw(input) > 0
    negative_part = _record(np.where, (positive, 0.0, input), {})
    return _record(np.where, (positive, input, alpha * _record(np.expm1, (negative_part / alpha,), {})), {})


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)

_erfc = np.vectorize(math.erfc, otypes=[np.float64])


def _ndtr(x):
    """The standard normal CDF, ``erfc(-x / sqrt(2)) / 2``: full precision in both tails."""
    return 0.5 * _erfc(np.asarray(x, dtype=np.float64) / -math.sqrt(2.0))


class _NormalCDF(Function):
    """``Phi(x) = (1 + erf(x / sqrt(2))) / 2`` with backward ``g * exp(-x**2 / 2) / sqrt(2 pi)``.

    A ``Function`` because numpy has no ``erf``; its backward is Tensor code, so
    higher derivatives work. (Replace it with a rule-table primitive once one exists.)
    """

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return Tensor._wrap(_ndtr(x._value).astype(x.dtype, copy=False))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (np.exp(-0.5 * x * x) * _INV_SQRT_2PI)


def gelu(input, approximate="none"):
    """``x * Phi(x)``, Phi the standard normal CDF; ``approximate='tanh'`` uses the tanh formula.

    Args:
        input: any shape.
        approximate: ``'none'`` (exact, with erf) or ``'tanh'``.

    Raises:
        RuntimeError: another ``approximate``.
    """
    if approximate == "none":
        return _record(np.multiply, (input, _NormalCDF.apply(input)), {})
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (input + 0.044715 * input * input * input)
        return 0.5 * input * (1.0 + _record(np.tanh, (inner,), {}))
    raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")


def silu(input, inplace=False):
    """``x * sigmoid(x)``."""
    return _record(np.multiply, (input, _rules.sigmoid(input)), {})


def mish(input, inplace=False):
    """``x * tanh(softplus(x))``."""
    return input * _record(np.tanh, (_rules.softplus(input),), {})


def sigmoid(input):
    """``1 / (1 + exp(-x))``, without overflow."""
    return _rules.sigmoid(input)


def tanh(input):
    """Hyperbolic tangent."""
    return _record(np.tanh, (input,), {})


def softplus(input, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta * x)) / beta``; ``x`` itself where ``beta * x > threshold``."""
    scaled = input if beta == 1 else input * beta
    smooth = _rules.softplus(scaled)
    if beta != 1:
        smooth = smooth / beta
    return _record(np.where, (_raw(scaled) > threshold, input, smooth), {})


def softsign(input):
    """``x / (1 + |x|)``."""
    return input / (1.0 + _record(np.absolute, (input,), {}))


def prelu(input, weight):
    """``x`` where ``x > 0``, else ``weight * x``; a weight of several values runs along dimension 1."""
    if weight.numel() > 1 and input.ndim >= 2:
        weight = _record(np.reshape, (weight, (-1,) + (1,) * (input.ndim - 2)), {})
    return _record(np.where, (_raw(input) > 0, input, _record(np.multiply, (input, weight), {})), {})


def glu(input, dim=-1):
    """The gated linear unit: ``a * sigmoid(b)`` with ``a, b`` the halves of ``input`` along ``dim``.

    Raises:
        RuntimeError: an odd length along ``dim``.
    """
    if input.shape[dim] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % input.ndim} is size "
                           f"{input.shape[dim]}")
    a, b = np.split(input, 2, axis=dim)
    return a * _rules.sigmoid(b)


def threshold(input, threshold, value, inplace=False):
    """``x`` where ``x > threshold``, else ``value``."""
    return _record(np.where, (_raw(input) > threshold, input, value), {})


def hardshrink(input, lambd=0.5):
    """``x`` where ``|x| > lambd``, else 0."""
    return _record(np.where, (np.abs(_raw(input)) > lambd, input, 0.0), {})


def softshrink(input, lambd=0.5):
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0."""
    value = _raw(input)
    below = _record(np.where, (value < -lambd, input + lambd, 0.0), {})
    return _record(np.where, (value > lambd, input - lambd, below), {})


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """``x`` clamped to ``[min_val, max_val]``; the gradient is 0 outside the open interval."""
    value = _raw(input)
    inside = (value > min_val) & (value < max_val)
    return _record(np.where, (inside, input, np.clip(value, min_val, max_val)), {})


def hardsigmoid(input, inplace=False):
    """``relu6(x + 3) / 6``."""
    return hardtanh(input / 6.0 + 0.5, 0.0, 1.0)


def hardswish(input, inplace=False):
    """``x * relu6(x + 3) / 6``."""
    value = _raw(input)
    mid = input * (input + 3.0) / 6.0
    return _record(np.where, (value <= -3, 0.0, _record(np.where, (value >= 3, input, mid), {})), {})


def logsigmoid(input):
    """``log(sigmoid(x)) = -softplus(-x)``, without overflow."""
    return -_rules.softplus(-input)


def tanhshrink(input):
    """``x - tanh(x)``."""
    return input - _record(np.tanh, (input,), {})


def _softmax_dim(ndim):
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``exp(x) / sum(exp(x))`` along ``dim``, without overflow.

    Args:
        input: any shape.
        dim: the dimension that sums to 1 (PyTorch's legacy default when omitted).
        dtype: cast the input to this dtype first.
    """
    if dtype is not None:
        input = input.type(dtype)
    if dim is None:
        dim = _softmax_dim(input.ndim)
    return _rules.softmax(input, axis=dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``x - logsumexp(x)`` along ``dim`` (one fused primitive).

    Args:
        input: any shape.
        dim: the dimension normalised over (PyTorch's legacy default when omitted).
        dtype: cast the input to this dtype first.
    """
    if dtype is not None:
        input = input.type(dtype)
    if dim is None:
        dim = _softmax_dim(input.ndim)
    return _rules.log_softmax(input, axis=dim)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """``softmax(-x)`` along ``dim``."""
    return softmax(-input, dim, dtype=dtype)


def _norm(input, p, dim):
    if p == 2:
        return _record(np.sqrt, (_record(np.sum, (input * input,), {"axis": dim, "keepdims": True}),), {})
    return _record(np.linalg.norm, (input,), {"ord": p, "axis": dim, "keepdims": True})


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``x / max(||x||_p, eps)`` along ``dim``.

    A slice whose norm is below ``eps`` (a zero row) is divided by the constant
    ``eps``: its gradient is ``g / eps``, as in PyTorch, where the norm's own
    derivative at zero would give ``0 * inf = nan``.
    """
    norm = _norm(input, p, dim)
    small = _raw(norm) < eps
    if not small.any():
        return input / norm
    # The norm of the small slices is not used: take it of ones, so nothing differentiates it at zero.
    safe = _record(np.where, (small, 1.0, input), {})
    return input / _record(np.where, (small, eps, _norm(safe, p, dim)), {})


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """``x1 . x2 / max(||x1|| * ||x2||, eps)`` along ``dim``."""
    dot = _record(np.sum, (x1 * x2,), {"axis": dim})
    n1 = _record(np.sum, (x1 * x1,), {"axis": dim})
    n2 = _record(np.sum, (x2 * x2,), {"axis": dim})
    return dot / _record(np.sqrt, (_record(np.maximum, (n1 * n2, eps * eps), {}),), {})


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """``softmax(q @ k.T * scale + mask) @ v`` over the last two dimensions.

    Args:
        query: (..., L, E).
        key: (..., S, E).
        value: (..., S, Ev).
        attn_mask: a boolean mask (True: may attend) or a float mask added to the scores,
            broadcastable to (..., L, S).
        dropout_p: dropout on the attention weights.
        is_causal: mask out the keys after each query (top-left aligned).
        scale: defaults to ``1 / sqrt(E)``.

    Returns:
        (..., L, Ev).
    """
    e = query.shape[-1]
    scale = 1.0 / math.sqrt(e) if scale is None else scale
    scores = _record(np.matmul, (query, _record(np.swapaxes, (key, -1, -2), {})), {}) * scale
    length, source = query.shape[-2], key.shape[-2]
    if is_causal:
        causal = np.tril(np.ones((length, source), dtype=bool))
        attn_mask = causal if attn_mask is None else _raw(attn_mask) & causal
    if attn_mask is not None:
        mask = _raw(attn_mask)
        if mask.dtype == np.bool_:
            scores = _record(np.where, (mask, scores, -np.inf), {})
        else:
            scores = scores + attn_mask
    weights = _rules.softmax(scores, axis=-1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return _record(np.matmul, (weights, value), {})


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """``||x1 - x2 + eps||_p`` along the last dimension."""
    return _record(np.linalg.norm, (x1 - x2 + eps,), {"ord": p, "axis": -1, "keepdims": keepdim})


# -- convolution and pooling ---------------------------------------------------------------------------

def _conv2d_raw(input, weight, bias, stride, padding, dilation, groups=1):
    n, channels, h, w = input.shape
    out_channels, in_per_group, kh, kw = weight.shape
    if channels != in_per_group * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
                           f"{list(input.shape)} to have {in_per_group * groups} channels, but got {channels} "
                           "channels instead")
    if out_channels % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size {list(weight.shape)} instead")
    oh = conv_output_size(h, kh, stride[0], padding[0], dilation[0])
    ow = conv_output_size(w, kw, stride[1], padding[1], dilation[1])
    if oh < 1 or ow < 1:
        raise RuntimeError(f"Calculated padded input size per channel: ({h + 2 * padding[0]} x {w + 2 * padding[1]}). "
                           f"Kernel size: ({dilation[0] * (kh - 1) + 1} x {dilation[1] * (kw - 1) + 1}). "
                           "Kernel size can't be greater than actual input size")
    cols = _record(im2col, (input, (kh, kw)), {"stride": stride, "padding": padding, "dilation": dilation})
    k = in_per_group * kh * kw
    if groups == 1:
        w2 = _record(np.reshape, (weight, (out_channels, k)), {})
        out = _record(np.matmul, (w2, cols), {})  # (N, O, OH*OW): already in NCHW order
    else:  # one product per group: (G, O/G, K) @ (N, G, K, L) -> (N, G, O/G, L)
        w3 = _record(np.reshape, (weight, (groups, out_channels // groups, k)), {})
        cols = _record(np.reshape, (cols, (n, groups, k, oh * ow)), {})
        out = _record(np.reshape, (_record(np.matmul, (w3, cols), {}), (n, out_channels, oh * ow)), {})
    if bias is not None:
        out = _record(np.add, (out, _record(np.reshape, (bias, (out_channels, 1)), {})), {})
    return _record(np.reshape, (out, (n, out_channels, oh, ow)), {})


def _conv_padding(padding, kernel, dilation):
    """``(symmetric padding, extra padding at the bottom/right)``; 'same' with an even span pads the right more."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "same":
            total = [d * (k - 1) for k, d in zip(kernel, dilation)]
            return tuple(t // 2 for t in total), tuple(t % 2 for t in total)
        raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
    return _pair(padding, "padding"), (0, 0)


def _pad_extra(input, extra):
    if extra == (0, 0):
        return input
    widths = ((0, 0),) * (input.ndim - 2) + ((0, extra[0]), (0, extra[1]))
    return _record(np.pad, (input, widths), {"constant_values": 0.0})


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation (PyTorch's ``conv2d``), as ``im2col`` and one matrix product.

    Args:
        input: (N, C_in, H, W) or unbatched (C_in, H, W).
        weight: (C_out, C_in, KH, KW).
        bias: (C_out,) or ``None``.
        stride: an int or a pair.
        padding: an int, a pair, ``'valid'`` or ``'same'`` (zeros on both sides; for an even
            kernel span ``'same'`` pads the bottom/right one more, as PyTorch does).
        dilation: an int or a pair.
        groups: split the channels into this many groups, each convolved with its own filters.

    Returns:
        (N, C_out, H_out, W_out) with ``H_out = (H + 2*padding - dilation*(KH-1) - 1) // stride + 1``.

    Raises:
        RuntimeError: the channel counts do not match, or the kernel does not fit the padded input.
    """
    unbatched = input.ndim == 3
    if unbatched:
        input = _record(np.expand_dims, (input, 0), {})
    kernel = tuple(weight.shape[2:])
    dilation = _pair(dilation, "dilation")
    pad, extra = _conv_padding(padding, kernel, dilation)
    out = _conv2d_raw(_pad_extra(input, extra), weight, bias, _pair(stride, "stride"), pad, dilation, groups)
    return out[0] if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation (PyTorch's ``conv1d``), through ``conv2d`` with a height of 1.

    Args:
        input: (N, C_in, L) or unbatched (C_in, L).
        weight: (C_out, C_in, K).
        bias: (C_out,) or ``None``.
        stride, padding, dilation: ints (``padding`` also ``'valid'``/``'same'``).
        groups: split the channels into this many groups.

    Returns:
        (N, C_out, L_out).
    """
    unbatched = input.ndim == 2
    if unbatched:
        input = _record(np.expand_dims, (input, 0), {})
    dilation, stride = _single(dilation), _single(stride)
    pad, extra = _conv_padding(padding if isinstance(padding, str) else (0, _single(padding)), (1, weight.shape[2]),
                               (1, dilation))
    x4 = _pad_extra(_record(np.expand_dims, (input, 2), {}), extra)
    w4 = _record(np.expand_dims, (weight, 2), {})
    out = _conv2d_raw(x4, w4, bias, (1, stride), pad, (1, dilation), groups)
    out = _record(np.squeeze, (out,), {"axis": 2})
    return out[0] if unbatched else out


def _pool_size(size, kernel, stride, padding, dilation, ceil_mode):
    """PyTorch's pooling output length, and the extra right padding ``ceil_mode`` needs."""
    span = dilation * (kernel - 1) + 1
    if not ceil_mode:
        return (size + 2 * padding - span) // stride + 1, 0
    out = -(-(size + 2 * padding - span) // stride) + 1
    if (out - 1) * stride >= size + padding:  # the last window must start inside the input or the left padding
        out -= 1
    return out, max(0, (out - 1) * stride + span - (size + 2 * padding))


def _pool_geometry(input, kernel, stride, padding, dilation, ceil_mode):
    """``(OH, OW, extra_h, extra_w, tiles)``; ``tiles``: the windows tile the input exactly."""
    h, w = input.shape[2:]
    for p, k, d in zip(padding, kernel, dilation):
        if 2 * p > d * (k - 1) + 1:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation={d}")
    oh, extra_h = _pool_size(h, kernel[0], stride[0], padding[0], dilation[0], ceil_mode)
    ow, extra_w = _pool_size(w, kernel[1], stride[1], padding[1], dilation[1], ceil_mode)
    if oh < 1 or ow < 1:
        raise RuntimeError(f"Given input size: ({input.shape[1]}x{h}x{w}). Calculated output size: "
                           f"({input.shape[1]}x{oh}x{ow}). Output size is too small")
    tiles = (stride == kernel and padding == (0, 0) and dilation == (1, 1) and not extra_h and not extra_w
             and h == oh * kernel[0] and w == ow * kernel[1])
    return oh, ow, extra_h, extra_w, tiles


def _pool_patches(input, kernel, stride, padding, dilation, pad_value, extra=(0, 0)):
    """The pooling windows of (N, C, H, W) as (N*C, KH*KW, OH*OW); ``extra`` pads the bottom/right more."""
    n, c, h, w = input.shape
    flat = _record(np.reshape, (input, (n * c, 1, h, w)), {})
    if extra != (0, 0):  # ceil_mode: pad explicitly, unevenly
        widths = ((0, 0), (0, 0), (padding[0], padding[0] + extra[0]), (padding[1], padding[1] + extra[1]))
        flat = _record(np.pad, (flat, widths), {"constant_values": pad_value})
        padding = (0, 0)
    return _record(im2col, (flat, kernel), {"stride": stride, "padding": padding, "dilation": dilation,
                                            "pad_value": pad_value})


def _pool_args(input, kernel_size, stride, padding):
    kernel = _pair(kernel_size)
    stride = kernel if stride is None or stride == [] else _pair(stride, "stride")
    unbatched = input.ndim == 3
    if unbatched:
        input = _record(np.expand_dims, (input, 0), {})
    return input, kernel, stride, _pair(padding, "padding"), unbatched


def _max_positions(value, kernel, stride, padding, dilation, oh, ow):
    """Where each window's maximum is: the (row, col) in the input of the first largest tap, as PyTorch picks it.

    A loop over the kernel's taps, each a strided view of all windows at once,
    keeping the running maximum and the offsets of the tap that holds it
    (updated by arithmetic, which is much faster than masked copies).
    A NaN wins (PyTorch's rule); a tap in the padding never does.
    """
    n, c, h, w = value.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    rows0 = np.arange(oh) * sh - ph
    cols0 = np.arange(ow) * sw - pw
    extra_h = max(0, rows0[-1] + dh * (kh - 1) + 1 - (h + ph))
    extra_w = max(0, cols0[-1] + dw * (kw - 1) + 1 - (w + pw))
    padded = bool(ph or pw or extra_h or extra_w)
    if padded:
        value = np.pad(value, ((0, 0), (0, 0), (ph, ph + extra_h), (pw, pw + extra_w)), constant_values=-np.inf)
    has_nan = bool(np.isnan(np.sum(value)))  # may also be true for +inf and -inf together: then just slower
    shape = (n, c, oh, ow)
    offset_type = np.int32 if max(dh * kh, dw * kw) < 2 ** 31 else np.int64
    row_offset = np.zeros(shape, dtype=offset_type)
    col_offset = np.zeros(shape, dtype=offset_type)
    better = np.empty(shape, dtype=bool)
    if padded:
        best = np.full(shape, -np.inf, dtype=value.dtype)
        found = np.zeros(shape, dtype=bool)  # a tap inside the input has been taken
    for i in range(kh):
        for j in range(kw):
            tap = value[:, :, i * dh : i * dh + sh * (oh - 1) + 1 : sh, j * dw : j * dw + sw * (ow - 1) + 1 : sw]
            if i == 0 and j == 0 and not padded:  # the first tap is inside the input everywhere
                best = np.array(tap, copy=True)
                continue
            np.greater(tap, best, out=better)
            if has_nan:
                better |= np.isnan(tap)
            if padded:  # the first tap inside the input is taken even when it is -inf
                rows, cols = rows0 + i * dh, cols0 + j * dw
                inside = ((rows >= 0) & (rows < h))[:, None] & ((cols >= 0) & (cols < w))[None, :]
                better |= ~found
                better &= inside
                found |= inside
            np.maximum(best, tap, out=best)  # NaN propagates, as the offsets do
            if i * dh:
                row_offset += better * (offset_type(i * dh) - row_offset)
            else:
                row_offset *= ~better
            if j * dw:
                col_offset += better * (offset_type(j * dw) - col_offset)
            else:
                col_offset *= ~better
    return rows0[:, None] + row_offset, cols0[None, :] + col_offset


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The largest value of each window; the gradient goes to the first largest, as in PyTorch.

    The positions of the maxima are found on the raw values; the output is one
    differentiable gather of those positions (so the backward is a scatter-add).

    Args:
        input: (N, C, H, W) or (C, H, W).
        kernel_size: an int or a pair.
        stride: defaults to ``kernel_size``.
        padding: implicit ``-inf`` padding on both sides (at most half the kernel).
        dilation: the spacing of the window's taps.
        ceil_mode: round the output size up (windows may overhang the bottom/right edge).
        return_indices: also return the flat index (into H*W) of each maximum.

    Returns:
        (N, C, H_out, W_out), and the indices when asked.
    """
    input, kernel, stride, padding, unbatched = _pool_args(input, kernel_size, stride, padding)
    dilation = _pair(dilation, "dilation")
    n, c, h, w = input.shape
    oh, ow, _, _, _ = _pool_geometry(input, kernel, stride, padding, dilation, ceil_mode)
    rows, cols = _max_positions(input._value, kernel, stride, padding, dilation, oh, ow)
    positions = rows * w + cols  # (N, C, OH, OW), into each H*W plane
    flat_index = (positions + (np.arange(n * c) * (h * w)).reshape(n, c, 1, 1)).reshape(-1)
    flat = _record(np.reshape, (input, (-1,)), {})
    out = _record(np.reshape, (_record(operator.getitem, (flat, flat_index), {}), (n, c, oh, ow)), {})
    if unbatched:
        out = out[0]
        positions = positions[0]
    return (out, Tensor._wrap(positions)) if return_indices else out


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """The mean of each window.

    Args:
        input: (N, C, H, W) or (C, H, W).
        kernel_size: an int or a pair.
        stride: defaults to ``kernel_size``.
        padding: implicit zero padding on both sides (at most half the kernel).
        ceil_mode: round the output size up (windows may overhang the bottom/right edge; the
            overhang is never counted in the divisor).
        count_include_pad: divide by the window's part inside the padded input (True) or inside the input.
        divisor_override: divide by this instead.

    Returns:
        (N, C, H_out, W_out).
    """
    input, kernel, stride, padding, unbatched = _pool_args(input, kernel_size, stride, padding)
    n, c, h, w = input.shape
    oh, ow, extra_h, extra_w, tiles = _pool_geometry(input, kernel, stride, padding, (1, 1), ceil_mode)
    if tiles:
        blocks = _record(np.reshape, (input, (n, c, oh, kernel[0], ow, kernel[1])), {})
        total = _record(np.sum, (blocks,), {"axis": (3, 5)})
    else:
        cols = _pool_patches(input, kernel, stride, padding, (1, 1), 0.0, (extra_h, extra_w))
        total = _record(np.reshape, (_record(np.sum, (cols,), {"axis": 1}), (n, c, oh, ow)), {})
    if divisor_override is not None:
        out = total / float(divisor_override)
    elif (count_include_pad or padding == (0, 0)) and not (extra_h or extra_w):
        out = total / float(kernel[0] * kernel[1])
    else:
        # the divisor counts the window's positions inside the padded input (count_include_pad) or the input
        ph, pw = padding
        inside = np.ones((1, 1, h + 2 * ph, w + 2 * pw) if count_include_pad else (1, 1, h, w), dtype=input.dtype)
        lo_h, lo_w = (0, 0) if count_include_pad else (ph, pw)
        inside = np.pad(inside, ((0, 0), (0, 0), (lo_h, lo_h + extra_h), (lo_w, lo_w + extra_w)))
        counts = im2col(inside, kernel, stride).sum(axis=1).reshape(oh, ow)
        out = total / counts
    return out[0] if unbatched else out


def _one_d(pool, input, kernel_size, stride, padding, **kwargs):
    stride = _single(kernel_size) if stride is None else _single(stride)
    x4 = _record(np.expand_dims, (input, -2), {})
    out = pool(x4, (1, _single(kernel_size)), (1, stride), (0, _single(padding)), **kwargs)
    if isinstance(out, tuple):
        return _record(np.squeeze, (out[0],), {"axis": -2}), Tensor._wrap(np.squeeze(out[1]._value, axis=-2))
    return _record(np.squeeze, (out,), {"axis": -2})


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """``max_pool2d`` over the last dimension of (N, C, L) or (C, L)."""
    return _one_d(max_pool2d, input, kernel_size, stride, padding, dilation=(1, _single(dilation)),
                  ceil_mode=ceil_mode, return_indices=return_indices)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """``avg_pool2d`` over the last dimension of (N, C, L) or (C, L)."""
    return _one_d(avg_pool2d, input, kernel_size, stride, padding, ceil_mode=ceil_mode,
                  count_include_pad=count_include_pad)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size; window ``i`` spans ``floor(i*H/OH) .. ceil((i+1)*H/OH)``.

    Args:
        input: (N, C, H, W) or (C, H, W).
        output_size: an int or a pair (``None`` keeps that size).

    Returns:
        (N, C, OH, OW) (or (C, OH, OW)).
    """
    if isinstance(output_size, numbers.Integral):
        output_size = (output_size, output_size)
    h, w = input.shape[-2:]
    oh = h if output_size[0] is None else int(output_size[0])
    ow = w if output_size[1] is None else int(output_size[1])
    if h % oh == 0 and w % ow == 0:
        k = (h // oh, w // ow)
        return avg_pool2d(input, k, k)

    def pool_matrix(size, out):
        m = np.zeros((out, size), dtype=input.dtype)
        for i in range(out):
            start, stop = (i * size) // out, -((-(i + 1) * size) // out)
            m[i, start:stop] = 1.0 / (stop - start)
        return m

    rows, cols = pool_matrix(h, oh), pool_matrix(w, ow)
    return _record(np.matmul, (_record(np.matmul, (rows, input), {}), cols.T), {})


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """The sliding blocks of (N, C, H, W) as columns: (N, C*KH*KW, L) (PyTorch's ``unfold``)."""
    return _record(im2col, (input, _pair(kernel_size)), {"stride": _pair(stride, "stride"),
                                                          "padding": _pair(padding, "padding"),
                                                          "dilation": _pair(dilation, "dilation")})


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The adjoint of ``unfold``: sum the columns (N, C*KH*KW, L) back into (N, C, H, W) (``col2im``).

    Raises:
        RuntimeError: the sizes do not fit together.
    """
    kernel = _pair(kernel_size)
    size = _pair(output_size, "output_size")
    n, rows, blocks = input.shape
    if rows % (kernel[0] * kernel[1]):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
                           f"but got input.size(1)={rows} and kernel_size={kernel}")
    geometry = {"stride": _pair(stride, "stride"), "padding": _pair(padding, "padding"),
                "dilation": _pair(dilation, "dilation")}
    oh = conv_output_size(size[0], kernel[0], geometry["stride"][0], geometry["padding"][0], geometry["dilation"][0])
    ow = conv_output_size(size[1], kernel[1], geometry["stride"][1], geometry["padding"][1], geometry["dilation"][1])
    if oh * ow != blocks:
        raise RuntimeError(f"Given output_size={size}, kernel_size={kernel}, expected size of input's dimension 2 "
                           f"to match the calculated number of sliding blocks {oh} * {ow} = {oh * ow}, but got "
                           f"input.size(2)={blocks}.")
    return _record(col2im, (input, (n, rows // (kernel[0] * kernel[1])) + size, kernel), geometry)


def pixel_shuffle(input, upscale_factor):
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r): each group of r*r channels becomes an r x r block."""
    r = int(upscale_factor)
    *lead, c, h, w = input.shape
    x = _record(np.reshape, (input, tuple(lead) + (c // (r * r), r, r, h, w)), {})
    k = len(lead)
    x = _record(np.transpose, (x, tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2)), {})
    return _record(np.reshape, (x, tuple(lead) + (c // (r * r), h * r, w * r)), {})


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W): the inverse of ``pixel_shuffle``."""
    r = int(downscale_factor)
    *lead, c, h, w = input.shape
    x = _record(np.reshape, (input, tuple(lead) + (c, h // r, r, w // r, r)), {})
    k = len(lead)
    x = _record(np.transpose, (x, tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3)), {})
    return _record(np.reshape, (x, tuple(lead) + (c * r * r, h // r, w // r)), {})


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size; window ``i`` spans ``floor(i*H/OH) .. ceil((i+1)*H/OH)``.

    Args:
        input: (N, C, H, W) or (C, H, W).
        output_size: an int or a pair (``None`` keeps that size).
        return_indices: also return the flat index (into H*W) of each maximum.

    Returns:
        (N, C, OH, OW), and the indices when asked.
    """
    if isinstance(output_size, numbers.Integral):
        output_size = (output_size, output_size)
    h, w = input.shape[-2:]
    oh = h if output_size[0] is None else int(output_size[0])
    ow = w if output_size[1] is None else int(output_size[1])
    if h % oh == 0 and w % ow == 0:
        return max_pool2d(input, (h // oh, w // ow), return_indices=return_indices)
    unbatched = input.ndim == 3
    if unbatched:
        input = _record(np.expand_dims, (input, 0), {})
    value = input._value
    n, c = value.shape[:2]
    positions = np.empty((n, c, oh, ow), dtype=np.int64)
    for i in range(oh):
        r0, r1 = (i * h) // oh, -(-((i + 1) * h) // oh)
        for j in range(ow):
            c0, c1 = (j * w) // ow, -(-((j + 1) * w) // ow)
            window = value[:, :, r0:r1, c0:c1].reshape(n, c, -1)
            nan = np.isnan(window)
            # the first largest, or the last NaN (PyTorch's rule)
            best = np.where(nan.any(-1), window.shape[-1] - 1 - np.argmax(nan[..., ::-1], -1), np.argmax(window, -1))
            rows, cols = np.divmod(best, c1 - c0)
            positions[:, :, i, j] = (r0 + rows) * w + c0 + cols
    flat_index = (positions + (np.arange(n * c) * (h * w)).reshape(n, c, 1, 1)).reshape(-1)
    flat = _record(np.reshape, (input, (-1,)), {})
    out = _record(np.reshape, (_record(operator.getitem, (flat, flat_index), {}), (n, c, oh, ow)), {})
    if unbatched:
        out, positions = out[0], positions[0]
    return (out, Tensor._wrap(positions)) if return_indices else out


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The adjoint of ``conv2d`` with respect to its input (a "deconvolution"), as ``col2im`` of one product.

    Args:
        input: (N, C_in, H, W) or (C_in, H, W).
        weight: (C_in, C_out / groups, KH, KW).
        bias: (C_out,) or ``None``.
        stride, padding, output_padding, dilation: ints or pairs (``output_padding`` < stride or dilation).
        groups: split the channels into this many groups.

    Returns:
        (N, C_out, H_out, W_out) with
        ``H_out = (H - 1) * stride - 2 * padding + dilation * (KH - 1) + output_padding + 1``.

    Raises:
        RuntimeError: the channel counts do not match.
    """
    unbatched = input.ndim == 3
    if unbatched:
        input = _record(np.expand_dims, (input, 0), {})
    stride, padding = _pair(stride, "stride"), _pair(padding, "padding")
    output_padding, dilation = _pair(output_padding, "output_padding"), _pair(dilation, "dilation")
    n, channels, h, w = input.shape
    in_channels, out_per_group, kh, kw = weight.shape
    out_channels = out_per_group * groups
    if in_channels % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size {list(weight.shape)} instead")
    if channels != in_channels:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected input"
                           f"{list(input.shape)} to have {in_channels} channels, but got {channels} channels instead")
    for op, s_, d in zip(output_padding, stride, dilation):
        if op >= max(s_, d):
            raise RuntimeError("output padding must be smaller than either stride or dilation")
    oh = (h - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kh - 1) + output_padding[0] + 1
    ow = (w - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kw - 1) + output_padding[1] + 1
    if groups == 1:
        w2 = _record(np.reshape, (weight, (in_channels, out_channels * kh * kw)), {})
        x3 = _record(np.reshape, (input, (n, in_channels, h * w)), {})
        cols = _record(np.matmul, (_record(np.transpose, (w2,), {}), x3), {})  # (N, C_out*KH*KW, H*W)
    else:  # one product per group: (G, C_out/G*KH*KW, C_in/G) @ (N, G, C_in/G, H*W)
        k = out_per_group * kh * kw
        w3 = _record(np.reshape, (weight, (groups, in_channels // groups, k)), {})
        x4 = _record(np.reshape, (input, (n, groups, in_channels // groups, h * w)), {})
        cols = _record(np.matmul, (_record(np.swapaxes, (w3, 1, 2), {}), x4), {})
        cols = _record(np.reshape, (cols, (n, out_channels * kh * kw, h * w)), {})
    out = _record(col2im, (cols, (n, out_channels, oh, ow), (kh, kw)),
                  {"stride": stride, "padding": padding, "dilation": dilation})
    if bias is not None:
        out = _record(np.add, (out, _record(np.reshape, (bias, (out_channels, 1, 1)), {})), {})
    return out[0] if unbatched else out


_LINEAR_MODES = {"linear": 1, "bilinear": 2, "trilinear": 3}


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dimensions (all but the first two): nearest-neighbour or (bi/tri)linear.

    ``'nearest'``: output index ``i`` reads input index ``floor(i * scale)``, with
    ``scale`` the input size over the output size (or ``1 / scale_factor`` when a
    scale factor is given), as PyTorch computes it. ``'linear'``,
    ``'bilinear'``, ``'trilinear'``: separable linear interpolation from the
    source coordinate ``(i + 0.5) * scale - 0.5`` (clamped at 0), or
    ``i * (in - 1) / (out - 1)`` with ``align_corners=True``.

    Args:
        input: (N, C, *spatial).
        size: the output spatial size (an int or a tuple).
        scale_factor: a multiplier (a number or a tuple) instead of ``size``.
        mode: ``'nearest'``, ``'linear'`` (1 spatial dim), ``'bilinear'`` (2) or ``'trilinear'`` (3).
        align_corners: for the linear modes, map the corner pixels' centres onto each other.
        recompute_scale_factor: compute the scale from the sizes even when a scale factor is given.

    Raises:
        NotImplementedError: another mode, or ``antialias``.
        ValueError: neither or both of ``size`` and ``scale_factor``, or ``align_corners`` with ``'nearest'``,
            or a linear mode that does not match the number of spatial dimensions.
    """
    if mode != "nearest" and mode not in _LINEAR_MODES:
        raise NotImplementedError(f"srcgrad's interpolate supports 'nearest', 'linear', 'bilinear' and 'trilinear', "
                                  f"not {mode!r}")
    if antialias:
        raise NotImplementedError("srcgrad's interpolate does not support antialias")
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined")
    spatial = tuple(input.shape[2:])
    k = len(spatial)
    if mode == "nearest" and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear | "
                         "bicubic | trilinear")
    if mode != "nearest" and _LINEAR_MODES[mode] != k:
        raise ValueError(f"{mode} interpolation needs {_LINEAR_MODES[mode]} spatial dimensions, got input of "
                         f"{input.ndim} dimensions")
    if size is not None:
        size = (size,) * k if isinstance(size, numbers.Integral) else tuple(size)
        scales = [n_in / n_out for n_in, n_out in zip(spatial, size)]
    else:
        factors = (scale_factor,) * k if isinstance(scale_factor, numbers.Number) else tuple(scale_factor)
        size = tuple(int(math.floor(n * f)) for n, f in zip(spatial, factors))
        scales = [n_in / n_out if recompute_scale_factor else 1.0 / f for n_in, n_out, f in zip(spatial, size, factors)]
    out = input
    for axis, (n_in, n_out, scale) in enumerate(zip(spatial, size, scales)):
        where = (slice(None),) * (axis + 2)
        if mode == "nearest":
            source = np.minimum(np.floor(np.arange(n_out, dtype=np.float32) * np.float32(scale)).astype(np.int64),
                                n_in - 1)  # float32 arithmetic, as PyTorch's kernel
            if n_in == n_out and np.array_equal(source, np.arange(n_in)):
                continue
            out = _record(operator.getitem, (out, where + (source,)), {})
            continue
        if align_corners:
            coord = np.arange(n_out) * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
        else:
            coord = np.maximum((np.arange(n_out) + 0.5) * scale - 0.5, 0.0)
        lo = np.minimum(np.floor(coord).astype(np.int64), n_in - 1)
        hi = np.minimum(lo + 1, n_in - 1)
        frac = (coord - lo).astype(input.dtype).reshape((-1,) + (1,) * (k - axis - 1))
        low = _record(operator.getitem, (out, where + (lo,)), {})
        high = _record(operator.getitem, (out, where + (hi,)), {})
        out = low * (1.0 - frac) + high * frac
    return out


def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad) // 2`` dimensions; ``pad`` lists (left, right) pairs from the last dimension.

    Args:
        input: any shape.
        pad: ``(left_last, right_last, left_second_last, right_second_last, ...)``; negative values crop.
        mode: ``'constant'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.
        value: the fill of ``'constant'`` (default 0).

    Returns:
        The padded Tensor.

    Raises:
        RuntimeError: an odd-length ``pad`` or too many pairs.
        NotImplementedError: an unknown mode.
    """
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError("Padding length too large")
    pairs = [(int(pad[2 * i]), int(pad[2 * i + 1])) for i in range(len(pad) // 2)]
    widths = [(0, 0)] * (input.ndim - len(pairs)) + pairs[::-1]
    if mode == "constant":
        crop = tuple(slice(-lo if lo < 0 else None, hi if hi < 0 else None) for lo, hi in widths)
        if any(lo < 0 or hi < 0 for lo, hi in widths):
            input = input[crop]
            widths = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
        return _record(np.pad, (input, widths), {"constant_values": 0.0 if value is None else value})
    numpy_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}.get(mode)
    if numpy_mode is None:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    # Non-constant modes only move elements: gather with one integer index per dimension.
    out = input
    for axis, (lo, hi) in enumerate(widths):
        if lo == 0 and hi == 0:
            continue
        size = input.shape[axis]
        source = np.pad(np.arange(size), (lo, hi), mode=numpy_mode)
        index = (slice(None),) * axis + (source,)
        out = out[index]
    return out


# -- regularisation and normalisation -------------------------------------------------------------------

def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``; identity unless training.

    The mask is drawn from srcgrad's global generator (``srcgrad.manual_seed``).

    Raises:
        ValueError: ``p`` outside [0, 1].
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = _creation.default_generator.rng.random(input.shape) >= p
    scale = (keep / (1.0 - p)).astype(input.dtype)
    return _record(np.multiply, (input, scale), {})


def _channel_dropout(input, p, training, spatial):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    batched = input.ndim == spatial + 2
    shape = tuple(input.shape[:2] if batched else input.shape[:1]) + (1,) * spatial
    keep = _creation.default_generator.rng.random(shape) >= p
    scale = (keep / (1.0 - p)).astype(input.dtype) if p < 1.0 else np.zeros(shape, input.dtype)
    return _record(np.multiply, (input, scale), {})


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) with probability ``p``; scale the rest by ``1 / (1 - p)``."""
    return _channel_dropout(input, p, training, 1)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) or (C, H, W) with probability ``p``; scale the rest by ``1 / (1 - p)``."""
    return _channel_dropout(input, p, training, 2)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last ``len(normalized_shape)`` dimensions: ``(x - mean) / sqrt(var + eps) * w + b``.

    The variance is the biased one (divided by the count), as in PyTorch.

    Raises:
        RuntimeError: the trailing shape of ``input`` is not ``normalized_shape``.
    """
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (int(normalized_shape),)
    k = len(normalized_shape)
    if tuple(input.shape[input.ndim - k:]) != tuple(normalized_shape):
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                         f"[*, {', '.join(map(str, normalized_shape))}], but got input of size{list(input.shape)}")
    axes = tuple(range(input.ndim - k, input.ndim))
    mean = _record(np.mean, (input,), {"axis": axes, "keepdims": True})
    centered = _record(np.subtract, (input, mean), {})
    var = _record(np.mean, (centered * centered,), {"axis": axes, "keepdims": True})
    out = centered / _record(np.sqrt, (var + eps,), {})
    if weight is not None:
        out = _record(np.multiply, (out, weight), {})
    if bias is not None:
        out = _record(np.add, (out, bias), {})
    return out


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise each group of channels of each sample: (N, C, *) split into ``num_groups`` groups along C.

    Raises:
        RuntimeError: C is not divisible by ``num_groups``.
    """
    n, c = input.shape[:2]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(input.shape)} and num_groups={num_groups}")
    grouped = _record(np.reshape, (input, (n, num_groups, -1)), {})
    mean = _record(np.mean, (grouped,), {"axis": -1, "keepdims": True})
    centered = _record(np.subtract, (grouped, mean), {})
    var = _record(np.mean, (centered * centered,), {"axis": -1, "keepdims": True})
    out = _record(np.reshape, (centered / _record(np.sqrt, (var + eps,), {}), tuple(input.shape)), {})
    shape = (c,) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = _record(np.multiply, (out, _record(np.reshape, (weight, shape), {})), {})
    if bias is not None:
        out = _record(np.add, (out, _record(np.reshape, (bias, shape), {})), {})
    return out


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalise each channel of each sample over its spatial dimensions (``batch_norm`` per sample).

    Running statistics, when given, are averaged over the batch and updated as in ``batch_norm``.
    """
    n, c = input.shape[:2]
    folded = _record(np.reshape, (input, (1, n * c) + tuple(input.shape[2:])), {})
    rm = None if running_mean is None else Tensor._wrap(np.tile(running_mean._value, n))
    rv = None if running_var is None else Tensor._wrap(np.tile(running_var._value, n))
    out = batch_norm(folded, rm, rv, None, None, use_input_stats, momentum, eps)
    if use_input_stats and running_mean is not None:
        with no_grad():
            running_mean.copy_(Tensor._wrap(rm._value.reshape(n, c).mean(0)))
            running_var.copy_(Tensor._wrap(rv._value.reshape(n, c).mean(0)))
    out = _record(np.reshape, (out, tuple(input.shape)), {})
    shape = (c,) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = _record(np.multiply, (out, _record(np.reshape, (weight, shape), {})), {})
    if bias is not None:
        out = _record(np.add, (out, _record(np.reshape, (bias, shape), {})), {})
    return out


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5):
    """Normalise each channel (dimension 1) over the batch and any trailing dimensions.

    In training the batch statistics are used (biased variance) and the running
    buffers, when given, are updated in place with the unbiased variance:
    ``running = (1 - momentum) * running + momentum * batch``. Otherwise the
    running statistics are used.

    Raises:
        ValueError: training with a single value per channel.
    """
    axes = (0,) + tuple(range(2, input.ndim))
    shape = (1, -1) + (1,) * (input.ndim - 2)
    if training:
        count = input.numel() // input.shape[1]
        if count <= 1:
            raise ValueError("Expected more than 1 value per channel when training, got input size "
                             f"{list(input.shape)}")
        mean = _record(np.mean, (input,), {"axis": axes, "keepdims": True})
        centered = _record(np.subtract, (input, mean), {})
        var = _record(np.mean, (centered * centered,), {"axis": axes, "keepdims": True})
        if running_mean is not None or running_var is not None:
            with no_grad():
                m = 0.0 if momentum is None else momentum
                if running_mean is not None:
                    running_mean.copy_(Tensor._wrap((1 - m) * running_mean._value + m * mean._value.reshape(-1)))
                if running_var is not None:
                    unbiased = var._value.reshape(-1) * (count / (count - 1))
                    running_var.copy_(Tensor._wrap((1 - m) * running_var._value + m * unbiased))
        out = centered / _record(np.sqrt, (var + eps,), {})
    else:
        mean = _raw(running_mean).reshape(shape)
        scale = 1.0 / np.sqrt(_raw(running_var).reshape(shape) + eps)
        out = (input - mean) * scale.astype(input.dtype)
    if weight is not None:
        out = _record(np.multiply, (out, _record(np.reshape, (weight, shape), {})), {})
    if bias is not None:
        out = _record(np.add, (out, _record(np.reshape, (bias, shape), {})), {})
    return out


# -- embeddings ------------------------------------------------------------------------------------------

class _ScaledLookup(Function):
    """``weight[index]`` whose backward scales each position's gradient (``scale_grad_by_freq``)."""

    @staticmethod
    def forward(ctx, weight, index, scale):
        ctx.shape, ctx.index, ctx.scale = weight.shape, index, scale
        return Tensor._wrap(weight._value[index])

    @staticmethod
    def backward(ctx, grad):
        scaled = grad * ctx.scale[..., None]
        zeros = np.zeros(ctx.shape, dtype=ctx.scale.dtype)
        return _rules.index_add(zeros, ctx.index, scaled), None, None


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Rows of ``weight`` picked by the integer indices in ``input``.

    Args:
        input: integer indices of any shape.
        weight: (num_embeddings, embedding_dim).
        padding_idx: this row's gradient stays zero.
        max_norm: rows that are looked up and whose ``norm_type``-norm exceeds it are first
            rescaled in place to norm ``max_norm`` (PyTorch's ``embedding_renorm_``).
        norm_type: the p of that norm.
        scale_grad_by_freq: divide each row's gradient by how often the row occurs in ``input``.

    Returns:
        ``input.shape + (embedding_dim,)``.

    Raises:
        IndexError: an index outside the table.
    """
    index = _raw(input)
    if index.dtype.kind not in "iu":
        raise TypeError(f"Expected tensor for argument #1 'indices' to have an integer dtype; but got {index.dtype}")
    n = weight.shape[0]
    if index.size and (index.min() < 0 or index.max() >= n):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        rows = np.unique(index)
        norms = np.linalg.norm(weight._value[rows], ord=norm_type, axis=1)
        too_long = norms > max_norm
        if too_long.any():
            with no_grad():
                weight[rows[too_long]] = Tensor._wrap(
                    weight._value[rows[too_long]] * (max_norm / (norms[too_long] + 1e-7))[:, None])
    if scale_grad_by_freq and weight.requires_grad:
        rows, inverse, counts = np.unique(index, return_inverse=True, return_counts=True)
        scale = (1.0 / counts[inverse.reshape(index.shape)]).astype(weight.dtype)
        if padding_idx is not None:
            scale[index == padding_idx % n] = 0.0
        return _ScaledLookup.apply(weight, index, scale)
    out = _record(operator.getitem, (weight, index), {})
    if padding_idx is not None and weight.requires_grad:
        padding_idx = padding_idx % n
        pad_rows = (index % n == padding_idx)[..., None]
        if pad_rows.any():
            # Same values; the rows read from padding_idx come from a detached copy (no gradient).
            out = _record(np.where, (pad_rows, weight._value[index], out), {})
    return out


def one_hot(tensor, num_classes=-1):
    """``int64`` one-hot encoding: ``out[..., k] = (tensor == k)``.

    Args:
        tensor: integer class indices.
        num_classes: the number of classes (``max + 1`` when -1).

    Raises:
        RuntimeError: a negative or too large class index.
    """
    index = _raw(tensor)
    if index.dtype.kind not in "iu":
        raise TypeError("one_hot is only applicable to index tensor.")
    if num_classes == -1:
        num_classes = int(index.max()) + 1 if index.size else 0
    if index.size and (index.min() < 0 or index.max() >= num_classes):
        raise RuntimeError("Class values must be non-negative." if index.min() < 0
                           else "Class values must be smaller than num_classes.")
    return Tensor._wrap((index[..., None] == np.arange(num_classes)).astype(np.int64))


# -- losses ------------------------------------------------------------------------------------------------

def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """``(x - y) ** 2``, reduced.

    Args:
        input: any shape.
        target: the same shape.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
    """
    reduction = _reduction(size_average, reduce, reduction)
    return _record(_rules.mse_loss, (input, target), {"reduction": reduction})  # one node, MseLossBackward0


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """``|x - y|``, reduced (the gradient at 0 is 0)."""
    reduction = _reduction(size_average, reduce, reduction)
    return _reduce(_record(np.absolute, (_record(np.subtract, (input, target), {}),), {}), reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """``0.5 * d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 * beta`` (``d = x - y``); L1 when ``beta == 0``.

    Raises:
        RuntimeError: a negative ``beta``.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    diff = _record(np.subtract, (input, target), {})
    absdiff = _record(np.absolute, (diff,), {})
    if beta == 0:
        return _reduce(absdiff, reduction)
    loss = _record(np.where, (_raw(absdiff) < beta, 0.5 * diff * diff / beta, absdiff - 0.5 * beta), {})
    return _reduce(loss, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """``0.5 * d**2`` where ``|d| <= delta``, else ``delta * (|d| - 0.5 * delta)`` (``d = x - y``).

    Raises:
        RuntimeError: ``delta <= 0``.
    """
    reduction = _reduction(None, None, reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    diff = _record(np.subtract, (input, target), {})
    absdiff = _record(np.absolute, (diff,), {})
    loss = _record(np.where, (_raw(absdiff) <= delta, 0.5 * diff * diff, delta * (absdiff - 0.5 * delta)), {})
    return _reduce(loss, reduction)


def _class_last(input):
    """(N, C, d1, ...) -> (N*d1*..., C) and the shape of the targets; (C,) -> (1, C)."""
    if input.ndim == 1:
        return _record(np.expand_dims, (input, 0), {}), ()
    if input.ndim == 2:
        return input, (input.shape[0],)
    moved = _record(np.moveaxis, (input, 1, -1), {})
    c = input.shape[1]
    return _record(np.reshape, (moved, (-1, c)), {}), (input.shape[0],) + tuple(input.shape[2:])


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """``-w[y] * x[y]`` per sample (``x`` log-probabilities), reduced.

    ``'mean'`` divides by the total weight of the targets that are not
    ``ignore_index`` (NaN when all are ignored, as in PyTorch).

    Args:
        input: (N, C), (C,) or (N, C, d1, ...): log-probabilities.
        target: (N,), () or (N, d1, ...): class indices in [0, C).
        weight: (C,): a weight per class.
        ignore_index: targets equal to it contribute nothing.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Raises:
        IndexError: a target outside [0, C) that is not ``ignore_index``.
        ValueError: shapes that do not fit.
    """
    reduction = _reduction(size_average, reduce, reduction)
    flat, target_shape = _class_last(input)
    labels = np.asarray(_raw(target))
    if labels.dtype.kind not in "iu":
        raise TypeError(f"expected an integer target for nll_loss, got {labels.dtype}")
    if labels.shape != target_shape:
        raise ValueError(f"Expected target size {list(target_shape)}, got {list(labels.shape)}")
    labels = labels.reshape(-1)
    c = flat.shape[1]
    ignored = labels == ignore_index
    any_ignored = bool(ignored.any())
    safe = np.where(ignored, 0, labels) if any_ignored else labels
    if safe.size and (safe.min() < 0 or safe.max() >= c):
        bad = safe[(safe < 0) | (safe >= c)][0]
        raise IndexError(f"Target {bad} is out of bounds.")
    if weight is None and not any_ignored:  # one node, NllLossBackward0
        losses = _rules.nll_loss(flat, safe, reduction=reduction)
        if reduction == "none" and target_shape != (safe.size,):
            return _record(np.reshape, (losses, target_shape), {})
        return losses
    picked = _record(operator.getitem, (flat, (np.arange(safe.size), safe)), {})
    if weight is None:
        w = (~ignored).astype(input.dtype)
    else:
        w = _record(operator.getitem, (weight, safe), {}) * (~ignored).astype(input.dtype)
    losses = -picked * w
    if reduction == "mean":
        return _record(np.sum, (losses,), {}) / _record(np.sum, (w,), {})
    if reduction == "sum":
        return _record(np.sum, (losses,), {})
    return _record(np.reshape, (losses, target_shape), {})


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """``nll_loss(log_softmax(x, dim=1), y)``, with PyTorch's label smoothing; class indices or probabilities.

    With class indices and ``label_smoothing = e``, the loss is
    ``(1 - e) * nll + e / C * smooth``, where ``smooth = -sum_c w[c] * logp[c]``
    reduced like ``nll`` (its mean divides by the weight of the non-ignored
    targets). With probability targets (a float Tensor of ``input``'s shape)
    the targets become ``y * (1 - e) + e / C`` and the loss is
    ``-sum_c w[c] * y[c] * logp[c]``; ``'mean'`` divides by the number of
    samples (``ignore_index`` does not apply).

    Args:
        input: logits (N, C), (C,) or (N, C, d1, ...).
        target: class indices (N,), (), (N, d1, ...) or probabilities of ``input``'s shape.
        weight: (C,): a weight per class.
        ignore_index: class-index targets equal to it contribute nothing.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        label_smoothing: ``e`` in [0, 1].

    Raises:
        RuntimeError: ``label_smoothing`` outside [0, 1].
        ValueError: shapes that do not fit.
        IndexError: a class index out of range.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 0 if input.ndim == 1 else 1
    logp = _rules.log_softmax(input, axis=class_dim)
    c = input.shape[class_dim]
    w_shape = [1] * input.ndim
    w_shape[class_dim] = c
    labels = _raw(target)
    if labels.dtype.kind == "f":
        if tuple(labels.shape) != tuple(input.shape):
            raise ValueError(f"Expected probability targets of shape {list(input.shape)}, got {list(labels.shape)}")
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / c
        prod = _record(np.multiply, (logp, target), {})
        if weight is not None:
            prod = _record(np.multiply, (prod, _record(np.reshape, (weight, tuple(w_shape)), {})), {})
        if reduction == "mean":
            return -_record(np.sum, (prod,), {}) / (input.numel() // c)
        if reduction == "sum":
            return -_record(np.sum, (prod,), {})
        return -_record(np.sum, (prod,), {"axis": class_dim})
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0:
        return nll
    weighted = logp if weight is None else \
        _record(np.multiply, (logp, _record(np.reshape, (weight, tuple(w_shape)), {})), {})
    smooth = -_record(np.sum, (weighted,), {"axis": class_dim})
    ignored = labels == ignore_index
    kept = (~ignored).astype(input.dtype)
    smooth = _record(np.multiply, (smooth, kept), {})
    if reduction == "mean":
        if weight is None:
            denom = kept.sum()
        else:
            denom = _record(np.sum, (_record(operator.getitem, (weight, labels[~ignored]), {}),), {})
        ret = _record(np.sum, (smooth,), {}) / denom
    elif reduction == "sum":
        ret = _record(np.sum, (smooth,), {})
    else:
        ret = smooth
    return (1 - label_smoothing) * nll + ret * (label_smoothing / c)


def _weighted(loss, weight, reduction):
    if weight is not None:
        loss = _record(np.multiply, (loss, weight), {})
    return _reduce(loss, reduction)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """``-(y * log(x) + (1 - y) * log(1 - x))``; each log is clamped at -100, as in PyTorch.

    The gradient with respect to ``x`` is PyTorch's,
    ``(x - y) / max(x * (1 - x), 1e-12)``: finite at ``x`` = 0 or 1.

    Args:
        input: probabilities in [0, 1], any shape.
        target: the same shape.
        weight: broadcastable to ``input``: a weight per element.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Raises:
        ValueError: shapes differ.
        RuntimeError: an input outside [0, 1].
    """
    reduction = _reduction(size_average, reduce, reduction)
    _check_same_size(input, target, "binary_cross_entropy")
    value = _raw(input)
    if np.any((value < 0) | (value > 1)):
        raise RuntimeError("all elements of input should be between 0 and 1")
    loss = _rules.binary_cross_entropy(input, target)  # one node, BinaryCrossEntropyBackward0
    return _weighted(loss, weight, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """``sigmoid`` and ``binary_cross_entropy`` in one stable formula.

    ``loss = (1 - y) * x + (1 + (p - 1) * y) * softplus(-x)``, ``p`` the
    ``pos_weight`` (1 when omitted), which equals
    ``-(p * y * log(sigmoid(x)) + (1 - y) * log(1 - sigmoid(x)))`` without overflow.

    Args:
        input: logits, any shape.
        target: the same shape, in [0, 1].
        weight: broadcastable to ``input``: a weight per element.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        pos_weight: broadcastable to ``input`` (one per class, the last dimension): weight of positives.

    Raises:
        ValueError: shapes differ.
    """
    reduction = _reduction(size_average, reduce, reduction)
    _check_same_size(input, target, "binary_cross_entropy_with_logits")
    softplus_neg = _rules.softplus(-input)
    if pos_weight is None:
        loss = (1.0 - target) * input + softplus_neg
    else:
        loss = (1.0 - target) * input + (1.0 + (pos_weight - 1.0) * target) * softplus_neg
    return _weighted(loss, weight, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """``y * (log(y) - x)`` with ``x`` log-probabilities (``0`` where ``y == 0``); ``'batchmean'`` divides by N."""
    if reduction == "batchmean":
        loss = kl_div(input, target, reduction="sum", log_target=log_target)
        return loss / (input.shape[0] if input.ndim else 1)
    reduction = _reduction(size_average, reduce, reduction)
    if log_target:
        loss = _record(np.exp, (target,), {}) * (target - input)
    else:
        # y * log(y) is 0 where y == 0 (and so is its gradient).
        positive = _raw(target) > 0
        ylogy = target * _record(np.log, (_record(np.where, (positive, target, 1.0), {}),), {})
        loss = ylogy - target * input
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """``1 - cos(x1, x2)`` where ``y == 1``, ``max(0, cos(x1, x2) - margin)`` where ``y == -1``.

    The cosine is ``x1 . x2 / sqrt((|x1|^2 + 1e-12) (|x2|^2 + 1e-12))`` along the last dimension, as in PyTorch.
    """
    reduction = _reduction(size_average, reduce, reduction)
    dim = input1.ndim - 1
    dot = _record(np.sum, (input1 * input2,), {"axis": dim})
    m1 = _record(np.sum, (input1 * input1,), {"axis": dim}) + 1e-12
    m2 = _record(np.sum, (input2 * input2,), {"axis": dim}) + 1e-12
    cos = dot / _record(np.sqrt, (m1 * m2,), {})
    y = _raw(target)
    positive = _record(np.where, (y == 1, 1.0 - cos, 0.0), {})
    negative = _record(np.where, (y == -1, _record(np.maximum, (cos - margin, 0.0), {}), 0.0), {})
    return _reduce(positive + negative, reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """``max(0, -y * (x1 - x2) + margin)``."""
    reduction = _reduction(size_average, reduce, reduction)
    return _reduce(_record(np.maximum, (-target * (input1 - input2) + margin, 0.0), {}), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """``x`` where ``y == 1``, ``max(0, margin - x)`` where ``y == -1``."""
    reduction = _reduction(size_average, reduce, reduction)
    y = _raw(target)
    clamped = _record(np.where, (y != 1, _record(np.maximum, (margin - input, 0.0), {}), 0.0), {})
    return _reduce(clamped + _record(np.where, (y != -1, input, 0.0), {}), reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """``log(1 + exp(-y * x))``, computed stably."""
    reduction = _reduction(size_average, reduce, reduction)
    return _reduce(_rules.softplus(-target * input), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """``-mean_c(y log sigmoid(x) + (1 - y) log sigmoid(-x))`` per sample (times ``weight``), reduced over samples."""
    reduction = _reduction(size_average, reduce, reduction)
    loss = target * _rules.softplus(-input) + (1.0 - target) * _rules.softplus(input)
    if weight is not None:
        loss = loss * weight
    loss = _record(np.mean, (loss,), {"axis": input.ndim - 1})
    return _reduce(loss, reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """``sum_{j != y} max(0, margin - x[y] + x[j]) ** p / C`` per sample (times ``weight[y]``).

    Raises:
        ValueError: ``p`` other than 1 or 2.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x = input if input.ndim == 2 else _record(np.expand_dims, (input, 0), {})
    labels = np.asarray(_raw(target)).reshape(-1)
    rows = np.arange(labels.size)
    picked = _record(operator.getitem, (x, (rows, labels)), {})
    margins = _record(np.maximum, (margin - _record(np.expand_dims, (picked, 1), {}) + x, 0.0), {})
    if p == 2:
        margins = margins * margins
    if weight is not None:
        margins = margins * _record(np.expand_dims, (_record(operator.getitem, (weight, labels), {}), 1), {})
    others = np.ones(x.shape, dtype=bool)
    others[rows, labels] = False
    loss = _record(np.sum, (_record(np.where, (others, margins, 0.0), {}),), {"axis": 1}) / x.shape[1]
    if input.ndim == 1:
        loss = loss[0]
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """``max(d(a, p) - d(a, n) + margin, 0)``, ``d`` the ``pairwise_distance`` (``swap``: ``min(d(a, n), d(p, n))``)."""
    reduction = _reduction(size_average, reduce, reduction)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = _record(np.minimum, (d_neg, pairwise_distance(positive, negative, p, eps)), {})
    return _reduce(_record(np.maximum, (margin + d_pos - d_neg, 0.0), {}), reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """``exp(x) - y * x`` (``log_input``) or ``x - y * log(x + eps)``; ``full`` adds Stirling's term for ``y > 1``."""
    reduction = _reduction(size_average, reduce, reduction)
    if log_input:
        loss = _record(np.exp, (input,), {}) - target * input
    else:
        loss = input - target * _record(np.log, (input + eps,), {})
    if full:
        y = _raw(target)
        safe = np.where(y > 1, y, 1.0)
        stirling = np.where(y > 1, safe * np.log(safe) - safe + 0.5 * np.log(2 * np.pi * safe), 0.0)
        loss = loss + stirling.astype(loss.dtype)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """``0.5 * (log(var) + (x - y) ** 2 / var)`` (+ ``0.5 * log(2 pi)`` with ``full``).

    ``var`` is clamped below at ``eps`` in value only (its gradient passes as if unclamped), as in PyTorch.

    Raises:
        ValueError: a negative variance, or a ``var`` shape that does not fit.
    """
    reduction = _reduction(None, None, reduction)
    if not isinstance(var, Tensor):
        var = Tensor._wrap(np.asarray(var, dtype=input.dtype))
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = _record(np.expand_dims, (var, -1), {})
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1):
            raise ValueError("var is of incorrect size")
    if np.any(_raw(var) < 0):
        raise ValueError("var has negative entry/entries")
    var = var + (np.maximum(_raw(var), eps) - _raw(var))  # clamp the value, keep the gradient
    diff = input - target
    loss = 0.5 * (_record(np.log, (var,), {}) + diff * diff / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)
