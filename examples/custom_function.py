"""A custom autograd Function: the Legendre polynomial P3, checked with gradcheck.

``LegendrePolynomial3`` gives its own forward and backward (with
``ctx.save_for_backward``); ``gradcheck`` compares that backward with finite
differences; then the model ``y = a + b * P3(c + d * x)`` is fitted to
``sin(x)`` with plain gradient descent.

Run: ``python examples/custom_function.py [--steps 2000]``
"""

import math

from _common import parse_args, progress, save_plot

import srcgrad as torch


class LegendrePolynomial3(torch.autograd.Function):
    """P3(x) = (5x^3 - 3x) / 2 and its derivative P3'(x) = 3 (5x^2 - 1) / 2."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 0.5 * (5 * x ** 3 - 3 * x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * x ** 2 - 1)


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
    bar = progress(args.steps)
    for step in bar:
        y_pred = a + b * LegendrePolynomial3.apply(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        bar.report(step, loss=loss.item())
        loss.backward()
        with torch.no_grad():
            for p in (a, b, c, d):
                p -= lr * p.grad
                p.grad = None
    print(f"final loss {loss.item():.4f}")
    print(f"result: y = {a.item():.4f} + {b.item():.4f} * P3({c.item():.4f} + {d.item():.4f} x)")

    def draw(plt):
        plt.plot(x.numpy(), y.numpy(), label="sin(x)")
        plt.plot(x.numpy(), y_pred.detach().numpy(), label="a + b P3(c + d x)")
        plt.legend()

    save_plot(args, "custom_function.png", draw)
    return ok, loss.item()


if __name__ == "__main__":
    main()
