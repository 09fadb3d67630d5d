"""Tensors print as PyTorch prints them: layout, 4 digits, ``set_printoptions``, suffixes.

The literal strings below are PyTorch's output for the same values; where
PyTorch is installed, a larger table of Tensors and options is compared with
it character for character.
"""

import numpy as np
import pytest

import srcgrad
from srcgrad import printing

try:
    import torch
except ImportError:
    torch = None


@pytest.fixture(autouse=True)
def default_options():
    srcgrad.set_printoptions(profile="default")
    yield
    srcgrad.set_printoptions(profile="default")
    printing.set_namespace("srcgrad")


LITERALS = [
    (lambda: srcgrad.tensor([1.0, 2.5]), "tensor([1.0000, 2.5000])"),
    (lambda: srcgrad.tensor([1.0, 2.0]), "tensor([1., 2.])"),
    (lambda: srcgrad.tensor([[1.5, -2.25], [3.0, 4.0]]), "tensor([[ 1.5000, -2.2500],\n        [ 3.0000,  4.0000]])"),
    (lambda: srcgrad.tensor([1e-5, 1.0]), "tensor([1.0000e-05, 1.0000e+00])"),
    (lambda: srcgrad.tensor([float("nan"), 1.5, float("inf")]), "tensor([   nan, 1.5000,    inf])"),
    (lambda: srcgrad.tensor(3.14159), "tensor(3.1416)"),
    (lambda: srcgrad.tensor([1, 2, 30]), "tensor([ 1,  2, 30])"),
    (lambda: srcgrad.tensor([True, False]), "tensor([ True, False])"),
    (lambda: srcgrad.tensor([1, 2], dtype=srcgrad.int32), "tensor([1, 2], dtype=srcgrad.int32)"),
    (lambda: srcgrad.tensor([0.5], dtype=srcgrad.float32), "tensor([0.5000], dtype=srcgrad.float32)"),
    (lambda: srcgrad.zeros(0, 3), "tensor([], size=(0, 3))"),
    (lambda: srcgrad.zeros(0, dtype=srcgrad.int64), "tensor([], dtype=srcgrad.int64)"),
    (lambda: srcgrad.tensor([1.0, 2.0], requires_grad=True), "tensor([1., 2.], requires_grad=True)"),
    (lambda: (srcgrad.tensor([1.0, 2.0], requires_grad=True) * 2).sum(), "tensor(6., grad_fn=<SumBackward0>)"),
    (
        lambda: srcgrad.arange(2000.0),
        "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])",
    ),
    (lambda: srcgrad.tensor([1 + 2j, 3 - 1j]), "tensor([1.+2.j, 3.-1.j])"),
    (lambda: srcgrad.nn.Parameter(srcgrad.ones(2)), "Parameter containing:\ntensor([1., 1.], requires_grad=True)"),
]


@pytest.mark.parametrize("index", range(len(LITERALS)))
def test_prints_as_pytorch_does(index):
    make, text = LITERALS[index]
    assert repr(make()) == text and str(make()) == text


def test_print_options():
    x = srcgrad.tensor([3.14159, 2.71828])
    srcgrad.set_printoptions(precision=2)
    assert repr(x) == "tensor([3.14, 2.72])"
    assert srcgrad.get_printoptions()["precision"] == 2
    srcgrad.set_printoptions(sci_mode=True)
    assert srcgrad.get_printoptions()["precision"] == 2 and repr(x) == "tensor([3.14e+00, 2.72e+00])"
    srcgrad.set_printoptions(profile="default")
    assert repr(x) == "tensor([3.1416, 2.7183])"
    with printing.printoptions(precision=1):
        assert repr(x) == "tensor([3.1, 2.7])"
    assert repr(x) == "tensor([3.1416, 2.7183])"
    srcgrad.set_printoptions(threshold=3, edgeitems=1)
    assert repr(srcgrad.arange(5)) == "tensor([0,  ..., 4])"
    with pytest.raises(ValueError, match="unknown print profile"):
        srcgrad.set_printoptions(profile="long")


def test_names_print_under_torch_when_run_as_torch():
    printing.set_namespace("torch")
    assert repr(srcgrad.zeros(2, 3).shape) == "torch.Size([2, 3])"
    assert repr(srcgrad.tensor([1], dtype=srcgrad.int32)) == "tensor([1], dtype=torch.int32)"
    assert srcgrad.zeros(1, dtype=srcgrad.float32).type() == "torch.FloatTensor"


def _cases():
    rng = np.random.default_rng(0)
    return [
        np.zeros(3),
        np.ones((2, 3)),
        np.array([1.5, -2.25, 1e-5]),
        np.array([1e10, 1.0]),
        np.array([np.nan, 1.0, np.inf, -np.inf]),
        np.array([0.0, -0.0]),
        rng.standard_normal((4, 5)),
        rng.standard_normal((2, 3, 4)),
        rng.standard_normal(2000),
        rng.standard_normal((40, 40)),
        rng.standard_normal((3, 400)),
        np.arange(10),
        np.arange(2000).reshape(20, 100),
        np.array([True, False]),
        np.array(3.14159),
        np.array(2.0),
        np.array(7),
        np.zeros((0, 3)),
        np.zeros(0),
        np.zeros(0, dtype=np.int64),
        rng.standard_normal((2, 2)).astype(np.float32),
        np.arange(6, dtype=np.int32).reshape(2, 3),
        np.array([1e-8, 1e-9]),
        np.array([123456789.0, 1.0]),
        np.array([100.0, 2000.0]),
        np.array([1.0, 1001.0]),
        rng.standard_normal(30) * 1000,
        rng.standard_normal(4) + 1j * rng.standard_normal(4),
        np.array([1 + 2j, 3 - 1j]),
        np.array([np.nan]),
        np.array([1.0, np.nan]),
        rng.standard_normal((2, 1, 3)),
        np.float16([1.5, 2.25]),
        rng.integers(-1000, 1000, (3, 30)),
        rng.standard_normal((1, 100)),
        np.array([0.0001, 0.5]),
        np.array([0.00009, 0.5]),
    ]


OPTIONS = [
    {},
    {"precision": 2},
    {"sci_mode": True},
    {"sci_mode": False},
    {"linewidth": 40},
    {"threshold": 5, "edgeitems": 2},
    {"profile": "short"},
    {"edgeitems": 0, "threshold": 3},
]


@pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
@pytest.mark.parametrize("options", OPTIONS, ids=[str(o) for o in OPTIONS])
def test_prints_character_for_character_as_pytorch(options):
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    printing.set_namespace("torch")
    try:
        torch.set_printoptions(**options)
        srcgrad.set_printoptions(**options)
        for values in _cases():
            for requires_grad in (False, True) if values.dtype.kind in "fc" else (False,):
                theirs = repr(torch.tensor(values, requires_grad=requires_grad))
                ours = repr(srcgrad.tensor(values, requires_grad=requires_grad))
                assert ours == theirs, (values.dtype, values.shape)
    finally:
        torch.set_printoptions(profile="default")
        torch.set_default_dtype(default)
