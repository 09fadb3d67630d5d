"""Non-differentiable pieces inside differentiable code: argmax, floor, shapes, masks, signs."""

import numpy as np

from . import case


def argmax_pick(x):
    i = np.argmax(x)
    return x[i] ** 2 + np.sum(x)


def floor_steps(x):
    return np.sum(np.floor(x * 2.0) * x)


def shape_normalization(x):
    n = x.shape[0]
    return np.sum(x) / n + len(x) * np.mean(x) + x.size


def float_mask(x):
    m = (x > 0).astype(float)
    return np.sum(m * x ** 2)


def sign_times_square(x):
    return np.sum(np.sign(x) * x ** 2)


def round_as_constant(x):
    return np.sum(x * np.round(x))


def count_positive(x):
    k = np.count_nonzero(x > 0)
    return np.sum(x) * k


def argmin_distance(x, centers):
    d = (x - centers) ** 2
    j = np.argmin(d)
    return d[j] + 0.1 * np.sum(d)


def comparison_weights(x, y):
    w = np.where(x > y, 1.0, 0.25)
    return np.sum(w * (x - y) ** 2)


def _distinct(r, n):
    return r.permutation(n) / n + r.uniform(0.01, 0.02, size=n) - 0.3



def only_through_argmax(x, y):
    i = np.argmax(x)
    return y[i] * 3.0


def floor_division_parts(x):
    q = x // 0.3
    r = x - q * 0.3
    return np.sum(r ** 2 + q * x)


CASES = [
    case(argmax_pick, lambda r: (_distinct(r, 5),)),
    case(floor_steps, lambda r: (np.array([0.1, 0.7, -0.4, 1.3]),)),
    case(shape_normalization, lambda r: (r.normal(size=4),)),
    case(float_mask, lambda r: (_distinct(r, 5),)),
    case(sign_times_square, lambda r: (_distinct(r, 5),)),
    case(round_as_constant, lambda r: (np.array([0.2, 1.3, -0.8, 2.1]),)),
    case(count_positive, lambda r: (_distinct(r, 5),)),
    case(argmin_distance, lambda r: (r.normal(size=4), r.normal(size=4)), wrt=(0, 1)),
    case(comparison_weights, lambda r: (r.normal(size=4), r.normal(size=4)), wrt=(0, 1)),
    case(only_through_argmax, lambda r: (_distinct(r, 4), r.normal(size=4)), wrt=(0, 1)),
    case(floor_division_parts, lambda r: (np.array([0.1, 0.45, 1.0]),)),
]
