"""Recover a random polynomial from noiseless samples with a single nn.Linear on the features
(x, x^2, x^3, x^4), smooth-L1 loss and a hand-written update, until the loss is small (in the
manner of pytorch/examples' regression example)."""
from itertools import count

import torch
import torch.nn.functional as F

DEGREE = 4
true_w = torch.randn(DEGREE, 1) * 5
true_b = torch.randn(1) * 5


def features(x):
    """Columns x, x^2, ..., x^DEGREE."""
    return torch.cat([x.unsqueeze(1) ** k for k in range(1, DEGREE + 1)], 1)


def target(x):
    return features(x).mm(true_w) + true_b.item()


def describe(w, b):
    terms = ["{:+.2f} x^{}".format(c, k) for k, c in enumerate(w, start=1)]
    return "y = " + " ".join(terms) + " {:+.2f}".format(b[0])


layer = torch.nn.Linear(DEGREE, 1)
for batch in count(1):
    x = torch.randn(32)
    loss = F.smooth_l1_loss(layer(features(x)), target(x))
    layer.zero_grad()
    loss.backward()
    for p in layer.parameters():
        p.data.add_(-0.1 * p.grad)
    if loss.item() < 1e-3:
        break

print("loss {:.6f} after {} batches".format(loss.item(), batch))
print("learned:", describe(layer.weight.view(-1), layer.bias))
print("actual: ", describe(true_w.view(-1), true_b))
