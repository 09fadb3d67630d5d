"""``gradcheck`` and ``gradgradcheck``: compare gradients with central finite differences.

Both are public (users check their own ``Function``s with them) and the test
suite uses them. A failure names the input, the worst element, both values and
the tolerance, so it says where to look.
"""

import numpy as np

from ..errors import SrcgradError
from .api import grad as _grad
from .grad_mode import enable_grad, no_grad
from .graph import TENSOR

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError", "numerical_jacobian"]


class GradcheckError(SrcgradError, RuntimeError):
    """An analytical gradient differs from the finite-difference one."""


def _tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def numerical_jacobian(func, inputs, eps=1e-6):
    """Central finite differences of every output with respect to every input requiring grad.

    Args:
        func: Tensors -> a Tensor or tuple of Tensors.
        inputs: a tuple of Tensors (and other values, passed through).
        eps: the step.

    Returns:
        ``jac[i][o]``: an array of shape ``(inputs[i].size, outputs[o].size)``.
    """
    Tensor = TENSOR[0]
    inputs = _tuple(inputs)
    base = [o._value for o in _tuple(func(*inputs))]
    jac = []
    for x in inputs:
        if not (isinstance(x, Tensor) and x.requires_grad):
            jac.append(None)
            continue
        if not (isinstance(x._value, np.ndarray) and x._value.flags.c_contiguous and x._value.flags.writeable):
            x._value = np.array(x._value, copy=True)
        flat = x._value.reshape(-1)  # a view: writing into it moves the input
        cols = [np.zeros((flat.size, np.size(b))) for b in base]
        for k in range(flat.size):
            orig = flat[k]
            # Grad mode stays on: ``func`` may itself differentiate (gradgradcheck).
            flat[k] = orig + eps
            plus = [np.asarray(o._value, dtype=np.float64).reshape(-1) for o in _tuple(func(*inputs))]
            flat[k] = orig - eps
            minus = [np.asarray(o._value, dtype=np.float64).reshape(-1) for o in _tuple(func(*inputs))]
            flat[k] = orig
            for c, p, m in zip(cols, plus, minus):
                c[k] = (p - m) / (2 * eps)
        jac.append(cols)
    return jac


def _analytical_jacobian(func, inputs):
    Tensor = TENSOR[0]
    with enable_grad():
        outputs = _tuple(func(*inputs))
    wanted = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    jac = {id(x): [np.zeros((np.size(x._value), np.size(o._value))) for o in outputs] for x in wanted}
    for o_index, out in enumerate(outputs):
        if not out.requires_grad:
            continue
        n = int(np.size(out._value))
        for k in range(n):
            seed = np.zeros(n, dtype=out.dtype)
            seed[k] = 1
            found = _grad(out, wanted, Tensor._wrap(seed.reshape(out.shape)), retain_graph=True, allow_unused=True)
            for x, g in zip(wanted, found):
                if g is not None:
                    jac[id(x)][o_index][:, k] = np.asarray(g._value, dtype=np.float64).reshape(-1)
    return [jac.get(id(x)) for x in inputs]


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0):
    """Check the gradients of ``func`` at ``inputs`` against central finite differences.

    Use float64 inputs: finite differences in float32 are too coarse for the default tolerances.

    Args:
        func: Tensors -> a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of Tensors (those with ``requires_grad`` are checked).
        eps: the finite-difference step.
        atol: absolute tolerance.
        rtol: relative tolerance.
        raise_exception: raise on a mismatch (else return False).
        nondet_tol: accepted for PyTorch compatibility.

    Returns:
        True when every element agrees within ``atol + rtol * |numerical|``.

    Raises:
        GradcheckError: with ``raise_exception``, on the first input that disagrees,
            naming the worst element.
    """
    inputs = _tuple(inputs)
    numerical = numerical_jacobian(func, inputs, eps)
    analytical = _analytical_jacobian(func, inputs)
    for i, (num, ana) in enumerate(zip(numerical, analytical)):
        if num is None:
            continue
        for o, (n, a) in enumerate(zip(num, ana)):
            bad = np.abs(a - n) > atol + rtol * np.abs(n)
            if np.any(bad) or np.any(np.isnan(a) != np.isnan(n)):
                err = np.abs(a - n)
                flat = int(np.nanargmax(np.where(np.isnan(err), np.inf, err)))
                row, col = divmod(flat, a.shape[1])
                msg = (
                    f"Jacobian mismatch for output {o} with respect to input {i}: worst element "
                    f"[input element {row}, output element {col}] analytical {a[row, col]!r} vs numerical "
                    f"{n[row, col]!r} (difference {err[row, col]:.3g}, tolerance {atol + rtol * abs(n[row, col]):.3g})"
                    f"\nanalytical:\n{a}\nnumerical:\n{n}"
                )
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Check second derivatives: ``gradcheck`` of the function's VJP.

    Args:
        func: Tensors -> a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of Tensors.
        grad_outputs: cotangents for the outputs (random when omitted, fixed seed).
        eps, atol, rtol, raise_exception: as for ``gradcheck``.

    Returns:
        True when the second derivatives agree.

    Raises:
        GradcheckError: on a mismatch, with ``raise_exception``.
    """
    Tensor = TENSOR[0]
    inputs = _tuple(inputs)
    with no_grad():
        outputs = _tuple(func(*inputs))
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(Tensor._wrap(rng.standard_normal(o.shape).astype(o.dtype)) for o in outputs)
    grad_outputs = _tuple(grad_outputs)
    wanted = [k for k, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]

    def first_derivative(*xs):
        pairs = [(o, g) for o, g in zip(_tuple(func(*xs)), grad_outputs) if o.requires_grad]
        outs = [o for o, _ in pairs]
        gs = [g for _, g in pairs]
        found = _grad(outs, [xs[k] for k in wanted], gs, create_graph=True, allow_unused=True)
        return tuple(Tensor._wrap(np.zeros_like(xs[k]._value)) if g is None else g for k, g in zip(wanted, found))

    return gradcheck(first_derivative, inputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception)
