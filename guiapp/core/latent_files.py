"""Latents in files: ours (``.npz`` with metadata) and the bare arrays other tools write.

Shapes met in the wild, all accepted (leading axes of length 1 are dropped):
z ``(z_dim,)``; w ``(w_dim,)``; w+ ``(num_ws, w_dim)`` as pSp, e4e and PTI save them
(often ``(1, 18, 512)``); NVIDIA's projector writes ``projected_w.npz`` with ``w`` of
``(1, num_ws, w_dim)``. A bare array's space follows from its shape and the model's sizes;
our files say it in a JSON ``meta`` entry (space, model sha256, photo name and sha256).
A projected face of a model with noise inputs also keeps its optimised noise maps, as
``noise_0`` ... ``noise_{n-1}`` entries ((R, R) float32, the count in ``meta``); a file
without them renders with the model's own noise.

Reading is bounded like every file the app opens: a regular file of at most
:data:`MAX_LATENT_BYTES`, ``.npz`` members checked before they inflate, ``.npy`` headers
checked before any data, plain float or integer dtypes only, no pickles.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from guiapp.core.array_files import check_dtype, read_npz
from guiapp.core.json_fields import as_dict, as_str, check_version, parse_json
from guiapp.core.safe_files import FileFormatError, atomic_write, read_limited
from guiapp.core.types import LATENT_SPACES, ProjectedLatent

MAX_LATENT_BYTES = 32 << 20
MAX_NOISE_MAPS = 64
FORMAT = "guiapp.latent"
VERSION = 1
ARRAY_KEYS = ("latent", "w", "ws", "latents", "dlatents", "z", "projected_w")


class LatentFileError(FileFormatError):
    """A latent file cannot be used; the message names it, in one line."""


@dataclass(frozen=True)
class LatentFile:
    """What a latent file holds: the array (leading 1-axes dropped) and its metadata."""

    array: np.ndarray
    space: str | None
    model_id: str = ""
    source: str = ""
    sha256: str = ""
    noise: tuple[np.ndarray, ...] | None = None


def _read_npy(data: bytes) -> np.ndarray:
    fh = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(fh)
        reader = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                  else np.lib.format.read_array_header_2_0)
        shape, fortran, dtype = reader(fh)
    except Exception as exc:  # numpy's header parser raises many kinds
        raise ValueError(f"not an .npy array ({type(exc).__name__}: {exc})") from None
    check_dtype(dtype, "array")
    count = int(np.prod([int(n) for n in shape], dtype=object)) if shape else 1
    if count * dtype.itemsize != len(data) - fh.tell():
        raise ValueError(f"its header declares shape {shape} but the file holds "
                         f"{len(data) - fh.tell()} bytes of data")
    flat = np.frombuffer(data, dtype=dtype, count=count, offset=fh.tell())
    return flat.reshape(shape, order="F" if fortran else "C").copy()


def _meta(arrays: dict[str, np.ndarray], path: Path) -> dict[str, Any]:
    if "meta" not in arrays:
        return {}
    meta = as_dict(parse_json(str(arrays.pop("meta"))), f"{path}: meta")
    if meta.get("format") not in (None, FORMAT):
        raise ValueError(f"its meta entry is for {meta.get('format')!r}, not a latent")
    if "version" in meta:
        try:
            check_version(meta["version"], VERSION, str(path), "latent file")
        except FileFormatError as exc:
            raise ValueError(str(exc).removeprefix(f"{path}: ")) from None
    return meta


def _noise(arrays: dict[str, np.ndarray], meta: dict[str, Any]
           ) -> tuple[np.ndarray, ...] | None:
    """The ``noise_i`` entries (removed from ``arrays``), checked; None when there are none."""
    count = meta.get("noise_maps", 0)
    if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_NOISE_MAPS:
        raise ValueError(f"its meta gives {count!r} noise maps, not 0..{MAX_NOISE_MAPS}")
    maps = []
    for i in range(count):
        m = arrays.pop(f"noise_{i}", None)
        if m is None:
            raise ValueError(f"its meta names {count} noise maps and noise_{i} is missing")
        if m.dtype.kind != "f" or m.ndim != 2 or m.shape[0] != m.shape[1] or m.size == 0:
            raise ValueError(f"its noise_{i} is {m.dtype} {tuple(m.shape)}, not a square "
                             f"float map")
        if not np.all(np.isfinite(m)):
            raise ValueError(f"its noise_{i} holds a value that is not a finite number")
        maps.append(m.astype(np.float32))
    for key in [k for k in arrays if k.startswith("noise_")]:
        arrays.pop(key)  # stray maps the meta does not count are not the latent
    return tuple(maps) if maps else None


def _pick(arrays: dict[str, np.ndarray]) -> np.ndarray:
    for key in ARRAY_KEYS:
        if key in arrays:
            return arrays[key]
    if len(arrays) == 1:
        return next(iter(arrays.values()))
    raise ValueError(f"it holds {len(arrays)} arrays ({', '.join(sorted(arrays)[:6])}) and "
                     f"none is named {' or '.join(ARRAY_KEYS[:3])}")


def read_latent(path: str | Path) -> LatentFile:
    """Read the latent in ``path`` (``.npy`` or ``.npz``); LatentFileError if unusable."""
    path = Path(path)
    try:
        data = read_limited(path, "latent file", MAX_LATENT_BYTES)
    except FileFormatError as exc:
        raise LatentFileError(str(exc)) from None
    try:
        meta: dict[str, Any] = {}
        noise = None
        if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
            arrays = read_npz(data, MAX_LATENT_BYTES * 4)
            meta = _meta(arrays, path)
            noise = _noise(arrays, meta)
            array = _pick(arrays)
        elif data[:6] == b"\x93NUMPY":
            array = _read_npy(data)
        else:
            raise ValueError("is neither an .npy nor an .npz array file")
        if array.dtype.kind not in "fiu":
            raise ValueError(f"its array has dtype {array.dtype}, not numbers")
        array = array.astype(np.float32)
        while array.ndim > 1 and array.shape[0] == 1:
            array = array[0]
        if array.ndim not in (1, 2) or array.size == 0:
            raise ValueError(f"its array has shape {tuple(array.shape)}: a latent is "
                             f"(dim,) or (layers, dim)")
        if not np.all(np.isfinite(array)):
            raise ValueError("its latent holds a value that is not a finite number")
        space = meta.get("space")
        if space is not None and space not in LATENT_SPACES:
            raise ValueError(f"its meta names space {space!r}, not one of z, w, w+")
        return LatentFile(
            array, space,
            as_str(meta.get("model_sha256", ""), "model_sha256", 200),
            as_str(meta.get("source", ""), "source", 4096),
            as_str(meta.get("photo_sha256", ""), "photo_sha256", 200),
            noise,
        )
    except ValueError as exc:
        raise LatentFileError(f"{path}: {str(exc).splitlines()[0]}") from None


def latent_for_model(found: LatentFile, model: Any, name: str = "") -> ProjectedLatent:
    """The face ``found`` gives on ``model`` (a GeneratorModel or its ModelInfo).

    The space is the file's own when it says one, else read from the shape: (z_dim,) on a
    model without mapping is z, (w_dim,) is w, (num_ws, w_dim) is w+. ValueError when the
    sizes do not fit the model.
    """
    arr, label = found.array, name or "the latent"
    w_dim = model.w_dim
    space = found.space
    if space is None:
        if arr.ndim == 2:
            space = "w+"
        elif w_dim is None:
            space = "z"
        elif arr.shape[0] == w_dim:
            space = "w"
        else:
            space = "z"
    if space != "z" and w_dim is None:
        raise ValueError(f"{label}: is a {space} latent and this model has no w space")
    if space == "w+" and arr.ndim == 1:
        raise ValueError(f"{label}: a w+ latent is (layers, dim), not {tuple(arr.shape)}")
    if space == "w+" and arr.shape[0] != model.num_ws and arr.shape[0] > 1:
        raise ValueError(f"{label}: has {arr.shape[0]} layers of w, this model has "
                         f"{model.num_ws}")
    want = model.z_dim if space == "z" else w_dim
    if arr.shape[-1] != want or (space != "w+" and arr.ndim != 1):
        raise ValueError(f"{label}: has shape {tuple(arr.shape)}, this model's {space} "
                         f"latent is {want} wide")
    if space == "w+" and arr.shape[0] == 1:
        arr = np.repeat(arr, model.num_ws, axis=0)
    latent = ProjectedLatent(space, arr, found.source or Path(name).name, found.sha256,
                             found.noise)
    shapes = getattr(model, "noise_shapes", None)  # a ModelInfo has none: checked at render
    if callable(shapes):
        try:
            latent.check_noise(shapes())
        except ValueError as exc:
            raise ValueError(f"{label}: {exc}") from None
    return latent


def load_latent(path: str | Path, model: Any) -> ProjectedLatent:
    """:func:`read_latent` then :func:`latent_for_model`, errors naming ``path``."""
    found = read_latent(path)
    try:
        return latent_for_model(found, model, str(path))
    except ValueError as exc:
        raise LatentFileError(str(exc)) from None


def save_latent(path: str | Path, latent: ProjectedLatent, model_id: str = "") -> None:
    """Write ``latent`` to ``path``: ``.npy`` the bare array (w+ as (1, layers, dim), as
    PTI and e4e load it; noise maps cannot travel in it), anything else our ``.npz`` with
    its metadata, its noise maps and, for w+, a ``w`` entry in NVIDIA's projector layout."""
    path = Path(path)
    arr = np.asarray(latent.array, np.float32)
    if path.suffix.lower() == ".npy":
        out = arr[None] if latent.space == "w+" else arr
        atomic_write(path, lambda fh: np.save(fh, out, allow_pickle=False))
        return
    noise = latent.noise or ()
    meta = {"format": FORMAT, "version": VERSION, "space": latent.space,
            "model_sha256": model_id, "source": latent.source, "photo_sha256": latent.sha256,
            "noise_maps": len(noise)}
    arrays: dict[str, np.ndarray] = {"latent": arr, "meta": np.array(json.dumps(meta))}
    arrays.update({f"noise_{i}": np.asarray(n, np.float32) for i, n in enumerate(noise)})
    if latent.space == "w+":
        arrays["w"] = arr[None]
    atomic_write(path, lambda fh: np.savez(fh, **arrays))
