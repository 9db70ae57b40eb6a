"""BigGAN-deep's generator in plain torch, with per-layer latents.

Brock, Donahue & Simonyan, "Large Scale GAN Training for High Fidelity Natural Image
Synthesis", ICLR 2019; the deep variant as ``pytorch_pretrained_biggan`` computes it:

- the condition of latent ``l`` is ``[z_l, E c]`` (``E``: the class embedding);
- ``gen_z`` (linear) maps condition 0 to a (4, 4, 16 ch) map, stored channels-last;
- GenBlocks: BN-ReLU-1x1 conv (to in/4 channels), BN-ReLU-[nearest x2]-3x3, BN-ReLU-3x3,
  BN-ReLU-1x1 (to out), plus the input (its first ``out`` channels, upsampled); block ``k``
  reads condition ``k + 1`` through its four conditional batch norms, whose gain is
  ``1 + scale(cond)`` and bias ``offset(cond)``;
- self-attention (SAGAN's, 2x2 max-pooled keys and values) before block
  ``attention_layer_position``;
- batch norm, ReLU, 3x3 conv to RGB (the first 3 of its channels), tanh.

Batch-norm statistics: each layer stores ``n_stats`` means and variances for truncations
``0, 1/(n-1), ..., 1``; a truncation psi picks them as the reference does
(:func:`stats_weights`). Weights arrive already divided by their spectral norm
(:mod:`.weights`), so nothing here iterates.

Speed: the class embedding is fixed while a user edits, so its share of ``gen_z`` and of
every conditional batch norm (half their weights) is computed once per class
(:class:`ClassTerms`), and each block reads its latent through one matrix product (its
four batch norms' z-columns stacked) instead of eight.

The module names follow the reference (``generator.gen_z``, ``generator.layers.{i}``), which
is how the feature layers are named.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from guiapp.core.models.biggan.config import BigGANConfig


def stats_weights(psi: float, n_stats: int) -> tuple[int, float, int, float]:
    """``(i, a, j, b)``: the statistics of truncation ``psi`` are ``a * s[i] + b * s[j]``.

    As in ``pytorch_pretrained_biggan``: ``coef, i = modf(psi / (1 / (n - 1)))``; exact grid
    points take ``s[i]``, others ``coef * s[i] + (1 - coef) * s[i + 1]`` (sic: the weight on
    the lower entry grows with the distance from it). ``psi`` is clamped to ``[0, 1]``.
    """
    psi = min(max(float(psi), 0.0), 1.0)
    coef, start = math.modf(psi / (1.0 / (n_stats - 1)))
    i = int(start)
    if coef == 0.0 or i + 1 >= n_stats:
        return min(i, n_stats - 1), 1.0, min(i, n_stats - 1), 0.0
    return i, coef, i + 1, 1.0 - coef


class CondBatchNorm(nn.Module):
    """Batch norm with truncation-selected statistics and a class- and z-conditional gain."""

    def __init__(self, channels: int, cond_dim: int, n_stats: int, eps: float) -> None:
        super().__init__()
        self.eps = eps
        self.register_buffer("running_means", torch.zeros(n_stats, channels))
        self.register_buffer("running_vars", torch.ones(n_stats, channels))
        self.register_buffer("scale", torch.zeros(channels, cond_dim))
        self.register_buffer("offset", torch.zeros(channels, cond_dim))
        self._stats: tuple[tuple, tuple[torch.Tensor, torch.Tensor]] | None = None

    def stats(self, psi: float) -> tuple[torch.Tensor, torch.Tensor]:
        """(C,) mean and ``1 / sqrt(var + eps)`` at truncation ``psi`` (cached per psi,
        device and inference mode: inference tensors cannot take part in autograd)."""
        key = (psi, self.running_means.device, torch.is_inference_mode_enabled())
        if self._stats is not None and self._stats[0] == key:
            return self._stats[1]
        i, a, j, b = stats_weights(psi, self.running_means.shape[0])
        mean = self.running_means[i] * a + self.running_means[j] * b
        var = self.running_vars[i] * a + self.running_vars[j] * b
        result = (mean, torch.rsqrt(var + self.eps))
        self._stats = (key, result)
        return result

    def forward(self, x: torch.Tensor, scale: torch.Tensor, offset: torch.Tensor,
                psi: float) -> torch.Tensor:
        """``scale`` (N, C) is ``1 + scale(cond)``, ``offset`` (N, C) ``offset(cond)``."""
        mean, inv_std = self.stats(psi)
        gain = scale * inv_std  # (N, C)
        bias = offset - mean * gain
        return torch.relu(torch.addcmul(bias[:, :, None, None], x, gain[:, :, None, None]))


class GenBlock(nn.Module):
    """One BigGAN-deep residual block (bottleneck of in/4 channels)."""

    def __init__(self, cin: int, cout: int, up: bool, cond_dim: int, n_stats: int,
                 eps: float, z_dim: int) -> None:
        super().__init__()
        mid = cin // 4
        self.up, self.cout, self.z_dim = up, cout, z_dim
        self.widths = (cin, mid, mid, mid)
        for i, c in enumerate(self.widths):
            self.add_module(f"bn_{i}", CondBatchNorm(c, cond_dim, n_stats, eps))
        self._z_weight: torch.Tensor | None = None
        self.conv_0 = nn.Conv2d(cin, mid, 1)
        self.conv_1 = nn.Conv2d(mid, mid, 3, padding=1)
        self.conv_2 = nn.Conv2d(mid, mid, 3, padding=1)
        self.conv_3 = nn.Conv2d(mid, cout, 1)

    def norms(self) -> list[CondBatchNorm]:
        return [getattr(self, f"bn_{i}") for i in range(4)]

    def z_weight(self) -> torch.Tensor:
        """(sum 2 C, z_dim): the z-columns of the four batch norms' scale and offset, stacked
        (scale 0, offset 0, scale 1, ...); built once per device, outside autograd."""
        w = self._z_weight
        if w is None or w.device != self.bn_0.scale.device:
            with torch.inference_mode(False), torch.no_grad():
                w = torch.cat([t[:, : self.z_dim] for bn in self.norms()
                               for t in (bn.scale, bn.offset)]).contiguous()
            self._z_weight = w
        return w

    def class_term(self, embed: torch.Tensor) -> torch.Tensor:
        """(sum 2 C,): the embedding's share of :meth:`z_weight`'s rows, plus the 1 of
        each gain."""
        parts = []
        for bn in self.norms():
            parts += [1 + bn.scale[:, self.z_dim :] @ embed, bn.offset[:, self.z_dim :] @ embed]
        return torch.cat(parts)

    def project(self, z: torch.Tensor, term: torch.Tensor) -> torch.Tensor:
        """(N, z_dim) -> (N, sum 2 C): every batch norm's gain and offset, one product."""
        return torch.addmm(term, z, self.z_weight().T)

    def forward(self, x: torch.Tensor, proj: torch.Tensor, psi: float,
                up: bool | None = None) -> torch.Tensor:
        """``proj`` from :meth:`project`; ``up`` overrides the block's upsampling (False: a
        preview keeps the resolution)."""
        up = self.up if up is None else up
        cin, mid = self.widths[:2]
        s0, o0, s1, o1, s2, o2, s3, o3 = proj.split([cin, cin] + [mid] * 6, dim=1)
        h = self.conv_0(self.bn_0(x, s0, o0, psi))
        h = self.bn_1(h, s1, o1, psi)
        if up:
            h = F.interpolate(h, scale_factor=2.0, mode="nearest")
        h = self.conv_1(h)
        h = self.conv_2(self.bn_2(h, s2, o2, psi))
        h = self.conv_3(self.bn_3(h, s3, o3, psi))
        skip = x[:, : self.cout] if x.shape[1] != self.cout else x
        if up:
            skip = F.interpolate(skip, scale_factor=2.0, mode="nearest")
        return h + skip


class SelfAttention(nn.Module):
    """SAGAN's self-attention: queries at every pixel, keys and values 2x2 max-pooled."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.snconv1x1_theta = nn.Conv2d(channels, channels // 8, 1, bias=False)
        self.snconv1x1_phi = nn.Conv2d(channels, channels // 8, 1, bias=False)
        self.snconv1x1_g = nn.Conv2d(channels, channels // 2, 1, bias=False)
        self.snconv1x1_o_conv = nn.Conv2d(channels // 2, channels, 1, bias=False)
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        theta = self.snconv1x1_theta(x).flatten(2)  # (N, C/8, HW)
        phi = F.max_pool2d(self.snconv1x1_phi(x), 2).flatten(2)  # (N, C/8, HW/4)
        attn = torch.softmax(theta.transpose(1, 2) @ phi, dim=-1)  # (N, HW, HW/4)
        g = F.max_pool2d(self.snconv1x1_g(x), 2).flatten(2)  # (N, C/2, HW/4)
        out = (g @ attn.transpose(1, 2)).view(n, c // 2, h, w)
        return x + self.gamma * self.snconv1x1_o_conv(out)


State = tuple[int, int, int, torch.Tensor]
"""``(ModuleList index, GenBlocks run, upsamplings done, activation)`` before a GenBlock."""


@dataclass(frozen=True)
class ClassTerms:
    """What the class embedding adds: to ``gen_z`` (with its bias) and to each block's
    :meth:`GenBlock.project`."""

    gen_z: torch.Tensor
    blocks: tuple[torch.Tensor, ...]


class Generator(nn.Module):
    """``generator``: gen_z, the blocks (and attention), the RGB output."""

    def __init__(self, cfg: BigGANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        ch, cond = cfg.channel_width, cfg.cond_dim
        self.gen_z = nn.Linear(cond, 4 * 4 * 16 * ch)
        layers: list[nn.Module] = []
        for i, (up, cin, cout) in enumerate(cfg.layers):
            if i == cfg.attention_layer_position:
                layers.append(SelfAttention(ch * cin))
            layers.append(GenBlock(ch * cin, ch * cout, up, cond, cfg.n_stats, cfg.eps,
                                   cfg.z_dim))
        self.layers = nn.ModuleList(layers)
        self.register_buffer("bn_means", torch.zeros(cfg.n_stats, ch))
        self.register_buffer("bn_vars", torch.ones(cfg.n_stats, ch))
        self.register_buffer("bn_weight", torch.ones(ch))
        self.register_buffer("bn_bias", torch.zeros(ch))
        self.conv_to_rgb = nn.Conv2d(ch, 3, 3, padding=1)  # only the 3 channels it keeps

    def blocks(self) -> list[GenBlock]:
        return [m for m in self.layers if isinstance(m, GenBlock)]

    def class_terms(self, embed: torch.Tensor) -> ClassTerms:
        """The (E,) class embedding's share of every product that reads a condition."""
        z = self.cfg.z_dim
        gen_z = torch.addmv(self.gen_z.bias, self.gen_z.weight[:, z:], embed)
        return ClassTerms(gen_z, tuple(b.class_term(embed) for b in self.blocks()))

    def gen_z_out(self, z0: torch.Tensor, terms: ClassTerms) -> torch.Tensor:
        """(N, z_dim) -> (N, 16 ch * 16): ``gen_z([z0, E c])`` in its channels-last order."""
        return torch.addmm(terms.gen_z, z0, self.gen_z.weight[:, : self.cfg.z_dim].T)

    def start(self, z0: torch.Tensor, terms: ClassTerms) -> torch.Tensor:
        """(N, z_dim) -> (N, 16 ch, 4, 4): gen_z, its channels-last output made NCHW."""
        x = self.gen_z_out(z0, terms)
        return x.view(-1, 4, 4, 16 * self.cfg.channel_width).permute(0, 3, 1, 2).contiguous()

    def run(self, zs: torch.Tensor, terms: ClassTerms, psi: float, upto: int | None = None,
            keep_resolution_after: int | None = None, resume: State | None = None,
            record: list[State] | None = None) -> torch.Tensor:
        """Run to ModuleList entry ``upto`` (inclusive; None: all, then the RGB output).

        ``zs`` (N, num_blocks + 1, z_dim), ``terms`` the class's :class:`ClassTerms`.
        A preview (``keep_resolution_after`` upsampling blocks, fewer than the network has)
        stops growing at that size: the last upsampling block before it upsamples its
        output instead of its inner activations (its convolutions run at a quarter of the
        pixels), and every block after it keeps the size. ``resume`` starts from a recorded
        state instead of gen_z; ``record`` collects the state before every GenBlock.
        """
        keep = keep_resolution_after
        start, block, ups, x = resume if resume is not None else (0, 0, 0,
                                                                  self.start(zs[:, 0], terms))
        for i, layer in enumerate(self.layers):
            if i < start:
                continue
            if isinstance(layer, GenBlock):
                if record is not None:
                    record.append((i, block, ups, x))
                proj = layer.project(zs[:, block + 1], terms.blocks[block])
                ups += layer.up
                if layer.up and keep is not None and ups >= keep:
                    x = layer(x, proj, psi, False)
                    if ups == keep:  # the upsampling that reaches the preview's size
                        x = F.interpolate(x, scale_factor=2.0, mode="nearest")
                else:
                    x = layer(x, proj, psi)
                block += 1
            else:
                x = layer(x)
            if upto is not None and i == upto:
                return x
        return self.to_rgb(x, psi)

    def to_rgb(self, x: torch.Tensor, psi: float) -> torch.Tensor:
        i, a, j, b = stats_weights(psi, self.cfg.n_stats)
        mean = self.bn_means[i] * a + self.bn_means[j] * b
        var = self.bn_vars[i] * a + self.bn_vars[j] * b
        x = F.batch_norm(x, mean, var, self.bn_weight, self.bn_bias, False, 0.0, self.cfg.eps)
        return torch.tanh(self.conv_to_rgb(torch.relu(x)))


class BigGAN(nn.Module):
    """``embeddings`` (one column per class) and the ``generator``."""

    def __init__(self, cfg: BigGANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embeddings = nn.Linear(cfg.num_classes, cfg.class_embed_dim, bias=False)
        self.generator = Generator(cfg)
        self._terms: tuple[tuple, ClassTerms] | None = None

    def class_terms(self, class_index: int) -> ClassTerms:
        """:meth:`Generator.class_terms` of class ``class_index``, kept for the last class
        and device (computed outside autograd: constants that gradients pass by)."""
        device = self.embeddings.weight.device
        key = (class_index, device)
        if self._terms is None or self._terms[0] != key:
            with torch.inference_mode(False), torch.no_grad():
                terms = self.generator.class_terms(self.embeddings.weight[:, class_index])
            self._terms = (key, terms)
        return self._terms[1]
