"""In-place writes at second order: what is differentiated twice, and what must still be refused.

A gradient called in a differentiated function is read in the form specialised on what the caller knows of
its arguments (a number, an array of a shape), so a write into a name that holds a number there rebinds it;
a value read only for its shape (``np.shape(t)``) after a write into the array it views is not a read of
the write; outside loops, the gradient made to be differentiated again writes out of place, so a view its
adjoint reads keeps the values it had. Every value is judged by finite differences of the gradient and by
dynamic mode; in a loop, writes whose reads would see the write stay refused at the user's line.
"""

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import AutogradError, TransformError

W = np.array([[1.0, 2.0, -1.0], [0.5, -0.3, 2.0]])


def swap_then_cube(A):
    B = A * 1.0
    tmp = B[0] * 1.0
    B[0] = B[1]
    B[1] = tmp
    return np.sum(B**3 * W)


def number_item_augmented(x):
    s = x[0]
    s *= x[1]
    s += x[2] * x[0]
    return s * s


def number_augmented(x):
    y = x
    y *= x
    y += 1.5
    y -= x
    return y * y * x


def shape_of_a_view_after_a_write(x):
    y = x * 1.0
    v = y[1:]
    y[0] = 2.0 * x[0] * x[1]
    return np.sum(y**2) * np.shape(v)[0]


def swap_reading_a_view(A):
    B = A * A
    tmp = B[0] * 1.0
    B[0] = B[1] * A[0]  # the gradient reads B[1]'s view after B[1] = tmp
    B[1] = tmp
    return np.sum(B * B * W)


def view_read_then_write(x):
    y = x * 2.0
    v = y[1:]
    s = np.sum(v * v * v)  # the gradient reads v after y[1] is written
    y[1] = 5.0 * x[0] * x[2]
    return s + np.sum(y**3)


# ---------------------------------------------------------------- must stay refused
def loop_swap_reading_a_view(A):
    B = A * A
    for _ in range(2):
        tmp = B[0] * 1.0
        B[0] = B[1] * A[0]  # the gradient reads B[1]'s view after B[1] = tmp
        B[1] = tmp
    return np.sum(B * B * W)


def loop_view_read_then_write(x):
    y = x * 2.0
    s = 0.0
    for _ in range(2):
        v = y[1:]
        s = s + np.sum(v * v * v)  # the gradient reads v after y[1] is written
        y[1] = 5.0 * x[0] * x[2] + y[1]
    return s + np.sum(y**3)


def shape_then_values(x):
    y = x * x
    t = y[1]
    y[1] = np.sin(x[0])
    return np.sum(y**2) + np.sum(np.ones(np.shape(t)) * t)


def _fd_hessian_rows(f, x, v, eps=1e-5):
    """``sum_k v_k d(grad f)_k / dx``: central differences of the (first-order, checked) gradient."""
    df = srcgrad.grad(f)
    x = np.asarray(x, dtype=np.float64)
    out = np.zeros(x.shape)
    for k in np.ndindex(x.shape):
        e = np.zeros(x.shape)
        e[k] = 1.0
        out[k] = np.sum(v * (np.asarray(df(x + eps * e)) - np.asarray(df(x - eps * e)))) / (2 * eps)
    return out


def _dynamic(f, x, v):
    t = srcgrad.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    (g,) = srcgrad.autograd.grad(f(t), t, create_graph=True)
    (h,) = srcgrad.autograd.grad((g * srcgrad.tensor(np.asarray(v))).sum(), t)
    return h.detach().numpy()


def _directional(df, v):
    def h(a):
        return np.sum(df(a) * v)

    return h


WORKING = [
    (swap_then_cube, (2, 3)),
    (number_item_augmented, (3,)),
    (number_augmented, None),
    (shape_of_a_view_after_a_write, (3,)),
    (swap_reading_a_view, (2, 3)),
    (view_read_then_write, (4,)),
]
# dynamic mode refuses these, as PyTorch does: a view the tape saved is written afterwards
VIEW_SAVED_BY_THE_TAPE = (swap_reading_a_view, view_read_then_write)


@pytest.mark.parametrize("f, shape", WORKING, ids=[f.__name__ for f, _ in WORKING])
def test_second_derivatives_through_writes_in_place(f, shape):
    rng = np.random.default_rng(7)
    x = float(rng.uniform(0.5, 1.5)) if shape is None else rng.normal(size=shape)
    v = float(rng.normal()) if shape is None else rng.normal(size=shape)
    expected = _fd_hessian_rows(f, x, v)
    h = _directional(srcgrad.grad(f), v)
    got = srcgrad.grad(h)(x)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)
    if f in VIEW_SAVED_BY_THE_TAPE:  # the tape saved the view for backward; the write changes it
        with pytest.raises(AutogradError, match="modified by an inplace operation"):
            _dynamic(f, x, v)
    elif shape is not None:  # (a Python number: y *= x on a Tensor changes x too, as on an array)
        np.testing.assert_allclose(got, _dynamic(f, x, v), rtol=1e-9, atol=1e-10)
    H = srcgrad.hessian(f)(x)
    np.testing.assert_allclose(np.tensordot(v, H, axes=np.ndim(v)), got, rtol=1e-9, atol=1e-10)


def test_a_number_argument_reads_the_gradient_specialised_on_numbers():
    """``y = x; y *= x`` rebinds y for a number x; with an array x the caller's array would change, and the
    gradient read for the call (an array of that shape) is refused, never differentiated wrongly."""
    h = _directional(srcgrad.grad(number_augmented), 1.0)
    assert np.isclose(srcgrad.grad(h)(0.8), _fd_hessian_rows(number_augmented, 0.8, 1.0))
    with pytest.raises(TransformError, match=r"'x' may share memory with 'y'"):
        srcgrad.grad(h)(np.array([0.8, 1.2]))


def test_an_array_passed_twice_reads_the_general_gradient():
    """The same array for two parameters: the code read for the call cannot take them for two arrays of a
    shape, so it is read in its general form (here refused, as before), never specialised on two arrays."""

    def two(x, y):
        s = x[0]
        s += y[1]
        return s * y[2] * x[1]

    dtwo = srcgrad.grad(two, wrt=1)

    def h(a):
        return np.sum(dtwo(a, a) * np.array([1.0, -2.0, 0.5]))

    x = np.array([0.3, -0.8, 1.1])
    try:
        got = srcgrad.grad(h)(x)
    except TransformError as err:
        assert "may share memory" in str(err)
        return
    eps = 1e-5
    numeric = [(h(x + eps * e) - h(x - eps * e)) / (2 * eps) for e in np.eye(3)]
    np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-8)


REFUSED = [
    (loop_swap_reading_a_view, (2, 3), "B"),
    (loop_view_read_then_write, (4,), "y"),
]


@pytest.mark.parametrize("f, shape, name", REFUSED, ids=[f.__name__ for f, _, _ in REFUSED])
def test_writes_whose_gradient_reads_a_view_after_them_stay_refused(f, shape, name):
    """In a loop, the gradient reads a view of the written array after the write (the gradient made to be
    differentiated again writes in place there, saving the items written rather than the whole array every
    iteration): refused at the write's line in both forms of second order. Outside loops that gradient writes
    out of place, and such writes are differentiated twice (``WORKING``)."""
    x = np.random.default_rng(2).normal(size=shape)
    srcgrad.grad(f)(x)  # first order is fine
    first = f.__code__.co_firstlineno
    line = next(k for k, text in enumerate(_source_lines(f), start=first) if text.strip().startswith(f"{name}["))
    with pytest.raises(TransformError, match=rf"in-place write into '{name}'.*second order") as info:
        srcgrad.hessian(f)(x)
    assert (info.value.filename, info.value.lineno) == (__file__, line)
    h = _directional(srcgrad.grad(f), np.ones(shape))
    with pytest.raises(TransformError, match=rf"in-place write into '{name}'.*second order") as info:
        srcgrad.grad(h)(x)
    assert info.value.lineno == h.__code__.co_firstlineno + 1  # the line calling the gradient


def _source_lines(f):
    import inspect

    return inspect.getsourcelines(f)[0]


def test_a_view_whose_values_are_read_after_a_write_is_refused_at_first_order():
    """Only shape reads are exempt: np.shape(t) and then t's values after y[1] = ... is refused."""
    with pytest.raises(TransformError, match=r"'t' may share memory with 'y'"):
        srcgrad.grad(shape_then_values)(np.array([0.2, 0.5, -0.4]))
