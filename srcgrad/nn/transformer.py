"""Attention and the Transformer: ``MultiheadAttention``, ``TransformerEncoderLayer``,
``TransformerEncoder``, ``TransformerDecoderLayer``, ``TransformerDecoder``, ``Transformer``.

PyTorch's parameter names (``in_proj_weight``, ``in_proj_bias``,
``out_proj.weight``; ``layers.0.self_attn...``), initialisation and masks:
in ``MultiheadAttention`` a boolean ``attn_mask`` or ``key_padding_mask`` is
True where attention is *not* allowed; float masks are added to the scores.
"""

import copy

import numpy as np

from .. import rules as _rules
from ..device import check_device
from ..dtypes import float_dtype
from ..recording import record
from ..tensor import Tensor
from . import functional as F
from . import init
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm
from .parameter import Parameter

__all__ = [
    "MultiheadAttention",
    "TransformerEncoderLayer",
    "TransformerEncoder",
    "TransformerDecoderLayer",
    "TransformerDecoder",
    "Transformer",
]


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
        (srcgrad.Size([3, 5, 8]), srcgrad.Size([3, 5, 5]))
    """

    def __init__(
        self,
        embed_dim,
        num_heads,
        dropout=0.0,
        bias=True,
        add_bias_kv=False,
        add_zero_attn=False,
        kdim=None,
        vdim=None,
        batch_first=False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        check_device(f"nn.{type(self).__name__}", device)
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                f"num_heads={num_heads} instead"
            )
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
        dtype = float_dtype(dtype)
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
            weight = self.in_proj_weight[index * e : (index + 1) * e]
        bias = None if self.in_proj_bias is None else self.in_proj_bias[index * e : (index + 1) * e]
        return F.linear(x, weight, bias)

    def forward(
        self,
        query,
        key,
        value,
        key_padding_mask=None,
        need_weights=True,
        attn_mask=None,
        average_attn_weights=True,
        is_causal=False,
    ):
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
            return record(np.transpose, (record(np.reshape, (t, (n, batch, heads, head_dim)), {}), (1, 2, 0, 3)), {})

        q, k, v = split_heads(q, length), split_heads(k, source), split_heads(v, source)
        scores = record(np.matmul, (q * (1.0 / np.sqrt(head_dim)), record(np.swapaxes, (k, -1, -2), {})), {})
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
        out = record(np.matmul, (weights, v), {})  # (N, H, L, head_dim)
        out = record(np.reshape, (record(np.transpose, (out, (2, 0, 1, 3)), {}), (length, batch, self.embed_dim)), {})
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
        srcgrad.Size([3, 5, 8])
    """

    def __init__(
        self,
        d_model,
        nhead,
        dim_feedforward=2048,
        dropout=0.1,
        activation="relu",
        layer_norm_eps=1e-5,
        batch_first=False,
        norm_first=False,
        bias=True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        check_device(f"nn.{type(self).__name__}", device)
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, dtype=dtype
        )
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = _activation(activation)

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(
            x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False, is_causal=is_causal
        )[0]
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
        srcgrad.Size([5, 3, 8])
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


def _activation(activation):
    if isinstance(activation, str):
        if activation not in ("relu", "gelu"):
            raise RuntimeError(f"activation should be relu/gelu, not {activation}")
        return F.relu if activation == "relu" else F.gelu
    return activation


class TransformerDecoderLayer(Module):
    """Self-attention, attention over the encoder's output (``memory``) and a feed-forward block,
    each with a residual connection and LayerNorm.

    ``norm_first=False`` (post-norm)::

        x = norm1(x + dropout1(self_attn(x, x, x)))
        x = norm2(x + dropout2(multihead_attn(x, memory, memory)))
        x = norm3(x + dropout3(linear2(dropout(activation(linear1(x))))))

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
        tgt (T, N, E), memory (S, N, E) (or batch first, or unbatched); output like tgt.

    Example:
        >>> import srcgrad
        >>> layer = srcgrad.nn.TransformerDecoderLayer(8, 2, 16, batch_first=True)
        >>> layer(srcgrad.randn(3, 4, 8), srcgrad.randn(3, 5, 8)).shape
        srcgrad.Size([3, 4, 8])
    """

    def __init__(
        self,
        d_model,
        nhead,
        dim_feedforward=2048,
        dropout=0.1,
        activation="relu",
        layer_norm_eps=1e-5,
        batch_first=False,
        norm_first=False,
        bias=True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        check_device(f"nn.{type(self).__name__}", device)
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, dtype=dtype
        )
        self.multihead_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, dtype=dtype
        )
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = _activation(activation)

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(
            x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False, is_causal=is_causal
        )[0]
        return self.dropout1(x)

    def _mha_block(self, x, memory, attn_mask, key_padding_mask, is_causal):
        x = self.multihead_attn(
            x,
            memory,
            memory,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask,
            need_weights=False,
            is_causal=is_causal,
        )[0]
        return self.dropout2(x)

    def _ff_block(self, x):
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def forward(
        self,
        tgt,
        memory,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        tgt_is_causal=False,
        memory_is_causal=False,
    ):
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x


class TransformerDecoder(Module):
    """``num_layers`` copies of a decoder layer applied in turn (each attending to ``memory``),
    then an optional norm.

    Args:
        decoder_layer: the layer to copy (each copy has its own parameters, equal at the start).
        num_layers: how many.
        norm: a final normalisation module, or None.

    Shape:
        As the layer's.

    Example:
        >>> import srcgrad
        >>> layer = srcgrad.nn.TransformerDecoderLayer(8, 2, 16)
        >>> decoder = srcgrad.nn.TransformerDecoder(layer, 2)
        >>> decoder(srcgrad.randn(4, 3, 8), srcgrad.randn(5, 3, 8)).shape
        srcgrad.Size([4, 3, 8])
    """

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(decoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(
        self,
        tgt,
        memory,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        tgt_is_causal=None,
        memory_is_causal=False,
    ):
        x = tgt
        for layer in self.layers:
            x = layer(
                x,
                memory,
                tgt_mask=tgt_mask,
                memory_mask=memory_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask,
                tgt_is_causal=bool(tgt_is_causal),
                memory_is_causal=memory_is_causal,
            )
        if self.norm is not None:
            x = self.norm(x)
        return x


class Transformer(Module):
    """The encoder-decoder Transformer of "Attention Is All You Need": an encoder stack over
    ``src`` and a decoder stack over ``tgt`` that attends to the encoder's output.

    Parameters with more than one dimension start Xavier-uniform, as in PyTorch.

    Args:
        d_model: E.
        nhead: attention heads.
        num_encoder_layers: encoder layers.
        num_decoder_layers: decoder layers.
        dim_feedforward: the hidden width of the feed-forward blocks.
        dropout: the dropout probability everywhere.
        activation: ``'relu'``, ``'gelu'`` or a callable.
        custom_encoder: a module to use as the encoder instead.
        custom_decoder: a module to use as the decoder instead.
        layer_norm_eps: the norms' epsilon.
        batch_first: (N, L, E) instead of (L, N, E).
        norm_first: pre-norm layers.
        bias: learn biases in the linear layers and norms.
        dtype: the parameters' dtype.

    Shape:
        src (S, N, E), tgt (T, N, E) (or batch first, or unbatched); output like tgt.

    Raises:
        RuntimeError: the batch sizes of src and tgt differ, or their width is not ``d_model``.

    Example:
        >>> import srcgrad
        >>> model = srcgrad.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
        ...                                dim_feedforward=16)
        >>> model(srcgrad.randn(5, 3, 8), srcgrad.randn(4, 3, 8)).shape
        srcgrad.Size([4, 3, 8])
    """

    def __init__(
        self,
        d_model=512,
        nhead=8,
        num_encoder_layers=6,
        num_decoder_layers=6,
        dim_feedforward=2048,
        dropout=0.1,
        activation="relu",
        custom_encoder=None,
        custom_decoder=None,
        layer_norm_eps=1e-5,
        batch_first=False,
        norm_first=False,
        bias=True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        check_device(f"nn.{type(self).__name__}", device)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            encoder_layer = TransformerEncoderLayer(
                d_model,
                nhead,
                dim_feedforward,
                dropout,
                activation,
                layer_norm_eps,
                batch_first,
                norm_first,
                bias,
                dtype=dtype,
            )
            encoder_norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
            self.encoder = TransformerEncoder(encoder_layer, num_encoder_layers, encoder_norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            decoder_layer = TransformerDecoderLayer(
                d_model,
                nhead,
                dim_feedforward,
                dropout,
                activation,
                layer_norm_eps,
                batch_first,
                norm_first,
                bias,
                dtype=dtype,
            )
            decoder_norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
            self.decoder = TransformerDecoder(decoder_layer, num_decoder_layers, decoder_norm)
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def _reset_parameters(self):
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)

    def forward(
        self,
        src,
        tgt,
        src_mask=None,
        tgt_mask=None,
        memory_mask=None,
        src_key_padding_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        src_is_causal=None,
        tgt_is_causal=None,
        memory_is_causal=False,
    ):
        batch_dim = 0 if self.batch_first else 1
        if src.ndim == 3 and src.shape[batch_dim] != tgt.shape[batch_dim]:
            raise RuntimeError("the batch number of src and tgt must be equal")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(
            tgt,
            memory,
            tgt_mask=tgt_mask,
            memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask,
            tgt_is_causal=tgt_is_causal,
            memory_is_causal=memory_is_causal,
        )

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        """A (sz, sz) float mask: 0 on and below the diagonal, ``-inf`` above (a position sees only earlier ones)."""
        check_device("Transformer.generate_square_subsequent_mask", device)
        dtype = float_dtype(dtype)
        return Tensor._wrap(np.triu(np.full((sz, sz), -np.inf, dtype=dtype), 1))
