"""Rules of linear algebra: products and contractions (matmul, dot, inner, outer,
tensordot, vecdot, matvec, vecmat, cross, convolve), trace, and
``np.linalg``'s inv, det, slogdet, solve, cholesky, eigh, svd and norm
(einsum's are in ``einsum.py``).

Products return the cotangent of the broadcast shape (batch dimensions of
``matmul`` broadcast like any ufunc; the caller unbroadcasts).

* ``np.linalg.slogdet``, ``np.linalg.eigh`` and ``svd_p`` (``np.linalg.svd``'s
  target) return tuples: multiple-output primitives whose ``g`` is a tuple.
  ``slogdet``'s sign has no gradient.
* ``cholesky`` and ``eigh`` read one triangle of their input; their gradients
  are the exact gradients of that (see ``fold_triangle``).
* ``np.linalg.norm``: vector norms of any ``ord`` (0 has no gradient) and every
  matrix norm, any ``axis``/``keepdims``. The gradient of a 2-norm at 0 is 0 (a
  subgradient); ties for a max/min share the gradient evenly.
* Aliases: ``np.correlate``, ``np.polyval``, ``np.linalg.multi_dot``,
  ``matrix_power``, ``eigvalsh``, ``svd``/``svdvals``, ``vector_norm``/``matrix_norm``
  and the array-API spellings in ``np.linalg``."""

import numpy as np

from .broadcast import shape_of, unbroadcast
from .helpers import conj, dtype_of, inverse_permutation, is_complex, ndim_of, reads_shape_of, unreduce
from .elementwise import signum
from .reductions import equal_share
from .registry import defalias, defjvp, defvjp, primitive
from .shape import axis_pad_widths

__all__ = [
    "cross_as3",
    "cross_vjp",
    "convolve_pad",
    "svd_p",
    "svdvals_p",
    "thin_only",
    "svd_gaps",
    "vector_eye",
    "svd_vjp",
    "svd_thin_vjp",
    "undetermined",
    "svd_jvp",
    "tensordot_axes",
    "dot_axes",
    "inner_axes",
    "tensordot_vjp_x",
    "tensordot_vjp_y",
    "matmul_vjp_x",
    "matmul_vjp_y",
    "trace_eye",
    "trace_axes",
    "mT",
    "norm_grad",
    "sign_of",
    "matrix_norm_grad",
    "solve_vjp_a",
    "solve_vjp_b",
    "solve_jvp_a",
    "eye_like",
    "fold_triangle",
    "read_symmetric",
    "phi",
    "cholesky_vjp",
    "cholesky_jvp",
    "eigh_gaps",
    "eigh_vjp",
    "eigh_jvp",
    "hermitian_eigh_vjp",
    "eigvalsh_vjp",
    "eigvalsh_jvp",
    "svdvals_vjp",
    "svdvals_jvp",
    "hermitian_eigh_jvp",
    "check_phase_invariant",
    "mH",
    "slogdet_vjp",
    "slogdet_jvp",
    "complex_slogdet_tangents",
]


def mT(x):
    """The matrix transpose of a stack of matrices (swap the last two axes)."""
    return np.swapaxes(x, -1, -2)


# ---------------------------------------------------------------- matmul
def matmul_vjp_x(g, ans, x, y):
    """Cotangent of ``x`` in ``x @ y`` (1-D operands as numpy promotes them)."""
    if ndim_of(y) == 1:
        return np.expand_dims(g, -1) * conj(y)
    if ndim_of(x) == 1:
        return np.squeeze(np.expand_dims(g, -2) @ conj(mT(y)), -2)
    return g @ conj(mT(y))


def matmul_vjp_y(g, ans, x, y):
    """Cotangent of ``y`` in ``x @ y`` (1-D operands as numpy promotes them)."""
    if ndim_of(x) == 1:
        return np.expand_dims(conj(x), -1) * np.expand_dims(g, -2) if ndim_of(y) > 1 else g * conj(x)
    if ndim_of(y) == 1:
        return np.squeeze(conj(mT(x)) @ np.expand_dims(g, -1), -1)
    return conj(mT(x)) @ g


defvjp(np.matmul, matmul_vjp_x, matmul_vjp_y, backward_name="MmBackward0", complex=True)
defjvp(np.matmul,
       lambda t, ans, x, y: t @ y,
       lambda t, ans, x, y: x @ t)


# numpy 2's vector gufuncs: vecdot sums conj(x) * y over ``axis``; matvec(A, v) = A @ v
# and vecmat(v, A) = conj(v) @ A over the last axes (the conjugated vector is
# antiholomorphic: its cotangent is conj of what a product's would be).
defvjp(np.vecdot,
       lambda g, ans, x, y, axis=-1: np.expand_dims(conj(g), axis) * y,
       lambda g, ans, x, y, axis=-1: np.expand_dims(g, axis) * x,
       backward_name="LinalgVecdotBackward0", complex=True)
defjvp(np.vecdot,
       lambda t, ans, x, y, axis=-1: np.vecdot(t, y, axis=axis),
       lambda t, ans, x, y, axis=-1: np.vecdot(x, t, axis=axis))

defvjp(np.matvec,
       lambda g, ans, a, v: np.expand_dims(g, -1) * np.expand_dims(conj(v), -2),
       lambda g, ans, a, v: np.matvec(conj(mT(a)), g),
       backward_name="MvBackward0", complex=True)
defjvp(np.matvec,
       lambda t, ans, a, v: np.matvec(t, v),
       lambda t, ans, a, v: np.matvec(a, t))

defvjp(np.vecmat,
       lambda g, ans, v, a: np.matvec(a, conj(g)),
       lambda g, ans, v, a: np.expand_dims(v, -1) * np.expand_dims(g, -2),
       backward_name="VecmatBackward0", complex=True)
defjvp(np.vecmat,
       lambda t, ans, v, a: np.vecmat(t, a),
       lambda t, ans, v, a: np.vecmat(v, t))

def cross_as3(v, axis):
    """``v``'s vectors (along ``axis``) moved to the last axis and padded to 3 components (z = 0)."""
    v = np.moveaxis(v, axis, -1)
    if shape_of(v)[-1] == 2:
        v = np.pad(v, axis_pad_widths(v, -1, 0, 1))  # (widths from a helper: the body is read again)
    return v


def cross_vjp(g, x, y, argnum, axisa, axisb, axisc, axis):
    """Cotangent of ``x`` (``argnum`` 0) or ``y`` (1) in ``np.cross(x, y, axisa, axisb, axisc, axis)``.

    numpy moves each operand's vectors to the last axis, pads 2-vectors with a
    zero z, crosses, and moves the result's vectors to ``axisc`` (two 2-vectors
    give the z component alone). With ``c = x3 x y3``, ``d<g, c>/dx3 = y3 x g``
    and ``d<g, c>/dy3 = g x x3``; the padded components are dropped, the
    operand's own broadcast undone, and its vectors moved back.
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    x3, y3 = cross_as3(x, axisa), cross_as3(y, axisb)
    if shape_of(x)[axisa] == 2 and shape_of(y)[axisb] == 2:  # the output is the z component alone
        g3 = np.expand_dims(g, -1) * np.array([0.0, 0.0, 1.0])
    else:
        g3 = np.moveaxis(g, axisc, -1)
    own, own_axis = (x, axisa) if argnum == 0 else (y, axisb)
    d = np.cross(conj(y3), g3) if argnum == 0 else np.cross(g3, conj(x3))
    moved = np.moveaxis(own, own_axis, -1)
    d = unbroadcast(d[..., :shape_of(moved)[-1]], shape_of(moved))
    return np.moveaxis(d, -1, own_axis)


defvjp(np.cross,  # any axisa/axisb/axisc/axis, 2- and 3-vectors
       lambda g, ans, x, y, axisa=-1, axisb=-1, axisc=-1, axis=None: cross_vjp(g, x, y, 0, axisa, axisb, axisc, axis),
       lambda g, ans, x, y, axisa=-1, axisb=-1, axisc=-1, axis=None: cross_vjp(g, x, y, 1, axisa, axisb, axisc, axis),
       backward_name="LinalgCrossBackward0", complex=True)
defjvp(np.cross,
       lambda t, ans, x, y, axisa=-1, axisb=-1, axisc=-1, axis=None: np.cross(t, y, axisa, axisb, axisc, axis),
       lambda t, ans, x, y, axisa=-1, axisb=-1, axisc=-1, axis=None: np.cross(x, t, axisa, axisb, axisc, axis))


def _multi_dot(arrays, *, out=None):
    if out is not None:
        raise NotImplementedError("np.linalg.multi_dot(out=) is not differentiable")
    result = arrays[0]
    for a in arrays[1:]:
        result = result @ a
    return result


def _matrix_power(a, n):
    if n < 0:
        a, n = np.linalg.inv(a), -n
    if n == 0:
        return np.broadcast_to(eye_like(a), shape_of(a)) + 0 * a
    result = a
    for _ in range(n - 1):
        result = result @ a
    return result


def _linalg_cross(x1, x2, /, *, axis=-1):
    if axis != -1:
        raise NotImplementedError("np.linalg.cross(axis=...) is differentiable only along the last axis")
    return np.cross(x1, x2)


# static=False: adaptors the compiler cannot read (a lambda with positional-only parameters, a raise, a
# helper without a rule); it treats these functions as before (no rule; views tracked by its aliasing pass)
defalias(np.linalg.multi_dot, _multi_dot, static=False)
defalias(np.linalg.matrix_power, _matrix_power, static=False)  # (helpers without rules: dynamic mode only)
defalias(np.linalg.matmul, lambda x1, x2, /: np.matmul(x1, x2))
defalias(np.linalg.tensordot, lambda x1, x2, /, *, axes=2: np.tensordot(x1, x2, axes))
defalias(np.linalg.outer, lambda x1, x2, /: np.outer(x1, x2))
defalias(np.linalg.cross, _linalg_cross, static=False)
defalias(np.linalg.trace, lambda x, /, *, offset=0, dtype=None: np.trace(x, offset, axis1=-2, axis2=-1))
defalias(np.linalg.diagonal, lambda x, /, *, offset=0: np.diagonal(x, offset, axis1=-2, axis2=-1), static=False)
defalias(np.linalg.vecdot, lambda x1, x2, /, *, axis=-1: np.vecdot(x1, x2, axis=axis))
defalias(np.linalg.matrix_transpose, lambda x, /: np.swapaxes(x, -1, -2), static=False)
defalias(np.matrix_transpose, lambda x, /: np.swapaxes(x, -1, -2), static=False)


# ------------------------------------------------------------- tensordot
@reads_shape_of(0, 1)
def tensordot_axes(x, y, axes=2):
    """``np.tensordot``'s ``axes`` as two lists of non-negative axes of ``x`` and ``y``."""
    nx, ny = ndim_of(x), ndim_of(y)
    if isinstance(axes, int):
        return list(range(nx - axes, nx)), list(range(axes))
    ax, ay = axes
    ax = [ax] if isinstance(ax, int) else list(ax)
    ay = [ay] if isinstance(ay, int) else list(ay)
    return [a % nx for a in ax], [a % ny for a in ay]


@reads_shape_of(0, 1)
def dot_axes(x, y):
    """The contraction ``np.dot`` does, as ``tensordot`` axes."""
    if ndim_of(x) == 0 or ndim_of(y) == 0:
        return [], []
    return [ndim_of(x) - 1], [max(ndim_of(y) - 2, 0)]


@reads_shape_of(0, 1)
def inner_axes(x, y):
    """The contraction ``np.inner`` does, as ``tensordot`` axes."""
    if ndim_of(x) == 0 or ndim_of(y) == 0:
        return [], []
    return [ndim_of(x) - 1], [ndim_of(y) - 1]


@reads_shape_of(0, 1, 2)
def tensordot_vjp_axes(x, y, g, axes, of_x):
    """The ``axes`` the VJP of ``np.tensordot(x, y, axes)`` contracts with ``g``, and the permutation that puts
    its result in ``x``'s axis order (``of_x``) or ``y``'s. Shape arithmetic only."""
    ax, ay = tensordot_axes(x, y, axes)
    free_x = [i for i in range(ndim_of(x)) if i not in ax]
    free_y = [i for i in range(ndim_of(y)) if i not in ay]
    if of_x:  # g . y over y's free axes: x's free axes, then x's contracted axes in the order of y's axes
        return (list(range(len(free_x), ndim_of(g))), free_y), free_x + [a for _, a in sorted(zip(ay, ax))]
    # x . g over x's free axes: y's contracted axes in the order of x's axes, then y's free axes
    return (free_x, list(range(len(free_x)))), [b for _, b in sorted(zip(ax, ay))] + free_y


def tensordot_vjp_x(g, x, y, axes):
    """Cotangent of ``x`` in ``np.tensordot(x, y, axes)``.

    The axes are passed by position: read again at higher order, ``contract`` may be saved beside values that
    carry derivatives, and the compiler refuses such a value given by keyword (``tensordot``'s third argument
    has no derivative)."""
    contract, order = tensordot_vjp_axes(x, y, g, axes, True)
    return np.transpose(np.tensordot(g, y, contract), inverse_permutation(order))


def tensordot_vjp_y(g, x, y, axes):
    """Cotangent of ``y`` in ``np.tensordot(x, y, axes)``."""
    contract, order = tensordot_vjp_axes(x, y, g, axes, False)
    return np.transpose(np.tensordot(x, g, contract), inverse_permutation(order))


defvjp(np.tensordot,
       lambda g, ans, x, y, axes=2: tensordot_vjp_x(g, x, conj(y), axes),
       lambda g, ans, x, y, axes=2: tensordot_vjp_y(g, conj(x), y, axes),
       None,
       backward_name="TensordotBackward0", complex=True)
defjvp(np.tensordot,
       lambda t, ans, x, y, axes=2: np.tensordot(t, y, axes),
       lambda t, ans, x, y, axes=2: np.tensordot(x, t, axes),
       None)

defvjp(np.dot,
       lambda g, ans, x, y: tensordot_vjp_x(g, x, conj(y), dot_axes(x, y)),
       lambda g, ans, x, y: tensordot_vjp_y(g, conj(x), y, dot_axes(x, y)),
       backward_name="DotBackward0", complex=True)
defjvp(np.dot,
       lambda t, ans, x, y: np.dot(t, y),
       lambda t, ans, x, y: np.dot(x, t))

defvjp(np.inner,
       lambda g, ans, x, y: tensordot_vjp_x(g, x, conj(y), inner_axes(x, y)),
       lambda g, ans, x, y: tensordot_vjp_y(g, conj(x), y, inner_axes(x, y)),
       backward_name="InnerBackward0", complex=True)
defjvp(np.inner,
       lambda t, ans, x, y: np.inner(t, y),
       lambda t, ans, x, y: np.inner(x, t))

defvjp(np.vdot,  # sum(conj(ravel(a)) * ravel(b)): antiholomorphic in a, holomorphic in b
       lambda g, ans, a, b: np.reshape(conj(g) * np.ravel(b), shape_of(a)),
       lambda g, ans, a, b: np.reshape(g * np.ravel(a), shape_of(b)),
       backward_name="VdotBackward0", complex=True)
defjvp(np.vdot,
       lambda t, ans, a, b: np.vdot(t, b),
       lambda t, ans, a, b: np.vdot(a, t))

defvjp(np.outer,  # both operands are flattened first
       lambda g, ans, x, y: np.reshape(g @ conj(np.ravel(y)), shape_of(x)),
       lambda g, ans, x, y: np.reshape(conj(np.ravel(x)) @ g, shape_of(y)),
       backward_name="OuterBackward0", complex=True)
defjvp(np.outer,
       lambda t, ans, x, y: np.outer(t, y),
       lambda t, ans, x, y: np.outer(x, t))


# ------------------------------------------------------- 1-D convolution
@reads_shape_of(0, 1)
def convolve_pad(a, v, mode="full"):
    """``np.pad`` widths that put ``np.convolve(a, v, mode)``'s cotangent at its place in
    the full convolution (``full`` has length N + M - 1; ``same`` and ``valid`` are slices)."""
    n, m = shape_of(a)[0], shape_of(v)[0]
    length = {"full": n + m - 1, "same": max(n, m), "valid": max(n, m) - min(n, m) + 1}[mode]
    offset = {"full": 0, "same": (min(n, m) - 1) // 2, "valid": min(n, m) - 1}[mode]
    return (offset, n + m - 1 - offset - length)


# convolve is bilinear: each argument's cotangent correlates the padded g with the other.
defvjp(np.convolve,
       lambda g, ans, a, v, mode="full": np.convolve(np.pad(g, convolve_pad(a, v, mode)), np.flip(conj(v)), "valid"),
       lambda g, ans, a, v, mode="full": np.convolve(np.pad(g, convolve_pad(a, v, mode)), np.flip(conj(a)), "valid"),
       None,
       backward_name="ConvolveBackward0", complex=True)
defjvp(np.convolve,
       lambda t, ans, a, v, mode="full": np.convolve(t, v, mode),
       lambda t, ans, a, v, mode="full": np.convolve(a, t, mode),
       None)
# ------------------------------------------------------- Kronecker product
@reads_shape_of(0, 1)
def kron_layout(a, b, part):
    """Shapes that lay ``np.kron(a, b)`` out as ``spread(a) * spread(b)`` (axes interleaved: a's, then b's).

    ``part`` is ``"a"`` or ``"b"`` (that operand's spread shape: its sizes with 1s between), ``"ans"`` (the
    result with its axes split in pairs) or ``"axes_a"``/``"axes_b"`` (the axes of that pairing that belong
    to the *other* operand, the ones an operand's cotangent sums over).
    """
    nd = max(ndim_of(a), ndim_of(b))
    sa = (1,) * (nd - ndim_of(a)) + shape_of(a)
    sb = (1,) * (nd - ndim_of(b)) + shape_of(b)
    return {"a": tuple(d for n in sa for d in (n, 1)), "b": tuple(d for n in sb for d in (1, n)),
            "ans": tuple(d for m, n in zip(sa, sb) for d in (m, n)),
            "axes_a": tuple(range(1, 2 * nd, 2)), "axes_b": tuple(range(0, 2 * nd, 2))}[part]


# kron is bilinear: an operand's cotangent sums g's blocks against the other operand.
defvjp(np.kron,
       lambda g, ans, a, b: np.reshape(np.sum(np.reshape(g, kron_layout(a, b, "ans")) * conj(np.reshape(b, kron_layout(a, b, "b"))), axis=kron_layout(a, b, "axes_a")), shape_of(a)),
       lambda g, ans, a, b: np.reshape(np.sum(np.reshape(g, kron_layout(a, b, "ans")) * conj(np.reshape(a, kron_layout(a, b, "a"))), axis=kron_layout(a, b, "axes_b")), shape_of(b)),
       backward_name="KronBackward0", complex=True)
defjvp(np.kron,
       lambda t, ans, a, b: np.kron(t, b),
       lambda t, ans, a, b: np.kron(a, t))


def _polyval(p, x):
    """Horner's rule: p[0] * x**(n-1) + ... + p[n-1]."""
    result = np.zeros_like(x) + p[0]
    for k in range(1, shape_of(p)[0] if hasattr(p, "shape") else len(p)):
        result = result * x + p[k]
    return result


defalias(np.polyval, _polyval)


def _correlate(a, v, mode="valid"):
    """``c[k] = sum_n a[n + k] conj(v[n])``, as numpy's: a convolution with ``v`` reversed and conjugated."""
    if shape_of(a)[0] >= shape_of(v)[0]:
        return np.convolve(a, np.flip(conj(v)), mode)
    return np.flip(np.convolve(conj(v), np.flip(a), mode))  # numpy swaps the operands when v is longer


defalias(np.correlate, _correlate)


# ----------------------------------------------------------------- trace
@reads_shape_of(0)
def trace_axes(x, axis1, axis2):
    """``(axis1, axis2)`` as non-negative axes of ``x``."""
    return axis1 % ndim_of(x), axis2 % ndim_of(x)


@reads_shape_of(0)
def trace_eye(x, offset, axis1, axis2):
    """The identity (shifted by ``offset``) shaped like ``x``'s traced plane, in ``x``'s dtype."""
    a1, a2 = trace_axes(x, axis1, axis2)
    return np.eye(shape_of(x)[a1], shape_of(x)[a2], k=offset, dtype=dtype_of(x))


defvjp(np.trace,
       lambda g, ans, x, offset=0, axis1=0, axis2=1, dtype=None, out=None: np.moveaxis(np.expand_dims(g, (-2, -1)) * trace_eye(x, offset, axis1, axis2), (-2, -1), trace_axes(x, axis1, axis2)),
       backward_name="TraceBackward0", complex=True)
defjvp(np.trace,
       lambda t, ans, x, offset=0, axis1=0, axis2=1, dtype=None, out=None: np.trace(t, offset, axis1, axis2))

# ------------------------------------------------------- inverse, determinants
defvjp(np.linalg.inv,
       lambda g, ans, x: -conj(mT(ans)) @ g @ conj(mT(ans)),
       backward_name="LinalgInvExBackward0", complex=True)
defjvp(np.linalg.inv,
       lambda t, ans, x: -ans @ t @ ans)

defvjp(np.linalg.det,
       lambda g, ans, x: np.expand_dims(g * conj(ans), (-2, -1)) * conj(mT(np.linalg.inv(x))),
       backward_name="LinalgDetBackward0", complex=True)
defjvp(np.linalg.det,
       lambda t, ans, x: ans * np.sum(mT(np.linalg.inv(x)) * t, axis=(-2, -1)))

def slogdet_vjp(g, ans, x):
    """Cotangent of ``x`` in ``sign, logabsdet = slogdet(x)``; ``g = (g_sign, g_logabsdet)``.

    For real ``x`` the sign is piecewise constant. For complex ``x`` the sign is
    ``exp(i theta)`` with ``d theta = Im tr(x^-1 dx)``, so its cotangent adds
    ``i Im(g_sign conj(sign))`` to the real one of ``logabsdet``.
    """
    if is_complex(x):
        return np.expand_dims(np.real(g[1]) + np.imag(g[0] * np.conjugate(ans[0])) * 1j, (-2, -1)) * np.conjugate(mT(np.linalg.inv(x)))
    return np.expand_dims(g[1], (-2, -1)) * mT(np.linalg.inv(x))


def slogdet_jvp(t, ans, x):
    """Tangents ``(d sign, d logabsdet)``: ``d logabsdet = Re tr(x^-1 t)``, ``d sign = i sign Im tr(x^-1 t)``."""
    if is_complex(x):
        return complex_slogdet_tangents(ans, np.sum(mT(np.linalg.inv(x)) * t, axis=(-2, -1)))
    return np.zeros_like(ans[0]), np.sum(mT(np.linalg.inv(x)) * t, axis=(-2, -1))


def complex_slogdet_tangents(ans, rate):
    """``(d sign, d logabsdet)`` of a complex ``slogdet`` from ``rate = tr(x^-1 dx)``."""
    return ans[0] * 1j * np.imag(rate), np.real(rate)


defvjp(np.linalg.slogdet, slogdet_vjp, multiple_outputs=True, backward_name="LinalgSlogdetBackward0", complex=True)
defjvp(np.linalg.slogdet, slogdet_jvp)


# ------------------------------------------- cholesky and eigh (read one triangle)
# np.linalg.cholesky and np.linalg.eigh read only the lower triangle of ``a`` (eigh's
# UPLO="U": the upper). Their VJPs are the exact gradients of that: for the gradient
# ``G`` a symmetric matrix would get, entries below the diagonal get ``G + G^T``, the
# diagonal ``G``, the unread triangle 0 (``fold_triangle``). Degenerate eigenvalues
# make eigh's gradient infinite, as the derivative of its eigenvectors is.
@reads_shape_of(0)
def eye_like(a):
    """The identity matching ``a``'s last two axes, in ``a``'s dtype (no gradient)."""
    return np.eye(shape_of(a)[-1], dtype=dtype_of(a))


def fold_triangle(m, eye, uplo="L"):
    """``m + m^H`` on the read triangle, ``m``'s diagonal, 0 on the other triangle (``m`` Hermitian)."""
    both = m + conj(mT(m))
    return (np.tril(both) if uplo == "L" else np.triu(both)) - m * eye


def read_symmetric(t, uplo="L"):
    """The symmetric (Hermitian) matrix numpy sees when it reads one triangle of ``t`` (and the real part of
    its diagonal)."""
    part = np.tril(t, -1) if uplo == "L" else np.triu(t, 1)
    return part + conj(mT(part)) + np.real(t) * eye_like(t)


def phi(m, eye):
    """The lower triangle of ``m`` with its diagonal halved."""
    return np.tril(m) - 0.5 * m * eye


def cholesky_vjp(g, ans, a):
    """Cotangent of ``a`` in ``L = np.linalg.cholesky(a)`` (lower; reads a's lower triangle and the real part
    of its diagonal): ``L^-H phi(L^H g) L^-1``, made Hermitian and folded onto the lower triangle."""
    eye = eye_like(a)
    inv = np.linalg.inv(ans)
    ga = conj(mT(inv)) @ phi(conj(mT(ans)) @ np.tril(g), eye) @ inv
    return fold_triangle(0.5 * (ga + conj(mT(ga))), eye)


def cholesky_jvp(t, ans, a):
    """Tangent of ``L = np.linalg.cholesky(a)``: ``L phi(L^-1 dA L^-H)``."""
    inv = np.linalg.inv(ans)
    return ans @ phi(inv @ read_symmetric(t) @ conj(mT(inv)), eye_like(a))


defvjp(np.linalg.cholesky, cholesky_vjp, backward_name="LinalgCholeskyExBackward0", complex=True)
defjvp(np.linalg.cholesky, cholesky_jvp)


def eigh_gaps(w, eye):
    """``F[i, j] = 1 / (w[j] - w[i])`` off the diagonal, 0 on it."""
    return (1 - eye) / (np.expand_dims(w, -2) - np.expand_dims(w, -1) + eye)


def eigh_vjp(g, ans, a, UPLO="L"):
    """Cotangent of ``a`` in ``w, v = np.linalg.eigh(a)``; ``g = (g_w, g_v)``."""
    if is_complex(a):
        return hermitian_eigh_vjp(g, ans, a, UPLO)
    eye = eye_like(a)
    w, v = ans[0], ans[1]
    inner = np.expand_dims(g[0], -2) * eye + eigh_gaps(w, eye) * (mT(v) @ g[1])
    return fold_triangle(0.5 * (v @ inner @ mT(v) + mT(v @ inner @ mT(v))), eye, UPLO)


def eigh_jvp(t, ans, a, UPLO="L"):
    """Tangents ``(dw, dv)`` of ``np.linalg.eigh(a)`` along ``a``'s tangent ``t``."""
    if is_complex(a) or is_complex(t):
        return hermitian_eigh_jvp(t, ans, a, UPLO)
    eye = eye_like(a)
    w, v = ans[0], ans[1]
    m = mT(v) @ read_symmetric(t, UPLO) @ v
    return np.sum(m * eye, axis=-1), v @ (eigh_gaps(w, eye) * m)


def mH(x):
    """The conjugate transpose of a stack of matrices (the transpose for real ones)."""
    return conj(np.swapaxes(x, -1, -2))


def check_phase_invariant(vhgv):
    """Raise when a loss depends on the phases of eigen- or singular vectors (which are arbitrary):
    ``Im diag(vhgv)`` must be 0, ``vhgv = V^H g_V`` (plus ``U^H g_U`` for an SVD)."""
    diag = np.diagonal(vhgv, 0, -2, -1)
    if is_complex(diag) and bool(np.any(np.abs(np.imag(diag)) > 1e-8 * (1 + np.max(np.abs(vhgv))))):
        raise ValueError("the loss depends on the phases of complex eigenvectors or singular vectors, which are "
                         "arbitrary (e^(i phi) v is one too): it has no gradient. Use a loss that does not change "
                         "when a vector is multiplied by e^(i phi) (|v|, v v^H, u s v^H, ...)")


def hermitian_eigh_vjp(g, ans, a, UPLO="L"):
    """``eigh_vjp`` for a complex Hermitian ``a``: conjugate transposes, and a loss on the eigenvectors' phases
    refused (``check_phase_invariant``)."""
    eye = eye_like(a)
    w, v = ans[0], ans[1]
    vhgv = mH(v) @ g[1]
    check_phase_invariant(vhgv)
    full = v @ (np.expand_dims(np.real(g[0]), -2) * eye + eigh_gaps(w, eye) * vhgv) @ mH(v)  # w is real: Re g
    return fold_triangle(0.5 * (full + mH(full)), eye, UPLO)


def hermitian_eigh_jvp(t, ans, a, UPLO="L"):
    """``eigh_jvp`` for complex values: real eigenvalue tangents; eigenvector tangents with no component along
    their own vector (numpy's phases are arbitrary)."""
    eye = eye_like(a)
    w, v = ans[0], ans[1]
    m = mH(v) @ read_symmetric(t, UPLO) @ v
    return np.real(np.sum(m * eye, axis=-1)), v @ (eigh_gaps(w, eye) * m)


defvjp(np.linalg.eigh, eigh_vjp, multiple_outputs=True, backward_name="LinalgEighBackward0", complex=True)
defjvp(np.linalg.eigh, eigh_jvp)
def eigvalsh_vjp(g, ans, a, UPLO="L"):
    """Cotangent of ``a`` in ``np.linalg.eigvalsh(a)``: ``V diag(Re g) V^H`` folded onto the read triangle."""
    eye = eye_like(a)
    v = np.linalg.eigh(a, UPLO)[1]
    full = v @ (np.expand_dims(np.real(g), -2) * eye) @ mH(v)
    return fold_triangle(0.5 * (full + mH(full)), eye, UPLO)


defvjp(np.linalg.eigvalsh, eigvalsh_vjp, backward_name="LinalgEighBackward0", complex=True)
def eigvalsh_jvp(t, ans, a, UPLO="L"):
    """Tangent of ``np.linalg.eigvalsh(a)``: ``Re diag(V^H t V)`` with ``t`` read as numpy reads ``a``."""
    v = np.linalg.eigh(a, UPLO)[1]
    return np.real(np.sum(conj(v) * (read_symmetric(t, UPLO) @ v), axis=-2))


defjvp(np.linalg.eigvalsh, eigvalsh_jvp)


# ------------------------------------------------------------------- svd
# np.linalg.svd is an alias: singular values only -> svdvals_p(a); with vectors ->
# svd_p(a, full_matrices), a multiple-output primitive (u, s, vh). Gradients need the
# thin factorization (full_matrices=False, or a square a) and distinct nonzero
# singular values; repeated ones make the vectors' gradient infinite.
@primitive
def svd_p(a, full_matrices=False):
    """``np.linalg.svd(a, full_matrices)``: the tuple ``(U, S, Vh)``."""
    return np.linalg.svd(a, full_matrices=full_matrices)


@primitive
def svdvals_p(a):
    """The singular values of ``a`` (``np.linalg.svd(a, compute_uv=False)``)."""
    return np.linalg.svd(a, compute_uv=False)


def thin_only(a, full_matrices):
    """Raise unless the factorization is thin (``full_matrices=False`` or a square ``a``)."""
    if full_matrices and shape_of(a)[-1] != shape_of(a)[-2]:
        raise NotImplementedError("forward mode (jvp) of np.linalg.svd needs full_matrices=False for a non-square "
                                  "matrix (the columns past min(m, n) are not determined)")


@reads_shape_of(0)
def vector_eye(s):
    """The identity of size ``s.shape[-1]``, in ``s``'s dtype (no gradient)."""
    return np.eye(shape_of(s)[-1], dtype=dtype_of(s))


def svd_gaps(s, eye):
    """``F[i, j] = 1 / (s[j]**2 - s[i]**2)`` off the diagonal, 0 on it."""
    s2 = s * s
    return (1 - eye) / (np.expand_dims(s2, -2) - np.expand_dims(s2, -1) + eye)


def svd_vjp(g, ans, a, full_matrices=False):
    """Cotangent of ``a`` in ``u, s, vh = svd(a)``; ``g = (g_u, g_s, g_vh)`` (real).

    With ``full_matrices=True`` and a matrix that is not square, the columns of
    ``u`` (rows of ``vh``) past ``min(m, n)`` are any basis of a complement: a
    loss may use them only where its cotangent there is zero (PyTorch ignores
    that part; srcgrad raises instead of returning a gradient of no meaning).
    """
    gu, gs, gvh = g[0], g[1], g[2]
    if not is_complex(a):  # real factors: an imaginary part a complex neighbour gave the cotangent means nothing
        gu, gs, gvh = np.real(gu), np.real(gs), np.real(gvh)
    if full_matrices and shape_of(a)[-1] != shape_of(a)[-2]:
        k = min(shape_of(a)[-2:])
        undetermined(gu[..., :, k:], gvh[..., k:, :])
        return svd_thin_vjp((gu[..., :, :k], gs, gvh[..., :k, :]), (ans[0][..., :, :k], ans[1], ans[2][..., :k, :]))
    return svd_thin_vjp((gu, gs, gvh), ans)


def undetermined(gu_rest, gvh_rest):
    """Raise when a cotangent reaches the columns of ``u`` or rows of ``vh`` that ``svd`` does not determine."""
    if bool(np.any(gu_rest != 0)) or bool(np.any(gvh_rest != 0)):
        raise ValueError(
            "the loss depends on the columns of u (rows of vh) that np.linalg.svd(full_matrices=True) adds past "
            "min(m, n): they are any basis of a complement, so there is no gradient. Use full_matrices=False, or "
            "only u[..., :, :k] and vh[..., :k, :]")


def svd_thin_vjp(g, ans):
    """The thin factorization's VJP: ``ans = (u, s, vh)`` with ``k = min(m, n)`` columns, ``g`` the same shapes.

    For complex values the transposes are conjugate transposes, the vectors' phases must not matter to the
    loss (``check_phase_invariant`` of ``U^H g_U + V^H g_V``), and the core's diagonal gains
    ``i Im(diag(U^H g_U)) / s`` (the part of ``d(U^H dA V)``'s diagonal the phases carry)."""
    u, s, v = ans[0], ans[1], mH(ans[2])
    gu, gv = g[0], mH(g[2])
    eye = vector_eye(s)
    f = svd_gaps(s, eye)
    utgu, vtgv = mH(u) @ gu, mH(v) @ gv
    row, col = np.expand_dims(s, -2), np.expand_dims(s, -1)
    core = f * (utgu - mH(utgu)) * row + np.expand_dims(np.real(g[1]), -2) * eye + col * (f * (vtgv - mH(vtgv)))
    if is_complex(utgu) or is_complex(vtgv):
        check_phase_invariant(utgu + vtgv)
        core = core + np.expand_dims(np.imag(np.diagonal(utgu, 0, -2, -1)) / s, -2) * eye * 1j
    out = u @ core @ mH(v)  # + (I - u u^H) g_u s^-1 + u ((I - v v^H) g_v s^-1)^H, 0 for a square u (v): skipped,
    if shape_of(u)[-2] > shape_of(u)[-1]:  # as its rounding over a singular value near 0 would not be
        out = out + ((gu - u @ utgu) / row) @ mH(v)
    if shape_of(v)[-2] > shape_of(v)[-1]:
        out = out + u @ mH((gv - v @ vtgv) / row)
    return out


def svd_jvp(t, ans, a, full_matrices=False):
    """Tangents ``(du, ds, dvh)`` of ``svd(a)`` along ``a``'s tangent ``t`` (real, thin; see ``thin_only``)."""
    thin_only(a, full_matrices)
    u, s, v = ans[0], ans[1], mH(ans[2])
    eye = vector_eye(s)
    f = svd_gaps(s, eye)
    row, col = np.expand_dims(s, -2), np.expand_dims(s, -1)
    dp = mH(u) @ t @ v
    tv, tu = t @ v, mH(t) @ u
    du = u @ (f * (dp * row + col * mH(dp)))
    dv = v @ (f * (col * dp + mH(dp) * row))
    if shape_of(u)[-2] > shape_of(u)[-1]:  # the part outside u's columns: none for a square u (see svd_thin_vjp)
        du = du + (tv - u @ (mH(u) @ tv)) / row
    if shape_of(v)[-2] > shape_of(v)[-1]:
        dv = dv + (tu - v @ (mH(v) @ tu)) / row
    if is_complex(dp):  # the phases: d(u_i) gets i Im(dp_ii) / s_i, d(v_i) nothing (a choice of gauge)
        du = du + u * np.expand_dims(np.imag(np.diagonal(dp, 0, -2, -1)) / s, -2) * 1j
    return du, np.real(np.sum(dp * eye, axis=-1)), mH(dv)


defvjp(svd_p, svd_vjp, None, multiple_outputs=True, backward_name="LinalgSvdBackward0", complex=True)
defjvp(svd_p, svd_jvp, None)

def svdvals_vjp(g, ans, a):
    """Cotangent of ``a`` in ``s = svdvals_p(a)``: ``U diag(Re g) V^H`` (``d s_k = Re u_k^H dA v_k``).

    One ``svd_p`` call: under ``create_graph`` its outputs' phases must come from one factorization."""
    usv = svd_p(a)
    return (usv[0] * np.expand_dims(np.real(g), -2)) @ usv[2]


def svdvals_jvp(t, ans, a):
    """Tangent of ``svdvals_p(a)``: ``Re diag(U^H t V)``."""
    usv = svd_p(a)
    return np.real(np.sum(conj(usv[0]) * (t @ conj(mT(usv[2]))), axis=-2))


defvjp(svdvals_p, svdvals_vjp, backward_name="LinalgSvdBackward0", complex=True)
defjvp(svdvals_p, svdvals_jvp)


def _svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    if not compute_uv:
        return svdvals_p(a)
    return svd_p(a, full_matrices=full_matrices)


defalias(np.linalg.svd, _svd)
defalias(np.linalg.svdvals, lambda x, /: svdvals_p(x))


# ----------------------------------------------------------------- solve
# numpy 2 treats b as a vector only when b.ndim == 1 (then a may still be batched).
def solve_vjp_b(g, ans, a, b):
    """Cotangent of ``b`` in ``np.linalg.solve(a, b)``: ``solve(a^H, g)``."""
    if ndim_of(b) == 1:
        return np.squeeze(np.linalg.solve(conj(mT(a)), np.expand_dims(g, -1)), -1)
    return np.linalg.solve(conj(mT(a)), g)


def solve_vjp_a(g, ans, a, b):
    """Cotangent of ``a`` in ``np.linalg.solve(a, b)``: ``-solve(a^H, g) @ ans^H``."""
    gb = solve_vjp_b(g, ans, a, b)
    if ndim_of(b) == 1:
        return -np.expand_dims(gb, -1) * np.expand_dims(conj(ans), -2)
    return -gb @ conj(mT(ans))


def solve_jvp_a(t, ans, a, b):
    """Tangent of ``np.linalg.solve(a, b)`` along ``a``'s tangent: ``-solve(a, t @ ans)``."""
    if ndim_of(b) == 1:
        return -np.squeeze(np.linalg.solve(a, t @ np.expand_dims(ans, -1)), -1)
    return -np.linalg.solve(a, t @ ans)


defvjp(np.linalg.solve, solve_vjp_a, solve_vjp_b, backward_name="LinalgSolveExBackward0", complex=True)
defjvp(np.linalg.solve,
       solve_jvp_a,
       lambda t, ans, a, b: np.linalg.solve(a, t) if ndim_of(b) > 1 else np.squeeze(np.linalg.solve(a, np.expand_dims(t, -1)), -1))


# ------------------------------------------------------------------ norm
def sign_of(x):
    """``np.sign(x)``; for complex ``x``, ``x / |x|`` written with primitives that have derivatives."""
    return signum(x, np.abs(x)) if is_complex(x) else np.sign(x)


def norm_grad(ans, x, ord=None, axis=None):
    """The derivative of ``np.linalg.norm(x, ord, axis, keepdims=True)`` with respect
    to ``x``, elementwise (shape of ``x``). Composite of primitives with rules."""
    ndim = ndim_of(x)
    matrix = (axis is None and ndim == 2 and ord is not None) or (isinstance(axis, (tuple, list)) and len(axis) == 2)
    if matrix and ord not in (None, "fro"):
        rows, cols = (0, 1) if axis is None else (axis[0] % ndim, axis[1] % ndim)
        return np.moveaxis(matrix_norm_grad(np.moveaxis(x, (rows, cols), (-2, -1)), ord), (-2, -1), (rows, cols))
    kept = unreduce(ans, x, axis)
    if ord in (None, "fro", 2, 2.0):
        return x / (kept + (kept == 0))
    if ord == 1:
        return sign_of(x)
    if ord in (np.inf, -np.inf):  # max/min of |x|: ties share evenly
        return sign_of(x) * equal_share(np.abs(x), ans, axis)
    if ord == 0:
        return np.zeros_like(x)
    return sign_of(x) * np.abs(x) ** (ord - 1) / kept ** (ord - 1)


def matrix_norm_grad(m, ord):
    """The derivative of a matrix norm of ``m`` (norms over the last two axes).

    ``'nuc'``: ``U V^T``; ``2``/``-2``: the singular vectors of the largest/smallest
    singular value (ties share evenly); ``1``/``-1`` (column sums of ``|m|``) and
    ``inf``/``-inf`` (row sums): ``sign(m)`` on the winning columns/rows.
    """
    if ord == "nuc":
        usv = svd_p(m)
        return usv[0] @ usv[2]
    if ord in (2, -2):
        usv = svd_p(m)
        share = equal_share(usv[1], extreme_of(usv[1], ord), -1)
        return (usv[0] * np.expand_dims(share, -2)) @ usv[2]
    if ord in (1, -1):
        sums = np.sum(np.abs(m), axis=-2)
        return sign_of(m) * np.expand_dims(equal_share(sums, extreme_of(sums, ord), -1), -2)
    if ord in (np.inf, -np.inf):
        sums = np.sum(np.abs(m), axis=-1)
        return sign_of(m) * np.expand_dims(equal_share(sums, extreme_of(sums, ord), -1), -1)
    return no_matrix_norm_rule(ord)


def extreme_of(values, ord):
    """The largest of ``values`` along the last axis for a matrix norm ``ord`` of 2, 1 or inf, the smallest for
    -2, -1 or -inf (no gradient: it only picks the entries the norm's derivative goes to)."""
    return np.max(values, axis=-1) if ord in (2, 1, np.inf) else np.min(values, axis=-1)


def no_matrix_norm_rule(ord):
    """Raise for a matrix norm ``ord`` without a derivative rule (a function, so rule bodies hold no ``raise``).

    Raises:
        NotImplementedError: always.
    """
    raise NotImplementedError(f"np.linalg.norm(ord={ord!r}) of a matrix has no derivative rule")


def _vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    if axis is None:  # the array API flattens; keepdims keeps every axis as length 1
        out = np.linalg.norm(np.ravel(x), ord=ord)
        return np.reshape(out, (1,) * ndim_of(x)) if keepdims else out
    return np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)


def _matrix_norm(x, /, *, keepdims=False, ord="fro"):
    return np.linalg.norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


defalias(np.linalg.vector_norm, _vector_norm, static=False)
defalias(np.linalg.matrix_norm, _matrix_norm)

defvjp(np.linalg.norm,
       lambda g, ans, x, ord=None, axis=None, keepdims=False: unreduce(np.real(g), x, axis) * norm_grad(ans, x, ord, axis),
       backward_name="LinalgVectorNormBackward0", complex=True)
defjvp(np.linalg.norm,
       lambda t, ans, x, ord=None, axis=None, keepdims=False: np.real(np.sum(t * conj(norm_grad(ans, x, ord, axis)), axis=axis, keepdims=keepdims)))
