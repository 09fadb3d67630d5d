"""The compiler on numpy's index helpers: ``np.r_``, ``np.c_``, ``np.ix_``, ``np.s_`` (and ``np.index_exp``).

``np.r_[x, x]`` used to be taken for a constant (``dx = np.zeros_like(x)``). ``np.r_`` and ``np.c_`` are
concatenations of their pieces (made at least 1-d, resp. 2-d as columns); ``np.ix_`` and ``np.s_`` build
indices. Each function is checked in grad (both optimize settings) and jvp against central finite
differences.
"""

import numpy as np
import pytest

import srcgrad
from corpus.harness import check_grad_and_jvp as check
from srcgrad.errors import TransformError

X = np.array([0.5, -0.7, 0.9, 1.3])
A = np.array([[0.3, -0.5, 0.8], [1.1, 0.2, -0.4]])
ROWS = np.array([0, 1])
COLS = np.array([2, 0])


def r_twice(x):
    return np.sum(np.r_[x, x] ** 2)


def r_with_numbers_and_expressions(x):
    return np.sum(np.sin(np.r_[x, 2.0 * x, 1.0, x[0] * x[1]]) * np.arange(10.0))


def r_with_a_range_and_a_list(x):
    return np.sum(np.r_[0:3, x, [1.0, 2.0]] * np.r_[x, 0.5, -1.0, 2.0, 3.0, 4.0])


def r_of_matrices(a):
    return np.sum(np.r_[a, 2.0 * a] ** 3)


def r_of_two_arguments(x, a):
    return np.sum(np.r_[x, a[0]] ** 2)


def r_of_a_float_argument(s, x):
    return np.sum(np.r_[s, x] ** 2)


def c_of_vectors(x):
    return np.sum(np.c_[x, x**2] @ np.array([1.0, -2.0]))


def c_of_a_matrix_and_a_column(a):
    return np.sum(np.c_[a, a[:, 0]] ** 2 * np.arange(8.0).reshape(2, 4))


def c_of_numbers(x):
    return np.sum(np.c_[x[0], x[1], 3.0] ** 2)


def ix_of_module_constants(a):
    return np.sum(a[np.ix_(ROWS, COLS)] ** 2)


def ix_kept_in_a_variable(a):
    ix = np.ix_([0, 1], [1, 2])
    return np.sum(np.sin(a[ix]))


def ix_index_write(a):
    out = np.zeros((2, 3))
    out[np.ix_(ROWS, COLS)] = a[:, 0:2] * 2.0
    out[np.ix_([1], [1])] += a[0:1, 1:2]
    return np.sum(out * out)


def s_inline(x):
    return np.sum(x[np.s_[1:3]] ** 2)


def s_kept_in_a_variable(x):
    every_other = np.s_[::2]
    return np.sum(np.sin(x[every_other]))


def s_index_write(x):
    out = np.zeros(4)
    out[np.s_[0:2]] = x[1:3]
    out[np.s_[2:]] += x[0:2] ** 2
    return np.sum(out * x)


def index_exp(x):
    return np.sum(x[np.index_exp[1:]] * x[0])


@pytest.mark.parametrize(
    "f",
    [
        r_twice,
        r_with_numbers_and_expressions,
        r_with_a_range_and_a_list,
        c_of_vectors,
        c_of_numbers,
        s_inline,
        s_kept_in_a_variable,
        s_index_write,
        index_exp,
    ],
    ids=lambda f: f.__name__,
)
def test_helpers_on_a_vector(f):
    check(f, X)


@pytest.mark.parametrize(
    "f",
    [r_of_matrices, c_of_a_matrix_and_a_column, ix_of_module_constants, ix_kept_in_a_variable, ix_index_write],
    ids=lambda f: f.__name__,
)
def test_helpers_on_a_matrix(f):
    check(f, A)


def test_r_of_two_arguments():
    check(r_of_two_arguments, X, A, wrt=0)
    check(r_of_two_arguments, X, A, wrt=1)


def test_r_of_a_float_argument():
    check(r_of_a_float_argument, 0.7, X, wrt=1)
    expected = 2 * 0.7
    got = srcgrad.grad(r_of_a_float_argument, wrt=0)(0.7, X)
    assert np.isclose(got, expected)


def test_the_gradient_is_not_zero():
    np.testing.assert_allclose(srcgrad.grad(r_twice)(X), 4 * X)
    np.testing.assert_allclose(srcgrad.grad(c_of_vectors)(X), 1.0 - 4.0 * X)


def r_with_a_directive(x):
    return np.sum(np.r_["0,2", x, x])


def test_a_directive_string_is_refused():
    for transform in (srcgrad.grad, srcgrad.jvp):
        with pytest.raises(TransformError, match="directive string") as info:
            transform(r_with_a_directive)(X) if transform is srcgrad.grad else transform(r_with_a_directive)(X, X)
        assert info.value.filename == __file__


# ------------------------------------------------------------------ lists and tuples of constants as arguments


def pad_with_nested_widths(a):
    return np.sum(np.pad(a, ((0, 1), (0, 0))) ** 2 * np.arange(9.0).reshape(3, 3))


def split_at_a_list(x):
    first, rest = np.split(x, [2])
    return np.sum(first * 2.0) + np.sum(rest**2)


def take_a_list(x):
    return np.sum(np.take(x, [0, 2, 2]) ** 2)


def test_constant_lists_and_tuples_given_to_numpy_functions():
    check(pad_with_nested_widths, A)
    check(split_at_a_list, X)
    check(take_a_list, X)
