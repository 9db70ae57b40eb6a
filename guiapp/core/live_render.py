"""Rendering for live editing: one request in, the edited image (plus what the window shows
next to it) out, with caches so a slider move only synthesizes what changed.

The original image and the preview strip are cached by the inputs they depend on, so
dragging the selected direction's slider costs one synthesis per frame.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from guiapp.core.edits import apply_edits
from guiapp.core.models.base import GeneratorModel
from guiapp.core.render import base_latents, check_model_directions, strip_latents, synthesize_uint8
from guiapp.core.types import DirectionSet, Edit, LayerRange

STRIP_ALPHAS = (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0)


@dataclass(frozen=True)
class RenderRequest:
    """What the window wants to show. ``strip_index`` -1 means no preview strip."""

    seed: int
    truncation: float = 1.0
    direction_set: DirectionSet | None = None
    edits: tuple[Edit, ...] = ()
    noise_mode: str = "const"
    want_original: bool = True
    strip_index: int = -1
    strip_alphas: tuple[float, ...] = STRIP_ALPHAS
    strip_layers: LayerRange | None = None


@dataclass(frozen=True)
class RenderResult:
    request: RenderRequest
    image: np.ndarray
    original: np.ndarray | None
    strip: np.ndarray | None
    seconds: float


class LiveRenderer:
    """Renders :class:`RenderRequest` s for one model; call from one thread at a time."""

    def __init__(self, model: GeneratorModel) -> None:
        self.model = model
        self._base_key: tuple | None = None
        self._base: torch.Tensor | None = None
        self._original: np.ndarray | None = None
        self._strip_key: tuple | None = None
        self._strip: np.ndarray | None = None

    def _base_latents(self, req: RenderRequest) -> torch.Tensor:
        key = (req.seed, req.truncation)
        if key != self._base_key or self._base is None:
            self._base = base_latents(self.model, req.seed, req.truncation)
            self._base_key, self._original = key, None
        return self._base

    def render(self, req: RenderRequest) -> RenderResult:
        t0 = time.perf_counter()
        check_model_directions(self.model, req.direction_set)
        base = self._base_latents(req)
        ws = apply_edits(base, req.direction_set, req.edits)
        image = synthesize_uint8(self.model, ws, req.noise_mode)[0]
        if ws is base:
            self._original = image
        original = None
        if req.want_original:
            if self._original is None:
                self._original = synthesize_uint8(self.model, base, req.noise_mode)[0]
            original = self._original
        strip = self._render_strip(req, base)
        return RenderResult(req, image, original, strip, time.perf_counter() - t0)

    def _render_strip(self, req: RenderRequest, base: torch.Tensor) -> np.ndarray | None:
        ds, index = req.direction_set, req.strip_index
        if ds is None or not 0 <= index < len(ds):
            return None
        others = tuple(e for e in req.edits if e.direction_index != index)
        key = (
            req.seed,
            req.truncation,
            id(ds),
            index,
            req.strip_layers,
            req.strip_alphas,
            others,
            req.noise_mode,
        )
        if key != self._strip_key:
            ws = strip_latents(base, ds, index, req.strip_alphas, req.strip_layers, others)
            self._strip = np.concatenate(
                list(synthesize_uint8(self.model, ws, req.noise_mode)), axis=1
            )
            self._strip_key = key
        return self._strip
