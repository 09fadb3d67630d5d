"""Normalize, containers and indexing: tuples and dicts kept at compile time, lists, subscripts.

Guarantees (``Containers``, a mixin of ``Normalizer``):

* a tuple or dict built in the function exists only at compile time: each item is a variable of its own (or a
  constant), read back by a constant index or key; inside a branch or loop a name keeps its variables, with the
  same layout on every path, and a key set on some paths only is refused where it is read;
* a tuple grown inside a branch or loop (``t = t + (v,)``) is a list;
* ``list(t)`` of such a tuple (``args = list(args)``) is kept the same way, and its items may be set at an index
  known while compiling (``args[k] = v``: the item's variable is assigned); a second name for it is refused;
* a list built in the function (``[a, b]``, a comprehension, appends) is a list variable: ``lst[i]`` is a
  ``ListGet`` (so is ``tuple(lst)[i]``), ``lst[i] = v`` a ``ListSet``; a comprehension is a ``for`` loop of appends; each
  ``lst[i] op= v`` knows the items another name may see (``ListSet.shared``);
* ``x[idx]`` of an array is the ``getitem`` primitive; an index that is not simple is computed into a variable
  first (slices as ``slice(...)``); ``np.r_[...]``/``np.c_[...]`` are concatenations; another object's ``[]``
  given local values is marked unknown (``NonDiff.unknown``).
"""

import ast
import copy
import operator

import numpy as np

from ..ir import (
    Append,
    Assign,
    Const,
    Copy,
    For,
    If,
    ListGet,
    ListNew,
    ListReduce,
    ListSet,
    NonDiff,
    Var,
    While,
)
from ..nodes import atom_node
from .core import (
    BINOPS,
    NOT_STATIC,
    SECOND_NAME,
    DictLiteral,
    KnownList,
    ListView,
    LocalFunction,
    StaticDict,
    StaticTuple,
)

# Module-level values indexed like data: whatever the index, the item has no derivative
_DATA = (np.ndarray, np.generic, list, tuple, dict, str, bytes, range, int, float, complex)


def _layout(value):
    """What must agree between two bindings of one name in a branch or loop: tuple lengths, dict keys."""
    if isinstance(value, (tuple, StaticTuple)):
        return ("tuple", tuple(_layout(v) for v in (value.items if isinstance(value, StaticTuple) else value)))
    if isinstance(value, (StaticDict, DictLiteral)):
        return ("dict", frozenset(value))
    return None


class Containers:
    """Tuples and dicts kept in variables, lists, subscripts and indices."""

    def check_list_inplace(self, flat, stmt_reads):
        """For each ``lst[i] op= v``: the values it may change in place that another name may see (``shared``).

        An item is private when it is a fresh array made only to be that item; it is not when it is any other
        variable, or when a value read out of the list is used after the write (it is the same object).
        """
        if not self.list_inplace:
            return
        positions = {id(st): (pos, loops) for pos, (st, loops) in enumerate(flat)}
        for st in self.list_inplace:
            family = {st.lst}
            grown = True
            while grown:  # lists that are the same object (a comprehension's list and its name)
                grown = False
                for other, _ in flat:
                    if isinstance(other, Assign) and isinstance(other.value, Copy) and isinstance(other.value.src, Var):
                        pair = {other.target, other.value.src.name}
                        if pair & family and not pair <= family and pair <= self.lists:
                            family |= pair
                            grown = True
            items = []
            for other, _ in flat:
                if isinstance(other, Assign) and other.target in family and isinstance(other.value, ListNew):
                    items += [a.name for a in other.value.items if isinstance(a, Var)]
                elif isinstance(other, (Append, ListSet)) and other.lst in family and isinstance(other.item, Var):
                    items.append(other.item.name)
            shared = [v for v in items if v not in self.private_items]
            wpos, wloops = positions[id(st)]
            for spos, (get, gloops) in enumerate(flat):
                if not (isinstance(get, Assign) and isinstance(get.value, ListGet) and get.value.lst.name in family):
                    continue
                names = {get.target}
                for other, _ in flat:
                    if (
                        isinstance(other, Assign)
                        and isinstance(other.value, Copy)
                        and isinstance(other.value.src, Var)
                        and other.value.src.name in names
                    ):
                        names.add(other.target)
                for rpos, (r, rloops) in enumerate(flat):
                    if r is get or isinstance(r, (If, For, While)) or not (stmt_reads(r) & names):
                        continue
                    if spos < wpos < rpos or (rpos <= spos and set(gloops) & set(wloops) & set(rloops)):
                        shared = items
                        break
            st.shared = tuple(dict.fromkeys(shared))

    def bind_static(self, name, value, node, ctx):
        """``name = (a, b)`` / ``name = {'k': v}`` / ``name = other_dict``: one variable per item.

        The items are copied into variables of their own (so rebinding ``a`` later does not change
        ``name[0]``, as in Python). Inside a branch or loop a name keeps its variables: a new tuple or
        dict of the same layout is assigned into them, so the value carried around a loop or joined
        after a branch is in the same variables on every path.
        """
        if name in self.params:
            raise ctx.error(
                node, f"the argument '{self.shown(name)}' cannot be rebound to a tuple or dict built in the function"
            )
        old = self.static.get(name)
        if isinstance(value, StaticDict):  # another name for the same dict object
            if old is value:
                return
            if old is not None and self.control_depth:
                raise ctx.error(
                    node,
                    f"'{self.shown(name)}' is made to refer to another dict inside a branch or loop; "
                    "srcgrad.grad needs one dict per name there",
                )
            self.forget(name)
            value.names.add(name)
            self.static[name] = value
            return
        if old is None and self.control_depth and name in self.values_of:
            if self.runtime_tuple(name, value, node, ctx):
                return
            raise ctx.error(
                node,
                f"'{self.shown(name)}' holds a value before this branch or loop and a tuple or "
                "dict here; use another name for the tuple or dict",
            )
        if old is not None and self.control_depth and (isinstance(old, StaticTuple) or len(old.names) == 1):
            if _layout(old) != _layout(value):
                kind = "tuple" if isinstance(old, StaticTuple) else "dict"
                raise ctx.error(
                    node,
                    f"'{self.shown(name)}' holds a {kind} of another layout before this line; inside "
                    "a branch or loop srcgrad.grad needs the same number of items (the same "
                    "keys for a dict) on every path",
                )
            if not self.assign_items(old, value, node, ctx):
                raise ctx.error(
                    node,
                    f"'{self.shown(name)}' holds a tuple or dict with a constant, a list or a "
                    "function in it, which cannot change inside a branch or loop; build it from "
                    "variables",
                )
            if isinstance(old, StaticDict):
                old.present = set(old)
            return
        elif old is not None and self.control_depth:
            raise ctx.error(
                node,
                f"the dict in '{self.shown(name)}' has another name too; rebinding "
                f"'{self.shown(name)}' inside a branch or loop is not supported",
            )
        new = self.new_static(name, value, node, ctx)
        self.forget(name)
        self.static[name] = new

    def runtime_tuple(self, name, value, node, ctx):
        """In a gradient's generated code (read again at higher order), a tuple of plain values given in a loop
        to a name that holds another value before it (an index saved on the stack, ``idx = j % n, i % m``,
        ``None`` before the loop) is kept as a value the code builds when it runs, not a tuple the compiler
        follows. It is marked ``unknown``: a derivative that would flow through it is refused, never dropped.
        Returns whether it was (``False`` elsewhere: the caller refuses)."""
        if not ctx.parsed.filename.startswith("<srcgrad:") or not isinstance(value, tuple):
            return False
        if not all(isinstance(a, (Var, Const)) and not (isinstance(a, Var) and a.name in self.lists) for a in value):
            return False
        node_value = ast.Tuple(elts=[atom_node(a) for a in value], ctx=ast.Load())
        reads = frozenset(a.name for a in value if isinstance(a, Var))
        self.assign(name, NonDiff(node_value, reads, unknown="a tuple rebuilt in a loop"), node, ctx)
        return True

    def new_static(self, name, value, node, ctx, shown=None):
        """A new container for ``value`` whose items are kept in fresh variables named after ``name``
        (``shown``: how the user spells the container, for messages)."""
        shown = shown or self.shown(name)
        keep_consts = name not in ctx.rebound and not self.control_depth
        if isinstance(value, tuple):
            new = StaticTuple([None] * len(value), mutable=isinstance(value, KnownList))
            keys = range(len(value))
        else:
            new = StaticDict()
            keys = list(value)
        pairs = []
        for k in keys:
            item = value[k]
            if isinstance(item, ListView):
                raise ctx.error(node, SECOND_NAME)
            if isinstance(item, tuple):
                if isinstance(new, StaticDict):
                    raise ctx.error(node, "nested tuples or dicts inside a dict are not supported")
                if isinstance(item, KnownList):  # a list of tuples inside a container: read-only, as a tuple (so
                    item = tuple(item)  # unpacking the container gives it a name without a second copy to keep)
                entry = self.new_static(f"{name}_{k}", item, node, ctx, f"{shown}[{k!r}]")
            elif isinstance(item, DictLiteral):
                raise ctx.error(node, "nested tuples or dicts inside a tuple or dict are not supported")
            elif isinstance(item, (StaticDict, LocalFunction)):
                if isinstance(new, StaticDict):
                    raise ctx.error(node, "nested tuples or dicts inside a dict are not supported")
                entry = item
            elif isinstance(item, Var) and item.name in self.lists:
                if item.name not in self.fresh_lists or item.name in self.multi_outputs:
                    raise ctx.error(
                        node,
                        f"a list kept in a tuple or dict must be written in place ([a, b]); "
                        f"use '{self.shown(item.name)}' by its own name",
                    )
                entry = item
            elif isinstance(item, Const) and keep_consts:
                entry = item
            else:
                var = self.renamed(f"{shown}[{k!r}]", self.namer.fresh(f"{name}_{k}"))
                self.entry_vars.add(var)
                entry = Var(var)
                pairs.append((var, item))
            if isinstance(new, StaticDict):
                new[k] = entry
            else:
                new.items[k] = entry
        self.assign_pairs(pairs, node, ctx)
        if isinstance(new, StaticDict):
            new.present = set(new)
            new.names.add(name)
            self.dicts_made.append(new)
        return new

    def assign_items(self, old, value, node, ctx):
        """Assign the items of ``value`` into the variables of ``old`` (same layout); False when an item of
        ``old`` is a constant or a list (no variable to assign into) that ``value`` changes."""
        pairs = []

        def collect(old, value):
            keys = range(len(value)) if isinstance(value, tuple) else list(value)
            for k in keys:
                entry = old.items[k] if isinstance(old, StaticTuple) else old[k]
                item = value[k]
                if isinstance(entry, StaticTuple):
                    if not collect(entry, item):
                        return False
                elif isinstance(entry, Var) and entry.name in self.entry_vars:
                    if isinstance(item, (StaticDict, LocalFunction, DictLiteral)) or (
                        isinstance(item, Var) and item.name in self.lists
                    ):
                        return False
                    pairs.append((entry.name, item))
                elif not (
                    entry is item
                    or (
                        isinstance(entry, Const)
                        and isinstance(item, Const)
                        and ast.dump(entry.node) == ast.dump(item.node)
                    )
                ):
                    return False
            return True

        if not collect(old, value):
            return False
        self.assign_pairs(pairs, node, ctx)
        return True

    def assign_pairs(self, pairs, node, ctx):
        """``var = item`` for each pair, as one simultaneous assignment (``t = (t[1], t[0])`` swaps)."""
        targets = {var for var, _ in pairs}
        staged = []
        for var, item in pairs:
            if isinstance(item, Var) and item.name in targets and item.name != var:
                tmp = self.temp("t")
                self.assign(tmp, Copy(item), node, ctx)
                item = Var(tmp)
            staged.append((var, item))
        for var, item in staged:
            if not (isinstance(item, Var) and item.name == var):
                self.store(var, item, node, ctx)

    def forget(self, name):
        old = self.static.pop(name, None)
        if isinstance(old, StaticDict):
            old.names.discard(name)

    def view(self, container):
        """A container's items as the normalizer passes values around: a tuple of atoms, or the dict itself."""
        if isinstance(container, StaticTuple):
            items = (self.view(i) if isinstance(i, StaticTuple) else i for i in container.items)
            return ListView(items) if container.mutable else tuple(items)
        return container

    def entry_target(self, target, node, ctx):
        """The variable ``d['k'] = ...`` assigns (a new one for a new key)."""
        name = ctx.rename[target.value.id]
        d = self.static[name]
        if isinstance(d, StaticTuple) and d.mutable:
            return self.known_list_target(d, target, node, ctx)
        if not isinstance(d, StaticDict):
            raise ctx.error(
                node,
                f"'{target.value.id}' holds a tuple, which cannot be changed: build a new one "
                f"({target.value.id} = (...))",
            )
        if not isinstance(target.slice, ast.Constant):
            raise ctx.error(node, "assignment into a dict with a key that is not a constant")
        key = target.slice.value
        entry = d.get(key)
        if entry is None or not (isinstance(entry, Var) and entry.name in self.entry_vars):
            if entry is not None and self.control_depth:
                raise ctx.error(
                    node,
                    f"the item {key!r} of '{target.value.id}' holds a list; it cannot be replaced "
                    "inside a branch or loop",
                )
            var = self.renamed(f"{self.shown(name)}[{key!r}]", self.namer.fresh(f"{name}_{key}"))
            self.entry_vars.add(var)
            d[key] = Var(var)
        d.present.add(key)
        return d[key].name

    def known_list_target(self, lst, target, node, ctx):
        """The variable ``lst[k] = ...`` assigns, for a list kept at compile time and ``k`` known while compiling
        (a new one for an item that has none of its own, outside branches and loops)."""
        spelled = target.value.id
        k = self.static_int(target.slice, ctx)
        if k is None:
            raise ctx.error(
                node,
                f"'{spelled}' is a list made from a tuple (list(...)): srcgrad.grad sets its items at an index known "
                "while compiling (a number, or a global or closure variable holding one)",
            )
        if not -len(lst.items) <= k < len(lst.items):
            raise ctx.error(node, f"the list '{spelled}' has no item {k} (it has {len(lst.items)})")
        k %= len(lst.items)
        entry = lst.items[k]
        if isinstance(entry, Var) and entry.name in self.entry_vars:
            return entry.name
        if self.control_depth:
            raise ctx.error(
                node,
                f"the item {k} of '{spelled}' holds a constant, a list or a tuple; it cannot be replaced inside a "
                "branch or loop",
            )
        name = ctx.rename[spelled]
        var = self.renamed(f"{spelled}[{k}]", self.namer.fresh(f"{name}_{k}"))
        self.entry_vars.add(var)
        lst.items[k] = Var(var)
        return var

    def entry(self, container, key, e, ctx):
        """Read ``d['k']`` of a dict kept in variables: its entry, if the key is set on every path here."""
        if key not in container:
            raise ctx.error(e, f"the dict has no key {key!r} here (keys: {', '.join(map(repr, container)) or 'none'})")
        if key not in container.present:
            raise ctx.error(
                e,
                f"the key {key!r} may be missing here: it is set only inside a branch or loop "
                "above; set it before that branch or loop too",
            )
        return container[key]

    def presence(self):
        return {id(d): set(d.present) for d in self.dicts_made}

    def restore_presence(self, snapshot):
        for d in self.dicts_made:
            if id(d) in snapshot:
                d.present = set(snapshot[id(d)])

    def join_presence(self, *snapshots):
        """After a branch: a key is present when every branch that falls through set it."""
        for d in self.dicts_made:
            found = [snap[id(d)] for snap in snapshots if snap is not None and id(d) in snap]
            if found:
                d.present = set.intersection(*found)

    def grown_value(self, name, value, node, ctx):
        """A tuple grown inside a branch or loop (``acc = acc + (v,)``) is kept as a list."""
        if isinstance(value, tuple):
            if any(
                isinstance(v, (tuple, StaticDict, DictLiteral, LocalFunction))
                or (isinstance(v, Var) and v.name in self.lists)
                for v in value
            ):
                raise ctx.error(
                    node,
                    f"'{self.shown(name)}' grows inside a branch or loop, so srcgrad.grad keeps it "
                    "as a list of single values: tuples, dicts or lists inside it are not supported",
                )
            return ListNew(list(value))
        shown = self.shown(name)
        raise ctx.error(
            node,
            f"'{shown}' grows with {shown} = {shown} + (...) inside a branch or loop, so "
            "srcgrad.grad keeps it as a list: it can only be given tuples",
        )

    def grow(self, name, elts, node, ctx):
        """``acc = acc + (a, b)`` / ``acc += (a, b)`` on a grown tuple: appends."""
        if name not in self.lists:
            shown = self.shown(name)
            raise ctx.error(node, f"'{shown}' must hold a tuple before it grows ({shown} = () first)")
        for elt in elts:
            item = self.expr(elt, ctx)
            if isinstance(item, (tuple, StaticDict, DictLiteral, LocalFunction)) or (
                isinstance(item, Var) and item.name in self.lists
            ):
                raise ctx.error(
                    node,
                    f"'{self.shown(name)}' grows inside a branch or loop, so srcgrad.grad keeps it "
                    "as a list of single values: tuples, dicts or lists inside it are not supported",
                )
            self.emit(Append(name, item, lineno=self.line(node, ctx)))

    def list_set(self, target, value, node, ctx, op=None):
        """``lst[i] = v`` (``op`` None) or ``lst[i] op= v`` on a list the function builds: rebinds one slot."""
        name = ctx.rename[target.value.id]
        user = target.value.id
        if name in self.multi_outputs:
            raise ctx.error(
                node,
                f"'{user}' holds the results of a call with several outputs; assigning into it is "
                f"not supported (build a list: [{user}[0], {user}[1]])",
            )
        if any(isinstance(n, ast.Slice) for n in ast.walk(target.slice)):
            raise ctx.error(
                node, f"assignment into a slice of the list '{user}' is not supported; assign its items one by one"
            )
        idx = self.index(target.slice, node, ctx)
        if op is not None:
            fn = BINOPS[type(op)]
            old = self.atom(ListGet(Var(name), idx), node, ctx)
            rhs = self.atom(self.value(value, ctx), node, ctx)
            value = self.call_prim(fn, [old, rhs], {}, node, ctx, style="binop", op=op)
        fresh = not isinstance(value, (Var, Const, tuple, LocalFunction, StaticDict, DictLiteral))
        item = self.atom(value, node, ctx)
        if isinstance(item, (tuple, StaticDict, DictLiteral, LocalFunction)) or (
            isinstance(item, Var) and item.name in self.lists
        ):
            raise ctx.error(node, "a list item must be a single value (not a tuple, dict or list)")
        if fresh and isinstance(item, Var) and self.fresh_array(value, item.name):
            self.private_items.add(item.name)
        self.emit(ListSet(name, idx, item, lineno=self.line(node, ctx)))
        if op is not None:
            self.list_inplace.append(self.out[-1])

    def refuse_nested_trailing(self, a, callee, rule, position, e, ctx):
        """Refuse, at the call, a tuple holding tuples given among a variadic rule's trailing arguments, which are
        arrays one by one (``odeint_args(func, y0, t, *args)`` given a network's ``[(W, b), ...]``): numpy would
        make one array of it, which arrays of several shapes cannot be."""
        if rule is None or not rule.variadic or position is None or position < len(rule.vjps) - 1:
            return
        if isinstance(a, tuple) and any(isinstance(x, tuple) for x in a):
            raise ctx.error(
                e,
                f"{getattr(callee, '__name__', 'the function')} takes arrays one by one as its trailing "
                "arguments: a tuple or list of tuples among them (a network's [(W, b), ...]) is not supported; "
                "pass its arrays one by one",
            )

    def expr_Tuple(self, e, ctx):
        return tuple(self.expr(x, ctx) for x in e.elts)

    def expr_List(self, e, ctx):
        items = [self.item(x, ctx) for x in e.elts]
        if any(isinstance(x, (StaticDict, DictLiteral)) for x in items):
            raise ctx.error(e, "lists of dicts are not supported")
        if any(isinstance(x, tuple) for x in items):
            return KnownList(items)  # a list of tuples ([(W, b), (V, c)]): kept at compile time, like list(t)
        return ListNew(items)

    def item(self, e, ctx):
        """An atom for a list item; a fresh array made only for it is remembered as private to the list."""
        value = self.value(e, ctx)
        item = self.atom(value, e, ctx)
        if item is not value and isinstance(item, Var) and self.fresh_array(value, item.name):
            self.private_items.add(item.name)
        return item

    def expr_Dict(self, e, ctx):
        out = DictLiteral()
        for k, v in zip(e.keys, e.values):
            if k is None or not isinstance(k, ast.Constant):
                raise ctx.error(e, "dict keys must be constants written in place ({'w': W})")
            item = self.expr(v, ctx)
            if isinstance(item, (tuple, StaticDict, DictLiteral)):
                raise ctx.error(e, "nested tuples or dicts inside a dict are not supported")
            out[k.value] = item
        return out

    def listed(self, a, e, ctx):
        """A (nested) tuple of atoms as a list variable whose items are atoms or such lists."""
        return self.atom(ListNew([self.listed(x, e, ctx) if isinstance(x, tuple) else x for x in a]), e, ctx)

    def expr_ListComp(self, e, ctx, into=None):
        """A comprehension as a loop of appends to a new list (``items``), or with ``into`` (the user's name of the
        variable it is assigned to, which it does not read) to that variable itself, so the code holds one name
        for the list (see ``comprehension_into``)."""
        if len(e.generators) != 1 or e.generators[0].is_async:
            raise ctx.error(e, "comprehensions with more than one 'for' are not supported")
        gen = e.generators[0]
        if into is None:
            result = self.temp("items")
            self.assign(result, ListNew([]), e, ctx)
            self.lists.add(result)
            self.temp_lists.add(result)
        else:
            result = ctx.rename[into]
            self.store(result, ListNew([]), e, ctx)
        saved = dict(ctx.rename)
        for n in ast.walk(gen.target):
            if isinstance(n, ast.Name):
                ctx.rename[n.id] = self.renamed(n.id, self.namer.fresh(n.id))
        ctx.rename[into or result] = result
        append = ast.Expr(
            value=ast.Call(
                func=ast.Attribute(value=ast.Name(id=into or result, ctx=ast.Load()), attr="append", ctx=ast.Load()),
                args=[e.elt],
                keywords=[],
            )
        )
        body = [append]
        for cond in reversed(gen.ifs):
            body = [ast.If(test=cond, body=body, orelse=[])]
        loop = ast.For(target=gen.target, iter=gen.iter, body=body, orelse=[])
        ast.copy_location(loop, e)
        for sub in ast.walk(loop):
            if not hasattr(sub, "lineno") and isinstance(sub, (ast.stmt, ast.expr)):
                ast.copy_location(sub, e)
        try:
            self.stmt_For(loop, ctx)
        finally:
            ctx.rename.clear()
            ctx.rename.update(saved)
        return Var(result)

    expr_GeneratorExp = expr_ListComp

    def expr_Subscript(self, e, ctx):
        if not isinstance(e.slice, ast.Slice) and self.untupled(e.value, ctx) is not e.value:
            # tuple(lst)[i] is lst[i] (a rule's VJP inlined in a gradient's code reads tuple(douts)[1])
            e = ast.copy_location(ast.Subscript(value=e.value.args[0], slice=e.slice, ctx=e.ctx), e)
        if isinstance(e.value, (ast.Name, ast.Attribute)):
            obj = self.static_value(e.value, ctx)
            if obj is not NOT_STATIC and not isinstance(obj, LocalFunction):
                got = self.static_subscript(obj, e, ctx)
                if got is not None:
                    return got
        base = self.value(e.value, ctx)
        if isinstance(base, StaticDict):
            if isinstance(e.slice, ast.Constant):
                return self.entry(base, e.slice.value, e, ctx)
            raise ctx.error(e, "a dict built in the function is read with a constant key it has")
        if isinstance(base, DictLiteral):
            if isinstance(e.slice, ast.Constant) and e.slice.value in base:
                return base[e.slice.value]
            raise ctx.error(e, "a dict built in the function is read with a constant key it has")
        if isinstance(base, tuple):
            k = _const_int(self.rewrite(e.slice, ctx)[0])
            if k is None:
                k = self.static_int(e.slice, ctx)
            if k is not None and -len(base) <= k < len(base):
                return base[k]
            sl = e.slice
            if isinstance(sl, ast.Subscript) and isinstance(sl.slice, ast.Slice):
                if self.static_value(sl.value, ctx) is np.s_:  # t[np.s_[1:]], as generated code writes t[1:]
                    sl = sl.slice
            if isinstance(sl, ast.Slice):
                bounds = [None if b is None else self.static_int(b, ctx) for b in (sl.lower, sl.upper)]
                if sl.step is None and all(
                    b is not None or given is None for b, given in zip(bounds, (sl.lower, sl.upper))
                ):
                    return base[bounds[0] : bounds[1]]  # a slice with bounds known while compiling
            if (
                k is None
                and not isinstance(e.slice, ast.Slice)
                and base
                and all(isinstance(x, (Var, Const)) for x in base)
            ):
                # an index known only when the code runs (t[i], i an argument): the item is chosen then
                lst = self.atom(ListNew(list(base)), e, ctx)
                return ListGet(lst, self.index(e.slice, e, ctx))
            raise ctx.error(
                e,
                "indexing a tuple needs an integer index it has (a tuple of tuples or dicts, a slice: a constant one)",
            )
        base = self.atom(base, e, ctx)
        idx = self.index(e.slice, e, ctx)
        if isinstance(base, Var) and base.name in self.lists:
            return ListGet(base, idx)
        if isinstance(base, Const):
            return Const(ast.Subscript(value=base.node, slice=idx.node, ctx=ast.Load()))
        return self.call_prim(operator.getitem, [base, idx], {}, e, ctx, style="getitem")

    def static_subscript(self, obj, e, ctx):
        """``obj[...]`` of an object that is no local value (a global, a module attribute), or ``None`` to index
        it as usual (data indexed by anything: an array, list, dict, ... of the module; an index with no local
        values in it).

        ``np.r_[...]`` and ``np.c_[...]`` become a concatenation (``concat_index``); ``np.s_[...]`` and
        ``np.index_exp[...]`` are indices. Any other object's ``__getitem__`` given local values is a function
        the compiler cannot see into: its value is marked unknown (``NonDiff.unknown``), so a derivative that
        would flow through it is refused at the line, never dropped.
        """
        if obj is np.r_ or obj is np.c_:
            return self.concat_index(obj, e, ctx)
        if obj is np.s_ or obj is np.index_exp or isinstance(obj, _DATA):
            return None
        rewritten, reads = self.rewrite(e.slice, ctx)
        if not reads:
            return None
        base, _ = self.rewrite(e.value, ctx)
        node = ast.Subscript(value=base, slice=rewritten, ctx=ast.Load())
        spelled = ast.unparse(e.value)
        return NonDiff(node, reads, unknown=f"{spelled}[...] (the [] of a {type(obj).__name__} object)")

    def concat_index(self, obj, e, ctx):
        """``np.r_[a, b, ...]``: ``np.concatenate`` of the pieces made at least 1-d (``np.c_``: of the pieces made
        at least 2-d, a vector as a column, along the last axis); a slice piece is the range ``np.r_[0:3]``
        itself, a list piece an array. Both are linear in the pieces, so they have the rules of ``reshape``
        and ``concatenate``."""
        spelled = ast.unparse(e.value)
        elts = e.slice.elts if isinstance(e.slice, ast.Tuple) else [e.slice]
        if elts and isinstance(elts[0], ast.Constant) and isinstance(elts[0].value, str):
            raise ctx.error(
                e,
                f"{spelled}[...] with a directive string ({elts[0].value!r}) is not supported: use "
                "np.concatenate or np.stack with an axis",
            )
        column = obj is np.c_
        pieces = []
        for elt in elts:
            if isinstance(elt, ast.Slice):  # a range (np.c_: a column of it)
                node, reads = self.rewrite(ast.Subscript(value=e.value, slice=elt, ctx=ast.Load()), ctx)
                pieces.append(self.atom(NonDiff(node, reads), e, ctx))
                continue
            item = self.value(elt, ctx)
            if isinstance(item, ListNew) or (isinstance(item, Var) and item.name in self.lists):
                lst = self.atom(item, e, ctx)
                array = ast.Call(func=self.const_node(np.array), args=[atom_node(lst)], keywords=[])
                from ...rules.shape import stack_args

                item = ListReduce("stack", stack_args, array, lst, {})
            elif isinstance(item, (tuple, StaticDict, DictLiteral, LocalFunction)):
                raise ctx.error(e, f"{spelled}[...] of a tuple, dict or function is not supported")
            a = self.atom(item, e, ctx)
            np_shape = ast.Call(func=self.const_node(np.shape), args=[atom_node(a)], keywords=[])
            if column:  # (-1, 1) if np.ndim(a) < 2 else np.shape(a)
                ndim = ast.Call(func=self.const_node(np.ndim), args=[atom_node(a)], keywords=[])
                shape = ast.IfExp(
                    test=ast.Compare(left=ndim, ops=[ast.Lt()], comparators=[ast.Constant(value=2)]),
                    body=ast.Tuple(elts=[ast.Constant(value=-1), ast.Constant(value=1)], ctx=ast.Load()),
                    orelse=np_shape,
                )
            else:  # (-1,) + np.shape(a)[1:]
                shape = ast.BinOp(
                    left=ast.Tuple(elts=[ast.Constant(value=-1)], ctx=ast.Load()),
                    op=ast.Add(),
                    right=ast.Subscript(value=np_shape, slice=ast.Slice(lower=ast.Constant(value=1)), ctx=ast.Load()),
                )
            if isinstance(a, Const):
                piece = self.call_prim(np.reshape, [a, Const(shape)], {}, e, ctx)
            else:
                shape_var = self.temp("shape")
                self.assign(shape_var, NonDiff(shape, frozenset({a.name})), e, ctx)
                piece = self.call_prim(np.reshape, [a, Const(ast.Name(id=shape_var, ctx=ast.Load()))], {}, e, ctx)
            pieces.append(self.atom(piece, e, ctx))
        lst = self.atom(ListNew(pieces), e, ctx)
        axis = Const(ast.Constant(value=-1 if column else 0))
        node = ast.Call(
            func=self.const_node(np.concatenate),
            args=[atom_node(lst)],
            keywords=[ast.keyword(arg="axis", value=copy.deepcopy(axis.node))],
        )
        from ...rules.shape import concatenate_args

        return ListReduce("concatenate", concatenate_args, node, lst, {"axis": axis})

    def index(self, node, where, ctx):
        """An index as a ``Const``: kept in place when simple, else computed into a variable first."""
        rewritten, reads = self.rewrite(node, ctx)
        if _simple_index(rewritten):
            return Const(rewritten)
        name = self.temp("idx")
        self.assign(name, NonDiff(_slices_to_values(rewritten, self), reads), where, ctx)
        return Const(ast.Name(id=name, ctx=ast.Load()))


def _const_int(node):
    """The value of an integer expression of literals (``len(t) - 1`` once ``len(t)`` is known), else None."""
    ops = {
        ast.Add: operator.add,
        ast.Sub: operator.sub,
        ast.Mult: operator.mul,
        ast.FloorDiv: operator.floordiv,
        ast.Mod: operator.mod,
    }
    if isinstance(node, ast.Constant):
        return node.value if type(node.value) is int else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = _const_int(node.operand)
        return None if v is None else -v
    if isinstance(node, ast.BinOp) and type(node.op) in ops:
        a, b = _const_int(node.left), _const_int(node.right)
        if a is None or b is None or (b == 0 and type(node.op) in (ast.FloorDiv, ast.Mod)):
            return None
        return ops[type(node.op)](a, b)
    return None


def _simple_index(node):
    for sub in ast.walk(node):
        if not isinstance(
            sub,
            (
                ast.Name,
                ast.Constant,
                ast.Slice,
                ast.Tuple,
                ast.UnaryOp,
                ast.USub,
                ast.BinOp,
                ast.Add,
                ast.Sub,
                ast.Load,
                ast.Mult,
            ),
        ):
            return False
    return True


def _slices_to_values(node, normalizer):
    """Slice syntax is only valid inside brackets; as a value it is ``slice(a, b, c)``."""

    class T(ast.NodeTransformer):
        def visit_Slice(self, s):
            self.generic_visit(s)
            none = ast.Constant(value=None)
            name = normalizer.ns.bind(slice, "slice")
            return ast.Call(
                func=ast.Name(id=name, ctx=ast.Load()),
                args=[s.lower or none, s.upper or ast.Constant(value=None), s.step or ast.Constant(value=None)],
                keywords=[],
            )

        def visit_Tuple(self, tup):
            # a list of numbers in the index tuple (x[:, [2, 1, 2]]) written as a tuple: numpy reads it the same (a
            # sequence of indices), and the index stays one constant when generated code is differentiated again
            # (never the index itself: x[(0, 0, 1)] is one element, x[[0, 0, 1]] three rows)
            self.generic_visit(tup)
            if tup is not node:
                return tup
            tup.elts = [
                ast.Tuple(elts=e.elts, ctx=ast.Load())
                if isinstance(e, ast.List)
                and e.elts
                and all(isinstance(c, ast.Constant) and type(c.value) in (int, bool) for c in e.elts)
                else e
                for e in tup.elts
            ]
            return tup

    return T().visit(node)
