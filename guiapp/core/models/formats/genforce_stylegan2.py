"""Read genforce's StyleGAN2 ``.pth`` files (SeFa's model zoo) into our StyleGAN2 network.

genforce (genforce/genforce, ``models/stylegan2_generator.py``) saves
``{'generator', 'discriminator', 'generator_smooth'}`` state dicts; its converter
(``converters/stylegan2_converter.py``) relabels NVIDIA's TensorFlow variables and changes
only their layouts: dense and style weights transposed to (out, in), convolutions
permuted to (out, in, k, k) (the upsampling one too, not flipped), everything else as
stored (style biases without TF's run-time +1, the constant (1, C, 4, 4), noise
(1, 1, R, R), ``truncation.w_avg`` = ``dlatent_avg``). Its names:
``mapping.dense{i}``, ``synthesis.early_layer.const``, ``synthesis.layer0`` (4x4 conv),
``synthesis.layer{2b-1}`` / ``layer{2b}`` (block b's ``Conv0_up`` / ``Conv1``, with
``.style`` and ``.noise`` of the same index), ``synthesis.output{b}`` (ToRGB).

This reader undoes the relabelling (giving the TF variable names and layouts) and builds
the network through :mod:`guiapp.core.models.formats.tf_pickle`'s conversion, so both
formats share one mapping onto our network. The sizes come from the shapes; the settings
genforce does not store are its defaults (mapping lr multiplier 0.01, the [1, 3, 3, 1]
resampling filter, no clamping). Only the 'skip' architecture (every genforce StyleGAN2
release) is read; class-conditional (``label_weight``) files are refused.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import torch

from guiapp.core.models.base import ModelLoadError
from guiapp.core.models.formats.limits import check_finite
from guiapp.core.models.formats.tf_pickle import state_dict_from_tf
from guiapp.core.models.stylegan2.adapter import StyleGANModel
from guiapp.core.models.stylegan2.network import Generator, StyleGAN2Config

FORMAT = "stylegan2-genforce"
_FILTERS = re.compile(r"synthesis\.(layer\d+\.filter|upsample|output\d+\.filter)\.kernel")


def genforce_stylegan2_state(ckpt: Any) -> dict | None:
    """The generator state dict of a genforce StyleGAN2 checkpoint, or None."""
    if not isinstance(ckpt, dict):
        return None
    for key in ("generator_smooth", "generator"):
        sd = ckpt.get(key)
        if isinstance(sd, dict) and "synthesis.early_layer.const" in sd \
                and "mapping.dense0.weight" in sd:
            return sd
    return None


def _array(sd: dict, key: str, ndim: int | None = None) -> np.ndarray:
    if key not in sd:
        raise ModelLoadError(f"the genforce StyleGAN2 file has no entry {key!r}")
    value = sd[key]
    if not isinstance(value, torch.Tensor) or not value.is_floating_point():
        raise ModelLoadError(f"genforce StyleGAN2 entry {key!r} is not a floating-point tensor")
    if ndim is not None and value.dim() != ndim:
        raise ModelLoadError(f"genforce StyleGAN2 entry {key!r} has shape "
                             f"{tuple(value.shape)}, not {ndim}-D")
    return value.detach().float().numpy()


def _count(sd: dict, pattern: str) -> int:
    n = 0
    while pattern.format(n) in sd:
        n += 1
        if n > 128:
            raise ModelLoadError("the genforce StyleGAN2 file has more than 128 layers")
    return n


def tf_variables(sd: dict, origin: dict[str, str] | None = None) -> dict[str, np.ndarray]:
    """genforce names and layouts -> TF ``Gs`` variable names (with their component
    prefixes) and layouts; every entry must be used. ``origin`` receives TF name ->
    genforce key, for messages."""
    if "mapping.label_weight" in sd:
        raise ModelLoadError("class-conditional genforce StyleGAN2 files (label_weight) are "
                             "not supported")
    out: dict[str, np.ndarray] = {}
    used: set[str] = set()

    def take(key: str, name: str, kind: str = "same", ndim: int | None = None) -> None:
        value = _array(sd, key, ndim)
        if kind == "dense":
            value = value.T
        elif kind == "conv":
            value = value.transpose(2, 3, 1, 0)
        out[name] = np.array(value, order="C")  # (ascontiguousarray makes 0-d arrays 1-d)
        used.add(key)
        if origin is not None:
            origin[name] = key

    layers = _count(sd, "mapping.dense{}.weight")
    for i in range(layers):
        take(f"mapping.dense{i}.weight", f"mapping/Dense{i}/weight", "dense", 2)
        take(f"mapping.dense{i}.bias", f"mapping/Dense{i}/bias")
    if "truncation.w_avg" in sd:
        take("truncation.w_avg", "dlatent_avg")
    take("synthesis.early_layer.const", "synthesis/4x4/Const/const", ndim=4)
    convs = _count(sd, "synthesis.layer{}.weight")
    if convs < 1 or convs % 2 == 0:
        raise ModelLoadError(f"a genforce StyleGAN2 synthesis has an odd number of "
                             f"convolutions; this one has {convs}")
    for i in range(convs):
        r = 4 * 2 ** ((i + 1) // 2)
        scope = ("4x4/Conv" if i == 0 else f"{r}x{r}/Conv0_up" if i % 2 else f"{r}x{r}/Conv1")
        p = f"synthesis.layer{i}"
        take(f"{p}.weight", f"synthesis/{scope}/weight", "conv", 4)
        take(f"{p}.bias", f"synthesis/{scope}/bias")
        take(f"{p}.style.weight", f"synthesis/{scope}/mod_weight", "dense", 2)
        take(f"{p}.style.bias", f"synthesis/{scope}/mod_bias")
        if f"{p}.noise_strength" in sd:
            take(f"{p}.noise_strength", f"synthesis/{scope}/noise_strength")
            take(f"{p}.noise", f"synthesis/noise{i}")
    blocks = (convs + 1) // 2
    for b in range(blocks):
        r = 4 * 2**b
        p = f"synthesis.output{b}"
        if f"{p}.weight" not in sd:
            raise ModelLoadError("only genforce StyleGAN2 files of the 'skip' architecture "
                                 f"are supported (no {p}.weight)")
        take(f"{p}.weight", f"synthesis/{r}x{r}/ToRGB/weight", "conv", 4)
        take(f"{p}.bias", f"synthesis/{r}x{r}/ToRGB/bias")
        take(f"{p}.style.weight", f"synthesis/{r}x{r}/ToRGB/mod_weight", "dense", 2)
        take(f"{p}.style.bias", f"synthesis/{r}x{r}/ToRGB/mod_bias")
    extra = sorted(k for k in map(str, sd) if k not in used and not _FILTERS.fullmatch(k))
    if extra:
        raise ModelLoadError("unexpected entries for a genforce StyleGAN2 generator: "
                             + ", ".join(e[:40] for e in extra[:3]))
    return out


def config_from_variables(params: dict[str, np.ndarray]) -> StyleGAN2Config:
    layers = sum(1 for k in params if re.fullmatch(r"mapping/Dense\d+/weight", k))
    z_dim = int(params["mapping/Dense0/weight"].shape[0])
    w_dim = int(params[f"mapping/Dense{layers - 1}/weight"].shape[1])
    hidden = int(params["mapping/Dense0/weight"].shape[1])
    channels = {4: int(params["synthesis/4x4/Conv/weight"].shape[3])}
    r = 8
    while f"synthesis/{r}x{r}/Conv1/weight" in params:
        channels[r] = int(params[f"synthesis/{r}x{r}/Conv1/weight"].shape[3])
        r *= 2
    res = r // 2
    try:
        return StyleGAN2Config(
            z_dim=z_dim, w_dim=w_dim, img_resolution=res,
            img_channels=int(params[f"synthesis/{res}x{res}/ToRGB/weight"].shape[3]),
            channels=channels, mapping_layers=layers,
            layer_features=None if layers == 1 or hidden == w_dim else hidden,
            track_w_avg="dlatent_avg" in params,
            use_noise="synthesis/4x4/Conv/noise_strength" in params,
        )
    except ValueError as exc:
        raise ModelLoadError(f"unsupported genforce StyleGAN2 generator ({exc})") from None


def load_genforce_stylegan2(sd: dict, name: str, model_id: str) -> StyleGANModel:
    origin: dict[str, str] = {}
    params = tf_variables(sd, origin)
    cfg = config_from_variables(params)
    with torch.device("meta"):
        expected = Generator(cfg).state_dict()
    try:
        tensors = state_dict_from_tf(expected, params)
    except ModelLoadError as exc:  # name the file's own entry, not the TF variable
        text = str(exc)
        for tf_name, key in origin.items():
            text = text.replace(f"variable {tf_name!r}", f"entry {key!r}")
        raise ModelLoadError(f"genforce StyleGAN2 {text}") from None
    check_finite(tensors)
    net = Generator(cfg)
    net.load_state_dict({**net.state_dict(), **tensors})
    return StyleGANModel(net.eval().requires_grad_(False), name, model_id, FORMAT)


def read_genforce_stylegan2(ckpt: Any, src: Any) -> StyleGANModel | None:
    """Registry reader of kind ``"torch"``: a genforce StyleGAN2 model, None for others."""
    sd = genforce_stylegan2_state(ckpt)
    if sd is None:
        return None
    try:
        return load_genforce_stylegan2(sd, src.name, src.model_id)
    except ModelLoadError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
        first = (str(exc).splitlines() or [""])[0][:200]
        raise ModelLoadError(f"malformed genforce StyleGAN2 file ({type(exc).__name__}: "
                             f"{first})") from None
