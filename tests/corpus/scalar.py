"""Scalar arithmetic on Python floats: operators, ``math`` and numpy scalar functions."""

import math

import numpy as np

from . import INPLACE_ON_LEAF, MATH_ON_TENSOR, case


def cubic(x):
    return 3.0 * x ** 3 - 2.0 * x ** 2 + x - 5.0


def rational(x, y):
    return (x * y + 1.0) / (x * x + y * y + 1.0)


def math_trig(x):
    return math.sin(x) * math.cos(2.0 * x) + math.tan(x / 4.0)


def math_exp_log(x):
    return math.exp(-x * x) + math.log(1.0 + x * x)


def math_sqrt_hypot(x, y):
    return math.sqrt(x * x + y * y) + math.hypot(x, 2.0)


def numpy_on_floats(x):
    return np.tanh(x) + np.arctan(x) * np.exp(0.1 * x)


def powers(x, y):
    return x ** y + y ** 2.5 - 1.0 / x ** 2


def negate_abs(x):
    return -abs(x) * 2.0 + x * x


def logistic(x):
    return 1.0 / (1.0 + math.exp(-x))


def augmented_ops(x):
    y = x
    y *= x
    y += 1.0
    y /= 2.0
    y -= x
    y **= 2
    return y


def alias_then_augment(x):
    s = x * 2.0
    parts = [s, 2.0]
    parts[0] += 1.0  # a float: rebinds parts[0], s stays 2x (a 0-d Tensor must behave the same)
    t = s
    t *= 3.0
    return s * parts[0] + t


def atan2_angle(x, y):
    return math.atan2(y, x) * math.cos(x)


def with_constants(x):
    a = 2.0
    b = a * 3.0
    c = b - a / 4.0
    return b * x * x + c * x + a


def erf_gauss(x):
    return math.erf(x) + math.erfc(x / 2.0) + math.log1p(x * x)


def two_use_chain(x, y):
    u = x * y
    v = u + x
    w = v * u - y
    return w * w


def math_times_numpy(x):
    return math.exp(-x) * np.sin(x)


def _pos(r):
    return float(r.uniform(0.5, 2.0))


def _num(r):
    return float(r.normal())


CASES = [
    case(cubic, lambda r: (_num(r),)),
    case(rational, lambda r: (_num(r), _num(r)), wrt=(0, 1)),
    case(math_trig, lambda r: (float(r.uniform(-1, 1)),), dynamic=MATH_ON_TENSOR),
    case(math_exp_log, lambda r: (_num(r),), dynamic=MATH_ON_TENSOR),
    case(math_sqrt_hypot, lambda r: (_num(r), _num(r)), wrt=(0, 1), dynamic=MATH_ON_TENSOR),
    case(numpy_on_floats, lambda r: (_num(r),)),
    case(powers, lambda r: (_pos(r), _pos(r)), wrt=(0, 1)),
    case(negate_abs, lambda r: (float(r.uniform(0.5, 2.0) * r.choice([-1, 1])),)),
    case(logistic, lambda r: (_num(r),), dynamic=MATH_ON_TENSOR),
    case(augmented_ops, lambda r: (_num(r),), dynamic=INPLACE_ON_LEAF),
    case(alias_then_augment, lambda r: (_num(r),)),
    case(atan2_angle, lambda r: (_pos(r), _num(r)), wrt=(0, 1), dynamic=MATH_ON_TENSOR),
    case(with_constants, lambda r: (_num(r),)),
    case(erf_gauss, lambda r: (_num(r),), dynamic=MATH_ON_TENSOR),
    case(math_times_numpy, lambda r: (_num(r),), dynamic=MATH_ON_TENSOR),
    case(two_use_chain, lambda r: (_num(r), _num(r)), wrt=(0, 1)),
]
