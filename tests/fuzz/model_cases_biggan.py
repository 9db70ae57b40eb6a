"""Hostile and corrupt BigGAN-deep files for the model campaign (:mod:`tests.fuzz.model_cases`).

Valid files (legacy and zip ``pytorch_model.bin`` without a config, a folder with its
``config.json``; the campaign also cuts and flips the two ``.bin``), then hostile
``config.json`` settings beside a valid ``.bin`` (cache naming
``NAME-pytorch_model.bin`` + ``NAME-config.json``), damaged tensors in the state dict
(mis-shaped, integer, non-finite, strided, non-tensor, spectral vectors that give no norm,
negative variances, missing and extra keys, too many layers) and code payloads among its
entries. Quick mode keeps every third setting and payload, like the rest of the campaign.
"""

from __future__ import annotations

import json
from typing import Any

import biggan_fixtures as bg
import torch

from tests.fuzz.model_cases_files import torch_bytes
from tests.fuzz.payloads import code_payloads

SETTINGS = ("output_dim", "z_dim", "class_embed_dim", "channel_width", "num_classes",
            "layers", "attention_layer_position", "eps", "n_stats")
VALUES = [0, -1, 3, 10**12, 2**40, "abc", None, float("nan"), [1], True, 2.5,
          [[True, 16, 16]] * 40, [[False, 10**9, 1]], {"a": 1}]


def _config_case(w: Any, name: str, data: bytes, config: Any,
                 expect_refusal: bool | None = True) -> None:
    weights = w.path(f"{name}-pytorch_model.bin")
    weights.write_bytes(data)
    text = config if isinstance(config, str) else json.dumps(config)
    w.path(f"{name}-config.json").write_text(text)
    w.add("settings", weights.name, expect_refusal=expect_refusal, path=weights)


def biggan_cases(w: Any) -> None:
    """Every BigGAN case, written by ``w`` (a :class:`tests.fuzz.model_cases.Writer`)."""
    sd = bg.make_naive(seed=4).state_dict()
    legacy, zipped = torch_bytes(sd, False), torch_bytes(sd)
    w.add("valid", "biggan-legacy.bin", legacy, expect_refusal=False)
    w.add("valid", "biggan-zip.bin", zipped, expect_refusal=False)
    folder = w.path("biggan-folder")
    folder.mkdir(exist_ok=True)
    (folder / "pytorch_model.bin").write_bytes(legacy)
    (folder / "config.json").write_text(json.dumps(bg.SMALL_CONFIG))
    w.add("settings", folder.name, expect_refusal=False, path=folder)  # not cut: a folder

    for key in w.pick(list(SETTINGS)):
        for i, value in w.pick(list(enumerate(VALUES))):
            _config_case(w, f"biggan-{key}={i}", legacy, {**bg.SMALL_CONFIG, key: value},
                         expect_refusal=None)
    for label, text in {"not-json": "{", "list": "[1, 2]", "deep": "[" * 100_000,
                        "huge": " " * (1 << 17) + "{}", "nan": '{"eps": NaN}'}.items():
        _config_case(w, f"biggan-config-{label}", legacy, text,
                     expect_refusal=None if label == "nan" else True)

    key = "generator.layers.1.conv_1.weight_orig"
    bad = {"shape": torch.zeros(3, 5), "int": sd[key].to(torch.int32), "string": "x",
           "nan": sd[key] * float("nan"), "inf-u": None, "zero-u": None, "neg-var": None,
           "zero-stride": torch.zeros(1).expand(2**14, 2**14), "0d": torch.zeros(())}
    for label, value in bad.items():
        edited = dict(sd)
        if label == "inf-u":
            edited["generator.gen_z.weight_u"] = torch.full_like(sd["generator.gen_z.weight_u"],
                                                                 float("inf"))
        elif label == "zero-u":
            edited["generator.gen_z.weight_u"] = torch.zeros_like(sd["generator.gen_z.weight_u"])
        elif label == "neg-var":
            edited["generator.bn.running_vars"] = -sd["generator.bn.running_vars"]
        else:
            edited[key] = value
        w.add("storage", f"biggan-{label}.bin", torch_bytes(edited, False))
    for label, drop in {"no-gen-z-bias": "generator.gen_z.bias",
                        "no-block-3": "generator.layers.3.",
                        "no-bn": "generator.bn.", "no-rgb": "generator.conv_to_rgb."}.items():
        w.add("settings", f"biggan-{label}.bin",
              torch_bytes({k: t for k, t in sd.items() if not k.startswith(drop)}, False))
    w.add("settings", "biggan-extra.bin", torch_bytes({**sd, "junk": torch.zeros(1)}, False))
    many = {**sd, **{f"generator.layers.{i}.conv_0.weight_orig": torch.zeros(4, 4, 1, 1)
                     for i in range(7, 300)}}
    w.add("settings", "biggan-300-layers.bin", torch_bytes(many, False))
    for name, payload in w.pick(list(code_payloads(w.sentinel).items())):
        w.add("code", f"biggan-{name}.bin", torch_bytes({**sd, "generator.bn.weight": payload},
                                                        False))
