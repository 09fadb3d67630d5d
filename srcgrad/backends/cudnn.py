"""``torch.backends.cudnn``: cuDNN, absent in srcgrad; its flags can be set and change nothing."""

__all__ = ["is_available", "version", "enabled", "benchmark", "deterministic", "allow_tf32"]

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available():
    """False: srcgrad has no cuDNN."""
    return False


def version():
    """None: srcgrad has no cuDNN."""
    return None
