"""LatentCLR within the memory the device has: steps planned from the model's measured
autograd memory, split into chunks with the same gradients, refused with a reason when
even the loss cannot fit."""

from __future__ import annotations

import pytest
import stylegan3_fixtures as sg3
import torch
from stylegan_fixtures import random_generator, tiny_config

from guiapp.core.direction_models import build_direction_model
from guiapp.core.methods import latentclr_train
from guiapp.core.methods.latentclr import Params, discover, resolve_layer
from guiapp.core.methods.latentclr_memory import (
    free_memory,
    measure_bytes_per_latent,
    plan_step,
)
from guiapp.core.models.stylegan2.adapter import StyleGANModel
from guiapp.core.models.stylegan3.adapter import StyleGAN3Model

GIB = 2**30


@pytest.fixture(scope="module", params=["stylegan2", "stylegan3"])
def model(request) -> StyleGANModel:
    if request.param == "stylegan2":
        net = random_generator(tiny_config(img_resolution=32), seed=3)
        return StyleGANModel(net, "tiny", "sg2", "test")
    return StyleGAN3Model(sg3.random_generator(sg3.tiny_config("T"), seed=4), "tiny", "sg3", "t")


def _gradients(model, chunk: int | None) -> tuple[float, list[torch.Tensor]]:
    params = Params(k=3, batch=5, model_type="linear", alpha=3.0)
    gen = torch.Generator().manual_seed(0)
    dmodel = build_direction_model("linear", 3, model.latent_dim, 1, gen)
    z = torch.randn(5, model.z_dim, generator=gen)
    layer = resolve_layer(model, None)
    loss, _ = latentclr_train._step(model, dmodel, z, params, layer, chunk)
    return loss, [p.grad.clone() for p in dmodel.parameters()]


@pytest.mark.parametrize("chunk", [1, 4, 7])
def test_chunked_steps_give_the_same_loss_and_gradients(model, chunk):
    loss, grads = _gradients(model, None)
    chunked_loss, chunked = _gradients(model, chunk)
    assert chunked_loss == pytest.approx(loss, rel=1e-5)
    for a, b in zip(grads, chunked, strict=True):
        torch.testing.assert_close(b, a, rtol=1e-3, atol=1e-6)


def test_autograd_memory_is_measured_per_latent(model):
    early, dim = measure_bytes_per_latent(model, model.feature_layers[0])
    late, late_dim = measure_bytes_per_latent(model, model.feature_layers[-1])
    assert 0 < early < late  # a deeper layer keeps more activations for backward
    assert dim > 0 and late_dim > 0


def test_a_step_that_fits_runs_whole_and_one_that_does_not_is_chunked(model):
    layer = resolve_layer(model, None)
    roomy = plan_step(model, 32, 32, layer, 64 * GIB)
    assert roomy.chunk is None and roomy.rows == 1024
    need = roomy.fixed_bytes + 100 * roomy.bytes_per_latent  # room for about 100 latents
    tight = plan_step(model, 32, 32, layer, int(need / 0.6))
    assert tight.chunk is not None and 90 <= tight.chunk <= 110


def test_a_step_that_cannot_fit_is_refused_with_what_would_help(model):
    layer = resolve_layer(model, None)
    with pytest.raises(ValueError, match=r"cannot fit in memory.*fewer directions or latents"):
        plan_step(model, 32, 32, layer, 1024)


def test_training_in_chunks_finds_the_same_directions(model, monkeypatch):
    params = Params(k=3, batch=4, iterations=4, eval_samples=8)
    whole = discover(model, params)
    layer = resolve_layer(model, None)
    plan = plan_step(model, 3, 4, layer, None)
    tight = int((plan.fixed_bytes + 5 * plan.bytes_per_latent) / 0.6)
    monkeypatch.setattr(latentclr_train, "free_memory", lambda device: tight)  # a small machine
    messages: list[str] = []
    chunked = discover(model, params, progress=lambda f, m: messages.append(m))
    assert any("in chunks of" in m for m in messages)
    assert chunked.training.loss == pytest.approx(whole.training.loss, rel=1e-4)
    for a, b in zip(whole.directions, chunked.directions, strict=True):
        assert abs(float(a.vector @ b.vector)) >= 0.999


def test_free_memory_is_known_on_this_machine():
    free = free_memory(torch.device("cpu"))
    assert free is None or free > 0
