"""Files the user keeps: direction sets (.npz), edited images (PNG + metadata), sessions.

Direction set: an ``.npz`` readable with numpy alone (``np.load(path)``): ``vectors``
(K, D) float32 unit rows, ``scores`` (K,) float64, and ``meta``, a JSON string with the
method, space, params, labels, layer ranges (half-open ``[start, stop]`` or null), unit
scales, notes, plot data, model sha256 and format version. A set with latent-dependent
directions (LatentCLR linear / non-linear) also stores the direction model: its weights as
float32 arrays named ``model.<parameter>`` (K first, e.g. ``model.weight`` (K, D, D)) and
its architecture in ``meta["conditional"]`` (``kind``, ``k``, ``dim``, ``depth``,
``steps``); such files have format version 2, plain ones version 1.

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
    meta = json.dumps(direction_set_meta(ds))
    vectors = ds.vectors if len(ds) else np.zeros((0, 0), np.float32)
    arrays = conditional_arrays(ds)
    atomic_write(
        path,
        lambda fh: np.savez(fh, vectors=vectors, scores=ds.scores, meta=np.array(meta), **arrays),
    )


def load_direction_set(path: str | Path) -> DirectionSet:
    path = Path(path)
    if not path.is_file():
        raise FileFormatError(f"{path}: no such file")
    try:
        with np.load(path, allow_pickle=False) as npz:
            vectors = np.asarray(npz["vectors"], np.float32)
            scores = np.asarray(npz["scores"], np.float64)
            meta = json.loads(str(npz["meta"][()]))
            model_arrays = {
                name: np.asarray(npz[name]) for name in npz.files if name.startswith(MODEL_PREFIX)
            }
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
