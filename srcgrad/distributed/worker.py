"""What each rank runs under the launcher: the user's script, with the job aborted if it fails.

``python -m srcgrad.distributed.worker [-m] TARGET [ARGS...]`` (run by ``mpiexec``
from ``srcgrad.distributed.run``) sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``
and ``LOCAL_WORLD_SIZE`` as torchrun does, then runs ``TARGET`` (a script, or a
module with ``-m``) as ``__main__``. An exception that escapes it, or a
non-zero ``sys.exit``, prints the traceback under a line naming the rank and
calls ``MPI_Abort``, so the other ranks stop instead of waiting for this one
in a collective.
"""

import os
import runpy
import sys
import time
import traceback

__all__ = ["main"]


def _set_rank_environment(mpi):
    world = mpi.COMM_WORLD
    local = world.Split_type(mpi.COMM_TYPE_SHARED)
    os.environ.update(
        RANK=str(world.Get_rank()),
        WORLD_SIZE=str(world.Get_size()),
        LOCAL_RANK=str(local.Get_rank()),
        LOCAL_WORLD_SIZE=str(local.Get_size()),
    )
    local.Free()


def _user_frames(tb):
    """Skip the frames of this module and of runpy at the top of a traceback."""
    here = os.path.abspath(__file__)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if os.path.abspath(filename) != here and "runpy" not in filename:
            break
        tb = tb.tb_next
    return tb


def main(argv=None):
    """Run one rank's target; abort the whole job if it fails.

    Args:
        argv: ``[-m] TARGET [ARGS...]`` (default ``sys.argv[1:]``).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    as_module = bool(argv) and argv[0] == "-m"
    if as_module:
        argv = argv[1:]
    if not argv:
        sys.exit("usage: python -m srcgrad.distributed.worker [-m] TARGET [ARGS...]")
    from mpi4py import MPI

    _set_rank_environment(MPI)
    target = argv[0]
    sys.argv = argv
    try:
        if as_module:
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            sys.path.insert(0, os.path.dirname(os.path.abspath(target)))
            runpy.run_path(target, run_name="__main__")
    except SystemExit as stop:
        code = stop.code
        if code is None or code == 0:
            return
        if not isinstance(code, int):
            sys.stderr.write(f"{code}\n")
            code = 1
        _abort(MPI, f"rank {MPI.COMM_WORLD.Get_rank()} exited with status {code}", code)
    except BaseException as error:  # noqa: B902 - any failure of one rank must stop them all
        rank = MPI.COMM_WORLD.Get_rank()
        text = "".join(traceback.format_exception(type(error), error, _user_frames(error.__traceback__)))
        sys.stderr.write(f"srcgrad.distributed.run: rank {rank} of {MPI.COMM_WORLD.Get_size()} failed:\n{text}")
        _abort(MPI, f"rank {rank} failed", 1)


def _abort(mpi, why, code):
    sys.stdout.flush()
    sys.stderr.write(f"srcgrad.distributed.run: {why}; aborting the job\n")
    sys.stderr.flush()
    time.sleep(0.2)  # mpiexec's forwarding process dies with the abort: let it pass on the lines just written
    mpi.COMM_WORLD.Abort(code)


if __name__ == "__main__":
    main()
