"""The compiler on functions that write into an argument (``x[0] = a * b`` where ``x`` is a parameter).

The user's function changes the caller's array; its derivative must not (a gradient function called twice
must give the same answer, and the caller's data must survive it). The generated code copies such a parameter
once, first, and writes into its own copy. Each form is checked against central finite differences (of the
function on a copy) in grad (optimized and not) and jvp, the caller's array is checked unchanged, and dynamic
mode (the same function given a Tensor that is not a leaf, since PyTorch refuses in-place writes into a leaf)
must agree.
"""

import numpy as np
import pytest

import srcgrad
from corpus.harness import fd_grad
from srcgrad.errors import AutogradError, TransformError

X = np.array([0.5, -0.7, 0.9, 1.1])


def write_a_product(x):
    a = x[0]
    b = x[1]
    x[0] = a * b
    return np.sum(x)


def write_from_a_derived_value(x):
    y = x**2.0
    x[0] = y[1] * y[2]
    return np.sum(x * y)


def write_rows_in_a_loop(x):
    for i in range(1, x.shape[0]):
        x[i] = x[i] * x[i - 1] + 0.5
    return np.sum(x**2)


def augmented_writes(x):
    x[1] += x[0] * 3.0
    x[2] *= x[1]
    return np.sum(np.sin(x))


def write_after_a_rebinding_in_a_branch(x, c):
    if c > 0:
        x = x * 2.0
    x[0] = x[1] * x[2]
    return np.sum(x * x)


# (function, further arguments, whether dynamic mode can run it: x ** 2.0 saves x for its backward, which
# the write then changes, so the tape refuses that one as PyTorch does)
CASES = [
    (write_a_product, (), True),
    (write_from_a_derived_value, (), False),
    (write_rows_in_a_loop, (), True),
    (augmented_writes, (), True),
    (write_after_a_rebinding_in_a_branch, (1.0,), True),
    (write_after_a_rebinding_in_a_branch, (-1.0,), True),
]


@pytest.mark.parametrize("f, rest, dynamic", CASES, ids=lambda c: getattr(c, "__name__", repr(c)))
def test_write_into_an_argument(f, rest, dynamic):
    def on_a_copy(x, *more):
        return f(x.copy(), *more)

    x = X.copy()
    expected = fd_grad(on_a_copy, (x,) + rest, 0)
    for optimize in (True, False):
        got = srcgrad.grad(f, optimize=optimize)(x, *rest)
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)
        np.testing.assert_array_equal(x, X)  # the caller's array is untouched
        got_again = srcgrad.grad(f, optimize=optimize)(x, *rest)
        np.testing.assert_array_equal(got_again, got)
    tangent = np.linspace(0.3, -0.8, x.size)
    value, out = srcgrad.jvp(f)(x, *rest, tangent)
    np.testing.assert_array_equal(x, X)
    assert value == pytest.approx(on_a_copy(X, *rest))
    assert out == pytest.approx(np.sum(expected * tangent), abs=1e-7)
    # dynamic mode: the same function on a Tensor
    t = srcgrad.tensor(X.copy(), requires_grad=True)
    if not dynamic:
        with pytest.raises(AutogradError, match="modified by an inplace operation"):
            f(t * 1.0, *rest).backward()
        return
    f(t * 1.0, *rest).backward()
    np.testing.assert_allclose(t.grad.numpy(), srcgrad.grad(f)(x, *rest), rtol=1e-12, atol=1e-14)


def test_the_copy_is_made_once_and_the_writes_run_in_place():
    text = srcgrad.grad(write_rows_in_a_loop).source_for(X)
    assert text.count("np.copy(x)") == 1
    assert "x[i] = " in text


def test_another_name_for_the_argument_read_after_the_write_is_refused():
    def f(x):
        y = x
        x[0] = x[1] * 2.0
        return np.sum(y * x)

    with pytest.raises(TransformError, match="may share memory with 'x'") as info:
        srcgrad.grad(f)(X.copy())
    assert "test_compiler_argument_writes.py, line" in str(info.value)


def helper_writing_into_its_parameter(a):
    a[0] = a[1] * 3.0
    return np.sum(a * a)


def calls_a_helper_that_writes(x):
    s = helper_writing_into_its_parameter(x)
    return s + np.sum(np.sin(x))  # the helper's write shows here, as in Python


def test_a_helper_writing_into_the_argument_it_is_given():
    def on_a_copy(x):
        return calls_a_helper_that_writes(x.copy())

    x = X.copy()
    expected = fd_grad(on_a_copy, (x,), 0)
    for optimize in (True, False):
        np.testing.assert_allclose(
            srcgrad.grad(calls_a_helper_that_writes, optimize=optimize)(x), expected, rtol=1e-6, atol=1e-8
        )
        np.testing.assert_array_equal(x, X)
    value, out = srcgrad.jvp(calls_a_helper_that_writes)(x, X[::-1].copy())
    np.testing.assert_array_equal(x, X)
    assert out == pytest.approx(np.sum(expected * X[::-1]), abs=1e-7)
    t = srcgrad.tensor(X.copy(), requires_grad=True)
    calls_a_helper_that_writes(t * 1.0).backward()
    np.testing.assert_allclose(t.grad.numpy(), expected, rtol=1e-6, atol=1e-8)


def test_a_function_calling_itself_that_writes_into_its_argument_is_refused():
    def f(x, n):
        if n == 0:
            return np.sum(x)
        x[0] = x[0] * 2.0
        return f(x, n - 1) + x[0]  # the caller reads what the call wrote

    with pytest.raises(TransformError, match="of a function that calls itself"):
        srcgrad.grad(f)(X.copy(), 2)


def test_a_write_another_argument_sharing_the_memory_reads_afterwards_is_refused():
    def f(x, y):
        x[0] = y[1] * 2.0
        return np.sum(x * y)

    w = X.copy()
    with pytest.raises(TransformError, match="'y' may share memory with 'x'"):
        srcgrad.grad(f, wrt=(0, 1))(w, w)
    got = srcgrad.grad(f, wrt=(0, 1))(w, X.copy())  # separate arrays: fine

    def on_copies(x, y):
        return f(x.copy(), y)

    for i in (0, 1):
        np.testing.assert_allclose(got[i], fd_grad(on_copies, (X.copy(), X.copy()), i), rtol=1e-6, atol=1e-8)


def test_a_write_into_an_argument_sharing_memory_that_nothing_reads_afterwards():
    def f(x, y):
        x[0] = y[1] * 2.0
        return np.sum(x)

    w = X.copy()
    gx, gy = srcgrad.grad(f, wrt=(0, 1))(w, w)
    np.testing.assert_array_equal(w, X)
    np.testing.assert_allclose(gx, [0.0, 1.0, 1.0, 1.0])
    np.testing.assert_allclose(gy, [0.0, 2.0, 0.0, 0.0])
