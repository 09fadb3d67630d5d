"""Rules of ``np.fft``: ``fft ifft rfft irfft fft2 ifft2 fftn ifftn rfft2 irfft2 rfftn irfftn fftshift ifftshift``,
with their ``n``/``s``, ``axis``/``axes`` and ``norm`` arguments.

Every transform is linear over the reals, so its VJP is its adjoint for the
real inner product ``Re sum(conj(a) * b)`` (PyTorch's convention for complex
values, see ``srcgrad/rules/__init__.py``), and its JVP is the transform of
the tangent:

* ``fft`` with norm ``c`` is ``c F`` after padding or truncating the input to
  ``n``; its adjoint is ``c F^H``, which is ``ifft`` with the *dual* norm
  (``"backward"`` and ``"forward"`` swap, ``"ortho"`` stays), followed by
  truncating or zero-padding back to the input's length (``fit_axes``).
  ``ifft``, ``fftn``, ``ifftn``, ``fft2``, ``ifft2`` likewise.
* ``rfft`` keeps the first ``n // 2 + 1`` outputs of the FFT of a real input:
  the adjoint is ``Re(F^H E g)`` (``E`` pads ``g`` with zeros), which is
  ``irfft(g / w, n)`` with the dual norm, ``w`` being 1 for the zero
  frequency (and for ``n / 2`` when ``n`` is even) and 2 elsewhere
  (``half_spectrum_weights``): ``irfft`` counts those terms twice and ignores
  the imaginary parts that ``Re`` drops.
* ``irfft`` reads the first ``n // 2 + 1`` entries of its complex input, the
  real parts only of the zero frequency (and of ``n / 2`` for even ``n``); its
  adjoint is ``w * rfft(Re g)`` with the dual norm, so those imaginary parts
  get exactly 0 (its result is real: only ``Re g`` means anything).
* ``rfftn``/``irfftn`` (and ``rfft2``/``irfft2``) compose the two along the
  last of ``axes`` with ``fft``/``ifft`` along the others, as numpy does.
* ``fftshift`` and ``ifftshift`` are rolls, each the other's adjoint.

Repeated axes in ``axes`` (numpy transforms such an axis twice) are refused.
"""

import numpy as np

from .broadcast import shape_of
from .helpers import dtype_of, ndim_of, reads_shape_of
from .registry import defjvp, defvjp

__all__ = [
    "dual_norm",
    "fit_axes",
    "fft_axes",
    "half_spectrum_weights",
    "rfftn_vjp",
    "rfft2_vjp",
    "irfftn_vjp",
    "irfft2_vjp",
]

_DUAL = {None: "forward", "backward": "forward", "forward": "backward", "ortho": "ortho"}


def dual_norm(norm):
    """The ``norm`` of the inverse transform that is the adjoint of a transform with ``norm``."""
    if norm not in _DUAL:
        raise ValueError(f'Invalid norm value {norm}; should be "backward", "ortho" or "forward".')
    return _DUAL[norm]


@reads_shape_of(0)
def fft_axes(x, s=None, axes=None, inverse_real=False):
    """``(sizes, axes)`` of an n-dimensional transform of ``x``, as numpy reads ``s`` and ``axes``.

    Args:
        x: the input (only its shape is read).
        s: the output lengths along ``axes`` (``None``: the input's; for
            ``irfftn`` the last one is then ``2 * (m - 1)``).
        axes: the axes (``None``: the last ``len(s)`` axes, or all of them).
        inverse_real: the transform is ``irfft2``/``irfftn``.

    Returns:
        Two lists: the lengths and the non-negative axes.

    Raises:
        NotImplementedError: an axis appears twice.
    """
    shape, ndim = shape_of(x), ndim_of(x)
    if axes is None:
        axes = list(range(ndim)) if s is None else list(range(ndim - len(s), ndim))
    axes = [a % ndim for a in ((axes,) if isinstance(axes, int) else axes)]
    if len(set(axes)) != len(axes):
        raise NotImplementedError(f"the gradient of an FFT over a repeated axis ({tuple(axes)}) is not implemented")
    if s is None:
        sizes = [shape[a] for a in axes]
        if inverse_real:
            sizes[-1] = 2 * (shape[axes[-1]] - 1)
    else:
        sizes = [shape[a] if n is None else n for n, a in zip(s, axes)]
    return sizes, axes


def fit_axes(y, shape, axes):
    """``y`` truncated or padded with zeros along each of ``axes`` to ``shape``'s length there."""
    ndim = ndim_of(y)
    for axis in axes:
        axis = axis % ndim
        have, want = shape_of(y)[axis], shape[axis]
        if want < have:
            y = y[(slice(None),) * axis + (slice(0, want),)]
        elif want > have:
            y = np.pad(y, pad_after(ndim, axis, want - have))
    return y


def pad_after(ndim, axis, count):
    """``np.pad``'s widths adding ``count`` zeros after the end of ``axis`` only."""
    return tuple((0, count) if k == axis else (0, 0) for k in range(ndim))


@reads_shape_of(0)
def half_spectrum_weights(like, n, axis):
    """1 at frequency 0 (and at ``n / 2`` for even ``n``), 2 at the others of ``rfft``'s ``n // 2 + 1``;
    shaped to broadcast along ``axis`` of ``like``, in its real dtype (no gradient)."""
    w = np.full(n // 2 + 1, 2.0, dtype=np.empty(0, dtype_of(like)).real.dtype)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    ndim = ndim_of(like)
    return np.reshape(w, tuple(-1 if k == axis % ndim else 1 for k in range(ndim)))


@reads_shape_of(0)
def fft_length(x, n, axis):
    """A 1-D transform's length: ``n``, or the input's length along ``axis``."""
    return shape_of(x)[axis] if n is None else n


@reads_shape_of(0)
def irfft_length(x, n, axis):
    """``irfft``'s output length: ``n``, or ``2 * (m - 1)`` for an input of length ``m`` along ``axis``."""
    return 2 * (shape_of(x)[axis] - 1) if n is None else n


# ---------------------------------------------------------------- one axis
defvjp(np.fft.fft,
       lambda g, ans, a, n=None, axis=-1, norm=None, out=None: fit_axes(np.fft.ifft(g, axis=axis, norm=dual_norm(norm)), shape_of(a), (axis,)),
       backward_name="FftC2CBackward0", complex=True)
defjvp(np.fft.fft,
       lambda t, ans, a, n=None, axis=-1, norm=None, out=None: np.fft.fft(t, n, axis, norm))

defvjp(np.fft.ifft,
       lambda g, ans, a, n=None, axis=-1, norm=None, out=None: fit_axes(np.fft.fft(g, axis=axis, norm=dual_norm(norm)), shape_of(a), (axis,)),
       backward_name="FftC2CBackward0", complex=True)
defjvp(np.fft.ifft,
       lambda t, ans, a, n=None, axis=-1, norm=None, out=None: np.fft.ifft(t, n, axis, norm))

defvjp(np.fft.rfft,  # a real input: Re(F^H E g) = irfft(g / w) with the dual norm
       lambda g, ans, a, n=None, axis=-1, norm=None, out=None: fit_axes(np.fft.irfft(g / half_spectrum_weights(a, fft_length(a, n, axis), axis), fft_length(a, n, axis), axis=axis, norm=dual_norm(norm)), shape_of(a), (axis,)),
       backward_name="FftR2CBackward0", complex=True)
defjvp(np.fft.rfft,
       lambda t, ans, a, n=None, axis=-1, norm=None, out=None: np.fft.rfft(t, n, axis, norm))

defvjp(np.fft.irfft,  # reads Re only at frequency 0 (and n / 2): w * rfft(g) gives those imaginary parts 0
       lambda g, ans, a, n=None, axis=-1, norm=None, out=None: fit_axes(np.fft.rfft(np.real(g), axis=axis, norm=dual_norm(norm)) * half_spectrum_weights(g, irfft_length(a, n, axis), axis), shape_of(a), (axis,)),
       backward_name="FftC2RBackward0", complex=True)
defjvp(np.fft.irfft,
       lambda t, ans, a, n=None, axis=-1, norm=None, out=None: np.fft.irfft(t, n, axis, norm))


# ---------------------------------------------------------------- several axes
defvjp(np.fft.fftn,
       lambda g, ans, a, s=None, axes=None, norm=None, out=None: fit_axes(np.fft.ifftn(g, axes=fft_axes(a, s, axes)[1], norm=dual_norm(norm)), shape_of(a), fft_axes(a, s, axes)[1]),
       backward_name="FftC2CBackward0", complex=True)
defjvp(np.fft.fftn,
       lambda t, ans, a, s=None, axes=None, norm=None, out=None: np.fft.fftn(t, s, axes, norm))

defvjp(np.fft.ifftn,
       lambda g, ans, a, s=None, axes=None, norm=None, out=None: fit_axes(np.fft.fftn(g, axes=fft_axes(a, s, axes)[1], norm=dual_norm(norm)), shape_of(a), fft_axes(a, s, axes)[1]),
       backward_name="FftC2CBackward0", complex=True)
defjvp(np.fft.ifftn,
       lambda t, ans, a, s=None, axes=None, norm=None, out=None: np.fft.ifftn(t, s, axes, norm))

defvjp(np.fft.fft2,
       lambda g, ans, a, s=None, axes=(-2, -1), norm=None, out=None: fit_axes(np.fft.ifftn(g, axes=fft_axes(a, s, axes)[1], norm=dual_norm(norm)), shape_of(a), fft_axes(a, s, axes)[1]),
       backward_name="FftC2CBackward0", complex=True)
defjvp(np.fft.fft2,
       lambda t, ans, a, s=None, axes=(-2, -1), norm=None, out=None: np.fft.fft2(t, s, axes, norm))

defvjp(np.fft.ifft2,
       lambda g, ans, a, s=None, axes=(-2, -1), norm=None, out=None: fit_axes(np.fft.fftn(g, axes=fft_axes(a, s, axes)[1], norm=dual_norm(norm)), shape_of(a), fft_axes(a, s, axes)[1]),
       backward_name="FftC2CBackward0", complex=True)
defjvp(np.fft.ifft2,
       lambda t, ans, a, s=None, axes=(-2, -1), norm=None, out=None: np.fft.ifft2(t, s, axes, norm))


def rfftn_vjp(g, ans, a, s=None, axes=None, norm=None, out=None):
    """Cotangent of the real ``a`` in ``np.fft.rfftn(a, s, axes, norm)``.

    numpy runs ``rfft`` along the last axis, then ``fft`` along the others; the
    adjoint undoes them in the other order: ``ifft`` with the dual norm along
    the others, then ``irfft(h / w)`` along the last axis (see the module's
    docstring), each followed by fitting back to ``a``'s lengths.
    """
    sizes, axs = fft_axes(a, s, axes)
    h = g
    if len(axs) > 1:
        h = fit_axes(np.fft.ifftn(h, axes=axs[:-1], norm=dual_norm(norm)), shape_of(a), axs[:-1])
    h = np.fft.irfft(h / half_spectrum_weights(a, sizes[-1], axs[-1]), sizes[-1], axis=axs[-1], norm=dual_norm(norm))
    return fit_axes(h, shape_of(a), axs[-1:])


def rfft2_vjp(g, ans, a, s=None, axes=(-2, -1), norm=None, out=None):
    """Cotangent of ``a`` in ``np.fft.rfft2``: ``rfftn_vjp`` with ``rfft2``'s default axes."""
    return rfftn_vjp(g, ans, a, s, axes, norm)


def irfftn_vjp(g, ans, a, s=None, axes=None, norm=None, out=None):
    """Cotangent of ``a`` in ``np.fft.irfftn(a, s, axes, norm)``.

    numpy runs ``ifft`` along all axes but the last, then ``irfft`` along the
    last; the adjoint is ``w * rfft(g)`` (dual norm) along the last axis, then
    ``fft`` (dual norm) along the others, each fitted back to ``a``'s lengths.
    """
    sizes, axs = fft_axes(a, s, axes, inverse_real=True)
    h = np.fft.rfft(np.real(g), axis=axs[-1], norm=dual_norm(norm)) * half_spectrum_weights(g, sizes[-1], axs[-1])
    h = fit_axes(h, shape_of(a), axs[-1:])
    if len(axs) > 1:
        h = fit_axes(np.fft.fftn(h, axes=axs[:-1], norm=dual_norm(norm)), shape_of(a), axs[:-1])
    return h


def irfft2_vjp(g, ans, a, s=None, axes=(-2, -1), norm=None, out=None):
    """Cotangent of ``a`` in ``np.fft.irfft2``: ``irfftn_vjp`` with ``irfft2``'s default axes."""
    return irfftn_vjp(g, ans, a, s, axes, norm)


defvjp(np.fft.rfftn, rfftn_vjp, backward_name="FftR2CBackward0", complex=True)
defjvp(np.fft.rfftn,
       lambda t, ans, a, s=None, axes=None, norm=None, out=None: np.fft.rfftn(t, s, axes, norm))
defvjp(np.fft.rfft2, rfft2_vjp, backward_name="FftR2CBackward0", complex=True)
defjvp(np.fft.rfft2,
       lambda t, ans, a, s=None, axes=(-2, -1), norm=None, out=None: np.fft.rfft2(t, s, axes, norm))
defvjp(np.fft.irfftn, irfftn_vjp, backward_name="FftC2RBackward0", complex=True)
defjvp(np.fft.irfftn,
       lambda t, ans, a, s=None, axes=None, norm=None, out=None: np.fft.irfftn(t, s, axes, norm))
defvjp(np.fft.irfft2, irfft2_vjp, backward_name="FftC2RBackward0", complex=True)
defjvp(np.fft.irfft2,
       lambda t, ans, a, s=None, axes=(-2, -1), norm=None, out=None: np.fft.irfft2(t, s, axes, norm))


# ---------------------------------------------------------------- shifts (rolls)
defvjp(np.fft.fftshift,
       lambda g, ans, x, axes=None: np.fft.ifftshift(g, axes),
       backward_name="RollBackward0", complex=True)
defjvp(np.fft.fftshift,
       lambda t, ans, x, axes=None: np.fft.fftshift(t, axes))

defvjp(np.fft.ifftshift,
       lambda g, ans, x, axes=None: np.fft.fftshift(g, axes),
       backward_name="RollBackward0", complex=True)
defjvp(np.fft.ifftshift,
       lambda t, ans, x, axes=None: np.fft.ifftshift(t, axes))
