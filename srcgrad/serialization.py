"""``save`` and ``load``: checkpoints as ``.npz`` archives; pickle only for what needs it, loaded only on request.

A checkpoint is a numpy ``.npz`` archive. Every array in the saved object (a
Tensor's values, an ndarray) becomes one entry, ``a0``, ``a1``, ...; the
structure around them (dicts with their key types and order, lists, tuples,
numbers, strings, None, and which leaves are Tensors) is one JSON document,
stored as UTF-8 bytes in the entry ``__srcgrad__``, whose array leaves name
their entries. Such a file (format version 1: state dicts, optimizer states,
nested containers of Tensors) is read with ``np.load(..., allow_pickle=False)``
and builds only the types listed above, so loading it can never run code.

An object outside those types (a whole ``nn.Module``, an optimizer, a user's
class), as ``torch.save(model, f)`` saves, is pickled whole, as PyTorch does,
into the entry ``__pickle__`` (format version 2); its Tensors and ndarrays
still go to ``a0``, ``a1``, ... (pickle's persistent ids name them), so a
Tensor held twice (tied weights) comes back as one Tensor. The header lists
the types that needed pickling. ``load`` unpickles only when told
``weights_only=False``; by default (``weights_only=True``, PyTorch's default
since 2.6) it refuses such a file, naming those types, before reading any of
the pickle.

Saving writes a temporary file in the target's directory, flushes it to disk
and renames it over the target (``os.replace``), so a crash mid-save leaves the
previous checkpoint intact. The temporary file's name holds the saving
process's id, so the next save of the same target removes the ones that
killed processes left. An existing target keeps its permissions, and a
read-only one is not replaced (``PermissionError``, as ``torch.save`` gives).

Loading trusts nothing in the file: every array's header is read before its
data, and an array that claims more bytes than the archive holds, a dtype a
Tensor cannot hold, or a structure nested deeper than Python can walk is a
``SerializationError``, never a ``MemoryError`` or ``RecursionError``.
"""

import io
import json
import math
import os
import pickle
import re
import secrets
import stat
import warnings
import zipfile
from collections import Counter, OrderedDict

import numpy as np

from .errors import SrcgradError
from .tensor import Tensor, check_data

__all__ = ["save", "load", "SerializationError", "WeightsOnlyError"]

_MAGIC = "srcgrad-checkpoint"
_PLAIN = 1  # format version of a checkpoint without pickled objects (readable by every srcgrad)
_PICKLED = 2  # format version of one holding a pickled object
_HEADER = "__srcgrad__"
_PICKLE = "__pickle__"
_TRUE = ("1", "y", "yes", "true")  # what PyTorch's TORCH_FORCE_(NO_)WEIGHTS_ONLY_LOAD read as set


class SerializationError(SrcgradError, RuntimeError):
    """A checkpoint could not be written or read (not one of srcgrad's, truncated, or unsupported content)."""


class WeightsOnlyError(SerializationError, pickle.UnpicklingError):
    """``load(f)`` (``weights_only=True``) of a checkpoint holding pickled objects, whose loading would run code.

    An ``UnpicklingError`` too, as PyTorch's ``torch.load`` raises there.
    """


def save(obj, f):
    """Save ``obj`` to a checkpoint file (an ``.npz`` archive).

    Args:
        obj: what to save. A Tensor, an ndarray, a number, string, bool or None, or
            (nested) dicts, lists and tuples of them, such as a module's or an
            optimizer's ``state_dict()``, is stored without pickle (dict keys may be
            strings, ints, floats, bools, None or tuples of them) and loads with
            the default ``weights_only=True``. Any other picklable object (a whole
            ``nn.Module``, an optimizer, a dict holding one), as ``torch.save``
            takes, is pickled with its Tensors stored as arrays; it loads only with
            ``load(f, weights_only=False)``.
        f: a path (written atomically: the old file survives a failed save) or a
            writable binary file object.

    Raises:
        SerializationError: ``obj`` holds something pickle cannot save (a lambda, a
            local class, an open file), or an array of Python objects in a Tensor.
        PermissionError: the target file exists and is read-only (no write permission bit set).
    """
    arrays = {}
    foreign = []
    tree = _encode(obj, arrays, foreign)
    version = _PLAIN
    if foreign:  # pickle the whole object, as PyTorch does, so that objects shared between its parts stay shared
        arrays = {}
        arrays[_PICKLE] = np.frombuffer(_pickle(obj, arrays), dtype=np.uint8)
        tree = {"pickle": _PICKLE, "types": _type_names(foreign)}
        version = _PICKLED
    header = json.dumps({"format": _MAGIC, "version": version, "tree": tree}, allow_nan=True)
    arrays[_HEADER] = np.frombuffer(header.encode("utf-8"), dtype=np.uint8)
    if hasattr(f, "write"):
        np.savez(f, **arrays)
        return
    path = os.path.realpath(os.fspath(f))  # through a symlink: replace the file it points to, keep the link
    directory = os.path.dirname(path)
    try:
        old = os.stat(path)
    except FileNotFoundError:
        old = None
    if old is not None and stat.S_ISREG(old.st_mode) and not old.st_mode & 0o222:
        raise PermissionError(
            13, "Permission denied: the checkpoint file is read-only, so srcgrad.save does not replace it", os.fspath(f)
        )
    _remove_stale_temps(directory, os.path.basename(path))
    fd, tmp = _create_temp(directory, os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as out:
            np.savez(out, **arrays)
            out.flush()
            if old is not None and stat.S_ISREG(old.st_mode):
                os.chmod(out.fileno(), stat.S_IMODE(old.st_mode))  # the new file keeps the old one's permissions
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_directory(directory)


def load(f, map_location=None, weights_only=None, **kwargs):
    """Load an object saved by ``save``.

    Args:
        f: a path or a readable binary file object.
        map_location: accepted for PyTorch compatibility; ignored (srcgrad runs on the CPU).
        weights_only: ``True`` (the default, as in PyTorch since 2.6): load only Tensors,
            ndarrays, numbers, strings, None and dicts, lists and tuples of them, and refuse
            a checkpoint holding pickled objects (loading one runs code the file names).
            ``False``: unpickle those too; only for a file from a source you trust. As in
            PyTorch, the environment variable ``TORCH_FORCE_WEIGHTS_ONLY_LOAD=1`` makes every
            load weights-only, and ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1`` makes a load that
            does not pass ``weights_only`` unpickle (with a warning).

    Returns:
        The object, with Tensors, ndarrays (dtype and shape kept), dicts (key order
        and key types kept; ``OrderedDict`` stays ``OrderedDict``), lists and tuples;
        with ``weights_only=False``, the pickled object as it was saved.

    Raises:
        FileNotFoundError, PermissionError, IsADirectoryError: the path cannot be opened.
        WeightsOnlyError: the checkpoint holds pickled objects and ``weights_only`` is not False
            (a ``SerializationError`` and a ``pickle.UnpicklingError``).
        SerializationError: the file is not a srcgrad checkpoint, or is truncated or corrupt, or
            its pickled objects could not be rebuilt (a class that cannot be imported here).
    """
    weights_only = _weights_only(weights_only)
    name = f if not hasattr(f, "read") else getattr(f, "name", "<file object>")
    name = os.fspath(name) if isinstance(name, os.PathLike) else name
    if not hasattr(f, "read"):
        f = os.fspath(f)
        if not os.path.exists(f):
            raise FileNotFoundError(f"No such file: {f!r}")
    try:
        archive = np.load(f, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise SerializationError(
                f"{name!s} is not a srcgrad checkpoint (a bare .npy array, not an .npz archive written by srcgrad.save)"
            )
        with archive:
            if _HEADER not in archive.files:
                raise SerializationError(
                    f"{name!s} is not a srcgrad checkpoint (no {_HEADER} entry); it was not written by srcgrad.save"
                )
            header = json.loads(bytes(_array(archive, _HEADER, name, reserved=True)).decode("utf-8"))
            if not isinstance(header, dict) or header.get("format") != _MAGIC:
                raise SerializationError(f"{name!s} is not a srcgrad checkpoint (bad header)")
            if header.get("version") not in (_PLAIN, _PICKLED):
                raise SerializationError(
                    f"{name!s} is a srcgrad checkpoint of format version "
                    f"{header.get('version')}, which this srcgrad cannot read"
                )
            tree = header["tree"]
            if header["version"] == _PICKLED:
                return _unpickle(tree, archive, name, weights_only)
            return _decode(tree, archive, name)
    except SerializationError:
        raise
    except RecursionError:
        raise SerializationError(f"{name!s}: the checkpoint's structure is nested too deeply to read") from None
    except (
        ValueError,
        OSError,
        EOFError,
        KeyError,
        TypeError,
        zipfile.BadZipFile,
        UnicodeDecodeError,
        json.JSONDecodeError,
        MemoryError,
    ) as exc:
        if isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError)):
            raise
        raise SerializationError(
            f"{name!s} is not a readable srcgrad checkpoint (not an .npz archive, truncated or corrupt): {exc}"
        ) from exc


def _weights_only(weights_only):
    """``load``'s ``weights_only`` after PyTorch's environment variables, as ``torch.load`` reads them."""
    force = os.environ.get("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "0").lower() in _TRUE
    force_no = os.environ.get("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "0").lower() in _TRUE
    if force and force_no:
        raise RuntimeError(
            "Only one of `TORCH_FORCE_WEIGHTS_ONLY_LOAD` or `TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD` "
            "should be set, but both were set."
        )
    if force:
        return True
    if weights_only is None and force_no:
        warnings.warn(
            "Environment variable TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD detected, since the `weights_only` "
            "argument was not explicitly passed to `load`, forcing weights_only=False.",
            UserWarning,
            stacklevel=3,
        )
        return False
    return True if weights_only is None else bool(weights_only)


# -- whole objects as pickle --------------------------------------------------------------


class _Pickler(pickle.Pickler):
    """Pickles an object, storing each Tensor and ndarray in it as an archive entry (a persistent id).

    A Tensor held in several places is stored once and named by the same id each time.
    """

    def __init__(self, file, arrays):
        super().__init__(file, protocol=4)
        self._arrays = arrays
        self._ids = {}  # id(obj) -> (its node, obj), obj kept so that its id stays its own

    def persistent_id(self, obj):
        if not (isinstance(obj, Tensor) or (type(obj) is np.ndarray and not obj.dtype.hasobject)):
            return None
        known = self._ids.get(id(obj))
        if known is None:
            known = self._ids[id(obj)] = (_encode(obj, self._arrays, None), obj)
        return known[0]


class _Unpickler(pickle.Unpickler):
    """Unpickles what ``_Pickler`` wrote, reading each persistent id's array from the archive (once)."""

    def __init__(self, file, archive, name):
        super().__init__(file)
        self._archive = archive
        self._name = name
        self._loaded = {}

    def persistent_load(self, pid):
        if not isinstance(pid, dict) or not isinstance(pid.get("tensor", pid.get("ndarray")), str):
            raise SerializationError(
                f"{self._name!s}: corrupt srcgrad checkpoint (a pickled reference "
                f"to {pid!r}, not to an array of the archive)"
            )
        entry = pid.get("tensor", pid.get("ndarray"))
        if entry not in self._loaded:
            self._loaded[entry] = _decode(pid, self._archive, self._name)
        return self._loaded[entry]


def _pickle(obj, arrays):
    """The pickle of ``obj``, its Tensors and ndarrays stored in ``arrays``."""
    out = io.BytesIO()
    try:
        _Pickler(out, arrays).dump(obj)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        raise SerializationError(
            f"srcgrad.save cannot save an object of type {type(obj).__module__}."
            f"{type(obj).__qualname__}: it is not only Tensors, ndarrays, numbers, strings and "
            f"dicts/lists/tuples of them, so it is pickled, and pickle refused: {exc}"
        ) from exc
    return out.getvalue()


def _unpickle(tree, archive, name, weights_only):
    """The object of a checkpoint holding a pickle: refused unless ``weights_only`` is False."""
    if not isinstance(tree, dict) or tree.get("pickle") != _PICKLE or not isinstance(tree.get("types"), list):
        raise SerializationError(f"{name!s}: corrupt srcgrad checkpoint structure")
    types = ", ".join(map(str, tree["types"])) or "objects"
    if weights_only:
        raise WeightsOnlyError(
            f"Weights only load refused: {name!s} holds pickled Python objects ({types}). load(f) loads only "
            "Tensors, ndarrays, numbers, strings, None and dicts/lists/tuples of them by default "
            "(weights_only=True, as torch.load since PyTorch 2.6), because unpickling runs code named in the file. "
            "Pass weights_only=False only if you trust the source of the file (for a script you cannot change, the "
            "environment variable TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 does that, as in PyTorch); or save the model's "
            "state_dict() instead and restore it with model.load_state_dict(load(f))."
        )
    blob = bytes(_array(archive, _PICKLE, name, reserved=True))
    try:
        return _Unpickler(io.BytesIO(blob), archive, name).load()
    except SerializationError:
        raise
    except Exception as exc:  # what rebuilding the objects raised: a class that cannot be imported here, ...
        raise SerializationError(
            f"{name!s}: the pickled objects ({types}) could not be rebuilt: "
            f"{type(exc).__name__}: {exc} (their classes must be importable by the same names "
            "as when the file was saved)"
        ) from exc


# -- the structure as JSON ------------------------------------------------------------------


def _encode(obj, arrays, foreign):
    """The JSON node for ``obj``; arrays go into ``arrays`` under fresh names.

    An object JSON cannot hold is appended to ``foreign`` (its node is None); ``save`` then pickles
    the whole object instead. ``foreign`` None (inside a pickle) means no such object comes here.
    """
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int) and not isinstance(obj, bool):
        return {"int": str(obj)} if abs(obj) >= 2**53 else obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"float": repr(obj)}
    if isinstance(obj, Tensor):
        node = {"tensor": _store(obj._value, arrays)}
        if obj.requires_grad:
            node["requires_grad"] = True
        if type(obj).__name__ == "Parameter":
            node["parameter"] = True
        return node
    if isinstance(obj, np.ndarray) and not obj.dtype.hasobject:
        return {"ndarray": _store(obj, arrays)}
    if isinstance(obj, np.generic):
        return {"scalar": _store(np.asarray(obj), arrays)}
    if isinstance(obj, dict):
        keys = [_encode_key(k) for k in obj]
        if _FOREIGN in keys:
            foreign.extend(k for k, node in zip(obj, keys) if node is _FOREIGN)
            return None
        kind = "odict" if isinstance(obj, OrderedDict) else "counter" if isinstance(obj, Counter) else "dict"
        return {kind: [[k, _encode(v, arrays, foreign)] for k, v in zip(keys, obj.values())]}
    if type(obj) is tuple:  # a named tuple or Size is pickled, keeping its type
        return {"tuple": [_encode(v, arrays, foreign) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v, arrays, foreign) for v in obj]
    foreign.append(obj)
    return None


_FOREIGN = object()  # _encode_key's answer for a key JSON cannot hold


def _encode_key(key):
    if key is None or isinstance(key, (str, bool, int, float)):
        return _encode(key, None, None)
    if isinstance(key, np.integer):
        return int(key)
    if type(key) is tuple:
        parts = [_encode_key(k) for k in key]
        return _FOREIGN if _FOREIGN in parts else {"tuple": parts}
    return _FOREIGN


def _type_names(objects):
    """The distinct types of ``objects``, as ``module.QualifiedName``, in order of first appearance."""
    names = []
    for obj in objects:
        name = f"{type(obj).__module__}.{type(obj).__qualname__}"
        if name not in names:
            names.append(name)
    return names


def _store(value, arrays):
    value = np.asarray(value)
    if value.dtype.hasobject:
        raise SerializationError("srcgrad.save cannot save an array of Python objects (dtype=object) in a Tensor")
    name = f"a{len(arrays)}"
    arrays[name] = value
    return name


def _decode(node, archive, name):
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):
        return [_decode(v, archive, name) for v in node]
    if not isinstance(node, dict) or len(node) == 0:
        raise SerializationError(f"{name!s}: corrupt srcgrad checkpoint structure")
    if "tensor" in node:
        value = _array(archive, node["tensor"], name)
        try:
            check_data(value, value)
        except (TypeError, ValueError) as exc:
            raise SerializationError(f"{name!s}: a Tensor entry holds an array no Tensor can hold: {exc}") from None
        if node.get("requires_grad") and value.dtype.kind not in "fc":
            raise SerializationError(
                f"{name!s}: a Tensor of {value.dtype} is marked requires_grad (only floating "
                "point and complex Tensors can require gradients): the file is corrupt"
            )
        t = Tensor._wrap(value)
        if node.get("parameter"):
            t = _as_parameter(t, node.get("requires_grad", False))
        elif node.get("requires_grad"):
            t.requires_grad_(True)
        return t
    if "ndarray" in node:
        return _array(archive, node["ndarray"], name)
    if "scalar" in node:
        return _array(archive, node["scalar"], name)[()]
    if "int" in node:
        return int(node["int"])
    if "float" in node:
        return float(node["float"])
    if "tuple" in node:
        return tuple(_decode(v, archive, name) for v in node["tuple"])
    for kind, cls in (("dict", dict), ("odict", OrderedDict), ("counter", Counter)):
        if kind in node:
            out = cls()
            for key, value in node[kind]:
                out[_decode(key, archive, name)] = _decode(value, archive, name)
            return out
    raise SerializationError(f"{name!s}: corrupt srcgrad checkpoint structure (unknown node {sorted(node)})")


def _array(archive, entry, name, reserved=False):
    """Read one array of the archive, after checking what its ``.npy`` header claims.

    ``reserved``: the entry is the header or the pickle (an array leaf naming either is corrupt).

    The header is read first: an array that claims more bytes than its zip
    member can hold (a stored member holds its size; a deflated one at most
    1032 times its compressed size, deflate's limit) is refused before any
    memory is set aside for it.
    """
    if not isinstance(entry, str) or (entry in (_HEADER, _PICKLE)) != reserved or entry not in archive.files:
        raise SerializationError(f"{name!s}: corrupt srcgrad checkpoint (missing array {entry!r})")
    info = archive.zip.getinfo(entry + ".npy")
    with archive.zip.open(info) as member:
        version = np.lib.format.read_magic(member)
        read_header = _NPY_HEADERS.get(version)
        if read_header is None:
            raise SerializationError(f"{name!s}: array {entry!r} has an unknown .npy format version {version}")
        shape, _, dtype = read_header(member)
        offset = member.tell()
    if dtype.hasobject:
        raise SerializationError(f"{name!s}: array {entry!r} holds Python objects, which srcgrad never loads")
    claimed = math.prod(shape) * dtype.itemsize
    limit = info.file_size - offset
    if info.compress_type != zipfile.ZIP_STORED:
        limit = min(limit, info.compress_size * 1032)
    if claimed > limit or info.compress_size > archive_size(archive):
        raise SerializationError(
            f"{name!s}: array {entry!r} claims {claimed} bytes ({dtype}, shape {shape}) but "
            f"its entry holds at most {max(limit, 0)}: the file is corrupt"
        )
    value = archive[entry]
    return np.array(value, copy=True) if not value.flags.writeable else value


_NPY_HEADERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def archive_size(archive):
    """The size in bytes of the file behind an open ``NpzFile`` (a bound on what any member can hold)."""
    fp = archive.zip.fp
    try:
        return os.fstat(fp.fileno()).st_size
    except (AttributeError, OSError, ValueError):
        here = fp.tell()
        try:
            return fp.seek(0, os.SEEK_END)
        finally:
            fp.seek(here)


def _as_parameter(t, requires_grad):
    try:
        from .nn import Parameter
    except ImportError:
        return t.requires_grad_(True) if requires_grad else t
    try:
        return Parameter(t, requires_grad=requires_grad)
    except TypeError:
        return t.requires_grad_(True) if requires_grad else t


def _create_temp(directory, name):
    """Create a new temporary file beside the target, with the permissions a new file normally gets (umask).

    Its name, ``.NAME.PID.RANDOM.tmp``, holds this process's id, so a later save can tell a temporary file
    that a killed process left (``_remove_stale_temps``) from one another process is writing now.
    """
    while True:
        tmp = os.path.join(directory, f".{name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666), tmp
        except FileExistsError:
            continue


def _remove_stale_temps(directory, name):
    """Remove the temporary files of earlier saves of ``name`` whose process is gone (killed mid-save).

    A temporary file of a live process (a save running now elsewhere) is left
    alone; so is one this process is writing. Best effort: a file that cannot
    be removed stays.
    """
    pattern = re.compile(r"\." + re.escape(name) + r"\.(\d+)\.[0-9a-f]{12}\.tmp")
    try:
        entries = os.listdir(directory)
    except OSError:
        return
    for entry in entries:
        match = pattern.fullmatch(entry)
        if match is None or _alive(int(match.group(1))):
            continue
        try:
            os.unlink(os.path.join(directory, entry))
        except OSError:
            pass


def _alive(pid):
    """Whether process ``pid`` exists on this machine (this process counts as alive)."""
    if pid == os.getpid() or os.name == "nt":  # Windows' os.kill would end the process: keep its file
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, OverflowError):
        return True  # exists under another user, or cannot be asked: keep its file
    return True


def _fsync_directory(directory):
    """Make the rename durable (best effort: not every platform can open a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
