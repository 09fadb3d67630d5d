"""A two-layer network on random data, with the tape and manual updates.

The classic PyTorch warm-up, ported by changing the import: Tensors with
``requires_grad``, a forward pass written with Tensor methods, ``backward()``,
and plain gradient descent under ``no_grad()`` with ``grad.zero_()``.

Run: ``python examples/two_layer_net.py [--steps 500]``
"""

from _common import parse_args, progress, save_plot  # first: it limits BLAS threads before numpy loads

import srcgrad as torch  # the only change a PyTorch version of this script needs


def main():
    args = parse_args(__doc__.splitlines()[0], steps=500)
    torch.manual_seed(args.seed)
    n, d_in, hidden, d_out = 64, 100, 50, 10
    x = torch.randn(n, d_in)
    y = torch.randn(n, d_out)
    w1 = torch.randn(d_in, hidden, requires_grad=True)
    b1 = torch.zeros(hidden, requires_grad=True)
    w2 = torch.randn(hidden, d_out, requires_grad=True)
    b2 = torch.zeros(d_out, requires_grad=True)
    lr = 1e-6
    losses = []
    bar = progress(args.steps)
    for step in bar:
        y_pred = x.mm(w1).add(b1).clamp(min=0).mm(w2).add(b2)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        bar.report(step, loss=loss.item())
        loss.backward()
        with torch.no_grad():
            for p in (w1, b1, w2, b2):
                p -= lr * p.grad
                p.grad.zero_()
    if losses:
        print(f"loss: first {losses[0]:.1f}, last {losses[-1]:.1f}")
    else:
        print("no training steps (--steps 0)")

    def draw(plt):
        plt.semilogy(range(len(losses)), losses)
        plt.xlabel("step")
        plt.ylabel("sum of squared errors (log scale)")
        plt.title("Two-layer net on random data: the loss under plain gradient descent")

    save_plot(args, "two_layer_net.png", draw)
    return losses


if __name__ == "__main__":
    main()
