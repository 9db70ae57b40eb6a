"""Read a TensorFlow StyleGAN2 pickle's ``Gs``: its variables, its settings, and the
:class:`~guiapp.core.models.stylegan2.network.StyleGAN2Config` they describe.

Used by :mod:`guiapp.core.models.formats.tf_pickle`, which documents the format; every check here
raises a one-line :class:`~guiapp.core.models.base.ModelLoadError`.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from guiapp.core.models.base import ModelLoadError
from guiapp.core.models.formats.limits import shown
from guiapp.core.models.formats.restricted_pickle import TFNetworkRecord
from guiapp.core.models.stylegan2.network import StyleGAN2Config

MIN_VERSION = 4
SYNTHESIS_FUNCS = ("G_synthesis_stylegan2", "G_synthesis")
"""Build functions of the StyleGAN2 synthesis network (stylegan2, stylegan2-ada)."""

READ_KWARGS = frozenset(
    {
        "latent_size", "label_size", "dlatent_size", "resolution", "num_channels",
        "mapping_layers", "mapping_fmaps", "label_fmaps", "mapping_lrmul", "fmap_base",
        "fmap_max", "fmap_min", "fmap_decay", "conv_clamp", "architecture",
        "resample_kernel", "use_noise",
    }
)  # fmt: skip
FIXED_KWARGS: dict[str, Any] = {
    "nonlinearity": "lrelu",
    "mapping_nonlinearity": "lrelu",
    "normalize_latents": True,
    "fmap_const": None,
    "mapping_func": "G_mapping",
}
"""Settings we accept only at the value our network implements."""
IGNORED_KWARGS = frozenset(
    {
        "truncation_psi", "truncation_cutoff", "truncation_psi_val", "truncation_cutoff_val",
        "dlatent_avg_beta", "w_avg_beta", "style_mixing_prob", "structure", "fused_modconv",
        "num_fp16_res", "randomize_noise", "dtype", "synthesis_func",
    }
)  # fmt: skip
"""TensorFlow-only or training-only settings with no effect on our images
(``synthesis_func`` is checked through the synthesis network's build function)."""
IGNORED_VARIABLES = frozenset({"lod"})
_MAX_DEPTH = 8


def is_tf_data(data: Any) -> bool:
    """Whether an unpickled object comes from a TensorFlow pickle."""
    if isinstance(data, TFNetworkRecord):
        return True
    return isinstance(data, tuple | list) and any(isinstance(x, TFNetworkRecord) for x in data)


def find_gs(data: Any) -> TFNetworkRecord:
    """``Gs`` of the pickled ``(G, D, Gs)`` tuple."""
    if (
        isinstance(data, tuple)
        and len(data) == 3
        and all(isinstance(net, TFNetworkRecord) for net in data)
    ):
        return data[2]
    shown = f"a tuple of {len(data)}" if isinstance(data, tuple | list) else "one network"
    raise ModelLoadError(
        f"TensorFlow StyleGAN pickles hold a (G, D, Gs) tuple of networks; this one holds "
        f"{shown}, so it has no generator 'Gs' to read"
    )


def collect_variables(net: TFNetworkRecord) -> dict[str, np.ndarray]:
    """Every variable of ``net`` and its components, by scoped name (``mapping/Dense0/weight``).

    The components are walked iteratively with a visited set (a DAG or a loop of
    components is refused, not expanded) and a depth limit."""
    out: dict[str, np.ndarray] = {}
    for prefix, record in net.walk():
        if prefix.count(".") > _MAX_DEPTH:
            raise ModelLoadError("the TensorFlow networks are nested too deeply")
        scope = prefix.replace(".", "/")
        for name, value in record.variables:
            out[scope + name] = value
    return out


def check_networks(gs: TFNetworkRecord, params: dict[str, np.ndarray]) -> None:
    """Refuse anything but a StyleGAN2 generator, with the reason."""
    comps = gs.components
    synthesis, mapping = comps.get("synthesis"), comps.get("mapping")
    funcs = {gs.build_func_name} | {c.build_func_name for c in comps.values()}
    if "G_style" in funcs or "synthesis/4x4/Const/StyleMod/weight" in params:
        raise ModelLoadError(
            "StyleGAN (version 1) TensorFlow pickles are not supported; "
            "guiapp reads TensorFlow StyleGAN2 and StyleGAN2-ADA networks"
        )
    if gs.version < MIN_VERSION:
        raise ModelLoadError(
            f"TensorFlow network pickle version {gs.version} is older than StyleGAN2 "
            f"(version {MIN_VERSION}) and is not supported"
        )
    if gs.build_func_name != "G_main" or synthesis is None or mapping is None:
        raise ModelLoadError(
            f"the TensorFlow network {gs.name!r} (built by {gs.build_func_name!r}) is not a "
            "StyleGAN2 generator with mapping and synthesis networks"
        )
    if synthesis.build_func_name == "G_synthesis_stylegan_revised" or any(
        re.match(r"synthesis/ToRGB_lod\d+/", k) for k in params
    ):
        raise ModelLoadError(
            "the 'orig' architecture with progressive growing (StyleGAN2 configs B-D) "
            "is not supported; configs E/F and StyleGAN2-ADA networks are"
        )
    if synthesis.build_func_name not in SYNTHESIS_FUNCS or mapping.build_func_name != "G_mapping":
        raise ModelLoadError(
            f"unknown TensorFlow synthesis/mapping networks ({synthesis.build_func_name!r}, "
            f"{mapping.build_func_name!r}); expected StyleGAN2's"
        )
    if "mapping/LabelConcat/weight" in params:
        raise ModelLoadError(
            "class-conditional networks of the original StyleGAN2 repository (LabelConcat) "
            "are not supported; conditional StyleGAN2-ADA networks are"
        )


def read_kwargs(gs: TFNetworkRecord) -> dict[str, Any]:
    """``Gs.static_kwargs``, checked: unknown settings or unsupported values are refused."""
    kwargs = gs.static_kwargs
    for key, value in kwargs.items():
        if key in FIXED_KWARGS:
            if value != FIXED_KWARGS[key]:
                raise ModelLoadError(
                    f"unsupported TensorFlow generator setting {key}={value!r} "
                    f"(guiapp implements {FIXED_KWARGS[key]!r})"
                )
        elif key not in READ_KWARGS and key not in IGNORED_KWARGS:
            raise ModelLoadError(f"unknown TensorFlow generator setting {key!r}")
    return {k: v for k, v in kwargs.items() if k in READ_KWARGS}


def _number(kwargs: dict, key: str, default: Any, kind: type) -> Any:
    value = kwargs.get(key, default)
    if value is None:
        return None
    if isinstance(value, str | bytes) or not isinstance(value, int | float | np.number | bool):
        raise ModelLoadError(
            f"TensorFlow generator setting {key}={shown(value)} is not a number"
        )
    if isinstance(value, float | np.floating) and not math.isfinite(value):
        raise ModelLoadError(f"TensorFlow generator setting {key}={shown(value)} is not finite")
    if kind is int and isinstance(value, float | np.floating) and float(value) != int(value):
        raise ModelLoadError(
            f"TensorFlow generator setting {key}={shown(value)} is not an integer"
        )
    try:
        return kind(value)
    except OverflowError:
        raise ModelLoadError(f"TensorFlow generator setting {key} is too large") from None


def variable(params: dict[str, np.ndarray], name: str) -> np.ndarray:
    try:
        value = params[name]
    except KeyError:
        raise ModelLoadError(f"the TensorFlow generator has no variable {name!r}") from None
    if not np.issubdtype(value.dtype, np.floating):
        raise ModelLoadError(f"variable {name!r} holds {value.dtype}, not floating point")
    return value


def _dim(params: dict[str, np.ndarray], name: str, ndim: int, axis: int) -> int:
    value = variable(params, name)
    if value.ndim != ndim:
        raise ModelLoadError(f"variable {name!r} has shape {value.shape}, not {ndim}-D")
    return int(value.shape[axis])


def config_from_tf(gs: TFNetworkRecord, params: dict[str, np.ndarray]) -> StyleGAN2Config:
    """Our network's configuration: dimensions from the settings (legacy.py's defaults),
    channel counts and mapping widths from the variable shapes."""
    kwargs = read_kwargs(gs)
    architecture = kwargs.get("architecture", "skip")
    if architecture not in ("skip", "resnet"):
        raise ModelLoadError(f"the {architecture!r} synthesis architecture is not supported")
    kernel = kwargs.get("resample_kernel", [1, 3, 3, 1])
    if (
        not isinstance(kernel, list | tuple)
        or not kernel
        or not all(isinstance(t, int | float | np.number) for t in kernel)
    ):
        raise ModelLoadError(f"unsupported resample_kernel {kernel!r} (a list of taps is needed)")
    res = _number(kwargs, "resolution", 1024, int)
    if res < 4 or res & (res - 1):
        raise ModelLoadError(f"resolution {res} is not a power of two >= 4")
    c_dim = _number(kwargs, "label_size", 0, int)
    w_dim = _number(kwargs, "dlatent_size", 512, int)
    layers = _number(kwargs, "mapping_layers", 8, int)
    if layers < 1:
        raise ModelLoadError(f"mapping_layers={layers} is not supported")
    channels = {4: _dim(params, "synthesis/4x4/Conv/weight", 4, 3)}
    for r in (2**i for i in range(3, res.bit_length())):
        channels[r] = _dim(params, f"synthesis/{r}x{r}/Conv1/weight", 4, 3)
    layer_features = _dim(params, "mapping/Dense0/weight", 2, 1) if layers > 1 else w_dim
    embed = None
    if c_dim > 0:
        embed = _dim(params, "mapping/LabelEmbed/weight", 2, 1)
    try:
        return StyleGAN2Config(
            z_dim=_number(kwargs, "latent_size", 512, int),
            c_dim=c_dim,
            w_dim=w_dim,
            img_resolution=res,
            img_channels=_number(kwargs, "num_channels", 3, int),
            channel_base=2 * _number(kwargs, "fmap_base", 16384, int),
            channel_max=_number(kwargs, "fmap_max", 512, int),
            channels=channels,
            architecture=architecture,
            conv_clamp=_number(kwargs, "conv_clamp", None, float),
            mapping_layers=layers,
            mapping_lr=_number(kwargs, "mapping_lrmul", 0.01, float),
            embed_features=embed,
            layer_features=None if layer_features == w_dim else layer_features,
            track_w_avg="dlatent_avg" in params,
            use_noise=bool(kwargs.get("use_noise", True)),
            resample_filter=tuple(float(t) for t in kernel),
        )
    except ValueError as exc:
        raise ModelLoadError(f"unsupported TensorFlow generator ({exc})") from None
