"""The compiler (srcgrad.grad) checked against central finite differences.

Every gradient test computes its reference numerically in the test itself.
"""

import math

import numpy as np
import pytest

import srcgrad
from srcgrad.compiler import grad, value_and_grad
from srcgrad.errors import NoRuleError, TransformError

SCALE = 2.5
WEIGHTS = np.array([0.5, -1.0, 2.0])


def numeric_grad(f, args, i, eps=1e-6):
    """Central finite differences of scalar ``f`` with respect to ``args[i]``."""
    args = list(args)
    x = args[i]
    if isinstance(x, float):
        up = f(*args[:i], x + eps, *args[i + 1 :])
        down = f(*args[:i], x - eps, *args[i + 1 :])
        return (up - down) / (2 * eps)
    x = np.asarray(x, dtype=float)
    g = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[k] += eps
        xm[k] -= eps
        g[k] = (f(*args[:i], xp, *args[i + 1 :]) - f(*args[:i], xm, *args[i + 1 :])) / (2 * eps)
    return g


def check(f, *args, wrt=0, optimize=True, rtol=1e-5, atol=1e-7):
    """Assert grad(f) matches finite differences for each wrt index, with and without optimize."""
    idx = wrt if isinstance(wrt, tuple) else (wrt,)
    for opt in (False, True) if optimize else (False,):
        df = grad(f, wrt=wrt, optimize=opt)
        got = df(*args)
        got = got if isinstance(wrt, tuple) else (got,)
        for g, i in zip(got, idx):
            expected = numeric_grad(f, args, i)
            np.testing.assert_allclose(g, expected, rtol=rtol, atol=atol)
            if isinstance(args[i], float):
                assert isinstance(g, float), f"gradient of a float must be a float, got {type(g)}"
            else:
                assert np.shape(g) == np.shape(args[i])
    return df


def code_of(src):
    """The generated source without its comments (which quote the user's lines)."""
    return "\n".join(line.split("#")[0] for line in src.splitlines())


@pytest.fixture
def xs(rng):
    return rng.normal(size=(4,)), rng.normal(size=(4,)), rng.normal(size=(3, 4))


# ---------------------------------------------------------------- straight-line


def test_straight_line_numpy(xs):
    x, y, _ = xs

    def f(x, y):
        z = np.sin(x) * y
        w = z**2 + x / (1.5 + y * y)
        return np.sum(np.exp(-w) * np.tanh(x))

    check(f, x, y, wrt=(0, 1))


def test_broadcasting_and_reductions(xs):
    _, y, m = xs

    def f(m, y):
        s = m * y + 1.0
        return np.mean(s.sum(axis=0) * np.log(1.0 + m.T @ m).sum())

    check(f, m, y, wrt=(0, 1))


def test_scalar_math_code_stays_plain_float():
    def f(a, b):
        c = math.sin(a) * b + a**3
        return c / (1.0 + b * b) + math.exp(-a)

    df = check(f, 0.7, 1.3, wrt=(0, 1))
    src = code_of(df.source_for(0.7, 1.3))
    assert "unbroadcast" not in src
    assert "np." not in src
    assert "** 3" not in src and "a * a * a" in src


def test_wrt_by_name_and_dout(xs):
    x, y, _ = xs

    def f(x, y):
        return np.cos(x) * y

    df = grad(f, wrt="y")
    dout = np.arange(4.0)
    np.testing.assert_allclose(df(x, y, dout=dout), dout * np.cos(x))
    with pytest.raises(ValueError, match="dout"):
        df(x, y)


def test_decorator_forms(xs):
    x, y, _ = xs

    @grad
    def f(x):
        return np.sum(x * x)

    @grad(wrt=(0, 1))
    def g(x, y):
        return np.sum(x * y)

    np.testing.assert_allclose(f(x), 2 * x)
    gx, gy = g(x, y)
    np.testing.assert_allclose(gx, y)
    np.testing.assert_allclose(gy, x)
    assert "def" in f.source and f.__wrapped__.__name__ == "f"


def test_value_and_grad(xs):
    x, _, _ = xs

    def f(x):
        return np.sum(np.sin(x))

    value, g = value_and_grad(f)(x)
    assert value == pytest.approx(np.sum(np.sin(x)))
    np.testing.assert_allclose(g, np.cos(x))


def test_unused_and_inactive_inputs(xs):
    x, y, _ = xs

    def f(x, y, n):
        k = len(x) + n
        return np.sum(x * k)

    gx, gy = grad(f, wrt=(0, 1))(x, y, 2)
    np.testing.assert_allclose(gx, np.full(4, 6.0))
    np.testing.assert_array_equal(gy, np.zeros(4))


def test_generated_code_is_readable(xs):
    x, _, _ = xs

    def f(x):
        y = np.sin(x)
        return np.sum(y)

    src = grad(f).source
    assert "dy * np.cos(x)" in src
    assert "# line" in src and "# adjoint of line" in src


def test_power_strength_reduction_both_sweeps(xs):
    x, _, _ = xs

    def f(x):
        return np.sum(np.sin(x**3) + x**2)

    df = check(f, x)
    assert "**" not in code_of(df.source)
    assert "x * x * x" in code_of(df.source)
    assert "**" in code_of(grad(f, optimize=False).source)


# ---------------------------------------------------------------- control flow


def test_if_else_on_data():
    def f(x):
        if x > 0.5:
            y = x * x
        elif x > 0.0:
            y = math.sin(x)
        else:
            y = -x * 3.0
        return y * 2.0

    for x0 in (0.9, 0.3, -0.4):
        check(f, x0)


def test_conditional_expression_and_boolops(xs):
    x, _, _ = xs

    def f(x):
        s = np.sum(x)
        t = s * 2.0 if s > 0 and s < 100 else s * -1.0
        return t * np.sum(x * x)

    check(f, x)


def test_for_range_with_data_dependent_bound(xs):
    x, _, _ = xs

    def f(x, n):
        h = x
        for i in range(n):
            h = np.tanh(h * 1.5 + x[i])
        return np.sum(h)

    check(f, x, 3)


def test_for_over_rows_enumerate_zip(xs):
    _, y, m = xs

    def f(m, y):
        total = 0.0
        for row in m:
            total = total + np.sum(row * y)
        for i, row in enumerate(m):
            total = total + i * np.sum(np.sin(row))
        for a, b in zip(y, y):
            total = total + a * b
        return total

    check(f, m, y, wrt=(0, 1))


def test_while_data_dependent():
    def f(x):
        y = x
        while y < 10.0:
            y = y * 1.7 + 0.1
        return y * x

    check(f, 0.8)
    check(f, 2.3)


def test_break_continue_nested_loops(xs):
    x, _, _ = xs

    def f(x):
        acc = 0.0
        for i in range(4):
            if x[i] < -1.5:
                continue
            for j in range(4):
                acc = acc + x[i] * x[j]
                if acc > 3.0:
                    break
            if acc > 5.0:
                break
        return acc

    check(f, x)


def test_early_and_multiple_returns():
    def f(x):
        if x > 1.0:
            return x * x
        y = math.exp(x)
        if y > 2.0:
            return y * 3.0
        return y - x

    for x0 in (1.5, 0.8, -0.5):
        check(f, x0)


def test_return_inside_loop():
    def f(x):
        y = x
        for i in range(10):
            y = y * 1.3
            if y > 5.0:
                return y * x
        return -y

    check(f, 0.9)
    check(f, 0.01)


# ---------------------------------------------------------------- assignments


def test_tuple_unpacking_swap_chained_augmented():
    def f(a, b):
        a, b = b, a * 2.0
        c = d = a * b
        c += d * a
        c *= 0.5
        return c - b

    check(f, 0.7, -1.2, wrt=(0, 1))


def test_index_assignment_into_created_array(xs):
    x, _, _ = xs

    def f(x):
        y = np.zeros(6)
        y[0] = x[1] * 2.0
        y[1:5] = np.sin(x)
        for i in range(3):
            y[i] += x[i] * x[i]
        return np.sum(y * y)

    check(f, x)


# ---------------------------------------------------------------- functions


def helper(u, scale=2.0):
    return np.sin(u) * scale


def two_values(u):
    return u * 2.0, np.cos(u)


def test_calls_of_user_functions(xs):
    x, _, _ = xs

    def f(x):
        def inner(v):
            return v * v

        sq = lambda v: v * SCALE
        a, b = two_values(x)
        return np.sum(helper(x) + helper(x, scale=3.0) * inner(a) + sq(b))

    check(f, x)


def test_closures_and_module_constants(xs):
    x, _, _ = xs[0], None, None
    k = 1.7

    def f(x):
        return np.sum(np.tanh(x[:3] * WEIGHTS) * k)

    check(f, x)


def test_redefinition_gives_fresh_gradient():
    def make(c):
        def f(x):
            return x * c

        return f

    assert grad(make(2.0))(1.0) == pytest.approx(2.0)
    assert grad(make(5.0))(1.0) == pytest.approx(5.0)


# ---------------------------------------------------------------- errors


def test_unsupported_construct_names_file_and_line():
    def f(x):
        try:
            y = x * 2
        except ValueError:
            y = x
        return y

    with pytest.raises(TransformError) as err:
        grad(f)(1.0)
    assert "try/except" in str(err.value)
    assert err.value.filename == __file__
    assert err.value.lineno == f.__code__.co_firstlineno + 1
    assert "docs/compiler.md" in str(err.value)


def test_no_rule_for_c_function(xs):
    x, _, _ = xs

    def f(x):
        return np.sum(np.i0(x))

    with pytest.raises(NoRuleError) as err:
        grad(f)(x)
    assert "i0" in str(err.value) and "defvjp" in str(err.value)


def test_array_methods(xs):
    _, _, m = xs

    def f(m):
        a = m.reshape(4, 3).T
        b = a.sum(axis=0) + m.mean()
        return b.dot(m.max(axis=0)) + m.shape[0]

    check(f, m)


# ---------------------------------------------------------------- lists


def test_lists_append_stack_comprehensions(rng):
    x, W = rng.normal(size=3), rng.normal(size=(3, 3)) * 0.8

    def f(x, W):
        hs = []
        h = x
        for i in range(3):
            h = np.tanh(W @ h)
            hs.append(h)
        H = np.stack(hs, axis=0)
        sq = [np.sum(v * v) for v in hs if v[0] > -10.0]
        return np.sum(H * H) + sum(sq) + hs[1][0] + np.sum(np.array([h[0], h[1] * 2.0]))

    check(f, x, W, wrt=(0, 1))


def test_list_literal_concatenate_and_loop_over_list(rng):
    a, b = rng.normal(size=2), rng.normal(size=3)

    def f(a, b):
        parts = [a * 2.0, np.sin(b)]
        total = 0.0
        for p in parts:
            total = total + np.sum(p * p)
        return total + np.sum(np.concatenate(parts) ** 3)

    check(f, a, b, wrt=(0, 1))


def test_scalar_loop_over_list_of_floats():
    xs = [0.5, -1.0, 2.0, 0.25]

    def f(w, xs):
        acc = 0.0
        for x in xs:
            acc += math.tanh(w * x) ** 2
        return acc

    df = check(f, 0.7, xs)
    assert "unbroadcast" not in code_of(df.source_for(0.7, xs))


def test_non_differentiable_pieces_pass_through(rng):
    m = rng.normal(size=(3, 4))

    def f(m):
        n = m.shape[0] + len(m)
        k = np.argmax(m[0])
        mask = (m > 0).astype(float)
        ints = np.floor(m * 3.0).astype(int)
        scaled = m.astype(float) * mask + ints
        return np.sum(scaled * m) * n + m[1, k]

    check(f, m)


@pytest.mark.parametrize(
    "body, construct",
    [
        ("    with open('x') as fh:\n        y = x\n    return y\n", "with"),
        ("    yield x\n", "yield"),
        ("    global G\n    G = x\n    return x\n", "global"),
        ("    y = x\n    del y\n    return x\n", "del"),
        ("    class A:\n        pass\n    return x\n", "class"),
        ("    return np.sum(np.add(*x))\n", "in a call: srcgrad.grad spreads a tuple or list only where it knows"),
        ("    return x\n", None),
    ],
)
def test_fence_rejects_each_construct(tmp_path, body, construct):
    path = tmp_path / "user_code.py"
    path.write_text("import numpy as np\n\ndef f(x):\n" + body)
    env = {}
    exec(compile(path.read_text(), str(path), "exec"), env)
    import linecache

    linecache.checkcache(str(path))
    if construct is None:
        assert grad(env["f"])(2.0) == 1.0
        return
    with pytest.raises(TransformError) as err:
        grad(env["f"])(np.ones(2))
    assert construct in str(err.value)
    assert err.value.filename == str(path)
    assert err.value.lineno >= 4


def power_tower(x, n):
    if n <= 1:
        return x
    return x * power_tower(x, n - 1) + np.sin(x)


def test_recursion_through_a_nested_gradient(rng):
    x = rng.normal(size=3)

    def f(x):
        return np.sum(power_tower(x, 4))

    df = check(f, x)
    assert "dpower_tower(" in df.source


def test_recursion_of_a_nested_def():
    def f(x):
        def fact(x, n):
            if n <= 1:
                return x
            return x * fact(x, n - 1)

        return fact(x, 3)

    check(f, 1.5)  # more in test_compiler_recursion.py


def test_mlp_gradient_reads_like_numpy(rng):
    x, W1, W2, y = rng.normal(size=(5, 4)), rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=(5, 2))

    def mlp(W1, W2, x, y):
        h = np.maximum(0, x @ W1)
        return np.sum((h @ W2 - y) ** 2)

    df = check(mlp, W1, W2, x, y, wrt=(0, 1))
    src = code_of(df.source)
    assert "unbroadcast" not in src  # shapes are known: nothing was broadcast
    assert "matmul_vjp" not in src and "@ W2.T" in src  # the rule's 2-D branch, inlined; mT of a matrix is .T


def test_broadcasting_still_unbroadcasts(rng):
    m, v = rng.normal(size=(3, 4)), rng.normal(size=(4,))

    def f(m, v):
        return np.sum(np.sin(m * v + v))

    df = check(f, m, v, wrt=(0, 1))
    assert "unbroadcast" in df.source


def test_gradient_keeps_the_input_dtype(rng):
    x = rng.normal(size=4).astype(np.float32)

    def f(x):
        return np.sum(np.sin(x) * 2.0)

    g = grad(f)(x)
    assert g.dtype == np.float32 and g.shape == (4,)
    np.testing.assert_allclose(g, 2.0 * np.cos(x), rtol=1e-6)


def test_dict_of_arrays_argument(rng):
    params = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2), "unused": np.ones(4)}
    x = rng.normal(size=(5, 3))

    def loss(params, x):
        h = np.tanh(x @ params["W"] + params["b"])
        return np.sum(h * h) + np.sum(params["b"])

    g = grad(loss)(params, x)
    assert set(g) == set(params)
    for key in ("W", "b"):

        def f(v, key=key):
            return loss({**params, key: v}, x)

        np.testing.assert_allclose(g[key], numeric_grad(f, (params[key],), 0), rtol=1e-5, atol=1e-8)
    np.testing.assert_array_equal(g["unused"], np.zeros(4))
    src = code_of(grad(loss).source_for(params, x))
    assert "matmul_vjp" not in src  # the entries' shapes are part of the specialisation


def test_while_inside_for_with_break_and_inplace_ops(rng):
    x = rng.uniform(0.5, 1.5, size=4)

    def f(x):
        y = np.zeros(4)
        total = 0.0
        for i in range(4):
            v = x[i]
            steps = 0
            while v < 3.0:
                v = v * 1.4 + 0.05
                steps += 1
                if steps > 2 and v > 2.5:
                    break
            y[i] = v
            y[i] -= x[i] * 0.5
            y[i] *= 1.5
            total = total + v * x[i]
        return np.sum(y * y) + total

    check(f, x)


def test_loop_carried_state_reassigned_in_branches():
    def f(a, b):
        s = a
        t = b
        for k in range(5):
            if s > t:
                s, t = t * 0.9, s
            else:
                s = s * 1.1 + t
                t = math.sin(t)
        return s * t

    check(f, 0.3, 0.8, wrt=(0, 1))
    check(f, 1.3, -0.2, wrt=(0, 1))


def test_loop_over_tuple_written_in_place(rng):
    a, b = rng.normal(size=3), rng.normal(size=3)

    def f(a, b):
        total = 0.0
        for v in (a, b * 2.0, a * b):
            total = total + np.sum(np.sin(v))
        return total

    check(f, a, b, wrt=(0, 1))


def test_index_assignment_into_an_argument_leaves_the_callers_array(rng):
    def f(x):
        x[0] = 2.0
        return np.sum(x)

    x = rng.normal(size=3)
    kept = x.copy()
    np.testing.assert_array_equal(grad(f)(x), [0.0, 1.0, 1.0])  # x[0] no longer depends on x
    np.testing.assert_array_equal(x, kept)

    def g(x):
        x = x.copy()
        x[0] = 2.0 * x[1]
        return np.sum(x * x)

    check(g, rng.normal(size=3))


def test_functions_imported_from_another_module(tmp_path, monkeypatch, rng):
    (tmp_path / "user_helpers.py").write_text(
        "import numpy as np\n"
        "import math as m\n"
        "FACTOR = 3.0\n\n"
        "def activation(z, slope=0.1):\n"
        "    return np.where(z > 0, z, slope * z) * FACTOR\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    user_helpers = importlib.import_module("user_helpers")
    x = rng.normal(size=5)

    def f(x):
        return np.sum(user_helpers.activation(np.sin(x), slope=0.2) ** 2)

    df = check(f, x)
    assert "np.where" in df.source  # inlined, not called


def test_source_function(rng):
    from srcgrad.compiler import source

    def f(x):
        return np.sum(np.exp(x))

    text = source(f)
    assert text.startswith("def df(x") and "np.exp(x)" in text
    assert source(grad(f)) == grad(f).source


def test_code_after_continue_and_break_is_skipped_in_both_sweeps(rng):
    x = rng.normal(size=6)

    def f(x):
        s = 0.0
        for i in range(len(x)):
            if i % 2 == 0:
                continue
            s = s + x[i] * x[i - 1]
            if s > 100.0:
                break
            s = s * 1.1
        return s

    check(f, x)

    def g(x):
        s = 0.0
        k = 0
        while k < 6:
            k += 1
            if k == 3:
                continue
            s = s + np.sin(x[k - 1]) * s + x[k - 1]
            if k == 5:
                break
        return s

    check(g, x)


def test_enumerate_of_zip(rng):
    a, b = rng.normal(size=4), rng.normal(size=4)

    def f(a, b):
        s = 0.0
        for i, (u, v) in enumerate(zip(a, b)):
            s = s + (i + 1) * u * np.sin(v)
        return s

    check(f, a, b, wrt=(0, 1))


def test_writes_that_another_name_would_see_are_refused(rng):
    x = rng.normal(size=3)

    def alias(x):
        z = np.zeros(3)
        y = z
        y[0] = x[0] * 2.0
        return np.sum(z * x) + np.sum(y)

    def view(x):
        z = x * 1.0
        y = z[0:2]
        y[0] = 5.0
        return np.sum(z)

    def alias_then_write(x):
        y = np.zeros(3)
        y[0] = x[0]
        z = y
        y[1] = x[1] * 3.0
        return np.sum(z * x)

    for f in (alias, view, alias_then_write):
        with pytest.raises(TransformError, match="np.copy"):
            grad(f)(x)

    def alias_after_last_write(x):
        y = np.zeros(3)
        y[0] = x[0] * x[1]
        z = y
        return np.sum(z * x)

    check(alias_after_last_write, x)


def test_helper_that_appends_to_a_list_it_was_given(rng):
    def _append_scaled(acc, v):
        acc.append(v * 2.0)

    def f(x):
        acc = []
        _append_scaled(acc, x)
        _append_scaled(acc, x * x)
        return np.sum(acc[0] * acc[1])

    check(f, rng.normal(size=3))


def test_discarded_call_that_may_mutate_is_refused(rng):
    def f(x):
        y = x * 2.0
        y.sort()
        return np.sum(y)

    with pytest.raises(TransformError, match="sort"):
        grad(f)(rng.normal(size=3))


def test_for_else_and_while_else(rng):
    def f(x):
        s = 0.0
        for i in range(len(x)):
            if x[i] > 0.5:
                break
            s = s + x[i] ** 2
        else:
            s = s * 2.0
        k = 0
        while k < 3:
            s = s * 1.5 + x[k]
            k += 1
        else:
            s = s - x[0]
        return s

    check(f, np.array([0.1, -0.3, 0.2, 0.4]))
    check(f, np.array([0.1, 0.9, 0.2, 0.4]))


def test_keyword_only_parameters(rng):
    def f(x, *, power=3, scale=0.5):
        return np.sum(x**power) * scale

    x = rng.normal(size=3)
    np.testing.assert_allclose(grad(f)(x), 1.5 * x**2)
    np.testing.assert_allclose(grad(f)(x, power=2), x)


def test_augmented_assignment_seen_through_another_name(rng):
    def f(x):
        y = x * 2.0
        z = y
        y += 1.0
        return np.sum(z * x)

    with pytest.raises(TransformError, match="in place"):
        grad(f)(rng.normal(size=3))

    def g(a):
        b = a
        a += 1.0
        return a * b

    check(g, 0.7)  # numbers are immutable: += rebinds, b keeps the old value


def test_list_of_numbers_with_an_array_inside_is_refused():
    def f(w, xs):
        acc = 0.0
        for x in xs:
            acc += w * x
        return acc

    np.testing.assert_allclose(grad(f)(0.5, [1.0, 2.0, 3.0]), 6.0)
    with pytest.raises(srcgrad.SrcgradError, match="shape"):
        grad(f)(0.5, [1.0, np.array([2.0, 1.0]), 3.0])


def test_recomputed_loop_values_read_the_right_sequence(rng):
    xs = rng.normal(size=5)

    def f(w, xs):
        acc = 0.0
        for i in range(len(xs)):
            x = xs[i]
            acc = acc + math.sin(w * x) * x
        xs = xs * 0.0  # the sequence changes after the loop: the adjoint loop must see the old one
        return acc + np.sum(xs) * w

    check(f, 0.7, xs)


def test_lengths_and_integer_arithmetic_stay_plain_numbers():
    def f(w, xs):
        n = len(xs)
        half = n // 2
        acc = 0.0
        for i in range(n):
            scale = 1.0 if i < half else 0.5
            acc = acc + w * xs[i] * scale / n
        return acc

    xs = [0.5, 1.5, -1.0, 2.0]
    df = check(f, 0.3, xs)
    assert "unbroadcast" not in code_of(df.source_for(0.3, xs))


def test_hstack_and_vstack_of_lists(rng):
    x, y = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    u, v = rng.normal(size=3), rng.normal(size=3)

    def f(x, y, u, v):
        return (
            np.sum(np.hstack([x, y]) ** 2)
            + np.sum(np.vstack([x, y]) ** 3)
            + np.sum(np.hstack([u, v * 2.0]) * np.arange(6.0))
            + np.sum(np.vstack([u, v]) ** 2)
        )

    check(f, x, y, u, v, wrt=(0, 1, 2, 3))


def test_view_read_before_a_write_is_refused_and_reading_after_is_fine(rng):
    x = rng.normal(size=3)

    def stale_view(x):
        out = np.zeros(3)
        v = out[0:2]
        out[0] = x[0]
        return np.sum(v * x[1:])

    with pytest.raises(TransformError, match="view"):
        grad(stale_view)(x)

    def recurrence(x):
        out = np.zeros(3)
        out[0] = x[0]
        for i in range(1, 3):
            out[i] = out[i - 1] * 2.0 + x[i]
        return np.sum(out * out)

    check(recurrence, x)


def test_in_place_writes_into_arguments_through_a_helper_and_out_keywords(rng):
    def helper(a):
        a[0] = 0.0
        return a

    def through_helper(x):
        y = helper(x)  # y is x, written into: the sum of squares of x with x[0] = 0
        return np.sum(y * x)

    x = rng.normal(size=3)
    kept = x.copy()
    np.testing.assert_allclose(grad(through_helper)(x), 2.0 * x * [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(x, kept)

    def out_keyword(x):
        y = np.zeros(3)
        np.multiply(x, 2.0, out=y)
        return np.sum(y)

    with pytest.raises(TransformError, match="out="):
        grad(out_keyword)(rng.normal(size=3))


def test_row_loops_sum_the_adjoint_in_place(rng):
    m, w = rng.normal(size=(6, 3)), rng.normal(size=3)

    def f(m, w):
        total = 0.0
        for row in m:
            total = total + np.sum(np.tanh(row * w))
        for i in range(2):
            total = total + np.sum(m[[i, i]] * w)  # a repeated fancy index adds twice
        return total

    df = check(f, m, w, wrt=(0, 1))
    assert "dm[i" in code_of(df.source) and "np.add.at(dm" in code_of(df.source)


def test_index_writes_in_place_keep_values_and_gradients(rng):
    x = rng.normal(size=5)

    def fill(x):
        out = np.zeros_like(x)
        acc = 0.0
        for i in range(x.shape[0]):
            acc = acc * 0.5 + x[i]
            out[i] = acc
            out[i] += x[i] * acc
        out[1:3] = out[1:3] * 2.0
        return out

    value, g = value_and_grad(fill)(x, dout=np.arange(5.0))
    np.testing.assert_allclose(value, fill(x))  # not the restored array
    expected = numeric_grad(lambda x: np.sum(fill(x) * np.arange(5.0)), (x,), 0)
    np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-7)
    assert "out[i] = acc" in grad(fill).source  # written in place

    def transposed_view(x):
        m = np.zeros((2, 2))
        v = m.T
        m[0, 1] = x[0]
        return np.sum(v * x[1])

    with pytest.raises(TransformError, match="view"):
        grad(transposed_view)(x)


def test_common_subexpressions_are_not_reused_across_an_index_write(rng):
    x = rng.normal(size=3)

    def f(x):
        out = x * 1.0
        a = out * 2.0
        out[0] = x[1] * 3.0
        b = out * 2.0
        return np.sum(a * b)

    check(f, x)


# Primitives that are not elementwise ufuncs still return cotangents of the broadcast shape (the rule contract);
# the generated code must unbroadcast them to each argument's shape.


def test_cross_with_a_broadcast_operand(rng):
    def f(x, y):
        return np.sum(np.cross(x, y) ** 2)

    check(f, rng.normal(size=(2, 3)), rng.normal(size=3), wrt=(0, 1))


def test_solve_with_batched_matrix_and_one_right_hand_side(rng):
    def f(a, b):
        return np.sum(np.sin(np.linalg.solve(a, b)))

    a = rng.normal(size=(2, 3, 3)) + 3 * np.eye(3)
    check(f, a, rng.normal(size=3), wrt=(0, 1))


def test_einsum_with_ellipsis_broadcasts(rng):
    def f(x, y):
        return np.sum(np.einsum("...i,...i->...", x, y) ** 2)

    check(f, rng.normal(size=(2, 3)), rng.normal(size=3), wrt=(0, 1))


def test_index_writes_of_a_broadcast_value(rng):
    def f(x, w):
        y = x * 1.0
        y[1:4] = w[0:1] * 2.0
        y[0:2] += w[1:2]
        return np.sum(y**2)

    check(f, rng.normal(size=5), rng.normal(size=2), wrt=(0, 1))


def test_index_write_of_a_python_number(rng):
    def f(x, s):
        y = x * 1.0
        y[1:4] = s * s
        return np.sum(y * x)

    check(f, rng.normal(size=5), 0.7, wrt=(0, 1))


def test_matvec_and_vecdot_are_not_elementwise(rng):
    def f(a, x, y):
        z = np.matvec(a, x)
        u = np.vecdot(z, y)
        return np.sum(u * u) + np.sum(z * z)

    check(f, rng.normal(size=(2, 3, 4)), rng.normal(size=4), rng.normal(size=3), wrt=(0, 1, 2))


def test_broadcast_cotangent_of_an_intermediate(rng):
    def f(x, w):
        y = np.tanh(w)
        return np.sum(np.cross(x, y) * x) + np.sum(y)

    check(f, rng.normal(size=(4, 3)), rng.normal(size=3), wrt=(0, 1))


# Numbers are multiplied together before they touch an array; the broadcast adjoint of np.sum(x) next to a factor
# of x's shape is replaced by the number itself.


def test_sum_adjoint_folds_into_the_product(rng):
    def f(a, b, x, y):
        p = a + b * x + x**2
        return np.sum((p - y) ** 2)

    x, y = rng.normal(size=7), rng.normal(size=7)
    df = check(f, 0.3, -0.2, x, y, wrt=(0, 1, 2))
    code = code_of(df.source_for(0.3, -0.2, x, y))
    assert "broadcast_to" not in code and "dout * 2 *" in code
    got = df(0.3, -0.2, x, y, dout=2.5)
    ref = grad(f, wrt=(0, 1, 2))(0.3, -0.2, x, y)
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, 2.5 * np.asarray(r))


def test_sum_adjoint_next_to_a_smaller_operand_stays_broadcast(rng):
    def f(x, w):
        return np.sum(x) * 3.0 + np.sum(np.sin(x) * w)

    def g(x, w):
        s = np.sum(x * 1.0)
        return s * s + np.sum(w * x)

    x, w = rng.normal(size=(3, 4)), rng.normal(size=4)
    check(f, x, w, wrt=(0, 1))
    check(g, x, w, wrt=(0, 1))


def test_products_of_numbers_and_arrays(rng):
    def f(x, a, b):
        return np.sum(np.sin(x) * a * b * x) + np.sum(x**2 * a) * b

    x = rng.normal(size=5)
    check(f, x, 0.7, -1.3, wrt=(0, 1, 2))


def test_dout_of_a_scalar_output_must_be_a_number(rng):
    def f(x):
        return np.sum(x * x)

    x = rng.normal(size=3)
    df = grad(f)
    np.testing.assert_allclose(df(x, dout=np.array(2.0)), 4 * x)
    np.testing.assert_allclose(df(x, dout=np.float32(0.5)), x, rtol=1e-6)
    with pytest.raises(ValueError, match="dout has shape"):
        df(x, dout=np.ones(3))


def test_invented_names_do_not_look_like_versions_of_the_users(rng):
    def f(k, y0, n):
        y, t, dt = y0, 0.0, 0.01
        for i in range(n):
            y = y + dt * (-k * y + t)
            t = t + dt
        return y

    df = check(f, 0.7, 1.3, 20, wrt=(0, 1))
    code = code_of(df.source_for(0.7, 1.3, 20))
    assert "dt = 0.01" in code and "t_2" not in code and "dt_" not in code
    assert "tmp" in code

    def g(x, dx):
        return np.sum(np.sin(x) * dx)

    x = rng.normal(size=3)
    dg = check(g, x, rng.normal(size=3), wrt=(0, 1))
    code = code_of(dg.source_for(x, x))
    assert "d_x" in code and "dx_2" not in code


def test_literal_shapes_and_axes_are_not_operands(rng):
    def f(x):
        return np.sum(np.sin(np.transpose(np.reshape(x, (3, 4)), (1, 0))) ** 2)

    x = rng.normal(size=12)
    df = check(f, x)
    assert "unbroadcast" not in code_of(df.source_for(x))


def test_operands_of_one_shape_that_still_broadcast(rng):
    # matvec of two (3, 3) arrays: the second is 3 vectors, the matrix is broadcast over them
    def f(a, x):
        return np.sum(np.sin(np.matvec(a, x)))

    # with "...", a's ... is () and x's is (3,): a is broadcast although both are (3, 3)
    def g(a, x):
        return np.sum(np.sin(np.einsum("...ij,...j->...i", a, x)))

    a, x = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    check(f, a, x, wrt=(0, 1))
    check(g, a, x, wrt=(0, 1))


def test_rule_tests_on_literal_arguments_are_decided_at_compile_time(rng):
    import warnings

    def f(x):
        return np.sum(np.transpose(x, (1, 0)) * np.arange(6.0).reshape(3, 2))

    x = rng.normal(size=(2, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error", SyntaxWarning)  # `(1, 0) is None` in generated code would warn
        df = check(f, x)
        code = code_of(df.source_for(x))
    assert "(1, 0) is None" not in code and "inverse_permutation((1, 0))" in code


def _scaled_after_view(x):
    y = x * 2.0
    z = y[1:]
    y *= 3.0  # numpy writes in place: z sees it
    return np.sum(z * x[1:])


def _added_after_view(x):
    y = x * 2.0
    z = y.reshape(3, 1)
    y += 1.0
    return np.sum(z)


def test_augmented_assignment_after_a_view_is_refused_not_miscompiled():
    # Compiled out of place, z would miss the change and the gradient would be silently wrong.
    for f in (_scaled_after_view, _added_after_view):
        with pytest.raises(TransformError, match="is used after 'y' is written into"):
            grad(f)(np.array([1.0, 2.0, 3.0]))


def _scaled_before_view(x):
    y = x * 2.0
    y *= 3.0
    z = y[1:]
    return np.sum(z * x[1:])


def test_augmented_assignment_before_the_view_still_compiles():
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(grad(_scaled_before_view)(x), [0.0, 24.0, 36.0])


def _helper_with_a_default(a, k=2.0):
    b = a * k if np.sum(a) > 0.0 else a / k
    return np.tanh(b)


def calls_a_helper(x):
    y = _helper_with_a_default(x)
    return np.sum(y * x.T)


def test_compiling_warns_about_nothing():
    """The compiler copies and rewrites ``ast`` nodes: made with all their fields (Python 3.13 deprecates
    nodes made without their required ones, and 3.15 refuses them)."""
    import warnings

    from srcgrad.compiler import clear_cache

    x = np.array([0.3, -0.2, 0.9])
    clear_cache()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for optimize in (True, False):
            grad(calls_a_helper, optimize=optimize)(x)
        srcgrad.jvp(calls_a_helper)(x, np.ones(3))
    clear_cache()
