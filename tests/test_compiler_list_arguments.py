"""The compiler on lists and tuples handed to numpy, tuples indexed by a run-time integer, and ``dict(...)``.

numpy makes an array of a list or tuple it is given (``np.sum([1.0, a * a])`` sums ``np.array([1.0, a * a])``),
so the generated code does the same where the function's rule differentiates that argument, and passes the
list or tuple as it is where it is a shape, an axis or an index. Each form is checked against central finite
differences in grad (optimized and not) and jvp. Dynamic mode cannot take these lists: numpy turns a list into
an array before any Tensor in it is seen (PyTorch's ``torch.sum`` takes no list either), so the dynamic checks
here are for the tuple and dict forms, where the two modes must agree.
"""

import numpy as np
import pytest

import srcgrad
from corpus.harness import check_grad_and_jvp as check
from corpus.harness import fd_grad
from srcgrad.errors import NoRuleError, TransformError

X = np.array([0.5, -0.7, 0.9])


# ---------------------------------------------------------------- lists and tuples given to numpy functions


def sum_of_a_list_with_constants(a):
    items = [1.0, a * a, 2.0]
    return np.sum(items)


def sum_of_a_comprehension(x):
    return np.sum([v * 3.0 + v * v for v in x])


def mean_std_var_norm_of_lists(x):
    return (
        np.mean([x[0] * x[1], np.sin(x[2])])
        + np.std([x[0], x[1] * x[2]])
        + np.var((x[0], x[2] * x[2]))
        + np.linalg.norm([x[0], x[1] * x[2]])
    )


def sum_of_a_tuple_of_arrays(x):
    return np.sum((x * 2.0, np.cos(x)))


def sum_of_a_nested_list(x):
    return np.sum(np.tanh([[x[0], x[1] * x[0]], [x[2], 1.0]]))


def dot_of_two_lists(x):
    return np.dot([x[0], x[1] * x[2]], [x[2], 2.0])


def where_choosing_from_a_list(x):
    return np.sum(np.where(x > 0, [x[0] * x[1], x[1], x[2] ** 2], 0.5))


def max_over_a_list_of_arrays(x):
    rows = [np.sin(x), x * x]
    return np.sum(np.max(rows, axis=0))


def asarray_of_a_list(x):
    return np.sum(np.asarray([x[0], x[1] * x[2]]) ** 2)


def shape_tuple_computed_in_the_function(x):
    h = np.zeros((len(x), 3))
    for t in range(len(h)):
        h[t] = x[t] * np.arange(3.0)
    return np.sum(h * h)


def reshape_to_a_computed_shape(x):
    n = len(x) - 1
    return np.sum(np.reshape(x[:2], (n, 1)) * x)


@pytest.mark.parametrize(
    "f",
    [
        sum_of_a_comprehension,
        mean_std_var_norm_of_lists,
        sum_of_a_tuple_of_arrays,
        sum_of_a_nested_list,
        dot_of_two_lists,
        where_choosing_from_a_list,
        max_over_a_list_of_arrays,
        asarray_of_a_list,
        shape_tuple_computed_in_the_function,
        reshape_to_a_computed_shape,
    ],
)
def test_list_given_to_numpy(f):
    check(f, X)


def test_list_of_a_number_and_constants():
    check(sum_of_a_list_with_constants, 1.3)
    assert srcgrad.grad(sum_of_a_list_with_constants)(1.3) == pytest.approx(2.6)


def test_the_list_becomes_an_array_in_the_generated_code():
    text = srcgrad.grad(sum_of_a_list_with_constants).source_for(1.3)
    assert "np.array(items)" in text


def test_a_list_given_by_keyword_carrying_a_derivative_is_refused():
    def f(x):
        return np.sum(a=[x[0], x[1]])

    for transform in (srcgrad.grad, srcgrad.jvp):
        with pytest.raises(TransformError, match="keyword argument a= of sum") as info:
            transform(f)(X) if transform is srcgrad.grad else transform(f)(X, X)
        assert "test_compiler_list_arguments.py, line" in str(info.value)


def test_a_list_given_to_a_function_without_a_rule_is_refused():
    def f(x):
        return np.sum(np.block([[x[0], x[1]]]))

    with pytest.raises(NoRuleError, match="block has no derivative rule"):
        srcgrad.grad(f)(X)


# ---------------------------------------------------------------- a tuple indexed when the code runs


def pick(a, b, c, i):
    items = a, b * b, c
    return items[i] * 2.0


@pytest.mark.parametrize("i", [0, 1, 2, -1])
def test_tuple_indexed_by_an_integer_argument(i):
    args = (1.3, -0.7, 0.4, i)
    for w in range(3):
        expected = fd_grad(pick, args, w)
        for optimize in (True, False):
            got = srcgrad.grad(pick, wrt=w, optimize=optimize)(*args)
            assert isinstance(got, float)
            assert got == pytest.approx(expected, abs=1e-7)
        value, tangent = srcgrad.jvp(pick, wrt=w)(*args, 0.7)
        assert value == pytest.approx(pick(*args))
        assert tangent == pytest.approx(0.7 * expected, abs=1e-7)
    # dynamic mode: the same function on Tensors
    ts = [srcgrad.tensor(v, requires_grad=True) for v in args[:3]]
    pick(*ts, i).backward()
    for w in range(3):
        grad = 0.0 if ts[w].grad is None else float(ts[w].grad)  # an unused input gets none, as in PyTorch
        assert grad == pytest.approx(srcgrad.grad(pick, wrt=w)(*args), abs=1e-12)


def test_tuple_index_out_of_range_fails_as_python_does():
    with pytest.raises(IndexError):
        srcgrad.grad(pick)(1.3, -0.7, 0.4, 3)


# ---------------------------------------------------------------- dict(...) of keywords


def saxpy(val):
    return val["a"] * val["b"] + np.sin(val["c"])


def through_dict_call(abc):
    a, b, c = abc
    return saxpy(dict(a=a * 2.0, b=b, c=c))


def through_dict_call_of_arrays(x):
    return np.sum(saxpy(dict(a=x, b=x[::-1], c=x * x)))


def test_dict_call():
    check(through_dict_call_of_arrays, X)
    args = (np.array([1.3, -0.7, 0.4]),)
    expected = fd_grad(lambda v: through_dict_call(tuple(v)), args, 0)
    np.testing.assert_allclose(srcgrad.grad(through_dict_call)((1.3, -0.7, 0.4)), expected, rtol=1e-6)
    t = srcgrad.tensor(X, requires_grad=True)
    through_dict_call_of_arrays(t).backward()
    np.testing.assert_allclose(t.grad.numpy(), srcgrad.grad(through_dict_call_of_arrays)(X), rtol=1e-12)


# ---------------------------------------------------------------- the outputs of np.split kept under a name


def halves_kept_under_a_name(x):
    parts = np.array_split(x, 3)
    return np.sum(parts[0] * 2.0) + np.sum(parts[2] ** 2) - np.sum(parts[1] * parts[1][::-1])


def test_outputs_of_split_kept_under_a_name():
    x = np.linspace(-1.0, 1.2, 7)
    check(halves_kept_under_a_name, x)
    t = srcgrad.tensor(x, requires_grad=True)
    halves_kept_under_a_name(t).backward()
    np.testing.assert_allclose(t.grad.numpy(), srcgrad.grad(halves_kept_under_a_name)(x), rtol=1e-12)


# ---------------------------------------------------------------- a string argument is written into the code


def contract(a, b, subscripts):
    return np.sum(np.einsum(subscripts, a, b) ** 2)


@pytest.mark.parametrize("subscripts", ["ij,jk->ik", "ij,jk->ki", "ij,kj->ik"])
def test_einsum_subscripts_given_as_an_argument(subscripts):
    rng = np.random.default_rng(3)
    a = rng.normal(size=(3, 4))
    b = rng.normal(size=(4, 4))
    for w in (0, 1):
        check(contract, a, b, subscripts, wrt=w)
    text = srcgrad.grad(contract).source_for(a, b, subscripts)
    assert f"np.einsum('{subscripts}', a, b)" in text
    ta, tb = srcgrad.tensor(a, requires_grad=True), srcgrad.tensor(b, requires_grad=True)
    contract(ta, tb, subscripts).backward()
    got = srcgrad.grad(contract, wrt=(0, 1))(a, b, subscripts)
    np.testing.assert_allclose(ta.grad.numpy(), got[0], rtol=1e-10)
    np.testing.assert_allclose(tb.grad.numpy(), got[1], rtol=1e-10)


def test_one_gradient_function_serves_several_strings():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    df = srcgrad.grad(contract)
    first, second = df(a, b, "ij,jk->ik"), df(a, b, "ij,kj->ik")
    np.testing.assert_allclose(first, fd_grad(contract, (a, b, "ij,jk->ik"), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(second, fd_grad(contract, (a, b, "ij,kj->ik"), 0), rtol=1e-6, atol=1e-8)
    assert not np.allclose(first, second)


def test_a_string_argument_the_function_rebinds_is_not_written_in():
    def f(x, mode):
        if mode == "double":
            mode = "twice"
        return x * 2.0 if mode == "twice" else x * 3.0

    for mode, slope in (("double", 2.0), ("triple", 3.0)):
        assert srcgrad.grad(f)(1.5, mode) == pytest.approx(slope)


def _ragged_loss(lst):
    return np.sum(np.sin(lst[0])) + np.sum(np.cos(lst[1]))


DF_RAGGED = srcgrad.grad(_ragged_loss)


def _calls_the_ragged_gradient(lst, u):
    return DF_RAGGED(lst, dout=u)


def test_a_jvp_through_the_gradient_of_a_ragged_list_argument():
    """The gradient with respect to a list of arrays of several shapes is a list (one gradient per item); a
    function passing it on is differentiated forward item by item (the specialisation knows the list's length)."""
    ragged = [np.array([0.2, -0.4, 0.9]), np.array([0.5, 1.5])]
    got = DF_RAGGED(ragged)
    np.testing.assert_allclose(got[0], np.cos(ragged[0]), rtol=1e-12)
    np.testing.assert_allclose(got[1], -np.sin(ragged[1]), rtol=1e-12)
    tangents = [np.array([1.0, 2.0, -1.0]), np.array([0.5, 0.25])]
    value, tangent = srcgrad.jvp(_calls_the_ragged_gradient, wrt=0)(ragged, 1.3, tangents)
    np.testing.assert_allclose(value[0], 1.3 * np.cos(ragged[0]), rtol=1e-12)
    np.testing.assert_allclose(tangent[0], -1.3 * np.sin(ragged[0]) * tangents[0], rtol=1e-12)
    np.testing.assert_allclose(tangent[1], -1.3 * np.cos(ragged[1]) * tangents[1], rtol=1e-12)
