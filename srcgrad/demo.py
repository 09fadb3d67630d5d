"""``python -m srcgrad demo``: the tour of srcgrad in one minute.

It shows, in order: the gradient source the compiler writes for a plain numpy
function (when the compiler is present), the same function run in dynamic mode
on Tensors with its ``grad_fn`` chain, that both gradients agree, and a small
model trained end to end.
"""

import inspect
import os
import shutil
import sys
import tempfile
import textwrap

import numpy as np

__all__ = ["run"]


# The demo's plain numpy function: a one-unit model's sum of squares.
def predict(x, w, b):
    h = np.tanh(x * w + b)
    return np.sum(h * h)


def _heading(title, out):
    print(f"\n== {title} " + "=" * max(0, 66 - len(title)), file=out)


def _grad_fn_chain(t):
    """The graph behind ``t`` as indented lines, PyTorch's names, without recursion."""
    lines = []
    stack = [(t.grad_fn, 0)]
    seen = set()
    while stack:
        node, depth = stack.pop()
        if node is None:
            continue
        if id(node) in seen:
            lines.append("  " * depth + node.name() + "  (the same node as above)")
            continue
        lines.append("  " * depth + node.name())
        seen.add(id(node))
        for child, _ in reversed(node.next_functions):
            stack.append((child, depth + 1))
    return lines


def show_static(out):
    """Print the compiler's generated gradient of ``predict``; returns the gradient function or None."""
    try:
        from . import compiler  # noqa: F401
        from .compiler import grad
    except ImportError:
        print("(the compiler is not available in this build)", file=out)
        return None
    _heading("1. static mode: the compiler reads a plain numpy function", out)
    print(textwrap.indent(inspect.getsource(predict), "    "), file=out)
    df = grad(predict, wrt=(1, 2))
    print(
        "and srcgrad.grad(predict, wrt=(1, 2)), called with an array x and float w, b, writes\n"
        "its gradient as this Python (df.source_for(x, w, b); df.source is the version for any types):\n",
        file=out,
    )
    print(textwrap.indent(df.source_for(np.linspace(-1.0, 1.0, 5), 0.7, -0.2), "    "), file=out)
    return df


def _picture(y, params, out):
    """Render the graph of ``y`` with ``srcgrad.viz.make_dot`` when graphviz and its ``dot`` program are there."""
    from .viz import make_dot

    dot = make_dot(y, params=params)
    if isinstance(dot, str) or shutil.which("dot") is None:
        print(
            "as a picture: srcgrad.viz.make_dot(y) (pip install graphviz, and Graphviz's dot program, to render "
            "it as a PNG)",
            file=out,
        )
        return None
    path = dot.render(os.path.join(tempfile.gettempdir(), "srcgrad_demo_graph"), format="png", cleanup=True)
    print(f"as a picture (srcgrad.viz.make_dot(y)): {path}", file=out)
    return path


def show_dynamic(out):
    """Run ``predict`` on Tensors, print its graph and gradient; returns ``(dw, db)``."""
    import srcgrad as sg

    _heading("2. dynamic mode: the same function on Tensors", out)
    x = sg.tensor(np.linspace(-1.0, 1.0, 5))
    w = sg.tensor(0.7, requires_grad=True)
    b = sg.tensor(-0.2, requires_grad=True)
    y = predict(x, w, b)
    print(f"y = {y}", file=out)
    print("its graph (grad_fn chain):", file=out)
    for line in _grad_fn_chain(y):
        print("    " + line, file=out)
    _picture(y, {"w": w, "b": b}, out)
    y.backward()
    print(f"dy/dw = {w.grad.item():.10f}   dy/db = {b.grad.item():.10f}", file=out)
    return w.grad.item(), b.grad.item()


def train_model(out, steps=200):
    """Fit a small MLP to ``sin(x)`` with ``nn`` and ``optim``, PyTorch-style; returns the final loss."""
    import srcgrad as sg
    from srcgrad import nn

    _heading("3. training a small model: nn.Sequential + Adam, as in PyTorch", out)
    sg.manual_seed(0)
    x = sg.linspace(-np.pi, np.pi, 64).reshape(64, 1)
    y = np.sin(x)
    model = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 1))
    print(model, file=out)
    optimizer = sg.optim.Adam(model.parameters(), lr=0.02)
    loss_fn = nn.MSELoss()
    loss = None
    for step in range(steps + 1):
        loss = loss_fn(model(x), y)
        if step % (steps // 4 or 1) == 0:
            print(f"step {step:4d}  loss {loss.item():.6f}", file=out)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


def run(out=None, steps=200):
    """Run the whole demo, printing to ``out`` (stdout by default).

    Args:
        out: a text stream.
        steps: training steps for the model.

    Returns:
        0 on success (a process exit code).
    """
    out = out or sys.stdout
    df = show_static(out)
    dw, db = show_dynamic(out)
    if df is not None:
        x = np.linspace(-1.0, 1.0, 5)
        sw, sb = df(x, 0.7, -0.2)
        agree = np.allclose([sw, sb], [dw, db], rtol=1e-12, atol=1e-12)
        print(f"static mode gives dy/dw = {sw:.10f}   dy/db = {sb:.10f}   -> the modes agree: {agree}", file=out)
    loss = train_model(out, steps)
    print(f"\nfinal loss {loss:.6f}", file=out)
    return 0
