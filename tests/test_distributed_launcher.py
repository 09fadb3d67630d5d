"""The launcher ``python -m srcgrad.distributed.run`` and the parts of srcgrad.distributed that need no MPI job.

A stand-in ``mpiexec`` (a small script that records its arguments and environment)
shows what the launcher passes on, so these tests run without MPI.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("mpi4py", reason="srcgrad.distributed needs mpi4py: pip install -e '.[test]'")

import srcgrad  # noqa: E402
import srcgrad.distributed as dist  # noqa: E402
from srcgrad.distributed import run  # noqa: E402


@pytest.fixture
def fake_mpiexec(tmp_path):
    """A program that writes its argv and a few environment variables to ``calls.json`` and exits 0."""
    record = tmp_path / "calls.json"
    path = tmp_path / "mpiexec"
    path.write_text(
        textwrap.dedent(f"""\
        #!{sys.executable}
        import json, os, sys
        if sys.argv[1:] == ["--version"]:
            print(os.environ.get("FAKE_VERSION", "HYDRA build details:"))
            sys.exit(0)
        env = {{k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "PYTHONUNBUFFERED")}}
        json.dump({{"argv": sys.argv[1:], "env": env}}, open({str(record)!r}, "w"))
        if os.environ.get("FAKE_SLEEP"):
            import time
            time.sleep(float(os.environ["FAKE_SLEEP"]))
        sys.exit(int(os.environ.get("FAKE_EXIT", "0")))
    """)
    )
    path.chmod(0o755)

    def calls():
        return json.loads(record.read_text())

    return str(path), calls


def test_runs_each_rank_through_the_worker_with_the_script_and_its_arguments(fake_mpiexec, monkeypatch):
    path, calls = fake_mpiexec
    for name in run._THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert run.main(["--mpiexec", path, "-n", "2", "train.py", "--lr", "0.1", "-n", "5"]) == 0
    call = calls()
    assert call["argv"] == [
        "-n",
        "2",
        sys.executable,
        "-m",
        "srcgrad.distributed.worker",
        "train.py",
        "--lr",
        "0.1",
        "-n",
        "5",
    ]
    threads = str(max(1, (os.cpu_count() or 1) // 2))
    assert call["env"] == {"OMP_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads, "PYTHONUNBUFFERED": "1"}


def test_host_options_spelled_for_mpich_and_open_mpi(fake_mpiexec, monkeypatch):
    path, calls = fake_mpiexec
    for name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # the user set only OMP_NUM_THREADS
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    args = [
        "--mpiexec",
        path,
        "-n",
        "8",
        "--hostfile",
        "hosts.txt",
        "--ppn",
        "4",
        "--mpi-arg=-prepend-rank",
        "-m",
        "pkg.train",
        "x",
    ]
    assert run.main(args) == 0
    assert calls()["argv"] == [
        "-n",
        "8",
        "-f",
        "hosts.txt",
        "-ppn",
        "4",
        "-prepend-rank",
        sys.executable,
        "-m",
        "srcgrad.distributed.worker",
        "-m",
        "pkg.train",
        "x",
    ]
    assert calls()["env"]["OMP_NUM_THREADS"] == "3" and calls()["env"]["OPENBLAS_NUM_THREADS"] is None
    monkeypatch.setenv("FAKE_VERSION", "mpiexec (Open MPI) 4.1.6")
    assert run.main(["--mpiexec", path, "-n", "4", "--hosts", "a,b", "--ppn", "2", "s.py"]) == 0
    assert calls()["argv"][:6] == ["-n", "4", "--host", "a,b", "--npernode", "2"]


def test_exit_status_and_timeout(fake_mpiexec, monkeypatch, capsys):
    path, _ = fake_mpiexec
    monkeypatch.setenv("FAKE_EXIT", "3")
    assert run.main(["--mpiexec", path, "s.py"]) == 3
    monkeypatch.setenv("FAKE_EXIT", "0")
    monkeypatch.setenv("FAKE_SLEEP", "60")
    assert run.main(["--mpiexec", path, "--timeout", "0.5", "s.py"]) == 124
    assert "did not finish in 0.5 s" in capsys.readouterr().err


def test_print_command(fake_mpiexec, capsys):
    path, _ = fake_mpiexec
    assert run.main(["--mpiexec", path, "-n", "3", "--print-command", "s.py", "a"]) == 0
    assert capsys.readouterr().out.split() == [
        path,
        "-n",
        "3",
        sys.executable,
        "-m",
        "srcgrad.distributed.worker",
        "s.py",
        "a",
    ]


def test_missing_mpiexec_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"pip install 'srcgrad\[mpi\]'"):
        run.find_mpiexec()
    assert run.main(["s.py"]) == 2
    assert "pip install 'srcgrad[mpi]'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run.main(["-n", "0", "s.py"])


def test_finds_the_mpiexec_beside_python(tmp_path, monkeypatch):
    beside = tmp_path / "mpiexec"
    beside.write_text("#!/bin/sh\n")
    beside.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    assert run.find_mpiexec() == str(beside)


# -- the process group, without MPI started ---------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        dist.get_rank,
        dist.get_world_size,
        dist.get_backend,
        dist.barrier,
        dist.destroy_process_group,
        lambda: dist.all_reduce(srcgrad.ones(2)),
        lambda: dist.broadcast(srcgrad.ones(2), 0),
        lambda: srcgrad.nn.parallel.DistributedDataParallel(srcgrad.nn.Linear(2, 2)),
    ],
)
def test_before_init_process_group_pytorchs_error(call):
    assert not dist.is_initialized()
    with pytest.raises(
        ValueError, match="Default process group has not been initialized, please make sure to call init_process_group."
    ):
        call()


def test_only_the_mpi_backend():
    with pytest.raises(ValueError, match="backend must be 'mpi'"):
        dist.init_process_group("nccl")
    assert dist.is_available() and dist.is_mpi_available() and not dist.is_nccl_available()
    assert dist.ReduceOp.SUM is not dist.ReduceOp.AVG and dist.Backend("MPI") == dist.Backend.MPI == "mpi"


def test_import_without_mpi4py_says_how_to_install_it():
    code = textwrap.dedent("""
        import sys
        sys.modules["mpi4py"] = None      # as if it were not installed
        import srcgrad.nn.parallel        # imports MPI only when a DistributedDataParallel is built
        try:
            import srcgrad.distributed
        except ImportError as error:
            print(error)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == (
        "srcgrad.distributed needs mpi4py and an MPI library; install them with "
        "pip install 'srcgrad[mpi]' (that is: pip install mpi4py mpich)"
    )
