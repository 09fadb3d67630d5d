"""``srcgrad.compile``: PyTorch's ``torch.compile``, which returns what it is given.

``torch.compile`` makes a model or function faster without changing what it
computes. srcgrad's tape runs the model as it is (srcgrad's own compiler is
``srcgrad.grad``, for plain numpy functions), so ``compile(model)`` returns
``model`` itself and ``@compile`` leaves the function unchanged.
"""

__all__ = ["compile"]


def compile(
    model=None,
    *,
    fullgraph=False,
    dynamic=None,
    backend="inductor",
    mode=None,
    options=None,  # noqa: A001
    disable=False,
):
    """Return ``model`` unchanged (or, called without it, a decorator that does so).

    Args:
        model: a Module or a function.
        fullgraph, dynamic, backend, mode, options, disable: PyTorch's options, accepted and ignored.

    Returns:
        ``model``, or a decorator.
    """
    if model is None:
        return lambda fn: fn
    return model
