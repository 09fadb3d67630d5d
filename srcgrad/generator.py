"""The random state: ``Generator``, ``default_generator`` and the seeding functions.

Every random draw of srcgrad (``randn``, ``rand``, dropout, initialisation,
``Tensor.uniform_``, samplers) reads ``default_generator`` unless given a
``generator=``. Kept apart from the Tensor makers so that ``tensor.py`` can
read it without importing ``creation.py``, which imports ``tensor.py``.
"""

import numpy as np

from .device import check_device as _check_device

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed"]


class Generator:
    """A random generator (numpy's PCG64 underneath): ``generator=`` of the random functions takes one.

    ``srcgrad.default_generator`` is the one ``randn``, ``rand``, dropout and
    initialisation use; ``manual_seed`` reseeds it. The draws follow PyTorch's
    distributions, not its bit stream.

    Args:
        device: ``"cpu"`` (the only device).

    Example:
        >>> import srcgrad
        >>> g = srcgrad.Generator().manual_seed(0)
        >>> g.initial_seed()
        0
    """

    def __init__(self, device="cpu", seed=None):
        _check_device("Generator", device)
        self._seed = seed
        self.rng = np.random.default_rng(seed)

    def manual_seed(self, seed):
        """Reseed; returns the generator."""
        self._seed = int(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def seed(self):
        """Reseed from the operating system's entropy; returns the new seed."""
        self.manual_seed(int(np.random.SeedSequence().entropy % (2**63)))
        return self._seed

    def initial_seed(self):
        """The seed last given to ``manual_seed`` (None before any)."""
        return self._seed

    def get_state(self):
        """The generator's state (numpy's bit generator state, a dict)."""
        return self.rng.bit_generator.state

    def set_state(self, state):
        """Restore a state from ``get_state``; returns the generator."""
        self.rng.bit_generator.state = state
        return self

    @property
    def device(self):
        """``device("cpu")``."""
        return _check_device("Generator", None)


default_generator = Generator()


def manual_seed(seed):
    """Seed the generator behind ``randn``, ``rand``, dropout and initialisation.

    Args:
        seed: an int.

    Returns:
        The generator.
    """
    return default_generator.manual_seed(int(seed))


def seed():
    """Reseed ``default_generator`` from the operating system's entropy; returns the seed."""
    return default_generator.seed()


def initial_seed():
    """The seed last given to ``manual_seed`` (None before any)."""
    return default_generator.initial_seed()
