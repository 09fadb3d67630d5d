"""``torch.backends.cuda``: CUDA, absent in srcgrad; its flags can be set and change nothing."""

__all__ = ["is_built", "matmul", "enable_flash_sdp", "enable_math_sdp", "enable_mem_efficient_sdp"]


class _MatmulFlags:
    """``torch.backends.cuda.matmul``: ``allow_tf32`` and friends, read and set freely."""

    def __init__(self):
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True
        self.fp32_precision = "ieee"


matmul = _MatmulFlags()


def is_built():
    """False: srcgrad has no CUDA."""
    return False


def enable_flash_sdp(enabled):
    """Does nothing (no CUDA kernels)."""


def enable_math_sdp(enabled):
    """Does nothing (srcgrad's attention is always the plain computation)."""


def enable_mem_efficient_sdp(enabled):
    """Does nothing (no CUDA kernels)."""
