"""PyTorch's names that PyTorch scripts use and srcgrad mirrors: devices, ``cuda``, dtype aliases,
legacy constructors, ``multinomial``, ``roll``, ``Size``, the Transformer decoder.

Where PyTorch is importable, behaviour is compared with it; everything else is
checked against values written here.
"""

import pickle

import numpy as np
import pytest

import srcgrad
from srcgrad import nn
from srcgrad.errors import DeviceError

try:
    import torch
except ImportError:  # the comparisons with PyTorch skip
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")

# PyTorch's own notices (nested-tensor fast paths) say nothing about srcgrad
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


# -- devices -------------------------------------------------------------------------------------------


def test_device_objects():
    cpu = srcgrad.device("cpu")
    assert repr(cpu) == "device(type='cpu')" and str(cpu) == "cpu"
    assert cpu == srcgrad.device("cpu") and hash(cpu) == hash(srcgrad.device("cpu"))
    assert repr(srcgrad.device("cpu:0")) == "device(type='cpu', index=0)"
    assert srcgrad.device("cuda:1").type == "cuda" and srcgrad.device("cuda:1").index == 1
    assert srcgrad.device("cuda", 2) == srcgrad.device("cuda:2")
    assert srcgrad.device(srcgrad.device("cpu")) == cpu
    assert cpu != "cpu"  # as in PyTorch: a device is not equal to a string
    assert pickle.loads(pickle.dumps(srcgrad.device("cuda:3"))) == srcgrad.device("cuda:3")
    with pytest.raises(RuntimeError, match="device type at start of device string: gpu"):
        srcgrad.device("gpu")
    with pytest.raises(DeviceError, match="no accelerator"):
        srcgrad.device(0)
    with pytest.raises(AttributeError):
        cpu.type = "cuda"


CPU_FORMS = [None, "cpu", "cpu:0", srcgrad.device("cpu"), srcgrad.device("cpu", 0)]
FACTORIES = {
    "zeros": lambda d: srcgrad.zeros(2, 3, device=d),
    "ones": lambda d: srcgrad.ones(2, device=d),
    "empty": lambda d: srcgrad.empty(2, device=d),
    "full": lambda d: srcgrad.full((2,), 1.5, device=d),
    "eye": lambda d: srcgrad.eye(2, device=d),
    "arange": lambda d: srcgrad.arange(0, 4, device=d),
    "linspace": lambda d: srcgrad.linspace(0, 1, 5, device=d),
    "tensor": lambda d: srcgrad.tensor([1.0, 2.0], device=d),
    "as_tensor": lambda d: srcgrad.as_tensor([1.0, 2.0], device=d),
    "randn": lambda d: srcgrad.randn(2, device=d),
    "rand": lambda d: srcgrad.rand(2, device=d),
    "randint": lambda d: srcgrad.randint(0, 5, (3,), device=d),
    "randperm": lambda d: srcgrad.randperm(4, device=d),
    "normal": lambda d: srcgrad.normal(0.0, 1.0, (2,), device=d),
    "zeros_like": lambda d: srcgrad.zeros_like(srcgrad.ones(2), device=d),
    "ones_like": lambda d: srcgrad.ones_like(srcgrad.ones(2), device=d),
    "full_like": lambda d: srcgrad.full_like(srcgrad.ones(2), 3.0, device=d),
    "empty_like": lambda d: srcgrad.empty_like(srcgrad.ones(2), device=d),
    "randn_like": lambda d: srcgrad.randn_like(srcgrad.ones(2), device=d),
    "rand_like": lambda d: srcgrad.rand_like(srcgrad.ones(2), device=d),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_factories_take_the_cpu_and_refuse_other_devices(name):
    make = FACTORIES[name]
    for dev in CPU_FORMS:
        assert make(dev).device == srcgrad.device("cpu")
    for dev in ("cuda", "cuda:0", srcgrad.device("mps"), 0):
        with pytest.raises(DeviceError, match=name) as info:
            make(dev)
        assert "CPU only" in str(info.value) or "no accelerator" in str(info.value)


def test_tensor_to_and_cuda():
    x = srcgrad.tensor([1.0, 2.0], requires_grad=True)
    assert x.to("cpu") is x and x.to(srcgrad.device("cpu:0")) is x and x.cpu() is x
    assert x.to(device="cpu", non_blocking=True) is x
    y = x.to("cpu", srcgrad.float32)
    assert y.dtype == np.float32 and y.grad_fn is not None
    assert x.to(srcgrad.zeros(1, dtype=srcgrad.float32)).dtype == np.float32
    assert x.to(dtype=srcgrad.float16).dtype == np.float16
    copy = x.to("cpu", copy=True)
    assert copy is not x and copy.grad_fn is not None
    assert x.device == srcgrad.device("cpu") and x.is_cuda is False and x.get_device() == -1
    assert x.pin_memory() is x
    for call in (
        lambda: x.cuda(),
        lambda: x.to("cuda"),
        lambda: x.to("mps"),
        lambda: x.to(device="cuda:1"),
        lambda: x.to(0),
    ):
        with pytest.raises(DeviceError, match="srcgrad computes on the CPU only|no accelerator"):
            call()
    with pytest.raises(TypeError, match="unexpected keyword"):
        x.to(devise="cpu")


def test_modules_take_the_cpu_and_refuse_other_devices():
    model = nn.Sequential(nn.Linear(2, 3, device="cpu"), nn.LSTM(3, 4, device=srcgrad.device("cpu")))
    assert model.to("cpu") is model and model.to(srcgrad.device("cpu"), srcgrad.float32) is model
    assert model[0].weight.dtype == np.float32
    for make in (
        lambda: nn.Linear(2, 2, device="cuda"),
        lambda: nn.Conv2d(1, 1, 3, device="cuda"),
        lambda: nn.LSTMCell(2, 2, device="cuda"),
        lambda: nn.Embedding(3, 2, device="mps"),
        lambda: nn.LayerNorm(2, device="cuda"),
        lambda: model.cuda(),
        lambda: model.to("cuda"),
    ):
        with pytest.raises(DeviceError):
            make()


def test_default_device():
    srcgrad.set_default_device("cpu")
    srcgrad.set_default_device(None)
    assert srcgrad.get_default_device() == srcgrad.device("cpu")
    with pytest.raises(DeviceError, match="set_default_device"):
        srcgrad.set_default_device("cuda")


def test_cuda_accelerator_backends_say_there_is_no_gpu():
    assert srcgrad.cuda.is_available() is False and srcgrad.cuda.device_count() == 0
    assert srcgrad.cuda.manual_seed_all(0) is None and srcgrad.cuda.manual_seed(0) is None
    assert srcgrad.cuda.empty_cache() is None and srcgrad.cuda.memory_allocated() == 0
    for call in (srcgrad.cuda.current_device, srcgrad.cuda.synchronize, srcgrad.cuda.get_device_name):
        with pytest.raises(DeviceError, match="no CUDA"):
            call()
    assert srcgrad.accelerator.is_available() is False and srcgrad.accelerator.current_accelerator() is None
    assert srcgrad.accelerator.device_count() == 0
    assert srcgrad.backends.mps.is_available() is False and srcgrad.backends.mps.is_built() is False
    assert srcgrad.backends.cudnn.is_available() is False
    srcgrad.backends.cudnn.deterministic = True
    srcgrad.backends.cuda.matmul.allow_tf32 = True
    with pytest.raises(srcgrad.SrcgradError, match="no ONNX exporter"):
        srcgrad.onnx.export(nn.Linear(2, 2), srcgrad.zeros(1, 2), "model.onnx")


@needs_torch
def test_cuda_answers_match_a_pytorch_without_cuda():
    if torch.cuda.is_available():
        pytest.skip("this PyTorch has CUDA")
    for name in ("is_available", "device_count", "is_bf16_supported"):
        assert getattr(srcgrad.cuda, name)() == getattr(torch.cuda, name)(), name
    assert srcgrad.accelerator.is_available() == torch.accelerator.is_available()
    assert srcgrad.backends.mps.is_available() == torch.backends.mps.is_available()


# -- dtypes and legacy constructors ----------------------------------------------------------------------


def test_dtype_aliases():
    assert srcgrad.float == np.float32 and srcgrad.double == np.float64 and srcgrad.half == np.float16
    assert srcgrad.int == np.int32 and srcgrad.long == np.int64 and srcgrad.short == np.int16
    assert srcgrad.uint8 == np.uint8 and srcgrad.int8 == np.int8 and srcgrad.bool == np.bool_
    assert srcgrad.cfloat == np.complex64 and srcgrad.cdouble == np.complex128
    assert srcgrad.arange(0, 3, dtype=srcgrad.float).dtype == np.float32
    assert srcgrad.finfo(srcgrad.float32).eps == np.finfo(np.float32).eps
    assert srcgrad.is_floating_point(srcgrad.zeros(1)) and not srcgrad.is_floating_point(srcgrad.arange(2))
    with pytest.raises(TypeError, match="no bfloat16"):
        srcgrad.zeros(2, dtype=srcgrad.bfloat16)
    assert {"bfloat16": srcgrad.bfloat16}["bfloat16"] is srcgrad.bfloat16  # naming it is fine


@needs_torch
def test_dtype_aliases_match_pytorch():
    for name in ("float", "double", "half", "int", "long", "short", "uint8", "int8", "bool", "cfloat", "cdouble"):
        ours, theirs = getattr(srcgrad, name), getattr(torch, name)
        assert ours == np.dtype(str(theirs).replace("torch.", "")), name


def test_legacy_constructors():
    t = srcgrad.LongTensor([1, 2])
    assert t.dtype == np.int64 and t.tolist() == [1, 2]
    assert srcgrad.FloatTensor(2, 3).shape == (2, 3) and srcgrad.FloatTensor(2, 3).dtype == np.float32
    assert srcgrad.LongTensor(srcgrad.Size([2, 3])).shape == (2, 3)
    assert srcgrad.LongTensor(4).zero_().view(-1, 2).shape == (2, 2)
    assert isinstance(srcgrad.zeros(2, dtype=srcgrad.float32), srcgrad.FloatTensor)
    assert not isinstance(srcgrad.zeros(2, dtype=srcgrad.float64), srcgrad.FloatTensor)
    assert isinstance(srcgrad.zeros(2, dtype=srcgrad.float64), srcgrad.DoubleTensor)
    assert srcgrad.zeros(2, dtype=srcgrad.float32).type() == "srcgrad.FloatTensor"
    assert srcgrad.arange(2).type() == "srcgrad.LongTensor"


def test_tensor_of_sizes_is_the_legacy_constructor():
    # the Bi-LSTM CRF tutorial's ``torch.Tensor(1, tagset_size).fill_(-10000.)``
    t = srcgrad.Tensor(1, 5).fill_(-10000.0)
    assert t.shape == (1, 5) and t.dtype == srcgrad.get_default_dtype() and t.tolist() == [[-10000.0] * 5]
    assert srcgrad.Tensor(2, 3, 4, 5).shape == (2, 3, 4, 5) and not srcgrad.Tensor(2, 3, 4).requires_grad
    assert srcgrad.Tensor(np.int64(2), 3).shape == (2, 3)
    assert srcgrad.Tensor([1.0, 2.0], srcgrad.float32).dtype == np.float32  # a dtype second is still a dtype
    with pytest.raises(TypeError, match="integer sizes"):
        srcgrad.Tensor(2, 3, 4, 5.0)


def test_variable_is_a_leaf_tensor_sharing_values():
    from srcgrad.autograd import Variable

    x = srcgrad.ones(2)
    v = Variable(x, requires_grad=True)
    assert v is not x and v.requires_grad and not x.requires_grad and v.is_leaf
    (v * 3).sum().backward()
    assert v.grad.tolist() == [3.0, 3.0]
    with srcgrad.no_grad():
        x.add_(1)
    assert v.tolist() == [2.0, 2.0]  # the same values
    assert isinstance(x, Variable) and not isinstance(1.0, Variable)
    assert Variable(x, volatile=True).requires_grad is False
    with pytest.raises(TypeError, match="has to be a tensor"):
        Variable([1.0])


# -- multinomial ------------------------------------------------------------------------------------------


def test_multinomial_with_replacement_follows_the_weights():
    srcgrad.manual_seed(0)
    weights = srcgrad.tensor([1.0, 0.0, 3.0, 6.0])  # weights need not sum to 1
    draws = srcgrad.multinomial(weights, 20000, replacement=True)
    assert draws.dtype == np.int64 and draws.shape == (20000,)
    freq = np.bincount(draws.numpy(), minlength=4) / 20000
    np.testing.assert_allclose(freq, [0.1, 0.0, 0.3, 0.6], atol=0.015)
    assert freq[1] == 0  # weight 0 is never drawn


def test_multinomial_without_replacement():
    srcgrad.manual_seed(1)
    rows = srcgrad.tensor([[0.2, 0.3, 0.5, 0.0], [1.0, 1.0, 1.0, 1.0]])
    for _ in range(50):
        draws = srcgrad.multinomial(rows, 3).numpy()
        assert draws.shape == (2, 3)
        assert len(set(draws[0])) == 3 and len(set(draws[1])) == 3
        assert set(draws[0]) == {0, 1, 2}  # the category of weight 0 only comes after all the others
    assert sorted(srcgrad.multinomial(rows, 4)[0].tolist()) == [0, 1, 2, 3]
    # the first draw follows the weights
    firsts = np.array([srcgrad.multinomial(rows[0], 1).item() for _ in range(4000)])
    np.testing.assert_allclose(np.bincount(firsts, minlength=4) / 4000, [0.2, 0.3, 0.5, 0.0], atol=0.03)


def test_multinomial_generator_and_seed_reproduce():
    p = srcgrad.softmax(srcgrad.randn(3, 5), axis=-1)
    a = srcgrad.multinomial(p, 4, replacement=True, generator=srcgrad.Generator().manual_seed(7))
    b = srcgrad.multinomial(p, 4, replacement=True, generator=srcgrad.Generator().manual_seed(7))
    assert a.tolist() == b.tolist()
    srcgrad.manual_seed(3)
    c = srcgrad.multinomial(p, 2)
    srcgrad.manual_seed(3)
    assert srcgrad.multinomial(p, 2).tolist() == c.tolist()


MULTINOMIAL_ERRORS = [
    ("[0.5, -0.1]", 1, False, "element < 0"),
    ("[0.5, float('nan')]", 1, False, "inf"),
    ("[0.0, 0.0]", 1, False, "sum of probabilities <= 0"),
    ("[0.5, 0.5]", 3, False, "without replacement"),
    ("[0.5, 0.5]", 0, True, "n_sample <= 0"),
    ("[[[0.5]]]", 1, True, "1 or 2 dim"),
]


@pytest.mark.parametrize("weights, n, replacement, message", MULTINOMIAL_ERRORS)
def test_multinomial_refuses_what_pytorch_refuses(weights, n, replacement, message):
    with pytest.raises(RuntimeError, match=message):
        srcgrad.multinomial(srcgrad.tensor(eval(weights)), n, replacement=replacement)
    if torch is not None:
        with pytest.raises(RuntimeError):
            torch.multinomial(torch.tensor(eval(weights)), n, replacement=replacement)


# -- free functions PyTorch scripts call -------------------------------------------------------------------


def test_roll_and_friends_at_module_level():
    x = srcgrad.arange(6).reshape(2, 3)
    assert srcgrad.roll(x, 1, 1).tolist() == [[2, 0, 1], [5, 3, 4]]
    assert srcgrad.roll(x, 2).tolist() == np.roll(np.arange(6).reshape(2, 3), 2).tolist()
    assert srcgrad.roll(x, (1, 1), (0, 1)).tolist() == [[5, 3, 4], [2, 0, 1]]
    w = srcgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (srcgrad.roll(w, 1) * srcgrad.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert w.grad.tolist() == [10.0, 100.0, 1.0]
    assert srcgrad.narrow(x, 1, 1, 2).tolist() == [[1, 2], [4, 5]]
    assert srcgrad.argsort(srcgrad.tensor([3, 1, 2])).tolist() == [1, 2, 0]


def test_softmax_family_takes_pytorch_keywords():
    x = srcgrad.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    np.testing.assert_allclose(srcgrad.softmax(x, dim=1).detach().numpy(), srcgrad.softmax(x, axis=1).detach().numpy())
    np.testing.assert_allclose(
        srcgrad.log_softmax(x, dim=-1).detach().numpy(), srcgrad.log_softmax(x, axis=-1).detach().numpy()
    )
    lse = srcgrad.logsumexp(x, dim=1, keepdim=True)
    assert lse.shape == (1, 1)
    lse.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), srcgrad.softmax(x, axis=1).detach().numpy())
    a = np.array([[1.0, 2.0]])
    assert srcgrad.softmax(a, dim=1).shape == (1, 2)  # on plain arrays too


# -- Size --------------------------------------------------------------------------------------------------


def test_size_is_a_tuple_that_prints_as_pytorch():
    s = srcgrad.zeros(6, 1, 5, 5).size()
    assert repr(s) == "srcgrad.Size([6, 1, 5, 5])" and str(s) == repr(s)
    assert isinstance(s, tuple) and s == (6, 1, 5, 5) and srcgrad.zeros(2).shape == (2,)
    assert type(s[1:]) is srcgrad.Size and s[1:] == (1, 5, 5) and s[0] == 6 and type(s[0]) is int
    assert type(s + (2,)) is srcgrad.Size and s + (2,) == (6, 1, 5, 5, 2)
    assert s.numel() == 150 and srcgrad.Size([]).numel() == 1
    assert repr(srcgrad.tensor(3.0).shape) == "srcgrad.Size([])"
    n, c, h, w = s
    assert (n, c, h, w) == (6, 1, 5, 5)
    assert np.zeros(s).shape == s
    assert pickle.loads(pickle.dumps(s)) == s and type(pickle.loads(pickle.dumps(s))) is srcgrad.Size
    with pytest.raises(TypeError):
        srcgrad.Size([2.5])


@needs_torch
def test_size_behaves_as_torch_size():
    ours, theirs = srcgrad.zeros(2, 3, 4).shape, torch.zeros(2, 3, 4).shape
    for f in (
        lambda s: s[1:],
        lambda s: s + (5,),
        lambda s: s * 2,
        lambda s: s.numel(),
        lambda s: s[-1],
        lambda s: s == (2, 3, 4),
        lambda s: len(s),
    ):
        a, b = f(ours), f(theirs)
        assert a == b and (type(a) is srcgrad.Size) == (type(b) is torch.Size)
    assert repr(ours).replace("srcgrad.", "torch.") == repr(theirs)


# -- utils.data paths --------------------------------------------------------------------------------------


def test_utils_data_paths():
    import srcgrad.utils.data.dataloader as dataloader
    from srcgrad.utils.data import DataLoader, RandomSampler, TensorDataset

    assert dataloader.DataLoader is DataLoader is srcgrad.data.DataLoader
    assert (
        srcgrad.utils.data.TensorDataset is TensorDataset and srcgrad.utils.data.sampler.RandomSampler is RandomSampler
    )
    assert srcgrad.utils.data.dataset.random_split is srcgrad.data.random_split


# -- Transformer decoder -----------------------------------------------------------------------------------


def _copy_into_torch(ours, theirs):
    theirs.double()
    theirs.load_state_dict({k: torch.from_numpy(np.array(v.numpy())) for k, v in ours.state_dict().items()})


@needs_torch
@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_matches_pytorch(norm_first):
    rng = np.random.default_rng(0)
    kwargs = dict(
        d_model=8,
        nhead=2,
        num_encoder_layers=2,
        num_decoder_layers=2,
        dim_feedforward=16,
        dropout=0.0,
        norm_first=norm_first,
    )
    ours = nn.Transformer(**kwargs)
    theirs = torch.nn.Transformer(**kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [tuple(p.shape) for p in ours.parameters()] == [tuple(p.shape) for p in theirs.parameters()]
    _copy_into_torch(ours, theirs)
    src, tgt = rng.standard_normal((5, 3, 8)), rng.standard_normal((4, 3, 8))
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    np.testing.assert_array_equal(mask.numpy(), torch.nn.Transformer.generate_square_subsequent_mask(4).numpy())
    pad = np.array([[False] * 4 + [True], [False] * 5, [False] * 3 + [True] * 2])
    results = []
    for lib, model, m in ((srcgrad, ours, mask), (torch, theirs, torch.from_numpy(mask.numpy()))):
        s, t = lib.tensor(src, requires_grad=True), lib.tensor(tgt, requires_grad=True)
        out = model(s, t, tgt_mask=m, src_key_padding_mask=lib.tensor(pad), memory_key_padding_mask=lib.tensor(pad))
        (out * lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)))).sum().backward()
        grads = [p.grad.numpy() for p in model.parameters()]
        results.append((out.detach().numpy(), s.grad.numpy(), t.grad.numpy(), grads))
    (o1, s1, t1, g1), (o2, s2, t2, g2) = results
    np.testing.assert_allclose(o1, o2, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(s1, s2, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(t1, t2, rtol=1e-8, atol=1e-10)
    for a, b in zip(g1, g2):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


@needs_torch
def test_transformer_decoder_layer_batch_first_matches_pytorch():
    rng = np.random.default_rng(1)
    ours = nn.TransformerDecoder(
        nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, batch_first=True, activation="gelu"), 2, norm=nn.LayerNorm(8)
    )
    theirs = torch.nn.TransformerDecoder(
        torch.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, batch_first=True, activation="gelu"),
        2,
        norm=torch.nn.LayerNorm(8),
    )
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _copy_into_torch(ours, theirs)
    tgt, memory = rng.standard_normal((3, 4, 8)), rng.standard_normal((3, 6, 8))
    a = ours(
        srcgrad.tensor(tgt),
        srcgrad.tensor(memory),
        tgt_is_causal=True,
        tgt_mask=nn.Transformer.generate_square_subsequent_mask(4),
    )
    b = theirs(
        torch.tensor(tgt),
        torch.tensor(memory),
        tgt_is_causal=True,
        tgt_mask=torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64),
    )
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-9, atol=1e-11)


def test_transformer_refuses_mismatched_inputs():
    model = nn.Transformer(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=8)
    with pytest.raises(RuntimeError, match="batch number"):
        model(srcgrad.zeros(3, 2, 4), srcgrad.zeros(3, 5, 4))
    with pytest.raises(RuntimeError, match="d_model"):
        model(srcgrad.zeros(3, 2, 4), srcgrad.zeros(3, 2, 6))
    assert all(p.abs().sum().item() > 0 for p in model.parameters() if p.ndim > 1)  # Xavier-initialised


def test_flatten_parameters_is_accepted():
    lstm = nn.LSTM(2, 3)
    before = [p.detach().numpy().copy() for p in lstm.parameters()]
    assert lstm.flatten_parameters() is None
    assert all(np.array_equal(a, p.detach().numpy()) for a, p in zip(before, lstm.parameters()))


# -- amp, compile, old spellings -----------------------------------------------------------------------


def _scaler_run(lib, grads):
    """Steps of SGD under a GradScaler: the gradients each step is fed, the scale and weight after each."""
    w = lib.nn.Parameter(lib.tensor([1.0, 2.0], dtype=lib.float64))
    opt = lib.optim.SGD([w], lr=0.1)
    scaler = lib.amp.GradScaler("cpu", init_scale=8.0, growth_interval=2)
    history = []
    for g in grads:
        opt.zero_grad()
        scaler.scale((w * lib.tensor(g, dtype=lib.float64)).sum()).backward()
        scaler.unscale_(opt)
        scaler.step(opt)
        scaler.update()
        history.append((scaler.get_scale(), w.detach().numpy().tolist()))
    return history


def test_grad_scaler():
    grads = [[1.0, 1.0], [float("inf"), 1.0], [0.5, 0.5], [0.25, 1.0], [1.0, float("nan")], [1.0, 1.0]]
    history = _scaler_run(srcgrad, grads)
    scales = [s for s, _ in history]
    assert scales == [8.0, 4.0, 4.0, 8.0, 4.0, 4.0]  # back off on inf/nan, grow after 2 good steps
    assert history[1][1] == history[0][1]  # the step with an infinite gradient is skipped
    assert history[0][1] == pytest.approx([0.9, 1.9])  # the gradients were unscaled before the step
    if torch is not None:
        theirs = _scaler_run(torch, grads)
        assert [s for s, _ in theirs] == scales
        np.testing.assert_allclose([w for _, w in theirs], [w for _, w in history], rtol=1e-15)
    off = srcgrad.amp.GradScaler(enabled=False)
    loss = srcgrad.tensor(2.0)
    assert off.scale(loss) is loss and off.get_scale() == 1.0 and not off.is_enabled()
    with pytest.warns(UserWarning, match="Disabling") as caught:
        assert not srcgrad.amp.GradScaler("cuda").is_enabled()
    assert caught[0].filename == __file__


def test_autocast_and_compile_change_nothing():
    model = nn.Linear(2, 1)
    assert srcgrad.compile(model) is model
    f = lambda x: x * 2  # noqa: E731
    assert srcgrad.compile(mode="max-autotune")(f) is f
    x = srcgrad.ones(1, 2)
    with srcgrad.amp.autocast("cpu", enabled=False):
        assert model(x).dtype == np.float64
    srcgrad.amp.autocast._warned = False
    with pytest.warns(UserWarning, match="no mixed precision"):
        with srcgrad.autocast("cpu", dtype=srcgrad.bfloat16):
            assert model(x).dtype == np.float64


def test_add_with_the_deprecated_argument_order():
    p = srcgrad.ones(3)
    g = srcgrad.tensor([1.0, 2.0, 3.0])
    with pytest.warns(UserWarning, match="deprecated"):
        p.add_(-0.5, g)  # old scripts: p.data.add_(-lr, p.grad)
    assert p.tolist() == [0.5, 0.0, -0.5]
    with pytest.warns(UserWarning, match="deprecated"):
        assert p.sub(2, g).tolist() == [-1.5, -4.0, -6.5]
    assert p.add(g, alpha=2).tolist() == [2.5, 4.0, 5.5]
    if torch is not None:
        q = torch.ones(3, dtype=torch.float64)
        with pytest.warns(UserWarning):
            q.add_(-0.5, torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64))
        assert q.tolist() == [0.5, 0.0, -0.5]


def test_a_reassigned_child_keeps_its_place():
    def build(lib):
        class Model(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder = lib.nn.Linear(2, 2)
                self.decoder = lib.nn.Linear(2, 2)
                self.scale = lib.nn.Parameter(lib.ones(1))
                self.head = lib.nn.Linear(2, 1)
                self.decoder = lib.nn.Linear(2, 3)  # replaced: keeps its place, as in PyTorch
                self.scale = lib.nn.Parameter(lib.ones(2))
                self.register_buffer("steps", lib.zeros(1))
                self.register_buffer("steps", lib.ones(1))

        return Model()

    keys = list(build(srcgrad).state_dict())
    assert keys == [
        "scale",
        "steps",
        "encoder.weight",
        "encoder.bias",
        "decoder.weight",
        "decoder.bias",
        "head.weight",
        "head.bias",
    ]
    if torch is not None:
        assert keys == list(build(torch).state_dict())


def test_settings_scripts_make():
    srcgrad.set_num_threads(1)
    assert srcgrad.get_num_threads() == 1
    srcgrad.use_deterministic_algorithms(True)
    assert srcgrad.are_deterministic_algorithms_enabled()
    srcgrad.use_deterministic_algorithms(False)
    with pytest.raises(RuntimeError, match="positive integer"):
        srcgrad.set_num_threads(0)
    assert (srcgrad.pi, srcgrad.e, srcgrad.inf) == (np.pi, np.e, np.inf) and np.isnan(srcgrad.nan)
    x = srcgrad.zeros(2, 3, dtype=srcgrad.float32)
    assert x.is_contiguous() and not x.t().is_contiguous() and x.element_size() == 4 and x.nbytes == 24
    if torch is not None:
        y = torch.zeros(2, 3, dtype=torch.float32)
        assert (y.is_contiguous(), y.t().is_contiguous(), y.element_size(), y.nbytes) == (True, False, 4, 24)


def test_cuda_amp_spellings():
    with pytest.warns(UserWarning, match="Disabling") as caught:
        scaler = srcgrad.cuda.amp.GradScaler()
    assert caught[0].filename == __file__  # the warning names the user's line, not srcgrad's subclass
    assert not scaler.is_enabled() and scaler.scale(3.0) == 3.0
    assert not srcgrad.cuda.amp.GradScaler(enabled=False).is_enabled()
    with srcgrad.cuda.amp.autocast(enabled=False):
        pass
