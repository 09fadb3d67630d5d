"""How Tensors print: PyTorch's layout and print options (``set_printoptions``).

A Tensor prints as PyTorch prints one: ``tensor([[ 0.1234, -1.5000], ...])``
with 4 digits after the point by default, every value of a Tensor in one
width, integer-valued floats as ``1.``, scientific notation when the values
span more than three orders of magnitude, ``...`` in place of the middle of a
Tensor of more than 1000 values, and lines no wider than 80 characters. The
suffixes follow the values: ``dtype=`` when the dtype is not the default float
dtype, int64 or bool, then ``grad_fn=<...>`` or ``requires_grad=True``.

Names print with the namespace the program uses: ``srcgrad.float32`` and
``srcgrad.Size([2, 3])``, or ``torch.float32`` and ``torch.Size([2, 3])`` when
``srcgrad run`` resolves ``import torch`` to srcgrad.
"""

import contextlib
import math

import numpy as np

__all__ = [
    "set_printoptions",
    "get_printoptions",
    "printoptions",
    "format_tensor",
    "namespace",
    "set_namespace",
    "dtype_name",
]


class _Options:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None


_OPTS = _Options()
_NAMESPACE = ["srcgrad"]

_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Set how Tensors print (PyTorch's options and defaults).

    Args:
        precision: digits after the point (default 4).
        threshold: more values than this print summarized, with ``...`` (default 1000).
        edgeitems: values shown at each end of a summarized dimension (default 3).
        linewidth: characters per line (default 80).
        profile: ``"default"``, ``"short"`` (2 digits, 2 edge items) or ``"full"`` (never summarize);
            the other arguments override it.
        sci_mode: True or False to force scientific notation on or off; None (what every call
            without it sets) chooses by the values.

    Raises:
        ValueError: an unknown profile.
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"unknown print profile {profile!r}: expected one of {', '.join(_PROFILES)}")
        for key, value in _PROFILES[profile].items():
            setattr(_OPTS, key, value)
    if precision is not None:
        _OPTS.precision = int(precision)
    if threshold is not None:
        _OPTS.threshold = threshold
    if edgeitems is not None:
        _OPTS.edgeitems = int(edgeitems)
    if linewidth is not None:
        _OPTS.linewidth = int(linewidth)
    _OPTS.sci_mode = sci_mode


def get_printoptions():
    """The current print options as a dict (the arguments of ``set_printoptions``)."""
    return {key: getattr(_OPTS, key) for key in ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")}


@contextlib.contextmanager
def printoptions(**kwargs):
    """Print options for the ``with`` block only (the arguments of ``set_printoptions``)."""
    saved = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**saved)


def namespace():
    """The module name things print under: ``"srcgrad"``, or ``"torch"`` under ``srcgrad run``."""
    return _NAMESPACE[0]


def set_namespace(name):
    """Print ``Size``, dtypes in Tensor reprs, ... under ``name`` (``"torch"`` or ``"srcgrad"``)."""
    _NAMESPACE[0] = name


def dtype_name(dtype):
    """``srcgrad.float32`` (or ``torch.float32``): a dtype as a Tensor's repr shows it."""
    dtype = np.dtype(dtype)
    name = "bool" if dtype == np.bool_ else dtype.name
    return f"{_NAMESPACE[0]}.{name}"


class _Formatter:
    """One width and notation for all the values of a Tensor (PyTorch's ``_Formatter``)."""

    def __init__(self, values):
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        if not self.floating:
            for value in flat.tolist():
                self.max_width = max(self.max_width, len(f"{value}"))
        else:
            finite = flat[np.isfinite(flat) & (flat != 0)]
            if finite.size == 0:  # nothing to choose a notation by (PyTorch ignores sci_mode here too)
                return
            magnitudes = np.abs(finite.astype(np.float64))
            low, high = float(magnitudes.min()), float(magnitudes.max())
            numbers = finite.tolist()
            self.int_mode = all(v == math.ceil(v) for v in numbers)
            if _OPTS.sci_mode is None:
                self.sci_mode = high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4
            else:
                self.sci_mode = _OPTS.sci_mode
            precision = _OPTS.precision
            if self.sci_mode:
                widths = (len(f"{v:.{precision}e}") for v in numbers)
            elif self.int_mode:  # integers print with a trailing point: one more character
                widths = (len(f"{v:.0f}") + 1 for v in numbers)
            else:
                widths = (len(f"{v:.{precision}f}") for v in numbers)
            self.max_width = max(self.max_width, max(widths))

    def format(self, value):
        if self.floating:
            if self.sci_mode:
                text = f"{value:{self.max_width}.{_OPTS.precision}e}"
            elif self.int_mode:
                text = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    text += "."
            else:
                text = f"{value:.{_OPTS.precision}f}"
        else:
            text = f"{value}"
        return (self.max_width - len(text)) * " " + text


def _complex_text(value, real, imag):
    real_text = real.format(value.real)
    imag_text = (imag.format(value.imag) + "j").lstrip()
    if imag_text[0] in "+-":
        return real_text + imag_text
    return real_text + "+" + imag_text


def _vector(values, indent, summarize, real, imag):
    width = real.max_width + 2
    if imag is not None:
        width += imag.max_width + 1
    per_line = max(1, int(math.floor((_OPTS.linewidth - indent) / width)))

    def text(v):
        return _complex_text(v, real, imag) if imag is not None else real.format(v)

    edge = _OPTS.edgeitems
    if summarize and not edge:
        items = ["..."]
    elif summarize and values.shape[0] > 2 * edge:
        items = [text(v) for v in values[:edge].tolist()] + [" ..."] + [text(v) for v in values[-edge:].tolist()]
    else:
        items = [text(v) for v in values.tolist()]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(values, indent, summarize, real, imag):
    ndim = values.ndim
    if ndim == 0:
        v = values.item()
        return _complex_text(v, real, imag) if imag is not None else real.format(v)
    if ndim == 1:
        return _vector(values, indent, summarize, real, imag)
    edge = _OPTS.edgeitems
    n = values.shape[0]
    if summarize and n > 2 * edge:
        slices = (
            [_nested(values[i], indent + 1, summarize, real, imag) for i in range(edge)]
            + ["..."]
            + [_nested(values[i], indent + 1, summarize, real, imag) for i in range(n - edge, n)]
        )
    else:
        slices = [_nested(values[i], indent + 1, summarize, real, imag) for i in range(n)]
    return "[" + ("," + "\n" * (ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _summarized(values):
    """The values a summarized print shows (the edge items of every dimension), for the formatter."""
    edge = _OPTS.edgeitems
    if values.ndim == 0:
        return values
    if values.ndim == 1:
        return np.concatenate((values[:edge], values[-edge:])) if values.shape[0] > 2 * edge else values
    if not edge:
        return np.empty((0,) * values.ndim, dtype=values.dtype)
    n = values.shape[0]
    rows = list(range(edge)) + list(range(n - edge, n)) if n > 2 * edge else range(n)
    return np.stack([_summarized(values[i]) for i in rows])


def _body(values, indent):
    if values.size == 0:
        return "[]"
    summarize = values.size > _OPTS.threshold
    if values.dtype == np.float16:
        values = values.astype(np.float32)
    if values.dtype.kind == "c":
        parts = (values.real, values.imag)
        real, imag = (_Formatter(_summarized(p) if summarize else p) for p in parts)
        return _nested(values, indent, summarize, real, imag)
    formatter = _Formatter(_summarized(values) if summarize else values)
    return _nested(values, indent, summarize, formatter, None)


def _with_suffixes(text, suffixes, indent):
    parts = [text]
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > _OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def format_tensor(values, default_dtype, grad_fn_name=None, requires_grad=False):
    """A Tensor's repr, PyTorch's layout: ``tensor([1.0000, 2.5000], requires_grad=True)``.

    Args:
        values: the Tensor's ndarray (or numpy scalar).
        default_dtype: the default floating dtype (its Tensors print without ``dtype=``).
        grad_fn_name: the name of the Tensor's ``grad_fn``, or None.
        requires_grad: whether the Tensor requires grad (shown for leaves).

    Returns:
        The text.
    """
    values = np.asarray(values)
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    dtype = values.dtype
    default_complex = np.dtype(np.complex64 if default_dtype == np.float32 else np.complex128)
    if values.size == 0:
        if values.ndim != 1:
            suffixes.append(f"size={tuple(values.shape)}")
        if dtype != default_dtype:
            suffixes.append(f"dtype={dtype_name(dtype)}")
        body = "[]"
    else:
        if not _OPTS.edgeitems:
            suffixes.append(f"size={tuple(values.shape)}")
        if dtype not in (default_dtype, default_complex, np.dtype(np.int64), np.dtype(np.bool_)):
            suffixes.append(f"dtype={dtype_name(dtype)}")
        body = _body(values, indent)
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + body, suffixes, indent)
