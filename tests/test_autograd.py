"""The user-facing autograd pieces: Function, functional, gradcheck, detect_anomaly."""

import numpy as np
import pytest

import srcgrad as sg
from srcgrad import AutogradError
from srcgrad.autograd import Function, functional, gradcheck, gradgradcheck
from srcgrad.autograd.gradcheck import GradcheckError


def leaf(values):
    return sg.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


class LegendreP3(Function):
    """P3(x) = (5x^3 - 3x) / 2, with its derivative written by hand."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 0.5 * (5 * x**3 - 3 * x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 1.5 * (5 * x**2 - 1)


class WrongSquare(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x  # should be 2x


def test_function_apply_forward_and_backward():
    x = leaf([0.5, -1.0])
    y = LegendreP3.apply(x)
    assert y.grad_fn.name() == "LegendreP3Backward"
    np.testing.assert_allclose(y.detach().numpy(), 0.5 * (5 * np.array([0.5, -1]) ** 3 - 3 * np.array([0.5, -1])))
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1.5 * (5 * np.array([0.25, 1.0]) - 1))


def test_function_passes_gradcheck_and_gradgradcheck():
    x = leaf([0.3, 0.9, -0.2])
    assert gradcheck(LegendreP3.apply, (x,))
    assert gradgradcheck(LegendreP3.apply, (x,))


def test_gradcheck_catches_a_wrong_function_and_names_worst_element():
    x = leaf([0.3, 0.9])
    with pytest.raises(GradcheckError, match="worst element"):
        gradcheck(WrongSquare.apply, (x,))
    assert gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False


def test_function_needs_input_grad_and_multiple_outputs():
    seen = {}

    class SplitScale(Function):
        @staticmethod
        def forward(ctx, x, c):
            seen["needs"] = ctx.needs_input_grad
            ctx.save_for_backward(c)
            return x * 2, x * c

        @staticmethod
        def backward(ctx, g1, g2):
            (c,) = ctx.saved_tensors
            return g1 * 2 + g2 * c, None

    x = leaf([1.0, 2.0])
    c = sg.tensor([3.0, 4.0])
    a, b = SplitScale.apply(x, c)
    assert seen["needs"] == (True, False)
    (a + b).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 6.0])


def test_function_saved_tensor_modified_inplace_raises():
    x = leaf([1.0])
    h = x * 1.0
    y = WrongSquare.apply(h)
    h.add_(1.0)
    with pytest.raises(AutogradError, match="modified by an inplace operation"):
        y.sum().backward()


def test_functional_jacobian_and_hessian():
    x0 = np.array([0.5, -0.7])

    def f(x):
        return np.stack([x[0] * x[1], np.sin(x[0])])

    jac = functional.jacobian(f, sg.tensor(x0))
    np.testing.assert_allclose(jac.numpy(), [[x0[1], x0[0]], [np.cos(x0[0]), 0.0]])

    def g(x):
        return (x**3).sum() + x[0] * x[1]

    hess = functional.hessian(g, sg.tensor(x0))
    np.testing.assert_allclose(hess.numpy(), [[6 * x0[0], 1.0], [1.0, 6 * x0[1]]])


def test_functional_vjp_jvp_hvp():
    a = np.array([[1.0, 2.0], [3.0, 5.0]])
    x0 = np.array([0.2, -0.4])
    v = np.array([1.0, -2.0])

    def lin(x):
        return sg.tensor(a) @ x

    out, vj = functional.vjp(lin, sg.tensor(x0), sg.tensor(v))
    np.testing.assert_allclose(out.numpy(), a @ x0)
    np.testing.assert_allclose(vj.numpy(), v @ a)
    _, jv = functional.jvp(lin, sg.tensor(x0), sg.tensor(v))
    np.testing.assert_allclose(jv.numpy(), a @ v)

    def quad(x):
        return (x * (sg.tensor(a) @ x)).sum()

    _, hv = functional.hvp(quad, sg.tensor(x0), sg.tensor(v))
    np.testing.assert_allclose(hv.numpy(), (a + a.T) @ v)


def test_detect_anomaly_names_the_op_that_made_nan():
    x = leaf([-1.0, 1.0])
    with sg.autograd.detect_anomaly():
        y = np.sqrt(x * 0.0)  # sqrt'(0) = inf, times 0 gives nan in MulBackward
        with pytest.raises(AutogradError, match="SqrtBackward0.*returned nan values"):
            (y * 0.0).sum().backward()


def test_function_gradient_of_broadcast_shape_is_summed_and_a_wrong_one_raises():
    class Spread(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            return np.broadcast_to(g.numpy(), (3,) + g.shape) * 1.0  # a (3, 2) gradient for a (2,) input

    class Collapse(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            return g.sum()  # shape () for a (2,) input: PyTorch refuses it

    x = leaf([1.0, 2.0])
    Spread.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])
    y = leaf([1.0, 2.0])
    with pytest.raises(AutogradError, match="invalid gradient at index 0"):
        Collapse.apply(y).sum().backward()


def test_detach_shares_the_version_counter():
    x = leaf([1.0, 2.0])
    y = np.exp(x)
    y.detach().add_(1.0)  # changes y's values behind the graph's back
    with pytest.raises(AutogradError, match="modified by an inplace operation"):
        y.sum().backward()


def test_view_used_after_its_base_changed_in_place():
    x = leaf([1.0, 2.0, 3.0, 4.0])
    y = x * 1.0
    piece = y.split(2)[1]
    part = y[1:3]
    y.mul_(2.0)
    with pytest.raises(AutogradError, match="output of a function that returns multiple views"):  # as PyTorch
        piece * 2.0
    np.sin(part).sum().backward()  # the view's history is read out of y's new one, as PyTorch does
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 2.0 * np.cos(4.0), 2.0 * np.cos(6.0), 0.0])
    w = leaf([[1.0, 2.0], [3.0, 4.0]])
    wt = w.T  # a view of a leaf changed under no_grad (an optimizer step) stays usable
    with sg.no_grad():
        w.sub_(sg.ones(2, 2))
    (wt * 2.0).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), np.full((2, 2), 2.0))
