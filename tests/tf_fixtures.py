"""NVIDIA TensorFlow StyleGAN2 pickles written from our random generators, without
TensorFlow or NVIDIA's ``dnnlib``.

A real file (NVlabs/stylegan2, NVlabs/stylegan2-ada) is a pickle of the tuple
``(G, D, Gs)`` of ``dnnlib.tflib.network.Network`` objects; each is pickled by the
default protocol-2+ path (``NEWOBJ`` on the class, then ``BUILD`` with the dict that
``Network.__getstate__`` returns: ``version``, ``name``, ``static_kwargs``,
``components``, ``build_module_src``, ``build_func_name``, ``variables`` as a list of
``(name, numpy array)``; 0-d variables are numpy scalars). Here a stand-in class is
pickled under that global name while a fake module is registered. The variables come
from one of our :class:`Generator` s by an inverse of the TF -> torch mapping (TF
layouts: dense ``[in, out]``, conv ``[k, k, in, out]``, the upsampling conv flipped in
space, style biases without their +1). The stored build source runs a shell command if
anyone executes it.
"""

from __future__ import annotations

import contextlib
import pickle
from pathlib import Path
from typing import Any

import numpy as np
from stylegan_fixtures import importable_as

from guiapp.core.models.stylegan2.network import Generator


def harmful_source(marker: Path) -> str:
    """Build source that creates ``marker`` when executed (as NVIDIA's loader would)."""
    return (
        '"""Stand-in for training/networks_stylegan2.py."""\n'
        "import os\n"
        f"os.system('touch {marker}')\n"
        f"open({str(marker)!r}, 'w').close()\n"
        "def G_main(*args, **kwargs):\n    pass\n"
    )


class Network:
    """Pickles as ``dnnlib.tflib.network.Network`` (inside :func:`tf_module_names`)."""

    def __init__(self, state: dict) -> None:
        self.state = state

    def __getstate__(self) -> dict:
        return self.state


def tf_module_names() -> contextlib.AbstractContextManager[None]:
    """Make ``dnnlib.tflib.network.Network`` name :class:`Network` while pickling."""
    return importable_as({"dnnlib.tflib.network.Network": Network})


def _np(t: Any) -> np.ndarray | np.float32:
    value = t.detach().cpu().numpy().astype(np.float32)
    return np.float32(value) if value.ndim == 0 else np.ascontiguousarray(value)


def _dense(w: Any) -> np.ndarray:
    return np.ascontiguousarray(_np(w).T)


def _conv(w: Any, up: bool = False) -> np.ndarray:
    tf = _np(w).transpose(2, 3, 1, 0)  # [out, in, k, k] -> [k, k, in, out]
    return np.ascontiguousarray(tf[::-1, ::-1] if up else tf)


def mapping_variables(net: Generator) -> list[tuple[str, Any]]:
    """``G_mapping`` own variables (StyleGAN2-ADA names for the class embedding)."""
    sd = net.state_dict()
    out = []
    for i in range(net.cfg.mapping_layers):
        out += [(f"Dense{i}/weight", _dense(sd[f"mapping.fc{i}.weight"]))]
        out += [(f"Dense{i}/bias", _np(sd[f"mapping.fc{i}.bias"]))]
    if net.c_dim:
        out += [("LabelEmbed/weight", _dense(sd["mapping.embed.weight"]))]
        out += [("LabelEmbed/bias", _np(sd["mapping.embed.bias"]))]
    return out


def synthesis_variables(net: Generator) -> list[tuple[str, Any]]:
    """``G_synthesis`` own variables, in TF's creation order."""
    sd = net.state_dict()
    cfg = net.cfg
    resolutions = net.synthesis.block_resolutions
    out: list[tuple[str, Any]] = []
    layers = [("b4.conv1", "4x4/Conv", 4, False)]
    for r in resolutions[1:]:
        layers += [(f"b{r}.conv0", f"{r}x{r}/Conv0_up", r, True)]
        layers += [(f"b{r}.conv1", f"{r}x{r}/Conv1", r, False)]
    if cfg.use_noise:
        for index, (src, *_) in enumerate(layers):
            out += [(f"noise{index}", _np(sd[f"synthesis.{src}.noise_const"])[None, None])]
    out += [("4x4/Const/const", _np(sd["synthesis.b4.const"])[None])]

    def modulated(src: str, scope: str, up: bool, noise: bool) -> None:
        p = f"synthesis.{src}."
        out.append((f"{scope}/weight", _conv(sd[p + "weight"], up)))
        out.append((f"{scope}/mod_weight", _dense(sd[p + "affine.weight"])))
        out.append((f"{scope}/mod_bias", _np(sd[p + "affine.bias"]) - np.float32(1)))
        if noise:
            out.append((f"{scope}/noise_strength", _np(sd[p + "noise_strength"])))
        out.append((f"{scope}/bias", _np(sd[p + "bias"])))

    for src, scope, r, up in layers:
        modulated(src, scope, up, cfg.use_noise)
        block = net.synthesis.block(r)
        if r > 4 and up is False and cfg.architecture == "resnet":
            out.append((f"{r}x{r}/Skip/weight", _conv(sd[f"synthesis.b{r}.skip.weight"], True)))
        if not up and block.has_torgb:
            modulated(f"b{r}.torgb", f"{r}x{r}/ToRGB", False, False)
    return out


def generator_kwargs(net: Generator) -> dict[str, Any]:
    """``Gs.static_kwargs`` as StyleGAN2-ADA's training loop would pass them."""
    cfg = net.cfg
    kwargs = {
        "num_channels": cfg.img_channels,
        "resolution": cfg.img_resolution,
        "label_size": cfg.c_dim,
        "latent_size": cfg.z_dim,
        "dlatent_size": cfg.w_dim,
        "fmap_base": cfg.channel_base // 2,
        "fmap_max": cfg.channel_max,
        "mapping_layers": cfg.mapping_layers,
        "mapping_lrmul": cfg.mapping_lr,
        "architecture": cfg.architecture,
        "num_fp16_res": 4,
        "conv_clamp": cfg.conv_clamp,
    }
    if not cfg.use_noise:
        kwargs["use_noise"] = False
    return kwargs


def network_state(
    name: str, func: str, kwargs: dict, variables: list, source: str, components: dict | None = None
) -> dict:
    return {
        "version": 4,
        "name": name,
        "static_kwargs": dict(kwargs),
        "components": dict(components or {}),
        "build_module_src": source,
        "build_func_name": func,
        "variables": list(variables),
    }


def tf_generator(net: Generator, source: str, name: str = "G") -> Network:
    """A ``G_main`` network with ``mapping`` and ``synthesis`` components."""
    kwargs = generator_kwargs(net)
    synthesis = Network(
        network_state(
            "G_synthesis", "G_synthesis_stylegan2", kwargs, synthesis_variables(net), source
        )
    )
    map_kwargs = dict(kwargs, dlatent_broadcast=net.num_ws)
    mapping = Network(
        network_state("G_mapping", "G_mapping", map_kwargs, mapping_variables(net), source)
    )
    top = [("lod", np.float32(0)), ("dlatent_avg", _np(net.mapping.w_avg))]
    comps = {"synthesis": synthesis, "mapping": mapping}
    return Network(network_state(name, "G_main", kwargs, top, source, comps))


def tf_snapshot(net: Generator, marker: Path) -> tuple[Network, Network, Network]:
    """``(G, D, Gs)``; ``D`` is a small stand-in, ``G`` and ``Gs`` hold ``net``."""
    source = harmful_source(marker)
    d_vars = [("4x4/Conv/weight", np.ones((3, 3, 4, 4), np.float32)), ("Output/bias", np.zeros(1))]
    disc = Network(network_state("D", "D_stylegan2", {"resolution": 16}, d_vars, source))
    return tf_generator(net, source, "G"), disc, tf_generator(net, source, "Gs")


def write_tf_data(path: Path, data: Any, protocol: int = 4) -> Path:
    with tf_module_names():
        path.write_bytes(pickle.dumps(data, protocol=protocol))
    return path


def write_tf_pickle(path: Path, net: Generator, marker: Path, protocol: int = 4) -> Path:
    """A TensorFlow StyleGAN2 pickle of ``net``; executing its source creates ``marker``."""
    return write_tf_data(path, tf_snapshot(net, marker), protocol)


def gs_state(data: tuple) -> dict:
    """The ``Gs`` state of a :func:`tf_snapshot` (to edit before writing)."""
    return data[2].state


def component_state(data: tuple, name: str) -> dict:
    return gs_state(data)["components"][name].state
