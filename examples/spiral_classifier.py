"""Classify three interleaved spirals with an MLP, cross-entropy, Adam and a learning-rate schedule.

The data are made in the script; the model is ``nn.Sequential`` of Linear and
ReLU layers; training uses ``CrossEntropyLoss``, ``optim.Adam`` and
``lr_scheduler.StepLR``. The plot shows the decision boundary.

Run: ``python examples/spiral_classifier.py [--steps 1000]``
"""

from _common import parse_args, progress, save_plot  # first: it limits BLAS threads before numpy loads

import numpy as np

import srcgrad
from srcgrad import nn


def spirals(n_per_class=100, classes=3, seed=0):
    """Points on ``classes`` noisy spiral arms and their class indices."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for c in range(classes):
        r = np.linspace(0.0, 1.0, n_per_class)
        t = np.linspace(c * 4.0, (c + 1) * 4.0, n_per_class) + rng.standard_normal(n_per_class) * 0.2
        xs.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        ys.append(np.full(n_per_class, c))
    return np.concatenate(xs), np.concatenate(ys)


def main():
    args = parse_args(__doc__.splitlines()[0], steps=1000)
    srcgrad.manual_seed(args.seed)
    x0, y0 = spirals(seed=args.seed)
    x = srcgrad.tensor(x0)
    y = srcgrad.tensor(y0)
    model = nn.Sequential(
        nn.Linear(2, 64),
        nn.ReLU(),
        nn.Linear(64, 64),
        nn.ReLU(),
        nn.Linear(64, 3),
    )
    loss_fn = nn.CrossEntropyLoss()
    optimizer = srcgrad.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = srcgrad.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, args.steps // 3), gamma=0.5)
    bar = progress(args.steps)
    accuracy = 0.0
    for step in bar:
        logits = model(x)
        loss = loss_fn(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        accuracy = float((logits.argmax(dim=1).numpy() == y0).mean())
        bar.report(step, loss=loss.item(), accuracy=accuracy, lr=scheduler.get_last_lr()[0])
    model.eval()
    with srcgrad.no_grad():
        logits = model(x)
        loss = loss_fn(logits, y).item()
        accuracy = float((logits.argmax(dim=1).numpy() == y0).mean())
    print(f"training accuracy {accuracy:.3f}, final loss {loss:.4f} after {args.steps} steps")

    def draw(plt):
        from matplotlib.colors import ListedColormap

        colors = ["tab:blue", "tab:orange", "tab:green"]
        grid = np.linspace(-1.1, 1.1, 200)
        gx, gy = np.meshgrid(grid, grid)
        with srcgrad.no_grad():
            zz = model(srcgrad.tensor(np.stack([gx.ravel(), gy.ravel()], 1))).argmax(dim=1).numpy()
        plt.contourf(
            gx, gy, zz.reshape(gx.shape), alpha=0.25, levels=[-0.5, 0.5, 1.5, 2.5], cmap=ListedColormap(colors)
        )
        for c, color in enumerate(colors):
            plt.scatter(
                x0[y0 == c, 0], x0[y0 == c, 1], s=12, color=color, edgecolors="k", linewidths=0.3, label=f"arm {c}"
            )
        plt.xlabel("x1")
        plt.ylabel("x2")
        plt.legend(title="points (class)", fontsize=8, loc="upper right")
        plt.title(f"Shaded: the class the MLP predicts; training accuracy {accuracy:.1%}")
        plt.gca().set_aspect("equal")

    save_plot(args, "spiral_classifier.png", draw, size=(6, 6))
    return accuracy, loss


if __name__ == "__main__":
    main()
