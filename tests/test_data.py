"""srcgrad.data: datasets, samplers, collation, DataLoader, random_split."""

from collections import OrderedDict, namedtuple

import numpy as np
import pytest

import srcgrad
from srcgrad.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    default_collate,
    random_split,
)


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return {"x": np.array([i, i], dtype=np.float32), "y": i * i, "name": f"s{i}"}


def _xy(n=10):
    x = srcgrad.tensor(np.arange(n * 2, dtype=np.float64).reshape(n, 2))
    y = srcgrad.arange(n)
    return TensorDataset(x, y)


def test_tensor_dataset():
    ds = _xy(4)
    assert len(ds) == 4
    x, y = ds[2]
    assert x.tolist() == [4.0, 5.0] and y.item() == 2
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(srcgrad.zeros(3), srcgrad.zeros(4))


def test_loader_batches_in_order_and_keeps_tuples():
    loader = DataLoader(_xy(10), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and len(batches) == 3
    x, y = batches[0]
    assert isinstance(batches[0], tuple)
    assert isinstance(x, srcgrad.Tensor) and x.shape == (4, 2) and x.dtype == np.float64
    assert y.tolist() == [0, 1, 2, 3] and y.dtype == np.int64
    assert batches[2][1].tolist() == [8, 9]
    for xb, yb in loader:  # unpacks like PyTorch
        assert xb.shape[0] == yb.shape[0]


def test_drop_last():
    loader = DataLoader(_xy(10), batch_size=4, drop_last=True)
    assert len(loader) == 2 and [b[1].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_shuffle_uses_global_generator_and_manual_seed():
    ds = _xy(20)

    def epoch(loader):
        return np.concatenate([b[1].numpy() for b in loader]).tolist()

    srcgrad.manual_seed(123)
    loader = DataLoader(ds, batch_size=6, shuffle=True)
    first, second = epoch(loader), epoch(loader)
    assert sorted(first) == list(range(20)) and first != list(range(20))
    assert first != second  # a new order every epoch
    srcgrad.manual_seed(123)
    assert epoch(DataLoader(ds, batch_size=6, shuffle=True)) == first
    # the same permutation numpy would draw from the seeded generator
    assert first == np.random.default_rng(123).permutation(20).tolist()


def test_shuffle_with_explicit_generator_or_seed():
    ds = _xy(15)

    def epoch(loader):
        return np.concatenate([b[1].numpy() for b in loader]).tolist()

    a = DataLoader(ds, batch_size=4, shuffle=True, generator=7)
    b = DataLoader(ds, batch_size=4, shuffle=True, generator=np.random.default_rng(7))
    srcgrad.manual_seed(0)
    ea = [epoch(a), epoch(a)]
    srcgrad.manual_seed(99)  # the global seed does not matter with a generator
    eb = [epoch(b), epoch(b)]
    assert ea == eb and ea[0] != ea[1]


def test_default_collate_structures():
    batch = list(DataLoader(Squares(5), batch_size=3))[0]
    assert set(batch) == {"x", "y", "name"}
    assert batch["x"].shape == (3, 2) and batch["x"].dtype == np.float32
    assert batch["y"].tolist() == [0, 1, 4] and batch["y"].dtype == np.int64
    assert batch["name"] == ["s0", "s1", "s2"]
    floats = default_collate([1.5, 2.5])
    assert floats.dtype == np.float64 and floats.tolist() == [1.5, 2.5]
    assert default_collate([True, False]).dtype == np.bool_
    assert default_collate([np.float32(1), np.float32(2)]).dtype == np.float32
    Point = namedtuple("Point", "x y")
    p = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert type(p) is Point and p.x.tolist() == [1, 3] and p.y.tolist() == [2.0, 4.0]
    lists = default_collate([[1, 2], [3, 4]])
    assert type(lists) is list and [t.tolist() for t in lists] == [[1, 3], [2, 4]]
    od = default_collate([OrderedDict(b=1, a=2), OrderedDict(b=3, a=4)])
    assert type(od) is OrderedDict and list(od) == ["b", "a"]
    nested = default_collate([(np.ones(2), {"k": 1.0}), (np.zeros(2), {"k": 2.0})])
    assert type(nested) is tuple and nested[0].shape == (2, 2) and nested[1]["k"].tolist() == [1.0, 2.0]
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate"):
        default_collate([object(), object()])


def test_custom_collate_fn_and_unbatched():
    loader = DataLoader(_xy(5), batch_size=2, collate_fn=lambda batch: len(batch))
    assert list(loader) == [2, 2, 1]
    samples = list(DataLoader(Squares(3), batch_size=None))
    assert len(samples) == 3 and isinstance(samples[1]["x"], srcgrad.Tensor) and samples[1]["y"] == 1


def test_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    r = list(RandomSampler(range(10), generator=0))
    assert sorted(r) == list(range(10))
    rep = list(RandomSampler(range(3), replacement=True, num_samples=20, generator=0))
    assert len(rep) == 20 and set(rep) <= {0, 1, 2}
    assert sorted(SubsetRandomSampler([5, 7, 9], generator=1)) == [5, 7, 9]
    bs = BatchSampler(SequentialSampler(range(7)), 3, drop_last=False)
    assert list(bs) == [[0, 1, 2], [3, 4, 5], [6]] and len(bs) == 3
    with pytest.raises(ValueError, match="batch_size"):
        BatchSampler(range(3), 0, False)
    loader = DataLoader(_xy(6), batch_sampler=[[5, 0], [1]])
    assert [b[1].tolist() for b in loader] == [[5, 0], [1]]
    loader = DataLoader(_xy(6), sampler=[3, 2, 1], batch_size=2)
    assert [b[1].tolist() for b in loader] == [[3, 2], [1]]


def test_loader_option_conflicts():
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(_xy(), sampler=[0], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(_xy(), batch_sampler=[[0]], batch_size=2)
    with pytest.raises(TypeError, match="unexpected keyword"):
        DataLoader(_xy(), batchsize=2)
    DataLoader(_xy(), num_workers=4, pin_memory=True, persistent_workers=False)  # accepted, no effect


def test_iterable_dataset():
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(np.arange(7.0))

    assert [b.tolist() for b in DataLoader(Stream(), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(list(DataLoader(Stream(), batch_size=3, drop_last=True))) == 2
    with pytest.raises(ValueError, match="shuffle"):
        DataLoader(Stream(), shuffle=True)


def test_subset_and_concat():
    ds = _xy(10)
    sub = Subset(ds, [9, 3, 4])
    assert len(sub) == 3 and sub[0][1].item() == 9
    both = ds + Squares(3)
    assert isinstance(both, ConcatDataset) and len(both) == 13
    assert both[10]["y"] == 0 and both[-1]["y"] == 4 and both[9][1].item() == 9


def test_random_split_lengths_and_disjointness():
    ds = _xy(10)
    a, b = random_split(ds, [7, 3], generator=0)
    ia, ib = a.indices, b.indices
    assert len(a) == 7 and len(b) == 3 and sorted(ia + ib) == list(range(10))
    assert (ia + ib) == np.random.default_rng(0).permutation(10).tolist()
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(ds, [5, 6])


def test_random_split_fractions_as_pytorch():
    ds = _xy(10)
    parts = random_split(ds, [0.33, 0.33, 0.34], generator=1)
    # floor(3.3) = 3, floor(3.3) = 3, floor(3.4) = 3; the remaining 1 goes to the first part
    assert [len(p) for p in parts] == [4, 3, 3]
    parts = random_split(_xy(11), [0.5, 0.5], generator=1)
    assert [len(p) for p in parts] == [6, 5]
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(_xy(2), [0.9, 0.1])
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        random_split(ds, [-0.5, 1.5])


def test_random_split_uses_global_generator():
    ds = _xy(12)
    srcgrad.manual_seed(5)
    first = [p.indices for p in random_split(ds, [6, 6])]
    srcgrad.manual_seed(5)
    assert [p.indices for p in random_split(ds, [6, 6])] == first


def test_training_loop_with_loader():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3))
    y = x @ np.array([0.5, -1.0, 2.0])
    loader = DataLoader(TensorDataset(srcgrad.tensor(x), srcgrad.tensor(y)), batch_size=16, shuffle=True, generator=0)
    w = srcgrad.zeros(3, requires_grad=True)
    opt = srcgrad.optim.SGD([w], lr=0.1)
    for _ in range(30):
        for xb, yb in loader:
            opt.zero_grad()
            loss = ((xb @ w - yb) ** 2).mean()
            loss.backward()
            opt.step()
    np.testing.assert_allclose(w.detach().numpy(), [0.5, -1.0, 2.0], atol=1e-6)


def test_collate_keeps_the_graph_of_samples_that_require_grad():
    a = srcgrad.tensor([1.0, 2.0], requires_grad=True)
    batch = default_collate([a, srcgrad.tensor([3.0, 4.0])])
    assert batch.requires_grad
    (batch * 2).sum().backward()
    assert a.grad.tolist() == [2.0, 2.0]


def test_weighted_random_sampler():
    from srcgrad.data import WeightedRandomSampler

    s = WeightedRandomSampler([0.0, 1.0, 3.0], num_samples=4000, generator=0)
    counts = np.bincount(list(s), minlength=3)
    assert counts[0] == 0 and len(s) == 4000
    assert abs(counts[2] / counts[1] - 3.0) < 0.3
    assert list(s) != list(s)  # a new draw each pass
    assert (
        list(WeightedRandomSampler([1, 1, 1], 3, generator=5))
        == np.random.default_rng(5).choice(3, size=3, p=[1 / 3] * 3).tolist()
    )
    without = list(WeightedRandomSampler([1.0, 2.0, 3.0, 4.0], 4, replacement=False, generator=1))
    assert sorted(without) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="non-negative"):
        WeightedRandomSampler([-1.0, 1.0], 2)
    with pytest.raises(ValueError, match="num_samples"):
        WeightedRandomSampler([1.0], 0)
    loader = DataLoader(_xy(6), batch_size=4, sampler=WeightedRandomSampler(srcgrad.ones(6), 8, generator=3))
    assert [len(b[1]) for b in loader] == [4, 4]


def test_chain_dataset():
    from srcgrad.data import ChainDataset

    class Stream(IterableDataset):
        def __init__(self, values):
            self.values = values

        def __iter__(self):
            return iter(self.values)

        def __len__(self):
            return len(self.values)

    chain = ChainDataset([Stream([1.0, 2.0]), Stream([3.0])])
    assert list(chain) == [1.0, 2.0, 3.0] and len(chain) == 3
    assert [b.tolist() for b in DataLoader(chain, batch_size=2)] == [[1.0, 2.0], [3.0]]


def test_samplers_draw_lazily_as_pytorch_does():
    """``RandomSampler(replacement=True, num_samples=10**10)`` allocated 74 GiB up front; now it draws in chunks."""
    import itertools
    import tracemalloc

    from srcgrad.data import WeightedRandomSampler

    tracemalloc.start()
    try:
        for sampler in (
            RandomSampler(range(10), replacement=True, num_samples=10**6, generator=0),
            RandomSampler(range(10), num_samples=10**6, generator=0),
            WeightedRandomSampler([1.0, 3.0], 10**6, generator=0),
        ):
            tracemalloc.reset_peak()
            first = list(itertools.islice(iter(sampler), 5))
            assert len(first) == 5 and tracemalloc.get_traced_memory()[1] < 2**20
    finally:
        tracemalloc.stop()
    huge = RandomSampler(range(10), replacement=True, num_samples=10**10, generator=0)
    assert len(huge) == 10**10 and all(0 <= i < 10 for i in itertools.islice(iter(huge), 10_000))


def test_chunked_draws_give_the_same_indices_as_one_draw():
    drawn = list(RandomSampler(range(7), replacement=True, num_samples=10_000, generator=3))
    assert drawn == np.random.default_rng(3).integers(0, 7, size=10_000).tolist()
    passes = list(RandomSampler(range(4), num_samples=10, generator=2))
    rng = np.random.default_rng(2)
    assert passes == rng.permutation(4).tolist() + rng.permutation(4).tolist() + rng.permutation(4)[:2].tolist()
