"""Rendering for live editing: one request in, the edited image (plus what the window shows
next to it) out, with caches so a slider move only synthesizes what changed.

The original image and the preview strip are cached by the inputs they depend on, so
dragging the selected direction's slider costs one synthesis per frame.

Previews (``RenderRequest.preview``, for slider drags): a skip-architecture StyleGAN
generator has a complete RGB image at every block, so a drag frame stops at a lower
resolution block and is upscaled (bilinear) to the full size, and skips the original and
the strip: the cached original is returned (a preview of it if none is cached yet) and
the last strip rendered, which may lag until the full render that follows the drag.
The preview resolution adapts to measured speed: the largest block whose synthesis fits
``preview_budget_s`` (measured on the previews themselves), never below
``preview_min_resolution``; when a full synthesis already fits the budget (a GPU, a
small model) the preview is the full image.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from guiapp.core.edits import apply_workspace_edits, check_workspace
from guiapp.core.models.base import GeneratorModel
from guiapp.core.render import (
    face_noise,
    request_latents,
    request_workspace,
    synthesize_uint8,
    to_uint8,
    workspace_strip_latents,
)
from guiapp.core.render_face import synthesize_face_preview
from guiapp.core.types import STRIP_ALPHAS, RenderRequest
from guiapp.core.workspace import Workspace

__all__ = ["STRIP_ALPHAS", "LiveRenderer", "RenderRequest", "RenderResult"]

PREVIEW_BUDGET_S = 0.03
"""Target seconds for one preview synthesis."""
PREVIEW_MIN_RESOLUTION = 16
"""Previews never go below this (smaller blocks show little of the face)."""
_EMA = 0.5
"""Weight of the newest timing in the running estimate of a resolution's time."""


@dataclass(frozen=True)
class RenderResult:
    """``preview_resolution``: the resolution a preview was synthesized at (the image is
    upscaled to full size); None for a full-quality image. Do not save preview images."""

    request: RenderRequest
    image: np.ndarray
    original: np.ndarray | None
    strip: np.ndarray | None
    seconds: float
    preview_resolution: int | None = None


class LiveRenderer:
    """Renders :class:`RenderRequest` s for one model; call from one thread at a time.

    ``preview_resolution`` fixes the preview resolution (None: adapt to
    ``preview_budget_s``).
    """

    def __init__(
        self,
        model: GeneratorModel,
        preview_budget_s: float = PREVIEW_BUDGET_S,
        preview_min_resolution: int = PREVIEW_MIN_RESOLUTION,
        preview_resolution: int | None = None,
    ) -> None:
        self.model = model
        self.preview_budget_s = preview_budget_s
        self.preview_min_resolution = preview_min_resolution
        self.preview_resolution = preview_resolution
        self._base_key: tuple | None = None
        self._latent = None  # the request latent the cached base came from (kept alive)
        self._base: torch.Tensor | None = None
        self._noise: list[torch.Tensor] | None = None  # the face's own noise maps, if any
        self._original: np.ndarray | None = None
        self._strip_key: tuple | None = None
        self._strip: np.ndarray | None = None
        self._seconds: dict[int, float] = {}  # running synthesis time per resolution
        self._preview_at: int | None = None

    def _base_latents(self, req: RenderRequest) -> torch.Tensor:
        key = (req.seed, req.truncation, req.truncation_cutoff, req.class_index, req.noise_mode,
               id(req.latent))
        if key != self._base_key or self._base is None or req.latent is not self._latent:
            self._base = request_latents(self.model, req)
            self._noise = face_noise(self.model, req.latent)
            self._base_key, self._original, self._latent = key, None, req.latent
        return self._base

    def render(self, req: RenderRequest) -> RenderResult:
        t0 = time.perf_counter()
        workspace = request_workspace(req)
        check_workspace(workspace, self.model.latent_space, self.model.latent_dim)
        base = self._base_latents(req)
        ws = apply_workspace_edits(base, workspace)
        stop = self.preview_stop() if req.preview else None
        if stop is not None:
            image = self._render_preview(ws, stop, req.noise_mode)
            original = self._original if req.want_original else None
            if req.want_original and original is None:  # not rendered yet: a preview too
                original = image if ws is base else self._render_preview(base, stop, req.noise_mode)
            return RenderResult(req, image, original, self._strip, time.perf_counter() - t0, stop)
        t1 = time.perf_counter()
        image = synthesize_uint8(self.model, ws, req.noise_mode, self._noise)[0]
        self._record(self.model.resolution, time.perf_counter() - t1)
        if ws is base:
            self._original = image
        original = None
        if req.want_original:
            if self._original is None:
                self._original = synthesize_uint8(self.model, base, req.noise_mode,
                                                  self._noise)[0]
            original = self._original
        strip = self._render_strip(req, workspace, base)
        return RenderResult(req, image, original, strip, time.perf_counter() - t0)

    # -- previews ----------------------------------------------------------------------------
    def preview_stops(self) -> tuple[int, ...]:
        """Resolutions below the full one that a preview can stop at (may be empty)."""
        res = self.model.resolution  # hook: models-layout (declared on GeneratorModel)
        return tuple(r for r in self.model.preview_resolutions() if r < res)

    def preview_stop(self) -> int | None:
        """The resolution the next preview synthesizes at; None: render the full image."""
        stops = self.preview_stops()
        if not stops:
            return None
        if self.preview_resolution is not None:
            fitting = [r for r in stops if r <= self.preview_resolution]
            return fitting[-1] if fitting else stops[0]
        full = self._seconds.get(self.model.resolution)
        if full is not None and full <= self.preview_budget_s:
            return None
        usable = [r for r in stops if r >= self.preview_min_resolution] or [stops[-1]]
        current = self._preview_at if self._preview_at in usable else usable[0]
        i = usable.index(current)
        spent = self._seconds.get(current)
        if spent is not None and spent > self.preview_budget_s and i > 0:
            current = usable[i - 1]  # too slow: one block down
        elif spent is not None and i + 1 < len(usable):
            known = self._seconds.get(usable[i + 1])
            guess = known if known is not None else 4 * spent  # ~4x the pixels per block
            if guess <= self.preview_budget_s:
                current = usable[i + 1]  # room to spare: one block up
        self._preview_at = current
        return current

    def _render_preview(self, ws: torch.Tensor, stop: int, noise_mode: str) -> np.ndarray:
        """(H, W, 3) uint8: the block-``stop`` RGB image, upscaled bilinearly to full size."""
        res = self.model.resolution
        with torch.inference_mode():
            t1 = time.perf_counter()
            small = synthesize_face_preview(self.model, ws, stop, noise_mode, self._noise)
            self._record(stop, time.perf_counter() - t1)
            pixels = torch.from_numpy(to_uint8(small)).permute(0, 3, 1, 2)
            if pixels.shape[-1] != res:
                pixels = F.interpolate(pixels, size=(res, res), mode="bilinear")
        return pixels.permute(0, 2, 3, 1)[0].contiguous().numpy()

    def _record(self, resolution: int, seconds: float) -> None:
        old = self._seconds.get(resolution)
        self._seconds[resolution] = seconds if old is None else _EMA * seconds + (1 - _EMA) * old

    # -- strip -------------------------------------------------------------------------------
    def _render_strip(self, req: RenderRequest, workspace: Workspace, base: torch.Tensor
                      ) -> np.ndarray | None:
        """The strip by core's one rule (:func:`guiapp.core.render.workspace_strip_latents`),
        cached on what it depends on: moving the strip direction's own alpha reuses it."""
        set_id = req.strip_set if req.strip_set is not None else workspace.selected
        index = req.strip_index
        if set_id is None or set_id not in workspace.ids:
            return None
        ds = workspace.get(set_id).directions
        if not 0 <= index < len(ds):
            return None
        if ds.space != self.model.latent_space:  # hook: compare by effect (H3), moves z
            from guiapp.core.compare_strips import z_strip

            return z_strip(self.model, req, ds, index)
        own = workspace.edit_of(set_id, index)
        layers = req.strip_layers if req.strip_layers is not None else (
            own.layers if own is not None else None)
        others = workspace.clear_edit(set_id, index)
        key = (
            self._base_key,  # everything the base latents depend on
            set_id,
            tuple((s.set_id, id(s.directions)) for s in workspace.sets),
            index,
            layers,
            req.strip_alphas,
            others.edits,
            req.noise_mode,
        )
        if key != self._strip_key:
            ws = workspace_strip_latents(base, workspace, set_id, index, req.strip_alphas,
                                         layers)
            self._strip = np.concatenate(
                list(synthesize_uint8(self.model, ws, req.noise_mode, self._noise)), axis=1
            )
            self._strip_key = key
        return self._strip
