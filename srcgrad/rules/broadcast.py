"""Undo numpy broadcasting on a gradient: the one place it happens.

``unbroadcast`` is composite (``np.sum`` and ``np.reshape``), so it runs on
Tensors too and needs no rule of its own.
"""

import numpy as np

__all__ = ["unbroadcast", "shape_of"]


def shape_of(x):
    """The numpy shape of an array, a Tensor, a Python scalar (``()``), or a list or tuple of numbers (or of
    items of one shape: a list argument, which generated code keeps as it was given)."""
    shape = getattr(x, "shape", None)
    if shape is not None:
        return tuple(shape)
    if isinstance(x, (list, tuple)):
        return (len(x),) + (shape_of(x[0]) if x else ())
    return ()


def unbroadcast(g, shape):
    """Sum a gradient over the axes numpy broadcast, so it has ``shape``.

    Args:
        g: a gradient of the broadcast result (array, Tensor or scalar).
        shape: the shape of the input the gradient is for.

    Returns:
        ``g`` itself when the shapes already match; otherwise ``g`` summed over
        the leading axes broadcasting added and over the axes where ``shape``
        has length 1.
    """
    gshape = shape_of(g)
    if gshape == shape:
        return g
    extra = len(gshape) - len(shape)
    if extra > 0:
        g = np.sum(g, axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and shape_of(g)[i] != 1)
    if axes:
        g = np.sum(g, axis=axes, keepdims=True)
    if shape_of(g) != tuple(shape):
        # Only reached when ``g`` cannot have come from broadcasting ``shape``.
        raise ValueError(f"gradient of shape {gshape} does not broadcast from shape {tuple(shape)}")
    return g
