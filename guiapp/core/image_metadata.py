"""The one metadata schema of the PNGs guiapp writes (window and CLI alike), its one
builder, its reader, and re-rendering an image from it.

Each key is a PNG text chunk ``guiapp.<key>`` holding JSON (strings as they are). A PNG's
metadata plus the model file and the direction set file reproduce its pixels exactly:
:func:`render_from_metadata`. The keys are listed in README "Files" (Edited image).

This module imports no torch at load time, so the window can import it at start-up.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from guiapp import __version__
from guiapp.core.io import FileFormatError, read_png_metadata, save_png
from guiapp.core.types import DirectionSet, Edit, GridSpec, LayerRange, StripSpec
from guiapp.core.upscale import upscale

if TYPE_CHECKING:
    from guiapp.core.models.base import GeneratorModel

METADATA_VERSION = 1
"""What :func:`build_metadata` writes (one set); version 2, with every set of a
workspace and the face, is :mod:`guiapp.core.workspace_metadata`'s."""
READ_VERSION = 2
KINDS = ("image", "strip", "grid")


def _layers_json(layers: LayerRange | None) -> list[int] | None:
    return None if layers is None else [layers.start, layers.stop]


def direction_set_sha256(ds: DirectionSet) -> str:
    """The identity of what a set does to pixels: space, vectors, unit scales and any
    direction model's weights (labels and default layers do not change an edit whose
    layers are recorded, so they are left out: renaming keeps the identity)."""
    digest = hashlib.sha256()
    digest.update(json.dumps([ds.space, ds.dim, len(ds)]).encode())
    digest.update(np.ascontiguousarray(ds.vectors, np.float32).tobytes())
    digest.update(np.array([d.unit_scale for d in ds.directions], np.float64).tobytes())
    if ds.conditional is not None:
        digest.update(json.dumps(ds.conditional.spec(), sort_keys=True).encode())
        for name, array in sorted(ds.conditional.arrays().items()):
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(array, np.float32).tobytes())
    return digest.hexdigest()


def build_metadata(
    *,
    model_ref: str,
    model_name: str,
    model_sha256: str,
    num_ws: int,
    seed: int,
    truncation: float,
    truncation_cutoff: int | None,
    class_index: int,
    noise_mode: str,
    direction_set: DirectionSet | None,
    edits: Sequence[Edit],
    directions_file: str | None = None,
    strip: StripSpec | None = None,
    grid: GridSpec | None = None,
    scale: int = 1,
    resample: str = "nearest",
    labels: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The metadata of one saved image; checks every edit against the set and the model
    (even alpha 0) and records the layers each one really touches, with its label
    (``labels[i]`` when given: names typed since the image was rendered)."""
    from guiapp.core.edits import edit_layers  # torch: only when saving

    if (edits or strip or grid) and direction_set is None:
        raise ValueError("edits, strips and grids need a direction set")

    def touched(index: int, layers: LayerRange | None) -> list[int] | None:
        assert direction_set is not None
        return _layers_json(edit_layers(direction_set, Edit(index, 0.0, layers), num_ws))

    meta: dict[str, Any] = {
        "metadata_version": METADATA_VERSION,
        "app_version": __version__,
        "kind": "strip" if strip else "grid" if grid else "image",
        "model": model_ref,
        "model_name": model_name,
        "model_sha256": model_sha256,
        "seed": int(seed),
        "truncation": float(truncation),
        "truncation_cutoff": truncation_cutoff,
        "class_index": int(class_index),
        "noise_mode": noise_mode,
        "directions": None,
        "edits": [],
        "scale": int(scale),
        "resample": resample,
    }
    if direction_set is None:
        return meta
    meta["directions"] = {
        "method": direction_set.method,
        "space": direction_set.space,
        "count": len(direction_set),
        "sha256": direction_set_sha256(direction_set),
        "file": directions_file,
    }
    meta["edits"] = [
        {"index": e.direction_index, "alpha": float(e.alpha),
         "layers": touched(e.direction_index, e.layers),
         "label": labels[e.direction_index] if labels is not None
         else direction_set.direction(e.direction_index).label}
        for e in edits
    ]
    if strip is not None:
        from guiapp.core.render import strip_edits

        layers = strip_edits(edits, strip.index, strip.layers)[1]
        meta["strip"] = {"index": strip.index, "alphas": [float(a) for a in strip.alphas],
                         "layers": touched(strip.index, layers)}
    if grid is not None:
        meta["grid"] = _grid_json(direction_set, grid, edits, touched)
    return meta


def _grid_json(ds: DirectionSet, grid: GridSpec, edits: Sequence[Edit], touched: Any) -> dict:
    from guiapp.core.render import strip_edits

    rows = grid.layers if grid.layers is not None else (None,) * len(grid.indices)
    if len(rows) != len(grid.indices):
        raise ValueError(f"a grid of {len(grid.indices)} rows needs as many layer ranges")
    return {
        "indices": [int(i) for i in grid.indices],
        "alphas": [float(a) for a in grid.alphas],
        "layers": [touched(i, strip_edits(edits, i, r)[1])
                   for i, r in zip(grid.indices, rows, strict=True)],
    }


def save_image_png(path: str | Path, image: np.ndarray, metadata: dict[str, Any]) -> None:
    """Write ``image`` with ``metadata`` (from :func:`build_metadata`), atomically."""
    save_png(path, image, metadata)


def read_image_metadata(path: str | Path) -> dict[str, Any]:
    """The metadata of a PNG guiapp wrote; FileFormatError naming the file otherwise."""
    try:
        meta = read_png_metadata(path)
    except OSError as exc:
        raise FileFormatError(f"{path}: cannot read this image ({exc})") from None
    version = meta.get("metadata_version")
    if version is None:
        raise FileFormatError(f"{path}: this PNG carries no guiapp metadata")
    if not isinstance(version, int) or version > READ_VERSION:
        raise FileFormatError(f"{path}: metadata version {version!r} is newer than this "
                              f"guiapp understands ({READ_VERSION}); update guiapp")
    return meta


# -- reproducing an image -----------------------------------------------------------------


def _need(meta: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = meta.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f"image metadata: {key!r} is missing or not valid ({value!r})")
    return value


def _layers(value: Any, what: str) -> LayerRange | None:
    if value is None:
        return None
    if not (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        raise ValueError(f"image metadata: {what} layers {value!r} are not [start, stop]")
    return LayerRange(value[0], value[1])


def _alphas(spec: dict[str, Any], what: str) -> list[float]:
    alphas = spec.get("alphas")
    if not isinstance(alphas, list) or not alphas or not all(
            isinstance(a, int | float) and not isinstance(a, bool) for a in alphas):
        raise ValueError(f"image metadata: {what} alphas {alphas!r} are not a list of numbers")
    return [float(a) for a in alphas]


def metadata_edits(meta: dict[str, Any]) -> list[Edit]:
    """The edits recorded in ``meta``, each on the layers it touched."""
    edits = []
    for n, e in enumerate(_need(meta, "edits", list)):
        if not isinstance(e, dict) or not isinstance(e.get("index"), int) or not isinstance(
                e.get("alpha"), int | float):
            raise ValueError(f"image metadata: edit {n} is not {{index, alpha, layers}}")
        edits.append(Edit(e["index"], float(e["alpha"]), _layers(e.get("layers"), f"edit {n}")))
    return edits


def render_from_metadata(
    meta: dict[str, Any], model: GeneratorModel, direction_set: DirectionSet | None = None,
    sets: Sequence[DirectionSet] | None = None,
) -> np.ndarray:
    """The pixels of the image ``meta`` describes, (H, W, 3) uint8, from ``model`` and
    ``direction_set`` (the ones it was made with: their sha256 must match). A version 2
    image may use several sets: ``sets``, in the order its ``sets`` entry lists them."""
    from guiapp.core.render import render_grid, render_image, render_strip

    if meta.get("metadata_version") == 2:
        from guiapp.core.workspace_metadata import render_from_workspace_metadata

        given = list(sets) if sets is not None else (
            [direction_set] if direction_set is not None else [])
        return render_from_workspace_metadata(meta, model, given)
    if _need(meta, "model_sha256", str) != model.model_id:
        raise ValueError(f"this image was made with model sha256 {meta['model_sha256'][:12]}…, "
                         f"not this model ({model.model_id[:12]}…)")
    recorded = meta.get("directions")
    if recorded is not None:
        if direction_set is None:
            raise ValueError("this image was edited: give the direction set it was made with")
        if not isinstance(recorded, dict) or recorded.get("sha256") != direction_set_sha256(
                direction_set):
            raise ValueError("this direction set is not the one the image was made with")
    elif meta.get("edits"):
        raise ValueError("image metadata: edits without a direction set")
    edits = metadata_edits(meta)
    cutoff = meta.get("truncation_cutoff")
    if cutoff is not None and not isinstance(cutoff, int):
        raise ValueError(f"image metadata: truncation_cutoff {cutoff!r} is not a number")
    face = {"cutoff": cutoff, "class_index": _need(meta, "class_index", int)}
    seed, psi = _need(meta, "seed", int), float(_need(meta, "truncation", int | float))
    noise = _need(meta, "noise_mode", str)
    kind = meta.get("kind", "image")
    if kind == "strip":
        spec = _need(meta, "strip", dict)
        image = render_strip(model, seed, direction_set, _need(spec, "index", int),
                             _alphas(spec, "strip"), psi, _layers(spec.get("layers"), "strip"),
                             edits, noise, **face)
    elif kind == "grid":
        spec = _need(meta, "grid", dict)
        rows = [_layers(r, "grid row") for r in _need(spec, "layers", list)]
        indices = _need(spec, "indices", list)
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in indices):
            raise ValueError(f"image metadata: grid indices {indices!r} are not numbers")
        image = render_grid(model, seed, direction_set, indices,
                            _alphas(spec, "grid"), psi, edits, noise, layers=rows, **face)
    elif kind == "image":
        image = render_image(model, seed, psi, direction_set, edits, noise, **face)
    else:
        raise ValueError(f"image metadata: kind {kind!r} is not one of {', '.join(KINDS)}")
    return upscale(image, _need(meta, "scale", int), _need(meta, "resample", str))
