"""``srcgrad.distributed``: process groups and collectives over MPI, with ``torch.distributed``'s names.

Start the processes with MPI (``python -m srcgrad.distributed.run -n 2 script.py``,
or ``mpiexec -n 2 python script.py``); in the script::

    import srcgrad.distributed as dist
    dist.init_process_group("mpi")
    dist.all_reduce(t, op=dist.ReduceOp.SUM)       # t: a Tensor or an ndarray, changed in place

MPI comes from mpi4py (with an MPI library such as the ``mpich`` wheel):
``pip install 'srcgrad[mpi]'``. Importing this package does not start MPI;
``init_process_group`` does. See docs/distributed.md.
"""

try:
    import mpi4py  # noqa: F401 - only to say how to install it; MPI itself starts in init_process_group
except ImportError as error:  # pragma: no cover - the test environment has it
    raise ImportError(
        "srcgrad.distributed needs mpi4py and an MPI library; install them with "
        "pip install 'srcgrad[mpi]' (that is: pip install mpi4py mpich)"
    ) from error

from .group import (
    Backend,
    ProcessGroup,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    group,
    init_process_group,
    is_available,
    is_gloo_available,
    is_initialized,
    is_mpi_available,
    is_nccl_available,
)
from .collectives import (
    ReduceOp,
    Work,
    all_gather,
    all_gather_into_tensor,
    all_reduce,
    barrier,
    broadcast,
    gather,
    recv,
    reduce,
    scatter,
    send,
)

__all__ = [
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
    "Backend",
    "ProcessGroup",
    "group",
    "ReduceOp",
    "Work",
    "barrier",
    "all_reduce",
    "broadcast",
    "all_gather",
    "all_gather_into_tensor",
    "reduce",
    "gather",
    "scatter",
    "send",
    "recv",
]
