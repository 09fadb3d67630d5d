"""The few helpers generated code calls besides numpy and the rules.

Kept tiny on purpose: everything else the generated code does is written out
in it, so it can be read.
"""

import numpy as np

__all__ = ["default_dout"]


def default_dout(result):
    """The output cotangent when the caller gave none: 1.0 for a scalar output.

    Args:
        result: the value the differentiated function returned.

    Returns:
        ``1.0``.

    Raises:
        ValueError: ``result`` has more than one element (pass ``dout=``).
    """
    if np.ndim(result) == 0 or np.size(result) == 1 and np.ndim(result) == 0:
        return 1.0
    raise ValueError(
        f"the function returned an array of shape {np.shape(result)}; a gradient of a non-scalar output "
        "needs its cotangent: call the gradient with dout=<array of that shape>")
