"""Containers changed as code runs: list items rebound, dicts and tuples updated inside branches and loops."""

import numpy as np

from . import case


def list_items_rebound_in_loop(x):
    parts = [x * 1.0, np.sin(x), x ** 2]
    for i in range(3):
        parts[i] = parts[i] * x + parts[(i + 1) % 3]
    return np.sum(np.stack(parts) ** 2)


def list_item_augmented(x):
    sums = [0.0, 0.0]
    for i in range(x.shape[0]):
        sums[i % 2] += x[i] * x[i]
    sums[-1] *= 3.0
    return sums[0] * sums[1]


def list_item_of_arrays_augmented(x):
    acc = [x * 0.5, x * 2.0]
    for i in range(3):
        acc[0] += np.tanh(acc[1]) * x[i]
        acc[1] -= acc[0] * 0.1
    return np.sum(acc[0] * acc[1])


def dict_updated_in_loop(x):
    d = {"a": x, "b": 0.0}
    for i in range(3):
        d["a"] = d["a"] * x
        d["b"] += np.sum(d["a"])
    return d["b"] + np.sum(d["a"])


def dict_key_set_in_branches(x):
    d = {"scale": 2.0}
    if np.sum(x) > 0:
        d["out"] = np.sin(x) * d["scale"]
    else:
        d["out"] = x ** 2
        d["scale"] = d["scale"] * np.sum(x)
    return np.sum(d["out"]) * d["scale"]


def dict_updated_in_branch_in_loop(x):
    stats = {"pos": 0.0, "neg": 0.0}
    for i in range(x.shape[0]):
        if x[i] > 0:
            stats["pos"] = stats["pos"] + x[i] ** 2
        else:
            stats["neg"] -= x[i]
    return stats["pos"] * stats["neg"] + stats["pos"]


def dict_looped_over(x):
    d = {"a": x * 1.5, "b": np.sin(x)}
    for k in d:
        d[k] = d[k] * d["b"]
    total = 0.0
    for k, v in d.items():
        total = total + np.sum(v ** 2) * (2.0 if k == "a" else 1.0)
    for v in d.values():
        total = total + np.sum(np.tanh(v))
    return total


def _lstm_step(x_t, state, W, U):
    h, c = state
    gate = np.tanh(W @ x_t + U @ h)
    c = c * 0.5 + gate
    h = np.tanh(c)
    return h, c


def lstm_state_tuple(xs, W, U):
    state = (np.zeros(3), np.zeros(3))
    for t in range(xs.shape[0]):
        state = _lstm_step(xs[t], state, W, U)
    h, c = state
    return np.sum(h ** 2) + np.sum(c)


def tuple_swapped_in_loop(x):
    pair = (x, 2.0 * x)
    for i in range(3):
        pair = (pair[1] * 0.5, pair[0] + np.sin(pair[1]))
    a, b = pair
    return np.sum(a * b)


def tuple_accumulated(x):
    acc = ()
    for i in range(x.shape[0]):
        if x[i] > 0:
            acc = acc + (x * x[i],)
        else:
            acc += (np.cos(x), x * 2.0)
    return np.sum(np.stack(acc) ** 2)


def list_appended_in_branches(x):
    kept = []
    for i in range(x.shape[0]):
        if x[i] > 0:
            kept.append(x * x[i])
        elif x[i] < -0.5:
            kept.append(np.sin(x))
    kept.append(x)
    total = 0.0
    for k in kept:
        total = total + np.sum(k ** 2)
    return total


def _arr(*shape):
    return lambda r: (r.normal(size=shape),)


CASES = [
    case(list_items_rebound_in_loop, _arr(3)),
    case(list_item_augmented, _arr(5)),
    case(list_item_of_arrays_augmented, _arr(3)),
    case(dict_updated_in_loop, _arr(3)),
    case(dict_key_set_in_branches, lambda r: (np.abs(r.normal(size=3)) + 0.1,)),
    case(dict_looped_over, _arr(3)),
    case(dict_updated_in_branch_in_loop, lambda r: (np.array([0.7, -1.2, 0.4, -0.3]) + 0.05 * r.normal(size=4),)),
    case(lstm_state_tuple, lambda r: (r.normal(size=(4, 2)), r.normal(size=(3, 2)) * 0.5, r.normal(size=(3, 3)) * 0.5),
         wrt=(0, 1, 2)),
    case(tuple_swapped_in_loop, _arr(3)),
    case(tuple_accumulated, lambda r: (np.array([0.8, -0.6, 1.1]) + 0.05 * r.normal(size=3),)),
    case(list_appended_in_branches, lambda r: (np.array([0.8, -0.9, 0.2, -0.1]) + 0.05 * r.normal(size=4),)),
]
