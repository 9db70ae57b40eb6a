"""A thin bar offering to restore the last session, without a blocking dialog at start."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton


class RestoreBanner(QFrame):
    restore_requested = Signal(str)

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
        self._path = ""
        self._restore.clicked.connect(self._on_restore_clicked)
        self._dismiss.clicked.connect(self.hide)
        self.hide()

    def offer(self, path: Path) -> None:
        self._path = str(path)
        self.show()

    def _on_restore_clicked(self) -> None:
        self.hide()
        self.restore_requested.emit(self._path)
