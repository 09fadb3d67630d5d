"""Least-squares fit of sin(x) by a cubic, with autograd computing the gradients and a plain
gradient-descent update written out by hand (the style of PyTorch's first autograd examples)."""
import argparse
import math

import torch

parser = argparse.ArgumentParser(description="cubic fit with autograd and a manual update")
parser.add_argument("--steps", type=int, default=2000)
parser.add_argument("--lr", type=float, default=1e-6)
args = parser.parse_args()

device = torch.device("cpu")
dtype = torch.float

xs = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
ys = torch.sin(xs)

# one scalar Tensor per coefficient of w0 + w1 x + w2 x^2 + w3 x^3
coefficients = [torch.randn((), device=device, dtype=dtype, requires_grad=True) for _ in range(4)]

for step in range(args.steps):
    w0, w1, w2, w3 = coefficients
    prediction = w0 + w1 * xs + w2 * xs ** 2 + w3 * xs ** 3
    loss = (prediction - ys).pow(2).sum()
    if step % 250 == 249:
        print(f"step {step + 1}: squared error {loss.item():.4f}")
    loss.backward()
    with torch.no_grad():
        for w in coefficients:
            w -= args.lr * w.grad
            w.grad = None

print("fitted: y = " + " + ".join(f"{w.item():.5f} x^{k}" for k, w in enumerate(coefficients)))
