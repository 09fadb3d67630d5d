"""Run a PyTorch program on srcgrad (through ``srcgrad run``'s import hook) and on PyTorch, from the
same starting point, and record what to compare.

What the two runs must share, the harness makes equal; everything else is the
libraries' own work:

* **Weights.** The first time a module tree is called (or a parameter is handed
  to an optimizer), the PyTorch run records its parameters and buffers
  (``state_dict`` order); the srcgrad run, at the same moment, copies those
  values in, checking names and shapes. srcgrad's initialisation draws other
  random numbers than PyTorch's, so this is how both start alike.
* **Random numbers the program draws itself** (``torch.randn``, ``rand``,
  ``randint``, ``randperm``, ``normal``, ``*_like``, ``multinomial``, called from
  the program's own files) come from one numpy stream, reseeded by the program's
  ``manual_seed``; so do dropout masks and ``RandomSampler`` orders. Python's
  ``random`` and numpy's global generator are seeded alike before each run.

What is recorded: the value of every scalar the program calls ``backward()`` on
(its loss trajectory), the indices ``multinomial`` drew (samples), and stdout.
"""

import contextlib
import io
import os
import random
import runpy
import sys

import numpy as np

import srcgrad
from srcgrad import porting

HERE = os.path.dirname(os.path.abspath(__file__))


class Record:
    """What one run produced."""

    def __init__(self):
        self.losses = []
        self.samples = []
        self.stdout = ""
        self.transplants = []  # PyTorch run: the recorded weights; srcgrad run: the names copied


class _Stream:
    """The shared stream of random numbers (reseeded by the program's manual_seed)."""

    def __init__(self):
        self.rng = np.random.default_rng(1234)
        self.samplers = 0

    def seed(self, s):
        self.rng = np.random.default_rng(int(s) + 1234)


def _from_program(directory):
    frame = sys._getframe(2)
    return os.path.abspath(frame.f_code.co_filename).startswith(directory + os.sep)


def _size(args):
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(int(a) for a in args)


@contextlib.contextmanager
def _patched(obj, name, value):
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


def _install(stack, lib, directory, stream, record, weights, is_torch):
    """Patch ``lib`` (srcgrad or torch) for one run; the patches are undone when ``stack`` closes."""
    Tensor = lib.Tensor
    float_dtype = lib.get_default_dtype()

    def to_lib(array, dtype=None, requires_grad=False):
        t = lib.tensor(array, dtype=dtype) if dtype is not None else lib.tensor(array)
        if dtype is None and t.dtype != lib.int64 and t.is_floating_point():
            t = t.to(float_dtype)
        return t.requires_grad_(True) if requires_grad else t

    def wrap_random(name, draw):
        original = getattr(lib, name)

        def patched(*args, **kwargs):
            if not _from_program(directory):
                return original(*args, **kwargs)
            return draw(original, *args, **kwargs)
        patched.__name__ = name
        stack.enter_context(_patched(lib, name, patched))

    def randn(original, *size, dtype=None, requires_grad=False, generator=None, device=None, **kw):
        return to_lib(stream.rng.standard_normal(_size(size)), dtype, requires_grad)

    def rand(original, *size, dtype=None, requires_grad=False, generator=None, device=None, **kw):
        return to_lib(stream.rng.random(_size(size)), dtype, requires_grad)

    def randint(original, *args, size=None, dtype=None, generator=None, device=None, **kw):
        args = list(args)
        if size is None:
            size = args.pop()
        low, high = (0, args[0]) if len(args) == 1 else (args[0], args[1])
        return lib.tensor(stream.rng.integers(low, high, size=tuple(size)), dtype=dtype or lib.int64)

    def randperm(original, n, generator=None, dtype=None, device=None, **kw):
        return lib.tensor(stream.rng.permutation(n), dtype=dtype or lib.int64)

    def like(draw):
        def make(original, t, dtype=None, requires_grad=False, device=None, **kw):
            return to_lib(draw(tuple(t.shape)), dtype or t.dtype, requires_grad)
        return make

    def multinomial(original, input, num_samples, replacement=False, generator=None, **kw):
        probs = input.detach().cpu().numpy().astype(np.float64)
        rows = probs.reshape(-1, probs.shape[-1])
        picks = np.empty((rows.shape[0], num_samples), dtype=np.int64)
        for r, row in enumerate(rows):
            if replacement:
                cdf = np.cumsum(row)
                picks[r] = np.minimum(np.searchsorted(cdf / cdf[-1], stream.rng.random(num_samples), side="right"),
                                      len(row) - 1)
            else:
                with np.errstate(divide="ignore"):
                    keys = stream.rng.standard_exponential(len(row)) / row
                picks[r] = np.argsort(keys, kind="stable")[:num_samples]
        picks = picks if probs.ndim == 2 else picks[0]
        record.samples.append(picks.tolist())
        return lib.tensor(picks)

    wrap_random("randn", randn)
    wrap_random("rand", rand)
    wrap_random("randint", randint)
    wrap_random("randperm", randperm)
    wrap_random("randn_like", like(lambda shape: stream.rng.standard_normal(shape)))
    wrap_random("rand_like", like(lambda shape: stream.rng.random(shape)))
    wrap_random("multinomial", multinomial)

    original_seed = lib.manual_seed

    def manual_seed(seed):
        stream.seed(seed)
        return original_seed(seed)
    stack.enter_context(_patched(lib, "manual_seed", manual_seed))

    # dropout: the same masks in both runs
    F = lib.nn.functional
    original_dropout = F.dropout

    def dropout(input, p=0.5, training=True, inplace=False):
        if not training or p == 0:
            return input
        keep = stream.rng.random(tuple(input.shape)) >= p
        return input * to_lib(keep / (1.0 - p), dtype=input.dtype)
    stack.enter_context(_patched(F, "dropout", dropout))
    del original_dropout

    # RandomSampler: the same orders in both runs (drawn lazily, so num_samples may be huge)
    sampler_class = lib.utils.data.RandomSampler

    def sampler_iter(self):
        stream.samplers += 1
        rng = np.random.default_rng(10_000 + stream.samplers)
        n = len(self.data_source)
        count = self.num_samples
        if self.replacement:
            while count > 0:
                k = min(count, 1024)
                yield from rng.integers(0, n, size=k).tolist()
                count -= k
            return
        while count > 0:
            order = rng.permutation(n).tolist()[:count]
            yield from order
            count -= len(order)
    stack.enter_context(_patched(sampler_class, "__iter__", sampler_iter))

    # the loss trajectory: every scalar the program calls backward() on
    original_backward = Tensor.backward

    def backward(self, *args, **kwargs):
        if self.numel() == 1 and _from_program(directory):
            record.losses.append(float(self.detach().reshape(-1)[0].item()))
        return original_backward(self, *args, **kwargs)
    stack.enter_context(_patched(Tensor, "backward", backward))

    # weights: recorded (PyTorch) or copied in (srcgrad) the first time they are used
    seen = set()
    alive = []  # what ``seen`` holds ids of is kept alive, so no id is reused by a later object

    def transplant(named):
        fresh = [(name, t) for name, t in named if id(t) not in seen]
        if not fresh:
            return
        for _, t in fresh:
            seen.add(id(t))
            alive.append(t)
        if is_torch:
            weights.append([(name, t.detach().cpu().numpy().copy()) for name, t in fresh])
            record.transplants.append([name for name, _ in fresh])
            return
        if not weights:
            raise AssertionError(f"srcgrad's run uses weights PyTorch's run never did: {[n for n, _ in fresh]}")
        recorded = weights.pop(0)
        ours = [(name, tuple(t.shape)) for name, t in fresh]
        theirs = [(name, tuple(v.shape)) for name, v in recorded]
        if ours != theirs:
            raise AssertionError(f"weights differ in names or shapes:\n srcgrad {ours}\n PyTorch {theirs}")
        with lib.no_grad():
            for (_, t), (_, value) in zip(fresh, recorded):
                t.copy_(lib.tensor(value, dtype=t.dtype))
        record.transplants.append([name for name, _ in fresh])

    module_class = lib.nn.Module
    original_call = module_class.__call__

    def call(self, *args, **kwargs):
        if id(self) not in seen:
            named = list(self.state_dict(keep_vars=True).items())
            for m in self.modules():
                seen.add(id(m))
                alive.append(m)
            transplant(named)
        return original_call(self, *args, **kwargs)
    stack.enter_context(_patched(module_class, "__call__", call))

    optimizer_class = lib.optim.Optimizer
    original_init = optimizer_class.__init__

    def init(self, params, *args, **kwargs):
        original_init(self, params, *args, **kwargs)
        named = [(f"param_groups[{g}][{i}]", p) for g, group in enumerate(self.param_groups)
                 for i, p in enumerate(group["params"])]
        transplant(named)
    stack.enter_context(_patched(optimizer_class, "__init__", init))


@contextlib.contextmanager
def recording_losses(lib, directory, record):
    """Only record (no shared randomness, no weight copying): the losses of scalars the program's
    own files call ``backward()`` on, into ``record.losses``."""
    original_backward = lib.Tensor.backward

    def backward(self, *args, **kwargs):
        if self.numel() == 1 and _from_program(directory):
            record.losses.append(float(self.detach().reshape(-1)[0].item()))
        return original_backward(self, *args, **kwargs)
    with _patched(lib.Tensor, "backward", backward):
        yield


def run_plain(path, args=(), cwd=None, through_runner=True):
    """Run the program on srcgrad without the harness's shared randomness: through the runner's
    import hook (``through_runner``), or as a plain script (a copy whose imports name srcgrad).
    Returns its ``Record`` (losses and stdout)."""
    record = Record()
    directory = os.path.dirname(os.path.abspath(path))
    out = io.StringIO()
    old_cwd, argv, syspath, before = os.getcwd(), sys.argv, list(sys.path), set(sys.modules)
    _seed_everything()
    with recording_losses(srcgrad, directory, record):
        if cwd:
            os.chdir(cwd)
        try:
            with contextlib.redirect_stdout(out):
                if through_runner:
                    porting.run_script(path, list(args))
                else:
                    sys.argv = [path, *args]
                    sys.path.insert(0, directory)
                    runpy.run_path(path, run_name="__main__")
        finally:
            os.chdir(old_cwd)
            sys.argv = argv
            sys.path[:] = syspath
            _forget_modules_beside(directory, before)
    record.stdout = out.getvalue()
    return record


def _forget_modules_beside(directory, before):
    for name in set(sys.modules) - before:
        filename = getattr(sys.modules[name], "__file__", None) or ""
        if os.path.abspath(filename).startswith(directory + os.sep):
            del sys.modules[name]


def _seed_everything():
    random.seed(0)
    np.random.seed(0)
    srcgrad.manual_seed(0)  # for programs that never seed: both srcgrad runs then draw the same numbers


def run_on_srcgrad(path, args=(), weights=None, cwd=None):
    """Run the program with ``torch`` resolved to srcgrad (``porting.run_script``); returns its ``Record``.

    Args:
        path: the program.
        args: its arguments.
        weights: what ``run_on_torch`` recorded (copied in as the program first uses them), or None
            to let srcgrad initialise.
        cwd: the directory to run in (the program may write files there).
    """
    record = Record()
    directory = os.path.dirname(os.path.abspath(path))
    stream = _Stream()
    out = io.StringIO()
    old_cwd = os.getcwd()
    with contextlib.ExitStack() as stack:
        if weights is not None:
            _install(stack, srcgrad, directory, stream, record, list(weights), is_torch=False)
        _seed_everything()
        if cwd:
            os.chdir(cwd)
        try:
            with contextlib.redirect_stdout(out):
                porting.run_script(path, list(args))
        finally:
            os.chdir(old_cwd)
    record.stdout = out.getvalue()
    return record


def run_on_torch(path, args=(), cwd=None):
    """Run the program on PyTorch in float64 (the default dtype srcgrad has); returns ``(Record, weights)``."""
    import torch

    record = Record()
    weights = []
    directory = os.path.dirname(os.path.abspath(path))
    stream = _Stream()
    out = io.StringIO()
    old_cwd, argv, syspath, before = os.getcwd(), sys.argv, list(sys.path), set(sys.modules)
    dtype = torch.get_default_dtype()
    with contextlib.ExitStack() as stack:
        torch.set_default_dtype(torch.float64)
        _install(stack, torch, directory, stream, record, weights, is_torch=True)
        _seed_everything()
        sys.argv = [path, *args]
        sys.path.insert(0, directory)
        if cwd:
            os.chdir(cwd)
        try:
            with contextlib.redirect_stdout(out):
                runpy.run_path(path, run_name="__main__")
        finally:
            os.chdir(old_cwd)
            sys.argv = argv
            sys.path[:] = syspath
            torch.set_default_dtype(dtype)
            _forget_modules_beside(directory, before)
    record.stdout = out.getvalue()
    return record, weights
