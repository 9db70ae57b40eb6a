"""StyleGAN (v1) files written from random weights in each real format, without TensorFlow.

- NVIDIA's TensorFlow pickle (NVlabs/stylegan): ``(G, D, Gs)`` of
  ``dnnlib.tflib.network.Network`` objects pickled with the state dict of
  ``Network.__getstate__`` (version 3, ``G_style`` with ``mapping`` = ``G_mapping`` and
  ``synthesis`` = ``G_synthesis`` components, ``variables`` as ``(name, array)`` pairs in
  creation order: ``lod`` and ``dlatent_avg`` in ``Gs``; ``lod``, ``noise{i}``, the layers and
  every ``ToRGB_lod{k}`` in the synthesis). A stand-in class is pickled under that global
  name; the stored build source creates a marker file if anyone executes it.
- genforce's stylegan ``.pth``: ``{'generator', 'discriminator', 'generator_smooth'}`` state
  dicts with genforce's names and layouts (``models/stylegan_generator.py``'s
  ``pth_to_tf_var_mapping``), written forwards (TF -> genforce) as its converter does; the
  reader under test implements the inverse.

Variables here are flat ``{scoped name: array}`` dicts (``mapping/Dense0/weight``,
``synthesis/8x8/Conv1/StyleMod/bias``, ``dlatent_avg``).
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np
import torch
from stylegan_fixtures import importable_as

SMALL_CHANNELS = {4: 16, 8: 12, 16: 8, 32: 8}
Z_DIM = W_DIM = 16


class Network:
    """Pickles as ``dnnlib.tflib.network.Network`` (inside :func:`write_tf_data`)."""

    def __init__(self, state: dict) -> None:
        self.state = state

    def __getstate__(self) -> dict:
        return self.state


def harmful_source(marker: Path) -> str:
    return ("import os\n" f"os.system('touch {marker}')\n"
            f"open({str(marker)!r}, 'w').close()\n" "def G_style(*a, **k):\n    pass\n")


def _scope(i: int) -> str:
    r = 4 * 2 ** (i // 2)
    if r == 4:
        return "4x4/Const" if i == 0 else "4x4/Conv"
    return f"{r}x{r}/{'Conv0_up' if i % 2 == 0 else 'Conv1'}"


def random_variables(channels: dict[int, int] | None = None, z_dim: int = Z_DIM,
                     w_dim: int = W_DIM, mapping_layers: int = 8, mapping_fmaps: int = 24,
                     img_channels: int = 3,
                     seed: int = 0, noise: bool = True) -> dict[str, np.ndarray]:
    """``G_style``'s variables for the given widths: N(0, 1) weights (use_wscale; the
    mapping's N(0, 1 / lrmul)), small random biases, noise weights and style biases (so
    every term shows in the image), a non-zero ``dlatent_avg``, every ``ToRGB_lod{k}``."""
    channels = dict(channels or SMALL_CHANNELS)
    rs = np.random.RandomState(seed)
    res = max(channels)
    num_layers = 2 * len(channels)

    def normal(*shape: int, std: float = 1.0) -> np.ndarray:
        return (std * rs.randn(*shape)).astype(np.float32)

    v: dict[str, np.ndarray] = {"lod": np.float32(0.0)}
    fan_in = z_dim
    for i in range(mapping_layers):
        out = w_dim if i == mapping_layers - 1 else mapping_fmaps
        v[f"mapping/Dense{i}/weight"] = normal(fan_in, out, std=100.0)
        v[f"mapping/Dense{i}/bias"] = normal(out, std=10.0)
        fan_in = out
    v["dlatent_avg"] = normal(w_dim, std=0.3)
    v["synthesis/lod"] = np.float32(0.0)
    if noise:
        for i in range(num_layers):
            r = 4 * 2 ** (i // 2)
            v[f"synthesis/noise{i}"] = normal(1, 1, r, r)
    for i in range(num_layers):
        r = 4 * 2 ** (i // 2)
        c = channels[r]
        scope = f"synthesis/{_scope(i)}"
        if i == 0:
            v[f"{scope}/const"] = normal(1, c, 4, 4)
        else:
            cin = channels[4 * 2 ** ((i - 1) // 2)]
            v[f"{scope}/weight"] = normal(3, 3, cin, c)
        if noise:
            v[f"{scope}/Noise/weight"] = normal(c, std=0.3)
        v[f"{scope}/bias"] = normal(c, std=0.1)
        v[f"{scope}/StyleMod/weight"] = normal(w_dim, 2 * c)
        v[f"{scope}/StyleMod/bias"] = normal(2 * c, std=0.1)
    for r in sorted(channels):
        lod = int(np.log2(res // r))
        v[f"synthesis/ToRGB_lod{lod}/weight"] = normal(1, 1, channels[r], img_channels, std=0.1)
        v[f"synthesis/ToRGB_lod{lod}/bias"] = normal(img_channels, std=0.1)
    return v


def generator_kwargs(v: dict[str, np.ndarray], **extra: Any) -> dict[str, Any]:
    """``Gs.static_kwargs`` as NVlabs/stylegan's train.py passes them (dataset sizes and
    ``G_args``), plus ``extra``."""
    res = max(int(k.split("/")[1].split("x")[0]) for k in v
              if k.startswith("synthesis/") and k.split("/")[1][0].isdigit())
    kwargs = {"num_channels": int(v["synthesis/ToRGB_lod0/weight"].shape[3]),
              "resolution": res, "label_size": 0, "structure": "linear"}
    kwargs.update(extra)
    return kwargs


def network_state(name: str, func: str, kwargs: dict, variables: dict, source: str,
                  components: dict | None = None) -> dict:
    return {"version": 3, "name": name, "static_kwargs": dict(kwargs),
            "components": dict(components or {}), "build_module_src": source,
            "build_func_name": func, "variables": list(variables.items())}


def _part(v: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {k[len(prefix):]: a for k, a in v.items() if k.startswith(prefix)}


def tf_generator(v: dict[str, np.ndarray], source: str, name: str, kwargs: dict) -> Network:
    num_layers = sum(1 for k in v if k.endswith("/StyleMod/weight"))
    synthesis = Network(network_state("G_synthesis", "G_synthesis", kwargs,
                                      _part(v, "synthesis/"), source))
    mapping = Network(network_state("G_mapping", "G_mapping",
                                    dict(kwargs, dlatent_broadcast=num_layers),
                                    _part(v, "mapping/"), source))
    own = {k: a for k, a in v.items() if "/" not in k}
    return Network(network_state(name, "G_style", kwargs, own, source,
                                 {"synthesis": synthesis, "mapping": mapping}))


def tf_snapshot(v: dict[str, np.ndarray], marker: Path, **kwargs: Any) -> tuple:
    """``(G, D, Gs)`` of ``v``; ``kwargs`` go to every network's ``static_kwargs``."""
    source = harmful_source(marker)
    kw = generator_kwargs(v, **kwargs)
    d_vars = {"lod": np.float32(0), "FromRGB_lod0/weight": np.ones((1, 1, 3, 4), np.float32)}
    disc = Network(network_state("D", "D_basic", kw, d_vars, source))
    return tf_generator(v, source, "G", kw), disc, tf_generator(v, source, "Gs", kw)


def write_tf_data(path: Path, data: Any, protocol: int = 4) -> Path:
    with importable_as({"dnnlib.tflib.network.Network": Network}):
        path.write_bytes(pickle.dumps(data, protocol=protocol))
    return path


def write_tf_pickle(path: Path, v: dict[str, np.ndarray], marker: Path, protocol: int = 4,
                    **kwargs: Any) -> Path:
    return write_tf_data(path, tf_snapshot(v, marker, **kwargs), protocol)


def gs_state(data: tuple) -> dict:
    return data[2].state


def component_state(data: tuple, name: str) -> dict:
    return gs_state(data)["components"][name].state


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))


def genforce_state_dict(v: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """genforce's ``StyleGANGenerator`` state dict of TF variables ``v`` (its converter:
    dense and style weights transposed to (out, in), convs to (out, in, k, k))."""
    sd: dict[str, torch.Tensor] = {}
    i = 0
    while f"mapping/Dense{i}/weight" in v:
        sd[f"mapping.dense{i}.weight"] = _t(v[f"mapping/Dense{i}/weight"].T)
        sd[f"mapping.dense{i}.bias"] = _t(v[f"mapping/Dense{i}/bias"])
        i += 1
    sd["truncation.w_avg"] = _t(v["dlatent_avg"])
    sd["synthesis.lod"] = torch.zeros(())
    num_layers = sum(1 for k in v if k.endswith("/StyleMod/weight"))
    blur = torch.tensor([1.0, 2.0, 1.0])
    blur = (torch.outer(blur, blur) / 16)[None, None]
    for i in range(num_layers):
        scope, p = f"synthesis/{_scope(i)}", f"synthesis.layer{i}"
        if i == 0:
            sd[f"{p}.const"] = _t(v[f"{scope}/const"])
        else:
            sd[f"{p}.weight"] = _t(v[f"{scope}/weight"]).permute(3, 2, 0, 1).contiguous()
        sd[f"{p}.bias"] = _t(v[f"{scope}/bias"])
        sd[f"{p}.style.weight"] = _t(v[f"{scope}/StyleMod/weight"].T)
        sd[f"{p}.style.bias"] = _t(v[f"{scope}/StyleMod/bias"])
        if f"synthesis/noise{i}" in v:
            sd[f"{p}.apply_noise.weight"] = _t(v[f"{scope}/Noise/weight"])
            sd[f"{p}.apply_noise.noise"] = _t(v[f"synthesis/noise{i}"])
        if i >= 2 and i % 2 == 0:
            c = v[f"{scope}/bias"].shape[0]
            sd[f"{p}.blur.kernel"] = blur.repeat(c, 1, 1, 1)
    blocks = num_layers // 2
    for b in range(blocks):
        lod = blocks - 1 - b
        sd[f"synthesis.output{b}.weight"] = _t(v[f"synthesis/ToRGB_lod{lod}/weight"]).permute(
            3, 2, 0, 1).contiguous()
        sd[f"synthesis.output{b}.bias"] = _t(v[f"synthesis/ToRGB_lod{lod}/bias"])
    return sd


def write_genforce(path: Path, v: dict[str, np.ndarray], key: str = "generator_smooth") -> Path:
    sd = genforce_state_dict(v)
    ckpt = {"generator": sd, "discriminator": {"layer0.weight": torch.ones(2, 2)}}
    if key == "generator_smooth":
        ckpt["generator_smooth"] = sd
    torch.save(ckpt, path)
    return path
