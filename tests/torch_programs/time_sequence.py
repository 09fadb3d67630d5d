"""Two stacked LSTMCells learn to continue sine waves, trained with L-BFGS on whole sequences,
then asked to extrapolate (the design of pytorch/examples' time-sequence-prediction). The
example's separate data step is the first thing done here, writing the same traindata.pt."""
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim


def write_waves(period=20, length=1000, count=100, path="traindata.pt"):
    np.random.seed(2)
    t = np.arange(length) + np.random.randint(-4 * period, 4 * period, count).reshape(count, 1)
    torch.save(np.sin(t / 1.0 / period).astype("float64"), open(path, "wb"))


class Forecaster(nn.Module):
    def __init__(self, hidden=51):
        super().__init__()
        self.hidden = hidden
        self.cell1 = nn.LSTMCell(1, hidden)
        self.cell2 = nn.LSTMCell(hidden, hidden)
        self.head = nn.Linear(hidden, 1)

    def forward(self, series, future=0):
        n = series.size(0)
        h1, c1, h2, c2 = (torch.zeros(n, self.hidden, dtype=torch.double) for _ in range(4))
        outputs = []
        for column in series.split(1, dim=1):
            h1, c1 = self.cell1(column, (h1, c1))
            h2, c2 = self.cell2(h1, (h2, c2))
            out = self.head(h2)
            outputs.append(out)
        for _ in range(future):  # feed the prediction back in
            h1, c1 = self.cell1(out, (h1, c1))
            h2, c2 = self.cell2(h1, (h2, c2))
            out = self.head(h2)
            outputs.append(out)
        return torch.cat(outputs, dim=1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=15)
    parser.add_argument("--length", type=int, default=1000)
    parser.add_argument("--waves", type=int, default=100)
    parser.add_argument("--future", type=int, default=1000)
    opts = parser.parse_args()

    write_waves(length=opts.length, count=opts.waves)
    np.random.seed(0)
    torch.manual_seed(0)
    waves = torch.load("traindata.pt", weights_only=False)  # an ndarray: PyTorch >= 2.6 wants weights_only=False
    train_in, train_out = torch.from_numpy(waves[3:, :-1]), torch.from_numpy(waves[3:, 1:])
    test_in, test_out = torch.from_numpy(waves[:3, :-1]), torch.from_numpy(waves[:3, 1:])

    model = Forecaster()
    model.double()
    mse = nn.MSELoss()
    optimizer = optim.LBFGS(model.parameters(), lr=0.8)
    for step in range(opts.steps):
        print("step", step)

        def closure():
            optimizer.zero_grad()
            loss = mse(model(train_in), train_out)
            print("  loss", loss.item())
            loss.backward()
            return loss
        optimizer.step(closure)
        with torch.no_grad():
            prediction = model(test_in, future=opts.future)
            print("  test loss", mse(prediction[:, :-opts.future], test_out).item())
    extrapolated = prediction.detach().numpy()[:, -opts.future:]
    print("extrapolated {} points of {} waves, range [{:.3f}, {:.3f}]".format(
        opts.future, len(extrapolated), extrapolated.min(), extrapolated.max()))
