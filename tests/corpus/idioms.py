"""Everyday Python around the numerics: docstrings, annotations, asserts, prints, builtins, idioms."""

import numpy as np

from . import case


def with_docstring_and_annotations(x: np.ndarray, scale: float = 2.0) -> float:
    """Scaled squared norm.

    Args:
        x: the input.
        scale: a factor.
    """
    return scale * np.sum(x ** 2)


def with_assert(x):
    assert x.ndim == 1, "x must be a vector"
    return np.sum(np.sin(x) * x)


def with_print(x):
    y = np.tanh(x)
    if False:
        print("debug:", y)
    return np.sum(y ** 2)


def for_else(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] > 5.0:
            break
        s = s + x[i] ** 2
    else:
        s = s * 2.0
    return s


def chained_comparison(x):
    if 0.0 < x < 1.0:
        return x * x
    return 2.0 * x - 1.0


def multiple_assignment(x):
    a = b = x * 2.0
    a = a + 1.0
    return np.sum(a * b)


def reverse_range(x):
    acc = 0.0
    for i in range(len(x) - 1, -1, -1):
        acc = acc * 0.5 + x[i]
    return acc


def builtin_max_min_abs(x, y):
    return max(x, y) * min(x, y) + abs(x - y)


def generator_sum(x):
    return sum(x[i] * x[i + 1] for i in range(len(x) - 1))


def keyword_only_parameter(x, *, power=3):
    return np.sum(x ** power)


def newaxis_outer(x):
    return np.sum(np.tanh(x[:, np.newaxis] - x[np.newaxis, :]) ** 2)


def swap_in_loop(x, y):
    a, b = x, y
    for _ in range(3):
        a, b = b, a * 0.5 + b
    return np.sum(a * b)


def integer_arithmetic_on_shapes(x):
    half = x.shape[0] // 2
    n = float(len(x))
    return np.sum(x[:half]) / n + np.sum(x[half:] ** 2) / (n - half)


def while_with_early_return(x):
    k = 0
    while True:
        x = x * 0.5
        k += 1
        if k >= 3:
            return np.sum(x ** 2)


CASES = [
    case(with_docstring_and_annotations, lambda r: (r.normal(size=3),)),
    case(with_assert, lambda r: (r.normal(size=3),)),
    case(with_print, lambda r: (r.normal(size=3),)),
    case(for_else, lambda r: (r.normal(size=4),)),
    case(chained_comparison, lambda r: (0.4,)),
    case(multiple_assignment, lambda r: (r.normal(size=3),)),
    case(reverse_range, lambda r: (r.normal(size=4),)),
    case(builtin_max_min_abs, lambda r: (0.3, -1.2), wrt=(0, 1)),
    case(generator_sum, lambda r: (r.normal(size=4),)),
    case(keyword_only_parameter, lambda r: (r.normal(size=3),)),
    case(newaxis_outer, lambda r: (r.normal(size=3),)),
    case(swap_in_loop, lambda r: (r.normal(size=2), r.normal(size=2)), wrt=(0, 1)),
    case(integer_arithmetic_on_shapes, lambda r: (r.normal(size=5),)),
    case(while_with_early_return, lambda r: (r.normal(size=3),)),
]
