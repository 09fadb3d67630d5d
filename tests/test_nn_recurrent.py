"""RNN, LSTM, GRU and their cells against cells written out in numpy; gradients by finite differences."""

import numpy as np
import pytest

import srcgrad
from srcgrad import nn
from srcgrad.autograd import gradcheck


def sig(x):
    return 1 / (1 + np.exp(-x))


def value(t):
    return t.detach().numpy()


def params(module, suffix=""):
    p = dict(module.named_parameters())
    return [value(p[name + suffix]) for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]


def np_rnn_cell(x, h, w_ih, w_hh, b_ih, b_hh, act=np.tanh):
    return act(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh)


def np_lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh):
    gates = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    i, f, g, o = np.split(gates, 4, axis=-1)
    c = sig(f) * c + sig(i) * np.tanh(g)
    return sig(o) * np.tanh(c), c


def np_gru_cell(x, h, w_ih, w_hh, b_ih, b_hh):
    xr, xz, xn = np.split(x @ w_ih.T + b_ih, 3, axis=-1)
    hr, hz, hn = np.split(h @ w_hh.T + b_hh, 3, axis=-1)
    r, z = sig(xr + hr), sig(xz + hz)
    n = np.tanh(xn + r * hn)
    return (1 - z) * n + z * h


def np_sequence(cell, xs, h0, weights, reverse=False, c0=None):
    """Run ``cell`` over (T, N, H_in); returns the outputs in time order and the last state."""
    steps = range(len(xs) - 1, -1, -1) if reverse else range(len(xs))
    h, c = h0, c0
    outs = [None] * len(xs)
    for t in steps:
        if c is None:
            h = cell(xs[t], h, *weights)
        else:
            h, c = cell(xs[t], h, c, *weights)
        outs[t] = h
    return np.stack(outs), h, c


def test_parameter_names_and_shapes_match_pytorch():
    lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True)
    shapes = {n: p.shape for n, p in lstm.named_parameters()}
    assert list(shapes)[:4] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    assert shapes["weight_ih_l0"] == (20, 3) and shapes["weight_hh_l0_reverse"] == (20, 5)
    assert shapes["weight_ih_l1"] == (20, 10) and shapes["bias_hh_l1_reverse"] == (20,)
    assert nn.GRU(3, 5).weight_ih_l0.shape == (15, 3)
    assert [n for n, _ in nn.RNN(3, 5, bias=False).named_parameters()] == ["weight_ih_l0", "weight_hh_l0"]
    assert [n for n, _ in nn.GRUCell(3, 5).named_parameters()] == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]


def test_default_init_is_uniform_in_one_over_sqrt_hidden():
    srcgrad.manual_seed(0)
    values = np.concatenate([value(p).ravel() for p in nn.LSTM(8, 16).parameters()])
    bound = 1 / 4
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.95 * bound
    assert abs(values.mean()) < 0.01 and abs(values.std() - bound / np.sqrt(3)) < 0.005


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_two_layers_matches_numpy(rng, nonlinearity):
    rnn = nn.RNN(3, 4, num_layers=2, nonlinearity=nonlinearity)
    xs = rng.standard_normal((5, 2, 3))
    h0 = rng.standard_normal((2, 2, 4))
    out, h_n = rnn(srcgrad.tensor(xs), srcgrad.tensor(h0))
    act = np.tanh if nonlinearity == "tanh" else (lambda v: np.maximum(v, 0))
    cell = lambda x, h, *w: np_rnn_cell(x, h, *w, act=act)  # noqa: E731
    o1, h1, _ = np_sequence(cell, xs, h0[0], params(rnn, "_l0"))
    o2, h2, _ = np_sequence(cell, o1, h0[1], params(rnn, "_l1"))
    np.testing.assert_allclose(value(out), o2, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(value(h_n), np.stack([h1, h2]), rtol=1e-12, atol=1e-14)


def test_lstm_bidirectional_batch_first_matches_numpy(rng):
    lstm = nn.LSTM(3, 4, batch_first=True, bidirectional=True)
    xs = rng.standard_normal((2, 5, 3))  # (N, T, H_in)
    h0, c0 = rng.standard_normal((2, 2, 4)), rng.standard_normal((2, 2, 4))
    out, (h_n, c_n) = lstm(srcgrad.tensor(xs), (srcgrad.tensor(h0), srcgrad.tensor(c0)))
    seq = xs.transpose(1, 0, 2)
    of, hf, cf = np_sequence(np_lstm_cell, seq, h0[0], params(lstm, "_l0"), c0=c0[0])
    ob, hb, cb = np_sequence(np_lstm_cell, seq, h0[1], params(lstm, "_l0_reverse"), reverse=True, c0=c0[1])
    expected = np.concatenate([of, ob], -1).transpose(1, 0, 2)
    assert out.shape == (2, 5, 8)
    np.testing.assert_allclose(value(out), expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(value(h_n), np.stack([hf, hb]), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(value(c_n), np.stack([cf, cb]), rtol=1e-12, atol=1e-14)


def test_gru_matches_numpy_and_zero_initial_state(rng):
    gru = nn.GRU(3, 4, num_layers=2)
    xs = rng.standard_normal((4, 2, 3))
    out, h_n = gru(srcgrad.tensor(xs))
    zeros = np.zeros((2, 4))
    o1, h1, _ = np_sequence(np_gru_cell, xs, zeros, params(gru, "_l0"))
    o2, h2, _ = np_sequence(np_gru_cell, o1, zeros, params(gru, "_l1"))
    np.testing.assert_allclose(value(out), o2, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(value(h_n), np.stack([h1, h2]), rtol=1e-12, atol=1e-14)


def test_unbatched_input(rng):
    lstm = nn.LSTM(3, 4)
    xs = rng.standard_normal((5, 3))
    out, (h, c) = lstm(srcgrad.tensor(xs))
    assert out.shape == (5, 4) and h.shape == (1, 4) and c.shape == (1, 4)
    batched, _ = lstm(srcgrad.tensor(xs[:, None, :]))
    np.testing.assert_allclose(value(out), value(batched)[:, 0], rtol=1e-13)


def test_cells_match_numpy(rng):
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    rnn = nn.RNNCell(3, 4)
    np.testing.assert_allclose(
        value(rnn(srcgrad.tensor(x), srcgrad.tensor(h))), np_rnn_cell(x, h, *params(rnn)), rtol=1e-12
    )
    lstm = nn.LSTMCell(3, 4)
    h1, c1 = lstm(srcgrad.tensor(x), (srcgrad.tensor(h), srcgrad.tensor(c)))
    eh, ec = np_lstm_cell(x, h, c, *params(lstm))
    np.testing.assert_allclose(value(h1), eh, rtol=1e-12)
    np.testing.assert_allclose(value(c1), ec, rtol=1e-12)
    gru = nn.GRUCell(3, 4)
    np.testing.assert_allclose(
        value(gru(srcgrad.tensor(x), srcgrad.tensor(h))), np_gru_cell(x, h, *params(gru)), rtol=1e-12
    )
    np.testing.assert_allclose(
        value(gru(srcgrad.tensor(x[0]))), np_gru_cell(x[:1], np.zeros((1, 4)), *params(gru))[0], rtol=1e-12
    )


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_gradients(rng, kind):
    layer = getattr(nn, kind)(2, 3, bidirectional=kind == "GRU", num_layers=2 if kind == "LSTM" else 1)
    x = srcgrad.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    h = srcgrad.tensor(rng.standard_normal((2 if kind != "RNN" else 1, 2, 3)), requires_grad=True)
    if kind == "LSTM":
        c = srcgrad.tensor(rng.standard_normal((2, 2, 3)), requires_grad=True)
        gradcheck(lambda a, b, d: layer(a, (b, d))[0], (x, h, c))
    else:
        gradcheck(lambda a, b: layer(a, b)[1], (x, h))
    weights = list(layer.parameters())[:2]
    gradcheck(lambda w1, w2: layer(x.detach())[0], tuple(weights))


def test_cell_gradients(rng):
    x = srcgrad.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    h = srcgrad.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    cell = nn.LSTMCell(3, 4)
    gradcheck(lambda a, b: cell(a, (b, b * 0.5)), (x, h))
    gru = nn.GRUCell(3, 4)
    gradcheck(lambda a, b: gru(a, b), (x, h))


def test_dropout_between_layers_only_in_training(rng):
    lstm = nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    xs = srcgrad.tensor(rng.standard_normal((4, 2, 3)))
    lstm.eval()
    a, _ = lstm(xs)
    b, _ = lstm(xs)
    np.testing.assert_array_equal(value(a), value(b))
    lstm.train()
    srcgrad.manual_seed(0)
    c, _ = lstm(xs)
    assert not np.allclose(value(a), value(c))


def test_shape_errors():
    with pytest.raises(RuntimeError, match="input_size"):
        nn.LSTM(3, 4)(srcgrad.zeros(2, 1, 5))
    with pytest.raises(RuntimeError, match="Expected hidden size"):
        nn.GRU(3, 4)(srcgrad.zeros(2, 1, 3), srcgrad.zeros(2, 1, 4))
    with pytest.raises(ValueError):
        nn.RNN(3, 4, nonlinearity="sigmoid")


def test_lstm_projection_matches_numpy(rng):
    lstm = nn.LSTM(3, 5, proj_size=2)
    assert [n for n, _ in lstm.named_parameters()] == [
        "weight_ih_l0",
        "weight_hh_l0",
        "bias_ih_l0",
        "bias_hh_l0",
        "weight_hr_l0",
    ]
    assert lstm.weight_hh_l0.shape == (20, 2) and lstm.weight_hr_l0.shape == (2, 5)
    xs = rng.standard_normal((4, 2, 3))
    out, (h_n, c_n) = lstm(srcgrad.tensor(xs))
    w_ih, w_hh, b_ih, b_hh = params(lstm, "_l0")
    w_hr = value(lstm.weight_hr_l0)
    h, c = np.zeros((2, 2)), np.zeros((2, 5))
    outs = []
    for x in xs:
        h_full, c = np_lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh)
        h = h_full @ w_hr.T
        outs.append(h)
    np.testing.assert_allclose(value(out), np.stack(outs), rtol=1e-12, atol=1e-14)
    assert h_n.shape == (1, 2, 2) and c_n.shape == (1, 2, 5)
    np.testing.assert_allclose(value(c_n)[0], c, rtol=1e-12)
    with pytest.raises(ValueError):
        nn.GRU(3, 5, proj_size=2)
