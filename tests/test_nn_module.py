"""Module, Parameter and the containers: registration, walking, modes, state_dict, hooks, repr."""

import copy
from collections import OrderedDict

import numpy as np
import pytest

import srcgrad
from srcgrad import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(4, 2, bias=False)
        self.register_buffer("steps", srcgrad.zeros(1))
        self.register_buffer("scratch", srcgrad.zeros(2), persistent=False)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def test_parameter_is_a_leaf_tensor_requiring_grad():
    p = nn.Parameter(srcgrad.tensor([1.0, 2.0]))
    assert isinstance(p, srcgrad.Tensor) and p.requires_grad and p.is_leaf
    assert repr(p).startswith("Parameter containing:\ntensor([1., 2.], requires_grad=True)")
    assert not nn.Parameter(srcgrad.zeros(1), requires_grad=False).requires_grad
    # shares memory with the Tensor it wraps, as in PyTorch
    t = srcgrad.zeros(2)
    q = nn.Parameter(t)
    t._value[0] = 5.0
    assert q[0].item() == 5.0
    assert type(p * 2) is srcgrad.Tensor


def test_named_parameters_buffers_children_modules():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["fc1.weight", "fc1.bias", "fc2.weight"]
    assert [n for n, _ in net.named_buffers()] == ["steps", "scratch"]
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "fc2"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "act", "fc2"]
    assert len(list(net.parameters())) == 3
    assert len(list(net.parameters(recurse=False))) == 0
    assert list(net.children())[0] is net.fc1
    assert net.get_submodule("fc1") is net.fc1
    assert net.get_parameter("fc1.bias") is net.fc1.bias


def test_shared_parameters_are_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2
    assert [n for n, _ in seq.named_modules()] == ["", "0"]


def test_attribute_assignment_registers_and_unregisters():
    m = nn.Module()
    m.w = nn.Parameter(srcgrad.zeros(2))
    m.sub = nn.Linear(1, 1)
    m.plain = srcgrad.zeros(1)
    assert "w" in m._parameters and "sub" in m._modules and "plain" not in m._parameters
    m.w = None
    assert m._parameters["w"] is None and list(m.named_parameters())[0][0] == "sub.weight"
    with pytest.raises(TypeError):
        m.sub = 3
    del m.sub
    assert "sub" not in m._modules
    with pytest.raises(AttributeError):
        m.missing
    with pytest.raises(KeyError):
        m.register_buffer("a.b", srcgrad.zeros(1))
    with pytest.raises(TypeError):
        m.register_parameter("q", srcgrad.zeros(1))


def test_train_eval_and_apply():
    net = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5), nn.Sequential(nn.Dropout()))
    assert net.training and net[2][0].training
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Dropout", "Dropout", "Sequential", "Sequential"]


def test_zero_grad_and_requires_grad_():
    net = Net()
    net(srcgrad.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_state_dict_keys_values_and_round_trip():
    net = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.BatchNorm1d(2))
    sd = net.state_dict()
    assert list(sd) == [
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
        "2.running_mean",
        "2.running_var",
        "2.num_batches_tracked",
    ]
    assert all(isinstance(v, srcgrad.Tensor) and not v.requires_grad for v in sd.values())
    assert np.shares_memory(sd["0.weight"].numpy(), net[0].weight.detach().numpy())
    other = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.BatchNorm1d(2))
    result = other.load_state_dict({k: v.numpy().copy() for k, v in sd.items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    for k, v in other.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), sd[k].numpy())
    # loading copies values: the parameter objects stay the same
    assert other[0].weight.requires_grad and isinstance(other[0].weight, nn.Parameter)
    # non-persistent buffers are left out
    assert "scratch" not in Net().state_dict() and "steps" in Net().state_dict()
    # a module's own entries come before its children's, as in PyTorch
    assert list(Net().state_dict()) == ["steps", "fc1.weight", "fc1.bias", "fc2.weight"]
    assert Net().state_dict(keep_vars=True)["fc1.weight"].requires_grad


def test_state_dict_survives_save_and_load(tmp_path):
    srcgrad.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.LSTM(4, 3))
    net[1](srcgrad.randn(2, 2, 3, 3))  # move the running statistics off their initial values
    srcgrad.save(net.state_dict(), tmp_path / "net.npz")
    fresh = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.LSTM(4, 3))
    result = fresh.load_state_dict(srcgrad.load(tmp_path / "net.npz"))
    assert not result.missing_keys and not result.unexpected_keys
    for (key, a), (_, b) in zip(net.state_dict().items(), fresh.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=key)
    assert fresh[1].num_batches_tracked.item() == 1


def test_load_state_dict_strict_errors_list_keys_like_pytorch():
    net = nn.Sequential(nn.Linear(3, 2))
    bad = {"0.weight": np.zeros((2, 3)), "0.extra": np.zeros(1)}
    with pytest.raises(RuntimeError) as err:
        net.load_state_dict(bad)
    msg = str(err.value)
    assert msg.startswith("Error(s) in loading state_dict for Sequential:")
    assert 'Unexpected key(s) in state_dict: "0.extra".' in msg
    assert 'Missing key(s) in state_dict: "0.bias".' in msg
    result = net.load_state_dict(bad, strict=False)
    assert result.missing_keys == ["0.bias"] and result.unexpected_keys == ["0.extra"]
    np.testing.assert_array_equal(net[0].weight.detach().numpy(), np.zeros((2, 3)))
    with pytest.raises(RuntimeError, match=r"size mismatch for 0.weight: copying a param with shape \[3, 3\]"):
        net.load_state_dict({"0.weight": np.zeros((3, 3)), "0.bias": np.zeros(2)})


def test_to_dtype_casts_parameters_and_buffers_in_place():
    net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    weight = net[0].weight
    assert weight.dtype == np.float64
    assert net.to(srcgrad.float32) is net
    assert net[0].weight is weight and weight.dtype == np.float32
    assert net[1].running_mean.dtype == np.float32 and net[1].num_batches_tracked.dtype == np.int64
    assert net(srcgrad.randn(3, 2, dtype=np.float32)).dtype == np.float32
    net.double()
    assert weight.dtype == np.float64
    net.to("cpu")
    with pytest.raises(TypeError):
        net.to(np.int64)


def test_forward_hooks_and_removal():
    lin = nn.Linear(2, 2)
    calls = []
    pre = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    post = lin.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    out = lin(srcgrad.randn(3, 2))
    np.testing.assert_allclose(out.detach().numpy(), np.broadcast_to(lin.bias.detach().numpy() + 1, (3, 2)))
    assert calls == [(3, 2)]
    pre.remove()
    post.remove()
    x = srcgrad.randn(3, 2)
    np.testing.assert_allclose(
        lin(x).detach().numpy(), x.numpy() @ lin.weight.detach().numpy().T + lin.bias.detach().numpy()
    )


def test_repr_like_pytorch():
    net = nn.Sequential(nn.Linear(3, 1), nn.Sequential(nn.ReLU(), nn.Dropout(0.2)), nn.Conv2d(1, 2, 3))
    assert repr(net) == (
        "Sequential(\n"
        "  (0): Linear(in_features=3, out_features=1, bias=True)\n"
        "  (1): Sequential(\n"
        "    (0): ReLU()\n"
        "    (1): Dropout(p=0.2, inplace=False)\n"
        "  )\n"
        "  (2): Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1))\n"
        ")"
    )
    assert repr(nn.Linear(3, 1, bias=False)) == "Linear(in_features=3, out_features=1, bias=False)"
    assert repr(nn.LSTM(3, 4, num_layers=2, batch_first=True)) == "LSTM(3, 4, num_layers=2, batch_first=True)"
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.LayerNorm(4)) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)"
    assert (
        repr(nn.BatchNorm1d(4))
        == "BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    )
    assert repr(nn.Embedding(10, 3)) == "Embedding(10, 3)"
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert repr(nn.MSELoss()) == "MSELoss()"


def test_sequential_indexing_slicing_and_editing():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    seq = nn.Sequential(*layers)
    assert len(seq) == 3 and seq[0] is layers[0] and seq[-1] is layers[2]
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and list(head) == layers[:2]
    assert list(seq[1:]._modules) == ["1", "2"]
    seq.append(nn.Sigmoid())
    assert len(seq) == 4 and list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    del seq[1]
    assert [type(m).__name__ for m in seq] == ["Linear", "Linear", "Sigmoid"] and list(seq._modules) == ["0", "1", "2"]
    seq.insert(1, nn.Tanh())
    assert type(seq[1]).__name__ == "Tanh"
    named = nn.Sequential(OrderedDict([("enc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["enc.weight", "enc.bias"]
    with pytest.raises(IndexError):
        seq[10]


def test_modulelist_and_moduledict():
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(ml) == 3 and isinstance(ml[1:], nn.ModuleList) and len(ml[1:]) == 2
    ml.append(nn.ReLU())
    ml.extend([nn.Tanh()])
    ml += [nn.Sigmoid()]
    assert len(ml) == 6 and list(ml.state_dict())[:2] == ["0.weight", "0.bias"]
    del ml[0]
    assert list(ml._modules) == [str(i) for i in range(5)]
    md = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.ReLU()})
    md["c"] = nn.Tanh()
    assert list(md) == ["a", "b", "c"] and "a" in md and len(md) == 3
    assert list(md.state_dict()) == ["a.weight", "a.bias"]
    assert md.pop("b").__class__ is nn.ReLU and list(md.keys()) == ["a", "c"]
    pl = nn.ParameterList([nn.Parameter(srcgrad.zeros(1)), srcgrad.ones(2)])
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"] and isinstance(pl[1], nn.Parameter)


def test_deepcopy_gives_independent_parameters():
    net = Net()
    twin = copy.deepcopy(net)
    twin.fc1.weight.data = twin.fc1.weight.data * 0
    assert not np.all(net.fc1.weight.detach().numpy() == 0)
    assert isinstance(twin.fc1.weight, nn.Parameter)


def test_hook_options_and_load_with_assign():
    lin = nn.Linear(2, 2)
    order = []
    lin.register_forward_hook(lambda m, a, out: order.append("second"))
    lin.register_forward_hook(lambda m, a, out: order.append("first"), prepend=True)
    lin.register_forward_pre_hook(lambda m, a, kw: (a, {}), with_kwargs=True)
    seen = []
    lin.register_forward_hook(lambda m, a, kw, out: seen.append(kw), with_kwargs=True)
    lin(srcgrad.randn(1, 2))
    assert order == ["first", "second"] and seen == [{}]
    other = nn.Linear(2, 2)
    old_weight = other.weight
    state = {k: np.full(v.shape, 3.0) for k, v in lin.state_dict().items()}
    other.load_state_dict(state, assign=True)
    assert other.weight is not old_weight and isinstance(other.weight, nn.Parameter) and other.weight.requires_grad
    assert np.all(other.weight.detach().numpy() == 3.0)


def test_full_backward_hooks():
    lin = nn.Linear(3, 2)
    log = []
    lin.register_full_backward_hook(
        lambda m, gi, go: log.append(([None if g is None else g.shape for g in gi], [g.shape for g in go]))
    )
    handle = lin.register_full_backward_pre_hook(lambda m, go: log.append(("pre", len(go))))
    x = srcgrad.ones(4, 3, requires_grad=True)
    lin(x).sum().backward()
    lin(srcgrad.ones(4, 3)).sum().backward()  # no input needs a gradient: grad_input is (None,)
    assert log == [("pre", 1), ([(4, 3)], [(4, 2)]), ("pre", 1), ([None], [(4, 2)])]
    handle.remove()
    doubled = nn.Linear(3, 2)
    doubled.register_full_backward_hook(lambda m, gi, go: tuple(g * 2 for g in gi))
    y = srcgrad.ones(1, 3, requires_grad=True)
    doubled(y).sum().backward()
    np.testing.assert_allclose(y.grad.numpy()[0], 2 * doubled.weight.detach().numpy().sum(0))
    # the hook sees the gradient of the output before it reaches the weights
    scaled = nn.Linear(3, 1)
    scaled.register_full_backward_pre_hook(lambda m, go: (go[0] * 0,))
    z = srcgrad.ones(2, 3, requires_grad=True)
    scaled(z).sum().backward()
    assert np.all(z.grad.numpy() == 0)
