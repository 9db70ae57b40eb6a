"""The sizes and settings of a StyleGAN (v1) generator, and the TensorFlow variables it has.

Every reader turns its file into :class:`StyleGAN1Weights`: the TF variables of NVIDIA's
``G_style`` by their scoped names (``mapping/Dense0/weight``, ``synthesis/4x4/Const/const``,
``synthesis/8x8/Conv0_up/StyleMod/weight``, ``synthesis/noise3``, ``dlatent_avg``, ...) in
TF layouts, plus a :class:`StyleGAN1Config`. :meth:`StyleGAN1Config.tf_shapes` lists every
variable lod 0 uses with its shape, so a reader checks a file against it before anything
is built. Sizes are bounded by :mod:`guiapp.core.models.formats.limits`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from guiapp.core.models.formats import limits

FUSED_MIN_RES = 128
"""``fused_scale='auto'``: the upscaling conv is a fused transposed conv from this output
resolution up (NVIDIA's ``min(x.shape[2:]) * 2 >= 128``, genforce's ``res >= 128``)."""
DEFAULT_TRUNCATION = (0.7, 8)
"""``G_style``'s own ``truncation_psi`` and ``truncation_cutoff``: the truncation its
images are shown with (the adapter's :attr:`default_truncation`)."""


@dataclass(frozen=True)
class StyleGAN1Config:
    """What the weights and settings describe; ``channels[r]`` is the width at ``r`` px."""

    z_dim: int
    w_dim: int
    resolution: int
    channels: dict[int, int]
    mapping_layers: int = 8
    mapping_fmaps: int = 512
    mapping_lrmul: float = 0.01
    mapping_slope: float = 0.2
    normalize_latents: bool = True
    img_channels: int = 3
    fused_scale: bool | str = "auto"
    blur: tuple[float, ...] = (1.0, 2.0, 1.0)
    use_noise: bool = True
    use_wscale: bool = True
    use_pixel_norm: bool = False
    use_instance_norm: bool = True
    slope: float = 0.2

    def __post_init__(self) -> None:
        limits.check_int("latent_size", self.z_dim, 1, limits.MAX_LATENT)
        limits.check_int("dlatent_size", self.w_dim, 1, limits.MAX_LATENT)
        limits.check_int("mapping_layers", self.mapping_layers, 1, limits.MAX_MAPPING_LAYERS)
        limits.check_int("mapping_fmaps", self.mapping_fmaps, 1, limits.MAX_LATENT)
        limits.check_float("mapping_lrmul", self.mapping_lrmul, 1e-8, 1e3)
        limits.check_progressive_sizes(self.resolution, self.img_channels, self.channels,
                                       self.resolutions, low=8)
        if self.fused_scale not in (True, False, "auto"):
            raise ValueError(f"setting fused_scale={limits.shown(self.fused_scale)} is not "
                             "True, False or 'auto'")
        if self.blur and (len(self.blur) % 2 == 0 or len(self.blur) > limits.MAX_KERNEL):
            raise ValueError(f"blur_filter has {len(self.blur)} taps; an odd number up to "
                             f"{limits.MAX_KERNEL} is supported")
        if self.blur:
            limits.check_filter("blur_filter", self.blur)

    @property
    def resolutions(self) -> list[int]:
        """4, 8, ..., resolution."""
        return [2**i for i in range(2, self.resolution.bit_length())]

    @property
    def num_layers(self) -> int:
        """Style inputs = conv layers: two per resolution (``2 log2(res) - 2``)."""
        return 2 * len(self.resolutions)

    def fused(self, r: int) -> bool:
        """Whether the upscaling conv into resolution ``r`` is fused (a transposed conv)."""
        return r >= FUSED_MIN_RES if self.fused_scale == "auto" else bool(self.fused_scale)

    def layer_resolution(self, i: int) -> int:
        return 4 * 2 ** (i // 2)

    def layer_scope(self, i: int) -> str:
        """TF scope of conv layer ``i`` (its w index): ``4x4/Const``, ``4x4/Conv``,
        ``8x8/Conv0_up``, ``8x8/Conv1``, ..."""
        r = self.layer_resolution(i)
        if r == 4:
            return "4x4/Const" if i == 0 else "4x4/Conv"
        return f"{r}x{r}/{'Conv0_up' if i % 2 == 0 else 'Conv1'}"

    def layer_channels(self, i: int) -> int:
        return self.channels[self.layer_resolution(i)]

    def tf_shapes(self) -> dict[str, tuple[int, ...]]:
        """Every TF variable lod 0 uses, by scoped name, with its TF shape."""
        shapes: dict[str, tuple[int, ...]] = {}
        fan_in = self.z_dim
        for i in range(self.mapping_layers):
            out = self.w_dim if i == self.mapping_layers - 1 else self.mapping_fmaps
            shapes[f"mapping/Dense{i}/weight"] = (fan_in, out)
            shapes[f"mapping/Dense{i}/bias"] = (out,)
            fan_in = out
        shapes["dlatent_avg"] = (self.w_dim,)
        for i in range(self.num_layers):
            r, c = self.layer_resolution(i), self.layer_channels(i)
            scope = f"synthesis/{self.layer_scope(i)}"
            if i == 0:
                shapes[f"{scope}/const"] = (1, c, 4, 4)
            else:
                cin = self.layer_channels(i - 1)
                shapes[f"{scope}/weight"] = (3, 3, cin, c)
            if self.use_noise:
                shapes[f"synthesis/noise{i}"] = (1, 1, r, r)
                shapes[f"{scope}/Noise/weight"] = (c,)
            shapes[f"{scope}/bias"] = (c,)
            shapes[f"{scope}/StyleMod/weight"] = (self.w_dim, 2 * c)
            shapes[f"{scope}/StyleMod/bias"] = (2 * c,)
        shapes["synthesis/ToRGB_lod0/weight"] = (1, 1, self.channels[self.resolution],
                                                 self.img_channels)
        shapes["synthesis/ToRGB_lod0/bias"] = (self.img_channels,)
        return shapes


def channels_from_fmaps(resolution: int, fmap_base: int = 8192, fmap_decay: float = 1.0,
                        fmap_max: int = 512) -> dict[int, int]:
    """``G_synthesis``'s ``nf(log2(r) - 1)`` for every resolution (for fixtures and checks)."""
    return {r: min(int(fmap_base / (2.0 ** ((int(math.log2(r)) - 1) * fmap_decay))), fmap_max)
            for r in (2**i for i in range(2, resolution.bit_length()))}


@dataclass
class StyleGAN1Weights:
    """TF variables (scoped names, TF layouts, float32) and the config they fit."""

    config: StyleGAN1Config
    variables: dict[str, np.ndarray] = field(repr=False)
