"""Optimizers against PyTorch's documented algorithms, written out step by step in numpy.

Each reference below follows the pseudo-code of PyTorch's documentation for the
optimizer (not srcgrad's code), so a mistake in srcgrad's update shows up as a
mismatch. The objective is a small nonlinear function whose gradient the test
writes by hand: f(θ) = Σ s (θ - c)² + 0.1 Σ θ³, so ∇f = 2 s (θ - c) + 0.3 θ².
"""

import numpy as np
import pytest

import srcgrad
from srcgrad import optim

STEPS = 5


def _problem():
    rng = np.random.default_rng(1)
    inits = [rng.normal(size=3), rng.normal(size=(2, 3))]
    targets = [rng.normal(size=3), rng.normal(size=(2, 3))]
    scales = [1.5, 0.5]
    return inits, targets, scales


def _grad(theta, target, scale):
    return 2 * scale * (theta - target) + 0.3 * theta**2


def _loss(params, targets, scales):
    loss = 0
    for p, c, s in zip(params, targets, scales):
        loss = loss + (((p - c) ** 2) * s).sum() + (p**3).sum() * 0.1
    return loss


def _run(cls, kwargs, steps=STEPS):
    inits, targets, scales = _problem()
    params = [srcgrad.tensor(x, requires_grad=True) for x in inits]
    opt = cls(params, **kwargs)
    history = []
    for _ in range(steps):
        opt.zero_grad()
        _loss(params, targets, scales).backward()
        opt.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history


def _reference(update, kwargs, steps=STEPS):
    """Run ``update(theta, g, state, t, **kwargs) -> theta`` on each parameter for ``steps`` steps."""
    inits, targets, scales = _problem()
    thetas = [x.copy() for x in inits]
    states = [{} for _ in thetas]
    history = []
    for t in range(1, steps + 1):
        grads = [_grad(th, c, s) for th, c, s in zip(thetas, targets, scales)]
        thetas = [update(th, g, st, t, **kwargs) for th, g, st in zip(thetas, grads, states)]
        history.append([th.copy() for th in thetas])
    return history


def _assert_same(got, want):
    for step, (g_step, w_step) in enumerate(zip(got, want)):
        for g, w in zip(g_step, w_step):
            np.testing.assert_allclose(g, w, rtol=1e-11, atol=1e-13, err_msg=f"step {step + 1}")


# -- the documented algorithms ---------------------------------------------------------------


def ref_sgd(theta, g, state, t, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False):
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * theta
    if momentum != 0:
        if t > 1:
            b = momentum * state["b"] + (1 - dampening) * g
        else:
            b = g
        state["b"] = b
        if nesterov:
            g = g + momentum * b
        else:
            g = b
    return theta - lr * g


def ref_adam(
    theta,
    g,
    state,
    t,
    lr=1e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0,
    amsgrad=False,
    maximize=False,
    decoupled=False,
):
    beta1, beta2 = betas
    if maximize:
        g = -g
    if decoupled:
        theta = theta - lr * weight_decay * theta
    elif weight_decay != 0:
        g = g + weight_decay * theta
    m = beta1 * state.get("m", 0) + (1 - beta1) * g
    v = beta2 * state.get("v", 0) + (1 - beta2) * g**2
    state["m"], state["v"] = m, v
    m_hat = m / (1 - beta1**t)
    if amsgrad:
        state["vmax"] = np.maximum(state.get("vmax", 0), v)
        v_hat = state["vmax"] / (1 - beta2**t)
    else:
        v_hat = v / (1 - beta2**t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps)


def ref_adamw(theta, g, state, t, weight_decay=1e-2, **kwargs):
    return ref_adam(theta, g, state, t, weight_decay=weight_decay, decoupled=True, **kwargs)


def ref_rmsprop(
    theta, g, state, t, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, maximize=False
):
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * theta
    v = alpha * state.get("v", 0) + (1 - alpha) * g**2
    state["v"] = v
    v_tilde = v
    if centered:
        g_ave = alpha * state.get("g_ave", 0) + (1 - alpha) * g
        state["g_ave"] = g_ave
        v_tilde = v - g_ave**2
    if momentum > 0:
        b = momentum * state.get("b", 0) + g / (np.sqrt(v_tilde) + eps)
        state["b"] = b
        return theta - lr * b
    return theta - lr * g / (np.sqrt(v_tilde) + eps)


def ref_adagrad(
    theta, g, state, t, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, maximize=False
):
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * theta
    lr_t = lr / (1 + (t - 1) * lr_decay)
    s = state.get("sum", initial_accumulator_value) + g**2
    state["sum"] = s
    return theta - lr_t * g / (np.sqrt(s) + eps)


CASES = [
    (optim.SGD, ref_sgd, {}),
    (optim.SGD, ref_sgd, {"lr": 0.05}),
    (optim.SGD, ref_sgd, {"lr": 0.05, "momentum": 0.9}),
    (optim.SGD, ref_sgd, {"lr": 0.05, "momentum": 0.8, "dampening": 0.3}),
    (optim.SGD, ref_sgd, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    (optim.SGD, ref_sgd, {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.1}),
    (optim.SGD, ref_sgd, {"lr": 0.01, "momentum": 0.5, "maximize": True, "weight_decay": 0.05}),
    (optim.Adam, ref_adam, {}),
    (optim.Adam, ref_adam, {"lr": 0.1}),
    (optim.Adam, ref_adam, {"lr": 0.1, "betas": (0.8, 0.95), "eps": 1e-6}),
    (optim.Adam, ref_adam, {"lr": 0.1, "weight_decay": 0.1}),
    (optim.Adam, ref_adam, {"lr": 0.1, "amsgrad": True}),
    (optim.Adam, ref_adam, {"lr": 0.1, "amsgrad": True, "maximize": True, "weight_decay": 0.01}),
    (optim.AdamW, ref_adamw, {}),
    (optim.AdamW, ref_adamw, {"lr": 0.1, "weight_decay": 0.1}),
    (optim.AdamW, ref_adamw, {"lr": 0.1, "amsgrad": True, "betas": (0.7, 0.9)}),
    (optim.AdamW, ref_adamw, {"lr": 0.1, "maximize": True}),
    (optim.RMSprop, ref_rmsprop, {}),
    (optim.RMSprop, ref_rmsprop, {"lr": 0.01, "alpha": 0.9}),
    (optim.RMSprop, ref_rmsprop, {"lr": 0.01, "centered": True}),
    (optim.RMSprop, ref_rmsprop, {"lr": 0.01, "momentum": 0.9}),
    (optim.RMSprop, ref_rmsprop, {"lr": 0.01, "momentum": 0.5, "centered": True, "weight_decay": 0.1}),
    (optim.RMSprop, ref_rmsprop, {"lr": 0.01, "maximize": True, "eps": 1e-4}),
    (optim.Adagrad, ref_adagrad, {}),
    (optim.Adagrad, ref_adagrad, {"lr": 0.1, "lr_decay": 0.1}),
    (optim.Adagrad, ref_adagrad, {"lr": 0.1, "initial_accumulator_value": 0.5}),
    (optim.Adagrad, ref_adagrad, {"lr": 0.1, "weight_decay": 0.2, "eps": 1e-5}),
    (optim.Adagrad, ref_adagrad, {"lr": 0.1, "maximize": True, "lr_decay": 0.01}),
]


@pytest.mark.parametrize(
    "cls, reference, kwargs",
    CASES,
    ids=[f"{c.__name__}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for c, _, kw in CASES],
)
def test_update_matches_documented_algorithm(cls, reference, kwargs):
    _assert_same(_run(cls, kwargs), _reference(reference, kwargs))


# -- defaults, as in PyTorch -------------------------------------------------------------------------


def _defaults(cls, **extra):
    p = srcgrad.tensor([1.0], requires_grad=True)
    return cls([p], **extra).defaults


def test_defaults_match_pytorch():
    assert _defaults(optim.SGD)["lr"] == 1e-3
    d = _defaults(optim.Adam)
    assert (d["lr"], d["betas"], d["eps"], d["weight_decay"], d["amsgrad"]) == (1e-3, (0.9, 0.999), 1e-8, 0, False)
    assert _defaults(optim.AdamW)["weight_decay"] == 1e-2
    d = _defaults(optim.RMSprop)
    assert (d["lr"], d["alpha"], d["eps"], d["momentum"], d["centered"]) == (1e-2, 0.99, 1e-8, 0, False)
    d = _defaults(optim.Adagrad)
    assert (d["lr"], d["lr_decay"], d["eps"], d["initial_accumulator_value"]) == (1e-2, 0, 1e-10, 0)
    d = _defaults(optim.LBFGS)
    assert (
        d["lr"],
        d["max_iter"],
        d["max_eval"],
        d["history_size"],
        d["tolerance_grad"],
        d["tolerance_change"],
        d["line_search_fn"],
    ) == (1, 20, 25, 100, 1e-7, 1e-9, None)


# -- errors -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls, kwargs, message",
    [
        (optim.SGD, {"lr": -1}, "Invalid learning rate: -1"),
        (optim.SGD, {"momentum": -0.5}, "Invalid momentum value: -0.5"),
        (optim.SGD, {"weight_decay": -1}, "Invalid weight_decay value: -1"),
        (optim.SGD, {"nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
        (optim.SGD, {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "Nesterov momentum requires"),
        (optim.Adam, {"lr": -1}, "Invalid learning rate: -1"),
        (optim.Adam, {"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
        (optim.Adam, {"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
        (optim.Adam, {"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
        (optim.AdamW, {"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
        (optim.RMSprop, {"alpha": -0.1}, "Invalid alpha value: -0.1"),
        (optim.RMSprop, {"momentum": -1}, "Invalid momentum value: -1"),
        (optim.Adagrad, {"lr_decay": -1}, "Invalid lr_decay value: -1"),
        (optim.Adagrad, {"initial_accumulator_value": -1}, "Invalid initial_accumulator_value value: -1"),
        (optim.LBFGS, {"lr": -1}, "Invalid learning rate: -1"),
    ],
)
def test_bad_hyperparameters_raise_like_pytorch(cls, kwargs, message):
    p = srcgrad.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        cls([p], **kwargs)


def test_bad_params_raise():
    p = srcgrad.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        optim.SGD(p)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([])
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.SGD([np.ones(2)])
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {p}}])
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2])
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}])


# -- the base class ----------------------------------------------------------------------------------


def test_parameters_without_grad_are_skipped():
    a = srcgrad.tensor([1.0, 2.0], requires_grad=True)
    b = srcgrad.tensor([3.0], requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    (a * a).sum().backward()
    version = b._version
    opt.step()
    assert b.tolist() == [3.0] and b._version == version
    assert b not in opt.state and len(opt.state[a]) == 3


def test_step_bumps_the_version_counter_and_keeps_storage():
    p = srcgrad.tensor([1.0, 2.0], requires_grad=True)
    alias = p.detach()  # shares storage, like p.data
    opt = optim.SGD([p], lr=0.5)
    (p * p).sum().backward()
    before = p._version
    opt.step()
    assert p._version == before + 1
    assert alias.tolist() == [0.0, 0.0]  # updated in place
    assert p.requires_grad and p.is_leaf and p.grad_fn is None


def test_float32_parameters_stay_float32():
    p = srcgrad.tensor(np.array([1.0, -2.0], dtype=np.float32), requires_grad=True)
    for cls in (optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop, optim.Adagrad):
        opt = cls([p], lr=0.1)
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
        assert p.dtype == np.float32
        assert all(v.dtype == np.float32 for v in opt.state[p].values() if isinstance(v, srcgrad.Tensor) and v.ndim)


def test_zero_grad():
    p = srcgrad.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    (p * p).sum().backward()
    grad = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad and p.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


def test_step_returns_closure_loss_evaluated_with_grad_enabled():
    p = srcgrad.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    seen = []

    def closure():
        seen.append(srcgrad.is_grad_enabled())
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with srcgrad.no_grad():
        loss = opt.step(closure)
    assert seen == [True] and float(loss) == 5.0
    np.testing.assert_allclose(p.detach().numpy(), [0.8, 1.6])
    assert opt.step() is None


def test_param_groups_override_defaults_and_add_param_group():
    a = srcgrad.tensor([1.0], requires_grad=True)
    b = srcgrad.tensor([1.0], requires_grad=True)
    c = srcgrad.tensor([1.0], requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": [c], "momentum": 0.0})
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5, 0.1]
    assert [g["momentum"] for g in opt.param_groups] == [0.9, 0.9, 0.0]
    (a * 1 + b * 1 + c * 1).sum().backward()
    opt.step()
    assert a.tolist() == [0.9] and b.tolist() == [0.5] and c.tolist() == [0.9]
    assert "momentum_buffer" in opt.state[a] and c not in opt.state
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})


def test_named_parameters_are_accepted():
    a = srcgrad.tensor([1.0], requires_grad=True)
    opt = optim.Adam([("weight", a)], lr=0.1)
    assert opt.param_groups[0]["params"] == [a] or opt.param_groups[0]["params"][0] is a
    assert opt.param_groups[0]["param_names"] == ["weight"]


def test_lr_can_change_between_steps():
    got = []
    p = srcgrad.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    for lr in (0.1, 0.2, 0.3):
        opt.param_groups[0]["lr"] = lr
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
        got.append(p.item())
    want, x = [], 1.0
    for lr in (0.1, 0.2, 0.3):
        x = x - lr * 2 * x
        want.append(x)
    np.testing.assert_allclose(got, want, rtol=1e-15)


# -- state dicts ---------------------------------------------------------------------------------------

RESUME = [
    (optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    (optim.Adam, {"lr": 0.1, "amsgrad": True}),
    (optim.AdamW, {"lr": 0.1}),
    (optim.RMSprop, {"lr": 0.01, "momentum": 0.5, "centered": True}),
    (optim.Adagrad, {"lr": 0.1, "lr_decay": 0.1}),
]


def _train(params, opt, steps):
    inits, targets, scales = _problem()
    for _ in range(steps):
        opt.zero_grad()
        _loss(params, targets, scales).backward()
        opt.step()


@pytest.mark.parametrize("via_file", [False, True], ids=["in-memory", "save-load"])
@pytest.mark.parametrize("cls, kwargs", RESUME, ids=[c.__name__ for c, _ in RESUME])
def test_state_dict_resumes_exactly(cls, kwargs, via_file, tmp_path):
    inits, _, _ = _problem()
    # uninterrupted
    params = [srcgrad.tensor(x, requires_grad=True) for x in inits]
    opt = cls(params, **kwargs)
    _train(params, opt, 6)
    want = [p.detach().numpy().copy() for p in params]
    # 3 steps, save, fresh optimizer, load, 3 more
    params = [srcgrad.tensor(x, requires_grad=True) for x in inits]
    opt = cls(params, **kwargs)
    _train(params, opt, 3)
    state = opt.state_dict()
    values = [p.detach().numpy().copy() for p in params]
    if via_file:
        srcgrad.save({"params": values, "optim": state}, tmp_path / "ckpt.npz")
        saved = srcgrad.load(tmp_path / "ckpt.npz")
        values, state = saved["params"], saved["optim"]
    params = [srcgrad.tensor(v, requires_grad=True) for v in values]
    fresh = cls(params, lr=123.0)  # the loaded groups replace these options
    fresh.load_state_dict(state)
    _train(params, fresh, 3)
    for p, w in zip(params, want):
        assert np.array_equal(p.detach().numpy(), w)


def test_state_dict_structure_is_pytorch_like():
    a = srcgrad.tensor([1.0, 2.0], requires_grad=True)
    b = srcgrad.tensor([3.0], requires_grad=True)
    c = srcgrad.tensor([4.0], requires_grad=True)
    opt = optim.Adam([{"params": [a, b]}, {"params": [c], "lr": 0.5}], lr=0.1)
    (a.sum() + b.sum() + c.sum()).backward()
    opt.step()
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert list(sd["state"]) == [0, 1, 2]
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert float(sd["state"][0]["step"]) == 1.0
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sd["param_groups"][1]["lr"] == 0.5 and sd["param_groups"][0]["betas"] == (0.9, 0.999)


def test_load_state_dict_copies_and_checks_sizes():
    a = srcgrad.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    (a * a).sum().backward()
    opt.step()
    sd = opt.state_dict()
    b = srcgrad.tensor([1.0, 2.0], requires_grad=True)
    other = optim.SGD([b], lr=0.1, momentum=0.9)
    other.load_state_dict(sd)
    assert other.state[b]["momentum_buffer"]._value is not opt.state[a]["momentum_buffer"]._value
    two = optim.SGD([srcgrad.tensor([1.0], requires_grad=True), srcgrad.tensor([1.0], requires_grad=True)])
    with pytest.raises(ValueError, match="doesn't match the size"):
        two.load_state_dict(sd)
    groups = optim.SGD(
        [
            {"params": [srcgrad.tensor([1.0], requires_grad=True)]},
            {"params": [srcgrad.tensor([1.0], requires_grad=True)]},
        ]
    )
    with pytest.raises(ValueError, match="different number of parameter groups"):
        groups.load_state_dict(sd)


def test_adagrad_state_exists_before_the_first_step():
    p = srcgrad.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adagrad([p], initial_accumulator_value=0.25)
    assert opt.state[p]["sum"].tolist() == [0.25, 0.25] and float(opt.state[p]["step"]) == 0.0


def test_pure_functions_work_on_ndarrays():
    from srcgrad.optim.sgd import sgd

    theta = np.array([1.0, 2.0])
    bufs = [None]
    sgd(
        [theta],
        [np.array([1.0, 1.0])],
        bufs,
        lr=0.5,
        momentum=0.9,
        dampening=0,
        weight_decay=0,
        nesterov=False,
        maximize=False,
    )
    assert theta.tolist() == [0.5, 1.5] and bufs[0].tolist() == [1.0, 1.0]


def test_sgd_trains_a_linear_fit():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3))
    y = x @ np.array([1.0, -2.0, 0.5]) + 0.3
    w = srcgrad.zeros(3, requires_grad=True)
    b = srcgrad.zeros(1, requires_grad=True)
    opt = optim.SGD([w, b], lr=0.1, momentum=0.9)
    for _ in range(200):
        opt.zero_grad()
        loss = ((srcgrad.tensor(x) @ w + b - srcgrad.tensor(y)) ** 2).mean()
        loss.backward()
        opt.step()
    assert float(loss) < 1e-6


@pytest.mark.parametrize(
    "cls, reference, kwargs",
    [
        (optim.SGD, ref_sgd, {"lr": 0.1, "momentum": 0.9}),
        (optim.Adam, ref_adam, {"lr": 0.1}),
        (optim.RMSprop, ref_rmsprop, {"lr": 0.01, "centered": True, "momentum": 0.5}),
        (optim.Adagrad, ref_adagrad, {"lr": 0.1, "initial_accumulator_value": 0.1}),
    ],
)
def test_complex_parameters_update_real_and_imaginary_parts_separately(cls, reference, kwargs):
    """As PyTorch does (``view_as_real``): a complex entry behaves as two real ones."""
    z0 = np.array([1.0 + 2.0j, -0.5 + 0.25j])
    grads = [np.array([0.3 - 1.0j, 2.0 + 0.5j]), np.array([-0.1 + 0.2j, 0.4 - 0.3j]), np.array([1.0 + 1.0j, 0j])]
    z = srcgrad.tensor(z0, requires_grad=True)
    opt = cls([z], **kwargs)
    theta, state = np.stack([z0.real, z0.imag], -1).reshape(-1), {}
    for t, g in enumerate(grads, 1):
        z.grad = srcgrad.tensor(g)
        opt.step()
        theta = reference(theta, np.stack([g.real, g.imag], -1).reshape(-1), state, t, **kwargs)
        np.testing.assert_allclose(z.detach().numpy().view(np.float64), theta, rtol=1e-12)
    assert z.dtype == np.complex128
    assert all(v.dtype == np.complex128 for v in opt.state[z].values() if isinstance(v, srcgrad.Tensor) and v.ndim)


# -- the other optimizers: Adadelta, Adamax, NAdam, RAdam, Rprop ------------------------------------------


def ref_adadelta(theta, g, state, t, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False):
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * theta
    v = rho * state.get("v", 0) + (1 - rho) * g**2
    delta = np.sqrt(state.get("u", 0) + eps) / np.sqrt(v + eps) * g
    u = rho * state.get("u", 0) + (1 - rho) * delta**2
    state["v"], state["u"] = v, u
    return theta - lr * delta


def ref_adamax(theta, g, state, t, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False):
    beta1, beta2 = betas
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * theta
    m = beta1 * state.get("m", 0) + (1 - beta1) * g
    u = np.maximum(beta2 * state.get("u", 0), np.abs(g) + eps)
    state["m"], state["u"] = m, u
    return theta - lr * m / ((1 - beta1**t) * u)


def ref_nadam(
    theta,
    g,
    state,
    t,
    lr=2e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0,
    momentum_decay=4e-3,
    decoupled_weight_decay=False,
    maximize=False,
):
    beta1, beta2 = betas
    if maximize:
        g = -g
    if weight_decay != 0:
        if decoupled_weight_decay:
            theta = theta * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * theta

    def mu(i):
        return beta1 * (1 - 0.5 * 0.96 ** (i * momentum_decay))

    m = beta1 * state.get("m", 0) + (1 - beta1) * g
    v = beta2 * state.get("v", 0) + (1 - beta2) * g**2
    state["m"], state["v"] = m, v
    prod_t = np.prod([mu(i) for i in range(1, t + 1)])
    prod_next = prod_t * mu(t + 1)
    m_hat = mu(t + 1) * m / (1 - prod_next) + (1 - mu(t)) * g / (1 - prod_t)
    v_hat = v / (1 - beta2**t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps)


def ref_radam(
    theta,
    g,
    state,
    t,
    lr=1e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0,
    decoupled_weight_decay=False,
    maximize=False,
):
    beta1, beta2 = betas
    if maximize:
        g = -g
    if weight_decay != 0:
        if decoupled_weight_decay:
            theta = theta * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * theta
    m = beta1 * state.get("m", 0) + (1 - beta1) * g
    v = beta2 * state.get("v", 0) + (1 - beta2) * g**2
    state["m"], state["v"] = m, v
    m_hat = m / (1 - beta1**t)
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
    if rho_t > 5:
        l_t = np.sqrt(1 - beta2**t) / (np.sqrt(v) + eps)
        r_t = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        return theta - lr * m_hat * r_t * l_t
    return theta - lr * m_hat


def ref_rprop(theta, g, state, t, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False):
    eta_minus, eta_plus = etas
    lo, hi = step_sizes
    if maximize:
        g = -g
    eta = state.get("eta", np.full_like(theta, lr))
    prev = state.get("prev", np.zeros_like(theta))
    g = g.copy()
    for k in np.ndindex(theta.shape):
        if prev[k] * g[k] > 0:
            eta[k] = min(eta[k] * eta_plus, hi)
        elif prev[k] * g[k] < 0:
            eta[k] = max(eta[k] * eta_minus, lo)
            g[k] = 0
    state["eta"], state["prev"] = eta, g
    return theta - eta * np.sign(g)


MORE = [
    (optim.Adadelta, ref_adadelta, {}),
    (optim.Adadelta, ref_adadelta, {"lr": 0.5, "rho": 0.8, "weight_decay": 0.1}),
    (optim.Adadelta, ref_adadelta, {"eps": 1e-3, "maximize": True}),
    (optim.Adamax, ref_adamax, {}),
    (optim.Adamax, ref_adamax, {"lr": 0.1, "betas": (0.8, 0.9), "weight_decay": 0.1}),
    (optim.Adamax, ref_adamax, {"lr": 0.1, "maximize": True}),
    (optim.NAdam, ref_nadam, {}),
    (optim.NAdam, ref_nadam, {"lr": 0.1, "momentum_decay": 0.1, "weight_decay": 0.1}),
    (optim.NAdam, ref_nadam, {"lr": 0.1, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
    (optim.RAdam, ref_radam, {}),
    (optim.RAdam, ref_radam, {"lr": 0.1, "betas": (0.9, 0.9)}),  # the rectified branch from step 6
    (optim.RAdam, ref_radam, {"lr": 0.1, "betas": (0.8, 0.9), "weight_decay": 0.1}),
    (optim.RAdam, ref_radam, {"lr": 0.1, "betas": (0.9, 0.9), "weight_decay": 0.1, "decoupled_weight_decay": True}),
    (optim.Rprop, ref_rprop, {}),
    (optim.Rprop, ref_rprop, {"lr": 0.4, "etas": (0.3, 1.5), "step_sizes": (0.05, 0.6)}),  # sign flips, clamps
    (optim.Rprop, ref_rprop, {"lr": 0.4, "maximize": True}),
]


@pytest.mark.parametrize(
    "cls, reference, kwargs",
    MORE,
    ids=[f"{c.__name__}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for c, _, kw in MORE],
)
def test_more_optimizers_match_documented_algorithm(cls, reference, kwargs):
    _assert_same(_run(cls, kwargs, steps=10), _reference(reference, kwargs, steps=10))


@pytest.mark.parametrize(
    "cls, kwargs, message",
    [
        (optim.Adadelta, {"rho": 1.5}, "Invalid rho value: 1.5"),
        (optim.Adamax, {"betas": (0.9, 1.0)}, "Invalid beta parameter at index 1: 1.0"),
        (optim.NAdam, {"momentum_decay": -1}, "Invalid momentum_decay value: -1"),
        (optim.RAdam, {"eps": -1}, "Invalid epsilon value: -1"),
        (optim.Rprop, {"etas": (1.5, 1.2)}, "Invalid eta values: 1.5, 1.2"),
    ],
)
def test_more_bad_hyperparameters(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls([srcgrad.tensor([1.0], requires_grad=True)], **kwargs)


@pytest.mark.parametrize("cls", [optim.Adadelta, optim.Adamax, optim.NAdam, optim.RAdam, optim.Rprop])
def test_more_optimizers_resume_exactly(cls, tmp_path):
    test_state_dict_resumes_exactly(cls, {"lr": 0.05}, True, tmp_path)


def test_user_optimizer_written_pytorch_style():
    """The base class supports optimizers written as in PyTorch tutorials (Tensor ops under no_grad)."""

    class SignSGD(optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, dict(lr=lr))

        @srcgrad.no_grad()
        def step(self, closure=None):
            loss = None
            if closure is not None:
                with srcgrad.enable_grad():
                    loss = closure()
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    state["n"] = state.get("n", 0) + 1
                    p.sub_(np.sign(p.grad), alpha=group["lr"])
            return loss

    p = srcgrad.tensor([1.0, -2.0], requires_grad=True)
    opt = SignSGD([p], lr=0.25)
    version = p._version
    (p * p).sum().backward()
    opt.step()
    assert p.tolist() == [0.75, -1.75] and p._version > version and p.requires_grad
    assert opt.state_dict()["state"] == {0: {"n": 1}}
