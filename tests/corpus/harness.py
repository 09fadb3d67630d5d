"""Running a corpus case in each mode, and central finite differences to judge them.

Everything returns gradients as ``{index: float or float64 ndarray}`` so the
modes can be compared element by element.
"""

import numpy as np

import srcgrad

EPS = 1e-6


def _replace(args, i, value):
    return args[:i] + (value,) + args[i + 1:]


def numeric_grad(fn, args, wrt, eps=EPS):
    """Central finite differences of scalar ``fn(*args)`` for each index in ``wrt`` (float64)."""
    out = {}
    for i in wrt:
        x = args[i]
        if isinstance(x, float):
            plus = float(fn(*_replace(args, i, x + eps)))
            minus = float(fn(*_replace(args, i, x - eps)))
            out[i] = (plus - minus) / (2 * eps)
            continue
        x = np.asarray(x, dtype=np.float64)
        g = np.zeros(x.shape)
        for k in np.ndindex(x.shape):
            xp, xm = x.copy(), x.copy()
            xp[k] += eps
            xm[k] -= eps
            g[k] = (float(fn(*_replace(args, i, xp))) - float(fn(*_replace(args, i, xm)))) / (2 * eps)
        out[i] = g
    return out


def dynamic_grad(fn, args, wrt):
    """Gradients from dynamic mode: the ``wrt`` arguments become Tensors requiring grad, then ``.backward()``.

    Returns:
        ``(value, {index: gradient})`` with gradients as float64 ndarrays (Python floats for float inputs).
    """
    tensors = {i: srcgrad.tensor(np.asarray(args[i], dtype=np.float64), requires_grad=True) for i in wrt}
    call = tuple(tensors.get(i, a) for i, a in enumerate(args))
    out = fn(*call)
    out.backward()
    grads = {}
    for i, t in tensors.items():
        g = np.zeros(t.shape) if t.grad is None else np.asarray(t.grad.detach(), dtype=np.float64)
        grads[i] = float(g) if isinstance(args[i], float) else g
    return float(out.detach()), grads


def static_grad(fn, args, wrt, optimize=True):
    """Gradients from static mode: ``srcgrad.grad(fn, wrt=...)`` (a tuple of indices)."""
    df = srcgrad.grad(fn, wrt=tuple(wrt), optimize=optimize)
    got = df(*args)
    assert isinstance(got, tuple) and len(got) == len(wrt), f"grad with a tuple wrt gave {type(got).__name__}"
    return dict(zip(wrt, got))


def forward_directional(fn, args, i, tangent):
    """``srcgrad.jvp(fn, wrt=i)(*args, tangent)`` -> the output tangent."""
    value, t_out = srcgrad.jvp(fn, wrt=i)(*args, tangent)
    return float(np.asarray(t_out))


def assert_grads_close(got, expected, rtol, atol, what, args):
    """Compare two ``{index: gradient}`` dicts; a failure names the argument and the worst element."""
    for i, e in expected.items():
        g = got[i]
        if isinstance(args[i], float):
            assert np.ndim(g) == 0, f"{what}: gradient of float argument {i} has shape {np.shape(g)}"
        else:
            assert np.shape(g) == np.shape(args[i]), \
                f"{what}: gradient of argument {i} has shape {np.shape(g)}, the argument {np.shape(args[i])}"
        g = np.asarray(g, dtype=np.float64)
        e = np.asarray(e, dtype=np.float64)
        err = np.abs(g - e)
        bad = ~(err <= atol + rtol * np.abs(e))
        if np.any(bad):
            worst = int(np.argmax(np.where(np.isnan(err), np.inf, err)))
            k = tuple(int(j) for j in np.unravel_index(worst, np.shape(e)))
            raise AssertionError(
                f"{what}: gradient of argument {i} disagrees at element {k}: got {float(g[k])!r}, "
                f"expected {float(e[k])!r} "
                f"(|difference| {err[k]:.3g} > {atol} + {rtol} * |expected|)\ngot:\n{g}\nexpected:\n{e}")


# ------------------------------------------------------------------ the checks, one function per claim
# test_modes_agree.py runs them on every case; test_teeth.py runs them with a broken rule and expects them to fail.

TIGHT_RTOL, TIGHT_ATOL = 1e-9, 1e-11
"""Static vs dynamic: both compute exact derivatives from the same rules, so only rounding differs."""


def args_of(case):
    """The case's arguments (made afresh each time, so no mode can see another's changes)."""
    return case.make_args(np.random.default_rng(0))


def check_static(case, reference, optimize=True):
    """Static mode (``srcgrad.grad``) against finite differences ``reference``."""
    args = args_of(case)
    got = static_grad(case.fn, args, case.wrt, optimize=optimize)
    assert_grads_close(got, reference, case.rtol, case.atol, f"static mode (optimize={optimize})", args)
    for i in case.wrt:  # a gradient keeps its argument's kind: a float for a float, an array for an array
        assert isinstance(got[i], float) == isinstance(args[i], float), \
            f"static mode: gradient of argument {i} is a {type(got[i]).__name__}"


def check_dynamic(case, reference):
    """Dynamic mode (Tensors, ``.backward()``) against finite differences ``reference``."""
    args = args_of(case)
    value, got = dynamic_grad(case.fn, args, case.wrt)
    np.testing.assert_allclose(value, float(case.fn(*args)), rtol=1e-12, atol=1e-12)
    assert_grads_close(got, reference, case.rtol, case.atol, "dynamic mode", args)


def check_static_vs_dynamic(case):
    """Static and dynamic mode agree to rounding."""
    args = args_of(case)
    static = static_grad(case.fn, args, case.wrt)
    _, dynamic = dynamic_grad(case.fn, args, case.wrt)
    assert_grads_close(static, dynamic, TIGHT_RTOL, TIGHT_ATOL, "static vs dynamic", args)


def check_forward(case, reverse=None):
    """Forward mode (``srcgrad.jvp``) along a random tangent equals the reverse-mode gradient . tangent.

    ``reverse`` is the gradient to compare with (``{index: gradient}``); static mode's by default.
    """
    args = args_of(case)
    if reverse is None:
        reverse = static_grad(case.fn, args, case.wrt)
    rng = np.random.default_rng(1)
    for i in case.wrt:
        tangent = float(rng.normal()) if isinstance(args[i], float) else rng.normal(size=np.shape(args[i]))
        got = forward_directional(case.fn, args, i, tangent)
        expected = float(np.sum(np.asarray(reverse[i]) * tangent))
        assert abs(got - expected) <= 1e-8 + 1e-8 * abs(expected), \
            f"forward mode along argument {i}: {got!r}, reverse-mode gradient . tangent: {expected!r}"


def static_as_tensor_function(fn):
    """``fn`` as a function of Tensors whose backward is the static-mode gradient.

    So ``srcgrad.autograd.gradcheck`` can check a compiled gradient exactly as it checks the tape:
    ``gradcheck(static_as_tensor_function(f), (x,))``. ``fn`` must return a scalar.
    """

    class StaticGradient(srcgrad.autograd.Function):
        @staticmethod
        def forward(ctx, *args):
            ctx.raw = tuple(a.detach().numpy() if isinstance(a, srcgrad.Tensor) else a for a in args)
            return srcgrad.tensor(np.asarray(fn(*ctx.raw), dtype=np.float64))

        @staticmethod
        def backward(ctx, g):
            wrt = tuple(i for i, need in enumerate(ctx.needs_input_grad) if need)
            grads = srcgrad.grad(fn, wrt=wrt)(*ctx.raw, dout=float(g.detach().numpy()))
            out = [None] * len(ctx.raw)
            for i, gi in zip(wrt, grads):
                out[i] = srcgrad.tensor(np.asarray(gi, dtype=np.float64))
            return tuple(out)

    StaticGradient.__name__ = f"Static_{fn.__name__}"
    return StaticGradient.apply


def fd_grad(fn, args, i):
    """Central finite differences of scalar ``fn(*args)`` in argument ``i`` alone."""
    return numeric_grad(fn, tuple(args), (i,))[i]


def check_grad_and_jvp(fn, *args, wrt=0):
    """``srcgrad.grad`` (both optimize settings) and ``srcgrad.jvp`` of ``fn`` at ``args`` agree with
    central finite differences in argument ``wrt`` (for the focused compiler tests outside the corpus)."""
    expected = fd_grad(fn, args, wrt)
    for optimize in (True, False):
        got = srcgrad.grad(fn, wrt=wrt, optimize=optimize)(*args)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
    tangent = np.linspace(0.3, -0.8, np.size(args[wrt])).reshape(np.shape(args[wrt]))
    value, out = srcgrad.jvp(fn, wrt=wrt)(*args, tangent)
    assert np.isclose(value, fn(*args))
    np.testing.assert_allclose(out, np.sum(expected * tangent), rtol=1e-5, atol=1e-7)
