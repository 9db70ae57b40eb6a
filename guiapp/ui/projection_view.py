"""The projection's own window: the photo's crop beside the current reconstruction, live.

It opens when Project starts and stays after it ends, so the photo, its reconstruction
(also the main view's unedited image) and the edits can be compared side by side.
Cancel stops the projection and keeps the best latent found so far.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QGridLayout, QLabel, QPushButton, QWidget

from guiapp.ui.qimage import array_to_pixmap
from guiapp.ui.tooltips import set_tip

SHOWN_SIDE = 256


class ProjectionView(QDialog):
    """Photo | reconstruction, with the step reached; ``cancel_requested`` on Cancel."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None, target: np.ndarray, name: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Projecting {name}")
        self.target = target
        self.reconstruction: np.ndarray | None = None
        self.previews = 0
        layout = QGridLayout(self)
        self._photo, self._recon = QLabel(), QLabel()
        for col, (label, title) in enumerate(((self._photo, "Photo (crop)"),
                                               (self._recon, "Reconstruction"))):
            label.setFixedSize(SHOWN_SIDE, SHOWN_SIDE)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setStyleSheet("background: #222;")
            layout.addWidget(QLabel(title), 0, col)
            layout.addWidget(label, 1, col)
        self.status = QLabel("Starting…")
        layout.addWidget(self.status, 2, 0, 1, 2)
        self.button = QPushButton("Cancel")
        set_tip(self.button, "Stop and keep the best match found so far")
        self.button.clicked.connect(self._on_button)
        layout.addWidget(self.button, 3, 1, Qt.AlignmentFlag.AlignRight)
        self._running = True
        self._show(self._photo, target)

    @staticmethod
    def _show(label: QLabel, image: np.ndarray) -> None:
        pixmap = array_to_pixmap(image)
        mode = (Qt.TransformationMode.FastTransformation if image.shape[0] < SHOWN_SIDE // 2
                else Qt.TransformationMode.SmoothTransformation)
        label.setPixmap(pixmap.scaled(SHOWN_SIDE, SHOWN_SIDE,
                                      Qt.AspectRatioMode.KeepAspectRatio, mode))

    def show_progress(self, step: int, steps: int, image: np.ndarray) -> None:
        """The reconstruction at ``step`` of ``steps``."""
        self.reconstruction = image
        self.previews += 1
        self._show(self._recon, image)
        self.status.setText(f"Step {step} of {steps}")

    def finished(self, text: str, image: np.ndarray | None) -> None:
        """The projection ended (``image``: the kept reconstruction, None if it failed)."""
        self._running = False
        if image is not None:
            self.reconstruction = image
            self._show(self._recon, image)
        self.status.setText(text)
        self.button.setText("Close")
        self.setWindowTitle(self.windowTitle().replace("Projecting", "Projected"))

    def _on_button(self) -> None:
        if self._running:
            self.cancel_requested.emit()
        else:
            self.close()
