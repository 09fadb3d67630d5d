"""Control flow: if/elif/else, for, while, break, continue, early return, data-dependent trip counts."""

import numpy as np

from . import case


def sign_branch(x):
    if x > 0:
        return x ** 2
    else:
        return -3.0 * x


def three_regimes(x):
    if x < -1.0:
        y = -x
    elif x < 1.0:
        y = 0.5 * x * x + 0.5
    else:
        y = x * x * x
    return y * 2.0


def branch_on_array_sum(x):
    if np.sum(x) > 0:
        y = np.sin(x)
    else:
        y = np.cos(x)
    return np.sum(y * x)


def for_range_accumulate(x):
    s = 0.0
    for i in range(5):
        s = s + np.sin(x * i)
    return np.sum(s)


def for_over_rows(A):
    total = 0.0
    for row in A:
        total = total + np.sum(row ** 2) * np.max(row)
    return total


def while_halving(x):
    y = x
    steps = 0
    while y > 0.1:
        y = y * 0.5 + 0.01 * np.sin(y)
        steps += 1
    return y * steps


def for_with_break(x):
    s = 0.0
    term = 1.0
    for n in range(1, 30):
        term = term * x / n
        s = s + term
        if abs(term) < 1e-3:
            break
    return s


def for_with_continue(x):
    s = 0.0
    for i in range(len(x)):
        if i % 2 == 0:
            continue
        s = s + x[i] * x[i - 1]
    return s


def early_return(x):
    if np.max(x) > 10.0:
        return 0.0
    for i in range(x.shape[0]):
        if x[i] < -1.0:
            return np.sum(x[:i] ** 2)
    return np.sum(x ** 3)


def nested_loops(A):
    s = 0.0
    n, m = A.shape
    for i in range(n):
        for j in range(m):
            s = s + A[i, j] * (i - j) * A[j % n, i % m]
    return s


def enumerate_zip(x, y):
    s = 0.0
    for i, (a, b) in enumerate(zip(x, y)):
        s = s + (i + 1) * a * b
    return s


def conditional_expression(x):
    y = x * x if x > 0 else -x
    return y + (x if x < 2 else 2.0)


def trip_count_from_data(x, reps):
    y = x
    for _ in range(int(reps)):
        y = np.tanh(y) + 0.5 * y
    return np.sum(y ** 2)


def boolean_conditions(x, y):
    if x > 0 and y > 0:
        return x * y
    elif x > 0 or y > 0:
        return x + y
    return not_both(x, y)


def not_both(x, y):
    return x * x - y


def while_with_counter(x):
    i = 0
    acc = x
    while i < 4:
        acc = acc * 0.9 + np.cos(acc)
        i = i + 1
    return np.sum(acc)


def loop_carried_pair(x):
    a, b = x, 1.0
    for _ in range(6):
        a, b = b * 0.5 + np.sin(a), a
    return np.sum(a * b)


def inner_break_only(A):
    s = 0.0
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            if A[i, j] > 1.0:
                break
            s = s + A[i, j] ** 2
    return s

def continue_in_while(x):
    i = 0
    s = 0.0
    while i < len(x):
        i += 1
        if x[i - 1] < 0:
            continue
        s = s + x[i - 1] ** 3
    return s

def while_true_break(x):
    y = x
    n = 0
    while True:
        y = np.sin(y) + 0.5 * y
        n += 1
        if n >= 4:
            break
    return np.sum(y)

def return_in_while(x):
    y = x
    while np.sum(y ** 2) > 0.1:
        y = 0.7 * y
        if np.max(np.abs(y)) < 0.2:
            return np.sum(y) * 10.0
    return np.sum(y)

def trip_count_from_value(x, v):
    s = x * 0.0
    for _ in range(int(v * 3)):
        s = s + np.tanh(x + s)
    return np.sum(s)

def nested_function_returning_tuple(x):
    def stats(v):
        return np.mean(v), np.std(v)
    m, sd = stats(x)
    return (x[0] - m) / sd

def loop_over_zip_of_arrays(W, b, x):
    h = x
    for w_row, bias in zip(W, b):
        h = h + np.tanh(np.dot(w_row, h) + bias)
    return np.sum(h ** 2)

def elif_chain_on_array_stat(x):
    m = np.mean(x)
    if m < -0.5:
        y = x ** 2
    elif m < 0.0:
        y = np.sin(x)
    elif m < 0.5:
        y = np.exp(x)
    else:
        y = x
    return np.sum(y)


def _away(r, *shape):
    return r.uniform(0.3, 1.5, size=shape) * r.choice([-1.0, 1.0], size=shape)



def shrinking_while(x):
    s = 0.0
    while x.shape[0] > 1:
        s = s + np.sum(x ** 2)
        x = x[1:] * x[:-1]
    return s + np.sum(x)


def long_loop(x):
    for _ in range(1000):
        x = x * 0.999 + 0.001 * np.sin(x)
    return np.sum(x)


def rebind_with_other_shape(x):
    if np.sum(x) > 0:
        y = x.reshape(2, 2)
    else:
        y = x[:, None] * x[None, :]
    return np.sum(y @ y.T)


def running_max(x):
    best = x[0]
    for i in range(1, len(x)):
        if x[i] > best:
            best = x[i]
    return best * np.sum(x)


CASES = [
    case(sign_branch, lambda r: (0.7,)),
    case(three_regimes, lambda r: (0.3,)),
    case(branch_on_array_sum, lambda r: (r.normal(size=4),)),
    case(for_range_accumulate, lambda r: (r.normal(size=3),)),
    case(for_over_rows, lambda r: (r.normal(size=(3, 4)),)),
    case(while_halving, lambda r: (3.7,)),
    case(for_with_break, lambda r: (1.3,)),
    case(for_with_continue, lambda r: (r.normal(size=6),)),
    case(early_return, lambda r: (np.array([0.5, -0.3, 0.8, -1.7, 0.2]),)),
    case(nested_loops, lambda r: (r.normal(size=(3, 3)),)),
    case(enumerate_zip, lambda r: (r.normal(size=4), r.normal(size=4)), wrt=(0, 1)),
    case(conditional_expression, lambda r: (1.4,)),
    case(trip_count_from_data, lambda r: (r.normal(size=3), 3.0)),
    case(boolean_conditions, lambda r: (0.8, -0.6), wrt=(0, 1)),
    case(while_with_counter, lambda r: (r.normal(size=3),)),
    case(loop_carried_pair, lambda r: (r.normal(size=2),)),
    case(shrinking_while, lambda r: (r.normal(size=4),)),
    case(long_loop, lambda r: (r.normal(size=3),)),
    case(rebind_with_other_shape, lambda r: (np.abs(r.normal(size=4)),)),
    case(running_max, lambda r: (np.array([0.1, 0.7, 0.3, 0.9]),)),
    case(inner_break_only, lambda r: (np.array([[0.3, 1.4, 0.2], [0.1, -0.6, 0.9]]),)),
    case(continue_in_while, lambda r: (np.array([0.5, -0.3, 1.2, -2.0, 0.7]),)),
    case(while_true_break, lambda r: (r.normal(size=3),)),
    case(return_in_while, lambda r: (np.array([0.9, -1.3, 0.4]),)),
    case(trip_count_from_value, lambda r: (r.normal(size=3), 1.2)),
    case(nested_function_returning_tuple, lambda r: (r.normal(size=4),)),
    case(loop_over_zip_of_arrays, lambda r: (r.normal(size=(3, 3)) * 0.5, r.normal(size=3), r.normal(size=3)),
         wrt=(0, 1, 2)),
    case(elif_chain_on_array_stat, lambda r: (np.array([0.1, 0.2, 0.3]),)),
]
