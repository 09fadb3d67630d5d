"""``grad(f, checkpoint=True)`` on the loop kinds beyond a plain recurrence: a ``break`` or ``return`` in the loop,
loops nested in the checkpointed one (with ``break``, or ``while``), appends, list item writes, writes into an
array in place, a loop over an array argument, a comprehension.

Each loop runs long enough for several stretches (a stretch is ``isqrt(T) + 1`` steps), and its gradient must
equal the stored one (the same operations in the same order) and finite differences.
"""

import tracemalloc
import warnings

import numpy as np
import pytest

import srcgrad


def range_with_break(x, W):
    h = x
    for t in range(60):
        h = np.tanh(W @ h) + 0.3 * x
        if t * 0.37 > 15.0:  # ends after step 41, inside a stretch
            break
    return np.sum(h**2)


def return_inside(x, W):
    h = x
    for t in range(60):
        h = np.tanh(W @ h) + 0.3 * x
        if t == 43:
            return np.sum(h**3)
    return np.sum(h)


def data_dependent_break(x, W):
    s = 0.0
    h = x
    for t in range(200):
        h = np.sin(W @ h) * 0.8 + x
        s = s + np.sum(h**2)
        if s > 60.0:
            break
    return s


def while_true_with_break(x, W):
    h = x
    n = 0
    while True:
        h = np.sin(W @ h) + 0.2 * x
        n += 1
        if n >= 47:
            break
    return np.sum(h**2)


def return_in_while(x, W):
    h = x
    k = 0
    while k < 100:
        h = np.tanh(W @ h) * 1.1 + 0.1 * x
        k = k + 1
        if k == 38:
            return np.sum(h * x)
    return np.sum(h)


def inner_while(x, W):
    g = np.sin(x)
    g = np.cos(g) * g  # its adjoint reads the g saved (on the stack) before the loop
    h = x
    for t in range(30):
        k = 0
        while k < t % 4:
            h = np.tanh(W @ h) * 0.9 + x * 0.1
            k = k + 1
        h = h + 0.01 * t
    return np.sum(h**2) + np.sum(g * x)


def inner_break(x, W):
    g = np.sin(x)
    g = np.cos(g) * g  # its adjoint reads the g saved (on the stack) before the loop
    h = x
    for t in range(25):
        for j in range(6):
            if j > t % 5:
                break
            h = np.sin(W @ h) + x * (0.1 * j)
    return np.sum(h**2) + np.sum(g * x)


def carried_from_the_step_before(x, W):
    h = x
    for t in range(40):
        if t > 0:
            h = h * 0.5 + prev  # noqa: F821 (made by the step before)
        prev = np.tanh(W @ h)
    return np.sum(h**2) + np.sum(prev)


def return_in_an_inner_loop(x, W):
    h = x
    for t in range(30):
        for j in range(3):
            h = np.tanh(W @ h) + 0.1 * x * j
            if t == 17 and j == 1:
                return np.sum(h**2)
    return np.sum(h)


def continue_in_an_inner_while_that_appends(x, W):
    h = x
    acc = []
    for t in range(30):
        j = 0
        while j < 4:
            j = j + 1
            if (t + j) % 3 == 0:
                continue
            h = np.tanh(W @ h) + 0.1 * x
            acc.append(h[0])
    return np.sum(h) + np.sum(np.array(acc) ** 2)


def appends(x, W):
    hs = []
    h = x
    for t in range(50):
        h = np.tanh(W @ h + 0.1 * t)
        hs.append(h * 2.0)
    return np.sum(np.stack(hs) ** 2)


def list_item_writes(x, W):
    acc = [x * 0.5, x * 2.0]
    for t in range(40):
        acc[t % 2] = np.tanh(W @ acc[(t + 1) % 2]) + acc[t % 2] * 0.5
    return np.sum(acc[0] * acc[1])


def fills_an_output(x, W):
    out = np.zeros(50)
    h = x
    for t in range(50):
        h = np.tanh(W @ h) + 0.1 * x
        out[t] = np.sum(h) + 0.5 * out[t - 1]  # reads the item written a step before
    return np.sum(out**2)


def accumulates_in_place(x, W):
    acc = np.zeros(7)
    h = x
    for t in range(50):
        h = np.tanh(W @ h) + 0.1 * x
        acc[t % 7] = acc[t % 7] * np.cos(h[0]) + np.sum(h)  # reads the item it overwrites
    return np.sum(acc**2)


def over_rows(W, xs):
    losses = []
    h = np.zeros(W.shape[1])
    for x in xs:
        h = np.tanh(x @ W + 0.5 * h)
        losses.append(np.sum(h**2))
    return np.mean(np.array(losses))


def comprehension(x, W):
    return sum([np.sum(np.sin(W @ x * (i + 1))) for i in range(45)])


def _xw(rng):
    return rng.normal(size=3), rng.normal(size=(3, 3)) / 2


CASES = [
    (range_with_break, _xw),
    (return_inside, _xw),
    (data_dependent_break, _xw),
    (while_true_with_break, _xw),
    (return_in_while, _xw),
    (inner_while, _xw),
    (inner_break, _xw),
    (carried_from_the_step_before, _xw),
    (return_in_an_inner_loop, _xw),
    (continue_in_an_inner_while_that_appends, _xw),
    (appends, _xw),
    (list_item_writes, _xw),
    (fills_an_output, _xw),
    (accumulates_in_place, _xw),
    (over_rows, lambda rng: (rng.normal(size=(3, 3)) / 2, rng.normal(size=(40, 3)))),
    (comprehension, _xw),
]


@pytest.mark.parametrize("f, make", CASES, ids=[f.__name__ for f, _ in CASES])
def test_checkpointed_equals_stored_and_finite_differences(f, make):
    rng = np.random.default_rng(1)
    args = make(rng)
    with warnings.catch_warnings():
        warnings.simplefilter("error", srcgrad.CheckpointWarning)  # every loop here is checkpointed
        df = srcgrad.grad(f, wrt=(0, 1), checkpoint=True)
        got = df(*args)
    source = df.source_for(*args)
    assert "snapshots.append(" in source and "# not checkpointed" not in source
    stored = srcgrad.grad(f, wrt=(0, 1))(*args)
    for g, s in zip(got, stored):
        np.testing.assert_allclose(g, s, rtol=1e-10, atol=1e-12)
    eps = 1e-6
    for k, g in enumerate(got):
        v = rng.normal(size=np.shape(args[k]))
        plus = list(args)
        minus = list(args)
        plus[k] = args[k] + eps * v
        minus[k] = args[k] - eps * v
        numeric = (f(*plus) - f(*minus)) / (2 * eps)
        assert np.sum(g * v) == pytest.approx(numeric, rel=1e-6, abs=1e-7), k


def rnn_break(h, W, U, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U * xs[t])
        if xs[t] > 100.0:  # never true: the same steps, in a loop that may break
            break
    return np.sum(h)


def rnn_append(h, W, U, xs):
    hs = []
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U * xs[t])
        hs.append(h[0])
    return np.sum(h) + np.sum(np.array(hs) ** 2)


def rnn_fill(h, W, U, xs):
    out = np.zeros(xs.shape[0])
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U * xs[t])
        out[t] = h[0]
    return np.sum(h) + np.sum(out**2)


def rnn_nested(h, W, U, xs):
    for t in range(xs.shape[0] // 4):
        j = 0
        while j < 4:
            h = np.tanh(W @ h + U * xs[4 * t + j])
            j = j + 1
    return np.sum(h)


def _peak(df, args):
    df(*args)
    tracemalloc.start()
    df(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


# (function, the largest checkpointed/stored peak allowed at T = 2,000): what remains is the list the loop
# fills (appends) or the log of overwritten items (as much as the stored saves of them), not the steps' values
MEMORY = [(rnn_break, 0.25), (rnn_append, 0.5), (rnn_fill, 0.6), (rnn_nested, 0.25)]


@pytest.mark.parametrize("f, bound", MEMORY, ids=[f.__name__ for f, _ in MEMORY])
def test_checkpointed_memory_is_a_fraction_of_the_stored(f, bound):
    rng = np.random.default_rng(0)
    hidden = 32
    args = (
        rng.normal(size=hidden),
        rng.normal(size=(hidden, hidden)) / np.sqrt(hidden),
        rng.normal(size=hidden),
        rng.normal(size=2000),
    )
    stored = srcgrad.grad(f, wrt=(1, 2))
    checkpointed = srcgrad.grad(f, wrt=(1, 2), checkpoint=True)
    for a, b in zip(checkpointed(*args), stored(*args)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    ratio = _peak(checkpointed, args) / _peak(stored, args)
    print(f"{f.__name__}: {ratio:.1%}")
    assert ratio < bound


@pytest.mark.parametrize("snapshots", [1, 2, 5])
@pytest.mark.parametrize("f, make", CASES, ids=[f.__name__ for f, _ in CASES])
def test_the_binomial_schedule_gives_the_stored_gradient(f, make, snapshots):
    """``checkpoint=n``: range loops keep at most n snapshots (revolve); the same operations in the same order."""
    rng = np.random.default_rng(2)
    args = make(rng)
    with warnings.catch_warnings():
        warnings.simplefilter("error", srcgrad.CheckpointWarning)
        df = srcgrad.grad(f, wrt=(0, 1), checkpoint=snapshots)
        got = df(*args)
    for g, s in zip(got, srcgrad.grad(f, wrt=(0, 1))(*args)):
        np.testing.assert_allclose(g, s, rtol=1e-10, atol=1e-12)
    source = df.source_for(*args)
    assert "snapshots.append(" in source
    if f.__name__ not in ("while_true_with_break", "return_in_while"):  # while loops keep the sqrt(T) schedule
        assert f"# checkpointed: at most {snapshots} snapshots, placed by the binomial schedule" in source


def test_the_binomial_schedule_keeps_at_most_n_snapshots():
    """The peak is a few steps' values whatever T: far below the square-root schedule's at T = 2,000."""
    rng = np.random.default_rng(0)
    hidden = 32
    args = (
        rng.normal(size=hidden),
        rng.normal(size=(hidden, hidden)) / np.sqrt(hidden),
        rng.normal(size=hidden),
        rng.normal(size=2000),
    )
    sqrt_schedule = srcgrad.grad(rnn_break, wrt=(1, 2), checkpoint=True)
    binomial = srcgrad.grad(rnn_break, wrt=(1, 2), checkpoint=4)
    for a, b in zip(binomial(*args), sqrt_schedule(*args)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert _peak(binomial, args) < 0.5 * _peak(sqrt_schedule, args)


@pytest.mark.parametrize("bad", [0, -2, 2.5, "binomial", None])
def test_checkpoint_must_be_a_bool_or_a_number_of_snapshots(bad):
    """Checked when the gradient is asked for, before any call."""
    with pytest.raises(ValueError, match=r"checkpoint is True, False, or the most snapshots a loop may keep"):
        srcgrad.grad(rnn_break, checkpoint=bad)
    with pytest.raises(ValueError, match=r"checkpoint is True, False"):
        srcgrad.grad(wrt=1, checkpoint=bad)


def test_revolve_marks_follow_the_binomial_bound():
    """With s snapshots (the kept one and the free ones) and every step run at most r more times, C(s + r, s)
    steps can be reversed: the marks never ask for more runs than that (counted by following the adjoint's loop),
    and they are increasing offsets inside the stretch."""
    from math import comb

    from srcgrad.compiler.runtime import revolve_marks

    for steps in (1, 2, 7, 60, 500):
        for budget in (1, 2, 3, 6):
            marks = revolve_marks(steps, budget - 1)
            assert marks == sorted(set(marks)) and all(0 < p < steps for p in marks)
            assert len(marks) <= budget - 1
            runs = [0] * steps  # times each step runs after the forward sweep
            held, end = [0], steps
            while held:
                start = held[-1]
                more = revolve_marks(end - start, budget - len(held))
                if more:
                    for p in range(start, start + more[-1]):
                        runs[p] += 1
                    held += [start + p for p in more]
                    continue
                for p in range(start, end):
                    runs[p] += 1
                end -= 1
                if end == start:
                    held.pop()
                assert len(held) <= budget
            r = 0
            while comb(budget + r, budget) < steps:
                r += 1
            assert max(runs) <= r + 1, (steps, budget, max(runs), r)
