"""StyleGAN2 generator in plain torch (CPU and CUDA, float32, no compiled extensions).

Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN" (CVPR), in the
form trained by stylegan2-ada-pytorch (Karras et al. 2020, "Training Generative Adversarial
Networks with Limited Data", NeurIPS). Implemented: the mapping network (with optional
class embedding), a learned 4x4 constant, one synthesis block per resolution (a 2x
upsampling modulated conv and a modulated conv, each with noise), and the three output
architectures of the official ``SynthesisBlock``: 'skip' (configs e/f and ADA's default:
every block adds its ToRGB output to the upsampled RGB image), 'resnet' (a 1x1 upsampling
skip around the block's convolutions, ToRGB in the last block only) and 'orig' (plain
convolutions, ToRGB in the last block only, no skip summation). Float16 blocks run in
float32.

``ws`` index layout (as in the official code): block ``b4`` reads w 0 (conv1) and w 1
(torgb); every later block reads 2 ws for its convs starting where the previous block's
convs ended, and its ToRGB reads the w after them, shared with the next block's conv0.
``num_ws = 2 * log2(resolution) - 2``. Module and parameter names follow
stylegan2-ada-pytorch (``mapping.fc0.weight``, ``synthesis.b8.conv0.affine.weight``,
``synthesis.b4.const``, ``...noise_const``, ``...resample_filter``, ``mapping.w_avg``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from guiapp.core.models.formats import limits
from guiapp.core.models.ops.resample import make_filter, upsample2d
from guiapp.core.models.stylegan2.fast import fast_enabled, synthesis_fast, upsample2d_fast
from guiapp.core.models.stylegan2.layers import StyleGenerator, SynthesisLayer, ToRGBLayer

ARCHITECTURES = ("orig", "skip", "resnet")


@dataclass(frozen=True)
class StyleGAN2Config:
    """Everything needed to build the network; ``channels`` maps resolution -> channels
    (empty: ``min(channel_base // res, channel_max)``)."""

    z_dim: int = 512
    c_dim: int = 0
    w_dim: int = 512
    img_resolution: int = 1024
    img_channels: int = 3
    channel_base: int = 32768
    channel_max: int = 512
    channels: dict[int, int] = field(default_factory=dict)
    architecture: str = "skip"
    conv_clamp: float | None = None
    mapping_layers: int = 8
    mapping_lr: float = 0.01
    embed_features: int | None = None
    layer_features: int | None = None
    track_w_avg: bool = True
    use_noise: bool = True
    resample_filter: tuple[float, ...] = (1, 3, 3, 1)

    def __post_init__(self) -> None:
        res = limits.check_int("img_resolution", self.img_resolution, 4, limits.MAX_RESOLUTION)
        if res & (res - 1):
            raise ValueError(f"resolution must be a power of two >= 4, not {res}")
        self._check_limits()
        if self.architecture not in ARCHITECTURES:
            raise ValueError(
                f"the {self.architecture!r} synthesis architecture is not supported "
                f"(have: {', '.join(ARCHITECTURES)})"
            )

    def _check_limits(self) -> None:
        """Bounds on every size before anything is built (see :mod:`limits`)."""
        lim = limits
        lim.check_style_sizes(self)
        lim.check_float("conv_clamp", self.conv_clamp, 1e-8, 1e12, none_ok=True)
        for name in ("embed_features", "layer_features"):
            if getattr(self, name) is not None:
                lim.check_int(name, getattr(self, name), 1, lim.MAX_CHANNELS)
        lim.check_filter("resample_filter", self.resample_filter)
        if self.channels:
            if set(self.channels) != set(self.block_resolutions):
                raise ValueError("channel counts are not given for every block resolution")
            for res, ch in self.channels.items():
                lim.check_int(f"channels at {res}x{res}", ch, 1, lim.MAX_CHANNELS)
        else:
            for res in self.block_resolutions:
                lim.check_int(f"channels at {res}x{res}", self.channels_at(res), 1,
                              lim.MAX_CHANNELS)

    def param_estimate(self) -> int:
        """About how many numbers the network holds (parameters and buffers, within a small
        factor), computed from the settings alone, so a file whose settings describe a far
        bigger network than its tensors is refused before anything is allocated."""
        feats = self.layer_features or self.w_dim
        embed = self.embed_features or self.w_dim
        z_in = self.z_dim + (embed if self.c_dim else 0)
        total = z_in * feats + feats * feats * max(self.mapping_layers - 2, 0) + feats * self.w_dim
        total += self.c_dim * embed
        prev = self.channels_at(4)
        for res in self.block_resolutions:
            out = self.channels_at(res)
            total += self.w_dim * (prev + 2 * out) + 9 * out * (prev + out) + out * prev
            total += out * self.img_channels + 2 * res * res + 16 * out
            prev = out
        return total

    @property
    def block_resolutions(self) -> list[int]:
        return [2**i for i in range(2, int(math.log2(self.img_resolution)) + 1)]

    def channels_at(self, res: int) -> int:
        if self.channels:
            return self.channels[res]
        return min(self.channel_base // res, self.channel_max)

    @property
    def num_ws(self) -> int:
        return 2 * len(self.block_resolutions)


class Conv2dLayer(nn.Module):
    """The resnet architecture's skip: bias-free 1x1 conv then 2x FIR upsampling."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        resample_filter: tuple[float, ...] = (1, 3, 3, 1),
    ) -> None:
        super().__init__()
        self.register_buffer("resample_filter", make_filter(resample_filter))
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, 1, 1))
        self.weight_gain = 1 / math.sqrt(in_channels)

    def forward(self, x: torch.Tensor, gain: float = 1.0, fast: bool | None = None) -> torch.Tensor:
        if fast_enabled(fast, x, self.weight):
            x = F.conv2d(x, self.weight * (self.weight_gain * gain))
            return upsample2d_fast(x, self.resample_filter)
        x = F.conv2d(x, self.weight * self.weight_gain)
        return upsample2d(x, self.resample_filter) * gain


class SynthesisBlock(nn.Module):
    """One resolution: [const | conv0 (up 2x)], conv1, [torgb], [resnet skip]."""

    def __init__(self, cfg: StyleGAN2Config, res: int) -> None:
        super().__init__()
        self.resolution = res
        self.is_first = res == 4
        self.is_last = res == cfg.img_resolution
        self.architecture = cfg.architecture
        out_ch = cfg.channels_at(res)
        self.register_buffer("resample_filter", make_filter(cfg.resample_filter))
        kwargs = {
            "w_dim": cfg.w_dim,
            "resolution": res,
            "use_noise": cfg.use_noise,
            "conv_clamp": cfg.conv_clamp,
            "resample_filter": cfg.resample_filter,
        }
        if self.is_first:
            self.const = nn.Parameter(torch.randn(out_ch, res, res))
        else:
            in_ch = cfg.channels_at(res // 2)
            self.conv0 = SynthesisLayer(in_ch, out_ch, up=2, **kwargs)
        self.conv1 = SynthesisLayer(out_ch, out_ch, **kwargs)
        self.num_conv = 1 if self.is_first else 2
        self.has_torgb = self.is_last or self.architecture == "skip"
        if self.has_torgb:
            self.torgb = ToRGBLayer(out_ch, cfg.img_channels, cfg.w_dim, cfg.conv_clamp)
        if not self.is_first and self.architecture == "resnet":
            self.skip = Conv2dLayer(in_ch, out_ch, cfg.resample_filter)

    def noise_layers(self) -> list[SynthesisLayer]:
        """The block's convs that add noise, in order (conv0, conv1)."""
        convs = [self.conv1] if self.is_first else [self.conv0, self.conv1]
        return [c for c in convs if c.use_noise]

    def convs(
        self, x: torch.Tensor | None, ws: torch.Tensor, channels_last: bool = False,
        noise: Sequence[torch.Tensor] | None = None, **layer_kwargs
    ) -> torch.Tensor:
        """The block's activations: (N, C_in, R/2, R/2) -> (N, C, R, R); ``ws`` (N, k, w_dim).
        ``channels_last``: start from the constant in that memory format (faster convs).
        ``noise``: one map per :meth:`noise_layers` entry, in place of the fixed noise."""
        maps = dict(zip(map(id, self.noise_layers()), noise, strict=True)) if noise else {}
        if self.is_first:
            x = self.const.unsqueeze(0).repeat(ws.shape[0], 1, 1, 1)
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            return self.conv1(x, ws[:, 0], noise_map=maps.get(id(self.conv1)), **layer_kwargs)
        n0, n1 = maps.get(id(self.conv0)), maps.get(id(self.conv1))
        if self.architecture == "resnet":
            y = self.skip(x, gain=math.sqrt(0.5), fast=layer_kwargs.get("fast"))
            x = self.conv0(x, ws[:, 0], noise_map=n0, **layer_kwargs)
            x = self.conv1(x, ws[:, 1], gain=math.sqrt(0.5), noise_map=n1, **layer_kwargs)
            return y + x
        x = self.conv0(x, ws[:, 0], noise_map=n0, **layer_kwargs)
        return self.conv1(x, ws[:, 1], noise_map=n1, **layer_kwargs)

    def rgb(
        self,
        x: torch.Tensor,
        img: torch.Tensor | None,
        ws: torch.Tensor,
        fused: bool,
        fast: bool | None = None,
    ) -> torch.Tensor | None:
        """Upsample the incoming image and add this block's ToRGB output (if it has one)."""
        if img is not None:
            if fast_enabled(fast, img):
                img = upsample2d_fast(img, self.resample_filter)
            else:
                img = upsample2d(img, self.resample_filter)
        if self.has_torgb:
            y = self.torgb(x, ws[:, self.num_conv], fused=fused, fast=fast)
            img = y if img is None else img + y
        return img


class SynthesisNetwork(nn.Module):
    """ws (N, num_ws, w_dim) -> images (N, img_channels, R, R)."""

    def __init__(self, cfg: StyleGAN2Config) -> None:
        super().__init__()
        self.w_dim = cfg.w_dim
        self.img_resolution = cfg.img_resolution
        self.block_resolutions = cfg.block_resolutions
        self.num_ws = cfg.num_ws
        for res in self.block_resolutions:
            setattr(self, f"b{res}", SynthesisBlock(cfg, res))

    def block(self, res: int) -> SynthesisBlock:
        return getattr(self, f"b{res}")

    def block_ws(self, ws: torch.Tensor, res: int) -> torch.Tensor:
        """(N, num_ws, D) -> (N, k, D) the ws that block ``res`` reads (convs, then ToRGB)."""
        start = 0 if res == 4 else 2 * int(math.log2(res)) - 5
        block = self.block(res)
        return ws[:, start : start + block.num_conv + int(block.has_torgb)]

    def forward(
        self,
        ws: torch.Tensor,
        noise_mode: str = "const",
        fused: bool | None = None,
        max_resolution: int | None = None,
        generator: torch.Generator | None = None,
        fast: bool | None = None,
        noise: Sequence[torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """Images in about [-1, 1]: (N, C, R, R), R = ``min(max_resolution, resolution)``.

        ``noise``: one (R, R) map per entry of :meth:`noise_shapes`, used in place of the
        file's fixed noise when ``noise_mode`` is "const" (a projected photo's own maps).

        Stopping early (``max_resolution``) returns the RGB skip image at that block, a
        cheap preview; it needs the 'skip' architecture. ``fast``: None (default) takes
        the fast paths of :mod:`stylegan2_fast` on a CPU when autograd records nothing;
        False runs the reference ops (``fused`` then picks the grouped-convolution form);
        True takes the fast paths on any device (see ``synthesis_fast``).
        """
        ws = self._check_ws(ws)
        per_block = self._block_noise(noise)
        fused = ws.shape[0] == 1 if fused is None else fused
        fast = synthesis_fast(fast, ws, *self.parameters(), *(noise or ()))
        kwargs = {"noise_mode": noise_mode, "fused": fused, "generator": generator, "fast": fast}
        x = img = None
        for res in self.block_resolutions:
            block = self.block(res)
            bws = self.block_ws(ws, res)
            x = block.convs(x, bws, channels_last=fast, noise=per_block.get(res), **kwargs)
            img = block.rgb(x, img, bws, fused, fast)
            if max_resolution is not None and res >= max_resolution and img is not None:
                break
        return img.contiguous()

    def features(
        self, ws: torch.Tensor, layer: str, noise_mode: str = "const", fast: bool | None = None
    ) -> torch.Tensor:
        """(N, C, r, r) output of ``layer``: ``"b{r}.conv0"`` or ``"b{r}.conv1"`` (for the
        resnet architecture, ``conv1`` means the block's output, skip included)."""
        ws = self._check_ws(ws)
        name, _, conv = layer.partition(".")
        res = int(name[1:]) if name[:1] == "b" and name[1:].isdigit() else -1
        if res not in self.block_resolutions or conv not in ("conv0", "conv1"):
            raise ValueError(f"unknown layer {layer!r}")
        if res == 4 and conv == "conv0":
            raise ValueError("block b4 has no conv0")
        fast = synthesis_fast(fast, ws, *self.parameters())
        kwargs = {"noise_mode": noise_mode, "fused": ws.shape[0] == 1, "fast": fast}
        x = None
        for r in self.block_resolutions:
            block = self.block(r)
            bws = self.block_ws(ws, r)
            if r == res and conv == "conv0":
                return block.conv0(x, bws[:, 0], **kwargs).contiguous()
            x = block.convs(x, bws, **kwargs)
            if r == res:
                return x.contiguous()
        raise AssertionError("unreachable")

    def noise_shapes(self) -> tuple[tuple[int, int], ...]:
        """(R, R) of each noise input, in order: b4.conv1, b8.conv0, b8.conv1, ... (the
        order of NVIDIA's ``noise_const`` buffers)."""
        return tuple((layer.resolution, layer.resolution)
                     for res in self.block_resolutions
                     for layer in self.block(res).noise_layers())

    def _block_noise(self, noise: Sequence[torch.Tensor] | None
                     ) -> dict[int, list[torch.Tensor]]:
        """``noise`` (one map per noise input) split per block resolution; ValueError
        when the count or a shape does not fit."""
        if noise is None:
            return {}
        shapes = self.noise_shapes()
        if len(noise) != len(shapes):
            raise ValueError(f"this generator has {len(shapes)} noise inputs, not {len(noise)}")
        out: dict[int, list[torch.Tensor]] = {}
        for shape, n in zip(shapes, noise, strict=True):
            if tuple(n.shape[-2:]) != shape:
                raise ValueError(f"a noise map of shape {tuple(n.shape)} where the generator "
                                 f"has {shape}")
            out.setdefault(shape[0], []).append(n)
        return out

    def _check_ws(self, ws: torch.Tensor) -> torch.Tensor:
        if ws.ndim != 3 or ws.shape[1] != self.num_ws or ws.shape[2] != self.w_dim:
            raise ValueError(f"ws must be (N, {self.num_ws}, {self.w_dim}), not {tuple(ws.shape)}")
        return ws.float()


class Generator(StyleGenerator):
    """``mapping`` (z -> ws) and ``synthesis`` (ws -> image) of a StyleGAN2."""

    def __init__(self, cfg: StyleGAN2Config) -> None:
        super().__init__(
            cfg, SynthesisNetwork(cfg), embed_features=cfg.embed_features,
            layer_features=cfg.layer_features, track_w_avg=cfg.track_w_avg,
        )  # fmt: skip
