"""PyTorch's messages for matrix products whose shapes do not fit.

numpy says ``matmul: Input operand 1 has a mismatch in its core dimension 0,
with gufunc signature (n?,k),(k,m?)->(n?,m?) (size 5 is different from 4)``;
PyTorch says ``mat1 and mat2 shapes cannot be multiplied (3x4 and 5x2)``. A
user porting a PyTorch script searches for PyTorch's words, so the tape's
``@``, ``matmul``, ``mm``, ``bmm``, ``mv``, ``dot`` and ``linear`` raise
``ShapeError`` (a ``RuntimeError``, as in PyTorch, and a ``ValueError``, as in
numpy) with PyTorch's message. Each function here returns that message for two
shapes, or None when PyTorch would accept them; the callers check only after
numpy has refused, so a product that fits costs nothing extra.
"""

from math import prod

from .errors import ShapeError

__all__ = ["matmul_message", "mm_message", "bmm_message", "mv_message", "dot_message", "linear_message", "raise_if"]


def _x(shape):
    return "x".join(str(d) for d in shape)


def _broadcast_message(a, b):
    """PyTorch's broadcasting message for batch shapes ``a`` and ``b``, or None when they broadcast."""
    n = max(len(a), len(b))
    for k in range(1, n + 1):  # from the right, as PyTorch compares
        da = a[-k] if k <= len(a) else 1
        db = b[-k] if k <= len(b) else 1
        if da != db and da != 1 and db != 1:
            return (
                f"The size of tensor a ({da}) must match the size of tensor b ({db}) at non-singleton dimension {n - k}"
            )
    return None


def dot_message(a, b):
    """``torch.dot``: two vectors of one length."""
    if len(a) != 1 or len(b) != 1:
        return f"1D tensors expected, but got {len(a)}D and {len(b)}D tensors"
    if a[0] != b[0]:
        return (
            f"inconsistent tensor size, expected tensor [{a[0]}] and src [{b[0]}] to have the same number of "
            f"elements, but got {a[0]} and {b[0]} elements respectively"
        )
    return None


def mv_message(a, b):
    """``torch.mv``: a matrix and a vector."""
    if len(a) != 2 or len(b) != 1:
        return f"vector + matrix @ vector expected, got 1, {len(a)}, {len(b)}"
    if a[1] != b[0]:
        return f"size mismatch, got input ({a[0]}), mat ({_x(a)}), vec ({b[0]})"
    return None


def mm_message(a, b):
    """``torch.mm``: two matrices."""
    if len(a) != 2:
        return "self must be a matrix"
    if len(b) != 2:
        return "mat2 must be a matrix"
    if a[1] != b[0]:
        return f"mat1 and mat2 shapes cannot be multiplied ({_x(a)} and {_x(b)})"
    return None


def bmm_message(a, b):
    """``torch.bmm``: two batches of matrices, of one batch size."""
    if len(a) != 3:
        return "batch1 must be a 3D tensor"
    if len(b) != 3:
        return "batch2 must be a 3D tensor"
    if (a[0], a[2]) != (b[0], b[1]):
        return (
            f"Expected size for first two dimensions of batch2 tensor to be: [{a[0]}, {a[2]}] but got: "
            f"[{b[0]}, {b[1]}]."
        )
    return None


def matmul_message(a, b):
    """``torch.matmul`` and ``@``: what PyTorch says for each combination of ranks.

    Args:
        a: the shape of the left operand.
        b: the shape of the right operand.

    Returns:
        PyTorch's message, or None when the shapes fit.
    """
    if len(a) == 0 or len(b) == 0:
        return f"both arguments to matmul need to be at least 1D, but they are {len(a)}D and {len(b)}D"
    if len(a) == 1 and len(b) == 1:
        return dot_message(a, b)
    if len(a) == 2 and len(b) == 1:
        return mv_message(a, b)
    if len(a) == 1 and len(b) == 2:
        return mm_message((1, a[0]), b)
    if len(a) == 2 and len(b) == 2:
        return mm_message(a, b)
    if len(a) >= 3 and len(b) == 1:  # PyTorch folds the batch into the rows
        return mv_message((prod(a[:-1]), a[-1]), b)
    if len(a) >= 3 and len(b) == 2:
        return mm_message((prod(a[:-1]), a[-1]), b)
    batch_a, batch_b = tuple(a[:-2]), tuple(b[:-2])  # a vector on the left has no batch
    message = _broadcast_message(batch_a, batch_b)
    if message is not None:
        return message
    n = max(len(batch_a), len(batch_b))
    batch = prod(max(x, y) for x, y in zip((1,) * (n - len(batch_a)) + batch_a, (1,) * (n - len(batch_b)) + batch_b))
    if a[-1] != b[-2]:
        return (
            f"Expected size for first two dimensions of batch2 tensor to be: [{batch}, {a[-1]}] but got: "
            f"[{batch}, {b[-2]}]."
        )
    return None


def linear_message(input_shape, weight_shape):
    """``torch.nn.functional.linear``: ``input @ weight.T`` with the input folded to a matrix."""
    rows = prod(input_shape[:-1]) if len(input_shape) > 1 else 1
    k = input_shape[-1] if input_shape else 1
    if len(weight_shape) == 2 and k != weight_shape[1]:
        return f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k} and {weight_shape[1]}x{weight_shape[0]})"
    return None


def raise_if(message):
    """Raise ``ShapeError(message)`` when there is one (the caller's numpy error is not chained)."""
    if message is not None:
        raise ShapeError(message)
