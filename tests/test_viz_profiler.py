"""srcgrad.viz.make_dot draws the tape; srcgrad.autograd.profiler.profile times it, in PyTorch's table."""

import json
import re
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

import srcgrad
from srcgrad import nn
from srcgrad.autograd.profiler import profile, record_function
from srcgrad.viz import make_dot


def _model_and_loss():
    srcgrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    loss = (model(srcgrad.randn(8, 3)) ** 2).mean()
    return model, loss


def _parse(text):
    found = re.findall(r'^\t(\w+) \[label="(.*?)" fillcolor=(\w+)\]$', text, flags=re.M)
    nodes = {k: label for k, label, _ in found}
    colors = {k: color for k, _, color in found}
    edges = re.findall(r"^\t(\w+) -> (\w+)$", text, flags=re.M)
    return nodes, colors, edges


def test_make_dot_draws_each_node_with_pytorchs_names_shapes_and_named_leaves():
    model, loss = _model_and_loss()
    text = make_dot(loss, params=dict(model.named_parameters()), format="dot")
    nodes, colors, edges = _parse(text)
    labels = sorted(nodes.values())
    assert labels.count("AccumulateGrad") == 4
    assert "AddmmBackward0\\n(8, 4)" in labels and "AddmmBackward0\\n(8, 1)" in labels
    assert "TanhBackward0\\n(8, 4)" in labels and "MeanBackward0\\n()" in labels
    for name, shape in [("0.weight", "(4, 3)"), ("0.bias", "(4)"), ("2.weight", "(1, 4)"), ("2.bias", "(1)")]:
        (leaf,) = [k for k, v in nodes.items() if v == f"{name}\\n{shape}"]
        assert colors[leaf] == "lightblue"
        (accumulate,) = [head for tail, head in edges if tail == leaf]
        assert nodes[accumulate] == "AccumulateGrad"
    (out,) = [k for k, c in colors.items() if c == "darkolivegreen1"]
    assert nodes[out] == "()"
    # every node but the output feeds something; the graph is the tape's: walk it from the root the same way
    expected, stack = set(), [loss.grad_fn]
    while stack:
        node = stack.pop()
        if id(node) not in expected:
            expected.add(id(node))
            stack.extend(c for c, _ in node.next_functions if c is not None)
    assert {int(k[4:]) for k in nodes if k.startswith("node")} == expected


def test_make_dot_is_a_graphviz_digraph_when_the_package_is_there_and_text_otherwise(monkeypatch):
    _, loss = _model_and_loss()
    graphviz = pytest.importorskip("graphviz")
    dot = make_dot(loss)
    assert isinstance(dot, graphviz.Digraph) and "MeanBackward0" in dot.source
    monkeypatch.setitem(sys.modules, "graphviz", None)  # as if it were not installed
    assert isinstance(make_dot(loss), str)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
def test_the_dot_text_renders(tmp_path):
    _, loss = _model_and_loss()
    path = tmp_path / "g.dot"
    path.write_text(make_dot(loss, format="dot"))
    png = tmp_path / "g.png"
    subprocess.run(["dot", "-Tpng", str(path), "-o", str(png)], check=True)
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_make_dot_of_a_long_chain_a_shared_node_and_several_outputs():
    x = srcgrad.ones(2, requires_grad=True)
    y = x
    for _ in range(3000):  # no recursion: deeper than Python's recursion limit
        y = y * 1.0
    nodes, _, edges = _parse(make_dot(y.sum(), format="dot"))
    assert sum(v.startswith("MulBackward0") for v in nodes.values()) == 3000
    shared = x * 2
    nodes, _, edges = _parse(make_dot((shared + shared.exp(), shared.sum()), format="dot"))
    assert sum(v.startswith("MulBackward0") for v in nodes.values()) == 1  # drawn once
    assert sum(k.startswith("output") for k in nodes) == 2
    with pytest.raises(TypeError, match="make_dot needs a Tensor"):
        make_dot(np.ones(3))


def test_profile_times_forward_backward_and_the_optimizer_step():
    model = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 1))
    opt = srcgrad.optim.SGD(model.parameters(), lr=0.1)
    x, y = srcgrad.randn(32, 10), srcgrad.randn(32, 1)
    with profile(record_shapes=True) as prof:
        for _ in range(3):
            with record_function("step"):
                loss = ((model(x) - y) ** 2).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
    averages = {e.key: e for e in prof.key_averages()}
    assert averages["step"].count == 3 and averages["Optimizer.step#SGD.step"].count == 3
    assert averages["AddmmBackward0"].count == 6 and averages["AccumulateGrad"].count == 12
    assert averages["np.subtract"].count == 3 and averages["ReluBackward0"].count == 3
    for e in prof.events():
        assert 0 <= e.self_cpu_time_total <= e.cpu_time_total + 1e-9
    step = averages["step"]  # everything ran inside the three ranges
    assert step.cpu_time_total == pytest.approx(prof.self_cpu_time_total, rel=1e-6)
    assert any(e.input_shapes == [[32, 1], [32, 1]] for e in prof.events() if e.name == "np.subtract")


def test_profile_measures_time_and_puts_everything_back():
    import importlib

    tensor_module = importlib.import_module("srcgrad.tensor")
    originals = (
        tensor_module._record,
        tensor_module._record_fast,
        srcgrad.autograd.graph.RuleNode.__dict__["apply"],
        srcgrad.optim.Adam.__dict__["step"],
    )
    with profile() as prof:
        with record_function("sleep"):
            time.sleep(0.02)
        x = srcgrad.ones(3, requires_grad=True)
        (x * x).sum().backward()
        with pytest.raises(RuntimeError, match="already recording"):
            with profile():
                pass
    assert np.allclose(x.grad.numpy(), 2.0)  # results unchanged under the profiler
    (sleep,) = [e for e in prof.events() if e.name == "sleep"]
    assert sleep.cpu_time_total >= 20_000  # microseconds
    assert (
        tensor_module._record,
        tensor_module._record_fast,
        srcgrad.autograd.graph.RuleNode.__dict__["apply"],
        srcgrad.optim.Adam.__dict__["step"],
    ) == originals
    with profile(enabled=False) as off:
        (x * x).sum()
    assert off.events() == []


def test_the_table_has_pytorchs_shape(tmp_path):
    with profile() as prof:
        x = srcgrad.ones(50, 50, requires_grad=True)
        (x @ x).tanh().sum().backward()
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=3)
    lines = table.splitlines()
    assert lines[0] == lines[2] == lines[-2] and set(lines[0]) == {"-", " "}
    assert lines[1].split() == [
        "Name",
        "Self",
        "CPU",
        "%",
        "Self",
        "CPU",
        "CPU",
        "total",
        "%",
        "CPU",
        "total",
        "CPU",
        "time",
        "avg",
        "#",
        "of",
        "Calls",
    ]
    assert len(lines) == 3 + 3 + 2 and lines[-1].startswith("Self CPU time total: ")
    rows = [line.split() for line in lines[3:6]]
    selfs = [float(r[1].rstrip("%")) for r in rows]
    assert selfs == sorted(selfs, reverse=True)
    assert re.fullmatch(r"\d+\.\d{3}(us|ms|s)", rows[0][2])
    with pytest.raises(ValueError, match="sort_by"):
        prof.key_averages().table(sort_by="cuda_time_total")
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    events = json.loads(path.read_text())["traceEvents"]
    assert {e["name"] for e in events} >= {"np.matmul", "MmBackward0", "TanhBackward0"}


@pytest.mark.parametrize("name", ["srcgrad.viz", "srcgrad.autograd.profiler"])
def test_docstring_examples(name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
