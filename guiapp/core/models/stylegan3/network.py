"""StyleGAN3 generator (configs T and R) in plain torch (CPU and CUDA, float32, no compiled
extensions).

Karras et al., NeurIPS 2021, "Alias-Free Generative Adversarial Networks". The mapping
network is StyleGAN2's (:class:`~guiapp.core.models.stylegan2.layers.MappingNetwork`). The
synthesis network is a Fourier-feature input followed by ``num_layers`` synthesis layers
and a ToRGB layer; the image is the ToRGB output times ``output_scale``. Config T uses 3x3
convolutions and separable Kaiser filters; config R (rotation equivariant) uses 1x1
convolutions and radially symmetric downsampling filters in the layers that are not
critically sampled.

Layer geometry (:meth:`StyleGAN3Config.layer_specs`, the paper's appendix F): cutoffs and
minimum stop-bands grow geometrically from ``first_cutoff`` / ``first_stopband`` to the
image's Nyquist frequency over the first ``num_layers - num_critical`` layers; each
sampling rate is the power of two (at most the resolution) above twice the stop-band;
feature maps carry ``margin_size`` extra samples on each side except in the last two
layers; channels are ``min(channel_base / 2 / cutoff, channel_max)``.

``ws`` index layout: w 0 drives the input's transform, w ``i + 1`` the layer ``L{i}``, the
last one ToRGB; ``num_ws = num_layers + 2``. Module and parameter names follow
NVlabs/stylegan3 (``synthesis.input.affine.weight``, ``synthesis.L0_36_512.weight``,
``synthesis.L14_1024_3.bias``, ``mapping.fc0.weight``, ``mapping.w_avg``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from guiapp.core.models.formats import limits
from guiapp.core.models.stylegan2.layers import StyleGenerator, check_noise_mode
from guiapp.core.models.stylegan3.layers import LayerSpec, SynthesisInput, SynthesisLayer


@dataclass(frozen=True)
class StyleGAN3Config:
    """Everything needed to build the network; the defaults are config T at 1024 px."""

    z_dim: int = 512
    c_dim: int = 0
    w_dim: int = 512
    img_resolution: int = 1024
    img_channels: int = 3
    mapping_layers: int = 2
    mapping_lr: float = 0.01
    channel_base: int = 32768
    channel_max: int = 512
    num_layers: int = 14
    num_critical: int = 2
    first_cutoff: float = 2.0
    first_stopband: float = 2**2.1
    last_stopband_rel: float = 2**0.3
    margin_size: int = 10
    output_scale: float = 0.25
    conv_kernel: int = 3
    filter_size: int = 6
    lrelu_upsampling: int = 2
    use_radial_filters: bool = False
    conv_clamp: float | None = 256.0

    def __post_init__(self) -> None:
        lim = limits
        lim.check_int("img_resolution", self.img_resolution, 4, lim.MAX_RESOLUTION)
        lim.check_int("num_layers", self.num_layers, 1, lim.MAX_LAYERS)
        lim.check_int("num_critical", self.num_critical, 0, lim.MAX_LAYERS)
        if not 0 <= self.num_critical < self.num_layers:
            raise ValueError("need 0 <= num_critical < num_layers")
        lim.check_style_sizes(self)
        lim.check_int("margin_size", self.margin_size, 0, lim.MAX_MARGIN)
        lim.check_int("conv_kernel", self.conv_kernel, 1, lim.MAX_KERNEL)
        lim.check_int("filter_size", self.filter_size, 1, 16)
        lim.check_int("lrelu_upsampling", self.lrelu_upsampling, 1, 8)
        lim.check_float("output_scale", self.output_scale, -1e6, 1e6)
        lim.check_float("conv_clamp", self.conv_clamp, 1e-8, 1e12, none_ok=True)
        for name in ("first_cutoff", "first_stopband", "last_stopband_rel"):
            lim.check_float(name, getattr(self, name), 1e-3, lim.MAX_RESOLUTION)
        bands = self._bands()
        if not all(np.isfinite(v).all() for v in bands.values()):
            raise ValueError("the filter settings give non-finite layer sizes")
        if bands["sizes"].max() > lim.MAX_RESOLUTION + 2 * lim.MAX_MARGIN or (
            bands["channels"].min() < 1
        ):
            raise ValueError("the filter settings give layer sizes outside the supported range")

    @property
    def num_ws(self) -> int:
        return self.num_layers + 2

    def _bands(self) -> dict[str, np.ndarray]:
        """Per-layer cutoffs, half-widths, sampling rates, sizes and channels (index 0 is
        the input; float64 as in the paper's code, so rounding matches)."""
        res = self.img_resolution
        last_cutoff = res / 2
        last_stopband = last_cutoff * self.last_stopband_rel
        ramp = np.minimum(np.arange(self.num_layers + 1) / (self.num_layers - self.num_critical), 1)
        cutoffs = self.first_cutoff * (last_cutoff / self.first_cutoff) ** ramp
        stopbands = self.first_stopband * (last_stopband / self.first_stopband) ** ramp
        rates = np.exp2(np.ceil(np.log2(np.minimum(stopbands * 2, res))))
        half_widths = np.maximum(stopbands, rates / 2) - cutoffs
        sizes = rates + self.margin_size * 2
        sizes[-2:] = res
        channels = np.rint(np.minimum((self.channel_base / 2) / cutoffs, self.channel_max))
        channels[-1] = self.img_channels
        return {"cutoffs": cutoffs, "half_widths": half_widths, "rates": rates,
                "sizes": sizes, "channels": channels}  # fmt: skip

    def param_estimate(self) -> int:
        """About how many numbers the network holds (see StyleGAN2Config.param_estimate)."""
        ch = self._bands()["channels"]
        total = self.z_dim * self.w_dim * self.mapping_layers + self.c_dim * self.w_dim
        total += self.w_dim * self.w_dim * self.mapping_layers
        for i in range(1, len(ch)):
            total += int(ch[i - 1]) * (int(ch[i]) * self.conv_kernel**2 + self.w_dim)
        return total + int(ch[0]) * 4

    def input_spec(self) -> dict[str, float]:
        """Keyword arguments of :class:`SynthesisInput` (channels, size, rate, bandwidth)."""
        bands = self._bands()
        return {
            "channels": int(bands["channels"][0]),
            "size": int(bands["sizes"][0]),
            "sampling_rate": float(bands["rates"][0]),
            "bandwidth": float(bands["cutoffs"][0]),
        }

    def layer_specs(self) -> list[LayerSpec]:
        """The ``num_layers + 1`` synthesis layers, ToRGB last."""
        bands = self._bands()
        specs = []
        for idx in range(self.num_layers + 1):
            prev = max(idx - 1, 0)
            is_torgb = idx == self.num_layers
            critical = idx >= self.num_layers - self.num_critical
            in_rate, out_rate = int(bands["rates"][prev]), int(bands["rates"][idx])
            tmp_rate = max(in_rate, out_rate) * (1 if is_torgb else self.lrelu_upsampling)
            up, down = tmp_rate // in_rate, tmp_rate // out_rate
            if up * in_rate != tmp_rate or down * out_rate != tmp_rate:
                raise ValueError("sampling rates are not integer multiples of each other")
            up_taps = self.filter_size * up if up > 1 and not is_torgb else 1
            down_taps = self.filter_size * down if down > 1 and not is_torgb else 1
            kernel = 1 if is_torgb else self.conv_kernel
            in_size, out_size = int(bands["sizes"][prev]), int(bands["sizes"][idx])
            # Size before downsampling, minus the upsampled convolution output, plus what
            # the two filters take away; the low side gets the extra sample (appendix C.3).
            pad_total = (out_size - 1) * down + 1 - (in_size + kernel - 1) * up
            pad_total += up_taps + down_taps - 2
            pad_lo = (pad_total + up) // 2
            pad_hi = pad_total - pad_lo
            out_channels = int(bands["channels"][idx])
            specs.append(
                LayerSpec(
                    name=f"L{idx}_{out_size}_{out_channels}",
                    in_channels=int(bands["channels"][prev]),
                    out_channels=out_channels,
                    in_size=in_size,
                    out_size=out_size,
                    in_sampling_rate=in_rate,
                    out_sampling_rate=out_rate,
                    tmp_sampling_rate=tmp_rate,
                    in_cutoff=float(bands["cutoffs"][prev]),
                    out_cutoff=float(bands["cutoffs"][idx]),
                    in_half_width=float(bands["half_widths"][prev]),
                    out_half_width=float(bands["half_widths"][idx]),
                    is_torgb=is_torgb,
                    is_critically_sampled=critical,
                    conv_kernel=kernel,
                    up=up,
                    down=down,
                    up_taps=up_taps,
                    down_taps=down_taps,
                    down_radial=self.use_radial_filters and not critical,
                    padding=(pad_lo, pad_hi, pad_lo, pad_hi),
                    conv_clamp=self.conv_clamp,
                )
            )
        return specs


class SynthesisNetwork(nn.Module):
    """ws (N, num_ws, w_dim) -> images (N, img_channels, R, R)."""

    def __init__(self, cfg: StyleGAN3Config) -> None:
        super().__init__()
        self.w_dim, self.num_ws = cfg.w_dim, cfg.num_ws
        self.img_resolution, self.output_scale = cfg.img_resolution, cfg.output_scale
        self.input = SynthesisInput(cfg.w_dim, **cfg.input_spec())
        self.layer_names: list[str] = []
        for spec in cfg.layer_specs():
            setattr(self, spec.name, SynthesisLayer(spec, cfg.w_dim))
            self.layer_names.append(spec.name)

    def layers(self) -> list[SynthesisLayer]:
        """The synthesis layers in order; layer ``i`` reads w ``i + 1``."""
        return [getattr(self, name) for name in self.layer_names]

    def forward(
        self,
        ws: torch.Tensor,
        noise_mode: str = "const",
        fused: bool | None = None,
        generator: torch.Generator | None = None,
        fast: bool | None = None,
    ) -> torch.Tensor:
        """Images in about [-1, 1] (not clamped). StyleGAN3 has no noise inputs:
        ``noise_mode`` is checked, and it and ``generator`` are ignored. ``fast``: None or
        True take the CPU speed paths (:mod:`stylegan3.fast`) where they apply; False
        runs the reference ops."""
        check_noise_mode(noise_mode)
        del generator
        return self._run(ws, None, fused, fast is not False)

    def features(self, ws: torch.Tensor, layer: str, fast: bool | None = None) -> torch.Tensor:
        """(N, C, s, s) output of ``layer``: ``"input"`` or a layer name such as ``"L0_36_512"``."""
        if layer != "input" and layer not in self.layer_names:
            raise ValueError(f"unknown layer {layer!r}")
        return self._run(ws, layer, None, fast is not False)

    def _run(
        self, ws: torch.Tensor, stop: str | None, fused: bool | None, fast: bool
    ) -> torch.Tensor:
        if ws.ndim != 3 or ws.shape[1] != self.num_ws or ws.shape[2] != self.w_dim:
            raise ValueError(f"ws must be (N, {self.num_ws}, {self.w_dim}), not {tuple(ws.shape)}")
        ws = ws.float()
        fused = ws.shape[0] == 1 if fused is None else fused
        x = self.input(ws[:, 0])
        if stop == "input":
            return x
        for i, name in enumerate(self.layer_names):
            x = getattr(self, name)(x, ws[:, i + 1], fused=fused, fast=fast)
            if name == stop:
                return x
        return x * self.output_scale if self.output_scale != 1 else x


class Generator(StyleGenerator):
    """``mapping`` (z -> ws) and ``synthesis`` (ws -> image) of a StyleGAN3."""

    def __init__(self, cfg: StyleGAN3Config) -> None:
        super().__init__(cfg, SynthesisNetwork(cfg))
