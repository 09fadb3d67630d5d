"""Tensor methods and conversions that gave numpy code a silently different value or gradient.

Each case is checked against numpy's own value or central finite differences, and against PyTorch where
PyTorch has the same spelling.
"""

import numpy as np
import pytest

import srcgrad as sg
from corpus.harness import fd_grad
from srcgrad.errors import AutogradError

A = np.array([[0.3, -0.7, 1.2], [0.5, 2.0, -1.5]])


# ------------------------------------------------------------------- numpy's positional dtype of sum/mean/prod


@pytest.mark.parametrize("name", ["sum", "mean", "prod"])
@pytest.mark.parametrize(
    "args",
    [
        (1, np.float32),
        (0, "float32"),
        (None, np.float32),
        (1, None),
        (0, None, None, True),
        (1, np.float32, None, False),
    ],
    ids=repr,
)
def test_reductions_read_numpys_positional_dtype(name, args):
    # t.mean(1, np.float32) took np.float32 for PyTorch's keepdim (truthy): a (2, 1) result in float64
    expected = getattr(A, name)(*args)
    got = getattr(sg.tensor(A), name)(*args)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("name", ["sum", "mean", "prod"])
def test_reductions_read_pytorchs_positional_keepdim(name):
    expected = getattr(A, name)(1, keepdims=True)
    for keepdim in (True, np.True_):
        np.testing.assert_allclose(getattr(sg.tensor(A), name)(1, keepdim).numpy(), expected)
    assert getattr(sg.tensor(A), name)(1, False).shape == (2,)


def test_reductions_with_numpys_dtype_are_differentiable():
    t = sg.tensor(A, requires_grad=True)
    t.mean(1, np.float64).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), fd_grad(lambda a: a.mean(1, np.float64).sum(), (A,), 0))


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda t: t.sum(1, 2), "keepdim .* or dtype"),
        (lambda t: t.sum(1, np.float32, dtype=np.float64), "dtype twice"),
        (lambda t: t.sum(1, np.float32, np.zeros(2)), "out="),
        (lambda t: t.mean(1, True, None), "positionally"),
    ],
)
def test_reductions_refuse_what_neither_signature_means(call, match):
    with pytest.raises(TypeError, match=match):
        call(sg.tensor(A))


# ------------------------------------------------------------------- an integer or bool result has no gradient

CASTS = {
    "astype(bool)": lambda x: x.astype(bool),
    "bool()": lambda x: x.bool(),
    "astype(int64)": lambda x: x.astype(np.int64),
    "long()": lambda x: x.long(),
    "type(int32)": lambda x: x.type(np.int32),
}


@pytest.mark.parametrize("name", CASTS)
def test_a_cast_to_integers_or_bool_does_not_require_grad(name):
    # (x.astype(bool) * 3.0).sum() gave x.grad = 1 everywhere (the cast's rule handed the float gradient back)
    x = sg.tensor([0.3, -0.7, 2.0], requires_grad=True)
    c = CASTS[name](x)
    assert not c.requires_grad and c.grad_fn is None
    y = (c * 3.0).sum() + (x * x).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.6, -1.4, 4.0])  # finite differences: the cast is constant


@pytest.mark.parametrize("name", ["bool()", "long()"])
def test_a_cast_to_integers_or_bool_like_pytorch(name):
    torch = pytest.importorskip("torch")
    x = torch.tensor([0.3, -0.7, 2.0], requires_grad=True)
    assert not CASTS[name](x).requires_grad


# ------------------------------------------------------------------- an array built of Tensors


def test_np_array_of_tensors_that_require_grad_says_what_to_use():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(AutogradError, match=r"np.array\(\[x, y\]\).*np.stack"):
        np.array([x, x * 2.0])
    stacked = np.stack([x, x * 2.0])
    (stacked * np.array([[1.0, 1.0], [3.0, 3.0]])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [7.0, 7.0])


def test_np_array_of_tensors_that_need_no_gradient_is_numpys():
    got = np.array([sg.tensor([1.0, 2.0]), sg.tensor([3.0, 4.0])])
    assert type(got) is np.ndarray
    np.testing.assert_array_equal(got, [[1.0, 2.0], [3.0, 4.0]])


# ------------------------------------------------------------------- np.split of a 1-d Tensor


def pieces_weighted(x, split):
    return sum(np.sum(p * p) * (k + 1) for k, p in enumerate(split(x)))


SPLITS = {
    "np.split(x, 2)": lambda x: np.split(x, 2),
    "np.split(x, [1, 3])": lambda x: np.split(x, [1, 3]),
    "np.split(x, np.array([1, 3]))": lambda x: np.split(x, np.array([1, 3])),
    "np.split(x, [0, 4])": lambda x: np.split(x, [0, 4]),
    "np.array_split(x, 3)": lambda x: np.array_split(x, 3),
    "np.hsplit(x, 4)": lambda x: np.hsplit(x, 4),
}


@pytest.mark.parametrize("name", SPLITS)
def test_split_of_a_1d_tensor(name):
    x = np.array([0.3, -0.7, 1.2, 0.5])
    t = sg.tensor(x, requires_grad=True)
    out = pieces_weighted(t, SPLITS[name])
    np.testing.assert_allclose(out.item(), pieces_weighted(x, SPLITS[name]), rtol=1e-12)
    out.backward()
    np.testing.assert_allclose(t.grad.numpy(), fd_grad(lambda a: pieces_weighted(a, SPLITS[name]), (x,), 0), rtol=1e-6)


# ------------------------------------------------------------------- augmented assignment


def add_itself(x):
    a = x * 1.0
    a += a
    return np.sum(a * a)


def repeated_index_updated(x):
    a = x * 1.0
    a[[0, 0]] += x[1:] * 2.0  # numpy: the last write wins
    return np.sum(a * a)


def power_in_place(x):
    a = x * 1.0
    a **= 3
    return np.sum(a)


def remainder_in_place(x):
    a = x * 1.0
    a %= 0.5
    return np.sum(a * a)


@pytest.mark.parametrize(
    "f", [add_itself, repeated_index_updated, power_in_place, remainder_in_place], ids=lambda f: f.__name__
)
def test_augmented_assignment_with_a_gradient(f):
    x = np.array([0.3, -0.7, 1.2])
    t = sg.tensor(x, requires_grad=True)
    out = f(t)
    np.testing.assert_allclose(out.item(), f(x.copy()), rtol=1e-12)
    out.backward()
    np.testing.assert_allclose(t.grad.numpy(), fd_grad(f, (x,), 0), rtol=1e-6)


def test_multiply_by_itself_in_place_raises_like_pytorch():
    torch = pytest.importorskip("torch")
    for lib, error in ((sg, AutogradError), (torch, RuntimeError)):
        x = lib.tensor([0.3, -0.7, 1.2], requires_grad=True)
        a = x * 1.0
        a *= a  # the product saved a, then changed it
        with pytest.raises(error, match="modified by an inplace operation"):
            a.sum().backward()


def test_an_item_is_a_0d_view_under_pytorchs_meanings():
    # PyTorch's v = a[0]; v += 5 writes into a; numpy's a[0] is a copy
    torch = pytest.importorskip("torch")
    b = torch.tensor([1.0, 2.0])
    v = b[0]
    v += 5.0
    with sg.set_method_meanings("pytorch"):
        a = sg.tensor([1.0, 2.0])
        v = a[0]
        v += 5.0
        v.add_(1.0)
    np.testing.assert_array_equal(a.numpy(), [7.0, 2.0])
    np.testing.assert_array_equal(a.numpy()[:1], b.numpy()[:1] + 1.0)
    a = sg.tensor([1.0, 2.0])
    v = a[0]
    v += 5.0
    np.testing.assert_array_equal(a.numpy(), [1.0, 2.0])


# ------------------------------------------------------------------- ndarray.copy lays out in C order


def copy_then_reshape_written(x):
    base = x.reshape(2, 2).T.copy()  # numpy's method: C order, so the reshape below is a view of base
    flat = base.reshape(4)
    flat += x
    return np.sum(base * np.array([[1.0, 2.0], [3.0, 4.0]]))


def copy_then_transposed_ravel(x):
    base = x.reshape(2, 2).T.copy()
    flat = base.T.ravel()  # a copy in numpy (base is C-ordered), a view of a Fortran-ordered copy
    base *= 3.0
    return np.sum(flat * np.array([1.0, 2.0, 3.0, 4.0]))


@pytest.mark.parametrize("f", [copy_then_reshape_written, copy_then_transposed_ravel], ids=lambda f: f.__name__)
def test_the_copy_method_lays_out_as_numpys(f):
    # Tensor.copy() kept the layout (np.copy's order='K'): views and copies of it differed from numpy's,
    # and with them the value and gradient (found by tools/fuzz.py, seeds 14 and 16, views theme)
    x = np.array([0.3, -0.7, 1.2, 0.5])
    t = sg.tensor(x, requires_grad=True)
    out = f(t)
    np.testing.assert_allclose(out.item(), f(x.copy()), rtol=1e-12)
    out.backward()
    np.testing.assert_allclose(t.grad.numpy(), fd_grad(f, (x,), 0), rtol=1e-6)
    assert t.detach().reshape(2, 2).T.copy().numpy().flags.c_contiguous
    assert np.copy(t.detach().reshape(2, 2).T).numpy().flags.f_contiguous  # np.copy keeps it, as numpy's
