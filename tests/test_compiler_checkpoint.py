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

LOOPS = [
    c for c in all_cases() if c.static is None and any(word in inspect.getsource(c.fn) for word in ("for ", "while "))
]

# The corpus functions with a loop whose gradient keeps storing every iteration under checkpoint=True, and why
# (the loop kinds checkpointable() leaves alone); every other function of LOOPS checkpoints a loop.
STORED = {
    "control.while_halving": "a while loop",
    "control.while_with_counter": "a while loop",
    "control.shrinking_while": "a while loop",
    "control.continue_in_while": "a while loop",
    "control.while_true_break": "a while loop",
    "control.return_in_while": "a while loop",
    "ml.newton_until_converged": "a while loop",
    "idioms.while_with_early_return": "a while loop",
    "control.for_with_break": "break",
    "control.early_return": "a return inside the loop (a break)",
    "control.inner_break_only": "an inner loop with break",
    "idioms.for_else": "break (for-else)",
    "structures.list_append_stack": "appends to a list",
    "ml.conv1d_valid": "appends to a list",
    "ml.mean_of_losses": "appends to a list (and iterates over an array, not a range)",
    "containers.tuple_accumulated": "a tuple grown in the loop (kept as a list it appends to)",
    "ml.rk4_oscillator": "a list made in the body (np.stack([...]) in an inlined helper)",
    "structures.list_comprehension": "a comprehension (a loop that appends)",
    "idioms.generator_sum": "a generator expression (a loop that appends)",
    "structures.cumulative_fill": "writes an array in place (out[i] = ...)",
    "structures.accumulate_into_zeros_like": "writes an array in place (acc[i] += ...)",
    "containers.list_items_rebound_in_loop": "writes list items",
    "containers.list_item_augmented": "writes list items",
    "containers.list_item_of_arrays_augmented": "writes list items",
    "containers.dict_looped_over": "loops over a dict, not a range",
}


@pytest.mark.parametrize("c", LOOPS, ids=[c.name for c in LOOPS])
def test_checkpointed_gradient_equals_the_stored_one(c):
    """Every corpus function with a loop (for, while, comprehension): the same gradient with checkpoint=True, and
    a checkpointed loop exactly where checkpointable() allows one (``STORED`` lists the others and why)."""
    args = c.make_args(np.random.default_rng(0))
    stored = srcgrad.grad(c.fn, wrt=tuple(c.wrt))(*args)
    df = srcgrad.grad(c.fn, wrt=tuple(c.wrt), checkpoint=True)
    checkpointed = df(*args)
    for a, b in zip(stored, checkpointed):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)
    assert ("snapshots.append(" in df.source_for(*args)) == (c.name not in STORED), STORED.get(c.name)


def test_the_table_of_stored_loops_names_corpus_functions():
    assert set(STORED) <= {c.name for c in LOOPS}
    assert len(LOOPS) - len(STORED) == 26  # the corpus functions that checkpoint a loop


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
