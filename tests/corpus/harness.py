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
            k = np.unravel_index(int(np.nanargmax(np.where(np.isnan(err), np.inf, err))), np.shape(e)) if e.ndim else ()
            raise AssertionError(
                f"{what}: gradient of argument {i} disagrees at element {k}: got {g[k]!r}, expected {e[k]!r} "
                f"(|difference| {err[k]:.3g} > {atol} + {rtol} * |expected|)\ngot:\n{g}\nexpected:\n{e}")
