"""The launcher: ``python -m srcgrad.distributed.run -n N script.py [ARGS...]``.

It runs the environment's ``mpiexec`` (the one beside this Python, as
``pip install mpich`` puts it, else the first on ``PATH``) with N ranks, each
running ``script.py`` through ``srcgrad.distributed.worker`` (which sets
``RANK``/``WORLD_SIZE``/``LOCAL_RANK`` and aborts the job when a rank fails).
Host options (``--hosts``, ``--hostfile``, ``--ppn``) and any other
``--mpi-arg`` go to ``mpiexec``, spelled for MPICH's or Open MPI's. The exit
status is ``mpiexec``'s (124 after ``--timeout``).

Examples::

    python -m srcgrad.distributed.run -n 2 examples/ddp_spiral.py --epochs 20
    python -m srcgrad.distributed.run -n 8 --hostfile hosts.txt --ppn 4 train.py
    python -m srcgrad.distributed.run -n 2 -m mypackage.train --lr 0.1
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys

__all__ = ["main", "find_mpiexec", "build_command"]

_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m srcgrad.distributed.run",
        description="Run a training script on N processes with MPI (srcgrad.distributed).",
    )
    parser.add_argument("-n", "--nproc", type=int, default=1, help="how many processes (ranks) in all (default 1)")
    parser.add_argument("--hosts", help="comma-separated host names to run on (MPICH -hosts, Open MPI --host)")
    parser.add_argument("-f", "--hostfile", help="a file of host names, one a line (MPI's host file)")
    parser.add_argument("--ppn", type=int, help="processes per host")
    parser.add_argument("--mpiexec", help="the mpiexec to run (default: beside this Python, else on PATH)")
    parser.add_argument(
        "--mpi-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="an extra argument for mpiexec, passed as is (repeat it for several)",
    )
    parser.add_argument("--timeout", type=float, help="kill the job after this many seconds (exit status 124)")
    parser.add_argument("--print-command", action="store_true", help="print the mpiexec command and exit")
    parser.add_argument("-m", "--module", action="store_true", help="TARGET is a module to run, as python -m")
    parser.add_argument("target", metavar="TARGET", help="the script (or module, with -m) each rank runs")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script")
    return parser


def find_mpiexec(explicit=None):
    """The ``mpiexec`` to run.

    Args:
        explicit: a path or command given by the user, used as is.

    Returns:
        The path: ``explicit``, else ``mpiexec`` beside ``sys.executable`` (a venv's
        ``bin/``, where the mpich wheel puts it), else the first on ``PATH``.

    Raises:
        FileNotFoundError: none was found (the message says how to install one).
    """
    if explicit:
        found = shutil.which(explicit)
        if found is None:
            raise FileNotFoundError(f"--mpiexec {explicit}: no such program")
        return found
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.path.isfile(beside) and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("mpiexec")
    if found is None:
        raise FileNotFoundError(
            f"no mpiexec beside {sys.executable} or on PATH; install MPI into this environment with "
            f"pip install 'srcgrad[mpi]' (mpi4py and mpich), or pass --mpiexec PATH"
        )
    return found


def _flavour(mpiexec):
    """``"openmpi"`` or ``"mpich"`` (the spelling of host options), from ``mpiexec --version``."""
    try:
        text = subprocess.run([mpiexec, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return "mpich"
    return "openmpi" if "open mpi" in text.lower() or "openrte" in text.lower() else "mpich"


def build_command(options, mpiexec, flavour="mpich"):
    """The ``mpiexec`` command line for parsed ``options``.

    Args:
        options: the parsed arguments.
        mpiexec: the path of ``mpiexec``.
        flavour: ``"mpich"`` or ``"openmpi"``.

    Returns:
        The command as a list of strings.
    """
    command = [mpiexec, "-n", str(options.nproc)]
    if flavour == "openmpi":
        spelled = {"hosts": "--host", "hostfile": "--hostfile", "ppn": "--npernode"}
    else:
        spelled = {"hosts": "-hosts", "hostfile": "-f", "ppn": "-ppn"}
    for name, flag in spelled.items():
        value = getattr(options, name)
        if value is not None:
            command += [flag, str(value)]
    command += options.mpi_arg
    command += [sys.executable, "-m", "srcgrad.distributed.worker"]
    if options.module:
        command.append("-m")
    command.append(options.target)
    command += options.args
    return command


def _environment(options):
    """This environment, plus unbuffered output and one BLAS thread per core for each rank, unless set."""
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    if not any(name in env for name in _THREAD_VARIABLES):
        per_host = options.ppn or (options.nproc if not (options.hosts or options.hostfile) else 1)
        threads = str(max(1, (os.cpu_count() or 1) // max(1, per_host)))
        for name in _THREAD_VARIABLES:
            env[name] = threads
    return env


def _run(command, env, timeout):
    """Run ``command`` in its own process group; kill the group after ``timeout`` seconds."""
    process = subprocess.Popen(command, env=env, start_new_session=True)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        sys.stderr.write(f"srcgrad.distributed.run: the job did not finish in {timeout:g} s; killing it\n")
        _kill_group(process)
        return 124
    except KeyboardInterrupt:
        _kill_group(process, signal.SIGINT)
        return 130


def _kill_group(process, first=signal.SIGTERM):
    for sig, wait in ((first, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def main(argv=None):
    """Parse the command line, run the job, and return its exit status.

    Args:
        argv: the arguments (default ``sys.argv[1:]``).

    Returns:
        ``mpiexec``'s exit status; 124 when ``--timeout`` ran out; 2 for bad usage.
    """
    parser = _parser()
    options = parser.parse_args(argv)
    if options.nproc < 1:
        parser.error(f"-n must be at least 1, got {options.nproc}")
    try:
        mpiexec = find_mpiexec(options.mpiexec)
    except FileNotFoundError as error:
        sys.stderr.write(f"srcgrad.distributed.run: {error}\n")
        return 2
    needs_flavour = options.hosts or options.hostfile or options.ppn
    command = build_command(options, mpiexec, _flavour(mpiexec) if needs_flavour else "mpich")
    if options.print_command:
        print(" ".join(command))
        return 0
    return _run(command, _environment(options), options.timeout)


if __name__ == "__main__":
    sys.exit(main())
