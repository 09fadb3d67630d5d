"""Normalize, list moves: whether a name is dead after a statement, so that ``b = a`` of a list hands it on.

A second name for a list is refused (the compiler follows each list by one name, so a change made through one
name would not show through the other), except where the first name is never read again: then ``b = a`` moves
the list to ``b``, which is its only name from there on. Generated gradients hand lists on this way
(``ditems = dparts`` before ``dparts`` gets a new list), so this is what reading them again goes through.

Guarantees of ``dead_after(fdef, stmt, name)``: ``True`` only when, on every path from just after ``stmt`` to the
function's end (around loops too), ``name`` is given a new value before anything reads it; ``name`` must be a
local of ``fdef`` that no nested function or lambda mentions. Any doubt (a ``break`` or ``continue`` before the
new value, a statement it does not know) answers ``False``. A branch ``stmt`` sits in tells which way a later
``if`` on the same condition goes (``if cond:`` ... ``if cond:`` / ``if not cond:``, the forward and adjoint
sweeps of a generated gradient), where the condition is a name given its value once, outside any loop: only
that branch is followed.
"""

import ast

__all__ = ["dead_after"]

_READ, _WRITE, _JUMP = "read", "write", "jump"


def dead_after(fdef, stmt, name):
    """True when ``name``, a local of ``fdef``, is never read after ``stmt`` before it is given a new value.

    Args:
        fdef: the ``ast.FunctionDef`` being lowered (the user's function, an inlined helper, generated code).
        stmt: a statement of ``fdef``'s body (nested in branches and loops or not).
        name: the variable's name as ``fdef`` spells it.

    Returns:
        ``False`` when a read may follow, or when ``name`` is a parameter, is not assigned in ``fdef``, or is
        mentioned by a nested function or lambda.
    """
    if fdef is None or name in {a.arg for a in ast.walk(fdef.args) if isinstance(a, ast.arg)}:
        return False
    if not any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store) for n in ast.walk(fdef)):
        return False  # not a local of fdef: an enclosing function's
    for node in ast.walk(fdef):
        if isinstance(node, (ast.Lambda, ast.FunctionDef)) and node is not fdef:
            if any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node)):
                return False
        if isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
            return False
    path = _path_to(fdef, stmt)
    if path is None:
        return False
    known = _known_conditions(fdef, path)
    # from the innermost block out: the statements after stmt's ancestor in each block, and a loop's body again
    for parent, block, index in reversed(path):
        event = _sequence(block[index + 1 :], name, known)
        if event == _READ:
            return False
        if event == _WRITE:
            return True
        if isinstance(parent, (ast.For, ast.While)) and block is parent.body:
            if isinstance(parent, ast.While) and _reads(parent.test, name):
                return False
            if _sequence(parent.body, name, known) == _READ or _sequence(parent.orelse, name, known) == _READ:
                return False
        elif isinstance(parent, (ast.For, ast.While)) and block is parent.orelse:
            pass
        elif not isinstance(parent, (ast.If, ast.FunctionDef)):
            return False
    return True


def _path_to(fdef, stmt):
    """``[(parent, block, index)]`` from ``fdef`` down to ``stmt`` (``block[index] is stmt`` last), or ``None``."""

    def search(parent):
        for field in ("body", "orelse"):
            block = getattr(parent, field, None)
            if not isinstance(block, list):
                continue
            for index, child in enumerate(block):
                if child is stmt:
                    return [(parent, block, index)]
                if isinstance(child, (ast.If, ast.For, ast.While)):
                    below = search(child)
                    if below is not None:
                        return [(parent, block, index)] + below
        return None

    return search(fdef)


def _known_conditions(fdef, path):
    """``{condition: truth}`` of the ``if`` statements on ``path`` whose test is a name (or ``not`` a name)
    assigned once in ``fdef``, outside any loop, and read only as an ``if``'s test (so nothing changes it in
    place): it holds that value wherever the branch's code runs."""
    once = {}
    tests = {id(t) for n in ast.walk(fdef) if isinstance(n, ast.If) for t in (n.test, getattr(n.test, "operand", None))}
    for node in ast.walk(fdef):
        if isinstance(node, (ast.For, ast.While)):
            for n in ast.walk(node):  # assigned inside a loop: may differ from one iteration to the next
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                    once[n.id] = 2
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            once[node.id] = once.get(node.id, 0) + 1
        elif isinstance(node, ast.Name) and id(node) not in tests:
            once[node.id] = 2  # read otherwise (passed on, indexed, a method called)
    known = {}
    for parent, block, _ in path:
        if isinstance(parent, ast.If):
            test = _condition(parent.test)
            if test is not None and once.get(test[0]) == 1:
                known[test[0]] = (block is parent.body) != test[1]
    return known


def _condition(test):
    """``(name, negated)`` for a test ``name`` or ``not name``, else ``None``."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and isinstance(test.operand, ast.Name):
        return test.operand.id, True
    if isinstance(test, ast.Name):
        return test.id, False
    return None


def _reads(node, name):
    return any(isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Store) for n in ast.walk(node))


def _sequence(stmts, name, known=None):
    """What every path through ``stmts`` meets first: ``_READ`` (some path may read ``name``), ``_WRITE`` (every
    path gives it a new value first), or ``None`` (some path passes through, or jumps out, without either). A
    path that may jump out (``if c: continue``) goes on being read after it, but a new value given after it
    is not on every path. ``known``: conditions whose value is known (``_known_conditions``)."""
    jumped = False
    for s in stmts:
        event = _statement(s, name, known or {})
        if event == _READ:
            return _READ
        if event == _WRITE:
            return None if jumped else _WRITE
        if event == _JUMP:
            jumped = True
    return None


def _statement(s, name, known):
    if isinstance(s, ast.If):
        if _reads(s.test, name):
            return _READ
        test = _condition(s.test)
        if test is not None and test[0] in known:  # only the branch the condition takes
            taken = s.body if known[test[0]] != test[1] else s.orelse
            event = _sequence(taken, name, known)
            return event if event in (_READ, _WRITE) else (_JUMP if _jumps(s) else None)
        body, orelse = _sequence(s.body, name, known), _sequence(s.orelse, name, known)
        if _READ in (body, orelse):
            return _READ
        if body == orelse == _WRITE:
            return _WRITE
        return _JUMP if _jumps(s) else None
    if isinstance(s, (ast.For, ast.While)):
        head = s.iter if isinstance(s, ast.For) else s.test
        if _reads(head, name) or _sequence(s.body, name, known) == _READ or _sequence(s.orelse, name, known) == _READ:
            return _READ
        if isinstance(s, ast.For) and any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(s.target)):
            return _READ  # the loop variable itself: not followed
        return None
    if isinstance(s, (ast.Break, ast.Continue, ast.Return)):
        if isinstance(s, ast.Return) and s.value is not None and _reads(s.value, name):
            return _READ
        return _JUMP
    if _reads(s, name):
        return _READ
    if isinstance(s, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in s.targets):
        return _WRITE
    if isinstance(s, (ast.AnnAssign,)) and isinstance(s.target, ast.Name) and s.target.id == name and s.value:
        return _WRITE
    if isinstance(s, (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Pass, ast.Assert)):
        return None
    return _READ  # a statement this does not know: assume it reads


def _jumps(s):
    """True when ``s`` holds a ``break``, ``continue`` or ``return`` outside any loop nested in it."""
    stack = [s]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Break, ast.Continue, ast.Return)):
            return True
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.For, ast.While, ast.FunctionDef, ast.Lambda)):
                stack.append(child)
    return False
