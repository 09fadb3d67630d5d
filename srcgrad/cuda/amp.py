"""``torch.cuda.amp``: the older spellings of ``torch.amp``'s ``GradScaler`` and ``autocast`` for CUDA.

There is no CUDA here: an enabled ``GradScaler()`` is disabled with a warning
(as in a PyTorch without CUDA) and passes everything through, and
``autocast()`` changes nothing (see ``srcgrad.amp``).
"""

from .. import amp as _amp

__all__ = ["GradScaler", "autocast"]


class GradScaler(_amp.GradScaler):
    """``torch.cuda.amp.GradScaler``: ``srcgrad.amp.GradScaler("cuda", ...)``."""

    def __init__(self, init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000, enabled=True):
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled)


class autocast(_amp.autocast):  # noqa: N801 - PyTorch's name
    """``torch.cuda.amp.autocast``: ``srcgrad.amp.autocast("cuda", ...)``."""

    def __init__(self, enabled=True, dtype=None, cache_enabled=None):
        super().__init__("cuda", dtype, enabled, cache_enabled)
