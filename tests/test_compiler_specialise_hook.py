"""``__srcgrad_specialise__``: a function the compiler cannot follow on a container gives it code for the layout.

A ``flatten`` written as HIPS autograd's ``autograd.misc.flatten`` is (it walks a list of ``(W, b)`` tuples by
``isinstance``) carries a hook that, given the layout of the list the compiler keeps, returns a plain function
written for that layout, which the compiler reads in its place. Checked against central finite differences and
dynamic mode (which runs ``flatten`` itself); with no layout the hook is not asked, and the function's own code
is read (and refused at its line).
"""

import os
import sys
import tempfile

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import TransformError

ASKED = []


def leaves(value):
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in leaves(item)]
    return [value]


def flatten(value):
    """``(vector, unflatten)`` of nested lists and tuples of arrays."""
    parts = leaves(value)
    return np.concatenate([np.ravel(p) for p in parts]), None


def _written(layout):
    """A function with source for ``layout``: its arrays read by index, ravelled, joined."""
    ASKED.append(layout)
    reads = []

    def walk(lay, path):
        for k, item in enumerate(lay[1]):
            if item is None:
                reads.append(f"value{path}[{k}]")
            else:
                walk(item, f"{path}[{k}]")

    walk(layout, "")
    text = "import numpy as np\n\n\ndef flatten_for(value):\n"
    text += f"    return np.concatenate([{', '.join(f'np.ravel({r})' for r in reads)}]), None\n"
    folder = tempfile.mkdtemp(prefix="srcgrad-specialise-")
    path = os.path.join(folder, "flatten_for.py")
    with open(path, "w") as f:
        f.write(text)
    sys.path.insert(0, folder)
    try:
        import flatten_for as module
    finally:
        sys.path.remove(folder)
        sys.modules.pop("flatten_for", None)
    return module.flatten_for


flatten.__srcgrad_specialise__ = _written


def l2_and_fit(params, inputs):
    flat, _ = flatten(params)
    h = inputs
    for W, b in params:
        h = np.tanh(h @ W + b)
    return np.sum(h**2) + 0.1 * np.dot(flat, flat)


def net(sizes, seed=0):
    rs = np.random.RandomState(seed)
    return [(rs.randn(m, n), rs.randn(n)) for m, n in zip(sizes[:-1], sizes[1:])]


X = np.random.RandomState(3).randn(4, 3)


def test_the_written_code_is_read_against_fd_and_dynamic_mode():
    params = net([3, 4, 2])
    ASKED.clear()
    got = srcgrad.grad(l2_and_fit)(params, X)
    assert ASKED == [("tuple", (("tuple", (None, None)), ("tuple", (None, None))))]
    flat_got = [g for layer in got for g in layer]
    flat_params = [p for layer in params for p in layer]
    rs = np.random.RandomState(5)
    v = [rs.randn(*p.shape) for p in flat_params]
    h = 1e-6

    def at(step):
        moved = iter([p + step * d for p, d in zip(flat_params, v)])
        return l2_and_fit([(next(moved), next(moved)) for _ in params], X)

    expected = (at(h) - at(-h)) / (2 * h)
    assert sum(np.sum(g * d) for g, d in zip(flat_got, v)) == pytest.approx(expected, rel=1e-6)
    tensors = [srcgrad.tensor(p, requires_grad=True) for p in flat_params]
    out = l2_and_fit([(tensors[0], tensors[1]), (tensors[2], tensors[3])], srcgrad.tensor(X))
    for g, d in zip(flat_got, srcgrad.autograd.grad(out, tensors)):
        np.testing.assert_allclose(g, d.detach().numpy(), rtol=1e-10, atol=1e-12)


def flatten_of_an_array(x):
    flat, _ = flatten(x)
    return np.sum(flat**2)


def test_without_a_layout_the_function_itself_is_read_and_refused_at_its_line():
    ASKED.clear()
    with pytest.raises(TransformError) as info:
        srcgrad.grad(flatten_of_an_array)(np.ones(3))
    assert ASKED == []
    assert f"{__file__}, line {leaves.__code__.co_firstlineno + 2}" in str(info.value)
