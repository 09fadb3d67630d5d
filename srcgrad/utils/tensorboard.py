"""``torch.utils.tensorboard``: a ``SummaryWriter`` that logs scalars to TensorBoard event files.

Training scripts log their losses with ``writer.add_scalar("Loss/train", loss,
step)`` (karpathy's makemore does, at its top-level import). srcgrad writes the
same files PyTorch's writer writes, with no dependency: each record is an
``Event`` protocol buffer (wall time, step, a ``Summary`` with one
``simple_value``) framed as a TFRecord (length, masked CRC-32C of the length,
data, masked CRC-32C of the data), in ``LOG_DIR/events.out.tfevents.TIME.HOST.PID.N``.
``tensorboard --logdir LOG_DIR`` reads them.

Scalars are what is written (``add_scalar``, ``add_scalars``); the other
``add_*`` methods of PyTorch's writer (histograms, images, graphs, ...) raise
an ``AttributeError`` that names them.
"""

import os
import socket
import struct
import time
from datetime import datetime

__all__ = ["SummaryWriter"]


def _crc32c_table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data):
    """The CRC-32C (Castagnoli) checksum of ``data``, as TFRecord files use.

    Args:
        data: bytes.

    Returns:
        int: the checksum (``crc32c(b"123456789") == 0xE3069283``).
    """
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _masked_crc(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _varint(n):
    out = bytearray()
    n &= (1 << 64) - 1  # int64 fields encode negatives as ten-byte two's complement
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field_bytes(number, payload):
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _event(wall_time, step=None, file_version=None, summary=None):
    """An ``Event`` message: wall_time (1, double), step (2, int64), file_version (3), summary (5)."""
    out = _varint(1 << 3 | 1) + struct.pack("<d", wall_time)
    if step is not None:
        out += _varint(2 << 3) + _varint(int(step))
    if file_version is not None:
        out += _field_bytes(3, file_version.encode("utf-8"))
    if summary is not None:
        out += _field_bytes(5, summary)
    return out


def _scalar_summary(tag, value):
    """A ``Summary`` with one ``Value``: tag (1, string), simple_value (2, float)."""
    entry = _field_bytes(1, tag.encode("utf-8")) + _varint(2 << 3 | 5) + struct.pack("<f", value)
    return _field_bytes(1, entry)


def _as_float(value, where):
    if hasattr(value, "item"):
        value = value.item()
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"SummaryWriter.{where}: the value must be a number or a one-element Tensor, got {type(value).__name__}"
        ) from None


class _EventFile:
    """One append-only event file: a ``brain.Event:2`` header record, then one record per event."""

    def __init__(self, log_dir, filename_suffix=""):
        os.makedirs(log_dir, exist_ok=True)
        self.log_dir = log_dir
        name = f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}.{os.getpid()}.0{filename_suffix}"
        self.path = os.path.join(log_dir, name)
        self._file = open(self.path, "ab")
        self.write(_event(time.time(), file_version="brain.Event:2"))
        self.flush()

    def write(self, record):
        header = struct.pack("<Q", len(record))
        self._file.write(
            header + struct.pack("<I", _masked_crc(header)) + record + struct.pack("<I", _masked_crc(record))
        )

    def flush(self):
        if not self._file.closed:
            self._file.flush()

    def close(self):
        if not self._file.closed:
            self._file.close()


class SummaryWriter:
    """PyTorch's ``SummaryWriter``: scalars logged to TensorBoard event files in ``log_dir``.

    Args:
        log_dir: the directory (made if missing); default ``runs/MONTHDAY_HH-MM-SS_HOST{comment}``.
        comment: appended to the default ``log_dir``.
        purge_step, max_queue, flush_secs: taken for PyTorch's signature; every
            record is written at once and reaches the disk at ``flush()`` or ``close()``.
        filename_suffix: appended to the event file's name.

    Example:
        >>> writer = SummaryWriter(log_dir="out")      # doctest: +SKIP
        >>> writer.add_scalar("Loss/train", 0.5, 100)  # doctest: +SKIP
    """

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120, filename_suffix=""):
        if log_dir is None:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = os.fspath(log_dir)
        self._suffix = filename_suffix
        self._file = _EventFile(self.log_dir, filename_suffix)
        self._scalars_files = {}

    def get_logdir(self):
        """The directory the event files are written to."""
        return self.log_dir

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False, double_precision=False):
        """Log one scalar.

        Args:
            tag: the series' name, such as ``"Loss/train"``.
            scalar_value: a number or a one-element Tensor.
            global_step: the step (x axis); default none.
            walltime: seconds since the epoch; default now.
            new_style, double_precision: taken for PyTorch's signature (the value is stored as a float).

        Raises:
            TypeError: the value is not a number.
        """
        value = _as_float(scalar_value, "add_scalar")
        wall = time.time() if walltime is None else float(walltime)
        self._file.write(_event(wall, global_step, summary=_scalar_summary(str(tag), value)))

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Log several scalars under one chart, as PyTorch does: each in ``log_dir/MAIN_TAG_TAG``.

        Args:
            main_tag: the chart's name.
            tag_scalar_dict: ``{tag: value}``.
            global_step, walltime: as in ``add_scalar``.
        """
        wall = time.time() if walltime is None else float(walltime)
        for tag, value in tag_scalar_dict.items():
            sub_dir = os.path.join(self.log_dir, f"{main_tag.replace('/', '_')}_{tag}")
            if sub_dir not in self._scalars_files:
                self._scalars_files[sub_dir] = _EventFile(sub_dir, self._suffix)
            summary = _scalar_summary(str(main_tag), _as_float(value, "add_scalars"))
            self._scalars_files[sub_dir].write(_event(wall, global_step, summary=summary))

    def flush(self):
        """Write what was logged to the disk."""
        for f in (self._file, *self._scalars_files.values()):
            f.flush()

    def close(self):
        """Flush and close the event files."""
        for f in (self._file, *self._scalars_files.values()):
            f.flush()
            f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __getattr__(self, name):
        if name.startswith("add_"):
            raise AttributeError(
                f"SummaryWriter.{name} is a PyTorch method srcgrad does not have: srcgrad's "
                "SummaryWriter logs scalars (add_scalar, add_scalars)"
            )
        raise AttributeError(f"'SummaryWriter' object has no attribute {name!r}")
