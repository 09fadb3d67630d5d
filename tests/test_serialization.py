"""srcgrad.save / srcgrad.load: round trips, no pickle, atomic writes, clear errors."""

import io
import json
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import srcgrad
from srcgrad import serialization
from srcgrad.serialization import SerializationError


def _roundtrip(obj, tmp_path, name="obj.npz"):
    path = tmp_path / name
    srcgrad.save(obj, path)
    return srcgrad.load(path)


@pytest.mark.parametrize(
    "dtype", [np.float16, np.float32, np.float64, np.int32, np.int64, np.bool_, np.complex128, np.uint8]
)
def test_tensor_and_ndarray_keep_dtype_and_shape(dtype, tmp_path):
    value = (np.arange(12).reshape(3, 4) % 3).astype(dtype)
    t = _roundtrip(srcgrad.Tensor(value), tmp_path)
    assert isinstance(t, srcgrad.Tensor) and t.dtype == dtype and t.shape == (3, 4)
    assert np.array_equal(t.numpy(), value)
    a = _roundtrip(value, tmp_path)
    assert type(a) is np.ndarray and a.dtype == dtype and np.array_equal(a, value)


def test_zero_dim_and_empty(tmp_path):
    t = _roundtrip([srcgrad.tensor(2.5), np.zeros((0, 3))], tmp_path)
    assert t[0].shape == () and t[0].item() == 2.5
    assert t[1].shape == (0, 3)


def test_requires_grad_is_kept(tmp_path):
    w = srcgrad.tensor([1.0, 2.0], requires_grad=True)
    out = _roundtrip({"w": w, "d": w.detach()}, tmp_path)
    assert out["w"].requires_grad and out["w"].is_leaf and not out["d"].requires_grad
    assert out["w"].tolist() == [1.0, 2.0]


def test_module_style_state_dict_keeps_order_and_type(tmp_path):
    names = ["layers.2.weight", "layers.0.bias", "layers.0.weight", "z", "a", "layers.10.bias"]
    state = OrderedDict(
        (n, srcgrad.tensor(np.full((2, i + 1), float(i), dtype=np.float32))) for i, n in enumerate(names)
    )
    out = _roundtrip(state, tmp_path)
    assert type(out) is OrderedDict and list(out) == names
    for n in names:
        assert out[n].dtype == np.float32 and np.array_equal(out[n].numpy(), state[n].numpy())


def test_optimizer_style_state_dict(tmp_path):
    state = {
        "state": {0: {"step": srcgrad.tensor(3.0), "exp_avg": srcgrad.zeros(2)}, 1: {"momentum_buffer": None}},
        "param_groups": [
            {
                "lr": 1e-3,
                "betas": (0.9, 0.999),
                "eps": 1e-8,
                "amsgrad": False,
                "foreach": None,
                "name": "encoder",
                "params": [0, 1],
            }
        ],
    }
    out = _roundtrip(state, tmp_path)
    assert list(out["state"]) == [0, 1] and all(type(k) is int for k in out["state"])
    group = out["param_groups"][0]
    assert group["betas"] == (0.9, 0.999) and type(group["betas"]) is tuple
    assert group["params"] == [0, 1] and type(group["params"]) is list
    assert group["amsgrad"] is False and group["foreach"] is None and group["name"] == "encoder"
    assert group["lr"] == 1e-3 and out["state"][1]["momentum_buffer"] is None
    assert float(out["state"][0]["step"]) == 3.0


def test_scalars_and_keys(tmp_path):
    obj = {
        "inf": float("inf"),
        "-inf": -float("inf"),
        "big": 2**70,
        "neg": -3,
        "float": 0.1 + 0.2,
        "np": np.float32(1.5),
        "npint": np.int64(7),
        "bool": True,
        1.5: "float key",
        None: "none key",
        True: "bool key",
        7: ["nested", ("tuple", [1, {"deep": np.arange(3)}])],
    }
    out = _roundtrip(obj, tmp_path)
    assert list(out) == list(obj)
    assert out["inf"] == float("inf") and out["-inf"] == -float("inf") and out["big"] == 2**70
    assert out["float"] == 0.1 + 0.2 and out["neg"] == -3
    assert type(out["np"]) is np.float32 and out["np"] == 1.5 and type(out["npint"]) is np.int64
    assert out[1.5] == "float key" and out[None] == "none key" and out[True] == "bool key"
    assert out[7][1][0] == "tuple" and np.array_equal(out[7][1][1][1]["deep"], np.arange(3))
    nan = _roundtrip(float("nan"), tmp_path)
    assert nan != nan


def test_file_objects(tmp_path):
    buffer = io.BytesIO()
    srcgrad.save({"x": srcgrad.ones(3)}, buffer)
    buffer.seek(0)
    assert srcgrad.load(buffer)["x"].tolist() == [1.0, 1.0, 1.0]


def test_exact_path_is_written_and_no_temp_files_remain(tmp_path):
    srcgrad.save([1, 2], tmp_path / "model.pt")
    srcgrad.save([1, 2], str(tmp_path / "model.pt"))  # overwrite
    assert os.listdir(tmp_path) == ["model.pt"]
    assert srcgrad.load(str(tmp_path / "model.pt"), map_location="cpu", weights_only=True) == [1, 2]


def test_failed_write_leaves_previous_checkpoint_intact(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    srcgrad.save({"version": 1, "w": srcgrad.ones(1000)}, path)
    before = path.read_bytes()
    real_savez = np.savez

    def crash_midway(file, **arrays):
        real_savez(file, **{k: v for k, v in list(arrays.items())[:1]})  # some bytes reach the temp file
        raise OSError("disk full")

    monkeypatch.setattr(serialization.np, "savez", crash_midway)
    with pytest.raises(OSError, match="disk full"):
        srcgrad.save({"version": 2, "w": srcgrad.zeros(1000)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.npz"]
    assert srcgrad.load(path)["version"] == 1


def test_crash_before_rename_leaves_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    srcgrad.save("old", path)

    def no_replace(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(serialization.os, "replace", no_replace)
    with pytest.raises(KeyboardInterrupt):
        srcgrad.save("new", path)
    monkeypatch.undo()
    assert srcgrad.load(path) == "old" and os.listdir(tmp_path) == ["ckpt.npz"]


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not a checkpoint at all",
        bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)),
        b"\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01K\x02e.",  # a pickle
    ],
    ids=["empty", "text", "random", "pickle"],
)
def test_garbage_file_gives_clear_error(content, tmp_path):
    path = tmp_path / "garbage.pt"
    path.write_bytes(content)
    with pytest.raises(SerializationError, match="garbage.pt") as info:
        srcgrad.load(path)
    assert isinstance(info.value, srcgrad.SrcgradError)


def test_truncated_checkpoint_gives_clear_error(tmp_path):
    path = tmp_path / "ckpt.npz"
    srcgrad.save({"w": srcgrad.randn(200, 200)}, path)
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 30):
        path.write_bytes(data[:cut])
        with pytest.raises(SerializationError, match="ckpt.npz"):
            srcgrad.load(path)


def test_foreign_npz_and_npy_give_clear_error(tmp_path):
    np.savez(tmp_path / "plain.npz", x=np.ones(3))
    with pytest.raises(SerializationError, match="not a srcgrad checkpoint"):
        srcgrad.load(tmp_path / "plain.npz")
    np.save(tmp_path / "plain.npy", np.ones(3))
    with pytest.raises(SerializationError, match="plain.npy"):
        srcgrad.load(tmp_path / "plain.npy")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(SerializationError, match="other.zip"):
        srcgrad.load(tmp_path / "other.zip")


def test_tampered_header_gives_clear_error(tmp_path):
    np.savez(
        tmp_path / "t.npz",
        __srcgrad__=np.frombuffer(
            b'{"format": "srcgrad-checkpoint", "version": 1, "tree": {"tensor": "a7"}}', dtype=np.uint8
        ),
    )
    with pytest.raises(SerializationError, match="missing array"):
        srcgrad.load(tmp_path / "t.npz")
    np.savez(
        tmp_path / "v.npz",
        __srcgrad__=np.frombuffer(b'{"format": "srcgrad-checkpoint", "version": 99}', dtype=np.uint8),
    )
    with pytest.raises(SerializationError, match="version 99"):
        srcgrad.load(tmp_path / "v.npz")


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        srcgrad.load(tmp_path / "nope.npz")


def test_saved_file_has_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    srcgrad.save([1], tmp_path / "perm.npz")
    assert (tmp_path / "perm.npz").stat().st_mode & 0o777 == 0o666 & ~umask


def test_save_through_a_symlink_keeps_the_link(tmp_path):
    target = tmp_path / "real.npz"
    link = tmp_path / "latest.npz"
    srcgrad.save(1, target)
    link.symlink_to(target)
    srcgrad.save(2, link)
    assert link.is_symlink() and srcgrad.load(target) == 2 and srcgrad.load(link) == 2


def test_directory_is_not_a_checkpoint(tmp_path):
    with pytest.raises(IsADirectoryError):
        srcgrad.load(tmp_path)


def test_module_and_optimizer_checkpoint_resumes_training(tmp_path):
    nn = pytest.importorskip("srcgrad.nn")

    def make():
        srcgrad.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
        return model, srcgrad.optim.AdamW(model.parameters(), lr=0.01)

    rng = np.random.default_rng(0)
    x, y = srcgrad.tensor(rng.normal(size=(16, 3))), srcgrad.tensor(rng.normal(size=(16, 1)))

    def train(model, opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            ((model(x) - y) ** 2).mean().backward()
            opt.step()

    model, opt = make()
    train(model, opt, 6)
    want = [p.detach().numpy().copy() for p in model.parameters()]

    model, opt = make()
    train(model, opt, 3)
    srcgrad.save({"model": model.state_dict(), "optim": opt.state_dict()}, tmp_path / "ckpt.pt")
    ckpt = srcgrad.load(tmp_path / "ckpt.pt")
    assert list(ckpt["model"]) == list(model.state_dict())
    model, opt = make()
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["optim"])
    train(model, opt, 3)
    for p, w in zip(model.parameters(), want):
        assert np.array_equal(p.detach().numpy(), w)


def test_plain_checkpoints_never_pickle(tmp_path):
    srcgrad.save({"a": srcgrad.ones(2), "b": [1, "x"], (1, "k"): np.arange(2)}, tmp_path / "c.npz")
    with np.load(tmp_path / "c.npz", allow_pickle=False) as archive:  # readable without pickle
        assert "__srcgrad__" in archive.files and "__pickle__" not in archive.files
        assert all(archive[name].dtype != object for name in archive.files)
        assert json.loads(bytes(archive["__srcgrad__"]))["version"] == 1
    out = srcgrad.load(tmp_path / "c.npz")  # weights_only=True, the default
    assert list(out) == ["a", "b", (1, "k")] and out["b"] == [1, "x"] and out[(1, "k")].tolist() == [0, 1]
    with pytest.raises(SerializationError, match=r"cannot save an object of type builtins\.dict: .*pickle refused"):
        srcgrad.save({"f": lambda x: x}, tmp_path / "bad.npz")
    assert os.listdir(tmp_path) == ["c.npz"]
    srcgrad.save({"objects": np.array([None, 1], dtype=object)}, tmp_path / "o.npz")  # pickled, as PyTorch does
    with pytest.raises(serialization.WeightsOnlyError, match=r"numpy\.ndarray"):
        srcgrad.load(tmp_path / "o.npz")
    assert srcgrad.load(tmp_path / "o.npz", weights_only=False)["objects"].tolist() == [None, 1]


class _Tied(srcgrad.nn.Module):
    """A language-model-like module whose decoder shares the embedding's weight (pytorch/examples' --tied)."""

    def __init__(self):
        super().__init__()
        self.encoder = srcgrad.nn.Embedding(7, 4)
        self.rnn = srcgrad.nn.LSTM(4, 4)
        self.decoder = srcgrad.nn.Linear(4, 7)
        self.decoder.weight = self.encoder.weight
        self.register_buffer("scale", srcgrad.tensor([0.5]))
        self.name = "tied"

    def forward(self, x):
        out, _ = self.rnn(self.encoder(x) * self.scale)
        return self.decoder(out)


def _train_steps(model, opt, steps):
    x = srcgrad.tensor(np.arange(12).reshape(6, 2) % 7)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = srcgrad.nn.functional.cross_entropy(model(x).reshape(-1, 7), x.reshape(-1))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def test_whole_module_and_optimizer_round_trip_with_weights_only_false(tmp_path):
    srcgrad.manual_seed(0)
    model = _Tied()
    opt = srcgrad.optim.Adam(model.parameters(), lr=0.01)
    _train_steps(model, opt, 2)
    srcgrad.save({"model": model, "optim": opt, "epoch": 2}, tmp_path / "model.pt")  # torch.save(model, f)
    with open(tmp_path / "model.pt", "rb") as f:
        ckpt = srcgrad.load(f, weights_only=False)
    loaded, loaded_opt = ckpt["model"], ckpt["optim"]
    assert type(loaded) is _Tied and ckpt["epoch"] == 2 and loaded.name == "tied" and loaded is not model
    assert loaded.decoder.weight is loaded.encoder.weight  # one Parameter, as saved
    assert isinstance(loaded.decoder.weight, srcgrad.nn.Parameter) and loaded.decoder.weight.requires_grad
    params = list(loaded.parameters())
    assert len(params) == 6 and all(p is q for p, q in zip(params, loaded_opt.param_groups[0]["params"], strict=True))
    assert list(loaded.state_dict()) == list(model.state_dict())
    for (name, a), b in zip(model.state_dict().items(), loaded.state_dict().values()):
        assert np.array_equal(a.numpy(), b.numpy()), name
    x = srcgrad.tensor([[1, 2], [3, 4], [5, 6]])
    assert np.array_equal(model(x).detach().numpy(), loaded(x).detach().numpy())
    # training goes on from the loaded model and optimizer exactly as from the originals
    assert _train_steps(loaded, loaded_opt, 3) == _train_steps(model, opt, 3)
    assert np.array_equal(loaded.encoder.weight.detach().numpy(), model.encoder.weight.detach().numpy())


_REBUILT = []


def _record_rebuild(value):
    _REBUILT.append(value)
    return value


class _RunsCodeWhenLoaded:
    """An object whose unpickling calls a function (as any class's pickle can): the file names the code run."""

    def __reduce__(self):
        return (_record_rebuild, ("ran",))


def test_load_refuses_pickled_objects_by_default(tmp_path):
    path = tmp_path / "model.pt"
    srcgrad.save({"model": _Tied(), "hook": _RunsCodeWhenLoaded()}, path)
    with np.load(path, allow_pickle=False) as archive:
        header = json.loads(bytes(archive["__srcgrad__"]))
    assert header["version"] == 2 and header["tree"]["types"] == [
        f"{__name__}._Tied",
        f"{__name__}._RunsCodeWhenLoaded",
    ]
    _REBUILT.clear()
    for weights_only in (None, True):
        with pytest.raises(serialization.WeightsOnlyError) as info:
            srcgrad.load(path, weights_only=weights_only) if weights_only else srcgrad.load(path)
        message = str(info.value)
        assert f"{__name__}._Tied" in message and "model.pt" in message
        assert "weights_only=False" in message and "trust" in message and "state_dict()" in message
        assert isinstance(info.value, pickle.UnpicklingError) and isinstance(info.value, SerializationError)
    assert _REBUILT == []  # nothing in the file ran
    assert srcgrad.load(path, weights_only=False)["hook"] == "ran" and _REBUILT == ["ran"]


def test_pytorchs_environment_variables_choose_weights_only(tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    srcgrad.save(_Tied(), path)
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    with pytest.warns(UserWarning, match="TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD") as warned:
        assert type(srcgrad.load(path)) is _Tied  # a script's torch.load(f) of a whole model, unchanged
    assert warned[0].filename == __file__
    with pytest.raises(serialization.WeightsOnlyError):
        srcgrad.load(path, weights_only=True)  # an explicit choice wins over this variable
    monkeypatch.setenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "yes")
    with pytest.raises(RuntimeError, match="Only one of"):
        srcgrad.load(path)
    monkeypatch.delenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD")
    with pytest.raises(serialization.WeightsOnlyError):
        srcgrad.load(path, weights_only=False)  # this one wins over everything


def test_pickled_checkpoint_errors_are_clear(tmp_path):
    path = tmp_path / "gone.pt"
    blob = pickle.dumps(_RunsCodeWhenLoaded()).replace(b"_record_rebuild", b"_record_rebuilX")  # no such function
    header = {"format": "srcgrad-checkpoint", "version": 2, "tree": {"pickle": "__pickle__", "types": ["T"]}}
    with open(path, "wb") as f:
        np.savez(
            f,
            __srcgrad__=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
            __pickle__=np.frombuffer(blob, dtype=np.uint8),
        )
    with pytest.raises(
        SerializationError,
        match=r"gone\.pt: the pickled objects .* could not be rebuilt: "
        r"AttributeError.*importable",
    ):
        srcgrad.load(path, weights_only=False)
    np.savez(
        tmp_path / "t.npz",
        __srcgrad__=np.frombuffer(
            b'{"format": "srcgrad-checkpoint", "version": 2, "tree": {"tensor": "a0"}}', dtype=np.uint8
        ),
    )
    with pytest.raises(SerializationError, match="corrupt"):
        srcgrad.load(tmp_path / "t.npz", weights_only=False)
