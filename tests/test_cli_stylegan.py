"""guiapp-cli on style-based generators in their real file formats: layer presets for SeFa,
GANSpace in w, and per-layer edits that touch only their layers."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from stylegan_fixtures import random_generator, write_nvidia_pickle, write_rosinality_checkpoint

from guiapp.cli import main
from guiapp.core.io import load_direction_set, read_png_metadata


@pytest.fixture(scope="module", params=["nvidia", "rosinality"])
def model_file(request, tmp_path_factory):
    net = random_generator(seed=5)
    folder = tmp_path_factory.mktemp(request.param)
    if request.param == "nvidia":
        return write_nvidia_pickle(folder / "network-snapshot.pkl", net)
    return write_rosinality_checkpoint(folder / "ckpt.pt", net)


def test_info_shows_the_style_layers(model_file, capsys):
    assert main(["info", str(model_file)]) == 0
    out = capsys.readouterr().out
    assert "num_ws" in out and "w_dim" in out


def test_sefa_with_a_preset_and_per_layer_edits(model_file, tmp_path, capsys):
    dirs = tmp_path / "sefa.npz"
    assert main(["discover", str(model_file), "--method", "sefa", "-k", "4",
                 "--layers", "coarse", "-o", str(dirs)]) == 0
    ds = load_direction_set(dirs)
    assert ds.space == "w" and len(ds) == 4
    coarse = ds.directions[0].default_layers
    assert coarse is not None and coarse.start == 0 and coarse.stop < 8

    plain, edited, fine = (tmp_path / f"{n}.png" for n in ("plain", "edited", "fine"))
    assert main(["render", str(model_file), "--seed", "1", "-o", str(plain)]) == 0
    assert main(["render", str(model_file), "--directions", str(dirs), "--seed", "1",
                 "--edit", "0=3", "-o", str(edited)]) == 0
    assert main(["render", str(model_file), "--directions", str(dirs), "--seed", "1",
                 "--edit", "0=0@2-3", "-o", str(fine)]) == 0
    a, b, c = (np.asarray(Image.open(p)).astype(int) for p in (plain, edited, fine))
    assert np.abs(a - b).mean() > 0.5
    np.testing.assert_array_equal(a, c)  # alpha 0 on any layers is the original
    meta = read_png_metadata(edited)
    assert meta["edits"][0]["layers"] == [coarse.start, coarse.stop]


def test_ganspace_in_w_and_a_bad_preset(model_file, tmp_path, capsys):
    dirs = tmp_path / "gs.npz"
    assert main(["discover", str(model_file), "--method", "ganspace", "-k", "5",
                 "--samples", "3000", "-o", str(dirs)]) == 0
    ds = load_direction_set(dirs)
    assert ds.space == "w" and ds.plot["kind"] == "explained_variance"
    assert all(d.unit_scale > 0 for d in ds.directions)
    capsys.readouterr()
    assert main(["discover", str(model_file), "--method", "sefa", "--layers", "90-99",
                 "-o", str(tmp_path / "x.npz")]) == 2
    assert "outside this model's layers" in capsys.readouterr().err
    assert not (tmp_path / "x.npz").exists()


def test_latentclr_on_style_layers(model_file, tmp_path):
    dirs = tmp_path / "clr.npz"
    assert main(["discover", str(model_file), "--method", "latentclr", "-k", "4",
                 "--batch", "4", "--iterations", "10", "--layers", "coarse",
                 "--no-progress", "-o", str(dirs)]) == 0
    ds = load_direction_set(dirs)
    assert ds.method == "latentclr" and ds.space == "w" and len(ds) == 4
    assert ds.params["layer"] == "b4.conv1"  # the paper's target on StyleGAN2
    coarse = ds.directions[0].default_layers
    assert coarse is not None and coarse.start == 0 and coarse.stop < 8
    plain, edited = tmp_path / "plain.png", tmp_path / "edited.png"
    assert main(["render", str(model_file), "--seed", "2", "-o", str(plain)]) == 0
    assert main(["render", str(model_file), "--directions", str(dirs), "--seed", "2",
                 "--edit", "0=3", "-o", str(edited)]) == 0
    a, b = (np.asarray(Image.open(p)).astype(int) for p in (plain, edited))
    assert np.abs(a - b).mean() > 0.5
    assert read_png_metadata(edited)["edits"][0]["layers"] == [coarse.start, coarse.stop]
