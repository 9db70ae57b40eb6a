"""Read NVIDIA's TensorFlow StyleGAN (v1) pickles (NVlabs/stylegan) without TensorFlow.

A snapshot (``network-snapshot-*.pkl``, ``karras2019stylegan-ffhq-1024x1024.pkl``) is a
pickle of the tuple ``(G, D, Gs)`` of ``dnnlib.tflib.network.Network`` objects. Each
pickles the dict its ``__getstate__`` returns, state version 3: ``version``, ``name``,
``static_kwargs`` (the build arguments), ``components``, ``build_module_src`` (NVIDIA's
loader *executes* it; here it stays inert text), ``build_func_name`` and ``variables``
(``(name, numpy array)`` pairs). ``Gs`` is built by ``G_style``, holds ``lod`` and
``dlatent_avg`` and has two components: ``mapping`` (``G_mapping``: ``Dense{i}/weight``,
``.../bias``) and ``synthesis`` (``G_synthesis``: ``lod``, ``noise{i}``, ``4x4/Const/const``,
per layer scope ``weight``, ``Noise/weight``, ``bias``, ``StyleMod/weight``,
``StyleMod/bias``, and ``ToRGB_lod{k}``). The restricted unpickler reads each network as a
:class:`~guiapp.core.models.formats.pickle_records.TFNetworkRecord`.

Read settings (of ``Gs`` and each component, the component's winning): ``resolution``,
``fused_scale``, ``blur_filter``, ``use_noise``, ``nonlinearity``, ``use_wscale``,
``use_pixel_norm``, ``use_instance_norm``, ``mapping_lrmul``, ``mapping_nonlinearity``,
``normalize_latents``, ``truncation_psi`` and ``truncation_cutoff`` (the default
truncation); widths come from the variable shapes. Refused with one line: ``lod`` (of
``Gs`` and of the synthesis) missing or other than 0, labels (``label_size`` > 0,
``LabelConcat``), ``use_styles=False``, ``const_input_layer=False``, other build functions
or state versions, and missing, mis-shaped, non-finite or unexpected variables. Like
``G_style``, unknown arguments are ignored (``structure``, ``randomize_noise``, ...).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from guiapp.core.models.base import ModelLoadError
from guiapp.core.models.formats import limits
from guiapp.core.models.formats.pickle_records import TFNetworkRecord
from guiapp.core.models.formats.tf_pickle_config import collect_variables, find_gs
from guiapp.core.models.stylegan1.config import DEFAULT_TRUNCATION, StyleGAN1Weights
from guiapp.core.models.stylegan1.variables import check_lod, flag, weights_from_variables

BUILD_FUNC = "G_style"
COMPONENT_FUNCS = {"mapping": "G_mapping", "synthesis": "G_synthesis"}
STATE_VERSION = 3
STATE_VERSIONS = (2, 3)
"""What NVlabs/stylegan's ``Network.__setstate__`` accepts (it writes 3)."""


def _nets(data: Any) -> tuple:
    return tuple(data) if isinstance(data, tuple | list) else (data,)


def is_stylegan1_tf_data(data: Any) -> bool:
    """Whether an unpickled TF pickle holds a StyleGAN (v1) generator: a ``G_style``
    network, or a synthesis component with StyleGAN (v1)'s style modulation layers."""
    for net in _nets(data):
        if not isinstance(net, TFNetworkRecord):
            continue
        if net.build_func_name == BUILD_FUNC:
            return True
        synthesis = net.components.get("synthesis")
        if synthesis is not None and any(name == "4x4/Const/StyleMod/weight"
                                         for name, _ in synthesis.variables):
            return True
    return False


def _check_structure(gs: TFNetworkRecord) -> None:
    if gs.version not in STATE_VERSIONS:
        raise ModelLoadError(f"StyleGAN (v1) network state version {gs.version} is not one "
                             f"NVlabs/stylegan reads (2 or 3)")
    if gs.build_func_name != BUILD_FUNC:
        raise ModelLoadError(f"the TensorFlow network {gs.name!r} is built by "
                             f"{gs.build_func_name!r}, not StyleGAN's generator {BUILD_FUNC!r}")
    for key, func in COMPONENT_FUNCS.items():
        comp = gs.components.get(key)
        if comp is None:
            raise ModelLoadError(f"the StyleGAN (v1) generator has no {key!r} component")
        if comp.build_func_name != func:
            raise ModelLoadError(f"the StyleGAN (v1) {key} network is built by "
                                 f"{comp.build_func_name!r}, not {func!r}")


def _settings(gs: TFNetworkRecord) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for net in (gs, gs.components["mapping"], gs.components["synthesis"]):
        if not isinstance(net.state.get("static_kwargs", {}), dict):
            raise ModelLoadError(f"malformed StyleGAN (v1) network {net.name!r}: its build "
                                 "arguments are not a dict")
        kwargs.update(net.static_kwargs)
    labels = kwargs.get("label_size", 0)
    if isinstance(labels, bool) or not isinstance(labels, int | np.integer):
        raise ModelLoadError(f"StyleGAN (v1) setting label_size={limits.shown(labels)} is not "
                             "an integer")
    if labels:
        raise ModelLoadError(f"class-conditional StyleGAN (v1) generators (label_size={labels})"
                             " are not supported; unconditional ones are")
    for key in ("use_styles", "const_input_layer"):
        if not flag(kwargs, key, True):
            raise ModelLoadError(f"StyleGAN (v1) generators built with {key}=False are not "
                                 "supported")
    return kwargs


def default_truncation(kwargs: dict) -> tuple[float, int | None]:
    """``G_style``'s ``truncation_psi`` and ``truncation_cutoff`` (its defaults 0.7 and 8;
    None for either turns truncation off: psi 1)."""
    psi = kwargs.get("truncation_psi", DEFAULT_TRUNCATION[0])
    cutoff = kwargs.get("truncation_cutoff", DEFAULT_TRUNCATION[1])
    if psi is None or cutoff is None:
        return 1.0, None
    try:
        psi = limits.check_float("truncation_psi", psi, -10.0, 10.0)
        cutoff = limits.check_int("truncation_cutoff", cutoff, 0, limits.MAX_LAYERS)
    except ValueError as exc:
        raise ModelLoadError(f"StyleGAN (v1) {exc}") from None
    return psi, cutoff


def weights_from_tf(data: Any) -> tuple[StyleGAN1Weights, tuple[float, int | None]]:
    """``Gs`` of an unpickled ``(G, D, Gs)`` tuple, checked, and its default truncation."""
    gs = find_gs(data)
    _check_structure(gs)
    kwargs = _settings(gs)
    variables = collect_variables(gs)
    if "mapping/LabelConcat/weight" in variables:
        raise ModelLoadError("class-conditional StyleGAN (v1) generators (LabelConcat) are not "
                             "supported; unconditional ones are")
    for name in ("lod", "synthesis/lod"):
        if name not in variables:
            raise ModelLoadError(f"the StyleGAN (v1) generator has no variable {name!r} "
                                 "(G_style always has one); the file is damaged")
        check_lod(variables[name], f"variable {name!r}")
    return weights_from_variables(variables, kwargs), default_truncation(kwargs)
