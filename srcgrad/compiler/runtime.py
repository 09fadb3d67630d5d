"""The few helpers generated code calls besides numpy and the rules.

Kept tiny on purpose: everything else the generated code does is written out
in it, so it can be read. They are defined in the rule table
(``srcgrad/rules/generated.py``), beside their rules, which make generated
code differentiable again.
"""

import numpy as np

from ..rules.generated import default_dout, match_shape, stacked_piece

__all__ = ["default_dout", "match_shape", "stacked_piece", "zeros_like_tree", "add_tree"]


def zeros_like_tree(value):
    """Zeros shaped like ``value``, a dict holding dicts (the adjoint of a dict argument with dicts in it).

    Args:
        value: an array or number, or a dict of them (nested to any depth).

    Returns:
        ``np.zeros_like`` of each array or number, in dicts with the same keys.
    """
    if isinstance(value, dict):
        return {k: zeros_like_tree(v) for k, v in value.items()}
    return np.zeros_like(value)


def add_tree(a, b):
    """``a + b`` of two adjoints of one dict holding dicts (key by key), or of two arrays.

    Args:
        a, b: arrays or numbers, or dicts of them with the same keys.

    Returns:
        Their sum, in dicts with the same keys.
    """
    if isinstance(a, dict):
        return {k: add_tree(v, b[k]) for k, v in a.items()}
    return a + b
