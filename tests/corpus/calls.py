"""Calls: helpers, keyword arguments, defaults, closures, lambdas, recursion, methods, globals."""

import numpy as np

from . import LOCAL_DEFAULT, case

WEIGHTS = np.array([0.5, -1.0, 2.0])
SCALE = 1.5


def _square_plus(x, c=1.0):
    return x * x + c


def helper_with_default(x):
    return np.sum(_square_plus(x) * _square_plus(x, c=2.0))


def _affine(x, scale=1.0, shift=0.0):
    return scale * x + shift


def keyword_arguments(x):
    return np.sum(np.tanh(_affine(x, shift=-1.0, scale=3.0)) + _affine(x))


def inner_function(x):
    k = 2.0

    def inner(y):
        return np.sin(k * y)

    return np.sum(inner(x) * inner(x + 1.0))


def make_scaled_loss(a, target):
    def scaled_loss(x):
        return np.sum((a * x - target) ** 2)

    return scaled_loss


closure_loss = make_scaled_loss(1.7, np.array([1.0, -2.0, 0.5]))


def _power(x, n):
    if n == 0:
        return 1.0
    return x * _power(x, n - 1)


def recursive_power(x):
    return np.sum(_power(x, 4) + _power(x, 2))


def _c(x):
    return np.exp(-x)


def _b(x):
    return _c(x) * x


def _a(x):
    return _b(x) + _b(2.0 * x)


def helper_chain(x):
    return np.sum(_a(x))


def local_lambda(x):
    f = lambda t: t ** 2 + 1.0
    return np.sum(f(x) * f(2.0 * x))


def default_parameter(x, scale=2.0):
    return np.sum(np.sin(scale * x))


def array_methods(x, y):
    return x.dot(y) + x.reshape(2, 2).T.sum() * y.mean() + (x * y).max()


def _moments(x):
    m = np.mean(x)
    return m, np.mean((x - m) ** 2)


def tuple_returning_helper(x):
    m, v = _moments(x)
    return m * v + v ** 2


def global_weights(x):
    return SCALE * np.sum(WEIGHTS * x ** 2)


def numpy_namespace_alias(x):
    from_np = np.add(np.multiply(x, x), np.negative(x))
    return np.sum(np.true_divide(from_np, 2.0))



def _scaled(x, *, c=1.5, shift=0.0):
    return np.sin(x) * c + shift


def keyword_only_helper(x):
    return np.sum(_scaled(x) * _scaled(x, shift=1.0, c=-2.0))


def closures_in_loop(x):
    total = 0.0
    for k in range(3):
        def g(t, k=k):
            return np.sin(k * t)
        total = total + np.sum(g(x))
    return total


CASES = [
    case(helper_with_default, lambda r: (r.normal(size=3),)),
    case(keyword_arguments, lambda r: (r.normal(size=3),)),
    case(inner_function, lambda r: (r.normal(size=3),)),
    case(closure_loss, lambda r: (r.normal(size=3),)),
    case(recursive_power, lambda r: (r.normal(size=3),)),
    case(helper_chain, lambda r: (r.normal(size=3),)),
    case(local_lambda, lambda r: (r.normal(size=3),)),
    case(default_parameter, lambda r: (r.normal(size=3),)),
    case(array_methods, lambda r: (r.normal(size=4), r.uniform(0, 1, size=4) + np.arange(4.0)), wrt=(0, 1)),
    case(tuple_returning_helper, lambda r: (r.normal(size=5),)),
    case(global_weights, lambda r: (r.normal(size=3),)),
    case(numpy_namespace_alias, lambda r: (r.normal(size=3),)),
    case(keyword_only_helper, lambda r: (r.normal(size=3),)),
    case(closures_in_loop, lambda r: (r.normal(size=3),), static=LOCAL_DEFAULT, forward=LOCAL_DEFAULT),
]
