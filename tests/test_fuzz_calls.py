"""The fuzzer's ``calls`` theme (``tests/fuzzing/calls.py``): numpy calls written as users write them.

* the theme makes each of its forms, and is drawn only when asked for (the programs of every earlier seed
  stay as they were);
* the shapes its forms give are numpy's (found by calling them on stand-ins);
* its teeth: with ``np.roll``'s rule made wrong, generated ``calls`` programs that passed are reported wrong;
  with the adjoint sweep's undoing of an in-place write blind to views of the array (the bug the family found),
  its programs that read a view of an array written afterwards are reported wrong.
"""

import re

import numpy as np
import pytest

import srcgrad.compiler.cache as compiler_cache
from fuzzing.calls import shape_of_call
from fuzzing.oracle import MODES, judge_mode, prepare
from fuzzing.programs import generate, run_prefix
from fuzzing.statements import DRAWN_THEMES, THEMES
from srcgrad.rules import RULES

SEED = 23

FORMS = [
    r"np\.(var|std|sum|mean|max|min|prod|amax|ptp|linalg\.norm|clip|diff|roll)\(.*, \w+=.*, \w+=",  # keywords
    r"np\.where\(\(",  # three operands broadcast
    r"\[::-[12]\]|np\.flip",  # negative strides
    r"np\.take_along_axis\(",
    r"np\.float64\(|np\.asarray\(0?\.|np\.float32\(|np\.array\(\d",  # numbers of several kinds
    r"axis=None",
    r"def hk\d+_\d+\(\*args, \*\*kwargs\)|def hk\d+_\d+\(a, \*rest|def hk\d+_\d+\(a, \*\*kw\)",
    r"\.(reduce|accumulate)\(|np\.average\(",  # ufunc methods; np.average
    r"^    c\d+ = .*\n    v\d+ = .*c\d+.*\n    \w+ = .*v\d+.*\n    c\d+(\[.*\])? (=|\+=|\*=) ",  # a view, then a write
]


@pytest.fixture(scope="module")
def sources():
    return [generate(SEED, k, themes=("calls",)).source() for k in range(40)]


@pytest.mark.parametrize("pattern", FORMS)
def test_the_calls_theme_makes_its_forms(sources, pattern):
    assert re.search(pattern, "\n".join(sources), re.M), pattern


def test_calls_programs_run():
    programs = [generate(SEED, 100 + k, themes=("calls",)) for k in range(20)]
    assert sum(run_prefix(p, final=True) is not None for p in programs) >= 19


def test_calls_is_drawn_only_when_asked_for():
    assert "calls" in THEMES and "calls" not in DRAWN_THEMES
    assert DRAWN_THEMES == THEMES[: len(DRAWN_THEMES)]  # the pool earlier seeds drew from, in its order
    assert not any("calls" in generate(4, k).themes for k in range(40))


@pytest.mark.parametrize(
    "template, shapes, want",
    [
        ("np.concatenate(({a}, {b}), axis=None)", {"a": (2, 3), "b": (2,)}, (8,)),
        ("np.where(({c} > 0.1), {a}, {b})", {"a": (2, 3), "b": (3,), "c": (2, 1)}, (2, 3)),
        ("np.var({a}, keepdims=True, ddof=1, axis=-1)", {"a": (2, 3)}, (2, 1)),
        ("np.take_along_axis({a}, np.argsort({a}, axis=0), axis=0)", {"a": (3, 2)}, (3, 2)),
        ("np.dot({a}, {b})", {"a": (2, 3), "b": (4,)}, None),  # numpy refuses: the form is drawn again
    ],
)
def test_the_shape_of_a_call_is_numpys(template, shapes, want):
    assert shape_of_call(template, shapes) == want


def wrong_roll_vjp(g, ans, x, shift, axis=None):
    return np.roll(g, shift, axis)  # rolled the same way again, not back


def wrong_roll_jvp(t, ans, x, shift, axis=None):
    return np.roll(t, -shift, axis)


def test_a_wrong_rule_is_reported_on_calls_programs(tmp_path, monkeypatch):
    programs = []
    for k in range(300):
        program = generate(SEED, 1000 + k, themes=("calls",))
        if re.search(r"np\.roll\(.*shift=(-1|1|2)", program.source()):
            programs.append(program)
        if len(programs) == 4:
            break
    passed = []
    for program in programs:
        loaded = prepare(program, str(tmp_path))
        passed += [(program, mode) for mode in MODES if judge_mode(loaded, mode)[0].status == "pass"]
    assert passed, "no calls program rolling an array passes"
    monkeypatch.setattr(RULES[np.roll], "vjps", (wrong_roll_vjp,))
    monkeypatch.setattr(RULES[np.roll], "jvps", (wrong_roll_jvp,))
    monkeypatch.setattr(compiler_cache, "CACHE", {})
    try:
        verdicts = [(mode, judge_mode(prepare(program, str(tmp_path)), mode)[0]) for program, mode in passed]
    finally:
        compiler_cache.clear_cache()
    assert any(v.status == "wrong" for _, v in verdicts), verdicts


def test_a_restore_blind_to_views_is_reported_on_calls_programs(tmp_path, monkeypatch):
    # what the family found: the gradient undid an index write run in place only where the adjoint sweep read
    # the written name itself, not a view of it made before the write
    from srcgrad.compiler.reverse import adjoints, markers

    programs = []
    for k in range(200):
        program = generate(SEED, 2000 + k, themes=("calls",))
        if re.search(r"^    c\d+ = .*\n    v\d+ = ", program.source(), re.M):
            programs.append(program)
        if len(programs) == 8:
            break
    passed = []
    for program in programs:
        loaded = prepare(program, str(tmp_path))
        if judge_mode(loaded, "grad")[0].status == "pass":
            passed.append(program)
    assert passed, "no calls program writing a viewed array passes"

    def blind(var, index, key=0, sharers=frozenset()):
        return markers.RestoreItems(var, index, key=key)

    monkeypatch.setattr(adjoints, "RestoreItems", blind)
    monkeypatch.setattr(compiler_cache, "CACHE", {})
    try:
        verdicts = [judge_mode(prepare(program, str(tmp_path)), "grad")[0] for program in passed]
    finally:
        compiler_cache.clear_cache()
    assert any(v.status == "wrong" for v in verdicts), verdicts
