"""Checkpoint files under faults and hostile content.

Saving keeps an existing target's permissions and refuses to replace a
read-only one (``torch.save`` refuses too); a save killed mid-write leaves a
temporary file that the next save of the same target removes. Loading refuses,
with ``SerializationError``, a file whose structure is nested 100,000 deep, an
array that claims more bytes than the file holds (10^11 elements), an integer
Tensor marked ``requires_grad`` and Tensors of strings, dates or records.
"""

import io
import json
import os
import stat
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import srcgrad
from srcgrad.serialization import SerializationError


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_saving_over_a_read_only_file_is_refused(tmp_path):
    path = tmp_path / "ckpt.pt"
    srcgrad.save({"w": srcgrad.ones(2)}, path)
    os.chmod(path, 0o444)
    with pytest.raises(PermissionError, match="read-only"):
        srcgrad.save({"w": srcgrad.zeros(2)}, path)
    assert _mode(path) == 0o444
    np.testing.assert_array_equal(srcgrad.load(path)["w"].numpy(), [1.0, 1.0])
    assert os.listdir(tmp_path) == ["ckpt.pt"]


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664])
def test_saving_over_a_file_keeps_its_permissions(tmp_path, mode):
    path = tmp_path / "ckpt.pt"
    srcgrad.save({"w": srcgrad.ones(2)}, path)
    os.chmod(path, mode)
    srcgrad.save({"w": srcgrad.zeros(3)}, path)
    assert _mode(path) == mode
    assert srcgrad.load(path)["w"].shape == (3,)


_KILLED_SAVE = """
import os, sys
from srcgrad import serialization
fd, tmp = serialization._create_temp(sys.argv[1], "ckpt.pt")
os.write(fd, b"half a checkpoint" * 1000)
os._exit(9)  # killed before the rename: nothing cleans up
"""


def test_a_killed_save_leaves_a_temporary_file_the_next_save_removes(tmp_path):
    path = tmp_path / "ckpt.pt"
    srcgrad.save({"step": 1}, path)
    for _ in range(3):
        subprocess.run([sys.executable, "-c", _KILLED_SAVE, str(tmp_path)], check=False)
    assert len(os.listdir(tmp_path)) == 4
    live = tmp_path / f".ckpt.pt.{os.getppid()}.0123456789ab.tmp"  # a save another live process is writing
    live.write_bytes(b"in progress")
    other = tmp_path / f".other.pt.{os.getpid() + 10**7}.0123456789ab.tmp"  # another target's: not ours to touch
    other.write_bytes(b"x")
    srcgrad.save({"step": 2}, path)
    assert sorted(os.listdir(tmp_path)) == sorted(["ckpt.pt", live.name, other.name])
    assert srcgrad.load(path) == {"step": 2}


def _archive(tree, arrays=None, header_text=None):
    """An .npz with a srcgrad header for ``tree`` (or the raw ``header_text``) and ``arrays``."""
    text = (
        header_text
        if header_text is not None
        else json.dumps({"format": "srcgrad-checkpoint", "version": 1, "tree": tree})
    )
    entries = dict(arrays or {})
    entries["__srcgrad__"] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **entries)
    return buf.getvalue()


def test_a_structure_nested_100000_deep_is_a_serialization_error(tmp_path):
    depth = 100_000
    text = '{"format": "srcgrad-checkpoint", "version": 1, "tree": ' + "[" * depth + "]" * depth + "}"
    path = tmp_path / "deep.pt"
    path.write_bytes(_archive(None, header_text=text))
    with pytest.raises(SerializationError, match="nested too deeply"):
        srcgrad.load(path)


def _npy_claiming(shape, dtype="<f8", data=b"\0" * 64):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buf.getvalue() + data


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_an_array_claiming_more_than_the_file_holds_is_refused_before_allocating(tmp_path, compression):
    path = tmp_path / "huge.pt"
    with zipfile.ZipFile(path, "w", compression) as z:
        z.writestr("a0.npy", _npy_claiming((10**11,)))
        header = json.dumps({"format": "srcgrad-checkpoint", "version": 1, "tree": {"tensor": "a0"}})
        z.writestr("__srcgrad__.npy", _npy_claiming((len(header),), "|u1", header.encode()))
    with pytest.raises(SerializationError, match=r"claims 800000000000 bytes"):
        srcgrad.load(path)


def test_a_header_claiming_more_than_the_file_holds_is_refused(tmp_path):
    path = tmp_path / "huge_header.pt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("__srcgrad__.npy", _npy_claiming((10**12,), "|u1", b"{}"))
    with pytest.raises(SerializationError, match="claims 1000000000000 bytes"):
        srcgrad.load(path)


def test_an_integer_tensor_marked_requires_grad_is_a_serialization_error(tmp_path):
    path = tmp_path / "int.pt"
    path.write_bytes(_archive({"tensor": "a0", "requires_grad": True}, {"a0": np.arange(3)}))
    with pytest.raises(SerializationError, match="int64 is marked requires_grad"):
        srcgrad.load(path)


@pytest.mark.parametrize(
    "array",
    [
        np.array(["a", "bc"]),
        np.array([1, 2], dtype="datetime64[s]"),
        np.zeros(2, dtype=[("x", "<f8")]),
        np.array([b"ab"]),
        np.array([1, 2], dtype="timedelta64[s]"),
    ],
    ids=["unicode", "datetime", "structured", "bytes", "timedelta"],
)
def test_a_tensor_of_strings_dates_or_records_is_a_serialization_error(tmp_path, array):
    path = tmp_path / "odd.pt"
    path.write_bytes(_archive({"tensor": "a0"}, {"a0": array}))
    with pytest.raises(SerializationError, match="no Tensor can hold"):
        srcgrad.load(path)
    path.write_bytes(_archive({"ndarray": "a0"}, {"a0": array}))  # as a plain ndarray it is what numpy saved
    np.testing.assert_array_equal(srcgrad.load(path), array)


def test_well_formed_checkpoints_still_load(tmp_path):
    path = tmp_path / "ok.pt"
    state = {
        "w": srcgrad.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True),
        "n": np.int32(4),
        "empty": srcgrad.zeros(0),
        "labels": np.array(["cat", "dog"]),
    }
    srcgrad.save(state, path)
    back = srcgrad.load(path)
    assert back["w"].requires_grad and back["w"].shape == (2, 3) and back["n"] == 4 and back["empty"].shape == (0,)
    assert back["labels"].tolist() == ["cat", "dog"]
