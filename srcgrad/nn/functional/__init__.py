"""``nn.functional``: the layers' computations as functions, with PyTorch's names and signatures.

Everything here is written with primitives of the rule table (``np.matmul``,
``np.where``, ``log_softmax``, ``im2col``, ...), so every function is
differentiable to any order and records as few nodes as it can. Inputs are
Tensors; targets may be Tensors or ndarrays. The default floating dtype is
srcgrad's (float64), not PyTorch's float32.

The functions live by family, one module each: ``linear``, ``activation``, ``distance``,
``attention``, ``convolution``, ``pooling``, ``vision``, ``dropout``, ``normalization``,
``loss``; ``common`` holds what they share.
"""

from .linear import bilinear, embedding, identity, linear, one_hot
from .activation import (
    celu,
    elu,
    gelu,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    leaky_relu,
    log_softmax,
    logsigmoid,
    mish,
    prelu,
    relu,
    relu6,
    relu_,
    selu,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    softshrink,
    softsign,
    tanh,
    tanhshrink,
    threshold,
)
from .distance import cosine_similarity, normalize, pairwise_distance
from .attention import scaled_dot_product_attention
from .convolution import conv1d, conv2d, conv_transpose2d, fold, unfold
from .pooling import adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
from .vision import interpolate, pad, pixel_shuffle, pixel_unshuffle
from .dropout import dropout, dropout1d, dropout2d
from .normalization import batch_norm, group_norm, instance_norm, layer_norm
from .loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cosine_embedding_loss,
    cross_entropy,
    gaussian_nll_loss,
    hinge_embedding_loss,
    huber_loss,
    kl_div,
    l1_loss,
    margin_ranking_loss,
    mse_loss,
    multi_margin_loss,
    multilabel_soft_margin_loss,
    nll_loss,
    poisson_nll_loss,
    smooth_l1_loss,
    soft_margin_loss,
    triplet_margin_loss,
)

__all__ = [
    # linear
    "linear",
    "bilinear",
    "identity",
    # activations
    "relu",
    "relu_",
    "relu6",
    "leaky_relu",
    "elu",
    "selu",
    "celu",
    "gelu",
    "silu",
    "mish",
    "sigmoid",
    "tanh",
    "softplus",
    "softsign",
    "hardtanh",
    "hardsigmoid",
    "hardswish",
    "logsigmoid",
    "tanhshrink",
    "softmax",
    "log_softmax",
    "softmin",
    "normalize",
    "prelu",
    "glu",
    "threshold",
    "hardshrink",
    "softshrink",
    # convolution and pooling
    "conv1d",
    "conv2d",
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "adaptive_avg_pool2d",
    "unfold",
    "fold",
    "pad",
    "conv_transpose2d",
    "interpolate",
    "pixel_shuffle",
    "pixel_unshuffle",
    "adaptive_max_pool2d",
    # regularisation and normalisation
    "dropout",
    "dropout1d",
    "dropout2d",
    "layer_norm",
    "batch_norm",
    "group_norm",
    "instance_norm",
    # embeddings and encodings
    "embedding",
    "one_hot",
    # losses
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "kl_div",
    "cosine_embedding_loss",
    "margin_ranking_loss",
    "hinge_embedding_loss",
    "soft_margin_loss",
    "multilabel_soft_margin_loss",
    "multi_margin_loss",
    "triplet_margin_loss",
    "poisson_nll_loss",
    "gaussian_nll_loss",
    # distances and attention
    "cosine_similarity",
    "pairwise_distance",
    "scaled_dot_product_attention",
]
