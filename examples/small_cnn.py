"""A small convolutional network: Conv2d, MaxPool2d and Linear on images made in the script.

The images are 12x12 strokes of four kinds (horizontal, vertical, diagonal,
anti-diagonal) at random places, with noise; scikit-learn's 8x8 digits are used
instead when scikit-learn is installed and ``--digits`` is given. Training uses
``data.DataLoader`` mini-batches, ``CrossEntropyLoss`` and Adam; the held-out
accuracy is printed and a few test images are plotted with their predictions.

Run: ``python examples/small_cnn.py [--steps 300] [--digits]``
"""

from _common import parse_args, progress, save_plot  # first: it limits BLAS threads before numpy loads

import numpy as np

import srcgrad
from srcgrad import nn
from srcgrad.data import DataLoader, TensorDataset


STROKES = ["horizontal —", "vertical |", "diagonal \\", "anti-diagonal /"]  # class k is STROKES[k]


def strokes(n, size=12, seed=0):
    """``n`` noisy images of four kinds of stroke, and their labels."""
    rng = np.random.default_rng(seed)
    images = rng.normal(0.0, 0.3, (n, 1, size, size))
    labels = rng.integers(0, 4, n)
    for k in range(n):
        r, c, length = rng.integers(2, size - 2), rng.integers(2, size - 2), rng.integers(5, size)
        steps = np.arange(-(length // 2), length - length // 2)
        dr, dc = [(0, 1), (1, 0), (1, 1), (1, -1)][labels[k]]
        rows, cols = r + dr * steps, c + dc * steps
        keep = (rows >= 0) & (rows < size) & (cols >= 0) & (cols < size)
        images[k, 0, rows[keep], cols[keep]] += 1.5
    return images, labels


def digits():
    """scikit-learn's 8x8 digits, scaled to [0, 1], and their labels."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise SystemExit('--digits needs scikit-learn: pip install scikit-learn (or -e ".[examples]")') from None

    data = load_digits()
    return data.images[:, None] / 16.0, data.target


def main():
    args = parse_args(
        __doc__.splitlines()[0],
        steps=300,
        extra=lambda p: p.add_argument("--digits", action="store_true", help="use scikit-learn's digits"),
    )
    srcgrad.manual_seed(args.seed)
    if args.digits:
        images, labels = digits()
        names = [str(k) for k in range(10)]
    else:
        images, labels = strokes(1200, seed=args.seed)
        names = STROKES
    print("classes: " + ", ".join(f"{k} = {name}" for k, name in enumerate(names)))
    classes = int(labels.max()) + 1
    split = int(0.8 * len(images))
    train = TensorDataset(srcgrad.tensor(images[:split]), srcgrad.tensor(labels[:split]))
    x_test, y_test = srcgrad.tensor(images[split:]), labels[split:]
    side = images.shape[-1] // 4
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * side * side, classes),
    )
    optimizer = srcgrad.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(train, batch_size=32, shuffle=True)
    batches = iter(loader)
    bar = progress(args.steps)
    for step in bar:
        try:
            x, y = next(batches)
        except StopIteration:
            batches = iter(loader)
            x, y = next(batches)
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        bar.report(step, loss=loss.item())
    model.eval()
    with srcgrad.no_grad():
        predicted = model(x_test).argmax(dim=1).numpy()
    accuracy = float((predicted == y_test).mean())
    print(f"held-out accuracy {accuracy:.3f} on {len(y_test)} images ({classes} classes)")

    def draw(plt):
        for k in range(12):
            plt.subplot(3, 4, k + 1)
            plt.imshow(images[split + k, 0], cmap="gray")
            right = predicted[k] == y_test[k]
            plt.title(
                f"predicted: {names[predicted[k]]}" + ("" if right else f"\ntrue: {names[y_test[k]]}"),
                fontsize=8,
                color="tab:green" if right else "tab:red",
            )
            plt.axis("off")
        plt.suptitle(
            f"Held-out images and the CNN's answers (green right, red wrong); accuracy {accuracy:.1%}", fontsize=10
        )

    save_plot(args, "small_cnn.png", draw, size=(7, 6.5))
    return accuracy


if __name__ == "__main__":
    main()
