"""The engine: run a recorded graph backwards.

``run_backward`` walks the graph from the roots in topological order (Kahn's
algorithm over dependency counts, no recursion, so a chain of any depth
works), adds up the gradient of every node's output in one buffer, calls each
node once, and either accumulates into leaves' ``.grad`` (``backward``) or
captures the gradients of chosen inputs (``autograd.grad``).
"""

import contextlib
import threading

import numpy as np

from ..errors import AutogradError
from .graph import TENSOR, AccumulateGrad, anomaly_mode, grad_lock
from .grad_mode import set_grad_enabled

__all__ = ["run_backward", "queue_callback", "final_callbacks"]

_callbacks = threading.local()


@contextlib.contextmanager
def final_callbacks():
    """The extent of one ``backward()``: callbacks queued inside run when it ends (not when it raises)."""
    stack = getattr(_callbacks, "stack", None)
    if stack is None:
        stack = _callbacks.stack = []
    queued = []
    stack.append(queued)
    try:
        yield
    finally:
        stack.pop()
    while queued:  # a callback may queue another
        queued.pop(0)()


def queue_callback(callback):
    """Run ``callback()`` when the ``backward()`` running now has finished (PyTorch's
    ``Variable._execution_engine.queue_callback``), after every hook it fires.

    Raises:
        AutogradError: no ``backward()`` is running on this thread.
    """
    stack = getattr(_callbacks, "stack", None)
    if not stack:
        raise AutogradError("Final callbacks can only be installed during backward pass.")
    stack[-1].append(callback)


def _dependencies(roots):
    """Count, for each node reachable from ``roots``, the edges that lead into it.

    The roots enter the count at 0 and are walked from the start; any other node is walked the first
    time an edge reaches it (its count then enters ``deps``).
    """
    deps = {}
    stack = []
    for node in roots:  # several roots may share a node (the pieces of one split): walk it once
        if node is not None and node not in deps:
            deps[node] = 0
            stack.append(node)
    while stack:
        for child, _ in stack.pop().next_functions:
            if child is None:
                continue
            count = deps.get(child)
            if count is None:
                deps[child] = 1
                stack.append(child)
            else:
                deps[child] = count + 1
    return deps


def _add(buffer, node, nr, g):
    if node.n_outputs == 1:
        old = buffer.get(node)
        buffer[node] = g if old is None else old + g
    else:
        slots = buffer.get(node)
        if slots is None:
            slots = buffer[node] = [None] * node.n_outputs
        slots[nr] = g if slots[nr] is None else slots[nr] + g


def run_backward(roots, grads, retain_graph=False, create_graph=False, inputs=None):
    """Propagate ``grads`` from ``roots`` through the graph.

    Args:
        roots: ``(node, output_nr)`` of each output.
        grads: the gradient of each output (raw arrays, or Tensors when
            ``create_graph``).
        retain_graph: keep saved values for another backward.
        create_graph: record the backward computation itself.
        inputs: when given, a list of ``(node, output_nr)`` whose incoming
            gradients are captured and returned instead of accumulated into
            leaves; ``None`` means accumulate into every leaf's ``.grad``.

    Returns:
        With ``inputs``: one gradient (or ``None``) per input. Otherwise ``None``.

    Raises:
        AutogradError: a node's saved values were freed or modified in place, or
            a node produced NaN while ``detect_anomaly`` is on.
    """
    capture = None
    if inputs is not None:
        capture = {}
        for node, nr in inputs:
            capture.setdefault(node, set()).add(nr)
    buffer = {}
    for (node, nr), g in zip(roots, grads):
        if node is not None:
            _add(buffer, node, nr, g)
    deps = _dependencies([node for node, _ in roots])
    ready = [node for node in {id(n): n for n, _ in roots if n is not None}.values() if deps.get(node, 0) == 0]
    leaves = []  # AccumulateGrad nodes run as soon as they are ready, as in PyTorch's engine, so a
    #              leaf's .grad (and its post-accumulate hooks) is final before the walk goes deeper
    captured = {}
    check_nan = anomaly_mode.enabled
    with set_grad_enabled(create_graph):
        while ready or leaves:
            node = leaves.pop() if leaves else ready.pop()
            g = buffer.pop(node, None)
            if g is not None:
                if node._pre_hooks:
                    for hook in list(node._pre_hooks):
                        out = hook(g)
                        if out is not None:
                            g = out
                if node._retained is not None:
                    _retain(node, g, create_graph)
            if capture is not None:
                if node in capture:
                    for nr in capture[node]:
                        captured[(node, nr)] = g if node.n_outputs == 1 or g is None else g[nr]
                if type(node) is AccumulateGrad:
                    g = None  # autograd.grad() leaves every .grad alone
            if g is None:
                _release_children(node, deps, ready)
                continue
            results = node.apply(g, create_graph, retain_graph)
            if check_nan:
                _check_nan(node, results)
            k = 0
            for child, nr in node.next_functions:  # (no zip: most nodes have one or two inputs)
                gi = results[k]
                k += 1
                if child is None:
                    continue
                if gi is not None:
                    if child.n_outputs == 1:
                        old = buffer.get(child)
                        buffer[child] = gi if old is None else old + gi
                    else:
                        _add(buffer, child, nr, gi)
                left = deps[child] - 1
                deps[child] = left
                if left == 0:
                    (leaves if type(child) is AccumulateGrad else ready).append(child)
    if capture is None:
        return None
    return [captured.get(key) for key in inputs]


def _release_children(node, deps, ready):
    """A node that passes no gradient still counts as done for its children."""
    for child, _ in node.next_functions:
        if child is None:
            continue
        deps[child] -= 1
        if deps[child] == 0:
            ready.append(child)


def _retain(node, g, create_graph):
    Tensor = TENSOR[0]
    for ref in node._retained:
        t = ref()
        if t is None:
            continue
        with grad_lock(t):
            if create_graph:
                t.grad = g if t.grad is None else t.grad + g
            else:
                raw = g._value if isinstance(g, Tensor) else g
                t.grad = Tensor._wrap(np.array(raw, copy=True)) if t.grad is None else Tensor._wrap(t.grad._value + raw)


def _check_nan(node, results):
    Tensor = TENSOR[0]
    for k, gi in enumerate(results):
        if gi is None:
            continue
        raw = gi._value if isinstance(gi, Tensor) else gi
        if np.any(np.isnan(raw)):
            where = ""
            if node._trace:
                where = "\nThe forward call that created it:\n" + "".join(node._trace[-4:])
            raise AutogradError(f"Function '{node.name()}' returned nan values in its {k}th output.{where}")
