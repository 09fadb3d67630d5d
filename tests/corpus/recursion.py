"""Recursion: self and mutual recursion, divide and conquer, several differentiable arguments, nested helpers.

The compiler differentiates a recursive call by calling the callee's own
generated gradient (``grad``) or JVP (``jvp``) at run time.
"""

import numpy as np

from . import case


def _tree_sum_of_squares(x):
    if len(x) == 1:
        return x[0] * x[0]
    mid = len(x) // 2
    return _tree_sum_of_squares(x[:mid]) + _tree_sum_of_squares(x[mid:])


def divide_and_conquer(x):
    return _tree_sum_of_squares(np.sin(x))


def _even_depth(x, n):
    if n == 0:
        return x
    return np.sin(_odd_depth(x, n - 1))


def _odd_depth(x, n):
    return np.cos(_even_depth(x, n - 1)) * x


def mutual_recursion(x):
    return np.sum(_even_depth(x, 4))


def _horner(c, x, k):
    if k == len(c) - 1:
        return c[k]
    return c[k] + x * _horner(c, x, k + 1)


def horner_recursive(c, x):
    return np.sum(_horner(c, x, 0) ** 2)


def _smooth(x, depth, scale=1.0):
    if depth == 0:
        return x * scale
    inner = _smooth(x, depth - 1, scale=scale * 0.5)
    return np.tanh(inner) + scale * x


def recursive_keyword(x, s):
    return np.sum(_smooth(x, 3, scale=s))


def _chain(x, n):
    if n == 0:
        return x
    y = _chain(x, n - 1)
    return y - 0.1 * y ** 3


def recursive_in_loop(x):
    total = 0.0
    for k in range(3):
        total = total + np.sum(_chain(x, k) * x)
    return total


def _scaled_power(x, n):
    if n == 0:
        return 1.0
    return x * _scaled_power(x, n - 1)


def recursive_on_scalars(a, b):
    return _scaled_power(a, 3) * b + _scaled_power(b, 2)


def _blend(a, b, n):
    if n == 0:
        return a * b
    return _blend(np.sin(a) + b, a * b, n - 1)


def recursion_of_two_arrays(x):
    return np.sum(_blend(x, np.cos(x), 3))


def _fold_rows(m):
    if m.shape[0] == 1:
        return m[0]
    return np.tanh(m[0]) * _fold_rows(m[1:]) + m[0]


def fold_rows(m):
    return np.sum(_fold_rows(m) ** 2)


def nested_recursion_closing_over(x, w):
    def depth_sum(h, n):
        if n == 0:
            return h
        return depth_sum(np.tanh(h * w) + h, n - 1)

    return np.sum(depth_sum(x, 3) ** 2)


def recursive_lambda(x):
    rate = 0.5
    decay = lambda t, n: t if n == 0 else np.sin(decay(t, n - 1)) * rate + t  # noqa: E731
    return np.sum(decay(x, 3))


def _smooth_twice(x, s):
    def blur(y, n):
        if n == 0:
            return y * s
        return blur(0.5 * (y + np.roll(y, 1)) * s, n - 1)

    return blur(x, 2)


def nested_recursion_in_helper(x, s):
    return np.sum(_smooth_twice(x, s) * _smooth_twice(np.cos(x), s * s))


def nested_recursion_in_loop(x):
    total = 0.0
    for k in range(3):
        shift = x * (k + 1.0)

        def climb(n):
            if n == 0:
                return shift
            return np.cos(climb(n - 1)) + shift

        total = total + np.sum(climb(k))
    return total


CASES = [
    case(divide_and_conquer, lambda r: (r.normal(size=5),)),
    case(mutual_recursion, lambda r: (r.normal(size=3),)),
    case(horner_recursive, lambda r: (r.normal(size=4), r.normal(size=3)), wrt=(0, 1)),
    case(recursive_keyword, lambda r: (r.normal(size=3), float(r.uniform(0.5, 1.5))), wrt=(0, 1)),
    case(recursive_in_loop, lambda r: (r.normal(size=3),)),
    case(recursion_of_two_arrays, lambda r: (r.normal(size=3),)),
    case(fold_rows, lambda r: (r.normal(size=(4, 3)),)),
    case(nested_recursion_closing_over, lambda r: (r.normal(size=3), r.normal(size=3)), wrt=(0, 1)),
    case(recursive_lambda, lambda r: (r.normal(size=4),)),
    case(nested_recursion_in_helper, lambda r: (r.normal(size=4), float(r.uniform(0.5, 1.5))), wrt=(0, 1)),
    case(nested_recursion_in_loop, lambda r: (r.normal(size=3),)),
    case(recursive_on_scalars, lambda r: (float(r.normal()), float(r.normal())), wrt=(0, 1)),
]
