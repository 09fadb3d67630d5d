"""Second derivatives through the rule table: every VJP body differentiated by the table.

The tape gets second derivatives by running VJP bodies on Tensors. This test
does the same with a minimal forward-mode value, ``Dual``, that carries a
tangent and applies the table's JVPs to every numpy call made on it. Running
``vjp_i`` on ``Dual`` inputs therefore gives the derivative of the gradient
(a Hessian-vector product), which must match finite differences of ``vjp_i``.
It also proves each rule body calls only primitives that have rules: a call
without one, or an implicit conversion to ndarray, fails the test.
"""

import operator

import numpy as np
import pytest

from srcgrad.rules import ALIASES, get_rule, shape_of, unbroadcast
from test_rules import CASES, _like, _outputs, _with, diff_args


class Dual(np.lib.mixins.NDArrayOperatorsMixin):
    """A primal value with a tangent; numpy calls on it go through the rule table."""

    def __init__(self, value, tangent):
        self.value = value
        self.tangent = tangent

    shape = property(lambda self: np.shape(self.value))
    ndim = property(lambda self: np.ndim(self.value))
    dtype = property(lambda self: np.asarray(self.value).dtype)
    size = property(lambda self: np.size(self.value))

    def __array__(self, dtype=None, copy=None):
        raise TypeError("a rule body converted a traced value to an ndarray")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__":
            raise TypeError(f"ufunc method {ufunc.__name__}.{method} has no rule")
        return apply(ufunc, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if func in ALIASES:
            return ALIASES[func](*args, **kwargs)
        return apply(func, args, kwargs)

    def __getitem__(self, idx):
        return apply(operator.getitem, (self, idx), {})


def primal(v):
    if isinstance(v, Dual):
        return v.value
    if isinstance(v, (list, tuple)) and not hasattr(v, "_fields"):
        return type(v)(primal(x) for x in v)
    return v


def apply(fn, args, kwargs):
    """Call ``fn`` on the primals and push the tangents through its JVP rules."""
    rule = get_rule(fn)
    if rule is None:
        raise AssertionError(f"a rule body called {fn!r}, which has no rule")
    pargs, pkwargs = tuple(primal(a) for a in args), {k: primal(v) for k, v in kwargs.items()}
    ans = fn(*pargs, **pkwargs)
    if not rule.differentiable:
        return ans
    for a in args:
        if isinstance(a, (list, tuple)) and any(isinstance(v, Dual) for v in a):
            raise AssertionError(f"{rule.name}: a traced value inside a list argument (not an alias)")
    tangent = None
    for i, a in enumerate(args):
        if isinstance(a, Dual):
            t = rule.call_jvp(i, a.tangent, ans, pargs, pkwargs)
            if t is None:
                raise AssertionError(f"{rule.name}: argument {i} is traced but has no jvp")
            if tangent is None:
                tangent = t
            elif isinstance(t, tuple):
                tangent = tuple(x + y for x, y in zip(tangent, t))
            else:
                tangent = tangent + t
    if tangent is None:
        return ans
    if isinstance(ans, tuple):
        return tuple(Dual(a, t) for a, t in zip(ans, tangent))
    return Dual(ans, tangent)


def _tangent_of(result, like):
    """The tangent of a rule's result (0 when the result did not depend on the trace)."""
    if isinstance(result, Dual):
        return np.broadcast_to(result.tangent, np.shape(result.value))
    return np.zeros(np.shape(like))


# math functions cannot run on traced values; at x == 0 the power rows sit on the edge
# of the domain where finite differences step into log(-eps).
SECOND = [
    c for c in CASES if getattr(c.fn, "__module__", "") != "math" and c.fn not in (abs, max, min) and "x0" not in c.id
]


@pytest.mark.parametrize("c", SECOND, ids=[c.id for c in SECOND])
def test_vjp_bodies_differentiate_through_the_table(c):
    rng = np.random.default_rng(1)
    rule = get_rule(c.fn)
    args, kwargs = c.args, c.kwargs
    ans = _outputs(c.fn(*args, **kwargs))
    g = _like(rng, ans)
    indices = diff_args(c)
    eps = 1e-6
    for j in indices:
        t = _like(rng, args[j])
        ans_t = rule.call_jvp(j, t, ans, args, kwargs)
        if isinstance(ans, tuple):
            ans_dual = tuple(Dual(a, np.broadcast_to(x, np.shape(a))) for a, x in zip(ans, ans_t))
        else:
            ans_dual = Dual(ans, np.broadcast_to(ans_t, np.shape(ans)))
        dual_args = _with(args, j, Dual(args[j], t))
        for i in indices:
            out = rule.call_vjp(i, g, ans_dual, dual_args, kwargs)
            value = unbroadcast(primal(out), shape_of(args[i]))
            plain = unbroadcast(rule.call_vjp(i, g, ans, args, kwargs), shape_of(args[i]))
            np.testing.assert_allclose(value, plain, rtol=1e-12, atol=1e-12, err_msg="traced vjp changed its value")
            deriv = unbroadcast(_tangent_of(out, primal(out)), shape_of(args[i]))

            def vjp_at(x):
                a = _with(args, j, x)
                return unbroadcast(rule.call_vjp(i, g, c.fn(*a, **kwargs), a, kwargs), shape_of(args[i]))

            fd = (np.real(vjp_at(args[j] + eps * t)) - np.real(vjp_at(args[j] - eps * t))) / (2 * eps)
            deriv = np.real(deriv)  # real arguments here: the callers keep the real part of a cotangent
            np.testing.assert_allclose(
                deriv, fd, rtol=1e-4, atol=1e-5, err_msg=f"{c.id}: d(vjp of argument {i}) along argument {j}"
            )


def test_dual_catches_a_rule_body_without_rules(monkeypatch):
    """The tracer fails a rule whose body leaves the table (here: ``np.vectorize``)."""
    rule = get_rule(np.sin)
    bad = np.vectorize(np.cos)
    monkeypatch.setattr(rule, "vjps", (lambda g, ans, x: g * bad(x),))
    x = np.array([0.1, 0.2])
    with pytest.raises((AssertionError, TypeError)):
        rule.call_vjp(0, np.ones(2), np.sin(x), (Dual(x, np.ones(2)),), {})


def test_second_order_check_catches_a_wrong_jvp_inside_a_vjp(monkeypatch):
    """sin's VJP is ``g * cos(x)``; with cos's JVP sign flipped, sin's first-order
    check still passes but its second derivative through the table is wrong."""
    monkeypatch.setattr(get_rule(np.cos), "jvps", (lambda t, ans, x: t * np.sin(x),))
    case = next(c for c in SECOND if c.fn is np.sin)
    with pytest.raises(AssertionError, match="d\\(vjp of argument 0\\)"):
        test_vjp_bodies_differentiate_through_the_table(case)


@pytest.mark.parametrize("c", SECOND, ids=[c.id for c in SECOND])
def test_vjp_bodies_are_linear_in_g_through_the_table(c):
    """With ``create_graph=True`` the tape also differentiates a VJP with respect to
    ``g``; tracing ``g`` must give ``vjp(s)`` for ``g``'s tangent ``s``."""
    rng = np.random.default_rng(2)
    rule = get_rule(c.fn)
    ans = c.fn(*c.args, **c.kwargs)
    g, s = _like(rng, ans), _like(rng, ans)
    g_dual = tuple(Dual(a, b) for a, b in zip(g, s)) if isinstance(ans, tuple) else Dual(g, s)
    for i in diff_args(c):
        out = rule.call_vjp(i, g_dual, ans, c.args, c.kwargs)
        expected = unbroadcast(rule.call_vjp(i, s, ans, c.args, c.kwargs), shape_of(c.args[i]))
        deriv = unbroadcast(_tangent_of(out, primal(out)), shape_of(c.args[i]))
        np.testing.assert_allclose(deriv, expected, rtol=1e-10, atol=1e-12, err_msg=f"{c.id}: argument {i}")
