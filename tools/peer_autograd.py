"""Run a peer's test suite on srcgrad: HIPS autograd's own tests, and Tangent's functions.

    python tools/peer_autograd.py                       # HIPS autograd 1.9.1, both modes
    python tools/peer_autograd.py --mode static --files test_numpy.py
    python tools/peer_autograd.py --baseline tools/peer_baseline.json     # what CI runs
    python tools/peer_autograd.py --suite tangent --tangent-functions PATH/functions.py
    python tools/peer_autograd.py --suite examples        # HIPS's example programs (tools/peer_examples.py)

HIPS autograd (``autograd==1.9.1``) ships its tests in its source distribution,
which ``pip download --no-deps --no-binary :all:`` fetches into the cache
(``--cache``, default ``~/.cache/srcgrad-peer``). Each test file is copied
with its imports rewritten (``import autograd.numpy as np`` reads
``import srcgrad.numpy as np`` in dynamic mode, ``import numpy as np`` in
static mode: ``tools/peer_numpy.py``; the checking API comes from
``tools/peer_shim.py``),
then pytest runs the copies once per mode in a fresh interpreter, with the
plugin at the bottom of this file classifying every test:

* ``pass``: the test passed and asked for at least one derivative, each of
  which agreed with central finite differences;
* ``wrong``: a derivative disagreed with finite differences (whatever the test did next);
* ``refused``: srcgrad raised one of its own errors (``SrcgradError``:
  ``TransformError``, ``NoRuleError``, ``AutogradError``) or a
  ``NotImplementedError`` of its own, naming what it does not support;
* ``crash``: any other failure;
* ``n/a``: the test exercises HIPS's internals (``primitive``/``defvjp``,
  vspaces, ``make_ggnvp``, ...: see ``NOT_APPLICABLE``) or asks for no derivative.

The tool exits non-zero when the download fails, when any test is wrong (with
``--baseline``: wrong and not listed in its ``known_wrong``), or when a pass
count falls below the baseline's. ``--write-baseline`` records a run.
"""

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

TOOLS = os.path.dirname(os.path.abspath(__file__))
AUTOGRAD = ("autograd", "1.9.1")
TANGENT = ("tangent-ad", "0.4.0")
DEFAULT_CACHE = os.path.join(os.path.expanduser("~"), ".cache", "srcgrad-peer")
OUTCOMES = ("pass", "refused", "crash", "wrong", "n/a", "skip")

# HIPS internals that srcgrad has no counterpart for: the shim gives each name
# a stand-in that raises NotApplicable when used, so a test that uses one is
# reported n/a with that name (and nothing else is).
NOT_APPLICABLE = {
    "primitive": "HIPS's primitive/defvjp API (srcgrad's is srcgrad.custom_vjp / srcgrad.rules.defvjp)",
    "defvjp": "HIPS's primitive/defvjp API",
    "primitive_vjps": "HIPS's table of primitives",
    "vspace": "HIPS's vector spaces",
    "const_graph": "HIPS's graph caching",
    "flatten": "HIPS's misc.flatten utility (no derivative of srcgrad's involved)",
    "make_ggnvp": "HIPS's Gauss-Newton product helper",
    "quick_grad_check": "HIPS's deprecated wrapper",
}

# Tests of HIPS's own extensions and wrappers rather than of derivatives, by name.
NOT_APPLICABLE_TESTS = {
    "test_numpy.py::test_make_diagonal": "HIPS's own numpy extension np.make_diagonal",
    "test_numpy.py::test_diagonal": "HIPS's own numpy extension np.make_diagonal",
    "test_numpy.py::test_scalar_array_box_attributes": "HIPS presents a Python float as a 0-d array (x.shape on a float)",
    "test_wrappers.py::test_custom_where": "HIPS's np.where wrapper (keyword arguments); no derivative",
    "test_wrappers.py::test_custom_where_dtypes": "HIPS's np.where wrapper (Python result types); no derivative",
    "test_wrappers.py::test_wrapped_name_and_docs": "HIPS's wrapper names and docstrings",
    "test_graphs.py::test_assignment_raises_error": "HIPS's own limitation: it expects index assignment into an "
    "argument to raise (srcgrad differentiates it)",
    "test_fft.py::test_rfftn_odd_not_implemented": "HIPS's own limitation: it expects rfftn of an odd last axis to "
    "raise NotImplementedError (srcgrad differentiates it)",
    "test_scipy.py::test_convolve_generalization": "HIPS's own scipy.signal.convolve(axes=, dot_axes=), not scipy's",
    "test_scipy.py::test_convolve_ignore": "HIPS's own scipy.signal.convolve(axes=, dot_axes=), not scipy's",
    "test_scipy.py::test_convolve_ignore_dot": "HIPS's own scipy.signal.convolve(axes=, dot_axes=), not scipy's",
}

# ---------------------------------------------------------------------------
# Fetching


def fetch_sdist(name, version, cache):
    """``pip download`` the sdist of ``name==version`` into ``cache`` and unpack it.

    Returns:
        The unpacked directory.

    Raises:
        SystemExit: pip failed (no network, no such version): said loudly.
    """
    os.makedirs(cache, exist_ok=True)
    stem = f"{name.replace('-', '_')}-{version}"
    target = os.path.join(cache, stem)
    if os.path.isdir(target):
        return target
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--no-binary",
        ":all:",
        "--quiet",
        "-d",
        cache,
        f"{name}=={version}",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    archives = [f for f in os.listdir(cache) if f.startswith(stem) and f.endswith((".tar.gz", ".zip"))]
    if proc.returncode != 0 or not archives:
        sys.stderr.write(
            f"\n*** peer suite: could not download {name}=={version} with pip ***\n"
            f"{' '.join(cmd)}\n{proc.stdout}{proc.stderr}\n"
        )
        raise SystemExit(3)
    with tarfile.open(os.path.join(cache, archives[0])) as tar:
        tar.extractall(cache, filter="data") if hasattr(tarfile, "data_filter") else tar.extractall(cache)
    return target


# ---------------------------------------------------------------------------
# Rewriting HIPS's imports

_MODULE_IMPORTS = [
    (r"^(\s*)import autograd\.numpy\.random as (\w+)", r"\1import numpy.random as \2"),
    (r"^(\s*)import autograd\.numpy as (\w+)", r"\1import peer_numpy as \2"),  # numpy, or srcgrad.numpy
    (r"^(\s*)import autograd\.scipy\.stats\.(\w+) as (\w+)", r"\1from scipy.stats import \2 as \3"),
    (r"^(\s*)import autograd\.scipy\.(\w+) as (\w+)", r"\1import scipy.\2 as \3\n\1import peer_shim  # noqa"),
    (r"^(\s*)import autograd\.scipy\.(\w+)$", r"\1import scipy.\2"),
]

_SHIM_MODULES = (
    "autograd",
    "autograd.test_util",
    "autograd.core",
    "autograd.extend",
    "autograd.tracer",
    "autograd.wrap_util",
    "autograd.builtins",
    "autograd.misc",
    "autograd.util",
)
_RENAMES = {("autograd.core", "make_vjp"): "core_make_vjp", ("autograd.core", "make_jvp"): "core_make_jvp"}


def rewrite(text):
    """A HIPS test file's text with its imports pointing at numpy, scipy and the shim."""
    lines = []
    for line in text.splitlines():
        for pattern, repl in _MODULE_IMPORTS:
            line = re.sub(pattern, repl, line)
        m = re.match(r"^(\s*)from (autograd[\w.]*) import (.*)$", line)
        if m and m.group(2) in _SHIM_MODULES:
            indent, module, names = m.groups()
            if names.strip().startswith("(") and not names.strip().endswith(")"):
                lines.append(f"{indent}from peer_shim import {names}")  # continued on the next lines
                continue
            parts = []
            for item in names.split("#")[0].strip().strip("()").split(","):
                item = item.strip()
                if not item:
                    continue
                name, _, alias = item.partition(" as ")
                name, alias = name.strip(), alias.strip() or name.strip()
                new = _RENAMES.get((module, name), name)
                parts.append(new if new == alias else f"{new} as {alias}")
            line = f"{indent}from peer_shim import {', '.join(parts)}"
        line = line.replace("autograd.scipy.", "scipy.")
        line = line.replace("np.linalg._dot(", "np.matmul(")  # HIPS's helper: einsum("...ij,...jk->...ik")
        line = re.sub(r"np\.linalg\.T\((\w+)\)", r"np.swapaxes(\1, -1, -2)", line)  # HIPS's helper
        lines.append(line)
    return "\n".join(lines) + "\n"


def prepare_autograd(src_tests, run_dir, files=None):
    """Copy HIPS's test files, rewritten, into ``run_dir``; return the test files' names."""
    os.makedirs(run_dir, exist_ok=True)
    chosen = []
    for name in sorted(os.listdir(src_tests)):
        if not name.endswith(".py"):
            continue
        with open(os.path.join(src_tests, name)) as f:
            text = rewrite(f.read())
        with open(os.path.join(run_dir, name), "w") as f:
            f.write(text)
        if name.startswith("test_") and (not files or name in files):
            chosen.append(name)
    with open(os.path.join(run_dir, "pytest.ini"), "w") as f:
        f.write("[pytest]\naddopts = -p no:cacheprovider\n")
    return chosen


# ---------------------------------------------------------------------------
# Running pytest on the copies, one interpreter per mode


def run_pytest(run_dir, files, mode, cache, verbose=False):
    """Run the rewritten files in ``mode``; returns ``{nodeid: record}``."""
    # each run its own results file: several runs may share one cache
    results_dir = tempfile.mkdtemp(prefix=f"results-{mode}-", dir=cache)
    gen_dir = tempfile.mkdtemp(prefix=f"gen-{mode}-", dir=cache)
    try:
        return _run_pytest(run_dir, files, mode, os.path.join(results_dir, "results.json"), gen_dir, verbose)
    finally:  # the run's own folders go: only the sdist and its copy stay in the cache
        shutil.rmtree(results_dir, ignore_errors=True)
        shutil.rmtree(gen_dir, ignore_errors=True)


def _run_pytest(run_dir, files, mode, out, gen_dir, verbose):
    env = dict(os.environ)
    env.update(
        SRCGRAD_PEER_MODE=mode,
        SRCGRAD_PEER_RESULTS=out,
        SRCGRAD_PEER_GEN=gen_dir,
        PYTHONPATH=os.pathsep.join([TOOLS, run_dir, env.get("PYTHONPATH", "")]),
        PYTHONDONTWRITEBYTECODE="1",
    )
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "peer_autograd",
        "-c",
        os.path.join(run_dir, "pytest.ini"),
        "--rootdir",
        run_dir,
        "-W",
        "ignore",
        "--tb=no",
        "--no-header",
        "-rN",
    ] + files
    proc = subprocess.run(cmd, cwd=run_dir, env=env, capture_output=not verbose, text=True)
    if not os.path.exists(out):
        sys.stderr.write(
            f"*** peer suite: pytest wrote no results in {mode} mode ***\n{proc.stdout or ''}{proc.stderr or ''}\n"
        )
        raise SystemExit(4)
    with open(out) as f:
        return json.load(f)


# ---------------------------------------------------------------------------
# The pytest plugin (loaded with -p peer_autograd inside the run)

_RESULTS = {}


def _classify_error(exc):
    """``(outcome, message)`` for an exception a test raised."""
    import peer_shim

    import srcgrad

    chain, seen = [], exc
    while seen is not None and seen not in chain:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    for e in chain:
        if isinstance(e, peer_shim.NotApplicable):
            return "n/a", str(e)
    for e in chain:
        if isinstance(e, peer_shim.WrongGradient):
            return "wrong", str(e)
    for e in chain:
        if isinstance(e, srcgrad.SrcgradError):
            return "refused", f"{type(e).__name__}: {_first_line(e)}"
        if isinstance(e, NotImplementedError) and _raised_in_srcgrad(e):
            return "refused", f"NotImplementedError: {_first_line(e)}"
    return "crash", f"{type(exc).__name__}: {_first_line(exc)}{_where(exc)}"


def _first_line(e):
    text = str(e).strip().splitlines()
    return text[0][:300] if text else ""


def _raised_in_srcgrad(e):
    tb = e.__traceback__
    last = None
    while tb is not None:
        last = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    return last is not None and f"{os.sep}srcgrad{os.sep}" in last


def _where(e):
    """`` (at file:line)`` of the innermost frame, for crashes."""
    tb = e.__traceback__
    frames = []
    while tb is not None:
        frames.append((tb.tb_frame.f_code.co_filename, tb.tb_lineno))
        tb = tb.tb_next
    if not frames:
        return ""
    path, line = frames[-1]
    return f" (at {os.path.basename(os.path.dirname(path))}/{os.path.basename(path)}:{line})"


def pytest_collection_modifyitems(session, config, items):
    keep = []
    for item in items:
        reason = NOT_APPLICABLE_TESTS.get(item.nodeid.split("[")[0])
        if reason:
            _RESULTS[item.nodeid] = {"outcome": "n/a", "message": reason}
        else:
            keep.append(item)
    items[:] = keep


def pytest_runtest_setup(item):
    import peer_shim

    peer_shim.WRONG.clear()
    peer_shim.DEFERRED.clear()
    peer_shim.UNJUDGED.clear()
    peer_shim.COUNT[0] = 0


def pytest_runtest_makereport(item, call):
    import peer_shim

    if call.when == "setup" and call.excinfo is not None:
        if call.excinfo.errisinstance(__import__("pytest").skip.Exception):
            _RESULTS[item.nodeid] = {"outcome": "skip", "message": str(call.excinfo.value)[:200]}
        else:
            _RESULTS[item.nodeid] = {"outcome": "crash", "message": "setup: " + _first_line(call.excinfo.value)}
        return
    if call.when != "call":
        return
    if peer_shim.WRONG:
        record = {"outcome": "wrong", "message": peer_shim.WRONG[0]}
    elif call.excinfo is None and peer_shim.DEFERRED:
        record = {"outcome": "refused", "message": peer_shim.DEFERRED[0]}
    elif call.excinfo is None:
        if peer_shim.COUNT[0]:
            record = {"outcome": "pass", "message": ""}
        else:
            record = {"outcome": "n/a", "message": "asks srcgrad for no derivative"}
    elif call.excinfo.errisinstance(__import__("pytest").skip.Exception):
        record = {"outcome": "skip", "message": str(call.excinfo.value)[:200]}
    else:
        outcome, message = _classify_error(call.excinfo.value)
        record = {"outcome": outcome, "message": message}
    record["seconds"] = round(call.duration, 3)
    if peer_shim.UNJUDGED:
        record["unjudged"] = len(peer_shim.UNJUDGED)
    _RESULTS[item.nodeid] = record


def pytest_collectreport(report):
    if report.failed:
        text = str(report.longrepr)
        outcome = "n/a" if "NotApplicable" in text else "crash"
        _RESULTS[report.nodeid or "collect"] = {"outcome": outcome, "message": "collection: " + text[-300:]}


def pytest_sessionfinish(session, exitstatus):
    out = os.environ.get("SRCGRAD_PEER_RESULTS")
    if out:
        with open(out, "w") as f:
            json.dump(_RESULTS, f, indent=1, sort_keys=True)


# ---------------------------------------------------------------------------
# Tangent's tests/functions.py

TANGENT_NOT_APPLICABLE = {
    "tf.": "TensorFlow eager functions (srcgrad differentiates numpy)",
    "tangent.Stack": "Tangent's own stack internals (tangent.Stack/push/pop)",
    "tangent.trace": "Tangent's tracing decorator",
    "insert_grad_of": "Tangent's insert_grad_of (edits its own gradient code)",
}


def find_tangent_functions(cache, path=None):
    """The text of Tangent's tests/functions.py: ``path``, or the tangent-ad sdist if it ships it."""
    if path:
        with open(path) as f:
            return f.read(), path
    root = fetch_sdist(*TANGENT, cache)
    candidate = os.path.join(root, "tests", "functions.py")
    if os.path.exists(candidate):
        with open(candidate) as f:
            return f.read(), candidate
    sys.stderr.write(
        f"\n*** peer suite: the {TANGENT[0]}=={TANGENT[1]} sdist has tests/ but no tests/functions.py "
        "(neither do tangent 0.1.7-0.1.9 nor tangent-ad 0.2-0.3); pass --tangent-functions with a copy "
        "of tests/functions.py from Tangent's repository ***\n"
    )
    raise SystemExit(3)


def prepare_tangent(text, run_dir):
    """Write Tangent's functions as a module of numpy (``peer_numpy``); returns (module path, {name: reason n/a})."""
    tree = ast.parse(text)
    lines = text.splitlines()
    na = {}
    keep = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names]
            if any(n.startswith(("tangent", "tensorflow")) or n == "insert_grad_of" for n in names) or getattr(
                node, "module", None
            ) in ("tangent", "__future__"):
                continue
            if names == ["numpy"]:  # the module's first line imports it (peer_numpy)
                continue
        segment = "\n".join(lines[node.lineno - 1 - len(getattr(node, "decorator_list", [])) : node.end_lineno])
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            for marker, reason in TANGENT_NOT_APPLICABLE.items():
                if marker in segment:
                    na[node.name] = reason
                    break
        if isinstance(node, ast.FunctionDef) and node.name in na:
            continue
        if isinstance(node, ast.FunctionDef) and any("tangent" in ast.unparse(d) for d in node.decorator_list):
            continue
        keep.append(segment)
    body = "import peer_numpy as np  # numpy, or srcgrad.numpy in dynamic mode\n\n\n" + "\n\n\n".join(keep) + "\n"
    os.makedirs(run_dir, exist_ok=True)
    path = os.path.join(run_dir, "tangent_functions.py")
    with open(path, "w") as f:
        f.write(body)
    return path, na


def tangent_arguments(fn, rng, which):
    """Inputs for a Tangent test function, by its parameter names (as Tangent's harness does)."""
    import inspect

    scalars = {"a": (1.3, -0.8), "b": (-0.7, 0.45), "c": (0.4, -1.1)}
    args, wrt = [], []
    for k, name in enumerate(inspect.signature(fn).parameters):
        if name == "a" and fn.__name__ == "listcomp":  # it iterates over its a
            value = rng.randn(3)
        elif name in scalars:
            value = scalars[name][which]
        elif name == "n":
            value = 3
        elif name == "i":
            value = 1
        elif name == "x":
            value = rng.randn(3)
        elif name == "sqm":  # a square matrix, as Tangent's harness gives it
            value = rng.randn(3, 3)
        elif name == "abc_packed_in_tuple":
            value = (1.3, -0.7, 0.4)
        elif name == "val":
            value = {"a": 1.3, "b": -0.7, "c": 0.4}
        elif name == "p":
            value = {"i": {"j": 1.3, "k": -0.7}}
        elif fn.__name__ == "logistic_regression":
            value = {"input": rng.randn(5, 4), "label": (rng.rand(5) > 0.5).astype(float), "W": rng.randn(4), "b": 0.3}[
                name
            ]
        elif fn.__name__ == "rnn":
            value = {"inputs": rng.randn(3, 2), "W": rng.randn(2, 3)}[name]
        elif fn.__name__ == "bilinear":
            value = {
                "x": rng.randn(3),
                "h": rng.randn(2),
                "U": rng.randn(2, 4),
                "W": rng.randn(3, 4),
                "b": rng.randn(4),
            }[name]
        else:
            raise KeyError(f"no input for parameter {name!r} of {fn.__name__}")
        args.append(value)
        if name not in ("n", "i", "label"):
            wrt.append(k)
    return args, tuple(wrt)


def run_tangent(module_path, na, mode, cache):
    """Each function: its gradient (reverse) and its JVP (forward), judged by finite differences."""
    code = f"""
import importlib.util, json, sys, traceback
import numpy as np
sys.path.insert(0, {TOOLS!r})
import peer_shim, peer_autograd
spec = importlib.util.spec_from_file_location("tangent_functions", {module_path!r})
m = importlib.util.module_from_spec(spec); sys.modules["tangent_functions"] = m; spec.loader.exec_module(m)
results = {{}}
for name, fn in vars(m).items():
    if not callable(fn) or name.startswith("_") or getattr(fn, "__module__", "") != "tangent_functions":
        continue
    for direction in ("rev", "fwd"):
        peer_shim.WRONG.clear(); peer_shim.COUNT[0] = 0
        try:
            for which in (0, 1):
                rng = np.random.RandomState(0)
                args, wrt = peer_autograd.tangent_arguments(fn, rng, which)
                try:
                    with np.errstate(all="ignore"):
                        out = fn(*peer_shim._copy(args))
                except Exception as e:  # broken in plain numpy too (cart2polar's np.arctan(b, a): a is out=)
                    raise peer_shim.NotApplicable(f"fails in plain numpy: {{type(e).__name__}}: {{e}}")
                if np.iscomplexobj(peer_shim._vector(out)) or not np.all(np.isfinite(peer_shim._vector(out))):
                    continue  # outside the function's real domain (a negative float ** 0.45 is complex in Python)
                if direction == "rev":
                    peer_shim.vjp_of(fn, wrt, args, {{}}, peer_shim.randn_like(out))
                else:
                    peer_shim.jvp_of(fn, wrt, args, {{}}, tuple(peer_shim.randn_like(args[k]) for k in wrt))
            results[name + "[" + direction + "]"] = {{"outcome": "pass" if peer_shim.COUNT[0] else "n/a",
                                                     "message": ""}}
        except BaseException as e:
            outcome, message = peer_autograd._classify_error(e)
            if peer_shim.WRONG:
                outcome, message = "wrong", peer_shim.WRONG[0]
            results[name + "[" + direction + "]"] = {{"outcome": outcome, "message": message}}
json.dump(results, open(sys.argv[1], "w"), indent=1, sort_keys=True)
"""
    out = os.path.join(cache, f"tangent-{mode}.json")
    gen_dir = tempfile.mkdtemp(prefix=f"gen-tangent-{mode}-", dir=cache)
    env = dict(os.environ, SRCGRAD_PEER_MODE=mode, SRCGRAD_PEER_GEN=gen_dir)
    try:
        proc = subprocess.run([sys.executable, "-c", code, out], env=env, capture_output=True, text=True)
    finally:
        shutil.rmtree(gen_dir, ignore_errors=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(4)
    with open(out) as f:
        results = json.load(f)
    for name, reason in na.items():
        for direction in ("rev", "fwd"):
            results[f"{name}[{direction}]"] = {"outcome": "n/a", "message": reason}
    return results


# ---------------------------------------------------------------------------
# Reporting


def _file_of(nodeid):
    return nodeid.split("::")[0]


def tally(results, key=_file_of):
    """``{group: {outcome: count}}``."""
    table = {}
    for nodeid, record in results.items():
        row = table.setdefault(key(nodeid), dict.fromkeys(OUTCOMES, 0))
        row[record["outcome"]] += 1
    return table


def _total(rows):
    total = dict.fromkeys(OUTCOMES, 0)
    for row in rows:
        for k in OUTCOMES:
            total[k] += row[k]
    return total


def print_table(title, per_mode):
    """One block per mode: per-file counts, then the totals (non-scipy, scipy, all)."""
    print(f"\n== {title}")
    for mode, results in per_mode.items():
        table = tally(results)
        print(f"\n{mode:8s} {'file':28s} " + " ".join(f"{o:>7s}" for o in OUTCOMES))
        for name in sorted(table):
            print(f"{'':8s} {name:28s} " + " ".join(f"{table[name][o]:7d}" for o in OUTCOMES))
        groups = {
            "non-scipy": [r for n, r in table.items() if "scipy" not in n],
            "scipy": [r for n, r in table.items() if "scipy" in n],
        }
        for label, rows in list(groups.items()) + [("total", list(table.values()))]:
            if rows:
                t = _total(rows)
                print(f"{'':8s} {'= ' + label:28s} " + " ".join(f"{t[o]:7d}" for o in OUTCOMES))


def summary(per_mode):
    """``{mode: {"non-scipy": counts, "scipy": counts, "total": counts}}``."""
    out = {}
    for mode, results in per_mode.items():
        table = tally(results)
        out[mode] = {
            "non-scipy": _total([r for n, r in table.items() if "scipy" not in n]),
            "scipy": _total([r for n, r in table.items() if "scipy" in n]),
            "total": _total(table.values()),
        }
    return out


def check_baseline(counts, everything, baseline):
    """Messages for every pass count below the baseline's and every wrong gradient it does not list.

    Args:
        counts: ``{suite: {mode: {group: {outcome: n}}}}`` of this run.
        everything: ``{suite: {mode: {test: record}}}`` of this run.
        baseline: ``{suite: {mode: {group: {"pass": n}}}, "known_wrong": [...]}`` (tools/peer_baseline.json);
            ``known_wrong`` lists ``"suite mode test"`` entries already reported (docs/testing.md).
    """
    problems = []
    known = set(baseline.get("known_wrong", []))
    for suite, modes in counts.items():
        for mode, groups in modes.items():
            for group, row in groups.items():
                want = baseline.get(suite, {}).get(mode, {}).get(group, {}).get("pass")
                if group == "scipy" and not row["pass"] and not _scipy_importable():
                    continue  # the HIPS scipy tests skip themselves without scipy
                if want is not None and row["pass"] < want:
                    problems.append(f"{suite} {mode} {group}: {row['pass']} pass, baseline {want}")
    for suite, per_mode in everything.items():
        for mode, results in per_mode.items():
            for test, record in sorted(results.items()):
                if record["outcome"] == "wrong" and f"{suite} {mode} {test}" not in known:
                    problems.append(f"WRONG gradient: {suite} {mode} {test}: {record['message']}")
    return problems


def _scipy_importable():
    import importlib.util

    return importlib.util.find_spec("scipy") is not None


def write_baseline(path, counts, everything):
    """Record this run's pass counts (per suite, mode and group) and its wrong tests."""
    data = {
        s: {m: {g: {"pass": row["pass"]} for g, row in groups.items() if g != "total"} for m, groups in modes.items()}
        for s, modes in counts.items()
    }
    data["known_wrong"] = sorted(
        f"{suite} {mode} {test}"
        for suite, per_mode in everything.items()
        for mode, results in per_mode.items()
        for test, r in results.items()
        if r["outcome"] == "wrong"
    )
    with open(path, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", choices=("autograd", "tangent", "examples", "all"), default="autograd")
    parser.add_argument("--mode", choices=("static", "dynamic", "both"), default="both")
    parser.add_argument("--cache", default=os.environ.get("SRCGRAD_PEER_CACHE", DEFAULT_CACHE))
    parser.add_argument("--files", nargs="*", help="only these HIPS test files (test_numpy.py ...)")
    parser.add_argument("--examples", nargs="*", help="only these example programs (rosenbrock.py ...)")
    parser.add_argument("--tangent-functions", help="a copy of Tangent's tests/functions.py")
    parser.add_argument("--baseline", help="fail when a pass count drops below this file's, or anything is wrong")
    parser.add_argument("--write-baseline", help="write the counts of this run to this file")
    parser.add_argument("--details", action="store_true", help="print every test that did not pass, with its reason")
    parser.add_argument("--json", help="write every test's record to this file")
    args = parser.parse_args(argv)

    modes = ("static", "dynamic") if args.mode == "both" else (args.mode,)
    started = time.perf_counter()
    counts, everything = {}, {}
    if args.suite in ("autograd", "all"):
        root = fetch_sdist(*AUTOGRAD, args.cache)
        run_dir = os.path.join(args.cache, "run-autograd")
        files = prepare_autograd(os.path.join(root, "tests"), run_dir, args.files)
        per_mode = {m: run_pytest(run_dir, files, m, args.cache) for m in modes}
        print_table(f"HIPS autograd {AUTOGRAD[1]} tests on srcgrad", per_mode)
        counts["autograd"] = summary(per_mode)
        everything["autograd"] = per_mode
    if args.suite in ("tangent", "all"):
        text, where = find_tangent_functions(args.cache, args.tangent_functions)
        path, na = prepare_tangent(text, os.path.join(args.cache, "run-tangent"))
        per_mode = {m: run_tangent(path, na, m, args.cache) for m in modes}
        keyed = {m: {k: v for k, v in r.items()} for m, r in per_mode.items()}
        print(f"\n== Tangent tests/functions.py ({where})")
        for mode, results in keyed.items():
            table = tally(results, key=lambda k: k.rsplit("[", 1)[1].rstrip("]"))
            for direction in sorted(table):
                print(f"{mode:8s} {direction:4s} " + " ".join(f"{o} {table[direction][o]}" for o in OUTCOMES))
        counts["tangent"] = {
            m: {d: row for d, row in tally(r, key=lambda k: k.rsplit("[", 1)[1].rstrip("]")).items()}
            for m, r in keyed.items()
        }
        everything["tangent"] = keyed
    if args.suite in ("examples", "all"):
        import peer_examples

        per_mode = peer_examples.run(args.cache, modes, args.examples, fetch_sdist(*AUTOGRAD, args.cache))
        peer_examples.print_table(per_mode)
        counts["examples"] = {m: {"all": tally(r, key=lambda _: "all")["all"]} for m, r in per_mode.items()}
        everything["examples"] = per_mode
    print(f"\npeer run: {time.perf_counter() - started:.1f} s")

    if args.details:
        for suite, per_mode in everything.items():
            for mode, results in per_mode.items():
                for nodeid, record in sorted(results.items()):
                    if record["outcome"] not in ("pass",):
                        print(f"{suite} {mode} {record['outcome']:7s} {nodeid}: {record['message']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(everything, f, indent=1, sort_keys=True)
    if args.write_baseline:
        write_baseline(args.write_baseline, counts, everything)
    if args.baseline:
        with open(args.baseline) as f:
            problems = check_baseline(counts, everything, json.load(f))
    else:
        problems = [
            f"WRONG gradient: {suite} {mode} {test}: {r['message']}"
            for suite, per_mode in everything.items()
            for mode, results in per_mode.items()
            for test, r in sorted(results.items())
            if r["outcome"] == "wrong"
        ]
    if problems:
        print("\npeer suite FAILED:\n  " + "\n  ".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
