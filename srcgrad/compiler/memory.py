"""What numpy does with memory: which calls return a new array, and which take ``out`` positionally.

The compiler computes in-place writes out of place (``y *= 2`` becomes ``y = y * 2``), which is right
only when no other name shares the written memory. ``normalize`` refuses numpy's ``out`` given
positionally as it refuses ``out=``; ``aliasing`` needs to know which results are new arrays and
which may be views of, or the very same array as, an argument. Every answer here errs towards "may
share": a call not listed shares.
"""

import ast
import inspect

import numpy as np

from .ir import Const

__all__ = ["ARGUMENT_DEPENDENT", "makes_new_array", "new_array_functions", "out_given_positionally"]


def new_array_functions():
    """Functions (other than ufuncs) whose result never shares memory with their arguments, whatever they
    are given (``tests/test_compiler_aliasing.py`` checks each with ``np.shares_memory``).

    Not here: those whose result is a view or the argument itself (``np.linalg.diagonal``,
    ``np.linalg.matrix_transpose``, the reshaping helpers of ``rules.nnfuncs`` and ``rules.conv``), those that make a new
    array except for some arguments (``ARGUMENT_DEPENDENT``), and ``np.round``/``np.around``/``round``,
    which return an integer array itself on numpy before 2.3 (the version Python 3.10 gets).
    """
    from ..rules import nnfuncs, reductions, shape, conv, linalg

    fns = {
        np.sum,
        np.mean,
        np.prod,
        np.max,
        np.min,
        np.amax,
        np.amin,
        np.std,
        np.var,
        np.dot,
        np.vdot,
        np.inner,
        np.outer,
        np.tensordot,
        np.trace,
        np.cumsum,
        np.cumprod,
        np.clip,
        np.where,
        np.copy,
        np.tile,
        np.repeat,
        np.roll,
        np.sort,
        np.pad,
        np.convolve,
        np.cross,
        np.interp,
        np.take,
        np.take_along_axis,
        np.tril,
        np.triu,
        np.kron,
        np.median,
        np.average,
        np.zeros,
        np.ones,
        np.empty,
        np.full,
        np.zeros_like,
        np.ones_like,
        np.empty_like,
        np.full_like,
        np.arange,
        np.linspace,
        np.eye,
        np.identity,
        np.argmax,
        np.argmin,
        np.argsort,
        np.nonzero,
        np.flatnonzero,
        np.argwhere,
        np.all,
        np.any,
        np.isclose,
        np.allclose,
        np.count_nonzero,
        np.searchsorted,
        np.shape,
        np.ndim,
        np.size,
        np.array_equal,
        np.fix,
        np.concatenate,
        np.stack,
        np.hstack,
        np.vstack,
        np.column_stack,
        len,
        int,
        float,
        bool,
        str,
        range,
        abs,
        sum,
        shape.concatenate_args,
        shape.stack_args,
        reductions.others_product,
    }
    for module in (nnfuncs, conv):
        fns |= {f for f in vars(module).values() if callable(f) and getattr(f, "__module__", "") == module.__name__}
    fns -= {nnfuncs.transpose2d, nnfuncs.batch_rows, nnfuncs.input_rows}  # np.transpose, np.reshape: views
    fns -= {conv.conv_output_matrix, conv.conv_bias_tangent}  # g itself or its view; a broadcast view
    fns |= {linalg.svd_p, linalg.svdvals_p}
    fns |= {getattr(np.linalg, n) for n in np.linalg.__all__} - {np.linalg.LinAlgError}
    fns -= {np.linalg.diagonal, np.linalg.matrix_transpose} | set(ARGUMENT_DEPENDENT)  # views; see below
    return fns


ARGUMENT_DEPENDENT = {
    # function: (parameter, its position or None, whether a constant value of it makes a new array); numpy returns
    # the argument itself otherwise (np.diff(y, 0), np.nan_to_num(y, copy=False), matrix_power(y, 1))
    np.diff: ("n", 1, lambda n: type(n) is int and n >= 1),
    np.nan_to_num: ("copy", 1, bool),
    np.linalg.matrix_power: ("n", 1, lambda n: type(n) is int and n != 1),
    np.array: ("copy", None, bool),  # keyword only; copy=None copies only when it must
}
"""Functions that make a new array for some values of one argument and return their argument for others."""

_NEW = None


def makes_new_array(fn, args=(), kwargs=None):
    """True when ``fn(*args, **kwargs)`` certainly returns an array sharing no memory with its arguments.

    Args:
        fn: the callee.
        args, kwargs: the arguments as ``ast`` nodes or IR atoms (a ``Const``'s node is read; a ``Var``,
            or ``None``, is a value known only at run time).

    Returns:
        A bool: False where the result may be a view, the argument itself, or is unknown.
    """
    global _NEW
    if _NEW is None:
        _NEW = new_array_functions()
    kwargs = kwargs or {}
    if "out" in kwargs:
        return False
    if isinstance(fn, np.ufunc):
        return len(args) <= fn.nin  # a further positional argument is out
    try:
        if fn in _NEW:
            return True
        entry = ARGUMENT_DEPENDENT.get(fn)
    except TypeError:  # unhashable
        return False
    if entry is None:
        return False
    name, position, new_for = entry
    node = args[position] if position is not None and position < len(args) else kwargs.get(name, _ABSENT)
    if node is _ABSENT:
        return True  # the default makes a new array
    node = node.node if isinstance(node, Const) else node
    if not isinstance(node, ast.AST):
        return False
    try:
        return bool(new_for(ast.literal_eval(node)))
    except ValueError:  # not a literal
        return False


_ABSENT = object()


def out_given_positionally(fn, nargs):
    """True when ``fn`` called with ``nargs`` positional arguments gets its ``out`` among them
    (``np.multiply(y, 2.0, y)``, ``np.clip(y, 0.0, 1.0, z)``), which writes into that array in place.

    Args:
        fn: the callee (a method's numpy function, with ``nargs`` counting the array it is called on).
        nargs: the number of positional arguments.

    Returns:
        A bool; False for functions that are not numpy's or scipy's (the user's own may name a parameter out).
    """
    if nargs < 2 or fn is None:
        return False
    if isinstance(fn, np.ufunc):
        return nargs > fn.nin
    if not (getattr(fn, "__module__", None) or "").startswith(("numpy", "scipy")):
        return False
    try:
        params = list(inspect.signature(fn).parameters.values())[:nargs]
    except (TypeError, ValueError):  # no signature: a builtin
        return False
    for p in params:
        if p.kind is inspect.Parameter.VAR_POSITIONAL:
            return False
        if p.name == "out":
            return True
    return False
