"""Forward mode, custom VJPs, the cache, linecache registration and the debug/verbose switches."""

import inspect
import linecache

import numpy as np
import pytest

import srcgrad
from srcgrad.compiler import custom_vjp, grad, jvp, set_debug
from srcgrad.errors import TransformError


def numeric_jvp(f, args, i, t, eps=1e-6):
    args = list(args)
    up = list(args)
    down = list(args)
    up[i] = args[i] + eps * t
    down[i] = args[i] - eps * t
    return (f(*up) - f(*down)) / (2 * eps)


def model(x, w):
    h = np.tanh(x * w)
    for i in range(3):
        h = h * 1.5 + np.sin(h)
    if np.sum(h) > 0:
        h = h * h
    return np.sum(h**2)


def test_jvp_matches_finite_differences(rng):
    x, w, t = rng.normal(size=3), rng.normal(size=3), rng.normal(size=3)
    value, tangent = jvp(model, wrt=1)(x, w, t)
    assert value == pytest.approx(model(x, w))
    assert tangent == pytest.approx(numeric_jvp(model, (x, w), 1, t), rel=1e-5)
    assert "dw" in jvp(model, wrt=1).source


def test_jvp_tuple_agrees_with_grad(rng):
    x, w = rng.normal(size=3), rng.normal(size=3)
    tx, tw = rng.normal(size=3), rng.normal(size=3)
    _, tangent = jvp(model, wrt=(0, 1))(x, w, (tx, tw))
    gx, gw = grad(model, wrt=(0, 1))(x, w)
    assert tangent == pytest.approx(np.sum(gx * tx) + np.sum(gw * tw), rel=1e-10)


def test_jvp_of_scalar_code():
    def f(a, b):
        return a * a * b + 3.0 * b

    value, tangent = jvp(f, wrt=0)(1.5, 2.0, 1.0)
    assert value == pytest.approx(10.5)
    assert tangent == pytest.approx(2 * 1.5 * 2.0)


@custom_vjp
def clipped_identity(x):
    return x * 1.0


clipped_identity.defvjp(lambda g, ans, x: np.clip(g, -0.5, 0.5))


def test_custom_vjp_is_used_by_compiler_and_tape(rng):
    x = rng.normal(size=4)

    def f(x):
        return np.sum(clipped_identity(x) * 3.0)

    np.testing.assert_allclose(grad(f)(x), np.full(4, 0.5))
    assert "np.clip" in grad(f).source
    t = srcgrad.tensor(x, requires_grad=True)
    f(t).backward()
    np.testing.assert_allclose(t.grad.numpy(), np.full(4, 0.5))


def test_generated_code_is_registered_with_linecache(rng):
    df = grad(model)
    df(rng.normal(size=3), rng.normal(size=3))
    fn = df.function
    assert inspect.getsource(fn) == df.source
    filename = fn.__code__.co_filename
    assert linecache.getline(filename, 1).startswith("def dmodel(")


def test_cache_reuses_and_invalidates(rng):
    x, w = rng.normal(size=3), rng.normal(size=3)
    a = grad(model)
    a(x, w)
    b = grad(model)
    b(x, w)
    assert a.function is b.function  # same code, globals and options: one transformation
    c = grad(model, optimize=False)
    c(x, w)
    assert c.function is not a.function


SHIFT = 1.0


def shifted(x):
    return np.sum(np.sin(x + SHIFT))


def test_rebinding_a_global_recompiles(rng):
    global SHIFT
    x = rng.normal(size=3)
    df = grad(shifted)
    np.testing.assert_allclose(df(x), np.cos(x + 1.0))
    SHIFT = 2.0
    try:
        np.testing.assert_allclose(df(x), np.cos(x + 2.0))
    finally:
        SHIFT = 1.0


def test_verbose_and_debug_print(rng, capsys):
    x, w = rng.normal(size=3), rng.normal(size=3)

    def f(x):
        return np.sum(x * 2.0)

    grad(f, verbose=True)(x)
    assert "def df(" in capsys.readouterr().out
    set_debug("normalize")
    try:
        grad(lambda x: np.sum(x * 3.0))(x)
    finally:
        set_debug()
    assert "after normalize" in capsys.readouterr().err


def test_debug_print_of_a_jvp_returning_several_values(rng, capsys):
    """The normalize switch prints a JVP's program returning a tuple, list(...) of a tuple, nested tuples or a
    dict (it crashed: the returned tuple of atoms has no node), and the JVP's values are unchanged."""
    x, v = rng.normal(size=3), rng.normal(size=3)

    def pair(x):
        return x * 2.0, np.sin(x)

    def listed(x):
        return list((x * 2.0, np.sin(x)))

    def nested(x):
        return (x * 2.0, (np.sin(x), x))

    def named(x):
        return {"a": x * 2.0, "b": np.sin(x)}

    set_debug("normalize")
    try:
        outs = [jvp(f)(x, v) for f in (pair, listed, nested, named)]
    finally:
        set_debug()
    err = capsys.readouterr().err
    assert "return t, t_2" in err  # pair, listed
    assert "return t, (t_2, x)" in err  # nested
    assert "return {'a': t, 'b': t_2}" in err
    for (value, tangent), f in zip(outs, (pair, listed, nested, named)):
        flat = np.concatenate([np.ravel(a) for a in _leaves(tangent)])
        want = np.concatenate([np.ravel(a) for a in _leaves((2.0 * v, np.cos(x) * v) + ((v,) if f is nested else ()))])
        np.testing.assert_allclose(flat, want)
        np.testing.assert_allclose(_leaves(value)[1], np.sin(x))


def _leaves(tree):
    if isinstance(tree, dict):
        return [leaf for v in tree.values() for leaf in _leaves(v)]
    if isinstance(tree, (tuple, list)):
        return [leaf for v in tree for leaf in _leaves(v)]
    return [tree]


def test_source_argument_for_functions_without_a_file():
    env = {"np": np}
    exec("def f(x):\n    return np.sum(np.sin(x))\n", env)
    with pytest.raises(srcgrad.TransformError, match="source="):
        grad(env["f"])(np.ones(2))
    df = grad(env["f"], source="def f(x):\n    return np.sum(np.sin(x))\n")
    np.testing.assert_allclose(df(np.array([0.1, 0.2])), np.cos([0.1, 0.2]))


def test_jvp_through_lists(rng):
    x, t = rng.normal(size=3), rng.normal(size=3)

    def f(x):
        hs = []
        h = x
        for i in range(3):
            h = np.sin(h) * 1.3
            hs.append(h)
        parts = [np.sum(v) for v in hs]
        return np.sum(np.stack(hs, axis=0) ** 2) + sum(parts) + hs[0][1]

    value, tangent = jvp(f)(x, t)
    assert value == pytest.approx(f(x))
    assert tangent == pytest.approx(numeric_jvp(f, (x,), 0, t), rel=1e-5)


def test_jvp_with_returns_inside_a_loop():
    def early_return(x):
        if np.max(x) > 10.0:
            return 0.0
        for i in range(x.shape[0]):
            if x[i] < -1.0:
                return np.sum(x[:i] ** 2)
        return np.sum(x**3)

    t = np.array([0.3, -1.0, 0.5, 2.0, 1.0])
    for x in (np.array([0.5, -0.3, 0.8, -1.7, 0.2]), np.array([0.5, 0.3, 0.8, 1.7, 0.2])):
        value, tangent = jvp(early_return)(x, t)
        assert value == pytest.approx(early_return(x))
        assert tangent == pytest.approx(numeric_jvp(early_return, (x,), 0, t), rel=1e-5)


def _assigned_and_loaded(src):
    import ast as _ast

    tree = _ast.parse(src)
    stores, loads = [], set()
    for n in _ast.walk(tree):
        if isinstance(n, _ast.Name):
            (stores.append(n.id) if isinstance(n.ctx, _ast.Store) else loads.add(n.id))
    return stores, loads


@pytest.mark.parametrize("name", ["model", "loop", "scalar"])
def test_optimized_code_has_no_dead_stores_or_unpopped_pushes(name, rng):
    import math

    def loop(x, w):
        h = x
        acc = 0.0
        for i in range(4):
            h = np.tanh(h * w + i)
            acc = acc + np.sum(h)
        return acc

    def scalar(a, b):
        s = 0.0
        for k in range(5):
            s = s + math.sin(a * k) * b
        return s

    fns = {
        "model": (model, (rng.normal(size=3), rng.normal(size=3))),
        "loop": (loop, (rng.normal(size=3), rng.normal(size=3))),
        "scalar": (scalar, (0.3, 1.2)),
    }
    fn, args = fns[name]
    df = grad(fn, wrt=(0, 1))
    df(*args)
    stores, loads = _assigned_and_loaded(df.source)
    dead = [s for s in set(stores) if s not in loads and s not in ("_",)]
    # the only names written and never read are loop variables of the adjoint sweep
    assert not [s for s in dead if not s.startswith("i")], dead
    assert df.source.count("push(") <= df.source.count("pop()")


def test_tracebacks_show_the_generated_line(rng):
    import traceback

    def f(x):
        return np.sin(x) * 2.0

    df = grad(f)
    x = rng.normal(size=3)
    with pytest.raises(ValueError) as err:
        df(x, dout=np.ones(4))  # wrong cotangent shape: fails inside the generated code
    text = "".join(traceback.format_exception(err.value))
    assert "<srcgrad:" in text and "np.cos(x)" in text


def test_verbose_prints_the_specialised_code_at_first_call(rng, capsys):
    def f(w, x):
        return np.sum(np.tanh(x * w) ** 2)

    w, x = rng.normal(size=3), rng.normal(size=3)
    df = grad(f, verbose=True)
    general = df.source  # before any call: the general version
    assert "unbroadcast(" in general
    capsys.readouterr()
    df(w, x)
    printed = capsys.readouterr().out
    assert printed.strip() == df.source_for(w, x).strip() == df.source.strip()
    assert "unbroadcast(" not in printed
    df(w * 2, x)  # same specialisation: nothing new to print
    assert capsys.readouterr().out == ""
    df2 = grad(f, verbose=True)
    df2(w, x)  # made before (cached), but new to this GradFunction: printed
    assert capsys.readouterr().out.strip() == printed.strip()


def test_pdb_stops_at_and_lists_the_generated_lines(rng):
    import io
    import pdb

    df = grad(model)
    x, w = rng.normal(size=3), rng.normal(size=3)
    df(x, w)
    fn = df.function
    lines = df.source.splitlines()
    first = next(k for k, line in enumerate(lines, 1) if line.strip().startswith("t = x * w"))
    out = io.StringIO()
    debugger = pdb.Pdb(stdin=io.StringIO("continue\nlist\ncontinue\n"), stdout=out, nosigint=True)
    debugger.use_rawinput = False
    assert debugger.set_break(fn.__code__.co_filename, first) is None  # None: the breakpoint was accepted
    got = debugger.runcall(df, x, w)
    np.testing.assert_allclose(got, df(x, w))
    text = out.getvalue()
    assert "<srcgrad:model:" in text and "-> t = x * w" in text and "h = np.tanh(t)" in text


def test_the_original_and_the_generated_function_are_both_reachable(rng):
    df = grad(model)
    assert df.__wrapped__ is model
    df(rng.normal(size=3), rng.normal(size=3))
    assert inspect.getsource(df.function) == df.source
    # inspect follows __wrapped__ to the generated function: getsource(df) shows the code df runs
    assert inspect.getsource(df) == df.source
    assert inspect.getsource(df) != inspect.getsource(model) and "def dmodel(" in inspect.getsource(df)
    assert df.__wrapped__ is model  # still the original to everyone else
    assert list(inspect.signature(df).parameters) == ["x", "w", "dout"]


def test_inspect_of_a_jvp_shows_the_generated_code(rng):
    fj = jvp(model)
    assert fj.__wrapped__ is model
    fj(rng.normal(size=3), rng.normal(size=3), rng.normal(size=3))
    assert inspect.getsource(fj) == fj.source == inspect.getsource(fj.function)
    assert inspect.getsource(fj) != inspect.getsource(model)


def test_inspect_of_a_gradient_that_cannot_be_transformed_sees_the_original():
    def with_try(x):
        try:
            return x * 2.0
        except ValueError:
            return x

    df = grad(with_try)
    assert inspect.getsource(df) == inspect.getsource(with_try)
    with pytest.raises(TransformError, match="try"):
        df(1.0)


def test_jvp_with_defaulted_and_keyword_only_parameters(rng):
    def f(x, scale=2.0, *, power=3):
        return np.sum(x**power) * scale

    x, t = rng.normal(size=3), rng.normal(size=3)
    value, tangent = jvp(f)(x, t)
    assert value == pytest.approx(f(x))
    assert tangent == pytest.approx(np.sum(2.0 * 3 * x**2 * t))
    value, tangent = jvp(f)(x, t, power=2)
    assert tangent == pytest.approx(np.sum(2.0 * 2 * x * t))


def _scaled_by_default(x, k=2.0):
    return np.sum(x * k)


def test_changed_defaults_are_seen_and_clear_cache_forgets():
    from srcgrad.compiler import clear_cache

    df = srcgrad.grad(_scaled_by_default)
    x = np.ones(2)
    np.testing.assert_allclose(df(x), [2.0, 2.0])
    old = _scaled_by_default.__defaults__
    try:
        _scaled_by_default.__defaults__ = (5.0,)
        np.testing.assert_allclose(df(x), [5.0, 5.0])
        np.testing.assert_allclose(srcgrad.grad(_scaled_by_default)(x), [5.0, 5.0])
    finally:
        _scaled_by_default.__defaults__ = old
    clear_cache()
    np.testing.assert_allclose(srcgrad.grad(_scaled_by_default)(x), [2.0, 2.0])


def _sin_of_sum(x):
    return np.sin(np.sum(x))


def test_a_changed_rule_gives_a_fresh_gradient(monkeypatch):
    from srcgrad.rules import RULES

    df = srcgrad.grad(_sin_of_sum)
    x = np.array([0.2, 0.3])
    np.testing.assert_allclose(df(x), np.cos(0.5) * np.ones(2))
    rule = RULES[np.sin]
    monkeypatch.setattr(rule, "vjps", (lambda g, ans, x: g * 3.0,))
    np.testing.assert_allclose(df(x), [3.0, 3.0])  # the same GradFunction, regenerated
    np.testing.assert_allclose(srcgrad.grad(_sin_of_sum)(x), [3.0, 3.0])
    monkeypatch.undo()
    np.testing.assert_allclose(df(x), np.cos(0.5) * np.ones(2))


def test_jvp_sees_reassigned_defaults():
    fj = jvp(_scaled_by_default)
    x = np.ones(2)
    assert fj(x, x)[1] == pytest.approx(4.0)
    old = _scaled_by_default.__defaults__
    try:
        _scaled_by_default.__defaults__ = (5.0,)
        assert fj(x, x)[1] == pytest.approx(10.0)
    finally:
        _scaled_by_default.__defaults__ = old
