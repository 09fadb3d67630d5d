"""Reverse, checkpointing: loops that keep snapshots and run again in the adjoint sweep.

Guarantees (``Checkpointing``, a mixin of ``Reverse``; used by ``grad(checkpoint=True)``):

* every ``range`` or ``while`` loop outside other loops (inside a branch too) is checkpointed, with ``break``
  or ``return`` in it, loops nested in it, appends, list item writes and pops, and writes in place; one that
  changes a list or array and also rebinds it (not before the first change), or draws random numbers, is not
  (``not_checkpointable`` says why: a comment at the loop and a ``CheckpointWarning`` at the user's file and
  line);
* its forward sweep saves nothing (an inner loop's trip count neither); it keeps a snapshot every
  ``isqrt(T) + 1`` iterations of a range loop, and before iterations 0, 1, 4, 9, ... of a ``while`` loop
  (whose trip count ``T`` is known only at its end), of what an iteration reads before assigning it, the
  length of each list it appends to, a copy of each list it writes items of, and the length of the log of
  items each array written in place had before (``snapshot_parts``);
* its adjoint goes stretch by stretch from the last: the snapshot restored (lists cut back or copied back,
  arrays' logged items put back, all in the same objects), the stretch run again with its saves, then the
  stretch's adjoint; memory is about sqrt(T) snapshots plus one stretch's saves (plus the lists the loop
  fills and the logs of overwritten items, as large as without checkpointing)."""

import ast
import copy
import dataclasses
import math
import warnings

from ...errors import CheckpointWarning

from ..ir import (
    Append,
    Assign,
    For,
    If,
    ListPop,
    ListSet,
    Var,
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
        """Why ``loop`` cannot run again from a snapshot, as a phrase for the generated code's comment and
        ``CheckpointWarning`` ("it both rebinds and changes the list out"), or ``None`` when it can: a ``while``
        loop, or a ``for`` loop over a ``range`` (``normalize`` writes a loop over an array, a list, ``zip`` or
        ``enumerate`` as one), whose body ``body_replayable`` accepts. A ``break`` (or ``return``) may end it."""
        if isinstance(loop, For):
            it = loop.iter
            if not (
                isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and self.ns.values.get(it.func.id) is range
            ):
                return "it does not iterate over a range"
        return self.body_replayable(loop)

    def body_replayable(self, loop):
        """``None`` when ``loop``'s body can run again from a snapshot (``snapshot_parts``), else why not: a random
        draw (``draws.py``: run again, it would draw other numbers), or a list or array the body changes (appends,
        writes, pops, writes in place) and also rebinds, but not before its first change (a snapshot would hold an
        object the body goes on changing)."""
        if any(isinstance(st, Assign) and getattr(st.value, "draws", False) for st in walk_stmts(loop.body)):
            return "it draws random numbers, which running it again would draw anew"
        made, changed = self.made_and_changed(loop)
        for var, st in changed.items():
            if var in made:
                continue
            if any(
                isinstance(o, Assign) and o.target == var and id(o) not in self.inplace_writes
                for o in walk_stmts(loop.body)
            ):
                if isinstance(st, Assign) and id(st) in self.inplace_writes:
                    return f"it both rebinds the array {self.shown(var)} and writes into it in place"
                return f"it both rebinds and changes {self.shown_list(var)}"
        return None

    def made_and_changed(self, loop):
        """The lists and arrays ``loop``'s body changes (``{name: the first statement that does}``), and those of
        them it makes afresh first, by an assignment at the top of the body before any change (a snapshot holds
        such a one as any other value: the body never changes the object of an earlier iteration)."""
        changed = {}
        for st in walk_stmts(loop.body):
            var = _changed_by(st, self.inplace_writes)
            if var is not None:
                changed.setdefault(var, st)
        made, seen = set(), set()
        for top in loop.body:
            if isinstance(top, Assign) and id(top) not in self.inplace_writes and top.target not in seen:
                made.add(top.target)
            seen |= {v for v in map(lambda st: _changed_by(st, self.inplace_writes), walk_stmts([top])) if v}
        return made & set(changed), changed

    def snapshot_parts(self, loop, exclude=()):
        """What a snapshot of ``loop`` holds, as ``(kind, variable)``: ``name`` for a variable the body rebinds
        (the value itself: it is never changed in place after), ``length`` for a list it only appends to (the
        list is cut back to it), ``list`` for a list whose items it writes or pops (a shallow copy: its items are
        never changed in place), ``array`` for an array it writes into in place (the length of its log of the
        items it overwrote: ``undo_writes`` takes the stretch's writes back)."""
        made, changed = self.made_and_changed(loop)
        body = list(walk_stmts(loop.body))
        kinds = {}
        for st in body:
            var = _changed_by(st, self.inplace_writes)
            if var is None or var in made:
                continue
            kind = (
                "length"
                if isinstance(st, Append)
                else "list"
                if not isinstance(st, Assign) or isinstance(st.value, ListPop)
                else "array"
            )
            if kinds.get(var) in (None, "length"):
                kinds[var] = kind
        needed = self.live_into(loop) | self.seen_before.get(id(loop), set())
        names = sorted({st.target for st in body if isinstance(st, Assign)} & needed - set(kinds) - set(exclude))
        order = {"length": 1, "list": 2, "array": 3}
        return [("name", v) for v in names] + sorted(
            ((k, v) for v, k in kinds.items()), key=lambda p: (order[p[0]], p[1])
        )

    def live_into(self, loop):
        """The names an iteration of ``loop`` may read before it assigns them (the ``while`` test's too): with
        those the compiler may have assigned before the loop, what a snapshot must hold; a value the body makes
        afresh each iteration before reading it (a temporary) is not kept."""
        exposed = _names_in(loop.test) if isinstance(loop, While) else set()
        return exposed | self.read_before_made(loop.body, set())

    def read_before_made(self, stmts, made):
        """The names ``stmts`` may read before they assign them, given the names ``made`` already (updated with
        those every path through ``stmts`` assigns); a branch or a loop assigns nothing for what follows it
        unless both branches do (a loop may run no iteration)."""
        exposed = set()
        for st in stmts:
            if isinstance(st, Assign):
                exposed |= _names_in(st.value) - made
                if id(st) not in self.inplace_writes:
                    made.add(st.target)
            elif isinstance(st, If):
                exposed |= {st.cond} - made
                body, orelse = set(made), set(made)
                exposed |= self.read_before_made(st.body, body) | self.read_before_made(st.orelse, orelse)
                made |= body & orelse
            elif isinstance(st, (For, While)):
                exposed |= _names_in(st.iter if isinstance(st, For) else st.test) - made
                inner = set(made) | ({st.target} if isinstance(st, For) else set())
                exposed |= self.read_before_made(st.body, inner)
            else:
                exposed |= _names_in(st) - made
        return exposed

    def snapshot_value(self, kind, var, logs):
        """The expression a snapshot keeps for one part (``snapshot_parts``); ``logs``: each array's log of
        overwritten items."""
        if kind == "name":
            return _name(var)
        if kind == "list":
            return _call(self.ns.bind(list, "list"), _name(var))
        return _call(self.ns.bind(len, "len"), _name(logs[var] if kind == "array" else var))

    def restore_snapshot(self, snapshots, parts, logs, first=(), keep=False):
        """``first + parts = snapshots.pop()`` (``snapshots[-1]`` with ``keep``) and what puts the lists and
        arrays back as they were at the snapshot, in the same objects (other names for them see it too): a list
        cut back to its length, a copy copied back into its list, an array's writes since then taken back
        (``undo_writes``)."""
        targets, after = [_name(v, True) for v in first], []
        for kind, var in parts:
            if kind == "name":
                targets.append(_name(var, True))
                continue
            held = self.namer.fresh(var + ("_before" if kind == "list" else "_length"))
            targets.append(_name(held, True))
            if kind == "array":
                after.append(self.undo_writes(var, logs[var], held))
                continue
            cut = ast.Slice(lower=_name(held)) if kind == "length" else ast.Slice()
            value = ast.List(elts=[], ctx=ast.Load()) if kind == "length" else _name(held)
            slot = ast.Subscript(value=_name(var), slice=cut, ctx=ast.Store())
            after.append(ast.Assign(targets=[slot], value=value, lineno=0))
        if keep:
            newest = ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=1))
            pop = ast.Subscript(value=_name(snapshots), slice=newest, ctx=ast.Load())
        else:
            pop = _call(ast.Attribute(value=_name(snapshots), attr="pop", ctx=ast.Load()))
        return [ast.Assign(targets=[ast.Tuple(elts=targets, ctx=ast.Store())], value=pop, lineno=0)] + after

    def undo_writes(self, var, log, length):
        """``while len(log) > length: index, old = log.pop(); var[index] = old``: the array as it was when its
        log was ``length`` long (the forward sweep logs each item before it overwrites it: as much memory as
        the saves without checkpoint, and no copy of the whole array)."""
        index, old = self.namer.fresh("index"), self.namer.fresh("old")
        more = ast.Compare(
            left=_call(self.ns.bind(len, "len"), _name(log)), ops=[ast.Gt()], comparators=[_name(length)]
        )
        pop = _call(ast.Attribute(value=_name(log), attr="pop", ctx=ast.Load()))
        body = [
            ast.Assign(
                targets=[ast.Tuple(elts=[_name(index, True), _name(old, True)], ctx=ast.Store())], value=pop, lineno=0
            ),
            ast.Assign(
                targets=[ast.Subscript(value=_name(var), slice=_name(index), ctx=ast.Store())],
                value=_name(old),
                lineno=0,
            ),
        ]
        return ast.While(test=more, body=body, orelse=[])

    def write_logs(self, parts):
        """``{array: the name of its log}`` for the arrays a checkpointed loop writes into in place."""
        return {var: self.namer.fresh(var + "_overwritten") for kind, var in parts if kind == "array"}

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
        if self.binomial():
            return f"checkpointed: at most {self.checkpoint} snapshots, placed by the binomial schedule (revolve)"
        return "checkpointed: a snapshot every isqrt(T) + 1 iterations; each stretch runs again in the adjoint"

    def warn_stored_loops(self):
        """A ``CheckpointWarning`` at the user's file and line for each loop ``checkpoint=True`` left storing."""
        for lineno, why in self.stored_loops:
            warnings.warn_explicit(
                f"{self.fn.name}: {self.loop_at(lineno)} is not checkpointed ({why}); "
                "every iteration's values are stored, as without checkpoint=True (the gradient is the same)",
                CheckpointWarning,
                self.fn.filename or "<unknown>",
                lineno,
                registry=_WARNED,
            )

    def loop_at(self, lineno):
        """ "the loop at line N", or "a loop in the function called at line N" when the line holds no loop (the
        compiler read the called function's body into this one, at the line of the call)."""
        lines = self.fn.lines
        text = lines[lineno - 1].strip() if 0 < lineno <= len(lines) else ""
        words = text.replace("(", " ").replace("[", " ").split()
        if "for" in words or "while" in words or not text:
            return f"the loop at line {lineno}"
        return f"a loop in the function called at line {lineno}"

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
            "parts": self.snapshot_parts(loop),
        }
        info["logs"] = self.write_logs(info["parts"])
        self.checkpointed[id(loop)] = info
        out = self.undefined_parts(info["parts"], defined, info["logs"])
        out.append(_assign(info["snapshots"], ast.List(elts=[], ctx=ast.Load())))
        out.append(_assign(info["next"], ast.Constant(value=0)))
        out.append(_assign(info["j"], ast.Constant(value=0)))
        held = [_name(counter)] + [self.snapshot_value(k, v, info["logs"]) for k, v in info["parts"]]
        snap = ast.If(
            test=ast.Compare(left=_name(counter), ops=[ast.Eq()], comparators=[_name(info["next"])]),
            body=[
                self.append_snapshot(info["snapshots"], held),
                ast.AugAssign(target=_name(info["j"], True), op=ast.Add(), value=ast.Constant(value=1)),
                _assign(info["next"], ast.BinOp(left=_name(info["j"]), op=ast.Mult(), right=_name(info["j"]))),
            ],
            orelse=[],
        )
        plain = self.without_saves(clone_stmts(body), info["logs"])
        out.append(ast.While(test=clone(loop.test), body=[snap, step] + plain, orelse=[], lineno=loop.lineno))
        return out

    def checkpointed_while_adjoint(self, loop, pre, code):
        """Stretch by stretch from the last: restore its snapshot (and the number of its first iteration), run its
        iterations again saving (the test held for each; a ``break`` ends the last one where it ended before),
        then their adjoints."""
        info = self.checkpointed[id(loop)]
        end, start = info["end"], info["start"]
        count = ast.BinOp(left=_name(end), op=ast.Sub(), right=_name(start))
        rng = self.ns.bind(range, "range")
        restore = self.restore_snapshot(info["snapshots"], info["parts"], info["logs"], first=[start])
        again = ast.For(
            target=_name("_", True), iter=_call(rng, count), body=clone_stmts(info["body"]) or [ast.Pass()], orelse=[]
        )
        back = ast.For(target=_name("_", True), iter=_call(rng, clone(count)), body=code or [ast.Pass()], orelse=[])
        stretches = ast.While(
            test=_name(info["snapshots"]), body=restore + [again, back, _assign(end, _name(start))], orelse=[]
        )
        return pre + [_assign(end, _name(info["counter"])), stretches]

    def undefined_parts(self, parts, defined, logs):
        """``v = None`` for each variable a snapshot holds that may not exist before the loop; an empty log for
        each array written in place."""
        out = [_assign(v, ast.Constant(value=None)) for kind, v in parts if kind == "name" and v not in defined]
        return out + [_assign(log, ast.List(elts=[], ctx=ast.Load())) for log in logs.values()]

    def append_snapshot(self, snapshots, held):
        """``snapshots.append((...))``."""
        append = ast.Attribute(value=_name(snapshots), attr="append", ctx=ast.Load())
        return ast.Expr(value=_call(append, ast.Tuple(elts=held, ctx=ast.Load())))

    def checkpointed_forward(self, loop, body, defined):
        """The forward sweep of a checkpointed loop: no saves, a snapshot of what it assigns every ``every``
        iterations (``every`` about the square root of the trip count); ``adjoint_for`` runs each stretch again,
        saving as usual, right before its adjoint. A loop that may ``break`` keeps, after it, only the steps it
        ran."""
        n = self.namer
        info = {
            "seq": n.fresh("steps"),
            "every": n.fresh("every"),
            "snapshots": n.fresh("snapshots"),
            "k": n.fresh("k"),
            "start": n.fresh("start"),
            "body": body,
            "parts": self.snapshot_parts(loop, exclude={loop.target}),
        }
        info["logs"] = self.write_logs(info["parts"])
        self.checkpointed[id(loop)] = info
        out = self.undefined_parts(info["parts"], defined, info["logs"])
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
                self.append_snapshot(
                    info["snapshots"], [self.snapshot_value(k, v, info["logs"]) for k, v in info["parts"]]
                )
            ],
            orelse=[],
        )
        return out + self.forward_without_saves(loop, info, snap, body)

    def forward_without_saves(self, loop, info, snap, body):
        """``for k, target in enumerate(steps): snap; body`` with the body's saves taken out; a loop that may
        ``break`` keeps, after it, only the steps it ran (``steps = steps[:counter]``)."""
        plain = self.without_saves(clone_stmts(body), info["logs"])
        enum = _call(self.ns.bind(enumerate, "enumerate"), _name(info["seq"]))
        out = [
            ast.For(
                target=ast.Tuple(elts=[_name(info["k"], True), _name(loop.target, True)], ctx=ast.Store()),
                iter=enum,
                body=[snap] + plain,
                orelse=[],
                lineno=loop.lineno,
            )
        ]
        if loop.has_break:
            ran = ast.Subscript(
                value=_name(info["seq"]), slice=ast.Slice(upper=_name(self.counter_for(loop))), ctx=ast.Load()
            )
            out.append(_assign(info["seq"], ran))
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
        restore = self.restore_snapshot(info["snapshots"], info["parts"], info["logs"])
        again = ast.For(
            target=_name(loop.target, True), iter=stretch, body=clone_stmts(info["body"]) or [ast.Pass()], orelse=[]
        )
        back = ast.For(
            target=_name(loop.target, True),
            iter=_call(self.ns.bind(reversed, "reversed"), clone(stretch)),
            body=code or [ast.Pass()],
            orelse=[],
        )
        return pre + [ast.For(target=_name(start, True), iter=starts, body=restore + [again, back], orelse=[])]

    def without_saves(self, stmts, logs):
        """``stmts`` with every save marker and every push of an inner loop's trip count dropped (a checkpointed
        loop's forward sweep saves nothing), but for an item an array in ``logs`` is about to overwrite: its
        index and a copy of it go on the array's log (``undo_writes``)."""
        counters = set(self._counters.values())
        out = []
        for st in stmts:
            if is_marker(st, SaveItems) and st.value.value.var in logs:
                m = st.value.value
                old = ast.Subscript(value=_name(m.var), slice=clone(m.index), ctx=ast.Load())
                entry = ast.Tuple(
                    elts=[
                        _index_value(m.index, self.ns.bind(slice, "slice")),
                        _call(ast.Attribute(value=_name(self.np), attr="copy", ctx=ast.Load()), old),
                    ],
                    ctx=ast.Load(),
                )
                append = ast.Attribute(value=_name(logs[m.var]), attr="append", ctx=ast.Load())
                out.append(ast.Expr(value=_call(append, entry)))
                continue
            if is_marker(st, Save) or is_marker(st, SaveGroup) or is_marker(st, SaveItems):
                continue
            if _pushes_a_count(st, counters):
                continue
            for field in ("body", "orelse"):
                if isinstance(getattr(st, field, None), list):
                    kept = self.without_saves(getattr(st, field), logs)
                    setattr(st, field, kept or [ast.Pass()] if field == "body" else kept)
            out.append(st)
        return out


def _index_value(node, slice_name):
    """An index as a value (``i``, ``(i, slice(1, None, None))``): a slice in a subscript becomes a ``slice``."""
    if isinstance(node, ast.Slice):
        parts = [clone(p) if p is not None else ast.Constant(value=None) for p in (node.lower, node.upper, node.step)]
        return _call(_name(slice_name), *parts)
    if isinstance(node, ast.Tuple):
        return ast.Tuple(elts=[_index_value(e, slice_name) for e in node.elts], ctx=ast.Load())
    return clone(node)


def _pushes_a_count(st, counters):
    """Whether ``st`` is ``push(n_iter)`` (or ``counts.append(n_iter)``) of a loop's trip count."""
    if not (isinstance(st, ast.Expr) and isinstance(st.value, ast.Call) and len(st.value.args) == 1):
        return False
    arg = st.value.args[0]
    return isinstance(arg, ast.Name) and arg.id in counters and not st.value.keywords


def _names_in(obj):
    """Every name an IR statement or value (and what it holds) may read: each ``Var``, each name in an ``ast``
    node, and each string field but the targets an assignment or loop binds (more names than it reads is safe:
    a snapshot then holds a value it did not need)."""
    if isinstance(obj, Var):
        return {obj.name}
    if isinstance(obj, str):
        return {obj}
    if isinstance(obj, ast.AST):
        return {n.id for n in ast.walk(obj) if isinstance(n, ast.Name)}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return set().union(*map(_names_in, obj)) if obj else set()
    if isinstance(obj, dict):
        return _names_in(list(obj.values()))
    if dataclasses.is_dataclass(obj):
        skip = {"target"} if isinstance(obj, (Assign, For)) else set()
        return _names_in([getattr(obj, f.name) for f in dataclasses.fields(obj) if f.name not in skip])
    return set()


def _changed_by(st, inplace_writes):
    """The list or array ``st`` changes without rebinding it (an append, an item write, a pop, a write in place),
    or ``None``."""
    if isinstance(st, (Append, ListSet)):
        return st.lst
    if isinstance(st, Assign) and isinstance(st.value, ListPop):
        return st.value.lst.name
    if isinstance(st, Assign) and id(st) in inplace_writes:
        return st.target
    return None


def clone_stmts(stmts):
    """Deep copies of generated statements (markers included)."""
    return [copy.deepcopy(st) for st in stmts]
