"""``Module``: the base class of every layer; it owns parameters, buffers and submodules.

Attribute assignment does the registration, as in PyTorch: a ``Parameter``
assigned to ``self.weight`` lands in ``_parameters``, a ``Module`` in
``_modules``, a Tensor given to ``register_buffer`` in ``_buffers``. Names
are dotted paths (``0.weight``, ``encoder.layers.1.bias``), the keys of
``state_dict``.
"""

import itertools
from collections import OrderedDict, namedtuple

import numpy as np

from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled, no_grad
from ..device import check_device, parse_to
from ..tensor import Tensor
from .parameter import Parameter

__all__ = ["Module", "RemovableHandle"]


class RemovableHandle:
    """What ``register_*_hook`` returns: ``remove()`` takes the hook off."""

    _ids = itertools.count()

    def __init__(self, hooks):
        self._hooks = hooks
        self.id = next(RemovableHandle._ids)

    def remove(self):
        """Remove the hook; removing twice is harmless."""
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it did not find and the ones it did not use."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class _IdentityForHooks(Function):
    """Passes Tensors through; its backward hands their gradients to a callback."""

    @staticmethod
    def forward(ctx, callback, *tensors):
        ctx.callback = callback
        return tuple(Tensor._wrap(t._value) for t in tensors)

    @staticmethod
    def backward(ctx, *grads):
        return (None,) + tuple(ctx.callback(grads))


class _BackwardHookState:
    """One call's bookkeeping for ``register_full_backward_hook``: the output gradients, then the input ones."""

    def __init__(self, module):
        self.module = module
        self.grad_output = None
        self.n_inputs = 0
        self.inputs_wrapped = False

    def wrap_inputs(self, args):
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        self.n_inputs = len([a for a in args if isinstance(a, Tensor)])
        if not positions:
            return args
        self.inputs_wrapped = True
        wrapped = _IdentityForHooks.apply(self._on_inputs, *[args[i] for i in positions])
        args = list(args)
        for i, t in zip(positions, wrapped if isinstance(wrapped, tuple) else (wrapped,)):
            args[i] = t
        return tuple(args)

    def wrap_outputs(self, result):
        single = isinstance(result, Tensor)
        outputs = (result,) if single else result
        if not isinstance(outputs, tuple):
            return result
        positions = [i for i, o in enumerate(outputs) if isinstance(o, Tensor) and o.requires_grad]
        if not positions:
            return result
        wrapped = _IdentityForHooks.apply(self._on_outputs, *[outputs[i] for i in positions])
        outputs = list(outputs)
        for i, t in zip(positions, wrapped if isinstance(wrapped, tuple) else (wrapped,)):
            outputs[i] = t
        return outputs[0] if single else tuple(outputs)

    def _on_outputs(self, grads):
        for hook, _ in list(self.module._backward_pre_hooks.values()):
            out = hook(self.module, tuple(grads))
            if out is not None:
                grads = out if isinstance(out, tuple) else (out,)
        self.grad_output = tuple(grads)
        if not self.inputs_wrapped:  # no input needs a gradient: the hooks run now, with None for each
            for hook, _ in list(self.module._backward_hooks.values()):
                hook(self.module, (None,) * self.n_inputs, self.grad_output)
        return grads

    def _on_inputs(self, grads):
        for hook, _ in list(self.module._backward_hooks.values()):
            out = hook(self.module, tuple(grads), self.grad_output)
            if out is not None:
                grads = out if isinstance(out, tuple) else (out,)
        return grads


def _addindent(text, spaces):
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    pad = " " * spaces
    return lines[0] + "\n" + "\n".join(pad + line for line in lines[1:])


def _as_value(value):
    if isinstance(value, Tensor):
        return value._value
    return np.asarray(value)


class Module:
    """Base class of every layer and model.

    Subclasses call ``super().__init__()`` first, assign ``Parameter``s and
    submodules as attributes, and define ``forward``. Calling the module runs
    its forward pre-hooks, ``forward`` and its forward hooks.

    Attributes:
        training: True in training mode (``train()``), False after ``eval()``.

    Example:
        >>> import srcgrad
        >>> from srcgrad import nn
        >>> class Net(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc = nn.Linear(3, 1)
        ...     def forward(self, x):
        ...         return self.fc(x)
        >>> [name for name, _ in Net().named_parameters()]
        ['fc.weight', 'fc.bias']
    """

    _version = 1

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments {args} {kwargs}")
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["_forward_pre_hooks"] = OrderedDict()
        d["_backward_hooks"] = OrderedDict()
        d["_backward_pre_hooks"] = OrderedDict()

    # -- calling -----------------------------------------------------------------------------

    def forward(self, *args, **kwargs):
        """The computation; every subclass defines it."""
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args, **kwargs):
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks or self._backward_pre_hooks):
            return self.forward(*args, **kwargs)
        for hook, with_kwargs in list(self._forward_pre_hooks.values()):
            if with_kwargs:
                out = hook(self, args, kwargs)
                if out is not None:
                    args, kwargs = out
            else:
                out = hook(self, args)
                if out is not None:
                    args = out if isinstance(out, tuple) else (out,)
        backward = (self._backward_hooks or self._backward_pre_hooks) and is_grad_enabled()
        if backward:
            state = _BackwardHookState(self)
            args = state.wrap_inputs(args)
        result = self.forward(*args, **kwargs)
        for hook, with_kwargs in list(self._forward_hooks.values()):
            out = hook(self, args, kwargs, result) if with_kwargs else hook(self, args, result)
            if out is not None:
                result = out
        if backward:
            result = state.wrap_outputs(result)
        return result

    def register_full_backward_hook(self, hook, prepend=False):
        """Call ``hook(module, grad_input, grad_output)`` once the gradients of the module's inputs are known.

        ``grad_input`` and ``grad_output`` are tuples with one entry per Tensor input and
        output (None where there is no gradient); a non-None return replaces ``grad_input``.

        Returns:
            A handle whose ``remove()`` takes the hook off.
        """
        return self._add_hook(self._backward_hooks, hook, prepend, False)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """Call ``hook(module, grad_output)`` before the module's backward; a non-None return replaces it.

        Returns:
            A handle whose ``remove()`` takes the hook off.
        """
        return self._add_hook(self._backward_pre_hooks, hook, prepend, False)

    def _add_hook(self, table, hook, prepend, with_kwargs):
        handle = RemovableHandle(table)
        table[handle.id] = (hook, with_kwargs)
        if prepend:
            table.move_to_end(handle.id, last=False)
        return handle

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Call ``hook(module, args)`` before ``forward``; a non-None return replaces ``args``.

        Args:
            hook: the function (``hook(module, args, kwargs)`` returning ``(args, kwargs)`` or None
                with ``with_kwargs``).
            prepend: run it before the hooks already registered.
            with_kwargs: pass and let it replace the keyword arguments too.

        Returns:
            A handle whose ``remove()`` takes the hook off.
        """
        return self._add_hook(self._forward_pre_hooks, hook, prepend, with_kwargs)

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        """Call ``hook(module, args, output)`` after ``forward``; a non-None return replaces the output.

        Args:
            hook: the function (``hook(module, args, kwargs, output)`` with ``with_kwargs``).
            prepend: run it before the hooks already registered.
            with_kwargs: pass the keyword arguments too.
            always_call: accepted for PyTorch compatibility.

        Returns:
            A handle whose ``remove()`` takes the hook off.
        """
        return self._add_hook(self._forward_hooks, hook, prepend, with_kwargs)

    # -- registration -----------------------------------------------------------------------

    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._drop(name, keep="_parameters")
            params[name] = value
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(srcgrad.nn.Parameter or None expected)"
                )
            params[name] = None
        elif isinstance(value, Module):
            modules = d.get("_modules")
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._drop(name, keep="_modules")
            modules[name] = value
        elif d.get("_modules") is not None and name in d["_modules"]:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' "
                    "(srcgrad.nn.Module or None expected)"
                )
            d["_modules"][name] = None
        elif d.get("_buffers") is not None and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' (srcgrad.Tensor or None expected)"
                )
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def _drop(self, name, keep=None):
        """Forget ``name`` everywhere but in the table ``keep``, where a reassignment keeps its place
        (so ``self.decoder = Linear(...)`` replacing a decoder keeps the state-dict order, as in PyTorch)."""
        d = self.__dict__
        d.pop(name, None)
        for table in ("_parameters", "_buffers", "_modules"):
            if table != keep:
                d[table].pop(name, None)
        d["_non_persistent_buffers_set"].discard(name)

    def __getattr__(self, name):
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            entries = d.get(table)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            if name in d[table]:
                del d[table][name]
                d["_non_persistent_buffers_set"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))

    def register_parameter(self, name, param):
        """Add a parameter (or ``None``, a placeholder) under ``name``.

        Raises:
            KeyError: ``name`` is empty, dotted, or already an attribute.
            TypeError: ``param`` is not a ``Parameter`` or ``None``.
        """
        self._check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(srcgrad.nn.Parameter or None required)"
            )
        self._drop(name, keep="_parameters")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Add a buffer: a Tensor that is state but not a parameter (``BatchNorm``'s running mean).

        Args:
            name: the attribute name.
            tensor: a Tensor, or ``None``.
            persistent: whether ``state_dict`` includes it.

        Raises:
            KeyError: ``name`` is empty, dotted, or already an attribute.
            TypeError: ``tensor`` is not a Tensor or ``None``.
        """
        self._check_name(name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' (srcgrad.Tensor or None required)"
            )
        self._drop(name, keep="_buffers")
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Add a child module (or ``None``) under ``name``.

        Raises:
            KeyError: ``name`` is empty or dotted, or an attribute that is not a module.
            TypeError: ``module`` is not a ``Module`` or ``None``.
        """
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {type(name).__name__}")
        if "." in name or name == "":
            raise KeyError(
                f'module name can\'t contain ".", got: {name}' if name else 'module name can\'t be empty string ""'
            )
        if name in self.__dict__ and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._drop(name, keep="_modules")
        self._modules[name] = module

    register_module = add_module

    def _check_name(self, name, kind):
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain "."')
        if name in self.__dict__:
            raise KeyError(f"attribute '{name}' already exists")

    # -- walking the tree --------------------------------------------------------------------

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """``(name, module)`` for this module and every descendant, depth first; the root's name is ``''``."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            yield from module.named_modules(memo, prefix + ("." if prefix else "") + name, remove_duplicate)

    def modules(self):
        """This module and every descendant, depth first."""
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        """``(name, module)`` for the direct children."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        """The direct children."""
        for _, module in self.named_children():
            yield module

    def _named_members(self, table, prefix, recurse, remove_duplicate):
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        seen = set()
        for module_prefix, module in modules:
            for name, value in getattr(module, table).items():
                if value is None:
                    continue
                if remove_duplicate:
                    if id(value) in seen:
                        continue
                    seen.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """``(dotted name, Parameter)`` pairs; a Parameter shared by two modules appears once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        """The Parameters of this module and (with ``recurse``) its descendants."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """``(dotted name, Tensor)`` pairs for the buffers."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        """The buffers of this module and (with ``recurse``) its descendants."""
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def get_submodule(self, target):
        """The descendant at dotted path ``target`` (``''`` is this module).

        Raises:
            AttributeError: no such submodule.
        """
        module = self
        if target == "":
            return module
        for item in target.split("."):
            if item not in module._modules:
                raise AttributeError(f"{module._get_name()} has no attribute `{item}`")
            module = module._modules[item]
        return module

    def get_parameter(self, target):
        """The Parameter at dotted path ``target``.

        Raises:
            AttributeError: no such parameter.
        """
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if name not in module._parameters:
            raise AttributeError(f"{module._get_name()} has no parameter `{name}`")
        return module._parameters[name]

    def apply(self, fn):
        """Call ``fn(module)`` on every descendant and then on this module; returns ``self``."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # -- modes and grads ---------------------------------------------------------------------

    def train(self, mode=True):
        """Set training mode (``mode=True``) or evaluation mode here and below; returns ``self``.

        Raises:
            ValueError: ``mode`` is not a bool.
        """
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.__dict__["training"] = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        """Set evaluation mode (``Dropout`` passes through, ``BatchNorm`` uses running stats); returns ``self``."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` of every parameter; returns ``self``."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of every parameter: to ``None`` (default) or to zeros in place."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                if p.grad.grad_fn is not None:
                    p.grad.detach_()
                else:
                    p.grad.requires_grad_(False)
                p.grad.zero_()

    # -- dtype ---------------------------------------------------------------------------------

    def _apply(self, fn):
        for module in self.children():
            module._apply(fn)
        for table in (self._parameters, self._buffers):
            for t in table.values():
                if t is not None:
                    fn(t)
        return self

    def to(self, *args, **kwargs):
        """Cast floating-point parameters and buffers to a dtype, in place; returns ``self``.

        Takes PyTorch's forms: ``to(device)``, ``to(dtype)``, ``to(device, dtype)``,
        ``to(tensor)`` and the keywords ``device``, ``dtype``, ``non_blocking``. The CPU
        (``"cpu"``, ``srcgrad.device("cpu")``) is where the module already is.

        Args:
            dtype: ``srcgrad.float32``, ``np.float64``, ... (positionally or as ``dtype=``).

        Raises:
            TypeError: the dtype is not floating point.
            DeviceError: a device other than the CPU (srcgrad computes on the CPU only).
        """
        dtype, _ = parse_to("Module.to", args, kwargs)
        if dtype is None:
            return self
        if dtype.kind != "f":
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}")
        return self._cast(lambda t: t._value.dtype.kind == "f", dtype)

    def _cast(self, which, dtype):
        def cast(t):
            if which(t) and t._value.dtype != dtype:
                t._value = t._value.astype(dtype)
                t._vc[0] += 1
                if t.grad is not None:
                    t.grad._value = t.grad._value.astype(dtype)

        return self._apply(cast)

    def float(self):
        """Cast floating-point parameters and buffers to float32; returns ``self``."""
        return self.to(np.float32)

    def double(self):
        """Cast floating-point parameters and buffers to float64; returns ``self``."""
        return self.to(np.float64)

    def half(self):
        """Cast floating-point parameters and buffers to float16; returns ``self``."""
        return self.to(np.float16)

    def type(self, dtype):
        """Cast every parameter and buffer to ``dtype``; returns ``self``."""
        return self._cast(lambda t: True, np.dtype(dtype))

    def cpu(self):
        """Returns ``self``: srcgrad runs on the CPU."""
        return self

    def cuda(self, device=None):
        """Raises: srcgrad has no CUDA.

        Raises:
            DeviceError: always.
        """
        check_device(
            "Module.cuda", "cuda" if device is None else f"cuda:{device}" if isinstance(device, int) else device
        )

    # -- state ---------------------------------------------------------------------------------

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """The parameters and persistent buffers by dotted name, in registration order.

        Args:
            destination: a dict to fill (a new ``OrderedDict`` by default).
            prefix: prepended to every key.
            keep_vars: give the Parameters themselves instead of detached Tensors sharing memory.

        Returns:
            The ``OrderedDict`` of name -> Tensor (``0.weight``, ``0.bias``, ...).
        """
        if args:  # PyTorch's old positional form: (destination, prefix, keep_vars)
            destination = args[0]
            prefix = args[1] if len(args) > 1 else prefix
            keep_vars = args[2] if len(args) > 2 else keep_vars
        if destination is None:
            destination = OrderedDict()
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        return destination

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy values from ``state_dict`` into the parameters and buffers, in place.

        Values may be Tensors or ndarrays; they are cast to each parameter's dtype.

        Args:
            state_dict: name -> value, as ``state_dict()`` makes it.
            strict: raise when keys are missing or unexpected.
            assign: replace the parameters and buffers by new ones holding the loaded values
                (keeping ``requires_grad``) instead of copying into them.

        Returns:
            ``(missing_keys, unexpected_keys)`` as a named tuple.

        Raises:
            RuntimeError: a shape differs, or (with ``strict``) keys are missing or unexpected;
                the message lists every problem, as PyTorch's does.
        """
        if not hasattr(state_dict, "keys"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        own = {}
        for prefix, module in self.named_modules():
            head = prefix + "." if prefix else ""
            for name, param in module._parameters.items():
                if param is not None:
                    own[head + name] = param
            for name, buf in module._buffers.items():
                if buf is not None and name not in module._non_persistent_buffers_set:
                    own[head + name] = buf
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        if strict:
            if unexpected:
                errors.append("Unexpected key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in unexpected)))
            if missing:
                errors.append("Missing key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in missing)))
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = _as_value(state_dict[key])
            if value.shape != target._value.shape:
                errors.append(
                    f"size mismatch for {key}: copying a param with shape {list(value.shape)} from "
                    f"checkpoint, the shape in current model is {list(target._value.shape)}."
                )
        if errors:
            raise RuntimeError(
                "Error(s) in loading state_dict for {}:\n\t{}".format(self._get_name(), "\n\t".join(errors))
            )
        if assign:
            for prefix, module in self.named_modules():
                head = prefix + "." if prefix else ""
                for table in ("_parameters", "_buffers"):
                    entries = getattr(module, table)
                    for name, target in entries.items():
                        if target is None or head + name not in state_dict:
                            continue
                        value = np.array(_as_value(state_dict[head + name]), copy=True)
                        entries[name] = (
                            Parameter(value, target.requires_grad) if table == "_parameters" else Tensor._wrap(value)
                        )
            return _IncompatibleKeys(missing, unexpected)
        with no_grad():
            for key, target in own.items():
                if key in state_dict:
                    target.copy_(Tensor._wrap(np.asarray(_as_value(state_dict[key]), dtype=target._value.dtype)))
        return _IncompatibleKeys(missing, unexpected)

    # -- printing ------------------------------------------------------------------------------

    def _get_name(self):
        return type(self).__name__

    def extra_repr(self):
        """The text inside this module's parentheses in ``repr`` (its settings); empty by default."""
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): " + _addindent(repr(module), 2) for key, module in self._modules.items()]
        lines = extra_lines + child_lines
        text = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                text += extra_lines[0]
            else:
                text += "\n  " + "\n  ".join(lines) + "\n"
        return text + ")"

    def __setstate__(self, state):
        self.__dict__.update(state)
