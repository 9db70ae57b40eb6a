"""guiapp-cli end to end on the built-in DCGAN face model: discover, label, render, and a
progress bar (bad input: ``test_cli_errors.py``).

Commands run in-process through ``main(argv)`` for speed; one subprocess proves that
``python -m guiapp.cli`` works as an entry point.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from cli_support import REF, discover_sefa, run
from PIL import Image

from guiapp.cli import main
from guiapp.cli_progress import ProgressBar
from guiapp.core.io import load_direction_set, read_png_metadata, save_direction_set
from guiapp.core.models.catalog import find_builtin

REPO = Path(__file__).resolve().parents[1]


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB")).astype(np.int16)


@pytest.fixture(scope="module")
def model_sha() -> str:
    builtin = find_builtin(REF)
    assert builtin is not None
    return builtin.card["sha256"]


@pytest.fixture(scope="module")
def sefa_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four SeFa directions of the built-in model, shared by the render tests."""
    return discover_sefa(tmp_path_factory.mktemp("dirs"))


# -- happy paths ---------------------------------------------------------------------------


def test_models_lists_the_builtin_model(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "models")
    assert code == 0 and err == ""
    line = next(line for line in out.splitlines() if line.startswith(REF))
    assert "64x64" in line and "MIT" in line and "DCGAN faces" in line


def test_info_shows_sizes_and_sha(capsys: pytest.CaptureFixture[str], model_sha: str) -> None:
    code, out, _ = run(capsys, "info", REF)
    assert code == 0
    fields = dict(line.split(":", 1) for line in out.splitlines())
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    assert fields["format"] == "guiapp-dcgan"
    assert fields["resolution"] == "64x64"
    assert fields["z_dim"] == "100"
    assert fields["w_dim"].startswith("none")
    assert fields["num_ws"] == "1"
    assert fields["sha256"] == model_sha
    assert fields["name"] == "dcgan-digiface"


def test_info_accepts_a_file_path(capsys: pytest.CaptureFixture[str], model_sha: str) -> None:
    builtin = find_builtin(REF)
    assert builtin is not None
    code, out, _ = run(capsys, "info", builtin.weights)
    assert code == 0 and model_sha in out


def test_discover_sefa_saves_and_prints_a_ranked_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], model_sha: str
) -> None:
    out_file = tmp_path / "sefa.npz"
    code, out, err = run(capsys, "discover", REF, "--method", "sefa", "-k", "5", "-o", out_file)
    assert code == 0
    assert err == ""  # no bar: stderr is not a terminal
    ds = load_direction_set(out_file)
    assert (ds.method, ds.space, len(ds), ds.dim) == ("sefa", "z", 5, 100)
    assert ds.model_id == model_sha
    assert np.all(np.diff(ds.scores) <= 0)
    lines = out.splitlines()
    assert "score" in lines[0] and "label" in lines[0] and "var %" not in lines[0]
    rows = [line.split() for line in lines[1:6]]
    assert [int(r[0]) for r in rows] == list(range(5))
    assert [float(r[1]) for r in rows] == pytest.approx(list(ds.scores), rel=1e-4)
    assert str(out_file) in lines[-1]


def test_discover_ganspace_shows_explained_variance(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "ganspace.npz"
    argv = ["discover", REF, "--method", "ganspace", "-k", "4", "--samples", "5000"]
    code, out, _ = run(capsys, *argv, "--seed", "1", "-o", out_file)
    assert code == 0
    ds = load_direction_set(out_file)
    assert (ds.method, len(ds), ds.dim) == ("ganspace", 4, 100)
    assert all(d.unit_scale > 0 for d in ds.directions)
    header, *rows = out.splitlines()
    assert "var %" in header
    ratios = [float(line.split()[2]) for line in rows[:4]]
    assert all(0 < r < 100 for r in ratios)
    assert ratios == sorted(ratios, reverse=True)


def test_label_names_one_direction(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sefa_file: Path
) -> None:
    path = tmp_path / "dirs.npz"
    path.write_bytes(sefa_file.read_bytes())
    code, out, _ = run(capsys, "label", path, 2, "smile")
    assert code == 0 and "smile" in out
    before, after = load_direction_set(sefa_file), load_direction_set(path)
    assert [d.label for d in after.directions] == ["", "", "smile", ""]
    np.testing.assert_array_equal(before.vectors, after.vectors)
    assert [p.name for p in tmp_path.iterdir()] == ["dirs.npz"]  # no temporary left


def test_render_edits_and_metadata(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sefa_file: Path, model_sha: str
) -> None:
    base = ["render", REF, "--directions", sefa_file, "--seed", "7", "--truncation", "0.8"]
    plain, zero, moved = tmp_path / "plain.png", tmp_path / "zero.png", tmp_path / "moved.png"
    assert run(capsys, *base, "-o", plain)[0] == 0
    assert run(capsys, *base, "--edit", "0=0", "-o", zero)[0] == 0
    code, out, _ = run(capsys, *base, "--edit", "0=3", "--edit", "1=-2@0-0", "-o", moved)
    assert code == 0 and "64x64" in out

    assert pixels(plain).shape == (64, 64, 3)
    np.testing.assert_array_equal(pixels(zero), pixels(plain))
    assert np.abs(pixels(moved) - pixels(plain)).mean() > 1.0

    meta = read_png_metadata(moved)
    assert meta["model_sha256"] == model_sha
    assert meta["model"] == REF
    assert meta["seed"] == 7
    assert meta["truncation"] == pytest.approx(0.8)
    assert meta["edits"] == [
        {"index": 0, "alpha": 3.0, "layers": [0, 1], "label": ""},
        {"index": 1, "alpha": -2.0, "layers": [0, 1], "label": ""},
    ]
    assert meta["directions"]["file"] == "sefa.npz"
    assert meta["directions"]["method"] == "sefa"


def test_render_without_directions_and_upscaled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small, big = tmp_path / "small.png", tmp_path / "big.png"
    assert run(capsys, "render", REF, "--seed", "3", "-o", small)[0] == 0
    assert run(capsys, "render", REF, "--seed", "3", "--scale", "3", "-o", big)[0] == 0
    assert pixels(big).shape == (192, 192, 3)
    # Nearest-neighbour upscaling keeps every source pixel.
    np.testing.assert_array_equal(pixels(big)[::3, ::3], pixels(small))
    assert read_png_metadata(small)["edits"] == []


def test_render_strip(tmp_path: Path, capsys: pytest.CaptureFixture[str], sefa_file: Path) -> None:
    strip, plain = tmp_path / "strip.png", tmp_path / "plain.png"
    base = ["render", REF, "--directions", sefa_file, "--seed", "5"]
    assert run(capsys, *base, "--strip", "1", "--alphas", "-3,3,7", "-o", strip)[0] == 0
    assert run(capsys, *base, "-o", plain)[0] == 0
    image = pixels(strip)
    assert image.shape == (64, 64 * 7, 3)
    columns = [image[:, 64 * i : 64 * (i + 1)] for i in range(7)]
    # alpha 0 (the middle) is the unedited face, the ends differ from it.
    assert np.abs(columns[3] - pixels(plain)).max() <= 1
    assert np.abs(columns[0] - columns[3]).mean() > 1.0
    meta = read_png_metadata(strip)
    assert meta["strip"] == {"index": 1, "alphas": [-3, -2, -1, 0, 1, 2, 3], "layers": [0, 1]}


def test_render_grid(tmp_path: Path, capsys: pytest.CaptureFixture[str], sefa_file: Path) -> None:
    chosen, every = tmp_path / "chosen.png", tmp_path / "all.png"
    base = ["render", REF, "--directions", sefa_file, "--seed", "5", "--edit", "3=1"]
    assert run(capsys, *base, "--grid", "0,2", "--alphas", "-2,2,3", "-o", chosen)[0] == 0
    assert run(capsys, *base, "--grid", "--alphas", "-2,2,3", "-o", every)[0] == 0
    assert pixels(chosen).shape == (64 * 2, 64 * 3, 3)
    assert pixels(every).shape == (64 * 4, 64 * 3, 3)
    np.testing.assert_array_equal(pixels(every)[128:192], pixels(chosen)[64:128])
    meta = read_png_metadata(every)
    assert meta["grid"] == {"indices": [0, 1, 2, 3], "alphas": [-2, 0, 2],
                            "layers": [[0, 1]] * 4}
    assert meta["edits"] == [{"index": 3, "alpha": 1.0, "layers": [0, 1], "label": ""}]


def test_render_warns_about_directions_from_another_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sefa_file: Path
) -> None:
    foreign = tmp_path / "foreign.npz"
    save_direction_set(foreign, replace(load_direction_set(sefa_file), model_id="0" * 64))
    argv = ["render", REF, "--seed", "1", "--directions", foreign, "--edit", "0=1"]
    code, _, err = run(capsys, *argv, "-o", tmp_path / "out.png")
    assert code == 0
    assert err.startswith("guiapp-cli: warning:") and "another model" in err


def test_help_and_entry_point(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "render", "--help")
    assert code == 0 and "INDEX=ALPHA[@START-END]" in out and "START,STOP,COUNT" in out
    paths = [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    proc = subprocess.run(
        [sys.executable, "-m", "guiapp.cli", "models"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert REF in proc.stdout


# -- the progress bar ----------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_redraws_in_place_on_a_terminal() -> None:
    stream = _Terminal()
    with ProgressBar(stream, show_after=0.0, min_interval=0.0) as bar:
        bar(0.25, "sampling")
        bar(0.5, "sampling")
        bar(1.0, "done")
    text = stream.getvalue()
    assert text.count("\r") == 3 and text.endswith("\n")
    assert " 25%  sampling" in text and "100%  done" in text


def test_progress_bar_stays_quiet_when_there_is_nothing_to_show() -> None:
    pipe, quick = io.StringIO(), _Terminal()
    with ProgressBar(pipe, show_after=0.0) as bar:  # not a terminal
        bar(0.5, "x")
    with ProgressBar(quick, show_after=60.0) as bar:  # finished before the bar would show
        bar(0.5, "x")
    assert pipe.getvalue() == "" and quick.getvalue() == ""


def test_discover_latentclr(tmp_path, capsys):
    out = tmp_path / "clr.npz"
    assert main(["discover", REF, "--method", "latentclr", "-k", "4", "--iterations", "4",
                 "--batch", "4", "--model-type", "linear", "--loss", "official",
                 "--steps", "3", "--weight-decay", "0", "--no-progress", "-o", str(out)]) == 0
    ds = load_direction_set(out)
    assert ds.method == "latentclr" and len(ds) == 4 and ds.conditional is not None
    assert ds.params["steps"] == 3 and ds.params["weight_decay"] == 0
    edited = tmp_path / "e.png"
    assert main(["render", REF, "--directions", str(out), "--seed", "3", "--edit", "0=2",
                 "-o", str(edited)]) == 0
    assert main(["discover", REF, "--method", "sefa", "--lr", "0.1", "-o", str(out)]) == 2
    assert "sefa" in capsys.readouterr().err
