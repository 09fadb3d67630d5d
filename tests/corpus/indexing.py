"""Indexing: slices, negative indices, fancy indices, masks, take, sort."""

import numpy as np

from . import case


def neighbours(x):
    return np.sum(x[1:-1] * x[:-2]) + x[0] * x[-1]


def strided(x):
    return np.sum(x[::2] ** 2 - x[1::2])


def slices_2d(A):
    return np.sum(A[1:, :2] * A[:-1, 1:])


def fancy_with_repeats(x, idx):
    return np.sum(x[idx] ** 2)


def boolean_mask(x):
    return np.sum(x[x > 0.0] ** 2)


def take_weighted(x, idx):
    return np.sum(np.take(x, idx) * np.arange(len(idx)))


def row_col_pairs(A, rows, cols):
    return np.sum(A[rows, cols] ** 2)


def newaxis_ellipsis(A):
    return np.sum(A[..., 0] * A[:, None, 1])


def along_axis(x, idx):
    return np.sum(np.take_along_axis(x, idx, axis=1) ** 2)


def top_three(x):
    s = np.sort(x)
    return np.sum(s[-3:])


def sorted_weights(x):
    return np.sum(x[np.argsort(x)] * np.arange(x.shape[0]))


def integer_scalar_index(A):
    return A[1, 2] * A[0, 0] + A[-1][-1]


def column_of_matrix(A):
    col = A[:, 1]
    row = A[2]
    return np.sum(col * row)


def mask_assign_free(x):
    m = x < 0.5
    return np.sum(np.where(m, x, 0.0) ** 2) + np.sum(x[~m])


def _distinct(r, n):
    return r.permutation(n) / n + r.uniform(0, 0.01, size=n) - 0.3


CASES = [
    case(neighbours, lambda r: (r.normal(size=6),)),
    case(strided, lambda r: (r.normal(size=8),)),
    case(slices_2d, lambda r: (r.normal(size=(3, 3)),)),
    case(fancy_with_repeats, lambda r: (r.normal(size=5), np.array([0, 2, 2, 4, 1, 2]))),
    case(boolean_mask, lambda r: (_distinct(r, 7),)),
    case(take_weighted, lambda r: (r.normal(size=5), np.array([4, 0, 0, 3]))),
    case(row_col_pairs, lambda r: (r.normal(size=(3, 4)), np.array([0, 2, 2]), np.array([1, 3, 3])), wrt=0),
    case(newaxis_ellipsis, lambda r: (r.normal(size=(3, 2)),)),
    case(along_axis, lambda r: (r.normal(size=(2, 4)), np.array([[0, 3], [1, 1]]))),
    case(top_three, lambda r: (_distinct(r, 6),)),
    case(sorted_weights, lambda r: (_distinct(r, 5),)),
    case(integer_scalar_index, lambda r: (r.normal(size=(3, 4)),)),
    case(column_of_matrix, lambda r: (r.normal(size=(3, 3)),)),
    case(mask_assign_free, lambda r: (_distinct(r, 6),)),
]
