"""Ask before a session replaces the workspace the user has named or edited.

Runs and imports add sets (nothing to ask); opening a session replaces every set, so when
the window's sets carry the user's work (a label, a moved alpha) the window asks first, in
a window-modal box that does not block the event loop. ``ask`` is the one method that
shows it, so tests answer it at that boundary.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from guiapp.ui.session_store import SessionStore

Answer = Callable[[bool], None]


class ReplaceGuard(QObject):
    """Decides whether a new set may replace the shown one, and replaces it undoably."""

    def __init__(self, store: SessionStore, window: QWidget) -> None:
        super().__init__(window)
        self.store, self.window = store, window

    def ask(self, title: str, text: str, answer: Answer) -> None:
        """Show the question; ``answer(True)`` once the user chooses Replace, ``answer(False)``
        for Cancel or Esc."""
        buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel
        box = QMessageBox(QMessageBox.Icon.Question, title, text, buttons, self.window)
        yes = box.button(QMessageBox.StandardButton.Yes)
        yes.setText("Replace")
        box.setDefaultButton(QMessageBox.StandardButton.Yes)  # undoable; Esc cancels
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _result: answer(box.clickedButton() is yes))
        box.open()

    def work_summary(self) -> str:
        """What the user would lose, in words: "2 names and 1 moved slider"."""
        ws = self.store.workspace
        named = sum(bool(d.label) for st in ws.sets for d in st.directions.directions)
        moved = len(ws.active_edits())
        parts = [f"{n} {word}{'s' if n != 1 else ''}"
                 for n, word in ((named, "name"), (moved, "moved slider")) if n]
        return " and ".join(parts)

    def confirm(self, action: str, proceed: Callable[[], object]) -> object:
        """Run ``proceed`` for ``action`` ("Opening work.json"), which replaces every set:
        now, returning its result, when the sets hold none of the user's work; else only
        once the user agrees (returning None now)."""
        if not self.store.has_work():
            return proceed()
        sets = len(self.store.workspace)
        text = (f"{action} replaces the {sets} direction set{'s' if sets != 1 else ''} "
                f"in the window, which have {self.work_summary()}.\n\n"
                "File → Save session… keeps them in a file first.")
        self.ask("Replace the directions?", text, lambda yes: proceed() if yes else None)
        return None
