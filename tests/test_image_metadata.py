"""PNG metadata (core/image_metadata): what ``guiapp-cli render`` records is enough to
reproduce the pixels, labels included; images from another model or set are refused by
name, and PNGs without our metadata get a one-line message naming the file."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from cli_support import REF, discover_sefa, run
from PIL import Image, PngImagePlugin

from guiapp.core.image_metadata import (
    METADATA_VERSION,
    READ_VERSION,
    direction_set_sha256,
    read_image_metadata,
    render_from_metadata,
)
from guiapp.core.io import FileFormatError, load_direction_set
from guiapp.core.models.registry import load_model


@pytest.fixture(scope="module")
def sefa_file(tmp_path_factory) -> Path:
    return discover_sefa(tmp_path_factory.mktemp("sefa"))


@pytest.fixture(scope="module")
def model():
    return load_model(REF)


def png(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


@pytest.mark.parametrize("extra", [
    ["--edit", "0=2.5", "--edit", "2=-1.5", "--scale", "3", "--resample", "lanczos"],
    ["--edit", "1=1", "--edit", "2=-2", "--strip", "1", "--alphas", "-2,4,4"],
    ["--edit", "3=1.5", "--edit", "0=-1", "--grid", "0,3", "--scale", "2"],
    ["--truncation-cutoff", "1"],
], ids=["upscaled", "strip", "grid", "no-directions"])
def test_cli_png_rerenders_from_its_metadata(tmp_path, capsys, sefa_file, model, extra):
    out = tmp_path / "out.png"
    directions = [] if "--edit" not in extra else ["--directions", sefa_file]
    code, _, err = run(capsys, "render", REF, "--seed", "9", "--truncation", "0.75",
                       *directions, *extra, "-o", out)
    assert code == 0, err
    meta = read_image_metadata(out)
    assert meta["metadata_version"] == METADATA_VERSION
    ds = load_direction_set(sefa_file) if directions else None
    np.testing.assert_array_equal(render_from_metadata(meta, model, ds), png(out))


def test_cli_records_labels_and_the_sets_identity(tmp_path, capsys, sefa_file, model):
    labelled = tmp_path / "labelled.npz"
    labelled.write_bytes(sefa_file.read_bytes())
    assert run(capsys, "label", labelled, 2, "smile")[0] == 0
    out = tmp_path / "smile.png"
    assert run(capsys, "render", REF, "--seed", "4", "--directions", labelled, "--edit", "2=3",
               "--edit", "0=1", "-o", out)[0] == 0
    meta = read_image_metadata(out)
    assert [e["label"] for e in meta["edits"]] == ["smile", ""]
    ds = load_direction_set(labelled)
    assert meta["directions"] == {"method": "sefa", "space": "z", "count": 4,
                                  "sha256": direction_set_sha256(ds), "file": "labelled.npz"}
    # Renaming does not change what the set does: the unlabelled file reproduces it too.
    np.testing.assert_array_equal(
        render_from_metadata(meta, model, load_direction_set(sefa_file)), png(out))


def test_another_model_or_set_is_refused(tmp_path, capsys, sefa_file, model):
    out = tmp_path / "edited.png"
    assert run(capsys, "render", REF, "--seed", "4", "--directions", sefa_file, "--edit", "1=2",
               "-o", out)[0] == 0
    meta = read_image_metadata(out)
    ds = load_direction_set(sefa_file)
    other = replace(ds, directions=(*ds.directions[1:], ds.directions[0]))
    with pytest.raises(ValueError, match="not the one the image was made with"):
        render_from_metadata(meta, model, other)
    with pytest.raises(ValueError, match="give the direction set"):
        render_from_metadata(meta, model, None)
    with pytest.raises(ValueError, match="made with model sha256"):
        render_from_metadata({**meta, "model_sha256": "0" * 64}, model, ds)
    with pytest.raises(ValueError, match="'seed' is missing"):
        render_from_metadata({k: v for k, v in meta.items() if k != "seed"}, model, ds)


def test_pngs_without_our_metadata_are_named(tmp_path):
    plain = tmp_path / "photo.png"
    Image.new("RGB", (4, 4)).save(plain)
    with pytest.raises(FileFormatError, match=r"photo\.png: this PNG carries no guiapp"):
        read_image_metadata(plain)
    newer = tmp_path / "newer.png"
    info = PngImagePlugin.PngInfo()
    info.add_text("guiapp.metadata_version", json.dumps(READ_VERSION + 1))
    Image.new("RGB", (4, 4)).save(newer, pnginfo=info)
    with pytest.raises(FileFormatError, match=r"newer\.png: metadata version"):
        read_image_metadata(newer)
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    with pytest.raises(FileFormatError, match=r"notes\.png: "):
        read_image_metadata(text)


def test_latent_dependent_directions_rerender_from_metadata(tmp_path, capsys, model):
    """LatentCLR linear directions: the set's identity covers its direction model, which
    survives the file round trip."""
    clr = tmp_path / "clr.npz"
    assert run(capsys, "discover", REF, "--method", "latentclr", "-k", "3", "--model-type",
               "linear", "--iterations", "3", "--batch", "4", "-o", clr)[0] == 0
    ds = load_direction_set(clr)
    assert ds.conditional is not None
    out = tmp_path / "strip.png"
    assert run(capsys, "render", REF, "--seed", "2", "--directions", clr, "--edit", "0=2",
               "--edit", "1=-1", "--strip", "1", "-o", out)[0] == 0
    np.testing.assert_array_equal(render_from_metadata(read_image_metadata(out), model, ds),
                                  png(out))
    # Same mean vectors without the direction model would edit differently: another identity.
    assert direction_set_sha256(ds) != direction_set_sha256(replace(ds, conditional=None))
