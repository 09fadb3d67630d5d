"""nn.utils.rnn: packing layout, round trips, and recurrent layers on packed batches."""

import numpy as np
import pytest

import srcgrad
from srcgrad import nn
from srcgrad.autograd import gradcheck
from srcgrad.nn.utils.rnn import (
    PackedSequence,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
    unpad_sequence,
)


def value(t):
    return t.detach().numpy()


def test_packed_layout_is_time_major_longest_first(rng):
    padded = rng.standard_normal((4, 3, 2))  # (T, N, *)
    packed = pack_padded_sequence(srcgrad.tensor(padded), [2, 4, 1], enforce_sorted=False)
    assert packed.batch_sizes.tolist() == [3, 2, 1, 1]
    assert packed.sorted_indices.tolist() == [1, 0, 2] and packed.unsorted_indices.tolist() == [1, 0, 2]
    expected = [padded[0, 1], padded[0, 0], padded[0, 2], padded[1, 1], padded[1, 0], padded[2, 1], padded[3, 1]]
    np.testing.assert_array_equal(value(packed.data), np.stack(expected))
    back, lengths = pad_packed_sequence(packed, padding_value=-1.0)
    assert lengths.tolist() == [2, 4, 1]
    mask = np.arange(4)[:, None] < np.array([2, 4, 1])
    np.testing.assert_array_equal(value(back), np.where(mask[..., None], padded, -1.0))
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        pack_padded_sequence(srcgrad.tensor(padded), [2, 4, 1])


def test_round_trip_batch_first_and_gradients(rng):
    x = srcgrad.tensor(rng.standard_normal((3, 5, 2)), requires_grad=True)  # (N, T, *)
    lengths = [5, 3, 2]

    def f(t):
        packed = pack_padded_sequence(t, lengths, batch_first=True)
        return pad_packed_sequence(packed, batch_first=True, total_length=6)[0]

    out = f(x)
    assert out.shape == (3, 6, 2)
    np.testing.assert_array_equal(value(out)[1, :3], x.detach().numpy()[1, :3])
    assert np.all(value(out)[1, 3:] == 0)
    gradcheck(f, (x,))


def test_pad_sequence_and_pack_sequence(rng):
    seqs = [srcgrad.tensor(rng.standard_normal((n, 2))) for n in (3, 1, 2)]
    padded = pad_sequence(seqs, batch_first=True, padding_value=9.0)
    assert padded.shape == (3, 3, 2)
    np.testing.assert_array_equal(value(padded)[1, 1:], 9.0)
    left = pad_sequence(seqs, padding_side="left")
    np.testing.assert_array_equal(value(left)[:, 1][-1], value(seqs[1])[0])
    parts = unpad_sequence(padded, srcgrad.tensor([3, 1, 2]), batch_first=True)
    for a, b in zip(parts, seqs):
        np.testing.assert_array_equal(value(a), value(b))
    packed = pack_sequence(seqs, enforce_sorted=False)
    assert isinstance(packed, PackedSequence) and packed.batch_sizes.tolist() == [3, 2, 1]


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_recurrent_layers_stop_each_sequence_at_its_length(rng, kind):
    layer = getattr(nn, kind)(2, 3, num_layers=2, bidirectional=True)
    lengths = [2, 5, 3]
    x = rng.standard_normal((5, 3, 2))
    out, state = layer(pack_padded_sequence(srcgrad.tensor(x), lengths, enforce_sorted=False))
    h_n = state[0] if kind == "LSTM" else state
    padded, got_lengths = pad_packed_sequence(out)
    assert got_lengths.tolist() == lengths and padded.shape == (5, 3, 6)
    for i, n in enumerate(lengths):  # each sequence alone, unpadded
        alone_out, alone_state = layer(srcgrad.tensor(x[:n, i : i + 1]))
        alone_h = alone_state[0] if kind == "LSTM" else alone_state
        np.testing.assert_allclose(value(padded)[:n, i], value(alone_out)[:, 0], rtol=1e-12, atol=1e-14)
        assert np.all(value(padded)[n:, i] == 0)
        np.testing.assert_allclose(value(h_n)[:, i], value(alone_h)[:, 0], rtol=1e-12, atol=1e-14)


def test_packed_gradients(rng):
    gru = nn.GRU(2, 2)
    x = srcgrad.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)

    def f(t):
        out, h = gru(pack_padded_sequence(t, [3, 2]))
        return pad_packed_sequence(out)[0], h

    gradcheck(f, (x,))
