"""Random draws: calls whose value differs from one call to the next (numpy's and Python's random numbers).

Guarantees: ``draws_random`` tells such a callee (a function of ``np.random`` or ``random``, a method of a
``np.random.RandomState``, ``np.random.Generator`` or ``random.Random``, and the constructors of those, whose
object the draws then change). ``normalize`` marks an assignment of a draw (``NonDiff.draws``); the passes then
compute it exactly once where the function does: the forward sweep saves it like any value the adjoint reads
(never taken as the same in every loop iteration), ``optimize`` never removes it as a dead store (the draws
after it would change), and ``grad(checkpoint=True)`` does not run a loop that draws again (it would draw other
numbers): it stores that loop's iterations and says so.
"""

import random

import numpy as np

__all__ = ["draws_random", "makes_generator"]

_GENERATORS = (np.random.RandomState, np.random.Generator, np.random.BitGenerator, random.Random)


def draws_random(fn):
    """Whether calling ``fn`` draws random numbers or makes or reseeds a random generator."""
    if isinstance(getattr(fn, "__self__", None), _GENERATORS):
        return True
    if isinstance(fn, type) and issubclass(fn, _GENERATORS):
        return True
    module = getattr(fn, "__module__", None)
    return isinstance(module, str) and (module in ("random", "numpy.random") or module.startswith("numpy.random."))


def makes_generator(fn):
    """Whether calling ``fn`` returns a random generator (``np.random.RandomState(0)``, ``np.random.default_rng()``)
    whose methods draw."""
    return (isinstance(fn, type) and issubclass(fn, _GENERATORS)) or fn is np.random.default_rng
