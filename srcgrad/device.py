"""Devices: PyTorch's ``device`` with the one srcgrad has, the CPU.

srcgrad computes with numpy, on the CPU. So that PyTorch scripts run as they
are, every place PyTorch takes a device (``device=`` on factory functions and
layers, ``Tensor.to``, ``Module.to``, ``set_default_device``) takes
``"cpu"``, ``"cpu:0"``, ``device("cpu")`` or ``None``. Any other device is
refused where it would be used, with a ``DeviceError`` naming it; building a
``device("cuda")`` object is allowed, as in PyTorch, since scripts build one
before they ask whether CUDA is there.
"""

import numpy as np

from . import printing
from .errors import DeviceError

__all__ = ["device", "check_device", "parse_to", "set_default_device", "get_default_device"]

# PyTorch's device types, in the order its error message lists them.
_KNOWN_TYPES = (
    "cpu",
    "cuda",
    "ipu",
    "xpu",
    "mkldnn",
    "opengl",
    "opencl",
    "ideep",
    "hip",
    "ve",
    "fpga",
    "maia",
    "xla",
    "lazy",
    "vulkan",
    "mps",
    "meta",
    "hpu",
    "mtia",
    "privateuseone",
)


class device:  # noqa: N801 - PyTorch's name
    """A device: its ``type`` (``"cpu"``, ``"cuda"``, ...) and ``index`` (or None).

    Args:
        type: ``"cpu"``, ``"cuda:1"``, another ``device``, ... (or the type alone, with ``index``).
        index: the device's number.

    Raises:
        RuntimeError: the string names no device type PyTorch knows.
        DeviceError: an int alone (PyTorch reads it as an accelerator's index; srcgrad has none).

    Example:
        >>> import srcgrad
        >>> srcgrad.device("cpu")
        device(type='cpu')
        >>> srcgrad.device("cuda:1").index
        1
    """

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):  # noqa: A002 - PyTorch's argument name
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        elif isinstance(type, (int, np.integer)) and not isinstance(type, bool):
            raise DeviceError(
                f"device({type}) names accelerator number {type}, and srcgrad has no accelerator: "
                "it computes on the CPU (use 'cpu')"
            )
        elif not isinstance(type, str):
            raise TypeError(f"device() expects a string such as 'cpu', got {type!r}")
        else:
            name, sep, number = type.partition(":")
            if name not in _KNOWN_TYPES:
                raise RuntimeError(
                    f"Expected one of {', '.join(_KNOWN_TYPES)} device type at start of device string: {type}"
                )
            if sep:
                if not number.isdigit() or index is not None:
                    raise RuntimeError(f"Invalid device string: '{type}'")
                index = int(number)
            type = name
        object.__setattr__(self, "type", type)
        object.__setattr__(self, "index", None if index is None else int(index))

    def __setattr__(self, name, value):
        raise AttributeError(f"device.{name} cannot be changed")

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))


CPU = device("cpu")


def check_device(where, dev):
    """Accept ``dev`` when it is the CPU (or None); refuse any other device.

    Args:
        where: what the device was given to, for the message (``"zeros(device=...)"``).
        dev: ``None``, a string, a ``device`` or an int.

    Returns:
        ``device("cpu")``.

    Raises:
        DeviceError: ``dev`` is not the CPU.
    """
    if dev is None or dev == "cpu" or (type(dev) is device and dev.type == "cpu"):
        return CPU
    if isinstance(dev, (int, np.integer)) and not isinstance(dev, bool):
        raise DeviceError(
            f"{where}: device {dev} names accelerator number {dev}, and srcgrad has no accelerator: "
            "it computes on the CPU (use 'cpu')"
        )
    if isinstance(dev, str):
        dev = device(dev)
    if not isinstance(dev, device):
        raise TypeError(f"{where}: expected a device such as 'cpu', got {dev!r}")
    if dev.type != "cpu":
        ns = printing.namespace()
        raise DeviceError(
            f"{where}: srcgrad computes on the CPU only, so device '{dev}' is not available "
            f"({ns}.cuda.is_available() is False). Use 'cpu', or choose the device with "
            f"'cuda' if {ns}.cuda.is_available() else 'cpu'"
        )
    return CPU


def _is_device(a):
    return isinstance(a, (str, device))


def parse_to(where, args, kwargs):
    """Read the arguments of ``Tensor.to`` / ``Module.to``: a device, a dtype, another Tensor.

    Accepts PyTorch's forms: ``to(device)``, ``to(dtype)``, ``to(device, dtype)``,
    ``to(tensor)``, and the keywords ``device``, ``dtype``, ``non_blocking``,
    ``copy`` and ``memory_format``.

    Args:
        where: the method, for messages.
        args: the positional arguments.
        kwargs: the keyword arguments.

    Returns:
        ``(dtype, copy)``: the dtype asked for (or None) and whether a copy was asked for.

    Raises:
        DeviceError: a device other than the CPU.
        TypeError: an argument that is neither a device, a dtype nor a Tensor; an unknown keyword.
    """
    unknown = set(kwargs) - {"device", "dtype", "non_blocking", "copy", "memory_format"}
    if unknown:
        raise TypeError(f"{where}() got an unexpected keyword argument '{sorted(unknown)[0]}'")
    dtype = kwargs.get("dtype")
    if "device" in kwargs:
        check_device(f"{where}(device=...)", kwargs["device"])
    rest = list(args)
    if rest and (_is_device(rest[0]) or isinstance(rest[0], (int, np.integer)) and not isinstance(rest[0], bool)):
        check_device(f"{where}()", rest.pop(0))
    if rest:
        first = rest.pop(0)
        if hasattr(first, "_value") and hasattr(first, "grad_fn"):  # another Tensor: its dtype
            dtype = first.dtype
        elif first is not None:
            try:
                dtype = np.dtype(first)
            except TypeError:
                raise TypeError(f"{where}() expected a device, a dtype or a Tensor, got {first!r}") from None
    if len(rest) > 2:  # non_blocking, copy
        raise TypeError(f"{where}() takes a device, a dtype, non_blocking and copy; got {len(args)} arguments")
    copy = kwargs.get("copy", rest[1] if len(rest) > 1 else False)
    return (None if dtype is None else np.dtype(dtype)), bool(copy)


def set_default_device(dev):
    """Set the device new Tensors are made on: only the CPU (or None) is accepted.

    Raises:
        DeviceError: any other device.
    """
    check_device("set_default_device", dev)


def get_default_device():
    """``device("cpu")``: where srcgrad makes every Tensor."""
    return CPU
