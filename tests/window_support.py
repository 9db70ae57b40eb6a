"""Driving the real window as a user does: its menu actions, file dialogs replaced at their
boundary, and ``guiapp.app.main`` run in this process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from PySide6.QtCore import QCoreApplication, QEvent, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication

from guiapp.ui.main_window import MainWindow
from guiapp.ui.settings import AppSettings

MAIN_TIMEOUT_MS = 120_000  # a guard against a hung test, not a measurement


def action_name(action: QAction) -> str:
    """What the menu shows, without ``&`` mnemonics; Undo and Redo without the command
    they would undo ("Undo reset all" -> "Undo")."""
    text = action.text().replace("&", "")
    first = text.split(" ", 1)[0]
    return first if first in ("Undo", "Redo") else text


def menu_action(window: MainWindow, name: str) -> QAction:
    """The menu bar's action called ``name`` (see :func:`action_name`)."""
    found = [a for a in all_menu_actions(window) if action_name(a) == name]
    assert len(found) == 1, f"{name!r}: {[a.text() for a in all_menu_actions(window)]}"
    return found[0]


def all_menu_actions(window: MainWindow) -> list[QAction]:
    """Every action in every menu of the menu bar, separators left out."""
    actions = []
    for top in window.menuBar().actions():
        actions += [a for a in top.menu().actions() if not a.isSeparator()]
    return actions


def answer_dialogs(window: MainWindow, monkeypatch: Any, save: Path | None = None,
                   open_: Path | None = None, replace: bool = True) -> list[tuple[str, str]]:
    """Replace the file dialogs and the "Replace the directions?" question (only them)
    with the user's answers; returns a log of the (title, filter) each was asked with."""
    asked: list[tuple[str, str]] = []

    def ask_replace(title: str, text: str, answer: Callable[[bool], None]) -> None:
        asked.append((title, text))
        answer(replace)

    monkeypatch.setattr(window.guard, "ask", ask_replace)

    def ask_save(title: str, filter_: str, default_name: str) -> str | None:
        asked.append((title, filter_))
        return None if save is None else str(save)

    def ask_open(title: str, filter_: str) -> str | None:
        asked.append((title, filter_))
        return None if open_ is None else str(open_)

    monkeypatch.setattr(window.files, "ask_save_path", ask_save)
    monkeypatch.setattr(window.files, "ask_open_path", ask_open)
    return asked


def shown_pixels(window: MainWindow) -> np.ndarray | None:
    """The edited image the window shows, as (H, W, 3) uint8 (None before the first)."""
    pixmap = window.image_view.current_pixmap()
    if pixmap is None or pixmap.isNull():
        return None
    from PySide6.QtGui import QImage

    image = pixmap.toImage().convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1)
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()


def png_pixels(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def settled(window: MainWindow) -> bool:
    """The newest render requested has arrived, in full (not a drag preview)."""
    last = window.last_result
    return (last is not None and window.last_result_id == window.render_queue.latest_id
            and last.preview_resolution is None)


def open_window(qtbot: Any, config: Path, offer_restore: bool = False) -> MainWindow:
    """A window with its settings in ``config``, on the built-in model, first image shown."""
    win = MainWindow(settings=AppSettings(config), offer_restore=offer_restore)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.model_ready, timeout=60_000):
        win.open_model()
    # the first image has come, and the load's own "finished" too
    qtbot.waitUntil(lambda: settled(win) and not win.runner.is_busy(), timeout=30_000)
    return win


def run_sefa_from_panel(window: MainWindow, qtbot: Any, k: int) -> None:
    """SeFa with ``k`` directions through the method panel's Run button."""
    panel = window.methods
    panel._tabs.setCurrentIndex(1)
    panel._sefa_k.setValue(k)
    with qtbot.waitSignal(window.runner.finished, timeout=60_000):
        panel._run.click()
    qtbot.waitUntil(lambda: len(window.store) == k and settled(window), timeout=30_000)


def run_main(argv: list[str], script: Callable[[MainWindow], None]) -> int:
    """Run ``guiapp.app.main(argv)`` here until ``script(window)`` (called once the event
    loop runs) returns; then close the window and end the loop. Returns main's exit code;
    an exception in ``script`` is raised here."""
    from guiapp.app import main

    app = QApplication.instance()
    outcome: dict[str, Any] = {}

    def drive() -> None:
        windows = [w for w in app.topLevelWidgets()
                   if isinstance(w, MainWindow) and w.isVisible()]
        try:
            assert len(windows) == 1, windows
            outcome["window"] = windows[0]
            script(windows[0])
        except BaseException as exc:  # re-raised once the loop has ended
            outcome["error"] = exc
        finally:
            for w in windows:
                w.close()
            app.quit()

    def give_up() -> None:
        outcome.setdefault("error", AssertionError("main() did not finish in time"))
        for w in app.topLevelWidgets():
            if isinstance(w, MainWindow):
                w.close()
        app.quit()

    QTimer.singleShot(0, drive)
    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(give_up)
    guard.start(MAIN_TIMEOUT_MS)
    try:
        code = main(argv)
    finally:
        guard.stop()
        # Closing the last window posts a Quit event that outlives main()'s loop; left
        # there, it would end the next test's event loop at once.
        QCoreApplication.removePostedEvents(None, QEvent.Type.Quit)
    if "error" in outcome:
        raise outcome["error"]
    return code
