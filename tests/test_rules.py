"""Every rule in the table, checked against central finite differences.

``CASES`` is the table of sample inputs: one or more rows per differentiable
primitive (several shapes, broadcasting pairs, 0-d, keyword arguments). For each
row and each differentiable argument the VJP (after ``unbroadcast``) must match
the finite-difference gradient of ``<g, f(...)>``, the JVP must match the
finite-difference directional derivative, and the two must pass the dot-product
test ``<vjp(g), t> == <g, jvp(t)>``. A float32 run checks that no rule upcasts.
``test_every_rule_has_a_sample`` makes a rule added without a row fail the suite.
"""

import ast
import inspect
import math
import operator
import sys
from dataclasses import dataclass, field

import numpy as np
import pytest

from srcgrad.rules import RULES, get_rule, shape_of, unbroadcast
from srcgrad.rules.indexing import index_add, index_update
from srcgrad.rules.einsum import einsum_args, einsum_cotangent
from srcgrad.rules.linalg import svd_p, svdvals_p
from srcgrad.rules.nnfuncs import (
    addmm,
    binary_cross_entropy,
    linear,
    log_softmax,
    logsumexp,
    mse_loss,
    nll_loss,
    relu,
    sigmoid,
    softmax,
    softplus,
    sum_rows,
    transpose2d,
)
from srcgrad.rules.generated import match_shape, real_like, stacked_piece, stacked_place
from srcgrad.rules.helpers import broadcast_like, conj, unreduce
from srcgrad.rules.reductions import others_product
from srcgrad.rules.recurrent import lstm_cell, lstm_layer
from srcgrad.rules.pooling import max_tiles, max_tiles_choice, max_tiles_grad, max_tiles_pick
from srcgrad.rules.scipy_rules import is_scipy_rule
from srcgrad.rules.shape import (
    astype,
    atleast_p,
    concatenate_args,
    gradient_along,
    joined_rows,
    split_tuple,
    stack_args,
)

# ---------------------------------------------------------------- finite differences
EPS = 1e-6


def _is_float_arg(a):
    """An argument the checker differentiates: a float array or a Python/numpy float."""
    if isinstance(a, (bool, np.bool_)):
        return False
    if isinstance(a, float):
        return True
    return isinstance(a, np.ndarray) and np.issubdtype(a.dtype, np.floating)


def _pairing(g, out):
    """``<g, out>`` summed over every output (a tuple for multiple outputs)."""
    if isinstance(out, (tuple, list)):
        return sum(_pairing(gk, ok) for gk, ok in zip(g, out))
    return float(np.sum(np.real(np.asarray(g)) * np.real(np.asarray(out))))  # (the real part of a complex out)


def _with(args, i, value):
    return args[:i] + (value,) + args[i + 1 :]


def numeric_vjp(fn, args, kwargs, i, g, eps=EPS):
    """Central-difference gradient of ``<g, fn(*args)>`` with respect to ``args[i]``."""
    x = args[i]
    if isinstance(x, float):
        plus = _pairing(g, fn(*_with(args, i, x + eps), **kwargs))
        minus = _pairing(g, fn(*_with(args, i, x - eps), **kwargs))
        return (plus - minus) / (2 * eps)
    grad = np.zeros(x.shape)
    flat = x.reshape(-1)
    for k in range(flat.size):
        bump = np.zeros(flat.size, dtype=x.dtype)
        bump[k] = eps
        plus = _pairing(g, fn(*_with(args, i, (flat + bump).reshape(x.shape)), **kwargs))
        minus = _pairing(g, fn(*_with(args, i, (flat - bump).reshape(x.shape)), **kwargs))
        grad.reshape(-1)[k] = (plus - minus) / (2 * eps)
    return grad


def numeric_jvp(fn, args, kwargs, i, t, eps=EPS):
    """Central-difference derivative of ``fn`` along ``args[i]``'s tangent ``t``."""
    x = args[i]
    plus = fn(*_with(args, i, x + eps * t), **kwargs)
    minus = fn(*_with(args, i, x - eps * t), **kwargs)
    if isinstance(plus, (tuple, list)):
        return tuple((np.real(np.asarray(p)) - np.real(np.asarray(m))) / (2 * eps) for p, m in zip(plus, minus))
    return (np.real(np.asarray(plus)) - np.real(np.asarray(minus))) / (2 * eps)


def _like(rng, value, dtype=None):
    """A random value with the shape (and dtype) of ``value``; a tuple for a tuple."""
    if isinstance(value, (tuple, list)):
        return tuple(_like(rng, v, dtype) for v in value)
    if isinstance(value, float) and not isinstance(value, np.floating):
        return float(rng.standard_normal())
    arr = np.asarray(value)
    out = rng.standard_normal(arr.shape)
    dt = dtype or (arr.dtype if np.issubdtype(arr.dtype, np.floating) else np.float64)
    return out.astype(dt) if arr.shape else dt.type(out) if hasattr(dt, "type") else np.dtype(dt).type(out)


def _close(actual, expected, rtol, atol, what):
    if isinstance(expected, tuple):
        for a, e in zip(actual, expected):
            _close(a, e, rtol, atol, what)
        return
    actual = np.real(np.asarray(actual)).astype(np.float64)  # (this table pairs the real part of complex results)
    expected = np.real(np.asarray(expected)).astype(np.float64)
    if actual.shape != expected.shape:
        raise AssertionError(f"{what}: shape {actual.shape} != expected {expected.shape}")
    if not np.allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=False):
        err = np.max(np.abs(actual - expected))
        raise AssertionError(f"{what}: max abs error {err:.3g}\nrule:\n{actual}\nfinite differences:\n{expected}")


def _outputs(ans):
    """A primitive's result, a list of outputs (``np.hsplit``'s) as the tuple the rule contract speaks of."""
    return tuple(ans) if isinstance(ans, list) else ans


def diff_args(case):
    rule = get_rule(case.fn)
    found = [i for i, a in enumerate(case.args) if _is_float_arg(a) and rule.vjp_at(i) is not None]
    return found if case.wrt is None else [i for i in found if i in case.wrt]


def check_rule(case, rng, rtol=1e-5, atol=1e-6):
    """Check every VJP and JVP of ``case`` against finite differences; raise AssertionError."""
    fn, args, kwargs = case.fn, case.args, case.kwargs
    rule = get_rule(fn)
    ans = _outputs(fn(*args, **kwargs))
    g = _like(rng, ans)
    indices = diff_args(case)
    assert indices, f"{case.id}: no differentiable argument"
    for i in indices:
        ct = rule.call_vjp(i, g, ans, args, kwargs)
        try:
            ct = unbroadcast(ct, shape_of(args[i]))
        except ValueError as e:
            raise AssertionError(f"{case.id}: vjp of argument {i}: {e}") from None
        if np.iscomplexobj(ct):
            ct = np.real(ct)  # a real argument gets the real part (the tape and the compiler take it)
        _close(ct, numeric_vjp(fn, args, kwargs, i, g), rtol, atol, f"{case.id}: vjp of argument {i}")
        if not rule.jvps:
            continue
        t = _like(rng, args[i])
        jt = rule.call_jvp(i, t, ans, args, kwargs)
        for j, a in zip(jt, ans) if isinstance(ans, tuple) else ((jt, ans),):
            if np.shape(j) != np.shape(a):  # the contract: a JVP returns ans's full shape
                raise AssertionError(f"{case.id}: jvp of argument {i} has shape {np.shape(j)}, ans has {np.shape(a)}")
        _close(jt, numeric_jvp(fn, args, kwargs, i, t), rtol, atol, f"{case.id}: jvp of argument {i}")
        lhs = _pairing(ct, t)
        rhs = _pairing(g, jt)
        if not math.isclose(lhs, rhs, rel_tol=1e-9, abs_tol=1e-9):
            raise AssertionError(
                f"{case.id}: dot-product test of argument {i}: <vjp(g), t> = {lhs} != <g, jvp(t)> = {rhs}"
            )


# ---------------------------------------------------------------- the sample table
_rng = np.random.default_rng(1234)


def U(*shape, lo=-1.0, hi=1.0):
    """Uniform samples in ``[lo, hi)`` of ``shape`` (float64)."""
    return _rng.uniform(lo, hi, size=shape)


def P(*shape):
    """Positive samples in [0.5, 2)."""
    return U(*shape, lo=0.5, hi=2.0)


def WELL(n, *batch):
    """A well-conditioned (batch of) n x n matrices."""
    return U(*batch, n, n) + 3 * np.eye(n)


@dataclass
class Case:
    fn: object
    args: tuple
    kwargs: dict = field(default_factory=dict)
    id: str = ""
    f32: bool = True  # also run in float32 (the rule must not upcast)
    wrt: tuple = None  # the arguments to check (default: every float argument with a vjp)


CASES = []


def case(fn, *args, id=None, f32=True, wrt=None, **kwargs):
    name = get_rule(fn).name if get_rule(fn) else getattr(fn, "__name__", str(fn))
    CASES.append(Case(fn, args, kwargs, id or f"{name}-{len(CASES)}", f32, wrt))


# binary arithmetic, with broadcasting pairs and 0-d
for _f in (np.add, np.subtract, np.multiply):
    case(_f, U(3, 4), U(3, 4))
    case(_f, U(3, 1), U(4))
    case(_f, U(2, 3), U(3))
    case(_f, U(), U(2, 2))
    case(_f, U(3), 2.5)
case(np.true_divide, U(3, 4), P(3, 4))
case(np.true_divide, U(3, 1), P(4))
case(np.true_divide, 1.5, P(2, 3))
case(np.power, P(3, 4), U(3, 4))
case(np.power, P(3, 1), U(4))
case(np.power, U(2, 3), 2, id="power-int-exponent")
case(np.power, P(2, 3), 3.0)
case(np.power, U(2, 3), 3.0, wrt=(0,), id="power-negative-base")
case(np.power, np.array([0.0, 1.0, 2.0]), 3.0, id="power-x0-float-exponent")
case(np.power, np.array([0.0, 1.5]), 1, id="power-x0-exponent1")
case(np.power, np.array([0.0, 1.5]), 0.0, wrt=(0,), id="power-x0-exponent0")  # 0 * x ** 0, never 0 * inf
case(np.float_power, P(3), U(3), f32=False)
case(np.float_power, U(2, 2), 2.0, f32=False, wrt=(0,))
case(np.float_power, np.array([0.0, 1.5]), 0.0, f32=False, wrt=(0,), id="float_power-x0-exponent0")
case(np.float_power, np.array([0.0, 1.0, 2.0]), 3.0, f32=False, id="float_power-x0-float-exponent")
case(np.negative, U(3, 2))
case(np.positive, U(3))
case(np.absolute, U(4, 3))
case(np.fabs, U(4, 3))
case(np.square, U(2, 3))
case(np.reciprocal, P(3, 2))
case(np.sqrt, P(3, 2))
case(np.sqrt, P())
case(np.cbrt, P(4))
case(np.cbrt, -P(4))
case(np.matmul, U(3, 4), U(4, 2))
case(np.matmul, U(2, 3, 4), U(4, 5))
case(np.matmul, U(1, 3, 4), U(2, 4, 2))
case(np.matmul, U(4), U(4, 3))
case(np.matmul, U(3, 4), U(4))
case(np.matmul, U(4), U(4))
case(np.matmul, U(4), U(2, 4, 3))
case(np.matmul, U(2, 3, 4), U(4))

# exponentials and logs
case(np.exp, U(3, 4))
case(np.exp, U())
case(np.exp2, U(3))
case(np.expm1, U(3, 2))
case(np.log, P(3, 4))
case(np.log1p, P(3))
case(np.log2, P(3))
case(np.log10, P(2, 2))
case(np.logaddexp, U(3, 1), U(4))
case(np.logaddexp, U(3), 50 + U(3))
case(np.logaddexp2, U(3, 1), U(4))
case(np.copysign, U(3, 4), U(4))

# trigonometry and hyperbolics
for _f in (np.sin, np.cos, np.tan, np.arctan, np.sinh, np.cosh, np.tanh, np.arcsinh):
    case(_f, U(3, 4))
for _f in (np.arcsin, np.arccos, np.arctanh):
    case(_f, U(2, 3, lo=-0.9, hi=0.9))
case(np.arccosh, U(4, lo=1.2, hi=3.0))
case(np.sinc, U(3, 4) * 2)
case(np.sinc, np.array([0.0, 0.5, -1.3, 2.0]), id="sinc-x0")  # the slope at 0 is 0 (x0: no second order there)
case(np.arctan2, U(3, 4), U(3, 4))
case(np.arctan2, U(3, 1), U(4))
case(np.hypot, U(3, 4), U(4))
case(np.deg2rad, U(3))
case(np.radians, U(3))
case(np.degrees, U(2, 2))
# the complex-number functions on real values (tests/test_rules_complex.py checks them on complex ones)
case(np.real, U(3, 2))
case(np.imag, U(3), f32=False)  # a constant on reals: its cotangent i g is dropped by the caller
case(np.conjugate, U(3, 2))
case(conj, U(3))
case(np.angle, U(3))
case(np.rad2deg, U(3))

# selections (distinct values; ties are tested on their own below)
case(np.maximum, U(3, 4), U(3, 4))
case(np.maximum, U(3, 1), U(4))
case(np.minimum, U(3, 4), U(4))
case(np.fmax, U(3, 4), U(3, 4))
case(np.fmin, U(3, 1), U(4))
case(np.where, U(3, 4) > 0, U(3, 4), U(3, 4))
case(np.where, U(3, 1) > 0, U(4), U(3, 4))
case(np.clip, U(3, 4), -0.5, 0.5)
case(np.clip, U(3, 4), U(3, 4) * 0.3 - 0.5, U(4) * 0.3 + 0.5)
case(np.remainder, U(3, 4, lo=0.1, hi=0.9), U(3, 4, lo=1.5, hi=2.0))
case(np.remainder, U(3, lo=2.2, hi=2.8), U(3, lo=1.0, hi=1.05))
case(np.fmod, U(3, lo=2.2, hi=2.8), U(3, lo=1.0, hi=1.05))
case(
    np.fmod, np.array([2.3, 2.5, -2.7]), np.array([0.6, 0.7, 0.65]), id="fmod-several-turns"
)  # trunc(x / y) = 3, 3, -4
_STEP_X = np.array([[-1.0, 0.0, 0.5], [0.0, 2.0, 0.0]])  # heaviside's h counts only where x == 0
case(np.heaviside, _STEP_X, U(2, 3))
case(np.heaviside, _STEP_X, U(3), id="heaviside-broadcast-h")
case(np.heaviside, _STEP_X, 0.5, id="heaviside-scalar-h")
case(np.full_like, U(3, 4), 0.5)
case(np.full_like, U(3, 4), U(4), id="full_like-broadcast-fill")
case(np.full_like, U(3, 4), U(2, 1), shape=(2, 5), id="full_like-shape")

# reductions with axis / keepdims
for _f in (np.sum, np.mean):
    case(_f, U(3, 4))
    case(_f, U(3, 4), axis=0)
    case(_f, U(2, 3, 4), axis=(0, 2), keepdims=True)
    case(_f, U(2, 3, 4), axis=-1)
    case(_f, U())
case(np.sum, U(3, 4), 1, id="sum-positional-axis")
case(np.prod, P(3, 4))
case(np.prod, U(3, 4), axis=1)
case(np.prod, U(2, 3, 4), axis=(0, 2), keepdims=True)
case(np.prod, np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 1.5]]), axis=1, id="prod-with-zeros")
case(np.prod, np.array([0.5, 0.0, 3.0, -1.0]), id="prod-one-zero")
for _f in (np.max, np.amax, np.min, np.amin):
    case(_f, U(3, 4))
    case(_f, U(3, 4), axis=0)
    case(_f, U(2, 3, 4), axis=(1, 2), keepdims=True)
for _f in (np.var, np.std):
    case(_f, U(3, 4))
    case(_f, U(3, 4), axis=1)
    case(_f, U(2, 3, 4), axis=(0, 2), ddof=1, keepdims=True)
    case(_f, U(3, 4), axis=0, correction=1)
case(others_product, U(3, 4))
case(others_product, np.array([[0.0, 2.0, 3.0, -1.0], [0.0, 0.0, 1.5, 2.0]]), id="others_product-zeros")
case(np.cumsum, U(3, 4))
case(np.cumsum, U(3, 4), axis=1)
case(np.cumsum, U(2, 3, 4), axis=-2)
case(np.cumprod, P(3, 4))
case(np.cumprod, U(3, 4), axis=0)
_Z = np.array([[0.5, 0.0, 2.0, 0.0, 1.5], [0.0, 1.2, -0.7, 0.9, 1.1], [1.3, -0.8, 0.6, 1.4, 0.0]])
case(np.cumprod, _Z, axis=1, id="cumprod-zeros-axis1")
case(np.cumprod, _Z.T, axis=0, id="cumprod-zeros-axis0")
case(np.cumprod, _Z, id="cumprod-zeros-flat")
case(np.cumprod, np.array([0.0, 0.0, 2.0]), id="cumprod-leading-zeros")
case(np.cumprod, np.array([1.2, 0.0, 1.5, 0.0, 0.0, -2.0]), id="cumprod-three-zeros")


# linear algebra
def SINGULAR(m, n, *batch):
    """A matrix with well-separated singular values (about 1, 2, 3, ...)."""
    k = min(m, n)
    q1 = np.linalg.qr(U(*batch, m, m))[0][..., :, :k]
    q2 = np.linalg.qr(U(*batch, n, n))[0][..., :, :k]
    return (q1 * np.arange(1.0, k + 1)) @ np.swapaxes(q2, -1, -2) + 0.05 * U(*batch, m, n)


case(np.dot, U(3, 4), U(4, 2))
case(np.dot, U(4), U(4))
case(np.dot, U(4), U(4, 3))
case(np.dot, U(2, 3, 4), U(5, 4, 2))
case(np.dot, U(), U(3))
case(np.inner, U(3, 4), U(2, 4))
case(np.inner, U(4), U(4))
case(np.outer, U(3), U(2, 2))
case(np.vdot, U(3, 2), U(6))
case(np.tensordot, U(2, 3, 4), U(3, 4, 5))
case(np.tensordot, U(2, 3, 4), U(4, 2), axes=([0, 2], [1, 0]))
case(np.tensordot, U(3, 4), U(4, 3), axes=1)
case(np.tensordot, U(2, 3), U(4), axes=0)
case(einsum_args, "ij,jk->ik", U(3, 4), U(4, 2))
case(einsum_args, "ij,jk", U(3, 4), U(4, 2), id="einsum-implicit")
case(einsum_args, "bij,bjk->bik", U(2, 3, 4), U(2, 4, 2))
case(einsum_args, "i,i->", U(4), U(4))
case(einsum_args, "ij->", U(3, 4))
case(einsum_args, "ij,k->ik", U(3, 4), U(5), id="einsum-summed-alone")
case(einsum_args, "...ij,...jk->...ik", U(2, 3, 4), U(4, 2))
case(einsum_args, "i,j,k->ijk", U(2), U(3), U(4))
case(einsum_args, "ii->", U(3, 3), id="einsum-trace")
case(einsum_args, "ii->i", U(3, 3), id="einsum-diagonal")
case(einsum_args, "iji,j->i", U(3, 2, 3), U(2), id="einsum-repeat-with-other")
case(einsum_args, "...ii->...i", U(2, 3, 3), id="einsum-batched-diagonal")
case(einsum_args, "ij,jj,k->ik", U(2, 3), U(3, 3), U(4), id="einsum-diag-and-alone")
case(np.vecdot, U(3, 4), U(4))
case(np.vecdot, U(2, 3, 4), U(3, 4), id="vecdot-default-axis-3d")
case(np.vecdot, U(4, 3), U(4, 1), axis=0)
case(np.matvec, U(2, 3, 4), U(4))
case(np.matvec, U(3, 4), U(2, 4))
case(np.vecmat, U(3), U(2, 3, 4))
case(np.vecmat, U(2, 3), U(3, 4))
case(np.cross, U(3), U(3))
case(np.cross, U(2, 3), U(3))
for _n, _m in ((5, 3), (5, 4), (3, 5), (4, 4), (6, 1)):
    for _mode in ("full", "same", "valid"):
        case(np.convolve, U(_n), U(_m), _mode, id=f"convolve-{_n}-{_m}-{_mode}")
case(np.convolve, U(4), U(2))
case(np.kron, U(2, 3), U(2, 2))
case(np.kron, U(3), U(2, 2), id="kron-fewer-axes")
case(np.kron, U(2, 1, 2), U(3))
case(np.kron, U(2), U(3))
case(np.trace, U(4, 4))
case(np.trace, U(3, 4), offset=1)
case(np.trace, U(2, 3, 3, 4), axis1=1, axis2=2)
case(np.trace, U(3, 2, 3), offset=-1, axis1=-1, axis2=0)
case(np.linalg.inv, WELL(3))
case(np.linalg.inv, WELL(3, 2))
case(np.linalg.det, WELL(3))
case(np.linalg.det, WELL(2, 4))
case(np.linalg.slogdet, WELL(3))
case(np.linalg.slogdet, -WELL(3, 2))


def SPD(n, *batch):
    """A well-conditioned symmetric positive definite (batch of) n x n matrices."""
    b = U(*batch, n, n)
    return b @ np.swapaxes(b, -1, -2) + n * np.eye(n)


def SEPARATED(n, *batch):
    """A symmetric matrix with well-separated eigenvalues (1, 2, ..., n, perturbed)."""
    return np.diag(np.arange(1.0, n + 1)) + 0.1 * SPD(n, *batch)


# np.fft (real inputs here; tests/test_rules_complex.py has complex ones)
case(np.fft.fft, U(4, 5))
# the default axes on three axes (a default of axis=1 or axes=(0, 1) would pass on two)
for _f in (
    np.fft.fft,
    np.fft.ifft,
    np.fft.rfft,
    np.fft.irfft,
    np.fft.fft2,
    np.fft.ifft2,
    np.fft.rfft2,
    np.fft.irfft2,
    np.fft.rfftn,
    np.fft.irfftn,
):
    case(_f, U(2, 3, 4), id=f"{_f.__name__}-default-axes-3d")
case(np.fft.fft, U(5, 4), 7, axis=0, norm="ortho", id="fft-n-bigger-axis0-ortho")
case(np.fft.ifft, U(3, 5), 3, norm="forward", id="ifft-n-smaller-forward")
case(np.fft.rfft, U(3, 6))
case(np.fft.rfft, U(5, 3), 4, axis=0, id="rfft-n-smaller-axis0")
case(np.fft.rfft, U(2, 5), 9, norm="ortho", id="rfft-odd-ortho")
case(np.fft.irfft, U(3, 4))
case(np.fft.irfft, U(4, 3), 7, axis=0, norm="ortho", id="irfft-odd-n-axis0")
case(np.fft.irfft, U(2, 5), 6, norm="forward", id="irfft-n-smaller-forward")
case(np.fft.fft2, U(3, 4))
case(np.fft.ifft2, U(2, 3, 4), (5, 2), (0, 2), id="ifft2-s-axes")
case(np.fft.fftn, U(3, 4, 2), (4, 3), axes=(2, 0), norm="ortho")
case(np.fft.ifftn, U(3, 4))
case(np.fft.rfft2, U(4, 5))
case(np.fft.rfftn, U(4, 3, 4), (6, 3), axes=(0, 2))
case(np.fft.rfftn, U(5, 5, 5), id="rfftn-odd")
case(np.fft.irfft2, U(4, 3))
case(np.fft.irfftn, U(3, 4, 3), (5, 4), axes=(1, 2), norm="forward")
case(np.fft.irfftn, U(4, 3, 4))
case(np.fft.fftshift, U(5, 4))
case(np.fft.fftshift, U(5, 3), axes=1)
case(np.fft.ifftshift, U(5, 4))
case(np.fft.ifftshift, U(3, 5), axes=(1,))


def EIGEN(n):
    """A matrix that is not symmetric, with real, well-separated eigenvalues 1, 2, ..., n."""
    q = U(n, n) + 2 * np.eye(n)
    return q @ np.diag(np.arange(1.0, n + 1)) @ np.linalg.inv(q)


case(np.linalg.eig, EIGEN(3))
case(np.linalg.eig, np.stack([EIGEN(3), EIGEN(3)]), id="eig-batched")
case(np.linalg.eigvals, EIGEN(3))
case(np.linalg.eigvals, U(3, 3) + 2 * np.eye(3), id="eigvals-complex-pairs")
case(np.linalg.pinv, SINGULAR(4, 3))
case(np.linalg.pinv, SINGULAR(3, 4))
case(np.linalg.pinv, SINGULAR(2, 3, 2), id="pinv-batched")

case(np.linalg.cholesky, SPD(3))
case(np.linalg.cholesky, SPD(3) + np.triu(U(3, 3), 1), id="cholesky-reads-lower")
case(np.linalg.cholesky, SPD(2, 2))
case(np.linalg.eigh, SEPARATED(3))
case(np.linalg.eigh, SEPARATED(3) + np.triu(U(3, 3), 1), id="eigh-reads-lower")
case(np.linalg.eigh, SEPARATED(3) + np.tril(U(3, 3), -1), UPLO="U", id="eigh-upper")
case(np.linalg.eigh, SEPARATED(2, 2))
case(np.linalg.eigvalsh, SEPARATED(3) + np.triu(U(3, 3), 1), id="eigvalsh-reads-lower")
case(np.linalg.eigvalsh, SEPARATED(3) + np.tril(U(3, 3), -1), "U", id="eigvalsh-upper")
case(svd_p, SINGULAR(4, 3))
case(svd_p, SINGULAR(3, 4))
case(svd_p, SINGULAR(3, 3), True, id="svd-square-full")
case(svd_p, SINGULAR(3, 2, 2))
case(svdvals_p, SINGULAR(4, 3))
case(svdvals_p, SINGULAR(2, 3, 2))
case(np.linalg.solve, WELL(3), U(3))
case(np.linalg.solve, WELL(3), U(3, 2))
case(np.linalg.solve, WELL(3, 2), U(2, 3, 2))
case(np.linalg.solve, WELL(3, 2), U(3))
case(np.linalg.norm, U(5))
case(np.linalg.norm, U(3, 4))
case(np.linalg.norm, U(2, 3, 4))
case(np.linalg.norm, U(3, 4), ord="fro")
case(np.linalg.norm, U(3, 4), axis=1)
case(np.linalg.norm, U(3, 4), axis=0, keepdims=True)
case(np.linalg.norm, U(2, 3, 4), axis=(1, 2))
case(np.linalg.norm, U(5), ord=2)
case(np.linalg.norm, U(5), ord=1)
case(np.linalg.norm, U(5), ord=np.inf)
case(np.linalg.norm, U(5), ord=-np.inf)
case(np.linalg.norm, U(3, 4), ord=3, axis=1)
case(np.linalg.norm, U(3, 4), ord=0.5, axis=-1, keepdims=True)
case(np.linalg.norm, SINGULAR(4, 3), ord="nuc")
case(np.linalg.norm, SINGULAR(3, 4), ord=2)
case(np.linalg.norm, SINGULAR(3, 3), ord=-2)
case(np.linalg.norm, SINGULAR(2, 3, 2), ord=2, axis=(2, 1), keepdims=True)
case(np.linalg.norm, U(3, 4), ord=1)
case(np.linalg.norm, U(3, 4), ord=-1)
case(np.linalg.norm, U(3, 4), ord=np.inf)
case(np.linalg.norm, U(2, 3, 4), ord=-np.inf, axis=(0, 2))

# shape functions
case(np.reshape, U(3, 4), (2, 6))
case(np.reshape, U(3, 4), (4, -1), order="F")
case(np.reshape, U(), (1, 1))
case(np.ravel, U(3, 4))
case(np.ravel, U(3, 4), order="F")
case(np.transpose, U(2, 3, 4))
case(np.transpose, U(2, 3, 4), (1, 2, 0))
case(np.transpose, U(2, 3, 4), axes=(-1, 0, 1))
case(np.swapaxes, U(2, 3, 4), 0, 2)
case(np.moveaxis, U(2, 3, 4), 0, -1)
case(np.moveaxis, U(2, 3, 4), (0, 1), (2, 0))
case(np.expand_dims, U(3, 4), 1)
case(np.expand_dims, U(3), (0, 2))
case(np.squeeze, U(3, 1, 4, 1))
case(np.squeeze, U(3, 1, 4, 1), axis=1)
case(np.broadcast_to, U(3, 1), (2, 3, 4))
case(np.broadcast_to, U(), (2,))
case(np.copy, U(3, 2))
case(astype, U(3, 2), np.float64, f32=False)
case(np.flip, U(3, 4))
case(np.flip, U(3, 4), 1)
case(np.flip, U(2, 3, 4), axis=(0, 2))
case(np.roll, U(3, 4), 1)
case(np.roll, U(3, 4), (1, -2), axis=(0, 1))
case(np.tile, U(3), 2)
case(np.tile, U(2, 3), (2, 1, 2))
case(np.tile, U(2, 3, 2), (3, 2))
case(np.repeat, U(2, 3), 2)
case(np.repeat, U(2, 3), 3, axis=1)
case(np.repeat, U(3, 2), np.array([1, 0, 2]), axis=0)
case(np.pad, U(3, 4), 1)
case(np.pad, U(3, 4), ((1, 2), (0, 3)))
case(np.pad, U(3, 4), ((1, 0), (2, 1)), mode="constant", constant_values=5.0)
case(np.pad, U(3, 4), ((1, 2), (2, 1)), mode="edge")
case(np.pad, U(3), (4, 5), mode="wrap")  # wider than x: copies of copies
case(np.pad, U(3, 4), ((1, 2), (3, 1)), mode="reflect")
case(np.pad, U(2, 3), 2, "symmetric")
case(np.diff, U(5))
case(np.diff, U(3, 5), 2)
case(np.diff, U(4, 3), axis=0)
case(np.diff, U(3, 4), 1, -1, prepend=0.5, append=U(3, 2))
case(np.diff, U(3, 4), 2, 0, prepend=U(2, 4))
case(np.rot90, U(3, 4))
case(np.rot90, U(3, 4), 2)
case(np.rot90, U(2, 3, 4), -1, (2, 1))
case(np.rot90, U(3, 2), k=3, axes=(1, 0))
case(np.nan_to_num, U(3, 4))
case(np.nan_to_num, np.array([1.0, np.nan, np.inf, -np.inf, -2.0]), posinf=5.0, neginf=-5.0, id="nan_to_num-nonfinite")
case(concatenate_args, U(3, 4), U(2, 4), U(1, 4))
case(concatenate_args, U(3, 4), U(3, 2), axis=1)
case(concatenate_args, U(2, 3, 1), U(2, 3, 2), axis=-1)
case(stack_args, U(3, 4), U(3, 4))
case(stack_args, U(3, 4), U(3, 4), U(3, 4), axis=-1)
case(stack_args, U(3), U(3), axis=1)
case(split_tuple, U(6, 2), 3)
case(split_tuple, U(2, 7), [2, 5], axis=1)
case(split_tuple, U(5, 3), 2, axis=0)

case(np.append, U(3, 2), U(4))
case(np.append, U(3, 2), U(1, 2), axis=0)
case(np.append, U(2, 3), U(2, 2), axis=-1)
case(atleast_p, U(), 1)
case(atleast_p, U(3), 2)
case(atleast_p, U(3, 2), 3)
case(atleast_p, U(4), 3)
case(np.hsplit, U(2, 6), 3)
case(np.hsplit, U(6), [1, 4])
case(np.vsplit, U(4, 3), 2)
case(np.dsplit, U(2, 2, 4), [1])
case(gradient_along, U(6), wrt=(0,))
case(gradient_along, U(6), 0.5, wrt=(0,), edge_order=2)
case(gradient_along, U(4, 5), np.array([0.0, 0.3, 0.5, 1.2, 1.3]), wrt=(0,), axis=1, id="gradient-coordinates")
case(
    gradient_along,
    U(5, 3),
    np.array([0.0, 0.3, 0.5, 1.2, 1.3]),
    wrt=(0,),
    axis=0,
    edge_order=2,
    id="gradient-coordinates-order2",
)
case(gradient_along, U(3, 4), 2.0, wrt=(0,), axis=-1, edge_order=2)
case(np.tril, U(3, 4))
case(np.tril, U(2, 3, 3), -1)
case(np.triu, U(3, 4), k=1)
case(np.diagonal, U(3, 4))
case(np.diagonal, U(4, 3), 1)
case(np.diagonal, U(2, 3, 4), offset=-1, axis1=2, axis2=0)
case(np.diag, U(3))
case(np.diag, U(3), 1)
case(np.diag, U(3, 4))
case(np.diag, U(4, 3), k=-2)

# indexing
_IDX = [
    (1,),
    (slice(1, 3),),
    ((slice(None), 2),),
    ((Ellipsis, None, slice(0, 3, 2)),),
    ((np.array([0, 2, 0, 0]),),),
    ((np.array([[1, 1], [0, 2]]), slice(None)),),
    ((np.array([0, 2, 2]), np.array([1, 1, 3])),),
    ((U(3, 4) > 0,),),
    ((np.array([True, False, True]),),),
    (([2, 2, 1],),),
]
for (_i,) in _IDX:
    case(operator.getitem, U(3, 4), _i, id=f"getitem-{_i!r}"[:60])
case(operator.getitem, U(), (), id="getitem-0d")
case(index_add, U(3, 4), (slice(None), 1), U(3))
case(index_add, U(3, 4), np.array([0, 2, 0]), U(3, 4))
case(index_add, U(3, 4), (np.array([0, 0, 2]), np.array([1, 1, 3])), U(3), id="index_add-repeats")
case(index_add, U(3, 4), U(3, 4) > 0, 2.0)
case(index_add, U(5), np.array([1, 1, 1, 4]), U(1))
case(index_update, U(3, 4), (slice(None), 1), U(3))
case(index_update, U(3, 4), np.array([0, 2]), U(4))
case(index_update, U(3, 4), (np.array([0, 0, 2]), np.array([1, 1, 3])), U(3), id="index_update-repeats")
case(index_update, U(5), np.array([3, 1, 3, 3]), U(4), id="index_update-repeats-1d")
case(index_update, U(3, 4), U(3, 4) > 0, 0.5)
case(np.take, U(3, 4), np.array([0, 2, 2]), axis=0)
case(np.take, U(3, 4), np.array([[1, 1], [3, 0]]), axis=1)
case(np.take, U(3, 4), np.array([11, 0, 0]))
case(np.take_along_axis, U(3, 4), np.array([[0], [3], [1]]), axis=1)
case(np.take_along_axis, U(3, 4), np.array([[0, 2, 2, 1], [1, 0, 0, 2]]), axis=0)
case(np.take_along_axis, U(3, 4), np.array([5, 5, 0]), axis=None)
_XP = np.array([-1.0, -0.3, 0.2, 0.9, 1.5])
case(np.interp, np.array([-0.9, -0.5, 0.0, 0.1, 0.7, 1.2]), _XP, U(5), wrt=(0, 2))
case(np.interp, U(2, 3, lo=-1.4, hi=2.0), _XP, U(5), wrt=(0, 2), id="interp-extrapolate")
case(np.interp, np.array([-1.3, 0.5, 1.8]), _XP, U(5), left=-2.0, right=3.0, wrt=(0, 2), id="interp-left-right")
case(np.interp, 0.45, _XP, U(5), wrt=(2,), id="interp-scalar")
case(np.sort, U(3, 4))
case(np.sort, U(3, 4), axis=0)
case(np.sort, U(3, 4), axis=None)
case(np.sort, U(2, 3, 4), id="sort-default-axis-3d")
case(np.partition, U(3, 5), 2)
case(np.partition, U(3, 5), [0, 3], axis=None)
case(np.partition, U(4, 3), 1, axis=0)
case(np.linspace, U(), U(), 5)
case(np.linspace, U(3), U(2, 1), 4, axis=-1)
case(np.linspace, 0.3, U(2), 3, endpoint=False)
case(np.linspace, U(2), U(2), 1, id="linspace-one-point")
case(np.real_if_close, U(3, 2))

# the math module and builtins (Python floats)
for _f, _x in (
    (math.sin, 0.3),
    (math.cos, 0.3),
    (math.tan, 0.3),
    (math.asin, 0.3),
    (math.acos, -0.4),
    (math.atan, 0.7),
    (math.sinh, 0.6),
    (math.cosh, 0.6),
    (math.tanh, 0.6),
    (math.exp, 0.6),
    (math.expm1, 0.6),
    (math.log, 1.7),
    (math.log1p, 0.4),
    (math.log2, 1.7),
    (math.log10, 1.7),
    (math.sqrt, 1.7),
    (math.fabs, -0.7),
    (math.fabs, 0.7),
    (math.erf, 0.4),
    (math.erfc, 0.4),
    (abs, -1.3),
    (abs, 1.3),
):
    case(_f, _x, f32=False)
case(math.log, 1.7, 3.0, f32=False)
case(math.atan2, 0.3, -0.8, f32=False)
case(math.pow, 1.7, 2.5, f32=False)
case(math.pow, 1.7, 2, f32=False)
case(math.pow, 0.0, 3.0, f32=False, id="math.pow-x0")
case(math.pow, 0.0, 0.0, f32=False, wrt=(0,), id="math.pow-x0-exponent0")
case(math.hypot, 0.3, -0.8, f32=False)
case(max, 0.3, -0.8, f32=False)
case(max, -0.3, 0.8, f32=False)
case(min, 0.3, -0.8, f32=False)
case(min, -0.3, 0.8, f32=False)

# patches behind convolution and pooling (srcgrad/rules/conv.py)
try:
    from srcgrad.rules.conv import col2im, conv_matmul, im2col
except ModuleNotFoundError:  # pragma: no cover - the module arrives with srcgrad.nn
    im2col = col2im = conv_matmul = None
if im2col is not None:
    case(im2col, U(2, 2, 5, 4), (3, 2))
    case(im2col, U(1, 2, 5, 5), (3, 3), (2, 1), (1, 2), (1, 2))
    case(im2col, U(1, 1, 4, 4), (2, 2), (2, 2), (1, 1), (1, 1), -5.0, id="im2col-pad-value")
    for _shape, _geometry in (((2, 2, 5, 4), ((3, 2),)), ((1, 2, 5, 5), ((3, 3), (2, 1), (1, 2), (1, 2)))):
        # cols shaped as im2col lays them out, whatever that layout is
        case(col2im, U(*np.shape(im2col(np.zeros(_shape), *_geometry))), _shape, *_geometry)
    # the whole batch's patches as the columns of one matrix, the batch outermost or innermost (convolution's)
    for _geometry in (((3, 2), (1, 1), (1, 0), (1, 1)), ((3, 2), (2, 1), (1, 2), (1, 2))):
        for _layout in ("batch", "batch_inner"):
            case(im2col, U(2, 3, 5, 4), *_geometry, 0.0, _layout, id=f"im2col-{_layout}")
            _cols = np.shape(im2col(np.zeros((2, 3, 5, 4)), *_geometry, 0.0, _layout))
            case(col2im, U(*_cols), (2, 3, 5, 4), *_geometry, _layout, id=f"col2im-{_layout}")
    # a convolution's product of its weight and the batch's patches (its weight's cotangent summed in blocks)
    case(conv_matmul, U(3, 6), U(6, 11))
    case(conv_matmul, U(3, 6), U(6, 12), None, (2, 3, 2), id="conv_matmul-batch-inner")
    case(conv_matmul, U(3, 6), U(6, 11), U(3), id="conv_matmul-bias")
    case(conv_matmul, U(3, 6), U(6, 12), U(3), (2, 3, 2), id="conv_matmul-bias-batch-inner")

# max pooling over tiles (srcgrad/rules/pooling.py); the two linear maps of its derivative, for one choice of taps
case(max_tiles, U(2, 3, 4, 6), (2, 2))
case(max_tiles, U(2, 5, 7), (2, 3), id="max_tiles-cropped")
_x = U(2, 3, 5, 7)
_ans = max_tiles(_x, (2, 2))
_choice = max_tiles_choice(_x, _ans, (2, 2))
case(max_tiles_grad, U(*_ans.shape), _choice, (2, 2), _x.shape)
case(max_tiles_pick, U(*_x.shape), _choice, (2, 2))

# ML helpers
case(sigmoid, U(3, 4) * 5)
case(sigmoid, np.array([-800.0, 0.0, 800.0]), id="sigmoid-extreme")
case(relu, U(3, 4))
case(softplus, U(3, 4) * 5)
case(softplus, np.array([-800.0, 0.5, 800.0]), id="softplus-extreme")
case(softmax, U(3, 4))
case(softmax, U(3, 4), axis=0)
case(softmax, U(2, 3, 4) * 3, axis=(0, 2))
case(softmax, U(2, 3, 4), id="softmax-default-axis-3d")
case(log_softmax, U(2, 3, 4), id="log_softmax-default-axis-3d")
case(log_softmax, U(3, 4))
case(log_softmax, U(3, 4), axis=0)
case(logsumexp, U(3, 4))
case(logsumexp, U(3, 4), axis=1)
case(logsumexp, U(2, 3, 4), axis=(0, 2), keepdims=True)
case(logsumexp, np.array([1000.0, 999.0]), id="logsumexp-large")
# many rows of a short last axis: the forward reduces column by column
case(softmax, U(64, 2) * 3, id="softmax-short-rows")
case(log_softmax, U(100, 3) * 3, axis=1, id="log_softmax-short-rows")
case(logsumexp, U(40, 3, 2) * 3, axis=-1, id="logsumexp-short-rows")
case(nll_loss, U(5, 3), np.array([0, 2, 1, 1, 0]))
case(nll_loss, U(5, 3), np.array([0, 2, 1, 1, 0]), reduction="sum")
case(nll_loss, U(4, 2), np.array([1, 1, 0, 1]), reduction="none")
case(binary_cross_entropy, U(3, 4, lo=0.05, hi=0.95), U(3, 4, lo=0.0, hi=1.0))
case(binary_cross_entropy, U(3, 4, lo=0.05, hi=0.95), U(4, lo=0.0, hi=1.0), id="binary_cross_entropy-broadcast")
case(sum_rows, U(5, 3))
case(sum_rows, U(1, 4), id="sum_rows-one-row")
case(linear, U(5, 3), U(4, 3), U(4))
case(linear, U(2, 5, 3), U(4, 3), U(4), id="linear-batched")
case(linear, U(5, 3), U(4, 3), id="linear-no-bias")
case(addmm, U(4), U(5, 3), U(3, 4))
case(addmm, U(5, 4), U(5, 3), U(3, 4), id="addmm-bias-per-row")
case(addmm, U(4), U(2, 5, 3), U(3, 4), id="addmm-batched")
case(transpose2d, U(3, 4))
case(transpose2d, U(3), id="transpose2d-vector")
case(mse_loss, U(3, 4), U(3, 4))
case(mse_loss, U(3, 4), U(3, 4), reduction="sum")
case(mse_loss, U(3, 4), U(4), reduction="none", id="mse_loss-broadcast")
case(lstm_cell, U(3, 8) * 2, U(3, 8) * 2, U(3, 2))
case(lstm_cell, U(3, 8) * 2, U(1, 8) * 2, U(2, 3, 2), id="lstm_cell-broadcast")
case(lstm_layer, U(3, 2, 8) * 2, U(2, 2), U(2, 2), U(8, 2))

# the helpers generated code calls (srcgrad/rules/generated.py): linear in their first argument
case(unbroadcast, U(2, 3, 4), (3, 1), id="unbroadcast-sum-axes")
case(unbroadcast, U(3, 4), (3, 4), id="unbroadcast-same-shape")
case(unbroadcast, U(4), (), id="unbroadcast-to-scalar")
case(unreduce, U(3), U(3, 4), 1, id="unreduce-axis")
case(unreduce, U(), U(2, 3), id="unreduce-all")
case(broadcast_like, U(4), U(3, 4), id="broadcast_like-spread")
case(broadcast_like, U(3, 4), U(3, 4), id="broadcast_like-same")
case(match_shape, U(1, 4), U(3, 4), id="match_shape-spread")
case(match_shape, U(2), U(2), id="match_shape-same")
case(stacked_piece, U(3, 7), [U(3, 2), U(3, 5)], 1, "hstack", wrt=(0,), id="stacked_piece-hstack")
case(stacked_piece, U(5), [U(2), U(3)], 0, "hstack", wrt=(0,), id="stacked_piece-hstack-vectors")
case(stacked_piece, U(3, 4), [U(4), U(2, 4)], 0, "vstack", wrt=(0,), id="stacked_piece-vstack-vector")
case(stacked_piece, U(3, 3), [U(3), U(3, 2)], 0, "column_stack", wrt=(0,), id="stacked_piece-column_stack")
case(stacked_piece, U(1, 3, 2), [U(3), U(3)], 1, "dstack", wrt=(0,), id="stacked_piece-dstack")
case(stacked_place, U(3, 5), (3, 7), [U(3, 2), U(3, 5)], 1, "hstack", wrt=(0,), id="stacked_place-hstack")
# the rows of one value (a list or tuple argument of arrays of one shape) joined: how and axis only place them
case(joined_rows, U(3, 2, 4), "concatenate", 1, wrt=(0,), id="joined_rows-concatenate")
case(joined_rows, U(2, 3), "stack", -1, wrt=(0,), id="joined_rows-stack-last")
case(joined_rows, U(3, 4), "column_stack", None, wrt=(0,), id="joined_rows-column_stack")
case(joined_rows, U(2, 2, 3), "dstack", None, wrt=(0,), id="joined_rows-dstack")
case(joined_rows, U(3, 2), "hstack", None, wrt=(0,), id="joined_rows-hstack")
case(stacked_place, U(4), (3, 4), [U(4), U(2, 4)], 0, "vstack", wrt=(0,), id="stacked_place-vstack-vector")
# einsum's VJP as a primitive (differentiated again by a second derivative): multilinear in g and the others
case(einsum_cotangent, U(3, 2), "ij,jk->ik", 0, U(3, 4), U(4, 2), id="einsum_cotangent-matmul")
case(einsum_cotangent, U(3, 2), "ij,jk->ik", 1, U(3, 4), U(4, 2), id="einsum_cotangent-matmul-second")
case(einsum_cotangent, U(3), "iji,j->i", 0, U(3, 2, 3), U(2), id="einsum_cotangent-repeat")
case(einsum_cotangent, U(3, 5), "ij,k->ik", 0, U(3, 4), U(5), id="einsum_cotangent-summed-alone")
case(einsum_cotangent, U(2, 3, 2), "...ij,...jk->...ik", 1, U(2, 3, 4), U(4, 2), id="einsum_cotangent-ellipsis")
case(real_like, U(3, 2), U(3, 2), id="real_like-real")


# ---------------------------------------------------------------- the checks
@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_rule_matches_finite_differences(c):
    check_rule(c, np.random.default_rng(0))


F32_CASES = [c for c in CASES if c.f32]


def _to32(a):
    return a.astype(np.float32) if _is_float_arg(a) and isinstance(a, np.ndarray) else a


@pytest.mark.parametrize("c", F32_CASES, ids=[c.id for c in F32_CASES])
def test_rule_keeps_float32(c):
    rule = get_rule(c.fn)
    rng = np.random.default_rng(0)
    args64 = c.args
    args32 = tuple(_to32(a) for a in c.args)
    kwargs32 = {k: _to32(v) for k, v in c.kwargs.items()}
    ans64 = _outputs(c.fn(*args64, **c.kwargs))
    ans32 = _outputs(c.fn(*args32, **kwargs32))
    g64 = _like(rng, ans64)
    g32 = tuple(np.asarray(x, np.float32) for x in g64) if isinstance(g64, tuple) else np.asarray(g64, np.float32)
    for i in diff_args(c):
        if not isinstance(c.args[i], np.ndarray):
            continue
        ct32 = unbroadcast(rule.call_vjp(i, g32, ans32, args32, kwargs32), shape_of(args32[i]))
        ct64 = unbroadcast(rule.call_vjp(i, g64, ans64, args64, c.kwargs), shape_of(args64[i]))
        ct32, ct64 = np.real(ct32), np.real(ct64)  # a real argument gets the real part (the callers take it)
        assert np.asarray(ct32).dtype == np.float32, f"vjp of argument {i} upcast to {np.asarray(ct32).dtype}"
        np.testing.assert_allclose(ct32, ct64, rtol=2e-3, atol=2e-3)
        if rule.jvps:
            t = rng.standard_normal(np.shape(c.args[i]))
            jt32 = rule.call_jvp(i, t.astype(np.float32), ans32, args32, kwargs32)
            for j in jt32 if isinstance(jt32, tuple) else (jt32,):  # (complex64 where the result is complex)
                assert np.asarray(j).dtype in (np.float32, np.complex64), (
                    f"jvp of argument {i} upcast to {np.asarray(j).dtype}"
                )


def _library_rules():
    """The rules srcgrad itself registers (not ones a test or a user registered at run time)."""
    for fn, rule in RULES.items():
        modules = {getattr(f, "__module__", "") or "" for f in rule.vjps if f is not None}
        if (
            rule.differentiable
            and modules
            and all(m.startswith("srcgrad.") for m in modules)
            and not is_scipy_rule(rule)
        ):  # scipy's (optional): tests/test_rules_scipy.py
            yield fn, rule


def test_every_rule_has_a_sample():
    sampled = {id(c.fn) for c in CASES}
    missing = sorted(rule.name for fn, rule in _library_rules() if id(fn) not in sampled)
    assert not missing, f"rules without a row in CASES (add one to tests/test_rules.py): {missing}"


def test_every_differentiable_argument_is_sampled():
    """Each VJP slot that exists is exercised by some row (no untested second-argument rule)."""
    seen = {}
    for c in CASES:
        for i in diff_args(c):
            seen.setdefault(id(c.fn), set()).add(min(i, len(get_rule(c.fn).vjps) - 1))
    missing = []
    for fn, rule in _library_rules():
        for i, v in enumerate(rule.vjps):
            if v is not None and "not_differentiable" in v.__code__.co_names:
                continue  # a slot that raises on purpose (np.interp's xp)
            if v is not None and i not in seen.get(id(fn), set()):
                missing.append(f"{rule.name}[{i}]")
    assert not missing, f"vjps never checked: {missing}"


def _rule_modules():
    return [
        m for name, m in sorted(sys.modules.items()) if name.startswith("srcgrad.rules.") and hasattr(m, "__file__")
    ]


def test_at_most_one_lambda_per_line():
    for module in _rule_modules():
        tree = ast.parse(inspect.getsource(module))
        lines = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Lambda)]
        repeated = sorted({n for n in lines if lines.count(n) > 1})
        assert not repeated, f"{module.__name__}: several lambdas on lines {repeated}"


def test_lambda_rules_are_findable_by_line():
    """The compiler finds a lambda rule's text by its line: the line must hold that lambda."""
    for fn, rule in RULES.items():
        for f in tuple(rule.vjps) + tuple(rule.jvps):
            if f is None or f.__name__ != "<lambda>":
                continue
            lines, start = inspect.findsource(f)
            line = lines[f.__code__.co_firstlineno - 1]
            assert line.count("lambda") == 1, f"{rule.name}: {line!r}"


# ---------------------------------------------------------------- zero derivatives are zero
from srcgrad.rules.elementwise import max_share  # noqa: E402
from srcgrad.rules.indexing import interp_segment, last_write_mask  # noqa: E402
from srcgrad.rules.reductions import equal_share  # noqa: E402

_M = U(3, 4) * 3  # away from the integers and half-integers where floor, round, ... jump
NONDIFF_CASES = [
    (np.floor, (_M,)),
    (np.ceil, (_M,)),
    (np.round, (_M,)),
    (np.around, (_M, 1)),
    (np.rint, (_M,)),
    (np.sign, (_M,)),
    (np.trunc, (_M,)),
    (np.fix, (_M,)),
    (np.floor_divide, (_M, P(4))),
    (np.zeros_like, (_M,)),
    (np.ones_like, (_M,)),
    (max_share, (U(3, 4), U(4))),
    (equal_share, (U(3, 4), np.max(_M, axis=0), 0)),
    (last_write_mask, (U(5), np.array([1, 3, 1]))),
    (interp_segment, (U(4), np.array([-1.0, 0.0, 1.0]))),
    (math.floor, (1.3,)),
    (math.ceil, (1.3,)),
    (math.trunc, (-1.3,)),
    (round, (1.26, 1)),
]
"""A sample of each ``defnondiff`` primitive whose result can be a float: finite differences must see no
slope in any float argument (``np.full_like``'s fill value and ``np.heaviside``'s ``h`` once hid here)."""

NO_FLOAT_RESULT = {
    np.less,
    np.less_equal,
    np.greater,
    np.greater_equal,
    np.equal,
    np.not_equal,
    np.signbit,
    np.isnan,
    np.isinf,
    np.isfinite,
    np.isclose,
    np.allclose,
    np.array_equal,
    np.logical_and,
    np.logical_or,
    np.logical_not,
    np.logical_xor,
    np.bitwise_and,
    np.bitwise_or,
    np.bitwise_xor,
    np.invert,
    np.argmax,
    np.argmin,
    np.argsort,
    np.argpartition,
    np.argwhere,
    np.nonzero,
    np.flatnonzero,
    np.count_nonzero,
    np.searchsorted,
    np.all,
    np.any,
    np.shape,
    np.ndim,
    np.size,
    np.result_type,
    math.isnan,
    math.isinf,
    math.isfinite,
    math.isclose,
    np.iscomplex,
    np.isreal,
    np.iscomplexobj,
    np.isrealobj,
    np.empty_like,  # a float result, but of whatever the memory held: nothing to differentiate
}
"""``defnondiff`` primitives whose results are booleans, integers, shapes or dtypes."""


def check_no_slope(fn, args):
    """Finite differences of ``<g, fn(*args)>`` in each float argument must be exactly 0."""
    out = fn(*args)
    g = _like(np.random.default_rng(0), out if isinstance(out, (tuple, list)) else np.asarray(out, dtype=float))
    for i, a in enumerate(args):
        if _is_float_arg(a):
            slope = numeric_vjp(lambda *b: np.asarray(fn(*b), dtype=float), args, {}, i, g)
            np.testing.assert_array_equal(slope, 0.0, err_msg=f"{fn}: argument {i} has a derivative")


@pytest.mark.parametrize("fn, args", NONDIFF_CASES, ids=[getattr(f, "__name__", str(f)) for f, _ in NONDIFF_CASES])
def test_zero_derivative_rules_have_no_slope(fn, args):
    assert not get_rule(fn).differentiable, f"{fn} has a rule now: move its sample to CASES"
    check_no_slope(fn, args)


def test_every_zero_derivative_rule_is_sampled():
    sampled = {id(f) for f, _ in NONDIFF_CASES} | {id(f) for f in NO_FLOAT_RESULT}
    missing = sorted(
        rule.name
        for fn, rule in RULES.items()
        if not rule.differentiable
        and id(fn) not in sampled
        and (getattr(fn, "__module__", "") or "").split(".")[0] in ("numpy", "math", "builtins")
    )
    # (srcgrad's own shape helpers are nondiff by construction: they compute shapes, axes and indices)
    assert not missing, f"defnondiff primitives without a row in NONDIFF_CASES or NO_FLOAT_RESULT: {missing}"


def test_zero_derivative_check_can_fail():
    """The check catches a slope a nondiff marking would hide (np.heaviside's h where x == 0)."""
    with pytest.raises(AssertionError, match="argument 1 has a derivative"):
        check_no_slope(np.heaviside, (np.array([0, 1]), U(2)))  # (integer x: only h is a float)
    with pytest.raises(AssertionError, match="argument 1 has a derivative"):
        check_no_slope(np.full_like, (U(3), 0.5))


# ---------------------------------------------------------------- the checker can fail
def test_checker_catches_a_wrong_vjp(monkeypatch):
    rule = get_rule(np.sin)
    monkeypatch.setattr(rule, "vjps", (lambda g, ans, x: g * np.sin(x),))
    with pytest.raises(AssertionError, match="vjp of argument 0"):
        check_rule(Case(np.sin, (U(3),), {}, "wrong-sin"), np.random.default_rng(0))


def test_checker_catches_a_wrong_jvp(monkeypatch):
    rule = get_rule(np.exp)
    monkeypatch.setattr(rule, "jvps", (lambda t, ans, x: 2 * t * ans,))
    with pytest.raises(AssertionError, match="jvp of argument 0"):
        check_rule(Case(np.exp, (U(3),), {}, "wrong-exp"), np.random.default_rng(0))


def test_checker_catches_a_jvp_that_is_not_broadcast(monkeypatch):
    rule = get_rule(np.add)
    monkeypatch.setattr(rule, "jvps", (lambda t, ans, x, y: t, lambda t, ans, x, y: t))
    with pytest.raises(AssertionError, match="ans has"):
        check_rule(Case(np.add, (U(3, 1), U(4)), {}, "unbroadcast-add-jvp"), np.random.default_rng(0))


def test_checker_catches_a_missing_broadcast_sum(monkeypatch):
    rule = get_rule(np.sum)
    monkeypatch.setattr(rule, "vjps", (lambda g, ans, x, axis=None, keepdims=False: np.reshape(g, (1,) * np.ndim(x)),))
    with pytest.raises(AssertionError, match="does not broadcast"):
        check_rule(Case(np.sum, (U(3, 4),), {}, "wrong-sum"), np.random.default_rng(0))


def test_astype_gradient_returns_in_the_input_dtype():
    x = U(3, 2)
    ans = astype(x, np.float32)
    ct = get_rule(astype).call_vjp(0, np.ones_like(ans), ans, (x, np.float32), {})
    assert ct.dtype == np.float64
    np.testing.assert_array_equal(ct, np.ones((3, 2)))


def test_rule_bodies_only_use_module_level_names():
    """The compiler inlines a rule's body into generated code and imports the names it
    uses from the rule's module: each global the body loads must be a module-level
    name there (or a builtin)."""
    import builtins
    import dis

    bad = []
    for fn, rule in _library_rules():
        for f in tuple(rule.vjps) + tuple(rule.jvps):
            if f is None:
                continue
            for ins in dis.get_instructions(f):
                if ins.opname == "LOAD_GLOBAL":
                    name = ins.argval
                    if name not in f.__globals__ and not hasattr(builtins, name):
                        bad.append(f"{rule.name}: {name}")
    assert not bad, bad


# ---------------------------------------------------------------- shape-only parameters
from srcgrad.rules.helpers import shape_only_params  # noqa: E402


def _stub(value):
    """A stand-in with ``value``'s shape and dtype that holds no data."""
    if isinstance(value, (tuple, list)):
        return type(value)(_stub(v) for v in value)
    arr = np.asarray(value)
    return np.broadcast_to(np.zeros((), dtype=arr.dtype), arr.shape)


def _with_stubs(f, names, ans, args):
    """``(ans, args)`` with the parameters of ``f`` in ``names`` replaced by stubs."""
    code = f.__code__
    positional = list(code.co_varnames[2 : code.co_argcount])
    vararg = code.co_varnames[code.co_argcount + code.co_kwonlyargcount] if code.co_flags & 0x04 else None
    args = list(args)
    for k, name in enumerate(positional):
        if name in names and k < len(args):
            args[k] = _stub(args[k])
    if vararg in names:
        args[len(positional) :] = [_stub(a) for a in args[len(positional) :]]
    return (_stub(ans) if "ans" in names else ans), tuple(args)


SHAPE_ONLY = [c for c in CASES if any(shape_only_params(get_rule(c.fn).vjp_at(i)) for i in diff_args(c))]


@pytest.mark.parametrize("c", SHAPE_ONLY, ids=[c.id for c in SHAPE_ONLY])
def test_shape_only_parameters_can_be_stubbed(c):
    """What ``shape_only_params`` reports must be safe: the VJP with those arguments
    replaced by data-free stand-ins of the same shape and dtype gives the same result."""
    rule = get_rule(c.fn)
    ans = c.fn(*c.args, **c.kwargs)
    g = _like(np.random.default_rng(0), ans)
    for i in diff_args(c):
        f = rule.vjp_at(i)
        names = shape_only_params(f)
        if not names:
            continue
        stub_ans, stub_args = _with_stubs(f, names, ans, c.args)
        expected = rule.call_vjp(i, g, ans, c.args, c.kwargs)
        np.testing.assert_array_equal(rule.call_vjp(i, g, stub_ans, stub_args, c.kwargs), expected)


def test_shape_only_analysis_is_conservative():
    assert shape_only_params(get_rule(np.sum).vjps[0]) == {"x"}
    assert shape_only_params(get_rule(np.sin).vjps[0]) == frozenset()  # cos(x) reads values
    assert "x" not in shape_only_params(get_rule(np.maximum).vjps[0])
    assert shape_only_params(get_rule(np.var).vjps[0]) == frozenset()  # x - mean(x)
    wrong = lambda g, ans, x: np.zeros_like(x) + x  # noqa: E731 - one read is a value read
    assert shape_only_params(wrong) == frozenset()
