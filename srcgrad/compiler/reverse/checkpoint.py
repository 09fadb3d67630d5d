"""Reverse, checkpointing: loops that keep snapshots and run again in the adjoint sweep.

Guarantees (``Checkpointing``, a mixin of ``Reverse``; used by ``grad(checkpoint=True)``):

* only a ``range`` or ``while`` loop outside other loops is checkpointed (inside a branch too), and only one
  without ``break``, appends, list writes or pops, writes in place, or inner loops that push trip counts
  (``checkpointable``, ``checkpointable_while``); a list made in its body is never written, so a snapshot may
  hold it;
* its forward sweep saves nothing; it keeps a snapshot of the variables the loop assigns every
  ``isqrt(T) + 1`` iterations of a range loop, and before iterations 0, 1, 4, 9, ... of a ``while`` loop (whose
  trip count ``T`` is known only at its end);
* its adjoint goes stretch by stretch from the last: the snapshot restored, the stretch run again with its
  saves, then the stretch's adjoint; memory is about sqrt(T) snapshots plus one stretch's saves."""

import ast
import copy
import math
import warnings

from ...errors import CheckpointWarning

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


_WARNED = {}  # the warnings registry: each loop's warning is shown once per process, as for a warning in code


class Checkpointing:
    """Checkpointed loops: snapshots in the forward sweep, stretches run again."""

    def checkpointable(self, loop):
        """Whether a range or ``while`` loop can run again from a snapshot (``not_checkpointable`` says why not)."""
        return self.not_checkpointable(loop) is None

    def not_checkpointable(self, loop):
        """Why ``loop`` cannot run again from a snapshot of the variables it assigns, as a phrase for the
        generated code's comment and ``CheckpointWarning`` ("it appends to the list out"), or ``None`` when it
        can: a ``range`` or ``while`` loop without ``break`` whose body ``body_replayable`` accepts."""
        if loop.has_break:
            return "a break or a return inside it"
        if isinstance(loop, For):
            it = loop.iter
            if not (
                isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and self.ns.values.get(it.func.id) is range
            ):
                return "it does not iterate over a range"
        return self.body_replayable(loop)

    def body_replayable(self, loop):
        """``None`` when ``loop``'s body can run again from a snapshot of the names it assigns (it appends to,
        writes or pops no list, writes no array in place, and holds no ``while`` or inner loop with ``break``),
        else why not (a list it makes, ``[a, b]``, is a new object each time and never written: a snapshot
        holds it as it is)."""
        for st in walk_stmts(loop.body):
            if isinstance(st, Append):
                return f"it appends to {self.shown_list(st.lst)}"
            if isinstance(st, ListSet):
                return f"it writes items of {self.shown_list(st.lst)}"
            if isinstance(st, While):
                return "a while loop inside it"
            if isinstance(st, For) and st.has_break:
                return "a loop with break inside it"
            if isinstance(st, Assign) and id(st) in self.inplace_writes:
                return f"it writes into the array {self.shown(st.target)} in place"
            if isinstance(st, Assign) and isinstance(st.value, ListPop):
                return f"it pops from {self.shown_list(st.value.lst.name)}"
        return None

    def shown(self, var):
        """``var`` as the user's code spells it."""
        return self.fn.display.get(var, var)

    def shown_list(self, var):
        """A list as the user's code names it, or what it is when the compiler made it (a comprehension's)."""
        if var in self.fn.display:
            return f"the list {self.fn.display[var]}"
        return "a list it builds (a comprehension, a generator or a tuple grown item by item)"

    def checkpoint_note(self, loop, why):
        """The comment at a loop at the top level of a ``checkpoint=True`` gradient: what was done with it."""
        if why is not None:
            self.stored_loops.append((loop.lineno, why))
            return f"not checkpointed ({why}): every iteration's values are stored"
        if isinstance(loop, While):
            return "checkpointed: snapshots before iterations 0, 1, 4, 9, ...; each stretch runs again in the adjoint"
        return "checkpointed: a snapshot every isqrt(T) + 1 iterations; each stretch runs again in the adjoint"

    def warn_stored_loops(self):
        """A ``CheckpointWarning`` at the user's file and line for each loop ``checkpoint=True`` left storing."""
        for lineno, why in self.stored_loops:
            warnings.warn_explicit(
                f"{self.fn.name}: the loop at line {lineno} is not checkpointed ({why}); "
                "every iteration's values are stored, as without checkpoint=True (the gradient is the same)",
                CheckpointWarning,
                self.fn.filename or "<unknown>",
                lineno,
                registry=_WARNED,
            )

    def checkpointed_while_forward(self, loop, counter, step, body, defined):
        """The forward sweep of a checkpointed ``while`` loop, whose trip count is not known before it runs: no
        saves, a snapshot (with the iteration's number) before iterations 0, 1, 4, 9, ..., j * j: about
        sqrt(T) snapshots, stretches of at most 2 sqrt(T) + 1 iterations."""
        n = self.namer
        info = {
            "snapshots": n.fresh("snapshots"),
            "next": n.fresh("next_snapshot"),
            "j": n.fresh("j"),
            "end": n.fresh("end"),
            "start": n.fresh("start"),
            "counter": counter,
            "body": body,
        }
        carried = sorted({a.target for a in walk_stmts(loop.body) if isinstance(a, Assign)})
        info["vars"] = carried
        self.checkpointed[id(loop)] = info
        out = [_assign(v, ast.Constant(value=None)) for v in carried if v not in defined]  # (snapshot-able)
        out.append(_assign(info["snapshots"], ast.List(elts=[], ctx=ast.Load())))
        out.append(_assign(info["next"], ast.Constant(value=0)))
        out.append(_assign(info["j"], ast.Constant(value=0)))
        snap = ast.If(
            test=ast.Compare(left=_name(counter), ops=[ast.Eq()], comparators=[_name(info["next"])]),
            body=[
                ast.Expr(
                    value=_call(
                        ast.Attribute(value=_name(info["snapshots"]), attr="append", ctx=ast.Load()),
                        ast.Tuple(elts=[_name(counter)] + [_name(v) for v in carried], ctx=ast.Load()),
                    )
                ),
                ast.AugAssign(target=_name(info["j"], True), op=ast.Add(), value=ast.Constant(value=1)),
                _assign(info["next"], ast.BinOp(left=_name(info["j"]), op=ast.Mult(), right=_name(info["j"]))),
            ],
            orelse=[],
        )
        plain = _without_saves(clone_stmts(body))
        out.append(ast.While(test=clone(loop.test), body=[snap, step] + plain, orelse=[], lineno=loop.lineno))
        return out

    def checkpointed_while_adjoint(self, loop, pre, code):
        """Stretch by stretch from the last: restore its snapshot (and the number of its first iteration), run its
        iterations again saving (the test held for each), then their adjoints."""
        info = self.checkpointed[id(loop)]
        end, start = info["end"], info["start"]
        count = ast.BinOp(left=_name(end), op=ast.Sub(), right=_name(start))
        rng = self.ns.bind(range, "range")
        restore = ast.Assign(
            targets=[ast.Tuple(elts=[_name(v, True) for v in [start] + info["vars"]], ctx=ast.Store())],
            value=_call(ast.Attribute(value=_name(info["snapshots"]), attr="pop", ctx=ast.Load())),
            lineno=0,
        )
        again = ast.For(
            target=_name("_", True), iter=_call(rng, count), body=clone_stmts(info["body"]) or [ast.Pass()], orelse=[]
        )
        back = ast.For(target=_name("_", True), iter=_call(rng, clone(count)), body=code or [ast.Pass()], orelse=[])
        stretches = ast.While(
            test=_name(info["snapshots"]), body=[restore, again, back, _assign(end, _name(start))], orelse=[]
        )
        return pre + [_assign(end, _name(info["counter"])), stretches]

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
