"""Reverse, writes in place: which index writes run in place, and which adjoints a loop adds into in place.

Guarantees (``InPlace``, a mixin of ``Reverse``):

* ``y = index_update(y, idx, v)`` (``index_add``) runs as ``y[idx] = v`` (``+=``) only when ``idx`` is a
  basic index of numbers and slices, the rule's VJPs do not read the result, and ``y`` is not a list, a dict
  or an argument the caller owns; the items it overwrites are saved and put back element-wise;
* inside a loop, an array whose only adjoint contributions are reads ``x[idx]`` (and such writes) has its
  adjoint summed in place (``dx[idx] += g``; ``np.add.at`` for other indices), into a copy of its own;
* both read the rule table's VJPs to confirm their form (``index_update(g, idx, 0.0)``,
  ``index_add(np.zeros_like(x), idx, g)``), so a changed rule turns them off rather than making them wrong.
"""

import ast

import numpy as np

from ...rules.indexing import index_add, index_update
from .. import inline
from ..ir import (
    Append,
    Assign,
    Const,
    Copy,
    For,
    ListGet,
    ListSet,
    Prim,
    Var,
    walk_stmts,
)
from ..nodes import (
    nested_sequence,
    rule_reads,
)


class InPlace:
    """Index writes run in place, and adjoints summed in place inside loops."""

    def find_inplace_writes(self, fn):
        """``y = index_update(y, idx, v)`` / ``index_add`` statements safe to run as ``y[idx] = v`` in place.

        Safe when ``idx`` is a basic index of numbers and slices, the rule's VJPs
        do not read ``ans`` (they then see the old ``y``, restored element-wise
        first), and no other name for ``y``'s memory is read after the write
        (``aliasing`` refuses the program otherwise). A name for it that is not
        read after the write may remain: the adjoint sweep undoes each write in
        place, in reverse order, so every name for the array sees, at each point
        of the adjoint sweep, what it held at that point of the forward sweep.
        """
        out = set()
        scalar = self.act.scalar
        # a second name for another variable's array, or a piece of a call with several outputs: the VJP that
        # reads that array (np.linalg.inv's ans, svd's outputs) would see the write, which no restore of this
        # name undoes; such a write runs out of place
        shared = {
            st.target for st in walk_stmts(fn.body) if isinstance(st, Assign) and isinstance(st.value, (Copy, ListGet))
        }
        for st in walk_stmts(fn.body):
            if not (isinstance(st, Assign) and isinstance(st.value, Prim) and st.value.fn in (index_add, index_update)):
                continue
            if st.target in shared or (st.sharers and not st.inplace):
                # (another name may share y's memory and read it after a write the code makes out of place, as a
                # gradient's code read again does: y = index_update(y, i, v); in place, that name would see it)
                continue
            y, idx, item = st.value.args
            if not (
                isinstance(y, Var)
                and y.name == st.target
                and isinstance(idx, Const)
                and basic_index(idx.node, scalar)
                and not (isinstance(item, Var) and item.name == st.target)
            ):
                continue
            if (
                st.target in self.act.lists
                or st.target in self.act.dicts
                or (st.target in fn.params and st.target not in fn.owned_params)
            ):
                continue
            if rule_reads(st.value.rule, 3)[1]:
                continue
            out.add(id(st))
        return out

    def write_clears_in_place(self, value):
        """For ``y = index_update(y, idx, v)``: the constant the table's VJP of ``y`` writes at ``idx``
        (its rule is ``index_update(g, idx, 0.0)``), ``"keep"`` for ``index_add`` (its VJP of ``y`` is ``g``),
        or ``None`` when the rule has another form."""
        rule = value.rule
        vjp = rule.vjp_at(0) if hasattr(rule, "vjp_at") else rule.vjps[0]
        t = inline.template(vjp)
        if t is None or t.body or len(t.params) < 4:
            return None
        g, _, x, idx = t.params[:4]
        r = t.result
        if value.fn is index_add:
            return "keep" if isinstance(r, ast.Name) and r.id == g else None
        if (
            value.fn is index_update
            and isinstance(r, ast.Call)
            and isinstance(r.func, ast.Name)
            and vjp.__globals__.get(r.func.id) is index_update
            and len(r.args) == 3
            and not r.keywords
            and isinstance(r.args[0], ast.Name)
            and r.args[0].id == g
            and isinstance(r.args[1], ast.Name)
            and r.args[1].id == idx
            and isinstance(r.args[2], ast.Constant)
        ):
            return r.args[2].value
        return None

    def getitem_adds_at(self, value):
        """True when the table's getitem VJP is ``index_add(np.zeros_like(x), idx, g)`` (so += in place is it)."""
        rule = value.rule
        vjp = rule.vjp_at(0) if hasattr(rule, "vjp_at") else rule.vjps[0]
        t = inline.template(vjp)
        if t is None or t.body or len(t.params) < 4:
            return False
        g, _, x, idx = t.params[:4]
        r = t.result
        ok = (
            isinstance(r, ast.Call)
            and len(r.args) == 3
            and not r.keywords
            and isinstance(r.args[0], ast.Call)
            and len(r.args[0].args) == 1
            and isinstance(r.args[0].args[0], ast.Name)
            and r.args[0].args[0].id == x
            and isinstance(r.args[1], ast.Name)
            and r.args[1].id == idx
            and isinstance(r.args[2], ast.Name)
            and r.args[2].id == g
        )
        if not ok:
            return False
        glb = vjp.__globals__
        func = glb.get(r.func.id) if isinstance(r.func, ast.Name) else None
        zl = r.args[0].func
        zeros = (
            getattr(glb.get(zl.value.id), zl.attr, None)
            if isinstance(zl, ast.Attribute) and isinstance(zl.value, ast.Name)
            else None
        )
        return func is index_add and zeros is np.zeros_like

    def inplace_candidates(self, loop):
        """Arrays whose only adjoint contributions in ``loop`` are reads ``x[idx]``: their adjoint can be summed in place."""
        written = {
            id(a)
            for a in walk_stmts(loop.body)
            if id(a) in self.inplace_writes and self.write_clears_in_place(a.value) is not None
        }
        assigned = {a.target for a in walk_stmts(loop.body) if isinstance(a, Assign) and id(a) not in written}
        assigned |= {a.target for a in walk_stmts(loop.body) if isinstance(a, For)}
        assigned |= {a.lst for a in walk_stmts(loop.body) if isinstance(a, (Append, ListSet))}
        ok, bad = set(), set()
        # an item put into a list gets its adjoint from the list's: not a read x[idx]
        bad |= {
            a.item.name for a in walk_stmts(loop.body) if isinstance(a, (Append, ListSet)) and isinstance(a.item, Var)
        }
        for st in walk_stmts(loop.body):
            if not isinstance(st, Assign):
                continue
            from ..activity import diff_inputs

            for name in diff_inputs(st.value):
                value = st.value
                if (
                    id(st) in written
                    and name == st.target
                    and not (isinstance(value.args[2], Var) and value.args[2].name == name)
                ):
                    ok.add(name)  # an in-place index write into the array itself
                elif (
                    isinstance(value, Prim)
                    and value.style == "getitem"
                    and isinstance(value.args[0], Var)
                    and value.args[0].name == name
                    and not any(isinstance(a, Var) and a.name == name for a in value.args[1:])
                    and self.getitem_adds_at(value)
                ):
                    ok.add(name)
                else:
                    bad.add(name)
        return {
            v
            for v in ok - bad - assigned
            if v in self.act.active and v not in self.act.scalar and v not in self.act.lists and v not in self.act.dicts
        }


def basic_index(node, numbers):
    """An index numpy treats as basic (no element addressed twice): numbers, slices, tuples of them.

    A name counts only when it is known to hold a number (``numbers``): a name
    may hold a list or an array of indices, with repeats. A tuple inside the
    index tuple (``x[..., (0, 1, 0)]``) is a fancy index to numpy, which may repeat.
    """
    if nested_sequence(node):
        return False
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            if n.id not in numbers:
                return False
        elif isinstance(n, ast.Constant):
            if not (n.value is None or type(n.value) is int):
                return False
        elif not isinstance(n, (ast.Slice, ast.Tuple, ast.UnaryOp, ast.USub, ast.BinOp, ast.Add, ast.Sub, ast.Load)):
            return False
    return True
