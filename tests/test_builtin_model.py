"""The built-in face model: loads, is deterministic, and matches the original checkpoint."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from guiapp.core.models.base import ModelLoadError
from guiapp.core.models.registry import (
    DEFAULT_MODEL,
    builtin_models,
    file_sha256,
    load_model,
    resources_dir,
)
from guiapp.core.render import render_image


@pytest.fixture(scope="module")
def model():
    return load_model(DEFAULT_MODEL)


def test_builtin_model_is_listed_with_its_card():
    (card,) = [m for m in builtin_models() if m.ref == DEFAULT_MODEL]
    assert card.card["licence"]["name"] == "MIT"
    assert "Copyright (c) 2023, chien liu" in card.card["licence"]["text"]
    assert card.card["source"] == {
        **card.card["source"], "package": "gan-face-generate", "version": "1.1.1"
    }
    assert file_sha256(card.weights) == card.card["sha256"]


def test_info(model):
    info = model.info
    assert (info.resolution, info.z_dim, info.w_dim, info.num_ws) == (64, 100, None, 1)
    assert model.latent_space == "z"
    assert info.model_id == json.loads(
        (resources_dir() / "models" / "dcgan-digiface.json").read_text())["sha256"]


def test_matches_reference_images_of_the_original_checkpoint(model):
    ref = np.load(resources_dir() / "models" / "dcgan-digiface.reference.npz")
    z = np.concatenate([model.sample_z(1, int(s)) for s in ref["seeds"]])
    with torch.inference_mode():
        images = model.synthesize(model.map(torch.from_numpy(z).float())).numpy()
    assert images.shape == ref["images"].shape == (len(ref["seeds"]), 3, 64, 64)
    np.testing.assert_allclose(images, ref["images"], atol=1e-4)


def test_same_seed_same_image_and_batch_independent(model):
    a = render_image(model, seed=7)
    b = render_image(model, seed=7)
    c = render_image(model, seed=8)
    assert a.shape == (64, 64, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert np.abs(a.astype(int) - c).mean() > 5
    z = torch.from_numpy(np.concatenate([model.sample_z(1, s) for s in (7, 8)])).float()
    with torch.inference_mode():
        pair = model.synthesize(model.map(z))
        alone = model.synthesize(model.map(z[:1]))
    torch.testing.assert_close(pair[:1], alone, atol=1e-5, rtol=0)


def test_truncation_pulls_towards_the_mean_face(model):
    full = render_image(model, seed=3, truncation=1.0).astype(float)
    mean_face = render_image(model, seed=3, truncation=0.0).astype(float)
    half = render_image(model, seed=3, truncation=0.5).astype(float)
    assert np.abs(half - mean_face).mean() < np.abs(full - mean_face).mean()


def test_features_are_the_first_block_activations(model):
    z = torch.from_numpy(model.sample_z(4, 0)).float()
    with torch.inference_mode():
        feats = model.features(model.map(z), "block0")
    assert feats.shape == (4, 512 * 4 * 4)
    assert (feats >= 0).all()  # after ReLU
    with pytest.raises(ValueError, match="unknown layer"):
        model.features(model.map(z), "nope")


def test_sefa_weights_read_z(model):
    weights = model.sefa_weights()
    assert weights.shape == (512 * 4 * 4, 100)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"hello, I am a text file\n", "not a model file"),
        (b"", "not a model file"),
    ],
)
def test_not_a_model(tmp_path, content, message):
    path = tmp_path / "thing.safetensors"
    path.write_bytes(content)
    with pytest.raises(ModelLoadError, match=message):
        load_model(str(path))


def test_truncated_model_file(tmp_path):
    data = (resources_dir() / "models" / "dcgan-digiface.safetensors").read_bytes()
    path = tmp_path / "cut.safetensors"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelLoadError, match="corrupt or truncated"):
        load_model(str(path))


def test_missing_file_and_unknown_builtin(tmp_path):
    with pytest.raises(ModelLoadError, match="no such file"):
        load_model(str(tmp_path / "absent.pkl"))
    with pytest.raises(ModelLoadError, match="no built-in model"):
        load_model("builtin:absent")
