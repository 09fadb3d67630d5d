"""numpy's namespace for code differentiated in both modes: ``import srcgrad.numpy as np``.

The one-line port of a HIPS autograd or JAX program (``import autograd.numpy as np``,
``import jax.numpy as jnp``). Every name is numpy's own object except the few that must read a
list or tuple holding Tensors, which numpy would turn into an ndarray before any Tensor is seen:

* ``array``, ``asarray``, ``asanyarray``, ``ascontiguousarray``, ``asfortranarray``,
  ``asarray_chkfinite``: ``np.array([x, 1.0, y])`` is a Tensor recorded as one ``np.stack``;
* the ufuncs and the functions whose arguments are arrays (``np.sum``, ``np.mean``, ``np.max``,
  ``np.dot``, ``np.where``, ...: ``_ARRAY_FUNCTIONS``) take such lists as ``np.array`` of them;
* ``np.r_`` and ``np.c_`` take Tensors;
* ``linalg``, ``fft`` and ``random`` are the same for numpy's submodules.

Given no Tensor, each of them is numpy's function (same results, dtypes and errors).
``srcgrad.grad`` reads a function written against this module exactly as one written against
numpy (``__srcgrad_numpy__`` names the numpy object each stand-in replaces): the generated code is
the same. See docs/porting.md, "Porting from HIPS autograd or JAX".
"""

import numpy as _np

from ..numpy_lists import (
    Concatenator as _Concatenator,
    UfuncAcceptingLists as _UfuncAcceptingLists,
    accepting_lists as _accepting_lists,
    array,
    asanyarray,
    asarray,
    asarray_chkfinite,
    ascontiguousarray,
    asfortranarray,
)
from . import fft, linalg, random

__srcgrad_numpy__ = _np

# numpy functions whose list or tuple arguments are arrays (not sequences of arrays, as np.stack's are)
_ARRAY_FUNCTIONS = frozenset(
    """sum prod mean std var max min amax amin average ptp median nanmedian quantile percentile
    nansum nanprod nanmean nanstd nanvar nanmax nanmin cumsum cumprod nancumsum nancumprod
    ravel reshape transpose squeeze expand_dims flip fliplr flipud roll rot90 moveaxis swapaxes
    diag diagonal trace tril triu tile repeat sort clip where dot vdot inner outer tensordot kron
    cross convolve correlate diff real imag angle round around copy atleast_1d atleast_2d
    atleast_3d broadcast_to sinc logaddexp real_if_close nan_to_num prod cov corrcoef""".split()
)

# ... and how many of their leading positional parameters are arrays, where more than one
_LEADING_ARRAYS = {
    **dict.fromkeys("dot vdot inner outer tensordot kron cross convolve correlate cov corrcoef".split(), 2),
    "where": 3,
    "clip": 3,
}

r_ = _Concatenator(_np.r_, axis=0, ndmin=1, trans1d=-1)
c_ = _Concatenator(_np.c_, axis=-1, ndmin=2, trans1d=0)

__all__ = sorted(set(_np.__all__) | {"linalg", "fft", "random"})


def __getattr__(name):
    """numpy's ``name``; a ufunc or a function of ``_ARRAY_FUNCTIONS`` made to accept lists of Tensors.

    Made once: the result is kept in this module's namespace."""
    value = getattr(_np, name)
    if isinstance(value, _np.ufunc):
        value = _UfuncAcceptingLists(value)
    elif name in _ARRAY_FUNCTIONS:
        value = _accepting_lists(value, _LEADING_ARRAYS.get(name, 1))
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(dir(_np)) | {n for n in globals() if not n.startswith("_")})
