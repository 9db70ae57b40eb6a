"""NVIDIA TensorFlow StyleGAN2 pickles: converted from variables only, rendering as the
source network, never running the stored build source; other TF networks refused."""

from __future__ import annotations

import builtins
import os

import numpy as np
import pytest
import torch
from stylegan_fixtures import RunsShell, random_generator, tiny_config
from tf_fixtures import (
    Network,
    component_state,
    gs_state,
    network_state,
    tf_snapshot,
    write_tf_data,
    write_tf_pickle,
)

from guiapp.cli import main
from guiapp.core.models.base import ModelLoadError
from guiapp.core.models.registry import load_model, sniff_format

CASES = {
    "skip": tiny_config(),
    "resnet": tiny_config(architecture="resnet", conv_clamp=None),
    "conditional": tiny_config(c_dim=3),
    "no-noise": tiny_config(use_noise=False, mapping_layers=3, layer_features=24),
}


@pytest.fixture(scope="module")
def net():
    return random_generator(seed=11)


@pytest.fixture
def code_runs(monkeypatch):
    """Record calls of os.system, and of exec / compile on text that runs a shell."""
    calls = []
    real_exec, real_compile = builtins.exec, builtins.compile

    def system(command):
        calls.append(("os.system", command))
        return 1

    def watch(real, label):
        def wrapper(source, *args, **kwargs):
            if "touch" in str(source):
                calls.append((label, source))
            return real(source, *args, **kwargs)

        return wrapper

    monkeypatch.setattr(os, "system", system)
    monkeypatch.setattr(builtins, "exec", watch(real_exec, "exec"))
    monkeypatch.setattr(builtins, "compile", watch(real_compile, "compile"))
    return calls


def _load_refused(path, match):
    with pytest.raises(ModelLoadError, match=match) as info:
        load_model(str(path))
    assert "\n" not in str(info.value)
    return str(info.value)


@pytest.mark.parametrize(
    ("case", "protocol"), [("skip", 4), ("skip", 2), ("resnet", 4), ("conditional", 4),
                           ("no-noise", 3)]
)  # fmt: skip
def test_tf_pickle_renders_like_its_source(tmp_path, case, protocol, code_runs):
    cfg = CASES[case]
    source = random_generator(cfg, seed=4)
    marker = tmp_path / "pwned"
    path = write_tf_pickle(tmp_path / "net.pkl", source, marker, protocol=protocol)
    assert sniff_format(path) == "pickle"
    model = load_model(str(path))
    assert model.format == "stylegan2-tf-pickle"
    assert (model.z_dim, model.w_dim, model.num_ws, model.resolution) == (32, 32, 6, 16)
    assert model.c_dim == cfg.c_dim
    assert torch.equal(model.w_avg, source.mapping.w_avg)
    z = torch.randn(3, 32, generator=torch.Generator().manual_seed(0))
    for cls in range(max(cfg.c_dim, 1)):
        c = None
        if cfg.c_dim:
            model.class_index = cls
            c = torch.nn.functional.one_hot(torch.full((3,), cls), cfg.c_dim).float()
        with torch.no_grad():
            expected = source.synthesis(source.mapping(z, c), noise_mode="const")
            images = model.synthesize(model.map(z))
        assert (images - expected).abs().max().item() <= 1e-4
    assert not marker.exists()
    assert code_runs == []


def test_cli_info_reads_a_tf_pickle(tmp_path, net, capsys):
    path = write_tf_pickle(tmp_path / "ffhq.pkl", net, tmp_path / "pwned")
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "stylegan2-tf-pickle" in out and "16x16" in out
    assert not (tmp_path / "pwned").exists()


def test_tf_pickle_running_os_system_is_refused(tmp_path, net):
    marker = tmp_path / "pwned"
    data = tf_snapshot(net, tmp_path / "unused")
    gs_state(data)["static_kwargs"]["truncation_psi"] = RunsShell(marker)
    path = write_tf_data(tmp_path / "evil.pkl", data)
    _load_refused(path, r"refused to load: the file asks to run os\.system")
    assert not marker.exists()


def test_other_tflib_globals_are_refused(tmp_path):
    path = tmp_path / "tf.pkl"
    path.write_bytes(b"\x80\x02cdnnlib.tflib.tfutil\nrun\nq\x00.")
    _load_refused(path, r"asks for dnnlib\.tflib\.tfutil\.run")


def _stylegan1(data):
    gs = gs_state(data)
    gs["build_func_name"] = "G_style"
    gs["version"] = 3
    synth = component_state(data, "synthesis")
    synth["variables"] = [("4x4/Const/StyleMod/weight", np.ones((32, 64), np.float32))]


def _set(component, key, value):
    def edit(data):
        state = gs_state(data) if component is None else component_state(data, component)
        state[key] = value

    return edit


def _edit_variable(component, name, fn):
    def edit(data):
        state = component_state(data, component)
        variables = dict(state["variables"])
        new = fn(variables.get(name))
        if new is None:
            del variables[name]
        else:
            variables[name] = new
        state["variables"] = list(variables.items())

    return edit


def _kwarg(key, value):
    def edit(data):
        gs_state(data)["static_kwargs"][key] = value

    return edit


REFUSED = {
    # A G_style Gs is read as StyleGAN (v1) (tests/test_stylegan1.py); this one's
    # components are StyleGAN2's, so that reader refuses it, naming the part that is wrong.
    "stylegan1": (_stylegan1, r"StyleGAN \(v1\) synthesis network is built by "
                  r"'G_synthesis_stylegan2', not 'G_synthesis'"),
    "old version": (_set(None, "version", 3), r"version 3 is older than StyleGAN2"),
    "unknown network": (_set(None, "build_func_name", "G_other"), r"not a StyleGAN2 generator"),
    "configs B-D": (
        _set("synthesis", "build_func_name", "G_synthesis_stylegan_revised"),
        r"'orig' architecture with progressive growing",
    ),
    "orig ToRGB": (
        _edit_variable("synthesis", "ToRGB_lod0/weight", lambda _: np.ones((1, 1, 16, 3))),
        r"'orig' architecture",
    ),
    "orig kwarg": (_kwarg("architecture", "orig"), r"'orig' synthesis architecture"),
    "label concat": (
        _edit_variable("mapping", "LabelConcat/weight", lambda _: np.ones((4, 32), np.float32)),
        r"LabelConcat\) are not supported",
    ),
    "unknown kwarg": (_kwarg("fmap_const", 64), r"setting fmap_const=64"),
    "unknown kwarg 2": (_kwarg("use_spectral_norm", True), r"unknown .* 'use_spectral_norm'"),
    "relu": (_kwarg("nonlinearity", "relu"), r"nonlinearity='relu'"),
    "missing": (
        _edit_variable("synthesis", "8x8/Conv1/mod_bias", lambda _: None),
        r"has no variable 'synthesis/8x8/Conv1/mod_bias'",
    ),
    "mis-shaped": (
        _edit_variable("synthesis", "8x8/Conv0_up/weight", lambda w: w[:, :, :16]),
        r"'synthesis/8x8/Conv0_up/weight' has shape \(3, 3, 16, 32\), which does not fit",
    ),
    "unexpected": (
        _edit_variable("synthesis", "8x8/Extra/weight", lambda _: np.ones(3, np.float32)),
        r"unexpected TensorFlow variables .*synthesis/8x8/Extra/weight",
    ),
    "huge latent": (
        _kwarg("latent_size", 10**9),  # refused by the settings bounds: nothing is allocated
        r"setting z_dim=1000000000 is outside the supported 1\.\.8192",
    ),
    "latent that does not fit": (
        _kwarg("latent_size", 64),  # checked on a meta network: nothing is allocated
        r"'mapping/Dense0/weight' has shape \(32, 32\), which does not fit",
    ),
    "array setting": (_kwarg("normalize_latents", np.ones(2)), r"malformed TensorFlow generator"),
    "not numbers": (
        _edit_variable("mapping", "Dense0/bias", lambda b: b.astype(np.int32)),
        r"holds int32, not floating point",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_unsupported_tf_networks_are_refused(tmp_path, net, case):
    edit, match = REFUSED[case]
    data = tf_snapshot(net, tmp_path / "pwned")
    edit(data)
    message = _load_refused(write_tf_data(tmp_path / "g.pkl", data), match)
    assert message.startswith("g.pkl: ")
    assert not (tmp_path / "pwned").exists()


def test_tf_pickle_without_gs_is_refused(tmp_path, net):
    source = "raise SystemExit\n"
    lone = Network(network_state("Gs", "G_main", {}, [], source))
    for name, data in (("one.pkl", lone), ("pair.pkl", (lone, lone))):
        path = write_tf_data(tmp_path / name, data)
        _load_refused(path, r"TensorFlow StyleGAN pickles hold a \(G, D, Gs\) tuple")
