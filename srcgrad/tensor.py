"""``Tensor``: an ndarray that records the operations done to it.

Every operation on a Tensor, whether it is an operator (``a * b``), a method
(``a.sum(dim=0)``) or a numpy function (``np.sin(a)``, ``np.dot(w, a)``, through
``__array_ufunc__`` / ``__array_function__``), goes through one function,
``recording.record``: it runs the primitive on the raw values and, when an
input requires grad and grad mode is on, links a ``RuleNode`` holding the
primitive's rule from ``srcgrad.rules``. ``backward`` hands the graph to the
engine. PyTorch's names and behaviour are kept where they exist.

This module holds the data model: storage, dtype and shape, numpy's
protocols, the autograd attributes and the in-place rules. The operators and
PyTorch-named methods come from two bases, ``tensor_math.TensorMath`` and
``tensor_methods.TensorMethods``.
"""

import operator
import os
import sys
import warnings
import weakref

import numpy as np

from . import printing as _printing
from . import rules as _rules
from .device import check_device as _check_device
from .device import parse_to as _parse_to
from .dtypes import get_default_dtype as _get_default_dtype
from .autograd.grad_mode import grad_state as _state
from .autograd.graph import TENSOR, AccumulateGrad, MultiRuleNode
from .autograd.graph import RemovableHandle as _Handle
from . import shape_errors as _shapes
from .errors import AutogradError, NoRuleError
from . import meanings as _meanings
from .rules import ALIASES, RULES
from .size import Size
from . import recording as _recording
from . import tensor_math as _tensor_math
from . import tensor_methods as _tensor_methods
from .recording import raw_index as _raw_index
from .recording import record as _record
from .recording import record_fast as _record_fast
from .recording import MULTI_VIEW as _MULTI_VIEW
from .recording import record_out as _record_out
from .recording import refresh_view as _refresh_view
from .recording import view_index as _view_index
from .recording import wrap_out as _wrap_out
from .tensor_math import TensorMath as _TensorMath
from .tensor_math import scaled_other as _scaled
from .tensor_methods import TensorMethods as _TensorMethods
from .tensor_data import TYPE_NAMES as _TYPE_NAMES
from .tensor_data import as_value as _as_value
from .tensor_data import check_data
from .tensor_data import is_size as _is_size
from .tensor_data import type_name as _type_name

__all__ = ["Tensor"]

_FLOAT_KINDS = "fc"


_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be "
    "populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf Tensor, "
    "use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you access the "
    "leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more information."
)  # PyTorch's words


def _read_by_user():
    """True when ``.grad`` is read from outside srcgrad (srcgrad's own reads of a non-leaf's ``.grad`` never warn)."""
    name = sys._getframe(2).f_globals.get("__name__", "")
    return not (name == "srcgrad" or name.startswith("srcgrad."))


_LIBRARY_DIRS = tuple(os.path.dirname(os.path.abspath(path)) + os.sep for path in (np.__file__, __file__))


def _user_line():
    """``FILE, line N`` of the innermost caller outside numpy and srcgrad (the user's line), or ``None``."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_LIBRARY_DIRS) and not filename.startswith("<frozen"):
            return f"{filename}, line {frame.f_lineno}"
        frame = frame.f_back
    return None


class Tensor(_TensorMath, _TensorMethods):
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

    __slots__ = (
        "_value",
        "requires_grad",
        "_grad",
        "grad_fn",
        "_vc",
        "_hooks",
        "_post_acc_hooks",
        "_acc",
        "_base",
        "_output_nr",
        "_retains",
        "_backpropagated",
        "__weakref__",
    )
    __array_priority__ = 1000

    def __init__(self, data, dtype=None, requires_grad=False, *more_sizes):
        if isinstance(data, Tensor):
            data = data._value
        if _is_size(dtype):
            # PyTorch's legacy ``torch.Tensor(2, 3)``: sizes, giving zeros of the default float dtype
            sizes = (data, dtype) + ((requires_grad,) if _is_size(requires_grad) else ()) + more_sizes
            if not all(_is_size(n) for n in sizes):
                raise TypeError(f"Tensor(*sizes) takes integer sizes, got {sizes}")
            data, dtype, requires_grad = np.zeros(sizes, _get_default_dtype()), None, False
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
        if self._base is not None and _state.enabled:
            _refresh_view(self)
        if self.grad_fn is not None:
            return (self.grad_fn, self._output_nr)
        acc = self._acc() if self._acc is not None else None
        if acc is None:
            acc = AccumulateGrad(self)
            self._acc = weakref.ref(acc)
        return (acc, 0)

    # -- the core of the tape -----------------------------------------------------

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if not kwargs and method == "__call__" and len(inputs) == 1:  # the common case first
            return _record_fast(ufunc, inputs[0])
        if method != "__call__":
            alias = ALIASES.get(getattr(ufunc, method))  # np.add.reduce read as np.sum, ...
            if alias is not None:
                return alias(*inputs, **kwargs)
            if any(isinstance(a, Tensor) and a.requires_grad for a in inputs) and _state.enabled:
                raise NoRuleError(
                    f"srcgrad cannot record np.{ufunc.__name__}.{method} on a Tensor that "
                    f"requires grad; use the matching numpy function (np.sum, np.cumsum, ...)."
                )
            raw = [a._value if isinstance(a, Tensor) else a for a in inputs]
            return _wrap_out(getattr(ufunc, method)(*raw, **kwargs))
        if ufunc is np.divmod and not kwargs:  # two outputs, each with a rule of its own
            return np.floor_divide(*inputs), np.remainder(*inputs)
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
            where = _user_line()
            raise AutogradError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead. "
                f"({where + ': ' if where else ''}this would turn a Tensor that requires grad into an ndarray "
                "and silently drop it from the graph. numpy does that in np.array(t) and np.asarray(t), for a "
                "Tensor written into an ndarray, and for a list or tuple holding Tensors given to any numpy "
                "function (np.array([x, y]), np.mean([x, y]), np.r_[x, y]): numpy converts the list element by "
                "element before any Tensor can record the operation. Build the array with np.stack([x, y]) "
                "(srcgrad.stack([x, y])) or np.concatenate, which are recorded: np.mean(np.stack([x, y])); or "
                "import srcgrad.numpy as np, whose np.array, reductions and ufuncs take lists holding Tensors.)"
            )
        value = np.asarray(self._value)
        if dtype is not None and value.dtype != np.dtype(dtype):
            if copy is False:
                raise ValueError(
                    f"Unable to avoid copy while converting a Tensor of {value.dtype} to {np.dtype(dtype)}"
                )
            return value.astype(dtype)
        # numpy 2 passes copy=True for np.array(t) and trusts the result to be a copy: the Tensor's own buffer
        # would let a later in-place change of the Tensor show through the "copy" (and the other way round)
        return value.copy() if copy else value

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
                "function (np.exp) to keep differentiating"
            )
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
        return _printing.format_tensor(
            self._value, _get_default_dtype(), None if self.grad_fn is None else self.grad_fn.name(), self.requires_grad
        )

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
                "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."
            )
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

    def _check_inplace(self, recorded=False):
        """Refuse an in-place change PyTorch refuses, or one srcgrad cannot record.

        Args:
            recorded: the change is to be recorded (an operand requires grad).

        Raises:
            AutogradError: a leaf that requires grad, or a view (of another Tensor's memory) whose change
                would have to be recorded, or whose base requires grad, while grad mode is on.
        """
        if not _state.enabled:
            return
        if self.grad_fn is None and self.requires_grad:
            raise AutogradError("a leaf Variable that requires grad is being used in an in-place operation.")
        if self._base is not None and (recorded or self.requires_grad or self._base[0].requires_grad):
            raise AutogradError(
                f"srcgrad does not record in-place operations on a view of another Tensor (shape "
                f"{list(self.shape)}: a slice, reshape, ravel or transpose sharing its memory) while grad is on "
                "and the view, its base or the other operand requires grad; use an out-of-place operation "
                "or .clone() the view first."
            )

    def _inplace(self, func, *others, **kwargs):
        """Run ``func(self, *others)`` and write the result into this Tensor's storage."""
        tracking = _state.enabled and (
            self.requires_grad or any(isinstance(o, Tensor) and o.requires_grad for o in others)
        )
        if self._base is not None and _state.enabled and (tracking or self._base[0].requires_grad):
            return self._inplace_view(func, others, kwargs)
        self._check_inplace(tracking)
        if not tracking:
            raw = [o._value if isinstance(o, Tensor) else o for o in others]
            self._write(_same_shape(func(self._value, *raw, **kwargs), self))
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
        self._write(_same_shape(result._value, self))
        self.grad_fn = result.grad_fn
        self.requires_grad = result.requires_grad
        self._output_nr = 0
        return self

    def _inplace_view(self, func, others, kwargs):
        """``_inplace`` on a view whose change is recorded: its base's history becomes the old base with
        the view's elements replaced by the result (PyTorch's rebase of a view's in-place operation), and
        the view's own history is read out of that.

        Raises:
            AutogradError: the base is a leaf that requires grad (as PyTorch), or the view cannot be
                mapped onto its base, or it holds one element of the base several times (a broadcast).
        """
        base = self._base[0]
        if isinstance(self.grad_fn, MultiRuleNode):
            raise AutogradError(_MULTI_VIEW.format(nr=self._output_nr, name=self.grad_fn.name()))
        if base.grad_fn is None and base.requires_grad:
            raise AutogradError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
        _refresh_view(self)
        index = _view_index(self, base)
        if index is None or (
            base._value.ndim  # (a view of a 0-d base holds its one element once: view_index)
            and len(np.unique(np.ravel_multi_index(index, base.shape))) != self._value.size
        ):
            self._check_inplace(True)  # refuses: the write cannot be put back into the base's history
        old = Tensor._make(self._value, self.grad_fn, self.requires_grad, self._output_nr)
        old._vc = [0]
        rule = RULES.get(func)
        if rule is not None and rule.differentiable:
            active = tuple(i for i, a in enumerate((old,) + others) if isinstance(a, Tensor) and a.requires_grad)
            if 0 in rule.reads(1 + len(others), active)[0]:  # the VJP needs the value we are about to overwrite
                old._value = np.array(self._value, copy=True)
        result = _record(func, (old,) + others, kwargs)
        _same_shape(result._value, self)
        # The base before the write, under a counter of its own: index_update reads it for its shape only,
        # and the write below must not count as a change of what it saved.
        old_base = Tensor._make(base._value, base.grad_fn, base.requires_grad, base._output_nr)
        updated = _record(_rules.index_update, (old_base, index, result), {})
        self._write(result._value)
        base.grad_fn = updated.grad_fn
        base.requires_grad = updated.requires_grad
        base._output_nr = 0
        _refresh_view(self)
        return self

    def _write(self, value):
        if isinstance(self._value, np.ndarray) and self._value.flags.writeable:
            np.copyto(self._value, value, casting="unsafe")
        elif self._base is not None:  # a copy would leave the base unchanged
            raise ValueError(
                f"assignment destination is read-only: this Tensor (shape {list(self.shape)}) is a "
                "read-only view of another's memory (numpy's diagonal, broadcast_to, ...); .clone() "
                "it to change it on its own"
            )
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
        return self.fill_(0)

    def fill_(self, value):
        """Fill with ``value`` in place."""
        if (
            self._base is not None
            and _state.enabled
            and (self._base[0].requires_grad or (isinstance(value, Tensor) and value.requires_grad))
        ):
            return self._inplace(_rules.index_update, ..., value)
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
        if (
            self._base is not None
            and _state.enabled
            and (self._base[0].requires_grad or (isinstance(src, Tensor) and src.requires_grad))
        ):
            return self._inplace(_rules.index_update, ..., src)
        self._check_inplace(_state.enabled and isinstance(src, Tensor) and src.requires_grad)
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
        if self._base is not None and _state.enabled:
            _refresh_view(self)
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
    # numpy scalar (or Python float) a numpy function would hold there (a 0-d view of another Tensor, such
    # as ``a[0, ...]``, is an array in numpy too, and changes in place): otherwise ``s = np.sum(x);
    # parts = [s]; parts[0] += 1.0`` would change ``s`` too, which numpy never does. A leaf that requires
    # grad is still changed in place (``p -= lr * p.grad`` under no_grad, PyTorch's manual SGD), and with
    # PyTorch's meanings (srcgrad run, or a module importing srcgrad as torch: meanings.pytorch_here) every
    # 0-d Tensor is, as in PyTorch. ``add_`` always is.

    def __iadd__(self, other):
        return self + other if self._scalar_like() else self.add_(other)

    def __isub__(self, other):
        return self - other if self._scalar_like() else self.sub_(other)

    def __imul__(self, other):
        return self * other if self._scalar_like() else self.mul_(other)

    def __itruediv__(self, other):
        return self / other if self._scalar_like() else self.div_(other)

    def __ipow__(self, other, modulo=None):
        if modulo is not None:
            return NotImplemented
        return self**other if self._scalar_like() else self.pow_(other)

    def __ifloordiv__(self, other):
        return self // other if self._scalar_like() else self._inplace(np.floor_divide, other)

    def __imod__(self, other):
        return self % other if self._scalar_like() else self._inplace(np.remainder, other)

    def __imatmul__(self, other):
        # numpy's ndarray changes in place (the product must keep its shape); PyTorch's Tensor has no
        # in-place @= and rebinds, which srcgrad run and a module importing srcgrad as torch keep.
        if _meanings.pytorch_here():
            return self @ other
        return self._inplace(np.matmul, other)

    def _scalar_like(self):
        """True when augmented assignment rebinds this Tensor (0-d, not a leaf that requires grad, and
        not PyTorch's meaning: ``meanings.pytorch_here``)."""
        return (
            self._value.ndim == 0
            and self._base is None
            and not (self.requires_grad and self.grad_fn is None)
            and not _meanings.pytorch_here(3)  # the user's code: above __iadd__ (or __isub__, ...) above this
        )

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

    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
        """The Tensor cast to ``dtype``: numpy's ``astype``, a new Tensor (a copy, in the graph) even when
        the dtype already matches, unless ``copy=False`` (``order``, ``casting`` and ``subok`` are numpy's,
        accepted and not used: a Tensor is always in C order and casts as numpy's default)."""
        dtype = np.dtype(dtype)
        if dtype == self._value.dtype:
            return self.clone() if copy else self
        return self.type(dtype)

    def clone(self):
        """A copy that stays in the graph (gradient flows back to this Tensor)."""
        return _record_fast(np.copy, self)

    def copy(self, order="C"):
        """numpy's ``ndarray.copy``: a copy with storage of its own, in the graph, laid out in C order by
        default as numpy's method lays it out (``np.copy`` keeps the layout), so that a later ``reshape`` or
        ``ravel`` of it is a view exactly when numpy's is."""
        return _record(np.copy, (self,), {"order": order})

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
        _check_device(
            "Tensor.cuda", "cuda" if device is None else f"cuda:{device}" if isinstance(device, int) else device
        )

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

    # in-place forms of common operations (recorded like their out-of-place forms)


# The modules below tensor.py name the class through this binding (they cannot import it).
_recording.Tensor = _tensor_math.Tensor = _tensor_methods.Tensor = Tensor


def _same_shape(value, t):
    """``value``, the result of an in-place operation on ``t``, which must have ``t``'s shape.

    Raises:
        ValueError: it has another (as numpy's and PyTorch's in-place operations raise; writing it would
            broadcast it into ``t`` or fail halfway).
    """
    if np.shape(value) != t._value.shape:
        raise ValueError(
            f"non-broadcastable output operand with shape {tuple(t._value.shape)} doesn't match the "
            f"broadcast shape {tuple(np.shape(value))} of the in-place operation's result"
        )
    return value


def _check_grad(t, g):
    """Refuse a ``.grad`` that is not a Tensor of ``t``'s shape and kind of dtype, with PyTorch's messages."""
    if not isinstance(g, Tensor):
        raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {_type_name(g)}")
    if g._value.shape != t._value.shape:
        raise RuntimeError(
            f"attempting to assign a gradient of size '{list(g._value.shape)}' to a tensor of size "
            f"'{list(t._value.shape)}'. Please ensure that the gradient and the tensor are the same size"
        )
    if (g._value.dtype.kind in _FLOAT_KINDS) != (t._value.dtype.kind in _FLOAT_KINDS):
        raise RuntimeError(
            f"attempting to assign a gradient with dtype '{g._value.dtype}' to a tensor with dtype "
            f"'{t._value.dtype}'. The gradient must match the tensor's dtype"
        )


class _SizeCount(int):
    """``x.size``: the number of elements (numpy's attribute) that, called, gives the shape (PyTorch's method)."""

    def __new__(cls, count, shape):
        n = int.__new__(cls, count)
        n._shape = shape
        return n

    def __call__(self, dim=None):
        return tuple.__new__(Size, self._shape) if dim is None else self._shape[dim]


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
