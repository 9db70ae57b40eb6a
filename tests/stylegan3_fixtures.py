"""Tiny StyleGAN3 generators (configs T and R) with random weights, written as NVIDIA
network pickles whose records have the structure NVlabs/stylegan3 writes.

Each network object is pickled as ``torch_utils.persistence._reconstruct_persistent_obj(
meta)`` (see :mod:`stylegan_fixtures`), with the state NVIDIA's classes record: the
``nn.Module`` dictionaries, the constructor's ``_init_args`` / ``_init_kwargs`` and the
plain attributes, including the numpy values NVIDIA stores (``in_size`` arrays, float64
cutoffs and rates, a numpy bool ``use_fp16``). Layers without a filter record a None
buffer, as NVIDIA's do.
"""

from __future__ import annotations

import pickle
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from stylegan_fixtures import PersistentStub, _EasyDict, _nvidia_module_names

from guiapp.core.models.stylegan3.layers import SynthesisLayer
from guiapp.core.models.stylegan3.network import Generator, StyleGAN3Config

STANDIN_SOURCE = '''"""Stand-in for training/networks_stylegan3.py (never executed by guiapp)."""
import numpy as np
import scipy.signal
import scipy.optimize
import torch
from torch_utils import misc
from torch_utils import persistence
from torch_utils.ops import filtered_lrelu


@persistence.persistent_class
class Generator(torch.nn.Module):
    pass
'''
MAGNITUDE_EMA_BETA = 0.999
_HOOK_DICTS = (
    "_backward_pre_hooks", "_backward_hooks", "_forward_hooks", "_forward_hooks_with_kwargs",
    "_forward_hooks_always_called", "_forward_pre_hooks", "_forward_pre_hooks_with_kwargs",
    "_state_dict_hooks", "_state_dict_pre_hooks", "_load_state_dict_pre_hooks",
    "_load_state_dict_post_hooks",
)  # fmt: skip


def tiny_config(kind: str = "T", **overrides: Any) -> StyleGAN3Config:
    """32x32, w_dim 16, 4 layers (+ ToRGB), margin 2; 'R': 1x1 convs, radial filters."""
    kwargs: dict[str, Any] = {
        "z_dim": 16,
        "w_dim": 16,
        "img_resolution": 32,
        "channel_base": 256,
        "channel_max": 16,
        "num_layers": 4,
        "num_critical": 1,
        "margin_size": 2,
    }
    if kind == "R":
        kwargs.update(conv_kernel=1, use_radial_filters=True, channel_base=512, channel_max=32)
    kwargs.update(overrides)
    return StyleGAN3Config(**kwargs)


def random_generator(cfg: StyleGAN3Config | None = None, seed: int = 0) -> Generator:
    """Our network with random weights; the input transform, biases, magnitude EMAs and
    w_avg are all non-trivial so that every recorded value matters."""
    torch.manual_seed(seed)
    net = Generator(cfg or tiny_config()).eval()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name.startswith("synthesis.input.affine"):
                p.add_(0.3 * torch.randn(p.shape, generator=gen))
            elif name.endswith("bias"):
                p.add_(0.2 * torch.randn(p.shape, generator=gen))
        for name, b in net.named_buffers():
            if name.endswith("magnitude_ema"):
                b.copy_(0.3 + torch.rand((), generator=gen))
        net.mapping.w_avg.copy_(0.5 * torch.randn(net.w_dim, generator=gen))
    return net.requires_grad_(False)


# -- records ---------------------------------------------------------------------------


def _record(
    module: torch.nn.Module,
    class_name: str,
    attrs: dict[str, Any],
    init_kwargs: dict[str, Any],
    children: dict[str, PersistentStub] | None = None,
    init_args: tuple = (),
    module_src: str = STANDIN_SOURCE,
) -> PersistentStub:
    state: dict[str, Any] = {
        "training": False,
        "_parameters": dict(module._parameters),
        "_buffers": dict(module._buffers),
        "_non_persistent_buffers_set": set(),
        **{hooks: OrderedDict() for hooks in _HOOK_DICTS},
        "_is_full_backward_hook": None,
        "_modules": dict(children or {}),
        **attrs,
        "_init_args": init_args,
        "_init_kwargs": init_kwargs,
    }
    return PersistentStub(class_name, state, module_src)


def _fc(layer: torch.nn.Module, act: str, lr: float, src: str, **kwargs: Any) -> PersistentStub:
    out_f, in_f = layer.weight.shape
    attrs = {"in_features": in_f, "out_features": out_f, "activation": act,
             "weight_gain": np.float64(lr / np.sqrt(in_f)), "bias_gain": lr}  # fmt: skip
    return _record(layer, "FullyConnectedLayer", attrs, kwargs, init_args=(in_f, out_f),
                   module_src=src)  # fmt: skip


def _mapping(net: Generator, src: str) -> PersistentStub:
    cfg, mapping = net.cfg, net.mapping
    children = {f"fc{i}": _fc(getattr(mapping, f"fc{i}"), "lrelu", cfg.mapping_lr, src,
                              activation="lrelu", lr_multiplier=cfg.mapping_lr)
                for i in range(cfg.mapping_layers)}  # fmt: skip
    attrs: dict[str, Any] = {"z_dim": cfg.z_dim, "c_dim": cfg.c_dim, "w_dim": cfg.w_dim,
                             "num_ws": net.num_ws, "num_layers": cfg.mapping_layers,
                             "w_avg_beta": 0.998}  # fmt: skip
    if cfg.c_dim:
        children = {"embed": _fc(mapping.embed, "linear", 1, src), **children}
    else:
        attrs["embed"] = None
    kwargs = {"z_dim": cfg.z_dim, "c_dim": cfg.c_dim, "w_dim": cfg.w_dim, "num_ws": net.num_ws,
              "num_layers": cfg.mapping_layers}  # fmt: skip
    return _record(mapping, "MappingNetwork", attrs, kwargs, children, module_src=src)


def _as_recorded(clamp: float | None) -> float | int | None:
    """NVIDIA records the value it was given: 256 (an int) by default."""
    return int(clamp) if clamp is not None and float(clamp).is_integer() else clamp


def _layer(layer: SynthesisLayer, w_dim: int, fp16: bool, src: str) -> PersistentStub:
    s = layer.spec
    kwargs = {
        "w_dim": w_dim, "is_torgb": s.is_torgb, "is_critically_sampled": s.is_critically_sampled,
        "use_fp16": np.bool_(fp16), "in_channels": s.in_channels, "out_channels": s.out_channels,
        "in_size": s.in_size, "out_size": s.out_size, "in_sampling_rate": s.in_sampling_rate,
        "out_sampling_rate": s.out_sampling_rate, "in_cutoff": np.float64(s.in_cutoff),
        "out_cutoff": np.float64(s.out_cutoff), "in_half_width": np.float64(s.in_half_width),
        "out_half_width": np.float64(s.out_half_width), "magnitude_ema_beta": MAGNITUDE_EMA_BETA,
    }  # fmt: skip
    attrs = {
        **kwargs,
        "in_size": np.broadcast_to(np.asarray(s.in_size), [2]),
        "out_size": np.broadcast_to(np.asarray(s.out_size), [2]),
        "tmp_sampling_rate": s.tmp_sampling_rate, "conv_kernel": s.conv_kernel,
        "conv_clamp": _as_recorded(s.conv_clamp), "up_factor": s.up, "up_taps": s.up_taps,
        "down_factor": s.down, "down_taps": s.down_taps, "down_radial": s.down_radial,
        "padding": list(s.padding),
    }  # fmt: skip
    children = {"affine": _fc(layer.affine, "linear", 1, src, bias_init=1)}
    return _record(layer, "SynthesisLayer", attrs, kwargs, children, module_src=src)


def generator_record(net: Generator, module_src: str = STANDIN_SOURCE) -> PersistentStub:
    """The ``G_ema`` record NVlabs/stylegan3 would write for ``net``."""
    cfg, synth = net.cfg, net.synthesis
    inp = synth.input
    input_kwargs = {"w_dim": cfg.w_dim, "channels": inp.channels, "size": inp.size,
                    "sampling_rate": np.float64(inp.sampling_rate),
                    "bandwidth": np.float64(inp.bandwidth)}  # fmt: skip
    input_attrs = {**input_kwargs, "size": np.broadcast_to(np.asarray(inp.size), [2])}
    affine = _fc(inp.affine, "linear", 1, module_src, weight_init=0, bias_init=[1, 0, 0, 0])
    layers = {"input": _record(inp, "SynthesisInput", input_attrs, input_kwargs,
                               {"affine": affine}, module_src=module_src)}  # fmt: skip
    for layer in synth.layers():
        fp16 = layer.spec.out_sampling_rate * 2**4 > cfg.img_resolution
        layers[layer.spec.name] = _layer(layer, cfg.w_dim, fp16, module_src)
    synth_kwargs = {
        "channel_base": cfg.channel_base,
        "channel_max": cfg.channel_max,
        "num_layers": cfg.num_layers,
        "num_critical": cfg.num_critical,
        "margin_size": cfg.margin_size,
        "magnitude_ema_beta": MAGNITUDE_EMA_BETA,
    }
    if cfg.conv_kernel != 3:
        synth_kwargs["conv_kernel"] = cfg.conv_kernel
    if cfg.use_radial_filters:
        synth_kwargs["use_radial_filters"] = True
    common = {"w_dim": cfg.w_dim, "img_resolution": cfg.img_resolution,
              "img_channels": cfg.img_channels}  # fmt: skip
    synth_attrs = {**common, "num_ws": net.num_ws, "num_layers": cfg.num_layers,
                   "num_critical": cfg.num_critical, "margin_size": cfg.margin_size,
                   "output_scale": cfg.output_scale, "num_fp16_res": 4,
                   "layer_names": list(synth.layer_names)}  # fmt: skip
    synthesis = _record(synth, "SynthesisNetwork", synth_attrs, {**common, **synth_kwargs},
                        layers, module_src=module_src)  # fmt: skip
    g_kwargs = {
        "z_dim": cfg.z_dim,
        "c_dim": cfg.c_dim,
        **common,
        "mapping_kwargs": _EasyDict(num_layers=cfg.mapping_layers),
        **synth_kwargs,
    }
    g_attrs = {"z_dim": cfg.z_dim, "c_dim": cfg.c_dim, **common, "num_ws": net.num_ws}
    children = {"synthesis": synthesis, "mapping": _mapping(net, module_src)}
    return _record(net, "Generator", g_attrs, g_kwargs, children, module_src=module_src)


def write_nvidia_pickle(
    path: Path, net: Generator, protocol: int = 4, module_src: str = STANDIN_SOURCE
) -> Path:
    """A training snapshot ``{'G', 'D', 'G_ema', 'augment_pipe', 'training_set_kwargs'}``."""
    snapshot = {
        "G": generator_record(net, module_src),
        "D": PersistentStub("Discriminator", {"_parameters": OrderedDict(w=torch.ones(2))}),
        "G_ema": generator_record(net, module_src),
        "augment_pipe": None,
        "training_set_kwargs": {"path": "data.zip", "resolution": net.img_resolution},
    }
    with _nvidia_module_names():
        path.write_bytes(pickle.dumps(snapshot, protocol=protocol))
    return path
