"""Graph nodes: what the tape records for one operation.

A ``Node`` stands for one recorded operation (PyTorch's ``grad_fn``). It knows
the nodes of its inputs (``next_functions``) and how to turn the gradient of
its output into gradients of its inputs (``apply``). Three kinds exist:

* ``RuleNode`` runs a primitive's VJPs from the rule table;
* ``AccumulateGrad`` ends every path at a leaf Tensor and adds into ``.grad``;
* ``FunctionNode`` (in ``autograd/function.py``) runs a user's ``Function``.

A node keeps only what its rule reads (see ``Rule.needs``) and drops it after
backward unless ``retain_graph`` is set. This module does not import Tensor:
``tensor.py`` registers its class in ``TENSOR`` when it loads.
"""

import threading
import traceback

import numpy as np

from ..errors import AutogradError
from ..rules import unbroadcast
from .grad_mode import is_grad_enabled

__all__ = ["Node", "RuleNode", "AccumulateGrad", "TENSOR", "anomaly_mode", "grad_lock"]

TENSOR = []
"""``[Tensor]`` once ``srcgrad.tensor`` is imported (keeps imports one-way)."""


class _Anomaly:
    enabled = False


anomaly_mode = _Anomaly()

_FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


class Node:
    """Base of every graph node.

    Attributes:
        next_functions: one ``(node, output_nr)`` pair per Tensor input, with
            ``(None, 0)`` for inputs that need no gradient.
        n_outputs: how many Tensors the operation produced.
    """

    __slots__ = ("next_functions", "_pre_hooks", "_retained", "_trace", "__weakref__")
    n_outputs = 1

    def __init__(self, next_functions):
        self.next_functions = next_functions
        self._pre_hooks = None
        self._retained = None
        self._trace = traceback.format_stack()[:-3] if anomaly_mode.enabled else None

    def name(self):
        """The node's name, PyTorch-style (``MulBackward0``)."""
        return type(self).__name__

    def apply(self, grads, create_graph, retain_graph):
        """Gradients of the inputs, one per ``next_functions`` entry (``None`` = zero).

        Args:
            grads: the output gradient (a list of them when ``n_outputs > 1``).
            create_graph: whether the computation is itself recorded.
            retain_graph: whether saved values stay for another backward.
        """
        raise NotImplementedError

    def register_prehook(self, hook):
        """Call ``hook(grad)`` with the output gradient before ``apply``; a non-None return replaces it."""
        if self._pre_hooks is None:
            self._pre_hooks = []
        self._pre_hooks.append(hook)
        return RemovableHandle(self._pre_hooks, hook)

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    def __call__(self, *grads):
        return self.apply(grads[0] if len(grads) == 1 else list(grads), False, True)


class RemovableHandle:
    """What ``register_hook`` returns: ``.remove()`` takes the hook back."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks, hook):
        self._hooks = hooks
        self._hook = hook

    def remove(self):
        """Remove the hook; removing twice is harmless."""
        try:
            self._hooks.remove(self._hook)
        except ValueError:
            pass


class RuleNode(Node):
    """A primitive recorded from the rule table.

    Args:
        rule: the primitive's ``Rule``.
        args: the positional arguments as called (Tensors kept as Tensors).
        kwargs: the keyword arguments (plain values).
        positions: the index in ``args`` of each Tensor input, aligned with
            ``next_functions``.
        next_functions: the ``(node, output_nr)`` edge of each Tensor input.
        reads: the positions whose Tensor some active VJP reads (kept alive and
            version-checked); the other Tensor arguments are dropped.
        shape_only: positions read only for shape and dtype: a stand-in
            without data is kept for them.
    """

    __slots__ = (
        "rule",
        "args",
        "kwargs",
        "positions",
        "versions",
        "ans",
        "out_vc",
        "out_version",
        "shapes",
        "dtypes",
        "_freed",
    )

    def __init__(self, rule, args, kwargs, positions, next_functions, reads, shape_only=frozenset()):
        # Node.__init__ inlined: this runs once per recorded operation.
        self.next_functions = next_functions
        self._pre_hooks = None
        self._retained = None
        self._trace = traceback.format_stack()[:-3] if anomaly_mode.enabled else None
        self.rule = rule
        self.kwargs = kwargs
        self.positions = positions
        shapes = []
        dtypes = []
        versions = None
        saved = None
        for i in positions:
            t = args[i]
            value = t._value
            shapes.append(value.shape)
            dtypes.append(value.dtype)
            if i in reads:
                if versions is None:
                    versions = []
                versions.append((i, t._vc[0]))
            else:
                if saved is None:
                    saved = list(args)
                saved[i] = stand_in(value) if i in shape_only else None
        self.shapes = shapes
        self.dtypes = dtypes
        self.args = args if saved is None else saved
        self.versions = versions
        self.ans = None
        self.out_vc = None
        self.out_version = 0
        self._freed = False

    def name(self):
        return self.rule.backward_name

    def save_output(self, out):
        """Keep the output's value for VJPs that read ``ans`` (called once, after creation)."""
        self.ans = out._value
        self.out_vc = out._vc
        self.out_version = out._vc[0]

    def _unpack(self, create_graph):
        if self._freed:
            raise AutogradError(_FREED)
        args = self.args
        if self.versions is not None:
            for i, version in self.versions:
                t = args[i]
                if t._vc[0] != version:
                    raise AutogradError(_modified_message(t, self.name(), t._vc[0], version, "an input"))
        if self.out_vc is not None and self.out_vc[0] != self.out_version:
            raise AutogradError(
                _modified_message(
                    TENSOR[0]._wrap(self.ans[0] if isinstance(self.ans, tuple) else self.ans),
                    self.name(),
                    self.out_vc[0],
                    self.out_version,
                    "an output",
                )
            )
        if create_graph:
            ans = None if self.ans is None else TENSOR[0]._make(self.ans, self, True)
            return args, ans
        if self.versions is not None:
            args = list(args)
            for i, _ in self.versions:
                args[i] = args[i]._value
        return args, self.ans

    def apply(self, g, create_graph, retain_graph):
        versions = self.versions
        if create_graph or self._freed or self.out_vc is not None:
            args, ans = self._unpack(create_graph)
        elif versions is None:
            args, ans = self.args, None  # nothing saved to check or unwrap
        else:  # _unpack's check and unwrapping of the saved inputs, inlined: the common case
            args = list(self.args)
            for i, version in versions:
                t = args[i]
                if t._vc[0] != version:
                    raise AutogradError(_modified_message(t, self.name(), t._vc[0], version, "an input"))
                args[i] = t._value
            ans = self.ans
        rule = self.rule
        vjps = rule.vjps
        n_vjps = len(vjps)
        variadic = rule.variadic
        kwargs = self.kwargs
        positions = self.positions
        grads = []
        many = None
        if rule.vjp_all is not None:  # the (trailing) arguments' cotangents in one call
            first = n_vjps - 1 if variadic else 0
            wanted = [i for (node, _), i in zip(self.next_functions, positions) if node is not None and i >= first]
            if wanted:
                many = dict(zip(wanted, rule.vjp_all(g, ans, *args, argnums=wanted, **kwargs)))
        k = 0
        for node, _ in self.next_functions:
            if node is None:
                grads.append(None)
                k += 1
                continue
            i = positions[k]
            if many is not None and i in many:
                gi = many[i]
            elif i < n_vjps and not variadic:
                vjp = vjps[i]
                if vjp is None:
                    gi = None
                elif kwargs:
                    gi = vjp(g, ans, *args, **kwargs)
                else:
                    gi = vjp(g, ans, *args)
            else:
                gi = rule.call_vjp(i, g, ans, args, kwargs)
            if gi is not None:
                shape = self.shapes[k]
                if getattr(gi, "shape", ()) != shape:
                    gi = unbroadcast(gi, shape)
                dtype = self.dtypes[k]
                given = gi.dtype
                if given is not dtype and given != dtype:
                    if given.kind == "c" and dtype.kind != "c":
                        gi = np.real(gi)  # a real input's gradient is the real part, as in PyTorch
                    if not create_graph:
                        gi = np.asarray(gi, dtype=dtype)
            grads.append(gi)
            k += 1
        if not retain_graph and (versions is not None or self.ans is not None):
            self.release()  # nodes that saved only constants stay usable, as in PyTorch
        return grads

    def release(self):
        """Drop the saved Tensors and output; a later backward through this node raises."""
        self._freed = True
        self.args = None
        self.ans = None


class MultiRuleNode(RuleNode):
    """A primitive with several outputs (``split_tuple``, ``slogdet``).

    Its VJPs get ``g`` as a tuple with one cotangent per output (zeros for the
    outputs that received none) and ``ans`` as the tuple of outputs.
    """

    __slots__ = ("n_outputs", "out_meta")

    def apply(self, grads, create_graph, retain_graph):
        if self.n_outputs == 1:  # the engine passes a lone output's gradient as it is (np.split(x, 1))
            grads = [grads]
        filled = []
        for g, (shape, dtype) in zip(grads, self.out_meta):
            if g is None:
                g = np.zeros(shape, dtype=dtype)
                if create_graph:
                    g = TENSOR[0]._wrap(g)
            filled.append(g)
        return RuleNode.apply(self, tuple(filled), create_graph, retain_graph)

    def _unpack(self, create_graph):
        changed = self.out_vc is not None and self.out_vc[0] != self.out_version
        if not create_graph or self.ans is None or changed:  # (changed: an output was written in place; it raises)
            return RuleNode._unpack(self, create_graph)
        saved, self.ans = self.ans, None  # unpack the inputs only, then wrap each output
        try:
            args, _ = RuleNode._unpack(self, True)
        finally:
            self.ans = saved
        ans = tuple(TENSOR[0]._make(a, self, True, k) for k, a in enumerate(saved))
        return args, ans


def stand_in(value):
    """An array with ``value``'s shape and dtype that holds no data (for VJPs that read only shapes).

    Every element is the one zero of a per-dtype buffer (all strides 0): the
    cost of a view, a tenth of ``np.broadcast_to``'s.
    """
    dtype = value.dtype
    buffer = _ZERO_BUFFERS.get(dtype)
    if buffer is None:
        buffer = _ZERO_BUFFERS[dtype] = np.zeros(1, dtype=dtype)
    return np.ndarray(value.shape, dtype, buffer, 0, (0,) * len(value.shape))


_ZERO_BUFFERS = {}


def _modified_message(t, op, now, expected, which):
    return (
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{t.dtype} {list(t.shape)}], which is {which} of {op}, is at version {now}; "
        f"expected version {expected} instead. Hint: the operation that modified it in place "
        "comes after the forward operation that saved it; clone the Tensor before changing it."
    )


class AccumulateGrad(Node):
    """The end of every path: adds the incoming gradient into a leaf's ``.grad``.

    Args:
        variable: the leaf Tensor.
    """

    __slots__ = ("variable",)

    def __init__(self, variable):
        Node.__init__(self, ())
        self.variable = variable

    def apply(self, g, create_graph, retain_graph):
        var = self.variable
        if var._hooks:
            for hook in list(var._hooks):
                out = hook(g if create_graph else TENSOR[0]._wrap(g))
                if out is not None:
                    g = out if create_graph else out._value
        Tensor = TENSOR[0]
        with grad_lock(var):  # backward in several threads adds into one .grad: one at a time
            grad = var._grad
            if create_graph:
                g = g if isinstance(g, Tensor) else Tensor._wrap(g)
                var.grad = g if grad is None else grad + g
            elif grad is None:
                var._grad = Tensor._wrap(np.array(g, dtype=var.dtype, copy=True))
            elif grad.requires_grad:
                var.grad = grad + g
            else:
                current = grad._value
                if isinstance(current, np.ndarray) and current.ndim:
                    current += g
                else:
                    grad._value = np.asarray(current + g, dtype=var.dtype)
        if var._post_acc_hooks:
            for hook in list(var._post_acc_hooks):
                hook(var)
        return ()


_GRAD_LOCKS = tuple(threading.Lock() for _ in range(64))


def grad_lock(t):
    """The lock that guards additions into ``t.grad`` (PyTorch locks each leaf's accumulation too).

    numpy releases the GIL inside ``+=`` on large arrays, so two threads adding
    into one ``.grad`` would lose updates. Locks are striped over 64 by the
    Tensor's id: cheap, and threads that fill different leaves rarely wait.

    Args:
        t: the Tensor whose ``.grad`` is about to change.

    Returns:
        A ``threading.Lock`` (use it as a context manager).
    """
    return _GRAD_LOCKS[(id(t) >> 4) % 64]


def is_recording():
    """True when grad mode is on (re-exported for the runtime's hot path)."""
    return is_grad_enabled()
