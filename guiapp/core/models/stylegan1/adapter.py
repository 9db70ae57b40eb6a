"""StyleGAN (v1) as a :class:`~guiapp.core.models.base.GeneratorModel`.

- Latents: z (``RandomState(seed)`` as everywhere) maps to one w, broadcast to the
  ``num_ws = 2 log2(res) - 2`` style inputs (one per conv layer); edits on a layer range
  change only those inputs (w+).
- Truncation: :attr:`default_truncation` is ``G_style``'s own (psi 0.7 on the first 8
  layers, or the file's ``truncation_psi`` / ``truncation_cutoff``), towards ``dlatent_avg``.
- SeFa reads the style modulation weights of the chosen layers (``StyleMod``, both the
  scale and the bias halves, as genforce/sefa's ``layer{i}.style.weight``).
- Features (LatentCLR, GANSpace activations): the output of a conv layer after its style,
  named by its TF scope (``4x4/Conv``, ``8x8/Conv0_up``, ...) up to 32 px; the first is
  ``4x4/Conv`` (the first layer a style shapes through a convolution, like StyleGAN2's
  ``b4.conv1``), then ``4x4/Const`` and the rest in order.
- Drag previews stop at a lower resolution and read the last layer there out with a
  linear map fitted to the model's own images (:mod:`~guiapp.core.models.stylegan1.preview`):
  a lod-0 network has one trained RGB output (``ToRGB_lod0``); the lower ``ToRGB_lod{k}``
  of NVIDIA's pickles stopped training when their resolution faded out. Previews are
  anchored on the last full image (:mod:`~guiapp.core.models.ops.preview_anchor`), as
  PGGAN's and BigGAN's are: the read-out supplies only the change from it.
"""

from __future__ import annotations

from typing import Any

import torch

from guiapp.core.models.base import GeneratorModel, ModelLoadError
from guiapp.core.models.ops.preview_anchor import PreviewAnchor
from guiapp.core.models.stylegan1.config import DEFAULT_TRUNCATION, StyleGAN1Weights
from guiapp.core.models.stylegan1.network import StyleGAN1Net
from guiapp.core.models.stylegan1.preview import PreviewReadout, fits

FORMATS = {"tf": "stylegan1-tf-pickle", "genforce": "stylegan1-genforce"}
MAX_FEATURE_RES = 32
"""Feature layers are offered up to this resolution."""


class StyleGAN1Model(GeneratorModel):
    """A StyleGAN (v1) generator at full resolution (float32, inference only)."""

    def __init__(self, weights: StyleGAN1Weights, name: str, model_id: str, fmt: str,
                 truncation: tuple[float, int | None] = DEFAULT_TRUNCATION) -> None:
        self.name, self.model_id, self.format = name, model_id, fmt
        self.net = StyleGAN1Net(weights).eval()
        cfg = weights.config
        self.z_dim, self.w_dim = cfg.z_dim, cfg.w_dim
        self.num_ws, self.resolution = cfg.num_layers, cfg.resolution
        self.default_truncation = truncation
        scopes = [cfg.layer_scope(i) for i in range(cfg.num_layers)
                  if cfg.layer_resolution(i) <= MAX_FEATURE_RES]
        self.feature_layers = (scopes[1], scopes[0], *scopes[2:])
        self.device = torch.device("cpu")
        self._readout = PreviewReadout(self)
        self._anchor = PreviewAnchor()

    @property
    def w_avg(self) -> torch.Tensor:
        return self.net.w_avg

    def map(self, z: torch.Tensor) -> torch.Tensor:
        return self.net.mapping(z.to(self.device, torch.float32)).contiguous()

    def map_w(self, z: torch.Tensor) -> torch.Tensor:
        return self.net.mapping_w(z.to(self.device, torch.float32))

    def _ws(self, ws: torch.Tensor) -> torch.Tensor:
        if ws.dim() != 3 or ws.shape[1:] != (self.num_ws, self.w_dim):
            raise ValueError(f"expected latents (N, {self.num_ws}, {self.w_dim}), "
                             f"got {tuple(ws.shape)}")
        return ws.to(self.device, torch.float32)

    def synthesize(self, ws: torch.Tensor, noise_mode: str = "const",
                   generator: torch.Generator | None = None) -> torch.Tensor:
        """(N, num_ws, w_dim) -> (N, 3, R, R), nominally in [-1, 1] (not clamped);
        ``noise_mode`` ``"const"`` (the file's noise), ``"random"`` or ``"none"``."""
        ws = self._ws(ws)
        image = self.net(ws, noise_mode, generator)
        if generator is None:  # a seeded random-noise image is not one to anchor on
            self._anchor.record((self.device, noise_mode), ws, image)
        return image

    def layer_index(self, layer: str) -> int:
        if layer not in self.feature_layers:
            raise ValueError(
                f"unknown layer {layer!r}; this model has {', '.join(self.feature_layers)}"
            )
        cfg = self.net.config
        return next(i for i in range(cfg.num_layers) if cfg.layer_scope(i) == layer)

    def features(self, ws: torch.Tensor, layer: str) -> torch.Tensor:
        """(N, num_ws, w_dim) -> (N, C * r * r): ``layer``'s output (const noise)."""
        index = self.layer_index(layer)
        *_, x = self.net.layers(self._ws(ws), "const", upto=index)
        return x.flatten(1)

    def feature_dim(self, layer: str) -> int:
        cfg = self.net.config
        index = self.layer_index(layer)
        return cfg.layer_channels(index) * cfg.layer_resolution(index) ** 2

    def sefa_weights(self, layers: tuple[int, int] | None = None) -> torch.Tensor:
        """(M, w_dim): the ``StyleMod`` weights of layers ``[start, stop)``, one row per
        style unit (2 C per layer: scales, then biases)."""
        start, stop = layers if layers is not None else (0, self.num_ws)
        if not 0 <= start < stop <= self.num_ws:
            raise ValueError(f"layers must satisfy 0 <= start < stop <= {self.num_ws}")
        return torch.cat([getattr(self.net, f"l{i}_style_weight").T
                          for i in range(start, stop)]).contiguous()

    # -- previews ----------------------------------------------------------------------
    def preview_resolutions(self) -> tuple[int, ...]:
        """Resolutions a drag preview may stop at, ascending: from 8 px, those whose fit
        has two pixels per read-out weight (:func:`.preview.fits`; FFHQ's 512 channels: from
        16 px), and the full size."""
        cfg = self.net.config
        return tuple(r for r in cfg.resolutions
                     if r == cfg.resolution or (r >= 8 and fits(r, cfg.channels[r])))

    def synthesize_preview(self, ws: torch.Tensor, max_resolution: int,
                           noise_mode: str = "const") -> torch.Tensor:
        """(N, 3, r, r) at the largest stop ``r <= max_resolution``: the layer-``r`` output
        through the fitted read-out (the full image at full size)."""
        fitting = [r for r in self.preview_resolutions() if r <= max_resolution]
        stop = fitting[-1] if fitting else self.preview_resolutions()[0]
        if stop >= self.resolution:
            return self.synthesize(ws, noise_mode)
        ws = self._ws(ws)
        return self._anchor.apply((self.device, noise_mode), ws,
                                  self._readout.render(ws, stop, noise_mode),
                                  lambda anchor: self._readout.render(anchor, stop, noise_mode))

    def prepare_previews(self) -> None:
        """Fit the read-outs now (the window's load job calls this, off the GUI thread), so
        the first drag does not pay the few full renders the fit takes."""
        if self._readout.stops():
            self._readout.fit()

    def preview_fit(self, stop: int) -> dict[str, Any]:
        """How well the read-out at ``stop`` matches the downscaled full image."""
        return self._readout.quality(stop)

    def to(self, device: str | torch.device) -> StyleGAN1Model:
        self.device = torch.device(device)
        self.net.to(self.device)
        self._readout.clear()
        self._anchor.clear()
        return self


def model_from_weights(weights: StyleGAN1Weights, name: str, model_id: str, kind: str,
                       truncation: tuple[float, int | None] = DEFAULT_TRUNCATION
                       ) -> StyleGAN1Model:
    try:
        return StyleGAN1Model(weights, name, model_id, FORMATS[kind], truncation)
    except (ValueError, KeyError) as exc:
        raise ModelLoadError(f"unsupported StyleGAN (v1) generator ({exc})") from None
