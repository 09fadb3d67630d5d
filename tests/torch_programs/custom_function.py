"""A hand-written autograd Function (forward and backward supplied by the program) inside a
small least-squares fit: y ~ a + b * P3(c + d x), P3 the cubic Legendre polynomial."""
import math

import torch


class Legendre3(torch.autograd.Function):
    """P3(t) = (5 t^3 - 3 t) / 2, with its derivative (15 t^2 - 3) / 2 written out."""

    @staticmethod
    def forward(ctx, t):
        ctx.save_for_backward(t)
        return 0.5 * (5 * t ** 3 - 3 * t)

    @staticmethod
    def backward(ctx, grad_output):
        (t,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * t ** 2 - 1)


def scalar(value):
    return torch.full((), value, dtype=torch.float, requires_grad=True)


x = torch.linspace(-math.pi, math.pi, 1000, dtype=torch.float)
target = torch.sin(x)
params = {"a": scalar(0.0), "b": scalar(-1.0), "c": scalar(0.0), "d": scalar(0.3)}
p3 = Legendre3.apply

for it in range(400):
    fit = params["a"] + params["b"] * p3(params["c"] + params["d"] * x)
    loss = ((fit - target) ** 2).sum()
    if it % 100 == 0:
        print(f"iteration {it}: loss {loss.item():.5f}")
    loss.backward()
    with torch.no_grad():
        for p in params.values():
            p -= 1e-5 * p.grad
            p.grad = None

print(", ".join(f"{name} = {p.item():.4f}" for name, p in params.items()))
