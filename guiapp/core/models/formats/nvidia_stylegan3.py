"""Read a StyleGAN3 generator (configs T and R) from the ``G_ema`` record of an NVIDIA
network pickle (the stylegan3 repository's snapshots).

:mod:`guiapp.core.models.formats.restricted_pickle` has already turned the network into a
:class:`PersistentRecord` without running its stored source. Here the configuration is read
from the recorded constructor kwargs (``channel_base``, ``num_layers``, ``first_cutoff``,
``conv_kernel``, ``use_radial_filters``, ...; NVIDIA's defaults where absent) and the
recorded attributes, our :class:`~guiapp.core.models.stylegan3.network.Generator` is built,
its derived geometry is checked against what the record says (sampling rates, bandwidth,
resampling factors, padding), and the recorded parameters and buffers are loaded strictly.
"""

from __future__ import annotations

import math
from typing import Any

from guiapp.core.models.base import ModelLoadError
from guiapp.core.models.formats.nvidia_record import generator_parts, style_settings
from guiapp.core.models.formats.restricted_pickle import PersistentRecord
from guiapp.core.models.formats.weights import check_size, load_weights
from guiapp.core.models.stylegan3.adapter import StyleGAN3Model
from guiapp.core.models.stylegan3.network import Generator, StyleGAN3Config

FORMAT = "stylegan3-nvidia-pickle"
_SYNTHESIS_KWARGS = (
    "channel_base", "channel_max", "num_layers", "num_critical", "first_cutoff",
    "first_stopband", "last_stopband_rel", "margin_size", "output_scale", "conv_kernel",
    "filter_size", "lrelu_upsampling", "use_radial_filters", "conv_clamp",
)  # fmt: skip


def is_stylegan3_record(record: PersistentRecord) -> bool:
    """Whether a generator record has StyleGAN3's synthesis network (a Fourier input)."""
    synthesis = record.modules.get("synthesis")
    return synthesis is not None and "input" in synthesis.modules


def _number(value: Any, kind: type) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) and kind is not bool:
        raise TypeError(f"expected a number, got {value!r}")
    return kind(value)


def config_from_record(record: PersistentRecord) -> StyleGAN3Config:
    """Our configuration from a recorded NVIDIA StyleGAN3 ``Generator``.

    Raises
    ------
    ModelLoadError
        When the record is not a StyleGAN3 generator this module can build.
    """
    synthesis, mapping = generator_parts(record)
    try:
        # Synthesis kwargs: the synthesis network's own record, else the generator's
        # (which passes them on), else NVIDIA's defaults; plain attributes win.
        kwargs = {**record.init_kwargs, **synthesis.init_kwargs}
        kwargs.update({k: synthesis.state[k] for k in _SYNTHESIS_KWARGS if k in synthesis.state})
        first = synthesis.modules[synthesis.state["layer_names"][0]]
        if "conv_clamp" in first.state:
            kwargs["conv_clamp"] = first.state["conv_clamp"]
        kwargs["conv_kernel"] = int(first.tensors()["weight"].shape[-1])
        filters = [t for k, t in synthesis.tensors().items() if k.endswith(".down_filter")]
        if any(f.ndim == 2 for f in filters):  # radial filters are 2-D
            kwargs["use_radial_filters"] = True
        defaults = StyleGAN3Config()
        kinds = {
            "use_radial_filters": bool,
            "conv_clamp": float,
            "output_scale": float,
            "first_cutoff": float,
            "first_stopband": float,
            "last_stopband_rel": float,
        }
        synth_cfg = {
            key: _number(kwargs.get(key, getattr(defaults, key)), kinds.get(key, int))
            for key in _SYNTHESIS_KWARGS
        }
        return StyleGAN3Config(
            **style_settings(record, mapping),
            **synth_cfg,
        )
    except ModelLoadError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise ModelLoadError(f"unexpected StyleGAN3 network record ({exc})") from None


def _check_geometry(net: Generator, record: PersistentRecord) -> None:
    """Compare our derived layer geometry with the values the record states."""
    synthesis = record.modules["synthesis"]
    ours = net.synthesis
    if list(synthesis.state.get("layer_names", ours.layer_names)) != ours.layer_names:
        raise ModelLoadError("the recorded layers do not match the configuration")
    size = ours.input.size
    checks = [
        (
            "input",
            synthesis.modules["input"].state,
            {"sampling_rate": ours.input.sampling_rate, "bandwidth": ours.input.bandwidth,
             "size": [size, size]},
        )
    ]  # fmt: skip
    for layer in ours.layers():
        spec = layer.spec
        expected = {
            "up_factor": spec.up, "down_factor": spec.down, "padding": list(spec.padding),
            "in_sampling_rate": spec.in_sampling_rate, "in_cutoff": spec.in_cutoff,
            "out_sampling_rate": spec.out_sampling_rate, "out_cutoff": spec.out_cutoff,
        }  # fmt: skip
        checks.append((spec.name, synthesis.modules[spec.name].state, expected))
    for name, recorded, expected in checks:
        for key, want in expected.items():
            if key not in recorded:
                continue
            got = recorded[key]
            same = (
                [int(v) for v in got] == want
                if isinstance(want, list)
                else math.isclose(float(got), float(want), rel_tol=1e-6)
            )
            if not same:
                raise ModelLoadError(f"{name}.{key} is {got}, the configuration gives {want}")


def generator_from_record(record: PersistentRecord) -> Generator:
    """Build our StyleGAN3 :class:`Generator` from a record and load its weights."""
    cfg = config_from_record(record)
    tensors = record.tensors()
    check_size(cfg.param_estimate(), tensors)
    net = Generator(cfg)
    try:
        _check_geometry(net, record)
    except (TypeError, ValueError) as exc:
        raise ModelLoadError(f"unexpected StyleGAN3 network record ({exc})") from None
    load_weights(net, tensors)
    return net.eval().requires_grad_(False)


def load_stylegan3_record(record: PersistentRecord, name: str, model_id: str) -> StyleGAN3Model:
    """A :class:`StyleGAN3Model` from the ``G_ema`` record of an NVIDIA pickle."""
    return StyleGAN3Model(generator_from_record(record), name, model_id, FORMAT)
