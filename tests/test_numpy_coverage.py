"""numpy functions users call that HIPS autograd's tests use, in both modes, against finite differences.

``np.linalg.eig``/``eigvals``/``pinv``, ``np.linalg.svd`` with ``full_matrices``
and ``compute_uv``, ``np.radians``/``np.degrees``, ``np.append``, the stacks and
splits (``vstack hstack column_stack dstack hsplit vsplit dsplit``),
``np.atleast_1d/2d/3d`` and ``np.gradient``: static mode (``srcgrad.grad``),
dynamic mode (Tensors) and forward mode (``srcgrad.jvp``) must match central
finite differences; float32 stays float32; PyTorch agrees where it is
installed. Eigenvectors enter only through losses that do not depend on their
phase or sign (``|v|``), the only ones with a gradient.
"""

import numpy as np
import pytest

import srcgrad
from test_complex import numeric_grad

try:
    import torch
except ImportError:  # the PyTorch comparisons skip
    torch = None

_rng = np.random.default_rng(33)


def R(*shape):
    return _rng.uniform(-1, 1, shape)


def EIGEN(n):
    q = R(n, n) + 2 * np.eye(n)
    return q @ np.diag(np.arange(1.0, n + 1)) @ np.linalg.inv(q)


W3 = R(3, 3)
W43 = R(4, 3)
W44 = R(4, 4)
W34 = R(3, 4)


def eig_real(a):
    w, v = np.linalg.eig(a)  # (complex arrays from numpy 2.5 on, real ones before: np.real keeps the loss real)
    return np.sum(np.real(w) * np.arange(1.0, 4.0)) + np.sum(np.abs(v) ** 2 * W3)


def eig_complex_pairs(a):
    """A real matrix with a pair of complex eigenvalues: the loss reads |w| and |v| (phase-free)."""
    w, v = np.linalg.eig(a)
    return np.sum(np.abs(w) ** 2) + np.sum(np.real(w)) + np.sum(np.abs(v) * W3)


def eigvals_loss(a):
    return np.sum(np.abs(np.linalg.eigvals(a)) ** 2)


def pinv_tall(a):
    return np.sum(np.linalg.pinv(a) * W43.T) + np.sum(np.linalg.pinv(a) ** 2)


def svd_full_thin_part(a):
    u, s, vh = np.linalg.svd(a)  # full_matrices=True by default: u is 4 x 4
    return np.sum(s) + np.sum(np.abs(u[:, :3]) * W43) + np.sum(vh * W3)


def svd_values_only(a):
    return np.sum(np.linalg.svd(a, compute_uv=False) ** 2) + np.sum(np.linalg.svd(a, full_matrices=False)[1])


def angles(x):
    return np.sum(np.sin(np.radians(x * 90.0)) * np.degrees(x))


def appends(x):
    flat = np.append(x, x[0] * 2.0)
    rows = np.append(x, x[:1] ** 2, axis=0)
    return np.sum(flat**2) + np.sum(np.sin(rows) * R43b)


R43b = R(5, 3)


def stacks(x):
    a = np.vstack([x, x * 2.0])
    b = np.hstack([x, np.cos(x)])
    c = np.column_stack([x[0], x[1] ** 2])
    d = np.dstack([x, x * x])
    return np.sum(a * a) + np.sum(np.sin(b)) + np.sum(c**3) + np.sum(np.cos(d))


def splits(x):
    left, right = np.hsplit(x, 2)
    top = np.vsplit(x, 2)[0]
    return np.sum(left * np.exp(right)) + np.sum(top**3)


def deep_splits(x):
    cube = np.reshape(x, (2, 2, 4))
    first, second = np.dsplit(cube, 2)
    return np.sum(np.sin(first) * second)


def at_least(x):
    return np.sum(np.atleast_1d(x[0, 0]) ** 2) + np.sum(np.atleast_2d(x[0]) * x[1]) + np.sum(np.atleast_3d(x) ** 3)


def gradients(x):
    g1 = np.gradient(x[0])
    g2 = np.gradient(x, axis=1, edge_order=2)
    g3 = np.gradient(x[1], 0.5)
    g4 = np.gradient(x, np.array([0.0, 0.2, 0.7, 0.9]), axis=1)
    return np.sum(g1**2) + np.sum(np.sin(g2)) + np.sum(g3 * x[0]) + np.sum(g4**3)


def gradients_over_axes(x):
    """``np.gradient`` over several axes gives a tuple: without ``axis`` (of an argument) and with a tuple of axes."""
    gx, gy = np.gradient(x)
    a, b = np.gradient(x, 0.5, axis=(1, 0))
    c, d = np.gradient(x, axis=(0, -1), edge_order=2)
    return np.sum(gx * W34) + np.sum(np.sin(gy) * b) + np.sum(a * c) + np.sum(d**2)


CASES = [
    (eig_real, lambda: EIGEN(3)),
    (eig_complex_pairs, lambda: np.array([[1.0, -2.0, 0.3], [1.5, 0.5, 0.1], [0.2, 0.1, 3.0]])),
    (eigvals_loss, lambda: R(3, 3) + 2 * np.eye(3)),
    (pinv_tall, lambda: R(4, 3) + np.eye(4, 3)),
    (svd_full_thin_part, lambda: R(4, 3) + 2 * np.eye(4, 3)),
    (svd_values_only, lambda: R(4, 3) + np.eye(4, 3)),
    (angles, lambda: R(3, 2)),
    (appends, lambda: R(4, 3)),
    (stacks, lambda: R(2, 3)),
    (splits, lambda: R(4, 4)),
    (deep_splits, lambda: R(4, 4)),
    (at_least, lambda: R(2, 3)),
    (gradients, lambda: R(3, 4)),
    (gradients_over_axes, lambda: R(3, 4)),
]
IDS = [f.__name__ for f, _ in CASES]


@pytest.mark.parametrize("fn, make", CASES, ids=IDS)
def test_both_modes_and_forward_mode(fn, make):
    x = make()
    want = numeric_grad(fn, (x,), 0)
    static = srcgrad.grad(fn)(x)
    np.testing.assert_allclose(static, want, rtol=1e-5, atol=1e-6, err_msg="static")
    t = srcgrad.tensor(x, requires_grad=True)
    fn(t).backward()
    np.testing.assert_allclose(t.grad.numpy(), want, rtol=1e-5, atol=1e-6, err_msg="dynamic")
    if fn in (svd_full_thin_part, eig_complex_pairs):
        return  # forward mode: the full svd's extra columns and complex eigenvectors' phases have no tangent
    direction = _rng.standard_normal(x.shape)
    _, tangent = srcgrad.jvp(fn)(x, direction)
    assert np.isclose(float(np.real(tangent)), float(np.sum(want * direction)), rtol=1e-5, atol=1e-6), "forward"


@pytest.mark.parametrize("fn, make", CASES, ids=IDS)
def test_float32_stays_float32(fn, make):
    x = make().astype(np.float32)
    assert srcgrad.grad(fn)(x).dtype == np.float32
    t = srcgrad.tensor(x, requires_grad=True)
    fn(t).backward()
    assert t.grad.dtype == np.float32


def test_second_order_in_dynamic_mode():
    """A Hessian-vector product through eig, pinv, gradient and the stacks (create_graph) against finite
    differences of the gradient."""

    def loss(x):
        return eig_real(x) + pinv_tall(np.vstack([x, x[0]])) + gradients(np.hstack([x, x[:, :1]]))

    x = EIGEN(3)
    v = _rng.standard_normal(x.shape)

    def grad_at(a):
        t = srcgrad.tensor(a, requires_grad=True)
        (g,) = srcgrad.autograd.grad(loss(t), [t], create_graph=True)
        return g, t

    g, t = grad_at(x)
    (h,) = srcgrad.autograd.grad(np.sum(g * srcgrad.tensor(v)), [t])
    want = numeric_grad(lambda a: float(np.sum(grad_at(a)[0].detach().numpy() * v)), (x,), 0)
    np.testing.assert_allclose(h.numpy(), want, rtol=1e-4, atol=1e-5)


def test_a_loss_on_the_undetermined_columns_of_a_full_svd_is_refused():
    def uses_all_of_u(a):
        u, s, vh = np.linalg.svd(a)
        return np.sum(u * W44)

    a = R(4, 3)
    with pytest.raises(ValueError, match="full_matrices=False"):
        srcgrad.grad(uses_all_of_u)(a)
    t = srcgrad.tensor(a, requires_grad=True)
    with pytest.raises(ValueError, match="full_matrices=False"):
        uses_all_of_u(t).backward()


def test_a_loss_on_the_phase_of_complex_eigenvectors_is_refused():
    def phase_dependent(a):
        w, v = np.linalg.eig(a)
        return np.sum(np.real(v))

    a = np.array([[1.0, -2.0], [1.5, 0.5]])
    with pytest.raises(ValueError, match="phases"):
        srcgrad.grad(phase_dependent)(a)
    t = srcgrad.tensor(a, requires_grad=True)
    with pytest.raises(ValueError, match="phases"):
        phase_dependent(t).backward()


def test_refusals_name_what_is_missing():
    with pytest.raises(NotImplementedError, match="hermitian"):
        t = srcgrad.tensor(R(3, 3), requires_grad=True)
        np.sum(np.linalg.pinv(t, hermitian=True)).backward()
    with pytest.raises(NotImplementedError, match="axis="):  # the axes of a computed value: seen when it runs
        srcgrad.grad(lambda x: np.sum(np.gradient(x * 2.0)[0]))(R(3, 3))
    with pytest.raises(NotImplementedError, match="spacing"):
        h = srcgrad.tensor(0.5, requires_grad=True)
        np.sum(np.gradient(srcgrad.tensor(R(4)), h)).backward()


@pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
def test_agrees_with_pytorch():
    a = EIGEN(3)
    b = R(4, 3) + np.eye(4, 3)

    def ours(a, b):
        w, v = np.linalg.eig(a)
        u, s, vh = np.linalg.svd(b, full_matrices=False)
        return (
            np.sum(np.abs(w))
            + np.sum(np.abs(v))
            + np.sum(np.linalg.pinv(b) ** 2)
            + np.sum(s * s[::-1])
            + np.sum(np.abs(u[:, 0]))
        )

    def theirs(a, b):
        w, v = torch.linalg.eig(a)
        u, s, vh = torch.linalg.svd(b, full_matrices=False)
        return (
            torch.abs(w).sum()
            + torch.abs(v).sum()
            + (torch.linalg.pinv(b) ** 2).sum()
            + (s * s.flip(0)).sum()
            + torch.abs(u[:, 0]).sum()
        )

    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    theirs(ta, tb).backward()
    static = srcgrad.grad(ours, wrt=(0, 1))(a, b)
    sa, sb = srcgrad.tensor(a, requires_grad=True), srcgrad.tensor(b, requires_grad=True)
    ours(sa, sb).backward()
    for got in (static, (sa.grad.numpy(), sb.grad.numpy())):
        np.testing.assert_allclose(got[0], ta.grad.numpy(), rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(got[1], tb.grad.numpy(), rtol=1e-8, atol=1e-10)


def test_jvp_of_np_gradient_returned_over_every_axis():
    """``srcgrad.jvp`` of ``np.gradient(x)`` (a tuple, one array per axis) against finite differences along the
    tangent and dynamic mode's JVP of the same function."""

    def all_axes(x):
        return np.gradient(x, 0.25)

    x, t = R(3, 4, 2), R(3, 4, 2)
    value, tangent = srcgrad.jvp(all_axes)(x, t)
    assert isinstance(value, tuple) and len(value) == len(tangent) == 3
    eps = 1e-6
    for k, (plus, minus) in enumerate(zip(all_axes(x + eps * t), all_axes(x - eps * t))):
        np.testing.assert_allclose(value[k], np.gradient(x, 0.25, axis=k), rtol=1e-12)
        np.testing.assert_allclose(tangent[k], (plus - minus) / (2 * eps), rtol=1e-6, atol=1e-8)
    _, dynamic = srcgrad.autograd.functional.jvp(all_axes, srcgrad.tensor(x), srcgrad.tensor(t))
    for got, want in zip(tangent, dynamic):
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-12, atol=1e-14)


def test_jvp_of_a_function_calling_the_jvp_of_np_gradient():
    """Forward over forward: the JVP called inside is read in the form specialised on its arguments' shapes (the
    general form, not knowing x's axes, made one np.gradient call for all of them). np.gradient is linear, so
    the JVP of ``x, t -> the tangent of np.gradient(x) along t`` along ``(u, w)`` is np.gradient(w)."""
    inner = srcgrad.jvp(lambda x: np.gradient(x, 0.5))

    def tangent_of(x, t):
        value, tangent = inner(x, t)
        return tangent

    x, t, u, w = R(3, 4), R(3, 4), R(3, 4), R(3, 4)
    _, outer = srcgrad.jvp(tangent_of, wrt=(0, 1))(x, t, (u, w))
    assert len(outer) == 2
    for k in range(2):
        np.testing.assert_allclose(outer[k], np.gradient(w, 0.5, axis=k), rtol=1e-12, atol=1e-14)


def gradient_curvy(x):
    gx, gy = np.gradient(x, np.array([0.0, 0.3, 0.7, 1.2]), 0.5, edge_order=2)
    return np.sum(np.sin(gx) * W44) + np.sum(gy**3)


@pytest.mark.parametrize("f", [gradients, gradients_over_axes, gradient_curvy])
def test_second_derivative_of_np_gradient_in_static_mode(f):
    """np.gradient's VJP read again: the Hessian-vector product by grad of <grad f, v> against central differences
    of the gradient and against dynamic mode (create_graph)."""
    x = R(4, 4) if f is gradient_curvy else R(3, 4)
    v = _rng.standard_normal(x.shape)
    df = srcgrad.grad(f)

    def along(a):
        return np.sum(df(a) * v)

    got = srcgrad.grad(along)(x)
    u = _rng.standard_normal(x.shape)
    numeric = (along(x + 1e-6 * u) - along(x - 1e-6 * u)) / 2e-6
    assert np.isclose(np.sum(got * u), numeric, rtol=1e-5, atol=1e-7)
    t = srcgrad.tensor(x, requires_grad=True)
    (g,) = srcgrad.autograd.grad(f(t), [t], create_graph=True)
    (h,) = srcgrad.autograd.grad(np.sum(g * srcgrad.tensor(v)), [t])
    np.testing.assert_allclose(got, h.numpy(), rtol=1e-9, atol=1e-11)
