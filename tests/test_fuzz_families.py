"""The fuzzer's second-order and checkpoint modes (``tests/fuzzing/order2.py``, ``oracle.CHECKPOINT_MODES``).

* the oracle for ``H v`` (mixed central differences of the function) is right on a function whose Hessian is
  known by hand, and tells a kink from a smooth point;
* with ``np.sin``'s rule made wrong, every second-order mode reports WRONG on a program calling it, and passes
  with the right rule;
* the checkpoint modes checkpoint a loop (and say so), agree with ``grad``, and a disagreement is reported;
* a small fixed-seed run of the new modes finds no wrong value and no crash;
* a program computing in float32 is judged against its float64 twin, with float32's tolerances, and a gradient
  whose dtype is not its argument's is wrong.
"""

import numpy as np
import pytest

import srcgrad.compiler.cache as compiler_cache
from fuzzing.oracle import ALL_MODES, CHECKPOINT_MODES, cross_check, fd_stable, judge_mode, prepare, wrong_dtype
from fuzzing.order2 import ORDER2_MODES, fd2_stable, fd_hvp
from fuzzing.program import Param, Program, Stmt
from fuzzing.run import Run
from srcgrad.rules import RULES


def cubic_program():
    """``f(x, s) = sum(x ** 3) * s + x0 * x1``: ``H v = 6 s x v + (v1, v0, 0)`` with respect to ``x``."""
    params = [Param("x", np.array([0.3, -1.1, 0.7]), True), Param("s", 0.8, True)]
    return Program([], None, params, [Stmt(["h = np.sum(x ** 3) * s"])], ["h + x[0] * x[1]"], name="cubic")


def test_second_differences_give_a_known_hessian_vector_product(tmp_path):
    loaded = prepare(cubic_program(), str(tmp_path))
    x, v = np.array([0.3, -1.1, 0.7]), np.array([1.0, -2.0, 0.5])
    want = 6 * 0.8 * x * v + np.array([v[1], v[0], 0.0])
    np.testing.assert_allclose(fd_hvp(loaded, 0, v), want, rtol=1e-6)
    assert fd2_stable(loaded, 0, v, want, 1e-6)
    # with respect to the float s: d2f/ds2 = 0
    assert abs(fd_hvp(loaded, 1, 1.5)) < 1e-6


def test_second_differences_of_a_0d_argument(tmp_path):
    params = [Param("s0", np.array(0.4), True)]
    program = Program([], None, params, [Stmt(["h = s0 ** 3"])], ["h * 2.0"], name="zero_d")
    loaded = prepare(program, str(tmp_path))
    np.testing.assert_allclose(fd_hvp(loaded, 0, np.array(1.5)), 12 * 0.4 * 1.5, rtol=1e-6)
    assert judge_mode(loaded, "hvp")[0].status == "pass"


def test_second_differences_see_a_kink(tmp_path):
    params = [Param("x", np.array([0.3, -1e-5]), True)]
    program = Program([], None, params, [Stmt(["h = np.abs(x) ** 1.5"])], ["np.sum(h)"], name="kink")
    loaded = prepare(program, str(tmp_path))
    v = np.array([0.0, 1.0])
    assert not fd2_stable(loaded, 0, v, fd_hvp(loaded, 0, v), 1e-6)


def sin_program():
    body = [Stmt(["h = np.sin(x * s) + 0.5 * x"]), Stmt(["for i in range(6):", "    h = 0.5 * h + np.sin(h)"])]
    params = [Param("x", np.array([0.3, -1.1, 0.7]), True), Param("s", 0.8, True)]
    return Program([], None, params, body, ["np.sum(h * np.array([0.5, -1.0, 2.0]))"], name="sin2")


def test_every_second_order_mode_passes_with_the_right_rule(tmp_path):
    loaded = prepare(sin_program(), str(tmp_path))
    results = {}
    for mode in ORDER2_MODES:
        verdict, answer = judge_mode(loaded, mode)
        assert verdict.status == "pass", (mode, verdict)
        results[mode] = answer
    assert cross_check(results) == []


def wrong_sin_vjp(g, ans, x):
    return g * np.sin(x)


def wrong_sin_jvp(t, ans, x):
    return t * np.sin(x)


def test_a_wrong_rule_is_reported_wrong_at_second_order(tmp_path, monkeypatch):
    rule = RULES[np.sin]
    monkeypatch.setattr(rule, "vjps", (wrong_sin_vjp,))
    monkeypatch.setattr(rule, "jvps", (wrong_sin_jvp,))
    monkeypatch.setattr(compiler_cache, "CACHE", {})
    try:
        loaded = prepare(sin_program(), str(tmp_path))
        for mode in ORDER2_MODES:
            verdict, _ = judge_mode(loaded, mode)
            assert verdict.status == "wrong", (mode, verdict)
            assert verdict.detail.startswith("H v: argument 0 element"), verdict.detail
    finally:
        compiler_cache.clear_cache()


def test_the_checkpoint_modes_checkpoint_the_loop_and_agree_with_grad(tmp_path):
    loaded = prepare(sin_program(), str(tmp_path))
    results = {}
    for mode in ("grad",) + CHECKPOINT_MODES:
        verdict, results[mode] = judge_mode(loaded, mode)
        assert verdict.status == "pass", (mode, verdict)
        assert verdict.exercised == (mode != "grad")
    assert cross_check(results) == []
    off = dict(results)
    off["ckpt-2"] = {i: g + 1e-5 for i, g in results["ckpt-2"].items()}
    found = cross_check(off)
    assert len(found) == 1 and found[0].startswith("grad vs ckpt-2"), found


def test_second_order_modes_that_disagree_are_reported():
    hv = np.array([1.0, 2.0])
    assert cross_check({"hvp": {"hv": hv}, "dyn-hvp": {"hv": hv + 1e-12}}) == []
    found = cross_check({"hvp": {"hv": hv}, "dyn-hvp": {"hv": hv + 1e-4}, "grad2": {"hv": hv}})
    assert found == [found[0]] and found[0].startswith("hvp vs dyn-hvp"), found


# the cheaper of the new modes (hessian, jac-grad and dyn-hessian run one product per element)
NEW_MODES = ("ckpt", "ckpt-2", "hvp", "grad2", "dyn-hvp")


def test_a_small_fixed_seed_run_of_the_new_modes_finds_no_wrong_value_and_no_crash():
    assert set(NEW_MODES) <= set(ALL_MODES)
    summary = Run(seed=8, count=3, shrink=False, modes=NEW_MODES, pool=("control", "helpers", "linalg")).run()
    for mode in NEW_MODES:
        counts = summary.counts[mode]
        assert counts["wrong"] == 0 and counts["crash"] == 0, [f.detail for f in summary.findings if f.mode == mode]
    assert sum(summary.counts["hvp"][s] for s in ("pass",)) >= 2, summary.line(NEW_MODES)
    assert summary.counts["ckpt"]["exercised"] >= 1, summary.line(NEW_MODES)
    assert not summary.disagreements, summary.disagreements


@pytest.mark.parametrize("mode", ORDER2_MODES)
def test_a_repro_of_a_second_order_finding_runs(tmp_path, mode):
    from fuzzing.oracle import Verdict
    from fuzzing.shrink import write_repro

    path = write_repro(sin_program(), Verdict(mode, "wrong", "H v: ..."), "a test", str(tmp_path), mode)
    namespace = {"__name__": "repro"}
    exec(compile(open(path).read(), path, "exec"), namespace)
    np.testing.assert_allclose(np.asarray(namespace["got"], dtype=float), namespace["expected"], rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------- the dtypes theme


def float32_program():
    """float32 and 0-d arguments, an integer array, a fancy index with a repeat written with ``+=``, a cast."""
    body = [
        Stmt(["v = np.float32(0.7) * np.sin(x) * s0"]),
        Stmt(["b = np.zeros_like(v)"]),
        Stmt(["b[idx] += 0.5 * np.tanh(v[idx])"]),
    ]
    params = [
        Param("x", np.array([0.3, -0.2, 0.9], dtype=np.float32), True),
        Param("s0", np.array(0.4), True),
        Param("idx", np.array([0, 0, 2]), False),
        Param("ia", np.array([1, -2, 2]), False),
    ]
    return Program([], None, params, body, ["np.sum(b * ia) + np.sum(v.astype(np.float32) ** 2)"], name="f32")


def test_a_float32_program_is_judged_on_its_float64_twin(tmp_path):
    loaded = prepare(float32_program(), str(tmp_path))
    assert loaded.twin is not None
    # the twin computes in float64, so its differences at three steps agree (float32 rounding would not)
    assert fd_stable(loaded)
    for mode in ("grad", "jvp", "dynamic"):
        verdict, _ = judge_mode(loaded, mode)
        assert verdict.status == "pass", (mode, verdict)


def test_a_wrong_rule_is_reported_on_a_float32_program(tmp_path, monkeypatch):
    monkeypatch.setattr(RULES[np.sin], "vjps", (wrong_sin_vjp,))
    monkeypatch.setattr(RULES[np.sin], "jvps", (wrong_sin_jvp,))
    monkeypatch.setattr(compiler_cache, "CACHE", {})
    try:
        loaded = prepare(float32_program(), str(tmp_path))
        for mode in ("grad", "jvp", "dynamic"):
            assert judge_mode(loaded, mode)[0].status == "wrong", mode
    finally:
        compiler_cache.clear_cache()


def test_a_gradient_of_another_dtype_is_wrong():
    program = float32_program()
    assert wrong_dtype(program, {0: np.zeros(3, dtype=np.float32), 1: np.zeros(())}) is None
    problem = wrong_dtype(program, {0: np.zeros(3), 1: np.zeros(())})
    assert problem == "gradient of argument 0 has dtype float64, the argument float32"
