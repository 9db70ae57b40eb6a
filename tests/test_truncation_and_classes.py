"""Truncation on the first N layers only, and the class of a conditional generator: in the
core renderers, the live renderer, sessions and the CLI, on real NVIDIA-format pickles."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from stylegan_fixtures import random_generator, tiny_config, write_nvidia_pickle

from guiapp.cli import main
from guiapp.core.io import read_png_metadata
from guiapp.core.live_render import LiveRenderer, RenderRequest
from guiapp.core.models.registry import load_model
from guiapp.core.render import base_latents, render_image
from guiapp.core.session_io import session_from_json, session_to_json
from guiapp.core.types import Session

CLASSES = 4


@pytest.fixture(scope="module")
def conditional_file(tmp_path_factory):
    net = random_generator(tiny_config(c_dim=CLASSES), seed=7)
    return write_nvidia_pickle(tmp_path_factory.mktemp("cond") / "cond.pkl", net)


@pytest.fixture(scope="module")
def model(conditional_file):
    return load_model(str(conditional_file))


def test_cutoff_truncates_only_the_first_layers(model):
    free = base_latents(model, 3, 1.0)
    all_layers = base_latents(model, 3, 0.5)
    first_two = base_latents(model, 3, 0.5, cutoff=2)
    torch.testing.assert_close(first_two[:, :2], all_layers[:, :2])
    torch.testing.assert_close(first_two[:, 2:], free[:, 2:])
    assert not torch.allclose(first_two[:, :2], free[:, :2])
    assert torch.equal(base_latents(model, 3, 0.5, cutoff=0), free)
    assert torch.equal(base_latents(model, 3, 0.5, cutoff=99), all_layers)
    with pytest.raises(ValueError, match="cutoff"):
        base_latents(model, 3, 0.5, cutoff=-1)


def test_class_index_draws_another_class_without_changing_the_model(model):
    assert model.info.c_dim == CLASSES and model.class_index == 0
    a = render_image(model, 5, class_index=0)
    b = render_image(model, 5, class_index=2)
    assert np.abs(a.astype(int) - b.astype(int)).mean() > 0.5
    np.testing.assert_array_equal(render_image(model, 5), a)  # the model's class is still 0
    with pytest.raises(ValueError, match="class index"):
        render_image(model, 5, class_index=CLASSES)


def test_unconditional_models_refuse_a_class():
    from guiapp.core.models.registry import DEFAULT_MODEL

    builtin = load_model(DEFAULT_MODEL)
    assert builtin.info.c_dim == 0
    np.testing.assert_array_equal(render_image(builtin, 1, class_index=0), render_image(builtin, 1))
    with pytest.raises(ValueError, match="not conditional"):
        render_image(builtin, 1, class_index=1)


def test_live_renderer_follows_class_and_cutoff(model):
    renderer = LiveRenderer(model)
    plain = renderer.render(RenderRequest(seed=2, truncation=0.3)).image
    other_class = renderer.render(RenderRequest(seed=2, truncation=0.3, class_index=1)).image
    cut = renderer.render(RenderRequest(seed=2, truncation=0.3, truncation_cutoff=1)).image
    assert not np.array_equal(plain, other_class)
    assert not np.array_equal(plain, cut)
    np.testing.assert_array_equal(other_class, render_image(model, 2, 0.3, class_index=1))
    np.testing.assert_array_equal(cut, render_image(model, 2, 0.3, cutoff=1))


def test_session_keeps_class_and_cutoff():
    session = Session("m.pkl", seed=4, truncation=0.7, truncation_cutoff=3, class_index=2)
    restored, _ = session_from_json(session_to_json(session))
    assert restored == session
    old_file = session_to_json(Session("m.pkl"))
    del old_file["truncation_cutoff"], old_file["class_index"]
    restored, _ = session_from_json(old_file)  # sessions saved before these existed
    assert restored.truncation_cutoff is None and restored.class_index == 0


def test_cli_renders_a_class_with_a_cutoff(conditional_file, tmp_path, capsys):
    assert main(["info", str(conditional_file)]) == 0
    assert f"classes:     {CLASSES}" in capsys.readouterr().out
    out = tmp_path / "c2.png"
    assert main(["render", str(conditional_file), "--seed", "5", "--class", "2",
                 "--truncation", "0.5", "--truncation-cutoff", "2", "-o", str(out)]) == 0
    meta = read_png_metadata(out)
    assert meta["class_index"] == 2 and meta["truncation_cutoff"] == 2
    model = load_model(str(conditional_file))
    expected = render_image(model, 5, 0.5, cutoff=2, class_index=2)
    from PIL import Image

    np.testing.assert_array_equal(np.asarray(Image.open(out)), expected)
    assert main(["render", str(conditional_file), "--seed", "5", "--class", "9",
                 "-o", str(tmp_path / "bad.png")]) == 2
    assert "class index" in capsys.readouterr().err
    assert main(["render", "builtin:dcgan-digiface", "--seed", "5", "--class", "1",
                 "-o", str(tmp_path / "bad.png")]) == 2
    assert "not conditional" in capsys.readouterr().err


def test_cli_discovers_in_a_class(conditional_file, tmp_path):
    from guiapp.core.io import load_direction_set

    paths = [tmp_path / f"gs{c}.npz" for c in (0, 3)]
    for c, path in zip((0, 3), paths, strict=True):
        assert main(["discover", str(conditional_file), "--method", "ganspace", "-k", "3",
                     "--samples", "2000", "--class", str(c), "-o", str(path)]) == 0
    a, b = (load_direction_set(p) for p in paths)
    assert not np.allclose(a.vectors, b.vectors)
