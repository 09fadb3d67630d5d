"""A generated program: module-level items, one function ``f``, its arguments, and its text.

The function body is a tree of ``Stmt``: a simple statement is a few lines that
belong together, a compound one (``if``, ``for``, ``while``) has blocks of
statements under headers. Shrinking removes statements from this tree, so every
statement is one unit that can be dropped.
"""

import copy
import itertools
from dataclasses import dataclass, field

import numpy as np

INDENT = "    "


@dataclass
class Stmt:
    """One statement of the function body.

    Attributes:
        lines: the text of a simple statement (one or more lines, no indentation), or the lines run before a
            compound statement's first header (usually none).
        blocks: for a compound statement, ``[(header, [Stmt, ...]), ...]``, e.g.
            ``[("if c > 0.0:", body), ("else:", orelse)]``; empty for a simple one.
        unwrap: lines that stand in for the header when the statement is replaced by its first block while
            shrinking (``["i = 1"]`` for ``for i in range(3):``); ``None``: it cannot be unwrapped.
        keep: shrinking must not drop it (a while loop's counter step: without it the loop never ends).
    """

    lines: list
    blocks: list = field(default_factory=list)
    unwrap: list = None
    keep: bool = False

    def render(self, depth):
        pad = INDENT * depth
        out = [pad + line for line in self.lines]
        for header, body in self.blocks:
            out.append(pad + header)
            out.extend(render_block(body, depth + 1))
        return out


def render_block(stmts, depth):
    """The lines of a block at ``depth`` levels of indentation (``pass`` when it is empty)."""
    out = []
    for s in stmts:
        out.extend(s.render(depth))
    return out or [INDENT * depth + "pass"]


@dataclass
class Param:
    """One parameter of ``f`` and the value it is called with.

    ``value`` is an ndarray (float64, complex128; float32 or int64 in the dtypes theme), a Python float or an
    int; ``diff``: it is differentiated.
    """

    name: str
    value: object
    diff: bool

    def fresh(self):
        """A copy of the value, so no call can see another's in-place changes."""
        return self.value.copy() if isinstance(self.value, np.ndarray) else self.value

    def literal(self):
        """Python source that rebuilds the value exactly."""
        v = self.value
        if isinstance(v, np.ndarray):
            dtype = {np.dtype(np.float32): "np.float32", np.dtype(np.complex128): "complex"}.get(v.dtype, "float")
            if v.dtype.kind in "iu":
                dtype = "np.int64"
            return f"np.array({v.tolist()!r}, dtype={dtype})"
        return repr(v)


@dataclass
class Program:
    """A generated program.

    Attributes:
        items: module-level items (globals, helper functions), each a list of lines, in order.
        closure: ``None`` for a module-level ``f``; else the lines of a factory ``make_f()`` that binds
            constants before defining ``f`` (so ``f`` reads them from closure cells).
        params: the parameters of ``f``.
        body: the statements of ``f``.
        returns: the terms of the final ``return`` (summed).
        themes: the themes the generator drew from (for the statistics).
        name: a label (seed and index) for messages and file names.
        changes: code texts that change the data ``f`` reads (module globals, closure cells) between calls,
            applied in order by the ``respec`` mode (see ``moddata``).
    """

    items: list
    closure: object
    params: list
    body: list
    returns: list
    themes: tuple = ()
    name: str = "f"
    changes: list = field(default_factory=list)

    @property
    def wrt(self):
        return tuple(i for i, p in enumerate(self.params) if p.diff)

    def args(self):
        return tuple(p.fresh() for p in self.params)

    def copy(self):
        return copy.deepcopy(self)

    def function_lines(self, depth):
        pad = INDENT * depth
        out = [pad + f"def f({', '.join(p.name for p in self.params)}):"]
        out.extend(render_block(self.body, depth + 1))
        out.append(pad + INDENT + "return " + " + ".join(self.returns))
        return out

    def source(self):
        """The module text: imports, module items, then ``f`` (directly or from its factory)."""
        out = ["import math", "", "import numpy as np", ""]
        for item in self.items:
            out.extend(item)
            out.append("")
        if self.closure is None:
            out.extend(self.function_lines(0))
        else:
            out.append("def make_f():")
            out.extend(INDENT + line for line in self.closure)
            out.extend(self.function_lines(1))
            out.append(INDENT + "return f")
            out.append("")
            out.append("f = make_f()")
        return "\n".join(out) + "\n"

    # ------------------------------------------------------------ the places shrinking may cut

    def statement_paths(self):
        """Every statement of the body as a path ``(i, b, j, b, j, ...)``: outermost first, then in order."""
        out = []

        def walk(stmts, prefix):
            for i, s in enumerate(stmts):
                out.append(prefix + (i,))
                for b, (_, body) in enumerate(s.blocks):
                    walk(body, prefix + (i, b))

        walk(self.body, ())
        return out

    def _container(self, path):
        stmts = self.body
        for i, b in zip(path[:-1:2], path[1:-1:2]):
            stmts = stmts[i].blocks[b][1]
        return stmts

    def without(self, path):
        """A copy with the statement at ``path`` removed, or ``None`` when it must stay."""
        if self._container(path)[path[-1]].keep:
            return None
        p = self.copy()
        del p._container(path)[path[-1]]
        return p

    def unwrapped(self, path):
        """A copy with the compound statement at ``path`` replaced by its first block, or ``None``."""
        s = self._container(path)[path[-1]]
        if not s.blocks or s.unwrap is None:
            return None
        p = self.copy()
        stmts = p._container(path)
        inner = stmts[path[-1]]
        stmts[path[-1] : path[-1] + 1] = (
            [Stmt(list(inner.lines) + list(inner.unwrap))] if inner.lines or inner.unwrap else []
        ) + inner.blocks[0][1]
        return p


_COUNTER = itertools.count()


def unique_stem(label):
    """A file stem never used before in this process (linecache keys sources by file name)."""
    safe = "".join(c if c.isalnum() else "_" for c in label)
    return f"fuzz_{safe}_{next(_COUNTER)}"
