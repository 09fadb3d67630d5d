"""Rules for ``scipy.signal.convolve`` (every ``mode``, any number of dimensions).

Importing this module imports ``scipy.signal`` and replaces
``scipy.signal.convolve`` by a ``@primitive`` wrapper (see ``scipy_patch.py``).
The cotangent of each input is a ``'valid'`` convolution of the output's
cotangent, padded back to the ``'full'`` size, with the other input flipped.
Rules assume real inputs.
"""

import numpy as np
import scipy.signal as signal

from .broadcast import shape_of
from .registry import defjvp, defnondiff, defvjp
from .scipy_patch import patch

__all__ = []

convolve = patch(signal, "convolve")


def full_padding(a, v, mode):
    """Where ``convolve(a, v, mode)`` sits inside the ``'full'`` result: ``np.pad`` widths per axis."""
    widths = []
    for n, m in zip(shape_of(a), shape_of(v)):
        full = n + m - 1
        if mode == "full":
            start, length = 0, full
        elif mode == "valid":
            start, length = min(n, m) - 1, max(n, m) - min(n, m) + 1
        elif mode == "same":
            start, length = (full - n) // 2, n
        else:
            raise ValueError(f"scipy.signal.convolve: unknown mode {mode!r}")
        widths.append((start, full - start - length))
    return tuple(widths)


defnondiff(full_padding)  # shape arithmetic (and its raise): the compiler reads the VJPs again, not this


defvjp(convolve,
       lambda g, ans, in1, in2, mode="full", method="auto":
       convolve(np.pad(g, full_padding(in1, in2, mode)), np.flip(in2), "valid"),
       lambda g, ans, in1, in2, mode="full", method="auto":
       convolve(np.pad(g, full_padding(in1, in2, mode)), np.flip(in1), "valid"),
       name="signal_convolve")
defjvp(convolve,
       lambda t, ans, in1, in2, mode="full", method="auto": convolve(t, in2, mode),
       lambda t, ans, in1, in2, mode="full", method="auto": convolve(in1, t, mode))
