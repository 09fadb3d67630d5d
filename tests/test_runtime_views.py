"""Views on the tape: a Tensor sharing another's memory is linked to it, recorded or not.

Every Tensor whose values are a view of another Tensor's memory (a slice, reshape, ravel, transpose,
``np.real`` of a real array, ``np.atleast_1d``, ..., and views of views) shares that base's version
counter and knows it. An in-place change through the view is recorded as a change of the base, and a
view whose base changed reads its history out of the base's new one (PyTorch's rebase and regeneration),
so neither is ever silently missing from a gradient. Each case is checked against central finite
differences and against PyTorch.
"""

import numpy as np
import pytest

import srcgrad as sg
from corpus.harness import fd_grad
from srcgrad.errors import AutogradError, SrcgradError

X = np.array([0.3, -0.7, 1.2, 0.5])


def right_or_refused(f, x=X):
    """``f`` on a Tensor gives numpy's value and the finite-difference gradient, or raises a srcgrad error.

    Returns:
        True when ``f`` was refused.
    """
    value = f(np.copy(x))
    expected = fd_grad(f, (x,), 0)
    t = sg.tensor(np.copy(x), requires_grad=True)
    try:
        out = f(t)
        out.backward()
    except SrcgradError:
        return True
    np.testing.assert_allclose(out.item(), value, rtol=1e-12)
    np.testing.assert_allclose(t.grad.numpy(), expected, rtol=1e-6, atol=1e-8)
    return False


# ------------------------------------------------------------------- a view of a view is a view of the root


def ravel_of_a_transpose(x):
    base = x * 1.0
    flat = base.reshape(2, 2).T.ravel()  # numpy: a copy (a transpose does not ravel in place)
    base *= x[0]
    return np.sum(flat * np.array([1.0, -2.0, 3.0, 0.5]))


def reshape_of_a_slice(x):
    base = x * 1.0
    v = base[1:].reshape(3, 1)  # a view of a view
    base *= x[0]
    return np.sum(v * v)


def slice_of_a_transpose(x):
    base = (x * 1.0).reshape(2, 2)
    v = base.T[0]
    base += x[1]
    return np.sum(np.sin(v))


@pytest.mark.parametrize(
    "f", [ravel_of_a_transpose, reshape_of_a_slice, slice_of_a_transpose], ids=lambda f: f.__name__
)
def test_a_view_of_a_view_sees_the_in_place_change_of_the_root(f):
    assert not right_or_refused(f)


def test_a_view_of_a_view_is_linked_to_the_root():
    x = sg.tensor(X, requires_grad=True)
    base = x * 1.0
    v = base[1:][:2]
    assert v._base[0] is base and v._version == base._version
    base.mul_(2.0)
    (v * v).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 8 * X[1], 8 * X[2], 0.0])


# ------------------------------------------------------------------- views made without recording


def view_of_a_constant_then_base_gets_a_gradient(x):
    base = np.zeros_like(x)
    v = base[:2]
    base += x
    return np.sum(v * v) + np.sum(x)


def write_with_a_gradient_into_a_view_of_a_constant(x):
    base = np.zeros_like(x)
    v = base[1:3]
    v += x[:2]
    return np.sum(base * base) + np.sum(x)


def setitem_with_a_gradient_then_a_view_read(x):
    base = np.zeros_like(x)
    v = base.reshape(2, 2)
    base[1] = x[0]
    return np.sum(v * v) + np.sum(x)


@pytest.mark.parametrize(
    "f",
    [
        view_of_a_constant_then_base_gets_a_gradient,
        write_with_a_gradient_into_a_view_of_a_constant,
        setitem_with_a_gradient_then_a_view_read,
    ],
    ids=lambda f: f.__name__,
)
def test_a_view_of_a_tensor_that_needed_no_gradient(f):
    # these gave the gradient of np.sum(x) alone: the view's values depended on x unseen by the tape
    assert not right_or_refused(f)


def in_place_under_no_grad(make_view):
    def f(lib, x):
        a = x * 1.0
        y = (a * a).sum()
        with lib.no_grad():
            make_view(a).mul_(3.0)
        return y

    return f


VIEWS = {
    "slice": lambda a: a[:2],
    "row of a reshape": lambda a: a.reshape(2, 2)[0],
    "ravel": lambda a: a.ravel(),
    "np.real": np.real,
    "np.atleast_1d": np.atleast_1d,
    "np.squeeze": np.squeeze,
    "no-op reshape": lambda a: np.reshape(a, (4,)),
}


@pytest.mark.parametrize("name", VIEWS)
def test_an_in_place_change_under_no_grad_through_a_view_is_seen_at_backward(name):
    # the view had a version counter of its own, so backward used the changed values without a word
    x = sg.tensor(X, requires_grad=True)
    y = in_place_under_no_grad(VIEWS[name])(sg, x)
    with pytest.raises(AutogradError, match="modified by an inplace operation"):
        y.backward()


@pytest.mark.parametrize("name", ["slice", "row of a reshape", "ravel"])
def test_an_in_place_change_under_no_grad_through_a_view_like_pytorch(name):
    torch = pytest.importorskip("torch")
    x = torch.tensor(X, requires_grad=True)
    y = in_place_under_no_grad(VIEWS[name])(torch, x)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_views_made_without_recording_share_the_version_counter():
    base = sg.tensor(X)
    for view in VIEWS.values():
        v = view(base)
        before = base._version
        v.mul_(1.0)
        assert base._version == before + 1
        assert v._base[0] is base


# ------------------------------------------------------------------- a 0-d view is an array


def test_augmented_assignment_on_a_0d_view_changes_the_base_as_in_numpy():
    a, t = np.array([1.0, 2.0]), sg.tensor([1.0, 2.0])
    va, vt = a[0, ...], t[0, ...]
    va += 5.0
    vt += 5.0
    np.testing.assert_array_equal(t.numpy(), a)
    np.testing.assert_array_equal(t.numpy(), [6.0, 2.0])


def test_augmented_assignment_on_a_0d_item_leaves_the_array_as_in_numpy():
    a, t = np.array([1.0, 2.0]), sg.tensor([1.0, 2.0])
    va, vt = a[0], t[0]
    va += 5.0
    vt += 5.0
    np.testing.assert_array_equal(t.numpy(), a)
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])
    assert vt.item() == 6.0


def zero_d_view_updated(x):
    a = x * 1.0
    v = a[0, ...]
    v += x[3]
    return np.sum(a * a)


def test_augmented_assignment_with_a_gradient_on_a_0d_view():
    assert not right_or_refused(zero_d_view_updated)


# ------------------------------------------------------------------- astype copies, as numpy's


def test_astype_to_the_same_dtype_is_a_copy_as_in_numpy():
    t = sg.tensor([1.0, 2.0])
    c = t.astype(np.float64)
    c += 1.0
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])
    assert t.astype(np.float64, copy=False) is t


def astype_then_in_place(x):
    a = x * 1.0
    c = a.astype(np.float64)
    c *= 3.0
    return np.sum(a * c)


def test_astype_to_the_same_dtype_in_the_graph():
    assert not right_or_refused(astype_then_in_place)


# ------------------------------------------------------------------- in place through a view, as PyTorch


def view_of_constant_base_updated(lib, x):
    base = lib.zeros(4, dtype=lib.float64)
    v = base[:2]
    base += x
    return (v * v).sum()


def grad_written_into_view_of_constant(lib, x):
    base = lib.zeros(4, dtype=lib.float64)
    v = base[:2]
    v += x[:2]
    return (base * base).sum()


def view_of_view_written(lib, x):
    a = x * 1.0
    w = a[1:][:2]
    w.mul_(2.0)
    return (a * a).sum()


def base_changed_then_view_summed(lib, x):
    a = x * 1.0
    v = a[:2]
    a.add_(1.0)
    return v.sum() * 3.0


def base_item_set_then_view_read(lib, x):
    a = x * 1.0
    v = a[:2]
    a[0] = x[3] * 5
    return (v * v).sum()


def item_set_through_view(lib, x):
    a = x * 1.0
    v = a[:2]
    v[0] = x[3] * 5
    return (a * a).sum()


def setitem_of_a_constant_base_read_through_a_reshape(lib, x):
    base = lib.zeros(4, dtype=lib.float64)
    v = base.reshape(2, 2)
    base[1] = x[0]
    return (v * v).sum()


def transpose_of_transpose_written(lib, x):
    a = (x * 1.0).reshape(2, 2)
    v = a.T.T
    v.mul_(3.0)
    return (a * a).sum() + (v * x.reshape(2, 2)).sum()


def full_slice_written(lib, x):
    a = x * 1.0
    b = a[:]
    b[1] = 7.0
    return (a * x).sum()


def no_op_reshape_written(lib, x):
    a = x * 1.0
    b = a.reshape(4)
    b.mul_(2.0)
    return (a * a).sum()


def column_of_a_matrix_written_twice(lib, x):
    m = x.reshape(2, 2) * 1.0
    col = m[:, 1]
    col.mul_(x[:2])
    row = m[0]
    row.add_(col * 2.0)
    return (m * m).sum() + (col * row).sum()


def zero_of_a_view(lib, x):
    a = x * 2.0
    a[1:3].zero_()
    return (a * a).sum()


def exp_in_place_on_a_view_read_after(lib, x):
    a = x * 1.0
    v = a[2:]
    v.exp_()
    return (a * x).sum() + v.sum()


def reversed_rows_written(lib, x):
    m = x.reshape(2, 2) * 1.0
    r = m[1:, :].reshape(2)
    r.mul_(x[:2])
    return (m * m).sum() + (r * 2.0).sum()


def copy_into_a_view(lib, x):
    a = x * 1.0
    a[1:3].copy_(x[2:] * 4.0)
    return (a * a).sum()


def stale_view_item_set(lib, x):
    base = lib.zeros(4, dtype=lib.float64)
    v = base[2:]
    base += x  # v requires grad only from here on
    v[0] = x[0] * 3.0
    return (base * base).sum() + (v * x[:2]).sum()


IN_PLACE_THROUGH_VIEWS = [
    copy_into_a_view,
    stale_view_item_set,
    view_of_constant_base_updated,
    grad_written_into_view_of_constant,
    view_of_view_written,
    base_changed_then_view_summed,
    base_item_set_then_view_read,
    item_set_through_view,
    setitem_of_a_constant_base_read_through_a_reshape,
    transpose_of_transpose_written,
    full_slice_written,
    no_op_reshape_written,
    column_of_a_matrix_written_twice,
    zero_of_a_view,
    exp_in_place_on_a_view_read_after,
    reversed_rows_written,
]


@pytest.mark.parametrize("f", IN_PLACE_THROUGH_VIEWS, ids=lambda f: f.__name__)
def test_in_place_through_a_view_against_finite_differences(f):
    def value(x):  # the forward values alone, without a tape: what finite differences differentiate
        with sg.no_grad():
            return f(sg, sg.tensor(x)).item()

    t = sg.tensor(X, requires_grad=True)
    out = f(sg, t)
    out.backward()
    np.testing.assert_allclose(t.grad.numpy(), fd_grad(value, (X,), 0), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f", IN_PLACE_THROUGH_VIEWS, ids=lambda f: f.__name__)
def test_in_place_through_a_view_like_pytorch(f):
    torch = pytest.importorskip("torch")
    got = []
    for lib in (sg, torch):
        x = lib.tensor(X, requires_grad=True)
        out = f(lib, x)
        out.backward()
        got.append((out.item(), np.array(x.grad.tolist())))
    np.testing.assert_allclose(got[0][0], got[1][0], rtol=1e-12)
    np.testing.assert_allclose(got[0][1], got[1][1], rtol=1e-12)


def test_in_place_on_a_view_of_a_leaf_raises_like_pytorch():
    torch = pytest.importorskip("torch")
    for lib, error in ((sg, AutogradError), (torch, RuntimeError)):
        w = lib.tensor(X, requires_grad=True)
        with pytest.raises(error, match="a view of a leaf Variable that requires grad is being used in an in-place"):
            w[:2].mul_(2.0)


def test_pieces_of_a_split_refuse_in_place_changes_like_pytorch():
    torch = pytest.importorskip("torch")
    for lib, error in ((sg, AutogradError), (torch, RuntimeError)):
        x = lib.tensor(X, requires_grad=True)
        a = x * 1.0
        first, _ = a.split(2)
        with pytest.raises(error, match="output of a function that returns multiple views"):
            first.mul_(2.0)
        b = x * 1.0
        first, _ = b.split(2)
        b.mul_(2.0)
        with pytest.raises(error, match="output of a function that returns multiple views"):
            (first * 1.0).sum().backward()


@pytest.mark.parametrize("grad", [False, True])
def test_a_read_only_view_is_not_written_as_in_numpy(grad):
    # np.diagonal and np.broadcast_to give read-only views; writing a copy instead left the base unchanged
    x = sg.tensor(X, requires_grad=grad)
    a = x * 1.0
    with pytest.raises(ValueError, match="read-only"):
        view = np.diagonal(a.reshape(2, 2))
        view *= 2.0
    with pytest.raises(
        AutogradError if grad else ValueError, match="in-place operations on a view" if grad else "read-only"
    ):  # with a gradient, refused before: it holds one element three times
        view = np.broadcast_to(a[:1], (3,))
        view *= 2.0
    np.testing.assert_array_equal(a.detach().numpy(), X)


def test_the_view_index_reads_every_kind_of_view():
    from srcgrad.tensor import _view_index

    base = sg.tensor(np.arange(24.0).reshape(2, 3, 4))
    for view in (
        base[1],
        base[:, ::-2],
        base.transpose(2, 0, 1),
        base.reshape(6, 4)[1:5:3],
        base[..., 1:3].T,
        base.reshape(-1),
        base.diagonal(0, 1, 2),
        base[0, 1, 2, ...],
        base.transpose(1, 0, 2)[::-1, 0],
    ):
        index = _view_index(view, base)
        np.testing.assert_array_equal(base.numpy()[index], view.numpy())
    assert _view_index(sg.tensor(np.arange(4.0)).view(np.int64), sg.tensor(np.arange(4.0))) is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
def test_the_view_index_for_every_float_and_complex_dtype(dtype):
    from srcgrad.tensor import _view_index

    base = sg.tensor((np.arange(12.0) * (1 + 1j if np.dtype(dtype).kind == "c" else 1)).astype(dtype).reshape(3, 4))
    for view in (base[:, 1], base.T[::-1], base.reshape(2, 6)[1]):
        np.testing.assert_array_equal(base.numpy()[_view_index(view, base)], view.numpy())


def test_in_place_through_a_view_of_complex_values():
    # the gradient of a real loss of a complex leaf is dL/dRe + i dL/dIm (PyTorch's convention)
    z0 = np.array([0.3 + 0.2j, -0.7 + 0.1j, 1.2 - 0.4j])
    z = sg.tensor(z0, requires_grad=True)
    a = z * 1.0
    a[1:].mul_(2.0)
    loss = np.sum(np.abs(a) ** 2)
    loss.backward()
    np.testing.assert_allclose(z.grad.numpy(), 2 * z0 * np.array([1.0, 4.0, 4.0]), rtol=1e-12)
