"""Running PyTorch programs on srcgrad as they are: ``import torch`` resolved to srcgrad.

``srcgrad run SCRIPT [ARGS...]`` (or ``python -m srcgrad run ...``) runs a
PyTorch script without editing it: before the script starts, an import hook
makes ``import torch``, ``import torch.nn as nn``,
``from torch.utils.data import DataLoader``, ... give srcgrad's modules under
PyTorch's names. The script then runs as ``python SCRIPT ARGS...`` would run
it: ``__name__ == "__main__"``, ``sys.argv == [SCRIPT, *ARGS]``, and its own
directory first on ``sys.path`` (so ``import model`` finds the module beside it).

A PyTorch name srcgrad does not have fails with an error that names it
(``torch.nn.TransformerXL``, ``torch.distributions``); the hook never falls
through to a real PyTorch that happens to be installed. Each PyTorch module is
a thin stand-in (``TorchModule``) whose attributes are the srcgrad module's.
While the hook is on, sizes and dtypes print as ``torch.Size([2, 3])`` and
``torch.float32``, and Tensor methods that mean different things in numpy and
PyTorch (``x.std()``, ``x.max(0)``, see ``srcgrad.meanings``) take PyTorch's meaning.

``torch_alias()`` is the hook as a context manager (it puts back whatever
``torch`` modules were imported before); ``run_script`` runs one script
inside it, with numpy's floating-point warnings off (PyTorch has none: ``log(0)``
is ``-inf`` without a word). See docs/porting.md for what runs unchanged and what differs.
"""

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import runpy
import sys
import types

import numpy as np

from . import printing
from .meanings import set_method_meanings

__all__ = ["TORCH_MODULES", "TorchModule", "torch_alias", "run_script", "MissingTorchName"]

TORCH_MODULES = {
    "torch": "srcgrad",
    "torch.nn": "srcgrad.nn",
    "torch.nn.functional": "srcgrad.nn.functional",
    "torch.nn.init": "srcgrad.nn.init",
    "torch.nn.parameter": "srcgrad.nn.parameter",
    "torch.nn.utils": "srcgrad.nn.utils",
    "torch.nn.utils.rnn": "srcgrad.nn.utils.rnn",
    "torch.nn.parallel": "srcgrad.nn.parallel",
    "torch.optim": "srcgrad.optim",
    "torch.optim.lr_scheduler": "srcgrad.optim.lr_scheduler",
    "torch.optim.optimizer": "srcgrad.optim.optimizer",
    "torch.autograd": "srcgrad.autograd",
    "torch.autograd.functional": "srcgrad.autograd.functional",
    "torch.autograd.function": "srcgrad.autograd.function",
    "torch.autograd.grad_mode": "srcgrad.autograd.grad_mode",
    "torch.autograd.gradcheck": "srcgrad.autograd.gradcheck",
    "torch.autograd.variable": "srcgrad.autograd.variable",
    "torch.autograd.profiler": "srcgrad.autograd.profiler",
    "torch.utils": "srcgrad.utils",
    "torch.utils.data": "srcgrad.utils.data",
    "torch.utils.data.dataloader": "srcgrad.utils.data.dataloader",
    "torch.utils.data.dataset": "srcgrad.utils.data.dataset",
    "torch.utils.data.sampler": "srcgrad.utils.data.sampler",
    "torch.utils.data.distributed": "srcgrad.utils.data.distributed",
    "torch.utils.tensorboard": "srcgrad.utils.tensorboard",
    "torch.utils.checkpoint": "srcgrad.utils.checkpoint",
    "torch.cuda": "srcgrad.cuda",
    "torch.cuda.amp": "srcgrad.cuda.amp",
    "torch.accelerator": "srcgrad.accelerator",
    "torch.backends": "srcgrad.backends",
    "torch.backends.cpu": "srcgrad.backends.cpu",
    "torch.backends.cuda": "srcgrad.backends.cuda",
    "torch.backends.cudnn": "srcgrad.backends.cudnn",
    "torch.backends.mkldnn": "srcgrad.backends.mkldnn",
    "torch.backends.mps": "srcgrad.backends.mps",
    "torch.backends.openmp": "srcgrad.backends.openmp",
    "torch.onnx": "srcgrad.onnx",
    "torch.serialization": "srcgrad.serialization",
    "torch.distributed": "srcgrad.distributed",
    "torch.amp": "srcgrad.amp",
}
"""Each PyTorch module srcgrad stands in for, and the srcgrad module that does
(an entry whose srcgrad module is not there is treated as missing)."""

# Packages built on PyTorch's C++ core: with ``torch`` resolved to srcgrad they would fail
# somewhere deep inside; refuse them at the import instead.
_BUILT_ON_TORCH = ("torchvision", "torchaudio", "torchtext", "torchdata", "lightning", "pytorch_lightning")

_ADVICE = "srcgrad run resolves torch to srcgrad: docs/porting.md lists what it has"

# What ``torch.__version__`` says under the hook: the PyTorch API srcgrad follows, then srcgrad.
_API_VERSION = "2.13.0"


class MissingTorchName(AttributeError):
    """A PyTorch attribute srcgrad does not have was used by a script run through the hook."""


class TorchModule(types.ModuleType):
    """A PyTorch module's stand-in: its attributes are those of the srcgrad module behind it.

    A name the srcgrad module lacks raises ``MissingTorchName`` (an
    ``AttributeError``) naming the PyTorch name, e.g. ``torch.nn.Foo``.
    Submodules come back as stand-ins too (``torch.nn.functional``).

    Args:
        name: the PyTorch module's name (``"torch.nn"``).
        target: the srcgrad module.
    """

    def __init__(self, name, target):
        super().__init__(name, target.__doc__)
        self.__dict__["_srcgrad_module"] = target
        if name == "torch":
            self.__dict__["__version__"] = f"{_API_VERSION}+srcgrad.{target.__version__}"

    def __getattr__(self, attr):
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        sub = f"{self.__name__}.{attr}"
        if sub in TORCH_MODULES and _exists(TORCH_MODULES[sub]):
            return importlib.import_module(sub)
        target = self.__dict__["_srcgrad_module"]
        try:
            return getattr(target, attr)
        except AttributeError:
            raise MissingTorchName(
                f"{sub} is a PyTorch name srcgrad does not have ({target.__name__} has no {attr}). {_ADVICE}",
                name=attr,
                obj=self,
            ) from None

    def __dir__(self):
        return sorted(set(dir(self.__dict__["_srcgrad_module"])) | set(self.__dict__))

    def __repr__(self):
        return f"<module '{self.__name__}' (srcgrad's {self.__dict__['_srcgrad_module'].__name__})>"


def _exists(module_name):
    if module_name in sys.modules:
        return True
    try:
        return importlib.util.find_spec(module_name) is not None
    except ModuleNotFoundError:
        return False


class _TorchLoader(importlib.abc.Loader):
    def create_module(self, spec):
        name = spec.name
        target = TORCH_MODULES.get(name)
        if target is None or not _exists(target):
            raise ModuleNotFoundError(
                f"No module named '{name}': {name} is a PyTorch module srcgrad does not have. {_ADVICE}", name=name
            )
        return TorchModule(name, importlib.import_module(target))

    def exec_module(self, module):
        pass


class _RefusingLoader(importlib.abc.Loader):
    def create_module(self, spec):
        top = spec.name.split(".")[0]
        raise ModuleNotFoundError(
            f"No module named '{spec.name}': {top} is built on PyTorch's C++ core, which srcgrad does not have, "
            f"so it cannot run on srcgrad. {_ADVICE}",
            name=spec.name,
        )

    def exec_module(self, module):
        pass


class _TorchFinder(importlib.abc.MetaPathFinder):
    """Answers every import of ``torch`` and ``torch.*`` (and refuses packages built on PyTorch)."""

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.split(".")[0]
        if top == "torch":
            return importlib.util.spec_from_loader(fullname, _TorchLoader(), is_package=True)
        if top in _BUILT_ON_TORCH:
            return importlib.util.spec_from_loader(fullname, _RefusingLoader())
        return None


def _is_torch_name(name):
    top = name.split(".")[0]
    return top == "torch" or top in _BUILT_ON_TORCH


@contextlib.contextmanager
def torch_alias():
    """While active, ``import torch`` (and every ``torch.*`` module) gives srcgrad's stand-ins.

    Modules of a real PyTorch imported earlier are set aside and put back on exit,
    as is the way sizes and dtypes print.
    """
    saved = {name: module for name, module in sys.modules.items() if _is_torch_name(name)}
    for name in saved:
        del sys.modules[name]
    finder = _TorchFinder()
    sys.meta_path.insert(0, finder)
    namespace = printing.namespace()
    printing.set_namespace("torch")
    meanings = set_method_meanings("pytorch")  # x.std(), x.max(0), x.sort() mean what the script expects
    try:
        yield
    finally:
        meanings.__exit__(None, None, None)
        printing.set_namespace(namespace)
        sys.meta_path.remove(finder)
        for name in [name for name in sys.modules if _is_torch_name(name)]:
            del sys.modules[name]
        sys.modules.update(saved)


def run_script(path, args=(), default_dtype=None):
    """Run the PyTorch script ``path`` with ``torch`` resolved to srcgrad, as ``python path *args`` would.

    Args:
        path: the script's file, or a directory with a ``__main__.py`` (as ``python DIR`` runs it).
        args: its command-line arguments (``sys.argv[1:]`` while it runs).
        default_dtype: the floating dtype Python floats become while it runs (default:
            srcgrad's, float64; ``"float32"`` is PyTorch's).

    Returns:
        The script's globals when it finished.

    Raises:
        FileNotFoundError: no such script (or a directory without ``__main__.py``).
        Whatever the script raises (``SystemExit`` from ``sys.exit`` or argparse included).
    """
    from .creation import get_default_dtype, set_default_dtype

    if os.path.isdir(path):
        if not os.path.isfile(os.path.join(path, "__main__.py")):
            raise FileNotFoundError(f"srcgrad run: {path} is a directory with no __main__.py")
        directory = os.path.abspath(path)
    elif os.path.isfile(path):
        directory = os.path.dirname(os.path.abspath(path))
    else:
        raise FileNotFoundError(f"srcgrad run: no such script: {path}")
    argv, syspath, before = sys.argv, list(sys.path), set(sys.modules)
    dtype = get_default_dtype()
    sys.argv = [path, *args]
    sys.path.insert(0, directory)
    try:
        if default_dtype is not None:
            set_default_dtype(default_dtype)
        # PyTorch computes log(0) = -inf, 0/0 = nan, ... silently; numpy warns: not while a PyTorch script runs
        with torch_alias(), np.errstate(all="ignore"):
            return runpy.run_path(path, run_name="__main__")
    finally:
        set_default_dtype(dtype)
        sys.argv = argv
        sys.path[:] = syspath
        _forget_modules_beside(directory, before)


def _forget_modules_beside(directory, before):
    """Drop the modules the script imported from its own directory (its ``model.py``, ...), so a
    later script in this process with a module of the same name gets its own."""
    prefix = directory + os.sep
    for name in set(sys.modules) - before:
        filename = getattr(sys.modules[name], "__file__", None) or ""
        if os.path.abspath(filename).startswith(prefix):
            del sys.modules[name]
