"""The one table of derivative rules, shared by the compiler and the tape.

The contract
============

A *primitive* is a function srcgrad differentiates from its rule rather than
from its source: a numpy ufunc or function (``np.sin``, ``np.sum``), a ``math``
function, an operator's function (``operator.getitem``), or a numpy-level
function srcgrad defines with ``@primitive`` (``sigmoid``, ``logsumexp``).

Each primitive ``f`` called as ``ans = f(*args, **kwargs)`` has one ``Rule``:

* ``defvjp(f, vjp_0, vjp_1, ...)`` gives one VJP per positional argument::

      vjp_i(g, ans, *args, **kwargs) -> cotangent of args[i]

  ``g`` is the cotangent of ``ans``. The VJP receives exactly the arguments
  ``f`` received, ``ans`` included, and returns a value of the *broadcast*
  shape: the caller (the tape's engine, the compiler's generated code) undoes
  broadcasting with ``unbroadcast`` and adds into the accumulator. ``None``
  in place of a VJP means that argument gets no gradient (an axis, a shape,
  an integer index).
* ``defjvp(f, jvp_0, jvp_1, ...)`` gives the forward-mode rules::

      jvp_i(t, ans, *args, **kwargs) -> tangent of ans contributed by args[i]

  Contributions of several arguments are summed by the caller.
* ``defnondiff(f)`` marks a primitive with zero derivative (comparisons,
  ``floor``, ``argmax``): the tape does not record it and the compiler gives
  its output no adjoint.
* ``defalias(f, adaptor)`` rewrites a public function whose signature does not
  fit (``np.concatenate(arrays, axis)``) into a call of a primitive with one
  array per positional argument.

Rules are plain numpy code over primitives that themselves have rules, so the
tape can run them on Tensors (that is how ``create_graph=True`` and second
derivatives work) and the compiler can inline their bodies into the code it
generates. Write each rule as a ``lambda`` (one per source line) or a ``def``
whose body is straight-line numpy. Rules never import the compiler or the
runtime.
"""

from .registry import ALIASES, RULES, Rule, defalias, defjvp, defnondiff, defvjp, get_rule, primitive
from .broadcast import shape_of, unbroadcast

__all__ = [
    "ALIASES",
    "RULES",
    "Rule",
    "defalias",
    "defjvp",
    "defnondiff",
    "defvjp",
    "get_rule",
    "primitive",
    "shape_of",
    "unbroadcast",
]
