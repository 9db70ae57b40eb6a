"""guiapp-cli on bad input: a clean exit 2 with one line, no traceback and no output file,
and an existing output left untouched, for each kind of mistake."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from cli_support import PREFIX, REF, discover_sefa, run

from guiapp.core.io import save_direction_set
from guiapp.core.models.catalog import find_builtin
from guiapp.core.types import Direction, DirectionSet


@pytest.fixture(scope="module")
def sefa_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return discover_sefa(tmp_path_factory.mktemp("dirs"))



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
