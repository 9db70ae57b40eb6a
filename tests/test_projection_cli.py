"""``guiapp-cli project`` and ``render --latent`` (issue 12), through ``main``."""

from __future__ import annotations

import numpy as np
import pytest
from cli_support import PREFIX, REF, discover_sefa, run
from PIL import Image
from skimage import data

from guiapp.core.image_metadata import read_image_metadata
from guiapp.core.latent_files import load_latent, read_latent
from guiapp.core.models.registry import load_model
from guiapp.core.photo import open_photo
from guiapp.core.render import render_request
from guiapp.core.types import RenderRequest


@pytest.fixture(scope="module")
def projected(tmp_path_factory):
    """The astronaut photo (JPEG) projected for a few steps with the face crop."""
    folder = tmp_path_factory.mktemp("photo")
    photo = folder / "astronaut.jpg"
    Image.fromarray(data.astronaut()).save(photo, quality=92)
    out = folder / "face.npz"
    from guiapp.cli import main

    assert main(["project", REF, str(photo), "-o", str(out), "--steps", "6",
                 "--restarts", "1", "--preview", str(folder / "preview.png")]) == 0
    return photo, out, folder


def test_project_writes_the_latent_with_the_photos_identity(projected, capsys):
    photo, out, folder = projected
    found = read_latent(out)
    model = load_model(REF)
    assert found.space == "z" and found.array.shape == (model.z_dim,)
    assert found.model_id == model.model_id
    assert (found.source, found.sha256) == ("astronaut.jpg", open_photo(photo).sha256)
    preview = np.asarray(Image.open(folder / "preview.png"))
    assert preview.shape == (64, 128, 3)


def test_render_latent_renders_that_face_and_records_it(projected, tmp_path, capsys):
    _, out, _ = projected
    model = load_model(REF)
    code, _, err = run(capsys, "render", REF, "--latent", out, "-o", tmp_path / "a.png")
    assert code == 0, err
    image = np.asarray(Image.open(tmp_path / "a.png").convert("RGB"))
    want = render_request(model, RenderRequest(latent=load_latent(out, model)))
    assert np.array_equal(image, want)
    meta = read_image_metadata(tmp_path / "a.png")
    assert meta["face"]["latent"]["sha256"] == read_latent(out).sha256

    sefa = discover_sefa(tmp_path)
    code, _, err = run(capsys, "render", REF, "--latent", out, "--directions", sefa,
                       "--strip", "0", "--alphas", "-2,2,3", "-o", tmp_path / "s.png")
    assert code == 0, err
    strip = np.asarray(Image.open(tmp_path / "s.png").convert("RGB"))
    assert strip.shape == (64, 3 * 64, 3)
    assert not np.array_equal(strip[:, :64], strip[:, 128:])  # the edit moves the face


def test_bad_input_is_one_line_and_writes_nothing(projected, tmp_path, capsys):
    photo, out, _ = projected
    text = tmp_path / "notes.jpg"
    text.write_text("hello")
    cases = [
        (("project", REF, text, "-o", tmp_path / "x.npz"), "not an image"),
        (("project", REF, photo, "-o", tmp_path / "x.npz", "--space", "w"), "no mapping"),
        (("project", REF, photo, "-o", tmp_path / "x.npz", "--crop", "400,0,300"), "outside"),
        (("project", REF, photo, "-o", tmp_path / "x.txt"), "must end in"),
        (("project", REF, photo, "-o", tmp_path / "x.npz", "--steps", "999999999"), "steps"),
        (("project", REF, photo, "-o", tmp_path / "x.npz", "--restarts", "99"), "restarts"),
        (("render", REF, "--latent", out, "--seed", "1", "-o", tmp_path / "x.png"), "not both"),
        (("render", REF, "--latent", text, "-o", tmp_path / "x.png"), "neither an .npy"),
    ]
    for argv, words in cases:
        code, _, err = run(capsys, *argv)
        assert code == 2, argv
        assert err.startswith(PREFIX) and words in err and err.count("\n") == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.jpg"]


def test_project_help_names_the_spaces(capsys):
    code, out, _ = run(capsys, "project", "--help")
    assert code == 0 and "w+" in out and "--crop" in out
