"""Mutation check of the rule table: does a wrong rule make the rule tests fail?

Usage::

    python tools/mutate_rules.py                 # every rule; prints the survivors and a summary
    python tools/mutate_rules.py --only sin,kron # rules whose name is listed
    python tools/mutate_rules.py --json out.json # the full result, one record per mutant

Each mutant changes one VJP or JVP of one rule, one way at a time:

* the whole result: times 1.1, negated, or zero;
* one operation in the rule's body (its ``lambda`` or ``def``): ``+``/``-`` swapped,
  ``*``/``/`` swapped, a unary minus dropped, a comparison loosened or flipped
  (``>`` and ``>=``, ``==`` and ``!=``), ``conj(a)`` or ``np.real(a)`` replaced by
  ``a``, a float constant times 1.1.

The checks run are the table-driven ones of the test suite, in this process:
``check_rule`` over ``tests/test_rules.py``'s ``CASES`` (finite differences,
JVP, dot-product test), ``check_complex_rule`` over
``tests/test_rules_complex.py``'s, the first einsum rows of
``tests/test_rules_einsum.py``, the tests of ``tests/test_rules_semantics.py``
that take no fixture (ties, kinks, domain edges) and, when scipy is installed,
``tests/test_rules_scipy.py``'s dynamic-mode and JVP checks. A first pass
records which checks call which rule function, so each mutant runs only the
checks that reach it. A mutant is *killed* when one of them fails (an
assertion, or an error); one that survives is a gap in the tests, unless it is
equivalent (``>`` for ``>=`` where the samples have no ties). Survivors can be
run against the whole rule test files with ``--pytest`` (slower: one pytest
run per survivor).
"""

import argparse
import ast
import contextlib
import io
import json
import os
import pathlib
import subprocess
import sys
import textwrap
import warnings

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from srcgrad.rules import RULES  # noqa: E402

EINSUM_ROWS = 30


# ---------------------------------------------------------------- the checks
def checks():
    """``[(name, callable)]``: every table-driven rule check, each raising on a wrong rule."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import test_rules
        import test_rules_complex
        import test_rules_einsum
    found = [
        (f"rules:{c.id}", lambda c=c: test_rules.check_rule(c, np.random.default_rng(0))) for c in test_rules.CASES
    ]
    found += [
        (f"complex:{c.id}", lambda c=c: test_rules_complex.check_complex_rule(c, np.random.default_rng(0)))
        for c in test_rules_complex.CASES
    ]
    for k, (subscripts, operands) in enumerate(test_rules_einsum.RULE_CASES[:EINSUM_ROWS]):
        case = test_rules.Case(test_rules.einsum_args, (subscripts,) + operands, {}, f"einsum {subscripts}")
        found.append((f"einsum:{k}", lambda case=case, k=k: test_rules.check_rule(case, np.random.default_rng(k))))
    found += _plain_tests("test_rules_semantics")
    try:
        import srcgrad.rules.scipy_rules

        srcgrad.rules.scipy_rules.load()
        import test_rules_scipy
    except Exception:  # scipy is optional
        return found
    for case in test_rules_scipy.CASES:
        found.append(
            (
                f"scipy-dynamic:{case[0]}",
                lambda case=case: test_rules_scipy.test_dynamic_matches_finite_differences(case),
            )
        )
        found.append(
            (f"scipy-jvp:{case[0]}", lambda case=case: test_rules_scipy.test_jvps_match_finite_differences(case))
        )
    return found


def _plain_tests(module_name):
    """The tests of a module that take no fixtures, one check per parameter set (``@pytest.mark.parametrize``)."""
    import importlib
    import inspect

    module = importlib.import_module(module_name)
    found = []
    for name, test in vars(module).items():
        if not name.startswith("test_") or not callable(test):
            continue
        marks = [m for m in getattr(test, "pytestmark", []) if m.name == "parametrize"]
        params = list(inspect.signature(test).parameters)
        if len(marks) > 1 or (not marks and params):
            continue  # fixtures (monkeypatch, tmp_path) or stacked parametrizations: left to pytest
        if not marks:
            found.append((f"{module_name}:{name}", test))
            continue
        argnames, values = marks[0].args[0], marks[0].args[1]
        argnames = [a.strip() for a in argnames.split(",")] if isinstance(argnames, str) else list(argnames)
        if set(params) != set(argnames):
            continue
        for k, value in enumerate(values):
            value = value.values if hasattr(value, "values") else value  # pytest.param(...)
            kwargs = dict(zip(argnames, value if len(argnames) > 1 else (value,)))
            found.append((f"{module_name}:{name}[{k}]", lambda test=test, kwargs=kwargs: test(**kwargs)))
    return found


def run_check(fn):
    """``None`` when the check passes (or skips itself), else a one-line reason."""
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            fn()
    except AssertionError as e:
        return "assert: " + (str(e).strip().splitlines() or [""])[0][:100]
    except Exception as e:
        return f"{type(e).__name__}: " + (str(e).splitlines() or [""])[0][:100]
    except BaseException as e:  # pytest.skip inside a check
        if type(e).__name__ == "Skipped":
            return None
        raise
    return None


# ---------------------------------------------------------------- which check reaches which rule function
def slots():
    """``[(rule, kind, index)]`` for every VJP and JVP function in the table."""
    seen, found = set(), []
    for rule in RULES.values():
        if id(rule) in seen or not rule.differentiable:
            continue
        seen.add(id(rule))
        for kind in ("vjps", "jvps"):
            for k, f in enumerate(getattr(rule, kind)):
                if f is not None and not {"not_implemented", "not_differentiable"} & set(f.__code__.co_names):
                    found.append((rule, kind, k))  # (a slot that raises on purpose has nothing to mutate)
    return found


@contextlib.contextmanager
def replaced(rule, kind, k, f):
    old = getattr(rule, kind)
    setattr(rule, kind, old[:k] + (f,) + old[k + 1 :])
    try:
        yield
    finally:
        setattr(rule, kind, old)


def coverage(all_slots, all_checks):
    """``({(id(rule), kind, k): [check names]}, {check name: reason})``: the checks that call each rule function,
    and the checks that fail with no mutant at all (they prove nothing here, so they are left out).

    Calls are seen through ``sys.setprofile``, not by wrapping the functions: the tape reads a rule function's
    parameters to decide what to save, so a wrapper would change what it runs.
    """
    by_code = {}
    for rule, kind, k in all_slots:
        by_code.setdefault(getattr(rule, kind)[k].__code__, []).append((id(rule), kind, k))
    hits, current, failing = {}, [None], {}

    def profile(frame, event, arg):
        if event == "call":
            for key in by_code.get(frame.f_code, ()):
                hits.setdefault(key, set()).add(current[0])

    for name, fn in all_checks:
        current[0] = name
        sys.setprofile(profile)
        try:
            reason = run_check(fn)
        finally:
            sys.setprofile(None)
        if reason is not None:
            failing[name] = reason
    return {key: sorted(names - set(failing)) for key, names in hits.items()}, failing


# ---------------------------------------------------------------- mutants
def _result_changer(how):
    def apply(v):
        if isinstance(v, (tuple, list)):
            return type(v)(apply(x) for x in v)
        if v is None:
            return v
        return {"x1.1": lambda a: a * 1.1, "negated": lambda a: -a, "zero": lambda a: a * 0}[how](v)

    return apply


_SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}
_CMP = {ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}


def _edits(node):
    """``[(description, edit)]``: each edit mutates a fresh copy of the rule's AST in one place."""
    found = []
    for n in ast.walk(node):
        where = f"{getattr(n, 'lineno', '?')}:{getattr(n, 'col_offset', '?')}"
        if isinstance(n, ast.BinOp) and type(n.op) in _SWAPS:
            new = _SWAPS[type(n.op)]
            found.append((f"{type(n.op).__name__}->{new.__name__} at {where}", (where, "binop", new)))
        elif isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub):
            found.append((f"drop unary minus at {where}", (where, "usub", None)))
        elif isinstance(n, ast.Compare) and len(n.ops) == 1 and type(n.ops[0]) in _CMP:
            new = _CMP[type(n.ops[0])]
            found.append((f"{type(n.ops[0]).__name__}->{new.__name__} at {where}", (where, "cmp", new)))
        elif isinstance(n, ast.Call) and len(n.args) == 1 and ast.unparse(n.func) in ("conj", "np.real"):
            found.append((f"drop {ast.unparse(n.func)}() at {where}", (where, "call", None)))
        elif isinstance(n, ast.Constant) and type(n.value) is float and n.value not in (0.0,):
            found.append((f"constant {n.value}*1.1 at {where}", (where, "const", None)))
    return found


class _Apply(ast.NodeTransformer):
    def __init__(self, edit):
        self.where, self.what, self.new = edit

    def visit_Lambda(self, n):
        self.generic_visit(n)
        if self.what == "result":
            n.body = ast.Call(ast.Name("_mutate_result_", ast.Load()), [n.body], [])
        return n

    def visit_Return(self, n):
        self.generic_visit(n)
        if self.what == "result" and n.value is not None:
            n.value = ast.Call(ast.Name("_mutate_result_", ast.Load()), [n.value], [])
        return n

    def _here(self, n):
        return f"{getattr(n, 'lineno', '?')}:{getattr(n, 'col_offset', '?')}" == self.where

    def visit_BinOp(self, n):
        self.generic_visit(n)
        if self.what == "binop" and self._here(n):
            n.op = self.new()
        return n

    def visit_UnaryOp(self, n):
        self.generic_visit(n)
        if self.what == "usub" and self._here(n) and isinstance(n.op, ast.USub):
            return n.operand
        return n

    def visit_Compare(self, n):
        self.generic_visit(n)
        if self.what == "cmp" and self._here(n):
            n.ops = [self.new()]
        return n

    def visit_Call(self, n):
        self.generic_visit(n)
        if self.what == "call" and self._here(n):
            return n.args[0]
        return n

    def visit_Constant(self, n):
        if self.what == "const" and self._here(n):
            return ast.copy_location(ast.Constant(n.value * 1.1), n)
        return n


def _compiled(f, node, edit):
    """``f`` rebuilt from its AST with ``edit`` applied, in ``f``'s module namespace (copied)."""
    import copy

    tree = _Apply(edit).visit(copy.deepcopy(node))
    ast.fix_missing_locations(tree)
    namespace = dict(f.__globals__)
    if edit[1] == "result":
        namespace["_mutate_result_"] = _result_changer(edit[2])
    if isinstance(tree, ast.Lambda):
        return eval(compile(ast.Expression(tree), "<mutant>", "eval"), namespace)
    tree.decorator_list = []
    exec(compile(ast.Module([tree], []), "<mutant>", "exec"), namespace)
    return namespace[tree.name]


def rule_node(func):
    """The ``ast.Lambda`` or ``ast.FunctionDef`` of a rule function (found by its first line), or None."""
    import inspect

    try:
        lines, _ = inspect.findsource(func)
    except (OSError, TypeError):
        return None
    kind = ast.Lambda if func.__name__ == "<lambda>" else ast.FunctionDef
    found = [
        n
        for n in ast.walk(ast.parse("".join(lines)))
        if isinstance(n, kind) and n.lineno == func.__code__.co_firstlineno
    ]
    return found[0] if len(found) == 1 else None


def mutants(rule, kind, k):
    """``[(description, function)]`` for one rule function."""
    f = getattr(rule, kind)[k]
    found = []
    if getattr(f, "__code__", None) is None or f.__code__.co_freevars:
        return found  # a closure: its body cannot be rebuilt outside its scope
    node = rule_node(f)
    if node is None:
        return found
    edits = [(f"result {how}", (None, "result", how)) for how in ("x1.1", "negated", "zero")] + _edits(node)
    for desc, edit in edits:
        try:
            found.append((desc, _compiled(f, node, edit)))
        except Exception:  # an edit that does not compile is no mutant
            pass
    return found


def _label(rule, kind, k):
    return f"{rule.name}.{kind[:-1]}[{k}]"


# ---------------------------------------------------------------- pytest on survivors
def pytest_survivor(record):
    """Run the rule test files with one mutant applied (through MUTATE_RULES_MUTANT); True when killed."""
    env = dict(
        os.environ,
        MUTATE_RULES_MUTANT=json.dumps([record["rule"], record["kind"], record["index"], record["mutation"]]),
    )
    files = sorted(str(p) for p in (ROOT / "tests").glob("test_rules*.py"))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "mutate_rules_plugin", *files],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT / "tools")},
        capture_output=True,
        text=True,
    )
    return done.returncode != 0


def apply_from_environment():
    """Apply the mutant named in MUTATE_RULES_MUTANT (used by the pytest plugin)."""
    name, kind, k, desc = json.loads(os.environ["MUTATE_RULES_MUTANT"])
    for rule, kd, kk in slots():
        if rule.name == name and kd == kind and kk == k:
            for d, f in mutants(rule, kind, k):
                if d == desc:
                    fs = list(getattr(rule, kind))
                    fs[k] = f
                    setattr(rule, kind, tuple(fs))
                    return
    raise SystemExit(f"no mutant {name} {kind} {k} {desc}")


# ---------------------------------------------------------------- main
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated rule names")
    parser.add_argument("--json", help="write every record to this file")
    parser.add_argument("--pytest", action="store_true", help="run the rule test files on each survivor")
    parser.add_argument("--whole-only", action="store_true", help="only the whole-result mutants")
    args = parser.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None

    all_checks = checks()
    by_name = dict(all_checks)
    all_slots = [s for s in slots() if only is None or s[0].name in only]
    reach, failing = coverage(all_slots, all_checks)
    for name, reason in failing.items():
        print(f"FAILS WITHOUT A MUTANT (left out): {name}: {reason}")
    records = []
    for rule, kind, k in all_slots:
        names = reach.get((id(rule), kind, k), [])
        for desc, f in mutants(rule, kind, k):
            if args.whole_only and not desc.startswith("result"):
                continue
            killed_by = None
            with replaced(rule, kind, k, f):
                for name in names:
                    reason = run_check(by_name[name])
                    if reason is not None:
                        killed_by = f"{name}: {reason}"
                        break
            records.append(
                {
                    "rule": rule.name,
                    "kind": kind,
                    "index": k,
                    "mutation": desc,
                    "killed_by": killed_by,
                    "checks": len(names),
                }
            )
    survivors = [r for r in records if r["killed_by"] is None]
    if args.pytest:
        for r in survivors:
            r["killed_by_pytest"] = pytest_survivor(r)
    for r in survivors:
        extra = (
            ""
            if "killed_by_pytest" not in r
            else ("  (killed by the rule test files)" if r["killed_by_pytest"] else "  (survives the rule test files)")
        )
        print(
            f"SURVIVED {r['rule']}.{r['kind'][:-1]}[{r['index']}]: {r['mutation']} "
            f"({r['checks']} checks reach it){extra}"
        )
    unmutated = sorted({_label(rule, kind, k) for rule, kind, k in all_slots if not mutants(rule, kind, k)})
    if unmutated:
        print("not mutated (a closure, or source not found):", ", ".join(unmutated))
    unreached = sorted({f"{r['rule']}.{r['kind'][:-1]}[{r['index']}]" for r in records if r["checks"] == 0})
    if unreached:
        print("no check reaches:", ", ".join(unreached))
    print(
        textwrap.dedent(f"""
        {len(records)} mutants of {len(all_slots)} rule functions: {len(records) - len(survivors)} killed,
        {len(survivors)} survived.""").strip()
    )
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(records, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
