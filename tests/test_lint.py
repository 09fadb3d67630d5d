"""The tree is lint-clean (ruff, configured in pyproject.toml), and the package says what it is."""

import pathlib
import re
import shutil
import subprocess
import sys

import pytest

import srcgrad

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _ruff():
    exe = shutil.which("ruff") or str(pathlib.Path(sys.executable).with_name("ruff"))
    return exe if pathlib.Path(exe).exists() else None


@pytest.mark.skipif(_ruff() is None, reason="ruff is not installed (pip install -e '.[test]')")
def test_ruff_check_is_clean():
    proc = subprocess.run(
        [_ruff(), "check", "--no-cache", "--output-format", "concise", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, f"ruff check found problems (ruff check --fix fixes most):\n{proc.stdout}"


def test_the_version_is_written_once():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert not re.search(r"^version\s*=\s*\"", pyproject, flags=re.M), "pyproject.toml must read srcgrad.__version__"
    assert 'version = {attr = "srcgrad.__version__"}' in pyproject
    assert re.fullmatch(r"\d+\.\d+\.\d+", srcgrad.__version__)
    assert f"[{srcgrad.__version__}]" in (ROOT / "CHANGELOG.md").read_text()


def test_license_and_typing_marker_ship():
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    assert (ROOT / "srcgrad" / "py.typed").exists()
    assert 'srcgrad = ["py.typed"]' in (ROOT / "pyproject.toml").read_text()


def test_the_public_api_has_type_hints_that_resolve():
    import typing

    for fn in (
        srcgrad.source,
        srcgrad.custom_vjp,
        srcgrad.viz.make_dot,
        srcgrad.tensor,
        srcgrad.zeros,
        srcgrad.randn,
        srcgrad.arange,
        srcgrad.linspace,
        srcgrad.ones_like,
    ):
        hints = typing.get_type_hints(fn)  # raises if an annotation does not resolve
        assert "return" in hints, fn.__name__
    assert typing.get_type_hints(srcgrad.zeros)["return"] is srcgrad.Tensor
    if sys.version_info >= (3, 11):  # typing.get_overloads
        for fn in (srcgrad.grad, srcgrad.value_and_grad, srcgrad.jvp):
            overloads = typing.get_overloads(fn)
            assert len(overloads) == 2, fn.__name__
            assert all("return" in typing.get_type_hints(o) for o in overloads)
