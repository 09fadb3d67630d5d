"""Learn to add up a sequence of any length with an LSTM (or a GRU).

Every step draws a batch of sequences of a new random length, so the number of
times the recurrent cell runs changes from step to step: the graph is built
as the loop runs, which is what dynamic mode is for. The model reads the
sequence with ``nn.LSTM`` and predicts its sum from the last hidden state.

Run: ``python examples/sequence_rnn.py [--steps 600] [--cell gru]``
"""

from _common import parse_args, progress, save_plot  # first: it limits BLAS threads before numpy loads

import numpy as np

import srcgrad
from srcgrad import nn


class Summer(nn.Module):
    """A recurrent layer and a linear read-out of its last output."""

    def __init__(self, cell="lstm", hidden=24):
        super().__init__()
        layer = nn.GRU if cell == "gru" else nn.LSTM
        self.rnn = layer(input_size=1, hidden_size=hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1, :]).squeeze(-1)


def batch(rng, size=32, min_len=2, max_len=12):
    """``size`` sequences of one random length with values in [0, 1), and their sums."""
    length = int(rng.integers(min_len, max_len + 1))
    x = rng.random((size, length, 1))
    return srcgrad.tensor(x), srcgrad.tensor(x.sum(axis=(1, 2))), length


def main():
    args = parse_args(
        __doc__.splitlines()[0],
        steps=600,
        extra=lambda p: p.add_argument("--cell", choices=["lstm", "gru"], default="lstm"),
    )
    cell = args.cell
    srcgrad.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    model = Summer(cell)
    optimizer = srcgrad.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.MSELoss()
    losses = []
    bar = progress(args.steps)
    for step in bar:
        x, target, length = batch(rng)
        loss = loss_fn(model(x), target)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
        bar.report(step, loss=loss.item(), length=length)
    x, target, length = batch(np.random.default_rng(args.seed + 1), size=256)
    with srcgrad.no_grad():
        test_loss = loss_fn(model(x), target).item()
    first = float(np.mean(losses[:20])) if losses else None
    print(
        f"{cell.upper()}: mean squared error on fresh sequences of length {length}: {test_loss:.4f} "
        + (f"(first steps: {first:.4f})" if losses else "(no training steps)")
    )

    def draw(plt):
        plt.semilogy(range(len(losses)), losses, color="0.7", lw=1, label="each step (a new sequence length)")
        if len(losses) >= 20:
            smooth = np.convolve(losses, np.ones(20) / 20, mode="valid")
            plt.semilogy(range(19, len(losses)), smooth, color="tab:blue", lw=2, label="mean of the last 20 steps")
        plt.axhline(test_loss, color="tab:red", ls="--", label=f"fresh sequences of length {length}: {test_loss:.3g}")
        plt.xlabel("step")
        plt.ylabel("mean squared error (log scale)")
        plt.title(f"{cell.upper()} learning to add sequences of random length")
        plt.legend(fontsize=8)

    save_plot(args, "sequence_rnn.png", draw)
    return first, test_loss


if __name__ == "__main__":
    main()
