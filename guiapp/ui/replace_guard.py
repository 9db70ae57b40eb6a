"""Ask before a new direction set replaces one the user has named or edited.

Until the window holds several sets at once, a method's result or an imported file takes
the place of the shown set. That is one undo step (:meth:`SessionStore.replace_direction_set`),
and when the shown set carries the user's work (a label, a moved alpha) the window asks
first. ``ask`` is the one method that shows a dialog, so tests answer it at that boundary.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox, QWidget

from guiapp.ui.session_store import SessionStore


class ReplaceGuard(QObject):
    """Decides whether a new set may replace the shown one, and replaces it undoably."""

    def __init__(self, store: SessionStore, window: QWidget) -> None:
        super().__init__(window)
        self.store, self.window = store, window

    def ask(self, title: str, text: str) -> bool:
        """The question, as a modal box; True for "Replace"."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text,
                          QMessageBox.StandardButton.NoButton, self.window)
        replace = box.addButton("Replace", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(replace)
        box.exec()
        return box.clickedButton() is replace

    def work_summary(self) -> str:
        """What the user would lose, in words: "2 names and 1 moved slider"."""
        state = self.store.state()
        ds = state.direction_set
        named = sum(bool(d.label) for d in ds.directions) if ds is not None else 0
        moved = sum(a != 0 for a in state.alphas)
        parts = [f"{n} {word}{'s' if n != 1 else ''}"
                 for n, word in ((named, "name"), (moved, "moved slider")) if n]
        return " and ".join(parts)

    def allow(self, action: str) -> bool:
        """True if ``action`` ("Running SeFa") may replace the shown set: it has no work
        of the user's, or the user said so."""
        if not self.store.has_work():
            return True
        text = (f"{action} replaces the shown directions, which have "
                f"{self.work_summary()}.\n\nEdit → Undo (Ctrl+Z) brings them back "
                "afterwards; Export directions… keeps them in a file.")
        return self.ask("Replace the directions?", text)

    def replace(self, ds: object, text: str) -> bool:
        """Show ``ds`` as one undo step; True when the replaced set had the user's work
        (so the caller can say how to get it back)."""
        had_work = self.store.has_work()
        self.store.replace_direction_set(ds, text)  # type: ignore[arg-type]
        return had_work
