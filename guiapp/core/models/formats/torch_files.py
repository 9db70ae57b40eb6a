"""``torch.save`` files read without ``torch.load``: tensors are rebuilt from checked
storages, so no size or view in the file is trusted before it is checked.

Two layouts (see ``torch/serialization.py``):

- legacy (before torch 1.6, and every storage nested in an NVIDIA pickle): pickles of the
  magic number, the protocol version 1001 and system info, then the object (each storage a
  persistent id ``('storage', FloatStorage, key, location, numel, view)``), the list of
  storage keys, and for each key an 8-byte element count and the raw bytes;
- zip (torch >= 1.6): ``ARCHIVE/data.pkl`` whose persistent ids name members
  ``ARCHIVE/data/KEY`` holding the raw bytes.

Limits before work: every storage's size is checked against the bytes the file really has
before anything is allocated (a truncated or inflated storage is refused, never grown with
uninitialised memory); zip members must be stored, not compressed (torch never compresses
them; a compressed member is how a zip bomb inflates); tensors must be contiguous views
inside their storage (a zero-stride or overlapping view that declares gigabytes is
refused). A zip archive with ``code/`` or ``constants.pkl`` is TorchScript, which is
compiled code, and is never loaded.
"""

from __future__ import annotations

import io
import math
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any, BinaryIO

import torch

from guiapp.core.models.formats.pickle_numpy import check_shape
from guiapp.core.models.formats.pickle_records import FileRefusal

TORCH_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
"""First object of a legacy (pre-zip) ``torch.save`` file, which is also a pickle."""
LEGACY_PROTOCOL = 1001
MAX_STORAGES = 100_000
MAX_MEMBERS = 200_000

STORAGE_DTYPES = {
    "FloatStorage": torch.float32, "DoubleStorage": torch.float64,
    "HalfStorage": torch.float16, "BFloat16Storage": torch.bfloat16,
    "LongStorage": torch.int64, "IntStorage": torch.int32, "ShortStorage": torch.int16,
    "CharStorage": torch.int8, "ByteStorage": torch.uint8, "BoolStorage": torch.bool,
}  # fmt: skip


class BadTorchFile(FileRefusal):
    """The torch file's storages or tensors are inconsistent (truncated, inflated, strided)."""


class TorchScriptFile(BadTorchFile):
    """The zip archive is a TorchScript program."""


class StorageType:
    """Stand-in for ``torch.FloatStorage`` and friends: a dtype marker in persistent ids."""

    def __init__(self, dtype: torch.dtype) -> None:
        self.dtype = dtype


def storage_globals() -> dict[str, Any]:
    return {f"torch.{name}": StorageType(dtype) for name, dtype in STORAGE_DTYPES.items()}


class Storage:
    """A flat, typed block of numbers that tensors are views of."""

    def __init__(self, flat: torch.Tensor) -> None:
        self.flat = flat


def _int(value: Any, what: str, low: int = 0, high: int = 2**48) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value < high:
        raise BadTorchFile(f"malformed tensor {what} {str(value)[:40]}")
    return value


def rebuild_tensor(storage: Any, offset: Any, size: Any, stride: Any, *_: Any) -> torch.Tensor:
    """``torch._utils._rebuild_tensor(_v2)``: a contiguous view inside ``storage``."""
    if not isinstance(storage, Storage):
        raise BadTorchFile("malformed tensor (no storage)")
    shape = check_shape(size, "tensor")
    offset = _int(offset, "offset")
    if not isinstance(stride, tuple | list) or len(stride) != len(shape):
        raise BadTorchFile("malformed tensor strides")
    expected, step = [], 1
    for n in reversed(shape):
        expected.append(step)
        step *= n
    expected.reverse()
    numel = math.prod(shape)
    if numel and any(n > 1 and s != e for n, s, e in zip(shape, stride, expected, strict=True)):
        raise BadTorchFile(
            f"refused to load: a tensor of shape {shape} is a strided or overlapping view "
            f"(strides {tuple(stride)[:6]}); guiapp reads contiguous tensors only"
        )
    if offset + numel > storage.flat.numel():
        raise BadTorchFile(
            f"malformed tensor: shape {shape} at offset {offset} runs past its storage "
            f"of {storage.flat.numel()} numbers"
        )
    return storage.flat[offset : offset + numel].view(shape)


def _storage_id(pid: Any) -> tuple[str, torch.dtype, int]:
    """``(key, dtype, numel)`` of a persistent id ``('storage', type, key, location, numel)``."""
    if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] != "storage":
        raise BadTorchFile("malformed storage reference")
    kind, key = pid[1], pid[2]
    if not isinstance(kind, StorageType) or not isinstance(key, str):
        raise BadTorchFile("malformed storage reference")
    return key, kind.dtype, _int(pid[4], "storage size")


class _Budget:
    """The bytes a file can still supply: declared storages may not add up to more."""

    def __init__(self, available: int) -> None:
        self.left = available

    def take(self, nbytes: int) -> None:
        if nbytes > self.left:
            raise BadTorchFile(
                f"corrupt or truncated torch file: its storages declare more bytes "
                f"({nbytes}) than the file has left ({max(self.left, 0)})"
            )
        self.left -= nbytes


def _remaining(fh: BinaryIO) -> int:
    here = fh.tell()
    end = fh.seek(0, io.SEEK_END)
    fh.seek(here)
    return end - here


def load_legacy(fh: BinaryIO, unpickler: Any) -> Any:
    """Read a legacy ``torch.save`` stream from ``fh`` (at its magic number).

    ``unpickler(fh, persistent_load)`` makes the restricted unpickler for the object part.
    """
    plain = unpickler(fh, None)
    if plain.load() != TORCH_LEGACY_MAGIC:
        raise BadTorchFile("not a torch file (wrong magic number)")
    if unpickler(fh, None).load() != LEGACY_PROTOCOL:
        raise BadTorchFile("unsupported legacy torch file version")
    info = unpickler(fh, None).load()
    if not isinstance(info, dict) or info.get("little_endian") is not True:
        raise BadTorchFile("the torch file was written on a big-endian machine")
    budget = _Budget(_remaining(fh))
    storages: dict[str, Storage] = {}

    def persistent_load(pid: Any) -> Storage:
        key, dtype, numel = _storage_id(pid)
        if key in storages:
            return storages[key]
        if len(storages) >= MAX_STORAGES:
            raise BadTorchFile("the torch file has too many storages")
        budget.take(numel * dtype.itemsize)
        storages[key] = Storage(torch.empty(numel, dtype=dtype))
        return storages[key]

    obj = unpickler(fh, persistent_load).load()
    keys = unpickler(fh, None).load()
    if not isinstance(keys, list) or sorted(map(str, keys)) != sorted(storages):
        raise BadTorchFile("the torch file's storage list does not match its tensors")
    for key in keys:
        flat = storages[key].flat
        head = fh.read(8)
        if len(head) != 8 or int.from_bytes(head, "little") != flat.numel():
            raise BadTorchFile(f"corrupt or truncated torch file: storage {key} has the wrong size")
        _fill(flat, fh.read(flat.numel() * flat.element_size()), key)
    return obj


def _fill(flat: torch.Tensor, data: bytes, key: str) -> None:
    if len(data) != flat.numel() * flat.element_size():
        raise BadTorchFile(f"corrupt or truncated torch file: storage {key} is cut short")
    if data:
        flat.view(torch.uint8).numpy()[:] = memoryview(data).cast("B")


def check_archive(zf: zipfile.ZipFile, file_size: int) -> str:
    """The archive's ``data.pkl`` member, after refusing TorchScript and compressed or
    oversized members."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise BadTorchFile("the zip archive has too many members")
    names = [i.filename for i in infos]
    if any("/code/" in n or n.endswith("/constants.pkl") for n in names):
        raise TorchScriptFile(
            "is a TorchScript archive (compiled code, which guiapp never loads); "
            "save the generator's state_dict or network pickle instead"
        )
    pkls = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
    if len(pkls) != 1:
        raise BadTorchFile("zip archive without one data.pkl: not a torch.save file")
    for info in infos:
        if info.compress_type != zipfile.ZIP_STORED:
            raise BadTorchFile(
                f"member {info.filename} is compressed; torch.save never compresses, "
                "and guiapp does not inflate members (a zip bomb would)"
            )
        if info.file_size != info.compress_size or info.header_offset + info.file_size > file_size:
            raise BadTorchFile(f"member {info.filename} claims more bytes than the file has")
    byteorder = pkls[0].rsplit("/", 1)[0] + "/byteorder"
    if byteorder in names and zf.read(byteorder).strip() not in (b"little", b""):
        raise BadTorchFile("the torch file was written on a big-endian machine")
    return pkls[0]


def load_zip(path: Path, unpickler: Any) -> Any:
    """Read a zip ``torch.save`` file; ``unpickler(fh, persistent_load)`` as above."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise BadTorchFile(f"corrupt or truncated zip archive ({exc})") from None
    with zf:
        pkl = check_archive(zf, path.stat().st_size)
        prefix = pkl.rsplit("/", 1)[0]
        storages: dict[str, Storage] = {}

        def persistent_load(pid: Any) -> Storage:
            key, dtype, numel = _storage_id(pid)
            if key not in storages:
                try:
                    info = zf.getinfo(f"{prefix}/data/{key}")
                except KeyError:
                    raise BadTorchFile(f"the torch file has no data for storage {key}") from None
                if info.file_size != numel * dtype.itemsize:
                    raise BadTorchFile(
                        f"corrupt or inflated torch file: storage {key} declares "
                        f"{numel * dtype.itemsize} bytes and holds {info.file_size}"
                    )
                flat = torch.empty(numel, dtype=dtype)
                _fill(flat, zf.read(info), key)
                storages[key] = Storage(flat)
            return storages[key]

        with zf.open(pkl) as fh:
            data = fh.read()
        return unpickler(io.BytesIO(data), persistent_load).load()


def rebuild_parameter(data: Any, *_: Any) -> torch.Tensor:
    if not isinstance(data, torch.Tensor):
        raise BadTorchFile("malformed parameter")
    return data


class NamespaceRecord(dict):
    """``argparse.Namespace`` (rosinality's training ``args``) read as a dict."""

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, dict):
            self.update(state)


def tensor_globals() -> dict[str, Any]:
    """Names a torch file may use for tensors and their containers."""
    return {
        "torch._utils._rebuild_tensor": rebuild_tensor,
        "torch._utils._rebuild_tensor_v2": rebuild_tensor,
        "torch._utils._rebuild_parameter": rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": rebuild_parameter,
        "collections.OrderedDict": OrderedDict,
        "torch.Size": torch.Size,
        **storage_globals(),
    }
