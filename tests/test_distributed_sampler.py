"""``srcgrad.data.DistributedSampler``: each rank's share of the indices, in PyTorch's layout.

PyTorch documents the layout (torch/utils/data/distributed.py): the indices (shuffled by
``seed + epoch`` when ``shuffle``) are padded by repeating them from the start up to
``num_samples * num_replicas``, or cut to that with ``drop_last``, where ``num_samples`` is
``ceil(n / R)``, or ``ceil((n - R) / R)`` with ``drop_last`` when ``R`` does not divide ``n``;
rank ``r`` takes ``indices[r::R]``. The expected lists here are written out from that rule
by hand, and compared with torch's own sampler when torch is installed.
"""

import numpy as np
import pytest

from srcgrad.data import DataLoader, DistributedSampler, TensorDataset

CASES = [
    (n, replicas, drop_last)
    for n in (0, 1, 2, 5, 7, 10, 12)
    for replicas in (1, 2, 3, 4, 8)
    for drop_last in (False, True)
]


@pytest.mark.parametrize(
    "n, replicas, rank, drop_last, expected",
    [
        (10, 3, 0, False, [0, 3, 6, 9]),
        (10, 3, 1, False, [1, 4, 7, 0]),  # padded with indices 0 and 1 from the start
        (10, 3, 2, False, [2, 5, 8, 1]),
        (10, 3, 0, True, [0, 3, 6]),  # 9 dropped
        (10, 3, 2, True, [2, 5, 8]),
        (5, 2, 1, False, [1, 3, 0]),
        (2, 4, 3, False, [1]),  # padding longer than the data: 0 1 0 1
        (2, 4, 1, True, []),  # ceil((2 - 4) / 4) = 0 samples each
        (7, 8, 7, False, [0]),
    ],
)
def test_layout_written_out_from_pytorch_rule(n, replicas, rank, drop_last, expected):
    sampler = DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last)
    assert list(sampler) == expected
    assert len(sampler) == len(expected)


@pytest.mark.parametrize("n, replicas, drop_last", CASES)
def test_ranks_cover_the_padded_order_exactly_once(n, replicas, drop_last):
    shares = [
        list(DistributedSampler(range(n), replicas, r, shuffle=True, seed=3, drop_last=drop_last))
        for r in range(replicas)
    ]
    lengths = {len(s) for s in shares}
    assert len(lengths) == 1  # every rank gets the same number of samples
    order = np.random.default_rng(3).permutation(n).tolist()
    interleaved = [shares[r][i] for i in range(len(shares[0])) for r in range(replicas)]
    if drop_last:
        assert interleaved == order[: len(interleaved)] and len(interleaved) > n - replicas
    else:
        padded = (order * (1 + (len(interleaved) // max(n, 1))))[: len(interleaved)] if n else []
        assert interleaved == padded and len(interleaved) - n < replicas


def test_set_epoch_changes_the_order_the_same_way_on_every_rank():
    ds = range(11)
    a = [DistributedSampler(ds, 2, r, seed=5) for r in range(2)]
    first = [list(s) for s in a]
    for s in a:
        s.set_epoch(1)
    second = [list(s) for s in a]
    assert first != second
    assert set(first[0] + first[1]) == set(second[0] + second[1]) == set(range(11))
    again = DistributedSampler(ds, 2, 1, seed=5)
    again.set_epoch(1)
    assert list(again) == second[1]
    assert list(DistributedSampler(ds, 2, 1, seed=6)) != first[1]


def test_with_dataloader():
    ds = TensorDataset(np.arange(10.0))
    loader = DataLoader(ds, batch_size=2, sampler=DistributedSampler(ds, num_replicas=3, rank=1, shuffle=False))
    assert [b[0].tolist() for b in loader] == [[1.0, 4.0], [7.0, 0.0]]
    assert len(loader) == 2


@pytest.mark.parametrize("rank", [-1, 3])
def test_bad_rank(rank):
    with pytest.raises(ValueError, match=rf"Invalid rank {rank}, rank should be in the interval \[0, 2\]"):
        DistributedSampler(range(4), num_replicas=3, rank=rank)


def test_without_num_replicas_needs_a_process_group():
    pytest.importorskip("mpi4py")
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedSampler(range(4))


@pytest.mark.parametrize("n, replicas, drop_last", CASES)
def test_same_as_torch(n, replicas, drop_last):
    torch_data = pytest.importorskip("torch.utils.data")
    for rank in range(replicas):
        ours = list(DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last))
        theirs = list(torch_data.DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last))
        assert ours == theirs
        # shuffled: torch's output is its layout applied to its permutation; ours must be the
        # same layout applied to numpy's permutation for seed + epoch
        sampler = DistributedSampler(range(n), replicas, rank, shuffle=True, seed=2, drop_last=drop_last)
        sampler.set_epoch(4)
        permutation = np.random.default_rng(6).permutation(n)
        assert list(sampler) == [int(permutation[i]) for i in theirs]
        assert len(sampler) == len(theirs)
