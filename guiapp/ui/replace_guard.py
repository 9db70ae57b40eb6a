"""Ask before a new direction set replaces one the user has named or edited.

Until the window holds several sets at once, a method's result or an imported file takes
the place of the shown set. That is one undo step (:meth:`SessionStore.replace_direction_set`),
and when the shown set carries the user's work (a label, a moved alpha) the window asks
first, in a window-modal box that does not block the event loop. ``ask`` is the one method
that shows it, so tests answer it at that boundary.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from guiapp.core.types import DirectionSet
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
        state = self.store.state()
        ds = state.direction_set
        named = sum(bool(d.label) for d in ds.directions) if ds is not None else 0
        moved = sum(a != 0 for a in state.alphas)
        parts = [f"{n} {word}{'s' if n != 1 else ''}"
                 for n, word in ((named, "name"), (moved, "moved slider")) if n]
        return " and ".join(parts)

    def confirm(self, action: str, proceed: Callable[[], object]) -> object:
        """Run ``proceed`` for ``action`` ("Running SeFa"), which replaces the shown set:
        now, returning its result, when the set holds none of the user's work; else only
        once the user agrees (returning None now)."""
        if not self.store.has_work():
            return proceed()
        text = (f"{action} replaces the shown directions, which have "
                f"{self.work_summary()}.\n\nEdit → Undo (Ctrl+Z) brings them back "
                "afterwards; File → Export directions… keeps them in a file.")
        self.ask("Replace the directions?", text, lambda yes: proceed() if yes else None)
        return None

    def replace(self, ds: DirectionSet, text: str) -> bool:
        """Show ``ds`` as one undo step; True when the replaced set had the user's work
        (so the caller can say how to get it back)."""
        had_work = self.store.has_work()
        self.store.replace_direction_set(ds, text)
        return had_work
