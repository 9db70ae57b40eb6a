"""The workspace of direction sets as a user relies on it: each run adds a named set, sets
keep their own labels and edits, ids stay stable when one is removed, and edits across
sets are listed with their set."""

from __future__ import annotations

import numpy as np
import pytest

from guiapp.core.types import Direction, DirectionSet, Edit, LayerRange, ProjectedLatent, Session
from guiapp.core.workspace import SetEdit, Workspace, WorkspaceSession, set_name


def make_set(method: str = "sefa", k: int = 4, dim: int = 8, seed: int = 0,
             params: dict | None = None) -> DirectionSet:
    q, _ = np.linalg.qr(np.random.RandomState(seed).randn(dim, k))
    dirs = tuple(Direction(q[:, i].astype(np.float32), float(k - i)) for i in range(k))
    return DirectionSet(method, "w", "m", params or {}, dirs)


def test_set_names_come_from_the_method_and_its_settings():
    assert set_name("sefa", {"layers": [0, 4]}, "w", 18) == "SeFa · coarse layers"
    assert set_name("sefa", {"layers": [2, 6]}, "w", 18) == "SeFa · layers 2-5"
    assert set_name("ganspace", {"samples": 1_000_000}, "w") == "GANSpace · 1M in w"
    assert set_name("latentclr", {"model_type": "linear"}, "w") == "LatentCLR · linear"
    assert set_name("sefa", {"layers": None}, "w", 18) == "SeFa"


def test_each_run_adds_a_selected_set_and_earlier_sets_keep_labels_and_edits():
    ws, sefa = Workspace().add_set(make_set("sefa", params={"layers": [0, 4]}), num_ws=18)
    ws = ws.with_label(sefa, 1, "smile").set_edit(sefa, 1, 2.0, LayerRange(0, 4))
    ws, gs = ws.add_set(make_set("ganspace", seed=1, params={"samples": 1000}))
    assert ws.selected == gs and [s.name for s in ws.sets] == ["SeFa · coarse layers",
                                                               "GANSpace · 1k in w"]
    assert ws.get(sefa).directions.directions[1].label == "smile"
    assert ws.edits_for(sefa) == (Edit(1, 2.0, LayerRange(0, 4)),)
    ws, again = ws.add_set(make_set("ganspace", seed=2, params={"samples": 1000}))
    assert ws.get(again).name == "GANSpace · 1k in w (2)"


def test_removing_a_set_keeps_the_other_sets_ids_and_edits():
    ws = Workspace()
    ids = []
    for n in range(3):
        ws, i = ws.add_set(make_set(seed=n))
        ws = ws.set_edit(i, n, 1.0 + n)
        ids.append(i)
    before = ws
    ws = ws.remove_set(ids[1])
    assert ws.ids == (ids[0], ids[2])
    assert ws.edits_for(ids[2]) == (Edit(2, 3.0),)  # not renumbered
    assert ws.selected == ids[2]
    ws, new = ws.add_set(make_set(seed=9))
    assert new not in ids  # ids are never reused
    assert before.edits_for(ids[1]) == (Edit(1, 2.0),)  # the old workspace (undo) is intact


def test_the_selection_moves_to_a_neighbour_and_none_when_empty():
    ws, a = Workspace().add_set(make_set())
    ws, b = ws.add_set(make_set(seed=1))
    assert ws.remove_set(b).selected == a
    assert ws.select(a).remove_set(a).selected == b
    assert ws.remove_set(a).remove_set(b).selected is None
    with pytest.raises(KeyError):
        ws.select(99)


def test_active_edits_list_set_direction_label_and_alpha_and_clear_one():
    ws, a = Workspace().add_set(make_set(), "SeFa")
    ws, b = ws.add_set(make_set(seed=1), "GANSpace")
    ws = ws.with_label(b, 2, "age").set_edit(b, 2, -1.5).set_edit(a, 0, 0.0, LayerRange(1, 3))
    ws = ws.set_edit(a, 3, 0.5)
    rows = [(e.set_name, e.direction_index, e.label, e.alpha) for e in ws.active_edits()]
    assert rows == [("SeFa", 3, "", 0.5), ("GANSpace", 2, "age", -1.5)]  # alpha 0 is not active
    assert ws.edit_of(a, 0) == Edit(0, 0.0, LayerRange(1, 3))  # but its layers are kept
    ws = ws.clear_edit(b, 2)
    assert [e.set_id for e in ws.active_edits()] == [a]
    assert ws.set_edit(a, 3, 0.0).edit_of(a, 3) is None  # alpha 0, no layers: cleared
    with pytest.raises(IndexError):
        ws.set_edit(a, 4, 1.0)


def test_rename_and_duplicate():
    ws, a = Workspace().add_set(make_set())
    ws, b = ws.add_set(make_set(seed=1))
    ws = ws.set_edit(a, 1, 2.0, LayerRange(0, 2)).set_edit(a, 2, 1.0)
    ws = ws.rename_set(a, "  faces  ")
    assert ws.get(a).name == "faces"
    with pytest.raises(ValueError, match="needs a name"):
        ws.rename_set(a, " ")
    ws, c = ws.duplicate_set(a)
    assert ws.ids == (a, c, b) and ws.selected == c and ws.get(c).name == "faces (copy)"
    assert ws.edits_for(c) == (Edit(1, 0.0, LayerRange(0, 2)),)  # layers yes, alphas no


def test_a_workspace_refuses_edits_of_sets_or_directions_it_does_not_have():
    ws, a = Workspace().add_set(make_set(k=2))
    with pytest.raises(ValueError, match="not in the workspace"):
        Workspace(ws.sets, (SetEdit(7, Edit(0, 1.0)),), a, ws.next_id)
    with pytest.raises(ValueError, match="two edits"):
        Workspace(ws.sets, (SetEdit(a, Edit(0, 1.0)), SetEdit(a, Edit(0, 2.0))), a, ws.next_id)
    with pytest.raises(IndexError):
        ws.set_edit(a, 2, 1.0)


def test_a_v1_session_is_a_one_set_workspace_session_and_back():
    ds = make_set()
    old = Session("builtin:x", 5, 0.7, "const", ds, (Edit(1, 1.5),), 3, 2)
    new = WorkspaceSession.from_session(old)
    assert new.seed == 5 and new.latent is None and len(new.workspace) == 1
    assert new.workspace.edits_for(new.workspace.selected) == (Edit(1, 1.5),)
    assert new.to_session() == old
    face = ProjectedLatent("w", np.zeros(8, np.float32), "me.png")
    assert WorkspaceSession("m", face).latent is face
