"""seed -> z -> w -> per-layer w -> truncation -> edits -> image (uint8, H x W x 3).

A projected face may carry its own noise maps (:attr:`ProjectedLatent.noise`): every render
of it passes them to the model (:func:`face_noise`, :func:`synthesize_face`).

``cutoff`` truncates only the first ``cutoff`` per-layer latents (NVIDIA's
``truncation_cutoff``: tame pose and shape, keep fine detail); ``class_index`` picks the
class of a conditional generator (None: the model's current one).

Strips and grids follow one rule, here, for the window and the CLI alike: a row along
direction i holds every other edit and puts direction i at exactly each column's alpha, on
its own layer range (:func:`strip_latents`).

:func:`render_request` is the one entry the window's jobs and the CLI call: a
:class:`~guiapp.core.types.RenderRequest` (the face: a seed or a projected latent; the
edits of every set of a workspace, combined) to an image, strip or grid.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from guiapp.core.edits import apply_edits, apply_workspace_edits, check_compatible, check_workspace
from guiapp.core.models.base import GeneratorModel
from guiapp.core.progress import CancelToken, Checkpoint, ProgressFn
from guiapp.core.render_face import face_noise, latent_face, synthesize_face
from guiapp.core.types import (
    DirectionSet,
    Edit,
    GridSpec,
    LayerRange,
    RenderRequest,
    StripSpec,
)
from guiapp.core.workspace import Workspace

__all__ = ["MAX_BATCH", "base_latents", "face_noise", "latent_face", "render_grid",
           "render_image", "render_request", "render_strip", "request_latents",
           "strip_latents", "synthesize_face", "synthesize_uint8", "to_uint8",
           "workspace_strip_latents"]

MAX_BATCH = 16


def base_latents(
    model: GeneratorModel,
    seed: int,
    truncation: float = 1.0,
    *,
    cutoff: int | None = None,
    class_index: int | None = None,
) -> torch.Tensor:
    """(1, num_ws, latent_dim) latents of ``seed`` after truncation, before any edit."""
    z = torch.from_numpy(model.sample_z(1, seed)).to(model.device, torch.float32)
    with torch.inference_mode():
        return model.truncate(model.map_for_class(z, class_index), truncation, cutoff)


def request_latents(model: GeneratorModel, req: RenderRequest) -> torch.Tensor:
    """(1, num_ws, D): the request's face (its latent, else its seed), before edits."""
    if req.latent is not None:
        return latent_face(model, req.latent, req.truncation, cutoff=req.truncation_cutoff,
                           class_index=req.class_index)
    return base_latents(model, req.seed, req.truncation, cutoff=req.truncation_cutoff,
                        class_index=req.class_index)


def request_workspace(req: RenderRequest) -> Workspace:
    """The workspace whose edits the request applies (the single-set shorthand as one)."""
    if req.workspace is not None:
        return req.workspace
    return Workspace.single(req.direction_set, req.edits)


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """(N, 3, H, W) in [-1, 1] -> (N, H, W, 3) uint8."""
    x = (images.clamp(-1, 1) + 1) * 127.5
    return x.round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


def synthesize_uint8(
    model: GeneratorModel, ws: torch.Tensor, noise_mode: str = "const",
    noise: Sequence[torch.Tensor] | None = None,
) -> np.ndarray:
    """(N, num_ws, D) -> (N, H, W, 3) uint8, in batches of at most MAX_BATCH; ``noise``:
    the face's own noise maps (:func:`face_noise`)."""
    out = []
    with torch.inference_mode():
        for i in range(0, ws.shape[0], MAX_BATCH):
            out.append(to_uint8(synthesize_face(model, ws[i : i + MAX_BATCH], noise_mode, noise)))
    return np.concatenate(out)


def check_model_directions(model: GeneratorModel, direction_set: DirectionSet | None) -> None:
    """Raise ValueError when ``direction_set`` cannot edit ``model`` (other latent space)."""
    if direction_set is not None:
        check_compatible(direction_set, model.latent_space, model.latent_dim)


def render_image(
    model: GeneratorModel,
    seed: int,
    truncation: float = 1.0,
    direction_set: DirectionSet | None = None,
    edits: Sequence[Edit] = (),
    noise_mode: str = "const",
    *,
    cutoff: int | None = None,
    class_index: int | None = None,
) -> np.ndarray:
    """One edited image, (H, W, 3) uint8."""
    check_model_directions(model, direction_set)
    base = base_latents(model, seed, truncation, cutoff=cutoff, class_index=class_index)
    ws = apply_edits(base, direction_set, edits)
    return synthesize_uint8(model, ws, noise_mode)[0]


def strip_edits(
    edits: Sequence[Edit], index: int, layers: LayerRange | None = None
) -> tuple[tuple[Edit, ...], LayerRange | None]:
    """Split ``edits`` for a strip of direction ``index``: (the other edits, held in every
    column; the layers the strip moves). The strip's layers are ``layers`` when given, else
    those of direction ``index``'s own edit, else (None) its default layers."""
    others = tuple(e for e in edits if e.direction_index != index)
    own = [e.layers for e in edits if e.direction_index == index and e.layers is not None]
    return others, layers if layers is not None else (own[-1] if own else None)


def strip_latents(
    base: torch.Tensor,
    direction_set: DirectionSet,
    index: int,
    alphas: Sequence[float],
    layers: LayerRange | None = None,
    edits: Sequence[Edit] = (),
) -> torch.Tensor:
    """(len(alphas), num_ws, D): the strip rule, the same in the window and the CLI.

    Column j is ``base`` with every edit except direction ``index``'s own held, and
    direction ``index`` at exactly ``alphas[j]`` on its layers (see :func:`strip_edits`),
    so the column at the current alpha is the edited image.
    """
    others, layers = strip_edits(edits, index, layers)
    start = apply_edits(base, direction_set, others)
    return torch.cat(
        [apply_edits(start, direction_set, [Edit(index, float(a), layers)]) for a in alphas]
    )


def render_strip(
    model: GeneratorModel,
    seed: int,
    direction_set: DirectionSet,
    index: int,
    alphas: Sequence[float],
    truncation: float = 1.0,
    layers: LayerRange | None = None,
    edits: Sequence[Edit] = (),
    noise_mode: str = "const",
    *,
    cutoff: int | None = None,
    class_index: int | None = None,
) -> np.ndarray:
    """The same face across ``alphas`` along one direction: (H, W * len(alphas), 3).
    Direction ``index`` takes each alpha exactly; the other ``edits`` are held."""
    check_model_directions(model, direction_set)
    direction_set.direction(index)
    base = base_latents(model, seed, truncation, cutoff=cutoff, class_index=class_index)
    return _strip_pixels(model, base, direction_set, index, alphas, layers, edits, noise_mode)


def _strip_pixels(
    model: GeneratorModel,
    base: torch.Tensor,
    direction_set: DirectionSet,
    index: int,
    alphas: Sequence[float],
    layers: LayerRange | None,
    edits: Sequence[Edit],
    noise_mode: str,
) -> np.ndarray:
    ws = strip_latents(base, direction_set, index, alphas, layers, edits)
    return np.concatenate(list(synthesize_uint8(model, ws, noise_mode)), axis=1)


def render_grid(
    model: GeneratorModel,
    seed: int,
    direction_set: DirectionSet,
    indices: Sequence[int],
    alphas: Sequence[float],
    truncation: float = 1.0,
    edits: Sequence[Edit] = (),
    noise_mode: str = "const",
    *,
    cutoff: int | None = None,
    class_index: int | None = None,
    layers: Sequence[LayerRange | None] | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> np.ndarray:
    """Directions (rows) x alphas (columns): (H * len(indices), W * len(alphas), 3).

    Row n is :func:`render_strip` of ``indices[n]`` on ``layers[n]`` (None: as the strip
    decides). ``progress`` hears of each row; ``cancel`` is checked before each row.
    """
    check_model_directions(model, direction_set)
    for i in indices:
        direction_set.direction(i)  # IndexError before any rendering
    if layers is not None and len(layers) != len(indices):
        raise ValueError(f"a grid of {len(indices)} rows needs as many layer ranges, "
                         f"not {len(layers)}")
    row_layers = list(layers) if layers is not None else [None] * len(indices)
    checkpoint = Checkpoint(progress, cancel)
    base = base_latents(model, seed, truncation, cutoff=cutoff, class_index=class_index)
    rows = []
    for n, (index, row_range) in enumerate(zip(indices, row_layers, strict=True)):
        checkpoint(n / len(indices), f"Rendering row {n + 1} of {len(indices)}")
        rows.append(_strip_pixels(model, base, direction_set, index, alphas, row_range, edits,
                                  noise_mode))
    checkpoint(1.0, "Grid rendered")
    return np.concatenate(rows, axis=0)



def workspace_strip_latents(base: torch.Tensor, workspace: Workspace, set_id: int, index: int,
                            alphas: Sequence[float], layers: LayerRange | None = None
                            ) -> torch.Tensor:
    """(len(alphas), num_ws, D): the strip rule across sets. Every edit of every set is
    held except direction ``index`` of set ``set_id``, which takes each alpha exactly on
    ``layers`` (None: its own edit's layers, else its default)."""
    ds = workspace.get(set_id).directions
    ds.direction(index)
    own = workspace.edit_of(set_id, index)
    layers = layers if layers is not None else (own.layers if own is not None else None)
    start = apply_workspace_edits(base, workspace.clear_edit(set_id, index))
    return torch.cat(
        [apply_edits(start, ds, [Edit(index, float(a), layers)]) for a in alphas])


def render_request(model: GeneratorModel, req: RenderRequest, *,
                   progress: ProgressFn | None = None,
                   cancel: CancelToken | None = None) -> np.ndarray:
    """The image, strip or grid (``req.output``) a request describes, (H, W, 3) uint8.

    A strip or grid is of set ``output.set_id`` (None: the selected set); a grid reports
    each row to ``progress`` and checks ``cancel`` before it."""
    workspace = request_workspace(req)
    check_workspace(workspace, model.latent_space, model.latent_dim)
    spec = req.output
    noise = face_noise(model, req.latent)
    if spec is None:
        base = request_latents(model, req)
        return synthesize_uint8(model, apply_workspace_edits(base, workspace), req.noise_mode,
                                noise)[0]
    set_id = spec.set_id if spec.set_id is not None else workspace.selected
    if set_id is None:
        raise ValueError("strips and grids need a direction set")
    named = workspace.get(set_id)
    check_compatible(named.directions, model.latent_space, model.latent_dim)
    if isinstance(spec, StripSpec):
        rows: list[tuple[int, LayerRange | None]] = [(spec.index, spec.layers)]
    elif isinstance(spec, GridSpec):
        layers = spec.layers if spec.layers is not None else (None,) * len(spec.indices)
        if len(layers) != len(spec.indices):
            raise ValueError(f"a grid of {len(spec.indices)} rows needs as many layer "
                             f"ranges, not {len(layers)}")
        rows = list(zip(spec.indices, layers, strict=True))
    else:
        raise TypeError(f"unknown render output {spec!r}")
    for index, _ in rows:
        named.directions.direction(index)  # IndexError before any rendering
    checkpoint = Checkpoint(progress, cancel)
    base = request_latents(model, req)
    out = []
    for n, (index, row_layers) in enumerate(rows):
        checkpoint(n / len(rows), f"Rendering row {n + 1} of {len(rows)}")
        ws = workspace_strip_latents(base, workspace, set_id, index, spec.alphas, row_layers)
        out.append(np.concatenate(list(synthesize_uint8(model, ws, req.noise_mode, noise)),
                                  axis=1))
    checkpoint(1.0, "Rendered")
    return np.concatenate(out, axis=0)
