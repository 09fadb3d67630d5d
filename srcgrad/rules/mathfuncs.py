"""Rules of the ``math`` module and of the builtins ``abs``, ``max`` and ``min``.

These primitives take and return Python floats, so the rule bodies use ``math.*``
and plain arithmetic: code the compiler generates for scalar functions stays
float arithmetic, with no numpy call in it. (The tape cannot record ``math``
calls on Tensors, so these rules serve the compiler and first-order use.)

Conventions: ``fabs``/``abs`` have gradient 0 at 0; ``max``/``min`` of two
equal values split ``g`` in halves; ``pow(x, y)``'s ``d/dy`` is 0 at ``x == 0``
and raises ``ValueError`` (math domain error) for ``x < 0``, where it does not
exist; ``d/dx`` is exactly 0 for ``y == 0``.
"""

import math

from .registry import defjvp, defnondiff, defvjp

__all__ = []


defvjp(math.sin,
       lambda g, ans, x: g * math.cos(x),
       backward_name="SinBackward0")
defjvp(math.sin,
       lambda t, ans, x: t * math.cos(x))

defvjp(math.cos,
       lambda g, ans, x: -g * math.sin(x),
       backward_name="CosBackward0")
defjvp(math.cos,
       lambda t, ans, x: -t * math.sin(x))

defvjp(math.tan,
       lambda g, ans, x: g * (1 + ans * ans),
       backward_name="TanBackward0")
defjvp(math.tan,
       lambda t, ans, x: t * (1 + ans * ans))

defvjp(math.asin,
       lambda g, ans, x: g / math.sqrt(1 - x * x),
       backward_name="AsinBackward0")
defjvp(math.asin,
       lambda t, ans, x: t / math.sqrt(1 - x * x))

defvjp(math.acos,
       lambda g, ans, x: -g / math.sqrt(1 - x * x),
       backward_name="AcosBackward0")
defjvp(math.acos,
       lambda t, ans, x: -t / math.sqrt(1 - x * x))

defvjp(math.atan,
       lambda g, ans, x: g / (1 + x * x),
       backward_name="AtanBackward0")
defjvp(math.atan,
       lambda t, ans, x: t / (1 + x * x))

defvjp(math.atan2,  # ans = atan2(y, x)
       lambda g, ans, y, x: g * x / (x * x + y * y),
       lambda g, ans, y, x: -g * y / (x * x + y * y),
       backward_name="Atan2Backward0")
defjvp(math.atan2,
       lambda t, ans, y, x: t * x / (x * x + y * y),
       lambda t, ans, y, x: -t * y / (x * x + y * y))

defvjp(math.sinh,
       lambda g, ans, x: g * math.cosh(x),
       backward_name="SinhBackward0")
defjvp(math.sinh,
       lambda t, ans, x: t * math.cosh(x))

defvjp(math.cosh,
       lambda g, ans, x: g * math.sinh(x),
       backward_name="CoshBackward0")
defjvp(math.cosh,
       lambda t, ans, x: t * math.sinh(x))

defvjp(math.tanh,
       lambda g, ans, x: g * (1 - ans * ans),
       backward_name="TanhBackward0")
defjvp(math.tanh,
       lambda t, ans, x: t * (1 - ans * ans))

defvjp(math.exp,
       lambda g, ans, x: g * ans,
       backward_name="ExpBackward0")
defjvp(math.exp,
       lambda t, ans, x: t * ans)

defvjp(math.expm1,
       lambda g, ans, x: g * (ans + 1),
       backward_name="Expm1Backward0")
defjvp(math.expm1,
       lambda t, ans, x: t * (ans + 1))

# math.log(x) and math.log(x, base) = ln(x) / ln(base)
defvjp(math.log,
       lambda g, ans, x, base=math.e: g / (x * math.log(base)),
       lambda g, ans, x, base: -g * ans / (base * math.log(base)),
       backward_name="LogBackward0")
defjvp(math.log,
       lambda t, ans, x, base=math.e: t / (x * math.log(base)),
       lambda t, ans, x, base: -t * ans / (base * math.log(base)))

defvjp(math.log1p,
       lambda g, ans, x: g / (1 + x),
       backward_name="Log1PBackward0")
defjvp(math.log1p,
       lambda t, ans, x: t / (1 + x))

defvjp(math.log2,
       lambda g, ans, x: g / (x * math.log(2.0)),
       backward_name="Log2Backward0")
defjvp(math.log2,
       lambda t, ans, x: t / (x * math.log(2.0)))

defvjp(math.log10,
       lambda g, ans, x: g / (x * math.log(10.0)),
       backward_name="Log10Backward0")
defjvp(math.log10,
       lambda t, ans, x: t / (x * math.log(10.0)))

defvjp(math.sqrt,
       lambda g, ans, x: g * 0.5 / ans,
       backward_name="SqrtBackward0")
defjvp(math.sqrt,
       lambda t, ans, x: t * 0.5 / ans)

defvjp(math.pow,
       lambda g, ans, x, y: g * y * math.pow(x, y - 1 + (y == 0)),
       lambda g, ans, x, y: g * ans * math.log(x + (x == 0)),
       backward_name="PowBackward0")
defjvp(math.pow,
       lambda t, ans, x, y: t * y * math.pow(x, y - 1 + (y == 0)),
       lambda t, ans, x, y: t * ans * math.log(x + (x == 0)))

defvjp(math.hypot,  # two arguments
       lambda g, ans, x, y: g * x / (ans + (ans == 0)),
       lambda g, ans, x, y: g * y / (ans + (ans == 0)),
       backward_name="HypotBackward0")
defjvp(math.hypot,
       lambda t, ans, x, y: t * x / (ans + (ans == 0)),
       lambda t, ans, x, y: t * y / (ans + (ans == 0)))

defvjp(math.erf,
       lambda g, ans, x: g * (2.0 / math.sqrt(math.pi)) * math.exp(-x * x),
       backward_name="ErfBackward0")
defjvp(math.erf,
       lambda t, ans, x: t * (2.0 / math.sqrt(math.pi)) * math.exp(-x * x))

defvjp(math.erfc,
       lambda g, ans, x: -g * (2.0 / math.sqrt(math.pi)) * math.exp(-x * x),
       backward_name="ErfcBackward0")
defjvp(math.erfc,
       lambda t, ans, x: -t * (2.0 / math.sqrt(math.pi)) * math.exp(-x * x))

# |x| and fabs: gradient 0 at 0. ``g * (x > 0) - g * (x < 0)`` is float arithmetic
# on floats and keeps the dtype on arrays.
defvjp(math.fabs,
       lambda g, ans, x: g * (x > 0) - g * (x < 0),
       backward_name="AbsBackward0")
defjvp(math.fabs,
       lambda t, ans, x: t * (x > 0) - t * (x < 0))

defvjp(abs,
       lambda g, ans, x: g * (x > 0) - g * (x < 0),
       backward_name="AbsBackward0")
defjvp(abs,
       lambda t, ans, x: t * (x > 0) - t * (x < 0))

# max(x, y) / min(x, y) of two numbers: ties split g in halves.
defvjp(max,
       lambda g, ans, x, y: g * (x > y) + g * (x == y) * 0.5,
       lambda g, ans, x, y: g * (y > x) + g * (x == y) * 0.5,
       backward_name="MaximumBackward0")
defjvp(max,
       lambda t, ans, x, y: t * (x > y) + t * (x == y) * 0.5,
       lambda t, ans, x, y: t * (y > x) + t * (x == y) * 0.5)

defvjp(min,
       lambda g, ans, x, y: g * (x < y) + g * (x == y) * 0.5,
       lambda g, ans, x, y: g * (y < x) + g * (x == y) * 0.5,
       backward_name="MinimumBackward0")
defjvp(min,
       lambda t, ans, x, y: t * (x < y) + t * (x == y) * 0.5,
       lambda t, ans, x, y: t * (y < x) + t * (x == y) * 0.5)

defnondiff(math.floor, math.ceil, math.trunc, round, math.isnan, math.isinf, math.isfinite, math.isclose)
