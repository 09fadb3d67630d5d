"""The cubic fit three more ways: torch.nn layers with a manual update, torch.optim, a Module
holding its own Parameters, and a Module whose depth changes at random from call to call."""
import math
import random

import torch
from torch import nn

x = torch.linspace(-math.pi, math.pi, 1500)
y = torch.sin(x)
powers = x.unsqueeze(-1).pow(torch.tensor([1, 2, 3]))  # (1500, 3): x, x^2, x^3

# 1. layers, a summed squared error, and the update written out
net = nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1))
sse = nn.MSELoss(reduction="sum")
for step in range(200):
    loss = sse(net(powers), y)
    net.zero_grad()
    loss.backward()
    with torch.no_grad():
        for p in net.parameters():
            p -= 2e-6 * p.grad
    if step % 50 == 49:
        print("manual", step + 1, round(loss.item(), 4))
layer = net[0]
print("bias", layer.bias.item(), "weights", [round(v, 5) for v in layer.weight.view(-1).tolist()])

# 2. the same network, RMSprop doing the update
net = nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1))
opt = torch.optim.RMSprop(net.parameters(), lr=1e-3)
for step in range(200):
    loss = sse(net(powers), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
print("rmsprop", round(loss.item(), 4))


class Cubic(nn.Module):
    """y = a + b x + c x^2 + d x^3, the four coefficients as Parameters."""

    def __init__(self):
        super().__init__()
        for name in "abcd":
            setattr(self, name, nn.Parameter(torch.randn(())))

    def forward(self, t):
        return self.a + self.b * t + self.c * t ** 2 + self.d * t ** 3

    def describe(self):
        return " ".join(f"{name}={getattr(self, name).item():+.4f}" for name in "abcd")


model = Cubic()
opt = torch.optim.SGD(model.parameters(), lr=1e-6)
for step in range(200):
    loss = sse(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
print("cubic module:", model.describe())


class RandomDepth(nn.Module):
    """A cubic plus 0, 1 or 2 extra terms e x^4, e x^5 -- how many is drawn on each call."""

    def __init__(self):
        super().__init__()
        self.coef = nn.Parameter(torch.randn(4))
        self.e = nn.Parameter(torch.randn(()))

    def forward(self, t):
        out = sum(self.coef[k] * t ** k for k in range(4))
        for k in range(4, random.randint(4, 6)):
            out = out + self.e * t ** k
        return out


model = RandomDepth()
opt = torch.optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)
for step in range(200):
    loss = sse(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
print("random depth loss", round(loss.item(), 2))
