"""Invalid input is refused as PyTorch refuses it, never turned into a wrong result.

``zeros(2.5)`` used to truncate to ``zeros(2)``; ``tensor(None)`` and
``tensor('abc')`` made object and string Tensors; ``t.grad = [...]`` was
accepted and broke the optimizer later; ``srcgrad.grad`` of a function
returning a string gave zeros, and of an ``np.matrix`` a gradient that was
neither the matrix nor the elementwise answer. Messages follow PyTorch's.
"""

import numpy as np
import pytest

import srcgrad as sg

try:
    import torch
except ImportError:  # the parity checks below skip
    torch = None


@pytest.mark.parametrize(
    "make, args",
    [
        ("randn", (2.5,)),
        ("zeros", (2.5,)),
        ("ones", (2.7,)),
        ("rand", (3.0,)),
        ("empty", (1.5,)),
        ("ones", ((2, 2.7),)),
        ("zeros", (2, 3.0)),
        ("full", ((2.5,), 1.0)),
        ("ones", (True,)),
        ("eye", (2.5,)),
        ("randperm", (2.5,)),
        ("linspace", (0.0, 1.0, 2.5)),
        ("randint", (0, 5, (2.5,))),
    ],
)
def test_a_length_that_is_not_an_integer_is_a_type_error(make, args):
    with pytest.raises(TypeError, match=rf"{make}\(\): argument '\w+' .*(must be|must be tuple of) int"):
        getattr(sg, make)(*args)
    if torch is not None:
        with pytest.raises(TypeError):
            getattr(torch, make)(*args)


def test_integer_lengths_of_any_integer_type_still_work():
    assert sg.zeros(np.int64(3)).shape == (3,)
    assert sg.ones(2, np.int32(3)).shape == (2, 3)
    assert sg.randn((2, 3)).shape == (2, 3) and sg.rand([4]).shape == (4,)
    assert sg.zeros(sg.tensor(2)).shape == (2,) and sg.zeros().shape == ()
    assert sg.eye(np.int64(2)).shape == (2, 2) and sg.randperm(np.int64(4)).shape == (4,)


def test_a_negative_length_is_refused():
    with pytest.raises(RuntimeError, match=r"Trying to create tensor with negative dimension -1: \[-1\]"):
        sg.rand(-1)


@pytest.mark.parametrize(
    "data, error, match",
    [
        (None, RuntimeError, "Could not infer dtype of NoneType"),
        ("abc", TypeError, "new\\(\\): invalid data type 'str'"),
        (b"abc", TypeError, "new\\(\\): invalid data type 'bytes'"),
        (np.array([1, "a"], dtype=object), TypeError, "can't convert np.ndarray of type numpy.object_"),
        (np.array(["a", "b"]), TypeError, "can't convert np.ndarray of type numpy.str_"),
        (np.array([1], dtype="datetime64[s]"), TypeError, "can't convert np.ndarray of type numpy.datetime64"),
        (np.zeros(2, dtype=[("a", float)]), TypeError, "can't convert np.ndarray of type numpy.void"),
        ([1.0, None], TypeError, "can't convert np.ndarray of type numpy.object_"),
        (2**70, ValueError, "Overflow when unpacking long long"),
        ([1, 2**64], ValueError, "Overflow when unpacking long long"),
        (2**63, ValueError, "Overflow when unpacking long long"),
    ],
)
@pytest.mark.parametrize("make", ["tensor", "Tensor", "as_tensor"])
def test_data_no_tensor_can_hold_is_refused(data, error, match, make):
    with pytest.raises(error, match=match):
        getattr(sg, make)(data)


def test_from_numpy_refuses_objects_and_strings():
    with pytest.raises(TypeError, match="numpy.str_"):
        sg.from_numpy(np.array(["x"]))


def test_the_data_a_tensor_may_hold_still_works():
    assert sg.tensor(2**63 - 1).dtype == np.int64 and sg.tensor(-(2**63)).dtype == np.int64
    assert sg.tensor(np.array([2**64 - 1], dtype=np.uint64)).dtype == np.uint64  # an explicit uint64 array
    assert sg.tensor(3 + 2j).dtype.kind == "c" and sg.tensor([True, False]).dtype == np.bool_


@pytest.mark.filterwarnings("ignore:the matrix subclass is not the recommended way")
def test_an_np_matrix_becomes_a_plain_2d_tensor():
    m = np.matrix([[1.0, 2.0], [3.0, 4.0]])
    for t in (sg.tensor(m), sg.Tensor(m), sg.as_tensor(m), sg.from_numpy(m)):
        assert type(t.detach().numpy()) is np.ndarray
        np.testing.assert_array_equal((t * t).detach().numpy(), [[1.0, 4.0], [9.0, 16.0]])  # elementwise


@pytest.mark.parametrize(
    "value, error, match",
    [
        (
            lambda: sg.zeros(4),
            RuntimeError,
            r"attempting to assign a gradient of size '\[4\]' to a tensor of size '\[3\]'",
        ),
        (lambda: [1.0, 2.0, 3.0], TypeError, "assigned grad expected to be a Tensor or None but got grad of type list"),
        (lambda: np.zeros(3), TypeError, "but got grad of type numpy.ndarray"),
        (lambda: sg.zeros(3, dtype=sg.int64), RuntimeError, "attempting to assign a gradient with dtype 'int64'"),
    ],
)
def test_assigning_a_wrong_grad_is_refused(value, error, match):
    p = sg.nn.Parameter(sg.zeros(3))
    with pytest.raises(error, match=match):
        p.grad = value()
    assert p.grad is None
    p.grad = sg.ones(3)
    sg.optim.SGD([p], lr=0.5).step()
    np.testing.assert_array_equal(p.detach().numpy(), [-0.5, -0.5, -0.5])
    p.grad = None
    del p.grad
    assert p.grad is None


def _returns_a_string(x):
    return "abc"


def _returns_a_string_array(x):
    return np.array(["yes", "no"])


def _returns_none_on_a_path(x):
    if x[0] > 0:
        return None
    return np.sum(x)


def _elementwise_square(x):
    return np.sum(x * x)


@pytest.mark.parametrize(
    "fn, error, match",
    [
        (_returns_a_string, sg.TransformError, "must return a number or a numeric array"),
        (_returns_none_on_a_path, sg.TransformError, "return None: the differentiated function must return"),
        (_returns_a_string_array, TypeError, "the function returned an array of <U3, which has no gradient"),
    ],
)
def test_grad_of_a_function_returning_no_number_is_refused(fn, error, match):
    with pytest.raises(error, match=match):
        sg.grad(fn)(np.array([1.0, 2.0]))


@pytest.mark.filterwarnings("ignore:the matrix subclass is not the recommended way")
def test_grad_refuses_an_np_matrix_argument():
    m = np.matrix([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(TypeError, match="np.matrix arguments"):
        sg.grad(_elementwise_square)(m)
    np.testing.assert_array_equal(sg.grad(_elementwise_square)(np.asarray(m)), 2 * np.asarray(m))
