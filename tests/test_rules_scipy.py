"""The scipy rules (srcgrad/rules/scipy_*.py), each against central finite differences, in both modes.

Every case is a call of a scipy function with some positional arguments to
differentiate. For each one:

* static mode: ``srcgrad.grad`` of a function calling it (written as source,
  with the output's cotangent as ``dout``) against the finite-difference
  gradient of ``<u, f(...)>``;
* dynamic mode: the same call on Tensors, ``srcgrad.autograd.grad``;
* forward mode: every JVP of the rule against the finite-difference
  directional derivative;
* second order, dynamic mode: the VJP recorded with ``create_graph=True`` and
  differentiated again, against finite differences of the first-order VJP.

Skipped when scipy is not installed. Rules are registered by the fixture (not
at import), so that collecting this file changes nothing for other tests.
"""

import numpy as np
import pytest

import srcgrad

pytest.importorskip("scipy")
import scipy.linalg  # noqa: E402
import scipy.signal  # noqa: E402
import scipy.special as special  # noqa: E402
import scipy.stats as stats  # noqa: E402

EPS = 1e-6


@pytest.fixture(scope="module", autouse=True)
def scipy_rules():
    import srcgrad.rules.scipy_rules

    srcgrad.rules.scipy_rules.load()


def _rng(seed=0):
    return np.random.RandomState(seed)


R = _rng(1)


def pos(*shape, lo=0.5, hi=2.0):
    return R.uniform(lo, hi, shape) if shape else float(R.uniform(lo, hi))


def sym_pd(n):
    m = R.randn(n, n)
    return m @ m.T + n * np.eye(n)


# scipy reads one triangle of a covariance: these read its symmetric part, as a user would write it.
def mvn_logpdf_sym(x, mean, cov):
    return stats.multivariate_normal.logpdf(x, mean, 0.5 * (cov + cov.T))


def mvn_pdf_sym(x, mean, cov):
    return stats.multivariate_normal.pdf(x, mean, 0.5 * (cov + cov.T))


def mvn_entropy_sym(mean, cov):
    return stats.multivariate_normal.entropy(mean, 0.5 * (cov + cov.T))


# scipy checks that a Dirichlet point sums to 1: finite differences must stay on the simplex.
def dirichlet_logpdf_normalized(x, alpha):
    return stats.dirichlet.logpdf(x / np.sum(x), alpha)


def dirichlet_pdf_normalized(x, alpha):
    return stats.dirichlet.pdf(x / np.sum(x), alpha)


def banded(lower, upper, n):
    """A band for scipy.linalg.solve_banded ((l + u + 1, n), entries outside the matrix included) whose matrix is
    well conditioned: its main diagonal large."""
    ab = R.randn(lower + upper + 1, n)
    ab[upper] += 4.0
    return ab


BAND, BAND_WIDE = banded(1, 1, 5), banded(2, 1, 4)


def banded_matrix():
    from srcgrad.rules.scipy_linalg import banded_matrix

    return banded_matrix


def band_of():
    from srcgrad.rules.scipy_linalg import band_of

    return band_of


# (name, function getter, args, positions to differentiate, keyword arguments)
# The getter runs after the rules are registered (scipy's Python functions are replaced then).
CASES = [
    ("gamma", lambda: special.gamma, (pos(3, 2),), (0,), {}),
    ("gammaln", lambda: special.gammaln, (pos(4),), (0,), {}),
    ("digamma", lambda: special.digamma, (pos(4),), (0,), {}),
    ("psi", lambda: special.psi, (pos(),), (0,), {}),
    ("rgamma", lambda: special.rgamma, (pos(4),), (0,), {}),
    ("gammasgn", lambda: special.gammasgn, (pos(4),), (0,), {}),
    ("polygamma", lambda: special.polygamma, (1, pos(4)), (1,), {}),
    ("multigammaln", lambda: special.multigammaln, (pos(2, 3, lo=4.0, hi=5.0), 3), (0,), {}),
    ("beta", lambda: special.beta, (pos(4), pos(4)), (0, 1), {}),
    ("betaln", lambda: special.betaln, (pos(3, 1), pos(1, 2)), (0, 1), {}),
    (
        "betainc",
        lambda: special.betainc,
        (pos(4, lo=1.1, hi=3), pos(4, lo=1.1, hi=3), pos(4, lo=0.1, hi=0.9)),
        (2,),
        {},
    ),
    ("gammainc", lambda: special.gammainc, (pos(4), pos(4, lo=1.0, hi=3.0)), (1,), {}),
    ("gammaincc", lambda: special.gammaincc, (pos(4), pos(4, lo=1.0, hi=3.0)), (1,), {}),
    ("erf", lambda: special.erf, (R.randn(5),), (0,), {}),
    ("erfc", lambda: special.erfc, (R.randn(5),), (0,), {}),
    ("erfinv", lambda: special.erfinv, (pos(5, lo=-0.9, hi=0.9),), (0,), {}),
    ("erfcinv", lambda: special.erfcinv, (pos(5, lo=0.1, hi=1.9),), (0,), {}),
    ("expit", lambda: special.expit, (R.randn(5),), (0,), {}),
    ("logit", lambda: special.logit, (pos(5, lo=0.1, hi=0.9),), (0,), {}),
    ("j0", lambda: special.j0, (pos(5, lo=0.2, hi=10),), (0,), {}),
    ("j1", lambda: special.j1, (pos(5, lo=0.2, hi=10),), (0,), {}),
    ("y0", lambda: special.y0, (pos(5, lo=0.2, hi=10),), (0,), {}),
    ("y1", lambda: special.y1, (pos(5, lo=0.2, hi=10),), (0,), {}),
    ("i0", lambda: special.i0, (R.randn(5),), (0,), {}),
    ("i1", lambda: special.i1, (R.randn(5),), (0,), {}),
    ("i0e", lambda: special.i0e, (R.randn(5) * 3,), (0,), {}),
    ("i1e", lambda: special.i1e, (R.randn(5) * 3,), (0,), {}),
    ("jn", lambda: special.jn, (2, pos(4, lo=0.5, hi=5)), (1,), {}),
    ("jv", lambda: special.jv, (1.5, pos(4, lo=0.5, hi=5)), (1,), {}),
    ("yv", lambda: special.yv, (1.5, pos(4, lo=0.5, hi=5)), (1,), {}),
    ("yn", lambda: special.yn, (2, pos(4, lo=0.5, hi=5)), (1,), {}),
    ("iv", lambda: special.iv, (pos(4, lo=1.0, hi=5.0), pos(4, lo=0.5, hi=5)), (1,), {}),
    ("ive", lambda: special.ive, (1.3, pos(4, lo=0.5, hi=5)), (1,), {}),
    ("ive negative x", lambda: special.ive, (2.0, R.randn(4) * 3), (1,), {}),
    ("logsumexp", lambda: special.logsumexp, (R.randn(3, 4),), (0,), {}),
    ("logsumexp axis", lambda: special.logsumexp, (R.randn(3, 4),), (0,), {"axis": 1}),
    ("logsumexp keepdims", lambda: special.logsumexp, (R.randn(3, 4),), (0,), {"axis": 0, "keepdims": True}),
    ("logsumexp b=", lambda: special.logsumexp, (R.randn(3, 4),), (0,), {"axis": 1, "b": pos(3, 4)}),
    ("logsumexp b", lambda: special.logsumexp, (R.randn(3, 4), 0, pos(3, 4)), (0, 2), {}),
    # scipy.stats
    ("norm.pdf", lambda: stats.norm.pdf, (R.randn(4, 3), R.randn(1, 3), pos(4, 1)), (0, 1, 2), {}),
    ("norm.logpdf", lambda: stats.norm.logpdf, (R.randn(4), R.randn(4), pos(4)), (0, 1, 2), {}),
    ("norm.cdf", lambda: stats.norm.cdf, (R.randn(4, 3), R.randn(1, 3), pos(4, 1)), (0, 1, 2), {}),
    ("norm.logcdf", lambda: stats.norm.logcdf, (R.randn(4), R.randn(4), pos(4)), (0, 1, 2), {}),
    ("norm.sf", lambda: stats.norm.sf, (R.randn(4), R.randn(4), pos(4)), (0, 1, 2), {}),
    ("norm.logsf", lambda: stats.norm.logsf, (R.randn(4), R.randn(4), pos(4)), (0, 1, 2), {}),
    ("norm.pdf x", lambda: stats.norm.pdf, (R.randn(4),), (0,), {}),
    ("t.pdf", lambda: stats.t.pdf, (R.randn(4, 3), pos(1, 3, lo=2, hi=4), R.randn(4, 3), pos(4, 1)), (0, 1, 2, 3), {}),
    ("t.logpdf", lambda: stats.t.logpdf, (R.randn(4), pos(4, lo=2, hi=4), R.randn(4), pos(4)), (0, 1, 2, 3), {}),
    ("t.cdf", lambda: stats.t.cdf, (R.randn(4), pos(4, lo=2, hi=4), R.randn(4), pos(4)), (0, 2, 3), {}),
    ("t.logcdf", lambda: stats.t.logcdf, (R.randn(4), pos(4, lo=2, hi=4), R.randn(4), pos(4)), (0, 2, 3), {}),
    (
        "gamma.pdf",
        lambda: stats.gamma.pdf,
        (pos(4, lo=1.5, hi=3), pos(4, lo=1.1, hi=3), pos(4, lo=0, hi=1), pos(4)),
        (0, 1, 2, 3),
        {},
    ),
    ("gamma.logpdf", lambda: stats.gamma.logpdf, (pos(4, lo=1.5, hi=3), pos(4, lo=1.1, hi=3)), (0, 1), {}),
    (
        "gamma.cdf",
        lambda: stats.gamma.cdf,
        (pos(4, lo=1.5, hi=3), pos(4, lo=1.1, hi=3), pos(4, lo=0, hi=1), pos(4)),
        (0, 2, 3),
        {},
    ),
    (
        "beta.pdf",
        lambda: stats.beta.pdf,
        (
            pos(4, lo=0.3, hi=0.6),
            pos(4, lo=1.1, hi=3),
            pos(4, lo=1.1, hi=3),
            pos(4, lo=0, hi=0.2),
            pos(4, lo=0.9, hi=1.1),
        ),
        (0, 1, 2, 3, 4),
        {},
    ),
    (
        "beta.logpdf",
        lambda: stats.beta.logpdf,
        (pos(4, lo=0.1, hi=0.9), pos(4, lo=1.1, hi=3), pos(4, lo=1.1, hi=3)),
        (0, 1, 2),
        {},
    ),
    (
        "beta.cdf",
        lambda: stats.beta.cdf,
        (
            pos(4, lo=0.3, hi=0.6),
            pos(4, lo=1.1, hi=3),
            pos(4, lo=1.1, hi=3),
            pos(4, lo=0, hi=0.2),
            pos(4, lo=0.9, hi=1.1),
        ),
        (0, 3, 4),
        {},
    ),
    (
        "chi2.pdf",
        lambda: stats.chi2.pdf,
        (pos(4, lo=1.5, hi=3), pos(4, lo=1, hi=4), pos(4, lo=0, hi=1), pos(4)),
        (0, 1, 2, 3),
        {},
    ),
    ("chi2.logpdf", lambda: stats.chi2.logpdf, (pos(4, lo=1.5, hi=3), 3), (0,), {}),
    (
        "chi2.cdf",
        lambda: stats.chi2.cdf,
        (pos(4, lo=1.5, hi=3), pos(4, lo=1, hi=4), pos(4, lo=0, hi=1), pos(4)),
        (0, 2, 3),
        {},
    ),
    ("poisson.pmf", lambda: stats.poisson.pmf, (np.array([0.0, 1.0, 3.0, 5.0]), pos(4, lo=1, hi=4)), (1,), {}),
    ("poisson.logpmf", lambda: stats.poisson.logpmf, (np.array([0.0, 1.0, 3.0, 5.0]), pos(4, lo=1, hi=4)), (1,), {}),
    ("poisson.cdf", lambda: stats.poisson.cdf, (np.array([[0.0, 1.0, 3.0]]), pos(2, 1, lo=1, hi=4)), (1,), {}),
    # loc given, scale left at its default (a rule's default for scale is then what runs)
    ("norm.pdf loc", lambda: stats.norm.pdf, (R.randn(4), R.randn(4)), (0, 1), {}),
    ("norm.logpdf loc", lambda: stats.norm.logpdf, (R.randn(4), R.randn(4)), (0, 1), {}),
    ("norm.cdf loc", lambda: stats.norm.cdf, (R.randn(4), R.randn(4)), (0, 1), {}),
    ("norm.sf loc", lambda: stats.norm.sf, (R.randn(4), R.randn(4)), (0, 1), {}),
    ("norm.logcdf loc", lambda: stats.norm.logcdf, (R.randn(4), R.randn(4)), (0, 1), {}),
    ("norm.logsf loc", lambda: stats.norm.logsf, (R.randn(4), R.randn(4)), (0, 1), {}),
    ("t.pdf loc", lambda: stats.t.pdf, (R.randn(4), pos(4, lo=2, hi=4), R.randn(4)), (0, 1, 2), {}),
    ("t.logpdf loc", lambda: stats.t.logpdf, (R.randn(4), pos(4, lo=2, hi=4), R.randn(4)), (0, 1, 2), {}),
    ("t.cdf loc", lambda: stats.t.cdf, (R.randn(4), pos(4, lo=2, hi=4), R.randn(4)), (0, 2), {}),
    ("t.logcdf loc", lambda: stats.t.logcdf, (R.randn(4), pos(4, lo=2, hi=4), R.randn(4)), (0, 2), {}),
    (
        "gamma.pdf loc",
        lambda: stats.gamma.pdf,
        (pos(4, lo=1.5, hi=3), pos(4, lo=1.1, hi=3), pos(4, lo=0, hi=1)),
        (0, 1, 2),
        {},
    ),
    (
        "gamma.cdf loc",
        lambda: stats.gamma.cdf,
        (pos(4, lo=1.5, hi=3), pos(4, lo=1.1, hi=3), pos(4, lo=0, hi=1)),
        (0, 2),
        {},
    ),
    (
        "chi2.pdf loc",
        lambda: stats.chi2.pdf,
        (pos(4, lo=1.5, hi=3), pos(4, lo=1, hi=4), pos(4, lo=0, hi=1)),
        (0, 1, 2),
        {},
    ),
    (
        "chi2.cdf loc",
        lambda: stats.chi2.cdf,
        (pos(4, lo=1.5, hi=3), pos(4, lo=1, hi=4), pos(4, lo=0, hi=1)),
        (0, 2),
        {},
    ),
    (
        "beta.pdf loc",
        lambda: stats.beta.pdf,
        (pos(4, lo=0.3, hi=0.6), pos(4, lo=1.1, hi=3), pos(4, lo=1.1, hi=3), pos(4, lo=0, hi=0.2)),
        (0, 1, 2, 3),
        {},
    ),
    (
        "beta.cdf loc",
        lambda: stats.beta.cdf,
        (pos(4, lo=0.3, hi=0.6), pos(4, lo=1.1, hi=3), pos(4, lo=1.1, hi=3), pos(4, lo=0, hi=0.2)),
        (0, 3),
        {},
    ),
    ("poisson.pmf loc", lambda: stats.poisson.pmf, (np.array([1.0, 2.0, 4.0, 6.0]), pos(4, lo=1, hi=4), 1), (1,), {}),
    (
        "poisson.logpmf loc",
        lambda: stats.poisson.logpmf,
        (np.array([1.0, 2.0, 4.0, 6.0]), pos(4, lo=1, hi=4), 1),
        (1,),
        {},
    ),
    ("poisson.cdf loc", lambda: stats.poisson.cdf, (np.array([[1.0, 2.0, 4.0]]), pos(2, 1, lo=1, hi=4), 1), (1,), {}),
    (
        "gamma.logpdf loc scale",
        lambda: stats.gamma.logpdf,
        (pos(4, lo=1.5, hi=3), pos(4, lo=1.1, hi=3), pos(4, lo=0, hi=1), pos(4)),
        (0, 1, 2, 3),
        {},
    ),
    (
        "beta.logpdf loc scale",
        lambda: stats.beta.logpdf,
        (
            pos(4, lo=0.3, hi=0.6),
            pos(4, lo=1.1, hi=3),
            pos(4, lo=1.1, hi=3),
            pos(4, lo=0, hi=0.2),
            pos(4, lo=0.9, hi=1.1),
        ),
        (0, 1, 2, 3, 4),
        {},
    ),
    (
        "chi2.logpdf all",
        lambda: stats.chi2.logpdf,
        (pos(4, lo=1.5, hi=3), pos(4, lo=1, hi=4), pos(4, lo=0, hi=1), pos(4)),
        (0, 1, 2, 3),
        {},
    ),
    (
        "multivariate_normal.pdf direct",
        lambda: stats.multivariate_normal.pdf,
        (R.randn(3) * 0.3, R.randn(3) * 0.3, sym_pd(3) * 0.3),
        (0, 1),
        {},
    ),
    ("dirichlet.pdf direct", lambda: stats.dirichlet.pdf, (np.array([0.2, 0.3, 0.5]), pos(3, lo=1.2, hi=3)), (1,), {}),
    ("multivariate_normal.logpdf", lambda: mvn_logpdf_sym, (R.randn(5, 3), R.randn(3), sym_pd(3)), (0, 1, 2), {}),
    (
        "multivariate_normal.pdf",
        lambda: mvn_pdf_sym,
        (R.randn(3) * 0.3, R.randn(3) * 0.3, sym_pd(3) * 0.3),
        (0, 1, 2),
        {},
    ),
    ("multivariate_normal.entropy", lambda: mvn_entropy_sym, (R.randn(3), sym_pd(3)), (0, 1), {}),
    ("dirichlet.logpdf", lambda: dirichlet_logpdf_normalized, (pos(4, lo=0.1, hi=1), pos(4, lo=1.2, hi=3)), (0, 1), {}),
    ("dirichlet.pdf", lambda: dirichlet_pdf_normalized, (pos(4, lo=0.1, hi=1), pos(4, lo=1.2, hi=3)), (0, 1), {}),
    (
        "multivariate_normal.logpdf direct",
        lambda: stats.multivariate_normal.logpdf,
        (R.randn(5, 3), R.randn(3), sym_pd(3)),
        (0, 1),
        {},
    ),
    (
        "dirichlet.logpdf direct",
        lambda: stats.dirichlet.logpdf,
        (np.array([0.2, 0.3, 0.5]), pos(3, lo=1.2, hi=3)),
        (1,),
        {},
    ),
    # scipy.signal
    ("convolve full", lambda: scipy.signal.convolve, (R.randn(5), R.randn(3)), (0, 1), {}),
    ("convolve valid", lambda: scipy.signal.convolve, (R.randn(5), R.randn(3)), (0, 1), {"mode": "valid"}),
    ("convolve valid swapped", lambda: scipy.signal.convolve, (R.randn(3), R.randn(6)), (0, 1), {"mode": "valid"}),
    ("convolve same", lambda: scipy.signal.convolve, (R.randn(6), R.randn(3)), (0, 1), {"mode": "same"}),
    ("convolve same even", lambda: scipy.signal.convolve, (R.randn(5), R.randn(4)), (0, 1), {"mode": "same"}),
    ("convolve 2d same", lambda: scipy.signal.convolve, (R.randn(4, 5), R.randn(3, 2)), (0, 1), {"mode": "same"}),
    ("convolve 2d valid", lambda: scipy.signal.convolve, (R.randn(4, 5), R.randn(2, 3)), (0, 1), {"mode": "valid"}),
    # scipy.linalg
    ("sqrtm", lambda: scipy.linalg.sqrtm, (sym_pd(3) + 0.3 * R.randn(3, 3),), (0,), {}),
    (
        "solve_sylvester",
        lambda: scipy.linalg.solve_sylvester,
        (sym_pd(3), sym_pd(3) + R.randn(3, 3), R.randn(3, 3)),
        (0, 1, 2),
        {},
    ),
    (
        "solve_triangular",
        lambda: scipy.linalg.solve_triangular,
        (np.tril(R.randn(3, 3)) + 3 * np.eye(3), R.randn(3)),
        (0, 1),
        {"lower": True},
    ),
    (
        "solve_triangular upper matrix",
        lambda: scipy.linalg.solve_triangular,
        (np.triu(R.randn(3, 3)) + 3 * np.eye(3), R.randn(3, 2)),
        (0, 1),
        {},
    ),
    (
        "solve_triangular trans",
        lambda: scipy.linalg.solve_triangular,
        (np.triu(R.randn(3, 3)) + 3 * np.eye(3), R.randn(3, 2)),
        (0, 1),
        {"trans": 1},
    ),
    (
        "solve_triangular unit",
        lambda: scipy.linalg.solve_triangular,
        (np.tril(R.randn(3, 3)), R.randn(3)),
        (0, 1),
        {"lower": True, "unit_diagonal": True},
    ),
    ("solve_banded", lambda: scipy.linalg.solve_banded, ((1, 1), BAND, R.randn(5)), (1, 2), {}),
    ("solve_banded matrix", lambda: scipy.linalg.solve_banded, ((2, 1), BAND_WIDE, R.randn(4, 2)), (1, 2), {}),
    ("banded_matrix", lambda: banded_matrix(), ((2, 1), BAND_WIDE), (1,), {}),
    ("band_of", lambda: band_of(), ((1, 2), R.randn(4, 4)), (1,), {}),
]

IDS = [c[0] for c in CASES]


def _fd_grad(f, args, i, u):
    """d<u, f(args)>/d args[i] by central differences, entry by entry."""
    x = np.asarray(args[i], dtype=float)
    grad = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[k] += EPS
        minus[k] -= EPS
        a = list(args)
        a[i] = plus if np.ndim(args[i]) else float(plus)
        hi = np.sum(u * np.asarray(f(*a)))
        a[i] = minus if np.ndim(args[i]) else float(minus)
        lo = np.sum(u * np.asarray(f(*a)))
        grad[k] = (hi - lo) / (2 * EPS)
    return grad


def _close(a, b):
    np.testing.assert_allclose(np.asarray(a, dtype=float), b, rtol=1e-5, atol=1e-6)


def _setup(case):
    name, getter, args, wrt, kwargs = case
    fn = getter()

    def f(*a):
        return fn(*a, **kwargs)

    out = np.asarray(f(*args))
    u = _rng(7).randn(*out.shape)
    return fn, f, args, wrt, kwargs, u


def _static_source(nargs, kwargs):
    params = ", ".join(f"a{i}" for i in range(nargs))
    kw = "".join(f", {k}=KW_{k}" for k in kwargs)
    return f"def f({params}):\n    return FN({params}{kw})\n"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_static_matches_finite_differences(case):
    fn, f, args, wrt, kwargs, u = _setup(case)
    namespace = {"FN": fn, **{f"KW_{k}": v for k, v in kwargs.items()}}
    source = _static_source(len(args), kwargs)
    exec(compile(source, "<scipy-case>", "exec"), namespace)
    df = srcgrad.grad(namespace["f"], wrt=wrt if len(wrt) > 1 else wrt[0], source=source)
    grads = df(*args, dout=u if np.ndim(u) else float(u))
    for i, g in zip(wrt, grads if len(wrt) > 1 else (grads,)):
        _close(g, _fd_grad(f, args, i, u))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_dynamic_matches_finite_differences(case):
    fn, f, args, wrt, kwargs, u = _setup(case)
    targs = list(args)
    inputs = []
    for i in wrt:
        targs[i] = srcgrad.tensor(np.asarray(args[i], dtype=float), requires_grad=True)
        inputs.append(targs[i])
    y = f(*targs)
    grads = srcgrad.autograd.grad(y, inputs, grad_outputs=srcgrad.tensor(u), allow_unused=True)
    for i, g in zip(wrt, grads):
        _close(np.zeros(np.shape(args[i])) if g is None else g.detach().numpy(), _fd_grad(f, args, i, u))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jvps_match_finite_differences(case):
    from srcgrad.rules import get_rule

    fn, f, args, wrt, kwargs, u = _setup(case)
    rule = get_rule(fn)
    if rule is None:  # a test wrapper (symmetrize, normalize) around the primitive: checked through the modes
        pytest.skip("wrapped primitive")
    ans = fn(*args, **kwargs)
    rng = _rng(3)
    for i in wrt:
        t = rng.randn(*np.shape(args[i])) if np.ndim(args[i]) else float(rng.randn())
        jvp = rule.call_jvp(i, t, ans, args, kwargs)
        if case[0] == "multivariate_normal.logpdf direct":  # check cov's JVP too, along a symmetric tangent
            c = rng.randn(3, 3)
            c = c + c.T
            cov_jvp = rule.call_jvp(2, c, ans, args, kwargs)
            num = (fn(args[0], args[1], args[2] + EPS * c) - fn(args[0], args[1], args[2] - EPS * c)) / (2 * EPS)
            _close(cov_jvp, num)
        plus, minus = list(args), list(args)
        plus[i] = args[i] + EPS * t
        minus[i] = args[i] - EPS * t
        numeric = (np.asarray(f(*plus)) - np.asarray(f(*minus))) / (2 * EPS)
        _close(np.broadcast_to(jvp, np.shape(numeric)), numeric)


SECOND_ORDER = [
    c
    for c in CASES
    if c[0]
    in {
        "gamma",
        "gammaln",
        "digamma",
        "polygamma",
        "erf",
        "erfinv",
        "expit",
        "logit",
        "j1",
        "i1e",
        "jv",
        "logsumexp axis",
        "norm.logcdf",
        "t.logpdf",
        "t.cdf",
        "gamma.logpdf",
        "beta.pdf",
        "poisson.cdf",
        "multivariate_normal.logpdf",
        "dirichlet.logpdf",
        "convolve same",
        "sqrtm",
        "solve_sylvester",
        "solve_triangular trans",
        "solve_banded",
        "solve_banded matrix",
        "multigammaln",
        "betaln",
    }
]


@pytest.mark.parametrize("case", SECOND_ORDER, ids=[c[0] for c in SECOND_ORDER])
def test_second_order_dynamic(case):
    """The VJP, recorded with create_graph=True, differentiated again (its rule bodies run on Tensors)."""
    fn, f, args, wrt, kwargs, u = _setup(case)
    i = wrt[0]

    def first(x):
        a = list(args)
        a[i] = srcgrad.tensor(np.asarray(x, dtype=float), requires_grad=True)
        (g,) = srcgrad.autograd.grad(f(*a), [a[i]], grad_outputs=srcgrad.tensor(u), create_graph=True)
        return a[i], g

    x0 = np.asarray(args[i], dtype=float)
    w = _rng(5).randn(*x0.shape)
    xt, g = first(x0)
    if g.requires_grad:
        (gg,) = srcgrad.autograd.grad(g, [xt], grad_outputs=srcgrad.tensor(w), allow_unused=True)
    else:  # the VJP does not depend on this input (a linear function of it)
        gg = None
    gg = np.zeros_like(x0) if gg is None else gg.detach().numpy()
    # d<w, vjp(x)>/dx by central differences of the first-order VJP (itself checked above)
    numeric = np.zeros_like(x0)
    for k in np.ndindex(x0.shape):
        plus, minus = x0.copy(), x0.copy()
        plus[k] += EPS
        minus[k] -= EPS
        hi = np.sum(w * first(plus if x0.ndim else float(plus))[1].detach().numpy())
        lo = np.sum(w * first(minus if x0.ndim else float(minus))[1].detach().numpy())
        numeric[k] = (hi - lo) / (2 * EPS)
    np.testing.assert_allclose(gg, numeric, rtol=1e-4, atol=1e-5)


def test_every_scipy_rule_has_a_case():
    from srcgrad.rules import RULES

    sampled = {id(c[1]()) for c in CASES}
    missing = [
        rule.name
        for fn, rule in RULES.items()
        if rule.differentiable
        and id(fn) not in sampled
        and any(
            (getattr(v, "__module__", "") or "").startswith("srcgrad.rules.scipy_") for v in rule.vjps if v is not None
        )
    ]
    wrapped = {
        "multivariate_normal_logpdf",
        "multivariate_normal_pdf",
        "multivariate_normal_entropy",
        "dirichlet_logpdf",
        "dirichlet_pdf",
    }  # sampled through a symmetrize/normalize wrapper
    assert not [m for m in missing if m not in wrapped], missing


def test_a_derivative_srcgrad_lacks_is_an_error_not_a_zero():
    x = srcgrad.tensor(np.array([1.5, 2.0]), requires_grad=True)
    y = special.jv(x, 2.0)  # the derivative with respect to the order
    with pytest.raises(NotImplementedError, match="jv with respect to its order"):
        srcgrad.autograd.grad(y.sum(), x)


def test_patched_functions_behave_as_before_on_arrays():
    x = R.randn(3, 4)
    assert np.allclose(special.logsumexp(x, axis=1), np.log(np.sum(np.exp(x), axis=1)))
    assert np.allclose(stats.norm.pdf(0.3, 0.1, 2.0), np.exp(-0.5 * 0.01) / (2.0 * np.sqrt(2 * np.pi)))
    assert np.allclose(scipy.signal.convolve([1.0, 2.0], [1.0, 1.0]), [1.0, 3.0, 2.0])


# ---------------------------------------------------------------- static mode, second order
# The compiler reads a rule's body again when a gradient or a JVP is differentiated: each body must be
# code it can read (no *args calls; a not_implemented(...) guard for an unsupported option stays a call).
STATIC_SECOND = [
    ("logsumexp", "special.logsumexp(a)", R.randn(3, 4)),
    ("logsumexp axis keepdims", "special.logsumexp(a, axis=1, keepdims=True)", R.randn(3, 4)),
    ("logsumexp b", "special.logsumexp(a, axis=0, b=B)", R.randn(3, 4)),
    ("t.logcdf", "stats.t.logcdf(a, 3.5, 0.2, 1.3)", R.randn(4)),
    ("t.logcdf loc", "stats.t.logcdf(a, 2.5, 0.4)", R.randn(2, 3)),
    ("erf", "special.erf(a)", R.randn(4)),
    ("solve_banded b", "linalg.solve_banded((1, 1), BAND, a)", R.randn(5)),
    ("solve_banded ab", "linalg.solve_banded((1, 1), a, V5)", BAND),
]


def _exec_fn(source, namespace):
    exec(compile(source, "<scipy-second>", "exec"), namespace)
    return namespace[source.split("(")[0][4:]]


def _numeric_grad(f, x, *rest):
    grad = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[k] += EPS
        minus[k] -= EPS
        grad[k] = (f(plus, *rest) - f(minus, *rest)) / (2 * EPS)
    return grad


@pytest.mark.parametrize("mode", ["reverse over reverse", "reverse over forward"])
@pytest.mark.parametrize("case", STATIC_SECOND, ids=[c[0] for c in STATIC_SECOND])
def test_static_second_order(case, mode):
    name, call, x = case
    namespace = {"np": np, "special": special, "stats": stats, "B": pos(3, 4), "linalg": scipy.linalg, "BAND": BAND}
    namespace["V5"] = _rng(12).randn(5)
    source = f"def f(a):\n    return {call}\n"
    f = _exec_fn(source, namespace)
    rng = _rng(11)
    out = np.asarray(f(x))
    u, w, t = rng.randn(*out.shape), rng.randn(*x.shape), rng.randn(*x.shape)
    if mode == "reverse over reverse":
        namespace["DF"] = srcgrad.grad(f, source=source)
        second = "def second(a, u, w):\n    return np.sum(w * DF(a, dout=u))\n"
        rest = (u, w)
    else:
        namespace["JF"] = srcgrad.jvp(f, source=source)
        second = "def second(a, t, w):\n    value, tangent = JF(a, t)\n    return np.sum(w * tangent)\n"
        rest = (t, u)
    s = _exec_fn(second, namespace)
    claimed = srcgrad.grad(s, source=second)(x, *rest)
    _close(claimed, _numeric_grad(s, x, *rest))


# ---------------------------------------------------------------- complex values (erf, erfc: holomorphic)
COMPLEX_Z = np.array([[0.4 + 0.3j, -1.1 + 0.2j], [0.7 - 0.5j, 0.1 + 1.0j]])
COMPLEX_W = np.array([[0.3 - 0.7j, 1.2 + 0.1j], [-0.4 + 0.5j, 0.8 - 0.2j]])


def erf_loss(z):
    return np.real(np.sum(special.erf(z) * COMPLEX_W))


def erfc_loss(z):
    return np.real(np.sum(special.erfc(z * z) * COMPLEX_W))


def _complex_fd(f, z):
    """``dL/dx + i dL/dy`` (PyTorch's convention) by central differences."""
    g = np.zeros_like(z)
    for k in np.ndindex(z.shape):
        e = np.zeros(z.shape)
        e[k] = EPS
        g[k] = (f(z + e) - f(z - e)) / (2 * EPS) + 1j * (f(z + 1j * e) - f(z - 1j * e)) / (2 * EPS)
    return g


@pytest.mark.parametrize("loss", [erf_loss, erfc_loss])
def test_complex_static(loss):
    np.testing.assert_allclose(srcgrad.grad(loss)(COMPLEX_Z), _complex_fd(loss, COMPLEX_Z), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("loss", [erf_loss, erfc_loss])
def test_complex_dynamic(loss):
    z = srcgrad.tensor(COMPLEX_Z, requires_grad=True)
    loss(z).backward()
    np.testing.assert_allclose(z.grad.numpy(), _complex_fd(loss, COMPLEX_Z), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ["erf", "erfc"])
def test_complex_rule_vjp_jvp_and_dot_product(name):
    from test_rules import Case
    from test_rules_complex import check_complex_rule

    fn = getattr(special, name)
    check_complex_rule(Case(fn, (COMPLEX_Z,), {}, name), np.random.default_rng(0))
    check_complex_rule(Case(fn, (COMPLEX_Z.imag,), {}, name + " real"), np.random.default_rng(1))


# ---------------------------------------------------------------- complex values (sqrtm, solve_sylvester)
# A real matrix with a negative eigenvalue has a complex square root: the rules conjugate (S^H Y + Y S^H = g), and
# the compiler knows sqrtm may make complex values from real ones (its code keeps the conjugates).
INDEFINITE = np.array([[1.0, 2.0, 0.3], [2.0, -0.5, 0.4], [0.3, 0.4, 2.0]]) + 0.1 * R.randn(3, 3)
SQRTM_W = R.randn(3, 3) + 1j * R.randn(3, 3)


def sqrtm_loss(a):
    return np.real(np.sum(SQRTM_W * scipy.linalg.sqrtm(0.5 * (a + np.swapaxes(a, -1, -2)))))


def test_sqrtm_of_a_real_matrix_is_complex_here():
    assert np.iscomplexobj(scipy.linalg.sqrtm(0.5 * (INDEFINITE + INDEFINITE.T)))


def test_complex_sqrtm_static_and_dynamic():
    want = _numeric_grad(sqrtm_loss, INDEFINITE)
    np.testing.assert_allclose(srcgrad.grad(sqrtm_loss)(INDEFINITE), want, rtol=1e-6, atol=1e-8)
    x = srcgrad.tensor(INDEFINITE, requires_grad=True)
    sqrtm_loss(x).backward()
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-6, atol=1e-8)


def sqrtm_sym(a):
    return scipy.linalg.sqrtm(0.5 * (a + np.swapaxes(a, -1, -2)))


def test_complex_sqrtm_static_vjp_of_its_jvp():
    """HIPS's check at order 2: the VJP (complex cotangent) of the JVP, with respect to the point and the tangent."""
    jf = srcgrad.jvp(sqrtm_sym)

    def tangent_of(a, t):
        value, tangent = jf(a, t)
        return tangent

    t0 = R.randn(3, 3)
    u = R.randn(3, 3) + 1j * R.randn(3, 3)
    ga, gt = srcgrad.grad(tangent_of, wrt=(0, 1))(INDEFINITE, t0, dout=u)

    def paired(a, t):
        return np.real(np.vdot(u, tangent_of(a, t)))

    _close(ga, _numeric_grad(paired, INDEFINITE, t0))
    _close(gt, _numeric_grad(lambda t, a: paired(a, t), t0, INDEFINITE))


@pytest.mark.parametrize("name", ["sqrtm", "solve_sylvester"])
def test_complex_linalg_rule_vjp_jvp_and_dot_product(name):
    from test_rules import Case
    from test_rules_complex import check_complex_rule

    rng = np.random.default_rng(4)

    def cplx(*shape):
        return rng.normal(size=shape) + 1j * rng.normal(size=shape)

    fn = getattr(scipy.linalg, name)
    if name == "sqrtm":
        rows = [(cplx(3, 3) + 3 * np.eye(3),), (INDEFINITE + INDEFINITE.T,)]
    else:
        rows = [
            (cplx(3, 3) + 4 * np.eye(3), cplx(3, 3) + 4 * np.eye(3), cplx(3, 3)),
            (sym_pd(3), sym_pd(3), cplx(3, 3)),
        ]
    for k, args in enumerate(rows):
        check_complex_rule(Case(fn, args, {}, f"{name} {k}"), np.random.default_rng(k))
