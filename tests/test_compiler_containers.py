"""The compiler on containers that change as code runs: list items rebound, tuples and dicts updated in branches
and loops.

Each form is checked against central finite differences in grad (optimized and not) and jvp, on inputs that
take each branch; what the compiler cannot follow must raise ``TransformError`` at the user's line (never a
wrong gradient, never a traceback from the compiler). The corpus (``tests/corpus/containers.py``) runs the
common forms through every mode as well.
"""

import numpy as np
import pytest

import srcgrad
from corpus.harness import check_grad_and_jvp as check
from srcgrad.errors import TransformError


def refused(f, *args, match):
    """grad and jvp of ``f`` raise ``TransformError`` naming this file and ``match``."""
    for transform in (srcgrad.grad, srcgrad.jvp):
        with pytest.raises(TransformError, match=match) as info:
            if transform is srcgrad.grad:
                transform(f)(*args)
            else:
                transform(f)(*args, np.ones_like(args[0]))
        assert "test_compiler_containers.py, line" in str(info.value)


X = np.array([0.5, -0.7, 0.9])


# ---------------------------------------------------------------- list items


def list_item_rebound(x):
    parts = [x, 2.0 * x]
    parts[0] = parts[0] * 3.0
    parts[1] = np.sin(parts[0]) + parts[1]
    return np.sum(parts[0] * parts[1])


def list_item_rebound_with_loop_index(x):
    parts = [x * 1.0, np.cos(x)]
    for i in range(2):
        parts[i] = parts[i] * x + parts[1 - i]
    for j in range(2):
        parts[-1 - j] = parts[j] ** 2
    return np.sum(parts[0] - parts[1] * x)


def list_item_rebound_in_branch(x):
    out = [x, x * 0.0]
    for i in range(x.shape[0]):
        if x[i] > 0:
            out[1] = out[1] + out[0] * x[i]
        else:
            out[0] = np.tanh(out[0])
    return np.sum(out[0] * out[1]) + np.sum(out[1])


def list_item_gets_a_new_shape(x):
    parts = [x, x]
    parts[0] = np.sum(parts[0] ** 2)
    return parts[0] * np.sum(parts[1])


def list_item_number_augmented(x):
    sums = [0.0, 1.0]
    for i in range(x.shape[0]):
        sums[i % 2] += x[i] ** 2
        sums[1] *= 1.0 + x[i]
    return sums[0] * sums[1]


def list_of_numbers_argument_item_augmented(a, b):
    vals = [a, b]
    vals[0] += a * b
    vals[1] -= vals[0]
    return vals[0] * vals[1]


def list_item_of_fresh_arrays_augmented(x):
    acc = [x * 1.0, np.sin(x)]
    for i in range(3):
        acc[0] += acc[1] * x[i]
        acc[1] *= 0.5
    return np.sum(acc[0] ** 2)


def comprehension_item_rebound(x):
    terms = [x[i] * x for i in range(3)]
    terms[1] = terms[1] + terms[2]
    terms[2] += 1.0
    return np.sum(np.stack(terms) ** 2)


def list_item_set_by_helper(x):
    parts = [x, x * x]
    _set_first(parts, np.sin(x))
    return np.sum(parts[0] * parts[1])


def _set_first(lst, v):
    lst[0] = v * lst[1]


@pytest.mark.parametrize(
    "f",
    [
        list_item_rebound,
        list_item_rebound_with_loop_index,
        list_item_rebound_in_branch,
        list_item_gets_a_new_shape,
        list_item_number_augmented,
        list_item_of_fresh_arrays_augmented,
        comprehension_item_rebound,
        list_item_set_by_helper,
    ],
)
@pytest.mark.parametrize("x", [X, -X], ids=["x", "-x"])
def test_list_item_assignment(f, x):
    check(f, x)


def test_list_of_number_arguments_augmented():
    check(list_of_numbers_argument_item_augmented, 0.7, -1.3, wrt=0)
    check(list_of_numbers_argument_item_augmented, 0.7, -1.3, wrt=1)


def test_list_item_rebinding_is_readable():
    text = srcgrad.grad(list_item_rebound).source_for(X)
    assert "parts[0] = " in text and "dparts[0]" in text
    assert "index_update" not in text  # a list slot, not an array write
    assert "np.copy(parts" not in text  # the old item is saved by reference: nothing changes it in place


# ---------------------------------------------------------------- dicts


def dict_updated_in_loop(x, n=3):
    d = {"a": x}
    for i in range(n):
        d["a"] = d["a"] * x
    return np.sum(d["a"])


def dict_updated_in_branches(x):
    d = {"a": x * 2.0, "b": x}
    if np.sum(x) > 0:
        d["b"] = d["a"] * x
    else:
        d["b"] = np.sin(d["a"])
    return np.sum(d["b"] + d["a"])


def dict_key_added_in_both_branches(x):
    d = {}
    if x[0] > 0:
        d["b"] = x**2
    else:
        d["b"] = -x
        d["c"] = x  # only on this path: never read after the branch
    return np.sum(d["b"])


def dict_entry_augmented_in_branch_in_loop(x):
    stats = {"pos": 0.0, "neg": 0.0, "n": 0}
    for v in x:
        if v > 0:
            stats["pos"] += v * v
            stats["n"] += 1
        else:
            stats["neg"] -= v
    return stats["pos"] * stats["neg"] + stats["n"] * stats["pos"]


def dict_rebuilt_in_loop(x):
    d = {"h": x, "s": 0.0}
    for i in range(3):
        d = {"h": np.tanh(d["h"] * x), "s": d["s"] + np.sum(d["h"])}
    return d["s"] + np.sum(d["h"])


def dict_updated_by_helper_in_loop(x):
    cache = {"v": x * 1.0}
    for i in range(3):
        _update(cache, x)
    return np.sum(cache["v"])


def _update(d, x):
    if np.sum(d["v"]) > 0:
        d["v"] = d["v"] * 0.5 + x
    else:
        d["v"] = d["v"] - np.sin(x)


def dict_entry_from_a_name_rebound_later(x):
    d = {"a": x, "n": 2}
    x = x * 2.0
    return np.sum(d["a"] * x) * len(d)


@pytest.mark.parametrize(
    "f",
    [
        dict_updated_in_loop,
        dict_updated_in_branches,
        dict_key_added_in_both_branches,
        dict_entry_augmented_in_branch_in_loop,
        dict_rebuilt_in_loop,
        dict_updated_by_helper_in_loop,
        dict_entry_from_a_name_rebound_later,
    ],
)
@pytest.mark.parametrize("x", [X, -X], ids=["x", "-x"])
def test_dict_updates(f, x):
    check(f, x)


def test_dict_update_in_a_loop_is_plain_code():
    text = srcgrad.grad(dict_updated_in_loop).source_for(X)
    assert "d_a = d_a * x" in text
    code = [line for line in text.splitlines() if not line.strip().startswith("#")]
    assert not any("{" in line for line in code)  # no dict is built at run time


# ---------------------------------------------------------------- tuples


def _step(x_t, state, W):
    h, c = state
    c = c * 0.5 + np.tanh(W @ x_t + h)
    return np.tanh(c), c


def tuple_state_rebuilt_in_loop(W, xs):
    state = (np.zeros(3), np.zeros(3))
    for t in range(xs.shape[0]):
        state = _step(xs[t], state, W)
    return np.sum(state[0] * state[1])


def tuple_swapped(x):
    pair = (x, 2.0 * x)
    for i in range(3):
        pair = (pair[1] * 0.5, pair[0] + 1.0)
    a, b = pair
    return np.sum(a * b)


def tuple_items_swapped(x):
    pair = (x, x * x)
    for i in range(3):
        pair = (pair[1], pair[0])
        pair = (pair[0] * 0.5, pair[1])
    return np.sum(pair[0] * np.sin(pair[1]))


def tuple_rebound_in_branch(x):
    t = (x, 1.0)
    if x[0] > 0:
        t = (t[0] * 2.0, np.sum(x))
    return np.sum(t[0]) * t[1]


def tuple_grown_in_loop(x):
    acc = ()
    for i in range(x.shape[0]):
        if x[i] > 0:
            acc = acc + (x * x[i],)
        else:
            acc += (np.cos(x), x * 2.0)
    return np.sum(np.stack(acc) ** 2) + len(acc)


def tuple_concatenated(x):
    t = (x,) + (x * 2.0, np.sin(x))
    a, b, c = t
    return np.sum(a * b * c) + len(t)


def tuple_item_from_a_name_rebound_later(x):
    pair = (x, 3.0)
    x = x * 2.0
    return np.sum(pair[0] * x) * pair[1]


def tuple_chosen_by_condition(x):
    t = (x, x * 2.0) if x[0] > 0 else (x * 3.0, x)
    a, b = t
    return np.sum(a * b)


def tuple_of_numbers_as_shape(x):
    shape = (3,)
    scale = (2.0, 0.5)
    y = np.reshape(x, shape) * scale[0] + np.ones(shape) * scale[len(scale) - 1]
    return np.sum(y * x)


def tuple_sliced(x):
    t = (x, x * 2.0, np.sin(x))
    a, b = t[1:]
    (first,) = t[:-2]
    return np.sum(a * b * first) + np.sum((x * 3.0, np.cos(x))[-1:][0])


def loop_over_tuple_whose_item_changes(x):
    y = x * 2.0
    s = 0.0
    for v in (x, y):
        y = y * 3.0
        s = s + np.sum(v * x)
    return s + np.sum(y)


@pytest.mark.parametrize(
    "f",
    [
        tuple_swapped,
        tuple_items_swapped,
        tuple_rebound_in_branch,
        tuple_chosen_by_condition,
        tuple_of_numbers_as_shape,
        tuple_grown_in_loop,
        tuple_concatenated,
        tuple_item_from_a_name_rebound_later,
        loop_over_tuple_whose_item_changes,
        tuple_sliced,
    ],
)
@pytest.mark.parametrize("x", [X, -X], ids=["x", "-x"])
def test_tuple_updates(f, x):
    check(f, x)


def test_tuple_sliced_with_constant_bounds_in_both_modes():
    """``t[1:]`` of a tuple kept at compile time is the tuple of those items (it was refused); dynamic mode
    slices the Python tuple of Tensors: both agree with the derivative written out."""
    x = X
    expected = 4 * x * np.sin(x) + 2 * x**2 * np.cos(x) - np.sin(x)  # of sum(2 x * sin(x) * x) + sum(cos(x))
    np.testing.assert_allclose(srcgrad.grad(tuple_sliced)(x), expected, rtol=1e-12)
    t = srcgrad.tensor(x, requires_grad=True)
    tuple_sliced(t).backward()
    np.testing.assert_allclose(t.grad.numpy(), expected, rtol=1e-12)


def test_tuple_state_of_a_recurrent_cell(rng):
    W = rng.normal(size=(3, 2)) * 0.5
    xs = rng.normal(size=(4, 2))
    check(tuple_state_rebuilt_in_loop, W, xs, wrt=0)
    check(tuple_state_rebuilt_in_loop, W, xs, wrt=1)


# ---------------------------------------------------------------- refused, at the user's line


def augmented_item_shares_an_argument(x):
    parts = [x, 2.0 * x]
    parts[0] += 1.0  # changes x itself in Python
    return np.sum(parts[0] * x)


def augmented_item_read_out_before(x):
    parts = [x * 1.0]
    first = parts[0]
    parts[0] *= 2.0  # first is the same array
    return np.sum(first * parts[0])


def list_slice_assigned(x):
    parts = [x, x, x]
    parts[0:2] = [x * 2.0, x * 3.0]
    return np.sum(parts[0])


def list_index_from_argmax(x):
    parts = [x, x, x]
    k = np.argmax(x)
    parts[k] = x * 2.0
    return np.sum(parts[0])


def tuple_item_assigned(x):
    t = (x, x * 2.0)
    t[0] = x
    return np.sum(t[0])


def dict_key_set_in_one_branch(x):
    d = {"a": x}
    if x[0] > 0:
        d["b"] = x * 2.0
    return np.sum(d["b"])


def dict_key_set_in_loop(x):
    d = {}
    for i in range(3):
        d["s"] = x * i
    return np.sum(d["s"])


def tuple_grows_in_branch_not_in_loop_shape(x):
    t = (x, x)
    for i in range(2):
        t = (x, x, x)
    return np.sum(t[0])


def grown_tuple_used_in_arithmetic(x):
    acc = ()
    for i in range(2):
        acc = acc + (x * i,)
    more = acc + (x,)
    return np.sum(more[0])


def dict_with_two_names_rebound_in_loop(x):
    d = {"a": x}
    e = d
    for i in range(2):
        d = {"a": d["a"] * x}
    return np.sum(e["a"] + d["a"])


def dict_entry_augmented_shares_an_argument(x):
    d = {"a": x}
    d["a"] += 1.0  # changes x itself in Python
    return np.sum(d["a"] * x)


def dict_printed(x):
    d = {"a": x}
    print(d)
    return np.sum(d["a"])


def lists_added(x):
    parts = [x, 2.0 * x]
    more = parts + [x]
    return np.sum(more[2])


def _dict_from_two_places(x, flag):
    d = {"a": x}
    if flag:
        return d
    return {"a": x * 2.0}


def dict_returned_from_two_places(x):
    return np.sum(_dict_from_two_places(x, x[0] > 0)["a"])


def dict_returned(x):
    d = {"a": x}
    return d


def dict_chosen_by_condition(x):
    d = {"a": x}
    e = d if x[0] > 0 else {"a": x * 2.0}
    return np.sum(e["a"])


def value_becomes_tuple_in_loop(x):
    h = x
    for i in range(2):
        h = (x, x)
    return np.sum(h[0])


@pytest.mark.parametrize(
    "f, match",
    [
        (augmented_item_shares_an_argument, r"'parts\[\.\.\.\] \+= \.\.\.' changes the list's item in place"),
        (augmented_item_read_out_before, r"'parts\[\.\.\.\] \*= \.\.\.' changes the list's item in place"),
        (list_slice_assigned, "assignment into a slice of the list 'parts'"),
        (list_index_from_argmax, "must be an integer srcgrad.grad can follow"),
        (tuple_item_assigned, "holds a tuple, which cannot be changed"),
        (dict_key_set_in_one_branch, "the key 'b' may be missing here"),
        (dict_key_set_in_loop, "the key 's' may be missing here"),
        (tuple_grows_in_branch_not_in_loop_shape, "holds a tuple of another layout"),
        (grown_tuple_used_in_arithmetic, r"'acc' grows inside a branch or loop"),
        (dict_with_two_names_rebound_in_loop, "has another name too"),
        (dict_entry_augmented_shares_an_argument, r"'x' may share memory with d\['a'\].* is used after"),
        (dict_printed, "holds a tuple or dict built in the function"),
        (lists_added, "arithmetic on a list"),
        (dict_returned_from_two_places, "returns a dict, a nested tuple or a function from more than one place"),
        (dict_chosen_by_condition, "a conditional expression that chooses a dict"),
        (value_becomes_tuple_in_loop, "holds a value before this branch or loop and a tuple or dict here"),
    ],
    ids=lambda v: v.__name__ if callable(v) else "",
)
def test_refused_at_the_users_line(f, match):
    refused(f, X, match=match)


def test_a_returned_dict_is_refused_by_grad_and_read_by_jvp():
    # (srcgrad.jvp gives a dict of tangents: tests/test_compiler_jvp_dict_results.py)
    with pytest.raises(TransformError, match="needs a function returning one value; it returns a dict") as info:
        srcgrad.grad(dict_returned)(X)
    assert "test_compiler_containers.py, line" in str(info.value)
    value, tangent = srcgrad.jvp(dict_returned)(X, 2.0 * X)
    np.testing.assert_array_equal(value["a"], X)
    np.testing.assert_array_equal(tangent["a"], 2.0 * X)


def test_augmented_item_of_a_list_of_numbers_is_not_refused():
    # the same form as augmented_item_shares_an_argument, on numbers: += rebinds, nothing is shared
    def f(a):
        parts = [a, 2.0 * a]
        parts[0] += 1.0
        return parts[0] * a

    check(f, 0.7)
