"""The compiler and memory shared between names: in-place writes through views, second names and containers.

Python's ``y *= 2`` and ``y[i] = v`` change the array itself, so every other name for that memory (a view
such as ``W[2]``, ``x.T``, ``np.flip(x)``, a second name, a list or dict holding it) sees the change. The
compiler computes such writes out of place; where another name for the memory is read after the write, it
must refuse at the write's line (a ``TransformError`` naming this file and that line), never return the
gradient of a function that ignores the write. Where nothing else reads the memory afterwards, the function
compiles and its gradient and JVP match central finite differences. Each function here is checked in both
``grad`` and ``jvp``.
"""

import ast
import inspect

import numpy as np
import pytest

import srcgrad
from corpus.harness import check_grad_and_jvp
from srcgrad.compiler import memory
from srcgrad.errors import TransformError

W0 = np.array([[0.3, -0.5, 0.8], [1.1, 0.2, -0.4], [0.6, -1.3, 0.9], [-0.2, 0.7, 0.5]])
X0 = np.array([0.5, -0.7, 0.9, 1.3])
G = np.array([0.25, -0.5, 1.5, 2.0])  # a module-level array


def check(f, *args, wrt=0):
    """grad (both optimize settings) and jvp of ``f`` match finite differences (on copies: ``f`` may change
    its arguments in place, as Python does)."""
    check_grad_and_jvp(f, *[np.copy(a) if isinstance(a, np.ndarray) else a for a in args], wrt=wrt)


def refused(f, *args, match=None, at=None):
    """grad and jvp of ``f`` raise ``TransformError`` at the line marked ``# refused`` of ``f`` (or of the
    function ``at``), in this file."""
    lines, first = inspect.getsourcelines(at or f)
    marked = [first + k for k, text in enumerate(lines) if "# refused" in text]
    assert len(marked) == 1, f"{f.__name__} needs one line marked '# refused'"
    for transform in ("grad", "jvp"):
        with pytest.raises(TransformError, match=match) as info:
            copies = [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]
            if transform == "grad":
                srcgrad.grad(f)(*copies)
            else:
                srcgrad.jvp(f)(*copies, np.ones_like(copies[0]))
        err = info.value
        assert err.filename == __file__ and err.lineno == marked[0], (transform, str(err))
        for generated in ("t_", "d_b", "seq", "items", "outs"):
            assert f"'{generated}" not in err.message, err.message


# ------------------------------------------------------------------ the issue's cases


def row_scaled_in_place(W):
    row = W[2]
    row *= 0.5  # refused
    return np.sum(W * W)


def row_scaled_in_place_in_a_branch(W):
    row = W[2]
    if np.sum(W) > 0.0:
        row *= 0.5  # refused
    return np.sum(W * W)


def flipped_then_argument_divided(y):
    b = np.flip(y)
    y /= 2.0  # refused
    return np.sum(np.sin(b))


@pytest.mark.parametrize("f", [row_scaled_in_place, row_scaled_in_place_in_a_branch])
def test_the_issues_row_update_is_refused(f):
    refused(f, W0, match="'W' may share memory with 'row'")


def test_the_issues_flip_is_refused():
    refused(flipped_then_argument_divided, X0, match="'b' may share memory with 'y'")


# ------------------------------------------------------------------ every kind of view, written through either name


def through_reversed_slice(y):
    b = y[::-1]
    y /= 2.0  # refused
    return np.sum(np.sin(b))


def through_transpose_attribute(W):
    t = W.T
    t *= 2.0  # refused
    return np.sum(W * W)


def through_transpose_function(W):
    t = np.transpose(W)
    W += 1.0  # refused
    return np.sum(t * t)


def through_reshape(W):
    r = W.reshape(3, 4)
    r -= 0.5  # refused
    return np.sum(np.sin(W))


def through_ravel(W):
    r = np.ravel(W)
    r *= 3.0  # refused
    return np.sum(W**2)


def through_asarray(W):
    r = np.asarray(W)
    r *= 3.0  # refused
    return np.sum(W**2)


def through_swapaxes(W):
    r = np.swapaxes(W, 0, 1)
    r += 1.0  # refused
    return np.sum(W**2)


def through_squeeze(W):
    r = np.squeeze(W[0:1])
    r += 1.0  # refused
    return np.sum(W**2)


def through_expand_dims(y):
    r = np.expand_dims(y, 0)
    r += 1.0  # refused
    return np.sum(y**2)


def through_ellipsis(W):
    r = W[...]
    r *= 0.5  # refused
    return np.sum(W**2)


def through_column(W):
    c = W[:, 1]
    c *= 0.5  # refused
    return np.sum(W**2)


def through_new_axis(y):
    c = y[None]
    c *= 0.5  # refused
    return np.sum(y**2)


def through_view_of_a_view(W):
    v = W[1:]
    w = v[::-1]
    u = w.T
    u *= 2.0  # refused
    return np.sum(W**2)


def base_written_view_read(W):
    v = W[1:3].T
    W *= 2.0  # refused
    return np.sum(v**2)


def index_write_view_read(y):
    z = y * 1.0
    v = np.flip(z)
    z[0] = 5.0  # refused
    return np.sum(v * y)


@pytest.mark.parametrize(
    "f",
    [
        through_transpose_attribute,
        through_transpose_function,
        through_reshape,
        through_ravel,
        through_asarray,
        through_swapaxes,
        through_squeeze,
        through_ellipsis,
        through_column,
        through_view_of_a_view,
        base_written_view_read,
    ],
    ids=lambda f: f.__name__,
)
def test_views_of_a_matrix_written_in_place_are_refused(f):
    refused(f, W0, match="is used after .* is written into in place")


@pytest.mark.parametrize(
    "f",
    [through_reversed_slice, through_expand_dims, through_new_axis, index_write_view_read],
    ids=lambda f: f.__name__,
)
def test_views_of_a_vector_written_in_place_are_refused(f):
    refused(f, X0, match="is used after .* is written into in place")


# ------------------------------------------------------------------ second names, helpers, containers


def second_name_for_an_argument(x):
    y = x
    y += 1.0  # refused
    return np.sum(x * y)


def chained_assignment(x):
    a = b = x * 2.0
    a += 1.0  # refused
    return np.sum(a * b)


def _first_row(A):
    return A[0]


def helper_returns_a_view(W):
    r = _first_row(W)
    r *= 2.0  # refused
    return np.sum(W**2)


def _scale_in_place(a):
    a *= 2.0  # refused
    return a


def helper_scales_its_parameter(x):
    z = x * 1.0
    y = _scale_in_place(z)
    return np.sum(z * y)


def view_in_a_tuple(W):
    pair = (W[0], W[1])
    a, b = pair
    a *= 2.0  # refused
    return np.sum(W**2)


def view_in_a_list(W):
    parts = [W[0], W[1]]
    p = parts[0]
    p *= 2.0  # refused
    return np.sum(W**2)


def array_in_a_list_then_written(x):
    y = x * 1.0
    parts = [y]
    y *= 2.0  # refused
    return np.sum(parts[0] * x)


def view_in_a_dict(W):
    d = {"w": W[1:]}
    d["w"] *= 2.0  # refused
    return np.sum(W**2)


def argument_in_a_dict(x):
    d = {"a": x}
    d["a"] += 1.0  # refused
    return np.sum(d["a"] * x)


def dict_argument_entry(params):
    w = params["w"]
    w *= 2.0  # refused
    return np.sum(params["w"] ** 2)


def split_pieces_are_views(x):
    y = x * 1.0
    a, b = np.split(y, 2)
    a *= 3.0  # refused
    return np.sum(y * y)


def view_in_a_loop(W):
    total = 0.0
    for i in range(3):
        row = W[i]
        row *= 2.0  # refused
        total = total + np.sum(W[i + 1])
    return total


def rows_of_a_loop_written(W):
    total = 0.0
    for row in W:
        row *= 2.0  # refused
        total = total + np.sum(row)
    return total + np.sum(W)


def alias_carried_to_the_next_iteration(x):
    y = x * 1.0
    prev = y
    total = 0.0
    for i in range(3):
        y *= 1.5  # refused
        total = total + np.sum(prev * x)
        prev = y
    return total


def write_in_a_while_loop(x):
    y = x * 1.0
    v = y[1:]
    k = 0
    while k < 3:
        y += 0.5  # refused
        k = k + 1
    return np.sum(v * v)


def write_on_one_path_of_a_branch(x):
    y = x * 1.0
    v = y[0:2]
    if np.sum(x) > 0.0:
        y *= 2.0  # refused
    else:
        y = y * 3.0
    return np.sum(v * x[0:2])


def index_write_into_a_view_of_an_argument(x):
    y = np.zeros(4)
    for i in range(2):
        y[i] = x[i]  # refused
        y = x[1:]
    return np.sum(y)


def global_view_written(x):
    g = G[0:2]
    g *= x[0]  # refused
    return np.sum(g)


def global_second_name_written(x):
    y = G
    y += x  # refused
    return np.sum(y)


@pytest.mark.parametrize(
    "f, args",
    [
        (second_name_for_an_argument, (X0,)),
        (chained_assignment, (X0,)),
        (helper_returns_a_view, (W0,)),
        (view_in_a_tuple, (W0,)),
        (view_in_a_list, (W0,)),
        (array_in_a_list_then_written, (X0,)),
        (view_in_a_dict, (W0,)),
        (argument_in_a_dict, (X0,)),
        (split_pieces_are_views, (X0,)),
        (view_in_a_loop, (W0,)),
        (rows_of_a_loop_written, (W0,)),
        (alias_carried_to_the_next_iteration, (X0,)),
        (write_in_a_while_loop, (X0,)),
        (write_on_one_path_of_a_branch, (X0,)),
    ],
    ids=lambda v: v.__name__ if callable(v) else "",
)
def test_other_names_for_the_memory_are_refused(f, args):
    refused(f, *args, match="is used after .* is written into in place")


def test_a_helper_changing_its_parameter_is_refused_at_the_helpers_line():
    refused(helper_scales_its_parameter, X0, match="'z' may share memory with 'a'", at=_scale_in_place)


def test_dict_argument_entry_is_refused():
    with pytest.raises(TransformError, match="'params' may share memory with 'w'"):
        srcgrad.grad(dict_argument_entry)({"w": X0.copy()})


def test_index_write_into_a_view_of_an_argument_is_refused():
    refused(index_write_into_a_view_of_an_argument, X0, match="writes into the argument 'x'")


@pytest.mark.parametrize("f", [global_view_written, global_second_name_written], ids=lambda f: f.__name__)
def test_writes_into_module_level_arrays_are_refused(f):
    before = G.copy()
    refused(f, X0, match="module-level .* array 'G'")
    np.testing.assert_array_equal(G, before)


# ------------------------------------------------------------------ what stays supported


def copied_row(W):
    row = W[2].copy()
    row *= 0.5
    return np.sum(W * W) + np.sum(row)


def view_written_base_unread(W):
    row = W[2]
    row *= 0.5
    return np.sum(row * row)


def alias_then_rebind(W):
    v = W[2]
    v = v * 1.0
    v *= 0.5
    return np.sum(W * W) + np.sum(v)


def rebound_out_of_place(y):
    b = np.flip(y)
    y = y / 2.0
    return np.sum(np.sin(b)) + np.sum(y)


def view_made_after_the_write(x):
    y = x * 2.0
    y *= 3.0
    z = y[1:]
    return np.sum(z * x[1:])


def transposed_argument_scaled(W):
    W = W.T
    W *= 2.0
    return np.sum(W * W)


def second_name_not_read_again(x):
    y = x * 2.0
    z = y
    y += 1.0
    return np.sum(y * x)


def numbers_are_never_changed_in_place(x):
    s = np.sum(x)
    t = s
    s += 1.0
    first = x[0]
    first *= 3.0
    return s * t + first * x[0]


def float_argument(a, x):
    b = a
    a += 1.0
    return a * b * np.sum(x)


def alias_rebound_before_it_is_read(x):
    y = x * 1.0
    prev = y
    for i in range(3):
        y *= 1.5  # prev is the same array, but it is rebound before anything reads it
        prev = y
        y = y + x
    return np.sum(prev * y)


def fresh_array_per_iteration(x):
    out = []
    for i in range(3):
        v = x * (i + 1.0)
        v += 1.0
        out.append(v)
    return np.sum(np.stack(out) ** 2)


def shape_read_after_the_write(W):
    r = W[1:]
    r *= 2.0
    return np.sum(r) * W.shape[0] + len(W)


def dict_constant_entry_augmented(x):
    d = {"b": -0.45}
    d["b"] += np.sum(x)
    return d["b"] * d["b"]


def dict_computed_entry_augmented(x):
    d = {"b": 0.0 * x[0]}
    d["b"] += np.sum(x)
    return d["b"] * 2.0


def dict_constant_entry_augmented_in_a_loop(x):
    d = {"b": -0.45, "c": 1.0}
    for i in range(3):
        d["b"] += np.sum(x) * d["c"]
        d["c"] *= 0.5
    return d["b"] * d["c"]


@pytest.mark.parametrize(
    "f, args",
    [
        (copied_row, (W0,)),
        (view_written_base_unread, (W0,)),
        (alias_then_rebind, (W0,)),
        (rebound_out_of_place, (X0,)),
        (view_made_after_the_write, (X0,)),
        (transposed_argument_scaled, (W0,)),
        (second_name_not_read_again, (X0,)),
        (numbers_are_never_changed_in_place, (X0,)),
        (fresh_array_per_iteration, (X0,)),
        (alias_rebound_before_it_is_read, (X0,)),
        (shape_read_after_the_write, (W0,)),
        (dict_constant_entry_augmented, (X0,)),
        (dict_computed_entry_augmented, (X0,)),
        (dict_constant_entry_augmented_in_a_loop, (X0,)),
    ],
    ids=lambda v: v.__name__ if callable(v) else "",
)
def test_writes_nothing_else_sees_compile(f, args):
    check(f, *args)


def test_float_arguments_are_rebound_not_changed():
    check(float_argument, 0.7, X0)


# ------------------------------------------------------------------ messages use the user's names


def _safe_view(x):
    tmp = x * 3.0
    v = tmp[0:2]
    return np.sum(v)


def _scaled_view(x, k):
    tmp = x * k
    v = tmp[0:2]
    tmp *= 2.0  # refused
    return np.sum(v)


def second_helper_with_the_same_names(x):
    return _safe_view(x) + _scaled_view(x, 2.0)


def test_messages_name_a_helpers_own_variables_not_their_renamed_copies():
    refused(second_helper_with_the_same_names, X0, match="'v' may share memory with 'tmp'", at=_scaled_view)
    with pytest.raises(TransformError) as info:
        srcgrad.grad(second_helper_with_the_same_names)(X0)
    assert "_2" not in info.value.message


def _listed(x):
    parts = [x, x * 2.0]
    return np.sum(parts[1])


def _listed_then_rebound(x):
    parts = [x]
    parts = 3.0
    return np.sum(x) * parts


def list_rebound_in_a_second_helper(x):
    return _listed(x) + _listed_then_rebound(x)


def test_a_refusal_inside_a_second_helper_names_the_users_variable():
    with pytest.raises(TransformError) as info:
        srcgrad.grad(list_rebound_in_a_second_helper)(X0)
    assert "'parts' holds a list" in info.value.message


# ------------------------------------------------------------------ more shapes a fuzzer would try


def chosen_by_a_condition(W):
    v = W[0] if np.sum(W) > 0.0 else W[1]
    v *= 3.0  # refused
    return np.sum(W**2)


def chosen_then_copied(W):
    v = W[0] if np.sum(W) > 0.0 else W[1]
    v = v * 2.0
    v *= 3.0
    return np.sum(W**2) + np.sum(v)


def _rows(A):
    return A[0], A[1]


def tuple_of_views_from_a_helper(W):
    a, b = _rows(W)
    b += 1.0  # refused
    return np.sum(W**2)


def _identity(a):
    return a


def identity_helper(x):
    y = _identity(x)
    y *= 2.0  # refused
    return np.sum(x * y)


def full_slice(x):
    y = x[:]
    y -= 1.0  # refused
    return np.sum(x**2)


def double_transpose(W):
    t = W.T.T
    t *= 2.0  # refused
    return np.sum(W**2)


def reshape_minus_one(W):
    r = np.reshape(W, -1)
    r *= 2.0  # refused
    return np.sum(W**2)


def atleast_1d(x):
    r = np.atleast_1d(x)
    r *= 2.0  # refused
    return np.sum(x**2)


def view_made_in_a_branch(x):
    y = x * 1.0
    v = y
    if np.sum(x) > 0.0:
        v = y[1:]
    y *= 2.0  # refused
    return np.sum(v)


def write_in_an_elif(x):
    y = x * 1.0
    v = y[::2]
    if np.sum(x) > 10.0:
        y = y * 2.0
    elif np.sum(x) > 0.0:
        y += 1.0  # refused
    return np.sum(v * v)


def zipped_rows(W, V):
    total = 0.0
    for w, v in zip(W, V):
        w *= 2.0  # refused
        total = total + np.sum(w * v)
    return total + np.sum(W)


def enumerated_rows(W):
    total = 0.0
    for i, row in enumerate(W):
        row += i  # refused
        total = total + np.sum(row)
    return total + np.sum(W)


def loop_with_break(x):
    y = x * 1.0
    v = y[0:2]
    for i in range(5):
        if i == 2:
            break
        y *= 1.1  # refused
    return np.sum(v)


def comprehension_of_rows(W):
    rows = [W[i] for i in range(2)]
    r = rows[0]
    r *= 2.0  # refused
    return np.sum(W**2)


def alias_rebound_in_a_loop(x):
    total = 0.0
    for i in range(3):
        v = x[0:2]
        v = v + 1.0
        v *= 2.0
        total = total + np.sum(v * x[0:2])
    return total


def view_of_a_fresh_array_read_before_the_write(x):
    y = x * 2.0
    v = y[1:]
    s = np.sum(v * v)
    y *= 3.0
    return s + np.sum(y)


def in_place_on_the_result_of_arithmetic(x):
    y = x + 0.0
    y *= 2.0
    return np.sum(x * y)


@pytest.mark.parametrize(
    "f, args",
    [
        (chosen_by_a_condition, (W0,)),
        (tuple_of_views_from_a_helper, (W0,)),
        (identity_helper, (X0,)),
        (full_slice, (X0,)),
        (double_transpose, (W0,)),
        (reshape_minus_one, (W0,)),
        (atleast_1d, (X0,)),
        (view_made_in_a_branch, (X0,)),
        (write_in_an_elif, (X0,)),
        (zipped_rows, (W0, W0 * 2.0)),
        (enumerated_rows, (W0,)),
        (loop_with_break, (X0,)),
        (comprehension_of_rows, (W0,)),
    ],
    ids=lambda v: v.__name__ if callable(v) else "",
)
def test_fuzzer_shapes_are_refused(f, args):
    refused(f, *args, match="is used after .* is written into in place")


@pytest.mark.parametrize(
    "f, args",
    [
        (chosen_then_copied, (W0,)),
        (alias_rebound_in_a_loop, (X0,)),
        (view_of_a_fresh_array_read_before_the_write, (X0,)),
        (in_place_on_the_result_of_arithmetic, (X0,)),
    ],
    ids=lambda v: v.__name__ if callable(v) else "",
)
def test_fuzzer_shapes_that_compile(f, args):
    check(f, *args)


def halve_then_recurse(x, n):
    if n == 0:
        return np.sum(x * x)
    x *= 0.5  # refused
    return halve_then_recurse(x, n - 1) + np.sum(x)


def test_a_recursive_function_changing_its_argument_in_place_is_refused():
    with pytest.raises(TransformError, match="function that calls itself") as info:
        srcgrad.grad(halve_then_recurse)(X0.copy(), 2)
    assert info.value.filename == __file__
    with pytest.raises(TransformError, match="function that calls itself"):
        srcgrad.jvp(halve_then_recurse)(X0.copy(), 2, np.ones(4))


def _scaled_then_written(a):
    a = a * 1.0
    a *= 1.42
    a[0] = a[0] + 1.0
    return a


def _squash(a):
    return np.tanh(a)


def index_write_in_a_helper_after_a_rebinding(x):
    return np.sum(_scaled_then_written(_squash(x)) ** 2)


def test_an_index_write_into_a_helpers_rebound_parameter_compiles():
    # the parameter's binding to the caller's value is gone once `a = a * 1.0` rebinds it
    check(index_write_in_a_helper_after_a_rebinding, X0)


# ------------------------------------------------------------------ arguments that share memory, array defaults


def write_one_argument_read_the_other(a, b):
    a *= 2.0  # refused
    return np.sum(a * b)


def test_the_same_array_passed_twice_is_one_memory():
    W = W0.copy()
    with pytest.raises(TransformError, match="'b' may share memory with 'a'") as info:
        srcgrad.grad(write_one_argument_read_the_other)(W, W)
    assert info.value.filename == __file__
    with pytest.raises(TransformError, match="'b' may share memory with 'a'"):
        srcgrad.jvp(write_one_argument_read_the_other)(W, W[::-1], np.ones_like(W))  # a view of it
    # separate arrays: Python changes only a, and the compiler agrees (sum(2 a b): 2 b and 2 a)
    a, b = W0.copy(), 2.0 * W0
    np.testing.assert_allclose(srcgrad.grad(write_one_argument_read_the_other, wrt=(0, 1))(a, b), (2 * b, 2 * a))
    value, tangent = srcgrad.jvp(write_one_argument_read_the_other)(a, b, np.ones_like(a))
    np.testing.assert_allclose((value, tangent), (np.sum(2 * a * b), np.sum(2 * b)))


def accumulate_into_a_default(x, acc=np.zeros(4)):  # noqa: B008 (the mistake this test is about)
    acc += x  # refused
    return np.sum(acc * x)


def test_an_array_default_changed_in_place_is_refused():
    with pytest.raises(TransformError, match="default value of 'acc'") as info:
        srcgrad.grad(accumulate_into_a_default)(X0)
    assert info.value.filename == __file__


def dict_constant_entry_updated_from_itself(x):
    d = {"a": 0.14, "b": 0.21}
    d["b"] -= 0.5 * d["b"]
    d["a"] *= d["b"] + np.sum(x)
    return d["a"] * np.sum(x * x) + d["b"]


def test_a_constant_dict_item_updated_from_itself():
    check(dict_constant_entry_updated_from_itself, X0)  # was UnboundLocalError in generated code


# ------------------------------------------------------------------ calls numpy answers with the argument itself


def nan_to_num_without_a_copy(x):
    y = x * 1.0
    z = np.nan_to_num(y, copy=False)  # numpy returns y itself
    y *= 2.0  # refused
    return np.sum(z * z)


def nan_to_num_copy_given_positionally(x):
    y = x * 1.0
    z = np.nan_to_num(y, False)
    y *= 2.0  # refused
    return np.sum(z * z)


def diff_of_order_zero(x):
    y = x * 1.0
    z = np.diff(y, n=0)  # numpy returns y itself
    y *= 2.0  # refused
    return np.sum(z * z)


def diff_of_order_zero_given_positionally(x):
    y = x * 1.0
    z = np.diff(y, 0)
    y[1] = 3.0 * y[2]  # refused
    return np.sum(z * z)


def matrix_power_one(x):
    y = x.reshape(2, 2) * 1.0
    z = np.linalg.matrix_power(y, 1)  # numpy returns y itself
    y *= 2.0  # refused
    return np.sum(z * z)


def linalg_diagonal(x):
    y = x.reshape(2, 2) * 1.0
    z = np.linalg.diagonal(y)  # a view
    y *= 2.0  # refused
    return np.sum(z * z)


def linalg_matrix_transpose(x):
    y = x.reshape(2, 2) * 1.0
    z = np.linalg.matrix_transpose(y)  # a view
    y *= 2.0  # refused
    return np.sum(z * z)


def transpose_method(x):
    y = x.reshape(2, 2) * 1.0
    z = y.transpose()  # a view
    y *= 2.0  # refused
    return np.sum(z * z)


def transpose_function(x):
    y = x.reshape(2, 2) * 1.0
    z = np.transpose(y, (1, 0))  # a view
    y[0] = y[1] * 2.0  # refused
    return np.sum(z * z)


SAME_OR_VIEW = [
    nan_to_num_without_a_copy,
    nan_to_num_copy_given_positionally,
    diff_of_order_zero,
    diff_of_order_zero_given_positionally,
    matrix_power_one,
    linalg_diagonal,
    linalg_matrix_transpose,
    transpose_method,
    transpose_function,
]


@pytest.mark.parametrize("f", SAME_OR_VIEW, ids=lambda f: f.__name__)
def test_an_argument_returned_itself_or_as_a_view_then_written_is_refused(f):
    """numpy gives back the array (or a view of it), so the write changes z too; np.nan_to_num and np.diff
    were taken for copies, and the gradient silently missed the write."""
    refused(f, X0)


def nan_to_num_with_a_copy(x):
    y = x * 1.0
    z = np.nan_to_num(y, copy=True)
    y *= 2.0
    return np.sum(z * z) + np.sum(y * x)


def diff_of_order_one(x):
    y = x * 1.0
    z = np.diff(y, 1)
    y *= 2.0
    return np.sum(z * z) + np.sum(y * x)


def diff_of_order_two(x):
    y = x * 1.0
    z = np.diff(y, n=2)
    y[0] = 2.0 * y[3]
    return np.sum(z * z) + np.sum(y * x)


@pytest.mark.parametrize("f", [nan_to_num_with_a_copy, diff_of_order_one, diff_of_order_two], ids=lambda f: f.__name__)
def test_the_same_calls_making_a_new_array_compile(f):
    check(f, X0)


def _sample_arrays():
    rng = np.random.default_rng(0)
    return [
        rng.normal(size=5),
        rng.normal(size=(3, 3)),
        rng.normal(size=(2, 3, 4)),
        np.asfortranarray(rng.normal(size=(3, 2))),
        np.arange(6),
        np.arange(6).reshape(2, 3),
        np.array([True, False, True]),
        np.array(2.0),
        rng.normal(size=(1, 3)),
        np.zeros(0),
        rng.normal(size=(2, 2)) + 1j,
    ]


def _calls(a):
    """Argument lists for a function of ``a``: alone, with a second array, with small integers and tuples."""
    for extra in [(), (0,), (1,), (-1,), (None,), (0, 1), (True,), (False,), ((0,),), ((1, 1),), (2,)]:
        yield (a,) + extra
        yield (a, a) + extra
        yield (a, np.ones_like(a)) + extra
        yield ([a],) + extra


KEYWORDS = [{}, {"axis": 0}, {"axis": -1}, {"keepdims": True}, {"decimals": 0}, {"k": 0}, {"axes": 0}]


@pytest.mark.filterwarnings("ignore")
def test_every_function_the_aliasing_pass_trusts_to_make_a_new_array_does():
    """numpy itself decides: for each function in the list, across arrays and argument patterns, the
    result shares no memory with any argument (np.diff, np.nan_to_num, np.linalg.diagonal did)."""
    arrays = _sample_arrays()
    sharing = []
    for fn in memory.new_array_functions():
        for a in arrays:
            for args in _calls(a):
                if memory.out_given_positionally(fn, len(args)):
                    continue  # np.fix(y, z): refused by the compiler (test_out_given_positionally_is_refused)
                for kwargs in KEYWORDS:
                    try:
                        result = fn(*args, **kwargs)
                    except Exception:  # noqa: BLE001 (an argument pattern the function does not take)
                        continue
                    inputs = [x for arg in args for x in (arg if isinstance(arg, list) else [arg])]
                    for r in result if isinstance(result, (tuple, list)) else [result]:
                        if isinstance(r, np.ndarray) and any(
                            isinstance(x, np.ndarray) and np.shares_memory(r, x) for x in inputs
                        ):
                            sharing.append((getattr(fn, "__name__", fn), a.shape, len(args), kwargs))
    assert not sharing, sharing[:5]


@pytest.mark.parametrize(
    "fn, values",
    [
        (np.diff, [0, 1, 2, 3]),
        (np.nan_to_num, [True, False, None, 0, 1]),
        (np.linalg.matrix_power, [-1, 0, 1, 2]),
        (np.array, [True, False, None]),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_calls_that_return_their_argument_for_some_values_are_told_apart(fn, values):
    name, position, _ = memory.ARGUMENT_DEPENDENT[fn]
    a = np.array([[0.5, 0.2], [0.1, 0.9]])
    for v in values:
        new = not np.shares_memory(fn(a, **{name: v}), a)
        assert memory.makes_new_array(fn, [None], {name: ast.Constant(value=v)}) == new, (name, v)
        if position is not None:
            assert np.shares_memory(fn(a, v), a) != new
            assert memory.makes_new_array(fn, [None, ast.Constant(value=v)]) == new, (name, v)
    assert not memory.makes_new_array(fn, [None], {name: None})  # a value known only at run time: may share
    if fn is not np.linalg.matrix_power:
        assert memory.makes_new_array(fn, [None])  # the default makes a copy


# ------------------------------------------------------------------ numpy's out given positionally


def ufunc_out_given_positionally(x):
    y = x * 1.0
    w = np.multiply(y, 2.0, y)  # refused
    return np.sum(y * x) + np.sum(w)


def clip_out_given_positionally(x):
    y = x * 1.0
    z = x * 3.0
    w = np.clip(y, -0.5, 0.5, z)  # refused
    return np.sum(z * x) + np.sum(w)


def method_out_given_positionally(x):
    y = x * 1.0
    z = np.zeros(())
    w = y.sum(0, None, z)  # refused
    return z * np.sum(x) + w


@pytest.mark.parametrize(
    "f",
    [ufunc_out_given_positionally, clip_out_given_positionally, method_out_given_positionally],
    ids=lambda f: f.__name__,
)
def test_out_given_positionally_is_refused(f):  # np.multiply(y, 2.0, y) was a silently wrong gradient
    refused(f, X0, match="numpy's out")


# ------------------------------------------------------------------ a helper writing into its own copy, anywhere


def _scaled_copy(a):
    a = a * 1.0
    a *= 1.16
    a[0] = a[0] + 1.0
    return a


def helper_copy_written_in_a_branch(u):
    if np.sum(u) > 0.0:
        v = _scaled_copy(np.sqrt(u * u + 1.0))
    else:
        v = u
    return np.sum(v * u)


def helper_copy_written_in_a_loop(u):
    total = 0.0
    for k in range(2):
        total = total + np.sum(_scaled_copy(u * (k + 1.0)) * u)
    return total


def helper_copy_written_in_a_conditional_expression(u):
    v = _scaled_copy(u) if np.sum(u) > 0.0 else u * 2.0
    return np.sum(np.sin(v) * u)


def copy_then_written_in_a_branch(u):
    y = u * 2.0
    if np.sum(u) > 0.0:
        z = y
        z = z * 1.0
        z[1] = 3.0 * z[0]
        y = y + z
    return np.sum(y * u)


@pytest.mark.parametrize(
    "f",
    [
        helper_copy_written_in_a_branch,
        helper_copy_written_in_a_loop,
        helper_copy_written_in_a_conditional_expression,
        copy_then_written_in_a_branch,
    ],
    ids=lambda f: f.__name__,
)
def test_a_copy_written_into_inside_a_branch_or_loop_compiles(f):
    """The helper's parameter names the caller's array until a = a * 1.0 rebinds it: the write goes into the
    copy (was refused as 'may share its memory' when the call was in a branch or loop; tools/fuzz.py seed 5)."""
    check(f, X0)


def second_name_written_in_a_branch(u):
    y = u * 2.0
    if np.sum(u) > 0.0:
        z = y * 1.0
        if u[0] > 0.0:
            z = y
        z[1] = 3.0  # refused
    return np.sum(y * u)


def test_a_second_name_from_a_nested_branch_is_still_refused():
    refused(second_name_written_in_a_branch, X0, match="may share")


def written_into_a_new_array_of_a_value(x):
    v = np.outer(x, x)
    w = np.array(v)  # a copy
    w[1] += np.sin(x)
    u = np.dot(v, x)
    u[0] = 2.0 * u[3]
    return np.sum(v**2) + np.sum(w**2) + np.sum(u * x)


def test_index_writes_into_new_arrays_compile():
    """np.array(v), np.dot(...) make new arrays: an index write into them is fine (was refused as 'may share
    its memory'; tools/fuzz.py seed 7)."""
    check(written_into_a_new_array_of_a_value, X0)


def written_into_an_array_made_without_a_copy(x):
    v = np.outer(x, x)
    w = np.array(v, copy=False)  # v itself
    w[1] = np.sin(x)  # refused
    return np.sum(v**2)


def written_into_astype_without_a_copy(x):
    v = np.outer(x, x)
    w = v.astype(np.float64, copy=False)  # v itself
    w[1] = np.sin(x)  # refused
    return np.sum(v**2)


@pytest.mark.parametrize(
    "f", [written_into_an_array_made_without_a_copy, written_into_astype_without_a_copy], ids=lambda f: f.__name__
)
def test_index_writes_into_the_same_array_are_refused(f):
    refused(f, X0, match="may share")


def rounded_index_written(w, idx):
    k = np.round(idx)
    k += 1  # refused
    return np.sum(w[idx] ** 2)


def test_rounding_an_integer_array_may_return_the_array_itself():
    """numpy before 2.3 (the version Python 3.10 gets) returns an integer array itself from ``np.round``, so
    ``k += 1`` moves ``idx`` too; treating ``k`` as a new array gave w's gradient at the old indices."""
    refused(rounded_index_written, np.linspace(1.0, 2.0, 5), np.array([0, 1, 2]), match="'idx' may share memory")
