"""The compiler on a call whose arguments are only constants and spread shapes: ``rs.randn(*mean.shape)``.

Such a call's value is a function of integers, so it has no derivative whatever the function is: the generated
code makes the call as written (HIPS autograd's variational autoencoder samples its noise this way). Checked
against central finite differences (the random draws replayed from one seed) and against dynamic mode; a spread
shape given to a method of a local value (which may carry a derivative) is still refused at the user's line.
"""

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import TransformError

RS = np.random.RandomState(0)


def sample_diag_gaussian(mean, log_std, rs):
    return rs.randn(*mean.shape) * np.exp(log_std) + mean


def objective(params, log_std):
    mean = params[:, :2] * 2.0
    return np.sum(sample_diag_gaussian(mean, log_std, RS) ** 2) + np.sum(np.zeros(np.shape(mean)) + params[:, 2:])


def noise_of_shape(x):
    return np.sum(x * RS.standard_normal(*np.shape(x)[:1]))


def at_seed(f, *args):
    RS.seed(0)
    return f(*args)


P = np.random.RandomState(1).randn(3, 4)
S = np.full((3, 2), 0.1)


@pytest.mark.parametrize("wrt", [0, 1])
def test_sampling_with_a_spread_shape_against_fd_and_dynamic_mode(wrt):
    got = at_seed(srcgrad.grad(objective, wrt=wrt), P, S)
    args = [P, S]
    v = np.random.RandomState(2).randn(*args[wrt].shape)
    h = 1e-6
    plus, minus = list(args), list(args)
    plus[wrt], minus[wrt] = args[wrt] + h * v, args[wrt] - h * v
    expected = (at_seed(objective, *plus) - at_seed(objective, *minus)) / (2 * h)
    assert np.sum(got * v) == pytest.approx(expected, rel=1e-6)
    tensors = [srcgrad.tensor(a, requires_grad=True) for a in args]
    at_seed(objective, *tensors).backward()
    np.testing.assert_allclose(got, tensors[wrt].grad.numpy(), rtol=1e-10)


def test_the_call_is_written_as_it_is():
    source = srcgrad.grad(objective).source_for(P, S)
    assert "RS.randn(*" in source and ".shape)" in source


def test_a_spread_sliced_shape_inside_np_shape():
    got = at_seed(srcgrad.grad(noise_of_shape), P[:, 0])
    RS.seed(0)
    np.testing.assert_allclose(got, RS.standard_normal(3), rtol=1e-12)


def reshaped_like(x, y):
    return np.sum(x.reshape(*y.shape) * y)


def test_a_spread_shape_given_to_a_method_of_a_local_value_is_refused_at_the_line():
    with pytest.raises(TransformError, match=r"\*y.shape in a call") as info:
        srcgrad.grad(reshaped_like)(np.ones(6), np.ones((2, 3)))
    assert f"{__file__}, line {reshaped_like.__code__.co_firstlineno + 1}" in str(info.value)
