"""The generated code prints and runs with astor and, where astor fails, with ``ast.unparse``.

astor is the printer the design names; on a Python it does not support (3.14
removes the ``ast.Num`` it reads) codegen falls back to the standard library's
``ast.unparse``. Both printers must give code that computes the same gradients.
"""

import re
import subprocess
import sys

import numpy as np
import pytest

import srcgrad
from corpus import all_cases
from corpus.harness import args_of, check_grad_and_jvp, numeric_grad, static_grad
from srcgrad.compiler import clear_cache, codegen

CASES = [c for c in all_cases() if c.static is None][::10]  # a tenth of the corpus, every theme


@pytest.mark.parametrize("case", CASES, ids=[c.fn.__name__ for c in CASES])
def test_the_fallback_printer_gives_the_same_gradients(case, monkeypatch):
    args = args_of(case)
    clear_cache()
    monkeypatch.setattr(codegen, "_astor_source", None)
    got = static_grad(case.fn, args, case.wrt)
    source = srcgrad.grad(case.fn, wrt=case.wrt if len(case.wrt) > 1 else case.wrt[0]).source_for(*args)
    clear_cache()
    monkeypatch.undo()
    expected = numeric_grad(case.fn, args_of(case), case.wrt)
    for i in case.wrt:
        np.testing.assert_allclose(got[i], expected[i], rtol=case.rtol * 10, atol=case.atol * 10)
    compile(source, "<printed by ast.unparse>", "exec")
    assert re.search(
        r"# (adjoint of )?line \d+", source
    )  # the comments pointing to the user's lines are codegen's, not the printer's


def test_astor_is_the_printer_where_it_works():
    assert codegen._astor_source is not None


def test_importing_srcgrad_warns_about_nothing():
    proc = subprocess.run(
        [
            sys.executable,
            "-W",
            "error::DeprecationWarning",
            "-W",
            "error::PendingDeprecationWarning",
            "-c",
            "import srcgrad",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr


def long_loop_condition(u):
    k = 0
    while k < 4 and np.amax(np.prod(1.0 + 0.2 * u, axis=0), axis=1)[-2] > -0.76 and np.sum(u) < 1.74 + 0.0 * k:
        k += 1
    if k < 4 and np.amax(np.prod(1.0 + 0.2 * u, axis=0), axis=1)[-2] > -0.76 and np.sum(u) < 1.74 + 0.0 * k:
        u = u * 2.0
    return np.sum(u * u) * (k + 1)


@pytest.mark.parametrize("printer", ["astor", "ast.unparse"])
def test_a_condition_too_long_for_one_line(printer, monkeypatch):
    """The printer wraps a long ``while``/``if`` condition inside parentheses, which must stay (found by
    tools/fuzz.py seed 3: a SyntaxError in generated code)."""
    if printer == "ast.unparse":
        monkeypatch.setattr(codegen, "_astor_source", None)
    clear_cache()
    u = np.linspace(-0.6, 0.9, 12).reshape(2, 3, 2)
    check_grad_and_jvp(long_loop_condition, u)
    clear_cache()


def signature_too_long_for_one_line(
    a_long_parameter_name_number_one,
    a_long_parameter_name_number_two,
    a_long_parameter_name_number_three,
    a_long_parameter_name_number_four,
):
    return np.sum(
        a_long_parameter_name_number_one
        * a_long_parameter_name_number_two
        * a_long_parameter_name_number_three
        * a_long_parameter_name_number_four
    )


def test_a_signature_printed_over_several_lines_compiles():
    # the printer wraps a long def over several lines; only its first was kept (a SyntaxError in generated code)
    x = np.array([1.0, 2.0])
    jf = srcgrad.jvp(signature_too_long_for_one_line, wrt=(0, 1, 2, 3))
    value, tangent = jf(x, x, x, x, (x, x, x, x))
    assert tangent == pytest.approx(4 * np.sum(x**4))
    dg = srcgrad.grad(signature_too_long_for_one_line, wrt=(0, 1, 2, 3))
    np.testing.assert_allclose(dg(x, x, x, x)[0], x**3)
