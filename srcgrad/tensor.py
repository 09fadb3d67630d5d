"""``Tensor``: an ndarray that records the operations done to it.

Every operation on a Tensor, whether it is an operator (``a * b``), a method
(``a.sum(dim=0)``) or a numpy function (``np.sin(a)``, ``np.dot(w, a)``, through
``__array_ufunc__`` / ``__array_function__``), goes through one function,
``_record``: it runs the primitive on the raw values and, when an input
requires grad and grad mode is on, links a ``RuleNode`` holding the
primitive's rule from ``srcgrad.rules``. ``backward`` hands the graph to the
engine. PyTorch's names and behaviour are kept where they exist.
"""

import numbers
import operator
import sys
import traceback
import warnings
import weakref

import numpy as np

from . import printing as _printing
from . import rules as _rules
from .device import CPU as _CPU
from .device import check_device as _check_device
from .device import parse_to as _parse_to
from .dtypes import get_default_dtype as _get_default_dtype
from .generator import default_generator as _default_generator
from .autograd import engine as _engine
from .autograd.grad_mode import grad_state as _state
from .autograd.graph import TENSOR, AccumulateGrad, MultiRuleNode, RuleNode, anomaly_mode
from .autograd.graph import RemovableHandle as _Handle
from .autograd.graph import stand_in as _stand_in
from . import shape_errors as _shapes
from .errors import AutogradError, NoRuleError
from . import meanings as _meanings
from .meanings import resolve as _resolve_meaning
from .rules import ALIASES, RULES
from .size import Size

__all__ = ["Tensor"]

_FLOAT_KINDS = "fc"


def _no_rule(func):
    name = getattr(func, "__name__", repr(func))
    module = getattr(func, "__module__", None) or "numpy"
    return NoRuleError(
        f"srcgrad has no derivative rule for {module}.{name}, so it cannot record it for a Tensor "
        f"that requires grad. Register one with srcgrad.rules.defvjp({name}, vjp_0, ...) "
        f"(see docs/rules.md), or call it on .detach()ed values."
    )


def _is_complex(value):
    """True for a complex array, Tensor, number, or list or tuple holding one."""
    if isinstance(value, Tensor):
        value = value._value
    if type(value) in _SEQUENCES:
        return any(_is_complex(v) for v in value)
    dtype = getattr(value, "dtype", None)
    return dtype.kind == "c" if dtype is not None else type(value) is complex


def _complex_refused(func):
    name = getattr(func, "__name__", repr(func))
    module = getattr(func, "__module__", None) or "numpy"
    return NoRuleError(
        f"srcgrad's derivative rule for {module}.{name} is not verified for complex values, so it refuses "
        "them rather than risk a wrong gradient (docs/autograd.md, 'Complex numbers', lists what is "
        "supported); work on real and imaginary parts, or call it on .detach()ed values.")


_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be "
    "populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf Tensor, "
    "use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you access the "
    "leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more information.")  # PyTorch's words


def _read_by_user():
    """True when ``.grad`` is read from outside srcgrad (srcgrad's own reads of a non-leaf's ``.grad`` never warn)."""
    name = sys._getframe(2).f_globals.get("__name__", "")
    return not (name == "srcgrad" or name.startswith("srcgrad."))


class Tensor:
    """An n-dimensional array that can record a graph for reverse-mode differentiation.

    Args:
        data: an ndarray, a Python scalar or nested list, or another Tensor.
        dtype: the numpy dtype (default: the array's own, or the default float
            dtype for Python floats).
        requires_grad: record operations on this Tensor for ``backward``.

    Raises:
        AutogradError: ``requires_grad`` on a Tensor that is not floating point.

    Example:
        >>> import srcgrad
        >>> x = srcgrad.tensor([1.0, 2.0], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([2., 4.])
    """

    __slots__ = ("_value", "requires_grad", "_grad", "grad_fn", "_vc", "_hooks", "_post_acc_hooks", "_acc", "_base",
                 "_output_nr", "_retains", "_backpropagated", "__weakref__")
    __array_priority__ = 1000

    def __init__(self, data, dtype=None, requires_grad=False):
        if isinstance(data, Tensor):
            data = data._value
        self._value = _as_value(data, dtype)
        self.grad_fn = None
        self._grad = None
        self._vc = [0]
        self._hooks = None
        self._post_acc_hooks = None
        self._acc = None
        self._base = None
        self._output_nr = 0
        self._retains = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # -- construction fast paths (used by the tape) --------------------------------

    @classmethod
    def _make(cls, value, grad_fn, requires_grad, output_nr=0):
        t = object.__new__(Tensor)
        t._value = value
        t.grad_fn = grad_fn
        t.requires_grad = requires_grad
        t._grad = None
        t._vc = [0]
        t._hooks = None
        t._post_acc_hooks = None
        t._acc = None
        t._base = None
        t._output_nr = output_nr
        t._retains = False
        return t

    @classmethod
    def _wrap(cls, value):
        return cls._make(value, None, False)

    def _edge(self):
        """``(node, output_nr)`` that gradients of this Tensor flow into."""
        if self.grad_fn is not None:
            return (self.grad_fn, self._output_nr)
        acc = self._acc() if self._acc is not None else None
        if acc is None:
            acc = AccumulateGrad(self)
            self._acc = weakref.ref(acc)
        return (acc, 0)

    # -- the core of the tape -----------------------------------------------------

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__":
            if any(isinstance(a, Tensor) and a.requires_grad for a in inputs) and _state.enabled:
                raise NoRuleError(f"srcgrad cannot record np.{ufunc.__name__}.{method} on a Tensor that "
                                  f"requires grad; use the matching numpy function (np.sum, np.cumsum, ...).")
            raw = [a._value if isinstance(a, Tensor) else a for a in inputs]
            return _wrap_out(getattr(ufunc, method)(*raw, **kwargs))
        if kwargs:
            if "out" in kwargs:
                return _record_out(ufunc, inputs, kwargs)
            return _record(ufunc, inputs, kwargs)
        if len(inputs) == 1:
            return _record_fast(ufunc, inputs[0])
        if len(inputs) == 2 and inputs[1] is not None:
            try:
                return _record_fast(ufunc, inputs[0], inputs[1])
            except ValueError:  # ndarray @ Tensor, np.matmul(a, b): numpy refused the shapes, say it as PyTorch does
                if ufunc is np.matmul:
                    _shapes.raise_if(_shapes.matmul_message(np.shape(inputs[0]), np.shape(inputs[1])))
                raise
        return _record(ufunc, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        alias = ALIASES.get(func)
        if alias is not None:
            return alias(*args, **kwargs)
        special = _COMPOSITES.get(func)
        if special is not None:
            return special(*args, **kwargs)
        if not kwargs and (len(args) == 1 or (len(args) == 2 and args[1] is not None)):
            return _record_fast(func, *args)
        return _record(func, args, kwargs)

    def __array__(self, dtype=None, copy=None):
        if self.requires_grad:
            raise AutogradError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead. "
                "(srcgrad refuses to turn a Tensor that requires grad into an ndarray, since that would "
                "silently drop it from the graph.)")
        value = np.asarray(self._value)
        return value if dtype is None else value.astype(dtype, copy=False)

    # -- attributes ------------------------------------------------------------------

    @property
    def shape(self):
        """The shape, a ``Size`` (a tuple of ints, as PyTorch's ``torch.Size``)."""
        return tuple.__new__(Size, self._value.shape)

    @property
    def dtype(self):
        """The numpy dtype."""
        return self._value.dtype

    @property
    def ndim(self):
        """The number of dimensions."""
        return self._value.ndim

    def dim(self):
        """The number of dimensions."""
        return self._value.ndim

    @property
    def size(self):
        """The number of elements (numpy's attribute ``x.size``); called, the shape (PyTorch's ``x.size()``).

        ``x.size`` is an int, and ``x.size()`` a ``Size`` and ``x.size(dim)`` a length, so a numpy
        function and a PyTorch script each get their own meaning.
        """
        return _SizeCount(self._value.size, self._value.shape)

    def numel(self):
        """The number of elements."""
        return int(np.size(self._value))

    def __len__(self):
        if self._value.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._value.shape[0]

    @property
    def grad(self):
        """The gradient accumulated by ``backward`` (a Tensor of this Tensor's shape), or ``None``.

        It is filled for leaves (and ``retain_grad()`` Tensors); reading it on a non-leaf that does not
        retain its gradient warns, as in PyTorch.
        """
        g = self._grad
        if g is None and self.grad_fn is not None and not self._retains and _read_by_user():
            warnings.warn(_NON_LEAF_GRAD, UserWarning, stacklevel=2)
        return g

    @grad.setter
    def grad(self, value):
        if value is not None:
            _check_grad(self, value)
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def is_leaf(self):
        """True for Tensors the user made (or that need no grad): ``.grad`` is filled only for them."""
        return self.grad_fn is None

    @property
    def data(self):
        """A Tensor sharing this one's values, outside the graph; assigning replaces the values."""
        return Tensor._wrap(self._value)

    @data.setter
    def data(self, other):
        self._value = other._value if isinstance(other, Tensor) else _as_value(other, None)

    @property
    def _version(self):
        return self._vc[0]

    @property
    def T(self):
        """The Tensor with its dimensions reversed."""
        return _record_fast(np.transpose, self)

    @property
    def mT(self):
        """The last two dimensions swapped."""
        return _record(np.swapaxes, (self, -1, -2), {})

    def item(self):
        """The single value as a Python number.

        Raises:
            RuntimeError: the Tensor has more than one element.
        """
        if np.size(self._value) != 1:
            raise RuntimeError(f"a Tensor with {np.size(self._value)} elements cannot be converted to Scalar")
        return self._value.item()

    def tolist(self):
        """The values as (nested) Python lists."""
        return self._value.tolist()

    def numpy(self):
        """The values as an ndarray sharing memory.

        Raises:
            AutogradError: the Tensor requires grad (use ``.detach().numpy()``).
        """
        return self.__array__()

    def __float__(self):
        """``float(t)``: the single value as a Python float.

        Raises:
            AutogradError: the Tensor requires grad, gradients are being recorded and no backward
                has started from it yet. A float leaves the graph, so ``math.exp(t)`` or
                ``buf[0] = t`` would silently lose t's gradient; read a value with ``t.item()``
                (explicit, as in PyTorch), under ``no_grad``, or after ``loss.backward()``.
            RuntimeError: the Tensor has more than one element.
        """
        if self.requires_grad and _state.enabled and not getattr(self, "_backpropagated", False):
            raise AutogradError(
                "float() of a Tensor that requires grad would drop it from the graph (math.* functions and "
                "writes into an ndarray call float()): use t.item() to read its value, or the numpy "
                "function (np.exp) to keep differentiating")
        return float(self.item())

    def __format__(self, format_spec):
        if format_spec and np.size(self._value) == 1:
            return format(self._value.item(), format_spec)
        return object.__format__(self, format_spec)  # str(t); a spec on many values is a TypeError, as in PyTorch

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._value.dtype.kind not in "iub":
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return operator.index(self._value.item())

    def __bool__(self):
        if np.size(self._value) != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._value)

    def __hash__(self):
        return id(self)

    def __iter__(self):
        if self._value.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._value.shape[0]))

    def __repr__(self):
        """PyTorch's layout: 4 digits after the point by default (see ``srcgrad.set_printoptions``)."""
        return _printing.format_tensor(self._value, _get_default_dtype(),
                                       None if self.grad_fn is None else self.grad_fn.name(), self.requires_grad)

    __str__ = __repr__

    # -- autograd ----------------------------------------------------------------------

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place on a leaf; returns ``self``.

        Raises:
            AutogradError: on a non-leaf, or asking a non-float Tensor to require grad.
        """
        if requires_grad and self._value.dtype.kind not in _FLOAT_KINDS:
            raise AutogradError("only Tensors of floating point and complex dtype can require gradients")
        if self.grad_fn is not None and not requires_grad:
            raise AutogradError(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self):
        """A new leaf Tensor sharing the values (and the version counter), outside the graph.

        An in-place change through the detached Tensor is seen by the graph of
        this one: a backward that needs the old values raises, as in PyTorch.
        """
        t = Tensor._wrap(self._value)
        t._vc = self._vc
        return t

    def detach_(self):
        """Detach in place: this Tensor becomes a leaf that does not require grad."""
        self.grad_fn = None
        self.requires_grad = False
        return self

    def retain_grad(self):
        """Fill ``.grad`` for this non-leaf Tensor during backward."""
        if self.grad_fn is None:
            if not self.requires_grad:
                raise AutogradError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self._retains:
            return
        node = self.grad_fn
        if node._retained is None:
            node._retained = []
        node._retained.append(weakref.ref(self))
        self._retains = True

    @property
    def retains_grad(self):
        """True when ``retain_grad`` was called on this non-leaf Tensor."""
        return self._retains

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this Tensor's gradient is computed; a Tensor it returns replaces it.

        Returns:
            A handle whose ``remove()`` takes the hook off.

        Raises:
            AutogradError: the Tensor does not require grad.
        """
        if not self.requires_grad:
            raise AutogradError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            self._hooks.append(hook)
            return _Handle(self._hooks, hook)

        def prehook(g, _hook=hook):
            if isinstance(g, Tensor):
                out = _hook(g)
                return out
            out = _hook(Tensor._wrap(g))
            return None if out is None else out._value

        return self.grad_fn.register_prehook(prehook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` after backward has accumulated this leaf's gradient into ``.grad``.

        The hook gets the Tensor itself (not the gradient) and returns None; it may read
        or change ``tensor.grad`` in place. It runs once per backward that reaches this leaf,
        after all of that backward's contributions are summed (not for ``autograd.grad``,
        which leaves ``.grad`` alone), as in PyTorch.

        Args:
            hook: the function ``hook(tensor) -> None``.

        Returns:
            A handle whose ``remove()`` takes the hook off.

        Raises:
            AutogradError: the Tensor does not require grad, or is not a leaf.
        """
        if not self.requires_grad:
            raise AutogradError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise AutogradError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if self._post_acc_hooks is None:
            self._post_acc_hooks = []
        self._post_acc_hooks.append(hook)
        return _Handle(self._post_acc_hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate the gradient of this Tensor into the ``.grad`` of the leaves.

        Args:
            gradient: the gradient of this Tensor; may be omitted for a single value.
            retain_graph: keep the graph for another backward (default: ``create_graph``).
            create_graph: record the backward pass, for higher-order derivatives.
            inputs: accumulate only into these leaves.

        Raises:
            AutogradError: see ``autograd.backward``.
        """
        from .autograd.api import backward as _backward

        _backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # -- in place ----------------------------------------------------------------------

    def _check_inplace(self):
        if not _state.enabled:
            return
        if self.grad_fn is None and self.requires_grad:
            raise AutogradError("a leaf Variable that requires grad is being used in an in-place operation.")
        if self._base is not None and (self.requires_grad or self._base[0].requires_grad):
            raise AutogradError(
                "srcgrad does not record in-place operations on a view of another Tensor "
                "(a slice, reshape or transpose) while grad is on; use an out-of-place operation "
                "or .clone() the view first.")

    def _inplace(self, func, *others, **kwargs):
        """Run ``func(self, *others)`` and write the result into this Tensor's storage."""
        self._check_inplace()
        tracking = _state.enabled and (self.requires_grad or any(
            isinstance(o, Tensor) and o.requires_grad for o in others))
        if not tracking:
            raw = [o._value if isinstance(o, Tensor) else o for o in others]
            self._write(func(self._value, *raw, **kwargs))
            return self
        # The old value becomes a Tensor of its own, so the new node can refer to it.
        old = Tensor._make(self._value, self.grad_fn, self.requires_grad, self._output_nr)
        old._vc = self._vc
        rule = RULES.get(func)
        if rule is not None and rule.differentiable:
            active = tuple(i for i, a in enumerate((old,) + others) if isinstance(a, Tensor) and a.requires_grad)
            reads, _, _ = rule.reads(1 + len(others), active)
            if 0 in reads:  # the VJP needs the value we are about to overwrite
                old._value = np.array(self._value, copy=True)
                old._vc = [0]
        result = _record(func, (old,) + others, kwargs)
        self._write(result._value)
        self.grad_fn = result.grad_fn
        self.requires_grad = result.requires_grad
        self._output_nr = 0
        return self

    def _write(self, value):
        if isinstance(self._value, np.ndarray) and self._value.ndim and self._value.flags.writeable:
            np.copyto(self._value, value, casting="unsafe")
        else:
            self._value = np.asarray(value, dtype=self._value.dtype)
        self._vc[0] += 1

    def add_(self, other, alpha=1):
        """In place ``self += alpha * other`` (PyTorch's deprecated ``add_(alpha, other)`` too)."""
        return self._inplace(np.add, _scaled(other, alpha, "add_"))

    def sub_(self, other, alpha=1):
        """In place ``self -= alpha * other`` (PyTorch's deprecated ``sub_(alpha, other)`` too)."""
        return self._inplace(np.subtract, _scaled(other, alpha, "sub_"))

    def mul_(self, other):
        """In place ``self *= other``."""
        return self._inplace(np.multiply, other)

    def div_(self, other):
        """In place ``self /= other``."""
        return self._inplace(np.true_divide, other)

    def pow_(self, exponent):
        """In place ``self **= exponent``."""
        return self._inplace(np.power, exponent)

    def clamp_(self, min=None, max=None):
        """In place clamp into ``[min, max]``."""
        return self._inplace(np.clip, min, max)

    def neg_(self):
        """In place negation."""
        return self._inplace(np.negative)

    def zero_(self):
        """Fill with zeros in place."""
        self._check_inplace()
        return self._fill(0)

    def fill_(self, value):
        """Fill with ``value`` in place."""
        self._check_inplace()
        return self._fill(value)

    def _fill(self, value):
        if isinstance(self._value, np.ndarray) and self._value.ndim:
            self._value.fill(value)
            self._vc[0] += 1
        else:
            self._write(np.full_like(self._value, value))
        if _state.enabled and self.grad_fn is not None:
            self.grad_fn = None  # the new value is a constant
            self.requires_grad = False
        return self

    def copy_(self, src):
        """Copy ``src`` into this Tensor in place (gradient flows to ``src``)."""
        self._check_inplace()
        if _state.enabled and isinstance(src, Tensor) and src.requires_grad:
            result = _record(np.broadcast_to, (src, self.shape), {}) if src.shape != self.shape else src * 1
            self._write(result._value)
            self.grad_fn = result.grad_fn
            self.requires_grad = True
            return self
        self._write(src._value if isinstance(src, Tensor) else src)
        if _state.enabled and self.grad_fn is not None:
            self.grad_fn = None
            self.requires_grad = False
        return self

    def __setitem__(self, index, value):
        index = _raw_index(index)
        tracking = _state.enabled and (self.requires_grad or (isinstance(value, Tensor) and value.requires_grad))
        if not tracking:
            self._check_inplace()
            raw = value._value if isinstance(value, Tensor) else value
            if not (isinstance(self._value, np.ndarray) and self._value.ndim):
                self._value = np.array(self._value)
            self._value[index] = raw
            self._vc[0] += 1
            return
        self._inplace(_rules.index_update, index, value)

    # ``a += b`` changes an array in place, but on a 0-d Tensor it rebinds ``a`` to a new Tensor, as on the
    # numpy scalar (or Python float) a numpy function would hold there: otherwise ``s = np.sum(x);
    # parts = [s]; parts[0] += 1.0`` would change ``s`` too, which numpy never does. A leaf that requires
    # grad is still changed in place (``p -= lr * p.grad`` under no_grad, PyTorch's manual SGD), and with
    # set_method_meanings("pytorch") (srcgrad run) every 0-d Tensor is, as in PyTorch. ``add_`` always is.

    def __iadd__(self, other):
        return self + other if self._scalar_like() else self.add_(other)

    def __isub__(self, other):
        return self - other if self._scalar_like() else self.sub_(other)

    def __imul__(self, other):
        return self * other if self._scalar_like() else self.mul_(other)

    def __itruediv__(self, other):
        return self / other if self._scalar_like() else self.div_(other)

    def _scalar_like(self):
        """True when augmented assignment rebinds this Tensor (0-d, not a leaf that requires grad, and
        PyTorch's meaning not chosen)."""
        return (self._value.ndim == 0 and not (self.requires_grad and self.grad_fn is None)
                and _meanings.get_method_meanings() != "pytorch")

    # -- conversions -------------------------------------------------------------------

    def to(self, *args, **kwargs):
        """This Tensor on a device, in a dtype: ``to(device)``, ``to(dtype)``, ``to(device, dtype)``,
        ``to(other)`` (``other``'s dtype), with the keywords ``device``, ``dtype``, ``non_blocking``, ``copy``.

        The CPU (``"cpu"``, ``"cpu:0"``, ``srcgrad.device("cpu")``) is where the Tensor is
        already: ``self`` comes back unless a new dtype or ``copy=True`` asks for a new Tensor.

        Raises:
            DeviceError: a device other than the CPU (srcgrad computes on the CPU only).
        """
        dtype, copy = _parse_to("Tensor.to", args, kwargs)
        result = self if dtype is None else self.type(dtype)
        return result.clone() if copy and result is self else result

    def type(self, dtype=None):
        """A Tensor cast to ``dtype`` (the same Tensor when the dtype already matches); with no
        argument, PyTorch's name of the type (``"torch.FloatTensor"``)."""
        if dtype is None:
            return f"{_printing.namespace()}.{_TYPE_NAMES.get(self._value.dtype, 'Tensor')}"
        dtype = np.dtype(dtype)
        if dtype == self._value.dtype:
            return self
        return _record(_rules.astype, (self, dtype), {})

    def float(self):
        """Cast to float32."""
        return self.type(np.float32)

    def double(self):
        """Cast to float64."""
        return self.type(np.float64)

    def half(self):
        """Cast to float16."""
        return self.type(np.float16)

    def long(self):
        """Cast to int64."""
        return self.type(np.int64)

    def int(self):
        """Cast to int32."""
        return self.type(np.int32)

    def bool(self):
        """Cast to bool."""
        return self.type(np.bool_)

    def astype(self, dtype):
        """numpy's name for ``type``."""
        return self.type(dtype)

    def clone(self):
        """A copy that stays in the graph (gradient flows back to this Tensor)."""
        return _record_fast(np.copy, self)

    def copy(self):
        """numpy's name for ``clone``: a copy with storage of its own, in the graph."""
        return _record_fast(np.copy, self)

    def contiguous(self):
        """``self`` when its values are laid out in C order, else a C-ordered copy (as PyTorch)."""
        value = self._value
        if not isinstance(value, np.ndarray) or value.flags.c_contiguous:
            return self
        return _record(np.copy, (self,), {})

    def cpu(self, memory_format=None):
        """Returns ``self``: srcgrad runs on the CPU."""
        return self

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        """Raises: srcgrad has no CUDA.

        Raises:
            DeviceError: always.
        """
        _check_device("Tensor.cuda", "cuda" if device is None else f"cuda:{device}" if isinstance(device, int)
                      else device)

    def is_contiguous(self, memory_format=None):
        """Whether the values are laid out in C order."""
        return not isinstance(self._value, np.ndarray) or self._value.flags.c_contiguous

    def element_size(self):
        """Bytes per element."""
        return self._value.dtype.itemsize

    @property
    def nbytes(self):
        """Bytes of all the elements."""
        return int(np.asarray(self._value).nbytes)

    def pin_memory(self, device=None):
        """Returns ``self``: pinning memory only matters when copying to an accelerator, and there is none."""
        return self

    # -- arithmetic ---------------------------------------------------------------------

    def __add__(self, other):
        return _record_fast(np.add, self, other)

    def __radd__(self, other):
        return _record_fast(np.add, other, self)

    def __sub__(self, other):
        return _record_fast(np.subtract, self, other)

    def __rsub__(self, other):
        return _record_fast(np.subtract, other, self)

    def __mul__(self, other):
        return _record_fast(np.multiply, self, other)

    def __rmul__(self, other):
        return _record_fast(np.multiply, other, self)

    def __truediv__(self, other):
        return _record_fast(np.true_divide, self, other)

    def __rtruediv__(self, other):
        return _record_fast(np.true_divide, other, self)

    def __pow__(self, other):
        return _record_fast(np.power, self, other)

    def __rpow__(self, other):
        return _record_fast(np.power, other, self)

    def __matmul__(self, other):
        try:
            return _record_fast(np.matmul, self, other)
        except ValueError:  # numpy refused the shapes: say it in PyTorch's words
            _shapes.raise_if(_shapes.matmul_message(self.shape, np.shape(other)))
            raise

    def __rmatmul__(self, other):
        try:
            return _record_fast(np.matmul, other, self)
        except ValueError:
            _shapes.raise_if(_shapes.matmul_message(np.shape(other), self.shape))
            raise

    def __neg__(self):
        return _record_fast(np.negative, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _record_fast(np.absolute, self)

    def __floordiv__(self, other):
        return _record_fast(np.floor_divide, self, other)

    def __rfloordiv__(self, other):
        return _record_fast(np.floor_divide, other, self)

    def __mod__(self, other):
        return _record_fast(np.remainder, self, other)

    def __rmod__(self, other):
        return _record_fast(np.remainder, other, self)

    def __lt__(self, other):
        return _record_fast(np.less, self, other)

    def __le__(self, other):
        return _record_fast(np.less_equal, self, other)

    def __gt__(self, other):
        return _record_fast(np.greater, self, other)

    def __ge__(self, other):
        return _record_fast(np.greater_equal, self, other)

    def __eq__(self, other):
        return _record_fast(np.equal, self, other)

    def __ne__(self, other):
        return _record_fast(np.not_equal, self, other)

    def __invert__(self):
        return _record(np.logical_not if self._value.dtype == np.bool_ else np.invert, (self,), {})

    def __and__(self, other):
        return _record_fast(np.logical_and, self, other)

    def __or__(self, other):
        return _record_fast(np.logical_or, self, other)

    def __rand__(self, other):
        return _record_fast(np.logical_and, other, self)

    def __ror__(self, other):
        return _record_fast(np.logical_or, other, self)

    def __xor__(self, other):
        return _record_fast(np.logical_xor, self, other)

    def __rxor__(self, other):
        return _record_fast(np.logical_xor, other, self)

    def __getitem__(self, index):
        return _record(operator.getitem, (self, _raw_index(index)), {})

    # -- PyTorch-named methods ------------------------------------------------------------

    def add(self, other, alpha=1):
        """``self + alpha * other`` (PyTorch's deprecated ``add(alpha, other)`` too)."""
        return self + _scaled(other, alpha, "add")

    def sub(self, other, alpha=1):
        """``self - alpha * other`` (PyTorch's deprecated ``sub(alpha, other)`` too)."""
        return self - _scaled(other, alpha, "sub")

    def mul(self, other):
        """``self * other``."""
        return self * other

    def div(self, other):
        """``self / other``."""
        return self / other

    def pow(self, exponent):
        """``self ** exponent``."""
        return self ** exponent

    def neg(self):
        """``-self``."""
        return -self

    def matmul(self, other):
        """``self @ other``."""
        return self @ other

    def mm(self, other):
        """Matrix product of two 2-D Tensors."""
        _shapes.raise_if(_shapes.mm_message(self.shape, np.shape(other)))
        return self @ other

    def mv(self, vec):
        """Product of a 2-D Tensor and a 1-D one."""
        _shapes.raise_if(_shapes.mv_message(self.shape, np.shape(vec)))
        return self @ vec

    def dot(self, other):
        """Dot product (``np.dot``: of two vectors, PyTorch's ``dot``; numpy's rules for other ranks)."""
        try:
            return _record_fast(np.dot, self, other)
        except ValueError:
            if self.ndim == 1 and np.ndim(other) == 1:
                _shapes.raise_if(_shapes.dot_message(self.shape, np.shape(other)))
            raise

    def abs(self):
        """Elementwise absolute value."""
        return _record_fast(np.absolute, self)

    def conj(self):
        """The complex conjugate; this Tensor itself when it is real (as PyTorch's ``conj()``)."""
        return self if self._value.dtype.kind != "c" else _record_fast(np.conjugate, self)

    conjugate = conj

    @property
    def real(self):
        """The real part (numpy's ``np.real``; a real Tensor's real part is itself)."""
        return self if self._value.dtype.kind != "c" else _record_fast(np.real, self)

    @property
    def imag(self):
        """The imaginary part (``np.imag``)."""
        return _record_fast(np.imag, self)

    def angle(self):
        """The argument of each complex element, in radians (``np.angle``)."""
        return _record_fast(np.angle, self)

    def is_complex(self):
        """True for complex dtypes."""
        return self._value.dtype.kind == "c"

    def exp(self):
        """Elementwise exponential."""
        return _record_fast(np.exp, self)

    def log(self):
        """Elementwise natural logarithm."""
        return _record_fast(np.log, self)

    def sin(self):
        """Elementwise sine."""
        return _record_fast(np.sin, self)

    def cos(self):
        """Elementwise cosine."""
        return _record_fast(np.cos, self)

    def tanh(self):
        """Elementwise hyperbolic tangent."""
        return _record_fast(np.tanh, self)

    def sqrt(self):
        """Elementwise square root."""
        return _record_fast(np.sqrt, self)

    def sigmoid(self):
        """Elementwise logistic sigmoid."""
        return _rules.sigmoid(self)

    def relu(self):
        """Elementwise ``max(x, 0)``."""
        return _rules.relu(self)

    def clamp(self, min=None, max=None):
        """Clamp into ``[min, max]`` (either may be None)."""
        return _record(np.clip, (self, min, max), {})

    clip = clamp

    def sum(self, dim=None, keepdim=False, axis=None, keepdims=None, dtype=None):
        """Sum over ``dim`` (all dimensions by default), in ``dtype`` when given (numpy's and PyTorch's)."""
        return _reduce(np.sum, self if dtype is None else self.type(dtype), dim, keepdim, axis, keepdims)

    def mean(self, dim=None, keepdim=False, axis=None, keepdims=None, dtype=None):
        """Mean over ``dim`` (all dimensions by default), in ``dtype`` when given."""
        return _reduce(np.mean, self if dtype is None else self.type(dtype), dim, keepdim, axis, keepdims)

    def prod(self, dim=None, keepdim=False, axis=None, keepdims=None, dtype=None):
        """Product over ``dim``, in ``dtype`` when given."""
        return _reduce(np.prod, self if dtype is None else self.type(dtype), dim, keepdim, axis, keepdims)

    def var(self, dim=None, unbiased=None, keepdim=None, *, correction=None, axis=None, ddof=None,
            keepdims=None):
        """Variance over ``dim`` (or ``axis``), dividing by ``n - ddof`` (``ddof`` = ``correction``).

        numpy's ``x.var()`` divides by n and PyTorch's by n - 1, so say which: ``ddof=`` (numpy),
        ``correction=`` or ``unbiased=`` (PyTorch); ``axis=`` settles nothing (PyTorch takes it as
        ``dim=``). Without any of them the call is ambiguous and
        raises ``AmbiguousMethodError`` unless ``set_method_meanings`` chose a meaning (see
        ``srcgrad.meanings``).
        """
        return _moment(np.var, self, dim, unbiased, keepdim, correction, axis, ddof, keepdims)

    def std(self, dim=None, unbiased=None, keepdim=None, *, correction=None, axis=None, ddof=None,
            keepdims=None):
        """Standard deviation over ``dim`` (or ``axis``); say ``ddof=``, ``correction=`` or ``unbiased=`` (see ``var``)."""
        return _moment(np.std, self, dim, unbiased, keepdim, correction, axis, ddof, keepdims)

    def max(self, *args, dim=None, keepdim=None, axis=None, keepdims=None):
        """The largest value; over ``dim=``, ``(values, indices)`` (PyTorch's); over several axes
        (``x.max((0, 1))``), the maxima (numpy's, ties share the gradient); with a Tensor, the
        elementwise maximum.

        ``x.max(0)`` and ``x.max(axis=0)`` are ambiguous (numpy: the maxima, PyTorch, which takes
        ``axis=`` as ``dim=``: ``(values, indices)``): they raise ``AmbiguousMethodError`` unless
        ``set_method_meanings`` chose a meaning. ``np.max(x, 0)`` is numpy's.
        """
        return _extreme("max", np.max, np.argmax, np.maximum, self, args, dim, keepdim, axis, keepdims)

    def min(self, *args, dim=None, keepdim=None, axis=None, keepdims=None):
        """The smallest value; over ``dim=``, ``(values, indices)``; over several axes, the minima (see ``max``)."""
        return _extreme("min", np.min, np.argmin, np.minimum, self, args, dim, keepdim, axis, keepdims)

    def amax(self, dim=None, keepdim=False):
        """The largest values over ``dim`` (ties share the gradient evenly)."""
        return _reduce(np.max, self, dim, keepdim, None, None)

    def amin(self, dim=None, keepdim=False):
        """The smallest values over ``dim`` (ties share the gradient evenly)."""
        return _reduce(np.min, self, dim, keepdim, None, None)

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Index of the largest value (not differentiable); ``axis``/``keepdims`` as numpy spells them."""
        return Tensor._wrap(np.argmax(self._value, axis=dim if axis is None else axis,
                                      keepdims=keepdim if keepdims is None else keepdims))

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Index of the smallest value (not differentiable); ``axis``/``keepdims`` as numpy spells them."""
        return Tensor._wrap(np.argmin(self._value, axis=dim if axis is None else axis,
                                      keepdims=keepdim if keepdims is None else keepdims))

    def norm(self, p=2, dim=None, keepdim=False):
        """The ``p``-norm over ``dim`` (the whole Tensor flattened by default)."""
        x = self if dim is not None or self.ndim <= 1 else self.reshape(-1)
        return _record(np.linalg.norm, (x,), {"ord": None if p == 2 else p, "axis": dim, "keepdims": keepdim})

    def reshape(self, *shape):
        """The same values in a new shape (``-1`` infers one length)."""
        return _record(np.reshape, (self, _shape_arg(shape)), {})

    def view(self, *shape):
        """The same values in a new shape (``-1`` infers one length); with a dtype, the same bytes read
        as that dtype (numpy's ``x.view(np.int64)`` and PyTorch's ``x.view(torch.int64)`` alike).

        Raises:
            AutogradError: a dtype view of a Tensor that requires grad (it has no gradient).
        """
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer, tuple, list)) and shape[0] is not None:
            dtype = np.dtype(shape[0])
            if self.requires_grad and _state.enabled:
                raise AutogradError(f"x.view({dtype}) reads the same bytes as another dtype, which has no "
                                    "gradient: .detach() first")
            t = Tensor._wrap(self._value.view(dtype))
            t._vc = self._vc
            return t
        return self.reshape(*shape)

    def view_as(self, other):
        """Reshape to ``other``'s shape."""
        return self.reshape(other.shape)

    def reshape_as(self, other):
        """Reshape to ``other``'s shape."""
        return self.reshape(other.shape)

    def flatten(self, start_dim=None, end_dim=-1, *, order=None):
        """Merge dimensions ``start_dim..end_dim`` into one (PyTorch's); with no dimensions, a 1-D copy.

        ``x.flatten()`` and numpy's ``x.flatten(order)`` return a copy, as numpy promises (PyTorch's may
        be a view or a copy, so a copy serves both).
        """
        if isinstance(start_dim, str) or order is not None:
            order = start_dim if isinstance(start_dim, str) else order
            return _record(np.copy, (_record(np.ravel, (self,), {"order": order}),), {})
        if start_dim is None:
            if end_dim == -1 and _meanings.get_method_meanings() != "pytorch":
                return _record(np.copy, (self.reshape(-1),), {})
            start_dim = 0
        shape = self.shape
        if not shape:
            return self.reshape(1)
        start = start_dim % len(shape)
        end = end_dim % len(shape)
        if start == end:
            return self
        merged = int(np.prod(shape[start:end + 1]))
        return self.reshape(shape[:start] + (merged,) + shape[end + 1:])

    def transpose(self, *dims, axes=None, dim0=None, dim1=None):
        """Swap two dimensions (PyTorch's ``x.transpose(0, 2)``), or permute them all (numpy's
        ``x.transpose()``, ``x.transpose((1, 0, 2))``, ``x.transpose(1, 0, 2)``).

        Two dimensions of a matrix that numpy would read as the identity permutation
        (``x.transpose(0, 1)``, which PyTorch reads as a swap) are ambiguous: ``AmbiguousMethodError``
        unless ``set_method_meanings`` chose a meaning; write ``x.T`` or ``x.swapaxes(0, 1)``.
        """
        if dim0 is not None or dim1 is not None:
            return _record(np.swapaxes, (self, dims[0] if dim0 is None else dim0, dim1 if dim1 is not None
                                         else dims[-1]), {})
        if axes is not None or len(dims) == 1:
            return _record(np.transpose, (self, tuple(axes if axes is not None else _shape_arg(dims))), {})
        if not dims:
            return _record(np.transpose, (self,), {})
        if len(dims) != 2:
            return _record(np.transpose, (self, dims), {})
        a, b = (operator.index(d) for d in dims)
        if self.ndim == 2 and a % 2 == 0 and b % 2 == 1:  # numpy: (0, 1) is the identity; PyTorch: a swap
            meaning = _resolve_meaning(f"x.transpose({a}, {b}) of a matrix", "x (it is the identity)",
                                       "x.T or x.swapaxes(0, 1)", "numpy: the identity permutation, "
                                       "PyTorch: swap the two axes")
            if meaning == "numpy":
                return _record(np.transpose, (self, (0, 1)), {})
        return _record(np.swapaxes, (self, a, b), {})

    def take(self, index):
        """The values at ``index`` of the flattened Tensor (a Tensor of ``index``'s shape)."""
        index = index._value if isinstance(index, Tensor) else np.asarray(index)
        return _record(np.take, (self, index), {})

    def t(self):
        """Transpose a Tensor of at most 2 dimensions (recorded as PyTorch's ``TBackward0``).

        Raises:
            RuntimeError: the Tensor has more than 2 dimensions.
        """
        if self._value.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self._value.ndim}D")
        return _record_fast(_rules.transpose2d, self)

    def permute(self, *dims):
        """Reorder the dimensions."""
        return _record(np.transpose, (self, _shape_arg(dims)), {})

    def squeeze(self, dim=None):
        """Drop dimensions of length 1 (only those in ``dim``, an int or a tuple, when given)."""
        if dim is None:
            return _record(np.squeeze, (self,), {})
        dims = tuple(d % self.ndim for d in (dim if isinstance(dim, (tuple, list)) else (dim,)) if self.ndim)
        dims = tuple(d for d in dims if self.shape[d] == 1)
        return _record(np.squeeze, (self,), {"axis": dims}) if dims else self

    def unsqueeze(self, dim):
        """Insert a dimension of length 1 at ``dim``."""
        return _record(np.expand_dims, (self, dim), {})

    def expand(self, *sizes):
        """Broadcast to ``sizes`` (``-1`` keeps a length)."""
        sizes = _shape_arg(sizes)
        lead = len(sizes) - self.ndim
        shape = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
        return _record(np.broadcast_to, (self, shape), {})

    def expand_as(self, other):
        """Broadcast to ``other``'s shape."""
        return self.expand(*other.shape)

    def repeat(self, *sizes, axis=None, repeats=None):
        """Tile the Tensor ``sizes`` times along each dimension (PyTorch's), or repeat each element
        (numpy's ``x.repeat(repeats, axis=None)``).

        A call both libraries accept (``x.repeat(2)`` of a vector, ``x.repeat(2, 1)`` of a matrix) is
        ambiguous: ``AmbiguousMethodError`` unless ``set_method_meanings`` chose a meaning; write
        ``np.repeat(x, ...)``/``x.repeat_interleave`` or ``np.tile(x, ...)``/``x.tile``.
        """
        if repeats is not None or axis is not None:
            if repeats is None:
                repeats, sizes = sizes[0], sizes[1:]
            return _repeat_numpy(self, repeats, axis if axis is not None else (sizes[0] if sizes else None))
        if _tile_ok(sizes, self.ndim) and _numpy_repeat_ok(sizes, self.ndim) and self.ndim:
            meaning = _resolve_meaning(f"x.repeat{tuple(sizes)!r}", "np.repeat(x, ...) or x.repeat(n, axis=...)",
                                       "x.tile(...) or np.tile(x, ...)",
                                       "numpy repeats each element, PyTorch tiles the whole Tensor")
            if meaning == "numpy":
                return _repeat_numpy(self, sizes[0], sizes[1] if len(sizes) > 1 else None)
        elif _numpy_repeat_ok(sizes, self.ndim) and not _tile_ok(sizes, self.ndim):
            return _repeat_numpy(self, sizes[0], sizes[1] if len(sizes) > 1 else None)
        return _record(np.tile, (self, _shape_arg(sizes)), {})

    def tile(self, *dims):
        """Tile the Tensor ``dims`` times along each dimension (``np.tile``)."""
        return _record(np.tile, (self, _shape_arg(dims)), {})

    def flip(self, dims):
        """A copy reversed along ``dims`` (a copy, as PyTorch's; ``np.flip`` gives a view)."""
        flipped = _record(np.flip, (self,), {"axis": tuple(dims) if isinstance(dims, (list, tuple)) else dims})
        if np.may_share_memory(flipped._value, self._value):  # storage of its own, a fresh version counter
            flipped._value = flipped._value.copy()
            flipped._base = None
            flipped._vc = [0]
            if isinstance(flipped.grad_fn, RuleNode) and flipped.grad_fn.out_vc is not None:
                flipped.grad_fn.ans = flipped._value
                flipped.grad_fn.out_vc = flipped._vc
                flipped.grad_fn.out_version = 0
        return flipped

    def softmax(self, dim):
        """Softmax along ``dim``."""
        return _rules.softmax(self, axis=dim)

    def log_softmax(self, dim):
        """Log-softmax along ``dim``."""
        return _rules.log_softmax(self, axis=dim)

    def logsumexp(self, dim, keepdim=False):
        """``log(sum(exp(x)))`` along ``dim``, computed stably."""
        return _rules.logsumexp(self, axis=dim, keepdims=keepdim)

    def square(self):
        """Elementwise square."""
        return _record_fast(np.square, self)

    def log1p(self):
        """Elementwise ``log(1 + x)``."""
        return _record_fast(np.log1p, self)

    def expm1(self):
        """Elementwise ``exp(x) - 1``."""
        return _record_fast(np.expm1, self)

    def log2(self):
        """Elementwise base-2 logarithm."""
        return _record_fast(np.log2, self)

    def log10(self):
        """Elementwise base-10 logarithm."""
        return _record_fast(np.log10, self)

    def tan(self):
        """Elementwise tangent."""
        return _record_fast(np.tan, self)

    def sinh(self):
        """Elementwise hyperbolic sine."""
        return _record_fast(np.sinh, self)

    def cosh(self):
        """Elementwise hyperbolic cosine."""
        return _record_fast(np.cosh, self)

    def reciprocal(self):
        """Elementwise ``1 / x``."""
        return _record_fast(np.reciprocal, self)

    def rsqrt(self):
        """Elementwise ``1 / sqrt(x)``."""
        return _record_fast(np.reciprocal, _record_fast(np.sqrt, self))

    def sign(self):
        """Elementwise sign (zero gradient)."""
        return _record_fast(np.sign, self)

    def floor(self):
        """Elementwise floor (zero gradient)."""
        return _record_fast(np.floor, self)

    def ceil(self):
        """Elementwise ceiling (zero gradient)."""
        return _record_fast(np.ceil, self)

    def round(self, decimals=0):
        """Round to ``decimals`` places (zero gradient)."""
        return _record(np.round, (self, decimals), {})

    def maximum(self, other):
        """Elementwise maximum."""
        return _record_fast(np.maximum, self, other)

    def minimum(self, other):
        """Elementwise minimum."""
        return _record_fast(np.minimum, self, other)

    def cumsum(self, dim=None, *, axis=None):
        """Cumulative sum along ``dim`` (``axis`` as numpy spells it)."""
        return _record(np.cumsum, (self,), {"axis": dim if axis is None else axis})

    def ravel(self):
        """The values as a 1-D Tensor (numpy's name for ``flatten``)."""
        return _record(np.ravel, (self,), {})

    def swapaxes(self, axis1, axis2):
        """Swap two dimensions (numpy's name for ``transpose(dim0, dim1)``)."""
        return _record(np.swapaxes, (self, axis1, axis2), {})

    def tril(self, diagonal=0):
        """The lower triangle."""
        return _record(np.tril, (self, diagonal), {})

    def triu(self, diagonal=0):
        """The upper triangle."""
        return _record(np.triu, (self, diagonal), {})

    def trace(self):
        """Sum of the diagonal."""
        return _record(np.trace, (self,), {})

    def bmm(self, other):
        """Batched matrix product of ``(b, n, m)`` and ``(b, m, p)``."""
        _shapes.raise_if(_shapes.bmm_message(self.shape, np.shape(other)))
        return self @ other

    def outer(self, other):
        """Outer product of two vectors."""
        return _record(np.outer, (self, other), {})

    def where(self, condition, other):
        """``self`` where ``condition`` holds, else ``other``."""
        cond = condition._value if isinstance(condition, Tensor) else condition
        return _record(np.where, (cond, self, other), {})

    def gather(self, dim, index):
        """Values at ``index`` along ``dim`` (``index`` has the output's shape)."""
        index = index._value if isinstance(index, Tensor) else np.asarray(index)
        return _record(np.take_along_axis, (self, index), {"axis": dim})

    def index_select(self, dim, index):
        """The slices at ``index`` along ``dim``."""
        index = index._value if isinstance(index, Tensor) else np.asarray(index)
        return _record(np.take, (self, index), {"axis": dim})

    def split(self, split_size_or_sections, dim=0):
        """Pieces of ``split_size`` along ``dim`` (the last may be shorter), or of the given sizes."""
        n = self.shape[dim]
        if isinstance(split_size_or_sections, numbers.Integral):
            sizes = [split_size_or_sections] * (n // split_size_or_sections)
            if n % split_size_or_sections:
                sizes.append(n % split_size_or_sections)
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != n:
                raise ValueError(f"split sizes {sizes} do not add up to the length {n} of dimension {dim}")
        bounds = np.cumsum(sizes)[:-1].tolist()
        return tuple(np.split(self, bounds, axis=dim))

    def chunk(self, chunks, dim=0):
        """``chunks`` pieces along ``dim``, each of ``ceil(n / chunks)`` but perhaps the last."""
        n = self.shape[dim]
        size = -(-n // chunks)
        return self.split(size, dim)

    def uniform_(self, a=0.0, b=1.0, generator=None):
        """Fill in place with samples of U(a, b) from srcgrad's generator."""
        rng = (generator or _default_generator).rng
        self._check_inplace()
        return self._fill_with(rng.uniform(a, b, self.shape))

    def normal_(self, mean=0.0, std=1.0, generator=None):
        """Fill in place with samples of N(mean, std^2) from srcgrad's generator."""
        rng = (generator or _default_generator).rng
        self._check_inplace()
        return self._fill_with(rng.normal(mean, std, self.shape))

    def _fill_with(self, values):
        self._write(np.asarray(values, dtype=self._value.dtype))
        if _state.enabled and self.grad_fn is not None:
            self.grad_fn = None
            self.requires_grad = False
        return self

    def new_zeros(self, *size):
        """Zeros of this Tensor's dtype."""
        return Tensor._wrap(np.zeros(_shape_arg(size), dtype=self._value.dtype))

    def new_ones(self, *size):
        """Ones of this Tensor's dtype."""
        return Tensor._wrap(np.ones(_shape_arg(size), dtype=self._value.dtype))

    def new_tensor(self, data):
        """A new Tensor of this Tensor's dtype."""
        return Tensor._wrap(np.array(data, dtype=self._value.dtype))

    def is_floating_point(self):
        """True for float dtypes."""
        return self._value.dtype.kind == "f"

    @property
    def device(self):
        """``srcgrad.device("cpu")``: srcgrad computes on the CPU."""
        return _CPU

    @property
    def is_cuda(self):
        """False: srcgrad computes on the CPU."""
        return False

    def get_device(self):
        """-1, PyTorch's number for the CPU."""
        return -1

    # -- comparisons, selection and the rest of PyTorch's everyday methods ----------------

    def eq(self, other):
        """Elementwise ``==`` (a bool Tensor)."""
        return self == other

    def ne(self, other):
        """Elementwise ``!=``."""
        return self != other

    def lt(self, other):
        """Elementwise ``<``."""
        return self < other

    def le(self, other):
        """Elementwise ``<=``."""
        return self <= other

    def gt(self, other):
        """Elementwise ``>``."""
        return self > other

    def ge(self, other):
        """Elementwise ``>=``."""
        return self >= other

    def logical_and(self, other):
        """Elementwise logical and."""
        return _record_fast(np.logical_and, self, other)

    def logical_or(self, other):
        """Elementwise logical or."""
        return _record_fast(np.logical_or, self, other)

    def logical_not(self):
        """Elementwise logical not."""
        return _record_fast(np.logical_not, self)

    def isnan(self):
        """Where the values are NaN."""
        return _record_fast(np.isnan, self)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """Elementwise closeness (a bool Tensor)."""
        other = other._value if isinstance(other, Tensor) else other
        return Tensor._wrap(np.isclose(self._value, other, rtol=rtol, atol=atol, equal_nan=equal_nan))

    def any(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Whether any value is true (over ``dim``/``axis``)."""
        return Tensor._wrap(np.any(self._value, axis=dim if axis is None else axis,
                                   keepdims=keepdim if keepdims is None else keepdims))

    def all(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Whether all values are true (over ``dim``/``axis``)."""
        return Tensor._wrap(np.all(self._value, axis=dim if axis is None else axis,
                                   keepdims=keepdim if keepdims is None else keepdims))

    def nonzero(self, *, as_tuple=None):
        """Indices of the non-zero values: with ``as_tuple=True`` a tuple of index Tensors (numpy's
        ``x.nonzero()``), with ``as_tuple=False`` an ``(n, ndim)`` int64 Tensor (PyTorch's ``x.nonzero()``).

        Without ``as_tuple`` the call is ambiguous: ``AmbiguousMethodError`` unless
        ``set_method_meanings`` chose a meaning.
        """
        if as_tuple is None:
            as_tuple = _resolve_meaning("x.nonzero()", "x.nonzero(as_tuple=True) or np.nonzero(x)",
                                        "x.nonzero(as_tuple=False)", "numpy: a tuple of index arrays, "
                                        "PyTorch: an (n, ndim) matrix") == "numpy"
        found = np.nonzero(self._value)
        if as_tuple:
            return tuple(Tensor._wrap(i) for i in found)
        return Tensor._wrap(np.stack(found, axis=1).astype(np.int64))

    def fmod(self, other):
        """Remainder with the sign of the dividend (C's ``fmod``)."""
        return _record_fast(np.fmod, self, other)

    def cumprod(self, dim=None, *, axis=None):
        """Cumulative product along ``dim`` (``axis`` as numpy spells it; neither: the flattened Tensor)."""
        return _record(np.cumprod, (self,), {"axis": dim if axis is None else axis})

    def sort(self, *args, dim=None, descending=None, stable=None, axis=None, kind=None, order=None):
        """``(values, indices)`` sorted along ``dim`` (PyTorch's), or sort in place and return None
        (numpy's ``x.sort(axis, kind=...)``); the gradient follows the values to their places.

        ``x.sort()``, ``x.sort(0)`` and ``x.sort(axis=0)`` (PyTorch takes ``axis=`` as ``dim=``) are
        ambiguous: ``AmbiguousMethodError`` unless ``set_method_meanings`` chose a meaning.
        """
        if len(args) > 1 and isinstance(args[1], str):
            kind = args[1]
        elif len(args) > 1:
            descending = args[1]
        along = args[0] if args else dim if dim is not None else axis if axis is not None else -1
        if kind is not None or order is not None:
            meaning = "numpy"
        elif dim is not None or descending is not None:
            meaning = "pytorch"
        else:
            meaning = _resolve_meaning("x.sort()", "x.sort(kind='stable') (in place) or np.sort(x)",
                                       "x.sort(dim=-1)", "numpy sorts in place and returns None, "
                                       "PyTorch returns (values, indices); PyTorch takes axis= as dim=")
        if order is not None:
            raise TypeError("Tensor.sort(order=...) sorts structured arrays, which a Tensor never holds")
        if meaning == "numpy":
            self._inplace(np.take_along_axis, np.argsort(self._value, axis=along, kind="stable"), axis=along)
            return None
        index = np.argsort(-self._value if descending else self._value, axis=along, kind="stable")
        return _MinMax((_record(np.take_along_axis, (self, index), {"axis": along}), Tensor._wrap(index)))

    def argsort(self, dim=-1, descending=False, stable=False, *, axis=None, kind=None):
        """The indices that sort along ``dim`` (``axis`` as numpy spells it); ties keep their order."""
        return self.sort(dim=dim if axis is None else axis, descending=bool(descending))[1]

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """``(values, indices)`` of the ``k`` largest (or smallest) values along ``dim``."""
        index = np.argsort(-self._value if largest else self._value, axis=dim, kind="stable")
        index = np.take(index, np.arange(k), axis=dim)
        return _MinMax((_record(np.take_along_axis, (self, index), {"axis": dim}), Tensor._wrap(index)))

    def unbind(self, dim=0):
        """The slices along ``dim``, as a tuple."""
        return tuple(self.select(dim, i) for i in range(self.shape[dim]))

    def select(self, dim, index):
        """The slice at ``index`` along ``dim`` (that dimension removed)."""
        return self[(slice(None),) * (dim % self.ndim) + (index,)]

    def narrow(self, dim, start, length):
        """The slice ``start:start + length`` along ``dim``."""
        return self[(slice(None),) * (dim % self.ndim) + (slice(start, start + length),)]

    def movedim(self, source, destination):
        """Move dimensions to new places."""
        return _record(np.moveaxis, (self, source, destination), {})

    def roll(self, shifts, dims=None):
        """Shift values cyclically along ``dims``."""
        return _record(np.roll, (self, shifts), {"axis": dims})

    def diagonal(self, offset=0, dim1=0, dim2=1):
        """The diagonal of the plane ``(dim1, dim2)``."""
        return _record(np.diagonal, (self, offset, dim1, dim2), {})

    def diag(self, diagonal=0):
        """The diagonal of a matrix, or the matrix of a vector."""
        return _record(np.diag, (self, diagonal), {})

    def repeat_interleave(self, repeats, dim=None):
        """Repeat each value ``repeats`` times (the Tensor flattened when ``dim`` is None)."""
        repeats = repeats._value if isinstance(repeats, Tensor) else repeats
        return _record(np.repeat, (self, repeats), {"axis": dim})

    def masked_select(self, mask):
        """The values where ``mask`` is true, as a 1-D Tensor."""
        mask = mask._value if isinstance(mask, Tensor) else np.asarray(mask)
        return self[np.broadcast_to(mask, self.shape)]

    def type_as(self, other):
        """Cast to ``other``'s dtype."""
        return self.type(other.dtype)

    def new_full(self, size, fill_value):
        """``fill_value`` in ``size``, of this Tensor's dtype."""
        return Tensor._wrap(np.full(tuple(size), fill_value, dtype=self._value.dtype))

    def new_empty(self, *size):
        """A Tensor of ``size`` and this Tensor's dtype (zero-filled)."""
        return self.new_zeros(*size)

    def addmm(self, mat1, mat2, beta=1, alpha=1):
        """``beta * self + alpha * (mat1 @ mat2)``."""
        product = mat1 @ mat2 if isinstance(mat1, Tensor) else Tensor._wrap(np.asarray(mat1)) @ mat2
        return (self if beta == 1 else self * beta) + (product if alpha == 1 else product * alpha)

    # in-place forms of common operations (recorded like their out-of-place forms)

    def exp_(self):
        """In place ``exp``."""
        return self._inplace(np.exp)

    def log_(self):
        """In place ``log``."""
        return self._inplace(np.log)

    def sqrt_(self):
        """In place ``sqrt``."""
        return self._inplace(np.sqrt)

    def abs_(self):
        """In place ``abs``."""
        return self._inplace(np.absolute)

    def tanh_(self):
        """In place ``tanh``."""
        return self._inplace(np.tanh)

    def sigmoid_(self):
        """In place ``sigmoid``."""
        return self._inplace(_rules.sigmoid)

    def relu_(self):
        """In place ``relu``."""
        return self._inplace(_rules.relu)

    def masked_fill_(self, mask, value):
        """In place: ``value`` where ``mask`` is true."""
        mask = mask._value if isinstance(mask, Tensor) else np.asarray(mask)
        self[np.broadcast_to(mask, self.shape)] = value
        return self

    def addcmul_(self, tensor1, tensor2, value=1):
        """In place ``self += value * tensor1 * tensor2``."""
        return self.add_(tensor1 * tensor2 * value)

    def addcdiv_(self, tensor1, tensor2, value=1):
        """In place ``self += value * tensor1 / tensor2``."""
        return self.add_(tensor1 / tensor2 * value)

    def lerp_(self, end, weight):
        """In place ``self += weight * (end - self)``."""
        return self.add_((end - self) * weight)

    def masked_fill(self, mask, value):
        """A copy with ``value`` where ``mask`` is true."""
        mask = mask._value if isinstance(mask, Tensor) else mask
        return _record(np.where, (mask, value, self), {})


# -- helpers of the tape -------------------------------------------------------------------


def _check_grad(t, g):
    """Refuse a ``.grad`` that is not a Tensor of ``t``'s shape and kind of dtype, with PyTorch's messages."""
    if not isinstance(g, Tensor):
        raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {_type_name(g)}")
    if g._value.shape != t._value.shape:
        raise RuntimeError(
            f"attempting to assign a gradient of size '{list(g._value.shape)}' to a tensor of size "
            f"'{list(t._value.shape)}'. Please ensure that the gradient and the tensor are the same size")
    if (g._value.dtype.kind in _FLOAT_KINDS) != (t._value.dtype.kind in _FLOAT_KINDS):
        raise RuntimeError(
            f"attempting to assign a gradient with dtype '{g._value.dtype}' to a tensor with dtype "
            f"'{t._value.dtype}'. The gradient must match the tensor's dtype")


def _type_name(x):
    kind = type(x)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"


_DATA_KINDS = frozenset("biufc")
"""The dtype kinds a Tensor may hold (bool, integers, floats, complex): as PyTorch, no objects, strings or dates."""


def check_data(value, data):
    """Refuse an array no Tensor may hold: objects, strings, bytes, dates, structured records.

    Args:
        value: the ndarray about to become a Tensor's values.
        data: what the user passed (that array, or the list, scalar, ... it was made from).

    Returns:
        ``value`` (a subclass such as ``np.matrix`` as a plain ndarray).

    Raises:
        RuntimeError: ``data`` is ``None`` (as PyTorch: ``Could not infer dtype of NoneType``).
        TypeError: a string, or an array of a kind a Tensor cannot hold.
        ValueError: Python integers beyond int64 (numpy made them uint64 or objects).
    """
    kind = value.dtype.kind
    from_python = not isinstance(data, (np.ndarray, np.generic))
    if kind in _DATA_KINDS:
        if not (from_python and kind == "u" and value.size and value.max() > _INT64_MAX):
            return value if type(value) is np.ndarray or not isinstance(value, np.ndarray) else \
                np.asarray(value)  # np.matrix's * is a matrix product: a Tensor holds a plain ndarray
    elif data is None:
        raise RuntimeError("Could not infer dtype of NoneType")
    elif isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    if kind == "u" or (kind == "O" and any(type(v) is int and abs(v) > _INT64_MAX for v in value.ravel().tolist())):
        raise ValueError("Overflow when unpacking long long: a Python integer beyond int64 cannot be a Tensor "
                         "value (pass an ndarray of dtype uint64 or float64 yourself)")
    raise TypeError(
        f"can't convert np.ndarray of type numpy.{value.dtype.type.__name__}. The only supported types are: "
        "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint64, uint32, uint16, "
        "uint8, and bool.")


_INT64_MAX = 2 ** 63 - 1


def _as_value(data, dtype):
    if dtype is not None:
        return check_data(np.array(data, dtype=dtype), data)
    if isinstance(data, np.ndarray):
        return check_data(data, data)
    if isinstance(data, np.generic):
        return check_data(np.asarray(data), data)
    arr = check_data(np.array(data), data)
    default = _get_default_dtype()
    if arr.dtype.kind == "f" and arr.dtype != default:
        arr = arr.astype(default)
    return arr


def _scaled(other, alpha, method):
    """``alpha * other`` for ``add``/``sub``; PyTorch's deprecated order ``(alpha, other)`` is read as it
    reads it, with its warning (old scripts write ``p.data.add_(-lr, p.grad)``)."""
    if isinstance(alpha, Tensor) and isinstance(other, numbers.Number):
        warnings.warn(f"This overload of {method} is deprecated:\n\t{method}(Number alpha, Tensor other)\n"
                      f"Consider using one of the following signatures instead:\n\t{method}(Tensor other, *, "
                      "Number alpha)", UserWarning, stacklevel=3)
        other, alpha = alpha, other
    return other if alpha == 1 else other * alpha

# PyTorch's legacy type names, which ``Tensor.type()`` returns.
_TYPE_NAMES = {np.dtype(k): v for k, v in (
    (np.float32, "FloatTensor"), (np.float64, "DoubleTensor"), (np.float16, "HalfTensor"),
    (np.int64, "LongTensor"), (np.int32, "IntTensor"), (np.int16, "ShortTensor"), (np.int8, "CharTensor"),
    (np.uint8, "ByteTensor"), (np.bool_, "BoolTensor"), (np.complex64, "ComplexFloatTensor"),
    (np.complex128, "ComplexDoubleTensor"))}


def _raw_index(index):
    if isinstance(index, Tensor):
        return index._value
    if isinstance(index, tuple):
        return tuple(i._value if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list) and any(isinstance(i, Tensor) for i in index):
        return [i._value if isinstance(i, Tensor) else i for i in index]
    return index


def _wrap_out(out):
    if isinstance(out, (np.ndarray, np.generic)):
        return Tensor._wrap(out)
    if isinstance(out, (tuple, list)) and out and all(isinstance(o, (np.ndarray, np.generic)) for o in out):
        return type(out)(Tensor._wrap(o) for o in out) if type(out) in (tuple, list) else \
            type(out)(*[Tensor._wrap(o) for o in out])
    return out


def _record(func, args, kwargs):
    """Run primitive ``func`` on raw values; record a node when a Tensor input requires grad.

    This is the tape's hot path: every operation on a Tensor passes here once,
    so the node is filled in place rather than through ``RuleNode.__init__``.
    """
    raw = list(args)
    positions = []
    active = []
    shapes = []
    dtypes = []
    i = 0
    for a in args:
        if isinstance(a, Tensor):
            value = raw[i] = a._value
            positions.append(i)
            shapes.append(value.shape)
            dtypes.append(value.dtype)
            if a.requires_grad:
                active.append(i)
        elif type(a) in _SEQUENCES and a and any(isinstance(e, Tensor) for e in a):
            if any(isinstance(e, Tensor) and e.requires_grad for e in a) and _state.enabled:
                raise NoRuleError(
                    f"srcgrad cannot record {getattr(func, '__name__', func)} with a sequence of Tensors that "
                    "require grad as one argument; it has no rule that takes them one by one.")
            raw[i] = type(a)(e._value if isinstance(e, Tensor) else e for e in a)
        i += 1
    if kwargs:
        kwargs = _raw_kwargs(func, kwargs)
    if not active or not _state.enabled:
        out = func(*raw, **kwargs)
        return _wrap_out(out)
    rule = RULES.get(func)
    if rule is None:
        raise _no_rule(func)
    if not rule.complex and any(_is_complex(v) for v in raw):
        raise _complex_refused(func)
    out = func(*raw, **kwargs)
    if not rule.differentiable:
        return _wrap_out(out)
    if not rule.complex and _is_complex(out):
        raise _complex_refused(func)
    active = tuple(active)
    hit = rule._reads.get((i, active))
    reads, reads_ans, shape_only = hit if hit is not None else rule.reads(i, active)
    edges = []
    versions = None
    saved = args
    k = 0
    for i in positions:
        a = args[i]
        if a._base is not None:
            _check_view(a)
        if not a.requires_grad:
            edges.append(_NO_EDGE)
        elif a.grad_fn is not None:
            edges.append((a.grad_fn, a._output_nr))
        else:
            edges.append(a._edge())
        if i in reads:
            if versions is None:
                versions = []
            versions.append((i, a._vc[0]))
        else:  # a Tensor no VJP reads is not kept alive; one read for its shape leaves a stand-in
            if saved is args:
                saved = list(args)
            saved[i] = _stand_in(a._value) if i in shape_only else None
        k += 1
    if rule.multiple_outputs:
        node = MultiRuleNode(rule, args, kwargs, positions, edges, reads, shape_only)
        return _record_multi(node, out, args, positions)
    return _link(rule, out, edges, kwargs, positions, shapes, dtypes, saved, versions, reads_ans, args)


def _record_fast(func, a, b=None):
    """``_record`` for a call ``func(a)`` or ``func(a, b)`` with no keywords, where ``a`` or
    ``b`` is a Tensor and neither is a sequence: the shape of nearly every operation.

    It builds the same node ``_record`` builds, with fewer temporaries; any case
    it does not cover goes to ``_record``.
    """
    unary = b is None
    a_t = isinstance(a, Tensor)
    b_t = not unary and isinstance(b, Tensor)
    if (not a_t and type(a) in _SEQUENCES) or (not b_t and type(b) in _SEQUENCES):
        return _record(func, (a,) if unary else (a, b), {})
    a_grad = a_t and a.requires_grad
    b_grad = b_t and b.requires_grad
    va = a._value if a_t else a
    if unary:
        out = func(va)
    else:
        out = func(va, b._value if b_t else b)
    if not (a_grad or b_grad) or not _state.enabled:
        return _wrap_out(out)
    rule = RULES.get(func)
    if rule is None or rule.multiple_outputs:
        return _record(func, (a,) if unary else (a, b), {})
    if not rule.differentiable:
        return _wrap_out(out)
    if not rule.complex and (_is_complex(va) or _is_complex(out) or (not unary and _is_complex(b))):
        raise _complex_refused(func)
    if a_t and a._base is not None:
        _check_view(a)
    if b_t and b._base is not None:
        _check_view(b)
    active = _ACTIVE[a_grad, b_grad]
    nargs = 1 if unary else 2
    hit = rule._reads.get((nargs, active))
    reads, reads_ans, shape_only = hit if hit is not None else rule.reads(nargs, active)
    versions = None
    if a_t and b_t:
        positions = _BOTH
        shapes = [va.shape, b._value.shape]
        dtypes = [va.dtype, b._value.dtype]
        edges = [_edge_of(a), _edge_of(b)]
        saved = (a, b)
        if 0 in reads or 1 in reads:
            versions = [(i, t._vc[0]) for i, t in ((0, a), (1, b)) if i in reads]
            if 0 not in reads:
                saved = (None, b)
            elif 1 not in reads:
                saved = (a, None)
        else:
            saved = (None, None)
    elif a_t:
        positions = _FIRST
        shapes = [va.shape]
        dtypes = [va.dtype]
        edges = [_edge_of(a)]
        if 0 in reads:
            versions = [(0, a._vc[0])]
            saved = (a,) if unary else (a, b)
        else:
            saved = (None,) if unary else (None, b)
    else:
        positions = _SECOND
        vb = b._value
        shapes = [vb.shape]
        dtypes = [vb.dtype]
        edges = [_edge_of(b)]
        if 1 in reads:
            versions = [(1, b._vc[0])]
            saved = (a, b)
        else:
            saved = (a, None)
    if shape_only:
        saved = list(saved)
        for i in shape_only:
            saved[i] = _stand_in((a, b)[i]._value)
    return _link(rule, out, edges, _NO_KWARGS, positions, shapes, dtypes, saved, versions, reads_ans,
                 (a,) if unary else (a, b))


def _link(rule, out, edges, kwargs, positions, shapes, dtypes, saved, versions, reads_ans, args):
    """Make the node of one recorded call and the Tensor it outputs (the end of ``_record``).

    Args:
        rule: the primitive's rule.
        out: the raw output value.
        edges: ``(node, output_nr)`` of each Tensor input.
        kwargs: the keyword arguments.
        positions: the argument index of each Tensor input.
        shapes, dtypes: the shape and dtype of each Tensor input.
        saved: the arguments with the Tensors no VJP reads replaced by ``None``.
        versions: ``(index, version)`` of the Tensors kept, or ``None``.
        reads_ans: whether a VJP reads the output.
        args: the arguments as called.

    Returns:
        The output Tensor, its ``grad_fn`` the new node.
    """
    node = object.__new__(RuleNode)
    node.next_functions = edges
    node._pre_hooks = None
    node._retained = None
    node._trace = _stack() if anomaly_mode.enabled else None
    node.rule = rule
    node.kwargs = kwargs
    node.positions = positions
    node.shapes = shapes
    node.dtypes = dtypes
    node.args = saved
    node.versions = versions
    node.ans = None
    node.out_vc = None
    node.out_version = 0
    node._freed = False
    if type(out) is not np.ndarray and not isinstance(out, np.generic):
        out = np.asarray(out)
    result = object.__new__(Tensor)
    result._value = out
    result.grad_fn = node
    result.requires_grad = True
    result._grad = None
    result._vc = vc = [0]
    result._hooks = None
    result._post_acc_hooks = None
    result._acc = None
    result._base = None
    result._output_nr = 0
    result._retains = False
    if type(out) is np.ndarray and out.base is not None and _link_view(result, out, args, positions):
        vc = result._vc
    if reads_ans:
        node.ans = out
        node.out_vc = vc
        node.out_version = vc[0]
    return result




def _edge_of(t):
    if not t.requires_grad:
        return _NO_EDGE
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    return t._edge()


_ACTIVE = {(True, False): (0,), (False, True): (1,), (True, True): (0, 1)}
_FIRST = [0]
_SECOND = [1]
_BOTH = [0, 1]
_NO_KWARGS = {}


def _stack():
    return traceback.format_stack()[:-2]


def _record_multi(node, out, args, positions):
    """The tail of ``_record`` for a primitive that returns a tuple of arrays.

    All outputs share one version counter (changing any of them in place
    invalidates the node); outputs that are views of an input (``split``) share
    that input's counter and are linked as its views.
    """
    values = tuple(np.asarray(o) for o in out)
    node.n_outputs = len(values)
    node.out_meta = tuple((v.shape, v.dtype) for v in values)
    results = [Tensor._make(v, node, True, k) for k, v in enumerate(values)]
    vc = None
    for t, v in zip(results, values):
        if v.base is not None and _link_view(t, v, args, positions):
            vc = t._vc
    vc = vc if vc is not None else [0]
    for t in results:
        t._vc = vc
    node.ans = values
    node.out_vc = vc
    node.out_version = vc[0]
    return tuple(results)


_NO_EDGE = (None, 0)
_SEQUENCES = (list, tuple)


def _raw_kwargs(func, kwargs):
    for key, value in kwargs.items():
        if isinstance(value, Tensor):
            if value.requires_grad and _state.enabled:
                raise AutogradError(
                    f"srcgrad differentiates only positional arguments; pass {key}= of "
                    f"{getattr(func, '__name__', func)} positionally or .detach() it.")
            kwargs = dict(kwargs)
            kwargs[key] = value._value
    return kwargs


def _link_view(result, out, args, positions):
    """Mark ``result`` as a view of the input whose memory it shares.

    The view shares its base's version counter, and remembers the base's
    ``grad_fn``: if the base is later changed in place while recording, its
    history moves on and the view's no longer describes the view's values, so
    using the view raises (``_check_view``) rather than give a wrong gradient.
    """
    for i in positions:
        base = args[i]
        if isinstance(base, Tensor) and isinstance(base._value, np.ndarray) and np.may_share_memory(out, base._value):
            result._base = (base, base.grad_fn)
            result._vc = base._vc
            return True
    return False


def _check_view(t):
    """Raise when ``t`` is a view whose base was changed in place (recorded) after the view was made."""
    base, grad_fn = t._base
    if base.grad_fn is not grad_fn:
        raise AutogradError(
            f"a view of a Tensor (shape {list(t.shape)}) is used after that Tensor was changed by an in-place "
            "operation, so the view's history no longer describes its values. Make the view after the in-place "
            "change, or .clone() it before.")


def _record_out(ufunc, inputs, kwargs):
    out = kwargs.pop("out")
    out = out[0] if isinstance(out, tuple) else out
    result = _record(ufunc, inputs, kwargs)
    if isinstance(out, Tensor):
        if result.requires_grad:
            out._check_inplace()
            out._write(result._value)
            out.grad_fn = result.grad_fn
            out.requires_grad = True
        else:
            out._write(result._value)
        return out
    if result.requires_grad:
        raise AutogradError("srcgrad cannot write a result that requires grad into a plain ndarray (out=)")
    np.copyto(out, result._value)
    return out


def _axis_kwargs(dim, keepdim, **extra):
    kwargs = dict(extra)
    if dim is not None:
        kwargs["axis"] = tuple(dim) if isinstance(dim, list) else dim
    if keepdim:
        kwargs["keepdims"] = True
    return kwargs


def _reduce(func, t, dim, keepdim, axis, keepdims):
    if axis is not None:
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return _record(func, (t,), _axis_kwargs(dim, keepdim))


class _MinMax(tuple):
    """``(values, indices)`` as PyTorch's ``max(dim)`` returns it."""

    __slots__ = ()

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]


class _SizeCount(int):
    """``x.size``: the number of elements (numpy's attribute) that, called, gives the shape (PyTorch's method)."""

    def __new__(cls, count, shape):
        n = int.__new__(cls, count)
        n._shape = shape
        return n

    def __call__(self, dim=None):
        return tuple.__new__(Size, self._shape) if dim is None else self._shape[dim]


def _moment(func, t, dim, unbiased, keepdim, correction, axis, ddof, keepdims):
    """``np.var``/``np.std`` of ``t`` with the divisor ``n - ddof`` the call asked for (see ``Tensor.var``)."""
    name = func.__name__
    for flag, what in ((unbiased, "unbiased"), (keepdim, "keepdim")):
        if flag is not None and not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"Tensor.{name}(): {what} must be a bool, not {type(flag).__name__} (numpy's "
                            "dtype and out are keywords: dtype=..., out=...)")
    if dim is not None and axis is not None:
        raise TypeError(f"Tensor.{name}() takes dim or axis, not both")
    given = [k for k, v in (("unbiased", unbiased), ("correction", correction), ("ddof", ddof)) if v is not None]
    if len(given) > 1:
        raise TypeError(f"Tensor.{name}() takes one of unbiased, correction and ddof, not {' and '.join(given)}")
    if ddof is not None or correction is not None:  # axis= settles nothing: PyTorch takes it as dim=
        ddof = ddof if ddof is not None else correction
    elif unbiased is not None:
        ddof = 1 if unbiased else 0
    else:
        meaning = _resolve_meaning(f"x.{name}()", f"x.{name}(ddof=0) or np.{name}(x)", f"x.{name}(correction=1)",
                                   "numpy divides by n, PyTorch by n - 1")
        ddof = 0 if meaning == "numpy" else 1
    keep = bool(keepdim) if keepdim is not None else bool(keepdims)
    return _record(func, (t,), _axis_kwargs(dim if axis is None else axis, keep, ddof=ddof))


def _extreme(name, func, argfunc, elementwise, t, args, dim, keepdim, axis, keepdims):
    """``Tensor.max``/``min``: the meaning the call asks for (see ``Tensor.max``).

    PyTorch takes ``axis=`` and ``keepdims=`` as other names of ``dim`` and
    ``keepdim``, so only ``dim=`` (PyTorch's), several axes (numpy's) or a
    chosen meaning settle what ``x.max(0)`` or ``x.max(axis=0)`` returns.
    """
    if len(args) > 2:
        raise TypeError(f"Tensor.{name}() takes at most 2 positional arguments ({len(args)} given)")
    if args and isinstance(args[0], (Tensor, np.ndarray)):
        return _record(elementwise, (t, args[0]), {})
    torch_only = dim is not None or keepdim is not None or len(args) == 2  # numpy has no dim=, keepdim
    if len(args) == 2:
        if not isinstance(args[1], (bool, np.bool_)):
            raise TypeError(f"Tensor.{name}(): keepdim must be a bool (numpy's out is not supported)")
        keepdim = args[1]
    given = [a for a in (args[0] if args else None, dim, axis) if a is not None]
    if len(given) > 1:
        raise TypeError(f"Tensor.{name}() got its dimension more than once")
    keep = bool(keepdim) or bool(keepdims)
    if not given:
        return _record(func, (t,), _axis_kwargs(None, keep))  # over everything: the same in both
    along = given[0]
    if isinstance(along, (tuple, list)):  # several axes: numpy's only
        return _reduce(func, t, tuple(along), keep, None, None)
    if not torch_only:
        meaning = _resolve_meaning(f"x.{name}({along!r})", f"np.{name}(x, {along!r})",
                                   f"x.{name}(dim={along!r})", f"numpy gives the {name}ima, PyTorch "
                                   "(values, indices); PyTorch takes axis= as another name of dim=")
        if meaning == "numpy":
            return _reduce(func, t, along, keep, None, None)
    return _minmax(func, argfunc, t, along, keep)


def _tile_ok(sizes, ndim):
    """Whether PyTorch's ``x.repeat(*sizes)`` accepts ``sizes`` for a Tensor of ``ndim`` dimensions."""
    sizes = _shape_arg(sizes)
    return len(sizes) >= max(ndim, 1) and all(isinstance(n, (int, np.integer)) and n >= 0 for n in sizes)


def _numpy_repeat_ok(sizes, ndim):
    """Whether numpy's ``x.repeat(repeats[, axis])`` accepts ``sizes`` as its arguments."""
    if not 1 <= len(sizes) <= 2:
        return False
    if len(sizes) == 2:
        axis = sizes[1]
        if not isinstance(axis, (int, np.integer)) or not -max(ndim, 1) <= axis < max(ndim, 1):
            return False
    return True


def _repeat_numpy(t, repeats, axis):
    repeats = repeats._value if isinstance(repeats, Tensor) else repeats
    return _record(np.repeat, (t, repeats), {} if axis is None else {"axis": axis})


def _minmax(func, argfunc, t, dim, keepdim):
    """``max``/``min``: over everything, ties share the gradient (``amax``); over ``dim``, the
    gradient goes to the returned index only, as in PyTorch."""
    if dim is None:
        return _record(func, (t,), {})
    index = argfunc(t._value, axis=dim, keepdims=True)
    values = _record(np.take_along_axis, (t, index), {"axis": dim})
    if not keepdim:
        values = _record(np.squeeze, (values,), {"axis": dim})
        index = np.squeeze(index, axis=dim)
    return _MinMax((values, Tensor._wrap(index)))


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _shape(a):
    return a.shape


def _ndim(a):
    return a.ndim


def _size(a, axis=None):
    return int(np.size(a._value, axis))


_COMPOSITES = {
    np.shape: _shape,
    np.ndim: _ndim,
    np.size: _size,
}

TENSOR.append(Tensor)
