"""``Function``: a user-defined operation with its own ``forward`` and ``backward``.

Written as in PyTorch::

    class Exp(srcgrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    y = Exp.apply(x)

``forward`` runs with recording off on the given Tensors; ``backward`` gets
one gradient per output and returns one per input (``None`` for inputs that
need none). With ``create_graph=True`` the backward's operations are recorded,
so a ``backward`` written with Tensor operations is itself differentiable.
"""

import numpy as np

from ..errors import AutogradError
from .grad_mode import grad_state, no_grad
from ..rules import unbroadcast
from .graph import TENSOR, Node

__all__ = ["Function", "FunctionCtx"]


class FunctionCtx:
    """The ``ctx`` a ``Function`` gets: saves Tensors and options for ``backward``.

    Attributes:
        needs_input_grad: one bool per ``forward`` argument: whether its gradient is needed.
    """

    def __init__(self):
        self._saved = ()
        self._versions = ()
        self._freed = False
        self.needs_input_grad = ()
        self.materialize_grads = True
        self._non_differentiable = set()
        self._dirty = set()

    def save_for_backward(self, *tensors):
        """Keep Tensors for ``backward``; a later in-place change to one makes backward raise."""
        self._saved = tensors
        self._versions = tuple(t._vc[0] if isinstance(t, TENSOR[0]) else None for t in tensors)

    @property
    def saved_tensors(self):
        """The Tensors given to ``save_for_backward``.

        Raises:
            AutogradError: the graph was freed, or a saved Tensor was modified in place.
        """
        if self._freed:
            raise AutogradError(
                "Trying to backward through the graph a second time (or directly access saved tensors after "
                "they have already been freed). Specify retain_graph=True if you need to backward through "
                "the graph a second time or if you need to access saved tensors after calling backward."
            )
        for t, version in zip(self._saved, self._versions):
            if version is not None and t._vc[0] != version:
                raise AutogradError(
                    "one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: [{t.dtype} {list(t.shape)}], which was saved by a custom Function, is at "
                    f"version {t._vc[0]}; expected version {version} instead."
                )
        return self._saved

    def mark_non_differentiable(self, *tensors):
        """Declare outputs that have no gradient (indices, masks)."""
        self._non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors):
        """Declare inputs that ``forward`` modified in place."""
        self._dirty.update(id(t) for t in tensors)

    def set_materialize_grads(self, value):
        """Whether ``backward`` gets zeros (True, the default) or ``None`` for outputs with no gradient."""
        self.materialize_grads = bool(value)


class FunctionNode(Node):
    """The graph node of one ``Function.apply`` call."""

    __slots__ = ("fn_class", "ctx", "n_outputs", "out_meta", "n_inputs", "in_meta")

    def __init__(self, fn_class, ctx, next_functions, out_meta, n_inputs, in_meta):
        Node.__init__(self, next_functions)
        self.fn_class = fn_class
        self.ctx = ctx
        self.n_outputs = len(out_meta)
        self.out_meta = out_meta
        self.n_inputs = n_inputs
        self.in_meta = in_meta

    def name(self):
        return f"{self.fn_class.__name__}Backward"

    def apply(self, grads, create_graph, retain_graph):
        Tensor = TENSOR[0]
        if self.n_outputs == 1:
            grads = [grads]
        wrapped = []
        for g, (shape, dtype) in zip(grads, self.out_meta):
            if g is None and self.ctx.materialize_grads:
                g = np.zeros(shape, dtype=dtype)
            if g is not None and not isinstance(g, Tensor):
                g = Tensor._wrap(g)
            wrapped.append(g)
        if self.ctx._freed:
            _ = self.ctx.saved_tensors  # raises the freed-graph error
        result = self.fn_class.backward(self.ctx, *wrapped)
        if not isinstance(result, tuple):
            result = (result,)
        if len(result) < self.n_inputs:
            raise AutogradError(
                f"function {self.name()} returned an incorrect number of gradients "
                f"(expected {self.n_inputs}, got {len(result)})"
            )
        out = []
        tensor_grads = [(k, r) for k, (r, t) in enumerate(zip(result, self.ctx._input_is_tensor)) if t]
        for (node, _), (k, g), (shape, dtype) in zip(self.next_functions, tensor_grads, self.in_meta):
            if node is None or g is None:
                out.append(None)
                continue
            g = g if isinstance(g, Tensor) else Tensor._wrap(np.asarray(g))
            g = _fit(g, shape, dtype, k, self.name())
            out.append(g if create_graph else g._value)
        if not retain_graph:
            self.ctx._freed = bool(self.ctx._saved)
            self.ctx._saved = ()
        return out


def _fit(g, shape, dtype, index, name):
    """Check a gradient a ``backward`` returned against its input, as PyTorch does.

    A gradient of the broadcast shape is summed back to the input's shape; one
    the input cannot broadcast to is an error (never stored as a wrong-shaped
    ``.grad``).
    """
    if g.shape != shape:
        try:
            ok = np.broadcast_shapes(shape, g.shape) == g.shape
        except ValueError:
            ok = False
        if not ok:
            raise AutogradError(
                f"Function {name} returned an invalid gradient at index {index} - got {list(g.shape)} but "
                f"expected shape compatible with {list(shape)}"
            )
        g = unbroadcast(g, shape)
    if g.dtype != dtype and g.dtype.kind == "f" and dtype.kind == "f":
        g = g.type(dtype)
    return g


class Function:
    """Base class of user-defined differentiable operations (see the module docstring).

    Subclasses define ``forward(ctx, *args, **kwargs)`` and ``backward(ctx, *grads)``
    as static methods and are called through ``apply``.
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        """Compute the outputs from the inputs (Tensors, recording off)."""
        raise NotImplementedError("a Function subclass must define forward(ctx, ...)")

    @staticmethod
    def backward(ctx, *grads):
        """Return one gradient per input of ``forward`` from one per output."""
        raise NotImplementedError("a Function subclass must define backward(ctx, ...)")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` and, when an input requires grad, record one node whose backward is ``backward``.

        Returns:
            What ``forward`` returned, with its Tensors linked into the graph.
        """
        Tensor = TENSOR[0]
        ctx = FunctionCtx()
        is_tensor = tuple(isinstance(a, Tensor) for a in args)
        ctx._input_is_tensor = is_tensor
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        with no_grad():
            outputs = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        if not (grad_state.enabled and any(ctx.needs_input_grad)):
            return outputs
        edges = tuple(a._edge() if a.requires_grad else (None, 0) for a, t in zip(args, is_tensor) if t)
        meta = tuple((o.shape, o.dtype) if isinstance(o, Tensor) else ((), np.float64) for o in outs)
        in_meta = tuple((a.shape, a.dtype) for a, t in zip(args, is_tensor) if t)
        node = FunctionNode(cls, ctx, edges, meta, len(args), in_meta)
        linked = []
        for nr, o in enumerate(outs):
            if not isinstance(o, Tensor) or id(o) in ctx._non_differentiable:
                linked.append(o)
                continue
            if any(o is a for a in args) and id(o) not in ctx._dirty:
                o = Tensor._wrap(o._value)  # an input returned as is becomes a new output
            if id(o) in ctx._dirty:
                o.grad_fn, o.requires_grad, o._output_nr = node, True, nr
                o._vc[0] += 1
            else:
                o = Tensor._make(o._value, node, True, nr)
            linked.append(o)
        return linked[0] if single else tuple(linked)
