"""Anchored drag previews: the last full image, area-downscaled, plus the preview's change.

A cheap preview (BigGAN's blocks run at a smaller size, PGGAN's fitted read-out of a lower
block) has an error of its own even where the latent has not moved: colours a little off,
details misplaced. During a drag the window has just shown a full image of the same face
(before the drag, or after the last release), so a preview can start from that exact image
instead: ``pool(full(anchor)) + cheap(ws) - cheap(anchor)``. At the anchor it is the exact
downscaled image; away from it the cheap network supplies only the change, which it gets
far better than the absolute colours. It is the edit's effect (every pixel moves with the
dragged latent), never a stale image.

A model records the anchor after each single-image, gradient-free :meth:`record` of a full
synthesis, keyed by what else the image depends on (class, truncation, device);
:meth:`apply` falls back to the plain preview for batches, gradients or another key.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import torch
import torch.nn.functional as F


class PreviewAnchor:
    """The last full single image of one model, and its cheap previews per stop (one
    tuple, replaced whole, so a render in another thread never mixes two anchors)."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self._state: tuple[Hashable, torch.Tensor, torch.Tensor, dict] | None = None

    @staticmethod
    def _usable(ws: torch.Tensor) -> bool:
        return ws.shape[0] == 1 and not torch.is_grad_enabled()

    def record(self, key: Hashable, ws: torch.Tensor, image: torch.Tensor) -> None:
        """After a full synthesis of ``ws`` (1, ...) -> ``image`` (1, C, R, R)."""
        if self._usable(ws):
            self._state = (key, ws.detach().clone(), image.detach().clone(), {})

    def apply(self, key: Hashable, ws: torch.Tensor, preview: torch.Tensor,
              cheap: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
        """``preview`` = ``cheap(ws)`` (1, C, r, r), anchored when an anchor of ``key`` is
        held; ``cheap`` previews the anchor (once per stop)."""
        state = self._state
        if state is None or state[0] != key or not self._usable(ws):
            return preview
        _, anchor, image, stops = state
        if anchor.shape != ws.shape or anchor.device != ws.device:
            return preview
        stop = preview.shape[-1]
        if stop not in stops:
            stops[stop] = (F.adaptive_avg_pool2d(image, stop), cheap(anchor))
        pooled, at_anchor = stops[stop]
        if torch.equal(ws, anchor):
            return pooled.clone()
        return pooled + (preview - at_anchor)
