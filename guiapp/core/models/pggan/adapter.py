"""PGGAN as a :class:`~guiapp.core.models.base.GeneratorModel`: a single-latent generator.

``z`` enters only the first (dense) layer, so there are no per-layer latents to edit:
``num_ws`` is 1 and directions live in z. Pixel norm makes the length of z irrelevant, so
truncation (which scales z towards 0) leaves images unchanged on this family.

- SeFa reads the dense layer's weight, one 4x4 output unit per row (as genforce's
  ``factorize_weight`` does for PGGAN).
- Features are GAN Dissection's layer outputs (``layer1`` = the dense layer, ``layer2`` =
  the 4x4 block's output, ...; after the leaky ReLU, before the next pixel norm). GANSpace
  defaults to the first of :attr:`feature_layers`, the 4x4 block's output ``layer2``, and
  so does LatentCLR.
- Drag previews stop at a lower block and read it out with a linear map fitted to the
  model's own images (:mod:`guiapp.core.models.pggan.preview`): lod 0 weights have no
  trained lower-resolution output. The window fits them in its load job
  (:meth:`prepare_previews`); elsewhere the first preview does. Previews are anchored
  on the last full image (:mod:`~guiapp.core.models.ops.preview_anchor`).
"""

from __future__ import annotations

from typing import Any

import torch

from guiapp.core.models.base import GeneratorModel, ModelLoadError
from guiapp.core.models.ops.preview_anchor import PreviewAnchor
from guiapp.core.models.pggan.network import PGGANNet, PGGANWeights
from guiapp.core.models.pggan.preview import PreviewReadout

FORMATS = {"tf": "pggan-tf-pickle", "genforce": "pggan-genforce", "gandissect": "pggan-gandissect"}
MAX_FEATURE_RES = 32
"""Feature layers are offered up to this resolution (32x32x512 is 524 288 values)."""


class PGGANModel(GeneratorModel):
    """A PGGAN generator at full resolution."""

    w_dim = None
    num_ws = 1

    def __init__(self, weights: PGGANWeights, name: str, model_id: str, fmt: str) -> None:
        self.name, self.model_id, self.format = name, model_id, fmt
        self.net = PGGANNet(weights).eval()
        cfg = weights.config
        self.z_dim = cfg.z_dim
        self.resolution = cfg.resolution
        names = self.net.layer_names
        early = [n for i, n in enumerate(names)
                 if i >= 1 and self.net.layer_resolution(i) <= MAX_FEATURE_RES]
        self.feature_layers = (*early, names[0])
        self.device = torch.device("cpu")
        self._readout = PreviewReadout(self)
        self._anchor = PreviewAnchor()

    def map(self, z: torch.Tensor) -> torch.Tensor:
        return z[:, None, :]

    def _z(self, ws: torch.Tensor) -> torch.Tensor:
        if ws.dim() != 3 or ws.shape[1] != 1 or ws.shape[2] != self.z_dim:
            raise ValueError(f"expected latents (N, 1, {self.z_dim}), got {tuple(ws.shape)}")
        return ws[:, 0, :].to(self.device, torch.float32)

    def synthesize(self, ws: torch.Tensor, noise_mode: str = "const") -> torch.Tensor:
        z = self._z(ws)
        image = self.net(z)
        self._anchor.record(self.device, z, image)
        return image

    def features(self, ws: torch.Tensor, layer: str) -> torch.Tensor:
        return self.net.run(self._z(ws), self._layer_index(layer))[0].flatten(1)

    def _layer_index(self, layer: str) -> int:
        if layer not in self.feature_layers:
            raise ValueError(
                f"unknown layer {layer!r}; this model has {', '.join(self.feature_layers)}"
            )
        return self.net.layer_names.index(layer)

    def feature_dim(self, layer: str) -> int:
        index = self._layer_index(layer)
        r = self.net.layer_resolution(index)
        return self.net.config.channels[r] * r * r

    def sefa_weights(self, layers: tuple[int, int] | None = None) -> torch.Tensor:
        # dense_weight is (z, C * 16): column j reads z for output unit j.
        return self.net.dense_weight.T.contiguous()

    # -- previews ----------------------------------------------------------------------------
    def preview_resolutions(self) -> tuple[int, ...]:
        """Resolutions a drag preview may stop at: 8 up to the full size, ascending."""
        return tuple(r for r in self.net.config.resolutions if r >= 8)

    def synthesize_preview(self, ws: torch.Tensor, max_resolution: int, noise_mode: str = "const"
                           ) -> torch.Tensor:
        """(N, 3, r, r) at the largest stop ``r <= max_resolution``: the block-``r``
        features through the fitted read-out (the full image at full size)."""
        fitting = [r for r in self.preview_resolutions() if r <= max_resolution]
        stop = fitting[-1] if fitting else self.preview_resolutions()[0]
        if stop >= self.resolution:
            return self.synthesize(ws, noise_mode)
        z = self._z(ws)
        return self._anchor.apply(self.device, z, self._readout.render(z, stop),
                                  lambda anchor: self._readout.render(anchor, stop))

    def prepare_previews(self) -> None:
        """Fit the read-outs now (the window's load job calls this), not at the first drag."""
        self._readout.prepare()

    def preview_fit(self, stop: int) -> dict[str, Any]:
        """How well the read-out at ``stop`` matches the downscaled full image."""
        return self._readout.quality(stop)

    def to(self, device: str | torch.device) -> PGGANModel:
        """Move to ``device``; the read-outs are refitted only if it is another one (the
        preview anchor is always dropped)."""
        moved = torch.device(device) != self.device
        self.device = torch.device(device)
        self.net.to(self.device)
        if moved:
            self._readout.clear()
        self._anchor.clear()
        return self


def model_from_weights(weights: PGGANWeights, name: str, model_id: str, kind: str) -> PGGANModel:
    try:
        return PGGANModel(weights, name, model_id, FORMATS[kind])
    except (ValueError, KeyError) as exc:
        raise ModelLoadError(f"unsupported PGGAN generator ({exc})") from None
