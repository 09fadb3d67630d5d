"""Render docs/tape_graph.png, the picture of the tape shown in docs/autograd.md.

The model and loss are the ones of docs/autograd.md's "Pictures and profiling"
section; run this after changing them (it needs the graphviz package and
Graphviz's ``dot`` program): ``python tools/draw_docs_graph.py``.
"""

import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

import srcgrad  # noqa: E402
from srcgrad import nn  # noqa: E402
from srcgrad.viz import make_dot  # noqa: E402


def main():
    srcgrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    x, y = srcgrad.randn(8, 3), srcgrad.randn(8, 1)
    loss = nn.functional.mse_loss(model(x), y)
    dot = make_dot(loss, params=dict(model.named_parameters()))
    path = dot.render(os.path.join(ROOT, "docs", "tape_graph"), format="png", cleanup=True)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
