"""A variable overwritten inside a loop or branch by a value nothing reads afterwards.

The adjoint of ``y = np.sin(v)`` reads ``v`` as it was at that statement; a later overwrite of ``v``
inside a loop or branch must be undone in the adjoint sweep even when the loop or branch has no
other adjoint work. Each function is checked against central finite differences with ``grad``
(both optimize settings) and with ``jvp``.
"""

import numpy as np
import pytest

import srcgrad
from corpus.harness import check_grad_and_jvp as check


W = np.array([0.3, -0.5, 0.8])


def in_nested_loops(w):
    v = w * 1.0
    y = np.sin(v)
    for i in range(2):
        for j in range(3):
            v = y * 0.3 + j
    return np.sum(y)


def in_a_loop_with_break(w):
    v = w * 1.0
    y = np.sin(v)
    for i in range(5):
        v = y * 0.3
        if i == 2:
            break
    return np.sum(y * y)


def in_a_loop_with_break_before(w):
    v = w * 1.0
    y = np.sin(v)
    for i in range(5):
        if np.sum(y) > 10.0 * i:
            break
        v = y * 0.3
    return np.sum(y * y)


def in_a_loop_with_continue(w):
    v = w * 1.0
    y = np.sin(v)
    for i in range(4):
        if i % 2 == 0:
            continue
        v = y * 0.3
    return np.sum(y)


def in_a_data_dependent_while(w):
    v = w * 1.0
    y = np.sin(v)
    s = 0.1
    while s < 2.0 + np.sum(w * w):
        v = y * s
        s = s * 1.7
    return np.sum(y * np.exp(v * 0.0))  # reads the last v with a zero weight


def in_a_while_loop_nested_in_a_for(w):
    v = w * 1.0
    y = np.cos(v)
    for i in range(2):
        k = 0.0
        while k < np.abs(np.sum(w)) + i:
            v = y * k
            k = k + 1.0
    return np.sum(y)


def in_an_elif(w):
    v = w * 1.0
    y = np.sin(v)
    if np.sum(w) > 5.0:
        out = y * 2.0
    elif np.sum(w) > -5.0:
        v = y * 0.3
        out = y * 3.0
    else:
        out = y
    return np.sum(out)


def in_a_branch_inside_a_loop(w):
    v = w * 1.0
    y = np.sin(v)
    acc = 0.0
    for i in range(3):
        if i == 1:
            v = np.cos(y)
        acc = acc + np.sum(y) * i
    return acc


def by_a_tuple_unpack(w):
    v = w * 1.0
    u = w * 2.0
    y = np.sin(v) * np.cos(u)
    for i in range(2):
        v, u = y * 0.3, y * 0.4
    return np.sum(y)


def by_a_swap(w):
    v = w * 1.0
    u = w * 2.0
    y = np.sin(v) + np.cos(u)
    if np.sum(w) > 0:
        v, u = u, v
    return np.sum(y * y)


def by_a_loop_variable(w):
    v = w * 1.0
    y = np.sin(v)
    for v in [y * 0.5, y * 0.25]:
        pass
    return np.sum(y)


def by_a_loop_variable_over_rows(w):
    v = np.outer(w, w)
    y = np.tanh(v)
    for v in y:
        pass
    return np.sum(y)


def a_loop_variable_overwritten(w):
    y = w * 0.0
    for i in range(3):
        y = y + np.sin(w * i)
    i = 7
    return np.sum(y) * i


def by_augmented_assignment(w):
    v = w * 1.0
    y = np.sin(v)
    for i in range(3):
        v += y
    return np.sum(y)


def in_for_else(w):
    v = w * 1.0
    y = np.sin(v)
    for i in range(2):
        if i > 5:
            break
    else:
        v = y * 0.3
    return np.sum(y)


def with_an_early_return_in_a_loop(w):
    v = w * 1.0
    y = np.sin(v)
    for i in range(4):
        v = y * 0.3
        if i == 2:
            return np.sum(y * y)
    return np.sum(y)


def the_operand_of_an_exp(w):
    v = np.exp(w)
    y = v * v  # the adjoint reads v
    for i in range(2):
        v = np.ones(3)
    return np.sum(y)


def overwritten_in_both_branches(w):
    v = w * 1.0
    y = np.sin(v)
    if np.sum(w) > 0:
        v = y * 0.3
    else:
        v = y * 0.5
    return np.sum(y)


def two_dead_overwrites_in_one_loop(w):
    a = w * 1.0
    b = w * 2.0
    y = np.sin(a) * np.cos(b)
    for i in range(3):
        a = y * 0.1
        b = y * 0.2
    return np.sum(y)


def a_helper_overwriting_its_argument(w):
    def step(v):
        y = np.sin(v)
        for i in range(2):
            v = y * 0.3
        return y

    return np.sum(step(w * 1.0))


def in_a_loop_then_read_by_a_later_iteration(w):
    v = w * 1.0
    out = 0.0
    for i in range(3):
        y = np.sin(v)
        out = out + np.sum(y)
        v = y * 0.5
    return out


CASES = [
    in_nested_loops,
    in_a_loop_with_break,
    in_a_loop_with_break_before,
    in_a_loop_with_continue,
    in_a_data_dependent_while,
    in_a_while_loop_nested_in_a_for,
    in_an_elif,
    in_a_branch_inside_a_loop,
    by_a_tuple_unpack,
    by_a_swap,
    by_a_loop_variable,
    by_a_loop_variable_over_rows,
    a_loop_variable_overwritten,
    by_augmented_assignment,
    in_for_else,
    with_an_early_return_in_a_loop,
    the_operand_of_an_exp,
    overwritten_in_both_branches,
    two_dead_overwrites_in_one_loop,
    a_helper_overwriting_its_argument,
    in_a_loop_then_read_by_a_later_iteration,
]


@pytest.mark.parametrize("f", CASES, ids=[f.__name__ for f in CASES])
@pytest.mark.parametrize("w", [W, -W], ids=["w", "minus_w"])
def test_dead_overwrite(f, w):
    check(f, w)


# ---------------------------------------------------------------- a name rebound to a broadcast of itself
# The adjoint of v = v + w unbroadcasts to the shape v had before the statement, not the new v's.


def grows_by_addition(x, w):
    v = np.sin(x)
    u = v * 0.5
    v = v + w
    return np.sum(v) + np.sum(u * u)


def grows_by_division(x, w):
    v = np.sin(x)
    u = v * 0.5
    v = v / w
    return np.sum(np.cos(v)) + np.sum(u * u)


def grows_from_the_right(x, w):
    v = np.exp(x)
    v = w - v
    return np.sum(v * v)


def grows_by_augmented_assignment(x, w):
    v = np.sum(np.sin(x))  # a numpy number: += rebinds it
    u = v * 0.5
    v += w
    return np.sum(v * v) + np.sum(u * u)


def grows_by_maximum(x, w):
    v = np.sin(x)
    v = np.maximum(v, w)
    return np.sum(v * v)


def grows_by_tanh_of_a_sum(x, w):
    v = np.sin(x)
    v = np.tanh(v + w)
    return np.sum(v)


def grows_in_a_loop(x, w):
    v = np.sin(x)
    for i in range(2):
        v = v * w + x
    return np.sum(v * v)


def grows_in_a_branch(x, w):
    v = np.sin(x)
    u = v * 2.0
    if np.sum(x) > -5.0:
        v = v + w
    return np.sum(v * v) + np.sum(u)


def grows_twice(x, w, m):
    v = np.sin(x)
    v = v * w
    v = v + m
    return np.sum(np.sin(v))


def grows_from_a_matmul(x, y, w):
    v = x @ y
    v = v + w
    return np.sum(np.sin(v))


X1, W3, M33 = np.array([0.4]), np.array([0.3, -0.5, 0.8]), np.linspace(-1.0, 1.0, 9).reshape(3, 3)
GROWS = [
    (grows_by_addition, (X1, W3)),
    (grows_by_division, (X1, W3 + 2.0)),
    (grows_from_the_right, (X1, W3)),
    (grows_by_augmented_assignment, (X1, W3)),
    (grows_by_maximum, (X1, W3)),
    (grows_by_tanh_of_a_sum, (X1, W3)),
    (grows_in_a_loop, (X1, W3)),
    (grows_in_a_branch, (X1, W3)),
    (grows_twice, (X1, W3, M33)),
    (grows_by_addition, (W3.reshape(3, 1), W3)),
    (grows_by_addition, (np.array(0.4), M33)),
    (grows_from_a_matmul, (W3, W3[::-1], W3)),
]


@pytest.mark.parametrize("f, args", GROWS, ids=[f"{f.__name__}-{k}" for k, (f, _) in enumerate(GROWS)])
def test_rebound_to_a_broadcast_of_itself(f, args):
    for wrt in range(len(args)):
        check(f, *args, wrt=wrt)


# ---------------------------------------------------------------- an item of a comprehension's list rebound
# The comprehension's list is built under another name (parts = items): both are lists, with list adjoints.


def comprehension_item_rebound_in_a_loop(x):
    parts = [x * i for i in range(3)]
    for i in range(3):
        parts[i] = parts[i] * x
    return np.sum(np.stack(parts))


def comprehension_item_augmented(x):
    parts = [x * (i + 1) for i in range(3)]
    parts[0] += np.sin(x)
    return np.sum(parts[0] * parts[1])


def comprehension_item_rebound_then_appended(x):
    parts = [np.sin(x * i) for i in range(3)]
    parts.append(x * x)
    parts[3] = parts[3] * parts[1]
    return np.sum(np.stack(parts))


def comprehension_item_rebound_in_a_branch(x):
    parts = [x * i for i in range(3)]
    if np.sum(x) > 0:
        parts[1] = np.exp(parts[1])
    return np.sum(parts[1] * parts[2])


def comprehension_summed_then_item_rebound(x):
    parts = [x * i for i in range(3)]
    total = sum(parts)
    parts[1] = total * x
    return np.sum(parts[1] * total)


def comprehension_items_swapped(x):
    rows = [np.sin(x[i]) for i in range(3)]
    rows[0], rows[2] = rows[2], rows[0] * 2.0
    return rows[0] * rows[1] + rows[2]


def comprehension_item_read_then_rebound(x):
    parts = [x * i for i in range(3)]
    q = parts[1]
    parts[1] = q * q
    return np.sum(parts[1] + q)


def comprehension_of_lists(x):
    parts = [[x * i, x + i] for i in range(2)]
    return np.sum(parts[1][0] * parts[0][1])


def comprehension_rebuilt_in_a_loop(x):
    acc = 0.0
    for k in range(2):
        parts = [x * (i + k) for i in range(3)]
        parts[1] = parts[2] * parts[0]
        acc = acc + np.sum(parts[1] + parts[2])
    return acc


def comprehension_items_rebound_from_their_neighbours(x):
    parts = [x * i for i in range(3)]
    for k in range(2):
        parts[k] = np.sin(parts[k + 1]) * x
    return np.sum(parts[0] * parts[1] * parts[2])


def comprehension_item_rebound_in_a_while_loop(x):
    parts = [x * i for i in range(3)]
    k = 0
    while np.sum(parts[0]) < 3.0 and k < 5:
        parts[0] = parts[0] + np.abs(parts[1]) + 0.5
        k += 1
    return np.sum(parts[0] * x)


COMPREHENSIONS = [
    comprehension_item_rebound_in_a_loop,
    comprehension_item_augmented,
    comprehension_item_rebound_then_appended,
    comprehension_item_rebound_in_a_branch,
    comprehension_summed_then_item_rebound,
    comprehension_items_swapped,
    comprehension_item_read_then_rebound,
    comprehension_of_lists,
    comprehension_rebuilt_in_a_loop,
    comprehension_items_rebound_from_their_neighbours,
    comprehension_item_rebound_in_a_while_loop,
]


@pytest.mark.parametrize("f", COMPREHENSIONS, ids=[f.__name__ for f in COMPREHENSIONS])
@pytest.mark.parametrize("x", [np.array([0.5, -0.7, 0.9]), np.array([-0.5, 0.7, -0.9])], ids=["x", "minus_x"])
def test_comprehension_list_item_rebound(f, x):
    check(f, x)


# ---------------------------------------------------------------- found by fuzzing random programs


def assigned_on_some_paths_then_overwritten_in_a_branch(w):
    # c exists before the second `if` on one path only: its adjoint still restarts from zero where the
    # `else` overwrites it (it was carried into the first assignment's adjoint)
    b = np.sin(w)
    a = b - 0.2
    if np.sum(a) > 0.46:
        pass
    else:
        c = np.exp(b * 0.1)
    if np.sum(b) > 0.55:
        pass
    else:
        c = np.cos(a)
    return np.sum(c * 1.34) + np.sum(b * 1.36) + np.sum(a * 1.18)


def tangent_dropped_after_a_break(w):
    # jvp: at the break, c's tangent is that of c * a; after the loop it was the zero of np.ones(3) * 0.5
    a = w * 1.0
    b = np.sin(w)
    c = np.tanh(a)
    for i in range(2):
        c = c * a
        c = np.ones(3) * 0.5
        if i == 1:
            break
    return np.sum(b * 1.00) + np.sum(c * 0.73)


def tangent_kept_at_a_break(w):
    c = w * 0.0
    c = np.ones(3)
    for i in range(3):
        c = np.sin(w * (i + 1))
        if np.sum(w) > 100.0 * i:
            break
        c = np.ones(3) * 0.5
    return np.sum(c * w)


def tangent_zero_at_a_continue(w):
    c = np.sin(w)
    acc = 0.0
    for i in range(3):
        c = c * w
        if i == 1:
            c = np.ones(3)
            continue
        acc = acc + np.sum(c)
    return acc + np.sum(c * w)


FUZZED = [
    assigned_on_some_paths_then_overwritten_in_a_branch,
    tangent_dropped_after_a_break,
    tangent_kept_at_a_break,
    tangent_zero_at_a_continue,
]


@pytest.mark.parametrize("f", FUZZED, ids=[f.__name__ for f in FUZZED])
@pytest.mark.parametrize("w", [W, -W, W[::-1]], ids=["w", "minus_w", "reversed_w"])
def test_found_by_fuzzing(f, w):
    check(f, w)


def tangent_of_a_value_assigned_on_some_paths(w):
    # jvp: c exists before the second `if` on one path only, with a stale tangent (of w * 2.0)
    if np.sum(w) > -10.0:
        c = w * 2.0
        c = np.ones(3)
    if np.sum(w) > -10.0:
        pass
    else:
        c = np.sin(w)
    return np.sum(c * w)


def tangent_carried_by_a_loop_from_its_first_iteration(w):
    # jvp: acc does not exist before the loop; its tangent is carried from one iteration to the next
    for i in range(3):
        if i > 0:
            acc = acc * w
        else:
            acc = np.sin(w)
    return np.sum(acc)


def tangent_carried_by_a_while_loop(w):
    k = 0
    while k < 3:
        if k == 0:
            h = np.tanh(w)
        else:
            h = h * np.cos(h) + w
        k += 1
    return np.sum(h * h)


@pytest.mark.parametrize(
    "f",
    [
        tangent_of_a_value_assigned_on_some_paths,
        tangent_carried_by_a_loop_from_its_first_iteration,
        tangent_carried_by_a_while_loop,
    ],
)
@pytest.mark.parametrize("w", [W, -W], ids=["w", "minus_w"])
def test_tangent_of_a_variable_that_exists_on_some_paths(f, w):
    check(f, w)
