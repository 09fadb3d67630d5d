"""Third derivatives of recursive functions in static mode, forward over reverse over reverse: ``srcgrad.hvp``
and ``srcgrad.hessian`` of a function calling the gradient of a recursive function.

The gradient's gradient differentiates the recursive call by JVPs (``jvp_f``, and the JVP of ``f``'s generated
gradient); forward mode differentiates those calls again by their own code's JVP, which follows the recursion
when the code runs. Judged by central finite differences of the second derivative and by dynamic mode (Tensors,
``create_graph=True`` twice), never by the compiler itself. Reverse mode over those JVPs (``grad`` of the second
derivative) stays refused: ``tests/test_compiler_third_order_corpus.py`` checks its message.
"""

import numpy as np
import pytest

import srcgrad
from corpus import all_cases
from srcgrad.errors import SrcgradError
from test_compiler_higher import _fd, _float_arg, _module_function, dynamic_derivative

RECURSIVE = [c for c in all_cases() if c.theme == "recursion" or c.name == "calls.recursive_power"]
# refused at the line of h calling the gradient, with what the compiler cannot follow
REFUSED = {
    "recursion.recursive_in_loop": "a tuple rebuilt in a loop is given a value that depends on",
    "recursion.nested_recursion_in_loop": "a tuple rebuilt in a loop is given a value that depends on",
}


# quadratic in that argument (the polynomial's coefficients; a**3 * b + b**2 in b): the third derivative is zero
KNOWN_ZERO = {("recursion.horner_recursive", 0), ("recursion.recursive_on_scalars", 1)}
PAIRS = [(c, i) for c in RECURSIVE for i in c.wrt]


def test_the_recursive_corpus_is_all_here():
    assert len(RECURSIVE) == 13


@pytest.mark.parametrize("c, i", PAIRS, ids=[f"{c.name}-{i}" for c, i in PAIRS])
def test_hvp_of_a_function_calling_the_gradient(c, i, tmp_path):
    rng = np.random.default_rng(5)
    args = c.make_args(rng)
    if not _float_arg(args[i]):
        pytest.skip("the argument is not a float")
    params = ", ".join(f"a{k}" for k in range(len(args)))
    df = srcgrad.grad(c.fn, wrt=i)
    v = rng.normal(size=np.shape(df(*args)))
    v = float(v) if np.ndim(v) == 0 else v
    module = _module_function(tmp_path, f"def h({params}):\n    return np.sum(DF({params}) * V)\n", DF=df, V=v)
    w = rng.normal(size=np.shape(args[i]))
    w = float(w) if np.ndim(args[i]) == 0 else w
    try:
        got = srcgrad.hvp(module.h, wrt=i)(*args, w)
    except SrcgradError as err:
        assert c.name in REFUSED, f"{c.name}: {err}"
        assert REFUSED[c.name] in str(err), str(err)
        assert (err.filename, err.lineno) == (module.__file__, 5)
        return
    assert c.name not in REFUSED, f"{c.name} is differentiated now: take it off REFUSED"
    dh = srcgrad.grad(module.h, wrt=i)

    def along(x):
        a = list(args)
        a[i] = x
        return dh(*a)

    np.testing.assert_allclose(got, _fd(along, args[i], w), rtol=1e-5, atol=1e-7)
    # hvp of h = d/dx <w, grad h> = grad <w, grad <v, grad f>>: dynamic mode's third derivative, contracted
    np.testing.assert_allclose(got, dynamic_derivative(c.fn, args, i, [v, w]), rtol=1e-7, atol=1e-9)
    if (c.name, i) not in KNOWN_ZERO:
        assert np.any(np.abs(got) > 1e-6)  # a third derivative that is not zero


def test_hessian_of_a_function_calling_the_gradient(tmp_path):
    (c,) = [c for c in RECURSIVE if c.name == "recursion.horner_recursive"]
    coeffs, x = c.make_args(np.random.default_rng(1))
    v = np.array([0.5, -1.0, 2.0, 0.3])
    module = _module_function(tmp_path, "def h(c, x):\n    return np.sum(DF(c, x) * V)\n", DF=srcgrad.grad(c.fn), V=v)
    H = srcgrad.hessian(module.h)(coeffs, x)
    dh = srcgrad.grad(module.h)
    numeric = np.stack([_fd(lambda a: dh(a, x), coeffs, e) for e in np.eye(len(coeffs))], axis=1)
    np.testing.assert_allclose(H, numeric, rtol=1e-5, atol=1e-7)
    rows = [dynamic_derivative(c.fn, [coeffs, x], 0, [v, e]) for e in np.eye(len(coeffs))]
    np.testing.assert_allclose(H, np.stack(rows), rtol=1e-7, atol=1e-9)
