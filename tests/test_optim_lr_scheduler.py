"""Learning-rate schedulers: the lr sequence against closed-form formulas written out here."""

import math
from bisect import bisect_right

import numpy as np
import pytest

import srcgrad
from srcgrad import optim
from srcgrad.optim import lr_scheduler as sched


def _optimizer(cls=optim.SGD, lrs=(0.1,), **kwargs):
    groups = [{"params": [srcgrad.tensor([1.0], requires_grad=True)], "lr": lr} for lr in lrs]
    return cls(groups, **kwargs)


def _sequence(scheduler, epochs):
    """The lr of each group at epochs 0, 1, ..., epochs - 1 (stepping after each epoch)."""
    out = []
    for _ in range(epochs):
        out.append([g["lr"] for g in scheduler.optimizer.param_groups])
        assert scheduler.get_last_lr() == out[-1]
        scheduler.optimizer.step()
        scheduler.step()
    return np.array(out)


def _closed(formula, base_lrs, epochs):
    return np.array([[formula(base, e) for base in base_lrs] for e in range(epochs)])


BASES = (0.1, 0.03)


def test_step_lr():
    s = sched.StepLR(_optimizer(lrs=BASES), step_size=3, gamma=0.5)
    want = _closed(lambda b, e: b * 0.5 ** (e // 3), BASES, 12)
    np.testing.assert_allclose(_sequence(s, 12), want, rtol=1e-14)


def test_multi_step_lr_with_repeated_milestone():
    milestones = [2, 5, 5, 9]
    s = sched.MultiStepLR(_optimizer(lrs=BASES), milestones=milestones, gamma=0.1)
    want = _closed(lambda b, e: b * 0.1 ** bisect_right(milestones, e), BASES, 12)
    np.testing.assert_allclose(_sequence(s, 12), want, rtol=1e-12)


def test_exponential_lr():
    s = sched.ExponentialLR(_optimizer(lrs=BASES), gamma=0.9)
    np.testing.assert_allclose(_sequence(s, 10), _closed(lambda b, e: b * 0.9**e, BASES, 10), rtol=1e-13)


@pytest.mark.parametrize("eta_min", [0.0, 0.01])
def test_cosine_annealing_recursive_form_equals_closed_form(eta_min):
    T_max = 7
    s = sched.CosineAnnealingLR(_optimizer(lrs=BASES), T_max=T_max, eta_min=eta_min)
    want = _closed(lambda b, e: eta_min + (b - eta_min) * (1 + math.cos(math.pi * e / T_max)) / 2, BASES, 3 * T_max + 2)
    np.testing.assert_allclose(_sequence(s, 3 * T_max + 2), want, rtol=1e-9, atol=1e-15)


def test_lambda_lr_per_group():
    fns = [lambda e: 0.95**e, lambda e: 1.0 / (e + 1)]
    s = sched.LambdaLR(_optimizer(lrs=BASES), lr_lambda=fns)
    want = np.array([[BASES[0] * 0.95**e, BASES[1] / (e + 1)] for e in range(8)])
    np.testing.assert_allclose(_sequence(s, 8), want, rtol=1e-14)


def test_multiplicative_linear_constant():
    s = sched.MultiplicativeLR(_optimizer(lrs=BASES), lr_lambda=lambda e: 0.9)
    np.testing.assert_allclose(_sequence(s, 6), _closed(lambda b, e: b * 0.9**e, BASES, 6), rtol=1e-13)
    s = sched.LinearLR(_optimizer(lrs=BASES), start_factor=0.25, end_factor=1.0, total_iters=4)
    want = _closed(lambda b, e: b * (0.25 + 0.75 * min(e, 4) / 4), BASES, 8)
    np.testing.assert_allclose(_sequence(s, 8), want, rtol=1e-13)
    s = sched.ConstantLR(_optimizer(lrs=BASES), factor=0.5, total_iters=3)
    want = _closed(lambda b, e: b * (0.5 if e < 3 else 1.0), BASES, 6)
    np.testing.assert_allclose(_sequence(s, 6), want, rtol=1e-13)


def test_schedulers_compose_multiplicatively():
    opt = _optimizer(lrs=BASES)
    a = sched.StepLR(opt, step_size=2, gamma=0.5)
    b = sched.ExponentialLR(opt, gamma=0.9)
    got = []
    for _ in range(7):
        got.append([g["lr"] for g in opt.param_groups])
        opt.step()
        a.step()
        b.step()
    want = _closed(lambda base, e: base * 0.5 ** (e // 2) * 0.9**e, BASES, 7)
    np.testing.assert_allclose(got, want, rtol=1e-13)


# -- OneCycleLR, from the documented phases ------------------------------------------------------------


def _one_cycle(
    step, total, max_lr, pct_start, div_factor, final_div_factor, anneal, three_phase, base_m=0.85, max_m=0.95
):
    """(lr, momentum) at ``step``, from the phase table of PyTorch's documentation."""
    initial = max_lr / div_factor
    minimum = initial / final_div_factor
    if anneal == "cos":

        def f(start, end, pct):
            return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)
    else:

        def f(start, end, pct):
            return start + (end - start) * pct

    up_end = pct_start * total - 1
    if three_phase:
        phases = [
            (0, up_end, initial, max_lr, max_m, base_m),
            (up_end, 2 * pct_start * total - 2, max_lr, initial, base_m, max_m),
            (2 * pct_start * total - 2, total - 1, initial, minimum, max_m, max_m),
        ]
    else:
        phases = [(0, up_end, initial, max_lr, max_m, base_m), (up_end, total - 1, max_lr, minimum, base_m, max_m)]
    for i, (a, b, lr0, lr1, m0, m1) in enumerate(phases):
        if step <= b or i == len(phases) - 1:
            pct = (step - a) / (b - a)
            return f(lr0, lr1, pct), f(m0, m1, pct)


@pytest.mark.parametrize("anneal", ["cos", "linear"])
@pytest.mark.parametrize("three_phase", [False, True])
def test_one_cycle_lr_and_momentum(anneal, three_phase):
    total, max_lr = 20, 0.5
    opt = _optimizer(momentum=0.9)
    s = sched.OneCycleLR(
        opt,
        max_lr=max_lr,
        total_steps=total,
        pct_start=0.25,
        anneal_strategy=anneal,
        div_factor=10.0,
        final_div_factor=100.0,
        three_phase=three_phase,
    )
    for step in range(total):
        want_lr, want_m = _one_cycle(step, total, max_lr, 0.25, 10.0, 100.0, anneal, three_phase)
        assert opt.param_groups[0]["lr"] == pytest.approx(want_lr, rel=1e-12)
        assert opt.param_groups[0]["momentum"] == pytest.approx(want_m, rel=1e-12)
        opt.step()
        if step < total - 1:
            s.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(max_lr / 10.0 / 100.0, rel=1e-12)
    s.step()  # step == total is allowed (PyTorch raises only past it)
    with pytest.raises(ValueError, match="Tried to step 21 times"):
        s.step()


def test_one_cycle_cycles_adam_beta1_and_epochs_argument():
    opt = _optimizer(optim.Adam, betas=(0.9, 0.99))
    s = sched.OneCycleLR(opt, max_lr=[0.01], epochs=2, steps_per_epoch=5, base_momentum=0.8, max_momentum=0.9)
    assert s.total_steps == 10
    for step in range(10):
        lr, m = _one_cycle(step, 10, 0.01, 0.3, 25.0, 1e4, "cos", False, base_m=0.8, max_m=0.9)
        assert opt.param_groups[0]["lr"] == pytest.approx(lr, rel=1e-12)
        assert opt.param_groups[0]["betas"][0] == pytest.approx(m, rel=1e-12)
        assert opt.param_groups[0]["betas"][1] == 0.99
        s.step()


def test_one_cycle_errors():
    with pytest.raises(ValueError, match="total_steps OR"):
        sched.OneCycleLR(_optimizer(momentum=0.9), max_lr=0.1)
    with pytest.raises(ValueError, match="positive integer total_steps"):
        sched.OneCycleLR(_optimizer(momentum=0.9), max_lr=0.1, total_steps=0)
    with pytest.raises(ValueError, match="pct_start"):
        sched.OneCycleLR(_optimizer(momentum=0.9), max_lr=0.1, total_steps=10, pct_start=1.5)
    with pytest.raises(ValueError, match="anneal_strategy"):
        sched.OneCycleLR(_optimizer(momentum=0.9), max_lr=0.1, total_steps=10, anneal_strategy="step")
    with pytest.raises(ValueError, match="momentum or beta1"):
        sched.OneCycleLR(_optimizer(optim.Adagrad), max_lr=0.1, total_steps=10)


# -- ReduceLROnPlateau ------------------------------------------------------------------------------


def test_reduce_on_plateau_patience_threshold_cooldown():
    opt = _optimizer(lrs=(1.0,))
    s = sched.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=2, threshold=0.1, cooldown=1)
    metrics = [10, 9.5, 9.2, 9.1, 9.0, 8.0, 8, 8, 8, 8, 8, 8, 8]
    # worked by hand: better means m < best * 0.9; a reduction after 3 bad epochs, then 1 epoch of cooldown
    want = [1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.125]
    got = []
    for m in metrics:
        s.step(m)
        got.append(opt.param_groups[0]["lr"])
    assert got == want
    assert s.get_last_lr() == [0.125] and s.last_epoch == len(metrics)


def test_reduce_on_plateau_min_lr_max_mode_abs():
    opt = _optimizer(lrs=(1.0, 0.5))
    s = sched.ReduceLROnPlateau(
        opt, mode="max", factor=0.1, patience=0, threshold=0.5, threshold_mode="abs", min_lr=[0.05, 0.0]
    )
    got = []
    for m in [1.0, 1.4, 2.0, 2.1, 2.2]:
        s.step(srcgrad.tensor(m))
        got.append([g["lr"] for g in opt.param_groups])
    # 1.0 better (vs -inf); 1.4 not (< 1.5): reduce; 2.0 better; 2.1, 2.2 not: reduce twice (0.05 floor)
    want = [[1.0, 0.5], [0.1, 0.05], [0.1, 0.05], [0.05, 0.005], [0.05, 0.0005]]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_reduce_on_plateau_errors():
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        sched.ReduceLROnPlateau(_optimizer(), factor=1.0)
    with pytest.raises(ValueError, match="mode middle is unknown!"):
        sched.ReduceLROnPlateau(_optimizer(), mode="middle")
    with pytest.raises(ValueError, match="threshold mode both is unknown!"):
        sched.ReduceLROnPlateau(_optimizer(), threshold_mode="both")
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 1"):
        sched.ReduceLROnPlateau(_optimizer(lrs=(0.1, 0.2)), min_lr=[0.1])


# -- state -----------------------------------------------------------------------------------------------


def test_base_class_bookkeeping():
    opt = _optimizer(lrs=BASES)
    s = sched.StepLR(opt, step_size=1, gamma=0.5)
    assert s.last_epoch == 0 and s.base_lrs == list(BASES) and s.get_last_lr() == list(BASES)
    assert [g["initial_lr"] for g in opt.param_groups] == list(BASES)
    with pytest.raises(KeyError, match="initial_lr"):
        sched.StepLR(_optimizer(), step_size=1, last_epoch=3)
    with pytest.raises(TypeError, match="not an Optimizer"):
        sched.StepLR(object(), step_size=1)


def _resume(make, tmp_path, total=12, split=5):
    """The lr sequence uninterrupted, and with optimizer + scheduler saved and reloaded at ``split``."""

    def run(interrupt):
        opt, s = make()
        lrs = []
        for i in range(total):
            if interrupt and i == split:
                srcgrad.save({"opt": opt.state_dict(), "sched": s.state_dict()}, tmp_path / "s.npz")
                saved = srcgrad.load(tmp_path / "s.npz")
                opt, s = make()
                opt.load_state_dict(saved["opt"])
                s.load_state_dict(saved["sched"])
            lrs.append([g["lr"] for g in opt.param_groups])
            opt.step()
            s.step()
        return lrs

    return run(False), run(True)


@pytest.mark.parametrize("name", ["step", "multistep", "cosine", "lambda", "onecycle"])
def test_scheduler_state_dict_resumes(name, tmp_path):
    def make():
        opt = _optimizer(lrs=BASES, momentum=0.9)
        if name == "step":
            return opt, sched.StepLR(opt, 3, gamma=0.5)
        if name == "multistep":
            return opt, sched.MultiStepLR(opt, [2, 6, 6], gamma=0.5)
        if name == "cosine":
            return opt, sched.CosineAnnealingLR(opt, T_max=4, eta_min=0.001)
        if name == "lambda":
            return opt, sched.LambdaLR(opt, lambda e: 0.9**e)
        return opt, sched.OneCycleLR(opt, max_lr=[1.0, 0.5], total_steps=13, three_phase=True)

    a, b = _resume(make, tmp_path)
    assert a == b


def test_plateau_state_dict_resumes(tmp_path):
    opt = _optimizer(lrs=(1.0,))
    s = sched.ReduceLROnPlateau(opt, patience=1)
    for m in [3, 2, 2]:
        s.step(m)
    srcgrad.save(s.state_dict(), tmp_path / "p.npz")
    fresh = sched.ReduceLROnPlateau(opt, patience=5)
    fresh.load_state_dict(srcgrad.load(tmp_path / "p.npz"))
    assert fresh.best == 2 and fresh.num_bad_epochs == 1 and fresh.patience == 1
    fresh.step(2)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1)


# -- more schedulers ---------------------------------------------------------------------------------


def test_polynomial_lr():
    s = sched.PolynomialLR(_optimizer(lrs=BASES), total_iters=6, power=2.0)
    want = _closed(lambda b, e: b * (1 - min(e, 6) / 6) ** 2, BASES, 9)
    np.testing.assert_allclose(_sequence(s, 9), want, rtol=1e-12, atol=1e-15)


def _sgdr(e, T_0, T_mult, base, eta_min):
    """SGDR by counting: find the period holding epoch ``e`` and the epochs since its start."""
    start, length = 0, T_0
    while e >= start + length:
        start, length = start + length, length * T_mult
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * (e - start) / length)) / 2


@pytest.mark.parametrize("T_mult", [1, 2])
def test_cosine_annealing_warm_restarts(T_mult):
    s = sched.CosineAnnealingWarmRestarts(_optimizer(lrs=BASES), T_0=3, T_mult=T_mult, eta_min=0.001)
    want = _closed(lambda b, e: _sgdr(e, 3, T_mult, b, 0.001), BASES, 25)
    np.testing.assert_allclose(_sequence(s, 25), want, rtol=1e-12)


def test_cosine_annealing_warm_restarts_fractional_epochs():
    opt = _optimizer(lrs=(0.1,))
    s = sched.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=0.0)
    for epoch in np.arange(0, 10, 0.25):
        s.step(float(epoch))
        # within the period that holds `epoch`, the position is fractional
        start, length = 0, 2
        while epoch >= start + length:
            start, length = start + length, length * 2
        want = 0.1 * (1 + math.cos(math.pi * (epoch - start) / length)) / 2
        assert opt.param_groups[0]["lr"] == pytest.approx(want, rel=1e-12, abs=1e-15)
    with pytest.raises(ValueError, match="non-negative epoch"):
        s.step(-1)
    with pytest.raises(ValueError, match="positive integer T_0"):
        sched.CosineAnnealingWarmRestarts(opt, T_0=0)


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_cyclic_lr_against_the_paper_formula(mode):
    base_lr, max_lr, step, gamma = 0.01, 0.1, 4, 0.97
    opt = _optimizer(lrs=(0.5,), momentum=0.9)
    s = sched.CyclicLR(opt, base_lr=base_lr, max_lr=max_lr, step_size_up=step, mode=mode, gamma=gamma)
    for it in range(30):
        # Smith (2017): cycle = floor(1 + it / (2 step)), x = |it / step - 2 cycle + 1|
        cycle = math.floor(1 + it / (2 * step))
        x = abs(it / step - 2 * cycle + 1)
        scale = {"triangular": 1.0, "triangular2": 1 / 2 ** (cycle - 1), "exp_range": gamma**it}[mode]
        height = max(0.0, 1 - x) * scale
        assert opt.param_groups[0]["lr"] == pytest.approx(base_lr + (max_lr - base_lr) * height, rel=1e-12)
        assert opt.param_groups[0]["momentum"] == pytest.approx(0.9 - 0.1 * height, rel=1e-12)
        opt.step()
        s.step()


def test_cyclic_lr_asymmetric_and_custom_scale():
    opt = _optimizer(optim.Adam, lrs=(0.5,))
    s = sched.CyclicLR(
        opt, base_lr=0.0, max_lr=1.0, step_size_up=2, step_size_down=6, scale_fn=lambda c: 0.5, scale_mode="cycle"
    )
    got = [opt.param_groups[0]["lr"]]
    for _ in range(9):
        s.step()
        got.append(opt.param_groups[0]["lr"])
    # up in 2 steps, down in 6, all heights halved
    want = [0.0, 0.25, 0.5, 5 / 12, 4 / 12, 3 / 12, 2 / 12, 1 / 12, 0.0, 0.25]
    np.testing.assert_allclose(got, want, atol=1e-14)
    assert opt.param_groups[0]["betas"][0] == pytest.approx(0.9 - 0.1 * 0.25)  # height 0.25 at the last step
    with pytest.raises(ValueError, match="mode is invalid"):
        sched.CyclicLR(_optimizer(momentum=0.9), 0.1, 1.0, mode="square")


def test_sequential_lr_warmup_then_cosine():
    opt = _optimizer(lrs=BASES)
    warmup = sched.LinearLR(opt, start_factor=0.1, total_iters=3)
    cosine = sched.CosineAnnealingLR(opt, T_max=5, eta_min=0.0)
    s = sched.SequentialLR(opt, [warmup, cosine], milestones=[3])

    def formula(b, e):
        if e < 3:
            return b * (0.1 + 0.9 * e / 3)
        return b * (1 + math.cos(math.pi * (e - 3) / 5)) / 2

    np.testing.assert_allclose(_sequence(s, 9), _closed(formula, BASES, 9), rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="one more than the number of milestone"):
        sched.SequentialLR(opt, [warmup, cosine], milestones=[3, 5])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        sched.SequentialLR(opt, [warmup, sched.ReduceLROnPlateau(opt)], milestones=[3])


def test_chained_scheduler():
    opt = _optimizer(lrs=BASES)
    s = sched.ChainedScheduler([sched.ExponentialLR(opt, gamma=0.9), sched.StepLR(opt, step_size=2, gamma=0.5)])
    want = _closed(lambda b, e: b * 0.9**e * 0.5 ** (e // 2), BASES, 7)
    np.testing.assert_allclose(_sequence(s, 7), want, rtol=1e-13)


@pytest.mark.parametrize("name", ["poly", "sgdr", "cyclic", "sequential", "chained"])
def test_more_schedulers_resume(name, tmp_path):
    def make():
        opt = _optimizer(lrs=BASES, momentum=0.9)
        if name == "poly":
            return opt, sched.PolynomialLR(opt, total_iters=8, power=1.5)
        if name == "sgdr":
            return opt, sched.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
        if name == "cyclic":
            return opt, sched.CyclicLR(opt, 0.01, 0.1, step_size_up=3, mode="triangular2")
        if name == "sequential":
            return opt, sched.SequentialLR(
                opt, [sched.LinearLR(opt, 0.2, total_iters=4), sched.ExponentialLR(opt, 0.8)], milestones=[4]
            )
        return opt, sched.ChainedScheduler([sched.ExponentialLR(opt, 0.9), sched.StepLR(opt, 3)])

    a, b = _resume(make, tmp_path)
    np.testing.assert_allclose(a, b, rtol=0, atol=0)
