"""Open NVIDIA's TensorFlow StyleGAN2 / StyleGAN2-ADA pickles as our own StyleGAN2 network,
reading only their variables and settings.

StyleGAN2 (Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN",
NVlabs/stylegan2) and the TensorFlow StyleGAN2-ADA (Karras et al. 2020, "Training
Generative Adversarial Networks with Limited Data", NVlabs/stylegan2-ada) save a tuple
``(G, D, Gs)`` of ``dnnlib.tflib.network.Network`` objects. Each pickles its state dict:
``version`` (4 or 5), ``name``, ``static_kwargs`` (the build settings), ``components``
(sub-networks ``mapping`` and ``synthesis``, pickled the same way), ``build_module_src``
and ``build_func_name`` (NVIDIA's loader *executes* that source to rebuild the graph),
``variables`` (``(name, numpy array)`` pairs) and, in version 5, input/output shapes.
:mod:`guiapp.core.models.formats.restricted_pickle` reads each network as a
:class:`~guiapp.core.models.formats.restricted_pickle.TFNetworkRecord`; the source stays inert
text and is not executed, parsed or audited here.

The conversion follows stylegan2-ada-pytorch's ``legacy.py`` (``convert_tf_generator``),
our own code: ``Gs`` (the moving-average generator) becomes a
:class:`~guiapp.core.models.stylegan2.network.Generator`:

- mapping: ``mapping/Dense{i}/weight`` ([in, out], transposed), ``.../bias``;
  ``mapping/LabelEmbed/{weight,bias}`` (ADA's class embedding); ``dlatent_avg`` is w_avg;
- synthesis: ``synthesis/4x4/Const/const`` ([1, C, 4, 4]); per layer scope
  (``4x4/Conv``, ``{R}x{R}/Conv0_up``, ``{R}x{R}/Conv1``, ``{R}x{R}/ToRGB``) a ``weight``
  ([k, k, in, out] -> [out, in, k, k]; ``Conv0_up`` is also flipped in space, as TF's
  upsampling conv is a transposed convolution), ``bias``, ``noise_strength``,
  ``mod_weight`` (the style affine, transposed) and ``mod_bias`` (+1: TF adds the
  style's initial 1 at run time); fixed noise ``synthesis/noise{i}`` ([1, 1, R, R], i =
  the conv's w index); resnet skips ``{R}x{R}/Skip/weight`` (1x1, no bias).

Supported: the 'skip' (configs E/F, ADA's default) and 'resnet' architectures, any
resolution, channel counts and mapping depth (read from the variable shapes), noise off,
``conv_clamp``, the resampling kernel, ADA's class-conditional mapping. Refused with a
one-line :class:`~guiapp.core.models.base.ModelLoadError`: StyleGAN1 and pre-version-4
pickles, the 'orig' architecture / progressive-growing synthesis (StyleGAN2 configs B-D),
the original StyleGAN2 repository's conditional mapping (``LabelConcat``, normalised
differently), activations other than lrelu, unknown settings, and missing, mis-shaped or
unexpected variables. Settings that only matter in TensorFlow or in training
(``truncation_psi``, ``num_fp16_res``, ``fused_modconv``, ...) are ignored; truncation is
the app's own.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from guiapp.core.models.base import ModelLoadError
from guiapp.core.models.formats.limits import check_finite
from guiapp.core.models.formats.restricted_pickle import TFNetworkRecord
from guiapp.core.models.formats.tf_pickle_config import (
    IGNORED_VARIABLES,
    check_networks,
    collect_variables,
    config_from_tf,
    find_gs,
    is_tf_data,
    variable,
)
from guiapp.core.models.stylegan2.adapter import StyleGANModel
from guiapp.core.models.stylegan2.network import Generator

if TYPE_CHECKING:
    from guiapp.core.models.registry import Source

__all__ = ["FORMAT", "is_tf_data", "load_tf_pickle", "read_tf_generator"]

FORMAT = "stylegan2-tf-pickle"
_STYLEGAN2_LAYER = re.compile(
    r"synthesis\.b(\d+)\.(conv0|conv1|torgb|skip)\."
    r"(weight|bias|noise_strength|noise_const|affine\.weight|affine\.bias)"
)
_SCOPES = {"conv0": "Conv0_up", "conv1": "Conv1", "torgb": "ToRGB", "skip": "Skip"}


def tf_source(key: str) -> tuple[str, str] | None:
    """The TF variable and layout change behind our state-dict ``key``; None for the
    resampling filters, which come from the settings."""
    if key.endswith("resample_filter"):
        return None
    fixed = {
        "mapping.w_avg": ("dlatent_avg", "same"),
        "mapping.embed.weight": ("mapping/LabelEmbed/weight", "dense"),
        "mapping.embed.bias": ("mapping/LabelEmbed/bias", "same"),
        "synthesis.b4.const": ("synthesis/4x4/Const/const", "const"),
    }
    if key in fixed:
        return fixed[key]
    match = re.fullmatch(r"mapping\.fc(\d+)\.(weight|bias)", key)
    if match:
        i, param = match.groups()
        return f"mapping/Dense{i}/{param}", "dense" if param == "weight" else "same"
    match = _STYLEGAN2_LAYER.fullmatch(key)
    if not match:
        raise ModelLoadError(f"no TensorFlow variable is known for {key!r}")
    res, layer, param = int(match[1]), match[2], match[3]
    layer_scope = "Conv" if key.startswith("synthesis.b4.conv") else _SCOPES[layer]
    scope = f"synthesis/{res}x{res}/{layer_scope}"
    if param == "noise_const":
        index = 0 if res == 4 else 2 * int(math.log2(res)) - (5 if layer == "conv0" else 4)
        return f"synthesis/noise{index}", "noise"
    if param == "affine.weight":
        return f"{scope}/mod_weight", "dense"
    if param == "affine.bias":
        return f"{scope}/mod_bias", "style_bias"
    if param == "weight":
        return f"{scope}/weight", "conv_up" if layer in ("conv0", "skip") else "conv"
    return f"{scope}/{param}", "same"


def _convert(value: np.ndarray, layout: str) -> np.ndarray:
    value = value.astype(np.float32)
    if layout == "dense" and value.ndim == 2:
        return value.T
    if layout == "conv" and value.ndim == 4:
        return value.transpose(3, 2, 0, 1)
    if layout == "conv_up" and value.ndim == 4:
        return value[::-1, ::-1].transpose(3, 2, 0, 1)
    if layout == "style_bias":
        return value + 1
    if layout in ("const", "noise") and value.ndim >= 3:
        return value[0] if layout == "const" else value[0, 0]
    return value


def state_dict_from_tf(
    expected: dict[str, torch.Tensor], params: dict[str, np.ndarray]
) -> dict[str, torch.Tensor]:
    """Our parameters (all but the resampling filters) from the TF variables, checked
    against the ``expected`` shapes; every variable but ``lod`` must be used."""
    out, used = {}, set()
    for key, want in expected.items():
        source = tf_source(key)
        if source is None:
            continue
        name, layout = source
        raw = variable(params, name)
        value = _convert(raw, layout)
        if tuple(value.shape) != tuple(want.shape):
            raise ModelLoadError(
                f"variable {name!r} has shape {tuple(raw.shape)}, which does not fit "
                f"{key} {tuple(want.shape)} of the network its settings describe"
            )
        out[key] = torch.from_numpy(np.ascontiguousarray(value))
        used.add(name)
    extra = sorted(set(params) - used - IGNORED_VARIABLES)
    if extra:
        shown = ", ".join(extra[:3]) + (" ..." if len(extra) > 3 else "")
        raise ModelLoadError(f"unexpected TensorFlow variables for this architecture: {shown}")
    return out


def generator_from_tf(gs: TFNetworkRecord) -> Generator:
    """Build our :class:`Generator` from a TF ``Gs`` record and load its variables. The
    shapes are checked on a storage-free (meta) network first, so settings that do not
    match the variables allocate nothing."""
    params = collect_variables(gs)
    check_networks(gs, params)
    cfg = config_from_tf(gs, params)
    with torch.device("meta"):
        expected = Generator(cfg).state_dict()
    tensors = state_dict_from_tf(expected, params)
    check_finite(tensors)
    net = Generator(cfg)
    net.load_state_dict({**net.state_dict(), **tensors})
    return net.eval().requires_grad_(False)


def load_tf_pickle(data: Any, name: str, model_id: str) -> StyleGANModel:
    """The StyleGAN model of an unpickled TensorFlow ``(G, D, Gs)`` tuple (``Gs`` is read).

    Raises
    ------
    ModelLoadError
        One line: not a StyleGAN2 generator, unsupported settings or variables that do
        not fit.
    """
    try:
        net = generator_from_tf(find_gs(data))
    except ModelLoadError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError) as exc:
        first_line = (str(exc).splitlines() or [""])[0][:200]
        raise ModelLoadError(
            f"malformed TensorFlow generator ({type(exc).__name__}: {first_line})"
        ) from None
    return StyleGANModel(net, name, model_id, FORMAT)


def read_tf_generator(data: Any, src: Source) -> StyleGANModel:
    """:func:`load_tf_pickle` as the registry's last ``"tf"`` reader (it explains why other
    TensorFlow networks are refused)."""
    try:
        return load_tf_pickle(data, src.name, src.model_id)
    except ModelLoadError as exc:
        raise ModelLoadError(f"{src.path.name}: {exc}") from None
