"""``srcgrad.distributed`` and ``DistributedDataParallel`` on two real MPI ranks.

One job (``tests/distributed_worker.py`` under ``python -m srcgrad.distributed.run -n 2``)
runs every collective, every misuse and four data-parallel trainings, and writes what each
rank got; the tests here work out in one process, without MPI, what that must be: the
combined values of both ranks' inputs, PyTorch's errors, and the parameters of one process
trained on the same global batches (to 1e-10). Other jobs check that a rank that raises
stops the whole job with its error instead of leaving the others waiting.

The tests skip, saying why, when mpi4py or mpiexec is missing (``pip install -e '.[test]'``
brings both).
"""

import json
import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import srcgrad
from srcgrad import nn

pytest.importorskip("mpi4py", reason="srcgrad.distributed needs mpi4py: pip install -e '.[test]'")

import distributed_worker as worker  # noqa: E402 - after the skip: it is only useful with MPI
from srcgrad.distributed.run import find_mpiexec  # noqa: E402

TESTS = pathlib.Path(__file__).resolve().parent
ROOT = TESTS.parent
JOB_TIMEOUT = 120

try:
    MPIEXEC = find_mpiexec()
except FileNotFoundError:
    MPIEXEC = None

pytestmark = pytest.mark.skipif(
    MPIEXEC is None, reason="no mpiexec beside Python or on PATH: pip install 'srcgrad[mpi]' (mpi4py and mpich)"
)


def run_job(command, timeout):
    """Run ``command`` in its own process group; kill the group if it outlives ``timeout``."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(f"the job did not finish in {timeout} s: {command}\n{stderr[-3000:]}")
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def launch(args, timeout=JOB_TIMEOUT):
    command = [sys.executable, "-m", "srcgrad.distributed.run", "-n", "2", "--timeout", str(timeout), *args]
    return run_job(command, timeout + 30)


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    """``[(arrays, errors)]`` of rank 0 and rank 1 from one run of the worker."""
    out = tmp_path_factory.mktemp("ranks")
    proc = launch([str(TESTS / "distributed_worker.py"), str(out)])
    assert proc.returncode == 0, f"the worker job failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    result = []
    for r in range(2):
        with np.load(out / f"rank{r}.npz") as arrays:
            values = {k: arrays[k] for k in arrays.files}
        with open(out / f"rank{r}.json") as f:
            result.append((values, json.load(f)))
    return result


BASE = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]])
INPUTS = [BASE * (r + 1) + r for r in range(2)]  # what rank r passes (as in the worker)


# -- collectives ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["tensor", "ndarray"])
@pytest.mark.parametrize(
    "op, combine",
    [
        ("SUM", lambda a, b: a + b),
        ("AVG", lambda a, b: (a + b) / 2),
        ("PRODUCT", lambda a, b: a * b),
        ("MIN", np.minimum),
        ("MAX", np.maximum),
    ],
)
def test_all_reduce(ranks, kind, op, combine):
    for values, _ in ranks:
        np.testing.assert_allclose(values[f"all_reduce/{kind}/{op}"], combine(*INPUTS), rtol=1e-15)


def test_all_reduce_of_other_dtypes_and_layouts(ranks):
    ints = [np.array([r + 1, 6, 12 - r]) for r in range(2)]
    for values, _ in ranks:
        strided = np.zeros((2, 6))
        strided[:, ::2] = INPUTS[0] + INPUTS[1]
        np.testing.assert_array_equal(values["all_reduce/strided"], strided)
        np.testing.assert_array_equal(values["all_reduce/int/SUM"], ints[0] + ints[1])
        np.testing.assert_array_equal(values["all_reduce/int/MAX"], np.maximum(*ints))
        np.testing.assert_array_equal(values["all_reduce/int/BAND"], ints[0] & ints[1])
        np.testing.assert_array_equal(values["all_reduce/int/BOR"], ints[0] | ints[1])
        np.testing.assert_array_equal(values["all_reduce/int/BXOR"], ints[0] ^ ints[1])
        assert values["all_reduce/int/SUM"].dtype == np.int64
        np.testing.assert_array_equal(values["all_reduce/bool/SUM"], [True, True, False])
        np.testing.assert_array_equal(values["all_reduce/bool/MIN"], [False, True, False])
        assert values["all_reduce/float32"].dtype == np.float32
        np.testing.assert_allclose(values["all_reduce/float32"], (INPUTS[0] + INPUTS[1]).astype(np.float32))
        np.testing.assert_allclose(values["all_reduce/complex"], np.array([1 + 2j, -1j]) * 3)
        np.testing.assert_allclose(values["all_reduce/scalar"], 2.0 * 3.0)
        assert values["all_reduce/scalar"].shape == ()


def test_all_reduce_async_writes_at_wait_and_moves_the_version(ranks):
    for rank, (values, errors) in enumerate(ranks):
        np.testing.assert_allclose(values["all_reduce/async"], INPUTS[0] + INPUTS[1])
        assert values["all_reduce/version_moved"] and values["all_reduce/requires_grad_kept"]
        kind, message = errors["all_reduce/backward_after"]
        assert "modified by an inplace operation" in message


@pytest.mark.parametrize("src", [0, 1])
def test_broadcast(ranks, src):
    for values, _ in ranks:
        np.testing.assert_array_equal(values[f"broadcast/tensor/{src}"], INPUTS[src])
        np.testing.assert_array_equal(values[f"broadcast/ndarray/{src}"], INPUTS[src])


def test_all_gather(ranks):
    for values, _ in ranks:
        np.testing.assert_array_equal(values["all_gather/tensor"], np.stack(INPUTS))
        np.testing.assert_array_equal(values["all_gather/ndarray"], np.stack(INPUTS))
        np.testing.assert_array_equal(values["all_gather_into_tensor/concatenated"], np.concatenate(INPUTS))
        np.testing.assert_array_equal(values["all_gather_into_tensor/stacked"], np.stack(INPUTS))


def test_reduce_gather_scatter_send_recv(ranks):
    (zero, _), (one, _) = ranks
    np.testing.assert_array_equal(zero["reduce/MAX"], INPUTS[0])  # not the destination: unchanged
    np.testing.assert_array_equal(one["reduce/MAX"], np.maximum(*INPUTS))
    np.testing.assert_array_equal(zero["gather"], np.stack(INPUTS))
    for r, values in enumerate((zero, one)):
        np.testing.assert_array_equal(values["scatter"], BASE * 10 + r)
    np.testing.assert_array_equal(one["recv"], BASE)
    assert one["recv_source"] == 0


# -- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key, kind, fragment",
    [
        ("init_twice", "ValueError", "trying to initialize the default process group twice!"),
        ("shape_mismatch", "RuntimeError", "rank 0 has float64 (3,), rank 1 has float64 (4,)"),
        ("dtype_mismatch", "RuntimeError", "rank 0 has float64 (3,), rank 1 has float32 (3,)"),
        ("broadcast_bad_src", "RuntimeError", "broadcast: invalid root rank: 2"),
        ("reduce_bad_dst", "RuntimeError", "reduce: invalid root rank: -1"),
        ("avg_of_ints", "RuntimeError", "can't be cast to the desired output type int64"),
        ("op_not_reduceop", "TypeError", "op must be a srcgrad.distributed.ReduceOp"),
        (
            "not_a_tensor",
            "TypeError",
            "Expected parameter `tensor` of all_reduce to be a srcgrad.Tensor or a numpy.ndarray, but got list",
        ),
        ("read_only", "ValueError", "read-only array"),
        ("all_gather_length", "RuntimeError", "one tensor per rank (2), got 1"),
        (
            "all_gather_shape",
            "RuntimeError",
            "invalid tensor size at index 1 of `tensor_list` (expected (2, 3), got (3,))",
        ),
        ("all_gather_dtype", "ValueError", "different dtypes"),
        ("send_to_self", "RuntimeError", "Invalid destination rank: should not use the current rank"),
        ("ddp_models_differ", "RuntimeError", "rank 0 has 2 parameters: weight float64 (2, 3)"),
        ("ddp_no_parameters", "RuntimeError", "DistributedDataParallel is not needed"),
        ("ddp_unused_without_find", "RuntimeError", "Expected to have finished reduction in the prior iteration"),
        ("ddp_second_backward", "RuntimeError", "Expected to mark a variable ready only once"),
        (
            "ddp_param_outside_forward",
            "RuntimeError",
            "Expected to mark a variable ready only once. This error is "
            "caused by use of a module parameter outside the `forward`",
        ),
    ],
)
def test_misuse_raises_pytorchs_error_on_every_rank(ranks, key, kind, fragment):
    for _, errors in ranks:
        assert errors[key] is not None, f"{key}: no error"
        assert errors[key][0] == kind
        assert fragment in errors[key][1]


def test_misuse_of_root_only_lists(ranks):
    (_, zero), (_, one) = ranks
    assert zero["gather_list_misuse"] == [
        "ValueError",
        "Argument ``gather_list`` must be specified on destination rank.",
    ]
    assert one["gather_list_misuse"] == [
        "ValueError",
        "Argument ``gather_list`` must NOT be specified on non-destination ranks.",
    ]
    assert one["scatter_list_misuse"] == ["ValueError", "Argument ``scatter_list`` must be specified on source rank."]
    assert zero["scatter_list_misuse"][1].startswith("Argument ``scatter_list`` must NOT be specified")


def test_a_parameter_used_outside_forward_is_named(ranks):
    # find_unused_parameters=True counted b as unused, then averaged its late gradient into a bucket already
    # summed: the ranks ended with different gradients, silently. PyTorch raises; so does srcgrad.
    for _, errors in ranks:
        assert "Parameter b.weight was not reached from forward's output" in errors["ddp_param_outside_forward"][1]


def test_a_parameter_used_inside_and_outside_forward_is_averaged(ranks):
    local = []
    for r in range(2):
        model = worker.Heads(5)
        loss = model(worker.no_sync_input(r), "a").sum() + (model.trunk.weight**2).sum() * (r + 1)
        loss.backward()
        local.append(model.trunk.weight.grad.numpy())
    for values, _ in ranks:
        np.testing.assert_allclose(values["outside/trunk.weight"], (local[0] + local[1]) / 2, rtol=1e-13)
        assert values["outside/b_grad_is_none"]


def test_unused_parameters_error_names_them(ranks):
    message = ranks[0][1]["ddp_unused_without_find"][1]
    assert "b.weight" in message and "c.bias" in message and "trunk.weight" not in message


# -- DistributedDataParallel ----------------------------------------------------------------------------


def test_construction_copies_rank_0s_parameters_and_buffers(ranks):
    srcgrad.manual_seed(100)  # rank 0 built its model right after this seed
    nn.BatchNorm1d(3)
    rank0_weight = nn.Linear(3, 3).weight.detach().numpy()
    for values, _ in ranks:
        assert list(values["state/keys"]) == [
            "module.0.weight",
            "module.0.bias",
            "module.1.weight",
            "module.1.bias",
            "module.1.running_mean",
            "module.1.running_var",
            "module.1.num_batches_tracked",
        ]
        np.testing.assert_array_equal(values["state/weight"], rank0_weight)
        np.testing.assert_array_equal(values["state/running_mean_after_init"], [1.0, 2.0, 3.0])


def test_buffers_follow_rank_0_at_the_next_forward(ranks):
    (zero, _), (one, _) = ranks
    assert not np.allclose(zero["state/running_mean_after_train"], one["state/running_mean_after_train"])
    np.testing.assert_array_equal(zero["state/running_mean_after_eval"], zero["state/running_mean_after_train"])
    np.testing.assert_array_equal(one["state/running_mean_after_eval"], zero["state/running_mean_after_train"])


def _global_batches(epoch):
    """The batches of both ranks side by side: what one process sees of a data-parallel step."""
    return list(zip(worker.rank_batches(0, epoch), worker.rank_batches(1, epoch)))


def _one_process(opt_name, accumulate=1):
    model = worker.mlp(10)  # DDP copies rank 0's parameters: the seed of rank 0
    opt = worker.optimizer(opt_name, model.parameters())
    loss_fn = nn.MSELoss()
    for epoch in range(worker.EPOCHS):
        steps = _global_batches(epoch)
        for step, ((x0, y0), (x1, y1)) in enumerate(steps):
            loss_fn(model(srcgrad.cat([x0, x1])), srcgrad.cat([y0, y1])).backward()
            if (step + 1) % accumulate == 0 or step + 1 == len(steps):
                opt.step()
                opt.zero_grad()
    return {f"module.{k}": v.numpy() for k, v in model.state_dict().items()}


@pytest.mark.parametrize(
    "key, opt_name, accumulate",
    [
        ("sgd", "sgd", 1),  # one bucket, SGD with momentum
        ("buckets", "adam", 1),  # 50-byte buckets: several all-reduces started during backward
        ("accumulate", "sgd", 2),  # no_sync() for every other step
    ],
)
def test_two_ranks_train_as_one_process_on_the_global_batches(ranks, key, opt_name, accumulate):
    expected = _one_process(opt_name, accumulate)
    (zero, _), (one, _) = ranks
    start = worker.mlp(10).state_dict()
    for name, value in expected.items():
        got = zero[f"{key}/{name}"]
        np.testing.assert_array_equal(got, one[f"{key}/{name}"])  # the ranks stay identical
        np.testing.assert_allclose(got, value, rtol=0, atol=1e-10, err_msg=f"{key}: {name}")
        assert not np.allclose(got, start[name[len("module.") :]].numpy(), atol=1e-3)  # it did train
    if key == "buckets":
        # the layers after the first fill 3 of the 5 buckets, which are started before backward
        # reaches the first layer: the averaging overlaps the rest of backward
        assert zero["buckets/buckets"] == 5
        assert (zero["buckets/started_before_first_layer"] >= 3).all()
    else:
        assert zero[f"{key}/buckets"] == 1
    if key == "sgd":  # one bucket: it can start only when the last gradient is in
        assert (zero["sgd/started_before_first_layer"] == 0).all()


def test_no_sync_keeps_local_gradients_until_the_next_synced_backward(ranks):
    local = []
    for r in range(2):
        model = worker.mlp(0)
        model(worker.no_sync_input(r)).sum().backward()
        local.append(model[4].weight.grad.numpy())
    assert not np.allclose(local[0], local[1])
    for r, (values, _) in enumerate(ranks):
        np.testing.assert_allclose(values["no_sync/inside"], local[r], rtol=1e-13)
        # the synced backward averages what each rank accumulated: (2 g0 + 2 g1) / 2
        np.testing.assert_allclose(values["no_sync/after"], local[0] + local[1], rtol=1e-13)


def test_find_unused_parameters_averages_what_some_ranks_used(ranks):
    model = worker.Heads(20)
    opt = worker.optimizer("adam", model.parameters())
    loss_fn = nn.MSELoss()
    for epoch in range(worker.EPOCHS):
        for step, ((x0, y0), (x1, y1)) in enumerate(_global_batches(epoch)):
            loss = (
                loss_fn(model(x0, worker.head_for(0, step)), y0) + loss_fn(model(x1, worker.head_for(1, step)), y1)
            ) / 2
            loss.backward()
            opt.step()
            opt.zero_grad()
    (zero, _), (one, _) = ranks
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(zero[f"unused/{name}"], one[f"unused/{name}"])
        np.testing.assert_allclose(zero[f"unused/{name}"], value.numpy(), rtol=0, atol=1e-10, err_msg=name)
    assert zero["unused/c_grad_is_none"] and one["unused/c_grad_is_none"]


def test_the_example_trains_on_two_ranks():
    proc = launch([str(ROOT / "examples" / "ddp_spiral.py"), "--steps", "300", "--no-plot"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    for r in range(2):
        assert f"rank {r} of 2: 150 of 300 samples per epoch, 5 batches of 30" in proc.stdout
    accuracy = float(proc.stdout.split("training accuracy ")[1].split()[0])
    assert accuracy >= 0.95 and "on 2 processes" in proc.stdout


PYTORCH_SCRIPT = textwrap.dedent("""
    import os
    import torch
    import torch.distributed as dist
    import torch.nn as nn
    from torch.nn.parallel import DistributedDataParallel as DDP
    from torch.utils.data import DataLoader, TensorDataset
    from torch.utils.data.distributed import DistributedSampler

    dist.init_process_group(backend="mpi")
    torch.manual_seed(0)
    x = torch.randn(64, 4)
    data = TensorDataset(x, x.sum(dim=1, keepdim=True))
    sampler = DistributedSampler(data)
    loader = DataLoader(data, batch_size=8, sampler=sampler)
    model = DDP(nn.Linear(4, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    for epoch in range(3):
        sampler.set_epoch(epoch)
        for xb, yb in loader:
            opt.zero_grad()
            nn.functional.mse_loss(model(xb), yb).backward()
            opt.step()
    w = model.module.weight.detach().clone()
    gathered = [torch.zeros_like(w) for _ in range(dist.get_world_size())]
    dist.all_gather(gathered, w)
    same = all(torch.equal(g, w) for g in gathered)
    print(f"rank {dist.get_rank()} local rank {os.environ['LOCAL_RANK']} same {same}")
    dist.destroy_process_group()
""")


def test_a_pytorch_ddp_script_runs_under_srcgrad_run(tmp_path):
    script = tmp_path / "torch_ddp.py"
    script.write_text(PYTORCH_SCRIPT)
    proc = launch(["-m", "srcgrad", "run", str(script)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "rank 0 local rank 0 same True" in proc.stdout and "rank 1 local rank 1 same True" in proc.stdout


# -- failures ---------------------------------------------------------------------------------------

FAILING = textwrap.dedent("""
    import numpy as np
    import srcgrad.distributed as dist

    dist.init_process_group("mpi")
    if dist.get_rank() == 1:
        raise ValueError("rank one cannot go on")
    dist.all_reduce(np.ones(3))   # rank 0 waits here for rank 1
    print("rank 0 went past the all_reduce")
""")


def test_a_rank_that_raises_fails_the_job_with_its_error(tmp_path):
    script = tmp_path / "fails.py"
    script.write_text(FAILING)
    start = time.monotonic()
    proc = launch([str(script)], timeout=60)
    assert proc.returncode not in (0, 124), proc.stderr
    assert "rank 1 of 2 failed" in proc.stderr
    assert 'fails.py", line 7' in proc.stderr and "ValueError: rank one cannot go on" in proc.stderr
    assert "went past" not in proc.stdout
    assert time.monotonic() - start < 50


def test_without_the_launcher_an_uncaught_error_still_aborts_the_job(tmp_path):
    script = tmp_path / "fails.py"
    script.write_text(FAILING)
    proc = run_job([MPIEXEC, "-n", "2", sys.executable, str(script)], timeout=60)
    assert proc.returncode != 0
    assert "ValueError: rank one cannot go on" in proc.stderr
    assert "srcgrad.distributed: rank 1 of 2 failed with ValueError; aborting the job" in proc.stderr


def test_the_launcher_timeout_ends_a_job_that_hangs(tmp_path):
    script = tmp_path / "hangs.py"
    script.write_text(
        textwrap.dedent("""
        import time

        import numpy as np
        import srcgrad.distributed as dist

        dist.init_process_group("mpi")
        if dist.get_rank() == 0:
            dist.all_reduce(np.ones(3))   # rank 1 never joins it
        else:
            time.sleep(600)
    """)
    )
    start = time.monotonic()
    proc = launch([str(script)], timeout=3)
    assert proc.returncode == 124
    assert "did not finish in 3 s" in proc.stderr
    assert time.monotonic() - start < 30
