"""A list or tuple holding Tensors given to numpy, in both modes.

numpy converts such a list to an ndarray element by element (``np.array([x, y])``, and every numpy
function given ``[x, y]``: ``np.mean``'s dispatcher returns the list itself, and numpy does not look
inside it for ``__array_function__``), before any Tensor can record the operation. Dynamic mode
therefore refuses, at the user's line, with what to write instead; a silently lost graph (a zero or
missing gradient) would be a wrong gradient. The compiler reads the list in the source and
differentiates it (static mode); dynamic mode differentiates the ``np.stack`` form. Both are checked
against finite differences. (``import srcgrad.numpy as np`` takes such lists in dynamic mode too:
tests/test_srcgrad_numpy.py.)
"""

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import AutogradError


def array_of(x, y):
    return np.array([x, y])


def mean_of(x, y):
    return np.mean([x * y, y])


def r_of(x, y):
    return np.r_[x, y]


def sum_of_tuple(x, y):
    return np.sum((x, np.sin(y)))


def loss_list(x, y):
    return np.sum(np.array([x * y, np.sin(y), x]) ** 2) + np.mean([x, y * y])


def loss_stack(x, y):
    return np.sum(np.stack([x * y, np.sin(y), x]) ** 2) + np.mean(np.stack([x, y * y]))


@pytest.mark.parametrize("fn", [array_of, mean_of, r_of, sum_of_tuple], ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(), (3,)], ids=["0-d", "vector"])
def test_dynamic_refuses_at_the_users_line_and_says_what_to_write(fn, shape):
    x = srcgrad.tensor(np.full(shape, 0.5), requires_grad=True)
    y = srcgrad.tensor(np.full(shape, -1.25), requires_grad=True)
    with pytest.raises(AutogradError) as info:
        fn(x, y)
    message = str(info.value)
    assert f"{__file__}, line {fn.__code__.co_firstlineno + 1}" in message
    assert "np.stack([x, y])" in message and "silently drop it from the graph" in message
    assert "import srcgrad.numpy as np" in message


def test_tensors_that_do_not_require_grad_convert_as_arrays():
    x, y = srcgrad.tensor(0.5), srcgrad.tensor(-1.25)
    np.testing.assert_array_equal(array_of(x, y), [0.5, -1.25])
    assert mean_of(x, y) == pytest.approx((0.5 * -1.25 - 1.25) / 2)


def test_under_no_grad_the_list_converts():
    x = srcgrad.tensor(0.5, requires_grad=True)
    with srcgrad.no_grad():
        y = x * 2.0
    np.testing.assert_array_equal(array_of(y, y), [1.0, 1.0])


def _fd(f, x, y, eps=1e-6):
    return (
        (f(x + eps, y) - f(x - eps, y)) / (2 * eps),
        (f(x, y + eps) - f(x, y - eps)) / (2 * eps),
    )


@pytest.mark.parametrize("point", [(0.5, -1.25), (1.3, 0.4)])
def test_static_differentiates_the_list(point):
    x, y = point
    dx, dy = srcgrad.grad(loss_list, wrt=(0, 1))(x, y)
    fx, fy = _fd(loss_list, x, y)
    assert dx == pytest.approx(fx, rel=1e-6, abs=1e-8)
    assert dy == pytest.approx(fy, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("point", [(0.5, -1.25), (1.3, 0.4)])
def test_dynamic_differentiates_the_stack_form(point):
    x = srcgrad.tensor(point[0], requires_grad=True)
    y = srcgrad.tensor(point[1], requires_grad=True)
    loss_stack(x, y).backward()
    fx, fy = _fd(loss_list, *point)  # the same function, written with lists: plain numpy on floats
    assert x.grad.item() == pytest.approx(fx, rel=1e-6, abs=1e-8)
    assert y.grad.item() == pytest.approx(fy, rel=1e-6, abs=1e-8)
