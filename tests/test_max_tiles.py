"""Max pooling over tiles (``max_tiles`` and its two linear maps): values and gradients against a loop, the
general pooling path and PyTorch, with ties, NaNs and infinities; finite differences to second order."""

import numpy as np
import pytest

import srcgrad
from srcgrad.autograd import gradcheck, gradgradcheck
from srcgrad.nn import functional as F
from srcgrad.rules import RULES
from srcgrad.rules.pooling import max_tiles, max_tiles_choice, max_tiles_grad, max_tiles_pick

KERNELS = [(2, 2), (3, 2), (1, 3)]


def loop_pool(x, kernel):
    """The maximum of each tile and the gradient of a unit cotangent per tile, by a loop (PyTorch's choice:
    the first largest in row-major order; a NaN and every later NaN take the tile over)."""
    kh, kw = kernel
    *lead, h, w = x.shape
    oh, ow = h // kh, w // kw
    out = np.zeros((*lead, oh, ow))
    chosen = np.zeros(x.shape)
    for index in np.ndindex(*lead, oh, ow):
        *at, i, j = index
        best, where = None, None
        for a in range(kh):
            for b in range(kw):
                value = x[(*at, i * kh + a, j * kw + b)]
                if best is None or value > best or np.isnan(value):
                    best, where = value, (*at, i * kh + a, j * kw + b)
        out[index] = best
        chosen[where] = 1.0
    return out, chosen


def awkward(rng, shape):
    """Small integers (many ties), with NaNs, and infinities in whole tiles."""
    x = rng.integers(-2, 3, size=shape).astype(float)
    x[0, 0, 0, 0] = np.nan
    x[-1, -1, 2, 3] = x[-1, -1, 3, 3] = np.nan
    x[0, -1, :2, :2] = -np.inf
    x[-1, 0, 4:6, :2] = np.inf
    return x


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("kind", ["ties", "awkward"])
def test_values_and_gradient_match_a_loop(rng, kernel, kind):
    x = rng.integers(-2, 3, size=(3, 2, 7, 9)).astype(float) if kind == "ties" else awkward(rng, (3, 2, 7, 9))
    want, chosen = loop_pool(x, kernel)
    ans = max_tiles(x, kernel)
    np.testing.assert_array_equal(ans, want)
    g = rng.standard_normal(ans.shape)
    kh, kw = kernel
    spread = np.zeros(x.shape)
    spread[..., : ans.shape[-2] * kh, : ans.shape[-1] * kw] = np.repeat(np.repeat(g, kh, -2), kw, -1)
    np.testing.assert_array_equal(max_tiles_grad(g, max_tiles_choice(x, ans, kernel), kernel, x.shape), spread * chosen)


@pytest.mark.parametrize("kernel", KERNELS)
def test_pick_is_the_adjoint_of_grad(rng, kernel):
    x = awkward(rng, (3, 2, 7, 9))
    ans = max_tiles(x, kernel)
    g = rng.standard_normal(ans.shape)
    y = rng.standard_normal(x.shape)
    choice = max_tiles_choice(x, ans, kernel)
    # <grad(g), y> == <g, pick(y)>
    np.testing.assert_allclose(
        np.sum(max_tiles_grad(g, choice, kernel, x.shape) * y),
        np.sum(g * max_tiles_pick(y, choice, kernel)),
        rtol=1e-12,
    )


def test_float32_stays_float32(rng):
    x = rng.standard_normal((4, 3, 6, 6)).astype(np.float32)
    ans = max_tiles(x, (2, 2))
    choice = max_tiles_choice(x, ans, (2, 2))
    assert ans.dtype == np.float32
    assert max_tiles_grad(np.ones_like(ans), choice, (2, 2), x.shape).dtype == np.float32
    assert max_tiles_pick(x, choice, (2, 2)).dtype == np.float32


@pytest.mark.parametrize("shape, kernel", [((2, 3, 8, 6), 2), ((2, 3, 7, 9), 2), ((1, 2, 6, 6), (2, 3))])
@pytest.mark.parametrize("kind", ["random", "ties", "awkward"])
def test_max_pool2d_takes_the_same_gradient_as_the_general_path(rng, shape, kernel, kind):
    if kind == "random":
        x0 = rng.standard_normal(shape)
    elif kind == "ties":
        x0 = rng.integers(-1, 2, size=shape).astype(float)
    else:
        x0 = awkward(rng, shape)
    x = srcgrad.tensor(x0, requires_grad=True)
    out = F.max_pool2d(x, kernel)
    assert out.grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    with np.errstate(invalid="ignore"):  # the path by index sums the input to look for NaNs: inf - inf
        general, _ = F.max_pool2d(srcgrad.tensor(x0), kernel, return_indices=True)
    np.testing.assert_array_equal(out.detach().numpy(), general.numpy())
    g = rng.standard_normal(tuple(out.shape))
    (out * srcgrad.tensor(g)).sum().backward()
    y = srcgrad.tensor(x0, requires_grad=True)
    with np.errstate(invalid="ignore"):
        picked, _ = F.max_pool2d(y, kernel, return_indices=True)
    (picked * srcgrad.tensor(g)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.grad.numpy())


@pytest.mark.parametrize("kind", ["ties", "awkward"])
def test_matches_pytorch(rng, kind):
    torch = pytest.importorskip("torch")
    x0 = rng.integers(-2, 3, size=(3, 2, 7, 9)).astype(float) if kind == "ties" else awkward(rng, (3, 2, 7, 9))
    x = srcgrad.tensor(x0, requires_grad=True)
    t = torch.tensor(x0, requires_grad=True)
    out, want = F.max_pool2d(x, 2), torch.nn.functional.max_pool2d(t, 2)
    np.testing.assert_array_equal(out.detach().numpy(), want.detach().numpy())
    g = rng.standard_normal(tuple(out.shape))
    out.backward(g)
    want.backward(torch.tensor(g))
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


def test_gradients_to_second_order(rng):
    x = srcgrad.tensor(rng.standard_normal((2, 2, 5, 7)), requires_grad=True)

    def f(a):
        pooled = F.max_pool2d(a, 2)
        return pooled * pooled  # nonlinear, so the second derivative is not zero

    gradcheck(f, (x,))
    gradgradcheck(f, (x,))


def test_rules_are_registered():
    assert RULES[max_tiles].backward_name == "MaxPool2DWithIndicesBackward0"
    assert RULES[max_tiles_grad].backward_name == "MaxPool2DWithIndicesBackwardBackward0"
    assert RULES[max_tiles_pick].backward_name == "MaxTilesPickBackward0"


def batch_innermost(x):
    """``x`` (N, C, H, W) laid out in memory as (C, H, W, N), as a convolution's output is."""
    return np.ascontiguousarray(np.moveaxis(x, 0, -1)).transpose(3, 0, 1, 2)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("kind", ["ties", "awkward"])
def test_every_layout_of_input_and_cotangent_gives_the_loops_gradient(rng, kernel, kind):
    """The input laid out with the batch innermost (a convolution's output) and the cotangent in C order (a
    Flatten's) or alike: the same maximum, choice and gradient as the loop's, in the input's layout."""
    x = awkward(rng, (3, 2, 6, 7)) if kind == "awkward" else rng.integers(-1, 2, size=(3, 2, 6, 7)).astype(float)
    want_out, chosen = loop_pool(x, kernel)
    g = rng.standard_normal(want_out.shape)
    kh, kw = kernel
    want_grad = np.zeros(x.shape)
    want_grad[..., : g.shape[-2] * kh, : g.shape[-1] * kw] = np.repeat(np.repeat(g, kh, -2), kw, -1)
    want_grad *= chosen
    for xs in (x, batch_innermost(x)):
        out = max_tiles(xs, kernel)
        np.testing.assert_array_equal(out, want_out)
        choice = max_tiles_choice(xs, out, kernel)
        for gs in (g, batch_innermost(g)):
            got = max_tiles_grad(gs, choice, kernel, x.shape)
            np.testing.assert_array_equal(got, want_grad)
            assert np.argmin(got.strides) == np.argmin(xs.strides)  # laid out as the input


def test_a_small_cnn_matches_finite_differences_through_every_layout(rng):
    """conv (batch innermost) -> relu -> 2x2 max pooling -> conv -> max pooling -> Flatten (C order) -> linear:
    the gradients of every parameter against finite differences."""
    x = srcgrad.tensor(rng.standard_normal((3, 2, 10, 10)))
    w1 = srcgrad.tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    b1 = srcgrad.tensor(rng.standard_normal(3), requires_grad=True)
    w2 = srcgrad.tensor(rng.standard_normal((2, 3, 2, 2)), requires_grad=True)
    lin = srcgrad.tensor(rng.standard_normal((2 * 1 * 1, 2)), requires_grad=True)

    def net(k1, c1, k2, m):
        h = F.max_pool2d(F.relu(F.conv2d(x, k1, c1)), 2)
        h = F.max_pool2d(F.conv2d(h, k2), 3)
        return np.tanh(h.flatten(1) @ m)

    gradcheck(net, (w1, b1, w2, lin))
