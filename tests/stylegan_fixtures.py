"""Tiny StyleGAN2 generators with random weights, written in the real file formats.

- :func:`write_nvidia_pickle`: a snapshot dict ``{'G', 'D', 'G_ema', 'augment_pipe',
  'training_set_kwargs', ...}`` whose networks are pickled exactly as NVIDIA's
  ``torch_utils.persistence`` does it: a call to
  ``torch_utils.persistence._reconstruct_persistent_obj(meta)`` with ``meta = {type,
  version, module_src, class_name, state}`` and ``state`` the module's ``__dict__``
  (``_parameters``, ``_buffers``, ``_modules`` OrderedDicts, plain attributes and
  ``_init_kwargs``). Tensors are pickled by torch itself. NVIDIA's code is not needed: the
  global names are provided by stand-in modules while pickling only.
- :func:`write_rosinality_checkpoint`: ``torch.save({'g_ema': state_dict, 'latent_avg':
  ...})`` in rosinality's layout, converted from our network by an independent inverse
  mapping.
- Hostile files: a REDUCE on ``os.system``, a network record with malicious source, a
  tensor storage whose nested blob runs code.
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import sys
import types
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from guiapp.core.models.stylegan2.network import Generator, StyleGAN2Config

STANDIN_SOURCE = '''"""Stand-in for training/networks.py (never executed by guiapp)."""
import numpy as np
import torch
from torch_utils import persistence
from torch_utils.ops import bias_act


@persistence.persistent_class
class Generator(torch.nn.Module):
    pass
'''
_PLAIN = (bool, int, float, str, type(None))


def tiny_config(**overrides: Any) -> StyleGAN2Config:
    """16x16, w_dim 32, at most 32 channels, 2 mapping layers, conv_clamp 256."""
    kwargs = {
        "z_dim": 32,
        "w_dim": 32,
        "img_resolution": 16,
        "channel_base": 256,
        "channel_max": 32,
        "mapping_layers": 2,
        "conv_clamp": 256.0,
    }
    kwargs.update(overrides)
    return StyleGAN2Config(**kwargs)


def random_generator(cfg: StyleGAN2Config | None = None, seed: int = 0) -> Generator:
    """Our network with random weights, non-zero noise strengths, biases and w_avg."""
    torch.manual_seed(seed)
    net = Generator(cfg or tiny_config()).eval()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name.endswith("noise_strength"):
                p.copy_(0.1 + 0.4 * torch.rand((), generator=gen))
            elif name.endswith("bias"):
                p.add_(0.2 * torch.randn(p.shape, generator=gen))
        if hasattr(net.mapping, "w_avg"):
            net.mapping.w_avg.copy_(0.5 * torch.randn(net.w_dim, generator=gen))
    return net.requires_grad_(False)


# -- NVIDIA pickles ------------------------------------------------------------------------


class _EasyDict(dict):
    pass


def _reconstruct_persistent_obj(meta: Any) -> Any:
    raise RuntimeError("stand-in used only for pickling")


@contextlib.contextmanager
def importable_as(objects: dict[str, Any]) -> Iterator[None]:
    """While pickling, make each dotted name (``"dnnlib.util.EasyDict"``) resolve to its
    object through stand-in modules, so the pickle records the real file's names."""
    modules: dict[str, types.ModuleType] = {}
    renamed = []
    for dotted, obj in objects.items():
        module_name, _, name = dotted.rpartition(".")
        parts = module_name.split(".")
        for i in range(1, len(parts) + 1):
            path = ".".join(parts[:i])
            if path not in modules:
                modules[path] = types.ModuleType(path)
                if i > 1:
                    setattr(modules[".".join(parts[: i - 1])], parts[i - 1], modules[path])
        setattr(modules[module_name], name, obj)
        renamed.append((obj, obj.__module__, obj.__qualname__))
        obj.__module__, obj.__qualname__ = module_name, name
    saved = {path: sys.modules.get(path) for path in modules}
    sys.modules.update(modules)
    try:
        yield
    finally:
        for obj, module, qualname in renamed:
            obj.__module__, obj.__qualname__ = module, qualname
        for path, module in saved.items():
            if module is None:
                sys.modules.pop(path, None)
            else:
                sys.modules[path] = module


def _nvidia_module_names() -> contextlib.AbstractContextManager[None]:
    """Make ``torch_utils.persistence._reconstruct_persistent_obj`` and
    ``dnnlib.util.EasyDict`` resolvable while pickling (pickle stores names)."""
    return importable_as({
        "torch_utils.persistence._reconstruct_persistent_obj": _reconstruct_persistent_obj,
        "dnnlib.util.EasyDict": _EasyDict,
    })


class PersistentStub:
    """Pickles as NVIDIA's persistent objects do: ``_reconstruct_persistent_obj(meta)``."""

    def __init__(self, class_name: str, state: dict, module_src: str = STANDIN_SOURCE) -> None:
        self.meta = {
            "type": "class",
            "version": 6,
            "module_src": module_src,
            "class_name": class_name,
            "state": state,
        }

    def __reduce__(self) -> tuple:
        return (_reconstruct_persistent_obj, (self.meta,))


def module_record(module: torch.nn.Module, init_kwargs: dict | None = None,
                  module_src: str = STANDIN_SOURCE) -> PersistentStub:  # fmt: skip
    """The record NVIDIA would write for ``module`` (plain attributes, tensors, children)."""
    state: dict[str, Any] = {
        "training": False,
        "_parameters": OrderedDict(module._parameters),
        "_buffers": OrderedDict(module._buffers),
        "_non_persistent_buffers_set": set(),
        "_backward_hooks": OrderedDict(),
        "_forward_hooks": OrderedDict(),
        "_forward_pre_hooks": OrderedDict(),
        "_state_dict_hooks": OrderedDict(),
        "_load_state_dict_pre_hooks": OrderedDict(),
        "_modules": OrderedDict(
            (k, module_record(v, module_src=module_src)) for k, v in module._modules.items()
        ),
        "_init_args": (),
        "_init_kwargs": dict(init_kwargs or {}),
    }
    for key, value in vars(module).items():
        if not key.startswith("_") and isinstance(value, _PLAIN) and key != "training":
            state[key] = value
    return PersistentStub(type(module).__name__, state, module_src)


def generator_record(net: Generator, module_src: str = STANDIN_SOURCE) -> PersistentStub:
    cfg = net.cfg
    kwargs = {
        "z_dim": cfg.z_dim,
        "c_dim": cfg.c_dim,
        "w_dim": cfg.w_dim,
        "img_resolution": cfg.img_resolution,
        "img_channels": cfg.img_channels,
        "mapping_kwargs": _EasyDict(num_layers=cfg.mapping_layers),
        "synthesis_kwargs": _EasyDict(
            channel_base=cfg.channel_base,
            channel_max=cfg.channel_max,
            num_fp16_res=4,
            conv_clamp=cfg.conv_clamp,
            architecture=cfg.architecture,
        ),
    }
    record = module_record(net, kwargs, module_src)
    record.meta["state"]["img_channels"] = cfg.img_channels
    return record


def nvidia_snapshot(net: Generator, module_src: str = STANDIN_SOURCE) -> dict:
    """A training snapshot dict in NVIDIA's layout (``D`` and ``augment_pipe`` are stubs)."""
    disc = PersistentStub("Discriminator", {"_parameters": OrderedDict(w=torch.ones(2))})
    pipe = PersistentStub("AugmentPipe", {"_buffers": OrderedDict(p=torch.zeros([]))})
    return {
        "G": generator_record(net, module_src),
        "D": disc,
        "G_ema": generator_record(net, module_src),
        "augment_pipe": pipe,
        "training_set_kwargs": _EasyDict(path="data.zip", resolution=net.img_resolution),
        "progress": {"cur_nimg": np.int64(1000), "p": np.float32(0.1), "s": np.arange(3.0)},
    }


def write_nvidia_pickle(
    path: Path, net: Generator, protocol: int = 4, module_src: str = STANDIN_SOURCE
) -> Path:
    with _nvidia_module_names():
        data = pickle.dumps(nvidia_snapshot(net, module_src), protocol=protocol)
    path.write_bytes(data)
    return path


# -- rosinality checkpoints ----------------------------------------------------------------


def rosinality_state_dict(net: Generator) -> dict[str, torch.Tensor]:
    """Our network's weights in rosinality's ``Generator`` layout (g_ema)."""
    sd = {k: v.clone() for k, v in net.state_dict().items()}
    out: dict[str, torch.Tensor] = {}
    for i in range(net.cfg.mapping_layers):
        out[f"style.{i + 1}.weight"] = sd[f"mapping.fc{i}.weight"]
        out[f"style.{i + 1}.bias"] = sd[f"mapping.fc{i}.bias"]
    out["input.input"] = sd["synthesis.b4.const"][None]

    def conv(src: str, dst: str, noise: int, up: bool) -> None:
        w = sd[f"{src}.weight"]
        out[f"{dst}.conv.weight"] = (w * math.sqrt(w[0].numel()))[None]
        out[f"{dst}.conv.modulation.weight"] = sd[f"{src}.affine.weight"]
        out[f"{dst}.conv.modulation.bias"] = sd[f"{src}.affine.bias"]
        out[f"{dst}.noise.weight"] = sd[f"{src}.noise_strength"].reshape(1)
        out[f"{dst}.activate.bias"] = sd[f"{src}.bias"]
        out[f"noises.noise_{noise}"] = sd[f"{src}.noise_const"][None, None]
        if up:
            out[f"{dst}.conv.blur.kernel"] = sd[f"{src}.resample_filter"] * 4

    def torgb(src: str, dst: str, up: bool) -> None:
        out[f"{dst}.conv.weight"] = sd[f"{src}.weight"][None]
        out[f"{dst}.conv.modulation.weight"] = sd[f"{src}.affine.weight"]
        out[f"{dst}.conv.modulation.bias"] = sd[f"{src}.affine.bias"]
        out[f"{dst}.bias"] = sd[f"{src}.bias"].reshape(1, -1, 1, 1)

    conv("synthesis.b4.conv1", "conv1", 0, up=False)
    torgb("synthesis.b4.torgb", "to_rgb1", up=False)
    for j, res in enumerate(net.synthesis.block_resolutions[1:]):
        conv(f"synthesis.b{res}.conv0", f"convs.{2 * j}", 2 * j + 1, up=True)
        conv(f"synthesis.b{res}.conv1", f"convs.{2 * j + 1}", 2 * j + 2, up=False)
        torgb(f"synthesis.b{res}.torgb", f"to_rgbs.{j}", up=True)
        out[f"to_rgbs.{j}.upsample.kernel"] = sd[f"synthesis.b{res}.resample_filter"] * 4
    return out


def write_rosinality_checkpoint(
    path: Path, net: Generator, latent_avg: bool = True, zip_format: bool = True
) -> Path:
    ckpt: dict[str, Any] = {"g_ema": rosinality_state_dict(net)}
    if latent_avg:
        ckpt["latent_avg"] = net.mapping.w_avg.clone()
    torch.save(ckpt, path, _use_new_zipfile_serialization=zip_format)
    return path


# -- hostile files -------------------------------------------------------------------------


class RunsShell:
    """Unpickling this runs ``touch MARKER`` through ``os.system`` (a classic exploit)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (os.system, (f"touch {self.marker}",))


class HostileStorage:
    """A tensor storage whose nested ``torch.save`` blob runs ``os.system`` when loaded."""

    def __init__(self, marker: Path) -> None:
        self.blob = pickle.dumps(RunsShell(marker), protocol=2)

    def __reduce__(self) -> tuple:
        return (torch.storage._load_from_bytes, (self.blob,))


def hostile_source(marker: Path) -> str:
    return f"import os\nos.system('touch {marker}')\n" + STANDIN_SOURCE
