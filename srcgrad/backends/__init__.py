"""``srcgrad.backends``: PyTorch's ``torch.backends`` flags, for scripts that read or set them.

srcgrad computes with numpy on the CPU: ``mps.is_available()``,
``cudnn.is_available()`` and ``cuda.is_built()`` are False. The flags scripts
set (``cudnn.deterministic``, ``cudnn.benchmark``, ``cuda.matmul.allow_tf32``,
...) can be read and set and change nothing: srcgrad's results are
deterministic and it never uses TF32.
"""

from . import cpu, cuda, cudnn, mkldnn, mps, openmp

__all__ = ["cpu", "cuda", "cudnn", "mkldnn", "mps", "openmp"]
