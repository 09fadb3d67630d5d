"""Reductions with axes and keepdims."""

import numpy as np

from . import case


def column_sums_squared(x):
    return np.sum(np.sum(x, axis=0) ** 2)


def center_rows(x):
    c = x - np.mean(x, axis=1, keepdims=True)
    return np.sum(c ** 2)


def var_and_std(x):
    return np.sum(np.var(x, axis=0)) + np.std(x)


def row_products(x):
    return np.sum(np.prod(x, axis=1))


def row_max_squared(x):
    return np.sum(np.max(x, axis=1) ** 2)


def min_times_sum(x):
    return np.min(x) * np.sum(x)


def amax_keepdims(x):
    return np.sum(np.amax(x, axis=-1, keepdims=True) * x)


def cumulative(x):
    return np.sum(np.cumsum(x, axis=0) * np.cumprod(x, axis=1))


def row_norms(x):
    return np.sum(np.linalg.norm(x, axis=1))


def method_reductions(x):
    return x.sum() * x.mean() + (x ** 2).sum(axis=0).mean()


def stable_logsumexp(x):
    m = np.max(x, axis=1, keepdims=True)
    return np.sum(m + np.log(np.sum(np.exp(x - m), axis=1, keepdims=True)))


def mean_over_two_axes(x):
    return np.sum(np.mean(x, axis=(0, 2)) ** 2)


def normalized_weights(x):
    w = np.exp(x)
    w = w / np.sum(w)
    return np.sum(w * np.arange(x.shape[0]))


def std_over_batch_of_one(x):
    return np.sum(np.std(x, axis=0) + x ** 2)


def _grid(r, *shape):
    # distinct values, so max/min have no ties
    n = int(np.prod(shape))
    return (r.permutation(n) / n + r.uniform(0, 0.01, size=n)).reshape(shape) - 0.5


CASES = [
    case(column_sums_squared, lambda r: (r.normal(size=(3, 4)),)),
    case(center_rows, lambda r: (r.normal(size=(3, 4)),)),
    case(var_and_std, lambda r: (r.normal(size=(4, 3)),)),
    case(row_products, lambda r: (r.uniform(0.5, 1.5, size=(3, 4)),)),
    case(row_max_squared, lambda r: (_grid(r, 3, 4),)),
    case(min_times_sum, lambda r: (_grid(r, 5),)),
    case(amax_keepdims, lambda r: (_grid(r, 2, 4),)),
    case(cumulative, lambda r: (r.uniform(0.5, 1.5, size=(3, 3)),)),
    case(row_norms, lambda r: (r.normal(size=(3, 4)),)),
    case(method_reductions, lambda r: (r.normal(size=(3, 4)),)),
    case(stable_logsumexp, lambda r: (r.normal(size=(3, 4)),)),
    case(mean_over_two_axes, lambda r: (r.normal(size=(2, 3, 4)),)),
    case(normalized_weights, lambda r: (r.normal(size=5),)),
    case(std_over_batch_of_one, lambda r: (r.normal(size=(1, 3)),)),
]
