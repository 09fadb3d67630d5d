"""The compiler (static mode): ``grad`` reads a numpy function's source and writes its gradient.

The passes, in pipeline order, one module each (``normalize`` and ``reverse`` are packages, a module per
construct lowered and per job):

``parse`` -> ``fence`` -> ``normalize`` -> ``activity`` -> ``reverse`` (or
``forward`` for ``jvp``) -> ``optimize`` -> ``codegen``; ``naming`` and
``inline`` are shared helpers, ``api`` ties them together; ``higher`` builds
``hvp``, ``hessian`` and ``jacobian`` from ``grad`` and ``jvp``.
"""

from .api import GradFunction, clear_cache, custom_vjp, grad, jvp, set_debug, source, value_and_grad
from .higher import hessian, hvp, jacobian

__all__ = [
    "grad",
    "value_and_grad",
    "jvp",
    "hessian",
    "hvp",
    "jacobian",
    "source",
    "custom_vjp",
    "GradFunction",
    "set_debug",
    "clear_cache",
]
