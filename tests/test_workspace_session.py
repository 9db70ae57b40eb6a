"""Session format 2: a workspace of many sets with their labels, edits naming their set,
the face (a seed or a latent), class and truncation survive a save and load; a session
of format 1, as guiapp wrote it before workspaces, still opens."""

from __future__ import annotations

import json

import numpy as np
import pytest

from guiapp.core.safe_files import FileFormatError
from guiapp.core.session_io import load_session, load_workspace_session, save_session
from guiapp.core.types import (
    Direction,
    DirectionSet,
    Edit,
    LayerRange,
    ProjectedLatent,
    Ranking,
    Session,
)
from guiapp.core.workspace import Workspace, WorkspaceSession


def make_set(method: str, seed: int, k: int = 3, dim: int = 6) -> DirectionSet:
    q, _ = np.linalg.qr(np.random.RandomState(seed).randn(dim, k))
    dirs = tuple(Direction(q[:, i].astype(np.float32), float(k - i), unit_scale=1.0 + i,
                           default_layers=LayerRange(0, 2) if i == 0 else None)
                 for i in range(k))
    return DirectionSet(method, "w", "abc", {"k": k}, dirs,  # hook: typed results
                        Ranking("eigenvalues", (3.0, 2.0, 1.0)))


def three_sets() -> tuple[Workspace, list[int]]:
    ws, ids = Workspace(), []
    for n, method in enumerate(("sefa", "ganspace", "latentclr")):
        ws, i = ws.add_set(make_set(method, n))
        ids.append(i)
    ws = ws.with_label(ids[0], 1, "smile").with_label(ids[1], 0, "age")
    ws = ws.set_edit(ids[0], 1, 1.5).set_edit(ids[1], 0, -2.0, LayerRange(1, 4))
    ws = ws.set_edit(ids[2], 2, 0.0, LayerRange(0, 1)).rename_set(ids[2], "mine")
    return ws.select(ids[0]), ids


def test_a_workspace_session_round_trips(tmp_path):
    ws, ids = three_sets()
    ws = ws.remove_set(ids[1])  # ids stay as they were: 1 and 3
    session = WorkspaceSession("builtin:x", 41, 0.6, "const", ws, 3, 2)
    path = tmp_path / "s.json"
    save_session(path, session, {"selected": 1})
    back, extra = load_workspace_session(path)
    assert extra == {"selected": 1}
    assert back.face == 41 and back.truncation == 0.6 and back.truncation_cutoff == 3
    assert back.class_index == 2 and back.workspace.ids == (ids[0], ids[2])
    assert back.workspace.selected == ids[0] and back.workspace.next_id == ws.next_id
    assert [s.name for s in back.workspace.sets] == [s.name for s in ws.sets]
    assert back.workspace.edits == ws.edits
    assert back.workspace.get(ids[0]).directions.directions[1].label == "smile"
    for a, b in zip(back.workspace.sets, ws.sets, strict=True):
        np.testing.assert_array_equal(a.directions.vectors, b.directions.vectors)
    data = json.loads(path.read_text())
    assert data["version"] == 2 and [e["set"] for e in data["edits"]] == [ids[0], ids[2]]
    one, _ = load_session(path)  # the one-set view the current window reads
    assert one.direction_set.directions[1].label == "smile" and one.edits == (Edit(1, 1.5),)


def test_a_latent_face_round_trips_bit_for_bit(tmp_path):
    arr = np.random.RandomState(0).randn(4, 6).astype(np.float32)
    face = ProjectedLatent("w+", arr, "me.png", "ab" * 32)
    path = tmp_path / "s.json"
    save_session(path, WorkspaceSession("m", face, workspace=three_sets()[0]))
    back, _ = load_workspace_session(path)
    assert back.seed is None and back.latent.space == "w+" and back.latent.source == "me.png"
    assert back.latent.sha256 == "ab" * 32
    np.testing.assert_array_equal(back.latent.array, arr)


def v1_text(ds: DirectionSet) -> str:
    """A session exactly as guiapp's format 1 wrote it (keys and nesting as in 0.x)."""
    from guiapp.core.direction_meta import direction_set_meta

    return json.dumps({
        "format": "guiapp.session", "version": 1, "app_version": "0.9.0",
        "model_ref": "builtin:dcgan-digiface", "model_sha256": "abc", "seed": 17,
        "truncation": 0.7, "truncation_cutoff": None, "class_index": 0, "noise_mode": "const",
        "direction_set": {"vectors": ds.vectors.tolist(), "scores": ds.scores.tolist(),
                          "meta": direction_set_meta(ds)},
        "edits": [{"index": 2, "alpha": 1.25, "layers": None},
                  {"index": 0, "alpha": -0.5, "layers": [0, 1]}],
        "extra": {"selected": 2},
    }, indent=1)


def test_a_format_1_session_opens_as_a_one_set_workspace(tmp_path):
    ds = make_set("sefa", 5).with_label(2, "glasses")
    path = tmp_path / "old.json"
    path.write_text(v1_text(ds))
    back, extra = load_workspace_session(path)
    assert extra == {"selected": 2} and back.face == 17 and back.truncation == 0.7
    ws = back.workspace
    assert len(ws) == 1 and ws.selected == ws.ids[0] and ws.get(ws.selected).name == "SeFa"
    assert ws.edits_for(ws.selected) == (Edit(2, 1.25), Edit(0, -0.5, LayerRange(0, 1)))
    assert ws.get(ws.selected).directions.directions[2].label == "glasses"
    old_view, _ = load_session(path)
    assert old_view == Session("builtin:dcgan-digiface", 17, 0.7, "const",
                               old_view.direction_set, ws.edits_for(ws.selected))


@pytest.mark.parametrize("change, says", [
    (lambda d: d["edits"][0].update(set=99), "set 99"),
    (lambda d: d.update(selected_set=5), "selected set 5"),
    (lambda d: d["sets"][1].update(id=d["sets"][0]["id"]), "share one id"),
    (lambda d: d.update(version=3), "newer guiapp"),
])
def test_a_damaged_v2_session_is_one_message_naming_the_file(tmp_path, change, says):
    path = tmp_path / "bad.json"
    save_session(path, WorkspaceSession("m", 1, workspace=three_sets()[0]))
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    with pytest.raises(FileFormatError, match=rf"^bad\.json: .*{says}"):
        load_workspace_session(path)
