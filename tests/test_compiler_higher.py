"""Higher order in static mode: the generated gradient is itself differentiated, in both modes.

``grad(grad(f))`` and deeper, ``wrt`` at every level, a function calling a ``GradFunction``,
``hvp`` (forward over reverse), ``hessian`` and ``jacobian``. Every value is judged by central finite
differences or by dynamic mode (Tensors with ``create_graph=True``), never by the compiler itself.
"""

import ast
import importlib.util
import itertools

import numpy as np
import pytest

import srcgrad
from corpus import all_cases
from corpus.harness import check_grad_and_jvp as check
from srcgrad.autograd import functional
from srcgrad.errors import SrcgradError, TransformError

_COUNT = itertools.count()


def _module_function(tmp_path, text, **bindings):
    """``def`` text written to a real file (the compiler reads source), loaded with ``bindings`` as globals."""
    n = next(_COUNT)
    path = tmp_path / f"higher_gen_{n}.py"
    path.write_text("import numpy as np\n\n\n" + text)
    spec = importlib.util.spec_from_file_location(f"higher_gen_{n}", path)
    module = importlib.util.module_from_spec(spec)
    module.__dict__.update(bindings)
    spec.loader.exec_module(module)
    return module


def has_graph(value):
    """True for a Tensor that a further derivative can be taken of (it has a graph behind it)."""
    return isinstance(value, srcgrad.Tensor) and value.requires_grad


def dynamic_derivative(fn, args, i, directions):
    """Dynamic mode's derivative of ``fn`` with respect to ``args[i]``, each derivative but the last contracted
    with the next of ``directions`` (``[v]``: the gradient of ``<v, grad fn>``).

    A derivative with no graph behind it (a function linear or quadratic in the argument, or one that reads it
    only through an argmax) is constant, so every later derivative is zero.
    """
    t = srcgrad.tensor(np.asarray(args[i], dtype=np.float64), requires_grad=True)
    call = list(args)
    call[i] = t
    value = fn(*call)
    for direction in [*directions, None]:
        if not has_graph(value):
            return np.zeros(np.shape(args[i]))
        (g,) = srcgrad.autograd.grad(value, t, create_graph=direction is not None, allow_unused=True)
        if g is None:
            return np.zeros(np.shape(args[i]))
        if direction is None:
            return g.detach().numpy()
        value = (g * srcgrad.tensor(np.asarray(direction))).sum()


def _fd(fn, x, w, eps=1e-5):
    """Central difference of scalar ``fn`` at ``x`` along ``w``."""
    return (fn(x + eps * w) - fn(x - eps * w)) / (2 * eps)


def _float_arg(a):
    return isinstance(a, float) or (isinstance(a, np.ndarray) and a.dtype.kind == "f")


# ---------------------------------------------------------------- the corpus, differentiated twice
# Known gaps of the second derivative (strict xfails, so that a fix is noticed).
SECOND_BUGS = {}
# Refused at second order, at the user's line (the test fails when one of them starts working, and when a
# function not listed here is refused): corpus name -> what is refused.
SECOND_REFUSED = {}
SECOND = [
    pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=SECOND_BUGS[c.name])) if c.name in SECOND_BUGS else c
    for c in all_cases()
    if c.static is None
]


@pytest.mark.parametrize("c", SECOND, ids=[(p.values[0] if hasattr(p, "values") else p).name for p in SECOND])
def test_second_derivative_of_the_corpus(c, tmp_path):
    """``grad`` of ``<v, grad(f)(args)>`` against finite differences and against dynamic mode."""
    rng = np.random.default_rng(0)
    args = c.make_args(rng)
    i = c.wrt[0]
    if not _float_arg(args[i]):
        pytest.skip("the differentiated argument is not a float")
    df = srcgrad.grad(c.fn, wrt=i)
    g = df(*args)
    v = rng.normal(size=np.shape(g))
    v = float(v) if np.ndim(g) == 0 else v
    params = ", ".join(f"a{k}" for k in range(len(args)))
    module = _module_function(tmp_path, f"def h({params}):\n    return np.sum(DF({params}) * V)\n", DF=df, V=v)
    h = module.h
    try:
        got = srcgrad.grad(h, wrt=i)(*args)
    except SrcgradError as err:  # a refusal names what is not supported; never a wrong number
        if isinstance(err, TransformError):  # said at the user's line, where the gradient is called
            assert (err.filename, err.lineno) == (module.__file__, 5), str(err)
        assert c.name in SECOND_REFUSED, f"{c.name} is refused at second order: {err}"
        return
    assert c.name not in SECOND_REFUSED, f"{c.name} is differentiated twice now: take it off SECOND_REFUSED"
    assert np.shape(got) == np.shape(args[i])

    def along(x):
        a = list(args)
        a[i] = x
        return h(*a)

    w = rng.normal(size=np.shape(args[i]))
    w = float(w) if isinstance(args[i], float) else w
    numeric = _fd(along, args[i], w)
    assert np.isclose(np.sum(got * w), numeric, rtol=1e-4, atol=1e-5 * (1 + abs(numeric)))

    if c.dynamic is not None:
        return
    expected = dynamic_derivative(c.fn, args, i, [v])
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)


def test_a_dead_update_with_a_side_effect_keeps_only_the_side_effect():
    """The adjoint of ``stack.append(i)`` for a popped integer ``i`` is ``di = di + dstack.pop()`` and nothing reads
    ``di``: the pop stays, the update and its ``di = np.zeros_like(i)`` go together (removing only the zeros
    was the ``UnboundLocalError`` of control.continue_in_while's second derivative). An update whose side effect
    cannot be split from it (two pops) keeps its name's first store."""
    from srcgrad.compiler.optimize import optimize

    text = (
        "def f(dstack, n):\n"
        "    d = np.zeros_like(dstack[0])\n"
        "    e = np.zeros_like(dstack[0])\n"
        "    for _ in range(n):\n"
        "        d = d + dstack.pop()\n"
        "        e = e + dstack.pop() + dstack.pop()\n"
        "    return len(dstack)\n"
    )
    fdef = ast.parse(text).body[0]
    optimize(fdef, {"np": np})
    code = ast.unparse(fdef)
    assert "d = " not in code and code.count("dstack.pop()") == 3, code
    namespace = {"np": np}
    exec(code, namespace)
    assert namespace["f"]([1.0] * 7, 2) == 1  # three pops an iteration, none lost


# ---------------------------------------------------------------- lst.pop(): how a generated gradient restores
def pop_both(x):
    acc = []
    acc.append(x * 2.0)
    acc.append(x * x)
    y = acc.pop()
    z = acc.pop()
    return np.sum(y * z)


def pop_after_rebinding_an_item(x):
    acc = []
    acc.append(x * 2.0)
    acc.append(x * x)
    acc[1] = acc[1] + x
    y = acc.pop()
    z = acc.pop()
    return np.sum(y * z)


def pop_a_list_of_zeros(x):
    acc = [x * 2.0, x * 3.0]
    d = [np.zeros_like(e) for e in acc]
    d[1] = d[1] + x * x
    y = d.pop()
    acc.pop()
    return np.sum(y * x)


def pop_discarded(x):
    acc = []
    acc.append(x * 2.0)
    acc.append(x * x)
    acc.pop()
    z = acc.pop()
    return np.sum(z * x)


@pytest.mark.parametrize("f", [pop_both, pop_after_rebinding_an_item, pop_a_list_of_zeros, pop_discarded])
def test_list_pop_is_differentiated(f):
    check(f, np.array([0.3, -0.7]))


# ---------------------------------------------------------------- grad(grad(f)) and deeper
def cubic_sin(x):
    return 3.0 * x**3 - 2.0 * np.sin(x) * x


def two_args(x, y):
    return np.sin(x * y) + x**2 * y**3


def rnn(h, W, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
    return np.sum(h**2)


def branchy(x):
    if x > 0.5:
        y = np.exp(x) * x
    else:
        y = np.cos(x) ** 2
    return y


def _helper(a, b):
    return a * np.log(b)


def with_call(x):
    return _helper(x, x * x + 1.0) ** 2


def test_grad_of_grad_and_deeper_against_closed_forms():
    x = 1.3
    d2 = srcgrad.grad(srcgrad.grad(cubic_sin))
    assert d2(x) == pytest.approx(18 * x - 2 * (2 * np.cos(x) - x * np.sin(x)), rel=1e-12)
    d3 = srcgrad.grad(d2)
    assert d3(x) == pytest.approx(18 - 2 * (-3 * np.sin(x) - x * np.cos(x)), rel=1e-12)
    d4 = srcgrad.grad(d3)
    assert d4(x) == pytest.approx(-2 * (-4 * np.cos(x) + x * np.sin(x)), rel=1e-10)
    assert "def dddcubic_sin" in d3.source


@pytest.mark.parametrize("f, x", [(branchy, 0.9), (branchy, 0.2), (with_call, 0.7)])
def test_grad_of_grad_through_branches_and_calls(f, x):
    d1 = srcgrad.grad(f)
    d2 = srcgrad.grad(d1)
    d3 = srcgrad.grad(d2)
    eps = 1e-5
    assert d2(x) == pytest.approx((d1(x + eps) - d1(x - eps)) / (2 * eps), rel=1e-6)
    assert d3(x) == pytest.approx((d2(x + eps) - d2(x - eps)) / (2 * eps), rel=1e-6)


def test_wrt_at_every_level():
    x, y = 0.7, -1.1
    eps = 1e-6
    for inner in (0, 1, "x", "y"):
        d1 = srcgrad.grad(two_args, wrt=inner)
        for outer in (0, 1):
            d2 = srcgrad.grad(d1, wrt=outer)
            bump = (eps, 0.0) if outer == 0 else (0.0, eps)
            expected = (d1(x + bump[0], y + bump[1]) - d1(x - bump[0], y - bump[1])) / (2 * eps)
            assert d2(x, y) == pytest.approx(expected, rel=1e-6), (inner, outer)


def test_grad_of_grad_of_a_loop_against_dynamic_mode():
    rng = np.random.default_rng(1)
    h, W, xs = rng.normal(size=3), rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(4, 3))
    v = rng.normal(size=(3, 3))
    dW = srcgrad.grad(rnn, wrt=1)

    def inner_product(h, W, xs):
        return np.sum(dW(h, W, xs) * v)

    got = srcgrad.grad(inner_product, wrt=1)(h, W, xs)
    Wt = srcgrad.tensor(W, requires_grad=True)
    (first,) = srcgrad.autograd.grad(rnn(srcgrad.tensor(h), Wt, srcgrad.tensor(xs)), Wt, create_graph=True)
    (second,) = srcgrad.autograd.grad((first * srcgrad.tensor(v)).sum(), Wt)
    np.testing.assert_allclose(got, second.detach().numpy(), rtol=1e-10, atol=1e-12)


def total(x):
    return np.sum(3.0 * x**3 - 2.0 * np.sin(x) * x)


_dtotal = srcgrad.grad(total)


def calls_a_global_gradient(x):
    return np.sum(_dtotal(x) ** 2)


def make_closure():
    d = srcgrad.grad(two_args, wrt=1)

    def calls_a_closure_gradient(x, y):
        return d(x, y) * x

    return calls_a_closure_gradient


def test_a_function_calling_a_gradient_is_differentiable():
    x = np.array([0.3, -0.8, 1.2])
    got = srcgrad.grad(calls_a_global_gradient)(x)
    dc = 9 * x**2 - 2 * (np.sin(x) + x * np.cos(x))
    d2c = 18 * x - 2 * (2 * np.cos(x) - x * np.sin(x))
    np.testing.assert_allclose(got, 2 * dc * d2c, rtol=1e-12)
    f = make_closure()
    eps = 1e-6
    d = srcgrad.grad(f, wrt=(0, 1))(0.4, 0.9)
    assert d[0] == pytest.approx((f(0.4 + eps, 0.9) - f(0.4 - eps, 0.9)) / (2 * eps), rel=1e-6)
    assert d[1] == pytest.approx((f(0.4, 0.9 + eps) - f(0.4, 0.9 - eps)) / (2 * eps), rel=1e-6)
    jf = srcgrad.jvp(calls_a_global_gradient)
    value, tangent = jf(x, np.ones(3))
    assert tangent == pytest.approx(np.sum(2 * dc * d2c), rel=1e-12)


def calls_its_argument(x, g):
    return np.sum(g(x) ** 2)


def test_a_function_given_a_gradient_or_a_function_as_an_argument_is_differentiable():
    x = np.array([0.3, -0.8, 1.2])
    dc = 9 * x**2 - 2 * (np.sin(x) + x * np.cos(x))
    d2c = 18 * x - 2 * (2 * np.cos(x) - x * np.sin(x))
    dh = srcgrad.grad(calls_its_argument)
    np.testing.assert_allclose(dh(x, _dtotal), 2 * dc * d2c, rtol=1e-12)  # through the gradient's code
    np.testing.assert_allclose(dh(x, np.sin), 2 * np.sin(x) * np.cos(x), rtol=1e-12)  # another function: another
    np.testing.assert_allclose(dh(x, _dtotal), 2 * dc * d2c, rtol=1e-12)  # specialisation, each its own code
    value, tangent = srcgrad.jvp(calls_its_argument)(x, np.tanh, np.ones(3))
    assert tangent == pytest.approx(np.sum(2 * np.tanh(x) * (1 - np.tanh(x) ** 2)), rel=1e-12)


_jtwo = srcgrad.jvp(two_args, wrt=(0, 1))


def calls_a_jvp_with_a_tangent_tuple(x, y, tx, ty):
    value, tangent = _jtwo(x, y, (tx, ty))
    return tangent * x


def test_a_function_calling_a_jvp_of_several_arguments_is_differentiable():
    args = (0.3, -1.1, 0.5, 2.0)
    got = srcgrad.grad(calls_a_jvp_with_a_tangent_tuple, wrt=(0, 1, 2))(*args)
    eps = 1e-6
    for i, g in enumerate(got):
        up = list(args)
        down = list(args)
        up[i] += eps
        down[i] -= eps
        expected = (calls_a_jvp_with_a_tangent_tuple(*up) - calls_a_jvp_with_a_tangent_tuple(*down)) / (2 * eps)
        assert g == pytest.approx(expected, rel=1e-6), i


def test_complex_values_through_a_gradient_of_a_gradient_are_refused():
    # grad(grad(f)) differentiates the inner code written for its own call (tests/test_compiler_higher_complex.py
    # has a function calling a gradient, which is made again in its complex form)
    with pytest.raises(TransformError, match="complex values"):
        srcgrad.grad(srcgrad.grad(total))(np.array([0.3 + 0.1j, 0.5]))


def test_the_generated_second_derivative_reads_as_code():
    src = srcgrad.grad(srcgrad.grad(cubic_sin)).source
    assert "# line" in src and "np.cos(x)" in src
    compile(src, "<second>", "exec")


def test_a_gradient_returning_a_tuple_is_refused():
    with pytest.raises(TransformError, match="returns a tuple"):
        srcgrad.grad(srcgrad.grad(two_args, wrt=(0, 1)))
    with pytest.raises(TransformError, match="returns a tuple"):
        srcgrad.grad(srcgrad.value_and_grad(two_args))


@pytest.mark.parametrize(
    "tool, call",
    [
        ("hessian", "np.sum(T(x))"),
        ("hvp", "np.sum(T(x, x))"),
        ("jacobian", "np.sum(T(x))"),
    ],
)
def test_a_function_calling_hvp_hessian_or_jacobian_is_refused_at_its_line(tool, call, tmp_path):
    """Their results are not differentiated (a call of srcgrad.grad(f) is): refused in both modes at the user's
    line, naming the tool and what works instead, not as a function with "no derivative rule"."""
    made = getattr(srcgrad, tool)(cubic_sin if tool != "jacobian" else srcgrad.grad(cubic_sin))
    module = _module_function(tmp_path, f"def uses(x):\n    return {call}\n", T=made)
    x = np.array([0.3, -0.5, 1.1])
    for differentiate in (lambda: srcgrad.grad(module.uses)(x), lambda: srcgrad.jvp(module.uses)(x, np.ones(3))):
        with pytest.raises(TransformError) as info:
            differentiate()
        message = str(info.value)
        assert f"srcgrad.{tool})" in message and "srcgrad.grad(srcgrad.grad(f))" in message, message
        assert f"{module.__file__}, line 5" in message and "no derivative rule" not in message, message


def test_making_a_hessian_inside_a_differentiated_function_is_refused_at_its_line(tmp_path):
    """It was an error inside srcgrad's own api.py (its tools inlined as if user code). (srcgrad.grad(f)(x) made
    there is differentiated: tests/test_compiler_grad_inside.py.)"""
    module = _module_function(
        tmp_path, "def uses(x):\n    return np.sum(srcgrad.hessian(F)(x))\n", srcgrad=srcgrad, F=cubic_sin
    )
    x = np.array([0.3, -0.5])
    for differentiate in (lambda: srcgrad.grad(module.uses)(x), lambda: srcgrad.jvp(module.uses)(x, np.ones(2))):
        with pytest.raises(TransformError, match=r"srcgrad\.hessian is called inside the function") as info:
            differentiate()
        assert f"{module.__file__}, line 5" in str(info.value)


def test_a_function_calling_the_jvp_of_a_gradient_is_refused_at_its_line(tmp_path):
    module = _module_function(
        tmp_path, "def uses(x):\n    return np.sum(T(x, x)[1])\n", T=srcgrad.jvp(srcgrad.grad(cubic_sin))
    )
    with pytest.raises(TransformError, match="JVP is not differentiable") as info:
        srcgrad.grad(module.uses)(np.array([0.3, -0.5]))
    assert f"{module.__file__}, line 5" in str(info.value)


# ---------------------------------------------------------------- hvp, hessian, jacobian
def loss(x, W):
    h = x
    for _ in range(3):
        h = np.tanh(W @ h)
    return np.sum(h**2) + np.sum(x**3)


def vector_fn(x, W):
    return np.tanh(W @ x) * x[0]


def _tensor_fn(f, args, i):
    def at(t):
        call = list(args)
        call[i] = t
        return f(*call)

    return at


@pytest.fixture
def xw():
    rng = np.random.default_rng(2)
    return rng.normal(size=3), rng.normal(size=(3, 3))


def test_hessian_agrees_with_dynamic_mode_and_is_symmetric(xw):
    x, W = xw
    H = srcgrad.hessian(loss)(x, W)
    expected = functional.hessian(_tensor_fn(loss, (x, W), 0), srcgrad.tensor(x)).detach().numpy()
    assert H.shape == (3, 3)
    np.testing.assert_allclose(H, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(H, H.T, rtol=1e-10, atol=1e-12)
    HW = srcgrad.hessian(loss, wrt="W")(x, W)
    expected = functional.hessian(_tensor_fn(loss, (x, W), 1), srcgrad.tensor(W)).detach().numpy()
    assert HW.shape == (3, 3, 3, 3)
    np.testing.assert_allclose(HW, expected, rtol=1e-10, atol=1e-12)


def test_hvp_is_hessian_times_v_and_agrees_with_dynamic_mode(xw):
    x, W = xw
    v = np.array([0.5, -1.0, 2.0])
    hv = srcgrad.hvp(loss)(x, W, v)
    np.testing.assert_allclose(hv, srcgrad.hessian(loss)(x, W) @ v, rtol=1e-10, atol=1e-12)
    _, expected = functional.hvp(_tensor_fn(loss, (x, W), 0), srcgrad.tensor(x), srcgrad.tensor(v))
    np.testing.assert_allclose(hv, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    src = srcgrad.hvp(loss).source
    assert src.startswith("def jvp_dloss(") and "stack.pop()" in src  # the JVP of the generated gradient


def test_hessian_and_hvp_of_a_number():
    x = 0.7
    expected = 6 * x * np.sin(x) + 6 * x**2 * np.cos(x) - x**3 * np.sin(x)

    def f(x):
        return x**3 * np.sin(x)

    assert srcgrad.hessian(f)(x) == pytest.approx(expected, rel=1e-12)
    assert srcgrad.hvp(f)(x, 2.0) == pytest.approx(2 * expected, rel=1e-12)


def test_jacobian_agrees_with_dynamic_mode_both_ways(xw):
    x, W = xw
    jac = srcgrad.jacobian(vector_fn)  # 3 outputs, 3 inputs: forward mode, column by column
    J = jac(x, W)
    expected = functional.jacobian(_tensor_fn(vector_fn, (x, W), 0), srcgrad.tensor(x)).detach().numpy()
    np.testing.assert_allclose(J, expected, rtol=1e-10, atol=1e-12)
    assert jac.source.startswith("def jvp_vector_fn(")
    jac_w = srcgrad.jacobian(vector_fn, wrt=1)  # 3 outputs, 9 inputs: reverse mode, row by row
    JW = jac_w(x, W)
    expected = functional.jacobian(_tensor_fn(vector_fn, (x, W), 1), srcgrad.tensor(W)).detach().numpy()
    assert JW.shape == (3, 3, 3)
    np.testing.assert_allclose(JW, expected, rtol=1e-10, atol=1e-12)
    assert jac_w.source.startswith("def dvector_fn(")


def test_jacobian_of_a_gradient_is_the_hessian(xw):
    x, W = xw
    np.testing.assert_allclose(
        srcgrad.jacobian(srcgrad.grad(loss))(x, W), srcgrad.hessian(loss)(x, W), rtol=1e-10, atol=1e-12
    )


def test_higher_order_tools_take_one_wrt():
    with pytest.raises(TransformError, match="one wrt parameter"):
        srcgrad.hessian(two_args, wrt=(0, 1))


# ---------------------------------------------------------------- recursion at second order: forward over reverse
RECURSIVE = [c for c in all_cases() if c.name.startswith("recursion.") or c.name == "calls.recursive_power"]


@pytest.mark.parametrize("c", RECURSIVE, ids=[c.name for c in RECURSIVE])
def test_hvp_of_a_recursive_function(c):
    """``hvp`` (the JVP of the generated gradient: a recursive call's gradient is differentiated by its own JVP
    when the code runs) against finite differences of the gradient and against dynamic mode; ``grad`` of the
    gradient is refused at the line calling it (test_second_derivative_of_the_corpus)."""
    rng = np.random.default_rng(0)
    args = c.make_args(rng)
    i = c.wrt[0]
    if not _float_arg(args[i]):
        pytest.skip("the differentiated argument is not a float")
    w = rng.normal(size=np.shape(args[i]))
    w = float(w) if isinstance(args[i], float) else w
    got = srcgrad.hvp(c.fn, wrt=i)(*args, w)
    df = srcgrad.grad(c.fn, wrt=i)

    def grad_at(x):
        a = list(args)
        a[i] = x
        return np.asarray(df(*a))

    eps = 1e-5
    numeric = (grad_at(args[i] + eps * w) - grad_at(args[i] - eps * w)) / (2 * eps)
    np.testing.assert_allclose(got, numeric, rtol=1e-5, atol=1e-6)
    t = srcgrad.tensor(np.asarray(args[i], dtype=np.float64), requires_grad=True)
    call = list(args)
    call[i] = t
    (first,) = srcgrad.autograd.grad(c.fn(*call), t, create_graph=True)
    (second,) = srcgrad.autograd.grad((first * srcgrad.tensor(np.asarray(w))).sum(), t)
    np.testing.assert_allclose(got, second.detach().numpy(), rtol=1e-10, atol=1e-12)


def _float_pairs(c):
    args = c.make_args(np.random.default_rng(0))
    floats = [i for i in c.wrt if _float_arg(args[i])]
    return [(i, j) for i in floats for j in floats]


RECURSIVE_PAIRS = [(c, i, j) for c in RECURSIVE for i, j in _float_pairs(c)]


@pytest.mark.parametrize("c, i, j", RECURSIVE_PAIRS, ids=[f"{c.name}-{i}{j}" for c, i, j in RECURSIVE_PAIRS])
def test_grad_of_the_gradient_of_a_recursive_function(c, i, j, tmp_path):
    """``grad(<v, grad(f, wrt=i)>, wrt=j)`` (reverse over reverse: a recursive call of the generated gradient is
    differentiated by JVPs, by symmetry of second derivatives) at every pair of differentiated arguments, against
    finite differences of the gradient element by element, dynamic mode, and ``hessian`` where ``i == j``."""
    rng = np.random.default_rng(1)
    args = c.make_args(rng)
    df = srcgrad.grad(c.fn, wrt=i)
    v = rng.normal(size=np.shape(df(*args)))
    v = float(v) if np.ndim(v) == 0 else v
    params = ", ".join(f"a{k}" for k in range(len(args)))
    module = _module_function(tmp_path, f"def h({params}):\n    return np.sum(DF({params}) * V)\n", DF=df, V=v)
    got = srcgrad.grad(module.h, wrt=j)(*args)
    assert np.shape(got) == np.shape(args[j])

    def h_at(x):
        a = list(args)
        a[j] = x
        return module.h(*a)

    x = np.asarray(args[j], dtype=np.float64)
    numeric = np.zeros(x.shape)
    for k in np.ndindex(x.shape):
        e = np.zeros(x.shape)
        e[k] = 1.0
        step = e if x.shape else 1.0
        numeric[k] = _fd(h_at, args[j] if x.shape else float(x), step)
    np.testing.assert_allclose(got, numeric, rtol=1e-5, atol=1e-6)

    tensors = {k: srcgrad.tensor(np.asarray(args[k], dtype=np.float64), requires_grad=True) for k in {i, j}}
    call = [tensors.get(k, a) for k, a in enumerate(args)]
    (first,) = srcgrad.autograd.grad(c.fn(*call), tensors[i], create_graph=True)
    (second,) = srcgrad.autograd.grad((first * srcgrad.tensor(np.asarray(v))).sum(), tensors[j], allow_unused=True)
    expected = np.zeros(x.shape) if second is None else second.detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-11)
    if i == j:
        H = srcgrad.hessian(c.fn, wrt=i)(*args)
        np.testing.assert_allclose(got, np.tensordot(v, H, axes=np.ndim(v)), rtol=1e-9, atol=1e-11)


def _recursive_power():
    c = next(c for c in all_cases() if c.name == "calls.recursive_power")
    return c, c.make_args(np.random.default_rng(0))


def test_a_third_derivative_of_a_recursive_function_in_reverse_mode_is_refused_at_its_line(tmp_path):
    """grad of the second derivative meets the JVPs it is made of, which reverse mode does not differentiate:
    refused at the line calling it, pointing to hvp and dynamic mode; so is grad(grad(grad(f))). (hvp of the
    second derivative, forward mode, is differentiated: tests/test_compiler_recursion_third_order.py.)"""
    c, (x,) = _recursive_power()
    module = _module_function(tmp_path, "def h(a0):\n    return np.sum(DF(a0) * a0)\n", DF=srcgrad.grad(c.fn))
    d2 = srcgrad.grad(module.h)
    outer = _module_function(tmp_path, "def k(a0):\n    return np.sum(D2(a0) * a0)\n", D2=d2)
    with pytest.raises(TransformError, match=r"third derivative of a recursive function.*srcgrad\.hvp") as info:
        srcgrad.grad(outer.k)(x)
    assert (info.value.filename, info.value.lineno) == (outer.__file__, 5)
    assert "dynamic mode" in info.value.hint
    with pytest.raises(TransformError, match=r"third derivative of a recursive function"):
        srcgrad.grad(srcgrad.grad(srcgrad.grad(c.fn)))(x)


def test_grad_of_a_call_of_the_jvp_of_a_recursive_function_is_refused_at_its_line(tmp_path):
    c, (x,) = _recursive_power()
    module = _module_function(tmp_path, "def h(a0):\n    return np.sum(JF(a0, a0)[1])\n", JF=srcgrad.jvp(c.fn))
    with pytest.raises(TransformError, match=r"the gradient of the JVP of a recursive function") as info:
        srcgrad.grad(module.h)(x)
    assert (info.value.filename, info.value.lineno) == (module.__file__, 5)
