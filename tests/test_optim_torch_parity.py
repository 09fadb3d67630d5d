"""srcgrad.optim against PyTorch itself, where PyTorch is installed (skipped otherwise).

The same parameters and the same gradient sequence go through both libraries
in float64 (PyTorch's default dtype set to float64, srcgrad's default); after several steps the parameters, the state and the learning
rates must agree to rounding.
"""

import math

import numpy as np
import pytest

import srcgrad
from srcgrad import optim

torch = pytest.importorskip("torch")

STEPS = 8


@pytest.fixture(autouse=True)
def _torch_float64():
    """Compare with PyTorch using srcgrad's default dtype: its scalar state (``step``, NAdam's
    ``mu_product``) then is float64 too, instead of float32 with its rounding."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def _grads(shape, steps, seed):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape) for _ in range(steps)]


OPTIMIZERS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.2, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "maximize": True}),
    ("Adam", {"lr": 0.05}),
    ("Adam", {"lr": 0.05, "betas": (0.3, 0.8), "weight_decay": 0.1, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "maximize": True, "eps": 1e-3}),
    ("AdamW", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.2, "amsgrad": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.3, "maximize": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "initial_accumulator_value": 0.3, "weight_decay": 0.1}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.7, "weight_decay": 0.1}),
    ("Adamax", {"lr": 0.05, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.05}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True, "momentum_decay": 0.1}),
    ("RAdam", {"lr": 0.05, "betas": (0.9, 0.9)}),
    ("RAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("Rprop", {"lr": 0.1}),
    ("Rprop", {"lr": 0.3, "etas": (0.3, 1.7), "step_sizes": (0.01, 0.5), "maximize": True}),
]


@pytest.mark.parametrize(
    "name, kwargs",
    OPTIMIZERS,
    ids=[f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for n, kw in OPTIMIZERS],
)
def test_optimizer_matches_pytorch(name, kwargs):
    rng = np.random.default_rng(0)
    inits = [rng.normal(size=(3, 4)), rng.normal(size=5)]
    grads = [_grads(x.shape, STEPS, i + 1) for i, x in enumerate(inits)]
    ours = [srcgrad.tensor(x, requires_grad=True) for x in inits]
    theirs = [torch.tensor(x, requires_grad=True) for x in inits]
    opt = getattr(optim, name)(ours, **kwargs)
    ref = getattr(torch.optim, name)(theirs, **kwargs)
    for step in range(STEPS):
        for p, q, g in zip(ours, theirs, grads):
            p.grad = srcgrad.tensor(g[step])
            q.grad = torch.tensor(g[step])
        opt.step()
        ref.step()
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(
                p.detach().numpy(), q.detach().numpy(), rtol=1e-12, atol=1e-14, err_msg=f"{name} step {step + 1}"
            )
    for p, q in zip(ours, theirs):
        mine, want = opt.state[p], ref.state[q]
        assert set(mine) == set(want)
        for key in want:
            if torch.is_tensor(want[key]):
                np.testing.assert_allclose(np.asarray(mine[key]._value), want[key].numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_matches_pytorch(line_search_fn):
    def rosenbrock(x):
        return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2

    def run(lib, module):
        x = lib.tensor([-1.5, 2.0], requires_grad=True, dtype=lib.float64)
        opt = module.LBFGS(
            [x], lr=0.5 if line_search_fn is None else 1, max_iter=15, history_size=5, line_search_fn=line_search_fn
        )

        def closure():
            opt.zero_grad()
            loss = rosenbrock(x)
            loss.backward()
            return loss

        path = []
        for _ in range(3):
            opt.step(closure)
            path.append(x.detach().numpy().copy())
        return np.array(path), opt.state[x]["func_evals"], opt.state[x]["n_iter"]

    ours, theirs = run(srcgrad, optim), run(torch, torch.optim)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-9)
    assert ours[1:] == theirs[1:]


def _lrs(lib_optim, make, steps, metric=None):
    p = (srcgrad if lib_optim is optim else torch).tensor([1.0], requires_grad=True)
    opt = lib_optim.SGD([{"params": [p], "lr": 0.1}], lr=0.1, momentum=0.9)
    s = make(lib_optim.lr_scheduler, opt)
    out = []
    for i in range(steps):
        out.append([g["lr"] for g in opt.param_groups] + [g["momentum"] for g in opt.param_groups])
        opt.step()
        s.step(metric(i)) if metric else s.step()
    return np.array(out, dtype=float)


SCHEDULERS = {
    "StepLR": lambda m, o: m.StepLR(o, 3, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, [2, 5, 5], gamma=0.3),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, 0.9),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=4, eta_min=0.01),
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda e: 1 / (1 + e)),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.95),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.2, total_iters=4),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=3),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=6, power=2.0),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001),
    "CyclicLR": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=3, step_size_down=5, mode="triangular2"),
    "CyclicLR-exp": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=2, mode="exp_range", gamma=0.9),
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=20),
    "OneCycleLR-3": lambda m, o: m.OneCycleLR(
        o, max_lr=1.0, total_steps=20, three_phase=True, anneal_strategy="linear", pct_start=0.25
    ),
    "SequentialLR": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, 0.1, total_iters=3), m.CosineAnnealingLR(o, T_max=6)], milestones=[3]
    ),
    "ChainedScheduler": lambda m, o: m.ChainedScheduler([m.ExponentialLR(o, 0.9), m.StepLR(o, 2, 0.5)]),
}


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_scheduler_matches_pytorch(name):
    steps = 20
    np.testing.assert_allclose(
        _lrs(optim, SCHEDULERS[name], steps), _lrs(torch.optim, SCHEDULERS[name], steps), rtol=1e-12, atol=1e-15
    )


def test_reduce_on_plateau_matches_pytorch():
    metrics = [5, 4, 4.1, 4.0, 3.99, 4, 4, 2, 2, 2, 2, 2, 2, 2, 2]

    def make(m, o):
        return m.ReduceLROnPlateau(o, factor=0.5, patience=1, threshold=0.01, cooldown=1, min_lr=0.01)

    np.testing.assert_allclose(
        _lrs(optim, make, len(metrics), metrics.__getitem__),
        _lrs(torch.optim, make, len(metrics), metrics.__getitem__),
        rtol=1e-14,
    )


def test_optimizer_state_dict_structure_matches_pytorch():
    def sd(lib, module):
        a = lib.tensor([1.0, 2.0], requires_grad=True, dtype=lib.float64)
        b = lib.tensor([3.0], requires_grad=True, dtype=lib.float64)
        opt = module.Adam([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
        (a.sum() + (b * b).sum()).backward()
        opt.step()
        return opt.state_dict()

    ours, theirs = sd(srcgrad, optim), sd(torch, torch.optim)
    assert list(ours["state"]) == list(theirs["state"])
    for i in theirs["state"]:
        assert set(ours["state"][i]) == set(theirs["state"][i])
    for g, h in zip(ours["param_groups"], theirs["param_groups"]):
        assert g["params"] == h["params"]
        for key in ("lr", "betas", "eps", "weight_decay", "amsgrad", "maximize"):
            assert g[key] == h[key]
    assert math.isclose(float(ours["state"][0]["step"]), float(theirs["state"][0]["step"]))


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("SGD", {"lr": 0.1, "momentum": 0.9}),
        ("Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1}),
        ("AdamW", {"lr": 0.05}),
        ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
        ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.2}),
        ("Adadelta", {"lr": 0.5}),
        ("Adamax", {"lr": 0.05}),
        ("NAdam", {"lr": 0.05}),
        ("RAdam", {"lr": 0.05, "betas": (0.9, 0.9)}),
        ("Rprop", {"lr": 0.1}),
    ],
)
def test_complex_parameters_match_pytorch(name, kwargs):
    rng = np.random.default_rng(5)
    z0 = rng.normal(size=4) + 1j * rng.normal(size=4)
    grads = [rng.normal(size=4) + 1j * rng.normal(size=4) for _ in range(STEPS)]
    ours, theirs = srcgrad.tensor(z0, requires_grad=True), torch.tensor(z0, requires_grad=True)
    opt, ref = getattr(optim, name)([ours], **kwargs), getattr(torch.optim, name)([theirs], **kwargs)
    for g in grads:
        ours.grad, theirs.grad = srcgrad.tensor(g), torch.tensor(g)
        opt.step()
        ref.step()
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)


def test_random_split_lengths_match_pytorch():
    from srcgrad.data import random_split

    for n, fractions in [(10, [0.33, 0.33, 0.34]), (11, [0.5, 0.5]), (7, [0.1, 0.2, 0.7]), (100, [0.8, 0.1, 0.1])]:
        ours = [len(s) for s in random_split(list(range(n)), fractions, generator=0)]
        theirs = [len(s) for s in torch.utils.data.random_split(list(range(n)), fractions)]
        assert ours == theirs


def test_default_collate_structure_matches_pytorch():
    from collections import namedtuple

    from srcgrad.data import default_collate

    Point = namedtuple("Point", "x y")
    samples = [{"a": np.ones(2) * i, "b": i, "c": 0.5 * i, "d": f"s{i}", "e": Point(i, [i, 2.0 * i])} for i in range(3)]
    ours = default_collate(samples)
    theirs = torch.utils.data.default_collate(samples)
    assert list(ours) == list(theirs) and ours["d"] == theirs["d"]
    for key in "abc":
        np.testing.assert_array_equal(ours[key].numpy(), theirs[key].numpy())
        assert ours[key].dtype == np.dtype(str(theirs[key].dtype).replace("torch.", ""))
    assert type(ours["e"]) is type(theirs["e"]) is Point
    np.testing.assert_array_equal(ours["e"].y[1].numpy(), theirs["e"].y[1].numpy())


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_complex_parameters_match_pytorch(line_search_fn):
    """The closure sets the gradient by hand (PyTorch's convention for f = Σ|z - c|⁴: 4|z - c|²(z - c))."""
    c = np.array([1.0 - 2.0j, 0.5 + 0.25j, -1.0 + 0.0j])
    z0 = np.array([0.0 + 0.0j, 1.0 + 1.0j, 2.0 - 1.0j])

    def run(lib, module):
        z = lib.tensor(z0, requires_grad=True)
        opt = module.LBFGS([z], lr=0.3 if line_search_fn is None else 1, max_iter=6, line_search_fn=line_search_fn)

        def closure():
            d = z.detach().numpy() - c
            z.grad = lib.tensor(4 * np.abs(d) ** 2 * d)
            return lib.tensor(float(np.sum(np.abs(d) ** 4)))

        for _ in range(2):
            opt.step(closure)
        return z.detach().numpy()

    np.testing.assert_allclose(run(srcgrad, optim), run(torch, torch.optim), rtol=1e-10)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
        ("Adam", {"lr": 0.05}),
        ("RMSprop", {"lr": 0.01, "centered": True}),
        ("Adagrad", {"lr": 0.1}),
    ],
)
def test_float32_parameters_match_pytorch(name, kwargs):
    rng = np.random.default_rng(2)
    x0 = rng.normal(size=6).astype(np.float32)
    grads = [rng.normal(size=6).astype(np.float32) for _ in range(STEPS)]
    ours, theirs = srcgrad.tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    opt, ref = getattr(optim, name)([ours], **kwargs), getattr(torch.optim, name)([theirs], **kwargs)
    for g in grads:
        ours.grad, theirs.grad = srcgrad.tensor(g), torch.tensor(g)
        opt.step()
        ref.step()
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=2e-6, atol=1e-7)


def test_one_cycle_cycles_adam_betas_like_pytorch():
    def run(lib, module):
        p = lib.tensor([1.0], requires_grad=True)
        opt = module.Adam([p], lr=0.1, betas=(0.9, 0.99))
        s = module.lr_scheduler.OneCycleLR(opt, max_lr=0.5, epochs=3, steps_per_epoch=4)
        out = []
        for _ in range(12):
            out.append((opt.param_groups[0]["lr"], *opt.param_groups[0]["betas"]))
            opt.step()
            s.step()
        return np.array(out)

    np.testing.assert_allclose(run(srcgrad, optim), run(torch, torch.optim), rtol=1e-13)
