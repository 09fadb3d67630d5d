"""The compiler on ``for`` loops over a generator: ``for W, b in unpack_layers(weights)``.

The generator (a function of the module or a closure, not one written inside the differentiated function) is
inlined, and the loop's body is read at each of its ``yield`` statements, in the loop's own scope; the loops of
the generator around its ``yield`` stay loops. Each form is checked against central finite differences and
against dynamic mode (the same code on Tensors, the generator run by Python). A loop body that would leave the
generator (``break``, ``continue``, ``return``), a generator read other than by a ``for`` loop, and a ``yield``
used as a value are refused at the user's line.
"""

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import TransformError

SHAPES = [(1, 3), (3, 3), (3, 1)]


def unpack_layers(weights):
    """HIPS autograd's bayesian_neural_net.py: the layers cut out of one row of weights per sample."""
    num_weight_sets = len(weights)
    for m, n in SHAPES:
        yield (
            weights[:, : m * n].reshape((num_weight_sets, m, n)),
            weights[:, m * n : m * n + n].reshape((num_weight_sets, 1, n)),
        )
        weights = weights[:, (m + 1) * n :]


def predictions(weights, inputs):
    inputs = np.expand_dims(inputs, 0)
    for W, b in unpack_layers(weights):
        outputs = np.einsum("mnd,mdo->mno", inputs, W) + b
        inputs = np.tanh(outputs)
    return np.sum(outputs**2)


def powers(x, n):
    value = x
    for _ in range(n):
        yield value
        value = value * x


def sum_of_powers(x):
    total = 0.0
    weight = 1.0
    for p in powers(x, 3):
        total = total + weight * np.sum(np.sin(p))
        weight = weight + 1.0
    return total


def counted(x):
    yield x
    yield 2.0 * x
    yield np.cos(x)


def loop_rebinding_the_argument(x):
    """The body rebinds the name the generator was given: the generator keeps the value it got (as in Python)."""
    total = 0.0
    for y in counted(x):
        x = x + 1.0
        total = total + np.sum(y * x)
    return total


def enumerated(x):
    total = 0.0
    for k, p in enumerate(powers(x, 3)):
        total = total + (k + 0.5) * np.sum(p)
    return total


def nested_generators(x):
    total = 0.0
    for a in counted(x):
        for b in powers(a, 2):
            total = total + np.sum(a * b)
    return total


N_WEIGHTS = sum((m + 1) * n for m, n in SHAPES)
CASES = [
    (predictions, (np.random.RandomState(0).randn(2, N_WEIGHTS), np.random.RandomState(1).randn(4, 1))),
    (sum_of_powers, (np.array([0.3, -0.8, 1.1]),)),
    (loop_rebinding_the_argument, (np.array([0.3, -0.8]),)),
    (nested_generators, (np.array([0.6, -0.4]),)),
    (enumerated, (np.array([0.6, -0.4]),)),
]


@pytest.mark.parametrize("optimize", [True, False])
@pytest.mark.parametrize("f, args", CASES, ids=[f.__name__ for f, _ in CASES])
def test_generator_loops_against_fd_and_dynamic_mode(f, args, optimize):
    got = srcgrad.grad(f, optimize=optimize)(*args)
    x = args[0]
    v = np.random.RandomState(4).randn(*x.shape)
    h = 1e-6
    expected = (f(x + h * v, *args[1:]) - f(x - h * v, *args[1:])) / (2 * h)
    assert np.sum(got * v) == pytest.approx(expected, rel=1e-6, abs=1e-8)
    t = srcgrad.tensor(x, requires_grad=True)
    f(t, *[srcgrad.tensor(a) for a in args[1:]]).backward()
    np.testing.assert_allclose(got, t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_the_generators_loop_stays_a_loop():
    source = srcgrad.grad(predictions).source_for(*CASES[0][1])
    assert "for m, n in SHAPES" in source and "range(len(SHAPES))" in source


def leaves_early(x):
    for p in powers(x, 3):
        if np.sum(p) > 1.0:
            break
    return np.sum(p)


def listed(x):
    return np.sum(list(powers(x, 2))[1])


def sent(x):
    total = yield x
    yield total


def reads_a_sent_value(x):
    for y in sent(x):
        pass
    return np.sum(y)


def line_of(f, text):
    import inspect

    lines, start = inspect.getsourcelines(f)
    return start + next(k for k, line in enumerate(lines) if text in line)


@pytest.mark.parametrize(
    "f, where, text, message",
    [
        (leaves_early, leaves_early, "for p in powers", "cannot use break, continue or return"),
        (listed, listed, "return np.sum(list(powers", "is a generator or coroutine"),
        (reads_a_sent_value, sent, "total = yield x", "a yield used as a value"),
    ],
    ids=["break", "not-a-loop", "yield-as-value"],
)
def test_refused_at_the_line(f, where, text, message):
    with pytest.raises(TransformError, match=message) as info:
        srcgrad.grad(f)(np.array([0.3, 0.4]))
    assert f"{__file__}, line {line_of(where, text)}" in str(info.value)


def test_second_order_through_a_generator_against_differences_of_the_gradient():
    x, v = np.array([0.3, -0.8, 1.1]), np.array([1.0, 0.5, -0.2])
    hv = srcgrad.hvp(sum_of_powers)(x, v)
    df = srcgrad.grad(sum_of_powers)
    h = 1e-5
    np.testing.assert_allclose(hv, (df(x + h * v) - df(x - h * v)) / (2 * h), rtol=1e-6, atol=1e-8)
    value, tangent = srcgrad.jvp(sum_of_powers)(x, v)
    assert tangent == pytest.approx(np.dot(df(x), v), rel=1e-10)
