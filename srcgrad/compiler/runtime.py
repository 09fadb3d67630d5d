"""The few helpers generated code calls besides numpy and the rules.

Kept tiny on purpose: everything else the generated code does is written out
in it, so it can be read. They are defined in the rule table
(``srcgrad/rules/generated.py``), beside their rules, which make generated
code differentiable again.
"""

import math

import numpy as np

from ..rules.generated import default_dout, match_shape, stacked_piece

__all__ = ["default_dout", "match_shape", "stacked_piece", "zeros_like_tree", "add_tree", "revolve_marks"]


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


def revolve_marks(steps, free):
    """Where to keep snapshots while running ``steps`` steps forward from one already kept, with ``free`` more
    to spend, so that the steps can then be reversed running each as few times as can be (Griewank's binomial
    schedule, "revolve": with ``s`` snapshots and each step run at most ``r`` more times, ``C(s + r, s)`` steps
    can be reversed).

    Args:
        steps: the number of steps from the kept snapshot to the end of the stretch.
        free: how many more snapshots may be kept.

    Returns:
        The offsets ``0 < p < steps`` of the snapshots to keep, increasing (none when ``free`` is 0 or
        ``steps`` is 1: the stretch's last step is then reached by running the others again).

    Example:
        >>> revolve_marks(10, 2)
        [4, 7]
    """
    marks = []
    at = 0
    while free > 0 and steps - at > 1:
        left = steps - at
        held = free + 1  # the snapshot at ``at`` and the free ones
        runs = 0
        while math.comb(held + runs, held) < left:
            runs += 1
        at += max(1, left - math.comb(held - 1 + runs, held - 1))
        marks.append(at)
        free -= 1
    return marks
