"""The fuzzer's module-data and third-order families (``tests/fuzzing/moddata.py``, ``respec.py``, ``order3.py``).

* the ``respec`` mode passes when a gradient follows data changed between calls, and reports WRONG when the
  compiler's cache serves code made for the old data (its freshness checks switched off here);
* the generator makes the module and closure data forms and changes of them that still run;
* the oracle for ``T(v, w, .)`` (third differences of the function) is right on a function whose third
  derivative is known by hand;
* with ``np.sin``'s rule made wrong, every third-order mode reports WRONG, and passes with the right rule;
* a repro of a finding of each new mode runs and shows the two numbers;
* a small fixed-seed run of the new modes finds no wrong value and no crash.
"""

import re

import numpy as np
import pytest

import srcgrad.compiler.cache as compiler_cache
from fuzzing.oracle import cross_check, judge_mode, prepare
from fuzzing.order3 import ORDER3_MODES, fd3_stable, fd_third
from fuzzing.program import Param, Program, Stmt
from fuzzing.programs import generate
from fuzzing.run import Run
from fuzzing.shrink import write_repro
from srcgrad.compiler import globalspec
from srcgrad.rules import RULES

CHANGES = [
    "G = G * -1.5 + 0.25",
    "G *= 2.0",
    "GL.append(GL[0] * 2.0)",
    "G = G.astype(np.float32)",
    "cell = f.__closure__[f.__code__.co_freevars.index('K')]\ncell.cell_contents = cell.cell_contents[::-1].copy()",
]


def data_program():
    """``f`` reads a module array ``G``, a module list ``GL`` and a closure cell ``K``; the changes rebind,
    write in place, append, cast and rebind the cell."""
    items = [["G = np.array([0.5, -1.0, 2.0])"], ["GL = [np.array([1.0, 2.0, 3.0])]"]]
    body = [Stmt(["h = np.sin(x * G) + sum(GL) * x * K"])]
    params = [Param("x", np.array([0.3, -1.1, 0.7]), True)]
    closure = ["K = np.array([1.0, 0.5, -0.25])"]
    return Program(items, closure, params, body, ["np.sum(h ** 2)"], name="respec", changes=list(CHANGES))


def test_a_gradient_that_follows_changed_data_passes(tmp_path):
    verdict, _ = judge_mode(prepare(data_program(), str(tmp_path)), "respec")
    assert verdict.status == "pass", verdict


@pytest.fixture
def stale_cache(monkeypatch):
    """The compiler's cache with its checks of globals and closure cells off: code made for the old data."""
    monkeypatch.setattr(compiler_cache.Compiled, "fresh", lambda self, fn=None: True)
    monkeypatch.setattr(globalspec, "current", lambda watch: ())
    monkeypatch.setattr(compiler_cache, "CACHE", {})
    yield
    compiler_cache.clear_cache()


def test_a_stale_specialisation_is_reported_wrong(tmp_path, stale_cache):
    verdict, _ = judge_mode(prepare(data_program(), str(tmp_path)), "respec")
    assert verdict.status == "wrong", verdict
    assert verdict.detail.startswith("after change 1 (G = G * -1.5 + 0.25): the same gradient called again"), (
        verdict.detail
    )
    assert "a new srcgrad.grad" in verdict.detail and "the same jvp called again" in verdict.detail
    assert "the same hvp called again: H v" in verdict.detail


def test_a_program_without_data_to_change_is_skipped(tmp_path):
    program = data_program()
    program.changes = []
    assert judge_mode(prepare(program, str(tmp_path)), "respec")[0].status == "skipped"


def test_the_generator_makes_module_and_closure_data_and_changes_that_run():
    programs = [generate(31, k, themes=("globals", "closure")) for k in range(24)]
    text = "\n".join(p.source() for p in programs)
    for pattern in (r"^G[LIXMSD]\d+ = ", r"^    K[LIXMSD]\d+ = ", r"for p in [GK]L\d+"):
        assert re.search(pattern, text, re.M), pattern
    changes = [c for p in programs for c in p.changes]
    assert len(changes) >= 30, len(changes)
    assert any("cell.cell_contents" in c for c in changes)
    assert any(re.search(r"\.(append|pop|reverse)\(", c) for c in changes)
    assert any("astype" in c for c in changes)


def test_a_repro_of_a_respec_finding_runs(tmp_path):
    from fuzzing.oracle import Verdict

    verdict = Verdict("respec", "wrong", "after change 2 (G *= 2.0): ...")
    path = write_repro(data_program(), verdict, "a test", str(tmp_path), "respec")
    text = open(path).read()
    assert "G *= 2.0" in text and "GL.append" not in text
    namespace = {"__name__": "repro"}
    exec(compile(text, path, "exec"), namespace)
    np.testing.assert_allclose(np.asarray(namespace["got"][0]), namespace["expected"][0], rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------- third order


def cubic_program():
    """``f(x, s) = s sum(x^3) + x0 x1 x2``: ``T(v, w)_k = 6 s v_k w_k + sum_{i, j: {i, j, k} = {0, 1, 2}} v_i w_j``."""
    params = [Param("x", np.array([0.3, -1.1, 0.7]), True), Param("s", 0.8, True)]
    return Program([], None, params, [Stmt(["h = np.sum(x ** 3) * s"])], ["h + x[0] * x[1] * x[2]"], name="cubic")


def test_third_differences_give_a_known_third_derivative(tmp_path):
    loaded = prepare(cubic_program(), str(tmp_path))
    v, w = np.array([1.0, -2.0, 0.5]), np.array([0.3, 0.7, -1.2])
    mixed = np.array([v[1] * w[2] + v[2] * w[1], v[0] * w[2] + v[2] * w[0], v[0] * w[1] + v[1] * w[0]])
    want = 6 * 0.8 * v * w + mixed
    np.testing.assert_allclose(fd_third(loaded, 0, v, w), want, rtol=1e-6, atol=1e-7)
    assert fd3_stable(loaded, 0, v, w, want, 1e-6)
    assert not fd3_stable(loaded, 0, v, w, want * 1.5, 1e-6)


def test_third_differences_see_a_kink(tmp_path):
    params = [Param("x", np.array([0.3, -1e-4]), True)]
    program = Program([], None, params, [Stmt(["h = np.abs(x) ** 2.5"])], ["np.sum(h)"], name="kink3")
    loaded = prepare(program, str(tmp_path))
    v = w = np.array([0.0, 1.0])
    assert not fd3_stable(loaded, 0, v, w, fd_third(loaded, 0, v, w), 1e-6)


def sin_program():
    body = [Stmt(["h = np.sin(x * s) + 0.5 * x"]), Stmt(["for i in range(3):", "    h = 0.5 * h + np.sin(h)"])]
    params = [Param("x", np.array([0.3, -1.1, 0.7]), True), Param("s", 0.8, True)]
    return Program([], None, params, body, ["np.sum(h * np.array([0.5, -1.0, 2.0]))"], name="sin3")


def test_every_third_order_mode_passes_with_the_right_rule(tmp_path):
    loaded = prepare(sin_program(), str(tmp_path))
    results = {}
    for mode in ORDER3_MODES:
        verdict, answer = judge_mode(loaded, mode)
        assert verdict.status == "pass", (mode, verdict)
        results[mode] = answer
    assert cross_check(results) == []
    off = dict(results)
    off["dyn3"] = {"t3": results["dyn3"]["t3"] + 1e-2}
    assert [line.split(":")[0] for line in cross_check(off)] == ["grad3 vs dyn3"]


def wrong_sin_vjp(g, ans, x):
    return g * np.sin(x)


def wrong_sin_jvp(t, ans, x):
    return t * np.sin(x)


def test_a_wrong_rule_is_reported_wrong_at_third_order(tmp_path, monkeypatch):
    rule = RULES[np.sin]
    monkeypatch.setattr(rule, "vjps", (wrong_sin_vjp,))
    monkeypatch.setattr(rule, "jvps", (wrong_sin_jvp,))
    monkeypatch.setattr(compiler_cache, "CACHE", {})
    try:
        loaded = prepare(sin_program(), str(tmp_path))
        for mode in ORDER3_MODES:
            verdict, _ = judge_mode(loaded, mode)
            assert verdict.status == "wrong", (mode, verdict)
            assert verdict.detail.startswith("T(v, w): argument 0 element"), verdict.detail
    finally:
        compiler_cache.clear_cache()


@pytest.mark.parametrize("mode", ORDER3_MODES)
def test_a_repro_of_a_third_order_finding_runs(tmp_path, mode):
    from fuzzing.oracle import Verdict

    path = write_repro(sin_program(), Verdict(mode, "wrong", "T(v, w): ..."), "a test", str(tmp_path), mode)
    namespace = {"__name__": "repro"}
    exec(compile(open(path).read(), path, "exec"), namespace)
    got = namespace["got"]
    got = got.detach().numpy() if hasattr(got, "detach") else got
    np.testing.assert_allclose(np.asarray(got, dtype=float), namespace["expected"], rtol=5e-3, atol=1e-4)


NEW_MODES = ("respec", "grad3", "dyn3")


def test_a_small_fixed_seed_run_of_the_new_modes_finds_no_wrong_value_and_no_crash():
    summary = Run(seed=9, count=3, shrink=False, modes=NEW_MODES, pool=("globals", "closure")).run()
    for mode in NEW_MODES:
        counts = summary.counts[mode]
        assert counts["wrong"] == 0 and counts["crash"] == 0 and counts["badmsg"] == 0, [
            f.detail for f in summary.findings if f.mode == mode
        ]
    assert summary.counts["respec"]["pass"] >= 2, summary.line(NEW_MODES)
    assert summary.counts["grad3"]["pass"] >= 1, summary.line(NEW_MODES)
    assert not summary.disagreements, summary.disagreements
