"""Rules of ``np.einsum``: the variadic primitive ``einsum_args`` and the cotangent of one operand.

* ``np.einsum(subscripts, *operands)`` is an alias of the variadic primitive
  ``einsum_args(subscripts, *operands)``; the string form of ``subscripts``
  and the interleaved form with constant sublists are supported, with an
  ellipsis anywhere, broadcasting, repeated labels (``"ii->i"``, ``"ii"``) and
  the implicit output.
* ``einsum_cotangent`` is the cotangent of one operand (``einsum_vjp``) as a
  primitive, for a derivative of a derivative: its rules are einsums again."""

import string

import numpy as np

from .broadcast import shape_of
from .helpers import conj, dtype_of
from .registry import defalias, defjvp, defnondiff, defvjp, primitive

__all__ = [
    "einsum_args",
    "einsum_vjp",
    "einsum_plan",
    "einsum_labels",
    "EinsumPlan",
    "replace_arg",
    "einsum_cotangent",
    "einsum_cotangent_operand_vjp",
    "einsum_cotangent_operand_jvp",
    "einsum_sublist_subscripts",
]


# ---------------------------------------------------------------- einsum
@primitive
def einsum_args(subscripts, *operands, optimize=False):
    """``np.einsum(subscripts, *operands)``: the primitive ``np.einsum`` is an alias of."""
    return np.einsum(subscripts, *operands, optimize=optimize)


class EinsumPlan:
    """How to compute one operand's cotangent in ``np.einsum(subscripts, *operands)``.

    Attributes:
        subscripts: the backward einsum, over ``g``, the other operands (in order)
            and one identity matrix per entry of ``eyes``.
        eyes: the sizes of the identity matrices that tie a repeated label back.
        kept: the shape to reshape the backward einsum's result to (length 1 on
            the axes of labels only this operand carries), or ``None`` when its
            result already has the operand's shape.
        shape: the operand's shape (the result is broadcast to it from ``kept``).
    """

    __slots__ = ("subscripts", "eyes", "kept", "shape")

    def __init__(self, subscripts, eyes, kept, shape):
        self.subscripts, self.eyes, self.kept, self.shape = subscripts, eyes, kept, shape


def _tokens(spec):
    """The labels of one operand's spec, ``"..."`` as one token."""
    head, dots, tail = spec.partition("...")
    if "." in head or "." in tail:
        raise ValueError(f"einsum subscripts {spec!r}: a '.' that is not part of one '...'")
    return list(head) + (["..."] if dots else []) + list(tail)


def einsum_labels(subscripts, shapes):
    """Every operand's axes and the output's as explicit one-letter labels.

    The ellipsis is expanded into fresh letters, right-aligned across operands as
    numpy broadcasts it; an implicit output (no ``->``) is numpy's: the ellipsis
    axes, then the labels used once, in ASCII order.

    Args:
        subscripts: the einsum string.
        shapes: the operands' shapes.

    Returns:
        ``(labels, output, sizes, fresh)``: one list of labels per operand, the
        output's list, ``{label: length}`` after broadcasting, and an iterator of
        letters not used yet.
    """
    s = subscripts.replace(" ", "")
    inputs, arrow, output = s.partition("->")
    specs = inputs.split(",")
    if len(specs) != len(shapes):
        raise ValueError(f"einsum subscripts {subscripts!r} name {len(specs)} operands, got {len(shapes)}")
    fresh = iter([c for c in string.ascii_letters if c not in s])
    tokens = [_tokens(spec) for spec in specs]
    ell = [len(shape) - (len(tok) - 1) if "..." in tok else 0 for tok, shape in zip(tokens, shapes)]
    width = max(ell, default=0)
    dots = [next(fresh) for _ in range(width)]
    labels = []
    for tok, shape, n in zip(tokens, shapes, ell):
        out = []
        for t in tok:
            out += dots[width - n:] if t == "..." else [t]
        if len(out) != len(shape):
            raise ValueError(f"einsum subscripts {subscripts!r}: an operand of shape {tuple(shape)} for {tok}")
        labels.append(out)
    sizes = {}
    for labs, shape in zip(labels, shapes):
        for lab, n in zip(labs, shape):
            if n != 1 or lab not in sizes:
                sizes[lab] = n
    if arrow:
        out_labels = []
        for t in _tokens(output):
            out_labels += dots if t == "..." else [t]
    else:
        named = [t for tok in tokens for t in tok if t != "..."]
        out_labels = dots + sorted(c for c in set(named) if named.count(c) == 1)
    return labels, out_labels, sizes, fresh


def einsum_plan(subscripts, operands, i):
    """The ``EinsumPlan`` of ``operands[i]``'s cotangent (shape arithmetic only)."""
    shapes = [shape_of(op) for op in operands]
    labels, output, sizes, fresh = einsum_labels(subscripts, shapes)
    # an axis numpy broadcast from length 1 carries a label of its own (only its operand has it)
    labels = [[next(fresh) if n == 1 and sizes[lab] != 1 else lab for lab, n in zip(labs, shape)]
              for labs, shape in zip(labels, shapes)]
    shape = shapes[i]
    own, ties, seen = [], [], set()
    for lab, n in zip(labels[i], shape):
        if lab in seen:  # a repeated label (a diagonal): a fresh one, tied back by an identity
            new = next(fresh)
            ties.append((lab, new, n))
            own.append(new)
        else:
            seen.add(lab)
            own.append(lab)
    others = [labs for j, labs in enumerate(labels) if j != i] + [[a, b] for a, b, _ in ties]
    present = set(output).union(*others)
    target = [lab for lab in own if lab in present]  # labels only this operand has are summed: broadcast back
    text = ",".join("".join(labs) for labs in [output] + others) + "->" + "".join(target)
    kept = None if len(target) == len(own) else tuple(n if lab in present else 1 for lab, n in zip(own, shape))
    return EinsumPlan(text, [n for _, _, n in ties], kept, tuple(shape))


def einsum_vjp(g, subscripts, operands, i, optimize=False):
    """Cotangent of ``operands[i]`` in ``np.einsum(subscripts, *operands)``.

    The cotangent is itself an einsum, of ``g`` with the conjugates of the other operands (``einsum_plan`` writes its subscripts: the ellipsis made explicit,
    broadcast axes and labels only this operand carries summed and broadcast
    back, a repeated label tied back by an identity matrix).
    """
    plan = einsum_plan(subscripts, operands, i)
    others = [conj(op) for j, op in enumerate(operands) if j != i]
    eyes = [np.eye(n, dtype=dtype_of(operands[i])) for n in plan.eyes]
    res = np.einsum(plan.subscripts, g, *others, *eyes, optimize=optimize)
    return res if plan.kept is None else np.broadcast_to(np.reshape(res, plan.kept), plan.shape)


def replace_arg(args, i, value):
    """``args`` (a tuple) with ``args[i]`` replaced by ``value``."""
    return args[:i] + (value,) + args[i + 1 :]


defvjp(einsum_args,
       None,
       lambda g, ans, subscripts, *operands, optimize=False, argnum: einsum_vjp(g, subscripts, operands, argnum - 1, optimize),
       variadic=True, backward_name="EinsumBackward0", complex=True)
defjvp(einsum_args,
       None,
       lambda t, ans, subscripts, *operands, optimize=False, argnum: einsum_args(subscripts, *replace_arg(operands, argnum - 1, t), optimize=optimize))


# The cotangent einsum_vjp computes, as a primitive, for a derivative of a derivative: it is linear in g and in the
# conjugates of the operands other than operands[i], and Re<c, einsum_cotangent(g, subscripts, i, *ops)> =
# Re<g, einsum(ops with ops[i] = c)>, so its derivatives are einsums and einsum cotangents again. The same formulas
# hold for complex values: the cotangent of operands[j] (j != i) is einsum_vjp(g, ops with ops[i] = c, j), whose
# conjugates are those of the antilinear dependence, and a tangent t of operands[j] enters conjugated, as
# einsum_vjp conjugates it.
@primitive
def einsum_cotangent(g, subscripts, i, *operands, optimize=False):
    """``einsum_vjp(g, subscripts, operands, i)`` with the operands spread: the cotangent of ``operands[i]``."""
    return einsum_vjp(g, subscripts, operands, i, optimize)


def einsum_cotangent_operand_vjp(c, g, subscripts, i, operands, j, optimize=False):
    """The cotangent of ``operands[j]`` in ``einsum_cotangent(g, subscripts, i, *operands)``, given ``c``.

    Args:
        c: the cotangent of the result (``operands[i]``'s shape).
        g, subscripts, i, operands, optimize: the call's arguments.
        j: which operand.

    Returns:
        ``einsum_cotangent(g, subscripts, j, *operands with operands[i] = c)``; zeros for ``j == i`` (not read).
    """
    if j == i:
        return np.zeros_like(operands[j])
    return einsum_vjp(g, subscripts, replace_arg(operands, i, c), j, optimize)


def einsum_cotangent_operand_jvp(t, g, subscripts, i, operands, j, optimize=False):
    """The tangent of ``einsum_cotangent(g, subscripts, i, *operands)`` from ``operands[j]``'s tangent ``t``.

    Returns:
        ``einsum_cotangent`` with ``operands[j]`` replaced by ``t``; zeros for ``j == i`` (not read).
    """
    if j == i:
        return np.zeros_like(operands[i])
    return einsum_vjp(g, subscripts, replace_arg(operands, j, t), i, optimize)


defvjp(einsum_cotangent,
       lambda c, ans, g, subscripts, i, *operands, optimize=False: einsum_args(subscripts, *replace_arg(operands, i, c), optimize=optimize),
       None,
       None,
       lambda c, ans, g, subscripts, i, *operands, optimize=False, argnum: einsum_cotangent_operand_vjp(c, g, subscripts, i, operands, argnum - 3, optimize),
       variadic=True, backward_name="EinsumCotangentBackward0", complex=True)
defjvp(einsum_cotangent,
       lambda t, ans, g, subscripts, i, *operands, optimize=False: einsum_cotangent(t, subscripts, i, *operands, optimize=optimize),
       None,
       None,
       lambda t, ans, g, subscripts, i, *operands, optimize=False, argnum: einsum_cotangent_operand_jvp(t, g, subscripts, i, operands, argnum - 3, optimize))


def einsum_sublist_subscripts(sublists, output=None):
    """The subscripts string of ``np.einsum``'s interleaved form ``(op0, sublist0, op1, sublist1, ..., [output])``.

    Labels are integers in ``[0, 52)`` or ``Ellipsis``; label ``k`` is spelled ``"abc...zABC...Z"[k]``.
    Without ``output`` the output is numpy's implicit one, written out: ``...`` where an operand has one,
    then the labels that occur once, in increasing order (``"ab,bc->ac"``).

    Raises:
        ValueError: a label outside ``[0, 52)``.
    """
    for label in [label for sub in sublists for label in sub] + list(output or ()):
        if label is not Ellipsis and not (isinstance(label, (int, np.integer)) and 0 <= label < 52):
            raise ValueError(f"np.einsum's sublist labels are integers in [0, 52) or Ellipsis, not {label!r}")
    if output is None:
        labels = [label for sub in sublists for label in sub if label is not Ellipsis]
        dots = [Ellipsis] if any(label is Ellipsis for sub in sublists for label in sub) else []
        output = dots + sorted(label for label in set(labels) if labels.count(label) == 1)

    def spell(sublist):
        return "".join("..." if label is Ellipsis else _SUBLIST_LETTERS[label] for label in sublist)

    return ",".join(spell(s) for s in sublists) + "->" + spell(output)


_SUBLIST_LETTERS = string.ascii_lowercase + string.ascii_uppercase
defnondiff(einsum_sublist_subscripts)  # labels to text: generated code calls it for sublists given as arguments


def _einsum(*operands, out=None, optimize=False, **kwargs):
    if out is not None or kwargs or not operands:
        raise NotImplementedError("only np.einsum(subscripts, *operands[, optimize=]) and the interleaved "
                                  "np.einsum(op0, sublist0, op1, sublist1, ...[, output]) are differentiable")
    if isinstance(operands[0], str):
        return einsum_args(operands[0], *operands[1:], optimize=optimize)
    odd = len(operands) % 2
    arrays, sublists = operands[0:len(operands) - odd:2], operands[1:len(operands) - odd:2]
    subscripts = einsum_sublist_subscripts(sublists, operands[-1] if odd else None)
    return einsum_args(subscripts, *arrays, optimize=optimize)


defalias(np.einsum, _einsum)
