"""StyleGAN (v1) TF variables -> checked :class:`StyleGAN1Weights`, shared by both readers.

The sizes come from the variable shapes (latent, w and mapping widths, channels per
resolution, image channels); the settings that shapes cannot tell (``fused_scale``, the
blur taps, ``mapping_lrmul``, the norms, the activation) come from the file's build
arguments, or NVIDIA's defaults where it has none. Every variable lod 0 uses must be there
with the shape the others imply, floating point and finite; besides them only ``lod`` and
the lower-resolution ``ToRGB_lod{k}`` layers (unused at lod 0) may be present.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from guiapp.core.models.base import ModelLoadError
from guiapp.core.models.formats import limits
from guiapp.core.models.stylegan1.config import StyleGAN1Config, StyleGAN1Weights

IGNORED = re.compile(r"(synthesis/)?lod|synthesis/ToRGB_lod[1-9]\d*/(weight|bias)")
_BOOLS = {"normalize_latents": True, "use_noise": True, "use_wscale": True,
          "use_pixel_norm": False, "use_instance_norm": True}
_SLOPES = {"lrelu": 0.2, "relu": 0.0}


def _float(variables: dict[str, np.ndarray], name: str, ndim: int) -> np.ndarray:
    if name not in variables:
        raise ModelLoadError(f"the StyleGAN (v1) generator has no variable {name!r}")
    value = variables[name]
    if not isinstance(value, np.ndarray | np.generic) or not np.issubdtype(value.dtype,
                                                                            np.floating):
        raise ModelLoadError(f"StyleGAN (v1) variable {name!r} is not floating point")
    if np.ndim(value) != ndim:
        raise ModelLoadError(f"StyleGAN (v1) variable {name!r} has shape {np.shape(value)}, "
                             f"not {ndim}-D")
    return np.asarray(value)


def flag(kwargs: dict, key: str, default: bool | None = None) -> bool:
    value = kwargs.get(key, _BOOLS.get(key) if default is None else default)
    if not isinstance(value, bool | np.bool_ | int) or value not in (0, 1):
        raise ModelLoadError(f"StyleGAN (v1) setting {key}={limits.shown(value)} is not "
                             "True/False")
    return bool(value)


def check_lod(lod: Any, where: str) -> None:
    """Refuse a generator saved while growing: only lod 0 (full resolution) is built."""
    try:
        if not isinstance(lod, np.ndarray | np.generic) or not np.issubdtype(lod.dtype, np.number):
            raise TypeError("not numeric")
        value = float(np.asarray(lod, dtype=np.float64).reshape(()))
    except (TypeError, ValueError):
        raise ModelLoadError(f"StyleGAN (v1) {where} is not a number") from None
    if value != 0.0:
        text = f"{value:g}" if math.isfinite(value) else str(value)
        raise ModelLoadError(f"StyleGAN (v1) {where} is {text}: the generator was saved while "
                             "still growing (fading in a resolution); only finished networks "
                             "(lod 0) are supported")


def _mapping_layers(variables: dict[str, np.ndarray]) -> int:
    n = 0
    while f"mapping/Dense{n}/weight" in variables:
        n += 1
        if n > limits.MAX_MAPPING_LAYERS:
            raise ModelLoadError(f"the StyleGAN (v1) mapping has more than "
                                 f"{limits.MAX_MAPPING_LAYERS} layers")
    if n == 0:
        raise ModelLoadError("the StyleGAN (v1) generator has no variable 'mapping/Dense0/weight'")
    return n


def _resolution(variables: dict[str, np.ndarray], kwargs: dict) -> int:
    if "resolution" in kwargs:
        res = kwargs["resolution"]
        if isinstance(res, bool) or not isinstance(res, int | np.integer):
            raise ModelLoadError(f"StyleGAN (v1) setting resolution={limits.shown(res)} is not "
                                 "an integer")
        res = int(res)
        if not 8 <= res <= limits.MAX_RESOLUTION or res & (res - 1):
            raise ModelLoadError(f"StyleGAN (v1) resolution {limits.shown(res)} is not a power "
                                 f"of two in 8..{limits.MAX_RESOLUTION}")
        return res
    res = 4
    while f"synthesis/{2 * res}x{2 * res}/Conv1/weight" in variables:
        res *= 2
        if res > limits.MAX_RESOLUTION:
            raise ModelLoadError("the StyleGAN (v1) generator has more resolutions than "
                                 "guiapp supports")
    return res


def _blur(kwargs: dict) -> tuple[float, ...]:
    taps = kwargs.get("blur_filter", [1, 2, 1])
    if taps is None:
        return ()
    if not isinstance(taps, list | tuple) or not all(
            isinstance(t, int | float | np.number) and not isinstance(t, bool) for t in taps):
        raise ModelLoadError(f"StyleGAN (v1) setting blur_filter={limits.shown(taps)} is not a "
                             "list of numbers")
    return tuple(float(t) for t in taps)


def _float_setting(kwargs: dict, key: str, default: float) -> float:
    value = kwargs.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise ModelLoadError(f"StyleGAN (v1) setting {key}={limits.shown(value)} is not a number")
    return float(value)


def _slope(kwargs: dict, key: str) -> float:
    value = kwargs.get(key, "lrelu")
    if not isinstance(value, str) or value not in _SLOPES:
        raise ModelLoadError(f"StyleGAN (v1) setting {key}={limits.shown(value)} is not "
                             "'lrelu' or 'relu'")
    return _SLOPES[value]


def config_from_variables(variables: dict[str, np.ndarray], kwargs: dict) -> StyleGAN1Config:
    """The config the variables (sizes) and ``kwargs`` (settings) describe."""
    layers = _mapping_layers(variables)
    z_dim, fmaps = _float(variables, "mapping/Dense0/weight", 2).shape
    w_dim = _float(variables, f"mapping/Dense{layers - 1}/weight", 2).shape[1]
    res = _resolution(variables, kwargs)
    channels = {4: _float(variables, "synthesis/4x4/Const/const", 4).shape[1]}
    for r in (2**i for i in range(3, res.bit_length())):
        channels[r] = _float(variables, f"synthesis/{r}x{r}/Conv1/weight", 4).shape[3]
    img_channels = _float(variables, "synthesis/ToRGB_lod0/weight", 4).shape[3]
    fused = kwargs.get("fused_scale", "auto")
    if not (isinstance(fused, bool | np.bool_) or (isinstance(fused, str) and fused == "auto")):
        raise ModelLoadError(f"StyleGAN (v1) setting fused_scale={limits.shown(fused)} is not "
                             "True, False or 'auto'")
    use_noise = flag(kwargs, "use_noise", "synthesis/noise0" in variables)
    try:
        return StyleGAN1Config(
            z_dim=int(z_dim), w_dim=int(w_dim), resolution=res, channels=channels,
            mapping_layers=layers, mapping_fmaps=int(fmaps) if layers > 1 else int(w_dim),
            mapping_lrmul=_float_setting(kwargs, "mapping_lrmul", 0.01),
            mapping_slope=_slope(kwargs, "mapping_nonlinearity"),
            normalize_latents=flag(kwargs, "normalize_latents"), img_channels=int(img_channels),
            fused_scale=fused if isinstance(fused, str) else bool(fused), blur=_blur(kwargs),
            use_noise=use_noise, use_wscale=flag(kwargs, "use_wscale"),
            use_pixel_norm=flag(kwargs, "use_pixel_norm"),
            use_instance_norm=flag(kwargs, "use_instance_norm"),
            slope=_slope(kwargs, "nonlinearity"),
        )
    except ValueError as exc:
        raise ModelLoadError(f"unsupported StyleGAN (v1) generator ({exc})") from None


def check_variables(variables: dict[str, np.ndarray], cfg: StyleGAN1Config,
                    origin: dict[str, str] | None = None) -> dict[str, np.ndarray]:
    """The variables lod 0 uses, each of the shape ``cfg`` implies, float32 and finite.
    ``origin`` maps a TF name to the file's own key, for messages."""
    origin = origin or {}
    out = {}
    for name, shape in cfg.tf_shapes().items():
        shown = repr(origin.get(name, name))
        value = _float(variables, name, len(shape))
        if tuple(value.shape) != shape:
            raise ModelLoadError(f"StyleGAN (v1) variable {shown} has shape {tuple(value.shape)}"
                                 f", which does not fit the network its other weights describe "
                                 f"{shape}")
        if not np.isfinite(value).all():
            raise ModelLoadError(f"StyleGAN (v1) variable {shown} holds NaN or infinite values; "
                                 "the file is damaged")
        out[name] = np.ascontiguousarray(value, dtype=np.float32)
    wanted = cfg.tf_shapes()
    extra = sorted(origin.get(k, k) for k in variables
                   if k not in wanted and not IGNORED.fullmatch(k))
    if extra:
        more = " ..." if len(extra) > 3 else ""
        raise ModelLoadError("unexpected variables for a StyleGAN (v1) generator: "
                             + ", ".join(e[:60] for e in extra[:3]) + more)
    return out


def weights_from_variables(variables: dict[str, np.ndarray], kwargs: dict,
                           origin: dict[str, str] | None = None) -> StyleGAN1Weights:
    cfg = config_from_variables(variables, kwargs)
    return StyleGAN1Weights(cfg, check_variables(variables, cfg, origin))
