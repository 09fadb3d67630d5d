"""The shared corpus: plain numpy/math functions of the kinds people write.

Each theme module defines its functions the way a user would (no concessions to
either mode) and lists them in ``CASES`` with ``case(...)``: an input factory
(``rng -> args``), ``wrt`` (the argument indices differentiated), and, rarely,
what one mode does instead of differentiating (``Limitation``: an error the user
gets, asserted by the tests; ``Bug``: a wrong result, run as a strict xfail).

``tests/test_modes_agree.py`` runs every case through static mode (``srcgrad.grad``),
dynamic mode (Tensors and ``.backward()``), forward mode (``srcgrad.jvp``) and
central finite differences, and checks that they all agree.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Limitation:
    """A documented limitation: this mode raises ``error`` with a message matching ``match``."""

    error: type
    match: str
    reason: str


@dataclass(frozen=True)
class Bug:
    """A known bug or gap in one mode: run as ``xfail(strict=True, raises=raises)`` so a fix is noticed.

    ``raises`` is the exception the failure shows today (``AssertionError`` for a wrong value),
    so a failure of a different kind is not hidden by the xfail.
    """

    reason: str
    raises: object = AssertionError


@dataclass(frozen=True)
class Case:
    """One corpus function with its inputs.

    Attributes:
        fn: the function; returns a scalar.
        make_args: ``rng -> tuple`` of arguments (float64 arrays, Python floats, ints, index arrays).
        wrt: the indices of the arguments to differentiate.
        theme: the module it comes from.
        static, dynamic, forward: ``None`` (the mode must work), a ``Limitation`` or a ``Bug``.
        rtol, atol: tolerances against finite differences.
    """

    fn: object
    make_args: object
    wrt: tuple
    theme: str = ""
    static: object = None
    dynamic: object = None
    forward: object = None
    rtol: float = 1e-5
    atol: float = 1e-6
    notes: str = field(default="", compare=False)

    @property
    def name(self):
        return f"{self.theme}.{self.fn.__name__}"


def case(fn, make_args, wrt=0, **options):
    """A ``Case``; ``wrt`` may be an index or a tuple of indices."""
    wrt = tuple(wrt) if isinstance(wrt, (tuple, list)) else (wrt,)
    theme = fn.__module__.rsplit(".", 1)[-1]
    return Case(fn, make_args, wrt, theme, **options)


def all_cases():
    """Every case of every theme module, in a fixed order."""
    from . import (calls, containers, control, elementwise, idioms, indexing, linalg, methods, ml, nondiff,
                   recursion, reductions, scalar, shapes, structures)

    cases = []
    for module in (scalar, elementwise, reductions, linalg, shapes, indexing, control, calls, recursion, structures,
                   containers, nondiff, ml, idioms, methods):
        cases.extend(module.CASES)
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), "corpus function names must be unique"
    return cases


# ---------------------------------------------------------------------------------------------
# What a mode does instead of differentiating, in one place so the list stays short and visible.
# Each corpus module refers to these by name; docs/testing.md lists them.

from srcgrad.errors import AutogradError, NoRuleError, TransformError  # noqa: E402
from srcgrad.meanings import AmbiguousMethodError  # noqa: E402

# Dynamic mode: documented limitations (the tape raises; PyTorch behaves the same way).
MATH_ON_TENSOR = Limitation(
    AutogradError, r"float\(\) of a Tensor that requires grad would drop it from the graph",
    "math.* functions turn their argument into a Python float (Tensor.__float__), which would silently drop a "
    "Tensor from the graph, so the tape refuses; use the numpy function (np.sin, np.exp) in code that runs on "
    "Tensors")
TENSOR_INTO_NDARRAY = Limitation(
    AutogradError, r"Can't call numpy\(\) on Tensor that requires grad",
    "writing a Tensor into an ndarray (a preallocated np.zeros buffer, np.array of a list of Tensors) "
    "would drop it from the graph, so the tape refuses; use np.zeros_like(x) or np.stack")
INPLACE_ON_LEAF = Limitation(
    AutogradError, "a leaf Variable that requires grad is being used in an in-place operation",
    "`y = x; y *= x` changes x itself when x is a Tensor (as it would an ndarray); PyTorch refuses the same")
AMBIGUOUS_METHOD = Limitation(
    AmbiguousMethodError, "means different things in numpy and PyTorch",
    "x.std(), x.var(axis=0), x.max(0), x.sort(), x.transpose(0, 1) of a matrix, x.repeat(2, 1) and x.nonzero() "
    "mean one thing on an ndarray and another on a PyTorch Tensor; the tape does not guess (with "
    "set_method_meanings('numpy') it follows numpy, which tests/test_modes_agree.py checks)")
UFUNC_AT_TAPE = Limitation(
    NoRuleError, r"cannot record np\.add\.at",
    "ufunc methods (np.add.at, np.maximum.reduce, ...) are not recorded: the tape names the numpy function to use")
SCALAR_INTO_NDARRAY = Limitation(
    ValueError, "setting an array element with a sequence",
    "`buf[0] = t` stores float(t) into the ndarray; Tensor.__float__ refuses a Tensor that requires grad (numpy "
    "reports it as a ValueError caused by srcgrad's AutogradError); use np.zeros_like(x) or np.stack")

# Static and forward mode: documented limitations (the compiler raises TransformError at the user's line).
VIEW_THEN_WRITE = Limitation(
    TransformError, r"is used after 'y' is written into",
    "a value read out of an array, or a second name for it (`y = z; y[0] = v`), used after the array is "
    "written into would not see the write (the compiler writes out of place), so it is refused")
UFUNC_AT = Limitation(
    TransformError, "the call of at discards its result",
    "a call that changes its arguments in place and returns nothing (np.add.at) cannot be followed; the compiler "
    "says so at the line")
METHOD_NOT_COMPILED = Limitation(
    TransformError, r"the method \.repeat\(\) of a local value is not supported",
    "the compiler reads numpy's ndarray.repeat only as the function np.repeat(x, n, axis); it names the line")
SORT_IN_PLACE = Limitation(
    TransformError, r"a call of the method \.sort\(\) whose result is discarded",
    "ndarray.sort() sorts in place and returns None; the compiler follows values, not in-place changes, and "
    "says so at the line (use y = np.sort(x))")
LOCAL_DEFAULT = Limitation(
    TransformError, "a default value may not depend on local variables",
    "a nested def whose default captures a local (def g(t, k=k) in a loop) is rejected at its line")
