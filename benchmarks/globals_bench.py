"""The compiler on code written the way users write it: data in module globals.

Run: ``python benchmarks/globals_bench.py``. Each workload reads its data from this module's globals, as a
script does; its gradient (``srcgrad.grad``) is timed side by side with the reference it is held to (the
hand-written gradient, or for the polynomial the strength-reduced floor), interleaved in one process, and
so is the gradient of the same function taking its data as arguments. Prints one line per workload with
the ratios; ``benchmarks/report.py`` prints them against the targets of issue 11.
"""

import os
import sys

# One BLAS thread: steady matmul timings on a small, shared machine (set before numpy loads BLAS).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import srcgrad  # noqa: E402
from benchmarks.timing import rounds  # noqa: E402

_rng = np.random.default_rng(0)

# ----------------------------------------------------------------- Horner cubic over 1000 Python floats
XS = _rng.normal(size=1000).tolist()
YS = _rng.normal(size=1000).tolist()


def horner_loss(a, b, c, d):
    loss = 0.0
    for i in range(len(XS)):
        x = XS[i]
        p = a + x * (b + x * (c + x * d))
        r = p - YS[i]
        loss += r * r
    return loss


def horner_loss_args(a, b, c, d, xs, ys):
    loss = 0.0
    for i in range(len(xs)):
        x = xs[i]
        p = a + x * (b + x * (c + x * d))
        r = p - ys[i]
        loss += r * r
    return loss


def horner_hand(a, b, c, d):
    da = db = dc = dd = 0.0
    for i in range(len(XS)):
        x = XS[i]
        r = a + x * (b + x * (c + x * d)) - YS[i]
        g = 2.0 * r
        da += g
        g = g * x
        db += g
        g = g * x
        dc += g
        dd += g * x
    return da, db, dc, dd


# ----------------------------------------------------------------- polynomial regression, 2000 points
X = _rng.normal(size=2000)
Y = _rng.normal(size=2000)


def poly_loss(a, b, c, d):
    p = a + b * X + c * X**2 + d * X**3
    return np.sum((p - Y) ** 2)


def poly_loss_args(a, b, c, d, x, y):
    p = a + b * x + c * x**2 + d * x**3
    return np.sum((p - y) ** 2)


def poly_floor(a, b, c, d):
    """The strength-reduced floor: powers as products, the sums of products as dots."""
    x2 = X * X
    x3 = x2 * X
    r = a + b * X + c * x2 + d * x3 - Y
    g = 2.0 * r
    return np.sum(g), g @ X, g @ x2, g @ x3


# ----------------------------------------------------------------- MLP 64x1000 -> 100 relu -> 10
XM = _rng.normal(size=(64, 1000))
YM = _rng.normal(size=(64, 10))


def mlp_loss(W1, W2):
    h = np.maximum(0, XM @ W1)
    out = h @ W2
    return np.sum((out - YM) ** 2)


def mlp_loss_args(W1, W2, x, y):
    h = np.maximum(0, x @ W1)
    out = h @ W2
    return np.sum((out - y) ** 2)


def mlp_hand(W1, W2):
    a = XM @ W1
    h = np.maximum(0, a)
    out = h @ W2
    g = 2.0 * (out - YM)
    dW2 = h.T @ g
    dh = g @ W2.T
    dh = dh * (a > 0)
    dW1 = XM.T @ dh
    return dW1, dW2


def _check(got, want, rtol=1e-9):
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=rtol)


def measure(n_rounds=5):
    """Time each workload; returns rows ``(name, reference name, generated/reference with the data in globals,
    generated/reference with the data as arguments, per-round ratio range (globals))``."""
    rows = []
    coeffs = (0.1, 0.2, 0.3, 0.4)

    g = srcgrad.grad(horner_loss, wrt=(0, 1, 2, 3))
    ga = srcgrad.grad(horner_loss_args, wrt=(0, 1, 2, 3))
    _check(g(*coeffs), horner_hand(*coeffs))
    _check(ga(*coeffs, XS, YS), horner_hand(*coeffs))
    (tg, ta, th), ratios = rounds(
        [lambda: g(*coeffs), lambda: ga(*coeffs, XS, YS), lambda: horner_hand(*coeffs)], number=5, n_rounds=n_rounds
    )
    rows.append(("Horner cubic + squared loss, 1000 Python floats", "hand", tg / th, ta / th, ratios))

    g = srcgrad.grad(poly_loss, wrt=(0, 1, 2, 3))
    ga = srcgrad.grad(poly_loss_args, wrt=(0, 1, 2, 3))
    _check(g(*coeffs), poly_floor(*coeffs))
    _check(ga(*coeffs, X, Y), poly_floor(*coeffs))
    (tg, ta, th), ratios = rounds(
        [lambda: g(*coeffs), lambda: ga(*coeffs, X, Y), lambda: poly_floor(*coeffs)], number=50, n_rounds=n_rounds
    )
    rows.append(("polynomial regression, 2000 points", "floor", tg / th, ta / th, ratios))

    W1 = _rng.normal(size=(1000, 100)) * 0.03
    W2 = _rng.normal(size=(100, 10)) * 0.1
    g = srcgrad.grad(mlp_loss, wrt=(0, 1))
    ga = srcgrad.grad(mlp_loss_args, wrt=(0, 1))
    _check(g(W1, W2), mlp_hand(W1, W2), 1e-8)
    _check(ga(W1, W2, XM, YM), mlp_hand(W1, W2), 1e-8)
    (tg, ta, th), ratios = rounds(
        [lambda: g(W1, W2), lambda: ga(W1, W2, XM, YM), lambda: mlp_hand(W1, W2)], number=10, n_rounds=n_rounds
    )
    rows.append(("MLP 64x1000 -> 100 relu -> 10", "hand", tg / th, ta / th, ratios))
    return rows


def main():
    print(f"{'workload (data in module globals)':50s} {'reference':>9s} {'globals':>8s} {'(range)':>13s} {'args':>7s}")
    for name, ref, rg, ra, ratios in measure():
        print(f"{name:50s} {ref:>9s} {rg:7.2f}x {min(ratios):6.2f}-{max(ratios):5.2f} {ra:6.2f}x")


if __name__ == "__main__":
    main()
