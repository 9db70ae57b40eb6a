"""guiapp-cli on StyleGAN (v1) files of both formats: info, render (the network's image of
the seed at G_style's default truncation), SeFa / GANSpace / LatentCLR directions in w,
and an edit on a layer range that moves only those layers' styles."""

from __future__ import annotations

import numpy as np
import pytest
from cli_support import run
from PIL import Image
from stylegan1_fixtures import random_variables, write_genforce, write_tf_pickle
from stylegan1_reference import g_style, mapping, synthesis, truncate

from guiapp.core.io import load_direction_set

FORMATS = {"tf": "stylegan1-tf-pickle", "genforce": "stylegan1-genforce"}


@pytest.fixture(scope="module")
def weights():
    return random_variables(seed=11)


@pytest.fixture(scope="module", params=list(FORMATS))
def model_file(request, tmp_path_factory, weights):
    folder = tmp_path_factory.mktemp(request.param)
    if request.param == "tf":
        return write_tf_pickle(folder / "karras2019stylegan-toy.pkl", weights, folder / "ran")
    return write_genforce(folder / "stylegan_toy.pth", weights)


@pytest.fixture(scope="module")
def tf_file(tmp_path_factory, weights):
    folder = tmp_path_factory.mktemp("methods")
    return write_tf_pickle(folder / "karras2019stylegan-toy.pkl", weights, folder / "ran")


def pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB")).astype(float)


def expected(images: np.ndarray) -> np.ndarray:
    return np.clip(np.rint((images[0].transpose(1, 2, 0) + 1) * 127.5), 0, 255)


def test_info_names_the_format_and_the_style_layers(model_file, capsys):
    code, out, _ = run(capsys, "info", model_file)
    assert code == 0
    kind = model_file.parent.name.rstrip("0123456789")
    assert f"format:      {FORMATS[kind]}" in out
    assert "32x32" in out and "num_ws:      8" in out and "w (16-D)" in out
    assert "truncation:  psi 0.7 on the first 8 layers by default" in out


def test_render_draws_the_seed_at_g_styles_default_truncation(model_file, weights, tmp_path,
                                                              capsys):
    out = tmp_path / "seed5.png"
    assert run(capsys, "render", model_file, "--seed", "5", "-o", out)[0] == 0
    z = np.random.RandomState(5).randn(1, 16)
    got = pixels(out)
    assert got.shape == (32, 32, 3)
    assert np.abs(got - expected(g_style(weights, z, 0.7, 8))).max() <= 1
    plain = tmp_path / "untruncated.png"  # cutoff 0: no layer truncated
    assert run(capsys, "render", model_file, "--seed", "5", "--truncation-cutoff", "0",
               "-o", plain)[0] == 0
    assert np.abs(pixels(plain) - expected(g_style(weights, z, 1.0, 0))).max() <= 1
    assert np.abs(pixels(plain) - got).max() > 5
    psi_one = tmp_path / "psi1.png"  # asking for psi 1 is asking for no truncation
    assert run(capsys, "render", model_file, "--seed", "5", "--truncation", "1",
               "-o", psi_one)[0] == 0
    assert np.array_equal(pixels(psi_one), pixels(plain))


@pytest.mark.parametrize(
    ("method", "extra"),
    [("sefa", []), ("sefa", ["--layers", "coarse"]), ("ganspace", ["--samples", "2000"]),
     ("latentclr", ["--iterations", "2", "--batch", "4"])],
    ids=["sefa", "sefa-coarse", "ganspace", "latentclr"],
)
def test_each_method_finds_w_directions_that_change_the_image(tf_file, tmp_path, capsys,
                                                              method, extra):
    dirs = tmp_path / f"{method}.npz"
    code, _, err = run(capsys, "discover", tf_file, "--method", method, "-k", "3", *extra,
                       "-o", dirs)
    assert code == 0, err
    ds = load_direction_set(dirs)
    assert ds.space == "w" and len(ds) == 3 and ds.directions[0].vector.shape == (16,)
    plain, edited = tmp_path / "plain.png", tmp_path / "edited.png"
    assert run(capsys, "render", tf_file, "--seed", "2", "-o", plain)[0] == 0
    assert run(capsys, "render", tf_file, "--directions", dirs, "--seed", "2",
               "--edit", "0=3", "-o", edited)[0] == 0
    assert np.abs(pixels(plain) - pixels(edited)).mean() > 1.0


def test_an_edit_on_a_layer_range_moves_only_those_layers(tf_file, weights, tmp_path, capsys):
    dirs = tmp_path / "sefa.npz"
    assert run(capsys, "discover", tf_file, "--method", "sefa", "-k", "2", "-o", dirs)[0] == 0
    d = load_direction_set(dirs).directions[0]
    edited = tmp_path / "edited.png"
    assert run(capsys, "render", tf_file, "--directions", dirs, "--seed", "4",
               "--edit", "0=6@2-3", "-o", edited)[0] == 0  # inclusive: w indices 2 and 3
    z = np.random.RandomState(4).randn(1, 16)
    ws = truncate(weights, mapping(weights, z), 8, 0.7, 8)
    moved = ws.copy()
    moved[:, 2:4] += 6 * d.unit_scale * d.vector
    assert np.abs(pixels(edited) - expected(synthesis(weights, moved))).max() <= 1
    everywhere = ws + 6 * d.unit_scale * d.vector
    assert np.abs(pixels(edited) - expected(synthesis(weights, everywhere))).max() > 5
