"""``torch.backends.mps``: Apple's Metal backend, absent in srcgrad."""

__all__ = ["is_available", "is_built"]


def is_available():
    """False: srcgrad computes on the CPU."""
    return False


def is_built():
    """False: srcgrad has no MPS backend."""
    return False
