"""The compiler at its call boundary: one-element outputs, list arguments, and the bounded cache.

* A function returning a one-element array of any shape (``(1,)``, ``(1, 1)``) needs no ``dout``: it counts
  as a scalar, as in PyTorch and HIPS autograd (and in dynamic mode's ``backward()``).
* A nested list of numbers (``[[1.0, 2.0], [3.0, 4.0]]``) is an argument like an array of its shape (its
  gradient is one); a ragged one is refused as a ``wrt`` argument; arithmetic on a list argument (``+``
  joins lists, ``*`` repeats them) is refused rather than differentiated as arithmetic.
* The cache of compiled gradients keeps a bounded number of specialisations (a dict argument with new keys
  on every call used to grow it without end).
"""

import numpy as np
import pytest

import srcgrad
from corpus.harness import check_grad_and_jvp as check
from corpus.harness import fd_grad
from srcgrad.compiler import cache
from srcgrad.errors import TransformError

X = np.array([0.5, -0.7, 0.9])
M = [[1.0, 2.0], [3.0, -4.0]]


# ------------------------------------------------------------------ one-element outputs


def one_by_one(x):
    return np.sum(x * x).reshape(1, 1)


def one_element_vector(x):
    return x[0:1] * np.sum(x)


@pytest.mark.parametrize("f", [one_by_one, one_element_vector], ids=lambda f: f.__name__)
def test_a_one_element_output_needs_no_dout(f):
    expected = fd_grad(lambda x: float(np.ravel(f(x))[0]), (X,), 0)
    np.testing.assert_allclose(srcgrad.grad(f)(X), expected, rtol=1e-6)
    value, g = srcgrad.value_and_grad(f)(X)
    np.testing.assert_allclose(value, f(X))
    np.testing.assert_allclose(g, expected, rtol=1e-6)
    np.testing.assert_allclose(srcgrad.grad(f)(X, dout=np.full(np.shape(f(X)), 2.0)), 2 * expected, rtol=1e-6)


def two_elements(x):
    return x[0:2] * 2.0


def test_more_than_one_element_still_needs_dout():
    with pytest.raises(ValueError, match="dout"):
        srcgrad.grad(two_elements)(X)


def test_the_tape_takes_a_one_element_output_as_a_scalar_too():
    x = srcgrad.tensor(X, requires_grad=True)
    y = (x * x).sum().reshape(1, 1)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * X)
    z = srcgrad.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar outputs"):
        (z * 2.0).backward()


# ------------------------------------------------------------------ list arguments


def nested_loops(m):
    total = 0.0
    for row in m:
        for v in row:
            total = total + v * v
    return total


def nested_items(m):
    return m[0][1] * m[1][0] + m[0][0] * np.sin(m[1][1])


def nested_as_array(m):
    return np.sum(np.array(m) ** 2) + np.sum(np.asarray(m)[0])


def nested_row_to_numpy(m):
    return np.sum(np.sin(m[1])) * m[0][0]


def nested_matrix_product(x, m):
    return np.sum(np.dot(m, x) ** 2)


@pytest.mark.parametrize(
    "f", [nested_loops, nested_items, nested_as_array, nested_row_to_numpy], ids=lambda f: f.__name__
)
def test_a_nested_list_is_an_argument_like_an_array(f):
    expected = fd_grad(lambda a: f(a.tolist()), (np.array(M),), 0)
    for optimize in (True, False):
        g = srcgrad.grad(f, optimize=optimize)(M)
        assert isinstance(g, np.ndarray) and g.shape == (2, 2)
        np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-8)
    tangent = np.array([[0.3, -0.2], [0.5, 0.1]])
    value, t = srcgrad.jvp(f)(M, tangent)
    assert np.isclose(value, f(M))
    np.testing.assert_allclose(t, np.sum(expected * tangent), rtol=1e-6)


def test_a_nested_list_that_is_not_differentiated():
    m = np.array(M)
    np.testing.assert_allclose(
        srcgrad.grad(nested_matrix_product)(X[0:2], M), fd_grad(nested_matrix_product, (X[0:2], m), 0), rtol=1e-6
    )
    np.testing.assert_allclose(
        srcgrad.grad(nested_matrix_product, wrt=1)(X[0:2], M), fd_grad(nested_matrix_product, (X[0:2], m), 1), rtol=1e-6
    )


def ragged(m):
    return m[0][0] * m[1][0]


def test_a_ragged_nested_list_as_wrt_gives_its_layout():
    # item by item, as HIPS autograd gives it (tests/test_compiler_nested_list_arguments.py for arrays)
    assert srcgrad.grad(ragged)([[1.0, 2.0], [3.0]]) == [[3.0, 0.0], [1.0]]


def test_a_ragged_nested_list_is_refused_as_wrt_where_not_taken_item_by_item():
    with pytest.raises(TransformError, match="nested list of several lengths") as info:
        srcgrad.grad(ragged, checkpoint=True)([[1.0, 2.0], [3.0]])
    assert info.value.filename == __file__


def lists_joined(xs):
    ys = xs + xs
    return ys[0] * ys[3]


def list_repeated(xs):
    ys = xs * 2
    return ys[0] * ys[3]


def nested_rows_joined(m):
    row = m[0] + m[1]
    return row[0] * row[3]


def list_slice_joined(xs):
    head = xs[0:1]
    return np.sum(np.array(head + xs))


def list_made_an_array(xs):
    a = np.array(xs)
    return np.sum((a + a) * a)


@pytest.mark.parametrize(
    "f, arg",
    [
        (lists_joined, [1.0, 2.0, 3.0]),
        (list_repeated, [1.0, 2.0, 3.0]),
        (nested_rows_joined, M),
        (list_slice_joined, [1.0, 2.0, 3.0]),
    ],
    ids=lambda v: v.__name__ if callable(v) else "",
)
def test_arithmetic_on_a_list_argument_is_refused(f, arg):
    for transform in ("grad", "jvp"):
        with pytest.raises(TransformError, match="a Python list") as info:
            if transform == "grad":
                srcgrad.grad(f)(arg)
            else:
                srcgrad.jvp(f)(arg, np.ones(np.shape(arg)))
        assert info.value.filename == __file__


def test_a_list_made_an_array_first_is_fine():
    xs = [1.0, -2.0, 0.5]
    np.testing.assert_allclose(srcgrad.grad(list_made_an_array)(xs), 4 * np.array(xs))
    check(list_made_an_array, np.array(xs))


# ------------------------------------------------------------------ the cache is bounded


def sum_of_entries(d):
    total = 0.0
    for k, v in d.items():
        total = total + np.sum(v * v)
    return total


def test_the_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(cache, "CACHE", {})
    monkeypatch.setattr(cache, "CACHE_SIZE", 5)
    monkeypatch.setattr(cache, "SPECS_SIZE", 3)
    df = srcgrad.grad(sum_of_entries)
    jf = srcgrad.jvp(sum_of_entries)
    for i in range(12):  # new keys every call: a new specialisation each time
        d = {f"k{i}": X, "w": X[0:2]}
        g = df(d)
        np.testing.assert_allclose(g[f"k{i}"], 2 * X)
        jf(d, {f"k{i}": X, "w": X[0:2]})
        assert len(cache.CACHE) <= 5 and len(df._specs) <= 3 and len(jf._specs) <= 3
    recent = {"k11": X, "w": X[0:2]}
    np.testing.assert_allclose(df(recent)["w"], 2 * X[0:2])


# ------------------------------------------------------------------ the user's own `dout`


def local_named_dout(x):
    dout = np.sin(x) * 2.0
    return np.sum(dout * x)


def local_list_named_dout(x):
    dout = [x, x * 2.0]
    return np.sum(dout[1] * x)


def parameter_named_dout(x, dout):
    return np.sum(x * dout)


@pytest.mark.parametrize("f", [local_named_dout, local_list_named_dout], ids=lambda f: f.__name__)
def test_a_local_named_dout_is_not_the_cotangent(f):
    check(f, X)
    np.testing.assert_allclose(srcgrad.grad(f)(X, dout=2.0), 2.0 * fd_grad(f, (X,), 0), rtol=1e-6)


def test_a_parameter_named_dout():
    check(parameter_named_dout, X, 3.0 * X, wrt=0)
    check(parameter_named_dout, X, 3.0 * X, wrt=1)
    np.testing.assert_allclose(srcgrad.grad(parameter_named_dout)(X, 3.0 * X, dout=2.0), 6.0 * X)


# ------------------------------------------------------------------ outputs without one gradient, dicts in dicts


def pieces(x):
    return np.array_split(x, 3)


def test_a_list_output():
    x = np.arange(14.0).reshape(7, 2)
    value, tangent = srcgrad.jvp(pieces)(x, np.ones((7, 2)))
    assert [np.shape(t) for t in tangent] == [(3, 2), (2, 2), (2, 2)] and all(np.all(t == 1.0) for t in tangent)
    with pytest.raises(ValueError, match="a list of 3 values"):
        srcgrad.grad(pieces)(x)
    dout = [np.full((3, 2), 1.0), np.full((2, 2), 2.0), np.full((2, 2), 3.0)]
    np.testing.assert_allclose(srcgrad.grad(pieces)(x, dout=dout), np.concatenate(dout))


def compared(a):
    return a > 0.5


def all_close(x):
    return np.allclose(x, 1.0)


@pytest.mark.parametrize("f, arg", [(compared, 0.7), (all_close, X)], ids=lambda v: getattr(v, "__name__", ""))
def test_a_truth_value_has_no_gradient(f, arg):
    with pytest.raises(TransformError, match="truth value") as info:
        srcgrad.grad(f)(arg)
    assert info.value.filename == __file__


def dict_in_a_dict(p):
    return p["i"]["j"] * 2.0


def test_a_dict_holding_a_dict_as_wrt():
    assert srcgrad.grad(dict_in_a_dict)({"i": {"j": 2.0}}) == {"i": {"j": 2.0}}
    value, tangent = srcgrad.jvp(dict_in_a_dict)({"i": {"j": 2.0}}, {"i": {"j": 1.5}})
    assert (value, tangent) == (4.0, 3.0)
