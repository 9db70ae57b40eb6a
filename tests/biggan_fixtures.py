"""Small BigGAN-deep generators in ``pytorch_pretrained_biggan``'s file format, and a naive
reference network to check ours against.

:class:`NaiveBigGAN` is written here from the reference's op definitions, sharing nothing
with ``guiapp.core.models.biggan``: every conv and linear is wrapped in torch's own
``nn.utils.spectral_norm`` (so its ``state_dict`` has the reference's ``weight_orig`` /
``weight_u`` / ``weight_v`` names and eval mode divides by ``u . W v`` itself), the batch
norms interpolate their ``n_stats`` statistics the reference's way, and every latent is
fed one block at a time. Its weights are random (a few power iterations make ``u`` and
``v`` realistic); the files are its ``state_dict`` saved by ``torch.save`` in the legacy
(pre-zip) or the zip format, with ``config.json`` beside it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

SMALL_CONFIG = {
    "output_dim": 32,
    "z_dim": 8,
    "class_embed_dim": 8,
    "channel_width": 4,
    "num_classes": 1000,
    "layers": [[False, 16, 16], [True, 16, 8], [False, 8, 8], [True, 8, 4], [False, 4, 2],
               [True, 2, 1]],
    "attention_layer_position": 4,
    "eps": 1e-4,
    "n_stats": 51,
}
"""32 px, six blocks (num_ws 7), attention before block 4, ImageNet's 1000 classes."""


def _sn(module: nn.Module) -> nn.Module:
    return nn.utils.spectral_norm(module, eps=1e-4)


class NaiveCBN(nn.Module):
    def __init__(self, c: int, cond: int | None, n_stats: int, eps: float) -> None:
        super().__init__()
        self.register_buffer("running_means", torch.zeros(n_stats, c))
        self.register_buffer("running_vars", torch.ones(n_stats, c))
        self.eps, self.step = eps, 1.0 / (n_stats - 1)
        self.conditional = cond is not None
        if self.conditional:
            self.scale = _sn(nn.Linear(cond, c, bias=False))
            self.offset = _sn(nn.Linear(cond, c, bias=False))
        else:
            self.weight = nn.Parameter(torch.ones(c))
            self.bias = nn.Parameter(torch.zeros(c))

    def forward(self, x, truncation, cond=None):
        coef, start = math.modf(truncation / self.step)
        start = int(start)
        if coef != 0.0:
            mean = self.running_means[start] * coef + self.running_means[start + 1] * (1 - coef)
            var = self.running_vars[start] * coef + self.running_vars[start + 1] * (1 - coef)
        else:
            mean, var = self.running_means[start], self.running_vars[start]
        if not self.conditional:
            return F.batch_norm(x, mean, var, self.weight, self.bias, False, 0.0, self.eps)
        weight = 1 + self.scale(cond)[:, :, None, None]
        bias = self.offset(cond)[:, :, None, None]
        return (x - mean[None, :, None, None]) / torch.sqrt(var[None, :, None, None] + self.eps) \
            * weight + bias


class NaiveBlock(nn.Module):
    def __init__(self, cin, cout, cond, up, n_stats, eps):
        super().__init__()
        mid = cin // 4
        self.up, self.drop = up, cin != cout
        self.bn_0 = NaiveCBN(cin, cond, n_stats, eps)
        self.conv_0 = _sn(nn.Conv2d(cin, mid, 1))
        self.bn_1 = NaiveCBN(mid, cond, n_stats, eps)
        self.conv_1 = _sn(nn.Conv2d(mid, mid, 3, padding=1))
        self.bn_2 = NaiveCBN(mid, cond, n_stats, eps)
        self.conv_2 = _sn(nn.Conv2d(mid, mid, 3, padding=1))
        self.bn_3 = NaiveCBN(mid, cond, n_stats, eps)
        self.conv_3 = _sn(nn.Conv2d(mid, cout, 1))

    def forward(self, x, cond, t):
        x0 = x
        x = self.conv_0(F.relu(self.bn_0(x, t, cond)))
        x = F.relu(self.bn_1(x, t, cond))
        if self.up:
            x = F.interpolate(x, scale_factor=2, mode="nearest")
        x = self.conv_1(x)
        x = self.conv_2(F.relu(self.bn_2(x, t, cond)))
        x = self.conv_3(F.relu(self.bn_3(x, t, cond)))
        if self.drop:
            x0 = x0[:, : x0.shape[1] // 2]
        if self.up:
            x0 = F.interpolate(x0, scale_factor=2, mode="nearest")
        return x + x0


class NaiveAttn(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.snconv1x1_theta = _sn(nn.Conv2d(c, c // 8, 1, bias=False))
        self.snconv1x1_phi = _sn(nn.Conv2d(c, c // 8, 1, bias=False))
        self.snconv1x1_g = _sn(nn.Conv2d(c, c // 2, 1, bias=False))
        self.snconv1x1_o_conv = _sn(nn.Conv2d(c // 2, c, 1, bias=False))
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        _, ch, h, w = x.shape
        theta = self.snconv1x1_theta(x).view(-1, ch // 8, h * w)
        phi = F.max_pool2d(self.snconv1x1_phi(x), 2, 2).view(-1, ch // 8, h * w // 4)
        attn = F.softmax(torch.bmm(theta.permute(0, 2, 1), phi), dim=-1)
        g = F.max_pool2d(self.snconv1x1_g(x), 2, 2).view(-1, ch // 2, h * w // 4)
        out = torch.bmm(g, attn.permute(0, 2, 1)).view(-1, ch // 2, h, w)
        return x + self.gamma * self.snconv1x1_o_conv(out)


class NaiveGenerator(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        ch, cond = cfg["channel_width"], cfg["z_dim"] + cfg["class_embed_dim"]
        self.ch = ch
        self.gen_z = _sn(nn.Linear(cond, 4 * 4 * 16 * ch))
        layers = []
        for i, (up, a, b) in enumerate(cfg["layers"]):
            if i == cfg["attention_layer_position"]:
                layers.append(NaiveAttn(ch * a))
            layers.append(NaiveBlock(ch * a, ch * b, cond, up, cfg["n_stats"], cfg["eps"]))
        self.layers = nn.ModuleList(layers)
        self.bn = NaiveCBN(ch, None, cfg["n_stats"], cfg["eps"])
        self.conv_to_rgb = _sn(nn.Conv2d(ch, ch, 3, padding=1))


class NaiveBigGAN(nn.Module):
    """The reference's module tree and forward, per-layer conditions as GANSpace feeds them."""

    def __init__(self, cfg: dict) -> None:
        super().__init__()
        self.cfg = cfg
        self.embeddings = nn.Linear(cfg["num_classes"], cfg["class_embed_dim"], bias=False)
        self.generator = NaiveGenerator(cfg)

    def forward(self, zs: list[torch.Tensor], class_index: int, truncation: float):
        """``zs``: one (N, z_dim) latent per block plus one for gen_z."""
        one_hot = torch.zeros(zs[0].shape[0], self.cfg["num_classes"])
        one_hot[:, class_index] = 1
        embed = self.embeddings(one_hot)
        conds = [torch.cat((z, embed), dim=1) for z in zs]
        g = self.generator
        x = g.gen_z(conds[0]).view(-1, 4, 4, 16 * g.ch).permute(0, 3, 1, 2).contiguous()
        k = 1
        for layer in g.layers:
            if isinstance(layer, NaiveBlock):
                x = layer(x, conds[k], truncation)
                k += 1
            else:
                x = layer(x)
        x = g.conv_to_rgb(F.relu(g.bn(x, truncation)))
        return torch.tanh(x[:, :3])


def make_naive(cfg: dict | None = None, seed: int = 0) -> NaiveBigGAN:
    """A naive reference with random weights: conv/linear weights and biases, distinct
    batch-norm statistics for every truncation step, a non-zero attention gain; ``u`` and
    ``v`` set by a few power iterations, then eval mode."""
    cfg = dict(SMALL_CONFIG if cfg is None else cfg)
    torch.manual_seed(seed)
    net = NaiveBigGAN(cfg)
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name.endswith("gamma"):
                p.fill_(0.7)
            elif name.endswith("bias"):
                p.normal_(0, 0.1)
            elif name.endswith("weight_orig") or name == "embeddings.weight":
                p.normal_(0, 1)
        for name, b in net.named_buffers():
            if name.endswith("running_means"):
                b.normal_(0, 0.3)
            elif name.endswith("running_vars"):
                b.uniform_(0.5, 2.0)
        net.generator.bn.weight.uniform_(0.5, 1.5)
        for module in net.modules():  # power iterations, as training leaves u and v
            if hasattr(module, "weight_orig"):
                w = module.weight_orig.reshape(module.weight_orig.shape[0], -1)
                u = module.weight_u
                for _ in range(5):
                    v = F.normalize(w.T @ u, dim=0, eps=1e-4)
                    u = F.normalize(w @ v, dim=0, eps=1e-4)
                module.weight_u.copy_(u)
                module.weight_v.copy_(v)
    return net.eval().requires_grad_(False)


def write_biggan(folder: Path, *, legacy: bool = True, config: bool = True,
                 cfg: dict | None = None, seed: int = 0,
                 weights_name: str = "pytorch_model.bin") -> Path:
    """Write ``folder/pytorch_model.bin`` (legacy or zip ``torch.save`` of the naive
    network's state dict) and ``folder/config.json``; return the weights path."""
    cfg = dict(SMALL_CONFIG if cfg is None else cfg)
    folder.mkdir(parents=True, exist_ok=True)
    net = make_naive(cfg, seed)
    weights = folder / weights_name
    torch.save(net.state_dict(), weights, _use_new_zipfile_serialization=not legacy)
    if config:
        (folder / "config.json").write_text(json.dumps(cfg, indent=2))
    return weights


def reference_noise(seed: int, dim: int, truncation: float, n: int = 1) -> np.ndarray:
    """``truncated_noise_sample(n, dim, truncation, seed)`` as the reference writes it."""
    from scipy.stats import truncnorm

    values = truncnorm.rvs(-2, 2, size=(n, dim), random_state=np.random.RandomState(seed))
    return truncation * values.astype(np.float32)
