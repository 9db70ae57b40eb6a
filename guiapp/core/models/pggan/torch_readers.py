"""Read PGGAN generators saved by PyTorch projects as ``torch.save`` state dicts.

Two layouts, both converted back to NVIDIA's TensorFlow variables (names and layouts) so
one network builder serves every format:

- genforce (genforce/genforce, ``models/pggan_generator.py``; SeFa's model zoo): a dict
  with ``generator_smooth`` (the moving average, preferred) or ``generator``, holding
  ``lod``, ``layer{2b}.weight`` / ``.bias`` and ``layer{2b+1}.*`` for block ``b``
  (``layer0`` is the dense layer as a (C, z, 4, 4) convolution of a 1x1 input, flipped;
  the others (out, in, 3, 3) convolutions) and ``output{b}.*`` (ToRGB of every block; the
  last is ``ToRGB_lod0``). genforce's converter builds ``fused_scale=False`` networks
  (its model zoo's), so ``layer{2b}`` is read as nearest upscale + 3x3 convolution.
- GAN Dissection's ProGAN (``netdissect/proggan.py``, the ``.pth`` files GANSpace
  downloads): a plain state dict (or one under ``state_dict``) with ``layer{i}.conv.weight``
  and ``layer{i}.wscale.b`` for ``i = 1..2B`` and ``output_{R}x{R}.conv.weight`` /
  ``.wscale.b``; the older names ``features.{i-1}.*`` and ``output.*`` too. Its upscaling
  layers are nearest upscale + 3x3 convolution, like ``Conv0``.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import torch

from guiapp.core.models.base import ModelLoadError
from guiapp.core.models.pggan.network import PGGANConfig, PGGANWeights
from guiapp.core.models.pggan.tf_reader import check_lod, check_variables

_NONE = re.compile(r"(?!)")
_GENFORCE_LOWER_TORGB = re.compile(r"output\d+\.(weight|bias)")


def _array(sd: dict, key: str, ndim: int) -> np.ndarray:
    value = sd.get(key)
    if not isinstance(value, torch.Tensor):
        raise ModelLoadError(f"the PGGAN state dict has no tensor {key!r}")
    if not value.is_floating_point():
        raise ModelLoadError(f"PGGAN weight {key!r} is {value.dtype}, not floating point")
    if value.dim() != ndim:
        raise ModelLoadError(f"PGGAN weight {key!r} has shape {tuple(value.shape)}, not {ndim}-D")
    return value.detach().float().numpy()


def _dense_from_conv(w: np.ndarray) -> np.ndarray:
    """(C, z, 4, 4) flipped 4x4 convolution of a 1x1 input -> TF dense [z, C * 16]."""
    if w.shape[2:] != (4, 4):
        raise ModelLoadError(f"the PGGAN first layer has shape {w.shape}, not (C, z, 4, 4)")
    return np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3).reshape(w.shape[1], -1))


def _conv_to_tf(w: np.ndarray) -> np.ndarray:
    """(out, in, k, k) -> [k, k, in, out]."""
    return np.ascontiguousarray(w.transpose(2, 3, 1, 0))


def _build(variables: dict[str, np.ndarray], layers: int, ignored: re.Pattern) -> PGGANWeights:
    if layers < 2 or layers % 2:
        raise ModelLoadError(f"a PGGAN generator has two layers per resolution; this one has "
                             f"{layers}")
    resolution = 4 * 2 ** (layers // 2 - 1)
    z_dim, dense_out = variables["4x4/Dense/weight"].shape
    channels = {4: dense_out // 16}
    for r in (2**i for i in range(3, resolution.bit_length())):
        channels[r] = int(variables[f"{r}x{r}/Conv1/weight"].shape[3])
    try:
        cfg = PGGANConfig(z_dim=int(z_dim), resolution=resolution, channels=channels,
                          img_channels=int(variables["ToRGB_lod0/weight"].shape[3]), fused=False)
    except ValueError as exc:
        raise ModelLoadError(f"unsupported PGGAN generator ({exc})") from None
    return PGGANWeights(cfg, check_variables(variables, cfg, ignored))


def _count_layers(sd: dict, pattern: str, start: int) -> int:
    n = 0
    while pattern.format(start + n) in sd:
        n += 1
        if n > 64:
            raise ModelLoadError("the PGGAN state dict has more than 64 layers")
    return n


def _tf_name(index: int) -> str:
    """TF scope of layer ``index`` (0-based): 4x4/Dense, 4x4/Conv, 8x8/Conv0, 8x8/Conv1..."""
    r = 4 * 2 ** (index // 2)
    if r == 4:
        return "4x4/Dense" if index == 0 else "4x4/Conv"
    return f"{r}x{r}/{'Conv0' if index % 2 == 0 else 'Conv1'}"


def _convert(weight_of: Any, bias_of: Any, layers: int, out_w: np.ndarray,
             out_b: np.ndarray) -> dict[str, np.ndarray]:
    variables: dict[str, np.ndarray] = {}
    for i in range(layers):
        w = weight_of(i)
        name = _tf_name(i)
        variables[f"{name}/weight"] = _dense_from_conv(w) if i == 0 else _conv_to_tf(w)
        variables[f"{name}/bias"] = bias_of(i)
    variables["ToRGB_lod0/weight"] = _conv_to_tf(out_w)
    variables["ToRGB_lod0/bias"] = out_b
    return variables


# -- genforce ------------------------------------------------------------------------------


def genforce_state(ckpt: Any) -> dict | None:
    """The generator state dict of a genforce PGGAN checkpoint, or None if it is not one."""
    if not isinstance(ckpt, dict):
        return None
    for key in ("generator_smooth", "generator"):
        sd = ckpt.get(key)
        if isinstance(sd, dict) and "layer0.weight" in sd and "output0.weight" in sd:
            return sd
    return None


def weights_from_genforce(sd: dict) -> PGGANWeights:
    """genforce ``PGGANGenerator`` state dict -> the TF variables (lod must be 0)."""
    if "lod" in sd:
        lod = sd["lod"]
        if not isinstance(lod, torch.Tensor):
            raise ModelLoadError("the genforce PGGAN buffer 'lod' is not a tensor")
        check_lod(lod.detach().float().numpy(), "buffer 'lod'")
    layers = _count_layers(sd, "layer{}.weight", 0)
    last = layers // 2 - 1
    variables = _convert(lambda i: _array(sd, f"layer{i}.weight", 4),
                         lambda i: _array(sd, f"layer{i}.bias", 1), layers,
                         _array(sd, f"output{last}.weight", 4), _array(sd, f"output{last}.bias", 1))
    known = {f"layer{i}.{p}" for i in range(layers) for p in ("weight", "bias")} | {"lod"}
    extra = sorted(k for k in map(str, sd) if k not in known
                   and not _GENFORCE_LOWER_TORGB.fullmatch(k))
    if extra:
        raise ModelLoadError(f"unexpected entries for a genforce PGGAN generator: "
                             f"{', '.join(e[:40] for e in extra[:3])}")
    return _build(variables, layers, _NONE)


# -- GAN Dissection ------------------------------------------------------------------------


def gandissect_state(ckpt: Any) -> dict | None:
    """The state dict of a GAN Dissection ProGAN file (new or old names), or None."""
    if isinstance(ckpt, dict) and isinstance(ckpt.get("state_dict"), dict):
        ckpt = ckpt["state_dict"]
    if not isinstance(ckpt, dict):
        return None
    if "layer1.conv.weight" in ckpt or "features.0.conv.weight" in ckpt:
        return ckpt
    return None


def weights_from_gandissect(sd: dict) -> PGGANWeights:
    """GAN Dissection ``ProgressiveGenerator`` state dict -> the TF variables."""
    old = "features.0.conv.weight" in sd
    if old:
        layers = _count_layers(sd, "features.{}.conv.weight", 0)
        prefix = [f"features.{i}" for i in range(layers)]
        output = "output"
    else:
        layers = _count_layers(sd, "layer{}.conv.weight", 1)
        prefix = [f"layer{i + 1}" for i in range(layers)]
        r = 4 * 2 ** (layers // 2 - 1)
        output = f"output_{r}x{r}"
    variables = _convert(lambda i: _array(sd, f"{prefix[i]}.conv.weight", 4),
                         lambda i: _array(sd, f"{prefix[i]}.wscale.b", 1), layers,
                         _array(sd, f"{output}.conv.weight", 4),
                         _array(sd, f"{output}.wscale.b", 1))
    known = {f"{p}.{k}" for p in [*prefix, output] for k in ("conv.weight", "wscale.b")}
    extra = sorted(k for k in map(str, sd) if k not in known)
    if extra:
        raise ModelLoadError(f"unexpected entries for a GAN Dissection ProGAN generator: "
                             f"{', '.join(e[:40] for e in extra[:3])}")
    return _build(variables, layers, _NONE)
