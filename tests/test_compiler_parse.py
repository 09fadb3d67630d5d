"""The parse pass reads source with ``ast.parse``; ``gast``'s round trip must give the same trees.

On the supported Python versions the round trip through ``gast`` (which papers
over differences between Python versions, and which ``srcgrad/compiler/parse.py``
keeps by design) is an identity. Checked here, line numbers
included, on every file the compiler parses in practice: the corpus (user code
of every supported form), the rule modules (read as templates by ``inline``) and
the examples, and on each corpus function's own text as ``parse_function`` reads it
(found by indentation, or by ``inspect`` where that is unsure: a few awkward layouts).
"""

import ast
import glob
import inspect
import os
import textwrap

import gast
import numpy as np
import pytest

import srcgrad
from srcgrad.compiler.parse import parse_expression, parse_function, parse_module
from tests.corpus import all_cases

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILES = sorted(
    glob.glob(os.path.join(ROOT, "tests", "corpus", "*.py"))
    + glob.glob(os.path.join(ROOT, "srcgrad", "rules", "*.py"))
    + glob.glob(os.path.join(ROOT, "examples", "*.py"))
)


def _dump(tree):
    return ast.dump(tree, include_attributes=True)


def _via_gast(text, mode="exec"):
    return gast.gast_to_ast(gast.parse(text, mode=mode))


@pytest.mark.parametrize("path", FILES, ids=lambda p: os.path.relpath(p, ROOT))
def test_module_parses_as_gast_would(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    assert _dump(parse_module(text)) == _dump(_via_gast(text))


def _identity(f):
    return f


def _with_args(*args):
    return _identity


# Functions whose text is awkward to find by indentation (parse_function then asks inspect).
@_with_args(1, 2)
def _decorator_over_lines(x):
    return x * 2


def _header_over_lines(
    x,
    y=1.0,
):
    return x * y


def _string_at_column_zero(x):
    s = """
text"""
    return x * len(s)


def _brackets_at_column_zero(x):
    y = max(x, 0.0)
    # a comment
    # a comment at column zero
    return y


@_identity
def _one_line(x):
    return x + 1


def _nested(x):
    def inner(y):
        return y * y

    return inner(x)


AWKWARD = [
    _decorator_over_lines,
    _header_over_lines,
    _string_at_column_zero,
    _brackets_at_column_zero,
    _one_line,
    _nested,
]


@pytest.mark.parametrize("fn", [c.fn for c in all_cases()] + AWKWARD, ids=lambda f: f.__name__)
def test_function_parses_as_inspect_and_gast_would(fn):
    src, first = inspect.getsourcelines(fn)
    want = _via_gast(textwrap.dedent("".join(src)))
    ast.increment_lineno(want, first - 1)
    want = next(n for n in ast.walk(want) if isinstance(n, ast.FunctionDef) and n.name == fn.__name__)
    want.decorator_list = []
    assert _dump(parse_function(fn).node) == _dump(want)


def test_expression_parses_as_gast_would():
    for text in (
        "g * (1 - ans * ans)",
        "x if axis is None else np.sum(x, axis=axis)",
        "lambda g, ans, x: g / x",
        "[v * 2 for v in xs if v]",
        "f'{x!r:>{w}}'",
        "a[1:2, ..., None]",
        "-x ** 2",
    ):
        assert _dump(parse_expression(text)) == _dump(_via_gast(text, mode="eval").body), text


positional_only = lambda x, /, y: np.sum(np.sin(x) * y)  # noqa: E731


def test_a_lambda_with_positional_only_parameters_is_found():
    # its parameters before "/" are code.co_varnames too: they were left out of the match (a refusal)
    x, y = np.array([0.1, -0.7, 1.3]), 2.5
    dx = srcgrad.grad(positional_only)(x, y)
    eps = 1e-6
    fd = [(positional_only(x + eps * e, y) - positional_only(x - eps * e, y)) / (2 * eps) for e in np.eye(3)]
    np.testing.assert_allclose(dx, fd, rtol=1e-7)
    np.testing.assert_allclose(dx, y * np.cos(x), rtol=1e-12)


# ---------------------------------------------------------------- the cache of parsed functions
def _import_file(path, name):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_parse_of_a_function_is_its_own_tree():
    """parse_function reads a function once; every caller still gets a tree it may change."""
    trees = []
    for _ in range(3):
        node = parse_function(_sample_for_cache).node
        assert node.name == "_sample_for_cache" and len(node.body) == 2
        assert all(node is not other for other in trees)
        node.body.clear()
        node.name = "changed"
        trees.append(node)


def _sample_for_cache(x):
    y = np.sin(x)
    return y * x


def test_equal_code_objects_from_two_files_keep_their_own_file(tmp_path):
    """Code objects of the same text at the same line compare equal whatever their file: each keeps its own."""
    text = "import numpy as np\n\n\ndef f(x):\n    y = np.tanh(x)\n    return y ** 2\n"
    (tmp_path / "one.py").write_text(text)
    (tmp_path / "two.py").write_text(text)
    one = _import_file(tmp_path / "one.py", "srcgrad_parse_cache_one")
    two = _import_file(tmp_path / "two.py", "srcgrad_parse_cache_two")
    assert one.f.__code__ == two.f.__code__  # the case the cache must tell apart
    assert parse_function(one.f).filename.endswith("one.py")
    assert parse_function(two.f).filename.endswith("two.py")
    assert parse_function(one.f).filename.endswith("one.py")
    assert "two.py" in srcgrad.grad(two.f).source_for(0.3).splitlines()[1]


def test_generated_code_compiled_twice_is_read_as_itself():
    """The same generated text compiled twice (two files): each function is read with its own file and lines,
    into a tree of its own, equal to the one a fresh parse gives; and its second derivative is right."""
    from srcgrad.compiler import clear_cache, parse
    from srcgrad.compiler.codegen import compile_function

    gf = srcgrad.grad(_scalar_sample)
    gf(np.ones(3))
    name, ns = gf.function.__name__, gf.function.__globals__
    text = gf.source_for(np.ones(3))
    one = compile_function(text, name, ns, "one")
    two = compile_function(text, name, ns, "two")
    assert one.__code__.co_filename != two.__code__.co_filename
    fresh = ast.dump(parse._parse_function(two, two.__code__, None).node)
    for _ in range(3):
        for fn in (one, two):
            parsed = parse_function(fn)
            assert parsed.filename == fn.__code__.co_filename and parsed.lines == text.splitlines()
            assert ast.dump(parsed.node) == fresh
            parsed.node.body.clear()  # the caller's tree: changing it leaves the kept one alone
    assert parse_function(two).fenced is parse_function(one).fenced  # one record of what fence passed, per text
    clear_cache()
    x = np.array([0.3, -0.7, 1.1])
    h = srcgrad.grad(_sum_of_gradient_times_x)(x)
    # f = sin(x) x elementwise, f' = cos(x) x + sin(x); d/dx [x f'(x)] = f' + x (2 cos(x) - x sin(x))
    expected = np.cos(x) * x + np.sin(x) + x * (2 * np.cos(x) - x * np.sin(x))
    np.testing.assert_allclose(h, expected, rtol=1e-10)


def _scalar_sample(x):
    y = np.sin(x)
    return np.sum(y * x)


def _sum_of_gradient_times_x(x):
    return np.sum(srcgrad.grad(_scalar_sample)(x) * x)


def test_refused_syntax_is_refused_at_every_transformation(tmp_path):
    """fence remembers only what passed: a refusal comes back each time, at the user's line."""
    (tmp_path / "bad.py").write_text("def f(x):\n    s = {x}\n    return x\n")
    bad = _import_file(tmp_path / "bad.py", "srcgrad_parse_cache_bad")
    for _ in range(2):
        with pytest.raises(srcgrad.TransformError, match="set literal") as info:
            srcgrad.grad(bad.f)(1.0)
        assert info.value.lineno == 2 and info.value.filename.endswith("bad.py")


@pytest.mark.parametrize("path", FILES[-6:], ids=os.path.basename)
def test_copy_tree_copies_as_deepcopy_does(path):
    import copy

    from srcgrad.compiler.astwalk import copy_tree, walk

    with open(path) as f:
        tree = ast.parse(f.read())
    copied = copy_tree(tree)
    assert _dump(copied) == _dump(copy.deepcopy(tree))
    originals = {id(n) for n in walk(tree) if n._fields}
    assert not originals & {id(n) for n in walk(copied) if n._fields}  # no node with fields is shared
