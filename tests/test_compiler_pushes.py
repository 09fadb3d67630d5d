"""What the generated gradient saves: a value is pushed only when the adjoint sweep reads it after its pop.

Each function is checked two ways: properties of its generated source (how many pushes, no popped value
left unread before it is overwritten) and its gradient against central finite differences, in both
optimize settings, so that saving less never changes a number.
"""

import ast
import sys
from pathlib import Path

import numpy as np
import pytest

import srcgrad

sys.path.insert(0, str(Path(__file__).parent))
from corpus import all_cases  # noqa: E402
from corpus.harness import fd_grad as numeric_grad  # noqa: E402


def check(f, *args, wrt=0):
    """The gradient in both optimize settings agrees with finite differences; returns the optimized source."""
    expected = numeric_grad(f, args, wrt)
    for optimize in (True, False):
        got = srcgrad.grad(f, wrt=wrt, optimize=optimize)(*args)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
    return srcgrad.grad(f, wrt=wrt).source_for(*args)


def _calls(src, name):
    return sum(
        1
        for n in ast.walk(ast.parse(src))
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == name
    )


def pushes(src):
    return _calls(src, "push")


def _loads(node):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _binds(stmt):
    if isinstance(stmt, ast.Assign):
        return {
            n.id
            for t in stmt.targets
            for n in ast.walk(t)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and (t is n or isinstance(t, ast.Tuple))
        }
    return set()


def unread_pops(src):
    """Names restored by ``pop()`` that no statement can read before they are rebound (or the function returns).

    After each ``v = pop()`` the statements that may run next are followed (the rest of the block, a loop's
    body again, what follows the loop or branch); a statement that reads ``v`` anywhere inside it counts as a
    read, a plain assignment to ``v`` as the end of the value.
    """
    fdef = ast.parse(src).body[0]
    unread = []

    def read_first(name, conts):
        seen = set()
        for block, start, chain in conts:
            for st in block[start:]:
                if name in _loads(st):
                    return True
                if name in _binds(st):
                    break
            else:
                continue
            return False
        return False

    def visit(block, chain):
        # chain: the continuations after this block ends, outermost last: [(block, start, None), ...]
        for k, st in enumerate(block):
            after = [(block, k + 1, None)] + chain
            if (
                isinstance(st, ast.Assign)
                and isinstance(st.value, ast.Call)
                and isinstance(st.value.func, ast.Name)
                and st.value.func.id == "pop"
            ):
                target = st.targets[0]
                names = _binds(st) if not isinstance(target, ast.Subscript) else {target.value.id}  # y[i] = pop()
                for name in names:
                    if not read_first(name, after):
                        unread.append(name)
            if isinstance(st, (ast.For, ast.While)):
                visit(st.body, [(st.body, 0, None)] + after)
            elif isinstance(st, ast.If):
                visit(st.body, after)
                visit(st.orelse, after)

    visit(fdef.body, [])
    return unread


# ---------------------------------------------------------------- values saved and never read


def augmented(x):
    y = x
    y *= x
    y += 1.0
    y /= 2.0
    y -= x
    y **= 2
    return y


def test_straight_line_rebinding_saves_only_what_a_rule_reads():
    src = check(augmented, 0.7)
    # y *= x and y **= 2 read the old y; y += 1.0, y /= 2.0 and y -= x do not
    assert pushes(src) == 2, src
    assert unread_pops(src) == [], src


def halving(x):
    y = x
    steps = 0
    while y > 0.1:
        y = y * 0.5 + 0.01 * np.sin(y)
        steps += 1
    return y * steps


def test_a_counter_read_only_at_the_end_is_not_saved():
    src = check(halving, 3.0)
    assert "push(steps)" not in src and "steps = pop()" not in src, src
    assert unread_pops(src) == [], src


def swap(x, y):
    a, b = x, y
    for _ in range(3):
        a, b = b, a * 0.5 + b
    return np.sum(a * b)


def test_a_swap_of_linear_updates_needs_no_stack():
    src = check(swap, np.array([0.3, -0.4]), np.array([1.1, 0.2]))
    assert pushes(src) == 0 and "stack" not in src, src


def nested(A):
    s = 0.0
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            s = s + A[i, j] * (i - j) * A[j % 3, i % 4]
    return s


def test_an_inner_loop_variable_is_not_saved_across_the_outer_loop():
    A = np.random.default_rng(1).normal(size=(3, 4))
    src = check(nested, A)
    assert "push(j)" not in src, src
    assert unread_pops(src) == [], src


def early(x):
    y = x
    while np.sum(y**2) > 0.1:
        y = 0.7 * y
        if np.max(np.abs(y)) < 0.2:
            return np.sum(y) * 10.0
    return np.sum(y)


@pytest.mark.parametrize("x", [np.array([0.5, -0.3, 0.4]), np.array([0.1, 0.1, 0.1])])
def test_a_return_inside_a_loop_saves_neither_flag_nor_the_value_a_linear_rule_scales(x):
    src = check(early, x)
    for name in ("returned", "y"):
        assert f"push({name})" not in src, src
    assert unread_pops(src) == [], src


def written_twice(x):
    y = np.zeros_like(x)
    y[::2] += x[::2] ** 2
    y[1:] += x[:-1]
    return np.sum(y * x)


def test_items_overwritten_in_place_are_not_saved_when_only_the_final_array_is_read():
    src = check(written_twice, np.array([0.5, -0.7, 0.9, 1.3]))
    assert pushes(src) == 0 and "stack" not in src, src


# ---------------------------------------------------------------- values saved and read


def newton(a):
    x = a
    for _ in range(8):
        x = 0.5 * (x + a / x)
    return x


def test_values_a_rule_reads_are_still_saved():
    src = check(newton, 2.0)
    assert pushes(src) == 2, src  # x (read by a / x) and a / x itself (its VJP reads ans)
    assert unread_pops(src) == [], src


def read_in_a_later_iteration(x):
    y = np.ones_like(x)
    for i in range(1, x.shape[0]):
        y[i] = y[i - 1] * x[i]
    return np.sum(y)


def test_items_read_by_a_later_iteration_are_restored():
    src = check(read_in_a_later_iteration, np.array([0.5, -0.7, 0.9, 1.3]))
    assert "y[i] = pop()" in src and unread_pops(src) == [], src


def read_after_the_branch(x):
    s = 0.0
    for i in range(x.shape[0]):
        t = x[i] * x[i]
        if x[i] > 0:
            t = np.sin(t)
        s = s + t * x[i]
    return s


def test_a_value_rebound_in_a_branch_is_restored_for_the_read_after_it():
    check(read_after_the_branch, np.array([0.5, -0.7, 0.9, 1.3]))


def rows_total(A):
    total = 0.0
    for row in A:
        total = total + np.sum(row**2) * np.max(row)
    return total


def test_a_row_of_a_loop_has_a_static_shape_so_nothing_is_unbroadcast_or_saved_for_its_shape():
    src = check(rows_total, np.random.default_rng(2).normal(size=(4, 3)))
    assert "unbroadcast" not in src and "push(total)" not in src, src
    assert "dtotal" not in src and "dout=1.0" in src, src  # the sum of numbers is known to be a number
    assert unread_pops(src) == [], src


def euler(y0, k):
    y = y0
    for _ in range(5):
        y = y + 0.1 * (-k * y + np.sin(y))
    return np.sum(y)


def test_the_adjoint_of_a_full_sum_is_the_number_spread_to_a_static_shape():
    src = check(euler, np.array([0.5, -0.2, 1.0]), 0.7)
    assert "dy = np.broadcast_to(dout, y0.shape)" in src and "unreduce" not in src, src


def sum_of_squares_in_loop(xs, W):
    s = 0.0
    for x in xs:
        s = s + np.sum((x @ W) ** 2)
    return s


def test_a_value_read_only_through_a_folded_sum_view_is_not_saved():
    rng = np.random.default_rng(3)
    src = check(sum_of_squares_in_loop, rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), wrt=1)
    assert "broadcast_to" not in src, src  # ds * 2 * t: the view of ds is folded into the product
    assert pushes(src) == 1 and unread_pops(src) == [], src


# ---------------------------------------------------------------- the whole corpus


@pytest.mark.parametrize("case", [c for c in all_cases() if c.static is None], ids=lambda c: c.name)
def test_no_corpus_gradient_pops_a_value_it_never_reads(case):
    args = case.make_args(np.random.default_rng(0))
    src = srcgrad.grad(case.fn, wrt=case.wrt).source_for(*args)
    assert unread_pops(src) == [], src
