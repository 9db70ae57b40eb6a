"""Read named arrays from ``.npz`` and safetensors bytes with every size bounded first.

``np.load`` trusts a zip member's header: a 2 kB member can inflate to gigabytes (a zip
bomb), and an ``.npy`` header may declare any shape. Here the member count, each member's
declared unpacked size, the ``.npy`` header's shape and dtype are checked before a byte is
inflated, and no member is read past the size its header promises. Only plain numeric
dtypes in native layout are accepted (plus a unicode string for the ``meta`` entry): no
objects, no records, no sub-arrays.

Safetensors: the header is parsed here (8-byte length, JSON) with the same bounds; the
arrays come from the ``safetensors`` library, which checks offsets against the buffer.
Every failure is a ValueError with a plain sentence; callers add the file name.
"""

from __future__ import annotations

import io
import json
import math
import struct
import zipfile
from typing import IO, Any

import numpy as np

MAX_MEMBERS = 256
MAX_HEADER_BYTES = 16 << 20
NUMERIC_KINDS = "biuf"


def check_dtype(dtype: np.dtype, name: str, text_ok: bool = False) -> None:
    """Refuse anything but a plain number (or, with ``text_ok``, unicode text) dtype."""
    kinds = NUMERIC_KINDS + ("U" if text_ok else "")
    if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None:
        raise ValueError(f"array {name!r} has a structured or object dtype ({dtype})")
    if dtype.kind not in kinds:
        raise ValueError(f"array {name!r} has an unsupported dtype ({dtype})")
    if dtype.byteorder not in ("=", "|", np.dtype("=f4").str[0]):
        raise ValueError(f"array {name!r} is not in this machine's byte order ({dtype})")


def _npy_header(member: Any, name: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """(shape, fortran order, dtype) from an ``.npy`` header; ValueError if it is damaged."""
    version = np.lib.format.read_magic(member)
    if version == (1, 0):
        read = np.lib.format.read_array_header_1_0
    elif version in ((2, 0), (3, 0)):
        read = np.lib.format.read_array_header_2_0
    else:
        raise ValueError(f"array {name!r} has an unknown .npy version {version}")
    try:
        return read(member)
    except ValueError:
        raise
    except Exception as exc:  # numpy's header parser (tokenize, ast) raises many kinds
        raise ValueError(f"array {name!r} has a damaged header ({type(exc).__name__})") from None


def _npy_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> np.ndarray:
    """One ``.npy`` member, read only as far as its header's (checked) size."""
    name = info.filename[:-4]
    with zf.open(info) as member:
        shape, fortran, dtype = _npy_header(member, name)
        check_dtype(dtype, name, text_ok=name == "meta")
        if any(int(n) < 0 for n in shape):
            raise ValueError(f"array {name!r} has a negative size in its shape {shape}")
        count = math.prod(int(n) for n in shape)
        nbytes = count * dtype.itemsize
        if nbytes > info.file_size or nbytes > budget:
            raise ValueError(
                f"array {name!r} declares {nbytes} bytes but its member holds {info.file_size}"
            )
        data = member.read(nbytes)
    if len(data) != nbytes:
        raise ValueError(f"array {name!r} is truncated")
    flat = np.frombuffer(data, dtype=dtype, count=count)
    return flat.reshape(shape, order="F" if fortran else "C").copy()


def read_npz(data: bytes | IO[bytes], max_bytes: int) -> dict[str, np.ndarray]:
    """Arrays of an ``.npz`` (bytes, or a seekable binary file read member by member), at
    most ``max_bytes`` unpacked in all."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise ValueError(f"not a readable zip archive ({exc})") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ValueError(f"{len(infos)} members (at most {MAX_MEMBERS})")
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            raise ValueError("duplicate member names")
        declared = sum(i.file_size for i in infos)
        if declared > max_bytes:
            raise ValueError(f"its members unpack to {declared} bytes (at most {max_bytes})")
        arrays: dict[str, np.ndarray] = {}
        for info in infos:
            if not info.filename.endswith(".npy") or info.is_dir():
                raise ValueError(f"member {info.filename!r} is not an .npy array")
            try:
                arrays[info.filename[:-4]] = _npy_member(zf, info, max_bytes)
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError,
                    RuntimeError, SyntaxError, struct.error) as exc:
                # RuntimeError: encrypted member; NotImplementedError: unknown compression
                raise ValueError(f"member {info.filename!r} is damaged ({exc})") from None
    return arrays


def safetensors_header(data: bytes) -> dict[str, Any]:
    """The JSON header of safetensors bytes (ValueError if it is not one)."""
    if len(data) < 8:
        raise ValueError("too short for a safetensors file")
    (size,) = struct.unpack("<Q", data[:8])
    if size > MAX_HEADER_BYTES or 8 + size > len(data):
        raise ValueError("not a safetensors file (bad header length)")
    try:
        header = json.loads(data[8 : 8 + size].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ValueError(f"not a safetensors file ({type(exc).__name__})") from None
    if not isinstance(header, dict):
        raise ValueError("not a safetensors file (header is not an object)")
    return header


def safetensors_metadata(data: bytes, key: str) -> str | None:
    """The string under ``key`` in a safetensors header's ``__metadata__`` (None: absent)."""
    meta = safetensors_header(data).get("__metadata__")
    value = meta.get(key) if isinstance(meta, dict) else None
    return value if isinstance(value, str) else None


def read_safetensors(data: bytes) -> dict[str, np.ndarray]:
    """Arrays of safetensors bytes (numeric dtypes only)."""
    header = safetensors_header(data)
    if len(header) > MAX_MEMBERS:
        raise ValueError(f"{len(header)} tensors (at most {MAX_MEMBERS})")
    from safetensors.numpy import load

    try:
        arrays = load(data)
    except Exception as exc:  # the library's own error types; its message is one line
        raise ValueError(f"damaged safetensors data ({' '.join(str(exc).split())})") from None
    for name, arr in arrays.items():
        check_dtype(arr.dtype, name)
    return arrays
