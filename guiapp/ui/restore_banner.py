"""A thin bar offering to restore the last session, without a blocking dialog at start.

It remembers the answer: until the user restores or dismisses, the offered file must
survive an autosave (see :mod:`guiapp.core.autosave`)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton

from guiapp.ui.tooltips import set_tip


class RestoreBanner(QFrame):
    restore_requested = Signal(str)
    dismissed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("RestoreBanner { background: palette(alternate-base); }")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        self._label = QLabel("Restore the session you had open last time?")
        self._restore = QPushButton("&Restore")
        self._dismiss = QPushButton("&Dismiss")
        layout.addWidget(self._label, 1)
        layout.addWidget(self._restore)
        layout.addWidget(self._dismiss)
        set_tip(self._restore, "Open the session that was autosaved when you last quit")
        set_tip(self._dismiss, "Start afresh; the old session is kept as a backup file")
        self._path = ""
        self._answer = ""  # "", "restored" or "declined"
        self._restore.clicked.connect(self._on_restore_clicked)
        self._dismiss.clicked.connect(self._on_dismiss_clicked)
        self.hide()

    def offer(self, path: Path) -> None:
        self._path, self._answer = str(path), ""
        self.show()

    def declined(self) -> bool:
        """The user dismissed the offer."""
        return self._answer == "declined"

    def _on_restore_clicked(self) -> None:
        self.hide()
        self._answer = "restored"
        self.restore_requested.emit(self._path)

    def _on_dismiss_clicked(self) -> None:
        self.hide()
        self._answer = "declined"
        self.dismissed.emit()
