"""Second-order modes: Hessian-vector products of a generated program, every way srcgrad offers one.

For one real differentiated argument ``x`` (the first) and a random direction ``v`` of its shape, each mode
computes ``H v``, the Hessian of ``f`` with respect to ``x`` (the other arguments held) times ``v``:

* ``hvp``: ``srcgrad.hvp(f, wrt=i)(*args, v)`` (forward over reverse, static);
* ``hessian``: ``srcgrad.hessian(f, wrt=i)(*args)`` contracted with ``v``;
* ``grad2``: ``srcgrad.grad(srcgrad.grad(f, wrt=i), wrt=i)(*args, dout=v)`` (reverse over reverse);
* ``jac-grad``: ``srcgrad.jacobian(srcgrad.grad(f, wrt=i), wrt=i)(*args)`` contracted with ``v``;
* ``dyn-hvp``: ``srcgrad.autograd.functional.hvp`` on the tape (double backward);
* ``dyn-hessian``: ``srcgrad.autograd.functional.hessian`` contracted with ``v``.

The oracle shares no code with srcgrad: mixed central differences of ``f`` itself,
``(H v)_k = [f(x + h e_k + h v) - f(x + h e_k - h v) - f(x - h e_k + h v) + f(x - h e_k - h v)] / 4h^2``,
trusted where two other step sizes agree with it (no kink nearby).
"""

import numpy as np

import srcgrad
from srcgrad.autograd import functional

ORDER2_MODES = ("hvp", "hessian", "grad2", "jac-grad", "dyn-hvp", "dyn-hessian")
H2 = 1e-4
CHECK_H2 = (3e-4, 3e-5)
RTOL2 = 1e-3


def order2_argument(program):
    """The index of the first differentiated argument with real values, or ``None``."""
    for i in program.wrt:
        v = program.params[i].value
        if isinstance(v, float) or (isinstance(v, np.ndarray) and v.dtype.kind == "f"):
            return i
    return None


def direction(program, i):
    """The direction ``v`` the products are taken along (fixed per program)."""
    value = program.params[i].value
    rng = np.random.default_rng(11)
    if isinstance(value, float):
        return float(rng.normal())
    return rng.normal(size=value.shape).astype(value.dtype)


def fd_hvp(loaded, i, v, h=H2):
    """``H v`` by mixed central differences of the plain function (float64)."""
    from .oracle import _at

    base = loaded.program.params[i].value
    if isinstance(base, float):
        corners = [_at(loaded, i, base + a * h + b * h * v) for a, b in ((1, 1), (1, -1), (-1, 1), (-1, -1))]
        return (corners[0] - corners[1] - corners[2] + corners[3]) / (4 * h * h)
    base = base.astype(np.float64)
    v = np.asarray(v, dtype=np.float64)
    out = np.zeros(base.shape)
    for k in np.ndindex(base.shape):
        corners = []
        for a, b in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
            x = np.array(base + b * h * v)  # (an array also for a 0-d argument)
            x[k] += a * h
            corners.append(_at(loaded, i, x))
        out[k] = (corners[0] - corners[1] - corners[2] + corners[3]) / (4 * h * h)
    return out


def contract(matrix, v):
    """A Hessian of shape ``x.shape + x.shape`` times ``v`` (shape ``x.shape``)."""
    m = np.asarray(matrix.detach().numpy() if isinstance(matrix, srcgrad.Tensor) else matrix)
    return np.tensordot(m, np.asarray(v), axes=np.ndim(v)) if np.ndim(v) else m * v


def run_order2(loaded, mode, i, v):
    """``H v`` as ``mode`` computes it (an ndarray, or a float for a float argument)."""
    program = loaded.program
    fn, args = loaded.fn, program.args()
    if mode == "hvp":
        out = srcgrad.hvp(fn, wrt=i)(*args, v)
    elif mode == "hessian":
        out = contract(srcgrad.hessian(fn, wrt=i)(*args), v)
    elif mode == "grad2":
        out = srcgrad.grad(srcgrad.grad(fn, wrt=i), wrt=i)(*args, dout=v)
    elif mode == "jac-grad":
        out = contract(srcgrad.jacobian(srcgrad.grad(fn, wrt=i), wrt=i)(*args), v)
    else:
        rest = list(args)

        def at(t):
            rest[i] = t
            return fn(*rest)

        x = srcgrad.tensor(np.asarray(args[i]))
        if mode == "dyn-hvp":
            out = functional.hvp(at, x, srcgrad.tensor(np.asarray(v)))[1]
        else:
            out = contract(functional.hessian(at, x), v)
    if isinstance(out, srcgrad.Tensor):
        out = out.detach().numpy()
    return out


def expected(loaded):
    """``(i, v, fd H v)`` of a prepared program, computed once; ``None`` when no argument is real."""
    if getattr(loaded, "order2", None) is None:
        i = order2_argument(loaded.program)
        loaded.order2 = (
            () if i is None else (i, direction(loaded.program, i), fd_hvp(loaded, i, direction(loaded.program, i)))
        )
    return loaded.order2 or None


def fd2_stable(loaded, i, v, want, atol, rtol=RTOL2):
    """Do second differences at the other steps agree with ``want`` (no kink or branch nearby)?"""
    for h in CHECK_H2:
        other = fd_hvp(loaded, i, v, h)
        if not np.all(np.abs(np.asarray(other) - want) <= 10 * (atol + rtol * np.abs(want))):
            return False
    return True
