"""Losses: values against formulas written out in numpy, every reduction, gradients by finite differences."""

import numpy as np
import pytest

import srcgrad
import srcgrad.nn.functional as F
from srcgrad import nn
from srcgrad.autograd import gradcheck


def value(t):
    return t.detach().numpy()


def reduce(loss, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction](loss)


REDUCTIONS = ["mean", "sum", "none"]


def log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses(rng, reduction):
    a = rng.standard_normal((3, 4)) * 2
    b = rng.standard_normal((3, 4)) * 2
    x = srcgrad.tensor(a, requires_grad=True)
    y = srcgrad.tensor(b)
    d = a - b
    cases = [
        (nn.MSELoss(reduction=reduction), d**2),
        (nn.L1Loss(reduction=reduction), np.abs(d)),
        (nn.SmoothL1Loss(reduction=reduction), np.where(np.abs(d) < 1, 0.5 * d**2, np.abs(d) - 0.5)),
        (nn.SmoothL1Loss(reduction=reduction, beta=2.0), np.where(np.abs(d) < 2, 0.5 * d**2 / 2, np.abs(d) - 1.0)),
        (nn.SmoothL1Loss(reduction=reduction, beta=0.0), np.abs(d)),
        (
            nn.HuberLoss(reduction=reduction, delta=1.5),
            np.where(np.abs(d) <= 1.5, 0.5 * d**2, 1.5 * (np.abs(d) - 0.75)),
        ),
    ]
    for loss_fn, elementwise in cases:
        np.testing.assert_allclose(
            value(loss_fn(x, y)), reduce(elementwise, reduction), rtol=1e-12, err_msg=repr(loss_fn)
        )
        gradcheck(lambda t: loss_fn(t, y), (x,))
    # the target gets a gradient too
    t = srcgrad.tensor(b, requires_grad=True)
    gradcheck(lambda u: F.mse_loss(x.detach(), u, reduction=reduction), (t,))


def test_legacy_size_average_and_reduce():
    x, y = srcgrad.tensor([1.0, 3.0]), srcgrad.tensor([0.0, 0.0])
    assert F.mse_loss(x, y, size_average=False).item() == 10.0
    assert F.mse_loss(x, y, reduce=False).shape == (2,)
    assert nn.MSELoss(size_average=False).reduction == "sum"
    with pytest.raises(ValueError):
        F.mse_loss(x, y, reduction="avg")


def ce_reference(logits, target, weight=None, ignore_index=-100, reduction="mean", smoothing=0.0):
    """Class-index cross entropy as PyTorch defines it, for (N, C) logits."""
    n, c = logits.shape
    logp = log_softmax(logits, 1)
    w = np.ones(c) if weight is None else weight
    keep = target != ignore_index
    safe = np.where(keep, target, 0)
    nll = -logp[np.arange(n), safe] * w[safe] * keep
    smooth = -(logp * w).sum(1) * keep
    if reduction == "mean":
        denom = (w[safe] * keep).sum()
        return (1 - smoothing) * nll.sum() / denom + smoothing / c * smooth.sum() / denom
    if reduction == "sum":
        return (1 - smoothing) * nll.sum() + smoothing / c * smooth.sum()
    return (1 - smoothing) * nll + smoothing / c * smooth


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"label_smoothing": 0.2},
        {"ignore_index": 1},
        {"ignore_index": 1, "label_smoothing": 0.1},
        {"weight": np.array([0.5, 2.0, 1.0, 3.0])},
        {"weight": np.array([0.5, 2.0, 1.0, 3.0]), "ignore_index": 0, "label_smoothing": 0.3},
    ],
    ids=["plain", "smoothing", "ignore", "ignore+smoothing", "weight", "all"],
)
def test_cross_entropy_class_indices(rng, reduction, options):
    logits = rng.standard_normal((5, 4)) * 3
    target = np.array([0, 1, 3, 1, 2])
    x = srcgrad.tensor(logits, requires_grad=True)
    kwargs = dict(options)
    weight = kwargs.pop("weight", None)
    smoothing = kwargs.pop("label_smoothing", 0.0)
    loss_fn = nn.CrossEntropyLoss(
        weight=None if weight is None else srcgrad.tensor(weight),
        reduction=reduction,
        label_smoothing=smoothing,
        **kwargs,
    )
    expected = ce_reference(logits, target, weight, kwargs.get("ignore_index", -100), reduction, smoothing)
    np.testing.assert_allclose(value(loss_fn(x, srcgrad.tensor(target))), expected, rtol=1e-12)
    gradcheck(lambda t: loss_fn(t, srcgrad.tensor(target)), (x,))


def test_cross_entropy_spatial_and_unbatched(rng):
    logits = rng.standard_normal((2, 3, 4, 2))
    target = rng.integers(0, 3, (2, 4, 2))
    x = srcgrad.tensor(logits, requires_grad=True)
    logp = log_softmax(logits, 1)
    picked = np.take_along_axis(logp, target[:, None], 1)[:, 0]
    np.testing.assert_allclose(value(F.cross_entropy(x, srcgrad.tensor(target))), -picked.mean(), rtol=1e-12)
    assert F.cross_entropy(x, srcgrad.tensor(target), reduction="none").shape == (2, 4, 2)
    gradcheck(lambda t: F.cross_entropy(t, srcgrad.tensor(target), label_smoothing=0.1), (x,))
    one = srcgrad.tensor(logits[0, :, 0, 0], requires_grad=True)
    np.testing.assert_allclose(value(F.cross_entropy(one, srcgrad.tensor(2))), -log_softmax(logits[0, :, 0, 0], 0)[2])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probability_targets(rng, reduction):
    logits = rng.standard_normal((4, 3))
    probs = rng.random((4, 3))
    probs /= probs.sum(1, keepdims=True)
    weight = np.array([1.0, 0.5, 2.0])
    x = srcgrad.tensor(logits, requires_grad=True)
    for smoothing in (0.0, 0.25):
        y = probs * (1 - smoothing) + smoothing / 3
        per_sample = -(log_softmax(logits, 1) * y * weight).sum(1)
        expected = {"mean": per_sample.sum() / 4, "sum": per_sample.sum(), "none": per_sample}[reduction]
        got = F.cross_entropy(
            x, srcgrad.tensor(probs), weight=srcgrad.tensor(weight), reduction=reduction, label_smoothing=smoothing
        )
        np.testing.assert_allclose(value(got), expected, rtol=1e-12)
        gradcheck(
            lambda t: F.cross_entropy(t, srcgrad.tensor(probs), label_smoothing=smoothing, reduction=reduction), (x,)
        )


def test_cross_entropy_errors_and_stability():
    x = srcgrad.tensor([[1000.0, 0.0], [0.0, -1000.0]], requires_grad=True)
    loss = F.cross_entropy(x, srcgrad.tensor([1, 1]))
    assert np.isfinite(loss.item()) and loss.item() == pytest.approx(1000.0 / 2 + 500.0)
    with pytest.raises(IndexError, match="out of bounds"):
        F.cross_entropy(x, srcgrad.tensor([0, 2]))
    with pytest.raises(RuntimeError):
        F.cross_entropy(x, srcgrad.tensor([0, 1]), label_smoothing=1.5)
    with pytest.raises(ValueError):
        F.cross_entropy(x, srcgrad.tensor([0, 1, 1]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss(rng, reduction):
    logp = log_softmax(rng.standard_normal((4, 3)), 1)
    target = np.array([2, 0, 1, 2])
    weight = np.array([1.0, 3.0, 0.5])
    x = srcgrad.tensor(logp, requires_grad=True)
    per = -logp[np.arange(4), target] * weight[target]
    expected = {"mean": per.sum() / weight[target].sum(), "sum": per.sum(), "none": per}[reduction]
    got = nn.NLLLoss(weight=srcgrad.tensor(weight), reduction=reduction)(x, srcgrad.tensor(target))
    np.testing.assert_allclose(value(got), expected, rtol=1e-12)
    gradcheck(lambda t: F.nll_loss(t, srcgrad.tensor(target), reduction=reduction, ignore_index=0), (x,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(rng, reduction):
    p = rng.uniform(0.05, 0.95, (3, 4))
    y = (rng.random((3, 4)) > 0.5).astype(float) * 0.9
    w = rng.uniform(0.5, 1.5, (4,))
    x = srcgrad.tensor(p, requires_grad=True)
    loss = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    np.testing.assert_allclose(
        value(nn.BCELoss(reduction=reduction)(x, srcgrad.tensor(y))), reduce(loss, reduction), rtol=1e-12
    )
    np.testing.assert_allclose(
        value(F.binary_cross_entropy(x, srcgrad.tensor(y), weight=srcgrad.tensor(w), reduction=reduction)),
        reduce(loss * w, reduction),
        rtol=1e-12,
    )
    gradcheck(lambda t: F.binary_cross_entropy(t, srcgrad.tensor(y), reduction=reduction), (x,))


def test_binary_cross_entropy_clamps_logs_at_minus_100():
    out = F.binary_cross_entropy(srcgrad.tensor([0.0, 1.0]), srcgrad.tensor([1.0, 0.0]), reduction="none")
    np.testing.assert_array_equal(value(out), [100.0, 100.0])
    with pytest.raises(RuntimeError):
        F.binary_cross_entropy(srcgrad.tensor([1.5]), srcgrad.tensor([1.0]))


def test_binary_cross_entropy_gradient_at_0_and_1_is_pytorchs():
    """PyTorch's BinaryCrossEntropyBackward0: g * (x - y) / max(x * (1 - x), 1e-12), finite at the ends."""
    p = np.array([0.0, 0.0, 1.0, 1.0, 0.3, 1e-13, 1 - 1e-13, 1e-50])
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.6, 1.0, 0.0, 0.5])
    w = np.linspace(0.5, 2.0, 8)
    for weight, reduction in ((None, "none"), (w, "mean"), (w, "sum")):
        x = srcgrad.tensor(p, requires_grad=True)
        t = srcgrad.tensor(y, requires_grad=True)
        loss = F.binary_cross_entropy(
            x, t, weight=None if weight is None else srcgrad.tensor(weight), reduction=reduction
        )
        assert loss.grad_fn.name() in ("BinaryCrossEntropyBackward0", "MeanBackward0", "SumBackward0")
        loss.sum().backward() if reduction == "none" else loss.backward()
        scale = (1.0 if weight is None else weight) / (8 if reduction == "mean" else 1)
        want = scale * (p - y) / np.maximum(p * (1 - p), 1e-12)
        np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-12)
        assert np.all(np.isfinite(t.grad.numpy()))
        with np.errstate(divide="ignore"):  # the target's gradient: the clamped logs' difference
            logs = np.maximum(np.log1p(-p), -100) - np.maximum(np.log(p), -100)
        np.testing.assert_allclose(t.grad.numpy(), scale * logs, rtol=1e-12)


def test_normalize_of_a_zero_row_has_gradient_g_over_eps():
    x = srcgrad.tensor(np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0], [1e-13, 0.0, 0.0]]), requires_grad=True)
    g = np.array([[1.0, -2.0, 0.5], [0.3, 0.1, -1.0], [1.0, 1.0, 1.0]])
    for p in (2, 1, 3):
        x.grad = None
        out = F.normalize(x, p=p, dim=1)
        np.testing.assert_array_equal(out.detach().numpy()[0], [0.0, 0.0, 0.0])
        np.testing.assert_allclose(out.detach().numpy()[2], [0.1, 0.0, 0.0])
        out.backward(srcgrad.tensor(g))
        np.testing.assert_allclose(x.grad.numpy()[[0, 2]], g[[0, 2]] / 1e-12)  # the denominator is the constant eps
        assert np.all(np.isfinite(x.grad.numpy()))
    gradcheck(
        lambda t: F.normalize(t, p=3, dim=0), (srcgrad.tensor(np.array([[1.0, -2.0], [0.5, 3.0]]), requires_grad=True),)
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_weights_and_pos_weight(rng, reduction):
    z = rng.standard_normal((3, 4)) * 3
    y = rng.random((3, 4))
    w = rng.uniform(0.5, 1.5, (3, 1))
    pw = np.array([1.0, 2.0, 0.5, 3.0])
    x = srcgrad.tensor(z, requires_grad=True)
    s = 1 / (1 + np.exp(-z))
    plain = -(y * np.log(s) + (1 - y) * np.log(1 - s))
    with_pw = -(pw * y * np.log(s) + (1 - y) * np.log(1 - s)) * w
    np.testing.assert_allclose(
        value(nn.BCEWithLogitsLoss(reduction=reduction)(x, srcgrad.tensor(y))), reduce(plain, reduction), rtol=1e-11
    )
    loss_fn = nn.BCEWithLogitsLoss(weight=srcgrad.tensor(w), pos_weight=srcgrad.tensor(pw), reduction=reduction)
    np.testing.assert_allclose(value(loss_fn(x, srcgrad.tensor(y))), reduce(with_pw, reduction), rtol=1e-11)
    gradcheck(lambda t: loss_fn(t, srcgrad.tensor(y)), (x,))


def test_bce_with_logits_is_stable_for_huge_logits():
    x = srcgrad.tensor([1000.0, -1000.0], requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, srcgrad.tensor([0.0, 1.0]), reduction="none")
    np.testing.assert_allclose(value(loss), [1000.0, 1000.0])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, -1.0])


def test_kl_div(rng):
    logq = log_softmax(rng.standard_normal((3, 4)), 1)
    p = np.exp(log_softmax(rng.standard_normal((3, 4)), 1))
    p[0, 0] = 0.0
    x = srcgrad.tensor(logq, requires_grad=True)
    terms = np.where(p > 0, p * (np.log(np.where(p > 0, p, 1)) - logq), 0.0)
    np.testing.assert_allclose(
        value(F.kl_div(x, srcgrad.tensor(p), reduction="batchmean")), terms.sum() / 3, rtol=1e-12
    )
    np.testing.assert_allclose(
        value(nn.KLDivLoss(reduction="sum", log_target=True)(x, srcgrad.tensor(np.log(p + 1e-300)))),
        (p * (np.log(p + 1e-300) - logq)).sum(),
        rtol=1e-9,
    )
    gradcheck(lambda t: F.kl_div(t, srcgrad.tensor(p), reduction="sum"), (x,))
