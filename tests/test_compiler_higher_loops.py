"""Second and third derivatives through ``continue`` and ``break`` in several loop shapes.

Also an index tuple the gradient saves on its stack in nested loops (``idx = j % n, i % m``, ``None`` before
the loop), which its code rebuilds at run time when read again, and a list slot written at an index computed
from the loop's (``parts[(i + 1) % 3]``), which the form differentiated again computes again in its adjoint
loop instead of popping it, and a list literal stacked in a loop, whose length that form writes as a number
(it saves no list on its stack).

The compiler differentiates its own generated gradient: a ``while`` with ``continue`` pushes its counter on the
gradient's stack, a ``for ... else`` and a nested ``break`` keep trip counts. Each case is judged by central finite
differences of the lower derivative, by dynamic mode (Tensors with ``create_graph=True``) and, for the second
derivative, by ``srcgrad.hvp``'s forward-over-reverse code against finite differences of the gradient.
"""

import importlib.util
import itertools

import numpy as np
import pytest

import srcgrad

_COUNT = itertools.count()


def while_continue_array(x):
    i = 0
    acc = np.zeros(2)
    while i < x.shape[0]:
        i = i + 1
        if x[i - 1] > 1.0:
            continue
        acc = acc * np.sin(x[i - 1]) + x[i - 1] ** 2
    return np.sum(acc * acc)


def while_continue_list(x):
    out = []
    i = 0
    while i < x.shape[0]:
        i += 1
        if x[i - 1] < 0:
            continue
        out.append(x[i - 1] * x[i - 1])
    return np.sum(np.stack(out) ** 2)


def nested_for_break(A):
    s = 0.0
    for i in range(A.shape[0]):
        r = 1.0
        for j in range(A.shape[1]):
            if A[i, j] > 1.0:
                break
            r = r * np.cos(A[i, j]) + A[i, j]
        s = s + r * r
    return s


def nested_continue_break(A):
    s = 0.0
    for i in range(A.shape[0]):
        if A[i, 0] < -1.0:
            continue
        for j in range(A.shape[1]):
            if A[i, j] > 1.0:
                break
            if A[i, j] < 0.0:
                continue
            s = s + A[i, j] ** 3 * A[i, 0]
    return s


def for_else_runs(x):
    y = x
    for _ in range(4):
        y = np.tanh(y) * 1.5 + x
        if np.sum(y) > 50.0:
            break
    else:
        y = y * y
    return np.sum(y**3)


def for_else_skipped(x):
    y = x
    for k in range(6):
        y = np.sin(y) + x * y
        if k == 2:
            break
    else:
        y = y * 100.0
    return np.sum(y * y)


def while_true_break_continue(x):
    y = x
    n = 0
    while True:
        n += 1
        if n == 2:
            continue
        y = y * np.cos(y) + x
        if n >= 4:
            break
    return np.sum(y**2)


def for_continue_carried(x):
    p = 1.0
    for i in range(x.shape[0]):
        if x[i] < 0:
            continue
        p = p * x[i] + np.exp(x[i] * p)
    return p


def while_break_on_data(x):
    t = 0.0
    k = 0
    while k < 10:
        t = t + np.sum(x * x) * 0.1
        k = k + 1
        if t > 2.0:
            break
    return t * np.sum(x)


def index_tuple_in_nested_loops(A):
    s = 0.0
    n, m = A.shape
    for i in range(n):
        for j in range(m):
            s = s + A[i, j] * (i - j + 0.5) * A[j % n, i % m]  # the gradient saves the index tuple each step
    return s


def index_tuple_named(A):
    s = 0.0
    n, m = A.shape
    for i in range(n):
        for j in range(m):
            idx = (j % n, i % m)
            s = s + A[idx] * A[i, j] ** 2
    return s


def list_slot_of_the_next_index(x):
    parts = [x * 1.0, np.sin(x), x**2]
    for i in range(3):
        parts[i] = parts[i] * x + parts[(i + 1) % 3]  # the gradient writes dparts[(i + 1) % 3]
    return np.sum(np.stack(parts) ** 2)


def list_slot_augmented(x):
    sums = [0.0, 0.0, 0.0]
    for i in range(x.shape[0]):
        sums[(2 * i + 1) % 3] += x[i] * np.sin(x[i])
    return sums[0] * sums[1] + sums[2] ** 2


def list_literal_stacked_in_loop(x):
    s = x
    for _ in range(3):
        k = np.stack([s[1], -2.0 * s[0] * s[1]])  # a list of a length known while compiling, made each step
        s = s + 0.1 * k * s
    return np.sum(s**2)


def list_appended_in_loop(x):
    s = 0.0
    for k in range(3):
        parts = [x * 1.0]
        for j in range(k):
            parts.append(x * j)
        s = s + np.sum(np.stack(parts) ** 3)
    return s


_ROW = np.array([0.5, 1.3, -0.4, 0.8, 2.0, -1.1])
_SMALL = np.array([0.2, -0.3, 0.4])
_GRID = np.array([[0.3, 0.6, 1.5, 0.2], [-1.4, 0.9, 0.1, 0.7], [0.5, -0.3, 0.3, 1.1]])
ARRAY_CASES = [
    (while_continue_array, _ROW),
    (while_continue_list, _ROW),
    (nested_for_break, _GRID),
    (nested_continue_break, _GRID),
    (for_else_runs, _SMALL),
    (for_else_skipped, _SMALL),
    (while_true_break_continue, _SMALL),
    (for_continue_carried, np.array([0.3, -0.2, 0.5, 0.4])),
    (while_break_on_data, np.array([0.7, -0.9, 1.1])),
    (index_tuple_in_nested_loops, _GRID),
    (index_tuple_named, _GRID),
    (list_slot_of_the_next_index, _SMALL),
    (list_slot_augmented, _ROW),
    (list_literal_stacked_in_loop, np.array([0.3, -0.6])),
    (list_appended_in_loop, np.array([0.4, -0.7])),
]


def _fd(fn, x, w, eps=1e-5):
    """Central difference of ``fn`` at ``x`` along ``w``."""
    return (fn(x + eps * w) - fn(x - eps * w)) / (2 * eps)


def _contracted(df, v, tmp_path):
    """``h(a) = sum(df(a) * v)`` written to a real file (the compiler reads source)."""
    n = next(_COUNT)
    path = tmp_path / f"loops_gen_{n}.py"
    path.write_text("import numpy as np\n\n\ndef h(a):\n    return np.sum(DF(a) * V)\n")
    spec = importlib.util.spec_from_file_location(f"loops_gen_{n}", path)
    module = importlib.util.module_from_spec(spec)
    module.__dict__.update(DF=df, V=v)
    spec.loader.exec_module(module)
    return module.h


@pytest.mark.parametrize("f, x", ARRAY_CASES, ids=[f.__name__ for f, _ in ARRAY_CASES])
def test_second_derivative_through_continue_and_break(f, x, tmp_path):
    rng = np.random.default_rng(1)
    w, v = rng.normal(size=x.shape), rng.normal(size=x.shape)
    df = srcgrad.grad(f)
    h = _contracted(df, v, tmp_path)
    got = srcgrad.grad(h)(x)
    numeric = _fd(h, x, w)
    assert np.isclose(np.sum(got * w), numeric, rtol=1e-5, atol=1e-7 * (1 + abs(numeric)))

    t = srcgrad.tensor(x.copy(), requires_grad=True)
    (first,) = srcgrad.autograd.grad(f(t), t, create_graph=True)
    (second,) = srcgrad.autograd.grad((first * srcgrad.tensor(v)).sum(), t)
    np.testing.assert_allclose(got, second.detach().numpy(), rtol=1e-8, atol=1e-10)

    hv = srcgrad.hvp(f)(x, w)
    np.testing.assert_allclose(hv, _fd(df, x, w), rtol=1e-5, atol=1e-7)


def scalar_while_continue(x):
    i = 0
    s = x
    while i < 5:
        i += 1
        if i % 2 == 0:
            continue
        s = s * np.sin(s) + x * i
    return s


def scalar_nested_while_in_for(x):
    s = 0.0
    for k in range(3):
        j = 0
        y = x * (k + 1)
        while j < 4:
            j += 1
            if j == 2:
                continue
            if j == 4 and k == 1:
                break
            y = np.cos(y) * x + y
        s = s + y
    return s


def scalar_elif_break(x):
    y = x
    n = 0
    while n < 8:
        n += 1
        if n == 1:
            y = y * y
        elif n == 3:
            continue
        elif n == 6:
            break
        else:
            y = np.exp(-y) + y * x
    return y


def scalar_for_else_continue(x):
    y = x
    for k in range(4):
        if k == 1:
            continue
        y = y * np.tanh(y + x)
    else:
        y = y + x**3
    return y


SCALAR_CASES = [scalar_while_continue, scalar_nested_while_in_for, scalar_elif_break, scalar_for_else_continue]


@pytest.mark.parametrize("f", SCALAR_CASES, ids=[f.__name__ for f in SCALAR_CASES])
def test_second_and_third_derivatives_through_continue_and_break(f):
    x, eps = 0.37, 1e-4
    d1 = srcgrad.grad(f)
    d2 = srcgrad.grad(d1)
    d3 = srcgrad.grad(d2)
    assert d2(x) == pytest.approx((d1(x + eps) - d1(x - eps)) / (2 * eps), rel=1e-6)
    assert d3(x) == pytest.approx((d2(x + eps) - d2(x - eps)) / (2 * eps), rel=1e-5)

    t = srcgrad.tensor(np.array(x), requires_grad=True)
    (g1,) = srcgrad.autograd.grad(f(t), t, create_graph=True)
    (g2,) = srcgrad.autograd.grad(g1, t, create_graph=True)
    (g3,) = srcgrad.autograd.grad(g2, t)
    assert d2(x) == pytest.approx(float(g2.detach().numpy()), rel=1e-9)
    assert d3(x) == pytest.approx(float(g3.detach().numpy()), rel=1e-9)
