"""Findings of the hunt for wrong gradients in numpy calls written as users write them: keyword arguments,
``axis=None``, array methods with numpy's options (``tools/fuzz.py`` and the ``calls`` family of
``tests/fuzzing/calls.py``; see docs/testing.md).

Each test is a short program, checked in every mode that has it against central finite differences, or
against the refusal it must give (a srcgrad error naming the user's file, line and the keyword). A bug not
fixed yet is a strict xfail whose reason says what is wrong.
"""

import numpy as np
import pytest

import srcgrad
from corpus.harness import check_grad_and_jvp, fd_grad
from srcgrad.errors import NoRuleError, TransformError
from test_fuzz_findings3 import module

M = np.array([[0.3, -0.7, 1.1], [0.45, 0.2, -0.4]])
W = np.arange(1.0, 7.0).reshape(2, 3)
HERE = __file__.rstrip("c")


def dynamic_gradient(f, *args, wrt=0):
    """``f``'s gradient in argument ``wrt`` on the tape."""
    args = list(args)
    t = srcgrad.tensor(np.copy(args[wrt]), requires_grad=True)
    args[wrt] = t
    f(*args).backward()
    return t.grad.detach().numpy()


def hvp_by_differences(f, args, v, wrt=0, h=1e-5):
    """``H v`` as central differences of ``srcgrad.grad`` along ``v`` (the gradient itself checked elsewhere)."""
    df = srcgrad.grad(f, wrt=wrt)

    def at(x):
        moved = list(args)
        moved[wrt] = x
        return df(*moved)

    return (at(args[wrt] + h * v) - at(args[wrt] - h * v)) / (2 * h)


# ------------------------------------------------------------- rules: np.concatenate(..., axis=None)


def concatenated_flat(x, y):
    return np.sum(np.concatenate([x, np.sin(y)], axis=None) ** 3 * np.arange(9.0))


def concatenated_flat_in_a_loop(x, y):
    parts = []
    for i in range(2):
        parts.append(x[i] * y)
    parts.append(np.tanh(x))
    return np.sum(np.concatenate(parts, axis=None) ** 2 * np.arange(12.0))


@pytest.mark.parametrize("f", [concatenated_flat, concatenated_flat_in_a_loop])
@pytest.mark.parametrize("wrt", [0, 1])
def test_concatenate_with_axis_none_flattens_each_block(f, wrt):
    # was TypeError in generated code: concat_index computed None % ndim (static mode only; the tape was right)
    args = (M, np.array([0.5, 0.6, -0.3]))
    check_grad_and_jvp(f, *args, wrt=wrt)
    np.testing.assert_allclose(dynamic_gradient(f, *args, wrt=wrt), fd_grad(f, args, wrt), rtol=1e-5, atol=1e-7)


def test_concatenate_with_axis_none_at_second_order():
    args = (M, np.array([0.5, 0.6, -0.3]))
    v = np.linspace(-0.5, 0.7, 6).reshape(2, 3)
    got = srcgrad.hvp(concatenated_flat_in_a_loop, wrt=0)(*args, v)
    np.testing.assert_allclose(got, hvp_by_differences(concatenated_flat_in_a_loop, args, v), rtol=1e-5, atol=1e-6)


# --------------------------------------- rules: keywords a derivative does not take are refused by name


def max_with_initial(x):
    return np.max(x, initial=0.0) + np.sum(x)


def sum_with_where(x):
    return np.sum(x * W, where=x > 0.0)


def prod_with_initial(x):
    return np.sum(np.prod(x, axis=0, initial=2.0))


def mean_with_where(x):
    return np.mean(x, where=np.array([True, False, True]))


KEYWORD_CASES = [
    (max_with_initial, "initial="),
    (sum_with_where, "where="),
    (prod_with_initial, "initial="),
    (mean_with_where, "where="),
]


@pytest.mark.parametrize("f, keyword", KEYWORD_CASES)
def test_a_keyword_the_rule_does_not_take_is_refused_at_the_users_line(f, keyword):
    # was TypeError "<lambda>() got an unexpected keyword argument" inside the generated code, at run time
    for make in (lambda: srcgrad.grad(f)(M), lambda: srcgrad.jvp(f)(M, np.ones_like(M))):
        with pytest.raises(TransformError) as info:
            make()
        err = info.value
        assert err.filename == HERE and err.lineno == f.__code__.co_firstlineno + 1
        assert keyword in err.message


@pytest.mark.parametrize("f, keyword", KEYWORD_CASES)
def test_a_keyword_the_rule_does_not_take_is_refused_when_recorded(f, keyword):
    # was TypeError at backward(), after the forward pass had recorded the call
    t = srcgrad.tensor(M.copy(), requires_grad=True)
    with pytest.raises(NoRuleError, match=keyword):
        f(t)
    with srcgrad.no_grad():  # nothing to differentiate: numpy's value
        assert np.isclose(float(f(srcgrad.tensor(M.copy()))), f(M))


def test_sum_with_initial_keeps_its_gradient():
    # initial= adds a constant: the rule takes it, and the gradient is the plain sum's
    def f(x):
        return np.sum(x**2, initial=2.0)

    check_grad_and_jvp(f, M)
    np.testing.assert_allclose(dynamic_gradient(f, M), 2 * M)


# -------------------------------------------------- runtime: x.reshape(..., order=) and x.ravel(order=)


def column_major(x):
    return np.sum(x.reshape(3, 2, order="F") * W.reshape(3, 2)) + np.sum(x.ravel(order="F") ** 2 * W.ravel())


def column_major_functions(x):
    return np.sum(np.reshape(x, (3, 2), order="F") ** 3 * W.reshape(3, 2)) + np.sum(np.ravel(x, "F") * W.ravel())


@pytest.mark.parametrize("f", [column_major, column_major_functions])
def test_column_major_reshapes_in_both_modes(f):
    # the Tensor methods took no order= (TypeError); static mode was right
    check_grad_and_jvp(f, M)
    np.testing.assert_allclose(dynamic_gradient(f, M), fd_grad(f, (M,), 0), rtol=1e-6, atol=1e-8)


# --------------------------------------------------- rules: np.pad in the modes that copy elements of x


def padded_wrap(u):  # fuzz 2026120702_93 (calls): was NotImplementedError in the generated code, every mode
    v1 = np.pad(u, (1, 2), mode="wrap")
    return np.sum(v1**2 * np.arange(42.0).reshape(7, 6))


def padded_symmetric(a):  # fuzz 2026120702_47 (calls)
    v2 = np.pad(a, ((0, 1),), mode="symmetric")
    return np.sum(np.sin(v2) * np.arange(16.0).reshape(4, 4))


def padded_in_a_loop(x):
    y = x
    for _ in range(2):
        y = np.tanh(np.pad(y, 1, mode="reflect"))[1:-1] * 1.5 + np.pad(y, (2, 5), mode="edge")[:3] ** 2
    return np.sum(y * np.arange(1.0, 4.0))


PAD_CASES = [
    (padded_wrap, np.linspace(-1.0, 1.1, 12).reshape(4, 3)),
    (padded_symmetric, np.linspace(-0.6, 0.4, 9).reshape(3, 3)),
    (padded_in_a_loop, np.array([0.3, -0.7, 0.5])),
]


@pytest.mark.parametrize("f, x", PAD_CASES)
def test_pad_modes_that_copy_in_both_modes(f, x):
    check_grad_and_jvp(f, x)
    np.testing.assert_allclose(dynamic_gradient(f, x), fd_grad(f, (x,), 0), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f, x", PAD_CASES)
def test_pad_modes_that_copy_at_second_order(f, x):
    v = np.linspace(0.4, -0.9, x.size).reshape(x.shape)
    want = hvp_by_differences(f, (x,), v)
    np.testing.assert_allclose(srcgrad.hvp(f)(x, v), want, rtol=1e-5, atol=1e-6)
    t = srcgrad.tensor(x.copy(), requires_grad=True)
    (g,) = srcgrad.autograd.grad(f(t), [t], create_graph=True)
    (h,) = srcgrad.autograd.grad((g * srcgrad.tensor(v)).sum(), [t])
    np.testing.assert_allclose(h.detach().numpy(), want, rtol=1e-5, atol=1e-6)


def test_a_pad_mode_that_computes_its_padding_is_refused_by_name():
    def f(x):
        return np.sum(np.pad(x, 1, mode="mean") ** 2)

    x = np.array([0.3, -0.7, 0.5])
    with pytest.raises(NotImplementedError, match="mode='mean'"):
        srcgrad.grad(f)(x)
    t = srcgrad.tensor(x, requires_grad=True)
    with pytest.raises(NotImplementedError, match="mode='mean'"):
        f(t).backward()


# ------------------------------------------------ rules: ufunc methods numpy also has as functions


def ufunc_reductions(x):
    return (
        np.sum(np.add.reduce(x * x) * np.array([1.0, 2.0, 3.0]))
        + np.sum(np.multiply.reduce(x, 1) ** 2)
        + np.sum(np.maximum.reduce(x, axis=-1, keepdims=True) * x)
        + np.sum(np.minimum.reduce(x) ** 3)
        + np.add.reduce(np.sin(x), axis=None)
    )


def ufunc_scans(x):
    return np.sum(np.add.accumulate(x) * W) + np.sum(np.multiply.accumulate(x, axis=-1) ** 2 * W)


@pytest.mark.parametrize("f", [ufunc_reductions, ufunc_scans])
def test_ufunc_methods_read_as_numpys_functions(f):
    # np.add.reduce and friends were refused in both modes ("ufunc.reduce has no derivative rule"); they are
    # np.sum, np.prod, np.max, np.min, np.cumsum, np.cumprod along axis 0 unless told otherwise
    check_grad_and_jvp(f, M)
    np.testing.assert_allclose(dynamic_gradient(f, M), fd_grad(f, (M,), 0), rtol=1e-6, atol=1e-8)
    v = np.linspace(0.4, -0.9, 6).reshape(2, 3)
    np.testing.assert_allclose(srcgrad.hvp(f)(M, v), hvp_by_differences(f, (M,), v), rtol=1e-5, atol=1e-6)


def test_a_ufunc_method_without_a_rule_is_still_refused():
    def f(x):
        return np.sum(np.maximum.accumulate(x))

    with pytest.raises(NoRuleError, match="accumulate"):
        srcgrad.grad(f)(M)
    with pytest.raises(NoRuleError, match="np.maximum.accumulate"):
        f(srcgrad.tensor(M.copy(), requires_grad=True))
    assert np.allclose(f(srcgrad.tensor(M.copy())).numpy(), f(M))  # (nothing to differentiate: numpy's value)


# ----------------------------------------------- compiler: a list holding a ragged list (open, strict xfail)


def ragged_inner_list(a):  # fuzz 2026120701_127 (shrunk): found at third order, fails at the first
    nested = [a, [a, a.reshape(2, 1)]]
    first = nested[0]
    return np.sum(first**3)


@pytest.mark.xfail(
    strict=True,
    raises=ValueError,
    reason="compiler: the zero adjoint of a list holding a list is np.zeros_like of each item, and an inner list "
    "of arrays of different shapes is no array (ValueError 'inhomogeneous shape' in the generated code); a "
    "nested list's items read by index are followed as an array's rows, so a zero of nested lists alone is "
    "not the fix",
)
def test_a_list_holding_a_ragged_list():
    a = np.array([-0.242416, -0.022608])
    check_grad_and_jvp(ragged_inner_list, a)


def test_a_list_holding_a_ragged_list_on_the_tape():
    a = np.array([-0.242416, -0.022608])
    np.testing.assert_allclose(dynamic_gradient(ragged_inner_list, a), 3 * a**2)


# --------------------------------------- compiler: a refusal at second order names the user's variable


def test_an_in_place_write_of_a_gradient_differentiated_again_names_the_users_variable(tmp_path):
    # fuzz 2026120709_12 (hvp-grad, grad3, jac-grad2): the refusal named 'dacc8', the gradient's name for the
    # derivative with respect to acc8, which the user's code does not have
    inner = module(
        tmp_path,
        "inner",
        """\
        import numpy as np
        GL6 = [np.array([1.11, 1.26]), np.array([0.67, -0.21])]
        def f(x):
            v5 = [p for p in GL6]
            acc8 = np.where(x > v5, x, v5) * 1.0
            for i7 in range(8):
                acc8 = x + i7
                acc8[i7 % 2] = 0.3
            return np.sum(acc8)
        """,
    )
    outer = module(
        tmp_path,
        "outer",
        """\
        import numpy as np
        def h(x):
            return np.sum(DF(x) * np.array([0.5, 1.5]))
        """,
        DF=srcgrad.grad(inner.f),
    )
    x = np.array([-0.782893, 0.704954])
    with pytest.raises(TransformError) as info:
        srcgrad.hvp(outer.h)(x, np.array([0.3, 1.4]))
    err = info.value
    assert (err.filename, err.lineno) == (str(tmp_path / "outer.py"), 3)
    assert "the derivative with respect to 'acc8'" in err.message and "dacc8" not in str(err)
    assert "acc8[i] = v" in str(err)  # the advice is about the user's write


def test_a_users_variable_named_like_a_derivative_keeps_its_name():
    import linecache

    from srcgrad.compiler.aliasing import _derivative_of

    key = "<srcgrad:named_like_a_derivative:1>"
    lines = ["    # line 3: dx = x * 2.0\n", "    dx = x * 2.0\n", "    # adjoint of line 3: dx = x * 2.0\n"]
    linecache.cache[key] = (0, None, lines + ["    dx_2 = dout * 2.0\n"], key)
    try:
        assert _derivative_of("dx", key) is None  # the user's dx
        assert _derivative_of("dx_2", key) == "x"  # the gradient's name for the derivative with respect to x
        assert _derivative_of("dt_3", key) is None  # a temporary's: t is nobody's variable
    finally:
        del linecache.cache[key]


# ------------------------------------------------------------- rules: np.average in static mode


def averaged(x, w):
    return np.sum(np.average(x, axis=1, weights=w) ** 2 * np.array([1.0, 2.0])) + np.average(x**2)


def averaged_with_full_weights(x, w):
    return np.average(np.sin(x), weights=w) + np.sum(np.average(x, -2, w, keepdims=True) ** 3)


@pytest.mark.parametrize(
    "f, w",
    [(averaged, np.array([0.5, 1.5, 2.0])), (averaged_with_full_weights, np.array([[0.5, 1.5, 2.0], [1.0, 0.3, 0.7]]))],
)
@pytest.mark.parametrize("wrt", [0, 1])
def test_average_with_weights_in_every_mode(f, w, wrt):
    # np.average was refused by the compiler ("no derivative rule and no Python source"): its adaptor ran only on
    # the tape; the weights' shape now comes from a helper that reads shapes only
    args = (M, w)
    check_grad_and_jvp(f, *args, wrt=wrt)
    np.testing.assert_allclose(dynamic_gradient(f, *args, wrt=wrt), fd_grad(f, args, wrt), rtol=1e-6, atol=1e-8)
    v = np.linspace(0.4, -0.9, np.size(args[wrt])).reshape(np.shape(args[wrt]))
    want = hvp_by_differences(f, args, v, wrt=wrt)
    np.testing.assert_allclose(srcgrad.hvp(f, wrt=wrt)(*args, v), want, rtol=1e-5, atol=1e-6)


def test_average_returned_is_refused_by_name():
    def f(x):
        return np.sum(np.average(x, axis=1, weights=np.ones(3), returned=True)[0])

    with pytest.raises(NotImplementedError, match="returned=True"):
        srcgrad.grad(f)(M)
    with pytest.raises(NotImplementedError, match="returned=True"):
        f(srcgrad.tensor(M.copy(), requires_grad=True))
