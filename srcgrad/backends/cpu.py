"""``torch.backends.cpu``: what the CPU supports."""

__all__ = ["get_cpu_capability"]


def get_cpu_capability():
    """``"DEFAULT"``: srcgrad leaves vector instructions to numpy."""
    return "DEFAULT"
