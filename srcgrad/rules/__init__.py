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

  ``t`` has the shape of ``args[i]``; the result has the shape of ``ans``
  (already broadcast: ``np.add``'s JVP spreads ``t`` with ``broadcast_like``).
  Contributions of several arguments are summed by the caller.
* ``defnondiff(f)`` marks a primitive with zero derivative (comparisons,
  ``floor``, ``argmax``): the tape does not record it and the compiler gives
  its output no adjoint.
* ``defalias(f, adaptor)`` rewrites a public function whose signature does not
  fit (``np.concatenate(arrays, axis)``) into a call of a primitive with one
  array per positional argument.

Further conventions every caller relies on:

* ``g`` has the shape and dtype of ``ans`` (seed a scalar output with
  ``np.ones_like(ans)``, not ``1.0``, or float32 gradients become float64).
* Arguments past the end of ``vjps`` get no gradient (``np.sum(x, 1)`` passes
  its axis positionally); use ``Rule.vjp_at(i)`` / ``Rule.call_vjp``.
* A VJP's result may be a read-only view (``np.broadcast_to``) or the very
  object ``g``: callers accumulate out of place (``acc = acc + ct``) or copy
  first, never write into a cotangent they received.
* Variadic primitives (``concatenate_args(*arrays, axis=0)``,
  ``stack_args(*arrays, axis=0)``, ``einsum_args(subscripts, *operands)``) are
  registered with ``variadic=True``: the last vjp/jvp serves every positional
  argument from its index on and is called with the keyword ``argnum=i``, the
  argument's index in ``args`` (``Rule.call_vjp``/``call_jvp`` do this).
  Such a rule may add ``vjp_all(g, ans, *args, argnums, **kwargs)``, the
  cotangents of all the arguments at ``argnums`` in one call (the tape's
  linear-time path for ``np.stack`` of many Tensors); so may a rule whose
  vjps share most of their work (``lstm_cell``).
* Multiple outputs (``split_tuple``, ``np.linalg.slogdet``, ``np.linalg.eigh``,
  ``svd_p``) are registered
  with ``multiple_outputs=True``: the primitive returns a tuple, ``ans`` is that
  tuple, each vjp receives ``g`` as a tuple with one cotangent per output (the
  caller materializes ``np.zeros_like(ans[k])`` for an output that received no
  gradient) and each jvp returns a tuple of tangents.
* Indexing: ``x[idx]`` is ``operator.getitem(x, idx)``; ``x[idx] = v`` is
  ``x = index_update(x, idx, v)`` and ``x[idx] += v`` is
  ``x = index_add(x, idx, v)`` (out of place; repeated indices accumulate in
  ``index_add`` and the last write wins in ``index_update``).
* Public functions whose signature does not fit are rewritten by ``ALIASES``
  before the table is consulted (``np.concatenate``, ``np.stack``,
  ``np.split``, ``np.einsum``, ``np.hstack``, ...): look a function up in
  ``ALIASES`` first, call the adaptor, and differentiate the primitive it calls.
* ``helpers.shape_only_params(vjp)`` names the parameters (among ``ans`` and the
  arguments) that a VJP reads only for their shape and dtype (``np.sum``'s
  ``x``, ``x[idx]``'s ``x``). A caller may pass a data-free stand-in for them,
  ``np.broadcast_to(np.zeros((), dtype), shape)``, instead of keeping the array
  alive and version-checking it (as PyTorch's ``SumBackward0`` saves only sizes).
* Creation functions (``np.zeros_like``, ``np.ones_like``, ``np.empty_like``),
  ``np.shape``/``np.ndim`` and the helper primitives ``equal_share``,
  ``max_share`` and ``last_write_mask`` are ``defnondiff``: rules call them freely.
  ``np.full_like`` is not: its fill value has a gradient.

Complex values follow PyTorch's convention:

* The gradient of a real loss ``L`` with respect to ``z = x + iy`` is
  ``dL/dx + i dL/dy``. A VJP maps ``g`` to ``conj(ds/dz) * g + ds/dconj(z) *
  conj(g)``: for a holomorphic ``f``, ``g * conj(f'(z))``, written with the
  helper ``conj`` (``g * conj(np.cos(x))``), which returns a real value itself,
  so the rule costs nothing more on real values; a bilinear rule conjugates
  the other operand (``g @ conj(mT(y))``). A JVP is ``f'(z) * t`` for a
  holomorphic ``f``, ``ds/dz * t + ds/dconj(z) * conj(t)`` otherwise.
* A real result of complex arguments (``np.abs``, ``np.real``, ``np.angle``,
  norms, ``np.var``) reads only ``np.real(g)``: a real value's cotangent may
  carry an imaginary part picked up from a complex neighbour, which means
  nothing. A real argument gets the real part of its cotangent; the callers
  take it (the tape at each node, the compiler when it returns).
* A rule may branch on ``is_complex(x)`` (``if is_complex(x): return ...``)
  where the complex formula differs; the compiler decides that test statically
  for code no complex value can reach, and drops ``conj(...)`` and
  ``np.real(...)`` there, so real code reads as before.
* ``defvjp(..., complex=True)`` marks a rule verified for complex values;
  ``tests/test_rules_complex.py`` checks each against finite differences on
  real and imaginary parts. The tape and the compiler refuse a complex value in
  a primitive whose rule is not marked.

Rules are plain numpy code over primitives that themselves have rules, so the
tape can run them on Tensors (that is how ``create_graph=True`` and second
derivatives work) and the compiler can inline their bodies into the code it
generates. Write each rule as a ``lambda`` (one per source line) or a ``def``
whose body is straight-line numpy. A rule may branch on *shapes* and on its
static arguments (``ndim_of(y) == 1``, ``axis is None``), inside a ``def`` such
as ``matmul_vjp_x`` or a conditional expression, never on array *values*; shape
arithmetic lives in plain-Python helpers (``srcgrad/rules/helpers.py``). Rules
never import the compiler or the runtime. ``docs/rules.md`` lists every rule
and the conventions chosen where the derivative is not unique.
"""

from .registry import ALIASES, RULES, Rule, defalias, defjvp, defnondiff, defvjp, get_rule, primitive
from .broadcast import shape_of, unbroadcast

# The table itself: importing these modules registers every rule.
from . import elementwise, mathfuncs, reductions, indexing, shape, linalg, nnfuncs  # noqa: E402,F401
from . import conv  # noqa: E402,F401  (im2col/col2im, behind nn's convolution and pooling)
from . import pooling  # noqa: E402,F401  (max_tiles: max pooling over tiles)
from . import complexnums  # noqa: E402,F401  (real, imag, conj, angle)
from . import fourier  # noqa: E402,F401  (np.fft)
from . import decomp  # noqa: E402,F401  (np.linalg.eig, eigvals, pinv)
from . import generated  # noqa: E402,F401  (the helpers generated code calls: its derivatives)
from . import operators  # noqa: E402,F401  (operator.mul, ... as the operators)
from . import recurrent  # noqa: E402,F401  (lstm_cell, PyTorch's fused LSTM cell)
from .indexing import index_add, index_update
from .einsum import einsum_args
from .linalg import svd_p, svdvals_p
from .nnfuncs import (addmm, binary_cross_entropy, linear, log_softmax, logsumexp, mse_loss, nll_loss, relu,
                      sigmoid, softmax, softplus, sum_rows, transpose2d)
from .recurrent import lstm_cell
from .shape import astype, atleast_p, concatenate_args, gradient_along, split_tuple, stack_args
from . import scipy_rules  # noqa: E402  (scipy's rules: registered for the scipy modules already imported)

scipy_rules.autoload()

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
    # primitives srcgrad defines (targets of aliases and of the compiler's rewrites)
    "index_add",
    "index_update",
    "concatenate_args",
    "stack_args",
    "split_tuple",
    "einsum_args",
    "svd_p",
    "svdvals_p",
    "astype",
    "gradient_along",
    "atleast_p",
    # ML helpers
    "sigmoid",
    "relu",
    "softplus",
    "softmax",
    "log_softmax",
    "logsumexp",
    "linear",
    "nll_loss",
    "sum_rows",
    "binary_cross_entropy",
    "addmm",
    "transpose2d",
    "mse_loss",
    "lstm_cell",
]
