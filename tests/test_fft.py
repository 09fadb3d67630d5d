"""``np.fft`` in both modes, checked against finite differences (and PyTorch's ``torch.fft`` where installed).

Each function below calls one transform with the argument forms users write
(``n`` smaller and larger than the input, ``axis``, ``s`` with ``axes``, every
``norm``) and reduces the complex result to a real loss with complex weights,
so the real and the imaginary parts of the output both matter. Static mode
(``srcgrad.grad``), dynamic mode (Tensors) and forward mode (``srcgrad.jvp``)
must match central finite differences on the real and imaginary parts of the
inputs; float32 inputs keep single precision.
"""

import numpy as np
import pytest

import srcgrad

try:
    import torch
except ImportError:  # the PyTorch comparison skips
    torch = None

from test_complex import numeric_grad

_rng = np.random.default_rng(21)


def R(*shape):
    return _rng.uniform(-1, 1, shape)


def C(*shape):
    return _rng.uniform(-1, 1, shape) + 1j * _rng.uniform(-1, 1, shape)


def W(*shape):
    return C(*shape)


W5 = W(5, 5)
W57 = W(7, 5)
W53 = W(5, 3)
W43 = W(4, 3)
W66 = W(6, 6)
W_RFFT = W(4, 3)
W_IRFFT = R(4, 7)
W3D = W(7, 5, 3)
W_RFFTN = W(6, 4, 4)
W_IRFFTN = R(4, 5, 4)
W_IRFFT2 = R(4, 6)


def weighted(y, w):
    return np.sum(np.real(y * w))


def fft_default(x):
    return weighted(np.fft.fft(x), W5)


def fft_n_bigger_axis0(x):
    return weighted(np.fft.fft(x, 7, axis=0), W57)


def fft_n_smaller_ortho(x):
    return weighted(np.fft.fft(x, 3, norm="ortho"), W53)


def ifft_forward(z):
    return weighted(np.fft.ifft(z, norm="forward"), W5)


def rfft_n_smaller(x):
    return weighted(np.fft.rfft(x, 4), W_RFFT[:, :3])


def rfft_axis0_ortho(x):
    return weighted(np.fft.rfft(x, axis=0, norm="ortho"), W_RFFT.T[:3, :3])


def irfft_default(z):
    return np.sum(np.fft.irfft(z) * W_IRFFT[:, :4])


def irfft_odd_n(z):
    return np.sum(np.fft.irfft(z, 7) * W_IRFFT)


def fft2_s_axes(x):
    return weighted(np.fft.fft2(x, s=(7, 3), axes=(0, 2)), W3D[:, :3, :])


def ifftn_default(z):
    return weighted(np.fft.ifftn(z), W66[:4, :3])


def fftn_ortho(x):
    return weighted(np.fft.fftn(x, norm="ortho"), W66[:5, :5])


def rfftn_s_axes(x):
    return weighted(np.fft.rfftn(x, s=(6, 4), axes=(0, 2)), W_RFFTN[:, :3, :3])


def rfft2_odd(x):
    return weighted(np.fft.rfft2(x), W66[:5, :3])


def irfftn_default(z):
    return np.sum(np.fft.irfftn(z) * W_IRFFTN)


def irfft2_s(z):
    return np.sum(np.fft.irfft2(z, s=(4, 6)) * W_IRFFT2)


def shifts(x):
    return np.sum(np.fft.fftshift(x) * R5) + np.sum(np.fft.ifftshift(x, axes=1) * R5.T)


def chain(x):
    """A spectral filter: rfft, scale, irfft back (the usual use)."""
    spectrum = np.fft.rfft(x, axis=-1)
    filtered = np.fft.irfft(spectrum * FILTER, n=6, axis=-1)
    return np.sum(filtered**2) + np.sum(np.abs(np.fft.fftshift(np.fft.fft(x))) ** 2)


def irfft_then_complex(z):
    """irfft's real result times a complex constant: its cotangent carries an imaginary part that means nothing."""
    return np.sum(np.real(np.fft.irfft(z, 6) * PHASE)) + np.sum(np.abs(np.fft.irfftn(z, (4, 6), (0, 1)) * PHASE))


R5 = R(5, 5)
FILTER = np.exp(-np.arange(4.0))
PHASE = np.exp(0.7j * np.arange(6.0))

CASES = [
    (fft_default, lambda: R(5, 5)),
    (fft_default, lambda: C(5, 5)),
    (fft_n_bigger_axis0, lambda: R(5, 5)),
    (fft_n_smaller_ortho, lambda: C(5, 5)),
    (ifft_forward, lambda: C(5, 5)),
    (rfft_n_smaller, lambda: R(4, 6)),
    (rfft_axis0_ortho, lambda: R(5, 3)),
    (irfft_default, lambda: C(4, 3)),
    (irfft_odd_n, lambda: C(4, 5)),
    (fft2_s_axes, lambda: R(5, 3, 5) / 2),
    (ifftn_default, lambda: C(4, 3)),
    (fftn_ortho, lambda: C(5, 5)),
    (rfftn_s_axes, lambda: R(4, 3, 4)),
    (rfft2_odd, lambda: R(5, 5)),
    (irfftn_default, lambda: C(4, 5, 3)),
    (irfft2_s, lambda: C(4, 3)),
    (shifts, lambda: R(5, 5)),
    (chain, lambda: R(3, 6)),
    (irfft_then_complex, lambda: C(4, 4)),
]
IDS = [f"{fn.__name__}-{'complex' if np.iscomplexobj(make()) else 'real'}" for fn, make in CASES]


@pytest.mark.parametrize("fn, make", CASES, ids=IDS)
def test_fft_in_both_modes(fn, make):
    x = make()
    want = numeric_grad(fn, (x,), 0)
    static = srcgrad.grad(fn)(x)
    np.testing.assert_allclose(static, want, rtol=1e-5, atol=1e-6, err_msg="static")
    assert static.dtype == x.dtype
    t = srcgrad.tensor(x, requires_grad=True)
    fn(t).backward()
    np.testing.assert_allclose(t.grad.numpy(), want, rtol=1e-5, atol=1e-6, err_msg="dynamic")
    assert t.grad.dtype == x.dtype
    direction = _rng.standard_normal(x.shape) + (1j * _rng.standard_normal(x.shape) if np.iscomplexobj(x) else 0)
    _, tangent = srcgrad.jvp(fn)(x, direction)
    assert np.isclose(
        float(np.real(tangent)), float(np.real(np.sum(np.conj(want) * direction))), rtol=1e-5, atol=1e-6
    ), "forward"


@pytest.mark.parametrize("fn, make", CASES[:6], ids=IDS[:6])
def test_single_precision_stays_single(fn, make):
    x = make()
    x = x.astype(np.complex64 if np.iscomplexobj(x) else np.float32)
    assert srcgrad.grad(fn)(x).dtype == x.dtype
    t = srcgrad.tensor(x, requires_grad=True)
    fn(t).backward()
    assert t.grad.dtype == x.dtype


def test_repeated_axes_are_refused():
    x = srcgrad.tensor(R(3, 3), requires_grad=True)
    y = np.fft.fftn(x, axes=(0, 0))
    with pytest.raises(NotImplementedError, match="repeated axis"):
        np.sum(np.real(y)).backward()


@pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
def test_agrees_with_pytorch():
    x = R(4, 6)
    z = C(4, 4)

    def ours(x, z):
        a = np.fft.rfft(x, norm="ortho")
        b = np.fft.irfft(z, 6)
        c = np.fft.fft2(z * x[:, :4], s=(5, 3))
        return np.sum(np.abs(a) ** 2) + np.sum(b * x) + np.sum(np.real(c) * np.imag(c))

    def theirs(x, z):
        a = torch.fft.rfft(x, norm="ortho")
        b = torch.fft.irfft(z, 6)
        c = torch.fft.fft2(z * x[:, :4], s=(5, 3))
        return (torch.abs(a) ** 2).sum() + (b * x).sum() + (c.real * c.imag).sum()

    tx, tz = torch.tensor(x, requires_grad=True), torch.tensor(z, requires_grad=True)
    theirs(tx, tz).backward()
    static = srcgrad.grad(ours, wrt=(0, 1))(x, z)
    sx, sz = srcgrad.tensor(x, requires_grad=True), srcgrad.tensor(z, requires_grad=True)
    ours(sx, sz).backward()
    for got in (static, (sx.grad.numpy(), sz.grad.numpy())):
        np.testing.assert_allclose(got[0], tx.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(got[1], tz.grad.numpy(), rtol=1e-10, atol=1e-12)
