"""The mapping network's inference fast path (guiapp.core.models.stylegan2.mapping_fast): the same w
as the module's forward, for StyleGAN2 (plain, config-f depth, conditional) and StyleGAN3."""

from __future__ import annotations

import numpy as np
import pytest
import stylegan3_fixtures
import torch
from stylegan_fixtures import random_generator, tiny_config

from guiapp.core.methods.latent_sampling import w_batches
from guiapp.core.models.stylegan2.adapter import StyleGANModel
from guiapp.core.models.stylegan2.mapping_fast import map_w
from guiapp.core.models.stylegan3.adapter import StyleGAN3Model

NETS = {
    "sg2": lambda: random_generator(seed=1),
    "sg2-config-f-mapping": lambda: random_generator(
        tiny_config(z_dim=64, w_dim=64, mapping_layers=8), seed=2
    ),
    "sg2-conditional": lambda: random_generator(tiny_config(c_dim=3), seed=3),
    "sg3": lambda: stylegan3_fixtures.random_generator(seed=4),
}


def _model(kind: str) -> StyleGANModel:
    net = NETS[kind]()
    cls = StyleGAN3Model if kind == "sg3" else StyleGANModel
    return cls(net, kind, kind, "test")


def _z(model: StyleGANModel, n: int = 300, seed: int = 0) -> torch.Tensor:
    return torch.from_numpy(model.sample_z(n, seed)).float()


@pytest.mark.parametrize("kind", sorted(NETS))
def test_map_w_gives_the_modules_w(kind: str) -> None:
    model = _model(kind)
    if kind == "sg2-conditional":
        model.class_index = 2
    z = _z(model)
    with torch.inference_mode():
        expected = model.map(z)[:, 0]
        got = model.map_w(z)
    assert got.shape == (len(z), model.w_dim) and got.dtype == torch.float32
    scale = float(expected.abs().max())
    torch.testing.assert_close(got, expected, atol=1e-5 * max(scale, 1.0), rtol=0)


def test_w_batches_take_the_fast_path_and_give_the_same_w() -> None:
    model = _model("sg2")
    z = model.sample_z(250, 3)
    with torch.inference_mode():
        got = torch.cat(list(w_batches(model, np.split(z, [100, 200]), lambda f, m: None, 250)))
        expected = model.map(torch.from_numpy(z).float())[:, 0]
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)


def test_folded_weights_follow_parameter_changes() -> None:
    model = _model("sg2")
    z = _z(model, 50)
    with torch.inference_mode():
        before = model.map_w(z)
    with torch.no_grad():
        model.net.mapping.fc0.weight.mul_(2.0)
        model.net.mapping.fc1.bias.add_(3.0)
    with torch.inference_mode():
        after, expected = model.map_w(z), model.map(z)[:, 0]
    assert not torch.allclose(before, after)
    torch.testing.assert_close(after, expected, atol=1e-5, rtol=0)


def test_map_w_under_autograd_is_the_modules_forward() -> None:
    model = _model("sg2")
    z = _z(model, 8).requires_grad_(True)
    map_w(model.net.mapping, z).sum().backward()
    assert z.grad is not None
    fast_grad, z.grad = z.grad, None
    model.net.mapping(z)[:, 0].sum().backward()
    torch.testing.assert_close(fast_grad, z.grad)


def test_conditional_mapping_needs_a_label() -> None:
    model = _model("sg2-conditional")
    with torch.inference_mode(), pytest.raises(ValueError, match="give a class label"):
        map_w(model.net.mapping, _z(model, 2))
