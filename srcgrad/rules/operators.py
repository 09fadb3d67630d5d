"""The ``operator`` module's arithmetic functions, as the operators they stand for.

``operator.mul(a, b)`` is ``a * b``: each is an alias (``defalias``) whose
adaptor applies the operator, so the compiler reads it as it reads ``a * b``
(``np.multiply``'s rule, Python's own arithmetic on Python floats). Dynamic
mode needs nothing: ``operator.mul`` on a Tensor calls ``Tensor.__mul__``.
``operator.getitem`` is a primitive of its own (``indexing.py``). The in-place
forms (``operator.iadd``, ...) write into an ndarray and have no alias: the
compiler refuses them.
"""

import operator

import numpy as np

from .registry import defalias

__all__ = []

defalias(operator.add, lambda a, b: a + b)
defalias(operator.sub, lambda a, b: a - b)
defalias(operator.mul, lambda a, b: a * b)
defalias(operator.truediv, lambda a, b: a / b)
defalias(operator.matmul, lambda a, b: a @ b)
defalias(operator.pow, lambda a, b: a ** b)
defalias(operator.mod, lambda a, b: a % b)
defalias(operator.floordiv, lambda a, b: a // b)
defalias(operator.neg, lambda a: -a)
defalias(operator.pos, lambda a: +a)
defalias(operator.abs, lambda a: abs(a))
defalias(operator.lt, lambda a, b: a < b)
defalias(operator.le, lambda a, b: a <= b)
defalias(operator.gt, lambda a, b: a > b)
defalias(operator.ge, lambda a, b: a >= b)
defalias(operator.eq, lambda a, b: a == b)
defalias(operator.ne, lambda a, b: a != b)
defalias(divmod, lambda a, b: (a // b, a % b))
defalias(np.divmod, lambda x1, x2, /: (np.floor_divide(x1, x2), np.remainder(x1, x2)))
