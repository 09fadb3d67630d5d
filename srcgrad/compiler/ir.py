"""The normalized program the passes share: typed dataclasses, no string keys on AST nodes.

``normalize`` produces it, ``activity`` reads it, ``reverse``/``forward``
consume it. Expressions that carry no derivative stay as standard ``ast``
expressions (``NonDiff``); everything the derivative flows through is a
dataclass naming its inputs by variable.
"""

import ast
from dataclasses import dataclass, field
from typing import Optional, Union

__all__ = [
    "Var",
    "Const",
    "Atom",
    "Prim",
    "Opaque",
    "UserCall",
    "NonDiff",
    "GradientOf",
    "Copy",
    "Cast",
    "ListNew",
    "ListGet",
    "ListPop",
    "ListReduce",
    "Append",
    "ListSet",
    "Assign",
    "If",
    "For",
    "While",
    "Break",
    "Continue",
    "Return",
    "ExprStmt",
    "NormalFunction",
    "walk_stmts",
    "clone",
]


@dataclass(frozen=True)
class Var:
    """A local variable of the normalized function."""

    name: str


@dataclass
class Const:
    """A value with no derivative, printed verbatim (a literal, a global, an index expression)."""

    node: ast.expr


Atom = Union[Var, Const]


@dataclass
class Prim:
    """``target = fn(*args, **kwargs)`` for a primitive with a rule.

    Attributes:
        fn: the primitive (``np.sin``); ``rule`` its ``Rule``.
        args, kwargs: atoms.
        style: how the forward code prints it: ``"binop"`` (``a * b``), ``"unary"``
            (``-a``), ``"call"`` (``func(a, ...)``), ``"getitem"`` (``a[i]``).
        op: the ``ast`` operator for binop/unary styles.
        func: the printed callee for the call style (``np.sin``).
    """

    fn: object
    rule: object
    args: list
    kwargs: dict = field(default_factory=dict)
    style: str = "call"
    op: Optional[object] = None
    func: Optional[ast.expr] = None


@dataclass
class Opaque:
    """A call of a function with no rule and no readable source (a C function).

    Fine when no input needs a gradient; the reverse pass raises ``NoRuleError``
    when one does.
    """

    fn: object
    func: ast.expr
    args: list
    kwargs: dict = field(default_factory=dict)


@dataclass
class UserCall:
    """A call of the user's own function differentiated by a gradient of its own (recursion).

    The forward calls ``fn``; the reverse pass calls ``grad(fn, wrt=...)`` with
    the output cotangent as ``dout``. ``several``: ``fn`` is a generated gradient returning a tuple of
    gradients (higher order): the target is a list-like variable read with ``ListGet``, as a primitive's
    several outputs are.
    """

    fn: object
    func: ast.expr
    args: list
    kwargs: dict = field(default_factory=dict)
    several: bool = False


@dataclass(frozen=True)
class GradientOf:
    """What a generated gradient differentiates, kept on its compiled function as ``gradient_of``: the function
    ``fn``, the ``wrt`` parameter names, ``several`` when it returns a tuple of gradients. A recursive call of a
    generated gradient (higher order) is differentiated through ``fn``'s derivatives (``reverse.adjoints``)."""

    fn: object
    wrt: tuple
    several: bool


@dataclass
class NonDiff:
    """An expression whose value has no derivative (``len(x)``, ``x > 0``, ``x.shape``).

    ``unknown``: set (to the construct's name, e.g. ``"indexing a Foo object"``) when the compiler does not
    know whether the value depends differentiably on what it reads: then it is differentiable as far as
    ``activity`` knows, and ``reverse``/``forward`` refuse it where a derivative would flow through it.

    ``draws``: the expression draws random numbers (``rs.randn(3)``; ``draws.py``), so two evaluations differ:
    it is computed once where the function computes it, saved like a value with a derivative, never dropped.
    """

    node: ast.expr
    reads: frozenset = frozenset()
    unknown: Optional[str] = None
    draws: bool = False


@dataclass
class Copy:
    """``target = src``: the derivative is the identity.

    ``move``: ``src`` is a list never read again (``normalize`` allows a second name for a list only then, or for
    a call's several results, which nothing changes): the target's adjoint is ``src``'s whole, not added to it.
    """

    src: Atom
    move: bool = False


@dataclass
class Cast:
    """``target = src.astype(float-dtype)`` (or ``float(src)``): identity derivative, printed as ``node``."""

    src: Var
    node: ast.expr


@dataclass
class ListNew:
    """``target = [a, b, ...]`` (often ``[]``): a Python list the function builds."""

    items: list


@dataclass
class ListGet:
    """``target = lst[idx]`` for a list variable; ``idx`` has no derivative."""

    lst: Var
    idx: Const


class ListPop(ListGet):
    """``target = lst.pop()`` for a list variable: reads its last item (``idx`` is ``-1``) and removes it.

    A ``ListGet`` to every pass that only reads (activity, aliasing, complexity); ``reverse`` puts the
    item back in its adjoint and ``forward`` pops the tangent list too. Generated gradients save values on
    such a stack, so this is what differentiating one again (higher order) goes through.
    """


@dataclass
class ListReduce:
    """``target = np.stack(lst, ...)`` / ``np.array(lst)`` / ``np.concatenate(lst, ...)`` / ``sum(lst)``.

    Attributes:
        kind: ``"stack"``, ``"concatenate"`` or ``"sum"``.
        prim: the variadic primitive whose rule gives each element's cotangent
            (``stack_args``, ``concatenate_args``); ``None`` for ``sum``.
        node: the forward expression, printed as the user wrote it.
        lst: the list variable; ``kwargs``: ``{name: Const}`` (``axis``).
    """

    kind: str
    prim: object
    node: ast.expr
    lst: Var
    kwargs: dict = field(default_factory=dict)


@dataclass
class Append:
    """``lst.append(item)``: the reverse pass pops it back off."""

    lst: str
    item: object
    lineno: int = 0


@dataclass
class ListSet:
    """``lst[idx] = item``: rebinds one slot of a list (the reverse pass saves the old item and puts it back).

    ``shared``: for ``lst[idx] op= v``, the values that may be the old item and be seen through another
    name too; Python's ``op=`` changes an array in place, so ``activity`` refuses unless they are numbers.
    """

    lst: str
    idx: Const
    item: object
    lineno: int = 0
    shared: tuple = ()


@dataclass
class Assign:
    """``target = value``; the one statement kind that computes.

    ``inplace``: for the user's in-place writes (``y *= 2``, ``y[i] = v``, ``d['k'] += v``), compiled out of
    place as this assignment, the write as the user spelled it (``"y *= ..."``); ``aliasing`` checks that no
    other name for that memory is read afterwards. ``sharers``: for an in-place write, the other variables
    that may share the written memory at that point (a view made before it), set by ``aliasing``: a write
    the gradient runs in place must be undone before the adjoint sweep reads any of them.
    """

    target: str
    value: object
    lineno: int = 0
    bookkeeping: bool = False
    inplace: Optional[str] = None
    sharers: frozenset = frozenset()


@dataclass
class If:
    """``if cond: body else: orelse``; ``cond`` is a variable assigned just before."""

    cond: str
    body: list
    orelse: list
    lineno: int = 0


@dataclass
class For:
    """``for target in range(...)``: every loop over a sequence is lowered to a range loop."""

    target: str
    iter: ast.expr
    body: list
    lineno: int = 0
    has_break: bool = False


@dataclass
class While:
    """``while test: body``; ``test`` has no derivative."""

    test: ast.expr
    body: list
    lineno: int = 0
    has_break: bool = False


@dataclass
class Break:
    lineno: int = 0


@dataclass
class Continue:
    lineno: int = 0


@dataclass
class Return:
    """The single return, last in the function body: an atom (or, for ``jvp``, a tuple of atoms)."""

    value: object
    lineno: int = 0


@dataclass
class ExprStmt:
    """An expression evaluated for its effect only (``print(x)``, ``assert ...``)."""

    node: ast.stmt
    lineno: int = 0


@dataclass
class NormalFunction:
    """The output of ``normalize``.

    Attributes:
        name: the user's function name.
        params: its parameter names, in order.
        defaults: ``ast`` default expressions for the trailing parameters.
        body: the statements; the last is the single ``Return``.
        filename, lines: where the user's source lives (for errors and comments).
        bookkeeping: compiler variables the reverse pass saves after a construct
            (``if`` tests, loop counters), as opposed to the user's variables it restores.
        display: ``{variable: how the user's code spells it}`` for every variable of the user's (an inlined
            helper's locals renamed apart, ``d_b`` for ``d['b']``), for messages; temporaries have none.
        owned_params: parameters the function writes into (``x[0] = v``); the body starts with
            ``x = np.copy(x)`` for each, so the writes never reach the caller's array and may run in place.
        generated: ``{variable: generated file}`` for the variables of a compiled gradient's code inlined here
            (a function calling ``srcgrad.grad(f)``), so refusals there can name the user's line of ``f``.
        consulted: what normalize asked of the specialisation's argument shapes, ragged arguments and kinds
            (``Consulted.asked`` of each; ``None`` when read whole): the result holds for any specialisation
            answering alike (``passcache``).
        result_layout: the dicts and tuples around the values a function read by ``jvp`` returns (``return {'a': y},
            z``), whose values the ``Return`` holds as a flat tuple: an index into that tuple, ``("tuple", items)`` or
            ``("dict", ((key, item), ...))``; ``None`` for one value or a flat tuple of values.
    """

    name: str
    params: list
    defaults: list
    body: list
    filename: str = ""
    lines: list = field(default_factory=list)
    bookkeeping: set = field(default_factory=set)
    display: dict = field(default_factory=dict)
    owned_params: set = field(default_factory=set)
    generated: dict = field(default_factory=dict)
    consulted: tuple = (None, None, None)
    result_layout: tuple = None


def clone(node):
    """A deep copy of an ``ast`` tree (much faster than ``copy.deepcopy``); other values are shared."""
    if isinstance(node, list):
        return [clone(n) for n in node]
    if not isinstance(node, ast.AST):
        return node
    # every field passed to the constructor (Python 3.13 deprecates a node made without its required ones)
    fields = {
        name: clone(value) if isinstance(value, (ast.AST, list)) else value for name, value in ast.iter_fields(node)
    }
    for attr in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
        if hasattr(node, attr):
            fields[attr] = getattr(node, attr)
    return node.__class__(**fields)


def walk_stmts(stmts):
    """Every statement in ``stmts``, nested bodies included, in order."""
    for s in stmts:
        yield s
        if isinstance(s, If):
            yield from walk_stmts(s.body)
            yield from walk_stmts(s.orelse)
        elif isinstance(s, (For, While)):
            yield from walk_stmts(s.body)
