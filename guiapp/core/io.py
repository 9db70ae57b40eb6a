"""Files the user keeps: direction sets (.npz), edited images (PNG + metadata), sessions.

Direction set: an ``.npz`` readable with numpy alone (``np.load(path)``): ``vectors``
(K, D) float32 unit rows, ``scores`` (K,) float64, and ``meta``, a JSON string with the
method, space, params, labels, layer ranges (half-open ``[start, stop]`` or null), unit
scales, notes, plot data, model sha256 and format version. A set with latent-dependent
directions (LatentCLR linear / non-linear) also stores the direction model: its weights as
float32 arrays named ``model.<parameter>`` (K first, e.g. ``model.weight`` (K, D, D)) and
its architecture in ``meta["conditional"]`` (``kind``, ``k``, ``dim``, ``depth``,
``steps``); such files have format version 2, plain ones version 1.

The same set can be saved as ``.safetensors`` instead (chosen by the file name; read by
content): the same arrays as tensors and the same JSON under the metadata key
``guiapp.directions``, readable with ``safetensors.numpy.load_file`` alone, for tools
that take direction models' weights in that format.

Every write goes to a temporary file in the target folder that is renamed over the target,
so a failed save never leaves a half-written file or destroys the previous one (see
:mod:`guiapp.core.safe_files`). Reading is bounded before any work: the file must be a
regular file of at most :data:`MAX_DIRECTION_FILE_BYTES`, archive members and arrays are
checked against their headers (:mod:`guiapp.core.array_files`), and every metadata field
is checked for type and range (:mod:`guiapp.core.json_fields`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

import numpy as np
from PIL import Image, PngImagePlugin

from guiapp import __version__
from guiapp.core import json_fields as jf
from guiapp.core.array_files import read_npz, read_safetensors, safetensors_metadata
from guiapp.core.direction_meta import (
    DIRECTIONS_FORMAT,
    DIRECTIONS_VERSION,
    MODEL_PREFIX,
    conditional_arrays,
    direction_set_from_arrays,
    direction_set_meta,
)
from guiapp.core.safe_files import (
    FileFormatError,
    WriteError,
    atomic_open,
    atomic_write,
    open_regular,
)
from guiapp.core.types import DirectionSet

__all__ = [
    "DIRECTIONS_FORMAT",
    "DIRECTIONS_VERSION",
    "MODEL_PREFIX",
    "FileFormatError",
    "WriteError",
    "atomic_open",
    "atomic_write",
    "conditional_arrays",
    "direction_set_from_arrays",
    "direction_set_meta",
]

SAFETENSORS_META_KEY = "guiapp.directions"
MAX_DIRECTION_FILE_BYTES = 1 << 30
MAX_META_CHARS = 64 << 20
MAX_PNG_BYTES = 256 << 20


# -- direction sets -----------------------------------------------------------------------


def save_direction_set(path: str | Path, ds: DirectionSet) -> None:
    """Write ``ds`` as ``.npz`` or, for a ``.safetensors`` name, as safetensors."""
    meta = json.dumps(direction_set_meta(ds))
    vectors = ds.vectors if len(ds) else np.zeros((0, 0), np.float32)
    arrays = {"vectors": vectors, "scores": ds.scores, **conditional_arrays(ds)}
    if Path(path).suffix.lower() == ".safetensors":
        from safetensors.numpy import save

        tensors = {name: np.ascontiguousarray(a) for name, a in arrays.items()}
        data = save(tensors, metadata={SAFETENSORS_META_KEY: meta})
        atomic_write(path, lambda fh: fh.write(data))
        return
    atomic_write(path, lambda fh: np.savez(fh, meta=np.array(meta), **arrays))


def is_direction_file(path: str | Path) -> bool:
    """True for a guiapp direction set (``.npz``, or safetensors carrying our metadata);
    False for anything else, such as a model's safetensors weights."""
    path = Path(path)
    if path.suffix.lower() == ".npz":
        return True
    try:
        with open_regular(path, "direction file", MAX_DIRECTION_FILE_BYTES) as fh:
            head = fh.read(8)
            if len(head) < 8 or int.from_bytes(head, "little") > 16 << 20:
                return False
            data = head + fh.read(int.from_bytes(head, "little"))
        return safetensors_metadata(data, SAFETENSORS_META_KEY) is not None
    except (FileFormatError, OSError, ValueError):  # unreadable: simply "not ours"
        return False


def _npz_arrays(fh: IO[bytes]) -> tuple[dict[str, np.ndarray], str]:
    """(arrays, meta JSON text) of an ``.npz`` direction file, read member by member."""
    arrays = read_npz(fh, MAX_DIRECTION_FILE_BYTES)
    if "meta" not in arrays:
        raise ValueError("no 'meta' entry")
    meta = arrays.pop("meta")
    if meta.shape != () or meta.dtype.kind != "U":
        raise ValueError("its 'meta' entry is not a text")
    return arrays, str(meta[()])


def _safetensors_arrays(data: bytes) -> tuple[dict[str, np.ndarray], str]:
    found = safetensors_metadata(data, SAFETENSORS_META_KEY)
    if found is None:
        raise ValueError("neither an .npz nor a guiapp safetensors file")
    return read_safetensors(data), found


def _read_direction_arrays(path: Path) -> tuple[dict[str, np.ndarray], Any]:
    """(arrays, parsed meta JSON) of an ``.npz`` or safetensors direction file."""
    with open_regular(path, "direction file", MAX_DIRECTION_FILE_BYTES) as fh:
        try:
            zipped = fh.read(2) == b"PK"
            fh.seek(0)
            if zipped:
                arrays, text = _npz_arrays(fh)
            else:
                arrays, text = _safetensors_arrays(fh.read(MAX_DIRECTION_FILE_BYTES + 1))
        except OSError as exc:
            raise FileFormatError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(text) > MAX_META_CHARS:
        raise ValueError("its metadata is too large")
    return arrays, jf.parse_json(text)


def load_direction_set(path: str | Path) -> DirectionSet:
    """Read and validate a direction file; FileFormatError names the file and says why."""
    path = Path(path)
    try:
        arrays, meta = _read_direction_arrays(path)
        for name in ("vectors", "scores"):
            if name not in arrays:
                raise ValueError(f"no {name!r} array")
        with np.errstate(over="ignore", invalid="ignore"):  # overflow shows as non-finite
            vectors = np.asarray(arrays["vectors"], np.float32)
            scores = np.asarray(arrays["scores"], np.float64)
        model_arrays = {k: v for k, v in arrays.items() if k.startswith(MODEL_PREFIX)}
    except FileFormatError:
        raise
    except ValueError as exc:
        raise FileFormatError(f"{path.name}: not a guiapp direction file ({exc})") from None
    return direction_set_from_arrays(vectors, scores, meta, path.name, model_arrays)


# -- images -------------------------------------------------------------------------------


def save_png(path: str | Path, image: np.ndarray, metadata: dict[str, Any]) -> None:
    """Save (H, W, 3) uint8 as PNG with ``metadata`` as text chunks (JSON for non-strings)."""
    info = PngImagePlugin.PngInfo()
    for key, value in {"app_version": __version__, **metadata}.items():
        info.add_text(f"guiapp.{key}", value if isinstance(value, str) else json.dumps(value))
    img = Image.fromarray(np.ascontiguousarray(image))
    atomic_write(path, lambda fh: img.save(fh, format="PNG", pnginfo=info))


def read_png_metadata(path: str | Path) -> dict[str, Any]:
    """The ``guiapp.*`` text chunks of a PNG written by :func:`save_png`, JSON decoded
    (a chunk that is not valid JSON stays text). FileFormatError if it is not a PNG."""
    path = Path(path)
    try:
        with open_regular(path, "PNG", MAX_PNG_BYTES) as fh, Image.open(fh) as img:
            if img.format != "PNG":
                raise ValueError(f"a {img.format} image, not a PNG")
            text = dict(img.info)  # text chunks before the pixels (ours): no decoding
    except FileFormatError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        detail = " ".join(str(exc).split())[:200]
        raise FileFormatError(f"{path.name}: not a readable PNG ({detail})") from None
    out: dict[str, Any] = {}
    for key, value in text.items():
        if isinstance(key, str) and key.startswith("guiapp.") and isinstance(value, str):
            try:
                out[key[7:]] = jf.plain(jf.parse_json(value), key)
            except ValueError:
                out[key[7:]] = value
    return out
