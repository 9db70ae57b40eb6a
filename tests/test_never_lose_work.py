"""No action loses the user's work: a run or an import adds a set beside the named ones
(Ctrl+Z removes it again), a cancel keeps everything, opening a session over named sets
asks first, and closing keeps a name typed without Enter. On the built-in model, through
the real worker threads and the window's actions."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox
from window_support import open_window

from guiapp.core.io import save_direction_set
from guiapp.core.methods import run_method
from guiapp.core.session_io import load_session
from guiapp.core.types import Direction, DirectionSet, LayerRange, ModelInfo
from guiapp.ui.main_window import MainWindow
from guiapp.ui.session_store import SessionStore

STYLE = ModelInfo("s", "f", 256, 512, 512, 14, "abc")


def style_set(k: int, method: str = "sefa") -> DirectionSet:
    vectors = np.eye(k, 512, dtype=np.float32)
    return DirectionSet(method, "w", "abc", {}, tuple(Direction(v, 1.0) for v in vectors))


# -- the store: adding a set is one undo step, the others keep everything ---------------------
def test_adding_a_set_is_one_undo_step_and_the_named_set_keeps_everything(qtbot):
    store = SessionStore()
    store.set_model("m", STYLE)
    store.set_direction_set(style_set(3))
    assert not store.has_work()
    store.set_label(1, "smile")
    store.set_alpha(2, -1.5)
    store.set_layers(2, LayerRange(4, 8))
    store.select(2)
    named = store.workspace
    assert store.has_work()

    store.add_set(style_set(5, "ganspace"), text="GANSpace directions")
    assert len(store) == 5 and store.direction_set.method == "ganspace"
    assert store.edits() == () and store.selected == 0
    assert store.undo_stack.undoText() == "GANSpace directions"
    assert len(store.workspace) == 2 and store.workspace.sets[0] == named.sets[0]

    store.undo_stack.undo()
    assert store.workspace == named  # the set with its label, alphas, layers
    assert store.label(1) == "smile" and store.alpha(2) == -1.5
    assert store.layers(2) == LayerRange(4, 8) and store.selected == 2
    store.undo_stack.redo()
    assert len(store) == 5 and store.direction_set.method == "ganspace"
    store.undo_stack.undo()
    store.undo_stack.undo()  # the older steps still undo, in order: the layer range
    assert store.layers(2) == LayerRange(0, 14) and store.alpha(2) == -1.5


# -- the window ------------------------------------------------------------------------------
class Answers:
    """Stands in for the replace question at its boundary (ReplaceGuard.ask): the user
    reads ``text`` and answers at once."""

    def __init__(self, answer: bool) -> None:
        self.answer, self.asked = answer, []

    def __call__(self, title: str, text: str, answer) -> None:
        self.asked.append(text)
        answer(self.answer)


@pytest.fixture
def window(qtbot, tmp_path):
    win = open_window(qtbot, tmp_path / "config")
    yield win
    win.close()


def action(window: MainWindow, key: QKeySequence.StandardKey) -> QAction:
    """The window's own menu action bound to a standard shortcut (Undo, Redo)."""
    wanted = QKeySequence(key)
    found = [a for a in window.findChildren(QAction) if a.shortcut() == wanted]
    assert len(found) == 1, [a.text() for a in found]
    return found[0]


def named_sefa_set(window: MainWindow, qtbot, k: int = 6) -> DirectionSet:
    """Run SeFa, name direction 0 and move direction 1, as a user would."""
    with qtbot.waitSignal(window.runner.finished, timeout=30_000):
        assert window.run_method("sefa", {"k": k}) is not None
    store = window.store
    store.set_label(0, "head turn")
    store.set_alpha(1, 2.0)
    return store.direction_set


def test_running_a_method_over_named_directions_adds_a_set_without_asking(window, qtbot):
    store = window.store
    named = named_sefa_set(window, qtbot)
    window.guard.ask = asked = Answers(False)
    with qtbot.waitSignal(window.runner.finished, timeout=60_000):
        assert window.run_method("ganspace", {"k": 4, "samples": 2_000}) is not None
    assert asked.asked == []
    assert [s.directions.method for s in store.workspace.sets] == ["sefa", "ganspace"]
    assert store.workspace.sets[0].directions is named
    assert store.workspace.edit_of(store.workspace.ids[0], 1).alpha == 2.0


def open_question(window: MainWindow) -> QMessageBox:
    """The question box open over ``window`` (its own children only: walking every
    top-level widget of the test run also wraps windows of earlier tests)."""
    boxes = [w for w in window.findChildren(QMessageBox) if w.isVisible()]
    assert len(boxes) == 1
    return boxes[0]


def test_opening_a_session_over_named_sets_asks_without_blocking(window, qtbot, tmp_path):
    store = window.store
    path = tmp_path / "earlier.json"
    named_sefa_set(window, qtbot)
    assert window.files.save_session(str(path))
    store.set_label(0, "renamed")
    window.files.open_session_file(path)  # returns at once: the box is open
    box = open_question(window)
    assert "1 name and 1 moved slider" in box.text() and "1 direction set" in box.text()
    qtbot.keyClick(box, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not box.isVisible())
    assert store.label(0) == "renamed"

    window.files.open_session_file(path)
    box = open_question(window)
    replace = box.button(QMessageBox.StandardButton.Yes)
    assert replace.text() == "Replace"
    replace.click()
    assert store.label(0) == "head turn" and store.alpha(1) == 2.0, window.last_error


def test_undo_after_a_run_removes_its_set_and_shows_the_named_one(window, qtbot):
    store = window.store
    named = named_sefa_set(window, qtbot)
    with qtbot.waitSignal(window.runner.finished, timeout=60_000):
        window.run_method("ganspace", {"k": 4, "samples": 2_000})
    assert store.direction_set.method == "ganspace" and len(store) == 4
    assert "Ctrl+Z" in window.status_label.text()

    action(window, QKeySequence.StandardKey.Undo).trigger()
    assert store.direction_set is named and len(store.workspace) == 1
    assert store.label(0) == "head turn" and store.alpha(1) == 2.0
    assert window.direction_list.row(0).label_edit.text() == "head turn"
    action(window, QKeySequence.StandardKey.Redo).trigger()
    assert store.direction_set.method == "ganspace" and len(store) == 4


def test_cancelling_a_run_keeps_the_named_set_and_its_history(window, qtbot):
    store = window.store
    named = named_sefa_set(window, qtbot)
    window.guard.ask = Answers(True)
    window.run_method("ganspace", {"k": 10, "samples": 400_000})  # runs for many seconds
    qtbot.waitUntil(window.cancel_button.isVisible, timeout=10_000)
    with qtbot.waitSignal(window.runner.finished, timeout=30_000):
        window.cancel_button.click()
    assert window.status_label.text() == "Cancelled"
    assert store.direction_set is named and store.alpha(1) == 2.0
    action(window, QKeySequence.StandardKey.Undo).trigger()  # the history is intact
    assert store.alpha(1) == 0.0 and store.label(0) == "head turn"


def test_keeping_the_best_on_cancel_replaces_the_set_undoably(window, qtbot):
    store = window.store
    named = named_sefa_set(window, qtbot)
    window.guard.ask = Answers(True)
    window.run_method("latentclr", {"k": 4, "batch": 4, "iterations": 1_000_000,
                                    "eval_samples": 8, "keep_best_on_cancel": True})
    qtbot.waitUntil(lambda: len(window.plot.training.history()[0]) >= 1, timeout=60_000)
    with qtbot.waitSignal(window.runner.finished, timeout=60_000):
        window.cancel_button.click()
    assert store.direction_set.method == "latentclr" and store.direction_set.plot["cancelled"]
    assert window.status_label.text().startswith("Cancelled after")
    action(window, QKeySequence.StandardKey.Undo).trigger()
    assert store.direction_set is named and store.label(0) == "head turn"


def test_importing_adds_a_set_and_undo_removes_it(window, qtbot, tmp_path):
    store = window.store
    path = tmp_path / "other.npz"
    save_direction_set(path, run_method(window.loaded.model, "ganspace",
                                        {"k": 3, "samples": 2_000}))
    named = named_sefa_set(window, qtbot)
    window.files.import_directions(str(path))
    assert store.direction_set.method == "ganspace" and len(store) == 3
    assert store.workspace.sets[0].directions is named
    action(window, QKeySequence.StandardKey.Undo).trigger()
    assert store.direction_set is named and store.alpha(1) == 2.0
    assert len(store.workspace) == 1


def test_a_name_typed_without_enter_is_kept_by_saves_and_by_closing(window, qtbot, tmp_path):
    named_sefa_set(window, qtbot)
    edit = window.direction_list.row(2).label_edit
    edit.setText("lighting")  # typed; Enter not pressed, the field still being edited
    assert window.store.label(2) == ""
    assert window.files.save_session(str(tmp_path / "s.json"))
    assert load_session(tmp_path / "s.json")[0].direction_set.directions[2].label == "lighting"

    window.direction_list.row(3).label_edit.setText("age")
    window.close()  # autosaves
    session, _ = load_session(window.settings.last_session_path)
    labels = [d.label for d in session.direction_set.directions]
    assert labels[:4] == ["head turn", "", "lighting", "age"]
