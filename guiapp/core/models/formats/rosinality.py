"""Read rosinality/stylegan2-pytorch checkpoints into our StyleGAN2 network.

rosinality's generator implements StyleGAN2 (Karras et al. 2020, "Analyzing and Improving
the Image Quality of StyleGAN", config f) with the same arithmetic as NVIDIA's but other
names and layouts. A checkpoint is a ``torch.save`` dict with ``g_ema`` (a state dict)
and optionally ``latent_avg``; it is read with our restricted unpickler (no ``torch.load``),
so no code in the file runs and no size in it is trusted before it is checked. This module
infers the size, ``style_dim``, ``n_mlp`` and channel multiplier from the tensor shapes and
converts:

- ``style.{i+1}`` (EqualLinear, lr_mul 0.01) -> ``mapping.fc{i}`` (same gains);
- ``input.input`` (1, C, 4, 4) -> ``synthesis.b4.const``;
- ``conv1`` / ``convs.{2j}`` / ``convs.{2j+1}`` -> ``b4.conv1`` / ``b{8*2^j}.conv0`` /
  ``.conv1``: the (1, O, I, k, k) weight times its ``1/sqrt(fan_in)`` scale (applied before
  demodulation, as rosinality does), ``modulation`` -> ``affine``, ``noise.weight`` ->
  ``noise_strength``, ``activate.bias`` (FusedLeakyReLU: bias, lrelu, gain sqrt(2)) ->
  ``bias``, ``noises.noise_{n}`` -> ``noise_const``;
- ``to_rgb1`` / ``to_rgbs.{j}`` -> ``torgb`` (same 1/sqrt(C) style scale, no
  demodulation); the 4x-gain blur / upsample kernels -> ``resample_filter`` (divided by 4).

There is no clamping. When ``latent_avg`` is missing, ``w_avg`` is the mean of the mapped
latents of 10 000 seeded z.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from guiapp.core.models.base import ModelLoadError
from guiapp.core.models.formats.weights import load_weights
from guiapp.core.models.stylegan2.adapter import StyleGANModel
from guiapp.core.models.stylegan2.network import Generator, StyleGAN2Config

if TYPE_CHECKING:
    from guiapp.core.models.registry import Source

FORMAT = "stylegan2-rosinality"
LR_MLP = 0.01


@dataclass(frozen=True)
class RosinalityConfig:
    """The constructor arguments of rosinality's ``Generator`` read back from shapes."""

    size: int
    style_dim: int
    n_mlp: int
    channel_multiplier: int
    channels: dict[int, int]


def infer_config(sd: dict[str, torch.Tensor]) -> RosinalityConfig:
    """Infer rosinality's ``Generator`` arguments from a ``g_ema`` state dict.

    Raises
    ------
    ModelLoadError
        When the state dict is not a rosinality StyleGAN2 generator.
    """
    try:
        style_dim = int(sd["conv1.conv.modulation.weight"].shape[1])
        n_mlp = sum(1 for k in sd if k.startswith("style.") and k.endswith(".weight"))
        n_rgbs = sum(1 for k in sd if k.startswith("to_rgbs.") and k.endswith(".conv.weight"))
        size = 4 * 2**n_rgbs
        channels = {4: int(sd["conv1.conv.weight"].shape[1])}
        for j in range(n_rgbs):
            channels[8 * 2**j] = int(sd[f"convs.{2 * j}.conv.weight"].shape[1])
    except (KeyError, IndexError, AttributeError) as exc:
        raise ModelLoadError(f"not a rosinality StyleGAN2 generator (no {exc})") from None
    multiplier = channels[64] // 256 if 64 in channels else 2
    return RosinalityConfig(size, style_dim, n_mlp, max(multiplier, 1), channels)


def _modconv(sd: dict, src: str, dst: str, out: dict) -> None:
    w = sd[f"{src}.conv.weight"][0].float()  # (O, I, k, k)
    fan_in = w.shape[1] * w.shape[2] * w.shape[3]
    out[f"{dst}.weight"] = w / math.sqrt(fan_in)
    out[f"{dst}.affine.weight"] = sd[f"{src}.conv.modulation.weight"]
    out[f"{dst}.affine.bias"] = sd[f"{src}.conv.modulation.bias"]
    out[f"{dst}.noise_strength"] = sd[f"{src}.noise.weight"].reshape(())
    out[f"{dst}.bias"] = sd[f"{src}.activate.bias"]


def _torgb(sd: dict, src: str, dst: str, out: dict) -> None:
    out[f"{dst}.weight"] = sd[f"{src}.conv.weight"][0]
    out[f"{dst}.affine.weight"] = sd[f"{src}.conv.modulation.weight"]
    out[f"{dst}.affine.bias"] = sd[f"{src}.conv.modulation.bias"]
    out[f"{dst}.bias"] = sd[f"{src}.bias"].reshape(-1)


def convert_state_dict(sd: dict[str, torch.Tensor], net: Generator) -> dict[str, torch.Tensor]:
    """rosinality ``g_ema`` state dict -> our :class:`Generator` state dict.

    Buffers the checkpoint lacks (resample filters of layers that never resample, missing
    noise) keep ``net``'s values; ``mapping.w_avg`` is left for the caller.
    """
    out = dict(net.state_dict())
    cfg = infer_config(sd)
    try:
        for i in range(cfg.n_mlp):
            out[f"mapping.fc{i}.weight"] = sd[f"style.{i + 1}.weight"]
            out[f"mapping.fc{i}.bias"] = sd[f"style.{i + 1}.bias"]
        out["synthesis.b4.const"] = sd["input.input"][0]
        _modconv(sd, "conv1", "synthesis.b4.conv1", out)
        _torgb(sd, "to_rgb1", "synthesis.b4.torgb", out)
        noise_index = {"synthesis.b4.conv1": 0}
        for j in range(len(cfg.channels) - 1):
            b = f"synthesis.b{8 * 2**j}"
            _modconv(sd, f"convs.{2 * j}", f"{b}.conv0", out)
            _modconv(sd, f"convs.{2 * j + 1}", f"{b}.conv1", out)
            _torgb(sd, f"to_rgbs.{j}", f"{b}.torgb", out)
            noise_index[f"{b}.conv0"], noise_index[f"{b}.conv1"] = 2 * j + 1, 2 * j + 2
            if f"convs.{2 * j}.conv.blur.kernel" in sd:
                out[f"{b}.conv0.resample_filter"] = sd[f"convs.{2 * j}.conv.blur.kernel"] / 4
            if f"to_rgbs.{j}.upsample.kernel" in sd:
                out[f"{b}.resample_filter"] = sd[f"to_rgbs.{j}.upsample.kernel"] / 4
        for layer, n in noise_index.items():
            if f"noises.noise_{n}" in sd:
                out[f"{layer}.noise_const"] = sd[f"noises.noise_{n}"][0, 0]
    except (KeyError, IndexError) as exc:
        raise ModelLoadError(f"incomplete rosinality StyleGAN2 generator (no {exc})") from None
    return out


def network_from_state_dict(sd: dict[str, torch.Tensor]) -> Generator:
    """Build our network for a rosinality ``g_ema`` state dict and load it (no w_avg yet)."""
    cfg = infer_config(sd)
    net = Generator(
        StyleGAN2Config(
            z_dim=cfg.style_dim,
            w_dim=cfg.style_dim,
            img_resolution=cfg.size,
            channels=cfg.channels,
            mapping_layers=cfg.n_mlp,
            mapping_lr=LR_MLP,
            track_w_avg=False,
        )
    )
    # Noise missing from old checkpoints: seeded, so that "const" stays reproducible.
    gen = torch.Generator().manual_seed(0)
    for name, buf in net.named_buffers():
        if name.endswith("noise_const"):
            buf.copy_(torch.randn(buf.shape, generator=gen))
    load_weights(net, convert_state_dict(sd, net))
    return net.eval().requires_grad_(False)


def read_checkpoint(ckpt: object, src: Source) -> StyleGANModel:
    """The model of a rosinality checkpoint's object (``g_ema`` [+ ``latent_avg``]); the
    registry's last ``"torch"`` reader, so it explains why other torch files are refused.

    Raises
    ------
    ModelLoadError
        One line: not a rosinality checkpoint, or weights that do not fit.
    """
    shown = src.path.name
    if not isinstance(ckpt, dict) or not isinstance(ckpt.get("g_ema"), dict):
        keys = (", ".join(str(k)[:40] for k in list(ckpt)[:6]) if isinstance(ckpt, dict)
                else type(ckpt).__name__)
        raise ModelLoadError(
            f"{shown}: not a rosinality stylegan2-pytorch checkpoint (no 'g_ema'; has {keys})"
        )
    not_tensors = [k for k, v in ckpt["g_ema"].items() if not isinstance(v, torch.Tensor)]
    if not_tensors:
        raise ModelLoadError(f"{shown}: 'g_ema' entry {str(not_tensors[0])[:60]!r} is not a tensor")
    try:
        net = network_from_state_dict(ckpt["g_ema"])
    except ModelLoadError as exc:
        raise ModelLoadError(f"{shown}: {exc}") from None
    latent_avg = ckpt.get("latent_avg")
    if latent_avg is not None and not isinstance(latent_avg, torch.Tensor):
        latent_avg = None
    return StyleGANModel(net, src.name, src.model_id, FORMAT, w_avg=latent_avg)
