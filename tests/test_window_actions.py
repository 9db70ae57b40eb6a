"""Every menu action and shortcut of the window, triggered through its QAction or its key
sequence; only the file dialogs are replaced. Outcomes are checked where a user sees them:
the file on disk, the image, the status bar."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QMessageBox
from window_support import (
    action_name,
    all_menu_actions,
    answer_dialogs,
    menu_action,
    png_pixels,
    settled,
    shown_pixels,
)

from guiapp.core.io import load_direction_set, read_png_metadata
from guiapp.core.seeds import SEED_MAX
from guiapp.core.session_io import load_session
from guiapp.ui.main_window import MainWindow
from guiapp.ui.settings import AppSettings

BIG_SEED = 3_000_000_000  # past QSpinBox's 2**31 - 1


@pytest.fixture
def window(qtbot, tmp_path):
    win = MainWindow(settings=AppSettings(tmp_path / "config"), offer_restore=False)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.model_ready, timeout=60_000):
        win.open_model()
    # the first image, and the load's own "finished" too (a job started before it would
    # take that signal for its own)
    qtbot.waitUntil(lambda: settled(win) and shown_pixels(win) is not None
                    and not win.runner.is_busy(), timeout=30_000)
    yield win
    win.close()


@pytest.fixture
def edited(window, qtbot):
    """The window with 4 SeFa directions, direction 1 labelled and moved to alpha 2."""
    with qtbot.waitSignal(window.runner.finished, timeout=60_000):
        window.run_method("sefa", {"k": 4})
    window.store.set_label(1, "smile")
    window.store.set_alpha(1, 2.0)
    qtbot.waitUntil(lambda: settled(window) and bool(window.last_result.request.edits),
                    timeout=30_000)
    return window


def press(qtbot, window: MainWindow, shortcut: str) -> None:
    """Type ``shortcut`` into the window, as a user does."""
    combo = QKeySequence(shortcut)[0]
    window.activateWindow()
    window.setFocus()
    qtbot.keyClick(window, combo.key(), combo.keyboardModifiers())


def wait_file(qtbot, path) -> None:
    qtbot.waitUntil(path.exists, timeout=30_000)


# -- File ---------------------------------------------------------------------------------
def test_save_image_from_the_menu_writes_what_the_window_shows(edited, qtbot, tmp_path,
                                                               monkeypatch):
    path = tmp_path / "menu.png"
    answer_dialogs(edited, monkeypatch, save=path)
    menu_action(edited, "Save image…").trigger()
    wait_file(qtbot, path)
    assert edited.last_error == ""
    assert np.array_equal(png_pixels(path), edited.last_result.image)
    assert np.array_equal(png_pixels(path), shown_pixels(edited))
    meta = read_png_metadata(path)
    assert meta["seed"] == edited.store.seed
    assert "smile" in json.dumps(meta)  # the edit's label travels with the image
    assert edited.status_label.text() == f"Saved {path}"


def test_save_image_shortcut_and_upscaled_save(edited, qtbot, tmp_path, monkeypatch):
    path = tmp_path / "shortcut.png"
    answer_dialogs(edited, monkeypatch, save=path)
    press(qtbot, edited, "Ctrl+Shift+S")
    wait_file(qtbot, path)
    assert png_pixels(path).shape == (64, 64, 3)

    big = tmp_path / "x4.png"
    answer_dialogs(edited, monkeypatch, save=big)
    menu_action(edited, "Save image upscaled ×4…").trigger()
    wait_file(qtbot, big)
    assert png_pixels(big).shape == (256, 256, 3)
    assert edited.last_error == ""


def test_save_and_open_session_from_the_menu(edited, qtbot, tmp_path, monkeypatch):
    path = tmp_path / "work.json"
    answer_dialogs(edited, monkeypatch, save=path)
    press(qtbot, edited, "Ctrl+S")
    assert path.is_file() and edited.status_label.text() == f"Saved the session to {path}"
    session, _ = load_session(path)
    assert session.direction_set.directions[1].label == "smile"

    store = edited.store
    store.reset_all()
    store.set_label(1, "")
    asked = answer_dialogs(edited, monkeypatch, open_=path)
    menu_action(edited, "Open session…").trigger()
    assert store.alpha(1) == 2.0 and store.label(1) == "smile", edited.last_error
    assert edited.status_label.text() == f"Opened the session {path}"
    assert asked[0][1].endswith("All files (*)")
    qtbot.waitUntil(lambda: settled(edited) and bool(edited.last_result.request.edits),
                    timeout=30_000)


def test_export_and_import_directions_from_the_menu(edited, qtbot, tmp_path, monkeypatch):
    path = tmp_path / "smile.npz"
    answer_dialogs(edited, monkeypatch, save=path)
    press(qtbot, edited, "Ctrl+E")
    assert load_direction_set(path).directions[1].label == "smile"
    assert edited.status_label.text() == f"Exported 4 directions to {path}"

    edited.store.set_label(1, "renamed")
    asked = answer_dialogs(edited, monkeypatch, open_=path)
    menu_action(edited, "Import directions…").trigger()
    assert edited.store.label(1) == "smile"
    assert edited.status_label.text().startswith(f"Imported 4 directions from {path}")
    assert asked[0][1].endswith("All files (*)")


def test_save_strip_and_grid_from_their_shortcuts(edited, qtbot, tmp_path, monkeypatch):
    strip = tmp_path / "strip.png"
    answer_dialogs(edited, monkeypatch, save=strip)
    press(qtbot, edited, "Ctrl+T")
    wait_file(qtbot, strip)
    alphas = list(edited.last_result.request.strip_alphas)
    assert png_pixels(strip).shape == (64, 64 * len(alphas), 3)

    grid = tmp_path / "grid.png"
    answer_dialogs(edited, monkeypatch, save=grid)
    with qtbot.waitSignal(edited.runner.finished, timeout=60_000):
        press(qtbot, edited, "Ctrl+G")
    assert png_pixels(grid).shape == (64 * 4, 64 * len(alphas), 3)
    assert edited.status_label.text() == f"Saved {grid}"
    assert edited.last_error == ""


def test_open_model_from_the_menu(window, qtbot, tmp_path, monkeypatch):
    from stylegan_fixtures import random_generator, write_nvidia_pickle

    path = write_nvidia_pickle(tmp_path / "tiny.pkl", random_generator(seed=5))
    monkeypatch.setattr(window.picker, "_ask_for_file", lambda: str(path))
    with qtbot.waitSignal(window.model_ready, timeout=60_000):
        press(qtbot, window, "Ctrl+O")
    assert window.store.model_ref == str(path)
    qtbot.waitUntil(lambda: settled(window), timeout=30_000)
    assert shown_pixels(window).shape == (16, 16, 3)


def test_quit_autosaves_and_closes(edited, qtbot):
    press(qtbot, edited, "Ctrl+Q")
    assert not edited.isVisible()
    session, _ = load_session(edited.settings.last_session_path)
    assert session.direction_set.directions[1].label == "smile"
    assert [(e.direction_index, e.alpha) for e in session.edits] == [(1, 2.0)]


# -- Edit and View --------------------------------------------------------------------------
def test_undo_redo_and_reset_all(edited, qtbot):
    store = edited.store
    store.end_gesture()
    store.set_alpha(2, -1.5)
    press(qtbot, edited, "Ctrl+Z")
    assert store.alpha(2) == 0.0
    press(qtbot, edited, "Ctrl+Shift+Z")
    assert store.alpha(2) == -1.5
    press(qtbot, edited, "Ctrl+R")
    assert [store.alpha(i) for i in range(4)] == [0.0] * 4
    menu_action(edited, "Undo").trigger()
    assert store.alpha(1) == 2.0 and store.alpha(2) == -1.5
    menu_action(edited, "Redo").trigger()
    menu_action(edited, "Reset all directions").trigger()  # nothing left to reset
    assert store.alpha(1) == 0.0


def test_ranking_plot_toggles(edited):
    action = menu_action(edited, "Ranking plot")
    assert edited.plot.isVisible()
    action.trigger()
    assert not edited.plot.isVisible() and not action.isChecked()
    action.trigger()
    assert edited.plot.isVisible()


def test_next_and_previous_seed_change_the_image(window, qtbot):
    before = shown_pixels(window)
    seed = window.store.seed
    press(qtbot, window, "Ctrl+Right")
    assert window.store.seed == seed + 1
    qtbot.waitUntil(lambda: settled(window) and window.last_result.request.seed == seed + 1,
                    timeout=30_000)
    assert not np.array_equal(shown_pixels(window), before)
    menu_action(window, "Previous seed").trigger()
    menu_action(window, "Previous seed").trigger()
    assert window.store.seed == (seed - 1) % (SEED_MAX + 1)
    menu_action(window, "Next seed").trigger()
    assert window.store.seed == seed


def test_every_menu_action_is_exercised_here(qtbot, tmp_path):
    """A new menu entry needs its own test above: this list is what they cover."""
    tested = {"Open model…", "Open session…", "Save session…", "Import directions…",
              "Export directions…", "Save image…", "Save image upscaled ×4…", "Save strip…",
              "Save grid…", "Quit", "Undo", "Redo", "Reset all directions", "Ranking plot",
              "Next seed", "Previous seed",
              # the workspace's entries (tests/test_window_workspace.py)
              "Clear all edits", "Rename set…", "Duplicate set", "Remove set", "Next set",
              "Previous set", "Compare sets",
              "Save animation…", "Export seeds…",  # hook: export (tests/test_window_export.py)
              "Open photo…"}  # hook: photos (tests/test_window_photo.py)
    win = MainWindow(settings=AppSettings(tmp_path), offer_restore=False)
    qtbot.addWidget(win)
    assert {action_name(a) for a in all_menu_actions(win)} == tested


# -- seeds --------------------------------------------------------------------------------
def test_a_seed_past_two_to_the_31_survives_restore_and_next(edited, qtbot, tmp_path,
                                                             monkeypatch):
    path = tmp_path / "big_seed.json"
    edited.store.set_seed(BIG_SEED)
    answer_dialogs(edited, monkeypatch, save=path, open_=path)
    menu_action(edited, "Save session…").trigger()
    edited.store.set_seed(7)
    menu_action(edited, "Open session…").trigger()
    seed_box = edited.image_view._seed
    assert edited.store.seed == BIG_SEED, edited.last_error
    assert seed_box.text() == "3000000000"

    edited.image_view._next.click()  # the button beside the box, then the View action
    assert edited.store.seed == BIG_SEED + 1 and seed_box.text() == "3000000001"
    menu_action(edited, "Next seed").trigger()
    assert seed_box.text() == "3000000002"
    qtbot.waitUntil(lambda: settled(edited)
                    and edited.last_result.request.seed == BIG_SEED + 2, timeout=30_000)

    edited.store.set_seed(SEED_MAX)
    edited.image_view._next.click()
    assert edited.store.seed == 0  # wraps at the one limit, not at 2**31
    edited.image_view._prev.click()
    assert seed_box.text() == str(SEED_MAX)


def test_typing_a_big_seed_into_the_box(window, qtbot):
    box = window.image_view._seed
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, "4000000000")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert window.store.seed == 4_000_000_000


# -- status bar and errors ----------------------------------------------------------------
def test_a_success_replaces_an_old_error_in_the_status_bar(edited, qtbot, tmp_path,
                                                           monkeypatch):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    answer_dialogs(edited, monkeypatch, open_=bad)
    menu_action(edited, "Open session…").trigger()
    assert "bad.json" in edited.status_label.text()
    good = tmp_path / "good.png"
    answer_dialogs(edited, monkeypatch, save=good)
    menu_action(edited, "Save image…").trigger()
    wait_file(qtbot, good)
    assert edited.status_label.text() == f"Saved {good}"


def test_a_bad_model_file_says_what_happened_without_class_names_or_tracebacks(
        window, qtbot, tmp_path, monkeypatch, caplog):
    hostile = tmp_path / "evil.pkl"
    hostile.write_bytes(b"\x80\x04cos\nsystem\n(S'echo pwned'\ntR.")
    monkeypatch.setattr(window.picker, "_ask_for_file", lambda: str(hostile))
    caplog.set_level(logging.INFO)
    with qtbot.waitSignal(window.runner.finished, timeout=60_000):
        menu_action(window, "Open model…").trigger()
    boxes = [w for w in window.findChildren(QMessageBox) if w.isVisible()]
    assert len(boxes) == 1
    box = boxes[0]
    assert box.windowTitle() == "Could not open the model"
    assert "evil.pkl" in box.text() and "os.system" in box.text()
    assert "Error" not in box.text() and "Something went wrong" not in box.text()
    assert "stays open" in box.informativeText()  # what to do, and that nothing was lost
    assert "Traceback" not in caplog.text
    assert window.loaded.ref == "builtin:dcgan-digiface"
    box.accept()


# -- drag and drop ------------------------------------------------------------------------
def drop(window: MainWindow, path) -> None:
    """Drag ``path`` over the window and drop it, as a file manager does: real drag and
    drop events handed to the window's handlers (Qt delivers drop events only during a
    drag its own drag manager runs, which a test cannot start)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    point, action = QPointF(50, 50), Qt.DropAction.CopyAction
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(point.toPoint(), action, mime, buttons, keys)
    enter.setAccepted(False)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()  # the cursor shows that the window takes the file
    window.dropEvent(QDropEvent(point, action, mime, buttons, keys))


def test_dropping_a_model_file_opens_it(window, qtbot, tmp_path):
    from stylegan_fixtures import random_generator, write_nvidia_pickle

    path = write_nvidia_pickle(tmp_path / "dropped.pkl", random_generator(seed=6))
    with qtbot.waitSignal(window.model_ready, timeout=60_000):
        drop(window, path)
    assert window.store.model_ref == str(path) and window.store.model_info.resolution == 16


def test_dropping_a_direction_set_imports_it(window, qtbot, tmp_path):
    from cli_support import discover_sefa

    path = discover_sefa(tmp_path)
    drop(window, path)
    assert len(window.store) == 4 and window.last_error == ""
    assert window.status_label.text().startswith(f"Imported 4 directions from {path}")
