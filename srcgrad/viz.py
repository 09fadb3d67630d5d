"""Pictures of the tape: ``make_dot(t)`` draws the graph behind a Tensor.

    >>> import srcgrad
    >>> from srcgrad.viz import make_dot
    >>> w = srcgrad.ones(3, requires_grad=True)
    >>> dot = make_dot((w * 2).sum(), params={"w": w}, format="dot")
    >>> print(dot.splitlines()[0])
    digraph {

One box per graph node, named as PyTorch names it (``MulBackward0``,
``AccumulateGrad``) with the shape of what it produced; each leaf that
requires grad is a blue box with its name (from ``params``) and shape, the
output a green box. It follows torchviz's ``make_dot``: with the ``graphviz``
Python package installed (``pip install graphviz``; rendering needs the
Graphviz ``dot`` program) the result is a ``graphviz.Digraph``, so
``make_dot(loss).render("graph", format="png")`` writes a picture, and a
notebook shows it inline; without the package it is the DOT text, which
``dot -Tpng`` renders.
"""

from __future__ import annotations

from typing import Any

__all__ = ["make_dot"]

_NODE_ATTR = {
    "style": "filled",
    "shape": "box",
    "align": "left",
    "fontsize": "10",
    "ranksep": "0.1",
    "height": "0.2",
    "fontname": "monospace",
}
_GRAPH_ATTR = {"size": "12,12"}
_LEAF, _OUTPUT, _NODE = "lightblue", "darkolivegreen1", "lightgrey"


def _size(shape):
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _quote(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class _Graph:
    """The nodes and edges, kept in order, then emitted as DOT text or a graphviz.Digraph."""

    def __init__(self):
        self.nodes = []  # (id, label, fillcolor)
        self.edges = []  # (tail, head)

    def node(self, ident, label, fillcolor):
        self.nodes.append((ident, label, fillcolor))

    def edge(self, tail, head):
        self.edges.append((tail, head))

    def text(self):
        lines = [
            "digraph {",
            "\tgraph [" + " ".join(f"{k}={_quote(v)}" for k, v in _GRAPH_ATTR.items()) + "]",
            "\tnode [" + " ".join(f"{k}={_quote(v)}" for k, v in _NODE_ATTR.items()) + "]",
        ]
        lines += [f"\t{ident} [label={_quote(label)} fillcolor={fillcolor}]" for ident, label, fillcolor in self.nodes]
        lines += [f"\t{tail} -> {head}" for tail, head in self.edges]
        return "\n".join(lines) + "\n}\n"

    def digraph(self, graphviz):
        dot = graphviz.Digraph(node_attr=dict(_NODE_ATTR), graph_attr=dict(_GRAPH_ATTR))
        for ident, label, fillcolor in self.nodes:
            dot.node(ident, label, fillcolor=fillcolor)
        for tail, head in self.edges:
            dot.edge(tail, head)
        return dot


def _output_shapes(roots):
    """The shape each ``(node, output_nr)`` produced, read from the nodes that consumed it; no recursion."""
    shapes, seen, stack = {}, set(), [t.grad_fn for t in roots if t.grad_fn is not None]
    for t in roots:
        if t.grad_fn is not None:
            shapes[(id(t.grad_fn), getattr(t, "_output_nr", 0))] = tuple(t.shape)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        inputs = getattr(node, "shapes", None)
        if inputs is None:
            meta = getattr(node, "in_meta", None)
            inputs = [m[0] for m in meta] if meta is not None else None
        for k, (child, nr) in enumerate(node.next_functions):
            if child is None:
                continue
            if inputs is not None and k < len(inputs):
                shapes.setdefault((id(child), nr), tuple(inputs[k]))
            stack.append(child)
    return shapes


def make_dot(
    var: Any,
    params: dict | None = None,
    show_attrs: bool = False,
    show_saved: bool = False,
    max_attr_chars: int = 50,
    format: str | None = None,
) -> Any:
    """The graph behind ``var`` as a picture: a ``graphviz.Digraph``, or DOT text without that package.

    Args:
        var: a Tensor (or a tuple or list of them) produced by recorded operations.
        params: names for Tensors, e.g. ``dict(model.named_parameters())``; the leaves found there are
            labelled with their name.
        show_attrs, show_saved, max_attr_chars: accepted for torchviz scripts; srcgrad draws names and
            shapes only.
        format: ``"dot"`` gives the DOT text even when graphviz is installed; ``None`` gives a
            ``graphviz.Digraph`` when it can.

    Returns:
        A ``graphviz.Digraph`` (``.render(path, format="png")``, ``.source``), or the DOT text.

    Raises:
        TypeError: ``var`` is not a Tensor or a sequence of Tensors.
    """
    from .tensor import Tensor

    roots = list(var) if isinstance(var, (tuple, list)) else [var]
    if not roots or not all(isinstance(t, Tensor) for t in roots):
        raise TypeError(f"make_dot needs a Tensor or a tuple or list of Tensors, got {type(var).__name__}")
    names = {id(v): k for k, v in (params or {}).items()}
    shapes = _output_shapes(roots)
    graph = _Graph()
    drawn = set()

    def label_of(node):
        if getattr(node, "variable", None) is not None:
            return node.name()  # AccumulateGrad: its leaf's box shows the shape
        outs = [shapes[(id(node), k)] for k in range(getattr(node, "n_outputs", 1)) if (id(node), k) in shapes]
        return node.name() + ("\n" + ", ".join(_size(s) for s in outs) if outs else "")

    stack = []
    for k, t in enumerate(roots):
        out_id = f"output{k}"
        graph.node(out_id, (names.get(id(t), "") + "\n" if id(t) in names else "") + _size(t.shape), _OUTPUT)
        if t.grad_fn is not None:
            graph.edge(f"node{id(t.grad_fn)}", out_id)
            stack.append(t.grad_fn)
        elif t.requires_grad:  # the output is itself a leaf
            graph.nodes[-1] = (out_id, names.get(id(t), "") + "\n" + _size(t.shape), _LEAF)
    while stack:
        node = stack.pop()
        if id(node) in drawn:
            continue
        drawn.add(id(node))
        ident = f"node{id(node)}"
        graph.node(ident, label_of(node), _NODE)
        variable = getattr(node, "variable", None)
        if variable is not None:  # AccumulateGrad: draw the leaf it fills
            leaf = f"leaf{id(variable)}"
            if leaf not in drawn:
                drawn.add(leaf)
                graph.node(
                    leaf,
                    (names.get(id(variable), "") + "\n" if id(variable) in names else "") + _size(variable.shape),
                    _LEAF,
                )
            graph.edge(leaf, ident)
        for child, _ in reversed(node.next_functions):
            if child is None:
                continue
            graph.edge(f"node{id(child)}", ident)
            stack.append(child)
    if format != "dot":
        try:
            import graphviz
        except ImportError:
            pass
        else:
            return graph.digraph(graphviz)
    return graph.text()
