"""``backward`` and ``grad``: the two ways to run the engine, PyTorch's signatures."""

import numpy as np

from ..errors import AutogradError
from . import engine
from .graph import TENSOR, grad_lock

__all__ = ["backward", "grad"]


def _as_list(x):
    if x is None:
        return None
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _root_grads(outputs, grad_outputs, create_graph):
    Tensor = TENSOR[0]
    grads = []
    for k, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            raise AutogradError(f"element {k} of outputs is a {type(out).__name__}, not a Tensor")
        if not out.requires_grad:
            raise AutogradError(f"element {k} of tensors does not require grad and does not have a grad_fn")
        g = grad_outputs[k] if grad_outputs is not None and k < len(grad_outputs) else None
        if g is None:
            if np.size(out._value) != 1:
                raise AutogradError("grad can be implicitly created only for scalar outputs")
            if out._value.dtype.kind == "c":
                raise AutogradError(
                    "grad can be implicitly created only for real scalar outputs (this one is "
                    "complex: differentiate np.real(z), np.abs(z), ... or pass a gradient)"
                )
            g = np.ones_like(out._value)
            if create_graph:
                g = Tensor._wrap(g)
        else:
            raw = g._value if isinstance(g, Tensor) else np.asarray(g, dtype=out.dtype)
            if np.shape(raw) != out.shape:
                raise AutogradError(
                    f"Mismatch in shape: grad_output[{k}] has a shape of {tuple(np.shape(raw))} and "
                    f"output[{k}] has a shape of {tuple(out.shape)}."
                )
            if create_graph:
                g = g if isinstance(g, Tensor) else Tensor._wrap(raw)
            else:
                g = raw
        grads.append(g)
        out._backpropagated = True  # float(out) is a reading from now on (Tensor.__float__)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the graph's leaves.

    Args:
        tensors: a Tensor or a sequence of them.
        grad_tensors: their gradients (may be omitted for single-value Tensors).
        retain_graph: keep saved values for another backward (default: ``create_graph``).
        create_graph: record the backward pass, for higher-order derivatives.
        inputs: when given, accumulate only into these leaves.

    Raises:
        AutogradError: an output does not require grad; an implicit gradient for
            a non-scalar output; a gradient of the wrong shape; a second backward
            through a freed graph; a saved Tensor modified in place.
    """
    outputs = _as_list(tensors)
    grad_outputs = _as_list(grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    grads = _root_grads(outputs, grad_outputs, create_graph)
    roots = [out._edge() for out in outputs]
    with engine.final_callbacks():
        if inputs is None:
            engine.run_backward(roots, grads, retain_graph, create_graph)
        else:
            _backward_into(roots, grads, retain_graph, create_graph, _as_list(inputs))


def _backward_into(roots, grads, retain_graph, create_graph, inputs):
    """``backward(..., inputs=inputs)``: accumulate into the ``.grad`` of ``inputs`` only."""
    found = engine.run_backward(roots, grads, retain_graph, create_graph, [t._edge() for t in inputs])
    for t, g in zip(inputs, found):
        if g is None:
            continue
        Tensor = TENSOR[0]
        with grad_lock(t):
            if create_graph:
                g = g if isinstance(g, Tensor) else Tensor._wrap(g)
                t.grad = g if t.grad is None else t.grad + g
            else:
                raw = g._value if isinstance(g, Tensor) else g
                t.grad = (
                    Tensor._wrap(np.array(raw, dtype=t.dtype, copy=True))
                    if t.grad is None
                    else Tensor._wrap(t.grad._value + raw)
                )
        if t._post_acc_hooks and t.grad_fn is None:
            for hook in list(t._post_acc_hooks):
                hook(t)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    allow_unused=False,
    materialize_grads=False,
):
    """The gradients of ``outputs`` with respect to ``inputs``, without touching any ``.grad``.

    Args:
        outputs: a Tensor or a sequence of them.
        inputs: the Tensors to differentiate with respect to.
        grad_outputs: gradients of the outputs (may be omitted for single values).
        retain_graph: keep saved values for another backward (default: ``create_graph``).
        create_graph: make the result differentiable (for higher-order derivatives).
        allow_unused: give ``None`` for an input the outputs do not depend on
            instead of raising.
        materialize_grads: give zeros instead of ``None`` for unused inputs.

    Returns:
        A tuple with one Tensor (or ``None``) per input.

    Raises:
        AutogradError: as ``backward``, and when an input was not used in the
            graph and ``allow_unused`` is False.
    """
    Tensor = TENSOR[0]
    outputs = _as_list(outputs)
    inputs = _as_list(inputs)
    grad_outputs = _as_list(grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    for k, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise AutogradError(f"One of the differentiated Tensors (input {k}) does not require grad")
    grads = _root_grads(outputs, grad_outputs, create_graph)
    roots = [out._edge() for out in outputs]
    found = engine.run_backward(roots, grads, retain_graph, create_graph, [t._edge() for t in inputs])
    result = []
    for k, (t, g) in enumerate(zip(inputs, found)):
        if g is None:
            if materialize_grads:
                result.append(Tensor._wrap(np.zeros_like(t._value)))
                continue
            if not allow_unused:
                raise AutogradError(
                    f"One of the differentiated Tensors (input {k}) appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
            result.append(None)
        elif isinstance(g, Tensor):
            result.append(g)
        else:
            result.append(Tensor._wrap(np.asarray(g)))
    return tuple(result)
