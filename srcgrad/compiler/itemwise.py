"""A gradient called, inside a function being differentiated, with lists, tuples or dicts whose items the caller
knows: the gradient taken item by item, put back in the container.

A gradient's general code (the one a calling function differentiates through) takes a list argument's gradient
as one array, which a list of arrays of several shapes cannot be, and a dict argument's as an array too. Where
the caller knows the items (``[a, b]`` written in the call, a list or tuple built in the function, a dict argument
whose keys the specialisation knows), the call reads instead as a call of two functions written here:

* ``fun_items(x, xs_0, xs_1)``: ``fun(x, [xs_0, xs_1])``, each item a parameter of its own, whose gradient with
  respect to the items is a tuple of arrays of any shapes;
* ``dfun_items(x, xs, *, dout)``: ``g = DFLAT(x, xs[0], xs[1], dout=dout)``, then the items' gradients put back
  in the container (``[g[0], g[1]]``, ``(g[0], g[1])``, ``{'a': g[0], 'b': g[1]}``), which is what the gradient
  returns when called with that container.

Both are written at the line of the user's function (``fun_items``) and of the call (``dfun_items``), so a refusal
inside them names the user's file and line.
"""

import ast


from . import speckey
from .parse import lift_function, parse_function

__all__ = ["ItemForms", "item_functions"]


class ItemForms:
    """The item-by-item forms of one gradient, made once per container structure and call site.

    Args:
        fn: the user's function.
        signature: its ``inspect.Signature``.
        wrt, wrt_tuple, preserve_result, optimize: the gradient's (see ``item_functions``).
        gradient_class: ``GradFunction``.
    """

    def __init__(self, fn, signature, wrt, wrt_tuple, preserve_result, optimize, gradient_class):
        self.fn, self.wrt, self.wrt_tuple, self.preserve_result = fn, wrt, wrt_tuple, preserve_result

        def make_gradient(function, names):
            return gradient_class(function, wrt=names, preserve_result=preserve_result, optimize=optimize)

        self.make_gradient = make_gradient
        kinds = [(p.name, p.kind) for p in signature.parameters.values()]
        self.params = [n for n, k in kinds if k in (k.POSITIONAL_ONLY, k.POSITIONAL_OR_KEYWORD, k.KEYWORD_ONLY)]
        self.kwonly = [n for n, k in kinds if k == k.KEYWORD_ONLY]
        self.made = {}

    def target(self, positional, keywords, call_site):
        """``dfun_items`` for a call whose arguments are ``positional`` and ``keywords`` (each ``None`` or the
        container it is: ``("list", 2)``, ``("tuple", 3)``, ``("dict", keys)``) at ``call_site`` (see
        ``item_functions``), or ``None`` when no container is an argument the gradient is taken with respect to
        (or the names clash)."""
        structure = [None] * len(self.params)
        for i, s in enumerate(positional[: len(self.params)]):
            structure[i] = s
        for k, s in keywords.items():
            if k in self.params:
                structure[self.params.index(k)] = s
        if not any(s is not None and p in self.wrt for p, s in zip(self.params, structure)):
            return None
        filename, _, lineno, with_dout = call_site
        key = (tuple(structure), filename, lineno, with_dout)
        if key not in self.made:
            made = item_functions(
                self.fn,
                self.params,
                self.kwonly,
                structure,
                self.wrt,
                self.wrt_tuple,
                self.preserve_result,
                self.make_gradient,
                call_site,
                None,
            )
            self.made[key] = None if made is None else made[0]
        return self.made[key]

    def call(self, args, key, dout):
        """The gradient at ``args`` (bound, one per parameter; ``key`` their specialisation key) where a wrt
        argument is a list or tuple of arrays or numbers of several shapes: a list or tuple of the items'
        gradients, or ``None`` where this form does not apply (nested lists)."""
        structure = []
        for p, k in zip(self.params, key):
            ragged = isinstance(k, speckey.Ragged) and p in self.wrt
            structure.append(k.layout() if ragged else None)  # (the items' shapes: not needed)
        parsed = parse_function(self.fn)
        by_items = self.target(structure, {}, (parsed.filename, parsed.lines, parsed.node.lineno, dout is not None))
        if by_items is None:
            return None
        given = {p: a for p, a in zip(self.params, args) if p in self.kwonly}
        if dout is not None:
            given["dout"] = dout
        return by_items(*[a for p, a in zip(self.params, args) if p not in self.kwonly], **given)


def _subs(kind, items):
    """``[(key, item layout or None)]`` of a container's layout (see ``speckey.Ragged.layout``): ``items`` is the
    dict's keys, the number of a list's or tuple's arrays, or a list's or tuple's items' layouts (nested)."""
    if kind == "dict":
        return [(k, None) for k in items]
    if type(items) is int:
        return [(j, None) for j in range(items)]
    return list(enumerate(items))


def _leaf_names(name, kind, items):
    """The parameters ``fun_items`` takes for a container's arrays, in order: ``xs_0, xs_1`` (``d_0`` for a
    dict's first key), ``params_0_0, params_0_1, params_1_0, ...`` for a list of tuples."""
    names = []
    for j, (_, sub) in enumerate(_subs(kind, items)):
        names += [f"{name}_{j}"] if sub is None else _leaf_names(f"{name}_{j}", *sub)
    return names


def _spelled(name, kind, items, inner=False):
    """How ``fun_items`` rebuilds the container from its items' parameters: ``[xs_0, xs_1]``, ``(t_0,)``,
    ``{'a': d_0}``; a list of containers is a tuple of them, ``((params_0_0, params_0_1), (params_1_0,
    params_1_1))``, which the compiler keeps item by item and reads only (as it reads a list of tuples given to a
    function), and a list inside another (``inner``) ``list((params_0_0, params_0_1))``, kept the same way."""
    subs = _subs(kind, items)
    parts = [
        f"{name}_{j}" if sub is None else _spelled(f"{name}_{j}", *sub, inner=True) for j, (_, sub) in enumerate(subs)
    ]
    if kind == "dict":
        return "{" + ", ".join(f"{k!r}: {part}" for (k, _), part in zip(subs, parts)) + "}"
    if kind == "list" and inner:
        return "list((" + ", ".join(parts) + ("," if len(parts) == 1 else "") + "))"
    if kind == "list" and type(items) is int:
        return "[" + ", ".join(parts) + "]"
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def _item_reads(name, kind, items):
    """How ``dfun_items`` reads the container's arrays: ``xs[0], xs[1]``, ``d['a']``, ``params[0][1]``."""
    reads = []
    for k, sub in _subs(kind, items):
        reads += [f"{name}[{k!r}]"] if sub is None else _item_reads(f"{name}[{k!r}]", *sub)
    return reads


def _at_line(fdef, lineno):
    """``fdef`` with every node at ``lineno`` (the user's line it stands for)."""
    for node in ast.walk(fdef):
        if isinstance(node, (ast.stmt, ast.expr, ast.arg, ast.keyword, ast.arguments)) or hasattr(node, "lineno"):
            node.lineno, node.col_offset = lineno, 0
            node.end_lineno, node.end_col_offset = lineno, 0
    return fdef


def _function(text, name, values, filename, lines, lineno, qualname):
    fdef = _at_line(ast.parse(text).body[0], lineno)
    return lift_function(fdef, name, [], values, filename, lines, qualname=qualname)


def item_functions(fn, params, kwonly, structure, wrt, wrt_tuple, preserve_result, make_gradient, call_site, source):
    """The two functions a call with containers reads as (see the module docstring).

    Args:
        fn: the user's function the gradient is of.
        params: its parameter names (positional ones first, then ``kwonly``).
        kwonly: its keyword-only parameters.
        structure: per parameter, ``None`` or the container it is given (``("list", 2)``, ``("dict", keys)``).
        wrt: the names the gradient is taken with respect to; ``wrt_tuple``: it returns a tuple of them.
        preserve_result: it returns ``(value, gradient)`` (``value_and_grad``).
        make_gradient: ``make_gradient(function, wrt names)``: the gradient of ``fun_items`` (a ``GradFunction``).
        call_site: ``(filename, lines, lineno, with_dout)`` of the call: where ``dfun_items`` is said to be, and
            whether the call passes ``dout``.
        source: the source text ``fn`` was given with, or ``None``.

    Returns:
        ``(dfun_items, gradient of fun_items)``, or ``None`` when a parameter's name is one these functions use
        for themselves (``FUN``, ``DFLAT``, ``g``, ``value``, ``dout``, ``gradients_0``, an item's ``xs_0``).
    """
    taken = {"FUN", "DFLAT", "g", "value", "dout"}
    if taken & set(params) or any(p.startswith("gradients_") for p in params):
        return None
    parsed = parse_function(fn, source=source)
    name = fn.__name__ if fn.__name__.isidentifier() else "fun"
    flat_params, flat_of = [], {}
    for p, s in zip(params, structure):
        if s is None:
            flat_of[p] = [p]
        else:
            flat_of[p] = _leaf_names(p, *s)
        flat_params += flat_of[p]
    if len(set(flat_params)) != len(flat_params):
        return None
    passed = []
    for p, s in zip(params, structure):
        value = p if s is None else _spelled(p, *s)
        passed.append(f"{p}={value}" if p in kwonly else value)
    flat_name = f"{name}_items"
    text = f"def {flat_name}({', '.join(flat_params)}):\n    return FUN({', '.join(passed)})\n"
    flat = _function(
        text,
        flat_name,
        {"FUN": fn},
        parsed.filename,
        parsed.lines,
        parsed.node.lineno,
        f"{fn.__qualname__}.<items>",
    )
    flat_wrt = tuple(q for p in wrt for q in flat_of[p])
    gradient = make_gradient(flat, flat_wrt)

    filename, lines, lineno, with_dout = call_site
    reads = []
    for p, s in zip(params, structure):
        reads += [p] if s is None else _item_reads(p, *s)
    positional = [p for p in params if p not in kwonly]
    signature = ", ".join(positional + (["*"] + [p for p in kwonly] if kwonly or with_dout else []))
    if with_dout:
        signature += ", dout"
        reads.append("dout=dout")
    body = f"    value, g = DFLAT({', '.join(reads)})\n" if preserve_result else f"    g = DFLAT({', '.join(reads)})\n"
    position, parts = 0, []
    for k, p in enumerate(wrt):
        s = structure[params.index(p)]
        count = len(flat_of[p])
        got = [f"g[{position + j}]" for j in range(count)]
        position += count
        if s is None:
            parts.append(got[0])
        else:  # each container under a name of its own (a list returned: the caller's name becomes its only one)
            body += f"    gradients_{k} = {_spelled_from(s, got)}\n"
            parts.append(f"gradients_{k}")
    result = f"({', '.join(parts)}{',' if len(parts) == 1 else ''})" if wrt_tuple else parts[0]
    body += f"    return value, {result}\n" if preserve_result else f"    return {result}\n"
    text = f"def d{name}_items({signature}):\n{body}"
    wrapper = _function(
        text, f"d{name}_items", {"DFLAT": gradient}, filename, lines, lineno, f"{fn.__qualname__}.<items gradient>"
    )
    return wrapper, gradient


def _spelled_from(structure, got):
    """The container of gradients ``got`` (expressions, one per array, in order) in the form of ``structure``
    (nested containers nested alike)."""
    kind, items = structure
    got = iter(got)
    subs = _subs(kind, items)
    parts = [next(got) if sub is None else _spelled_from(sub, got) for _, sub in subs]
    if kind == "dict":
        return "{" + ", ".join(f"{k!r}: {part}" for (k, _), part in zip(subs, parts)) + "}"
    if kind == "list":
        return "[" + ", ".join(parts) + "]"
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
