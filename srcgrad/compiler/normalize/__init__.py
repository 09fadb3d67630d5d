"""Pass 3, normalize: one primitive per assignment, one return, structured jumps.

Input: a fenced ``ParsedFunction``. Output: a ``NormalFunction`` (see ``ir.py``)
with these guarantees:

* every statement that computes is ``Assign(target, value)`` whose value is one
  primitive call (``Prim``), an identity (``Copy``/``Cast``), a call with no rule
  (``Opaque``) or an expression with no derivative (``NonDiff``); operands are
  variables or constants;
* calls of the user's own Python functions (same module, imported, nested,
  lambdas) are inlined, their locals renamed apart, keyword and default
  arguments bound;
* array methods and attributes are mapped to numpy functions
  (``x.sum(axis=0)`` -> ``np.sum(x, axis=0)``, ``x.T`` -> ``np.transpose(x)``);
* every ``for`` loop is a ``range`` loop: loops over arrays, lists, tuples,
  ``enumerate`` and ``zip`` read their element with ``getitem``;
* an ``if`` tests a variable assigned just before it;
* tuples and dicts built in the function exist only at compile time: each item
  is a variable of its own, which a rebinding inside a branch or loop assigns
  (same layout on every path); a tuple grown there (``t = t + (v,)``) is a
  list; ``lst[i] = v`` on a list is a ``ListSet`` statement;
* ``return`` appears once, last; ``break``/``continue`` are the last statement
  of their branch (what followed them moved into the branch that falls
  through), so the reverse pass can treat every branch as straight-line code.

The lowering is split by the constructs it lowers, one mixin per module, combined in ``Normalizer``:
``statements`` (assignments, augmented assignments, expression statements), ``expressions`` (operators,
attributes, methods and calls), ``containers`` (tuples and dicts kept at compile time, lists, indexing),
``library`` (``np.linalg.svd``, ``np.gradient``), ``control`` (branches, loops, jumps, returns), ``spread`` (``f(*seq)``, ``tuple(seq)``), ``inlining`` (the
user's own functions) and ``makers`` (``srcgrad.grad(f)(x)`` written inside the function); ``core`` holds what
they all use. Each module's docstring states what its part guarantees.
"""

import ast

import numpy as np

from ..ir import (
    Assign,
    Const,
    For,
    If,
    NormalFunction,
    Return,
    Var,
    While,
)
from ..nodes import stmt_reads
from ..parse import Scope
from .containers import Containers
from .control import ControlFlow, mark_breaks
from .core import Consulted, Core, Ctx, DictLiteral, StaticDict, local_names
from .expressions import Expressions
from .inlining import Inlining
from .library import LibraryCalls
from .makers import Makers
from .spread import Spreading
from .statements import Statements

__all__ = ["normalize", "specialisation_view"]


class Normalizer(Statements, Expressions, LibraryCalls, Containers, Spreading, ControlFlow, Inlining, Makers, Core):
    """Flattens one function (and what it inlines) into ``ir`` statements.

    Args:
        parsed: the fenced ``ParsedFunction``.
        namer: the transformation's ``Namer``.
        ns: the generated module's ``Namespace``.
    """

    def __init__(self, parsed, namer, ns):
        self.parsed = parsed
        self.namer = namer
        self.ns = ns
        self.out = []
        self.bookkeeping = set()
        self.inline_stack = [parsed.fn.__code__]
        self.yield_sinks = []  # the for loops reading the generators being inlined (innermost last)
        self.lists = set()
        self.temp_lists = set()
        self.return_temps = set()
        self.params = set()
        self.rebound = set()
        self.static = {}
        self.multi_outputs = set()
        self.values_of = {}  # variable -> [(value, block_path of its assignment)] for the values it may hold
        self.written_into = set()
        self.plainly_rebound = set()  # top-level parameters given a new value outside any branch or loop
        self.copied_params = {}  # top-level parameter written into -> the line of its first write
        self.generated = {}  # variable -> the file of the generated code (a gradient) it was inlined from
        self.display = {}  # variable -> the user's spelling (helper locals renamed apart, dict and tuple items)
        self.control_depth = 0
        self.range_targets = []  # the variables of the range loops being written (numbers: no assignment inside)
        self.block_path = (0,)  # the branch or loop body being written: one number per level, new per body
        self._blocks = 0
        self.deps = [parsed.scope]
        self.dicts_made = []  # every StaticDict, for the keys-present bookkeeping at branches and loops
        self.entry_vars = set()  # variables that hold a tuple's or dict's item
        self.private_items = set()  # fresh values made only to be a list's item (no other name sees them)
        self.fresh_lists = set()  # lists made in place ([a, b]) with no name of their own
        self.list_inplace = []  # the ListSet statements of lst[i] op= v
        self.dict_keys = {}  # dict arguments: their keys in order, from the specialisation
        self.tuple_result = False  # a tuple of values may be returned (see ``normalize``)
        self.static_args = {}  # function arguments: parameter -> the function (from the specialisation)
        self.text_params = {}  # string arguments: parameter -> value (see ``normalize``)
        self.known_none = set()  # a helper's parameter given None (its default, never rebound): `if ax:` is known
        self.generators = set()  # variables given a random generator made in the function (np.random.RandomState(0))
        self.known_ints = {}  # a rule-table helper's parameter given an integer literal (never rebound) -> it
        self.param_shapes = {}  # argument -> its symbolic shape in this specialisation (() for a number)
        self.ragged_params = {}  # list or tuple arguments of several shapes -> (container, length) or None
        self.changed_lists = set()  # lists an append, item assignment or pop changes
        self.items_read = {}  # list -> the call of a gradient that read its items (see ``Makers.container_given``)
        self.known_params = {}  # parameter -> its specialisation key part (a number, an array's shape; see ``normalize``)
        self.stored_params = set()  # parameters the function assigns
        self.results_named_twice = []  # (results, second name, node, ctx): see Statements.store
        self.results_lists = set()  # lists holding a call's several results (multi_outputs and their names)

    def run(self):
        fdef = self.parsed.node
        names = local_names(fdef)
        self.namer.reserve_user(*names)
        self.namer.reserve_user(*(n.id for n in ast.walk(fdef) if isinstance(n, ast.Name)))
        self.display.update({n: n for n in names})
        ctx = Ctx(self.parsed, {n: n for n in names}, self.parsed.scope, {}, code=self.parsed.fn.__code__, fdef=fdef)
        if self.static_args:  # a function argument the body rebinds is a value like any other
            stored = {n.id for n in ast.walk(fdef) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
            self.static_args = {p: f for p, f in self.static_args.items() if p not in stored}
        # The user's globals keep their names in the generated module.
        for n in ast.walk(fdef):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in ctx.rename:
                value = ctx.scope.lookup(n.id)
                if not Scope.missing(value):
                    self.ns.bind_global(n.id, value)
        params = [a.arg for a in fdef.args.posonlyargs + fdef.args.args + fdef.args.kwonlyargs]
        self.params = set(params)
        stored = {n.id for n in ast.walk(fdef) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        self.text_params = {p: v for p, v in self.text_params.items() if p in self.params and p not in stored}
        self.stored_params = self.params & stored  # (a parameter assigned holds other values than its argument)
        self.block(fdef.body, ctx)
        self.copy_written_params(ctx)
        self.check_aliases(ctx)
        self.check_items_read()
        self.check_results_named_twice()
        body = self.out
        body, result = self.lower_returns(body, ctx, top=True)
        result_layout = None
        containers = (tuple, StaticDict, DictLiteral)
        if self.tuple_result and (
            isinstance(result, (StaticDict, DictLiteral))
            or (isinstance(result, tuple) and any(isinstance(r, containers) for r in result))
        ):
            result_layout, result = self.returned_layout(result, fdef, ctx)
        if (
            self.tuple_result
            and isinstance(result, tuple)
            and (result or result_layout is not None)
            and all(isinstance(x, (Var, Const)) for x in result)
        ):
            pass  # several values returned (jvp gives one tangent per value)
        elif isinstance(result, (tuple, StaticDict, DictLiteral)):
            kind = "tuple" if isinstance(result, tuple) else "dict"
            raise ctx.error(fdef, f"srcgrad.grad needs a function returning one value; it returns a {kind}")
        body.append(Return(result, lineno=fdef.body[-1].lineno if fdef.body else fdef.lineno))
        mark_breaks(body)
        defaults = [self.const_expr(d, ctx) for d in fdef.args.defaults]
        if fdef.args.kwonlyargs:
            # keyword-only parameters follow the positional ones in the generated signature
            kw = [self.const_expr(d, ctx) if d is not None else None for d in fdef.args.kw_defaults]
            first = next((k for k, d in enumerate(kw) if d is not None), None)
            if first is not None and any(d is None for d in kw[first:]):
                raise ctx.error(fdef, "a keyword-only parameter without a default after one with a default")
            if defaults and any(d is None for d in kw):
                raise ctx.error(fdef, "a keyword-only parameter without a default after parameters with defaults")
            defaults = defaults + [d for d in kw if d is not None]
        return NormalFunction(
            name=fdef.name,
            params=params,
            defaults=defaults,
            body=body,
            filename=self.parsed.filename,
            lines=self.parsed.lines,
            bookkeeping=self.bookkeeping,
            display=self.display,
            owned_params=set(self.copied_params),
            generated=self.generated,
            result_layout=result_layout,
        )

    def returned_layout(self, result, fdef, ctx):
        """``(layout, values)`` of the dicts and tuples the function returns, for ``jvp`` (one tangent per value, in
        the same dicts and tuples): ``values`` the returned atoms in order, ``layout`` the containers around them
        (``NormalFunction.result_layout``).

        Raises:
            TransformError: at the function's line, for a key that may be missing on some path, a
                key that is not a string or a number, or a value that is neither an atom nor a tuple or dict.
        """
        values = []

        def walk(value):
            if isinstance(value, (StaticDict, DictLiteral)):
                missing = [k for k in value if isinstance(value, StaticDict) and k not in value.present]
                if missing:
                    raise ctx.error(
                        fdef, f"the returned dict may lack the key {missing[0]!r} (it is set on some paths only)"
                    )
                bad = [k for k in value if type(k) not in (str, int, float, bool)]
                if bad:
                    raise ctx.error(
                        fdef, f"the returned dict has the key {bad[0]!r}: srcgrad.jvp needs string or number keys"
                    )
                return ("dict", tuple((k, walk(v)) for k, v in value.items()))
            if isinstance(value, tuple):
                return ("tuple", tuple(walk(v) for v in value))
            if isinstance(value, (Var, Const)):
                values.append(value)
                return len(values) - 1
            raise ctx.error(fdef, "the function returns a container srcgrad.jvp cannot follow (arrays, tuples, dicts)")

        layout = walk(result)
        return layout, tuple(values)

    def copy_written_params(self, ctx):
        """Start the body with ``x = np.copy(x)`` for each parameter the function writes into (``x[0] = v``).

        The user's function changes the caller's array; its derivative must not (the caller may call it
        again), and the copy makes every later write one into the function's own array.
        """
        if not self.copied_params:
            return
        body, self.out = self.out, []
        for name, node in self.copied_params.items():
            self.emit(Assign(name, self.call_prim(np.copy, [Var(name)], {}, node, ctx), lineno=self.line(node, ctx)))
        self.out += body

    def check_aliases(self, ctx):
        """Mark the ``lst[i] op= v`` statements whose item another name may see (``check_list_inplace``).

        In-place writes to arrays that another name for the memory reads afterwards are ``aliasing``'s to refuse.
        """
        flat = []

        def visit(stmts, loops):
            for st in stmts:
                flat.append((st, loops))
                if isinstance(st, If):
                    visit(st.body, loops)
                    visit(st.orelse, loops)
                elif isinstance(st, (For, While)):
                    visit(st.body, loops + (id(st),))

        visit(self.out, ())
        self.check_list_inplace(flat, stmt_reads)


def normalize(
    parsed,
    namer,
    ns,
    dict_keys=None,
    static_args=None,
    tuple_result=False,
    text_params=None,
    param_shapes=None,
    ragged_params=None,
    known_params=None,
):
    """Normalize ``parsed`` (see the module docstring for the guarantees).

    Args:
        parsed: a fenced ``ParsedFunction``.
        namer: the ``Namer`` of this transformation.
        ns: the ``Namespace`` of the generated module.
        dict_keys: ``{parameter: keys in order}`` for the dict arguments of this specialisation
            (a loop over one is unrolled over its keys).
        tuple_result: the function may return a tuple of values (``return a, b``): the ``Return`` then holds a
            tuple of atoms (``jvp`` gives one tangent per value); otherwise that is refused.
        static_args: ``{parameter: function}`` for the functions this specialisation was given as arguments
            (the code calls that very function: it is inlined like a global one).
        text_params: ``{parameter: value}`` of string arguments of this specialisation: a parameter the function
            never assigns reads as its value written in (``np.einsum(subscripts, ...)``).
        param_shapes: ``{parameter: symbolic shape}`` of the array and number arguments of this specialisation.
        ragged_params: ``{parameter: (container, length) or None}`` for the list or tuple arguments holding arrays
            of several shapes (``None``: nested lists, whose items are not read one by one).
        known_params: ``{parameter: key part}`` of arguments this specialisation knows to be Python numbers (``1``)
            or arrays of a symbolic shape (a tuple): a compiled gradient called with a parameter the function never
            assigns is read in the form specialised on it (``Expressions.argument_kinds``).

    Returns:
        ``(NormalFunction, scopes)``: the program and the scopes of every inlined
        function (their lookups form the cache fingerprint).

    Raises:
        TransformError: a construct outside the subset, at the user's line.
    """
    n = Normalizer(parsed, namer, ns)
    n.dict_keys = dict(dict_keys or {})
    n.tuple_result = tuple_result
    n.static_args = dict(static_args or {})
    n.text_params = dict(text_params or {})
    n.param_shapes, n.ragged_params, n.known_params = specialisation_view(param_shapes, ragged_params, known_params)
    program = n.run()
    program.consulted = (n.param_shapes.asked, n.ragged_params.asked, n.known_params.asked)
    return program, n.deps


def specialisation_view(param_shapes=None, ragged_params=None, known_params=None):
    """``(param_shapes, ragged_params, known_params)`` as the pass reads them: ``Consulted`` mappings that record
    what it asked, for ``NormalFunction.consulted``."""
    shapes = Consulted({p: s for p, s in dict(param_shapes or {}).items() if isinstance(p, str)})
    return shapes, Consulted(dict(ragged_params or {})), Consulted(dict(known_params or {}))
