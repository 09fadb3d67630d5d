"""The adjoint of a sum seen through products: a broadcast view of a number next to a factor of the view's
static shape is the number (``Adjoints.fold_views``).

``dt * 2 * x`` with ``dt = np.broadcast_to(ds, shape_of(t))`` and ``x`` of ``t``'s shape is ``ds * 2 * x``:
the product has that shape anyway, and reads ``t`` no more. So is a quotient (``dt / x``, ``x / dt``), and
``-dt`` as a factor is ``-ds``.

``ViewFolder`` is a module-level class with plain methods (no class or recursive closure made per
statement): nothing it makes holds a reference cycle, so what a transformation allocates is freed as soon as
it ends rather than by the cyclic collector.
"""

import ast

import numpy as np

from ...rules.helpers import callee
from ..astwalk import Transformer, walk
from ..ir import Var, clone
from ..shapes import broadcast

__all__ = ["ViewFolder"]

_LITERAL_ARITHMETIC = (ast.Constant, ast.BinOp, ast.UnaryOp, ast.Compare, ast.operator, ast.unaryop, ast.cmpop)


class ViewFolder(Transformer):
    """Folds the broadcast views of numbers out of the products and quotients of one adjoint expression.

    Args:
        views: ``{view's name: (the number's node, the view's static shape)}``.
        shape_of: ``Var -> static shape or None`` (the reverse pass's).
        values: the generated module's ``{name: object}``, to know a ufunc by its name.
    """

    def __init__(self, views, shape_of, values):
        self.views, self.shape_of, self.values = views, shape_of, values

    def shape_of_expr(self, node):
        """The static shape of arithmetic on names and numbers (``t_2 ** (2 - 1)``), or ``None``."""
        if isinstance(node, ast.Name):
            return None if node.id in self.views else self.shape_of(Var(node.id))
        if all(isinstance(n, _LITERAL_ARITHMETIC) for n in walk(node)):
            return ()  # arithmetic on literals (2 - 1 + (2 == 0)): a number
        if isinstance(node, ast.Constant):
            return () if isinstance(node.value, (int, float)) and not isinstance(node.value, bool) else None
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            return self.shape_of_expr(node.operand)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)):
            a, b = self.shape_of_expr(node.left), self.shape_of_expr(node.right)
            return None if a is None or b is None else broadcast([a, b])
        if isinstance(node, ast.Call) and not node.keywords and node.args:  # np.cos(x): a ufunc, elementwise
            func = callee(node.func, self.values)
            if isinstance(func, np.ufunc) and func.nout == 1 and func.nin == len(node.args):
                shapes = [self.shape_of_expr(a) for a in node.args]
                return None if None in shapes else broadcast(shapes)
        return None

    def factors(self, node):
        """The factors of a product, left to right."""
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            return self.factors(node.left) + self.factors(node.right)
        return [node]

    def view_of(self, node):
        """``(the number, the view's shape)`` for a view's name or its negation, else ``None``."""
        if isinstance(node, ast.Name) and node.id in self.views:
            number, shape = self.views[node.id]
            return clone(number), shape
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self.view_of(node.operand)
            return inner and (ast.UnaryOp(op=ast.USub(), operand=inner[0]), inner[1])
        return None

    def visit_BinOp(self, node):
        if isinstance(node.op, ast.Div):  # dt / x, x / dt: the quotient has x's shape anyway
            self.generic_visit(node)
            for side, other in (("left", node.right), ("right", node.left)):
                view = self.view_of(getattr(node, side))
                if view is not None and self.shape_of_expr(other) == view[1]:
                    setattr(node, side, view[0])
                    break
            return node
        if not isinstance(node.op, ast.Mult):
            self.generic_visit(node)
            return node
        fs = [self.visit(f) for f in self.factors(node)]
        for k, f in enumerate(fs):
            view = self.view_of(f)
            if view is not None and any(o is not f and self.shape_of_expr(o) == view[1] for o in fs):
                fs[k] = view[0]
        out = fs[0]
        for f in fs[1:]:
            out = ast.BinOp(left=out, op=ast.Mult(), right=f)
        return out
