"""Structures: tuples, lists with append, dicts, in-place index writes."""

import numpy as np

from . import (SCALAR_INTO_NDARRAY, TENSOR_INTO_NDARRAY, UFUNC_AT, UFUNC_AT_TAPE, VIEW_THEN_WRITE,
               case)


def tuple_unpacking(x, y):
    a, b = (x + y, x * y)
    (c, d), e = (a - b, b * 2.0), a
    return np.sum(a * b + c * d * e)


def list_append_stack(x):
    out = []
    for i in range(3):
        out.append(x * i + np.sin(x))
    return np.sum(np.stack(out) ** 2)


def list_builtin_sum(x):
    parts = [x[0], x[1] ** 2, np.sum(x)]
    return sum(parts) + parts[0] * parts[1]


def dict_of_parameters(x, W):
    params = {"w": W, "b": 0.5}
    h = x @ params["w"] + params["b"]
    return np.sum(h ** 2)


def dict_built_up(x):
    d = {}
    d["a"] = x * 2.0
    d["b"] = d["a"] ** 2
    return np.sum(d["b"] - d["a"])


def preallocate_and_fill(x):
    y = np.zeros(4)
    y[0] = x[0] * 2.0
    y[1:3] = x[1:3] ** 2
    y[3] = np.sum(x)
    return np.sum(y * y)


def write_into_copy(x):
    y = x.copy()
    y[1] = y[0] * 3.0
    return np.sum(y ** 2)


def index_add_in_place(x):
    y = np.zeros_like(x)
    y[::2] += x[::2] ** 2
    y[1:] += x[:-1]
    return np.sum(y * x)


def loop_over_layers(x, W1, W2):
    h = x
    for w in [W1, W2]:
        h = np.tanh(h @ w)
    return np.sum(h)


def list_comprehension(x):
    terms = [x[i] ** (i + 1) for i in range(len(x))]
    return sum(terms)


def tuple_of_arrays_arg(x):
    pair = (x, 2.0 * x)
    first, second = pair
    return np.sum(first * second) + np.sum(pair[1])


def cumulative_fill(x):
    out = np.zeros_like(x)
    acc = 0.0
    for i in range(x.shape[0]):
        acc = acc * 0.5 + x[i]
        out[i] = acc
    return np.sum(out ** 2)



def write_through_alias(x):
    z = np.zeros(3)
    y = z
    y[0] = x[0] * 2.0
    return np.sum(z * x) + np.sum(y)


def _append_scaled(acc, v):
    acc.append(v * 2.0)


def helper_appends_to_list(x):
    acc = []
    _append_scaled(acc, x)
    _append_scaled(acc, x * x)
    return np.sum(acc[0] * acc[1])



def overwrite_from_itself(x):
    y = x * 1.0
    y[0] = y[1] * 5.0
    return np.sum(y * y)


def view_sees_later_write(x):
    y = x * 1.0
    z = y[1:]
    y[1] = 10.0
    return np.sum(z * x[1:])


def view_then_scaled_in_place(x):
    y = x * 2.0
    z = y[1:]
    y *= 3.0
    return np.sum(z * x[1:])


def transpose_view_then_write(x):
    y = x * 1.0
    t = y.T
    y[1] = x[0] * x[2]
    return np.sum(t * t)



def slice_times_equal(x):
    y = x * 1.0
    y[1:] *= 2.0
    return np.sum(y * x)


def accumulate_into_zeros_like(x):
    acc = np.zeros_like(x)
    for i in range(3):
        acc[i] += x[i] * i
    return np.sum(acc * x)


def swap_rows(A):
    B = A * 1.0
    tmp = B[0] * 1.0
    B[0] = B[1]
    B[1] = tmp
    return np.sum(B * np.arange(6.0).reshape(2, 3))


def add_at_with_repeats(x):
    y = np.zeros(3)
    idx = np.array([0, 0, 2])
    np.add.at(y, idx, x)
    return np.sum(y * y)


def rebinding_inplace_number(x):
    s = x[0]
    s += x[1]
    s *= 2.0
    return s * x[2]


def list_of_slices_written(x):
    parts = [x[:2] * 1.0, x[1:] * 1.0]
    parts[0] = parts[0] * 3.0
    return np.sum(parts[0]) + np.sum(parts[1] ** 2)

CASES = [
    case(tuple_unpacking, lambda r: (r.normal(size=3), r.normal(size=3)), wrt=(0, 1)),
    case(list_append_stack, lambda r: (r.normal(size=3),)),
    case(list_builtin_sum, lambda r: (r.normal(size=3),)),
    case(dict_of_parameters, lambda r: (r.normal(size=3), r.normal(size=(3, 2))), wrt=(0, 1)),
    case(dict_built_up, lambda r: (r.normal(size=3),)),
    case(preallocate_and_fill, lambda r: (r.normal(size=4),), dynamic=SCALAR_INTO_NDARRAY),
    case(write_into_copy, lambda r: (r.normal(size=3),)),
    case(index_add_in_place, lambda r: (r.normal(size=5),)),
    case(loop_over_layers, lambda r: (r.normal(size=3), r.normal(size=(3, 3)), r.normal(size=(3, 2))),
         wrt=(0, 1, 2)),
    case(list_comprehension, lambda r: (r.normal(size=4),)),
    case(tuple_of_arrays_arg, lambda r: (r.normal(size=3),)),
    case(cumulative_fill, lambda r: (r.normal(size=4),)),
    case(write_through_alias, lambda r: (r.normal(size=3),), static=VIEW_THEN_WRITE,
         dynamic=SCALAR_INTO_NDARRAY, forward=VIEW_THEN_WRITE),
    case(helper_appends_to_list, lambda r: (r.normal(size=3),)),
    case(overwrite_from_itself, lambda r: (r.normal(size=3),)),
    case(view_sees_later_write, lambda r: (r.normal(size=3),), static=VIEW_THEN_WRITE, forward=VIEW_THEN_WRITE),
    case(view_then_scaled_in_place, lambda r: (r.normal(size=3),), static=VIEW_THEN_WRITE,
         forward=VIEW_THEN_WRITE),
    case(transpose_view_then_write, lambda r: (r.normal(size=3),), static=VIEW_THEN_WRITE, forward=VIEW_THEN_WRITE),
    case(slice_times_equal, lambda r: (r.normal(size=3),)),
    case(accumulate_into_zeros_like, lambda r: (r.normal(size=3),)),
    case(swap_rows, lambda r: (r.normal(size=(2, 3)),)),
    case(add_at_with_repeats, lambda r: (r.normal(size=3),), static=UFUNC_AT, forward=UFUNC_AT, dynamic=UFUNC_AT_TAPE),
    case(rebinding_inplace_number, lambda r: (r.normal(size=3),)),
    case(list_of_slices_written, lambda r: (r.normal(size=3),)),
]
