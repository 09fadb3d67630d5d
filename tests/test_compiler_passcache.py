"""The normalize pass runs once per function (compiler/passcache.py): its result serves every specialisation; the
same generated text is compiled once (codegen.py).

Each specialisation must get the code it would get from an empty cache, and a result must not outlive what it
read (a rebound helper, another closure cell, a changed default). Gradients are checked against central
differences.
"""

import linecache

import numpy as np
import pytest

import srcgrad
from srcgrad.compiler import cache, clear_cache, passcache

SPECIALISATIONS = (0.7, np.linspace(-1.0, 1.3, 4), np.linspace(0.2, 1.1, 6).reshape(2, 3))


def central_grad(f, x, eps=1e-6):
    """The gradient of scalar ``f`` at ``x`` (a number or an array) by central differences."""
    if np.ndim(x) == 0:
        return (f(x + eps) - f(x - eps)) / (2 * eps)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def central_jvp(f, x, t, eps=1e-6):
    return (f(x + eps * t) - f(x - eps * t)) / (2 * eps)


def _scale(x):
    y = x * 1.5
    return y


def helper(x):
    return np.sin(x)


def branchy(x, k=2):
    y = _scale(x)
    if np.sum(y) > 0.0:
        y = y * helper(x) + np.cos(y) ** k
    total = 0.0
    for i in range(3):
        total = total + np.sum(np.tanh(y) * (i + 1.0))
    return total + np.sum(helper(y) * x)


def test_every_specialisation_gets_the_code_of_an_empty_cache():
    texts = {}
    for x in SPECIALISATIONS:
        clear_cache()
        texts[np.shape(x)] = srcgrad.grad(branchy).source_for(x), srcgrad.jvp(branchy).source_for(x)
    clear_cache()
    df, jf = srcgrad.grad(branchy), srcgrad.jvp(branchy)
    for x in SPECIALISATIONS:  # one after the other: the later ones reuse the first one's normalize
        assert (df.source_for(x), jf.source_for(x)) == texts[np.shape(x)]
    kept = [key for key in cache.NORMALIZED if key[0][0] is branchy.__code__]  # (the code and its file)
    assert len(kept) == 2  # one for the gradient, one for the JVP (which may return a tuple): reused
    for x in SPECIALISATIONS:
        np.testing.assert_allclose(df(x), central_grad(branchy, x), rtol=1e-6, atol=1e-8)
        t = np.ones_like(x) * 0.3 if np.ndim(x) else 0.3
        np.testing.assert_allclose(jf(x, t)[1], central_jvp(branchy, x, t), rtol=1e-6, atol=1e-8)


def test_a_copy_of_the_program_shares_no_statement():
    clear_cache()
    srcgrad.grad(branchy).source_for(0.5)
    srcgrad.grad(branchy).source_for(np.ones(2))  # asked for twice: kept
    (variants,) = [v for k, v in cache.NORMALIZED.items() if k[0][0] is branchy.__code__]
    program = variants[0][0]
    copied = passcache.copy_program(program)
    assert copied.body is not program.body and len(copied.body) == len(program.body)
    for a, b in zip(copied.body, program.body):
        assert a is not b and type(a) is type(b)
    assert copied.display == program.display and copied.display is not program.display


def uses_helper(x):
    return np.sum(helper(x) * x)


def test_a_rebound_helper_is_read_again(monkeypatch):
    clear_cache()
    df = srcgrad.grad(uses_helper)
    x = 0.4
    np.testing.assert_allclose(df(x), np.cos(x) * x + np.sin(x))
    monkeypatch.setitem(globals(), "helper", _scale)  # a new specialisation (arrays) after the rebinding
    v = np.linspace(-1.0, 1.0, 3)
    np.testing.assert_allclose(df(v), central_grad(uses_helper, v), rtol=1e-6)
    np.testing.assert_allclose(df(v), 3.0 * v)


def make_scaled(c):
    def scaled(x):
        return np.sum(c * x**2)

    return scaled


@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_closures_of_one_code_with_other_cells_are_normalized_again(mode):
    clear_cache()
    v = np.linspace(-1.0, 1.0, 3)
    for c in (2.0, np.array([1.0, 3.0, 5.0]), -0.5):
        f = make_scaled(c)
        if mode == "grad":
            got = srcgrad.grad(f)(v)
            np.testing.assert_allclose(got, central_grad(f, v), rtol=1e-6)
            np.testing.assert_allclose(got, 2 * c * v)
        else:
            t = np.array([0.3, -0.2, 0.5])
            got = srcgrad.jvp(f)(v, t)[1]
            np.testing.assert_allclose(got, central_jvp(f, v, t), rtol=1e-6)
            np.testing.assert_allclose(got, np.sum(2 * c * v * t))


def with_default(x, p=2):
    return np.sum(x**p)


def test_changed_defaults_are_read_again(monkeypatch):
    clear_cache()
    df = srcgrad.grad(with_default)
    np.testing.assert_allclose(df(0.5), 2 * 0.5)
    monkeypatch.setattr(with_default, "__defaults__", (3,))
    v = np.linspace(0.1, 0.9, 3)
    np.testing.assert_allclose(df(v), 3 * v**2)
    np.testing.assert_allclose(df(v), central_grad(with_default, v), rtol=1e-6)


def refused(x):
    return np.sum(x), x  # srcgrad.grad needs one value: refused while normalizing


def test_a_refusal_is_not_kept():
    clear_cache()
    df = srcgrad.grad(refused)
    for x in (0.5, np.ones(3)):
        with pytest.raises(srcgrad.TransformError) as err:
            df(x)
        assert "test_compiler_passcache.py" in str(err.value)
    assert not [k for k in cache.NORMALIZED if k[0] is refused.__code__]


def scaled_sum(x):
    y = x * 3.0
    return np.sum(np.log(y))


def test_one_text_compiled_once_is_still_each_functions_own_file():
    clear_cache()
    df = srcgrad.grad(scaled_sum)
    files = []
    for shape in ((4,), (2, 2)):  # two specialisations that print alike
        x = np.linspace(0.5, 1.5, 4).reshape(shape)
        np.testing.assert_allclose(df(x), 1.0 / x)
        np.testing.assert_allclose(df(x), central_grad(scaled_sum, x), rtol=1e-6)
        code = df.function.__code__
        files.append(code.co_filename)
        assert "".join(linecache.getlines(code.co_filename)) == df.source
    assert df.source_for(np.ones(4)) == df.source_for(np.ones((2, 2)))
    assert files[0] != files[1]
    with pytest.raises(FloatingPointError) as err:  # a traceback into the second one reads its own lines
        with np.errstate(divide="raise"):
            df(np.zeros((2, 2)))
    frames = [f for f in err.traceback if str(f.path) == files[1]]
    assert frames and str(frames[-1].statement).strip() == "dy = dout / y"


def by_position(xs):
    return np.sum(np.sin(xs[0])) + np.sum(np.cos(xs[1]) * xs[0][0])


def rows_in_the_call(a, b):
    g = srcgrad.grad(by_position)([a, b])
    return np.sum(g[0]) + np.sum(np.sin(g[1]))


def test_what_normalize_asked_of_the_shapes_tells_specialisations_apart():
    """Rows of one shape make one array; of several shapes, the inner gradient is read item by item: the
    normalized program of the first must not serve the second (``wrt`` 0 and 1 are two transformations that
    normalize alike)."""
    clear_cache()
    one_shape = (np.array([0.3, -0.2, 0.5]), np.array([0.1, 0.4, 0.7]))
    several = (np.array([0.3, -0.2, 0.5]), np.array([[0.1, 0.4], [0.7, -0.3]]))
    for a, b in (one_shape, one_shape, several, several):
        for i in (0, 1):
            g = srcgrad.grad(rows_in_the_call, wrt=i)(a, b)
            args = [a, b]

            def along(v):
                return rows_in_the_call(*(args[:i] + [v] + args[i + 1 :]))

            np.testing.assert_allclose(g, central_grad(along, args[i]), rtol=1e-6, atol=1e-8)


def listed(x):
    return list((x, np.sin(x) * 2.0))


def test_a_list_made_from_a_tuple_keeps_its_items_in_a_kept_result():
    """``list((x, y))`` returned (a ``KnownList``, a tuple of atoms) was copied empty from a kept result: the JVP at
    the third specialisation returned ``((), ())`` without an error (and a gradient reading it, HIPS autograd's
    ``test_list.py::test_make_list``, was refused). Checked against the function, central differences and dynamic
    mode, at more specialisations than the pass keeps apart."""
    clear_cache()
    jf = srcgrad.jvp(listed)
    for x in (0.7, np.linspace(-1.0, 1.0, 3), np.linspace(0.2, 1.1, 6).reshape(2, 3), np.ones(4), 0.2):
        t = np.ones_like(x) * 0.5
        value, tangent = jf(x, t)
        assert len(value) == len(tangent) == 2
        for k in range(2):
            np.testing.assert_allclose(value[k], listed(x)[k])
            np.testing.assert_allclose(tangent[k], central_jvp(lambda v: listed(v)[k], x, t), rtol=1e-6, atol=1e-9)
        _, dynamic = srcgrad.autograd.functional.jvp(listed, srcgrad.tensor(x), srcgrad.tensor(t))
        for k in range(2):
            np.testing.assert_allclose(tangent[k], dynamic[k].numpy(), rtol=1e-12)


TWIN = "import numpy as np\n\n\ndef f(x):\n    return np.sum(np.sin(x) * x)\n"


def test_equal_code_in_two_files_is_each_files_own(tmp_path, monkeypatch):
    """Two files with the same text make equal code objects (Python compares them without their file): the
    second file's gradient was the first's transformation, its code and messages naming the first file."""
    import importlib

    clear_cache()
    for name in ("twin_one", "twin_two"):
        (tmp_path / f"{name}.py").write_text(TWIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    one, two = importlib.import_module("twin_one"), importlib.import_module("twin_two")
    assert one.f.__code__ == two.f.__code__
    for x in (np.ones(2), np.ones(3)):
        srcgrad.grad(one.f)(x)
        srcgrad.jvp(one.f)(x, x)
    for x in (np.ones(2), np.ones(4)):  # a transformation kept, a normalized program kept
        df = srcgrad.grad(two.f)
        np.testing.assert_allclose(df(x), central_grad(two.f, x), rtol=1e-6)
        assert "twin_two.py" in df.source_for(x) and "twin_one.py" not in df.source_for(x)
        assert srcgrad.jvp(two.f).__call__(x, x)[1] == pytest.approx(np.sum((np.cos(x) * x + np.sin(x)) * x))
