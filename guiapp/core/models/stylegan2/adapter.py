"""Adapter: a StyleGAN2 generator (Karras et al. 2020, "Analyzing and Improving the Image
Quality of StyleGAN") behind the :class:`GeneratorModel` interface.

Latents: ``map(z)`` gives (N, num_ws, w_dim) ws before truncation; :meth:`truncate` pulls
them towards ``w_avg`` (optionally only the first ``cutoff`` layers, as NVIDIA's
``truncation_cutoff``). Edits are added after truncation. Conditional generators read
a class index (:attr:`StyleGANModel.class_index`) as a one-hot label.

SeFa (Shen & Zhou 2021) reads the style affines, as the paper's code (genforce/sefa)
does: w index ``i < num_ws - 1`` is the i-th modulated conv (``b4.conv1``, ``b8.conv0``,
``b8.conv1``, ...) and the last index is the last ToRGB layer.

Preview: with the 'skip' architecture every block's RGB output is a complete lower
resolution image, so :meth:`synthesize_preview` stops at a smaller block.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from guiapp.core.models.base import GeneratorModel, ModelLoadError
from guiapp.core.models.stylegan2.layers import FullyConnectedLayer
from guiapp.core.models.stylegan2.mapping_fast import map_w
from guiapp.core.models.stylegan2.network import Generator

W_AVG_SAMPLES = 10_000
"""Latents averaged for ``w_avg`` when the file has none."""
W_AVG_SEED = 0
MAX_FEATURE_RESOLUTION = 32


class StyleGANModel(GeneratorModel):
    """A loaded StyleGAN2 generator on ``device`` (float32, inference only)."""

    def __init__(
        self,
        net: Generator,
        name: str,
        model_id: str,
        format: str,
        w_avg: torch.Tensor | None = None,
    ) -> None:
        self.net = net.eval().requires_grad_(False)
        self.name, self.model_id, self.format = name, model_id, format
        self.z_dim, self.w_dim = net.z_dim, net.w_dim
        self.num_ws, self.resolution, self.c_dim = net.num_ws, net.img_resolution, net.c_dim
        self.device = next(net.parameters()).device
        self.feature_layers = self._feature_layers()
        self._class_index = 0
        if w_avg is None:
            w_avg = getattr(net.mapping, "w_avg", None)
        self._w_avg = (w_avg if w_avg is not None else self._sample_w_avg()).reshape(-1)
        self._w_avg = self._w_avg.to(self.device, torch.float32)
        if self._w_avg.shape != (self.w_dim,):
            raise ModelLoadError(f"w_avg has shape {tuple(self._w_avg.shape)}, not ({self.w_dim},)")

    def _feature_layers(self) -> tuple[str, ...]:
        """The layers :meth:`features` reads: every conv up to MAX_FEATURE_RESOLUTION."""
        return tuple(
            f"b{r}.{conv}"
            for r in self.net.synthesis.block_resolutions
            if r <= MAX_FEATURE_RESOLUTION
            for conv in (("conv1",) if r == 4 else ("conv0", "conv1"))
        )

    # -- latents ---------------------------------------------------------------------
    @property
    def class_index(self) -> int:
        """The class a conditional generator draws (0 .. c_dim - 1); 0 when unconditional."""
        return self._class_index

    @class_index.setter
    def class_index(self, value: int) -> None:
        self._check_class(value)
        self._class_index = int(value)

    def _check_class(self, value: int) -> None:
        if self.c_dim == 0 and value != 0:
            raise ValueError("this generator is not conditional: it has no classes")
        if self.c_dim and not 0 <= value < self.c_dim:
            raise ValueError(f"class index must be in 0..{self.c_dim - 1}, not {value}")

    @property
    def w_avg(self) -> torch.Tensor:
        return self._w_avg

    def _labels(self, n: int, class_index: int | None = None) -> torch.Tensor | None:
        """One-hot labels of ``class_index`` (None: :attr:`class_index`), None if
        unconditional."""
        if self.c_dim == 0:
            return None
        c = torch.zeros(n, self.c_dim, device=self.device)
        c[:, self._class_index if class_index is None else class_index] = 1
        return c

    def map(self, z: torch.Tensor) -> torch.Tensor:
        """(N, z_dim) -> (N, num_ws, w_dim) float32, before truncation, for
        :attr:`class_index`."""
        return self.map_for_class(z, None)

    def map_for_class(self, z: torch.Tensor, class_index: int | None = None) -> torch.Tensor:
        """:meth:`map` for class ``class_index`` (None: :attr:`class_index`)."""
        if class_index is not None:
            self._check_class(class_index)
        z = z.to(self.device, torch.float32)
        return self.net.mapping(z, self._labels(z.shape[0], class_index))

    def map_w(self, z: torch.Tensor) -> torch.Tensor:
        """(N, z_dim) -> (N, w_dim) float32: ``map(z)[:, 0]`` once per latent, through the
        folded inference path (:func:`~guiapp.core.models.stylegan2.mapping_fast.map_w`), for
        samplers of many w."""
        z = z.to(self.device, torch.float32)
        return map_w(self.net.mapping, z, self._labels(z.shape[0]))

    def _sample_w_avg(self) -> torch.Tensor:
        """Mean of ``map(z)`` over :data:`W_AVG_SAMPLES` seeded latents (class 0)."""
        z = torch.from_numpy(self.sample_z(W_AVG_SAMPLES, W_AVG_SEED)).float()
        total = torch.zeros(self.w_dim, dtype=torch.float64)
        with torch.no_grad():
            for chunk in z.split(1000):
                total += self.map(chunk)[:, 0].double().sum(0).cpu()
        return (total / W_AVG_SAMPLES).float()

    # -- images and features ---------------------------------------------------------
    def synthesize(
        self,
        ws: torch.Tensor,
        noise_mode: str = "const",
        generator: torch.Generator | None = None,
        noise: Sequence[torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """(N, num_ws, w_dim) -> (N, 3, R, R) float32, nominally in [-1, 1] (not clamped).

        ``noise_mode``: ``"const"`` (the file's fixed noise, or ``noise``: one map per
        :meth:`noise_shapes` entry, a projected photo's own), ``"random"`` (fresh noise,
        from ``generator`` when given) or ``"none"``.
        """
        if noise is None:
            return self.net.synthesis(ws.to(self.device), noise_mode=noise_mode,
                                      generator=generator)
        return self.net.synthesis(ws.to(self.device), noise_mode=noise_mode,
                                  generator=generator, noise=noise)

    def noise_shapes(self) -> tuple[tuple[int, int], ...]:
        """(R, R) of each noise input in synthesis order (b4.conv1, b8.conv0, ...)."""
        return self.net.synthesis.noise_shapes()

    def preview_resolutions(self) -> tuple[int, ...]:
        """Resolutions :meth:`synthesize_preview` can stop at (all blocks for 'skip')."""
        synth = self.net.synthesis
        if self.net.cfg.architecture != "skip":
            return (self.resolution,)
        return tuple(synth.block_resolutions)

    def synthesize_preview(
        self, ws: torch.Tensor, max_resolution: int, noise_mode: str = "const",
        noise: Sequence[torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """(N, num_ws, w_dim) -> (N, 3, r, r): the RGB image of the largest block with
        ``r <= max_resolution`` (full resolution when the architecture has no per-block RGB).
        The ws of the skipped blocks are ignored; ``noise`` as in :meth:`synthesize`."""
        stops = [r for r in self.preview_resolutions() if r <= max_resolution]
        stop = stops[-1] if stops else self.preview_resolutions()[0]
        if stop >= self.resolution:
            return self.synthesize(ws, noise_mode, noise=noise)
        return self.net.synthesis(ws.to(self.device), noise_mode=noise_mode, max_resolution=stop,
                                  noise=noise)

    def features(self, ws: torch.Tensor, layer: str) -> torch.Tensor:
        """(N, num_ws, w_dim) -> (N, C * r * r) activations of ``layer`` (const noise)."""
        if layer not in self.feature_layers:
            raise ValueError(
                f"unknown layer {layer!r}; this model has {', '.join(self.feature_layers)}"
            )
        return self.net.synthesis.features(ws.to(self.device), layer).flatten(1)

    # -- SeFa ------------------------------------------------------------------------
    def style_affines(self) -> list[FullyConnectedLayer]:
        """The affine of each w index: the convs in order, then the last ToRGB."""
        synth = self.net.synthesis
        convs = []
        for res in synth.block_resolutions:
            block = synth.block(res)
            convs += [block.conv1] if res == 4 else [block.conv0, block.conv1]
        last = synth.block(self.resolution).torgb
        return [layer.affine for layer in convs] + [last.affine]

    def sefa_weights(self, layers: tuple[int, int] | None = None) -> torch.Tensor:
        """(M, w_dim) stacked effective style weights of w indices ``[start, stop)``."""
        start, stop = layers if layers is not None else (0, self.num_ws)
        if not 0 <= start < stop <= self.num_ws:
            raise ValueError(f"layers must satisfy 0 <= start < stop <= {self.num_ws}")
        affines = self.style_affines()[start:stop]
        return torch.cat([a.effective_weight().detach() for a in affines], dim=0)

    def to(self, device: str | torch.device) -> StyleGANModel:
        self.device = torch.device(device)
        self.net.to(self.device)
        self._w_avg = self._w_avg.to(self.device)
        return self
