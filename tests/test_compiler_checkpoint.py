"""``grad(f, checkpoint=True)``: loops keep snapshots and run again in the adjoint sweep.

The gradient must equal the stored one (the same operations in the same order) for every corpus function with
a loop, the generated code must really checkpoint where it can, and its memory must grow like sqrt(T).
"""

import inspect
import tracemalloc

import numpy as np
import pytest

import srcgrad
from corpus import all_cases

LOOPS = [c for c in all_cases() if c.static is None and "for " in inspect.getsource(c.fn)]


@pytest.mark.parametrize("c", LOOPS, ids=[c.name for c in LOOPS])
def test_checkpointed_gradient_equals_the_stored_one(c):
    args = c.make_args(np.random.default_rng(0))
    stored = srcgrad.grad(c.fn, wrt=tuple(c.wrt))(*args)
    checkpointed = srcgrad.grad(c.fn, wrt=tuple(c.wrt), checkpoint=True)(*args)
    for a, b in zip(stored, checkpointed):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)


def rnn(h, W, U, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U * xs[t])
    return np.sum(h)


def _args(T, hidden=8):
    rng = np.random.default_rng(0)
    return (
        rng.normal(size=hidden),
        rng.normal(size=(hidden, hidden)) / np.sqrt(hidden),
        rng.normal(size=hidden),
        rng.normal(size=T),
    )


def _peak(df, args):
    df(*args)
    tracemalloc.start()
    df(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_a_recurrence_keeps_snapshots_not_every_step():
    df = srcgrad.grad(rnn, wrt=(1, 2), checkpoint=True)
    args = _args(50)
    dW, dU = df(*args)
    eDW, eDU = srcgrad.grad(rnn, wrt=(1, 2))(*args)
    np.testing.assert_allclose(dW, eDW, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dU, eDU, rtol=1e-12, atol=1e-14)
    src = df.source_for(*args)
    assert "snapshots.append(" in src and "snapshots.pop()" in src
    forward = src.split("snapshots.pop()")[0]
    assert "push(" not in forward.split("for k, t in enumerate(steps):")[1]  # the forward sweep saves nothing


def test_checkpointed_memory_grows_like_the_square_root():
    stored = srcgrad.grad(rnn, wrt=(1, 2))
    checkpointed = srcgrad.grad(rnn, wrt=(1, 2), checkpoint=True)
    small, large = _args(400), _args(3600)
    assert _peak(checkpointed, large) < 0.2 * _peak(stored, large)
    # 9 times the steps: the stored gradient keeps ~9 times as much, the checkpointed one ~3 times
    assert _peak(checkpointed, large) < 5 * _peak(checkpointed, small)
