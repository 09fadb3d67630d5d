"""The corpus differentiated three times in static mode: grad of ``<w, grad <v, grad f>>``.

Judged by central finite differences of the second-order function and by dynamic mode (Tensors with
``create_graph=True`` twice), never by the compiler itself. A refusal must be a ``SrcgradError`` and must be
listed in ``THIRD_REFUSED``; the test fails when a listed function starts working, so the list stays true.
"""

import numpy as np
import pytest

import srcgrad
from corpus import all_cases
from srcgrad.errors import SrcgradError
from test_compiler_higher import _fd, _float_arg, _module_function, dynamic_derivative

_RECURSIVE = "a third derivative of a recursive function"
THIRD_REFUSED = {
    "calls.recursive_power": _RECURSIVE,
    "recursion.divide_and_conquer": _RECURSIVE,
    "recursion.mutual_recursion": _RECURSIVE,
    "recursion.horner_recursive": _RECURSIVE,
    "recursion.recursive_in_loop": _RECURSIVE,
    "recursion.recursion_of_two_arrays": _RECURSIVE,
    "recursion.fold_rows": _RECURSIVE,
    "recursion.recursive_on_scalars": _RECURSIVE,
    "recursion.recursive_keyword": _RECURSIVE,
    "recursion.nested_recursion_closing_over": _RECURSIVE,
    "recursion.recursive_lambda": _RECURSIVE,
    "recursion.nested_recursion_in_helper": _RECURSIVE,
    "recursion.nested_recursion_in_loop": _RECURSIVE,
    "structures.cumulative_fill": "an in-place write made by the gradient called, at second order",
}
# what the refusal of each reason says (so a function refused for another reason fails the test too)
SAID = {
    _RECURSIVE: "a third derivative of a recursive function",
    "np.tensordot's axes= computed from the differentiated value": "axes= of tensordot depends on what is",
    "an in-place write made by the gradient called, at second order": "in-place write into 'out'",
}
THIRD = [c for c in all_cases() if c.static is None]


@pytest.mark.parametrize("c", THIRD, ids=[c.name for c in THIRD])
def test_third_derivative_of_the_corpus(c, tmp_path):
    rng = np.random.default_rng(0)
    args = c.make_args(rng)
    i = c.wrt[0]
    if not _float_arg(args[i]):
        pytest.skip("the differentiated argument is not a float")
    params = ", ".join(f"a{k}" for k in range(len(args)))
    df = srcgrad.grad(c.fn, wrt=i)
    g = df(*args)
    v = rng.normal(size=np.shape(g))
    v = float(v) if np.ndim(g) == 0 else v
    h = _module_function(tmp_path, f"def h({params}):\n    return np.sum(DF({params}) * V)\n", DF=df, V=v).h
    try:
        dh = srcgrad.grad(h, wrt=i)
        g2 = dh(*args)
        w = rng.normal(size=np.shape(g2))
        w = float(w) if np.ndim(g2) == 0 else w
        k = _module_function(tmp_path, f"def k({params}):\n    return np.sum(DH({params}) * W)\n", DH=dh, W=w).k
        got = srcgrad.grad(k, wrt=i)(*args)
    except SrcgradError as err:  # a refusal names what is not supported; never a wrong number
        assert c.name in THIRD_REFUSED, f"{c.name} is refused at third order: {err}"
        assert SAID[THIRD_REFUSED[c.name]] in str(err), str(err)
        return
    assert c.name not in THIRD_REFUSED, f"{c.name} is differentiated three times now: take it off THIRD_REFUSED"
    assert np.shape(got) == np.shape(args[i])

    def along(x):
        a = list(args)
        a[i] = x
        return k(*a)

    u = rng.normal(size=np.shape(args[i]))
    u = float(u) if isinstance(args[i], float) else u
    numeric = _fd(along, args[i], u)
    assert np.isclose(np.sum(got * u), numeric, rtol=1e-4, atol=1e-5 * (1 + abs(numeric)))

    if c.dynamic is not None:
        return
    expected = dynamic_derivative(c.fn, args, i, [v, w])
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)
