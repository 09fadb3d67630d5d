"""srcgrad: differentiate numeric Python, by source transformation or by tape.

This module only re-exports the public API.
"""

__version__ = "0.1.0"  # the one place the version is written (pyproject.toml reads it)

from . import rules
from .errors import AutogradError, CheckpointWarning, NoRuleError, SrcgradError, TransformError
from .tensor import Tensor
from .size import Size
from .device import device, get_default_device, set_default_device
from .dtypes import (
    bfloat16,
    bool,
    cdouble,
    cfloat,
    complex64,
    complex128,
    double,
    finfo,
    float,
    float16,
    float32,
    float64,
    half,
    iinfo,
    int,
    int8,
    int16,
    int32,
    int64,
    is_complex,
    is_floating_point,
    long,
    short,
    uint8,
)
from .printing import get_printoptions, set_printoptions
from .creation import (
    Generator,
    arange,
    as_tensor,
    default_generator,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    get_default_dtype,
    initial_seed,
    linspace,
    manual_seed,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    seed,
    set_default_dtype,
    tensor,
    zeros,
    zeros_like,
)
from .legacy import (
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
)
from .autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .autograd.grad_mode import no_grad as inference_mode  # srcgrad has one no-recording mode
from . import autograd
from .functions import *  # noqa: F401,F403 - PyTorch's free functions (sin, cat, stack, ...)
from . import nn
from . import optim, data, utils
from . import accelerator, amp, backends, cuda, onnx
from .amp import autocast
from .torch_compile import compile
from .settings import (
    are_deterministic_algorithms_enabled,
    e,
    get_num_interop_threads,
    get_num_threads,
    inf,
    nan,
    pi,
    set_num_interop_threads,
    set_num_threads,
    use_deterministic_algorithms,
)
from .serialization import save, load
from .meanings import AmbiguousMethodError, get_method_meanings, set_method_meanings
from . import viz
from .rules import log_softmax, logsumexp, relu, sigmoid, softmax, softplus
from .compiler import grad, value_and_grad, jvp, hessian, hvp, jacobian, source, custom_vjp

rules.scipy_rules.register_above("scipy.integrate", "srcgrad.odeint")  # its VJP runs the tape: above the rules
