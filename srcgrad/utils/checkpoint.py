"""Activation checkpointing for the tape: PyTorch's ``torch.utils.checkpoint``.

``checkpoint(function, *args)`` returns what ``function(*args)`` returns, but
the graph keeps none of the values computed inside it: one node stands for the
whole call, and its backward runs ``function`` again (with recording on) to
get them back. Memory held between forward and backward drops from every
intermediate of ``function`` to its inputs and outputs, for one more forward
of ``function`` during backward::

    from srcgrad.utils.checkpoint import checkpoint, checkpoint_sequential

    h = checkpoint(block, x, use_reentrant=False)       # block's intermediates are not kept
    y = checkpoint_sequential(model, 4, x, use_reentrant=False)  # an nn.Sequential in 4 segments

How it works: the forward runs ``function`` once with recording on, on
detached copies of the Tensor arguments, and walks the small graph it made to
find the leaf Tensors it reads besides its arguments (an ``nn.Module``'s
parameters, a closure's Tensors); that graph is then dropped. The node that
replaces it has one input per Tensor argument and per leaf found, so
``backward()``, ``autograd.grad`` (with respect to the arguments or to those
leaves) and ``create_graph=True`` all see the same gradients as without
checkpointing. ``preserve_rng_state=True`` (the default) replays the random
state of the forward, so dropout draws the same mask again.

Differences from PyTorch, decided here:

* ``use_reentrant`` may be ``True``, ``False`` or left out; all three behave
  as PyTorch's ``use_reentrant=False`` (gradients reach parameters even when
  no argument requires grad, and ``autograd.grad`` works). PyTorch's newer
  releases raise when it is left out; srcgrad does not.
* A Tensor ``function`` reads from outside that is not a leaf (computed
  earlier with recording on, and not passed as an argument) is differentiated
  through correctly, but its gradient reaches the leaves behind it directly:
  a ``register_hook`` or ``retain_grad`` on that Tensor does not see the
  checkpointed part's share. Pass such Tensors as arguments.
* ``context_fn`` and ``debug`` are not supported (``ValueError``).
"""

import numpy as np

from ..autograd.api import grad as _grad
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad, grad_state
from ..autograd.graph import AccumulateGrad
from ..errors import AutogradError
from ..generator import default_generator
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential"]


def checkpoint(
    function,
    *args,
    use_reentrant=None,
    context_fn=None,
    determinism_check="default",
    debug=False,
    preserve_rng_state=True,
    **kwargs,
):
    """Run ``function(*args, **kwargs)`` without keeping its intermediate values for backward.

    Args:
        function: what to run; it returns a Tensor, or a tuple or list whose
            Tensors are the differentiable outputs.
        *args: its positional arguments (Tensors and other values).
        use_reentrant: accepted for PyTorch's scripts; every value behaves as
            PyTorch's ``use_reentrant=False`` (see the module docstring).
        context_fn: not supported; must be left out.
        determinism_check: ``"default"`` checks that the recomputation gives
            outputs of the same shapes and dtypes; ``"none"`` skips the check.
        debug: not supported; must be False.
        preserve_rng_state: replay the random state of the forward during the
            recomputation (dropout draws the same mask).
        **kwargs: keyword arguments for ``function``.

    Returns:
        What ``function`` returns, its Tensors linked into the graph through one node.

    Raises:
        ValueError: ``context_fn``, ``debug`` or an unknown ``determinism_check`` was given.
        AutogradError: ``function`` changed one of its Tensor arguments in place.
        AutogradError: during backward, when the recomputation's outputs differ in
            shape or dtype from the forward's (``function`` is not deterministic in them).
    """
    if context_fn is not None:
        raise ValueError("srcgrad.utils.checkpoint.checkpoint does not support context_fn")
    if debug:
        raise ValueError("srcgrad.utils.checkpoint.checkpoint does not support debug=True")
    if determinism_check not in ("default", "none"):
        raise ValueError(f"determinism_check should be one of ['default', 'none'], but got {determinism_check!r}")
    if not grad_state.enabled:
        return function(*args, **kwargs)
    state = default_generator.get_state() if preserve_rng_state else None
    versions = [a._vc[0] if isinstance(a, Tensor) else None for a in args]
    detached = [_detached(a) for a in args]
    result = function(*detached, **kwargs)
    for k, (a, version) in enumerate(zip(args, versions)):
        if version is not None and a._vc[0] != version:
            raise AutogradError(
                f"checkpoint: the checkpointed function changed its argument {k} in place; the recomputation "
                "in backward would read the changed values. Work on a copy (x = x.clone()) inside the function"
            )
    outputs, rebuild = _flatten(result)
    leaves = _leaves_read(outputs, {id(d) for d in detached if isinstance(d, Tensor)})
    if not leaves and not any(isinstance(a, Tensor) and a.requires_grad for a in args):
        return result  # nothing inside needs a gradient: the call's graph is empty already
    call = _Call(function, args, kwargs, state, determinism_check, outputs)
    del result, detached  # the recorded graph goes with them: only `call` is kept
    linked = _Checkpoint.apply(call, *[a for a in args if isinstance(a, Tensor)], *leaves)
    linked = linked if isinstance(linked, tuple) else (linked,)
    return rebuild(list(linked))


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run a sequence of layers, checkpointing all segments but the last (PyTorch's split).

    Args:
        functions: an ``nn.Sequential`` (its children are run) or a list of callables.
        segments: how many segments to split them into.
        input: the first layer's input.
        use_reentrant: accepted for PyTorch's scripts (see ``checkpoint``).
        **kwargs: ``preserve_rng_state`` and the other options of ``checkpoint``.

    Returns:
        The last layer's output.
    """
    if hasattr(functions, "children") and callable(functions.children):
        functions = list(functions.children())
    functions = list(functions)

    def run(start, end):
        def forward(x):
            for layer in functions[start : end + 1]:
                x = layer(x)
            return x

        return forward

    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant, **kwargs)
    return run(end + 1, len(functions) - 1)(input)


class _Call:
    """What the checkpoint node keeps: the call, the random state and the outputs' values."""

    def __init__(self, function, args, kwargs, state, determinism_check, outputs):
        self.function = function
        self.args = args
        self.kwargs = kwargs
        self.state = state
        self.determinism_check = determinism_check
        self.is_tensor = [isinstance(o, Tensor) for o in outputs]
        self.outputs = [np.asarray(o._value) if isinstance(o, Tensor) else o for o in outputs]  # values only


class _Checkpoint(Function):
    """One graph node for a checkpointed call: inputs are its Tensor arguments, then the leaves it reads."""

    @staticmethod
    def forward(ctx, call, *tensors):
        ctx.call = call
        ctx.save_for_backward(*tensors)
        outs = tuple(Tensor._wrap(v) if t else v for v, t in zip(call.outputs, call.is_tensor))
        marked = [o for o, t in zip(outs, call.is_tensor) if t and o.dtype.kind not in "fc"]
        ctx.mark_non_differentiable(*marked)
        return outs if len(outs) != 1 else outs[0]

    @staticmethod
    def backward(ctx, *grads):
        call = ctx.call
        tensors = ctx.saved_tensors
        create_graph = grad_state.enabled
        n_args = sum(isinstance(a, Tensor) for a in call.args)
        arguments, leaves = tensors[:n_args], tensors[n_args:]
        with enable_grad():
            given = iter(arguments if create_graph else [_detached(a) for a in arguments])
            args = [next(given) if isinstance(a, Tensor) else a for a in call.args]
            inputs = [a for a in args if isinstance(a, Tensor)]
            outputs = _replay(call, args)
        roots, seeds = [], []
        for out, g, value, is_tensor in zip(outputs, grads, call.outputs, call.is_tensor):
            if is_tensor:
                _check_same(call, out, value)
            if isinstance(out, Tensor) and out.requires_grad and g is not None:
                roots.append(out)
                seeds.append(g)
        every = (*inputs, *leaves)
        wrt = [t for t in every if t.requires_grad]
        if not (wrt and roots):
            return (None,) * (1 + len(every))
        found = iter(_grad(roots, wrt, seeds, retain_graph=True, create_graph=create_graph, allow_unused=True))
        return (None, *[next(found) if t.requires_grad else None for t in every])


def _replay(call, args):
    """Run the call again with recording on, in the forward's random state; its outputs, flattened."""
    if call.state is None:
        return _flatten(call.function(*args, **call.kwargs))[0]
    now = default_generator.get_state()
    default_generator.set_state(call.state)
    try:
        return _flatten(call.function(*args, **call.kwargs))[0]
    finally:
        default_generator.set_state(now)


def _check_same(call, out, value):
    if call.determinism_check == "none":
        return
    got = np.asarray(out._value) if isinstance(out, Tensor) else None
    if got is None or got.shape != value.shape or got.dtype != value.dtype:
        described = f"{got.dtype} {list(got.shape)}" if isinstance(got, np.ndarray) else type(got).__name__
        raise AutogradError(
            "checkpoint: recomputing the checkpointed function during backward gave an output of "
            f"{described}, where the forward gave {value.dtype} {list(value.shape)}; the function must "
            "compute the same shapes each time it runs (pass determinism_check='none' to skip this check)"
        )


def _detached(a):
    """A detached copy of a Tensor argument that requires grad as it did (other values unchanged)."""
    if not isinstance(a, Tensor):
        return a
    d = a.detach()
    if a.requires_grad:
        d.requires_grad_(True)
    return d


def _flatten(result):
    """The call's outputs as a list, and how to put linked outputs back in its structure."""
    if isinstance(result, (tuple, list)):
        kind = type(result)
        return list(result), lambda items: kind(items)
    return [result], lambda items: items[0]


def _leaves_read(outputs, arguments):
    """The leaf Tensors that require grad behind ``outputs``, other than the call's own arguments."""
    seen, found, leaves = set(), set(), []

    def add(leaf):
        if leaf.requires_grad and id(leaf) not in arguments and id(leaf) not in found:
            found.add(id(leaf))
            leaves.append(leaf)

    stack = []
    for o in outputs:
        if isinstance(o, Tensor):
            if o.grad_fn is not None:
                stack.append(o.grad_fn)
            else:  # a leaf returned as it is
                add(o)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if type(node) is AccumulateGrad:
            add(node.variable)
        else:
            stack.extend(child for child, _ in node.next_functions if child is not None)
    return leaves
