"""Fit y = sin(x) with a + b x + c x^2 + d x^3, four ways side by side.

1. numpy with the gradient written by hand;
2. the same loss as a plain numpy function, differentiated by ``@srcgrad.grad``;
3. the same function called on srcgrad Tensors (dynamic mode, ``backward()``);
4. ``nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1))`` with ``MSELoss(reduction="sum")``
   and RMSprop, as in PyTorch's tutorial.

All four compute the same gradient at the same point (checked and printed);
ways 1-3 then train with the same gradient descent and stay equal to rounding
error; way 4 trains with RMSprop.

Run: ``python examples/polynomial_regression.py [--steps 2000]``
"""

import math

from _common import parse_args, progress, save_plot  # first: it limits BLAS threads before numpy loads

import numpy as np

import srcgrad
from srcgrad import nn


def loss(a, b, c, d, x, y):
    """Sum of squared errors of the cubic; plain numpy, used by ways 2 and 3."""
    y_pred = a + b * x + c * x**2 + d * x**3
    return np.sum((y_pred - y) ** 2)


def hand_gradient(a, b, c, d, x, y):
    """Way 1: the gradient of ``loss`` written by hand."""
    x2 = x * x
    x3 = x2 * x
    r = 2.0 * (a + b * x + c * x2 + d * x3 - y)
    return np.sum(r), r @ x, r @ x2, r @ x3


static_gradient = srcgrad.grad(loss, wrt=(0, 1, 2, 3))  # way 2


def dynamic_gradient(a, b, c, d, x, y):
    """Way 3: the same ``loss`` on Tensors."""
    params = [srcgrad.tensor(v, requires_grad=True) for v in (a, b, c, d)]
    loss(*params, srcgrad.tensor(x), srcgrad.tensor(y)).backward()
    return tuple(p.grad.item() for p in params)


def make_model(a, b, c, d):
    """Way 4's model, its weights set to the given coefficients."""
    model = nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1))
    with srcgrad.no_grad():
        model[0].weight.copy_(srcgrad.tensor([[b, c, d]]))
        model[0].bias.copy_(srcgrad.tensor([a]))
    return model


def features(x):
    return srcgrad.tensor(x).unsqueeze(-1).pow(srcgrad.tensor([1, 2, 3]))


def model_gradient(a, b, c, d, x, y):
    """Way 4's gradient at the given coefficients."""
    model = make_model(a, b, c, d)
    nn.MSELoss(reduction="sum")(model(features(x)), srcgrad.tensor(y)).backward()
    gw = model[0].weight.grad.numpy()[0]
    return model[0].bias.grad.item(), gw[0], gw[1], gw[2]


def main():
    args = parse_args(__doc__.splitlines()[0], steps=2000)
    rng = np.random.default_rng(args.seed)
    x = np.linspace(-math.pi, math.pi, 2000)
    y = np.sin(x)
    start = tuple(rng.standard_normal(4))

    grads = {
        "hand-written numpy": hand_gradient(*start, x, y),
        "@srcgrad.grad": static_gradient(*start, x, y),
        "dynamic Tensors": dynamic_gradient(*start, x, y),
        "nn.Linear + MSELoss": model_gradient(*start, x, y),
    }
    reference = np.array(grads["hand-written numpy"])
    print("gradient at the starting point:")
    agree = True
    for name, g in grads.items():
        err = float(np.max(np.abs(np.array(g) - reference) / (1 + np.abs(reference))))
        agree = agree and err < 1e-9
        print(f"  {name:<22} " + " ".join(f"{v:14.6f}" for v in g) + f"   max rel. difference {err:.1e}")
    print(f"all four agree: {agree}")

    lr = 1e-6
    hand = np.array(start)
    static = np.array(start)
    dynamic = [srcgrad.tensor(v, requires_grad=True) for v in start]
    xt, yt = srcgrad.tensor(x), srcgrad.tensor(y)
    model = make_model(*start)
    loss_fn = nn.MSELoss(reduction="sum")
    optimizer = srcgrad.optim.RMSprop(model.parameters(), lr=1e-3)
    xx = features(x)
    history = {"hand-written numpy": [], "@srcgrad.grad": [], "dynamic Tensors": [], "nn + RMSprop": []}
    bar = progress(args.steps)
    for step in bar:
        history["hand-written numpy"].append(loss(*hand, x, y))
        history["@srcgrad.grad"].append(loss(*static, x, y))
        hand = hand - lr * np.array(hand_gradient(*hand, x, y))
        static = static - lr * np.array(static_gradient(*static, x, y))
        value = loss(*dynamic, xt, yt)
        history["dynamic Tensors"].append(value.item())
        value.backward()
        with srcgrad.no_grad():
            for p in dynamic:
                p -= lr * p.grad
                p.grad = None
        model_loss = loss_fn(model(xx), yt)
        history["nn + RMSprop"].append(model_loss.item())
        optimizer.zero_grad()
        model_loss.backward()
        optimizer.step()
        bar.report(step, loss=value.item(), nn_loss=model_loss.item())

    dynamic = np.array([p.item() for p in dynamic])
    weights = model[0].weight.detach().numpy()[0]
    fitted = {
        "hand-written numpy": hand,
        "@srcgrad.grad": static,
        "dynamic Tensors": dynamic,
        "nn + RMSprop": np.array([model[0].bias.item(), *weights]),
    }
    for name, (a, b, c, d) in fitted.items():
        print(f"  {name:<22} y = {a:.4f} + {b:.4f} x + {c:.4f} x^2 + {d:.4f} x^3   loss {loss(a, b, c, d, x, y):.4f}")
    same = np.allclose(hand, static, rtol=1e-9, atol=1e-12) and np.allclose(hand, dynamic, rtol=1e-9, atol=1e-12)
    apart = max(float(np.max(np.abs(static - hand))), float(np.max(np.abs(dynamic - hand))))
    print(f"ways 1-3 followed the same path: {same} (coefficients at most {apart:.1e} apart)")

    def draw(plt):
        # Ways 1-3 give the same numbers, so their lines coincide: drawn in different styles on top of
        # each other, the one visible line is the answer. Way 4 (another optimizer) has its own line.
        styles = {
            "hand-written numpy": dict(color="tab:blue", lw=6, alpha=0.35),
            "@srcgrad.grad": dict(color="tab:green", lw=2.5, ls="--"),
            "dynamic Tensors": dict(color="black", lw=1, ls=":"),
            "nn + RMSprop": dict(color="tab:red", lw=2, ls="-."),
        }
        left = plt.subplot(1, 2, 1)
        left.plot(x, y, color="0.6", lw=10, alpha=0.4, label="target: sin(x)")
        for name, (a, b, c, d) in fitted.items():
            left.plot(x, a + b * x + c * x**2 + d * x**3, label=name, **styles[name])
        left.set_xlabel("x")
        left.set_ylabel("y")
        left.set_title("The fitted cubics: all four land on one curve")
        left.legend(fontsize=8)
        right = plt.subplot(1, 2, 2)
        for name, values in history.items():
            right.semilogy(range(len(values)), values, label=name, **styles[name])
        right.set_xlabel("step")
        right.set_ylabel("sum of squared errors (log scale)")
        right.set_title(f"Training: ways 1-3 at most {apart:.0e} apart")
        right.legend(fontsize=8)
        plt.suptitle("Fitting sin(x) with a cubic, four ways to the gradient")

    save_plot(args, "polynomial_regression.png", draw, size=(11, 4.5))
    return agree, same, float(loss(*start, x, y)), {k: float(loss(*v, x, y)) for k, v in fitted.items()}


if __name__ == "__main__":
    main()
