"""Builders of real and hostile data files: direction sets (.npz, safetensors), sessions.

The valid files are made by guiapp's own writers (``save_direction_set``,
``save_session``) from small sets for the built-in model (z, 100-D); the hostile ones are
those files with one thing changed: a JSON field, an ``.npy`` header, a zip member, or the
file replaced by a FIFO, a device, a folder or a symlink loop.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from guiapp.core.direction_meta import direction_set_meta
from guiapp.core.io import save_direction_set
from guiapp.core.session_io import save_session, session_to_json
from guiapp.core.types import Direction, DirectionSet, Edit, Ranking, Session
from guiapp.core.workspace import WorkspaceSession

REF = "builtin:dcgan-digiface"
DIM = 100  # the built-in model edits z, 100-D


def plain_set(k: int = 4, seed: int = 0) -> DirectionSet:
    """K random unit directions in the built-in model's z space."""
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(k, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    dirs = tuple(Direction(vectors[i], float(k - i), 1.0, f"d{i}") for i in range(k))
    plot = Ranking("eigenvalues", tuple(float(k - i) for i in range(k)))  # hook: typed
    return DirectionSet("sefa", "z", "", {"k": k}, dirs, plot)


def linear_set(k: int = 2, steps: int = 2) -> DirectionSet:
    """A LatentCLR linear direction set (latent-dependent directions, version 2 file)."""
    import torch

    from guiapp.core.direction_models import ConditionalDirections, LinearDirections

    model = LinearDirections(k, DIM, torch.Generator().manual_seed(0))
    base = plain_set(k)
    return DirectionSet("latentclr", "z", "", {"k": k}, base.directions,
                        conditional=ConditionalDirections(model, steps))


def write_sets(folder: Path) -> dict[str, Path]:
    """The valid files every mutation starts from."""
    paths = {
        "npz": folder / "sefa.npz",
        "st": folder / "sefa.safetensors",
        "linear": folder / "linear.npz",
        "session": folder / "session.json",
    }
    save_direction_set(paths["npz"], plain_set())
    save_direction_set(paths["st"], plain_set())
    save_direction_set(paths["linear"], linear_set())
    save_session(paths["session"], good_session(), {"selected": 1})
    return paths


def good_session() -> Session:
    return Session(REF, seed=3, truncation=0.8, direction_set=plain_set(),
                   edits=(Edit(0, 1.5), Edit(1, -1.0)))


def as_v1(data: dict[str, Any]) -> dict[str, Any]:
    """A one-set v2 session's JSON in the layout of session format 1 (what guiapp wrote
    before workspaces): one ``direction_set`` and edits without their set."""
    data = dict(data, version=1)
    sets = data.pop("sets")
    data["direction_set"] = sets[0]["direction_set"] if sets else None
    data["edits"] = [{k: v for k, v in e.items() if k != "set"} for e in data["edits"]]
    for key in ("selected_set", "next_set_id"):
        data.pop(key)
    return data


def session_json() -> dict[str, Any]:
    """A valid format-1 session as JSON data, to be changed by a case."""
    return as_v1(session_json_v2())


def session_json_v2() -> dict[str, Any]:
    """A valid format-2 session of two sets (edits in both), to be changed by a case."""
    ws = WorkspaceSession.from_session(good_session()).workspace
    ws, second = ws.add_set(plain_set(), "copy")
    ws = ws.set_edit(second, 2, 0.5)
    return session_to_json(WorkspaceSession(REF, 3, 0.8, workspace=ws), {"selected": 1})


def linear_session_json(steps: int) -> dict[str, Any]:
    data = as_v1(session_to_json(Session(REF, seed=1, direction_set=linear_set(),
                                         edits=(Edit(0, 2.0),)), {}))
    data["direction_set"]["meta"]["conditional"]["steps"] = steps
    return data


# -- .npz pieces --------------------------------------------------------------------------


def npy_header(descr: Any, shape: tuple[int, ...], fortran: bool = False) -> bytes:
    """A version 1.0 ``.npy`` header declaring ``descr`` and ``shape`` (no data)."""
    text = repr({"descr": descr, "fortran_order": fortran, "shape": shape})
    pad = 64 - (10 + len(text) + 1) % 64
    body = (text + " " * pad + "\n").encode("latin1")
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(body)) + body


def npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asanyarray(array), allow_pickle=False)
    return buf.getvalue()


def npz(members: dict[str, bytes], compress: bool = True) -> bytes:
    buf = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name + ".npy", data)
    return buf.getvalue()


def set_members(ds: DirectionSet | None = None, meta: Any = None) -> dict[str, bytes]:
    """The members of a plain set's ``.npz``, with ``meta`` (JSON data) replacing its own."""
    ds = ds or plain_set()
    meta = direction_set_meta(ds) if meta is None else meta
    text = meta if isinstance(meta, str) else json.dumps(meta)
    return {"meta": npy(np.array(text)), "vectors": npy(ds.vectors), "scores": npy(ds.scores)}


def zip_bomb(declared_bytes: int, name: str = "vectors") -> bytes:
    """An ``.npz`` whose ``name`` member inflates to ``declared_bytes`` of zeros (a few MB
    on disk), with the other members of a valid set."""
    count = declared_bytes // 4
    head = npy_header("<f4", (count // DIM, DIM))
    chunk = 1 << 24
    total = len(head) + (count // DIM) * DIM * 4
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(chunk)
    first = comp.compress(head + zeros[: chunk - len(head)]) + comp.flush(zlib.Z_FULL_FLUSH)
    repeat = comp.compress(zeros) + comp.flush(zlib.Z_FULL_FLUSH)  # history-free: reusable
    n_full, tail = divmod(total - chunk, chunk)
    last = comp.compress(bytes(tail)) + comp.flush()
    crc = zlib.crc32(head + zeros[: chunk - len(head)])
    for _ in range(n_full):
        crc = zlib.crc32(zeros, crc)
    crc = zlib.crc32(bytes(tail), crc)
    data = first + repeat * n_full + last
    members = set_members()
    del members[name]
    plain = npz(members)
    return _append_raw_member(plain, name + ".npy", data, crc, total)


def _append_raw_member(archive: bytes, name: str, deflated: bytes, crc: int, size: int) -> bytes:
    """``archive`` with one more deflated member written from raw compressed bytes."""
    src = zipfile.ZipFile(io.BytesIO(archive))
    out = io.BytesIO()
    entries = []
    for info in src.infolist():
        raw = archive[info.header_offset:]
        n, m = struct.unpack("<HH", raw[26:30])
        local = raw[: 30 + n + m + info.compress_size]
        entries.append((info.filename.encode(), out.tell(), info.CRC, info.compress_size,
                        info.file_size, info.compress_type))
        out.write(local)
    entries.append((name.encode(), out.tell(), crc, len(deflated), size, zipfile.ZIP_DEFLATED))
    out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(deflated),
                          size, len(name), 0) + name.encode())
    out.write(deflated)
    cd_start = out.tell()
    for fname, offset, c, csize, usize, method in entries:
        out.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0, c,
                              csize, usize, len(fname), 0, 0, 0, 0, 0, offset) + fname)
    cd_size = out.tell() - cd_start
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), cd_size,
                          cd_start, 0))
    return out.getvalue()
