"""The workspace in the window, driven as a user does (menu actions, the method panel, the
set picker; only dialogs answered at their boundary): every run adds a set, earlier sets
keep their labels, edits of several sets apply at once and equal core's render of the same
workspace, sessions keep every set, and every change (removal included) is undoable."""

from __future__ import annotations

import numpy as np
import pytest
from window_support import (
    answer_dialogs,
    menu_action,
    open_window,
    png_pixels,
    settled,
    shown_pixels,
)

from guiapp.core.image_metadata import read_image_metadata
from guiapp.core.models.registry import load_model
from guiapp.core.render import render_request
from guiapp.core.session_io import load_workspace_session
from guiapp.core.types import RenderRequest


@pytest.fixture
def window(qtbot, tmp_path):
    win = open_window(qtbot, tmp_path / "config")
    yield win
    win.close()


def run(window, qtbot, method: str, params: dict) -> None:
    sets = len(window.store.workspace)
    with qtbot.waitSignal(window.runner.finished, timeout=60_000):
        window.run_method(method, params)
    assert len(window.store.workspace) == sets + 1, window.last_error
    qtbot.waitUntil(lambda: settled(window), timeout=30_000)


@pytest.fixture
def two_sets(window, qtbot):
    """SeFa (direction 1 named "smile" at alpha 2), then GANSpace (direction 0 at -1.5)."""
    store = window.store
    run(window, qtbot, "sefa", {"k": 4})
    store.set_label(1, "smile")
    store.set_alpha(1, 2.0)
    run(window, qtbot, "ganspace", {"k": 5, "samples": 2000})
    store.set_alpha(0, -1.5)
    qtbot.waitUntil(lambda: settled(window) and len(window.last_result.request.workspace
                                                     .active_edits()) == 2, timeout=30_000)
    return window


def core_image(window) -> np.ndarray:
    """What core renders for the window's workspace, on a model loaded apart."""
    store = window.store
    model = load_model(store.model_ref)
    req = RenderRequest(seed=store.seed, truncation=store.truncation,
                        workspace=store.workspace, class_index=store.class_index)
    return render_request(model, req)


def test_each_run_adds_a_set_and_the_earlier_labels_stay(two_sets):
    store, picker = two_sets.store, two_sets.sets
    names = [s.name for s in store.workspace.sets]
    assert names[0].startswith("SeFa") and names[1].startswith("GANSpace")
    assert picker.names() == [f"{n}  ({k})" for n, k in zip(names, (4, 5), strict=True)]
    assert store.direction_set.method == "ganspace"
    assert len(two_sets.direction_list.built_rows()) == 5
    assert two_sets.status_label.text().endswith("(Ctrl+Z removes it)")

    picker.combo.activated.emit(0)  # the user picks SeFa in the set picker
    assert store.direction_set.method == "sefa"
    assert store.label(1) == "smile" and store.alpha(1) == 2.0
    assert two_sets.direction_list.row(1).label_edit.text() == "smile"


def test_edits_of_two_sets_render_together_as_core_does(two_sets, qtbot):
    image = two_sets.last_result.image
    np.testing.assert_array_equal(image, core_image(two_sets))
    np.testing.assert_array_equal(shown_pixels(two_sets), image)
    summary = two_sets.active_edits.edits()
    assert [(e.set_name.split(" ")[0], e.direction_index, e.label, e.alpha) for e in summary] == [
        ("SeFa", 1, "smile", 2.0), ("GANSpace", 0, "", -1.5)]

    two_sets.active_edits.jump_to(summary[0])  # click the SeFa edit in the summary
    assert two_sets.store.direction_set.method == "sefa" and two_sets.store.selected == 1
    two_sets.active_edits.list.setCurrentRow(1)
    two_sets.active_edits.clear_current()  # the GANSpace edit goes, SeFa's stays
    assert [e.direction_index for e in two_sets.store.active_edits()] == [1]
    menu_action(two_sets, "Undo").trigger()
    assert len(two_sets.store.active_edits()) == 2


def test_saved_image_records_every_edit_with_its_set(two_sets, qtbot, tmp_path, monkeypatch):
    path = tmp_path / "both.png"
    answer_dialogs(two_sets, monkeypatch, save=path)
    menu_action(two_sets, "Save image…").trigger()
    qtbot.waitUntil(path.exists, timeout=30_000)
    np.testing.assert_array_equal(png_pixels(path), core_image(two_sets))
    meta = read_image_metadata(path)
    edits = [(e["set_name"].split(" ")[0], e["index"], e["alpha"], e["label"])
             for e in meta["edits"]]
    assert edits == [("SeFa", 1, 2.0, "smile"), ("GANSpace", 0, -1.5, "")]


def test_session_keeps_every_set_and_edit(two_sets, qtbot, tmp_path, monkeypatch):
    path = tmp_path / "work.json"
    answer_dialogs(two_sets, monkeypatch, save=path, open_=path)
    menu_action(two_sets, "Save session…").trigger()
    saved, _ = load_workspace_session(path)
    assert [s.name for s in saved.workspace.sets] == [s.name for s in
                                                      two_sets.store.workspace.sets]
    before = two_sets.last_result.image

    store = two_sets.store
    menu_action(two_sets, "Remove set").trigger()
    menu_action(two_sets, "Remove set").trigger()
    assert len(store.workspace) == 0 and len(store) == 0
    menu_action(two_sets, "Open session…").trigger()
    assert len(store.workspace) == 2, two_sets.last_error
    assert store.workspace.get(store.workspace.ids[0]).directions.directions[1].label == "smile"
    qtbot.waitUntil(lambda: settled(two_sets), timeout=30_000)
    np.testing.assert_array_equal(two_sets.last_result.image, before)


def test_undo_brings_a_removed_set_back_with_its_labels_and_edits(two_sets, qtbot):
    store = two_sets.store
    store.select_set(store.workspace.ids[0])
    menu_action(two_sets, "Remove set").trigger()
    assert [s.name.split(" ")[0] for s in store.workspace.sets] == ["GANSpace"]
    assert len(store.active_edits()) == 1
    menu_action(two_sets, "Undo").trigger()
    assert [s.name.split(" ")[0] for s in store.workspace.sets] == ["SeFa", "GANSpace"]
    assert store.direction_set.method == "sefa" and store.label(1) == "smile"
    assert len(store.active_edits()) == 2
    qtbot.waitUntil(lambda: settled(two_sets), timeout=30_000)
    np.testing.assert_array_equal(two_sets.last_result.image, core_image(two_sets))


def test_undo_after_a_run_removes_its_set_only(two_sets):
    store = two_sets.store
    menu_action(two_sets, "Undo").trigger()  # GANSpace's alpha
    menu_action(two_sets, "Undo").trigger()  # the GANSpace run
    assert [s.name.split(" ")[0] for s in store.workspace.sets] == ["SeFa"]
    assert store.label(1) == "smile" and store.alpha(1) == 2.0


def test_rename_and_duplicate_from_the_menu(two_sets, monkeypatch):
    store = two_sets.store
    monkeypatch.setattr(two_sets.sets, "ask_name", lambda title, current: "  my set ")
    menu_action(two_sets, "Rename set…").trigger()
    assert store.workspace.selected_set.name == "my set"
    assert two_sets.sets.combo.currentText().startswith("my set")
    menu_action(two_sets, "Duplicate set").trigger()
    assert [s.name for s in store.workspace.sets][1:] == ["my set", "my set (copy)"]
    assert store.alpha(0) == 0.0  # a copy does not double the edit
    menu_action(two_sets, "Previous set").trigger()
    assert store.workspace.selected_set.name == "my set" and store.alpha(0) == -1.5
    menu_action(two_sets, "Next set").trigger()
    menu_action(two_sets, "Undo").trigger()  # the duplicate
    menu_action(two_sets, "Undo").trigger()  # the rename
    assert [s.name.split(" ")[0] for s in store.workspace.sets] == ["SeFa", "GANSpace"]


def test_clear_all_edits_from_the_menu(two_sets, qtbot):
    menu_action(two_sets, "Clear all edits").trigger()
    assert two_sets.store.active_edits() == ()
    qtbot.waitUntil(lambda: settled(two_sets), timeout=30_000)
    np.testing.assert_array_equal(two_sets.last_result.image, two_sets.last_result.original)
    menu_action(two_sets, "Undo").trigger()
    assert len(two_sets.store.active_edits()) == 2


def test_a_format_1_session_opens_as_one_set(window, qtbot, tmp_path, monkeypatch):
    """A session as guiapp 0.x wrote it (format 1, one set, literal JSON) opens in the
    window as a one-set workspace with its label, edits and selected row."""
    import json

    from guiapp.core.direction_meta import direction_set_meta
    from guiapp.core.methods import run_method

    ds = run_method(window.loaded.model, "sefa", {"k": 4}).with_label(2, "glasses")
    path = tmp_path / "old.json"
    path.write_text(json.dumps({
        "format": "guiapp.session", "version": 1, "app_version": "0.9.0",
        "model_ref": "builtin:dcgan-digiface", "model_sha256": ds.model_id, "seed": 17,
        "truncation": 0.7, "truncation_cutoff": None, "class_index": 0, "noise_mode": "const",
        "direction_set": {"vectors": ds.vectors.tolist(), "scores": ds.scores.tolist(),
                          "meta": direction_set_meta(ds)},
        "edits": [{"index": 2, "alpha": 1.25, "layers": None},
                  {"index": 0, "alpha": -0.5, "layers": None}],
        "extra": {"selected": 2}}))
    answer_dialogs(window, monkeypatch, open_=path)
    menu_action(window, "Open session…").trigger()
    store = window.store
    assert len(store.workspace) == 1 and store.seed == 17, window.last_error
    assert store.label(2) == "glasses" and store.selected == 2
    assert (store.alpha(2), store.alpha(0)) == (1.25, -0.5)
    assert window.sets.names() == ["SeFa  (4)"]
    qtbot.waitUntil(lambda: settled(window) and window.last_result.request.seed == 17,
                    timeout=30_000)
    np.testing.assert_array_equal(window.last_result.image, core_image(window))
