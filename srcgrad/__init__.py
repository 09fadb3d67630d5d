"""srcgrad: differentiate numeric Python, by source transformation or by tape.

This module only re-exports the public API.
"""

__version__ = "0.1.0"  # the one place the version is written (pyproject.toml reads it)

from . import rules
from .errors import AutogradError, NoRuleError, SrcgradError, TransformError
from .tensor import Tensor
from .creation import (
    arange, as_tensor, bool, default_generator, double, empty, empty_like, eye, float16, float32, float64,
    from_numpy, full, full_like, get_default_dtype, half, int32, int64, linspace, long, manual_seed, normal,
    ones, ones_like, rand, rand_like, randint, randn, randn_like, randperm, set_default_dtype, tensor, zeros,
    zeros_like,
)
from .autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .autograd.grad_mode import no_grad as inference_mode  # srcgrad has one no-recording mode
from . import autograd
from .functions import *  # noqa: F401,F403 - PyTorch's free functions (sin, cat, stack, ...)
from . import nn
from . import optim, data
from .serialization import save, load
from .rules import log_softmax, logsumexp, relu, sigmoid, softmax, softplus
from .compiler import grad, value_and_grad, jvp, source, custom_vjp

