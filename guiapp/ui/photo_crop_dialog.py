"""The crop dialog of File → Open photo…: the square of the photo to reproduce.

The photo is shown whole with the square laid over it (the detected face preselected, else
the centre); drag the square to move it, turn the wheel to resize it, or type x, y and
size. The latent space (w or w+ for style-based models) and the number of steps are chosen
here too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QWheelEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from guiapp.ui.qimage import array_to_pixmap as to_pixmap
from guiapp.ui.tooltips import set_tip

Box = tuple[int, int, int]


@dataclass(frozen=True)
class ProjectOptions:
    """What the user chose: the crop ``box`` (x, y, size) in photo pixels, the latent
    ``space`` ("z", "w" or "w+"), the optimisation ``steps`` and whether to optimise the
    model's ``noise`` maps with the latent (models with noise inputs)."""

    box: Box
    space: str
    steps: int
    noise: bool = True


def fit(box: Box, width: int, height: int) -> Box:
    """``box`` moved and shrunk to lie inside the photo."""
    x, y, side = box
    side = max(8, min(side, width, height))
    return min(max(x, 0), width - side), min(max(y, 0), height - side), side


class CropView(QWidget):
    """The photo scaled to fit, the crop square over it; emits ``box_changed``."""

    box_changed = Signal(object)

    def __init__(self, rgb: np.ndarray, box: Box) -> None:
        super().__init__()
        self._pixmap = to_pixmap(rgb)
        self._width, self._height = rgb.shape[1], rgb.shape[0]
        self.box = box
        self._grab: QPointF | None = None
        self.setMinimumSize(360, 360)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        set_tip(self, "Drag the square to move it; the mouse wheel resizes it")

    def _scale(self) -> tuple[float, float, float]:
        s = min(self.width() / self._width, self.height() / self._height)
        return s, (self.width() - s * self._width) / 2, (self.height() - s * self._height) / 2

    def set_box(self, box: Box) -> None:
        box = fit(box, self._width, self._height)
        if box != self.box:
            self.box = box
            self.box_changed.emit(box)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        s, ox, oy = self._scale()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawPixmap(QRectF(ox, oy, s * self._width, s * self._height), self._pixmap,
                           QRectF(self._pixmap.rect()))
        x, y, side = self.box
        painter.setPen(QPen(QColor(255, 210, 0), 2))
        painter.drawRect(QRectF(ox + s * x, oy + s * y, s * side, s * side))
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._grab = event.position()
        self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._grab is None:
            return
        s, _, _ = self._scale()
        delta = (event.position() - self._grab) / s
        dx, dy = round(delta.x()), round(delta.y())
        if dx or dy:
            x, y, side = self.box
            self.set_box((x + dx, y + dy, side))
            self._grab = event.position()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._grab = None
        self.setCursor(Qt.CursorShape.OpenHandCursor)

    def wheelEvent(self, event: QWheelEvent) -> None:
        x, y, side = self.box
        step = max(2, side // 20) * (1 if event.angleDelta().y() > 0 else -1)
        self.set_box((x - step // 2, y - step // 2, side + step))


class CropDialog(QDialog):
    """Choose the crop, space and steps; ``options()`` after ``exec()`` accepted."""

    def __init__(self, parent: QWidget | None, rgb: np.ndarray, box: Box, how: str,
                 spaces: list[str], steps: int, noise_maps: int = 0) -> None:
        super().__init__(parent)
        self.setWindowTitle("Project a photo")
        width, height = rgb.shape[1], rgb.shape[0]
        self.view = CropView(rgb, fit(box, width, height))
        found = {"face": "The face found is framed", "centre": "No face found: the centre is "
                 "framed", "given": "The square you chose"}.get(how, "")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"{found}. Move or resize it to choose what to reproduce."))
        layout.addWidget(self.view, 1)
        form = QFormLayout()
        self._x, self._y, self._size = QSpinBox(), QSpinBox(), QSpinBox()
        for spin, top in ((self._x, width), (self._y, height), (self._size, min(width, height))):
            spin.setRange(0, top)
        self._size.setMinimum(8)
        form.addRow("Left (px)", self._x)
        form.addRow("Top (px)", self._y)
        form.addRow("Size (px)", self._size)
        self._space = QComboBox()
        for space in spaces:
            note = {"z": "z (the generator's input)", "w": "w (edits best)",
                    "w+": "w+ (one w per layer: closer match, edits worse)"}[space]
            self._space.addItem(note, space)
        self._space.setEnabled(len(spaces) > 1)
        form.addRow("Latent space", self._space)
        self._steps = QSpinBox()
        self._steps.setRange(1, 100_000)
        self._steps.setValue(steps)
        set_tip(self._steps, "Optimisation steps: 300 is a good match, 1000 a closer one")
        form.addRow("Steps", self._steps)
        self._noise = QCheckBox("Optimise the noise maps too")
        self._noise.setChecked(noise_maps > 0)
        self._noise.setVisible(noise_maps > 0)
        set_tip(self._noise, f"Fit the model's {noise_maps} noise maps (fine detail: hair, "
                "skin) along with the latent, as NVIDIA's projector does; the face keeps "
                "them. Off: the model's own fixed noise")
        form.addRow(self._noise)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Project")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._show_box(self.view.box)
        self.view.box_changed.connect(self._show_box)
        for spin in (self._x, self._y, self._size):
            spin.valueChanged.connect(self._typed)
        self.resize(560, 680)

    def _show_box(self, box: Box) -> None:
        for spin, value in zip((self._x, self._y, self._size), box, strict=True):
            spin.blockSignals(True)
            spin.setValue(value)
            spin.blockSignals(False)

    def _typed(self) -> None:
        self.view.set_box((self._x.value(), self._y.value(), self._size.value()))

    def options(self) -> ProjectOptions:
        return ProjectOptions(self.view.box, str(self._space.currentData()),
                              self._steps.value(), self._noise.isChecked())
