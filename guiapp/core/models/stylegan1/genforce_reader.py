"""Read genforce's StyleGAN (v1) ``.pth`` files (SeFa's model zoo) as the TF variables.

genforce (genforce/genforce, ``models/stylegan_generator.py``) saves
``{'generator', 'discriminator', 'generator_smooth'}`` state dicts (the moving average
``generator_smooth`` is read when present). Its generator relabels NVIDIA's variables and
changes only their layouts: ``mapping.dense{i}.weight`` (out, in) and ``.bias``;
``truncation.w_avg`` (``dlatent_avg``); ``synthesis.lod``; per conv layer ``i`` (its w
index) ``synthesis.layer{i}.weight`` (out, in, 3, 3), ``.bias``, ``.style.weight`` (2C, w),
``.style.bias``, ``.apply_noise.weight`` and ``.apply_noise.noise`` (``noise{i}``),
``synthesis.layer0.const``, ``synthesis.layer{2b}.blur.kernel`` (the fixed [1, 2, 1] blur);
``synthesis.output{b}.weight`` / ``.bias``, the ToRGB of block ``b`` (the last one is
``ToRGB_lod0``; the others are unused at lod 0). The settings it does not store are its
(and NVIDIA's) defaults: ``fused_scale='auto'``, ``mapping_lrmul`` 0.01. Class-conditional
files (``mapping.label_weight``) are refused.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import torch

from guiapp.core.models.base import ModelLoadError
from guiapp.core.models.formats import limits
from guiapp.core.models.stylegan1.config import StyleGAN1Weights
from guiapp.core.models.stylegan1.variables import check_lod, weights_from_variables

_IGNORED = re.compile(r"synthesis\.(layer\d+\.blur\.kernel|output\d+\.(weight|bias))")
_LAYER = re.compile(r"synthesis\.layer(\d+)\.(weight|bias|style\.weight|style\.bias|"
                    r"apply_noise\.weight|apply_noise\.noise|const)")
_MAPPING = re.compile(r"mapping\.dense(\d+)\.(weight|bias)")


def genforce_stylegan1_state(ckpt: Any) -> dict | None:
    """The generator state dict of a genforce StyleGAN (v1) checkpoint, or None."""
    if not isinstance(ckpt, dict):
        return None
    for key in ("generator_smooth", "generator"):
        sd = ckpt.get(key)
        if isinstance(sd, dict) and "synthesis.layer0.const" in sd \
                and "mapping.dense0.weight" in sd:
            return sd
    return None


def _array(key: str, value: Any) -> np.ndarray:
    if not isinstance(value, torch.Tensor) or not value.is_floating_point():
        raise ModelLoadError(f"genforce StyleGAN (v1) entry {key!r} is not a floating-point "
                             "tensor")
    if value.dim() > 4:
        raise ModelLoadError(f"genforce StyleGAN (v1) entry {key!r} has shape "
                             f"{tuple(value.shape)}, more than 4-D")
    return value.detach().float().numpy()


def _scope(i: int) -> str:
    r = 4 * 2 ** (i // 2)
    if r == 4:
        return "4x4/Const" if i == 0 else "4x4/Conv"
    return f"{r}x{r}/{'Conv0_up' if i % 2 == 0 else 'Conv1'}"


def _layer_variable(i: int, param: str, value: np.ndarray) -> tuple[str, np.ndarray]:
    scope = f"synthesis/{_scope(i)}"
    if param == "weight":
        return f"{scope}/weight", value.transpose(2, 3, 1, 0) if value.ndim == 4 else value
    if param == "style.weight":
        return f"{scope}/StyleMod/weight", value.T if value.ndim == 2 else value
    if param == "apply_noise.noise":
        return f"synthesis/noise{i}", value
    names = {"bias": "bias", "style.bias": "StyleMod/bias", "apply_noise.weight": "Noise/weight",
             "const": "const"}
    return f"{scope}/{names[param]}", value


def tf_variables(sd: dict) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """genforce names and layouts -> TF ``Gs`` names and layouts, and TF name -> key."""
    if "mapping.label_weight" in sd:
        raise ModelLoadError("class-conditional genforce StyleGAN (v1) files (label_weight) are "
                             "not supported")
    if len(sd) > 64 * limits.MAX_LAYERS:
        raise ModelLoadError(f"the genforce StyleGAN (v1) file has {len(sd)} entries, more than "
                             "any generator")
    out: dict[str, np.ndarray] = {}
    origin: dict[str, str] = {}
    blocks = 0
    while f"synthesis.output{blocks}.weight" in sd:
        blocks += 1
    for key, value in sd.items():
        key = str(key)
        if key == "synthesis.lod":
            if not isinstance(value, torch.Tensor):
                raise ModelLoadError("the genforce StyleGAN (v1) buffer 'synthesis.lod' is not "
                                     "a tensor")
            check_lod(value.detach().float().numpy(), "buffer 'synthesis.lod'")
            continue
        if blocks and key.startswith(f"synthesis.output{blocks - 1}."):
            name = f"synthesis/ToRGB_lod0/{key.rsplit('.', 1)[1]}"
            array = _array(key, value)
            out[name] = array.transpose(2, 3, 1, 0) if array.ndim == 4 else array
        elif _IGNORED.fullmatch(key):
            continue
        elif key == "truncation.w_avg":
            name, out[name] = "dlatent_avg", _array(key, value)
        elif (match := _MAPPING.fullmatch(key)) is not None:
            i, param = match.groups()
            array = _array(key, value)
            name = f"mapping/Dense{int(i)}/{param}"
            out[name] = array.T if param == "weight" and array.ndim == 2 else array
        elif (match := _LAYER.fullmatch(key)) is not None and int(match[1]) < limits.MAX_LAYERS:
            name, out_value = _layer_variable(int(match[1]), match[2], _array(key, value))
            out[name] = out_value
        else:
            name = key  # refused by the check, under its own name
            out[name] = np.zeros(0, np.float32)
        origin[name] = key
    return out, origin


def weights_from_genforce(sd: dict) -> StyleGAN1Weights:
    """genforce ``StyleGANGenerator`` state dict -> checked weights (lod must be 0)."""
    variables, origin = tf_variables(sd)
    return weights_from_variables(variables, {}, origin)
