"""PGGAN files written from random weights in each real format, without TensorFlow.

- NVIDIA's TensorFlow pickle (progressive_growing_of_gans): ``(G, D, Gs)`` of
  ``tfutil.Network`` objects pickled with the state dict of ``Network.__getstate__``
  (version 2, ``G_paper``, ``variables`` as ``(name, array)`` pairs, every ``ToRGB_lod{k}``
  and the ``lod`` variable); a stand-in class is pickled under that global name. Its
  stored build source creates a marker file if anyone executes it.
- genforce's ``.pth``: ``{'generator', 'discriminator', 'generator_smooth'}`` state dicts
  in the layout genforce's ``pggan_converter.py`` writes (``layer0`` the dense layer as a
  flipped (C, z, 4, 4) convolution, ``output{b}`` every ToRGB, ``lod``).
- GAN Dissection's ProGAN ``.pth`` (``netdissect/proggan.py``'s TF conversion):
  ``layer{i}.conv.weight`` / ``layer{i}.wscale.b``, fused upscaling kernels turned into
  flipped 3x3 convolutions after a nearest upscale, ``output_{R}x{R}.*``.

The layout conversions here are written from those projects' converters, forwards (TF ->
their layout); the readers under test implement the inverse.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np
import torch
from stylegan_fixtures import importable_as

SMALL_CHANNELS = {4: 16, 8: 12, 16: 8}


class Network:
    """Pickles as ``tfutil.Network`` (inside :func:`pggan_module_names`)."""

    def __init__(self, state: dict) -> None:
        self.state = state

    def __getstate__(self) -> dict:
        return self.state


def harmful_source(marker: Path) -> str:
    return ("import os\n" f"os.system('touch {marker}')\n"
            f"open({str(marker)!r}, 'w').close()\n" "def G_paper(*a, **k):\n    pass\n")


def random_variables(channels: dict[int, int] | None = None, z_dim: int = 16,
                     img_channels: int = 3, fused: bool = True, seed: int = 0
                     ) -> dict[str, np.ndarray]:
    """``G_paper``'s variables (TF names and layouts, N(0, 1) weights as with use_wscale,
    small random biases) for a network of the given widths, with every ToRGB_lod."""
    channels = dict(channels or SMALL_CHANNELS)
    rs = np.random.RandomState(seed)
    res = max(channels)

    def normal(*shape: int) -> np.ndarray:
        return rs.randn(*shape).astype(np.float32)

    v: dict[str, np.ndarray] = {"lod": np.float32(0.0)}
    c4 = channels[4]
    v["4x4/Dense/weight"], v["4x4/Dense/bias"] = normal(z_dim, c4 * 16), 0.1 * normal(c4)
    v["4x4/Conv/weight"], v["4x4/Conv/bias"] = normal(3, 3, c4, c4), 0.1 * normal(c4)
    for r in sorted(channels)[1:]:
        cin, cout = channels[r // 2], channels[r]
        if fused:
            v[f"{r}x{r}/Conv0_up/weight"] = normal(3, 3, cout, cin)
            v[f"{r}x{r}/Conv0_up/bias"] = 0.1 * normal(cout)
        else:
            v[f"{r}x{r}/Conv0/weight"] = normal(3, 3, cin, cout)
            v[f"{r}x{r}/Conv0/bias"] = 0.1 * normal(cout)
        v[f"{r}x{r}/Conv1/weight"] = normal(3, 3, cout, cout)
        v[f"{r}x{r}/Conv1/bias"] = 0.1 * normal(cout)
    for r in sorted(channels):
        lod = int(np.log2(res // r))
        v[f"ToRGB_lod{lod}/weight"] = normal(1, 1, channels[r], img_channels)
        v[f"ToRGB_lod{lod}/bias"] = 0.1 * normal(img_channels)
    return v


def unfused(v: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The same network with ``fused_scale=False`` variables: a fused ``Conv0_up`` kernel
    [3, 3, out, in] equals nearest upscale + conv with it flipped and transposed."""
    out = {}
    for name, value in v.items():
        if "/Conv0_up/" in name:
            name = name.replace("Conv0_up", "Conv0")
            if name.endswith("weight"):
                value = np.ascontiguousarray(value[::-1, ::-1].transpose(0, 1, 3, 2))
        out[name] = value
    return out


def generator_kwargs(v: dict[str, np.ndarray], fused: bool) -> dict[str, Any]:
    """``Gs.static_kwargs`` as train.py passes them (dataset sizes, config.G, extras)."""
    res = max(int(k.split("x")[0]) for k in v if k[0].isdigit())
    return {"num_channels": int(v["ToRGB_lod0/weight"].shape[3]), "resolution": res,
            "label_size": 0, "fmap_base": 64, "fmap_max": 16,
            "latent_size": int(v["4x4/Dense/weight"].shape[0]), "fused_scale": fused,
            "mbstd_group_size": 16}


def network_state(name: str, func: str, kwargs: dict, variables: dict, source: str) -> dict:
    return {"version": 2, "name": name, "static_kwargs": dict(kwargs),
            "build_module_src": source, "build_func_name": func,
            "variables": list(variables.items())}


def tf_snapshot(v: dict[str, np.ndarray], marker: Path, fused: bool = True) -> tuple:
    source = harmful_source(marker)
    kwargs = generator_kwargs(v, fused)
    d_vars = {"lod": np.float32(0), "FromRGB_lod0/weight": np.ones((1, 1, 3, 4), np.float32)}
    return (Network(network_state("G", "G_paper", kwargs, v, source)),
            Network(network_state("D", "D_paper", kwargs, d_vars, source)),
            Network(network_state("Gs", "G_paper", kwargs, v, source)))


def write_tf_data(path: Path, data: Any, protocol: int = 4) -> Path:
    with importable_as({"tfutil.Network": Network}):
        path.write_bytes(pickle.dumps(data, protocol=protocol))
    return path


def write_tf_pickle(path: Path, v: dict[str, np.ndarray], marker: Path,
                    fused: bool = True, protocol: int = 4) -> Path:
    return write_tf_data(path, tf_snapshot(v, marker, fused), protocol)


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))


def _dense_as_conv(w: np.ndarray) -> torch.Tensor:
    """TF dense [z, C * 16] -> (C, z, 4, 4) flipped (both converters do this)."""
    return _t(w).view(w.shape[0], -1, 4, 4).permute(1, 0, 2, 3).flip(2, 3).contiguous()


def genforce_state_dict(v: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """genforce's ``PGGANGenerator`` state dict of non-fused TF variables ``v``."""
    res = max(int(k.split("x")[0]) for k in v if k[0].isdigit())
    blocks = int(np.log2(res)) - 1
    sd: dict[str, torch.Tensor] = {"lod": torch.zeros(())}
    for b in range(blocks):
        r = 4 * 2**b
        first, second = (("4x4/Dense", "4x4/Conv") if r == 4
                         else (f"{r}x{r}/Conv0", f"{r}x{r}/Conv1"))
        w0 = v[f"{first}/weight"]
        sd[f"layer{2 * b}.weight"] = _dense_as_conv(w0) if r == 4 else _t(w0).permute(3, 2, 0, 1)
        sd[f"layer{2 * b}.bias"] = _t(v[f"{first}/bias"])
        sd[f"layer{2 * b + 1}.weight"] = _t(v[f"{second}/weight"]).permute(3, 2, 0, 1)
        sd[f"layer{2 * b + 1}.bias"] = _t(v[f"{second}/bias"])
        lod = blocks - 1 - b
        sd[f"output{b}.weight"] = _t(v[f"ToRGB_lod{lod}/weight"]).permute(3, 2, 0, 1)
        sd[f"output{b}.bias"] = _t(v[f"ToRGB_lod{lod}/bias"])
    return {k: t.contiguous() for k, t in sd.items()}


def write_genforce(path: Path, v: dict[str, np.ndarray], key: str = "generator_smooth") -> Path:
    sd = genforce_state_dict(v)
    ckpt = {"generator": sd, "discriminator": {"layer0.weight": torch.ones(2, 2)}}
    if key == "generator_smooth":
        ckpt["generator_smooth"] = sd
    torch.save(ckpt, path)
    return path


def gandissect_state_dict(v: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """GAN Dissection's ``state_dict_from_tf_parameters`` of fused TF variables ``v``."""
    res = max(int(k.split("x")[0]) for k in v if k[0].isdigit())
    sd: dict[str, torch.Tensor] = {}
    layers = 2 * (int(np.log2(res)) - 1)
    for i in range(layers):
        r = 4 * 2 ** (i // 2)
        tf = ("4x4/Dense" if i == 0 else "4x4/Conv" if i == 1
              else f"{r}x{r}/Conv0_up" if i % 2 == 0 else f"{r}x{r}/Conv1")
        w = v[f"{tf}/weight"]
        if i == 0:
            weight = _dense_as_conv(w)
        elif i % 2 == 0:
            weight = _t(w).permute(2, 3, 0, 1).flip(2, 3)
        else:
            weight = _t(w).permute(3, 2, 0, 1)
        sd[f"layer{i + 1}.conv.weight"] = weight.contiguous()
        sd[f"layer{i + 1}.wscale.b"] = _t(v[f"{tf}/bias"])
    torgb = _t(v["ToRGB_lod0/weight"]).permute(3, 2, 0, 1)
    sd[f"output_{res}x{res}.conv.weight"] = torgb.contiguous()
    sd[f"output_{res}x{res}.wscale.b"] = _t(v["ToRGB_lod0/bias"])
    return sd


def write_gandissect(path: Path, v: dict[str, np.ndarray], legacy: bool = False) -> Path:
    torch.save(gandissect_state_dict(v), path, _use_new_zipfile_serialization=not legacy)
    return path
