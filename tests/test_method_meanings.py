"""Tensor methods that numpy's ndarray and PyTorch's Tensor read differently (``srcgrad.meanings``).

An ambiguous call is refused by default; with ``set_method_meanings("numpy")`` it gives exactly what the
ndarray method gives, and with ``"pytorch"`` what PyTorch gives. Calls both libraries read alike, or only
one accepts, work under every setting and agree with that library.
"""

import importlib.util

import numpy as np
import pytest

import srcgrad as sg

try:
    import torch
except ImportError:
    torch = None

X0 = np.array([[3.0, 1.0, 2.0], [0.5, 4.0, -1.0]])
V0 = np.array([3.0, 1.0, 2.0, 0.5])

# (the call, applied to an ndarray or a Tensor or a torch.Tensor; the input)
AMBIGUOUS = [
    ("x.std()", lambda x: x.std(), X0),
    ("x.var()", lambda x: x.var(), X0),
    ("x.var(axis=0)", lambda x: x.var(axis=0), X0),
    ("x.std(1)", lambda x: x.std(1), X0),
    ("x.max(0)", lambda x: x.max(0), X0),
    ("x.min(axis=1)", lambda x: x.min(axis=1), X0),
    ("x.max(axis=1, keepdims=True)", lambda x: x.max(axis=1, keepdims=True), X0),
    ("x.transpose(0, 1)", lambda x: x.transpose(0, 1), X0),
    ("x.transpose(-2, -1)", lambda x: x.transpose(-2, -1), X0),
    ("x.repeat(2)", lambda x: x.repeat(2), V0),
    ("x.repeat(2, 1)", lambda x: x.repeat(2, 1), X0),
    ("x.nonzero()", lambda x: x.nonzero(), X0 > 1.0),
]


def _numpy(out):
    if isinstance(out, tuple):
        return [_numpy(o) for o in out]
    if isinstance(out, sg.Tensor):
        return out.detach().numpy()
    if torch is not None and isinstance(out, torch.Tensor):
        return out.detach().numpy()
    return np.asarray(out)


def _same(a, b):
    a, b = _numpy(a), _numpy(b)
    if isinstance(a, list) or isinstance(b, list):
        assert isinstance(a, list) and isinstance(b, list) and len(a) == len(b), (a, b)
        for p, q in zip(a, b):
            _same(p, q)
        return
    assert np.shape(a) == np.shape(b), (a, b)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name, call, x0", AMBIGUOUS, ids=[a[0] for a in AMBIGUOUS])
def test_an_ambiguous_call_is_refused_naming_both_meanings(name, call, x0):
    assert sg.get_method_meanings() == "refuse"
    with pytest.raises(sg.AmbiguousMethodError, match="means different things in numpy and PyTorch") as err:
        call(sg.tensor(x0))
    assert "numpy's meaning" in str(err.value) and "PyTorch's" in str(err.value)


@pytest.mark.parametrize("name, call, x0", AMBIGUOUS, ids=[a[0] for a in AMBIGUOUS])
def test_with_numpy_chosen_an_ambiguous_call_is_numpys(name, call, x0):
    with sg.set_method_meanings("numpy"):
        _same(call(sg.tensor(x0)), call(x0.copy()))
    assert sg.get_method_meanings() == "refuse"


@pytest.mark.parametrize("name, call, x0", AMBIGUOUS, ids=[a[0] for a in AMBIGUOUS])
def test_with_pytorch_chosen_an_ambiguous_call_is_pytorchs(name, call, x0):
    if torch is None:
        pytest.skip("PyTorch is not installed")
    with sg.set_method_meanings("pytorch"):
        _same(call(sg.tensor(x0)), call(torch.tensor(x0)))


def test_sort_in_place_or_returning_values_and_indices():
    x = sg.tensor(X0) * 1.0
    with pytest.raises(sg.AmbiguousMethodError):
        x.sort()
    with pytest.raises(sg.AmbiguousMethodError):
        x.sort(axis=0)  # PyTorch takes axis= as dim=
    assert x.sort(kind="stable") is None  # numpy's keyword: in place
    np.testing.assert_array_equal(x.detach().numpy(), np.sort(X0))
    y = sg.tensor(X0, requires_grad=True)
    values, indices = y.sort(dim=1, descending=True)
    np.testing.assert_array_equal(values.detach().numpy(), -np.sort(-X0))
    with sg.set_method_meanings("numpy"):
        z = y * 1.0
        assert z.sort() is None
        (z * sg.tensor(np.arange(6.0).reshape(2, 3))).sum().backward()
    order = np.argsort(X0, axis=1)
    expected = np.zeros_like(X0)
    np.put_along_axis(expected, order, np.arange(6.0).reshape(2, 3), axis=1)
    np.testing.assert_array_equal(y.grad.numpy(), expected)


# calls that mean the same in both libraries, or that only one accepts: they work under every setting
SETTLED = [
    ("x.std(ddof=0)", lambda x: x.std(ddof=0), lambda x: np.std(x)),
    ("x.var(axis=0, ddof=1)", lambda x: x.var(axis=0, ddof=1), lambda x: np.var(x, axis=0, ddof=1)),
    ("x.std(correction=1)", lambda x: x.std(correction=1), lambda x: np.std(x, ddof=1)),
    ("x.var(dim=1, unbiased=False)", lambda x: x.var(dim=1, unbiased=False), lambda x: np.var(x, axis=1)),
    ("x.max()", lambda x: x.max(), lambda x: np.max(x)),
    ("x.max((0, 1))", lambda x: x.max((0, 1)), lambda x: np.max(x)),
    ("x.max(dim=0)[0]", lambda x: x.max(dim=0)[0], lambda x: np.max(x, axis=0)),
    ("x.max(0, True)[0]", lambda x: x.max(0, True)[0], lambda x: np.max(x, axis=0, keepdims=True)),
    ("x.sum(axis=0, keepdims=True)", lambda x: x.sum(axis=0, keepdims=True), lambda x: np.sum(x, 0, keepdims=True)),
    ("x.sum(dtype=float32)", lambda x: x.sum(dtype=np.float32), lambda x: np.sum(x, dtype=np.float32)),
    ("x.transpose()", lambda x: x.transpose(), lambda x: x.T),
    ("x.transpose(1, 0)", lambda x: x.transpose(1, 0), lambda x: x.T),
    ("x.transpose((1, 0))", lambda x: x.transpose((1, 0)), lambda x: x.T),
    ("x.repeat(2, axis=1)", lambda x: x.repeat(2, axis=1), lambda x: np.repeat(x, 2, axis=1)),
    ("x.repeat(2) of a matrix", lambda x: x.repeat(2), lambda x: np.repeat(x, 2)),
    ("x.repeat(1, 3)", lambda x: x.repeat(1, 3), lambda x: np.tile(x, (1, 3))),
    ("x.repeat(2, 1, 1)", lambda x: x.repeat(2, 1, 1), lambda x: np.tile(x, (2, 1, 1))),
    ("x.flatten()", lambda x: x.flatten(), lambda x: x.ravel()),
    ("x.flatten('F')", lambda x: x.flatten("F"), lambda x: x.ravel("F")),
    ("x.cumprod()", lambda x: x.cumprod(), lambda x: np.cumprod(x)),
    ("x.any(axis=1)", lambda x: x.any(axis=1), lambda x: np.any(x, axis=1)),
    ("x.nonzero(as_tuple=True)", lambda x: x.nonzero(as_tuple=True), lambda x: np.nonzero(x)),
]


@pytest.mark.parametrize("which", ["refuse", "numpy", "pytorch"])
@pytest.mark.parametrize("name, call, expected", SETTLED, ids=[s[0] for s in SETTLED])
def test_a_settled_call_means_one_thing_under_every_setting(name, call, expected, which):
    with sg.set_method_meanings(which):
        _same(call(sg.tensor(X0)), expected(X0))


def test_size_is_numpys_count_and_pytorchs_shape():
    x = sg.tensor(X0)
    assert x.size == 6 and x.size * 2 == 12 and isinstance(x.size, int) and range(x.size)[-1] == 5
    assert x.size() == (2, 3) and isinstance(x.size(), sg.Size) and x.size(1) == 3 and x.size(-2) == 2
    assert np.zeros(x.size).shape == (6,)


def test_flatten_is_a_copy_as_numpy_promises():
    x = sg.tensor(X0)
    flat = x.flatten()
    flat[0] = 100.0
    assert x.numpy()[0, 0] == 3.0


def test_the_free_functions_keep_their_librarys_meaning():
    x = sg.tensor(X0, requires_grad=True)
    np.testing.assert_allclose(np.std(x).item(), np.std(X0))  # numpy's namespace: numpy's
    np.testing.assert_allclose(sg.std(x).item(), np.std(X0, ddof=1))  # srcgrad's (PyTorch's) namespace
    values, indices = sg.max(x, 1)
    np.testing.assert_array_equal(indices.numpy(), [0, 1])
    np.testing.assert_array_equal(np.transpose(x, (0, 1)).detach().numpy(), X0)  # numpy's permutation
    np.testing.assert_array_equal(sg.transpose(x, 0, 1).detach().numpy(), X0.T)


def test_the_setting_is_a_call_and_a_context_manager():
    assert sg.get_method_meanings() == "refuse"
    with sg.set_method_meanings("numpy"):
        assert sg.get_method_meanings() == "numpy"
        with sg.set_method_meanings("pytorch"):
            assert sg.get_method_meanings() == "pytorch"
        assert sg.get_method_meanings() == "numpy"
    assert sg.get_method_meanings() == "refuse"
    previous = sg.set_method_meanings("pytorch")
    try:
        assert sg.tensor(V0).std().item() == pytest.approx(np.std(V0, ddof=1))
    finally:
        previous.__exit__(None, None, None)
    assert sg.get_method_meanings() == "refuse"
    with pytest.raises(ValueError, match="takes one of 'refuse', 'numpy', 'pytorch'"):
        sg.set_method_meanings("torch")


def test_a_pytorch_script_run_by_srcgrad_gets_pytorchs_meanings():
    from srcgrad.porting import torch_alias

    with torch_alias():
        assert sg.get_method_meanings() == "pytorch"
        import torch as aliased

        x = aliased.tensor(X0)
        values, indices = x.max(1)
        np.testing.assert_array_equal(indices.numpy(), [0, 1])
        assert x.std().item() == pytest.approx(np.std(X0, ddof=1))
    assert sg.get_method_meanings() == "refuse"


def test_a_bool_where_numpy_puts_dtype_or_out_is_refused():
    x = sg.tensor(X0)
    with pytest.raises(TypeError, match="unbiased must be a bool"):
        x.std(0, np.float32)
    with pytest.raises(TypeError, match="keepdim must be a bool"):
        x.max(0, np.zeros(3))


def test_view_with_a_dtype_reads_the_same_bytes_in_both_libraries():
    x = sg.tensor(X0)
    np.testing.assert_array_equal(x.view(np.int64).numpy(), X0.view(np.int64))
    np.testing.assert_array_equal(x.view(sg.int64).numpy(), X0.view(np.int64))
    assert x.view(-1).shape == (6,) and x.view(3, 2).shape == (3, 2) and x.view((6, 1)).shape == (6, 1)
    with pytest.raises(sg.AutogradError, match="no gradient"):
        sg.tensor(X0, requires_grad=True).view(np.int64)


def _module(tmp_path, name, imports, body):
    """Import a module written with ``imports`` whose function ``call(x)`` is ``body``."""
    path = tmp_path / f"{name}.py"
    path.write_text(f"{imports}\n\n\ndef call(x):\n    return {body}\n")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name, call, x0", AMBIGUOUS, ids=[a[0] for a in AMBIGUOUS])
def test_in_a_module_that_imports_srcgrad_as_torch_an_ambiguous_call_is_pytorchs(name, call, x0, tmp_path):
    ported = _module(tmp_path, "ported", "import srcgrad as torch\nimport srcgrad.nn as nn", name)
    assert sg.get_method_meanings() == "refuse"
    with sg.set_method_meanings("pytorch"):
        want = call(sg.tensor(x0))
    _same(ported.call(sg.tensor(x0)), want)
    if torch is not None:
        _same(ported.call(sg.tensor(x0)), call(torch.tensor(x0)))
    with sg.set_method_meanings("numpy"):  # a meaning chosen for the process still wins
        _same(ported.call(sg.tensor(x0)), call(x0.copy()))


@pytest.mark.parametrize(
    "imports",
    [
        "import srcgrad as sg",
        "import srcgrad\nimport srcgrad.nn as nn\nimport srcgrad.nn.functional as F\nfrom srcgrad import nn as torch_nn",
        "import numpy as torch",
        "torch = None",
    ],
)
def test_any_other_module_still_gets_the_error(imports, tmp_path):
    module = _module(tmp_path, "plain", imports, "x.transpose(0, 1)")
    with pytest.raises(sg.AmbiguousMethodError, match="a module that imports srcgrad as torch"):
        module.call(sg.tensor(X0))


def test_the_module_that_makes_the_call_decides(tmp_path):
    # a numpy-style helper called from a ported file keeps refusing; a ported helper called from
    # numpy-style code is PyTorch's: the meaning follows the code that wrote the call
    numpy_style = _module(tmp_path, "numpy_style", "import numpy as np", "x.std()")
    ported = _module(tmp_path, "ported_caller", "import srcgrad as torch", "numpy_style.call(x)")
    ported.numpy_style = numpy_style
    with pytest.raises(sg.AmbiguousMethodError):
        ported.call(sg.tensor(X0))
    ported_helper = _module(tmp_path, "ported_helper", "import srcgrad as torch", "x.std()")
    caller = _module(tmp_path, "numpy_caller", "import numpy as np", "helper.call(x)")
    caller.helper = ported_helper
    assert caller.call(sg.tensor(X0)).item() == pytest.approx(np.std(X0, ddof=1))


SILENT = """{imports}


def run(x, m):
    item = x[1]
    item += 10.0  # PyTorch: x[1] is a 0-d view, changed in place; numpy: a scalar, rebound
    total = x.sum()
    alias = total
    total += 1.0  # PyTorch: in place, so alias changes too; numpy: rebinds total only
    product = m
    product @= m  # PyTorch: rebinds product; numpy: changes m in place
    return x, alias, m
"""


@pytest.mark.parametrize(
    "imports, pytorchs", [("import srcgrad as torch", True), ("import srcgrad as sg", False), ("torch = None", False)]
)
def test_what_differs_silently_follows_the_same_module_rule(imports, pytorchs, tmp_path):
    path = tmp_path / f"silent_{pytorchs}_{len(imports)}.py"
    path.write_text(SILENT.format(imports=imports))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    m0 = np.array([[1.0, 2.0], [0.0, 1.0]])
    x, alias, m = module.run(sg.tensor([1.0, 2.0, 3.0]), sg.tensor(m0))
    if pytorchs:  # what PyTorch computes (and srcgrad run)
        assert x.tolist() == [1.0, 12.0, 3.0] and alias.item() == 17.0 and np.array_equal(m.numpy(), m0)
    else:  # what numpy computes on arrays
        assert x.tolist() == [1.0, 2.0, 3.0] and alias.item() == 6.0 and np.array_equal(m.numpy(), m0 @ m0)
    with sg.set_method_meanings("pytorch"):
        x, alias, m = module.run(sg.tensor([1.0, 2.0, 3.0]), sg.tensor(m0))
    assert x.tolist() == [1.0, 12.0, 3.0] and alias.item() == 17.0
