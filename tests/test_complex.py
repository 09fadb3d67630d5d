"""Complex numbers in both modes: PyTorch's convention, checked against finite differences and PyTorch.

The gradient of a real loss ``L`` with respect to ``z = x + iy`` is
``dL/dx + i dL/dy`` (PyTorch's convention); a real input gets a real gradient
even when complex values occur on the way (the real part, as PyTorch gives).
Each function of ``FUNCTIONS`` runs in static mode (``srcgrad.grad``),
dynamic mode (Tensors, ``.backward()``) and forward mode (``srcgrad.jvp``:
the tangent of ``L`` along ``t`` is ``Re sum(conj(grad) * t)``), and is judged
by central finite differences on the real and imaginary parts; where PyTorch
is installed its gradients must agree too. Primitives whose rule is not
verified for complex values are refused in both modes.
"""

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import AutogradError, NoRuleError, TransformError

try:
    import torch
except ImportError:  # the PyTorch comparisons skip
    torch = None

EPS = 1e-6
_rng = np.random.default_rng(11)


def C(*shape):
    return _rng.uniform(-1, 1, shape) + 1j * _rng.uniform(-1, 1, shape)


def R(*shape):
    return _rng.uniform(-1, 1, shape)


def WELL(n):
    return C(n, n) + 3 * np.eye(n)


# ---------------------------------------------------------------- the functions
# Each is plain numpy with a real result; ``xp`` is the array module (numpy, or torch for the comparison).
def abs_sin_squared(z):
    return np.sum(np.abs(np.sin(z)) ** 2)


def real_of_product(z, w):
    return np.sum(np.real(z * np.conj(w) + z * z))


def imag_of_log(z):
    return np.sum(np.imag(np.log(z)) * np.real(np.exp(z)))


def angle_and_abs(z):
    return np.sum(np.angle(z) * np.abs(z) + np.abs(z / (1.5 + z)))


def mixed_real_input(x, z):
    """A real input meeting complex values: its gradient is real."""
    u = np.exp(1j * x) * z
    return np.sum(np.abs(u + x) ** 2) + np.sum(np.real(u) * x)


def phases_of_real(x):
    return np.sum(np.real(np.exp(1j * x) * (2.0 - 1.0j)) ** 2)


def matrix_chain(a, z):
    y = a @ z
    return np.real(np.vdot(y, y)) + np.sum(np.abs(np.linalg.inv(a) @ z))


def determinant(a):
    d = np.linalg.det(a)
    return np.abs(d) + np.real(d) * np.imag(d)


def log_abs_det(a):
    sign, logdet = np.linalg.slogdet(a)
    return logdet + np.real(sign) - np.imag(sign)


def solve_system(a, b):
    return np.sum(np.abs(np.linalg.solve(a, b)) ** 2)


def contractions(a, b):
    e = np.einsum("ij,jk->ik", a, b)
    t = np.tensordot(a, b.T, axes=2)
    return np.sum(np.abs(e)) + np.abs(t) + np.real(np.sum(np.outer(a[0], b[:, 1])))


def norms_and_moments(z):
    return np.linalg.norm(z) + np.var(z) + np.std(z[:2]) + np.linalg.norm(z, 1)


def reductions(z):
    return np.abs(np.prod(z)) + np.sum(np.real(np.cumsum(z)) * np.imag(np.cumprod(z)))


def shapes_and_indexing(z):
    m = np.reshape(z, (2, 3)).T
    s = np.concatenate([m[0], np.flip(m[1]), m[2] * 1j])
    return np.sum(np.abs(s) ** 2) + np.real(np.sum(np.diag(np.outer(z[:2], z[1:3]))))


def powers(z):
    return np.sum(np.abs(z**3 + np.sqrt(z + 2.0) + (z + 2.0) ** (0.5 + 0.5j)))


W3 = R(3, 3)
W43 = R(4, 3)


def hermitian_eigh(a):
    """eigh of a Hermitian matrix built from a (the loss reads |v|: no phase)."""
    w, v = np.linalg.eigh(a + np.conj(a.T) + np.diag([0.0, 3.0, 6.0]))
    return np.sum(w * np.arange(1.0, 4.0)) + np.sum(np.abs(v) ** 2 * W3)


def lower_triangle_eigh(a):
    """eigh reads one triangle of a complex matrix (and the real part of its diagonal)."""
    return np.sum(np.linalg.eigvalsh(a + np.diag([1.0, 4.0, 7.0])) ** 2)


def complex_svd(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    rebuilt = (u[:, :2] * s[:2]) @ vh[:2]  # a rank-2 approximation: no phase
    return (
        np.sum(s)
        + np.sum(np.abs(u) ** 2 * W43)
        + np.sum(np.real(rebuilt) * W43)
        + np.sum(np.linalg.svd(a, compute_uv=False) ** 2)
    )


def methods(z):
    """The ndarray spellings: z.real, z.imag, z.conj(), z.conjugate()."""
    return np.sum(z.real * z.imag) + np.sum((z * z.conj()).real) + np.sum(np.abs(z.conjugate() - 0.5j) ** 2)


def hyperbolic(z):
    return np.sum(np.real(np.tanh(z) * np.cosh(z)) + np.imag(np.arctan(z) * np.arcsinh(z)))


FUNCTIONS = [
    (abs_sin_squared, lambda: (np.array([0.6 + 0.3j, -0.2 + 0.9j, 0.4 - 0.7j]),)),
    (real_of_product, lambda: (C(4), C(4))),
    (imag_of_log, lambda: (C(3) + 1.5,)),
    (angle_and_abs, lambda: (C(3) + 0.3,)),
    (mixed_real_input, lambda: (R(3), C(3))),
    (phases_of_real, lambda: (R(4),)),
    (matrix_chain, lambda: (WELL(3), C(3))),
    (determinant, lambda: (WELL(3),)),
    (log_abs_det, lambda: (WELL(3),)),
    (solve_system, lambda: (WELL(3), C(3))),
    (contractions, lambda: (C(2, 3), C(3, 2))),
    (norms_and_moments, lambda: (C(5),)),
    (reductions, lambda: (C(4),)),
    (shapes_and_indexing, lambda: (C(6),)),
    (powers, lambda: (C(3),)),
    (hyperbolic, lambda: (C(3) * 0.7,)),
    (methods, lambda: (C(4),)),
    (hermitian_eigh, lambda: (C(3, 3),)),
    (lower_triangle_eigh, lambda: (C(3, 3),)),
    (complex_svd, lambda: (C(4, 3) + 2 * np.eye(4, 3),)),
]
IDS = [f.__name__ for f, _ in FUNCTIONS]


def numeric_grad(fn, args, i):
    """``dL/dRe + i dL/dIm`` by central differences (the imaginary part only for a complex argument)."""
    x = np.asarray(args[i])
    out = np.zeros(x.shape, dtype=x.dtype)
    for k in np.ndindex(x.shape):
        for d in (1.0, 1j) if np.iscomplexobj(x) else (1.0,):
            plus, minus = x.copy(), x.copy()
            plus[k] += EPS * d
            minus[k] -= EPS * d
            hi = fn(*args[:i], plus, *args[i + 1 :])
            lo = fn(*args[:i], minus, *args[i + 1 :])
            out[k] += (float(np.real(hi)) - float(np.real(lo))) / (2 * EPS) * d
    return out


def expected_grads(fn, args):
    return [numeric_grad(fn, args, i) for i in range(len(args))]


def _close(got, want, what):
    assert np.iscomplexobj(got) == np.iscomplexobj(want), f"{what}: dtype {np.asarray(got).dtype}"
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=what)


@pytest.mark.parametrize("fn, make", FUNCTIONS, ids=IDS)
def test_static_mode(fn, make):
    args = make()
    want = expected_grads(fn, args)
    got = srcgrad.grad(fn, wrt=tuple(range(len(args))))(*args)
    for i, (g, w) in enumerate(zip(got, want)):
        _close(g, w, f"static, argument {i}")


@pytest.mark.parametrize("fn, make", FUNCTIONS, ids=IDS)
def test_dynamic_mode(fn, make):
    args = make()
    want = expected_grads(fn, args)
    tensors = [srcgrad.tensor(a, requires_grad=True) for a in args]
    fn(*tensors).backward()
    for i, (t, w) in enumerate(zip(tensors, want)):
        _close(t.grad.numpy(), w, f"dynamic, argument {i}")


@pytest.mark.parametrize("fn, make", FUNCTIONS, ids=IDS)
def test_forward_mode(fn, make):
    """The tangent of ``L`` along ``t`` is ``Re sum(conj(grad) * t)``."""
    args = make()
    want = expected_grads(fn, args)
    rng = np.random.default_rng(3)
    for i, a in enumerate(args):
        t = rng.standard_normal(np.shape(a)) + (1j * rng.standard_normal(np.shape(a)) if np.iscomplexobj(a) else 0)
        _, got = srcgrad.jvp(fn, wrt=i)(*args, t)
        expected = float(np.real(np.sum(np.conj(want[i]) * t)))
        assert abs(float(np.real(got)) - expected) <= 1e-6 * (1 + abs(expected)), f"argument {i}"


@pytest.mark.parametrize("fn, make", FUNCTIONS, ids=IDS)
def test_second_order_in_dynamic_mode(fn, make):
    """A Hessian-vector product through the complex rules (create_graph) against finite differences."""
    args = make()
    rng = np.random.default_rng(5)
    i = 0
    x = args[0]
    v = rng.standard_normal(np.shape(x)) + (1j * rng.standard_normal(np.shape(x)) if np.iscomplexobj(x) else 0)

    def directional(a):
        t = srcgrad.tensor(a, requires_grad=True)
        out = fn(t, *[srcgrad.tensor(b) for b in args[1:]])
        (g,) = srcgrad.autograd.grad(out, [t], create_graph=True)
        return g, t

    g, t = directional(x)
    (h,) = srcgrad.autograd.grad(np.sum(np.real(np.conj(g) * srcgrad.tensor(v))), [t])
    # finite differences of Re <g(x), v> along each real and imaginary direction
    want = numeric_grad(lambda a: float(np.real(np.sum(np.conj(directional(a)[0].detach().numpy()) * v))), (x,), i)
    _close(h.numpy(), want, "Hessian-vector product")


# ---------------------------------------------------------------- PyTorch
def _torch_grad(fn, args):
    tensors = [torch.tensor(a, requires_grad=True) for a in args]
    fn(*tensors).backward()
    return [t.grad.numpy() for t in tensors]


def _torch_abs_sin_squared(z):
    return (torch.abs(torch.sin(z)) ** 2).sum()


def _torch_mixed_real_input(x, z):
    u = torch.exp(1j * x) * z
    return (torch.abs(u + x) ** 2).sum() + (u.real * x).sum()


def _torch_matrix_chain(a, z):
    y = a @ z
    return torch.vdot(y, y).real + torch.abs(torch.linalg.inv(a) @ z).sum()


def _torch_log_abs_det(a):
    sign, logdet = torch.linalg.slogdet(a)
    return logdet + sign.real - sign.imag


def _torch_angle_and_abs(z):
    return (torch.angle(z) * torch.abs(z) + torch.abs(z / (1.5 + z))).sum()


def _torch_norms_and_moments(z):
    return (
        torch.linalg.norm(z) + torch.var(z, unbiased=False) + torch.std(z[:2], unbiased=False) + torch.linalg.norm(z, 1)
    )


def _torch_hermitian_eigh(a):
    w, v = torch.linalg.eigh(a + a.conj().T + torch.diag(torch.tensor([0.0, 3.0, 6.0], dtype=torch.float64)))
    return (w * torch.arange(1.0, 4.0, dtype=torch.float64)).sum() + (torch.abs(v) ** 2 * torch.tensor(W3)).sum()


def _torch_complex_svd(a):
    u, s, vh = torch.linalg.svd(a, full_matrices=False)
    rebuilt = (u[:, :2] * s[:2]) @ vh[:2]
    w = torch.tensor(W43)
    return s.sum() + (torch.abs(u) ** 2 * w).sum() + (rebuilt.real * w).sum() + (torch.linalg.svdvals(a) ** 2).sum()


TORCH = [
    (hermitian_eigh, _torch_hermitian_eigh),
    (complex_svd, _torch_complex_svd),
    (abs_sin_squared, _torch_abs_sin_squared),
    (mixed_real_input, _torch_mixed_real_input),
    (matrix_chain, _torch_matrix_chain),
    (log_abs_det, _torch_log_abs_det),
    (angle_and_abs, _torch_angle_and_abs),
    (norms_and_moments, _torch_norms_and_moments),
]


@pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
@pytest.mark.parametrize("fn, torch_fn", TORCH, ids=[f.__name__ for f, _ in TORCH])
def test_both_modes_agree_with_pytorch(fn, torch_fn):
    make = dict(FUNCTIONS)[fn]
    args = make()
    theirs = _torch_grad(torch_fn, args)
    static = srcgrad.grad(fn, wrt=tuple(range(len(args))))(*args)
    tensors = [srcgrad.tensor(a, requires_grad=True) for a in args]
    fn(*tensors).backward()
    for i, want in enumerate(theirs):
        _close(static[i], want, f"static vs PyTorch, argument {i}")
        _close(tensors[i].grad.numpy(), want, f"dynamic vs PyTorch, argument {i}")


def test_the_issue_example():
    """|sin z|^2 at 0.6+0.3j: 0.9320+0.6367j (finite differences and PyTorch), was 1.1049+0.2307j."""
    z = 0.6 + 0.3j
    want = 0.9320390859672265 + 0.6366535821482413j
    assert abs(srcgrad.grad(lambda z: np.abs(np.sin(z)) ** 2)(z) - want) < 1e-12
    t = srcgrad.tensor(z, requires_grad=True)
    (np.abs(np.sin(t)) ** 2).backward()
    assert abs(complex(t.grad.item()) - want) < 1e-12


# ---------------------------------------------------------------- dtypes
def test_a_real_input_gets_a_real_gradient_in_both_modes():
    x = np.array([0.3, -0.8], dtype=np.float32)
    g = srcgrad.grad(phases_of_real)(x)
    assert g.dtype == np.float32
    t = srcgrad.tensor(x, requires_grad=True)
    phases_of_real(t).backward()
    assert t.grad.dtype == np.float32
    np.testing.assert_allclose(t.grad.numpy(), g, rtol=1e-5)
    t2 = srcgrad.tensor(x.astype(np.float64), requires_grad=True)
    (g2,) = srcgrad.autograd.grad(phases_of_real(t2), [t2], create_graph=True)
    assert g2.dtype == np.float64  # create_graph too


def test_a_python_float_gets_a_float_gradient():
    g = srcgrad.grad(lambda x: np.abs(np.exp(1j * x) + 0.5) ** 2)(0.7)
    assert type(g) is float
    assert abs(g - (-np.sin(0.7))) < 1e-12  # |e^{ix} + 1/2|^2 = 5/4 + cos x


def test_a_complex_number_gets_a_complex_gradient():
    """np.real's VJP is real, as Re g is; the caller still answers in the input's type (HIPS's test_real_type)."""
    g = srcgrad.grad(lambda z: np.sum(np.real(z)))(1.0j)
    assert type(g) is complex and g == 1.0
    g = srcgrad.grad(lambda z: np.sum(np.real(z) * 2.0))(np.array([1.0j, 2.0]))
    assert g.dtype == np.complex128
    t = srcgrad.tensor(1.0j, requires_grad=True)
    np.sum(np.real(t)).backward()
    assert t.grad.dtype == np.complex128


def test_complex64_stays_complex64_in_both_modes():
    z = C(3).astype(np.complex64)
    assert srcgrad.grad(abs_sin_squared)(z).dtype == np.complex64
    t = srcgrad.tensor(z, requires_grad=True)
    abs_sin_squared(t).backward()
    assert t.grad.dtype == np.complex64


def test_real_functions_keep_their_real_code():
    """No complex value can occur: the generated code has no conj() and no np.real() of the rules."""

    def f(x, y):
        return np.sum(np.abs(np.sin(x) * y) ** 2 / y)

    src = srcgrad.grad(f, wrt=(0, 1)).source_for(R(3), R(3) + 2)
    assert "conj" not in src and "np.real" not in src
    assert "* np.cos(x)" in src
    src_c = srcgrad.grad(f).source_for(C(3), R(3) + 2)
    assert "conj(np.cos(x))" in src_c


# ---------------------------------------------------------------- refusals
def refused_on_complex(z):
    return np.sum(np.abs(np.maximum(z, 0.5)))


def refused_made_inside(x):
    return np.sum(np.abs(np.sort(x * 1j)))


PHASES = np.exp(1j * np.arange(3.0))


def refused_global(x):
    return np.sum(np.abs(np.tanh(np.clip(x * PHASES, -1, 1))))


def test_static_mode_refuses_unverified_rules_at_the_line():
    with pytest.raises(TransformError, match=r"np\.maximum is not verified for complex values") as info:
        srcgrad.grad(refused_on_complex)(C(3))
    assert info.value.lineno == refused_on_complex.__code__.co_firstlineno + 1
    assert srcgrad.grad(refused_on_complex)(R(3)).dtype == np.float64  # real values: fine
    with pytest.raises(TransformError, match=r"np\.sort"):
        srcgrad.grad(refused_made_inside)(R(3))
    with pytest.raises(TransformError, match=r"np\.clip"):
        srcgrad.grad(refused_global)(R(3))
    with pytest.raises(TransformError, match=r"np\.maximum"):
        srcgrad.jvp(refused_on_complex)(C(3), C(3))


def test_dynamic_mode_refuses_unverified_rules():
    for fn, arg in ((refused_on_complex, C(3)), (refused_made_inside, R(3)), (refused_global, R(3))):
        with pytest.raises(NoRuleError, match="not verified for complex values"):
            fn(srcgrad.tensor(arg, requires_grad=True))


def test_a_complex_output_needs_an_explicit_cotangent():
    z = C(3)

    def f(z):
        return np.sum(np.sin(z))

    with pytest.raises(TypeError, match="returned a complex value"):
        srcgrad.grad(f)(z)
    np.testing.assert_allclose(srcgrad.grad(f)(z, dout=1.0 + 0j), np.conj(np.cos(z)))
    t = srcgrad.tensor(z, requires_grad=True)
    with pytest.raises(AutogradError, match="real scalar outputs"):
        f(t).backward()
    f(t).backward(srcgrad.tensor(1.0 + 0j))
    np.testing.assert_allclose(t.grad.numpy(), np.conj(np.cos(z)))
