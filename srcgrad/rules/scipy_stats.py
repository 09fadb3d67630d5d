"""Rules for ``scipy.stats``: the densities, distribution functions and their logs
of ``norm``, ``t``, ``gamma``, ``beta``, ``chi2``, ``poisson``,
``multivariate_normal`` and ``dirichlet``.

Importing this module imports ``scipy.stats`` and replaces each of those
methods on scipy's distribution object (``scipy.stats.norm.pdf``, ...) by a
``@primitive`` wrapper (see ``scipy_patch.py``). Arguments are positional or
keyword as scipy takes them (``norm.pdf(x, loc=0, scale=1)``); the rules
differentiate positional arguments. A distribution function's derivative
with respect to a shape parameter (``gamma.cdf``'s ``a``, ``t.cdf``'s ``df``,
``beta.cdf``'s ``a`` and ``b``, ``chi2.cdf``'s ``df``) and ``poisson``'s with
respect to ``k`` are not implemented: asking for one raises
``NotImplementedError``. ``dirichlet`` takes one point ``x`` of shape ``(k,)``.
"""

import numpy as np
import scipy.stats as stats

from .registry import defjvp, defvjp
from .scipy_patch import not_implemented, patch
from .scipy_special import digamma

__all__ = []

LOG_SQRT_2PI = float(0.5 * np.log(2 * np.pi))

norm_pdf, norm_logpdf = patch(stats.norm, "pdf"), patch(stats.norm, "logpdf")
norm_cdf, norm_logcdf = patch(stats.norm, "cdf"), patch(stats.norm, "logcdf")
norm_sf, norm_logsf = patch(stats.norm, "sf"), patch(stats.norm, "logsf")
t_pdf, t_logpdf, t_cdf, t_logcdf = (patch(stats.t, n) for n in ("pdf", "logpdf", "cdf", "logcdf"))
gamma_pdf, gamma_logpdf, gamma_cdf = (patch(stats.gamma, n) for n in ("pdf", "logpdf", "cdf"))
beta_pdf, beta_logpdf, beta_cdf = (patch(stats.beta, n) for n in ("pdf", "logpdf", "cdf"))
chi2_pdf, chi2_logpdf, chi2_cdf = (patch(stats.chi2, n) for n in ("pdf", "logpdf", "cdf"))
poisson_pmf, poisson_logpmf, poisson_cdf = (patch(stats.poisson, n) for n in ("pmf", "logpmf", "cdf"))
mvn = stats.multivariate_normal
mvn_pdf, mvn_logpdf, mvn_entropy = (patch(mvn, n) for n in ("pdf", "logpdf", "entropy"))
dirichlet_pdf, dirichlet_logpdf = patch(stats.dirichlet, "pdf"), patch(stats.dirichlet, "logpdf")


# ------------------------------------------------------------------ norm
def std_normal_logpdf(z):
    """``log(exp(-z**2 / 2) / sqrt(2 pi))``."""
    return -0.5 * z * z - LOG_SQRT_2PI


def norm_dz(x, loc, scale):
    """The standardized value ``(x - loc) / scale``."""
    return (x - loc) / scale


defvjp(norm_logpdf,
       lambda g, ans, x, loc=0.0, scale=1.0: -g * norm_dz(x, loc, scale) / scale,
       lambda g, ans, x, loc=0.0, scale=1.0: g * norm_dz(x, loc, scale) / scale,
       lambda g, ans, x, loc=0.0, scale=1.0: g * (norm_dz(x, loc, scale) ** 2 - 1) / scale, name="norm_logpdf")
defjvp(norm_logpdf,
       lambda t, ans, x, loc=0.0, scale=1.0: -t * norm_dz(x, loc, scale) / scale,
       lambda t, ans, x, loc=0.0, scale=1.0: t * norm_dz(x, loc, scale) / scale,
       lambda t, ans, x, loc=0.0, scale=1.0: t * (norm_dz(x, loc, scale) ** 2 - 1) / scale)
defvjp(norm_pdf,
       lambda g, ans, x, loc=0.0, scale=1.0: -g * ans * norm_dz(x, loc, scale) / scale,
       lambda g, ans, x, loc=0.0, scale=1.0: g * ans * norm_dz(x, loc, scale) / scale,
       lambda g, ans, x, loc=0.0, scale=1.0: g * ans * (norm_dz(x, loc, scale) ** 2 - 1) / scale, name="norm_pdf")
defjvp(norm_pdf,
       lambda t, ans, x, loc=0.0, scale=1.0: -t * ans * norm_dz(x, loc, scale) / scale,
       lambda t, ans, x, loc=0.0, scale=1.0: t * ans * norm_dz(x, loc, scale) / scale,
       lambda t, ans, x, loc=0.0, scale=1.0: t * ans * (norm_dz(x, loc, scale) ** 2 - 1) / scale)


def norm_cdf_dx(x, loc, scale):
    """``d norm.cdf / dx``: the density."""
    return np.exp(std_normal_logpdf(norm_dz(x, loc, scale))) / scale


def norm_logcdf_dx(ans, x, loc, scale):
    """``d norm.logcdf / dx = density / cdf``, as one exponential (no 0/0 far in the tail)."""
    return np.exp(std_normal_logpdf(norm_dz(x, loc, scale)) - ans) / scale


defvjp(norm_cdf,
       lambda g, ans, x, loc=0.0, scale=1.0: g * norm_cdf_dx(x, loc, scale),
       lambda g, ans, x, loc=0.0, scale=1.0: -g * norm_cdf_dx(x, loc, scale),
       lambda g, ans, x, loc=0.0, scale=1.0: -g * norm_cdf_dx(x, loc, scale) * norm_dz(x, loc, scale), name="norm_cdf")
defjvp(norm_cdf,
       lambda t, ans, x, loc=0.0, scale=1.0: t * norm_cdf_dx(x, loc, scale),
       lambda t, ans, x, loc=0.0, scale=1.0: -t * norm_cdf_dx(x, loc, scale),
       lambda t, ans, x, loc=0.0, scale=1.0: -t * norm_cdf_dx(x, loc, scale) * norm_dz(x, loc, scale))
defvjp(norm_sf,
       lambda g, ans, x, loc=0.0, scale=1.0: -g * norm_cdf_dx(x, loc, scale),
       lambda g, ans, x, loc=0.0, scale=1.0: g * norm_cdf_dx(x, loc, scale),
       lambda g, ans, x, loc=0.0, scale=1.0: g * norm_cdf_dx(x, loc, scale) * norm_dz(x, loc, scale), name="norm_sf")
defjvp(norm_sf,
       lambda t, ans, x, loc=0.0, scale=1.0: -t * norm_cdf_dx(x, loc, scale),
       lambda t, ans, x, loc=0.0, scale=1.0: t * norm_cdf_dx(x, loc, scale),
       lambda t, ans, x, loc=0.0, scale=1.0: t * norm_cdf_dx(x, loc, scale) * norm_dz(x, loc, scale))
defvjp(norm_logcdf,
       lambda g, ans, x, loc=0.0, scale=1.0: g * norm_logcdf_dx(ans, x, loc, scale),
       lambda g, ans, x, loc=0.0, scale=1.0: -g * norm_logcdf_dx(ans, x, loc, scale),
       lambda g, ans, x, loc=0.0, scale=1.0: -g * norm_logcdf_dx(ans, x, loc, scale) * norm_dz(x, loc, scale),
       name="norm_logcdf")
defjvp(norm_logcdf,
       lambda t, ans, x, loc=0.0, scale=1.0: t * norm_logcdf_dx(ans, x, loc, scale),
       lambda t, ans, x, loc=0.0, scale=1.0: -t * norm_logcdf_dx(ans, x, loc, scale),
       lambda t, ans, x, loc=0.0, scale=1.0: -t * norm_logcdf_dx(ans, x, loc, scale) * norm_dz(x, loc, scale))
defvjp(norm_logsf,
       lambda g, ans, x, loc=0.0, scale=1.0: -g * norm_logcdf_dx(ans, x, loc, scale),
       lambda g, ans, x, loc=0.0, scale=1.0: g * norm_logcdf_dx(ans, x, loc, scale),
       lambda g, ans, x, loc=0.0, scale=1.0: g * norm_logcdf_dx(ans, x, loc, scale) * norm_dz(x, loc, scale),
       name="norm_logsf")
defjvp(norm_logsf,
       lambda t, ans, x, loc=0.0, scale=1.0: -t * norm_logcdf_dx(ans, x, loc, scale),
       lambda t, ans, x, loc=0.0, scale=1.0: t * norm_logcdf_dx(ans, x, loc, scale),
       lambda t, ans, x, loc=0.0, scale=1.0: t * norm_logcdf_dx(ans, x, loc, scale) * norm_dz(x, loc, scale))


# ------------------------------------------------------------------ t
def t_logpdf_dx(x, df, loc, scale):
    z = (x - loc) / scale
    return -(df + 1) * z / ((df + z * z) * scale)


def t_logpdf_ddf(x, df, loc, scale):
    z = (x - loc) / scale
    w = df + z * z
    return (0.5 * (digamma((df + 1) / 2) - digamma(df / 2)) - 0.5 / df - 0.5 * np.log(w / df)
            + 0.5 * (df + 1) * z * z / (df * w))


def t_logpdf_dscale(x, df, loc, scale):
    z = (x - loc) / scale
    return ((df + 1) * z * z / (df + z * z) - 1) / scale


defvjp(t_logpdf,
       lambda g, ans, x, df, loc=0.0, scale=1.0: g * t_logpdf_dx(x, df, loc, scale),
       lambda g, ans, x, df, loc=0.0, scale=1.0: g * t_logpdf_ddf(x, df, loc, scale),
       lambda g, ans, x, df, loc=0.0, scale=1.0: -g * t_logpdf_dx(x, df, loc, scale),
       lambda g, ans, x, df, loc=0.0, scale=1.0: g * t_logpdf_dscale(x, df, loc, scale), name="t_logpdf")
defjvp(t_logpdf,
       lambda t, ans, x, df, loc=0.0, scale=1.0: t * t_logpdf_dx(x, df, loc, scale),
       lambda t, ans, x, df, loc=0.0, scale=1.0: t * t_logpdf_ddf(x, df, loc, scale),
       lambda t, ans, x, df, loc=0.0, scale=1.0: -t * t_logpdf_dx(x, df, loc, scale),
       lambda t, ans, x, df, loc=0.0, scale=1.0: t * t_logpdf_dscale(x, df, loc, scale))
defvjp(t_pdf,
       lambda g, ans, x, df, loc=0.0, scale=1.0: g * ans * t_logpdf_dx(x, df, loc, scale),
       lambda g, ans, x, df, loc=0.0, scale=1.0: g * ans * t_logpdf_ddf(x, df, loc, scale),
       lambda g, ans, x, df, loc=0.0, scale=1.0: -g * ans * t_logpdf_dx(x, df, loc, scale),
       lambda g, ans, x, df, loc=0.0, scale=1.0: g * ans * t_logpdf_dscale(x, df, loc, scale), name="t_pdf")
defjvp(t_pdf,
       lambda t, ans, x, df, loc=0.0, scale=1.0: t * ans * t_logpdf_dx(x, df, loc, scale),
       lambda t, ans, x, df, loc=0.0, scale=1.0: t * ans * t_logpdf_ddf(x, df, loc, scale),
       lambda t, ans, x, df, loc=0.0, scale=1.0: -t * ans * t_logpdf_dx(x, df, loc, scale),
       lambda t, ans, x, df, loc=0.0, scale=1.0: t * ans * t_logpdf_dscale(x, df, loc, scale))


def t_logcdf_dx(ans, x, df, loc, scale):
    """``d log(cdf) / dx = pdf / cdf`` from the log density and ``ans = log(cdf)`` (its parameters
    spelled out, not ``*args``: the compiler reads this body again at second order)."""
    return np.exp(t_logpdf(x, df, loc, scale) - ans)


defvjp(t_cdf,
       lambda g, ans, x, df, loc=0.0, scale=1.0: g * np.exp(t_logpdf(x, df, loc, scale)),
       lambda g, ans, x, df, loc=0.0, scale=1.0: not_implemented("the gradient of scipy.stats.t.cdf with respect to df"),
       lambda g, ans, x, df, loc=0.0, scale=1.0: -g * np.exp(t_logpdf(x, df, loc, scale)),
       lambda g, ans, x, df, loc=0.0, scale=1.0: -g * np.exp(t_logpdf(x, df, loc, scale)) * (x - loc) / scale, name="t_cdf")
defjvp(t_cdf,
       lambda t, ans, x, df, loc=0.0, scale=1.0: t * np.exp(t_logpdf(x, df, loc, scale)),
       lambda t, ans, x, df, loc=0.0, scale=1.0: not_implemented("the derivative of scipy.stats.t.cdf with respect to df"),
       lambda t, ans, x, df, loc=0.0, scale=1.0: -t * np.exp(t_logpdf(x, df, loc, scale)),
       lambda t, ans, x, df, loc=0.0, scale=1.0: -t * np.exp(t_logpdf(x, df, loc, scale)) * (x - loc) / scale)
defvjp(t_logcdf,
       lambda g, ans, x, df, loc=0.0, scale=1.0: g * t_logcdf_dx(ans, x, df, loc, scale),
       lambda g, ans, x, df, loc=0.0, scale=1.0: not_implemented("the gradient of scipy.stats.t.logcdf with respect to df"),
       lambda g, ans, x, df, loc=0.0, scale=1.0: -g * t_logcdf_dx(ans, x, df, loc, scale),
       lambda g, ans, x, df, loc=0.0, scale=1.0: -g * t_logcdf_dx(ans, x, df, loc, scale) * (x - loc) / scale,
       name="t_logcdf")
defjvp(t_logcdf,
       lambda t, ans, x, df, loc=0.0, scale=1.0: t * t_logcdf_dx(ans, x, df, loc, scale),
       lambda t, ans, x, df, loc=0.0, scale=1.0: not_implemented("the derivative of scipy.stats.t.logcdf with respect to df"),
       lambda t, ans, x, df, loc=0.0, scale=1.0: -t * t_logcdf_dx(ans, x, df, loc, scale),
       lambda t, ans, x, df, loc=0.0, scale=1.0: -t * t_logcdf_dx(ans, x, df, loc, scale) * (x - loc) / scale)


# ------------------------------------------------------------------ gamma, chi2, beta
def gamma_logpdf_dx(x, a, loc, scale):
    return ((a - 1) * scale / (x - loc) - 1) / scale


def gamma_logpdf_da(x, a, loc, scale):
    return np.log((x - loc) / scale) - digamma(a)


def gamma_logpdf_dscale(x, a, loc, scale):
    return ((x - loc) / scale - a) / scale


defvjp(gamma_logpdf,
       lambda g, ans, x, a, loc=0.0, scale=1.0: g * gamma_logpdf_dx(x, a, loc, scale),
       lambda g, ans, x, a, loc=0.0, scale=1.0: g * gamma_logpdf_da(x, a, loc, scale),
       lambda g, ans, x, a, loc=0.0, scale=1.0: -g * gamma_logpdf_dx(x, a, loc, scale),
       lambda g, ans, x, a, loc=0.0, scale=1.0: g * gamma_logpdf_dscale(x, a, loc, scale), name="gamma_logpdf")
defjvp(gamma_logpdf,
       lambda t, ans, x, a, loc=0.0, scale=1.0: t * gamma_logpdf_dx(x, a, loc, scale),
       lambda t, ans, x, a, loc=0.0, scale=1.0: t * gamma_logpdf_da(x, a, loc, scale),
       lambda t, ans, x, a, loc=0.0, scale=1.0: -t * gamma_logpdf_dx(x, a, loc, scale),
       lambda t, ans, x, a, loc=0.0, scale=1.0: t * gamma_logpdf_dscale(x, a, loc, scale))
defvjp(gamma_pdf,
       lambda g, ans, x, a, loc=0.0, scale=1.0: g * ans * gamma_logpdf_dx(x, a, loc, scale),
       lambda g, ans, x, a, loc=0.0, scale=1.0: g * ans * gamma_logpdf_da(x, a, loc, scale),
       lambda g, ans, x, a, loc=0.0, scale=1.0: -g * ans * gamma_logpdf_dx(x, a, loc, scale),
       lambda g, ans, x, a, loc=0.0, scale=1.0: g * ans * gamma_logpdf_dscale(x, a, loc, scale), name="gamma_pdf")
defjvp(gamma_pdf,
       lambda t, ans, x, a, loc=0.0, scale=1.0: t * ans * gamma_logpdf_dx(x, a, loc, scale),
       lambda t, ans, x, a, loc=0.0, scale=1.0: t * ans * gamma_logpdf_da(x, a, loc, scale),
       lambda t, ans, x, a, loc=0.0, scale=1.0: -t * ans * gamma_logpdf_dx(x, a, loc, scale),
       lambda t, ans, x, a, loc=0.0, scale=1.0: t * ans * gamma_logpdf_dscale(x, a, loc, scale))
defvjp(gamma_cdf,
       lambda g, ans, x, a, loc=0.0, scale=1.0: g * np.exp(gamma_logpdf(x, a, loc, scale)),
       lambda g, ans, x, a, loc=0.0, scale=1.0: not_implemented("the gradient of scipy.stats.gamma.cdf with respect to a"),
       lambda g, ans, x, a, loc=0.0, scale=1.0: -g * np.exp(gamma_logpdf(x, a, loc, scale)),
       lambda g, ans, x, a, loc=0.0, scale=1.0: -g * np.exp(gamma_logpdf(x, a, loc, scale)) * (x - loc) / scale,
       name="gamma_cdf")
defjvp(gamma_cdf,
       lambda t, ans, x, a, loc=0.0, scale=1.0: t * np.exp(gamma_logpdf(x, a, loc, scale)),
       lambda t, ans, x, a, loc=0.0, scale=1.0: not_implemented("the derivative of scipy.stats.gamma.cdf with respect to a"),
       lambda t, ans, x, a, loc=0.0, scale=1.0: -t * np.exp(gamma_logpdf(x, a, loc, scale)),
       lambda t, ans, x, a, loc=0.0, scale=1.0: -t * np.exp(gamma_logpdf(x, a, loc, scale)) * (x - loc) / scale)


def chi2_logpdf_dx(x, df, loc, scale):
    return ((df / 2 - 1) * scale / (x - loc) - 0.5) / scale


def chi2_logpdf_ddf(x, df, loc, scale):
    return 0.5 * (np.log((x - loc) / scale) - np.log(2.0) - digamma(df / 2))


def chi2_logpdf_dscale(x, df, loc, scale):
    return (0.5 * (x - loc) / scale - df / 2) / scale


defvjp(chi2_logpdf,
       lambda g, ans, x, df, loc=0.0, scale=1.0: g * chi2_logpdf_dx(x, df, loc, scale),
       lambda g, ans, x, df, loc=0.0, scale=1.0: g * chi2_logpdf_ddf(x, df, loc, scale),
       lambda g, ans, x, df, loc=0.0, scale=1.0: -g * chi2_logpdf_dx(x, df, loc, scale),
       lambda g, ans, x, df, loc=0.0, scale=1.0: g * chi2_logpdf_dscale(x, df, loc, scale), name="chi2_logpdf")
defjvp(chi2_logpdf,
       lambda t, ans, x, df, loc=0.0, scale=1.0: t * chi2_logpdf_dx(x, df, loc, scale),
       lambda t, ans, x, df, loc=0.0, scale=1.0: t * chi2_logpdf_ddf(x, df, loc, scale),
       lambda t, ans, x, df, loc=0.0, scale=1.0: -t * chi2_logpdf_dx(x, df, loc, scale),
       lambda t, ans, x, df, loc=0.0, scale=1.0: t * chi2_logpdf_dscale(x, df, loc, scale))
defvjp(chi2_pdf,
       lambda g, ans, x, df, loc=0.0, scale=1.0: g * ans * chi2_logpdf_dx(x, df, loc, scale),
       lambda g, ans, x, df, loc=0.0, scale=1.0: g * ans * chi2_logpdf_ddf(x, df, loc, scale),
       lambda g, ans, x, df, loc=0.0, scale=1.0: -g * ans * chi2_logpdf_dx(x, df, loc, scale),
       lambda g, ans, x, df, loc=0.0, scale=1.0: g * ans * chi2_logpdf_dscale(x, df, loc, scale), name="chi2_pdf")
defjvp(chi2_pdf,
       lambda t, ans, x, df, loc=0.0, scale=1.0: t * ans * chi2_logpdf_dx(x, df, loc, scale),
       lambda t, ans, x, df, loc=0.0, scale=1.0: t * ans * chi2_logpdf_ddf(x, df, loc, scale),
       lambda t, ans, x, df, loc=0.0, scale=1.0: -t * ans * chi2_logpdf_dx(x, df, loc, scale),
       lambda t, ans, x, df, loc=0.0, scale=1.0: t * ans * chi2_logpdf_dscale(x, df, loc, scale))
defvjp(chi2_cdf,
       lambda g, ans, x, df, loc=0.0, scale=1.0: g * np.exp(chi2_logpdf(x, df, loc, scale)),
       lambda g, ans, x, df, loc=0.0, scale=1.0: not_implemented("the gradient of scipy.stats.chi2.cdf with respect to df"),
       lambda g, ans, x, df, loc=0.0, scale=1.0: -g * np.exp(chi2_logpdf(x, df, loc, scale)),
       lambda g, ans, x, df, loc=0.0, scale=1.0: -g * np.exp(chi2_logpdf(x, df, loc, scale)) * (x - loc) / scale,
       name="chi2_cdf")
defjvp(chi2_cdf,
       lambda t, ans, x, df, loc=0.0, scale=1.0: t * np.exp(chi2_logpdf(x, df, loc, scale)),
       lambda t, ans, x, df, loc=0.0, scale=1.0: not_implemented("the derivative of scipy.stats.chi2.cdf with respect to df"),
       lambda t, ans, x, df, loc=0.0, scale=1.0: -t * np.exp(chi2_logpdf(x, df, loc, scale)),
       lambda t, ans, x, df, loc=0.0, scale=1.0: -t * np.exp(chi2_logpdf(x, df, loc, scale)) * (x - loc) / scale)


def beta_logpdf_dx(x, a, b, loc, scale):
    z = (x - loc) / scale
    return ((a - 1) / z - (b - 1) / (1 - z)) / scale


def beta_logpdf_da(x, a, b, loc, scale):
    return np.log((x - loc) / scale) + digamma(a + b) - digamma(a)


def beta_logpdf_db(x, a, b, loc, scale):
    return np.log(1 - (x - loc) / scale) + digamma(a + b) - digamma(b)


def beta_logpdf_dscale(x, a, b, loc, scale):
    z = (x - loc) / scale
    return (-a + (b - 1) * z / (1 - z)) / scale


defvjp(beta_logpdf,
       lambda g, ans, x, a, b, loc=0.0, scale=1.0: g * beta_logpdf_dx(x, a, b, loc, scale),
       lambda g, ans, x, a, b, loc=0.0, scale=1.0: g * beta_logpdf_da(x, a, b, loc, scale),
       lambda g, ans, x, a, b, loc=0.0, scale=1.0: g * beta_logpdf_db(x, a, b, loc, scale),
       lambda g, ans, x, a, b, loc=0.0, scale=1.0: -g * beta_logpdf_dx(x, a, b, loc, scale),
       lambda g, ans, x, a, b, loc=0.0, scale=1.0: g * beta_logpdf_dscale(x, a, b, loc, scale), name="beta_logpdf")
defjvp(beta_logpdf,
       lambda t, ans, x, a, b, loc=0.0, scale=1.0: t * beta_logpdf_dx(x, a, b, loc, scale),
       lambda t, ans, x, a, b, loc=0.0, scale=1.0: t * beta_logpdf_da(x, a, b, loc, scale),
       lambda t, ans, x, a, b, loc=0.0, scale=1.0: t * beta_logpdf_db(x, a, b, loc, scale),
       lambda t, ans, x, a, b, loc=0.0, scale=1.0: -t * beta_logpdf_dx(x, a, b, loc, scale),
       lambda t, ans, x, a, b, loc=0.0, scale=1.0: t * beta_logpdf_dscale(x, a, b, loc, scale))
defvjp(beta_pdf,
       lambda g, ans, x, a, b, loc=0.0, scale=1.0: g * ans * beta_logpdf_dx(x, a, b, loc, scale),
       lambda g, ans, x, a, b, loc=0.0, scale=1.0: g * ans * beta_logpdf_da(x, a, b, loc, scale),
       lambda g, ans, x, a, b, loc=0.0, scale=1.0: g * ans * beta_logpdf_db(x, a, b, loc, scale),
       lambda g, ans, x, a, b, loc=0.0, scale=1.0: -g * ans * beta_logpdf_dx(x, a, b, loc, scale),
       lambda g, ans, x, a, b, loc=0.0, scale=1.0: g * ans * beta_logpdf_dscale(x, a, b, loc, scale), name="beta_pdf")
defjvp(beta_pdf,
       lambda t, ans, x, a, b, loc=0.0, scale=1.0: t * ans * beta_logpdf_dx(x, a, b, loc, scale),
       lambda t, ans, x, a, b, loc=0.0, scale=1.0: t * ans * beta_logpdf_da(x, a, b, loc, scale),
       lambda t, ans, x, a, b, loc=0.0, scale=1.0: t * ans * beta_logpdf_db(x, a, b, loc, scale),
       lambda t, ans, x, a, b, loc=0.0, scale=1.0: -t * ans * beta_logpdf_dx(x, a, b, loc, scale),
       lambda t, ans, x, a, b, loc=0.0, scale=1.0: t * ans * beta_logpdf_dscale(x, a, b, loc, scale))
defvjp(beta_cdf,
       lambda g, ans, x, a, b, loc=0.0, scale=1.0: g * np.exp(beta_logpdf(x, a, b, loc, scale)),
       lambda g, ans, x, a, b, loc=0.0, scale=1.0: not_implemented("the gradient of scipy.stats.beta.cdf with respect to a"),
       lambda g, ans, x, a, b, loc=0.0, scale=1.0: not_implemented("the gradient of scipy.stats.beta.cdf with respect to b"),
       lambda g, ans, x, a, b, loc=0.0, scale=1.0: -g * np.exp(beta_logpdf(x, a, b, loc, scale)),
       lambda g, ans, x, a, b, loc=0.0, scale=1.0: -g * np.exp(beta_logpdf(x, a, b, loc, scale)) * (x - loc) / scale,
       name="beta_cdf")
defjvp(beta_cdf,
       lambda t, ans, x, a, b, loc=0.0, scale=1.0: t * np.exp(beta_logpdf(x, a, b, loc, scale)),
       lambda t, ans, x, a, b, loc=0.0, scale=1.0: not_implemented("the derivative of scipy.stats.beta.cdf with respect to a"),
       lambda t, ans, x, a, b, loc=0.0, scale=1.0: not_implemented("the derivative of scipy.stats.beta.cdf with respect to b"),
       lambda t, ans, x, a, b, loc=0.0, scale=1.0: -t * np.exp(beta_logpdf(x, a, b, loc, scale)),
       lambda t, ans, x, a, b, loc=0.0, scale=1.0: -t * np.exp(beta_logpdf(x, a, b, loc, scale)) * (x - loc) / scale)


# ------------------------------------------------------------------ poisson
defvjp(poisson_logpmf,
       lambda g, ans, k, mu, loc=0: not_implemented("the gradient of scipy.stats.poisson.logpmf with respect to k"),
       lambda g, ans, k, mu, loc=0: g * ((k - loc) / mu - 1), name="poisson_logpmf")
defjvp(poisson_logpmf,
       lambda t, ans, k, mu, loc=0: not_implemented("the derivative of scipy.stats.poisson.logpmf with respect to k"),
       lambda t, ans, k, mu, loc=0: t * ((k - loc) / mu - 1))
defvjp(poisson_pmf,
       lambda g, ans, k, mu, loc=0: not_implemented("the gradient of scipy.stats.poisson.pmf with respect to k"),
       lambda g, ans, k, mu, loc=0: g * ans * ((k - loc) / mu - 1), name="poisson_pmf")
defjvp(poisson_pmf,
       lambda t, ans, k, mu, loc=0: not_implemented("the derivative of scipy.stats.poisson.pmf with respect to k"),
       lambda t, ans, k, mu, loc=0: t * ans * ((k - loc) / mu - 1))
defvjp(poisson_cdf,
       lambda g, ans, k, mu, loc=0: not_implemented("the gradient of scipy.stats.poisson.cdf with respect to k"),
       lambda g, ans, k, mu, loc=0: -g * poisson_pmf(np.floor(k - loc), mu), name="poisson_cdf")
defjvp(poisson_cdf,
       lambda t, ans, k, mu, loc=0: not_implemented("the derivative of scipy.stats.poisson.cdf with respect to k"),
       lambda t, ans, k, mu, loc=0: -t * poisson_pmf(np.floor(k - loc), mu))


# ------------------------------------------------------------------ multivariate_normal
def mvn_precision(cov, allow_singular):
    return np.linalg.pinv(cov) if allow_singular else np.linalg.inv(cov)


def mvn_whitened(x, mean, cov, allow_singular):
    """``(x - mean) @ inv(cov)`` for each point (rows of ``x``)."""
    r = x if mean is None else x - mean
    return r @ mvn_precision(cov, allow_singular)


def mvn_logpdf_dcov(g, x, mean, cov, allow_singular):
    """``0.5 * sum_n g_n (s_n s_n^T - inv(cov))`` with ``s_n`` the whitened points."""
    s = mvn_whitened(x, mean, cov, allow_singular)
    rows = np.reshape(s, (-1, np.shape(s)[-1]))
    weights = np.reshape(g, (-1, 1))
    return 0.5 * (np.transpose(rows) @ (weights * rows) - np.sum(g) * mvn_precision(cov, allow_singular))


defvjp(mvn_logpdf,
       lambda g, ans, x, mean=None, cov=1, allow_singular=False:
       -np.expand_dims(g, -1) * mvn_whitened(x, mean, cov, allow_singular),
       lambda g, ans, x, mean=None, cov=1, allow_singular=False:
       np.expand_dims(g, -1) * mvn_whitened(x, mean, cov, allow_singular),
       lambda g, ans, x, mean=None, cov=1, allow_singular=False: mvn_logpdf_dcov(g, x, mean, cov, allow_singular),
       name="multivariate_normal_logpdf")
defjvp(mvn_logpdf,
       lambda t, ans, x, mean=None, cov=1, allow_singular=False:
       -np.sum(t * mvn_whitened(x, mean, cov, allow_singular), axis=-1),
       lambda t, ans, x, mean=None, cov=1, allow_singular=False:
       np.sum(t * mvn_whitened(x, mean, cov, allow_singular), axis=-1),
       lambda t, ans, x, mean=None, cov=1, allow_singular=False: 0.5 * (
           np.einsum("...i,ij,...j->...", mvn_whitened(x, mean, cov, allow_singular), t,
                     mvn_whitened(x, mean, cov, allow_singular))
           - np.sum(mvn_precision(cov, allow_singular) * np.transpose(t))))
defvjp(mvn_pdf,
       lambda g, ans, x, mean=None, cov=1, allow_singular=False:
       -np.expand_dims(g * ans, -1) * mvn_whitened(x, mean, cov, allow_singular),
       lambda g, ans, x, mean=None, cov=1, allow_singular=False:
       np.expand_dims(g * ans, -1) * mvn_whitened(x, mean, cov, allow_singular),
       lambda g, ans, x, mean=None, cov=1, allow_singular=False: mvn_logpdf_dcov(g * ans, x, mean, cov, allow_singular),
       name="multivariate_normal_pdf")
defjvp(mvn_pdf,
       lambda t, ans, x, mean=None, cov=1, allow_singular=False:
       -ans * np.sum(t * mvn_whitened(x, mean, cov, allow_singular), axis=-1),
       lambda t, ans, x, mean=None, cov=1, allow_singular=False:
       ans * np.sum(t * mvn_whitened(x, mean, cov, allow_singular), axis=-1),
       lambda t, ans, x, mean=None, cov=1, allow_singular=False: 0.5 * ans * (
           np.einsum("...i,ij,...j->...", mvn_whitened(x, mean, cov, allow_singular), t,
                     mvn_whitened(x, mean, cov, allow_singular))
           - np.sum(mvn_precision(cov, allow_singular) * np.transpose(t))))
defvjp(mvn_entropy,
       None,
       lambda g, ans, mean=None, cov=1: 0.5 * g * np.transpose(np.linalg.inv(cov)),
       name="multivariate_normal_entropy")
defjvp(mvn_entropy,
       None,
       lambda t, ans, mean=None, cov=1: 0.5 * np.sum(np.transpose(np.linalg.inv(cov)) * t))


# ------------------------------------------------------------------ dirichlet
defvjp(dirichlet_logpdf,
       lambda g, ans, x, alpha: g * (alpha - 1) / x,
       lambda g, ans, x, alpha: g * (np.log(x) + digamma(np.sum(alpha)) - digamma(alpha)),
       name="dirichlet_logpdf")
defjvp(dirichlet_logpdf,
       lambda t, ans, x, alpha: np.sum(t * (alpha - 1) / x),
       lambda t, ans, x, alpha: np.sum(t * (np.log(x) + digamma(np.sum(alpha)) - digamma(alpha))))
defvjp(dirichlet_pdf,
       lambda g, ans, x, alpha: g * ans * (alpha - 1) / x,
       lambda g, ans, x, alpha: g * ans * (np.log(x) + digamma(np.sum(alpha)) - digamma(alpha)),
       name="dirichlet_pdf")
defjvp(dirichlet_pdf,
       lambda t, ans, x, alpha: ans * np.sum(t * (alpha - 1) / x),
       lambda t, ans, x, alpha: ans * np.sum(t * (np.log(x) + digamma(np.sum(alpha)) - digamma(alpha))))
