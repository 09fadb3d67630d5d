"""Reverse, checkpointing: loops that keep snapshots and run again in the adjoint sweep.

Guarantees (``Checkpointing``, a mixin of ``Reverse``; used by ``grad(checkpoint=True)``):

* only a ``range`` loop outside other loops is checkpointed (inside a branch too), and only one without
  ``break``, appends, list writes or pops, writes in place, or inner loops that push trip counts
  (``checkpointable``); a list made in its body is never written, so a snapshot may hold it;
* its forward sweep saves nothing; it keeps a snapshot of the variables the loop assigns every
  ``isqrt(T) + 1`` iterations;
* its adjoint goes stretch by stretch from the last: the snapshot restored, the stretch run again with its
  saves, then the stretch's adjoint; memory is about sqrt(T) snapshots plus one stretch's saves.
"""

import ast
import copy
import math

from ..ir import (
    Append,
    Assign,
    For,
    ListPop,
    ListSet,
    While,
    clone,
    walk_stmts,
)
from ..nodes import (
    assign as _assign,
    call as _call,
    name as _name,
)
from .markers import Save, SaveGroup, SaveItems, is_marker


class Checkpointing:
    """Checkpointed loops: snapshots in the forward sweep, stretches run again."""

    def checkpointable(self, loop):
        """A loop whose iterations can be run again from a snapshot of the variables it assigns: a range loop
        without ``break``, lists it appends to, writes or pops, writes in place, or inner loops that save their
        trip counts (a list it makes, ``[a, b]``, is a new object each time and never written: a snapshot holds
        it as it is)."""
        if loop.has_break or loop.target in self.loop_target_shadowed.get(id(loop), ()):
            return False
        it = loop.iter
        if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and self.ns.values.get(it.func.id) is range):
            return False
        for st in walk_stmts(loop.body):
            if isinstance(st, (Append, ListSet, While)) or (isinstance(st, For) and st.has_break):
                return False
            if isinstance(st, Assign) and (id(st) in self.inplace_writes or isinstance(st.value, ListPop)):
                return False
        return True

    def checkpointed_forward(self, loop, body, defined):
        """The forward sweep of a checkpointed loop: no saves, a snapshot of what it assigns every ``every``
        iterations (``every`` about the square root of the trip count); ``adjoint_for`` runs each stretch again,
        saving as usual, right before its adjoint."""
        n = self.namer
        info = {
            "seq": n.fresh("steps"),
            "every": n.fresh("every"),
            "snapshots": n.fresh("snapshots"),
            "k": n.fresh("k"),
            "start": n.fresh("start"),
            "body": body,
        }
        carried = sorted({a.target for a in walk_stmts(loop.body) if isinstance(a, Assign)} - {loop.target})
        info["vars"] = carried
        self.checkpointed[id(loop)] = info
        out = [_assign(v, ast.Constant(value=None)) for v in carried if v not in defined]  # (snapshot-able)
        length = _call(self.ns.bind(len, "len"), _name(info["seq"]))
        out.append(_assign(info["seq"], clone(loop.iter)))
        out.append(
            _assign(
                info["every"],
                ast.BinOp(
                    left=_call(
                        ast.Attribute(value=_name(self.ns.bind(math, "math")), attr="isqrt", ctx=ast.Load()), length
                    ),
                    op=ast.Add(),
                    right=ast.Constant(value=1),
                ),
            )
        )
        out.append(_assign(info["snapshots"], ast.List(elts=[], ctx=ast.Load())))
        snap = ast.If(
            test=ast.Compare(
                left=ast.BinOp(left=_name(info["k"]), op=ast.Mod(), right=_name(info["every"])),
                ops=[ast.Eq()],
                comparators=[ast.Constant(value=0)],
            ),
            body=[
                ast.Expr(
                    value=_call(
                        ast.Attribute(value=_name(info["snapshots"]), attr="append", ctx=ast.Load()),
                        ast.Tuple(elts=[_name(v) for v in carried], ctx=ast.Load()),
                    )
                )
            ],
            orelse=[],
        )
        plain = _without_saves(clone_stmts(body))
        enum = _call(self.ns.bind(enumerate, "enumerate"), _name(info["seq"]))
        out.append(
            ast.For(
                target=ast.Tuple(elts=[_name(info["k"], True), _name(loop.target, True)], ctx=ast.Store()),
                iter=enum,
                body=[snap] + plain,
                orelse=[],
                lineno=loop.lineno,
            )
        )
        return out

    def checkpointed_adjoint(self, loop, pre, code):
        """Stretch by stretch from the last: restore its snapshot, run it again saving, then its adjoint."""
        info = self.checkpointed[id(loop)]
        seq, every, start = info["seq"], info["every"], info["start"]
        stretch = ast.Subscript(
            value=_name(seq),
            slice=ast.Slice(lower=_name(start), upper=ast.BinOp(left=_name(start), op=ast.Add(), right=_name(every))),
            ctx=ast.Load(),
        )
        length = _call(self.ns.bind(len, "len"), _name(seq))
        starts = _call(
            self.ns.bind(reversed, "reversed"),
            _call(self.ns.bind(range, "range"), ast.Constant(value=0), length, _name(every)),
        )
        carried = info["vars"]
        restore = ast.Assign(
            targets=[ast.Tuple(elts=[_name(v, True) for v in carried], ctx=ast.Store())],
            value=_call(ast.Attribute(value=_name(info["snapshots"]), attr="pop", ctx=ast.Load())),
            lineno=0,
        )
        again = ast.For(
            target=_name(loop.target, True), iter=stretch, body=clone_stmts(info["body"]) or [ast.Pass()], orelse=[]
        )
        back = ast.For(
            target=_name(loop.target, True),
            iter=_call(self.ns.bind(reversed, "reversed"), clone(stretch)),
            body=code or [ast.Pass()],
            orelse=[],
        )
        return pre + [ast.For(target=_name(start, True), iter=starts, body=[restore, again, back], orelse=[])]


def clone_stmts(stmts):
    """Deep copies of generated statements (markers included)."""
    return [copy.deepcopy(st) for st in stmts]


def _without_saves(stmts):
    """``stmts`` with every save marker dropped (a checkpointed loop's forward sweep saves nothing)."""
    out = []
    for st in stmts:
        if is_marker(st, Save) or is_marker(st, SaveGroup) or is_marker(st, SaveItems):
            continue
        for field in ("body", "orelse"):
            if isinstance(getattr(st, field, None), list):
                setattr(
                    st,
                    field,
                    _without_saves(getattr(st, field)) or [ast.Pass()]
                    if field == "body"
                    else _without_saves(getattr(st, field)),
                )
        out.append(st)
    return out
