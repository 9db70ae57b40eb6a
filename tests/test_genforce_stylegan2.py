"""genforce's StyleGAN2 ``.pth`` (SeFa's model zoo format) opens as our StyleGAN2 network
and gives the same images as the same weights in NVIDIA's TensorFlow pickle.

The genforce file is written by :mod:`genforce_stylegan2_fixtures`."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from genforce_stylegan2_fixtures import genforce_state_dict
from stylegan_fixtures import random_generator, tiny_config
from tf_fixtures import write_tf_pickle

from guiapp.core.models.base import ModelLoadError
from guiapp.core.models.registry import load_model


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
