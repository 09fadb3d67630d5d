import numpy as np
import pytest


@pytest.fixture
def rng():
    """A seeded generator, so every test sees the same numbers."""
    return np.random.default_rng(0)
