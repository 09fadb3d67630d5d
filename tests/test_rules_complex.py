"""Every rule verified for complex values (``Rule.complex``), checked against finite differences.

The convention is PyTorch's: the gradient of a real loss ``L`` with respect to
``z = x + iy`` is ``dL/dx + i dL/dy``. For each row of ``CASES`` (complex
arguments, and real arguments mixed with complex ones) and each differentiable
argument:

* the VJP of ``L = Re <g, f(...)>`` (``Re sum(conj(g) * f)``) must match central
  finite differences taken on the real part and, for a complex argument, on the
  imaginary part (a real argument gets the real part of the VJP, as the tape
  and the compiler give it);
* the JVP along a random (complex) tangent must match the finite-difference
  directional derivative, and be real where the result is real;
* the dot-product test ``Re <vjp(g), t> == Re <g, jvp(t)>`` must hold.

``test_every_complex_rule_has_a_sample`` fails when a rule is marked complex
without a row here; ``test_unverified_rules_refuse_complex`` proves the tape
refuses complex values for every rule that is not marked.
"""

import math
import operator

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import NoRuleError
from srcgrad.rules import get_rule, shape_of, unbroadcast
from srcgrad.rules.einsum import einsum_args, einsum_cotangent
from srcgrad.rules.generated import match_shape, real_like, stacked_piece, stacked_place
from srcgrad.rules.helpers import broadcast_like, conj, unreduce
from srcgrad.rules.indexing import index_add, index_update
from srcgrad.rules.linalg import svd_p, svdvals_p
from srcgrad.rules.reductions import others_product
from srcgrad.rules.shape import (
    astype,
    atleast_p,
    concatenate_args,
    gradient_along,
    joined_rows,
    split_tuple,
    stack_args,
)
from test_rules import CASES as REAL_CASES
from test_rules import Case, _library_rules, diff_args

EPS = 1e-6
_rng = np.random.default_rng(2024)


def R(*shape, lo=-1.0, hi=1.0):
    """Real samples."""
    return _rng.uniform(lo, hi, size=shape)


def C(*shape, lo=-1.0, hi=1.0):
    """Complex samples, real and imaginary parts uniform in ``[lo, hi)``."""
    return _rng.uniform(lo, hi, size=shape) + 1j * _rng.uniform(lo, hi, size=shape)


def RIGHT(*shape):
    """Complex samples with real part in [0.5, 1.5): away from the branch cut of log, sqrt, power."""
    return C(*shape) * 0.5 + 1.0


def WELLC(n, *batch):
    return C(*batch, n, n) + 3 * np.eye(n)


CASES = []


def case(fn, *args, id=None, wrt=None, **kwargs):
    name = get_rule(fn).name
    CASES.append(Case(fn, args, kwargs, id or f"{name}-{len(CASES)}", False, wrt))


for _f in (np.add, np.subtract, np.multiply):
    case(_f, C(3, 4), C(3, 4))
    case(_f, C(3, 1), R(4), id=f"{_f.__name__}-complex-real")
    case(_f, R(2, 3), C(3), id=f"{_f.__name__}-real-complex")
    case(_f, C(2), 1.5 - 0.5j)
case(np.true_divide, C(3, 4), RIGHT(3, 4))
case(np.true_divide, R(3), RIGHT(2, 3), id="divide-real-complex")
case(np.negative, C(3))
case(np.positive, C(3))
case(np.absolute, C(3, 4))
case(np.power, RIGHT(3, 4), C(3, 4))
case(np.power, RIGHT(3), 2.5)
case(np.power, C(3), 3, id="power-complex-int")
case(np.power, R(3, lo=0.5, hi=2.0), C(3), id="power-real-base-complex-exponent")
case(np.float_power, RIGHT(3), C(3))
case(np.square, C(2, 3))
case(np.reciprocal, RIGHT(3))
case(np.sqrt, RIGHT(3, 2))
for _f in (np.exp, np.exp2, np.expm1, np.sin, np.cos, np.tan, np.sinh, np.cosh, np.tanh):
    case(_f, C(3, 2))
for _f in (np.log, np.log1p, np.log2, np.log10):
    case(_f, RIGHT(3))
for _f in (np.arcsin, np.arccos, np.arctan, np.arcsinh, np.arctanh):
    case(_f, C(4) * 0.6)
case(np.arccosh, C(4) * 0.5 + 2.0)
case(np.sinc, C(3, 2))
case(np.sinc, np.array([0j, 0.5 - 0.2j]), id="sinc-complex-x0")
case(np.arccosh, C(4) * 0.5 - 0.5j, id="arccosh-left-half")
case(np.where, R(3, 4) > 0, C(3, 4), R(4), id="where-complex-real")
case(np.full_like, C(3, 2), 0.5 - 0.25j)
case(np.full_like, C(3, 2), C(2), id="full_like-broadcast-fill")
case(np.real, C(3, 2))
case(np.real, R(3), id="real-of-real")
case(np.real_if_close, C(3, 2))
case(np.imag, C(3, 2))
case(np.imag, R(3), id="imag-of-real")
case(np.conjugate, C(3, 2))
case(np.conjugate, R(3), id="conj-of-real")
case(conj, C(3))
case(conj, R(3), id="conj-helper-real")
case(np.angle, C(3, 2))
case(np.angle, C(3), deg=True, id="angle-degrees")
case(np.angle, R(3), id="angle-of-real")

# reductions
for _f in (np.sum, np.mean):
    case(_f, C(3, 4))
    case(_f, C(2, 3, 4), axis=(0, 2), keepdims=True)
case(np.prod, C(3, 4), axis=1)
case(np.prod, np.array([1 + 1j, 0j, 2 - 1j]), id="prod-complex-zero")
case(others_product, C(3, 4))
# max/min of complex values: numpy's order (real part, then imaginary part); the extreme's cotangent goes to it
for _f in (np.max, np.amax, np.min, np.amin):
    case(_f, C(3, 4), id=f"{_f.__name__}-complex")
    case(_f, C(3, 4), axis=1, keepdims=True, id=f"{_f.__name__}-complex-axis")
for _f in (np.var, np.std):
    case(_f, C(3, 4))
    case(_f, C(3, 4), axis=1, ddof=1)
case(np.cumsum, C(3, 4), axis=1)
case(np.cumprod, C(3, 4), axis=1)
case(np.cumprod, np.array([1 + 1j, 0j, 2 - 1j, 0.5j, 0j, 1.0]), id="cumprod-complex-zeros")

# linear algebra
case(np.matmul, C(3, 4), C(4, 2))
case(np.matmul, C(4), C(4, 3))
case(np.matmul, C(3, 4), C(4))
case(np.matmul, C(4), C(4))
case(np.matmul, R(3, 4), C(4, 2), id="matmul-real-complex")
case(np.dot, C(3, 4), C(4, 2))
case(np.dot, C(4), R(4), id="dot-complex-real")
case(np.inner, C(3, 4), C(2, 4))
case(np.outer, C(3), C(2))
case(np.vdot, C(3, 2), C(6))
case(np.vdot, R(4), C(4), id="vdot-real-complex")
case(np.tensordot, C(2, 3, 4), C(3, 4, 5))
case(np.vecdot, C(3, 4), C(4))
case(np.vecdot, R(3, 4), C(4), id="vecdot-real-complex")
case(np.matvec, C(2, 3, 4), C(4))
case(np.vecmat, C(3), C(2, 3, 4))
case(np.cross, C(2, 3), C(3))
case(np.convolve, C(5), C(3))
case(np.convolve, C(3), C(5), "same")


def HPD(n, *batch):
    """A well-conditioned Hermitian positive definite (batch of) n x n matrices."""
    b = C(*batch, n, n)
    return b @ np.conj(np.swapaxes(b, -1, -2)) + n * np.eye(n)


case(np.linalg.cholesky, HPD(3))
case(np.linalg.cholesky, HPD(3) + np.triu(C(3, 3), 1) + 0.3j * np.eye(3), id="cholesky-complex-reads-lower")
case(np.linalg.cholesky, HPD(2, 2))
case(np.kron, C(2, 2), C(2, 3))
case(np.kron, R(3), C(2, 2), id="kron-real-complex")
case(np.rot90, C(3, 4))
case(einsum_args, "ij,jk->ik", C(3, 4), C(4, 2))
case(einsum_args, "ii->i", C(3, 3))
case(einsum_args, "j...k,lj...->lk...", C(2, 3, 4), R(5, 2, 3), id="einsum-middle-ellipsis-mixed")
case(einsum_cotangent, C(3, 2), "ij,jk->ik", 0, C(3, 4), C(4, 2), wrt=(0, 3, 4), id="einsum_cotangent-complex")
case(einsum_cotangent, C(3, 2), "ij,jk->ik", 1, R(3, 4), C(4, 2), wrt=(0, 3), id="einsum_cotangent-mixed")
case(einsum_cotangent, C(2, 3), "iji,j->ij", 0, C(2, 3, 2), C(3), wrt=(0, 4), id="einsum_cotangent-repeat-complex")
case(np.trace, C(3, 3))
case(np.linalg.inv, WELLC(3))
case(np.linalg.det, WELLC(3))
case(np.linalg.det, WELLC(2, 2))
case(np.linalg.slogdet, WELLC(3))
case(np.linalg.slogdet, WELLC(3, 2))
case(np.linalg.solve, WELLC(3), C(3))
case(np.linalg.solve, WELLC(3), C(3, 2))
case(np.linalg.norm, C(5))
case(np.linalg.norm, C(3, 4), axis=1)
case(np.linalg.norm, C(5), ord=1)
case(np.linalg.norm, C(5), ord=3)
case(np.linalg.norm, C(5), ord=np.inf)
case(np.linalg.norm, C(3, 4), ord="fro")
case(np.linalg.norm, C(3, 4), ord="nuc")
case(np.linalg.norm, C(3, 4), ord=2)
case(np.linalg.norm, C(3, 4), ord=1)
case(np.linalg.norm, C(3, 4), ord=-np.inf)

# np.fft: complex inputs, every n / s / axes / norm form (real inputs are rows of tests/test_rules.py)
case(np.fft.fft, C(4, 5))
case(np.fft.fft, C(5, 4), 7, axis=0, norm="ortho")
case(np.fft.fft, C(3, 5), 3, norm="forward")
case(np.fft.ifft, C(4, 5))
case(np.fft.ifft, C(5, 3), 8, axis=0)
case(np.fft.rfft, R(3, 6), id="rfft-real")
case(np.fft.rfft, R(3, 5), 4, norm="ortho", id="rfft-n-smaller-ortho")
case(np.fft.irfft, C(3, 4))
case(np.fft.irfft, C(4, 3), 7, axis=0, norm="ortho", id="irfft-odd-n")
case(np.fft.irfft, C(2, 5), 5, norm="forward", id="irfft-n-smaller")
case(np.fft.irfft, C(2, 3), 9, id="irfft-n-bigger")
case(np.fft.fft2, C(3, 4))
case(np.fft.ifft2, C(2, 3, 4), (5, 2), (0, 2))
case(np.fft.fftn, C(3, 4, 2), (4, 3), axes=(2, 0), norm="ortho")
case(np.fft.ifftn, C(3, 4))
case(np.fft.rfft2, R(4, 5), id="rfft2-real")
case(np.fft.rfftn, R(4, 3, 4), (6, 3), axes=(0, 2), id="rfftn-s-axes")
case(np.fft.rfftn, R(5, 5), norm="forward", id="rfftn-odd")
case(np.fft.irfft2, C(4, 3))
case(np.fft.irfftn, C(3, 4, 3), (5, 4), axes=(1, 2), norm="ortho")
case(np.fft.irfftn, C(4, 3, 4))
case(np.fft.irfftn, C(5, 3), (3, 7), (0, 1), id="irfftn-s-odd")
case(np.fft.fftshift, C(5, 4))
case(np.fft.ifftshift, C(5, 3), axes=1)

# eigen-decompositions and pseudo-inverses (eig's eigenvectors: see ONLY_OUTPUTS)
case(np.linalg.eig, WELLC(3), id="eig-complex")
case(np.linalg.eigh, WELLC(3) + np.conj(WELLC(3).T) + np.diag([0.0, 3.0, 6.0]), id="eigh-complex")
case(np.linalg.eigh, C(3, 3) + np.diag([1.0, 4.0, 7.0]), UPLO="U", id="eigh-complex-upper")
case(svd_p, C(4, 3) + 2 * np.eye(4, 3), id="svd-complex")
case(svdvals_p, C(3, 4) + 2 * np.eye(3, 4))
case(np.linalg.eigvalsh, C(3, 3) + np.diag([1.0, 4.0, 7.0]))
case(np.linalg.eigvals, WELLC(3))
case(np.linalg.pinv, C(4, 3))
case(np.linalg.pinv, C(2, 3), id="pinv-wide")

# shapes and indexing: linear, but checked all the same
case(np.reshape, C(3, 4), (2, 6))
case(np.ravel, C(3, 4))
case(np.transpose, C(2, 3, 4), (1, 2, 0))
case(np.swapaxes, C(2, 3, 4), 0, 2)
case(np.moveaxis, C(2, 3, 4), 0, -1)
case(np.expand_dims, C(3), 1)
case(np.squeeze, C(3, 1))
case(np.broadcast_to, C(3, 1), (2, 3, 4))
case(np.copy, C(3))
case(astype, C(3, 2), np.complex128, id="astype-complex128")
case(astype, R(3, 2), np.complex128, id="astype-real-to-complex")
case(astype, C(3, 2), np.float64, id="astype-complex-to-real")
case(np.flip, C(3, 4), 1)
case(np.roll, C(3, 4), 1)
case(np.tile, C(2, 3), 2)
case(np.repeat, C(2, 3), 2, axis=1)
case(np.pad, C(3, 4), 1)
case(np.tril, C(3, 3))
case(np.triu, C(3, 3))
case(np.diagonal, C(3, 4))
case(np.diag, C(3))
case(np.diag, C(3, 3))
case(np.diff, C(5))
case(np.nan_to_num, C(3))
case(concatenate_args, C(3, 4), R(2, 4))
case(stack_args, C(3), C(3), axis=1)
case(split_tuple, C(6, 2), 3)
case(operator.getitem, C(3, 4), (slice(None), 1))
case(operator.getitem, C(3, 4), np.array([0, 2, 0]))
case(index_add, C(3, 4), np.array([0, 0, 2]), C(3, 4))
case(index_update, C(3, 4), (slice(None), 1), C(3))
case(index_update, R(3, 4), (slice(None), 1), C(3), id="index_update-real-gets-complex")
case(np.take, C(3, 4), np.array([0, 2, 2]), axis=0)
case(np.take_along_axis, C(3, 4), np.array([[0], [3], [1]]), axis=1)
case(np.append, C(3, 2), R(4), id="append-complex-real")
case(np.append, C(3, 2), C(1, 2), axis=0)
case(atleast_p, C(1)[0] * np.ones(()), 1, id="atleast_1d-0d")
case(atleast_p, C(3), 2)
case(atleast_p, C(3, 2), 3)
case(np.hsplit, C(2, 6), 3)
case(np.vsplit, C(4, 3), 2)
case(np.dsplit, C(2, 2, 4), 2)
case(gradient_along, C(6), 0.5, edge_order=2, wrt=(0,))
case(gradient_along, C(4, 5), np.array([0.0, 0.3, 0.5, 1.2, 1.3]), axis=1, wrt=(0,), id="gradient-coordinates")

# the helpers generated code calls (linear in their first argument)
case(unbroadcast, C(2, 3, 4), (3, 1))
case(unreduce, C(3), C(3, 4), 1)
case(broadcast_like, C(4), C(3, 4))
case(real_like, C(3, 2), C(3, 2), id="real_like-of-a-complex-input")
case(real_like, C(3, 2), R(3, 2), id="real_like-of-a-real-input")
case(match_shape, C(1, 4), C(3, 4))
case(stacked_piece, C(3, 7), [C(3, 2), C(3, 5)], 1, "hstack", wrt=(0,))
case(joined_rows, C(3, 2, 4), "concatenate", 1, wrt=(0,))
case(stacked_place, C(3, 5), (3, 7), [C(3, 2), C(3, 5)], 1, "hstack", wrt=(0,))


ONLY_OUTPUTS = {"eig-complex": (0,), "eigh-complex": (0,), "eigh-complex-upper": (0,), "svd-complex": (1,)}
"""Cases whose other outputs are not checked here: complex eigenvectors have an arbitrary phase (numpy's
gauge is not the rule's), so only phase-invariant losses have a gradient; tests/test_linalg_more.py checks
those in both modes."""


# ---------------------------------------------------------------- the checker
def _is_arg(a):
    if isinstance(a, (bool, np.bool_)):
        return False
    if isinstance(a, (float, complex)):
        return True
    return isinstance(a, np.ndarray) and a.dtype.kind in "fc"


def _pair(a, b):
    """``Re <a, b>`` summed over every output: the real inner product complex values live in."""
    if isinstance(a, (tuple, list)):
        return sum(_pair(x, y) for x, y in zip(a, b))
    return float(np.real(np.sum(np.conj(np.asarray(a, dtype=complex)) * np.asarray(b, dtype=complex))))


def _like(rng, value):
    if isinstance(value, (tuple, list)):
        return tuple(_like(rng, v) for v in value)
    arr = np.asarray(value)
    out = rng.standard_normal(arr.shape)
    if arr.dtype.kind == "c":
        out = out + 1j * rng.standard_normal(arr.shape)
    return out.astype(arr.dtype) if arr.shape else arr.dtype.type(out)


def _with(args, i, value):
    return args[:i] + (value,) + args[i + 1 :]


def numeric_vjp(fn, args, kwargs, i, g):
    """``dL/dRe + i dL/dIm`` of ``L = Re <g, fn(...)>`` with respect to ``args[i]``."""
    x = args[i]
    scalar = not isinstance(x, np.ndarray)
    flat = np.array(x, dtype=complex if np.iscomplexobj(x) else float).reshape(-1)
    out = np.zeros(flat.size, dtype=flat.dtype)
    directions = (1.0, 1j) if np.iscomplexobj(x) else (1.0,)
    for k in range(flat.size):
        for d in directions:
            bump = np.zeros(flat.size, dtype=flat.dtype)
            bump[k] = EPS * d
            plus, minus = (flat + bump).reshape(np.shape(x)), (flat - bump).reshape(np.shape(x))
            if scalar:
                plus, minus = plus[()], minus[()]
            slope = _pair(g, fn(*_with(args, i, plus), **kwargs)) - _pair(g, fn(*_with(args, i, minus), **kwargs))
            out[k] += slope / (2 * EPS) * d
    return out.reshape(np.shape(x))


def numeric_jvp(fn, args, kwargs, i, t):
    plus = fn(*_with(args, i, args[i] + EPS * t), **kwargs)
    minus = fn(*_with(args, i, args[i] - EPS * t), **kwargs)
    if isinstance(plus, tuple):
        return tuple((np.asarray(p) - np.asarray(m)) / (2 * EPS) for p, m in zip(plus, minus))
    return (np.asarray(plus) - np.asarray(minus)) / (2 * EPS)


def _close(actual, expected, what, rtol=1e-5, atol=1e-6):
    if isinstance(expected, tuple):
        for a, e in zip(actual, expected):
            _close(a, e, what, rtol, atol)
        return
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape:
        raise AssertionError(f"{what}: shape {actual.shape} != expected {expected.shape}")
    if not np.allclose(actual, expected, rtol=rtol, atol=atol):
        raise AssertionError(
            f"{what}: max abs error {np.max(np.abs(actual - expected)):.3g}\n"
            f"rule:\n{actual}\nfinite differences:\n{expected}"
        )


def _real_result_of_complex(args, ans):
    """True for a primitive that gave a real result for some complex argument (``abs``, ``var``, slogdet's
    ``logabsdet``, ...)."""
    outs = ans if isinstance(ans, tuple) else (ans,)
    return any(np.iscomplexobj(a) for a in args) and not all(np.iscomplexobj(o) for o in outs)


def _noisy(rng, g, ans):
    """``g`` with an imaginary part added to the cotangents of real results (a tuple for a tuple)."""
    if isinstance(g, tuple):
        return tuple(_noisy(rng, gk, a) for gk, a in zip(g, ans))
    return g if np.iscomplexobj(ans) else g + 1j * rng.standard_normal(np.shape(g))


def check_complex_rule(c, rng):
    """Check every VJP and JVP of case ``c`` in the complex convention; raise AssertionError."""
    rule = get_rule(c.fn)
    assert rule.complex, f"{c.id}: the rule is not marked complex=True"
    ans = c.fn(*c.args, **c.kwargs)
    ans = tuple(ans) if isinstance(ans, list) else ans
    g = _like(rng, ans)
    only = ONLY_OUTPUTS.get(c.id)
    if only is not None:
        g = tuple(gk if k in only else np.zeros_like(gk) for k, gk in enumerate(g))
    indices = [
        i for i, a in enumerate(c.args) if _is_arg(a) and rule.vjp_at(i) is not None and (c.wrt is None or i in c.wrt)
    ]
    assert indices, f"{c.id}: no differentiable argument"
    for i in indices:
        x = c.args[i]
        ct = unbroadcast(rule.call_vjp(i, g, ans, c.args, c.kwargs), shape_of(x))
        if not np.iscomplexobj(x):
            ct = np.real(ct)  # what the tape and the compiler give a real input
        _close(ct, numeric_vjp(c.fn, c.args, c.kwargs, i, g), f"{c.id}: vjp of argument {i}")
        if _real_result_of_complex(c.args, ans):
            # a real result's cotangent may carry an imaginary part from a complex neighbour: it means nothing
            noisy = _noisy(rng, g, ans)
            ct_noisy = unbroadcast(rule.call_vjp(i, noisy, ans, c.args, c.kwargs), shape_of(x))
            _close(
                ct_noisy if np.iscomplexobj(x) else np.real(ct_noisy),
                ct,
                f"{c.id}: vjp of argument {i} reads the imaginary part of the cotangent of a real result",
            )
        t = _like(rng, x)
        jt = rule.call_jvp(i, t, ans, c.args, c.kwargs)
        for j, a in zip(jt, ans) if isinstance(ans, tuple) else ((jt, ans),):
            assert np.shape(j) == np.shape(a), f"{c.id}: jvp of argument {i} has shape {np.shape(j)}"
            if not np.iscomplexobj(a):
                assert not np.iscomplexobj(j), f"{c.id}: the tangent of a real result is complex"
        expected = numeric_jvp(c.fn, c.args, c.kwargs, i, t)
        if only is not None:
            jt, expected = tuple(jt[k] for k in only), tuple(expected[k] for k in only)
        _close(jt, expected, f"{c.id}: jvp of argument {i}")
        lhs, rhs = _pair(ct, t), _pair(tuple(g[k] for k in only) if only is not None else g, jt)
        assert math.isclose(lhs, rhs, rel_tol=1e-9, abs_tol=1e-9), (
            f"{c.id}: dot-product test of argument {i}: {lhs} != {rhs}"
        )


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_complex_rule_matches_finite_differences(c):
    check_complex_rule(c, np.random.default_rng(0))


@pytest.mark.parametrize(
    "c",
    [
        c
        for c in CASES
        if c.fn is not np.float_power and any(isinstance(a, np.ndarray) and a.dtype == np.complex128 for a in c.args)
    ],
    ids=lambda c: c.id,
)
def test_complex64_stays_complex64(c):
    """complex64 arguments get complex64 cotangents (as float32 stays float32; np.float_power computes in
    double precision whatever it is given)."""
    rule = get_rule(c.fn)
    args = tuple(
        a.astype(np.complex64)
        if isinstance(a, np.ndarray) and a.dtype == np.complex128
        else a.astype(np.float32)
        if isinstance(a, np.ndarray) and a.dtype == np.float64
        else a
        for a in c.args
    )
    ans = c.fn(*args, **c.kwargs)
    ans = tuple(ans) if isinstance(ans, list) else ans
    g = _like(np.random.default_rng(0), ans)
    if c.id in ONLY_OUTPUTS:
        g = tuple(gk if k in ONLY_OUTPUTS[c.id] else np.zeros_like(gk) for k, gk in enumerate(g))
    for i, a in enumerate(args):
        if isinstance(a, np.ndarray) and a.dtype == np.complex64 and rule.vjp_at(i) is not None:
            ct = rule.call_vjp(i, g, ans, args, c.kwargs)
            assert np.asarray(ct).dtype in (np.complex64, np.float32), f"{c.id}: {np.asarray(ct).dtype}"


def test_every_complex_rule_has_a_sample():
    sampled = {id(c.fn) for c in CASES}
    missing = sorted(rule.name for fn, rule in _library_rules() if rule.complex and id(fn) not in sampled)
    assert not missing, f"rules marked complex=True without a row in tests/test_rules_complex.py: {missing}"


def test_checker_catches_a_missing_conjugate(monkeypatch):
    """The real formula g * cos(z), without the conjugate, must fail the check."""
    monkeypatch.setattr(get_rule(np.sin), "vjps", (lambda g, ans, x: g * np.cos(x),))
    with pytest.raises(AssertionError, match="vjp of argument 0"):
        check_complex_rule(Case(np.sin, (C(3),), {}, "sin-without-conj"), np.random.default_rng(0))


def test_checker_catches_an_imaginary_part_kept_for_a_real_result(monkeypatch):
    """abs(z)'s VJP must read only Re g: g * sign(z) with a complex g is wrong."""
    monkeypatch.setattr(get_rule(np.absolute), "vjps", (lambda g, ans, x: (g + 1j * np.real(g)) * np.sign(x),))
    with pytest.raises(AssertionError, match="vjp of argument 0"):
        check_complex_rule(Case(np.absolute, (C(3),), {}, "abs-imag-g"), np.random.default_rng(0))


# ---------------------------------------------------------------- refusals
def _complexify(a):
    return a + 0.25j if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a


UNVERIFIED = []
for _c in REAL_CASES:
    _rule = get_rule(_c.fn)
    if (
        _rule.complex
        or not _rule.differentiable
        or getattr(_c.fn, "__module__", "") == "math"
        or _c.fn in (abs, max, min)
        or not any(isinstance(a, np.ndarray) for a in _c.args)
    ):
        continue
    if id(_c.fn) not in {id(u.fn) for u in UNVERIFIED}:
        UNVERIFIED.append(_c)


def test_unverified_rules_are_refused_for_complex_values_in_dynamic_mode():
    """Every rule not marked complex refuses a complex Tensor that requires grad (or numpy itself refuses
    the complex value); none records silently."""
    assert len(UNVERIFIED) > 20
    for c in UNVERIFIED:
        i = next(k for k in diff_args(c) if isinstance(c.args[k], np.ndarray))
        t = srcgrad.tensor(_complexify(c.args[i]), requires_grad=True)
        args = tuple(t if k == i else _complexify(a) if k in diff_args(c) else a for k, a in enumerate(c.args))
        with pytest.raises((NoRuleError, TypeError, ValueError)) as info:
            c.fn(*args, **c.kwargs)
        if isinstance(info.value, NoRuleError):
            assert "complex" in str(info.value), c.id


def test_refusal_names_the_function():
    z = srcgrad.tensor(C(3), requires_grad=True)
    with pytest.raises(NoRuleError, match=r"numpy\.maximum is not verified for complex values"):
        np.maximum(z, 0.0)
    x = srcgrad.tensor(R(3), requires_grad=True)
    with pytest.raises(NoRuleError, match="complex"):
        np.maximum(x, 1j)  # a real Tensor with a complex constant
    np.maximum(z.detach(), 0.0)  # no gradient needed: numpy's own result
