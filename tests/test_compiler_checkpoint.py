"""``grad(f, checkpoint=True)``: loops keep snapshots and run again in the adjoint sweep.

The gradient must equal the stored one (the same operations in the same order) for every corpus function with
a loop, the generated code must really checkpoint where it can, and its memory must grow like sqrt(T).
"""

import inspect
import tracemalloc
import warnings

import numpy as np
import pytest

import srcgrad
from corpus import all_cases
from srcgrad.compiler import clear_cache

LOOPS = [
    c for c in all_cases() if c.static is None and any(word in inspect.getsource(c.fn) for word in ("for ", "while "))
]

# The corpus functions with a loop whose gradient keeps storing every iteration under checkpoint=True, and why
# (the loop kinds not_checkpointable() names); every other function of LOOPS checkpoints a loop. None today:
# break and return, appends, list item writes and pops, writes in place and inner while loops all checkpoint.
STORED = {}
# Loops the compiler unrolls (over a dict of known keys): no loop is left to checkpoint, nor any warning to give.
UNROLLED = {"containers.dict_looped_over"}


@pytest.mark.parametrize("c", LOOPS, ids=[c.name for c in LOOPS])
def test_checkpointed_gradient_equals_the_stored_one(c):
    """Every corpus function with a loop (for, while, comprehension): the same gradient with checkpoint=True, and
    a checkpointed loop exactly where checkpointable() allows one (``STORED`` lists the others and why)."""
    args = c.make_args(np.random.default_rng(0))
    stored = srcgrad.grad(c.fn, wrt=tuple(c.wrt))(*args)
    df = srcgrad.grad(c.fn, wrt=tuple(c.wrt), checkpoint=True)
    clear_cache()  # compiled afresh: the warnings come when the gradient is made
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        checkpointed = df(*args)
    for a, b in zip(stored, checkpointed):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)
    source = df.source_for(*args)
    assert ("snapshots.append(" in source) == (c.name not in set(STORED) | UNROLLED), STORED.get(c.name)
    # a loop left storing says so: a warning at the user's file and line, and a comment at the loop
    stored_loops = [w for w in caught if issubclass(w.category, srcgrad.CheckpointWarning)]
    assert source.count("# not checkpointed (") == len(stored_loops)
    assert ("# checkpointed: " in source) == (c.name not in set(STORED) | UNROLLED)
    if c.name in STORED:
        assert stored_loops
    lines, first = inspect.getsourcelines(c.fn)
    for w in stored_loops:
        assert w.filename == inspect.getsourcefile(c.fn)
        loop_line = lines[w.lineno - first].strip()
        assert loop_line.startswith(("for ", "while ")) or " for " in loop_line, (w.lineno, loop_line)
        assert f"the loop at line {w.lineno} is not checkpointed (" in str(w.message)


@pytest.mark.parametrize("c", LOOPS, ids=[c.name for c in LOOPS])
def test_the_binomial_schedule_gives_the_stored_gradient_over_the_corpus(c):
    """checkpoint=2 (range loops keep at most 2 snapshots: most steps run several times) on every corpus function
    with a loop: the same gradient as stored."""
    args = c.make_args(np.random.default_rng(0))
    stored = srcgrad.grad(c.fn, wrt=tuple(c.wrt))(*args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", srcgrad.CheckpointWarning)
        binomial = srcgrad.grad(c.fn, wrt=tuple(c.wrt), checkpoint=2)(*args)
    for a, b in zip(stored, binomial):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)


def test_the_table_of_stored_loops_names_corpus_functions():
    assert set(STORED) | UNROLLED <= {c.name for c in LOOPS}
    assert len(LOOPS) - len(STORED) - len(UNROLLED) == 50  # the corpus functions that checkpoint a loop


def regrouped(x):
    acc = [x]
    s = 0.0
    for t in range(6):
        acc.append(np.sin(acc[-1]))
        s = s + np.sum(acc[-1])
        acc = [acc[-1] * 0.9]
    return s


def test_a_loop_left_storing_is_named_with_its_line_and_reason():
    """checkpoint=True never ignores a loop silently: the loop it cannot checkpoint (here one that appends to a
    list it then rebinds: a snapshot would hold a list the loop goes on changing) gets a CheckpointWarning at
    the user's file and line with the reason, and a comment in the generated code; the warning can be made an
    error. Without checkpoint=True there is neither."""
    x = np.array([0.9, 1.3])
    loop_line = inspect.getsourcelines(regrouped)[1] + 3
    clear_cache()
    with pytest.warns(srcgrad.CheckpointWarning) as caught:
        df = srcgrad.grad(regrouped, checkpoint=True)
        got = df(x)
    [w] = caught.list
    assert (w.filename, w.lineno) == (__file__, loop_line)
    assert str(w.message) == (
        f"regrouped: the loop at line {loop_line} is not checkpointed (it both rebinds and changes the list acc); "
        "every iteration's values are stored, as without checkpoint=True (the gradient is the same)"
    )
    source = df.source_for(x)
    at_loop = source.split(f"# line {loop_line}: for t in range(6):\n")[1].splitlines()[0]
    assert at_loop.strip() == (
        "# not checkpointed (it both rebinds and changes the list acc): every iteration's values are stored"
    )
    np.testing.assert_array_equal(got, srcgrad.grad(regrouped)(x))
    clear_cache()
    with warnings.catch_warnings():
        warnings.simplefilter("error", srcgrad.CheckpointWarning)
        with pytest.raises(srcgrad.CheckpointWarning, match=f"line {loop_line} is not checkpointed"):
            srcgrad.grad(regrouped, checkpoint=True)(x)
        plain = srcgrad.grad(regrouped)
        plain(x)  # no warning without checkpoint=True
    assert "checkpointed" not in plain.source_for(x)


HELPER = """import numpy as np


def rolled(h):
    acc = [h]
    s = 0.0
    for t in range(6):
        acc.append(np.sin(acc[-1]))
        s = s + np.sum(acc[-1])
        acc = [acc[-1] * 0.9]
    return s
"""


def test_a_loop_left_storing_in_a_function_of_another_file_is_named_by_the_calling_line(tmp_path, monkeypatch):
    """The compiler reads a function of another file into the caller at the line of the call: the warning names
    that line as the call of a function holding the loop (a loop in a function of the same file keeps its own
    line)."""
    (tmp_path / "checkpoint_helper_module.py").write_text(HELPER)
    monkeypatch.syspath_prepend(str(tmp_path))
    from checkpoint_helper_module import rolled

    def calls_rolled(x):
        y = np.sin(x)
        return rolled(y) * 2.0

    x = np.array([0.9, 1.3])
    call_line = inspect.getsourcelines(calls_rolled)[1] + 2
    clear_cache()
    with pytest.warns(srcgrad.CheckpointWarning) as caught:
        got = srcgrad.grad(calls_rolled, checkpoint=True)(x)
    [w] = caught.list
    assert (w.filename, w.lineno) == (__file__, call_line)
    assert str(w.message).startswith(
        f"calls_rolled: a loop in the function called at line {call_line} is not checkpointed (it both rebinds"
    )
    np.testing.assert_array_equal(got, srcgrad.grad(calls_rolled)(x))


def test_a_checkpointed_loop_says_so_in_the_generated_code():
    x = np.array([0.3, -0.7, 0.2])
    with warnings.catch_warnings():
        warnings.simplefilter("error", srcgrad.CheckpointWarning)
        source = srcgrad.grad(rnn_while, wrt=1, checkpoint=True).source_for(*_args(5, 3))
        assert "# checkpointed: snapshots before iterations 0, 1, 4, 9, ...; each stretch runs again" in source
        source = srcgrad.grad(concatenate_in_body, checkpoint=True).source_for(x)
        assert "# checkpointed: a snapshot every isqrt(T) + 1 iterations; each stretch runs again" in source


def loop_variable_reused(x):
    s = x
    for i in range(4):
        s = s * (i + 1.0) + np.sin(s)
    y = s * i
    for i in range(5):
        y = np.sin(y) * 1.1 + x
    return np.sum(y * s)


def test_a_loop_whose_variable_overwrites_a_value_still_needed_is_checkpointed():
    """The second loop's ``i`` overwrites the ``i`` that ``y = s * i``'s adjoint reads: saved before the loop and
    restored after its stretches have run again."""
    x = np.array([0.3, -0.4])
    df = srcgrad.grad(loop_variable_reused, checkpoint=True)
    source = df.source_for(x)
    assert source.count("snapshots") and source.count("# checkpointed:") == 2
    assert "push(i)" in source and "i = pop()" in source
    got = df(x)
    np.testing.assert_array_equal(got, srcgrad.grad(loop_variable_reused)(x))
    v = np.random.default_rng(5).normal(size=x.shape)
    eps = 1e-6
    f = loop_variable_reused
    numeric = (f(x + eps * v) - f(x - eps * v)) / (2 * eps)
    assert np.sum(got * v) == pytest.approx(numeric, rel=1e-6, abs=1e-8)


def carried_list(x):
    pair = [x, x * 2.0]
    for _ in range(11):
        pair = [pair[1], np.sin(pair[0]) * 0.9 + x]
    return np.sum(pair[0] * pair[1])


def stack_in_body(x):
    s = x
    for _ in range(7):
        s = np.stack([s[1], -s[0] * 0.9]) + 0.1 * s
    return np.sum(s**2)


def concatenate_in_body(x):
    s = x
    for _ in range(5):
        s = np.concatenate([s[1:], s[:1] * 0.8]) + 0.1 * np.sin(s)
    return np.sum(s**3)


def branch_loops(x):
    s = x
    if np.sum(x) > 0:
        for _ in range(9):
            s = np.sin(s) * 1.1 + x
    else:
        for _ in range(9):
            s = np.cos(s) + x * 0.5
    return np.sum(s**2)


@pytest.mark.parametrize(
    "f, x",
    [
        (carried_list, np.array([0.3, -0.7, 0.2])),
        (stack_in_body, np.array([0.3, -0.7])),
        (concatenate_in_body, np.array([0.3, -0.7, 0.2])),
        (branch_loops, np.array([0.3, 0.2])),
        (branch_loops, np.array([-0.3, 0.2])),
    ],
)
def test_loops_making_lists_or_inside_a_branch_are_checkpointed(f, x):
    """A list made afresh in each iteration (carried or not) is never written, so a snapshot may hold it; a loop
    inside a branch at the top level is checkpointed like one outside."""
    df = srcgrad.grad(f, checkpoint=True)
    assert "snapshots.append(" in df.source_for(x)
    got = df(x)
    np.testing.assert_array_equal(got, srcgrad.grad(f)(x))
    v = np.random.default_rng(3).normal(size=x.shape)
    eps = 1e-6
    numeric = (f(x + eps * v) - f(x - eps * v)) / (2 * eps)
    assert np.sum(got * v) == pytest.approx(numeric, rel=1e-6, abs=1e-8)


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


def list_made_in_the_loop_read_after_it(x, W):
    h = x
    for _ in range(6):
        parts = [np.tanh(W @ h), h * 0.5]
        h = parts[0] + parts[1]
    return np.sum(h**2) + np.sum(parts[1])


@pytest.mark.parametrize("checkpoint", [False, True])
def test_a_list_made_in_a_loop_and_read_after_it(checkpoint):
    """The list's cotangent, zeroed for the iteration before, has no items before the first one (``parts`` is
    ``None`` there: it was a TypeError in the adjoint, with or without checkpoint); against finite differences
    and dynamic mode."""
    rng = np.random.default_rng(0)
    x, W = rng.normal(size=3), rng.normal(size=(3, 3)) / 2
    got = srcgrad.grad(list_made_in_the_loop_read_after_it, checkpoint=checkpoint)(x, W)
    v = rng.normal(size=3)
    eps = 1e-6
    f = list_made_in_the_loop_read_after_it
    numeric = (f(x + eps * v, W) - f(x - eps * v, W)) / (2 * eps)
    assert np.sum(got * v) == pytest.approx(numeric, rel=1e-6, abs=1e-8)
    t = srcgrad.tensor(x, requires_grad=True)
    f(t, srcgrad.tensor(W)).backward()
    np.testing.assert_allclose(got, t.grad.numpy(), rtol=1e-12, atol=1e-14)


def list_appended_in_the_loop(x):
    h = x
    for _ in range(3):
        parts = []
        parts.append(np.tanh(h))
        parts.append(h * 0.5)
        h = parts[0] + parts[1]
    return np.sum(h) + np.sum(parts[1] * parts[0])


def list_made_in_a_while_loop(x):
    h = x
    k = 0
    while k < 3:
        parts = [np.tanh(h), h * 0.5]
        h = parts[0] + parts[1]
        k = k + 1
    return np.sum(h) + np.sum(parts[1])


@pytest.mark.parametrize("f", [list_appended_in_the_loop, list_made_in_a_while_loop])
@pytest.mark.parametrize("checkpoint", [False, True])
def test_lists_first_made_in_a_loop_appended_to_or_in_a_while_loop(f, checkpoint):
    x = np.array([0.3, -0.4, 0.8])
    got = srcgrad.grad(f, checkpoint=checkpoint)(x)
    v = np.array([0.7, 0.2, -0.5])
    eps = 1e-6
    numeric = (f(x + eps * v) - f(x - eps * v)) / (2 * eps)
    assert np.sum(got * v) == pytest.approx(numeric, rel=1e-6, abs=1e-8)
    t = srcgrad.tensor(x, requires_grad=True)
    f(t).backward()
    np.testing.assert_allclose(got, t.grad.numpy(), rtol=1e-12, atol=1e-14)


def rnn_while(h, W, U, xs):
    t = 0
    while t < xs.shape[0]:
        h = np.tanh(W @ h + U * xs[t])
        t = t + 1
    return np.sum(h)


def grow_until(x):
    s = x
    while np.sum(s**2) < 40.0:  # the trip count depends on the values
        s = s * 1.3 + np.cos(s) * 0.1
    return np.sum(s * x)


def while_with_continue(x):
    s = x
    i = 0
    while i < 17:
        i = i + 1
        if i % 3 == 0:
            continue
        s = np.sin(s) + x * 0.2
    return np.sum(s**2)


@pytest.mark.parametrize("f", [grow_until, while_with_continue])
def test_a_while_loop_is_checkpointed(f):
    x = np.array([0.3, -0.2, 0.5])
    df = srcgrad.grad(f, checkpoint=True)
    src = df.source_for(x)
    assert "snapshots.append(" in src and "while snapshots:" in src
    got = df(x)
    np.testing.assert_array_equal(got, srcgrad.grad(f)(x))
    v = np.random.default_rng(3).normal(size=x.shape)
    eps = 1e-6
    numeric = (f(x + eps * v) - f(x - eps * v)) / (2 * eps)
    assert np.sum(got * v) == pytest.approx(numeric, rel=1e-6, abs=1e-8)


def test_a_while_loop_keeps_about_sqrt_t_snapshots():
    """Snapshots before iterations 0, 1, 4, 9, ...: the trip count need not be known in advance."""
    stored = srcgrad.grad(rnn_while, wrt=(1, 2))
    checkpointed = srcgrad.grad(rnn_while, wrt=(1, 2), checkpoint=True)
    small, large = _args(400), _args(3600)
    for a, b in zip(checkpointed(*large), stored(*large)):
        np.testing.assert_array_equal(a, b)
    assert _peak(checkpointed, large) < 0.2 * _peak(stored, large)
    assert _peak(checkpointed, large) < 5 * _peak(checkpointed, small)


D_BRANCH_LOOPS = srcgrad.grad(branch_loops, checkpoint=True)
D_GROW_UNTIL = srcgrad.grad(grow_until, checkpoint=True)
V3 = np.array([0.1, 0.7, -0.3])


def along_checkpointed_for(x):
    return np.sum(D_BRANCH_LOOPS(x) * V3[:2])


def along_checkpointed_while(x):
    return np.sum(D_GROW_UNTIL(x) * V3)


@pytest.mark.parametrize(
    "h, x",
    [
        (along_checkpointed_for, np.array([0.3, 0.2])),
        (along_checkpointed_while, np.array([0.3, -0.2, 0.5])),
    ],
)
def test_a_checkpointed_gradient_is_differentiated_again(h, x):
    """A function calling a checkpointed gradient differentiates its stored form (the same gradient: snapshots
    are not differentiable code)."""
    got = srcgrad.grad(h)(x)
    w = np.random.default_rng(4).normal(size=x.shape)
    eps = 1e-6
    numeric = (h(x + eps * w) - h(x - eps * w)) / (2 * eps)
    assert np.sum(got * w) == pytest.approx(numeric, rel=1e-6, abs=1e-8)
