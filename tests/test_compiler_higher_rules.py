"""Second derivatives through rules whose VJPs take ``*args``/``**kw`` and through stacks of unknown rank.

``np.clip`` and ``np.pad`` (VJPs with ``**kw``), ``np.einsum`` (``*operands``: its VJP becomes the primitive
``einsum_cotangent``) and ``np.hstack``/``vstack``/``column_stack``/``dstack`` (the general gradient's
``stacked_piece``, transposed by ``stacked_place``), differentiated twice: judged by finite differences of the
compiled gradient, by dynamic mode (Tensors, ``create_graph=True``) and, for ``hessian``/``hvp``, by each other.
"""

import numpy as np
import pytest

import srcgrad
from srcgrad.autograd import functional


def clip_positional(x):
    return np.sum(np.clip(x, -0.5, 0.5) ** 2 * x)


def clip_keywords(x):
    return np.sum(np.clip(x * x, min=0.1, max=0.5) * np.sin(x))


def einsum_matmul(x):
    return np.sum(np.einsum("ij,jk->ik", x, x) ** 2)


def einsum_trace_and_diagonal(x):
    return np.sum(np.sin(np.einsum("ii,ij->j", x, np.cos(x)))) + np.einsum("ii->", x) ** 3


def einsum_ellipsis_and_summed_alone(x):
    return np.sum(np.einsum("...i,k->...k", x**2, x[0]) ** 2)


def pad_positional(x):
    return np.sum(np.pad(x, 1) ** 2 * np.pad(x**2, 1))


def pad_keywords(x):
    return np.sum(np.pad(np.sin(x), ((1, 0), (0, 2)), mode="constant", constant_values=0.0) ** 3)


def hstack_matrices(x):
    return np.sum(np.hstack([x, x**2]) ** 2)


def hstack_vectors(x):
    return np.sum(np.hstack([x[0], np.sin(x[1])]) ** 3)


def vstack_vector_and_matrix(x):
    return np.sum(np.vstack([x[2], np.sin(x)]) ** 3)


def column_stack_vectors(x):
    return np.sum(np.column_stack([x[0] ** 2, x[1]]) ** 3)


def dstack_matrices(x):
    return np.sum(np.dstack([x, np.cos(x)]) ** 3)


FUNCTIONS = [
    clip_positional,
    clip_keywords,
    einsum_matmul,
    einsum_trace_and_diagonal,
    einsum_ellipsis_and_summed_alone,
    pad_positional,
    pad_keywords,
    hstack_matrices,
    hstack_vectors,
    vstack_vector_and_matrix,
    column_stack_vectors,
    dstack_matrices,
]

X = np.random.default_rng(0).normal(size=(3, 3))
V = np.random.default_rng(1).normal(size=(3, 3))
DF = None  # the gradient the function below calls (set per test: a global the compiler reads at call time)


def directional(x):
    """``<V, grad f(x)>``: differentiating it calls ``DF``'s general generated code (``stacked_piece``, the rule
    adaptors' lambdas), not the source specialised for ``X``."""
    return np.sum(DF(x) * V)


@pytest.fixture
def with_gradient(monkeypatch):
    def use(f):
        monkeypatch.setitem(globals(), "DF", srcgrad.grad(f))

    return use


def _dynamic_hessian(f):
    return functional.hessian(f, srcgrad.tensor(X)).detach().numpy()


@pytest.mark.parametrize("f", FUNCTIONS, ids=[f.__name__ for f in FUNCTIONS])
def test_second_derivative_against_finite_differences_and_dynamic_mode(f, with_gradient):
    with_gradient(f)
    got = srcgrad.grad(directional)(X)
    eps = 1e-6
    numeric = np.zeros_like(X)
    for i in np.ndindex(X.shape):
        e = np.zeros_like(X)
        e[i] = eps
        numeric[i] = (directional(X + e) - directional(X - e)) / (2 * eps)
    np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-7)
    H = _dynamic_hessian(f)
    np.testing.assert_allclose(got, np.tensordot(H, V, 2), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("f", FUNCTIONS, ids=[f.__name__ for f in FUNCTIONS])
def test_hessian_and_hvp_agree_with_dynamic_mode(f):
    H = srcgrad.hessian(f)(X)
    expected = _dynamic_hessian(f)
    np.testing.assert_allclose(H, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(H, np.transpose(H, (2, 3, 0, 1)), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(srcgrad.hvp(f)(X, V), np.tensordot(H, V, 2), rtol=1e-10, atol=1e-12)


def test_the_general_gradient_calls_what_is_differentiated():
    """The cases above go through the code they are meant to: ``stacked_piece`` in the general gradient, and
    ``einsum_cotangent`` in the second derivative of an einsum."""
    assert "stacked_piece(" in srcgrad.grad(hstack_matrices).source
    global DF
    DF = srcgrad.grad(einsum_matmul)
    try:
        assert "einsum_cotangent(" in srcgrad.grad(directional).source
    finally:
        DF = None


def _dynamic_third(f):
    """``grad <V, grad <V, grad f>>`` at ``X`` on Tensors (``create_graph=True`` twice)."""
    x = srcgrad.tensor(X, requires_grad=True)
    (g,) = srcgrad.autograd.grad(f(x), x, create_graph=True)
    (g2,) = srcgrad.autograd.grad(np.sum(g * V), x, create_graph=True)
    (g3,) = srcgrad.autograd.grad(np.sum(g2 * V), x)
    return g3.detach().numpy()


THIRD_ORDER = [
    clip_keywords,
    pad_keywords,
    einsum_matmul,
    einsum_trace_and_diagonal,
    einsum_ellipsis_and_summed_alone,
    hstack_matrices,
    hstack_vectors,
    vstack_vector_and_matrix,
    column_stack_vectors,
    dstack_matrices,
]


@pytest.mark.parametrize("f", THIRD_ORDER, ids=[f.__name__ for f in THIRD_ORDER])
def test_third_derivative_against_finite_differences_and_dynamic_mode(f, with_gradient):
    """The rules' VJPs inlined twice: grad of ``<V, grad <V, grad f>>``. ``np.clip``/``np.pad`` (``**kw``),
    ``np.einsum`` (``einsum_cotangent``'s rules spread the operands with ``*`` at an index known while
    compiling) and stacks of unknown rank (``stacked_piece`` reads the list itself)."""
    with_gradient(f)
    d2 = srcgrad.grad(directional)

    def along(x):
        return np.sum(d2(x) * V)

    third = srcgrad.grad(along)(X)
    eps = 1e-5
    numeric = (along(X + eps * V) - along(X - eps * V)) / (2 * eps)
    assert np.sum(third * V) == pytest.approx(numeric, rel=1e-6, abs=1e-8)
    np.testing.assert_allclose(third, _dynamic_third(f), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("f", [einsum_trace_and_diagonal, hstack_vectors], ids=["einsum", "hstack"])
def test_fourth_derivative_by_hvp_and_by_grad(f, with_gradient):
    """One order more: ``hvp`` of the third-order function and ``grad`` of ``<V, third>`` agree with finite
    differences of the third derivative along ``V``."""
    with_gradient(f)
    d2 = srcgrad.grad(directional)

    def along(x):
        return np.sum(d2(x) * V)

    d3 = srcgrad.grad(along)

    def along3(x):
        return np.sum(d3(x) * V)

    eps = 1e-5
    numeric = (along3(X + eps * V) - along3(X - eps * V)) / (2 * eps)
    assert np.sum(srcgrad.grad(along3)(X) * V) == pytest.approx(numeric, rel=1e-6, abs=1e-7)
    assert np.sum(srcgrad.hvp(along)(X, V) * V) == pytest.approx(numeric, rel=1e-6, abs=1e-7)


def test_einsum_indices_are_literals_at_higher_order(with_gradient):
    """The operand index of ``einsum_cotangent`` is written as the literal it is (no ``argnum = 1``,
    ``t = argnum - 1``), so the code differentiated again knows which operand it replaces."""
    with_gradient(einsum_matmul)
    src = srcgrad.grad(directional).source
    assert "einsum_cotangent(dt, 'ij,jk->ik', 0, x, x" in src
    assert "argnum" not in src.split("# adjoint")[0]


def _contract(spec, a, b):
    return np.einsum(spec, a, b)


def einsum_in_a_helper(x):
    return np.sum(_contract("ij,jk->ik", x, np.sin(x)) ** 2)


def einsum_of_an_argument(spec, a, b):
    return np.sum(_contract(spec, a, b) ** 2)


def _directional_einsum(spec, a, b):
    return np.sum(DF(spec, a, b) * V)


def test_einsum_subscripts_given_to_a_helper_and_through_a_gradient(monkeypatch):
    """A string literal given to a helper is read as that literal (``np.einsum(spec, ...)`` in the helper was
    "no derivative rule"), and a gradient called with one is specialised on it when differentiated again;
    against dynamic mode (first order and ``create_graph=True``)."""
    x = srcgrad.tensor(X, requires_grad=True)
    einsum_in_a_helper(x).backward()
    np.testing.assert_allclose(srcgrad.grad(einsum_in_a_helper)(X), x.grad.numpy(), rtol=1e-12, atol=1e-12)
    monkeypatch.setitem(globals(), "DF", srcgrad.grad(einsum_of_an_argument, wrt=1))
    got = srcgrad.grad(_directional_einsum, wrt=2)("ij,jk->ik", X, np.cos(X))
    a, b = srcgrad.tensor(X, requires_grad=True), srcgrad.tensor(np.cos(X), requires_grad=True)
    (g,) = srcgrad.autograd.grad(einsum_of_an_argument("ij,jk->ik", a, b), a, create_graph=True)
    (expected,) = srcgrad.autograd.grad(np.sum(g * V), b)
    np.testing.assert_allclose(got, expected.detach().numpy(), rtol=1e-10, atol=1e-12)


JF = None  # the JVP the function below calls (set per test)


def _tangent_along_v(x):
    _, tangent = JF(x, V)
    return tangent


@pytest.mark.parametrize("f", [einsum_matmul, einsum_trace_and_diagonal], ids=["matmul", "trace_and_diagonal"])
def test_gradient_of_a_function_calling_an_einsum_jvp(f, monkeypatch):
    """The JVP's generated code calls einsum's JVP rule, a lambda that is the last argument of ``defjvp(...)``
    (its line ends in the call's closing brackets: reading it was a SyntaxError); ``grad`` of the tangent along
    ``V`` is ``H V``, against dynamic mode."""
    monkeypatch.setitem(globals(), "JF", srcgrad.jvp(f))
    got = srcgrad.grad(_tangent_along_v)(X)
    np.testing.assert_allclose(got, np.tensordot(_dynamic_hessian(f), V, 2), rtol=1e-10, atol=1e-12)
