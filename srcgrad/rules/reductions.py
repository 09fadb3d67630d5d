"""Rules of the reductions (sum, mean, prod, max, min, var, std) and the scans.

A reduction's VJP returns the *input's* shape itself: ``unreduce`` puts the
reduced axes back as length-1 axes (whatever ``keepdims`` was) so ``g``
broadcasts against ``x``.

Conventions:

* ``max``/``min`` (``np.max``, ``np.amax``, ``np.min``, ``np.amin``): when several
  elements tie for the extreme, ``g`` is split evenly among them (each gets
  ``g / count``), as PyTorch's ``amax``/``amin`` and full ``max()`` do.
* ``prod`` is zero-safe: each element's gradient is the product of the *other*
  elements, computed with cumulative products, never by dividing by ``x``.
* ``cumprod`` is zero-safe too, and exact to second order: before the first
  zero of a scan the gradient is ``reverse_cumsum(g * ans) / x``; at and after
  the first and second zeros it comes from the products that skip them, the
  (zero) first zero kept as a factor so that it differentiates correctly; past
  the second zero it is 0, which every derivative up to the second agrees with.
  (A third derivative at a point with two or more exact zeros in one scan is
  not exact.)
* Keyword arguments that would change the gradient (``where=``, ``initial=`` of
  ``max``) are not accepted by the rules: a call passing them is refused, naming
  the keyword (``Rule.unsupported_keywords``), rather than given a wrong gradient.
"""

import math

import numpy as np

from .broadcast import shape_of
from .helpers import conj, count, inverse_permutation, kept_shape, ndim_of, reads_shape_of, reduced_axes, unreduce
from .registry import defalias, defjvp, defnondiff, defvjp, primitive

__all__ = [
    "prod_others",
    "others_product",
    "others_mask",
    "equal_share",
    "dof",
    "scan_input",
    "scan_axis",
    "reverse_cumsum",
    "cumprod_vjp",
    "cumprod_jvp",
]


@primitive
def others_product(x):
    """For each element, the product of the *other* elements of its last axis.

    Zero-safe (no division): exclusive cumulative products from the left and
    from the right, multiplied.
    """
    x = np.asarray(x)
    ones = np.ones_like(x[..., :1])
    left = np.cumprod(np.concatenate([ones, x[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, x[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return left * right


@reads_shape_of(0)
def others_mask(x):
    """``eye(n)`` as booleans, ``n`` the length of ``x``'s last axis (no gradient)."""
    return np.eye(shape_of(x)[-1], dtype=bool)


def prod_others(x, axis=None):
    """For each element of ``x``, the product of the other elements along ``axis``.

    Composite: the reduced axes are moved last and flattened, then ``others_product``.
    """
    perm = reduced_last(x, axis)
    moved = np.transpose(x, perm)
    flat = np.reshape(moved, reduced_flat(x, axis))
    return np.transpose(np.reshape(others_product(flat), shape_of(moved)), inverse_permutation(perm))


@reads_shape_of(0)
def reduced_last(x, axis=None):
    """The permutation of ``x``'s axes that moves the reduced ``axis`` (None: all) last, the others keeping
    their order."""
    axes = reduced_axes(ndim_of(x), axis)
    return tuple(i for i in range(ndim_of(x)) if i not in axes) + axes


@reads_shape_of(0)
def reduced_flat(x, axis=None):
    """The shape of ``x`` with its reduced ``axis`` (None: all) moved last and flattened into one."""
    shape = shape_of(x)
    axes = reduced_axes(len(shape), axis)
    return tuple(shape[i] for i in range(len(shape)) if i not in axes) + (count(x, axis),)


@reads_shape_of(0)
def dof(x, axis, ddof=0, correction=None):
    """The divisor of ``np.var``/``np.std``: ``N - ddof`` (``correction`` is numpy 2's name for ddof).

    A Python float (so float32 stays float32); NaN where numpy's forward divides
    by zero (``N - ddof <= 0``), so the gradient is NaN there, as in PyTorch,
    rather than a ZeroDivisionError.
    """
    n = count(x, axis) - (ddof if correction is None else correction)
    return float(n) if n > 0 else math.nan


def scan_input(x, axis):
    """What a scan (``cumsum``/``cumprod``) runs over: ``x``, flattened when ``axis`` is None."""
    return np.ravel(x) if axis is None else x


def scan_axis(axis):
    """The axis a scan runs along in ``scan_input``'s result."""
    return 0 if axis is None else axis


def reverse_cumsum(v, axis):
    """``v`` summed from the end of ``axis``: entry ``i`` is ``sum(v[i:])``."""
    return np.flip(np.cumsum(np.flip(v, axis), axis=axis), axis)


@primitive
def equal_share(x, ans, axis=None):
    """Weights splitting a max/min's gradient evenly among the tied extremes of ``x``.

    ``1 / count`` where ``x`` equals the reduction's result ``ans``, 0 elsewhere, in
    ``x``'s real floating dtype. Piecewise constant, so it has no gradient of its own.
    """
    x = np.asarray(x)
    mask = x == np.reshape(ans, kept_shape(x.shape, axis))
    dtype = x.real.dtype if np.issubdtype(x.dtype, np.inexact) else np.float64  # (complex64: float32)
    ties = np.maximum(np.sum(mask, axis=axis, keepdims=True), 1)
    return (mask / ties).astype(dtype, copy=False)


defnondiff(equal_share)

# others_product's Jacobian J[j, i] = prod of x over k not in {i, j} (i != j) is
# symmetric, so its VJP and JVP are one formula. Row j of the (n, n) batch below is
# x with x_j set to 1: its others_product holds J[j, i] off the diagonal and ans_j on
# it, hence the ``- ans * g``. Zero-safe at every order.
defvjp(others_product,
       lambda g, ans, x: np.sum(conj(others_product(np.where(others_mask(x), 1.0, np.expand_dims(x, -2)))) * np.expand_dims(g, -2), axis=-1) - conj(ans) * g,
       backward_name="ProdBackward0", complex=True)
defjvp(others_product,
       lambda t, ans, x: np.sum(others_product(np.where(others_mask(x), 1.0, np.expand_dims(x, -2))) * np.expand_dims(t, -2), axis=-1) - ans * t)

# ------------------------------------------------------------------- sums
defvjp(np.sum,
       lambda g, ans, x, axis=None, dtype=None, out=None, keepdims=False, initial=None: np.broadcast_to(unreduce(g, x, axis), shape_of(x)),
       backward_name="SumBackward0", complex=True)
defjvp(np.sum,
       lambda t, ans, x, axis=None, dtype=None, out=None, keepdims=False, initial=None: np.sum(t, axis=axis, keepdims=keepdims))

defvjp(np.mean,
       lambda g, ans, x, axis=None, dtype=None, out=None, keepdims=False: np.broadcast_to(unreduce(g, x, axis), shape_of(x)) / count(x, axis),
       backward_name="MeanBackward0", complex=True)
defjvp(np.mean,
       lambda t, ans, x, axis=None, dtype=None, out=None, keepdims=False: np.mean(t, axis=axis, keepdims=keepdims))

defvjp(np.prod,
       lambda g, ans, x, axis=None, dtype=None, out=None, keepdims=False: unreduce(g, x, axis) * conj(prod_others(x, axis)),
       backward_name="ProdBackward0", complex=True)
defjvp(np.prod,
       lambda t, ans, x, axis=None, dtype=None, out=None, keepdims=False: np.sum(t * prod_others(x, axis), axis=axis, keepdims=keepdims))

# ------------------------------------------------- extremes (ties share evenly)
# When k elements tie for the max (min), each gets g / k, as PyTorch's amax/amin and
# full max() do: equal_share gives the 1/k weights (0 elsewhere). Complex values compare
# as numpy orders them (real part, then imaginary): the extreme is one of the elements,
# so its cotangent passes to that element as it is.
for _fn, _name in ((np.max, "MaxBackward1"), (np.amax, "MaxBackward1"), (np.min, "MinBackward1"), (np.amin, "MinBackward1")):
    defvjp(_fn,
           lambda g, ans, x, axis=None, out=None, keepdims=False: unreduce(g, x, axis) * equal_share(x, ans, axis),
           backward_name=_name, complex=True)
    defjvp(_fn,
           lambda t, ans, x, axis=None, out=None, keepdims=False: np.sum(t * equal_share(x, ans, axis), axis=axis, keepdims=keepdims))

# ------------------------------------------------------------ moments
# The divisor is N - ddof (numpy 2 also spells ddof ``correction``).
defvjp(np.var,
       lambda g, ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False, correction=None: unreduce(np.real(g), x, axis) * (x - np.mean(x, axis=axis, keepdims=True)) * (2.0 / dof(x, axis, ddof, correction)),
       backward_name="VarBackward0", complex=True)
defjvp(np.var,
       lambda t, ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False, correction=None: np.real(np.sum(t * conj(x - np.mean(x, axis=axis, keepdims=True)), axis=axis, keepdims=keepdims)) * (2.0 / dof(x, axis, ddof, correction)))

def reciprocal_or_zero(a):
    """``1 / a``, and 0 where ``a == 0`` (std's derivative there, as PyTorch masks it)."""
    zero = a == 0
    return np.where(zero, 0.0, 1.0 / np.where(zero, 1.0, a))


defvjp(np.std,  # where the std is 0 (all values equal) the gradient is 0, as in PyTorch
       lambda g, ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False, correction=None: unreduce(np.real(g) * reciprocal_or_zero(ans), x, axis) * (x - np.mean(x, axis=axis, keepdims=True)) / dof(x, axis, ddof, correction),
       backward_name="StdBackward0", complex=True)
defjvp(np.std,
       lambda t, ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False, correction=None: np.real(np.sum(t * conj(x - np.mean(x, axis=axis, keepdims=True)), axis=axis, keepdims=keepdims)) * reciprocal_or_zero(dof(x, axis, ddof, correction) * ans))

# ------------------------------------------------------------------ scans
# axis=None scans the flattened array: the final reshape restores x's shape.
defvjp(np.cumsum,
       lambda g, ans, x, axis=None, dtype=None, out=None: np.reshape(np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis), shape_of(x)),
       backward_name="CumsumBackward0", complex=True)
defjvp(np.cumsum,
       lambda t, ans, x, axis=None, dtype=None, out=None: np.cumsum(t, axis=axis))

def cumprod_vjp(g, ans, x, axis=None, dtype=None, out=None):
    """Zero-safe VJP of ``np.cumprod``, exact to second order (see the module docstring)."""
    xs, ax = scan_input(x, axis), scan_axis(axis)
    zero = xs == 0
    seen = np.cumsum(zero, axis=ax)  # zeros at or before each position
    first, second = zero & (seen == 1), zero & (seen == 2)
    safe = conj(np.where(zero, 1.0, xs))  # (conjugates: complex values get g * conj(derivative))
    xz = conj(np.sum(xs * first, axis=ax, keepdims=True))  # the first zero: 0, kept as a factor
    r0 = reverse_cumsum(g * conj(ans), ax) / safe
    r1 = reverse_cumsum(g * conj(np.cumprod(np.where(first, 1.0, xs), axis=ax)), ax)
    r2 = reverse_cumsum(g * conj(np.cumprod(np.where(first | second, 1.0, xs), axis=ax)), ax)
    dx = np.where(seen == 0, r0, np.where(first, r1, np.where(seen == 1, xz * r1 / safe, np.where(second, xz * r2, 0.0))))
    return np.reshape(dx, shape_of(x))


def cumprod_jvp(t, ans, x, axis=None, dtype=None, out=None):
    """Zero-safe JVP of ``np.cumprod``, exact to second order."""
    xs, ts, ax = scan_input(x, axis), scan_input(t, axis), scan_axis(axis)
    zero = xs == 0
    seen = np.cumsum(zero, axis=ax)
    first, second = zero & (seen == 1), zero & (seen == 2)
    ratio = np.cumsum(np.where(zero, 0.0, ts / np.where(zero, 1.0, xs)), axis=ax)  # sum of t_i / x_i over nonzero i
    ans1 = np.cumprod(np.where(first, 1.0, xs), axis=ax)
    ans2 = np.cumprod(np.where(first | second, 1.0, xs), axis=ax)
    xz = np.sum(xs * first, axis=ax, keepdims=True)
    tz1 = np.sum(ts * first, axis=ax, keepdims=True)
    tz2 = np.sum(ts * second, axis=ax, keepdims=True)
    return np.where(seen == 0, ans * ratio, tz1 * ans1 + np.where(seen == 1, xz * ans1 * ratio, tz2 * xz * ans2))


defvjp(np.cumprod, cumprod_vjp, backward_name="CumprodBackward0", complex=True)
defjvp(np.cumprod, cumprod_jvp)



# ------------------------------------------------------------------ aliases
@reads_shape_of(0, 1)
def average_weights_shape(a, weights, axis, returned=False):
    """The shape ``np.average``'s ``weights`` broadcast against ``a`` in: their own, or 1-D weights laid along
    ``axis``. Raises for ``returned=True`` (a tuple with the sum of weights, which has no rule)."""
    if returned:
        raise NotImplementedError("np.average(returned=True) is not differentiable; compute the sum of weights")
    if len(shape_of(weights)) == len(shape_of(a)):
        return shape_of(weights)
    return tuple(n if i == axis % len(shape_of(a)) else 1 for i, n in enumerate(shape_of(a)))


def _average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    if weights is None:
        return np.mean(a, axis=axis, keepdims=keepdims)
    w = np.reshape(weights, average_weights_shape(a, weights, axis, returned))
    return np.sum(a * w, axis=axis, keepdims=keepdims) / np.sum(np.broadcast_to(w, shape_of(a)), axis=axis, keepdims=keepdims)


def _nansum(a, axis=None, dtype=None, out=None, keepdims=False):
    return np.sum(np.where(np.isnan(a), 0, a), axis=axis, keepdims=keepdims)


def _nanmean(a, axis=None, dtype=None, out=None, keepdims=False):
    present = np.sum(np.logical_not(np.isnan(a)), axis=axis, keepdims=keepdims)
    return _nansum(a, axis=axis, keepdims=keepdims) / present


def _ptp(a, axis=None, out=None, keepdims=False):
    return np.max(a, axis=axis, keepdims=keepdims) - np.min(a, axis=axis, keepdims=keepdims)


# ufunc methods that numpy also has as functions, read as those functions (with the methods' default axis, 0).
# np.maximum.accumulate (a running maximum) and the other methods have no rule.
# (out= and dtype= are not taken: a call passing them is refused)
def _add_reduce(array, axis=0, keepdims=False):
    return np.sum(array, axis, keepdims=keepdims)


def _multiply_reduce(array, axis=0, keepdims=False):
    return np.prod(array, axis, keepdims=keepdims)


def _maximum_reduce(array, axis=0, keepdims=False):
    return np.max(array, axis, keepdims=keepdims)


def _minimum_reduce(array, axis=0, keepdims=False):
    return np.min(array, axis, keepdims=keepdims)


def _add_accumulate(array, axis=0):
    return np.cumsum(array, axis)


def _multiply_accumulate(array, axis=0):
    return np.cumprod(array, axis)


defalias(np.add.reduce, _add_reduce)
defalias(np.multiply.reduce, _multiply_reduce)
defalias(np.maximum.reduce, _maximum_reduce)
defalias(np.minimum.reduce, _minimum_reduce)
defalias(np.add.accumulate, _add_accumulate)
defalias(np.multiply.accumulate, _multiply_accumulate)
defalias(np.average, _average)
defalias(np.nansum, _nansum)
defalias(np.nanmean, _nanmean, static=False)  # (helpers without rules: dynamic mode only)
defalias(np.ptp, _ptp)
