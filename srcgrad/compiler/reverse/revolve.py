"""Reverse, the binomial schedule: checkpointed range loops that keep at most a given number of snapshots.

Guarantees (``Revolving``, a mixin of ``Reverse``; used by ``grad(checkpoint=n)`` with a number ``n``):

* a range loop ``Checkpointing`` would checkpoint holds at most ``n`` snapshots at a time (each what
  ``snapshot_parts`` says), placed by Griewank's binomial schedule (``runtime.revolve_marks``): its forward sweep
  saves nothing and keeps them where the schedule says; ``while`` loops keep the square-root schedule (their trip
  count is known only at their end);
* its adjoint repeats, from the last step back: restore the newest snapshot (kept for later), and either run on
  from it keeping the snapshots the schedule places with the ones still free, or, when there are none to place,
  run the steps before the stretch's last again without saves, that last one with its saves, then its adjoint;
  memory is ``n`` snapshots and one step's saves, the price a number of runs of each step that grows like the
  ``r`` of ``C(n + r, n) >= T``.
"""

import ast

from ..ir import clone
from ..nodes import (
    assign as _assign,
    call as _call,
    name as _name,
)
from .checkpoint import clone_stmts


class Revolving:
    """Range loops checkpointed with at most ``self.checkpoint`` snapshots, on the binomial schedule."""

    def binomial(self):
        """Whether ``checkpoint`` asks for a number of snapshots (the binomial schedule) rather than ``True``."""
        return self.checkpoint is not True

    def marks_call(self, steps, free):
        """``revolve_marks(steps, free)``."""
        from ..runtime import revolve_marks

        return _call(self.ns.bind(revolve_marks, "revolve_marks"), steps, free)

    def binomial_forward(self, loop, body, defined):
        """The forward sweep: no saves, a snapshot (with the step's number) where ``revolve_marks`` says, the first
        before step 0. A loop that may ``break`` keeps, after it, only the steps it ran."""
        n = self.namer
        info = {
            "seq": n.fresh("steps"),
            "marks": n.fresh("marks"),
            "snapshots": n.fresh("snapshots"),
            "k": n.fresh("k"),
            "start": n.fresh("start"),
            "end": n.fresh("end"),
            "body": body,
            "parts": self.snapshot_parts(loop, exclude={loop.target}),
            "binomial": True,
        }
        info["logs"] = self.write_logs(info["parts"])
        self.checkpointed[id(loop)] = info
        out = self.undefined_parts(info["parts"], defined, info["logs"])
        out.append(_assign(info["seq"], clone(loop.iter)))
        length = _call(self.ns.bind(len, "len"), _name(info["seq"]))
        out.append(_assign(info["marks"], self.marks_call(length, ast.Constant(value=self.checkpoint - 1))))
        out.append(_assign(info["snapshots"], ast.List(elts=[], ctx=ast.Load())))
        k = info["k"]
        first_or_marked = ast.BoolOp(
            op=ast.Or(),
            values=[
                ast.Compare(left=_name(k), ops=[ast.Eq()], comparators=[ast.Constant(value=0)]),
                ast.Compare(left=_name(k), ops=[ast.In()], comparators=[_name(info["marks"])]),
            ],
        )
        snap = ast.If(test=first_or_marked, body=[self.keep_snapshot(info, _name(k))], orelse=[])
        return out + self.forward_without_saves(loop, info, snap, body)

    def keep_snapshot(self, info, position):
        """``snapshots.append((position, ...))``."""
        held = [position] + [self.snapshot_value(kind, v, info["logs"]) for kind, v in info["parts"]]
        return self.append_snapshot(info["snapshots"], held)

    def binomial_adjoint(self, loop, pre, code):
        """From the last step back: restore the newest snapshot; keep more where the schedule places them, or run
        the stretch's last step again with its saves and its adjoint (see the module docstring)."""
        info = self.checkpointed[id(loop)]
        seq, start, end, k, marks = info["seq"], info["start"], info["end"], info["k"], info["marks"]
        snapshots = info["snapshots"]
        length = _call(self.ns.bind(len, "len"), _name(seq))
        restore = self.restore_snapshot(snapshots, info["parts"], info["logs"], first=[start], keep=True)
        free = ast.BinOp(
            left=ast.Constant(value=self.checkpoint),
            op=ast.Sub(),
            right=_call(self.ns.bind(len, "len"), _name(snapshots)),
        )
        span = ast.BinOp(left=_name(end), op=ast.Sub(), right=_name(start))
        last_mark = ast.Subscript(value=_name(marks), slice=ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=1)))
        last_mark.ctx = ast.Load()

        def plus(a, b):
            return ast.BinOp(left=a, op=ast.Add(), right=b)

        def steps(lower, upper):
            return ast.Subscript(value=_name(seq), slice=ast.Slice(lower=lower, upper=upper), ctx=ast.Load())

        # run on to the last mark, keeping a snapshot at each
        marked = ast.If(
            test=ast.Compare(left=_name(k), ops=[ast.In()], comparators=[_name(marks)]),
            body=[self.keep_snapshot(info, plus(_name(start), _name(k)))],
            orelse=[],
        )
        run_on = ast.For(
            target=ast.Tuple(elts=[_name(k, True), _name(loop.target, True)], ctx=ast.Store()),
            iter=_call(self.ns.bind(enumerate, "enumerate"), steps(_name(start), plus(_name(start), clone(last_mark)))),
            body=[marked] + self.without_saves(clone_stmts(info["body"]), info["logs"]),
            orelse=[],
        )
        place = ast.If(
            test=_name(marks),
            body=[run_on, self.keep_snapshot(info, plus(_name(start), clone(last_mark))), ast.Continue()],
            orelse=[],
        )
        before_last = ast.BinOp(left=_name(end), op=ast.Sub(), right=ast.Constant(value=1))
        again = ast.For(
            target=_name(loop.target, True),
            iter=steps(_name(start), clone(before_last)),
            body=self.without_saves(clone_stmts(info["body"]), info["logs"]) or [ast.Pass()],
            orelse=[],
        )
        last = ast.For(
            target=_name(loop.target, True),
            iter=steps(clone(before_last), _name(end)),
            body=clone_stmts(info["body"]) or [ast.Pass()],
            orelse=[],
        )
        back = ast.For(
            target=_name(loop.target, True),
            iter=steps(clone(before_last), _name(end)),
            body=code or [ast.Pass()],
            orelse=[],
        )
        done = ast.If(
            test=ast.Compare(left=_name(end), ops=[ast.Eq()], comparators=[_name(start)]),
            body=[ast.Expr(value=_call(ast.Attribute(value=_name(snapshots), attr="pop", ctx=ast.Load())))],
            orelse=[],
        )
        body = restore + [
            _assign(marks, self.marks_call(span, free)),
            place,
            again,
            last,
            back,
            _assign(end, clone(before_last)),
            done,
        ]
        return pre + [_assign(end, length), ast.While(test=_name(snapshots), body=body, orelse=[])]
