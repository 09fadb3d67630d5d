"""``srcgrad.nn``: modules, layers and losses with PyTorch's names, behaviour and numbers.

Scripts written for ``torch.nn`` run with ``from srcgrad import nn``. The one
difference a user sees is the default dtype: parameters are float64 (srcgrad's
default) unless ``srcgrad.set_default_dtype`` or ``dtype=`` says otherwise.
"""

from . import functional, init, parallel, utils
from .activation import (
    CELU, ELU, GELU, GLU, SELU, Hardshrink, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU, LogSigmoid, LogSoftmax,
    Mish, PReLU, ReLU, ReLU6, Sigmoid, SiLU, Softmax, Softmax2d, Softmin, Softplus, Softshrink, Softsign, Tanh,
    Tanhshrink, Threshold,
)
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .conv import (
    AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, Conv1d, Conv2d, ConvTranspose2d, Fold, MaxPool1d,
    MaxPool2d, Unfold, Upsample,
)
from .dropout import Dropout, Dropout1d, Dropout2d
from .embedding import Embedding
from .linear import (
    Bilinear, CosineSimilarity, Flatten, Identity, Linear, PairwiseDistance, PixelShuffle, PixelUnshuffle, Unflatten,
)
from .loss import (
    BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss, GaussianNLLLoss, HingeEmbeddingLoss,
    HuberLoss, KLDivLoss, L1Loss, MarginRankingLoss, MSELoss, MultiLabelSoftMarginLoss, MultiMarginLoss, NLLLoss,
    PoissonNLLLoss, SmoothL1Loss, SoftMarginLoss, TripletMarginLoss,
)
from .module import Module
from .normalization import BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm1d, InstanceNorm2d, LayerNorm
from .padding import (
    ConstantPad1d, ConstantPad2d, ReflectionPad1d, ReflectionPad2d, ReplicationPad1d, ReplicationPad2d, ZeroPad1d,
    ZeroPad2d,
)
from .parameter import Parameter
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .transformer import (
    MultiheadAttention, Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
    TransformerEncoderLayer,
)

__all__ = [
    "functional", "init", "parallel", "utils", "Module", "Parameter",
    "Linear", "Bilinear", "Identity", "Flatten", "Unflatten", "PixelShuffle", "PixelUnshuffle", "CosineSimilarity",
    "PairwiseDistance", "Fold", "Unfold", "AdaptiveMaxPool2d", "Dropout1d", "Dropout2d", "InstanceNorm1d",
    "InstanceNorm2d", "GLU", "Threshold", "Hardshrink", "Softshrink", "Softmax2d", "CosineEmbeddingLoss",
    "MarginRankingLoss", "HingeEmbeddingLoss", "SoftMarginLoss", "MultiLabelSoftMarginLoss", "MultiMarginLoss",
    "TripletMarginLoss", "PoissonNLLLoss", "GaussianNLLLoss",
    "Conv1d", "Conv2d", "ConvTranspose2d", "Upsample", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d",
    "AdaptiveAvgPool2d",
    "RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell",
    "ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish", "Sigmoid", "Tanh", "Softplus",
    "Softsign", "Hardtanh", "Hardsigmoid", "Hardswish", "LogSigmoid", "Tanhshrink", "Softmax", "LogSoftmax",
    "Softmin", "PReLU",
    "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
    "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "CrossEntropyLoss", "NLLLoss", "BCELoss",
    "BCEWithLogitsLoss", "KLDivLoss",
    "LayerNorm", "GroupNorm", "BatchNorm1d", "BatchNorm2d", "Dropout", "Embedding",
    "ZeroPad1d", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "ReflectionPad1d", "ReflectionPad2d",
    "ReplicationPad1d", "ReplicationPad2d",
    "MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder", "TransformerDecoderLayer",
    "TransformerDecoder", "Transformer",
]
