"""Hostile and corrupt StyleGAN (v1) files for the model campaign
(:mod:`tests.fuzz.model_cases`).

Valid files of both formats (TF pickle with auto and fused upscaling, genforce zip and
legacy; the campaign also cuts and flips them), then build settings, lod values, hostile
arrays and code payloads in the TF pickle, broken network states and components, and
mis-shaped, non-float, non-finite, extra or too many entries in genforce's state dict.
Quick mode (the CI test) keeps every third setting, array and payload.
"""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import stylegan1_fixtures as sg1
import torch

from tests.fuzz.model_cases_files import torch_bytes
from tests.fuzz.payloads import code_payloads, hostile_arrays

VALUES = [0, -1, 3, 10**12, 2**40, "abc", None, float("nan"), float("inf"), [1], True, 2.5,
          "auto", [1, 2], [], [float("nan")], list(range(100))]
KWARGS = ("resolution", "num_channels", "label_size", "fused_scale", "blur_filter",
          "use_noise", "use_wscale", "use_pixel_norm", "use_instance_norm", "nonlinearity",
          "mapping_lrmul", "mapping_nonlinearity", "normalize_latents", "use_styles",
          "const_input_layer", "truncation_psi", "truncation_cutoff")
CHANNELS = {4: 8, 8: 8, 16: 4}


def _tf_bytes(data: Any) -> bytes:
    with sg1.importable_as({"dnnlib.tflib.network.Network": sg1.Network}):
        return pickle.dumps(data, protocol=4)


def _set_variable(data: tuple, component: str | None, name: str, value: Any) -> None:
    state = sg1.gs_state(data) if component is None else sg1.component_state(data, component)
    variables = dict(state["variables"])
    variables[name] = value
    state["variables"] = list(variables.items())


def tf_cases(w: Any, v: dict[str, np.ndarray]) -> None:
    marker = w.sentinel

    def fresh(**kwargs: Any) -> tuple:
        return sg1.tf_snapshot({k: np.copy(a) for k, a in v.items()}, marker, **kwargs)

    w.add("valid", "stylegan1-tf.pkl", _tf_bytes(fresh()), expect_refusal=False)
    w.add("valid", "stylegan1-tf-fused.pkl", _tf_bytes(fresh(fused_scale=True)),
          expect_refusal=False)
    for key in w.pick(KWARGS):
        for i, value in w.pick(list(enumerate(VALUES))):
            data = fresh()
            for state in (sg1.gs_state(data), sg1.component_state(data, "synthesis"),
                          sg1.component_state(data, "mapping")):
                state["static_kwargs"][key] = value
            w.add("settings", f"stylegan1-{key}={i}.pkl", _tf_bytes(data), expect_refusal=None)
    lods = [np.float32(x) for x in (1.0, -1.0, 0.5, float("nan"), float("inf"))]
    for i, lod in enumerate([*lods, "0", np.zeros(3), np.zeros((2, 2), np.int64)]):
        for where in (None, "synthesis"):
            data = fresh()
            _set_variable(data, where, "lod", lod)
            w.add("settings", f"stylegan1-lod-{where}-{i}.pkl", _tf_bytes(data))
    for name, arr in w.pick(list(hostile_arrays().items())):
        for where, var in (("synthesis", "4x4/Conv/weight"), ("mapping", "Dense0/weight"),
                           (None, "dlatent_avg"), ("synthesis", "noise3"), (None, "lod")):
            data = fresh()
            _set_variable(data, where, var, arr)
            w.add("numpy", f"stylegan1-{where}-{var.replace('/', '-')}-{name}.pkl",
                  _tf_bytes(data))
    shapes = {
        "dense-1d": ("mapping", "Dense0/weight", np.zeros(16, np.float32)),
        "dense-wide": ("mapping", "Dense7/weight", np.zeros((24, 17), np.float32)),
        "const-3d": ("synthesis", "4x4/Const/const", np.zeros((8, 4, 4), np.float32)),
        "style-odd": ("synthesis", "8x8/Conv1/StyleMod/weight", np.zeros((16, 15), np.float32)),
        "noise-big": ("synthesis", "noise2", np.zeros((1, 1, 64, 64), np.float32)),
        "torgb-5ch": ("synthesis", "ToRGB_lod0/weight", np.zeros((1, 1, 4, 5), np.float32)),
        "int-weight": ("synthesis", "4x4/Conv/weight", np.zeros((3, 3, 8, 8), np.int32)),
        "nan-bias": ("synthesis", "4x4/Conv/bias", np.full(8, np.nan, np.float32)),
        "extra": ("synthesis", "64x64/Conv1/weight", np.zeros((1, 1, 1, 1), np.float32)),
        "label-concat": ("mapping", "LabelConcat/weight", np.zeros((3, 16), np.float32)),
        "many-mapping": ("mapping", "Dense9999/weight", np.zeros((16, 16), np.float32)),
    }
    for label, (where, name, value) in shapes.items():
        data = fresh()
        _set_variable(data, where, name, value)
        w.add("settings", f"stylegan1-{label}.pkl", _tf_bytes(data))
    many = fresh()
    for i in range(8, 200):
        _set_variable(many, "mapping", f"Dense{i}/weight", np.zeros((16, 16), np.float32))
    w.add("settings", "stylegan1-200-mapping.pkl", _tf_bytes(many))
    edits = {"version-1": (None, "version", 1), "version-str": (None, "version", "3"),
             "func-other": (None, "build_func_name", "G_other"),
             "func-none": (None, "build_func_name", None),
             "synth-func": ("synthesis", "build_func_name", "G_synthesis_stylegan2"),
             "map-func": ("mapping", "build_func_name", 7),
             "variables-dict": ("synthesis", "variables", {"a": 1}),
             "components-list": (None, "components", [1, 2]),
             "kwargs-list": (None, "static_kwargs", [("resolution", 16)])}
    for label, (where, key, value) in edits.items():
        data = fresh()
        state = sg1.gs_state(data) if where is None else sg1.component_state(data, where)
        state[key] = value
        w.add("settings", f"stylegan1-state-{label}.pkl", _tf_bytes(data))
    loop = fresh()
    sg1.gs_state(loop)["components"]["synthesis"] = loop[2]
    w.add("settings", "stylegan1-component-loop.pkl", _tf_bytes(loop))
    for name, payload in w.pick(list(code_payloads(marker).items())):
        data = fresh()
        sg1.component_state(data, "synthesis")["static_kwargs"]["blur_filter"] = payload
        w.add("code", f"stylegan1-kwarg-{name}.pkl", _tf_bytes(data))
        data = fresh()
        _set_variable(data, "synthesis", "noise0", payload)
        w.add("code", f"stylegan1-var-{name}.pkl", _tf_bytes(data))
    w.add("settings", "stylegan1-one-network.pkl", _tf_bytes(fresh()[2]))


def genforce_cases(w: Any, v: dict[str, np.ndarray]) -> None:
    sd = sg1.genforce_state_dict(v)
    w.add("valid", "stylegan1-genforce.pth", torch_bytes({"generator_smooth": sd}),
          expect_refusal=False)
    w.add("valid", "stylegan1-genforce-legacy.pth", torch_bytes({"generator": sd}, False),
          expect_refusal=False)
    key = "synthesis.layer3.weight"
    bad = {"shape": torch.zeros(3, 5), "int": sd[key].to(torch.int32), "string": "x",
           "nan": sd[key] * float("nan"), "zero-stride": torch.zeros(1).expand(2**14, 2**14),
           "0d": torch.zeros(()), "5d": torch.zeros(1, 1, 1, 1, 1)}
    for label, value in bad.items():
        w.add("storage", f"stylegan1-genforce-{label}.pth",
              torch_bytes({"generator_smooth": {**sd, key: value}}))
    for i, lod in enumerate([torch.tensor(1.0), torch.tensor(float("nan")), torch.zeros(4), "0"]):
        w.add("settings", f"stylegan1-genforce-lod-{i}.pth",
              torch_bytes({"generator_smooth": {**sd, "synthesis.lod": lod}}))
    drops = {"no-avg": "truncation.", "no-output": "synthesis.output", "no-style":
             "synthesis.layer2.style.", "no-noise": "synthesis.layer4.apply_noise.noise"}
    for label, drop in drops.items():
        w.add("settings", f"stylegan1-genforce-{label}.pth", torch_bytes(
            {"generator_smooth": {k: t for k, t in sd.items() if not k.startswith(drop)}}))
    extras = {"label": {"mapping.label_weight": torch.zeros(3, 16)},
              "junk": {"junk": torch.zeros(1)},
              "huge-index": {"synthesis.layer99999999999999.weight": torch.zeros(1)},
              "many": {f"mapping.dense{i}.weight": torch.zeros(16, 16) for i in range(8, 300)}}
    for label, extra in extras.items():
        w.add("settings", f"stylegan1-genforce-{label}.pth",
              torch_bytes({"generator_smooth": {**sd, **extra}}))
    for name, payload in w.pick(list(code_payloads(w.sentinel).items())):
        w.add("code", f"stylegan1-genforce-{name}.pth",
              torch_bytes({"generator_smooth": {**sd, "truncation.w_avg": payload}}))


def stylegan1_cases(w: Any) -> None:
    """Every StyleGAN (v1) case, written by ``w`` (a :class:`tests.fuzz.model_cases.Writer`)."""
    v = sg1.random_variables(channels=CHANNELS, seed=3)
    tf_cases(w, v)
    genforce_cases(w, v)
