"""Apply edits to per-layer latents: ``ws[start:stop] += alpha * unit_scale * vector``.

Several edits add up, each over its own layer range. Edits are applied after truncation,
so an alpha means the same latent shift whatever psi is. Alpha 0 leaves ``ws`` untouched
bit for bit.

A direction set with a ``conditional`` model (LatentCLR linear / non-linear directions)
evaluates each direction at the current latent instead: the edits are applied in order,
each moving every latent ``ws[n, l]`` of its layers by ``alpha * unit_scale`` along
``d(ws[n, l])`` (see :class:`guiapp.core.direction_models.ConditionalDirections`).
:func:`edit_offset` ignores the model and uses the mean vectors.

:func:`apply_workspace_edits` combines the edits of every set of a workspace.

:func:`apply_edits` is the gate every render passes: latents that are not finite (an
extreme truncation, alpha or unit scale, a direction model that overflows) raise a
ValueError there, so no blank or garbage image is ever saved as if all were well.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from guiapp.core.types import DirectionSet, Edit, LayerRange
from guiapp.core.workspace import Workspace


def check_compatible(direction_set: DirectionSet, latent_space: str, latent_dim: int) -> None:
    """Raise ValueError when a direction set was made for another latent space or size."""
    if direction_set.space != latent_space or direction_set.dim != latent_dim:
        raise ValueError(
            f"these directions live in {direction_set.space} ({direction_set.dim}-D) but the "
            f"model edits {latent_space} ({latent_dim}-D): they were made for another model"
        )


def edit_layers(direction_set: DirectionSet, edit: Edit, num_ws: int) -> LayerRange:
    """The layers an edit touches: its own, else its direction's default, else all."""
    layers = edit.layers or direction_set.direction(edit.direction_index).default_layers
    if layers is None:
        return LayerRange.all(num_ws)
    layers.check(num_ws)
    return layers


def edit_offset(
    direction_set: DirectionSet, edits: Sequence[Edit], num_ws: int
) -> np.ndarray | None:
    """(num_ws, D) float32 sum of all edit shifts, or None when no edit moves anything."""
    offset = None
    for edit in edits:
        direction = direction_set.direction(edit.direction_index)
        layers = edit_layers(direction_set, edit, num_ws)
        if edit.alpha == 0.0:
            continue
        if offset is None:
            offset = np.zeros((num_ws, direction_set.dim), np.float64)
        offset[layers.start : layers.stop] += edit.alpha * direction.unit_scale * direction.vector
    return None if offset is None else offset.astype(np.float32)


def check_finite(ws: torch.Tensor) -> torch.Tensor:
    """``ws`` itself, or ValueError when any latent is NaN or infinite."""
    if not bool(torch.isfinite(ws).all()):
        raise ValueError(
            "the latent is not finite (NaN or infinity) after truncation and edits: "
            "use a smaller truncation, alpha or unit scale"
        )
    return ws


def apply_edits(
    ws: torch.Tensor, direction_set: DirectionSet | None, edits: Sequence[Edit]
) -> torch.Tensor:
    """(N, num_ws, D) -> (N, num_ws, D) with every edit added; the input is not modified.

    Raises ValueError when the result is not finite (see :func:`check_finite`)."""
    if direction_set is None or not edits:
        if edits:
            raise ValueError("edits need a direction set")
        return check_finite(ws)
    check_compatible(direction_set, direction_set.space, ws.shape[-1])
    if direction_set.conditional is not None:
        return check_finite(_apply_conditional(ws, direction_set, edits))
    offset = edit_offset(direction_set, edits, ws.shape[1])
    if offset is None:
        return check_finite(ws)
    return check_finite(ws + torch.from_numpy(offset).to(ws.device, ws.dtype))


def _apply_conditional(
    ws: torch.Tensor, direction_set: DirectionSet, edits: Sequence[Edit]
) -> torch.Tensor:
    """(N, num_ws, D) -> (N, num_ws, D) moved along latent-dependent directions, in order."""
    out = ws
    for edit in edits:
        direction = direction_set.direction(edit.direction_index)
        layers = edit_layers(direction_set, edit, ws.shape[1])
        if edit.alpha == 0.0:
            continue
        part = out[:, layers.start : layers.stop]
        moved = direction_set.conditional.move(
            edit.direction_index,
            part.reshape(-1, part.shape[-1]),
            edit.alpha * direction.unit_scale,
        ).reshape(part.shape)
        out = torch.cat([out[:, : layers.start], moved, out[:, layers.stop :]], dim=1)
    return out


def check_workspace(workspace: Workspace, latent_space: str, latent_dim: int) -> None:
    """Raise ValueError when a set with an edit was made for another latent space or size
    (sets without edits may come from elsewhere: they are only compared)."""
    for s in workspace.sets:
        if workspace.edits_for(s.set_id):
            try:
                check_compatible(s.directions, latent_space, latent_dim)
            except ValueError as exc:
                raise ValueError(f"set {s.name!r}: {exc}") from None


def apply_workspace_edits(ws: torch.Tensor, workspace: Workspace | None) -> torch.Tensor:
    """(N, num_ws, D) -> (N, num_ws, D) with the edits of every set combined.

    Plain sets' offsets are summed in latent space (one addition, so ten directions from
    three sets cost what one does); sets with a direction model then move the latent in
    the workspace's order. A one-set workspace gives :func:`apply_edits`'s result."""
    if workspace is None or not workspace.edits:
        return check_finite(ws)
    offset = None
    conditional = []
    for s in workspace.sets:
        edits = workspace.edits_for(s.set_id)
        if not edits:
            continue
        check_compatible(s.directions, s.directions.space, ws.shape[-1])
        if s.directions.conditional is not None:
            conditional.append((s.directions, edits))
            continue
        part = edit_offset(s.directions, edits, ws.shape[1])
        if part is not None:
            offset = part.astype(np.float64) if offset is None else offset + part
    out = ws
    if offset is not None:
        out = ws + torch.from_numpy(offset.astype(np.float32)).to(ws.device, ws.dtype)
    for ds, edits in conditional:
        out = _apply_conditional(out, ds, edits)
    return check_finite(out)
