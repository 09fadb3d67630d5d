"""Lists at higher order in static mode: a second name for a list (``b = a``) where the first is never read
again, a second name for a call's several results, and list items at an index computed from a loop's
(``xs[(i + 1) % 3]``, ``sums[i % 2] += ...``), differentiated once, twice and three times.

Every order is judged by central finite differences of the order below and by dynamic mode (Tensors with
``create_graph=True``), never by the compiler itself. A second name for a list whose first name is read again
stays refused at the user's line.
"""

import importlib.util
import itertools

import numpy as np
import pytest

import srcgrad

_COUNT = itertools.count()


def moved(x):
    a = [x, x * 2.0]
    b = a
    b.append(np.sin(x))
    return np.sum(np.stack(b) ** 2)


def moved_then_rebound(x):
    a = [x * x]
    b = a
    a = [np.cos(x), x]
    b.append(a[0] * x)
    return np.sum(np.stack(b) * np.stack(a)[1])


def moved_in_a_loop(x):
    total = 0.0
    for i in range(3):
        a = [x * i, np.sin(x)]
        b = a
        b.append(x**2)
        total = total + np.sum(np.stack(b) ** 2)
    return total


def moved_onto_a_list(x):
    b = [x]
    a = [np.sin(x), x * x]
    b = a
    return np.sum(b[0] * b[1])


def list_summed(x):
    parts = [x[0], x[1] ** 2, np.sum(x)]
    return sum(parts) + parts[0] * parts[1]


def split_read_by_two_names(x):
    parts = np.split(x, 2)
    q = parts
    return np.sum(q[0] * parts[1] + np.sin(q[1]))


def svd_named_twice(A):
    usv = np.linalg.svd(A, full_matrices=False)
    r = usv
    return np.sum(r[1] ** 3) + np.sum(usv[1])


def read_at_the_next_index(x):
    xs = [x, x * x, np.sin(x)]
    total = 0.0
    for i in range(3):
        total = total + np.sum(xs[i] * xs[(i + 1) % 3])
    return total


def appended_then_indexed(x):
    ys = []
    for i in range(3):
        ys.append(x * x[i])
    total = 0.0
    for i in range(len(ys)):
        total = total + np.sum(np.sin(ys[i]))
    return total


def slot_of_the_next_index(x):
    parts = [x * 1.0, np.cos(x), x**2]
    for i in range(3):
        parts[(i + 2) % 3] = parts[i] * x - parts[(i + 2) % 3]
    return np.sum(np.stack(parts) ** 2)


def slot_augmented_by_parity(x):
    sums = [0.0, 0.0]
    for i in range(x.shape[0]):
        sums[i % 2] += np.sin(x[i]) * x[i]
    return sums[0] * sums[1] + sums[1] ** 2


_X = np.array([0.3, -0.7, 1.1, 0.4])
CASES = [
    (moved, _X),
    (moved_then_rebound, _X),
    (moved_in_a_loop, _X),
    (list_summed, _X),
    (read_at_the_next_index, _X),
    (appended_then_indexed, _X),
    (slot_of_the_next_index, _X),
    (slot_augmented_by_parity, _X),
    (moved_onto_a_list, _X),
    (split_read_by_two_names, _X),
    (svd_named_twice, np.array([[1.0, 0.3, -0.2], [0.1, 2.0, 0.5], [-0.4, 0.2, 3.0]])),
]


def _fd(fn, x, w, eps=1e-5):
    """Central difference of ``fn`` at ``x`` along ``w``."""
    return (fn(x + eps * w) - fn(x - eps * w)) / (2 * eps)


def _contracted(df, v, tmp_path):
    """``h(a) = sum(df(a) * v)`` written to a real file (the compiler reads source)."""
    n = next(_COUNT)
    path = tmp_path / f"moves_gen_{n}.py"
    path.write_text("import numpy as np\n\n\ndef h(a):\n    return np.sum(DF(a) * V)\n")
    spec = importlib.util.spec_from_file_location(f"moves_gen_{n}", path)
    module = importlib.util.module_from_spec(spec)
    module.__dict__.update(DF=df, V=v)
    spec.loader.exec_module(module)
    return module.h


@pytest.mark.parametrize("f, x", CASES, ids=[f.__name__ for f, _ in CASES])
def test_orders_one_to_three(f, x, tmp_path):
    rng = np.random.default_rng(3)
    v, w, u = (rng.normal(size=x.shape) for _ in range(3))
    t = srcgrad.tensor(x.copy(), requires_grad=True)
    (first,) = srcgrad.autograd.grad(f(t), t, create_graph=True)
    (second,) = srcgrad.autograd.grad((first * srcgrad.tensor(v)).sum(), t, create_graph=True)
    (third,) = srcgrad.autograd.grad((second * srcgrad.tensor(w)).sum(), t)

    fun = f
    for dynamic, direction in ((first, v), (second, w), (third, None)):
        df = srcgrad.grad(fun)
        got = df(x)
        numeric = _fd(fun, x, u)
        assert np.isclose(np.sum(got * u), numeric, rtol=1e-5, atol=1e-7 * (1 + abs(numeric)))
        np.testing.assert_allclose(got, dynamic.detach().numpy(), rtol=1e-8, atol=1e-10)
        if direction is not None:
            fun = _contracted(df, direction, tmp_path)


def read_after_the_second_name(x):
    a = [x, x * 2.0]
    b = a
    b.append(np.sin(x))
    return np.sum(np.stack(a) ** 2)


def read_in_the_next_iteration(x):
    a = [x]
    for _ in range(2):
        b = a
        b.append(x * 2.0)
    return np.sum(np.stack(b))


def read_in_the_next_iteration_past_a_continue(x):
    total = 0.0
    a = [x]
    for i in range(3):
        if i == 5:
            a = [x * 3.0]
            continue
        b = a
        b.append(x * i)
        total = total + np.sum(np.stack(b))
    return total


def results_appended_through_a_second_name(x):
    parts = np.split(x, 2)
    q = parts
    q.append(x[:2] * 2.0)
    return np.sum(parts[2] * parts[0])


def results_popped_through_a_second_name(x):
    parts = np.split(x, 2)
    q = parts
    v = q.pop()
    return np.sum(parts[0] * v)


_REFUSED_AT = {
    read_after_the_second_name: 2,
    read_in_the_next_iteration: 3,
    read_in_the_next_iteration_past_a_continue: 7,
    results_appended_through_a_second_name: 2,
    results_popped_through_a_second_name: 2,
}


@pytest.mark.parametrize("f", list(_REFUSED_AT), ids=[f.__name__ for f in _REFUSED_AT])
def test_a_second_name_for_a_list_read_again_is_refused_at_its_line(f):
    line = f.__code__.co_firstlineno + _REFUSED_AT[f]
    with pytest.raises(srcgrad.TransformError, match=rf"line {line}: a second name for the same list"):
        srcgrad.grad(f)(_X)
