"""BigGAN-deep as a :class:`GeneratorModel`: class-conditional, per-layer latents in z.

- Latents: ``num_ws = blocks + 1`` copies of z (GANSpace's convention): latent 0 feeds
  ``gen_z``, latent ``k`` block ``k - 1``, each with the class embedding appended, so an
  edit on a layer range changes only those blocks' conditional batch norms.
- Seeds: :func:`~.classes.truncated_noise` (the reference's ``truncated_noise_sample``), so a
  seed gives the reference's image; truncation psi scales z (``w_avg`` is zero) and also
  picks the batch-norm statistics, which :meth:`truncate` records for :meth:`synthesize`.
- Class: :attr:`class_index` (set by :meth:`map_for_class`), named by :attr:`class_names`.
- SeFa reads the z-columns of ``gen_z`` and, for a layer range, of the chosen blocks' batch
  norm scale and offset layers; features are the reference's module outputs
  (``generator.gen_z``: 4 x 4 x 16 ch values, in its channels-last order).
- Previews: :meth:`synthesize_preview` stops upsampling at a resolution (every block
  runs, the last ones at the preview's size, the one that reaches it at half of it; see
  :meth:`~.network.Generator.run`), a cheap stand-in that keeps the layout and colours of
  the image while the slider moves, anchored on the last full image
  (:mod:`~guiapp.core.models.ops.preview_anchor`). Single images (a render, a preview)
  reuse the activations before the first block whose latent changed since the last one.
"""

from __future__ import annotations

import numpy as np
import torch

from guiapp.core.models.base import GeneratorModel, ModelLoadError
from guiapp.core.models.biggan.classes import class_names, truncated_noise
from guiapp.core.models.biggan.config import BigGANConfig
from guiapp.core.models.biggan.network import BigGAN, GenBlock
from guiapp.core.models.biggan.weights import network_state
from guiapp.core.models.ops.preview_anchor import PreviewAnchor

FORMAT = "biggan-deep-pytorch"


class BigGANModel(GeneratorModel):
    """A ``pytorch_pretrained_biggan`` BigGAN-deep generator."""

    format = FORMAT
    w_dim = None

    def __init__(self, sd: dict[str, torch.Tensor], cfg: BigGANConfig, name: str,
                 model_id: str) -> None:
        state = network_state(sd, cfg)
        self.net = BigGAN(cfg).eval().requires_grad_(False)
        missing, unexpected = self.net.load_state_dict(state, strict=False)
        if missing or unexpected:  # network_state and the network disagree: our bug
            raise ModelLoadError(f"internal: BigGAN weights {missing[:2]} {unexpected[:2]}")
        self.cfg = cfg
        self.name, self.model_id = name, model_id
        self.z_dim = cfg.z_dim
        self.num_ws = cfg.num_blocks + 1
        self.resolution = cfg.output_dim
        self.c_dim = cfg.num_classes
        self.class_names = class_names(cfg.num_classes)
        blocks = range(len(self.net.generator.layers))
        self.feature_layers = ("generator.gen_z", *(f"generator.layers.{i}" for i in blocks))
        self.truncation = 1.0
        self._class_index = 0
        self._prefix: dict = {}  # preview stop -> (key, conds, states) of the last image
        self._anchor = PreviewAnchor()
        self.device = torch.device("cpu")

    # -- class and truncation ---------------------------------------------------------
    @property
    def class_index(self) -> int:
        """The class drawn (0 .. c_dim - 1)."""
        return self._class_index

    @class_index.setter
    def class_index(self, value: int) -> None:
        if not 0 <= int(value) < self.c_dim:
            raise ValueError(f"class index must be in 0..{self.c_dim - 1}, not {value}")
        self._class_index = int(value)

    def sample_z(self, n: int, seed: int) -> np.ndarray:
        """(n, z_dim) truncated-normal latents of ``seed`` (before psi), as the reference."""
        return truncated_noise(n, self.z_dim, seed)

    def truncate(self, ws: torch.Tensor, psi: float, cutoff: int | None = None) -> torch.Tensor:
        """``psi * ws`` (``w_avg`` is zero); psi also selects the batch-norm statistics."""
        self.truncation = float(psi)
        return super().truncate(ws, psi, cutoff)

    def map(self, z: torch.Tensor) -> torch.Tensor:
        return z.to(self.device, torch.float32)[:, None, :].repeat(1, self.num_ws, 1)

    def map_for_class(self, z: torch.Tensor, class_index: int | None = None) -> torch.Tensor:
        """:meth:`map`, drawing class ``class_index`` from now on (None: the current one)."""
        if class_index is not None:
            self.class_index = class_index
        return self.map(z)

    # -- images and features ------------------------------------------------------------
    def _latents(self, ws: torch.Tensor) -> torch.Tensor:
        if ws.ndim != 3 or ws.shape[1:] != (self.num_ws, self.z_dim):
            raise ValueError(f"expected latents (N, {self.num_ws}, {self.z_dim}), "
                             f"got {tuple(ws.shape)}")
        return ws.to(self.device, torch.float32)

    def synthesize(self, ws: torch.Tensor, noise_mode: str = "const") -> torch.Tensor:
        """(N, num_ws, z_dim) -> (N, 3, R, R) in [-1, 1] (BigGAN has no noise inputs)."""
        zs = self._latents(ws)
        image = self._run(zs, None)
        self._anchor.record(self._anchor_key(), zs, image)
        return image

    def _anchor_key(self) -> tuple:
        return (self._class_index, self.truncation, self.device)

    def _run(self, zs: torch.Tensor, keep: int | None) -> torch.Tensor:
        """The image, reusing the blocks before the first latent that changed since the
        last single-image call at the same preview stop, class and psi (a slider on a
        layer range leaves the earlier blocks as they were): the same ops from the same
        activations, so the same pixels."""
        gen = self.net.generator
        terms = self.net.class_terms(self._class_index)
        if zs.shape[0] != 1 or torch.is_grad_enabled():
            return gen.run(zs, terms, self.truncation, keep_resolution_after=keep)
        key = self._anchor_key()
        resume = None
        cached = self._prefix.get(keep)
        if cached is not None and cached[0] == key:
            _, old, states = cached
            changed = [j for j in range(zs.shape[1]) if not torch.equal(old[:, j], zs[:, j])]
            first = changed[0] if changed else zs.shape[1]
            usable = [st for st in states if first > 0 and st[1] == first - 1]
            resume = usable[-1] if usable else None
            if resume is not None:
                states = [st for st in states if st[1] < first - 1]
        if resume is None:
            states = []
        record: list = []
        image = gen.run(zs, terms, self.truncation, keep_resolution_after=keep, resume=resume,
                        record=record)
        self._prefix[keep] = (key, zs.clone(), states + record)
        return image

    def preview_resolutions(self) -> tuple[int, ...]:
        """Sizes a preview can stop upsampling at: after each upsampling block."""
        ups = sum(up for up, _, _ in self.cfg.layers)
        return tuple(4 * 2**i for i in range(1, ups + 1))

    def synthesize_preview(self, ws: torch.Tensor, max_resolution: int,
                           noise_mode: str = "const") -> torch.Tensor:
        """(N, num_ws, z_dim) -> (N, 3, r, r), r the largest preview size <= max_resolution:
        every block runs, those after size r without upsampling."""
        stops = [r for r in self.preview_resolutions() if r <= max_resolution]
        stop = stops[-1] if stops else self.preview_resolutions()[0]
        if stop >= self.resolution:
            return self.synthesize(ws, noise_mode)
        keep = stop.bit_length() - 3  # upsampling blocks to run: 4 * 2**keep == stop
        zs = self._latents(ws)
        return self._anchor.apply(self._anchor_key(), zs, self._run(zs, keep),
                                  lambda anchor: self._run(anchor, keep))

    def features(self, ws: torch.Tensor, layer: str) -> torch.Tensor:
        """(N, num_ws, z_dim) -> (N, F): the output of ``layer`` (a reference module name)."""
        if layer not in self.feature_layers:
            raise ValueError(
                f"unknown layer {layer!r}; this model has {', '.join(self.feature_layers)}")
        zs = self._latents(ws)
        terms = self.net.class_terms(self._class_index)
        if layer == "generator.gen_z":
            return self.net.generator.gen_z_out(zs[:, 0], terms)
        upto = int(layer.rsplit(".", 1)[1])
        return self.net.generator.run(zs, terms, self.truncation, upto=upto).flatten(1)

    def feature_dim(self, layer: str) -> int:
        with torch.no_grad():
            return int(self.features(torch.zeros(1, self.num_ws, self.z_dim), layer).shape[1])

    # -- SeFa ---------------------------------------------------------------------------
    def blocks(self) -> list[GenBlock]:
        return self.net.generator.blocks()

    def sefa_weights(self, layers: tuple[int, int] | None = None) -> torch.Tensor:
        """(M, z_dim) z-columns of what reads latents ``[start, stop)``: ``gen_z`` for latent
        0, block ``k - 1``'s batch-norm scale and offset for latent ``k``; None: ``gen_z``."""
        start, stop = layers if layers is not None else (0, 1)
        if not 0 <= start < stop <= self.num_ws:
            raise ValueError(f"layers must satisfy 0 <= start < stop <= {self.num_ws}")
        z = self.z_dim
        parts = [self.net.generator.gen_z.weight[:, :z]] if start == 0 else []
        for block in self.blocks()[max(start, 1) - 1 : stop - 1]:
            for k in range(4):
                bn = getattr(block, f"bn_{k}")
                parts += [bn.scale[:, :z], bn.offset[:, :z]]
        return torch.cat(parts).detach()

    def to(self, device: str | torch.device) -> BigGANModel:
        self.device = torch.device(device)
        self._prefix = {}
        self._anchor.clear()
        self.net.to(self.device)
        return self
