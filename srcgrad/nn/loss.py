"""Loss layers: thin ``Module`` wrappers around the losses of ``nn.functional``.

Every loss takes ``reduction``: ``'mean'`` (default), ``'sum'`` or ``'none'``
(one loss per element or sample). PyTorch's deprecated ``size_average`` and
``reduce`` are accepted and mapped to it.
"""

from . import functional as F
from .functional.common import reduction_mode
from .module import Module

__all__ = [
    "MSELoss",
    "L1Loss",
    "SmoothL1Loss",
    "HuberLoss",
    "CrossEntropyLoss",
    "NLLLoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "KLDivLoss",
    "CosineEmbeddingLoss",
    "MarginRankingLoss",
    "HingeEmbeddingLoss",
    "SoftMarginLoss",
    "MultiLabelSoftMarginLoss",
    "MultiMarginLoss",
    "TripletMarginLoss",
    "PoissonNLLLoss",
    "GaussianNLLLoss",
]


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        self.reduction = reduction_mode(size_average, reduce, reduction) if reduction != "batchmean" else reduction


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """Mean squared error: ``(x - y) ** 2``, reduced.

    Shape:
        Input (*), target (*) the same; output () or (*) with ``'none'``.

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.MSELoss()(srcgrad.tensor([1.0, 3.0]), srcgrad.tensor([0.0, 0.0]))
        tensor(5.)
    """

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error: ``|x - y|``, reduced.

    Shape:
        Input (*), target (*) the same; output () or (*) with ``'none'``.

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.L1Loss()(srcgrad.tensor([1.0, -3.0]), srcgrad.tensor([0.0, 0.0]))
        tensor(2.)
    """

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """``0.5 * d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 * beta``.

    Args:
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        beta: where the quadratic part ends (0 gives L1).

    Shape:
        Input (*), target (*) the same; output () or (*) with ``'none'``.

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.SmoothL1Loss()(srcgrad.tensor([0.5, 3.0]), srcgrad.tensor([0.0, 0.0]))
        tensor(1.3125)
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """``0.5 * d**2`` where ``|d| <= delta``, else ``delta * (|d| - 0.5 * delta)``.

    Args:
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        delta: where the quadratic part ends.

    Shape:
        Input (*), target (*) the same; output () or (*) with ``'none'``.

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.HuberLoss(delta=2.0)(srcgrad.tensor([3.0]), srcgrad.tensor([0.0]))
        tensor(4.)
    """

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class CrossEntropyLoss(_WeightedLoss):
    """``log_softmax`` over the class dimension and the negative log-likelihood, in one fused step.

    Targets are class indices (with ``ignore_index``) or class probabilities;
    ``label_smoothing`` mixes the targets with the uniform distribution, with
    PyTorch's formulas (see ``nn.functional.cross_entropy``).

    Args:
        weight: (C,): a weight per class.
        ignore_index: class-index targets equal to it contribute nothing.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        label_smoothing: in [0, 1].

    Shape:
        Input (N, C), (C,) or (N, C, d1, ...); target (N,), () or (N, d1, ...) of integers,
        or probabilities of the input's shape; output () or the target's shape with ``'none'``.

    Example:
        >>> import srcgrad
        >>> loss = srcgrad.nn.CrossEntropyLoss()
        >>> round(loss(srcgrad.zeros(2, 4), srcgrad.tensor([0, 3])).item(), 6)
        1.386294
    """

    def __init__(
        self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean", label_smoothing=0.0
    ):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(
            input,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities: ``-w[y] * x[y]``, reduced.

    Args:
        weight: (C,): a weight per class.
        ignore_index: targets equal to it contribute nothing.
        reduction: ``'mean'`` (divides by the total weight), ``'sum'`` or ``'none'``.

    Shape:
        Input (N, C), (C,) or (N, C, d1, ...); target (N,), () or (N, d1, ...).

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.NLLLoss()(srcgrad.tensor([[-1.0, -2.0]]), srcgrad.tensor([1]))
        tensor(2.)
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross entropy of probabilities: ``-(y log x + (1 - y) log(1 - x))``, logs clamped at -100.

    Args:
        weight: broadcastable to the input: a weight per element.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Shape:
        Input (*), target (*) the same; output () or (*) with ``'none'``.

    Example:
        >>> import srcgrad
        >>> round(srcgrad.nn.BCELoss()(srcgrad.tensor([0.5]), srcgrad.tensor([1.0])).item(), 6)
        0.693147
    """

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """``sigmoid`` then binary cross entropy, computed stably from the logits.

    Args:
        weight: broadcastable to the input: a weight per element.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        pos_weight: broadcastable to the input (one per class): the weight of positive targets.

    Shape:
        Input (*), target (*) the same; output () or (*) with ``'none'``.

    Example:
        >>> import srcgrad
        >>> round(srcgrad.nn.BCEWithLogitsLoss()(srcgrad.tensor([0.0]), srcgrad.tensor([1.0])).item(), 6)
        0.693147
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__(weight, size_average, reduce, reduction)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(
            input, target, weight=self.weight, reduction=self.reduction, pos_weight=self.pos_weight
        )


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence ``y * (log y - x)`` with ``x`` log-probabilities.

    Args:
        reduction: ``'mean'``, ``'batchmean'`` (the mathematically right one), ``'sum'`` or ``'none'``.
        log_target: the target is given as log-probabilities.

    Shape:
        Input (*), target (*) the same.

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.KLDivLoss(reduction="sum")(srcgrad.tensor([0.0]), srcgrad.tensor([1.0]))
        tensor(0.)
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class CosineEmbeddingLoss(_Loss):
    """``1 - cos(x1, x2)`` for pairs labelled 1, ``max(0, cos(x1, x2) - margin)`` for pairs labelled -1.

    Shape:
        Inputs (N, D) or (D,), target (N,) or () of 1 and -1; output () or (N,) with ``'none'``.

    Example:
        >>> import srcgrad
        >>> loss = srcgrad.nn.CosineEmbeddingLoss()
        >>> round(loss(srcgrad.tensor([[1.0, 0.0]]), srcgrad.tensor([[1.0, 0.0]]), srcgrad.tensor([1])).item(), 6)
        0.0
    """

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class MarginRankingLoss(_Loss):
    """``max(0, -y * (x1 - x2) + margin)``: ``x1`` should rank above ``x2`` where ``y == 1``.

    Shape:
        Inputs (N,) or (), target the same; output () or (N,) with ``'none'``.

    Example:
        >>> import srcgrad
        >>> loss = srcgrad.nn.MarginRankingLoss(margin=1.0)
        >>> loss(srcgrad.tensor([2.0]), srcgrad.tensor([1.5]), srcgrad.tensor([1.0])).item()
        0.5
    """

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """``x`` where ``y == 1``, ``max(0, margin - x)`` where ``y == -1``.

    Shape:
        Input (*), target (*) of 1 and -1; output () or (*) with ``'none'``.

    Example:
        >>> import srcgrad
        >>> round(srcgrad.nn.HingeEmbeddingLoss()(srcgrad.tensor([0.3, 0.4]), srcgrad.tensor([1.0, -1.0])).item(), 6)
        0.45
    """

    def __init__(self, margin=1.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input, target):
        return F.hinge_embedding_loss(input, target, margin=self.margin, reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """``log(1 + exp(-y * x))``: two-class logistic loss with labels 1 and -1.

    Shape:
        Input (*), target (*); output () or (*) with ``'none'``.

    Example:
        >>> import srcgrad
        >>> round(srcgrad.nn.SoftMarginLoss()(srcgrad.tensor([0.0]), srcgrad.tensor([1.0])).item(), 6)
        0.693147
    """

    def forward(self, input, target):
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """Multi-label one-versus-all logistic loss, averaged over the C classes of each sample.

    Shape:
        Input (N, C), target (N, C) of 0 and 1; output () or (N,) with ``'none'``.

    Example:
        >>> import srcgrad
        >>> loss = srcgrad.nn.MultiLabelSoftMarginLoss()
        >>> round(loss(srcgrad.zeros(1, 3), srcgrad.tensor([[1.0, 0.0, 1.0]])).item(), 6)
        0.693147
    """

    def forward(self, input, target):
        return F.multilabel_soft_margin_loss(input, target, weight=self.weight, reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge loss: ``sum_{j != y} max(0, margin - x[y] + x[j]) ** p / C``.

    Args:
        p: 1 or 2.
        margin: the margin.
        weight: (C,): a weight per class.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Shape:
        Input (N, C) or (C,), target (N,) or (); output () or (N,) with ``'none'``.

    Example:
        >>> import srcgrad
        >>> round(srcgrad.nn.MultiMarginLoss()(srcgrad.tensor([[0.1, 0.2, 0.4, 0.8]]), srcgrad.tensor([3])).item(), 6)
        0.325
    """

    def __init__(self, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError("only p == 1 and p == 2 supported")
        self.p = p
        self.margin = margin

    def forward(self, input, target):
        return F.multi_margin_loss(
            input, target, p=self.p, margin=self.margin, weight=self.weight, reduction=self.reduction
        )


class TripletMarginLoss(_Loss):
    """``max(d(a, p) - d(a, n) + margin, 0)`` with ``d`` the p-norm distance.

    Shape:
        Anchor, positive, negative (N, D) or (D,); output () or (N,) with ``'none'``.

    Example:
        >>> import srcgrad
        >>> loss = srcgrad.nn.TripletMarginLoss(margin=1.0)
        >>> a, p, n = srcgrad.zeros(1, 2), srcgrad.zeros(1, 2), srcgrad.ones(1, 2)
        >>> round(loss(a, p, n).item(), 4)
        0.0
    """

    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(
            anchor,
            positive,
            negative,
            margin=self.margin,
            p=self.p,
            eps=self.eps,
            swap=self.swap,
            reduction=self.reduction,
        )


class PoissonNLLLoss(_Loss):
    """Poisson negative log-likelihood: ``exp(x) - y * x`` (log-rate input) or ``x - y * log(x + eps)``.

    Shape:
        Input (*), target (*); output () or (*) with ``'none'``.

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.PoissonNLLLoss()(srcgrad.tensor([0.0]), srcgrad.tensor([2.0])).item()
        1.0
    """

    def __init__(self, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.log_input = log_input
        self.full = full
        self.eps = eps

    def forward(self, log_input, target):
        return F.poisson_nll_loss(
            log_input, target, log_input=self.log_input, full=self.full, eps=self.eps, reduction=self.reduction
        )


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood: ``0.5 * (log(var) + (x - y) ** 2 / var)``.

    Shape:
        Input (N, *), target the same, var the same or with one fewer (or a last 1) dimension.

    Example:
        >>> import srcgrad
        >>> srcgrad.nn.GaussianNLLLoss()(srcgrad.tensor([1.0]), srcgrad.tensor([3.0]), srcgrad.tensor([1.0])).item()
        2.0
    """

    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        super().__init__(None, None, reduction)
        self.full = full
        self.eps = eps

    def forward(self, input, target, var):
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps, reduction=self.reduction)
