"""Normalize, control flow: branches, loops, jumps and returns in the shape the sweeps need.

Guarantees (``ControlFlow``, a mixin of ``Normalizer``):

* an ``if`` (also one made for a conditional expression or ``and``/``or``) tests a variable assigned just
  before it;
* every ``for`` loop is a ``range`` loop: loops over arrays, lists, tuples, ``enumerate`` and ``zip`` read their
  element with ``getitem`` (``ListGet`` for a list); a loop over a tuple written in place, or over a dict whose
  keys are known, is unrolled; ``for``/``while ... else`` is a flag set before each ``break``;
* ``return`` appears once, last; ``break``/``continue`` are the last statement of their branch (what followed
  them moved into the branch that falls through); a ``return`` inside a loop sets a flag and breaks; each loop
  knows whether it breaks (``has_break``);
* after a branch, a dict kept at compile time holds the keys that every path falling through set.
"""

import ast
import copy
import inspect
import operator
import types

from ..ir import (
    Assign,
    Break,
    Const,
    Continue,
    Copy,
    For,
    If,
    ListGet,
    NonDiff,
    Return,
    Var,
    While,
    clone,
    walk_stmts,
)
from .core import DictLiteral, StaticDict, local_names
from .inlining import Dependencies, ItemsSeen


def _backwards(node):
    """True for ``seq[::-1]``: the whole sequence read backwards."""
    if not (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice)):
        return False
    sl = node.slice
    step = sl.step
    minus_one = (
        isinstance(step, ast.UnaryOp)
        and isinstance(step.op, ast.USub)
        and isinstance(step.operand, ast.Constant)
        and step.operand.value == 1
    ) or (isinstance(step, ast.Constant) and step.value == -1)
    return sl.lower is None and sl.upper is None and minus_one


_COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le}


class _Exit:
    """Marker: jump to the end of the function (removed after jumps are lowered)."""


class ControlFlow:
    """Branches, loops, jumps and returns."""

    def stmt_If(self, s, ctx):
        taken = self.static_test(s.test, ctx)
        if taken is not None:  # a rule-table helper's test of indices known while compiling (j == i)
            branch = s.body if taken else s.orelse
            self.block(branch, ctx)
            return bool(branch) and isinstance(branch[-1], ast.Return)
        cond = self.temp("cond")
        self.assign(cond, self.nondiff(s.test, ctx), s, ctx)
        before = self.presence()
        body = self.sub_block(s.body, ctx)
        after_body = self.presence() if _falls(body) else None
        self.restore_presence(before)
        orelse = self.sub_block(s.orelse, ctx)
        after_else = self.presence() if _falls(orelse) else None
        self.join_presence(after_body, after_else)
        self.emit(If(cond, body, orelse, lineno=self.line(s, ctx)))

    def static_test(self, test, ctx):
        """``True``/``False`` for a comparison of two indices known while compiling (``static_int``), or for a
        test of a helper's parameter known to hold None (``if ax:``, ``ax is None``, ``ax is not None``), else
        ``None``."""
        if self.known_none:
            none = self.none_test(test, ctx)
            if none is not None:
                return none
        if not (self.known_ints and isinstance(test, ast.Compare) and len(test.ops) == 1):
            return None
        op = _COMPARE.get(type(test.ops[0]))
        a, b = self.static_int(test.left, ctx), self.static_int(test.comparators[0], ctx)
        return None if op is None or a is None or b is None else op(a, b)

    def none_test(self, test, ctx):
        """What ``test`` is when it reads a parameter known to hold None (``known_none``), else ``None``."""

        def is_none(node):
            return isinstance(node, ast.Name) and ctx.rename.get(node.id) in self.known_none

        if is_none(test):
            return False
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and is_none(test.operand):
            return True
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Is, ast.IsNot)):
            sides = (test.left, test.comparators[0])
            if any(is_none(n) for n in sides) and any(isinstance(n, ast.Constant) and n.value is None for n in sides):
                return isinstance(test.ops[0], ast.Is)
        return None

    def enter_body(self):
        """Start writing a branch or loop body (see ``block_path``)."""
        self.control_depth += 1
        self._blocks += 1
        self.block_path += (self._blocks,)

    def next_body(self):
        """Start writing the other branch at the same level."""
        self._blocks += 1
        self.block_path = self.block_path[:-1] + (self._blocks,)

    def leave_body(self):
        """Finish the body ``enter_body`` started."""
        self.control_depth -= 1
        self.block_path = self.block_path[:-1]

    def sub_block(self, stmts, ctx):
        saved, self.out = self.out, []
        self.enter_body()
        try:
            self.block(stmts, ctx)
            return self.out
        finally:
            self.out = saved
            self.leave_body()

    def loop_else(self, s, ctx):
        """``for/while ... else``: a flag set before each ``break`` of this loop; the else runs when it is not set."""
        flag = self.temp("broke")
        ctx.rename[flag] = flag

        class MarkBreaks(ast.NodeTransformer):
            def visit_Break(self, node):
                set_flag = ast.Assign(targets=[ast.Name(id=flag, ctx=ast.Store())], value=ast.Constant(value=True))
                return [ast.copy_location(set_flag, node), node]

            def visit_For(self, node):  # breaks of inner loops are theirs
                return node

            visit_While = visit_For

            def visit_FunctionDef(self, node):
                return node

        loop = copy.copy(s)
        loop.body = [MarkBreaks().visit(clone(b)) for b in s.body]
        flat = []
        for b in loop.body:
            flat.extend(b if isinstance(b, list) else [b])
        loop.body = flat
        loop.orelse = []
        init = ast.copy_location(
            ast.Assign(targets=[ast.Name(id=flag, ctx=ast.Store())], value=ast.Constant(value=False)), s
        )
        after = ast.copy_location(
            ast.If(test=ast.UnaryOp(op=ast.Not(), operand=ast.Name(id=flag, ctx=ast.Load())), body=s.orelse, orelse=[]),
            s,
        )
        for node in (init, after):
            for sub in ast.walk(node):
                if isinstance(sub, (ast.stmt, ast.expr)) and not hasattr(sub, "lineno"):
                    ast.copy_location(sub, s)
        self.stmt(init, ctx)
        self.stmt(loop, ctx)
        self.stmt(after, ctx)

    def stmt_While(self, s, ctx):
        if s.orelse:
            return self.loop_else(s, ctx)
        test = self.nondiff(s.test, ctx)
        before = self.presence()
        body = self.sub_block(s.body, ctx)
        self.restore_presence(before)  # the loop may run no iteration
        self.emit(While(test.node, body, lineno=self.line(s, ctx)))

    def range_expr(self, node, ctx):
        """True for ``range(...)`` or slices of it (``range(n)[:k]``, ``range(n)[:k][::-1]``): a range object."""
        while isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            node = node.value
        return isinstance(node, ast.Call) and self.static_value(node.func, ctx) is range

    def stmt_For(self, s, ctx):
        if s.orelse:
            return self.loop_else(s, ctx)
        if self.dict_loop(s, ctx) or self.function_loop(s, ctx) or self.generator_loop(s, ctx):
            return
        it = s.iter
        lineno = self.line(s, ctx)
        func = self.static_callee(it.func, ctx) if isinstance(it, ast.Call) else None
        if func is reversed and len(it.args) == 1 and not it.keywords and self.range_expr(it.args[0], ctx):
            # reversed(range(...)) (a generated adjoint loop, read again): the range backwards, itself a range;
            # reversed(r[::-1]) (the adjoint of an adjoint loop) is r again, not a range_iterator
            inner = it.args[0]
            if _backwards(inner):
                it = inner.value
            else:
                it = ast.copy_location(
                    ast.Subscript(
                        value=inner,
                        slice=ast.Slice(step=ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=1))),
                        ctx=ast.Load(),
                    ),
                    it,
                )
            func = range
        elif func is reversed and len(it.args) == 1 and not it.keywords:
            # reversed(seq) of an array or list: seq[::-1], read item by item as any sequence; of a tuple or list
            # written in place: its items backwards
            seq = it.args[0]
            if isinstance(seq, (ast.Tuple, ast.List)) and not any(isinstance(x, ast.Starred) for x in seq.elts):
                backwards = ast.Tuple(elts=list(reversed(seq.elts)), ctx=ast.Load())
            else:
                step = ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=1))
                backwards = ast.Subscript(value=seq, slice=ast.Slice(step=step), ctx=ast.Load())
            it = ast.copy_location(backwards, it)
            func = None
        elif isinstance(it, ast.Subscript) and self.range_expr(it, ctx):
            func = range  # range(...)[:k][::-1] (an adjoint loop, read again): a range
        if func is range:
            if not isinstance(s.target, ast.Name):
                raise ctx.error(s, "a range loop needs a single loop variable")
            target = self.local(s.target, ctx)
            rng = self.nondiff(it, ctx)
            before = self.presence()
            self.range_targets.append(target)
            body = self.sub_block(s.body, ctx)
            self.range_targets.pop()
            self.restore_presence(before)  # the loop may run no iteration
            if any(isinstance(st, Assign) and st.target == target for st in walk_stmts(body)):
                raise ctx.error(s, f"the loop variable '{s.target.id}' is assigned inside the loop")
            self.emit(For(target, rng.node, body, lineno=lineno))
            return
        if func is enumerate:
            if not (isinstance(s.target, ast.Tuple) and len(s.target.elts) == 2):
                raise ctx.error(s, "for i, x in enumerate(...) needs two loop variables")
            inner = it.args[0]
            if isinstance(inner, ast.Call) and self.static_callee(inner.func, ctx) is zip:
                # for i, (a, b) in enumerate(zip(A, B))
                seqs = [self.atom(self.value(a, ctx), s, ctx, "seq") for a in inner.args]
                items = s.target.elts[1]
                if not (isinstance(items, ast.Tuple) and len(items.elts) == len(seqs)):
                    raise ctx.error(s, "for i, (a, b) in enumerate(zip(A, B)) needs one name per sequence")
                index_target, item_targets = s.target.elts[0], items.elts
            else:
                seqs = [self.atom(self.value(inner, ctx), s, ctx, "seq")]
                index_target, item_targets = s.target.elts[0], [s.target.elts[1]]
        elif func is zip:
            if any(isinstance(a, ast.Starred) for a in it.args):  # zip(*seq): its items written out (spread.py)
                it, _ = self.spread(it, ctx)
            values = [self.value(a.value if isinstance(a, ast.Starred) else a, ctx) for a in it.args]
            seqs = [self.atom(v, s, ctx, "seq") for v in self.spread_values(values, it, ctx)]
            if not (isinstance(s.target, ast.Tuple) and len(s.target.elts) == len(seqs)):
                raise ctx.error(s, "for a, b in zip(...) needs one loop variable per sequence")
            index_target, item_targets = None, s.target.elts
        else:
            seqs = [self.atom(self.value(it, ctx), s, ctx, "seq")]
            index_target, item_targets = None, [s.target]
        if any(isinstance(q, (StaticDict, DictLiteral)) for q in seqs):
            raise ctx.error(
                s,
                "a loop over a dict inside zip is not supported; loop over the dict itself (for k in d, "
                "for k, v in d.items(), for v in d.values(), for i, k in enumerate(sorted(d)))",
            )
        if any(isinstance(q, tuple) for q in seqs):
            # A tuple written in place (or kept at compile time: a list of tuples): unroll the loop, one copy of
            # the body per element; inside enumerate or zip, as many as the shortest tuple has (the other
            # sequences are indexed by that constant), enumerate's count a constant.
            if any(isinstance(n, (ast.Break, ast.Continue)) for n in ast.walk(s)):
                raise ctx.error(s, "a loop over a tuple written in place cannot use break/continue; loop over a name")
            if index_target is not None and not isinstance(index_target, ast.Name):
                raise ctx.error(s, "the index of enumerate must be a single name")
            if index_target is not None and _stores_name(s.body, index_target.id):
                raise ctx.error(s, f"the loop variable '{index_target.id}' is assigned inside the loop")
            # Python reads the tuple once: items the body may change are copied first.
            stored = {
                ctx.rename.get(n.id)
                for b in s.body
                for n in ast.walk(b)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
            }

            def stage(item):
                if isinstance(item, tuple):
                    return tuple(stage(i) for i in item)
                if (
                    isinstance(item, Var)
                    and (item.name in stored or item.name in self.entry_vars)
                    and item.name not in self.lists
                ):
                    tmp = self.temp("t")
                    self.assign(tmp, Copy(item), s, ctx)
                    return Var(tmp)
                return item

            seqs = [tuple(stage(i) for i in q) if isinstance(q, tuple) else q for q in seqs]
            for k in range(min(len(q) for q in seqs if isinstance(q, tuple))):
                body = s.body
                if index_target is not None:
                    self.bind_target(index_target, Const(ast.Constant(value=k)), s, ctx)
                    body = [_put_constant(b, index_target.id, k) for b in body]
                for q, t in zip(seqs, item_targets):
                    at = Const(ast.Constant(value=k))
                    if isinstance(q, tuple):
                        item = q[k]
                    elif isinstance(q, Var) and q.name in self.lists:
                        item = ListGet(q, at)
                    else:
                        item = self.call_prim(operator.getitem, [q, at], {}, s, ctx, style="getitem")
                    self.bind_target(t, item, s, ctx)
                self.block(body, ctx)
            return
        if index_target is not None:
            if not isinstance(index_target, ast.Name):
                raise ctx.error(s, "the index of enumerate must be a single name")
            index = self.local(index_target, ctx)
        else:
            index = self.temp("i")
        lens = [
            ast.Call(
                func=ast.Name(id=self.ns.bind(len, "len"), ctx=ast.Load()),
                args=[copy.deepcopy(q.node) if isinstance(q, Const) else ast.Name(id=q.name, ctx=ast.Load())],
                keywords=[],
            )
            for q in seqs
        ]
        n = (
            lens[0]
            if len(lens) == 1
            else ast.Call(func=ast.Name(id=self.ns.bind(min, "min"), ctx=ast.Load()), args=lens, keywords=[])
        )
        rng = ast.Call(func=ast.Name(id=self.ns.bind(range, "range"), ctx=ast.Load()), args=[n], keywords=[])
        saved, self.out = self.out, []
        for q, t in zip(seqs, item_targets):
            if isinstance(q, Var) and q.name in self.lists:
                item = ListGet(q, Const(ast.Name(id=index, ctx=ast.Load())))
            else:
                item = self.call_prim(
                    operator.getitem, [q, Const(ast.Name(id=index, ctx=ast.Load()))], {}, s, ctx, style="getitem"
                )
            self.bind_target(t, item, s, ctx)
        before = self.presence()
        self.enter_body()
        self.block(s.body, ctx)
        self.leave_body()
        self.restore_presence(before)  # the loop may run no iteration
        body, self.out = self.out, saved
        for q in seqs:
            if isinstance(q, Var) and any(isinstance(st, Assign) and st.target == q.name for st in walk_stmts(body)):
                raise ctx.error(s, "the sequence a for loop runs over is reassigned inside the loop")
        self.emit(For(index, rng, body, lineno=lineno))

    def generator_loop(self, s, ctx):
        """``for x in gen(args)`` of a generator function (not one written inside the differentiated function): the
        generator inlined, the loop's body read at each of its ``yield`` statements (``Statements.yielded``).
        Returns False for any other loop.

        Raises:
            TransformError: at the loop, for a body with ``break``, ``continue`` or ``return`` (it would have to
                leave the generator's code).
        """
        it, target, count = s.iter, s.target, None
        if (
            self.plain_call(it, enumerate, ctx)
            and len(it.args) == 1
            and isinstance(target, (ast.Tuple, ast.List))
            and len(target.elts) == 2
            and isinstance(target.elts[0], ast.Name)
        ):
            it, (count, target) = it.args[0], target.elts  # for k, x in enumerate(gen(...)): k counts the yields
        if not isinstance(it, ast.Call) or not isinstance(it.func, (ast.Name, ast.Attribute)):
            return False
        fn = self.static_value(it.func, ctx)
        if not isinstance(fn, types.FunctionType) or not fn.__code__.co_flags & inspect.CO_GENERATOR:
            return False
        if _own_jumps(s.body) or any(isinstance(n, ast.Return) for b in s.body for n in _own_nodes(b)):
            raise ctx.error(
                s,
                f"a loop over the generator {fn.__qualname__} cannot use break, continue or return (srcgrad.grad "
                "reads the loop's body at each yield of the generator)",
            )
        counter = None
        if count is not None:
            if _stores_name(s.body, count.id):
                raise ctx.error(s, f"the loop variable '{count.id}' is assigned inside the loop")
            counter = self.temp("count")
            self.assign(counter, NonDiff(ast.Constant(value=0)), s, ctx)
        self.inline(fn, it, ctx, sink=(target, s.body, ctx, s, count, counter))
        return True

    def dict_loop(self, s, ctx):
        """``for k in d`` (``d.keys()``, ``d.values()``, ``d.items()``) over a dict whose keys are known here:
        a dict built in the function or a dict argument. Unrolled, one copy of the body per key in insertion
        order, ``k`` read as the key constant and ``v`` bound to ``d[k]`` at the start of its iteration (as
        Python's view reads it); ``sorted(d)`` runs over the keys in order, ``enumerate(...)`` of any of these
        binds its count as a constant too. Returns False for any other loop."""
        it, view, target, count_target, ordered = s.iter, "keys", s.target, None, False
        if self.plain_call(it, enumerate, ctx) and isinstance(target, (ast.Tuple, ast.List)) and len(target.elts) == 2:
            it, (count_target, target) = it.args[0], target.elts
            if not isinstance(count_target, ast.Name):
                return False
        by_key = False  # sorted(d.items(), key=operator.itemgetter(0)): the pairs in the keys' order
        if self.sorted_by_key(it, ctx):
            it, ordered, by_key = it.args[0], True, True
        elif self.plain_call(it, sorted, ctx):
            it, ordered = it.args[0], True
        if (
            isinstance(it, ast.Call)
            and isinstance(it.func, ast.Attribute)
            and it.func.attr in _DICT_VIEWS
            and not it.args
            and not it.keywords
        ):
            it, view = it.func.value, it.func.attr
        if not (isinstance(it, ast.Name) and it.id in ctx.rename and it.id not in ctx.local_funcs):
            return False
        name = ctx.rename[it.id]
        container = self.static.get(name)
        if isinstance(container, StaticDict):
            if container.present != set(container):
                raise ctx.error(
                    s,
                    f"a loop over '{it.id}', some of whose keys may be missing here (set only "
                    "inside a branch or loop above): set them before that branch or loop too",
                )
        elif container is None and name in self.dict_keys and name not in self.rebound:
            container = self.dict_keys[name]
        else:
            return False
        keys = written = list(container)
        if ordered:
            if view == "values" or (by_key and view != "items"):
                return False  # (sorted(d.items()) compares the keys only: they differ)
            try:
                keys = sorted(keys)
            except TypeError:
                raise ctx.error(s, f"sorted({it.id}): its keys cannot be compared (Python raises TypeError)") from None
        if _own_jumps(s.body):
            raise ctx.error(s, "a loop over a dict is unrolled over its keys, so it cannot use break or continue")
        if view == "items":
            if not (isinstance(target, (ast.Tuple, ast.List)) and len(target.elts) == 2):
                raise ctx.error(s, f"for k, v in {it.id}.items() needs two loop variables")
            key_target, value_target = target.elts
        elif view == "values":
            key_target, value_target = None, target
        else:
            key_target, value_target = target, None
        if key_target is not None and not isinstance(key_target, ast.Name):
            raise ctx.error(s, "the key of a loop over a dict must be a single name")
        body = s.body
        for t in (key_target, count_target):
            if t is not None and _stores_name(body, t.id):
                raise ctx.error(s, f"the loop variable '{t.id}' is assigned inside the loop")
        for count, key in enumerate(keys):
            body = s.body
            if count_target is not None:
                self.bind_target(count_target, Const(ast.Constant(value=count)), s, ctx)
                body = [_put_constant(b, count_target.id, count) for b in body]
            if key_target is not None:
                self.bind_target(key_target, Const(ast.Constant(value=key)), s, ctx)
                body = [_put_constant(b, key_target.id, key) for b in body]
            if value_target is not None:
                read = ast.copy_location(
                    ast.Subscript(
                        value=ast.Name(id=it.id, ctx=ast.Load()), slice=ast.Constant(value=key), ctx=ast.Load()
                    ),
                    it,
                )
                for sub in ast.walk(read):
                    ast.copy_location(sub, it)
                self.bind_target(value_target, self.value(read, ctx), s, ctx)
            self.block(body, ctx)
        if isinstance(container, StaticDict) and list(container) != written:
            raise ctx.error(
                s,
                f"the loop over '{it.id}' adds keys to it (Python raises RuntimeError: "
                "dictionary changed size during iteration)",
            )
        return True

    def function_loop(self, s, ctx):
        """``for f in fs`` over a list or tuple of functions known while compiling (a global, a closure value):
        unrolled, one copy of the body per function, ``f`` read as that function (inlined, or a derivative's
        code). Returns False for any other loop."""
        if not isinstance(s.target, ast.Name) or isinstance(s.iter, (ast.Call, ast.Subscript)):
            return False
        fs = self.static_value(s.iter, ctx)
        if type(fs) not in (list, tuple) or not fs or not all(callable(f) and not isinstance(f, type) for f in fs):
            return False
        if _own_jumps(s.body) or _stores_name(s.body, s.target.id):
            raise ctx.error(s, "a loop over functions is unrolled: no break/continue, no assignment to its variable")
        if type(fs) is list:  # the code holds these functions: made again when the list changes
            self.deps.append(Dependencies([("global", ItemsSeen(fs), "items", fs)]))
        for f in list(fs):
            name = self.renamed(s.target.id, self.namer.fresh(s.target.id))
            ctx.rename[s.target.id] = name
            self.static_args[name] = f  # read as that very function, as a function argument is
            self.block(s.body, ctx)
        return True

    def sorted_by_key(self, node, ctx):
        """True when ``node`` is ``sorted(x, key=operator.itemgetter(0))``."""
        if not (
            isinstance(node, ast.Call)
            and len(node.args) == 1
            and [k.arg for k in node.keywords] == ["key"]
            and self.static_value(node.func, ctx) is sorted
        ):
            return False
        key = node.keywords[0].value
        return (
            isinstance(key, ast.Call)
            and self.static_value(key.func, ctx) is operator.itemgetter
            and len(key.args) == 1
            and not key.keywords
            and isinstance(key.args[0], ast.Constant)
            and type(key.args[0].value) is int
            and key.args[0].value == 0
        )

    def plain_call(self, node, fn, ctx):
        """True when ``node`` is ``fn(x)`` (the builtin, one argument, no keywords)."""
        return (
            isinstance(node, ast.Call)
            and len(node.args) == 1
            and not node.keywords
            and not isinstance(node.args[0], ast.Starred)
            and self.static_value(node.func, ctx) is fn
        )

    def stmt_Break(self, s, ctx):
        self.emit(Break(lineno=self.line(s, ctx)))

    def stmt_Continue(self, s, ctx):
        self.emit(Continue(lineno=self.line(s, ctx)))

    def stmt_Return(self, s, ctx):
        if s.value is None:
            raise ctx.error(s, "a bare return: the differentiated function must return a value")
        if isinstance(s.value, ast.Constant) and (s.value.value is None or isinstance(s.value.value, (str, bytes))):
            raise ctx.error(
                s, f"return {s.value.value!r}: the differentiated function must return a number or a numeric array"
            )
        value = self.value(s.value, ctx)
        if not isinstance(value, tuple):
            fresh = not isinstance(value, (Var, Const))
            value = self.atom(value, s, ctx, "result")
            if fresh and isinstance(value, Var):
                self.return_temps.add(value.name)
        self.emit(Return(value, lineno=self.line(s, ctx)))

    def expr_BoolOp(self, e, ctx):
        # a and b -> t = a; if t: t = b   (the value of the last operand evaluated)
        result = self.temp("t")
        self.store(result, self.value(e.values[0], ctx), e, ctx)
        self.boolop_rest(result, e.op, e.values[1:], e, ctx)
        return Var(result)

    def boolop_rest(self, result, op, rest, e, ctx):
        if not rest:
            return
        cond = self.temp("cond")
        test = ast.Name(id=result, ctx=ast.Load())
        if isinstance(op, ast.Or):
            test = ast.UnaryOp(op=ast.Not(), operand=test)
        self.assign(cond, NonDiff(test, frozenset({result})), e, ctx)
        saved, self.out = self.out, []
        before = self.presence()
        self.enter_body()
        try:
            self.store(result, self.value(rest[0], ctx), e, ctx)
            self.boolop_rest(result, op, rest[1:], e, ctx)
        finally:
            self.leave_body()
        body, self.out = self.out, saved
        self.join_presence(self.presence(), before)
        self.emit(If(cond, body, [], lineno=self.line(e, ctx)))

    def expr_IfExp(self, e, ctx):
        for branch in (e.body, e.orelse):
            if isinstance(branch, ast.Dict) or (
                isinstance(branch, ast.Name) and isinstance(self.static.get(ctx.rename.get(branch.id)), StaticDict)
            ):
                raise ctx.error(e, "a conditional expression that chooses a dict is not supported; use an if statement")
        if self.shape_expression(e, ctx):  # (-1, 1) if np.ndim(x) < 2 else np.shape(x): a shape, chosen as it runs
            return self.nondiff(e, ctx)
        result = self.temp("t")
        cond = self.temp("cond")
        self.assign(cond, self.nondiff(e.test, ctx), e, ctx)
        saved, self.out = self.out, []
        before = self.presence()
        self.enter_body()
        try:
            self.store(result, self.value(e.body, ctx), e, ctx)
            body, self.out = self.out, []
            after_body = self.presence()
            self.restore_presence(before)
            self.next_body()
            self.store(result, self.value(e.orelse, ctx), e, ctx)
            orelse, self.out = self.out, saved
        finally:
            self.leave_body()
            self.out = saved
        self.join_presence(after_body, self.presence())
        self.emit(If(cond, body, orelse, lineno=self.line(e, ctx)))
        if result in self.static:  # a tuple chosen by the condition: its items' variables
            return self.view(self.static[result])
        return Var(result)

    def lower_returns(self, body, ctx, top):
        """Rewrite returns so the function has one exit; returns ``(body, result atom or tuple)``."""
        returns = [s for s in walk_stmts(body) if isinstance(s, Return)]
        if not returns:
            if top:
                raise ctx.error(ctx.parsed.node, "the function never returns a value")
            return body, Const(ast.Constant(value=None))
        if len(returns) == 1 and body and body[-1] is returns[0]:
            # One return, last: only break/continue need restructuring.
            state = {"flag": None, "rets": []}
            return _strip_exits(self._lower(body[:-1], state, in_loop=False)), returns[0].value

        def plain(v):
            return isinstance(v, (Var, Const)) or (isinstance(v, tuple) and all(isinstance(i, (Var, Const)) for i in v))

        if not all(plain(r.value) for r in returns):
            raise ctx.error(
                ctx.parsed.node,
                "a function that returns a dict, a nested tuple or a function from more "
                "than one place (or from inside a loop) is not supported",
            )
        arity = {len(r.value) if isinstance(r.value, tuple) else None for r in returns}
        if len(arity) != 1:
            raise ctx.error(ctx.parsed.node, "all returns of a function must return the same number of values")
        arity = arity.pop()
        base = "result" if top else "ret"
        temps = [r.value.name for r in returns if isinstance(r.value, Var) and r.value.name in self.return_temps]
        if arity is None and temps:
            rets = [temps[0]]  # a return's own temporary becomes the result variable
        else:
            rets = [self.namer.fresh(base)] if arity is None else [self.namer.fresh(base) for _ in range(arity)]
        state = {"flag": None, "rets": rets}
        lowered = self._lower(body, state, in_loop=False)
        lowered = _strip_exits(lowered)
        if state["flag"] is not None:
            lowered.insert(0, Assign(state["flag"], NonDiff(ast.Constant(value=False)), lineno=0))
        result = Var(rets[0]) if arity is None else tuple(Var(r) for r in rets)
        return lowered, result

    def _lower(self, block, state, in_loop):
        out = []
        for k, s in enumerate(block):
            rest = block[k + 1 :]
            if isinstance(s, Return):
                values = s.value if isinstance(s.value, tuple) else (s.value,)
                for r, v in zip(state["rets"], values):
                    if (
                        isinstance(v, Var)
                        and v.name in self.return_temps
                        and out
                        and isinstance(out[-1], Assign)
                        and out[-1].target == v.name
                    ):
                        last = out.pop()
                        out.append(Assign(r, last.value, lineno=last.lineno, bookkeeping=last.bookkeeping))
                    elif not (isinstance(v, Var) and v.name == r):
                        out.append(Assign(r, Copy(v) if isinstance(v, Var) else NonDiff(v.node), lineno=s.lineno))
                if in_loop:
                    if state["flag"] is None:
                        state["flag"] = self.namer.fresh("returned")
                    out.append(Assign(state["flag"], NonDiff(ast.Constant(value=True)), lineno=s.lineno))
                    out.append(Break(lineno=s.lineno))
                else:
                    out.append(_Exit())
                return out
            if isinstance(s, (Break, Continue, _Exit)):
                out.append(s)
                return out
            if isinstance(s, If):
                body = self._lower(s.body, state, in_loop)
                orelse = self._lower(s.orelse, state, in_loop)
                if rest and (_has_jump(body) or _has_jump(orelse)):
                    if _falls(body):
                        body = self._lower(copy.deepcopy(s.body) + copy.deepcopy(rest), state, in_loop)
                    if _falls(orelse):
                        orelse = self._lower(copy.deepcopy(s.orelse) + copy.deepcopy(rest), state, in_loop)
                    out.append(If(s.cond, body, orelse, lineno=s.lineno))
                    return out
                out.append(If(s.cond, body, orelse, lineno=s.lineno))
                continue
            if isinstance(s, (For, While)):
                had_return = any(isinstance(x, Return) for x in walk_stmts(s.body))
                loop = copy.copy(s)
                loop.body = self._lower_loop_body(s.body, state)
                out.append(loop)
                if had_return:
                    after = [Break(lineno=s.lineno)] if in_loop else [_Exit()]
                    out.append(If(state["flag"], after, self._lower(rest, state, in_loop), lineno=s.lineno))
                    return out
                continue
            out.append(s)
        return out

    def _lower_loop_body(self, body, state):
        return self._lower(body, state, in_loop=True)


_DICT_VIEWS = ("keys", "values", "items")


_SCOPES = (ast.FunctionDef, ast.Lambda, ast.ListComp, ast.GeneratorExp, ast.DictComp, ast.SetComp)


def _own_jumps(body):
    """True when ``body`` has a ``break`` or ``continue`` of the loop it is the body of."""
    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Break, ast.Continue)):
            return True
        if isinstance(node, (ast.For, ast.While)):
            stack.extend(node.orelse)  # an inner loop's else belongs to the outer loop's body
            continue
        if isinstance(node, _SCOPES):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return False


def _own_nodes(node):
    """``node`` and the nodes under it, not those of nested functions and comprehensions."""
    stack = [node]
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, _SCOPES):
            stack.extend(ast.iter_child_nodes(node))


def _binds(scope, name):
    """True when the nested function or comprehension ``scope`` has its own variable ``name``."""
    if isinstance(scope, (ast.FunctionDef, ast.Lambda)):
        if isinstance(scope, ast.Lambda):
            a = scope.args
            return name in [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs] + [
                p.arg for p in (a.vararg, a.kwarg) if p is not None
            ]
        return name in local_names(scope)
    return any(isinstance(n, ast.Name) and n.id == name for g in scope.generators for n in ast.walk(g.target))


def _stores_name(body, name):
    """True when ``body`` (not its nested functions or comprehensions) assigns ``name``."""
    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store):
            return True
        if isinstance(node, _SCOPES):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return False


def _put_constant(stmt, name, value):
    """A copy of ``stmt`` in which each read of ``name`` is the constant ``value`` (not inside a nested
    function or comprehension with a variable of that name)."""

    class Put(ast.NodeTransformer):
        def visit_Name(self, node):
            if node.id == name and isinstance(node.ctx, ast.Load):
                return ast.copy_location(ast.Constant(value=value), node)
            return node

        def generic_visit(self, node):
            if isinstance(node, _SCOPES) and _binds(node, name):
                if isinstance(node, (ast.FunctionDef, ast.Lambda)):  # defaults are read outside
                    node.args.defaults = [self.visit(d) for d in node.args.defaults]
                    node.args.kw_defaults = [d if d is None else self.visit(d) for d in node.args.kw_defaults]
                return node
            return super().generic_visit(node)

    return Put().visit(copy.deepcopy(stmt))


def _has_jump(block):
    for s in block:
        if isinstance(s, (Return, Break, Continue, _Exit)):
            return True
        if isinstance(s, If) and (_has_jump(s.body) or _has_jump(s.orelse)):
            return True
    return False


def _falls(block):
    if not block:
        return True
    last = block[-1]
    if isinstance(last, (Return, Break, Continue, _Exit)):
        return False
    if isinstance(last, If):
        return _falls(last.body) or _falls(last.orelse)
    return True


def _strip_exits(block):
    out = []
    for s in block:
        if isinstance(s, _Exit):
            continue
        if isinstance(s, If):
            s = If(s.cond, _strip_exits(s.body), _strip_exits(s.orelse), lineno=s.lineno)
        elif isinstance(s, (For, While)):
            s = copy.copy(s)
            s.body = _strip_exits(s.body)
        out.append(s)
    return out


def mark_breaks(block):
    for s in block:
        if isinstance(s, (For, While)):
            s.has_break = _loop_breaks(s.body)
            mark_breaks(s.body)
        elif isinstance(s, If):
            mark_breaks(s.body)
            mark_breaks(s.orelse)


def _loop_breaks(block):
    for s in block:
        if isinstance(s, Break):
            return True
        if isinstance(s, If) and (_loop_breaks(s.body) or _loop_breaks(s.orelse)):
            return True
    return False
