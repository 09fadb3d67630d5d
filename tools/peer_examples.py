"""HIPS autograd's example programs run on srcgrad: every gradient they ask for, judged.

    python tools/peer_autograd.py --suite examples                    # both modes
    python tools/peer_autograd.py --suite examples --mode static --examples rosenbrock.py gmm.py --details

The autograd 1.9.1 sdist ships some thirty programs in ``examples/`` (a
neural net, an RNN and an LSTM, Gaussian processes, variational inference,
a fluid simulation, ...) written against ``autograd.numpy``. Each is copied
with its imports rewritten: ``autograd.numpy`` reads ``numpy`` (in dynamic
mode ``srcgrad.numpy`` when srcgrad has it), ``autograd.scipy.X`` reads
``scipy.X``, and the names it takes from autograd (``grad``,
``value_and_grad``, ``elementwise_grad``, ``hessian_vector_product``,
``flatten``/``flatten_func``, the optimizers ``adam``/``sgd``/``rmsprop``,
``check_grads``, ``fixed_point``) come from this module, which maps them onto
srcgrad in the mode of the run (``tools/peer_shim.py`` does the mapping, as
for HIPS's tests). Each program then runs in one interpreter per mode, as
``__main__``, with:

* matplotlib replaced by a stand-in that draws nothing;
* MNIST (``data_mnist.mnist()``) replaced by random images of MNIST's shapes
  (nothing is downloaded; any other download is refused, and the program is n/a);
* a few sizes cut where one run of the program's function takes long
  (``SIZES``), and the program stopped once one of its gradient functions has
  been called ``CALLS`` times: the optimizers' loops run a few iterations.

Every gradient it asks for outside another derivative is judged against a
directional central finite difference (``peer_shim.judge_vjp``: ``<g, v>``
against ``(f(x + hv) - f(x - hv)) / 2h`` at up to four step sizes) and, when
the sdist's own ``autograd`` package imports, against HIPS autograd's
gradient of the same function at the same point (the program's module
globals pointing to ``autograd.numpy`` and the rest for that call). The
random draws a stochastic objective makes (``npr.RandomState``, the global
``np.random``) are replayed: each evaluation of the function for one judged
call sees the same random numbers.

Outcomes, per program and mode: ``pass`` (it asked for a derivative and every
one agreed), ``wrong``, ``refused`` (a SrcgradError, or srcgrad's own
NotImplementedError), ``crash`` (anything else) and ``n/a`` (HIPS's
internals, a download; see ``NOT_APPLICABLE``).
"""

import contextlib
import importlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import types

TOOLS = os.path.dirname(os.path.abspath(__file__))
CALLS = 3
"""A program stops once one of its gradient functions is called this many times and once more..."""
TOTAL = 6
"""... or once it has asked for this many derivatives and once more (of functions it makes anew each time)."""

MEMORY = 3 * 2**30
"""The run's address space, in bytes."""
SECONDS = 300
"""A program still running after this long is stopped (a safety net: each is cut to a few seconds)."""

# Programs that are not programs (helpers the others import).
HELPERS = {"__init__.py", "data.py", "data_mnist.py"}

NOT_APPLICABLE = {
    "define_gradient.py": "HIPS's primitive/defvjp API (srcgrad's is srcgrad.custom_vjp / srcgrad.rules.defvjp)",
    "dot_graph.py": "HIPS's tracer internals (autograd.tracer.Node, trace)",
    "print_trace.py": "HIPS's tracer internals (autograd.tracer.Node, trace)",
    "rkhs.py": "HIPS's Box/VSpace extension API (a vector space of functions)",
    "convnet.py": "HIPS's own scipy.signal.convolve(axes=, dot_axes=), not scipy's",
}

# Sizes cut so that one evaluation of the program's function is short: (old text, new text), each found once.
SIZES = {
    "rnn.py": [("max_lines=60", "max_lines=4"), ("sequence_length=30", "sequence_length=8")],
    "lstm.py": [("max_lines=60", "max_lines=4"), ("sequence_length=30", "sequence_length=8")],
    "hmm_em.py": [("max_lines=60", "max_lines=4")],
    # (and the start off the grid: at zero velocity every advected point is on one, where the floor has kinks)
    "fluidsim/fluidsim.py": [
        ("simulation_timesteps = 100", "simulation_timesteps = 3"),
        (
            "init_dx_and_dy = np.zeros((2, rows, cols)).ravel()",
            "init_dx_and_dy = 0.1 * np.sin(np.arange(2 * rows * cols))",
        ),
    ],
    "fluidsim/wing.py": [
        ("simulation_timesteps = 20", "simulation_timesteps = 2"),
        ("rows, cols = 40, 60", "rows, cols = 12, 18"),
        ("for k in range(50):", "for k in range(10):"),
        ("init_occlusion[15:25, 15:25] = 0.0", "init_occlusion[4:8, 4:8] = 0.0"),
    ],
}

# ---------------------------------------------------------------------------
# Rewriting a program's imports (in the driver)

_NAMES = r"([\w, ]+?)\s*(#.*)?$"


def rewrite(text, numpy_name="numpy"):
    """A program's text with its autograd imports pointing at numpy, scipy and this module.

    Args:
        text: the program's source.
        numpy_name: what ``autograd.numpy`` reads (``numpy``, or ``srcgrad.numpy`` in dynamic mode).

    Returns:
        The new text, ending in ``__hips_names__ = {global name: "autograd.module[:attribute]"}``: what each
        rewritten name was in HIPS autograd (the HIPS comparison points them back there for its calls).
    """
    hips = {}
    out = []
    for line in text.splitlines():
        indent = line[: len(line) - len(line.lstrip())]
        body = line.strip()
        m = re.match(r"^import autograd\.numpy((?:\.\w+)*) as (\w+)", body)
        if m:
            hips[m.group(2)] = "autograd.numpy" + m.group(1)
            line = f"{indent}import {numpy_name}{m.group(1)} as {m.group(2)}"
        m = re.match(r"^import autograd\.scipy((?:\.\w+)*)\.(\w+) as (\w+)", body)
        if m:
            hips[m.group(3)] = f"autograd.scipy{m.group(1)}.{m.group(2)}"
            line = f"{indent}from scipy{m.group(1)} import {m.group(2)} as {m.group(3)}"
        m = re.match(r"^import autograd\.scipy((?:\.\w+)*)$", body)
        if m:
            line = f"{indent}import scipy{m.group(1)}"
        m = re.match(r"^from (autograd[\w.]*) import " + _NAMES, body)
        if m:
            module, names = m.group(1), m.group(2)
            for item in names.split(","):
                name, _, alias = item.strip().partition(" as ")
                hips[(alias or name).strip()] = f"{module}:{name.strip()}"
            if module.startswith("autograd.numpy"):
                line = f"{indent}from {numpy_name}{module[len('autograd.numpy') :]} import {names}"
            elif module.startswith("autograd.scipy"):
                line = f"{indent}from {module[len('autograd.') :]} import {names}"
            else:
                line = f"{indent}from peer_examples import {names}"
        m = re.match(r"^(\w+) = autograd((?:\.\w+)+)\.(\w+)$", body)
        if m:
            hips[m.group(1)] = f"autograd{m.group(2)}:{m.group(3)}"
        line = re.sub(r"\bautograd\.scipy\.", "scipy.", line)
        out.append(line)
    # on the first line, so that the comparison finds it while the program runs, and no line number moves
    out[:1] = [f"__hips_names__ = {hips!r}; {out[0] if out else ''}"]
    return "\n".join(out) + "\n"


def prepare(src, run_dir, mode):
    """Copy the sdist's examples (and their data files) rewritten for ``mode``; returns the programs' paths."""
    numpy_name = "srcgrad.numpy" if mode == "dynamic" and _has_srcgrad_numpy() else "numpy"
    target = os.path.join(run_dir, mode)
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(src, target)
    programs = []
    for folder, _, files in os.walk(target):
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, target)
            with open(path) as f:
                text = f.read()
            for old, new in SIZES.get(rel, []):
                if text.count(old) != 1:
                    raise SystemExit(f"*** examples suite: {rel} no longer holds {old!r} once ***")
                text = text.replace(old, new)
            with open(path, "w") as f:
                f.write(rewrite(text, numpy_name))
            if name not in HELPERS:
                programs.append(rel)
    return target, sorted(programs)


def _has_srcgrad_numpy():
    import importlib.util

    return importlib.util.find_spec("srcgrad.numpy") is not None


def run(cache, modes, names=None, sdist=None, verbose=False):
    """Run the programs once per mode, each mode in its own interpreter.

    Returns:
        ``{mode: {program: record}}``; a record holds ``outcome``, ``message``, ``judged`` (derivatives
        judged against finite differences), ``hips`` (of those, compared with HIPS autograd's) and ``seconds``.
    """
    results = {}
    for mode in modes:
        run_dir = tempfile.mkdtemp(prefix=f"examples-{mode}-", dir=cache)
        try:
            target, programs = prepare(os.path.join(sdist, "examples"), run_dir, mode)
            chosen = [p for p in programs if not names or p in names or os.path.basename(p) in names]
            out = os.path.join(run_dir, "results.json")
            env = dict(
                os.environ,
                SRCGRAD_PEER_MODE=mode,
                SRCGRAD_PEER_GEN=os.path.join(run_dir, "gen"),
                PYTHONPATH=os.pathsep.join([TOOLS, os.environ.get("PYTHONPATH", "")]),
                PYTHONDONTWRITEBYTECODE="1",
                MPLBACKEND="Agg",
            )
            cmd = [sys.executable, os.path.join(TOOLS, "peer_examples.py"), target, sdist, out] + chosen
            proc = subprocess.run(
                cmd, env=env, stdout=subprocess.PIPE, stderr=None if verbose else subprocess.PIPE, text=True
            )
            if proc.returncode != 0 or not os.path.exists(out):
                sys.stderr.write(f"*** examples suite: the {mode} run failed ***\n{proc.stdout}{proc.stderr or ''}\n")
                raise SystemExit(4)
            with open(out) as f:
                results[mode] = json.load(f)
        finally:
            shutil.rmtree(run_dir, ignore_errors=True)
    return results


def print_table(per_mode):
    """One line per program: its outcome in each mode and the number of derivatives judged."""
    print("\n== HIPS autograd 1.9.1 examples on srcgrad (outcome, derivatives judged by FD / by HIPS)")
    programs = sorted({p for r in per_mode.values() for p in r})
    print(f"{'program':38s} " + " ".join(f"{m:>22s}" for m in per_mode))
    for p in programs:
        cells = []
        for results in per_mode.values():
            r = results.get(p)
            cells.append(f"{r['outcome']:>8s} {r['judged']:4d} / {r['hips']:4d}  " if r else f"{'':22s}")
        print(f"{p:38s} " + " ".join(cells))


# ---------------------------------------------------------------------------
# Inside the run: what the programs import from autograd


class ExampleDone(BaseException):
    """Raised when a gradient function has been called enough times: the program stops there."""


class Replay:
    """The random state a stochastic objective draws from, put back before each evaluation of one judged call.

    Every ``numpy.random.RandomState`` made once the run starts is tracked; with the global ``np.random`` it is
    snapshotted when a judged call starts, and restored at the start of every evaluation of the function
    (srcgrad's gradient, each finite difference, HIPS's gradient) until the call ends.
    """

    def __init__(self):
        self.states = []
        self.snapshot = None
        self.depth = 0

    def track(self, numpy_random):
        base = numpy_random.RandomState
        replay = self

        class RandomState(base):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                replay.states.append(self)

        RandomState.__name__ = RandomState.__qualname__ = "RandomState"
        numpy_random.RandomState = RandomState

    @contextlib.contextmanager
    def judged_call(self):
        import numpy as np

        outer = self.snapshot
        if outer is None:
            self.snapshot = (np.random.get_state(), [(rs, rs.get_state()) for rs in self.states])
        try:
            yield
        finally:
            self.snapshot = outer

    def reset(self):
        import numpy as np

        if self.snapshot is None:
            return
        glob, states = self.snapshot
        np.random.set_state(glob)
        for rs, state in states:
            rs.set_state(state)

    def evaluating(self, fn):
        """``fn`` made to start from the snapshot when it is an outermost evaluation."""

        def wrapper(*args, **kwargs):
            if self.depth == 0:
                self.reset()
            self.depth += 1
            try:
                return fn(*args, **kwargs)
            finally:
                self.depth -= 1

        wrapper.__name__ = fn.__name__
        return wrapper


REPLAY = Replay()
STATS = {"judged": 0, "hips": 0, "hips_skipped": [], "calls": {}, "kinks": 0}


def _hips():
    """HIPS autograd from the sdist (the run puts it on sys.path), or None."""
    try:
        return importlib.import_module("autograd")
    except Exception:
        return None


@contextlib.contextmanager
def hips_names():
    """Every program module's globals pointing back to what HIPS autograd's names were, for one call."""
    saved = []
    try:
        for module in list(sys.modules.values()):
            table = getattr(module, "__hips_names__", None)
            if not isinstance(table, dict):
                continue
            for name, path in table.items():
                where, _, attr = path.partition(":")
                value = importlib.import_module(where)
                if attr:
                    value = getattr(value, attr)
                saved.append((module.__dict__, name, module.__dict__.get(name)))
                module.__dict__[name] = value
        yield
    finally:
        for space, name, value in reversed(saved):
            space[name] = value


def _hips_gradient(kind, fun, argnum, args, kwargs):
    """HIPS autograd's derivative of ``fun`` at ``args`` (None, with the reason noted, when it cannot be had)."""
    import numpy as np
    import peer_shim

    hips = _hips()
    if hips is None or NO_HIPS:
        if NO_HIPS:
            STATS["hips_skipped"].append(NO_HIPS[0])
        return None
    try:
        REPLAY.reset()
        with hips_names(), np.errstate(all="ignore"):
            if kind == "elementwise_grad":
                value, theirs = None, hips.elementwise_grad(fun, argnum)(*args, **kwargs)
            else:
                value, theirs = hips.value_and_grad(fun, argnum)(*args, **kwargs)
    except ExampleDone:
        raise
    except Exception as e:  # HIPS cannot run it this way (a numpy function bound before the swap): not compared
        STATS["hips_skipped"].append(f"{type(e).__name__}: {str(e)[:120]}")
        return None
    if value is not None:
        REPLAY.reset()
        plain = peer_shim._value(fun, args, kwargs)
        if not np.allclose(peer_shim._vector(value), peer_shim._vector(plain), rtol=1e-9, atol=1e-12):
            STATS["hips_skipped"].append(f"with HIPS's names the function's value is {value!r}, not {plain!r}")
            return None
    return theirs


def agree_with_hips(ours, theirs):
    """True when two gradients agree to HIPS-level rounding (rtol 1e-6)."""
    import numpy as np
    import peer_shim

    a, b = peer_shim._vector(ours), peer_shim._vector(theirs)
    scale = 1.0 + (float(np.max(np.abs(b))) if b.size else 0.0)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-6, atol=1e-9 * scale, equal_nan=True))


def _compare_with_hips(kind, fun, ours, theirs):
    import numpy as np
    import peer_shim

    if not agree_with_hips(ours, theirs):
        a, b = peer_shim._vector(ours), peer_shim._vector(theirs)
        worst = float(np.max(np.abs(a - b))) if a.shape == b.shape else float("nan")
        peer_shim._wrong(
            f"{kind} of {peer_shim._fun_name(fun)} differs from HIPS autograd's by up to {worst!r} "
            f"(sizes {a.size} and {b.size})"
        )
    STATS["hips"] += 1


HIPS_SAYS = []
"""HIPS's gradient for the judged call running (the finite differences' tie-breaker, see ``judge_vjp``)."""


def judging_vjp(judge):
    """``peer_shim.judge_vjp`` that forgives finite differences at a kink: when they disagree with a gradient that
    HIPS autograd's agrees with, the call is counted unjudged (piecewise-smooth programs: fluidsim's floor)."""

    def judge_vjp(what, F, x, u, g):
        import peer_shim

        try:
            return judge(what, F, x, u, g)
        except peer_shim.WrongGradient:
            if HIPS_SAYS and HIPS_SAYS[-1] is not None and agree_with_hips(g, HIPS_SAYS[-1]):
                peer_shim.WRONG.pop()
                peer_shim.UNJUDGED.append(what)
                STATS["kinks"] += 1
                return None
            raise

    return judge_vjp


NO_HIPS = []
"""Set when the program uses a stand-in whose derivative is not HIPS's by design (fixed_point)."""


def _make_judged():
    import peer_shim

    class Judged(peer_shim.Derived):
        """A derivative of the peer's API whose outermost calls are counted, replayed and compared with HIPS."""

        def __call__(self, *args, **kwargs):
            if peer_shim._nested(args) or peer_shim.IN_FD[0] or REPLAY.snapshot is not None:
                return super().__call__(*args, **kwargs)
            calls = STATS["calls"]
            calls[self.key] = calls.get(self.key, 0) + 1
            if calls[self.key] > CALLS or sum(calls.values()) > TOTAL:
                raise ExampleDone()
            plain = self.kind in ("grad", "value_and_grad", "elementwise_grad") and not isinstance(
                self.fun, (peer_shim.Derived, peer_shim.Composed)
            )
            argnum = self.argnums[0] if len(self.argnums) == 1 else self.argnums
            with REPLAY.judged_call():
                theirs = _hips_gradient(self.kind, self.fun, argnum, args, kwargs) if plain else None
                before = len(peer_shim.UNJUDGED)
                HIPS_SAYS.append(theirs)
                try:
                    result = super().__call__(*args, **kwargs)
                finally:
                    HIPS_SAYS.pop()
                if len(peer_shim.UNJUDGED) == before:
                    STATS["judged"] += 1
                if theirs is not None:
                    self._compare(result, theirs)
            return result

        def _compare(self, result, theirs):
            _compare_with_hips(self.kind, self.fun, result[1] if self.kind == "value_and_grad" else result, theirs)

    return Judged


# ---------------------------------------------------------------------------
# The runner (python tools/peer_examples.py TARGET SDIST OUT PROGRAMS...)


class _Anything:
    """matplotlib's stand-in: every attribute, call, item and iteration gives another stand-in."""

    def __init__(self, name="matplotlib"):
        self.__name__ = self.__qualname__ = name

    def __repr__(self):
        return self.__name__

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Anything(f"{self.__name__}.{name}")

    def __call__(self, *args, **kwargs):
        return _Anything(f"{self.__name__}()")

    def __getitem__(self, key):
        return _Anything(f"{self.__name__}[]")

    def __iter__(self):
        return iter([_Anything(f"{self.__name__}[0]"), _Anything(f"{self.__name__}[1]")])


def _stub_matplotlib():
    for name in ("matplotlib", "matplotlib.pyplot", "matplotlib.image", "matplotlib.cm", "matplotlib.animation"):
        module = types.ModuleType(name)
        module.__getattr__ = lambda attr, name=name: _Anything(f"{name}.{attr}")
        sys.modules[name] = module
    sys.modules["matplotlib"].pyplot = sys.modules["matplotlib.pyplot"]
    sys.modules["matplotlib"].image = sys.modules["matplotlib.image"]
    sys.modules["matplotlib"].cm = sys.modules["matplotlib.cm"]
    sys.modules["matplotlib.pyplot"].subplots = lambda *a, **k: (_Anything("figure"), _Anything("axes"))

    def imread(path, *args, **kwargs):  # fluidsim's pictures, small and random: init_smoke RGBA, the target grey
        import numpy as np

        rs = np.random.RandomState(len(os.path.basename(path)))
        return rs.rand(20, 20, 4) if "smoke" in os.path.basename(path) else rs.rand(40, 40)

    sys.modules["matplotlib.pyplot"].imread = imread
    sys.modules["matplotlib.image"].imread = imread


def _fake_mnist():
    """MNIST's shapes and kinds, random (nothing is downloaded)."""
    import numpy as np

    rs = np.random.RandomState(0)
    return (
        rs.randint(0, 256, size=(64, 28, 28)).astype(np.uint8),
        rs.randint(0, 10, size=64).astype(np.uint8),
        rs.randint(0, 256, size=(32, 28, 28)).astype(np.uint8),
        rs.randint(0, 10, size=32).astype(np.uint8),
    )


def _no_download(*args, **kwargs):
    import peer_shim

    raise peer_shim.NotApplicable("downloads data")


def _outcome(exc):
    import peer_autograd
    import peer_shim

    if peer_shim.WRONG:
        return "wrong", peer_shim.WRONG[0]
    if exc is None or isinstance(exc, ExampleDone):
        if peer_shim.DEFERRED:
            return "refused", peer_shim.DEFERRED[0]
        if peer_shim.COUNT[0]:
            return "pass", ""
        return "n/a", "asks srcgrad for no derivative"
    return peer_autograd._classify_error(exc)


def run_program(target, rel):
    """Run one program as ``__main__`` in its folder; returns its record."""
    import numpy as np
    import peer_shim

    for table in (peer_shim.WRONG, peer_shim.DEFERRED, peer_shim.UNJUDGED):
        table.clear()
    peer_shim.COUNT[0] = 0
    STATS.update(judged=0, hips=0, hips_skipped=[], calls={}, kinks=0)
    NO_HIPS.clear()
    peer_shim._RNG.seed(20240610)  # each program's random directions, whichever ran before it
    REPLAY.states.clear()
    path = os.path.join(target, rel)
    folder = os.path.dirname(path)
    if rel in NOT_APPLICABLE:
        return {"outcome": "n/a", "message": NOT_APPLICABLE[rel], "judged": 0, "hips": 0, "seconds": 0.0}
    saved_path, saved_main, saved_cwd = list(sys.path), sys.modules.get("__main__"), os.getcwd()
    before = set(sys.modules)
    module = types.ModuleType("__main__")
    module.__file__ = path
    module.__builtins__ = __builtins__
    sys.path.insert(0, folder)
    sys.modules["__main__"] = module
    scratch = tempfile.mkdtemp(dir=target)
    os.chdir(scratch)
    np.random.seed(0)
    old_err = np.seterr(all="ignore")
    started = time.perf_counter()
    exc = None
    try:
        with open(path) as f:
            code = compile(f.read(), path, "exec")
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            exec(code, module.__dict__)
    except BaseException as e:  # noqa: BLE001 (every failure is an outcome)
        if isinstance(e, KeyboardInterrupt):
            raise
        exc = e
    finally:
        seconds = time.perf_counter() - started
        np.seterr(**old_err)
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        sys.modules["__main__"] = saved_main
        for name in set(sys.modules) - before:
            if getattr(sys.modules[name], "__file__", None) and sys.modules[name].__file__.startswith(target):
                del sys.modules[name]
    outcome, message = _outcome(exc)
    record = {"outcome": outcome, "message": message, "judged": STATS["judged"], "hips": STATS["hips"]}
    record["seconds"] = round(seconds, 2)
    if peer_shim.UNJUDGED:
        record["unjudged"] = len(peer_shim.UNJUDGED)
    if STATS["kinks"]:
        record["kinks"] = STATS["kinks"]
    if STATS["hips_skipped"]:
        record["hips_skipped"] = STATS["hips_skipped"][0]
    return record


def main(argv):
    target, sdist, out, programs = argv[0], argv[1], argv[2], argv[3:]
    import numpy as np

    REPLAY.track(np.random)
    _stub_matplotlib()
    import urllib.request

    urllib.request.urlretrieve = _no_download
    import peer_shim

    for name in ("_value", "_dyn_call", "static_vjp", "static_jvp"):
        setattr(peer_shim, name, REPLAY.evaluating(getattr(peer_shim, name)))
    peer_shim.judge_vjp = judging_vjp(peer_shim.judge_vjp)
    if peer_shim.MODE == "dynamic" and _has_srcgrad_numpy():
        REPLAY.track(importlib.import_module("srcgrad.numpy.random"))
    sys.path.append(sdist)  # HIPS autograd, for the comparison (the programs never import it)
    this = sys.modules[__name__]
    sys.modules["peer_examples"] = this
    import resource
    import signal

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))  # a program that grows past it fails with MemoryError

    def too_long(signum, frame):
        raise TimeoutError(f"still running after {SECONDS} s (a safety net: the suite cuts every program short)")

    signal.signal(signal.SIGALRM, too_long)
    results = {}
    for rel in programs:
        data_mnist = types.ModuleType("data_mnist")
        data_mnist.mnist = _fake_mnist
        sys.modules["data_mnist"] = data_mnist
        signal.alarm(SECONDS)
        try:
            results[rel] = run_program(target, rel)
        finally:
            signal.alarm(0)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        sys.stderr.write(f"{peer_shim.MODE} {rel}: {results[rel]['outcome']} {results[rel]['seconds']} s {rss} MB\n")
        with open(out, "w") as f:
            json.dump(results, f, indent=1, sort_keys=True)
    return 0


# ---------------------------------------------------------------------------
# The names the programs import from autograd


def __getattr__(name):
    if name not in _api():
        raise AttributeError(f"module 'peer_examples' has no attribute {name!r}")
    if name == "fixed_point":
        NO_HIPS[:] = ["fixed_point: HIPS differentiates it implicitly, the stand-in differentiates its loop"]
    return _api()[name]


_API = {}


def _api():
    if _API:
        return _API
    import builtins

    import peer_shim

    Judged = _make_judged()

    def grad(fun, argnum=0):
        return Judged("grad", fun, argnum)

    def value_and_grad(fun, argnum=0):
        return Judged("value_and_grad", fun, argnum)

    def elementwise_grad(fun, argnum=0):
        return Judged("elementwise_grad", fun, argnum)

    def hessian_vector_product(fun, argnum=0):
        vector_dot_grad = peer_shim.Composed(
            "vector_dot_grad",
            "np.tensordot(G({args}), {extra0}, np.ndim({extra0}))",
            {"G": peer_shim.Derived("grad", fun, argnum)},
            n_extra=1,
        )
        return Judged("grad", vector_dot_grad, argnum)

    for builder in (grad, value_and_grad, elementwise_grad):  # grad(f) written inside a differentiated function
        builder.__srcgrad_transformation__ = peer_shim._static_builder(builder.__name__)
    _API.update(
        grad=grad,
        value_and_grad=value_and_grad,
        elementwise_grad=elementwise_grad,
        hessian_vector_product=hessian_vector_product,
        flatten=flatten,
        flatten_func=flatten_func,
        sgd=sgd,
        rmsprop=rmsprop,
        adam=adam,
        fixed_point=_fixed_point,
        check_grads=peer_shim.check_grads,
        tuple=builtins.tuple,
        primitive=peer_shim.primitive,
        defvjp=peer_shim.defvjp,
    )
    return _API


def _leaves(value):
    if isinstance(value, dict):
        return [leaf for k in sorted(value) for leaf in _leaves(value[k])]
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def flatten(value):
    """``(vector, unflatten)`` of nested tuples, lists and dicts of arrays (``autograd.misc.flatten``).

    ``unflatten`` is written as source for this structure (slices of the vector, reshaped, in a literal of
    the containers), so that the compiler can read it when a differentiated function calls it.
    """
    import numpy as np
    import peer_shim

    leaves = _leaves(value)
    flat = np.concatenate([np.ravel(leaf) for leaf in leaves]) if leaves else np.zeros(0)
    spans = []
    start = 0
    for leaf in leaves:
        size = int(np.size(leaf))
        spans.append(f"np.reshape(vector[{start}:{start + size}], {np.shape(leaf)!r})")
        start += size
    text = _literal(value, iter(spans))
    unflatten = peer_shim.make_function("unflatten", ["vector"], [f"return {text}"], {})
    unflatten.__globals__["__hips_names__"] = {"np": "autograd.numpy"}
    return flat, unflatten


def _flatten_specialised(layout):
    """``flatten`` written for a list or tuple whose layout the compiler knows (``__srcgrad_specialise__``): the
    compiler cannot follow ``_leaves`` on it, so it reads this instead (its leaves read by index, ``np.ravel``
    each, ``np.concatenate``; ``unflatten`` a nested function of the vector, in the same layout). ``None`` for
    any other argument (a dict, an array): the compiler reads ``flatten`` itself."""
    import peer_shim

    if layout is None:
        return None
    reads, body = [], []

    def walk(lay, path):
        kind, items = lay
        parts = []
        for k, item in enumerate(items):
            if item is None:
                name = f"a{len(reads)}"
                reads.append(name)
                body.append(f"{name} = value{path}[{k}]")
                parts.append(name)
            else:
                parts.append(walk(item, f"{path}[{k}]"))
        return parts if kind == "list" else tuple(parts)

    shape = walk(layout, "")
    if not reads:
        return None
    ends = []
    unflatten = ["def unflatten(vector):"]
    for k, name in enumerate(reads):
        start = ends[-1] if ends else "0"
        unflatten.append(f"    e{k} = {start} + np.size({name})")
        ends.append(f"e{k}")

    def rebuilt(part):
        if isinstance(part, str):
            k = reads.index(part)
            start = "0" if k == 0 else f"e{k - 1}"
            return f"np.reshape(vector[{start}:e{k}], np.shape({part}))"
        items = [rebuilt(p) for p in part]
        if isinstance(part, list):
            return "[" + ", ".join(items) + "]"
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"

    unflatten.append(f"    return {rebuilt(shape)}")
    body += unflatten
    body.append(f"return np.concatenate([{', '.join(f'np.ravel({n})' for n in reads)}]), unflatten")
    made = peer_shim.make_function("flatten", ["value"], body, {})
    made.__globals__["__hips_names__"] = {"np": "autograd.numpy"}
    return made


flatten.__srcgrad_specialise__ = _flatten_specialised


def _literal(value, parts):
    """Source text of ``value``'s containers with its leaves taken from ``parts`` (dict keys in sorted order)."""
    if isinstance(value, dict):
        items = {k: _literal(value[k], parts) for k in sorted(value)}
        return "{" + ", ".join(f"{k!r}: {items[k]}" for k in value) + "}"
    if isinstance(value, (tuple, list)):
        items = [_literal(item, parts) for item in value]
        if isinstance(value, list):
            return "[" + ", ".join(items) + "]"
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    return next(parts)


def flatten_func(func, example):
    """``(flat function, unflatten, flat example)`` (``autograd.misc.flatten.flatten_func``); the flat function
    is written as source, like ``unflatten``."""
    import peer_shim

    flat_example, unflatten = flatten(example)
    flat_func = peer_shim.make_function(
        "flat_" + peer_shim._fun_name(func),
        ["flat", "*args"],
        ["return np.ravel(FUNC(UNFLATTEN(flat), *args))"],
        {"FUNC": func, "UNFLATTEN": unflatten},
    )
    flat_func.__globals__["__hips_names__"] = {"np": "autograd.numpy"}
    return flat_func, unflatten, flat_example


def _flat_optimizer(step):
    """An optimizer over nested containers from one over vectors (HIPS's ``unflatten_optimizer``)."""

    def optimize(grad, x0, callback=None, *args, **kwargs):
        flat0, unflatten = flatten(x0)

        def flat_grad(x, i):
            return flatten(grad(unflatten(x), i))[0]

        flat_callback = (lambda x, i, g: callback(unflatten(x), i, unflatten(g))) if callback else None
        return unflatten(step(flat_grad, flat0, flat_callback, *args, **kwargs))

    optimize.__name__ = step.__name__
    return optimize


@_flat_optimizer
def sgd(grad, x, callback=None, num_iters=200, step_size=0.1, mass=0.9):
    """Gradient descent with momentum: ``v = mass v - (1 - mass) g; x = x + step_size v``."""
    import numpy as np

    velocity = np.zeros(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        if callback:
            callback(x, i, g)
        velocity = mass * velocity - (1.0 - mass) * g
        x = x + step_size * velocity
    return x


@_flat_optimizer
def rmsprop(grad, x, callback=None, num_iters=100, step_size=0.1, gamma=0.9, eps=1e-8):
    """``s = gamma s + (1 - gamma) g**2; x = x - step_size g / (sqrt(s) + eps)``, ``s`` starting at ones."""
    import numpy as np

    avg_sq_grad = np.ones(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        if callback:
            callback(x, i, g)
        avg_sq_grad = avg_sq_grad * gamma + g**2 * (1 - gamma)
        x = x - step_size * g / (np.sqrt(avg_sq_grad) + eps)
    return x


@_flat_optimizer
def adam(grad, x, callback=None, num_iters=100, step_size=0.001, b1=0.9, b2=0.999, eps=1e-8):
    """Adam with bias-corrected moments (Kingma and Ba)."""
    import numpy as np

    m = np.zeros(len(x))
    v = np.zeros(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        if callback:
            callback(x, i, g)
        m = (1 - b1) * g + b1 * m
        v = (1 - b2) * (g**2) + b2 * v
        mhat = m / (1 - b1 ** (i + 1))
        vhat = v / (1 - b2 ** (i + 1))
        x = x - step_size * mhat / (np.sqrt(vhat) + eps)
    return x


def _fixed_point(f, a, x0, distance, tol):
    """``x = f(a)(x)`` iterated from ``x0`` until two iterates are within ``tol``.

    HIPS autograd differentiates this by the implicit function theorem; here the loop itself is
    differentiated (the iterations are judged as they are, against finite differences).
    """
    step = f(a)
    x, x_prev = step(x0), x0
    while distance(x, x_prev) > tol:
        x, x_prev = step(x), x
    return x


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
