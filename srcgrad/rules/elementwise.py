"""Rules of numpy's elementwise ufuncs: the arithmetic operators and the math ufuncs.

Every VJP here returns a cotangent of the broadcast shape; the caller
unbroadcasts. ``g`` has the dtype of ``ans``: the rules only multiply it by
arrays of the inputs' dtype, by booleans and by Python numbers, so float32 stays
float32.

Conventions where the derivative is not unique:

* ``np.absolute`` and ``np.sign``-like kinks: the gradient at 0 is 0.
* ``np.maximum``/``np.minimum``: where ``x == y`` each argument gets half of
  ``g`` (as PyTorch's ``maximum`` does); where either is NaN neither gets any.
  ``max_share`` computes the weights. ``np.fmax``/``np.fmin`` give a tie to
  the first argument and ignore a NaN argument (as PyTorch's ``fmax`` does).
* ``np.power(x, y)``: ``d/dx`` uses ``x ** (y - 1 + (y == 0))`` so that ``y == 0``
  gives exactly 0 (never ``0 * inf``) and ``x == 0`` with integer ``y >= 1`` is
  finite. ``d/dy`` uses ``log(x + (x == 0))``: at ``x == 0`` it is 0 (the limit
  for ``y > 0``; PyTorch does the same) instead of ``0 * -inf = nan``. For
  ``x < 0`` it is NaN: the real power has no derivative in ``y`` there.
* ``np.clip``: inside the closed interval ``[lo, hi]`` the gradient goes to ``x``
  (a value equal to a bound still passes ``g``), outside it to the bound.
"""

import math

import numpy as np

from .helpers import broadcast_like, conj, is_complex
from .registry import defalias, defjvp, defnondiff, defvjp, primitive

__all__ = ["max_share", "abs_vjp", "abs_jvp", "signum", "sinc_slope"]


# ---------------------------------------------------------------- arithmetic
defvjp(np.add,
       lambda g, ans, x, y: g,
       lambda g, ans, x, y: g,
       backward_name="AddBackward0", complex=True)
defjvp(np.add,
       lambda t, ans, x, y: broadcast_like(t, ans),
       lambda t, ans, x, y: broadcast_like(t, ans))

defvjp(np.subtract,
       lambda g, ans, x, y: g,
       lambda g, ans, x, y: -g,
       backward_name="SubBackward0", complex=True)
defjvp(np.subtract,
       lambda t, ans, x, y: broadcast_like(t, ans),
       lambda t, ans, x, y: broadcast_like(-t, ans))

defvjp(np.multiply,
       lambda g, ans, x, y: g * conj(y),
       lambda g, ans, x, y: g * conj(x),
       backward_name="MulBackward0", complex=True)
defjvp(np.multiply,
       lambda t, ans, x, y: t * y,
       lambda t, ans, x, y: x * t)

defvjp(np.true_divide,  # np.divide is the same ufunc
       lambda g, ans, x, y: g / conj(y),
       lambda g, ans, x, y: -g * conj(ans) / conj(y),
       name="divide", backward_name="DivBackward0", complex=True)
defjvp(np.true_divide,
       lambda t, ans, x, y: t / y,
       lambda t, ans, x, y: -t * ans / y)

defvjp(np.negative,
       lambda g, ans, x: -g,
       backward_name="NegBackward0", complex=True)
defjvp(np.negative,
       lambda t, ans, x: -t)

defvjp(np.positive,
       lambda g, ans, x: g,
       backward_name="PositiveBackward0", complex=True)
defjvp(np.positive,
       lambda t, ans, x: t)

def abs_vjp(g, ans, x):
    """Cotangent of ``x`` in ``np.abs(x)``: ``g * sign(x)``, 0 at 0; ``Re(g) * z / |z|`` for complex ``z``."""
    if is_complex(x):
        return np.real(g) * signum(x, ans)
    return g * np.sign(x)


def abs_jvp(t, ans, x):
    """Tangent of ``np.abs(x)``: ``t * sign(x)``; ``Re(t * conj(z / |z|))`` for complex ``z``."""
    if is_complex(x):
        return np.real(t * np.conjugate(signum(x, ans)))
    return t * np.sign(x)


def signum(z, size):
    """``z / |z|`` (0 where ``z`` is 0) given ``size = |z|``: numpy's ``np.sign`` of a complex ``z``, written
    with primitives that have derivatives (``np.sign`` has none; for complex values it is not constant)."""
    return z / np.where(size == 0, 1.0, size)


defvjp(np.absolute, abs_vjp, name="abs", backward_name="AbsBackward0", complex=True)  # np.abs too; 0 at 0
defjvp(np.absolute, abs_jvp)

defvjp(np.fabs,  # |x| of real x only (numpy refuses complex): 0 at 0, as np.abs
       lambda g, ans, x: g * np.sign(x),
       backward_name="AbsBackward0")
defjvp(np.fabs,
       lambda t, ans, x: t * np.sign(x))

defvjp(np.power,
       lambda g, ans, x, y: g * conj(y) * conj(x ** (y - 1 + (y == 0))),
       lambda g, ans, x, y: g * conj(ans) * conj(np.log(x + (x == 0))),
       backward_name="PowBackward0", complex=True)
defjvp(np.power,
       lambda t, ans, x, y: t * y * x ** (y - 1 + (y == 0)),
       lambda t, ans, x, y: t * ans * np.log(x + (x == 0)))

defvjp(np.float_power,
       lambda g, ans, x, y: g * conj(y) * conj(np.float_power(x, y - 1 + (y == 0))),
       lambda g, ans, x, y: g * conj(ans) * conj(np.log(x + (x == 0))),
       backward_name="PowBackward0", complex=True)
defjvp(np.float_power,
       lambda t, ans, x, y: t * y * np.float_power(x, y - 1 + (y == 0)),
       lambda t, ans, x, y: t * ans * np.log(x + (x == 0)))

defvjp(np.square,
       lambda g, ans, x: g * 2 * conj(x),
       backward_name="PowBackward0", complex=True)
defjvp(np.square,
       lambda t, ans, x: t * 2 * x)

defvjp(np.reciprocal,
       lambda g, ans, x: -g * conj(ans) * conj(ans),
       backward_name="ReciprocalBackward0", complex=True)
defjvp(np.reciprocal,
       lambda t, ans, x: -t * ans * ans)

defvjp(np.sqrt,
       lambda g, ans, x: g * 0.5 / conj(ans),
       backward_name="SqrtBackward0", complex=True)
defjvp(np.sqrt,
       lambda t, ans, x: t * 0.5 / ans)

defvjp(np.cbrt,  # PyTorch spells it x ** (1 / 3)
       lambda g, ans, x: g / (3 * ans * ans),
       backward_name="PowBackward0")
defjvp(np.cbrt,
       lambda t, ans, x: t / (3 * ans * ans))

# ------------------------------------------------------- exponentials and logs
defvjp(np.exp,
       lambda g, ans, x: g * conj(ans),
       backward_name="ExpBackward0", complex=True)
defjvp(np.exp,
       lambda t, ans, x: t * ans)

defvjp(np.exp2,
       lambda g, ans, x: g * conj(ans) * math.log(2.0),
       backward_name="Exp2Backward0", complex=True)
defjvp(np.exp2,
       lambda t, ans, x: t * ans * math.log(2.0))

defvjp(np.expm1,
       lambda g, ans, x: g * conj(ans + 1),
       backward_name="Expm1Backward0", complex=True)
defjvp(np.expm1,
       lambda t, ans, x: t * (ans + 1))

defvjp(np.log,
       lambda g, ans, x: g / conj(x),
       backward_name="LogBackward0", complex=True)
defjvp(np.log,
       lambda t, ans, x: t / x)

defvjp(np.log1p,
       lambda g, ans, x: g / conj(1 + x),
       backward_name="Log1PBackward0", complex=True)
defjvp(np.log1p,
       lambda t, ans, x: t / (1 + x))

defvjp(np.log2,
       lambda g, ans, x: g / (conj(x) * math.log(2.0)),
       backward_name="Log2Backward0", complex=True)
defjvp(np.log2,
       lambda t, ans, x: t / (x * math.log(2.0)))

defvjp(np.log10,
       lambda g, ans, x: g / (conj(x) * math.log(10.0)),
       backward_name="Log10Backward0", complex=True)
defjvp(np.log10,
       lambda t, ans, x: t / (x * math.log(10.0)))

defvjp(np.logaddexp,
       lambda g, ans, x, y: g * np.exp(x - ans),
       lambda g, ans, x, y: g * np.exp(y - ans),
       backward_name="LogaddexpBackward0")
defjvp(np.logaddexp,
       lambda t, ans, x, y: t * np.exp(x - ans),
       lambda t, ans, x, y: t * np.exp(y - ans))

defvjp(np.logaddexp2,
       lambda g, ans, x, y: g * np.exp2(x - ans),
       lambda g, ans, x, y: g * np.exp2(y - ans),
       backward_name="Logaddexp2Backward0")
defjvp(np.logaddexp2,
       lambda t, ans, x, y: t * np.exp2(x - ans),
       lambda t, ans, x, y: t * np.exp2(y - ans))

# --------------------------------------------------------------- trigonometry
defvjp(np.sin,
       lambda g, ans, x: g * conj(np.cos(x)),
       backward_name="SinBackward0", complex=True)
defjvp(np.sin,
       lambda t, ans, x: t * np.cos(x))

defvjp(np.cos,
       lambda g, ans, x: -g * conj(np.sin(x)),
       backward_name="CosBackward0", complex=True)
defjvp(np.cos,
       lambda t, ans, x: -t * np.sin(x))

defvjp(np.tan,
       lambda g, ans, x: g * conj(1 + ans * ans),
       backward_name="TanBackward0", complex=True)
defjvp(np.tan,
       lambda t, ans, x: t * (1 + ans * ans))

defvjp(np.arcsin,
       lambda g, ans, x: g / conj(np.sqrt(1 - x * x)),
       backward_name="AsinBackward0", complex=True)
defjvp(np.arcsin,
       lambda t, ans, x: t / np.sqrt(1 - x * x))

defvjp(np.arccos,
       lambda g, ans, x: -g / conj(np.sqrt(1 - x * x)),
       backward_name="AcosBackward0", complex=True)
defjvp(np.arccos,
       lambda t, ans, x: -t / np.sqrt(1 - x * x))

defvjp(np.arctan,
       lambda g, ans, x: g / conj(1 + x * x),
       backward_name="AtanBackward0", complex=True)
defjvp(np.arctan,
       lambda t, ans, x: t / (1 + x * x))

defvjp(np.arctan2,  # ans = atan2(y, x): the first argument is y
       lambda g, ans, y, x: g * x / (x * x + y * y),
       lambda g, ans, y, x: -g * y / (x * x + y * y),
       backward_name="Atan2Backward0")
defjvp(np.arctan2,
       lambda t, ans, y, x: t * x / (x * x + y * y),
       lambda t, ans, y, x: -t * y / (x * x + y * y))

# hypot(0, 0) = 0 is a kink: the slope there is taken as 0, as abs's is (x = y = 0 there, so x / 1)
defvjp(np.hypot,
       lambda g, ans, x, y: g * x / (ans + (ans == 0)),
       lambda g, ans, x, y: g * y / (ans + (ans == 0)),
       backward_name="HypotBackward0")
defjvp(np.hypot,
       lambda t, ans, x, y: t * x / (ans + (ans == 0)),
       lambda t, ans, x, y: t * y / (ans + (ans == 0)))

defvjp(np.sinh,
       lambda g, ans, x: g * conj(np.cosh(x)),
       backward_name="SinhBackward0", complex=True)
defjvp(np.sinh,
       lambda t, ans, x: t * np.cosh(x))

defvjp(np.cosh,
       lambda g, ans, x: g * conj(np.sinh(x)),
       backward_name="CoshBackward0", complex=True)
defjvp(np.cosh,
       lambda t, ans, x: t * np.sinh(x))

defvjp(np.tanh,
       lambda g, ans, x: g * conj(1 - ans * ans),
       backward_name="TanhBackward0", complex=True)
defjvp(np.tanh,
       lambda t, ans, x: t * (1 - ans * ans))

defvjp(np.arcsinh,
       lambda g, ans, x: g / conj(np.sqrt(x * x + 1)),
       backward_name="AsinhBackward0", complex=True)
defjvp(np.arcsinh,
       lambda t, ans, x: t / np.sqrt(x * x + 1))

defvjp(np.arccosh,
       lambda g, ans, x: g / conj(np.sqrt(x - 1) * np.sqrt(x + 1)),
       backward_name="AcoshBackward0", complex=True)
defjvp(np.arccosh,
       lambda t, ans, x: t / (np.sqrt(x - 1) * np.sqrt(x + 1)))

defvjp(np.arctanh,
       lambda g, ans, x: g / conj(1 - x * x),
       backward_name="AtanhBackward0", complex=True)
defjvp(np.arctanh,
       lambda t, ans, x: t / (1 - x * x))

def sinc_slope(x, ans):
    """``d sinc(x) / dx = (cos(pi x) - sinc(x)) / x`` given ``ans = sinc(x)``; 0 at ``x == 0`` (sinc is even)."""
    nonzero = x != 0
    safe = np.where(nonzero, x, 1.0)
    return np.where(nonzero, (np.cos(math.pi * safe) - ans) / safe, 0.0)


defvjp(np.sinc,  # the normalized sinc, sin(pi x) / (pi x)
       lambda g, ans, x: g * conj(sinc_slope(x, ans)),
       backward_name="SincBackward0", complex=True)
defjvp(np.sinc,
       lambda t, ans, x: t * sinc_slope(x, ans))

# ------------------------------------------------ selections (piecewise linear)
@primitive
def max_share(x, y):
    """The share of ``np.maximum(x, y)``'s gradient that goes to ``x``.

    1 where ``x > y``, 0.5 where ``x == y`` (a tie splits the gradient evenly
    between the arguments, as PyTorch's ``maximum`` does), 0 elsewhere (``x < y``
    or either is NaN); ``max_share(y, x)`` is ``y``'s share, and ``x``'s share
    of ``np.minimum(x, y)``. Of the broadcast shape: the boolean ``x > y`` where
    there is no tie (a product with it keeps ``g``'s dtype), else 0, 0.5 and 1 in
    the floating dtype of the result. A helper for speed: two comparisons, and
    halves written only where there are ties, instead of the five array passes
    of ``g * (x > y) + g * (x == y) * 0.5``. Piecewise constant: no gradient.
    """
    if type(x) in _NUMBERS and type(y) in _NUMBERS:  # plain Python numbers (scalar code)
        return 1.0 if x > y else 0.5 if x == y else 0.0
    share = np.greater(x, y)
    tie = np.equal(x, y)
    if tie.any():
        dtype = np.result_type(x, y)
        share = np.asarray(share, dtype=dtype if dtype.kind == "f" else np.float64)
        share[tie] = 0.5
        return share if share.ndim else share[()]
    return share


_NUMBERS = (float, int)
defnondiff(max_share)

# Ties (x == y) split g evenly between the two arguments, as PyTorch's maximum.
defvjp(np.maximum,
       lambda g, ans, x, y: g * max_share(x, y),
       lambda g, ans, x, y: g * max_share(y, x),
       backward_name="MaximumBackward0")
defjvp(np.maximum,
       lambda t, ans, x, y: t * max_share(x, y),
       lambda t, ans, x, y: t * max_share(y, x))

defvjp(np.minimum,
       lambda g, ans, x, y: g * max_share(y, x),
       lambda g, ans, x, y: g * max_share(x, y),
       backward_name="MinimumBackward0")
defjvp(np.minimum,
       lambda t, ans, x, y: t * max_share(y, x),
       lambda t, ans, x, y: t * max_share(x, y))

# fmax/fmin ignore a NaN argument, and give a tie to the first argument (as PyTorch's).
defvjp(np.fmax,
       lambda g, ans, x, y: g * ((x >= y) | np.isnan(y)),
       lambda g, ans, x, y: g * np.logical_not((x >= y) | np.isnan(y)),
       backward_name="FmaxBackward0")
defjvp(np.fmax,
       lambda t, ans, x, y: t * ((x >= y) | np.isnan(y)),
       lambda t, ans, x, y: t * np.logical_not((x >= y) | np.isnan(y)))

defvjp(np.fmin,
       lambda g, ans, x, y: g * ((x <= y) | np.isnan(y)),
       lambda g, ans, x, y: g * np.logical_not((x <= y) | np.isnan(y)),
       backward_name="FminBackward0")
defjvp(np.fmin,
       lambda t, ans, x, y: t * ((x <= y) | np.isnan(y)),
       lambda t, ans, x, y: t * np.logical_not((x <= y) | np.isnan(y)))

defvjp(np.where,  # only the three-argument form; the condition gets no gradient
       None,
       lambda g, ans, c, x, y: np.where(c, g, 0.0),
       lambda g, ans, c, x, y: np.where(c, 0.0, g),
       backward_name="WhereBackward0", complex=True)
defjvp(np.where,
       None,
       lambda t, ans, c, x, y: broadcast_like(np.where(c, t, 0.0), ans),
       lambda t, ans, c, x, y: broadcast_like(np.where(c, 0.0, t), ans))

def _select(condlist, choicelist, default=0):
    """``np.select`` as nested ``np.where``: the first condition that holds picks its choice (one choice per
    condition, as numpy requires)."""
    result = default
    for k in range(len(condlist) - 1, -1, -1):
        result = np.where(condlist[k], choicelist[k], result)
    return result


defalias(np.select, _select)

# clip(x, lo, hi): x passes g where it was kept (lo <= x <= hi), a bound where it won.
# Bounds given as keywords (min=, max=) are constants: they get no gradient.
defvjp(np.clip,
       lambda g, ans, x, lo=None, hi=None, **kw: g * (ans == x),
       lambda g, ans, x, lo, hi=None, **kw: g * (x < lo),
       lambda g, ans, x, lo, hi, **kw: g * (x > hi),
       backward_name="ClampBackward1")
defjvp(np.clip,
       lambda t, ans, x, lo=None, hi=None, **kw: t * (ans == x),
       lambda t, ans, x, lo, hi=None, **kw: t * (x < lo),
       lambda t, ans, x, lo, hi, **kw: t * (x > hi))

defvjp(np.remainder,  # x - floor(x / y) * y; np.mod is the same ufunc
       lambda g, ans, x, y: g,
       lambda g, ans, x, y: -g * np.floor_divide(x, y),
       backward_name="RemainderBackward0")
defjvp(np.remainder,
       lambda t, ans, x, y: broadcast_like(t, ans),
       lambda t, ans, x, y: -t * np.floor_divide(x, y))

defvjp(np.fmod,
       lambda g, ans, x, y: g,
       lambda g, ans, x, y: -g * np.trunc(x / y),
       backward_name="FmodBackward0")
defjvp(np.fmod,
       lambda t, ans, x, y: broadcast_like(t, ans),
       lambda t, ans, x, y: -t * np.trunc(x / y))

defvjp(np.copysign,  # |x| with y's sign: the sign is piecewise constant in y
       lambda g, ans, x, y: g * np.sign(x) * np.copysign(1.0, y),
       None,
       backward_name="CopysignBackward0")
defjvp(np.copysign,
       lambda t, ans, x, y: t * np.sign(x) * np.copysign(1.0, y),
       None)

# heaviside(x, h): 0 below 0, h at 0, 1 above; flat in x (its jump has no derivative), h only where x == 0.
defvjp(np.heaviside,
       None,
       lambda g, ans, x, h: g * (x == 0),
       backward_name="HeavisideBackward0")
defjvp(np.heaviside,
       None,
       lambda t, ans, x, h: broadcast_like(t * (x == 0), ans))

defvjp(np.deg2rad,
       lambda g, ans, x: g * (math.pi / 180),
       backward_name="Deg2RadBackward0")
defjvp(np.deg2rad,
       lambda t, ans, x: t * (math.pi / 180))

defvjp(np.rad2deg,
       lambda g, ans, x: g * (180 / math.pi),
       backward_name="Rad2DegBackward0")
defjvp(np.rad2deg,
       lambda t, ans, x: t * (180 / math.pi))

defvjp(np.radians,  # the same function as np.deg2rad, another ufunc object
       lambda g, ans, x: g * (math.pi / 180),
       backward_name="Deg2RadBackward0")
defjvp(np.radians,
       lambda t, ans, x: t * (math.pi / 180))

defvjp(np.degrees,
       lambda g, ans, x: g * (180 / math.pi),
       backward_name="Rad2DegBackward0")
defjvp(np.degrees,
       lambda t, ans, x: t * (180 / math.pi))

# ------------------------------------------------------ zero derivative almost everywhere
defnondiff(
    np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal,
    np.floor, np.ceil, np.round, np.around, np.rint, np.sign, np.trunc, np.fix,
    np.floor_divide, np.signbit,
    np.isnan, np.isinf, np.isfinite, np.isclose, np.allclose, np.array_equal,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
    np.bitwise_and, np.bitwise_or, np.bitwise_xor, np.invert,
    np.argmax, np.argmin, np.argsort, np.argpartition, np.argwhere, np.nonzero, np.flatnonzero,
    np.count_nonzero, np.searchsorted, np.all, np.any,
    np.zeros_like, np.ones_like, np.empty_like,
    np.shape, np.ndim, np.size, np.result_type,
)
