"""The tape's recording path: run a primitive on the raw values and link its result into the graph.

``record`` is the general path (any arguments, keyword arguments, several
outputs, views); ``record_fast`` the one for the operators' one or two
operands. Both look the primitive up in the rule table, save only what its
derivative reads, and make the ``RuleNode`` that ``backward`` will call.
``record_out`` handles numpy's ``out=``. Tensor's methods and ``nn.functional``
record through these.
"""

import operator
import traceback

import numpy as np

from .autograd.grad_mode import grad_state as _state
from .autograd.grad_mode import threads_not_recording as _threads_not_recording
from .autograd.graph import MultiRuleNode, RuleNode, anomaly_mode
from .autograd.graph import stand_in as _stand_in
from .errors import AutogradError, NoRuleError
from .rules import RULES

__all__ = ["record", "record_fast", "record_out", "raw_index", "wrap_out", "refresh_view", "view_index", "MULTI_VIEW"]

_FLOAT_KINDS = "fc"

Tensor = None
"""The Tensor class; ``srcgrad.tensor`` binds it once the class exists (this module is
below ``tensor.py`` and does not import it: imports stay one-way)."""


def _no_rule(func):
    name = getattr(func, "__name__", repr(func))
    module = getattr(func, "__module__", None) or "numpy"
    return NoRuleError(
        f"srcgrad has no derivative rule for {module}.{name}, so it cannot record it for a Tensor "
        f"that requires grad. Register one with srcgrad.rules.defvjp({name}, vjp_0, ...) "
        f"(see docs/rules.md), or call it on .detach()ed values."
    )


def _keywords_refused(func, unsupported):
    name = getattr(func, "__name__", repr(func))
    module = getattr(func, "__module__", None) or "numpy"
    given = ", ".join(f"{k}=" for k in unsupported)
    return NoRuleError(
        f"srcgrad's derivative rule for {module}.{name} does not take {given}, which changes the "
        f"derivative, so it cannot record {name}({given}...) for a Tensor that requires grad; leave "
        f"{given} out, or call it on .detach()ed values."
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
        "supported); work on real and imaginary parts, or call it on .detach()ed values."
    )


def raw_index(index):
    if isinstance(index, Tensor):
        return index._value
    if isinstance(index, tuple):
        return tuple(i._value if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list) and any(isinstance(i, Tensor) for i in index):
        return [i._value if isinstance(i, Tensor) else i for i in index]
    return index


def wrap_out(out):
    if isinstance(out, (np.ndarray, np.generic)):
        return Tensor._wrap(out)
    if isinstance(out, (tuple, list)) and out and all(isinstance(o, (np.ndarray, np.generic)) for o in out):
        return (
            type(out)(Tensor._wrap(o) for o in out)
            if type(out) in (tuple, list)
            else type(out)(*[Tensor._wrap(o) for o in out])
        )
    return out


def record(func, args, kwargs):
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
            if a._base is not None and _state.enabled:
                refresh_view(a)
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
                    "require grad as one argument; it has no rule that takes them one by one."
                )
            raw[i] = type(a)(e._value if isinstance(e, Tensor) else e for e in a)
        i += 1
    if kwargs:
        kwargs = _raw_kwargs(func, kwargs)
    if not active or not _state.enabled:
        out = func(*raw, **kwargs)
        return _wrap_unrecorded(out, args, positions)
    rule = RULES.get(func)
    if rule is None:
        raise _no_rule(func)
    if not rule.complex and any(_is_complex(v) for v in raw):
        raise _complex_refused(func)
    if kwargs and rule.differentiable:
        unsupported = rule.unsupported_keywords(kwargs)
        if unsupported:
            raise _keywords_refused(func, unsupported)
    out = func(*raw, **kwargs)
    if not rule.differentiable:
        return _wrap_unrecorded(out, args, positions)
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
    operands = len(reads) > (0 if versions is None else len(versions))  # a VJP reads an operand not a Tensor
    if kwargs:
        kwargs = _keep_kwargs(kwargs)
    if rule.multiple_outputs:
        kept = _keep_operands(args, reads, positions) if operands else args
        node = MultiRuleNode(rule, kept, kwargs, positions, edges, reads, shape_only)
        return _record_multi(node, out, args, positions)
    if operands:
        saved = _keep_operands(saved, reads, positions)
    return _link(rule, out, edges, kwargs, positions, shapes, dtypes, saved, versions, reads_ans, args)


def record_fast(func, a, b=None):
    """``record`` for a call ``func(a)`` or ``func(a, b)`` with no keywords, where ``a`` or
    ``b`` is a Tensor and neither is a sequence: the shape of nearly every operation.

    It builds the same node ``record`` builds, with fewer temporaries (this runs once per
    operator: every attribute read and container counts); any case it does not cover goes
    to ``record``.
    """
    enabled = True if not _threads_not_recording[0] else _state.enabled  # (no thread has turned recording off)
    if b is None:
        if not isinstance(a, Tensor):
            return record(func, (a,), _NO_KWARGS)
        if a._base is not None and enabled:
            refresh_view(a)
        va = a._value
        out = func(va)
        if not (enabled and a.requires_grad):
            if type(out) is np.ndarray and (out.base is not None or out is va):
                return _wrap_unrecorded(out, (a,), _FIRST)
            return wrap_out(out)
        rule = RULES.get(func)
        if rule is None or rule.multiple_outputs:
            return record(func, (a,), _NO_KWARGS)
        if not rule.differentiable:
            return _wrap_unrecorded(out, (a,), _FIRST)
        plan = rule._reads.get(_UNARY)
        if plan is None:
            plan = rule._reads[_UNARY] = rule.reads(1, (0,))
        meta = _SCALAR_META.get(type(va)) if type(out) in _NP_FLOATS else None
        if meta is None:  # (a real scalar in, one out: recorded)
            if type(out) is not np.ndarray and not isinstance(out, np.generic):
                out = np.asarray(out)
            kind = out.dtype.kind
            if (kind == "c" or va.dtype.kind == "c") and not rule.complex:
                raise _complex_refused(func)
            if kind not in _FLOAT_KINDS:  # no gradient through an integer or bool result (see _link)
                return _wrap_unrecorded(out, (a,), _FIRST)
        args = (a,)
        positions = _FIRST
        fn = a.grad_fn
        edges = ((fn, a._output_nr) if fn is not None else a._edge(),)
        shapes, dtypes = meta if meta is not None else ((va.shape,), (va.dtype,))
        if 0 in plan[0]:
            version = a._vc[0]
            versions = ((0, version),) if version else _FIRST_AT_0
            saved = args
        else:
            versions = None
            saved = (_stand_in(va),) if plan[2] else _NONE
    else:
        a_t = isinstance(a, Tensor)
        b_t = isinstance(b, Tensor)
        if (not a_t and type(a) in _SEQUENCES) or (not b_t and type(b) in _SEQUENCES):
            return record(func, (a, b), _NO_KWARGS)
        if enabled:
            if a_t and a._base is not None:
                refresh_view(a)
            if b_t and b._base is not None:
                refresh_view(b)
        va = a._value if a_t else a
        vb = b._value if b_t else b
        kind = type(va)
        scalars = (kind in _NP_FLOATS and (type(vb) in _NP_FLOATS or type(vb) is float)) or (
            kind is float and type(vb) in _NP_FLOATS
        )
        out = _SCALAR_OPS.get(func, func)(va, vb) if scalars else func(va, vb)
        a_grad = a_t and a.requires_grad
        b_grad = b_t and b.requires_grad
        args = (a, b)
        if not (enabled and (a_grad or b_grad)):
            if type(out) is np.ndarray and (out.base is not None or out is va or out is vb):
                return _wrap_unrecorded(out, args, _TENSOR_POSITIONS[a_t, b_t])
            return wrap_out(out)
        rule = RULES.get(func)
        if rule is None or rule.multiple_outputs:
            return record(func, args, _NO_KWARGS)
        if not rule.differentiable:
            return _wrap_unrecorded(out, args, _TENSOR_POSITIONS[a_t, b_t])
        key = _BINARY + a_grad + 2 * b_grad
        plan = rule._reads.get(key)
        if plan is None:
            plan = rule._reads[key] = rule.reads(2, _ACTIVE[a_grad, b_grad])
        if not scalars or type(out) not in _NP_FLOATS:  # (real scalars in, one out: recorded)
            if type(out) is not np.ndarray and not isinstance(out, np.generic):
                out = np.asarray(out)
            kind = out.dtype.kind
            if not rule.complex and (
                kind == "c"
                or (va.dtype.kind == "c" if a_t else _maybe_complex(a))
                or (vb.dtype.kind == "c" if b_t else _maybe_complex(b))
            ):
                raise _complex_refused(func)
            if kind not in _FLOAT_KINDS:  # no gradient through an integer or bool result (see _link)
                return _wrap_unrecorded(out, args, _TENSOR_POSITIONS[a_t, b_t])
        reads = plan[0]
        versions = None
        saved = args
        if a_t and b_t:
            positions = _BOTH
            edges = (_edge_of(a), _edge_of(b))
            shapes = (va.shape, vb.shape)
            dtypes = (va.dtype, vb.dtype)
            if 0 in reads:
                if 1 in reads:
                    versions = ((0, a._vc[0]), (1, b._vc[0]))
                else:
                    versions = ((0, a._vc[0]),)
                    saved = (a, None)
            elif 1 in reads:
                versions = ((1, b._vc[0]),)
                saved = (None, b)
            else:
                saved = _NONE2
        elif a_t:
            positions = _FIRST
            edges = (_edge_of(a),)
            meta = _SCALAR_META.get(type(va)) if scalars else None
            shapes, dtypes = meta if meta is not None else ((va.shape,), (va.dtype,))
            if 1 in reads and type(vb) is not float:  # an ndarray has no version counter: the tape keeps a copy
                saved = (a, _private(vb))
            if 0 in reads:
                version = a._vc[0]
                versions = ((0, version),) if version else _FIRST_AT_0
            else:
                saved = (None, saved[1])
        else:
            positions = _SECOND
            edges = (_edge_of(b),)
            meta = _SCALAR_META.get(type(vb)) if scalars else None
            shapes, dtypes = meta if meta is not None else ((vb.shape,), (vb.dtype,))
            if 0 in reads and type(va) is not float:  # (as above)
                saved = (_private(va), b)
            if 1 in reads:
                version = b._vc[0]
                versions = ((1, version),) if version else _SECOND_AT_0
            else:
                saved = (saved[0], None)
        if plan[2]:
            saved = list(saved)
            for i in plan[2]:  # (an operand that is not a Tensor, read for its shape, is kept as record keeps it)
                if isinstance(args[i], Tensor):
                    saved[i] = _stand_in(args[i]._value)
    # the node and its output Tensor (as _link, inlined: this is the hot path)
    node = object.__new__(RuleNode)
    node.next_functions = edges
    node._pre_hooks = None
    node._retained = None
    node._trace = _stack() if anomaly_mode.enabled else None
    node.rule = rule
    node.kwargs = _NO_KWARGS
    node.positions = positions
    node.shapes = shapes
    node.dtypes = dtypes
    node.args = saved
    node.versions = versions
    node.ans = None
    node.out_vc = None
    node.out_version = 0
    node._freed = False
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
    if (
        type(out) is np.ndarray
        and (out.base is not None or _is_an_input(out, args, positions))
        and _link_view(result, out, args, positions)
    ):
        vc = result._vc
    if plan[1]:
        node.ans = out
        node.out_vc = vc
        node.out_version = vc[0]
    return result


def _maybe_complex(value):
    """``_is_complex`` for a non-Tensor operand, quick for the Python numbers operators mostly get."""
    kind = type(value)
    return False if kind is float or kind is int else _is_complex(value)


_NP_FLOATS = frozenset((np.float64, np.float32, np.float16))

_SCALAR_OPS = {
    np.add: operator.add,
    np.subtract: operator.sub,
    np.multiply: operator.mul,
    np.true_divide: operator.truediv,
}
"""On two float scalars (a numpy one and a numpy one or a Python float) numpy's scalar arithmetic gives the
ufunc's value, type and warnings at a tenth of its cost (a 0-d Tensor's values are numpy scalars)."""

_SCALAR_META = {kind: (((),), (np.dtype(kind),)) for kind in _NP_FLOATS}
"""The shapes and dtypes a node keeps for one numpy float scalar input, made once."""

_UNARY = -1
"""The key of a unary call's plan in ``Rule._reads`` (beside its ``(nargs, active)`` keys)."""

_BINARY = -5
"""``_BINARY + a_grad + 2 * b_grad``: the keys of a binary call's plans (-4, -3, -2)."""

_NONE = (None,)

_FIRST_AT_0 = ((0, 0),)

_SECOND_AT_0 = ((1, 0),)

_NONE2 = (None, None)


def _link(rule, out, edges, kwargs, positions, shapes, dtypes, saved, versions, reads_ans, args):
    """Make the node of one recorded call and the Tensor it outputs (the end of ``record``).

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
        The output Tensor, its ``grad_fn`` the new node; a Tensor outside the graph when the output is not
        floating point or complex (``x.astype(bool)``, ``x.long()``): as in PyTorch, an integer or bool value has
        no gradient, and a rule would hand a float one back through the cast.
    """
    if type(out) is not np.ndarray and not isinstance(out, np.generic):
        out = np.asarray(out)
    if out.dtype.kind not in _FLOAT_KINDS:
        return _wrap_unrecorded(out, args, positions)
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
    if (
        type(out) is np.ndarray
        and (out.base is not None or _is_an_input(out, args, positions))
        and _link_view(result, out, args, positions)
    ):
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
_TENSOR_POSITIONS = {(True, False): (0,), (False, True): (1,), (True, True): (0, 1), (False, False): ()}


_FIRST = [0]


_SECOND = [1]


_BOTH = [0, 1]


_NO_KWARGS = {}


def _stack():
    return traceback.format_stack()[:-2]


def _record_multi(node, out, args, positions):
    """The tail of ``record`` for a primitive that returns a tuple of arrays.

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
        if (v.base is not None or _is_an_input(v, args, positions)) and _link_view(t, v, args, positions):
            vc = t._vc
    vc = vc if vc is not None else [0]
    for t in results:
        t._vc = vc
    node.ans = values
    node.out_vc = vc
    node.out_version = vc[0]
    return tuple(results)


_NO_EDGE = (None, 0)


def _private(value):
    """``value``, or the tape's own copy of it where it could change in place after recording.

    A VJP reads the operands saved with its node when ``backward`` runs. A Tensor
    changed in place since is caught by its version counter (and refused, as in
    PyTorch); an ndarray has no counter, so a VJP would read its new values and
    return a silently wrong gradient (``b = x * v; v /= 2.0``). The tape keeps a
    copy of an ndarray a VJP reads, and of a list or tuple holding one (a list
    itself may change). An array that is read-only and owns its data cannot
    change and is kept as it is; numbers and numpy scalars are immutable.

    Args:
        value: an operand of a recorded call that is not a Tensor that requires grad.

    Returns:
        ``value`` itself, or a copy that nothing else refers to.
    """
    kind = type(value)
    if kind is np.ndarray or isinstance(value, np.ndarray):
        return value.copy() if value.flags.writeable or value.base is not None else value
    if kind is list or (kind is tuple and _holds_mutable(value)):
        # a Tensor in it needs no gradient (record refuses one that does) and has no version check here
        return kind(_private(e._value if isinstance(e, Tensor) else e) for e in value)
    return value


def _holds_mutable(items):
    for e in items:
        if type(e) in _MUTABLE or isinstance(e, (np.ndarray, Tensor)):
            return True
    return False


def _keep_operands(args, reads, positions):
    """``args`` with each operand at ``reads`` that is not a Tensor input replaced by ``_private``'s."""
    kept = list(args)
    for i in reads:
        if i not in positions:
            kept[i] = _private(kept[i])
    return kept


def _keep_kwargs(kwargs):
    """``kwargs`` with each mutable value (an ndarray, a list) replaced by ``_private``'s (VJPs get them all)."""
    if not any(type(v) in _MUTABLE or isinstance(v, np.ndarray) for v in kwargs.values()):
        return kwargs
    return {key: _private(value) for key, value in kwargs.items()}


_MUTABLE = (np.ndarray, list, tuple)


_SEQUENCES = (list, tuple)


def _raw_kwargs(func, kwargs):
    for key, value in kwargs.items():
        if isinstance(value, Tensor):
            if value.requires_grad and _state.enabled:
                raise AutogradError(
                    f"srcgrad differentiates only positional arguments; pass {key}= of "
                    f"{getattr(func, '__name__', func)} positionally or .detach() it."
                )
            kwargs = dict(kwargs)
            kwargs[key] = value._value
    return kwargs


def _link_view(result, out, args, positions):
    """Mark ``result`` as a view of the input whose memory it shares (recorded or not).

    The view's base is the Tensor at the root of a chain of views (a ravel of a
    transpose of ``a`` is a view of ``a``), as PyTorch's ``._base`` is. The view
    shares that base's version counter, and remembers the base's ``grad_fn``: if
    the base is later changed in place while recording, its history moves on and
    the view's no longer describes the view's values, so the next use of the view
    reads its history again out of the base's (``refresh_view``); a view made of
    a Tensor that needed no gradient gets one that way once the base has one.

    Returns:
        True when ``result`` was linked.
    """
    for i in positions:
        base = args[i]
        if (
            isinstance(base, Tensor)
            and isinstance(base._value, np.ndarray)
            and (out is base._value or np.may_share_memory(out, base._value))
        ):
            result._base = base._base if base._base is not None else (base, base.grad_fn)
            result._vc = base._vc
            return True
    return False


def _is_an_input(out, args, positions):
    """True when ``out`` is the very array an input Tensor holds (``np.asarray``, a no-op ``np.real``)."""
    for i in positions:
        if out is args[i]._value:
            return True
    return False


def _wrap_unrecorded(out, args, positions):
    """``_wrap_out`` for a call that records nothing, with outputs sharing an input's memory linked as its views,
    so that in-place changes through them move the input's version counter and are refused where the tape
    could not follow them. An output in the memory of a plain ndarray argument (``F.linear(x, W)`` with an
    ndarray ``W`` makes ``W.T``) becomes a copy: a Tensor has a version counter, an ndarray has none, so a
    Tensor holding the ndarray's memory would not see it change (and a node saving it would read new values)."""
    result = wrap_out(out)
    if type(out) is np.ndarray:
        if out.base is not None or _is_an_input(out, args, positions):
            if not _link_view(result, out, args, positions) and _in_plain_memory(out, args):
                result._value = out.copy()
        elif not positions and _in_plain_memory(out, args):
            result._value = out.copy()
    elif type(result) in _SEQUENCES:
        for t, v in zip(result, out):
            if (
                isinstance(t, Tensor)
                and type(v) is np.ndarray
                and (v.base is not None or _is_an_input(v, args, positions))
                and not _link_view(t, v, args, positions)
                and _in_plain_memory(v, args)
            ):
                t._value = v.copy()
    return result


def _in_plain_memory(out, args):
    """True when ``out`` is, or shares memory with, an ndarray among ``args`` (not a Tensor's)."""
    for a in args:
        if isinstance(a, np.ndarray) and (out is a or np.may_share_memory(out, a)):
            return True
    return False


def refresh_view(t):
    """Bring the history of the view ``t`` up to date when its base was changed in place since it was made.

    As PyTorch regenerates a view's ``grad_fn``, the view's values are read again out of the base's
    current history: a gather of the base's elements the view holds (``view_index``). A base that no
    longer requires grad makes the view a constant.

    Raises:
        AutogradError: the view's elements cannot be mapped onto its base (a view of another dtype).
    """
    base, grad_fn = t._base
    if base.grad_fn is grad_fn:
        return
    if isinstance(t.grad_fn, MultiRuleNode):
        raise AutogradError(MULTI_VIEW.format(nr=t._output_nr, name=t.grad_fn.name()))
    if not base.requires_grad:
        t.grad_fn = None
        t.requires_grad = False
    else:
        index = view_index(t, base)
        if index is None:
            raise AutogradError(
                f"a view of a Tensor (shape {list(t.shape)}) is used after that Tensor was changed by an in-place "
                "operation, and srcgrad cannot map the view onto it (a view of another dtype or itemsize), so the view's "
                "history no longer describes its values. Make the view after the in-place change, or .clone() it "
                "before."
            )
        gathered = record(operator.getitem, (base, index), {})
        t.grad_fn = gathered.grad_fn
        t.requires_grad = True
    t._output_nr = 0
    t._base = (base, base.grad_fn)


MULTI_VIEW = (  # PyTorch's words
    "Output {nr} of {name} is a view and its base or another view of its base has been modified inplace. This "
    "view is the output of a function that returns multiple views. Such functions do not allow the output views "
    "to be modified inplace. You should replace the inplace operation by an out-of-place one."
)

_INDEX_TYPES = ((8, np.int64), (4, np.int32), (2, np.int16), (1, np.int8))


def view_index(view, base):
    """Where each element of ``view`` sits in ``base`` (whose memory it shares): a tuple of index arrays
    of the view's shape (``base._value[index]`` equals the view's values), or None when the view reads
    memory as another dtype or outside the base's elements.

    Found from the memory itself, so every kind of view (slices, transposes, reshapes, ravels, diagonals,
    views of views) maps the same way: an integer array laid out exactly as the base numbers the base's
    elements, and the view's strides read those numbers back.
    """
    b, v = base._value, view._value
    size = b.itemsize
    # the numbers are written in units that divide the element size (a complex128 element holds two)
    unit, kind = next((unit, kind) for unit, kind in _INDEX_TYPES if size % unit == 0)
    if v.itemsize != size or b.size == 0 or b.size > np.iinfo(kind).max:
        return None
    if b.ndim == 0:  # one element, no axis to index: a view holding it once reads it through new axes
        return (None,) * v.ndim if v.size == 1 and _address(v) == _address(b) else None
    b_low, b_high = _byte_bounds(b)
    v_low, v_high = _byte_bounds(v)
    if v_low < b_low or v_high > b_high or any(s % size for s in b.strides + v.strides) or (v_low - b_low) % size:
        return None
    numbers = np.full((b_high - b_low) // unit, -1, dtype=kind)
    as_strided = np.lib.stride_tricks.as_strided
    laid_out = as_strided(numbers[(_address(b) - b_low) // unit :], b.shape, b.strides)
    laid_out[...] = np.arange(b.size).reshape(b.shape)
    if np.count_nonzero(numbers >= 0) != b.size:  # the base reads some memory twice (a broadcast)
        return None
    flat = as_strided(numbers[(_address(v) - b_low) // unit :], v.shape, v.strides).astype(np.intp)
    if flat.size and flat.min() < 0:
        return None
    return np.unravel_index(flat, b.shape)


def _address(a):
    return a.__array_interface__["data"][0]


def _byte_bounds(a):
    """The first and one-past-the-last byte address an array reads (numpy's byte_bounds)."""
    low = high = _address(a)
    for n, stride in zip(a.shape, a.strides):
        if n == 0:
            return low, low
        if stride < 0:
            low += (n - 1) * stride
        else:
            high += (n - 1) * stride
    return low, high + a.itemsize


def record_out(ufunc, inputs, kwargs):
    out = kwargs.pop("out")
    out = out[0] if isinstance(out, tuple) else out
    result = record(ufunc, inputs, kwargs)
    if isinstance(out, Tensor):
        if result.requires_grad:
            out._check_inplace(True)
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
