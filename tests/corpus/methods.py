"""ndarray methods, written as a numpy user writes them.

The same function runs on ndarrays (static mode) and on Tensors (dynamic
mode), so a Tensor method whose name PyTorch also has must keep numpy's
meaning or refuse. The first cases spell their arguments the way only numpy
reads them, or call methods both libraries read alike: every mode must agree.
The last ones are ambiguous (``x.std()`` divides by n in numpy and by n - 1
in PyTorch): the tape refuses them (``AMBIGUOUS_METHOD``), and
tests/test_modes_agree.py runs them again under
``set_method_meanings("numpy")``, where they must match finite differences.
"""

import numpy as np

from . import AMBIGUOUS_METHOD, METHOD_NOT_COMPILED, SORT_IN_PLACE, Bug, case

W = np.linspace(-1.0, 1.0, 6).reshape(2, 3)


def std_var_with_ddof(x):
    return np.sum(x.std(axis=0, ddof=0)) + x.var(ddof=1)


def sum_mean_prod_axis(x):
    return np.sum(x.sum(axis=0) ** 2) + np.sum(x.mean(axis=1, keepdims=True) * x) + x.prod()


def max_min_over_everything(x):
    return x.max() - 2.0 * x.min() + x.max(keepdims=True)[0, 0]


def max_over_several_axes(x):
    return np.sum(x.max(axis=(0, 1)) * x[0])


def transpose_forms(x):
    return np.sum(x.transpose() * W.T) + np.sum(x.transpose(1, 0) ** 2) + np.sum(x.T * x.swapaxes(0, 1))


def transpose_permutation(x):
    y = x.reshape(1, 2, 3)
    return np.sum(y.transpose(2, 0, 1) * W.T.reshape(3, 1, 2)) + np.sum(y.transpose((1, 2, 0)) ** 3)


def repeat_along_axis(x):
    return np.sum(x.repeat(2, axis=0) ** 2 * np.arange(12).reshape(4, 3))


def repeat_each_element_of_a_matrix(x):
    return np.sum(x.repeat(2) * np.arange(12))


def flatten_and_size(x):
    return np.sum(x.flatten() * np.arange(x.size)) + x.ravel()[1] * x.size


def cumulative_flattened(x):
    return np.sum(x.cumsum() * x.cumprod() ** 2)


def clip_and_round(x):
    return np.sum(x.clip(-0.5, 0.5) ** 2) + np.sum(x.round(1) * x)


def std_times_var(x):
    return x.std() * x.var()


def var_along_axis(x):
    return np.sum(x.var(axis=0) * W[0])


def max_along_axis(x):
    return np.sum(x.max(0) * W[0]) + np.sum(x.min(axis=1) * W[:, 0])


def transpose_identity(x):
    return np.sum(x.transpose(0, 1) * W)


def repeat_each_element_of_a_vector(x):
    v = x[0]
    return np.sum(v.repeat(2) * np.arange(6))


def sort_in_place(x):
    y = x * 1.0
    y.sort()
    return np.sum(y * W)


def nonzero_indices(x):
    return np.sum(x[(x > 0).nonzero()] ** 2)



def _matrix(r):
    return (r.normal(size=(2, 3)),)


CASES = [
    case(std_var_with_ddof, _matrix),
    case(sum_mean_prod_axis, _matrix),
    case(max_min_over_everything, _matrix),
    case(max_over_several_axes, _matrix),
    case(transpose_forms, _matrix),
    case(transpose_permutation, _matrix),
    case(repeat_along_axis, _matrix, static=METHOD_NOT_COMPILED, forward=METHOD_NOT_COMPILED),
    case(repeat_each_element_of_a_matrix, _matrix, static=METHOD_NOT_COMPILED, forward=METHOD_NOT_COMPILED),
    case(flatten_and_size, _matrix),
    case(cumulative_flattened, _matrix),
    case(clip_and_round, _matrix),
    case(std_times_var, _matrix, dynamic=AMBIGUOUS_METHOD),
    case(var_along_axis, _matrix, dynamic=AMBIGUOUS_METHOD),
    case(max_along_axis, _matrix, dynamic=AMBIGUOUS_METHOD),
    case(transpose_identity, _matrix, dynamic=AMBIGUOUS_METHOD),
    case(repeat_each_element_of_a_vector, _matrix, dynamic=AMBIGUOUS_METHOD, static=METHOD_NOT_COMPILED,
         forward=METHOD_NOT_COMPILED),
    case(sort_in_place, _matrix, dynamic=AMBIGUOUS_METHOD, static=SORT_IN_PLACE, forward=SORT_IN_PLACE),
    case(nonzero_indices, _matrix, dynamic=AMBIGUOUS_METHOD),
]
