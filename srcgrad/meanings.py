"""Tensor methods whose name means one thing on numpy's ndarray and another on PyTorch's Tensor.

A plain numpy function runs in dynamic mode when called on Tensors, and a
PyTorch script runs on srcgrad by changing its import. Most methods mean the
same in both libraries (``sum``, ``mean``, ``exp``, ``reshape``) and a Tensor
accepts both spellings of their arguments (``axis``/``dim``,
``keepdims``/``keepdim``). A few do not:

=================  ==============================  ==========================================
method             numpy's ndarray                 PyTorch's Tensor
=================  ==============================  ==========================================
``x.std()``        divides by n (``ddof=0``)       divides by n - 1 (``unbiased=True``)
``x.var()``        divides by n                    divides by n - 1
``x.max(0)``       the maxima                      ``(values, indices)``
``x.min(0)``       the minima                      ``(values, indices)``
``x.sort()``       sorts in place, returns None    returns ``(values, indices)``
``x.transpose(0, 1)`` of a matrix  the identity permutation    swaps the two axes
``x.repeat(2)``    repeats each element            tiles the whole Tensor
``x.nonzero()``    a tuple of index arrays         an ``(n, ndim)`` matrix
=================  ==============================  ==========================================

srcgrad resolves such a call by its arguments: a keyword only numpy has
(``ddof``, ``axis``, ``kind``, ``order``) selects numpy's meaning, one only
PyTorch has (``unbiased``, ``correction``, ``dim``, ``descending``,
``as_tuple``) selects PyTorch's, and a call only one library accepts has that
library's meaning. A call both accept with different results is *ambiguous*:
srcgrad never guesses. It raises ``AmbiguousMethodError`` naming both
spellings, unless a meaning was chosen with ``set_method_meanings("numpy")``
or ``set_method_meanings("pytorch")`` (``srcgrad run SCRIPT`` chooses
PyTorch's, since it runs PyTorch scripts), or the call is written in a module
that imports srcgrad under PyTorch's name (``import srcgrad as torch``, the
one-line port of a PyTorch file): there every Tensor is PyTorch's by the
module's own word, so its ambiguous calls take PyTorch's meaning. numpy's free
functions (``np.std(x)``, ``np.sort(x)``) always have numpy's meaning, and
srcgrad's (``srcgrad.std(x)``) PyTorch's.
"""

import sys

from .errors import SrcgradError

__all__ = ["AmbiguousMethodError", "set_method_meanings", "get_method_meanings", "resolve", "pytorch_here"]

_CHOICES = ("refuse", "numpy", "pytorch")
_SETTING = ["refuse"]


class AmbiguousMethodError(SrcgradError, TypeError):
    """A Tensor method call that means different things in numpy and PyTorch, with no meaning chosen."""


class set_method_meanings:
    """Choose what an ambiguous Tensor method call means, for the whole process.

    Works as a call (``set_method_meanings("pytorch")``) and as a context
    manager that puts the previous choice back on exit.

    Args:
        which: ``"refuse"`` (the default: raise ``AmbiguousMethodError``),
            ``"numpy"`` or ``"pytorch"``.

    Raises:
        ValueError: another value.

    Example:
        >>> import srcgrad
        >>> x = srcgrad.tensor([1.0, 2.0, 3.0, 4.0])
        >>> with srcgrad.set_method_meanings("numpy"):
        ...     print(x.std().item())
        1.118033988749895
    """

    def __init__(self, which):
        if which not in _CHOICES:
            raise ValueError(f"set_method_meanings takes one of {', '.join(map(repr, _CHOICES))}, not {which!r}")
        self._previous = _SETTING[0]
        _SETTING[0] = which

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _SETTING[0] = self._previous


def get_method_meanings():
    """The current choice: ``"refuse"``, ``"numpy"`` or ``"pytorch"``."""
    return _SETTING[0]


def resolve(call, numpy_form, pytorch_form, difference):
    """The meaning of an ambiguous call: the chosen one, PyTorch's in a ported module, or raise.

    With no meaning chosen (``"refuse"``), the call is PyTorch's when the code that made it (the
    first caller outside srcgrad) is in a module whose global ``torch`` is srcgrad itself: a PyTorch
    file ported by changing its import (``import srcgrad as torch``). Any other caller gets the error.

    Args:
        call: the call as written (``"x.std()"``).
        numpy_form: how to ask for numpy's meaning (``"x.std(ddof=0)"``).
        pytorch_form: how to ask for PyTorch's (``"x.std(correction=1)"``).
        difference: what differs, in a few words.

    Returns:
        ``"numpy"`` or ``"pytorch"``.

    Raises:
        AmbiguousMethodError: no meaning was chosen.
    """
    which = _SETTING[0]
    if which != "refuse":
        return which
    if _ported(sys._getframe(1)):
        return "pytorch"
    raise AmbiguousMethodError(
        f"{call} means different things in numpy and PyTorch ({difference}), and srcgrad does not guess. "
        f"Write {numpy_form} for numpy's meaning or {pytorch_form} for PyTorch's, or choose one for every such "
        'call with srcgrad.set_method_meanings("numpy") or ("pytorch") (srcgrad run chooses "pytorch", and so '
        "does a module that imports srcgrad as torch)."
    )


def pytorch_here(depth=2):
    """Whether the code calling into srcgrad now reads Tensors as PyTorch's, for what differs silently.

    Augmented assignment on a 0-d Tensor, ``@=``, ``x[i]`` of a single element and ``x.flatten()``
    behave as numpy's (rebind, in place, a copy, a copy) or as PyTorch's (in place, rebind, a 0-d
    view, maybe a view). PyTorch's hold when chosen for the process (``set_method_meanings("pytorch")``,
    ``srcgrad run``) or, with no meaning chosen, in a module that binds srcgrad to ``torch``: the same
    rule as ``resolve``'s, so an import-renamed program computes what it computes under ``srcgrad run``.

    Args:
        depth: how many frames above this call the user's code is when it calls srcgrad directly (2:
            the caller of the method that asks). Only that frame is looked at, unless it is srcgrad's
            own, so the question costs one frame lookup on these hot paths (``x[i]`` in a loop).

    Returns:
        True for PyTorch's behaviour, False for numpy's.
    """
    which = _SETTING[0]
    if which != "refuse":
        return which == "pytorch"
    try:
        frame = sys._getframe(depth)
    except ValueError:  # called with fewer frames above (from C code at the bottom of a thread)
        return False
    return _ported(frame)


_NO_MODULE = object()


def _ported(frame):
    """Whether the first frame from ``frame`` outward that is not srcgrad's runs in a module that binds
    srcgrad to the name ``torch``."""
    while frame is not None:
        module_globals = frame.f_globals
        name = module_globals.get("__name__")
        if not (type(name) is str and (name == "srcgrad" or name.startswith("srcgrad."))):
            return module_globals.get("torch") is sys.modules.get("srcgrad", _NO_MODULE)
        frame = frame.f_back
    return False
