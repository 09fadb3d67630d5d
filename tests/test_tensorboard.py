"""``torch.utils.tensorboard.SummaryWriter``: scalars logged to event files TensorBoard reads.

The files are checked three ways: framed and checksummed as TFRecords (decoded
here by hand, with a bit-by-bit CRC-32C), read back by TensorBoard's own
reader when ``tensorboard`` is installed, and compared with what PyTorch's
writer logs when both are installed.
"""

import glob
import os
import struct

import numpy as np
import pytest

import srcgrad
from srcgrad import porting
from srcgrad.utils.tensorboard import SummaryWriter, crc32c


def bitwise_crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 * (crc & 1))
    return crc ^ 0xFFFFFFFF


def masked(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def records(path):
    """The TFRecord payloads of an event file, each checksum verified."""
    raw = open(path, "rb").read()
    out, at = [], 0
    while at < len(raw):
        header = raw[at : at + 8]
        (length,) = struct.unpack("<Q", header)
        assert struct.unpack("<I", raw[at + 8 : at + 12])[0] == masked(bitwise_crc32c(header))
        payload = raw[at + 12 : at + 12 + length]
        assert struct.unpack("<I", raw[at + 12 + length : at + 16 + length])[0] == masked(bitwise_crc32c(payload))
        out.append(payload)
        at += 16 + length
    return out


def test_crc32c_check_value():
    assert crc32c(b"123456789") == 0xE3069283 == bitwise_crc32c(b"123456789")
    assert crc32c(b"") == 0


def test_scalars_are_checksummed_records(tmp_path):
    with SummaryWriter(log_dir=tmp_path / "run") as writer:
        writer.add_scalar("Loss/train", srcgrad.tensor(0.25), 500)
        writer.add_scalar("Loss/test", np.float32(1.5), global_step=1000, walltime=12.5)
    (path,) = glob.glob(str(tmp_path / "run" / "events.out.tfevents.*"))
    header, first, second = records(path)
    assert b"brain.Event:2" in header
    # Event: wall_time (field 1, fixed64), step (2, varint 1000 = e8 07), summary (5) holding
    # Value: tag (1) "Loss/test", simple_value (2, fixed32)
    assert second[:9] == b"\x09" + struct.pack("<d", 12.5)
    assert second[9:12] == b"\x10\xe8\x07"
    assert b"\x0a\x09Loss/test\x15" + struct.pack("<f", 1.5) in second
    assert b"Loss/train\x15" + struct.pack("<f", 0.25) in first and b"\x10\xf4\x03" in first


def test_other_add_methods_are_named(tmp_path):
    writer = SummaryWriter(log_dir=tmp_path)
    with pytest.raises(AttributeError, match="SummaryWriter.add_histogram is a PyTorch method srcgrad does not"):
        writer.add_histogram("w", srcgrad.zeros(3), 0)
    with pytest.raises(TypeError, match="add_scalar: the value must be a number"):
        writer.add_scalar("x", "high", 0)
    writer.close()


def test_the_runner_resolves_torch_utils_tensorboard(tmp_path):
    script = tmp_path / "log.py"
    script.write_text(
        "from torch.utils.tensorboard import SummaryWriter\n"
        "import sys\n"
        "w = SummaryWriter(log_dir=sys.argv[1])\n"
        "w.add_scalar('loss', 2.0, 1)\n"
        "w.flush()\n"
    )
    porting.run_script(str(script), [str(tmp_path / "logs")])
    (path,) = glob.glob(str(tmp_path / "logs" / "events.out.tfevents.*"))
    assert len(records(path)) == 2


def read_scalars(log_dir):
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    acc = event_accumulator.EventAccumulator(str(log_dir))
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def log_some(writer_class, log_dir):
    writer = writer_class(log_dir=str(log_dir))
    for step in (0, 10, 20):
        writer.add_scalar("Loss/train", 3.0 / (step + 1), step)
    writer.add_scalar("neg", -0.5, -3)
    writer.add_scalars("run", {"a": 1.0, "b": 2.0}, 7)
    writer.close()


def test_tensorboard_reads_the_files(tmp_path):
    log_some(SummaryWriter, tmp_path / "ours")
    scalars = read_scalars(tmp_path / "ours")
    assert scalars == {
        "Loss/train": [(0, 3.0), (10, pytest.approx(3.0 / 11, rel=1e-7)), (20, pytest.approx(3.0 / 21, rel=1e-7))],
        "neg": [(-3, -0.5)],
    }
    assert read_scalars(tmp_path / "ours" / "run_a") == {"run": [(7, 1.0)]}
    assert read_scalars(tmp_path / "ours" / "run_b") == {"run": [(7, 2.0)]}


def test_same_scalars_as_pytorch(tmp_path):
    pytest.importorskip("tensorboard")
    torch_tb = pytest.importorskip("torch.utils.tensorboard")
    log_some(SummaryWriter, tmp_path / "ours")
    log_some(torch_tb.SummaryWriter, tmp_path / "theirs")
    for sub in ("", "run_a", "run_b"):
        assert read_scalars(tmp_path / "ours" / sub) == read_scalars(tmp_path / "theirs" / sub)
    assert sorted(os.listdir(tmp_path / "ours"))[-2:] == ["run_a", "run_b"]
