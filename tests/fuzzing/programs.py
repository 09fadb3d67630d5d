"""Whole programs: arguments, statements, the loss, and the check that they run.

``generate(seed, index)`` builds one ``Program``, the same for the same pair on
every machine (structure from ``random.Random("seed:index")``, values from
``np.random.default_rng([seed, index])``): its arguments (float arrays of small
shapes, sometimes a float, a complex array, an integer or a data array that is
not differentiated), helpers for the ``helpers`` theme, two to seven statements
from ``statements.Builder``, and a loss that reads what they made (weighted
sums, so a permuted gradient shows).

Statements are checked as they are made: the program so far is run on its
arguments (numpy errors raised, warnings as errors), a statement that fails or
makes a value non-finite or larger than 1e3 is dropped, and the variables in
scope take the types their values really have. So nearly every program is valid
numpy.
"""

import math
import random
import warnings

import numpy as np

from .exprs import Scope, ty_of
from .moddata import propose_changes
from .program import Param, Program
from .statements import (
    ARRAY_SHAPES,
    DRAWN_THEMES,
    LIMIT,
    PLAIN_NAMES,
    Builder,
    Context,
    loss,
    make_helper,
    term,
)

# ---------------------------------------------------------------------- whole programs


def make_params(r, nrng, themes, ctx):
    params = []
    names = list(PLAIN_NAMES)
    r.shuffle(names)
    if "names" in themes:
        names = r.sample(["t", "dt", "dx", "dout", "tmp", "cond", "x_2"], 2) + names
    for _ in range(r.choice([1, 1, 2, 2, 3])):
        shape = r.choice(ARRAY_SHAPES)
        params.append(Param(names.pop(0), np.round(nrng.normal(size=shape) * 0.8, 6) + 0.0, True))
    if r.random() < 0.4:
        params.append(Param("s", round(float(nrng.uniform(-1.2, 1.2)), 6), True))
    if "complex" in themes:
        n = r.choice([2, 3])
        z = nrng.normal(size=n) * 0.7 + 1j * nrng.normal(size=n) * 0.7
        params.append(Param("zc", np.round(z, 6), True))
    if r.random() < 0.15:
        params.append(Param("n", r.choice([2, 3]), False))
    if r.random() < 0.15:
        params.append(Param("data", np.round(nrng.normal(size=r.choice(ARRAY_SHAPES)), 6) + 0.0, False))
    if "dtypes" in themes:
        dtype_params(r, nrng, params, ctx)
    r.shuffle(params)
    return params


UNIT_SHAPES = [(1, 3), (3, 1), (1,), (2, 1, 3), (1, 1), (4, 1)]


def dtype_params(r, nrng, params, ctx):
    """The dtypes theme's arguments: float32 and 0-d ones, axes of length one, integer data and index arrays."""
    arrays = [p for p in params if isinstance(p.value, np.ndarray) and p.value.dtype == np.float64]
    if arrays and r.random() < 0.4:
        p = r.choice(arrays)
        p.value = np.round(nrng.normal(size=r.choice(UNIT_SHAPES)) * 0.8, 6) + 0.0
    if arrays and r.random() < 0.6:
        p = r.choice(arrays)
        p.value = p.value.astype(np.float32)
    if r.random() < 0.4:
        params.append(Param("s0", np.array(round(float(nrng.uniform(-1.2, 1.2)), 6)), True))
    if r.random() < 0.7:
        shape = r.choice([p.value.shape for p in params if isinstance(p.value, np.ndarray)] + [(3,), (2, 3)])
        params.append(Param("ia", nrng.integers(-2, 3, size=shape), False))
        ctx.int_arrays["ia"] = shape
    if r.random() < 0.7:
        firsts = [p.value.shape[0] for p in params if isinstance(p.value, np.ndarray) and p.value.ndim] + [3, 4]
        n = r.choice(firsts)
        m = r.randint(2, 5)
        idx = [r.randrange(n) for _ in range(m)]
        if len(set(idx)) == m and n > 1:
            idx[-1] = idx[0]  # a repeat, always
        params.append(Param("idx", np.array(idx), False))
        ctx.index_arrays["idx"] = n
        ctx.index_lengths["idx"] = m


def generate(seed, index, themes=None, pool=DRAWN_THEMES, exclude=()):
    """Program ``index`` of the run with ``seed``: deterministic, independent of srcgrad.

    Args:
        seed, index: the run's seed and the program's number in it.
        themes: force these themes (a tuple of names from ``THEMES``) instead of drawing one to three.
        pool: the themes to draw from.
        exclude: statement kinds (from ``STATEMENT_KINDS``) never to make, e.g. ``("view", "aug",
            "index_write")`` to look past a known bug of in-place updates.

    Returns:
        A ``Program`` whose plain call returns a finite real number.
    """
    r = random.Random(f"{seed}:{index}")
    nrng = np.random.default_rng([seed, index])
    if themes is None:
        themes = tuple(r.sample(pool, min(len(pool), r.choice([1, 1, 2, 2, 3]))))
    ctx = Context(r, themes, exclude)
    params = make_params(r, nrng, themes, ctx)
    scope = Scope(params=frozenset(p.name for p in params))
    for p in params:
        if ty_of(p.value) is not None:  # (integer data arrays are read by the dtypes statements only)
            scope.bind(p.name, ty_of(p.value))
    ctx.used_names |= set(scope.vars)
    if "helpers" in themes:
        for _ in range(r.randint(1, 2)):
            make_helper(r, ctx)
    b = Builder(r, nrng, ctx, scope)
    program = Program(ctx.items, None, params, [], ["0.0"], themes, f"{seed}_{index}")
    target = r.randint(2, 7)
    attempts = 0
    while len(program.body) < target and attempts < 3 * target:
        attempts += 1
        trial_scope = scope.copy()
        must = list(ctx.must_read)
        n_items, closure, data = len(ctx.items), ctx.closure, dict(ctx.data)
        try:
            stmts = b.statement(trial_scope)
        except (ValueError, IndexError, KeyError):  # a combination the generator cannot make: draw another
            continue
        program.body += stmts
        program.closure = ctx.closure
        values = run_prefix(program)
        if values is None or (not isinstance(values, dict) and r.random() < 0.5):  # failed (or returned early)
            del program.body[len(program.body) - len(stmts) :]
            ctx.must_read = must
            del ctx.items[n_items:]
            ctx.closure = closure
            ctx.data = data
            program.closure = closure
            continue
        scope = refresh(trial_scope, values) if isinstance(values, dict) else trial_scope
        b.scope = scope
    must = [s for s in ctx.must_read if s.split("[")[0] in scope.vars]
    for _ in range(3):
        program.returns = [loss(r, scope, ctx, r.randint(1, 3), must)]
        program.items, program.closure = ctx.items, ctx.closure
        value = run_prefix(program, final=True)
        if value is not None:
            break
    else:
        program.returns = [term(r, p.name, ty_of(p.value), ctx) for p in params if p.diff][:1] or ["0.0"]
        program.items, program.closure = ctx.items, ctx.closure
    program.changes = propose_changes(r, program, ctx.data)
    return program


def run_prefix(program, final=False):
    """Run the program so far on its arguments (numpy errors raised, warnings as errors).

    Returns:
        the locals of ``f`` at the end of its body (``final``: the returned value), or ``None`` when it failed,
        produced a non-finite or large value, or (``final``) did not return a real number.
    """
    p = program
    if not final:
        p = program.copy()
        p.returns = ["locals()"]
    namespace = {}
    try:
        with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            warnings.simplefilter("error")
            exec(compile(p.source(), "<fuzz-generate>", "exec"), namespace)
            out = namespace["f"](*p.args())
    except Exception:
        return None
    if final or not isinstance(out, dict):
        if isinstance(out, dict) or np.ndim(out) != 0 or np.iscomplexobj(out):
            return None
        try:
            v = float(out)
        except (TypeError, ValueError):
            return None
        return v if math.isfinite(v) and abs(v) < 1e6 else None
    for v in out.values():
        if not within_limits(v):
            return None
    return out


def within_limits(v):
    if isinstance(v, (list, tuple)):
        return all(within_limits(u) for u in v)
    if isinstance(v, dict):
        return all(within_limits(u) for u in v.values())
    if isinstance(v, (float, np.floating, np.ndarray, complex)):
        a = np.asarray(v)
        if a.dtype.kind in "fc":
            return bool(np.all(np.isfinite(a)) and np.all(np.abs(a) < LIMIT))
    return True


def refresh(scope, values):
    """``scope`` with every name's type read from its value (names the run did not bind are dropped), and
    ``flat`` the names whose values repeat an entry along an axis."""
    out = scope.copy()
    out.flat = set()
    for name in list(out.vars):
        t = ty_of(values[name]) if name in values else None
        if t is None:
            del out.vars[name]
            continue
        out.vars[name] = t
        if has_repeats(values[name]):
            out.flat.add(name)
    return out


def has_repeats(value):
    """Does an array (or an item of a list or dict) hold two equal entries along some axis?"""
    if isinstance(value, (list, tuple)):
        return any(has_repeats(v) for v in value)
    if isinstance(value, dict):
        return any(has_repeats(v) for v in value.values())
    a = np.asarray(value)
    if a.dtype.kind not in "fc" or a.ndim == 0:
        return False
    for k in range(a.ndim):
        if a.shape[k] > 1:
            s = np.sort(np.real(a), axis=k)
            if np.any(np.diff(s, axis=k) == 0):
                return True
    return False
