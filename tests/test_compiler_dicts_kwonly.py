"""Keyword-only parameters of inlined helpers; loops over the keys of dicts; list arguments of arrays."""

import numpy as np
import pytest

import srcgrad
from corpus.harness import check_grad_and_jvp as check
from corpus.harness import fd_grad as numeric_grad
from srcgrad.errors import TransformError

X = np.array([0.5, -0.7, 0.9])


# ---------------------------------------------------------------- keyword-only parameters of helpers


def _scaled(x, *, c=1.5):
    return np.sin(x) * c


def _weighted(x, w=2.0, *, c, shift=0.5):
    return x * w * c + shift


def keyword_only_default(x):
    return np.sum(_scaled(x))


def keyword_only_passed(x):
    return np.sum(_scaled(x, c=2.0))


def keyword_only_with_an_array(x):
    return np.sum(_scaled(x, c=x) ** 2)


def keyword_only_without_a_default(x):
    return np.sum(_weighted(x, c=3.0) * _weighted(x, 1.0, shift=x, c=x))


def nested_keyword_only(x):
    def h(y, *, k=3.0, m):
        return y * k * m

    g = lambda y, *, k=2.0: y**k  # noqa: E731
    return np.sum(h(x, m=0.5)) + np.sum(g(x)) + np.sum(g(x, k=3.0))


@pytest.mark.parametrize(
    "f",
    [
        keyword_only_default,
        keyword_only_passed,
        keyword_only_with_an_array,
        keyword_only_without_a_default,
        nested_keyword_only,
    ],
)
def test_helper_with_keyword_only_parameters(f):
    check(f, X)


def _needs_c(x, *, c):
    return x * c


def keyword_only_missing(x):
    return np.sum(_needs_c(x))


def keyword_only_misspelt(x):
    return np.sum(_scaled(x, d=2.0))


def keyword_only_given_positionally(x):
    return np.sum(_scaled(x, 2.0))


@pytest.mark.parametrize(
    "f, message",
    [
        (keyword_only_missing, "missing keyword-only argument 'c'"),
        (keyword_only_misspelt, "unexpected or repeated keyword argument 'd'"),
        (keyword_only_given_positionally, "too many arguments"),
    ],
)
def test_wrong_calls_of_a_keyword_only_helper_are_refused_at_the_call(f, message):
    with pytest.raises(TransformError, match=message) as info:
        srcgrad.grad(f)(X)
    assert "test_compiler_dicts_kwonly.py, line" in str(info.value)


def _shifted(x, *, c=1.0):
    return x * c


def uses_shifted(x):
    return np.sum(_shifted(x))


def test_changed_keyword_only_defaults_of_a_helper_give_a_fresh_gradient():
    saved = _shifted.__kwdefaults__
    try:
        df, jf = srcgrad.grad(uses_shifted), srcgrad.jvp(uses_shifted)
        np.testing.assert_allclose(df(X), np.ones(3))
        _shifted.__kwdefaults__ = {"c": 2.0}  # reassigned
        np.testing.assert_allclose(df(X), 2 * np.ones(3))
        assert jf(X, np.ones(3))[1] == pytest.approx(6.0)
        _shifted.__kwdefaults__["c"] = 3.0  # set in place
        np.testing.assert_allclose(df(X), 3 * np.ones(3))
        assert jf(X, np.ones(3))[1] == pytest.approx(9.0)
    finally:
        _shifted.__kwdefaults__ = saved


def _power(x, p=2.0):
    return x**p


def uses_power(x):
    return np.sum(_power(x))


def test_changed_defaults_of_a_helper_give_a_fresh_gradient():
    saved = _power.__defaults__
    try:
        df = srcgrad.grad(uses_power)
        np.testing.assert_allclose(df(X), 2 * X)
        _power.__defaults__ = (3.0,)
        np.testing.assert_allclose(df(X), 3 * X**2)
    finally:
        _power.__defaults__ = saved


# ---------------------------------------------------------------- loops over the keys of a dict


def keys_of_a_dict_built_here(x):
    d = {"a": x * 1.0, "b": x}
    for k in d:
        d[k] = d[k] * 2.0
    return np.sum(d["a"] * d["b"])


def items_and_values_of_a_dict_built_here(x):
    d = {"a": np.sin(x), "b": x * x, "n": 3.0}
    total = 0.0
    for k, v in d.items():
        total = total + np.sum(v * d["a"]) * (2.0 if k == "b" else 1.0)
    for v in d.values():
        total = total + np.sum(np.tanh(v))
    for k in d.keys():
        d[k] = d[k] * 0.5
    return total + np.sum(d["a"] * d["b"]) + (1.0 if k == "n" else 0.0)  # k is the last key after the loop


def _total_of(d):
    s = 0.0
    for k in d:
        s = s + np.sum(d[k] ** 2)
    return s


def dict_passed_to_a_helper_that_loops(x):
    return _total_of({"p": np.cos(x), "q": x})


def nested_function_reads_the_key(x):
    d = {"a": x, "b": x * x}
    total = 0.0
    for k in d:
        f = lambda y, k=k: y * (2.0 if k == "a" else 3.0)  # noqa: E731
        total = total + np.sum(f(d[k])) + len([k for k in range(2)])
    return total


@pytest.mark.parametrize(
    "f",
    [
        keys_of_a_dict_built_here,
        items_and_values_of_a_dict_built_here,
        dict_passed_to_a_helper_that_loops,
        nested_function_reads_the_key,
    ],
)
def test_loop_over_a_dict_built_in_the_function(f):
    check(f, X)


def loop_over_dict_argument(p, x):
    s = 0.0
    for k, v in p.items():
        s = s + np.sum(np.sin(v * x)) * (2.0 if k == "W" else 1.0)
    for v in p.values():
        s = s + np.sum(v**2)
    for k in p:
        x = x * p[k]
    return s + np.sum(x)


P = {"W": np.full((2, 3), 0.5), "b": np.linspace(0.5, 1.5, 6).reshape(2, 3), "n": 2.0}
XP = np.linspace(-1.0, 1.0, 6).reshape(2, 3)


@pytest.mark.parametrize("order", [("W", "b", "n"), ("n", "b", "W")])
def test_loop_over_a_dict_argument(order):
    p = {k: P[k] for k in order}  # another order of keys is another specialisation, unrolled in that order
    got = srcgrad.grad(loop_over_dict_argument)(p, XP)
    assert list(got) == list(order)
    for key in ("W", "b"):

        def f(v):
            return loop_over_dict_argument({**p, key: v}, XP)

        np.testing.assert_allclose(got[key], numeric_grad(f, (p[key],), 0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(
        srcgrad.grad(loop_over_dict_argument, wrt=1)(p, XP),
        numeric_grad(loop_over_dict_argument, (p, XP), 1),
        rtol=1e-5,
        atol=1e-7,
    )
    tangent = {"W": np.ones((2, 3)), "b": np.linspace(0, 1, 6).reshape(2, 3), "n": 0.0}
    value, out = srcgrad.jvp(loop_over_dict_argument)(p, XP, tangent)
    assert np.isclose(value, loop_over_dict_argument(p, XP))
    expected = sum(np.sum(got[k] * tangent[k]) for k in ("W", "b"))
    assert np.isclose(out, expected)


def break_in_a_dict_loop(x):
    d = {"a": x, "b": x * 2.0}
    s = 0.0
    for k in d:
        s = s + np.sum(d[k])
        if s > 1.0:
            break
    return s


def key_added_in_a_dict_loop(x):
    d = {"a": x}
    for k in d:
        d["b"] = d[k] * 2.0
    return np.sum(d["b"])


def key_maybe_missing(x):
    d = {"a": x}
    if np.sum(x) > 0:
        d["b"] = x * 2.0
    s = 0.0
    for k in d:
        s = s + np.sum(d[k])
    return s


def loop_variable_assigned(x):
    d = {"a": x}
    s = 0.0
    for k in d:
        s = s + np.sum(d[k])
        k = "b"
    return s


def dict_in_enumerate(x):
    d = {"a": x, "b": x * x}
    s = 0.0
    for i, k in enumerate(d):  # unrolled: i is 0, then 1
        s = s + np.sum(d[k]) * i
    return s


def dict_in_zip(x):
    d = {"a": x}
    s = 0.0
    for k, v in zip(d, [x]):
        s = s + np.sum(d[k] * v)
    return s


def test_a_dict_in_enumerate_is_unrolled():
    np.testing.assert_allclose(srcgrad.grad(dict_in_enumerate)(X), 2 * X, rtol=1e-12)
    value, tangent = srcgrad.jvp(dict_in_enumerate)(X, np.ones_like(X))
    assert tangent == pytest.approx(np.sum(2 * X))


@pytest.mark.parametrize(
    "f, message",
    [
        (break_in_a_dict_loop, "cannot use break or continue"),
        (key_added_in_a_dict_loop, "adds keys to it"),
        (key_maybe_missing, "some of whose keys may be missing"),
        (loop_variable_assigned, "the loop variable 'k' is assigned inside the loop"),
        (dict_in_zip, "inside zip"),
    ],
)
def test_unsupported_loops_over_a_dict_are_refused_at_the_line(f, message):
    for make in (srcgrad.grad, srcgrad.jvp):
        with pytest.raises(TransformError, match=message) as info:
            make(f)(X) if make is srcgrad.grad else make(f)(X, X)
        assert "test_compiler_dicts_kwonly.py, line" in str(info.value)


def comprehension_over_a_dict(x):
    d = {"a": x * 2.0, "b": np.sin(x)}
    return np.sum(sum(d[k] for k in d) * np.stack([v for v in d.values()]))


def test_comprehension_over_a_dict():
    check(comprehension_over_a_dict, X)


# ---------------------------------------------------------------- list arguments of arrays of several shapes


def sum_over_a_list(xs):
    return sum(np.sum(np.sin(x) ** 2) for x in xs)


def first_items(xs, w):
    return np.sum(xs[0] * w) + np.sum(xs[1])


RAGGED = [np.linspace(0.1, 0.3, 3), np.linspace(-0.5, 0.5, 2)]


@pytest.mark.parametrize("container", [list, tuple])
def test_grad_of_a_list_of_arrays_of_several_shapes_is_a_list_of_their_gradients(container):
    df = srcgrad.grad(sum_over_a_list)
    np.testing.assert_allclose(
        df([RAGGED[0], RAGGED[0] * 2]), [np.sin(2 * RAGGED[0]), np.sin(4 * RAGGED[0])]
    )  # one shape: one array
    got = df(container(RAGGED))  # several shapes: one gradient per item, in a container of the same kind
    assert type(got) is container and len(got) == 2
    for g, x in zip(got, RAGGED):
        np.testing.assert_allclose(g, np.sin(2 * x), rtol=1e-12)  # d/dx sin(x)**2
    leaves = [srcgrad.tensor(x, requires_grad=True) for x in RAGGED]  # dynamic mode, item by item
    sum_over_a_list(leaves).backward()
    for g, t in zip(got, leaves):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-12)
    with pytest.raises(TransformError, match="several shapes") as info:  # its general code has one array
        df.source_for(container(RAGGED))
    assert "test_compiler_dicts_kwonly.py, line" in str(info.value)
    # the same function of one shape after it (another specialisation)
    np.testing.assert_allclose(df([RAGGED[1]]), [np.sin(2 * RAGGED[1])])


def test_grad_of_nested_lists_of_several_lengths_item_by_item():
    got = srcgrad.grad(sum_over_a_list)([[0.1, 0.2], [0.3]])
    np.testing.assert_allclose(got[0], np.sin([0.2, 0.4]), rtol=1e-12)  # d/dx sin(x)**2 = sin(2x)
    np.testing.assert_allclose(got[1], np.sin([0.6]), rtol=1e-12)
    assert [len(g) for g in got] == [2, 1]


def test_grad_of_nested_lists_of_several_lengths_is_refused_at_the_line_where_not_item_by_item():
    with pytest.raises(
        TransformError, match="with respect to 'xs', a list or tuple of arrays of several shapes"
    ) as info:
        srcgrad.grad(sum_over_a_list, checkpoint=True)([[0.1, 0.2], [0.3]])
    assert "test_compiler_dicts_kwonly.py, line" in str(info.value) and "return sum(" in str(info.value)


def test_a_list_of_arrays_of_several_shapes_that_is_not_differentiated():
    w = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(srcgrad.grad(first_items, wrt=1)(RAGGED, w), RAGGED[0])
    value, out = srcgrad.jvp(sum_over_a_list)(RAGGED, [np.ones(3), np.ones(2)])
    assert np.isclose(value, sum_over_a_list(RAGGED))
    assert np.isclose(out, sum(np.sum(np.sin(2 * x)) for x in RAGGED))


def sum_over_dict_values(xs):
    return sum(np.sum(np.sin(x) ** 2) for x in xs.values())


def test_the_suggested_dict_of_arrays_of_several_shapes():
    got = srcgrad.grad(sum_over_dict_values)({"a": RAGGED[0], "b": RAGGED[1]})
    np.testing.assert_allclose(got["a"], np.sin(2 * RAGGED[0]))
    np.testing.assert_allclose(got["b"], np.sin(2 * RAGGED[1]))
