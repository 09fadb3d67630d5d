"""``import srcgrad.numpy as np``: numpy's namespace whose conversions take lists holding Tensors, in both modes.

Dynamic mode: ``np.array([x, 1.0, y])``, ``np.mean([x, y])``, ``np.maximum([x, 0.5], y)``, ``np.r_[x, c]``
record on the tape, with numpy's value, shape and dtype (numpy on the same numbers is the oracle) and
gradients checked against central finite differences. Static mode: ``srcgrad.grad`` reads a function
written against ``srcgrad.numpy`` as the same function written against numpy (the same generated text) and
its gradients are checked against finite differences too. Plain ``import numpy as np`` keeps refusing
(tests/test_lists_of_tensors.py).
"""

import types

import numpy
import pytest

import srcgrad
import srcgrad.numpy as np
import srcgrad.numpy.fft
import srcgrad.numpy.linalg
import srcgrad.numpy.random as npr

# Functions of two floats written against srcgrad.numpy; each returns a scalar.


def list_of_scalars(x, y):
    return np.sum(np.array([x, x * y, np.sin(y)]) ** 2)


def mixed_numbers(x, y):
    return np.sum(np.array([1.5, x, 2, y * y]) * np.array([1.0, 2.0, 3.0, 4.0]))


def nested_2d(x, y):
    a = np.array([[x, y * x], [3.0, np.cos(y)], [y, 1]])
    return np.sum(a * np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])) + np.sum(a[:, 0] * a[:, 1])


def tuples(x, y):
    return np.sum(np.array((x, y * y, x)) ** 3) + np.mean((x, np.cos(y)))


def nested_tuples(x, y):
    return np.sum(np.array(((x, y), (y * y, x))) ** 3)


def reductions_of_lists(x, y):
    return np.mean([x, y * y]) + np.std([x, y, 1.0]) + np.var((x * y, y)) + np.max([x, y, 0.25])


def sum_of_numbers_and_tensors(x, y):
    return np.sum([1, x * x, 2]) + np.prod([x, y, 3.0])


def norm_of_list(x, y):
    return np.linalg.norm([x, x + 2 * y])


def ufunc_of_list(x, y):
    return np.sum(np.maximum([x, 0.5, y], y * 0.5)) + np.sum(np.sin((x, y)))


def dtype_given(x, y):
    return np.sum(np.array([x, y], dtype=np.float32) * np.asarray([x, 2 * y], dtype=float))


def fanout(x, y):
    a = np.array([x, x * 1.0, x + 2.5])
    return np.sum(a * a) + np.dot(np.array([y, x]), [x, y])


FUNCTIONS = [
    list_of_scalars,
    mixed_numbers,
    nested_2d,
    tuples,
    reductions_of_lists,
    sum_of_numbers_and_tensors,
    norm_of_list,
    ufunc_of_list,
    dtype_given,
    fanout,
]
POINTS = [(0.5, -1.25), (1.3, 0.4)]


def _fd(f, x, y, eps=1e-6):
    return (
        (f(x + eps, y) - f(x - eps, y)) / (2 * eps),
        (f(x, y + eps) - f(x, y - eps)) / (2 * eps),
    )


def _close(got, want, rel=1e-5):
    assert got == pytest.approx(want, rel=rel, abs=1e-6)


@pytest.mark.parametrize("point", POINTS)
@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.__name__)
def test_dynamic_gradients_against_finite_differences(fn, point):
    x = srcgrad.tensor(point[0], requires_grad=True)
    y = srcgrad.tensor(point[1], requires_grad=True)
    out = fn(x, y)
    assert isinstance(out, srcgrad.Tensor) and out.requires_grad
    _close(out.item(), fn(*point))  # the floats' call is numpy's own functions
    out.backward()
    single = fn is dtype_given  # float32 values: a longer step, a looser check
    fx, fy = _fd(fn, *point, eps=1e-3 if single else 1e-6)
    tol = 1e-3 if single else 1e-5
    _close(x.grad.item(), fx, tol)
    _close(y.grad.item(), fy, tol)


STATIC = [f for f in FUNCTIONS if f not in (ufunc_of_list, dtype_given, reductions_of_lists)]


@pytest.mark.parametrize("point", POINTS)
def test_dynamic_nested_tuples(point):
    test_dynamic_gradients_against_finite_differences(nested_tuples, point)


@pytest.mark.parametrize("point", POINTS)
def test_static_nested_tuples(point):
    # np.array of a tuple of tuples holding differentiable values crashed the compiler (AttributeError:
    # 'tuple' object has no attribute 'name'); it is the list of lists written with []
    test_static_gradients_against_finite_differences(nested_tuples, point)
    test_static_gradients_against_finite_differences(_with_numpy(nested_tuples), point)
    x = srcgrad.tensor(point[0], requires_grad=True)
    y = srcgrad.tensor(point[1], requires_grad=True)
    nested_tuples(x, y).backward()
    dx, dy = srcgrad.grad(nested_tuples, wrt=(0, 1))(*point)
    _close(dx, x.grad.item(), 1e-12)
    _close(dy, y.grad.item(), 1e-12)


@pytest.mark.parametrize("point", POINTS)
@pytest.mark.parametrize("fn", STATIC, ids=lambda f: f.__name__)
def test_static_gradients_against_finite_differences(fn, point):
    dx, dy = srcgrad.grad(fn, wrt=(0, 1))(*point)
    fx, fy = _fd(fn, *point)
    _close(dx, fx)
    _close(dy, fy)


def _with_numpy(fn):
    """``fn`` itself (its code, its file and line) with ``np`` meaning numpy instead of srcgrad.numpy."""
    assert fn.__globals__["np"] is np
    return types.FunctionType(fn.__code__, {**fn.__globals__, "np": numpy}, fn.__name__)


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.__name__)
def test_static_mode_generates_the_same_code_as_with_numpy(fn):
    plain = _with_numpy(fn)
    try:
        want = srcgrad.grad(plain, wrt=(0, 1))
        want_source = want.source
    except srcgrad.TransformError as err:  # refused with numpy: refused the same way with srcgrad.numpy
        with pytest.raises(srcgrad.TransformError) as info:
            srcgrad.grad(fn, wrt=(0, 1)).source
        assert str(info.value) == str(err)
        return
    got = srcgrad.grad(fn, wrt=(0, 1))
    assert got.source == want_source
    assert "srcgrad.numpy" not in got.source and "accepting" not in got.source
    assert got(*POINTS[0]) == pytest.approx(want(*POINTS[0]), rel=1e-12)


def test_the_generated_code_calls_numpy_itself():
    df = srcgrad.grad(list_of_scalars, wrt=(0, 1))
    df(0.5, -1.25)
    specs = list(df._specs.values())
    assert specs and all(spec.fn.__globals__["np"] is numpy for spec in specs)
    assert "np.array(items)" in df.source and "np.sin(y)" in df.source


# -- what np.array of a list holding Tensors makes ---------------------------------------------------------


def _t(v, dtype=None):
    return srcgrad.tensor(numpy.asarray(v, dtype=dtype), requires_grad=True)


@pytest.mark.parametrize(
    "make",
    [
        lambda x, y: [x, y],
        lambda x, y: [x, 2, y],  # an int among float Tensors
        lambda x, y: (x, 1.5),
        lambda x, y: [[x, y], [1, 2]],
        lambda x, y: [[x, 1.0], (y, x)],
        lambda x, y: [[[x]], [[y]]],
    ],
    ids=["two", "int-between", "tuple", "2-d", "2-d-tuple-row", "3-d"],
)
@pytest.mark.parametrize("dtype", [None, numpy.float32], ids=["float64", "float32"])
def test_array_of_a_list_has_numpys_value_shape_and_dtype(make, dtype):
    x, y = _t(0.5, dtype), _t(-1.25, dtype)
    got = np.array(make(x, y))
    want = numpy.array(make(numpy.asarray(0.5, dtype), numpy.asarray(-1.25, dtype)))
    assert isinstance(got, srcgrad.Tensor) and got.requires_grad
    assert got.dtype == want.dtype and got.shape == want.shape
    numpy.testing.assert_array_equal(got.detach().numpy(), want)


def test_one_stack_node_and_every_tensor_gets_its_row():
    x, y = _t(0.5), _t(-1.25)
    a = np.array([x, 3.0, y, x])
    assert a.grad_fn.name() == "StackBackward0"
    np.sum(a * numpy.array([1.0, 10.0, 100.0, 1000.0])).backward()
    assert x.grad.item() == 1001.0 and y.grad.item() == 100.0


def test_vectors_in_a_list_and_rows_of_a_matrix():
    v, w = _t([1.0, 2.0]), _t([[3.0, 4.0], [5.0, 6.0]])
    a = np.array([v, w[0], [7.0, 8.0]])  # a Tensor, an indexed Tensor, a list
    numpy.testing.assert_array_equal(a.detach().numpy(), [[1, 2], [3, 4], [7, 8]])
    b = np.array([[v[0], v[1]], w[1]])  # a row as a list of 0-d Tensors, a row Tensor
    numpy.testing.assert_array_equal(b.detach().numpy(), [[1, 2], [5, 6]])
    (np.sum(a * numpy.arange(6.0).reshape(3, 2)) + np.sum(b * b)).backward()
    numpy.testing.assert_array_equal(v.grad.numpy(), [0 + 2 * 1, 1 + 2 * 2])
    numpy.testing.assert_array_equal(w.grad.numpy(), [[2, 3], [2 * 5, 2 * 6]])


def test_tensors_of_different_shapes_are_refused_as_numpy_refuses_them():
    v, x = _t([1.0, 2.0]), _t(0.5)
    with pytest.raises(ValueError) as numpys:
        numpy.array([numpy.array([1.0, 2.0]), 0.5])
    with pytest.raises(ValueError) as ours:
        np.array([v, x])
    assert str(ours.value) == str(numpys.value)
    with pytest.raises(ValueError):
        np.mean([v, x])
    with pytest.raises(TypeError, match="Python objects"):
        np.array([v, x], dtype=object)


def test_dtype_casts_as_numpy_does_and_an_integer_dtype_has_no_gradient():
    x, y = _t(0.75), _t(-1.25)
    a = np.array([x, y], dtype=numpy.float32)
    assert a.dtype == numpy.float32 and a.requires_grad
    (np.sum(a) * 2).backward()
    assert x.grad.item() == 2.0
    i = np.array([x, y], dtype=int)
    assert i.dtype == numpy.array([0.75, -1.25], dtype=int).dtype and not i.requires_grad
    numpy.testing.assert_array_equal(i.numpy(), [0, -1])


def test_copy_and_ndmin():
    x = _t([1.0, 2.0])
    same = np.array(x, copy=False)
    assert same is x and np.asarray(x) is x and np.array(x, copy=None) is x
    c = np.array(x)  # copied, as numpy's np.array copies: changing the copy leaves x alone
    assert c is not x and c.grad_fn.name() == "CloneBackward0"
    with srcgrad.no_grad():
        c.mul_(10.0)
    numpy.testing.assert_array_equal(x.detach().numpy(), [1.0, 2.0])
    with pytest.raises(ValueError):  # numpy's own: a list is always copied
        np.array([x[0], x[1]], copy=False)
    with pytest.raises(ValueError):
        numpy.array([1.0, 2.0], copy=False)
    m = np.array(x, ndmin=3)
    assert m.shape == (1, 1, 2)
    np.sum(m * numpy.array([3.0, 4.0])).backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])
    d = np.asarray(x, dtype=numpy.float32)
    assert d.dtype == numpy.float32 and d.requires_grad


def test_one_tensor_keeps_its_derivative_as_jax_and_hips_do():
    x = _t(1.5)
    (d,) = srcgrad.autograd.grad(np.sum(np.array(x) ** 3), x)
    assert d.item() == pytest.approx(3 * 1.5**2)


def test_r_and_c_take_tensors():
    x, c = _t([1.0, 2.0]), numpy.array([5.0, 6.0])
    r = np.r_[x, c, 1:3]
    numpy.testing.assert_array_equal(r.detach().numpy(), numpy.r_[[1.0, 2.0], c, 1:3])
    cc = np.c_[x, c, x]
    numpy.testing.assert_array_equal(cc.detach().numpy(), numpy.c_[[1.0, 2.0], c, [1.0, 2.0]])
    (np.sum(r * numpy.arange(6.0)) + np.sum(cc * numpy.array([[1.0, 10.0, 100.0]]))).backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), [0 + 101, 1 + 101])
    s = _t(0.5)
    numpy.testing.assert_array_equal(np.r_[s].detach().numpy(), [0.5])
    with pytest.raises(NotImplementedError, match="directive"):
        np.r_["0,2", x, x]


def test_without_tensors_everything_is_numpys():
    for name in ("pi", "float64", "ndarray", "newaxis", "zeros", "stack", "concatenate", "einsum", "ufunc"):
        assert getattr(np, name) is getattr(numpy, name), name
    assert npr.randn is numpy.random.randn and np.random.RandomState is numpy.random.RandomState
    assert np.linalg.LinAlgError is numpy.linalg.LinAlgError
    for data in ([1, 2], [[1.0, 2.0], [3.0, 4.0]], (1, 2.5), 3, numpy.arange(3)):
        got, want = np.array(data), numpy.array(data)
        assert type(got) is numpy.ndarray and got.dtype == want.dtype
        numpy.testing.assert_array_equal(got, want)
    a = numpy.arange(3.0)
    assert np.asarray(a) is a and np.array(a) is not a
    assert np.mean([1, 2]) == 1.5 and type(np.sum([1, 2])) is type(numpy.sum([1, 2]))
    numpy.testing.assert_array_equal(np.maximum([1, 5], 3), [3, 5])
    assert np.add.reduce([1, 2, 3]) == 6 and np.sin.nin == 1 and np.sin.__name__ == "sin"
    numpy.testing.assert_array_equal(np.r_[1:4, 7], numpy.r_[1:4, 7])
    numpy.testing.assert_allclose(np.fft.fft([1.0, 2.0]), numpy.fft.fft([1.0, 2.0]))
    assert np.linalg.norm([3.0, 4.0]) == 5.0
    with pytest.raises(ValueError):
        np.array([[1.0], [1.0, 2.0]])
    assert "sin" in dir(np) and "array" in dir(np)


def test_star_import_gives_the_stand_ins():
    names = {}
    exec("from srcgrad.numpy import *", names)
    assert names["array"] is np.array and names["linalg"] is srcgrad.numpy.linalg
    assert names["float64"] is numpy.float64


def test_plain_numpy_still_refuses_the_list():
    x = _t(0.5)
    with pytest.raises(srcgrad.AutogradError, match="np.stack"):
        numpy.array([x, x])


def norm_by_submodule(x, y):
    return la.norm([x * y, y]) + fn_sin(x)  # noqa: F821 (bound in the test below)


def test_static_reads_submodules_and_stand_ins_bound_to_other_names():
    ours = {**globals(), "la": srcgrad.numpy.linalg, "fn_sin": np.sin}
    plain = {**globals(), "la": numpy.linalg, "fn_sin": numpy.sin}
    f = types.FunctionType(norm_by_submodule.__code__, ours, "norm_by_submodule")
    g = types.FunctionType(norm_by_submodule.__code__, plain, "norm_by_submodule")
    df, dg = srcgrad.grad(f, wrt=(0, 1)), srcgrad.grad(g, wrt=(0, 1))
    assert df.source == dg.source
    fx, fy = _fd(g, *POINTS[0])
    got = df(*POINTS[0])
    _close(got[0], fx)
    _close(got[1], fy)


def test_ufunc_stand_ins_copy_and_pickle():
    import copy
    import pickle

    for made in (copy.deepcopy(np.maximum), pickle.loads(pickle.dumps(np.maximum))):
        numpy.testing.assert_array_equal(made([1, 3], 2), [2, 3])


def test_only_array_arguments_are_made_arrays():
    a = srcgrad.tensor(numpy.arange(6.0).reshape(3, 2), requires_grad=True)
    i = srcgrad.tensor(0)  # an index held in a 0-d Tensor, inside a tuple: an axis, not an array
    numpy.testing.assert_array_equal(np.sum(a, axis=(i,)).detach().numpy(), [6.0, 9.0])
    numpy.testing.assert_array_equal(np.reshape(a, (i + 2, 3)).shape, (2, 3))
    x, y = _t(0.5), _t(-1.25)
    out = np.dot([x, y], [y, 1.0]) + np.where([True, False], [x, y], (y, x))[1] + np.average([x, y], weights=[x, 1.0])
    out.backward()
    # d/dx: y + 1 (where picks x second) + d/dx (x*x + y)/(x + 1)
    want_x = -1.25 + 1 + ((2 * 0.5) * (0.5 + 1) - (0.25 - 1.25)) / (0.5 + 1) ** 2
    want_y = 0.5 + 1.0 + 1 / (0.5 + 1)
    _close(x.grad.item(), want_x)
    _close(y.grad.item(), want_y)
