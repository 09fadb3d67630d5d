"""Read rules from the table as syntax, so generated code says ``dy * np.cos(x)``.

Not a pass: a helper the reverse and forward passes share. For a rule function
(a ``lambda`` on its own line, or a ``def`` whose body is straight-line code
ending in ``return``) ``template`` returns its parameters and body as ``ast``;
``instantiate`` substitutes the call's operands for the parameters and binds
the names the body reads (``np``, helpers of the rules package) into the
generated module's namespace. Anything else (branches, ``**kwargs``, several
lambdas on one line that cannot be told apart) is called instead of inlined,
so the output is correct either way.
"""

import ast
import inspect
import linecache
import types

from .astwalk import Transformer, walk
from .ir import clone
from .parse import parse_module

__all__ = ["template", "instantiate", "Template"]

_TEMPLATES = {}
_MODULE_TREES = {}  # file name -> (lambdas by line, defs by name): see _definitions


class Template:
    """A rule function as syntax.

    Attributes:
        fn: the rule function.
        params: its parameter names (``g``, ``ans``, ``x``, ...).
        defaults: ``{name: value}`` for parameters with defaults.
        body: statements before the result (``def`` rules), as ``ast``.
        result: the returned expression, as ``ast``.
        free: names the body reads that are not parameters or locals.
        locals: names the body assigns.
    """

    def __init__(self, fn, params, defaults, body, result, free, locals_):
        self.fn, self.params, self.defaults = fn, params, defaults
        self.body, self.result, self.free, self.locals = body, result, free, locals_


def _definitions(filename):
    """``(lambdas, defs)`` of the module in ``filename``: its ``ast.Lambda`` nodes by line and its
    ``ast.FunctionDef`` nodes by name, each list in ``ast.walk`` order; ``None`` when it cannot be read.
    (Made once per module: a rule module holds hundreds of rules, and walking it for each was most of the
    time spent making templates.)"""
    found = _MODULE_TREES.get(filename)
    if found is None:
        lines = linecache.getlines(filename)
        if not lines:
            return None
        try:
            tree = parse_module("".join(lines))
        except SyntaxError:
            return None
        lambdas, defs = {}, {}
        for n in ast.walk(tree):
            if isinstance(n, ast.Lambda):
                lambdas.setdefault(n.lineno, []).append(n)
            elif isinstance(n, ast.FunctionDef):
                defs.setdefault(n.name, []).append(n)
        found = _MODULE_TREES[filename] = (lambdas, defs)
    return found


def template(fn):
    """The ``Template`` of rule function ``fn``, or ``None`` when it must be called, not inlined."""
    try:
        return _TEMPLATES[fn]
    except KeyError:
        pass
    except TypeError:
        return None
    t = _make_template(fn)
    _TEMPLATES[fn] = t
    return t


def _make_template(fn):
    if not isinstance(fn, types.FunctionType):
        return None
    code = fn.__code__
    if code.co_flags & inspect.CO_VARKEYWORDS:
        return None
    found = _definitions(code.co_filename)
    if found is None:
        return None
    lambdas, defs = found
    params = list(code.co_varnames[: code.co_argcount])
    vararg = code.co_varnames[code.co_argcount + code.co_kwonlyargcount] if code.co_flags & inspect.CO_VARARGS else None
    kwonly = list(code.co_varnames[code.co_argcount : code.co_argcount + code.co_kwonlyargcount])
    if fn.__name__ == "<lambda>":
        cands = [n for n in lambdas.get(code.co_firstlineno, ()) if [a.arg for a in n.args.args] == params]
        if len(cands) > 1:
            cands = [c for c in cands if _same_code(c, code)]
        if len(cands) != 1:
            return None
        node = cands[0]
        body, result = [], node.body
    else:
        cands = [
            n
            for n in defs.get(fn.__name__, ())
            if min([n.lineno] + [d.lineno for d in n.decorator_list]) == code.co_firstlineno
        ]
        if len(cands) != 1:
            return None
        node = cands[0]
        stmts = [s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
        if not stmts or not isinstance(stmts[-1], ast.Return) or stmts[-1].value is None:
            return None
        for s in stmts[:-1]:
            if (
                isinstance(s, ast.If)
                and not s.orelse
                and len(s.body) == 1
                and isinstance(s.body[0], ast.Return)
                and s.body[0].value is not None
            ):
                continue  # "if ndim_of(y) == 1: return ..." -- decided per call from static shapes
            if not (isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)):
                return None
        body, result = stmts[:-1], stmts[-1].value
    for sub in ast.walk(node):
        if (
            isinstance(sub, (ast.Lambda, ast.ListComp, ast.GeneratorExp, ast.DictComp, ast.SetComp, ast.NamedExpr))
            and sub is not node
        ):
            return None
    defaults = {}
    if fn.__defaults__:
        for p, d in zip(params[len(params) - len(fn.__defaults__) :], fn.__defaults__):
            defaults[p] = d
    defaults.update(fn.__kwdefaults__ or {})
    locals_ = {s.targets[0].id for s in body if isinstance(s, ast.Assign)}
    names = set(params) | set(kwonly) | ({vararg} if vararg else set())
    free = set()
    for stmt in body + [ast.Expr(value=result)]:
        for sub in ast.walk(stmt):
            if isinstance(sub, ast.Name) and sub.id not in names and sub.id not in locals_:
                free.add(sub.id)
    t = Template(fn, params + kwonly, defaults, body, result, free, locals_)
    t.vararg = vararg
    t.npositional = len(params)
    return t


def _same_code(lam, code):
    try:
        compiled = compile(ast.Expression(body=lam), code.co_filename, "eval")
    except (SyntaxError, ValueError):
        return False
    inner = [c for c in compiled.co_consts if isinstance(c, types.CodeType)]
    return bool(inner) and inner[0].co_code == code.co_code and inner[0].co_names == code.co_names


def _literal(value):
    return value is None or isinstance(value, (bool, int, float, str))


def _decide(test, ndims):
    """The truth of a branch test ``ndim_of(p) <op> k`` (with and/or/not) from static ranks, or ``None``."""
    import operator as op

    ops = {ast.Eq: op.eq, ast.NotEq: op.ne, ast.Lt: op.lt, ast.LtE: op.le, ast.Gt: op.gt, ast.GtE: op.ge}
    if isinstance(test, ast.BoolOp):
        values = [_decide(v, ndims) for v in test.values]
        if isinstance(test.op, ast.And):
            return False if False in values else (None if None in values else True)
        return True if True in values else (None if None in values else False)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        v = _decide(test.operand, ndims)
        return None if v is None else not v
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and type(test.ops[0]) in ops
        and isinstance(test.left, ast.Call)
        and isinstance(test.left.func, ast.Name)
        and test.left.func.id == "ndim_of"
        and len(test.left.args) == 1
        and isinstance(test.left.args[0], ast.Name)
        and isinstance(test.comparators[0], ast.Constant)
    ):
        rank = ndims.get(test.left.args[0].id)
        if rank is None:
            return None
        return ops[type(test.ops[0])](rank, test.comparators[0].value)
    return None


def instantiate(t, operands, ns, namer, literal_node, ndims=None):
    """Substitute ``operands`` (``{param: ast expr}``) into template ``t``.

    Args:
        t: a ``Template``.
        operands: the ``ast`` expression each parameter stands for; parameters
            missing here take their default.
        ns: the generated module's ``Namespace`` (free names are bound in it).
        namer: the ``Namer`` (the body's locals get fresh names).
        literal_node: ``value -> ast expr`` for defaults that are not literals.
        ndims: ``{param: rank}`` where the operand's rank is known statically;
            decides branches written ``if ndim_of(p) == 1: return ...``.

    Returns:
        ``(statements, expression)`` or ``None`` when a parameter has no value.
    """
    mapping = {}
    if t.vararg:
        if t.vararg not in operands:
            return None
        mapping[t.vararg] = operands[t.vararg]
    for p in t.params:
        if p in operands:
            mapping[p] = operands[p]
        elif p in t.defaults:
            d = t.defaults[p]
            mapping[p] = ast.Constant(value=d) if _literal(d) else literal_node(d, p)
        else:
            return None
    renames = {}
    fn = t.fn
    cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
    for name in t.free:
        if name in cells:
            value = cells[name].cell_contents
        elif name in fn.__globals__:
            value = fn.__globals__[name]
        else:
            import builtins

            if not hasattr(builtins, name):
                return None
            value = getattr(builtins, name)
        if _literal(value):
            renames[name] = ast.Constant(value=value)
        else:
            renames[name] = ast.Name(id=ns.bind(value, name), ctx=ast.Load())
    for name in t.locals:
        renames[name] = ast.Name(id=namer.fresh(name), ctx=ast.Load())

    stmts = []
    result = t.result
    for s in t.body:
        if isinstance(s, ast.If):
            decided = _real_test(s.test) if ns.real_values else None
            if decided is None:
                decided = _decide(s.test, ndims or {})
            if decided is None:
                return None
            if decided:
                result = s.body[0].value
                break
            continue
        stmts.append(_fill(_real(s, fn) if ns.real_values else s, mapping, renames))
    expr = _fill(_real(result, fn) if ns.real_values else result, mapping, renames)
    return stmts, expr


def _real_test(test):
    """The truth of a rule's branch test ``is_complex(p)`` or ``not is_complex(p)`` where no complex value can
    occur, or ``None`` for any other test."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _real_test(test.operand)
        return None if inner is None else not inner
    if (
        isinstance(test, ast.Call)
        and isinstance(test.func, ast.Name)
        and test.func.id == "is_complex"
        and len(test.args) == 1
        and not test.keywords
    ):
        return False
    return None


class _DropConj(Transformer):
    """Replaces the rules' ``conj(e)`` and ``np.real(e)`` by ``e`` (both the identity on real values)."""

    def __init__(self, conj, real):
        self.conj, self.real = conj, real

    def visit_Call(self, node):
        self.generic_visit(node)
        if len(node.args) == 1 and not node.keywords and self._is_identity(node.func):
            return node.args[0]
        return node

    def _is_identity(self, func):
        if isinstance(func, ast.Name):
            return self.conj is not None and func.id == self.conj
        return (
            isinstance(func, ast.Attribute)
            and func.attr == "real"
            and isinstance(func.value, ast.Name)
            and func.value.id == self.real
        )


_REAL_TREES = {}  # id(template tree) -> (the tree, kept so the id stays its own; its real-values version)


def _real(node, fn):
    """The template tree ``node`` of rule ``fn`` for real values only: without ``conj(...)`` and ``np.real(...)``.

    Made once per tree (templates live as long as the process, and ``_fill`` copies what it is given)."""
    found = _REAL_TREES.get(id(node))
    if found is not None and found[0] is node:
        return found[1]
    real = _make_real(node, fn)
    _REAL_TREES[id(node)] = (node, real)
    return real


def _make_real(node, fn):
    from ..rules.helpers import conj
    import numpy

    names = fn.__globals__
    conj_name = next((k for k, v in names.items() if v is conj), None)
    np_name = next((k for k, v in names.items() if v is numpy), None)
    if conj_name is None and np_name is None:
        return node
    return _DropConj(conj_name, np_name).visit(clone(node))


_LOCATION = ("lineno", "col_offset", "end_lineno", "end_col_offset")


def _fill(node, mapping, renames):
    """A copy of the template tree ``node`` with operands and renamed names put in, in one walk.

    A parameter ``p`` becomes a copy of ``mapping[p]``, a free or local name a copy
    of ``renames[name]`` (a stored local stays a store); then ``a if p is None else
    b`` is decided where a literal was put in for ``p`` (see ``_none_test``), also
    inside the operands.
    """
    if isinstance(node, ast.Name):
        if node.id in mapping:
            new = clone(mapping[node.id])
            if not isinstance(new, (ast.Name, ast.Constant)) and _has_ifexp(new):
                new = _NoneTests().visit(new)
            return new
        if node.id in renames:
            new = clone(renames[node.id])
            if isinstance(node.ctx, ast.Store) and isinstance(new, ast.Name):
                new.ctx = ast.Store()
            return new
        return clone(node)
    fields = {}  # every field passed to the constructor (Python 3.13 deprecates leaving required ones out)
    for name in node._fields:
        try:
            value = getattr(node, name)
        except AttributeError:
            continue
        if isinstance(value, list):
            value = [_fill(v, mapping, renames) if isinstance(v, ast.AST) else v for v in value]
        elif isinstance(value, ast.AST):
            value = _fill(value, mapping, renames)
        fields[name] = value
    for attr in _LOCATION:
        if hasattr(node, attr):
            fields[attr] = getattr(node, attr)
    new = node.__class__(**fields)
    if isinstance(new, ast.IfExp):
        return _none_test(new)
    return new


def _has_ifexp(node):
    return any(isinstance(n, ast.IfExp) for n in walk(node))


def _none_test(node):
    """``a if p is None else b`` with a literal in place of ``p``: ``a`` or ``b``; any other ``node`` unchanged.

    The code reads better, and Python warns about ``(1, 0) is None``."""
    test = node.test
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], (ast.Is, ast.IsNot))
        and _literal_node(test.left)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
    ):
        is_none = isinstance(test.left, ast.Constant) and test.left.value is None
        return node.body if is_none == isinstance(test.ops[0], ast.Is) else node.orelse
    return node


class _NoneTests(Transformer):
    """Applies ``_none_test`` to every conditional expression, innermost first."""

    def visit_IfExp(self, node):
        self.generic_visit(node)
        return _none_test(node)


def _literal_node(node):
    return isinstance(node, ast.Constant) or isinstance(node, ast.Tuple) and all(_literal_node(e) for e in node.elts)
