"""Random draws: calls whose value differs from one call to the next (numpy's and Python's random numbers).

Guarantees: ``draws_random`` tells such a callee (a function of ``np.random`` or ``random``, a method of a
``np.random.RandomState``, ``np.random.Generator`` or ``random.Random``, and the constructors of those, whose
object the draws then change). ``normalize`` marks an assignment of a draw (``NonDiff.draws``); the passes then
compute it exactly once where the function does: the forward sweep saves it like any value the adjoint reads
(never taken as the same in every loop iteration), ``optimize`` never removes it as a dead store (the draws
after it would change), and ``grad(checkpoint=True)`` does not run a loop that draws again (it would draw other
numbers): it stores that loop's iterations and says so. ``SameDraws`` gives every pass of a Hessian or Jacobian the
draws of one call.
"""

import random

import numpy as np

__all__ = ["draws_random", "makes_generator", "SameDraws"]

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


def _state_of(gen):
    """The ``(get, set)`` pair of a generator's state."""
    if isinstance(gen, np.random.Generator):
        bits = gen.bit_generator
        return (lambda: bits.state), (lambda state: setattr(bits, "state", state))
    if isinstance(gen, np.random.BitGenerator):
        return (lambda: gen.state), (lambda state: setattr(gen, "state", state))
    if isinstance(gen, random.Random):
        return gen.getstate, gen.setstate
    return gen.get_state, gen.set_state


def _reachable_generators(fn, args):
    """The generators a call of ``fn(*args)`` can be seen to draw from: its arguments, the globals its code (and
    its nested functions' code) names, its closure cells; ``GradFunction``s and other wrappers are looked through
    (``_original``, ``__wrapped__``)."""
    while True:
        inner = getattr(fn, "_original", None) or getattr(fn, "__wrapped__", None)
        if inner is None or inner is fn:
            break
        fn = inner
    found = [a for a in args if isinstance(a, _GENERATORS)]
    code, glob = getattr(fn, "__code__", None), getattr(fn, "__globals__", {})
    codes = [code] if code is not None else []
    while codes:
        c = codes.pop()
        codes.extend(k for k in c.co_consts if hasattr(k, "co_names"))
        found.extend(glob[n] for n in c.co_names if isinstance(glob.get(n), _GENERATORS))
    for cell in getattr(fn, "__closure__", None) or ():
        try:
            if isinstance(cell.cell_contents, _GENERATORS):
                found.append(cell.cell_contents)
        except ValueError:  # an empty cell
            pass
    return list({id(g): g for g in found}.values())


class SameDraws:
    """Every pass of a derivative made of several passes (a Hessian's columns, a Jacobian's rows) sees the
    random numbers of one call of the function, as a single forward pass would (PyTorch's
    ``autograd.functional.hessian`` runs the function once): the state of numpy's and Python's global
    generators, and of every generator the function can be seen to draw from (``_reachable_generators``), is
    read once and put back before each pass. Afterwards the generators stand where one call leaves them.

    Args:
        fn: the function (or ``GradFunction``) the passes run.
        args: its arguments.
    """

    def __init__(self, fn, args):
        pairs = [(np.random.get_state, np.random.set_state), (random.getstate, random.setstate)]
        pairs += [_state_of(g) for g in _reachable_generators(fn, args)]
        self._saved = [(put, get()) for get, put in pairs]

    def each(self, items):
        """Yield each of ``items`` after putting every generator back where it stood when this object was made."""
        for item in items:
            for put, state in self._saved:
                put(state)
            yield item
