"""Second derivatives and Jacobians from the compiler: ``hvp``, ``hessian``, ``jacobian``.

Each is made of the two transformations the compiler has, so each has source
one can read (``.source``):

* ``hvp(f)`` is forward over reverse: the JVP of ``f``'s generated gradient
  (``jvp(grad(f))``), so ``H @ v`` costs about two gradients and no Hessian is
  formed.
* ``hessian(f)`` is ``hvp`` along each unit vector: one column per element of
  the input (the Hessian of a twice differentiable function is symmetric, so the
  columns are its rows too).
* ``jacobian(f)`` takes the cheaper direction: reverse mode row by row (one
  generated gradient per output element) when the output is smaller than the
  input, forward mode column by column (one JVP per input element) otherwise.
"""

import numpy as np

from ..errors import TransformError
from . import speckey
from .api import GradFunction, JVPFunction
from .draws import SameDraws

__all__ = ["hvp", "hessian", "jacobian", "HVPFunction", "HessianFunction", "JacobianFunction"]


def _one_wrt(made, what):
    if made._wrt_tuple if isinstance(made, GradFunction) else made._tuple:
        raise TransformError(f"srcgrad.{what} takes one wrt parameter (an index or a name), not a tuple")
    return made.wrt[0]


def _one_array(x, what, name, fn):
    """Refuse a ``wrt`` argument that is a list or tuple of arrays of several shapes, or of lists and tuples of
    arrays (``[(W, b), (V, c)]``): its Hessian or Jacobian has no one array's shape."""
    if speckey.kind(x) == 4:
        raise TransformError(
            f"srcgrad.{what} of {fn.__qualname__} with respect to '{name}', a list or tuple of arrays of several shapes (or of tuples or "
            "lists of arrays), is not supported: the result would have no one shape. Pass the arrays as separate "
            "arguments (one wrt each), or np.concatenate their ravelled values into one vector"
        )


def _basis(x):
    """The unit vectors of ``x``'s shape, one per element (``1.0`` for a number)."""
    shape = np.shape(x)
    if not shape and not isinstance(x, np.ndarray):
        yield 1.0
        return
    dtype = x.dtype if isinstance(x, np.ndarray) and x.dtype.kind == "f" else np.float64
    for k in range(int(np.prod(shape, dtype=int))):
        e = np.zeros(shape, dtype=dtype)
        e[np.unravel_index(k, shape)] = 1.0
        yield e


def _stack(parts, out_shape, in_shape, columns):
    """One block per input element (``columns``) or per output element, arranged as ``out_shape + in_shape``."""
    blocks = [np.asarray(p) for p in parts]
    if columns:
        whole = (
            np.stack([np.broadcast_to(b, out_shape) for b in blocks], axis=-1) if blocks else np.zeros(out_shape + (0,))
        )
    else:
        whole = (
            np.stack([np.broadcast_to(b, in_shape) for b in blocks], axis=0) if blocks else np.zeros((0,) + in_shape)
        )
    whole = np.reshape(whole, out_shape + in_shape)
    return whole if whole.shape else whole[()]


class HVPFunction:
    """``H @ v`` of a scalar function by forward over reverse: call with the function's arguments, then ``v``.

    ``.source`` is the generated code (the JVP of the generated gradient);
    ``.gradient`` the ``GradFunction`` it differentiates.
    """

    def __init__(self, fn, wrt=0, optimize=True):
        self.gradient = GradFunction(fn, wrt, optimize=optimize)
        self.wrt = _one_wrt(self.gradient, "hvp")
        self._jvp = JVPFunction(self.gradient, self.wrt, optimize=optimize)
        self.__name__ = self.__qualname__ = f"hvp_{getattr(fn, '__name__', 'f')}"

    def __call__(self, *args, **kwargs):
        """``H @ v``, ``v`` the last positional argument (the shape of the ``wrt`` argument)."""
        if not args:
            raise TypeError(f"{self.__name__} takes the function's arguments and then the vector v")
        return self._jvp(*args, **kwargs)[1]

    @property
    def source(self):
        """The generated code: the JVP of the generated gradient (of the last specialisation called)."""
        return self._jvp.source

    def __repr__(self):
        return f"<HVPFunction of {self.gradient.__qualname__} wrt {self.wrt}>"


class HessianFunction:
    """The Hessian of a scalar function: ``hvp`` along each unit vector of the ``wrt`` argument.

    The result has shape ``x.shape + x.shape`` (a number for a number ``x``).
    """

    def __init__(self, fn, wrt=0, optimize=True):
        self.hvp = HVPFunction(fn, wrt, optimize)
        self.wrt = self.hvp.wrt
        self.__name__ = self.__qualname__ = f"hessian_{getattr(fn, '__name__', 'f')}"

    def __call__(self, *args, **kwargs):
        gradient = self.hvp.gradient
        bound = gradient._signature.bind(*args, **kwargs)
        bound.apply_defaults()
        args = tuple(bound.arguments[p] for p in gradient._params)
        x = args[gradient._params.index(self.wrt)]
        _one_array(x, "hessian", self.wrt, gradient._original)
        shape = np.shape(x)
        draws = SameDraws(gradient._original, args)
        columns = [self.hvp(*args, e) for e in draws.each(_basis(x))]
        if not shape and not isinstance(x, np.ndarray):
            return columns[0]
        return _stack(columns, shape, shape, columns=True)

    @property
    def source(self):
        """The generated code of ``H @ v`` (what runs once per column)."""
        return self.hvp.source

    def __repr__(self):
        return f"<HessianFunction of {self.hvp.gradient.__qualname__} wrt {self.wrt}>"


class JacobianFunction:
    """The Jacobian of a function: shape ``out.shape + x.shape``.

    Reverse mode row by row (the generated gradient with ``dout`` a unit
    vector) when the output has fewer elements than the ``wrt`` argument,
    forward mode column by column (the generated JVP) otherwise. ``.source``
    is the code the last call ran (the gradient's before any call);
    ``.gradient`` and ``.jvp`` are the two transformations.
    """

    def __init__(self, fn, wrt=0, optimize=True):
        self._fn = fn
        self.gradient = GradFunction(fn, wrt, optimize=optimize)
        self.wrt = _one_wrt(self.gradient, "jacobian")
        self.jvp = JVPFunction(fn, self.wrt, optimize=optimize)
        self._last = self.gradient
        self.__name__ = self.__qualname__ = f"jacobian_{getattr(fn, '__name__', 'f')}"

    def __call__(self, *args, **kwargs):
        gradient = self.gradient
        bound = gradient._signature.bind(*args, **kwargs)
        bound.apply_defaults()
        args = tuple(bound.arguments[p] for p in gradient._params)
        x = args[gradient._params.index(self.wrt)]
        _one_array(x, "jacobian", self.wrt, self._fn)
        draws = SameDraws(self._fn, args)
        out = self._fn(*args)
        out_shape, in_shape = np.shape(out), np.shape(x)
        if np.size(out) < np.size(x):
            self._last = gradient
            basis = _basis(np.asarray(out, dtype=float) if out_shape else out)
            rows = [gradient(*args, dout=e) for e in draws.each(basis)]
            if not out_shape and not in_shape and not isinstance(x, np.ndarray):
                return rows[0]
            return _stack(rows, out_shape, in_shape, columns=False)
        self._last = self.jvp
        cols = [self.jvp(*args, e)[1] for e in draws.each(_basis(x))]
        if not out_shape and not in_shape and not isinstance(x, np.ndarray):
            return cols[0]
        return _stack(cols, out_shape, in_shape, columns=True)

    @property
    def source(self):
        """The generated code of the last call's mode (the gradient's before any call)."""
        return self._last.source

    def __repr__(self):
        return f"<JacobianFunction of {self.gradient.__qualname__} wrt {self.wrt}>"


def hvp(fn, wrt=0, *, optimize=True):
    """Hessian-vector products by forward over reverse: ``hvp(f)(*args, v)`` is ``H @ v``.

    Args:
        fn: a function returning a number (or a ``GradFunction``'s function: any ``grad`` accepts).
        wrt: the parameter (index or name) the Hessian is taken with respect to.
        optimize: run the optimize pass.

    Returns:
        An ``HVPFunction``; ``.source`` is the JVP of the generated gradient, no Hessian is formed.

    Raises:
        TransformError: as ``grad`` and ``jvp``; also for a tuple ``wrt``.
    """
    return HVPFunction(fn, wrt, optimize)


def hessian(fn, wrt=0, *, optimize=True):
    """The full Hessian: ``hessian(f)(*args)`` has shape ``x.shape + x.shape``.

    Args:
        fn: a function returning a number.
        wrt: the parameter (index or name).
        optimize: run the optimize pass.

    Returns:
        A ``HessianFunction`` (one ``hvp`` per element of ``x``).

    Raises:
        TransformError: as ``hvp``.
    """
    return HessianFunction(fn, wrt, optimize)


def jacobian(fn, wrt=0, *, optimize=True):
    """The Jacobian: ``jacobian(f)(*args)`` has shape ``out.shape + x.shape``.

    Args:
        fn: a function (or a ``GradFunction``: ``jacobian(grad(f))`` is the Hessian by forward over reverse).
        wrt: the parameter (index or name).
        optimize: run the optimize pass.

    Returns:
        A ``JacobianFunction``: reverse mode row by row or forward mode column by column, whichever does
        fewer passes.

    Raises:
        TransformError: as ``grad`` and ``jvp``.
    """
    return JacobianFunction(fn, wrt, optimize)
