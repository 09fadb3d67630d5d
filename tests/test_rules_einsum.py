"""``np.einsum`` with random subscripts, checked against finite differences.

A seeded generator writes subscripts with every feature numpy's einsum has: an
ellipsis at the start, in the middle or at the end of a spec, ellipses of
different ranks broadcasting against each other (and against length-one axes),
labels broadcast from length one, repeated labels (diagonals, ``"ii"``,
``"ii->i"``), labels only one operand carries, the implicit output (no
``->``), and 0-d operands. Each case checks the rule (VJP and JVP of every
operand against central finite differences, and the dot-product test), and a
subset runs through both modes: ``srcgrad.grad`` of the function written out
with the subscripts as a literal, and Tensors with ``.backward()``.
"""

import string

import numpy as np
import pytest

import srcgrad
from corpus.harness import numeric_grad
from srcgrad.rules.einsum import einsum_args, einsum_labels
from test_rules import Case, check_rule

N_RULE = 300
N_MODES = 40


def random_einsum(rng):
    """``(subscripts, operand shapes)`` of a random valid einsum call."""
    pool = rng.choice(list("abcdeXY"), size=rng.integers(1, 6), replace=False)
    sizes = {c: int(rng.integers(1, 4)) for c in pool}
    width = int(rng.integers(0, 3)) if rng.random() < 0.6 else 0
    dots = [int(rng.integers(1, 4)) for _ in range(width)]
    specs, shapes = [], []
    for _ in range(int(rng.integers(1, 4))):
        labels = list(rng.choice(pool, size=rng.integers(0, 4)))  # repeats allowed: diagonals
        shape = [sizes[c] if rng.random() < 0.85 else 1 for c in labels]  # some broadcast from 1
        for k, c in enumerate(labels):  # a repeated label has one length in one operand
            shape[k] = shape[labels.index(c)]
        spec = "".join(labels)
        if width and rng.random() < 0.7:
            n = int(rng.integers(0, width + 1))  # ellipses of different ranks broadcast
            at = int(rng.integers(0, len(labels) + 1))
            ell = [d if rng.random() < 0.8 else 1 for d in dots[width - n :]]
            spec = spec[:at] + "..." + spec[at:]
            shape = shape[:at] + ell + shape[at:]
        specs.append(spec)
        shapes.append(tuple(shape))
    subscripts = ",".join(specs)
    if rng.random() < 0.6:  # explicit output: a random order of some labels, the ellipsis where it lands
        used = sorted({c for s in specs for c in s if c != "."})
        out = list(rng.permutation(used)[: rng.integers(0, len(used) + 1)]) if used else []
        if any("..." in s for s in specs):
            out.insert(int(rng.integers(0, len(out) + 1)), "...")
        subscripts += "->" + "".join(out)
    return subscripts, shapes


def _cases(n, seed):
    rng = np.random.default_rng(seed)
    found = []
    while len(found) < n:
        subscripts, shapes = random_einsum(rng)
        operands = tuple(rng.uniform(-1, 1, s) for s in shapes)
        try:
            np.einsum(subscripts, *operands)
        except ValueError:
            continue  # numpy refuses it (an ellipsis dropped by an explicit output, say)
        found.append((subscripts, operands))
    return found


RULE_CASES = _cases(N_RULE, 20240501)


def test_the_generator_covers_every_feature():
    subs = [s for s, _ in RULE_CASES]
    spec_parts = [p for s in subs for p in s.split("->")[0].split(",")]
    assert any("->" not in s for s in subs), "implicit output"
    assert any(p.startswith("...") for p in spec_parts)
    assert any(p.endswith("...") and len(p) > 3 for p in spec_parts)
    assert any("..." in p and not p.startswith("...") and not p.endswith("...") for p in spec_parts), "middle"
    assert any(len(set(p.replace(".", ""))) < len(p.replace(".", "")) for p in spec_parts), "repeated labels"
    ranks = {
        (s, tuple(op.ndim - len(p.replace(".", "")) for p, op in zip(s.split("->")[0].split(","), ops) if "..." in p))
        for s, ops in RULE_CASES
    }
    assert any(len(set(r)) > 1 for _, r in ranks), "ellipses of different ranks"
    assert any(1 in op.shape for _, ops in RULE_CASES for op in ops), "length-one axes"


@pytest.mark.parametrize("k", range(N_RULE))
def test_einsum_rule_matches_finite_differences(k):
    subscripts, operands = RULE_CASES[k]
    check_rule(
        Case(einsum_args, (subscripts,) + operands, {}, f"einsum {subscripts!r} {[op.shape for op in operands]}"),
        np.random.default_rng(k),
    )


@pytest.mark.parametrize(
    "subscripts, shapes",
    [
        ("j...k,lj...->lk...", [(2, 3, 4, 5), (6, 2, 3, 4)]),  # the ellipsis in the middle (issue 9)
        ("a...b,b...->a...", [(2, 1, 3), (3, 4, 5)]),  # ellipses of different ranks, one broadcast from 1
        ("ij,ij->ij", [(1, 3), (2, 3)]),  # a label broadcast from length 1
        ("i...i", [(3, 2, 3)]),  # implicit output, a diagonal around an ellipsis
        ("ij,jk", [(2, 3), (3, 4)]),
        ("ii", [(3, 3)]),
        ("ii->i", [(3, 3)]),
        ("...i,i...->...", [(2, 3), (3, 2)]),
        ("Ba,aB", [(2, 3), (3, 2)]),
    ],
)
def test_einsum_named_cases(subscripts, shapes):
    rng = np.random.default_rng(0)
    operands = tuple(rng.uniform(-1, 1, s) for s in shapes)
    check_rule(Case(einsum_args, (subscripts,) + operands, {}, subscripts), rng)


def test_einsum_labels_match_numpy():
    """The explicit labels describe numpy's result: the output shape is the one numpy gives."""
    for subscripts, operands in RULE_CASES:
        labels, output, sizes, _ = einsum_labels(subscripts, [op.shape for op in operands])
        assert tuple(sizes[c] for c in output) == np.einsum(subscripts, *operands).shape, subscripts


MODE_CASES = _cases(N_MODES, 777)


def _loss_source(subscripts, n):
    names = [string.ascii_lowercase[k] for k in range(n)]
    return (
        f"def loss({', '.join(names)}, w):\n"
        f"    return np.sum(np.sin(np.einsum({subscripts!r}, {', '.join(names)})) * w)\n"
    )


@pytest.mark.parametrize("k", range(N_MODES))
def test_einsum_in_both_modes(k):
    subscripts, operands = MODE_CASES[k]
    source = _loss_source(subscripts, len(operands))
    namespace = {"np": np}
    exec(compile(source, "<einsum>", "exec"), namespace)
    loss = namespace["loss"]
    w = np.random.default_rng(k).uniform(-1, 1, np.shape(np.einsum(subscripts, *operands)))
    args = operands + (w,)
    wrt = tuple(range(len(operands)))
    expected = numeric_grad(loss, args, wrt)
    static = srcgrad.grad(loss, wrt=wrt, source=source)(*args)
    tensors = [srcgrad.tensor(op, requires_grad=True) for op in operands]
    loss(*tensors, w).backward()
    for i in wrt:
        np.testing.assert_allclose(static[i], expected[i], rtol=1e-5, atol=1e-7, err_msg=f"static, {subscripts}")
        np.testing.assert_allclose(
            tensors[i].grad.numpy(), expected[i], rtol=1e-5, atol=1e-7, err_msg=f"dynamic, {subscripts}"
        )
