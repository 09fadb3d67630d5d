"""Extra checks against PyTorch itself, when it happens to be importable (the suite never needs it).

The same module is built in both libraries, srcgrad's parameters are copied
into PyTorch's (float64 on both sides), and outputs and gradients must agree.
"""

import numpy as np
import pytest

import srcgrad
from srcgrad import nn

torch = pytest.importorskip("torch")

# PyTorch's own notices (padding='same' copies, oneDNN fallbacks) say nothing about srcgrad
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def to_torch(module, torch_module):
    torch_module.double()
    state = {k: torch.from_numpy(np.array(v.numpy())) for k, v in module.state_dict().items()}
    torch_module.load_state_dict(state)
    return torch_module


def both(expr):
    """``expr`` evaluated with ``lib`` = srcgrad and = torch, parameters shared."""
    ours = eval(expr, {"lib": srcgrad, "_tagger": _tagger})
    theirs = eval(expr, {"lib": torch, "_tagger": _tagger})
    if isinstance(ours, nn.Module):
        to_torch(ours, theirs)
    return ours, theirs


def compare(ours_fn, theirs_fn, *arrays, int_args=(), rtol=1e-10, atol=1e-12):
    xs = [srcgrad.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    ints_s = [srcgrad.tensor(i) for i in int_args]
    ints_t = [torch.tensor(i) for i in int_args]
    out_s = ours_fn(*xs, *ints_s)
    out_t = theirs_fn(*ts, *ints_t)
    if isinstance(out_s, tuple):  # RNNs: (output, h_n) or (output, (h_n, c_n))
        flat = lambda o: [o[0]] + (list(o[1]) if isinstance(o[1], tuple) else [o[1]])  # noqa: E731
        out_s, out_t = flat(out_s), flat(out_t)
    else:
        out_s, out_t = [out_s], [out_t]
    for s, t in zip(out_s, out_t):
        np.testing.assert_allclose(s.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)
    seed = np.random.default_rng(1)
    total_s, total_t = 0, 0
    for s, t in zip(out_s, out_t):
        g = seed.standard_normal(tuple(s.shape))
        total_s = total_s + (s * srcgrad.tensor(g)).sum()
        total_t = total_t + (t * torch.tensor(g)).sum()
    total_s.backward()
    total_t.backward()
    for x, t in zip(xs, ts):
        if x.grad is None or t.grad is None:  # an input the function does not use
            assert x.grad is None and t.grad is None
            continue
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)


LAYERS = [
    ("lib.nn.Linear(4, 3)", (2, 5, 4)),
    ("lib.nn.Bilinear(4, 4, 2)", None),
    ("lib.nn.Conv2d(2, 3, 3, stride=2, padding=1, dilation=1)", (2, 2, 7, 6)),
    ("lib.nn.Conv2d(2, 3, (2, 3), padding=(1, 2), dilation=2, bias=False)", (1, 2, 6, 7)),
    ("lib.nn.Conv2d(2, 2, 3, padding='same', padding_mode='circular')", (1, 2, 5, 5)),
    ("lib.nn.Conv1d(2, 3, 4, stride=2, padding=1)", (2, 2, 9)),
    ("lib.nn.Conv2d(2, 3, (2, 3), padding='same')", (1, 2, 5, 6)),
    ("lib.nn.Conv1d(2, 3, 4, padding='same', dilation=1)", (2, 2, 7)),
    ("lib.nn.Conv2d(4, 6, 3, padding=1, groups=2)", (2, 4, 5, 5)),
    ("lib.nn.Conv2d(3, 3, (3, 2), stride=2, groups=3, bias=False)", (1, 3, 7, 6)),
    ("lib.nn.Conv1d(4, 8, 3, groups=4, padding='same', padding_mode='reflect')", (2, 4, 9)),
    ("lib.nn.MaxPool2d(3, 2, 1)", (2, 2, 7, 6)),
    ("lib.nn.MaxPool2d((2, 3), dilation=(2, 1))", (1, 2, 6, 7)),
    ("lib.nn.AvgPool2d(3, 2, 1, count_include_pad=False)", (2, 2, 7, 6)),
    ("lib.nn.AvgPool1d(3, 2, 1)", (2, 2, 9)),
    ("lib.nn.MaxPool2d(3, 2, ceil_mode=True)", (2, 2, 6, 7)),
    ("lib.nn.MaxPool2d(2, 2, 1, dilation=2, ceil_mode=True)", (1, 2, 7, 6)),
    ("lib.nn.AvgPool2d(3, 2, 1, ceil_mode=True)", (2, 2, 6, 7)),
    ("lib.nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False)", (2, 2, 6, 7)),
    ("lib.nn.AvgPool2d(2, ceil_mode=True)", (1, 2, 5, 5)),
    ("lib.nn.MaxPool1d(2, ceil_mode=True)", (2, 2, 9)),
    ("lib.nn.MaxPool1d(2)", (2, 2, 9)),
    ("lib.nn.AdaptiveAvgPool2d((3, 2))", (1, 2, 7, 5)),
    ("lib.nn.LayerNorm((3, 4))", (2, 3, 4)),
    ("lib.nn.GroupNorm(2, 4)", (3, 4, 5)),
    ("lib.nn.InstanceNorm1d(4, affine=True, track_running_stats=True)", (3, 4, 5)),
    ("lib.nn.InstanceNorm2d(2)", (3, 2, 3, 4)),
    ("lib.nn.GLU(1)", (2, 4, 3)),
    ("lib.nn.Threshold(0.1, 20.0)", (3, 4)),
    ("lib.nn.Hardshrink(0.3)", (3, 4)),
    ("lib.nn.Softshrink(0.3)", (3, 4)),
    ("lib.nn.Softmax2d()", (2, 3, 2, 2)),
    ("lib.nn.PixelShuffle(2)", (2, 8, 3, 3)),
    ("lib.nn.PixelUnshuffle(2)", (2, 2, 4, 6)),
    ("lib.nn.AdaptiveMaxPool2d((2, 3))", (2, 2, 4, 6)),
    ("lib.nn.AdaptiveMaxPool2d((3, 4))", (2, 2, 7, 5)),
    ("lib.nn.Unfold(2, dilation=2, padding=1, stride=2)", (2, 2, 6, 5)),
    ("lib.nn.Fold((4, 5), 2, padding=1)", (2, 8, 30)),
    ("lib.nn.PReLU(3)", (2, 3, 4)),
    ("lib.nn.ZeroPad2d((1, 2, 0, 1))", (1, 2, 3, 4)),
    ("lib.nn.ReflectionPad1d(2)", (1, 2, 4)),
    ("lib.nn.ReplicationPad2d(1)", (1, 2, 3, 4)),
    ("lib.nn.Upsample(scale_factor=2)", (1, 2, 3, 4)),
    ("lib.nn.Upsample(size=(5, 7))", (1, 2, 3, 4)),
    ("lib.nn.Upsample(scale_factor=2, mode='bilinear')", (1, 2, 3, 4)),
    ("lib.nn.Upsample(size=(5, 3), mode='bilinear', align_corners=True)", (2, 2, 3, 4)),
    ("lib.nn.Upsample(scale_factor=1.7, mode='linear')", (2, 2, 5)),
    ("lib.nn.Upsample(size=(3, 4, 2), mode='trilinear')", (1, 1, 2, 3, 4)),
    ("lib.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1)", (2, 2, 4, 3)),
    ("lib.nn.ConvTranspose2d(2, 3, (2, 3), dilation=2, bias=False)", (1, 2, 3, 3)),
    ("lib.nn.ConvTranspose2d(4, 6, 3, stride=2, groups=2)", (2, 4, 3, 3)),
    ("lib.nn.BatchNorm1d(4)", (5, 4)),
    ("lib.nn.BatchNorm2d(2)", (3, 2, 3, 3)),
    ("lib.nn.GELU()", (3, 4)),
    ("lib.nn.GELU(approximate='tanh')", (3, 4)),
    ("lib.nn.ELU(0.7)", (3, 4)),
    ("lib.nn.SELU()", (3, 4)),
    ("lib.nn.CELU(0.6)", (3, 4)),
    ("lib.nn.Softplus(beta=2.0, threshold=1.0)", (3, 4)),
    ("lib.nn.Mish()", (3, 4)),
    ("lib.nn.Hardswish()", (3, 4)),
    ("lib.nn.Hardsigmoid()", (3, 4)),
    ("lib.nn.LogSigmoid()", (3, 4)),
    ("lib.nn.LogSoftmax(dim=0)", (3, 4)),
    ("lib.nn.Softmin(dim=1)", (3, 4)),
    ("lib.nn.RNN(3, 4, num_layers=2, nonlinearity='relu', bidirectional=True)", (5, 2, 3)),
    ("lib.nn.LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True)", (2, 5, 3)),
    ("lib.nn.GRU(3, 4, num_layers=2)", (5, 2, 3)),
    ("lib.nn.LSTM(3, 5, num_layers=2, proj_size=2, bidirectional=True)", (4, 2, 3)),
    ("lib.nn.GRU(3, 4)", (5, 3)),
    ("lib.nn.LSTMCell(3, 4)", (2, 3)),
    ("lib.nn.GRUCell(3, 4)", (2, 3)),
    ("lib.nn.RNNCell(3, 4)", (3,)),
]


@pytest.mark.parametrize("expr, shape", LAYERS, ids=[e for e, _ in LAYERS])
def test_layer_matches_pytorch(rng, expr, shape):
    ours, theirs = both(expr)
    if shape is None:  # Bilinear
        compare(ours, theirs, rng.standard_normal((3, 4)), rng.standard_normal((3, 4)))
        return
    data = rng.standard_normal(shape) * 2
    # PyTorch rounds CELU's 1/alpha and Hardsigmoid's 1/6 to float32 in the backward; srcgrad does not
    rtol = 1e-6 if "CELU" in expr or "Hardsigmoid" in expr else 1e-10
    compare(ours, theirs, data, rtol=rtol)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for k, v in theirs.state_dict().items():  # running statistics after the training step
        np.testing.assert_allclose(ours.state_dict()[k].numpy(), v.numpy(), rtol=1e-10, atol=1e-12)


def test_embedding_with_padding_matches_pytorch():
    ours, theirs = both("lib.nn.Embedding(6, 3, padding_idx=1)")
    idx = np.array([[1, 2, 5], [1, 0, 2]])
    out_s, out_t = ours(srcgrad.tensor(idx)), theirs(torch.tensor(idx))
    np.testing.assert_allclose(out_s.detach().numpy(), out_t.detach().numpy())
    (out_s**2).sum().backward()
    (out_t**2).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy())


LOSSES = [
    ("lib.nn.MSELoss(reduction='sum')", "float"),
    ("lib.nn.L1Loss()", "float"),
    ("lib.nn.SmoothL1Loss(beta=0.5, reduction='none')", "float"),
    ("lib.nn.HuberLoss(delta=0.7)", "float"),
    ("lib.nn.BCELoss(weight=lib.tensor([0.5, 1.0, 2.0, 1.5], dtype=lib.float64))", "prob"),
    ("lib.nn.BCEWithLogitsLoss(pos_weight=lib.tensor([0.5, 1.0, 2.0, 3.0], dtype=lib.float64))", "unit"),
    ("lib.nn.CrossEntropyLoss()", "class"),
    ("lib.nn.CrossEntropyLoss(label_smoothing=0.15, ignore_index=2)", "class"),
    (
        "lib.nn.CrossEntropyLoss(weight=lib.tensor([0.5, 1.0, 2.0, 1.5], dtype=lib.float64), label_smoothing=0.2, ignore_index=0)",
        "class",
    ),
    (
        "lib.nn.CrossEntropyLoss(weight=lib.tensor([0.5, 1.0, 2.0, 1.5], dtype=lib.float64), reduction='none', label_smoothing=0.1)",
        "class",
    ),
    (
        "lib.nn.CrossEntropyLoss(label_smoothing=0.3, weight=lib.tensor([0.5, 1.0, 2.0, 1.5], dtype=lib.float64))",
        "probs",
    ),
    ("lib.nn.NLLLoss(weight=lib.tensor([0.5, 1.0, 2.0, 1.5], dtype=lib.float64), ignore_index=3)", "class"),
    ("lib.nn.KLDivLoss(reduction='batchmean')", "probs"),
]


@pytest.mark.parametrize("expr, kind", LOSSES, ids=[e for e, _ in LOSSES])
def test_loss_matches_pytorch(rng, expr, kind):
    ours, theirs = both(expr)
    x = rng.standard_normal((5, 4)) * 2
    if kind == "class":
        compare(lambda a, y: ours(a, y), lambda a, y: theirs(a, y), x, int_args=(np.array([0, 2, 3, 1, 2]),))
        return
    if kind == "prob":
        x = 1 / (1 + np.exp(-x))
    y = rng.random((5, 4)) if kind != "float" else rng.standard_normal((5, 4))
    if kind == "probs":
        y = y / y.sum(1, keepdims=True)
    compare(lambda a: ours(a, srcgrad.tensor(y)), lambda a: theirs(a, torch.tensor(y)), x)


def test_init_gains_and_default_bounds_match_pytorch():
    for name, param in [("linear", None), ("tanh", None), ("relu", None), ("leaky_relu", 0.3), ("selu", None)]:
        assert nn.init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))
    t = torch.empty(6, 4, 3, 3)
    assert nn.init._calculate_fan_in_and_fan_out(
        srcgrad.zeros(6, 4, 3, 3)
    ) == torch.nn.init._calculate_fan_in_and_fan_out(t)


def test_clip_grad_norm_matches_pytorch(rng):
    grads = [rng.standard_normal((3, 2)), rng.standard_normal(4)]
    for norm_type in (2.0, 1.0, float("inf")):
        ps, pt = [], []
        for g in grads:
            p = nn.Parameter(srcgrad.zeros(*g.shape))
            p.grad = srcgrad.tensor(g)
            q = torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64))
            q.grad = torch.tensor(g)
            ps.append(p)
            pt.append(q)
        total_s = nn.utils.clip_grad_norm_(ps, 0.5, norm_type)
        total_t = torch.nn.utils.clip_grad_norm_(pt, 0.5, norm_type)
        assert total_s.item() == pytest.approx(total_t.item(), rel=1e-12)
        for p, q in zip(ps, pt):
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-12)


ERRORS = [
    "lib.nn.Conv2d(3, 2, 3)(lib.zeros(1, 2, 5, 5))",
    "F.conv2d(lib.zeros(1, 1, 2, 2), lib.zeros(1, 1, 3, 3))",
    "F.layer_norm(lib.zeros(2, 3), (4,))",
    "F.one_hot(lib.tensor([3]), 2)",
    "F.one_hot(lib.tensor([-1]), 2)",
    "F.pad(lib.zeros(2, 3), (1,))",
    "F.pad(lib.zeros(1, 2, 3), (1, 1), mode='foo')",
    "F.max_pool2d(lib.zeros(1, 1, 4, 4), 2, padding=2)",
    "lib.nn.GRU(3, 4)(lib.zeros(2, 1, 3), lib.zeros(2, 1, 4))",
    "lib.nn.LSTM(3, 4)(lib.zeros(2, 1, 5))",
    "lib.nn.LSTM(3, 4)(lib.zeros(2, 1, 1, 3))",
    "F.nll_loss(lib.zeros(2, 3), lib.tensor([0, 1, 1]))",
    "F.binary_cross_entropy(lib.tensor([1.5]), lib.tensor([1.0]))",
    "F.binary_cross_entropy(lib.zeros(2), lib.zeros(3))",
    "lib.nn.Embedding(3, 2)(lib.tensor([3]))",
    "lib.nn.Embedding(3, 2)(lib.tensor([-1]))",
    "F.dropout(lib.zeros(2), 1.5)",
    "F.gelu(lib.zeros(2), approximate='x')",
    "F.cross_entropy(lib.zeros(2, 3), lib.tensor([0, 1]), label_smoothing=1.5)",
    "F.cross_entropy(lib.zeros(2, 3), lib.tensor([0, 3]))",
    "F.smooth_l1_loss(lib.zeros(2), lib.zeros(2), beta=-1.0)",
    "lib.nn.BatchNorm1d(3)(lib.zeros(1, 3))",
    "lib.nn.BatchNorm1d(3)(lib.zeros(1, 3, 2, 2))",
    "F.mse_loss(lib.zeros(2), lib.zeros(2), reduction='avg')",
    "lib.nn.Sequential(lib.nn.Linear(2, 2)).load_state_dict({})",
    "lib.nn.init.calculate_gain('swish')",
    "lib.nn.init.xavier_uniform_(lib.zeros(3))",
    "lib.nn.Module().register_buffer('a.b', lib.zeros(1))",
]


@pytest.mark.parametrize("expr", ERRORS)
def test_errors_have_pytorch_types(expr):
    import warnings

    import srcgrad.nn.functional as sF

    kinds = []
    for lib, F in ((srcgrad, sF), (torch, torch.nn.functional)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                eval(expr, {"lib": lib, "F": F})
            except Exception as err:  # noqa: BLE001 - comparing the kinds is the point
                kinds.append(type(err))
            else:
                kinds.append(None)
    ours, theirs = kinds
    assert theirs is not None
    assert ours is not None and issubclass(ours, theirs), f"srcgrad raised {ours}, PyTorch {theirs}"


@pytest.mark.parametrize("batch_first", [False, True])
def test_multihead_attention_matches_pytorch(rng, batch_first):
    expr = f"lib.nn.MultiheadAttention(6, 3, batch_first={batch_first})"
    ours, theirs = both(expr)
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())
    shape = (2, 4, 6) if batch_first else (4, 2, 6)
    q, k = rng.standard_normal(shape), rng.standard_normal(shape[:-1] + (6,))
    pad = np.array([[False, False, True, False], [False, True, False, False]])
    causal = np.triu(np.ones((4, 4), dtype=bool), 1)
    for kwargs in ({}, {"key_padding_mask": pad}, {"attn_mask": causal}, {"average_attn_weights": False}):

        def run(lib, module, a, b):
            extra = {key: lib.tensor(val) if isinstance(val, np.ndarray) else val for key, val in kwargs.items()}
            out, weights = module(a, b, b, **extra)
            return out, weights

        compare(lambda a, b: run(srcgrad, ours, a, b), lambda a, b: run(torch, theirs, a, b), q, k)


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_encoder_matches_pytorch(rng, norm_first):
    expr = (
        f"lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, "
        f"norm_first={norm_first}, activation='gelu'), 2, enable_nested_tensor=False)"
    )
    ours, theirs = both(expr)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours.layers[0]).replace("activation", "") == repr(theirs.layers[0]).replace("activation", "")
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((2, 5, 8))
    pad = np.array([[False] * 4 + [True], [False] * 5])
    compare(
        lambda a: ours(a, src_key_padding_mask=srcgrad.tensor(pad)),
        lambda a: theirs(a, src_key_padding_mask=torch.tensor(pad)),
        x,
        rtol=1e-9,
        atol=1e-11,
    )


@pytest.mark.parametrize(
    "expr",
    ["lib.nn.LSTM(2, 3, num_layers=2, bidirectional=True, batch_first=True)", "lib.nn.GRU(2, 3, batch_first=True)"],
)
def test_packed_sequences_match_pytorch(rng, expr):
    ours, theirs = both(expr)
    lengths = [3, 5, 1, 4]
    x = rng.standard_normal((4, 5, 2))

    def run(lib, module, rnn_utils):
        def f(a):
            packed = rnn_utils.pack_padded_sequence(a, lengths, batch_first=True, enforce_sorted=False)
            out, state = module(packed)
            padded, _ = rnn_utils.pad_packed_sequence(out, batch_first=True)
            return padded, state

        return f

    import srcgrad.nn.utils.rnn as our_utils

    compare(run(srcgrad, ours, our_utils), run(torch, theirs, torch.nn.utils.rnn), x)
    a = our_utils.pack_padded_sequence(srcgrad.tensor(x), lengths, batch_first=True, enforce_sorted=False)
    b = torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(x), lengths, batch_first=True, enforce_sorted=False)
    np.testing.assert_array_equal(a.data.numpy(), b.data.numpy())
    assert a.batch_sizes.tolist() == b.batch_sizes.tolist()
    assert a.sorted_indices.tolist() == b.sorted_indices.tolist()


MULTI_LOSSES = [
    ("lib.nn.CosineEmbeddingLoss(margin=0.2)", "pair+sign"),
    ("lib.nn.MarginRankingLoss(margin=0.3, reduction='sum')", "pair1d+sign"),
    ("lib.nn.HingeEmbeddingLoss(margin=0.8, reduction='none')", "one+sign"),
    ("lib.nn.SoftMarginLoss()", "one+sign"),
    ("lib.nn.MultiLabelSoftMarginLoss(weight=lib.tensor([1.0, 0.5, 2.0], dtype=lib.float64))", "one+binary"),
    ("lib.nn.MultiMarginLoss(p=2, margin=0.7, weight=lib.tensor([1.0, 0.5, 2.0], dtype=lib.float64))", "one+class"),
    ("lib.nn.TripletMarginLoss(margin=0.5, swap=True)", "triple"),
    ("lib.nn.PoissonNLLLoss(log_input=False, full=True)", "one+count"),
    ("lib.nn.GaussianNLLLoss(full=True)", "gauss"),
]


@pytest.mark.parametrize("expr, kind", MULTI_LOSSES, ids=[e for e, _ in MULTI_LOSSES])
def test_more_losses_match_pytorch(rng, expr, kind):
    ours, theirs = both(expr)
    a, b, c = (rng.standard_normal((4, 3)) for _ in range(3))
    sign = np.array([1.0, -1.0, -1.0, 1.0])

    def call(lib, module):
        t = lib.tensor
        if kind == "pair+sign":
            return lambda x, y: module(x, y, t(sign))
        if kind == "pair1d+sign":
            return lambda x, y: module(x[:, 0], y[:, 0], t(sign))
        if kind == "one+sign":
            return lambda x, y: module(x, t(np.sign(b)))
        if kind == "one+binary":
            return lambda x, y: module(x, t((b > 0).astype(float)))
        if kind == "one+class":
            return lambda x, y: module(x, t(np.array([0, 2, 1, 2])))
        if kind == "triple":
            return lambda x, y: module(x, y, t(c))
        if kind == "one+count":
            return lambda x, y: module(x * x + 0.1, t(np.round(np.abs(c) * 3)))
        return lambda x, y: module(x, t(c), y * y + 0.05)

    compare(call(srcgrad, ours), call(torch, theirs), a, b)


TRAINING = {
    "mlp": (
        "lib.nn.Sequential(lib.nn.Linear(4, 16), lib.nn.ReLU(), lib.nn.Dropout(0.0), lib.nn.Linear(16, 16), "
        "lib.nn.Tanh(), lib.nn.LayerNorm(16), lib.nn.Linear(16, 3))",
        (8, 4),
    ),
    "cnn": (
        "lib.nn.Sequential(lib.nn.Conv2d(1, 4, 3, padding=1), lib.nn.BatchNorm2d(4), lib.nn.ReLU(), "
        "lib.nn.MaxPool2d(2), lib.nn.Conv2d(4, 6, 3), lib.nn.GELU(), lib.nn.Flatten(), lib.nn.Linear(6, 3))",
        (8, 1, 6, 6),
    ),
}


def _tagger(lib):
    """A small sequence tagger, written once for either library, as a PyTorch user would write it."""

    class Tagger(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = lib.nn.Embedding(7, 4, padding_idx=0)
            self.lstm = lib.nn.LSTM(4, 5, batch_first=True, bidirectional=True)
            self.head = lib.nn.Linear(10, 3)

        def forward(self, tokens):
            out, _ = self.lstm(self.embed(tokens))
            return self.head(out).transpose(1, 2)  # (N, C, T) for CrossEntropyLoss

    return Tagger()


TRAINING["tagger"] = ("_tagger(lib)", (4, 6))


@pytest.mark.parametrize("name", list(TRAINING))
def test_training_steps_match_pytorch(rng, name):
    """The same script, run with either library from the same weights, follows the same trajectory."""
    expr, shape = TRAINING[name]
    x = rng.standard_normal(shape)
    y = rng.integers(0, 3, shape[0])
    losses = {}
    if name == "tagger":
        x = rng.integers(0, 7, shape)
        y = rng.integers(0, 3, shape)
    models = dict(zip(("srcgrad", "torch"), both(expr)))
    for lib in (srcgrad, torch):
        model = models[lib.__name__]
        opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        loss_fn = lib.nn.CrossEntropyLoss(label_smoothing=0.05)
        inputs, targets = lib.tensor(x), lib.tensor(y)
        trace = []
        for _ in range(5):
            opt.zero_grad()
            loss = loss_fn(model(inputs), targets)
            loss.backward()
            lib.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            trace.append(loss.item())
        losses[lib.__name__] = (trace, {k: np.array(v.detach().numpy()) for k, v in model.state_dict().items()})
    (ours_trace, ours_state), (theirs_trace, theirs_state) = losses["srcgrad"], losses["torch"]
    np.testing.assert_allclose(ours_trace, theirs_trace, rtol=1e-9)
    for key in theirs_state:
        np.testing.assert_allclose(ours_state[key], theirs_state[key], rtol=1e-8, atol=1e-10, err_msg=key)


def test_embedding_max_norm_matches_pytorch():
    ours, theirs = both("lib.nn.Embedding(6, 3, max_norm=1.0, norm_type=1.0)")
    assert repr(ours) == repr(theirs)
    idx = np.array([[1, 2, 2], [5, 0, 1]])
    out_s, out_t = ours(srcgrad.tensor(idx)), theirs(torch.tensor(idx))
    np.testing.assert_allclose(out_s.detach().numpy(), out_t.detach().numpy(), rtol=1e-12)
    (out_s**2).sum().backward()
    (out_t**2).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("padding", ["", ", padding_idx=2"])
def test_embedding_scale_grad_by_freq_matches_pytorch(padding):
    ours, theirs = both(f"lib.nn.Embedding(6, 3, scale_grad_by_freq=True{padding})")
    assert repr(ours) == repr(theirs)
    idx = np.array([[1, 2, 2], [5, 2, 1]])
    out_s, out_t = ours(srcgrad.tensor(idx)), theirs(torch.tensor(idx))
    np.testing.assert_allclose(out_s.detach().numpy(), out_t.detach().numpy())
    (out_s**3).sum().backward()
    (out_t**3).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-12)
