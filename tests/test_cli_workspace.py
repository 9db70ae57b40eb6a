"""guiapp-cli over a workspace: render with several direction files and edits naming
their set, render a saved session as the window shows it, and compare sets."""

from __future__ import annotations

import json

import numpy as np
import pytest
from cli_support import PREFIX, REF, run
from PIL import Image

from guiapp.cli import main
from guiapp.core.image_metadata import read_image_metadata, render_from_metadata
from guiapp.core.io import load_direction_set, save_direction_set
from guiapp.core.models.registry import load_model
from guiapp.core.render import render_request
from guiapp.core.session_io import save_session
from guiapp.core.types import LayerRange, ProjectedLatent, RenderRequest, StripSpec
from guiapp.core.workspace import Workspace, WorkspaceSession


def png(path) -> np.ndarray:
    return np.asarray(Image.open(path))


@pytest.fixture(scope="module")
def model():
    return load_model(REF)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sets")
    sefa, gs = folder / "sefa.npz", folder / "gs.npz"
    assert main(["discover", REF, "--method", "sefa", "-k", "4", "-o", str(sefa)]) == 0
    assert main(["discover", REF, "--method", "ganspace", "-k", "4", "--samples", "2000",
                 "-o", str(gs)]) == 0
    return sefa, gs


def two_sets(files, edits=()) -> Workspace:
    ws = Workspace()
    for f in files:
        ws = ws.add_set(load_direction_set(f), select=not ws.ids)[0]
    for n, index, alpha in edits:
        ws = ws.set_edit(ws.ids[n - 1], index, alpha)
    return ws


def test_edits_from_two_files_render_as_the_workspace(files, model, tmp_path, capsys):
    out = tmp_path / "both.png"
    code, _, err = run(capsys, "render", REF, "--directions", files[0], "--directions",
                       files[1], "--seed", 5, "--truncation", 0.8, "--edit", "1=2",
                       "--edit", "2:0=-1.5", "-o", out)
    assert code == 0, err
    ws = two_sets(files, [(1, 1, 2.0), (2, 0, -1.5)])
    expected = render_request(model, RenderRequest(seed=5, truncation=0.8, workspace=ws))
    np.testing.assert_array_equal(png(out), expected)
    meta = read_image_metadata(out)
    assert meta["metadata_version"] == 2
    assert [(e["set"], e["index"], e["alpha"]) for e in meta["edits"]] == [(1, 1, 2.0),
                                                                        (2, 0, -1.5)]
    assert [s["file"] for s in meta["sets"]] == ["sefa.npz", "gs.npz"]
    sets = [load_direction_set(f) for f in files]
    np.testing.assert_array_equal(render_from_metadata(meta, model, sets=sets), png(out))
    only_sefa = render_request(model, RenderRequest(seed=5, truncation=0.8,
                                                    workspace=ws.clear_edit(ws.ids[1], 0)))
    assert not np.array_equal(png(out), only_sefa)  # set 2's edit is in the image


def test_a_bare_edit_is_set_one_and_a_strip_can_name_its_set(files, tmp_path, capsys, model):
    bare, named = tmp_path / "bare.png", tmp_path / "named.png"
    common = ["render", REF, "--directions", files[0], "--directions", files[1], "--seed", 2]
    assert run(capsys, *common, "--edit", "0=1.5", "-o", bare)[0] == 0
    assert run(capsys, *common, "--edit", "1:0=1.5", "-o", named)[0] == 0
    np.testing.assert_array_equal(png(bare), png(named))
    strip = tmp_path / "strip.png"
    assert run(capsys, *common, "--edit", "0=1.5", "--strip", "2:3", "--alphas", "-2,2,3",
               "-o", strip)[0] == 0
    ws = two_sets(files, [(1, 0, 1.5)])
    expected = render_request(model, RenderRequest(seed=2, workspace=ws, output=StripSpec(
        3, (-2.0, 0.0, 2.0), set_id=ws.ids[1])))
    np.testing.assert_array_equal(png(strip), expected)
    assert read_image_metadata(strip)["strip"]["set"] == 2


@pytest.mark.parametrize("args, says", [
    (["--edit", "3:0=1"], "names set 3, but there are only 2"),
    (["--edit", "0:0=1"], "set numbers start at 1"),
    (["--strip", "4:0"], "names set 4"),
    (["--edit", "2:9=1"], "out of range"),
    (["--edit", "2:0=1", "--edit", "2:0=2"], "two edits of direction 0"),
])
def test_a_bad_set_number_is_one_line_and_no_file(files, tmp_path, capsys, args, says):
    out = tmp_path / "x.png"
    code, _, err = run(capsys, "render", REF, "--directions", files[0], "--directions",
                       files[1], "--seed", 1, *args, "-o", out)
    assert code == 2 and err.startswith(PREFIX) and says in err and err.count("\n") == 1
    assert not out.exists()


def test_render_session_gives_the_window_image(files, model, tmp_path, capsys):
    ws = two_sets(files, [(1, 2, 1.0), (2, 1, 2.5)])
    ws = ws.set_edit(ws.ids[1], 3, 0.0, LayerRange(0, 1)).select(ws.ids[1])
    session = WorkspaceSession(REF, 9, 0.7, workspace=ws)
    path, out = tmp_path / "s.json", tmp_path / "s.png"
    save_session(path, session)
    code, _, err = run(capsys, "render", "--session", path, "-o", out)
    assert code == 0, err
    np.testing.assert_array_equal(png(out), render_request(model, RenderRequest(
        seed=9, truncation=0.7, workspace=ws)))
    strip = tmp_path / "strip.png"
    assert run(capsys, "render", "--session", path, "--strip", "1", "-o", strip)[0] == 0
    np.testing.assert_array_equal(png(strip), render_request(model, RenderRequest(
        seed=9, truncation=0.7, workspace=ws, output=StripSpec(1, tuple(
            float(a) for a in np.linspace(-3, 3, 7)), set_id=ws.ids[1]))))  # the selected set


def test_render_session_of_a_latent_face(files, model, tmp_path, capsys):
    z = model.sample_z(1, 14)[0].astype(np.float32)
    ws = two_sets(files, [(1, 0, 2.0)])
    path, out = tmp_path / "s.json", tmp_path / "s.png"
    save_session(path, WorkspaceSession(REF, ProjectedLatent("z", z, "me.png"), workspace=ws))
    assert run(capsys, "render", "--session", path, "-o", out)[0] == 0
    expected = render_request(model, RenderRequest(seed=14, workspace=ws))
    np.testing.assert_array_equal(png(out), expected)
    meta = read_image_metadata(out)
    assert meta["seed"] is None and meta["face"]["latent"]["source"] == "me.png"


def test_render_session_refuses_options_it_gives(tmp_path, capsys):
    path = tmp_path / "s.json"
    save_session(path, WorkspaceSession(REF, 1))
    out = tmp_path / "x.png"
    code, _, err = run(capsys, "render", "--session", path, "--seed", 3, "-o", out)
    assert code == 2 and "leave out --seed" in err and not out.exists()
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    code, _, err = run(capsys, "render", "--session", bad, "-o", out)
    assert code == 2 and "bad.json: not a guiapp session" in err and not out.exists()


def test_compare_finds_a_shuffled_copy_and_prints_the_table(files, tmp_path, capsys):
    ds = load_direction_set(files[0]).with_label(1, "smile")
    order = (2, 0, 3, 1)
    shuffled = type(ds)(ds.method, ds.space, ds.model_id, ds.params,
                        tuple(ds.directions[i] for i in order))
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    save_direction_set(a, ds)
    save_direction_set(b, shuffled.with_label(3, ""))
    code, out, err = run(capsys, "compare", REF, a, b, "--no-table", "--json")
    assert code == 0, err
    data = json.loads(out)
    (pair,) = data["pairs"]
    assert pair["by"] == "vectors"
    assert {(m["a"], m["b"]) for m in pair["matches"]} == {(i, order.index(i)) for i in order}
    assert all(m["cos"] > 0.999 for m in pair["matches"])
    code, text, err = run(capsys, "compare", REF, a, b, files[1], "--seeds", 3, "--count", 2)
    assert code == 0, err
    assert "random directions (baseline)" in text and "distinctness" in text
    assert text.count(" vs ") == 3  # every two of the three sets
    assert "1 'smile'" in text


def test_compare_needs_two_files(files, capsys):
    code, _, err = run(capsys, "compare", REF, files[0])
    assert code == 2 and "two or more direction files" in err
