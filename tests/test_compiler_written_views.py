"""A view of an array, read by the gradient, then the array written in place (static mode).

The gradient runs an index write into an array the function made (``w[i] = v``) in place and undoes it in the
adjoint sweep before anything there reads the array. It undid it only when the adjoint sweep read the written
name itself: a view made before the write (``v = w[i:]``, ``w.T``, ``np.reshape(w, ...)``, ``np.flip(w)``,
``np.broadcast_to(w, ...)``, ``np.asarray(w)``) read by the adjoint sweep saw the new values, and the gradient
was silently wrong (both optimize settings; forward mode and the tape were right). ``aliasing`` now gives the
write the names that may share its memory (``Assign.sharers``), and the restore is kept when any of them is read.
Each program is checked in every mode against central finite differences.
"""

import numpy as np
import pytest

import srcgrad
from corpus.harness import check_grad_and_jvp, fd_grad

U = np.array([0.3, -0.4, 0.8])


def slice_view_in_a_loop(u):
    w = np.ones(3)
    acc = 0.0
    for i in range(3):
        v = w[i:]
        acc = acc + np.sum(u[i:] * v)
        w[i] = 2.0 + i
    return acc**2


def transposed_view(u):
    w = np.arange(6.0).reshape(2, 3) * 0.1
    wt = w.T
    b = np.sum(wt * u[:, None] ** 2)
    w[0, 1] = 5.0
    return b * b


def raveled_view(u):
    w = np.arange(6.0).reshape(2, 3) * 0.1
    r = w.ravel()
    b = np.sum(r[:3] * u**2)
    w[0] += 1.0
    return b * b


def reshaped_view(u):
    w = np.array([1.0, 2.0, 3.0])
    w2 = np.reshape(w, (3,))
    b = np.sum(u * w2)
    w[:] = 0.5
    return b * b


def asarray_view(u):
    w = np.array([1.0, 2.0, 3.0])
    v = np.asarray(w)
    b = np.sum(np.sin(u * v))
    w[1] = -4.0
    return b * b + np.sum(w * u)


def broadcast_view(u):
    w = np.array([1.0, 2.0, 3.0])
    m = np.broadcast_to(w, (2, 3))
    b = np.sum(np.sin(m * u))
    w[2] = 0.0
    return b * b


def flipped_view(u):
    w = np.array([1.0, 2.0, 3.0])
    r = np.flip(w)
    b = np.sum(r * u**3)
    w[0] *= 3.0
    return b * b


def view_of_a_view(u):
    w = np.array([1.0, 2.0, 3.0, 4.0])
    v = w[1:]
    vv = v[::-1]
    b = np.sum(u * vv)
    w[2] = 10.0
    return b * b


def another_name(u):  # not even a view: the same array by a second name
    w = np.array([1.0, 2.0, 3.0])
    p, q = w, w[::-1]
    b = np.sum(u * q) + np.sum(u**2 * p)
    w[2] = -1.0
    return b * b


def list_item(u):
    w = np.array([1.0, 2.0, 3.0])
    items = [w, w * 2]
    b = np.sum(u * items[0])
    w[0] = 5.0
    return b * b


def dict_item(u):
    w = np.array([1.0, 2.0, 3.0])
    d = {"a": w}
    b = np.sum(np.sin(u * d["a"]))
    w[1] = 5.0
    return b * b


def reversed_dot(a, c):
    v = c[::-1]
    return np.sum(a * v)


def view_made_in_a_helper(u):
    w = np.array([1.0, 2.0, 3.0])
    b = reversed_dot(u, w)
    w[0] = 9.0
    return b * b


def view_made_in_a_branch(u):
    w = np.array([1.0, 2.0, 3.0])
    if u[0] > 0:
        v = w[::-1]
    else:
        v = w * 1.0
    b = np.sum(u * v)
    w[0] = 3.3
    return b * b


def weights_written_after_average(u):
    w = np.array([1.0, 2.0, 3.0])
    b = np.average(u, weights=w)
    w[:] = 0.5
    return b * b


PROGRAMS = [
    slice_view_in_a_loop,
    transposed_view,
    raveled_view,
    reshaped_view,
    asarray_view,
    broadcast_view,
    flipped_view,
    view_of_a_view,
    another_name,
    list_item,
    dict_item,
    view_made_in_a_helper,
    view_made_in_a_branch,
    weights_written_after_average,
]


@pytest.mark.parametrize("f", PROGRAMS, ids=lambda f: f.__name__)
def test_a_view_read_by_the_gradient_sees_the_values_before_the_write(f):
    check_grad_and_jvp(f, U)  # static mode (both optimize settings) and forward mode
    t = srcgrad.tensor(U.copy(), requires_grad=True)
    f(t).backward()
    np.testing.assert_allclose(t.grad.detach().numpy(), fd_grad(f, (U,), 0), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("checkpoint", [True, 2])
def test_checkpointed_loops_restore_the_view_too(checkpoint):
    got = srcgrad.grad(slice_view_in_a_loop, checkpoint=checkpoint)(U)
    np.testing.assert_allclose(got, fd_grad(slice_view_in_a_loop, (U,), 0), rtol=1e-6, atol=1e-8)


def test_the_restore_is_still_dropped_where_nothing_reads_the_array():
    def f(u):
        w = np.array([1.0, 2.0, 3.0])
        v = w[1:]
        b = np.sum(u[1:] * 2.0) + np.sum(v)  # v is read, but not by the adjoint sweep
        w[1] = 7.0
        return b * b

    source = srcgrad.grad(f).source_for(U)
    assert "pop()" not in source and "push(" not in source
    check_grad_and_jvp(f, U)


def constant_seen_through_a_second_name(x):  # fuzz 2026120712_43 (grad2, grad3)
    v1 = np.sin(x)
    c2 = np.ones((2, 3))
    v3 = c2
    v4 = v1 * v3
    c2[0] *= -1.0
    return np.sum(v4)


def reshaped_constant(u):  # fuzz 2026120712_137 (grad2, grad3)
    c2 = np.arange(4.0)
    v3 = np.reshape(c2, (2, 2))
    v4 = u * v3
    c2[1] += 1.0
    return np.mean(np.cos(v4))


@pytest.mark.parametrize(
    "f, x",
    [
        (constant_seen_through_a_second_name, np.array([[0.3, -0.2, 0.5], [0.1, 0.7, -0.4]])),
        (reshaped_constant, np.array([[0.918308, -0.259325], [-0.34967, -0.0148]])),
    ],
)
def test_the_gradient_read_again_keeps_the_view_too(f, x):
    # grad(grad(f)) reads the gradient's code, where the write is y = index_update(y, i, v), out of place: run in
    # place at second order, the view (read by the first derivative, now forward code) saw the write
    v = np.linspace(0.5, -1.0, x.size).reshape(x.shape)
    df = srcgrad.grad(f)

    def at(y):
        return df(y)

    h = 1e-5
    want = (at(x + h * v) - at(x - h * v)) / (2 * h)
    got = srcgrad.grad(df)(x, dout=v)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


# ------------------------------------------------ the index of a write undone in the adjoint sweep


def counter_in_a_while_loop(u):
    w = np.array([1.0, 2.0, 3.0])
    k = 0
    acc = 0.0
    while k < 3:
        acc = acc + np.dot(u, w)
        w[k] = -1.0
        k += 1
    return acc**2


def counter_beside_a_for_loop(u):
    w = np.array([1.0, 2.0, 3.0])
    k = 0
    acc = 0.0
    for i in range(6):
        acc = acc + np.dot(u, w) * (i + 1)
        w[k % 3] = w[k % 3] * 0.5 + 1.0
        k += 1
    return acc**2


def sliding_slice(u):
    w = np.array([1.0, 2.0, 3.0, 4.0])
    k = 0
    acc = 0.0
    for i in range(3):
        acc = acc + np.dot(u, w[:3]) * (i + 1)
        w[k : k + 2] = w[k : k + 2] * 0.5
        k += 1
    return acc**2


def two_counters(u):
    m = np.ones((3, 3))
    r, c = 0, 2
    acc = 0.0
    for i in range(3):
        acc = acc + np.sum(m @ u) * (i + 1)
        m[r, c] = -1.0 + i
        r += 1
        c -= 1
    return acc**2


def counter_until_break(u):
    w = np.array([1.0, 2.0, 3.0])
    k = 0
    acc = 0.0
    while True:
        acc = acc + np.dot(u, w)
        w[k] += 2.0
        k += 1
        if k >= 3:
            break
    return acc**2


@pytest.mark.parametrize(
    "f",
    [counter_in_a_while_loop, counter_beside_a_for_loop, sliding_slice, two_counters, counter_until_break],
    ids=lambda f: f.__name__,
)
def test_the_undone_write_reads_its_index_as_it_was(f):
    # y[k] = pop() undoes y[k] = v in the adjoint sweep, and read k as the loop left it: IndexError for the while
    # loop, and the wrong items undone, silently, for k % 3 (k was not saved with the write)
    check_grad_and_jvp(f, U)
    for checkpoint in (True, 2):
        got = srcgrad.grad(f, checkpoint=checkpoint)(U)
        np.testing.assert_allclose(got, fd_grad(f, (U,), 0), rtol=1e-6, atol=1e-8)
