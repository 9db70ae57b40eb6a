"""guiapp-cli end to end on the built-in DCGAN face model: discover, label, render, and a
clean exit 2 (one line, no traceback, no output file) for each kind of bad input.

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
from PIL import Image

from guiapp.cli import main
from guiapp.cli_progress import ProgressBar
from guiapp.core.io import load_direction_set, read_png_metadata, save_direction_set
from guiapp.core.models.catalog import find_builtin
from guiapp.core.types import Direction, DirectionSet

REF = "builtin:dcgan-digiface"
REPO = Path(__file__).resolve().parents[1]
PREFIX = "guiapp-cli: error: "


def run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    """``main`` on ``argv`` (paths as strings); returns (exit code, stdout, stderr)."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


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
    path = tmp_path_factory.mktemp("dirs") / "sefa.npz"
    assert main(["discover", REF, "--method", "sefa", "-k", "4", "-o", str(path)]) == 0
    return path


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
        {"index": 0, "alpha": 3.0, "layers": [0, 1]},
        {"index": 1, "alpha": -2.0, "layers": [0, 1]},
    ]
    assert meta["directions"] == "sefa.npz"
    assert meta["method"] == "sefa"


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
    assert meta["grid"] == {"indices": [0, 1, 2, 3], "alphas": [-2, 0, 2]}
    assert meta["edits"] == [{"index": 3, "alpha": 1.0, "layers": [0, 1]}]


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


# -- bad input -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory, sefa_file: Path) -> dict[str, Path]:
    """A text file, a truncated model, a truncated direction file and a direction set for
    another latent size."""
    folder = tmp_path_factory.mktemp("bad")
    builtin = find_builtin(REF)
    assert builtin is not None
    weights = builtin.weights.read_bytes()
    truncated = folder / "half.safetensors"
    truncated.write_bytes(weights[: len(weights) // 2])
    text = folder / "notes.txt"
    text.write_text("not a model\n")
    half_npz = folder / "half.npz"
    half_npz.write_bytes(sefa_file.read_bytes()[:1000])
    other = folder / "other.npz"
    vectors = np.eye(50, dtype=np.float32)[:3]
    save_direction_set(
        other,
        DirectionSet("sefa", "z", "", {}, tuple(Direction(v, 1.0) for v in vectors)),
    )
    return {
        "truncated": truncated,
        "text": text,
        "other": other,
        "half_npz": half_npz,
        "folder": folder,
    }


# Each case: argv (with {dirs}, {out}, {missing}, ... placeholders) and a message fragment.
BAD_INPUTS = {
    "missing model": (["info", "{missing}/model.safetensors"], "no such file"),
    "missing model (render)": (
        ["render", "{missing}.safetensors", "--seed", "1", "-o", "{out}"],
        "no such file",
    ),
    "text file": (["render", "{text}", "--seed", "1", "-o", "{out}"], "not a model file"),
    "truncated model": (
        ["render", "{truncated}", "--seed", "1", "-o", "{out}"],
        "corrupt or truncated",
    ),
    "unknown built-in": (["info", "builtin:nope"], "no built-in model 'nope'"),
    "unknown method": (["discover", REF, "--method", "pca", "-o", "{npz}"], "unknown method"),
    "edit index": (["render", "{base}", "--edit", "9=1", "-o", "{out}"], "out of range"),
    "edit index alpha 0": (["render", "{base}", "--edit", "9=0", "-o", "{out}"], "out of range"),
    "strip index": (["render", "{base}", "--strip", "4", "-o", "{out}"], "out of range"),
    "grid index": (["render", "{base}", "--grid", "0,4", "-o", "{out}"], "out of range"),
    "label index": (["label", "{dirs_copy}", "4", "x"], "out of range"),
    "alpha nan": (["render", "{base}", "--edit", "0=nan", "-o", "{out}"], "finite"),
    "alpha inf": (["render", "{base}", "--edit", "0=-inf", "-o", "{out}"], "finite"),
    "alpha abc": (["render", "{base}", "--edit", "0=abc", "-o", "{out}"], "not a number"),
    "alphas nan": (
        ["render", "{base}", "--strip", "0", "--alphas", "nan,1,3", "-o", "{out}"],
        "finite",
    ),
    "alphas form": (
        ["render", "{base}", "--strip", "0", "--alphas", "1,2", "-o", "{out}"],
        "START,STOP,COUNT",
    ),
    "truncation inf": (["render", "{base}", "--truncation", "inf", "-o", "{out}"], "finite"),
    "edit form": (["render", "{base}", "--edit", "0:1", "-o", "{out}"], "INDEX=ALPHA"),
    "edit without directions": (
        ["render", REF, "--seed", "1", "--edit", "0=1", "-o", "{out}"],
        "needs --directions",
    ),
    "output folder missing": (
        ["render", "{base}", "-o", "{missing}/out.png"],
        "does not exist",
    ),
    "output is a folder": (["render", "{base}", "-o", "{folder_png}"], "is a folder"),
    "discover output missing folder": (
        ["discover", REF, "--method", "sefa", "-o", "{missing}/d.npz"],
        "does not exist",
    ),
    "other latent size": (
        ["render", REF, "--seed", "1", "--directions", "{other}", "--edit", "0=1", "-o", "{out}"],
        "another model",
    ),
    "directions missing": (
        ["render", REF, "--seed", "1", "--directions", "{missing}.npz", "-o", "{out}"],
        "no such file",
    ),
    "directions not npz": (
        ["render", REF, "--seed", "1", "--directions", "{text}", "-o", "{out}"],
        "not a guiapp direction file",
    ),
    "layer range reversed": (["render", "{base}", "--edit", "0=1@3-1", "-o", "{out}"], "START"),
    "layer range outside": (
        ["render", "{base}", "--edit", "0=1@0-5", "-o", "{out}"],
        "outside this model's layers",
    ),
    "strip layers outside": (
        ["render", "{base}", "--strip", "0", "--layers", "2-3", "-o", "{out}"],
        "outside this model's layers",
    ),
    "seed too big": (["render", REF, "--seed", str(2**32), "-o", "{out}"], "seed"),
    "model is a folder": (["info", "{folder}"], "not a file"),
    "directions truncated": (
        ["render", REF, "--seed", "1", "--directions", "{half_npz}", "-o", "{out}"],
        "not a guiapp direction file",
    ),
    "output not png": (["render", "{base}", "-o", "{npz}"], ".png"),
    "scale zero": (["render", "{base}", "--scale", "0", "-o", "{out}"], "--scale"),
    "sefa takes no samples": (
        ["discover", REF, "--method", "sefa", "--samples", "10", "-o", "{npz}"],
        "no parameter 'samples'",
    ),
    "k above the latent size": (
        ["discover", REF, "--method", "sefa", "-k", "101", "-o", "{npz}"],
        "k=101",
    ),
    "k zero": (["discover", REF, "--method", "sefa", "-k", "0", "-o", "{npz}"], "-k"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS), ids=list(BAD_INPUTS))
def test_bad_input_exits_2_with_one_line(
    case: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    sefa_file: Path,
    bad_files: dict[str, Path],
) -> None:
    argv, fragment = BAD_INPUTS[case]
    out = tmp_path / "out.png"
    (tmp_path / "folder.png").mkdir()
    dirs_copy = tmp_path / "copy.npz"
    dirs_copy.write_bytes(sefa_file.read_bytes())
    names = {
        "out": out,
        "npz": tmp_path / "d.npz",
        "missing": tmp_path / "missing",
        "folder_png": tmp_path / "folder.png",
        "dirs_copy": dirs_copy,
        **{key: str(value) for key, value in bad_files.items()},
    }
    expanded: list[str] = []
    for arg in argv:
        if arg == "{base}":
            expanded += [REF, "--seed", "1", "--directions", str(sefa_file)]
        else:
            expanded.append(arg.format(**names))
    before = sorted(p.name for p in tmp_path.iterdir())

    code, stdout, err = run(capsys, *expanded)

    assert code == 2, err
    assert stdout == ""
    assert err.startswith(PREFIX) and err.count("\n") == 1, err
    assert fragment in err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written
    assert dirs_copy.read_bytes() == sefa_file.read_bytes()


def test_failed_render_keeps_an_existing_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sefa_file: Path
) -> None:
    out = tmp_path / "keep.png"
    out.write_bytes(b"previous")
    argv = ["render", REF, "--seed", "1", "--directions", sefa_file, "--edit", "9=1", "-o", out]
    code, _, err = run(capsys, *argv)
    assert code == 2 and err.startswith(PREFIX)
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.png"]


def test_usage_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in ([], ["render", REF], ["frobnicate"], ["label", "x.npz", "one", "name"]):
        code, _, err = run(capsys, *argv)
        assert code == 2
        assert err.startswith(PREFIX) and err.count("\n") == 1, err


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
