"""``guiapp-cli render --seeds LIST -o out/{seed}.png`` (a folder) or ``-o grid.png`` (one
grid): every image is the single render of its seed with the same metadata; mistakes are
one line, exit 2, no file."""

from __future__ import annotations

import numpy as np
import pytest
from cli_support import PREFIX, REF, discover_sefa, run
from PIL import Image

from guiapp.core.image_metadata import read_image_metadata
from guiapp.core.io import load_direction_set
from guiapp.core.models.registry import load_model
from guiapp.core.render import render_image
from guiapp.core.types import Edit


@pytest.fixture(scope="module")
def sefa(tmp_path_factory):
    return discover_sefa(tmp_path_factory.mktemp("cli_seeds"))


@pytest.fixture(scope="module")
def model():
    return load_model(REF)


def pixels(path):
    return np.asarray(Image.open(path).convert("RGB"))


def test_seeds_to_a_folder_equal_single_renders_with_the_same_metadata(capsys, sefa, tmp_path,
                                                                        model):
    out = tmp_path / "out"
    out.mkdir()
    code, stdout, err = run(capsys, "render", REF, "--directions", sefa, "--edit", "1=2",
                            "--truncation", "0.7", "--seeds", "0-2,10", "--batch-size", 1,
                            "-o", out / "{seed}.png")
    assert (code, err) == (0, "")
    assert stdout == f"saved 4 images to {out}\n"
    assert sorted(p.name for p in out.iterdir()) == ["0.png", "1.png", "10.png", "2.png"]
    ds = load_direction_set(sefa)
    single = tmp_path / "single.png"
    run(capsys, "render", REF, "--directions", sefa, "--edit", "1=2", "--truncation", "0.7",
        "--seed", 10, "-o", single)
    np.testing.assert_array_equal(pixels(out / "10.png"), pixels(single))
    np.testing.assert_array_equal(pixels(out / "2.png"),
                                  render_image(model, 2, 0.7, ds, [Edit(1, 2.0)]))
    assert read_image_metadata(out / "10.png") == read_image_metadata(single)


def test_seeds_to_one_grid(capsys, tmp_path, model):
    out = tmp_path / "grid.png"
    code, stdout, _ = run(capsys, "render", REF, "--seeds", "5-9", "--columns", 5,
                          "--batch-size", 1, "-o", out)
    assert code == 0 and stdout == f"saved a grid of 5 seeds (1x5) to {out}\n"
    grid, res = pixels(out), model.resolution
    assert grid.shape == (res, 5 * res, 3)
    np.testing.assert_array_equal(grid[:, 3 * res:4 * res], render_image(model, 8))
    assert read_image_metadata(out)["seeds"] == [5, 6, 7, 8, 9]


@pytest.mark.parametrize(("args", "message"), [
    (["--seeds", "0-3", "-o", "{dir}/{{seed}}.jpg"], "must end in .png"),
    (["--seeds", "0-3", "-o", "{dir}/{{n}}.png"], "must contain {seed}"),
    (["--seeds", "3-1", "-o", "{dir}/{{seed}}.png"], "runs backwards"),
    (["--seeds", "0-20000", "-o", "{dir}/{{seed}}.png"], "at most 10000 seeds"),
    (["--seeds", "0-3", "-o", "{dir}/none/{{seed}}.png"], "does not exist"),
    (["--seeds", "0-3", "--edit", "0=1", "-o", "{dir}/{{seed}}.png"], "needs --directions"),
    (["--seeds", "0-3", "--directions", "{sefa}", "--edit", "7=1", "-o",
      "{dir}/{{seed}}.png"], "out of range"),
    (["--seeds", "0-500", "-o", "{dir}/grid.png"], "at most 400 seeds"),
    (["--seeds", "0-3", "--morph", "4", "-o", "{dir}/grid.png"], "cannot be combined"),
])
def test_seed_mistakes_are_one_line_and_write_nothing(capsys, sefa, tmp_path, args, message):
    argv = [a.format(dir=tmp_path, sefa=sefa) for a in args]
    code, stdout, err = run(capsys, "render", REF, *argv)
    assert code == 2 and stdout == ""
    assert err.startswith(PREFIX) and err.count("\n") == 1 and message in err, err
    assert list(tmp_path.iterdir()) == []
