"""seed -> z -> w -> per-layer w -> truncation -> edits -> image (uint8, H x W x 3).

``cutoff`` truncates only the first ``cutoff`` per-layer latents (NVIDIA's
``truncation_cutoff``: tame pose and shape, keep fine detail); ``class_index`` picks the
class of a conditional generator (None: the model's current one).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from guiapp.core.edits import apply_edits, check_compatible
from guiapp.core.models.base import GeneratorModel
from guiapp.core.types import DirectionSet, Edit, LayerRange

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


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """(N, 3, H, W) in [-1, 1] -> (N, H, W, 3) uint8."""
    x = (images.clamp(-1, 1) + 1) * 127.5
    return x.round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


def synthesize_uint8(
    model: GeneratorModel, ws: torch.Tensor, noise_mode: str = "const"
) -> np.ndarray:
    """(N, num_ws, D) -> (N, H, W, 3) uint8, in batches of at most MAX_BATCH."""
    out = []
    with torch.inference_mode():
        for i in range(0, ws.shape[0], MAX_BATCH):
            out.append(to_uint8(model.synthesize(ws[i : i + MAX_BATCH], noise_mode)))
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


def strip_latents(
    base: torch.Tensor,
    direction_set: DirectionSet,
    index: int,
    alphas: Sequence[float],
    layers: LayerRange | None = None,
    edits: Sequence[Edit] = (),
) -> torch.Tensor:
    """(len(alphas), num_ws, D): ``base`` with ``edits``, then direction ``index`` at each
    alpha on ``layers``."""
    start = apply_edits(base, direction_set, edits)
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
    """The same face across ``alphas`` along one direction: (H, W * len(alphas), 3)."""
    check_model_directions(model, direction_set)
    direction_set.direction(index)
    base = base_latents(model, seed, truncation, cutoff=cutoff, class_index=class_index)
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
) -> np.ndarray:
    """Directions (rows) x alphas (columns): (H * len(indices), W * len(alphas), 3)."""
    rows = [
        render_strip(model, seed, direction_set, i, alphas, truncation, None, edits, noise_mode,
                     cutoff=cutoff, class_index=class_index)
        for i in indices
    ]
    return np.concatenate(rows, axis=0)
