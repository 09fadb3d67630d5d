"""Elementwise numpy on arrays, with broadcasting."""

import numpy as np

from . import case


def affine_sin(x, w, b):
    return np.sum(np.sin(x * w + b))


def scalar_times_array(a, x):
    return np.sum((a * x - 1.0) ** 2)


def softplus_manual(x):
    return np.sum(np.log(1.0 + np.exp(x)) - 0.5 * x)


def ratio(x, y):
    return np.mean(x / (1.0 + y ** 2))


def where_piecewise(x):
    return np.sum(np.where(x > 0, x ** 2, -3.0 * x))


def maximum_product(x, y):
    return np.sum(np.maximum(x, y) * x + np.minimum(x, 0.5 * y))


def clip_saturate(x):
    return np.sum(np.clip(x, -0.5, 0.5) * x)


def hyperbolic(x):
    return np.sum(np.sinh(x) * np.cosh(x) - np.tanh(x) ** 2 + np.arctan(x))


def power_broadcast(x, p):
    return np.sum(x ** p)


def reciprocal_mix(x):
    return np.sum(-x + 1.0 / x + np.reciprocal(x + 3.0))


def hypot_atan2(x, y):
    return np.sum(np.hypot(x, y) + np.arctan2(y, x))


def logaddexp_pairs(x, y):
    return np.sum(np.logaddexp(x, y))


def abs_times_square(x):
    return np.sum(np.abs(x) * np.square(x))


def expm1_log1p(x):
    return np.sum(np.expm1(x) * np.log1p(x ** 2))


def outer_by_broadcast(u, v):
    return np.sum(u[:, None] * v[None, :] - np.tanh(u)[:, None])


def column_scale(X, s):
    Y = X / s
    return np.sum(Y * Y) + np.sum(np.sqrt(s))


def operators_mix(x, y):
    z = (x + y) * (x - y) / (1.0 + x * x) - -y
    return (z ** 2).sum()


def log_variants(x):
    return np.sum(np.log2(x) + np.log10(x) + np.exp2(x) + np.cbrt(x))


def _pos(r, *shape):
    return r.uniform(0.5, 2.0, size=shape)


def _away(r, *shape):
    return r.uniform(0.3, 1.5, size=shape) * r.choice([-1.0, 1.0], size=shape)



def safe_log_where(x):
    safe = np.where(x > 0, x, 1.0)
    return np.sum(np.where(x > 0, np.log(safe), 0.0))


def negative_and_fractional_powers(x):
    return np.sum(x ** -2 + x ** 0.5)


CASES = [
    case(affine_sin, lambda r: (r.normal(size=(4, 3)), r.normal(size=3), r.normal(size=(4, 1))), wrt=(0, 1, 2)),
    case(scalar_times_array, lambda r: (float(r.normal()), r.normal(size=5)), wrt=(0, 1)),
    case(softplus_manual, lambda r: (r.normal(size=(2, 3)),)),
    case(ratio, lambda r: (r.normal(size=(3, 4)), r.normal(size=4)), wrt=(0, 1)),
    case(where_piecewise, lambda r: (_away(r, 6),)),
    case(maximum_product, lambda r: (r.normal(size=5), r.normal(size=5)), wrt=(0, 1)),
    case(clip_saturate, lambda r: (np.array([-1.2, -0.3, 0.1, 0.4, 0.9, 2.0]),)),
    case(hyperbolic, lambda r: (r.normal(size=(2, 3)),)),
    case(power_broadcast, lambda r: (_pos(r, 3, 4), r.normal(size=4)), wrt=(0, 1)),
    case(reciprocal_mix, lambda r: (_pos(r, 5),)),
    case(hypot_atan2, lambda r: (_pos(r, 4), r.normal(size=4)), wrt=(0, 1)),
    case(logaddexp_pairs, lambda r: (r.normal(size=(2, 3)), r.normal(size=3)), wrt=(0, 1)),
    case(abs_times_square, lambda r: (_away(r, 5),)),
    case(expm1_log1p, lambda r: (r.normal(size=4),)),
    case(outer_by_broadcast, lambda r: (r.normal(size=3), r.normal(size=4)), wrt=(0, 1)),
    case(column_scale, lambda r: (r.normal(size=(3, 2)), _pos(r, 2)), wrt=(0, 1)),
    case(operators_mix, lambda r: (r.normal(size=4), r.normal(size=4)), wrt=(0, 1)),
    case(log_variants, lambda r: (_pos(r, 4),)),
    case(safe_log_where, lambda r: (np.array([0.5, -0.3, 2.0]),)),
    case(negative_and_fractional_powers, lambda r: (_pos(r, 3),)),
]
