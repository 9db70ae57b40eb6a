"""Read NVIDIA's TensorFlow PGGAN pickles (progressive_growing_of_gans) without TensorFlow.

A snapshot (``network-final.pkl``, ``karras2018iclr-*.pkl``) is a pickle of the tuple
``(G, D, Gs)`` of ``tfutil.Network`` objects. Each pickles the dict its
``__getstate__`` returns, state version 2: ``version``, ``name``, ``static_kwargs`` (the
arguments of the build function), ``build_module_src`` (the source of ``networks.py``,
which NVIDIA's loader *executes*; here it stays inert text), ``build_func_name``
(``G_paper``) and ``variables``, ``(name, numpy array)`` pairs such as
``4x4/Dense/weight``, ``8x8/Conv0_up/weight``, ``ToRGB_lod0/bias`` and ``lod``. The
restricted unpickler reads each network as a
:class:`~guiapp.core.models.formats.pickle_records.TFNetworkRecord`; this module checks
``Gs`` and hands its variables to :class:`~guiapp.core.models.pggan.network.PGGANNet`.

Read settings: ``resolution``, ``num_channels``, ``latent_size``, ``fused_scale``,
``normalize_latents``, ``use_wscale``, ``use_pixelnorm``, ``pixelnorm_epsilon``,
``use_leakyrelu``; channel widths come from the variable shapes. Refused: ``lod`` other
than 0 (a network still growing), labels (``label_size`` > 0), another build function,
missing, mis-shaped or unexpected variables. ``G_paper`` ignores arguments it does not
know, and so does this reader; the ``ToRGB_lod{k}`` layers of lower resolutions (unused at
lod 0) are ignored too.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from guiapp.core.models.base import ModelLoadError
from guiapp.core.models.formats.limits import shown
from guiapp.core.models.formats.pickle_records import TFNetworkRecord
from guiapp.core.models.pggan.network import EPS, SLOPE, PGGANConfig, PGGANWeights

BUILD_FUNC = "G_paper"
STATE_VERSION = 2
_LOWER_TORGB = re.compile(r"ToRGB_lod[1-9]\d*/(weight|bias)")
_BOOL_KWARGS = {"fused_scale": True, "normalize_latents": True, "use_wscale": True,
                "use_pixelnorm": True, "use_leakyrelu": True}


def is_pggan_tf_data(data: Any) -> bool:
    """Whether an unpickled object is a PGGAN ``(G, D, Gs)`` tuple (or one network)."""
    nets = data if isinstance(data, tuple | list) else (data,)
    return any(isinstance(n, TFNetworkRecord)
               and (n.build_func_name == BUILD_FUNC or n.version == STATE_VERSION) for n in nets)


def find_gs(data: Any) -> TFNetworkRecord:
    """``Gs``, the moving-average generator, of the pickled ``(G, D, Gs)`` tuple."""
    if isinstance(data, tuple) and len(data) == 3 and all(
        isinstance(n, TFNetworkRecord) for n in data
    ):
        return data[2]
    what = f"a tuple of {len(data)}" if isinstance(data, tuple | list) else "one network"
    raise ModelLoadError(f"PGGAN pickles hold a (G, D, Gs) tuple of networks; this one holds "
                         f"{what}, so it has no generator 'Gs' to read")


def _flag(kwargs: dict, key: str) -> bool:
    value = kwargs.get(key, _BOOL_KWARGS[key])
    if not isinstance(value, bool | np.bool_ | int) or value not in (0, 1):
        raise ModelLoadError(f"PGGAN generator setting {key}={shown(value)} is not True/False")
    return bool(value)


def _int(kwargs: dict, key: str, default: int | None) -> int | None:
    """Setting ``key`` as an int (None stays None)."""
    value = kwargs.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ModelLoadError(f"PGGAN generator setting {key}={shown(value)} is not an integer")
    return int(value)


def _float_array(variables: dict[str, np.ndarray], name: str) -> np.ndarray:
    value = variables[name]
    if not np.issubdtype(value.dtype, np.floating):
        raise ModelLoadError(f"PGGAN variable {name!r} holds {value.dtype}, not floating point")
    return value


def _shape(variables: dict[str, np.ndarray], name: str, ndim: int) -> tuple[int, ...]:
    if name not in variables:
        raise ModelLoadError(f"the PGGAN generator has no variable {name!r}")
    value = _float_array(variables, name)
    if value.ndim != ndim:
        raise ModelLoadError(f"PGGAN variable {name!r} has shape {value.shape}, not {ndim}-D")
    return tuple(int(d) for d in value.shape)


def check_lod(lod: Any, where: str = "variable 'lod'") -> None:
    """Refuse a generator caught while growing: only lod 0 (full resolution) is built."""
    try:
        if not isinstance(lod, np.ndarray | np.generic) or not np.issubdtype(lod.dtype, np.number):
            raise TypeError("not numeric")
        value = float(np.asarray(lod, dtype=np.float64).reshape(()))
    except (TypeError, ValueError):
        raise ModelLoadError(f"PGGAN {where} is not a number") from None
    if value != 0.0:
        shown_lod = f"{value:g}" if math.isfinite(value) else str(value)
        raise ModelLoadError(
            f"PGGAN {where} is {shown_lod}: the generator was saved while still growing "
            "(fading in a resolution); only finished networks (lod 0) are supported"
        )


def config_from_variables(variables: dict[str, np.ndarray], kwargs: dict) -> PGGANConfig:
    """The config the variables describe (the settings checked against them)."""
    fused = _flag(kwargs, "fused_scale")
    z_dim, dense_out = _shape(variables, "4x4/Dense/weight", 2)
    if dense_out % 16:
        raise ModelLoadError(f"PGGAN variable '4x4/Dense/weight' has {dense_out} outputs, "
                             "not 16 per channel of a 4x4 map")
    latent = _int(kwargs, "latent_size", None)
    if latent is not None and latent != z_dim:
        raise ModelLoadError(f"PGGAN setting latent_size={latent} does not match the dense "
                             f"layer's {z_dim} inputs")
    res = _int(kwargs, "resolution", 32)
    if res is None or res < 4 or res & (res - 1) or res > 2**16:
        raise ModelLoadError(f"PGGAN resolution {shown(res)} is not a power of two >= 4")
    channels = {4: dense_out // 16}
    for r in (2**i for i in range(3, res.bit_length())):
        channels[r] = _shape(variables, f"{r}x{r}/Conv1/weight", 4)[3]
    img_channels = _shape(variables, "ToRGB_lod0/weight", 4)[3]
    eps = kwargs.get("pixelnorm_epsilon", EPS)
    if isinstance(eps, bool) or not isinstance(eps, int | float | np.number):
        raise ModelLoadError(f"PGGAN setting pixelnorm_epsilon={shown(eps)} is not a number")
    flags = {key: _flag(kwargs, key) for key in _BOOL_KWARGS}
    try:
        return PGGANConfig(
            z_dim=z_dim, resolution=res, channels=channels, img_channels=img_channels,
            fused=fused, normalize_latents=flags["normalize_latents"],
            use_wscale=flags["use_wscale"], use_pixelnorm=flags["use_pixelnorm"],
            eps=float(eps), slope=SLOPE if flags["use_leakyrelu"] else 0.0,
        )
    except ValueError as exc:
        raise ModelLoadError(f"unsupported PGGAN generator ({exc})") from None


def check_variables(variables: dict[str, np.ndarray], cfg: PGGANConfig,
                    ignored: re.Pattern = _LOWER_TORGB) -> dict[str, np.ndarray]:
    """The variables lod 0 uses, each of the shape ``cfg`` implies, floating point and
    finite; anything else (but ``lod`` and the lower ToRGB layers) is refused."""
    want = cfg.tf_shapes()
    out = {}
    for name, shape in want.items():
        if name not in variables:
            raise ModelLoadError(f"the PGGAN generator has no variable {name!r}")
        value = _float_array(variables, name)
        if tuple(value.shape) != shape:
            raise ModelLoadError(f"PGGAN variable {name!r} has shape {tuple(value.shape)}, which "
                                 f"does not fit the network its other weights describe {shape}")
        if not np.isfinite(value).all():
            raise ModelLoadError(f"PGGAN variable {name!r} holds NaN or infinite values; the "
                                 "file is damaged")
        out[name] = np.ascontiguousarray(value, dtype=np.float32)  # native byte order
    extra = sorted(k for k in variables
                   if k not in want and k != "lod" and not ignored.fullmatch(k))
    if extra:
        more = " ..." if len(extra) > 3 else ""
        raise ModelLoadError(f"unexpected variables for a PGGAN generator: {', '.join(extra[:3])}"
                             + more)
    return out


def weights_from_tf(data: Any) -> PGGANWeights:
    """The generator ``Gs`` of an unpickled PGGAN ``(G, D, Gs)`` tuple, checked."""
    gs = find_gs(data)
    if gs.version != STATE_VERSION:
        raise ModelLoadError(f"PGGAN network state version {gs.version} is not the "
                             f"progressive_growing_of_gans version {STATE_VERSION}")
    if gs.build_func_name != BUILD_FUNC:
        raise ModelLoadError(f"the TensorFlow network {gs.name!r} is built by "
                             f"{gs.build_func_name!r}, not PGGAN's generator {BUILD_FUNC!r}")
    kwargs = gs.static_kwargs
    labels = _int(kwargs, "label_size", 0)
    if labels:
        raise ModelLoadError(f"class-conditional PGGAN generators (label_size={labels}) are "
                             "not supported; unconditional ones are")
    variables = dict(gs.variables)
    if "lod" not in variables:
        raise ModelLoadError("the PGGAN generator has no variable 'lod' (G_paper always has "
                             "one); the file is damaged")
    check_lod(variables["lod"])
    cfg = config_from_variables(variables, kwargs)
    return PGGANWeights(cfg, check_variables(variables, cfg))
