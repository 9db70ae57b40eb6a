"""A face given by its latent (a projected photo, a latent file): its per-layer latents
and its own noise maps, checked against the model (see :mod:`guiapp.core.render`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from guiapp.core.models.base import GeneratorModel
from guiapp.core.types import ProjectedLatent


def latent_face(model: GeneratorModel, latent: ProjectedLatent, truncation: float = 1.0, *,
                cutoff: int | None = None, class_index: int | None = None) -> torch.Tensor:
    """(1, num_ws, latent_dim) latents of a projected face: a z latent goes through the
    mapping and truncation like a seed's; a w latent is broadcast to every layer and a w+
    latent used as it is (truncation does not apply to them: they are the face itself)."""
    arr = np.asarray(latent.array, np.float32)
    latent.check_noise(model.noise_shapes())
    if latent.space == "z":
        if arr.shape != (model.z_dim,):
            raise ValueError(f"this z latent has shape {tuple(arr.shape)}, the model "
                             f"draws z of ({model.z_dim},)")
        z = torch.from_numpy(arr.copy())[None].to(model.device)
        with torch.inference_mode():
            return model.truncate(model.map_for_class(z, class_index), truncation, cutoff)
    if model.latent_space != "w":
        raise ValueError(f"this model has no w space (it edits z): a {latent.space} latent "
                         f"cannot be its face")
    want = (model.latent_dim,) if latent.space == "w" else (model.num_ws, model.latent_dim)
    if arr.shape != want:
        raise ValueError(f"this {latent.space} latent has shape {tuple(arr.shape)}, the model "
                         f"needs {want}")
    ws = torch.from_numpy(arr.copy()).to(model.device)
    return (ws[None, None].expand(1, model.num_ws, -1) if latent.space == "w" else ws[None]
            ).contiguous()


def face_noise(model: GeneratorModel, latent: ProjectedLatent | None
               ) -> list[torch.Tensor] | None:
    """The face's own noise maps as tensors on the model's device (None: the file's noise);
    ValueError when they are not one per noise input of ``model``."""
    if latent is None or latent.noise is None:
        return None
    latent.check_noise(model.noise_shapes())
    return [torch.from_numpy(n.copy()).to(model.device) for n in latent.noise]


def synthesize_face(model: GeneratorModel, ws: torch.Tensor, noise_mode: str = "const",
                    noise: Sequence[torch.Tensor] | None = None) -> torch.Tensor:
    """``model.synthesize`` with a face's noise maps (:func:`face_noise`) when it has them:
    the one call every render of a projected face goes through."""
    if noise is None:
        return model.synthesize(ws, noise_mode)
    return model.synthesize(ws, noise_mode, noise=noise)


def synthesize_face_preview(model: GeneratorModel, ws: torch.Tensor, max_resolution: int,
                            noise_mode: str = "const",
                            noise: Sequence[torch.Tensor] | None = None) -> torch.Tensor:
    """``model.synthesize_preview`` with a face's noise maps, as :func:`synthesize_face`."""
    if noise is None:
        return model.synthesize_preview(ws, max_resolution, noise_mode)
    return model.synthesize_preview(ws, max_resolution, noise_mode, noise=noise)
