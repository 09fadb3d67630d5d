"""A zero derivative only where one is proven: what the compiler cannot see into is refused, never constant.

Each case here used to give a zero gradient or tangent without an error (or crashed inside generated
code): an object's ``__getitem__`` given a differentiable value, a differentiable value passed by keyword,
``astype`` to a dtype the compiler cannot tell, a call with no rule given a value by keyword in ``jvp``, a
primitive with a VJP but no JVP in ``jvp``, functions that write into their arguments, and constant pieces
of ``np.concatenate``/``np.stack``/``np.vstack`` in ``jvp``. Refusals name this file and the line.
"""

import inspect

import numpy as np
import pytest

import srcgrad
from corpus.harness import check_grad_and_jvp as check
from srcgrad.errors import NoRuleError, TransformError

X = np.array([0.5, -0.7, 0.9, 1.3])
XP = np.array([0.0, 1.0])
G = np.array([0.25, -0.5, 1.5, 2.0])


class Table:
    """An object whose ``[]`` the compiler cannot see into."""

    def __getitem__(self, k):
        return np.asarray(k) * 2.0


TABLE = Table()


def refused(f, *args, error=TransformError, match=None):
    """grad and jvp of ``f`` raise ``error`` at the line of ``f`` marked ``# refused``, in this file."""
    lines, first = inspect.getsourcelines(f)
    line = next(first + k for k, text in enumerate(lines) if "# refused" in text)
    for transform in ("grad", "jvp"):
        with pytest.raises(error, match=match) as info:
            if transform == "grad":
                srcgrad.grad(f)(*args)
            else:
                srcgrad.jvp(f)(*args, np.ones_like(args[0]))
        assert f"{__file__}, line {line}" in str(info.value), (transform, str(info.value))


# ------------------------------------------------------------------ things the compiler cannot see into


def unknown_getitem(x):
    y = TABLE[x]  # refused
    return np.sum(y**2)


def unknown_getitem_of_an_index(x):
    total = 0.0
    for i in range(2):
        total = total + x[i] * TABLE[i]  # an integer index: no derivative flows through TABLE
    return total


def mgrid_with_a_differentiable_bound(x):
    grid = np.mgrid[0.0 : x[0] : 5j]  # refused
    return np.sum(grid)


def test_an_objects_getitem_given_a_differentiable_value_is_refused():
    refused(unknown_getitem, X, match=r"TABLE\[...\] \(the \[\] of a Table object\)")
    refused(mgrid_with_a_differentiable_bound, X, match="np.mgrid")


def test_an_objects_getitem_given_an_integer_is_fine():
    check(unknown_getitem_of_an_index, X)


def interp_fp_by_keyword(x):
    return np.interp(0.3, XP, fp=x[0:2] * 2.0)  # refused


def interp_fp_positional(x):
    return np.interp(0.3, XP, x[0:2] * 2.0)


def dot_by_keyword(x):
    return np.dot(x, b=x * 2.0)  # refused


def test_a_differentiable_keyword_argument_is_refused():
    refused(interp_fp_by_keyword, X, match="keyword argument fp= of interp")
    refused(dot_by_keyword, X, match="keyword argument b= of dot")
    check(interp_fp_positional, X)


def astype_complex(x):
    return np.sum(np.abs(x.astype(complex)))  # refused


def astype_unknown_dtype(x, dt):
    return np.sum(x.astype(dt) ** 2)  # refused


def astype_int(x):
    return np.sum(x.astype(np.int64) * x)


def astype_float_names(x):
    return np.sum(x.astype("f8") * x.astype(np.float64) + x.astype("float64") * x.astype(float))


def test_astype():
    refused(astype_complex, X, match="complex")
    with pytest.raises(TransformError, match="dtype the compiler cannot tell"):
        srcgrad.grad(astype_unknown_dtype)(X, np.float64)
    with pytest.raises(TransformError, match="dtype the compiler cannot tell"):
        srcgrad.jvp(astype_unknown_dtype)(X, np.float64, X)
    check(astype_int, X)  # an integer cast has no derivative: only the other factor's
    check(astype_float_names, X)


def median_by_keyword(x):
    return np.sum(np.median(a=x * 2.0))  # refused


def test_a_call_with_no_rule_given_a_keyword_is_refused_in_jvp_too():
    refused(median_by_keyword, X, error=NoRuleError, match="median has no derivative rule")


@srcgrad.custom_vjp
def clipped(x):
    return x * 1.0


clipped.defvjp(lambda g, ans, x: np.clip(g, -1.0, 1.0))


def uses_a_custom_vjp(x):
    return np.sum(clipped(x) * x)  # refused


def test_jvp_of_a_primitive_without_a_jvp_is_refused():
    np.testing.assert_allclose(srcgrad.grad(uses_a_custom_vjp)(X), np.clip(X, -1, 1) + X)
    with pytest.raises(TransformError, match="no forward-mode") as info:
        srcgrad.jvp(uses_a_custom_vjp)(X, np.ones(4))
    assert info.value.filename == __file__


# ------------------------------------------------------------------ writes into arguments


def copyto(x):
    y = np.zeros(4)
    z = np.copyto(y, x)  # refused
    return np.sum(y) + 0.0 * np.sum(z)


def ufunc_at(x):
    y = np.zeros(4)
    z = np.add.at(y, [0, 1], x[0:2])  # refused
    return np.sum(y)


def method_out(x):
    y = x * 1.0
    z = y.clip(0.0, 1.0, out=y)  # refused
    return np.sum(z)


@pytest.mark.parametrize("f", [copyto, ufunc_at, method_out], ids=lambda f: f.__name__)
def test_functions_that_write_into_their_arguments_are_refused(f):
    refused(f, X, match="in place")


# ------------------------------------------------------------------ jvp of constant pieces


def concatenate_a_module_slice(x):
    return np.sum(np.concatenate([x, G[1:3]]) ** 2)


def stack_a_module_slice(x):
    return np.sum(np.stack([x[0:2], G[1:3]]) ** 2)


def vstack_a_module_slice(x):
    return np.sum(np.vstack([x[0:2], G[1:3]]) ** 2)


def append_a_module_slice(x):
    parts = []
    parts.append(x[0:2])
    parts.append(G[0:2])
    return np.sum(np.concatenate(parts) ** 3)


def stack_a_number(x):
    return np.sum(np.stack([x[0], 2.0, x[1]]) ** 2)


@pytest.mark.parametrize(
    "f",
    [concatenate_a_module_slice, stack_a_module_slice, vstack_a_module_slice, append_a_module_slice, stack_a_number],
    ids=lambda f: f.__name__,
)
def test_constant_pieces_in_jvp(f):
    check(f, X)


# ------------------------------------------------------------------ clear refusals where NoRuleError misled


def _inner(x):
    return np.sum(x**2)


_dinner = srcgrad.grad(_inner)


def calls_a_gradient(x):
    return np.sum(_dinner(x) * x)  # differentiated through the gradient's generated code


def concatenate_an_argument(xs):
    return np.sum(np.concatenate(xs) ** 2)  # its rows joined (joined_rows)


def concatenate_an_index_argument(x, idx):
    return np.sum(x[np.concatenate(idx)])


def builtin_sum_of_an_array(x):
    return np.sum(np.log(x / sum(x)))


def test_a_function_calling_a_gradient_is_differentiated():
    check(calls_a_gradient, X)


def test_a_numpy_combination_of_an_argument_is_differentiated_or_left_alone():
    """np.concatenate of a tuple argument of arrays of one shape joins its rows (it was refused); of index
    arrays it has no derivative."""
    np.testing.assert_allclose(srcgrad.grad(concatenate_an_argument)((X, 2 * X)), np.array([2 * X, 4 * X]))
    check(concatenate_an_index_argument, X, (np.array([0]), np.array([2, 3])))


def test_builtin_sum_of_an_array():
    check(builtin_sum_of_an_array, np.abs(X) + 0.1)
