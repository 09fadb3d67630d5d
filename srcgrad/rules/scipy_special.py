"""Rules for ``scipy.special``: gamma and its relatives, error functions, Bessel
functions, the logistic pair, ``logsumexp``, ``multigammaln``, beta functions.

Importing this module imports ``scipy.special`` (``pip install srcgrad[scipy]``)
and registers the rules; ``srcgrad.rules.scipy_rules`` says when that happens.
Most of these functions are numpy ufuncs, which Tensors dispatch already; the
three that are Python functions (``logsumexp``, ``polygamma``,
``multigammaln``) are replaced in ``scipy.special`` by a ``@primitive``
wrapper that behaves the same on arrays and dispatches on Tensors.

Derivatives with respect to an order or a shape parameter (``jv``'s ``v``,
``gammainc``'s ``a``, ``betainc``'s ``a`` and ``b``) are not implemented: asking
for one raises ``NotImplementedError`` rather than returning a silent zero.
Rules assume real inputs, except ``erf`` and ``erfc`` (holomorphic: verified for complex values).
"""

import numpy as np
import scipy.special as special

from .helpers import conj, unreduce
from .registry import defjvp, defvjp
from .scipy_patch import not_implemented, patch

__all__ = []

SQRT_PI = float(np.sqrt(np.pi))

gamma, gammaln, digamma, rgamma = special.gamma, special.gammaln, special.digamma, special.rgamma
erf, erfc, erfinv, erfcinv = special.erf, special.erfc, special.erfinv, special.erfcinv
expit, logit = special.expit, special.logit
i0, i1, i0e, i1e, iv, ive = special.i0, special.i1, special.i0e, special.i1e, special.iv, special.ive
j0, j1, y0, y1, jv, yn, yv = special.j0, special.j1, special.y0, special.y1, special.jv, special.yn, special.yv
beta, betaln, betainc = special.beta, special.betaln, special.betainc
gammainc, gammaincc = special.gammainc, special.gammaincc
polygamma = patch(special, "polygamma")
logsumexp = patch(special, "logsumexp")
multigammaln = patch(special, "multigammaln")

# ------------------------------------------------------------------ gamma family
defvjp(gamma, lambda g, ans, x: g * ans * digamma(x))
defjvp(gamma, lambda t, ans, x: t * ans * digamma(x))
defvjp(gammaln, lambda g, ans, x: g * digamma(x))
defjvp(gammaln, lambda t, ans, x: t * digamma(x))
defvjp(digamma, lambda g, ans, x: g * polygamma(1, x), name="digamma")
defjvp(digamma, lambda t, ans, x: t * polygamma(1, x))
defvjp(polygamma, None, lambda g, ans, n, x: g * polygamma(n + 1, x))
defjvp(polygamma, None, lambda t, ans, n, x: t * polygamma(n + 1, x))
defvjp(rgamma, lambda g, ans, x: -g * ans * digamma(x))
defjvp(rgamma, lambda t, ans, x: -t * ans * digamma(x))
gammasgn = special.gammasgn  # piecewise constant: a zero derivative (a rule, not defnondiff, so that
defvjp(gammasgn, lambda g, ans, x: 0.0 * g)  # docs/rules.md's numpy table stays numpy's)
defjvp(gammasgn, lambda t, ans, x: 0.0 * t)
defvjp(multigammaln,
       lambda g, ans, a, d: g * np.sum(digamma(np.expand_dims(a, -1) - np.arange(d) / 2.0), axis=-1),
       None)
defjvp(multigammaln,
       lambda t, ans, a, d: t * np.sum(digamma(np.expand_dims(a, -1) - np.arange(d) / 2.0), axis=-1),
       None)

# ------------------------------------------------------------------ beta family
defvjp(beta,
       lambda g, ans, a, b: g * ans * (digamma(a) - digamma(a + b)),
       lambda g, ans, a, b: g * ans * (digamma(b) - digamma(a + b)))
defjvp(beta,
       lambda t, ans, a, b: t * ans * (digamma(a) - digamma(a + b)),
       lambda t, ans, a, b: t * ans * (digamma(b) - digamma(a + b)))
defvjp(betaln,
       lambda g, ans, a, b: g * (digamma(a) - digamma(a + b)),
       lambda g, ans, a, b: g * (digamma(b) - digamma(a + b)))
defjvp(betaln,
       lambda t, ans, a, b: t * (digamma(a) - digamma(a + b)),
       lambda t, ans, a, b: t * (digamma(b) - digamma(a + b)))
defvjp(betainc,
       lambda g, ans, a, b, x: not_implemented("the gradient of scipy.special.betainc with respect to a"),
       lambda g, ans, a, b, x: not_implemented("the gradient of scipy.special.betainc with respect to b"),
       lambda g, ans, a, b, x: g * np.power(x, a - 1) * np.power(1 - x, b - 1) / beta(a, b))
defjvp(betainc,
       lambda t, ans, a, b, x: not_implemented("the derivative of scipy.special.betainc with respect to a"),
       lambda t, ans, a, b, x: not_implemented("the derivative of scipy.special.betainc with respect to b"),
       lambda t, ans, a, b, x: t * np.power(x, a - 1) * np.power(1 - x, b - 1) / beta(a, b))
defvjp(gammainc,
       lambda g, ans, a, x: not_implemented("the gradient of scipy.special.gammainc with respect to a"),
       lambda g, ans, a, x: g * np.exp(-x + (a - 1) * np.log(x) - gammaln(a)))
defjvp(gammainc,
       lambda t, ans, a, x: not_implemented("the derivative of scipy.special.gammainc with respect to a"),
       lambda t, ans, a, x: t * np.exp(-x + (a - 1) * np.log(x) - gammaln(a)))
defvjp(gammaincc,
       lambda g, ans, a, x: not_implemented("the gradient of scipy.special.gammaincc with respect to a"),
       lambda g, ans, a, x: -g * np.exp(-x + (a - 1) * np.log(x) - gammaln(a)))
defjvp(gammaincc,
       lambda t, ans, a, x: not_implemented("the derivative of scipy.special.gammaincc with respect to a"),
       lambda t, ans, a, x: -t * np.exp(-x + (a - 1) * np.log(x) - gammaln(a)))

# ------------------------------------------------------------------ error functions, logistic
# erf and erfc are holomorphic: the VJP multiplies by the conjugate of the derivative (PyTorch's convention)
defvjp(erf, lambda g, ans, x: g * (2.0 / SQRT_PI) * conj(np.exp(-x * x)), complex=True)
defjvp(erf, lambda t, ans, x: t * (2.0 / SQRT_PI) * np.exp(-x * x))
defvjp(erfc, lambda g, ans, x: g * (-2.0 / SQRT_PI) * conj(np.exp(-x * x)), complex=True)
defjvp(erfc, lambda t, ans, x: t * (-2.0 / SQRT_PI) * np.exp(-x * x))
defvjp(erfinv, lambda g, ans, x: g * (SQRT_PI / 2.0) * np.exp(ans * ans))
defjvp(erfinv, lambda t, ans, x: t * (SQRT_PI / 2.0) * np.exp(ans * ans))
defvjp(erfcinv, lambda g, ans, x: g * (-SQRT_PI / 2.0) * np.exp(ans * ans))
defjvp(erfcinv, lambda t, ans, x: t * (-SQRT_PI / 2.0) * np.exp(ans * ans))
defvjp(expit, lambda g, ans, x: g * ans * (1 - ans))
defjvp(expit, lambda t, ans, x: t * ans * (1 - ans))
defvjp(logit, lambda g, ans, x: g / (x * (1 - x)))
defjvp(logit, lambda t, ans, x: t / (x * (1 - x)))

# ------------------------------------------------------------------ Bessel functions
defvjp(j0, lambda g, ans, x: -g * j1(x))
defjvp(j0, lambda t, ans, x: -t * j1(x))
defvjp(j1, lambda g, ans, x: g * 0.5 * (j0(x) - jv(2, x)))
defjvp(j1, lambda t, ans, x: t * 0.5 * (j0(x) - jv(2, x)))
defvjp(y0, lambda g, ans, x: -g * y1(x))
defjvp(y0, lambda t, ans, x: -t * y1(x))
defvjp(y1, lambda g, ans, x: g * 0.5 * (y0(x) - yn(2, x)))
defjvp(y1, lambda t, ans, x: t * 0.5 * (y0(x) - yn(2, x)))
defvjp(i0, lambda g, ans, x: g * i1(x))
defjvp(i0, lambda t, ans, x: t * i1(x))
defvjp(i1, lambda g, ans, x: g * 0.5 * (i0(x) + iv(2, x)))
defjvp(i1, lambda t, ans, x: t * 0.5 * (i0(x) + iv(2, x)))
defvjp(i0e, lambda g, ans, x: g * (i1e(x) - np.sign(x) * ans))
defjvp(i0e, lambda t, ans, x: t * (i1e(x) - np.sign(x) * ans))
defvjp(i1e, lambda g, ans, x: g * (0.5 * (i0e(x) + ive(2, x)) - np.sign(x) * ans))
defjvp(i1e, lambda t, ans, x: t * (0.5 * (i0e(x) + ive(2, x)) - np.sign(x) * ans))
defvjp(jv,
       lambda g, ans, v, x: not_implemented("the gradient of scipy.special.jv with respect to its order"),
       lambda g, ans, v, x: g * 0.5 * (jv(v - 1, x) - jv(v + 1, x)))
defjvp(jv,
       lambda t, ans, v, x: not_implemented("the derivative of scipy.special.jv with respect to its order"),
       lambda t, ans, v, x: t * 0.5 * (jv(v - 1, x) - jv(v + 1, x)))
defvjp(yv,
       lambda g, ans, v, x: not_implemented("the gradient of scipy.special.yv with respect to its order"),
       lambda g, ans, v, x: g * 0.5 * (yv(v - 1, x) - yv(v + 1, x)))
defjvp(yv,
       lambda t, ans, v, x: not_implemented("the derivative of scipy.special.yv with respect to its order"),
       lambda t, ans, v, x: t * 0.5 * (yv(v - 1, x) - yv(v + 1, x)))
defvjp(yn, None, lambda g, ans, n, x: g * 0.5 * (yn(n - 1, x) - yn(n + 1, x)))
defjvp(yn, None, lambda t, ans, n, x: t * 0.5 * (yn(n - 1, x) - yn(n + 1, x)))
defvjp(iv,
       lambda g, ans, v, x: not_implemented("the gradient of scipy.special.iv with respect to its order"),
       lambda g, ans, v, x: g * 0.5 * (iv(v - 1, x) + iv(v + 1, x)))
defjvp(iv,
       lambda t, ans, v, x: not_implemented("the derivative of scipy.special.iv with respect to its order"),
       lambda t, ans, v, x: t * 0.5 * (iv(v - 1, x) + iv(v + 1, x)))
defvjp(ive,
       lambda g, ans, v, x: not_implemented("the gradient of scipy.special.ive with respect to its order"),
       lambda g, ans, v, x: g * (0.5 * (ive(v - 1, x) + ive(v + 1, x)) - np.sign(x) * ans))
defjvp(ive,
       lambda t, ans, v, x: not_implemented("the derivative of scipy.special.ive with respect to its order"),
       lambda t, ans, v, x: t * (0.5 * (ive(v - 1, x) + ive(v + 1, x)) - np.sign(x) * ans))


# ------------------------------------------------------------------ logsumexp
def logsumexp_weights(ans, a, axis, b, keepdims):
    """``b * exp(a - logsumexp)``, shaped like ``a``: the derivative of the result in each entry."""
    full = ans if keepdims else unreduce(ans, a, axis)
    return np.exp(a - full) if b is None else b * np.exp(a - full)


def logsumexp_vjp_a(g, ans, a, axis=None, b=None, keepdims=False, return_sign=False):
    if return_sign:
        not_implemented("the gradient of scipy.special.logsumexp(return_sign=True)")
    g_full = g if keepdims else unreduce(g, a, axis)
    return g_full * logsumexp_weights(ans, a, axis, b, keepdims)


def logsumexp_vjp_b(g, ans, a, axis=None, b=None, keepdims=False, return_sign=False):
    if return_sign:
        not_implemented("the gradient of scipy.special.logsumexp(return_sign=True)")
    g_full = g if keepdims else unreduce(g, a, axis)
    full = ans if keepdims else unreduce(ans, a, axis)
    return g_full * np.exp(a - full)


def logsumexp_jvp_a(t, ans, a, axis=None, b=None, keepdims=False, return_sign=False):
    if return_sign:
        not_implemented("the derivative of scipy.special.logsumexp(return_sign=True)")
    return np.sum(t * logsumexp_weights(ans, a, axis, b, keepdims), axis=axis, keepdims=keepdims)


def logsumexp_jvp_b(t, ans, a, axis=None, b=None, keepdims=False, return_sign=False):
    if return_sign:
        not_implemented("the derivative of scipy.special.logsumexp(return_sign=True)")
    full = ans if keepdims else unreduce(ans, a, axis)
    return np.sum(t * np.exp(a - full), axis=axis, keepdims=keepdims)


defvjp(logsumexp, logsumexp_vjp_a, None, logsumexp_vjp_b)
defjvp(logsumexp, logsumexp_jvp_a, None, logsumexp_jvp_b)
