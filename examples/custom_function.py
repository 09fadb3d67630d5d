"""A custom autograd Function: the Legendre polynomial P3, checked with gradcheck.

``LegendrePolynomial3`` gives its own forward and backward (with
``ctx.save_for_backward``); ``gradcheck`` compares that backward with finite
differences; then the model ``y = a + b * P3(c + d * x)`` is fitted to
``sin(x)`` with plain gradient descent.

Run: ``python examples/custom_function.py [--steps 2000]``
"""

import math

from _common import parse_args, progress, save_plot  # first: it limits BLAS threads before numpy loads

import srcgrad as torch


class LegendrePolynomial3(torch.autograd.Function):
    """P3(x) = (5x^3 - 3x) / 2 and its derivative P3'(x) = 3 (5x^2 - 1) / 2."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 0.5 * (5 * x**3 - 3 * x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * x**2 - 1)


def main():
    args = parse_args(__doc__.splitlines()[0], steps=2000)
    torch.manual_seed(args.seed)
    probe = torch.randn(6, requires_grad=True)
    ok = torch.autograd.gradcheck(LegendrePolynomial3.apply, (probe,))
    print(f"gradcheck of LegendrePolynomial3: {ok}")

    x = torch.linspace(-math.pi, math.pi, 2000)
    y = x.sin()
    a, b, c, d = (torch.full((), v, requires_grad=True) for v in (0.0, -1.0, 0.0, 0.3))
    lr = 5e-6
    start = (a + b * LegendrePolynomial3.apply(c + d * x)).detach()
    losses = []
    bar = progress(args.steps)
    for step in bar:
        y_pred = a + b * LegendrePolynomial3.apply(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        bar.report(step, loss=loss.item())
        loss.backward()
        with torch.no_grad():
            for p in (a, b, c, d):
                p -= lr * p.grad
                p.grad = None
    with torch.no_grad():
        y_pred = a + b * LegendrePolynomial3.apply(c + d * x)
        loss = (y_pred - y).pow(2).sum().item()
    print(f"final loss {loss:.4f} after {args.steps} steps")
    print(f"result: y = {a.item():.4f} + {b.item():.4f} * P3({c.item():.4f} + {d.item():.4f} x)")

    def draw(plt):
        left = plt.subplot(1, 2, 1)
        left.plot(x.numpy(), y.numpy(), "k", lw=3, label="target: sin(x)")
        left.plot(x.numpy(), start.numpy(), ":", color="tab:gray", label="the model before training")
        left.plot(x.numpy(), y_pred.numpy(), "--", color="tab:red", lw=2, label=f"after {args.steps} steps")
        left.set_xlabel("x")
        left.set_ylabel("y")
        left.set_title("y = a + b·P3(c + d·x), P3 a custom Function")
        left.legend(fontsize=8)
        right = plt.subplot(1, 2, 2)
        right.semilogy(range(len(losses)), losses)
        right.set_xlabel("step")
        right.set_ylabel("sum of squared errors (log scale)")
        right.set_title(f"training: gradcheck of P3's backward {'passed' if ok else 'FAILED'}")

    save_plot(args, "custom_function.png", draw, size=(11, 4))
    return ok, loss


if __name__ == "__main__":
    main()
