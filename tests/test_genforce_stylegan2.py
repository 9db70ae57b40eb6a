"""genforce's StyleGAN2 ``.pth`` (SeFa's model zoo format) opens as our StyleGAN2 network
and gives the same images as the same weights in NVIDIA's TensorFlow pickle.

The genforce file is written from the TF variables as genforce's ``stylegan2_converter.py``
does (its ``pth_to_tf_var_mapping`` names; dense/style weights permuted (1, 0), convs
(3, 2, 0, 1), the rest as stored)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from stylegan_fixtures import random_generator, tiny_config
from tf_fixtures import mapping_variables, synthesis_variables, write_tf_pickle

from guiapp.core.models.base import ModelLoadError
from guiapp.core.models.registry import load_model


def genforce_state_dict(net) -> dict[str, torch.Tensor]:
    """The ``generator_smooth`` state dict genforce's converter writes for ``net``."""
    tf = {f"mapping/{k}": v for k, v in mapping_variables(net)}
    tf |= {f"synthesis/{k}": v for k, v in synthesis_variables(net)}
    tf["dlatent_avg"] = net.mapping.w_avg.numpy()
    names = {"truncation.w_avg": "dlatent_avg",
             "synthesis.early_layer.const": "synthesis/4x4/Const/const"}
    for i in range(net.cfg.mapping_layers):
        names[f"mapping.dense{i}.weight"] = f"mapping/Dense{i}/weight"
        names[f"mapping.dense{i}.bias"] = f"mapping/Dense{i}/bias"
    blocks = int(np.log2(net.cfg.img_resolution)) - 1
    for b in range(blocks):
        r = 4 * 2**b
        layers = [(0, "4x4/Conv")] if b == 0 else [(2 * b - 1, f"{r}x{r}/Conv0_up"),
                                                 (2 * b, f"{r}x{r}/Conv1")]
        for i, scope in layers:
            for ours, theirs in (("weight", "weight"), ("bias", "bias"),
                                 ("style.weight", "mod_weight"), ("style.bias", "mod_bias"),
                                 ("noise_strength", "noise_strength")):
                names[f"synthesis.layer{i}.{ours}"] = f"synthesis/{scope}/{theirs}"
            names[f"synthesis.layer{i}.noise"] = f"synthesis/noise{i}"
        for ours, theirs in (("weight", "weight"), ("bias", "bias"),
                             ("style.weight", "mod_weight"), ("style.bias", "mod_bias")):
            names[f"synthesis.output{b}.{ours}"] = f"synthesis/{r}x{r}/ToRGB/{theirs}"
    sd = {}
    for pth, tf_name in names.items():
        var = torch.from_numpy(np.array(tf[tf_name], dtype=np.float32))
        if "weight" in tf_name:
            var = var.permute(1, 0) if ("Dense" in tf_name or "mod_weight" in tf_name) \
                else var.permute(3, 2, 0, 1)
        sd[pth] = var.contiguous()
    # genforce's resampling kernels are buffers in the state dict too
    kernel = torch.tensor([1.0, 3, 3, 1])
    sd["synthesis.upsample.kernel"] = (kernel[:, None] * kernel[None]) / 16
    return sd


@pytest.fixture(scope="module")
def net():
    return random_generator(tiny_config(conv_clamp=None), seed=3)


def test_genforce_and_tf_files_of_one_generator_give_one_image(net, tmp_path):
    gf = tmp_path / "stylegan2_toy.pth"
    torch.save({"generator": genforce_state_dict(net), "generator_smooth":
                genforce_state_dict(net)}, gf)
    tf = write_tf_pickle(tmp_path / "stylegan2-toy.pkl", net, tmp_path / "ran")
    a, b = load_model(str(gf)), load_model(str(tf))
    assert a.format == "stylegan2-genforce" and (a.num_ws, a.w_dim) == (b.num_ws, b.w_dim)
    z = torch.from_numpy(a.sample_z(3, 7)).float()
    with torch.no_grad():
        ws_a, ws_b = a.truncate(a.map(z), 0.7), b.truncate(b.map(z), 0.7)
        assert float((ws_a - ws_b).abs().max()) <= 1e-5
        img_a, img_b = a.synthesize(ws_a), b.synthesize(ws_b)
        ours = net.synthesis(ws_b, noise_mode="const")
    assert float((img_a - img_b).abs().max()) <= 1e-5
    assert float((img_a - ours).abs().max()) <= 1e-5 and float(img_a.std()) > 0.05
    assert torch.allclose(a.w_avg, net.mapping.w_avg)
    # SeFa reads the same style weights in both
    assert torch.allclose(a.sefa_weights((0, 4)), b.sefa_weights((0, 4)), atol=1e-6)
    assert F.mse_loss(img_a, img_b) < 1e-10


def test_bad_genforce_stylegan2_files_are_refused_in_one_line(net, tmp_path):
    sd = genforce_state_dict(net)
    cases = {
        "cond": ({**sd, "mapping.label_weight": torch.zeros(10, 32)}, "class-conditional"),
        "noskip": ({k: v for k, v in sd.items() if not k.startswith("synthesis.output1.")},
                   "skip"),
        "extra": ({**sd, "synthesis.junk": torch.zeros(1)}, "synthesis.junk"),
        "int": ({**sd, "synthesis.layer1.weight": torch.zeros(2, 2, 3, 3, dtype=torch.int64)},
                "synthesis.layer1.weight"),
        "shape": ({**sd, "synthesis.layer2.weight": torch.zeros(5, 5, 3, 3)},
                  "entry 'synthesis.layer1.weight'"),
    }
    for label, (bad, expected) in cases.items():
        path = tmp_path / f"{label}.pth"
        torch.save({"generator_smooth": bad}, path)
        with pytest.raises(ModelLoadError) as info:
            load_model(str(path))
        text = str(info.value)
        assert f"{label}.pth" in text and expected in text and "\n" not in text, (label, text)
