"""What the scipy rule modules share: making a scipy Python function a primitive.

numpy ufuncs (most of ``scipy.special``) reach Tensors through
``__array_ufunc__`` on their own. A scipy function written in Python
(``scipy.special.logsumexp``, ``scipy.stats.norm.pdf``, ``scipy.signal.convolve``)
would call ``np.asarray`` on a Tensor, so ``patch`` replaces it, where scipy
keeps it, by a ``@primitive`` wrapper: the same function on arrays and numbers,
handed to the tape when an argument is a Tensor. The rule is registered on the
wrapper, which is what ``scipy.special.logsumexp`` is from then on; code that
kept the original object (``from scipy.special import logsumexp`` before
srcgrad registered its rules) still calls the original.
"""

from .registry import defnondiff, primitive

__all__ = ["patch", "not_implemented"]


def patch(owner, name):
    """Replace ``owner.name`` by a ``@primitive`` wrapper of it (once) and return the wrapper.

    Args:
        owner: a module (``scipy.special``) or a distribution object (``scipy.stats.norm``).
        name: the attribute.

    Returns:
        The wrapper now stored at ``owner.name``.
    """
    current = getattr(owner, name)
    if getattr(current, "srcgrad_primitive", False):
        return current
    wrapper = primitive(current)
    wrapper.srcgrad_primitive = True
    setattr(owner, name, wrapper)
    return wrapper


def not_implemented(what):
    """Raise ``NotImplementedError`` for a derivative srcgrad does not have (never a silent zero).

    Args:
        what: the derivative, as a phrase ("the gradient of scipy.special.jv with respect to its order").

    Raises:
        NotImplementedError: always.
    """
    raise NotImplementedError(f"srcgrad has no rule for {what}")


defnondiff(not_implemented)  # a rule body calling it is differentiated again by the compiler: it reads no further
