"""Dynamic mode says what PyTorch says: matrix-product shape errors, empty parameter lists, .grad of non-leaves."""

import warnings

import numpy as np
import pytest

import srcgrad as sg
import srcgrad.nn.functional as F
from srcgrad.errors import ShapeError

# (call, shapes, PyTorch 2.13's message), written down from PyTorch itself
PRODUCTS = [
    ("matmul", (3, 4), (5, 2), "mat1 and mat2 shapes cannot be multiplied (3x4 and 5x2)"),
    ("matmul", (4,), (5, 2), "mat1 and mat2 shapes cannot be multiplied (1x4 and 5x2)"),
    ("matmul", (2, 3, 4), (5, 2), "mat1 and mat2 shapes cannot be multiplied (6x4 and 5x2)"),
    ("matmul", (3, 4), (5,), "size mismatch, got input (3), mat (3x4), vec (5)"),
    ("matmul", (2, 3, 4), (5,), "size mismatch, got input (6), mat (6x4), vec (5)"),
    (
        "matmul",
        (3,),
        (4,),
        "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of "
        "elements, but got 3 and 4 elements respectively",
    ),
    (
        "matmul",
        (2, 3, 4),
        (2, 5, 2),
        "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [2, 5].",
    ),
    (
        "matmul",
        (3, 4),
        (2, 5, 2),
        "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [2, 5].",
    ),
    (
        "matmul",
        (2, 3, 4),
        (3, 4, 2),
        "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0",
    ),
    (
        "matmul",
        (2, 2, 3, 4),
        (3, 3, 4, 2),
        "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 1",
    ),
    ("matmul", (), (3,), "both arguments to matmul need to be at least 1D, but they are 0D and 1D"),
    ("mm", (3, 4), (5, 2), "mat1 and mat2 shapes cannot be multiplied (3x4 and 5x2)"),
    ("mm", (3,), (3, 2), "self must be a matrix"),
    ("mm", (3, 4), (4,), "mat2 must be a matrix"),
    (
        "bmm",
        (2, 3, 4),
        (2, 5, 2),
        "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [2, 5].",
    ),
    (
        "bmm",
        (2, 3, 4),
        (3, 4, 2),
        "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [3, 4].",
    ),
    ("bmm", (3, 4), (4, 2), "batch1 must be a 3D tensor"),
    ("bmm", (2, 3, 4), (4, 2), "batch2 must be a 3D tensor"),
    ("mv", (3, 4), (5,), "size mismatch, got input (3), mat (3x4), vec (5)"),
    ("mv", (3,), (3,), "vector + matrix @ vector expected, got 1, 1, 1"),
    (
        "dot",
        (3,),
        (4,),
        "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of "
        "elements, but got 3 and 4 elements respectively",
    ),
    ("linear", (3, 4), (2, 5), "mat1 and mat2 shapes cannot be multiplied (3x4 and 5x2)"),
    ("linear", (2, 3, 4), (2, 5), "mat1 and mat2 shapes cannot be multiplied (6x4 and 5x2)"),
]

CALLS = {
    "matmul": [lambda a, b: a @ b, lambda a, b: a.matmul(b), sg.matmul, lambda a, b: a.detach().numpy() @ b],
    "mm": [lambda a, b: a.mm(b), sg.mm],
    "bmm": [lambda a, b: a.bmm(b), sg.bmm],
    "mv": [lambda a, b: a.mv(b), sg.mv],
    "dot": [lambda a, b: a.dot(b), sg.dot],
    "linear": [F.linear, lambda a, w: F.linear(a, w, sg.zeros(w.shape[0]))],
}


@pytest.mark.parametrize("name,a,b,message", PRODUCTS, ids=[f"{p[0]}-{p[1]}-{p[2]}" for p in PRODUCTS])
def test_matrix_products_of_mismatched_shapes_say_what_pytorch_says(name, a, b, message):
    for call in CALLS[name]:
        x = sg.ones(*a, requires_grad=True)
        with pytest.raises(ShapeError) as info:
            call(x, sg.ones(*b))
        assert str(info.value) == message
        assert isinstance(info.value, RuntimeError) and isinstance(info.value, ValueError)  # PyTorch's, numpy's


def test_the_layer_says_it_too():
    with pytest.raises(RuntimeError, match=r"^mat1 and mat2 shapes cannot be multiplied \(3x4 and 5x2\)$"):
        sg.nn.Linear(5, 2)(sg.ones(3, 4))


def test_products_that_fit_are_unchanged():
    rng = np.random.default_rng(0)
    for a, b in [((3, 4), (4, 2)), ((4,), (4, 2)), ((2, 3, 4), (4,)), ((1, 3, 4), (5, 4, 2)), ((4,), (4,))]:
        x, y = rng.standard_normal(a), rng.standard_normal(b)
        np.testing.assert_allclose((sg.tensor(x) @ sg.tensor(y)).numpy(), x @ y)
    m = rng.standard_normal((3, 4))
    np.testing.assert_allclose(sg.tensor(m).dot(sg.tensor(m.T)).numpy(), m.dot(m.T))  # numpy's dot for matrices


def test_messages_match_pytorch_itself_when_installed():
    torch = pytest.importorskip("torch")
    funcs = {
        "matmul": torch.matmul,
        "mm": torch.mm,
        "bmm": torch.bmm,
        "mv": torch.mv,
        "dot": torch.dot,
        "linear": torch.nn.functional.linear,
    }
    for name, a, b, message in PRODUCTS:
        with pytest.raises(RuntimeError) as info:
            funcs[name](torch.ones(a), torch.ones(b))
        assert str(info.value) == message, (name, a, b)


def test_an_optimizer_given_a_used_up_generator_says_so():
    model = sg.nn.Linear(2, 2)
    params = model.parameters()
    list(params)  # e.g. a first optimizer, or a count of the parameters, consumed the generator
    for make in (sg.optim.SGD, sg.optim.Adam, sg.optim.LBFGS):
        with pytest.raises(ValueError, match=r"^optimizer got an empty parameter list \(.*generator, used up"):
            make(params, lr=0.1)
    with pytest.raises(ValueError, match=r"^optimizer got an empty parameter list$"):  # PyTorch's words
        sg.optim.SGD([], lr=0.1)


NON_LEAF = "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed"


def test_reading_grad_of_a_non_leaf_warns_as_pytorch_does():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.sum().backward()
    with pytest.warns(UserWarning, match="^" + NON_LEAF + ".*retain_grad.*pull/30531 for more information.$") as rec:
        assert y.grad is None
    assert rec[0].filename == __file__  # points at the user's line
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is not None  # a leaf: no warning
        assert (sg.ones(2) * 3).grad is None  # a leaf too (it needs no grad)
        z = x * 3
        z.retain_grad()
        z.sum().backward()
        assert np.allclose(z.grad.numpy(), 1.0)  # retained: no warning
        w = x * 4
        sg.autograd.backward(w.sum(), inputs=[w])  # srcgrad's own reads never warn
        assert np.allclose(w.grad.numpy(), 1.0)


def test_the_non_leaf_warning_is_pytorchs_text_when_installed():
    torch = pytest.importorskip("torch")
    y = torch.ones(2, requires_grad=True) * 2
    with pytest.warns(UserWarning) as rec:
        y.grad
    from srcgrad.tensor import _NON_LEAF_GRAD

    assert str(rec[0].message).startswith(_NON_LEAF_GRAD)
