"""Complex values at higher order: a function calling a generated derivative where complex values may flow.

The generated code of a gradient is written for its own call, which gives real inputs the real part of their
gradients; a function calling it with complex values flowing is transformed again with the calls read in their
complex form (``COMPLEX_INLINE``, ``with_complex_retry``), the gradient of each real input projected back by
``real_gradients``; a derivative of generated code itself is refused (``refuse_complex_higher_order``)."""

import ast
import contextvars

__all__ = [
    "COMPLEX_INLINE",
    "NeedsComplexInline",
    "with_complex_retry",
    "real_gradients",
    "refuse_complex_higher_order",
]

COMPLEX_INLINE = contextvars.ContextVar("srcgrad_complex_inline", default=False)
"""True while a function calling a ``GradFunction`` or ``JVPFunction`` is transformed again with complex values
flowing: the calls are then read in their complex form (``inline_target``)."""


class NeedsComplexInline(Exception):
    """A function calling a generated derivative met complex values: transform it again with the calls read in
    their complex form."""


def with_complex_retry(make):
    """``make()``, made again with ``COMPLEX_INLINE`` set when it met complex values flowing through a call of a
    generated derivative read in its real form."""
    try:
        return make()
    except NeedsComplexInline:
        token = COMPLEX_INLINE.set(True)
        try:
            return make()
        finally:
            COMPLEX_INLINE.reset(token)


def real_gradients(parsed, fdef, wrt_names, preserve_result, wrt_tuple, namer, ns):
    """End the generated gradient ``fdef`` with ``real_like(gradient, input)`` for each ``wrt`` input (the real part
    for a real input), the input read as it was given (the body may rebind the parameter)."""
    from ..rules.generated import real_like

    ret = fdef.body[-1]
    grads = getattr(ret, "value", None)
    if preserve_result and isinstance(grads, ast.Tuple):
        grads = grads.elts[-1]
    if not isinstance(ret, ast.Return) or grads is None or (wrt_tuple and not isinstance(grads, ast.Tuple)):
        raise parsed.error(
            parsed.node,
            "a derivative of a derivative where complex values may flow is not "
            "supported by the compiler here (the gradient does not end with one return)",
            "Use dynamic mode for it: Tensors and srcgrad.autograd.grad(..., create_graph=True).",
        )
    helper = ns.bind(real_like, "real_like")
    given = {p: namer.fresh(f"{p}_given") for p in wrt_names}

    def project(node, p):
        return ast.Call(
            func=ast.Name(id=helper, ctx=ast.Load()), args=[node, ast.Name(id=given[p], ctx=ast.Load())], keywords=[]
        )

    if wrt_tuple:
        grads.elts = [project(g, p) for g, p in zip(grads.elts, wrt_names)]
    elif grads is ret.value:
        ret.value = project(grads, wrt_names[0])
    else:
        ret.value.elts[-1] = project(grads, wrt_names[0])
    fdef.body[:0] = [
        ast.Assign(targets=[ast.Name(id=given[p], ctx=ast.Store())], value=ast.Name(id=p, ctx=ast.Load()), lineno=0)
        for p in wrt_names
    ]


def refuse_complex_higher_order(parsed, fn, scopes, may_be_complex):
    """Refuse a derivative of generated code (``grad(grad(f))``) where complex values may flow: the generated code
    of the inner gradient is written for its own call, which gives real inputs the real part of their gradients.
    A function calling a ``GradFunction`` or ``JVPFunction`` is made again with the calls read in their complex
    form (``NeedsComplexInline``)."""
    if not may_be_complex:
        return
    generated = fn.__code__.co_filename.startswith("<srcgrad:")
    inlined = any(name == "generated" for scope in scopes for _, _, name, _ in scope.deps)
    if inlined and not generated and not COMPLEX_INLINE.get():
        raise NeedsComplexInline()
    if generated:
        raise parsed.error(
            parsed.node,
            "a derivative of a derivative where complex values may flow is not supported by the compiler",
            "Use dynamic mode for it: Tensors and srcgrad.autograd.grad(..., create_graph=True).",
        )
