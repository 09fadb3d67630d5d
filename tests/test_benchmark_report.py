"""benchmarks/report.py's peer table and chart, from rows made up here (nothing is timed)."""

import importlib.util
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def report():
    spec = importlib.util.spec_from_file_location("report_under_test", ROOT / "benchmarks" / "report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def made_up(report):
    return [
        report.Row("tape, per op", "0.71x", "<= 0.5x", False, 0.71, 0.5, "PyTorch eager", 6.8e-6, 9.6e-6),
        report.Row("training step: CNN", "0.95x", "<= 1.0x", True, 0.95, 1.0, "PyTorch eager", 9.5e-3, 1.0e-2),
        report.Row("Horner (data in globals)", "1.73x hand", "<= 2.0x hand", True, 1.73, 2.0, "hand-written gradient"),
        report.Row("transform time", "1.2 s", "<= 1.0 s", False),  # not a ratio: no peer
    ]


def test_peer_table_gives_both_times_and_the_ratio(report):
    lines = report.peer_table(made_up(report))
    assert lines[0].startswith("| workload | compared with |")
    assert len(lines) == 2 + 3  # the row that is not a ratio is left out
    assert lines[2] == "| tape, per op | PyTorch eager | 6.8 us | 9.6 us | 0.71 | <= 0.5 |"
    assert lines[3] == "| training step: CNN | PyTorch eager | 9.50 ms | 10.00 ms | 0.95 | <= 1.0 |"
    assert lines[4] == "| Horner (data in globals) | hand-written gradient |  |  | 1.73 | <= 2.0 |"


def test_chart_is_a_png(report, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "chart.png"
    assert report.chart(made_up(report), path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
