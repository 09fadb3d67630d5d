"""Normalize, library calls: numpy functions whose result's form depends on their arguments.

Guarantees (``LibraryCalls``, a mixin of ``Normalizer``):

* ``np.linalg.svd`` is ``svd_p(a, full_matrices)`` (several outputs, read with ``ListGet``) or, without
  ``compute_uv``, ``svdvals_p(a)``, as the tape's alias reads it; ``hermitian=True`` is refused at the line;
* ``np.gradient`` is ``gradient_along`` once per axis: one value for one axis (``axis=k``, or no ``axis`` and an
  ``f`` of one axis), a tuple of values for several (a constant tuple ``axis``, or no ``axis`` and an argument of
  the function of several axes in this specialisation), as numpy returns them; other forms are refused at the
  line, and ``np.gradient`` without ``axis`` of a value the compiler cannot see the axes of is ``gradient_along``,
  which raises for several axes when the code runs.
"""

import ast

import numpy as np

from ...rules import get_rule
from ..ir import Const, Prim, Var


class LibraryCalls:
    """Mixin of ``Normalizer``: ``np.linalg.svd`` and ``np.gradient``."""

    def svd_call(self, callee, args, kwargs, e, ctx):
        """``np.linalg.svd`` as the tape's alias reads it: ``svd_p(a, full_matrices)`` (a tuple) or, without
        ``compute_uv``, ``svdvals_p(a)``; ``np.linalg.svdvals(x)`` is ``svdvals_p(x)``."""
        from ...rules.linalg import svd_p, svdvals_p

        names = ["a", "full_matrices", "compute_uv", "hermitian"] if callee is np.linalg.svd else ["x"]
        bound = dict(zip(names, args))
        bound.update(kwargs)
        flags = {}
        for name, default in (("full_matrices", True), ("compute_uv", True), ("hermitian", False)):
            node = bound.get(name)
            try:
                flags[name] = default if node is None else ast.literal_eval(node.node)
            except (AttributeError, ValueError):
                raise ctx.error(e, f"np.linalg.svd's {name} must be a constant True or False") from None
        if len(args) > len(names) or set(bound) - set(names):
            raise ctx.error(e, f"unexpected arguments to {callee.__name__}")
        if flags["hermitian"]:
            raise ctx.error(e, "np.linalg.svd(hermitian=True) has no derivative rule; use hermitian=False")
        a = bound[names[0]]
        if callee is np.linalg.svdvals or not flags["compute_uv"]:
            return Prim(
                svdvals_p, get_rule(svdvals_p), [a], {}, style="call", func=self.const_node(svdvals_p, "svdvals")
            )
        return self.multi(
            Prim(
                svd_p,
                get_rule(svd_p),
                [a],
                {"full_matrices": Const(ast.Constant(value=bool(flags["full_matrices"])))},
                style="call",
                func=self.const_node(svd_p, "svd"),
            ),
            e,
            ctx,
        )

    def gradient_call(self, args, kwargs, e, ctx):
        """``np.gradient(f, *spacings, axis=..., edge_order=...)`` as ``gradient_along``, once per axis (with the
        axis' spacing: one for all, or one per axis): one array for one axis (or a 1-D ``f``), a tuple of arrays
        for several (a tuple ``axis``, or no ``axis`` and an argument ``f`` of several axes in this
        specialisation), as numpy returns them."""
        from ...rules.shape import gradient_along

        if not args or set(kwargs) - {"axis", "edge_order"} or any(not isinstance(v, Const) for v in kwargs.values()):
            raise ctx.error(
                e, "srcgrad.grad takes np.gradient(f, *spacings, axis=..., edge_order=n) with a constant axis"
            )
        axis = kwargs.get("axis", Const(ast.Constant(value=None)))
        try:
            value = ast.literal_eval(axis.node)
        except ValueError:
            value = 0  # a constant expression numpy reads at run time
        axes = [axis]
        if isinstance(value, (tuple, list)) and all(type(a) is int for a in value):
            axes = [Const(ast.Constant(value=a)) for a in value]
        elif isinstance(value, (tuple, list)):
            raise ctx.error(e, "np.gradient(axis=...) takes a constant axis or tuple of axes")
        elif value is None and isinstance(args[0], Var):
            shape = self.argument_shape(args[0].name)
            if shape is not None and len(shape) > 1:
                axes = [Const(ast.Constant(value=a)) for a in range(len(shape))]

        f, spacings = args[0], list(args[1:])
        if len(spacings) > 1 and len(spacings) != len(axes):
            raise ctx.error(e, f"np.gradient of {len(axes)} axes given {len(spacings)} spacings (one, or one per axis)")

        def along(axis, spacing):
            return Prim(
                gradient_along,
                get_rule(gradient_along),
                [f] + spacing,
                {"axis": axis, "edge_order": kwargs.get("edge_order", Const(ast.Constant(value=1)))},
                style="call",
                func=self.const_node(gradient_along, "gradient_along"),
            )

        per_axis = [[h] for h in spacings] if len(spacings) > 1 else [spacings] * len(axes)
        if len(axes) == 1:
            return along(axes[0], per_axis[0])
        parts = []
        for a, spacing in zip(axes, per_axis):
            name = self.temp("grad_along")
            self.assign(name, along(a, spacing), e, ctx)
            parts.append(Var(name))
        return tuple(parts)
