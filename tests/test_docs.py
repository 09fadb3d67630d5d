"""Every ```python block of README.md and docs/*.md runs.

The blocks of one file run in order, in one namespace (as a reader pastes them
into one session), each from a real ``.py`` file, because the compiler reads a
function's source from its file. A block's file is padded with blank lines so
its line numbers are the Markdown file's: a traceback names the line of the
doc. Each Markdown file runs in a fresh interpreter, in a temporary directory,
so what one page registers or saves cannot leak into another.

A block that needs something optional has ``<!-- skip: needs WHAT -->`` on the
line just before its fence (see CONTRIBUTING.md). When WHAT is a module name
(``needs mpi4py``, ``needs torch``) the block runs wherever that module can be
imported and is skipped elsewhere; any other reason skips it always. Output is
fenced as ```text, never as ```python.

Run one page by hand with ``python tests/test_docs.py docs/compiler.md``.
"""

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
SKIP = re.compile(r"<!--\s*skip:\s*(.+?)\s*-->\s*$")


def doc_files():
    """README.md and every Markdown file under docs/, sorted: new pages are picked up on their own."""
    return [ROOT / "README.md"] + sorted((ROOT / "docs").rglob("*.md"))


def python_blocks(text):
    """The ```python blocks of a Markdown text.

    Args:
        text: the Markdown.

    Returns:
        A list of ``(line, code, skip_reason)``: the line number of the block's
        first code line, its code, and the reason of a ``<!-- skip: ... -->``
        marker on the line before the fence (None when there is none).
    """
    blocks = []
    for match in FENCE.finditer(text):
        fence_line = text.count("\n", 0, match.start()) + 1
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        skip = SKIP.search(before)
        blocks.append((fence_line + 1, match.group(1), skip.group(1) if skip else None))
    return blocks


def _available(reason):
    """True when a skip ``reason`` is ``needs MODULE`` and MODULE can be imported here (then the block runs)."""
    import importlib.util

    match = re.fullmatch(r"needs ([A-Za-z_][\w.]*)", reason)
    if match is None:
        return False
    try:
        return importlib.util.find_spec(match.group(1)) is not None
    except (ImportError, ValueError):
        return False


def run_file(md_path, workdir):
    """Run the python blocks of ``md_path`` in order, in one module namespace; raise on the first failure.

    Args:
        md_path: the Markdown file.
        workdir: a directory for the blocks' files (and whatever they write).

    Returns:
        How many blocks ran.
    """
    import types

    md_path = pathlib.Path(md_path)
    stem = re.sub(r"\W", "_", md_path.stem)
    module = types.ModuleType(f"doc_{stem}")
    sys.modules[module.__name__] = module
    ran = 0
    for line, code, skip in python_blocks(md_path.read_text()):
        if skip is not None and not _available(skip):
            print(f"{md_path.name}:{line}: skipped ({skip})")
            continue
        block_path = pathlib.Path(workdir) / f"{stem}_md_line{line}.py"
        block_path.write_text("\n" * (line - 1) + code)
        module.__file__ = str(block_path)
        exec(compile(block_path.read_text(), str(block_path), "exec"), module.__dict__)
        ran += 1
    return ran


DOCS = [p for p in doc_files() if python_blocks(p.read_text())]


@pytest.mark.parametrize("md_path", DOCS, ids=[str(p.relative_to(ROOT)) for p in DOCS])
def test_python_blocks_run(md_path, tmp_path):
    env = dict(
        os.environ,
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        MPLBACKEND="Agg",
        PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    )
    proc = subprocess.run(
        [sys.executable, __file__, str(md_path), str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, (
        f"a python block of {md_path.relative_to(ROOT)} failed (the traceback's line "
        f"numbers are the Markdown file's):\n{proc.stderr[-4000:]}"
    )


def test_block_extraction_and_skip_marker():
    text = (
        "intro\n```python\nx = 1\n```\n\n```text\nnot code\n```\n"
        "<!-- skip: needs mpi4py -->\n```python\nimport mpi4py\n```\n```python\ny = x\n```\n"
    )
    assert python_blocks(text) == [(3, "x = 1\n", None), (11, "import mpi4py\n", "needs mpi4py"), (14, "y = x\n", None)]


def test_a_block_that_needs_a_module_runs_where_it_is_installed(tmp_path):
    doc = tmp_path / "page.md"
    doc.write_text(
        "<!-- skip: needs json -->\n```python\nimport json\nran = 1\n```\n"
        "<!-- skip: needs no_such_module_here -->\n```python\nimport no_such_module_here\n```\n"
        "<!-- skip: needs a GPU -->\n```python\nraise SystemExit(3)\n```\n```python\nassert ran == 1\n```\n"
    )
    proc = subprocess.run(
        [sys.executable, __file__, str(doc), str(tmp_path)], cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "skipped (needs no_such_module_here)" in proc.stdout and "skipped (needs a GPU)" in proc.stdout
    assert "needs json" not in proc.stdout


def test_a_failing_block_fails_with_the_markdown_line(tmp_path):
    doc = tmp_path / "page.md"
    doc.write_text("# page\n\n```python\nx = 1\n```\n\ntext\n\n```python\ny = x + 1\nz = undefined_name\n```\n")
    proc = subprocess.run(
        [sys.executable, __file__, str(doc), str(tmp_path)], cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode != 0
    assert "line 11" in proc.stderr and "undefined_name" in proc.stderr


def test_grad_works_on_a_function_defined_in_a_block(tmp_path):
    doc = tmp_path / "page.md"
    doc.write_text(
        "```python\nimport srcgrad\n\ndef f(x):\n    return x * x * 3.0\n```\n\n"
        "```python\nassert srcgrad.grad(f)(2.0) == 12.0\n```\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run(
        [sys.executable, __file__, str(doc), str(tmp_path)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr


if __name__ == "__main__":
    sys.exit(0 if run_file(sys.argv[1], sys.argv[2]) >= 0 else 1)
