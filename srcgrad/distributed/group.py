"""The default process group: which MPI processes take part, and this one's rank among them.

``init_process_group("mpi")`` starts MPI (through mpi4py) if it is not running,
takes a private duplicate of ``MPI.COMM_WORLD`` for srcgrad's messages, and
installs an exception hook that aborts the whole job when this process dies of
an uncaught exception, so the other ranks do not wait for it forever.
"""

import sys
import time

__all__ = [
    "Backend",
    "ProcessGroup",
    "group",
    "init_process_group",
    "destroy_process_group",
    "is_initialized",
    "is_available",
    "is_mpi_available",
    "is_gloo_available",
    "is_nccl_available",
    "get_rank",
    "get_world_size",
    "get_backend",
    "default_group",
]

NOT_INITIALIZED = "Default process group has not been initialized, please make sure to call init_process_group."


class Backend(str):
    """Backend names, as ``torch.distributed.Backend``; srcgrad has one, ``Backend.MPI == "mpi"``."""

    MPI = "mpi"
    GLOO = "gloo"
    NCCL = "nccl"

    def __new__(cls, name):
        return str.__new__(cls, str(name).lower())


class ProcessGroup:
    """A set of processes that run collectives together (here: every process of the MPI job).

    Attributes:
        comm: the mpi4py communicator (a duplicate of ``MPI.COMM_WORLD``).
        MPI: the ``mpi4py.MPI`` module.
    """

    def __init__(self, comm, mpi):
        self.comm = comm
        self.MPI = mpi
        self._rank = comm.Get_rank()
        self._size = comm.Get_size()

    def rank(self):
        """This process's rank in the group."""
        return self._rank

    def size(self):
        """How many processes the group has."""
        return self._size

    def name(self):
        """The backend's name, ``"mpi"``."""
        return Backend.MPI

    def __repr__(self):
        return f"ProcessGroup(backend='mpi', rank={self._rank}, size={self._size})"


class group:
    """``group.WORLD``: the default process group once ``init_process_group`` ran (else None)."""

    WORLD = None


_GROUP_NAMESPACE = group
_DEFAULT = [None]
_PREVIOUS_EXCEPTHOOK = [None]


def is_available():
    """True: srcgrad.distributed imported, so mpi4py is there."""
    return True


def is_mpi_available():
    """True: the MPI backend is srcgrad's one backend."""
    return True


def is_gloo_available():
    """False: srcgrad runs collectives over MPI only."""
    return False


def is_nccl_available():
    """False: srcgrad runs collectives over MPI only."""
    return False


def is_initialized():
    """True between ``init_process_group`` and ``destroy_process_group``."""
    return _DEFAULT[0] is not None


def init_process_group(
    backend=None,
    init_method=None,
    timeout=None,
    world_size=-1,
    rank=-1,
    store=None,
    group_name="",
    pg_options=None,
    device_id=None,
):
    """Join the default process group: every process that MPI started.

    The number of processes and this one's rank come from MPI (``mpiexec -n N``);
    ``world_size`` and ``rank``, when given, are checked against them.

    Args:
        backend: ``"mpi"`` (or None, which means it).
        init_method: accepted for PyTorch compatibility; MPI finds the processes itself.
        timeout: accepted for PyTorch compatibility; MPI collectives have no time limit
            (the launcher's ``--timeout`` bounds a whole job).
        world_size: the number of processes expected, or -1.
        rank: this process's rank expected, or -1.
        store, group_name, pg_options, device_id: accepted for PyTorch compatibility.

    Raises:
        ValueError: a backend other than MPI; a second call without
            ``destroy_process_group``; ``world_size`` or ``rank`` that MPI contradicts.
        RuntimeError: mpi4py is installed but cannot load an MPI library.
    """
    if backend is not None and str(backend).lower() != Backend.MPI:
        raise ValueError(f"srcgrad.distributed runs over MPI only: backend must be 'mpi' (or None), not {backend!r}")
    if _DEFAULT[0] is not None:
        raise ValueError("trying to initialize the default process group twice!")
    try:
        from mpi4py import MPI
    except (ImportError, RuntimeError) as error:
        raise RuntimeError(
            f"mpi4py cannot load an MPI library ({error}); install one with "
            f"pip install mpich (or pip install 'srcgrad[mpi]')"
        ) from error
    world = MPI.COMM_WORLD
    if world_size not in (-1, None) and world_size != world.Get_size():
        raise ValueError(
            f"init_process_group: world_size={world_size}, but MPI started "
            f"{world.Get_size()} processes (mpiexec -n sets it)"
        )
    if rank not in (-1, None) and rank != world.Get_rank():
        raise ValueError(f"init_process_group: rank={rank}, but MPI gave this process rank {world.Get_rank()}")
    pg = ProcessGroup(world.Dup(), MPI)
    _DEFAULT[0] = pg
    group.WORLD = pg
    if _PREVIOUS_EXCEPTHOOK[0] is None:
        _PREVIOUS_EXCEPTHOOK[0] = sys.excepthook
        sys.excepthook = _abort_on_uncaught


def destroy_process_group(group=None):
    """Leave the default process group (MPI itself keeps running until the process exits).

    Args:
        group: None or ``group.WORLD``.

    Raises:
        ValueError: the default process group is not initialized.
    """
    pg = default_group(group)
    _DEFAULT[0] = None
    _GROUP_NAMESPACE.WORLD = None
    if _PREVIOUS_EXCEPTHOOK[0] is not None:
        sys.excepthook = _PREVIOUS_EXCEPTHOOK[0]
        _PREVIOUS_EXCEPTHOOK[0] = None
    pg.comm.Free()


def default_group(group=None):
    """The process group a collective runs in.

    Args:
        group: None or ``group.WORLD`` (srcgrad has no subgroups).

    Returns:
        The ``ProcessGroup``.

    Raises:
        ValueError: not initialized, or a group that is not the default one.
    """
    pg = _DEFAULT[0]
    if pg is None:
        raise ValueError(NOT_INITIALIZED)
    if group is not None and group is not pg:
        raise ValueError(f"srcgrad.distributed has one process group, the default (group.WORLD); got {group!r}")
    return pg


def get_rank(group=None):
    """This process's rank, from 0 to ``get_world_size() - 1``.

    Raises:
        ValueError: the default process group is not initialized.
    """
    return default_group(group).rank()


def get_world_size(group=None):
    """How many processes take part.

    Raises:
        ValueError: the default process group is not initialized.
    """
    return default_group(group).size()


def get_backend(group=None):
    """``"mpi"``.

    Raises:
        ValueError: the default process group is not initialized.
    """
    default_group(group)
    return Backend.MPI


def _abort_on_uncaught(exc_type, exc, tb):
    """Print the error as usual, then abort every rank (a dead rank would leave the others waiting)."""
    previous = _PREVIOUS_EXCEPTHOOK[0] or sys.__excepthook__
    previous(exc_type, exc, tb)
    pg = _DEFAULT[0]
    if pg is None:
        return
    sys.stderr.write(
        f"srcgrad.distributed: rank {pg.rank()} of {pg.size()} failed with {exc_type.__name__}; aborting the job\n"
    )
    sys.stderr.flush()
    # mpiexec forwards a rank's output through its own process, which the abort kills: give it a moment to
    # pass on the lines just written (on a loaded machine the error's last lines were lost without it)
    time.sleep(0.2)
    pg.MPI.COMM_WORLD.Abort(1)
