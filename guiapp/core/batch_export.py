"""The current edits over a list of seeds: a folder of PNGs or one grid image.

Seeds are written as ``0-99,120,200-210`` (inclusive ranges; order kept, repeats dropped),
at most :data:`MAX_SEEDS` of them. Each PNG carries the metadata a single save gives
(:func:`guiapp.core.image_metadata.build_metadata`, one per seed), so each re-renders
exactly; it is the same pixels as :func:`guiapp.core.render.render_image` of its seed.
Latents are rendered in batches; each file is written atomically, so a cancelled export
leaves only complete files (those done so far) and no partial one.

A grid holds the seeds row by row, ``columns`` across (default: the smallest square that
fits), empty cells black; its metadata is the first seed's with ``kind: "seeds"``,
``seeds`` and ``columns`` added.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from guiapp.core.batch_export_spec import (
    MAX_GRID_SEEDS,
    MAX_SEEDS,
    check_pattern,
    grid_columns,
    parse_seed_list,
    seed_path,
)
from guiapp.core.edits import apply_edits, apply_workspace_edits, check_workspace
from guiapp.core.image_metadata import save_image_png
from guiapp.core.models.base import GeneratorModel
from guiapp.core.progress import CancelToken, Checkpoint, ProgressFn
from guiapp.core.render import base_latents, check_model_directions, to_uint8
from guiapp.core.seeds import check_seed
from guiapp.core.types import DirectionSet, Edit
from guiapp.core.workspace import Workspace

MAX_GRID_PIXELS = 64 * 2**20
DEFAULT_BATCH = 8
__all__ = ["MAX_GRID_SEEDS", "MAX_SEEDS", "check_pattern", "export_seed_grid", "export_seeds",
           "grid_columns", "grid_metadata", "parse_seed_list", "render_seed_grid",
           "seed_path"]
Metadata = Callable[[int], dict[str, Any]]
"""``metadata(seed)``: the PNG metadata of that seed's image (build_metadata's dict)."""


def _images(model: GeneratorModel, seeds: Sequence[int], face: dict[str, Any],
            direction_set: DirectionSet | None, edits: Sequence[Edit],
            batch_size: int, workspace: Workspace | None = None) -> Any:
    """Yield (seeds, (B, H, W, 3) uint8) batch by batch."""
    noise = face.get("noise_mode", "const")
    for i in range(0, len(seeds), batch_size):
        chunk = list(seeds[i : i + batch_size])
        base = torch.cat([base_latents(model, s, face.get("truncation", 1.0),
                                       cutoff=face.get("cutoff"),
                                       class_index=face.get("class_index")) for s in chunk])
        ws = (apply_workspace_edits(base, workspace) if workspace is not None
              else apply_edits(base, direction_set, edits))
        with torch.inference_mode():
            yield chunk, to_uint8(model.synthesize(ws, noise))


def _check(model: GeneratorModel, seeds: Sequence[int], direction_set: DirectionSet | None,
           edits: Sequence[Edit], batch_size: int, workspace: Workspace | None) -> None:
    if not seeds:
        raise ValueError("no seeds to export")
    for s in seeds:
        check_seed(s)
    check_model_directions(model, direction_set)
    if workspace is not None:
        check_workspace(workspace, model.latent_space, model.latent_dim)
    if edits and direction_set is None:
        raise ValueError("edits need a direction set")
    for e in edits:
        direction_set.direction(e.direction_index)  # type: ignore[union-attr]
    if batch_size < 1:
        raise ValueError(f"batch size must be 1 or more, not {batch_size}")


def export_seeds(
    model: GeneratorModel,
    seeds: Sequence[int],
    pattern: str,
    metadata: Metadata,
    *,
    face: dict[str, Any] | None = None,
    direction_set: DirectionSet | None = None,
    edits: Sequence[Edit] = (),
    workspace: Workspace | None = None,
    batch_size: int = DEFAULT_BATCH,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> list[Path]:
    """One PNG per seed, named by ``pattern`` (``out/{seed}.png``); returns the paths.

    ``face``: truncation, cutoff, class_index, noise_mode (as :func:`render_image` takes);
    ``workspace``: the edits of every set (instead of ``direction_set`` + ``edits``).
    """
    check_pattern(pattern)
    _check(model, seeds, direction_set, edits, batch_size, workspace)
    folder = seed_path(pattern, seeds[0]).parent
    if not folder.is_dir():
        raise ValueError(f"{pattern}: folder {folder} does not exist")
    metas = {s: metadata(s) for s in seeds}  # every edit checked before rendering
    checkpoint = Checkpoint(progress, cancel)
    written: list[Path] = []
    batches = _images(model, seeds, face or {}, direction_set, edits, batch_size, workspace)
    for chunk, images in batches:
        for seed, image in zip(chunk, images, strict=True):
            checkpoint(len(written) / len(seeds), f"Saving seed {seed} "
                                                  f"({len(written) + 1} of {len(seeds)})")
            path = seed_path(pattern, seed)
            save_image_png(path, image, metas[seed])
            written.append(path)
    checkpoint(1.0, f"Saved {len(written)} images")
    return written


def render_seed_grid(
    model: GeneratorModel,
    seeds: Sequence[int],
    *,
    columns: int | None = None,
    face: dict[str, Any] | None = None,
    direction_set: DirectionSet | None = None,
    edits: Sequence[Edit] = (),
    workspace: Workspace | None = None,
    batch_size: int = DEFAULT_BATCH,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> np.ndarray:
    """The seeds' images in rows of ``columns``: (H * rows, W * columns, 3) uint8."""
    if len(seeds) > MAX_GRID_SEEDS:
        raise ValueError(f"a grid holds at most {MAX_GRID_SEEDS} seeds, not {len(seeds)}; "
                         "export a folder instead")
    _check(model, seeds, direction_set, edits, batch_size, workspace)
    cols = grid_columns(len(seeds), columns)
    rows = math.ceil(len(seeds) / cols)
    res = model.resolution
    if rows * cols * res * res > MAX_GRID_PIXELS:
        raise ValueError(f"a grid of {rows}x{cols} images of {res} px is too large "
                         f"(over {MAX_GRID_PIXELS >> 20} megapixels); export a folder instead")
    checkpoint = Checkpoint(progress, cancel)
    grid: np.ndarray | None = None
    n = 0
    batches = _images(model, seeds, face or {}, direction_set, edits, batch_size, workspace)
    for _chunk, images in batches:
        checkpoint(n / len(seeds), f"Rendering seed {n + 1} of {len(seeds)}")
        if grid is None:
            h, w = images.shape[1:3]
            grid = np.zeros((rows * h, cols * w, 3), np.uint8)
        for image in images:
            r, c = divmod(n, cols)
            grid[r * h : (r + 1) * h, c * w : (c + 1) * w] = image
            n += 1
    checkpoint(1.0, f"Rendered {n} seeds")
    assert grid is not None
    return grid


def grid_metadata(first: dict[str, Any], seeds: Sequence[int], columns: int) -> dict[str, Any]:
    """The first seed's metadata, marked as a grid of ``seeds``."""
    return {**first, "kind": "seeds", "seeds": [int(s) for s in seeds], "columns": columns}


def export_seed_grid(
    model: GeneratorModel,
    seeds: Sequence[int],
    path: str | Path,
    metadata: Metadata,
    *,
    columns: int | None = None,
    **options: Any,
) -> Path:
    """:func:`render_seed_grid` saved as one PNG at ``path``."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"{path}: a seed grid is saved as .png")
    meta = grid_metadata(metadata(seeds[0]) if seeds else {}, seeds,
                         grid_columns(len(seeds) or 1, columns))
    image = render_seed_grid(model, seeds, columns=columns, **options)
    save_image_png(path, image, meta)
    return path
