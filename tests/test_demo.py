"""The README's main command: ``python -m srcgrad demo``."""

import io
import re

import srcgrad.demo as demo


def test_demo_shows_source_graph_agreement_and_training():
    out = io.StringIO()
    assert demo.run(out=out, steps=60) == 0
    text = out.getvalue()
    assert "def dpredict(x, w, b" in text  # the generated gradient's source
    assert "TanhBackward0" in text and "AccumulateGrad" in text  # the graph
    assert "the modes agree: True" in text
    losses = [float(v) for v in re.findall(r"loss ([0-9.]+)", text)]
    assert losses[-1] < 0.7 * losses[0]
