"""guiapp-cli on PGGAN files of each format: info, render (the image is the network's), and
SeFa, GANSpace and LatentCLR directions in z that change the rendered image."""

from __future__ import annotations

import numpy as np
import pytest
from cli_support import PREFIX, run
from pggan_fixtures import (
    random_variables,
    unfused,
    write_gandissect,
    write_genforce,
    write_tf_pickle,
)
from pggan_reference import g_paper
from PIL import Image

from guiapp.core.io import load_direction_set

FORMATS = {"tf": "pggan-tf-pickle", "genforce": "pggan-genforce",
           "gandissect": "pggan-gandissect"}


@pytest.fixture(scope="module")
def weights():
    return random_variables(seed=11)


@pytest.fixture(scope="module", params=list(FORMATS))
def model_file(request, tmp_path_factory, weights):
    folder = tmp_path_factory.mktemp(request.param)
    if request.param == "tf":
        return write_tf_pickle(folder / "karras2018iclr-toy.pkl", weights, folder / "ran")
    if request.param == "genforce":
        return write_genforce(folder / "pggan_toy.pth", unfused(weights))
    return write_gandissect(folder / "toy_lsun.pth", weights)


@pytest.fixture(scope="module")
def tf_file(tmp_path_factory, weights):
    folder = tmp_path_factory.mktemp("methods")
    return write_tf_pickle(folder / "karras2018iclr-toy.pkl", weights, folder / "ran")


def test_info_names_the_format_and_the_single_latent(model_file, capsys):
    code, out, _ = run(capsys, "info", model_file)
    assert code == 0
    kind = model_file.parent.name.rstrip("0123456789")
    assert f"format:      {FORMATS[kind]}" in out
    assert "16x16" in out and "num_ws:      1" in out and "z (16-D)" in out


def test_render_draws_the_networks_image_of_the_seed(model_file, weights, tmp_path, capsys):
    out = tmp_path / "seed5.png"
    assert run(capsys, "render", model_file, "--seed", "5", "-o", out)[0] == 0
    z = np.random.RandomState(5).randn(1, 16)
    ref = g_paper(weights, z, True)[0].transpose(1, 2, 0)
    expected = np.clip(np.rint((ref + 1) * 127.5), 0, 255)
    got = np.asarray(Image.open(out).convert("RGB")).astype(float)
    assert got.shape == (16, 16, 3) and np.abs(got - expected).max() <= 1


@pytest.mark.parametrize(
    ("method", "extra"),
    [("sefa", []), ("ganspace", ["--samples", "1500"]),
     ("latentclr", ["--iterations", "15", "--batch", "8"])],
)
def test_each_method_finds_z_directions_that_change_the_image(tf_file, tmp_path, capsys,
                                                              method, extra):
    model_file = tf_file
    dirs = tmp_path / f"{method}.npz"
    code, _, err = run(capsys, "discover", model_file, "--method", method, "-k", "3",
                       *extra, "-o", dirs)
    assert code == 0, err
    ds = load_direction_set(dirs)
    assert ds.space == "z" and len(ds) == 3 and ds.directions[0].vector.shape == (16,)
    plain, edited = tmp_path / "plain.png", tmp_path / "edited.png"
    assert run(capsys, "render", model_file, "--seed", "2", "-o", plain)[0] == 0
    assert run(capsys, "render", model_file, "--directions", dirs, "--seed", "2",
               "--edit", "0=3", "-o", edited)[0] == 0
    a, b = (np.asarray(Image.open(p)).astype(int) for p in (plain, edited))
    assert np.abs(a - b).mean() > 1.0


def test_a_growing_network_is_refused_in_one_line(tmp_path, capsys):
    v = random_variables(seed=1)
    v["lod"] = np.float32(0.25)
    path = write_tf_pickle(tmp_path / "network-snapshot-001000.pkl", v, tmp_path / "ran")
    code, out, err = run(capsys, "info", path)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(PREFIX)
    assert "network-snapshot-001000.pkl" in err and "lod" in err and "Traceback" not in err
    assert not (tmp_path / "ran").exists()
