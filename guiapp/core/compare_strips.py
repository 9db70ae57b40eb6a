"""The strip of a z direction on a model that edits w, for the compare view's pair strips.

A set of z directions on a mapped model is compared by effect
(:mod:`guiapp.core.compare_spaces`); to show a pair, its direction moves the face's z, which
is then mapped and truncated like a seed's, and the workspace's w edits are held, as a w
set's strip holds them. The frame at alpha 0 is the face's image.
"""

from __future__ import annotations

import numpy as np
import torch

from guiapp.core.edits import apply_workspace_edits
from guiapp.core.models.base import GeneratorModel
from guiapp.core.render import face_noise, request_workspace, synthesize_uint8
from guiapp.core.types import DirectionSet, RenderRequest


def face_z(model: GeneratorModel, req: RenderRequest) -> np.ndarray:
    """(z_dim,) the z of the request's face: its seed's, or a projected z latent."""
    if req.latent is None:
        return model.sample_z(1, req.seed)[0]
    if req.latent.space != "z":
        raise ValueError(f"a z direction moves the face's z; this face is a projected "
                         f"{req.latent.space} latent")
    return np.asarray(req.latent.array, np.float64)


def z_strip(model: GeneratorModel, req: RenderRequest, ds: DirectionSet,
            index: int) -> np.ndarray:
    """(H, W * len(req.strip_alphas), 3) uint8: z direction ``index`` of ``ds`` at each
    strip alpha (slider units: ``alpha * unit_scale`` in z) on the request's face."""
    d = ds.direction(index)
    z = face_z(model, req)
    alphas = np.asarray(req.strip_alphas, np.float64)
    zs = z[None, :] + (alphas * d.unit_scale)[:, None] * d.vector.astype(np.float64)[None, :]
    with torch.inference_mode():
        z_t = torch.from_numpy(zs).to(model.device, torch.float32)
        ws = model.truncate(model.map_for_class(z_t, req.class_index), req.truncation,
                            req.truncation_cutoff)
    ws = apply_workspace_edits(ws, request_workspace(req))
    frames = synthesize_uint8(model, ws, req.noise_mode, face_noise(model, req.latent))
    return np.concatenate(list(frames), axis=1)
