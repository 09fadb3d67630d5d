"""Index and in-place writes into the pieces of a call with several outputs, in both modes.

``q, r = divmod(x, y)``, ``w, V = np.linalg.eigh(S)`` and ``U, s, Vh = np.linalg.svd(A)`` give new arrays;
``a, b = np.split(y, 2)`` (``array_split``, ``hsplit``, ``vsplit``) gives views of ``y`` that do not overlap
each other. The compiler writes out of place, so a write into one piece is the same thing as numpy's as long as
no other name for that memory is read afterwards: the split array, an overlapping piece, a second name. Those
are refused at the write's line; the rest compile, and gradient and tangent agree with central finite
differences. The tape (dynamic mode) agrees where PyTorch allows the write (divmod's results are new Tensors)
and refuses it where PyTorch does (a piece of a split is a view of a function returning several views; a
singular value or eigenvector the backward reads changed in place).
"""

import numpy as np
import pytest

import srcgrad
from corpus.harness import check_grad_and_jvp, fd_grad
from srcgrad.errors import AutogradError, TransformError

X = np.array([0.3, 1.7, 2.9, 0.4])
Y = np.array([0.7, 0.9, 1.1, 1.3])
HERE = "test_compiler_multi_output_writes.py, line"


def divmod_pieces_written(x, y):
    q, r = divmod(x, y)
    q[0] = 2.0 * r[1]
    r[1:] *= 1.5
    return np.sum(q * r + x)


def np_divmod_pieces_written(x, y):
    q, r = np.divmod(x, y)
    r[0] = q[1] * x[2]
    return np.sum(r * r)


def split_piece_written(x):
    a, b = np.split(x * 1.0, 2)
    a[0] = 3.0 * b[1]
    return np.sum(a * b)


def array_split_piece_scaled_in_place(x):
    a, b = np.array_split(np.sin(x), 2)
    a *= b
    return np.sum(a) + np.sum(b**2)


def hsplit_piece_written(x):
    A = np.reshape(x * 1.0, (2, 2))
    left, right = np.hsplit(A, 2)
    left[0, 0] = np.sum(right)
    return np.sum(left * left) + np.sum(right * np.cos(right))


def split_at_increasing_indices(x):
    a, b, c = np.split(np.exp(x), [1, 3])
    b[1] = a[0] * c[0]
    return np.sum(a) + np.sum(b * b) + np.sum(c)


def pieces_of_a_piece(x):
    a, b = np.split(x * 2.0, 2)
    c, d = np.split(a, 2)
    c[0] = d[0] * b[1]
    d *= 3.0
    return np.sum(c) + np.sum(d * b)


def eigh_vectors_written(x):
    A = np.reshape(x, (2, 2))
    w, V = np.linalg.eigh(A + A.T + np.diag([1.0, 4.0]))
    V[0] = 2.0 * w
    return np.sum(w * w) + np.sum(np.sin(V))


def svd_values_written(x):
    U, s, Vh = np.linalg.svd(np.reshape(x, (2, 2)) + 3.0 * np.eye(2))
    s[0] = s[1] * 2.0
    return np.sum(s) + np.sum(U * Vh)


def _two_new(x):
    return x * 2.0, x * 3.0


def helper_results_written(x):
    a, b = _two_new(x)
    a[0] = 5.0 * b[1]
    return np.sum(a * b)


def svd_vectors_written_values_read(A):
    u, s, vh = np.linalg.svd(A, full_matrices=False)
    u[::2] -= vh  # svd's VJP reads u: the write must not reach it (tools/fuzz.py seed 33)
    return np.sum(vh) + np.sum(s * s)


_M0 = np.array([[2.0, 0.3], [0.1, 1.5]])


def second_name_of_an_inverse_written(x):
    a = np.linalg.inv(_M0 * x[0] + x[1])
    b = a
    b[0, 0] = 5.0  # inv's VJP reads a, the same memory
    return np.sum(b * x[2])


WORKS = [
    divmod_pieces_written,
    np_divmod_pieces_written,
    split_piece_written,
    array_split_piece_scaled_in_place,
    hsplit_piece_written,
    split_at_increasing_indices,
    pieces_of_a_piece,
    eigh_vectors_written,
    svd_values_written,
    helper_results_written,
    svd_vectors_written_values_read,
    second_name_of_an_inverse_written,
]


def args_of(f):
    if f in (divmod_pieces_written, np_divmod_pieces_written):
        return X, Y
    if f is svd_values_written:
        return (np.array([0.3, 0.7, -0.2, 0.5]),)
    if f is svd_vectors_written_values_read:
        return (np.array([[0.288077, -0.174945], [0.802781, -1.004406], [0.738929, 0.301388]]),)
    if f is second_name_of_an_inverse_written:
        return (np.array([0.3, 0.5, 0.7]),)
    return (X,)


@pytest.mark.parametrize("f", WORKS, ids=lambda f: f.__name__)
def test_static_and_forward_mode_match_finite_differences(f):  # all refused before ('may share its memory')
    args = args_of(f)
    for wrt in range(len(args)):
        check_grad_and_jvp(f, *args, wrt=wrt)


def test_divmod_pieces_written_in_dynamic_mode_match():
    x, y = (srcgrad.tensor(a, requires_grad=True) for a in (X, Y))
    divmod_pieces_written(x, y).backward()
    np.testing.assert_allclose(x.grad.numpy(), fd_grad(divmod_pieces_written, (X, Y), 0), rtol=1e-6)
    np.testing.assert_allclose(y.grad.numpy(), fd_grad(divmod_pieces_written, (X, Y), 1), rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), srcgrad.grad(divmod_pieces_written)(X, Y), rtol=1e-12)


@pytest.mark.parametrize(
    "f",
    [
        split_piece_written,
        array_split_piece_scaled_in_place,
        hsplit_piece_written,
        eigh_vectors_written,
        svd_values_written,
    ],
    ids=lambda f: f.__name__,
)
def test_the_tape_refuses_these_writes_as_pytorch_does(f):
    x = srcgrad.tensor(args_of(f)[0], requires_grad=True)
    with pytest.raises(AutogradError, match="modified by an inplace operation|modified inplace"):
        f(x).backward()


# ---------------------------------------------------------------------------- still refused, at the write


def split_base_read_after(x):
    t = x * 1.0
    a, b = np.split(t, 2)
    a[0] = 3.0 * b[1]
    return np.sum(t)


def split_at_overlapping_indices(x):
    a, e, b = np.split(x * 1.0, [3, 1])  # x[:3], x[3:1], x[1:]: a and b overlap
    a[1] = 3.0
    return np.sum(b)


def same_array_returned_twice(x):
    a, b = _twice(x)
    a[0] = 5.0
    return np.sum(b * x)


def _twice(x):
    y = x * 2.0
    return y, y


def piece_of_the_argument(x):
    a, b = np.split(x, 2)
    a[0] = 3.0 * b[1]
    return np.sum(a * b)


def last_piece_by_a_negative_index(x):
    parts = np.split(x * 1.0, 2)
    b = parts[-1]
    a = parts[1]
    a[0] = 2.0
    return np.sum(b)


@pytest.mark.parametrize(
    "f,other",
    [
        (split_base_read_after, "'t'"),
        (split_at_overlapping_indices, "'b'"),
        (same_array_returned_twice, "'b'"),
        (piece_of_the_argument, "'x'"),
        (last_piece_by_a_negative_index, "'a'"),
    ],
    ids=lambda v: getattr(v, "__name__", v),
)
@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_a_write_another_name_would_see_is_refused_at_its_line(f, other, mode):
    # numpy changes the other name too; a write computed out of place would not
    transform = srcgrad.grad if mode == "grad" else srcgrad.jvp
    with pytest.raises(TransformError) as info:
        transform(f)(X) if mode == "grad" else transform(f)(X, np.ones(4))
    assert HERE in str(info.value)
    assert other in str(info.value)
