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
so a failed save never leaves a half-written file or destroys the previous one.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
from PIL import Image, PngImagePlugin

from guiapp import __version__
from guiapp.core.types import Direction, DirectionSet, LayerRange

DIRECTIONS_FORMAT = "guiapp.directions"
SAFETENSORS_META_KEY = "guiapp.directions"
DIRECTIONS_VERSION = 2
MODEL_PREFIX = "model."


class FileFormatError(ValueError):
    """A file is missing, unreadable or not in the expected format; one-line message."""


@contextlib.contextmanager
def atomic_open(path: str | Path) -> Iterator[IO[bytes]]:
    """Open a temporary file beside ``path``; on success rename it over ``path``."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OSError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write(path: str | Path, write: Callable[[IO[bytes]], Any]) -> None:
    with atomic_open(path) as fh:
        write(fh)


# -- direction sets -----------------------------------------------------------------------


def _layers_json(layers: LayerRange | None) -> list[int] | None:
    return None if layers is None else [layers.start, layers.stop]


def direction_set_meta(ds: DirectionSet) -> dict[str, Any]:
    meta = {
        "format": DIRECTIONS_FORMAT,
        "version": 1 if ds.conditional is None else 2,
        "app_version": __version__,
        "method": ds.method,
        "space": ds.space,
        "model_sha256": ds.model_id,
        "params": ds.params,
        "labels": [d.label for d in ds.directions],
        "layer_ranges": [_layers_json(d.default_layers) for d in ds.directions],
        "unit_scales": [float(d.unit_scale) for d in ds.directions],
        "notes": [d.notes for d in ds.directions],
        "plot": ds.plot,
    }
    if ds.conditional is not None:
        meta["conditional"] = ds.conditional.spec()
    return meta


def conditional_arrays(ds: DirectionSet) -> dict[str, np.ndarray]:
    """``model.<parameter>`` -> float32 array of the set's direction model ({} if none)."""
    if ds.conditional is None:
        return {}
    return {MODEL_PREFIX + name: arr for name, arr in ds.conditional.arrays().items()}


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
    return path.is_file() and _safetensors_meta(path) is not None


def _safetensors_meta(path: Path) -> str | None:
    """Our JSON from a safetensors file's metadata, or None (not safetensors or not ours)."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="np") as f:
            return (f.metadata() or {}).get(SAFETENSORS_META_KEY)
    except Exception:  # any unreadable file is simply "not ours"
        return None


def load_direction_set(path: str | Path) -> DirectionSet:
    path = Path(path)
    if not path.is_file():
        raise FileFormatError(f"{path}: no such file")
    with open(path, "rb") as fh:
        zipped = fh.read(2) == b"PK"
    try:
        if zipped:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {name: np.asarray(npz[name]) for name in npz.files}
            meta = json.loads(str(arrays.pop("meta")[()]))
        else:
            text = _safetensors_meta(path)
            if text is None:
                raise ValueError("neither an .npz nor a guiapp safetensors file")
            from safetensors.numpy import load_file

            arrays, meta = load_file(str(path)), json.loads(text)
        vectors = np.asarray(arrays["vectors"], np.float32)
        scores = np.asarray(arrays["scores"], np.float64)
        model_arrays = {k: v for k, v in arrays.items() if k.startswith(MODEL_PREFIX)}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        raise FileFormatError(f"{path.name}: not a guiapp direction file ({exc})") from None
    return direction_set_from_arrays(vectors, scores, meta, path.name, model_arrays)


def direction_set_from_arrays(
    vectors: np.ndarray,
    scores: np.ndarray,
    meta: dict[str, Any],
    source: str = "direction set",
    model_arrays: dict[str, np.ndarray] | None = None,
) -> DirectionSet:
    """Rebuild and validate a DirectionSet from its stored arrays and metadata.

    ``model_arrays``: the ``model.<parameter>`` arrays of a direction model, needed when
    ``meta`` has a ``"conditional"`` entry.
    """
    if not isinstance(meta, dict) or meta.get("format") != DIRECTIONS_FORMAT:
        raise FileFormatError(f"{source}: not a guiapp direction set")
    if meta.get("version", 0) > DIRECTIONS_VERSION:
        raise FileFormatError(f"{source}: made by a newer guiapp (format {meta['version']})")
    k = vectors.shape[0] if vectors.ndim == 2 else -1
    try:
        per_dir = [meta[key] for key in ("labels", "layer_ranges", "unit_scales")]
        notes = meta.get("notes") or [""] * k
        if k < 0 or scores.shape != (k,) or any(len(x) != k for x in [*per_dir, notes]):
            raise ValueError("array lengths disagree")
        if not (np.isfinite(vectors).all() and np.isfinite(scores).all()):
            raise ValueError("non-finite values")
        labels, ranges, scales = per_dir
        directions = tuple(
            Direction(
                vector=vectors[i],
                score=float(scores[i]),
                unit_scale=float(scales[i]),
                label=str(labels[i]),
                default_layers=None if ranges[i] is None else LayerRange(*map(int, ranges[i])),
                notes=str(notes[i]),
            )
            for i in range(k)
        )
        return DirectionSet(
            method=str(meta["method"]),
            space=str(meta["space"]),
            model_id=str(meta.get("model_sha256", "")),
            params=dict(meta.get("params", {})),
            directions=directions,
            plot=dict(meta.get("plot") or {}),
            conditional=_conditional(meta.get("conditional"), model_arrays or {}),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise FileFormatError(f"{source}: damaged direction set ({exc})") from None


def _conditional(spec: Any, model_arrays: dict[str, np.ndarray]) -> Any:
    """The direction model described by ``spec`` (None: plain directions)."""
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise ValueError("bad direction model description")
    from guiapp.core.direction_models import conditional_from_arrays  # torch: only if needed

    n = len(MODEL_PREFIX)
    return conditional_from_arrays(spec, {k[n:]: v for k, v in model_arrays.items()})


# -- images -------------------------------------------------------------------------------


def save_png(path: str | Path, image: np.ndarray, metadata: dict[str, Any]) -> None:
    """Save (H, W, 3) uint8 as PNG with ``metadata`` as text chunks (JSON for non-strings)."""
    info = PngImagePlugin.PngInfo()
    for key, value in {"app_version": __version__, **metadata}.items():
        info.add_text(f"guiapp.{key}", value if isinstance(value, str) else json.dumps(value))
    img = Image.fromarray(np.ascontiguousarray(image))
    atomic_write(path, lambda fh: img.save(fh, format="PNG", pnginfo=info))


def read_png_metadata(path: str | Path) -> dict[str, Any]:
    """The ``guiapp.*`` text chunks of a PNG written by :func:`save_png`, JSON decoded."""
    with Image.open(path) as img:
        text = dict(getattr(img, "text", {}))
    out: dict[str, Any] = {}
    for key, value in text.items():
        if key.startswith("guiapp."):
            try:
                out[key[7:]] = json.loads(value)
            except json.JSONDecodeError:
                out[key[7:]] = value
    return out
