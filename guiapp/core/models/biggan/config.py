"""BigGAN-deep's settings: read from ``config.json`` or inferred from a state dict's shapes.

Brock, Donahue & Simonyan, "Large Scale GAN Training for High Fidelity Natural Image
Synthesis", ICLR 2019, as published by ``pytorch_pretrained_biggan`` (128, 256 and 512 px:
``z_dim`` 128, a 128-D class embedding, ``channel_width`` 128, ``n_stats`` 51 batch-norm
statistics per layer, self-attention before block 8). Every size is bounded before a
network is built, so a file that declares a billion channels is refused in one line.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from guiapp.core.errors import ModelLoadError
from guiapp.core.models.formats.limits import MAX_CLASSES, MAX_LATENT, check_float, check_int

MAX_BLOCKS = 32
MAX_WIDTH = 1024
"""``channel_width``: 128 in every published model; a block has up to 16x that."""
MAX_MULT = 16
MAX_STATS = 1001
MAX_CONFIG_BYTES = 64 * 1024
MAX_RESOLUTION = 2048

Block = tuple[bool, int, int]
"""``(upsample, in multiplier, out multiplier)``: a GenBlock of ``ch * in -> ch * out``."""


@dataclass(frozen=True)
class BigGANConfig:
    """The constructor arguments of ``pytorch_pretrained_biggan``'s ``BigGANConfig``."""

    output_dim: int = 128
    z_dim: int = 128
    class_embed_dim: int = 128
    channel_width: int = 128
    num_classes: int = 1000
    layers: tuple[Block, ...] = ()
    attention_layer_position: int = 8
    eps: float = 1e-4
    n_stats: int = 51

    @property
    def cond_dim(self) -> int:
        """Each block reads ``[z, class embedding]``."""
        return self.z_dim + self.class_embed_dim

    @property
    def num_blocks(self) -> int:
        return len(self.layers)

    def check(self) -> BigGANConfig:
        """Refuse sizes no BigGAN has (ValueError naming the setting); returns self."""
        check_int("z_dim", self.z_dim, 1, MAX_LATENT)
        check_int("class_embed_dim", self.class_embed_dim, 1, MAX_LATENT)
        check_int("channel_width", self.channel_width, 3, MAX_WIDTH)  # RGB: 3 of its outputs
        check_int("num_classes", self.num_classes, 1, MAX_CLASSES)
        check_int("n_stats", self.n_stats, 2, MAX_STATS)
        check_float("eps", self.eps, 1e-12, 1.0)
        if not 1 <= len(self.layers) <= MAX_BLOCKS:
            raise ValueError(f"setting layers has {len(self.layers)} blocks; "
                             f"1..{MAX_BLOCKS} are supported")
        check_int("attention_layer_position", self.attention_layer_position, -1, MAX_BLOCKS)
        prev = 16
        for i, (up, cin, cout) in enumerate(self.layers):
            if not isinstance(up, bool):
                raise ValueError(f"setting layers[{i}] upsample flag {up!r} is not true/false")
            check_int(f"layers[{i}] in", cin, 1, MAX_MULT)
            check_int(f"layers[{i}] out", cout, 1, MAX_MULT)
            if cin != prev:
                raise ValueError(f"setting layers[{i}] reads {cin}x channels, the block before "
                                 f"gives {prev}x")
            if cout not in (cin, cin // 2) or (self.channel_width * cin) % 4:
                raise ValueError(f"setting layers[{i}] = {(up, cin, cout)} is not a BigGAN-deep "
                                 "block (out is in or in / 2 channels)")
            prev = cout
        if prev != 1:
            raise ValueError(f"the last block gives {prev}x channels; BigGAN ends at 1x")
        pos = self.attention_layer_position
        if 0 <= pos < len(self.layers) and (self.channel_width * self.layers[pos][1]) % 8:
            raise ValueError("self-attention needs a channel count divisible by 8")
        ups = sum(up for up, _, _ in self.layers)
        if 4 * 2**ups != self.output_dim or self.output_dim > MAX_RESOLUTION:
            raise ValueError(f"setting output_dim={self.output_dim} does not match the "
                             f"{ups} upsampling blocks ({4 * 2**ups} px)")
        return self

    def has_attention(self) -> bool:
        return 0 <= self.attention_layer_position < len(self.layers)


_FIELDS = {"output_dim", "z_dim", "class_embed_dim", "channel_width", "num_classes",
           "layers", "attention_layer_position", "eps", "n_stats"}


def config_from_dict(data: Any) -> BigGANConfig:
    """A checked config from the parsed ``config.json`` (unknown keys are ignored)."""
    if not isinstance(data, dict):
        raise ValueError("config.json does not hold an object")
    values = {k: v for k, v in data.items() if k in _FIELDS}
    layers = values.get("layers")
    if layers is not None:
        if not isinstance(layers, list | tuple) or len(layers) > MAX_BLOCKS:
            raise ValueError("setting layers is not a list of at most "
                             f"{MAX_BLOCKS} [upsample, in, out] blocks")
        blocks = []
        for item in layers:
            if not isinstance(item, list | tuple) or len(item) != 3:
                raise ValueError("setting layers holds an entry that is not [upsample, in, out]")
            blocks.append((item[0], item[1], item[2]))
        values["layers"] = tuple(blocks)
    return BigGANConfig(**values).check()


def read_config_file(path: Path) -> BigGANConfig:
    """``config.json`` beside the weights, at most :data:`MAX_CONFIG_BYTES`."""
    with open(path, "rb") as fh:
        text = fh.read(MAX_CONFIG_BYTES + 1)
    if len(text) > MAX_CONFIG_BYTES:
        raise ModelLoadError(f"{path.name}: is over {MAX_CONFIG_BYTES // 1024} KiB, "
                             "not a BigGAN config")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise ModelLoadError(f"{path.name}: is not valid JSON") from None
    try:
        return config_from_dict(data)
    except (ValueError, TypeError) as exc:
        raise ModelLoadError(f"{path.name}: {exc}") from None


def _shape(sd: dict[str, torch.Tensor], key: str, ndim: int) -> tuple[int, ...]:
    value = sd.get(key)
    if not isinstance(value, torch.Tensor) or value.ndim != ndim:
        raise ValueError(f"weight {key!r} is missing or not {ndim}-D")
    return tuple(value.shape)


def block_indices(sd: dict[str, torch.Tensor]) -> tuple[list[int], int]:
    """(ModuleList indices of the GenBlocks, index of the self-attention or -1)."""
    indices: set[int] = set()
    for key in sd:
        if key.startswith("generator.layers."):
            head = key.split(".")[2]
            if head.isdigit() and len(head) < 4:
                indices.add(int(head))
    if not indices or max(indices) >= MAX_BLOCKS + 1 or len(indices) != max(indices) + 1:
        raise ValueError("the generator's layers are not numbered 0..n")
    attn = [i for i in indices if f"generator.layers.{i}.gamma" in sd]
    if len(attn) > 1:
        raise ValueError("the generator has more than one self-attention layer")
    blocks = sorted(indices - set(attn))
    return blocks, (attn[0] if attn else -1)


def infer_config(sd: dict[str, torch.Tensor]) -> BigGANConfig:
    """Read the config back from the shapes of a BigGAN state dict.

    The up-sampling flags are not in the shapes: every published BigGAN-deep alternates a
    block that keeps the resolution with one that doubles it, starting with one that keeps
    it, and that pattern is assumed. ``eps`` is the published 1e-4.
    """
    embed, classes = _shape(sd, "embeddings.weight", 2)
    out, cond = _shape(sd, "generator.gen_z.weight_orig", 2)
    if out % 256:
        raise ValueError(f"gen_z gives {out} values, not 4 x 4 x 16 x channel_width")
    ch = out // 256
    blocks, attn = block_indices(sd)
    layers = []
    for n, i in enumerate(blocks):
        cin = _shape(sd, f"generator.layers.{i}.conv_0.weight_orig", 4)[1]
        cout = _shape(sd, f"generator.layers.{i}.conv_3.weight_orig", 4)[0]
        if cin % ch or cout % ch:
            raise ValueError(f"block {n} has {cin} -> {cout} channels, not multiples of {ch}")
        layers.append((n % 2 == 1, cin // ch, cout // ch))
    stats = _shape(sd, "generator.bn.running_means", 2)[0]
    # In the ModuleList the attention sits before the block it precedes.
    position = -1 if attn < 0 else attn
    ups = sum(up for up, _, _ in layers)
    return BigGANConfig(
        output_dim=4 * 2 ** min(ups, 12), z_dim=cond - embed, class_embed_dim=embed,
        channel_width=ch, num_classes=classes, layers=tuple(layers),
        attention_layer_position=position, n_stats=stats,
    ).check()


def param_estimate(cfg: BigGANConfig) -> int:
    """Numbers the network holds (to refuse a claim larger than the file before building)."""
    ch, cond = cfg.channel_width, cfg.cond_dim
    total = cfg.class_embed_dim * cfg.num_classes + cond * 256 * ch
    for _, cin, cout in cfg.layers:
        i, o = ch * cin, ch * cout
        m = i // 4
        total += i * m + 2 * 9 * m * m + m * o + 2 * cond * (i + 3 * m)
    return int(total + 9 * ch * ch + math.prod((cfg.n_stats, ch, 2)))
