"""Containers: ``Sequential``, ``ModuleList``, ``ModuleDict``, ``ParameterList``, ``ParameterDict``.

Children are registered under their position (``'0'``, ``'1'``, ...) or their
key, so ``state_dict`` keys read ``0.weight``, ``1.bias``, as in PyTorch.
"""

import operator
from collections import OrderedDict
from itertools import islice

from .module import Module
from .parameter import Parameter

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]


def _index(idx, n):
    idx = operator.index(idx)
    if not -n <= idx < n:
        raise IndexError(f"index {idx} is out of range")
    return idx % n


class Sequential(Module):
    """Modules called one after the other, each on the previous one's output.

    Args:
        *args: the modules, or one ``OrderedDict`` of name -> module.

    Shape:
        Whatever the first module takes; whatever the last one returns.

    Example:
        >>> from srcgrad import nn
        >>> net = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
        >>> print(net)
        Sequential(
          (0): Linear(in_features=2, out_features=3, bias=True)
          (1): ReLU()
        )
        >>> list(net.state_dict())
        ['0.weight', '0.bias']
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for key, module in args[0].items():
                self.add_module(key, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self.__class__(OrderedDict(list(self._modules.items())[idx]))
        return next(islice(self._modules.values(), _index(idx, len(self._modules)), None))

    def __setitem__(self, idx, module):
        key = list(self._modules.keys())[_index(idx, len(self._modules))]
        setattr(self, key, module)

    def __delitem__(self, idx):
        keys = list(self._modules.keys())
        if isinstance(idx, slice):
            for key in keys[idx]:
                delattr(self, key)
        else:
            delattr(self, keys[_index(idx, len(keys))])
        # keep the numbering contiguous, as PyTorch does
        items = list(self._modules.items())
        self._modules.clear()
        for i, (_, module) in enumerate(items):
            self._modules[str(i)] = module

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __add__(self, other):
        if not isinstance(other, Sequential):
            raise ValueError(f"add operator supports only objects of Sequential class, but {type(other)} is given.")
        return Sequential(*self, *other)

    def append(self, module):
        """Add ``module`` at the end; returns ``self``."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        """Add every module of ``modules`` at the end; returns ``self``."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        """Insert ``module`` before position ``index``; returns ``self``."""
        n = len(self._modules)
        if not -n <= index <= n:
            raise IndexError(f"Index out of range: {index}")
        if index < 0:
            index += n
        items = list(self._modules.values())
        items.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(items):
            self.add_module(str(i), m)
        return self

    def pop(self, index):
        """Remove and return the module at ``index``."""
        module = self[index]
        del self[index]
        return module


class ModuleList(Module):
    """A list of modules, registered so that their parameters are found.

    Args:
        modules: an iterable of modules.

    Example:
        >>> from srcgrad import nn
        >>> layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
        >>> len(layers), len(list(layers.parameters()))
        (3, 6)
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self.__class__(list(self._modules.values())[idx])
        return self._modules[str(_index(idx, len(self._modules)))]

    def __setitem__(self, idx, module):
        self.add_module(str(_index(idx, len(self._modules))), module)

    def __delitem__(self, idx):
        items = list(self._modules.values())
        if isinstance(idx, slice):
            del items[idx]
        else:
            del items[_index(idx, len(items))]
        self._modules.clear()
        for i, module in enumerate(items):
            self.add_module(str(i), module)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return ModuleList(list(self) + list(other))

    def append(self, module):
        """Add ``module`` at the end; returns ``self``."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        """Add every module of ``modules`` at the end; returns ``self``.

        Raises:
            TypeError: ``modules`` is not iterable.
        """
        if not hasattr(modules, "__iter__"):
            raise TypeError("ModuleList.extend should be called with an iterable, but got " + type(modules).__name__)
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        """Insert ``module`` before position ``index``."""
        items = list(self._modules.values())
        items.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(items):
            self.add_module(str(i), m)

    def pop(self, index=-1):
        """Remove and return the module at ``index``."""
        module = self[index]
        del self[index]
        return module

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleList is a container: call its modules, not the list")


class ModuleDict(Module):
    """A dict of modules (insertion-ordered), registered so that their parameters are found.

    Args:
        modules: a mapping or an iterable of ``(key, module)`` pairs.

    Example:
        >>> from srcgrad import nn
        >>> heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Identity()})
        >>> list(heads.keys())
        ['a', 'b']
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def clear(self):
        """Remove every module."""
        self._modules.clear()

    def pop(self, key):
        """Remove and return the module at ``key``."""
        module = self[key]
        del self[key]
        return module

    def keys(self):
        """The keys."""
        return self._modules.keys()

    def items(self):
        """``(key, module)`` pairs."""
        return self._modules.items()

    def values(self):
        """The modules."""
        return self._modules.values()

    def update(self, modules):
        """Add or replace modules from a mapping or an iterable of pairs.

        Raises:
            TypeError: ``modules`` is neither.
        """
        if hasattr(modules, "items"):
            pairs = modules.items()
        elif hasattr(modules, "__iter__"):
            pairs = modules
        else:
            raise TypeError(
                "ModuleDict.update should be called with an iterable of key/value pairs, but got "
                + type(modules).__name__
            )
        for key, module in pairs:
            self[key] = module

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleDict is a container: call its modules, not the dict")


class ParameterList(Module):
    """A list of Parameters, registered under ``'0'``, ``'1'``, ...

    Args:
        values: an iterable of Parameters (Tensors are wrapped as Parameters).

    Example:
        >>> import srcgrad
        >>> ps = srcgrad.nn.ParameterList([srcgrad.nn.Parameter(srcgrad.zeros(2))])
        >>> len(ps), [n for n, _ in ps.named_parameters()]
        (1, ['0'])
    """

    def __init__(self, values=None):
        super().__init__()
        for value in values or ():
            self.append(value)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ParameterList(list(self._parameters.values())[idx])
        return self._parameters[str(_index(idx, len(self._parameters)))]

    def __setitem__(self, idx, value):
        self.register_parameter(str(_index(idx, len(self._parameters))), _as_parameter(value))

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def append(self, value):
        """Add a Parameter at the end; returns ``self``."""
        self.register_parameter(str(len(self)), _as_parameter(value))
        return self

    def extend(self, values):
        """Add every value at the end; returns ``self``."""
        for value in values:
            self.append(value)
        return self

    def extra_repr(self):
        return "\n".join(
            f"({i}): Parameter containing: [{p.dtype} of size {'x'.join(map(str, p.shape))}]"
            for i, p in enumerate(self)
        )


class ParameterDict(Module):
    """A dict of Parameters, registered under their keys.

    Args:
        parameters: a mapping or an iterable of ``(key, Parameter)`` pairs.

    Example:
        >>> import srcgrad
        >>> ps = srcgrad.nn.ParameterDict({"w": srcgrad.nn.Parameter(srcgrad.zeros(2))})
        >>> list(ps.keys())
        ['w']
    """

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            pairs = parameters.items() if hasattr(parameters, "items") else parameters
            for key, value in pairs:
                self[key] = value

    def __getitem__(self, key):
        return self._parameters[key]

    def __setitem__(self, key, value):
        self.register_parameter(
            key, _as_parameter(value)
        ) if key not in self._parameters else self._parameters.__setitem__(key, _as_parameter(value))

    def __delitem__(self, key):
        del self._parameters[key]

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters)

    def __contains__(self, key):
        return key in self._parameters

    def keys(self):
        """The keys."""
        return self._parameters.keys()

    def items(self):
        """``(key, Parameter)`` pairs."""
        return self._parameters.items()

    def values(self):
        """The Parameters."""
        return self._parameters.values()


def _as_parameter(value):
    return value if isinstance(value, Parameter) or value is None else Parameter(value)
