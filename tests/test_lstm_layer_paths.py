"""``lstm_layer``'s two ways of running: its forward against ``lstm_cell`` step by step, and its VJP on plain
arrays (buffers filled in place) against the same VJP on Tensors (the composition the tape records when it
differentiates the backward itself)."""

import numpy as np
import pytest

import srcgrad
from srcgrad.rules.recurrent import _kept_activations, lstm_cell, lstm_layer, lstm_layer_grads


def sample(rng, dtype, steps=4, batch=3, width=5):
    x_gates = rng.standard_normal((steps, batch, 4 * width)).astype(dtype)
    h0 = rng.standard_normal((batch, width)).astype(dtype)
    c0 = rng.standard_normal((batch, width)).astype(dtype)
    w_hh = (rng.standard_normal((4 * width, width)) * 0.5).astype(dtype)
    return x_gates, h0, c0, w_hh


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_forward_is_the_cell_at_every_step(rng, dtype):
    x_gates, h0, c0, w_hh = sample(rng, dtype)
    hs, cs = lstm_layer(x_gates, h0, c0, w_hh)
    h, c = h0, c0
    for t in range(x_gates.shape[0]):
        h, c = lstm_cell(x_gates[t], h @ w_hh.T, c)
        np.testing.assert_array_equal(hs[t], h)
        np.testing.assert_array_equal(cs[t], c)
    assert hs.dtype == cs.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_vjp_on_arrays_equals_the_vjp_on_tensors(rng, dtype):
    args = sample(rng, dtype)
    ans = lstm_layer(*args)
    g = tuple(rng.standard_normal(a.shape).astype(dtype) for a in ans)
    on_arrays = lstm_layer_grads(g, ans, *args)
    wrap = srcgrad.tensor
    on_tensors = lstm_layer_grads(tuple(map(wrap, g)), tuple(map(wrap, ans)), *map(wrap, args))
    assert isinstance(on_tensors[0], srcgrad.Tensor)  # the composed path really ran
    for a, t in zip(on_arrays, on_tensors):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, t.numpy(), rtol=1e-12 if dtype == np.float64 else 1e-5, atol=1e-12)


def test_states_shared_by_the_batch(rng):
    x_gates, h0, c0, w_hh = sample(rng, np.float64)
    h1, c1 = h0[:1], c0[:1]  # one state for every row: broadcast
    hs, cs = lstm_layer(x_gates, h1, c1, w_hh)
    want = lstm_layer(x_gates, np.repeat(h1, 3, 0), np.repeat(c1, 3, 0), w_hh)
    np.testing.assert_allclose(hs, want[0], rtol=1e-12)  # a one-row product may round otherwise
    np.testing.assert_allclose(cs, want[1], rtol=1e-12)
    g = (np.ones_like(hs), np.zeros_like(cs))
    d_h0 = lstm_layer_grads(g, (hs, cs), x_gates, h1, c1, w_hh)[1]
    d_h0_full = lstm_layer_grads(g, want, x_gates, np.repeat(h1, 3, 0), np.repeat(c1, 3, 0), w_hh)[1]
    np.testing.assert_allclose(np.sum(d_h0, axis=0), np.sum(d_h0_full, axis=0), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cell_cotangent", [True, False])
def test_vjp_reading_the_kept_activations_equals_the_vjp_finding_them(rng, dtype, cell_cotangent):
    args = sample(rng, dtype, steps=6)
    hs, cs = lstm_layer(*args)
    assert _kept_activations(hs, cs) is not None  # the outputs as made: the forward's activations are read
    copies = (hs.copy(), cs.copy())
    assert _kept_activations(*copies) is None  # anything else: found again from the states
    assert _kept_activations(hs[1:], cs[1:]) is None and _kept_activations(cs, hs) is None
    g_h = rng.standard_normal(hs.shape).astype(dtype)
    g_c = rng.standard_normal(cs.shape).astype(dtype) if cell_cotangent else np.zeros_like(cs)
    kept = lstm_layer_grads((g_h, g_c), (hs, cs), *args)
    found = lstm_layer_grads((g_h, g_c), copies, *args)
    on_tensors = lstm_layer_grads(
        (srcgrad.tensor(g_h), srcgrad.tensor(g_c)), tuple(map(srcgrad.tensor, copies)), *map(srcgrad.tensor, args)
    )
    for a, b, t in zip(kept, found, on_tensors):
        np.testing.assert_allclose(a, b, rtol=1e-12 if dtype == np.float64 else 2e-5, atol=1e-12)
        np.testing.assert_allclose(a, t.numpy(), rtol=1e-12 if dtype == np.float64 else 2e-5, atol=1e-12)


def test_layer_of_an_empty_batch(rng):
    x_gates, h0, c0, w_hh = sample(rng, np.float64, batch=0)
    hs, cs = lstm_layer(x_gates, h0, c0, w_hh)
    assert hs.shape == cs.shape == (4, 0, 5)
    d_x, d_h0, d_c0, d_w = lstm_layer_grads((np.ones_like(hs), np.zeros_like(cs)), (hs, cs), x_gates, h0, c0, w_hh)
    assert d_x.shape == x_gates.shape and d_h0.shape == h0.shape and d_c0.shape == c0.shape
    np.testing.assert_array_equal(d_w, np.zeros_like(w_hh))


def test_vjp_in_place_with_gates_broadcast_over_the_batch(rng):
    """``x_gates`` shared by every row (T, 1, 4H) while the states have rows: the gates' cotangent comes out per
    row (the tape sums it back), and the path that finds the activations again broadcasts them too."""
    x_gates, h0, c0, w_hh = sample(rng, np.float64)
    shared = x_gates[:, :1]
    hs, cs = lstm_layer(shared, h0, c0, w_hh)
    g = (rng.standard_normal(hs.shape), rng.standard_normal(cs.shape))
    spread = np.repeat(shared, 3, axis=1)
    want = lstm_layer_grads(g, lstm_layer(spread, h0, c0, w_hh), spread, h0, c0, w_hh)
    for ans in ((hs, cs), (hs.copy(), cs.copy())):
        got = lstm_layer_grads(g, ans, shared, h0, c0, w_hh)
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
