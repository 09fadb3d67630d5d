"""Attention and the Transformer encoder: ``MultiheadAttention``, ``TransformerEncoderLayer``,
``TransformerEncoder``.

PyTorch's parameter names (``in_proj_weight``, ``in_proj_bias``,
``out_proj.weight``; ``layers.0.self_attn...``), initialisation and masks:
in ``MultiheadAttention`` a boolean ``attn_mask`` or ``key_padding_mask`` is
True where attention is *not* allowed; float masks are added to the scores.
"""

import copy

import numpy as np

from .. import creation as _creation
from .. import rules as _rules
from ..tensor import Tensor, _record
from . import functional as F
from . import init
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm
from .parameter import Parameter

__all__ = ["MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder"]


class NonDynamicallyQuantizableLinear(Linear):
    """``Linear`` under the name PyTorch gives ``MultiheadAttention.out_proj`` (so reprs match)."""


def _additive(mask, dtype):
    """A mask as something to add to the scores: True (not allowed) -> -inf, floats as they are."""
    if mask is None:
        return None
    raw = mask._value if isinstance(mask, Tensor) else np.asarray(mask)
    if raw.dtype == np.bool_:
        return np.where(raw, -np.inf, 0.0).astype(dtype)
    return mask


class MultiheadAttention(Module):
    """Attention with ``num_heads`` heads: ``softmax(q k^T / sqrt(head_dim) + mask) v``, projected in and out.

    Args:
        embed_dim: E, the model's width (split evenly over the heads).
        num_heads: the number of heads.
        dropout: dropout on the attention weights, in training.
        bias: learn the projection biases.
        kdim: the keys' width (default E).
        vdim: the values' width (default E).
        batch_first: inputs and outputs are (N, L, E) instead of (L, N, E).
        dtype: the parameters' dtype.

    Shape:
        query (L, N, E), key (S, N, kdim), value (S, N, vdim) (or batch first, or unbatched
        without N); ``key_padding_mask`` (N, S); ``attn_mask`` (L, S) or (N * num_heads, L, S).
        Returns ``(output, weights)``: output like query; weights (N, L, S) averaged over the
        heads (``average_attn_weights=False``: (N, num_heads, L, S)), or None when
        ``need_weights=False``.

    Raises:
        ValueError: ``embed_dim`` is not divisible by ``num_heads``.

    Example:
        >>> import srcgrad
        >>> mha = srcgrad.nn.MultiheadAttention(8, 2, batch_first=True)
        >>> x = srcgrad.randn(3, 5, 8)
        >>> out, weights = mha(x, x, x)
        >>> out.shape, weights.shape
        ((3, 5, 8), (3, 5, 5))
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads} instead")
        if embed_dim % num_heads:
            raise ValueError("embed_dim must be divisible by num_heads")
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError("srcgrad's MultiheadAttention does not support add_bias_kv or add_zero_attn")
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        dtype = _creation._float_dtype(dtype)
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.zeros((3 * embed_dim, embed_dim), dtype=dtype))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = Parameter(np.zeros((embed_dim, embed_dim), dtype=dtype))
            self.k_proj_weight = Parameter(np.zeros((embed_dim, self.kdim), dtype=dtype))
            self.v_proj_weight = Parameter(np.zeros((embed_dim, self.vdim), dtype=dtype))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(np.zeros(3 * embed_dim, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)

    def _project(self, x, index, weight):
        e = self.embed_dim
        if weight is None:
            weight = self.in_proj_weight[index * e:(index + 1) * e]
        bias = None if self.in_proj_bias is None else self.in_proj_bias[index * e:(index + 1) * e]
        return F.linear(x, weight, bias)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        unbatched = query.ndim == 2
        if unbatched:
            query, key, value = (t.unsqueeze(1) for t in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.reshape(1, -1)
        elif self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        length, batch, _ = query.shape
        source = key.shape[0]
        heads, head_dim = self.num_heads, self.head_dim
        q = self._project(query, 0, self.q_proj_weight)
        k = self._project(key, 1, self.k_proj_weight)
        v = self._project(value, 2, self.v_proj_weight)

        def split_heads(t, n):  # (n, N, E) -> (N, H, n, head_dim)
            return _record(np.transpose, (_record(np.reshape, (t, (n, batch, heads, head_dim)), {}), (1, 2, 0, 3)), {})

        q, k, v = split_heads(q, length), split_heads(k, source), split_heads(v, source)
        scores = _record(np.matmul, (q * (1.0 / np.sqrt(head_dim)), _record(np.swapaxes, (k, -1, -2), {})), {})
        mask = _additive(attn_mask, scores.dtype)
        if is_causal and mask is None:
            mask = np.where(np.triu(np.ones((length, source), dtype=bool), 1), -np.inf, 0.0).astype(scores.dtype)
        if mask is not None:
            if mask.ndim == 3:  # (N * H, L, S)
                mask = mask.reshape(batch, heads, length, source)
            scores = scores + mask
        padding = _additive(key_padding_mask, scores.dtype)
        if padding is not None:
            scores = scores + padding.reshape(batch, 1, 1, source)
        weights = _rules.softmax(scores, axis=-1)
        if self.dropout > 0.0 and self.training:
            weights = F.dropout(weights, self.dropout, True)
        out = _record(np.matmul, (weights, v), {})  # (N, H, L, head_dim)
        out = _record(np.reshape, (_record(np.transpose, (out, (2, 0, 1, 3)), {}), (length, batch, self.embed_dim)), {})
        out = self.out_proj(out)
        if unbatched:
            out = out.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if unbatched:
            weights = weights[0]
        return out, weights


class TransformerEncoderLayer(Module):
    """Self-attention and a feed-forward block, each with a residual connection and LayerNorm.

    ``norm_first=False`` (post-norm)::

        x = norm1(x + dropout1(self_attn(x, x, x)))
        x = norm2(x + dropout2(linear2(dropout(activation(linear1(x))))))

    ``norm_first=True`` applies each norm to the block's input instead.

    Args:
        d_model: E.
        nhead: attention heads.
        dim_feedforward: the hidden width of the feed-forward block.
        dropout: the dropout probability everywhere.
        activation: ``'relu'``, ``'gelu'`` or a callable.
        layer_norm_eps: the norms' epsilon.
        batch_first: (N, L, E) instead of (L, N, E).
        norm_first: pre-norm instead of post-norm.
        bias: learn biases in the linear layers and norms.
        dtype: the parameters' dtype.

    Shape:
        src (L, N, E) (or (N, L, E), or (L, E)); output the same.

    Example:
        >>> import srcgrad
        >>> layer = srcgrad.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
        >>> layer(srcgrad.randn(3, 5, 8)).shape
        (3, 5, 8)
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        if isinstance(activation, str):
            if activation not in ("relu", "gelu"):
                raise RuntimeError(f"activation should be relu/gelu, not {activation}")
            activation = F.relu if activation == "relu" else F.gelu
        self.activation = activation

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                           is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x


class TransformerEncoder(Module):
    """``num_layers`` copies of an encoder layer applied in turn, then an optional norm.

    Args:
        encoder_layer: the layer to copy (each copy has its own parameters, equal at the start).
        num_layers: how many.
        norm: a final normalisation module, or None.

    Shape:
        As the layer's.

    Example:
        >>> import srcgrad
        >>> layer = srcgrad.nn.TransformerEncoderLayer(8, 2, 16)
        >>> encoder = srcgrad.nn.TransformerEncoder(layer, 2)
        >>> encoder(srcgrad.randn(5, 3, 8)).shape
        (5, 3, 8)
        >>> list(encoder.state_dict())[0]
        'layers.0.self_attn.in_proj_weight'
    """

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=bool(is_causal))
        if self.norm is not None:
            x = self.norm(x)
        return x
