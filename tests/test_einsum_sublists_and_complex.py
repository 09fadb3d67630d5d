"""``np.einsum`` in static mode: the interleaved form with its sublists given as arguments, and complex operands
at second order.

* ``np.einsum(a, sa, b, sb, out)`` with ``sa``, ``sb``, ``out`` arguments holding tuples or lists of labels: the
  generated code spells the subscripts when it runs (``einsum_sublist_subscripts``, no derivative);
* a gradient of complex einsums differentiated again reads ``einsum_cotangent``, verified for complex values.

Each derivative is judged by central finite differences; dynamic mode (Tensors) is checked the same way.
"""

import numpy as np
import pytest

import srcgrad

RNG = np.random.default_rng(21)
A = RNG.normal(size=(2, 3))
B = RNG.normal(size=(3, 4))
W = RNG.normal(size=(2, 4))


def fd(f, args, i, eps=1e-6):
    """Central differences of the real ``f`` with respect to ``args[i]`` (``dL/dx + i dL/dy`` when complex)."""
    x = np.array(args[i])
    out = np.zeros_like(x)
    steps = (1.0, 1j) if np.iscomplexobj(x) else (1.0,)
    for k in np.ndindex(x.shape):
        for step in steps:
            plus, minus = x.copy(), x.copy()
            plus[k] += eps * step
            minus[k] -= eps * step
            diff = (f(*args[:i], plus, *args[i + 1 :]) - f(*args[:i], minus, *args[i + 1 :])) / (2 * eps)
            out[k] += diff * step
    return out


def product(a, sa, b, sb, out):
    return np.sum(np.sin(np.einsum(a, sa, b, sb, out)) * W)


def implicit_output(a, sa, b, sb):
    return np.sum(np.einsum(a, sa, b, sb) ** 2)


SUBLISTS = [
    (product, (A, (0, 1), B, (1, 2), (0, 2))),
    (product, (A, [0, 1], B, [1, 2], [0, 2])),
    (implicit_output, (A, (0, 1), B, (1, 2))),
    (product, (A[None], (Ellipsis, 0, 1), B, (1, 2), (Ellipsis, 0, 2))),
]


@pytest.mark.parametrize("f, args", SUBLISTS, ids=["tuples", "lists", "implicit output", "ellipsis"])
def test_static_sublists_given_as_arguments(f, args):
    da, db = srcgrad.grad(f, wrt=(0, 2))(*args)
    np.testing.assert_allclose(da, fd(f, args, 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(db, fd(f, args, 2), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f, args", SUBLISTS[:1], ids=["tuples"])
def test_dynamic_sublists_given_as_arguments(f, args):
    a, b = srcgrad.tensor(args[0], requires_grad=True), srcgrad.tensor(args[2], requires_grad=True)
    f(a, args[1], b, *args[3:]).backward()
    np.testing.assert_allclose(a.grad.numpy(), fd(f, args, 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(b.grad.numpy(), fd(f, args, 2), rtol=1e-6, atol=1e-8)


def test_static_sublists_given_as_arguments_second_order():
    dproduct = srcgrad.grad(product, wrt=(0, 2))

    def outer(a, b):
        da, db = dproduct(a, (0, 1), b, (1, 2), (0, 2))
        return np.sum(da * A) + np.sum(np.cos(db))

    g = srcgrad.grad(outer, wrt=(0, 1))(A, B)
    np.testing.assert_allclose(g[0], fd(outer, (A, B), 0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(g[1], fd(outer, (A, B), 1), rtol=1e-5, atol=1e-7)


def test_generated_code_spells_the_subscripts_when_it_runs():
    code = srcgrad.grad(product).source_for(*SUBLISTS[0][1])
    assert "einsum_sublist_subscripts((sa, sb), out)" in code, code


# ---------------------------------------------------------------- complex operands at second order
AC = RNG.normal(size=(2, 3)) + 1j * RNG.normal(size=(2, 3))
BC = RNG.normal(size=(3, 4)) + 1j * RNG.normal(size=(3, 4))
U = RNG.normal(size=(2, 4)) + 1j * RNG.normal(size=(2, 4))


def matmult(a, b):
    return np.einsum("ij,jk->ik", a, b)


def test_static_complex_einsum_vjp_differentiated_again():
    """HIPS's check at order 2: the VJP (a complex cotangent) of einsum, differentiated with respect to the
    operands, as a function of the operands (the cotangent's gradient is the einsum itself)."""
    dmatmult = srcgrad.grad(matmult, wrt=(0, 1))
    v = RNG.normal(size=(2, 3)) + 1j * RNG.normal(size=(2, 3))
    w = RNG.normal(size=(3, 4)) + 1j * RNG.normal(size=(3, 4))

    def paired(a, b):
        da, db = dmatmult(a, b, dout=U)
        return np.real(np.sum(np.conj(v) * da) + np.sum(np.conj(w) * db))

    ga, gb = srcgrad.grad(paired, wrt=(0, 1))(AC, BC)
    np.testing.assert_allclose(ga, fd(paired, (AC, BC), 0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(gb, fd(paired, (AC, BC), 1), rtol=1e-5, atol=1e-7)
