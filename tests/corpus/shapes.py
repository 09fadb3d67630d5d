"""Shape operations: reshape, transpose, concatenate, stack, split, flip, pad, tile."""

import numpy as np

from . import case


def reshape_transpose(x):
    y = x.reshape(3, 4).T
    return np.sum(y * np.arange(12.0).reshape(4, 3))


def concat_and_stack(x, y):
    z = np.concatenate([x, y], axis=0)
    s = np.stack([x, y])
    return np.sum(z ** 2) + np.sum(s[1] * s[0] ** 2)


def expand_squeeze(x):
    y = np.expand_dims(x, 0)
    return np.sum(np.squeeze(y, 0) ** 3)


def flip_roll(x):
    return np.sum(np.flip(x) * x + np.roll(x, 1) * x ** 2)


def tile_repeat(x):
    return np.sum(np.tile(x, 2) * np.repeat(x, 2))


def split_halves(x):
    a, b = np.split(x, 2)
    return np.sum(a * b ** 2)


def swapaxes_ravel(x):
    return np.sum(np.swapaxes(x, 0, 1).ravel() * np.linspace(0.0, 1.0, x.size))


def hstack_vstack(x, y):
    return np.sum(np.hstack([x, y]) ** 2) + np.sum(np.vstack([x, y]) ** 3)


def pad_edges(x):
    return np.sum(np.pad(x, 1) ** 2 * np.arange(x.size + 2))


def lower_upper(A):
    return np.sum(np.tril(A) ** 2) - np.sum(np.triu(A, 1) * A)


def moveaxis_weights(x):
    return np.sum(np.moveaxis(x, 0, -1) * np.array([1.0, 2.0]))


def broadcast_to_sum(x):
    return np.sum(np.broadcast_to(x, (3, 4)) ** 2 * np.arange(3.0)[:, None])


def transpose_axes(x):
    return np.sum(np.transpose(x, (2, 0, 1)).reshape(4, -1) ** 2 * np.arange(4.0)[:, None])


def diagonal_parts(A):
    return np.sum(np.diag(A) ** 2) + np.sum(np.diag(np.diagonal(A)) @ A)


CASES = [
    case(reshape_transpose, lambda r: (r.normal(size=12),)),
    case(concat_and_stack, lambda r: (r.normal(size=(2, 3)), r.normal(size=(2, 3))), wrt=(0, 1)),
    case(expand_squeeze, lambda r: (r.normal(size=4),)),
    case(flip_roll, lambda r: (r.normal(size=5),)),
    case(tile_repeat, lambda r: (r.normal(size=3),)),
    case(split_halves, lambda r: (r.normal(size=6),)),
    case(swapaxes_ravel, lambda r: (r.normal(size=(2, 3)),)),
    case(hstack_vstack, lambda r: (r.normal(size=(2, 3)), r.normal(size=(2, 3))), wrt=(0, 1)),
    case(pad_edges, lambda r: (r.normal(size=4),)),
    case(lower_upper, lambda r: (r.normal(size=(3, 3)),)),
    case(moveaxis_weights, lambda r: (r.normal(size=(2, 3)),)),
    case(broadcast_to_sum, lambda r: (r.normal(size=4),)),
    case(transpose_axes, lambda r: (r.normal(size=(2, 3, 4)),)),
    case(diagonal_parts, lambda r: (r.normal(size=(3, 3)),)),
]
