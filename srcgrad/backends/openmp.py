"""``torch.backends.openmp``: srcgrad does not use OpenMP itself."""

__all__ = ["is_available"]


def is_available():
    """False: srcgrad runs no OpenMP code of its own (numpy's BLAS may)."""
    return False
