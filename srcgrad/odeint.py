"""The derivative of ``scipy.integrate.odeint`` (``pip install srcgrad[scipy]``), in both modes.

``import srcgrad`` registers it when ``scipy.integrate`` is already imported
(``srcgrad.rules.scipy_rules.load()`` does it later): ``scipy.integrate.odeint``
is replaced by ``odeint`` below, which reads scipy's arguments and calls the
primitive ``odeint_args(func, y0, t, *args, ...)``, each of ``args`` a
positional argument of its own so that each gets a cotangent.

The VJP is the adjoint method. With ``y' = f(y, s, *args)`` and a cotangent
``g[i]`` for each output row ``y(t[i])``, the adjoint ``a`` solves
``a' = -a J_y`` backwards in time, jumping by ``g[i]`` at each ``t[i]``; the
augmented state ``[y, a, p]`` (``p' = -a J_args``) is integrated by ``odeint``
itself from ``t[i]`` back to ``t[i - 1]``, so ``y`` is recomputed backwards
beside ``a``. Then ``dy0 = a(t[0])`` and ``dargs = p(t[0])``. The times'
cotangents are HIPS autograd's ``grad_odeint``'s: ``dt[i] = g[i] . f(y[i], t[i])``
for ``i >= 1``, and ``dt[0]`` is what HIPS integrates as the adjoint's time
component, ``-sum_i g[i] . f(y[i], t[i]) + integral of a . df/ds``, which is
``-a(t[0]+) . f(y0, t[0])`` in closed form (``d(a . f)/ds = a . df/ds`` along the
solution), so ``df/ds`` is never needed. The products ``a J_y`` and
``a J_args`` come from dynamic mode: the user's ``func`` is called on Tensors
and ``srcgrad.autograd.functional.vjp`` differentiates it, which is why this
module sits above the runtime (``srcgrad/rules`` may import neither the runtime
nor the compiler). Static mode reads ``odeint`` like any rule-table adaptor and
calls the same VJPs, on numbers.

In dynamic mode ``args`` may hold lists and tuples of arrays (a network's ``[(W, b), ...]``): each array is an
argument of the primitive of its own, and ``func`` gets them back in their layout; static mode refuses such a
list at the user's line (the compiler reads ``_odeint_read``, whose trailing arguments are arrays one by one).

Not supported, each refused with an error naming it: ``Dfun``/``col_deriv``/
``ml``/``mu`` (a Jacobian for the forward system, which the backward system
does not have), ``full_output``, complex values, and second derivatives.
"""

import threading

import numpy as np
import scipy.integrate

from .autograd.functional import jvp as functional_jvp
from .autograd.functional import vjp as functional_vjp
from .errors import AutogradError
from .rules.registry import defalias, defjvp, defvjp, primitive
from .rules.scipy_patch import not_implemented
from .tensor import Tensor

__all__ = ["odeint", "odeint_args", "odeint_cotangents", "odeint_vjp_y0", "odeint_vjp_t", "odeint_vjp_arg"]

scipy_odeint = getattr(scipy.integrate.odeint, "__wrapped__", scipy.integrate.odeint)
"""scipy's own ``odeint`` (the forward solve)."""

UNSUPPORTED = {
    "Dfun": "a Jacobian of func for the forward solve, which the backward solve cannot use",
    "col_deriv": "the layout of Dfun's Jacobian",
    "full_output": "a dict of the solver's information beside the solution",
    "ml": "a banded Jacobian for the forward solve, which the backward solve cannot use",
    "mu": "a banded Jacobian for the forward solve, which the backward solve cannot use",
}
"""``odeint``'s options srcgrad does not differentiate through, and what each gives."""


def check_options(options):
    """Refuse the options of ``scipy.integrate.odeint`` srcgrad does not differentiate through.

    Args:
        options: the keyword arguments given to ``odeint``.

    Raises:
        NotImplementedError: one of ``UNSUPPORTED`` is given (not its default).
    """
    for name, reason in UNSUPPORTED.items():
        value = options.get(name)
        if value is not None and value is not False and not (type(value) is int and value == 0):
            not_implemented(f"scipy.integrate.odeint with {name} ({reason}): call it without {name}")


def odeint(func, y0, t, args=(), **options):
    """``scipy.integrate.odeint``, differentiable with respect to ``y0``, ``t`` and ``args`` in both modes.

    Args:
        func, y0, t, args: as for ``scipy.integrate.odeint``. ``func`` must be plain numpy code: its derivatives
            are taken in dynamic mode, on Tensors.
        **options: ``tfirst`` and the solver's options (``rtol``, ``atol``, ``mxstep``, ...), by keyword; the
            backward solve uses them too. ``Dfun``, ``col_deriv``, ``full_output``, ``ml``, ``mu`` are refused.

    Returns:
        The array of ``y`` at the times ``t``, of shape ``(len(t), len(y0))``.

    Raises:
        NotImplementedError: an unsupported option is given.
    """
    if any(isinstance(a, (list, tuple)) for a in args):  # a network's [(W, b), ...]: each array an argument
        leaves, rebuild = _flat_args(args)

        def flat_func(first, second, *flat):
            return func(first, second, *rebuild(flat))

        flat_func.__qualname__ = getattr(func, "__qualname__", "func")
        return odeint_args(flat_func, y0, t, *leaves, **options)
    return odeint_args(func, y0, t, *args, **options)


def _odeint_read(func, y0, t, args=(), **options):
    """What the compiler reads for ``odeint`` (its trailing arguments arrays one by one: a list of tuples among
    them is refused at the user's line)."""
    return odeint_args(func, y0, t, *args, **options)


def _flat_args(args):
    """``(leaves, rebuild)``: the arrays (or Tensors, numbers) of ``args``, lists and tuples opened at any depth,
    and a function putting such leaves back in their layout."""
    leaves = []

    def layout(x):
        if isinstance(x, (list, tuple)):
            return (type(x), [layout(item) for item in x])
        leaves.append(x)
        return None

    shapes = [layout(a) for a in args]

    def rebuild(flat):
        items = iter(flat)

        def build(shape):
            if shape is None:
                return next(items)
            kind, parts = shape
            return kind(build(p) for p in parts)

        return tuple(build(shape) for shape in shapes)

    return leaves, rebuild


@primitive
def odeint_args(func, y0, t, *args, tfirst=False, **options):
    """``scipy.integrate.odeint(func, y0, t, args, tfirst=tfirst, **options)`` with each of ``args`` a
    positional argument (so that each has a VJP).

    Raises:
        NotImplementedError: an option of ``UNSUPPORTED`` is given.
    """
    check_options(options)
    return scipy_odeint(_without_tensors(func), y0, t, args=args, tfirst=tfirst, **options)


def _without_tensors(func):
    """``func``, refusing to hand scipy a Tensor that requires grad (a value its derivative would lose)."""

    def checked(*args):
        out = func(*args)
        parts = out if isinstance(out, (list, tuple)) else (out,)
        if any(isinstance(p, Tensor) and p.requires_grad for p in parts):
            raise AutogradError(
                f"scipy.integrate.odeint: the function {getattr(func, '__qualname__', func)!r} returns a Tensor that "
                "requires grad from ndarrays: it reads such a Tensor from outside its arguments (a closure or a "
                "global), whose gradient odeint's derivative cannot see; pass it in args=(...)"
            )
        return out

    return checked


def _is_real_array(x):
    return np.issubdtype(np.result_type(x), np.floating)


def _rhs(func, y, s, args, tfirst):
    out = func(s, y, *args) if tfirst else func(y, s, *args)
    if isinstance(out, (list, tuple)):  # scipy takes a list of components: stack them (recorded on Tensors)
        out = np.stack([o if isinstance(o, Tensor) else Tensor(np.asarray(o, dtype=float)) for o in out])
    return out


def _rhs_vjp(func, y, s, args, tfirst, diff, a):
    """``f(y, s, *args)`` and ``a . df/dy``, ``a . df/dargs[k]`` for ``k`` in ``diff``, on ndarrays."""

    def call(y_t, *diff_args):
        full = list(args)
        for k, p in zip(diff, diff_args):
            full[k] = p
        out = _rhs(func, y_t, s, full, tfirst)
        if not isinstance(out, Tensor):  # a value none of the inputs reached: zero cotangents
            out = Tensor(np.asarray(out, dtype=float))
        return out.reshape(np.shape(a))

    inputs = (Tensor(np.asarray(y, dtype=float)),) + tuple(Tensor(np.asarray(args[k], dtype=float)) for k in diff)
    out, grads = functional_vjp(call, inputs, Tensor(a))
    return out.numpy(), [g.numpy() for g in grads]


def _options_for_augmented(options, sizes):
    """The solver's options for the augmented state: an array ``rtol``/``atol`` (one per component of ``y``)
    is extended over the adjoint's components with its own values and over the arguments' with its smallest."""
    augmented = dict(options)
    ny, nargs = sizes
    for key in ("rtol", "atol"):
        tol = options.get(key)
        if tol is not None and np.ndim(tol) > 0:
            tol = np.broadcast_to(np.asarray(tol, dtype=float), (ny,))
            augmented[key] = np.concatenate([tol, tol, np.full(nargs, np.min(tol))])
    return augmented


_MEMO = threading.local()


def _same(a, b):
    if type(a) is not type(b) and not (isinstance(a, np.ndarray) or isinstance(b, np.ndarray)):
        return False
    try:
        return np.shape(a) == np.shape(b) and bool(np.array_equal(a, b))
    except (TypeError, ValueError):
        return a is b


def _memo_key_matches(key, other):
    (func, tfirst, options, values), (func2, tfirst2, options2, values2) = key, other
    return (
        func is func2
        and tfirst == tfirst2
        and options.keys() == options2.keys()
        and all(_same(options[k], options2[k]) for k in options)
        and len(values) == len(values2)
        and all(_same(u, v) for u, v in zip(values, values2))
    )


def odeint_cotangents(g, ans, func, y0, t, args, tfirst=False, **options):
    """The cotangents of ``y0``, ``t`` and each of ``args`` for ``ans = odeint(func, y0, t, args)``.

    Computed once for the calls of one gradient: the VJPs of ``y0``, ``t`` and each argument call this with the
    same values, and the last result is kept (per thread) with copies of those values, which are compared by value.

    Args:
        g: the cotangent of ``ans``, shape ``(len(t), len(y0))``.
        ans: the forward result.
        func, y0, t, args, tfirst, options: as given to ``odeint_args``.

    Returns:
        ``(dy0, dt, dargs)``: ``dargs`` a list with one entry per argument (zeros for an argument that is not
        a real number or array).

    Raises:
        NotImplementedError: for a second derivative (a Tensor among the values) or complex values.
    """
    values = (g, ans, y0, t) + tuple(args)
    if any(isinstance(v, Tensor) for v in values):  # (the VJPs are primitives: they get ndarrays)
        refuse_second_order()
    if any(np.iscomplexobj(v) for v in values):
        not_implemented("scipy.integrate.odeint of complex values")
    key = (func, tfirst, options, tuple(np.array(v, copy=True) if isinstance(v, np.ndarray) else v for v in values))
    last = getattr(_MEMO, "last", None)
    if last is not None and _memo_key_matches(last[0], key):
        return last[1]
    result = _adjoint(g, ans, func, y0, t, args, tfirst, options)
    _MEMO.last = (key, result)
    return result


def _adjoint(g, ans, func, y0, t, args, tfirst, options):
    ys = np.asarray(ans, dtype=float)
    g = np.broadcast_to(np.asarray(g, dtype=float), ys.shape)
    times = np.asarray(t, dtype=float)
    n_times, ny = ys.shape
    diff = [k for k, p in enumerate(args) if _is_real_array(p)]
    sizes = [int(np.size(args[k])) for k in diff]
    offsets = np.cumsum([0] + sizes)
    nargs = int(offsets[-1])
    augmented_options = _options_for_augmented(options, (ny, nargs))

    def augmented(state, s):
        y, a = state[:ny], state[ny : 2 * ny]
        dy, (da_y, *da_args) = _rhs_vjp(func, y, s, args, tfirst, diff, -a)
        return np.concatenate([dy.reshape(-1), da_y.reshape(-1)] + [d.reshape(-1) for d in da_args])

    a = np.zeros(ny)  # the adjoint of y, between output times
    p = np.zeros(nargs)  # the arguments' cotangents, integrated so far
    dt = np.zeros(n_times)
    for i in range(n_times - 1, 0, -1):
        a = a + g[i]
        dt[i] = np.dot(g[i], _rhs_value(func, ys[i], times[i], args, tfirst))
        start = np.concatenate([ys[i], a, p])
        back = scipy_odeint(augmented, start, np.array([times[i], times[i - 1]]), **augmented_options)
        a, p = back[1, ny : 2 * ny], back[1, 2 * ny :]
    dt[0] = -np.dot(a, _rhs_value(func, ys[0], times[0], args, tfirst))
    a = a + g[0]
    dy0 = np.reshape(a, np.shape(y0))
    dargs = [np.zeros(np.shape(p_)) for p_ in args]
    for j, k in enumerate(diff):
        dargs[k] = np.reshape(p[offsets[j] : offsets[j + 1]], np.shape(args[k]))
    return dy0, np.reshape(dt, np.shape(t)), dargs


def _rhs_value(func, y, s, args, tfirst):
    """``f(y, s, *args)`` as a flat ndarray."""
    return np.reshape(np.asarray(func(s, y, *args) if tfirst else func(y, s, *args), dtype=float), -1)


@primitive
def odeint_vjp_y0(g, ans, func, y0, t, *args, tfirst=False, **options):
    """The cotangent of ``y0`` (``odeint_args``'s VJP; a primitive, so that a second derivative is refused)."""
    return odeint_cotangents(g, ans, func, y0, t, args, tfirst, **options)[0]


@primitive
def odeint_vjp_t(g, ans, func, y0, t, *args, tfirst=False, **options):
    """The cotangent of ``t`` (``odeint_args``'s VJP)."""
    return odeint_cotangents(g, ans, func, y0, t, args, tfirst, **options)[1]


@primitive
def odeint_vjp_arg(g, ans, func, y0, t, *args, position, tfirst=False, **options):
    """The cotangent of ``args[position]``."""
    return odeint_cotangents(g, ans, func, y0, t, args, tfirst, **options)[2][position]


def _vjp_all(g, ans, func, y0, t, *args, argnums, tfirst=False, **options):
    """The cotangents of the arguments at ``argnums``, from one backward solve (the tape's form)."""
    found = []
    for i in argnums:
        if i == 1:
            found.append(odeint_vjp_y0(g, ans, func, y0, t, *args, tfirst=tfirst, **options))
        elif i == 2:
            found.append(odeint_vjp_t(g, ans, func, y0, t, *args, tfirst=tfirst, **options))
        else:
            found.append(odeint_vjp_arg(g, ans, func, y0, t, *args, position=i - 3, tfirst=tfirst, **options))
    return found


def refuse_second_order(*args, **kwargs):
    """The VJP and JVP of ``odeint``'s VJPs: a second derivative of ``odeint`` is refused, never a zero.

    Raises:
        NotImplementedError: always.
    """
    not_implemented(
        "the second derivative of scipy.integrate.odeint (its gradient is computed by solving the adjoint "
        "system backwards, not recorded)"
    )


def _rhs_jvp(func, y, s, args, tfirst, k, v, tp):
    """``f(y, s, *args)`` and its derivative along ``v`` (of ``y``) and ``tp`` (of ``args[k]``; ``k`` None: none),
    on ndarrays."""

    def call(y_t, *arg):
        full = list(args)
        if arg:
            full[k] = arg[0]
        out = _rhs(func, y_t, s, full, tfirst)
        if not isinstance(out, Tensor):  # a value none of the inputs reached: a zero tangent
            out = Tensor(np.asarray(out, dtype=float))
        return out.reshape(np.shape(v))

    inputs, tangents = [Tensor(np.asarray(y, dtype=float))], [Tensor(v)]
    if k is not None:
        inputs.append(Tensor(np.asarray(args[k], dtype=float)))
        tangents.append(Tensor(np.asarray(tp, dtype=float)))
    out, tangent = functional_jvp(call, tuple(inputs), tuple(tangents))
    return out.numpy(), tangent.numpy()


def odeint_tangent(func, y0, t, args, tfirst, options, ty0=None, tt=None, k=None, tp=None):
    """The tangent of ``odeint(func, y0, t, args)`` along ``ty0`` (of ``y0``), ``tt`` (of ``t``) or ``tp`` (of
    ``args[k]``), one of them given: forward sensitivities, ``v' = J_y v + J_args tp``, integrated beside ``y``.

    A tangent of the times moves the start (``v(t[0]) = -f(y0, t[0]) tt[0]``) and each output along the
    solution (``+ f(y[i], t[i]) tt[i]``).

    Returns:
        An array of ``odeint``'s shape ``(len(t), len(y0))``.

    Raises:
        NotImplementedError: complex values.
    """
    if any(np.iscomplexobj(x) for x in (y0, t, ty0, tt, tp) + tuple(args)):
        not_implemented("scipy.integrate.odeint of complex values")
    times = np.asarray(t, dtype=float)
    start = np.reshape(np.asarray(y0, dtype=float), -1)
    ny = start.size
    v0 = np.zeros(ny) if ty0 is None else np.reshape(np.asarray(ty0, dtype=float), -1)
    if tt is not None:
        tt = np.reshape(np.asarray(tt, dtype=float), -1)
        v0 = v0 - _rhs_value(func, start, times[0], args, tfirst) * tt[0]

    def augmented(state, s):
        y, v = state[:ny], state[ny:]
        dy, dv = _rhs_jvp(func, y, s, args, tfirst, k, v, tp)
        return np.concatenate([np.reshape(dy, -1), np.reshape(dv, -1)])

    both = scipy_odeint(augmented, np.concatenate([start, v0]), times, **_options_for_augmented(options, (ny, 0)))
    tangent = both[:, ny:]
    if tt is not None:
        rates = np.stack([_rhs_value(func, both[i, :ny], times[i], args, tfirst) for i in range(len(times))])
        tangent = tangent + rates * tt[:, None]
    return tangent


@primitive
def odeint_jvp_y0(ty0, ans, func, y0, t, *args, tfirst=False, **options):
    """The tangent of ``odeint_args`` along ``ty0`` (its JVP; a primitive, so that a second derivative is refused)."""
    return odeint_tangent(func, y0, t, args, tfirst, options, ty0=ty0)


@primitive
def odeint_jvp_t(tt, ans, func, y0, t, *args, tfirst=False, **options):
    """The tangent of ``odeint_args`` along ``tt``, a tangent of the times."""
    return odeint_tangent(func, y0, t, args, tfirst, options, tt=np.broadcast_to(tt, np.shape(t)))


@primitive
def odeint_jvp_arg(tp, ans, func, y0, t, *args, position, tfirst=False, **options):
    """The tangent of ``odeint_args`` along ``tp``, a tangent of ``args[position]``."""
    if not _is_real_array(args[position]):
        return np.zeros(np.shape(ans))
    return odeint_tangent(
        func, y0, t, args, tfirst, options, k=position, tp=np.broadcast_to(tp, np.shape(args[position]))
    )


# odeint_args's VJPs and JVPs, as the rule contract spells them (g or a tangent, ans, the arguments): calls of
# the primitives above.
def vjp_y0(g, ans, func, y0, t, *args, tfirst=False, **options):
    return odeint_vjp_y0(g, ans, func, y0, t, *args, tfirst=tfirst, **options)


def vjp_t(g, ans, func, y0, t, *args, tfirst=False, **options):
    return odeint_vjp_t(g, ans, func, y0, t, *args, tfirst=tfirst, **options)


def vjp_arg(g, ans, func, y0, t, *args, argnum, tfirst=False, **options):
    return odeint_vjp_arg(g, ans, func, y0, t, *args, position=argnum - 3, tfirst=tfirst, **options)


defvjp(
    odeint_args,
    None,
    vjp_y0,
    vjp_t,
    vjp_arg,
    name="odeint",
    backward_name="OdeintBackward0",
    variadic=True,
    vjp_all=_vjp_all,
)


def jvp_y0(ty0, ans, func, y0, t, *args, tfirst=False, **options):
    return odeint_jvp_y0(ty0, ans, func, y0, t, *args, tfirst=tfirst, **options)


def jvp_t(tt, ans, func, y0, t, *args, tfirst=False, **options):
    return odeint_jvp_t(tt, ans, func, y0, t, *args, tfirst=tfirst, **options)


def jvp_arg(tp, ans, func, y0, t, *args, argnum, tfirst=False, **options):
    return odeint_jvp_arg(tp, ans, func, y0, t, *args, position=argnum - 3, tfirst=tfirst, **options)


defjvp(odeint_args, None, jvp_y0, jvp_t, jvp_arg)
for _derivative in (odeint_vjp_y0, odeint_vjp_t, odeint_vjp_arg, odeint_jvp_y0, odeint_jvp_t, odeint_jvp_arg):
    defvjp(_derivative, refuse_second_order, variadic=True)
    defjvp(_derivative, refuse_second_order)

defalias(odeint, _odeint_read)
scipy.integrate.odeint = odeint  # where scipy keeps it (code that imported it by name before keeps scipy's)
