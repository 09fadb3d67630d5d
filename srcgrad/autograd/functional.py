"""Whole-function derivatives built on the tape: ``jacobian``, ``hessian``, ``vjp``, ``jvp``, ``hvp``, ``vhp``.

PyTorch's ``torch.autograd.functional`` signatures: ``func`` takes Tensors and
returns a Tensor (or a tuple of them); ``inputs`` is a Tensor or a tuple.
Forward-mode products (``jvp``) use the double-vjp trick: the VJP is linear
in its cotangent, so differentiating it with respect to that cotangent gives
the JVP.
"""

import numbers

import numpy as np

from ..errors import AutogradError
from .api import grad as _grad
from .grad_mode import enable_grad
from .graph import TENSOR

__all__ = ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"]


def _tuple(x):
    return (tuple(x), True) if isinstance(x, (tuple, list)) else ((x,), False)


def _outputs(out, name):
    """The function's output as ``(tuple of Tensors, was it a tuple)``.

    A number or numeric ndarray (numpy code that never touched an input Tensor returns one) does not depend on
    the inputs: it becomes a constant Tensor, whose derivatives are zeros (an error with ``strict=True``).

    Raises:
        AutogradError: an output is neither a Tensor nor a number or numeric array.
    """
    Tensor = TENSOR[0]
    outs, is_tuple = _tuple(out)
    fixed = []
    for k, o in enumerate(outs):
        if not isinstance(o, Tensor):
            if not isinstance(o, (numbers.Number, np.ndarray, np.generic)) or np.asarray(o).dtype.kind not in "iufc":
                raise AutogradError(
                    f"the function given to {name} must return a Tensor or a tuple of Tensors; "
                    f"output {k} is {type(o).__name__}"
                )
            o = Tensor._wrap(np.asarray(o))
        fixed.append(o)
    return tuple(fixed), is_tuple


def _single(out, name):
    """The one output of a scalar function, as a Tensor (see ``_outputs``)."""
    outs, is_tuple = _outputs(out, name)
    if is_tuple:
        raise AutogradError(f"the function given to {name} must return a single Tensor, not a tuple")
    return outs[0]


def _prepare(inputs, create_graph):
    Tensor = TENSOR[0]
    inputs, is_tuple = _tuple(inputs)
    prepared = []
    for k, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise AutogradError(f"input {k} of the function must be a Tensor, got {type(t).__name__}")
        if create_graph and t.requires_grad:
            prepared.append(t.view_as(t))  # stays in the caller's graph
        else:
            prepared.append(t.detach().requires_grad_(True))
    return tuple(prepared), is_tuple


def _finish(x, create_graph):
    if x is None:
        return None
    return x if create_graph else x.detach()


def _grads(outputs, inputs, grad_outputs, create_graph, strict, retain=True):
    needs = [o for o in outputs if o.requires_grad]
    if not needs:
        if strict:
            raise AutogradError("the output of the function does not depend on its inputs (strict=True)")
        return tuple(None for _ in inputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    found = _grad(
        [o for o, _ in pairs],
        list(inputs),
        [g for _, g in pairs],
        retain_graph=retain,
        create_graph=create_graph,
        allow_unused=True,
    )
    if strict and any(g is None for g in found):
        raise AutogradError("the output of the function is independent of one of its inputs (strict=True)")
    return found


def _zeros_if_none(grads, inputs):
    Tensor = TENSOR[0]
    return tuple(Tensor._wrap(np.zeros_like(i._value)) if g is None else g for g, i in zip(grads, inputs))


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """The function's output and the vector-Jacobian product ``v^T J``.

    Args:
        func: Tensors -> a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of them.
        v: the cotangent, shaped like the output (may be omitted for a single value).
        create_graph: make the result differentiable.
        strict: raise when an output does not depend on an input.

    Returns:
        ``(output, vjp)``; ``vjp`` is shaped like ``inputs``.
    """
    with enable_grad():
        ins, in_tuple = _prepare(inputs, create_graph)
        outs, out_tuple = _outputs(func(*ins), "vjp")
        if v is None:
            if any(np.size(o._value) != 1 for o in outs):
                raise AutogradError("the vector v can only be None if the output of the function is a single value")
            v = tuple(TENSOR[0]._wrap(np.ones_like(o._value)) for o in outs)
        else:
            v, _ = _tuple(v)
        grads = _zeros_if_none(_grads(outs, ins, v, create_graph, strict), ins)
    result = tuple(_finish(g, create_graph) for g in grads)
    outputs = tuple(_finish(o, create_graph) for o in outs)
    return (outputs if out_tuple else outputs[0]), (result if in_tuple else result[0])


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """The function's output and the Jacobian-vector product ``J v``.

    Args:
        func: Tensors -> a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of them.
        v: the tangent, shaped like ``inputs`` (may be omitted for a single value).
        create_graph: make the result differentiable.
        strict: raise when an output does not depend on an input.

    Returns:
        ``(output, jvp)``; ``jvp`` is shaped like the output.
    """
    Tensor = TENSOR[0]
    with enable_grad():
        ins, in_tuple = _prepare(inputs, create_graph)
        if v is None:
            if any(np.size(i._value) != 1 for i in ins):
                raise AutogradError("the vector v can only be None if the input to the function is a single value")
            v = tuple(Tensor._wrap(np.ones_like(i._value)) for i in ins)
        else:
            v, _ = _tuple(v)
        outs, out_tuple = _outputs(func(*ins), "jvp")
        dummies = tuple(Tensor._wrap(np.zeros_like(o._value)).requires_grad_(True) for o in outs)
        grads = _zeros_if_none(_grads(outs, ins, dummies, True, strict), ins)
        active = [(g, t) for g, t in zip(grads, v) if g.requires_grad]
        if active:
            found = _grad(
                [g for g, _ in active],
                list(dummies),
                [t for _, t in active],
                create_graph=create_graph,
                allow_unused=True,
            )
        else:
            found = (None,) * len(dummies)
        result = _zeros_if_none(found, outs)
    result = tuple(_finish(r, create_graph) for r in result)
    outputs = tuple(_finish(o, create_graph) for o in outs)
    return (outputs if out_tuple else outputs[0]), (result if out_tuple else result[0])


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``, one row (VJP) at a time.

    Args:
        func: Tensors -> a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of them.
        create_graph: make the result differentiable.
        strict: raise when an output does not depend on an input.
        vectorize: accepted for PyTorch compatibility; rows are always computed one by one.
        strategy: only ``"reverse-mode"``.

    Returns:
        For one input and one output, a Tensor of shape ``output.shape + input.shape``;
        otherwise tuples indexed ``[output][input]`` (collapsed where not tuples).
    """
    if strategy != "reverse-mode":
        raise AutogradError("jacobian supports strategy='reverse-mode' only")
    Tensor = TENSOR[0]
    with enable_grad():
        ins, in_tuple = _prepare(inputs, create_graph)
        outs, out_tuple = _outputs(func(*ins), "jacobian")
        table = []
        for o in outs:
            rows = [[] for _ in ins]
            flat = int(np.size(o._value))
            for k in range(flat):
                seed = np.zeros(flat, dtype=o.dtype)
                seed[k] = 1.0
                seed = Tensor._wrap(seed.reshape(o.shape))
                if o.requires_grad:
                    found = _grads((o,), ins, (seed,), create_graph, strict)
                else:
                    if strict:
                        raise AutogradError("the output of the function does not depend on its inputs (strict=True)")
                    found = (None,) * len(ins)
                for j, (g, i) in enumerate(zip(found, ins)):
                    rows[j].append(Tensor._wrap(np.zeros_like(i._value)) if g is None else g)
            per_input = []
            for j, i in enumerate(ins):
                if rows[j]:
                    stacked = np.stack(rows[j]) if create_graph else Tensor._wrap(np.stack([r._value for r in rows[j]]))
                    per_input.append(stacked.reshape(o.shape + i.shape))
                else:
                    per_input.append(Tensor._wrap(np.zeros(o.shape + i.shape, dtype=i.dtype)))
            per_input = tuple(_finish(p, create_graph) for p in per_input)
            table.append(per_input if in_tuple else per_input[0])
    return tuple(table) if out_tuple else table[0]


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar function: the Jacobian of its gradient.

    Args:
        func: Tensors -> a single-value Tensor.
        inputs: a Tensor or a tuple of them.
        create_graph: make the result differentiable.
        strict: raise when the output does not depend on an input.

    Returns:
        For one input a Tensor of shape ``input.shape + input.shape``; for a
        tuple, a tuple of tuples ``[i][j]``.
    """
    ins, in_tuple = _tuple(inputs)

    def gradient(*xs):
        out = _single(func(*xs), "hessian")
        if np.size(out._value) != 1:
            raise AutogradError("the function given to hessian must return a single value")
        found = _zeros_if_none(_grads((out,), xs, (TENSOR[0]._wrap(np.ones_like(out._value)),), True, strict), xs)
        return found if in_tuple else found[0]

    return jacobian(gradient, ins if in_tuple else ins[0], create_graph=create_graph, strict=strict)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """The output of a scalar function and ``v^T H``.

    Returns:
        ``(output, vhp)``, ``vhp`` shaped like ``inputs``.
    """
    return _hessian_product(func, inputs, v, create_graph, strict)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """The output of a scalar function and ``H v`` (equal to ``v^T H``: the Hessian is symmetric).

    Returns:
        ``(output, hvp)``, ``hvp`` shaped like ``inputs``.
    """
    return _hessian_product(func, inputs, v, create_graph, strict)


def _hessian_product(func, inputs, v, create_graph, strict):
    Tensor = TENSOR[0]
    with enable_grad():
        ins, in_tuple = _prepare(inputs, create_graph)
        out = _single(func(*ins), "hvp and vhp")
        if np.size(out._value) != 1:
            raise AutogradError("the function must return a single value")
        if v is None:
            if any(np.size(i._value) != 1 for i in ins):
                raise AutogradError("the vector v can only be None if the input to the function is a single value")
            v = tuple(Tensor._wrap(np.ones_like(i._value)) for i in ins)
        else:
            v, _ = _tuple(v)
        first = _zeros_if_none(_grads((out,), ins, (Tensor._wrap(np.ones_like(out._value)),), True, strict), ins)
        active = [(g, t) for g, t in zip(first, v) if g.requires_grad]
        if active:
            second = _grad(
                [g for g, _ in active], list(ins), [t for _, t in active], create_graph=create_graph, allow_unused=True
            )
        else:
            second = (None,) * len(ins)
        result = _zeros_if_none(second, ins)
    result = tuple(_finish(r, create_graph) for r in result)
    return _finish(out, create_graph), (result if in_tuple else result[0])
