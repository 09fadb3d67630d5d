"""A user function with ``*args``/``**kwargs`` parameters, called from a differentiated function, forwarding them.

The compiler binds ``*args`` to a tuple and ``**kwargs`` to a dict it keeps while compiling, so ``f(*args,
**kwargs)`` passes the very items the call gave; ``args = list(args)`` keeps the items the same way and
``args[k] = v`` (``k`` known while compiling: a number, a global or a closure variable) sets one. That is the
wrapper HIPS autograd's tests put around ``scipy.stats.multivariate_normal`` (``symmetrize_matrix_arg``). Each
gradient is judged by central finite differences, in static mode and on Tensors (dynamic mode); what the
compiler cannot follow is refused at the user's line.
"""

import numpy as np
import pytest

import srcgrad
from srcgrad import TransformError

RNG = np.random.default_rng(11)
A = RNG.normal(size=(3, 3))
B = RNG.normal(size=(3, 3))
C = RNG.normal(size=3)


def fd(f, args, i, eps=1e-6):
    """Central differences of ``f`` with respect to ``args[i]``."""
    x = np.array(args[i], dtype=float)
    out = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        for sign in (1, -1):
            moved = x.copy()
            moved[k] += sign * eps
            out[k] += sign * f(*args[:i], moved, *args[i + 1 :]) / (2 * eps)
    return out


def symmetrize_matrix_arg(fun, argnum):
    """HIPS autograd's test helper: ``fun`` with its argument ``argnum`` replaced by its symmetric part."""

    def T(X):
        return np.swapaxes(X, -1, -2) if np.ndim(X) > 1 else X

    def symmetrize(X):
        return 0.5 * (X + T(X))

    def symmetrized_fun(*args, **kwargs):
        args = list(args)
        args[argnum] = symmetrize(args[argnum])
        return fun(*args, **kwargs)

    return symmetrized_fun


def energy(x, w, c, scale=1.0, shift=0.0):
    return np.sum(np.sin(x @ w) * c) * scale + shift


SYM_FIRST = symmetrize_matrix_arg(energy, 0)
SYM_SECOND = symmetrize_matrix_arg(energy, 1)


def through_first(x, w, c):
    return SYM_FIRST(x, w, c, scale=2.0)


def through_second(x, w, c):
    return SYM_SECOND(x, w, c, shift=0.5)


def head_and_rest(*args):
    return energy(np.tanh(args[0]), *args[1:])


def calls_head_and_rest(x, w, c):
    return head_and_rest(x, w, c)


def forwards_keywords(x, w, **kwargs):
    return energy(x, w, **kwargs)


def calls_with_keywords(x, w, c):
    return forwards_keywords(x, w, c=c, scale=3.0)


def written_dict(x, w, c):
    return energy(x, w, **{"c": c, "shift": 1.5})


def counts_args(*args):
    return len(args) * energy(*args)


def calls_counts_args(x, w, c):
    return counts_args(x, w, c)


def sets_a_list_twice(x, w, c):
    items = list((x, w, c))
    items[0] = items[0] * 2.0
    items[-3] = np.cos(items[0])
    return energy(*items)


def item_set_in_a_loop(x, w, c):
    items = list((x, w, 2.0))
    for k in range(3):
        if k > 0:
            items[2] = c * items[2]
    return energy(*items)


CASES = [
    through_first,
    through_second,
    calls_head_and_rest,
    calls_with_keywords,
    written_dict,
    calls_counts_args,
    sets_a_list_twice,
    item_set_in_a_loop,
]


@pytest.mark.parametrize("f", CASES, ids=lambda f: f.__name__)
def test_static_matches_finite_differences(f):
    args = (A, B, C)
    grads = srcgrad.grad(f, wrt=(0, 1, 2))(*args)
    for i, g in enumerate(grads):
        np.testing.assert_allclose(g, fd(f, args, i), rtol=1e-6, atol=1e-8, err_msg=f"argument {i}")


@pytest.mark.parametrize("f", CASES, ids=lambda f: f.__name__)
def test_dynamic_matches_finite_differences(f):
    args = (A, B, C)
    ts = [srcgrad.tensor(a, requires_grad=True) for a in args]
    f(*ts).backward()
    for i, t in enumerate(ts):
        np.testing.assert_allclose(t.grad.numpy(), fd(f, args, i), rtol=1e-6, atol=1e-8, err_msg=f"argument {i}")


def test_static_second_order_through_the_wrapper():
    """grad of a function calling the compiled gradient of a wrapped function (HIPS's check_grads, order 2)."""
    dfirst = srcgrad.grad(through_first)

    def outer(x):
        return np.sum(dfirst(x, B, C) * B)

    np.testing.assert_allclose(srcgrad.grad(outer)(A), fd(outer, (A,), 0), rtol=1e-5, atol=1e-7)


def test_static_code_reads_the_items():
    """No tuple or dict object is made at run time: the items are passed one by one."""
    code = srcgrad.grad(through_first).source_for(A, B, C)
    statements = [line for line in code.splitlines() if not line.strip().startswith("#")]
    assert not any("list(" in line or "**" in line or "args =" in line for line in statements), code


# ---------------------------------------------------------------- refused at the user's line
def dict_from_outside(x, w, c):
    return energy(x, w, c, **KEYWORDS)


KEYWORDS = {"scale": 2.0}


def list_second_name(x, w, c):
    items = list((x, w, c))
    other = items
    items[0] = x * 2.0
    return energy(*other)


def index_unknown_here(x, w, c, k):
    items = list((x, w, c))
    items[k] = x * 2.0
    return energy(*items)


def write_into_args(*args):
    args[0] = args[0] * 2.0
    return energy(*args)


def calls_write_into_args(x, w, c):
    return write_into_args(x, w, c)


@pytest.mark.parametrize(
    "f, args, message",
    [
        (dict_from_outside, (A, B, C), "only where it\\s+knows the keys"),
        (list_second_name, (A, B, C), "a second name for a list kept while compiling"),
        (index_unknown_here, (A, B, C, 1), "at an index known while compiling"),
        (calls_write_into_args, (A, B, C), "holds a tuple, which cannot be changed"),
    ],
    ids=["**global dict", "second name", "index unknown", "write into *args"],
)
def test_refused_at_the_line(f, args, message):
    with pytest.raises(TransformError, match=message) as info:
        srcgrad.grad(f)(*args)
    assert info.value.filename == __file__


WHICH = 0


def sets_the_global_index(x, w, c):
    items = list((x, w))
    items[WHICH] = np.cos(items[WHICH])
    return energy(*items, c)


def test_static_index_from_a_global_follows_its_value():
    """The index is read while compiling; a new value of the global makes a new transformation."""
    global WHICH
    df = srcgrad.grad(sets_the_global_index, wrt=(0, 1))
    try:
        for which in (0, 1, 0):
            WHICH = which
            for i, g in enumerate(df(A, B, C)):
                np.testing.assert_allclose(g, fd(sets_the_global_index, (A, B, C), i), rtol=1e-6, atol=1e-8)
    finally:
        WHICH = 0
