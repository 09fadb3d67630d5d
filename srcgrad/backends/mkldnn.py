"""``torch.backends.mkldnn``: oneDNN, absent in srcgrad (numpy does the arithmetic)."""

__all__ = ["is_available", "enabled"]

enabled = False


def is_available():
    """False: srcgrad has no oneDNN backend."""
    return False
