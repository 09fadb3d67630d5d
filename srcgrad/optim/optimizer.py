"""``Optimizer``: parameter groups, per-parameter state, ``zero_grad``, ``step``, state dicts.

The base class keeps the bookkeeping PyTorch users know: ``param_groups`` (a
list of dicts, each with its own ``params`` and options; options a group does
not set come from ``defaults``) and ``state`` (a dict from parameter to that
parameter's buffers). Each algorithm adds one pure function over ndarrays that
does the arithmetic (``sgd``, ``adam``, ...) and a ``step`` that gathers the
arrays and calls it. Updates are made in place on the parameter's storage with
no graph recorded, and bump the parameter's version counter.
"""

import copy
from collections import defaultdict

import numpy as np

from ..autograd.grad_mode import enable_grad
from ..tensor import Tensor
from ._update import buffer, grad_array, new_step, storage

__all__ = ["Optimizer", "required"]


class _Required:
    """Marks an option that has no default (``lr`` of ``SGD`` in old PyTorch releases)."""

    def __repr__(self):
        return "<required parameter>"


required = _Required()


class Optimizer:
    """Base class of the optimizers.

    Args:
        params: an iterable of Tensors, of ``(name, Tensor)`` pairs, or of dicts
            (parameter groups), each with a ``params`` entry and options that
            override ``defaults`` for that group.
        defaults: the options of the algorithm and their default values.

    Raises:
        TypeError: ``params`` is a single Tensor, or holds something that is not a Tensor.
        ValueError: ``params`` is empty, or a parameter is in two groups.
    """

    def __init__(self, params, defaults):
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, "
                "but got srcgrad.Tensor"
            )
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            used_up = iter(params) is params  # a generator or iterator, maybe consumed before it got here
            raise ValueError(
                "optimizer got an empty parameter list"
                + (
                    " (the iterator it got yielded nothing: model.parameters() is a generator, used up once read; "
                    "call model.parameters() again for each optimizer, or pass a list)"
                    if used_up
                    else ""
                )
            )
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(dict(group))

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key not in ("params", "param_names"):
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def add_param_group(self, param_group):
        """Add a group of parameters with its own options (for layers unfrozen during training).

        Args:
            param_group: a dict with ``params`` (a Tensor or an iterable of them) and
                options; options it leaves out take the optimizer's defaults.

        Raises:
            TypeError: ``param_group`` is not a dict, ``params`` is a set, or holds a non-Tensor.
            ValueError: a parameter is not a leaf, is already in another group, or a
                required option is missing.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering "
                "of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            params = list(params)
        names = None
        if params and all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in params):
            names = [name for name, _ in params]
            params = [p for _, p in params]
        param_group["params"] = params
        if names is not None:
            param_group["param_names"] = names
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is "
                    f"{type(p).__module__}.{type(p).__name__}"
                )
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        ids = {id(p) for p in params}
        if len(ids) != len(params):
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        for group in self.param_groups:
            if any(id(p) in ids for p in group["params"]):
                raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters.

        Args:
            set_to_none: set ``.grad`` to None (the default, as in PyTorch) instead
                of filling it with zeros; a None grad is skipped by ``step``.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.grad_fn is not None:
                        p.grad.detach_()
                    else:
                        p.grad.requires_grad_(False)
                    g = p.grad._value
                    if isinstance(g, np.ndarray) and g.flags.writeable:
                        g.fill(0)
                    else:
                        p.grad._value = np.zeros_like(g)
                    p.grad._vc[0] += 1

    def step(self, closure=None):
        """Update the parameters once.

        Args:
            closure: a function that re-evaluates the model and returns the loss;
                it runs with grad enabled before the update.

        Returns:
            The closure's loss, or None without a closure.
        """
        raise NotImplementedError

    def _closure_loss(self, closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def _gather(self, group, buffers, init=None):
        """The parameters of ``group`` that have a gradient, with their state as raw arrays.

        A parameter's state is made at its first step: a step counter, then
        whatever ``init(state, p)`` adds, then a zero array like the parameter
        for each name in ``buffers`` that is not there yet.

        Args:
            group: a param group.
            buffers: the names of the per-parameter state arrays the update reads.
            init: optional ``init(state, p)`` for state that does not start at zero.

        Returns:
            ``(params, values, grads, found, steps)``: ``found`` maps each buffer
            name to its arrays, aligned with ``params``.
        """
        params, values, grads, steps = [], [], [], []
        found = {name: [] for name in buffers}
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if len(state) == 0:
                state["step"] = new_step()
                if init is not None:
                    init(state, p)
                for name in buffers:
                    if name not in state:
                        state[name] = Tensor._wrap(np.zeros_like(storage(p)))
            params.append(p)
            values.append(buffer(p))
            grads.append(grad_array(p))
            for name in buffers:
                found[name].append(buffer(state[name]))
            steps.append(storage(state["step"]))
        return params, values, grads, found, steps

    # -- state dicts --------------------------------------------------------------------

    def state_dict(self):
        """The optimizer's state as a dict, to save and restore with ``load_state_dict``.

        Returns:
            ``{'state': {index: {name: value}}, 'param_groups': [{option: value, 'params': [index, ...]}]}``
            where parameters are numbered in the order of the groups, as in PyTorch.
            The values are the live buffers (not copies).
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {}
        for key, value in self.state.items():
            state[index[id(key)] if isinstance(key, Tensor) else key] = value
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore the state saved by ``state_dict`` so training resumes exactly.

        The buffers are copied and cast to each parameter's dtype (``step`` keeps its own).

        Args:
            state_dict: a dict from ``state_dict()`` (or ``srcgrad.load`` of one).

        Raises:
            ValueError: the number or sizes of parameter groups differ from this optimizer's.
        """
        groups = self.param_groups
        saved_groups = copy.deepcopy(list(state_dict["param_groups"]))
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of optimizer's group"
            )
        id_map = {}
        for g, s in zip(groups, saved_groups):
            for saved, p in zip(s["params"], g["params"]):
                id_map[saved] = p
        state = defaultdict(dict)
        for key, value in state_dict["state"].items():
            param = id_map.get(key)
            if param is None and isinstance(key, str) and key.lstrip("-").isdigit():
                param = id_map.get(int(key))
            if param is None:
                state[key] = copy.deepcopy(value)
            else:
                state[param] = {name: _cast_state(param, name, v) for name, v in value.items()}
        new_groups = []
        for g, s in zip(groups, saved_groups):
            for key, default in self.defaults.items():
                s.setdefault(key, default)  # options newer than the saved state
            s["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
            if isinstance(s.get("betas"), list):
                s["betas"] = tuple(s["betas"])
            new_groups.append(s)
        self.state = state
        self.param_groups = new_groups


def _cast_state(param, name, value):
    """A copy of a saved buffer, cast to ``param``'s dtype when it is a floating Tensor."""
    if isinstance(value, Tensor):
        array = np.array(value._value, copy=True)
        if name != "step" and array.dtype.kind == "f" and param._value.dtype.kind == "f":
            array = array.astype(param._value.dtype, copy=False)
        return Tensor._wrap(array)
    if isinstance(value, np.ndarray):
        return Tensor._wrap(np.array(value, copy=True))
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(param, name, v) for v in value)
    if isinstance(value, dict):
        return {k: _cast_state(param, name, v) for k, v in value.items()}
    return copy.deepcopy(value)
