"""Hostile and corrupt PGGAN (and genforce StyleGAN2) files for the model campaign
(:mod:`tests.fuzz.model_cases`).

Quick mode (the CI test) keeps every third setting, array and payload, like the rest of
the campaign.

Valid files of the three formats (TF pickle fused and not, genforce zip, GAN Dissection
zip and legacy; the campaign also cuts and flips them), then settings, lod values, hostile
arrays and code payloads in the TF pickle, and mis-shaped, non-float, non-finite, extra or
too many layers in the two state-dict formats.
"""

from __future__ import annotations

import pickle
from typing import Any

import genforce_stylegan2_fixtures as gsg
import numpy as np
import pggan_fixtures as pg
import stylegan_fixtures as sg2
import torch

from tests.fuzz.model_cases_files import torch_bytes
from tests.fuzz.payloads import code_payloads, hostile_arrays

VALUES = [0, -1, 3, 10**12, 2**40, "abc", None, float("nan"), float("inf"), [1], True, 2.5]
KWARGS = ("resolution", "num_channels", "latent_size", "label_size", "fused_scale",
          "normalize_latents", "use_wscale", "use_pixelnorm", "pixelnorm_epsilon",
          "use_leakyrelu")


def _tf_bytes(data: Any) -> bytes:
    with pg.importable_as({"tfutil.Network": pg.Network}):
        return pickle.dumps(data, protocol=4)


def _gs(data: tuple) -> dict:
    return data[2].state


def _set_variable(data: tuple, name: str, value: Any) -> None:
    state = _gs(data)
    variables = dict(state["variables"])
    variables[name] = value
    state["variables"] = list(variables.items())


def tf_cases(w: Any, v: dict[str, np.ndarray]) -> None:
    marker = w.sentinel

    def fresh() -> tuple:
        return pg.tf_snapshot({k: np.copy(a) for k, a in v.items()}, marker)

    w.add("valid", "pggan-tf.pkl", _tf_bytes(fresh()), expect_refusal=False)
    w.add("valid", "pggan-tf-unfused.pkl",
          _tf_bytes(pg.tf_snapshot(pg.unfused(v), marker, fused=False)), expect_refusal=False)
    for key in w.pick(KWARGS):
        for i, value in w.pick(list(enumerate(VALUES))):
            data = fresh()
            _gs(data)["static_kwargs"][key] = value
            w.add("settings", f"pggan-{key}={i}.pkl", _tf_bytes(data), expect_refusal=None)
    lods = [np.float32(x) for x in (1.0, -1.0, 0.5, float("nan"), float("inf"))]
    for i, lod in enumerate([*lods, "0", np.zeros(3), np.zeros((2, 2), np.int64), 0.0]):
        data = fresh()
        _set_variable(data, "lod", lod)
        w.add("settings", f"pggan-lod-{i}.pkl", _tf_bytes(data))
    for name, arr in w.pick(list(hostile_arrays().items())):
        data = fresh()
        _set_variable(data, "4x4/Conv/weight", arr)
        w.add("numpy", f"pggan-var-{name}.pkl", _tf_bytes(data))
        data = fresh()
        _set_variable(data, "lod", arr)
        w.add("numpy", f"pggan-lod-{name}.pkl", _tf_bytes(data))
    shapes = {"dense-odd": ("4x4/Dense/weight", np.zeros((16, 17), np.float32)),
              "dense-1d": ("4x4/Dense/weight", np.zeros(16, np.float32)),
              "conv1-small": ("8x8/Conv1/weight", np.zeros((3, 3, 2, 2), np.float32)),
              "torgb-5ch": ("ToRGB_lod0/weight", np.zeros((1, 1, 8, 5), np.float32)),
              "int-weight": ("4x4/Conv/weight", np.zeros((3, 3, 16, 16), np.int32)),
              "nan-bias": ("4x4/Conv/bias", np.full(16, np.nan, np.float32)),
              "extra": ("64x64/Conv1/weight", np.zeros((1, 1, 1, 1), np.float32))}
    for label, (name, value) in shapes.items():
        data = fresh()
        _set_variable(data, name, value)
        w.add("settings", f"pggan-{label}.pkl", _tf_bytes(data))
    for label, edit in {"version-3": ("version", 3), "version-str": ("version", "2"),
                        "func-other": ("build_func_name", "G_wgan"),
                        "func-none": ("build_func_name", None),
                        "variables-dict": ("variables", {"a": 1})}.items():
        data = fresh()
        _gs(data)[edit[0]] = edit[1]
        w.add("settings", f"pggan-state-{label}.pkl", _tf_bytes(data))
    for name, payload in w.pick(list(code_payloads(marker).items())):
        data = fresh()
        _gs(data)["static_kwargs"]["resolution"] = payload
        w.add("code", f"pggan-kwarg-{name}.pkl", _tf_bytes(data))
        data = fresh()
        _set_variable(data, "lod", payload)
        w.add("code", f"pggan-var-{name}.pkl", _tf_bytes(data))
    w.add("settings", "pggan-one-network.pkl", _tf_bytes(fresh()[2]))


def state_dict_cases(w: Any, v: dict[str, np.ndarray]) -> None:
    gf = pg.genforce_state_dict(pg.unfused(v))
    gd = pg.gandissect_state_dict(v)
    w.add("valid", "pggan-genforce.pth", torch_bytes({"generator_smooth": gf}),
          expect_refusal=False)
    w.add("valid", "pggan-gandissect.pth", torch_bytes(gd), expect_refusal=False)
    w.add("valid", "pggan-gandissect-legacy.pth", torch_bytes(gd, False), expect_refusal=False)
    bad = {"shape": torch.zeros(3, 5), "int": torch.zeros(12, 16, 3, 3, dtype=torch.int32),
           "nan": torch.full((12, 16, 3, 3), float("nan")), "string": "x",
           "zero-stride": torch.zeros(1).expand(2**14, 2**14)}
    for label, value in bad.items():
        w.add("storage", f"pggan-genforce-{label}.pth",
              torch_bytes({"generator_smooth": {**gf, "layer2.weight": value}}))
        w.add("storage", f"pggan-gandissect-{label}.pth",
              torch_bytes({**gd, "layer3.conv.weight": value}))
    for i, lod in enumerate([torch.tensor(1.0), torch.tensor(float("nan")), torch.zeros(4), "0"]):
        w.add("settings", f"pggan-genforce-lod-{i}.pth",
              torch_bytes({"generator_smooth": {**gf, "lod": lod}}))
    many = {f"layer{i}.weight": torch.zeros(1, 1, 3, 3) for i in range(200)}
    w.add("settings", "pggan-genforce-200-layers.pth",
          torch_bytes({"generator_smooth": {**many, "output0.weight": torch.zeros(3, 1, 1, 1)}}))
    odd = {k: t for k, t in gd.items() if not k.startswith("layer6.")}
    w.add("settings", "pggan-gandissect-odd-layers.pth", torch_bytes(odd))
    no_out = {k: t for k, t in gd.items() if not k.startswith("output")}
    w.add("settings", "pggan-gandissect-no-output.pth", torch_bytes(no_out))
    w.add("settings", "pggan-gandissect-extra.pth", torch_bytes({**gd, "junk": torch.zeros(1)}))
    for name, payload in w.pick(list(code_payloads(w.sentinel).items())):
        w.add("code", f"pggan-genforce-{name}.pth",
              torch_bytes({"generator_smooth": {**gf, "lod": payload}}))


def genforce_stylegan2_cases(w: Any) -> None:
    net = sg2.random_generator(sg2.tiny_config(conv_clamp=None), seed=2)
    sd = gsg.genforce_state_dict(net)
    w.add("valid", "genforce-stylegan2.pth", torch_bytes({"generator_smooth": sd}),
          expect_refusal=False)
    key = "synthesis.layer1.weight"
    bad = {"shape": torch.zeros(3, 5), "int": sd[key].to(torch.int32), "string": "x",
           "nan": sd[key] * float("nan"), "zero-stride": torch.zeros(1).expand(2**14, 2**14),
           "0d": torch.zeros(())}
    for label, value in bad.items():
        w.add("storage", f"genforce-stylegan2-{label}.pth",
              torch_bytes({"generator_smooth": {**sd, key: value}}))
    drops = {"no-const": "synthesis.early_layer.const", "no-output": "synthesis.output1.",
             "no-style": "synthesis.layer2.style.", "no-bias": "mapping.dense1.bias"}
    for label, drop in drops.items():
        w.add("settings", f"genforce-stylegan2-{label}.pth", torch_bytes(
            {"generator_smooth": {k: t for k, t in sd.items() if not k.startswith(drop)}}),
            expect_refusal=None if label == "no-const" else True)
    many = {**sd, **{f"mapping.dense{i}.weight": torch.zeros(32, 32) for i in range(300)}}
    w.add("settings", "genforce-stylegan2-300-mapping.pth",
          torch_bytes({"generator_smooth": many}))
    for name, payload in w.pick(list(code_payloads(w.sentinel).items())):
        w.add("code", f"genforce-stylegan2-{name}.pth",
              torch_bytes({"generator_smooth": {**sd, "truncation.w_avg": payload}}))


def pggan_cases(w: Any) -> None:
    """Every PGGAN and genforce StyleGAN2 case, written by ``w`` (a
    :class:`tests.fuzz.model_cases.Writer`)."""
    v = pg.random_variables(seed=3)
    tf_cases(w, v)
    state_dict_cases(w, v)
    genforce_stylegan2_cases(w)
