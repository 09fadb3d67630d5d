"""Fast walks over ``ast`` trees, for the passes that run on every transformation.

``ast.walk`` and ``ast.NodeTransformer`` look up fields and visitor methods by
name at every node; a transformation of a 30-line function walks its tree
hundreds of times, so the passes use these instead:

* ``walk(node)``: every node under ``node`` (itself included), in no promised
  order (``ast.walk`` is breadth first; this is depth first);
* ``copy_tree(node)``: a deep copy of a tree, three times as fast as
  ``copy.deepcopy`` (node attributes only; field-less nodes such as ``Load``
  are shared, as ``ast.parse`` shares them);
* ``Transformer``: ``ast.NodeTransformer`` with the same results (a method
  ``visit_<Class>`` per node class, ``generic_visit`` otherwise, ``None``
  deletes, a list splices), the method found once per class, and nodes without
  fields (``Load``, ``Add``) passed over when nothing visits them. It does not
  call the deprecated ``visit_Num``/``visit_Str`` methods.
"""

import ast

__all__ = ["walk", "copy_tree", "Transformer"]

_AST = ast.AST


def walk(node):
    """Every node of the tree under ``node``, ``node`` first.

    Args:
        node: an ``ast.AST``.

    Returns:
        A generator of nodes (depth first; the order is not part of the contract).
    """
    stack = [node]
    pop, push = stack.pop, stack.append
    while stack:
        n = pop()
        yield n
        for field in n._fields:
            value = getattr(n, field, None)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, _AST):
                        push(item)
            elif isinstance(value, _AST):
                push(value)


def copy_tree(node):
    """A deep copy of the tree under ``node``.

    Args:
        node: an ``ast.AST``.

    Returns:
        A new tree equal to ``node`` (every node with fields new; position attributes and other values kept).
    """
    cls = node.__class__
    if not cls._fields:
        return node
    new = cls.__new__(cls)
    attrs = new.__dict__
    for key, value in node.__dict__.items():
        if isinstance(value, _AST):
            attrs[key] = copy_tree(value)
        elif type(value) is list:
            attrs[key] = [copy_tree(item) if isinstance(item, _AST) else item for item in value]
        else:
            attrs[key] = value
    return new


def _keep(self, node):
    return node


class Transformer(ast.NodeTransformer):
    """``ast.NodeTransformer``, faster; subclass it the same way (see the module docstring)."""

    _methods = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._methods = {}  # node class -> the function visiting it

    def _method(self, node_class):
        cls = type(self)
        method = getattr(cls, "visit_" + node_class.__name__, None)
        if method is ast.NodeVisitor.visit_Constant:
            method = None
        if method is None:
            method = cls.generic_visit
            # Nothing under a field-less node, a constant, or a name (its context) can change: skip them.
            if (
                not node_class._fields
                or node_class is ast.Constant
                or (node_class is ast.Name and not any(hasattr(cls, "visit_" + c) for c in ("Load", "Store", "Del")))
            ):
                method = _keep
        self._methods[node_class] = method
        return method

    def visit(self, node):
        """Visit ``node`` with its ``visit_<Class>`` method, else ``generic_visit``."""
        method = self._methods.get(type(node))
        if method is None:
            method = self._method(type(node))
        return method(self, node)

    def generic_visit(self, node):
        """Visit every child of ``node``, putting what each visit returns in its place."""
        for field in node._fields:
            try:
                old = getattr(node, field)
            except AttributeError:
                continue
            if isinstance(old, list):
                for i, value in enumerate(old):
                    if isinstance(value, _AST):
                        new_value = self.visit(value)
                        if new_value is None or not isinstance(new_value, _AST):
                            self._splice(old, i, new_value)  # a deletion or a list: rebuild from here
                            break
                        if new_value is not value:
                            old[i] = new_value
            elif isinstance(old, _AST):
                new_node = self.visit(old)
                if new_node is None:
                    delattr(node, field)
                elif new_node is not old:
                    setattr(node, field, new_node)
        return node

    def _splice(self, values, i, first):
        """``values[i]`` visited to ``first`` (``None`` or a list): finish that list as ``NodeTransformer`` does."""
        new = values[:i]
        if first is not None:
            new.extend(first)
        for value in values[i + 1 :]:
            if isinstance(value, _AST):
                value = self.visit(value)
                if value is None:
                    continue
                if not isinstance(value, _AST):
                    new.extend(value)
                    continue
            new.append(value)
        values[:] = new
